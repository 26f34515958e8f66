//! Trust-list commands: `trust build`, `trust show`, `trust query`.

use super::signing::{ListSigners, TrustArgs, exit_for};
use super::{json_for_terminal, print_json};
use crate::formats::set_member;
use crate::trust::TrustList;
use crate::xml::Limits;
use clap::Subcommand;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use time::OffsetDateTime;

#[derive(Subcommand, Debug)]
pub enum TrustCommand {
    /// Build and sign a trust list from a TOML description.
    Build {
        description: PathBuf,
        #[command(flatten)]
        signer: super::signing::SignerArgs,
        /// The list's sequence number, instead of the description's (the next version).
        #[arg(long)]
        sequence: Option<u64>,
    },
    /// Verify a trust list and print it as JSON.
    Show {
        #[command(flatten)]
        trust: TrustArgs,
        #[command(flatten)]
        signers: ListSigners,
        /// Check the list's signature with its own KeyInfo key only (no trust decision).
        #[arg(long)]
        insecure_embedded_key: bool,
        /// The time each service's status is asked about (RFC 3339; default --at): history
        /// from before the list's signer was issued can be asked about with a list
        /// validated now.
        #[arg(long)]
        membership_at: Option<String>,
        list: PathBuf,
    },
    /// Was a body an active signatory of an arrangement for a scope at a time?
    Query {
        #[command(flatten)]
        trust: TrustArgs,
        #[command(flatten)]
        signers: ListSigners,
        #[arg(long)]
        body: String,
        #[arg(long)]
        arrangement: String,
        #[arg(long)]
        scope: String,
        /// The time the membership is asked about (RFC 3339; default --at, the time the
        /// list is validated at).
        #[arg(long)]
        membership_at: Option<String>,
        list: PathBuf,
    },
}

/// The time a question about the list's content is asked at: `--membership-at`, else the
/// list's validation time.
fn asked_at(membership_at: Option<&str>, validated_at: u64) -> Result<OffsetDateTime, ExitCode> {
    match membership_at {
        Some(t) => super::signing::flag_time("--membership-at", t),
        None => Ok(OffsetDateTime::from_unix_timestamp(validated_at as i64).unwrap_or(OffsetDateTime::UNIX_EPOCH)),
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

fn limits() -> Limits {
    // Real trusted lists run to a few megabytes and tens of thousands of elements.
    Limits { max_bytes: 16 * 1024 * 1024, max_elements: 1_000_000, ..Limits::default() }
}

fn load(trust: &TrustArgs, signers: &ListSigners, insecure: bool, path: &Path) -> Result<(TrustList, u64), ExitCode> {
    let (anchors, crls, at) = trust.load()?;
    let bytes = std::fs::read(path).map_err(|e| {
        eprintln!("error[io.read]: {}: {e}", path.display());
        ExitCode::from(2)
    })?;
    let result = if insecure {
        TrustList::load_insecure(&bytes, &limits())
    } else {
        if anchors.is_empty() {
            eprintln!("error[usage.trust_anchor]: give the operator's --trust-anchor (or --insecure-embedded-key)");
            return Err(ExitCode::from(2));
        }
        signers.load(&bytes, &anchors, &crls, at, &limits())?
    };
    result.map(|l| (l, at)).map_err(|e| {
        println!(
            "{}",
            json_for_terminal(&json!({"valid": false, "reason": e.code(), "message": e.to_string()}).to_string())
        );
        match &e {
            crate::trust::TrustError::Signature(d) => exit_for(d.severity()),
            _ => ExitCode::from(1),
        }
    })
}

pub fn trust(command: TrustCommand) -> ExitCode {
    match command {
        TrustCommand::Build { description, signer, sequence } => {
            let (key, chain) = match signer.load() {
                Ok(s) => s,
                Err(code) => return code,
            };
            match crate::trust::build::build_with(&description, sequence, &key, &chain) {
                Ok(list) => super::write_out(list.as_bytes()),
                Err(e) => {
                    eprintln!("error[trust.build]: {e}");
                    ExitCode::from(1)
                }
            }
        }
        TrustCommand::Show { trust, signers, insecure_embedded_key, membership_at, list } => {
            let (list, validated) = match load(&trust, &signers, insecure_embedded_key, &list) {
                Ok(l) => l,
                Err(code) => return code,
            };
            let at = match asked_at(membership_at.as_deref(), validated) {
                Ok(t) => t,
                Err(code) => return code,
            };
            let mut report = serde_json::to_value(&list).unwrap_or_default();
            set_member(&mut report, "valid", json!(true));
            set_member(&mut report, "membership_at", json!(rfc3339(at)));
            if insecure_embedded_key {
                set_member(
                    &mut report,
                    "trust",
                    json!("none: --insecure-embedded-key checked the signature with the key in KeyInfo only"),
                );
            }
            // Each service's status at the requested time.
            if let Some(providers) = report.get_mut("providers").and_then(|p| p.as_array_mut()) {
                for (p, provider) in providers.iter_mut().zip(&list.providers) {
                    if let Some(services) = p.get_mut("services").and_then(|s| s.as_array_mut()) {
                        for (s, service) in services.iter_mut().zip(&provider.services) {
                            set_member(s, "granted_at_time", json!(service.granted_at(at)));
                        }
                    }
                }
            }
            print_json(&report);
            ExitCode::SUCCESS
        }
        TrustCommand::Query { trust, signers, body, arrangement, scope, membership_at, list } => {
            let (list, validated) = match load(&trust, &signers, false, &list) {
                Ok(l) => l,
                Err(code) => return code,
            };
            let at = match asked_at(membership_at.as_deref(), validated) {
                Ok(t) => t,
                Err(code) => return code,
            };
            let answer = list.membership_at(&body, &arrangement, &scope, at);
            let validated = OffsetDateTime::from_unix_timestamp(validated as i64).unwrap_or(OffsetDateTime::UNIX_EPOCH);
            print_json(&json!({
                "body": body, "arrangement": arrangement, "scope": scope,
                "membership_at": rfc3339(at), "validated_at": rfc3339(validated),
                "active": answer.active, "reason": answer.reason, "status": answer.status,
                "trust_list": {"sequence": list.sequence, "digest": list.digest},
            }));
            if answer.active { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
    }
}
