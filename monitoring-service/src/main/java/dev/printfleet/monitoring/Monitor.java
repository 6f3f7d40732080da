package dev.printfleet.monitoring;

import dev.printfleet.common.messages.AgentEvent;
import dev.printfleet.common.messages.Heartbeat;
import dev.printfleet.common.messages.JobEvent;
import dev.printfleet.common.messages.PrinterStatusEvent;
import dev.printfleet.common.presence.AgentKey;
import dev.printfleet.monitoring.alerts.Alert;
import dev.printfleet.monitoring.alerts.AlertBook;
import dev.printfleet.monitoring.alerts.AlertMetrics;
import dev.printfleet.monitoring.alerts.AlertRules;
import dev.printfleet.monitoring.alerts.AlertStore;
import dev.printfleet.monitoring.circuits.CircuitDirectory;
import dev.printfleet.monitoring.cluster.ClusterStore;
import dev.printfleet.monitoring.cluster.ClusterView;
import dev.printfleet.monitoring.fleet.AgentRecord;
import dev.printfleet.monitoring.fleet.Fleet;
import dev.printfleet.monitoring.fleet.FleetStore;
import dev.printfleet.monitoring.fleet.PrinterList;
import dev.printfleet.monitoring.jobs.JobMeter;
import dev.printfleet.monitoring.jobs.JobStats;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What monitoring knows, kept in memory for fast reads and written through to Redis so a restarted
 * or second replica starts from the same state: the cluster view, the fleet and the alerts.
 */
public final class Monitor {

  private static final Logger log = LoggerFactory.getLogger(Monitor.class);

  /** Alerts and circuits at most in one stream summary. */
  static final int STREAM_ITEMS = 100;

  /** Changed agents at most sent as rows in one push; past it the dashboard reloads its page. */
  static final int STREAM_CHANGED_AGENTS = 200;

  /** Printer rows at most in one push (an agent may hold 1,000 printers); past it, a reload. */
  static final int STREAM_CHANGED_ROWS = 2_000;

  private final Clock clock;
  private final ClusterView cluster;
  private final ClusterStore clusterStore;
  private final CircuitDirectory circuits;
  private final Fleet fleet;
  private final FleetStore fleetStore;
  private final JobMeter jobMeter;
  private final JobStats jobStats;
  private final AlertRules rules;
  private final AlertBook alerts;
  private final AlertStore alertStore;
  private final AlertMetrics alertMetrics;

  public Monitor(
      Clock clock,
      ClusterView cluster,
      ClusterStore clusterStore,
      Fleet fleet,
      FleetStore fleetStore,
      JobMeter jobMeter,
      JobStats jobStats,
      AlertRules rules,
      AlertStore alertStore,
      AlertMetrics alertMetrics) {
    this.clock = clock;
    this.cluster = cluster;
    this.clusterStore = clusterStore;
    this.circuits = new CircuitDirectory(cluster);
    this.fleet = fleet;
    this.fleetStore = fleetStore;
    this.jobMeter = jobMeter;
    this.jobStats = jobStats;
    this.rules = rules;
    this.alerts = new AlertBook(AlertStore.MAX_RECENT);
    this.alertStore = alertStore;
    this.alertMetrics = alertMetrics;
  }

  public Instant now() {
    return clock.instant();
  }

  public ClusterView cluster() {
    return cluster;
  }

  public ClusterStore clusterStore() {
    return clusterStore;
  }

  public CircuitDirectory circuits() {
    return circuits;
  }

  /** Loads what the shared store holds: instances, agents, recent alerts. */
  public Future<Void> load() {
    return Future.all(
            clusterStore.loadAll().onSuccess(list -> list.forEach(cluster::adopt)),
            fleetStore.loadAll().onSuccess(list -> list.forEach(fleet::adopt)),
            alertStore.recent().onSuccess(list -> list.forEach(alerts::remember)))
        .onSuccess(
            v ->
                log.info(
                    "State loaded from Redis instances={} agents={}",
                    cluster.all().size(),
                    fleet.agents().size()))
        .mapEmpty();
  }

