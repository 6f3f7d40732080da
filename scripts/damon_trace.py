#!/usr/bin/env python3
"""When the kernel's DAMON monitors ran, and whether the slow jobs fell in those moments.

  damon_trace.py record START_FILE STOP_FILE OUT [PERIOD_MS]
      Waits for START_FILE, then every PERIOD_MS (default 2, at least 1, at most 100) reads how long
      each kdamond thread has run (/proc/PID/schedstat, in ns) and writes a line "T_US RAN_US" to OUT
      whenever one has run since the last read (T_US on CLOCK_MONOTONIC, the clock of Java's
      System.nanoTime). Stops once STOP_FILE exists, or after six hours.
  damon_trace.py overlap OUT LATENCIES [SLOW_MS]
      Groups OUT's lines into rounds (runs less than 20 ms apart) and reads LATENCIES (the load
      generator's --latencies-file: "POSTED_US ACCEPTED_US RECEIVED_US" per job, -1 when never
      received). Prints one JSON object: the rounds (count, median interval, CPU and wall time),
      the jobs over SLOW_MS (default 25) from POST to agent, how many of them were under way while
      a round ran, and how many would be by chance (every job of the same window taken as if it had
      lasted SLOW_MS).
  damon_trace.py probe SECONDS
      One process per core, pinned to it at real-time priority (SCHED_FIFO 1: root, or
      CAP_SYS_NICE), each sleeping 1 ms at a time for SECONDS (1..600): prints every wake-up later
      than 5 ms (the core, when on CLOCK_MONOTONIC in us, how late in ms), then a count per core.
      A process at that priority runs as soon as it wakes unless the kernel cannot switch to it:
      what it waits for is what no process on the machine could have avoided.

Reads only /proc; the sampler costs about 1 % of a core at 2 ms. A diagnostic, not a figure of the
services (bench/dispatch.sh runs it with DISPATCH_DAMON_TRACE=1).
"""
import bisect
import json
import os
import statistics
import sys
import time


def kdamonds():
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().startswith("kdamond"):
                    pids.append(pid)
        except OSError:
            pass
    return pids


def ran_ns(pid):
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def record(start_file, stop_file, out, period_ms):
    deadline = time.monotonic() + 6 * 3600
    while not os.path.exists(start_file):
        if time.monotonic() > deadline:
            return 1
        time.sleep(0.05)
    pids = kdamonds()
    last = {pid: ran_ns(pid) for pid in pids}
    with open(out, "w") as f:
        while not os.path.exists(stop_file) and time.monotonic() < deadline:
            time.sleep(period_ms / 1000)
            now_us = time.monotonic_ns() // 1000
            ran = 0
            for pid in pids:
                value = ran_ns(pid)
                if value is not None and last[pid] is not None and value > last[pid]:
                    ran += value - last[pid]
                last[pid] = value
            if ran:
                f.write(f"{now_us} {ran // 1000}\n")
    return 0


def rounds_of(samples):
    rounds = []
    for t, ran in samples:
        if rounds and t - rounds[-1][1] < 20_000:
            rounds[-1][1] = t
            rounds[-1][2] += ran
        else:
            # A sample names the time of its read: the round began before it, by what it ran.
            rounds.append([t - ran, t, ran])
    return rounds


def overlap(out, latencies, slow_ms):
    samples = []
    with open(out) as f:
        for line in f:
            t, ran = line.split()
            samples.append((int(t), int(ran)))
    rounds = rounds_of(samples)
    jobs = []
    with open(latencies) as f:
        for line in f:
            posted, _, received = (int(v) for v in line.split())
            if received >= 0:
                jobs.append((posted, received))
    if not rounds or not jobs:
        print(json.dumps({"rounds": len(rounds), "jobs": len(jobs)}))
        return 0
    first, last = rounds[0][0], rounds[-1][1]
    window = [j for j in jobs if first <= j[0] <= last]
    slow_us = int(slow_ms * 1000)
    starts = [r[0] for r in rounds]

    def during_round(begin, end):
        i = bisect.bisect_right(starts, end)
        return i > 0 and rounds[i - 1][1] >= begin

    slow = [j for j in window if j[1] > slow_us]
    slow_in = sum(1 for posted, lat in slow if during_round(posted, posted + lat))
    chance = sum(1 for posted, _ in window if during_round(posted, posted + slow_us))
    intervals = [b[0] - a[0] for a, b in zip(rounds, rounds[1:])]
    print(
        json.dumps(
            {
                "rounds": len(rounds),
                "roundIntervalMsMedian": round(statistics.median(intervals) / 1000, 1)
                if intervals
                else None,
                "roundCpuMsMedian": round(statistics.median(r[2] for r in rounds) / 1000, 1),
                "roundWallMsMedian": round(statistics.median(r[1] - r[0] for r in rounds) / 1000, 1),
                "jobs": len(window),
                "slowMs": slow_ms,
                "slowJobs": len(slow),
                "slowJobsDuringRound": slow_in,
                "slowShareDuringRound": round(slow_in / len(slow), 3) if slow else None,
                "shareDuringRoundByChance": round(chance / len(window), 3) if window else None,
            }
        )
    )
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
            probe_core(core, seconds)
        children.append(pid)
    failed = 0
    for pid in children:
        _, status = os.waitpid(pid, 0)
        failed |= os.waitstatus_to_exitcode(status) != 0
    return 1 if failed else 0


def main(argv):
    if len(argv) >= 4 and argv[0] == "record":
        period = int(argv[4]) if len(argv) > 4 else 2
        if not 1 <= period <= 100:
            print("damon_trace.py: PERIOD_MS must be 1..100", file=sys.stderr)
            return 2
        return record(argv[1], argv[2], argv[3], period)
    if len(argv) == 2 and argv[0] == "probe":
        if not argv[1].isdigit() or not 1 <= int(argv[1]) <= 600:
            print("damon_trace.py: probe SECONDS must be 1..600", file=sys.stderr)
            return 2
        return probe(int(argv[1]))
    if len(argv) >= 3 and argv[0] == "overlap":
        slow = float(argv[3]) if len(argv) > 3 else 25.0
        return overlap(argv[1], argv[2], slow)
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
