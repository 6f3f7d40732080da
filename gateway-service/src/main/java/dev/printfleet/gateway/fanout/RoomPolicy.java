package dev.printfleet.gateway.fanout;

import dev.printfleet.common.auth.Principal;
import dev.printfleet.common.auth.Role;
import dev.printfleet.common.config.ConfigException;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which channels (rooms) a dashboard may join and a service may publish to (PROTOCOL.md §2.3, §6).
 * A channel is {@code <namespace>:<kind>:<id>} inside the caller's company: {@code
 * orders:branch:b7} is branch b7 of the caller's company, so equal ids of two companies never share
 * a channel. Which kinds each namespace has and which roles may join its channels is configuration
 * ({@code PRINTFLEET_CHANNEL_KINDS}, {@code PRINTFLEET_CHANNEL_ROLES}); {@code branch:<id>} and
 * {@code company:<id>} are the old names of {@code printing:branch:<id>} and {@code
 * printing:company:<id>}. Only an admin may join another company's {@code company} channel; a token
 * that lists branches may join only those branches' {@code branch} channels, never a channel that
 * spans branches.
 */
public final class RoomPolicy {

  public static final String PRINTING = "printing";
  public static final String BRANCH = "branch";
  public static final String COMPANY = "company";

  /** PROTOCOL.md §6's defaults: printing's own rooms, and the original's order and stock events. */
  public static final String DEFAULT_KINDS =
      "printing=branch,company;orders=branch,warehouse,zone,company;"
          + "availability=branch,warehouse,zone,company";

