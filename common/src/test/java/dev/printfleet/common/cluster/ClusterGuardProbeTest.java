package dev.printfleet.common.cluster;

import static dev.printfleet.common.cluster.ClusterNodes.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.ConnectException;
import java.net.ServerSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What the guard's probe takes for a dead member's event bus, and what it does not. */
class ClusterGuardProbeTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    await(vertx.close());
  }

  @Test
  void aPortNothingListensOnRefusesTheConnection() throws Exception {
    int closedPort;
    try (var socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }

    Throwable failure =
        await(
            vertx
                .createNetClient()
                .connect(closedPort, "127.0.0.1")
                .transform(connected -> Future.succeededFuture(connected.cause())));

    assertThat(failure).as("the connection failed").isNotNull();
    assertThat(ClusterGuard.refusesConnections(failure)).as(failure.toString()).isTrue();
  }

  @Test
  void aTimeoutOrAnUnreachableNetworkIsNotARefusal() {
    assertThat(ClusterGuard.refusesConnections(new ConnectTimeoutException("timed out"))).isFalse();
    assertThat(ClusterGuard.refusesConnections(new ConnectException("Network is unreachable")))
        .isFalse();
    assertThat(ClusterGuard.refusesConnections(new IllegalStateException("Connection refused")))
        .isFalse();
  }
}
