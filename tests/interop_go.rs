//! Transparency-log interop with the Go project's own implementations: every checkpoint
//! mrgate signs opens with golang.org/x/mod/sumdb/note (C2SP signed notes), and every
//! receipt's inclusion proof and every consistency proof checks with
//! golang.org/x/mod/sumdb/tlog (RFC 6962 hashing), for all index and size pairs of a
//! 17-entry log. Each altered case (a flipped proof hash, another index, another entry,
//! another older root, a changed or foreign-signed checkpoint) must fail in Go at the
//! expected step and in mrgate's own verifier too.
//!
//! Needs `go` and Debian's golang-golang-x-mod-dev (`.ci/run` installs them).

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mrgate::ledger::MemoryLog;
use mrgate::ledger::entry::{Entry, document_digest};
use mrgate::ledger::merkle::{self, Hash};
use mrgate::ledger::receipt::{self, Receipt};
use ring::signature::{Ed25519KeyPair, KeyPair};
use rustls::pki_types::SubjectPublicKeyInfoDer;
use rustls::pki_types::pem::PemObject;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::process::Command;

const ORIGIN: &str = "mrgate.example/log";
const SIZE: u64 = 17;

fn go_ready() -> bool {
    common::go::ready()
}

/// Runs the Go checker over `cases` (one JSON object each); its verdict by case name.
fn go_verdicts(cases: &[Value]) -> BTreeMap<String, String> {
    common::go::tlog(cases)
        .into_iter()
        .map(|l| {
            let (name, verdict) = l.split_once(' ').expect("name and verdict");
            (name.to_string(), verdict.to_string())
        })
        .collect()
}

fn entry(i: u64) -> Entry {
    Entry {
        kind: "recognition".into(),
        time: format!("2026-11-26T06:{:02}:00Z", i % 60),
        actor: "partner:dakks".into(),
        inputs: vec![document_digest(format!("credential {i}").as_bytes())],
        outputs: vec![],
        rules: mrgate::ledger::entry::Rules::V2 {
            trust_list: Some(mrgate::ledger::entry::RuleVersion {
                sequence: 7,
                digest: document_digest(b"trust list 7"),
            }),
            equivalence_table: Some(mrgate::ledger::entry::RuleVersion {
                sequence: 1,
                digest: document_digest(b"table 1"),
            }),
            crls: None,
            rule_set: Some("1".into()),
        },
        verdict: "valid".into(),
        reasons: vec![],
    }
}

fn flip(b64: &str) -> String {
    let mut bytes = STANDARD.decode(b64).expect("b64");
    bytes[0] ^= 0x01;
    STANDARD.encode(bytes)
}

/// One case for the Go checker, from a receipt and a consistency proof to an older head.
fn case(name: &str, key: &[u8], r: &Receipt, old: Option<(u64, &str, &[String])>) -> Value {
    let (old_size, old_root, tree) = old.unwrap_or((0, "", &[]));
    json!({
        "name": name, "key_name": ORIGIN, "public_key": STANDARD.encode(key), "note": r.checkpoint,
        "entry": r.entry, "index": r.index, "record_proof": r.hashes,
        "old_size": old_size, "old_root": old_root, "tree_proof": tree,
    })
}

fn hash(b64: &str) -> Hash {
    STANDARD.decode(b64).expect("b64").try_into().expect("32 bytes")
}

/// mrgate's own answer for a case: the receipt, then the consistency proof.
fn mrgate_accepts(key: &[u8], r: &Receipt, old: Option<(u64, &str, &[String])>) -> bool {
    let Ok(v) = receipt::verify(r, key, None) else { return false };
    match old {
        None => true,
        Some((size, root, proof)) => {
            let proof: Vec<Hash> = proof.iter().map(|h| hash(h)).collect();
            merkle::verify_consistency(size, v.checkpoint.size, &hash(root), &v.checkpoint.root, &proof).is_ok()
        }
    }
}

