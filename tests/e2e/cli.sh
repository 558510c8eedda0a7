#!/usr/bin/env bash
# cli.sh - the command line contract (STYLE.md "The command line", SPEC sections 4 and 6):
# usage errors, help, exit codes, atomic outputs, output format and the run manifest.
#
# usage: tests/e2e/cli.sh BIN
#
# Checks:
#   usage      bad options exit 1 with "ofi: error: ..." and "try 'ofi --help'" on
#              stderr, nothing on stdout, no output directory created
#   help       ofi --help / help / run --help / gen --help exit 0 on stdout, stderr empty;
#              ofi version
#   quiet      a successful run prints nothing on stdout; --quiet nothing on stderr
#   source     a missing source directory exits 2
#   unwritable --out under a regular file, or a regular file, exits 4
#   atomic     a failed run (missing table: exit 2; bad weights: exit 1; an output that
#              cannot be written, or a write failing mid-file: exit 4, with different
#              data) leaves the previous outputs byte-identical and no *.tmp file behind
#   lock       while a run holds out/.ofi-run.lock (blocked reading a FIFO), a second run
#              into out/ exits 4 naming the holder's pid while ofi variants (other files)
#              goes on; a run exits 4 while another program holds the lock; a stale lock
#              file (no holder) does not stop a run; a file system refusing locks (an
#              LD_PRELOAD shim: flock fails with ENOLCK) runs unlocked with a warning
#   signal     SIGTERM / SIGHUP / SIGBUS (sent) during a run: exit 128+N, "ofi: stopped by signal N;
#              temporary files removed", no *.tmp and no lock file left, outputs untouched;
#              SIGTERM during the final renames (slowed by OFI_TEST_COMMIT_PAUSE_MS): the
#              renames end first, the outputs are all the new run's, the message says so;
#              SIGTERM during `ofi gen`: exit 143, the dataset in its directory untouched
#   sigbus     an input cut short while the run reads it through its mapping: exit 2,
#              the message names the file, nothing replaced, nothing left behind
#   format     every output ends with "\n", holds no "\r" and no BOM
#   crlf       the same tables with a BOM and CRLF line ends give byte-identical outputs
#   manifest   reports/run_manifest.json is JSON and lists every other output with its
#              size (as stat says) and its xxh64 (python3's xxhash module when present,
#              else a pure-Python XXH64 checked against the reference test vectors)
# Prints one line per check and "cli: N passed, M failed"; exits 1 on failure.
# Needs bash, coreutils, diff, python3 (standard library).

if [ -z "$1" ] || [ ! -x "$1" ]; then
    echo "usage: $0 BIN" >&2
    exit 2
fi
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
export LC_ALL=C
PYTHON=${PYTHON:-python3}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ofi-cli.XXXXXX") || exit 2
trap '[ "$BASHPID" != $$ ] || rm -rf "$tmp"' EXIT # main shell only (see e2e_lib.sh)
cd "$tmp" || exit 2

passed=0
failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; shift; printf '%s\n' "$@" | sed 's/^/  /'; failed=$((failed + 1)); }

# ofi ARGS...: run the binary, leaving $rc, and stdout/stderr in files so and se.
ofi() {
    "$BIN" "$@" > so 2> se
    rc=$?
}
shown() { printf '%s' "$(head -c 400 "$1" | tr '\n' '|')"; }
# wait_bounded PID: wait for the background ofi PID, bounded: one that does not end is
# killed after 20 s (and fails its check). Sets rc to its status. stop_and_wait SIG PID
# sends it SIG first. It polls: a watchdog subshell `(sleep 20; kill -9 PID) &`, killed
# as soon as PID ends, could be killed before it had reset the traps it inherited, and
# bash then went on running this script in that copy too, beside this one (a flaky
# failure of everything after, about one run in four on a busy machine).
wait_bounded() {
    local i state
    for ((i = 0; i < 400; i++)); do
        state=$(awk '{ print $3 }' "/proc/$1/stat" 2> /dev/null)
        [ -z "$state" ] || [ "$state" = Z ] && break # gone, or ended and not yet reaped
        sleep 0.05
    done
    [ "$state" = Z ] || [ -z "$state" ] || kill -9 "$1" 2> /dev/null
    wait "$1" 2> /dev/null
    rc=$?
}
stop_and_wait() {
    kill -"$1" "$2"
    wait_bounded "$2"
}
# An AddressSanitizer build takes SIGBUS over and must come first among preloads: the
# checks of SIGBUS and of an LD_PRELOAD shim are for plain builds. (gcc links libasan,
# clang links it in: look for its symbol.)
asan=0
grep -qa __asan_init "$BIN" && asan=1

