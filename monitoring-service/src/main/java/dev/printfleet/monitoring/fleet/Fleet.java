package dev.printfleet.monitoring.fleet;

import dev.printfleet.common.messages.AgentEvent;
import dev.printfleet.common.messages.PrinterInfo;
import dev.printfleet.common.messages.PrinterStatusEvent;
import dev.printfleet.common.presence.AgentKey;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The fleet of agents and printers, from the gateways' agent and printer events: who is online, who
 * has been offline too long, who reconnects too often. An event older than what is known of the
 * agent is ignored, so a late disconnect of a replaced socket does not turn it offline.
 */
public final class Fleet {

  private static final Duration RECONNECT_WINDOW = Duration.ofMinutes(1);

  /** Agents by company and branch. */
  public record BranchCounts(
      String company,
      String branch,
      int agentsOnline,
      int agentsOffline,
      int printersOnline,
      int printersOffline) {}

  // By company and agent id: two companies may issue the same agent id.
  private final Map<AgentKey, AgentRecord> agents = new ConcurrentHashMap<>();
  private final Map<AgentKey, Deque<Instant>> connects = new ConcurrentHashMap<>();
  // Agents changed since the dashboard stream last took them (takeChanged).
  private final Set<AgentKey> changed = ConcurrentHashMap.newKeySet();

  /** Applies an agent event; returns the record to store, or empty when the event was stale. */
  public Optional<AgentRecord> apply(AgentEvent event) {
    AgentRecord old = agents.get(new AgentKey(event.company(), event.agentId()));
    if (old != null
        && event.at().isBefore(old.since())
        && event.kind() != AgentEvent.Kind.PRINTERS_SYNCED) {
      return Optional.empty();
    }
    Map<String, String> printers =
        old == null ? new LinkedHashMap<>() : new LinkedHashMap<>(old.printers());
    AgentRecord updated =
        switch (event.kind()) {
          case CONNECTED -> {
            countConnect(new AgentKey(event.company(), event.agentId()), event.at());
            yield new AgentRecord(
                event.agentId(),
                event.company(),
                event.branch(),
                true,
                event.at(),
                event.instanceId(),
                printers);
          }
          case DISCONNECTED -> {
            if (old != null && !event.instanceId().equals(old.instance()) && old.online()) {
              // Another gateway holds the agent now: this is the older socket closing.
              yield null;
            }
            yield new AgentRecord(
                event.agentId(),
                event.company(),
                event.branch(),
                false,
                event.at(),
                event.instanceId(),
                printers);
          }
          case PRINTERS_SYNCED -> {
            Map<String, String> synced = new LinkedHashMap<>();
            for (PrinterInfo p : event.printers()) {
              synced.put(p.id(), p.status());
            }
            boolean online = old == null || old.online();
            yield new AgentRecord(
                event.agentId(),
                event.company(),
                event.branch(),
                online,
                old == null ? event.at() : old.since(),
                event.instanceId(),
                synced);
          }
        };
    if (updated == null) {
      return Optional.empty();
    }
    put(updated);
    return Optional.of(updated);
  }

  public Optional<AgentRecord> apply(PrinterStatusEvent event) {
    AgentRecord old = agents.get(new AgentKey(event.company(), event.agentId()));
    if (old == null) {
      return Optional.empty();
    }
    Map<String, String> printers = new LinkedHashMap<>(old.printers());
    printers.put(event.printerId(), event.status());
    AgentRecord updated =
        new AgentRecord(
            old.agentId(),
            old.company(),
            old.branch(),
            old.online(),
            old.since(),
            old.instance(),
            printers);
    put(updated);
    return Optional.of(updated);
  }

  private void put(AgentRecord record) {
    AgentKey key = keyOf(record);
    agents.put(key, record);
    changed.add(key);
  }

