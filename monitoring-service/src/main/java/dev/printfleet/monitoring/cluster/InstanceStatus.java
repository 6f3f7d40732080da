package dev.printfleet.monitoring.cluster;

/** An instance's status in the cluster view (PROTOCOL.md §5). */
public enum InstanceStatus {
  UP,
  DEGRADED,
  DOWN
}
