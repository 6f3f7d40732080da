package dev.printfleet.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checks k8s/, docker-compose.yml, deploy/ and the Dockerfiles against what the services really
 * are, read from their sources: the environment variables their config classes read, the HTTP
 * routes they mount, their default ports. Every problem is one line; an empty list means all holds.
 * It works on any copy of the repository, so tests can break a copy and see it caught.
 */
final class DeployChecker {

  /** The three services: module, Kubernetes/compose name stem, the ingress paths it serves. */
  record Service(String module, String name) {}

  static final List<Service> SERVICES =
      List.of(
          new Service("gateway-service", "gateway"),
          new Service("printing-service", "printing"),
          new Service("monitoring-service", "monitoring"));

  /**
   * One location of an ingress (a compose/local-cluster nginx {@code location}, a Kubernetes
   * Ingress path): matched exactly or as a prefix; {@code service} null when the ingress answers
   * itself and no service is reached.
   */
  record IngressPath(String path, boolean exact, String service) {}

  /** Requests every ingress must route, and to which service. */
  static final Map<String, String> ROUTED = new LinkedHashMap<>();

  static {
    ROUTED.put("/", "monitoring");
    ROUTED.put("/dashboard/dashboard.js", "monitoring");
    ROUTED.put("/dashboard/chart.umd.js", "monitoring");
    ROUTED.put("/monitoring/cluster", "monitoring");
    ROUTED.put("/monitoring/stream", "monitoring");
    ROUTED.put("/api/v1/jobs", "printing");
    ROUTED.put("/api/v1/openapi.yaml", "printing");
    ROUTED.put("/api/v1/channels/orders:branch:b1/publish", "gateway");
    ROUTED.put("/api/v1/channels/publish", "gateway");
    ROUTED.put("/api/v1/channels/orders:branch:b1/presence", "gateway");
    ROUTED.put("/ws/agent", "gateway");
    ROUTED.put("/ws/client", "gateway");
  }

  /**
   * Requests no ingress may pass to a service: metrics and health name companies, branches and
   * printers (the gateway's connection counts too); Prometheus and the probes reach pods directly.
   */
  static final List<String> INSIDE_ONLY =
      List.of(
          "/metrics",
          "/health/live",
          "/health/ready",
          "/health/websocket/metrics",
          "/index.html",
          "/monitoringx",
          "/wsx",
          "/apix");

  /**
   * The service an ingress passes {@code path} to (null: none): an exact match, else the longest
   * prefix.
   */
  static String resolve(List<IngressPath> ingress, String path) {
    IngressPath best = null;
    for (IngressPath p : ingress) {
      if (p.exact() && p.path().equals(path)) {
        return p.service();
      }
      if (!p.exact()
          && path.startsWith(p.path())
          && (best == null || p.path().length() > best.path().length())) {
        best = p;
      }
    }
    return best == null ? null : best.service();
  }

  /**
   * Checks an ingress routes every {@link #ROUTED} request and passes no {@link #INSIDE_ONLY} one.
   */
  void checkRouting(String where, List<IngressPath> ingress) {
    ROUTED.forEach(
        (path, service) -> {
          String to = resolve(ingress, path);
          if (!service.equals(to)) {
            problems.add(
                where
                    + ": GET "
                    + path
                    + " goes to "
                    + (to == null ? "no service" : to)
                    + ", not "
                    + service);
          }
        });
    for (String path : INSIDE_ONLY) {
      String to = resolve(ingress, path);
      if (to != null) {
        problems.add(where + ": GET " + path + " reaches " + to + " from outside the cluster");
      }
    }
  }

