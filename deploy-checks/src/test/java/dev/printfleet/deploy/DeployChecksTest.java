package dev.printfleet.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The offline deployment checks: Kubernetes objects against the Kubernetes model, the overlays
 * rendered, docker-compose.yml against the Compose Specification schema, and everything against the
 * services' real routes, ports and variables. The mutation tests show each kind of mistake is
 * caught.
 */
class DeployChecksTest {

  static final Path ROOT =
      Path.of(System.getProperty("printfleet.root", "..")).toAbsolutePath().normalize();

  @Test
  void theRepositoryPassesEveryCheck() {
    assertThat(DeployChecker.check(ROOT)).isEmpty();
  }

  @Test
  void theCheckerReadsTheServicesRealVariablesAndRoutes() {
    var checker = new DeployChecker(ROOT);
    checker.readSources();
    assertThat(checker.variables())
        .contains(
            "PRINTFLEET_JWT_SECRET",
            "PRINTFLEET_DRAIN_DELAY",
            "PRINTFLEET_SHUTDOWN_TIMEOUT",
            "PRINTFLEET_EVENTBUS_HOST",
            "PRINTFLEET_EVENTBUS_PORT",
            "REDIS_CONNECTION_ADDRESS",
            "PGHOST",
            "PRINTFLEET_WS_PING_INTERVAL",
            "PRINTFLEET_LOG_LEVEL");
    assertThat(checker.routes())
        .contains(
            "/health/live", "/health/ready", "/metrics", "/ws/agent", "/ws/client", "/api/v1/jobs");
  }

  @Test
  void everyOverlayRendersAndEveryObjectFitsTheKubernetesModel() {
    for (String overlay : List.of("dev", "prod")) {
      var objects = Kustomize.render(ROOT.resolve("k8s/overlays").resolve(overlay));
      var kinds = objects.stream().map(o -> o.path("kind").asText()).collect(Collectors.toSet());
      assertThat(kinds)
          .contains(
              "Namespace",
              "ConfigMap",
              "Deployment",
              "Service",
              "Ingress",
              "HorizontalPodAutoscaler",
              "PodDisruptionBudget",
              "NetworkPolicy",
              "ServiceMonitor",
              "PrometheusRule");
      for (ObjectNode o : objects) {
        assertThat(KubernetesModel.validate(overlay, o)).as(Yaml.id(o)).isEmpty();
        if (!o.path("kind").asText().equals("Namespace")) {
          assertThat(o.path("metadata").path("namespace").asText())
              .isEqualTo(overlay.equals("dev") ? "printfleet-dev" : "printfleet");
        }
      }
    }
  }

  @Test
  void theModelRefusesAnUnknownFieldAWrongTypeAndAnUnknownKind() throws IOException {
    ObjectNode deployment = Yaml.documents(ROOT.resolve("k8s/base/gateway.yaml")).get(0);
    ObjectNode typo = deployment.deepCopy();
    ((ObjectNode) typo.path("spec").path("template").path("spec").path("containers").get(0))
        .put("readinessProbes", "x");
    assertThat(KubernetesModel.validate("t", typo))
        .singleElement()
        .asString()
        .contains("readinessProbes");
    ObjectNode wrongType = deployment.deepCopy();
    ((ObjectNode) wrongType.path("spec")).put("replicas", "two");
    assertThat(KubernetesModel.validate("t", wrongType)).isNotEmpty();
    ObjectNode unknown = deployment.deepCopy().put("apiVersion", "apps/v1beta1");
    assertThat(KubernetesModel.validate("t", unknown))
        .singleElement()
        .asString()
        .contains("unknown apiVersion/kind");
    ObjectNode monitor = Yaml.single(ROOT.resolve("k8s/base/servicemonitor.yaml"));
    ((ObjectNode) monitor.path("spec").path("endpoints").get(0)).put("scrapeEvery", "15s");
    assertThat(KubernetesModel.validate("t", monitor))
        .singleElement()
        .asString()
        .contains("scrapeEvery");
  }

