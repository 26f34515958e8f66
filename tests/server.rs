//! The gateway over real TLS on an ephemeral port: exports in, signed documents out, which
//! then verify through `/v1/verify`; look-ups by number; the log's proofs; authorization;
//! bad requests; a restart that keeps everything acknowledged.

mod common;

use bytes::Bytes;
use common::gateway::{
    DEMO, Refusing, call, config, domestic_certificate, load_config_when_released, load_when_released, tls_client,
    token,
};
use http_body_util::{BodyExt, Full};
use mrgate::ledger::entry::{RuleVersion, Rules};
use mrgate::server::{App, start};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_lookup_verify_and_prove() {
    let dir = tempfile::tempdir().expect("tmp");
    let app = Arc::new(App::load(config(dir.path())).expect("app"));
    let running = start(Arc::clone(&app)).await.expect("start");
    let addr = running.addr;

    let health = call(addr, "GET", "/healthz", vec![], None, None).await;
    assert_eq!((health.status, health.json()["status"].as_str()), (200, Some("ok")));

    let export = call(addr, "POST", "/v1/exports", domestic_certificate(), None, Some(&token())).await;
    assert_eq!(export.status, 201, "{}", String::from_utf8_lossy(&export.body));
    let e = export.json();
    // CNAS is an IAF MLA signatory for ISO/IEC 17021-1 in the demo list.
    assert_eq!(e["assessment_level"], "GlobalMRA");
    let jws = e["documents"]["untp-dcc"].as_str().expect("jws").to_string();
    let iaf = e["documents"]["iaf-xml"].as_str().expect("iaf").to_string();
    assert!(e["documents"]["iaf-json"].is_string());

    let by_id =
        call(addr, "GET", &format!("/v1/exports/{}", e["id"].as_str().expect("id")), vec![], None, Some(&token()))
            .await;
    assert_eq!(by_id.status, 200);
    assert_eq!(by_id.json()["receipt"], e["receipt"]);

    let lookup = call(addr, "GET", "/v1/certificates/CNCA-R-2002-001/04925Q10021R0M", vec![], None, None).await;
    assert_eq!((lookup.status, lookup.json()["status"].as_str()), (200, Some("valid")));
    assert_eq!(call(addr, "GET", "/v1/certificates/CNCA-R-2002-001/NOPE", vec![], None, None).await.status, 404);

    for doc in [jws.clone(), iaf] {
        let v = call(addr, "POST", "/v1/verify", doc.into_bytes(), Some("customs"), None).await;
        assert_eq!(v.status, 200);
        let body = v.json();
        assert_eq!(body["valid"], true, "{:#?}", body["checks"]);
        assert_eq!(body["status"], "valid");
        // The verification's receipt verifies offline against the log key.
        let receipt: mrgate::ledger::receipt::Receipt =
            serde_json::from_value(body["receipt"].clone()).expect("receipt");
        let key =
            mrgate::crypto::keys::PublicKey::from_spki_pem(&std::fs::read(format!("{DEMO}/log.pub")).expect("pub"))
                .expect("key");
        mrgate::ledger::receipt::verify(&receipt, key.raw(), None).expect("receipt verifies");
    }
    // A tampered credential is not valid, and says why.
    let (head, sig) = jws.rsplit_once('.').expect("dot");
    let flipped: String =
        sig.chars().enumerate().map(|(i, c)| if i == 10 { if c == 'A' { 'B' } else { 'A' } } else { c }).collect();
    let tampered = format!("{head}.{flipped}");
    let v = call(addr, "POST", "/v1/verify", tampered.into_bytes(), Some("customs"), None).await.json();
    assert_eq!(v["valid"], false);

    let checkpoint = call(addr, "GET", "/v1/log/checkpoint", vec![], None, None).await;
    assert!(checkpoint.content_type.starts_with("text/plain"));
    let text = String::from_utf8(checkpoint.body).expect("utf8");
    // Entry 0 installed the build's equivalence table, entry 1 the configured trust list;
    // then the export and three verdicts.
    assert!(text.starts_with("demo.mrgate.example/log\n6\n"), "{text}");
    let entries = call(addr, "GET", "/v1/log/entries?start=0&end=10", vec![], None, None).await.json();
    let entries = entries["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 6);
    use base64::Engine;
    let entry = |i: usize| {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(entries[i]["entry"].as_str().expect("entry"))
            .expect("b64");
        mrgate::ledger::entry::Entry::decode(&bytes).expect("entry")
    };
    let (table, list) = (entry(0), entry(1));
    assert_eq!(
        (table.kind.as_str(), table.actor.as_str(), table.verdict.as_str(), table.rules.table_digest()),
        ("equivalence-table", "build", "installed", Some(app.table().digest.as_str()))
    );
    assert_eq!(
        (list.kind.as_str(), list.actor.as_str(), list.verdict.as_str(), list.rules.trust_list_digest()),
        ("trust-list", "configuration", "installed", Some(app.trust_list().digest.as_str()))
    );
    let inclusion = call(addr, "GET", "/v1/log/proof/inclusion?index=1&size=6", vec![], None, None).await.json();
    assert_eq!(inclusion["tree_size"], 6);
    let consistency = call(addr, "GET", "/v1/log/proof/consistency?from=1&to=6", vec![], None, None).await;
    assert_eq!(consistency.status, 200);
    let key = call(addr, "GET", "/v1/log/key", vec![], None, None).await;
    assert_eq!(key.body, std::fs::read(format!("{DEMO}/log.pub")).expect("pub"));
    running.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_and_bad_requests() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut cfg = config(dir.path());
    cfg.limits.max_body_bytes = 64 * 1024;
    let app = Arc::new(App::load(cfg).expect("app"));
    let running = start(app).await.expect("start");
    let addr = running.addr;
    let cert = domestic_certificate();
    // (method, route, body, client certificate, bearer) → status
    type Case<'a> = (&'a str, &'a str, Vec<u8>, Option<&'a str>, Option<String>, u16);
    let cases: Vec<Case<'_>> = vec![
        ("POST", "/v1/exports", cert.clone(), None, None, 401),
        ("POST", "/v1/exports", cert.clone(), Some("customs"), None, 403),
        ("POST", "/v1/exports", cert.clone(), None, Some("not-the-token".into()), 401),
        ("POST", "/v1/exports", cert.clone(), Some("exporter"), None, 201),
        ("POST", "/v1/exports", cert.clone(), None, Some(token()), 201),
        ("POST", "/v1/verify", b"x".to_vec(), None, None, 401),
        ("POST", "/v1/verify", b"x".to_vec(), Some("exporter"), None, 403),
        ("POST", "/v1/verify", b"x".to_vec(), Some("customs"), None, 200),
        ("POST", "/v1/verify", b"x".to_vec(), Some("partner-dakks"), None, 200),
        ("POST", "/v1/verify", b"x".to_vec(), Some("operator"), None, 200),
        ("GET", "/v1/exports/unknown", vec![], Some("customs"), None, 403),
        ("GET", "/v1/exports/unknown", vec![], Some("operator"), None, 404),
        ("GET", "/v1/trust-list", vec![], None, None, 200),
        ("DELETE", "/v1/trust-list", vec![], Some("operator"), None, 405),
        ("GET", "/nowhere", vec![], None, None, 404),
        ("POST", "/v1/verify/public", vec![], None, None, 400),
        ("GET", "/page/secret.txt", vec![], None, None, 404),
        ("GET", "/page/../Cargo.toml", vec![], None, None, 404),
    ];
    for (method, path, body, client, bearer, expected) in cases {
        let r = call(addr, method, path, body, client, bearer.as_deref()).await;
        assert_eq!(r.status, expected, "{method} {path} as {client:?}: {}", String::from_utf8_lossy(&r.body));
        if expected >= 400 {
            assert_eq!(r.content_type, "application/problem+json", "{method} {path}");
            assert!(r.json()["reason"].is_string());
        }
    }
    // Malformed XML: 400 (RFC 9110: a syntax the server cannot read) with the reason code
    // and the position.
    let bad = String::from_utf8(cert.clone()).expect("utf8").replacen("</Holder>", "</Holdr>", 1);
    let r = call(addr, "POST", "/v1/exports", bad.into_bytes(), Some("exporter"), None).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["reason"], "xml.malformed");
    assert!(r.json()["detail"].as_str().expect("detail").starts_with("28:"));
    // A suspended certificate is not exported.
    let suspended =
        String::from_utf8(cert.clone()).expect("utf8").replacen("<Status>有效</Status>", "<Status>暂停</Status>", 1);
    let r = call(addr, "POST", "/v1/exports", suspended.into_bytes(), Some("exporter"), None).await;
    assert_eq!((r.status, r.json()["reason"].as_str()), (422, Some("status.suspended")));
    // Oversized body.
    let r = call(addr, "POST", "/v1/verify", vec![b'x'; 100 * 1024], Some("customs"), None).await;
    assert_eq!((r.status, r.json()["reason"].as_str()), (413, Some("http.too_large")));
    running.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_everything_acknowledged() {
    let dir = tempfile::tempdir().expect("tmp");
    let (first, old) = {
        let app = Arc::new(App::load(config(dir.path())).expect("app"));
        let running = start(Arc::clone(&app)).await.expect("start");
        let r = call(running.addr, "POST", "/v1/exports", domestic_certificate(), Some("exporter"), None).await;
        assert_eq!(r.status, 201);
        running.task.abort();
        (r.json(), Arc::downgrade(&app))
    };
    // While the old gateway holds the store, another cannot open it.
    if old.strong_count() > 0 {
        let e = App::load(config(dir.path())).expect_err("the store is in use");
        assert!(e.contains("in use by another mrgate process"), "{e}");
    }
    let app = Arc::new(load_when_released(dir.path()).await.expect("app again"));
    let running = start(Arc::clone(&app)).await.expect("start again");
    let lookup = call(running.addr, "GET", "/v1/certificates/CNCA-R-2002-001/04925Q10021R0M", vec![], None, None).await;
    assert_eq!(lookup.status, 200);
    let export = call(
        running.addr,
        "GET",
        &format!("/v1/exports/{}", first["id"].as_str().expect("id")),
        vec![],
        Some("exporter"),
        None,
    )
    .await;
    assert_eq!(export.status, 200);
    assert_eq!(app.log.size().expect("size"), 3, "the build's table, the configured trust list and the export");
    running.task.abort();
}

mod partners {
    use super::*;
    use common::partners::{foreign_credential, foreign_credential_with, notice};

    /// A notice signed by `signed_by`, sent by the partner whose client certificate is `client`.
    async fn send_notice(
        addr: std::net::SocketAddr,
        action: &str,
        number: &str,
        signed_by: &str,
        client: &str,
    ) -> common::gateway::Response {
        call(addr, "POST", "/v1/notices", notice(action, number, signed_by), Some(client), None).await
    }

