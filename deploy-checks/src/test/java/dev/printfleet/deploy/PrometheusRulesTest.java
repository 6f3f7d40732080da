package dev.printfleet.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The alerting rules (deploy/prometheus/alerts.yml) through Debian's promtool: {@code check rules}
 * and the unit tests of alerts.test.yml; the PrometheusRule of k8s/ holds the same groups; every
 * alert has a severity, a summary, a description, a runbook_url whose entry is in docs/RUNBOOK.md
 * and a unit test that expects it to fire; every alert kind monitoring raises has its rule. The
 * last two tests show a broken rule and a wrong label fail.
 */
class PrometheusRulesTest {

  private static final Path ROOT = DeployChecksTest.ROOT;
  private static final Path RULES = ROOT.resolve("deploy/prometheus/alerts.yml");
  private static final Path RULE_TESTS = ROOT.resolve("deploy/prometheus/alerts.test.yml");

  @Test
  void promtoolAcceptsTheRulesAndTheirUnitTestsPass() throws Exception {
    Result check = promtool("check", "rules", RULES.toString());
    assertThat(check.exit()).as(check.output()).isZero();
    assertThat(check.output()).contains("SUCCESS: " + alerts().size() + " rules found");
    Result test = promtool("test", "rules", RULE_TESTS.toString());
    assertThat(test.exit()).as(test.output()).isZero();
    assertThat(test.output()).contains("SUCCESS");
  }

  @Test
  void thePrometheusRuleOfKubernetesHoldsTheSameGroups() {
    ObjectNode rule = Yaml.single(ROOT.resolve("k8s/base/prometheus-rules.yaml"));
    assertThat(rule.path("kind").asText()).isEqualTo("PrometheusRule");
    assertThat(rule.path("spec").path("groups"))
        .as("k8s/base/prometheus-rules.yaml spec.groups against deploy/prometheus/alerts.yml")
        .isEqualTo(Yaml.single(RULES).path("groups"));
  }

  @Test
  void everyAlertHasSeveritySummaryRunbookEntryAndAFiringTest() throws IOException {
    String runbook = Files.readString(ROOT.resolve("docs/RUNBOOK.md"));
    Set<String> anchors = new LinkedHashSet<>();
    Matcher heading = Pattern.compile("(?m)^## (\\S+)\\s*$").matcher(runbook);
    while (heading.find()) {
      anchors.add(heading.group(1).toLowerCase(Locale.ROOT));
    }
    Set<String> fired = firedInTests();
    List<String> names = new ArrayList<>();
    for (JsonNode alert : alerts()) {
      String name = alert.path("alert").asText();
      names.add(name);
      assertThat(name).matches("Printfleet[A-Z][A-Za-z0-9]+");
      assertThat(alert.path("labels").path("severity").asText())
          .as(name + " severity")
          .isIn("critical", "warning");
      JsonNode annotations = alert.path("annotations");
      assertThat(annotations.path("summary").asText()).as(name + " summary").isNotBlank();
      assertThat(annotations.path("description").asText()).as(name + " description").isNotBlank();
      String anchor = name.toLowerCase(Locale.ROOT);
      assertThat(annotations.path("runbook_url").asText())
          .as(name + " runbook_url")
          .isEqualTo("{{ $externalLabels.printfleet_url }}/dashboard/runbook#" + anchor);
      assertThat(anchors).as("a '## " + name + "' entry in docs/RUNBOOK.md").contains(anchor);
      assertThat(fired).as("a test in alerts.test.yml where " + name + " fires").contains(name);
    }
    assertThat(names).doesNotHaveDuplicates();
    assertThat(anchors)
        .as("every alert entry of docs/RUNBOOK.md is an alert of alerts.yml")
        .allSatisfy(
            a -> assertThat(names.stream().map(n -> n.toLowerCase(Locale.ROOT))).contains(a));
  }

  @Test
  void everyAlertKindMonitoringRaisesHasItsRule() throws IOException {
    String source =
        Files.readString(
            ROOT.resolve(
                "monitoring-service/src/main/java/dev/printfleet/monitoring/alerts/Alert.java"));
    Matcher constant =
        Pattern.compile("public static final String [A-Z_]+ = \"([a-z_]+)\";").matcher(source);
    Set<String> kinds = new LinkedHashSet<>();
    while (constant.find()) {
      kinds.add(constant.group(1));
    }
    assertThat(kinds).hasSizeGreaterThanOrEqualTo(8);
    String exprs = String.join("\n", alerts().stream().map(a -> a.path("expr").asText()).toList());
    for (String kind : kinds) {
      assertThat(exprs).as("a rule on kind " + kind).contains("kind=\"" + kind + "\"");
    }
  }

