#!/usr/bin/env python3
"""When the kernel's DAMON monitors ran, and whether the slow jobs fell in those moments.

  damon_trace.py record START_FILE STOP_FILE OUT [PERIOD_MS]
      Waits for START_FILE, then every PERIOD_MS (default 2, at least 1, at most 100) reads how long
      each kdamond thread has run (/proc/PID/schedstat, in ns) and writes a line "T_US RAN_US" to OUT
      whenever they have run since the last read (summed over the kdamond threads found at the
      start; nothing is written when there is none) (T_US on CLOCK_MONOTONIC, the clock of Java's
      System.nanoTime). Stops once STOP_FILE exists (without waiting for START_FILE any longer), or
      after six hours.
  damon_trace.py overlap OUT LATENCIES [SLOW_MS] [GAP_MS]
      Groups OUT's lines into rounds (reads less than GAP_MS apart, default 20: right for monitors
      that sample every 40 ms or less often; the summary says when rounds came closer) and reads
      LATENCIES (the load generator's --latencies-file: "POSTED_US ACCEPTED_US RECEIVED_US" per
      job, -1 when never received). Prints one JSON object: the rounds within the jobs' span
      (count, median interval, CPU and wall time), the jobs over SLOW_MS (default 25) from POST to
      agent, how many of them were under way while a round ran, and the share expected by chance
      (each such job, as long as it lasted, posted at any moment of the span); and the jobs that
      reached an agent by how long after the start of the round before them they were posted (50 ms
      steps, the last from 550 ms on, marked orLater; steps with no job left out), with the share
      of them over SLOW_MS in each step (slowShareBySinceRound; those posted before the first round
      recorded: jobsBeforeFirstRound).
  damon_trace.py probe SECONDS
      One process per core, pinned to it at real-time priority (SCHED_FIFO 1: root, or
      CAP_SYS_NICE), each sleeping 1 ms at a time for SECONDS (1..600): prints every wake-up later
      than 5 ms (the core, when on CLOCK_MONOTONIC in us, how late in ms), then a count per core.
      A process at that priority runs as soon as it wakes unless the kernel cannot switch to it:
      what it waits for is what no process on the machine could have avoided.

Reads only /proc; the recorder took about 4 % of a core at 2 ms here (0.73 s of CPU in 20 s), the
probe about 2 % of each core. A diagnostic, not a figure of the services (bench/dispatch.sh runs
the recorder with DISPATCH_DAMON_TRACE=1).
"""
import bisect
import json
import os
import statistics
import sys
import time

from proc_cpu import kdamond_pids, processes

# overlap's jobs by their time after a round's start: steps of 50 ms, the last from 550 ms on.
SINCE_ROUND_STEP_US = 50_000
SINCE_ROUND_STEPS = 12


