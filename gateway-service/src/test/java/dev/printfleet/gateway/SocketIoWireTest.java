package dev.printfleet.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.auth.TokenIssuer;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.testing.Http;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * PROTOCOL.md §2.5 on the wire, written by hand where a real client would not misbehave: the
 * Engine.IO handshake, and what a hostile polling peer is refused.
 */
class SocketIoWireTest extends GatewayTestBase {

  private static final String RS = "\u001e";

  private ServiceRuntime gateway;
  private TokenIssuer issuer;
  private String base;

  @BeforeEach
  void start() {
    gateway = gateway(Map.of("PRINTFLEET_WS_MAX_MESSAGE", "65536"));
    GatewayHarness.storePrinterLists(gateway);
    issuer = GatewayHarness.issuer(gateway);
    base = "http://127.0.0.1:" + gateway.httpPort() + "/socket.io/?EIO=4&transport=polling";
  }

  private static HttpResponse<String> get(String url) {
    return Http.send(HttpRequest.newBuilder(URI.create(url)).build());
  }

  private static HttpResponse<String> post(String url, String body) {
    return Http.send(
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "text/plain;charset=UTF-8")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build());
  }

  /** A polling handshake: the sid of the new connection. */
  private String handshake() {
    var open = get(base);
    assertThat(open.statusCode()).isEqualTo(200);
    assertThat(open.body()).startsWith("0");
    return new JsonObject(open.body().substring(1)).getString("sid");
  }

  private String url(String sid) {
    return base + "&sid=" + sid;
  }

  @Test
  void theHandshakeAnnouncesTheSettingsOfTheContract() {
    var open = get(base);
    assertThat(open.statusCode()).isEqualTo(200);
    var handshake = new JsonObject(open.body().substring(1));
    assertThat(handshake.getString("sid")).hasSize(20);
    assertThat(handshake.getJsonArray("upgrades")).containsExactly("websocket");
    assertThat(handshake.getLong("pingInterval")).isEqualTo(25_000L);
    assertThat(handshake.getLong("pingTimeout")).isEqualTo(60_000L);
    assertThat(handshake.getLong("maxPayload")).isEqualTo(65_536L);
  }

  private static HttpResponse<String> fromOrigin(String url, String method, String origin) {
    return Http.send(
        HttpRequest.newBuilder(URI.create(url))
            .header("Origin", origin)
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build());
  }

  @Test
  void aBrowserPollingFromAnAllowedOriginMayReadTheAnswersAndOthersMayNot() {
    var open = fromOrigin(base, "GET", "https://dash.example");
    assertThat(open.statusCode()).isEqualTo(200);
    assertThat(open.headers().firstValue("Access-Control-Allow-Origin"))
        .contains("https://dash.example");
    var preflight = fromOrigin(base, "OPTIONS", "https://dash.example");
    assertThat(preflight.statusCode()).isEqualTo(204);
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Methods"))
        .contains("GET, POST");
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Headers"))
        .contains("Authorization, Content-Type");
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Credentials")).isEmpty();

    var listed = gateway(Map.of("PRINTFLEET_ALLOWED_ORIGINS", "https://dash.example"));
    String listedBase =
        "http://127.0.0.1:" + listed.httpPort() + "/socket.io/?EIO=4&transport=polling";
    assertThat(
            fromOrigin(listedBase, "GET", "https://dash.example")
                .headers()
                .firstValue("Access-Control-Allow-Origin"))
        .contains("https://dash.example");
    var other = fromOrigin(listedBase, "GET", "https://evil.example");
    assertThat(other.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    var otherPreflight = fromOrigin(listedBase, "OPTIONS", "https://evil.example");
    assertThat(otherPreflight.statusCode()).isEqualTo(204);
    assertThat(otherPreflight.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    assertThat(otherPreflight.headers().firstValue("Access-Control-Allow-Methods")).isEmpty();
  }

  @Test
  void aRequestWithoutProtocolFourAnUnknownTransportOrAnUnknownSidIsRefused() {
    String root = "http://127.0.0.1:" + gateway.httpPort() + "/socket.io/";
    assertThat(get(root + "?transport=polling").statusCode()).isEqualTo(400);
    assertThat(get(root + "?EIO=3&transport=polling").statusCode()).isEqualTo(400);
    assertThat(get(root + "?EIO=4&transport=flashsocket").statusCode()).isEqualTo(400);
    assertThat(get(url("no-such-sid")).statusCode()).isEqualTo(400);
    assertThat(post(base, "40/printing-ws,").statusCode()).isEqualTo(400);
  }

  @Test
  void anAgentJoinsOverPollingWithItsTokenAndIsWelcomed() {
    String sid = handshake();
    String token = issuer.agent("poll-1", "acme", "b1", Duration.ofMinutes(5));
    assertThat(post(url(sid), "40/printing-ws,{\"token\":\"" + token + "\"}").body())
        .isEqualTo("ok");
    String received = get(url(sid)).body();
    String[] packets = received.split(RS);
    assertThat(packets[0]).startsWith("40/printing-ws,{\"sid\":");
    // The agent's welcome follows in the same poll or the next.
    String all = packets.length > 1 ? received : received + RS + get(url(sid)).body();
    assertThat(all).contains("42/printing-ws,[\"welcome\",{");
    assertThat(agentsOnline()).isEqualTo(1);
  }

  /** Polls until everything expected has come (each poll answers what waits, at once). */
  private String pollFor(String sid, String... expected) {
    var all = new StringBuilder();
    for (int i = 0;
        i < 10 && !java.util.Arrays.stream(expected).allMatch(all.toString()::contains);
        i++) {
      all.append(get(url(sid)).body()).append(RS);
    }
    for (String each : expected) {
      assertThat(all.toString()).contains(each);
    }
    return all.toString();
  }

  /**
   * A client multiplexes namespaces on one connection: both CONNECTs in one POST are answered, each
   * namespace is a session of its own whose rooms are that namespace's channels, and leaving one
   * leaves the other connected.
   */
  @Test
  void aDashboardJoinsOrdersAndPrintingOnOneConnectionAndLeavesOneOfThem() {
    String sid = handshake();
    String token = issuer.user("dora", Role.USER, "acme", List.of(), Duration.ofMinutes(5));
    String auth = "{\"token\":\"" + token + "\"}";
    assertThat(post(url(sid), "40/orders," + auth + RS + "40/printing-ws," + auth).body())
        .isEqualTo("ok");
    pollFor(sid, "40/orders,{\"sid\":", "40/printing-ws,{\"sid\":");

    post(url(sid), "42/orders,1[\"subscribe\",{\"rooms\":[\"branch:b1\"]}]");
    pollFor(sid, "43/orders,1[{\"rooms\":[\"branch:b1\"],\"presence\":{\"branch:b1\":1}}]");
    // On /orders, rooms are orders channels: another namespace's is no room there.
    post(url(sid), "42/orders,2[\"subscribe\",{\"rooms\":[\"availability:zone:z1\"]}]");
    pollFor(sid, "43/orders,2[{\"error\":{\"code\":\"invalid_data\"");
    String service = issuer.service("backend", "acme", Duration.ofMinutes(5));
    assertThat(
            Http.getJson(gateway, "/api/v1/channels/orders:branch:b1/presence", service)
                .getInteger("connections"))
        .isEqualTo(1);

    assertThat(post(url(sid), "41/orders,").body()).isEqualTo("ok");
    post(url(sid), "42/printing-ws,3[\"subscribe\",{\"rooms\":[\"branch:b1\"]}]");
    pollFor(sid, "43/printing-ws,3[{\"rooms\":[\"branch:b1\"]");
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                Http.getJson(gateway, "/api/v1/channels/orders:branch:b1/presence", service)
                        .getInteger("connections")
                    == 0);
    // A namespace left may be joined again on the same connection.
    post(url(sid), "40/orders," + auth);
    pollFor(sid, "40/orders,{\"sid\":");
    // One connection carries one user's namespaces: another user's CONNECT is refused.
    String other = issuer.user("eve", Role.USER, "acme", List.of(), Duration.ofMinutes(5));
    post(url(sid), "40/availability,{\"token\":\"" + other + "\"}");
    pollFor(
        sid, "44/availability,{\"message\":\"one connection carries the namespaces of one user");
  }

  /**
   * More CONNECTs at once than there are namespaces to join: the connection is closed, whether the
   * first is still checked (three wait, the fifth is one too many) or was admitted at once (three
   * are refused, the fifth is one attempt too many).
   */
  @Test
  void moreConnectsAtOnceThanNamespacesCloseTheConnection() {
    String sid = handshake();
    String token = issuer.user("flo", Role.USER, "acme", List.of(), Duration.ofMinutes(5));
    var packets = new java.util.ArrayList<String>();
    packets.add("40/orders,{\"token\":\"" + token + "\"}");
    for (int i = 1; i <= 4; i++) {
      packets.add("40/none-" + i + ",{\"token\":\"" + token + "\"}");
    }
    post(url(sid), String.join(RS, packets));
    assertThat(closed(sid)).isTrue();
  }

  /**
   * Joining and leaving a namespace again and again: each CONNECT on a joined connection counts,
   * and the 65th on one connection closes it.
   */
  @Test
  void aConnectionSendsAtMost64Connects() {
    String sid = handshake();
    String token = issuer.user("flo", Role.USER, "acme", List.of(), Duration.ofMinutes(5));
    post(url(sid), "40/orders,{\"token\":\"" + token + "\"}");
    pollFor(sid, "40/orders,{\"sid\":");
    for (int i = 2; i <= 64; i++) {
      post(url(sid), "40/availability,{\"token\":\"" + token + "\"}");
      pollFor(sid, "40/availability,{\"sid\":");
      post(url(sid), "41/availability,");
    }
    post(url(sid), "40/availability,{\"token\":\"" + token + "\"}");
    assertThat(closed(sid)).isTrue();
  }

  /** A CONNECT past the connection's rate limit is refused rate_limited, not the connection. */
  @Test
  void aConnectPastTheRateLimitIsRefusedRateLimited() {
    var limited =
        gateway(
            Map.of(
                "PRINTFLEET_WS_MAX_MESSAGE", "65536",
                "PRINTFLEET_WS_RATE_BURST", "3",
                "PRINTFLEET_WS_RATE_PER_SECOND", "1"));
    String limitedBase =
        "http://127.0.0.1:" + limited.httpPort() + "/socket.io/?EIO=4&transport=polling";
    var open = get(limitedBase);
    String sid = new JsonObject(open.body().substring(1)).getString("sid");
    String at = limitedBase + "&sid=" + sid;
    String token = issuer.user("flo", Role.USER, "acme", List.of(), Duration.ofMinutes(5));
    post(at, "40/orders,{\"token\":\"" + token + "\"}");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> get(at).body().contains("40/orders,{\"sid\":"));
    // Three frames take the burst; the CONNECT right after them is one too many.
    String subscribe = "42/orders,[\"subscribe\",{\"rooms\":[\"orders:branch:b1\"]}]";
    post(
        at,
        String.join(
            RS, subscribe, subscribe, subscribe, "40/availability,{\"token\":\"" + token + "\"}"));
    var answers = new StringBuilder();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> answers.append(get(at).body()).toString().contains("44/availability,"));
    assertThat(answers.toString()).contains("\"rate_limited\"").doesNotEndWith("1");
  }

  /** A second CONNECT to a namespace, in the same POST as the first or after it was joined. */
  @Test
  void aSecondConnectToTheSameNamespaceClosesTheConnection() {
    String token = issuer.user("flo", Role.USER, "acme", List.of(), Duration.ofMinutes(5));
    String connect = "40/orders,{\"token\":\"" + token + "\"}";

    String together = handshake();
    post(url(together), connect + RS + connect);
    assertThat(closed(together)).isTrue();

    String after = handshake();
    post(url(after), connect);
    pollFor(after, "40/orders,{\"sid\":");
    post(url(after), connect);
    assertThat(closed(after)).isTrue();
  }

  /**
   * What a client sends between the probe and the upgrade packet still goes over polling; the
   * answers the gateway has for it come over the WebSocket once the upgrade is done, none lost.
   */
  @Test
  void packetsPostedWhileTheUpgradeIsUnderWayAreAnsweredOverTheWebSocket() {
    String sid = handshake();
    String token = issuer.agent("up-1", "acme", "b1", Duration.ofMinutes(5));
    post(url(sid), "40/printing-ws,{\"token\":\"" + token + "\"}");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> get(url(sid)).body().contains("[\"welcome\","));

    var frames = new java.util.concurrent.CopyOnWriteArrayList<String>();
    var probe =
        GatewayHarness.await(
            client
                .createWebSocketClient()
                .connect(
                    gateway.httpPort(),
                    "127.0.0.1",
                    "/socket.io/?EIO=4&transport=websocket&sid=" + sid));
    probe.textMessageHandler(frames::add);
    probe.writeTextMessage("2probe");
    await().atMost(Duration.ofSeconds(10)).until(() -> frames.contains("3probe"));

    assertThat(
            post(
                    url(sid),
                    "42/printing-ws,1[\"printersSync\",{\"printers\":[{\"id\":\"up-1-p1\"}]}]"
                        + RS
                        + "42/printing-ws,2[\"printerStatus\",{\"printerId\":\"up-1-p1\","
                        + "\"status\":\"busy\"}]")
                .body())
        .isEqualTo("ok");
    probe.writeTextMessage("5");

    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                frames.stream().anyMatch(f -> f.startsWith("43/printing-ws,1["))
                    && frames.stream().anyMatch(f -> f.startsWith("43/printing-ws,2[")));
    assertThat(frames).contains("43/printing-ws,1[{\"printers\":1}]");
    assertThat(frames.stream().filter(f -> f.startsWith("43/printing-ws,2[")).findFirst())
        .get()
        .asString()
        .doesNotContain("error");
    assertThat(agentsOnline()).isEqualTo(1);
  }

  @Test
  void aBadTokenIsAConnectErrorAndNoSession() {
    String sid = handshake();
    post(url(sid), "40/printing-ws,{\"token\":\"forged\"}");
    String answer = get(url(sid)).body();
    assertThat(answer).startsWith("44/printing-ws,{\"message\":");
    assertThat(new JsonObject(answer.substring("44/printing-ws,".length())).getJsonObject("data"))
        .isEqualTo(new JsonObject().put("code", "unauthorized"));
    assertThat(agentsOnline()).isZero();
  }

  @Test
  void aLiveConnectionsPollIsHeldSoTheCloseChecksBelowCanFail() {
    String sid = handshake();
    assertThatThrownBy(() -> closed(sid))
        .hasRootCauseInstanceOf(java.net.http.HttpTimeoutException.class);
  }

  @Test
  void aPostOverTheMessageLimitIsRefusedAndClosesTheConnection() {
    String sid = handshake();
    var refused = post(url(sid), "4" + "x".repeat(70_000));
    assertThat(refused.statusCode()).isEqualTo(413);
    // The connection is gone: its last poll says close, then the sid is unknown.
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> {
              var next = get(url(sid));
              return next.statusCode() == 400 || "1".equals(next.body());
            });
  }

  @Test
  void binaryTwoPollsAtOnceOrTooManyPacketsCloseTheConnection() throws Exception {
    String binary = handshake();
    post(url(binary), "bAQIDBA==");
    assertThat(closed(binary)).isTrue();

    // Two polls at once: whichever the gateway reads second is refused, and the connection ends,
    // so the one it held returns the close packet.
    String twice = handshake();
    var one = pollAsync(url(twice));
    var two = pollAsync(url(twice));
    var answers = java.util.List.of(one.get(), two.get());
    assertThat(answers).extracting(HttpResponse::statusCode).containsExactlyInAnyOrder(200, 400);
    assertThat(answers)
        .filteredOn(r -> r.statusCode() == 200)
        .extracting(HttpResponse::body)
        .containsExactly("1");

    String many = handshake();
    post(url(many), ("3" + RS).repeat(1_000) + "3");
    assertThat(closed(many)).isTrue();
  }

  private static CompletableFuture<HttpResponse<String>> pollAsync(String url) {
    return Http.client()
        .sendAsync(
            HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void beforeItsConnectIsAcceptedAConnectionIsHeldToSmallBodiesAndThreeAttempts() {
    // A body past 16 KiB before any token was accepted: refused, the connection closed.
    String big = handshake();
    assertThat(post(url(big), "4" + "x".repeat(17_000)).statusCode()).isEqualTo(413);
    assertThat(closed(big)).isTrue();

    // Three refused CONNECTs are answered; a fourth closes the connection.
    String tries = handshake();
    for (int i = 0; i < 3; i++) {
      post(url(tries), "40/printing-ws,{}");
      assertThat(get(url(tries)).body()).startsWith("44/printing-ws,{\"message\":\"no token");
    }
    post(url(tries), "40/printing-ws,{}");
    assertThat(closed(tries)).isTrue();
  }

  /**
   * True when the connection's next poll answers close at once (or its sid is forgotten); a poll of
   * a live connection is held (until the 10 s connect timeout), and times out here first.
   */
  private boolean closed(String sid) {
    var next =
        Http.send(
            HttpRequest.newBuilder(URI.create(url(sid))).timeout(Duration.ofSeconds(3)).build());
    return next.statusCode() == 400 || next.body().endsWith("1");
  }

  private long agentsOnline() {
    return Http.getJson(gateway, "/health/websocket/metrics", null).getLong("totalConnections");
  }
}
