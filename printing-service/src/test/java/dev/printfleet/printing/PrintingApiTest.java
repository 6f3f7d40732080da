package dev.printfleet.printing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.printing.api.OpenApiDocument;
import dev.printfleet.printing.api.PrintingApi;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.validation.ResponseValidator;
import io.vertx.openapi.validation.ValidatableResponse;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The REST API of PROTOCOL.md §3: lists, tenants, test prints, every error status, the OpenAPI
 * document.
 */
class PrintingApiTest extends PrintingTestBase {

  private OpenAPIContract contract() throws Exception {
    Path file = Files.createTempFile("printing-api", ".yaml");
    try {
      Files.writeString(file, getOpenApi().body());
      return join(OpenAPIContract.from(client, file.toString()));
    } finally {
      Files.deleteIfExists(file);
    }
  }

  private HttpResponse<String> getOpenApi() {
    return send(
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + printing.httpPort() + OpenApiDocument.PATH))
            .GET()
            .build());
  }

  /** Checks a real response against the operation's response in the OpenAPI document. */
  private void conforms(
      OpenAPIContract contract, String operationId, HttpResponse<String> response) {
    var validatable =
        ValidatableResponse.create(
            response.statusCode(),
            Map.of("Retry-After", response.headers().firstValue("Retry-After").orElse("1")),
            Buffer.buffer(response.body()),
            "application/json");
    join(ResponseValidator.create(client, contract).validate(validatable, operationId));
  }

  private String userOf(String company, String... branches) {
    return issuer.user("bob", Role.USER, company, List.of(branches), Duration.ofHours(1));
  }

  private static String errorCode(HttpResponse<String> response) {
    return new JsonObject(response.body()).getJsonObject("error").getString("code");
  }

  /** Printers known to the registry whose agent has gone: their jobs stay queued. */
  private void offlinePrinters(String agentId, String branch) {
    var agent = agent(gateway, agentId, branch);
    awaitPrinterKnown(agentId + "-p2");
    join(agent.stop());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                !new JsonObject(
                        get("/api/v1/printers/" + agentId + "-p1", userToken("acme")).body())
                    .getBoolean("online"));
  }

  @Test
  void jobListPagesNewestFirstByCursorAndFilters() throws Exception {
    offlinePrinters("agent-list", "b1");
    List<String> created = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      var response =
          post("/api/v1/jobs", userToken("acme"), job("agent-list-p" + (i < 4 ? 1 : 2)), null);
      assertThat(response.statusCode()).isEqualTo(201);
      created.add(0, new JsonObject(response.body()).getString("id"));
    }

    List<String> seen = new ArrayList<>();
    String after = null;
    int pages = 0;
    do {
      var page =
          get("/api/v1/jobs?limit=3" + (after == null ? "" : "&after=" + after), userToken("acme"));
      assertThat(page.statusCode()).isEqualTo(200);
      conforms(contract(), "listJobs", page);
      var body = new JsonObject(page.body());
      body.getJsonArray("items").forEach(item -> seen.add(((JsonObject) item).getString("id")));
      after = body.getString("next");
      pages++;
    } while (after != null && pages < 10);
    assertThat(seen).as("every job once, newest first").containsExactlyElementsOf(created);
    assertThat(pages).isEqualTo(3);

    assertThat(
            new JsonObject(get("/api/v1/jobs?printerId=agent-list-p2", userToken("acme")).body())
                .getJsonArray("items"))
        .hasSize(3);
    assertThat(
            new JsonObject(get("/api/v1/jobs?state=queued&branch=b1", userToken("acme")).body())
                .getJsonArray("items"))
        .hasSize(7);
    assertThat(
            new JsonObject(get("/api/v1/jobs?state=printed", userToken("acme")).body())
                .getJsonArray("items"))
        .isEmpty();
    assertThat(
            new JsonObject(get("/api/v1/jobs", userOf("acme", "b9")).body()).getJsonArray("items"))
        .as("a user limited to another branch")
        .isEmpty();
  }

  @Test
  void otherTenantsAndOtherBranchesSeeNothing() {
    offlinePrinters("agent-tenant", "b1");
    String id =
        new JsonObject(post("/api/v1/jobs", userToken("acme"), job("agent-tenant-p1"), null).body())
            .getString("id");
    String stranger = userToken("globex");
    String otherBranch = userOf("acme", "b2");

    for (String token : List.of(stranger, otherBranch)) {
      assertThat(get("/api/v1/jobs/" + id, token).statusCode()).isEqualTo(404);
      assertThat(get("/api/v1/printers/agent-tenant-p1", token).statusCode()).isEqualTo(404);
      assertThat(post("/api/v1/jobs/" + id + "/cancel", token, null, null).statusCode())
          .isEqualTo(404);
      assertThat(post("/api/v1/printers/agent-tenant-p1/test", token, null, null).statusCode())
          .isEqualTo(404);
      assertThat(post("/api/v1/jobs", token, job("agent-tenant-p1"), null).statusCode())
          .isEqualTo(404);
      assertThat(new JsonObject(get("/api/v1/printers", token).body()).getJsonArray("items"))
          .isEmpty();
    }
    assertThat(new JsonObject(get("/api/v1/jobs", stranger).body()).getJsonArray("items"))
        .isEmpty();
    var forbidden = get("/api/v1/jobs?branch=b1", otherBranch);
    assertThat(forbidden.statusCode()).isEqualTo(403);
    assertThat(errorCode(forbidden)).isEqualTo("forbidden");
    assertThat(state(id)).as("the owner still sees it, untouched").isEqualTo("queued");
  }

  @Test
  void testPrintsAnswerAndAreLimitedPerPrinterAndPerBranchAcrossInstances() throws Exception {
    var contract = contract();
    agent(gateway, "agent-t1", "bt");
    agent(gateway, "agent-t2", "bt");
    awaitPrinterKnown("agent-t2-p1");
    awaitPrinterKnown("agent-t1-p2");
    var second = start(new PrintingService(), Map.of());

    var ok = post("/api/v1/printers/agent-t1-p1/test", userToken("acme"), null, null);
    assertThat(ok.statusCode()).isEqualTo(200);
    conforms(contract, "testPrinter", ok);
    assertThat(new JsonObject(ok.body()).getBoolean("ok")).isTrue();
    for (int i = 0; i < 4; i++) {
      assertThat(
              postTo(second, "/api/v1/printers/agent-t1-p1/test", userToken("acme"), null, null)
                  .statusCode())
          .isEqualTo(200);
    }
    var perPrinter = post("/api/v1/printers/agent-t1-p1/test", userToken("acme"), null, null);
    assertThat(perPrinter.statusCode()).as("sixth test of one printer in a minute").isEqualTo(429);
    assertThat(errorCode(perPrinter)).isEqualTo("rate_limited");
    assertThat(Integer.parseInt(perPrinter.headers().firstValue("Retry-After").orElseThrow()))
        .isBetween(1, 61);
    conforms(contract, "testPrinter", perPrinter);

    for (int i = 0; i < 5; i++) {
      assertThat(
              post("/api/v1/printers/agent-t1-p2/test", userToken("acme"), null, null).statusCode())
          .isEqualTo(200);
    }
    var perBranch =
        postTo(second, "/api/v1/printers/agent-t2-p1/test", userToken("acme"), null, null);
    assertThat(perBranch.statusCode())
        .as("eleventh test in the branch, on another instance")
        .isEqualTo(429);
  }

  @Test
  void aTestPrintTheAgentAnswersWithItsPrintersErrorIsOkFalse() throws Exception {
    rawAgent(
        "agent-jammed",
        "b6",
        "jammed-p1",
        (socket, envelope) -> {
          if ("printer.test".equals(envelope.getString("type"))) {
            socket.writeTextMessage(
                Envelope.errorResponse(
                        envelope.getString("id"), Envelope.Code.INVALID_DATA, "paper jam in tray 2")
                    .encode());
          }
        });

    var answer = post("/api/v1/printers/jammed-p1/test", userToken("acme"), null, null);

    assertThat(answer.statusCode()).isEqualTo(200);
    conforms(contract(), "testPrinter", answer);
    var body = new JsonObject(answer.body());
    assertThat(body.getBoolean("ok")).isFalse();
    assertThat(body.getString("detail")).contains("paper jam in tray 2");
  }

  @Test
  void everyErrorStatusOfTheContractIsReachable() throws Exception {
    var contract = contract();
    String user = userToken("acme");
    Set<Integer> statuses = new TreeSet<>();

    var unauthorized = post("/api/v1/jobs", null, job("x"), null);
    assertThat(errorCode(unauthorized)).isEqualTo("unauthorized");
    statuses.add(unauthorized.statusCode());
    var expired =
        get(
            "/api/v1/jobs",
            issuer.user("bob", Role.USER, "acme", List.of(), Duration.ofSeconds(-10)));
    assertThat(expired.statusCode()).isEqualTo(401);

    var agentToken = get("/api/v1/printers", issuer.agent("a", "acme", "b1", Duration.ofHours(1)));
    assertThat(errorCode(agentToken)).isEqualTo("forbidden");
    // A backend service's token publishes to channels (PROTOCOL.md §6) and does nothing else.
    assertThat(
            errorCode(
                get(
                    "/api/v1/printers",
                    issuer.service("orders-backend", "acme", Duration.ofHours(1)))))
        .isEqualTo("forbidden");
    statuses.add(agentToken.statusCode());

    var badLimit = get("/api/v1/jobs?limit=501", user);
    assertThat(new JsonObject(badLimit.body()).getJsonObject("error").getString("field"))
        .isEqualTo("limit");
    statuses.add(badLimit.statusCode());
    conforms(contract, "listJobs", badLimit);
    for (String query :
        List.of("limit=0", "limit=x", "state=lost", "after=not-a-cursor", "printerId=")) {
      var bad = get("/api/v1/jobs?" + query, user);
      assertThat(bad.statusCode()).as(query).isEqualTo(400);
      assertThat(new JsonObject(bad.body()).getJsonObject("error").getString("field"))
          .as(query)
          .isEqualTo(query.split("=")[0]);
    }

    var notFound = get("/api/v1/printers/nowhere", user);
    assertThat(errorCode(notFound)).isEqualTo("not_found");
    statuses.add(notFound.statusCode());
    conforms(contract, "getPrinter", notFound);
    assertThat(get("/api/v1/no-such-route", user).statusCode()).isEqualTo(404);

    // Never answers anything.
    var mute = rawAgent("agent-silent", "b5", "silent-p1", (socket, envelope) -> {});
    var timeout = post("/api/v1/printers/silent-p1/test", user, null, null);
    assertThat(errorCode(timeout)).as("the agent never answers the test").isEqualTo("timeout");
    statuses.add(timeout.statusCode());
    conforms(contract, "testPrinter", timeout);

    join(mute.close());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> post("/api/v1/printers/silent-p1/test", user, null, null).statusCode() == 503);
    var unavailable = post("/api/v1/printers/silent-p1/test", user, null, null);
    assertThat(errorCode(unavailable)).isEqualTo("unavailable");
    statuses.add(unavailable.statusCode());

    var limited = post("/api/v1/printers/silent-p1/test", user, null, null);
    for (int i = 0; i < 5 && limited.statusCode() != 429; i++) {
      limited = post("/api/v1/printers/silent-p1/test", user, null, null);
    }
    assertThat(limited.headers().firstValue("Retry-After")).isPresent();
    statuses.add(limited.statusCode());

    var tooLarge =
        post(
            "/api/v1/jobs",
            user,
            job("silent-p1")
                .put(
                    "content",
                    java.util.Base64.getEncoder().encodeToString(new byte[1024 * 1024 + 1])),
            null);
    statuses.add(tooLarge.statusCode());
    conforms(contract, "createJob", tooLarge);

    var created = post("/api/v1/jobs", user, job("silent-p1"), null);
    conforms(contract, "createJob", created);
    String id = new JsonObject(created.body()).getString("id");
    var cancelled = post("/api/v1/jobs/" + id + "/cancel", user, null, null);
    assertThat(new JsonObject(cancelled.body()).getString("state")).isEqualTo("cancelled");
    conforms(contract, "cancelJob", cancelled);
    var conflict = post("/api/v1/jobs/" + id + "/cancel", user, null, null);
    statuses.add(conflict.statusCode());
    conforms(contract, "cancelJob", conflict);
    conforms(contract, "getJob", get("/api/v1/jobs/" + id, user));
    conforms(contract, "getPrinter", get("/api/v1/printers/silent-p1", user));
    conforms(contract, "listPrinters", get("/api/v1/printers", user));

    // 503 for the job store is shown with PostgreSQL stopped in JobReliabilityTest.
    assertThat(statuses).containsExactly(400, 401, 403, 404, 409, 413, 429, 503, 504);
  }

  @Test
  void theOpenApiDocumentDescribesExactlyTheRoutesServed() throws Exception {
    var document = getOpenApi();
    assertThat(document.statusCode()).as("public, no token").isEqualTo(200);
    assertThat(document.headers().firstValue("Content-Type")).hasValue("application/yaml");

    Set<String> documented = new HashSet<>();
    contract()
        .operations()
        .forEach(op -> documented.add(op.getHttpMethod().name() + " " + op.getOpenAPIPath()));

    var router = Router.router(client);
    new PrintingApi(null, null, null, null, null, null, null, null).mount(router);
    // The document also holds the gateways' channel API, behind the same ingress (PROTOCOL.md §6).
    new dev.printfleet.gateway.channels.ChannelApi(null, null, null, null, null).mount(router);
    Set<String> served = new HashSet<>();
    router
        .getRoutes()
        .forEach(
            route -> {
              if (route.getPath() == null
                  || route.getPath().endsWith("*")
                  || route.methods() == null) {
                return;
              }
              for (HttpMethod method : route.methods()) {
                served.add(method.name() + " " + route.getPath().replaceAll(":(\\w+)", "{$1}"));
              }
            });
    assertThat(served).hasSize(11);
    assertThat(documented).isEqualTo(served);
  }
}