  @Test
  void dockerComposeMatchesTheComposeSpecification() throws IOException {
    JsonNode compose = Yaml.single(ROOT.resolve("docker-compose.yml"));
    var schema = composeSchema();
    Set<ValidationMessage> errors = schema.validate(compose);
    assertThat(errors).isEmpty();
    ObjectNode broken = compose.deepCopy();
    ((ObjectNode) broken.path("services").path("redis")).put("restartt", "always");
    ((ObjectNode) broken.path("services").path("nginx")).put("ports", 8000);
    errors = schema.validate(broken);
    assertThat(errors.toString()).contains("restartt").contains("ports");
  }

  // --- a broken copy of the repository is caught ---

  @Test
  void aBrokenReadinessProbePathFailsTheCheck(@TempDir Path copy) throws IOException {
    copyRepository(copy);
    replace(copy.resolve("k8s/base/gateway.yaml"), "path: /health/ready", "path: /health/readyz");
    assertThat(DeployChecker.check(copy))
        .anySatisfy(
            p ->
                assertThat(p)
                    .contains("Deployment/gateway")
                    .contains("readinessProbe path /health/readyz is not a route"));
  }

  @Test
  void aServiceMonitorThatScrapesTheGatewaysTwiceFailsTheCheck(@TempDir Path copy)
      throws IOException {
    copyRepository(copy);
    replace(copy.resolve("k8s/base/gateway.yaml"), "    printfleet.dev/scrape: \"no\"\n", "");
    assertThat(DeployChecker.check(copy))
        .anySatisfy(
            p ->
                assertThat(p)
                    .contains("ServiceMonitor/printfleet")
                    .contains(
                        "the gateway pods are scraped through Services [gateway, gateway-socketio]"));
  }

  @Test
  void aLivenessProbeOnAnotherRealRouteFailsTheCheck(@TempDir Path copy) throws IOException {
    copyRepository(copy);
    replace(
        copy.resolve("k8s/base/printing.yaml"),
        "path: /health/live\n              port: http\n            periodSeconds: 10",
        "path: /metrics\n              port: http\n            periodSeconds: 10");
    assertThat(DeployChecker.check(copy))
        .anySatisfy(
            p -> assertThat(p).contains("livenessProbe path is /metrics, expected /health/live"));
  }

  @Test
  void noIngressPassesMetricsOrHealthToAService() {
    var k8s =
        List.of(
            new DeployChecker.IngressPath("/ws/", false, "gateway"),
            new DeployChecker.IngressPath("/", true, "monitoring"));
    assertThat(DeployChecker.resolve(k8s, "/")).isEqualTo("monitoring");
    assertThat(DeployChecker.resolve(k8s, "/metrics")).isNull();
    assertThat(DeployChecker.resolve(k8s, "/ws/agent")).isEqualTo("gateway");
    String locations = "location = / { proxy_pass http://monitoring; }\nlocation / { return 404; }";
    assertThat(DeployChecker.resolve(DeployChecker.nginxLocations(locations), "/health/ready"))
        .isNull();
    assertThat(DeployChecker.resolve(DeployChecker.nginxLocations(locations), "/"))
        .isEqualTo("monitoring");
  }

  @Test
  void anIngressThatRoutesEverythingUnmatchedToMonitoringFailsTheCheck(@TempDir Path copy)
      throws IOException {
    copyRepository(copy);
    replace(
        copy.resolve("k8s/base/ingress.yaml"),
        "          - path: /\n            pathType: Exact",
        "          - path: /\n            pathType: Prefix");
    assertThat(DeployChecker.check(copy))
        .anySatisfy(
            p ->
                assertThat(p)
                    .contains("Ingress/printfleet")
                    .contains("GET /metrics reaches monitoring"))
        .anySatisfy(
            p ->
                assertThat(p)
                    .contains("Ingress/printfleet")
                    .contains("GET /health/ready reaches monitoring"));
  }