    /// A recognized credential's values the profile reads but does not keep (its
    /// assessment's topic, its time of validity) are in the recognition's `lost`, with
    /// what CN XML cannot carry: nothing is dropped silently on the way into the register.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_recognition_names_what_the_register_does_not_keep() {
        let dir = tempfile::tempdir().expect("tmp");
        let app = Arc::new(App::load(config(dir.path())).expect("app"));
        let running = start(Arc::clone(&app)).await.expect("start");
        let (jws, _) = foreign_credential_with("foreign/dakks/signer", |vc| {
            vc["credentialSubject"]["assessment"][0]["conformityTopic"] = "environment.energy".into();
            let from = vc["validFrom"].as_str().unwrap_or_default().replace("T00:00:00", "T08:30:00");
            vc["validFrom"] = from.into();
        });
        let r = call(running.addr, "POST", "/v1/recognitions", jws.into_bytes(), Some("partner-dakks"), None).await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(
            r.json()["lost"],
            serde_json::json!([
                "/validFrom",
                "/credentialSubject/assessment/conformityTopic",
                "Signature",
                "AssessmentLevel"
            ])
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn recognition_notices_and_who_may_touch_what() {
        let dir = tempfile::tempdir().expect("tmp");
        let app = Arc::new(App::load(config(dir.path())).expect("app"));
        let running = start(Arc::clone(&app)).await.expect("start");
        let addr = running.addr;
        let (jws, number) = foreign_credential("foreign/dakks/signer");

        // Another partner may not submit DAkkS's certificates.
        let r = call(addr, "POST", "/v1/recognitions", jws.clone().into_bytes(), Some("partner-ukas"), None).await;
        assert_eq!((r.status, r.json()["reason"].as_str()), (403, Some("auth.not_your_body")));
        assert_eq!(
            call(addr, "POST", "/v1/recognitions", jws.clone().into_bytes(), Some("customs"), None).await.status,
            403
        );

        let r = call(addr, "POST", "/v1/recognitions", jws.clone().into_bytes(), Some("partner-dakks"), None).await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        let body = r.json();
        assert_eq!(body["valid"], true);
        assert!(body["cn_xml"].as_str().expect("cn").contains("<BodyId>dakks-cb</BodyId>"));
        // What the register's CN XML does not keep: nothing of the credential itself here.
        assert_eq!(body["lost"], serde_json::json!(["Signature", "AssessmentLevel"]));
        let path = format!("/v1/certificates/dakks-cb/{number}");
        assert_eq!(call(addr, "GET", &path, vec![], None, None).await.json()["status"], "valid");

        // A notice suspends it, and customs sees that at once.
        let r = send_notice(addr, "suspend", &number, "foreign/dakks/signer", "partner-dakks").await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.json()["status"], "suspended");
        let v = call(addr, "POST", "/v1/verify", jws.clone().into_bytes(), Some("customs"), None).await.json();
        assert_eq!((v["valid"].as_bool(), v["status"].as_str()), (Some(false), Some("suspended")));
        let lookup = call(addr, "GET", &path, vec![], None, None).await.json();
        let history: Vec<&str> =
            lookup["history"].as_array().expect("h").iter().map(|e| e["status"].as_str().expect("s")).collect();
        assert_eq!(history, ["valid", "suspended"]);
        // The look-up was answered from memory before the notice; it must not be now.
        assert_eq!((lookup["status"].as_str(), lookup["headline"].as_str()), (Some("suspended"), Some("suspended")));

        // Restore works.
        let r = send_notice(addr, "restore", &number, "foreign/dakks/signer", "partner-dakks").await;
        assert_eq!(r.json()["status"], "valid");
        assert_eq!(
            call(addr, "POST", "/v1/verify", jws.clone().into_bytes(), Some("customs"), None).await.json()["valid"],
            true
        );
        let lookup = call(addr, "GET", &path, vec![], None, None).await.json();
        assert_eq!((lookup["headline"].as_str(), lookup["history"].as_array().map(Vec::len)), (Some("valid"), Some(3)));

        // Another partner cannot touch DAkkS's certificate; a notice signed by the wrong body is refused.
        let r = send_notice(addr, "withdraw", &number, "foreign/ukas/signer", "partner-ukas").await;
        assert_eq!((r.status, r.json()["reason"].as_str()), (403, Some("auth.not_your_body")));
        let r = send_notice(addr, "withdraw", &number, "foreign/ukas/signer", "partner-dakks").await;
        assert_eq!(r.status, 422);
        // A certificate never recognized: its status alone is registered, nothing else changes.
        let r = send_notice(addr, "withdraw", "UNKNOWN-1", "foreign/dakks/signer", "partner-dakks").await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        let unknown = call(addr, "GET", "/v1/certificates/dakks-cb/UNKNOWN-1", vec![], None, None).await.json();
        assert_eq!((&unknown["status"], &unknown["origin"]), (&"withdrawn".into(), &"notice".into()));
        assert_eq!(call(addr, "GET", &path, vec![], None, None).await.json()["status"], "valid");

        // A certificate signed by the revoked signer is refused, and not stored: the
        // registered one (same number) keeps its status and its history of three.
        let (revoked, _) = foreign_credential("foreign/dakks/revoked-signer");
        let r = call(addr, "POST", "/v1/recognitions", revoked.into_bytes(), Some("partner-dakks"), None).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["valid"], false);
        let lookup = call(addr, "GET", &path, vec![], None, None).await.json();
        assert_eq!((lookup["status"].as_str(), lookup["history"].as_array().map(Vec::len)), (Some("valid"), Some(3)));
        running.task.abort();
    }

    /// Nothing is registered that is not logged: while the log's store refuses entries (as a
    /// failing disk would), neither an export nor a recognition registers its certificate,
    /// and no notice changes a status; once it takes them again, all do, with receipts.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn nothing_is_registered_that_is_not_logged() {
        let dir = tempfile::tempdir().expect("tmp");
        let running = start(Arc::new(App::load(config(dir.path())).expect("app"))).await.expect("start");
        let addr = running.addr;
        let (jws, number) = foreign_credential("foreign/dakks/signer");
        let exported = "/v1/certificates/CNCA-R-2002-001/04925Q10021R0M";
        let recognized = format!("/v1/certificates/dakks-cb/{number}");

        let refusing = Refusing::log(dir.path());
        let token = token();
        let export = || call(addr, "POST", "/v1/exports", domestic_certificate(), None, Some(&token));
        let recognize =
            || call(addr, "POST", "/v1/recognitions", jws.clone().into_bytes(), Some("partner-dakks"), None);
        for refused in [export().await, recognize().await] {
            assert_eq!(
                (refused.status, refused.json()["reason"].as_str()),
                (503, Some("store.database")),
                "{}",
                String::from_utf8_lossy(&refused.body)
            );
        }
        for path in [exported, recognized.as_str()] {
            let r = call(addr, "GET", path, vec![], None, None).await;
            assert_eq!(r.status, 404, "{path} was registered without a log entry");
        }

        drop(refusing);
        let (e, r) = (export().await, recognize().await);
        assert_eq!((e.status, r.status), (201, 201), "{}", String::from_utf8_lossy(&r.body));
        for (path, decision) in [(exported, e.json()), (recognized.as_str(), r.json())] {
            let found = call(addr, "GET", path, vec![], None, None).await;
            assert_eq!((found.status, found.json()["status"].as_str()), (200, Some("valid")), "{path}");
            assert!(decision["receipt"]["index"].is_u64(), "{decision}");
        }

        // Nor does a notice change a status the log has not taken.
        let refusing = Refusing::log(dir.path());
        let suspend = || send_notice(addr, "suspend", &number, "foreign/dakks/signer", "partner-dakks");
        let refused = suspend().await;
        assert_eq!((refused.status, refused.json()["reason"].as_str()), (503, Some("store.database")));
        assert_eq!(call(addr, "GET", &recognized, vec![], None, None).await.json()["status"], "valid");
        drop(refusing);
        let suspended = suspend().await;
        assert_eq!(suspended.status, 200, "{}", String::from_utf8_lossy(&suspended.body));
        assert!(suspended.json()["receipt"]["index"].is_u64());
        assert_eq!(call(addr, "GET", &recognized, vec![], None, None).await.json()["status"], "suspended");
        running.task.abort();
    }

    /// The other half: a decision whose effect on the store fails is not logged either. The
    /// entry and the effect are one commit.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn nothing_is_logged_that_did_not_take_effect() {
        let dir = tempfile::tempdir().expect("tmp");
        let app = Arc::new(App::load(config(dir.path())).expect("app"));
        let running = start(Arc::clone(&app)).await.expect("start");
        let addr = running.addr;
        let (jws, number) = foreign_credential("foreign/dakks/signer");
        let recognized = format!("/v1/certificates/dakks-cb/{number}");
        let token = token();
        let size = || app.log.size().expect("size");
        let refused = |r: &common::gateway::Response, status: u16, reason: &str| {
            assert_eq!(
                (r.status, r.json()["reason"].as_str()),
                (status, Some(reason)),
                "{}",
                String::from_utf8_lossy(&r.body)
            );
        };

        let refusing = Refusing::writes(dir.path(), "INSERT ON certificate");
        let export = call(addr, "POST", "/v1/exports", domestic_certificate(), None, Some(&token)).await;
        refused(&export, 503, "store.database");
        let recognize =
            || call(addr, "POST", "/v1/recognitions", jws.clone().into_bytes(), Some("partner-dakks"), None);
        refused(&recognize().await, 503, "store.database");
        assert_eq!(size(), 2, "an export or recognition was logged without its registration");
        drop(refusing);
        // What is returned is stored with the entry too.
        let refusing = Refusing::writes(dir.path(), "INSERT ON decision");
        refused(&recognize().await, 503, "store.database");
        assert_eq!((size(), call(addr, "GET", &recognized, vec![], None, None).await.status), (2, 404));
        drop(refusing);
        let r = recognize().await;
        assert_eq!((r.status, size()), (201, 3), "{}", String::from_utf8_lossy(&r.body));

        let refusing = Refusing::writes(dir.path(), "INSERT ON status_event");
        refused(
            &send_notice(addr, "suspend", &number, "foreign/dakks/signer", "partner-dakks").await,
            503,
            "store.database",
        );
        assert_eq!(call(addr, "GET", &recognized, vec![], None, None).await.json()["status"], "valid");
        drop(refusing);
        // A notice for a certificate never recorded registers its status alone: with it, or
        // not at all and not logged.
        let refusing = Refusing::writes(dir.path(), "INSERT ON certificate");
        let unknown = send_notice(addr, "suspend", "NO-SUCH-NUMBER", "foreign/dakks/signer", "partner-dakks").await;
        refused(&unknown, 503, "store.database");
        let path = "/v1/certificates/dakks-cb/NO-SUCH-NUMBER";
        assert_eq!((size(), call(addr, "GET", path, vec![], None, None).await.status), (3, 404));
        drop(refusing);

        let refusing = Refusing::writes(dir.path(), "INSERT ON trust_list");
        let list = demo_list_with_sequence(dir.path(), 2);
        let install = call(addr, "PUT", "/v1/admin/trust-list", list.into_bytes(), Some("operator"), None).await;
        refused(&install, 503, "store.database");
        assert_eq!((app.trust_list().sequence, size()), (1, 3));
        drop(refusing);

        // The export logged at last is the one the look-up and the export's own page prove.
        let export = call(addr, "POST", "/v1/exports", domestic_certificate(), None, Some(&token)).await;
        assert_eq!((export.status, size()), (201, 4), "{}", String::from_utf8_lossy(&export.body));
        let id = export.json()["id"].as_str().expect("id").to_string();
        let kept = call(addr, "GET", &format!("/v1/exports/{id}"), vec![], None, Some(&token)).await;
        assert_eq!(kept.status, 200, "{}", String::from_utf8_lossy(&kept.body));
        assert_eq!(kept.json()["receipt"]["index"], 3);
        assert_eq!(kept.json()["documents"], export.json()["documents"]);
        running.task.abort();
    }
}

