package dev.printfleet.monitoring.circuits;

import dev.printfleet.common.messages.CircuitInfo;
import dev.printfleet.monitoring.cluster.ClusterView;
import dev.printfleet.monitoring.cluster.InstanceRecord;
import dev.printfleet.monitoring.cluster.InstanceStatus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Every circuit breaker of the cluster, as the instances that own them last reported. */
public final class CircuitDirectory {

  /** One circuit on one instance. */
  public record Circuit(
      String name,
      String instance,
      String service,
      String state,
      long failures,
      InstanceStatus instanceStatus) {

    public boolean open() {
      return "OPEN".equals(state);
    }

    public JsonObject toJson() {
      return new JsonObject()
          .put("name", name)
          .put("instance", instance)
          .put("service", service)
          .put("state", state)
          .put("failures", failures)
          .put("instanceStatus", instanceStatus.name());
    }
  }

  private final ClusterView cluster;

  public CircuitDirectory(ClusterView cluster) {
    this.cluster = cluster;
  }

  /** Open circuits first, then by name; a down instance's circuits are listed with its status. */
  public List<Circuit> all(Instant now) {
    List<Circuit> list = new ArrayList<>();
    for (InstanceRecord record : cluster.all()) {
      InstanceStatus status = cluster.rules().judge(record, now).status();
      for (CircuitInfo info : record.heartbeat().circuits()) {
        list.add(
            new Circuit(
                info.name(),
                record.id(),
                record.heartbeat().service(),
                info.state(),
                info.failures(),
                status));
      }
    }
    list.sort(
        Comparator.comparing((Circuit c) -> !c.open())
            .thenComparing(Circuit::name)
            .thenComparing(Circuit::instance));
    return list;
  }

  /** The live instances that own a circuit of that name; empty for an unknown circuit. */
  public List<String> owners(String name, Instant now) {
    return all(now).stream()
        .filter(c -> c.name().equals(name) && c.instanceStatus() != InstanceStatus.DOWN)
        .map(Circuit::instance)
        .distinct()
        .toList();
  }

  public JsonObject toJson(Instant now) {
    var items = new JsonArray();
    int open = 0;
    for (Circuit c : all(now)) {
      items.add(c.toJson());
      open += c.open() ? 1 : 0;
    }
    return new JsonObject().put("items", items).put("open", open).put("total", items.size());
  }
}
