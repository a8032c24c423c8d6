#!/bin/sh
# One short fuzzing run, as ctest's fuzz.<target> (fuzz/CMakeLists.txt):
#   run_fuzzer.sh BINARY WORK_DIR SECONDS SEED_DIR REGRESSION_DIR
# New inputs go to a fresh WORK_DIR/corpus and crash files to
# WORK_DIR/artifacts/ (both in the build tree): the run never writes into
# the source tree. The seeds and every regression input are run first; any
# crash, leak, sanitizer report or timeout makes libFuzzer exit non-zero,
# which fails the test.
set -eu
binary=$1 work=$2 seconds=$3 seeds=$4 regressions=$5
rm -rf "$work/corpus"
mkdir -p "$work/corpus" "$work/artifacts"
set -- "$work/corpus" "$seeds"
# An empty regressions folder is not kept in git.
if [ -d "$regressions" ]; then set -- "$@" "$regressions"; fi
TMPDIR=$work
export TMPDIR
exec "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$@"
