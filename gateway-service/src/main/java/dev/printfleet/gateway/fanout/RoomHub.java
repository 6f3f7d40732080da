package dev.printfleet.gateway.fanout;

import dev.printfleet.common.history.PrintingHistory;
import dev.printfleet.common.messages.AgentEvent;
import dev.printfleet.common.messages.ChannelMessage;
import dev.printfleet.common.messages.JobEvent;
import dev.printfleet.common.messages.PrinterStatusEvent;
import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.gateway.channels.Offset;
import dev.printfleet.gateway.session.GatewayMetrics;
import dev.printfleet.gateway.session.Outgoing;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The rooms of this gateway instance and their local members. Every gateway hears every printer,
 * job and agent event and forwards it to its own members only: printer statuses batched per room in
 * a fixed window, job updates and presence at once. A message is built once per room and encoded
 * once per wire format, not once per member. Confined to the gateway verticle's event loop.
 */
public final class RoomHub {

  private final Vertx vertx;
  private final Duration window;
  private final GatewayMetrics metrics;
  private final StatusBatcher batcher = new StatusBatcher();
  private final Map<String, Set<Subscriber>> members = new HashMap<>();

  public RoomHub(Vertx vertx, Duration window, GatewayMetrics metrics) {
    this.vertx = vertx;
    this.window = window;
    this.metrics = metrics;
  }

  public void join(Subscriber subscriber, String room) {
    members.computeIfAbsent(room, r -> new LinkedHashSet<>()).add(subscriber);
    subscriber.rooms().add(room);
  }

  public void leave(Subscriber subscriber, String room) {
    Set<Subscriber> set = members.get(room);
    if (set != null) {
      set.remove(subscriber);
      if (set.isEmpty()) {
        members.remove(room);
      }
    }
    subscriber.rooms().remove(room);
    subscriber.forget(room);
  }

  public void leaveAll(Subscriber subscriber) {
    for (String room : List.copyOf(subscriber.rooms())) {
      leave(subscriber, room);
    }
  }

  public int rooms() {
    return members.size();
  }

  /**
   * Batched per room in the window; like a job update, nothing is built (not even its offset read)
   * when neither the company's nor the branch's room has a member on this loop.
   */
  public void onPrinterStatus(PrinterStatusEvent event) {
    String companyRoom = RoomPolicy.companyRoom(event.company());
    String branchRoom = RoomPolicy.branchRoom(event.company(), event.branch());
    boolean toCompany = members.containsKey(companyRoom);
    boolean toBranch = members.containsKey(branchRoom);
    if (!toCompany && !toBranch) {
      return;
    }
    var update =
        new StatusUpdate(
            event.printerId(),
            event.branch(),
            event.status(),
            event.detail(),
            event.at(),
            Offset.parse(event.offset()));
    if (toCompany) {
      offer(companyRoom, update);
    }
    if (toBranch) {
      offer(branchRoom, update);
    }
  }

  private void offer(String room, StatusUpdate update) {
    if (batcher.offer(room, update)) {
      vertx.setTimer(Math.max(1, window.toMillis()), id -> flush(room));
    }
  }

  private void flush(String room) {
    List<StatusUpdate> updates = batcher.take(room);
    Set<Subscriber> set = members.get(room);
    if (updates.isEmpty() || set == null) {
      return;
    }
    metrics.batch(updates.size());
    Outgoing message = statusMessage(updates);
    for (Subscriber subscriber : List.copyOf(set)) {
      subscriber.deliverStatus(room, updates, message);
    }
  }

  public static Outgoing statusMessage(List<StatusUpdate> updates) {
    var list = new JsonArray();
    for (StatusUpdate u : updates) {
      var json =
          PrintingHistory.statusUpdate(u.printerId(), u.branch(), u.status(), u.detail(), u.at());
      if (u.offset() != null) {
        json.put("offset", u.offset().toString());
      }
      list.add(json);
    }
    return Outgoing.of(Envelope.event("printer.status", new JsonObject().put("updates", list)));
  }