# A small dirty dataset and a different one (the atomicity checks must see a change).
"$BIN" gen --cases 400 --seed 11 --dirty 0.05 --out data --quiet || { echo "cli: gen failed"; exit 1; }
"$BIN" gen --cases 300 --seed 12 --dirty 0.05 --out data2 --quiet || { echo "cli: gen failed"; exit 1; }

# --- usage errors -------------------------------------------------------------------------
usage_cases=(
    "run --source csv:data --out uo --bogus"
    "run --source csv:data --out uo --threads x"
    "run --source csv:data --out uo --threads 0"
    "run --source csv:data --out uo --threads 2000"
    "run --source bogus --out uo"
    "run --source csv: --out uo"
    "run --source csv:data --out uo --chunk-rows 0"
    "run --source csv:data --out uo --top x"
    "run --source csv:data --out uo --top -1"
    "bogus"
    "gen --cases x --out uo"
    "gen --out uo"
    "gen --cases 10 --dirty 2 --out uo"
    "gen --cases 10 --out uo --frobnicate"
    "gen --cases 18446744073709552k --out uo"
    "gen --cases k --out uo"
    "run --source csv:data --out uo --threads= 2"
    "variants --source csv:data --out uo --strict"
    "variants --source csv:data --out uo --variant=x"
    "sensitivity --source csv:data --out uo --samples 2 --spread 0.1 --seed 1 --no-extract"
    "extract --out uo --top 3"
    "extract --out uo --weights w.ini"
)
for u in "${usage_cases[@]}"; do
    read -r -a argv <<< "$u"
    rm -rf uo
    ofi "${argv[@]}"
    problems=()
    [ $rc -eq 1 ] || problems+=("exit $rc, expected 1")
    grep -q "^ofi: error: " se || problems+=("stderr lacks 'ofi: error: ': $(shown se)")
    grep -qE "^try 'ofi ([a-z]+ )?--help'\$" se || problems+=("stderr lacks \"try 'ofi [COMMAND] --help'\": $(shown se)")
    [ -s so ] && problems+=("stdout not empty: $(shown so)")
    [ -e uo ] && problems+=("created the output directory")
    if [ ${#problems[@]} -eq 0 ]; then pass "usage: ofi $u"; else fail "usage: ofi $u" "${problems[@]}"; fi
done

# --- a settings file read as python-dotenv reads it ------------------------------------------
# No server on port 1: the connection error names the user and database as decoded.
cat > dotenv.env << 'EOF'
MYSQL_HOST=127.0.0.1
MYSQL_PORT=1
MYSQL_USER="u\"s\\er"   # a comment
MYSQL_DATABASE='d\'b'#c
MYSQL_PASSWORD="x"junk
EOF
chmod 600 dotenv.env
ofi run --source mysql --env dotenv.env --out dq_out
problems=()
[ $rc -eq 2 ] || problems+=("exit $rc, expected 2")
grep -qF 'mysql://u"s\er@127.0.0.1:1/d'"'"'b: cannot connect' se || problems+=("user/database not decoded: $(shown se)")
grep -qF 'dotenv.env:5: MYSQL_PASSWORD: a quoted value must close' se || problems+=("no warning for line 5: $(shown se)")
grep -q 'junk' se && problems+=("the refused value was printed: $(shown se)")
if [ ${#problems[@]} -eq 0 ]; then pass "settings file: dotenv quotes, escapes, comments"; else fail "settings file: dotenv quotes, escapes, comments" "${problems[@]}"; fi

# A settings file that exists but cannot be read (a directory here; EIO would do the
# same) stops the command, as the --env file and as ./.env: it may hold the password.
mkdir -p envdir cwd_env/.env
ofi extract --env envdir --out dq_out
[ $rc -eq 1 ] && grep -qx "ofi: error: envdir: cannot read: Is a directory" se
ok=$?
(cd cwd_env && "$BIN" extract --out dq_out > ../so 2> ../se)
rc=$?
if [ $ok -eq 0 ] && [ $rc -eq 1 ] && grep -qx "ofi: error: .env: cannot read: Is a directory" se; then
    pass "settings file: one that cannot be read is an error (exit 1), --env and ./.env"
else
    fail "settings file: one that cannot be read is an error (exit 1), --env and ./.env" "exit $rc, stderr $(shown se)"
fi

# --- help and version ---------------------------------------------------------------------
help_cases=("--help:usage: ofi " "help:usage: ofi " "run --help:usage: ofi run" "gen --help:usage: ofi gen"
            "extract --help:usage: ofi extract" "variants --help:usage: ofi variants"
            "sensitivity --help:usage: ofi sensitivity" "load --help:usage: ofi load")
for h in "${help_cases[@]}"; do
    read -r -a argv <<< "${h%%:*}"
    want=${h#*:}
    ofi "${argv[@]}"
    problems=()
    [ $rc -eq 0 ] || problems+=("exit $rc, expected 0")
    [ "$(head -c ${#want} so)" = "$want" ] || problems+=("stdout does not start with '$want': $(shown so)")
    [ "${argv[0]}" = gen ] || grep -q "exit codes" so || problems+=("help does not document the exit codes")
    [ -s se ] && problems+=("stderr not empty: $(shown se)")
    if [ ${#problems[@]} -eq 0 ]; then pass "help: ofi ${h%%:*}"; else fail "help: ofi ${h%%:*}" "${problems[@]}"; fi
done
ofi version
if [ $rc -eq 0 ] && grep -qE '^ofi [0-9]+\.[0-9]+\.[0-9]+' so; then
    pass "version: $(head -1 so)"
else
    fail "version" "exit $rc, stdout $(shown so)"
fi

# --- stdout/stderr of a successful run ----------------------------------------------------
ofi run --source csv:data --out q1
if [ $rc -eq 0 ] && [ ! -s so ] && grep -q "^ofi: " se; then
    pass "quiet: a run prints nothing on stdout, its summary on stderr"
else
    fail "quiet: a run prints nothing on stdout, its summary on stderr" "exit $rc, stdout $(shown so), stderr $(shown se)"
fi
ofi run --source csv:data --out q2 --quiet
if [ $rc -eq 0 ] && [ ! -s so ] && [ ! -s se ]; then
    pass "quiet: --quiet prints nothing"
else
    fail "quiet: --quiet prints nothing" "exit $rc, stdout $(shown so), stderr $(shown se)"
fi

# --- unreadable source --------------------------------------------------------------------
ofi run --source csv:no_such_dir --out sx --quiet
if [ $rc -eq 2 ] && grep -q "^ofi: error: .*no_such_dir" se && [ -z "$(find sx -type f 2> /dev/null)" ]; then
    pass "source: a missing source directory exits 2 and writes nothing"
else
    fail "source: a missing source directory exits 2 and writes nothing" "exit $rc, stderr $(shown se)"
fi

# --- unwritable --out ---------------------------------------------------------------------
: > regular_file
for o in regular_file/out regular_file; do
    ofi run --source csv:data --out "$o" --quiet
    if [ $rc -eq 4 ] && grep -q "^ofi: error: .*regular_file" se && [ -f regular_file ] && [ ! -s regular_file ]; then
        pass "unwritable: --out $o exits 4"
    else
        fail "unwritable: --out $o exits 4" "exit $rc, stderr $(shown se)"
    fi
done

# --- a failed run replaces nothing --------------------------------------------------------
# snapshot_check NAME WANT_RC: after the failed run in $rc, out/ must equal snap/.
snapshot_check() {
    local name=$1 want=$2 problems=()
    [ $rc -eq "$want" ] || problems+=("exit $rc, expected $want; stderr $(shown se)")
    if ! diff -r snap out > diff.txt 2>&1; then
        problems+=("previous outputs changed:" "$(head -10 diff.txt)")
    fi
    local tmps
    tmps=$(find out -name '*.tmp' -o -name '*.tmp.*')
    [ -n "$tmps" ] && problems+=("temporary files left: $(echo "$tmps" | tr '\n' ' ')")
    if [ ${#problems[@]} -eq 0 ]; then pass "atomic: $name"; else fail "atomic: $name" "${problems[@]}"; fi
}
fresh_outputs() {
    rm -rf out snap
    "$BIN" run --source csv:data --out out --quiet || { fail "atomic: first run" "exit $?"; return 1; }
}

if fresh_outputs; then
    mkdir -p nofile && cp data/*.csv nofile/ && cp data2/cases.csv nofile/ && rm nofile/refunds.csv
    cp -a out snap
    ofi run --source csv:nofile --out out --quiet
    snapshot_check "missing refunds.csv (exit 2) leaves the previous outputs untouched" 2
    grep -q "refunds.csv" se || fail "atomic: the missing-file message names refunds.csv" "stderr $(shown se)"

    printf '[variant a]\nescalation = 3\nbogus_key = 1\n' > bad.ini
    ofi run --source csv:data2 --out out --quiet --weights bad.ini
    snapshot_check "bad weights file (exit 1) leaves the previous outputs untouched" 1
fi
# Outputs written before the failing one must not replace the previous files: block the
# last directory written (reports/, then fk/) with a regular file, and run on other data.
for blocked in reports fk; do
    if fresh_outputs; then
        rm -rf "out/$blocked" && : > "out/$blocked"
        cp -a out snap
        ofi run --source csv:data2 --out out --quiet
        snapshot_check "unwritable out/$blocked/ (exit 4) replaces no other output" 4
    fi
done

# A directory where the last file renamed goes, and one where the first goes: found
# before any rename.
for blocked in reports/run_manifest.json ofi/ofi_case_scores.csv; do
    if fresh_outputs; then
        rm -f "out/$blocked" && mkdir -p "out/$blocked/x"
        cp -a out snap
        ofi run --source csv:data2 --out out --quiet
        snapshot_check "a directory at out/$blocked (exit 4) replaces no output" 4
        grep -q "^ofi: error: .*out/$blocked: cannot rename into place: Is a directory" se ||
            fail "atomic: the rename error names out/$blocked" "stderr $(shown se)"
    fi
done

# A disk that fills up in the middle of a file: a file-size limit with SIGXFSZ ignored makes
# write() fail with EFBIG once a file passes 16 KiB (the 300-case list does, in its
# first block).
if fresh_outputs; then
    cp -a out snap
    (trap '' XFSZ; ulimit -f 16; exec "$BIN" run --source csv:data2 --out out --quiet) > so 2> se
    rc=$?
    snapshot_check "a write failing mid-file (file too large, exit 4) replaces no output" 4
    grep -q "^ofi: error: .*/ofi/\.ofi_case_scores\.csv\.tmp: write error: File too large" se ||
        fail "atomic: the write error names the file and the cause" "stderr $(shown se)"
fi
# The same limit with SIGXFSZ at its default action (a batch's `ulimit -f`; env resets it
# even where this shell was started with it ignored): ofi ignores it itself, so the write
# fails and the run exits 4 the same way instead of being killed.
if fresh_outputs; then
    cp -a out snap
    (ulimit -f 16; exec env --default-signal=XFSZ "$BIN" run --source csv:data2 --out out --quiet) > so 2> se
    rc=$?
    snapshot_check "a file-size limit, SIGXFSZ at its default (exit 4) replaces no output" 4
    grep -q "^ofi: error: .*/ofi/\.ofi_case_scores\.csv\.tmp: write error: File too large" se ||
        fail "atomic: the write error names the file and the cause (SIGXFSZ default)" "stderr $(shown se)"
fi

# --- one run at a time per output directory; a signal removes the temporary files -------
# A run whose refunds.csv is a FIFO that nobody writes blocks while reading, holding the
# lock on out/ and its rejected-rows file open: then a second run is refused (exit 4), and
# SIGTERM or SIGHUP ends the first by that signal with no temporary file and no lock file
# left, the previous outputs untouched.
if fresh_outputs; then
    mkdir -p fifo && cp data2/*.csv fifo/ && rm fifo/refunds.csv && mkfifo fifo/refunds.csv
    # A signal this shell was started with ignored stays ignored in ofi (nohup's SIGHUP):
    # such a one is not sent.
    sigs=()
    ignored=$(sed -n 's/^SigIgn:\s*//p' /proc/$$/status)
    for sig in TERM HUP BUS; do
        [ "$sig" = BUS ] && [ $asan -eq 1 ] && { echo "SKIP SIGBUS: AddressSanitizer build"; continue; }
        (( (16#$ignored >> ($(kill -l "$sig") - 1)) & 1 )) && { echo "SKIP SIG$sig: ignored by this shell"; continue; }
        sigs+=("$sig")
    done
    for sig in "${sigs[@]}"; do
        rm -rf snap && cp -a out snap
        rm -f so1 se1
        OFI_NO_MMAP=1 "$BIN" run --source csv:fifo --out out --quiet > so1 2> se1 &
        holder=$!
        for _ in $(seq 100); do # until it holds the lock and blocks in the FIFO's open
            [ -f out/dq/.rejected_rows.csv.tmp ] && [ "$(cat out/.ofi-run.lock 2> /dev/null)" = "$holder" ] && break
            sleep 0.1
        done
        ofi run --source csv:data --out out --quiet
        if [ $rc -eq 4 ] && grep -qx "ofi: error: out: another ofi (pid $holder) is writing its run files in this output directory; nothing was changed" se; then
            pass "lock: a second run into out/ is refused while the first holds it (exit 4)"
        else
            fail "lock: a second run into out/ is refused while the first holds it (exit 4)" "exit $rc, stderr $(shown se)"
        fi
        # Commands writing other files share the directory: ofi variants goes on.
        rm -rf out/variants
        ofi variants --source csv:data --out out --quiet
        if [ $rc -eq 0 ] && [ -f out/variants/variant_summary.csv ]; then
            pass "lock: ofi variants writes into out/ beside the run (exit 0)"
        else
            fail "lock: ofi variants writes into out/ beside the run (exit 0)" "exit $rc, stderr $(shown se)"
        fi
        rm -rf out/variants
        stop_and_wait "$sig" "$holder"
        snapshot_check "SIG$sig while reading: exit $(kill -l "$sig" > /dev/null; echo $((128 + $(kill -l "$sig")))), no temporary or lock file left" \
            $((128 + $(kill -l "$sig")))
        grep -qx "ofi: stopped by signal $(kill -l "$sig"); temporary files removed" se1 ||
            fail "signal: the run says why it stopped" "stderr $(shown se1)"
    done
    # A signal during the final renames (each held 150 ms by OFI_TEST_COMMIT_PAUSE_MS)
    # waits for them: the run ends by the signal with the new outputs all in place, says
    # so, and leaves no temporary or lock file.
    if [[ " ${sigs[*]} " == *" TERM "* ]]; then
        rm -rf ref2 && "$BIN" run --source csv:data2 --out ref2 --quiet
        ino=$(stat -c %i out/dq/rejected_rows.csv)
        OFI_TEST_COMMIT_PAUSE_MS=150 "$BIN" run --source csv:data2 --out out --quiet > so1 2> se1 &
        holder=$!
        for _ in $(seq 400); do # until the first file (dq/rejected_rows.csv) is renamed
            [ "$(stat -c %i out/dq/rejected_rows.csv 2> /dev/null)" != "$ino" ] && break
            sleep 0.02
        done
        stop_and_wait TERM "$holder"
        problems=()
        [ $rc -eq 143 ] || problems+=("exit $rc, expected 143")
        grep -qx "ofi: stopped by signal 15 after the outputs were renamed into place" se1 ||
            problems+=("stderr $(shown se1)")
        for f in $(cd ref2 && find ofi dq fk -type f); do
            cmp -s "ref2/$f" "out/$f" || problems+=("out/$f is not the new run's")
        done
        left=$(find out -name '*.tmp' -o -name ".ofi-*.lock")
        [ -z "$left" ] || problems+=("left: $(echo "$left" | tr '\n' ' ')")
        if [ ${#problems[@]} -eq 0 ]; then
            pass "signal: SIGTERM during the renames ends the run after them (exit 143)"
        else
            fail "signal: SIGTERM during the renames ends the run after them (exit 143)" "${problems[@]}"
        fi
    fi
    # ofi gen writes through temporary names too: stopped by SIGTERM while it writes the
    # facts, it ends by the signal, the dataset already in its directory untouched, no
    # temporary or lock file left.
    if [[ " ${sigs[*]} " == *" TERM "* ]]; then
        rm -rf gsig gsig.ref && "$BIN" gen --cases 300 --seed 3 --out gsig --quiet && cp -a gsig gsig.ref
        "$BIN" gen --cases 5M --seed 4 --out gsig --threads 1 --quiet > so1 2> se1 &
        holder=$!
        for _ in $(seq 400); do # until it writes case_timeline.csv, the third file
            [ -e gsig/.case_timeline.csv.tmp ] && break
            sleep 0.05
        done
        stop_and_wait TERM "$holder"
        if [ $rc -eq 143 ] && grep -qx "ofi: stopped by signal 15; temporary files removed" se1 &&
            diff -r gsig.ref gsig > /dev/null; then
            pass "signal: SIGTERM stops ofi gen (exit 143), the earlier dataset untouched, nothing left"
        else
            fail "signal: SIGTERM stops ofi gen (exit 143), the earlier dataset untouched, nothing left" \
                "exit $rc, stderr $(shown se1)" "$(diff -r gsig.ref gsig | head -3)"
        fi
    fi
    # Another program holding the lock (one process: flock(2), then a flag file, then
    # sleep): refused, and the message says so.
    rm -f locked
    "$PYTHON" -c 'import fcntl, sys, time
f = open(sys.argv[1], "a")
fcntl.flock(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(60)' out/.ofi-run.lock locked > /dev/null 2>&1 &
    holder=$!
    for _ in $(seq 100); do [ -f locked ] && break; sleep 0.1; done
    rm -rf snap && cp -a out snap
    ofi run --source csv:data2 --out out --quiet
    kill "$holder" 2> /dev/null
    wait "$holder" 2> /dev/null
    rm -f snap/.ofi-run.lock out/.ofi-run.lock locked
    snapshot_check "a lock held by another program (exit 4) replaces no output" 4
    grep -qx "ofi: error: out: another process holds its lock out/.ofi-run.lock; nothing was changed" se ||
        fail "lock: the message names the lock file" "stderr $(shown se)"
    # A lock file left by a run killed with SIGKILL holds no lock: the next run goes on.
    echo 999999999 > out/.ofi-run.lock
    ofi run --source csv:data --out out --quiet
    if [ $rc -eq 0 ] && [ ! -e out/.ofi-run.lock ] && cmp -s out/dq/row_counts.csv snap/dq/row_counts.csv; then
        fail "lock: a stale lock file" "the run did not replace the outputs"
    elif [ $rc -eq 0 ] && [ ! -e out/.ofi-run.lock ]; then
        pass "lock: a stale lock file does not stop a run, which removes it"
    else
        fail "lock: a stale lock file does not stop a run, which removes it" "exit $rc, stderr $(shown se)"
    fi
    # A file system that refuses locks (flock fails with ENOLCK, as on some NFS mounts,
    # played by an LD_PRELOAD shim): the run goes on unlocked, says so, writes its
    # outputs and leaves no lock file. Needs a C compiler (the build's).
    cat > noflock.c <<'SHIM'
#include <errno.h>
int flock(int fd, int op) { (void)fd; (void)op; errno = ENOLCK; return -1; }
SHIM
    if [ $asan -eq 1 ]; then
        echo "SKIP lock: a file system refusing locks (AddressSanitizer build)"
    elif ${CC:-cc} -shared -fPIC -o noflock.so noflock.c 2> /dev/null; then
        rm -rf nolock
        LD_PRELOAD=$PWD/noflock.so "$BIN" run --source csv:data --out nolock > so 2> se
        rc=$?
        if [ $rc -eq 0 ] && [ -s nolock/ofi/ofi_case_scores.csv ] && [ ! -e nolock/.ofi-run.lock ] &&
            grep -qx "ofi: warning: nolock: the file system refuses locks (No locks available); running without the lock that keeps two run commands apart" se; then
            pass "lock: a file system refusing locks: the run goes on unlocked, with a warning"
        else
            fail "lock: a file system refusing locks: the run goes on unlocked, with a warning" "exit $rc, stderr $(shown se)" "$(ls -a nolock)"
        fi
    else
        echo "SKIP lock: no C compiler for the flock shim"
    fi
    # An input that shrinks while it is read through its mapping (an export rewritten in
    # place during the run) raises SIGBUS: the run ends as a read error naming the file,
    # with nothing replaced and no temporary or lock file left. OFI_TEST_MAP_WAIT holds
    # the timeline's mapping before its first read until the file has been cut.
    if [ $asan -eq 1 ]; then
        echo "SKIP sigbus: an input shrinking while it is read (AddressSanitizer build)"
    else
        rm -rf shrink snap && cp -r data2 shrink && cp -a out snap
        OFI_TEST_MAP_WAIT=case_timeline.csv "$BIN" run --source csv:shrink --out out > so 2> se &
        holder=$!
        for _ in $(seq 200); do
            grep -qx "ofi: test: mapped shrink/case_timeline.csv" se && break
            sleep 0.05
        done
        truncate -s 100 shrink/case_timeline.csv
        wait_bounded "$holder"
        snapshot_check "an input shrinking while it is read (SIGBUS on its mapping): exit 2" 2
        if grep -qx "ofi: error: shrink/case_timeline.csv: the file shrank while it was being read (rewritten during the run?); temporary files removed; OFI_NO_MMAP=1 reads inputs that may change" se &&
            [ ! -e out/.ofi-run.lock ]; then
            pass "sigbus: the message names the file that shrank; no lock file left"
        else
            fail "sigbus: the message names the file that shrank; no lock file left" "stderr $(shown se)" "$(ls -a out)"
        fi
    fi
fi

# --- output format ------------------------------------------------------------------------
rm -rf out
"$BIN" run --source csv:data --out out --quiet
problems=()
nfiles=0
while IFS= read -r f; do
    nfiles=$((nfiles + 1))
    if [ ! -s "$f" ]; then problems+=("$f is empty"); continue; fi
    [ "$(tail -c 1 "$f" | od -An -tx1 | tr -d ' ')" = 0a ] || problems+=("$f does not end with \\n")
    grep -q $'\r' "$f" && problems+=("$f holds \\r")
    [ "$(head -c 3 "$f" | od -An -tx1 | tr -d ' ')" = efbbbf ] && problems+=("$f starts with a BOM")
done < <(find out -type f | sort)
[ "$nfiles" -ge 21 ] || problems+=("only $nfiles output files")
if [ ${#problems[@]} -eq 0 ]; then
    pass "format: $nfiles outputs end with \\n, hold no \\r and no BOM"
else
    fail "format" "${problems[@]}"
fi

# --- BOM + CRLF input gives the same outputs ----------------------------------------------
rm -rf clean clean_crlf o_lf o_crlf
"$BIN" gen --cases 300 --seed 13 --out clean --quiet
mkdir clean_crlf
"$PYTHON" - clean clean_crlf << 'EOF'
import os, sys
src, dst = sys.argv[1], sys.argv[2]
for name in os.listdir(src):
    data = open(os.path.join(src, name), 'rb').read()
    assert b'\r' not in data
    open(os.path.join(dst, name), 'wb').write(b'\xef\xbb\xbf' + data.replace(b'\n', b'\r\n'))
EOF
"$BIN" run --source csv:clean --out o_lf --quiet
rc1=$?
"$BIN" run --source csv:clean_crlf --out o_crlf --quiet
rc2=$?
if [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && diff -r o_lf/ofi o_crlf/ofi > diff.txt && diff -r o_lf/dq o_crlf/dq >> diff.txt &&
    diff -r o_lf/fk o_crlf/fk >> diff.txt; then
    pass "crlf: BOM + CRLF input gives byte-identical ofi/ dq/ fk/"
else
    fail "crlf: BOM + CRLF input gives byte-identical ofi/ dq/ fk/" "exit $rc1 / $rc2" "$(head -10 diff.txt)"
fi

# --- the run manifest ---------------------------------------------------------------------
version=$("$BIN" version | awk '{print $2}')
"$PYTHON" - out "$version" > manifest.txt 2>&1 << 'EOF'
import json, os, sys

out, version = sys.argv[1], sys.argv[2]

M = (1 << 64) - 1
P1, P2, P3 = 11400714785074694791, 14029467366897019727, 1609587929392839161
P4, P5 = 9650029242287828579, 2870177450012600261

def rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & M

def rnd(acc, lane):
    return (rotl((acc + lane * P2) & M, 31) * P1) & M

def xxh64_py(data, seed=0):
    """XXH64, written from the xxHash specification (doc/xxhash_spec.md)."""
    n, i = len(data), 0
    if n >= 32:
        v = [(seed + P1 + P2) & M, (seed + P2) & M, seed & M, (seed - P1) & M]
        while i + 32 <= n:
            for k in range(4):
                v[k] = rnd(v[k], int.from_bytes(data[i + 8 * k:i + 8 * k + 8], 'little'))
            i += 32
        h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) & M
        for k in range(4):
            h = ((h ^ rnd(0, v[k])) * P1 + P4) & M
    else:
        h = (seed + P5) & M
    h = (h + n) & M
    while i + 8 <= n:
        h ^= rnd(0, int.from_bytes(data[i:i + 8], 'little'))
        h = (rotl(h, 27) * P1 + P4) & M
        i += 8
    if i + 4 <= n:
        h ^= (int.from_bytes(data[i:i + 4], 'little') * P1) & M
        h = (rotl(h, 23) * P2 + P3) & M
        i += 4
    while i < n:
        h ^= (data[i] * P5) & M
        h = (rotl(h, 11) * P1) & M
        i += 1
    h ^= h >> 33
    h = (h * P2) & M
    h ^= h >> 29
    h = (h * P3) & M
    h ^= h >> 32
    return h

def sanity_buffer(n):
    # xxHash's tests/sanity_test.c buffer: a byte stream from a multiplicative generator
    buf, byte_gen = bytearray(), 2654435761
    for _ in range(n):
        buf.append((byte_gen >> 56) & 0xFF)
        byte_gen = (byte_gen * 11400714785074694797) & M
    return bytes(buf)

try:
    import xxhash
    def xxh64(data):
        return xxhash.xxh64_intdigest(data)
    how = "python3 xxhash module"
except ImportError:
    # Self-test against published XXH64 vectors (xxHash tests/sanity_test_vectors.h).
    buf = sanity_buffer(222)
    vectors = [(b"", 0, 0xEF46DB3751D8E999), (buf[:1], 0, 0xE934A84ADB052768),
               (buf[:14], 0, 0x8282DCC4994E35C8), (buf[:222], 0, 0xB641AE8CB691C174)]
    for data, seed, want in vectors:
        got = xxh64_py(data, seed)
        if got != want:
            print(f"the pure-Python XXH64 fails its self-test on {len(data)} bytes: "
                  f"{got:016x} != {want:016x}; hashes not checked")
            sys.exit(3)
    xxh64 = xxh64_py
    how = "pure-Python XXH64 (self-tested)"

problems = []
path = os.path.join(out, "reports", "run_manifest.json")
try:
    man = json.load(open(path, encoding="utf-8"))
except Exception as e:
    print(f"{path}: not valid JSON: {e}")
    sys.exit(1)
for key in ("version", "started", "ended", "source", "weights", "row_counts", "outputs"):
    if key not in man:
        problems.append(f"no key {key!r}")
if man.get("version") != version:
    problems.append(f"version {man.get('version')!r}, `ofi version` says {version!r}")
on_disk = set()
for root, _, files in os.walk(out):
    for f in files:
        rel = os.path.relpath(os.path.join(root, f), out)
        if rel != os.path.join("reports", "run_manifest.json"):
            on_disk.add(rel)
listed = {}
for o in man.get("outputs", []):
    listed[o.get("path")] = o
if set(listed) != on_disk:
    problems.append(f"not listed: {sorted(on_disk - set(listed))}; listed but absent: "
                    f"{sorted(set(listed) - on_disk)}")
checked = 0
for rel in sorted(on_disk & set(listed)):
    o = listed[rel]
    data = open(os.path.join(out, rel), "rb").read()
    size = os.stat(os.path.join(out, rel)).st_size
    if o.get("bytes") != size or len(data) != size:
        problems.append(f"{rel}: manifest bytes {o.get('bytes')}, stat {size}")
    want = f"{xxh64(data):016x}"
    if str(o.get("xxh64", "")).lower() != want:
        problems.append(f"{rel}: manifest xxh64 {o.get('xxh64')}, computed {want}")
    checked += 1
if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"{checked} outputs listed with their size and xxh64 ({how})")
EOF
mrc=$?
if [ $mrc -eq 0 ]; then
    pass "manifest: $(tail -1 manifest.txt)"
elif [ $mrc -eq 3 ]; then
    pass "manifest: sizes checked; xxh64 skipped: $(tail -1 manifest.txt)"
else
    fail "manifest" "$(head -20 manifest.txt)"
fi
# The sizes once more with stat, independently of Python.
problems=()
while IFS=' ' read -r p b; do
    s=$(stat -c %s "out/$p" 2> /dev/null)
    [ "$s" = "$b" ] || problems+=("$p: manifest $b bytes, stat ${s:-missing}")
done < <(grep -o '"path": *"[^"]*", *"bytes": *[0-9]*' out/reports/run_manifest.json |
    sed 's/"path": *"\([^"]*\)", *"bytes": *\([0-9]*\)/\1 \2/')
if [ ${#problems[@]} -eq 0 ]; then pass "manifest: sizes agree with stat"; else fail "manifest: sizes agree with stat" "${problems[@]}"; fi

# `ofi variants` and `ofi sensitivity` into the same --out keep the run's manifest and
# write their own beside their files.
cp out/reports/run_manifest.json run_manifest.before
"$BIN" variants --source csv:data --out out --quiet &&
    "$BIN" sensitivity --source csv:data --out out --samples 3 --spread 0.2 --seed 1 --quiet
rc=$?
problems=()
[ $rc -eq 0 ] || problems+=("exit $rc")
cmp -s run_manifest.before out/reports/run_manifest.json || problems+=("reports/run_manifest.json changed")
for m in variants:variant_summary.csv sensitivity:sensitivity_tiers.csv; do
    grep -q "\"path\": \"variants/${m#*:}\"" "out/variants/${m%%:*}_manifest.json" 2> /dev/null ||
        problems+=("variants/${m%%:*}_manifest.json does not list variants/${m#*:}")
done
if [ ${#problems[@]} -eq 0 ]; then
    pass "manifest: variants and sensitivity keep the run's and write their own"
else
    fail "manifest: variants and sensitivity keep the run's and write their own" "${problems[@]}"
fi

echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
