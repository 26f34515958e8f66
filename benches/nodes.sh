#!/usr/bin/env bash
# Several gateway nodes on one PostgreSQL database, all on this machine: a throwaway
# PostgreSQL cluster (initdb in a state directory, on a free loopback port, database
# "mrgate") and N nodes of target/release/mrgate sharing it, on 127.0.0.1:8443, 8444, ...
# For trying out several nodes (README, "Several nodes") and for benches/nodes-load.sh.
#
# Usage: benches/nodes.sh start [N]   (default 3) start the cluster and N nodes, print where
#        benches/nodes.sh status      each node's /healthz, and whether the cluster answers
#        benches/nodes.sh stop        stop the nodes and the cluster, remove the state
#
# Environment:
#   MRGATE_NODES_DIR        the state directory (default ${TMPDIR:-/tmp}/mrgate-nodes): the
#                           cluster, each node's data directory and log (node<i>.log), and
#                           what stop needs to know (pids, ports)
#   MRGATE_NODES_BASE_PORT  node i listens on this port + i (default 8443)
#   MRGATE_NODES_CONFIG     a configuration file to serve with instead of --demo (the demo's
#                           public rate limit of 20 requests/s is too low for a load test);
#                           --listen, --data-dir and --store-url override it for each node
#   MRGATE_NODES_PG_OPTIONS more postgres server options (say "-c fsync=off")
#   MRGATE_NODES_AT_ONCE=1  start all nodes at the same moment instead of node 0 first (see
#                           start below)
#
# Runs from the repository root (--demo reads certs/demo/ relative to it) and expects
# `cargo build --release --bin mrgate` done. Needs PostgreSQL's server programs (Debian:
# apt-get install postgresql; the newest /usr/lib/postgresql/*/bin is used) and curl.
# PostgreSQL refuses to run as root, so as root the cluster runs as the postgres user.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${MRGATE_NODES_DIR:-${TMPDIR:-/tmp}/mrgate-nodes}
base_port=${MRGATE_NODES_BASE_PORT:-8443}
mrgate=$PWD/target/release/mrgate

pg_bin() {
  local bin
  bin=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    # Not Debian's layout: whatever initdb is on the PATH.
    bin=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")
  fi
  [ -x "$bin/initdb" ] || { echo "nodes.sh: no initdb (Debian: apt-get install postgresql)" >&2; return 1; }
  echo "$bin"
}

# Runs a shell command as the user the cluster belongs to.
as_postgres() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$1"; else sh -c "$1"; fi
}

# Whether pid $1 is still one of our mrgate processes (and not a pid reused since).
is_node() {
  local cmdline
  cmdline=$(tr '\0' ' ' 2>/dev/null < "/proc/$1/cmdline") && [[ $cmdline == *"mrgate serve "* ]]
}

