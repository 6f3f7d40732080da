package dev.printfleet.simulator.load;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The kernel's DAMON monitors running on the machine (its {@code kdamond} threads), for the
 * reports' description of the machine. A monitor of the whole physical memory that pages out what
 * it finds cold (proactive reclaim, as a virtual machine's host may set up) samples every few
 * hundred milliseconds, and each round keeps a core busy for tens of milliseconds: on a small
 * machine that is in every latency figure (README, Benchmarks).
 */
final class Kdamonds {

  static final Path SYSFS = Path.of("/sys/kernel/mm/damon/admin/kdamonds");

  private Kdamonds() {}

  /**
   * One object per context of each monitor that is on: what it watches ({@code paddr}: physical
   * memory; {@code vaddr}: processes), how often it samples, and its schemes' actions. Empty when
   * there is none, or no DAMON.
   */
  static JsonArray running(Path root) {
    var running = new JsonArray();
    for (Path kdamond : numbered(root)) {
      if (!"on".equals(read(kdamond.resolve("state")))) {
        continue;
      }
      for (Path context : numbered(kdamond.resolve("contexts"))) {
        var actions = new JsonArray();
        numbered(context.resolve("schemes"))
            .forEach(scheme -> actions.add(read(scheme.resolve("action"))));
        running.add(
            new JsonObject()
                .put("kdamond", kdamond.getFileName().toString())
                .put("operations", read(context.resolve("operations")))
                .put("sampleMs", sampleMs(context))
                .put("actions", actions));
      }
    }
    return running;
  }

  /** The context's sample interval; null when unreadable (the description never fails a report). */
  private static Double sampleMs(Path context) {
    String us = read(context.resolve("monitoring_attrs/intervals/sample_us"));
    try {
      return us == null ? null : Long.parseLong(us) / 1000.0;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** The numbered entries of a DAMON directory, in order; none when it cannot be read. */
  private static List<Path> numbered(Path dir) {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries
          .filter(p -> p.getFileName().toString().matches("\\d+"))
          .sorted(Comparator.comparingInt(p -> Integer.parseInt(p.getFileName().toString())))
          .toList();
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file).strip();
    } catch (IOException e) {
      return null;
    }
  }
}
