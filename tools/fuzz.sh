#!/bin/sh
# Long fuzzing runs: every libFuzzer target in BUILD/fuzz for SECONDS each
# (default 600), new inputs kept in BUILD/fuzz-corpus/NAME, seeds from
# tests/fuzz/NAME/corpus. A crash stops the run and leaves crash-* files in
# the current directory: turn each into a regression input under tests/fuzz/.
set -eu
build=${1:-build}
seconds=${2:-600}
found=0
for exe in "$build"/fuzz/tests/fuzz/*/fuzz_*; do
    [ -x "$exe" ] || continue
    found=1
    name=${exe##*/fuzz_}
    mkdir -p "$build/fuzz-corpus/$name"
    seeds=""
    [ -d "tests/fuzz/$name/corpus" ] && seeds="tests/fuzz/$name/corpus"
    echo "fuzz: $name for $seconds s"
    # shellcheck disable=SC2086
    "$exe" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 "$build/fuzz-corpus/$name" $seeds
done
[ "$found" = 1 ] || { echo "fuzz: no fuzz targets in $build/fuzz (run make first)"; exit 1; }
