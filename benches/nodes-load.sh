#!/usr/bin/env bash
# SQLite against PostgreSQL, and one node against three, in one run on this machine: for each
# setup
#   sqlite   one gateway on its embedded store,
#   pg-1     one gateway on a PostgreSQL database (benches/nodes.sh start 1),
#   pg-3     three gateways sharing one PostgreSQL database (benches/nodes.sh start 3),
# each on a fresh store, the load generator (benches/load.rs) at full speed against
#   lookup   GET  /v1/certificates/{issuer}/{number}  (anonymous; a certificate exported first)
#   verify   POST /v1/verify with an EdDSA JWS          (customs client certificate; each verdict
#                                                        is a log entry)
# with its connections spread round-robin over the setup's nodes. Besides requests/s, latency
# and errors, it reads the CPU time the gateways and the PostgreSQL server used during each
# run (utime + stime from /proc/<pid>/stat, as a share of all cores over the run), and the
# bytes each log entry added to the store over the verify run.
#
# Usage: benches/nodes-load.sh [SECONDS] [CONNECTIONS]   (default 10 s, 32 connections)
#        MRGATE_NODES_BASE_PORT moves the nodes' ports (default 18543, 18544, 18545).
# Needs what benches/nodes.sh needs (PostgreSQL's server programs, curl) and psql.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds=${1:-10}
conns=${2:-32}
base_port=${MRGATE_NODES_BASE_PORT:-18543}
tmp=$(mktemp -d)
# The clusters (run by the postgres user) keep their state under it.
chmod 755 "$tmp"
sqlite_pid=
clusters=()
cleanup() {
  if [ -n "$sqlite_pid" ]; then kill "$sqlite_pid" 2>/dev/null || true; wait "$sqlite_pid" 2>/dev/null || true; fi
  for c in "${clusters[@]}"; do
    if [ -e "$c" ]; then MRGATE_NODES_DIR=$c benches/nodes.sh stop >/dev/null || true; fi
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cargo build --release --quiet --bin mrgate
cargo bench --quiet --bench load --no-run 2>/dev/null
# The newest build of the generator, found as benches/load.sh finds it.
# shellcheck disable=SC2010
load=$(ls -t target/release/deps/load-* | grep -v '\.d$' | head -1)
psql=$(printf '%s\n' /usr/lib/postgresql/*/bin/psql | sort -V | tail -n 1)
[ -x "$psql" ] || psql=psql

# Every node's configuration: the demo's, with no public rate limit (the look-up is
# anonymous, and the demo allows 20 requests/s per client) and room for the connections.
# --listen, --data-dir and --store-url are given on each node's command line.
sed -e "s#\"certs/demo/#\"$root/certs/demo/#g" mrgate.example.toml > "$tmp/mrgate.toml"
python3 - "$tmp/mrgate.toml" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
s = re.sub(r"public_rate_per_second = .*", "public_rate_per_second = 1000000.0", s)
s = re.sub(r"public_burst = .*", "public_burst = 1000000.0", s)
s = re.sub(r"max_connections = .*", "max_connections = 1024", s)
open(p, "w").write(s)
PY

# What the current setup runs: its nodes' URLs and pids, its cluster (if any).
urls=() gateway_pids=() pg_dir=

start_sqlite() {
  target/release/mrgate serve --config "$tmp/mrgate.toml" --listen "127.0.0.1:$base_port" --data-dir "$tmp/sqlite" \
    > "$tmp/sqlite.log" 2>&1 &
  sqlite_pid=$!
  for _ in $(seq 300); do
    curl -s -o /dev/null --cacert certs/demo/ca.pem "https://127.0.0.1:$base_port/healthz" && break
    kill -0 "$sqlite_pid" 2>/dev/null || { echo "the SQLite gateway exited:" >&2; cat "$tmp/sqlite.log" >&2; exit 1; }
    sleep 0.1
  done
  urls=("https://127.0.0.1:$base_port") gateway_pids=("$sqlite_pid") pg_dir=
}

start_postgres() {
  local n=$1 port pid
  pg_dir=$tmp/pg-$n
  clusters+=("$pg_dir")
  MRGATE_NODES_DIR=$pg_dir MRGATE_NODES_CONFIG=$tmp/mrgate.toml MRGATE_NODES_BASE_PORT=$base_port \
    benches/nodes.sh start "$n" >&2
  urls=() gateway_pids=()
  while read -r _ port pid; do
    urls+=("https://127.0.0.1:$port")
    gateway_pids+=("$pid")
  done < "$pg_dir/nodes"
}

# Stops the setup's gateways (SIGTERM: each closes its store, indexing what its hash index
# still lacks, and SQLite copies its write-ahead log into the database file and removes it).
stop_gateways() {
  local pid
  kill "${gateway_pids[@]}"
  for pid in "${gateway_pids[@]}"; do
    for _ in $(seq 100); do [ -e "/proc/$pid" ] || break; sleep 0.1; done
  done
  if [ -n "$sqlite_pid" ]; then wait "$sqlite_pid" || true; sqlite_pid=; fi
}

# Stops the setup's cluster, if it has one, and removes its state.
stop_cluster() {
  if [ -n "$pg_dir" ]; then MRGATE_NODES_DIR=$pg_dir benches/nodes.sh stop >/dev/null; fi
}

sql() { "$psql" -h 127.0.0.1 -p "$(cat "$pg_dir/pg/port")" -U postgres -d mrgate -XAtq -F ' ' -c "$1"; }

# CPU time so far, in clock ticks, as "<wall seconds> <gateways> <PostgreSQL> <machine busy>":
# the gateways' processes, the PostgreSQL server (its postmaster and every process it
# started: backends, WAL writer, checkpointer; a cluster of someone else's on this machine
# is not counted) and all the machine's CPUs (the load generator and anything else running
# here among them).
snapshot() {
  local postmaster=0
  [ -n "$pg_dir" ] && postmaster=$(head -n 1 "$pg_dir/pg/data/postmaster.pid")
  python3 - "$postmaster" "${gateway_pids[@]}" <<'PY'
import os, sys, time
postmaster, gateways = int(sys.argv[1]), [int(p) for p in sys.argv[2:]]
def stat(pid):
    try:
        s = open(f"/proc/{pid}/stat").read()
    except OSError:
        return None
    # The fields after the command name (which may hold spaces), from field 3 (state) on.
    f = s[s.rindex(")") + 2:].split()
    return int(f[1]), int(f[11]) + int(f[12])  # ppid, utime + stime
def ticks(pid):
    s = stat(pid)
    return s[1] if s else 0
pg = 0
if postmaster:
    for pid in filter(str.isdigit, os.listdir("/proc")):
        s = stat(pid)
        if s and (int(pid) == postmaster or s[0] == postmaster):
            pg += s[1]
cpu = open("/proc/stat").readline().split()[1:]
busy = sum(int(v) for v in cpu[:8]) - int(cpu[3]) - int(cpu[4]) - int(cpu[7])  # less idle, iowait, steal
print(f"{time.monotonic():.6f} {sum(ticks(p) for p in gateways)} {pg} {busy}")
PY
}

# The share of all cores, in per cent, each part used between two snapshots.
shares() {
  python3 - "$1" "$2" "$(getconf CLK_TCK)" "$(nproc)" "$3" <<'PY'
import sys
a, b = [list(map(float, s.split())) for s in sys.argv[1:3]]
tck, cores, postgres = float(sys.argv[3]), float(sys.argv[4]), sys.argv[5] == "1"
elapsed = b[0] - a[0]
pct = lambda i: f"{(b[i] - a[i]) / tck / (elapsed * cores) * 100:.0f}"
print(pct(1), pct(2) if postgres else "-", pct(3))
PY
}

# The log's size as node $1's checkpoint says (its second line).
tree_size() { curl -s --cacert certs/demo/ca.pem "$1/v1/log/checkpoint" | sed -n 2p; }

# The log's entries and the bytes in the store, as "<entries> <log_entry table> <database>"
# ("-" where the backend has no such part of its own): SQLite's entries as its one node's
# checkpoint says ($1, read while it runs), mrgate.db with its write-ahead log; PostgreSQL's
# entries counted in the table, since nodes sharing the database may each know a tree of
# their own. Not the hash index (leaf hash to index): the run verifies one document over
# and over, and its verdicts within one second are the same entry, indexed once.
store_bytes() {
  if [ -n "$pg_dir" ]; then
    # log_entry is partitioned by index (schema 2): its size is its partitions'.
    sql "SELECT count(*),
                (SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('log_entry')),
                pg_database_size('mrgate') FROM log_entry"
  else
    local size=0 f
    for f in "$tmp/sqlite/mrgate.db" "$tmp/sqlite/mrgate.db-wal"; do
      if [ -f "$f" ]; then size=$((size + $(stat -c %s "$f"))); fi
    done
    echo "$1 - $size"
  fi
}

results=() sizes=()
for setup in sqlite pg-1 pg-3; do
  case $setup in
    sqlite) start_sqlite ;;
    pg-*) start_postgres "${setup#pg-}" ;;
  esac

  # One exported certificate (through the first node): the look-up target and the JWS to
  # verify, as benches/load.sh prepares them.
  curl -s --cacert certs/demo/ca.pem -H "Authorization: Bearer $(cat certs/demo/exporter.token)" \
    --data-binary @tests/data/cn-qms.xml "${urls[0]}/v1/exports?formats=untp-dcc" > "$tmp/export.json"
  python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['documents']['untp-dcc'], end='')" \
    "$tmp/export.json" > "$tmp/credential.jws"
  lookup=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(f\"/v1/certificates/{d['issuer']}/{d['number']}\")" "$tmp/export.json")

  for target in lookup verify; do
    args=()
    case $target in
      lookup) for u in "${urls[@]}"; do args+=(--url "$u$lookup"); done ;;
      verify) for u in "${urls[@]}"; do args+=(--url "$u/v1/verify"); done
              args+=(--method POST --body "$tmp/credential.jws"
                     --cert certs/demo/clients/customs.pem --key certs/demo/clients/customs.key)
              before_bytes=$(store_bytes "$(tree_size "${urls[0]}")") ;;
    esac
    before=$(snapshot)
    out=$("$load" --ca certs/demo/ca.pem --connections "$conns" --seconds "$seconds" "${args[@]}")
    after=$(snapshot)
    cpu=$(shares "$before" "$after" "$([ -n "$pg_dir" ] && echo 1 || echo 0)")
    echo "$setup $target: $out"
    echo "$setup $target: CPU % gateways, PostgreSQL, machine: $cpu"
    results+=("$setup|$target|$out|$cpu")
  done

  # The store's size once the gateways have stopped: SQLite's write-ahead log, which keeps
  # its length (up to 16 MiB) once written, is then copied into the database file and gone.
  # (Before the verify run it held only the setup's few writes.)
  trees=$(for u in "${urls[@]}"; do tree_size "$u"; done | paste -sd ' ')
  stop_gateways
  after_bytes=$(store_bytes "${trees%% *}")
  echo "$setup store before verify: $before_bytes; after: $after_bytes; checkpoints' tree sizes: $trees"
  sizes+=("$setup|$before_bytes|$after_bytes")
  stop_cluster
done

echo
echo "$(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src benches || echo ' (modified)'), $seconds s per run, $conns connections, $(nproc) cores"
echo
echo "| setup | target | req/s | p50 ms | p99 ms | errors | gateway CPU % | PostgreSQL CPU % | machine CPU % |"
echo "|---|---|---|---|---|---|---|---|---|"
for r in "${results[@]}"; do
  IFS='|' read -r setup target out cpu <<< "$r"
  read -r gw pg machine <<< "$cpu"
  python3 - "$setup" "$target" "$out" "$gw" "$pg" "$machine" <<'PY'
import json, sys
setup, target, out, gw, pg, machine = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), *sys.argv[4:]
print(f"| {setup} | {target} | {out['rps']:.0f} | {out['p50_ms']:.2f} | {out['p99_ms']:.2f} | {out['errors']} | {gw} | {pg} | {machine} |")
PY
done
echo
echo "| setup | entries added | entries/s | log_entry table B/entry | database B/entry |"
echo "|---|---|---|---|---|"
for s in "${sizes[@]}"; do
  IFS='|' read -r setup before after <<< "$s"
  python3 - "$setup" "$before" "$after" "$seconds" <<'PY'
import sys
setup, before, after, seconds = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), float(sys.argv[4])
entries = int(after[0]) - int(before[0])
per = lambda i: "-" if before[i] == "-" or entries <= 0 else f"{(int(after[i]) - int(before[i])) / entries:.0f}"
print(f"| {setup} | {entries} | {entries / seconds:.0f} | {per(1)} | {per(2)} |")
PY
done
echo
echo "CPU %: a share of all $(nproc) cores over the run (utime + stime, /proc/<pid>/stat); machine: every"
echo "process's, the load generator's and anything else running here among them."
echo "Bytes: the growth from before the verify run to after the gateways stopped, per log entry"
echo "added (entries/s: over the run's $seconds s; each verify appends one entry, also one answered"
echo "with an error after its commit). database: SQLite mrgate.db with its -wal, PostgreSQL"
echo "pg_database_size (its hash index, log_leaf, among it). The run verifies one document over and"
echo "over, and verdicts on it within one second are the same entry: the hash index, which keeps one"
echo "row per distinct entry, hardly grows here, as it would with real traffic."