/// A decision stored before its log index was kept (schema 2) names its entry only in the
/// receipt it was given; that receipt is proved again against the latest checkpoint, as a
/// new decision's is. One that names no entry is none the gateway stored — every decision
/// is committed with its entry — and is not served (found by review: served unchecked, its
/// documents could be anything).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decisions_stored_before_their_index_was_kept_prove_their_receipt_afresh() {
    let dir = tempfile::tempdir().expect("tmp");
    let running = start(Arc::new(App::load(config(dir.path())).expect("app"))).await.expect("start");
    let addr = running.addr;
    let token = token();
    let export = call(addr, "POST", "/v1/exports", domestic_certificate(), None, Some(&token)).await;
    assert_eq!(export.status, 201, "{}", String::from_utf8_lossy(&export.body));
    let db = rusqlite::Connection::open(dir.path().join("mrgate.db")).expect("db");
    db.execute_batch(
        r#"INSERT INTO decision (id, kind, json) VALUES
             ('old', 'export', '{"id":"old","receipt":{"index":2,"tree_size":3,"hashes":["stale"]}}'),
             ('bare', 'export', '{"id":"bare"}');"#,
    )
    .expect("old decisions");
    // Two more entries, so a fresh proof differs from the one stored.
    for _ in 0..2 {
        assert_eq!(call(addr, "POST", "/v1/exports", domestic_certificate(), None, Some(&token)).await.status, 201);
    }
    let key = mrgate::crypto::keys::PublicKey::from_spki_pem(&std::fs::read(format!("{DEMO}/log.pub")).expect("pub"))
        .expect("key");
    for path in ["/v1/receipts/old", "/v1/exports/old"] {
        let r = call(addr, "GET", path, vec![], None, Some(&token)).await;
        assert_eq!(r.status, 200, "{path}: {}", String::from_utf8_lossy(&r.body));
        let body = r.json();
        let receipt = if path.contains("receipts") { body } else { body["receipt"].clone() };
        assert_eq!((receipt["index"].as_u64(), receipt["tree_size"].as_u64()), (Some(2), Some(5)), "{path}");
        let receipt: mrgate::ledger::receipt::Receipt = serde_json::from_value(receipt).expect("receipt");
        let verified = mrgate::ledger::receipt::verify(&receipt, key.raw(), None).expect("receipt verifies");
        assert_eq!(verified.entry.kind, "export");
    }
    for (path, token) in [("/v1/receipts/bare", None), ("/v1/exports/bare", Some(token.as_str()))] {
        let bare = call(addr, "GET", path, vec![], None, token).await;
        assert_eq!((bare.status, bare.json()["reason"].as_str()), (503, Some("store.database")), "{path}");
        let detail = bare.json()["detail"].as_str().unwrap_or_default().to_string();
        assert!(detail.contains("the stored decision bare names no log entry"), "{detail}");
    }
    running.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_install_newer_trust_lists_only() {
    let dir = tempfile::tempdir().expect("tmp");
    let app = Arc::new(App::load(config(dir.path())).expect("app"));
    let running = start(Arc::clone(&app)).await.expect("start");
    let addr = running.addr;
    let list = demo_list_with_sequence(dir.path(), 2);

    assert_eq!(
        call(addr, "PUT", "/v1/admin/trust-list", list.clone().into_bytes(), Some("customs"), None).await.status,
        403
    );
    let forged = list.replacen(">suspended<", ">active<", 1);
    assert_eq!(
        call(addr, "PUT", "/v1/admin/trust-list", forged.into_bytes(), Some("operator"), None).await.status,
        422
    );
    // While the log refuses entries, nothing is installed or stored.
    let refusing = Refusing::log(dir.path());
    let r = call(addr, "PUT", "/v1/admin/trust-list", list.clone().into_bytes(), Some("operator"), None).await;
    assert_eq!((r.status, r.json()["reason"].as_str()), (503, Some("store.database")));
    assert_eq!(app.store.trust_lists().expect("versions").len(), 1);
    assert_eq!(app.trust_list().sequence, 1);
    drop(refusing);
    let r = call(addr, "PUT", "/v1/admin/trust-list", list.clone().into_bytes(), Some("operator"), None).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["sequence"], 2);
    assert_eq!(call(addr, "GET", "/healthz", vec![], None, None).await.json()["trust_list"]["sequence"], 2);
    assert_eq!(call(addr, "GET", "/v1/trust-list", vec![], None, None).await.body, list.as_bytes());
    let again = call(addr, "PUT", "/v1/admin/trust-list", list.clone().into_bytes(), Some("operator"), None).await;
    assert_eq!((again.status, again.json()["reason"].as_str()), (409, Some("trust.sequence")));
    assert_eq!(app.store.trust_lists().expect("versions").len(), 2);
    running.task.abort();
    drop((running, app));

    // A restart keeps the installed list, though the configuration still names sequence 1:
    // falling back would trust again what the newer list withdrew.
    let app = Arc::new(load_when_released(dir.path()).await.expect("app again"));
    assert_eq!(app.trust_list().sequence, 2);
    let running = start(Arc::clone(&app)).await.expect("start again");
    assert_eq!(call(running.addr, "GET", "/v1/trust-list", vec![], None, None).await.body, list.as_bytes());
    running.task.abort();
    drop((running, app));

    // And if the installed list no longer verifies, the gateway does not start on the older
    // file: it says why.
    let db = rusqlite::Connection::open(dir.path().join("mrgate.db")).expect("db");
    let tampered = list.replacen(">suspended<", ">active<", 1);
    db.execute("UPDATE trust_list SET document = ?1 WHERE sequence = 2", [tampered.as_bytes()]).expect("tamper");
    let e = load_when_released(dir.path()).await.expect_err("a tampered installed list");
    assert!(
        e.contains("trust list 2") && e.contains("can no longer be used") && e.contains("[dsig.digest_mismatch]"),
        "{e}"
    );
}

/// The demo trust list, signed by the demo operator, with another sequence number.
fn demo_list_with_sequence(scratch: &std::path::Path, sequence: u64) -> String {
    demo_list_edited(scratch, sequence, |toml| toml)
}

/// The demo trust list with another sequence number and its description (TOML) edited,
/// signed by the demo operator.
fn demo_list_edited(scratch: &std::path::Path, sequence: u64, edit: impl Fn(String) -> String) -> String {
    let description = edit(std::fs::read_to_string(format!("{DEMO}/trust-list.toml")).expect("toml"))
        .replace("sequence = 1", &format!("sequence = {sequence}"));
    let tmp = scratch.join(format!("seq{sequence}.toml"));
    std::fs::write(
        &tmp,
        description
            .replace("\"ca.pem\"", &format!("\"{DEMO}/ca.pem\""))
            .replace("\"foreign/", &format!("\"{DEMO}/foreign/"))
            .replace("\"cb/", &format!("\"{DEMO}/cb/")),
    )
    .expect("write");
    let key = mrgate::crypto::keys::SigningKey::from_pkcs8(
        &std::fs::read(format!("{DEMO}/trust-list-operator.key")).expect("k"),
    )
    .expect("key");
    let chain =
        mrgate::crypto::x509::read_certificates(&std::fs::read(format!("{DEMO}/trust-list-operator.pem")).expect("c"))
            .expect("chain");
    mrgate::trust::build::build(&tmp, &key, &chain).expect("build")
}

/// A CB may export a certificate dated while its accreditor's membership was suspended
/// (an export decides no membership), but nothing the gateway answers of it may say
/// "valid": every verification of the export refuses it, and the look-up's headline is not
/// `valid` either, though the register holds it valid (found by attack, rule set 20: the
/// headline said `valid`). Nor does the export state `GlobalMRA`, whether the membership is
/// suspended still or active again (found by attack, rule set 23: the level was the
/// membership's today, and an export dated inside a lapse that had ended was signed as
/// `GlobalMRA`, which the gateway's own verification of it refused).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_during_its_accreditors_suspension_is_valid_nowhere() {
    // CNAS's IAF MLA membership for ISO/IEC 17021-1 suspended since before the demo
    // certificate's issue day (2025-01-10), and still; then suspended over that day only.
    let active = r#"scope = "ISO/IEC 17021-1", status = [{ status = "active", since = "2004-10-01T00:00:00Z" }]"#;
    let suspended = r#"scope = "ISO/IEC 17021-1", status = [{ status = "active", since = "2004-10-01T00:00:00Z" },
        { status = "suspended", since = "2025-01-01T00:00:00Z" }]"#;
    let lapsed = r#"scope = "ISO/IEC 17021-1", status = [{ status = "active", since = "2004-10-01T00:00:00Z" },
        { status = "suspended", since = "2025-01-01T00:00:00Z" }, { status = "active", since = "2025-02-01T00:00:00Z" }]"#;
    for history in [suspended, lapsed] {
        let dir = tempfile::tempdir().expect("tmp");
        let app = Arc::new(App::load(config(dir.path())).expect("app"));
        let running = start(Arc::clone(&app)).await.expect("start");
        let addr = running.addr;
        let list = demo_list_edited(dir.path(), 2, |toml| {
            assert_eq!(toml.matches(active).count(), 1, "CNAS's membership as the demo list holds it");
            toml.replacen(active, history, 1)
        });
        let r = call(addr, "PUT", "/v1/admin/trust-list", list.into_bytes(), Some("operator"), None).await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));

        let export = call(addr, "POST", "/v1/exports", domestic_certificate(), None, Some(&token())).await;
        assert_eq!(export.status, 201, "{}", String::from_utf8_lossy(&export.body));
        let e = export.json();
        assert_eq!(e["assessment_level"], "Accredited", "{history}");
        let path = "/v1/certificates/CNCA-R-2002-001/04925Q10021R0M";
        let lookup = call(addr, "GET", path, vec![], None, None).await.json();
        let headline = (lookup["status"].as_str(), lookup["headline"].as_str());
        assert_eq!(headline, (Some("valid"), Some("unknown")), "{history}");
        assert_eq!(lookup["facts"]["assessment_level"], "Accredited", "{history}");
        for format in ["untp-dcc", "iaf-xml"] {
            let document = e["documents"][format].as_str().expect("document").to_string();
            let v = call(addr, "POST", "/v1/verify", document.into_bytes(), Some("customs"), None).await.json();
            let checks = v["checks"].as_array().expect("checks");
            let failed: Vec<_> = checks
                .iter()
                .filter(|c| c["outcome"] == "fail")
                .map(|c| (c["check"].as_str(), c["reason"].as_str()))
                .collect();
            assert_eq!(v["valid"], false, "{format} {history}");
            assert_eq!(failed, [(Some("accreditation"), Some("trust.mra_suspended"))], "{format} {history}");
        }
        // The batch's look-up line reads the same headline.
        let line = format!("{}\n", serde_json::json!({"issuer": "CNCA-R-2002-001", "number": "04925Q10021R0M"}));
        let r = call(addr, "POST", "/v1/verify/batch", line.into_bytes(), Some("customs"), None).await;
        let answers = r.lines();
        let answer = (answers.len(), answers[0]["status"].as_str(), answers[0]["headline"].as_str());
        assert_eq!(answer, (1, Some("valid"), Some("unknown")), "{answers:?} {history}");
        running.task.abort();
    }
}

