#!/usr/bin/env bash
# regen_golden.sh - rewrite the expectations of tests/golden/<case>/ from the current
# binary: expected/ (the files of ofi/, dq/, fk/; removed when the run writes none),
# expected_stderr and expected_exit. Review the result with `git diff tests/golden`
# before committing: a regenerated expectation is only as right as the binary.
#
# usage: tests/e2e/regen_golden.sh BIN [CASE...]
#
# Cases are run exactly as run_golden.sh runs them (see golden_lib.sh).

here=$(cd "$(dirname "$0")" && pwd)
. "$here/golden_lib.sh"
golden_bin "$1"
shift
root=$(cd "$here/../golden" && pwd)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ofi-regen.XXXXXX") || exit 2
trap '[ "$BASHPID" != $$ ] || rm -rf "$tmp"' EXIT # main shell only

golden_cases "$root" "$@"

status=0
for name in "${cases[@]}"; do
    dir=$root/$name
    if [ ! -d "$dir/input" ]; then
        echo "SKIP $name: no such case (need $dir/input)" >&2
        status=1
        continue
    fi
    work=$tmp/$name
    golden_run "$dir" "$work"
    rm -rf "$dir/expected"
    files=$(golden_outputs "$work")
    if [ -n "$files" ]; then
        while IFS= read -r f; do
            mkdir -p "$dir/expected/$(dirname "$f")"
            cp "$work/out/$f" "$dir/expected/$f"
        done <<< "$files"
    fi
    cp "$work/stderr" "$dir/expected_stderr"
    cp "$work/exit" "$dir/expected_exit"
    n=0
    [ -n "$files" ] && n=$(printf '%s\n' "$files" | wc -l)
    echo "regenerated $name: exit $(cat "$work/exit"), $n files, $(wc -c < "$work/stderr") bytes of stderr"
done
exit $status