  @Test
  void anNginxThatRoutesEverythingUnmatchedToMonitoringFailsTheCheck(@TempDir Path copy)
      throws IOException {
    copyRepository(copy);
    replace(
        copy.resolve("deploy/nginx/printfleet-locations.conf"),
        "    default_type text/plain;\n    return 404 \"not routed by the ingress\\n\";",
        "    proxy_pass http://monitoring;");
    assertThat(DeployChecker.check(copy))
        .anySatisfy(
            p ->
                assertThat(p)
                    .startsWith("compose nginx")
                    .contains("GET /metrics reaches monitoring"))
        .anySatisfy(
            p ->
                assertThat(p)
                    .startsWith("local cluster nginx")
                    .contains("GET /health/ready reaches monitoring"));
  }

  @Test
  void anIngressThatNoLongerRoutesTheDashboardFailsTheCheck(@TempDir Path copy) throws IOException {
    copyRepository(copy);
    replace(
        copy.resolve("deploy/nginx/printfleet-locations.conf"),
        "location /dashboard/ {",
        "location /dashboards/ {");
    replace(copy.resolve("k8s/base/ingress.yaml"), "path: /monitoring/", "path: /monitor/");
    assertThat(DeployChecker.check(copy))
        .anySatisfy(
            p ->
                assertThat(p)
                    .startsWith("compose nginx")
                    .contains("GET /dashboard/dashboard.js goes to no service"))
        .anySatisfy(
            p ->
                assertThat(p)
                    .contains("Ingress/printfleet")
                    .contains("GET /monitoring/stream goes to no service"));
  }

  @Test
  void aBrokenComposeHealthCheckPathOrPortFailsTheCheck(@TempDir Path copy) throws IOException {
    copyRepository(copy);
    replace(
        copy.resolve("docker-compose.yml"),
        "http://127.0.0.1:8081/health/ready",
        "http://127.0.0.1:8080/health/rdy");
    assertThat(DeployChecker.check(copy))
        .anySatisfy(
            p -> assertThat(p).contains("printing-1").contains("/health/rdy is not a route"))
        .anySatisfy(p -> assertThat(p).contains("printing-1").contains("calls port 8080"));
  }

  @Test
  void aBrokenDockerfileHealthCheckFailsTheCheck(@TempDir Path copy) throws IOException {
    copyRepository(copy);
    replace(copy.resolve("Dockerfile"), "/health/live", "/healthz");
    assertThat(DeployChecker.check(copy))
        .anySatisfy(p -> assertThat(p).startsWith("Dockerfile").contains("/healthz"));
  }

  @Test
  void anImageBuiltForTheWrongServiceOrPortFailsTheCheck(@TempDir Path copy) throws IOException {
    copyRepository(copy);
    replace(
        copy.resolve("docker-compose.yml"),
        "SERVICE: monitoring-service",
        "SERVICE: printing-service");
    replace(
        copy.resolve("Dockerfile"),
        "gateway-service|printing-service|monitoring-service)",
        "gateway-service|printing-service)");
    assertThat(DeployChecker.check(copy))
        .anySatisfy(
            p ->
                assertThat(p)
                    .contains("monitoring")
                    .contains("SERVICE=printing-service PORT=8082")
                    .contains("expected Dockerfile with SERVICE=monitoring-service PORT=8082"))
        .anySatisfy(
            p ->
                assertThat(p)
                    .startsWith("Dockerfile")
                    .contains("SERVICE may not be monitoring-service"));
  }

  @Test
  void aVariableRenamedInTheServiceConfigFailsTheCheck(@TempDir Path copy) throws IOException {
    copyRepository(copy);
    replace(
        copy.resolve("common/src/main/java/dev/printfleet/common/config/CommonSettings.java"),
        "\"PRINTFLEET_DRAIN_DELAY\"",
        "\"PRINTFLEET_DRAIN_TIME\"");
    var problems = DeployChecker.check(copy);
    assertThat(problems)
        .anySatisfy(
            p ->
                assertThat(p)
                    .contains("ConfigMap/printfleet-config")
                    .contains("PRINTFLEET_DRAIN_DELAY is not a variable"));
    assertThat(problems)
        .anySatisfy(
            p ->
                assertThat(p)
                    .contains("docker-compose.yml")
                    .contains("PRINTFLEET_DRAIN_DELAY is not a variable"));
  }

