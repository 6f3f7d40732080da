package dev.printfleet.gateway;

import dev.printfleet.common.lifecycle.ServiceLauncher;

/** Runs one gateway instance, configured by environment variables (README, "Configuration"). */
public final class GatewayMain {

  private GatewayMain() {}

  public static void main(String[] args) {
    ServiceLauncher.main(new GatewayService());
  }
}
