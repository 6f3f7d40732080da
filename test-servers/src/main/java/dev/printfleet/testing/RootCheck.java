package dev.printfleet.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** PostgreSQL refuses to run as root; say so before initdb fails with a less helpful message. */
final class RootCheck {

  private RootCheck() {}

  static void refuseRootForPostgres() {
    if (effectiveUid() == 0) {
      throw new IllegalStateException(
          "PostgreSQL refuses to run as root. Run through ./printfleet (test or dev), which drops"
              + " root in a user namespace, or run as an unprivileged user.");
    }
  }

  private static long effectiveUid() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return Long.parseLong(line.split("\\s+")[2]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux, or /proc is not readable: let PostgreSQL decide.
    }
    return -1;
  }
}
