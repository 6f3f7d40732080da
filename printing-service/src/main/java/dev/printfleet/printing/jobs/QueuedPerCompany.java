package dev.printfleet.printing.jobs;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At most {@code PRINTFLEET_MAX_QUEUED_PER_COMPANY} queued jobs per company, so one tenant's
 * backlog (an agent offline for a day, a printer that never answers) cannot grow without bound and
 * take the database from the others. Counting a company's queued jobs on every request would cost a
 * query each; instead the companies at half the cap or more are counted every {@link #REFRESH}, and
 * what this instance accepts meanwhile is added to their count. A company can go over the cap by
 * what the other printing instances accept within one refresh, no more; a job printed meanwhile
 * frees its place at the next count.
 *
 * <p>The count reads every queued job (the index of queued jobs, and their rows until a vacuum
 * marks them visible): with 100,000 jobs parked for an offline agent it took 16 ms once vacuumed
 * and 72 ms before, on this project's 2-core machine. Every 2 s that took PostgreSQL from the other
 * tenants' jobs for 1 to 4 % of the time, more than their p99 can absorb; so the next count waits
 * {@link #SLOWDOWN} times as long as the last one took, when that is longer than {@link #REFRESH},
 * and never more than {@link #MAX_REFRESH}.
 *
 * <p>The same pass counts all queued jobs for the queue-depth gauge ({@code
 * printfleet_jobs_current{state="queued"}}): read on its own every 5 s, that count was a second
 * pass over every queued job (with 100,000 parked, 819,667 index entries read in 40 s).
 */
public final class QueuedPerCompany {

  private static final Logger log = LoggerFactory.getLogger(QueuedPerCompany.class);
  static final Duration REFRESH = Duration.ofSeconds(2);

  /** Counts are at least this many times as far apart as they take. */
  static final int SLOWDOWN = 200;

  static final Duration MAX_REFRESH = Duration.ofSeconds(30);

  /**
   * The companies with at least {@code $1} queued jobs, and the row of all queued jobs ({@code
   * everyone}), in one pass over the index of queued jobs by printer.
   */
  static final String NEAR_THE_CAP =
      "SELECT company, count(*) AS queued, GROUPING(company) = 1 AS everyone FROM jobs"
          + " WHERE state = 'queued' GROUP BY ROLLUP (company)"
          + " HAVING count(*) >= $1 OR GROUPING(company) = 1";

  private final Pool pool;
  private final int cap;
  private final LongConsumer queuedNow;

  /**
   * Companies near the cap at the last count, with their queued jobs then, plus those accepted here
   * since (and any company that had jobs accepted here since, from zero).
   */
  private volatile Map<String, AtomicLong> near = new ConcurrentHashMap<>();

  /** The refresh timer and its Vert.x, once started. Guarded by this. */
  private Vertx vertx;

  private long timer = -1;
  private boolean stopped;

  /** {@code queuedNow} hears every company's queued jobs together after each count. */
  public QueuedPerCompany(Pool pool, int cap, LongConsumer queuedNow) {
    this.pool = pool;
    this.cap = cap;
    this.queuedNow = queuedNow;
  }

  public int cap() {
    return cap;
  }

  /** Counts again now, then every {@link #REFRESH} or more, on the calling verticle's context. */
  public synchronized void start(Vertx vertx) {
    this.vertx = vertx;
    countAndSchedule();
  }

  /** No more counts: the drain calls it before the pool closes. Any thread. */
  public synchronized void stop() {
    stopped = true;
    if (vertx != null) {
      vertx.cancelTimer(timer);
    }
  }

  private void countAndSchedule() {
    long began = System.nanoTime();
    refresh()
        .onComplete(done -> schedule(nextCountIn(Duration.ofNanos(System.nanoTime() - began))));
  }

  private synchronized void schedule(Duration in) {
    if (!stopped) {
      timer = vertx.setTimer(in.toMillis(), id -> countAndSchedule());
    }
  }

  /** How long after a count that took {@code took} the next one runs. */
  static Duration nextCountIn(Duration took) {
    Duration slowed = took.multipliedBy(SLOWDOWN);
    if (slowed.compareTo(REFRESH) <= 0) {
      return REFRESH;
    }
    return slowed.compareTo(MAX_REFRESH) < 0 ? slowed : MAX_REFRESH;
  }

  Future<Void> refresh() {
    return pool.preparedQuery(NEAR_THE_CAP)
        .execute(Tuple.of((long) cap / 2))
        .map(
            rows -> {
              Map<String, AtomicLong> counted = new ConcurrentHashMap<>();
              long all = 0;
              for (Row row : rows) {
                if (row.getBoolean("everyone")) {
                  all = row.getLong("queued");
                } else {
                  counted.put(row.getString("company"), new AtomicLong(row.getLong("queued")));
                }
              }
              near = counted;
              queuedNow.accept(all);
              return (Void) null;
            })
        .onFailure(
            e ->
                log.debug(
                    "Queued jobs per company not counted, the last count stays: {}", e.toString()));
  }

  /** Whether the company may queue one more job now. */
  public boolean mayQueue(String company) {
    AtomicLong queued = near.get(company);
    return queued == null || queued.get() < cap;
  }

  /**
   * A job of the company was accepted here: counted until the next count from the database (which
   * includes it) replaces the figure, so a burst within one refresh cannot pass the cap here.
   */
  public void accepted(String company) {
    near.computeIfAbsent(company, c -> new AtomicLong()).incrementAndGet();
  }
}