# Stops whatever the state directory says runs, then removes it. Safe on a half-started state;
# refuses a directory this script did not make (MRGATE_NODES_DIR could name any).
stop_all() {
  local i port pid pids=()
  if [ ! -f "$dir/.mrgate-nodes" ]; then
    echo "nodes.sh: $dir was not made by benches/nodes.sh start; left as it is" >&2
    return 1
  fi
  if [ -f "$dir/nodes" ]; then
    while read -r i port pid; do
      if is_node "$pid"; then kill "$pid" 2>/dev/null || true; pids+=("$pid"); fi
    done < "$dir/nodes"
  fi
  # SIGTERM lets open requests finish; a node still there after 10 s is killed.
  for pid in "${pids[@]}"; do
    for _ in $(seq 100); do is_node "$pid" || break; sleep 0.1; done
    if is_node "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
  if [ -f "$dir/pg/data/postmaster.pid" ]; then
    as_postgres "'$(cat "$dir/pg/bin")/pg_ctl' -D '$dir/pg/data' -m fast -w stop" >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

# Starts node $1 (serving with $2: --demo or a configuration file) on the store at $3, and
# notes it in the state directory.
start_node() {
  local i=$1 port=$((base_port + $1)) config=(--demo)
  [ "$2" != --demo ] && config=(--config "$2")
  # Asynchronous commands of a script ignore SIGINT: a Ctrl-C meant for a later command in the
  # same terminal does not reach the nodes. nohup: nor does the terminal's hangup.
  # Each node is new to the shared store (a data directory of its own): it takes the log as it
  # is when it has no high-water mark yet (another node may have logged the first trust list).
  nohup "$mrgate" serve "${config[@]}" --adopt-log --listen "127.0.0.1:$port" --data-dir "$dir/node$i" --store-url "$3" \
    < /dev/null > "$dir/node$i.log" 2>&1 &
  echo "$i $port $!" >> "$dir/nodes"
}

# Waits until every node started answers /healthz; fails, with every node's log, when one
# exits or does not answer within 30 s.
wait_nodes() {
  local i port pid up
  while read -r i port pid; do
    up=
    for _ in $(seq 300); do
      if curl -s -o /dev/null --max-time 2 --cacert certs/demo/ca.pem "https://127.0.0.1:$port/healthz"; then up=1; break; fi
      is_node "$pid" || break
      sleep 0.1
    done
    if [ -z "$up" ]; then
      echo "nodes.sh: node $i (https://127.0.0.1:$port, pid $pid) did not come up" >&2
      # The others' logs too: what one node did at start may be why another failed.
      while read -r i port pid; do
        echo "--- node $i ($(is_node "$pid" && echo running || echo exited)), $dir/node$i.log:" >&2
        tail -n 20 "$dir/node$i.log" >&2
      done < "$dir/nodes"
      exit 1
    fi
  done < "$dir/nodes"
}

start() {
  local n=${1:-3}
  case $n in '' | *[!0-9]* | 0) echo "nodes.sh: N must be a positive number, not '$n'" >&2; exit 2 ;; esac
  if [ -e "$dir" ]; then
    echo "nodes.sh: $dir exists: nodes may be running already (benches/nodes.sh status; benches/nodes.sh stop)" >&2
    exit 1
  fi
  [ -x "$mrgate" ] || { echo "nodes.sh: no $mrgate (cargo build --release --bin mrgate)" >&2; exit 1; }
  local config_flag=--demo
  if [ -n "${MRGATE_NODES_CONFIG:-}" ]; then
    [ -r "$MRGATE_NODES_CONFIG" ] || { echo "nodes.sh: cannot read $MRGATE_NODES_CONFIG" >&2; exit 1; }
    config_flag=$(realpath "$MRGATE_NODES_CONFIG")
  fi
  local i port
  for ((i = 0; i < n; i++)); do
    port=$((base_port + i))
    # A port already taken would have the health check below answered by someone else. (With
    # SO_REUSEADDR, as the gateway binds: connections of an earlier node still in TIME_WAIT
    # do not take the port.)
    if ! python3 -c 'import socket as s, sys; k = s.socket(); k.setsockopt(s.SOL_SOCKET, s.SO_REUSEADDR, 1); k.bind(("127.0.0.1", int(sys.argv[1]))); k.listen()' "$port" 2>/dev/null; then
      echo "nodes.sh: port $port is taken (MRGATE_NODES_BASE_PORT moves the nodes)" >&2
      exit 1
    fi
  done
  local bin
  bin=$(pg_bin)

  # Made here, not found: a second start at the same moment fails at this mkdir.
  mkdir -p "$(dirname "$dir")"
  mkdir "$dir"
  touch "$dir/.mrgate-nodes"
  # From here on a failure (or Ctrl-C) stops what was started and removes the state.
  trap 'stop_all' EXIT
  trap 'exit 130' INT TERM
  mkdir "$dir/pg"
  echo "$bin" > "$dir/pg/bin"
  # The cluster's files belong to the postgres user; it must reach them through $dir.
  chmod 755 "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir/pg"; fi
  local pg_port
  pg_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  echo "$pg_port" > "$dir/pg/port"
  as_postgres "'$bin/initdb' -D '$dir/pg/data' -A trust -U postgres -E UTF8 --locale=C >'$dir/pg/initdb.log' 2>&1" || {
    echo "nodes.sh: initdb failed:" >&2; tail -n 20 "$dir/pg/initdb.log" >&2; exit 1
  }
  local options="-p $pg_port -k $dir/pg -c listen_addresses=127.0.0.1 ${MRGATE_NODES_PG_OPTIONS:-}"
  as_postgres "'$bin/pg_ctl' -D '$dir/pg/data' -l '$dir/pg/server.log' -w -o '$options' start >/dev/null" || {
    echo "nodes.sh: PostgreSQL did not start:" >&2; tail -n 20 "$dir/pg/server.log" >&2; exit 1
  }
  as_postgres "'$bin/createdb' -h 127.0.0.1 -p $pg_port -U postgres -E UTF8 -T template0 mrgate"
  local url="postgres://postgres@127.0.0.1:$pg_port/mrgate"

  # Node 0 first, alone, and the others once it answers: the first node's start sets up the
  # database and installs the configured trust list. Nodes started at the same moment come
  # up too (the install lands once; the others find the list stored): MRGATE_NODES_AT_ONCE=1
  # starts them so, as a deployment's might.
  : > "$dir/nodes"
  start_node 0 "$config_flag" "$url"
  if [ "${MRGATE_NODES_AT_ONCE:-}" != 1 ]; then wait_nodes; fi
  for ((i = 1; i < n; i++)); do start_node "$i" "$config_flag" "$url"; done
  wait_nodes
  trap - EXIT INT TERM

  echo "PostgreSQL: $url (pid $(head -n 1 "$dir/pg/data/postmaster.pid"), log $dir/pg/server.log)"
  while read -r i port pid; do
    echo "node $i:     https://127.0.0.1:$port (pid $pid, data $dir/node$i, log $dir/node$i.log)"
  done < "$dir/nodes"
  echo "state:      $dir"
  if [ "$dir" = /tmp/mrgate-nodes ]; then
    echo "stop with:  benches/nodes.sh stop"
  else
    echo "stop with:  MRGATE_NODES_DIR=$dir benches/nodes.sh stop"
  fi
}

status() {
  [ -f "$dir/nodes" ] || { echo "nodes.sh: nothing runs from $dir" >&2; exit 1; }
  local port pid health
  port=$(cat "$dir/pg/port")
  if "$(cat "$dir/pg/bin")/pg_isready" -q -h 127.0.0.1 -p "$port"; then
    echo "PostgreSQL: postgres://postgres@127.0.0.1:$port/mrgate accepting connections"
  else
    echo "PostgreSQL: postgres://postgres@127.0.0.1:$port/mrgate not answering"
  fi
  local i down=0
  while read -r i port pid; do
    if health=$(curl -s --max-time 5 --cacert certs/demo/ca.pem "https://127.0.0.1:$port/healthz"); then
      echo "node $i:     https://127.0.0.1:$port (pid $pid): $health"
    else
      echo "node $i:     https://127.0.0.1:$port (pid $pid): not answering$(is_node "$pid" || echo ' (exited)')"
      down=1
    fi
  done < "$dir/nodes"
  return "$down"
}

case ${1:-} in
  start) start "${2:-3}" ;;
  status) status ;;
  stop)
    if [ -e "$dir" ]; then stop_all; echo "stopped; removed $dir"; else echo "nothing runs from $dir"; fi ;;
  *) echo "usage: benches/nodes.sh start [N] | status | stop" >&2; exit 2 ;;
esac
