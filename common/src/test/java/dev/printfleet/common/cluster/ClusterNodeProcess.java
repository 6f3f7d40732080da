package dev.printfleet.common.cluster;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

/**
 * A cluster node in a JVM of its own, for tests that need a separate process: it answers requests
 * on an address with a name, and echoes publishes on {@code <address>.publish} back to {@code
 * <address>.seen}. It prints READY once its consumers are registered cluster-wide.
 *
 * <p>Arguments: redis address, key namespace, address, name.
 */
public final class ClusterNodeProcess {

  public static void main(String[] args) {
    String redisAddress = args[0];
    String namespace = args[1];
    String address = args[2];
    String name = args[3];
    Vertx vertx = ClusterNodes.start(redisAddress, namespace);
    var requests = vertx.eventBus().<String>consumer(address, message -> message.reply(name));
    var publishes =
        vertx
            .eventBus()
            .<String>consumer(
                address + ".publish",
                message -> vertx.eventBus().send(address + ".seen", name + ":" + message.body()));
    Promise<Void> requestsReady = Promise.promise();
    Promise<Void> publishesReady = Promise.promise();
    requests.completionHandler(requestsReady);
    publishes.completionHandler(publishesReady);
    ClusterNodes.await(Future.all(requestsReady.future(), publishesReady.future()));
    System.out.println("READY");
    System.out.flush();
  }
}
