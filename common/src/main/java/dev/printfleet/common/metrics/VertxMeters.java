package dev.printfleet.common.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.metrics.ClientMetrics;
import io.vertx.core.spi.metrics.DatagramSocketMetrics;
import io.vertx.core.spi.metrics.EventBusMetrics;
import io.vertx.core.spi.metrics.HttpClientMetrics;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.metrics.PoolMetrics;
import io.vertx.core.spi.metrics.TCPMetrics;
import io.vertx.core.spi.metrics.VertxMetrics;

/**
 * Vert.x's metrics for one instance: vertx-micrometer-metrics for its setup (the registry, the JVM
 * binders) and whatever it still measures, with the two domains that fire on every message and
 * every request replaced by meters resolved once ({@link EventBusMeters}, {@link
 * HttpServerMeters}), and the PostgreSQL pools measured as cheaply ({@link SqlPoolMeters}). One
 * HTTP server metrics object serves every server of the instance: the series never carried the
 * local address, so they were already summed across servers.
 */
final class VertxMeters implements VertxMetrics {

  private final VertxMetrics micrometer;
  private final EventBusMeters eventBus;
  private final HttpServerMeters httpServer;
  private final MeterRegistry registry;
  private SqlPoolMeters sqlPools;

  VertxMeters(MeterRegistry registry, VertxMetrics micrometer) {
    this.micrometer = micrometer;
    this.registry = registry;
    this.eventBus = new EventBusMeters(registry);
    this.httpServer = new HttpServerMeters(registry);
  }

  @Override
  public EventBusMetrics<?> createEventBusMetrics() {
    return eventBus;
  }

  @Override
  public HttpServerMetrics<?, ?, ?> createHttpServerMetrics(
      HttpServerOptions options, SocketAddress localAddress) {
    return httpServer;
  }

  @Override
  public ClientMetrics<?, ?, ?, ?> createClientMetrics(
      SocketAddress remoteAddress, String type, String namespace) {
    return micrometer.createClientMetrics(remoteAddress, type, namespace);
  }

  @Override
  public HttpClientMetrics<?, ?, ?, ?> createHttpClientMetrics(HttpClientOptions options) {
    return micrometer.createHttpClientMetrics(options);
  }

  @Override
  public TCPMetrics<?> createNetServerMetrics(
      NetServerOptions options, SocketAddress localAddress) {
    return micrometer.createNetServerMetrics(options, localAddress);
  }

  @Override
  public TCPMetrics<?> createNetClientMetrics(NetClientOptions options) {
    return micrometer.createNetClientMetrics(options);
  }

  @Override
  public DatagramSocketMetrics createDatagramSocketMetrics(DatagramSocketOptions options) {
    return micrometer.createDatagramSocketMetrics(options);
  }

  @Override
  public PoolMetrics<?> createPoolMetrics(String poolType, String poolName, int maxPoolSize) {
    if ("sql".equals(poolType)) {
      return sqlPools().pool(maxPoolSize);
    }
    return micrometer.createPoolMetrics(poolType, poolName, maxPoolSize);
  }

  /** Made with the first PostgreSQL pool, so a service without one shows no pool series. */
  private synchronized SqlPoolMeters sqlPools() {
    if (sqlPools == null) {
      sqlPools = new SqlPoolMeters(registry);
    }
    return sqlPools;
  }

  @Override
  public void vertxCreated(Vertx vertx) {
    micrometer.vertxCreated(vertx);
  }

  @Override
  public boolean isMetricsEnabled() {
    return true;
  }

  @Override
  public void close() {
    micrometer.close();
  }
}
