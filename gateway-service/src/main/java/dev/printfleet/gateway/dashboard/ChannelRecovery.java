package dev.printfleet.gateway.dashboard;

import dev.printfleet.common.history.PrintingHistory;
import dev.printfleet.gateway.channels.ChannelHistory;
import dev.printfleet.gateway.channels.Offset;
import dev.printfleet.gateway.fanout.RoomHub;
import dev.printfleet.gateway.fanout.RoomPolicy;
import dev.printfleet.gateway.fanout.StatusUpdate;
import dev.printfleet.gateway.fanout.Subscriber;
import dev.printfleet.gateway.session.CloseCodes;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One room's recovery for one dashboard (PROTOCOL.md §6), on the dashboard's event loop: the
 * history read from the client's offset a page at a time, each page starting at the last offset
 * read so a trim between two pages is seen, delivered in order; then the live messages that waited.
 * A page is read only once the previous one is on its way to the socket, so a recovery holds about
 * a page (at most 20 messages of 64 KiB) however long the history.
 *
 * <p>A printing room reads its company's printing events ({@link PrintingHistory}), a branch room
 * only its branch's of them, from {@link #STATUS_REWIND_MS} before the offset: statuses of that
 * second are sent again, as the live ones may have been held in their room's window when the client
 * got a later offset.
 */
final class ChannelRecovery {

  private static final Logger log = LoggerFactory.getLogger(ChannelRecovery.class);

  /** Messages read from Redis at once (each at most 64 KiB). */
  static final int PAGE = 20;

  /** How far before the client's offset a printing room's statuses are sent again. */
  static final long STATUS_REWIND_MS = 1_000;

  private final Context loop;
  private final ChannelHistory history;
  private final Subscriber subscriber;
  private final RoomPolicy.Allowed room;
  private final String company;
  private final Offset since;
  private final Object token;
  private Offset last;
  private List<ChannelHistory.Entry> firstPage;

  /** A printing room's: its company's events are read, and of those its branch's (null: all). */
  private final boolean printing;

  private final String branch;

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
    RoomPolicy.Channel channel = RoomPolicy.Channel.of(room.channel());
    this.printing = channel.namespace().equals(RoomPolicy.PRINTING);
    this.branch = printing && channel.kind().equals(RoomPolicy.BRANCH) ? channel.id() : null;
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
    if (printing) {
      Offset from = new Offset(Math.max(0, since.millis() - STATUS_REWIND_MS), 0);
      history
          .printingStart(company, from, since, PAGE + 1)
          .onComplete(
              read ->
                  loop.runOnContext(
                      v -> {
                        var start = read.succeeded() ? read.result() : null;
                        // The history still holds the client's offset (trimming takes the oldest
                        // first, so everything after it too), and nothing after it was left out.
                        if (start != null
                            && start.holdsSince()
                            && (start.gap() == null || start.gap().compareTo(since) <= 0)) {
                          firstPage = start.page();
                        }
                        recovered.complete(firstPage != null);
                      }));
      return recovered.future();
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
      // A channel's first page starts at the client's offset, which it has; a printing room's
      // before it, and every entry of it is looked at.
      deliver(page, printing ? 0 : 1);
    }
  }

  /**
   * Delivers a page from its {@code first} entry (the ones before it were delivered), then reads
   * and delivers the next one, until the history's end.
   */
  private void deliver(List<ChannelHistory.Entry> page, int first) {
    if (!subscriber.isRecovering(room.key(), token)) {
      return;
    }
    for (ChannelHistory.Entry entry : page.subList(first, page.size())) {
      last = entry.offset();
      if (!printing) {
        subscriber.deliverFromHistory(
            room.channel(),
            entry.offset(),
            RoomHub.channelMessage(room.channel(), entry.event(), entry.data(), entry.offset()));
      } else {
        deliverPrinting(entry);
      }
    }
    if (page.size() < PAGE + 1 || subscriber.session().isClosed()) {
      subscriber.recovered(room.key(), token, last);
      return;
    }
    // The next page once this one is on its way: a slow dashboard is never sent more than a page
    // ahead of what its socket takes.
    subscriber.whenWritable(this::readNext);
  }

  /**
   * The events of a printing entry this room sends, in order, each with the entry's offset: its
   * branch's (any, for the company room); of the entry at the client's offset too (the client may
   * hold only some of them), and of the second before it its statuses.
   */
  private void deliverPrinting(ChannelHistory.Entry entry) {
    int order = entry.offset().compareTo(since);
    for (Object each : entry.data().getJsonArray("events", new JsonArray())) {
      if (!(each instanceof JsonObject event)
          || !(event.getValue("data") instanceof JsonObject data)
          || branch != null && !branch.equals(data.getString("branch"))) {
        continue;
      }
      String type = event.getString("type");
      try {
        if (PrintingHistory.PRINTER_STATUS.equals(type)) {
          var update =
              List.of(
                  new StatusUpdate(
                      data.getString("printerId"),
                      data.getString("branch"),
                      data.getString("status"),
                      data.getString("detail"),
                      Instant.parse(data.getString("at")),
                      entry.offset()));
          subscriber.deliverStatusUnheld(room.key(), update, RoomHub.statusMessage(update));
        } else if (PrintingHistory.JOB_UPDATE.equals(type) && order >= 0) {
          // Under the job's key, as live updates: a behind dashboard keeps the job's latest.
          subscriber.deliverEvent(
              Subscriber.KEPT_KEY + "job:" + data.getString("jobId"),
              RoomHub.jobUpdate(data, entry.offset()));
        }
      } catch (RuntimeException e) {
        // Written by printfleet; an event it cannot read is left out, not the recovery.
        log.debug("A printing history event could not be read offset={}", entry.offset(), e);
      }
    }
  }

  private void readNext() {
    if (!subscriber.isRecovering(room.key(), token)) {
      return;
    }
    (printing
            ? history.printingPage(company, last, PAGE + 1)
            : history.page(company, room.channel(), last, PAGE + 1))
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
                      deliver(read.result(), 1);
                    }));
  }
}
