package dev.printfleet.gateway;

import dev.printfleet.common.auth.TokenIssuer;
import dev.printfleet.common.config.Settings;
import dev.printfleet.common.lifecycle.ServiceLauncher;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.testing.RedisServerHandle;
import io.vertx.core.Future;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** Starts real gateway instances on the test Redis, each in a cluster of the test's own. */
final class GatewayHarness {

  static final String SECRET = "test-secret-0123456789-0123456789-abcdef";

  final String namespace = "gw-" + UUID.randomUUID().toString().substring(0, 8);
  final RedisServerHandle redis;

  GatewayHarness(RedisServerHandle redis) {
    this.redis = redis;
  }

  ServiceRuntime start(Map<String, String> extra) {
    Map<String, String> env = new HashMap<>();
    env.put("PRINTFLEET_JWT_SECRET", SECRET);
    env.put("REDIS_CONNECTION_ADDRESS", redis.address());
    env.put("REDIS_KEY_NAMESPACE", namespace);
    env.put("PRINTFLEET_HTTP_PORT", "0");
    env.put("PRINTFLEET_HTTP_HOST", "127.0.0.1");
    env.put("PRINTFLEET_DRAIN_DELAY", "0s");
    env.putAll(extra);
    return await(ServiceLauncher.start(new GatewayService(), new Settings(env)));
  }

  /**
   * Stands in for printing on the test's cluster: acknowledges each printer list the gateway sends
   * to be stored, as a printing instance does once it wrote it.
   */
  static void storePrinterLists(ServiceRuntime on) {
    on.vertx()
        .eventBus()
        .<io.vertx.core.json.JsonObject>consumer(
            dev.printfleet.common.messages.Addresses.PRINTING_PRINTERS,
            m ->
                m.reply(
                    new io.vertx.core.json.JsonObject()
                        .put("stored", m.body().getJsonArray("printers").size())));
    // And each connect, disconnect and presence restored, as printing acknowledges them once
    // written.
    on.vertx()
        .eventBus()
        .<io.vertx.core.json.JsonObject>consumer(
            dev.printfleet.common.messages.Addresses.PRINTING_AGENTS,
            m -> m.reply(new io.vertx.core.json.JsonObject()));
  }

  static TokenIssuer issuer(ServiceRuntime runtime) {
    return new TokenIssuer(runtime.vertx(), SECRET);
  }

  /** Signs exactly these claims (no exp is added), for tokens the gateway must refuse. */
  static String signRaw(io.vertx.core.Vertx vertx, io.vertx.core.json.JsonObject claims) {
    var jwt =
        io.vertx.ext.auth.jwt.JWTAuth.create(
            vertx,
            new io.vertx.ext.auth.jwt.JWTAuthOptions()
                .addPubSecKey(
                    new io.vertx.ext.auth.PubSecKeyOptions()
                        .setAlgorithm("HS256")
                        .setBuffer(SECRET)));
    return jwt.generateToken(
        claims, new io.vertx.ext.auth.JWTOptions().setAlgorithm("HS256").setNoTimestamp(true));
  }

  static String get(ServiceRuntime runtime, String path) {
    try {
      var client = java.net.http.HttpClient.newHttpClient();
      return client
          .send(
              java.net.http.HttpRequest.newBuilder(
                      java.net.URI.create("http://127.0.0.1:" + runtime.httpPort() + path))
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static <T> T await(Future<T> future) {
    return await(future, java.time.Duration.ofSeconds(60));
  }

  static <T> T await(Future<T> future, java.time.Duration timeout) {
    try {
      return future
          .toCompletionStage()
          .toCompletableFuture()
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("future did not complete: " + e, e);
    }
  }
}
