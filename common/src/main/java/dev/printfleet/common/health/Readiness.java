package dev.printfleet.common.health;

import com.retailsvc.vertx.spi.cluster.redis.ClusterHealthCheck;
import dev.printfleet.common.cluster.ClusterGuard;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.CheckResult;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The checks behind {@code /health/ready}: the cluster (whether this node's cluster state is in
 * Redis and readable), Redis, whatever the service adds, and whether the instance is draining. A
 * draining instance is never ready, so the ingress and the kubelet take it out of rotation before
 * it closes anything.
 */
public final class Readiness {

  /** A check that takes longer than this counts as down. */
  public static final long CHECK_TIMEOUT_MS = 2_000;

  private final HealthChecks checks;
  private final AtomicBoolean draining = new AtomicBoolean();

  public Readiness(Vertx vertx, Redis redis) {
    this.checks = HealthChecks.create(vertx);
    checks.register(
        "draining",
        promise ->
            promise.complete(
                draining.get() ? Status.KO(new JsonObject().put("draining", true)) : Status.OK()));
    // The guard reads the cluster state from Redis every few seconds: down while it cannot, or
    // while this node's entry or subscriptions are missing and could not be put back (other
    // nodes cannot reach its consumers). The cluster manager's own check is for nodes without a
    // guard only: it answers DOWN in replicated mode, whatever the state.
    var guard = ClusterGuard.of(vertx);
    checks.register(
        "cluster",
        CHECK_TIMEOUT_MS,
        guard.isPresent()
            ? promise ->
                promise.complete(
                    guard
                        .get()
                        .problem()
                        .map(reason -> Status.KO(new JsonObject().put("reason", reason)))
                        .orElseGet(Status::OK))
            : ClusterHealthCheck.createProcedure(vertx));
    checks.register("redis", CHECK_TIMEOUT_MS, promise -> pingRedis(redis, promise));
  }

  /** Adds a check of the service's own dependency (PostgreSQL, say). */
  public void register(String name, Handler<Promise<Status>> procedure) {
    checks.register(name, CHECK_TIMEOUT_MS, procedure);
  }

  public void startDraining() {
    draining.set(true);
  }

  public boolean isDraining() {
    return draining.get();
  }

  public HealthChecks checks() {
    return checks;
  }

  public Future<Boolean> isReady() {
    return checks.checkStatus().map(CheckResult::getUp).otherwise(false);
  }

  private static void pingRedis(Redis redis, Promise<Status> promise) {
    redis
        .send(Request.cmd(Command.PING))
        .map(reply -> Status.OK())
        .otherwise(e -> Status.KO(new JsonObject().put("error", String.valueOf(e.getMessage()))))
        .onComplete(promise);
  }
}