  /**
   * The agents changed since the last call (by an event or a load), forgotten as they are taken.
   */
  public List<AgentKey> takeChanged() {
    List<AgentKey> taken = new ArrayList<>();
    for (var it = changed.iterator(); it.hasNext(); ) {
      taken.add(it.next());
      it.remove();
    }
    return taken;
  }

  public Optional<AgentRecord> get(AgentKey key) {
    return Optional.ofNullable(agents.get(key));
  }

  /** Adopts a record from the shared store unless this fleet knows something newer. */
  public void adopt(AgentRecord record) {
    agents.merge(
        keyOf(record), record, (old, loaded) -> loaded.since().isAfter(old.since()) ? loaded : old);
    changed.add(keyOf(record));
  }

  /** The key a record is held under, also its field in the shared store. */
  public static AgentKey keyOf(AgentRecord record) {
    return new AgentKey(record.company(), record.agentId());
  }

  private void countConnect(AgentKey agent, Instant at) {
    Deque<Instant> times = connects.computeIfAbsent(agent, k -> new ArrayDeque<>());
    synchronized (times) {
      times.addLast(at);
      while (times.size() > 1000) {
        times.removeFirst();
      }
    }
  }

  /**
   * Connections per agent ({@code company/agentId}) within the last minute, agents with more than
   * one only, most first.
   */
  public Map<String, Integer> reconnectsPerMinute(Instant now) {
    Map<String, Integer> result = new LinkedHashMap<>();
    reconnectsByAgent(now).forEach((agent, count) -> result.put(agent.toString(), count));
    return result;
  }

  private Map<AgentKey, Integer> reconnectsByAgent(Instant now) {
    Instant from = now.minus(RECONNECT_WINDOW);
    Map<AgentKey, Integer> counts = new LinkedHashMap<>();
    connects
        .entrySet()
        .removeIf(
            e -> {
              Deque<Instant> times = e.getValue();
              synchronized (times) {
                while (!times.isEmpty() && times.peekFirst().isBefore(from)) {
                  times.removeFirst();
                }
                if (times.size() > 1) {
                  // The first connection of the window is a connect; the ones after it are
                  // reconnects.
                  counts.put(e.getKey(), times.size() - 1);
                }
                return times.isEmpty();
              }
            });
    List<Map.Entry<AgentKey, Integer>> sorted = new ArrayList<>(counts.entrySet());
    sorted.sort(Map.Entry.<AgentKey, Integer>comparingByValue().reversed());
    Map<AgentKey, Integer> result = new LinkedHashMap<>();
    sorted.forEach(e -> result.put(e.getKey(), e.getValue()));
    return result;
  }

  public List<AgentRecord> agents() {
    return List.copyOf(agents.values());
  }

  public List<AgentRecord> offlineLongerThan(Duration limit, Instant now) {
    return agents.values().stream()
        .filter(a -> !a.online() && Duration.between(a.since(), now).compareTo(limit) > 0)
        .sorted(Comparator.comparing(AgentRecord::since))
        .toList();
  }

  private static boolean printerOnline(AgentRecord agent, String status) {
    return agent.online() && !"offline".equals(status);
  }

  public List<BranchCounts> byBranch() {
    Map<String, int[]> counts = new TreeMap<>();
    for (AgentRecord a : agents.values()) {
      int[] c = counts.computeIfAbsent(a.company() + "\u0000" + a.branch(), k -> new int[4]);
      c[a.online() ? 0 : 1]++;
      for (String status : a.printers().values()) {
        c[printerOnline(a, status) ? 2 : 3]++;
      }
    }
    List<BranchCounts> list = new ArrayList<>();
    counts.forEach(
        (key, c) -> {
          String[] parts = key.split("\u0000", 2);
          list.add(new BranchCounts(parts[0], parts[1], c[0], c[1], c[2], c[3]));
        });
    return list;
  }