  public static final String DEFAULT_ROLES =
      "printing=user,sre,admin;orders=user,sre,admin;availability=user,sre,admin";

  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_-]{0,31}");

  /** An id: no separator of the channel name, no control character, at most 128 characters. */
  private static final Pattern ID = Pattern.compile("[^:|\\p{Cntrl}\\s]{1,128}");

  /** Declared after the patterns its parsing uses. */
  public static final RoomPolicy DEFAULT = parse(DEFAULT_KINDS, DEFAULT_ROLES);

  /** The outcome of a join: the channel's key within this gateway, or why not. */
  public sealed interface Decision {}

  /**
   * @param key the room of this gateway's hub
   * @param channel the channel's full name ({@code <namespace>:<kind>:<id>})
   */
  public record Allowed(String key, String channel) implements Decision {}

  /**
   * @param forbidden true for a valid channel the caller may not use; false for a malformed name
   */
  public record Refused(boolean forbidden, String reason) implements Decision {}

  /** A channel name read: its three parts, the old names already mapped. */
  public record Channel(String namespace, String kind, String id) {
    public String name() {
      return namespace + ":" + kind + ":" + id;
    }

    /** A full name this policy produced ({@link Allowed#channel}); null for anything else. */
    public static Channel of(String name) {
      String[] parts = name.split(":", -1);
      return parts.length == 3 ? new Channel(parts[0], parts[1], parts[2]) : null;
    }
  }

  private final Map<String, Set<String>> kinds;
  private final Map<String, Set<Role>> roles;

  private RoomPolicy(Map<String, Set<String>> kinds, Map<String, Set<Role>> roles) {
    this.kinds = kinds;
    this.roles = roles;
  }

  /**
   * The policy of two settings: {@code ns=kind,kind;ns=...} and {@code ns=role,role;...}. Every
   * namespace needs its roles; {@code printing} must keep {@code branch} and {@code company}.
   */
  public static RoomPolicy parse(String kindsSetting, String rolesSetting) {
    Map<String, Set<String>> kinds = new LinkedHashMap<>();
    readList(
        "PRINTFLEET_CHANNEL_KINDS",
        kindsSetting,
        (namespace, kind) -> {
          if (!NAME.matcher(kind).matches()) {
            throw new ConfigException(
                "PRINTFLEET_CHANNEL_KINDS", "a kind is lower case letters and digits, got " + kind);
          }
          kinds.computeIfAbsent(namespace, n -> new LinkedHashSet<>()).add(kind);
        });
    Map<String, Set<Role>> roles = new LinkedHashMap<>();
    readList(
        "PRINTFLEET_CHANNEL_ROLES",
        rolesSetting,
        (namespace, claim) -> {
          Role role =
              Role.fromClaim(claim)
                  .filter(r -> r == Role.USER || r == Role.SRE || r == Role.ADMIN)
                  .orElseThrow(
                      () ->
                          new ConfigException(
                              "PRINTFLEET_CHANNEL_ROLES",
                              "channels are joined by roles user, sre or admin, got " + claim));
          roles.computeIfAbsent(namespace, n -> EnumSet.noneOf(Role.class)).add(role);
        });
    Set<String> printing = kinds.get(PRINTING);
    if (printing == null || !printing.contains(BRANCH) || !printing.contains(COMPANY)) {
      throw new ConfigException(
          "PRINTFLEET_CHANNEL_KINDS", "printing needs its branch and company kinds");
    }
    for (String namespace : kinds.keySet()) {
      if (!roles.containsKey(namespace)) {
        throw new ConfigException(
            "PRINTFLEET_CHANNEL_ROLES", "no roles may join namespace " + namespace);
      }
    }
    return new RoomPolicy(Map.copyOf(kinds), Map.copyOf(roles));
  }

  private interface Entry {
    void accept(String namespace, String value);
  }

  private static void readList(String setting, String value, Entry entry) {
    for (String part : value.split(";")) {
      if (part.isBlank()) {
        continue;
      }
      int equals = part.indexOf('=');
      String namespace =
          equals < 0 ? "" : part.substring(0, equals).trim().toLowerCase(Locale.ROOT);
      // branch and company are the old room names' first part: a namespace of that name would
      // read as one of them.
      if (!NAME.matcher(namespace).matches()
          || namespace.equals(BRANCH)
          || namespace.equals(COMPANY)) {
        throw new ConfigException(
            setting,
            "expected namespace=a,b;namespace=c (a namespace is not branch or company), got "
                + part);
      }
      for (String item : part.substring(equals + 1).split(",")) {
        if (!item.isBlank()) {
          entry.accept(namespace, item.trim().toLowerCase(Locale.ROOT));
        }
      }
    }
  }

  /** The namespaces whose channels exist. */
  public Set<String> namespaces() {
    return kinds.keySet();
  }

  /** Whether channels of this namespace exist. */
  public boolean hasNamespace(String namespace) {
    return kinds.containsKey(namespace);
  }

  public static String companyRoom(String company) {
    return company + "|company";
  }

  public static String branchRoom(String company, String branch) {
    return company + "|branch:" + branch;
  }

  /** A channel name read, or null when it is none this gateway knows. */
  public Channel read(String name) {
    if (name == null || name.length() > 200) {
      return null;
    }
    String[] parts = name.split(":", -1);
    Channel channel;
    if (parts.length == 2 && (parts[0].equals(BRANCH) || parts[0].equals(COMPANY))) {
      channel = new Channel(PRINTING, parts[0], parts[1]);
    } else if (parts.length == 3) {
      channel = new Channel(parts[0], parts[1], parts[2]);
    } else {
      return null;
    }
    Set<String> known = kinds.get(channel.namespace());
    return known != null && known.contains(channel.kind()) && ID.matcher(channel.id()).matches()
        ? channel
        : null;
  }

  /**
   * The hub's room for a channel of {@code company}: printing's rooms keep their keys, so its own
   * events reach them as before.
   */
  public static String key(String company, Channel channel) {
    if (channel.kind().equals(COMPANY)) {
      return channel.namespace().equals(PRINTING)
          ? companyRoom(channel.id())
          : channel.id() + "|" + channel.namespace() + ":company";
    }
    if (channel.namespace().equals(PRINTING) && channel.kind().equals(BRANCH)) {
      return branchRoom(company, channel.id());
    }
    return company + "|" + channel.name();
  }

  /**
   * The company whose history holds a channel a caller of {@code company} names: its own, but for a
   * {@code company} channel, the one it names (an admin may watch another company's).
   */
  public static String owner(String company, Channel channel) {
    return channel.kind().equals(COMPANY) ? channel.id() : company;
  }

  public Decision join(Principal caller, String room) {
    Channel channel = read(room);
    if (channel == null) {
      return new Refused(false, malformed(room));
    }
    if (!roles.get(channel.namespace()).contains(caller.role())) {
      return new Refused(
          true,
          "role " + caller.role().claim() + " may not join " + channel.namespace() + " channels");
    }
    if (channel.kind().equals(BRANCH)) {
      return caller.mayAccessBranch(caller.company(), channel.id())
          ? new Allowed(key(caller.company(), channel), channel.name())
          : new Refused(true, "your token does not list branch " + channel.id());
    }
    // A token that lists branches sees those branches only; other kinds span branches.
    if (!caller.branches().isEmpty()) {
      return new Refused(
          true, "your token lists branches; join their branch channels, not " + room);
    }
    if (channel.kind().equals(COMPANY)
        && !channel.id().equals(caller.company())
        && caller.role() != Role.ADMIN) {
      return new Refused(true, "not your company: " + room);
    }
    return new Allowed(key(caller.company(), channel), channel.name());
  }

  /**
   * Where a service of {@code company} may publish: any channel of its company but printing's own
   * (printfleet writes those).
   */
  public Decision publish(String company, String name) {
    return ofCompany(company, name, false);
  }

  /** A channel of {@code company}, of any namespace or of all but printing's. */
  private Decision ofCompany(String company, String name, boolean printing) {
    Channel channel = read(name);
    if (channel == null) {
      return new Refused(false, malformed(name));
    }
    if (!printing && channel.namespace().equals(PRINTING)) {
      return new Refused(true, "printing channels carry printfleet's own events");
    }
    if (channel.kind().equals(COMPANY) && !channel.id().equals(company)) {
      return new Refused(true, "not your company: " + name);
    }
    return new Allowed(key(company, channel), channel.name());
  }

  /**
   * Whose presence a caller may read: a service's, any channel of its company (printing's too); a
   * dashboard user's, a channel it may join.
   */
  public Decision observe(Principal caller, String name) {
    return caller.role() == Role.SERVICE
        ? ofCompany(caller.company(), name, true)
        : join(caller, name);
  }

  private String malformed(String name) {
    var known = new StringBuilder();
    kinds.forEach(
        (namespace, list) -> known.append(' ').append(namespace).append(':').append(list));
    return "a channel is <namespace>:<kind>:<id> (or branch:<id>, company:<id>) with kinds"
        + known
        + "; got "
        + name;
  }
}
