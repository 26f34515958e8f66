//! The witness (c2sp.org/tlog-witness) over real HTTPS, started in-process on 127.0.0.1:0
//! over a temporary data directory, fed checkpoints of in-memory logs: what it cosigns, what
//! it refuses with which status and body, what it keeps as evidence, what survives a
//! restart, and two requests racing from one old size. Its cosignatures are checked by
//! mrgate's own verifier and by Python's `cryptography` (an implementation written from
//! c2sp.org/tlog-cosignature alone); the demo witness and the `mrgate witness` commands too.

mod common;

use common::gateway::{DEMO, Response, tls_client, try_call};
use mrgate::ledger::MemoryLog;
use mrgate::ledger::checkpoint::{Checkpoint, verifier_key};
use mrgate::ledger::cosignature::Witness;
use mrgate::ledger::entry::{Entry, document_digest};
use mrgate::witness::config::{Config, Tls, WatchedLog};
use mrgate::witness::request::AddCheckpoint;
use mrgate::witness::serve::{MAX_BODY_BYTES, Running, start};
use ring::signature::{Ed25519KeyPair, KeyPair};
use std::path::Path;
use std::process::Command;

const ORIGIN: &str = "log.example/witnessed";
const NAME: &str = "witness.example/w1";
const SIZE_TYPE: &str = "text/x.tlog.size";
const TEXT: &str = "text/plain; charset=utf-8";

fn pkcs8() -> Vec<u8> {
    Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).expect("gen").as_ref().to_vec()
}

fn key(pkcs8: &[u8]) -> Ed25519KeyPair {
    Ed25519KeyPair::from_pkcs8(pkcs8).expect("key")
}

/// A log of `entries` entries under `origin`, signed with `pkcs8`; logs made with the same
/// key, origin and `view` hold the same entries.
fn log(origin: &str, pkcs8: &[u8], entries: u64, view: &str) -> MemoryLog {
    let mut log = MemoryLog::new(origin, key(pkcs8));
    grow(&mut log, entries, view);
    log
}

fn grow(log: &mut MemoryLog, entries: u64, view: &str) {
    for _ in 0..entries {
        let entry = Entry {
            kind: "export".into(),
            time: "2026-11-26T00:00:00Z".into(),
            actor: "exporter:witness-test".into(),
            inputs: vec![document_digest(format!("{view}/{}", log.size()).as_bytes())],
            outputs: vec![],
            rules: Default::default(),
            verdict: "valid".into(),
            reasons: vec![],
        };
        log.append(&entry).expect("append");
    }
}

/// The add-checkpoint body for `log`'s current checkpoint, from `old`.
fn request(old: u64, log: &MemoryLog) -> Vec<u8> {
    let proof = if old == 0 { vec![] } else { log.tree().consistency_proof(old, log.size()).expect("proof") };
    AddCheckpoint { old, proof, checkpoint: log.checkpoint() }.encode()
}

/// A witness over `dir` (its key made there) watching `ORIGIN` under `log_pkcs8`'s key.
fn config(dir: &Path, log_pkcs8: &[u8]) -> Config {
    let key_path = dir.join("witness.key");
    if !key_path.exists() {
        let (pem, _) = mrgate::witness::key::generate().expect("key");
        std::fs::write(&key_path, pem).expect("write key");
    }
    let vkey = verifier_key(ORIGIN, key(log_pkcs8).public_key().as_ref()).expect("vkey");
    Config {
        listen: "127.0.0.1:0".into(),
        data_dir: dir.join("data"),
        name: NAME.into(),
        key: key_path,
        tls: Tls { certificate: format!("{DEMO}/server.pem").into(), key: format!("{DEMO}/server.key").into() },
        logs: vec![WatchedLog { origin: ORIGIN.into(), vkey }],
    }
}

async fn post(witness: &Running, body: Vec<u8>) -> Response {
    try_call(witness.addr(), "POST", "/add-checkpoint", body, None, &[]).await.expect("call")
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("time").as_secs()
}

fn text(r: &Response) -> String {
    String::from_utf8(r.body.clone()).expect("utf8")
}