/// The list a configuration names comes into force through the log, as one installed over
/// the API does, and only once; a sequence names one list, so a changed list under an
/// installed sequence is refused at start and at reload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configured_trust_list_is_logged_once_and_a_sequence_names_one_list() {
    let dir = tempfile::tempdir().expect("tmp");
    let scratch = tempfile::tempdir().expect("tmp");
    let last_entry = |app: &App| {
        let size = app.log.size().expect("size");
        let bytes = app.store.log_entries(size - 1, size).expect("entries").pop().expect("entry");
        mrgate::ledger::entry::Entry::decode(&bytes).expect("entry")
    };
    let demo_digest = {
        let app = App::load(config(dir.path())).expect("app");
        let first = last_entry(&app);
        assert_eq!((app.log.size().expect("size"), first.actor.as_str()), (2, "configuration"));
        assert_eq!(
            (first.verdict.as_str(), first.reasons.clone()),
            ("installed", vec!["trust.sequence.1".to_string()])
        );
        let list = app.trust_list();
        let table = app.table();
        assert_eq!(
            first.rules,
            Rules::V2 {
                trust_list: Some(RuleVersion { sequence: list.sequence, digest: list.digest.clone() }),
                equivalence_table: Some(RuleVersion { sequence: 3, digest: table.digest.clone() }),
                crls: Some(app.crls.set_digest().into()),
                rule_set: Some(mrgate::decisions::RULE_SET.into()),
            }
        );
        app.trust_list().digest.clone()
    };
    let app = App::load(config(dir.path())).expect("restart");
    assert_eq!(app.log.size().expect("size"), 2, "the same list and table again are not installed again");
    drop(app);

    // The demo list re-signed now: the same sequence, other bytes.
    let changed = scratch.path().join("changed.xml");
    std::fs::write(&changed, demo_list_with_sequence(scratch.path(), 1)).expect("write");
    let mut cfg = config(dir.path());
    cfg.trust_list.file = changed.clone();
    let Err(e) = App::load(cfg) else { panic!("a changed list under sequence 1 is refused") };
    assert!(e.contains("has sequence 1, but a different list") && e.contains(&demo_digest), "{e}");

    let newer = scratch.path().join("newer.xml");
    std::fs::write(&newer, demo_list_with_sequence(scratch.path(), 2)).expect("write");
    let mut cfg = config(dir.path());
    cfg.trust_list.file = newer;
    let app = Arc::new(App::load(cfg.clone()).expect("a newer list"));
    assert_eq!((app.log.size().expect("size"), app.trust_list().sequence), (3, 2));
    assert_eq!(last_entry(&app).reasons, vec!["trust.sequence.2".to_string()]);
    let running = start(Arc::clone(&app)).await.expect("start");
    // A reload naming a changed sequence-2 list is refused and keeps the list in force.
    let mut next = cfg.clone();
    next.trust_list.file = scratch.path().join("newer-changed.xml");
    let mut other = demo_list_with_sequence(scratch.path(), 2);
    while other == std::fs::read_to_string(&cfg.trust_list.file).expect("read") {
        std::thread::sleep(std::time::Duration::from_millis(200));
        other = demo_list_with_sequence(scratch.path(), 2);
    }
    std::fs::write(&next.trust_list.file, other).expect("write");
    let e = running.reload(next).expect_err("refused");
    assert!(e.contains("has sequence 2, but a different list") && e.contains(&app.trust_list().digest), "{e}");
    let in_force = running.app().trust_list();
    assert_eq!((in_force.sequence, running.app().log.size().expect("size")), (2, 3));
    assert_eq!(in_force.digest, app.trust_list().digest);
    running.shutdown(std::time::Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_installs_at_once_the_newer_list_stays_in_force() {
    let scratch = tempfile::tempdir().expect("tmp");
    let lists: Vec<Vec<u8>> = (2..=3).map(|n| demo_list_with_sequence(scratch.path(), n).into_bytes()).collect();
    // A race: each round a fresh gateway takes sequences 2 and 3 at the same time.
    for round in 0..5 {
        let dir = tempfile::tempdir().expect("tmp");
        let running = start(Arc::new(App::load(config(dir.path())).expect("app"))).await.expect("start");
        let put = |l: &Vec<u8>| call(running.addr, "PUT", "/v1/admin/trust-list", l.clone(), Some("operator"), None);
        let (older, newer) = tokio::join!(put(&lists[0]), put(&lists[1]));
        assert_eq!(newer.status, 200, "{}", String::from_utf8_lossy(&newer.body));
        // The older one either went first or was refused as not newer; never after.
        assert!(matches!(older.status, 200 | 409), "{}", older.status);
        let health = call(running.addr, "GET", "/healthz", vec![], None, None).await;
        assert_eq!(health.json()["trust_list"]["sequence"], 3, "round {round}");
        running.task.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_the_public_rate_limit() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut cfg = config(dir.path());
    cfg.limits.public_rate_per_second = 1.0;
    cfg.limits.public_burst = 5.0;
    let app = Arc::new(App::load(cfg).expect("app"));
    let running = start(Arc::clone(&app)).await.expect("start");
    let addr = running.addr;
    let export = call(addr, "POST", "/v1/exports", domestic_certificate(), Some("exporter"), None).await;
    assert_eq!(export.status, 201);
    // Anonymous callers get a burst of 5, then 429 with Retry-After.
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(
            call(addr, "GET", "/v1/certificates/CNCA-R-2002-001/04925Q10021R0M", vec![], None, None).await.status,
        );
    }
    assert_eq!(&statuses[..5], &[200; 5]);
    assert!(statuses[5..].contains(&429), "{statuses:?}");
    // Callers with a client certificate are not limited.
    for _ in 0..8 {
        assert_eq!(
            call(addr, "GET", "/v1/certificates/CNCA-R-2002-001/04925Q10021R0M", vec![], Some("customs"), None)
                .await
                .status,
            200
        );
    }
    let metrics =
        String::from_utf8(call(addr, "GET", "/metrics", vec![], Some("operator"), None).await.body).expect("utf8");
    for needle in [
        "mrgate_requests_total{route=\"POST /v1/exports\",status=\"201\"} 1",
        "mrgate_requests_total{route=\"GET /v1/certificates/{issuer}/{number}\",status=\"429\"}",
        "mrgate_request_duration_seconds_bucket{route=\"POST /v1/exports\",le=\"+Inf\"} 1",
        "mrgate_verdicts_total{reason=\"export.exported\"} 1",
        // The configured trust list's install is recorded (and counted) as any decision is.
        "mrgate_verdicts_total{reason=\"trust-list.installed\"} 1",
        "mrgate_log_append_seconds_count 3",
        "mrgate_log_tree_size 3",
        "mrgate_log_commits_total 3",
        "mrgate_trust_list_age_seconds ",
        "mrgate_log_checkpoint_age_seconds ",
    ] {
        assert!(metrics.contains(needle), "missing {needle} in\n{metrics}");
    }
    running.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_verification_streams_ten_thousand_lines() {
    let dir = tempfile::tempdir().expect("tmp");
    let app = Arc::new(App::load(config(dir.path())).expect("app"));
    let running = start(Arc::clone(&app)).await.expect("start");
    let addr = running.addr;
    let export = call(addr, "POST", "/v1/exports", domestic_certificate(), Some("exporter"), None).await.json();
    let jws = export["documents"]["untp-dcc"].as_str().expect("jws").to_string();

    let mut input = String::new();
    for i in 0..10_000 {
        match i % 1000 {
            0 => input.push_str(&serde_json::json!({"document": jws}).to_string()),
            1 => input.push_str("not json"),
            2 => input.push_str("{\"issuer\":\"CNCA-R-2002-001\",\"number\":\"NOPE\"}"),
            _ => input.push_str("{\"issuer\":\"CNCA-R-2002-001\",\"number\":\"04925Q10021R0M\"}"),
        }
        input.push('\n');
    }
    // Send the body and read the answer frame by frame.
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let tls =
        tls_client(Some("customs")).connect(ServerName::try_from("localhost").expect("name"), tcp).await.expect("tls");
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls)).await.expect("handshake");
    tokio::spawn(conn);
    let req = hyper::Request::builder()
        .method("POST")
        .uri("/v1/verify/batch")
        .header("host", "localhost")
        .body(Full::new(Bytes::from(input)))
        .expect("request");
    let resp = sender.send_request(req).await.expect("send");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/x-ndjson");
    let mut body = resp.into_body();
    let (mut frames, mut text) = (0, Vec::new());
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.expect("frame").into_data() {
            frames += 1;
            text.extend_from_slice(&data);
        }
    }
    let lines: Vec<serde_json::Value> =
        String::from_utf8(text).expect("utf8").lines().map(|l| serde_json::from_str(l).expect("json line")).collect();
    assert_eq!(lines.len(), 10_000);
    assert!(frames > 100, "the answer arrived in {frames} frames: not streamed");
    assert_eq!(lines[0]["valid"], true);
    assert_eq!(lines[1]["error"]["reason"], "format.json");
    assert_eq!((lines[2]["found"].as_bool(), lines[2]["status"].as_str()), (Some(false), Some("unknown")));
    assert_eq!((lines[3]["line"].as_u64(), lines[3]["status"].as_str()), (Some(4), Some("valid")));
    assert_eq!(lines[9999]["line"], 10_000);
    // In input order, each line once, however the lines were grouped to be decided and the
    // answers joined into frames.
    let numbers: Vec<u64> = lines.iter().map(|l| l["line"].as_u64().expect("line")).collect();
    assert_eq!(numbers, (1..=10_000).collect::<Vec<u64>>());

    // More than 10,000 lines: the 10,001st is refused.
    let too_many = "{\"issuer\":\"a\",\"number\":\"b\"}\n".repeat(10_001);
    let r = call(addr, "POST", "/v1/verify/batch", too_many.into_bytes(), Some("customs"), None).await;
    let text = String::from_utf8(r.body).expect("utf8");
    assert_eq!(text.lines().count(), 10_001);
    assert!(text.lines().last().expect("last").contains("batch.too_many_lines"));
    assert_eq!(call(addr, "POST", "/v1/verify/batch", b"{}".to_vec(), None, None).await.status, 401);
    running.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_verification_page_and_its_public_api() {
    let dir = tempfile::tempdir().expect("tmp");
    let app = Arc::new(App::load(config(dir.path())).expect("app"));
    let running = start(Arc::clone(&app)).await.expect("start");
    let addr = running.addr;

    // The page and its two files, each with a policy that allows only this origin's scripts.
    for (path, kind) in [("/", "text/html"), ("/page/app.js", "text/javascript"), ("/page/app.css", "text/css")] {
        let r = call(addr, "GET", path, vec![], None, None).await;
        assert_eq!(r.status, 200, "{path}");
        assert!(r.content_type.starts_with(kind), "{path}: {}", r.content_type);
    }
    let page = String::from_utf8(call(addr, "GET", "/", vec![], None, None).await.body).expect("utf8");
    assert!(page.contains(r#"<script src="/page/app.js" defer></script>"#));
    assert!(!page.contains("http://") && !page.contains("https://"), "the page loads nothing from elsewhere");

    let export = call(addr, "POST", "/v1/exports", domestic_certificate(), None, Some(&token())).await.json();
    let jws = export["documents"]["untp-dcc"].as_str().expect("jws").to_string();

    // Anyone may verify through the page's route; the decision is logged under `public`.
    let v = call(addr, "POST", "/v1/verify/public", jws.clone().into_bytes(), None, None).await;
    assert_eq!(v.status, 200);
    let v = v.json();
    assert_eq!((v["valid"].as_bool(), v["status"].as_str()), (Some(true), Some("valid")));
    assert_eq!(v["facts"]["holder_credit_code"], "91310110666007217T");
    assert_eq!(v["facts"]["expiry_date"], "2028-01-09");
    assert_eq!(v["facts"]["standards"][0], "GB/T 19001-2016/ISO 9001:2015");
    let receipt: mrgate::ledger::receipt::Receipt = serde_json::from_value(v["receipt"].clone()).expect("receipt");
    let key = mrgate::crypto::keys::PublicKey::from_spki_pem(&std::fs::read(format!("{DEMO}/log.pub")).expect("pub"))
        .expect("key");
    let verified = mrgate::ledger::receipt::verify(&receipt, key.raw(), Some(jws.as_bytes())).expect("receipt");
    assert_eq!(verified.entry.actor, "public");
    // A document that cannot be trusted shows no facts.
    let tampered = jws.replacen('.', ".x", 1);
    let v = call(addr, "POST", "/v1/verify/public", tampered.into_bytes(), None, None).await.json();
    assert_eq!((v["valid"].as_bool(), v["facts"].is_null()), (Some(false), true));

    // The look-up carries the headline, the facts and the export's receipt.
    let c = call(addr, "GET", "/v1/certificates/CNCA-R-2002-001/04925Q10021R0M", vec![], None, None).await.json();
    assert_eq!((c["status"].as_str(), c["headline"].as_str()), (Some("valid"), Some("valid")));
    assert_eq!(c["facts"]["number"], "04925Q10021R0M");
    // The same entry, proved against the checkpoint current when the look-up first read it.
    let proved = |r: &serde_json::Value| (r["index"].clone(), r["entry"].clone());
    assert_eq!(proved(&c["receipt"]), proved(&export["receipt"]));
    assert!(c["receipt"]["tree_size"].as_u64() >= export["receipt"]["tree_size"].as_u64());
    let receipt: mrgate::ledger::receipt::Receipt = serde_json::from_value(c["receipt"].clone()).expect("receipt");
    let verified = mrgate::ledger::receipt::verify(&receipt, key.raw(), None).expect("receipt");
    assert_eq!((verified.entry.kind.as_str(), verified.index), ("export", 2));
    running.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_link_to_their_receipts_and_entries_are_found_by_hash() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut cfg = config(dir.path());
    cfg.public_url = Some("https://gateway.example.cn/".into());
    let app = Arc::new(App::load(cfg).expect("app"));
    let running = start(Arc::clone(&app)).await.expect("start");
    let addr = running.addr;
    let key = mrgate::crypto::keys::PublicKey::from_spki_pem(&std::fs::read(format!("{DEMO}/log.pub")).expect("pub"))
        .expect("key");
    let export = call(addr, "POST", "/v1/exports", domestic_certificate(), None, Some(&token())).await.json();
    let id = export["id"].as_str().expect("id");
    let jws = export["documents"]["untp-dcc"].as_str().expect("jws");

    // The signed credential names its receipt's URL under the configured public URL.
    let payload = jws.split('.').nth(1).expect("payload");
    use base64::Engine;
    let vc: serde_json::Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).expect("b64"))
            .expect("json");
    let link = &vc["credentialSubject"]["auditableEvidence"];
    assert_eq!(link["linkURL"], format!("https://gateway.example.cn/v1/receipts/{id}"));
    // No type: the schema's default, which the UNTP context does not define.
    assert_eq!(link.get("type"), None);
    // …and the credential with its link still meets the UNTP DCC schema.
    if let Some(validator) = common::dcc_validator() {
        let errors = common::schema_errors(&validator, &vc);
        assert!(errors.is_empty(), "{errors:#?}");
    }

    // Following the link gives a receipt that verifies against the credential itself, and is
    // proved against the latest checkpoint even after the log has grown.
    call(addr, "POST", "/v1/verify", jws.as_bytes().to_vec(), Some("customs"), None).await;
    let r = call(addr, "GET", &format!("/v1/receipts/{id}"), vec![], None, None).await;
    assert_eq!(r.status, 200);
    let receipt: mrgate::ledger::receipt::Receipt = serde_json::from_value(r.json()).expect("receipt");
    assert_eq!((receipt.index, receipt.tree_size), (2, 4));
    mrgate::ledger::receipt::verify(&receipt, key.raw(), Some(jws.as_bytes())).expect("receipt verifies");
    assert_eq!(call(addr, "GET", "/v1/receipts/0123abcd", vec![], None, None).await.status, 404);
    assert_eq!(call(addr, "POST", "/v1/receipts/x", vec![], None, None).await.status, 405);

    // Inclusion proofs by leaf hash: base64 (percent-encoded or URL-safe) and hex all find it.
    let leaf = receipt.leaf_hash.clone();
    let raw = base64::engine::general_purpose::STANDARD.decode(&leaf).expect("leaf");
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let percent = leaf.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D");
    let url_safe = leaf.replace('+', "-").replace('/', "_").trim_end_matches('=').to_string();
    for form in [percent, url_safe, hex] {
        let p = call(addr, "GET", &format!("/v1/log/proof/inclusion?hash={form}"), vec![], None, None).await;
        assert_eq!(p.status, 200, "{form}: {}", String::from_utf8_lossy(&p.body));
        let p = p.json();
        assert_eq!((p["index"].as_u64(), p["tree_size"].as_u64()), (Some(2), Some(4)));
        assert_eq!(p["leaf_hash"], leaf.as_str());
    }
    let unknown = "A".repeat(43) + "=";
    for (query, status, reason) in [
        (format!("hash={unknown}"), 404, "log.not_found"),
        ("hash=not-a-hash".to_string(), 400, "http.query"),
        ("hash=%ZZ".to_string(), 400, "http.query"),
        (format!("hash={}", "ab".repeat(31)), 400, "http.query"),
        (format!("index=0&hash={hex}", hex = "00".repeat(32)), 400, "http.query"),
        (String::new(), 400, "http.query"),
        // One spelling per number and one value per parameter (found by attack: `01` and
        // `%2B1` read as 1, and of two values the first counted).
        ("index=01&size=3".to_string(), 400, "http.query"),
        ("index=%2B1&size=3".to_string(), 400, "http.query"),
        ("index=1&size=03".to_string(), 400, "http.query"),
        ("index=1&index=2&size=4".to_string(), 400, "http.query"),
        ("index=1&size=3&size=4".to_string(), 400, "http.query"),
        (format!("hash={hex}&hash={hex}", hex = "00".repeat(32)), 400, "http.query"),
        ("index=0&siz%65=3&size=3".to_string(), 400, "http.query"),
        ("index=0&size".to_string(), 400, "http.query"),
        ("index=1&size=3".to_string(), 200, ""),
    ] {
        let p = call(addr, "GET", &format!("/v1/log/proof/inclusion?{query}"), vec![], None, None).await;
        let got = (p.status, p.json()["reason"].as_str().unwrap_or_default().to_string());
        assert_eq!(got, (status, reason.to_string()), "{query}");
    }
    let twice = call(addr, "GET", "/v1/log/proof/inclusion?index=1&index=1&size=3", vec![], None, None).await;
    assert_eq!(twice.json()["detail"], "query parameter 'index' is given more than once");
    // Each refusal says which of the two is out of range (found by review: a size past the
    // log was said as "index 0 is not below tree size 99999").
    let size = call(addr, "GET", "/v1/log/checkpoint", vec![], None, None).await;
    let held = String::from_utf8_lossy(&size.body).lines().nth(1).expect("size").to_string();
    for (query, detail) in [
        ("index=0&size=99999".to_string(), format!("tree size 99999 is past the log's {held} entries")),
        (format!("index=0&size={}", u64::MAX), format!("tree size {} is past the log's {held} entries", u64::MAX)),
        ("index=3&size=3".to_string(), "index 3 is not below tree size 3".to_string()),
        // An index past the log is said against the log's size.
        ("index=99999&size=3".to_string(), format!("index 99999 is not below tree size {held}")),
    ] {
        let p = call(addr, "GET", &format!("/v1/log/proof/inclusion?{query}"), vec![], None, None).await;
        let got = (
            p.status,
            p.json()["reason"].as_str().map(str::to_string),
            p.json()["detail"].as_str().map(str::to_string),
        );
        assert_eq!(got, (400, Some("log.index_out_of_range".to_string()), Some(detail)), "{query}");
    }
    // A name written with an escape is the name.
    let escaped = call(addr, "GET", "/v1/log/proof/inclusion?index=1&siz%65=3", vec![], None, None).await;
    assert_eq!((escaped.status, escaped.json()["tree_size"].as_u64()), (200, Some(3)));
    running.task.abort();
}

