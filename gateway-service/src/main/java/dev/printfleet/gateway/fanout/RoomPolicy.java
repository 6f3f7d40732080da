package dev.printfleet.gateway.fanout;

import dev.printfleet.common.auth.Principal;
import dev.printfleet.common.auth.Role;

/**
 * Which rooms a dashboard may join (PROTOCOL.md §2.3). Room names are scoped to the caller's
 * company: {@code branch:b7} is branch b7 of the caller's company, so equal branch ids of two
 * companies never share a room. Only an admin may watch another company's room, and a token that
 * lists branches may join only those branches' rooms, never a company room.
 */
public final class RoomPolicy {

  /** The outcome of a join: the room's key within this gateway, or why not. */
  public sealed interface Decision {}

  public record Allowed(String key) implements Decision {}

  /**
   * @param forbidden true for a valid room the caller may not join; false for a malformed name
   */
  public record Refused(boolean forbidden, String reason) implements Decision {}

  private RoomPolicy() {}

  public static String companyRoom(String company) {
    return company + "|company";
  }

  public static String branchRoom(String company, String branch) {
    return company + "|branch:" + branch;
  }

  public static Decision join(Principal caller, String room) {
    if (room == null || room.isBlank() || room.length() > 200) {
      return new Refused(false, "a room is company:<id> or branch:<id>");
    }
    if (room.startsWith("company:") && room.length() > "company:".length()) {
      String company = room.substring("company:".length());
      // A token that lists branches sees those branches only; the company room carries all of them.
      if (!caller.branches().isEmpty()) {
        return new Refused(
            true, "your token lists branches; join their branch:<id> rooms, not " + room);
      }
      if (company.equals(caller.company()) || caller.role() == Role.ADMIN) {
        return new Allowed(companyRoom(company));
      }
      return new Refused(true, "not your company: " + room);
    }
    if (room.startsWith("branch:") && room.length() > "branch:".length()) {
      String branch = room.substring("branch:".length());
      if (caller.mayAccessBranch(caller.company(), branch)) {
        return new Allowed(branchRoom(caller.company(), branch));
      }
      return new Refused(true, "your token does not list branch " + branch);
    }
    return new Refused(false, "a room is company:<id> or branch:<id>, got " + room);
  }
}