/// The answer cosigned `log`'s current checkpoint now, by the witness that answered.
fn assert_cosigned(witness: &Running, log: &MemoryLog, r: &Response, before: u64) {
    assert_eq!((r.status, r.content_type.as_str()), (200, TEXT), "{}", text(r));
    let body = text(r);
    let name = &witness.cosigner().witness().name;
    assert!(body.starts_with(&format!("\u{2014} {name} ")) && body.ends_with('\n'), "{body:?}");
    assert_eq!(body.lines().count(), 1, "{body:?}");
    let client = Witness::from_verifier_key(&witness.verifier_key()).expect("vkey");
    let at = client.cosigned(&format!("{}{body}", log.checkpoint())).expect("the cosignature verifies");
    assert!((before..=now()).contains(&at), "timestamp {at}");
}

/// A refusal other than the stale-size one: its status, `text/plain`, `<code>: …`.
fn assert_refused(r: &Response, status: u16, code: &str) {
    assert_eq!((r.status, r.content_type.as_str()), (status, TEXT), "{}", text(r));
    assert!(text(r).starts_with(&format!("{code}: ")) && text(r).ends_with('\n'), "{code}: {}", text(r));
}

fn assert_stale(r: &Response, stored: u64) {
    assert_eq!((r.status, r.content_type.as_str(), text(r)), (409, SIZE_TYPE, format!("{stored}\n")));
}

#[tokio::test]
async fn a_log_is_cosigned_from_old_size_0_then_as_it_grows_by_proof() {
    let dir = tempfile::tempdir().expect("tmp");
    let log_key = pkcs8();
    let witness = start(&config(dir.path(), &log_key)).await.expect("start");
    let mut log = log(ORIGIN, &log_key, 5, "a");
    let before = now();
    assert_cosigned(&witness, &log, &post(&witness, request(0, &log)).await, before);
    grow(&mut log, 7, "a");
    assert_cosigned(&witness, &log, &post(&witness, request(5, &log)).await, before);
    // The same checkpoint again, from its own size: cosigned again, nothing changes.
    assert_cosigned(&witness, &log, &post(&witness, request(12, &log)).await, before);
    let latest = witness.cosigner().latest(ORIGIN).expect("state").expect("latest");
    assert_eq!((latest.size, latest.note), (12, log.checkpoint()));
    assert!(witness.cosigner().evidence().expect("evidence").is_empty());
    witness.stop().await;
}

#[tokio::test]
async fn a_stale_old_size_is_409_with_the_size_last_cosigned() {
    let dir = tempfile::tempdir().expect("tmp");
    let log_key = pkcs8();
    let witness = start(&config(dir.path(), &log_key)).await.expect("start");
    let mut log = log(ORIGIN, &log_key, 4, "a");
    assert_eq!(post(&witness, request(0, &log)).await.status, 200);
    // A client that does not know where the witness stands asks from 0, and is told.
    assert_stale(&post(&witness, request(0, &log)).await, 4);
    grow(&mut log, 6, "a");
    for old in [0, 3, 5, 10] {
        assert_stale(&post(&witness, request(old, &log)).await, 4);
    }
    assert_eq!(witness.cosigner().latest(ORIGIN).expect("state").map(|c| c.size), Some(4));
    // None of that is evidence: a stale client is not a misbehaving log.
    assert!(witness.cosigner().evidence().expect("evidence").is_empty());
    witness.stop().await;
}

