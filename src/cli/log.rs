//! `mrgate log verify-receipt` and `log verify-consistency`: offline checks of the
//! transparency log, for holders of receipts and for monitors; `log verifier-key`: the log
//! key in the form other signed-note verifiers take; `log audit` (in `audit.rs`): the whole
//! log decided again.

use super::print_json;
use crate::crypto::keys::{KeyKind, PublicKey};
use crate::ledger::checkpoint::Checkpoint;
use crate::ledger::receipt::{self, ConsistencyProof, Receipt};
use clap::Subcommand;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum LogCommand {
    /// Check a receipt (and optionally the document it covers) against the log key, and the
    /// cosignatures on its checkpoint against the witnesses given.
    VerifyReceipt {
        /// The log's Ed25519 public key (PEM SubjectPublicKeyInfo).
        #[arg(long)]
        log_key: PathBuf,
        /// The log's origin (the first line of its checkpoints, e.g. `demo.mrgate.example/log`;
        /// `GET /v1/log/checkpoint` shows it): the checkpoint must be this log's and signed
        /// under that name. A key may sign more than one log (the durability self-test's
        /// log is signed with the gateway's own key): the key alone does not say which.
        #[arg(long)]
        origin: String,
        /// A file holding a witness's verifier key (`<name>+<key id>+<key>`, as
        /// `GET /v1/log/witnesses` lists them); repeat for each witness you rely on.
        #[arg(long = "witness-key")]
        witness_keys: Vec<PathBuf>,
        /// How many of those witnesses must have cosigned the receipt's checkpoint.
        #[arg(long, default_value_t = 0)]
        min_witnesses: usize,
        /// Who the entry must be logged as: yours (e.g. `customs:<16 hex digits>`, as your
        /// receipts' entries name you). A decision logged as someone else's — say as the
        /// public page's, whose documents are not kept — escapes the audit of your
        /// decisions.
        #[arg(long)]
        actor: Option<String>,
        /// The kind of decision the entry must record (`export`, `recognition` for a
        /// verification or a recognition, `notice`, `pt-report`, …): a receipt proves its
        /// entry is in the log, whatever the entry says was decided.
        #[arg(long)]
        kind: Option<String>,
        /// The verdict the entry must record (`valid`, `exported`, `recognized`, …): a
        /// receipt of an `invalid` or `refused` decision verifies as well as any.
        #[arg(long)]
        verdict: Option<String>,
        receipt: PathBuf,
        document: Option<PathBuf>,
    },
    /// Check that a newer checkpoint extends an older one.
    VerifyConsistency {
        #[arg(long)]
        log_key: PathBuf,
        /// The log's origin, as for `verify-receipt`: both checkpoints must be this log's.
        #[arg(long)]
        origin: String,
        old_checkpoint: PathBuf,
        new_checkpoint: PathBuf,
        proof: PathBuf,
    },
    /// Print the log key as a signed-note verifier key (`<name>+<id>+<key>`), for other
    /// checkpoint verifiers; the name is the first line of the log's checkpoints.
    VerifierKey {
        #[arg(long)]
        log_key: PathBuf,
        #[arg(long)]
        name: String,
    },
    /// Durability self-test: concurrent appends to a store; kill it at any time.
    Torture(TortureArgs),
    /// Read the whole log again, recompute its tree, check a checkpoint and its witnesses,
    /// and decide again every decision that can be re-derived from the document and rule
    /// versions its entry names. Exit 1 when anything disagrees.
    Audit(Box<super::audit::AuditArgs>),
}

fn read(path: &Path) -> Result<Vec<u8>, ExitCode> {
    std::fs::read(path).map_err(|e| {
        eprintln!("error[io.read]: {}: {e}", path.display());
        ExitCode::from(2)
    })
}

fn log_key(path: &Path) -> Result<Vec<u8>, ExitCode> {
    match PublicKey::from_spki_pem(&read(path)?) {
        Ok(k) if k.kind == KeyKind::Ed25519 => Ok(k.raw().to_vec()),
        Ok(_) => {
            eprintln!("error[key.unknown_type]: {}: the log key must be Ed25519", path.display());
            Err(ExitCode::from(2))
        }
        Err(e) => {
            eprintln!("error[{}]: {}: {e}", e.code(), path.display());
            Err(ExitCode::from(2))
        }
    }
}

/// A report refusing a checkpoint of another log than `origin`: its origin, or the key
/// name its signature line gives, is not `origin` (the gateway names its key by its
/// origin); `None` when each (origin, key name) is `origin`'s.
fn another_log(origin: &str, seen: &[(&Checkpoint, &String)]) -> Option<serde_json::Value> {
    let message = seen.iter().find_map(|(c, name)| crate::ledger::checkpoint::another_log(origin, c, name))?;
    Some(json!({"valid": false, "reason": "log.other_log", "message": message}))
}

