package dev.printfleet.monitoring;

import dev.printfleet.common.lifecycle.ServiceLauncher;

/** Runs one monitoring instance, configured by environment variables (README, "Configuration"). */
public final class MonitoringMain {

  private MonitoringMain() {}

  public static void main(String[] args) {
    ServiceLauncher.main(new MonitoringService());
  }
}
