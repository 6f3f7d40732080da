package dev.printfleet.gateway.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.printfleet.common.history.PrintingHistory;
import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.PrinterStatusEvent;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class StatusPublisherTest {

  private static PrinterStatusEvent status(int n) {
    return new PrinterStatusEvent(
        "a1", "c1", "b1", "p" + n, "online", null, Instant.ofEpochMilli(n));
  }

  /** Adds the statuses in one task on an event loop, as frames read in one turn would be. */
  private static List<List<PrinterStatusEvent>> publishInOneTurn(
      Vertx vertx, int count, int expectedMessages, VertxTestContext test)
      throws InterruptedException {
    List<List<PrinterStatusEvent>> messages = new CopyOnWriteArrayList<>();
    var received = test.checkpoint(expectedMessages);
    vertx
        .eventBus()
        .<JsonObject>consumer(
            Addresses.EVENTS_PRINTER,
            m -> {
              messages.add(PrinterStatusEvent.listFromJson(m.body()));
              received.flag();
            })
        .completionHandler(
            test.succeeding(
                v -> {
                  Context context = vertx.getOrCreateContext();
                  var publisher =
                      new StatusPublisher(
                          vertx,
                          context,
                          // Nothing kept: these statuses go out without offsets, and no Redis.
                          new PrintingHistory(
                              vertx,
                              null,
                              null,
                              new PrintingHistory.Bounds(0, Duration.ofMinutes(5))));
                  context.runOnContext(
                      x -> {
                        for (int i = 0; i < count; i++) {
                          publisher.add(status(i));
                        }
                      });
                }));
    assertThat(test.awaitCompletion(10, TimeUnit.SECONDS)).isTrue();
    if (test.failed()) {
      throw new AssertionError(test.causeOfFailure());
    }
    return messages;
  }

  @Test
  void statusesOfOneTurnLeaveInOneMessageInTheirOrder(Vertx vertx, VertxTestContext test)
      throws Exception {
    var messages = publishInOneTurn(vertx, 5, 1, test);

    assertThat(messages).hasSize(1);
    assertThat(messages.get(0))
        .extracting(PrinterStatusEvent::printerId)
        .containsExactly("p0", "p1", "p2", "p3", "p4");
  }

  @Test
  void aTurnWithMoreThanABatchSendsFullBatchesThenTheRest(Vertx vertx, VertxTestContext test)
      throws Exception {
    int count = PrinterStatusEvent.MAX_BATCH + 1;
    var messages = publishInOneTurn(vertx, count, 2, test);

    assertThat(messages).extracting(List::size).containsExactly(PrinterStatusEvent.MAX_BATCH, 1);
    assertThat(messages.get(1).get(0).printerId()).isEqualTo("p" + PrinterStatusEvent.MAX_BATCH);
  }
}
