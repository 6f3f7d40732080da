package dev.printfleet.common.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.spi.metrics.EventBusMetrics;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The event bus series of vertx-micrometer-metrics ({@code vertx_eventbus_*}, same names, same
 * labels once its filters dropped the address), with every meter resolved when the instance starts.
 * Vert.x 4.5's own implementation builds tags and registers a meter through every meter filter on
 * each message, several times per hop; here a message costs a few adder increments. There is no
 * {@code address} label: addresses such as {@code printfleet.gateway.<instanceId>} and reply
 * addresses would make one series per instance or per request.
 */
final class EventBusMeters implements EventBusMetrics<EventBusMeters.Side> {

  private static final String PREFIX = "vertx.eventbus.";

  private final LongAdder handlers = new LongAdder();
  private final Side local;
  private final Side remote;
  private final Map<ReplyFailure, Counter> replyFailures = new EnumMap<>(ReplyFailure.class);
  private final DistributionSummary bytesRead;
  private final DistributionSummary bytesWritten;

  EventBusMeters(MeterRegistry registry) {
    Gauge.builder(PREFIX + "handlers", handlers, LongAdder::doubleValue)
        .description("Number of event bus handlers in use")
        .strongReference(true)
        .register(registry);
    local = new Side(registry, "local");
    remote = new Side(registry, "remote");
    for (ReplyFailure failure : ReplyFailure.values()) {
      replyFailures.put(
          failure,
          Counter.builder(PREFIX + "reply.failures")
              .description("Number of message reply failures")
              .tag("failure", failure.name())
              .register(registry));
    }
    bytesRead =
        DistributionSummary.builder(PREFIX + "bytes.read")
            .description(
                "Number of bytes received while reading messages from event bus cluster peers")
            .register(registry);
    bytesWritten =
        DistributionSummary.builder(PREFIX + "bytes.written")
            .description("Number of bytes sent while sending messages to event bus cluster peers")
            .register(registry);
  }

  /**
   * Vert.x's own addresses (replies, cluster internals) are not counted, as in
   * vertx-micrometer-metrics.
   */
  private static boolean internal(String address) {
    return address.startsWith("__vertx.");
  }

  private Side side(boolean isLocal) {
    return isLocal ? local : remote;
  }

  @Override
  public Side handlerRegistered(String address, String repliedAddress) {
    if (internal(address)) {
      return null;
    }
    handlers.increment();
    // The handler's metric only needs to say it was counted; the side comes with each message.
    return local;
  }

  @Override
  public void handlerUnregistered(Side handler) {
    if (handler != null) {
      handlers.decrement();
    }
  }

  @Override
  public void messageDelivered(Side handler, boolean isLocal) {
    if (handler != null) {
      Side side = side(isLocal);
      side.pending.decrement();
      side.processed.increment();
    }
  }

  @Override
  public void discardMessage(Side handler, boolean isLocal, Message<?> msg) {
    if (handler != null) {
      Side side = side(isLocal);
      side.pending.decrement();
      side.discarded.increment();
    }
  }

  @Override
  public void messageSent(String address, boolean publish, boolean isLocal, boolean isRemote) {
    if (!internal(address)) {
      Side side = side(isLocal);
      (publish ? side.published : side.sent).increment();
    }
  }

  @Override
  public void messageReceived(String address, boolean publish, boolean isLocal, int handlerCount) {
    if (!internal(address)) {
      Side side = side(isLocal);
      side.pending.add(handlerCount);
      side.received.increment();
      if (handlerCount > 0) {
        side.delivered.increment();
      }
    }
  }

  @Override
  public void messageWritten(String address, int numberOfBytes) {
    if (!internal(address)) {
      bytesWritten.record(numberOfBytes);
    }
  }

  @Override
  public void messageRead(String address, int numberOfBytes) {
    if (!internal(address)) {
      bytesRead.record(numberOfBytes);
    }
  }

  @Override
  public void replyFailure(String address, ReplyFailure failure) {
    if (!internal(address)) {
      replyFailures.get(failure).increment();
    }
  }

  /**
   * The meters of one side: messages sent within this instance ({@code local}) or to and from
   * peers.
   */
  static final class Side {
    private final LongAdder pending = new LongAdder();
    private final Counter processed;
    private final Counter published;
    private final Counter sent;
    private final Counter received;
    private final Counter delivered;
    private final Counter discarded;

    private Side(MeterRegistry registry, String side) {
      Gauge.builder(PREFIX + "pending", pending, LongAdder::doubleValue)
          .description("Number of messages not processed yet")
          .tag("side", side)
          .strongReference(true)
          .register(registry);
      processed = counter(registry, "processed", "Number of processed messages", side);
      published =
          counter(
              registry, "published", "Number of messages published (publish / subscribe)", side);
      sent = counter(registry, "sent", "Number of messages sent (point-to-point)", side);
      received = counter(registry, "received", "Number of messages received", side);
      delivered = counter(registry, "delivered", "Number of messages delivered to handlers", side);
      discarded = counter(registry, "discarded", "Number of discarded messages", side);
    }

    private static Counter counter(
        MeterRegistry registry, String name, String description, String side) {
      return Counter.builder(PREFIX + name)
          .description(description)
          .tag("side", side)
          .register(registry);
    }
  }
}
