package dev.printfleet.printing.api;

import dev.printfleet.common.auth.AuthException;
import dev.printfleet.common.auth.Principal;
import dev.printfleet.common.auth.Role;
import dev.printfleet.common.auth.TokenVerifier;
import dev.printfleet.common.web.ApiAuth;
import dev.printfleet.common.web.Replies;
import dev.printfleet.printing.dispatch.Breakers;
import dev.printfleet.printing.dispatch.DispatchLoop;
import dev.printfleet.printing.dispatch.TestPrints;
import dev.printfleet.printing.jobs.Job;
import dev.printfleet.printing.jobs.JobCursor;
import dev.printfleet.printing.jobs.JobState;
import dev.printfleet.printing.jobs.JobStore;
import dev.printfleet.printing.jobs.QueuedPerCompany;
import dev.printfleet.printing.printers.PrinterStore;
import dev.printfleet.printing.printers.TestPrintLimit;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.pgclient.PgException;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The REST API of PROTOCOL.md §3 under {@code /api/v1}. */
public final class PrintingApi {

  private static final Logger log = LoggerFactory.getLogger(PrintingApi.class);
  static final int MAX_CONTENT_BYTES = 1024 * 1024;

  private final TokenVerifier tokens;
  private final JobStore jobs;
  private final PrinterStore printers;
  private final Breakers breakers;
  private final DispatchLoop loop;
  private final TestPrintLimit testLimit;
  private final TestPrints testPrints;
  private final QueuedPerCompany queued;

  public PrintingApi(
      TokenVerifier tokens,
      JobStore jobs,
      PrinterStore printers,
      Breakers breakers,
      DispatchLoop loop,
      TestPrintLimit testLimit,
      TestPrints testPrints,
      QueuedPerCompany queued) {
    this.tokens = tokens;
    this.jobs = jobs;
    this.printers = printers;
    this.breakers = breakers;
    this.loop = loop;
    this.testLimit = testLimit;
    this.testPrints = testPrints;
    this.queued = queued;
  }

  public void mount(Router router) {
    // The contract itself is public, like any API's documentation.
    router.get(OpenApiDocument.PATH).handler(OpenApiDocument::serve);
    // The token first: nothing of an unauthenticated request's body is read, parsed or stored.
    // Then the body, bounded, in memory only: no file uploads, so no uploads directory.
    router
        .route("/api/v1/*")
        .handler(
            ApiAuth.allowing(
                    tokens,
                    p -> p.role() != Role.AGENT && p.role() != Role.SERVICE,
                    "agents and services may not use the API")
                .holdingTheBody());
    router
        .route("/api/v1/*")
        .handler(BodyHandler.create(false).setBodyLimit(MAX_CONTENT_BYTES * 2L));
    router.route("/api/v1/*").handler(PrintingApi::refuseUnstorableText);
    router.post("/api/v1/jobs").handler(this::createJob);
    router.get("/api/v1/jobs").handler(this::listJobs);
    router.get("/api/v1/jobs/:id").handler(this::getJob);
    router.post("/api/v1/jobs/:id/cancel").handler(this::cancelJob);
    router.get("/api/v1/printers").handler(this::listPrinters);
    router.get("/api/v1/printers/:id").handler(this::getPrinter);
    router.post("/api/v1/printers/:id/test").handler(this::testPrinter);
    router
        .route("/api/v1/*")
        .handler(
            ctx ->
                ApiError.send(
                    ctx,
                    404,
                    "not_found",
                    "no route " + ctx.request().method() + " " + ctx.request().path(),
                    null));
    router.route("/api/v1/*").failureHandler(this::fail);
  }