  private static final Pattern SETTING =
      Pattern.compile(
          "\\.(?:string|optional|required|integer|port|bool|duration|bytes|list|enumValue)\\(\\s*\"([A-Z][A-Z0-9_]*)\"");
  private static final Pattern RESOURCE_VARIABLE =
      Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*)(?::-[^}]*)?}");
  private static final Pattern ROUTE =
      Pattern.compile("router\\s*\\.(?:get|post|put|delete|route)\\(\\s*\"(/[^\"]*)\"");
  private static final Pattern WEBSOCKET = Pattern.compile("\"(/ws/[A-Za-z0-9_-]+)\"");
  private static final Pattern DEFAULT_PORT = Pattern.compile("DEFAULT_HTTP_PORT\\s*=\\s*(\\d+)");
  private static final Pattern URL = Pattern.compile("https?://[^\\s\"',\\]]+");

  private final Path root;
  private final List<String> problems = new ArrayList<>();
  private final Set<String> variables = new TreeSet<>();
  private final Set<String> routes = new TreeSet<>();
  private final Map<String, Integer> defaultPorts = new LinkedHashMap<>();

  DeployChecker(Path root) {
    this.root = root;
  }

  static List<String> check(Path root) {
    var checker = new DeployChecker(root);
    checker.readSources();
    checker.checkKubernetes();
    checker.checkCompose();
    checker.checkNginxAndPrometheus();
    checker.checkDockerfiles();
    checker.checkDashboards();
    return checker.problems;
  }

  // --- what the services really are ---

  void readSources() {
    for (String module :
        List.of("common", "gateway-service", "printing-service", "monitoring-service")) {
      for (Path file : files(root.resolve(module).resolve("src/main"))) {
        String text = read(file);
        if (file.toString().endsWith(".java")) {
          collect(SETTING, text, variables);
          collect(ROUTE, text, routes);
          collect(WEBSOCKET, text, routes);
        } else if (file.toString().endsWith(".xml")) {
          collect(RESOURCE_VARIABLE, text, variables);
        }
      }
    }
    for (Service s : SERVICES) {
      for (Path file : files(root.resolve(s.module()).resolve("src/main/java"))) {
        Matcher m = DEFAULT_PORT.matcher(read(file));
        if (m.find()) {
          defaultPorts.put(s.name(), Integer.parseInt(m.group(1)));
        }
      }
      if (!defaultPorts.containsKey(s.name())) {
        problems.add(s.module() + ": no DEFAULT_HTTP_PORT found in its sources");
      }
    }
    if (variables.isEmpty() || routes.isEmpty()) {
      problems.add("found no configuration variables or no routes in the sources under " + root);
    }
  }

  Set<String> variables() {
    return variables;
  }

  Set<String> routes() {
    return routes;
  }

  private boolean isRoute(String path) {
    for (String route : routes) {
      if (route.equals(path)
          || (route.endsWith("/*") && path.startsWith(route.substring(0, route.length() - 1)))) {
        return true;
      }
    }
    return false;
  }

  private void checkVariable(String where, String name) {
    if (!variables.contains(name)) {
      problems.add(
          where
              + ": "
              + name
              + " is not a variable any printfleet service reads (known: config classes and logback)");
    }
  }

  private void checkProbe(String where, String probe, String path, String expected) {
    if (!isRoute(path)) {
      problems.add(where + ": " + probe + " path " + path + " is not a route of the service");
    } else if (!path.equals(expected)) {
      problems.add(where + ": " + probe + " path is " + path + ", expected " + expected);
    }
  }

  // --- Kubernetes ---

  void checkKubernetes() {
    Path k8s = root.resolve("k8s");
    List<ObjectNode> all = new ArrayList<>();
    for (Path file : files(k8s)) {
      if (!file.toString().endsWith(".yaml")
          || file.getFileName().toString().equals("kustomization.yaml")) {
        continue;
      }
      String source = root.relativize(file).toString();
      // Overlay patches are partial objects: they are checked rendered, below.
      boolean whole =
          source.startsWith("k8s/base/") || file.getFileName().toString().endsWith(".example.yaml");
      if (whole) {
        for (ObjectNode object : Yaml.documents(file)) {
          problems.addAll(KubernetesModel.validate(source, object));
        }
      }
    }
    for (String overlay : List.of("dev", "prod")) {
      List<ObjectNode> rendered;
      try {
        rendered = Kustomize.render(k8s.resolve("overlays").resolve(overlay));
      } catch (RuntimeException e) {
        problems.add("k8s/overlays/" + overlay + ": does not render: " + e.getMessage());
        continue;
      }
      String where = "k8s/overlays/" + overlay + " (rendered)";
      for (ObjectNode object : rendered) {
        problems.addAll(KubernetesModel.validate(where, object));
      }
      checkRendered(where, rendered, overlay);
      all.addAll(rendered);
    }
    if (all.isEmpty()) {
      problems.add("k8s/: nothing rendered");
    }
  }

  private void checkRendered(String where, List<ObjectNode> objects, String overlay) {
    Map<String, ObjectNode> byId = new LinkedHashMap<>();
    for (ObjectNode o : objects) {
      if (byId.put(Yaml.id(o), o) != null) {
        problems.add(where + ": " + Yaml.id(o) + " appears twice");
      }
    }
    ObjectNode config = byId.get("ConfigMap/printfleet-config");
    Map<String, String> shared = new LinkedHashMap<>();
    if (config == null) {
      problems.add(where + ": no ConfigMap printfleet-config");
    } else {
      config
          .path("data")
          .fields()
          .forEachRemaining(
              e -> {
                checkVariable(where + " ConfigMap/printfleet-config", e.getKey());
                shared.put(e.getKey(), e.getValue().asText());
              });
    }
    ObjectNode secret = byId.get("Secret/printfleet-secrets");
    if (secret != null) {
      secret
          .path("stringData")
          .fieldNames()
          .forEachRemaining(n -> checkVariable(where + " Secret/printfleet-secrets", n));
    } else if (overlay.equals("dev")) {
      problems.add(where + ": the dev overlay has no example Secret printfleet-secrets");
    }
    int eventBusPort =
        parseInt(shared.get("PRINTFLEET_EVENTBUS_PORT"), where + " PRINTFLEET_EVENTBUS_PORT", 0);
    if (eventBusPort == 0) {
      problems.add(
          where
              + ": PRINTFLEET_EVENTBUS_PORT must be a fixed port (the NetworkPolicy opens exactly it)");
    }
    Duration shutdown = duration(shared.getOrDefault("PRINTFLEET_SHUTDOWN_TIMEOUT", "25s"));
    Duration drain = duration(shared.getOrDefault("PRINTFLEET_DRAIN_DELAY", "5s"));
    if (drain.compareTo(shutdown) >= 0) {
      problems.add(
          where
              + ": PRINTFLEET_DRAIN_DELAY ("
              + drain
              + ") must be shorter than PRINTFLEET_SHUTDOWN_TIMEOUT ("
              + shutdown
              + "), which includes it");
    }

    for (Service s : SERVICES) {
      ObjectNode deployment = byId.get("Deployment/" + s.name());
      String at = where + " Deployment/" + s.name();
      if (deployment == null) {
        problems.add(where + ": no Deployment " + s.name());
        continue;
      }
      JsonNode pod = deployment.path("spec").path("template");
      JsonNode selector = deployment.path("spec").path("selector").path("matchLabels");
      selector
          .fields()
          .forEachRemaining(
              e -> {
                if (!e.getValue().equals(pod.path("metadata").path("labels").path(e.getKey()))) {
                  problems.add(
                      at + ": selector label " + e.getKey() + " is not on the pod template");
                }
              });
      if (!"printfleet"
          .equals(pod.path("metadata").path("labels").path("app.kubernetes.io/part-of").asText())) {
        problems.add(
            at
                + ": pod template lacks app.kubernetes.io/part-of=printfleet (NetworkPolicies select on it)");
      }
      JsonNode containers = pod.path("spec").path("containers");
      if (containers.size() != 1) {
        problems.add(at + ": expected one container");
        continue;
      }
      JsonNode c = containers.get(0);
      Map<String, Integer> ports = new LinkedHashMap<>();
      c.path("ports")
          .forEach(p -> ports.put(p.path("name").asText(), p.path("containerPort").asInt()));
      Map<String, JsonNode> env = new LinkedHashMap<>();
      c.path("env").forEach(e -> env.put(e.path("name").asText(), e));
      env.keySet().forEach(n -> checkVariable(at, n));
      int defaultPort = defaultPorts.getOrDefault(s.name(), -1);
      int httpPort =
          env.containsKey("PRINTFLEET_HTTP_PORT")
              ? parseInt(
                  env.get("PRINTFLEET_HTTP_PORT").path("value").asText(),
                  at + " PRINTFLEET_HTTP_PORT",
                  -1)
              : defaultPort;
      if (!Integer.valueOf(httpPort).equals(ports.get("http"))) {
        problems.add(
            at
                + ": container port 'http' is "
                + ports.get("http")
                + " but the service listens on "
                + httpPort);
      }
      if (!Integer.valueOf(eventBusPort).equals(ports.get("eventbus"))) {
        problems.add(
            at
                + ": container port 'eventbus' is "
                + ports.get("eventbus")
                + " but PRINTFLEET_EVENTBUS_PORT is "
                + eventBusPort);
      }
      JsonNode host = env.get("PRINTFLEET_EVENTBUS_HOST");
      if (host == null
          || !"status.podIP"
              .equals(host.path("valueFrom").path("fieldRef").path("fieldPath").asText())) {
        problems.add(
            at + ": PRINTFLEET_EVENTBUS_HOST must come from the pod IP (fieldRef status.podIP)");
      }
      boolean refsConfig = false;
      for (JsonNode from : c.path("envFrom")) {
        refsConfig |= "printfleet-config".equals(from.path("configMapRef").path("name").asText());
      }
      if (!refsConfig) {
        problems.add(at + ": does not take its settings from ConfigMap printfleet-config");
      }
      for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
        JsonNode get = c.path(probe).path("httpGet");
        if (get.isMissingNode()) {
          if (!probe.equals("startupProbe")) {
            problems.add(at + ": no " + probe + " httpGet");
          }
          continue;
        }
        checkProbe(
            at,
            probe,
            get.path("path").asText(),
            probe.equals("readinessProbe") ? "/health/ready" : "/health/live");
        JsonNode port = get.path("port");
        int resolved = port.isInt() ? port.asInt() : ports.getOrDefault(port.asText(), -1);
        if (resolved != httpPort) {
          problems.add(
              at + ": " + probe + " port " + port.asText() + " is not the HTTP port " + httpPort);
        }
      }
      long preStop = 0;
      JsonNode command = c.path("lifecycle").path("preStop").path("exec").path("command");
      if (command.size() == 2 && command.get(0).asText().equals("sleep")) {
        preStop = Long.parseLong(command.get(1).asText());
      } else {
        problems.add(at + ": preStop should be [sleep, N] so endpoints are removed before SIGTERM");
      }
      long grace = pod.path("spec").path("terminationGracePeriodSeconds").asLong(30);
      if (grace < preStop + shutdown.toSeconds()) {
        problems.add(
            at
                + ": terminationGracePeriodSeconds "
                + grace
                + " is shorter than preStop "
                + preStop
                + " s + PRINTFLEET_SHUTDOWN_TIMEOUT "
                + shutdown.toSeconds()
                + " s: the kubelet would kill a draining instance");
      }
      if (c.path("resources").path("requests").isMissingNode()
          || c.path("resources").path("limits").path("memory").isMissingNode()) {
        problems.add(at + ": resources need requests and a memory limit");
      }

      ObjectNode service = byId.get("Service/" + s.name());
      if (service == null) {
        problems.add(where + ": no Service " + s.name());
      } else {
        selector
            .fields()
            .forEachRemaining(
                e -> {
                  if (!e.getValue()
                      .equals(service.path("spec").path("selector").path(e.getKey()))) {
                    problems.add(
                        where
                            + " Service/"
                            + s.name()
                            + ": selector does not match the Deployment's pods");
                  }
                });
        for (JsonNode p : service.path("spec").path("ports")) {
          JsonNode target = p.path("targetPort");
          if (target.isTextual() && !ports.containsKey(target.asText())) {
            problems.add(
                where
                    + " Service/"
                    + s.name()
                    + ": targetPort "
                    + target.asText()
                    + " is not a container port");
          }
        }
      }
    }
    for (String hpa : List.of("gateway", "printing")) {
      ObjectNode h = byId.get("HorizontalPodAutoscaler/" + hpa);
      if (h == null
          || h.path("spec").path("minReplicas").asInt() != 2
          || h.path("spec").path("maxReplicas").asInt() != 10
          || !hpa.equals(h.path("spec").path("scaleTargetRef").path("name").asText())) {
        problems.add(
            where
                + ": HorizontalPodAutoscaler "
                + hpa
                + " must scale Deployment "
                + hpa
                + " between 2 and 10");
      }
      if (!byId.containsKey("PodDisruptionBudget/" + hpa)) {
        problems.add(where + ": no PodDisruptionBudget " + hpa);
      }
    }
    ObjectNode ingress = byId.get("Ingress/printfleet");
    if (ingress == null) {
      problems.add(where + ": no Ingress printfleet");
    } else {
      List<IngressPath> paths = new ArrayList<>();
      for (JsonNode rule : ingress.path("spec").path("rules")) {
        for (JsonNode p : rule.path("http").path("paths")) {
          String svc = p.path("backend").path("service").path("name").asText();
          String type = p.path("pathType").asText();
          if (!type.equals("Exact") && !type.equals("Prefix")) {
            problems.add(
                where
                    + " Ingress/printfleet: path "
                    + p.path("path").asText()
                    + " has pathType "
                    + type
                    + "; only Exact and Prefix have a meaning the checks can hold the controller to");
          }
          paths.add(new IngressPath(p.path("path").asText(), type.equals("Exact"), svc));
          ObjectNode backend = byId.get("Service/" + svc);
          String portName = p.path("backend").path("service").path("port").path("name").asText();
          boolean found =
              backend != null
                  && Stream.of(backend.path("spec").path("ports"))
                      .flatMap(ps -> java.util.stream.StreamSupport.stream(ps.spliterator(), false))
                      .anyMatch(sp -> sp.path("name").asText().equals(portName));
          if (!found) {
            problems.add(
                where
                    + " Ingress/printfleet: path "
                    + p.path("path").asText()
                    + " goes to "
                    + svc
                    + ":"
                    + portName
                    + ", which no Service has");
          }
        }
      }
      if (ingress.path("spec").has("defaultBackend")) {
        problems.add(
            where
                + " Ingress/printfleet: a defaultBackend routes every unmatched path to a service");
      }
      checkRouting(where + " Ingress/printfleet", paths);
      String timeout =
          ingress
              .path("metadata")
              .path("annotations")
              .path("nginx.ingress.kubernetes.io/proxy-read-timeout")
              .asText("60");
      if (parseInt(timeout, "proxy-read-timeout", 0) < 3600) {
        problems.add(
            where
                + " Ingress/printfleet: proxy-read-timeout "
                + timeout
                + " is too short for agent WebSockets");
      }
    }
    boolean eventBusPolicy = false;
    for (ObjectNode o : objects) {
      if (!o.path("kind").asText().equals("NetworkPolicy")) {
        continue;
      }
      for (JsonNode rule : o.path("spec").path("ingress")) {
        for (JsonNode p : rule.path("ports")) {
          if (p.path("port").asInt(-1) == eventBusPort) {
            eventBusPolicy = true;
            for (JsonNode from : rule.path("from")) {
              if (!"printfleet"
                      .equals(
                          from.path("podSelector")
                              .path("matchLabels")
                              .path("app.kubernetes.io/part-of")
                              .asText())
                  || from.has("namespaceSelector")
                  || from.has("ipBlock")) {
                problems.add(
                    where
                        + " "
                        + Yaml.id(o)
                        + ": the event bus port is open to more than printfleet pods");
              }
            }
          }
        }
      }
    }
    if (!eventBusPolicy) {
      problems.add(
          where
              + ": no NetworkPolicy opens the event bus port "
              + eventBusPort
              + " between printfleet pods");
    }
    ObjectNode monitor = byId.get("ServiceMonitor/printfleet");
    if (monitor == null) {
      problems.add(where + ": no ServiceMonitor printfleet");
    } else {
      for (JsonNode endpoint : monitor.path("spec").path("endpoints")) {
        if (!isRoute(endpoint.path("path").asText())) {
          problems.add(
              where
                  + " ServiceMonitor/printfleet: path "
                  + endpoint.path("path").asText()
                  + " is not a route");
        }
      }
      // Each service's pods through exactly one scraped Service: a second one doubles every
      // series of the service under another job (and the alerts' job names are the services').
      Map<String, List<String>> scrapedBy = new TreeMap<>();
      for (ObjectNode o : byId.values()) {
        if (o.path("kind").asText().equals("Service") && scrapes(monitor, o)) {
          scrapedBy
              .computeIfAbsent(
                  o.path("spec").path("selector").path("app.kubernetes.io/name").asText(),
                  k -> new ArrayList<>())
              .add(o.path("metadata").path("name").asText());
        }
      }
      for (String service : List.of("gateway", "printing", "monitoring")) {
        List<String> services = scrapedBy.getOrDefault(service, List.of());
        if (services.size() != 1 || !services.get(0).equals(service)) {
          problems.add(
              where
                  + " ServiceMonitor/printfleet: the "
                  + service
                  + " pods are scraped through Services "
                  + services
                  + ", expected exactly ["
                  + service
                  + "]");
        }
      }
    }
    if (!byId.containsKey("ConfigMap/printfleet-grafana-dashboard")) {
      problems.add(where + ": no Grafana dashboard ConfigMap");
    }
  }

  /** Whether the ServiceMonitor's selector (labels, and NotIn/In expressions) takes the Service. */
  private static boolean scrapes(JsonNode monitor, JsonNode service) {
    JsonNode selector = monitor.path("spec").path("selector");
    JsonNode labels = service.path("metadata").path("labels");
    var matches = selector.path("matchLabels").fields();
    while (matches.hasNext()) {
      var e = matches.next();
      if (!e.getValue().asText().equals(labels.path(e.getKey()).asText(null))) {
        return false;
      }
    }
    for (JsonNode expression : selector.path("matchExpressions")) {
      String value = labels.path(expression.path("key").asText()).asText(null);
      boolean listed = false;
      for (JsonNode v : expression.path("values")) {
        listed |= v.asText().equals(value);
      }
      switch (expression.path("operator").asText()) {
        case "In" -> {
          if (!listed) {
            return false;
          }
        }
        case "NotIn" -> {
          if (listed) {
            return false;
          }
        }
        case "Exists" -> {
          if (value == null) {
            return false;
          }
        }
        case "DoesNotExist" -> {
          if (value != null) {
            return false;
          }
        }
        default -> {
          return false;
        }
      }
    }
    return true;
  }

  // --- docker-compose.yml ---

  void checkCompose() {
    Path file = root.resolve("docker-compose.yml");
    ObjectNode compose = Yaml.single(file);
    JsonNode services = compose.path("services");
    for (String name :
        List.of(
            "redis",
            "postgres",
            "gateway-1",
            "gateway-2",
            "printing-1",
            "printing-2",
            "monitoring",
            "nginx",
            "prometheus",
            "grafana")) {
      if (!services.has(name)) {
        problems.add("docker-compose.yml: no service " + name);
      }
    }
    String redisCommand = services.path("redis").path("command").toString();
    for (String needed : List.of("--requirepass", "--appendonly", "--maxmemory", "noeviction")) {
      if (!redisCommand.contains(needed)) {
        problems.add("docker-compose.yml redis: command lacks " + needed);
      }
    }
    for (String profiled : List.of("prometheus", "grafana")) {
      if (!services.path(profiled).path("profiles").toString().contains("\"monitoring\"")) {
        problems.add("docker-compose.yml " + profiled + ": not under the monitoring profile");
      }
    }
    services
        .fields()
        .forEachRemaining(
            e -> {
              String name = e.getKey();
              JsonNode svc = e.getValue();
              String where = "docker-compose.yml " + name;
              svc.path("depends_on")
                  .fields()
                  .forEachRemaining(
                      d -> {
                        JsonNode dependency = services.path(d.getKey());
                        if (dependency.has("healthcheck")
                            && !"service_healthy".equals(d.getValue().path("condition").asText())) {
                          problems.add(
                              where
                                  + ": depends on "
                                  + d.getKey()
                                  + " without condition service_healthy");
                        }
                      });
              Optional<Service> printfleet =
                  SERVICES.stream().filter(s -> name.startsWith(s.name())).findFirst();
              if (printfleet.isEmpty() || !svc.has("build")) {
                return;
              }
              Service s = printfleet.get();
              Map<String, String> env = new LinkedHashMap<>();
              if (svc.has("env_file")) {
                List<String> envFiles = new ArrayList<>();
                if (svc.path("env_file").isArray()) {
                  svc.path("env_file")
                      .forEach(
                          f -> envFiles.add(f.isTextual() ? f.asText() : f.path("path").asText()));
                } else {
                  envFiles.add(svc.path("env_file").asText());
                }
                for (String envFile : envFiles) {
                  for (String line : read(root.resolve(envFile)).lines().toList()) {
                    if (!line.isBlank() && !line.startsWith("#")) {
                      String[] kv = line.split("=", 2);
                      checkVariable(where + " (" + envFile + ")", kv[0].trim());
                      env.put(kv[0].trim(), kv.length > 1 ? kv[1].trim() : "");
                    }
                  }
                }
              }
              svc.path("environment")
                  .fields()
                  .forEachRemaining(
                      v -> {
                        checkVariable(where, v.getKey());
                        env.put(v.getKey(), v.getValue().asText());
                      });
              JsonNode build = svc.path("build");
              String buildArgs =
                  "SERVICE="
                      + build.path("args").path("SERVICE").asText()
                      + " PORT="
                      + build.path("args").path("PORT").asText();
              String expectedArgs = "SERVICE=" + s.module() + " PORT=" + defaultPorts.get(s.name());
              if (!"Dockerfile".equals(build.path("dockerfile").asText())
                  || !buildArgs.equals(expectedArgs)) {
                problems.add(
                    where
                        + ": builds "
                        + build.path("dockerfile").asText()
                        + " with "
                        + buildArgs
                        + ", expected Dockerfile with "
                        + expectedArgs);
              }
              int port =
                  env.containsKey("PRINTFLEET_HTTP_PORT")
                      ? parseInt(
                          env.get("PRINTFLEET_HTTP_PORT"), where + " PRINTFLEET_HTTP_PORT", -1)
                      : defaultPorts.getOrDefault(s.name(), -1);
              String eventBusHost = env.getOrDefault("PRINTFLEET_EVENTBUS_HOST", "127.0.0.1");
              if (!eventBusHost.equals(name)) {
                problems.add(
                    where
                        + ": PRINTFLEET_EVENTBUS_HOST is "
                        + eventBusHost
                        + "; other containers reach this one as "
                        + name);
              }
              String test = svc.path("healthcheck").path("test").toString();
              Matcher url = URL.matcher(test);
              if (!url.find()) {
                problems.add(where + ": the health check calls no URL");
              } else {
                URI uri = URI.create(url.group());
                if (uri.getPort() != port) {
                  problems.add(
                      where
                          + ": the health check calls port "
                          + uri.getPort()
                          + " but the service listens on "
                          + port);
                }
                checkProbe(where, "healthcheck", uri.getPath(), "/health/ready");
              }
              for (String dep : List.of("redis")) {
                if (!"service_healthy"
                    .equals(svc.path("depends_on").path(dep).path("condition").asText())) {
                  problems.add(where + ": must wait for " + dep + " to be healthy");
                }
              }
            });
  }

  // --- nginx, Prometheus ---

  void checkNginxAndPrometheus() {
    String locations = read(root.resolve("deploy/nginx/printfleet-locations.conf"));
    Matcher m = LOCATION.matcher(locations);
    List<IngressPath> routing = new ArrayList<>(nginxLocations(locations));
    while (m.find()) {
      if (m.group(2).equals("/ws/")) {
        for (String needed :
            List.of(
                "proxy_http_version 1.1",
                "Upgrade $http_upgrade",
                "Connection $connection_upgrade",
                "proxy_read_timeout 3600s")) {
          if (!m.group(3).contains(needed)) {
            problems.add("deploy/nginx/printfleet-locations.conf /ws/: lacks '" + needed + "'");
          }
        }
      }
    }
    String nginx = read(root.resolve("deploy/nginx/nginx.conf"));
    if (!nginx.contains("include /etc/nginx/printfleet-locations.conf;")) {
      problems.add("deploy/nginx/nginx.conf: does not include printfleet-locations.conf");
    }
    routing.addAll(nginxLocations(nginx));
    checkRouting("compose nginx (deploy/nginx)", routing);
    String cluster = read(root.resolve("deploy/local-cluster.sh"));
    if (!cluster.contains("include $ROOT/deploy/nginx/printfleet-locations.conf;")) {
      problems.add(
          "deploy/local-cluster.sh: its nginx does not include deploy/nginx/printfleet-locations.conf");
    }
    List<IngressPath> local = new ArrayList<>(nginxLocations(locations));
    local.addAll(nginxLocations(cluster));
    checkRouting("local cluster nginx (deploy/local-cluster.sh)", local);
    for (String route : routes) {
      String to =
          resolve(
              routing, route.endsWith("/*") ? route.substring(0, route.length() - 1) + "x" : route);
      if (to == null && !INSIDE_ONLY.contains(route) && !route.startsWith("/health/")) {
        problems.add(
            "nginx: route " + route + " is served by a service but not routed by the ingress");
      }
    }
    String prometheus = read(root.resolve("deploy/prometheus/prometheus.yml"));
    JsonNode services = Yaml.single(root.resolve("docker-compose.yml")).path("services");
    services
        .fieldNames()
        .forEachRemaining(
            name -> {
              Optional<Service> s =
                  SERVICES.stream().filter(x -> name.startsWith(x.name())).findFirst();
              if (s.isEmpty() || !services.path(name).has("build")) {
                return;
              }
              String port =
                  services
                      .path(name)
                      .path("environment")
                      .path("PRINTFLEET_HTTP_PORT")
                      .asText(String.valueOf(defaultPorts.get(s.get().name())));
              if (!nginx.contains("server " + name + ":" + port + " ")) {
                problems.add(
                    "deploy/nginx/nginx.conf: upstream "
                        + s.get().name()
                        + " lacks server "
                        + name
                        + ":"
                        + port);
              }
              if (!prometheus.contains("\"" + name + ":" + port + "\"")) {
                problems.add(
                    "deploy/prometheus/prometheus.yml: does not scrape " + name + ":" + port);
              }
            });
    Matcher path = Pattern.compile("metrics_path:\\s*(\\S+)").matcher(prometheus);
    while (path.find()) {
      if (!isRoute(path.group(1))) {
        problems.add(
            "deploy/prometheus/prometheus.yml: metrics_path " + path.group(1) + " is not a route");
      }
    }
  }

  private static final Pattern LOCATION =
      Pattern.compile("location\\s+(=\\s*)?(\\S+)\\s*\\{([^}]*)}");
  private static final Pattern PROXY_PASS = Pattern.compile("proxy_pass\\s+http://([a-z]+)");

  /**
   * The locations of an nginx configuration: {@code location = /x} is exact, a proxy_pass names the
   * service.
   */
  static List<IngressPath> nginxLocations(String conf) {
    List<IngressPath> locations = new ArrayList<>();
    Matcher m = LOCATION.matcher(conf);
    while (m.find()) {
      Matcher pass = PROXY_PASS.matcher(m.group(3));
      locations.add(
          new IngressPath(m.group(2), m.group(1) != null, pass.find() ? pass.group(1) : null));
    }
    return locations;
  }

  // --- Dockerfiles ---

  void checkDockerfiles() {
    Path file = root.resolve("Dockerfile");
    String where = "Dockerfile";
    if (!Files.exists(file)) {
      problems.add(where + ": missing");
      return;
    }
    String text = read(file);
    long stages = text.lines().filter(l -> l.startsWith("FROM ")).count();
    if (stages < 2 || !text.contains("./mvnw")) {
      problems.add(where + ": must be multi-stage, building with the Maven wrapper");
    }
    if (!Pattern.compile("(?m)^FROM eclipse-temurin:21-jre").matcher(text).find()) {
      problems.add(where + ": the runtime stage must be a JRE 21 image");
    }
    Matcher user = Pattern.compile("(?m)^USER\\s+(\\S+)").matcher(text);
    if (!user.find() || user.group(1).startsWith("root") || user.group(1).startsWith("0")) {
      problems.add(where + ": must run as a non-root USER");
    }
    if (!text.contains("-XX:MaxRAMPercentage=")) {
      problems.add(where + ": no container-aware heap (-XX:MaxRAMPercentage)");
    }
    // The build refuses a SERVICE outside its case list: every module must be in it.
    Matcher allowed = Pattern.compile("case \"\\$SERVICE\" in ([^)]*)\\)").matcher(text);
    List<String> modules =
        allowed.find() ? List.of(allowed.group(1).trim().split("\\|")) : List.of();
    for (Service s : SERVICES) {
      if (!modules.contains(s.module())) {
        problems.add(
            where + ": SERVICE may not be " + s.module() + " (the build accepts " + modules + ")");
      }
    }
    Matcher health = Pattern.compile("(?ms)^HEALTHCHECK.*?(http://[^\"\\s]+)").matcher(text);
    if (!health.find()) {
      problems.add(where + ": no HEALTHCHECK URL");
    } else {
      // The port comes from the build argument; any number will do to read the path.
      String url = health.group(1).replace("${PRINTFLEET_HTTP_PORT}", "8080");
      checkProbe(where, "HEALTHCHECK", URI.create(url).getPath(), "/health/live");
    }
    if (!text.contains("PRINTFLEET_HTTP_PORT=${PORT}") || !text.contains("EXPOSE ${PORT}")) {
      problems.add(
          where + ": PRINTFLEET_HTTP_PORT and EXPOSE must both come from the PORT build argument");
    }
    Matcher vars = Pattern.compile("\\b((?:PRINTFLEET|REDIS|PG)[A-Z0-9_]*)=").matcher(text);
    while (vars.find()) {
      checkVariable(where, vars.group(1));
    }
  }

  void checkDashboards() {
    String compose = read(root.resolve("deploy/grafana/dashboards/printfleet.json"));
    String k8s = read(root.resolve("k8s/base/grafana/printfleet.json"));
    if (!compose.equals(k8s)) {
      problems.add(
          "k8s/base/grafana/printfleet.json differs from deploy/grafana/dashboards/printfleet.json");
    }
  }

  // --- helpers ---

  private static void collect(Pattern pattern, String text, Set<String> into) {
    Matcher m = pattern.matcher(text);
    while (m.find()) {
      into.add(m.group(1));
    }
  }

  private int parseInt(String value, String what, int fallback) {
    try {
      return Integer.parseInt(value.trim());
    } catch (RuntimeException e) {
      problems.add(what + ": '" + value + "' is not a number");
      return fallback;
    }
  }

  private static Duration duration(String value) {
    Matcher m = Pattern.compile("(\\d+)(ms|s|m|h)?").matcher(value.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException("not a duration: " + value);
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2) == null ? "ms" : m.group(2)) {
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofMillis(n);
    };
  }

  static List<Path> files(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(file + ": " + e.getMessage(), e);
    }
  }
}
