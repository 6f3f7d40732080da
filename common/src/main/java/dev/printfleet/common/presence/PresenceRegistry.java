package dev.printfleet.common.presence;

import dev.printfleet.common.config.RedisSettings;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Where each agent is connected: {@code presence:agent:<company>:<agentId> → instanceId} in Redis
 * (both parts percent-encoded, see {@link AgentKey#encoded()}), with a TTL this instance refreshes
 * while the agent stays. A dead instance's entries expire by themselves.
 */
public final class PresenceRegistry {

  /** Deletes the entry only if it still names this instance: a newer connection elsewhere wins. */
  private static final String DELETE_IF_OURS =
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

  /**
   * A refresh: the entry's TTL starts again when it is this instance's, and the entry is written
   * when it is missing (Redis lost it, or it expired); an entry naming another instance is left as
   * it is (the agent connected there since). Answers the value found: nil when it was missing.
   */
  private static final String REFRESH_IF_OURS_OR_MISSING =
      "local v = redis.call('GET', KEYS[1]) if v == false or v == ARGV[1] then"
          + " redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end return v";

  public static final int REFRESH_BATCH = 1000;

  private final Redis redis;
  private final RedisSettings settings;
  private final String instanceId;
  private final Duration ttl;

  public PresenceRegistry(Redis redis, RedisSettings settings, String instanceId, Duration ttl) {
    this.redis = redis;
    this.settings = settings;
    this.instanceId = instanceId;
    this.ttl = ttl;
  }

  public static String key(RedisSettings settings, AgentKey agent) {
    return settings.key("presence:agent:" + agent.encoded());
  }

  public Duration ttl() {
    return ttl;
  }

  public Future<Void> register(AgentKey agent) {
    return redis
        .send(
            Request.cmd(Command.SET)
                .arg(key(settings, agent))
                .arg(instanceId)
                .arg("PX")
                .arg(ttl.toMillis()))
        .mapEmpty();
  }

  public Future<Void> unregister(AgentKey agent) {
    return redis
        .send(
            Request.cmd(Command.EVAL)
                .arg(DELETE_IF_OURS)
                .arg(1)
                .arg(key(settings, agent))
                .arg(instanceId))
        .mapEmpty();
  }

  /**
   * Refreshes the TTL of every agent held here, in pipelined batches of {@link #REFRESH_BATCH} one
   * after the other, so a gateway with 20,000 agents never floods its Redis connection. The answer
   * is the agents whose entry was missing (Redis lost it, or it expired): their entry is back now,
   * and their queued jobs can find them again. An agent that connected to another instance
   * meanwhile keeps that instance's entry; one no longer {@code held} here when its batch goes out
   * is skipped, and one that left while its entry was being written again has it removed once more:
   * a refresh points an agent back at a gateway it left for one round trip at most.
   */
  public Future<List<AgentKey>> refresh(Collection<AgentKey> agents, Predicate<AgentKey> held) {
    List<AgentKey> ids = List.copyOf(agents);
    List<AgentKey> missing = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (int from = 0; from < ids.size(); from += REFRESH_BATCH) {
      List<AgentKey> listed = ids.subList(from, Math.min(ids.size(), from + REFRESH_BATCH));
      chain =
          chain.compose(
              v -> {
                List<AgentKey> chunk = listed.stream().filter(held).toList();
                if (chunk.isEmpty()) {
                  return Future.succeededFuture();
                }
                List<Request> batch = new ArrayList<>(chunk.size());
                for (AgentKey agent : chunk) {
                  batch.add(
                      Request.cmd(Command.EVAL)
                          .arg(REFRESH_IF_OURS_OR_MISSING)
                          .arg(1)
                          .arg(key(settings, agent))
                          .arg(instanceId)
                          .arg(ttl.toMillis()));
                }
                return redis
                    .batch(batch)
                    .compose(
                        replies -> {
                          List<Future<Void>> undone = new ArrayList<>();
                          for (int i = 0; i < replies.size(); i++) {
                            if (replies.get(i) != null) {
                              continue;
                            }
                            AgentKey agent = chunk.get(i);
                            if (held.test(agent)) {
                              missing.add(agent);
                            } else {
                              // It left while its entry was written again (its own removal ran
                              // first): removed again.
                              undone.add(unregister(agent));
                            }
                          }
                          return Future.join(undone).<Void>mapEmpty().otherwiseEmpty();
                        });
              });
    }
    return chain.map(v -> missing);
  }

  /** {@link #refresh(Collection, Predicate)} of agents all still held. */
  public Future<List<AgentKey>> refresh(Collection<AgentKey> agents) {
    return refresh(agents, agent -> true);
  }

  /**
   * Where each of {@code agents} is (null where it is connected nowhere), in the order given, read
   * in pipelined batches of {@link #REFRESH_BATCH} one after the other, as {@link #refresh} writes.
   */
  public Future<List<String>> lookupAll(List<AgentKey> agents) {
    List<String> found = new ArrayList<>(agents.size());
    Future<Void> chain = Future.succeededFuture();
    for (int from = 0; from < agents.size(); from += REFRESH_BATCH) {
      List<AgentKey> chunk = agents.subList(from, Math.min(agents.size(), from + REFRESH_BATCH));
      chain =
          chain.compose(
              v -> {
                List<Request> batch = new ArrayList<>(chunk.size());
                for (AgentKey agent : chunk) {
                  batch.add(Request.cmd(Command.GET).arg(key(settings, agent)));
                }
                return redis
                    .batch(batch)
                    .map(
                        replies -> {
                          replies.forEach(
                              reply -> found.add(reply == null ? null : reply.toString()));
                          return null;
                        });
              });
    }
    return chain.map(v -> found);
  }

  /** The instance holding the agent, if it is connected anywhere. */
  public Future<Optional<String>> lookup(AgentKey agent) {
    return redis
        .send(Request.cmd(Command.GET).arg(key(settings, agent)))
        .map(response -> Optional.ofNullable(response).map(Response::toString));
  }
}
