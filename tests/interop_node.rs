//! A foreign verifier that does not call our API: a Node.js script written only with the
//! VC tooling others use (`did-resolver` + `web-did-resolver`, `jose`, `jsonld`,
//! `@digitalbazaar/vc-bitstring-status-list`, the W3C contexts of
//! `@digitalbazaar/credentials-context`; pinned by `tests/interop/node/package-lock.json`,
//! installed by `.ci/run`). Against the gateway over HTTPS (the demo CA trusted through
//! `NODE_EXTRA_CA_CERTS`), it resolves the exported credential's issuer did:web, takes the
//! key its `kid` names and verifies the JWS with it, never reading `x5c`; expands the
//! credential as JSON-LD in safe mode with the contexts pinned (UNTP's released 0.6.0 one
//! from the corpus); fetches its status lists, verifies them with the same DID's key and
//! reads its bits. A suspension by the CB is then reported; a tampered credential, a key
//! the DID document does not list and a status list signed by another key are refused.

mod common;

use common::gateway::{DEMO, call, config, domestic_certificate, token};
use mrgate::server::{App, start};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/node");

/// UNTP's released DCC 0.6.0 JSON-LD context, from the corpus (never fetched).
fn untp_context() -> std::path::PathBuf {
    common::corpus().map(|c| c.join("untp/dcc-v0.6.0-context.jsonld")).unwrap_or_default()
}

/// Whether node, the pinned packages and the UNTP context are here (`npm ci` in
/// tests/interop/node; the corpus).
fn node_ready() -> bool {
    let ok = common::tool("node")
        && Path::new(DIR).join("node_modules/@digitalbazaar/vc-bitstring-status-list").is_dir()
        && untp_context().is_file();
    if !ok {
        assert!(!common::required(), "node or tests/interop/node/node_modules is missing and MRGATE_REQUIRE_CORPUS=1");
        eprintln!("SKIPPED: run `npm ci` in tests/interop/node");
    }
    ok
}

