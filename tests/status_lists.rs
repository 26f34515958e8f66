//! W3C Bitstring Status Lists end to end: an exported credential names its certificate's
//! slot in the revocation and suspension lists; the gateway serves each list as a signed
//! credential whose bits are the register's; a domestic CB's signed notice (relayed by an
//! exporter or an operator) flips them; `/v1/verify`, the look-up and the lists tell the
//! same status; each published version is in the log, and an audit holds it to the
//! register.

mod common;

use common::audit::{audit, each_caught};
use common::gateway::{Response, call, call_with, config, domestic_certificate, token};
use common::partners::{notice, notice_of};
use mrgate::server::{App, start};
use mrgate::status_list::{LENGTH, Purpose, Slot, Version, decode};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;

const CB: &str = "CNCA-R-2002-001";
const NUMBER: &str = "04925Q10021R0M";

/// The payload of a compact JWS, as JSON.
fn payload(jws: &str) -> Value {
    let parsed = mrgate::crypto::jws::parse(jws).expect("jws");
    serde_json::from_slice(&parsed.payload).expect("payload")
}

/// The exported credential (a compact JWS) of [`domestic_certificate`].
async fn export(addr: SocketAddr) -> String {
    let export = call(addr, "POST", "/v1/exports", domestic_certificate(), None, Some(&token())).await;
    assert_eq!(export.status, 201, "{}", String::from_utf8_lossy(&export.body));
    export.json()["documents"]["untp-dcc"].as_str().expect("jws").to_string()
}

/// List `purpose` of list 1 as served: the response, and the indexes set in it.
async fn list(addr: SocketAddr, app: &App, purpose: Purpose) -> (Response, Vec<u32>) {
    let r = call(addr, "GET", &format!("/v1/status-lists/1/{}", purpose.as_str()), vec![], None, None).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.content_type, "application/vc+jwt");
    let jws = String::from_utf8(r.body.clone()).expect("utf8");
    let parsed = mrgate::crypto::jws::parse(&jws).expect("jws");
    mrgate::crypto::jws::verify_signature(&parsed, &app.signing_key.public_key()).expect("signed by the gateway");
    let base = format!("https://localhost:{}", addr.port());
    let vc = payload(&jws);
    let url = format!("{base}/v1/status-lists/1/{}", purpose.as_str());
    assert_eq!(vc["id"], url.as_str());
    assert_eq!(vc["issuer"], format!("did:web:localhost%3A{}", addr.port()));
    assert_eq!(vc["type"], serde_json::json!(["VerifiableCredential", "BitstringStatusListCredential"]));
    assert_eq!(vc["credentialSubject"]["statusPurpose"], purpose.as_str());
    assert_eq!(vc["credentialSubject"]["id"], format!("{url}#list"));
    let (set, length) = decode(vc["credentialSubject"]["encodedList"].as_str().expect("encodedList")).expect("list");
    assert_eq!(length, LENGTH);
    // It names the version document its log entry keeps.
    let document = Version { list: 1, purpose, set: set.clone() }.document();
    let digest = mrgate::crypto::sha256_hex(&document);
    assert_eq!(vc["relatedResource"][0]["id"], format!("{base}/v1/log/documents/{digest}"));
    (r, set)
}

/// A domestic notice about the exported certificate, signed by `signed_by`, relayed by
/// `client` (or the exporter's token when `None`).
async fn domestic_notice(addr: SocketAddr, action: &str, signed_by: &str, client: Option<&str>) -> Response {
    let n = notice_of(CB, action, NUMBER, signed_by);
    let bearer = token();
    call(addr, "POST", "/v1/notices", n, client, client.is_none().then_some(bearer.as_str())).await
}

