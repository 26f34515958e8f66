//! Rules as versioned records and the audit: an equivalence table installed as a signed
//! version, every entry naming the rule versions it was decided with, `GET /v1/rules`, and
//! `mrgate log audit` deciding the whole log again — clean when untouched, and catching each
//! kind of change made to the store behind the gateway's back.

mod common;

use common::audit::{Case, audit, copy_of, each_caught, found, sql};
use common::gateway::{DEMO, call, config, domestic_certificate, token};
use common::partners::{foreign_credential, notice, signer};
use mrgate::ledger::entry::{Entry, RuleVersion, Rules};
use mrgate::server::{App, start};
use mrgate::standards::EMBEDDED_TABLE;
use rustls::pki_types::pem::PemObject;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The build's table under another sequence and label.
fn table_text(sequence: u64) -> String {
    EMBEDDED_TABLE.replacen("sequence = 3\n", &format!("sequence = {sequence}\n"), 1).replacen(
        "version = \"2026.12.07-1\"",
        &format!("version = \"test-{sequence}\""),
        1,
    )
}

/// `table_text(sequence)` signed by the demo's pinned trust-list signer.
fn signed_table(sequence: u64) -> Vec<u8> {
    let (key, chain) = signer("trust-list-operator");
    mrgate::trust::equivalence_table::sign(&table_text(sequence), &key, &chain).expect("sign").into_bytes()
}

/// The example configuration, pointed at `data` (what `mrgate log audit --config` reads),
/// without a public URL, like the gateway that wrote the log (its receipt links name the
/// port it was given).
fn config_file(dir: &Path, data: &Path) -> PathBuf {
    let path = dir.join("mrgate.toml");
    let text = common::gateway::example_config_text(data);
    let without = text.replace("public_url = \"https://localhost:8443\"\n", "");
    assert_ne!(without, text, "the example names a public URL");
    std::fs::write(&path, without).expect("config");
    path
}

fn entry_of(receipt: &serde_json::Value) -> Entry {
    use base64::Engine;
    let bytes =
        base64::engine::general_purpose::STANDARD.decode(receipt["entry"].as_str().expect("entry")).expect("base64");
    Entry::decode(&bytes).expect("entry")
}

fn rules_of(list: (u64, &str), table: (u64, &str), crls: &str) -> Rules {
    Rules::V2 {
        trust_list: Some(RuleVersion { sequence: list.0, digest: list.1.into() }),
        equivalence_table: Some(RuleVersion { sequence: table.0, digest: table.1.into() }),
        crls: Some(crls.into()),
        rule_set: Some(mrgate::decisions::RULE_SET.into()),
    }
}

/// A DAkkS CB's certificate recognized by DAkkS (and, with `refused_too`, refused to
/// UKAS, not its body), then suspended by a DAkkS notice: the credential.
async fn recognized_then_suspended(addr: std::net::SocketAddr, refused_too: bool) -> String {
    let (jws, number) = foreign_credential("foreign/dakks/signer");
    let r = call(addr, "POST", "/v1/recognitions", jws.clone().into_bytes(), Some("partner-dakks"), None).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    if refused_too {
        let r = call(addr, "POST", "/v1/recognitions", jws.clone().into_bytes(), Some("partner-ukas"), None).await;
        assert_eq!((r.status, r.json()["reason"].as_str()), (403, Some("auth.not_your_body")));
    }
    let notice = notice("suspend", &number, "foreign/dakks/signer");
    let n = call(addr, "POST", "/v1/notices", notice, Some("partner-dakks"), None).await;
    assert_eq!(n.status, 200, "{}", String::from_utf8_lossy(&n.body));
    jws
}

/// What [`busy_log`] leaves: the data directory, the checkpoint over its whole log, and the
/// digest of the document of its one valid verification.
struct Busy {
    data: tempfile::TempDir,
    checkpoint: String,
    verified: String,
}

/// A log with a decision of every kind, in this order: (0) the build's table, (1) the
/// configured trust list, (2) an export, (3) its verification (valid), (4) a verification
/// of bytes that are no certificate (invalid), (5) a partner's recognition, (6) another
/// partner's refused recognition of the same certificate, (7) a notice suspending it,
/// (8) its verification (invalid: suspended), (9) a new equivalence table, (10) a
/// verification under it, (11) a new trust list, (12) a verification under that. Each
/// step's entry is checked to name the rule versions in force.
/// The demo log's Ed25519 public key, raw.
fn log_public_key() -> Vec<u8> {
    let pem = std::fs::read(format!("{}/log.pub", common::gateway::DEMO)).expect("log.pub");
    mrgate::crypto::keys::PublicKey::from_spki_pem(&pem).expect("key").raw().to_vec()
}

async fn busy_log() -> Busy {
    let data = tempfile::tempdir().expect("tmp");
    let app = Arc::new(App::load(config(data.path())).expect("app"));
    let running = start(Arc::clone(&app)).await.expect("start");
    let addr = running.addr;
    let (list1, table1) = (app.trust_list().digest.clone(), app.table().digest.clone());
    let crls = app.crls.set_digest().to_string();

    let export = call(addr, "POST", "/v1/exports", domestic_certificate(), None, Some(&token())).await;
    assert_eq!(export.status, 201, "{}", String::from_utf8_lossy(&export.body));
    let credential = export.json()["documents"]["untp-dcc"].as_str().expect("credential").as_bytes().to_vec();
    let v = call(addr, "POST", "/v1/verify", credential.clone(), Some("customs"), None).await.json();
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(entry_of(&v["receipt"]).rules, rules_of((1, &list1), (3, &table1), &crls));
    let v = call(addr, "POST", "/v1/verify", b"no certificate".to_vec(), Some("customs"), None).await.json();
    assert_eq!(v["valid"], false);

    let jws = recognized_then_suspended(addr, true).await;
    let v = call(addr, "POST", "/v1/verify", jws.clone().into_bytes(), Some("customs"), None).await.json();
    assert_eq!((v["valid"].as_bool(), v["status"].as_str()), (Some(false), Some("suspended")), "{v}");

    let t = call(addr, "PUT", "/v1/admin/equivalence-table", signed_table(4), Some("operator"), None).await;
    assert_eq!(t.status, 200, "{}", String::from_utf8_lossy(&t.body));
    let table2 = t.json()["digest"].as_str().expect("digest").to_string();
    assert_eq!(entry_of(&t.json()["receipt"]).rules, rules_of((1, &list1), (4, &table2), &crls));
    let v = call(addr, "POST", "/v1/verify", credential.clone(), Some("customs"), None).await.json();
    assert_eq!(entry_of(&v["receipt"]).rules, rules_of((1, &list1), (4, &table2), &crls));

    let l = call(addr, "PUT", "/v1/admin/trust-list", common::demo_trust_list(2), Some("operator"), None).await;
    assert_eq!(l.status, 200, "{}", String::from_utf8_lossy(&l.body));
    let list2 = l.json()["digest"].as_str().expect("digest").to_string();
    let v = call(addr, "POST", "/v1/verify", credential.clone(), Some("customs"), None).await.json();
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(entry_of(&v["receipt"]).rules, rules_of((2, &list2), (4, &table2), &crls));

    let checkpoint =
        String::from_utf8(call(addr, "GET", "/v1/log/checkpoint", vec![], None, None).await.body).expect("checkpoint");
    assert!(checkpoint.starts_with("demo.mrgate.example/log\n13\n"), "{checkpoint}");
    running.shutdown(std::time::Duration::from_secs(5)).await;
    drop(app);
    Busy { data, checkpoint, verified: mrgate::crypto::sha256_hex(&credential) }
}