/// A query parameter a route does not take is refused with a 400 that names it, on every
/// route but the page and its assets (a person's link may carry parameters of others): a
/// misspelt `formats` was answered as if it had not been sent, so the caller took the
/// default formats for the ones it asked. The batch stream, answered before the router,
/// refuses it too; a path written with escapes is the route it decodes to; a name written
/// with an escape is the name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_parameter_the_route_does_not_take_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let app = Arc::new(App::load(config(dir.path())).expect("app"));
    let running = start(Arc::clone(&app)).await.expect("start");
    let addr = running.addr;
    let size = app.log.size().expect("size");
    let line = b"{\"issuer\":\"CNCA-R-2002-001\",\"number\":\"04925Q10021R0M\"}\n".to_vec();
    // (method, path and query, body, client certificate, what the refusal says after "query
    // parameter"; empty: not refused for a name).
    type Case<'a> = (&'a str, &'a str, Vec<u8>, Option<&'a str>, &'a str);
    let cases: [Case; 8] = [
        (
            "POST",
            "/v1/exports?Formats=untp-dcc",
            domestic_certificate(),
            None,
            "'Formats' is not one POST /v1/exports takes (it takes formats)",
        ),
        (
            "POST",
            "/v1/exports?formats=untp-dcc&format=iaf-json",
            domestic_certificate(),
            None,
            "'format' is not one POST /v1/exports takes (it takes formats)",
        ),
        (
            "POST",
            "/v1/%65xports?at=2020-01-01",
            domestic_certificate(),
            None,
            "'at' is not one POST /v1/exports takes (it takes formats)",
        ),
        (
            "GET",
            "/v1/certificates/CNCA-R-2002-001/04925Q10021R0M?at=2020-01-01",
            vec![],
            None,
            "'at' is not one GET /v1/certificates/{issuer}/{number} takes (it takes none)",
        ),
        (
            "POST",
            "/v1/verify?strict",
            b"x".to_vec(),
            Some("customs"),
            "'strict' is not one POST /v1/verify takes (it takes none)",
        ),
        (
            "POST",
            "/v1/verify/batch?x=1",
            line.clone(),
            Some("customs"),
            "'x' is not one POST /v1/verify/batch takes (it takes none)",
        ),
        ("GET", "/v1/log/proof/inclusion?index=1&size=3&hash=", vec![], None, ""),
        (
            "GET",
            "/v1/log/entries?start=0&end=1&limit=1",
            vec![],
            None,
            "'limit' is not one GET /v1/log/entries takes (it takes start, end)",
        ),
    ];
    for (method, path, body, client, said) in cases {
        let bearer = method == "POST" && path.contains("xports");
        let r = call(addr, method, path, body, client, bearer.then(token).as_deref()).await;
        if said.is_empty() {
            // Known names pass this check; the values are the route's own to judge.
            assert!(!String::from_utf8_lossy(&r.body).contains("is not one"), "{path}");
            continue;
        }
        let v = r.json();
        assert_eq!((r.status, v["reason"].as_str()), (400, Some("http.query")), "{path}");
        assert_eq!(v["detail"], format!("query parameter {said}"), "{path}");
    }
    // Nothing was decided or logged for them.
    assert_eq!(app.log.size().expect("size"), size);
    // Known parameters are still read, a name written with an escape among them.
    let export =
        call(addr, "POST", "/v1/exports?form%61ts=untp-dcc", domestic_certificate(), None, Some(&token())).await;
    assert_eq!(export.status, 201, "{}", String::from_utf8_lossy(&export.body));
    assert_eq!(
        export.json()["documents"].as_object().map(|d| d.keys().cloned().collect::<Vec<_>>()),
        Some(vec!["untp-dcc".to_string()])
    );
    let batch = call(addr, "POST", "/v1/verify/batch", line, Some("customs"), None).await;
    assert_eq!(batch.status, 200);
    // A look-up answered from memory once asked plainly is refused a parameter all the same
    // (found by review: the in-memory answer was given before the router saw the query).
    let lookup = "/v1/certificates/CNCA-R-2002-001/04925Q10021R0M";
    for _ in 0..2 {
        assert_eq!(call(addr, "GET", lookup, vec![], None, None).await.status, 200);
    }
    let at = call(addr, "GET", &format!("{lookup}?at=2020-01-01"), vec![], None, None).await;
    assert_eq!((at.status, at.json()["reason"].as_str()), (400, Some("http.query")));
    assert_eq!(call(addr, "GET", &format!("{lookup}?"), vec![], None, None).await.status, 200);
    // The page reads no parameter, and a link to it may carry others'.
    for path in ["/?utm_source=mail", "/page/app.js?v=2"] {
        assert_eq!(call(addr, "GET", path, vec![], None, None).await.status, 200, "{path}");
    }
    running.task.abort();
}