#[test]
fn checkpoints_and_proofs_verify_with_go_sumdb() {
    if !go_ready() {
        return;
    }
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).expect("key");
    let log_key = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("key");
    let public = log_key.public_key().as_ref().to_vec();
    let other_key = Ed25519KeyPair::from_pkcs8(Ed25519KeyPair::generate_pkcs8(&rng).expect("key").as_ref())
        .expect("key")
        .public_key()
        .as_ref()
        .to_vec();
    let mut log = MemoryLog::new(ORIGIN, log_key);
    // A second log under the same name, signed by another key: its checkpoints are foreign.
    let foreign_pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).expect("key");
    let mut foreign = MemoryLog::new(ORIGIN, Ed25519KeyPair::from_pkcs8(foreign_pkcs8.as_ref()).expect("key"));

    // (name, case, the step Go must fail at or "ok", whether mrgate must accept)
    let mut expected: Vec<(String, Value, &str, bool)> = Vec::new();
    let mut roots: Vec<String> = Vec::new();
    for size in 1..=SIZE {
        log.append(&entry(size - 1)).expect("append");
        foreign.append(&entry(size - 1)).expect("append");
        roots.push(STANDARD.encode(log.tree().root(size).expect("root")));
        for index in 0..size {
            let r = log.receipt(index).expect("receipt");
            let older = index + 1;
            let tree = log.consistency(older, size).expect("consistency").hashes;
            let old = Some((older, roots[older as usize - 1].as_str(), tree.as_slice()));
            let name = format!("{index}-of-{size}");
            let mut push = |suffix: &str, r: &Receipt, old: Option<(u64, &str, &[String])>, step: &'static str| {
                let accepted = mrgate_accepts(&public, r, old);
                expected.push((
                    format!("{name}{suffix}"),
                    case(&format!("{name}{suffix}"), &public, r, old),
                    step,
                    accepted,
                ));
            };
            push("", &r, old, "ok");
            if let Some(first) = r.hashes.first() {
                let mut bad = r.clone();
                bad.hashes[0] = flip(first);
                push("-flipped-record-hash", &bad, None, "record:");
            }
            let mut moved = r.clone();
            moved.index = if index + 1 < size { index + 1 } else { index.wrapping_sub(1) };
            if moved.index < size {
                push("-other-index", &moved, None, "record:");
            }
            let mut other = r.clone();
            let text = String::from_utf8(STANDARD.decode(&r.entry).expect("b64")).expect("utf8");
            other.entry = STANDARD.encode(text.replace("verdict valid", "verdict invalid"));
            other.leaf_hash = STANDARD.encode(merkle::leaf_hash(&STANDARD.decode(&other.entry).expect("b64")));
            push("-other-entry", &other, None, "record:");
            if let Some(first) = tree.first() {
                let mut bad = tree.clone();
                bad[0] = flip(first);
                push("-flipped-tree-hash", &r, Some((older, roots[older as usize - 1].as_str(), &bad)), "tree:");
            }
            let wrong_root = flip(&roots[older as usize - 1]);
            push("-other-old-root", &r, Some((older, wrong_root.as_str(), tree.as_slice())), "tree:");
        }
    }

    // The checkpoint itself: changed after signing, signed by another key under the log's
    // name, verified with another key, or with its signature line cut off.
    let r = log.receipt(3).expect("receipt");
    let mut changed = r.clone();
    changed.checkpoint = r.checkpoint.replacen(&format!("\n{SIZE}\n"), &format!("\n{}\n", SIZE + 1), 1);
    assert_ne!(changed.checkpoint, r.checkpoint);
    let mut foreign_signed = r.clone();
    foreign_signed.checkpoint = foreign.checkpoint();
    let mut unsigned = r.clone();
    unsigned.checkpoint = r.checkpoint.split("\n\n").next().expect("text").to_string() + "\n\n";
    // Spellings of a good note that Go refuses (found by attack: mrgate and its witness
    // accepted each): lines ending in CR LF, a control character in another line's key name,
    // another line's signature of its key id alone.
    let spelled = |spell: &dyn Fn(&str) -> String| {
        let mut s = r.clone();
        s.checkpoint = spell(&r.checkpoint);
        assert_ne!(s.checkpoint, r.checkpoint);
        s
    };
    let (body, signatures) = r.checkpoint.split_once("\n\n").expect("signatures");
    let crlf = spelled(&|_| format!("{body}\n\n{}", signatures.replace('\n', "\r\n")));
    let control = spelled(&|n| format!("{n}\u{2014} other\u{1}.example/log {}\n", STANDARD.encode([7u8; 68])));
    let key_id_alone = spelled(&|n| format!("{n}\u{2014} other.example/log {}\n", STANDARD.encode([7u8; 4])));
    // A first line of the log's own name and key id, a byte too long, before the good one.
    let own_line = signatures.lines().next().expect("the log's line");
    let own_blob = STANDARD.decode(own_line.rsplit_once(' ').expect("blob").1).expect("b64");
    let long_first = spelled(&|_| {
        let long = [&own_blob[..], &[7u8]].concat();
        format!("{body}\n\n\u{2014} {ORIGIN} {}\n{signatures}", STANDARD.encode(long))
    });
    for (name, receipt, key) in [
        ("checkpoint-changed", &changed, &public),
        ("checkpoint-foreign-key", &foreign_signed, &public),
        ("checkpoint-other-verifier", &r, &other_key),
        ("checkpoint-unsigned", &unsigned, &public),
        ("checkpoint-crlf", &crlf, &public),
        ("checkpoint-control-in-a-name", &control, &public),
        ("checkpoint-key-id-alone", &key_id_alone, &public),
        ("checkpoint-long-first-line", &long_first, &public),
    ] {
        expected.push((name.into(), case(name, key, receipt, None), "note:", mrgate_accepts(key, receipt, None)));
    }

    let cases: Vec<Value> = expected.iter().map(|(_, c, _, _)| c.clone()).collect();
    let verdicts = go_verdicts(&cases);
    assert_eq!(verdicts.len(), expected.len(), "one verdict per case");
    let (mut positive, mut negative) = (0, 0);
    for (name, _, step, mrgate) in &expected {
        let verdict = verdicts.get(name).unwrap_or_else(|| panic!("no verdict for {name}"));
        if *step == "ok" {
            positive += 1;
            assert_eq!((verdict.as_str(), *mrgate), ("ok", true), "{name}");
        } else {
            negative += 1;
            assert!(verdict.starts_with(step), "{name}: Go said '{verdict}', expected a failure at '{step}'");
            assert!(!mrgate, "{name}: Go refused it ('{verdict}') but mrgate accepts it");
        }
    }
    assert_eq!(positive, SIZE * (SIZE + 1) / 2);
    assert!(negative > positive, "{negative} altered cases for {positive} valid ones");
    eprintln!("Go sumdb/note and sumdb/tlog: {positive} valid cases accepted, {negative} altered cases refused");
}