#[tokio::test]
async fn a_proof_that_does_not_verify_is_422_and_kept_as_evidence() {
    let dir = tempfile::tempdir().expect("tmp");
    let log_key = pkcs8();
    let witness = start(&config(dir.path(), &log_key)).await.expect("start");
    let mut log = log(ORIGIN, &log_key, 5, "a");
    assert_eq!(post(&witness, request(0, &log)).await.status, 200);
    let first = log.checkpoint();
    grow(&mut log, 4, "a");
    let good = log.tree().consistency_proof(5, 9).expect("proof");
    let mut flipped = good.clone();
    flipped[0][0] ^= 1;
    let mut short = good.clone();
    short.pop();
    let mut long = good.clone();
    long.push([7; 32]);
    let mut bodies = Vec::new();
    for proof in [flipped, short, long, vec![]] {
        let body = AddCheckpoint { old: 5, proof, checkpoint: log.checkpoint() }.encode();
        assert_refused(&post(&witness, body.clone()).await, 422, "witness.proof");
        bodies.push(body);
    }
    // One row for the checkpoint, the first request that brought it: the others, the same
    // checkpoint with other bad proofs, add nothing (anyone can make bad proofs).
    let evidence = witness.cosigner().evidence().expect("evidence");
    assert_eq!(evidence.len(), 1);
    let kept = &evidence[0];
    assert_eq!(
        (kept.origin.as_str(), kept.reason.as_str(), kept.stored_note.as_deref(), &kept.request),
        (ORIGIN, "witness.proof", Some(first.as_str()), &bodies[0])
    );
    assert_eq!(witness.cosigner().latest(ORIGIN).expect("state").map(|c| c.size), Some(5));
    // The right proof still goes through.
    assert_eq!(post(&witness, request(5, &log)).await.status, 200);
    witness.stop().await;
}

#[tokio::test]
async fn a_split_view_at_the_same_size_is_409_and_both_checkpoints_are_kept() {
    let dir = tempfile::tempdir().expect("tmp");
    let log_key = pkcs8();
    let witness = start(&config(dir.path(), &log_key)).await.expect("start");
    let mut shown = log(ORIGIN, &log_key, 6, "shown to A");
    // The same key and origin over other entries: what the log shows someone else.
    let mut hidden = log(ORIGIN, &log_key, 6, "shown to B");
    assert_eq!(post(&witness, request(0, &shown)).await.status, 200);
    let split = request(6, &hidden);
    assert_refused(&post(&witness, split.clone()).await, 409, "witness.inconsistent");
    // Grown on, the other view's proof does not lead from the cosigned root either.
    grow(&mut hidden, 2, "shown to B");
    let grown = request(6, &hidden);
    assert_refused(&post(&witness, grown.clone()).await, 422, "witness.proof");
    let evidence = witness.cosigner().evidence().expect("evidence");
    let kept: Vec<_> = evidence.iter().map(|e| (e.reason.as_str(), e.stored_note.clone(), e.request.clone())).collect();
    assert_eq!(
        kept,
        [
            ("witness.inconsistent", Some(shown.checkpoint()), split.clone()),
            ("witness.proof", Some(shown.checkpoint()), grown)
        ]
    );
    // The evidence is a pair anyone can check: both checkpoints carry the log's signature,
    // for one size and two roots.
    let public = key(&log_key).public_key().as_ref().to_vec();
    let stored = Checkpoint::verify(evidence[0].stored_note.as_deref().expect("stored"), &public).expect("signed").0;
    let submitted = AddCheckpoint::parse(&evidence[0].request).expect("request").checkpoint;
    let other = Checkpoint::verify(&submitted, &public).expect("signed").0;
    assert_eq!(stored.size, other.size);
    assert_ne!(stored.root, other.root);
    // The view cosigned first goes on being cosigned.
    grow(&mut shown, 1, "shown to A");
    assert_eq!(post(&witness, request(6, &shown)).await.status, 200);
    witness.stop().await;
}