/// Makes an entry a sweep of exporter's words (rule set 28) by `actor`, for `reason`, as the
/// gateway writes one but for those.
fn sweep(actor: &str, reason: &str) -> impl FnOnce(&mut mrgate::ledger::entry::Entry) {
    let (actor, reason) = (actor.to_string(), reason.to_string());
    move |e| {
        e.kind = "look-alikes".into();
        e.actor = actor;
        e.verdict = "suspended".into();
        e.reasons = vec![reason];
        e.inputs.clear();
        e.outputs.clear();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untouched_log_audits_clean_and_every_change_behind_its_back_is_caught() {
    let busy = busy_log().await;
    let data = busy.data.path();

    let clean = audit(data, Some(&busy.checkpoint));
    assert_eq!(found(&clean), [], "{:#?}", clean.disagreements);
    assert_eq!((clean.entries, clean.re_derived), (13, 13), "{:#?}", clean.not_re_derived);

    // The command line says the same, and exits 0.
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = config_file(dir.path(), data);
    let saved = dir.path().join("checkpoint");
    std::fs::write(&saved, &busy.checkpoint).expect("checkpoint");
    let args = ["log", "audit", "--config", cfg.to_str().expect("path"), "--checkpoint", saved.to_str().expect("path")];
    let out = common::mrgate(&args, b"");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with("entries 13\nre-derived 13\nnot re-derived 0\ndisagreements 0\n"), "{stdout}");
    assert!(stdout.contains("\nregister compared\nanchored 13\n"), "{stdout}");
    assert!(!stdout.contains("unanchored"), "{stdout}");
    assert_eq!(clean.anchored, 13);

    // A checkpoint of the first nine entries anchors those only: the audit agrees, and says
    // which entries no checkpoint signs (found by review: it said nothing of them).
    let pem = std::fs::read(format!("{DEMO}/log.key")).expect("key");
    let pkcs8 = rustls::pki_types::PrivatePkcs8KeyDer::from_pem_slice(&pem).expect("pkcs8");
    let key = ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8.secret_pkcs8_der()).expect("key");
    let older = {
        let store = mrgate::store::sqlite::SqliteStore::open(&data.join("mrgate.db")).expect("store");
        let mut tree = mrgate::ledger::merkle::Tree::new();
        for entry in mrgate::store::Store::log_entries(&store, 0, 9).expect("entries") {
            tree.push(mrgate::ledger::merkle::leaf_hash(&entry));
        }
        let origin = "demo.mrgate.example/log";
        let root = tree.root(9).expect("root");
        mrgate::ledger::checkpoint::Checkpoint { origin: origin.into(), size: 9, root }.sign(origin, &key)
    };
    let report = audit(data, Some(&older));
    assert_eq!((found(&report), report.entries, report.anchored), (vec![], 13, 9), "{:#?}", report.disagreements);
    std::fs::write(&saved, &older).expect("checkpoint");
    let out = common::mrgate(&args, b"");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        stdout.contains(
            "\nanchored 9\nunanchored: entries 9..13: no checkpoint given signs them, so nothing shows they are the \
             log anyone was shown (audit again with a newer checkpoint)\n"
        ),
        "{stdout}"
    );
    assert_eq!(audit(data, None).anchored, 0);
    std::fs::write(&saved, &busy.checkpoint).expect("checkpoint");

    // A checkpoint its witness cosigned long ago is no fresh one (`--max-age`, found by
    // attack: a gateway serving an old, witnessed checkpoint had its later decisions go
    // unaudited); cosigned just now it is.
    let witness_key = ring::signature::Ed25519KeyPair::from_seed_unchecked(&[7; 32]).expect("key");
    let witness = mrgate::ledger::cosignature::Witness::of("witness.example/w1", &witness_key).expect("witness");
    let vkey = dir.path().join("witness.vkey");
    std::fs::write(&vkey, witness.verifier_key()).expect("vkey");
    let (checkpoint, _) = mrgate::ledger::checkpoint::Checkpoint::verify(&busy.checkpoint, &log_public_key())
        .expect("the log's checkpoint");
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
    let aged = |age: u64| {
        let cosigned = dir.path().join(format!("cosigned-{age}"));
        let cosignature = mrgate::ledger::cosignature::cosign(
            &checkpoint.body(),
            "witness.example/w1",
            &witness_key,
            now.wrapping_sub(age),
        );
        std::fs::write(&cosigned, format!("{}{cosignature}", busy.checkpoint)).expect("write");
        let mut args = vec!["log", "audit", "--config", cfg.to_str().expect("path")]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>();
        args.extend(["--checkpoint".into(), cosigned.display().to_string(), "--witness-key".into()]);
        args.extend([vkey.display().to_string(), "--min-witnesses".into(), "1".into()]);
        args
    };
    let audited = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = common::mrgate(&args, b"");
        (out.status.code(), String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or_default().to_string())
    };
    let with_max_age = |age: u64| {
        let mut args = aged(age);
        args.extend(["--max-age".into(), "3600".into()]);
        audited(args)
    };
    assert_eq!(with_max_age(60), (Some(0), String::new()));
    let (code, said) = with_max_age(2 * 86_400);
    assert_eq!(code, Some(2), "{said}");
    assert!(
        said.starts_with("error[log.stale]: 0 of the witnesses given cosigned the checkpoint within --max-age 3600 s"),
        "{said}"
    );
    assert_eq!(audited(aged(2 * 86_400)).0, Some(0), "without --max-age, any time");
    // A cosignature dated ahead of now is no fresh one either.
    let (code, said) = with_max_age(0u64.wrapping_sub(3600));
    assert_eq!(code, Some(2), "{said}");

    // A kept document changed: neither the export that made it nor the verifications can
    // be decided from it.
    let changed = copy_of(data);
    sql(changed.path(), &format!("UPDATE kept_document SET document = x'00' WHERE digest = '{}'", busy.verified));
    assert_eq!(
        found(&audit(changed.path(), None)),
        [(2, "audit.document"), (3, "audit.document"), (10, "audit.document"), (12, "audit.document")]
    );

    // A logged verdict changed: decided again it comes out otherwise, and the tree no
    // longer has the checkpoint's root.
    let changed = copy_of(data);
    sql(
        changed.path(),
        "UPDATE log_entry SET entry = CAST(replace(CAST(entry AS TEXT), 'verdict invalid', 'verdict valid') AS BLOB) \
         WHERE idx = 4",
    );
    let report = audit(changed.path(), Some(&busy.checkpoint));
    assert_eq!(found(&report), [(4, "audit.verdict"), (13, "audit.tree")], "{:#?}", report.disagreements);

    // The log's last entries taken away, back to before the last decision the store
    // records (an export, a recognition): the log alone reads as a shorter, clean log, but
    // the store's record of that decision names an entry the log no longer holds (found by
    // attack). The checkpoint, when one is given, covers the entries after it.
    let changed = copy_of(data);
    let last: i64 = rusqlite::Connection::open(changed.path().join("mrgate.db"))
        .expect("db")
        .query_row("SELECT MAX(log_index) FROM decision", [], |r| r.get(0))
        .expect("a decision");
    sql(changed.path(), &format!("DELETE FROM log_entry WHERE idx >= {last}"));
    let report = audit(changed.path(), None);
    // The register the store holds is the taken entries' too: the recognition and the
    // notice no logged decision made any more.
    let at = last as u64;
    assert_eq!(
        found(&report),
        [(at, "audit.register"), (at, "audit.register"), (at, "audit.entry")],
        "{:#?}",
        report.disagreements
    );
    assert_eq!(
        report.disagreements[0].detail,
        "the store registers dakks-cb/04925Q10021R0M (suspended, recognition), which no logged decision registered"
    );
    let notice = &report.disagreements[1].detail;
    assert!(notice.starts_with("the store holds a notice of dakks-cb (notice-"), "{notice}");
    assert!(notice.ends_with(") that no logged decision applied"), "{notice}");
    assert_eq!(
        report.disagreements[2].detail,
        format!(
            "the store records a decision logged as entry {last}, and the log holds {last} entries: entries were \
             taken from it"
        )
    );

    // The register's history as the gateway keeps it plays no part: the audit rebuilds the
    // register from the log (the export, the recognition, the notice).
    let changed = copy_of(data);
    sql(changed.path(), "DELETE FROM status_event");
    assert_eq!(found(&audit(changed.path(), None)), []);
    // But the register itself is held to the log: it is what a look-up answers and a
    // verification reads (found by attack: the suspended certificate set valid again in the
    // store, its notices gone, audited clean, and the gateway answered "valid").
    for (what, change, expected) in [
        (
            "a suspension undone",
            &["UPDATE certificate SET status = 'valid' WHERE issuer = 'dakks-cb'", "DELETE FROM notice"][..],
            vec![
                "the store holds dakks-cb/04925Q10021R0M as 'valid'; the log made it 'suspended'",
                "the log applied a notice of dakks-cb (notice-",
            ],
        ),
        (
            "a certificate no decision registered",
            &["INSERT INTO certificate SELECT issuer, 'FORGED-1', holder_credit_code, origin, status, document, \
               recorded_at, signer, signer_at FROM certificate WHERE issuer = 'dakks-cb'"][..],
            vec!["the store registers dakks-cb/FORGED-1 (suspended, recognition), which no logged decision registered"],
        ),
        (
            "a certificate taken out",
            &["DELETE FROM certificate WHERE issuer = 'dakks-cb'"][..],
            vec!["the log registered dakks-cb/04925Q10021R0M, and the store does not hold it"],
        ),
        (
            "facts changed",
            &[
                "UPDATE certificate SET document = CAST(document || ' ' AS BLOB), origin = 'export' WHERE issuer = 'dakks-cb'",
            ][..],
            vec![
                "the store holds dakks-cb/04925Q10021R0M from 'export'; the log, from 'recognition'",
                "the store holds another document of dakks-cb/04925Q10021R0M than the log registered",
            ],
        ),
        // The key a registration is held to (rule set 23): none would keep a withdrawn key's
        // registrations valid on the look-up.
        (
            "a registration's signer taken out",
            &["UPDATE certificate SET signer = NULL WHERE issuer = 'dakks-cb'"][..],
            vec!["the store holds dakks-cb/04925Q10021R0M as signed by no key; the log, by "],
        ),
        (
            "a notice no decision applied",
            &["INSERT INTO notice SELECT body, 'forged-jti', issuer, number, iat, action FROM notice"][..],
            vec!["the store holds a notice of dakks-cb (forged-jti) that no logged decision applied"],
        ),
        // The documents the gateway's signature stands for (rule set 20): one more would
        // verify "valid" as its export, one fewer would be refused.
        (
            "an exported document no export made",
            &["INSERT INTO exported_document SELECT issuer, number, 'ab' || digest FROM exported_document LIMIT 1"][..],
            vec![
                "the store holds 1 document(s) exported of CNCA-R-2002-001/04925Q10021R0M that no logged export made (sha256:ab",
            ],
        ),
        (
            "an exported document taken out",
            &["DELETE FROM exported_document WHERE rowid = (SELECT min(rowid) FROM exported_document)"][..],
            vec![
                "the log exported 1 document(s) of CNCA-R-2002-001/04925Q10021R0M that the store does not hold (sha256:",
            ],
        ),
    ] {
        let changed = copy_of(data);
        for statement in change {
            sql(changed.path(), statement);
        }
        let report = audit(changed.path(), None);
        let found: Vec<(u64, &str, &str)> =
            report.disagreements.iter().map(|d| (d.index, d.reason, d.detail.as_str())).collect();
        assert_eq!(found.len(), expected.len(), "{what}: {found:#?}");
        for ((index, reason, detail), expected) in found.iter().zip(&expected) {
            assert_eq!((*index, *reason), (13, "audit.register"), "{what}");
            assert!(detail.starts_with(expected), "{what}: {detail}");
        }
    }
    // But the notice the log names changed: it no longer reads as the suspension logged,
    // and the verification that found the certificate suspended is decided again as valid.
    let changed = copy_of(data);
    sql(
        changed.path(),
        "UPDATE kept_document SET document = CAST(document || 'x' AS BLOB) \
         WHERE digest = (SELECT digest FROM kept_document WHERE CAST(document AS TEXT) LIKE 'eyJ%' \
                         AND length(document) < 2000 LIMIT 1)",
    );
    let report = audit(changed.path(), None);
    // And the store holds the suspension and the notice, which the log no longer makes.
    assert_eq!(
        found(&report),
        [(7, "audit.document"), (8, "audit.verdict"), (13, "audit.register"), (13, "audit.register")],
        "{:#?}",
        report.disagreements
    );
    assert!(report.disagreements[1].detail.contains("logged invalid"), "{}", report.disagreements[1].detail);

    // What an entry claims, changed in the store: each is caught.
    let rules = format!("rules {}\n", mrgate::decisions::RULE_SET);
    // An entry of another rule set that registered something (the recognition at 5): what it
    // registered is not known, so the register is not compared (found by review: every
    // certificate of a log begun under rule set 17 was reported as not registered).
    let changed = copy_of(data);
    sql(
        changed.path(),
        &format!(
            "UPDATE log_entry SET entry = CAST(replace(CAST(entry AS TEXT), '{rules}', 'rules 17\n') AS BLOB) WHERE idx = 5"
        ),
    );
    sql(changed.path(), "UPDATE certificate SET status = 'valid' WHERE issuer = 'dakks-cb'");
    let report = audit(changed.path(), None);
    assert_eq!(found(&report), [(5, "audit.rules")], "{:#?}", report.disagreements);
    assert_eq!(
        report.register,
        "not compared: entries that may have changed it were not decided again (format 1, another rule set)"
    );
    for (what, idx, from, to, expected) in [
        ("backdated by a year", 12, "time 2026-", "time 2025-", vec![(12, "audit.entry")]),
        // A rule set this build does not know (the next one, say).
        ("another rule set", 3, rules.as_str(), "rules 999\n", vec![(3, "audit.rules")]),
        ("no rule set", 10, rules.as_str(), "rules -\n", vec![(10, "audit.rules")]),
        // Not registered then, its body's notice still suspends it (its status alone), and
        // the verification still finds it suspended: the relabelled entry is caught, and the
        // store holds the recognition's origin and document, which the log no longer makes.
        (
            "a recognition relabelled a verification",
            5,
            "verdict recognized",
            "verdict valid",
            // The store holds its origin, its document and its signer, none of which the log made.
            vec![(5, "audit.entry"), (13, "audit.register"), (13, "audit.register"), (13, "audit.register")],
        ),
        // The export logged as refused: a refusal makes nothing, the gateway's signature then
        // stands for nothing it exported, and the verifications of that credential come out
        // invalid; the store holds the certificate and the documents it no longer registers.
        (
            "an export relabelled refused",
            2,
            "verdict exported",
            "verdict refused",
            vec![
                (2, "audit.entry"),
                (3, "audit.verdict"),
                (10, "audit.verdict"),
                (12, "audit.verdict"),
                (13, "audit.register"),
                (13, "audit.register"),
            ],
        ),
        ("dated in the future", 12, "time 2026-", "time 2099-", vec![(12, "audit.entry")]),
        (
            "a refusal no commit logs",
            6,
            "reason auth.not_your_body",
            "reason trust.list_changed",
            vec![(6, "audit.verdict")],
        ),
        // A suspension logged as a withdrawal: decided again, it is not; and not applied,
        // the certificate is not found suspended after it either.
        (
            "a notice's change relabelled",
            7,
            "verdict suspended",
            "verdict withdrawn",
            vec![(7, "audit.verdict"), (8, "audit.verdict"), (13, "audit.register"), (13, "audit.register")],
        ),
        // A refusal passed off as a race at commit, where one was possible (the partner's
        // recognition of the same certificate came just before): not decided again (the
        // race cannot be replayed); it counts as not re-derived — a refusal is all a gateway
        // can pass off so, and only right after a change to the same certificate.
        ("a refusal passed off as a race", 6, "reason auth.not_your_body", "reason register.conflict", vec![]),
        (
            "an install's verdict",
            9,
            "verdict installed",
            "verdict refused",
            vec![(9, "audit.install"), (10, "audit.rules"), (12, "audit.rules")],
        ),
        (
            "a decision naming no table",
            4,
            "equivalence-table 3 sha256:",
            "equivalence-table - sha256:",
            vec![(4, "audit.entry")],
        ),
    ] {
        let changed = copy_of(data);
        sql(
            changed.path(),
            &format!(
                "UPDATE log_entry SET entry = CAST(replace(CAST(entry AS TEXT), '{from}', '{to}') AS BLOB) WHERE idx = {idx}"
            ),
        );
        let report = audit(changed.path(), None);
        assert_eq!(found(&report), expected, "{what}: {:#?}", report.disagreements);
    }
    // A customs verification relabelled as the public page's: its document is kept, so it
    // is decided again all the same (the exemption is for documents not kept).
    let changed = copy_of(data);
    {
        let db = rusqlite::Connection::open(changed.path().join("mrgate.db")).expect("db");
        let bytes: Vec<u8> =
            db.query_row("SELECT entry FROM log_entry WHERE idx = 3", [], |r| r.get(0)).expect("entry");
        let mut entry = Entry::decode(&bytes).expect("entry");
        entry.actor = "public".into();
        db.execute("UPDATE log_entry SET entry = ?1 WHERE idx = 3", [entry.encode().expect("entry")]).expect("write");
    }
    let report = audit(changed.path(), None);
    assert_eq!((found(&report), report.re_derived), (vec![], 13), "{:#?}", report.not_re_derived);
    // A format-1 entry after format-2 ones (a downgrade no gateway writes).
    let changed = copy_of(data);
    {
        let db = rusqlite::Connection::open(changed.path().join("mrgate.db")).expect("db");
        let bytes: Vec<u8> =
            db.query_row("SELECT entry FROM log_entry WHERE idx = 4", [], |r| r.get(0)).expect("entry");
        let mut entry = Entry::decode(&bytes).expect("entry");
        let list = entry.rules.trust_list_digest().map(str::to_string);
        entry.rules = Rules::V1 { trust_list: list, equivalence_table: Some("2026.12.06-1".into()) };
        db.execute("UPDATE log_entry SET entry = ?1 WHERE idx = 4", [entry.encode().expect("format 1")])
            .expect("write");
    }
    let report = audit(changed.path(), None);
    assert_eq!(found(&report), [(4, "audit.entry")]);
    assert!(report.disagreements[0].detail.contains("--format-1-until"), "{}", report.disagreements[0].detail);

    // A stored trust-list version changed: its install no longer matches, and the decisions
    // made under it cannot be decided again.
    let changed = copy_of(data);
    sql(changed.path(), "UPDATE trust_list SET document = CAST(document || ' ' AS BLOB) WHERE sequence = 2");
    assert_eq!(found(&audit(changed.path(), None)), [(11, "audit.install"), (12, "audit.rules")]);

    // A stored equivalence table changed.
    let changed = copy_of(data);
    sql(changed.path(), "UPDATE equivalence_table SET document = x'00' WHERE sequence = 4");
    assert_eq!(found(&audit(changed.path(), None)), [(9, "audit.install"), (10, "audit.rules"), (12, "audit.rules")]);

    // The command line exits 1 on a store that disagrees, naming the entry.
    let changed = copy_of(data);
    sql(
        changed.path(),
        &format!(
            "UPDATE log_entry SET entry = CAST(replace(CAST(entry AS TEXT), 'rules {}', 'rules 999') AS BLOB) WHERE idx = 8",
            mrgate::decisions::RULE_SET
        ),
    );
    let cfg = config_file(dir.path(), changed.path());
    let out = common::mrgate(&["log", "audit", "--config", cfg.to_str().expect("path"), "--unanchored"], b"");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("disagreement: entry 8 (recognition) [audit.rules]"), "{stdout}");
    // It does not run on a store that is not there (it would make an empty one), nor with
    // nothing to anchor the tree to unless told so.
    let empty = tempfile::tempdir().expect("tmp");
    let cfg = config_file(dir.path(), empty.path());
    for args in [vec!["--unanchored"], vec![]] {
        let mut all = vec!["log", "audit", "--config", cfg.to_str().expect("path")];
        all.extend(args);
        let out = common::mrgate(&all, b"");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("error[usage.audit]"), "{stderr}");
    }
    assert!(!empty.path().join("mrgate.db").exists(), "the audit made no store");
}

