package dev.printfleet.printing;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.printfleet.printing.api.PrintingApi;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** PROTOCOL.md §3 against a hostile caller: forged tokens and cursors, NUL characters, uploads. */
class HostileInputTest extends PrintingTestBase {

  /**
   * Where Vert.x's BodyHandler writes uploads by default: file-uploads in the working directory.
   */
  private static final Path UPLOADS = Path.of("file-uploads");

  private final ListAppender<ILoggingEvent> apiLog = new ListAppender<>();

  @BeforeEach
  void watchTheApiLog() {
    apiLog.start();
    ((Logger) LoggerFactory.getLogger(PrintingApi.class)).addAppender(apiLog);
  }

  @AfterEach
  void stopWatching() {
    ((Logger) LoggerFactory.getLogger(PrintingApi.class)).detachAppender(apiLog);
  }

  private static String encoded(String raw) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  private void assertInvalid(HttpResponse<String> response, String what) {
    assertThat(response.statusCode()).as(what + ": " + response.body()).isEqualTo(400);
    assertThat(new JsonObject(response.body()).getJsonObject("error").getString("code"))
        .as(what)
        .isEqualTo("invalid_data");
  }

  private void assertNoStackTraceLogged() {
    assertThat(
            apiLog.list.stream()
                .filter(e -> e.getThrowableProxy() != null || e.getLevel() == Level.ERROR)
                .map(ILoggingEvent::getFormattedMessage)
                .toList())
        .isEmpty();
  }

  @Test
  void malformedBranchesClaimIsRefused401() {
    List<Object> malformed =
        List.of(
            "b1",
            7,
            new JsonArray(),
            new JsonArray().add("b1").add(" "),
            new JsonArray().add(1).add(2));
    for (Object branches : malformed) {
      var claims =
          new JsonObject()
              .put("sub", "bob")
              .put("role", "user")
              .put("company", "acme")
              .put("branches", branches);
      String token = issuer.sign(claims, Duration.ofHours(1));
      var response = get("/api/v1/jobs", token);
      assertThat(response.statusCode()).as("branches=%s", branches).isEqualTo(401);
      assertThat(new JsonObject(response.body()).getJsonObject("error").getString("code"))
          .isEqualTo("unauthorized");
    }
  }

  @Test
  void aForgedCursorAnswers400InvalidData() {
    String uuid = UUID.randomUUID().toString();
    List<String> forged =
        List.of(
            "!!!not-base64!!!",
            encoded("{\"createdAt\":"),
            encoded("{\"createdAt\":\"2026-01-01T00:00:00Z\",\"id\":\"" + uuid + "\"}"),
            encoded("1700000000.0:not-a-uuid"),
            encoded("x.y:" + uuid),
            encoded("1700000000.-1:" + uuid),
            encoded("31556889864403199.999999999:" + uuid),
            encoded("-31557014167219200.0:" + uuid),
            encoded("9000000000000.0:" + uuid),
            encoded("-9000000000000.0:" + uuid),
            encoded("1700000000.0:" + uuid + "x".repeat(1000)),
            "A".repeat(3000));
    for (String cursor : forged) {
      assertInvalid(get("/api/v1/jobs?after=" + cursor, userToken("acme")), "after=" + cursor);
    }
    assertNoStackTraceLogged();
  }

  @Test
  void nulCharactersInTextFieldsAnswer400InvalidData() {
    var agent = agent(gateway, "agent-nul", "b1");
    awaitPrinterKnown("agent-nul-p1");
    String token = userToken("acme");

    assertInvalid(post("/api/v1/jobs", token, job("agent-nul-p1\u0000"), null), "printerId");
    assertInvalid(
        post(
            "/api/v1/jobs",
            token,
            job("agent-nul-p1").put("contentType", "text/\u0000plain"),
            null),
        "contentType");
    assertInvalid(
        post("/api/v1/jobs", token, job("agent-nul-p1").put("printerId", "\u0000"), null),
        "printerId NUL only");
    assertInvalid(get("/api/v1/jobs?printerId=p%00", token), "printerId query");
    assertInvalid(get("/api/v1/jobs?branch=b1%00", token), "branch query");
    assertInvalid(get("/api/v1/printers?branch=b1%00", token), "printers branch query");
    assertInvalid(get("/api/v1/printers/agent-nul-p1%00", token), "printer id path");
    assertInvalid(
        post("/api/v1/printers/agent-nul-p1%00/test", token, null, null), "test printer id path");
    assertNoStackTraceLogged();
    assertThat(count("SELECT count(*) FROM jobs")).as("nothing stored").isZero();
    assertThat(agent.isConnected()).isTrue();
  }

  @Test
  void aMultipartUploadIsNotWrittenAnywhereWithOrWithoutAToken() throws Exception {
    Set<Path> before = filesUnder(UPLOADS);
    String boundary = "printfleet-" + UUID.randomUUID();
    byte[] file = "x".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
    String head =
        "--"
            + boundary
            + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"evil.bin\"\r\n"
            + "Content-Type: application/octet-stream\r\n\r\n";
    String tail = "\r\n--" + boundary + "--\r\n";
    byte[] body = new byte[head.length() + file.length + tail.length()];
    System.arraycopy(head.getBytes(StandardCharsets.US_ASCII), 0, body, 0, head.length());
    System.arraycopy(file, 0, body, head.length(), file.length);
    System.arraycopy(
        tail.getBytes(StandardCharsets.US_ASCII),
        0,
        body,
        head.length() + file.length,
        tail.length());

    for (String token : new String[] {null, userToken("acme")}) {
      var request =
          HttpRequest.newBuilder(
                  URI.create("http://127.0.0.1:" + printing.httpPort() + "/api/v1/jobs"))
              .header("Content-Type", "multipart/form-data; boundary=" + boundary)
              .POST(HttpRequest.BodyPublishers.ofByteArray(body));
      if (token != null) {
        request.header("Authorization", "Bearer " + token);
      }
      var response = send(request.build());
      assertThat(response.statusCode())
          .as("token=" + (token != null) + ": " + response.body())
          .isEqualTo(token == null ? 401 : 400);
    }

    assertThat(filesUnder(UPLOADS))
        .as("no upload written under " + UPLOADS.toAbsolutePath())
        .isEqualTo(before);
    assertThat(count("SELECT count(*) FROM jobs")).isZero();
  }

  @Test
  void aRefusedCallersBodyIsDroppedAndTheAnswerArrives() throws Exception {
    // Larger than the socket buffers: a server that neither reads the body nor closes leaves the
    // client blocked in its upload, never reading the 401. Java's client, like others, offers an
    // h2c upgrade on such a request; the answer must arrive all the same.
    byte[] body =
        new JsonObject()
            .put("printerId", "p1")
            .put("contentType", "text/plain")
            .put("content", "x".repeat(1536 * 1024))
            .encode()
            .getBytes(StandardCharsets.US_ASCII);
    for (String token : new String[] {null, "not-a-token"}) {
      var request =
          HttpRequest.newBuilder(
                  URI.create("http://127.0.0.1:" + printing.httpPort() + "/api/v1/jobs"))
              .timeout(java.time.Duration.ofSeconds(15))
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofByteArray(body));
      if (token != null) {
        request.header("Authorization", "Bearer " + token);
      }
      var response = send(request.build());
      assertThat(response.statusCode()).as("token=" + token).isEqualTo(401);
    }
    assertThat(count("SELECT count(*) FROM jobs")).isZero();
  }

  private static Set<Path> filesUnder(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return Set.of();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files.collect(java.util.stream.Collectors.toCollection(TreeSet::new));
    }
  }
}