#[tokio::test]
async fn checkpoints_the_witness_may_not_cosign_are_404_403_and_400() {
    let dir = tempfile::tempdir().expect("tmp");
    let log_key = pkcs8();
    let witness = start(&config(dir.path(), &log_key)).await.expect("start");
    let watched = log(ORIGIN, &log_key, 3, "a");
    let at = |checkpoint: String| AddCheckpoint { old: 0, proof: vec![], checkpoint }.encode();
    // A log it does not watch, signed by that log's own key.
    let unknown = MemoryLog::new("log.example/other", key(&log_key));
    assert_refused(&post(&witness, request(0, &unknown)).await, 404, "witness.unknown_log");
    // The watched origin signed by another key; by the log's key under another name; with
    // no signature but a cosignature; with its signature edited out of the body's reach.
    let impostor = log(ORIGIN, &pkcs8(), 3, "a");
    assert_refused(&post(&witness, request(0, &impostor)).await, 403, "witness.not_signed");
    let cp = Checkpoint::verify(&watched.checkpoint(), key(&log_key).public_key().as_ref()).expect("own").0;
    assert_refused(
        &post(&witness, at(cp.sign("log.example/renamed", &key(&log_key)))).await,
        403,
        "witness.not_signed",
    );
    let body = cp.body();
    let cosigned_only = format!("{body}\n{}", mrgate::ledger::cosignature::cosign(&body, NAME, &key(&pkcs8()), 1));
    assert_refused(&post(&witness, at(cosigned_only)).await, 403, "witness.not_signed");
    let edited = watched.checkpoint().replacen("\n3\n", "\n2\n", 1);
    assert_refused(&post(&witness, at(edited)).await, 403, "witness.not_signed");
    // An old size past the checkpoint's own.
    let ahead = AddCheckpoint { old: 4, proof: vec![], checkpoint: watched.checkpoint() }.encode();
    assert_refused(&post(&witness, ahead).await, 400, "witness.old_size");
    // A proof from old size 0.
    let with_proof = AddCheckpoint { old: 0, proof: vec![[1; 32]], checkpoint: watched.checkpoint() }.encode();
    assert_refused(&post(&witness, with_proof).await, 422, "witness.proof");
    // Nothing was cosigned.
    assert_eq!(witness.cosigner().latest(ORIGIN).expect("state"), None);
    assert_eq!(witness.cosigner().latest("log.example/other").expect("state"), None);
    witness.stop().await;
}

#[tokio::test]
async fn requests_not_in_the_protocols_form_are_400() {
    let dir = tempfile::tempdir().expect("tmp");
    let log_key = pkcs8();
    let witness = start(&config(dir.path(), &log_key)).await.expect("start");
    let note = log(ORIGIN, &log_key, 3, "a").checkpoint();
    let (body, signature) = note.split_once("\n\n").expect("signed");
    // Notes of the watched log, malformed: a signature line that is not one, a size that is
    // not a number, no signature lines at all.
    let garbled = format!("{body}\n\n{signature}\u{2014} {ORIGIN} not base64!\n");
    let wordy = note.replacen("\n3\n", "\nthree\n", 1);
    let unsigned = format!("{body}\n");
    // Spellings Go's `note.Open` refuses, which this witness cosigned (found by attack): CR LF
    // signature lines, a control character in another line's key name.
    let crlf = format!("{body}\n\n{}", signature.replace('\n', "\r\n"));
    let seven = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
    let control = format!("{note}\u{2014} other\u{1}.example/log {seven}\n");
    for body in [
        format!("old 0\n\n{crlf}").into_bytes(),
        format!("old 0\n\n{control}").into_bytes(),
        Vec::new(),
        b"old 0\n".to_vec(),
        format!("old 0\n{note}").into_bytes(),
        format!("old 00\n\n{note}").into_bytes(),
        format!("old -1\n\n{note}").into_bytes(),
        format!("old 0\nnot a hash\n\n{note}").into_bytes(),
        format!("old 0\n\n{}", note.trim_end()).into_bytes(),
        format!("old 0\r\n\r\n{note}").into_bytes(),
        [b"old 0\n\n".as_slice(), b"\xff\xfe\n"].concat(),
        format!("old 0\n\n{garbled}").into_bytes(),
        format!("old 0\n\n{wordy}").into_bytes(),
        format!("old 0\n\n{unsigned}").into_bytes(),
    ] {
        assert_refused(&post(&witness, body).await, 400, "witness.request");
    }
    assert_eq!(witness.cosigner().latest(ORIGIN).expect("state"), None);
    witness.stop().await;
}

