package dev.printfleet.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClientOptions;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A start ends whatever happens before its connect: stopped meanwhile, or unable to begin. */
class SimulatedAgentStartTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private SimulatedAgent agent(int port, Supplier<String> token) {
    return new SimulatedAgent(
        vertx,
        vertx.createWebSocketClient(new WebSocketClientOptions()),
        "127.0.0.1",
        port,
        "agent-start",
        List.of("p1"),
        token,
        new SimulatedAgent.Behaviour(0, 0.0, 0));
  }

  @Test
  void anAgentStoppedBeforeItsConnectRanNeverConnects() throws Exception {
    var connections = new AtomicInteger();
    int port =
        vertx
            .createHttpServer()
            .webSocketHandler(ws -> connections.incrementAndGet())
            .listen(0, "127.0.0.1")
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS)
            .actualPort();
    var agent = agent(port, () -> "token");
    // Both in one turn of the event loop: the start's connect is queued behind this task, and runs
    // after the stop.
    Promise<Future<Void>> started = Promise.promise();
    vertx.runOnContext(
        v -> {
          Future<Void> start = agent.start();
          agent.stop();
          started.complete(start);
        });
    started
        .future()
        .compose(f -> f)
        .toCompletionStage()
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);

    // A connect under way would reach the server well within this (loopback).
    Thread.sleep(500);
    assertThat(connections).hasValue(0);
    assertThat(agent.isConnected()).isFalse();
  }

  @Test
  void aStartThatCannotBeginFailsInsteadOfHanging() {
    var agent =
        agent(
            1,
            () -> {
              throw new IllegalStateException("no token");
            });

    var start = agent.start().toCompletionStage().toCompletableFuture();

    // Not failsWithin: it passes on a timeout too, and a start that hangs is what this catches.
    assertThatThrownBy(() -> start.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasRootCauseMessage("no token");
  }
}
