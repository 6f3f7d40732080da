package dev.printfleet.gateway.agent;

import dev.printfleet.common.presence.AgentKey;
import dev.printfleet.common.protocol.Envelope;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Requests sent to agents and waiting for their {@code response}, oldest first, for the whole
 * gateway process (the limit is the instance's, whichever event loop holds the agent). Bounded:
 * adding past the limit evicts the oldest, which is answered with an error. Shared by the event
 * loops under one lock; each outcome runs on the executor its request was added with (the event
 * loop of the agent's socket), outside the lock.
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

  private record Entry(
      AgentKey agent, long deadlineNanos, Executor executor, Consumer<Outcome> onOutcome) {
    void resolve(Outcome outcome) {
      executor.execute(() -> onOutcome.accept(outcome));
    }
  }

  private final int limit;
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();

  PendingRequests(int limit) {
    this.limit = limit;
  }

  void add(String correlationId, AgentKey agent, long timeoutNanos, Consumer<Outcome> onOutcome) {
    add(correlationId, agent, timeoutNanos, Runnable::run, onOutcome);
  }

  void add(
      String correlationId,
      AgentKey agent,
      long timeoutNanos,
      Executor executor,
      Consumer<Outcome> onOutcome) {
    List<Entry> evicted = new ArrayList<>();
    synchronized (this) {
      while (entries.size() >= limit) {
        Iterator<java.util.Map.Entry<String, Entry>> oldest = entries.entrySet().iterator();
        evicted.add(oldest.next().getValue());
        oldest.remove();
      }
      entries.put(
          correlationId, new Entry(agent, System.nanoTime() + timeoutNanos, executor, onOutcome));
    }
    evicted.forEach(
        e ->
            e.resolve(
                Outcome.failed(
                    Envelope.Code.UNAVAILABLE,
                    "too many requests waiting for agents on this gateway")));
  }

  /** Resolves a request with the agent's response; false when nothing waits for that id. */
  boolean answer(String correlationId, AgentKey agent, Envelope response) {
    Entry entry;
    synchronized (this) {
      entry = entries.get(correlationId);
      if (entry == null || !entry.agent.equals(agent)) {
        return false;
      }
      entries.remove(correlationId);
    }
    entry.resolve(Outcome.answered(response));
    return true;
  }

  /** Fails every request waiting on an agent that went away. */
  void failAgent(AgentKey agent, Envelope.Code code, String message) {
    List<Entry> failed = new ArrayList<>();
    synchronized (this) {
      entries
          .values()
          .removeIf(
              e -> {
                if (e.agent.equals(agent)) {
                  failed.add(e);
                  return true;
                }
                return false;
              });
    }
    failed.forEach(e -> e.resolve(Outcome.failed(code, message)));
  }

  /** Fails requests past their deadline; returns how many. */
  int sweep(long nowNanos) {
    List<Entry> expired = new ArrayList<>();
    synchronized (this) {
      entries
          .values()
          .removeIf(
              e -> {
                if (nowNanos - e.deadlineNanos >= 0) {
                  expired.add(e);
                  return true;
                }
                return false;
              });
    }
    expired.forEach(
        e -> e.resolve(Outcome.failed(Envelope.Code.TIMEOUT, "the agent did not answer in time")));
    return expired.size();
  }

  void failAll(Envelope.Code code, String message) {
    List<Entry> all;
    synchronized (this) {
      all = new ArrayList<>(entries.values());
      entries.clear();
    }
    all.forEach(e -> e.resolve(Outcome.failed(code, message)));
  }

  synchronized int size() {
    return entries.size();
  }
}