/// The equivalence table as an operator installs it: only a newer version signed by a
/// pinned trust-list signer and saying what it is; kept in every version, listed by
/// `GET /v1/rules` and served byte for byte; in force again after a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_equivalence_table_is_installed_only_signed_newer_and_as_what_it_is() {
    let data = tempfile::tempdir().expect("tmp");
    let app = Arc::new(App::load(config(data.path())).expect("app"));
    let running = start(Arc::clone(&app)).await.expect("start");
    let addr = running.addr;
    let put =
        |body: Vec<u8>, who: &'static str| call(addr, "PUT", "/v1/admin/equivalence-table", body, Some(who), None);
    let refused = |r: &common::gateway::Response| (r.status, r.json()["reason"].as_str().unwrap_or("").to_string());

    let (key, chain) = signer("trust-list-operator");
    let typed = |typ: &str, cty: &str, text: &str| {
        mrgate::crypto::jws::sign_typed(text.as_bytes(), &key, &chain, typ, cty).expect("sign").into_bytes()
    };
    let (partner_key, partner_chain) = signer("foreign/dakks/signer");
    let (own_key, own_chain) = signer("signing");
    // What is sent, by whom, and the refusal it gets.
    type Case<'a> = (&'a str, Vec<u8>, &'a str, (u16, &'a str));
    let cases: Vec<Case> = vec![
        ("unsigned TOML", table_text(3).into_bytes(), "operator", (400, "rules.unsigned")),
        ("empty", Vec::new(), "operator", (400, "http.empty")),
        ("a customs caller", signed_table(3), "customs", (403, "auth.role")),
        (
            "another signer",
            mrgate::trust::equivalence_table::sign(&table_text(3), &partner_key, &partner_chain)
                .expect("sign")
                .into_bytes(),
            "operator",
            (422, "rules.signature"),
        ),
        (
            "a signer under the operator anchor, but not pinned",
            mrgate::trust::equivalence_table::sign(&table_text(3), &own_key, &own_chain).expect("sign").into_bytes(),
            "operator",
            (422, "rules.signer"),
        ),
        ("a credential's header", typed("vc+jwt", "vc", &table_text(3)), "operator", (422, "rules.typ")),
        ("no cty", typed("mrgate-equivalence-table+jws", "json", &table_text(3)), "operator", (422, "rules.typ")),
        (
            "a broken table",
            typed("mrgate-equivalence-table+jws", "toml", "sequence = 2\n"),
            "operator",
            (422, "standards.table"),
        ),
        ("not newer", signed_table(1), "operator", (409, "rules.sequence")),
    ];
    for (what, body, who, expected) in cases {
        let r = put(body, who).await;
        assert_eq!(refused(&r), (expected.0, expected.1.to_string()), "{what}: {}", String::from_utf8_lossy(&r.body));
    }
    // A signature that does not cover the table: the payload swapped under it.
    let good = String::from_utf8(signed_table(4)).expect("jws");
    let parts: Vec<&str> = good.split('.').collect();
    use base64::Engine;
    let other = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(table_text(5));
    let swapped = format!("{}.{other}.{}", parts[0], parts[2]);
    assert_eq!(refused(&put(swapped.into_bytes(), "operator").await), (422, "rules.signature".into()));
    assert_eq!(app.table().table.sequence, 3, "nothing refused came into force");
    assert_eq!(app.store.equivalence_tables().expect("tables").len(), 1);

    let r = put(good.clone().into_bytes(), "operator").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["sequence"], 4);
    assert_eq!(refused(&put(good.clone().into_bytes(), "operator").await), (409, "rules.sequence".into()));

    let rules = call(addr, "GET", "/v1/rules", vec![], None, None).await.json();
    assert_eq!(rules["rule_set"], mrgate::decisions::RULE_SET);
    assert_eq!(rules["in_force"]["equivalence_table"]["sequence"], 4);
    assert_eq!(rules["in_force"]["equivalence_table"]["version"], "test-4");
    assert!(rules["in_force"]["equivalence_table"]["signed_by"].is_string(), "{rules}");
    let tables: Vec<u64> = rules["equivalence_tables"]
        .as_array()
        .expect("tables")
        .iter()
        .map(|t| t["sequence"].as_u64().expect("n"))
        .collect();
    assert_eq!(tables, [3, 4]);
    assert_eq!(rules["trust_lists"].as_array().expect("lists").len(), 1);
    let v3 = call(addr, "GET", "/v1/rules/equivalence-table/4", vec![], None, None).await;
    assert_eq!((v3.status, v3.body.as_slice()), (200, good.as_bytes()));
    assert_eq!(rules["in_force"]["equivalence_table"]["digest"], mrgate::crypto::sha256_hex(good.as_bytes()));
    let v1 = call(addr, "GET", "/v1/rules/equivalence-table/3", vec![], None, None).await;
    assert_eq!(
        (v1.status, v1.content_type.as_str(), v1.body.as_slice()),
        (200, "application/toml", EMBEDDED_TABLE.as_bytes())
    );
    let list = call(addr, "GET", "/v1/rules/trust-list/1", vec![], None, None).await;
    assert_eq!(list.body, std::fs::read(format!("{DEMO}/trust-list.xml")).expect("list"));
    for missing in [
        "/v1/rules/equivalence-table/1",
        "/v1/rules/equivalence-table/03",
        "/v1/rules/trust-list/x",
        "/v1/rules/trust-list/2",
    ] {
        let r = call(addr, "GET", missing, vec![], None, None).await;
        assert_eq!(refused(&r), (404, "rules.unknown_version".into()), "{missing}");
    }
    // The command line signs and installs a table as an operator would; as customs, the
    // gateway refuses it and the command says so (exit 1).
    let scratch = tempfile::tempdir().expect("tmp");
    let toml = scratch.path().join("table-5.toml");
    std::fs::write(&toml, table_text(5)).expect("write");
    let key = format!("{DEMO}/trust-list-operator.key");
    let cert = format!("{DEMO}/trust-list-operator.pem");
    let signed = common::mrgate(&["rules", "sign", toml.to_str().expect("path"), "--key", &key, "--cert", &cert], b"");
    assert!(signed.status.success(), "{}", String::from_utf8_lossy(&signed.stderr));
    let jws = scratch.path().join("table-5.jws");
    std::fs::write(&jws, &signed.stdout).expect("write");
    let url = format!("https://localhost:{}", addr.port());
    for (who, code, says) in [("customs", 1, "auth.role"), ("operator", 0, "\"sequence\":5")] {
        let args: Vec<String> = [
            "rules",
            "install",
            jws.to_str().expect("path"),
            "--url",
            &url,
            "--ca",
            &format!("{DEMO}/ca.pem"),
            "--client-cert",
            &format!("{DEMO}/clients/{who}.pem"),
            "--client-key",
            &format!("{DEMO}/clients/{who}.key"),
        ]
        .iter()
        .map(|a| a.to_string())
        .collect();
        let out = tokio::task::spawn_blocking(move || {
            common::mrgate(&args.iter().map(String::as_str).collect::<Vec<_>>(), b"")
        })
        .await
        .expect("install");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(code), "{who}: {stdout}{}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains(says), "{who}: {stdout}");
    }
    // Installed as sent: the digest the log names is that of the signed bytes, no line end.
    let digest = mrgate::crypto::sha256_hex(String::from_utf8_lossy(&signed.stdout).trim_end().as_bytes());
    assert_eq!(app.table().digest, digest);
    running.shutdown(std::time::Duration::from_secs(5)).await;
    drop(app);

    // In force after a restart, verified again; the CLI reads it as the gateway does.
    let app = common::gateway::load_when_released(data.path()).await.expect("restart");
    assert_eq!((app.table().table.sequence, app.table().table.version.as_str()), (5, "test-5"));
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("table.jws");
    std::fs::write(&file, format!("{good}\n")).expect("write");
    let anchor = format!("{DEMO}/ca.pem");
    let pinned = format!("{DEMO}/trust-list-operator.pem");
    let args = ["rules", "show", file.to_str().expect("path"), "--operator-anchor", &anchor, "--signer", &pinned];
    let out = common::mrgate(&args, b"");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        (shown["sequence"].as_u64(), shown["digest"].as_str()),
        (Some(4), Some(mrgate::crypto::sha256_hex(good.as_bytes()).as_str()))
    );
    let other_pin = format!("{DEMO}/signing.pem");
    let args = ["rules", "show", file.to_str().expect("path"), "--operator-anchor", &anchor, "--signer", &other_pin];
    let out = common::mrgate(&args, b"");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("json")["reason"], "rules.signer");
}

