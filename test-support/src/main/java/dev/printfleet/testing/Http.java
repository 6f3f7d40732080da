package dev.printfleet.testing;

import dev.printfleet.common.lifecycle.ServiceRuntime;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A real HTTP client for the services of a test, on loopback: JSON in and out, a bearer token when
 * given, 30 s for an answer.
 */
public final class Http {

  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private Http() {}

  /** The client behind these helpers, for requests they do not cover (asynchronous ones). */
  public static HttpClient client() {
    return CLIENT;
  }

  /** A request to a path on the service on this loopback port, with the token when not null. */
  public static HttpRequest.Builder request(int port, String path, String token) {
    var request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(30));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return request;
  }

  /** Sends a request; an UncheckedIOException when it gets no answer. */
  public static HttpResponse<String> send(HttpRequest request) {
    try {
      return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(request.method() + " " + request.uri() + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UncheckedIOException(
          new InterruptedIOException(request.method() + " " + request.uri() + " interrupted"));
    }
  }

  public static HttpResponse<String> get(int port, String path, String token) {
    return send(request(port, path, token).GET().build());
  }

  public static HttpResponse<String> get(ServiceRuntime service, String path, String token) {
    return get(service.httpPort(), path, token);
  }

  /** The JSON body of a GET that must answer 200. */
  public static JsonObject getJson(int port, String path, String token) {
    var response = get(port, path, token);
    if (response.statusCode() != 200) {
      throw new AssertionError(
          "GET " + path + " answered " + response.statusCode() + ": " + response.body());
    }
    return new JsonObject(response.body());
  }

  public static JsonObject getJson(ServiceRuntime service, String path, String token) {
    return getJson(service.httpPort(), path, token);
  }

  /** A POST of a JSON body (an empty body when null). */
  public static HttpResponse<String> post(int port, String path, String token, JsonObject body) {
    return send(
        request(port, path, token)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body == null ? "" : body.encode()))
            .build());
  }

  public static HttpResponse<String> post(
      ServiceRuntime service, String path, String token, JsonObject body) {
    return post(service.httpPort(), path, token, body);
  }

  /** The status of a GET without a token, or -1 when nothing answers within 5 s. */
  public static int status(int port, String path) {
    try {
      return CLIENT
          .send(
              request(port, path, null).timeout(Duration.ofSeconds(5)).GET().build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }
}
