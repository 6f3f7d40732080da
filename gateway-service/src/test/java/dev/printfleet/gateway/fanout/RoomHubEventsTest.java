package dev.printfleet.gateway.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.auth.Principal;
import dev.printfleet.common.auth.Role;
import dev.printfleet.common.messages.AgentEvent;
import dev.printfleet.common.messages.JobEvent;
import dev.printfleet.common.messages.PrinterStatusEvent;
import dev.printfleet.gateway.session.GatewayMetrics;
import dev.printfleet.gateway.session.Outgoing;
import dev.printfleet.gateway.session.RecordingSession;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A job update, an agent's presence and a printer status reach each dashboard of the company's room
 * and of the branch's room on this loop once, whichever of the two rooms it is in, and no one else.
 * The hub is confined to its event loop: every step here runs on one.
 */
class RoomHubEventsTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final String COMPANY = RoomPolicy.companyRoom("acme");
  private static final String B1 = RoomPolicy.branchRoom("acme", "b1");

  private final Vertx vertx = Vertx.vertx();
  private final Context loop = vertx.getOrCreateContext();
  private final RoomHub hub =
      new RoomHub(vertx, Duration.ofMillis(20), new GatewayMetrics(new SimpleMeterRegistry()));

  @AfterEach
  void close() {
    vertx.close();
  }

  private <T> T onLoop(Callable<T> work) throws Exception {
    var result = new CompletableFuture<T>();
    loop.runOnContext(
        v -> {
          try {
            result.complete(work.call());
          } catch (Exception | AssertionError e) {
            result.completeExceptionally(e);
          }
        });
    return result.get(10, TimeUnit.SECONDS);
  }

  private void onLoop(Runnable work) throws Exception {
    onLoop(
        () -> {
          work.run();
          return null;
        });
  }

  private static RecordingSession session(String company) {
    return new RecordingSession(
        RecordingSession.Kind.DASHBOARD,
        new Principal("u", Role.USER, company, Optional.empty(), Set.of(), T0.plusSeconds(3600)),
        new RecordingSession.Limits(100, 10, 50, Duration.ofSeconds(10)));
  }

  private Subscriber dashboard(RecordingSession session, String... rooms) throws Exception {
    var subscriber = new Subscriber(session);
    onLoop(
        () -> {
          for (String room : rooms) {
            hub.join(subscriber, room);
          }
        });
    return subscriber;
  }

  private Subscriber dashboard(String company, String... rooms) throws Exception {
    return dashboard(session(company), rooms);
  }

  private List<String> written(Subscriber subscriber) throws Exception {
    return onLoop(
        () ->
            ((RecordingSession) subscriber.session())
                .written.stream()
                    .map(Outgoing::envelope)
                    .map(e -> e.type() + " " + e.data())
                    .toList());
  }

  /** Each of these got exactly one frame, of this type, holding every one of these parts. */
  private void eachGotOne(List<Subscriber> subscribers, String type, String... parts)
      throws Exception {
    for (Subscriber s : subscribers) {
      assertThat(written(s)).singleElement().asString().startsWith(type + " ").contains(parts);
    }
  }

  private void noneGotAny(Subscriber... subscribers) throws Exception {
    for (Subscriber s : subscribers) {
      assertThat(written(s)).isEmpty();
    }
  }

  @Test
  void aJobUpdateReachesEachMemberOfEitherRoomOnce() throws Exception {
    var both = dashboard("acme", COMPANY, B1);
    var company = dashboard("acme", COMPANY);
    var branch = dashboard("acme", B1);
    var otherBranch = dashboard("acme", RoomPolicy.branchRoom("acme", "b2"));
    var otherCompany =
        dashboard("other", RoomPolicy.companyRoom("other"), RoomPolicy.branchRoom("other", "b1"));

    onLoop(
        () ->
            hub.onJobEvent(new JobEvent("j1", "p1", "acme", "b1", "printed", 1, null, T0, "5-1")));

    eachGotOne(
        List.of(both, company, branch),
        "job.update",
        "\"jobId\":\"j1\"",
        "\"state\":\"printed\"",
        "\"offset\":\"5-1\"");
    noneGotAny(otherBranch, otherCompany);
  }

  @Test
  void anAgentsPresenceReachesEachMemberOfEitherRoomOnceAndASyncNoOne() throws Exception {
    var both = dashboard("acme", COMPANY, B1);
    var branch = dashboard("acme", B1);
    var otherBranch = dashboard("acme", RoomPolicy.branchRoom("acme", "b2"));

    onLoop(
        () -> {
          hub.onAgentEvent(
              new AgentEvent(
                  AgentEvent.Kind.PRINTERS_SYNCED, "a1", "acme", "b1", "gw-1", List.of(), T0));
          hub.onAgentEvent(
              new AgentEvent(AgentEvent.Kind.CONNECTED, "a1", "acme", "b1", "gw-1", List.of(), T0));
        });

    eachGotOne(List.of(both, branch), "agent.presence", "\"agentId\":\"a1\"", "\"online\":true");
    noneGotAny(otherBranch);
  }

  @Test
  void aPrinterStatusReachesTheMembersOfEachRoomInItsWindowAndNoOneElse() throws Exception {
    var company = dashboard("acme", COMPANY);
    var branch = dashboard("acme", B1);
    var otherBranch = dashboard("acme", RoomPolicy.branchRoom("acme", "b2"));
    var otherCompany = dashboard("other", RoomPolicy.branchRoom("other", "b1"));

    onLoop(
        () ->
            hub.onPrinterStatus(
                new PrinterStatusEvent("a1", "acme", "b1", "p1", "busy", null, T0, "7-1")));

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> written(company).size() == 1 && written(branch).size() == 1);
    eachGotOne(
        List.of(company, branch),
        "printer.status",
        "\"printerId\":\"p1\"",
        "\"status\":\"busy\"",
        "\"offset\":\"7-1\"");
    noneGotAny(otherBranch, otherCompany);
  }

  /** A dashboard that leaves its rooms as it is written to, as one closed by a delivery does. */
  private Subscriber leavingOnItsFirstFrame(String... rooms) throws Exception {
    var subscriber = new Subscriber[1];
    var session =
        new RecordingSession(
            RecordingSession.Kind.DASHBOARD,
            session("acme").principal(),
            new RecordingSession.Limits(100, 10, 50, Duration.ofSeconds(10))) {
          @Override
          protected void write(Outgoing message) {
            super.write(message);
            for (String room : rooms) {
              hub.leave(subscriber[0], room);
            }
          }
        };
    subscriber[0] = dashboard(session, rooms);
    return subscriber[0];
  }

  private void jobEvent(String jobId) throws Exception {
    onLoop(
        () ->
            hub.onJobEvent(new JobEvent(jobId, "p1", "acme", "b1", "queued", 0, null, T0, "5-1")));
  }

  /**
   * A delivery may close its dashboard, which then leaves its rooms while the event is still on its
   * way to the others: they get it all the same (the members are a copy, not the room's own set),
   * whether one room has members here or both.
   */
  @Test
  void aMemberThatLeavesDuringADeliveryDoesNotCostTheOthersTheirs() throws Exception {
    // First in the room's order, so the others are still to come when it leaves.
    var leaving = leavingOnItsFirstFrame(B1);
    var stays = dashboard("acme", B1);
    var staysToo = dashboard("acme", B1);

    jobEvent("j1");

    for (Subscriber s : List.of(leaving, stays, staysToo)) {
      assertThat(written(s)).singleElement().asString().contains("\"jobId\":\"j1\"");
    }
    jobEvent("j2");
    assertThat(written(leaving)).hasSize(1);
    assertThat(written(stays)).hasSize(2);

    var leavingBoth = leavingOnItsFirstFrame(COMPANY, B1);
    var inCompany = dashboard("acme", COMPANY);
    jobEvent("j3");
    assertThat(written(leavingBoth)).singleElement().asString().contains("\"jobId\":\"j3\"");
    assertThat(written(inCompany)).singleElement().asString().contains("\"jobId\":\"j3\"");
    assertThat(written(stays)).hasSize(3);
  }

  @Test
  void aDashboardThatLeftItsOnlyRoomGetsNothingAndTheRoomIsGone() throws Exception {
    var left = dashboard("acme", B1);
    onLoop(() -> hub.leave(left, B1));

    onLoop(
        () -> hub.onJobEvent(new JobEvent("j1", "p1", "acme", "b1", "queued", 0, null, T0, "5-1")));

    assertThat(written(left)).isEmpty();
    assertThat(onLoop(hub::rooms)).isZero();
  }
}