/// `mrgate log audit --url`: a partner audits a running gateway over its API with what it
/// pins itself (the log key, the operator's anchor and signer, the gateway's certificate),
/// and gets the same clean audit; without a client certificate that may read the kept
/// documents, or asking for witnesses the checkpoint lacks, the audit does not run (2).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_audits_a_running_gateway_over_its_api() {
    let data = tempfile::tempdir().expect("tmp");
    let app = Arc::new(App::load(config(data.path())).expect("app"));
    let running = start(Arc::clone(&app)).await.expect("start");
    let addr = running.addr;
    let export = call(addr, "POST", "/v1/exports", domestic_certificate(), None, Some(&token())).await;
    let credential = export.json()["documents"]["untp-dcc"].as_str().expect("credential").as_bytes().to_vec();
    for _ in 0..3 {
        assert_eq!(call(addr, "POST", "/v1/verify", credential.clone(), Some("customs"), None).await.status, 200);
    }
    let jws = recognized_then_suspended(addr, false).await;
    assert_eq!(call(addr, "POST", "/v1/verify", jws.into_bytes(), Some("partner-dakks"), None).await.status, 200);
    // The public page keeps no anonymous caller's document; a customs caller's it does.
    let public = call(addr, "POST", "/v1/verify/public", b"anyone's bytes".to_vec(), None, None).await;
    assert_eq!(public.status, 200);
    let kept = |d: &[u8]| format!("/v1/log/documents/{}", mrgate::crypto::sha256_hex(d));
    let r = call(addr, "GET", &kept(b"anyone's bytes"), vec![], Some("customs"), None).await;
    assert_eq!((r.status, r.json()["reason"].as_str()), (404, Some("log.not_found")));
    let r = call(addr, "GET", &kept(&credential), vec![], Some("customs"), None).await;
    assert_eq!((r.status, r.body.as_slice()), (200, credential.as_slice()));
    for (who, status) in [(None, 401), (Some("exporter"), 403)] {
        assert_eq!(call(addr, "GET", &kept(&credential), vec![], who, None).await.status, status);
    }

    let url = format!("https://localhost:{}", addr.port());
    let pinned = |who: &'static str| -> Vec<String> {
        let mut args: Vec<String> =
            ["log", "audit", "--url", &url, "--ca", &format!("{DEMO}/ca.pem"), "--origin", "demo.mrgate.example/log"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        for (flag, file) in [
            ("--log-key", "log.pub"),
            ("--operator-anchor", "ca.pem"),
            ("--signer", "trust-list-operator.pem"),
            ("--gateway-certificate", "signing.pem"),
        ] {
            args.extend([flag.to_string(), format!("{DEMO}/{file}")]);
        }
        if !who.is_empty() {
            args.extend([
                "--client-cert".to_string(),
                format!("{DEMO}/clients/{who}.pem"),
                "--client-key".to_string(),
                format!("{DEMO}/clients/{who}.key"),
            ]);
        }
        args
    };
    let run = |args: Vec<String>| {
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            common::mrgate(&args, b"")
        })
    };
    let out = run(pinned("partner-dakks")).await.expect("audit");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with("entries 10\nre-derived 9\nnot re-derived 1\ndisagreements 0\n"), "{stdout}");
    assert!(stdout.contains("not re-derived: 1 public verification (its document is not kept)\n"), "{stdout}");
    assert!(stdout.contains("\ngrant: demo-exporter sha256:"), "{stdout}");
    // Held to where its receipt links must point, and to the chain it signs with: a
    // gateway elsewhere, or another chain, and the export is not as the gateway makes it.
    let public = format!("https://localhost:{}", addr.port());
    for (flag, value, code) in [
        ("--public-url", public, Some(0)),
        ("--public-url", "https://elsewhere.example".to_string(), Some(1)),
        ("--gateway-certificate", format!("{DEMO}/trust-list-operator.pem"), Some(1)),
    ] {
        let mut args = pinned("partner-dakks");
        match args.iter().position(|a| a == flag) {
            Some(at) => args[at + 1] = value.clone(),
            None => args.extend([flag.to_string(), value.clone()]),
        }
        let out = run(args).await.expect("audit");
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert_eq!(out.status.code(), code, "{flag} {value}: {stdout}{}", String::from_utf8_lossy(&out.stderr));
        if code == Some(1) {
            assert!(stdout.contains("disagreement: entry 2 (export) [audit.output]"), "{stdout}");
        }
    }
    // A public URL the gateway had before, beside today's: its links are its own too.
    let mut args = pinned("partner-dakks");
    args.extend(["--public-url", "https://elsewhere.example", "--public-url"].map(String::from));
    args.push(format!("https://localhost:{}", addr.port()));
    let out = run(args).await.expect("audit");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));

    // A checkpoint kept from before: the log extends it. One of another history, signed
    // with the log's key (the demo's is public): the log does not, and the audit says so.
    let kept = String::from_utf8(call(addr, "GET", "/v1/log/checkpoint", vec![], None, None).await.body).expect("note");
    assert_eq!(call(addr, "POST", "/v1/verify", credential.clone(), Some("customs"), None).await.status, 200);
    let pem = std::fs::read(format!("{DEMO}/log.key")).expect("key");
    let pkcs8 = rustls::pki_types::PrivatePkcs8KeyDer::from_pem_slice(&pem).expect("pkcs8");
    let key = ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8.secret_pkcs8_der()).expect("key");
    let (checkpoint, _) =
        mrgate::ledger::checkpoint::Checkpoint::verify(&kept, ring::signature::KeyPair::public_key(&key).as_ref())
            .expect("kept");
    let other = mrgate::ledger::checkpoint::Checkpoint { root: [7; 32], ..checkpoint.clone() };
    for (note, code, says) in [
        (kept.clone(), Some(0), "disagreements 0\n".to_string()),
        (
            other.sign(&checkpoint.origin, &key),
            Some(1),
            format!("disagreement: entry {} (checkpoint) [audit.tree]", checkpoint.size),
        ),
    ] {
        let file = data.path().join("kept-checkpoint");
        std::fs::write(&file, note).expect("write");
        let mut args = pinned("partner-dakks");
        args.extend(["--checkpoint".to_string(), file.display().to_string()]);
        let out = run(args).await.expect("audit");
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert_eq!(out.status.code(), code, "{stdout}{}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains(&says), "{stdout}");
    }

    // Only this log's checkpoints, under its name: the log's key signs another log too (its
    // torture log), and a checkpoint of it — the same size and root, kept or served — is not
    // this log's (found by review: it passed). Without --origin, a remote audit is refused.
    let torture =
        mrgate::ledger::checkpoint::Checkpoint { origin: "mrgate.test/torture-log".into(), ..checkpoint.clone() };
    let file = data.path().join("kept-other-log");
    std::fs::write(&file, torture.sign("mrgate.test/torture-log", &key)).expect("write");
    let mut kept_other = pinned("partner-dakks");
    kept_other.extend(["--checkpoint".to_string(), file.display().to_string()]);
    let mut origin_other = pinned("partner-dakks");
    let at = origin_other.iter().position(|a| a == "--origin").expect("--origin");
    origin_other[at + 1] = "mrgate.test/torture-log".into();
    let mut no_origin = pinned("partner-dakks");
    no_origin.drain(at..at + 2);
    for (args, says) in [
        (
            kept_other,
            "error[log.other_log]: the checkpoint is of log 'mrgate.test/torture-log', signed as 'mrgate.test/torture-log', not of 'demo.mrgate.example/log'",
        ),
        (
            origin_other,
            "error[log.other_log]: the checkpoint is of log 'demo.mrgate.example/log', signed as 'demo.mrgate.example/log', not of 'mrgate.test/torture-log'",
        ),
        (no_origin, "error[usage.audit]: --url needs --origin"),
    ] {
        let out = run(args).await.expect("audit");
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
    }

    for (who, extra, reason) in [
        ("exporter", vec![], "audit.fetch"),
        ("", vec![], "audit.fetch"),
        ("customs", vec!["--witness-key", "witness.vkey", "--min-witnesses", "1"], "log.witnesses"),
        ("customs", vec!["--min-witnesses", "1"], "usage.witnesses"),
    ] {
        let mut args = pinned(who);
        for a in extra {
            args.push(if a == "witness.vkey" {
                let file = data.path().join("witness.vkey");
                let key = mrgate::ledger::cosignature::Witness::of(
                    "witness.example/w1",
                    &ring::signature::Ed25519KeyPair::from_seed_unchecked(&[7; 32]).expect("key"),
                )
                .expect("witness");
                std::fs::write(&file, key.verifier_key()).expect("vkey");
                file.display().to_string()
            } else {
                a.to_string()
            });
        }
        let out = run(args).await.expect("audit");
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(2), "{who}: {stderr}");
        assert!(stderr.contains(&format!("error[{reason}]")), "{who}: {stderr}");
    }
    running.shutdown(std::time::Duration::from_secs(5)).await;
}

