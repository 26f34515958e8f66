//! The decisions layer called directly, as the server, the batch and the CLI call it: each
//! decision with a fixed clock, no HTTP and no sleeps; what is refused, and whether each
//! outcome is recorded, exactly.

mod common;

use common::gateway::{DEMO, config, domestic_certificate, token};
use mrgate::clock::OffsetClock;
use mrgate::decisions::verify::{self, Audience};
use mrgate::decisions::{Caller, Class, Refusal, Role, export, recognize, trust_list};
use mrgate::formats::Format;
use mrgate::ledger::entry::Entry;
use mrgate::server::App;
use mrgate::store::Effect;
use std::sync::Arc;

fn app(dir: &std::path::Path) -> (App, Arc<OffsetClock>) {
    let clock = Arc::new(OffsetClock::new());
    let app = App::load_with_clock(config(dir), clock.clone()).expect("app");
    (app, clock)
}

fn exporter(app: &App) -> Caller {
    let grant = app.authority.exporter_by_token(&token()).expect("the demo token is granted");
    Caller { role: Role::Anonymous, actor: format!("exporter:{}", grant.name), exporter: Some(grant) }
}

fn customs() -> Caller {
    Caller { role: Role::Customs, actor: "customs:test".into(), exporter: None }
}

fn partner(body: &str) -> Caller {
    Caller { role: Role::Partner(body.into()), actor: format!("partner:{body}"), exporter: None }
}

fn operator() -> Caller {
    Caller { role: Role::Operator, actor: "operator:test".into(), exporter: None }
}

const FORMATS: &[Format] = &[Format::UntpDcc];

fn export_request(document: &[u8]) -> export::Request<'_> {
    export::Request { document, formats: FORMATS }
}

/// The last entry in the log.
fn last_entry(app: &App) -> Entry {
    let size = app.log.size().expect("size");
    let bytes = app.store.log_entries(size - 1, size).expect("entries").pop().expect("an entry");
    Entry::decode(&bytes).expect("entry")
}

/// Records `stale`, a verification decided before the register changed under it: refused
/// as `register.changed`, with nothing logged. The log's size, as it stays.
fn refused_as_changed(app: &App, stale: mrgate::decisions::Decision<mrgate::recognition::Verdict>) -> u64 {
    let size = app.log.size().expect("size");
    let refused = app.recorder.record(Ok(stale)).expect_err("held to the register it read");
    let seen = (refused.refusal.class, refused.refusal.reason.as_str(), refused.receipt.is_some());
    assert_eq!(seen, (Class::Conflict, verify::REGISTER_CHANGED, false));
    assert_eq!(app.log.size().expect("size"), size, "nothing logged");
    size
}

/// The demo certificate exported and logged: its credential (compact JWS) and number.
fn exported_credential(app: &App) -> (String, String) {
    let exported = export::export(&app.context(), &exporter(app), export_request(&domestic_certificate()));
    let answer = app.recorder.record(exported).expect("exported").answer;
    let text = |v: &serde_json::Value| v.as_str().expect("a string").to_string();
    (text(&answer["documents"]["untp-dcc"]), text(&answer["number"]))
}

/// The demo certificate with its dates moved `years` on.
fn dated(years: i32) -> Vec<u8> {
    common::gateway::domestic_certificate_dated(years)
}

fn refusal<A: std::fmt::Debug>(decided: Result<A, Refusal>) -> (Class, String, bool) {
    let r = decided.expect_err("refused");
    (r.class, r.reason, r.entry.is_some())
}