#[tokio::test]
async fn bodies_over_64_kib_are_413_and_other_routes_404_or_405() {
    let dir = tempfile::tempdir().expect("tmp");
    let log_key = pkcs8();
    let witness = start(&config(dir.path(), &log_key)).await.expect("start");
    let log = log(ORIGIN, &log_key, 3, "a");
    // A real request padded past the limit with extra signature lines.
    let mut body = request(0, &log);
    while body.len() <= MAX_BODY_BYTES {
        body.extend_from_slice(format!("\u{2014} pad.example/{} AAAA\n", body.len()).as_bytes());
    }
    assert_refused(&post(&witness, body.clone()).await, 413, "http.too_large");
    body.extend_from_slice(&vec![b'x'; 3 * MAX_BODY_BYTES]);
    assert_refused(&post(&witness, body.clone()).await, 413, "http.too_large");
    // Two megabytes are read on and answered 413 too, not reset (found by review).
    body.extend_from_slice(&vec![b'x'; 2 << 20]);
    assert_refused(&post(&witness, body).await, 413, "http.too_large");
    for (method, path, status, code) in [
        ("GET", "/add-checkpoint", 405, "http.method"),
        ("PUT", "/add-checkpoint", 405, "http.method"),
        ("POST", "/", 405, "http.method"),
        ("DELETE", "/healthz", 405, "http.method"),
        ("POST", "/add-checkpoint/", 404, "http.not_found"),
        ("POST", "/v1/add-checkpoint", 404, "http.not_found"),
        ("GET", "/checkpoint", 404, "http.not_found"),
    ] {
        let r = try_call(witness.addr(), method, path, request(0, &log), None, &[]).await.expect("call");
        assert_refused(&r, status, code);
    }
    assert_eq!(witness.cosigner().latest(ORIGIN).expect("state"), None);
    // What it is: name, verifier key, the logs it watches and where it stands on each.
    assert_eq!(post(&witness, request(0, &log)).await.status, 200);
    for path in ["/", "/healthz"] {
        let r = try_call(witness.addr(), "GET", path, vec![], None, &[]).await.expect("call");
        assert_eq!((r.status, r.content_type.as_str()), (200, "application/json"));
        let described = r.json();
        assert_eq!(described["witness"], NAME);
        assert_eq!(described["verifier_key"], witness.verifier_key().as_str());
        assert_eq!(described["logs"][0]["origin"], ORIGIN);
        assert_eq!(described["logs"][0]["cosigned_size"], 3);
        assert_eq!(described["logs"].as_array().map(Vec::len), Some(1));
    }
    witness.stop().await;
}

/// One client (here 127.0.0.2) holds at most `MAX_CONNECTIONS_PER_CLIENT` connections: more
/// from it are closed on arrival, while another client (127.0.0.1, a log) is still cosigned
/// (found by review: 256 connections kept alive from one address stopped the witness
/// cosigning for everyone). Its places come back when it lets go.
#[tokio::test]
async fn one_client_cannot_hold_every_connection() {
    use mrgate::witness::serve::MAX_CONNECTIONS_PER_CLIENT;
    let dir = tempfile::tempdir().expect("tmp");
    let log_key = pkcs8();
    let witness = start(&config(dir.path(), &log_key)).await.expect("start");
    let from = |ip: [u8; 4]| {
        let addr = witness.addr();
        async move {
            let socket = tokio::net::TcpSocket::new_v4().expect("socket");
            socket.bind(std::net::SocketAddr::from((ip, 0))).expect("bind");
            let tcp = socket.connect(addr).await.map_err(|e| e.to_string())?;
            let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
            tls_client(None).connect(name, tcp).await.map_err(|e| e.to_string())
        }
    };
    let mut held = Vec::new();
    for n in 0..MAX_CONNECTIONS_PER_CLIENT {
        held.push(from([127, 0, 0, 2]).await.unwrap_or_else(|e| panic!("connection {n}: {e}")));
    }
    assert!(from([127, 0, 0, 2]).await.is_err(), "one more from the same client is closed on arrival");
    let log = log(ORIGIN, &log_key, 3, "a");
    assert_eq!(post(&witness, request(0, &log)).await.status, 200, "another client is cosigned");
    drop(held);
    let started = std::time::Instant::now();
    while from([127, 0, 0, 2]).await.is_err() {
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "its places never came back");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    witness.stop().await;
}