/// A notice refused for its date is a recorded decision: it keeps its document like an
/// applied one, and the audit decides it again to the same refusal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_refused_for_its_date_is_decided_again() {
    let data = tempfile::tempdir().expect("tmp");
    let (app, running, number) = with_a_dakks_recognition(data.path()).await;
    let addr = running.addr;
    // Dated two months back: before the certificate was issued (thirty days ago).
    let now = time::OffsetDateTime::now_utc();
    let payload = serde_json::json!({"issuer": "dakks-cb", "number": number, "action": "suspend",
        "reason": "surveillance audit", "iat": now.unix_timestamp() - 100, "jti": "early-1",
        "date": (now.date() - time::Duration::days(60)).to_string()});
    let early = common::partners::signed_notice(&payload, "foreign/dakks/signer");
    let n = call(addr, "POST", "/v1/notices", early.clone(), Some("partner-dakks"), None).await;
    assert_eq!(
        (n.status, n.json()["reason"].as_str()),
        (400, Some("notice.date")),
        "{}",
        String::from_utf8_lossy(&n.body)
    );
    assert_eq!(app.store.kept_document(&mrgate::crypto::sha256_hex(&early)).expect("read"), Some(early));
    running.shutdown(std::time::Duration::from_secs(5)).await;
    drop(app);

    let report = audit(data.path(), None);
    assert_eq!(found(&report), [], "{:#?}", report.disagreements);
    assert_eq!((report.entries, report.re_derived), (4, 4), "{:#?}", report.not_re_derived);
}

/// A notice is decided again with the CRLs its entry names, completed as any decision's: a
/// suspension signed by a CB signer that DAkkS had revoked an hour before (a CRL the gateway
/// had not installed) stands with the set it names and not with what was published, so it
/// is `audit.revocation` — as is the recognition before it — and an auditor without that
/// CRL finds nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_signed_after_an_uninstalled_revocation_is_audit_revocation() {
    let data = tempfile::tempdir().expect("tmp");
    let dir = tempfile::tempdir().expect("tmp");
    let (app, running, number) = with_a_dakks_recognition(data.path()).await;
    let suspension = notice("suspend", &number, "foreign/dakks/signer");
    let n = call(running.addr, "POST", "/v1/notices", suspension, Some("partner-dakks"), None).await;
    assert_eq!(n.status, 200, "{}", String::from_utf8_lossy(&n.body));
    running.shutdown(std::time::Duration::from_secs(5)).await;
    drop(app);

    let report = audit(data.path(), None);
    assert_eq!((found(&report), report.re_derived), (vec![], 4), "{:#?}", report.disagreements);
    let issued = time::OffsetDateTime::now_utc().replace_nanosecond(0).expect("time") - time::Duration::hours(1);
    let path = dakks_crl_revoking_the_signer(dir.path(), issued, "dakks-2.crl.pem");
    let report = common::audit::audit_with(&config_with_dakks_crl(data.path(), &path), data.path(), None);
    assert_eq!(found(&report), [(2, "audit.revocation"), (3, "audit.revocation")], "{:#?}", report.disagreements);
    assert!(
        report.disagreements[1].detail.starts_with("logged, but decided again it is refused unrecorded"),
        "{:#?}",
        report.disagreements
    );
    assert_eq!(report.re_derived, 2);
}

