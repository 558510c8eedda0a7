# bench/lib.sh - what the bench scripts share. Source it after setting root and build.
#
#   data=$(bench_dataset CASES SEED)
# generates `ofi gen --cases CASES --seed SEED` once into $cache/gen2-CASES-seedSEED ($cache
# defaults to bench/cache, git-ignored; a .complete stamp marks a finished one) and prints
# its path. "gen2": the generator's second format (sample's timeline columns, priority by
# issue); a change of the generator's bytes takes a new name, so no stale cache is used.

bench_dataset() {
  local cases=$1 seed=$2 data="${cache:-$root/bench/cache}/gen2-$1-seed$2"
  if [ ! -f "$data/.complete" ]; then
    rm -rf "$data"
    echo "bench: generating $cases cases (seed $seed) into $data" >&2
    "$build/ofi" gen --cases "$cases" --seed "$seed" --out "$data" --quiet >&2 || return 1
    touch "$data/.complete"
  fi
  echo "$data"
}
