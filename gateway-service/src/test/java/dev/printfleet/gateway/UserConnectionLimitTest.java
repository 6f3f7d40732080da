package dev.printfleet.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.testing.Http;
import dev.printfleet.testing.TestSocket;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * PROTOCOL.md §2: a user holds at most PRINTFLEET_WS_MAX_CONNECTIONS_PER_USER sockets across the
 * cluster, on either transport; the next is refused before the upgrade (429) or its CONNECT.
 */
class UserConnectionLimitTest extends GatewayTestBase {

  private static final Map<String, String> LIMIT_3 =
      Map.of("PRINTFLEET_WS_MAX_CONNECTIONS_PER_USER", "3");

  private String token(ServiceRuntime gateway, String user, String company) {
    return GatewayHarness.issuer(gateway)
        .user(user, Role.USER, company, List.of(), Duration.ofHours(1));
  }

  @Test
  void theFourthSocketOfOneUserIsRefusedOnEveryGatewayAndTransportUntilOneCloses() {
    var first = gateway(LIMIT_3);
    var second = gateway(LIMIT_3);
    String alice = token(first, "alice", "acme");
    var a1 = TestSocket.open(client, first.httpPort(), "/ws/client", alice);
    TestSocket.open(client, first.httpPort(), "/ws/client", alice);
    TestSocket.open(client, second.httpPort(), "/ws/client", alice);

    assertThat(TestSocket.refusal(client, second.httpPort(), "/ws/client", alice, null))
        .isEqualTo(429);
    assertThat(TestSocket.refusal(client, first.httpPort(), "/ws/client", alice, null))
        .isEqualTo(429);
    assertThat(socketIoConnect(first, alice)).contains("\"code\":\"too_many_connections\"");

    // Another user, and alice's namesake in another company, are counted apart.
    assertThat(
            TestSocket.open(client, second.httpPort(), "/ws/client", token(first, "bob", "acme"))
                .isOpen())
        .isTrue();
    assertThat(
            TestSocket.open(client, second.httpPort(), "/ws/client", token(first, "alice", "other"))
                .isOpen())
        .isTrue();

    a1.socket.close();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> socketIoConnect(second, alice).startsWith("40/printing-ws,{\"sid\""));
    assertThat(TestSocket.refusal(client, first.httpPort(), "/ws/client", alice, null))
        .as("the Socket.IO session took the freed place")
        .isEqualTo(429);
    double refused =
        first.registry().get("printfleet.gateway.user.limit.refused").counter().count()
            + second.registry().get("printfleet.gateway.user.limit.refused").counter().count();
    assertThat(refused).isGreaterThanOrEqualTo(4);
  }

  /** The default: ten sockets of one user across two gateways, the eleventh refused. */
  @Test
  void theEleventhSocketOfOneUserIsRefusedByDefault() {
    var first = gateway(Map.of());
    var second = gateway(Map.of());
    String alice = token(first, "alice", "acme");
    for (int i = 0; i < 10; i++) {
      var on = i % 2 == 0 ? first : second;
      assertThat(TestSocket.open(client, on.httpPort(), "/ws/client", alice).isOpen()).isTrue();
    }
    assertThat(TestSocket.refusal(client, first.httpPort(), "/ws/client", alice, null))
        .isEqualTo(429);
  }

  /**
   * A drain tells its dashboards to reconnect elsewhere at once: their places are given back first,
   * so the user is not refused on the gateway it comes back to.
   */
  @Test
  void aDrainingGatewayGivesItsDashboardsPlacesBackBeforeTheyReconnect() {
    var leaving = gateway(LIMIT_3);
    var staying = gateway(LIMIT_3);
    String alice = token(leaving, "alice", "acme");
    List<TestSocket> sockets = new java.util.ArrayList<>();
    for (int i = 0; i < 3; i++) {
      sockets.add(TestSocket.open(client, leaving.httpPort(), "/ws/client", alice));
    }
    assertThat(TestSocket.refusal(client, staying.httpPort(), "/ws/client", alice, null))
        .isEqualTo(429);

    var stopped = leaving.shutdown();
    // As a client does: reconnect once told to (1012), at once, to the other gateway.
    for (TestSocket socket : sockets) {
      assertThat(socket.awaitClose(Duration.ofSeconds(10))).isEqualTo((short) 1012);
    }
    for (int i = 0; i < 3; i++) {
      assertThat(TestSocket.open(client, staying.httpPort(), "/ws/client", alice).isOpen())
          .isTrue();
    }
    GatewayHarness.await(stopped);
  }

  /** A Socket.IO dashboard's CONNECT over polling; the gateway's first answer to it. */
  private static String socketIoConnect(ServiceRuntime gateway, String token) {
    String base = "http://127.0.0.1:" + gateway.httpPort() + "/socket.io/?EIO=4&transport=polling";
    var open = Http.send(HttpRequest.newBuilder(URI.create(base)).build());
    String sid = new JsonObject(open.body().substring(1)).getString("sid");
    String url = base + "&sid=" + sid;
    Http.send(
        HttpRequest.newBuilder(URI.create(url))
            .POST(
                HttpRequest.BodyPublishers.ofString("40/printing-ws,{\"token\":\"" + token + "\"}"))
            .build());
    return Http.send(HttpRequest.newBuilder(URI.create(url)).build()).body();
  }
}
