package dev.printfleet.common.presence;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * An agent's identity: its company and the agent id the company issued. Agent ids are unique only
 * within a company, so sessions, presence, dispatch and the fleet all key agents by both parts.
 */
public record AgentKey(String company, String agentId) {

  public AgentKey {
    Objects.requireNonNull(company, "company");
    Objects.requireNonNull(agentId, "agentId");
  }

  /**
   * Both parts percent-encoded and joined by {@code :}: encoding turns every {@code :} inside a
   * part into {@code %3A}, so no two keys give the same text (company {@code a:b} with agent {@code
   * c} and company {@code a} with agent {@code b:c} stay apart).
   */
  public String encoded() {
    return encode(company) + ":" + encode(agentId);
  }

  /** For logs and alert subjects, not for keys. */
  @Override
  public String toString() {
    return company + "/" + agentId;
  }

  private static String encode(String part) {
    return URLEncoder.encode(part, StandardCharsets.UTF_8);
  }
}
