package dev.printfleet.gateway.fanout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.printfleet.common.auth.Principal;
import dev.printfleet.common.auth.Role;
import dev.printfleet.gateway.channels.Offset;
import dev.printfleet.gateway.session.CloseCodes;
import dev.printfleet.gateway.session.Outgoing;
import dev.printfleet.gateway.session.RecordingSession;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * PROTOCOL.md §6's recovery, on one subscriber and in the order events can arrive: live messages
 * that come while the history is read wait, the ones the history delivered are not sent twice, and
 * the rest follow in order.
 */
class ChannelRecoveryTest {

  private static final String ROOM = "acme|orders:branch:b1";

  private static final class ListSession extends RecordingSession {

    ListSession() {
      super(
          Kind.DASHBOARD,
          new Principal(
              "ann", Role.USER, "acme", Optional.empty(), Set.of(), Instant.now().plusSeconds(60)),
          new Limits(100, 10, 50, Duration.ofSeconds(10)));
    }

    List<String> offsets() {
      return written.stream().map(o -> o.envelope().data().getString("offset")).toList();
    }
  }

  private static void live(Subscriber subscriber, String offset) {
    subscriber.deliverChannel(ROOM, "orders:branch:b1", Offset.parse(offset), message(offset));
  }

  private static Outgoing message(String offset) {
    return RoomHub.channelMessage("orders:branch:b1", "TICK", new JsonObject(), offset);
  }

  @Test
  void liveMessagesWaitForTheHistoryAndTheOnesItHeldAreNotSentTwice() {
    var session = new ListSession();
    var subscriber = new Subscriber(session);
    Object token = subscriber.recovering(ROOM);
    // Published before the history was read (so it holds them), heard live meanwhile...
    live(subscriber, "100-1");
    live(subscriber, "100-2");
    // ...and one published after the read.
    live(subscriber, "101-0");
    assertThat(session.written).isEmpty();

    // The history: everything after the client's 100-0, up to 100-2.
    for (String offset : List.of("100-1", "100-2")) {
      subscriber.deliverFromHistory("orders:branch:b1", Offset.parse(offset), message(offset));
    }
    subscriber.recovered(ROOM, token, Offset.parse("100-2"));
    assertThat(session.offsets()).containsExactly("100-1", "100-2", "101-0");

    // A late copy of a message the history held is dropped; newer ones go on.
    live(subscriber, "100-2");
    live(subscriber, "101-1");
    assertThat(session.offsets()).containsExactly("100-1", "100-2", "101-0", "101-1");
  }

  @Test
  void aReadThatOutlivedItsRecoveryDeliversNothingAndDropsNothing() {
    var session = new ListSession();
    var subscriber = new Subscriber(session);
    Object stale = subscriber.recovering(ROOM);
    subscriber.forget(ROOM); // left the room while its history was read
    Object current = subscriber.recovering(ROOM); // joined again, recovering anew
    live(subscriber, "200-0");
    subscriber.recovered(ROOM, stale, Offset.parse("300-0"));
    assertThat(subscriber.isRecovering(ROOM, current)).isTrue();
    assertThat(session.written).isEmpty();
    // Not recovered: no floor, the live message that waited goes out.
    subscriber.recovered(ROOM, current, null);
    assertThat(session.offsets()).containsExactly("200-0");
    live(subscriber, "150-0");
    assertThat(session.offsets()).containsExactly("200-0", "150-0");
  }

  @Test
  void aChannelMessageThatCannotBeKeptClosesTheDashboardInsteadOfBeingDroppedUnseen() {
    var held = new ListSession();
    var recovering = new Subscriber(held);
    recovering.recovering(ROOM);
    for (int i = 0; i <= Subscriber.MAX_BACKLOG_EVENTS; i++) {
      live(recovering, "1-" + i);
    }
    assertThat(held.closedCode).isEqualTo(CloseCodes.TRY_AGAIN_LATER);

    var slow = new ListSession();
    slow.full = true;
    var behind = new Subscriber(slow);
    for (int i = 0; i < Subscriber.MAX_BACKLOG_EVENTS; i++) {
      live(behind, "2-" + i);
    }
    assertThat(slow.closedCode).as("a full backlog alone closes nothing").isZero();
    live(behind, "3-0");
    assertThat(slow.closedCode).isEqualTo(CloseCodes.TRY_AGAIN_LATER);
  }

  @Test
  void theNextPageWaitsUntilTheBacklogIsWrittenOut() {
    var session = new ListSession();
    session.full = true;
    var subscriber = new Subscriber(session);
    live(subscriber, "1-0");
    var ran = new java.util.concurrent.atomic.AtomicBoolean();
    subscriber.whenWritable(() -> ran.set(true));
    assertThat(ran).isFalse();
    session.full = false;
    subscriber.flushBacklog(RoomHub::statusMessage);
    assertThat(session.offsets()).containsExactly("1-0");
    assertThat(ran).isTrue();
  }

  private static final String COMPANY_ROOM = RoomPolicy.companyRoom("acme");
  private static final String BRANCH_ROOM = RoomPolicy.branchRoom("acme", "b1");

  private static void job(Subscriber subscriber, String offset) {
    subscriber.deliverKept(
        COMPANY_ROOM,
        BRANCH_ROOM,
        Offset.parse(offset),
        "job:" + offset,
        RoomHub.jobUpdate(new JsonObject(), Offset.parse(offset)));
  }

