package dev.printfleet.common.cluster;

import static dev.printfleet.common.cluster.ClusterNodes.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.testing.RealServersExtension;
import dev.printfleet.testing.RedisServerHandle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.impl.VertxInternal;
import io.vertx.core.spi.cluster.RegistrationInfo;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Three clustered Vert.x nodes on one real Redis: the event bus works across them, and a node that
 * leaves, cleanly or by dying, stops being a target.
 */
@ExtendWith(RealServersExtension.class)
class ClusterProofTest {

  /**
   * The bound for a node whose process died: every other node's {@link ClusterGuard} finds its
   * event bus refusing connections in {@value ClusterGuard#REFUSALS} checks in a row (3 s apart)
   * and drops it, so within about 6 s after the first check. Its catalog entry, refreshed every 15
   * s with a 30 s TTL, lives at least 15 s after the kill, and the catalog's path then needs three
   * more checks: only the probe can drop the node within this bound. The measured figure is
   * printed.
   */
  static final Duration DEAD_NODE_BOUND = Duration.ofSeconds(15);

  private final List<Vertx> nodes = new ArrayList<>();
  private final List<Process> processes = new ArrayList<>();
  private String namespace;
  private RedisServerHandle redis;

  @BeforeEach
  void startCluster(RedisServerHandle redis) {
    this.redis = redis;
    namespace = "proof-" + UUID.randomUUID().toString().substring(0, 8);
    List<Future<Vertx>> starting = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      starting.add(
          ClusterBootstrap.start(
              ClusterNodes.redis(redis.address(), namespace),
              dev.printfleet.common.config.EventBusSettings.from(
                  new dev.printfleet.common.config.Settings(java.util.Map.of())),
              null));
    }
    for (var future : starting) {
      nodes.add(await(future));
    }
  }

  @AfterEach
  void stopCluster() {
    processes.forEach(Process::destroyForcibly);
    for (Vertx node : nodes) {
      await(node.close().recover(e -> Future.succeededFuture()));
    }
  }

  @Test
  void sendReachesTheConsumerOnAnotherNode() {
    var received = new CopyOnWriteArrayList<String>();
    register(nodes.get(1).eventBus().<String>consumer("proof.send", m -> received.add(m.body())));

    nodes.get(0).eventBus().send("proof.send", "hello");

    await().atMost(Duration.ofSeconds(10)).until(() -> received.contains("hello"));
    assertThat(received).containsExactly("hello");
  }

  @Test
  void publishReachesEveryNode() {
    var received = new ConcurrentHashMap<String, String>();
    for (int i = 0; i < nodes.size(); i++) {
      String name = "node" + i;
      register(
          nodes
              .get(i)
              .eventBus()
              .<String>consumer("proof.publish", m -> received.put(name, m.body())));
    }

    nodes.get(0).eventBus().publish("proof.publish", "to-all");

    await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 3);
    assertThat(received).containsOnlyKeys("node0", "node1", "node2").containsValue("to-all");
  }

  @Test
  void requestGetsTheReplyFromAnotherNode() {
    register(
        nodes
            .get(2)
            .eventBus()
            .<String>consumer("proof.request", m -> m.reply("pong:" + m.body())));

    String reply = await(nodes.get(0).eventBus().<String>request("proof.request", "ping")).body();

    assertThat(reply).isEqualTo("pong:ping");
  }

  @Test
  void aNodeThatLeavesCleanlyIsNoLongerATarget() {
    register(nodes.get(1).eventBus().<String>consumer("proof.leave", m -> m.reply("stays")));
    register(nodes.get(2).eventBus().<String>consumer("proof.leave", m -> m.reply("leaves")));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> answersFrom(nodes.get(0), "proof.leave", 6).contains("leaves"));

    await(nodes.remove(2).close());

    // Once the leave is seen, every request goes to the node that stayed.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> answersFrom(nodes.get(0), "proof.leave", 10).equals(Set.of("stays")));
    assertThat(answersFrom(nodes.get(0), "proof.leave", 20)).containsExactly("stays");
  }

  @Test
  void aNodeInAnotherProcessThatDiesWithoutLeavingStopsBeingATarget() throws Exception {
    Process child = startNodeProcess("proof.dead", "child");
    register(nodes.get(1).eventBus().<String>consumer("proof.dead", m -> m.reply("alive")));

    // The separate process is a full member: it answers requests and hears publishes.
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> answersFrom(nodes.get(0), "proof.dead", 6).contains("child"));
    var seen = new CopyOnWriteArrayList<String>();
    register(nodes.get(0).eventBus().<String>consumer("proof.dead.seen", m -> seen.add(m.body())));
    nodes.get(2).eventBus().publish("proof.dead.publish", "hi");
    await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains("child:hi"));

    String childNode = otherNode(nodes.get(0), "proof.dead", nodes.get(1));
    long killedAt = System.nanoTime();
    child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);

    await()
        .atMost(DEAD_NODE_BOUND)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> !registeredNodes(nodes.get(0), "proof.dead").contains(childNode));
    long droppedAfterMs = (System.nanoTime() - killedAt) / 1_000_000;
    System.out.println("printfleet-figure dead-node-dropped-after-ms=" + droppedAfterMs);
    // No node's requests go to the dead one any more.
    for (Vertx node : nodes) {
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> answersFrom(node, "proof.dead", 6).equals(Set.of("alive")));
    }
    assertThat(answersFrom(nodes.get(0), "proof.dead", 20)).containsExactly("alive");
  }

  /** The nodes that serve an address, as this node's cluster manager knows them. */
  private static Set<String> registeredNodes(Vertx from, String address) {
    Promise<List<RegistrationInfo>> found = Promise.promise();
    ((VertxInternal) from).getClusterManager().getRegistrations(address, found);
    return await(found.future()).stream().map(RegistrationInfo::nodeId).collect(Collectors.toSet());
  }

  /** The one node serving an address besides {@code known}'s. */
  private static String otherNode(Vertx from, String address, Vertx known) {
    String knownId = ((VertxInternal) known).getClusterManager().getNodeId();
    Set<String> others = new HashSet<>(registeredNodes(from, address));
    others.remove(knownId);
    assertThat(others).as("the other node serving " + address).hasSize(1);
    return others.iterator().next();
  }

  /** Sends {@code count} requests one after the other; the set of names that answered. */
  private static Set<String> answersFrom(Vertx from, String address, int count) {
    Set<String> names = ConcurrentHashMap.newKeySet();
    for (int i = 0; i < count; i++) {
      try {
        names.add(
            await(
                    from.eventBus()
                        .<String>request(
                            address, "who", new DeliveryOptions().setSendTimeout(1_000)),
                    Duration.ofSeconds(5))
                .body());
      } catch (AssertionError e) {
        names.add("failed");
      }
    }
    return names;
  }

  private static void register(MessageConsumer<?> consumer) {
    Promise<Void> registered = Promise.promise();
    consumer.completionHandler(registered);
    await(registered.future());
  }

  private Process startNodeProcess(String address, String name) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    var command =
        List.of(
            java,
            "-Xmx128m",
            "-cp",
            System.getProperty("java.class.path"),
            ClusterNodeProcess.class.getName(),
            redis.address(),
            namespace,
            address,
            name);
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    processes.add(process);
    var reader =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    String line;
    while ((line = reader.readLine()) != null) {
      if (line.equals("READY")) {
        // Keep draining its output so the child never blocks on a full pipe.
        Thread.ofVirtual().start(() -> reader.lines().forEach(l -> {}));
        return process;
      }
      if (System.nanoTime() > deadline) {
        break;
      }
    }
    throw new AssertionError(
        "the node process did not become ready (exit="
            + (process.isAlive() ? "alive" : process.exitValue())
            + ")");
  }
}
