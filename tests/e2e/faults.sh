#!/usr/bin/env bash
# faults.sh - every allocation and every file call of a run, failed one at a time.
#
# usage: tests/e2e/faults.sh FAULT_BIN [STRIDE]
#
# FAULT_BIN is ofi-fault (tests/fault/fault.c: the ofi command with its allocation and file
# calls wrapped). For each command below, a clean run counts the calls (OFI_FAULT_COUNT);
# then the run is repeated once per call with that call failing (OFI_FAULT=alloc:N, then
# io:N; every STRIDE-th only, when given: an ASan build is slower). Each failed run must:
#   - exit 2 (out of memory, cannot read) or 4 (cannot write), never crash or hang;
#     an allocation that fails can only exit 2 with "out of memory" in its message; a
#     a weights or settings file that cannot be read is a configuration error (exit 1);
#   - print exactly one line on stderr, "ofi: error: ...";
#   - leave the output directory exactly as it was: it holds the files of an earlier run
#     (other inputs, so other bytes), and must keep them, with no temporary, .prev or
#     lock file left (an empty directory made for new files may stay).
# A run that still succeeds (a failure the code works around: a fallback path) must write
# the same bytes as the clean run (the report's timings and the manifests' times aside).
#
# Commands, with one thread (the calls then come in a fixed order): `ofi run` on the
# golden `badrows` input (rejected rows, orphans, duplicates), `ofi variants` and
# `ofi sensitivity` on a generated set, `ofi gen`; and `ofi run` with two threads (the
# order of the calls then varies from run to run; each one still has to hold).
#
# With OFI_FAULT_MYSQL_ENV=FILE (MySQL settings of a server holding the golden `badrows`
# rows: tests/e2e/mysql.sh calls it so), the MySQL commands instead: `ofi run --source
# mysql` (extracts written while streaming), `ofi extract`, and `ofi load` of the
# `badrows` directory over the `basic` rows, after whose failures every table must hold
# the basic rows still (CHECKSUM TABLE) with no staging table left; the badrows rows
# are loaded again at the end.
# Prints one line per command and kind, and "faults: N passed, M failed".

. "$(cd "$(dirname "$0")" && pwd)/e2e_lib.sh"
e2e_setup faults "$1"
stride=${2:-1}
REAL="$(dirname "$BIN")/../ofi"
[ -x "$REAL" ] || REAL="$BIN"
golden=$here/../golden
"$REAL" gen --cases 400 --seed 7 --dirty 0.05 --out "$tmp/gen" --quiet || exit 2
"$REAL" gen --cases 300 --seed 8 --out "$tmp/other" --quiet || exit 2
cat > "$tmp/w.ini" <<'INI'
[variant base]
[variant esc]
escalation = 5
severity_multiplier = on
[variant money]
refund = 1/5
segment_multiplier = on
INI

