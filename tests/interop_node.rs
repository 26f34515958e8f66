//! A foreign verifier that does not call our API: a Node.js script written only with the
//! VC tooling others use (`did-resolver` + `web-did-resolver`, `jose`, pinned by
//! `tests/interop/node/package-lock.json`, installed by `.ci/run`). Against the gateway over
//! HTTPS (the demo CA trusted through `NODE_EXTRA_CA_CERTS`), it resolves the exported
//! credential's issuer did:web, takes the key its `kid` names and verifies the JWS with it,
//! never reading `x5c`; a tampered credential and a key the DID document does not list are
//! refused.

mod common;

use common::gateway::{DEMO, call, config, domestic_certificate, token};
use mrgate::server::{App, start};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/node");

/// Whether node and the pinned packages are here (`npm ci` in tests/interop/node).
fn node_ready() -> bool {
    let ok = common::tool("node") && Path::new(DIR).join("node_modules/web-did-resolver").is_dir();
    if !ok {
        assert!(!common::required(), "node or tests/interop/node/node_modules is missing and MRGATE_REQUIRE_CORPUS=1");
        eprintln!("SKIPPED: run `npm ci` in tests/interop/node");
    }
    ok
}

/// The Node verifier's verdict on `credential`: its JSON line, and whether it exited 0.
fn node_verify(credential: &str, pinned: &str) -> (serde_json::Value, bool) {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("credential.jwt");
    std::fs::write(&file, credential).expect("write");
    let out = Command::new("node")
        .arg(Path::new(DIR).join("verify.mjs"))
        .arg(&file)
        .arg(pinned)
        .env("NODE_EXTRA_CA_CERTS", Path::new(DEMO).join("ca.pem"))
        .output()
        .expect("node");
    let line = String::from_utf8_lossy(&out.stdout);
    let verdict = serde_json::from_str(line.trim())
        .unwrap_or_else(|e| panic!("{e}: {line}\n{}", String::from_utf8_lossy(&out.stderr)));
    (verdict, out.status.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_verifier_resolves_the_issuer_did_and_verifies_without_x5c() {
    if !node_ready() {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let app = Arc::new(App::load(config(dir.path())).expect("app"));
    let running = start(Arc::clone(&app)).await.expect("start");
    let export = call(running.addr, "POST", "/v1/exports", domestic_certificate(), None, Some(&token())).await;
    assert_eq!(export.status, 201, "{}", String::from_utf8_lossy(&export.body));
    let credential = export.json()["documents"]["untp-dcc"].as_str().expect("jws").to_string();
    let did = format!("did:web:localhost%3A{}", running.addr.port());
    let kid = mrgate::crypto::jws::parse(&credential).expect("jws").header["kid"].as_str().expect("kid").to_string();

    // The node blocks on its own process; the gateway answers on this runtime meanwhile.
    let pinned = did.clone();
    let verify = |c: String| {
        let pinned = pinned.clone();
        tokio::task::spawn_blocking(move || node_verify(&c, &pinned))
    };
    let (verdict, ok) = verify(credential.clone()).await.expect("node");
    assert!(ok, "{verdict}");
    assert_eq!(verdict, serde_json::json!({"valid": true, "reason": "verified", "issuer": did, "kid": kid}));

    // The payload changed (the assessment level raised), the signature kept.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (head, rest) = credential.split_once('.').expect("dot");
    let (payload, signature) = rest.split_once('.').expect("dot");
    let text = String::from_utf8(b64.decode(payload).expect("b64")).expect("utf8");
    let changed = text.replace("\"assessmentLevel\":\"Accredited\"", "\"assessmentLevel\":\"GlobalMRA\"");
    let changed = if changed == text {
        text.replace("\"assessmentLevel\":\"GlobalMRA\"", "\"assessmentLevel\":\"Accredited\"")
    } else {
        changed
    };
    assert_ne!(changed, text);
    let tampered = format!("{head}.{}.{signature}", b64.encode(changed));
    let (verdict, ok) = verify(tampered).await.expect("node");
    assert!(!ok);
    assert_eq!(verdict["reason"], "signature", "{verdict}");

    // Signed by another key under a kid the DID document does not list.
    let other = mrgate::crypto::keys::SigningKey::from_pkcs8(
        &std::fs::read(Path::new(DEMO).join("foreign/dakks/signer.key")).expect("key"),
    )
    .expect("key");
    let parsed = mrgate::crypto::jws::parse(&credential).expect("jws");
    let forged = mrgate::crypto::jws::sign(&parsed.payload, &other, &[], Some(&format!("{did}#someone-else")), true)
        .expect("sign");
    let (verdict, ok) = verify(forged).await.expect("node");
    assert!(!ok);
    assert_eq!(verdict["reason"], "kid-not-listed", "{verdict}");
    // The same key claiming the gateway's kid: listed, but the signature is not its key's.
    let forged = mrgate::crypto::jws::sign(&parsed.payload, &other, &[], Some(&kid), true).expect("sign");
    let (verdict, ok) = verify(forged).await.expect("node");
    assert!(!ok);
    assert_eq!(verdict["reason"], "signature", "{verdict}");
    // Another did:web, naming the same body beside it: a DID proves who signed, so the
    // verifier pins the gateway's and refuses it before resolving anything.
    let mut elsewhere: serde_json::Value = serde_json::from_slice(&parsed.payload).expect("payload");
    elsewhere["issuer"]["id"] = "did:web:gateway.example".into();
    let forged = mrgate::crypto::jws::sign(
        &serde_json::to_vec(&elsewhere).expect("json"),
        &other,
        &[],
        Some("did:web:gateway.example#k"),
        true,
    )
    .expect("sign");
    let (verdict, ok) = verify(forged).await.expect("node");
    assert!(!ok);
    assert_eq!(verdict["reason"], "issuer-not-pinned", "{verdict}");
    running.task.abort();
}
