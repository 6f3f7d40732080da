package dev.printfleet.monitoring.dashboard;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real headless Chromium driven over the Chrome DevTools Protocol: launched with a fresh profile
 * and {@code --remote-debugging-port=0}, its port read from {@code DevToolsActivePort}, one page
 * target driven over the JDK's WebSocket client. Nothing is downloaded.
 */
final class HeadlessChromium implements AutoCloseable {

  private static final List<String> CANDIDATES =
      List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome");

  private final Process process;
  private final Path profile;
  private final WebSocket socket;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<Integer, CompletableFuture<JsonObject>> pending = new ConcurrentHashMap<>();

  /** The browser binary: PRINTFLEET_CHROMIUM, else Debian's {@code chromium}. */
  static Optional<Path> find() {
    String configured = System.getenv("PRINTFLEET_CHROMIUM");
    if (configured != null && !configured.isBlank()) {
      return Optional.of(Path.of(configured)).filter(Files::isExecutable);
    }
    return CANDIDATES.stream().map(Path::of).filter(Files::isExecutable).findFirst();
  }

  HeadlessChromium(Path binary, int width, int height) throws Exception {
    profile = Files.createTempDirectory("printfleet-chromium-");
    var command =
        new ArrayList<>(
            List.of(
                binary.toString(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--hide-scrollbars",
                "--mute-audio",
                "--user-data-dir=" + profile,
                "--remote-debugging-port=0",
                "--remote-debugging-address=127.0.0.1",
                "--window-size=" + width + "," + height,
                "about:blank"));
    var builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(profile.resolve("chromium.log").toFile());
    builder.environment().put("HOME", profile.toString());
    process = builder.start();
    Path portFile = profile.resolve("DevToolsActivePort");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!Files.exists(portFile) || Files.readAllLines(portFile).isEmpty()) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "chromium did not open its DevTools port; its output: "
                + Files.readString(profile.resolve("chromium.log")));
      }
      Thread.sleep(50);
    }
    int port = Integer.parseInt(Files.readAllLines(portFile).get(0).trim());
    var http = HttpClient.newHttpClient();
    String list =
        http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    String pageUrl =
        new JsonArray(list)
            .stream()
                .map(JsonObject.class::cast)
                .filter(t -> "page".equals(t.getString("type")))
                .findFirst()
                .orElseThrow()
                .getString("webSocketDebuggerUrl");
    socket =
        http.newWebSocketBuilder()
            .buildAsync(URI.create(pageUrl), new Listener())
            .get(10, TimeUnit.SECONDS);
    call(
        "Emulation.setDeviceMetricsOverride",
        new JsonObject()
            .put("width", width)
            .put("height", height)
            .put("deviceScaleFactor", 1)
            .put("mobile", false));
  }

  private final class Listener implements WebSocket.Listener {
    private final StringBuilder text = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        var message = new JsonObject(text.toString());
        text.setLength(0);
        Integer id = message.getInteger("id");
        if (id != null) {
          var future = pending.remove(id);
          if (future != null) {
            future.complete(message);
          }
        }
      }
      webSocket.request(1);
      return null;
    }
  }

  JsonObject call(String method, JsonObject params) {
    int id = ids.incrementAndGet();
    var future = new CompletableFuture<JsonObject>();
    pending.put(id, future);
    socket.sendText(
        new JsonObject().put("id", id).put("method", method).put("params", params).encode(), true);
    try {
      JsonObject reply = future.get(30, TimeUnit.SECONDS);
      if (reply.containsKey("error")) {
        throw new IllegalStateException(method + " failed: " + reply.getJsonObject("error"));
      }
      return reply.getJsonObject("result");
    } catch (Exception e) {
      throw new IllegalStateException(method + " failed", e);
    }
  }

  void navigate(String url) {
    call("Page.navigate", new JsonObject().put("url", url));
  }

  /** The value of a JavaScript expression in the page; null when it throws or is undefined. */
  Object eval(String expression) {
    var result =
        call(
            "Runtime.evaluate",
            new JsonObject().put("expression", expression).put("returnByValue", true));
    if (result.containsKey("exceptionDetails")) {
      return null;
    }
    return result.getJsonObject("result").getValue("value");
  }

  String text(String selector) {
    Object value =
        eval(
            "(document.querySelector("
                + new JsonArray().add(selector).encode().replaceAll("^\\[|\\]$", "")
                + ") || {}).textContent");
    return value == null ? "" : value.toString();
  }

  void screenshot(Path file) throws IOException {
    var result = call("Page.captureScreenshot", new JsonObject().put("format", "png"));
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.write(file, Base64.getDecoder().decode(result.getString("data")));
  }

  @Override
  public void close() throws Exception {
    try {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "done");
    } catch (Exception ignored) {
      // the browser may be gone already
    }
    // Chromium's helpers (network service, renderers) outlive the browser process for a moment
    // and keep writing into the profile: stop them all before removing it.
    List<ProcessHandle> helpers = process.descendants().toList();
    process.destroy();
    helpers.forEach(ProcessHandle::destroy);
    if (!process.waitFor(5, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
    for (ProcessHandle helper : helpers) {
      try {
        helper.onExit().get(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        helper.destroyForcibly();
      }
    }
    for (int attempt = 0; attempt < 5 && Files.exists(profile); attempt++) {
      try (var files = Files.walk(profile)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException | java.io.UncheckedIOException e) {
        // a file vanished while walking: walk again
      }
    }
  }
}
