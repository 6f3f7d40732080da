package dev.printfleet.gateway.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.printfleet.common.presence.AgentKey;
import dev.printfleet.common.protocol.Envelope;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PendingRequestsTest {

  private final List<String> outcomes = new ArrayList<>();

  private void add(PendingRequests pending, String id, String agent, long timeout) {
    pending.add(
        id,
        new AgentKey("c1", agent),
        timeout,
        o -> outcomes.add(id + ":" + (o.response() != null ? "answered" : o.errorCode().wire())));
  }

  @Test
  void answerResolvesOnlyTheMatchingRequestOfTheSameAgent() {
    var pending = new PendingRequests(10);
    add(pending, "g-1", "agent-a", 1_000_000_000L);
    assertThat(
            pending.answer(
                "g-1", new AgentKey("c1", "agent-b"), Envelope.response("g-1", new JsonObject())))
        .isFalse();
    assertThat(
            pending.answer(
                "g-1", new AgentKey("c1", "agent-a"), Envelope.response("g-1", new JsonObject())))
        .isTrue();
    assertThat(
            pending.answer(
                "g-1", new AgentKey("c1", "agent-a"), Envelope.response("g-1", new JsonObject())))
        .isFalse();
    assertThat(outcomes).containsExactly("g-1:answered");
  }

  @Test
  void overTheLimitTheOldestIsEvictedWithUnavailable() {
    var pending = new PendingRequests(2);
    add(pending, "g-1", "a", 1_000_000_000L);
    add(pending, "g-2", "a", 1_000_000_000L);
    add(pending, "g-3", "a", 1_000_000_000L);
    assertThat(outcomes).containsExactly("g-1:unavailable");
    assertThat(pending.size()).isEqualTo(2);
  }

  @Test
  void sweepTimesOutOnlyExpiredRequests() {
    var pending = new PendingRequests(10);
    add(pending, "g-1", "a", 0);
    add(pending, "g-2", "a", 60_000_000_000L);
    assertThat(pending.sweep(System.nanoTime() + 1)).isEqualTo(1);
    assertThat(outcomes).containsExactly("g-1:timeout");
  }

  @Test
  void agentGoneFailsAllItsRequests() {
    var pending = new PendingRequests(10);
    add(pending, "g-1", "a", 1_000_000_000L);
    add(pending, "g-2", "b", 1_000_000_000L);
    pending.failAgent(new AgentKey("c1", "a"), Envelope.Code.NOT_FOUND, "gone");
    assertThat(outcomes).containsExactly("g-1:not_found");
    assertThat(pending.size()).isEqualTo(1);
  }
}
