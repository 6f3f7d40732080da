package dev.printfleet.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.config.CommonSettings;
import dev.printfleet.common.config.Settings;
import dev.printfleet.common.lifecycle.ServiceDefinition;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import io.vertx.core.Future;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/** The fixture itself: clusters of their own, per test, stopped after it. */
@ExtendWith(TestClusterExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TestClusterTest {

  private static final List<ServiceRuntime> startedByTheFirstTest = new CopyOnWriteArrayList<>();

  /** A service that answers its instance id on {@code echo.<instance id>}; its token checks too. */
  private static final class Echo implements ServiceDefinition<Void> {
    @Override
    public String name() {
      return "echo";
    }

    @Override
    public int defaultHttpPort() {
      return 0;
    }

    @Override
    public Void configure(Settings settings, CommonSettings common) {
      return null;
    }

    @Override
    public Future<Void> deploy(ServiceRuntime runtime, Void config) {
      runtime
          .vertx()
          .eventBus()
          .<String>consumer(
              "echo." + runtime.instanceId(),
              m ->
                  runtime
                      .tokens()
                      .verify(m.body())
                      .onSuccess(
                          principal -> m.reply(runtime.instanceId() + " " + principal.role()))
                      .onFailure(e -> m.fail(401, e.getMessage())));
      return runtime.serve(Router.router(runtime.vertx()), new HttpServerOptions()).mapEmpty();
    }
  }

  @Test
  @Order(1)
  void servicesOfOneClusterReachEachOtherAndTakeItsTokens(TestCluster cluster) {
    var first = cluster.start(new Echo(), Map.of("PRINTFLEET_INSTANCE_ID", "echo-1"));
    var second = cluster.start(new Echo());

    assertThat(Http.status(first.httpPort(), "/health/ready")).isEqualTo(200);
    String token = cluster.userToken("sam", Role.SRE, "acme");
    var reply = TestCluster.join(second.vertx().eventBus().<String>request("echo.echo-1", token));
    assertThat(reply.body()).isEqualTo("echo-1 SRE");
    assertThat(cluster.services()).containsExactly(first, second);
    startedByTheFirstTest.addAll(cluster.services());
  }

  @Test
  @Order(2)
  void eachTestHasAClusterOfItsOwnAndTheLastOneWasStopped(TestCluster cluster) {
    assertThat(startedByTheFirstTest)
        .hasSize(2)
        .allSatisfy(service -> assertThat(service.stopped().succeeded()).isTrue());
    assertThat(cluster.services()).isEmpty();

    var here = cluster.start(new Echo(), Map.of("PRINTFLEET_INSTANCE_ID", "echo-here"));
    try (var other = TestCluster.on(TestServers.redis())) {
      var there = other.start(new Echo());
      var request = there.vertx().eventBus().request("echo.echo-here", "x");
      assertThat(request.toCompletionStage().toCompletableFuture())
          .failsWithin(java.time.Duration.ofSeconds(10))
          .withThrowableOfType(java.util.concurrent.ExecutionException.class)
          .havingCause()
          .isInstanceOf(ReplyException.class);
    }
    assertThat(here.stopped().isComplete()).isFalse();
  }

  @Test
  @Order(3)
  void withDatabaseGivesADatabaseOfItsOwn(TestCluster cluster) {
    cluster.withDatabase();

    assertThat(cluster.setting("PGDATABASE")).startsWith("test_");
    assertThat(cluster.count("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"))
        .isZero();
    assertThat(cluster.jdbcUrl()).endsWith("/" + cluster.setting("PGDATABASE"));
  }
}
