package dev.printfleet.printing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.gateway.GatewayService;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Agent ids are issued by each company: two companies may use the same one. Their agents must never
 * meet: neither displaces the other, and each receives only its own company's jobs.
 */
class TenantAgentsTest extends PrintingTestBase {

  /** An agent of a company that prints everything it is sent and records the job ids. */
  private record Tenant(WebSocket socket, List<String> received, AtomicInteger closedWith) {}

  @Test
  void sameAgentIdInTwoCompaniesOnOneGatewayNeverMeets() {
    checkTenantsApart(gateway, gateway);
  }

  @Test
  void sameAgentIdInTwoCompaniesOnTwoGatewaysNeverMeets() {
    checkTenantsApart(gateway, start(new GatewayService(), Map.of()));
  }

  private void checkTenantsApart(ServiceRuntime gatewayOfA, ServiceRuntime gatewayOfB) {
    // The same agent id and the same printer id in both companies: only the company tells them
    // apart.
    var a = tenant(gatewayOfA, "acme");
    var b = tenant(gatewayOfB, "globex");

    var jobsOfA = new CopyOnWriteArrayList<String>();
    var jobsOfB = new CopyOnWriteArrayList<String>();
    for (int i = 0; i < 3; i++) {
      jobsOfA.add(
          new JsonObject(post("/api/v1/jobs", userToken("acme"), job("shared-p1"), null).body())
              .getString("id"));
      jobsOfB.add(
          new JsonObject(post("/api/v1/jobs", userToken("globex"), job("shared-p1"), null).body())
              .getString("id"));
    }

    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                a.closedWith().get() != 0
                    || b.closedWith().get() != 0
                    || jobsOfA.stream().allMatch(id -> "printed".equals(state("acme", id)))
                        && jobsOfB.stream().allMatch(id -> "printed".equals(state("globex", id))));
    assertThat(a.closedWith().get()).as("A's agent was not displaced (0: still open)").isZero();
    assertThat(b.closedWith().get()).as("B's agent was not displaced (0: still open)").isZero();
    assertThat(a.received())
        .as("A's agent receives A's jobs only")
        .containsExactlyInAnyOrderElementsOf(jobsOfA);
    assertThat(b.received())
        .as("B's agent receives B's jobs only")
        .containsExactlyInAnyOrderElementsOf(jobsOfB);
  }

  private Tenant tenant(ServiceRuntime on, String company) {
    var received = new CopyOnWriteArrayList<String>();
    var closedWith = new AtomicInteger();
    var socket =
        join(
            client
                .createWebSocketClient()
                .connect(
                    new WebSocketConnectOptions()
                        .setHost("127.0.0.1")
                        .setPort(on.httpPort())
                        .setURI("/ws/agent")
                        .addHeader(
                            "Authorization",
                            "Bearer "
                                + issuer.agent("agent-same", company, "b1", Duration.ofHours(1)))));
    socket.closeHandler(
        v -> closedWith.set(socket.closeStatusCode() == null ? -1 : socket.closeStatusCode()));
    socket.textMessageHandler(
        text -> {
          var envelope = new JsonObject(text);
          if ("job.dispatch".equals(envelope.getString("type"))) {
            String jobId = envelope.getJsonObject("data").getString("jobId");
            if (!received.contains(jobId)) {
              received.add(jobId);
            }
            socket.writeTextMessage(
                Envelope.response(envelope.getString("id"), new JsonObject().put("accepted", true))
                    .encode());
            socket.writeTextMessage(
                Envelope.request(
                        "job.result",
                        "r-" + jobId,
                        new JsonObject().put("jobId", jobId).put("outcome", "printed"))
                    .encode());
          }
        });
    socket.writeTextMessage(
        Envelope.request(
                "printers.sync",
                "s",
                new JsonObject()
                    .put("printers", new JsonArray().add(new JsonObject().put("id", "shared-p1"))))
            .encode());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> get("/api/v1/printers/shared-p1", userToken(company)).statusCode() == 200);
    return new Tenant(socket, received, closedWith);
  }

  private String state(String company, String jobId) {
    return new JsonObject(get("/api/v1/jobs/" + jobId, userToken(company)).body())
        .getString("state");
  }
}
