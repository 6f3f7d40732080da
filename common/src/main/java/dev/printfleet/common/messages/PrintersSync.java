package dev.printfleet.common.messages;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/**
 * Sent on {@link Addresses#PRINTING_PRINTERS}: an agent's full printer list, already bounded and
 * checked by the gateway. The reply ({@code stored}: the number of printers) acknowledges it; when
 * the list names printers of another branch of the company, nothing is stored and the reply lists
 * them under {@link #OTHER_BRANCH}.
 */
public record PrintersSync(
    String agentId, String company, String branch, List<PrinterInfo> printers, Instant at) {

  public static final int VERSION = 1;

  /** The reply's field naming the listed printers that belong to another branch. */
  public static final String OTHER_BRANCH = "otherBranch";

  public JsonObject toJson() {
    var list = new JsonArray();
    printers.forEach(p -> list.add(p.toJson()));
    return new JsonObject()
        .put("v", VERSION)
        .put("agentId", agentId)
        .put("company", company)
        .put("branch", branch)
        .put("printers", list)
        .put("at", at.toEpochMilli());
  }

  public static PrintersSync fromJson(JsonObject json) {
    JsonArray list = json.getJsonArray("printers", new JsonArray());
    return new PrintersSync(
        Json.requireString(json, "agentId"),
        Json.requireString(json, "company"),
        Json.requireString(json, "branch"),
        list.stream().map(o -> PrinterInfo.fromJson((JsonObject) o)).toList(),
        Json.instant(json, "at"));
  }
}