/// A TLS client that trusts exactly one certificate (the reloaded server's self-signed one).
fn client_trusting(cert_pem: &str) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(cert_pem.as_bytes()) {
        roots.add(c.expect("cert")).expect("add");
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

async fn handshake(addr: std::net::SocketAddr, connector: tokio_rustls::TlsConnector) -> bool {
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    connector.connect(ServerName::try_from("localhost").expect("name"), tcp).await.is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_applies_a_new_configuration_or_keeps_the_old_one() {
    let dir = tempfile::tempdir().expect("tmp");
    let running = start(Arc::new(App::load(config(dir.path())).expect("app"))).await.expect("start");
    let addr = running.addr;
    let new_token = "reloaded-exporter-token-0123456789";
    let token_file = dir.path().join("new.token");
    std::fs::write(&token_file, format!("{new_token}\n")).expect("token");
    let export = |bearer: String| async move {
        call(addr, "POST", "/v1/exports", domestic_certificate(), None, Some(&bearer)).await.status
    };
    assert_eq!(export(new_token.into()).await, 401);
    let sequence = running.app().trust_list().sequence;

    // Failures change nothing, and say why.
    let mut missing = config(dir.path());
    missing.trust_list.file = dir.path().join("no-such-list.xml");
    missing.exporters.grant[0].token_files = vec![token_file.clone()];
    let err = running.reload(missing).expect_err("missing trust list");
    assert!(err.contains("no-such-list.xml"), "{err}");
    let mut moved = config(dir.path());
    moved.listen = "127.0.0.1:1".into();
    assert_eq!(running.reload(moved).expect_err("listen"), "listen changed; it takes effect only after a restart");
    let mut other_store = config(dir.path());
    other_store.store.url = Some("postgres://mrgate@127.0.0.1:1/mrgate".into());
    assert_eq!(
        running.reload(other_store).expect_err("store"),
        "store.url changed; it takes effect only after a restart"
    );
    let mut bad_tls = config(dir.path());
    bad_tls.tls.key = dir.path().join("no-such.key");
    assert!(running.reload(bad_tls).expect_err("tls").contains("no-such.key"));
    assert_eq!(export(new_token.into()).await, 401);
    assert_eq!(export(token()).await, 201);

    // A good reload: a new token file and a smaller body limit, for new connections.
    let mut next = config(dir.path());
    next.exporters.grant[0].token_files = vec![token_file.clone()];
    next.limits.max_body_bytes = 1024;
    let summary = running.reload(next.clone()).expect("reload");
    assert!(summary.starts_with("TLS certificate and client roots, trust list 1"), "{summary}");
    assert_eq!(running.app().trust_list().sequence, sequence);
    let r = call(addr, "POST", "/v1/verify", vec![b'x'; 2048], Some("customs"), None).await;
    assert_eq!((r.status, r.json()["reason"].as_str()), (413, Some("http.too_large")));
    next.limits.max_body_bytes = 4 * 1024 * 1024;
    running.reload(next.clone()).expect("reload");
    assert_eq!(export(new_token.into()).await, 201);
    assert_eq!(export(token()).await, 401, "the old token file is no longer configured");

    // Then a new server certificate.
    let fresh = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("self-signed");
    let (cert_pem, key_pem) = (fresh.cert.pem(), fresh.signing_key.serialize_pem());
    std::fs::write(dir.path().join("server.pem"), &cert_pem).expect("cert");
    std::fs::write(dir.path().join("server.key"), &key_pem).expect("key");
    next.tls.certificate = dir.path().join("server.pem");
    next.tls.key = dir.path().join("server.key");
    running.reload(next).expect("reload");
    assert!(handshake(addr, client_trusting(&cert_pem)).await, "new connections get the new certificate");
    assert!(!handshake(addr, common::gateway::tls_client(None)).await, "the old certificate is gone");
    // The log and store carry over: the next entry continues the same tree.
    assert_eq!(running.app().log.size().expect("size"), 4, "the table, the trust list and both exports, one log");
    running.shutdown(std::time::Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_client_cannot_hold_the_server() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().expect("tmp");
    let mut cfg = config(dir.path());
    cfg.limits.request_timeout_seconds = 1;
    cfg.limits.max_connections = 4;
    let running = start(Arc::new(App::load(cfg).expect("app"))).await.expect("start");
    let addr = running.addr;

    // Three clients: one never starts TLS, one stops halfway through its headers, one sends a
    // body one byte at a time. Meanwhile an honest client is served.
    let silent = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let connect_tls = || async {
        let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
        common::gateway::tls_client(Some("customs"))
            .connect(ServerName::try_from("localhost").expect("name"), tcp)
            .await
            .expect("tls")
    };
    let mut half = connect_tls().await;
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ").await.expect("write");
    let mut drip = connect_tls().await;
    drip.write_all(b"POST /v1/verify HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n").await.expect("w");
    let dripping = tokio::spawn(async move {
        for _ in 0..100_000 {
            if drip.write_all(b"x").await.is_err() {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        false
    });
    let health = call(addr, "GET", "/healthz", vec![], None, None).await;
    assert_eq!(health.status, 200);

    // The half-sent request is answered 408 or closed once the header timeout passes.
    let mut buf = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), half.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the server kept a half-sent request open");
    assert!(buf.is_empty() || String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 408"), "{buf:?}");
    // The dripping body is cut off within ten request timeouts.
    let cut = tokio::time::timeout(std::time::Duration::from_secs(15), dripping).await;
    assert!(matches!(cut, Ok(Ok(true))), "the server kept a dripping body open");
    // The silent client's connection was dropped after the handshake timeout.
    let mut silent = silent;
    let mut one = [0u8; 1];
    let closed = tokio::time::timeout(std::time::Duration::from_secs(5), silent.read(&mut one)).await;
    assert!(matches!(closed, Ok(Ok(0)) | Ok(Err(_))), "{closed:?}");
    assert_eq!(call(addr, "GET", "/healthz", vec![], None, None).await.status, 200);
    running.task.abort();
}

/// Who may call what, written out independently of the server's own checks: every route ×
/// every kind of caller. "May" means the call is not refused for its role (it may still be a
/// 400 or 404 for its empty body or made-up id); "may not" means exactly 401 for a caller
/// with no identity and 403 for one whose role may not (RFC 9110 §15.5.2, §15.5.4).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authorization_matrix() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut cfg = config(dir.path());
    (cfg.limits.public_rate_per_second, cfg.limits.public_burst) = (1e6, 1e6);
    let running = start(Arc::new(App::load(cfg).expect("app"))).await.expect("start");
    let addr = running.addr;
    // Callers, in column order: no certificate, customs, exporter, operator, a partner
    // (DAkkS), and the exporter bearer token without a certificate.
    let callers: [(Option<&str>, Option<String>); 6] = [
        (None, None),
        (Some("customs"), None),
        (Some("exporter"), None),
        (Some("operator"), None),
        (Some("partner-dakks"), None),
        (None, Some(token())),
    ];
    let all = [true; 6];
    let matrix: Vec<(&str, &str, [bool; 6])> = vec![
        ("GET", "/", all),
        ("GET", "/page/app.js", all),
        ("GET", "/healthz", all),
        ("GET", "/.well-known/did.json", all),
        ("GET", "/openapi.json", all),
        ("GET", "/metrics", all),
        ("GET", "/v1/trust-list", all),
        ("GET", "/v1/certificates/CNCA-R-2002-001/X", all),
        ("POST", "/v1/verify", [false, true, false, true, true, false]),
        ("POST", "/v1/verify/public", all),
        ("POST", "/v1/verify/batch", [false, true, false, true, true, false]),
        ("POST", "/v1/exports", [false, false, true, false, false, true]),
        ("GET", "/v1/exports/x", [false, false, true, true, false, true]),
        ("POST", "/v1/recognitions", [false, false, false, false, true, false]),
        ("POST", "/v1/notices", [false, false, true, true, true, true]),
        ("PUT", "/v1/admin/trust-list", [false, false, false, true, false, false]),
        ("PUT", "/v1/admin/equivalence-table", [false, false, false, true, false, false]),
        ("GET", "/v1/rules", all),
        ("GET", "/v1/rules/trust-list/1", all),
        ("GET", "/v1/rules/equivalence-table/1", all),
        ("GET", "/v1/log/key", all),
        ("GET", "/v1/log/checkpoint", all),
        ("GET", "/v1/log/witnesses", all),
        ("GET", "/v1/log/proof/inclusion?index=0", all),
        ("GET", "/v1/log/proof/consistency?from=1&to=1", all),
        ("GET", "/v1/log/entries?start=0&end=1", all),
        // The tile path as one segment (its slashes escaped), read the same.
        ("GET", "/v1/log/tile/0%2F000.p%2F1", all),
        ("GET", "/v1/log/documents/0000", [false, true, false, true, true, false]),
        ("GET", "/v1/receipts/x", all),
        ("GET", "/v1/status-lists/1/revocation", all),
        ("POST", "/v1/pt/rounds", [false, false, false, false, true, false]),
        ("GET", "/v1/pt/rounds/x", [false, false, false, true, true, false]),
        ("POST", "/v1/pt/rounds/x/results", [false, false, false, false, true, false]),
        ("POST", "/v1/pt/rounds/x/close", [false, false, false, false, true, false]),
        ("GET", "/v1/pt/rounds/x/report", [false, false, false, true, true, false]),
    ];
    // Every route the router knows is in the matrix.
    let template_of = |method: &str, path: &str| {
        let s: Vec<&str> = path.split('?').next().unwrap_or("").split('/').collect();
        mrgate::server::ROUTES.iter().find(|(m, template)| {
            let t: Vec<&str> = template.split('/').collect();
            *m == method && s.len() == t.len() && t.iter().zip(&s).all(|(a, b)| a.starts_with('{') || a == b)
        })
    };
    for route in mrgate::server::ROUTES {
        assert!(
            matrix.iter().any(|(m, p, _)| template_of(m, p) == Some(route)),
            "{route:?} is missing from the matrix"
        );
    }
    // Every status given is one the OpenAPI document lists for the operation.
    let openapi: serde_json::Value = serde_json::from_str(mrgate::server::OPENAPI).expect("openapi");
    let mut undocumented = Vec::new();
    // And who may call each is who its `security` names (none named: anyone), found by
    // review: the notices named partners alone.
    let schemes = ["", "customs", "exporter", "operator", "partner", "exporterToken"];
    for (method, path, allowed) in &matrix {
        let (_, template) = template_of(method, path).expect("a route");
        let documented = &openapi["paths"][template][method.to_lowercase()]["responses"];
        let named = match openapi["paths"][template][method.to_lowercase()].get("security") {
            None => all,
            Some(security) => schemes.map(|s| security.as_array().expect("a list").iter().any(|r| r.get(s).is_some())),
        };
        assert_eq!(&named, allowed, "{method} {template}: who schemas/openapi.json says may call it");
        for ((client, bearer), may) in callers.iter().zip(allowed) {
            let r = call(addr, method, path, vec![], *client, bearer.as_deref()).await;
            let who = client.unwrap_or(if bearer.is_some() { "token" } else { "nobody" });
            if documented.get(r.status.to_string()).is_none() {
                undocumented.push(format!("{method} {template} {}: {}", r.status, String::from_utf8_lossy(&r.body)));
            }
            if *may {
                assert!(r.status != 401 && r.status != 403, "{method} {path} as {who}: refused {}", r.status);
                assert!(r.status < 500, "{method} {path} as {who}: {} {}", r.status, String::from_utf8_lossy(&r.body));
            } else {
                let expected = if who == "nobody" { 401 } else { 403 };
                assert_eq!(r.status, expected, "{method} {path} as {who}: {}", String::from_utf8_lossy(&r.body));
                assert_eq!(r.content_type, "application/problem+json");
            }
        }
    }
    undocumented.sort();
    undocumented.dedup_by(|a, b| a.split(':').next() == b.split(':').next());
    assert!(undocumented.is_empty(), "statuses schemas/openapi.json does not list: {undocumented:#?}");
    running.task.abort();
}

/// Each batch answer as its line number and what it says: a verification's `valid`, a
/// look-up's headline, or an error's reason.
fn batch_answers(answers: &[serde_json::Value]) -> Vec<(u64, String)> {
    answers
        .iter()
        .map(|a| {
            let what = a["valid"].as_bool().map(|v| v.to_string());
            let what = what.or_else(|| a["headline"].as_str().map(str::to_string));
            let what = what.or_else(|| a["error"]["reason"].as_str().map(str::to_string));
            (a["line"].as_u64().expect("line"), what.expect("an answer"))
        })
        .collect()
}

/// The demo's domestic certificate exported by the demo exporter, as its UNTP credential.
async fn exported_credential(addr: std::net::SocketAddr) -> String {
    let export = call(addr, "POST", "/v1/exports", domestic_certificate(), None, Some(&token())).await.json();
    export["documents"]["untp-dcc"].as_str().expect("jws").to_string()
}

/// Every verification is a logged decision, batch lines included: each `{"document"}` line's
/// answer carries its own receipt, proved offline against the log key, and the log grows by
/// one entry a line (before, batch verdicts went out unlogged). Look-up lines log nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_verifications_are_logged_each_with_its_receipt() {
    let dir = tempfile::tempdir().expect("tmp");
    let app = Arc::new(App::load(config(dir.path())).expect("app"));
    let running = start(Arc::clone(&app)).await.expect("start");
    let addr = running.addr;
    let credential = exported_credential(addr).await;
    let before = app.log.size().expect("size");
    let mut lines = String::new();
    for _ in 0..300 {
        lines.push_str(&serde_json::json!({"document": credential}).to_string());
        lines.push('\n');
    }
    lines.push_str("{\"issuer\":\"CNCA-R-2002-001\",\"number\":\"04925Q10021R0M\"}\n");
    // An empty document is a bad line, answered and not logged.
    lines.push_str("{\"document\":\"\"}\n");
    let r = call(addr, "POST", "/v1/verify/batch", lines.into_bytes(), Some("customs"), None).await;
    assert_eq!(r.status, 200);
    let answers = r.lines();
    assert_eq!(answers.len(), 302);
    let empty = answers.last().expect("empty line");
    assert_eq!((empty["line"].as_u64(), empty["error"]["reason"].as_str()), (Some(302), Some("batch.line")));
    let key = mrgate::crypto::keys::PublicKey::from_spki_pem(&std::fs::read(format!("{DEMO}/log.pub")).expect("pub"))
        .expect("key");
    let mut indexes = Vec::new();
    for (i, a) in answers.iter().take(300).enumerate() {
        assert_eq!((a["line"].as_u64(), a["valid"].as_bool()), (Some(i as u64 + 1), Some(true)), "{a}");
        let receipt: mrgate::ledger::receipt::Receipt =
            serde_json::from_value(a["receipt"].clone()).unwrap_or_else(|e| panic!("line {}: {e}: {a}", i + 1));
        let verified = mrgate::ledger::receipt::verify(&receipt, key.raw(), None).expect("receipt verifies");
        assert_eq!((verified.entry.kind.as_str(), verified.entry.verdict.as_str()), ("recognition", "valid"));
        indexes.push(receipt.index);
    }
    indexes.sort_unstable();
    indexes.dedup();
    assert_eq!(indexes.len(), 300, "one entry a line");
    let lookup = &answers[300];
    assert_eq!((lookup["found"].as_bool(), lookup.get("receipt")), (Some(true), None));
    assert_eq!(app.log.size().expect("size"), before + 300);
    running.task.abort();
}

/// A batch's lines are bounded in all (`max_batch_bytes`) as well as one by one: the lines
/// that end within the bound are decided and logged, and the closing line names the first
/// that was not (found by review: 73 MB of lines were all decided, and their documents kept).
/// A batch exactly at the bound is whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_over_its_bound_in_all_decides_only_the_lines_within_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let credential = {
        let app = Arc::new(App::load(config(dir.path())).expect("app"));
        let running = start(app).await.expect("start");
        let credential = exported_credential(running.addr).await;
        assert!(running.shutdown(std::time::Duration::from_secs(5)).await);
        credential
    };
    let line = format!("{}\n", serde_json::json!({"document": credential}));
    let mut cfg = config(dir.path());
    cfg.limits.max_batch_bytes = 2 * line.len() + line.len() / 2;
    // A line may be no longer than the batch.
    cfg.limits.max_body_bytes = line.len();
    let app = Arc::new(load_config_when_released(cfg).await.expect("app"));
    let running = start(Arc::clone(&app)).await.expect("start");
    let before = app.log.size().expect("size");
    let r = call(running.addr, "POST", "/v1/verify/batch", line.repeat(5).into_bytes(), Some("customs"), None).await;
    assert_eq!(r.status, 200);
    let answers = r.lines();
    let expected = [(1, "true"), (2, "true"), (3, "http.too_large")].map(|(n, what)| (n, what.to_string()));
    assert_eq!(batch_answers(&answers), expected);
    let message = answers[2]["error"]["message"].as_str().expect("message");
    assert_eq!(
        message,
        format!(
            "the batch is over max_batch_bytes ({} bytes) in all: lines from 3 on were not decided; send them in \
             another batch",
            2 * line.len() + line.len() / 2
        )
    );
    assert_eq!(app.log.size().expect("size"), before + 2, "only the lines decided are logged");
    // Two whole lines are exactly 2 lines' bytes: within the bound.
    let whole =
        call(running.addr, "POST", "/v1/verify/batch", line.repeat(2).into_bytes(), Some("customs"), None).await;
    assert_eq!(batch_answers(&whole.lines()), [(1, "true".to_string()), (2, "true".to_string())]);
    assert_eq!(app.log.size().expect("size"), before + 4);
    running.task.abort();
}

/// A batch's answers do not depend on what the store holds in memory: after a restart no
/// certificate is in memory, and the first batch's decisions read the register from the
/// database; the second batch, the same lines, finds it in memory. Both answer every line
/// the same, in order, each verification logged with its receipt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_answers_are_the_same_whether_the_register_is_in_memory_or_not() {
    use mrgate::store::InMemory;
    let dir = tempfile::tempdir().expect("tmp");
    let credential = {
        let app = Arc::new(App::load(config(dir.path())).expect("app"));
        let running = start(Arc::clone(&app)).await.expect("start");
        let credential = exported_credential(running.addr).await;
        running.task.abort();
        credential
    };
    let app = Arc::new(load_when_released(dir.path()).await.expect("app again"));
    let (issuer, number) = ("CNCA-R-2002-001", "04925Q10021R0M");
    let in_memory = || app.store.cached_certificate_view(issuer, number);
    assert!(matches!(in_memory(), InMemory::Unknown), "the register is read again after a restart");
    let running = start(Arc::clone(&app)).await.expect("start again");
    let document = serde_json::json!({"document": credential}).to_string();
    let lookup = format!("{{\"issuer\":\"{issuer}\",\"number\":\"{number}\"}}");
    let sent = format!("{document}\n{lookup}\n{document}\n{{\"document\":\"x\"}}\n{document}\n");
    let key = mrgate::crypto::keys::PublicKey::from_spki_pem(&std::fs::read(format!("{DEMO}/log.pub")).expect("pub"))
        .expect("key");
    let batch = async || {
        let before = app.log.size().expect("size");
        let r = call(running.addr, "POST", "/v1/verify/batch", sent.clone().into_bytes(), Some("customs"), None).await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let mut answers = r.lines();
        let mut logged = Vec::new();
        for a in &mut answers {
            let Some(receipt) = a.as_object_mut().and_then(|o| o.remove("receipt")) else { continue };
            let receipt: mrgate::ledger::receipt::Receipt = serde_json::from_value(receipt).expect("receipt");
            let verified = mrgate::ledger::receipt::verify(&receipt, key.raw(), None).expect("receipt verifies");
            assert_eq!(verified.entry.kind, "recognition");
            logged.push((a["line"].as_u64().expect("line"), verified.entry.verdict.clone(), receipt.index));
        }
        assert_eq!(app.log.size().expect("size"), before + 4, "each verification logged");
        (answers, logged)
    };
    let (cold, cold_logged) = batch().await;
    assert!(matches!(in_memory(), InMemory::Version(_)), "the first batch read the register into memory");
    let (warm, warm_logged) = batch().await;
    let seen = batch_answers(&cold);
    // An unknown format is a decision too: `valid: false`, logged as `invalid`.
    let expected = [(1, "true"), (2, "valid"), (3, "true"), (4, "false"), (5, "true")];
    assert_eq!(seen, expected.map(|(n, w)| (n, w.to_string())), "{cold:#?}");
    assert_eq!(cold[3]["checks"][0]["reason"], "format.unknown", "{cold:#?}");
    assert_eq!(cold, warm, "the same answers from memory as from the store");
    let verdicts = |logged: &[(u64, String, u64)]| logged.iter().map(|(n, v, _)| (*n, v.clone())).collect::<Vec<_>>();
    let expected = [(1, "valid"), (3, "valid"), (4, "invalid"), (5, "valid")].map(|(n, v)| (n, v.to_string()));
    assert_eq!((verdicts(&cold_logged), verdicts(&warm_logged)), (expected.to_vec(), expected.to_vec()));
    let indexes: std::collections::BTreeSet<u64> = cold_logged.iter().chain(&warm_logged).map(|(_, _, i)| *i).collect();
    assert_eq!(indexes.len(), 8, "one entry a line: {indexes:?}");
    running.task.abort();
}

