# golden_lib.sh - shared by run_golden.sh and regen_golden.sh (sourced, not run).
#
# A golden case is a directory tests/golden/<case>/ holding:
#   input/           the eight <table>.csv files (csv:input is the source)
#   args             optional; one line of extra `ofi run` arguments, split on
#                    whitespace (no quoting); paths in it are relative to the case dir
#   expected/        the expected files of ofi/, dq/ and fk/ (reports/ is not compared:
#                    it holds times). Absent = the run must write no file at all.
#   expected_stderr  optional; exact stderr of the run (absent = empty)
#   expected_exit    optional; the exit code (absent = 0)
#   anything else (README.md, weights files) travels with the case.
#
# golden_run CASE_DIR WORK runs one case: it copies the case (without its expectations)
# to WORK, then runs, from WORK and under LC_ALL=C,
#     BIN run --source csv:input --out out --quiet ARGS...
# leaving WORK/out, WORK/stdout, WORK/stderr and WORK/exit. Relative paths keep the
# messages (e.g. "see out/dq/") independent of where the test runs.

# Directories whose files are compared.
GOLDEN_COMPARED="ofi dq fk"

golden_run() {
    local case_dir=$1 work=$2 f
    mkdir -p "$work"
    for f in "$case_dir"/* "$case_dir"/.[!.]*; do
        [ -e "$f" ] || continue
        case "${f##*/}" in
            expected|expected_stderr|expected_exit) ;;
            *) cp -R "$f" "$work"/ ;;
        esac
    done
    local -a args=()
    if [ -f "$work/args" ]; then
        read -r -a args < "$work/args" || true
    fi
    (
        cd "$work" || exit 99
        LC_ALL=C "$BIN" run --source csv:input --out out --quiet "${args[@]}" \
            > stdout 2> stderr
        echo $? > exit
    )
}

# golden_outputs WORK: the compared output files, relative to WORK/out, one a line, sorted.
golden_outputs() {
    local work=$1 d
    (
        cd "$work/out" 2> /dev/null || exit 0
        for d in $GOLDEN_COMPARED; do
            [ -d "$d" ] && find "$d" -type f
        done | LC_ALL=C sort
    )
}

# golden_bin PATH: the binary's absolute path, or exit 2 with a message.
golden_bin() {
    if [ -z "$1" ]; then
        echo "usage: $0 BIN [CASE...]" >&2
        exit 2
    fi
    if [ ! -x "$1" ]; then
        echo "$0: $1: not an executable" >&2
        exit 2
    fi
    BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
}

# golden_cases ROOT [CASE...]: set the array `cases` to the given case names, or to every
# directory of ROOT that has an input/ folder.
golden_cases() {
    local root=$1 d
    shift
    if [ $# -gt 0 ]; then
        cases=("$@")
        return
    fi
    cases=()
    for d in "$root"/*/; do
        d=${d%/}
        [ -d "$d/input" ] && cases+=("${d##*/}")
    done
}
