package dev.printfleet.common.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.auth.TokenIssuer;
import dev.printfleet.common.auth.TokenVerifier;
import dev.printfleet.common.config.JwtSettings;
import dev.printfleet.common.config.Settings;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The services' one auth handler and JSON replies, on a real HTTP server. */
@ExtendWith(VertxExtension.class)
class ApiAuthTest {

  private static final String SECRET = "printfleet-test-secret-0123456789abcdef";

  private final HttpClient http = HttpClient.newHttpClient();
  private final AtomicInteger bodiesRead = new AtomicInteger();
  private TokenIssuer issuer;
  private int port;

  @BeforeEach
  void serve(Vertx vertx, VertxTestContext test) {
    issuer = new TokenIssuer(vertx, SECRET);
    var tokens =
        new TokenVerifier(
            vertx, JwtSettings.from(new Settings(Map.of("PRINTFLEET_JWT_SECRET", SECRET))));
    var router = Router.router(vertx);
    router
        .route("/sre/*")
        .handler(ApiAuth.allowing(tokens, p -> p.role() == Role.SRE, "sre only").holdingTheBody());
    router.route("/sre/*").handler(BodyHandler.create(false));
    router
        .post("/sre/echo")
        .handler(
            ctx -> {
              bodiesRead.incrementAndGet();
              Replies.json(
                  ctx,
                  200,
                  new JsonObject()
                      .put("caller", ApiAuth.principal(ctx).subject())
                      .put("bytes", ctx.body().length()));
            });
    vertx
        .createHttpServer()
        .requestHandler(router)
        .listen(0, "127.0.0.1")
        .map(HttpServer::actualPort)
        .onComplete(
            test.succeeding(
                actual -> {
                  port = actual;
                  test.completeNow();
                }));
  }

  private HttpResponse<String> post(String token) throws Exception {
    var request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/sre/echo"))
            .timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.ofString("{\"a\":1}"));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonObject error(HttpResponse<String> response) {
    return new JsonObject(response.body()).getJsonObject("error");
  }

  @Test
  void noTokenIsRefused401WithTheContractsErrorBodyAndNothingRead() throws Exception {
    var response = post(null);

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(error(response).getString("code")).isEqualTo("unauthorized");
    assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(bodiesRead).hasValue(0);
  }

  @Test
  void aRoleTheEndpointDoesNotAllowIsRefused403WithItsReason() throws Exception {
    var response = post(issuer.user("u1", Role.USER, "c1", List.of(), Duration.ofHours(1)));

    assertThat(response.statusCode()).isEqualTo(403);
    assertThat(error(response).getString("code")).isEqualTo("forbidden");
    assertThat(error(response).getString("message")).isEqualTo("sre only");
    assertThat(bodiesRead).hasValue(0);
  }

  @Test
  void anAllowedCallerReachesTheRouteAsItsPrincipalWithItsBody() throws Exception {
    var response = post(issuer.user("sam", Role.SRE, "c1", List.of(), Duration.ofHours(1)));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(new JsonObject(response.body()).getMap())
        .containsEntry("caller", "sam")
        .containsEntry("bytes", 7);
  }
}