#[test]
fn who_may_ask_for_which_decision() {
    let dir = tempfile::tempdir().expect("tmp");
    let (app, _) = app(dir.path());
    let ctx = app.context();
    let doc = domestic_certificate();
    let anonymous = Caller::anonymous("anonymous");
    // Nobody without an identity: unauthenticated, and nothing recorded.
    for (what, decided) in [
        ("export", export::export(&ctx, &anonymous, export_request(&doc)).map(|_| ())),
        ("verify", verify::verify(&ctx, &anonymous, Audience::Api, &doc).map(|_| ())),
        ("recognize", recognize::recognize(&ctx, &anonymous, &doc).map(|_| ())),
    ] {
        assert_eq!(refusal(decided), (Class::Unauthenticated, "auth.role".into(), false), "{what}");
    }
    // Someone with the wrong role: forbidden, nothing recorded.
    for (what, decided) in [
        ("customs exports", export::export(&ctx, &customs(), export_request(&doc)).map(|_| ())),
        ("partner exports", export::export(&ctx, &partner("dakks"), export_request(&doc)).map(|_| ())),
        ("exporter verifies", verify::verify(&ctx, &exporter(&app), Audience::Api, &doc).map(|_| ())),
        ("customs recognizes", recognize::recognize(&ctx, &customs(), &doc).map(|_| ())),
        ("operator recognizes", recognize::recognize(&ctx, &operator(), &doc).map(|_| ())),
    ] {
        assert_eq!(refusal(decided), (Class::Forbidden, "auth.role".into(), false), "{what}");
    }
    let limits = mrgate::xml::Limits::default();
    for caller in [customs(), partner("cnas"), exporter(&app), anonymous] {
        let r = trust_list::candidate(&app.install_policy, &caller, b"<x/>", ctx.now, &limits).expect_err("refused");
        assert_eq!(r.reason, "auth.role", "{caller:?}");
    }
    // The public page takes anyone, logged as `public`; the API logs the caller.
    let public = verify::verify(&ctx, &Caller::anonymous("anonymous"), Audience::Public, &doc).expect("decided");
    assert_eq!(public.entry.actor, "public");
    assert!(!public.effects.iter().any(|e| matches!(e, Effect::KeepDocument { .. })), "nobody answers for it");
    // An exporter showing its token is that exporter on the page too, its document kept for
    // an audit (found by attack: it was logged as `public`).
    let by_token = verify::verify(&ctx, &exporter(&app), Audience::Public, &doc).expect("decided");
    assert_eq!(by_token.entry.actor, "exporter:demo-exporter");
    assert!(by_token.effects.iter().any(|e| matches!(e, Effect::KeepDocument { .. })), "kept");
    let api = verify::verify(&ctx, &customs(), Audience::Api, &doc).expect("decided");
    assert_eq!((api.entry.actor.as_str(), api.entry.kind.as_str()), ("customs:test", "recognition"));
    assert_eq!(verify::actor(&partner("dakks"), Audience::Api).as_deref(), Ok("partner:dakks"));
}

#[test]
fn an_export_refused_once_the_document_is_read_is_recorded_as_a_refusal() {
    let dir = tempfile::tempdir().expect("tmp");
    let (app, _) = app(dir.path());
    let before = app.log.size().expect("size");
    let ctx = app.context();
    // Unreadable: refused, not recorded (there is no certificate to have decided on).
    let unreadable = export::export(&ctx, &exporter(&app), export_request(b"<Certificate>"));
    assert_eq!(refusal(unreadable), (Class::Malformed, "xml.malformed".into(), false));
    // Not yet in force: refused and recorded.
    let future = dated(1);
    let decided = export::export(&ctx, &exporter(&app), export_request(&future));
    let refused = app.recorder.record(decided).expect_err("refused");
    assert_eq!((refused.refusal.class, refused.refusal.reason.as_str()), (Class::Invalid, "validity.not_yet_valid"));
    let receipt = refused.receipt.expect("a recorded refusal has a receipt");
    assert_eq!(receipt.index, before);
    let entry = last_entry(&app);
    assert_eq!(
        (entry.kind.as_str(), entry.verdict.as_str(), entry.reasons.clone(), entry.outputs.len()),
        ("export", "refused", vec!["validity.not_yet_valid".to_string()], 0)
    );
    assert_eq!(entry.actor, "exporter:demo-exporter");
    // The document, and the grant it was decided under (it is unsigned), both kept.
    let grant = app.authority.exporter_by_token(token().trim()).expect("granted").document();
    assert_eq!(entry.inputs, vec![mrgate::decisions::digest(&future), mrgate::decisions::digest(&grant)]);
    assert_eq!(app.store.kept_document(&entry.inputs[1]).expect("read"), Some(grant));
    assert_eq!(app.store.certificate("CNCA-R-2002-001", "04925Q10021R0M").expect("store"), None, "nothing registered");
    // Outside the exporter's grant (another holder's certificate): refused and recorded.
    let narrow = mrgate::decisions::Grant {
        name: "narrow".into(),
        holders: ["91110000100000000X".to_string()].into(),
        bodies: Default::default(),
    };
    let caller = Caller { role: Role::Exporter, actor: "exporter:narrow".into(), exporter: Some(Arc::new(narrow)) };
    let decided = export::export(&ctx, &caller, export_request(&domestic_certificate()));
    let (class, reason, logged) = refusal(decided);
    assert_eq!((class, reason.as_str()), (Class::Forbidden, "auth.not_your_certificate"));
    assert!(logged);
}

