package dev.printfleet.simulator.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The load generator's sockets are opened over all its event loops, from its main thread: socket i
 * on loop i modulo their number, so each loop reads the frames of its share.
 */
class OpenAllTest {

  @Test
  void socketsAreOpenedOnEveryEventLoopInTurn() throws Exception {
    var target = new LoadGenerator.Target();
    target.secret = "open-all-secret-0123456789-0123456789-0123456789";
    target.concurrency = 3;
    target.timeoutS = 10;
    var run = new LoadGenerator.Run(target);
    try {
      Map<Integer, String> openedOn = new ConcurrentHashMap<>();
      run.openAll(
          10,
          i -> {
            openedOn.put(
                i,
                Vertx.currentContext() == null ? "no context" : Thread.currentThread().getName());
            return Future.succeededFuture();
          });

      assertThat(openedOn).hasSize(10);
      assertThat(openedOn.values()).allMatch(name -> name.startsWith("vert.x-eventloop-thread-"));
      assertThat(List.copyOf(new java.util.HashSet<>(openedOn.values())))
          .hasSize(LoadGenerator.Run.EVENT_LOOPS);
      for (int i = 2; i < 10; i++) {
        assertThat(openedOn.get(i)).as("socket %d", i).isEqualTo(openedOn.get(i % 2));
      }
    } finally {
      run.vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