/// A batch's answers are numbered as the request's lines are (blank lines counted, not
/// answered), so a client pairs each answer with the line it sent; and a look-up line reads
/// the headline the single look-up shows: a certificate past its expiry date is `expired`
/// though the register still holds it `valid` (the batch answered `status: valid` alone).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_lines_are_numbered_as_sent_and_look_ups_read_the_headline() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = Arc::new(mrgate::clock::OffsetClock::new());
    let app = Arc::new(
        App::load_with_clock(config(dir.path()), Arc::clone(&clock) as Arc<dyn mrgate::clock::Clock>).expect("app"),
    );
    let running = start(Arc::clone(&app)).await.expect("start");
    let addr = running.addr;
    let credential = exported_credential(addr).await;
    let document = serde_json::json!({"document": credential}).to_string();
    let lookup = "{\"issuer\":\"CNCA-R-2002-001\",\"number\":\"04925Q10021R0M\"}";
    let missing = "{\"issuer\":\"CNCA-R-2002-001\",\"number\":\"NOPE\"}";
    let batch = async |body: String| {
        let r = call(addr, "POST", "/v1/verify/batch", body.into_bytes(), Some("customs"), None).await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        r.lines()
    };
    // Line 1 a document, 2 blank, 3 not JSON, 4 spaces only, 5 a look-up, 6 an unknown
    // certificate, 7 a document (CRLF, no final line feed).
    let sent = format!("{document}\n\nnot json\n  \t \n{lookup}\n{missing}\r\n{document}");
    let answers = batch(sent).await;
    let seen = batch_answers(&answers);
    let expected = [(1, "true"), (3, "format.json"), (5, "valid"), (6, "unknown"), (7, "true")];
    assert_eq!(seen, expected.map(|(n, w)| (n, w.to_string())), "{answers:#?}");
    assert_eq!((answers[2]["status"].as_str(), answers[2]["found"].as_bool()), (Some("valid"), Some(true)));
    assert_eq!((answers[3]["status"].as_str(), answers[3]["found"].as_bool()), (Some("unknown"), Some(false)));

    // A member given twice, and a line that is both a document and a look-up, are refused
    // (found by attack: the last `document` was verified, the last `issuer` looked up, and
    // a line holding both was taken as a verification); nothing of them is logged.
    let size = app.log.size().expect("size");
    let cred = serde_json::to_string(&credential).expect("json");
    let refused = [
        format!("{{\"document\":\"x\",\"document\":{cred}}}"),
        "{\"issuer\":\"CNCA-R-2002-001\",\"issuer\":\"X\",\"number\":\"04925Q10021R0M\"}".to_string(),
        format!("{{\"issuer\":\"CNCA-R-2002-001\",\"number\":\"04925Q10021R0M\",\"document\":{cred}}}"),
        "{\"issuer\":\"CNCA-R-2002-001\",\"number\":4925}".to_string(),
        "[]".to_string(),
    ];
    let answers = batch(refused.join("\n")).await;
    let seen: Vec<_> = answers.iter().map(|a| (a["line"].as_u64(), a["error"]["reason"].as_str())).collect();
    assert_eq!(
        seen,
        [
            (Some(1), Some("format.json")),
            (Some(2), Some("format.json")),
            (Some(3), Some("batch.line")),
            (Some(4), Some("batch.line")),
            (Some(5), Some("batch.line"))
        ],
        "{answers:#?}"
    );
    assert!(answers[0]["error"]["message"].as_str().unwrap_or_default().contains("document"), "{answers:#?}");
    assert_eq!(app.log.size().expect("size"), size, "nothing logged");

    // Past the certificate's expiry date (2028-01-09; the demo list is in date until 2046):
    // the register still says valid, the headline says expired — as the single look-up.
    clock.advance(time::Duration::days(365 * 4));
    let answers = batch(format!("\n{lookup}\n")).await;
    let answer = (answers[0]["line"].as_u64(), answers[0]["status"].as_str(), answers[0]["headline"].as_str());
    assert_eq!(answer, (Some(2), Some("valid"), Some("expired")), "{answers:#?}");
    let single = call(addr, "GET", "/v1/certificates/CNCA-R-2002-001/04925Q10021R0M", vec![], None, None).await.json();
    assert_eq!((single["status"].as_str(), single["headline"].as_str()), (Some("valid"), Some("expired")));
    running.task.abort();
}

/// The look-up shows the assessment level the exported credential states (it showed
/// `Accredited` for a `GlobalMRA` credential: the stored CN XML has no field for it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_look_up_and_the_export_agree_on_the_assessment_level() {
    let dir = tempfile::tempdir().expect("tmp");
    let running = start(Arc::new(App::load(config(dir.path())).expect("app"))).await.expect("start");
    let addr = running.addr;
    let export = call(addr, "POST", "/v1/exports", domestic_certificate(), None, Some(&token())).await.json();
    assert_eq!(export["assessment_level"], "GlobalMRA");
    let jws = export["documents"]["untp-dcc"].as_str().expect("jws");
    let payload = jws.split('.').nth(1).expect("payload");
    let vc: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload).expect("base64"),
    )
    .expect("json");
    assert_eq!(vc["credentialSubject"]["assessmentLevel"], "GlobalMRA", "{vc}");
    for _ in 0..2 {
        let lookup =
            call(addr, "GET", "/v1/certificates/CNCA-R-2002-001/04925Q10021R0M", vec![], None, None).await.json();
        assert_eq!(lookup["facts"]["assessment_level"], "GlobalMRA", "{lookup}");
    }
    running.task.abort();
}

/// A certificate not yet in force is not exported (issue 21: export's copy of the validity
/// rule lacked the not-yet-valid check and signed it as in force).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_not_yet_in_force_is_not_exported() {
    let dir = tempfile::tempdir().expect("tmp");
    let running = start(Arc::new(App::load(config(dir.path())).expect("app"))).await.expect("start");
    let addr = running.addr;
    let future = common::gateway::domestic_certificate_dated(1);
    let r = call(addr, "POST", "/v1/exports", future, None, Some(&token())).await;
    assert_eq!((r.status, r.json()["reason"].as_str()), (422, Some("validity.not_yet_valid")));
    let lookup = call(addr, "GET", "/v1/certificates/CNCA-R-2002-001/04925Q10021R0M", vec![], None, None).await;
    assert_eq!(lookup.status, 404, "nothing was registered");
    running.task.abort();
}

/// A verifier that knows DIDs and not X.509 finds the key: the exported credential's JWS
/// header names `kid`, a verification method of the gateway's did:web document served at
/// `/.well-known/did.json`, whose JWK verifies the credential without `x5c`. A key rotated
/// out stays listed after the one in force; a tampered credential or a key the document
/// does not list is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credential_names_its_key_in_the_gateways_did_document() {
    use mrgate::crypto::{jws, keys::PublicKey};
    let dir = tempfile::tempdir().expect("tmp");
    let mut cfg = config(dir.path());
    // The demo CA's own certificate stands in for a signing key rotated out.
    cfg.signing.previous_certificates = vec![std::path::Path::new(DEMO).join("ca.pem")];
    let app = Arc::new(App::load(cfg).expect("app"));
    let running = start(Arc::clone(&app)).await.expect("start");
    let addr = running.addr;

    let r = call(addr, "GET", "/.well-known/did.json", vec![], None, None).await;
    assert_eq!((r.status, r.content_type.as_str()), (200, "application/did+ld+json"));
    let document = r.json();
    let did = format!("did:web:localhost%3A{}", addr.port());
    assert_eq!(document["id"], did);
    let methods = document["verificationMethod"].as_array().expect("methods");
    assert_eq!(methods.len(), 2, "the key in force and the one rotated out");
    let ids: Vec<&str> = methods.iter().filter_map(|m| m["id"].as_str()).collect();
    assert_eq!(document["assertionMethod"], serde_json::json!(ids));
    assert!(methods.iter().all(|m| m["controller"] == did && m["type"] == "JsonWebKey2020"));

    let export = call(addr, "POST", "/v1/exports", domestic_certificate(), None, Some(&token())).await;
    assert_eq!(export.status, 201, "{}", String::from_utf8_lossy(&export.body));
    let credential = export.json()["documents"]["untp-dcc"].as_str().expect("jws").to_string();
    let parsed = jws::parse(&credential).expect("jws");
    let kid = parsed.header["kid"].as_str().expect("kid");
    assert_eq!(kid, ids[0], "the key in force signs");
    assert!(kid.starts_with(&format!("{did}#")));
    // Resolve the kid in the document, as a DID verifier does, and verify with that JWK.
    let resolve = |kid: &str| {
        methods.iter().find(|m| m["id"] == kid).map(|m| PublicKey::from_jwk(&m["publicKeyJwk"]).expect("jwk"))
    };
    let key = resolve(kid).expect("the kid is listed");
    assert!(jws::verify_signature(&parsed, &key).is_ok());
    // The issuer is the gateway's DID; the certification body is named beside it.
    let payload: serde_json::Value = serde_json::from_slice(&parsed.payload).expect("payload");
    assert_eq!(payload["issuer"]["id"], did);
    assert_eq!(
        payload["issuer"]["issuerAlsoKnownAs"][0],
        serde_json::json!({"id": "urn:cn:cnca:approval:CNCA-R-2002-001", "name": "中国质量认证中心", "registeredId": "CNCA-R-2002-001"})
    );
    assert_eq!(payload["issuer"]["issuerAlsoKnownAs"][1]["name"], "China Quality Certification Centre");
    // And it verifies as before, by its x5c chain, read back to the same body.
    let v = call(addr, "POST", "/v1/verify", credential.clone().into_bytes(), Some("customs"), None).await.json();
    assert_eq!((v["valid"].as_bool(), v["issuer"].as_str()), (Some(true), Some("CNCA-R-2002-001")), "{v}");
    let rotated_out = resolve(ids[1]).expect("listed");
    assert!(jws::verify_signature(&parsed, &rotated_out).is_err(), "the rotated-out key did not sign this one");
    assert!(resolve(&format!("{did}#not-a-listed-key")).is_none());
    let mut tampered: Vec<&str> = credential.split('.').collect();
    let other_payload = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, b"{\"forged\":true}");
    tampered[1] = &other_payload;
    let tampered = tampered.join(".");
    assert!(jws::verify_signature(&jws::parse(&tampered).expect("jws"), &key).is_err());
    // Only GET is served there.
    assert_eq!(call(addr, "POST", "/.well-known/did.json", vec![], None, None).await.status, 405);
    running.task.abort();
}

