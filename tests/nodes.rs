//! Several gateway nodes on one PostgreSQL database, as a deployment runs them: real
//! `mrgate serve` processes on loopback, clients over TLS.
//!
//! - Three nodes decide as one gateway: what is exported, recognized, noticed or installed
//!   through one node is what every other node answers and decides with on the very next
//!   request, and each decision names the trust list it was made with.
//! - One node killed (`kill -9`) in the middle of exports and verifications from several
//!   clients spread over all three: the clients of the other two see no error, no
//!   acknowledged entry is lost, and every checkpoint any node served, before and after the
//!   kill, is consistent with the last one — checked by Go's `sumdb/tlog` and `note`, which
//!   also read the whole log through its tiles and recompute its root.
//! - PostgreSQL killed under a node: writes are 503 problem+json, `/healthz` says why, the
//!   page and the last checkpoint are still served, and the node recovers by itself once
//!   the database is back.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::gateway::{DEMO, Identity, Response, call, domestic_certificate, token, try_call};
use common::partners::{foreign_credential, notice};
use std::io::BufRead;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// One gateway process.
struct Node {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The example configuration with the demo's files, a free port, a data directory of its
/// own, the store at `store_url`, and no anonymous rate limit worth the name (the checks
/// below read many proofs).
fn node_config(dir: &std::path::Path, store_url: &str) -> std::path::PathBuf {
    let example = std::fs::read_to_string(format!("{ROOT}/mrgate.example.toml")).expect("example");
    let config = example
        .replace("\"certs/demo/", &format!("\"{ROOT}/certs/demo/"))
        .replace("listen = \"127.0.0.1:8443\"", "listen = \"127.0.0.1:0\"")
        .replace("data_dir = \"mrgate-data\"", &format!("data_dir = \"{}\"", dir.join("data").display()))
        .replace(
            "# [store]\n# url = \"postgres://mrgate@127.0.0.1:5432/mrgate\"",
            &format!("[store]\nurl = \"{store_url}\""),
        )
        .replace("public_rate_per_second = 20.0", "public_rate_per_second = 100000.0")
        .replace("public_burst = 100.0", "public_burst = 100000.0");
    assert!(config.contains("[store]\nurl"), "the example configuration's [store] lines moved");
    std::fs::create_dir_all(dir).expect("dir");
    let path = dir.join("mrgate.toml");
    std::fs::write(&path, config).expect("config");
    path
}

/// Starts `mrgate serve` on each configuration at once, and waits for each one's banner. Each
/// is a new node of the shared store, so takes its log as it is (`--adopt-log`): one node's
/// start may have logged the first trust list before another's opens the log.
fn start_nodes(configs: &[std::path::PathBuf]) -> Vec<Node> {
    let children: Vec<Child> = configs
        .iter()
        .map(|config| {
            Command::new(env!("CARGO_BIN_EXE_mrgate"))
                .args(["serve", "--adopt-log", "--config", config.to_str().expect("path")])
                .env("MRGATE_LOG", "warn")
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("spawn mrgate")
        })
        .collect();
    children
        .into_iter()
        .map(|mut child| {
            let mut banner = String::new();
            std::io::BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut banner).expect("banner");
            let addr = banner
                .trim()
                .strip_prefix("mrgate listening on https://")
                .and_then(|a| a.split('/').next())
                .unwrap_or_else(|| panic!("no banner from a node: {banner:?}"))
                .parse()
                .expect("address");
            Node { child, addr }
        })
        .collect()
}

async fn get(addr: SocketAddr, path: &str) -> Response {
    call(addr, "GET", path, vec![], None, None).await
}

fn text(r: &Response) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

/// The trust-list digest an entry (base64, as in a receipt) names.
fn entry_list(entry_b64: &str) -> String {
    let entry = String::from_utf8(STANDARD.decode(entry_b64).expect("base64")).expect("utf8");
    entry.lines().find_map(|l| l.strip_prefix("trust-list ")).expect("a trust-list line").to_string()
}

/// A checkpoint's size and root.
fn size_and_root(checkpoint: &str) -> (u64, String) {
    let mut lines = checkpoint.lines().skip(1);
    let size = lines.next().expect("size").parse().expect("size");
    (size, lines.next().expect("root").to_string())
}

/// An export whose certificate number is `number` (so that each is a new certificate).
fn numbered_certificate(number: &str) -> Vec<u8> {
    String::from_utf8(domestic_certificate()).expect("utf8").replace("04925Q10021R0M", number).into_bytes()
}

/// Runs `test` on a runtime of its own, with a database of its own that outlives the
/// runtime (dropping it blocks on a client of its own, which no runtime thread may do).
fn with_database<F: std::future::Future<Output = ()>>(test: impl FnOnce(String) -> F) {
    let Some(db) = common::pg::database() else { return };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().expect("runtime");
    runtime.block_on(test(db.url.clone()));
}

#[test]
fn three_nodes_decide_as_one_gateway() {
    with_database(three_nodes_decide_as_one_gateway_on);
}

