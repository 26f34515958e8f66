//! `mrgate log verify-receipt` and `log verify-consistency`: offline checks of the
//! transparency log, for holders of receipts and for monitors.

use crate::crypto::keys::{KeyKind, PublicKey};
use crate::ledger::receipt::{self, ConsistencyProof, Receipt};
use clap::Subcommand;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum LogCommand {
    /// Check a receipt (and optionally the document it covers) against the log key.
    VerifyReceipt {
        /// The log's Ed25519 public key (PEM SubjectPublicKeyInfo).
        #[arg(long)]
        log_key: PathBuf,
        receipt: PathBuf,
        document: Option<PathBuf>,
    },
    /// Check that a newer checkpoint extends an older one.
    VerifyConsistency {
        #[arg(long)]
        log_key: PathBuf,
        old_checkpoint: PathBuf,
        new_checkpoint: PathBuf,
        proof: PathBuf,
    },
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

fn parse<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ExitCode> {
    serde_json::from_slice(&read(path)?).map_err(|e| {
        eprintln!("error[log.receipt_malformed]: {}: {e}", path.display());
        ExitCode::from(2)
    })
}

pub fn log(command: LogCommand) -> ExitCode {
    let result = match command {
        LogCommand::VerifyReceipt { log_key: key_path, receipt: receipt_path, document } => (|| {
            let key = log_key(&key_path)?;
            let r: Receipt = parse(&receipt_path)?;
            let doc = document.as_deref().map(read).transpose()?;
            Ok(match receipt::verify(&r, &key, doc.as_deref()) {
                Ok(v) => {
                    json!({"valid": true, "index": v.index, "checkpoint": v.checkpoint, "log_key_name": v.log_key_name, "entry": v.entry, "document": document.is_some()})
                }
                Err(e) => json!({"valid": false, "reason": e.code(), "message": e.to_string()}),
            })
        })(),
        LogCommand::VerifyConsistency { log_key: key_path, old_checkpoint, new_checkpoint, proof } => (|| {
            let key = log_key(&key_path)?;
            let old = String::from_utf8_lossy(&read(&old_checkpoint)?).to_string();
            let new = String::from_utf8_lossy(&read(&new_checkpoint)?).to_string();
            let p: ConsistencyProof = parse(&proof)?;
            Ok(match receipt::verify_consistency(&old, &new, &p, &key) {
                Ok((o, n)) => json!({"valid": true, "from": o, "to": n}),
                Err(e) => json!({"valid": false, "reason": e.code(), "message": e.to_string()}),
            })
        })(),
    };
    match result {
        Ok(report) => {
            println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
            if report["valid"] == true { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
        Err(code) => code,
    }
}