/// The receipts a running gateway hands out (an export's, a verification's, and the first
/// export's again, proved later at `/v1/receipts/{id}`) and its consistency proof between
/// two of its checkpoints, checked by Go with the key the gateway publishes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateways_receipts_verify_with_go_sumdb() {
    use common::gateway::{call, config, domestic_certificate, token};
    use mrgate::server::{App, start};
    if !go_ready() {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let gw = start(std::sync::Arc::new(App::load(config(dir.path())).expect("app"))).await.expect("start");
    let token = token();
    let get = async |path: &str| call(gw.addr, "GET", path, vec![], None, None).await;
    let export = async || call(gw.addr, "POST", "/v1/exports", domestic_certificate(), None, Some(&token)).await;
    let first = export().await.json();
    let old_checkpoint = String::from_utf8(get("/v1/log/checkpoint").await.body).expect("utf8");
    let second = export().await.json();
    let credential = second["documents"]["untp-dcc"].as_str().expect("credential").as_bytes().to_vec();
    let verified = call(gw.addr, "POST", "/v1/verify", credential, Some("customs"), None).await.json();
    assert_eq!(verified["valid"], true, "{verified}");
    let later = get(&format!("/v1/receipts/{}", first["id"].as_str().expect("id"))).await.json();

    let pem = get("/v1/log/key").await.body;
    let spki = SubjectPublicKeyInfoDer::from_pem_slice(&pem).expect("log key");
    // An Ed25519 SubjectPublicKeyInfo ends with the 32-byte key.
    let public = spki.as_ref()[spki.as_ref().len() - 32..].to_vec();
    let mut lines = old_checkpoint.lines();
    let origin = lines.next().expect("origin").to_string();
    let old_size: u64 = lines.next().expect("size").parse().expect("size");
    let old_root = lines.next().expect("root").to_string();
    let receipt = |v: &Value| serde_json::from_value::<Receipt>(v.clone()).expect("receipt");
    let (first, second, verified, later) =
        (receipt(&first["receipt"]), receipt(&second["receipt"]), receipt(&verified["receipt"]), receipt(&later));
    let proof = get(&format!("/v1/log/proof/consistency?from={old_size}&to={}", later.tree_size)).await.json();
    let tree: Vec<String> = serde_json::from_value(proof["hashes"].clone()).expect("hashes");
    assert!(later.tree_size > old_size && !tree.is_empty(), "{proof}");

    // The verifier key `mrgate log verifier-key` prints must be the one Go makes.
    let pem_file = dir.path().join("log.pub");
    std::fs::write(&pem_file, &pem).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_mrgate"))
        .args(["log", "verifier-key", "--log-key", &pem_file.to_string_lossy(), "--name", &origin])
        .output()
        .expect("mrgate");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let vkey = String::from_utf8(out.stdout).expect("utf8").trim_end().to_string();
    assert!(vkey.starts_with(&format!("{origin}+")), "{vkey}");
    let with_name = |mut c: Value| {
        c["key_name"] = Value::from(origin.as_str());
        if c["name"] != "other-key" {
            c["vkey"] = Value::from(vkey.as_str());
        }
        c
    };
    let old = Some((old_size, old_root.as_str(), tree.as_slice()));
    let flipped_root = flip(&old_root);
    let mut other_key = public.clone();
    other_key[31] ^= 0x01;
    let mut moved = later.clone();
    moved.index += 1;
    let cases = [
        ("export", case("export", &public, &first, None), "ok"),
        ("second-export", case("second-export", &public, &second, None), "ok"),
        ("verification", case("verification", &public, &verified, None), "ok"),
        ("export-proved-later", case("export-proved-later", &public, &later, old), "ok"),
        ("moved", case("moved", &public, &moved, None), "record:"),
        (
            "other-old-root",
            case("other-old-root", &public, &later, Some((old_size, flipped_root.as_str(), tree.as_slice()))),
            "tree:",
        ),
        ("other-key", case("other-key", &other_key, &first, None), "note:"),
    ];
    let verdicts = go_verdicts(&cases.iter().map(|(_, c, _)| with_name(c.clone())).collect::<Vec<_>>());
    for (name, _, step) in &cases {
        let verdict = verdicts.get(*name).unwrap_or_else(|| panic!("no verdict for {name}"));
        assert!(verdict.starts_with(step), "{name}: Go said '{verdict}', expected '{step}'");
    }
    assert_eq!(verdicts["other-key"], "note: note has no verifiable signatures");
    // A name other verifiers would refuse gets no verifier key.
    let out = Command::new(env!("CARGO_BIN_EXE_mrgate"))
        .args(["log", "verifier-key", "--log-key", &pem_file.to_string_lossy(), "--name", "mrgate demo log"])
        .output()
        .expect("mrgate");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("log.checkpoint_malformed") && stderr.contains("contains a space"), "{stderr}");
    gw.task.abort();
}

