package dev.printfleet.gateway.channels;

import dev.printfleet.common.auth.AuthException;
import dev.printfleet.common.auth.Principal;
import dev.printfleet.common.auth.Role;
import dev.printfleet.common.auth.TokenVerifier;
import dev.printfleet.common.web.ApiAuth;
import dev.printfleet.common.web.Replies;
import dev.printfleet.gateway.channels.ChannelPublisher.Publication;
import dev.printfleet.gateway.fanout.RoomPolicy;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The publish API of PROTOCOL.md §6, served by every gateway: a company's backend services (role
 * {@code service}) put messages into the company's channels, and every gateway delivers each to the
 * channel's subscribers once. Everything of a request is checked before anything is written: a
 * batch is published whole or refused whole.
 */
public final class ChannelApi {

  private static final Logger log = LoggerFactory.getLogger(ChannelApi.class);

  /** One message, {@code {"event","data"}} encoded. */
  public static final int MAX_MESSAGE_BYTES = 64 * 1024;

  public static final int MAX_BATCH = 100;

  /** A batch's body, at most. */
  public static final int MAX_BATCH_BYTES = 1024 * 1024;

  /** Redis not answering this long: 503 (the message may still land in the history). */
  static final java.time.Duration PUBLISH_TIMEOUT = java.time.Duration.ofSeconds(5);

  /** An event name: what the subscribers' code switches on; never a place for data. */
  private static final Pattern EVENT = Pattern.compile("[A-Za-z0-9_.:-]{1,64}");

  private final TokenVerifier tokens;
  private final RoomPolicy policy;
  private final ChannelPublisher publisher;
  private final PublishLimiter limiter;
  private final ChannelPresence presence;

  /**
   * Presence reads per token and instance: a burst of {@link #PRESENCE_BURST}, then {@link
   * #PRESENCE_PER_SECOND} a second, in a table of their own (dashboard users ask too, and must not
   * crowd the publishers' table).
   */
  private final PublishLimiter presenceLimiter =
      new PublishLimiter(
          new dev.printfleet.gateway.GatewayConfig.PublishLimits(
              PRESENCE_BURST, PRESENCE_PER_SECOND));

  static final int PRESENCE_BURST = 20;
  static final int PRESENCE_PER_SECOND = 5;

  public ChannelApi(
      TokenVerifier tokens,
      RoomPolicy policy,
      ChannelPublisher publisher,
      PublishLimiter limiter,
      ChannelPresence presence) {
    this.tokens = tokens;
    this.policy = policy;
    this.publisher = publisher;
    this.limiter = limiter;
    this.presence = presence;
  }

  public void mount(Router router) {
    var auth =
        ApiAuth.allowing(tokens, p -> p.role() == Role.SERVICE, "publishing needs role service")
            .holdingTheBody();
    // The token first, on a route of its own: Vert.x runs a body handler before any other of
    // its route, and nothing of an unknown caller's body is read.
    router.post("/api/v1/channels/publish").handler(auth);
    router.post("/api/v1/channels/:channel/publish").handler(auth);
    router
        .post("/api/v1/channels/publish")
        .handler(BodyHandler.create(false).setBodyLimit(MAX_BATCH_BYTES))
        .handler(this::publishBatch);
    router
        .post("/api/v1/channels/:channel/publish")
        // Read whole up to the batch limit, so a message just over 64 KiB is answered 413 by the
        // check below rather than cut off mid-body (an HTTP/2 client then waits to send the rest).
        .handler(BodyHandler.create(false).setBodyLimit(MAX_BATCH_BYTES))
        .handler(this::publishOne);
    router
        .get("/api/v1/channels/:channel/presence")
        .handler(
            ApiAuth.allowing(
                tokens,
                p -> p.role() != Role.AGENT,
                "presence needs a service's or a dashboard user's token"))
        .handler(this::presence);
    router
        .route("/api/v1/channels/*")
        .handler(
            ctx ->
                Replies.error(
                    ctx,
                    404,
                    "not_found",
                    "no such route: POST /api/v1/channels/{channel}/publish, POST"
                        + " /api/v1/channels/publish or GET /api/v1/channels/{channel}/presence"));
    router.route("/api/v1/channels/*").failureHandler(ChannelApi::fail);
  }

  private void publishOne(RoutingContext ctx) {
    JsonObject body = object(ctx);
    if (body == null) {
      return;
    }
    List<Publication> messages = new ArrayList<>();
    if (read(ctx, ctx.pathParam("channel"), body, "", messages)) {
      publish(
          ctx,
          messages,
          offsets ->
              new JsonObject()
                  .put("channel", messages.get(0).channel())
                  .put("offset", offsets.get(0)));
    }
  }