  /**
   * PostgreSQL text cannot hold NUL, and a malformed query string cannot be read: both are the
   * caller's mistake (400 invalid_data), refused here for the path, every query parameter and the
   * Idempotency-Key header before any of them reaches a statement. Body fields are checked where
   * they are read ({@link #requireText}).
   */
  private static void refuseUnstorableText(RoutingContext ctx) {
    if (ctx.request().path().toLowerCase(Locale.ROOT).contains("%00")) {
      throw ApiError.invalid("path", "the path must not contain NUL characters");
    }
    MultiMap query;
    try {
      query = ctx.queryParams();
    } catch (IllegalArgumentException e) {
      throw ApiError.invalid("query", "the query string is malformed");
    }
    for (var parameter : query) {
      if (holdsNul(parameter.getKey()) || holdsNul(parameter.getValue())) {
        throw ApiError.invalid(
            parameter.getKey(), parameter.getKey() + " must not contain NUL characters");
      }
    }
    if (holdsNul(ctx.request().getHeader("Idempotency-Key"))) {
      throw ApiError.invalid(
          "Idempotency-Key", "the Idempotency-Key header must not contain NUL characters");
    }
    ctx.next();
  }

  private static boolean holdsNul(String text) {
    return text != null && text.indexOf(0) >= 0;
  }

  private static Principal principal(RoutingContext ctx) {
    return ApiAuth.principal(ctx);
  }

  private void createJob(RoutingContext ctx) {
    Principal caller = principal(ctx);
    JsonObject body;
    try {
      body = ctx.body().asJsonObject();
    } catch (RuntimeException e) {
      throw ApiError.invalid("body", "the body must be a JSON object");
    }
    if (body == null) {
      throw ApiError.invalid("body", "the body must be a JSON object");
    }
    String printerId = requireText(body, "printerId", 200);
    String contentType = requireText(body, "contentType", 100);
    String encoded = requireText(body, "content", Integer.MAX_VALUE);
    byte[] content;
    try {
      content = Base64.getDecoder().decode(encoded);
    } catch (IllegalArgumentException e) {
      throw ApiError.invalid("content", "content must be base64");
    }
    if (content.length > MAX_CONTENT_BYTES) {
      throw new ApiError(413, "too_large", "content is over 1 MiB decoded", "content");
    }
    Object copiesValue = body.getValue("copies", 1);
    if (!(copiesValue instanceof Integer copies) || copies < 1 || copies > 99) {
      throw ApiError.invalid("copies", "copies must be a whole number from 1 to 99");
    }
    String key = ctx.request().getHeader("Idempotency-Key");
    if (key != null && (key.isBlank() || key.length() > 200)) {
      throw ApiError.invalid(
          "Idempotency-Key", "the Idempotency-Key header must be 1 to 200 characters");
    }
    List<String> visible = caller.branches().isEmpty() ? null : List.copyOf(caller.branches());
    if (!queued.mayQueue(caller.company())) {
      // Retried after a few seconds: by then some of the backlog may have printed or expired. A
      // retry of a job accepted before is not a new one: it is answered 200 with that job, as
      // always.
      var full =
          ApiError.rateLimited(
              "the company has "
                  + queued.cap()
                  + " jobs queued already"
                  + " (PRINTFLEET_MAX_QUEUED_PER_COMPANY); try again once some have printed",
              5);
      if (key == null) {
        throw full;
      }
      jobs.findByKey(caller.company(), key, visible)
          .compose(
              existing ->
                  existing.map(Future::succeededFuture).orElseGet(() -> Future.failedFuture(full)))
          .onSuccess(job -> Replies.json(ctx, 200, job.toJson()))
          .onFailure(ctx::fail);
      return;
    }
    jobs.insert(
            caller.company(),
            visible,
            printerId,
            copies,
            contentType,
            content,
            key,
            loop.pushLease())
        .compose(
            inserted ->
                inserted
                    .map(Future::succeededFuture)
                    .orElseGet(
                        () ->
                            Future.failedFuture(
                                new ApiError(
                                    404, "not_found", "no printer " + printerId, "printerId"))))
        .onSuccess(
            inserted -> {
              if (inserted.created()) {
                queued.accepted(caller.company());
                loop.publish(Optional.of(inserted.job()));
                // Leased to this instance for its online agent: sent now. Otherwise the claim
                // loop's.
                inserted
                    .leased()
                    .ifPresentOrElse(job -> loop.dispatchAccepted(job, content), loop::nudge);
              }
              Replies.json(ctx, inserted.created() ? 201 : 200, inserted.job().toJson());
            })
        .onFailure(ctx::fail);
  }