  /**
   * Sent once to each member of the company room or the branch room, whichever it is in; an event
   * of the company's printing history (its offset null when Redis did not keep it) waits for a
   * recovery of either room.
   */
  public void onJobEvent(JobEvent event) {
    Rooms rooms = rooms(event.company(), event.branch());
    if (rooms == null) {
      return;
    }
    var data = PrintingHistory.jobUpdate(event);
    Offset offset = Offset.parse(event.offset());
    if (offset != null) {
      data.put("offset", offset.toString());
    }
    Outgoing message = Outgoing.of(Envelope.event(PrintingHistory.JOB_UPDATE, data));
    String key = "job:" + event.jobId();
    for (Subscriber subscriber : rooms.recipients()) {
      subscriber.deliverKept(rooms.company(), rooms.branch(), offset, key, message);
    }
  }

  /** Sent once to each member of the company room or the branch room, at once: it is not kept. */
  public void onAgentEvent(AgentEvent event) {
    if (event.kind() == AgentEvent.Kind.PRINTERS_SYNCED) {
      return;
    }
    Rooms rooms = rooms(event.company(), event.branch());
    if (rooms == null) {
      return;
    }
    var data =
        new JsonObject()
            .put("agentId", event.agentId())
            .put("branch", event.branch())
            .put("online", event.kind() == AgentEvent.Kind.CONNECTED)
            .put("at", event.at().toString());
    Outgoing message = Outgoing.of(Envelope.event("agent.presence", data));
    String key = "agent:" + event.agentId();
    for (Subscriber subscriber : rooms.recipients()) {
      subscriber.deliverEvent(key, message);
    }
  }

  /** A message published to a channel: to each of the channel's members here, once. */
  public void onChannelMessage(ChannelMessage message) {
    RoomPolicy.Channel channel = RoomPolicy.Channel.of(message.channel());
    String room = channel == null ? null : RoomPolicy.key(message.company(), channel);
    Set<Subscriber> set = room == null ? null : members.get(room);
    if (set == null) {
      return;
    }
    Offset offset = Offset.parse(message.offset());
    Outgoing outgoing =
        channelMessage(message.channel(), message.event(), message.data(), message.offset());
    for (Subscriber subscriber : List.copyOf(set)) {
      subscriber.deliverChannel(room, message.channel(), offset, outgoing);
    }
  }

  /** PROTOCOL.md §6's {@code channel.message}, live or from the history. */
  public static Outgoing channelMessage(
      String channel, String event, JsonObject data, Object offset) {
    return Outgoing.of(
        Envelope.event(
            "channel.message",
            new JsonObject()
                .put("channel", channel)
                .put("event", event)
                .put("data", data)
                .put("offset", String.valueOf(offset))));
  }

  /** A {@code job.update} of a company's history as a recovery sends it, with its offset. */
  public static Outgoing jobUpdate(JsonObject data, Offset offset) {
    return Outgoing.of(
        Envelope.event(PrintingHistory.JOB_UPDATE, data.copy().put("offset", offset.toString())));
  }

  /**
   * A company's room and one of its branch rooms, with their members here: each member once, in a
   * copy (a delivery may close a member, which leaves its rooms).
   */
  private record Rooms(String company, String branch, Collection<Subscriber> recipients) {}

  /**
   * The rooms an event of this company and branch goes to, or null when neither has a member here:
   * then nothing is built for it (every gateway loop hears every job and agent event).
   */
  private Rooms rooms(String company, String branch) {
    String companyRoom = RoomPolicy.companyRoom(company);
    String branchRoom = RoomPolicy.branchRoom(company, branch);
    Set<Subscriber> companyMembers = members.get(companyRoom);
    Set<Subscriber> branchMembers = members.get(branchRoom);
    Collection<Subscriber> recipients;
    if (companyMembers == null && branchMembers == null) {
      return null;
    } else if (branchMembers == null) {
      recipients = List.copyOf(companyMembers);
    } else if (companyMembers == null) {
      recipients = List.copyOf(branchMembers);
    } else {
      var both = new LinkedHashSet<>(companyMembers);
      both.addAll(branchMembers);
      recipients = both;
    }
    return new Rooms(companyRoom, branchRoom, recipients);
  }
}
