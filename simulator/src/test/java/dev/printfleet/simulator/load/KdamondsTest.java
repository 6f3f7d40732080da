package dev.printfleet.simulator.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KdamondsTest {

  @TempDir Path sysfs;

  private void write(String file, String text) throws IOException {
    Path path = sysfs.resolve(file);
    Files.createDirectories(path.getParent());
    Files.writeString(path, text + "\n");
  }

  @Test
  void aMonitorThatIsOnIsDescribedAndOneThatIsOffIsNot() throws IOException {
    write("nr_kdamonds", "2");
    write("0/state", "on");
    write("0/contexts/0/operations", "paddr");
    write("0/contexts/0/monitoring_attrs/intervals/sample_us", "500000");
    write("0/contexts/0/schemes/0/action", "pageout");
    write("1/state", "off");
    write("1/contexts/0/operations", "vaddr");

    assertThat(Kdamonds.running(sysfs))
        .isEqualTo(
            new JsonArray()
                .add(
                    new JsonObject()
                        .put("kdamond", "0")
                        .put("operations", "paddr")
                        .put("sampleMs", 500.0)
                        .put("actions", new JsonArray().add("pageout"))));
  }

  @Test
  void anUnreadableIntervalIsLeftOutRatherThanFailingTheReport() throws IOException {
    write("0/state", "on");
    write("0/contexts/0/operations", "paddr");
    write("0/contexts/0/monitoring_attrs/intervals/sample_us", "soon");

    var monitor = Kdamonds.running(sysfs).getJsonObject(0);
    assertThat(monitor.getString("operations")).isEqualTo("paddr");
    assertThat(monitor.getValue("sampleMs")).isNull();
    assertThat(monitor.getJsonArray("actions")).isEmpty();
  }

  @Test
  void noDamonIsNoMonitor() {
    assertThat(Kdamonds.running(sysfs.resolve("absent"))).isEmpty();
  }
}