  private Future<Job> visibleJob(RoutingContext ctx) {
    Principal caller = principal(ctx);
    UUID id;
    try {
      id = UUID.fromString(ctx.pathParam("id"));
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(ApiError.notFound("no job " + ctx.pathParam("id")));
    }
    return jobs.find(id)
        .compose(
            job ->
                job.filter(j -> caller.mayAccessBranch(j.company(), j.branch()))
                    .map(Future::succeededFuture)
                    .orElseGet(() -> Future.failedFuture(ApiError.notFound("no job " + id))));
  }

  private void listJobs(RoutingContext ctx) {
    Principal caller = principal(ctx);
    var query = ctx.queryParams();
    String branch = optionalText(query.get("branch"), "branch");
    if (branch != null && !caller.mayAccessBranch(caller.company(), branch)) {
      throw ApiError.forbidden("branch", "your token does not list branch " + branch);
    }
    JobState state =
        queryParam(
            query.get("state"),
            "state",
            JobState::fromWire,
            "state must be one of queued, dispatched, printed, failed, cancelled, expired");
    Integer limit = queryParam(query.get("limit"), "limit", Integer::valueOf, LIMIT_RULE);
    if (limit != null && (limit < 1 || limit > 500)) {
      throw ApiError.invalid("limit", LIMIT_RULE);
    }
    JobCursor after =
        queryParam(
            query.get("after"),
            "after",
            JobCursor::decode,
            "after must be the next cursor of an earlier page");
    List<String> visible = caller.branches().isEmpty() ? null : List.copyOf(caller.branches());
    var filter =
        new JobStore.Filter(
            caller.company(),
            optionalText(query.get("printerId"), "printerId"),
            branch,
            state,
            visible);
    jobs.list(filter, after, limit == null ? 50 : limit)
        .onSuccess(
            page -> {
              var items = new JsonArray();
              page.items().forEach(job -> items.add(job.toJson()));
              Replies.json(
                  ctx,
                  200,
                  new JsonObject()
                      .put("items", items)
                      .put("next", page.next().map(JobCursor::encode).orElse(null)));
            })
        .onFailure(ctx::fail);
  }

  private static final String LIMIT_RULE = "limit must be a whole number from 1 to 500";

  /**
   * An optional query parameter: null when absent, 400 invalid_data naming it when it does not
   * parse.
   */
  private static <T> T queryParam(
      String value, String field, java.util.function.Function<String, T> parse, String rule) {
    if (value == null) {
      return null;
    }
    try {
      return parse.apply(value);
    } catch (IllegalArgumentException e) {
      throw ApiError.invalid(field, rule);
    }
  }

  private static String optionalText(String value, String field) {
    if (value == null) {
      return null;
    }
    if (value.isBlank() || value.length() > 200) {
      throw ApiError.invalid(field, field + " must be 1 to 200 characters");
    }
    return value;
  }

  private void getJob(RoutingContext ctx) {
    visibleJob(ctx)
        .compose(job -> jobs.history(job.id()).map(job::toJson))
        .onSuccess(json -> Replies.json(ctx, 200, json))
        .onFailure(ctx::fail);
  }

  private void cancelJob(RoutingContext ctx) {
    visibleJob(ctx)
        .compose(
            job -> {
              if (!job.state().cancellable()) {
                return Future.failedFuture(
                    ApiError.conflict("the job is already " + job.state().wire()));
              }
              return jobs.cancel(job.id())
                  .compose(
                      cancelled ->
                          cancelled
                              .map(Future::succeededFuture)
                              .orElseGet(
                                  () ->
                                      Future.failedFuture(
                                          ApiError.conflict(
                                              "the job is on its way to its agent or printing there, or left the queue meanwhile"))));
            })
        .onSuccess(
            job -> {
              loop.publish(Optional.of(job));
              Replies.json(ctx, 200, job.toJson());
            })
        .onFailure(ctx::fail);
  }

