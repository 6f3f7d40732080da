package dev.printfleet.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.printfleet.common.protocol.Envelope;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A fleet started from one thread outside Vert.x (a load test's main) is spread over the event
 * loops: on one loop, every agent's frames would wait behind all the others', and the load test
 * would time its own queue.
 */
class FleetEventLoopsTest {

  private final Vertx vertx =
      Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2).setPreferNativeTransport(true));

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void agentsStartedFromOneThreadReadTheirFramesOnEveryEventLoopAndKeepTheirsThroughARestart()
      throws Exception {
    // Odd: a restart that took the next loop in turn would take the other one.
    int agents = 5;
    // A gateway stand-in: each connection is sent one job.dispatch.
    int port =
        vertx
            .createHttpServer()
            .webSocketHandler(
                ws ->
                    ws.writeTextMessage(
                        Envelope.request(
                                "job.dispatch", "d1", new JsonObject().put("jobId", "j-" + ws))
                            .encode()))
            .listen(0, "127.0.0.1")
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS)
            .actualPort();
    var client = vertx.createWebSocketClient(new WebSocketClientOptions());
    Set<String> readOn = ConcurrentHashMap.newKeySet();
    var dispatched = new CountDownLatch(agents);
    var firstAgentsLoops = new java.util.concurrent.CopyOnWriteArrayList<String>();
    var firstAgentAgain = new CountDownLatch(2);
    List<SimulatedAgent> fleet = new ArrayList<>();
    for (int i = 0; i < agents; i++) {
      var agent =
          new SimulatedAgent(
              vertx,
              client,
              "127.0.0.1",
              port,
              "agent-" + i,
              List.of("p1"),
              () -> "token",
              new SimulatedAgent.Behaviour(0, 0.0, 0));
      boolean first = i == 0;
      agent.onDispatch(
          job -> {
            readOn.add(Thread.currentThread().getName());
            dispatched.countDown();
            if (first) {
              firstAgentsLoops.add(Thread.currentThread().getName());
              firstAgentAgain.countDown();
            }
          });
      fleet.add(agent);
      agent.start();
    }

    assertThat(dispatched.await(20, TimeUnit.SECONDS)).isTrue();
    assertThat(readOn).hasSize(2).allMatch(name -> name.startsWith("vert.x-eventloop-thread-"));

    // Stopped and started again from this thread, an agent stays on its loop: its old socket's
    // handlers and its new one's never run at once on two threads.
    fleet.get(0).stop().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    fleet.get(0).start();
    assertThat(firstAgentAgain.await(20, TimeUnit.SECONDS)).isTrue();
    assertThat(firstAgentsLoops).hasSize(2).containsOnly(firstAgentsLoops.get(0));
    for (SimulatedAgent agent : fleet) {
      agent.stop();
    }
  }
}