# walk NAME OUT_SUBDIRS ARGS...: ARGS is the command, writing into "$tmp/o" (given as
# @OUT@); "$tmp/prev" is what an earlier run left there.
walk() {
    local name=$1
    shift
    local args=("${@//@OUT@/$tmp/o}")
    rm -rf "$tmp/o" "$tmp/ref" "$tmp/cnt"
    if ! OFI_FAULT_COUNT="$tmp/cnt" "$BIN" "${args[@]}" > /dev/null 2> "$tmp/se"; then
        fail "$name: the clean run failed" "$(cat "$tmp/se")"
        return
    fi
    mv "$tmp/o" "$tmp/ref" 2>/dev/null || mkdir -p "$tmp/ref"
    local kind max n rc bad state_ref="" state0=""
    if [ -n "$state" ]; then
        state_ref=$($state)
        [ -n "$pre" ] && $pre
        state0=$($state)
        if [ -z "$state_ref" ] || [ -z "$state0" ]; then
            fail "$name: cannot read the state to compare"
            return
        fi
    fi
    for kind in alloc io; do
        max=$(awk -v k=$kind '$1 == k { print $2 }' "$tmp/cnt")
        if [ -z "$max" ] || [ "$max" -eq 0 ]; then
            fail "$name: $kind: no calls counted (is $BIN ofi-fault?)"
            continue
        fi
        bad=()
        for ((n = 1; n <= max; n += stride)); do
            rm -rf "$tmp/o"
            cp -a "$tmp/prev" "$tmp/o"
            # Each file of the earlier run by inode too: one put back after a failed
            # rename is the same file, not an equal copy (calendar.csv is the same bytes
            # in every generated set).
            local inodes
            inodes=$(tree_of_o)
            [ -n "$pre" ] && $pre
            OFI_FAULT=$kind:$n timeout 60 "$BIN" "${args[@]}" > /dev/null 2> "$tmp/se"
            rc=$?
            local why=""
            if [ $rc -eq 0 ]; then
                if ! same_as_ref > "$tmp/d" 2>&1; then
                    why="succeeded with other outputs: $(head -3 "$tmp/d")"
                elif [ -n "$state" ] && [ "$($state)" != "$state_ref" ]; then
                    why="succeeded with another database: $($state | head -3)"
                fi
            elif ! { [ $rc -eq 2 ] || { [ $kind = io ] && [ $rc -eq 4 ]; } ||
                     { [ $kind = io ] && [ $rc -eq 1 ] && config_error; }; }; then
                why="exit $rc"
            elif [ "$(wc -l < "$tmp/se")" -ne 1 ] || ! grep -q '^ofi: error: ' "$tmp/se"; then
                why="stderr is not one error line"
            elif [ $kind = alloc ] && ! grep -q 'out of memory' "$tmp/se"; then
                why="no 'out of memory' in the message"
            elif ! { rm_new_empty_dirs; diff -r "$tmp/prev" "$tmp/o" > "$tmp/d" 2>&1; }; then
                why="the output directory changed: $(head -3 "$tmp/d")"
            elif [ "$(tree_of_o)" != "$inodes" ]; then
                why="a file of the output directory was replaced (same bytes, another inode)"
            elif [ -n "$state" ] && [ "$($state)" != "$state0" ]; then
                why="the database changed: $($state | head -3)"
            fi
            if [ -n "$why" ]; then
                local trace
                trace=$(OFI_FAULT_TRACE=1 OFI_FAULT=$kind:$n "$BIN" "${args[@]}" 2>&1 > /dev/null | head -12)
                bad+=("$kind:$n: $why" "$(grep -v "^ *#[0-9]* 0x.* in __interceptor\|^$" "$tmp/se" | head -8)" "$trace")
            fi
        done
        if [ ${#bad[@]} -eq 0 ]; then
            pass "$name: $kind 1..$max (every ${stride})"
        else
            fail "$name: $kind" "${bad[@]:0:9}"
        fi
    done
}

# Every entry of the output directory with its inode and type.
tree_of_o() { (cd "$tmp/o" && find . -printf '%i %y %P\n' | sort); }

# A failed run's exit 1 is right only for a configuration file it could not read: the
# weights file, the settings file, ./.env.
config_error() {
    local f
    for f in "$tmp/w.ini" "${env:-}" .env; do
        [ -n "$f" ] && grep -qF "ofi: error: $f: " "$tmp/se" && return 0
    done
    return 1
}

# After a run that succeeded: every file of the clean run's the same (the report's
# timings and the manifests' times aside), and nothing of its own left (a temporary, .prev
# or lock file); the earlier run's other files may stay (extract writes extracts/ only).
same_as_ref() {
    local f
    (cd "$tmp/ref" && find . -type f ! -name '*manifest.json' ! -name project_report.txt) |
        while read -r f; do cmp "$tmp/ref/$f" "$tmp/o/$f" || return 1; done || return 1
    ! find "$tmp/o" -name '.*' | grep .
}

# A directory a failed run made for its files (extracts/, say) may stay, empty: it
# replaces nothing.
rm_new_empty_dirs() {
    local d
    (cd "$tmp/o" && find . -mindepth 1 -depth -type d -empty) | while read -r d; do
        [ -d "$tmp/prev/$d" ] || rmdir "$tmp/o/$d"
    done
}

# The earlier run: the same command on other data, so that each file it left differs.
prev() {
    rm -rf "$tmp/prev"
    "$REAL" "$@" > /dev/null 2>&1 || exit 2
}

# What else a failed run must leave as it was: state, a command printing it; pre, one
# run before each failing run to set it (else the clean run's result is the state).
state="" pre=""
# The command re-executes itself once to set its runtime (src/cli/runtime.c): counting
# would restart in the new process. Set, it does not.
export OFI_RUNTIME_SET=1
if [ -n "${OFI_FAULT_MYSQL_ENV:-}" ]; then
    env=$OFI_FAULT_MYSQL_ENV
    # shellcheck disable=SC1090
    . "$env"
    tables=calendar,customers,agents,products,issue_catalog,cases,case_timeline,refunds
    db_state() {
        mariadb --no-defaults -h "$MYSQL_HOST" -P "$MYSQL_PORT" -u "$MYSQL_USER" \
            -p"$MYSQL_PASSWORD" -N -B "$MYSQL_DATABASE" -e "CHECKSUM TABLE $tables; SHOW TABLES"
    }
    prev run --source "csv:$tmp/other" --out "$tmp/prev" --threads 1 --quiet
    walk mysql-run run --source mysql --env "$env" --out @OUT@ --threads 1 --quiet
    walk mysql-extract extract --env "$env" --out @OUT@ --quiet
    load_basic() { "$REAL" load --from "$golden/basic/input" --env "$env" --quiet 2> /dev/null; }
    state=db_state pre=load_basic
    walk mysql-load load --from "$golden/badrows/input" --env "$env" --quiet
    "$REAL" load --from "$golden/badrows/input" --env "$env" --quiet 2> /dev/null
    echo "faults: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
fi

prev run --source "csv:$tmp/other" --out "$tmp/prev" --threads 1 --quiet
walk run run --source "csv:$golden/badrows/input" --out @OUT@ --threads 1 --quiet
prev variants --source "csv:$tmp/other" --weights "$tmp/w.ini" --out "$tmp/prev" --threads 1 --top 5 --quiet
walk variants variants --source "csv:$tmp/gen" --weights "$tmp/w.ini" --out @OUT@ --threads 1 --top 5 --quiet
prev sensitivity --source "csv:$tmp/other" --samples 8 --spread 0.2 --seed 3 --out "$tmp/prev" --threads 1 --top 5 --quiet
walk sensitivity sensitivity --source "csv:$tmp/gen" --samples 8 --spread 0.2 --seed 3 --out @OUT@ --threads 1 --top 5 --quiet
prev gen --cases 50 --seed 9 --out "$tmp/prev" --quiet
walk gen gen --cases 120 --seed 5 --dirty 0.05 --out @OUT@ --threads 1 --quiet
prev run --source "csv:$tmp/other" --out "$tmp/prev" --threads 2 --quiet
walk run-2-threads run --source "csv:$golden/badrows/input" --out @OUT@ --threads 2 --quiet

echo "faults: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