/// The witnesses whose verifier keys the files hold; a usage error when fewer are given than
/// must vouch.
fn witnesses(paths: &[PathBuf], min: usize) -> Result<Vec<crate::ledger::cosignature::Witness>, ExitCode> {
    if min > paths.len() {
        eprintln!("error[usage.witnesses]: --min-witnesses {min} needs at least {min} --witness-key");
        return Err(ExitCode::from(2));
    }
    paths
        .iter()
        .map(|path| {
            let text = super::audit::read_text(path)?;
            crate::ledger::cosignature::Witness::from_verifier_key(&text).map_err(|e| {
                eprintln!("error[{}]: {}: {e}", e.code(), path.display());
                ExitCode::from(2)
            })
        })
        .collect()
}

fn parse<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ExitCode> {
    serde_json::from_slice(&read(path)?).map_err(|e| {
        eprintln!("error[log.receipt_malformed]: {}: {e}", path.display());
        ExitCode::from(2)
    })
}

pub fn log(command: LogCommand) -> ExitCode {
    let result = match command {
        LogCommand::Torture(args) => return torture(args),
        LogCommand::Audit(args) => return super::audit::audit(*args),
        LogCommand::VerifierKey { log_key: key_path, name } => {
            let key = match log_key(&key_path) {
                Ok(k) => k,
                Err(code) => return code,
            };
            return match crate::ledger::checkpoint::verifier_key(&name, &key) {
                Ok(vkey) => {
                    println!("{vkey}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error[{}]: --name: {e}", e.code());
                    ExitCode::from(2)
                }
            };
        }
        LogCommand::VerifyReceipt {
            log_key: key_path,
            origin,
            witness_keys,
            min_witnesses,
            actor,
            kind,
            verdict,
            receipt: receipt_path,
            document,
        } => (|| {
            let key = log_key(&key_path)?;
            let trusted = witnesses(&witness_keys, min_witnesses)?;
            let r: Receipt = parse(&receipt_path)?;
            let doc = document.as_deref().map(read).transpose()?;
            let v = match receipt::verify(&r, &key, doc.as_deref()) {
                Ok(v) => v,
                Err(e) => return Ok(json!({"valid": false, "reason": e.code(), "message": e.to_string()})),
            };
            if let Some(refused) = another_log(&origin, &[(&v.checkpoint, &v.log_key_name)]) {
                return Ok(refused);
            }
            if let Some(actor) = actor.filter(|a| *a != v.entry.actor) {
                return Ok(json!({
                    "valid": false,
                    "reason": "log.actor",
                    "message": format!("the entry is logged as '{}', not as '{actor}'", v.entry.actor),
                    "entry": v.entry,
                }));
            }
            // The decision shown is the one the entry records (found by attack: a receipt of an
            // `invalid` verification verified "valid": true, which reads as the certificate's).
            let recorded = [("kind", kind, &v.entry.kind), ("verdict", verdict, &v.entry.verdict)];
            if let Some((field, asked, logged)) =
                recorded.into_iter().find_map(|(f, asked, logged)| Some((f, asked.filter(|a| a != logged)?, logged)))
            {
                return Ok(json!({
                    "valid": false,
                    "reason": "log.decision_other",
                    "message": format!("the entry records the {field} '{logged}', not '{asked}'"),
                    "entry": v.entry,
                }));
            }
            let vouched: Vec<_> = crate::ledger::cosignature::vouching(&r.checkpoint, &trusted)
                .into_iter()
                .map(|(w, time)| json!({"name": w.name, "time": time}))
                .collect();
            if vouched.len() < min_witnesses {
                return Ok(json!({
                    "valid": false,
                    "reason": "log.witnesses",
                    "message": format!(
                        "{} of the {} witnesses given cosigned the receipt's checkpoint; {min_witnesses} are required",
                        vouched.len(),
                        trusted.len()
                    ),
                    "witnesses": vouched,
                }));
            }
            Ok(
                json!({"valid": true, "index": v.index, "checkpoint": v.checkpoint, "log_key_name": v.log_key_name, "entry": v.entry, "document": document.is_some(), "witnesses": vouched}),
            )
        })(),
        LogCommand::VerifyConsistency { log_key: key_path, origin, old_checkpoint, new_checkpoint, proof } => {
            (|| {
                let key = log_key(&key_path)?;
                let old = super::audit::read_text(&old_checkpoint)?;
                let new = super::audit::read_text(&new_checkpoint)?;
                let p: ConsistencyProof = parse(&proof)?;
                let read = |note: &str| {
                    crate::ledger::checkpoint::Checkpoint::verify(note, &key).map_err(receipt::ReceiptError::from)
                };
                // A checkpoint that does not verify is reported as such, never as evidence.
                let read = |which: &str, note: &str| {
                    read(note).map_err(|e| json!({"valid": false, "reason": e.code(), "message": format!("the {which} checkpoint: {e}")}))
                };
                let ((o, old_name), (n, new_name)) = match read("old", &old).and_then(|o| Ok((o, read("new", &new)?))) {
                    Ok(both) => both,
                    Err(refused) => return Ok(refused),
                };
                // Both of the log given, before the proof: two histories of another log signed
                // with the same key are no evidence against this one.
                if let Some(refused) = another_log(&origin, &[(&o, &old_name), (&n, &new_name)]) {
                    return Ok(refused);
                }
                // Evidence is two checkpoints the log signed that it cannot show to be one history:
                // at one size with two roots, or a larger one that a proof for exactly these two
                // sizes does not lead to (evidence as good as the proof's source: the log's proof
                // endpoint). Not a checkpoint that does not verify, two given in the wrong order,
                // nor a proof for other sizes or that does not decode (found by review: every
                // failure, swapped arguments included, was reported as evidence).
                let split = o.size == n.size && o.root != n.root;
                let unproved = o.size < n.size && p.from == o.size && p.to == n.size;
                Ok(match receipt::consistent(o, n, &p) {
                    Ok((o, n)) => json!({"valid": true, "from": o, "to": n}),
                    Err(e) if split || (unproved && matches!(e, receipt::ReceiptError::Proof(_))) => {
                        json!({"valid": false, "reason": e.code(), "message": e.to_string(),
                           "evidence": {"old": old, "new": new}})
                    }
                    Err(e) => json!({"valid": false, "reason": e.code(), "message": e.to_string()}),
                })
            })()
        }
    };
    match result {
        Ok(report) => {
            print_json(&report);
            if report.get("valid") == Some(&serde_json::Value::Bool(true)) {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(code) => code,
    }
}

/// `mrgate log torture`: a durability self-test. Appends entries from several threads to a
/// store under `--data-dir`, printing `ack <index>` after each commit and `checkpoint <note>`
/// now and then; kill it at any moment and reopen the store to check that every
/// acknowledged entry survived.
#[derive(clap::Args, Debug)]
pub struct TortureArgs {
    #[arg(long)]
    pub data_dir: PathBuf,
    /// A PostgreSQL store instead of SQLite in the data directory (`postgres://…`).
    #[arg(long)]
    pub store_url: Option<String>,
    /// The log's Ed25519 private key (PKCS#8 PEM).
    #[arg(long)]
    pub log_key: PathBuf,
    #[arg(long, default_value_t = 4)]
    pub threads: usize,
    #[arg(long, default_value_t = 1000)]
    pub count: usize,
}

pub fn torture(args: TortureArgs) -> ExitCode {
    use crate::ledger::durable::DurableLog;
    use crate::ledger::entry::{Entry, document_digest};
    use crate::store::Store;
    use std::io::Write;
    use std::sync::Arc;
    let pkcs8 = match read(&args.log_key).map(|b| {
        rustls_pki_types::pem::PemObject::from_pem_slice(&b)
            .map(|k: rustls_pki_types::PrivatePkcs8KeyDer<'_>| k.secret_pkcs8_der().to_vec())
    }) {
        Ok(Ok(k)) => k,
        Ok(Err(e)) => {
            eprintln!("error[key.unreadable]: {}: {e:?}", args.log_key.display());
            return ExitCode::from(2);
        }
        Err(code) => return code,
    };
    let Ok(key) = ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pkcs8) else {
        eprintln!("error[key.unknown_type]: {}: not an Ed25519 key", args.log_key.display());
        return ExitCode::from(2);
    };
    if let Err(e) = std::fs::create_dir_all(&args.data_dir) {
        eprintln!("error[io.write]: {}: {e}", args.data_dir.display());
        return ExitCode::from(2);
    }
    let store: Arc<dyn Store> = match crate::store::open(args.store_url.as_deref(), &args.data_dir) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code());
            return ExitCode::from(2);
        }
    };
    let log = match DurableLog::open("mrgate.test/torture-log", key, store) {
        Ok(l) => Arc::new(l),
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code());
            return ExitCode::from(2);
        }
    };
    let out = Arc::new(std::sync::Mutex::new(std::io::stdout()));
    let threads: Vec<_> = (0..args.threads)
        .map(|t| {
            let (log, out) = (Arc::clone(&log), Arc::clone(&out));
            let count = args.count;
            std::thread::spawn(move || {
                for i in 0..count {
                    let entry = Entry {
                        kind: "export".into(),
                        time: "2026-11-26T00:00:00Z".into(),
                        actor: format!("torture-{t}"),
                        inputs: vec![document_digest(format!("{t}/{i}").as_bytes())],
                        outputs: vec![],
                        rules: Default::default(),
                        verdict: "valid".into(),
                        reasons: vec![],
                    };
                    let Ok(index) = log.append(&entry) else { return };
                    let Ok(mut o) = out.lock() else { return };
                    let _ = writeln!(o, "ack {index}");
                    if index % 500 == 0
                        && let Ok(cp) = log.checkpoint()
                    {
                        let _ = writeln!(o, "checkpoint {}", cp.replace('\n', "\\n"));
                    }
                    let _ = o.flush();
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
    ExitCode::SUCCESS
}