  @Test
  void aMisspelledVariableInAManifestFailsTheCheck(@TempDir Path copy) throws IOException {
    copyRepository(copy);
    replace(
        copy.resolve("k8s/base/configmap.yaml"),
        "PRINTFLEET_SHUTDOWN_TIMEOUT:",
        "PRINTFLEET_SHUTDOWN_TIMEOUTS:");
    assertThat(DeployChecker.check(copy))
        .anySatisfy(p -> assertThat(p).contains("PRINTFLEET_SHUTDOWN_TIMEOUTS is not a variable"));
  }

  @Test
  void aGracePeriodShorterThanTheDrainFailsTheCheck(@TempDir Path copy) throws IOException {
    copyRepository(copy);
    replace(
        copy.resolve("k8s/base/gateway.yaml"),
        "terminationGracePeriodSeconds: 35",
        "terminationGracePeriodSeconds: 20");
    assertThat(DeployChecker.check(copy))
        .anySatisfy(
            p ->
                assertThat(p)
                    .contains("Deployment/gateway")
                    .contains("terminationGracePeriodSeconds 20"));
  }

  @Test
  void anEventBusPortOutOfStepWithTheNetworkPolicyFailsTheCheck(@TempDir Path copy)
      throws IOException {
    copyRepository(copy);
    replace(
        copy.resolve("k8s/base/configmap.yaml"),
        "PRINTFLEET_EVENTBUS_PORT: \"7000\"",
        "PRINTFLEET_EVENTBUS_PORT: \"7001\"");
    assertThat(DeployChecker.check(copy))
        .anySatisfy(
            p ->
                assertThat(p)
                    .contains(
                        "container port 'eventbus' is 7000 but PRINTFLEET_EVENTBUS_PORT is 7001"))
        .anySatisfy(p -> assertThat(p).contains("no NetworkPolicy opens the event bus port 7001"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod"})
  void anUnknownKustomizationFieldFailsTheRender(String overlay, @TempDir Path copy)
      throws IOException {
    copyRepository(copy);
    Path k = copy.resolve("k8s/overlays").resolve(overlay).resolve("kustomization.yaml");
    Files.writeString(k, Files.readString(k) + "namePrefix: x-\n");
    assertThat(DeployChecker.check(copy))
        .anySatisfy(p -> assertThat(p).contains("'namePrefix' is not supported"));
  }

  // --- helpers ---

  private JsonSchema composeSchema() throws IOException {
    try (InputStream in = getClass().getResourceAsStream("/schemas/compose-spec.json")) {
      ObjectNode schema = (ObjectNode) new ObjectMapper().readTree(in);
      // Its $id is a bare file name, which the validator will not take as a base; refs are all
      // local.
      schema.remove("$id");
      return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7).getSchema(schema);
    }
  }

  static void copyRepository(Path to) throws IOException {
    for (String part :
        List.of(
            "k8s",
            "deploy",
            "docker-compose.yml",
            "Dockerfile",
            "common/src/main",
            "gateway-service/src/main",
            "printing-service/src/main",
            "monitoring-service/src/main")) {
      Path from = ROOT.resolve(part);
      for (Path file : Files.isDirectory(from) ? DeployChecker.files(from) : List.of(from)) {
        Path target = to.resolve(ROOT.relativize(file).toString());
        Files.createDirectories(target.getParent());
        Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  static void replace(Path file, String from, String to) throws IOException {
    String text = Files.readString(file);
    assertThat(text).as("%s holds %s", file, from).contains(from);
    Files.writeString(file, text.replace(from, to));
  }
}