/// Every place taken by clients at their cap of bare TCP connections (16 addresses of 16): a
/// log is still cosigned, one of theirs giving way (found by attack on the gateway, whose
/// connections the witness's share).
#[tokio::test]
async fn clients_at_their_cap_in_every_place_do_not_stop_cosigning() {
    use mrgate::witness::serve::{MAX_CONNECTIONS, MAX_CONNECTIONS_PER_CLIENT};
    use tokio::io::AsyncReadExt;
    let dir = tempfile::tempdir().expect("tmp");
    let log_key = pkcs8();
    let witness = start(&config(dir.path(), &log_key)).await.expect("start");
    let tcp_from = |ip: [u8; 4]| {
        let addr = witness.addr();
        async move {
            let socket = tokio::net::TcpSocket::new_v4().expect("socket");
            socket.bind(std::net::SocketAddr::from((ip, 0))).expect("bind");
            socket.connect(addr).await.expect("connect")
        }
    };
    let mut held = Vec::new();
    let clients = MAX_CONNECTIONS / MAX_CONNECTIONS_PER_CLIENT;
    for client in 0..clients {
        let ip = [127, 0, 1, u8::try_from(client + 1).expect("few clients")];
        for _ in 0..MAX_CONNECTIONS_PER_CLIENT {
            held.push(tcp_from(ip).await);
        }
        // One more is closed at once: the witness has taken those before it.
        let mut more = tcp_from(ip).await;
        let read = tokio::time::timeout(std::time::Duration::from_secs(10), more.read(&mut [0u8; 1])).await;
        assert!(matches!(read, Ok(Ok(0) | Err(_))), "client {client}: {read:?}");
    }
    let log = log(ORIGIN, &log_key, 3, "a");
    assert_eq!(post(&witness, request(0, &log)).await.status, 200, "the log is cosigned");
    drop(held);
    witness.stop().await;
}

#[tokio::test]
async fn one_kept_alive_connection_carries_many_requests() {
    use http_body_util::{BodyExt, Full};
    let dir = tempfile::tempdir().expect("tmp");
    let log_key = pkcs8();
    let witness = start(&config(dir.path(), &log_key)).await.expect("start");
    let tcp = tokio::net::TcpStream::connect(witness.addr()).await.expect("connect");
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    let tls = tls_client(None).connect(name, tcp).await.expect("tls");
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls)).await.expect("http");
    let driven = tokio::spawn(connection);
    let mut log = log(ORIGIN, &log_key, 1, "a");
    let mut old = 0;
    for _ in 0..5 {
        let req = hyper::Request::post("/add-checkpoint")
            .header("host", "localhost")
            .body(Full::new(bytes::Bytes::from(request(old, &log))))
            .expect("request");
        let response = sender.send_request(req).await.expect("send on the same connection");
        assert_eq!(response.status(), 200);
        let body = response.into_body().collect().await.expect("body").to_bytes();
        let client = Witness::from_verifier_key(&witness.verifier_key()).expect("vkey");
        assert!(client.cosigned(&format!("{}{}", log.checkpoint(), String::from_utf8_lossy(&body))).is_some());
        old = log.size();
        grow(&mut log, 3, "a");
    }
    drop(sender);
    let _ = driven.await;
    witness.stop().await;
}

