package dev.printfleet.printing.printers;

import dev.printfleet.common.config.RedisSettings;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.time.Duration;

/**
 * Test prints per printer and per branch, counted in Redis so the limit holds across every printing
 * instance. Both counters are checked and taken in one script: a test refused by the branch limit
 * does not use up the printer's allowance.
 */
public final class TestPrintLimit {

  /** KEYS: printer counter, branch counter. ARGV: printer limit, branch limit, window ms. */
  private static final String TAKE =
      "local p = tonumber(redis.call('GET', KEYS[1]) or '0')\n"
          + "local b = tonumber(redis.call('GET', KEYS[2]) or '0')\n"
          + "if p >= tonumber(ARGV[1]) then return {0, redis.call('PTTL', KEYS[1])} end\n"
          + "if b >= tonumber(ARGV[2]) then return {0, redis.call('PTTL', KEYS[2])} end\n"
          + "for i = 1, 2 do\n"
          + "  if redis.call('INCR', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[3]) end\n"
          + "end\n"
          + "return {1, 0}";

  /** Whether a test may run now; when not, how long until the fuller window ends. */
  public record Decision(boolean allowed, Duration retryAfter) {}

  private final Redis redis;
  private final RedisSettings settings;
  private final int perPrinter;
  private final int perBranch;
  private final Duration window;

  public TestPrintLimit(
      Redis redis, RedisSettings settings, int perPrinter, int perBranch, Duration window) {
    this.redis = redis;
    this.settings = settings;
    this.perPrinter = perPrinter;
    this.perBranch = perBranch;
    this.window = window;
  }

  public String describe() {
    return "too many test prints: at most "
        + perPrinter
        + " per printer and "
        + perBranch
        + " per branch every "
        + window.toSeconds()
        + " s";
  }

  public Future<Decision> take(String company, String branch, String printerId) {
    // One hash tag per company keeps both keys in one slot on a Redis Cluster.
    String tag = "{" + company + "}";
    return redis
        .send(
            Request.cmd(Command.EVAL)
                .arg(TAKE)
                .arg(2)
                .arg(settings.key("testprint:" + tag + ":printer:" + printerId))
                .arg(settings.key("testprint:" + tag + ":branch:" + branch))
                .arg(perPrinter)
                .arg(perBranch)
                .arg(window.toMillis()))
        .map(
            response -> {
              boolean allowed = response.get(0).toInteger() == 1;
              long ttlMs = Math.max(0, response.get(1).toLong());
              return new Decision(allowed, Duration.ofMillis(ttlMs));
            });
  }
}