#[test]
fn decisions_tell_time_by_the_clock_they_are_given() {
    let dir = tempfile::tempdir().expect("tmp");
    let (app, clock) = app(dir.path());
    let next_year = dated(1);
    let decided = export::export(&app.context(), &exporter(&app), export_request(&next_year));
    assert_eq!(refusal(decided), (Class::Invalid, "validity.not_yet_valid".into(), true));
    // Two years on, the same certificate is in force: no waiting, the clock is moved.
    clock.advance(time::Duration::days(2 * 366));
    let ctx = app.context();
    let decision = export::export(&ctx, &exporter(&app), export_request(&next_year)).expect("exported");
    assert_eq!(decision.entry.time, mrgate::decisions::rfc3339(ctx.now));
    assert_eq!(decision.entry.verdict, "exported");
    // What the gateway signs is signed at the decision's time, the time its entry records.
    let iaf = export::Request { document: &next_year, formats: &[Format::IafXml] };
    let decision = export::export(&ctx, &exporter(&app), iaf).expect("exported");
    let signed = decision.answer["documents"]["iaf-xml"].as_str().expect("iaf xml");
    let document = mrgate::xml::parse_document(signed.as_bytes(), &mrgate::xml::Limits::default()).expect("xml");
    assert_eq!(mrgate::crypto::xmldsig::stated_signing_time(&document).as_deref(), Some(decision.entry.time.as_str()));
    // Past its expiry, refused again.
    clock.advance(time::Duration::days(3 * 366));
    let decided = export::export(&app.context(), &exporter(&app), export_request(&next_year));
    assert_eq!(refusal(decided), (Class::Invalid, "validity.expired".into(), true));
}

#[test]
fn a_register_changed_between_decision_and_record_refuses_the_decision_on_the_record() {
    let dir = tempfile::tempdir().expect("tmp");
    let (app, _) = app(dir.path());
    let doc = domestic_certificate();
    // Two exports decided on the same empty register; the first recorded registers it.
    let first = export::export(&app.context(), &exporter(&app), export_request(&doc)).expect("decided");
    let second = export::export(&app.context(), &exporter(&app), export_request(&doc)).expect("decided");
    let recorded = app.recorder.record(Ok(first)).expect("recorded");
    assert_eq!(recorded.answer["assessment_level"], "GlobalMRA");
    // The second expected the certificate absent: a conflict, recorded as a refusal.
    let refused = app.recorder.record(Ok(second)).expect_err("the register changed");
    assert_eq!((refused.refusal.class, refused.refusal.reason.as_str()), (Class::Conflict, "register.conflict"));
    let receipt = refused.receipt.expect("recorded");
    assert_eq!(receipt.index, recorded.receipt.index + 1);
    let entry = last_entry(&app);
    assert_eq!((entry.kind.as_str(), entry.verdict.as_str()), ("export", "refused"));
    assert_eq!(entry.reasons, vec!["register.conflict".to_string()]);
}

#[test]
fn a_partner_recognizes_only_its_own_bodies_certificates() {
    let dir = tempfile::tempdir().expect("tmp");
    let (app, _) = app(dir.path());
    // A credential the gateway exported, for CNCA-R-2002-001 (a CNAS CB in the demo list).
    let exported = export::export(&app.context(), &exporter(&app), export_request(&domestic_certificate()))
        .expect("exported")
        .answer;
    let credential = exported["documents"]["untp-dcc"].as_str().expect("credential").to_string();
    let before = app.log.size().expect("size");
    // DAkkS may not recognize a CNAS body's certificate: refused and recorded.
    let refused = app
        .recorder
        .record(recognize::recognize(&app.context(), &partner("dakks"), credential.as_bytes()))
        .expect_err("not its body");
    assert_eq!((refused.refusal.class, refused.refusal.reason.as_str()), (Class::Forbidden, "auth.not_your_body"));
    assert_eq!(refused.receipt.map(|r| r.index), Some(before));
    assert_eq!(last_entry(&app).verdict, "refused");
}

