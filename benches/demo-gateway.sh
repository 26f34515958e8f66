# Sourced by the bench scripts that load one gateway with the demo configuration
# (benches/ratios.sh, benches/beside-batch.sh): its configuration, its start with the demo
# credential exported, a 10,000-line batch of that credential, and where the bench binaries
# were built. Run from the repository's top; `$root` is that directory.

# The newest release build of the bench binary named $1 (target/release/deps/$1-<hash>).
newest() { find target/release/deps -maxdepth 1 -name "$1-*" ! -name '*.d' -printf '%T@ %p\n' | sort -rn | head -1 | cut -d' ' -f2; }

# The demo configuration on 127.0.0.1:18443 with its store under $2, written to $1, with no
# rate limit a load could meet (public, per identity) and room for the load's connections.
demo_config() { # out data_dir
  sed -e "s#\"certs/demo/#\"$root/certs/demo/#g" -e 's#^listen = .*#listen = "127.0.0.1:18443"#' \
      -e "s#^data_dir = .*#data_dir = \"$2\"#" mrgate.example.toml > "$1"
  python3 - "$1" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
for k, v in [("public_rate_per_second", "1000000.0"), ("public_burst", "1000000.0"), ("max_connections", "1024"),
             ("identity_rate_per_second", "1000000.0"), ("identity_burst", "1000000.0")]:
    s = re.sub(rf"{k} = .*", f"{k} = {v}", s)
open(p, "w").write(s)
PY
}

# Starts target/release/mrgate on demo_config's configuration in $1 (its pid in `gw`), waits
# until it answers, and writes the demo certificate's exported UNTP credential to
# $1/credential.jws.
start_demo_gateway() { # dir
  demo_config "$1/mrgate.toml" "$1/data"
  target/release/mrgate serve --config "$1/mrgate.toml" > "$1/gw.out" 2> "$1/gw.err" &
  gw=$!
  for _ in $(seq 100); do
    curl -s --cacert certs/demo/ca.pem https://localhost:18443/healthz >/dev/null && break
    sleep 0.1
  done
  curl -s --fail --cacert certs/demo/ca.pem -H "Authorization: Bearer $(cat certs/demo/exporter.token)" \
    --data-binary @tests/data/cn-qms.xml 'https://localhost:18443/v1/exports?formats=untp-dcc' |
    python3 -c "import json,sys; print(json.load(sys.stdin)['documents']['untp-dcc'], end='')" > "$1/credential.jws"
}

# A batch of 10,000 verification lines of the credential in $1, written to $2.
batch_of_credential() { # credential out
  python3 -c "
import json, sys
doc = open(sys.argv[1]).read()
with open(sys.argv[2], 'w') as f:
    for _ in range(10000):
        f.write(json.dumps({'document': doc}) + '\n')" "$1" "$2"
}
