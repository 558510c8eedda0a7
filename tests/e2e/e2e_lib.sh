# e2e_lib.sh - what the end-to-end scripts share. Source it, then call
#   e2e_setup NAME BIN
# which checks BIN, sets BIN (absolute), here (tests/e2e), REF (the reference oracle),
# PYTHON, LC_ALL=C, a temporary directory $tmp removed on exit, the counters
# passed/failed and the helpers pass NAME and fail NAME DETAIL....

e2e_setup() {
    local name=$1
    if [ -z "$2" ] || [ ! -x "$2" ]; then
        echo "usage: $0 BIN" >&2
        exit 2
    fi
    BIN=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
    here=$(cd "$(dirname "$0")" && pwd)
    REF=$here/../ref/ofi_ref.py
    PYTHON=${PYTHON:-python3}
    export LC_ALL=C
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/ofi-$name.XXXXXX") || exit 2
    # Only the main shell removes it: a subshell killed before it has reset its traps (a
    # watchdog `( sleep N; kill ... ) &` stopped at once) would run this trap too.
    trap '[ "$BASHPID" != $$ ] || rm -rf "$tmp"' EXIT
    passed=0
    failed=0
}

pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; shift; printf '%s\n' "$@" | sed 's/^/  /'; failed=$((failed + 1)); }