#[test]
fn a_trust_list_is_installed_only_over_an_older_one() {
    let dir = tempfile::tempdir().expect("tmp");
    let (app, _) = app(dir.path());
    let document = std::fs::read(format!("{DEMO}/trust-list.xml")).expect("list");
    let limits = mrgate::server::trust_list_limits(&app.limits);
    let now = app.now();
    let candidate = trust_list::candidate(&app.install_policy, &operator(), &document, now, &limits).expect("read");
    // The same list again: not newer.
    let in_force = app.trust_list();
    let crls = app.crls.set_digest();
    let refused = trust_list::install(&candidate, &in_force, "operator:test", None, crls, now).expect_err("not newer");
    assert_eq!((refused.class, refused.reason.as_str()), (Class::Conflict, "trust.sequence"));
    assert!(refused.entry.is_none(), "a refused install is not recorded");
    // Not a signed list at all: read, and refused (422); not XML at all: malformed (400).
    let r = trust_list::candidate(&app.install_policy, &operator(), b"<TrustServiceStatusList/>", now, &limits)
        .expect_err("unsigned");
    assert_eq!((r.class, r.reason.as_str()), (Class::Invalid, "dsig.no_signature"));
    let r = trust_list::candidate(&app.install_policy, &operator(), b"<TrustServiceStatusList>", now, &limits)
        .expect_err("not XML");
    assert_eq!((r.class, r.reason.as_str()), (Class::Malformed, "xml.malformed"));
}

#[test]
fn a_verification_is_recorded_whatever_its_verdict() {
    let dir = tempfile::tempdir().expect("tmp");
    let (app, _) = app(dir.path());
    let before = app.log.size().expect("size");
    for document in [&b"not a document"[..], &domestic_certificate()] {
        let decided = verify::verify(&app.context(), &customs(), Audience::Api, document);
        let recorded = app.recorder.record(decided).expect("recorded");
        assert!(!recorded.answer.valid);
        assert_eq!(last_entry(&app).verdict, "invalid");
    }
    assert_eq!(app.log.size().expect("size"), before + 2);
    // An empty body is no verification: refused unrecorded.
    let empty = verify::verify(&app.context(), &customs(), Audience::Api, b"");
    assert_eq!(refusal(empty), (Class::Malformed, "http.empty".into(), false));
    assert_eq!(app.log.size().expect("size"), before + 2);
}

/// A verification decided before a suspension is not logged after it: its commit is held to
/// the register's status it read (`register.changed`, nothing logged), and decided
/// again it says suspended (found by review: a verification racing a notice was logged
/// "valid" after the suspension's entry, and the gateway's own audit disagreed with it).
#[test]
fn a_verification_decided_before_a_suspension_is_not_logged_after_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let (app, _) = app(dir.path());
    let (credential, number) = exported_credential(&app);
    let stale = verify::verify(&app.context(), &customs(), Audience::Api, credential.as_bytes()).expect("decided");
    assert_eq!((stale.answer.valid, stale.answer.status), (true, "valid"));
    // The CB's suspension, relayed by the operator, lands before the verification commits.
    let token = common::partners::notice_of("CNCA-R-2002-001", "suspend", &number, "cb/CNCA-R-2002-001");
    let token = String::from_utf8(token).expect("utf-8");
    app.recorder.record(mrgate::decisions::notice::notice(&app.context(), &operator(), &token)).expect("suspended");
    let size = refused_as_changed(&app, stale);
    // Decided again, with the register as it is now: suspended, and logged so.
    let again = verify::verify(&app.context(), &customs(), Audience::Api, credential.as_bytes());
    let recorded = app.recorder.record(again).expect("recorded");
    assert_eq!((recorded.answer.valid, recorded.answer.status), (false, "suspended"));
    assert_eq!((recorded.receipt.index, last_entry(&app).reasons), (size, vec!["status.suspended".to_string()]));
}