/// Exports decided again: an unsigned one under the grant its entry names and keeps, a
/// CB-signed one under the CB's signature, one refused for its grant; each output held
/// against what the rules make of the certificate and the gateway's signature at the
/// decision's time. An untouched log audits clean; each change is caught.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_are_decided_again_with_their_grant_and_what_they_made() {
    let data = tempfile::tempdir().expect("tmp");
    let app = Arc::new(App::load(config(data.path())).expect("app"));
    let running = start(Arc::clone(&app)).await.expect("start");
    let addr = running.addr;
    // (2) unsigned, within the demo grant (every demo CB).
    let r = call(addr, "POST", "/v1/exports", domestic_certificate(), None, Some(&token())).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let (granted, credential) = (entry_of(&r.json()["receipt"]), r.json()["documents"]["untp-dcc"].clone());
    assert_eq!(granted.inputs.len(), 2, "the document and the grant");
    let grant =
        String::from_utf8(app.store.kept_document(&granted.inputs[1]).expect("read").expect("kept")).expect("utf8");
    assert!(
        grant.starts_with("{\"grant\":\"demo-exporter\",\"holders\":[],\"bodies\":[\"CNCA-R-2002-001\","),
        "{grant}"
    );
    // (3) signed by its CB: no grant named.
    let (key, chain) = signer("cb/CNCA-R-2002-001");
    let text = String::from_utf8(domestic_certificate()).expect("utf8");
    let signed = mrgate::crypto::xmldsig::sign(&text, &key, &chain).expect("sign").into_bytes();
    let r = call(addr, "POST", "/v1/exports", signed, None, Some(&token())).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let signed_export = entry_of(&r.json()["receipt"]);
    assert_eq!(signed_export.inputs.len(), 1);
    // (4) unsigned, of a CB the grant does not name: refused, and logged with the grant.
    let other = text.replace("CNCA-R-2002-001", "CNCA-R-2019-901").into_bytes();
    let r = call(addr, "POST", "/v1/exports", other, None, Some(&token())).await;
    assert_eq!((r.status, r.json()["reason"].as_str()), (403, Some("auth.not_your_certificate")));
    assert_eq!(entry_of(&r.json()["receipt"]).inputs.len(), 2);
    // (5) unsigned, by an exporter certificate without a grant: refused, naming none.
    let ungranted = common::gateway::Identity::minted("ca", "exporter");
    let r = common::gateway::call_as(addr, "POST", "/v1/exports", domestic_certificate(), &ungranted, None).await;
    assert_eq!((r.status, r.json()["reason"].as_str()), (403, Some("auth.not_your_certificate")));
    let refused = entry_of(&r.json()["receipt"]);
    assert!(refused.actor.starts_with("exporter:"), "{}", refused.actor);
    assert_eq!(refused.inputs.len(), 1);
    // (6) unsigned, with other facts than the register holds: refused when decided, with
    // the reason a race at commit is logged with too — and decided again the same.
    assert!(text.contains("上海示例科技有限公司"));
    let other_facts = text.replace("上海示例科技有限公司", "另一家公司").into_bytes();
    let r = call(addr, "POST", "/v1/exports", other_facts, None, Some(&token())).await;
    assert_eq!((r.status, r.json()["reason"].as_str()), (409, Some("register.conflict")), "{}", r.json());
    running.shutdown(std::time::Duration::from_secs(5)).await;
    drop(app);
    let data = data.path();

    let clean = audit(data, None);
    assert_eq!(found(&clean), [], "{:#?}", clean.disagreements);
    assert_eq!((clean.entries, clean.re_derived), (7, 7), "{:#?}", clean.not_re_derived);
    // The grant, as the log names it: for the auditor to hold to the one published.
    let named: Vec<_> =
        clean.grants.iter().map(|g| (g.name.as_str(), g.holders.len(), g.first, g.last, g.entries)).collect();
    assert_eq!(named, [("demo-exporter", 0, 2, 6, 3)]);
    assert_eq!(clean.grants[0].bodies, ["CNCA-R-2002-001", "CNCA-R-2002-002", "CNCA-R-2017-049"]);

    // The credential made again with other facts, signed with the gateway's own key: its
    // signature is not its content.
    let (key, chain) = signer("signing");
    let parsed = mrgate::crypto::jws::parse(credential.as_str().expect("jws")).expect("jws");
    let payload = String::from_utf8(parsed.payload.clone()).expect("utf8").replace("Example", "Exemplary");
    let forged = mrgate::crypto::jws::sign(payload.as_bytes(), &key, &chain, None, true).expect("sign");
    // The IAF XML signed again at another time.
    let iaf = granted.outputs.iter().find(|d| common::audit::kept(data, d).starts_with(b"<")).expect("iaf xml").clone();
    let unsigned =
        mrgate::crypto::xmldsig::unsigned_of(&String::from_utf8(common::audit::kept(data, &iaf)).expect("utf8"))
            .expect("placed as the gateway places it");
    let resigned =
        mrgate::crypto::xmldsig::sign_at(&unsigned, &key, &chain, "2026-01-01T00:00:00Z").expect("sign").into_bytes();
    let (iaf_inside, iaf_after) = (iaf.clone(), iaf.clone());
    // Entry 2's IAF XML is entry 3's too when both exports fell in one second (each signs at
    // its decision's second, with a key that signs deterministically): replaced in entry 2,
    // it is then still a document a logged export made. Otherwise the store holds it as
    // exported and no logged export made it: the register disagrees too.
    let iaf_also_exported = signed_export.outputs.contains(&iaf);
    let iaf_replaced = move || match iaf_also_exported {
        true => vec![(2, "audit.output")],
        false => vec![(2, "audit.output"), (7, "audit.register")],
    };
    let granted_credential = mrgate::crypto::sha256_hex(credential.as_str().expect("jws").as_bytes());
    let exporter = refused.actor.clone();
    let cases: Vec<Case> = vec![
        (
            "the grant left out: unsigned and granted nothing, it is refused",
            Box::new(|d| common::audit::rewrite(d, 2, |e| drop(e.inputs.pop()))),
            vec![(2, "audit.verdict")],
        ),
        (
            "another exporter's",
            Box::new(|d| common::audit::rewrite(d, 2, |e| e.actor = "exporter:someone-else".into())),
            vec![(2, "audit.entry")],
        ),
        (
            "a grant lent to an exporter it is not",
            Box::new(move |d| {
                let grant = common::audit::entry(d, 2).inputs[1].clone();
                common::audit::rewrite(d, 5, |e| e.inputs.push(grant));
            }),
            vec![(5, "audit.entry")],
        ),
        (
            "a grant named for a signed export",
            Box::new(move |d| {
                let grant = common::audit::entry(d, 2).inputs[1].clone();
                common::audit::rewrite(d, 3, |e| e.inputs.push(grant));
            }),
            // And the store holds what the signed export registered, which the entry no
            // longer says it was: its origin, and its signer.
            vec![(3, "audit.entry"), (7, "audit.register"), (7, "audit.register")],
        ),
        (
            "the refusal logged exported",
            Box::new(|d| {
                common::audit::rewrite(d, 4, |e| {
                    e.verdict = "exported".into();
                    e.reasons = vec!["trust.mra_active".into()];
                })
            }),
            vec![(4, "audit.verdict")],
        ),
        // A race at commit needs a rival: nothing changed that certificate before it.
        (
            "a refusal passed off as a race with nothing to race",
            Box::new(|d| common::audit::rewrite(d, 4, |e| e.reasons = vec!["register.conflict".into()])),
            vec![(4, "audit.verdict")],
        ),
        (
            "a refusal with an output",
            Box::new(|d| common::audit::rewrite(d, 4, |e| e.outputs.push(e.inputs[0].clone()))),
            vec![(4, "audit.entry")],
        ),
        (
            "a credential the rules do not make",
            Box::new(move |d| {
                let forged = common::audit::keep(d, forged.as_bytes());
                common::audit::rewrite(d, 2, |e| e.outputs[0] = forged);
            }),
            // And the store holds the document the entry no longer names.
            vec![(2, "audit.output"), (7, "audit.register")],
        ),
        (
            "a credential with a line end after it",
            Box::new(move |d| {
                let credential = granted_credential;
                let mut text = common::audit::kept(d, &credential);
                text.push(b'\n');
                let kept = common::audit::keep(d, &text);
                common::audit::rewrite(d, 2, |e| {
                    let at = e.outputs.iter().position(|o| *o == credential).expect("credential");
                    e.outputs[at] = kept;
                })
            }),
            vec![(2, "audit.output")],
        ),
        (
            "an IAF XML signed at another time",
            Box::new(move |d| {
                let resigned = common::audit::keep(d, &resigned);
                common::audit::rewrite(d, 2, |e| {
                    let at = e.outputs.iter().position(|o| *o == iaf).expect("iaf");
                    e.outputs[at] = resigned;
                })
            }),
            iaf_replaced(),
        ),
        // Signed content slipped in beside the signature's own, which still verifies (the
        // signature covers the content and its signed properties only): not as the gateway
        // signs. Inside the signature, and after it under another namespace.
        (
            "more inside the signature",
            Box::new(move |d| {
                let signed = String::from_utf8(common::audit::kept(d, &iaf_inside)).expect("utf8");
                let more = signed.replacen(
                    "</ds:Signature>",
                    "<ds:Object><Scope xmlns=\"urn:iaf\">all products</Scope></ds:Object></ds:Signature>",
                    1,
                );
                assert_ne!(more, signed);
                let more = common::audit::keep(d, more.as_bytes());
                common::audit::rewrite(d, 2, |e| {
                    let at = e.outputs.iter().position(|o| *o == iaf_inside).expect("iaf");
                    e.outputs[at] = more;
                })
            }),
            iaf_replaced(),
        ),
        (
            "more after the signature",
            Box::new(move |d| {
                let signed = String::from_utf8(common::audit::kept(d, &iaf_after)).expect("utf8");
                let more = signed.replacen(
                    "</ds:Signature>\n",
                    "</ds:Signature><Scope xmlns=\"urn:iaf\">all</Scope><ds:Signature xmlns:ds=\"urn:x\"></ds:Signature>\n",
                    1,
                );
                assert_ne!(more, signed);
                let more = common::audit::keep(d, more.as_bytes());
                common::audit::rewrite(d, 2, |e| {
                    let at = e.outputs.iter().position(|o| *o == iaf_after).expect("iaf");
                    e.outputs[at] = more;
                })
            }),
            iaf_replaced(),
        ),
        (
            "the same output twice",
            Box::new(|d| common::audit::rewrite(d, 3, |e| e.outputs.push(e.outputs[0].clone()))),
            vec![(3, "audit.output")],
        ),
        (
            "the grant kept changed",
            Box::new(|d| {
                let grant = common::audit::entry(d, 2).inputs[1].clone();
                sql(
                    d,
                    &format!(
                        "UPDATE kept_document SET document = CAST(' ' || document AS BLOB) WHERE digest = '{grant}'"
                    ),
                );
            }),
            vec![(2, "audit.document"), (4, "audit.document"), (6, "audit.document")],
        ),
        // A sweep (rule set 28) where the register the log made holds no exporter's word
        // beside a number the rules did not meet: the refusal of entry 5 made one.
        (
            "a sweep with nothing to sweep",
            Box::new(|d| common::audit::rewrite(d, 5, sweep("gateway", "register.look_alike"))),
            vec![(5, "audit.verdict")],
        ),
        (
            "a sweep by an exporter",
            Box::new(move |d| common::audit::rewrite(d, 5, sweep(&exporter, "register.look_alike"))),
            vec![(5, "audit.entry")],
        ),
        (
            "a sweep for another reason",
            Box::new(|d| common::audit::rewrite(d, 5, sweep("gateway", "status.suspended"))),
            vec![(5, "audit.verdict")],
        ),
        (
            "a sweep naming a document",
            Box::new(|d| {
                common::audit::rewrite(d, 5, |e| {
                    sweep("gateway", "register.look_alike")(e);
                    e.inputs.push(mrgate::crypto::sha256_hex(b"a number"));
                })
            }),
            vec![(5, "audit.entry")],
        ),
    ];
    each_caught(data, cases);
}

