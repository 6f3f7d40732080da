package dev.printfleet.common.cluster;

import static dev.printfleet.common.cluster.ClusterNodes.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.net.ConnectException;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What the guard's probe takes for a dead member's event bus, and what it does not. */
class ClusterGuardProbeTest {

  /** On Netty's epoll transport, as the services run on Linux, and on NIO, as elsewhere. */
  @ParameterizedTest(name = "native transport {0}")
  @ValueSource(booleans = {true, false})
  void aPortNothingListensOnRefusesTheConnection(boolean nativeTransport) throws Exception {
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(nativeTransport));
    try {
      assertThat(vertx.isNativeTransportEnabled()).isEqualTo(nativeTransport);
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
    } finally {
      await(vertx.close());
    }
  }

  @Test
  void epollsErrorNumberIsARefusalInAnyLanguage() {
    assertThat(
            ClusterGuard.refusesConnections(
                new ConnectException(
                    "connect(..) failed with error(-111): Verbindungsaufbau abgelehnt")))
        .isTrue();
  }

  @Test
  void aTimeoutOrAnUnreachableNetworkIsNotARefusal() {
    assertThat(ClusterGuard.refusesConnections(new ConnectTimeoutException("Connection refused")))
        .as("a timeout, whatever its message")
        .isFalse();
    assertThat(ClusterGuard.refusesConnections(new ConnectException("Network is unreachable")))
        .isFalse();
    assertThat(ClusterGuard.refusesConnections(new IllegalStateException("Connection refused")))
        .as("not a connect failure")
        .isFalse();
  }
}
