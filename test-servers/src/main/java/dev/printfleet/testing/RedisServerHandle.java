package dev.printfleet.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.embedded.RedisServer;
import redis.embedded.core.ExecutableProvider;

/**
 * A real Redis server (the binary shipped by embedded-redis) on loopback. It keeps its port across
 * {@link #stop()} and {@link #start()}, so tests can restart Redis under running services.
 */
public final class RedisServerHandle implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RedisServerHandle.class);

  private final int port;
  private final Path workDir;
  private final RedisServer server;

  private RedisServerHandle(int port, Path workDir) throws IOException {
    this.port = port;
    this.workDir = workDir;
    File binaryDir = Files.createDirectories(workDir.resolve("bin")).toFile();
    this.server =
        RedisServer.newRedisServer()
            .executableProvider(ExecutableProvider.newJarResourceProvider(binaryDir))
            .bind("127.0.0.1")
            .port(port)
            .setting("save \"\"")
            .setting("appendonly no")
            .setting("dir " + workDir)
            .onShutdownForceStop(false)
            .build();
  }

  /** Starts a server on a free port, with its files under a new temporary directory. */
  public static RedisServerHandle startOnFreePort() {
    try {
      var handle =
          new RedisServerHandle(FreePorts.next(), Files.createTempDirectory("printfleet-redis-"));
      handle.start();
      return handle;
    } catch (IOException e) {
      throw new UncheckedIOException("could not start the embedded Redis", e);
    }
  }

  public synchronized void start() {
    if (server.isActive()) {
      return;
    }
    try {
      server.start();
      log.info("Redis started port={}", port);
    } catch (IOException e) {
      throw new UncheckedIOException("could not start Redis on port " + port, e);
    }
  }

  public synchronized void stop() {
    try {
      server.stop();
      log.info("Redis stopped port={}", port);
    } catch (IOException e) {
      throw new UncheckedIOException("could not stop Redis on port " + port, e);
    }
  }

  public boolean isRunning() {
    return server.isActive();
  }

  public String host() {
    return "127.0.0.1";
  }

  public int port() {
    return port;
  }

  /** The address in the form the cluster manager and vertx-redis-client take. */
  public String address() {
    return "redis://" + host() + ":" + port;
  }

  @Override
  public synchronized void close() {
    stop();
    TempDirs.deleteRecursively(workDir);
  }
}
