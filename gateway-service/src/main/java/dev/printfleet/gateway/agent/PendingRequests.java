package dev.printfleet.gateway.agent;

import dev.printfleet.common.presence.AgentKey;
import dev.printfleet.common.protocol.Envelope;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.function.Consumer;

/**
 * Requests sent to agents and waiting for their {@code response}, oldest first. Bounded: adding
 * past the limit evicts the oldest, which is answered with an error. Event-loop confined.
 */
final class PendingRequests {

  /** An answer, or the error code and message when there is none. */
  record Outcome(Envelope response, Envelope.Code errorCode, String errorMessage) {
    static Outcome answered(Envelope response) {
      return new Outcome(response, null, null);
    }

    static Outcome failed(Envelope.Code code, String message) {
      return new Outcome(null, code, message);
    }
  }

  private record Entry(AgentKey agent, long deadlineNanos, Consumer<Outcome> onOutcome) {}

  private final int limit;
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();

  PendingRequests(int limit) {
    this.limit = limit;
  }

  void add(String correlationId, AgentKey agent, long timeoutNanos, Consumer<Outcome> onOutcome) {
    while (entries.size() >= limit) {
      Iterator<java.util.Map.Entry<String, Entry>> oldest = entries.entrySet().iterator();
      Entry evicted = oldest.next().getValue();
      oldest.remove();
      evicted.onOutcome.accept(
          Outcome.failed(Envelope.Code.UNAVAILABLE, "too many requests waiting for agents on this gateway"));
    }
    entries.put(correlationId, new Entry(agent, System.nanoTime() + timeoutNanos, onOutcome));
  }

  /** Resolves a request with the agent's response; false when nothing waits for that id. */
  boolean answer(String correlationId, AgentKey agent, Envelope response) {
    Entry entry = entries.get(correlationId);
    if (entry == null || !entry.agent.equals(agent)) {
      return false;
    }
    entries.remove(correlationId);
    entry.onOutcome.accept(Outcome.answered(response));
    return true;
  }

  /** Fails every request waiting on an agent that went away. */
  void failAgent(AgentKey agent, Envelope.Code code, String message) {
    List<Entry> failed = new ArrayList<>();
    entries.values().removeIf(e -> {
      if (e.agent.equals(agent)) {
        failed.add(e);
        return true;
      }
      return false;
    });
    failed.forEach(e -> e.onOutcome.accept(Outcome.failed(code, message)));
  }

  /** Fails requests past their deadline; returns how many. */
  int sweep(long nowNanos) {
    List<Entry> expired = new ArrayList<>();
    entries.values().removeIf(e -> {
      if (nowNanos - e.deadlineNanos >= 0) {
        expired.add(e);
        return true;
      }
      return false;
    });
    expired.forEach(e -> e.onOutcome.accept(Outcome.failed(Envelope.Code.TIMEOUT, "the agent did not answer in time")));
    return expired.size();
  }

  void failAll(Envelope.Code code, String message) {
    List<Entry> all = new ArrayList<>(entries.values());
    entries.clear();
    all.forEach(e -> e.onOutcome.accept(Outcome.failed(code, message)));
  }

  int size() {
    return entries.size();
  }
}
