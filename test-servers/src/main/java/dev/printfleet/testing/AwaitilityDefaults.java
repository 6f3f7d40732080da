package dev.printfleet.testing;

import java.time.Duration;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Every test run's Awaitility looks at its condition at once, then every 100 ms. Awaitility's own
 * default waits one poll interval before the first look, so an {@code await()} whose condition
 * already holds took 100 ms: a loop of 200 of them, 20 s of nothing. Registered for every module
 * whose tests have this module on their class path (META-INF/services); does nothing where
 * Awaitility is not.
 */
public final class AwaitilityDefaults implements LauncherSessionListener {

  @Override
  public void launcherSessionOpened(LauncherSession session) {
    try {
      Class.forName("org.awaitility.Awaitility", false, getClass().getClassLoader());
    } catch (ClassNotFoundException e) {
      return;
    }
    Defaults.apply();
  }

  /** Apart, so that this class loads where Awaitility is not. */
  private static final class Defaults {
    static void apply() {
      org.awaitility.Awaitility.setDefaultPollDelay(Duration.ZERO);
    }
  }
}