  private void publishBatch(RoutingContext ctx) {
    JsonObject body = object(ctx);
    if (body == null) {
      return;
    }
    if (!(body.getValue("messages") instanceof JsonArray list)
        || list.isEmpty()
        || list.size() > MAX_BATCH) {
      invalid(ctx, "messages", "messages must be a list of 1 to " + MAX_BATCH + " messages");
      return;
    }
    List<Publication> messages = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      String field = "messages[" + i + "]";
      if (!(list.getValue(i) instanceof JsonObject message)) {
        invalid(ctx, field, field + " must be an object {channel, event, data}");
        return;
      }
      if (!(message.getValue("channel") instanceof String channel)) {
        invalid(ctx, field + ".channel", field + ".channel must be a channel name");
        return;
      }
      if (!read(ctx, channel, message, field + ".", messages)) {
        return;
      }
    }
    publish(
        ctx,
        messages,
        offsets -> {
          var results = new JsonArray();
          for (int i = 0; i < offsets.size(); i++) {
            results.add(
                new JsonObject()
                    .put("channel", messages.get(i).channel())
                    .put("offset", offsets.get(i)));
          }
          return new JsonObject().put("results", results);
        });
  }

  /** Checks one message and adds it; false when the request was answered (refused). */
  private boolean read(
      RoutingContext ctx,
      String channel,
      JsonObject message,
      String field,
      List<Publication> into) {
    Principal caller = ApiAuth.principal(ctx);
    if (!(message.getValue("event") instanceof String event) || !EVENT.matcher(event).matches()) {
      invalid(ctx, field + "event", "event must be 1 to 64 letters, digits or _ . : -");
      return false;
    }
    Object value = message.getValue("data");
    if (value != null && !(value instanceof JsonObject)) {
      invalid(ctx, field + "data", "data must be a JSON object");
      return false;
    }
    JsonObject data = value == null ? new JsonObject() : (JsonObject) value;
    // Encoded once: measured here, stored as it is in the history.
    String encoded = new JsonObject().put("event", event).put("data", data).encode();
    int bytes = encoded.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_MESSAGE_BYTES) {
      Replies.error(
          ctx,
          413,
          "too_large",
          "a message is at most " + MAX_MESSAGE_BYTES + " bytes",
          field + "data");
      return false;
    }
    switch (policy.publish(caller.company(), channel)) {
      case RoomPolicy.Allowed allowed -> {
        into.add(new Publication(allowed.channel(), event, data, encoded));
        return true;
      }
      case RoomPolicy.Refused refused -> {
        if (refused.forbidden()) {
          Replies.error(ctx, 403, "forbidden", refused.reason());
        } else {
          invalid(ctx, field + "channel", refused.reason());
        }
        return false;
      }
    }
  }

  private void publish(
      RoutingContext ctx,
      List<Publication> messages,
      java.util.function.Function<List<String>, JsonObject> answer) {
    Principal caller = ApiAuth.principal(ctx);
    if (!limiter.tryPublish(caller, messages.size(), System.nanoTime())) {
      ctx.response().putHeader("Retry-After", "1");
      Replies.error(
          ctx,
          429,
          "rate_limited",
          "this service publishes more than PRINTFLEET_PUBLISH_RATE_PER_SECOND messages a second");
      return;
    }
    publisher
        .publish(caller.company(), messages, PUBLISH_TIMEOUT)
        .onSuccess(offsets -> Replies.json(ctx, 200, answer.apply(offsets)))
        .onFailure(
            e -> {
              log.warn(
                  "Publish failed company={} service={} messages={}: {}",
                  caller.company(),
                  caller.subject(),
                  messages.size(),
                  e.toString());
              ctx.response().putHeader("Retry-After", "1");
              Replies.error(
                  ctx, 503, "unavailable", "the channel history is unavailable; publish again");
            });
  }

  /**
   * Who is in a channel across the cluster: a service of its company, or a user who may join it,
   * asks, at most {@link #PRESENCE_PER_SECOND} a second per token (after a burst of {@link
   * #PRESENCE_BURST}). Only the users of the channel's company are listed.
   */
  private void presence(RoutingContext ctx) {
    Principal caller = ApiAuth.principal(ctx);
    switch (policy.observe(caller, ctx.pathParam("channel"))) {
      case RoomPolicy.Refused refused -> {
        if (refused.forbidden()) {
          Replies.error(ctx, 403, "forbidden", refused.reason());
        } else {
          invalid(ctx, "channel", refused.reason());
        }
      }
      case RoomPolicy.Allowed allowed -> {
        if (!presenceLimiter.tryPublish(caller, 1, System.nanoTime())) {
          ctx.response().putHeader("Retry-After", "1");
          Replies.error(
              ctx,
              429,
              "rate_limited",
              "at most " + PRESENCE_PER_SECOND + " presence reads a second from this token");
          return;
        }
        RoomPolicy.Channel channel = RoomPolicy.Channel.of(allowed.channel());
        presence
            .read(allowed.key(), RoomPolicy.owner(caller.company(), channel))
            .onSuccess(
                who ->
                    Replies.json(
                        ctx, 200, new JsonObject().put("channel", allowed.channel()).mergeIn(who)))
            .onFailure(
                e -> {
                  log.warn("Presence read failed channel={}: {}", allowed.channel(), e.toString());
                  ctx.response().putHeader("Retry-After", "1");
                  Replies.error(ctx, 503, "unavailable", "presence is unavailable; ask again");
                });
      }
    }
  }

  private static JsonObject object(RoutingContext ctx) {
    try {
      if (ctx.body().buffer() != null && ctx.body().asJsonObject() instanceof JsonObject body) {
        return body;
      }
    } catch (DecodeException | ClassCastException e) {
      // answered below
    }
    invalid(ctx, null, "the body must be a JSON object");
    return null;
  }

  private static void invalid(RoutingContext ctx, String field, String message) {
    Replies.error(ctx, 400, "invalid_data", message, field);
  }

  private static void fail(RoutingContext ctx) {
    if (ctx.failure() instanceof AuthException auth) {
      Replies.error(ctx, auth.httpStatus(), auth.code(), auth.getMessage());
    } else if (ctx.statusCode() == 413) {
      if (!ctx.request().isEnded() && ctx.request().version() != HttpVersion.HTTP_2) {
        // The rest of the body is not read: this HTTP/1.x connection cannot carry another request.
        ctx.response().putHeader("Connection", "close");
      }
      Replies.error(ctx, 413, "too_large", "the request body is too large");
    } else {
      log.warn("Publish request failed path={}", ctx.request().path(), ctx.failure());
      Replies.error(ctx, 500, "internal", "the request failed");
    }
  }
}