/// A verification of a certificate the register holds the status of alone (its body's
/// notices, no document) holds to that: a recognition registering its facts before the
/// verification commits changes what it read, and it is decided again.
#[test]
fn a_verification_under_a_status_alone_is_not_logged_after_facts_are_registered() {
    let dir = tempfile::tempdir().expect("tmp");
    let (app, _) = app(dir.path());
    let (credential, number) = common::partners::foreign_credential("foreign/dakks/signer");
    for action in ["suspend", "restore"] {
        let token =
            String::from_utf8(common::partners::notice(action, &number, "foreign/dakks/signer")).expect("utf-8");
        let notice = mrgate::decisions::notice::notice(&app.context(), &partner("dakks"), &token);
        app.recorder.record(notice).expect("applied");
    }
    let held = app.store.certificate("dakks-cb", &number).expect("read").expect("held");
    assert_eq!((held.status.as_str(), held.origin.as_str(), held.document.len()), ("valid", "notice", 0));
    let stale = verify::verify(&app.context(), &customs(), Audience::Api, credential.as_bytes()).expect("decided");
    assert_eq!((stale.answer.valid, stale.answer.status), (true, "valid"));
    let recognized = recognize::recognize(&app.context(), &partner("dakks"), credential.as_bytes());
    assert!(app.recorder.record(recognized).expect("recognized").answer.recognized);
    refused_as_changed(&app, stale);
    let again = verify::verify(&app.context(), &customs(), Audience::Api, credential.as_bytes());
    let recorded = app.recorder.record(again).expect("recorded");
    assert_eq!((recorded.answer.valid, recorded.answer.status), (true, "valid"));
}

/// A notice is held to the register its date rule read (found by attack): decided while
/// the register held nothing of its certificate, with a first export committed before it,
/// its commit conflicts, and decided again on the export's facts it is refused for its date
/// (before the certificate's issue, 2025-01-10). Recorded as the race it was, the audit
/// counts it as not re-derived; the notice decided again is re-derived like any other.
#[test]
fn a_notice_is_held_to_the_register_its_date_rule_read() {
    let dir = tempfile::tempdir().expect("tmp");
    let (app, _) = app(dir.path());
    let iat = time::OffsetDateTime::now_utc().unix_timestamp() - 60;
    let payload = serde_json::json!({"issuer": "CNCA-R-2002-001", "number": "04925Q10021R0M", "action": "suspend",
        "iat": iat, "jti": "before-its-issue", "date": "2024-06-01"});
    let token = common::partners::signed_notice(&payload, "cb/CNCA-R-2002-001");
    let token = String::from_utf8(token).expect("utf-8");
    let decide = || mrgate::decisions::notice::notice(&app.context(), &operator(), &token);
    let stale = decide().expect("decided: the register holds nothing of it");
    let exported = export::export(&app.context(), &exporter(&app), export_request(&domestic_certificate()));
    app.recorder.record(exported).expect("exported");
    let size = app.log.size().expect("size");
    let raced = app.recorder.record(Ok(stale)).expect_err("held to the register it read");
    assert_eq!(
        (raced.refusal.class, raced.refusal.reason.as_str(), raced.receipt.is_some()),
        (Class::Conflict, "register.conflict", true)
    );
    assert_eq!(app.log.size().expect("size"), size + 1, "the race is recorded");
    let held = app.store.certificate("CNCA-R-2002-001", "04925Q10021R0M").expect("read").expect("held");
    assert_eq!((held.status.as_str(), held.origin.as_str()), ("valid", "export-unsigned"));
    let again = app.recorder.record(decide()).expect_err("refused for its date");
    assert_eq!((again.refusal.reason.as_str(), again.receipt.is_some()), ("notice.date", true));
    drop(app);
    let report = common::audit::audit(dir.path(), None);
    assert_eq!(report.disagreements, []);
    let skipped: u64 = report.not_re_derived.values().sum();
    assert_eq!((report.entries, report.re_derived, skipped), (5, 4, 1), "{:?}", report.not_re_derived);
}