/// The demo configuration on `data` with DAkkS's CRL replaced by the file `dakks_crl`.
/// DAkkS's second CRL, revoking its CB's signer, issued at `issued` (valid 30 days), written
/// to `dir/name`.
fn dakks_crl_revoking_the_signer(dir: &Path, issued: time::OffsetDateTime, name: &str) -> PathBuf {
    let read = |name: &str| std::fs::read_to_string(format!("{DEMO}/foreign/dakks/{name}")).expect(name);
    let root = mrgate::pki::Ca::load(&read("root.pem"), &read("root.key")).expect("DAkkS root");
    let signer_der = rustls::pki_types::CertificateDer::from_pem_slice(read("signer.pem").as_bytes()).expect("pem");
    let (_, signer) = x509_parser::parse_x509_certificate(signer_der.as_ref()).expect("signer");
    let crl = root.crl_numbered(2, &[signer.raw_serial()], issued, issued + time::Duration::days(30)).expect("crl");
    let path = dir.join(name);
    std::fs::write(&path, crl.pem().expect("pem")).expect("write");
    path
}

/// A gateway on `data` whose log holds the build's table, the configured list and DAkkS's
/// recognition of its CB's certificate (entries 0 to 2): the running gateway, and the
/// certificate's number.
async fn with_a_dakks_recognition(data: &Path) -> (Arc<App>, mrgate::server::Running, String) {
    let app = Arc::new(App::load(config(data)).expect("app"));
    let running = start(Arc::clone(&app)).await.expect("start");
    let (jws, number) = foreign_credential("foreign/dakks/signer");
    let r = call(running.addr, "POST", "/v1/recognitions", jws.into_bytes(), Some("partner-dakks"), None).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    (app, running, number)
}

fn config_with_dakks_crl(data: &Path, dakks_crl: &Path) -> mrgate::server::config::Config {
    let mut cfg = config(data);
    let at = cfg.trust_list.crls.iter().position(|p| p.ends_with("foreign/dakks/crl.pem")).expect("DAkkS's CRL");
    cfg.trust_list.crls[at] = dakks_crl.to_path_buf();
    cfg
}

/// A decision is decided again with the CRLs it was made with, the set its entry names:
/// a certificate revoked after it was not revoked for it. Before entries named their CRLs,
/// an audit run after the revocation found the decisions made before it wrong. But the
/// gateway chooses what it names: what the auditor holds that was published by a
/// decision's time is consulted first, and a decision it makes come out otherwise is a
/// disagreement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_is_audited_with_the_crls_it_was_made_with() {
    let data = tempfile::tempdir().expect("tmp");
    let dir = tempfile::tempdir().expect("tmp");
    let app = Arc::new(App::load(config(data.path())).expect("app"));
    let before = app.crls.set_digest().to_string();
    let running = start(Arc::clone(&app)).await.expect("start");
    let addr = running.addr;
    // (0) the build's table and (1) the configured list, (2) DAkkS recognizes its CB's
    // certificate, (3) customs verify it: under the configured CRLs.
    let (jws, _) = foreign_credential("foreign/dakks/signer");
    let r = call(addr, "POST", "/v1/recognitions", jws.clone().into_bytes(), Some("partner-dakks"), None).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let v = call(addr, "POST", "/v1/verify", jws.clone().into_bytes(), Some("customs"), None).await.json();
    assert_eq!(v["valid"], true, "{v}");

    // DAkkS revokes the CB's signer (its second CRL, issued after those decisions, in the
    // next second), and the gateway is reloaded with it.
    let revoking_crl = |issued, name: &str| dakks_crl_revoking_the_signer(dir.path(), issued, name);
    let second = || time::OffsetDateTime::now_utc().replace_nanosecond(0).expect("time");
    let decided = second();
    while second() == decided {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let issued = second();
    let revoking = revoking_crl(issued, "dakks-2.crl.pem");
    running.reload(config_with_dakks_crl(data.path(), &revoking)).expect("reload");
    let after = running.app().crls.set_digest().to_string();
    assert_ne!(after, before);
    // (4) customs verify it again, (5) DAkkS sends it again: the signer is revoked now.
    let v = call(addr, "POST", "/v1/verify", jws.clone().into_bytes(), Some("customs"), None).await.json();
    assert_eq!((v["valid"].as_bool(), v["checks"][2]["reason"].as_str()), (Some(false), Some("x509.revoked")), "{v}");
    let r = call(addr, "POST", "/v1/recognitions", jws.clone().into_bytes(), Some("partner-dakks"), None).await;
    let answer = (r.status, r.json()["valid"].as_bool(), r.json()["checks"][2]["reason"].as_str().map(str::to_string));
    assert_eq!(answer, (200, Some(false), Some("x509.revoked".into())), "{}", String::from_utf8_lossy(&r.body));
    running.shutdown(std::time::Duration::from_secs(5)).await;
    drop(app);

    // Each entry names the set it was decided with; the gateway kept both.
    for (index, set) in [(0, &before), (1, &before), (2, &before), (3, &before), (4, &after), (5, &after)] {
        assert_eq!(common::audit::entry(data.path(), index).rules.crls_digest(), Some(set.as_str()), "entry {index}");
    }
    let kept = common::audit::kept(data.path(), &after);
    assert_eq!(mrgate::crypto::x509::Crls::from_set_document(&kept).expect("CRLs").set_digest(), after);

    // The auditor holds today's CRLs (DAkkS's second): every decision agrees, those made
    // before the revocation too.
    let today = config_with_dakks_crl(data.path(), &revoking);
    let report = common::audit::audit_with(&today, data.path(), None);
    assert_eq!(found(&report), [], "{:#?}", report.disagreements);
    assert_eq!((report.entries, report.re_derived), (6, 6), "{:#?}", report.not_re_derived);
    // The report lists both sets, where they were used, their CRLs; the auditor's added
    // nothing (DAkkS's second was issued after the first set's decisions).
    let sets: Vec<_> = report.crl_sets.iter().map(|s| (s.digest.as_str(), s.first, s.last, s.entries)).collect();
    assert_eq!(sets, [(before.as_str(), 0, 3, 4), (after.as_str(), 4, 5, 2)]);
    let crls = |at: usize| report.crl_sets[at].crls.clone().expect("CRLs");
    let numbers = |at: usize| crls(at).iter().map(|c| c.number.clone()).collect::<Vec<_>>();
    let one = Some("1".to_string());
    assert_eq!(numbers(0), [one.clone(), one.clone(), one.clone(), one.clone()]);
    assert_eq!(numbers(1), [one.clone(), Some("2".into()), one.clone(), one.clone()]);
    let dakks = crls(1)[1].issuer.clone();
    assert_eq!((crls(1)[1].revoked, crls(1)[1].this_update), (1, issued.unix_timestamp()));
    assert!(report.crl_sets.iter().all(|s| s.completed_with.is_empty()), "{:#?}", report.crl_sets);
    // An auditor holding the configured CRLs (DAkkS's first) agrees too: its first is not
    // later than the second set's.
    let report = common::audit::audit(data.path(), None);
    assert_eq!((found(&report), report.re_derived), (vec![], 6), "{:#?}", report.disagreements);
    assert!(report.crl_sets.iter().all(|s| s.completed_with.is_empty()), "{:#?}", report.crl_sets);

    // An auditor who holds a revocation published before the first decisions (DAkkS's
    // second, dated an hour earlier) finds them wrong, whatever the set they name: the
    // gateway had not installed what was published. Said, with what was added, and told
    // apart from a decision its own set does not make: with the set it names alone, each
    // stands (`audit.revocation`).
    let earlier = issued - time::Duration::hours(1);
    let published = revoking_crl(earlier, "dakks-2-earlier.crl.pem");
    let report = common::audit::audit_with(&config_with_dakks_crl(data.path(), &published), data.path(), None);
    assert_eq!(found(&report), [(2, "audit.revocation"), (3, "audit.revocation")], "{:#?}", report.disagreements);
    let added = format!("{dakks}: number 2 issued {} (the set's: number 1)", mrgate::decisions::rfc3339(earlier));
    // The chain check fails; the checks after it are not reached.
    let not_reached = "\"recognition.not_reached\"";
    let revoked = format!("[{not_reached}, \"x509.revoked\", {not_reached}, {not_reached}, {not_reached}]");
    assert_eq!(
        report.disagreements[0].detail,
        format!(
            "logged recognized [], decided again refused {revoked} (decided with the CRL set it names completed by \
             the auditor's CRLs in force at its time: {added})"
        ),
    );
    assert_eq!(
        report.disagreements[1].detail,
        format!(
            "logged valid [], decided again invalid {revoked} (decided with the CRL set it names completed by the \
             auditor's CRLs in force at its time: {added})"
        ),
    );
    assert_eq!(report.re_derived, 4, "the two disagreements are not counted as re-derived");
    // The recognition said to be made with the later set, which revokes: that set alone
    // does not make it (`audit.verdict`); the verification after it still stands with the
    // set it names.
    let changed = copy_of(data.path());
    common::audit::rewrite(changed.path(), 2, |e| {
        if let Rules::V2 { crls, .. } = &mut e.rules {
            *crls = Some(after.clone());
        }
    });
    let report = common::audit::audit_with(&config_with_dakks_crl(changed.path(), &published), changed.path(), None);
    // And the store holds what the recognition registered, which the audit does not make.
    assert_eq!(
        found(&report),
        [(2, "audit.verdict"), (3, "audit.revocation"), (6, "audit.register")],
        "{:#?}",
        report.disagreements
    );
    // What the recognition registered is the register the verification after it read: a
    // revocation not yet installed changes what the gateway decided, not what it did.
    assert_eq!(report.crl_sets[0].completed_with, std::slice::from_ref(&added));
    // Its second is not later than the second set's (the same number, issued earlier).
    assert_eq!(report.crl_sets[1].completed_with, Vec::<String>::new());

    // The command line prints the sets, and what the auditor's CRLs added.
    let cfg_path = dir.path().join("mrgate.toml");
    let text = common::gateway::example_config_text(data.path())
        .replace("public_url = \"https://localhost:8443\"\n", "")
        .replace(
            &format!("{}/certs/demo/foreign/dakks/crl.pem", env!("CARGO_MANIFEST_DIR")),
            &published.display().to_string(),
        );
    std::fs::write(&cfg_path, text).expect("config");
    let out = common::mrgate(&["log", "audit", "--config", cfg_path.to_str().expect("path"), "--unanchored"], b"");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(&format!("crl set: sha256:{before}: 4 entries, 0..=3: ")), "{stdout}");
    assert!(stdout.contains(&format!("crl set: sha256:{after}: 2 entries, 4..=5: ")), "{stdout}");
    assert!(stdout.contains(&format!("crl set: sha256:{before} completed with the auditor's: {added}\n")), "{stdout}");
    assert!(stdout.contains("disagreement: entry 2 (recognition) [audit.revocation]"), "{stdout}");

    // What the entries name decides: changed behind the gateway's back, each is caught.
    let (b, a) = (before.clone(), after.clone());
    let name = move |index: u64, set: Option<String>| -> common::audit::Change {
        Box::new(move |d: &Path| {
            common::audit::rewrite(d, index, |e| {
                if let Rules::V2 { crls, .. } = &mut e.rules {
                    *crls = set;
                }
            })
        })
    };
    let today_cases = |cases: Vec<Case>| {
        for (what, change, expected) in cases {
            let changed = copy_of(data.path());
            change(changed.path());
            let report =
                common::audit::audit_with(&config_with_dakks_crl(changed.path(), &revoking), changed.path(), None);
            assert_eq!(found(&report), expected, "{what}: {:#?}", report.disagreements);
        }
    };
    // An auditor holding only DAkkS's first CRL: the set named is all that revokes.
    each_caught(
        data.path(),
        vec![
            ("the refusal names the earlier set", name(5, Some(b.clone())), vec![(5, "audit.verdict")]),
            ("the verification names the earlier set", name(4, Some(b.clone())), vec![(4, "audit.verdict")]),
            (
                "the recognition names the later set",
                name(2, Some(a.clone())),
                vec![(2, "audit.verdict"), (6, "audit.register")],
            ),
        ],
    );
    today_cases(vec![
        // The recognition and the verification said to be made with the revoking set: they
        // come out refused and invalid.
        (
            "the recognition names the later set",
            name(2, Some(a.clone())),
            vec![(2, "audit.verdict"), (6, "audit.register")],
        ),
        ("the verification names the later set", name(3, Some(a.clone())), vec![(3, "audit.verdict")]),
        // The refusals said to be made with the earlier set: what DAkkS had published by
        // then revokes all the same, and they stand.
        ("the refusal names the earlier set", name(5, Some(b.clone())), vec![]),
        ("the verification names the earlier set", name(4, Some(b.clone())), vec![]),
        // An entry that names no set, after entries that named theirs: no gateway that
        // names its CRLs stops naming them.
        ("the recognition names none", name(2, None), vec![(2, "audit.entry"), (6, "audit.register")]),
        ("the refusal names none", name(5, None), vec![(5, "audit.entry")]),
        // A log from before entries named their CRLs: each decision is decided with the
        // latest of the auditor's, today's — the decisions before the revocation come out
        // otherwise (what naming the set mends).
        (
            "no entry names a set",
            Box::new(|d: &Path| {
                for index in 0..6 {
                    common::audit::rewrite(d, index, |e| {
                        if let Rules::V2 { crls, .. } = &mut e.rules {
                            *crls = None;
                        }
                    })
                }
            }),
            vec![(2, "audit.verdict"), (3, "audit.verdict"), (6, "audit.register")],
        ),
        // A set no one kept, or a document kept that is no CRLs.
        ("a set never kept", name(3, Some(mrgate::crypto::sha256_hex(b"no such set"))), vec![(3, "audit.document")]),
        (
            "a set that is no CRLs",
            Box::new(|d: &Path| {
                let digest = common::audit::keep(d, b"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n");
                common::audit::rewrite(d, 3, |e| {
                    if let Rules::V2 { crls, .. } = &mut e.rules {
                        *crls = Some(digest);
                    }
                })
            }),
            vec![(3, "audit.document")],
        ),
        // A document that reads as CRLs but is not the set as the gateway writes it (DER,
        // words between the blocks).
        (
            "a set in DER",
            Box::new(|d: &Path| {
                let pem = std::fs::read(format!("{DEMO}/foreign/dakks/crl.pem")).expect("crl");
                let der = rustls::pki_types::CertificateRevocationListDer::from_pem_slice(&pem).expect("der");
                let digest = common::audit::keep(d, der.as_ref());
                common::audit::rewrite(d, 3, |e| {
                    if let Rules::V2 { crls, .. } = &mut e.rules {
                        *crls = Some(digest);
                    }
                })
            }),
            vec![(3, "audit.document")],
        ),
        (
            "a set with words between its blocks",
            Box::new(|d: &Path| {
                let mut set = b"DAkkS:\n".to_vec();
                set.extend(std::fs::read(format!("{DEMO}/foreign/dakks/crl.pem")).expect("crl"));
                let digest = common::audit::keep(d, &set);
                common::audit::rewrite(d, 3, |e| {
                    if let Rules::V2 { crls, .. } = &mut e.rules {
                        *crls = Some(digest);
                    }
                })
            }),
            vec![(3, "audit.document")],
        ),
        // A gateway that logs, after the revocation, what it logged before it — valid, under
        // the earlier set or under none at all (the empty set, kept): what DAkkS had
        // published by then revokes it. With the set it names it stands, so the set lacks
        // a revocation published by then (`audit.revocation`): the log cannot tell a
        // gateway naming an old set from one not reloaded yet, and both are disagreements.
        (
            "the later verification logged valid under the earlier set",
            Box::new(move |d: &Path| {
                let three = common::audit::entry(d, 3);
                common::audit::rewrite(d, 4, |e| {
                    (e.verdict, e.reasons, e.rules) = (three.verdict, three.reasons, three.rules);
                })
            }),
            vec![(4, "audit.revocation")],
        ),
        (
            "the later verification logged valid under no CRLs",
            Box::new(move |d: &Path| {
                let empty = common::audit::keep(d, b"");
                let three = common::audit::entry(d, 3);
                common::audit::rewrite(d, 4, |e| {
                    (e.verdict, e.reasons) = (three.verdict, three.reasons);
                    if let Rules::V2 { crls, .. } = &mut e.rules {
                        *crls = Some(empty);
                    }
                })
            }),
            vec![(4, "audit.revocation")],
        ),
        // The kept set changed: every entry that names it.
        (
            "the later set changed",
            Box::new(move |d: &Path| {
                sql(d, &format!("UPDATE kept_document SET document = x'00' WHERE digest = '{}'", a))
            }),
            vec![(4, "audit.document"), (5, "audit.document")],
        ),
        (
            "the later set deleted",
            Box::new(move |d: &Path| sql(d, &format!("DELETE FROM kept_document WHERE digest = '{after}'"))),
            vec![(4, "audit.document"), (5, "audit.document")],
        ),
    ]);
}