#[tokio::test]
async fn the_record_survives_a_restart_and_one_directory_has_one_witness() {
    let dir = tempfile::tempdir().expect("tmp");
    let log_key = pkcs8();
    let config = config(dir.path(), &log_key);
    let witness = start(&config).await.expect("start");
    let vkey = witness.verifier_key();
    let mut log = log(ORIGIN, &log_key, 8, "a");
    assert_eq!(post(&witness, request(0, &log)).await.status, 200);
    // A second witness on the same directory is refused while the first runs.
    let second = start(&config).await.expect_err("the directory is held");
    assert_eq!(second.code(), "witness.state", "{second}");
    witness.stop().await;
    let witness = start(&config).await.expect("restart");
    assert_eq!(witness.verifier_key(), vkey);
    // Still at size 8: the stale request is refused with the size, the right one cosigned.
    assert_stale(&post(&witness, request(0, &log)).await, 8);
    grow(&mut log, 2, "a");
    assert_eq!(post(&witness, request(8, &log)).await.status, 200);
    witness.stop().await;
    let witness = start(&config).await.expect("restart");
    assert_stale(&post(&witness, request(8, &log)).await, 10);
    witness.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_requests_racing_from_one_old_size_exactly_one_is_cosigned() {
    let dir = tempfile::tempdir().expect("tmp");
    let log_key = pkcs8();
    let witness = start(&config(dir.path(), &log_key)).await.expect("start");
    assert_eq!(post(&witness, request(0, &log(ORIGIN, &log_key, 2, "a"))).await.status, 200);
    let mut stored = 2;
    for round in 0..12 {
        // Two checkpoints of one log, both from the size last cosigned: the same one twice
        // (even rounds), or one and a larger one (odd rounds).
        let near = log(ORIGIN, &log_key, stored + 1, "a");
        let far = log(ORIGIN, &log_key, stored + 1 + round % 2 * 3, "a");
        let (a, b) = tokio::join!(post(&witness, request(stored, &near)), post(&witness, request(stored, &far)));
        let (lost, winner) = match (a.status, b.status) {
            (200, 409) => (b, near.size()),
            (409, 200) => (a, far.size()),
            other => panic!("round {round}: {other:?}: {:?} / {:?}", text(&a), text(&b)),
        };
        // The loser is told the size the winner left, which is what the state holds.
        assert_stale(&lost, winner);
        stored = witness.cosigner().latest(ORIGIN).expect("state").expect("latest").size;
        assert_eq!(stored, winner, "round {round}");
    }
    assert!(witness.cosigner().evidence().expect("evidence").is_empty());
    witness.stop().await;
}

#[tokio::test]
async fn pythons_cryptography_verifies_the_cosignature() {
    if !common::tool("python3") {
        return;
    }
    let ready = Command::new("python3").args(["-c", "import cryptography"]).output().is_ok_and(|o| o.status.success());
    if !ready {
        assert!(!common::required(), "python3's cryptography is missing and MRGATE_REQUIRE_CORPUS=1");
        eprintln!("SKIPPED: python3's cryptography is missing");
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let log_key = pkcs8();
    let witness = start(&config(dir.path(), &log_key)).await.expect("start");
    let log = log(ORIGIN, &log_key, 21, "a");
    let before = now();
    let r = post(&witness, request(0, &log)).await;
    assert_eq!(r.status, 200);
    let check = |note: &str| {
        let path = dir.path().join("cosigned.note");
        std::fs::write(&path, note).expect("write");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/cosignature.py");
        Command::new("python3").arg(script).arg(witness.verifier_key()).arg(&path).output().expect("python3")
    };
    let cosigned = format!("{}{}", log.checkpoint(), text(&r));
    let ok = check(&cosigned);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let at: u64 = String::from_utf8_lossy(&ok.stdout).trim().parse().expect("a timestamp");
    assert!((before..=now()).contains(&at));
    // An edited checkpoint and an edited time are refused there too.
    let bad = check(&cosigned.replacen("\n21\n", "\n22\n", 1));
    assert!(!bad.status.success());
    let line = text(&r);
    let (head, sig) = line.trim_end().rsplit_once(' ').expect("sig");
    let mut blob = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, sig).expect("b64");
    blob[11] ^= 1;
    let moved = format!("{head} {}\n", base64::Engine::encode(&base64::engine::general_purpose::STANDARD, blob));
    let bad = check(&format!("{}{moved}", log.checkpoint()));
    assert!(!bad.status.success());
    witness.stop().await;
}

#[tokio::test]
async fn the_demo_witness_watches_the_demo_log_and_its_generator_writes_the_same_file() {
    let demo = Path::new(DEMO);
    let mut config = Config::load(&demo.join("witness.toml")).expect("the demo witness config loads");
    let log_public = std::fs::read(demo.join("log.pub")).expect("log.pub");
    let log_public = mrgate::crypto::keys::PublicKey::from_spki_pem(&log_public).expect("log key");
    let log_vkey = verifier_key(mrgate::pki::DEMO_LOG_ORIGIN, log_public.raw()).expect("vkey");
    assert_eq!(
        std::fs::read_to_string(demo.join("witness.toml")).expect("toml"),
        mrgate::pki::demo_witness_config(&log_vkey),
        "certs/demo/witness.toml is what `mrgate pki demo` writes for the committed log key"
    );
    assert_eq!(
        (config.name.as_str(), config.logs[0].vkey.as_str()),
        (mrgate::pki::DEMO_WITNESS_NAME, log_vkey.as_str())
    );
    // Served over a fresh directory, it cosigns the demo log's checkpoints.
    let dir = tempfile::tempdir().expect("tmp");
    config.data_dir = dir.path().to_path_buf();
    config.listen = "127.0.0.1:0".into();
    let witness = start(&config).await.expect("the demo witness starts");
    let log_key = mrgate::witness::key::read(&demo.join("log.key")).expect("log.key");
    let mut log = MemoryLog::new(mrgate::pki::DEMO_LOG_ORIGIN, log_key);
    grow(&mut log, 3, "demo");
    let before = now();
    assert_cosigned(&witness, &log, &post(&witness, request(0, &log)).await, before);
    let cli = common::mrgate(
        &["witness", "vkey", "--key", &format!("{DEMO}/witness.key"), "--name", mrgate::pki::DEMO_WITNESS_NAME],
        b"",
    );
    assert_eq!(String::from_utf8_lossy(&cli.stdout).trim(), witness.verifier_key());
    witness.stop().await;
}

#[test]
fn witness_key_makes_a_new_key_never_overwrites_and_vkey_reads_it_back() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("w.key");
    let out_arg = out.to_str().expect("path");
    let made = common::mrgate(&["witness", "key", "--out", out_arg, "--name", NAME], b"");
    assert_eq!(made.status.code(), Some(0), "{}", String::from_utf8_lossy(&made.stderr));
    let vkey = String::from_utf8(made.stdout).expect("utf8");
    let witness = Witness::from_verifier_key(vkey.trim()).expect("a cosigner verifier key");
    assert_eq!(witness.name, NAME);
    let key = mrgate::witness::key::read(&out).expect("the key reads back");
    assert_eq!(key.public_key().as_ref(), witness.public_key);
    let pem = std::fs::read_to_string(&out).expect("pem");
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI"), "PKCS#8 v1: {pem}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&out).expect("meta").permissions().mode() & 0o777, 0o600);
    }
    let shown = common::mrgate(&["witness", "vkey", "--key", out_arg, "--name", NAME], b"");
    assert_eq!((shown.status.code(), String::from_utf8_lossy(&shown.stdout)), (Some(0), vkey.as_str().into()));
    // Never over an existing file, which stays as it was.
    let again = common::mrgate(&["witness", "key", "--out", out_arg, "--name", NAME], b"");
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("error[io.write]"));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    assert_eq!(std::fs::read_to_string(&out).expect("pem"), pem);
    // Names a signed note cannot carry; keys that are not Ed25519.
    let other = dir.path().join("other.key");
    let other_arg = other.to_str().expect("path");
    for name in ["a witness", "w+1", ""] {
        let refused = common::mrgate(&["witness", "key", "--out", other_arg, "--name", name], b"");
        assert_eq!(refused.status.code(), Some(2), "{name:?}");
        assert!(String::from_utf8_lossy(&refused.stderr).contains("error[log.checkpoint_malformed]: --name"));
        assert!(!other.exists(), "nothing written for {name:?}");
    }
    let p256 = common::mrgate(&["witness", "vkey", "--key", &format!("{DEMO}/server.key"), "--name", NAME], b"");
    assert_eq!(p256.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&p256.stderr).contains("error[key.unknown_type]"));
    let config = common::mrgate(&["witness", "serve", "--config", "/no/such/witness.toml"], b"");
    assert_eq!(config.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&config.stderr).contains("error[witness.config]"));
}