  /**
   * Redis lost its data (this instance's cluster guard found its own state gone): write back what
   * this replica holds in memory, so its active alerts stay raised and its fleet is there for other
   * replicas. Instance records come back with their next heartbeats; their history restarts.
   */
  public Future<Void> restoreStore() {
    return Future.all(
            fleetStore.saveAll(fleet.agents()),
            alertStore.restore(alerts.active(), alerts.recent()),
            Future.all(cluster.all().stream().map(clusterStore::save).toList()))
        .onSuccess(
            v ->
                log.warn(
                    "Monitoring state written back to Redis after a loss agents={} activeAlerts={} instances={}",
                    fleet.agents().size(),
                    alerts.active().size(),
                    cluster.all().size()))
        .onFailure(
            e -> log.warn("Monitoring state could not be written back to Redis: {}", e.toString()))
        .mapEmpty();
  }

  public void onHeartbeat(JsonObject body) {
    Heartbeat beat = Heartbeat.fromJson(body);
    boolean known = cluster.get(beat.instanceId()).isPresent();
    var record = cluster.record(beat, now());
    if (!known) {
      log.info(
          "Instance joined the view instance={} service={}", beat.instanceId(), beat.service());
    }
    clusterStore
        .save(record)
        .onFailure(
            e ->
                log.warn(
                    "Could not store a heartbeat instance={}: {}",
                    beat.instanceId(),
                    e.toString()));
  }

  public void onAgentEvent(JsonObject body) {
    fleet.apply(AgentEvent.fromJson(body)).ifPresent(this::saveAgent);
  }

  /**
   * A batch of statuses: each agent they changed is written to the shared store once, as it ends.
   */
  public void onPrinterStatus(JsonObject body) {
    Map<AgentKey, AgentRecord> changed = new LinkedHashMap<>();
    for (PrinterStatusEvent event : PrinterStatusEvent.listFromJson(body)) {
      fleet.apply(event).ifPresent(record -> changed.put(Fleet.keyOf(record), record));
    }
    if (!changed.isEmpty()) {
      fleetStore
          .saveAll(changed.values())
          .onFailure(
              e -> log.warn("Could not store agents count={}: {}", changed.size(), e.toString()));
    }
  }

  public void onJobEvent(JsonObject body) {
    Instant now = now();
    JobEvent.listFromJson(body).forEach(event -> jobMeter.record(event, now));
  }

  private void saveAgent(AgentRecord record) {
    fleetStore
        .save(record)
        .onFailure(
            e -> log.warn("Could not store an agent agent={}: {}", record.agentId(), e.toString()));
  }

  /**
   * Re-evaluates alerts and forgets long-gone instances; run a few times per heartbeat interval.
   */
  public void evaluate() {
    Instant now = now();
    for (String id : cluster.forget(now)) {
      log.info("Instance dropped from the view instance={}", id);
      clusterStore.remove(id);
    }
    var firing =
        rules.evaluate(
            cluster.all(),
            circuits.all(now),
            fleet.offlineLongerThan(rules.thresholds().agentOffline(), now),
            fleet.reconnectsPerMinute(now),
            jobStats.failures(),
            now);
    AlertBook.Changes changes = alerts.update(firing, now);
    for (Alert raised : changes.raised()) {
      log.warn(
          "Alert raised kind={} subject={} message=\"{}\"",
          raised.kind(),
          raised.subject(),
          raised.message());
      alertStore.raise(raised).onSuccess(since -> alerts.adoptSince(raised.key(), since));
    }
    for (Alert cleared : changes.cleared()) {
      log.info(
          "Alert cleared kind={} subject={} lastedMs={}",
          cleared.kind(),
          cleared.subject(),
          Duration.between(cleared.since(), cleared.clearedAt()).toMillis());
      alertStore.clear(cleared);
    }
    alertMetrics.update(alerts.active());
  }

