#!/usr/bin/env bash
# Runs a sanitized build's test preset and fails if any process wrote a
# sanitizer report, even one whose exit code no test looks at (a daemon an
# end-to-end test stops with SIGTERM, a CLI call made with check=False).
# The test presets point log_path at BUILD_DIR/sanitizer-reports.
#   tests/sanitizers/run-ctest.sh PRESET BUILD_DIR [ctest arguments...]
set -uo pipefail
cd "$(dirname "$0")/../.."

preset=${1:?usage: run-ctest.sh PRESET BUILD_DIR [ctest args]}
build=${2:?usage: run-ctest.sh PRESET BUILD_DIR [ctest args]}
shift 2
reports="$build/sanitizer-reports"

# Reports of an earlier run must not fail (or hide in) this one.
rm -rf "$reports"
mkdir -p "$reports"

ctest --preset "$preset" "$@"
status=$?

# A file holding only the runtime's own notes (TSan's "Symbolizer buffer
# too small" on Beast's long template names) is shown but is not a report.
shopt -s nullglob
found=()
for f in "$reports"/*; do
  if grep -v -q -E '^(==[^=]+)+==WARNING: Symbolizer buffer too small$' "$f"; then
    found+=("$f")
  else
    echo "run-ctest: runtime note, not a report: $f: $(cat "$f")"
  fi
done
if [ ${#found[@]} -gt 0 ]; then
  for f in "${found[@]}"; do
    echo "===== sanitizer report $f"
    cat "$f"
  done
  echo "run-ctest: ${#found[@]} sanitizer report(s) in $reports (above)" >&2
  exit 1
fi
exit $status
