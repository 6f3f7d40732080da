package dev.printfleet.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.auth.TokenIssuer;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.testing.Http;
import dev.printfleet.testing.TestCluster;
import dev.printfleet.testing.TestSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * PROTOCOL.md §6: channels of every namespace, and the publish API of the company's backend
 * services, across two gateways of one cluster.
 */
class ChannelsTest extends GatewayTestBase {

  private static final Duration HOUR = Duration.ofHours(1);

  /** Offsets are Redis stream ids, {@code <ms>-<sequence>}: ordered as two numbers. */
  private static final java.util.Comparator<String> OFFSETS =
      java.util.Comparator.<String>comparingLong(o -> Long.parseLong(o.split("-")[0]))
          .thenComparingLong(o -> Long.parseLong(o.split("-")[1]));

  private TestSocket dashboard(
      ServiceRuntime gateway, String user, String company, String channel) {
    String token = GatewayHarness.issuer(gateway).user(user, Role.USER, company, List.of(), HOUR);
    var socket = TestSocket.open(client, gateway.httpPort(), "/ws/client", token);
    socket.send("subscribe", "s", new JsonObject().put("rooms", List.of(channel)));
    assertThat(socket.awaitResponse("s").error()).isNull();
    return socket;
  }

  private static HttpResponse<String> publish(
      ServiceRuntime gateway, String channel, String token, JsonObject message) {
    return Http.post(
        gateway.httpPort(), "/api/v1/channels/" + channel + "/publish", token, message);
  }

  private static List<JsonObject> messages(TestSocket socket) {
    List<JsonObject> found = new ArrayList<>();
    for (Envelope e : socket.received) {
      if (e.type().equals("channel.message")) {
        found.add(e.data());
      }
    }
    return found;
  }