def record(start_file, stop_file, out, period_ms):
    deadline = time.monotonic() + 6 * 3600
    while not os.path.exists(start_file):
        # The run ended before it was measured: nothing to record.
        if os.path.exists(stop_file) or time.monotonic() > deadline:
            return 1
        time.sleep(0.05)
    names = {}
    processes(names)
    # Each monitor's statistics file stays open and is read again in place: opening it at every read
    # cost most of the sampler's CPU.
    stats = []
    for pid in kdamond_pids(names):
        try:
            stats.append(os.open(f"/proc/{pid}/schedstat", os.O_RDONLY))
        except OSError:
            pass

    def ran_now(fd):
        try:
            return int(os.pread(fd, 64, 0).split()[0])
        except (OSError, ValueError, IndexError):
            return None

    last = [ran_now(fd) for fd in stats]
    reads = 0
    with open(out, "w") as f:
        # The stop file is looked for every 100 ms, not at every read.
        while stats and (reads % max(1, 100 // period_ms) or not os.path.exists(stop_file)):
            if time.monotonic() > deadline:
                break
            time.sleep(period_ms / 1000)
            reads += 1
            now_us = time.monotonic_ns() // 1000
            ran = 0
            for i, fd in enumerate(stats):
                value = ran_now(fd)
                if value is not None and last[i] is not None and value > last[i]:
                    ran += value - last[i]
                last[i] = value
            if ran:
                f.write(f"{now_us} {ran // 1000}\n")
    for fd in stats:
        os.close(fd)
    return 0


def rounds_of(samples, gap_us):
    rounds = []
    for t, ran in samples:
        if rounds and t - rounds[-1][1] < gap_us:
            rounds[-1][1] = t
            rounds[-1][2] += ran
        else:
            # A sample names the time of its read: the round began before it, by what it ran.
            rounds.append([t - ran, t, ran])
    return rounds


def rows_of(path, fields):
    """The file's lines of that many whole numbers; any other line (a cut-off last one) is skipped."""
    rows = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) != fields:
                continue
            try:
                rows.append(tuple(int(v) for v in parts))
            except ValueError:
                continue
    return rows


def overlap(out, latencies, slow_ms, gap_ms):
    jobs = [(posted, received) for posted, _, received in rows_of(latencies, 3) if received >= 0]
    summary = {"rounds": 0, "jobs": len(jobs), "slowMs": slow_ms, "slowJobs": None}
    if not jobs:
        print(json.dumps(summary))
        return 0
    # The jobs' span, from the first POST to the last arrival: rounds outside it are not counted.
    begin = min(posted for posted, _ in jobs)
    end = max(posted + received for posted, received in jobs)
    recorded = rounds_of(rows_of(out, 2), int(gap_ms * 1000))
    rounds = [r for r in recorded if r[1] >= begin and r[0] <= end]
    summary["rounds"] = len(rounds)
    if not rounds:
        print(json.dumps(summary))
        return 0
    starts = [r[0] for r in rounds]

    def during_round(first, last):
        i = bisect.bisect_right(starts, last)
        return i > 0 and rounds[i - 1][1] >= first

    def by_chance(lasting):
        """How likely a job lasting that long, posted at any moment of the span, meets a round: it
        does when posted between a round's start minus its duration and the round's end."""
        covered, current = 0, None
        for start, stop, _ in rounds:
            a, b = max(begin, start - lasting), min(end, stop)
            if b <= a:
                continue
            if current and a <= current[1]:
                current[1] = max(current[1], b)
            else:
                if current:
                    covered += current[1] - current[0]
                current = [a, b]
        if current:
            covered += current[1] - current[0]
        return covered / (end - begin) if end > begin else 0.0

    slow_us = int(slow_ms * 1000)
    slow = [j for j in jobs if j[1] > slow_us]
    slow_in = sum(1 for posted, lasting in slow if during_round(posted, posted + lasting))
    intervals = [b[0] - a[0] for a, b in zip(rounds, rounds[1:])]
    interval_ms = round(statistics.median(intervals) / 1000, 1) if intervals else None
    summary.update(
        {
            "roundIntervalMsMedian": interval_ms,
            "roundCpuMsMedian": round(statistics.median(r[2] for r in rounds) / 1000, 1),
            "roundWallMsMedian": round(statistics.median(r[1] - r[0] for r in rounds) / 1000, 1),
            "roundGapMs": gap_ms,
            "slowJobs": len(slow),
            "slowJobsDuringRound": slow_in,
            "slowShareDuringRound": round(slow_in / len(slow), 3) if slow else None,
            # Each slow job's own duration, posted anywhere in the span: the share expected with no
            # link between rounds and slow jobs.
            "shareDuringRoundByChance": round(
                statistics.fmean(by_chance(lasting) for _, lasting in slow), 3
            )
            if slow
            else None,
        }
    )
    # Every job by when it was posted after the start of the round before it, in 50 ms steps (the
    # last step holds the rest): how many, and the share of them over SLOW_MS. With no link
    # between rounds and slow jobs the shares would be alike. Every round recorded counts here, one
    # that ended before the first POST too; jobs posted before the first are counted apart.
    all_starts = [r[0] for r in recorded]
    steps, before_first = {}, 0
    for posted, lasting in jobs:
        i = bisect.bisect_right(all_starts, posted)
        if i == 0:
            before_first += 1
            continue
        step = min(int((posted - all_starts[i - 1]) // SINCE_ROUND_STEP_US), SINCE_ROUND_STEPS - 1)
        counts = steps.setdefault(step, [0, 0])
        counts[0] += 1
        counts[1] += lasting > slow_us
    summary["jobsBeforeFirstRound"] = before_first
    summary["slowShareBySinceRound"] = [
        {
            "sinceRoundMs": step * SINCE_ROUND_STEP_US // 1000,
            "orLater": step == SINCE_ROUND_STEPS - 1,
            "jobs": jobs_in,
            "slowShare": round(slow_in_step / jobs_in, 4),
        }
        for step, (jobs_in, slow_in_step) in sorted(steps.items())
    ]
    if interval_ms is not None and interval_ms < 2 * gap_ms:
        summary["note"] = (
            f"rounds closer than twice the {gap_ms:g} ms gap that separates them: several may count as one"
        )
    print(json.dumps(summary))
    return 0


def probe_core(core, seconds):
    try:
        os.sched_setaffinity(0, {core})
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
    except (OSError, PermissionError) as e:
        print(f"damon_trace.py probe: core {core}: cannot run at real-time priority there: {e}",
              file=sys.stderr)
        os._exit(1)
    end = time.monotonic_ns() + int(seconds * 1e9)
    wakeups = late = 0
    while True:
        before = time.monotonic_ns()
        if before > end:
            break
        time.sleep(0.001)
        lateness = time.monotonic_ns() - before - 1_000_000
        wakeups += 1
        if lateness > 5_000_000:
            late += 1
            print(f"core {core} at {before // 1000} us: {lateness / 1e6:.1f} ms late", flush=True)
    print(f"core {core}: {wakeups} wake-ups, {late} later than 5 ms", flush=True)
    os._exit(0)


def probe(seconds):
    children = []
    for core in sorted(os.sched_getaffinity(0)):
        pid = os.fork()
        if pid == 0:
            try:
                probe_core(core, seconds)
            finally:
                os._exit(1)
        children.append(pid)
    failed = 0
    for pid in children:
        _, status = os.waitpid(pid, 0)
        failed |= os.waitstatus_to_exitcode(status) != 0
    return 1 if failed else 0


def number(text, low, high, name):
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        print(f"damon_trace.py: {name} must be a number from {low:g} to {high:g}, got {text!r}", file=sys.stderr)
        raise SystemExit(2)
    return value


def main(argv):
    if argv and argv[0] == "record" and len(argv) in (4, 5):
        period = number(argv[4], 1, 100, "PERIOD_MS") if len(argv) == 5 else 2
        return record(argv[1], argv[2], argv[3], period)
    if argv and argv[0] == "probe" and len(argv) == 2:
        return probe(int(number(argv[1], 1, 600, "SECONDS")))
    if argv and argv[0] == "overlap" and len(argv) in (3, 4, 5):
        slow = number(argv[3], 1, 60_000, "SLOW_MS") if len(argv) > 3 else 25.0
        gap = number(argv[4], 1, 1_000, "GAP_MS") if len(argv) > 4 else 20.0
        return overlap(argv[1], argv[2], slow, gap)
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
