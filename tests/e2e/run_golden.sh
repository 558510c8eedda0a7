#!/usr/bin/env bash
# run_golden.sh - golden tests: run the real binary on every tests/golden/<case>/ and
# compare its exit code, stderr and every file of ofi/, dq/, fk/ byte for byte.
#
# usage: tests/e2e/run_golden.sh BIN [CASE...]
#
# The layout of a case is described in golden_lib.sh. A case passes when the exit code
# equals expected_exit, stderr equals expected_stderr, stdout is empty, and the set of
# files under out/{ofi,dq,fk} equals the set under expected/ with identical bytes (when
# expected/ is absent, the run must not have written any file at all). A failure prints
# what differs (a unified diff, truncated). Prints one line per case and then
# "golden: N passed, M failed"; exits 1 when a case failed. Every case runs twice: as is,
# and with OFI_GENERIC_PARSE=1 (no CSV record through the loader's fast path), which must
# give the same exit code, stderr and bytes.
# Needs bash, coreutils, diff.

here=$(cd "$(dirname "$0")" && pwd)
. "$here/golden_lib.sh"
golden_bin "$1"
shift
root=$(cd "$here/../golden" && pwd)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ofi-golden.XXXXXX") || exit 2
trap '[ "$BASHPID" != $$ ] || rm -rf "$tmp"' EXIT # main shell only

golden_cases "$root" "$@"

passed=0
failed=0
for run in "${cases[@]/%/:fast}" "${cases[@]/%/:generic}"; do
    name=${run%:*}
    parse=${run##*:}
    dir=$root/$name
    work=$tmp/$name.$parse
    problems=()
    if [ ! -d "$dir/input" ]; then
        problems+=("no such case (need $dir/input)")
    else
        if [ "$parse" = generic ]; then
            OFI_GENERIC_PARSE=1 golden_run "$dir" "$work"
        else
            OFI_GENERIC_PARSE=0 golden_run "$dir" "$work"
        fi

        want_exit=0
        [ -f "$dir/expected_exit" ] && want_exit=$(tr -d ' \n\r' < "$dir/expected_exit")
        got_exit=$(cat "$work/exit")
        [ "$got_exit" = "$want_exit" ] || problems+=("exit code $got_exit, expected $want_exit")

        want_err=$dir/expected_stderr
        [ -f "$want_err" ] || want_err=/dev/null
        if ! cmp -s "$want_err" "$work/stderr"; then
            problems+=("stderr differs:
$(diff -u --label expected_stderr --label stderr "$want_err" "$work/stderr" | head -20)")
        fi
        [ -s "$work/stdout" ] && problems+=("unexpected stdout: $(head -c 300 "$work/stdout")")

        if [ -d "$dir/expected" ]; then
            want_files=$(cd "$dir/expected" && find . -type f | sed 's|^\./||' | LC_ALL=C sort)
            got_files=$(golden_outputs "$work")
            if [ "$want_files" != "$got_files" ]; then
                problems+=("output file set differs:
$(diff -u --label expected --label actual <(echo "$want_files") <(echo "$got_files") | tail -n +3)")
            fi
            while IFS= read -r f; do
                [ -n "$f" ] || continue
                [ -f "$work/out/$f" ] || continue # reported in the file set above
                if ! cmp -s "$dir/expected/$f" "$work/out/$f"; then
                    problems+=("$f differs:
$(diff -u --label "expected/$f" --label "out/$f" "$dir/expected/$f" "$work/out/$f" | head -30)")
                fi
            done <<< "$want_files"
        else
            written=$(cd "$work" && [ -d out ] && find out -type f | LC_ALL=C sort)
            [ -n "$written" ] && problems+=("the run must write nothing, but wrote:
$written")
        fi
    fi
    if [ ${#problems[@]} -eq 0 ]; then
        echo "PASS $name ($parse parse)"
        passed=$((passed + 1))
    else
        echo "FAIL $name ($parse parse)"
        for p in "${problems[@]}"; do
            printf '%s\n' "$p" | sed 's/^/  /'
        done
        failed=$((failed + 1))
    fi
done

echo "golden: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
