package dev.printfleet.simulator.load;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Heap and CPU of each service during a run, read every second from its own {@code /metrics}
 * (Prometheus text): {@code jvm_memory_used_bytes{area="heap"}} summed, and {@code
 * process_cpu_usage} (the JVM's share of the whole machine, 0..1).
 */
final class MetricsSampler {

  /** One reading of one service. */
  record Sample(long atMs, double heapMiB, double cpuShare) {}

  private final Vertx vertx;
  private final HttpClient http;
  private final Map<String, List<Sample>> series = new LinkedHashMap<>();
  private volatile long startedMs = System.currentTimeMillis();
  private long timer = -1;

  MetricsSampler(Vertx vertx, List<String> baseUrls) {
    this.vertx = vertx;
    this.http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true));
    baseUrls.forEach(url -> series.put(url, new ArrayList<>()));
  }

  void start() {
    if (series.isEmpty()) {
      return;
    }
    timer = vertx.setPeriodic(0, 1_000, id -> series.keySet().forEach(this::sample));
  }

  /** Forgets the samples so far: the series start again now (the warm-up's are not reported). */
  void reset() {
    synchronized (series) {
      series.values().forEach(List::clear);
      startedMs = System.currentTimeMillis();
    }
  }

  void stop() {
    vertx.cancelTimer(timer);
  }

  private void sample(String baseUrl) {
    URI uri = URI.create(baseUrl);
    http.request(
            new RequestOptions()
                .setMethod(HttpMethod.GET)
                .setHost(uri.getHost())
                .setPort(uri.getPort())
                .setURI("/metrics"))
        .compose(request -> request.send())
        .compose(response -> response.body())
        .onSuccess(
            body -> {
              double heap = 0;
              double cpu = -1;
              for (String line : body.toString().split("\n")) {
                if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
                  heap += value(line);
                } else if (line.startsWith("process_cpu_usage ")
                    || line.startsWith("process_cpu_usage{")) {
                  cpu = value(line);
                }
              }
              var sample =
                  new Sample(System.currentTimeMillis() - startedMs, heap / 1_048_576, cpu);
              synchronized (series) {
                series.get(baseUrl).add(sample);
              }
            });
  }

  private static double value(String line) {
    try {
      return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /**
   * Per service: the samples, and the heap floor (lowest reading, i.e. after a collection) of the
   * first and of the last fifth of the run, which is how a leak shows under a steady load.
   */
  JsonObject toJson() {
    var json = new JsonObject();
    synchronized (series) {
      series.forEach(
          (url, samples) -> {
            var points = new JsonArray();
            samples.forEach(
                s ->
                    points.add(
                        new JsonArray()
                            .add(s.atMs() / 1000.0)
                            .add(Math.round(s.heapMiB() * 10) / 10.0)
                            .add(Math.round(s.cpuShare() * 1000) / 1000.0)));
            var service = new JsonObject().put("samples", points.size()).put("series", points);
            if (!samples.isEmpty()) {
              int fifth = Math.max(1, samples.size() / 5);
              service
                  .put("heapFloorFirstFifthMiB", round(floor(samples.subList(0, fifth))))
                  .put(
                      "heapFloorLastFifthMiB",
                      round(floor(samples.subList(samples.size() - fifth, samples.size()))))
                  .put(
                      "heapMaxMiB",
                      round(samples.stream().mapToDouble(Sample::heapMiB).max().orElse(0)))
                  .put(
                      "cpuShareAvg",
                      Math.round(
                              samples.stream()
                                      .mapToDouble(Sample::cpuShare)
                                      .filter(c -> c >= 0)
                                      .average()
                                      .orElse(0)
                                  * 1000)
                          / 1000.0);
            }
            json.put(url, service);
          });
    }
    return json;
  }

  private static double floor(List<Sample> samples) {
    return samples.stream().mapToDouble(Sample::heapMiB).min().orElse(0);
  }

  private static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }
}