  /** The fleet of {@code GET /monitoring/printers}. */
  public JsonObject toJson(Duration offlineLimit, Instant now) {
    int agentsOnline = 0;
    int agentsOffline = 0;
    int printersOnline = 0;
    int printersOffline = 0;
    var branches = new JsonArray();
    var companies = new TreeMap<String, JsonObject>();
    for (BranchCounts b : byBranch()) {
      agentsOnline += b.agentsOnline();
      agentsOffline += b.agentsOffline();
      printersOnline += b.printersOnline();
      printersOffline += b.printersOffline();
      branches.add(
          new JsonObject()
              .put("company", b.company())
              .put("branch", b.branch())
              .put("agents", counts(b.agentsOnline(), b.agentsOffline()))
              .put("printers", counts(b.printersOnline(), b.printersOffline())));
      var company =
          companies.computeIfAbsent(
              b.company(),
              k ->
                  new JsonObject()
                      .put("company", k)
                      .put("agents", counts(0, 0))
                      .put("printers", counts(0, 0)));
      add(company.getJsonObject("agents"), b.agentsOnline(), b.agentsOffline());
      add(company.getJsonObject("printers"), b.printersOnline(), b.printersOffline());
    }
    List<AgentRecord> offlineLong = offlineLongerThan(offlineLimit, now);
    return new JsonObject()
        .put("agents", counts(agentsOnline, agentsOffline))
        .put("printers", counts(printersOnline, printersOffline))
        .put("byCompany", new JsonArray(new ArrayList<>(companies.values())))
        .put("byBranch", branches)
        .put("agentsOfflineLong", offlineJson(offlineLong, offlineLong.size(), now))
        .put("offlineLimitS", offlineLimit.toSeconds())
        .put("reconnects", reconnectsJson(50, now));
  }

  /**
   * The dashboard stream's part of the fleet, without a list per branch or company: the agents
   * online and offline, the first {@code maxOffline} agents offline longer than the limit with
   * their count, and the {@code maxReconnects} agents reconnecting most.
   */
  public JsonObject summary(Duration offlineLimit, Instant now, int maxOffline, int maxReconnects) {
    int online = 0;
    for (AgentRecord a : agents.values()) {
      online += a.online() ? 1 : 0;
    }
    List<AgentRecord> offlineLong = offlineLongerThan(offlineLimit, now);
    return new JsonObject()
        .put("agents", counts(online, agents.size() - online))
        .put("agentsOfflineLongCount", offlineLong.size())
        .put("agentsOfflineLong", offlineJson(offlineLong, maxOffline, now))
        .put("offlineLimitS", offlineLimit.toSeconds())
        .put("reconnects", reconnectsJson(maxReconnects, now));
  }

  private static JsonArray offlineJson(List<AgentRecord> offline, int max, Instant now) {
    var list = new JsonArray();
    for (AgentRecord a : offline.subList(0, Math.min(max, offline.size()))) {
      list.add(
          new JsonObject()
              .put("agentId", a.agentId())
              .put("company", a.company())
              .put("branch", a.branch())
              .put("offlineSince", a.since().toString())
              .put("offlineS", Duration.between(a.since(), now).toSeconds()));
    }
    return list;
  }

  private JsonArray reconnectsJson(int max, Instant now) {
    var reconnects = new JsonArray();
    reconnectsByAgent(now).entrySet().stream()
        .limit(max)
        .forEach(
            e -> {
              AgentRecord a = agents.get(e.getKey());
              reconnects.add(
                  new JsonObject()
                      .put("agentId", e.getKey().agentId())
                      .put("company", e.getKey().company())
                      .put("branch", a == null ? null : a.branch())
                      .put("perMinute", e.getValue()));
            });
    return reconnects;
  }

  private static JsonObject counts(int online, int offline) {
    return new JsonObject().put("online", online).put("offline", offline);
  }

  private static void add(JsonObject counts, int online, int offline) {
    counts
        .put("online", counts.getInteger("online") + online)
        .put("offline", counts.getInteger("offline") + offline);
  }
}
