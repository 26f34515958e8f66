#!/usr/bin/env bash
# Load test over TLS keep-alive, in one run on this machine:
#   nginx serving a static 1 KB JSON file (the ceiling),
#   GET  /v1/certificates/{issuer}/{number}   (look-up by number),
#   POST /v1/verify with an EdDSA JWS          (customs client certificate; each verdict is logged),
# each at full speed, then paced at half its peak to read p99. Needs nginx (Debian: nginx-light).
# Usage: benches/load.sh [SECONDS] [CONNECTIONS]   (MRGATE_LOAD_TARGETS="lookup verify" to pick;
#        MRGATE_LOAD_TOOL=oha to load with oha instead of benches/load.rs;
#        MRGATE_GATEWAY_CPUS=0-1 MRGATE_GENERATOR_CPUS=2-3 to keep the gateway and nginx on
#        some cores and the load generator on others, as taskset -c lists them)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds=${1:-10}
conns=${2:-32}
command -v nginx >/dev/null || { echo "benches/load.sh: nginx is not installed (Debian: apt-get install nginx-light)" >&2; exit 2; }
tmp=$(mktemp -d)
# The gateway is waited for: stopping, it writes its log's high-water mark into $tmp, and an
# rm racing that write failed the run ("Directory not empty").
cleanup() {
  kill "${gw:-}" "${ngx:-}" 2>/dev/null || true
  wait ${gw:-} ${ngx:-} 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

cargo build --release --quiet --bin mrgate
cargo bench --quiet --bench load --no-run 2>/dev/null
load=$(ls -t target/release/deps/load-* | grep -v '\.d$' | head -1)

# The gateway, with the demo configuration, its own store, and no public rate limit.
sed -e "s#\"certs/demo/#\"$root/certs/demo/#g" \
    -e 's#^listen = .*#listen = "127.0.0.1:18443"#' \
    -e "s#^data_dir = .*#data_dir = \"$tmp/data\"#" \
    mrgate.example.toml > "$tmp/mrgate.toml"
python3 - "$tmp/mrgate.toml" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
s = re.sub(r"public_rate_per_second = .*", "public_rate_per_second = 1000000.0", s)
s = re.sub(r"public_burst = .*", "public_burst = 1000000.0", s)
s = re.sub(r"max_connections = .*", "max_connections = 1024", s)
open(p, "w").write(s)
PY
# On a machine with cores to spare, the gateway (and nginx, its ceiling) get the cores the
# targets are stated for and the generator others, so that it takes nothing from them.
on_gateway_cpus=() on_generator_cpus=()
[ -n "${MRGATE_GATEWAY_CPUS:-}" ] && on_gateway_cpus=(taskset -c "$MRGATE_GATEWAY_CPUS")
[ -n "${MRGATE_GENERATOR_CPUS:-}" ] && on_generator_cpus=(taskset -c "$MRGATE_GENERATOR_CPUS")
"${on_gateway_cpus[@]}" target/release/mrgate serve --config "$tmp/mrgate.toml" > "$tmp/gw.out" 2> "$tmp/gw.err" &
gw=$!

# nginx with the same server certificate, one worker per core.
mkdir -p "$tmp/www" "$tmp/nginx"
chmod 755 "$tmp" "$tmp/www"  # nginx workers run as another user
python3 -c "import json; print(json.dumps({'status': 'ok', 'pad': 'x' * 990})[:1024])" > "$tmp/www/status.json"
cat > "$tmp/nginx/nginx.conf" <<NGINX
worker_processes $( "${on_gateway_cpus[@]}" nproc );
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:18444 ssl;
    ssl_certificate $root/certs/demo/server.pem;
    ssl_certificate_key $root/certs/demo/server.key;
    root $tmp/www;
    default_type application/json;
  }
}
NGINX
"${on_gateway_cpus[@]}" nginx -c "$tmp/nginx/nginx.conf" -p "$tmp/nginx" -g 'daemon off;' &
ngx=$!

for _ in $(seq 100); do
  curl -s --cacert certs/demo/ca.pem https://localhost:18443/healthz >/dev/null && \
  curl -s --cacert certs/demo/ca.pem https://localhost:18444/status.json >/dev/null && break
  sleep 0.1
done

# One exported certificate: the look-up target and the JWS to verify.
curl -s --cacert certs/demo/ca.pem -H "Authorization: Bearer $(cat certs/demo/exporter.token)" \
  --data-binary @tests/data/cn-qms.xml 'https://localhost:18443/v1/exports?formats=untp-dcc' > "$tmp/export.json"
python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['documents']['untp-dcc'], end='')" \
  "$tmp/export.json" > "$tmp/credential.jws"
lookup=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(f\"/v1/certificates/{d['issuer']}/{d['number']}\")" "$tmp/export.json")

