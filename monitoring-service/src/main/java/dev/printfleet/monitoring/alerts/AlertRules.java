package dev.printfleet.monitoring.alerts;

import dev.printfleet.common.messages.Heartbeat;
import dev.printfleet.monitoring.circuits.CircuitDirectory;
import dev.printfleet.monitoring.cluster.HealthRules;
import dev.printfleet.monitoring.cluster.InstanceRecord;
import dev.printfleet.monitoring.fleet.AgentRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Which alerts are firing now, from the cluster, its circuits, the fleet and the job figures. */
public final class AlertRules {

  /** The job failure figures the error-rate alert reads; {@code finished} = printed + failed. */
  public record JobFailures(long finished, long failed) {}

  private final HealthRules health;
  private final Thresholds thresholds;

  public AlertRules(HealthRules health, Thresholds thresholds) {
    this.health = health;
    this.thresholds = thresholds;
  }

  public Thresholds thresholds() {
    return thresholds;
  }

  public List<Alert> evaluate(
      List<InstanceRecord> instances,
      List<CircuitDirectory.Circuit> circuits,
      List<AgentRecord> offlineAgents,
      Map<String, Integer> reconnectsPerMinute,
      JobFailures jobs,
      Instant now) {
    List<Alert> firing = new ArrayList<>();
    List<String> lostState = new ArrayList<>();
    Instant lastLoss = null;
    for (InstanceRecord record : instances) {
      Heartbeat beat = record.heartbeat();
      Instant lossAt = beat.clusterLossAt();
      if (lossAt != null && lossAt.plus(thresholds.clusterLossQuiet()).isAfter(now)) {
        lostState.add(record.id());
        lastLoss = lastLoss == null || lossAt.isAfter(lastLoss) ? lossAt : lastLoss;
      }
      if (health.isDown(record, now)) {
        firing.add(
            Alert.firing(
                Alert.INSTANCE_DOWN,
                record.id(),
                "critical",
                beat.service()
                    + " instance "
                    + record.id()
                    + " has sent no heartbeat since "
                    + record.receivedAt()));
        continue;
      }
      if (health.memoryHigh(beat)) {
        firing.add(
            Alert.firing(
                Alert.MEMORY_HIGH,
                record.id(),
                "warning",
                "heap of "
                    + record.id()
                    + " at "
                    + HealthRules.heapPercent(beat)
                    + " % (threshold "
                    + thresholds.memoryPercent()
                    + " %)"));
      }
      if (health.cpuHigh(beat)) {
        firing.add(
            Alert.firing(
                Alert.CPU_HIGH,
                record.id(),
                "warning",
                "CPU of "
                    + record.id()
                    + " at "
                    + Math.round(beat.cpu() * 100)
                    + " % (threshold "
                    + thresholds.cpuPercent()
                    + " %)"));
      }
    }
    if (!lostState.isEmpty()) {
      // One alert for the cluster: a Redis that lost its data is felt by every instance at once.
      firing.add(
          Alert.firing(
              Alert.CLUSTER_STATE_LOST,
              "cluster",
              "critical",
              "Redis lost the cluster state (membership, subscriptions) of "
                  + lostState.size()
                  + " instance(s), last at "
                  + lastLoss
                  + ": "
                  + String.join(", ", lostState.stream().sorted().limit(5).toList())
                  + "; check whether Redis restarted, failed over or was flushed"));
    }
    for (CircuitDirectory.Circuit circuit : circuits) {
      if (circuit.open()
          && circuit.instanceStatus() != dev.printfleet.monitoring.cluster.InstanceStatus.DOWN) {
        firing.add(
            Alert.firing(
                Alert.CIRCUIT_OPEN,
                circuit.name() + "@" + circuit.instance(),
                "warning",
                "circuit "
                    + circuit.name()
                    + " is open on "
                    + circuit.instance()
                    + " after "
                    + circuit.failures()
                    + " failures"));
      }
    }
    // One alert per branch: a branch losing its network would otherwise page once per agent.
    Map<String, List<AgentRecord>> offlineByBranch = new TreeMap<>();
    for (AgentRecord agent : offlineAgents) {
      offlineByBranch
          .computeIfAbsent(agent.company() + "/" + agent.branch(), k -> new ArrayList<>())
          .add(agent);
    }
    offlineByBranch.forEach(
        (branch, agents) ->
            firing.add(
                Alert.firing(
                    Alert.AGENT_OFFLINE,
                    branch,
                    "warning",
                    agents.size()
                        + " agent(s) of branch "
                        + branch
                        + " offline longer than "
                        + thresholds.agentOffline().toMinutes()
                        + " min: "
                        + String.join(
                            ", ", agents.stream().limit(5).map(AgentRecord::agentId).toList()))));
    reconnectsPerMinute.forEach(
        (agent, count) -> {
          if (count > thresholds.reconnectsPerMinute()) {
            firing.add(
                Alert.firing(
                    Alert.RECONNECT_STORM,
                    agent,
                    "warning",
                    "agent "
                        + agent
                        + " reconnected "
                        + count
                        + " times in the last minute (threshold "
                        + thresholds.reconnectsPerMinute()
                        + ")"));
          }
        });
    if (jobs != null && jobs.finished() >= thresholds.errorRateMinJobs()) {
      double percent = jobs.failed() * 100.0 / jobs.finished();
      if (percent > thresholds.errorRatePercent()) {
        firing.add(
            Alert.firing(
                Alert.ERROR_RATE,
                "jobs",
                "critical",
                String.format(
                    "%.1f %% of %d finished jobs failed (threshold %d %%)",
                    percent, jobs.finished(), thresholds.errorRatePercent())));
      }
    }
    return firing;
  }
}