/// The log never says what the register does not: a verification whose commit finds the
/// certificate's status otherwise than its decision read it is decided again, and after three
/// tries is answered 409 `register.changed` with nothing logged — single and batch. Here the
/// register is changed under the gateway's own memory (a direct write to its database, which
/// the gateway's cache of the version cannot see), so every try reads the old status and
/// every commit refuses it: the retries are bounded, and none is logged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verification_is_never_logged_against_the_register() {
    let dir = tempfile::tempdir().expect("tmp");
    let app = Arc::new(App::load(config(dir.path())).expect("app"));
    let running = start(Arc::clone(&app)).await.expect("start");
    let addr = running.addr;
    let credential = exported_credential(addr).await;
    let verify = || call(addr, "POST", "/v1/verify", credential.clone().into_bytes(), Some("customs"), None);
    let first = verify().await;
    assert_eq!((first.status, first.json()["valid"].as_bool()), (200, Some(true)));
    let size = || app.log.size().expect("size");
    let before = size();
    let db = rusqlite::Connection::open(dir.path().join("mrgate.db")).expect("db");
    db.execute("UPDATE certificate SET status = 'suspended' WHERE number = '04925Q10021R0M'", []).expect("update");
    let refused = verify().await;
    assert_eq!((refused.status, refused.json()["reason"].as_str()), (409, Some("register.changed")));
    let line = serde_json::json!({"document": credential}).to_string();
    let batch = call(addr, "POST", "/v1/verify/batch", line.into_bytes(), Some("customs"), None).await;
    let answer: serde_json::Value = serde_json::from_slice(batch.body.trim_ascii()).expect("one line");
    assert_eq!((batch.status, answer["error"]["reason"].as_str()), (200, Some("register.changed")), "{answer}");
    assert_eq!(answer["receipt"], serde_json::Value::Null);
    assert_eq!(size(), before, "nothing logged against the register");
    // Back as the gateway's memory has it: verified and logged again.
    db.execute("UPDATE certificate SET status = 'valid' WHERE number = '04925Q10021R0M'", []).expect("update");
    let again = verify().await;
    assert_eq!((again.status, again.json()["valid"].as_bool(), size()), (200, Some(true), before + 1));
    running.task.abort();
}

/// The log's high-water mark (`ledger::high_water`): the newest checkpoint signed, in a file
/// apart from the store, which the store's log must extend at start. A store put back from
/// an older copy does not start (`log.rolled_back`, naming both sizes), nor another log's
/// store (`log.forked`), nor a mark that is no checkpoint of this log's key
/// (`log.high_water`); moving the mark aside starts the second history knowingly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_put_back_from_an_older_copy_does_not_start() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path();
    let mark = data.join("log-high-water");
    /// Serves from `data`, exports `times`, shuts down: the log's size then.
    async fn serve_and_export(data: &std::path::Path, times: u64) -> u64 {
        serve_adopting(data, times, false).await
    }
    /// [`serve_and_export`], taking the log as it is when it has no mark if `adopt`.
    async fn serve_adopting(data: &std::path::Path, times: u64, adopt: bool) -> u64 {
        let mut cfg = config(data);
        cfg.log.adopt = adopt;
        let app = Arc::new(load_config_when_released(cfg).await.expect("app"));
        let running = start(Arc::clone(&app)).await.expect("start");
        for _ in 0..times {
            let r = call(running.addr, "POST", "/v1/exports", domestic_certificate(), None, Some(&token())).await;
            assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        }
        assert!(running.shutdown(std::time::Duration::from_secs(5)).await);
        app.log.size().expect("size")
    }
    let older = serve_and_export(data, 1).await;
    let marked = |path: &std::path::Path| std::fs::read_to_string(path).expect("the mark");
    assert_eq!(marked(&mark).lines().nth(1), Some(older.to_string().as_str()), "the mark is the last checkpoint");
    let backup = common::audit::copy_of(data);
    let newer = serve_and_export(data, 2).await;
    assert!(newer > older);
    assert_eq!(marked(&mark).lines().nth(1), Some(newer.to_string().as_str()));
    // Another gateway's store, under the same key and origin, as long as this one's.
    let other = tempfile::tempdir().expect("tmp");
    assert_eq!(serve_and_export(other.path(), newer - older + 1).await, newer);

    let put_back = |from: &std::path::Path| {
        for name in ["mrgate.db", "mrgate.db-wal", "mrgate.db-shm"] {
            let _ = std::fs::remove_file(data.join(name));
            if from.join(name).exists() {
                std::fs::copy(from.join(name), data.join(name)).expect("copy");
            }
        }
    };
    put_back(backup.path());
    let refused = load_when_released(data).await.expect_err("an older copy");
    assert!(refused.contains("[log.rolled_back]"), "{refused}");
    assert!(refused.contains(&format!("a checkpoint of {newer} entries")), "{refused}");
    assert!(refused.contains(&format!("the store's log holds {older}")), "{refused}");
    put_back(other.path());
    let refused = load_when_released(data).await.expect_err("another log's store");
    assert!(refused.contains("[log.forked]"), "{refused}");
    // A mark that is no checkpoint of this log's key.
    let kept = marked(&mark);
    for bad in
        [b"not a checkpoint\n".to_vec(), kept.replace("demo.mrgate.example/log", "other.example/log").into_bytes()]
    {
        std::fs::write(&mark, &bad).expect("write");
        let refused = load_when_released(data).await.expect_err("a mark that does not verify");
        assert!(refused.contains("[log.high_water]"), "{refused}");
    }
    // Moved aside, the store does not start: a mark missing looks like a mark's disk not
    // mounted. Taken as it is (`--adopt-log`), it starts: a second history, knowingly.
    std::fs::rename(&mark, data.join("log-high-water.moved")).expect("move");
    put_back(backup.path());
    let refused = load_when_released(data).await.expect_err("no mark");
    assert!(refused.contains("[log.high_water] there is no high-water mark"), "{refused}");
    assert!(refused.contains(&format!("the store's log holds {older} entries")), "{refused}");
    assert_eq!(serve_adopting(data, 1, true).await, older + 1);
    assert_eq!(marked(&mark).lines().nth(1), Some((older + 1).to_string().as_str()));
    // A mark whose directory is not there (a disk not mounted) is not made: the start fails.
    let mut elsewhere = config(data);
    elsewhere.log.high_water_mark = Some(data.join("not-mounted").join("log-high-water"));
    elsewhere.log.adopt = true;
    let refused = load_config_when_released(elsewhere).await.expect_err("no directory");
    assert!(refused.contains("[log.high_water] the mark cannot be written"), "{refused}");
    assert!(!data.join("not-mounted").exists());
    // One gateway keeps a mark: while it runs, another given the same mark does not start,
    // whatever its store; let go of, the mark is read for what it says.
    let keeping = load_when_released(data).await.expect("the mark's own gateway");
    let mut second = config(other.path());
    second.log.high_water_mark = Some(mark.clone());
    let refused = App::load(second.clone()).expect_err("a mark kept by a running gateway");
    assert!(refused.contains("[log.high_water] another running gateway keeps this mark"), "{refused}");
    assert!(refused.contains("log-high-water.lock is held"), "{refused}");
    drop(keeping);
    let refused = load_config_when_released(second).await.expect_err("another log's mark");
    assert!(refused.contains("[log.forked]"), "{refused}");
}

/// A stored decision is answered only as the log entry it names records it: of its kind,
/// handing out only documents the entry names. Found by attack: the decision's log index
/// changed in the store made the receipt link an export's credential carries prove a
/// customs verification of another document; its credential changed was served under the
/// export's receipt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_decision_is_answered_only_as_its_entry_records_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let (id, verification, other) = {
        let app = Arc::new(App::load(config(dir.path())).expect("app"));
        let running = start(Arc::clone(&app)).await.expect("start");
        let export = call(running.addr, "POST", "/v1/exports", domestic_certificate(), None, Some(&token())).await;
        assert_eq!(export.status, 201, "{}", String::from_utf8_lossy(&export.body));
        // Another certificate's export.
        let another =
            String::from_utf8(domestic_certificate()).expect("utf8").replace("04925Q10021R0M", "04925Q10099R0M");
        let other = call(running.addr, "POST", "/v1/exports", another.into_bytes(), None, Some(&token())).await;
        assert_eq!(other.status, 201, "{}", String::from_utf8_lossy(&other.body));
        let other = other.json()["id"].as_str().expect("id").to_string();
        let credential = export.json()["documents"]["untp-dcc"].as_str().expect("credential").to_string();
        let v = call(running.addr, "POST", "/v1/verify", credential.into_bytes(), Some("customs"), None).await;
        let verification = v.json()["receipt"]["index"].as_u64().expect("index");
        running.shutdown(std::time::Duration::from_secs(5)).await;
        (export.json()["id"].as_str().expect("id").to_string(), verification, other)
    };
    let db = || rusqlite::Connection::open(dir.path().join("mrgate.db")).expect("db");
    let (index, json): (i64, String) = db()
        .query_row("SELECT log_index, json FROM decision WHERE id = ?1", [&id], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("stored");
    let receipt = async |expected: u16| {
        let app = Arc::new(common::gateway::load_when_released(dir.path()).await.expect("restart"));
        let running = start(Arc::clone(&app)).await.expect("start");
        let r = call(running.addr, "GET", &format!("/v1/receipts/{id}"), vec![], None, None).await;
        running.shutdown(std::time::Duration::from_secs(5)).await;
        assert_eq!(r.status, expected, "{}", String::from_utf8_lossy(&r.body));
        r
    };
    let r = receipt(200).await;
    assert_eq!(r.json()["index"].as_i64(), Some(index));
    // Another entry named.
    db().execute("UPDATE decision SET log_index = ?1 WHERE id = ?2", rusqlite::params![verification as i64, id])
        .expect("tamper");
    let r = receipt(503).await;
    let detail = r.json()["detail"].as_str().unwrap_or_default().to_string();
    assert!(detail.contains(&format!("is not what log entry {verification} records (an entry of kind 'recognition', the decision of kind 'export')")), "{detail}");
    // The entry named, another credential handed out.
    let changed = json.replacen("eyJ", "eyK", 1);
    assert_ne!(changed, json);
    db().execute("UPDATE decision SET log_index = ?1, json = ?2 WHERE id = ?3", rusqlite::params![index, changed, id])
        .expect("tamper");
    let r = receipt(503).await;
    let detail = r.json()["detail"].as_str().unwrap_or_default().to_string();
    assert!(detail.contains("a document it hands out is not one the entry names"), "{detail}");
    // Put back, answered again.
    db().execute("UPDATE decision SET json = ?1 WHERE id = ?2", rusqlite::params![json, id]).expect("restore");
    receipt(200).await;
    // A look-up shows the receipt of a decision on its own certificate only: the history
    // naming the other certificate's export lends it nothing (found by re-test).
    db().execute(
        "INSERT INTO status_event (issuer, number, status, since, actor, reference) \
         VALUES ('CNCA-R-2002-001', '04925Q10021R0M', 'valid', '2026-12-06T00:00:00Z', 'operator', ?1)",
        [format!("export:{other}")],
    )
    .expect("tamper");
    let app = Arc::new(common::gateway::load_when_released(dir.path()).await.expect("restart"));
    let running = start(Arc::clone(&app)).await.expect("start");
    let looked = call(running.addr, "GET", "/v1/certificates/CNCA-R-2002-001/04925Q10021R0M", vec![], None, None).await;
    running.shutdown(std::time::Duration::from_secs(5)).await;
    assert_eq!(looked.json()["receipt"]["index"].as_i64(), Some(index), "{}", String::from_utf8_lossy(&looked.body));
}