run() { "${on_generator_cpus[@]}" "$load" --ca certs/demo/ca.pem --connections "$conns" --seconds "$seconds" "$@"; }
if [ "${MRGATE_LOAD_TOOL:-}" = oha ]; then
  # The same runs by an independent generator, oha (cargo install oha), its result turned
  # into benches/load.rs's fields. Paced runs correct for coordinated omission as ours do.
  run() {
    local args=() url
    while [ $# -gt 0 ]; do
      case $1 in
        --url) url=$2; shift 2 ;;
        --method) args+=(-m "$2"); shift 2 ;;
        --body) args+=(-D "$2"); shift 2 ;;
        --cert|--key) args+=("$1" "$2"); shift 2 ;;
        --rate) args+=(-q "$2" --latency-correction); shift 2 ;;
        *) echo "load.sh: no oha flag for $1" >&2; exit 2 ;;
      esac
    done
    "${on_generator_cpus[@]}" oha --no-tui --output-format json -c "$conns" -z "${seconds}s" --cacert certs/demo/ca.pem "${args[@]}" "$url" |
      python3 -c '
import json, sys
r = json.load(sys.stdin)
s, p = r["summary"], r["latencyPercentiles"]
codes = r.get("statusCodeDistribution", {})
ok = sum(n for c, n in codes.items() if c.startswith("2"))
# Requests in flight when the time is up are cut off, not failed.
cut = {"aborted due to deadline"}
errors = sum(codes.values()) - ok + sum(n for e, n in r.get("errorDistribution", {}).items() if e not in cut)
ms = lambda k: (p.get(k) or float("nan")) * 1000
print(json.dumps({"tool": "oha", "ok": ok, "errors": errors, "rps": round(s["requestsPerSec"]),
                  "p50_ms": ms("p50"), "p99_ms": ms("p99"), "p999_ms": ms("p99.9"), "max_ms": s["slowest"] * 1000}))'
  }
fi
rps() { python3 -c "import json,sys; print(json.loads(sys.argv[1])['rps'])" "$1"; }
half() { python3 -c "import sys; print(float(sys.argv[1]) / 2)" "$1"; }

# The gateway's own view of a paced run: its request-duration histogram scraped before and
# after, the p99 read as the smallest bucket bound holding 99% of the run's requests (so
# "≤ 3" means between the next lower bound and 3 ms). It times a request from its routing
# to its answer, so it leaves out TLS records, the socket and a generator sharing the
# cores; and it cannot see requests the generator had due but could not send because all
# its connections were waiting, which the client's p99 (corrected for that) counts. A
# stall shows in the client's p99 and hardly here: the two together tell a slow gateway
# from a stalled host.
scrape() { curl -s --cacert certs/demo/ca.pem https://localhost:18443/metrics > "$1"; }
own_p99() {
  python3 - "$@" <<'PY'
import re, sys
target, before, after = sys.argv[1:4]
route = {"lookup": "GET /v1/certificates/{issuer}/{number}", "verify": "POST /v1/verify"}.get(target)
def buckets(path):
    found = {}
    for line in open(path):
        m = re.match(r'mrgate_request_duration_seconds_bucket\{route="([^"]*)",le="([^"]+)"\} (\d+)', line)
        if m and m.group(1) == route:
            found[m.group(2)] = int(m.group(3))
    return found
if route is None:
    print("-")
    sys.exit()
a, b = buckets(before), buckets(after)
delta = {le: n - a.get(le, 0) for le, n in b.items()}
total = delta.get("+Inf", 0)
bounds = sorted((float(le), n) for le, n in delta.items() if le != "+Inf")
print(next((f"≤ {le * 1000:g}" for le, n in bounds if total and n >= 0.99 * total), "-"))
PY
}

# Paced runs also probe the disk the gateway's store is on (benches/load.rs --sync-probe).
probe="--sync-probe $tmp"
[ "${MRGATE_LOAD_TOOL:-}" = oha ] && probe=
results=()
for target in ${MRGATE_LOAD_TARGETS:-nginx lookup verify}; do
  case $target in
    nginx)  args=(--url https://localhost:18444/status.json) ;;
    lookup) args=(--url "https://localhost:18443$lookup") ;;
    verify) args=(--url https://localhost:18443/v1/verify --method POST --body "$tmp/credential.jws"
                  --cert certs/demo/clients/customs.pem --key certs/demo/clients/customs.key) ;;
  esac
  peak=$(run "${args[@]}")
  if [ "$(rps "$peak")" = "0" ]; then echo "no successful request to $target: $peak" >&2; exit 1; fi
  scrape "$tmp/before.prom"
  paced=$(run "${args[@]}" --rate "$(half "$(rps "$peak")")" $probe)
  scrape "$tmp/after.prom"
  own=$(own_p99 "$target" "$tmp/before.prom" "$tmp/after.prom")
  results+=("$target|$peak|$paced|$own")
  echo "$target peak:  $peak"
  echo "$target paced: $paced"
done

echo
echo "| target | peak req/s | p50 ms | p99 ms | p99 ms at half peak | gateway's own p99 ms at half peak | slowest disk sync ms at half peak | errors |"
echo "|---|---|---|---|---|---|---|---|"
for r in "${results[@]}"; do
  IFS='|' read -r name peak paced own <<< "$r"
  python3 - "$name" "$peak" "$paced" "$own" <<'PY'
import json, sys
name, peak, paced, own = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
syncs = paced.get("slowest_sync_ms_by_second") or []
sync = f"{max(syncs):.1f}" if syncs else "-"
print(f"| {name} | {peak['rps']:.0f} | {peak['p50_ms']:.2f} | {peak['p99_ms']:.2f} | {paced['p99_ms']:.2f} | {own} | {sync} | {peak['errors'] + paced['errors']} |")
PY
done
