package dev.printfleet.printing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.protocol.Envelope;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The official {@code socket.io-client} (npm, pinned by src/test/node/socketio-clients), run by
 * Node, against the gateway's {@code /socket.io/}: the agents and dashboards of the system
 * printfleet replaces, unchanged (PROTOCOL.md §2.5). Node and npm must be installed (the test
 * prerequisites of ./printfleet test install them).
 */
class SocketIoNodeClientTest extends PrintingTestBase {

  private static final Path SOURCE = Path.of("src/test/node/socketio-clients");
  private static final Path WORK = Path.of("target/socketio-clients");

  private final List<Process> processes = new ArrayList<>();

  /** Installs the pinned client once per build (npm ci), beside a copy of the script. */
  @BeforeAll
  static void install() throws Exception {
    Files.createDirectories(WORK);
    for (String file : List.of("package.json", "package-lock.json", "client.js")) {
      Files.copy(SOURCE.resolve(file), WORK.resolve(file), StandardCopyOption.REPLACE_EXISTING);
    }
    if (Files.isDirectory(WORK.resolve("node_modules/socket.io-client"))) {
      return;
    }
    var builder =
        new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund")
            .directory(WORK.toFile())
            .redirectErrorStream(true);
    // The tests may run as another user than the one whose home npm would cache in.
    builder
        .environment()
        .put("npm_config_cache", WORK.resolve(".npm-cache").toAbsolutePath().toString());
    var npm = builder.start();
    String output = new String(npm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(npm.waitFor(180, TimeUnit.SECONDS)).as("npm ci finished").isTrue();
    assertThat(npm.exitValue()).as("npm ci: " + output).isZero();
  }

  @AfterEach
  void stopClients() {
    processes.forEach(Process::destroy);
  }

  /** A client process; its JSON lines, as they come. */
  private List<JsonObject> client(
      String mode, String token, String transports, String target, String... more)
      throws IOException {
    var command =
        new java.util.ArrayList<>(
            List.of(
                "node",
                "client.js",
                mode,
                "http://127.0.0.1:"
                    + gateway.httpPort()
                    + (mode.equals("channels") ? "" : "/printing-ws"),
                token,
                transports,
                target));
    command.addAll(List.of(more));
    var process =
        new ProcessBuilder(command)
            .directory(WORK.toFile())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    processes.add(process);
    var lines = new CopyOnWriteArrayList<JsonObject>();
    Thread.ofVirtual()
        .start(
            () -> {
              try (var reader =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = reader.readLine()) != null; ) {
                  lines.add(new JsonObject(line));
                }
              } catch (IOException e) {
                // The process ended.
              }
            });
    return lines;
  }

  private static JsonObject first(List<JsonObject> lines, String event) {
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> lines.stream().anyMatch(l -> event.equals(l.getString("event"))));
    return lines.stream().filter(l -> event.equals(l.getString("event"))).findFirst().orElseThrow();
  }

  private String postJob(String printerId) {
    var created = post("/api/v1/jobs", userToken("acme"), job(printerId), null);
    assertThat(created.statusCode()).isEqualTo(201);
    return new JsonObject(created.body()).getString("id");
  }

  private void agentPrints(String agentId, String transports) throws IOException {
    String printer = agentId + "-p1";
    var lines = client("agent", cluster.agentToken(agentId, "acme", "b1"), transports, printer);
    assertThat(first(lines, "synced").getJsonObject("answer"))
        .isEqualTo(new JsonObject().put("printers", 1));
    awaitPrinterKnown(printer);

    String jobId = postJob(printer);

    var job = first(lines, "job").getJsonObject("job");
    assertThat(job.getString("jobId")).isEqualTo(jobId);
    assertThat(job.getString("content")).isEqualTo(job(printer).getString("content"));
    await().atMost(Duration.ofSeconds(10)).until(() -> "printed".equals(state(jobId)));
    assertThat(historyStates(jobId)).containsExactly("queued", "dispatched", "printed");
  }

  @Test
  void anAgentOnAWebSocketReceivesAJobAndReportsItPrinted() throws IOException {
    agentPrints("node-ws", "websocket");
  }

  @Test
  void anAgentForcedToLongPollingWorksEndToEnd() throws IOException {
    agentPrints("node-poll", "polling");
  }

  @Test
  void anAgentThatUpgradesFromPollingToWebSocketLosesNothing() throws IOException {
    var lines =
        client(
            "agent",
            cluster.agentToken("node-up", "acme", "b1"),
            "polling,websocket",
            "node-up-p1",
            "500");
    // Opened on polling; the client starts its upgrade once its first status went out (client.js).
    assertThat(first(lines, "opened").getString("transport")).isEqualTo("polling");
    assertThat(first(lines, "connected")).isNotNull();
    assertThat(first(lines, "upgraded").getString("transport")).isEqualTo("websocket");
    assertThat(first(lines, "synced").getJsonObject("answer"))
        .isEqualTo(new JsonObject().put("printers", 1));
    // Statuses emitted every 20 ms from the connect on: on polling, then across the upgrade, then
    // five on the WebSocket. Every one is answered. (SocketIoWireTest covers, frame by frame,
    // packets posted between the probe and the upgrade.)
    var statuses = first(lines, "statuses");
    assertThat(statuses.getInteger("answered")).isEqualTo(statuses.getInteger("sent"));
    assertThat(statuses.getJsonArray("errors")).isEmpty();
    assertThat(statuses.getJsonObject("sentOn").getInteger("polling", 0)).isPositive();
    assertThat(statuses.getJsonObject("sentOn").getInteger("websocket", 0)).isEqualTo(5);
    awaitPrinterKnown("node-up-p1");
    String jobId = postJob("node-up-p1");
    assertThat(first(lines, "job").getJsonObject("job").getString("jobId")).isEqualTo(jobId);
    await().atMost(Duration.ofSeconds(10)).until(() -> "printed".equals(state(jobId)));
  }

  @Test
  void aDashboardSeesItsBranchsPrinterStatusesAndJobUpdates() throws IOException {
    var dashboard =
        client(
            "dashboard",
            cluster.userToken("alice", Role.USER, "acme", "b1"),
            "websocket",
            "branch:b1");
    assertThat(first(dashboard, "subscribed").getJsonObject("answer"))
        .isEqualTo(
            new JsonObject()
                .put("rooms", List.of("branch:b1"))
                .put("presence", new JsonObject().put("branch:b1", 1)));

    var agent = agent(gateway, "node-dash", "b1");
    await().atMost(Duration.ofSeconds(10)).until(agent::isConnected);
    awaitPrinterKnown(agent.printerIds().get(0));
    agent.send(
        Envelope.event(
            "printer.status",
            new JsonObject().put("printerId", agent.printerIds().get(0)).put("status", "busy")));
    assertThat(first(dashboard, "printerStatusUpdate").getJsonArray("updates")).isNotEmpty();

    String jobId = postJob(agent.printerIds().get(0));
    await().atMost(Duration.ofSeconds(10)).until(() -> "printed".equals(state(jobId)));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                dashboard.stream()
                    .filter(l -> "jobUpdate".equals(l.getString("event")))
                    .map(l -> l.getJsonObject("update"))
                    .anyMatch(
                        u ->
                            jobId.equals(u.getString("jobId"))
                                && "printed".equals(u.getString("state"))));
  }

  @Test
  void aDashboardOnOrdersAndAvailabilityOverOneConnectionGetsEachChannelsEventsByName()
      throws IOException {
    var lines =
        client(
            "channels",
            cluster.userToken("carol", Role.USER, "acme"),
            "polling,websocket",
            "branch:b1",
            "zone:z1");
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                lines.stream().filter(l -> "subscribed".equals(l.getString("event"))).count() == 2);
    var sids =
        lines.stream()
            .filter(l -> "connected".equals(l.getString("event")))
            .map(l -> l.getString("sid"))
            .toList();
    assertThat(sids).hasSize(2).doesNotContainNull();
    assertThat(sids.get(0)).as("one connection for both namespaces").isEqualTo(sids.get(1));
    assertThat(
            lines.stream()
                .filter(l -> "subscribed".equals(l.getString("event")))
                .map(l -> l.getString("ns") + " " + l.getJsonObject("answer").encode())
                .toList())
        .containsExactlyInAnyOrder(
            "/orders {\"rooms\":[\"branch:b1\"],\"presence\":{\"branch:b1\":1}}",
            "/availability {\"rooms\":[\"zone:z1\"],\"presence\":{\"zone:z1\":1}}");

    String service = cluster.tokens().service("backend", "acme", Duration.ofHours(1));
    var published = new ArrayList<String>();
    for (var message :
        List.of(
            List.of("orders:branch:b2", "SHIFT_SNAPSHOT", "{\"open\":0}"),
            List.of("orders:branch:b1", "SHIFT_SNAPSHOT", "{\"open\":12}"),
            List.of("availability:zone:z1", "STOCK", "{\"sku\":\"tea\",\"qty\":3}"))) {
      var answer =
          postTo(
              gateway,
              "/api/v1/channels/" + message.get(0) + "/publish",
              service,
              new JsonObject()
                  .put("event", message.get(1))
                  .put("data", new JsonObject(message.get(2))),
              null);
      assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
      published.add(new JsonObject(answer.body()).getString("offset"));
    }
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                lines.stream().filter(l -> "channelEvent".equals(l.getString("event"))).count()
                    >= 2);
    // The events the publishers named, with the message's data, then its channel and offset. The
    // other branch's message went first, through the same gateway and event bus: had it leaked,
    // it would be among the first two events.
    assertThat(
            lines.stream()
                .filter(l -> "channelEvent".equals(l.getString("event")))
                .map(
                    l ->
                        l.getString("ns")
                            + " "
                            + l.getString("name")
                            + " "
                            + l.getJsonArray("args").encode())
                .toList())
        .containsExactlyInAnyOrder(
            "/orders SHIFT_SNAPSHOT [{\"open\":12},{\"channel\":\"orders:branch:b1\",\"offset\":\""
                + published.get(1)
                + "\"}]",
            "/availability STOCK [{\"sku\":\"tea\",\"qty\":3},{\"channel\":\"availability:zone:z1\",\"offset\":\""
                + published.get(2)
                + "\"}]");
  }

  @Test
  void aBadTokenGetsAConnectErrorWithAMessage() throws IOException {
    var lines = client("agent", "not-a-jwt", "websocket", "x");
    var error = first(lines, "connect_error");
    assertThat(error.getString("message")).isNotBlank();
    assertThat(error.getJsonObject("data").getString("code")).isEqualTo("unauthorized");
  }
}
