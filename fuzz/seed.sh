#!/usr/bin/env bash
# Makes the seed corpora in fuzz/corpus/<target>/ from the tests' own fixtures, the demo PKI
# and, at run time, ../shared/ (MRGATE_CORPUS, MRGATE_SAMPLES). Nothing here is committed:
# fuzz/corpus/ is ignored, and the shared corpora are never copied into the repository.
set -euo pipefail
cd "$(dirname "$0")"
root=$PWD/..
corpus=${MRGATE_CORPUS:-$root/../shared/corpus}
samples=${MRGATE_SAMPLES:-$root/../shared/samples}
out=$PWD/corpus
mkdir -p "$out"
bin="$root/target/debug/mrgate"
[ -x "$bin" ] || (cd "$root" && cargo build --quiet)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

seed() { # seed TARGET FILE...: copies the files that exist and are under 256 KiB
  local target=$1; shift
  mkdir -p "$out/$target"
  for f in "$@"; do
    [ -f "$f" ] && [ "$(stat -c %s "$f")" -le 262144 ] && cp "$f" "$out/$target/$(basename "$f")" || true
  done
}
text() { # text TARGET NAME CONTENT
  mkdir -p "$out/$1"
  printf '%s' "$3" > "$out/$1/$2"
}

fixture="$root/tests/data/cn-qms.xml"
"$bin" translate --from cn-xml --to untp-dcc "$fixture" > "$tmp/vc.json"
"$bin" translate --from cn-xml --to iaf-xml "$fixture" > "$tmp/iaf.xml"
"$bin" translate --from cn-xml --to iaf-json "$fixture" > "$tmp/iaf.json"
"$bin" sign --format untp-dcc --key "$root/certs/demo/signing.key" --cert "$root/certs/demo/signing.pem" "$tmp/vc.json" > "$tmp/vc.jwt"
"$bin" sign --format cn-xml --key "$root/certs/demo/cb/CNCA-R-2002-001.key" --cert "$root/certs/demo/cb/CNCA-R-2002-001.pem" "$fixture" > "$tmp/signed-cn.xml"
"$bin" pt submission --round DEMO-PT-2026-01 --submitter dakks --key "$root/certs/demo/foreign/dakks/signer.key" \
  --cert "$root/certs/demo/foreign/dakks/signer.pem" "$root/certs/demo/pt/results-dakks.csv" > "$tmp/submission.xml"

