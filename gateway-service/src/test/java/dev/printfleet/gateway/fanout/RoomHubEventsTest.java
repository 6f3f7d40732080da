package dev.printfleet.gateway.fanout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.printfleet.common.auth.Principal;
import dev.printfleet.common.auth.Role;
import dev.printfleet.common.messages.AgentEvent;
import dev.printfleet.common.messages.JobEvent;
import dev.printfleet.gateway.session.GatewayMetrics;
import dev.printfleet.gateway.session.Outgoing;
import dev.printfleet.gateway.session.RecordingSession;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A job update and an agent's presence reach each dashboard of the company's room and of the job's
 * branch room here once, whichever of the two rooms it is in, and no one else.
 */
class RoomHubEventsTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private final Vertx vertx = Vertx.vertx();
  private final RoomHub hub =
      new RoomHub(vertx, Duration.ofMillis(100), new GatewayMetrics(new SimpleMeterRegistry()));

  @AfterEach
  void close() {
    vertx.close();
  }

  private Subscriber dashboard(String company, String... rooms) {
    var session =
        new RecordingSession(
            RecordingSession.Kind.DASHBOARD,
            new Principal(
                "u", Role.USER, company, Optional.empty(), Set.of(), T0.plusSeconds(3600)),
            new RecordingSession.Limits(100, 10, 50, Duration.ofSeconds(10)));
    var subscriber = new Subscriber(session);
    for (String room : rooms) {
      hub.join(subscriber, room);
    }
    return subscriber;
  }

  private static List<String> written(Subscriber subscriber) {
    return ((RecordingSession) subscriber.session())
        .written.stream().map(Outgoing::envelope).map(e -> e.type() + " " + e.data()).toList();
  }

  @Test
  void aJobUpdateReachesEachMemberOfEitherRoomOnce() {
    var both =
        dashboard("acme", RoomPolicy.companyRoom("acme"), RoomPolicy.branchRoom("acme", "b1"));
    var company = dashboard("acme", RoomPolicy.companyRoom("acme"));
    var branch = dashboard("acme", RoomPolicy.branchRoom("acme", "b1"));
    var otherBranch = dashboard("acme", RoomPolicy.branchRoom("acme", "b2"));
    var otherCompany =
        dashboard("other", RoomPolicy.companyRoom("other"), RoomPolicy.branchRoom("other", "b1"));

    hub.onJobEvent(new JobEvent("j1", "p1", "acme", "b1", "printed", 1, null, T0, "5-1"));

    for (Subscriber s : List.of(both, company, branch)) {
      assertThat(written(s))
          .singleElement()
          .asString()
          .startsWith("job.update ")
          .contains("\"jobId\":\"j1\"", "\"state\":\"printed\"", "\"offset\":\"5-1\"");
    }
    assertThat(written(otherBranch)).isEmpty();
    assertThat(written(otherCompany)).isEmpty();
  }

  @Test
  void anAgentsPresenceReachesEachMemberOfEitherRoomOnceAndASyncNoOne() {
    var both =
        dashboard("acme", RoomPolicy.companyRoom("acme"), RoomPolicy.branchRoom("acme", "b1"));
    var branch = dashboard("acme", RoomPolicy.branchRoom("acme", "b1"));
    var otherBranch = dashboard("acme", RoomPolicy.branchRoom("acme", "b2"));

    hub.onAgentEvent(
        new AgentEvent(AgentEvent.Kind.PRINTERS_SYNCED, "a1", "acme", "b1", "gw-1", List.of(), T0));
    hub.onAgentEvent(
        new AgentEvent(AgentEvent.Kind.CONNECTED, "a1", "acme", "b1", "gw-1", List.of(), T0));

    for (Subscriber s : List.of(both, branch)) {
      assertThat(written(s))
          .singleElement()
          .asString()
          .startsWith("agent.presence ")
          .contains("\"agentId\":\"a1\"", "\"online\":true");
    }
    assertThat(written(otherBranch)).isEmpty();
  }

  @Test
  void anEventForRoomsWithNoMemberHereIsDropped() {
    var left = dashboard("acme", RoomPolicy.branchRoom("acme", "b1"));
    hub.leave(left, RoomPolicy.branchRoom("acme", "b1"));

    hub.onJobEvent(new JobEvent("j1", "p1", "acme", "b1", "queued", 0, null, T0, "5-1"));

    assertThat(written(left)).isEmpty();
    assertThat(hub.rooms()).isZero();
  }
}
