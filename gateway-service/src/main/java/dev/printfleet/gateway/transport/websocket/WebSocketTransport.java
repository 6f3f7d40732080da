package dev.printfleet.gateway.transport.websocket;

import dev.printfleet.common.auth.AuthException;
import dev.printfleet.common.auth.Principal;
import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.common.web.Replies;
import dev.printfleet.gateway.session.CloseCodes;
import dev.printfleet.gateway.session.Endpoint;
import dev.printfleet.gateway.session.GatewayMetrics;
import dev.printfleet.gateway.session.Session;
import dev.printfleet.gateway.session.SessionRegistry;
import dev.printfleet.gateway.session.UserConnections;
import dev.printfleet.gateway.session.WriteBatch;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * printfleet's own WebSocket transport (PROTOCOL.md §2) on one event loop: authenticates the
 * upgrade before it happens (400 for a request that is not an upgrade, 401 for no, bad or expired
 * token, 403 for a role the endpoint does not serve or an Origin outside the allowlist, 429 for a
 * user holding as many sockets as it may, 503 while draining), then turns the socket into a {@link
 * Session} of the endpoint: its text frames into envelopes for the endpoint's {@link
 * dev.printfleet.gateway.session.Inbound} table, its pongs, drain and close into the session's.
 */
public final class WebSocketTransport {

  private static final Logger log = LoggerFactory.getLogger(WebSocketTransport.class);

  /** What a user refused for holding too many sockets is told to wait (PROTOCOL.md §2). */
  private static final String RETRY_AFTER_SECONDS = "10";

  private final SessionRegistry registry;
  private final Session.Limits limits;
  private final GatewayMetrics metrics;
  private final WriteBatch writes;

  public WebSocketTransport(
      SessionRegistry registry, Session.Limits limits, GatewayMetrics metrics, WriteBatch writes) {
    this.registry = registry;
    this.limits = limits;
    this.metrics = metrics;
    this.writes = writes;
  }

  /** The request handler of an endpoint's path. */
  public Handler<HttpServerRequest> serving(Endpoint endpoint) {
    return request -> upgrade(request, endpoint);
  }

  private void upgrade(HttpServerRequest request, Endpoint endpoint) {
    if (!"websocket".equalsIgnoreCase(request.getHeader("Upgrade"))) {
      refuse(request, 400, "bad_request", "this path takes WebSocket upgrades only");
      return;
    }
    request.pause();
    var context = io.vertx.core.Vertx.currentContext();
    endpoint
        .admission()
        .admit(request)
        .onSuccess(
            principal -> {
              if (endpoint.draining()) {
                refuse(request, 503, "unavailable", "gateway is draining, connect again");
                return;
              }
              endpoint
                  .reserve(principal)
                  .onComplete(
                      reserved ->
                          context.runOnContext(
                              v -> reserved(request, endpoint, principal, reserved)));
            })
        .onFailure(
            e -> {
              AuthException auth =
                  e instanceof AuthException a ? a : AuthException.unauthorized("invalid token");
              log.debug(
                  "Connection refused path={} remote={} code={}: {}",
                  request.path(),
                  request.remoteAddress(),
                  auth.code(),
                  auth.getMessage());
              refuse(request, auth.httpStatus(), auth.code(), auth.getMessage());
            });
  }

  private void reserved(
      HttpServerRequest request,
      Endpoint endpoint,
      Principal principal,
      io.vertx.core.AsyncResult<UserConnections.Lease> reserved) {
    if (reserved.failed()) {
      metrics.userLimitRefused();
      log.debug(
          "Connection refused subject={}: {}", principal.subject(), reserved.cause().getMessage());
      request.response().putHeader("Retry-After", RETRY_AFTER_SECONDS);
      refuse(request, 429, "too_many_connections", reserved.cause().getMessage());
      return;
    }
    var lease = reserved.result();
    if (endpoint.draining()) {
      lease.release();
      refuse(request, 503, "unavailable", "gateway is draining, connect again");
      return;
    }
    request
        .toWebSocket()
        .onSuccess(socket -> accept(endpoint, principal, socket, lease))
        .onFailure(
            e -> {
              lease.release();
              log.debug("Upgrade failed subject={}: {}", principal.subject(), e.toString());
            });
  }

  private void accept(
      Endpoint endpoint, Principal principal, ServerWebSocket socket, UserConnections.Lease lease) {
    if (endpoint.draining()) {
      // The drain began while the token was checked: this socket missed the drain's close.
      lease.release();
      socket.close(CloseCodes.SERVICE_RESTART, "instance draining, reconnect");
      return;
    }
    socket.setWriteQueueMaxSize((int) Math.min(Integer.MAX_VALUE, endpoint.writeQueueBytes()));
    var session = new WebSocketSession(endpoint.kind(), principal, socket, limits, metrics, writes);
    var inbound = endpoint.inbound();
    registry.add(session);
    socket.textMessageHandler(
        text -> {
          // Messages over the size limit never get here: MessageSizeGuard closes their socket 1009.
          Envelope message;
          try {
            message = Envelope.parse(text);
          } catch (Envelope.ParseException e) {
            inbound.malformed(session, e);
            return;
          }
          inbound.receive(session, message);
        });
    socket.binaryMessageHandler(b -> inbound.binary(session));
    socket.pongHandler(b -> session.pong(System.nanoTime()));
    socket.drainHandler(v -> endpoint.writable(session));
    socket.exceptionHandler(
        e ->
            log.debug(
                "Socket error kind={} subject={}: {}",
                endpoint.kind().label(),
                principal.subject(),
                e.toString()));
    socket.closeHandler(
        v -> {
          lease.release();
          Short code = socket.closeStatusCode();
          session.markClosed(code == null ? 0 : code);
          if (registry.remove(session)) {
            endpoint.closed(session);
          }
        });
    endpoint.opened(session);
  }

  private static void refuse(HttpServerRequest request, int status, String code, String message) {
    request.resume();
    Replies.error(request.response(), status, code, message, null);
  }
}
