package dev.printfleet.gateway.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WriteBatchTest {

  /** A socket that counts its flushes and records their order among the sockets. */
  private static final class Socket implements WriteBatch.Flushable {
    final String name;
    final List<String> log;
    int flushes;

    Socket(String name, List<String> log) {
      this.name = name;
      this.log = log;
    }

    @Override
    public void flush() {
      flushes++;
      log.add(name);
    }
  }

  @Test
  void outsideABatchTheWriterFlushesItself() {
    var batch = new WriteBatch();
    var socket = new Socket("a", new ArrayList<>());

    assertThat(batch.defer(socket)).isFalse();
    assertThat(socket.flushes).isZero();
  }

  @Test
  void eachSocketWrittenInABatchIsFlushedOnceAtItsEndInTheOrderFirstWritten() {
    var batch = new WriteBatch();
    var log = new ArrayList<String>();
    var a = new Socket("a", log);
    var b = new Socket("b", log);

    batch.run(
        () -> {
          for (int i = 0; i < 30; i++) {
            assertThat(batch.defer(b)).isTrue();
            assertThat(batch.defer(a)).isTrue();
          }
          assertThat(log).as("nothing flushed before the work ends").isEmpty();
        });

    assertThat(log).containsExactly("b", "a");
    assertThat(batch.defer(a)).as("the batch is over").isFalse();
  }

  @Test
  void aWriteFromAnotherThreadDuringABatchIsNotDeferred() throws Exception {
    var batch = new WriteBatch();
    var a = new Socket("a", new ArrayList<>());
    var fromOtherThread = new java.util.concurrent.atomic.AtomicBoolean(true);

    batch.run(
        () -> {
          var other = new Thread(() -> fromOtherThread.set(batch.defer(a)));
          other.start();
          try {
            other.join(10_000);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });

    assertThat(fromOtherThread).as("deferred from another thread").isFalse();
    assertThat(a.flushes).as("the batch did not take it").isZero();
  }

  @Test
  void aBatchWithinABatchFlushesOnlyWhenTheOuterOneEnds() {
    var batch = new WriteBatch();
    var log = new ArrayList<String>();
    var a = new Socket("a", log);

    batch.run(
        () -> {
          batch.run(() -> batch.defer(a));
          assertThat(log).isEmpty();
          batch.defer(a);
        });

    assertThat(a.flushes).isEqualTo(1);
  }

  @Test
  void whatWasWrittenIsFlushedEvenWhenTheWorkThrows() {
    var batch = new WriteBatch();
    var a = new Socket("a", new ArrayList<>());

    assertThatThrownBy(
            () ->
                batch.run(
                    () -> {
                      batch.defer(a);
                      throw new IllegalStateException("handler failed");
                    }))
        .hasMessage("handler failed");

    assertThat(a.flushes).isEqualTo(1);
    assertThat(batch.defer(a)).as("the batch is over").isFalse();
  }

  @Test
  void aSocketWhoseFlushFailsDoesNotKeepTheOthersFramesBack() {
    var batch = new WriteBatch();
    var log = new ArrayList<String>();
    WriteBatch.Flushable broken =
        () -> {
          throw new IllegalStateException("channel gone");
        };
    var b = new Socket("b", log);

    batch.run(
        () -> {
          batch.defer(broken);
          batch.defer(b);
        });

    assertThat(b.flushes).isEqualTo(1);
  }
}
