package dev.printfleet.gateway;

import static dev.printfleet.gateway.GatewayHarness.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.auth.TokenIssuer;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.testing.TestSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** PROTOCOL.md §2: who may open which socket, refused before the upgrade. */
class HandshakeTest extends GatewayTestBase {

  private ServiceRuntime gateway;
  private TokenIssuer issuer;
  private int port;

  @BeforeEach
  void start() {
    gateway = gateway(Map.of("PRINTFLEET_ALLOWED_ORIGINS", "https://dash.example.com"));
    issuer = GatewayHarness.issuer(gateway);
    port = gateway.httpPort();
  }

  private String agentToken() {
    return issuer.agent("agent-1", "c1", "b1", Duration.ofHours(1));
  }

  private String userToken() {
    return issuer.user("alice", Role.USER, "c1", List.of(), Duration.ofHours(1));
  }

  @Test
  void agentWithoutTokenIsRefused401() {
    assertThat(TestSocket.refusal(client, port, "/ws/agent", null, null)).isEqualTo(401);
  }

  @Test
  void tokenSignedWithAnotherSecretIsRefused401() {
    String forged =
        new TokenIssuer(client, "another-secret-0123456789-0123456789-xyz")
            .agent("agent-1", "c1", "b1", Duration.ofHours(1));
    assertThat(TestSocket.refusal(client, port, "/ws/agent", forged, null)).isEqualTo(401);
  }

  @Test
  void garbageTokenIsRefused401() {
    assertThat(
            TestSocket.refusal(client, port, "/ws/client", "not.a.jwt", "https://dash.example.com"))
        .isEqualTo(401);
  }

  @Test
  void expiredTokenIsRefused401() {
    var claims =
        new JsonObject()
            .put("sub", "agent-1")
            .put("role", "agent")
            .put("company", "c1")
            .put("branch", "b1")
            .put("exp", System.currentTimeMillis() / 1000 - 60);
    String expired = GatewayHarness.signRaw(client, claims);
    assertThat(TestSocket.refusal(client, port, "/ws/agent", expired, null)).isEqualTo(401);
  }

  @Test
  void userTokenOnTheAgentEndpointIsRefused403() {
    assertThat(TestSocket.refusal(client, port, "/ws/agent", userToken(), null)).isEqualTo(403);
  }

  @Test
  void agentTokenOnTheClientEndpointIsRefused403() {
    assertThat(
            TestSocket.refusal(
                client, port, "/ws/client", agentToken(), "https://dash.example.com"))
        .isEqualTo(403);
  }

  @Test
  void dashboardFromAnOriginOutsideTheAllowlistIsRefused403() {
    assertThat(
            TestSocket.refusal(client, port, "/ws/client", userToken(), "https://evil.example.com"))
        .isEqualTo(403);
    assertThat(TestSocket.refusal(client, port, "/ws/client", userToken(), null)).isEqualTo(403);
  }

  @Test
  void dashboardFromAnAllowedOriginWithTheTokenInTheQueryIsAccepted() {
    var socket =
        await(
            TestSocket.connect(
                client,
                port,
                "/ws/client?access_token=" + userToken(),
                null,
                false,
                "https://dash.example.com"));
    socket.send("subscribe", "s1", new JsonObject().put("rooms", List.of("company:c1")));
    assertThat(socket.awaitResponse("s1").data().getJsonArray("rooms").getList())
        .containsExactly("company:c1");
  }

  @Test
  void malformedBranchesClaimIsRefused401BeforeTheUpgrade() {
    List<Object> malformed =
        List.of(
            "b1",
            7,
            new JsonArray(),
            new JsonArray().add("b1").add(""),
            new JsonArray().add("b1").add(2));
    for (Object branches : malformed) {
      var claims =
          new JsonObject()
              .put("sub", "alice")
              .put("role", "user")
              .put("company", "c1")
              .put("branches", branches);
      String token = issuer.sign(claims, Duration.ofHours(1));
      assertThat(TestSocket.refusal(client, port, "/ws/client", token, "https://dash.example.com"))
          .as("branches=%s", branches)
          .isEqualTo(401);
    }
  }

  @Test
  void agentWithAValidTokenIsWelcomed() {
    var socket = TestSocket.open(client, port, "/ws/agent", agentToken());
    var welcome = socket.awaitFrame(e -> e.type().equals("welcome"));
    assertThat(welcome.data().getString("instance")).isEqualTo(gateway.instanceId());
    assertThat(welcome.data().getLong("heartbeatMs")).isEqualTo(25_000L);
    assertThat(welcome.data().getString("sessionId")).isNotBlank();
  }
}
