package dev.printfleet.gateway.dashboard;

import dev.printfleet.gateway.channels.ChannelHistory;
import dev.printfleet.gateway.channels.Offset;
import dev.printfleet.gateway.fanout.RoomHub;
import dev.printfleet.gateway.fanout.RoomPolicy;
import dev.printfleet.gateway.fanout.Subscriber;
import dev.printfleet.gateway.session.CloseCodes;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.List;

/**
 * One room's recovery for one dashboard (PROTOCOL.md §6), on the dashboard's event loop: the
 * history read from the client's offset a page at a time, each page starting at the last offset
 * delivered so a trim between two pages is seen, delivered in order; then the live messages that
 * waited. A page is read only once the previous one is on its way to the socket, so a recovery
 * holds about a page (at most 20 messages of 64 KiB) however long the history.
 */
final class ChannelRecovery {

  /** Messages read from Redis at once (each at most 64 KiB). */
  static final int PAGE = 20;

  private final Context loop;
  private final ChannelHistory history;
  private final Subscriber subscriber;
  private final RoomPolicy.Allowed room;
  private final String company;
  private final Offset since;
  private final Object token;
  private Offset last;
  private List<ChannelHistory.Entry> firstPage;

  /**
   * @param company the company whose history holds the channel ({@link RoomPolicy#owner})
   */
  ChannelRecovery(
      Context loop,
      ChannelHistory history,
      Subscriber subscriber,
      RoomPolicy.Allowed room,
      String company,
      Offset since) {
    this.loop = loop;
    this.history = history;
    this.subscriber = subscriber;
    this.room = room;
    this.company = company;
    this.since = since;
    this.last = since;
    this.token = subscriber.recovering(room.key());
  }

  /**
   * Reads the first page: whether the history still holds the client's offset (then everything
   * after it is there). Nothing is delivered until {@link #resume}, after the subscribe's answer.
   */
  Future<Boolean> start() {
    Promise<Boolean> recovered = Promise.promise();
    if (subscriber.session().isClosed()) {
      subscriber.forget(room.key());
      return Future.succeededFuture(false);
    }
    history
        .page(company, room.channel(), since, PAGE + 1)
        .onComplete(
            read ->
                loop.runOnContext(
                    v -> {
                      List<ChannelHistory.Entry> page = read.succeeded() ? read.result() : null;
                      if (page != null && !page.isEmpty() && page.get(0).offset().equals(since)) {
                        firstPage = page;
                      }
                      recovered.complete(firstPage != null);
                    }));
    return recovered.future();
  }

  /** After the answer: the history in order, then the live messages; or, not recovered, those. */
  void resume() {
    if (firstPage == null) {
      subscriber.recovered(room.key(), token, null);
    } else {
      var page = firstPage;
      firstPage = null;
      deliver(page);
    }
  }

  /** Delivers a page, then reads and delivers the next one, until the history's end. */
  private void deliver(List<ChannelHistory.Entry> page) {
    if (!subscriber.isRecovering(room.key(), token)) {
      return;
    }
    for (ChannelHistory.Entry entry : page.subList(1, page.size())) {
      subscriber.deliverFromHistory(
          room.channel(),
          entry.offset(),
          RoomHub.channelMessage(room.channel(), entry.event(), entry.data(), entry.offset()));
      last = entry.offset();
    }
    if (page.size() < PAGE + 1 || subscriber.session().isClosed()) {
      subscriber.recovered(room.key(), token, last);
      return;
    }
    // The next page once this one is on its way: a slow dashboard is never sent more than a page
    // ahead of what its socket takes.
    subscriber.whenWritable(this::readNext);
  }

  private void readNext() {
    if (!subscriber.isRecovering(room.key(), token)) {
      return;
    }
    history
        .page(company, room.channel(), last, PAGE + 1)
        .onComplete(
            read ->
                loop.runOnContext(
                    v -> {
                      if (!subscriber.isRecovering(room.key(), token)) {
                        return;
                      }
                      if (read.failed()
                          || read.result().isEmpty()
                          || !read.result().get(0).offset().equals(last)) {
                        // Trimmed between two pages, or Redis gone: nothing more of this room goes
                        // out (the live messages that waited are dropped with the recovery), and
                        // the client comes back with the last offset it has, still before the gap.
                        subscriber
                            .session()
                            .close(
                                CloseCodes.TRY_AGAIN_LATER,
                                "the channel history moved during the recovery; reconnect with since");
                        subscriber.forget(room.key());
                        return;
                      }
                      deliver(read.result());
                    }));
  }
}
