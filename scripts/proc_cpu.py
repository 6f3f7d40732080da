#!/usr/bin/env python3
"""CPU time of processes and of the machine, read from /proc, for the bench scripts.

  proc_cpu.py pid-of PORT
      The pid listening on TCP port PORT; nothing when none.
  proc_cpu.py watch READY_FILE LOG OUT_DIR LOAD_PID_FILE MAX_SECONDS JVM_PID PID ...
      A measured run's CPU figures, from one process started before the run's warm-up: once
      READY_FILE exists it writes OUT_DIR/{jvm-cpu,cpu,machine,kdamond,load-cpu}-start, and once
      LOG has a line beginning "accepted " the same files ending in -end. Gives up, saying so,
      when the load generator (its pid in LOAD_PID_FILE) ends first, or after MAX_SECONDS. At the
      run's start it only reads /proc: a new interpreter (and the awk and grep the scripts ran
      before) took about 0.5 s of CPU there, in the measured run's first second. cpu-* counts the
      PIDs (the services' processes) with all their descendants.

Finding a port's process reads every process's open files (a JVM holding 1,000 sockets has
1,000): resolve ports before a measured run (pid-of), not at its start.
"""
import os
import sys
import time

TICKS = os.sysconf("SC_CLK_TCK")


def processes(names=None):
    """Every process's /proc/PID/stat fields after the command name, by pid; with names (a dict),
    also each process's command name in it."""
    procs = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    s = f.read()
                procs[int(d)] = s[s.rindex(")") + 2:].split()
                if names is not None:
                    names[int(d)] = s[s.index("(") + 1:s.rindex(")")]
            except OSError:
                pass
    return procs


def listener(port, procs):
    inodes = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                for line in f.readlines()[1:]:
                    fields = line.split()
                    if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                        inodes.add(f"socket:[{fields[9]}]")
        except OSError:
            pass
    for pid in procs:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                    return pid
        except OSError:
            pass
    return None


def tree_seconds(pids, procs):
    """CPU seconds (user + system, reaped children included) of the processes and all their
    descendants, and the pids counted: "SECONDS PID,PID,..."."""
    roots = {int(p) for p in pids if int(p) in procs}
    children = {}
    for pid, fields in procs.items():
        children.setdefault(int(fields[1]), []).append(pid)
    counted, todo = set(), list(roots)
    while todo:
        pid = todo.pop()
        if pid not in counted:
            counted.add(pid)
            todo.extend(children.get(pid, []))
    # utime, stime, cutime, cstime: fields 14 to 17 of stat, 11 to 14 after the command name.
    ticks = sum(sum(int(x) for x in procs[p][11:15]) for p in counted)
    return f"{ticks / TICKS:.2f} {','.join(str(p) for p in sorted(counted))}"


def own_ticks(pid):
    """utime + stime of one process in clock ticks, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read()
    except OSError:
        return None
    fields = fields[fields.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


def machine():
    """'busy total' in clock ticks of all cores (busy: user, nice, system, irq and softirq; total:
    those, idle, iowait and the hypervisor's steal), from /proc/stat."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu "):
                v = [int(x) for x in line.split()[1:]]
                busy = v[0] + v[1] + v[2] + v[5] + v[6]
                return f"{busy} {busy + v[3] + v[4] + v[7]}"
    return ""


def kdamond_pids(names):
    """The kernel's DAMON monitors (kdamond threads) among names (pid -> command name)."""
    return [pid for pid, name in names.items() if name.startswith("kdamond")]


def ran_ns(pid):
    """How long the process (or kernel thread) has run, in ns, from its scheduler statistics; None
    when it is gone."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def kdamond_seconds(names):
    """CPU seconds the kernel's DAMON monitors (among names: pid -> command name) have used since
    boot."""
    ns = sum(ran for ran in map(ran_ns, kdamond_pids(names)) if ran is not None)
    return f"{ns / 1e9:.2f}"


def write(path, text):
    if text is None:
        return
    with open(path + ".tmp", "w") as f:
        f.write(f"{text}\n")
    os.replace(path + ".tmp", path)


def summary_written(log):
    try:
        with open(log) as f:
            return any(line.startswith("accepted ") for line in f)
    except OSError:
        return False


def watch(ready, log, out, load_pid_file, max_seconds, jvm_pid, service_procs):
    deadline = time.monotonic() + max_seconds

    def load_pid():
        try:
            with open(load_pid_file) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def load_gone():
        pid = load_pid()
        if pid is None:
            return False
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
            return stat[stat.rindex(")") + 2] == "Z"  # ended, not yet reaped
        except OSError:
            return True

    def give_up(why):
        print(f"proc_cpu watch: no CPU figures for the measured run: {why}", file=sys.stderr)
        return 1

    def snapshot(suffix, load_ticks):
        write(f"{out}/jvm-cpu-{suffix}", own_ticks(jvm_pid))
        names = {}
        write(f"{out}/cpu-{suffix}", tree_seconds(service_procs, processes(names)))
        write(f"{out}/machine-{suffix}", machine())
        write(f"{out}/kdamond-{suffix}", kdamond_seconds(names))
        write(f"{out}/load-cpu-{suffix}", load_ticks)

    while not os.path.exists(ready):
        if load_gone():
            return give_up("the load generator ended before its measured run began")
        if time.monotonic() > deadline:
            return give_up(f"its measured run did not begin within {max_seconds:g} s")
        time.sleep(0.05)

    def load_ticks(last):
        # Read as it goes: the load generator may have exited by the time its summary is seen.
        now = own_ticks(pid) if pid else None
        return last if now is None else now

    pid = load_pid()
    snapshot("start", load_ticks(None))
    last = None
    while not summary_written(log):
        if load_gone() and not summary_written(log):
            return give_up("the load generator ended without its summary")
        if time.monotonic() > deadline:
            return give_up(f"no summary within {max_seconds:g} s")
        last = load_ticks(last)
        time.sleep(0.5)
    snapshot("end", load_ticks(last))
    return 0


def main(argv):
    if len(argv) == 2 and argv[0] == "pid-of":
        print(listener(int(argv[1]), processes()) or "")
        return 0
    if len(argv) >= 7 and argv[0] == "watch":
        ready, log, out, load_pid_file, max_seconds, jvm_pid = argv[1:7]
        return watch(ready, log, out, load_pid_file, float(max_seconds), int(jvm_pid), argv[7:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
