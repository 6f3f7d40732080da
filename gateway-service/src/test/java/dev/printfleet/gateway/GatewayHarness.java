package dev.printfleet.gateway;

import dev.printfleet.common.auth.TokenIssuer;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.common.messages.Addresses;
import dev.printfleet.testing.Http;
import dev.printfleet.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.time.Duration;
import java.util.Map;

/** What the gateway's tests add to the test cluster: gateways, and a stand-in for printing. */
final class GatewayHarness {

  private final TestCluster cluster;

  GatewayHarness(TestCluster cluster) {
    this.cluster = cluster;
  }

  /** A gateway instance with these settings on top of the cluster's; stopped with the cluster. */
  ServiceRuntime start(Map<String, String> extra) {
    return cluster.start(new GatewayService(), extra);
  }

  /**
   * Stands in for printing on the test's cluster: acknowledges each printer list the gateway sends
   * to be stored, as a printing instance does once it wrote it.
   */
  static void storePrinterLists(ServiceRuntime on) {
    on.vertx()
        .eventBus()
        .<JsonObject>consumer(
            Addresses.PRINTING_PRINTERS,
            m -> m.reply(new JsonObject().put("stored", m.body().getJsonArray("printers").size())));
    // And each connect, disconnect and presence restored, as printing acknowledges them once
    // written.
    on.vertx()
        .eventBus()
        .<JsonObject>consumer(Addresses.PRINTING_AGENTS, m -> m.reply(new JsonObject()));
  }

  static TokenIssuer issuer(ServiceRuntime runtime) {
    return new TokenIssuer(runtime.vertx(), TestCluster.SECRET);
  }

  /** Signs exactly these claims (no exp is added), for tokens the gateway must refuse. */
  static String signRaw(Vertx vertx, JsonObject claims) {
    var jwt =
        JWTAuth.create(
            vertx,
            new JWTAuthOptions()
                .addPubSecKey(
                    new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(TestCluster.SECRET)));
    return jwt.generateToken(claims, new JWTOptions().setAlgorithm("HS256").setNoTimestamp(true));
  }

  static String get(ServiceRuntime runtime, String path) {
    return Http.get(runtime, path, null).body();
  }

  static <T> T await(Future<T> future) {
    return TestCluster.join(future);
  }

  static <T> T await(Future<T> future, Duration timeout) {
    return TestCluster.join(future, timeout);
  }
}