/// The gateway's export sent back with whitespace around it is the same credential: it
/// verifies as the gateway's own, and the audit decides it so too (found by attack: the audit
/// held the gateway's signature to exports by the exact bytes, and found it invalid).
#[test]
fn an_export_sent_back_with_a_newline_is_the_gateways_own_to_the_audit_too() {
    let dir = tempfile::tempdir().expect("tmp");
    let (app, _) = app(dir.path());
    let (credential, _) = exported_credential(&app);
    for sent in [format!("{credential}\n"), format!(" {credential}\r\n")] {
        let verified = verify::verify(&app.context(), &customs(), Audience::Api, sent.as_bytes());
        let recorded = app.recorder.record(verified).expect("recorded");
        assert_eq!((recorded.answer.valid, recorded.answer.status), (true, "valid"));
    }
    drop(app);
    let report = common::audit::audit(dir.path(), None);
    assert_eq!(report.disagreements, []);
    assert_eq!((report.entries, report.re_derived), (5, 5), "{:?}", report.not_re_derived);
}

/// Customs' verification of `document`, recorded: whether it is valid, its status, and the
/// reason of its first failed check.
fn verified(app: &App, document: &[u8]) -> (bool, &'static str, Option<String>) {
    let verified = verify::verify(&app.context(), &customs(), Audience::Api, document);
    let answer = app.recorder.record(verified).expect("recorded").answer;
    let first_failed = answer.checks.iter().find(|c| c.outcome == mrgate::crypto::Outcome::Fail);
    (answer.valid, answer.status, first_failed.map(|c| c.reason.clone()))
}

/// The gateway's signature stands for its exports, and an export registers its certificate:
/// a document signed with the gateway's key of a certificate its register does not hold is
/// none of its exports, `trust.not_exported`, as the audit judges it (found by
/// review: after a store was reset, or from another deployment sharing the key, such a
/// document verified "valid" with whatever facts it stated) — also when the register holds
/// the status alone its body's notice gave it. The exported credential itself stays the
/// gateway's own, and the log audits clean.
#[test]
fn the_gateways_signature_stands_only_for_certificates_it_registered() {
    let dir = tempfile::tempdir().expect("tmp");
    let (app, _) = app(dir.path());
    let (key, chain) = common::partners::signer("signing");
    let failed = |document: &[u8]| verified(&app, document);
    let text = String::from_utf8(domestic_certificate()).expect("utf8");
    let cn_xml = mrgate::crypto::xmldsig::sign(&text, &key, &chain).expect("sign").into_bytes();
    let refused = (false, "unknown", Some("trust.not_exported".to_string()));
    assert_eq!(failed(&cn_xml), refused, "CN XML of a certificate never exported");
    let other = text.replace("04925Q10021R0M", "04925Q10021R1M");
    let other_xml = mrgate::crypto::xmldsig::sign(&other, &key, &chain).expect("sign").into_bytes();
    assert_eq!(failed(&other_xml), refused, "another number");
    // A certificate whose status alone its body's notice registered: no export of it either.
    let notified = text.replace("04925Q10021R0M", "04925Q10021R2M");
    let token = common::partners::notice_of("CNCA-R-2002-001", "suspend", "04925Q10021R2M", "cb/CNCA-R-2002-001");
    let token = String::from_utf8(token).expect("utf-8");
    app.recorder.record(mrgate::decisions::notice::notice(&app.context(), &operator(), &token)).expect("suspended");
    let notified_xml = mrgate::crypto::xmldsig::sign(&notified, &key, &chain).expect("sign").into_bytes();
    assert_eq!(failed(&notified_xml), refused, "a status alone registered");
    // The certificate exported: its credential is the gateway's own; a document of another
    // certificate is still no export of it.
    let (credential, number) = exported_credential(&app);
    assert_eq!(number, "04925Q10021R0M");
    assert_eq!(failed(credential.as_bytes()), (true, "valid", None));
    assert_eq!(failed(&other_xml), refused, "another number, after an export of the first");
    let parsed = mrgate::crypto::jws::parse(&credential).expect("jws");
    let payload = String::from_utf8(parsed.payload.clone()).expect("utf8").replace("04925Q10021R0M", "04925Q10021R1M");
    let forged = mrgate::crypto::jws::sign(payload.as_bytes(), &key, &chain, None, true).expect("sign");
    assert_eq!(failed(forged.as_bytes()), refused, "the credential made again for another number");
    drop(app);
    let report = common::audit::audit(dir.path(), None);
    assert_eq!(report.disagreements, []);
    assert_eq!((report.entries, report.re_derived), (10, 10), "{:?}", report.not_re_derived);
}

