package dev.printfleet.simulator.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The load generator opens its sockets a few at a time; one that cannot be opened ends too. */
class OpenAllTest {

  @Test
  void anOpenerThatThrowsFailsItsSocketAndTheOthersStillOpen() throws Exception {
    var target = new LoadGenerator.Target();
    target.secret = "open-all-secret-0123456789-0123456789-0123456789";
    target.concurrency = 3;
    target.timeoutS = 10;
    var run = new LoadGenerator.Run(target);
    try {
      Set<Integer> opened = ConcurrentHashMap.newKeySet();
      long begin = System.nanoTime();
      int threw =
          run.openAll(
              10,
              i -> {
                if (i == 3) {
                  throw new IllegalStateException("socket 3 cannot be opened");
                }
                opened.add(i);
                return Future.succeededFuture();
              });

      // Before, the thrown exception ended socket 3's chain uncounted: openAll waited its whole
      // timeout, then said it gave up.
      assertThat(opened).containsExactlyInAnyOrder(0, 1, 2, 4, 5, 6, 7, 8, 9);
      assertThat(threw).as("sockets whose opener threw, said on stderr").isEqualTo(1);
      assertThat(System.nanoTime() - begin).isLessThan(TimeUnit.SECONDS.toNanos(target.timeoutS));
    } finally {
      run.vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
