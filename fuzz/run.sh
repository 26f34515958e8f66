#!/usr/bin/env bash
# fuzz/run.sh SECONDS [TARGET...]: runs every fuzz target (or those named) for SECONDS each,
# on corpora seeded by seed.sh, and prints a table: target, executions, coverage (edges),
# crashes. Exits 1 when any target crashed; the crashing inputs are in fuzz/artifacts/.
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list)
[ -d corpus ] || ./seed.sh
cargo +nightly fuzz build -O >"${TMPDIR:-/tmp}/mrgate-fuzz-build.log" 2>&1 || {
  cat "${TMPDIR:-/tmp}/mrgate-fuzz-build.log" >&2
  exit 2
}
mkdir -p logs
printf '%-14s %12s %10s %8s\n' target executions coverage crashes
failed=0
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  status=0
  # Two workers would halve each one's share of this machine's two cores: one job each.
  cargo +nightly fuzz run -O "$t" "corpus/$t" -- -max_total_time="$seconds" -rss_limit_mb=2048 \
    -max_len=262144 -timeout=20 -print_final_stats=1 >"logs/$t.log" 2>&1 || status=$?
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "logs/$t.log" | grep -oE '[0-9]+$' | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "logs/$t.log" | tail -1 | grep -oE '[0-9]+')
  crashes=$(find "artifacts/$t" -type f 2>/dev/null | wc -l)
  if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi
  [ "$crashes" -eq 0 ] || failed=1
  printf '%-14s %12s %10s %8s\n' "$t" "${runs:-?}" "${cov:-?}" "$crashes"
done
[ "$failed" -eq 0 ] || { echo "crashes: see fuzz/logs/ and fuzz/artifacts/" >&2; exit 1; }