/// A store whose operator installed its own table under the sequence this build's table
/// took (sequence 2: the README once had operators make a sequence 2 of the first build
/// table) keeps it at start: the operator's word stands over the build's default (found by
/// review: the start was refused, and only the older build could run).
#[tokio::test]
async fn an_operators_table_under_the_builds_sequence_is_kept() {
    let data = tempfile::tempdir().expect("tmp");
    let signed = signed_table(3);
    {
        let store = mrgate::store::sqlite::SqliteStore::open(&data.path().join("mrgate.db")).expect("store");
        let version = mrgate::store::TableVersion {
            sequence: 3,
            digest: mrgate::crypto::sha256_hex(&signed),
            label: "test-3".into(),
            installed_at: "2026-12-01T00:00:00Z".into(),
            document: signed.clone(),
        };
        mrgate::store::Store::write(&store, mrgate::store::Effect::PutEquivalenceTable(version)).expect("stored");
    }
    let app = App::load(config(data.path())).expect("starts");
    assert_eq!((app.table().table.sequence, app.table().table.version.as_str()), (3, "test-3"));
    assert_eq!(app.table().digest, mrgate::crypto::sha256_hex(&signed));
}

/// The gateway's own export sent back as it may come (a line feed after it, as `jq -r`
/// writes it) is its export to the audit as to the gateway: the IAF XML record as well as
/// the credential (found by re-test: the gateway verified the XML valid, and the audit
/// decided it again as signed by no listed signer).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_sent_back_with_a_line_feed_is_the_export_to_the_audit_too() {
    let data = tempfile::tempdir().expect("tmp");
    let app = Arc::new(App::load(config(data.path())).expect("app"));
    let running = start(Arc::clone(&app)).await.expect("start");
    let export = call(
        running.addr,
        "POST",
        "/v1/exports?formats=untp-dcc,iaf-xml",
        domestic_certificate(),
        None,
        Some(&token()),
    )
    .await;
    assert_eq!(export.status, 201, "{}", String::from_utf8_lossy(&export.body));
    for format in ["iaf-xml", "untp-dcc"] {
        let sent = format!("{}\n\n", export.json()["documents"][format].as_str().expect("document"));
        let v = call(running.addr, "POST", "/v1/verify", sent.into_bytes(), Some("customs"), None).await.json();
        assert_eq!(v["valid"], true, "{format}: {v}");
    }
    running.shutdown(std::time::Duration::from_secs(5)).await;
    drop(app);
    let report = audit(data.path(), None);
    assert_eq!(found(&report), [], "{:#?}", report.disagreements);
    assert_eq!((report.re_derived, report.register.as_str()), (report.entries, "compared"));
}
