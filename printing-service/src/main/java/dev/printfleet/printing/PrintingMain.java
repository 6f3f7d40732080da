package dev.printfleet.printing;

import dev.printfleet.common.lifecycle.ServiceLauncher;

/** Runs one printing instance, configured by environment variables (README, "Configuration"). */
public final class PrintingMain {

  private PrintingMain() {}

  public static void main(String[] args) {
    ServiceLauncher.main(new PrintingService());
  }
}
