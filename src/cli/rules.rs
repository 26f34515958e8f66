//! `mrgate rules`: the equivalence table as a versioned record — sign a table (the scheme
//! operator, with its trust-list signing key), install it on a running gateway (an
//! operator), read one back and check who signed it.

use super::{for_terminal, json_for_terminal, print_json};
use crate::crypto::x509::Crls;
use crate::trust::InstallPolicy;
use crate::trust::equivalence_table::{self as table_document, Origin};
use clap::Subcommand;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// Sign an equivalence table (TOML, as `src/standards/equivalence.toml`) as a compact
    /// JWS an operator can install; printed to standard output.
    Sign {
        table: PathBuf,
        /// A pinned trust-list signer's key and certificate (the gateway checks both).
        #[command(flatten)]
        signer: super::signing::SignerArgs,
    },
    /// Verify a table document (a signed JWS, or the gateway's compiled-in TOML) and print it
    /// as JSON: sequence, version, digest, signer, rows.
    Show {
        document: PathBuf,
        /// The trust-list operator's anchor certificate (PEM).
        #[arg(long)]
        operator_anchor: PathBuf,
        /// A pinned trust-list signer's certificate (PEM, repeatable).
        #[arg(long = "signer", required = true)]
        signers: Vec<PathBuf>,
    },
    /// Install a signed table on a running gateway (`PUT /v1/admin/equivalence-table`, as an
    /// operator): prints the gateway's answer; exit 1 unless it installed the table.
    Install {
        document: PathBuf,
        /// The gateway's base URL (`https://host:port`).
        #[arg(long)]
        url: String,
        /// The CA certificate the gateway's TLS certificate chains to.
        #[arg(long)]
        ca: PathBuf,
        /// The operator's client certificate and key (PEM).
        #[arg(long)]
        client_cert: PathBuf,
        #[arg(long)]
        client_key: PathBuf,
    },
}

fn read(path: &Path) -> Result<Vec<u8>, ExitCode> {
    std::fs::read(path).map_err(|e| {
        eprintln!("error[io.read]: {}: {e}", path.display());
        ExitCode::from(2)
    })
}

pub fn rules(command: RulesCommand) -> ExitCode {
    match run(command) {
        Ok(code) | Err(code) => code,
    }
}

fn run(command: RulesCommand) -> Result<ExitCode, ExitCode> {
    match command {
        RulesCommand::Sign { table, signer } => {
            let (key, chain) = signer.load()?;
            let text = String::from_utf8(read(&table)?).map_err(|_| {
                eprintln!("error[standards.table]: {}: not UTF-8", table.display());
                ExitCode::from(1)
            })?;
            match table_document::sign(&text, &key, &chain) {
                Ok(jws) => Ok(super::write_out(format!("{jws}\n").as_bytes())),
                Err(e) => {
                    eprintln!("error[{}]: {}: {e}", e.code(), table.display());
                    Err(ExitCode::from(1))
                }
            }
        }
        RulesCommand::Show { document, operator_anchor, signers } => {
            let policy = InstallPolicy::from_files(&operator_anchor, &signers, &[], &Crls::new()).map_err(|e| {
                eprintln!("error[x509.invalid]: {e}");
                ExitCode::from(2)
            })?;
            let bytes = read(&document)?;
            // A signed table without the line end `rules sign` writes after it (what `rules
            // install` sends, so the digest shown is the one the gateway logs).
            let trimmed = if table_document::is_build_table(&bytes) {
                &bytes[..]
            } else {
                bytes.strip_suffix(b"\n").unwrap_or(&bytes)
            };
            match table_document::read(trimmed, &policy, time::OffsetDateTime::now_utc()) {
                Ok(v) => {
                    let signer = match &v.origin {
                        Origin::Build => json!(null),
                        Origin::Signed { signer } => json!(signer),
                    };
                    let report = json!({"valid": true, "sequence": v.table.sequence, "version": v.table.version,
                                        "digest": v.digest, "signed_by": signer, "rows": v.table.rows});
                    Ok(super::write_out(
                        format!("{}\n", json_for_terminal(&serde_json::to_string_pretty(&report).unwrap_or_default()))
                            .as_bytes(),
                    ))
                }
                Err(e) => {
                    let report = json!({"valid": false, "reason": e.code(), "message": e.to_string()});
                    print_json(&report);
                    Err(ExitCode::from(1))
                }
            }
        }
        RulesCommand::Install { document, url, ca, client_cert, client_key } => {
            let bytes = read(&document)?;
            let body = bytes.strip_suffix(b"\n").unwrap_or(&bytes).to_vec();
            let client =
                super::client::Client::new(&url, Some(&ca), Some((&client_cert, &client_key))).map_err(|e| {
                    eprintln!("error[usage]: {e}");
                    ExitCode::from(2)
                })?;
            let answer = client.call("PUT", "/v1/admin/equivalence-table", "application/jose", body).map_err(|e| {
                eprintln!("error[http]: {e}");
                ExitCode::from(2)
            })?;
            // The gateway's answer is JSON; anything else is shown as text, made visible too.
            let body = String::from_utf8_lossy(&answer.body);
            match serde_json::from_str::<serde_json::Value>(&body) {
                Ok(_) => println!("{}", json_for_terminal(&body)),
                Err(_) => println!("{}", for_terminal(&body)),
            }
            Ok(if answer.status == 200 { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
    }
}
