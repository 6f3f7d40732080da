package dev.printfleet.common.web;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * The JSON answers of the services' HTTP endpoints: a body, or the contract's error body
 * (PROTOCOL.md §3: {@code {"error":{"code","message","field"?}}}). Never cached: an answer is the
 * caller's tenant's data at that moment.
 */
public final class Replies {

  private Replies() {}

  public static void json(RoutingContext ctx, int status, JsonObject body) {
    json(ctx.response(), status, body);
  }

  public static void json(HttpServerResponse response, int status, JsonObject body) {
    response
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store")
        .end(body.encode());
  }

  public static void error(RoutingContext ctx, int status, String code, String message) {
    error(ctx.response(), status, code, message, null);
  }

  /** {@code field}: the request field at fault, or null. */
  public static void error(
      RoutingContext ctx, int status, String code, String message, String field) {
    error(ctx.response(), status, code, message, field);
  }

  /** For a request answered before any router sees it (a refused WebSocket upgrade). */
  public static void error(
      HttpServerResponse response, int status, String code, String message, String field) {
    var error = new JsonObject().put("code", code).put("message", message);
    if (field != null) {
      error.put("field", field);
    }
    json(response, status, new JsonObject().put("error", error));
  }
}
