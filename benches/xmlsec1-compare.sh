#!/usr/bin/env bash
# Whole-process comparison with xmlsec1 on the same documents: N sequential verifications
# each, wall time per document. Usage: benches/xmlsec1-compare.sh [N]
# Needs xmlsec1 (Debian package) and a release build (cargo build --release).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-50}
corpus=${MRGATE_CORPUS:-../shared/corpus}
bin=target/release/mrgate
[ -x "$bin" ] || cargo build --release --quiet
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" sign --format cn-xml --key certs/demo/cb/CNCA-R-2002-001.key --cert certs/demo/cb/CNCA-R-2002-001.pem \
  tests/data/cn-qms.xml > "$tmp/cert.xml"

time_runs() { # label command...
  local label=$1; shift
  local start end
  start=$(date +%s%N)
  for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 || { echo "$label: command failed" >&2; exit 1; }; done
  end=$(date +%s%N)
  printf '%-48s %8.2f ms/document\n' "$label" "$(echo "($end - $start) / $n / 1000000" | bc -l)"
}

echo "$n runs each, whole process (start-up included)"
time_runs "mrgate  ie-tl.xml (55 KB, insecure key)" "$bin" xmldsig verify --insecure-embedded-key "$corpus/trusted-lists/ie-tl.xml"
time_runs "xmlsec1 ie-tl.xml (55 KB, --insecure)" xmlsec1 --verify --insecure "$corpus/trusted-lists/ie-tl.xml"
time_runs "mrgate  cert.xml (3 KB, trusted chain)" "$bin" xmldsig verify --trust-anchor certs/demo/ca.pem "$tmp/cert.xml"
time_runs "xmlsec1 cert.xml (3 KB, --trusted-pem)" xmlsec1 --verify --trusted-pem certs/demo/ca.pem "$tmp/cert.xml"
