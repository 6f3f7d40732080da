package dev.printfleet.gateway.agent;

import dev.printfleet.common.lifecycle.OnEventLoop;
import dev.printfleet.common.messages.AgentReply;
import dev.printfleet.common.messages.DispatchRequest;
import dev.printfleet.common.presence.AgentKey;
import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.common.protocol.Envelope.Code;
import dev.printfleet.gateway.GatewayConfig;
import dev.printfleet.gateway.session.GatewayMetrics;
import dev.printfleet.gateway.session.Session;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Requests from the cluster to the agents of one event loop ({@code job.dispatch}, {@code
 * printer.test}): sent on the agent's session, answered on the event bus when the agent answers,
 * fails or goes away. A slow agent is refused dispatches rather than buffered. Confined to its
 * event loop.
 */
final class AgentRequests {

  private static final Logger log = LoggerFactory.getLogger(AgentRequests.class);

  private final Vertx vertx;
  private final OnEventLoop loop;
  private final GatewayConfig config;
  private final AgentDirectory directory;
  private final GatewayMetrics metrics;

  AgentRequests(
      Vertx vertx,
      OnEventLoop loop,
      GatewayConfig config,
      AgentDirectory directory,
      GatewayMetrics metrics) {
    this.vertx = vertx;
    this.loop = loop;
    this.config = config;
    this.directory = directory;
    this.metrics = metrics;
  }

  /**
   * Sends a request to an agent whose session this loop holds; called on this loop by the
   * directory, which took the request off the event bus.
   */
  void send(Session session, Message<JsonObject> message, AgentDirectory.AgentRequest request) {
    AgentKey agent = request.agent();
    String type = request.type();
    long bytes = request.contentBytes();
    if (session.isClosed()) {
      message.reply(directory.notConnected(agent).toJson());
      return;
    }
    if (directory.draining()) {
      message.reply(AgentReply.notSent("unavailable", "gateway is draining").toJson());
      return;
    }
    boolean dispatch = "job.dispatch".equals(type);
    // A slow agent gets fewer jobs, never an unbounded buffer: its write queue is capped, and a
    // dispatch that finds it full is refused at once; printing puts the job back for a moment
    // without using an attempt.
    if (dispatch
        && (session.writeQueueFull()
            || session.dispatchBytes() + bytes > config.agentDispatchBytes()
                && session.dispatchBytes() > 0)) {
      metrics.agentRequest(type, AgentReply.BUSY, Duration.ZERO);
      message.reply(
          AgentReply.failed(AgentReply.BUSY, "agent " + agent + " is behind on its socket")
              .toJson());
      return;
    }
    String correlationId = directory.nextCorrelationId();
    long sentAt = System.nanoTime();
    Promise<AgentReply> answer = Promise.promise();
    // Captures neither the request's message nor its data: what waits here is a few small objects.
    directory
        .pending()
        .add(
            correlationId,
            agent,
            config.agentRequestTimeout().toNanos(),
            loop,
            outcome -> {
              String result =
                  outcome.response() == null
                      ? outcome.errorCode().wire()
                      : outcome.response().error() != null ? "agent_error" : "ok";
              metrics.agentRequest(type, result, Duration.ofNanos(System.nanoTime() - sentAt));
              session.dispatchAnswered(bytes);
              answer.complete(replyOf(outcome));
            });
    session.dispatchSent(bytes);
    session.expectAnswers(dispatch ? 2 : 1);
    session.send(Envelope.request(type, correlationId, request.data()));
    if (!dispatch) {
      answer.future().onSuccess(reply -> message.reply(reply.toJson()));
      return;
    }
    long within = DispatchRequest.answerWithinMs(message.headers());
    if (within == 0) {
      replyWritten(message, answer.future(), agent);
      return;
    }
    // The sender allows one step: the agent's answer within that time goes back as the reply
    // itself; past it, the two steps. Whichever comes first takes the message (both on this loop),
    // so the content is kept no longer than that time, however late the agent answers.
    var unanswered = new AtomicReference<>(message);
    long timer =
        vertx.setTimer(
            within,
            t -> {
              var taken = unanswered.getAndSet(null);
              if (taken != null) {
                replyWritten(taken, answer.future(), agent);
              }
            });
    answer
        .future()
        .onSuccess(
            reply -> {
              var taken = unanswered.getAndSet(null);
              if (taken != null) {
                vertx.cancelTimer(timer);
                taken.reply(
                    reply.toJson(),
                    new DeliveryOptions().addHeader(DispatchRequest.ANSWERED_HEADER, "true"));
              }
            });
  }

  /**
   * The dispatch's message holds the job's content, its wire bytes too: it is answered now, and the
   * agent's answer goes back on the sender's follow-up (DispatchRequest's two steps).
   */
  private void replyWritten(
      Message<JsonObject> message, Future<AgentReply> answer, AgentKey agent) {
    message
        .<JsonObject>replyAndRequest(
            AgentReply.written().toJson(),
            new DeliveryOptions().setSendTimeout(config.agentRequestTimeout().toMillis() + 5_000))
        .onSuccess(followUp -> answer.onSuccess(reply -> followUp.reply(reply.toJson())))
        .onFailure(e -> log.debug("No follow-up for a dispatch agent={}: {}", agent, e.toString()));
  }

  private static AgentReply replyOf(PendingRequests.Outcome outcome) {
    if (outcome.response() == null && outcome.errorCode() != Code.TIMEOUT) {
      // The agent went away, or this gateway dropped the request (evicted, draining): the route
      // failed, not the printer.
      return AgentReply.notSent(outcome.errorCode().wire(), outcome.errorMessage());
    }
    if (outcome.response() == null) {
      return AgentReply.failed(outcome.errorCode().wire(), outcome.errorMessage());
    }
    if (outcome.response().error() != null) {
      return AgentReply.failed(
          outcome.response().error().code(), outcome.response().error().message());
    }
    return AgentReply.answered(outcome.response().data());
  }
}