  public JsonObject alertsJson() {
    var active = new JsonArray();
    alerts.active().forEach(a -> active.add(a.toJson()));
    var recent = new JsonArray();
    alerts.recent().forEach(a -> recent.add(a.toJson()));
    return new JsonObject().put("active", active).put("recent", recent);
  }

  public JsonObject fleetJson() {
    return fleet.toJson(rules.thresholds().agentOffline(), now());
  }

  public JsonObject jobsJson() {
    Instant now = now();
    return new JsonObject()
        .put("database", jobStats.latest())
        .put("live", jobMeter.summary(Duration.ofMinutes(5), now))
        .put("series", jobMeter.series(Duration.ofMinutes(5), Duration.ofSeconds(5), now));
  }

  /** A page of the fleet's printers, worst first ({@code GET /monitoring/fleet}). */
  public JsonObject fleetPage(PrinterList.Query query) {
    return PrinterList.page(PrinterList.rows(fleet.agents(), circuits.all(now())), query);
  }

  /**
   * What the dashboard stream sends each push, bounded whatever the fleet's size: the instances, at
   * most {@value #STREAM_ITEMS} active alerts (critical first) and circuits not closed, the fleet's
   * counts (agents, printers by state) and the job figures. The printers themselves are read a page
   * at a time ({@link #fleetPage}) and followed with {@link #fleetChanges}.
   */
  public JsonObject snapshot() {
    Instant now = now();
    var circuitList = circuits.all(now);
    var notClosed = new JsonArray();
    int open = 0;
    for (CircuitDirectory.Circuit c : circuitList) {
      open += c.open() ? 1 : 0;
      if (!"CLOSED".equals(c.state()) && notClosed.size() < STREAM_ITEMS) {
        notClosed.add(c.toJson());
      }
    }
    var active = new JsonArray();
    alerts.active().stream()
        .sorted(Comparator.comparing((Alert a) -> !"critical".equals(a.severity())))
        .limit(STREAM_ITEMS)
        .forEach(a -> active.add(a.toJson()));
    var recent = new JsonArray();
    alerts.recent().stream().limit(5).forEach(a -> recent.add(a.toJson()));
    // Each printer's row once per push: its state counts give the printer totals too.
    JsonObject printerStates = PrinterList.counts(PrinterList.rows(fleet.agents(), circuitList));
    int printersOffline = printerStates.getInteger("offline");
    var fleetSummary =
        fleet
            .summary(rules.thresholds().agentOffline(), now, 10, 5)
            .put(
                "printers",
                new JsonObject()
                    .put("online", printerStates.getInteger("total") - printersOffline)
                    .put("offline", printersOffline))
            .put("printerStates", printerStates);
    return new JsonObject()
        .put("at", now.toString())
        .put("cluster", cluster.toJson(now))
        .put(
            "circuits",
            new JsonObject()
                .put("open", open)
                .put("total", circuitList.size())
                .put("items", notClosed))
        .put("fleet", fleetSummary)
        .put(
            "alerts",
            new JsonObject()
                .put("activeCount", alerts.active().size())
                .put("active", active)
                .put("recent", recent))
        .put("jobs", jobsJson());
  }

  /**
   * The printers of the agents changed since the last call, for the dashboard stream: {@code rows}
   * (each printer of each changed agent), or {@code reload: true} when more than {@value
   * #STREAM_CHANGED_AGENTS} agents or {@value #STREAM_CHANGED_ROWS} printers changed; null when
   * none did.
   */
  public JsonObject fleetChanges() {
    var changed = fleet.takeChanged();
    if (changed.isEmpty()) {
      return null;
    }
    if (changed.size() > STREAM_CHANGED_AGENTS) {
      return new JsonObject().put("reload", true).put("agents", changed.size());
    }
    List<AgentRecord> agents = new ArrayList<>(changed.size());
    changed.forEach(key -> fleet.get(key).ifPresent(agents::add));
    return PrinterList.changes(
        agents,
        PrinterList.circuitStates(circuits.all(now())),
        STREAM_CHANGED_ROWS,
        changed.size());
  }
}