  private void listPrinters(RoutingContext ctx) {
    Principal caller = principal(ctx);
    String branch = optionalText(ctx.queryParams().get("branch"), "branch");
    printers
        .list(caller.company(), branch)
        .map(
            list ->
                list.stream()
                    .filter(p -> caller.mayAccessBranch(caller.company(), p.branch()))
                    .toList())
        .onSuccess(
            list ->
                Replies.json(
                    ctx,
                    200,
                    new JsonObject()
                        .put(
                            "items",
                            PrinterStore.toJson(
                                list, id -> breakers.stateOf(caller.company(), id)))))
        .onFailure(ctx::fail);
  }

  private Future<PrinterStore.Printer> visiblePrinter(Principal caller, String id) {
    return printers
        .find(caller.company(), id)
        .compose(
            p ->
                p.filter(printer -> caller.mayAccessBranch(caller.company(), printer.branch()))
                    .map(Future::succeededFuture)
                    .orElseGet(() -> Future.failedFuture(ApiError.notFound("no printer " + id))));
  }

  private void getPrinter(RoutingContext ctx) {
    Principal caller = principal(ctx);
    String id = ctx.pathParam("id");
    visiblePrinter(caller, id)
        .onSuccess(p -> Replies.json(ctx, 200, p.toJson(breakers.stateOf(caller.company(), id))))
        .onFailure(ctx::fail);
  }

  private void testPrinter(RoutingContext ctx) {
    Principal caller = principal(ctx);
    String id = ctx.pathParam("id");
    visiblePrinter(caller, id)
        .compose(
            printer ->
                testLimit
                    .take(caller.company(), printer.branch(), id)
                    .compose(
                        decision ->
                            decision.allowed()
                                ? testPrints.run(caller.company(), printer)
                                : Future.failedFuture(
                                    ApiError.rateLimited(
                                        testLimit.describe(),
                                        decision.retryAfter().toSeconds() + 1))))
        .onSuccess(result -> Replies.json(ctx, 200, result))
        .onFailure(ctx::fail);
  }

  private static String requireText(JsonObject body, String field, int max) {
    if (!(body.getValue(field) instanceof String text) || text.isBlank()) {
      throw ApiError.invalid(field, field + " is required and must be a non-empty string");
    }
    if (text.length() > max) {
      throw ApiError.invalid(field, field + " is longer than " + max + " characters");
    }
    if (holdsNul(text)) {
      throw ApiError.invalid(field, field + " must not contain NUL characters");
    }
    return text;
  }

  private void fail(RoutingContext ctx) {
    Throwable e = ctx.failure();
    if (e instanceof ApiError error) {
      error.send(ctx);
    } else if (e instanceof AuthException auth) {
      ApiError.send(ctx, auth.httpStatus(), auth.code(), auth.getMessage(), null);
    } else if (ctx.statusCode() == 413) {
      ApiError.send(ctx, 413, "too_large", "the request body is too large", null);
    } else if (e instanceof PgException pg
        && pg.getSqlState() != null
        && pg.getSqlState().startsWith("22")) {
      // Class 22, data exception: a value the database cannot hold came from the request. The
      // checks above should have refused it; answer as they would, without a stack trace.
      log.warn(
          "Request refused by the database path={} sqlState={}",
          ctx.request().path(),
          pg.getSqlState());
      ApiError.send(ctx, 400, "invalid_data", "a value in the request cannot be stored", null);
    } else if (e instanceof PgException pg
        && !pg.getSqlState().startsWith("08")
        && !pg.getSqlState().startsWith("57")) {
      log.error("Database error on {} {}", ctx.request().method(), ctx.request().path(), e);
      ApiError.send(ctx, 500, "internal", "internal error", null);
    } else if (e != null) {
      // The database unreachable or restarting: nothing was written, the caller may retry.
      log.warn("Request failed, answering 503 path={}: {}", ctx.request().path(), e.toString());
      ctx.response().putHeader("Retry-After", "5");
      ApiError.send(ctx, 503, "unavailable", "the job store is unavailable, retry later", null);
    } else {
      ApiError.send(
          ctx,
          ctx.statusCode() == 404 ? 404 : 400,
          ctx.statusCode() == 404 ? "not_found" : "invalid_data",
          "bad request",
          null);
    }
  }
}