  private static List<StatusUpdate> statuses(String... offsets) {
    return java.util.Arrays.stream(offsets)
        .map(o -> new StatusUpdate("p-" + o, "b1", "busy", null, Instant.now(), Offset.parse(o)))
        .toList();
  }

  private static void status(Subscriber subscriber, String... offsets) {
    var updates = statuses(offsets);
    subscriber.deliverStatus(BRANCH_ROOM, updates, RoomHub.statusMessage(updates));
  }

  private static List<String> updateOffsets(ListSession session) {
    List<String> offsets = new java.util.ArrayList<>();
    for (Outgoing o : session.written) {
      var data = o.envelope().data();
      if (data.containsKey("updates")) {
        data.getJsonArray("updates")
            .forEach(u -> offsets.add(((JsonObject) u).getString("offset")));
      } else {
        offsets.add(data.getString("offset"));
      }
    }
    return offsets;
  }

  /**
   * printfleet's events share one offset in the company and branch rooms: a job update waits for a
   * recovery of either room the dashboard is in, and the one that recovery delivered is not sent
   * again; a status frame loses the updates the history delivered.
   */
  @Test
  void keptEventsWaitForARecoveryOfEitherRoomAndAreNotSentTwice() {
    var session = new ListSession();
    var subscriber = new Subscriber(session);
    subscriber.rooms().add(COMPANY_ROOM);
    subscriber.rooms().add(BRANCH_ROOM);
    Object token = subscriber.recovering(BRANCH_ROOM);
    job(subscriber, "10-1");
    status(subscriber, "10-2", "11-0");
    job(subscriber, "11-1");
    assertThat(session.written).isEmpty();

    subscriber.deliverFromHistory(
        "printing:branch:b1",
        Offset.parse("10-1"),
        RoomHub.jobUpdate(new JsonObject(), Offset.parse("10-1")));
    subscriber.deliverFromHistory(
        "printing:branch:b1", Offset.parse("10-2"), RoomHub.statusMessage(statuses("10-2")));
    subscriber.recovered(BRANCH_ROOM, token, Offset.parse("10-2"));
    assertThat(updateOffsets(session)).containsExactly("10-1", "10-2", "11-0", "11-1");

    job(subscriber, "10-1");
    status(subscriber, "10-2");
    job(subscriber, "12-0");
    assertThat(updateOffsets(session)).containsExactly("10-1", "10-2", "11-0", "11-1", "12-0");
  }

  @Test
  void aKeptEventWaitsForTheCompanyRoomsRecoveryToo() {
    var session = new ListSession();
    var subscriber = new Subscriber(session);
    subscriber.rooms().add(COMPANY_ROOM);
    Object token = subscriber.recovering(COMPANY_ROOM);
    job(subscriber, "5-0");
    assertThat(session.written).isEmpty();
    subscriber.recovered(COMPANY_ROOM, token, null);
    assertThat(updateOffsets(session)).containsExactly("5-0");
  }

  /**
   * A dashboard behind on its socket while a printing room is recovered: the history's status and
   * the newer live one that waited for it merge, the newer wins, and the coalesced frame carries no
   * offset (it may overtake job updates still waiting).
   */
  @Test
  void aBehindDashboardGetsThePrintersLatestStatusAfterARecoveryWithoutAnOffset() {
    var session = new ListSession();
    session.full = true;
    var subscriber = new Subscriber(session);
    subscriber.rooms().add(BRANCH_ROOM);
    Object token = subscriber.recovering(BRANCH_ROOM);
    var live =
        List.of(new StatusUpdate("p1", "b1", "error", null, Instant.now(), Offset.parse("20-0")));
    subscriber.deliverStatus(BRANCH_ROOM, live, RoomHub.statusMessage(live));
    var old =
        List.of(
            new StatusUpdate(
                "p1", "b1", "busy", null, Instant.now().minusSeconds(1), Offset.parse("10-0")));
    subscriber.deliverStatusUnheld(BRANCH_ROOM, old, RoomHub.statusMessage(old));
    subscriber.recovered(BRANCH_ROOM, token, Offset.parse("10-0"));
    assertThat(session.written).isEmpty();

    session.full = false;
    subscriber.flushBacklog(RoomHub::statusMessage);
    assertThat(session.written).hasSize(1);
    var updates = session.written.get(0).envelope().data().getJsonArray("updates");
    assertThat(updates).hasSize(1);
    assertThat(updates.getJsonObject(0).getString("status")).isEqualTo("error");
    assertThat(updates.getJsonObject(0).containsKey("offset")).isFalse();
  }

  @Test
  void aKeptJobUpdateThatCannotBeKeptForASlowDashboardClosesIt() {
    var session = new ListSession();
    session.full = true;
    var subscriber = new Subscriber(session);
    subscriber.rooms().add(BRANCH_ROOM);
    for (int i = 0; i < Subscriber.MAX_BACKLOG_EVENTS; i++) {
      job(subscriber, "1-" + i);
    }
    assertThat(session.closedCode).as("a full backlog alone closes nothing").isZero();
    job(subscriber, "2-0");
    assertThat(session.closedCode).isEqualTo(CloseCodes.TRY_AGAIN_LATER);
  }

  @Test
  void offsetsOrderAsTwoNumbersNotAsText() {
    assertThat(Offset.parse("100-10")).isGreaterThan(Offset.parse("100-9"));
    assertThat(Offset.parse("99-0")).isLessThan(Offset.parse("100-0"));
    assertThat(Offset.parse("yesterday")).isNull();
    assertThat(Offset.parse("1-2-3")).isNull();
  }
}