/// The gateway's signature stands for the very documents it exported, and for no other
/// (rule set 20): the exported credential and IAF XML verify, as made or with white space
/// around them, and a document the gateway's key signed stating exactly the registered
/// facts but never exported is `trust.not_exported` — the CN XML it was exported from, the
/// credential's payload signed again, the IAF record rendered and signed again; so is the
/// exported IAF XML with its line ends converted, whose signature still verifies. Rule set
/// 19 answered the first three "valid", and the audit `trust.signer_not_listed`.
#[test]
fn the_gateways_signature_stands_only_for_the_documents_it_exported() {
    let dir = tempfile::tempdir().expect("tmp");
    let (app, _) = app(dir.path());
    let (key, chain) = common::partners::signer("signing");
    let decided = |document: &[u8]| verified(&app, document);
    let request = export::Request { document: &domestic_certificate(), formats: &[Format::UntpDcc, Format::IafXml] };
    let answer = app.recorder.record(export::export(&app.context(), &exporter(&app), request)).expect("exported");
    let document = |format: &str| answer.answer["documents"][format].as_str().expect("a document").to_string();
    let (credential, iaf) = (document("untp-dcc"), document("iaf-xml"));
    let valid = (true, "valid", None);
    assert_eq!(decided(credential.as_bytes()), valid, "the exported credential");
    assert_eq!(decided(format!("{credential}\n").as_bytes()), valid, "as `jq -r` gives it back");
    assert_eq!(decided(iaf.as_bytes()), valid, "the exported IAF XML");
    assert_eq!(decided(format!("{iaf}\r\n\n").as_bytes()), valid, "with white space after it");

    let refused = (false, "unknown", Some("trust.not_exported".to_string()));
    let text = String::from_utf8(domestic_certificate()).expect("utf8");
    let cn_xml = mrgate::crypto::xmldsig::sign(&text, &key, &chain).expect("sign");
    assert_eq!(decided(cn_xml.as_bytes()), refused, "the CN XML it was exported from, signed with the gateway's key");
    let payload = mrgate::crypto::jws::parse(&credential).expect("jws").payload;
    let again = mrgate::crypto::jws::sign(&payload, &key, &chain, None, true).expect("sign");
    assert_ne!(again, credential);
    assert_eq!(decided(again.as_bytes()), refused, "the exported credential's payload signed again");
    let cert = mrgate::formats::parse(Format::CnXml, text.as_bytes(), &Default::default()).expect("read");
    let rendered = String::from_utf8(mrgate::formats::render(Format::IafXml, &cert).bytes).expect("utf8");
    // Signed an hour before the export, so not its very bytes (the key's Ed25519 signature
    // of the same signed info at the same second would be).
    let earlier = (time::OffsetDateTime::now_utc() - time::Duration::hours(1)).replace_nanosecond(0).expect("time");
    let earlier = earlier.format(&time::format_description::well_known::Rfc3339).expect("time");
    let iaf_again = mrgate::crypto::xmldsig::sign_at(&rendered, &key, &chain, &earlier).expect("sign");
    assert_ne!(iaf_again, iaf);
    assert_eq!(decided(iaf_again.as_bytes()), refused, "the IAF record rendered and signed again");
    let crlf = iaf.replace('\n', "\r\n");
    assert_eq!(decided(crlf.as_bytes()), refused, "the exported IAF XML with its line ends converted");
    // The exported documents still verify after these refusals.
    assert_eq!(decided(credential.as_bytes()), valid);
    drop(app);
    let report = common::audit::audit(dir.path(), None);
    assert_eq!(report.disagreements, []);
    assert_eq!(report.entries, report.re_derived, "{:?}", report.not_re_derived);
    assert_eq!(report.entries, 12, "the trust list, the table, the export and nine verifications");
}

