package dev.printfleet.printing.dispatch;

import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.AgentReply;
import dev.printfleet.common.messages.PrinterTestRequest;
import dev.printfleet.common.presence.AgentKey;
import dev.printfleet.common.presence.PresenceRegistry;
import dev.printfleet.printing.api.ApiError;
import dev.printfleet.printing.printers.PrinterStore.Printer;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.time.Duration;

/**
 * A test print: a request to the printer's agent through the gateway that holds it. It does not go
 * through the circuit breaker (a test must not open a circuit), but an open circuit refuses it.
 */
public final class TestPrints {

  private final Vertx vertx;
  private final PresenceRegistry presence;
  private final Breakers breakers;
  private final Duration timeout;

  public TestPrints(Vertx vertx, PresenceRegistry presence, Breakers breakers, Duration timeout) {
    this.vertx = vertx;
    this.presence = presence;
    this.breakers = breakers;
    this.timeout = timeout;
  }

  /** {@code {ok, latencyMs, detail}}; fails with an {@link ApiError} of 503 or 504. */
  public Future<JsonObject> run(String company, Printer printer) {
    if (CircuitBreakerState.OPEN.name().equals(breakers.stateOf(company, printer.id()))) {
      return Future.failedFuture(ApiError.unavailable("the printer's circuit is open"));
    }
    long started = System.nanoTime();
    return presence
        .lookup(new AgentKey(company, printer.agentId()))
        .compose(
            instance -> {
              if (instance.isEmpty()) {
                return Future.failedFuture(
                    ApiError.unavailable("agent " + printer.agentId() + " is offline"));
              }
              return vertx
                  .eventBus()
                  .<JsonObject>request(
                      Addresses.gateway(instance.get()),
                      new PrinterTestRequest(company, printer.agentId(), printer.id()).toJson(),
                      new DeliveryOptions()
                          .addHeader(Addresses.ACTION_HEADER, PrinterTestRequest.ACTION)
                          .setSendTimeout(timeout.toMillis()))
                  .recover(TestPrints::unreachable)
                  .compose(message -> answer(AgentReply.fromJson(message.body()), started));
            });
  }

  private static <T> Future<T> unreachable(Throwable e) {
    if (e instanceof ReplyException reply && reply.failureType() == ReplyFailure.TIMEOUT) {
      return Future.failedFuture(ApiError.timeout("the agent did not answer in time"));
    }
    // No handler: the gateway that held the agent is gone; the agent will reconnect elsewhere.
    return Future.failedFuture(ApiError.unavailable("the agent's gateway is unreachable"));
  }

  private static Future<JsonObject> answer(AgentReply reply, long started) {
    long latencyMs = Duration.ofNanos(System.nanoTime() - started).toMillis();
    if (reply.ok()) {
      JsonObject data = reply.data();
      return Future.succeededFuture(
          new JsonObject()
              .put("ok", data.getValue("ok") instanceof Boolean ok ? ok : true)
              .put("latencyMs", latencyMs)
              .put(
                  "detail",
                  data.getValue("detail") instanceof String detail ? detail : "test page sent"));
    }
    return switch (reply.code()) {
      case "timeout" -> Future.failedFuture(ApiError.timeout("the agent did not answer in time"));
      case "not_found", "unavailable" ->
          Future.failedFuture(ApiError.unavailable("agent unavailable: " + reply.message()));
      // The agent answered, with its printer's own error: the test ran and failed.
      default ->
          Future.succeededFuture(
              new JsonObject()
                  .put("ok", false)
                  .put("latencyMs", latencyMs)
                  .put("detail", reply.code() + ": " + reply.message()));
    };
  }
}
