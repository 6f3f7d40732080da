package dev.printfleet.common.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class OnEventLoopTest {

  /** Captures its event loop in start and answers, from a request handler, how work ran there. */
  private static final class Probe extends AbstractVerticle {
    OnEventLoop eventLoop;
    Context verticleContext;
    int port;

    @Override
    public void start(Promise<Void> started) {
      eventLoop = OnEventLoop.current();
      verticleContext = context;
      vertx
          .createHttpServer()
          .requestHandler(
              request -> {
                boolean[] ranInline = {false};
                eventLoop.execute(() -> ranInline[0] = true);
                request
                    .response()
                    .end(
                        new JsonObject()
                            .put("sameContextObject", Vertx.currentContext() == verticleContext)
                            .put("isCurrent", eventLoop.isCurrent())
                            .put("ranInline", ranInline[0])
                            .encode());
              })
          .listen(0, "127.0.0.1")
          .onSuccess(server -> port = server.actualPort())
          .<Void>mapEmpty()
          .onComplete(started);
    }
  }

  @Test
  void aRequestHandlerOnTheLoopRunsWorkAtOnceThoughItsContextIsAnotherObject(
      Vertx vertx, VertxTestContext test) throws Exception {
    var probe = new Probe();
    vertx.deployVerticle(probe).onComplete(test.succeedingThenComplete());
    assertThat(test.awaitCompletion(10, TimeUnit.SECONDS)).isTrue();

    var answer =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + probe.port + "/")).build(),
                HttpResponse.BodyHandlers.ofString());
    var body = new JsonObject(answer.body());

    // Vert.x runs the handler on a duplicate of the verticle's context: comparing contexts would
    // have queued the work.
    assertThat(body.getBoolean("sameContextObject")).isFalse();
    assertThat(body.getBoolean("isCurrent")).isTrue();
    assertThat(body.getBoolean("ranInline")).isTrue();

    // Off the loop, the work is queued to it.
    var ranOn = new CompletableFuture<Boolean>();
    probe.eventLoop.execute(() -> ranOn.complete(probe.eventLoop.isCurrent()));
    assertThat(ranOn.get(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void offAnEventLoopThereIsNoneToCapture() {
    assertThatThrownBy(OnEventLoop::current).isInstanceOf(IllegalStateException.class);
  }
}
