package dev.printfleet.common.cluster;

import static dev.printfleet.common.cluster.ClusterNodes.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.printfleet.common.config.EventBusSettings;
import dev.printfleet.common.config.RedisSettings;
import dev.printfleet.common.config.Settings;
import dev.printfleet.testing.RealServersExtension;
import dev.printfleet.testing.RedisServerHandle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A gateway holding 19,900 agents has no file descriptors to spare: the cluster manager's Redis
 * client must cost a handful of files per JVM, not the hundred or so Redisson's defaults open (32
 * netty event loops with their selectors, 24 idle connections per node, DNS sockets).
 */
@ExtendWith(RealServersExtension.class)
class ClusterClientFilesTest {

  /**
   * What joining may add to this JVM's open files: Vert.x's own event loops and event bus server
   * (about a dozen on this machine) plus the sized Redis client (about nine). Redisson's defaults
   * alone exceed it several times over.
   */
  static final int JOIN_FILE_BOUND = 40;

  @ParameterizedTest
  @ValueSource(strings = {"standalone", "replicated"})
  void joiningTheClusterOpensAHandfulOfFiles(String clientType, RedisServerHandle redis) {
    var settings =
        RedisSettings.from(
            new Settings(
                Map.of(
                    "PRINTFLEET_REDIS_CLIENT_TYPE",
                    clientType,
                    "REDIS_CONNECTION_ADDRESS",
                    redis.address(),
                    "REDIS_KEY_NAMESPACE",
                    "files-" + UUID.randomUUID().toString().substring(0, 8))));
    int before = openFiles();
    Vertx node =
        await(
            ClusterBootstrap.start(settings, EventBusSettings.from(new Settings(Map.of())), null));
    try {
      // One round trip through the cluster manager, so its pools are in use, not just created.
      Promise<Void> registered = Promise.promise();
      node.eventBus().consumer("files.probe", m -> m.reply("ok")).completionHandler(registered);
      await(registered.future());
      await(node.eventBus().request("files.probe", "ping"));
      int opened = openFiles() - before;
      System.out.printf(
          "Files opened by joining the cluster clientType=%s opened=%d"
              + " ofWhichVertxWithoutCluster=%d bound=%d%n",
          clientType, opened, openedByPlainVertx(), JOIN_FILE_BOUND);
      assertThat(opened).isLessThanOrEqualTo(JOIN_FILE_BOUND);
      // The epoll transport is what these files are counted with in production, on Linux x86_64;
      // a Netty upgrade without the matching native jar would fall back to NIO silently.
      if (System.getProperty("os.name").equals("Linux")
          && System.getProperty("os.arch").equals("amd64")) {
        assertThat(node.isNativeTransportEnabled())
            .as("epoll refused: %s", node.unavailableNativeTransportCause())
            .isTrue();
      }
    } finally {
      await(node.close().recover(e -> Future.succeededFuture()));
    }
  }

  /** What a Vert.x with no cluster opens, for the figure printed (the rest is the cluster's). */
  private static int openedByPlainVertx() {
    int before = openFiles();
    Vertx plain = Vertx.vertx();
    try {
      return openFiles() - before;
    } finally {
      await(plain.close());
    }
  }

  /** This JVM's open file descriptors (sockets, selectors, pipes, files). */
  static int openFiles() {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return (int) fds.count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