/// The whole log read through the C2SP tlog-tiles API by Go's own tlog (tiles fetched and
/// authenticated by `tlog.TileHashReader`, the root recomputed and compared with the signed
/// checkpoint, every entry of every bundle hashed to its leaf), over 600 decisions: two full
/// tiles and a partial one, and a level-1 tile. Then what the API answers at its edges, and
/// inclusion proofs against older tree sizes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_reads_through_its_tiles_with_go_tlog() {
    use common::gateway::{call, config};
    use mrgate::decisions::verify::{self, Audience};
    use mrgate::decisions::{Caller, Role};
    use mrgate::server::{App, start};
    if !go_ready() {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let app = std::sync::Arc::new(App::load(config(dir.path())).expect("app"));
    let customs = Caller { role: Role::Customs, actor: "customs:tiles".into(), exporter: None };
    let mut queued = Vec::new();
    for i in 0..599 {
        let decided = verify::verify(&app.context(), &customs, Audience::Api, format!("document {i}").as_bytes());
        let decided = decided.expect("decided");
        queued.push(app.recorder.queue(decided.entry, decided.effects).expect("queued"));
    }
    for q in queued {
        q.receipt().await.expect("recorded");
    }
    let size = app.log.size().expect("size");
    assert_eq!(size, 601, "the build's table and the configured trust list's installs, and 599 verifications");
    let gw = start(std::sync::Arc::clone(&app)).await.expect("start");
    let get = async |path: &str| call(gw.addr, "GET", path, vec![], None, None).await;

    let pem = get("/v1/log/key").await.body;
    let spki = SubjectPublicKeyInfoDer::from_pem_slice(&pem).expect("log key");
    let public = &spki.as_ref()[spki.as_ref().len() - 32..];
    let vkey = mrgate::ledger::checkpoint::verifier_key(&app.config.log.origin, public).expect("vkey");
    let base = format!("https://localhost:{}/v1/log", gw.addr.port());
    let ca = format!("{}/ca.pem", common::gateway::DEMO);
    let said = tokio::task::spawn_blocking(move || common::go::read_tiles(&base, &ca, &vkey)).await.expect("join");
    assert_eq!(said.trim(), "ok 601 601", "{said}");

    // Full tiles are immutable and cached; partial ones are not for long; a tile not yet in
    // the log is 404; a path that is not a tile path is 400.
    let full = get("/v1/log/tile/0/001").await;
    assert_eq!((full.status, full.body.len()), (200, 256 * 32));
    let partial = get("/v1/log/tile/0/002.p/89").await;
    assert_eq!((partial.status, partial.body.len()), (200, 89 * 32));
    let level1 = get("/v1/log/tile/1/000.p/2").await;
    assert_eq!((level1.status, level1.body.len()), (200, 64));
    for (path, status) in [
        ("/v1/log/tile/0/002", 404),
        ("/v1/log/tile/0/002.p/90", 404),
        ("/v1/log/tile/1/000.p/3", 404),
        ("/v1/log/tile/entries/003", 404),
        ("/v1/log/tile/0/2", 400),
        ("/v1/log/tile/0/x000/001", 400),
        ("/v1/log/tile/0/000.p/256", 400),
        ("/v1/log/tile/64/000", 400),
        ("/v1/log/tile/data/000", 400),
        // A tile has one spelling, the path as sent (found by attack: these were served as
        // 0/001, immutable, so a cache keyed by path held one tile many times).
        ("/v1/log/tile/0%2F001", 400),
        ("/v1/log/tile/%30/001", 400),
        ("/v1/log/tile/0/%30%30%31", 400),
        ("/v1/log/tile/0/000.p/%35", 400),
        // Tiles that are well named but that no log will ever hold (a level whose tiles span
        // more leaves than a u64 counts, an index past it) are not in the log either.
        ("/v1/log/tile/8/000", 404),
        ("/v1/log/tile/63/000", 404),
        ("/v1/log/tile/0/x018/x446/x744/x073/x709/x551/615", 404),
        ("/v1/log/tile/entries/x018/x446/x744/x073/x709/x551/615", 404),
    ] {
        let r = get(path).await;
        let reason = if status == 400 { "log.tile_path" } else { "log.not_found" };
        assert_eq!((r.status, r.json()["reason"].as_str()), (status, Some(reason)), "{path}");
    }

    // Inclusion against an older size: checked against that size's root, recomputed here from
    // the level-0 tiles Go just authenticated.
    let leaves: Vec<Hash> = [get("/v1/log/tile/0/000").await.body, full.body]
        .concat()
        .chunks(32)
        .map(|c| c.try_into().expect("32 bytes"))
        .collect();
    let mut tree = merkle::Tree::new();
    for leaf in &leaves {
        tree.push(*leaf);
    }
    for (index, size) in [(0u64, 1u64), (3, 10), (255, 256), (100, 300), (299, 300)] {
        let proof = get(&format!("/v1/log/proof/inclusion?index={index}&size={size}")).await.json();
        assert_eq!(proof["tree_size"], size);
        let hashes: Vec<Hash> =
            proof["hashes"].as_array().expect("hashes").iter().map(|h| hash(h.as_str().expect("b64"))).collect();
        let root = tree.root(size).expect("root");
        let leaf = leaves[index as usize];
        assert_eq!(merkle::verify_inclusion(index, size, &leaf, &hashes, &root), Ok(()), "{index} in {size}");
        let wrong = tree.root(size - 1).filter(|_| size > 1);
        if let Some(wrong) = wrong {
            assert!(merkle::verify_inclusion(index, size, &leaf, &hashes, &wrong).is_err(), "{index} in {size}");
        }
    }
    let past = get("/v1/log/proof/inclusion?index=3&size=700").await;
    assert_eq!(past.status, 400);
    gw.task.abort();
}