async fn three_nodes_decide_as_one_gateway_on(store_url: String) {
    let dir = tempfile::tempdir().expect("tmp");
    let configs: Vec<_> = (0..3).map(|i| node_config(&dir.path().join(format!("node{i}")), &store_url)).collect();
    let nodes = start_nodes(&configs);
    let [a, b, c] = [nodes[0].addr, nodes[1].addr, nodes[2].addr];
    // Started together on an empty database, they installed the build's equivalence table
    // and the configured list once each.
    let entries = get(b, "/v1/log/entries?start=0&end=100").await.json();
    let entries: Vec<String> = entries["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| String::from_utf8(STANDARD.decode(e["entry"].as_str().expect("entry")).expect("b64")).expect("utf8"))
        .collect();
    let installs =
        |kind: &str| -> Vec<&String> { entries.iter().filter(|e| e.contains(&format!("\nkind {kind}\n"))).collect() };
    assert_eq!(installs("trust-list").len(), 1, "{entries:#?}");
    assert!(installs("trust-list")[0].contains("\nactor configuration\n"), "{}", installs("trust-list")[0]);
    assert_eq!(installs("equivalence-table").len(), 1, "{entries:#?}");
    assert!(installs("equivalence-table")[0].contains("\nactor build\n"), "{}", installs("equivalence-table")[0]);

    // Exported through A; fetched again through B (its receipt proved by B's tree, which
    // follows A's entries); looked up and verified through C.
    let export = call(a, "POST", "/v1/exports", domestic_certificate(), None, Some(&token())).await;
    assert_eq!(export.status, 201, "{}", text(&export));
    let exported = export.json();
    let id = exported["id"].as_str().expect("id");
    let again = call(b, "GET", &format!("/v1/exports/{id}"), vec![], None, Some(&token())).await;
    assert_eq!(again.status, 200, "{}", text(&again));
    assert_eq!(again.json()["receipt"]["index"], exported["receipt"]["index"]);
    assert_eq!(again.json()["receipt"]["entry"], exported["receipt"]["entry"]);
    let lookup = get(c, "/v1/certificates/CNCA-R-2002-001/04925Q10021R0M").await;
    assert_eq!((lookup.status, lookup.json()["headline"].as_str()), (200, Some("valid")), "{}", text(&lookup));
    let credential = exported["documents"]["untp-dcc"].as_str().expect("credential").to_string();
    let verified = call(c, "POST", "/v1/verify", credential.clone().into_bytes(), Some("customs"), None).await;
    assert_eq!((verified.status, verified.json()["valid"].as_bool()), (200, Some(true)), "{}", text(&verified));

    // A partner's certificate recognized through A, suspended through B: customs on C sees
    // it suspended on the very next request, and A's look-up too; restored through C, B
    // answers valid.
    let (jws, number) = foreign_credential("foreign/dakks/signer");
    let r = call(a, "POST", "/v1/recognitions", jws.clone().into_bytes(), Some("partner-dakks"), None).await;
    assert_eq!(r.status, 201, "{}", text(&r));
    let path = format!("/v1/certificates/dakks-cb/{number}");
    let n =
        call(b, "POST", "/v1/notices", notice("suspend", &number, "foreign/dakks/signer"), Some("partner-dakks"), None)
            .await;
    assert_eq!((n.status, n.json()["status"].as_str()), (200, Some("suspended")), "{}", text(&n));
    let v = call(c, "POST", "/v1/verify", jws.clone().into_bytes(), Some("customs"), None).await.json();
    assert_eq!((v["valid"].as_bool(), v["status"].as_str()), (Some(false), Some("suspended")));
    assert_eq!(get(a, &path).await.json()["status"], "suspended");
    // A batch through A: each line decided with the shared database, the suspension made
    // through B read at once.
    let lines = format!(
        "{}\n{}\n{{\"issuer\":\"dakks-cb\",\"number\":\"{number}\"}}\n",
        serde_json::json!({"document": jws}),
        serde_json::json!({"document": credential})
    );
    let batch = call(a, "POST", "/v1/verify/batch", lines.into_bytes(), Some("customs"), None).await;
    assert_eq!(batch.status, 200, "{}", text(&batch));
    let answers = batch.lines();
    let seen: Vec<_> =
        answers.iter().map(|a| (a["line"].as_u64(), a["status"].as_str(), a["receipt"].is_object())).collect();
    let expected =
        [(Some(1), Some("suspended"), true), (Some(2), Some("valid"), true), (Some(3), Some("suspended"), false)];
    assert_eq!(seen, expected, "{answers:#?}");
    let n =
        call(c, "POST", "/v1/notices", notice("restore", &number, "foreign/dakks/signer"), Some("partner-dakks"), None)
            .await;
    assert_eq!(n.status, 200, "{}", text(&n));
    assert_eq!(get(b, &path).await.json()["status"], "valid");

    // A newer trust list installed through A is the list B decides with as soon as the
    // install is acknowledged, and C publishes; the verification names it.
    let before = get(c, "/healthz").await.json()["trust_list"].clone();
    let sequence = before["sequence"].as_u64().expect("sequence") + 1;
    let built = common::demo_trust_list(sequence);
    let installed = call(a, "PUT", "/v1/admin/trust-list", built.clone(), Some("operator"), None).await;
    assert_eq!(installed.status, 200, "{}", text(&installed));
    let digest = installed.json()["digest"].as_str().expect("digest").to_string();
    assert_ne!(before["digest"].as_str(), Some(digest.as_str()));
    let v = call(b, "POST", "/v1/verify", credential.clone().into_bytes(), Some("customs"), None).await;
    assert_eq!(v.status, 200, "{}", text(&v));
    assert_eq!(
        entry_list(v.json()["receipt"]["entry"].as_str().expect("entry")),
        format!("{sequence} sha256:{digest}")
    );
    assert_eq!(get(c, "/v1/trust-list").await.body, built);
    assert_eq!(get(c, "/healthz").await.json()["trust_list"]["sequence"], sequence);
    // The same list again through C is not newer: refused, whichever node is asked.
    let again = call(c, "PUT", "/v1/admin/trust-list", built, Some("operator"), None).await;
    assert_eq!((again.status, again.json()["reason"].as_str()), (409, Some("trust.sequence")), "{}", text(&again));

    // So is a newer equivalence table installed through B: C decides with it at once, and
    // A lists it among the rules; the same table again through A is not newer.
    let table = dir.path().join("equivalence-4.toml");
    std::fs::write(&table, mrgate::standards::EMBEDDED_TABLE.replacen("sequence = 3\n", "sequence = 4\n", 1))
        .expect("table");
    let table = table.display().to_string();
    let signed = common::mrgate(
        &[
            "rules",
            "sign",
            &table,
            "--key",
            &format!("{DEMO}/trust-list-operator.key"),
            "--cert",
            &format!("{DEMO}/trust-list-operator.pem"),
        ],
        b"",
    );
    assert!(signed.status.success(), "{}", String::from_utf8_lossy(&signed.stderr));
    let installed = call(b, "PUT", "/v1/admin/equivalence-table", signed.stdout.clone(), Some("operator"), None).await;
    assert_eq!(installed.status, 200, "{}", text(&installed));
    let table_digest = installed.json()["digest"].as_str().expect("digest").to_string();
    let v = call(c, "POST", "/v1/verify", credential.clone().into_bytes(), Some("customs"), None).await;
    let entry = String::from_utf8(STANDARD.decode(v.json()["receipt"]["entry"].as_str().expect("entry")).expect("b64"))
        .expect("utf8");
    assert!(entry.contains(&format!("\nequivalence-table 4 sha256:{table_digest}\n")), "{entry}");
    assert_eq!(get(a, "/v1/rules").await.json()["in_force"]["equivalence_table"]["sequence"], 4);
    let again = call(a, "PUT", "/v1/admin/equivalence-table", signed.stdout, Some("operator"), None).await;
    assert_eq!((again.status, again.json()["reason"].as_str()), (409, Some("rules.sequence")), "{}", text(&again));

    // The three serve one log: the same checkpoint (one tree, one key), each having
    // followed the others' entries.
    let mut checkpoints = Vec::new();
    for node in [a, b, c] {
        checkpoints.push(text(&get(node, "/v1/log/checkpoint").await));
    }
    assert!(checkpoints.iter().all(|cp| *cp == checkpoints[0]), "{checkpoints:#?}");
    // The build's table and the configured list's installs (at least once each: the nodes
    // started together), an export, two verifications, a recognition, two notices, an
    // install, a verification, an install, a verification.
    assert!(size_and_root(&checkpoints[0]).0 >= 12, "{}", checkpoints[0]);
}

/// What one client request came to.
#[derive(Debug, Clone)]
struct Outcome {
    node: usize,
    started: Instant,
    took: Duration,
    /// The status, or why there was none (the connection refused or cut).
    answer: Result<u16, String>,
    /// The acknowledged decision's receipt.
    receipt: Option<serde_json::Value>,
}

/// Client `k` of the load: sends to node `k % 3`, alternating exports of new certificates
/// and verifications of `credential`, until `stop`.
async fn client(k: usize, addr: SocketAddr, node: usize, credential: String, stop: Arc<AtomicBool>) -> Vec<Outcome> {
    let customs = Identity::demo("customs");
    let bearer = format!("Bearer {}", token());
    let mut outcomes = Vec::new();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let started = Instant::now();
        let answer = if n % 2 == 0 {
            let body = numbered_certificate(&format!("LOAD{k:02}{n:06}"));
            try_call(addr, "POST", "/v1/exports", body, None, &[("authorization", &bearer)]).await
        } else {
            try_call(addr, "POST", "/v1/verify", credential.clone().into_bytes(), Some(&customs), &[]).await
        };
        let took = started.elapsed();
        let receipt = answer.as_ref().ok().filter(|r| r.status / 100 == 2).map(|r| r.json()["receipt"].clone());
        let failed = answer.is_err();
        outcomes.push(Outcome { node, started, took, answer: answer.map(|r| r.status), receipt });
        if failed {
            // A node that is gone refuses at once: do not spin.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    outcomes
}

fn hashes(b64: &serde_json::Value) -> Vec<Vec<u8>> {
    b64.as_array().expect("hashes").iter().map(|h| STANDARD.decode(h.as_str().expect("hash")).expect("b64")).collect()
}

#[test]
fn a_node_killed_under_load_loses_nothing_and_the_log_never_forks() {
    if common::go::ready() {
        with_database(a_node_killed_under_load_on);
    }
}

async fn a_node_killed_under_load_on(store_url: String) {
    let dir = tempfile::tempdir().expect("tmp");
    let configs: Vec<_> = (0..3).map(|i| node_config(&dir.path().join(format!("node{i}")), &store_url)).collect();
    let mut nodes = start_nodes(&configs);
    let addrs: Vec<SocketAddr> = nodes.iter().map(|n| n.addr).collect();
    let export = call(addrs[1], "POST", "/v1/exports", domestic_certificate(), None, Some(&token())).await;
    assert_eq!(export.status, 201, "{}", text(&export));
    let credential = export.json()["documents"]["untp-dcc"].as_str().expect("credential").to_string();

    // Six clients, two per node, and a monitor reading every node's checkpoint.
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> =
        (0..6).map(|k| tokio::spawn(client(k, addrs[k % 3], k % 3, credential.clone(), Arc::clone(&stop)))).collect();
    let served = Arc::new(Mutex::new(Vec::<String>::new()));
    let monitor = {
        let (stop, served, addrs) = (Arc::clone(&stop), Arc::clone(&served), addrs.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                for &addr in &addrs {
                    if let Ok(r) = try_call(addr, "GET", "/v1/log/checkpoint", vec![], None, &[]).await
                        && r.status == 200
                    {
                        served.lock().expect("lock").push(text(&r));
                    }
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_secs(3)).await;
    // The node that has been appending as much as any: there is no other kind here (every
    // node sequences its own commits under the database's commit lock).
    let killed_at = Instant::now();
    nodes[0].child.kill().expect("kill -9");
    tokio::time::sleep(Duration::from_secs(4)).await;
    stop.store(true, Ordering::Relaxed);
    let mut outcomes: Vec<Outcome> = Vec::new();
    for c in clients {
        outcomes.extend(c.await.expect("client"));
    }
    monitor.await.expect("monitor");

    // The surviving nodes' clients saw no error, before or after the kill, and kept being
    // answered after it; the killed node's clients were answered until it died.
    let survivors: Vec<&Outcome> = outcomes.iter().filter(|o| o.node != 0).collect();
    let failed: Vec<&&Outcome> =
        survivors.iter().filter(|o| o.answer.as_ref().map_or(true, |s| s / 100 != 2)).collect();
    assert!(
        failed.is_empty(),
        "{} of {} requests to the surviving nodes failed: {failed:#?}",
        failed.len(),
        survivors.len()
    );
    let after = survivors.iter().filter(|o| o.started > killed_at).count();
    assert!(after >= 10, "only {after} requests were answered after the kill");
    let before_kill = outcomes.iter().filter(|o| o.node == 0 && o.receipt.is_some()).count();
    assert!(before_kill > 0, "the killed node answered nothing before it died");
    let slowest = survivors.iter().filter(|o| o.started + o.took > killed_at).map(|o| o.took).max();
    eprintln!(
        "load: {} requests ({} to the surviving nodes, {after} of them after the kill), {before_kill} acknowledged by \
         the killed node; the slowest surviving request around the kill took {slowest:?}",
        outcomes.len(),
        survivors.len(),
    );

    // The log as it stands, through a surviving node: Go reads it all through its tiles and
    // recomputes the root of the checkpoint it opens with the log's key.
    let survivor = addrs[1];
    let last = text(&get(survivor, "/v1/log/checkpoint").await);
    let (size, root) = size_and_root(&last);
    let pem = get(survivor, "/v1/log/key").await.body;
    let spki = <rustls::pki_types::SubjectPublicKeyInfoDer as rustls::pki_types::pem::PemObject>::from_pem_slice(&pem)
        .expect("log key");
    let public = spki.as_ref()[spki.as_ref().len() - 32..].to_vec();
    let origin = last.lines().next().expect("origin").to_string();
    let vkey = mrgate::ledger::checkpoint::verifier_key(&origin, &public).expect("vkey");
    let base = format!("https://localhost:{}/v1/log", survivor.port());
    let (ca, vk) = (format!("{DEMO}/ca.pem"), vkey.clone());
    let said = tokio::task::spawn_blocking(move || common::go::read_tiles(&base, &ca, &vk)).await.expect("join");
    assert_eq!(said.trim(), format!("ok {size} {size}"), "{said}");

    // Every acknowledged decision is in that log, at the index its receipt names.
    let mut entries = Vec::new();
    while (entries.len() as u64) < size {
        let page = get(survivor, &format!("/v1/log/entries?start={}&end={size}", entries.len())).await.json();
        let page = page["entries"].as_array().expect("entries").clone();
        assert!(!page.is_empty());
        entries.extend(page.into_iter().map(|e| e["entry"].as_str().expect("entry").to_string()));
    }
    let receipts: Vec<&serde_json::Value> = outcomes.iter().filter_map(|o| o.receipt.as_ref()).collect();
    for r in &receipts {
        let index = r["index"].as_u64().expect("index") as usize;
        assert_eq!(Some(r["entry"].as_str().expect("entry")), entries.get(index).map(String::as_str), "entry {index}");
    }

    // Every checkpoint served — in a receipt or to the monitor, by any node, before or after
    // the kill — is signed by the log's key and consistent with the last (so with every
    // other): Go checks the note, and the consistency proof from its tree to the last one.
    // An acknowledged receipt's inclusion proof is checked in the tree it was given.
    let entry0 = STANDARD.decode(&entries[0]).expect("entry 0");
    let proof0 = get(survivor, &format!("/v1/log/proof/inclusion?index=0&size={size}")).await.json();
    let mut cases = Vec::new();
    let mut seen = std::collections::BTreeMap::<u64, String>::new();
    let mut checkpoints: Vec<String> = served.lock().expect("lock").clone();
    for r in &receipts {
        cases.push(serde_json::json!({
            "name": format!("receipt-{}", r["index"]), "key_name": origin, "vkey": vkey, "public_key": public,
            "note": r["checkpoint"], "entry": STANDARD.decode(r["entry"].as_str().expect("entry")).expect("b64"),
            "index": r["index"], "record_proof": hashes(&r["hashes"]),
        }));
        checkpoints.push(r["checkpoint"].as_str().expect("checkpoint").to_string());
    }
    for checkpoint in &checkpoints {
        let (old_size, old_root) = size_and_root(checkpoint);
        if let Some(root_seen) = seen.get(&old_size) {
            assert_eq!(*root_seen, old_root, "two roots served for size {old_size}: the log forked");
            continue;
        }
        seen.insert(old_size, old_root.clone());
        assert!(old_size <= size, "a checkpoint of {old_size} entries, beyond the log's {size}");
        if old_size == size {
            assert_eq!(old_root, root, "the last size served with another root");
            continue;
        }
        let tree = get(survivor, &format!("/v1/log/proof/consistency?from={old_size}&to={size}")).await.json();
        cases.push(serde_json::json!({
            "name": format!("checkpoint-{old_size}"), "key_name": origin, "vkey": vkey, "public_key": public,
            "note": last, "entry": entry0, "index": 0, "record_proof": hashes(&proof0["hashes"]),
            "old_size": old_size, "old_root": STANDARD.decode(&old_root).expect("root"), "tree_proof": hashes(&tree["hashes"]),
        }));
        // The note itself, with entry 0's inclusion in its tree.
        if old_size > 0 {
            let proof = get(survivor, &format!("/v1/log/proof/inclusion?index=0&size={old_size}")).await.json();
            cases.push(serde_json::json!({
                "name": format!("note-{old_size}"), "key_name": origin, "vkey": vkey, "public_key": public,
                "note": checkpoint, "entry": entry0, "index": 0, "record_proof": hashes(&proof["hashes"]),
            }));
        }
    }
    let failures = common::go::tlog_failures(&cases);
    assert!(failures.is_empty(), "Go refused: {failures:#?}");
    eprintln!(
        "checked with Go: a log of {size} entries through its tiles, {} receipts, {} checkpoints of distinct sizes",
        receipts.len(),
        seen.len()
    );
}

/// PostgreSQL stopped at once under a running node, then started again: meanwhile every
/// write is refused with 503 problem+json (`store.database`) and nothing is acknowledged;
/// `/healthz` says why; the verification page and the last checkpoint are still served; once
/// the database is back the node decides again by itself, on a log that went on where it
/// stopped.
#[test]
fn a_node_rides_out_its_database_going_away() {
    let Some(cluster) = common::pg::own_cluster() else { return };
    let url = cluster.database("mrgate");
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("tmp");
        let nodes = start_nodes(&[node_config(&dir.path().join("node"), &url)]);
        let a = nodes[0].addr;
        let export = call(a, "POST", "/v1/exports", domestic_certificate(), None, Some(&token())).await;
        assert_eq!(export.status, 201, "{}", text(&export));
        let credential = export.json()["documents"]["untp-dcc"].as_str().expect("credential").to_string();
        let before = text(&get(a, "/v1/log/checkpoint").await);

        tokio::task::block_in_place(|| cluster.kill());
        let refused = [
            call(a, "POST", "/v1/exports", numbered_certificate("AWAY0001"), None, Some(&token())).await,
            call(a, "POST", "/v1/verify", credential.clone().into_bytes(), Some("customs"), None).await,
            get(a, "/v1/certificates/CNCA-R-2002-001/04925Q10021R0M").await,
        ];
        // A verification reads the register first: it cannot, so it decides nothing (rule
        // set 9); the others fail on the store itself.
        for (r, reason) in refused.iter().zip(["store.database", "register.unavailable", "store.database"]) {
            assert_eq!(
                (r.status, r.content_type.as_str(), r.json()["reason"].as_str()),
                (503, "application/problem+json", Some(reason)),
                "{}",
                text(r)
            );
        }
        let health = get(a, "/healthz").await;
        assert_eq!(
            (health.status, health.json()["status"].as_str()),
            (503, Some("store.database")),
            "{}",
            text(&health)
        );
        assert_eq!(get(a, "/").await.status, 200);
        assert_eq!(text(&get(a, "/v1/log/checkpoint").await), before, "the last checkpoint, while the store is away");

        tokio::task::block_in_place(|| cluster.restart());
        // The node reconnects by itself: the first export that finds the database answers.
        let restarted = Instant::now();
        let deadline = restarted + Duration::from_secs(60);
        let back = loop {
            let r = call(a, "POST", "/v1/exports", numbered_certificate("BACK0001"), None, Some(&token())).await;
            if r.status == 201 || Instant::now() > deadline {
                break r;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        assert_eq!(back.status, 201, "{}", text(&back));
        eprintln!("the node decided again {:?} after PostgreSQL was back", restarted.elapsed());
        assert_eq!(get(a, "/healthz").await.status, 200);
        // Nothing refused was logged: the log went on from where it stood.
        let (size, _) = size_and_root(&before);
        assert_eq!(back.json()["receipt"]["index"], size);
        drop(nodes);
    });
}

/// A node in this process on the store at `store_url`, its data directory `dir/name`, on
/// `clock` (the system's when `None`), serving on a free port.
async fn in_process_node(
    dir: &std::path::Path,
    name: &str,
    store_url: &str,
    clock: Option<std::sync::Arc<mrgate::clock::OffsetClock>>,
) -> (std::sync::Arc<mrgate::server::App>, SocketAddr) {
    let mut config = common::gateway::config(&dir.join(name));
    config.store.url = Some(store_url.to_string());
    // A new node of the shared store: its log as it is.
    config.log.adopt = true;
    let app = match clock {
        Some(clock) => mrgate::server::App::load_with_clock(config, clock),
        None => mrgate::server::App::load(config),
    };
    let app = std::sync::Arc::new(app.expect("node"));
    let addr = mrgate::server::start(std::sync::Arc::clone(&app)).await.expect("start").addr;
    (app, addr)
}

/// Whether a node loads on `config` (off the runtime's threads: it blocks).
async fn loaded(config: mrgate::server::config::Config) -> Result<(), String> {
    tokio::task::spawn_blocking(move || mrgate::server::App::load(config).map(drop)).await.expect("joined")
}

/// The rule set the database at `store_url` is decided by (`deciding_rules`).
async fn deciding(store_url: &str) -> i64 {
    let url = store_url.to_string();
    let read = tokio::task::spawn_blocking(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
        client.query_one("SELECT rule_set FROM deciding_rules", &[]).expect("read").get::<_, i64>(0)
    });
    read.await.expect("read")
}

/// The demo trust list under sequence 2, its description changed by `edit`, signed by the
/// demo operator (built in a copy of the demo directory under `dir`).
fn demo_list_as(dir: &std::path::Path, edit: impl FnOnce(String) -> String) -> Vec<u8> {
    let demo = dir.join("demo");
    let copied = Command::new("cp").args(["-r", DEMO]).arg(&demo).status().expect("cp");
    assert!(copied.success());
    let toml = std::fs::read_to_string(demo.join("trust-list.toml")).expect("toml");
    std::fs::write(demo.join("edited.toml"), edit(toml)).expect("write");
    let path = |f: &str| demo.join(f).display().to_string();
    let built = common::mrgate(
        &[
            "trust",
            "build",
            &path("edited.toml"),
            "--key",
            &path("trust-list-operator.key"),
            "--cert",
            &path("trust-list-operator.pem"),
            "--sequence",
            "2",
        ],
        b"",
    );
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    built.stdout
}

/// A node whose configuration refuses the newest list installed through another node (here,
/// its clock is behind the list's issue time) keeps deciding nothing with it: its decisions
/// are refused at commit, it does not verify the list again on every request, and its
/// `/healthz` says why (503 `trust.list_refused`), so a load balancer takes it out.
#[test]
fn a_node_refusing_the_newest_list_says_so() {
    with_database(|store_url| async move {
        let dir = tempfile::tempdir().expect("tmp");
        let (_a, a_addr) = in_process_node(dir.path(), "a", &store_url, None).await;
        let behind = std::sync::Arc::new(mrgate::clock::OffsetClock::new());
        behind.advance(time::Duration::days(-180));
        let (b, b_addr) = in_process_node(dir.path(), "b", &store_url, Some(behind)).await;
        assert_eq!(get(b_addr, "/healthz").await.status, 200);

        // A list issued a month ago: in date for A, not yet issued for B.
        let issued = (time::OffsetDateTime::now_utc() - time::Duration::days(30))
            .format(&time::format_description::well_known::Rfc3339)
            .expect("time");
        let built = demo_list_as(dir.path(), |toml| {
            toml.replace("issued = \"2026-01-01T00:00:00Z\"", &format!("issued = \"{issued}\""))
        });
        let exported = call(a_addr, "POST", "/v1/exports", domestic_certificate(), None, Some(&token())).await;
        assert_eq!(exported.status, 201, "{}", text(&exported));
        assert_eq!(get(b_addr, LOOKUP).await.json()["headline"], "valid");
        let installed = call(a_addr, "PUT", "/v1/admin/trust-list", built, Some("operator"), None).await;
        assert_eq!(installed.status, 200, "{}", text(&installed));

        // B's look-up says nothing is valid under the list it holds, which it cannot decide
        // under (found by attack: it said `valid`).
        let lookup = get(b_addr, LOOKUP).await.json();
        assert_eq!((lookup["status"].as_str(), lookup["headline"].as_str()), (Some("valid"), Some("unknown")));
        let health = get(b_addr, "/healthz").await;
        assert_eq!((health.status, health.json()["status"].as_str()), (503, Some("trust.list_refused")));
        assert_eq!(b.refused_trust_list().map(|(sequence, _)| sequence), Some(2));
        // B decides with the list it holds, and the commit refuses that: not the newest.
        let v = call(b_addr, "POST", "/v1/verify", domestic_certificate(), Some("customs"), None).await;
        assert_eq!((v.status, v.json()["reason"].as_str()), (409, Some("trust.list_changed")), "{}", text(&v));
        // A decides with the new list.
        let v = call(a_addr, "POST", "/v1/verify", domestic_certificate(), Some("customs"), None).await;
        assert_eq!(v.status, 200, "{}", text(&v));
        // B tells no status list either (rule set 25): under the list it holds, its lists
        // would say what the rules in force do not. A tells them.
        for purpose in ["revocation", "suspension"] {
            let r = get(b_addr, &format!("/v1/status-lists/1/{purpose}")).await;
            assert_eq!((r.status, r.json()["reason"].as_str()), (503, Some("rules.refused")), "{}", text(&r));
        }
        assert_eq!(suspended(a_addr).await, Vec::<u32>::new());
    });
}

/// The exported domestic certificate's look-up.
const LOOKUP: &str = "/v1/certificates/CNCA-R-2002-001/04925Q10021R0M";

/// The status-list index an export's credential names.
fn slot_index(exported: &Response) -> u32 {
    let jws = exported.json()["documents"]["untp-dcc"].as_str().expect("credential").to_string();
    let vc: serde_json::Value =
        serde_json::from_slice(&mrgate::crypto::jws::parse(&jws).expect("jws").payload).expect("payload");
    vc["credentialStatus"][0]["statusListIndex"].as_str().expect("index").parse().expect("a number")
}

/// The indexes set in list 1's suspension list, as `addr` serves it.
async fn suspended(addr: SocketAddr) -> Vec<u32> {
    let r = get(addr, "/v1/status-lists/1/suspension").await;
    assert_eq!(r.status, 200, "{}", text(&r));
    let jws = String::from_utf8(r.body).expect("utf8");
    let vc: serde_json::Value =
        serde_json::from_slice(&mrgate::crypto::jws::parse(&jws).expect("jws").payload).expect("payload");
    mrgate::status_list::decode(vc["credentialSubject"]["encodedList"].as_str().expect("bits")).expect("list").0
}

/// An anonymous look-up on one node follows a list installed through another, as its
/// decisions do: CNAS's membership suspended before the certificate's issue day, the
/// headline on B is `unknown` at once, as a verification on either node would refuse it
/// (found by attack: B's look-up said `valid` under the list it held).
#[test]
fn a_look_up_on_one_node_follows_a_list_installed_through_the_other() {
    with_database(|store_url| async move {
        let dir = tempfile::tempdir().expect("tmp");
        let (_a, a_addr) = in_process_node(dir.path(), "a", &store_url, None).await;
        let (b, b_addr) = in_process_node(dir.path(), "b", &store_url, None).await;
        let exported = call(a_addr, "POST", "/v1/exports", domestic_certificate(), None, Some(&token())).await;
        assert_eq!(exported.status, 201, "{}", text(&exported));
        assert_eq!(get(b_addr, LOOKUP).await.json()["headline"], "valid");
        assert_eq!(suspended(b_addr).await, Vec::<u32>::new());
        let active = r#"scope = "ISO/IEC 17021-1", status = [{ status = "active", since = "2004-10-01T00:00:00Z" }]"#;
        let built = demo_list_as(dir.path(), |toml| {
            assert_eq!(toml.matches(active).count(), 1, "CNAS's membership as the demo list holds it");
            toml.replacen(
                active,
                &active.replace("}]", r#"}, { status = "suspended", since = "2025-01-01T00:00:00Z" }]"#),
                1,
            )
        });
        let installed = call(a_addr, "PUT", "/v1/admin/trust-list", built, Some("operator"), None).await;
        assert_eq!(installed.status, 200, "{}", text(&installed));
        assert_eq!(b.trust_list().sequence, 1, "B has read nothing since");
        let lookup = get(b_addr, LOOKUP).await.json();
        assert_eq!((lookup["status"].as_str(), lookup["headline"].as_str()), (Some("valid"), Some("unknown")));
        assert_eq!(b.trust_list().sequence, 2);
        // The suspension lists of both nodes hold it withheld (rule set 25): a W3C verifier
        // reads what the look-up says.
        let index = slot_index(&exported);
        for addr in [b_addr, a_addr] {
            assert_eq!(suspended(addr).await, vec![index]);
        }
        // A batch's look-up line on either node reads the same.
        let line = format!("{}\n", serde_json::json!({"issuer": "CNCA-R-2002-001", "number": "04925Q10021R0M"}));
        for addr in [a_addr, b_addr] {
            let r = call(addr, "POST", "/v1/verify/batch", line.clone().into_bytes(), Some("customs"), None).await;
            let answers = r.lines();
            let answer = (answers.len(), answers[0]["status"].as_str(), answers[0]["headline"].as_str());
            assert_eq!(answer, (1, Some("valid"), Some("unknown")), "{answers:?}");
        }
    });
}

/// A partner whose body a list installed through another node withdraws holds no role on
/// this node from the install on, before anything else made this node read the store's
/// list (found by attack: a withdrawn partner was still served on a node no decision had
/// made follow the store, for 35 s and more).
#[test]
fn a_list_installed_through_one_node_decides_who_calls_the_other() {
    with_database(|store_url| async move {
        let dir = tempfile::tempdir().expect("tmp");
        let (_a, a_addr) = in_process_node(dir.path(), "a", &store_url, None).await;
        let (b, b_addr) = in_process_node(dir.path(), "b", &store_url, None).await;
        let as_dakks = || call(b_addr, "POST", "/v1/recognitions", b"x".to_vec(), Some("partner-dakks"), None);
        assert_eq!(as_dakks().await.status, 200, "DAkkS is a partner on B");

        // DAkkS's service withdrawn, in a list installed through A.
        let granted = "certificates = [\"foreign/dakks/root.pem\"]\nservice_status = [{ status = \"granted\", since = \"2025-01-01T00:00:00Z\" }]";
        let withdrawn = "certificates = [\"foreign/dakks/root.pem\"]\nservice_status = [{ status = \"granted\", since = \"2025-01-01T00:00:00Z\" }, { status = \"withdrawn\", since = \"2026-02-01T00:00:00Z\" }]";
        let built = demo_list_as(dir.path(), |toml| {
            assert!(toml.contains(granted), "the demo description changed");
            toml.replace(granted, withdrawn)
        });
        let installed = call(a_addr, "PUT", "/v1/admin/trust-list", built, Some("operator"), None).await;
        assert_eq!(installed.status, 200, "{}", text(&installed));
        assert_eq!(b.trust_list().sequence, 1, "B has read nothing since");

        let r = as_dakks().await;
        assert_eq!((r.status, r.json()["reason"].as_str()), (403, Some("auth.issuer_not_allowed")), "{}", text(&r));
        assert_eq!(b.trust_list().sequence, 2);
        // UKAS, still granted, is not affected.
        let r = call(b_addr, "POST", "/v1/recognitions", b"x".to_vec(), Some("partner-ukas"), None).await;
        assert_eq!(r.status, 200, "{}", text(&r));
    });
}

/// A node left running beside one of a newer build decides nothing more (stop 59's open
/// item: it went on deciding by the rules the newer build retired, into the same log).
/// The newer build raises the database's rule set when it opens it — written here behind
/// the node's back, as such a build's open does. The node's decisions are then refused at
/// commit (503 `store.rule_set`), logged nowhere; its `/healthz` says why, so a load
/// balancer takes it out (its look-ups still answer); this build does not start on that
/// database. Once the rule set is this build's again, it decides on.
#[test]
fn a_node_of_an_older_rule_set_decides_nothing_once_a_newer_build_opened_the_database() {
    with_database(|store_url| async move {
        let dir = tempfile::tempdir().expect("tmp");
        let (a, addr) = in_process_node(dir.path(), "a", &store_url, None).await;
        let own: i64 = mrgate::decisions::RULE_SET.parse().expect("a whole number");
        let set = |rule_set: i64| {
            let url = store_url.clone();
            tokio::task::spawn_blocking(move || {
                let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
                client.execute("UPDATE deciding_rules SET rule_set = $1", &[&rule_set]).expect("write");
            })
        };
        let export = |number: &'static str| async move {
            call(addr, "POST", "/v1/exports", numbered_certificate(number), None, Some(&token())).await
        };
        assert_eq!(export("F-0001").await.status, 201);
        set(own + 1).await.expect("set");
        let size = a.log.size().expect("size");
        let detail = format!(
            "the store is decided by rule set {} since a node of that build started on it, and this node by rule \
             set {own}: nothing is decided here until this node runs a build of rule set {}",
            own + 1,
            own + 1
        );
        let refused = export("F-0002").await;
        assert_eq!(
            (refused.status, refused.json()["reason"].as_str(), refused.json()["detail"].as_str()),
            (503, Some("store.rule_set"), Some(detail.as_str())),
            "{}",
            text(&refused)
        );
        let verified = call(addr, "POST", "/v1/verify", domestic_certificate(), Some("customs"), None).await;
        assert_eq!((verified.status, verified.json()["reason"].as_str()), (503, Some("store.rule_set")));
        let health = get(addr, "/healthz").await;
        assert_eq!(
            (health.status, health.json()["status"].as_str(), health.json()["detail"].as_str()),
            (503, Some("store.rule_set"), Some(detail.as_str()))
        );
        assert_eq!(get(addr, "/v1/certificates/CNCA-R-2002-001/F-0002").await.status, 404);
        assert_eq!(a.log.size().expect("size"), size, "nothing logged");
        // This build does not start on it.
        let mut config = common::gateway::config(&dir.path().join("b"));
        config.store.url = Some(store_url.clone());
        config.log.adopt = true;
        let started = loaded(config).await.expect_err("refused");
        assert!(started.contains(&detail), "{started}");
        // A node that cannot start (its signing key missing) claims nothing: the database
        // of an older build's nodes stays theirs.
        set(own - 1).await.expect("set");
        let mut config = common::gateway::config(&dir.path().join("c"));
        config.store.url = Some(store_url.clone());
        config.log.adopt = true;
        config.signing.key = dir.path().join("missing.key");
        let started = loaded(config).await.expect_err("refused");
        assert!(started.contains("missing.key"), "{started}");
        assert_eq!(deciding(&store_url).await, own - 1, "not claimed");
        // Nor does `mrgate serve` on a port another process holds (node A's), or with TLS
        // files that do not read: it takes both before it opens the store (found by review:
        // the bind came after the claim, so a port in use fenced every older node).
        let taken = node_config(&dir.path().join("d"), &store_url);
        let text = std::fs::read_to_string(&taken).expect("config");
        assert!(text.contains("listen = \"127.0.0.1:0\""), "the example's listen line moved");
        std::fs::write(&taken, text.replace("listen = \"127.0.0.1:0\"", &format!("listen = \"{addr}\"")))
            .expect("edit");
        let no_tls = node_config(&dir.path().join("e"), &store_url);
        let text = std::fs::read_to_string(&no_tls).expect("config");
        assert!(text.contains("certs/demo/server.key"), "the example's TLS key moved");
        std::fs::write(&no_tls, text.replace("certs/demo/server.key", "certs/demo/missing-server.key")).expect("edit");
        for (config, said) in [(taken, addr.to_string()), (no_tls, "missing-server.key".to_string())] {
            let out = tokio::task::spawn_blocking(move || {
                Command::new(env!("CARGO_BIN_EXE_mrgate"))
                    .args(["serve", "--adopt-log", "--config", config.to_str().expect("path")])
                    .output()
                    .expect("mrgate serve")
            })
            .await
            .expect("joined");
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            assert_eq!((out.status.success(), stderr.contains(&said)), (false, true), "{stderr}");
            assert_eq!(deciding(&store_url).await, own - 1, "not claimed: {said}");
        }
        // Nor one whose configured trust list reuses the stored list's sequence for another
        // list: what the store holds refuses it, read before its claim.
        set(own).await.expect("set");
        let issued = |at: &'static str| move |toml: String| toml.replace("2026-01-01T00:00:00Z", at);
        let list_dir = |name: &str| {
            let made = dir.path().join(name);
            std::fs::create_dir_all(&made).expect("dir");
            made
        };
        let installed = demo_list_as(&list_dir("x"), issued("2026-01-02T00:00:00Z"));
        let reused = demo_list_as(&list_dir("y"), issued("2026-01-03T00:00:00Z"));
        let with_list = |name: &str, list: Vec<u8>| {
            let mut config = common::gateway::config(&dir.path().join(name));
            config.store.url = Some(store_url.clone());
            config.log.adopt = true;
            config.trust_list.file = dir.path().join(format!("{name}.xml"));
            std::fs::write(&config.trust_list.file, list).expect("list");
            config
        };
        let config = with_list("f", installed);
        loaded(config).await.expect("installs sequence 2");
        set(own - 1).await.expect("set");
        let config = with_list("g", reused);
        let started = loaded(config).await.expect_err("refused");
        assert!(started.starts_with("the trust list file has sequence 2, but a different list"), "{started}");
        assert_eq!(deciding(&store_url).await, own - 1, "not claimed: a list reused");
        // The database decided by this build's rule set again: the node decides on.
        set(own).await.expect("set");
        assert_eq!(get(addr, "/healthz").await.status, 200);
        assert_eq!(export("F-0002").await.status, 201);
    });
}

/// Rule set 28: nodes that start together on a database holding exporter's words beside
/// look-alike numbers the rules did not meet (made here in the database, as a gateway of
/// rule set 25 left them) sweep them once: one `look-alikes` entry, one event of the
/// gateway's per word, every word suspended; a node that read them before another's sweep
/// committed is refused at commit, reads again and finds nothing (else a second entry, or
/// a start failing).
#[test]
fn nodes_starting_together_sweep_the_look_alike_words_once() {
    with_database(|store_url| async move {
        const WORDS: usize = 12;
        let dir = tempfile::tempdir().expect("tmp");
        let (a, addr) = in_process_node(dir.path(), "a", &store_url, None).await;
        for i in 0..WORDS {
            let word = format!("S-OO{i:02}");
            let r = call(addr, "POST", "/v1/exports", numbered_certificate(&word), None, Some(&token())).await;
            assert_eq!(r.status, 201, "{word}: {}", text(&r));
        }
        drop(a);
        let url = store_url.clone();
        tokio::task::spawn_blocking(move || {
            let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
            client
                .batch_execute(
                    "INSERT INTO certificate (issuer, number, holder_credit_code, origin, status, document, recorded_at)
                     SELECT issuer, replace(number, 'OO', '00'), holder_credit_code, 'export', status, document, recorded_at
                     FROM certificate WHERE number LIKE 'S-OO%';
                     INSERT INTO status_event (issuer, number, status, since, actor, reference)
                     SELECT issuer, number, 'valid', '2026-01-01T00:00:00Z', 'exporter:demo', 'export:25'
                     FROM certificate WHERE number LIKE 'S-00%';",
                )
                .expect("the pairs of rule set 25");
        })
        .await
        .expect("joined");
        let configs: Vec<_> = (0..3).map(|i| node_config(&dir.path().join(format!("node{i}")), &store_url)).collect();
        let nodes = start_nodes(&configs);
        let url = store_url.clone();
        let (sweeps, events, suspended) = tokio::task::spawn_blocking(move || {
            let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
            let entries = client.query("SELECT entry FROM log_entry ORDER BY idx", &[]).expect("log");
            let kinds = entries.iter().map(|r| mrgate::ledger::entry::Entry::decode(r.get(0)).expect("entry").kind);
            let sweeps = kinds.filter(|k| k == "look-alikes").count();
            let mut count = |sql: &str| client.query_one(sql, &[]).expect(sql).get::<_, i64>(0);
            let events = count("SELECT count(*) FROM status_event WHERE reference = 'look-alike:sweep'");
            let suspended =
                count("SELECT count(*) FROM certificate WHERE number LIKE 'S-OO%' AND status = 'suspended'");
            (sweeps, events, suspended)
        })
        .await
        .expect("joined");
        assert_eq!((sweeps, events, suspended), (1, WORDS as i64, WORDS as i64));
        // Each node serves, and says the word is suspended.
        for node in &nodes {
            let held = get(node.addr, "/v1/certificates/CNCA-R-2002-001/S-OO00").await.json();
            assert_eq!(held["status"], "suspended", "{held}");
        }
    });
}
