#!/usr/bin/env bash
# Schemathesis against `mrgate serve --demo`, once per kind of caller, every check enabled
# (`-c all`): schemas/openapi.json must describe what the gateway does. Fails on any
# failure or error. Usage: .ci/schemathesis.sh [examples per operation, default 25]
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-25}"
version=4.32.5
if [ "$(schemathesis --version 2>/dev/null | awk '{print $NF}')" != "$version" ]; then
  python3 -m pip install --quiet --disable-pip-version-check "schemathesis==$version"
fi

cargo build --locked --quiet --bin mrgate
bin="${CARGO_TARGET_DIR:-target}/debug/mrgate"
data=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" serve --demo --listen "127.0.0.1:$port" --data-dir "$data" >"$data/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do
  grep -q "listening" "$data/serve.log" && break
  kill -0 $server 2>/dev/null || { cat "$data/serve.log"; exit 1; }
  sleep 0.1
done

demo=$PWD/certs/demo
cert() { echo "--request-cert $demo/clients/$1.pem --request-cert-key $demo/clients/$1.key"; }
# Callers: no credentials (kept under the demo's per-address rate limit of 20/s), customs,
# the exporter's certificate, the exporter's bearer token, the operator, a partner.
callers=(
  "anonymous|--rate-limit 15/s"
  "customs|$(cert customs)"
  "exporter|$(cert exporter)"
  "exporter-token|-H Authorization:Bearer\ $(cat "$demo/exporter.token")"
  "operator|$(cert operator)"
  "partner-dakks|$(cert partner-dakks)"
)
failed=()
for entry in "${callers[@]}"; do
  name=${entry%%|*}
  eval "args=(${entry#*|})"
  echo "== schemathesis as $name"
  # The hooks teach schemathesis the gateway's media types (.ci/schemathesis_hooks.py); the
  # settings file says where a check's expected statuses are widened, and why.
  if ! (cd .ci && PYTHONPATH=. SCHEMATHESIS_HOOKS=schemathesis_hooks schemathesis --config-file schemathesis.toml run \
      ../schemas/openapi.json --url "https://localhost:$port" --tls-verify "$demo/ca.pem" \
      --checks all --max-examples "$examples" --seed 21 --generation-database none --no-color \
      "${args[@]}"); then
    failed+=("$name")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "schemathesis reported failures or errors as: ${failed[*]}" >&2
  exit 1
fi
