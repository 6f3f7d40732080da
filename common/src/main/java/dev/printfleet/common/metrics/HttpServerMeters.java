package dev.printfleet.common.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.core.spi.observability.HttpResponse;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;

/**
 * The HTTP server series of vertx-micrometer-metrics ({@code vertx_http_server_*}, same names and
 * the labels its default filters keep: {@code route}, {@code method}, {@code code}), without its
 * per-event cost. Vert.x 4.5 builds tags with the client's address and the path and registers a
 * meter through every meter filter for each request and for each WebSocket frame read or written;
 * here the connection and byte meters are fields, and a request finds its meters in maps keyed by
 * strings Vert.x already holds (route, method name) and an array indexed by status code, so a hit
 * allocates nothing. Routes come from the router's own patterns and methods from a fixed set, so
 * the series stay bounded whatever clients send.
 */
final class HttpServerMeters
    implements HttpServerMetrics<HttpServerMeters.Request, Object, Object> {

  private static final String PREFIX = "vertx.http.server.";

  /** A metric object for sockets and WebSockets: they are counted, not told apart. */
  private static final Object COUNTED = new Object();

  private static final Set<String> KNOWN_METHODS =
      HttpMethod.values().stream().map(HttpMethod::name).collect(Collectors.toUnmodifiableSet());
  private static final int LOWEST_CODE = 100;
  private static final int HIGHEST_CODE = 599;

  private final MeterRegistry registry;
  private final LongAdder connections = new LongAdder();
  private final LongAdder webSockets = new LongAdder();
  private final Counter bytesRead;
  private final Counter bytesWritten;
  private final Counter errors;
  private final ConcurrentMap<String, ByMethod> byMethod = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, ConcurrentMap<String, AtomicReferenceArray<Outcome>>>
      outcomes = new ConcurrentHashMap<>();

  HttpServerMeters(MeterRegistry registry) {
    this.registry = registry;
    Gauge.builder(PREFIX + "active.connections", connections, LongAdder::doubleValue)
        .description("Number of opened connections to the server")
        .strongReference(true)
        .register(registry);
    Gauge.builder(PREFIX + "active.ws.connections", webSockets, LongAdder::doubleValue)
        .description("Number of websockets currently opened")
        .strongReference(true)
        .register(registry);
    bytesRead =
        Counter.builder(PREFIX + "bytes.read")
            .description("Number of bytes received by the server")
            .register(registry);
    bytesWritten =
        Counter.builder(PREFIX + "bytes.written")
            .description("Number of bytes sent by the server")
            .register(registry);
    errors = Counter.builder(PREFIX + "errors").description("Number of errors").register(registry);
  }

  @Override
  public Object connected(SocketAddress remoteAddress, String remoteName) {
    connections.increment();
    return COUNTED;
  }

  @Override
  public void disconnected(Object socketMetric, SocketAddress remoteAddress) {
    connections.decrement();
  }

  @Override
  public void bytesRead(Object socketMetric, SocketAddress remoteAddress, long numberOfBytes) {
    bytesRead.increment(numberOfBytes);
  }

  @Override
  public void bytesWritten(Object socketMetric, SocketAddress remoteAddress, long numberOfBytes) {
    bytesWritten.increment(numberOfBytes);
  }

  @Override
  public void exceptionOccurred(Object socketMetric, SocketAddress remoteAddress, Throwable t) {
    errors.increment();
  }

  @Override
  public Request requestBegin(Object socketMetric, HttpRequest request) {
    return begin(request.method());
  }

  @Override
  public Request responsePushed(
      Object socketMetric, HttpMethod method, String uri, HttpResponse response) {
    return begin(method);
  }

  private Request begin(HttpMethod method) {
    String name = KNOWN_METHODS.contains(method.name()) ? method.name() : "OTHER";
    ByMethod meters = byMethod.computeIfAbsent(name, this::byMethod);
    meters.active.increment();
    return new Request(name, meters, System.nanoTime());
  }

  @Override
  public void requestRouted(Request request, String route) {
    request.addRoute(route);
  }

  @Override
  public void requestEnd(Request request, HttpRequest httpRequest, long bytes) {
    request.method.requestBytes.record(bytes);
    if (request.requestEnded()) {
      request.method.active.decrement();
    }
  }

  @Override
  public void requestReset(Request request) {
    request.method.resets.increment();
    request.method.active.decrement();
    request.reset = true;
  }

  @Override
  public void responseEnd(Request request, HttpResponse response, long bytes) {
    Outcome outcome = outcome(request.route(), request.methodName, response.statusCode());
    outcome.requests.increment();
    outcome.responseTime.record(System.nanoTime() - request.startedAt, TimeUnit.NANOSECONDS);
    outcome.responseBytes.record(bytes);
    if (request.responseEnded()) {
      request.method.active.decrement();
    }
  }

  @Override
  public Object connected(Object socketMetric, Request request, ServerWebSocket webSocket) {
    webSockets.increment();
    return COUNTED;
  }

  @Override
  public void disconnected(Object webSocketMetric) {
    webSockets.decrement();
  }

  private Outcome outcome(String route, String method, int code) {
    AtomicReferenceArray<Outcome> byCode =
        outcomes
            .computeIfAbsent(route, r -> new ConcurrentHashMap<>())
            .computeIfAbsent(
                method, m -> new AtomicReferenceArray<>(HIGHEST_CODE - LOWEST_CODE + 2));
    // A status outside the standard range shares the last slot, labelled as itself the first time.
    int slot =
        code >= LOWEST_CODE && code <= HIGHEST_CODE ? code - LOWEST_CODE : byCode.length() - 1;
    Outcome outcome = byCode.get(slot);
    if (outcome == null) {
      String label = slot == byCode.length() - 1 ? "other" : String.valueOf(code);
      // Registering the same id twice returns the same meters, so a race here is harmless.
      byCode.compareAndSet(slot, null, new Outcome(registry, route, method, label));
      outcome = byCode.get(slot);
    }
    return outcome;
  }

  private ByMethod byMethod(String method) {
    return new ByMethod(registry, method);
  }

  /** The meters of requests by method alone, as vertx-micrometer-metrics labels them. */
  private static final class ByMethod {
    private final LongAdder active = new LongAdder();
    private final DistributionSummary requestBytes;
    private final Counter resets;

    private ByMethod(MeterRegistry registry, String method) {
      Gauge.builder(PREFIX + "active.requests", active, LongAdder::doubleValue)
          .description("Number of requests being processed")
          .tag("method", method)
          .strongReference(true)
          .register(registry);
      requestBytes =
          DistributionSummary.builder(PREFIX + "request.bytes")
              .description("Size of requests in bytes")
              .tag("method", method)
              .register(registry);
      resets =
          Counter.builder(PREFIX + "request.resets")
              .description("Number of request resets")
              .tag("method", method)
              .register(registry);
    }
  }

  /** The meters of answered requests by route, method and status code. */
  private static final class Outcome {
    private final Counter requests;
    private final Timer responseTime;
    private final DistributionSummary responseBytes;

    private Outcome(MeterRegistry registry, String route, String method, String code) {
      requests =
          Counter.builder(PREFIX + "requests")
              .description("Number of processed requests")
              .tags("route", route, "method", method, "code", code)
              .register(registry);
      responseTime =
          Timer.builder(PREFIX + "response.time")
              .description("Request processing time")
              .tags("route", route, "method", method, "code", code)
              .register(registry);
      responseBytes =
          DistributionSummary.builder(PREFIX + "response.bytes")
              .description("Size of responses in bytes")
              .tags("route", route, "method", method, "code", code)
              .register(registry);
    }
  }

  /** One request in flight. */
  static final class Request {
    private final String methodName;
    private final ByMethod method;
    private final long startedAt;
    private String route = "";
    private boolean requestEnded;
    private boolean responseEnded;
    private boolean reset;

    private Request(String methodName, ByMethod method, long startedAt) {
      this.methodName = methodName;
      this.method = method;
      this.startedAt = startedAt;
    }

    /**
     * Sub-routers route a request more than once; the route reads as their patterns joined by '>'.
     */
    private void addRoute(String next) {
      if (next != null) {
        route = route.isEmpty() ? next : route + '>' + next;
      }
    }

    private String route() {
      return route;
    }

    private boolean requestEnded() {
      requestEnded = true;
      return !reset && responseEnded;
    }

    private boolean responseEnded() {
      responseEnded = true;
      return !reset && requestEnded;
    }
  }
}