  @Test
  void aMessagePublishedOnOneGatewayReachesItsSubscribersOnBothOnceAndNoOneElse() {
    var first = gateway(Map.of());
    var second = gateway(Map.of());
    TokenIssuer issuer = GatewayHarness.issuer(first);
    var onFirst = dashboard(first, "ann", "acme", "orders:branch:b1");
    var onSecond = dashboard(second, "ben", "acme", "orders:branch:b1");
    var otherBranch = dashboard(second, "cat", "acme", "orders:branch:b2");
    var otherCompany = dashboard(first, "dan", "globex", "orders:branch:b1");
    String acme = issuer.service("orders-backend", "acme", HOUR);

    var answer =
        publish(
            first,
            "orders:branch:b1",
            acme,
            new JsonObject()
                .put("event", "SHIFT_SNAPSHOT")
                .put("data", new JsonObject().put("open", 12)));
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    String offset = new JsonObject(answer.body()).getString("offset");
    assertThat(offset).isNotBlank();

    // A batch through the other gateway: one more for b1, one for b2; and globex's own message.
    var batch =
        Http.post(
            second.httpPort(),
            "/api/v1/channels/publish",
            acme,
            new JsonObject()
                .put(
                    "messages",
                    new JsonArray()
                        .add(message("orders:branch:b1", "ALERT", 1))
                        .add(message("orders:branch:b2", "ALERT", 2))));
    assertThat(batch.statusCode()).as(batch.body()).isEqualTo(200);
    var results = new JsonObject(batch.body()).getJsonArray("results");
    assertThat(OFFSETS.compare(results.getJsonObject(0).getString("offset"), offset)).isPositive();
    String globex = issuer.service("orders-backend", "globex", HOUR);
    assertThat(publish(second, "orders:branch:b1", globex, message(null, "ALERT", 3)).statusCode())
        .isEqualTo(200);

    await().atMost(Duration.ofSeconds(10)).until(() -> messages(otherCompany).size() == 1);
    await().atMost(Duration.ofSeconds(10)).until(() -> messages(onFirst).size() == 2);
    await().atMost(Duration.ofSeconds(10)).until(() -> messages(onSecond).size() == 2);
    await().atMost(Duration.ofSeconds(10)).until(() -> messages(otherBranch).size() == 1);
    for (TestSocket socket : List.of(onFirst, onSecond)) {
      // Messages of two gateways may arrive in either order: by offset, they are in publish order.
      var first2 = new ArrayList<>(messages(socket));
      first2.sort((a, b) -> OFFSETS.compare(a.getString("offset"), b.getString("offset")));
      assertThat(first2.get(0))
          .isEqualTo(
              new JsonObject()
                  .put("channel", "orders:branch:b1")
                  .put("event", "SHIFT_SNAPSHOT")
                  .put("data", new JsonObject().put("open", 12))
                  .put("offset", offset));
      assertThat(first2.get(1).getJsonObject("data").getInteger("n")).isEqualTo(1);
    }
    assertThat(messages(otherBranch).get(0).getJsonObject("data").getInteger("n")).isEqualTo(2);
    assertThat(messages(otherCompany).get(0).getJsonObject("data").getInteger("n")).isEqualTo(3);
    // Once: nothing more arrives.
    await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(5))
        .until(() -> messages(onFirst).size() == 2 && messages(onSecond).size() == 2);
  }

  /** A dashboard of {@code user} subscribed to the channel: the answer's presence count. */
  private TestSocket present(
      ServiceRuntime gateway, String user, String channel, long expectedCount) {
    String token = GatewayHarness.issuer(gateway).user(user, Role.USER, "acme", List.of(), HOUR);
    var socket = TestSocket.open(client, gateway.httpPort(), "/ws/client", token);
    socket.send("subscribe", "s", new JsonObject().put("rooms", List.of(channel)));
    var answer = socket.awaitResponse("s");
    assertThat(answer.error()).isNull();
    assertThat(answer.data().getJsonObject("presence"))
        .isEqualTo(new JsonObject().put(channel, expectedCount));
    return socket;
  }

  private static JsonObject presence(ServiceRuntime gateway, String channel, String token) {
    var answer = Http.get(gateway, "/api/v1/channels/" + channel + "/presence", token);
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    return new JsonObject(answer.body());
  }

  private static JsonObject users(Object... userAndCount) {
    var users = new JsonArray();
    for (int i = 0; i < userAndCount.length; i += 2) {
      users.add(
          new JsonObject().put("user", userAndCount[i]).put("connections", userAndCount[i + 1]));
    }
    return new JsonObject().put("users", users);
  }

  /**
   * More connections in a channel than a presence answer lists: all counted, the answer says so.
   */
  @Test
  void aPresenceAnswerListsAtMostItsCapAndSaysItWasTruncated() {
    var gateway = gateway(Map.of());
    String channel = "orders:branch:b1";
    String key =
        gateway
            .settings()
            .redis()
            .key(
                "presence:"
                    + dev.printfleet.gateway.fanout.RoomPolicy.key(
                        "acme", dev.printfleet.gateway.fanout.RoomPolicy.Channel.of(channel)));
    // Members as gateways write them (one per connection), far from their expiry.
    int count = dev.printfleet.gateway.channels.ChannelPresence.MAX_LISTED + 1;
    long until = System.currentTimeMillis() + 600_000;
    var add = io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.ZADD).arg(key);
    for (int i = 0; i < count; i++) {
      add.arg(until).arg(String.format("acme:user-%04d|s%d", i, i));
    }
    TestCluster.join(gateway.redis().send(add));

    String service = GatewayHarness.issuer(gateway).service("orders-backend", "acme", HOUR);
    var answer = presence(gateway, channel, service);
    assertThat(answer.getInteger("connections")).isEqualTo(count);
    assertThat(answer.getBoolean("truncated")).isTrue();
    assertThat(answer.getJsonArray("users")).hasSize(count - 1);
  }

  @Test
  void presenceCountsEveryConnectionOfAChannelOnBothGatewaysForItsCompanyOnly() {
    var first = gateway(Map.of());
    var second = gateway(Map.of());
    TokenIssuer issuer = GatewayHarness.issuer(first);
    String channel = "orders:branch:b1";
    var annOnFirst = present(first, "ann", channel, 1);
    var annOnSecond = present(second, "ann", channel, 2);
    var ben = present(second, "ben", channel, 3);
    // Another branch, and another company's channel of the same name, are other channels.
    present(first, "cat", "orders:branch:b2", 1);
    String globexToken = issuer.user("gus", Role.USER, "globex", List.of(), HOUR);
    var globex = TestSocket.open(client, first.httpPort(), "/ws/client", globexToken);
    globex.send("subscribe", "g", new JsonObject().put("rooms", List.of(channel)));
    assertThat(globex.awaitResponse("g").data().getJsonObject("presence").getLong(channel))
        .isEqualTo(1);

    String acmeService = issuer.service("orders-backend", "acme", HOUR);
    var expected =
        new JsonObject()
            .put("channel", channel)
            .put("connections", 3)
            .mergeIn(users("ann", 2, "ben", 1))
            .put("truncated", false);
    assertThat(presence(first, channel, acmeService)).isEqualTo(expected);
    assertThat(presence(second, channel, acmeService)).isEqualTo(expected);
    // A user who may join the channel may ask; one whose token lists another branch may not.
    assertThat(presence(second, channel, issuer.user("u", Role.USER, "acme", List.of("b1"), HOUR)))
        .isEqualTo(expected);
    String otherBranch = issuer.user("v", Role.USER, "acme", List.of("b2"), HOUR);
    assertThat(
            Http.get(first, "/api/v1/channels/" + channel + "/presence", otherBranch).statusCode())
        .isEqualTo(403);
    // Another company's service sees its own channel of that name, never acme's.
    String globexService = issuer.service("orders-backend", "globex", HOUR);
    assertThat(presence(first, channel, globexService).getInteger("connections")).isEqualTo(1);
    assertThat(presence(first, channel, globexService).getJsonArray("users"))
        .isEqualTo(users("gus", 1).getJsonArray("users"));
    assertThat(
            Http.get(first, "/api/v1/channels/orders:company:acme/presence", globexService)
                .statusCode())
        .isEqualTo(403);
    assertThat(
            Http.get(
                    first,
                    "/api/v1/channels/" + channel + "/presence",
                    issuer.agent("a", "acme", "b1", HOUR))
                .statusCode())
        .isEqualTo(403);
    assertThat(Http.get(first, "/api/v1/channels/" + channel + "/presence", null).statusCode())
        .isEqualTo(401);
    assertThat(Http.get(first, "/api/v1/channels/nowhere/presence", acmeService).statusCode())
        .isEqualTo(400);

    // Leaving the channel, or closing the socket, takes the connection out of it at once.
    annOnSecond.send("unsubscribe", "u", new JsonObject().put("rooms", List.of(channel)));
    annOnSecond.awaitResponse("u");
    ben.socket.close();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> presence(first, channel, acmeService).getInteger("connections") == 1);
    assertThat(presence(second, channel, acmeService).getJsonArray("users"))
        .isEqualTo(users("ann", 1).getJsonArray("users"));
    assertThat(annOnFirst.isOpen()).isTrue();

    // An admin of another company watching acme's company channel is counted, never named.
    String admin = issuer.user("root", Role.ADMIN, "globex", List.of(), HOUR);
    var watching = TestSocket.open(client, first.httpPort(), "/ws/client", admin);
    watching.send("subscribe", "w", new JsonObject().put("rooms", List.of("orders:company:acme")));
    assertThat(watching.awaitResponse("w").error()).isNull();
    var company = presence(second, "orders:company:acme", acmeService);
    assertThat(company.getInteger("connections")).isEqualTo(1);
    assertThat(company.getJsonArray("users")).isEmpty();

    // Presence reads are limited per token: a burst of 20, then 5 a second.
    String reader = issuer.service("reader", "acme", HOUR);
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      statuses.add(
          Http.get(first, "/api/v1/channels/" + channel + "/presence", reader).statusCode());
    }
    assertThat(statuses.subList(0, 20)).containsOnly(200);
    assertThat(statuses).contains(429);
  }

  private static JsonObject message(String channel, String event, int n) {
    var message = new JsonObject().put("event", event).put("data", new JsonObject().put("n", n));
    return channel == null ? message : message.put("channel", channel);
  }

  @Test
  void onlyAServiceOfTheCompanyPublishesAndOnlyWhatTheContractAllows() {
    var gateway =
        gateway(
            Map.of("PRINTFLEET_PUBLISH_BURST", "100", "PRINTFLEET_PUBLISH_RATE_PER_SECOND", "1"));
    TokenIssuer issuer = GatewayHarness.issuer(gateway);
    String service = issuer.service("svc", "acme", HOUR);
    var ok = message(null, "ALERT", 1);
    assertThat(publish(gateway, "orders:branch:b1", null, ok).statusCode()).isEqualTo(401);
    assertThat(
            publish(
                    gateway,
                    "orders:branch:b1",
                    issuer.user("u", Role.USER, "acme", List.of(), HOUR),
                    ok)
                .statusCode())
        .isEqualTo(403);
    assertThat(
            publish(gateway, "orders:branch:b1", issuer.agent("a", "acme", "b1", HOUR), ok)
                .statusCode())
        .isEqualTo(403);
    assertThat(publish(gateway, "orders:company:globex", service, ok).statusCode()).isEqualTo(403);
    assertThat(publish(gateway, "printing:branch:b1", service, ok).statusCode()).isEqualTo(403);
    assertThat(publish(gateway, "kitchen:branch:b1", service, ok).statusCode()).isEqualTo(400);
    assertThat(
            publish(
                    gateway,
                    "orders:branch:b1",
                    service,
                    new JsonObject().put("event", "bad event"))
                .statusCode())
        .isEqualTo(400);
    assertThat(
            publish(
                    gateway,
                    "orders:branch:b1",
                    service,
                    new JsonObject().put("event", "E").put("data", new JsonArray()))
                .statusCode())
        .isEqualTo(400);
    var big =
        publish(
            gateway,
            "orders:branch:b1",
            service,
            new JsonObject()
                .put("event", "E")
                .put("data", new JsonObject().put("blob", "x".repeat(70_000))));
    assertThat(big.statusCode()).isEqualTo(413);
    var tooMany = new JsonArray();
    for (int i = 0; i < 101; i++) {
      tooMany.add(message("orders:branch:b1", "E", i));
    }
    assertThat(
            Http.post(
                    gateway.httpPort(),
                    "/api/v1/channels/publish",
                    service,
                    new JsonObject().put("messages", tooMany))
                .statusCode())
        .isEqualTo(400);
    // Nothing refused above was taken from the burst of 100: a full batch goes through, and the
    // next one finds one or two messages' worth refilled (1 a second), not 100.
    var full = new JsonArray();
    for (int i = 0; i < 100; i++) {
      full.add(message("orders:branch:b1", "E", i));
    }
    var batch = new JsonObject().put("messages", full);
    assertThat(
            Http.post(gateway.httpPort(), "/api/v1/channels/publish", service, batch).statusCode())
        .isEqualTo(200);
    var limited = Http.post(gateway.httpPort(), "/api/v1/channels/publish", service, batch);
    assertThat(limited.statusCode()).isEqualTo(429);
    assertThat(limited.headers().firstValue("Retry-After")).contains("1");
    // A route of the API that does not exist is the contract's 404, not the framework's page.
    var missing = Http.get(gateway.httpPort(), "/api/v1/channels/publish", service);
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(missing.body()).getJsonObject("error").getString("code"))
        .isEqualTo("not_found");
  }

  /** Publishes {@code count} messages numbered from {@code first}, in batches of 100. */
  private static void publishMany(
      ServiceRuntime gateway, String token, String channel, int first, int count) {
    for (int from = 0; from < count; from += 100) {
      var batch = new JsonArray();
      for (int n = from; n < Math.min(count, from + 100); n++) {
        batch.add(message(channel, "TICK", first + n));
      }
      var answer =
          Http.post(
              gateway.httpPort(),
              "/api/v1/channels/publish",
              token,
              new JsonObject().put("messages", batch));
      assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    }
  }

  private TestSocket subscribeSince(
      ServiceRuntime gateway, String user, String channel, String offset) {
    String token = GatewayHarness.issuer(gateway).user(user, Role.USER, "acme", List.of(), HOUR);
    var socket = TestSocket.open(client, gateway.httpPort(), "/ws/client", token);
    socket.send(
        "subscribe",
        "s",
        new JsonObject()
            .put("rooms", List.of(channel))
            .put("since", new JsonObject().put(channel, offset)));
    return socket;
  }

  @Test
  void aDashboardBackAfterMissing500MessagesRecoversThemInOrderOnceThenGoesOnLive() {
    var first = gateway(Map.of("PRINTFLEET_CHANNEL_HISTORY_SIZE", "1000"));
    var second = gateway(Map.of("PRINTFLEET_CHANNEL_HISTORY_SIZE", "1000"));
    String service = GatewayHarness.issuer(first).service("svc", "acme", HOUR);
    var before = dashboard(first, "ann", "acme", "orders:branch:b1");
    publishMany(first, service, "orders:branch:b1", 0, 1);
    await().atMost(Duration.ofSeconds(10)).until(() -> messages(before).size() == 1);
    String last = messages(before).get(0).getString("offset");
    before.socket.close();

    // Gone while 500 were published; back on the other gateway with the offset it had.
    publishMany(first, service, "orders:branch:b1", 1, 500);
    var back = subscribeSince(second, "ann", "orders:branch:b1", last);
    // 200 more while the history is read: live ones wait for it, the ones it holds come once.
    publishMany(second, service, "orders:branch:b1", 501, 200);
    var answer = back.awaitResponse("s");
    assertThat(answer.error()).isNull();
    assertThat(answer.data().getJsonObject("recovered").getBoolean("orders:branch:b1")).isTrue();
    await().atMost(Duration.ofSeconds(10)).until(() -> messages(back).size() >= 700);
    publishMany(second, service, "orders:branch:b1", 701, 1);
    await().atMost(Duration.ofSeconds(10)).until(() -> messages(back).size() >= 701);
    // A message delivered twice would come after the last one: none does.
    await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(5))
        .until(() -> messages(back).size() == 701);

    List<Integer> numbers =
        messages(back).stream().map(m -> m.getJsonObject("data").getInteger("n")).toList();
    List<Integer> expected = new ArrayList<>();
    for (int n = 1; n <= 701; n++) {
      expected.add(n);
    }
    assertThat(numbers).isEqualTo(expected);
    assertThat(messages(back).stream().map(m -> m.getString("offset")).toList())
        .isSortedAccordingTo(OFFSETS)
        .doesNotHaveDuplicates();
  }

  @Test
  void anOffsetOlderThanTheHistoryIsNotRecovered() {
    var gateway = gateway(Map.of("PRINTFLEET_CHANNEL_HISTORY_SIZE", "5"));
    String service = GatewayHarness.issuer(gateway).service("svc", "acme", HOUR);
    var answer = publish(gateway, "orders:zone:z1", service, message(null, "TICK", 0));
    String old = new JsonObject(answer.body()).getString("offset");
    publishMany(gateway, service, "orders:zone:z1", 1, 10);

    var back = subscribeSince(gateway, "ann", "orders:zone:z1", old);
    var reply = back.awaitResponse("s");
    assertThat(reply.data().getJsonObject("recovered").getBoolean("orders:zone:z1")).isFalse();
    // It should reload; it still goes on live, and was sent nothing from the history.
    publishMany(gateway, service, "orders:zone:z1", 11, 1);
    await().atMost(Duration.ofSeconds(10)).until(() -> messages(back).size() >= 1);
    assertThat(messages(back)).hasSize(1);
    assertThat(messages(back).get(0).getJsonObject("data").getInteger("n")).isEqualTo(11);

    // A since naming no offset, a room this connection is in already, or too many rooms: refused.
    var bad = subscribeSince(gateway, "ben", "orders:zone:z1", "yesterday");
    assertThat(bad.awaitResponse("s").error().code()).isEqualTo("invalid_data");
    back.send(
        "subscribe",
        "again",
        new JsonObject()
            .put("rooms", List.of("orders:zone:z1"))
            .put("since", new JsonObject().put("orders:zone:z1", old)));
    assertThat(back.awaitResponse("again").error().code()).isEqualTo("invalid_data");
    var many = new JsonObject();
    List<String> rooms = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      rooms.add("orders:zone:y" + i);
      many.put("orders:zone:y" + i, old);
    }
    back.send("subscribe", "many", new JsonObject().put("rooms", rooms).put("since", many));
    assertThat(back.awaitResponse("many").error().code()).isEqualTo("invalid_data");
  }

  @Test
  void eachChannelKeepsABoundedHistoryInOrderWithItsNamespacesBounds() {
    var gateway =
        gateway(
            Map.of(
                "PRINTFLEET_CHANNEL_HISTORY_SIZE",
                "5",
                "PRINTFLEET_CHANNEL_HISTORY_NAMESPACES",
                "orders=3,90s"));
    String service = GatewayHarness.issuer(gateway).service("svc", "acme", HOUR);
    List<String> offsets = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      var answer = publish(gateway, "availability:zone:z1", service, message(null, "STOCK", i));
      assertThat(answer.statusCode()).isEqualTo(200);
      offsets.add(new JsonObject(answer.body()).getString("offset"));
      assertThat(publish(gateway, "orders:zone:z1", service, message(null, "E", i)).statusCode())
          .isEqualTo(200);
    }
    assertThat(offsets).isSortedAccordingTo(OFFSETS).doesNotHaveDuplicates();
    // availability keeps the defaults (5 messages, 5 minutes); orders its own (3, 90 s).
    String key = gateway.settings().redis().key("channel:acme:availability:zone:z1");
    var length = GatewayHarness.await(gateway.redis().send(Request.cmd(Command.XLEN).arg(key)));
    assertThat(length.toInteger()).isEqualTo(5);
    var ttl = GatewayHarness.await(gateway.redis().send(Request.cmd(Command.PTTL).arg(key)));
    assertThat(ttl.toLong())
        .isBetween(Duration.ofSeconds(90).toMillis() + 1, Duration.ofMinutes(5).toMillis());
    String orders = gateway.settings().redis().key("channel:acme:orders:zone:z1");
    var ordersLength =
        GatewayHarness.await(gateway.redis().send(Request.cmd(Command.XLEN).arg(orders)));
    assertThat(ordersLength.toInteger()).isEqualTo(3);
    var ordersTtl =
        GatewayHarness.await(gateway.redis().send(Request.cmd(Command.PTTL).arg(orders)));
    assertThat(ordersTtl.toLong()).isBetween(1L, Duration.ofSeconds(90).toMillis());
  }

  @Test
  void messagesOlderThanTheHistorysAgeAreDroppedAtTheNextPublish() throws Exception {
    var gateway = gateway(Map.of("PRINTFLEET_CHANNEL_HISTORY_AGE", "2s"));
    String service = GatewayHarness.issuer(gateway).service("svc", "acme", HOUR);
    publishMany(gateway, service, "orders:zone:z2", 0, 3);
    Thread.sleep(1_200);
    publishMany(gateway, service, "orders:zone:z2", 3, 1);
    Thread.sleep(1_200);
    publishMany(gateway, service, "orders:zone:z2", 4, 1);
    // The three first are over 2 s old at the last publish, which drops them (on a run slow
    // enough for the stream to expire between two publishes, they are gone too); the last stays.
    String key = gateway.settings().redis().key("channel:acme:orders:zone:z2");
    var left =
        GatewayHarness.await(
            gateway.redis().send(Request.cmd(Command.XRANGE).arg(key).arg("-").arg("+")));
    List<Integer> numbers = new ArrayList<>();
    for (var entry : left) {
      numbers.add(
          new JsonObject(entry.get(1).get(1).toString()).getJsonObject("data").getInteger("n"));
    }
    assertThat(numbers).contains(4).doesNotContain(0, 1, 2);
  }
}
