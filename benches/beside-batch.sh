#!/usr/bin/env bash
# What a running batch costs everyone else: look-ups paced at RATE a second on 8 connections,
# their p50/p99/p999 read twice on one gateway — alone, then while 10,000-line
# `POST /v1/verify/batch` requests run one after another — and the ratio of the two p99s.
# A batch decides for seconds: where its lines are decided (the blocking pool, not the
# connections' threads) shows here and nowhere else (see `server::batch::decide`).
# Usage: benches/beside-batch.sh [SECONDS] [RATE]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
# shellcheck source=benches/demo-gateway.sh
. benches/demo-gateway.sh
seconds=${1:-8}
rate=${2:-2000}
tmp=$(mktemp -d)
batches=
cleanup() {
  kill "${batches:-}" 2>/dev/null || true
  kill "${gw:-}" 2>/dev/null || true
  # Waited for: the gateway writes its high-water mark into $tmp as it stops.
  wait ${batches:-} ${gw:-} 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

cargo build --release --quiet --bin mrgate
cargo bench --quiet --bench load --no-run 2>/dev/null
load=$(newest load)

start_demo_gateway "$tmp"
batch_of_credential "$tmp/credential.jws" "$tmp/batch.ndjson"

lookups() {
  "$load" --ca certs/demo/ca.pem --connections 8 --seconds "$seconds" --rate "$rate" \
    --url https://localhost:18443/v1/certificates/CNCA-R-2017-049/04925Q10021R0M
}
alone=$(lookups)
(
  while true; do
    curl -s --fail --cacert certs/demo/ca.pem --cert certs/demo/clients/customs.pem \
      --key certs/demo/clients/customs.key -H 'Content-Type: application/x-ndjson' \
      --data-binary @"$tmp/batch.ndjson" https://localhost:18443/v1/verify/batch > /dev/null
  done
) &
batches=$!
sleep 1
beside=$(lookups)
kill "$batches" 2>/dev/null || true
wait "$batches" 2>/dev/null || true
batches=
python3 - "$alone" "$beside" "$rate" <<'PY'
import json, sys
alone, beside = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"look-ups paced at {sys.argv[3]}/s on 8 connections")
print("| look-ups | req/s | p50 ms | p99 ms | p999 ms | errors |")
print("|---|---|---|---|---|---|")
for name, r in (("alone", alone), ("beside batches of 10,000 lines", beside)):
    print(f"| {name} | {r['rps']} | {r['p50_ms']} | {r['p99_ms']} | {r['p999_ms']} | {r['errors']} |")
print(f"p99 beside batches / alone: {beside['p99_ms'] / alone['p99_ms']:.2f}×")
PY
