#!/usr/bin/env python3
"""timed.py - run one command of bench/peers.sh under a time limit and measure it.

    python3 bench/peers/timed.py LIMIT_S [--stdin F] [--stdout F] [--stderr F] -- CMD ARG...

Prints one line, `WALL_S RC PEAK_RSS_MIB STATUS`: the wall-clock seconds from start to
exit, the exit code, the peak resident memory of the command and its descendants
(getrusage of the children: the largest one), and `ok`, `failed` (exit code not 0) or
`timeout` (still running after LIMIT_S seconds: its whole process group is killed).
Standard input, output and error may be redirected to files (default: /dev/null for
stdin, this process's stderr for the other two). Standard library only.
"""
import os
import resource
import signal
import subprocess
import sys
import time


def main():
    args = sys.argv[1:]
    if len(args) < 3 or "--" not in args:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    limit = float(args[0])
    opts = dict(zip(args[1:args.index("--"):2], args[2:args.index("--"):2]))
    cmd = args[args.index("--") + 1:]
    stdin = open(opts.get("--stdin", os.devnull), "rb")
    stdout = open(opts["--stdout"], "wb") if "--stdout" in opts else sys.stderr
    stderr = open(opts["--stderr"], "wb") if "--stderr" in opts else sys.stderr
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=stdin, stdout=stdout, stderr=stderr, start_new_session=True)
    status = "ok"
    try:
        rc = proc.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        rc = proc.wait()
        status = "timeout"
    wall = time.monotonic() - t0
    if status == "ok" and rc != 0:
        status = "failed"
    rss_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    print("%.3f %d %.0f %s" % (wall, rc, rss_mib, status))
    return 0


if __name__ == "__main__":
    sys.exit(main())
