package dev.printfleet.printing.dispatch;

import dev.printfleet.common.presence.AgentKey;
import dev.printfleet.common.presence.PresenceRegistry;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where each agent is (agent → the gateway instance holding its socket), kept in this instance from
 * the agent events every gateway publishes, so a dispatch to a known agent costs no Redis round
 * trip and goes on while Redis stalls.
 *
 * <p>Redis's presence stays the reference: a miss reads it (and keeps what it finds), and {@link
 * #refresh} checks every kept route against it on a timer, so a route whose disconnect was never
 * heard (a gateway killed says nothing) does not outlive the agent's presence entry. A refresh that
 * Redis does not answer changes nothing. A gateway that says it does not hold the agent, or that
 * stopped its heartbeats, loses the route at once ({@link #notThere}).
 */
public final class AgentRoutes {

  private static final Logger log = LoggerFactory.getLogger(AgentRoutes.class);

  private final PresenceRegistry presence;
  private final Map<AgentKey, String> routes = new ConcurrentHashMap<>();

  public AgentRoutes(PresenceRegistry presence) {
    this.presence = presence;
  }

  /** The gateway holding the agent: kept, or else read from Redis (empty: connected nowhere). */
  public Future<Optional<String>> lookup(AgentKey agent) {
    String known = routes.get(agent);
    if (known != null) {
      return Future.succeededFuture(Optional.of(known));
    }
    // Kept only if no event said otherwise meanwhile: a connect heard during the read is newer.
    return presence
        .lookup(agent)
        .onSuccess(found -> found.ifPresent(instance -> routes.putIfAbsent(agent, instance)));
  }

  /** Whether a route to the agent is kept: a connect was heard (or a lookup found it) since. */
  public boolean known(AgentKey agent) {
    return routes.containsKey(agent);
  }

  /** A gateway said the agent connected to it. */
  public void connected(AgentKey agent, String instance) {
    routes.put(agent, instance);
  }

  /** A gateway said the agent left it; a route to another gateway (a newer connect) stays. */
  public void disconnected(AgentKey agent, String instance) {
    routes.remove(agent, instance);
  }

  /**
   * {@code instance} does not hold the agent (it said so, or it is gone): the next lookup asks
   * Redis.
   */
  public void notThere(AgentKey agent, String instance) {
    routes.remove(agent, instance);
  }

  /** How many routes are kept. */
  public int size() {
    return routes.size();
  }

  /**
   * Checks every kept route against Redis's presence: an agent connected nowhere is dropped, one
   * elsewhere is moved. A route that changed while Redis answered is left to its newer event.
   */
  public Future<Void> refresh() {
    List<AgentKey> agents = new ArrayList<>(routes.keySet());
    List<String> seen = new ArrayList<>(agents.size());
    agents.forEach(agent -> seen.add(routes.get(agent)));
    return presence
        .lookupAll(agents)
        .map(
            found -> {
              int dropped = 0;
              for (int i = 0; i < agents.size(); i++) {
                String was = seen.get(i);
                String now = found.get(i);
                if (was == null || was.equals(now)) {
                  continue;
                }
                if (now == null) {
                  routes.remove(agents.get(i), was);
                  dropped++;
                } else {
                  routes.replace(agents.get(i), was, now);
                }
              }
              if (dropped > 0) {
                log.debug("Agent routes refreshed routes={} dropped={}", routes.size(), dropped);
              }
              return null;
            });
  }
}
