import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.ArrayList;
import java.util.List;

/**
 * Times GET requests to one URL with a Bearer token: a warm-up, then REQUESTS requests from
 * CONCURRENCY clients. Prints the latency percentiles and the throughput.
 * Usage: java bench/ClusterLoad.java URL TOKEN [REQUESTS] [CONCURRENCY]
 */
public class ClusterLoad {
  public static void main(String[] args) throws Exception {
    String url = args[0];
    String token = args[1];
    int requests = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
    int concurrency = args.length > 3 ? Integer.parseInt(args[3]) : 10;
    var client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    var request = HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token).GET().build();
    for (int i = 0; i < 200; i++) {
      check(client.send(request, HttpResponse.BodyHandlers.ofString()));
    }
    long[] nanos = new long[requests];
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    long started = System.nanoTime();
    List<Future<?>> futures = new ArrayList<>();
    for (int i = 0; i < requests; i++) {
      int n = i;
      futures.add(pool.submit(() -> {
        long t = System.nanoTime();
        check(client.send(request, HttpResponse.BodyHandlers.ofString()));
        nanos[n] = System.nanoTime() - t;
        return null;
      }));
    }
    for (var f : futures) {
      f.get();
    }
    long totalNanos = System.nanoTime() - started;
    pool.shutdown();
    Arrays.sort(nanos);
    double mean = Arrays.stream(nanos).average().orElse(0) / 1e6;
    System.out.printf("%d requests, %d concurrent, to %s%n", requests, concurrency, url);
    System.out.printf("total %.0f ms, %.0f requests/s%n", totalNanos / 1e6, requests / (totalNanos / 1e9));
    System.out.printf("latency ms: mean %.2f  p50 %.2f  p90 %.2f  p99 %.2f  max %.2f%n", mean, pct(nanos, 50),
        pct(nanos, 90), pct(nanos, 99), nanos[nanos.length - 1] / 1e6);
  }

  static double pct(long[] sorted, double p) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100 * sorted.length) - 1)] / 1e6;
  }

  static void check(HttpResponse<String> response) {
    if (response.statusCode() != 200) {
      throw new IllegalStateException("status " + response.statusCode() + ": " + response.body());
    }
  }
}