/// The Node verifier's verdict on `credential`: its JSON line, and whether it exited 0.
/// `list`, when given, is the status list credential it reads instead of fetching one.
fn node_verify(credential: &str, pinned: &str, list: Option<&str>) -> (serde_json::Value, bool) {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("credential.jwt");
    std::fs::write(&file, credential).expect("write");
    let mut node = Command::new("node");
    node.arg(Path::new(DIR).join("verify.mjs"))
        .arg(&file)
        .arg(pinned)
        .env("NODE_EXTRA_CA_CERTS", Path::new(DEMO).join("ca.pem"))
        .env("UNTP_CONTEXT", untp_context());
    if let Some(list) = list {
        let path = dir.path().join("list.jwt");
        std::fs::write(&path, list).expect("write");
        node.env("STATUS_LIST_JWS", path);
    }
    let out = node.output().expect("node");
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
    let verify_with = |c: String, list: Option<String>| {
        let pinned = pinned.clone();
        tokio::task::spawn_blocking(move || node_verify(&c, &pinned, list.as_deref()))
    };
    let verify = |c: String| verify_with(c, None);
    let (verdict, ok) = verify(credential.clone()).await.expect("node");
    assert!(ok, "{verdict}");
    let status = |revoked: bool, suspended: bool| serde_json::json!({"revocation": revoked, "suspension": suspended});
    assert_eq!(
        verdict,
        serde_json::json!({"valid": true, "reason": "verified", "issuer": did, "kid": kid, "status": status(false, false)})
    );

    // The certificate's CB suspends it (its own signer's notice, relayed by the exporter):
    // the same script, reading the status list, reports it suspended; restored, valid.
    let notice =
        |action: &str| common::partners::notice_of("CNCA-R-2002-001", action, "04925Q10021R0M", "cb/CNCA-R-2002-001");
    let n = call(running.addr, "POST", "/v1/notices", notice("suspend"), None, Some(&token())).await;
    assert_eq!(n.status, 200, "{}", String::from_utf8_lossy(&n.body));
    let (verdict, ok) = verify(credential.clone()).await.expect("node");
    assert!(!ok);
    assert_eq!(
        (verdict["reason"].as_str(), &verdict["status"]),
        (Some("suspended"), &status(false, true)),
        "{verdict}"
    );
    let n = call(running.addr, "POST", "/v1/notices", notice("restore"), None, Some(&token())).await;
    assert_eq!(n.status, 200, "{}", String::from_utf8_lossy(&n.body));
    let (verdict, ok) = verify(credential.clone()).await.expect("node");
    assert!(ok, "{verdict}");

    // A status list substituted on the way (another key under the gateway's kid): refused.
    let served = call(running.addr, "GET", "/v1/status-lists/1/revocation", vec![], None, None).await;
    assert_eq!(served.status, 200);
    let served = mrgate::crypto::jws::parse(std::str::from_utf8(&served.body).expect("utf8")).expect("jws");
    let other_key = mrgate::crypto::keys::SigningKey::from_pkcs8(
        &std::fs::read(Path::new(DEMO).join("foreign/dakks/signer.key")).expect("key"),
    )
    .expect("key");
    let substituted = mrgate::crypto::jws::sign(&served.payload, &other_key, &[], Some(&kid), true).expect("sign");
    let (verdict, ok) = verify_with(credential.clone(), Some(substituted)).await.expect("node");
    assert!(!ok);
    assert_eq!(verdict["reason"], "status-list-signature", "{verdict}");
    // The gateway's own key, but a list of another purpose in its place: refused.
    let suspension = call(running.addr, "GET", "/v1/status-lists/1/suspension", vec![], None, None).await;
    let swapped = String::from_utf8(suspension.body).expect("utf8");
    let (verdict, ok) = verify_with(credential.clone(), Some(swapped)).await.expect("node");
    assert!(!ok);
    assert_eq!(verdict["reason"], "status-list", "{verdict}");

    // Withdrawn by its CB: the revocation list says so, for good.
    let n = call(running.addr, "POST", "/v1/notices", notice("withdraw"), None, Some(&token())).await;
    assert_eq!(n.status, 200, "{}", String::from_utf8_lossy(&n.body));
    let (verdict, ok) = verify(credential.clone()).await.expect("node");
    assert!(!ok);
    assert_eq!((verdict["reason"].as_str(), &verdict["status"]), (Some("revoked"), &status(true, false)), "{verdict}");

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

/// Every UNTP credential the gateway writes expands as JSON-LD in safe mode against the
/// contexts it names (pinned, never fetched): translations of the domestic samples and the
/// fixtures, with the status the register type states, as `jsonld` reads them. UNTP's own
/// released instance and reference example expand too; one of ours with its status terms'
/// definitions taken out does not (the check can fail).
#[test]
fn every_credential_the_gateway_writes_expands_as_json_ld() {
    if !node_ready() {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let mut documents: Vec<(std::path::PathBuf, bool)> = Vec::new();
    let mut cn: Vec<Vec<u8>> = ["ccc-gb18030.xml", "ems-suspended.xml", "qms-valid.xml"]
        .iter()
        .map(|s| common::sample(s).expect("sample"))
        .collect();
    cn.push(include_bytes!("data/cn-qms.xml").to_vec());
    let limits = mrgate::xml::Limits::default();
    for (i, xml) in cn.iter().enumerate() {
        let cert = mrgate::formats::parse(mrgate::formats::Format::CnXml, xml, &limits).expect("sample");
        let rendered = mrgate::formats::render(mrgate::formats::Format::UntpDcc, &cert).bytes;
        let path = dir.path().join(format!("ours-{i}.json"));
        std::fs::write(&path, &rendered).expect("write");
        documents.push((path, true));
        if i == 0 {
            let mut stripped: serde_json::Value = serde_json::from_slice(&rendered).expect("json");
            stripped["credentialStatus"].as_object_mut().expect("status").remove("@context");
            let path = dir.path().join("ours-stripped.json");
            std::fs::write(&path, serde_json::to_vec(&stripped).expect("json")).expect("write");
            documents.push((path, false));
        }
    }
    let corpus = common::corpus().expect("corpus");
    for name in ["dcc-v0.6.0-instance.json", "dcc-v0.6.0-refimpl-example-data.json"] {
        documents.push((corpus.join("untp").join(name), true));
    }
    let out = Command::new("node")
        .arg(Path::new(DIR).join("expand.mjs"))
        .args(documents.iter().map(|(p, _)| p))
        .env("UNTP_CONTEXT", untp_context())
        .output()
        .expect("node");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), documents.len(), "{}", String::from_utf8_lossy(&out.stderr));
    for ((path, clean), line) in documents.iter().zip(&lines) {
        assert_eq!(line["file"], path.to_string_lossy().as_ref());
        assert_eq!(line["undefined"].is_null(), *clean, "{line}");
    }
    assert!(lines.last().is_some_and(|l| l["undefined"].is_null()));
    let stripped = lines.iter().find(|l| l["file"].as_str().is_some_and(|f| f.ends_with("ours-stripped.json")));
    assert!(
        stripped.and_then(|l| l["undefined"].as_str()).is_some_and(|u| u.contains("statusValue")
            || u.contains("CertificationRegisterStatus")
            || u.contains("statusDate")),
        "{stripped:?}"
    );
    assert!(!out.status.success(), "one document does not expand");
}