seed cn_xml "$fixture" "$samples"/*.xml "$tmp/signed-cn.xml"
seed xml_tree "$fixture" "$samples"/*.xml "$tmp/iaf.xml" "$root/certs/demo/pt/round.xml" "$corpus"/xmldsig/merlin-exc-c14n-one/*.xml
seed c14n "$fixture" "$tmp/iaf.xml" "$corpus"/xmldsig/merlin-c14n-three/*.xml "$corpus"/xmldsig/merlin-exc-c14n-one/*.xml
seed xmldsig "$tmp/signed-cn.xml" "$root/certs/demo/trust-list.xml" "$tmp/submission.xml" \
  "$corpus"/xmldsig/merlin-xmldsig-twenty-three/*.xml "$corpus"/xmldsig/xmldsig11-interop-2012/*.xml
seed trust_list "$root/certs/demo/trust-list.xml" "$corpus"/trusted-lists/*.xml "$corpus"/etsi/*.xml
seed untp_json "$tmp/vc.json" "$corpus"/untp/*.json
# An export's status: Bitstring Status List entries in place of the translation's own type.
python3 - "$tmp/vc.json" > "$out/untp_json/vc-status-list.json" <<'PY'
import json, sys
vc = json.load(open(sys.argv[1]))
lists = "https://gateway.example.cn/v1/status-lists/1/"
vc["credentialStatus"] = [{"id": lists + p + "#4242", "type": "BitstringStatusListEntry", "statusPurpose": p,
                           "statusListIndex": "4242", "statusListCredential": lists + p} for p in ("revocation", "suspension")]
print(json.dumps(vc))
PY
mkdir -p "$out/iaf"
{ printf '\0'; cat "$tmp/iaf.xml"; } > "$out/iaf/iaf-xml"
{ printf '\1'; cat "$tmp/iaf.json"; } > "$out/iaf/iaf-json"
seed jws "$tmp/vc.jwt"
sed 's/^sequence = 1$/sequence = 2/' "$root/src/standards/equivalence.toml" > "$tmp/table-2.toml"
"$bin" rules sign --key "$root/certs/demo/trust-list-operator.key" --cert "$root/certs/demo/trust-list-operator.pem" \
  "$tmp/table-2.toml" | tr -d '\n' > "$tmp/table-2.jws"
seed equivalence_table "$root/src/standards/equivalence.toml" "$tmp/table-2.toml" "$tmp/table-2.jws" "$tmp/vc.jwt"
mkdir -p "$out/x509"
for pem in "$root"/certs/demo/*.pem "$root"/certs/demo/*/*.pem "$root"/certs/demo/foreign/*/*.pem; do
  python3 - "$pem" "$out/x509/$(echo "$pem" | tr / _).der" <<'PY' || true
import base64, re, sys
text = open(sys.argv[1]).read()
m = re.search(r"-----BEGIN (CERTIFICATE|X509 CRL)-----(.*?)-----END", text, re.S)
if m:
    open(sys.argv[2], "wb").write(base64.b64decode("".join(m.group(2).split())))
PY
done
# A CRL set as an entry names it: PEM blocks.
seed x509 "$root/certs/demo/foreign/dakks/crl.pem"
mkdir -p "$out/standards"
python3 - "$root/src/standards/equivalence.toml" "$out/standards" <<'PY'
import re, sys
for i, s in enumerate(sorted(set(re.findall(r'"((?:GB|ISO|IEC)[^"]*)"', open(sys.argv[1]).read())))):
    open(f"{sys.argv[2]}/s{i}", "w").write(s)
PY
text standards combined "GB/T 19001-2016/ISO 9001:2015"
text ids uscc "91310110666007217T"
text ids uscc2 "91310115591693856A"
text ids approval "CNCA-R-2002-001"
text ids ccc "2021011101234567"
text ids date "2026-12-02"
seed pt_csv "$root"/certs/demo/pt/*.csv
seed pt_exchange "$root/certs/demo/pt/round.xml" "$tmp/submission.xml"
text log_formats entry '{"kind":"export","time":"2026-11-26T00:00:00Z","actor":"exporter:demo","inputs":[],"outputs":[],"verdict":"exported","reasons":[]}'
text log_formats entry-format-2 $'mrgate-log-entry/2\nkind recognition\ntime 2026-11-26T05:00:00Z\nactor partner:dakks\ninput sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\ntrust-list 3 sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nequivalence-table 1 sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\ncrls sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nrules 4\nverdict recognized\n'
text log_formats checkpoint $'demo.mrgate.example/log\n3\nq83nIuGUOZqnRDUTDyjt7sXo1ZnjjRp+1Nmbj9OWBy8=\n\n\u2014 demo.mrgate.example/log AAAAAAAA\n'
text status_list empty 'uH4sIALXbEGsC_-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA'
text status_list version '{"statusList":1,"statusPurpose":"suspension","length":131072,"set":[9,77]}'
text notice suspend '{"issuer":"CNCA-R-2002-001","number":"04925Q10021R0M","action":"suspend","iat":1789999000,"jti":"n-1","date":"2026-09-20","reason":"audit"}'
seed config "$root/mrgate.example.toml"
text http_path lookup "/v1/certificates/CNCA-R-2002-001/04925Q%2F10021R0M"
text http_path pt "/v1/pt/rounds/R-1/results"
text witness_request first $'old 0\n\nfuzz.mrgate.example/log\n5\nq83nIuGUOZqnRDUTDyjt7sXo1ZnjjRp+1Nmbj9OWBy8=\n\n\u2014 fuzz.mrgate.example/log AAAAAAAA\n'
text witness_request proof $'old 5\nq83nIuGUOZqnRDUTDyjt7sXo1ZnjjRp+1Nmbj9OWBy8=\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n\nfuzz.mrgate.example/log\n9\nq83nIuGUOZqnRDUTDyjt7sXo1ZnjjRp+1Nmbj9OWBy8=\n\n\u2014 fuzz.mrgate.example/log AAAAAAAA\n'
mkdir -p "$out/witness_request"
printf '\003\005\000' > "$out/witness_request/grown"
echo "seeded $(find "$out" -type f | wc -l) inputs for $(ls "$out" | wc -l) targets in $out"