  /**
   * The rules read each series' own {@code instance} and {@code service} (the instance id): every
   * scrape keeps them ({@code honor_labels}), where Prometheus would rename them {@code
   * exported_*}.
   */
  @Test
  void composeAndTheLocalClusterLoadTheRulesAndEveryScrapeKeepsTheSeriesLabels()
      throws IOException {
    JsonNode compose = Yaml.single(ROOT.resolve("deploy/prometheus/prometheus.yml"));
    assertThat(compose.path("rule_files").toString()).contains("alerts.yml");
    assertThat(compose.path("scrape_configs")).hasSize(3);
    for (JsonNode scrape : compose.path("scrape_configs")) {
      assertThat(scrape.path("honor_labels").asBoolean()).as(scrape.toString()).isTrue();
    }
    for (JsonNode endpoint :
        Yaml.single(ROOT.resolve("k8s/base/servicemonitor.yaml")).path("spec").path("endpoints")) {
      assertThat(endpoint.path("honorLabels").asBoolean()).as(endpoint.toString()).isTrue();
    }
    String localCluster = Files.readString(ROOT.resolve("deploy/local-cluster.sh"));
    assertThat(localCluster.split("honor_labels: true", -1)).hasSize(4);
    assertThat(Files.readString(ROOT.resolve("docker-compose.yml")))
        .contains("./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro");
    assertThat(Files.readString(ROOT.resolve("deploy/local-cluster.sh")))
        .contains("$ROOT/deploy/prometheus/alerts.yml");
  }

  @Test
  void aBrokenRuleFailsTheCheck(@TempDir Path dir) throws Exception {
    String rules = Files.readString(RULES);
    String broken =
        rules.replace(
            "expr: max by (service, instance) (printfleet_event_loop_lag_seconds) > 1",
            "expr: max by (service, instance) (printfleet_event_loop_lag_seconds > 1");
    assertThat(broken).isNotEqualTo(rules);
    Files.writeString(dir.resolve("alerts.yml"), broken);
    Result check = promtool("check", "rules", dir.resolve("alerts.yml").toString());
    assertThat(check.exit()).as(check.output()).isNotZero();
  }

  @Test
  void aWrongLabelFailsTheUnitTests(@TempDir Path dir) throws Exception {
    String rules = Files.readString(RULES);
    String wrong =
        rules.replaceFirst(
            "(alert: PrintfleetRedisErrors\\n(?:.*\\n){3}\\s+severity: )warning", "$1critical");
    assertThat(wrong).isNotEqualTo(rules);
    Files.writeString(dir.resolve("alerts.yml"), wrong);
    Files.copy(RULE_TESTS, dir.resolve("alerts.test.yml"));
    Result test = promtool("test", "rules", dir.resolve("alerts.test.yml").toString());
    assertThat(test.exit()).as(test.output()).isNotZero();
    assertThat(test.output()).contains("PrintfleetRedisErrors");
  }

  private static List<JsonNode> alerts() {
    List<JsonNode> alerts = new ArrayList<>();
    for (JsonNode group : Yaml.single(RULES).path("groups")) {
      group.path("rules").forEach(alerts::add);
    }
    return alerts;
  }

  /** Alert names with an {@code exp_alerts} that is not empty in some test. */
  private static Set<String> firedInTests() {
    Set<String> fired = new LinkedHashSet<>();
    for (JsonNode test : Yaml.single(RULE_TESTS).path("tests")) {
      for (JsonNode case_ : test.path("alert_rule_test")) {
        if (!case_.path("exp_alerts").isEmpty()) {
          fired.add(case_.path("alertname").asText());
        }
      }
    }
    return fired;
  }

  private record Result(int exit, String output) {}

  /** Debian's promtool (package prometheus; ./printfleet test and .ci/run install it as root). */
  private static Result promtool(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(findPromtool());
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] output = process.getInputStream().readAllBytes();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("promtool did not end within 60 s: " + command);
    }
    return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
  }

  private static String findPromtool() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      Path candidate = Path.of(dir.isEmpty() ? "." : dir, "promtool");
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    if (Files.isExecutable(Path.of("/usr/bin/promtool"))) {
      return "/usr/bin/promtool";
    }
    throw new AssertionError(
        "promtool not found (Debian: apt-get install prometheus; ./printfleet test and .ci/run"
            + " install it when run as root)");
  }
}
