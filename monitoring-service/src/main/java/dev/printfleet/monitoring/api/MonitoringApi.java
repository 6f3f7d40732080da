package dev.printfleet.monitoring.api;

import dev.printfleet.common.auth.Principal;
import dev.printfleet.common.auth.Role;
import dev.printfleet.common.auth.TokenVerifier;
import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.ControlCommand;
import dev.printfleet.common.web.ApiAuth;
import dev.printfleet.common.web.Replies;
import dev.printfleet.monitoring.Monitor;
import dev.printfleet.monitoring.cluster.ClusterStore;
import dev.printfleet.monitoring.fleet.PrinterList;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routes of PROTOCOL.md §5 under {@code /monitoring}, for roles {@code sre} and {@code admin}.
 */
public final class MonitoringApi {

  private static final Logger log = LoggerFactory.getLogger(MonitoringApi.class);
  private static final String RESET_PREFIX = "/monitoring/circuits/";
  private static final String RESET_SUFFIX = "/reset";

  private final Vertx vertx;
  private final TokenVerifier tokens;
  private final Monitor monitor;

  public MonitoringApi(Vertx vertx, TokenVerifier tokens, Monitor monitor) {
    this.vertx = vertx;
    this.tokens = tokens;
    this.monitor = monitor;
  }

  /** Whether a caller may use monitoring: SREs and admins only. */
  public static boolean mayMonitor(Principal principal) {
    return principal.role() == Role.SRE || principal.role() == Role.ADMIN;
  }

  public void mount(Router router) {
    // A path the router cannot decode (a malformed percent escape) fails before any route:
    // answer it with the contract's error body, not the router's plain text.
    router.errorHandler(
        400, ctx -> Replies.error(ctx, 400, "invalid_data", "the request path is malformed"));
    router
        .route("/monitoring/*")
        .handler(
            ApiAuth.allowing(
                tokens, MonitoringApi::mayMonitor, "monitoring needs role sre or admin"));
    router
        .get("/monitoring/cluster")
        .handler(ctx -> Replies.json(ctx, 200, monitor.cluster().toJson(monitor.now())));
    router.get("/monitoring/instances/:id").handler(this::instance);
    router
        .get("/monitoring/circuits")
        .handler(ctx -> Replies.json(ctx, 200, monitor.circuits().toJson(monitor.now())));
    router.postWithRegex("/monitoring/circuits/.+/reset").handler(this::resetCircuit);
    router.get("/monitoring/printers").handler(ctx -> Replies.json(ctx, 200, monitor.fleetJson()));
    router.get("/monitoring/fleet").handler(this::fleet);
    router.get("/monitoring/alerts").handler(ctx -> Replies.json(ctx, 200, monitor.alertsJson()));
    router.get("/monitoring/jobs").handler(ctx -> Replies.json(ctx, 200, monitor.jobsJson()));
  }

  /** A page of printers, worst first, filtered by the query ({@link PrinterList.Query}). */
  private void fleet(RoutingContext ctx) {
    PrinterList.Query query;
    try {
      query = PrinterList.Query.from(ctx.queryParams());
    } catch (IllegalArgumentException e) {
      String message = e.getMessage();
      Replies.error(ctx, 400, "invalid_data", message, message.substring(0, message.indexOf(':')));
      return;
    }
    Replies.json(ctx, 200, monitor.fleetPage(query));
  }

  private void instance(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    var now = monitor.now();
    monitor
        .cluster()
        .get(id)
        .ifPresentOrElse(
            record ->
                monitor
                    .clusterStore()
                    .history(id, now.minus(ClusterStore.HISTORY))
                    .otherwise(e -> new JsonArray())
                    .onSuccess(
                        history -> {
                          var beat = record.heartbeat();
                          var circuits = new JsonArray();
                          beat.circuits().forEach(c -> circuits.add(c.toJson()));
                          Replies.json(
                              ctx,
                              200,
                              monitor
                                  .cluster()
                                  .toJson(record, now)
                                  .put("heapUsedBytes", beat.heapUsedBytes())
                                  .put("heapMaxBytes", beat.heapMaxBytes())
                                  .put("circuitList", circuits)
                                  .put("history", history)
                                  .put("historyWindowS", ClusterStore.HISTORY.toSeconds()));
                        }),
            () -> Replies.error(ctx, 404, "not_found", "no instance " + id));
  }

  private void resetCircuit(RoutingContext ctx) {
    String path = ctx.request().path();
    String raw = path.substring(RESET_PREFIX.length(), path.length() - RESET_SUFFIX.length());
    String name = URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
    List<String> owners = monitor.circuits().owners(name, monitor.now());
    if (owners.isEmpty()) {
      Replies.error(ctx, 404, "not_found", "no circuit " + name);
      return;
    }
    var command = new ControlCommand(ControlCommand.CIRCUIT_RESET, name);
    for (String instance : owners) {
      vertx
          .eventBus()
          .<JsonObject>request(
              Addresses.control(instance),
              command.toJson(),
              new DeliveryOptions().setSendTimeout(Duration.ofSeconds(5).toMillis()))
          .onSuccess(reply -> log.info("Circuit reset circuit={} instance={}", name, instance))
          .onFailure(
              e ->
                  log.warn(
                      "Circuit reset failed circuit={} instance={}: {}",
                      name,
                      instance,
                      e.toString()));
    }
    Replies.json(
        ctx,
        202,
        new JsonObject().put("name", name).put("instances", new JsonArray(List.copyOf(owners))));
  }
}