/// A certificate's registration keeps the time its facts were first registered while they
/// stay the same — the same credential recognized again a day later, or exported again —
/// and takes the new time when its body re-issues it with other facts: that time vouches
/// for a certificate dated before its accreditor's suspension, and a repeat during the
/// suspension must not take it away (found by review).
#[test]
fn a_registration_keeps_its_time_while_its_facts_stay() {
    let dir = tempfile::tempdir().expect("tmp");
    let (app, clock) = app(dir.path());
    let recorded = |number: &str| app.store.certificate("dakks-cb", number).expect("read").expect("held").recorded_at;
    let recognized = |credential: &str| {
        let r = app.recorder.record(recognize::recognize(&app.context(), &partner("dakks"), credential.as_bytes()));
        let answer = r.map(|r| (r.answer.recognized, r.answer.body.to_string()));
        assert!(answer.as_ref().is_ok_and(|(recognized, _)| *recognized), "{answer:?}");
    };
    let (credential, number) = common::partners::foreign_credential("foreign/dakks/signer");
    recognized(&credential);
    let first = recorded(&number);
    clock.advance(time::Duration::days(1));
    recognized(&credential);
    assert_eq!(recorded(&number), first, "the same credential a day later");
    // Of the same day with another scope, it replaces nothing (rule set 21): refused, and
    // logged so.
    let (same_day, _) = common::partners::foreign_credential_with("foreign/dakks/signer", |vc| {
        vc["credentialSubject"]["description"] = "任何产品".into();
    });
    let r = app.recorder.record(recognize::recognize(&app.context(), &partner("dakks"), same_day.as_bytes()));
    let refusal = r.err().map(|r| (r.refusal.reason, r.receipt.is_some()));
    assert_eq!(refusal, Some(("register.older_document".to_string(), true)));
    assert_eq!(recorded(&number), first, "nothing registered");
    // Re-issued a day after the first issue, it replaces it.
    let reissued = time::OffsetDateTime::now_utc().date() - time::Duration::days(29);
    let (wider, _) = common::partners::foreign_credential_with("foreign/dakks/signer", |vc| {
        vc["credentialSubject"]["description"] = "任何产品".into();
        vc["validFrom"] = format!("{reissued}T00:00:00+08:00").into();
    });
    recognized(&wider);
    assert_ne!(recorded(&number), first, "another scope");

    // An export again a day later keeps its time too.
    let exported = |app: &App| {
        let r = app.recorder.record(export::export(
            &app.context(),
            &exporter(app),
            export_request(&domestic_certificate()),
        ));
        assert!(r.is_ok(), "exported");
        app.store.certificate("CNCA-R-2002-001", "04925Q10021R0M").expect("read").expect("held").recorded_at
    };
    let first = exported(&app);
    clock.advance(time::Duration::days(1));
    assert_eq!(exported(&app), first);
}

/// A record the register cannot keep whole — a foreign holder known by its registration id,
/// which CN XML does not carry — recognized again is the same facts, not other facts of the
/// same day: recognized again, keeping its registration's time (found by review of rule set
/// 21, which refused it as a same-day version). Told apart by what the register keeps: the
/// same record naming another holder is other facts of the same day, refused.
#[test]
fn a_record_the_register_cannot_keep_whole_is_recognized_again() {
    let dir = tempfile::tempdir().expect("tmp");
    let (app, clock) = app(dir.path());
    let holder = |name: &'static str| {
        move |vc: &mut serde_json::Value| {
            vc["credentialSubject"]["issuedToParty"] = serde_json::json!({
                "id": "urn:mrgate:registered-id:HRB-12345",
                "name": name,
                "registeredId": "HRB-12345",
            });
        }
    };
    let (credential, number) =
        common::partners::foreign_credential_with("foreign/dakks/signer", holder("Beispiel GmbH"));
    let recognize = |credential: &str| {
        let r = app.recorder.record(recognize::recognize(&app.context(), &partner("dakks"), credential.as_bytes()));
        r.map(|r| r.answer.recognized).map_err(|r| r.refusal.reason)
    };
    assert_eq!(recognize(&credential), Ok(true));
    let recorded = || app.store.certificate("dakks-cb", &number).expect("read").expect("held").recorded_at;
    let first = recorded();
    clock.advance(time::Duration::days(1));
    assert_eq!(recognize(&credential), Ok(true), "the same record again");
    assert_eq!(recorded(), first);
    let (other, _) = common::partners::foreign_credential_with("foreign/dakks/signer", holder("Andere GmbH"));
    assert_eq!(recognize(&other), Err("register.older_document".to_string()));
    assert_eq!(recorded(), first);
}