/// The kinds of the log's entries, in order.
async fn kinds(addr: SocketAddr) -> Vec<String> {
    let entries = call(addr, "GET", "/v1/log/entries?start=0&end=100", vec![], None, None).await;
    assert_eq!(entries.status, 200);
    entries.json()["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            use base64::Engine;
            let bytes =
                base64::engine::general_purpose::STANDARD.decode(e["entry"].as_str().expect("entry")).expect("b64");
            mrgate::ledger::entry::Entry::decode(&bytes).expect("entry").kind
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_flips_the_bits_every_channel_reads() {
    let dir = tempfile::tempdir().expect("tmp");
    let app = Arc::new(App::load(config(dir.path())).expect("app"));
    let running = start(Arc::clone(&app)).await.expect("start");
    let addr = running.addr;
    let base = format!("https://localhost:{}", addr.port());

    let credential = export(addr).await;
    let vc = payload(&credential);
    let slot = Slot::of_entries(&vc["credentialStatus"], &base).expect("the two entries at one slot");
    assert_eq!(slot.list, 1);
    assert_eq!(vc["credentialStatus"][0]["statusPurpose"], "revocation");
    assert_eq!(vc["credentialStatus"][1]["statusPurpose"], "suspension");

    // In force: no bit set in either list.
    let (revocation, set) = list(addr, &app, Purpose::Revocation).await;
    assert_eq!(set, Vec::<u32>::new());
    assert_eq!(list(addr, &app, Purpose::Suspension).await.1, Vec::<u32>::new());
    let header = |r: &Response, name: &str| r.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    assert_eq!(header(&revocation, "cache-control").as_deref(), Some("public, no-cache"));
    let etag = header(&revocation, "etag").expect("etag");
    let again =
        call_with(addr, "GET", "/v1/status-lists/1/revocation", vec![], None, &[("if-none-match", &etag)]).await;
    assert_eq!((again.status, again.body.len()), (304, 0));
    let other =
        call_with(addr, "GET", "/v1/status-lists/1/revocation", vec![], None, &[("if-none-match", "\"x\"")]).await;
    assert_eq!(other.status, 200);

    // A caller whose documents are kept keeps the next version ahead of time: that does not
    // pass it off as published (the count of entries below includes its publication).
    let predicted = Version { list: 1, purpose: Purpose::Suspension, set: vec![slot.index] }.document();
    let kept = call(addr, "POST", "/v1/verify", predicted, Some("customs"), None).await;
    assert_eq!(kept.status, 200);
    // The CB's own signer suspends it; the exporter relays the notice.
    let n = domestic_notice(addr, "suspend", "cb/CNCA-R-2002-001", None).await;
    assert_eq!(
        (n.status, n.json()["status"].as_str()),
        (200, Some("suspended")),
        "{}",
        String::from_utf8_lossy(&n.body)
    );
    let (suspension, set) = list(addr, &app, Purpose::Suspension).await;
    assert_eq!(set, vec![slot.index]);
    assert_eq!(list(addr, &app, Purpose::Revocation).await.1, Vec::<u32>::new());
    // The cached copy no longer holds.
    let stale =
        call_with(addr, "GET", "/v1/status-lists/1/revocation", vec![], None, &[("if-none-match", &etag)]).await;
    assert_eq!(stale.status, 304, "the revocation list did not change");
    let suspended_tag = header(&suspension, "etag").expect("etag");
    assert_ne!(suspended_tag, etag);

    // The API and the look-up say the same.
    let v = call(addr, "POST", "/v1/verify", credential.clone().into_bytes(), Some("customs"), None).await.json();
    assert_eq!((v["valid"].as_bool(), v["status"].as_str()), (Some(false), Some("suspended")));
    let lookup = call(addr, "GET", &format!("/v1/certificates/{CB}/{NUMBER}"), vec![], None, None).await.json();
    assert_eq!(lookup["headline"], "suspended");

    // Restored (by an operator relaying the CB's notice): the bit is cleared.
    let n = domestic_notice(addr, "restore", "cb/CNCA-R-2002-001", Some("operator")).await;
    assert_eq!((n.status, n.json()["status"].as_str()), (200, Some("valid")));
    assert_eq!(list(addr, &app, Purpose::Suspension).await.1, Vec::<u32>::new());
    // Withdrawn: the revocation bit, for good.
    let n = domestic_notice(addr, "withdraw", "cb/CNCA-R-2002-001", None).await;
    assert_eq!(n.status, 200);
    assert_eq!(list(addr, &app, Purpose::Revocation).await.1, vec![slot.index]);
    assert_eq!(list(addr, &app, Purpose::Suspension).await.1, Vec::<u32>::new());
    let v = call(addr, "POST", "/v1/verify", credential.into_bytes(), Some("customs"), None).await.json();
    assert_eq!(v["status"], "withdrawn");

    // Each version was published in the log each time it became the one served: empty
    // revocation and suspension lists, suspended, restored (the empty suspension list
    // again, served anew), withdrawn; the suspension list read after, unchanged, is not.
    let logged = kinds(addr).await;
    assert_eq!(logged.iter().filter(|k| *k == "status-list").count(), 5, "{logged:?}");
    running.shutdown(std::time::Duration::from_secs(5)).await;
    drop(app);

    // The audit gives each published version the register's bits.
    let report = audit(dir.path(), None);
    assert_eq!(report.disagreements, vec![], "{:#?}", report.disagreements);
    assert_eq!(report.re_derived, report.entries - report.not_re_derived.values().sum::<u64>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_keeps_its_slot_and_no_slot_is_shared() {
    let dir = tempfile::tempdir().expect("tmp");
    let app = Arc::new(App::load(config(dir.path())).expect("app"));
    let running = start(Arc::clone(&app)).await.expect("start");
    let base = format!("https://localhost:{}", running.addr.port());
    let slot = |c: &str| Slot::of_entries(&payload(c)["credentialStatus"], &base).expect("slot");
    let first = slot(&export(running.addr).await);
    assert_eq!(slot(&export(running.addr).await), first, "exported again, the same slot");
    // Another certificate of the same CB: another slot.
    let other = String::from_utf8(domestic_certificate()).expect("utf8").replace(NUMBER, "04925Q10022R0M");
    let r = call(running.addr, "POST", "/v1/exports", other.into_bytes(), None, Some(&token())).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let second = slot(r.json()["documents"]["untp-dcc"].as_str().expect("jws"));
    assert_ne!(second, first);
    // Without a credential, no slot is drawn.
    let r =
        call(running.addr, "POST", "/v1/exports?formats=iaf-json", domestic_certificate(), None, Some(&token())).await;
    assert_eq!(r.status, 201);
    assert_eq!(app.store.status_slots_held().expect("held"), 2);
    running.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_the_relay_may_not_carry_are_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let app = Arc::new(App::load(config(dir.path())).expect("app"));
    let running = start(Arc::clone(&app)).await.expect("start");
    let addr = running.addr;
    export(addr).await;
    let reason = |r: &Response| (r.status, r.json()["reason"].as_str().unwrap_or_default().to_string());
    // Another CB's signer, a foreign signer, a revoked domestic signer: not the CB's say.
    let r = domestic_notice(addr, "suspend", "cb/CNCA-R-2002-002", None).await;
    assert_eq!(reason(&r), (422, "trust.signer_not_listed".into()));
    let r = domestic_notice(addr, "suspend", "foreign/dakks/signer", None).await;
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    let r = domestic_notice(addr, "suspend", "cb/revoked", None).await;
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    // A partner relays its own bodies' notices only.
    let r = domestic_notice(addr, "suspend", "cb/CNCA-R-2002-001", Some("partner-dakks")).await;
    assert_eq!(reason(&r), (403, "auth.not_your_body".into()));
    // An exporter or an operator relays domestic bodies' notices only.
    let foreign = notice("suspend", "X-1", "foreign/dakks/signer");
    let r = call(addr, "POST", "/v1/notices", foreign.clone(), Some("operator"), None).await;
    assert_eq!(reason(&r), (403, "auth.not_your_body".into()));
    let r = call(addr, "POST", "/v1/notices", foreign, None, Some(&token())).await;
    assert_eq!(reason(&r), (403, "auth.not_your_body".into()));
    // Customs relays none.
    let r = domestic_notice(addr, "suspend", "cb/CNCA-R-2002-001", Some("customs")).await;
    assert_eq!(reason(&r), (403, "auth.role".into()));
    // A certificate never registered: its status alone is registered. It has no slot (no
    // credential of this gateway names it), so no list changes.
    let n = notice_of(CB, "suspend", "04925Q99999R0M", "cb/CNCA-R-2002-001");
    let r = call(addr, "POST", "/v1/notices", n, None, Some(&token())).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let alone = call(addr, "GET", &format!("/v1/certificates/{CB}/04925Q99999R0M"), vec![], None, None).await.json();
    assert_eq!((&alone["status"], &alone["origin"]), (&"suspended".into(), &"notice".into()));
    // Nothing else changed: the certificate is in force, and no bit is set.
    let lookup = call(addr, "GET", &format!("/v1/certificates/{CB}/{NUMBER}"), vec![], None, None).await.json();
    assert_eq!(lookup["status"], "valid");
    assert_eq!(list(addr, &app, Purpose::Suspension).await.1, Vec::<u32>::new());
    running.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_lists_that_can_hold_slots_are_served() {
    let dir = tempfile::tempdir().expect("tmp");
    let running = start(Arc::new(App::load(config(dir.path())).expect("app"))).await.expect("start");
    for path in [
        "/v1/status-lists/0/revocation",
        "/v1/status-lists/2/revocation",
        "/v1/status-lists/01/revocation",
        "/v1/status-lists/+1/revocation",
        "/v1/status-lists/1/refresh",
        "/v1/status-lists/1/Revocation",
        "/v1/status-lists/99999999999/suspension",
    ] {
        let r = call(running.addr, "GET", path, vec![], None, None).await;
        assert_eq!((r.status, r.json()["reason"].as_str()), (404, Some("status.list_unknown")), "{path}");
    }
    let r = call(running.addr, "POST", "/v1/status-lists/1/revocation", vec![], None, None).await;
    assert_eq!(r.status, 405);
    // List 1 is served before any export: all zeros.
    let r = call(running.addr, "GET", "/v1/status-lists/1/suspension", vec![], None, None).await;
    assert_eq!(r.status, 200);
    running.task.abort();
}

/// A node keeps each list between reads and reads only the slots changed since; when what it
/// then holds is not what the store says the list is (its count, latest change and sum of
/// changes: here a status changed behind its back, the slot's sequence set back), it reads
/// the list whole again rather than publish what it remembers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_reads_a_list_whole_again_when_its_copy_is_not_the_stores() {
    let dir = tempfile::tempdir().expect("tmp");
    let app = Arc::new(App::load(config(dir.path())).expect("app"));
    let running = start(Arc::clone(&app)).await.expect("start");
    let addr = running.addr;
    let jws = export(addr).await;
    let index: u32 =
        payload(&jws)["credentialStatus"][0]["statusListIndex"].as_str().expect("index").parse().expect("n");
    assert_eq!(list(addr, &app, Purpose::Suspension).await.1, Vec::<u32>::new());
    // Suspended behind the node's back, the slot's change not told: a read of what changed
    // since finds nothing.
    let db = rusqlite::Connection::open(dir.path().join("mrgate.db")).expect("db");
    db.execute_batch(&format!(
        "DROP TRIGGER status_slot_certificate_changed;
         UPDATE certificate SET status = 'suspended' WHERE number = '{NUMBER}';
         UPDATE status_slot SET seq = 0 WHERE number = '{NUMBER}';"
    ))
    .expect("behind its back");
    drop(db);
    let (changed, _) = app.store.status_list(1, Some(1)).expect("list");
    assert_eq!(changed, vec![]);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(list(addr, &app, Purpose::Suspension).await.1, vec![index]);
    running.shutdown(std::time::Duration::from_secs(5)).await;
}

/// A published version changed behind the gateway's back, or an export that names another
/// certificate's slot: the audit finds each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_audit_holds_published_lists_to_the_register() {
    let dir = tempfile::tempdir().expect("tmp");
    let app = Arc::new(App::load(config(dir.path())).expect("app"));
    let running = start(Arc::clone(&app)).await.expect("start");
    let addr = running.addr;
    export(addr).await;
    let n = domestic_notice(addr, "suspend", "cb/CNCA-R-2002-001", None).await;
    assert_eq!(n.status, 200);
    // Entries: 0 the trust list, 1 the table, 2 the export, 3 the notice, 4 the suspension
    // list published.
    list(addr, &app, Purpose::Suspension).await;
    running.shutdown(std::time::Duration::from_secs(5)).await;
    drop(app);
    let data = dir.path();
    assert_eq!(common::audit::entry(data, 4).kind, "status-list");
    assert_eq!(audit(data, None).disagreements, vec![]);
    let cases: Vec<common::audit::Case> = vec![
        (
            "a version published with a bit the register does not set",
            Box::new(|d| {
                let forged = br#"{"statusList":1,"statusPurpose":"suspension","length":131072,"set":[7]}"#;
                let digest = common::audit::keep(d, forged);
                common::audit::rewrite(d, 4, |e| e.outputs = vec![digest]);
            }),
            vec![(4, "audit.output")],
        ),
        (
            "a version document not as the gateway writes one",
            Box::new(|d| {
                let digest = common::audit::keep(d, br#"{"statusList": 1}"#);
                common::audit::rewrite(d, 4, |e| e.outputs = vec![digest]);
            }),
            vec![(4, "audit.document")],
        ),
        (
            "a status list published by someone else",
            Box::new(|d| common::audit::rewrite(d, 4, |e| e.actor = "operator:x".into())),
            vec![(4, "audit.entry")],
        ),
        (
            "a version published before the notice that set its bit",
            Box::new(|d| {
                let version = common::audit::entry(d, 4);
                common::audit::rewrite(d, 4, |e| *e = common::audit::entry(d, 3));
                common::audit::rewrite(d, 3, |e| *e = version);
            }),
            vec![(3, "audit.output")],
        ),
    ];
    each_caught(data, cases);
}

/// The DID document is published like a status list: each version logged once, before it
/// is served, byte for byte; an audit holds it to the gateway's own keys.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_did_document_version_is_logged_once_before_it_is_served() {
    let dir = tempfile::tempdir().expect("tmp");
    let app = Arc::new(App::load(config(dir.path())).expect("app"));
    let running = start(Arc::clone(&app)).await.expect("start");
    let addr = running.addr;
    let first = call(addr, "GET", "/.well-known/did.json", vec![], None, None).await;
    let again = call(addr, "GET", "/.well-known/did.json", vec![], None, None).await;
    assert_eq!((first.status, again.status), (200, 200));
    assert_eq!(first.body, again.body);
    let logged = kinds(addr).await;
    assert_eq!(logged, ["equivalence-table", "trust-list", "did-document"]);
    running.shutdown(std::time::Duration::from_secs(5)).await;
    drop(app);
    let data = dir.path();
    let entry = common::audit::entry(data, 2);
    assert_eq!((entry.actor.as_str(), entry.verdict.as_str()), ("gateway", "published"));
    assert_eq!(common::audit::kept(data, &entry.outputs[0]), first.body, "the very document served");
    assert_eq!(audit(data, None).disagreements, vec![]);

    // A document listing a key that is not the gateway's, or written otherwise: caught.
    let mut forged: Value = serde_json::from_slice(&first.body).expect("json");
    let did = forged["id"].as_str().expect("id").to_string();
    let other = mrgate::crypto::keys::SigningKey::from_pkcs8(
        &std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/certs/demo/foreign/dakks/signer.key")).expect("key"),
    )
    .expect("key")
    .public_key();
    let with_other = mrgate::crypto::did::document(&did, &[other]);
    forged["assertionMethod"] = Value::Array(vec![]);
    let cases: Vec<common::audit::Case> = vec![
        (
            "a key that is not the gateway's",
            Box::new(move |d| {
                let digest = common::audit::keep(d, &serde_json::to_vec(&with_other).expect("json"));
                common::audit::rewrite(d, 2, |e| e.outputs = vec![digest]);
            }),
            vec![(2, "audit.output")],
        ),
        (
            "the gateway's key, asserting nothing",
            Box::new(move |d| {
                let digest = common::audit::keep(d, &serde_json::to_vec(&forged).expect("json"));
                common::audit::rewrite(d, 2, |e| e.outputs = vec![digest]);
            }),
            vec![(2, "audit.output")],
        ),
        (
            "published on someone's request",
            Box::new(|d| common::audit::rewrite(d, 2, |e| e.actor = "operator:x".into())),
            vec![(2, "audit.entry")],
        ),
    ];
    each_caught(data, cases);
}

/// A partner's credential in this profile whose status is in its own status lists, for a
/// certificate the register does not hold: the gateway reads no other issuer's lists, so
/// the status is unknown — never the "valid" a reader would otherwise give a credential
/// that states none. However its type is spelled (a JSON escape reads the same).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_only_in_a_partners_lists_is_never_read_as_valid() {
    let dir = tempfile::tempdir().expect("tmp");
    let running = start(Arc::new(App::load(config(dir.path())).expect("app"))).await.expect("start");
    let verify = |jws: String| call(running.addr, "POST", "/v1/verify", jws.into_bytes(), Some("customs"), None);
    // The control: stating its status, it is valid (so what follows can fail).
    let (stated, _) = common::partners::foreign_credential("foreign/dakks/signer");
    let v = verify(stated).await.json();
    assert_eq!((v["valid"].as_bool(), v["status"].as_str()), (Some(true), Some("valid")), "{v:#}");
    let lists = |vc: &mut Value| {
        let list = "https://cab.example.de/status/1";
        vc["credentialStatus"] = serde_json::json!([{"id": format!("{list}#5"), "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation", "statusListIndex": "5", "statusListCredential": list}]);
    };
    let (in_lists, number) = common::partners::foreign_credential_with("foreign/dakks/signer", lists);
    // The same, the type spelled with a JSON escape, signed again.
    let parsed = mrgate::crypto::jws::parse(&in_lists).expect("jws");
    let escaped = String::from_utf8(parsed.payload.clone())
        .expect("utf8")
        .replace("\"BitstringStatusListEntry\"", "\"BitstringStatusList\\u0045ntry\"");
    assert!(escaped.contains("\\u0045"));
    let (key, chain) = common::partners::signer("foreign/dakks/signer");
    let escaped = mrgate::crypto::jws::sign(escaped.as_bytes(), &key, &chain, None, true).expect("sign");
    let verdict = |v: Value| {
        let validity = v["checks"].as_array().expect("checks").iter().find(|c| c["check"] == "validity").cloned();
        (v["valid"].as_bool(), v["status"].clone(), validity.map(|c| c["reason"].clone()))
    };
    for jws in [in_lists.clone(), escaped] {
        let v = verify(jws).await.json();
        assert_eq!(verdict(v), (Some(false), "unknown".into(), Some("status.unknown".into())));
    }
    // Its body's notices register its status alone (the gateway never recognized it): a
    // suspension is read at once; restored, the register knows no more than its notices
    // said, and the lists may say more: unknown still, never "valid".
    let relay = |action: &str| {
        let notice = notice(action, &number, "foreign/dakks/signer");
        call(running.addr, "POST", "/v1/notices", notice, Some("partner-dakks"), None)
    };
    assert_eq!(relay("suspend").await.status, 201);
    let v = verify(in_lists.clone()).await.json();
    assert_eq!(verdict(v), (Some(false), "suspended".into(), Some("status.suspended".into())));
    assert_eq!(relay("restore").await.status, 200);
    let v = verify(in_lists).await.json();
    assert_eq!(verdict(v), (Some(false), "unknown".into(), Some("status.unknown".into())));
    running.task.abort();
}

/// A stored status that is not a status (only possible behind the gateway's back: the
/// schema refuses it) leaves no channel telling the certificate in force: neither list is
/// published (`register.unavailable`, nothing logged), and `/v1/verify` fails closed too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_that_does_not_read_publishes_no_list() {
    let dir = tempfile::tempdir().expect("tmp");
    let running = start(Arc::new(App::load(config(dir.path())).expect("app"))).await.expect("start");
    let credential = export(running.addr).await;
    running.shutdown(std::time::Duration::from_secs(5)).await;

    let db = rusqlite::Connection::open(dir.path().join("mrgate.db")).expect("db");
    let refused = db.execute("UPDATE certificate SET status = 'revoked' WHERE number = ?1", [NUMBER]);
    assert!(refused.is_err_and(|e| e.to_string().contains("not a register status")));
    db.execute_batch("DROP TRIGGER certificate_status_known_update").expect("drop");
    assert_eq!(db.execute("UPDATE certificate SET status = 'revoked' WHERE number = ?1", [NUMBER]).expect("set"), 1);
    drop(db);

    // Once the gateway before has let go of its store (a connection's task may hold it a
    // moment after the shutdown: found by the clean-clone CI, which refused it once).
    let app = Arc::new(common::gateway::load_when_released(dir.path()).await.expect("app"));
    let running = start(Arc::clone(&app)).await.expect("start");
    let size = app.log.size().expect("size");
    for purpose in Purpose::ALL {
        let r =
            call(running.addr, "GET", &format!("/v1/status-lists/1/{}", purpose.as_str()), vec![], None, None).await;
        assert_eq!((r.status, r.json()["reason"].as_str()), (503, Some("register.unavailable")), "{purpose:?}");
        assert!(r.json()["detail"].as_str().is_some_and(|d| d.contains("'revoked' is not a status")), "{}", r.json());
    }
    assert_eq!(app.log.size().expect("size"), size, "a list that cannot be told is not published");
    // A verification reads no status either: refused, not answered or logged "invalid" (an
    // audit replaying the register would decide it otherwise), on every channel.
    for (path, role) in [("/v1/verify", Some("customs")), ("/v1/verify/public", None)] {
        let r = call(running.addr, "POST", path, credential.clone().into_bytes(), role, None).await;
        assert_eq!((r.status, r.json()["reason"].as_str()), (503, Some("register.unavailable")), "{path}");
        let detail = r.json()["detail"].as_str().map(str::to_string).unwrap_or_default();
        assert!(detail.contains("'revoked' is not a status"), "{path}: {detail}");
    }
    let line = format!("{}\n", serde_json::json!({ "document": credential }));
    let batch = call(running.addr, "POST", "/v1/verify/batch", line.into_bytes(), Some("customs"), None).await;
    assert_eq!(batch.status, 200);
    let answered: serde_json::Value = serde_json::from_slice(batch.body.trim_ascii()).expect("one line");
    assert_eq!(
        (answered["line"].as_u64(), answered["error"]["reason"].as_str()),
        (Some(1), Some("register.unavailable"))
    );
    assert!(answered.get("receipt").is_none(), "{answered}");
    assert_eq!(app.log.size().expect("size"), size, "nothing decided, nothing logged");
    running.shutdown(std::time::Duration::from_secs(5)).await;
}
