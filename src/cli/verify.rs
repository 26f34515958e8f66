//! `mrgate verify`: the recognition decision for one document, against a signed trust list.

use super::signing::TrustArgs;
use super::{print_json, read_input};
use crate::recognition::{self, Context, NoRegister};
use crate::standards::{EMBEDDED_TABLE, Table};
use crate::trust::TrustList;
use crate::xml::Limits;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// The signed trust list (verified against --trust-anchor, the operator's anchor).
    #[arg(long)]
    trust_list: PathBuf,
    /// The trust-list operator's signing certificate (PEM, repeatable): the list must be
    /// signed by one of them, with the EKU tslSigning, as the gateway requires. Without it,
    /// any signer under --trust-anchor is taken (a warning says so).
    #[arg(long = "trust-list-signer")]
    trust_list_signer: Vec<PathBuf>,
    #[command(flatten)]
    trust: TrustArgs,
    /// UNTP credential (compact JWS), signed IAF XML or signed CN XML.
    #[arg(default_value = "-")]
    file: String,
}

pub fn verify(args: VerifyArgs, limits: &Limits) -> ExitCode {
    let (anchors, crls, at) = match args.trust.load() {
        Ok(t) => t,
        Err(code) => return code,
    };
    if anchors.is_empty() {
        eprintln!("error[usage.trust_anchor]: give the trust-list operator's --trust-anchor");
        return ExitCode::from(2);
    }
    let list_bytes = match std::fs::read(&args.trust_list) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error[io.read]: {}: {e}", args.trust_list.display());
            return ExitCode::from(2);
        }
    };
    let list_limits = Limits { max_bytes: 16 * 1024 * 1024, max_elements: 1_000_000, ..*limits };
    let now = time::OffsetDateTime::from_unix_timestamp(at as i64).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let loaded = if args.trust_list_signer.is_empty() {
        eprintln!(
            "warning: the trust list's signer is not pinned (--trust-list-signer): any signer under --trust-anchor is taken"
        );
        TrustList::load(&list_bytes, &anchors, None, at, &list_limits)
    } else {
        let mut signer_certificates = Vec::new();
        for path in &args.trust_list_signer {
            let read = std::fs::read(path)
                .map_err(|e| e.to_string())
                .and_then(|b| crate::crypto::x509::read_certificates(&b).map_err(|e| e.to_string()));
            match read {
                Ok(certs) => signer_certificates.extend(certs.iter().map(|c| c.as_ref().to_vec())),
                Err(e) => {
                    eprintln!("error[io.read]: {}: {e}", path.display());
                    return ExitCode::from(2);
                }
            }
        }
        let policy = crate::trust::InstallPolicy {
            anchors: anchors.clone(),
            signer_certificates,
            signer_spki_sha256: Vec::new(),
            crls: crls.clone_for_verifier(),
        };
        policy.load(&list_bytes, now, &list_limits)
    };
    let list = match loaded {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error[{}]: {}: {e}", e.code(), args.trust_list.display());
            return ExitCode::from(2);
        }
    };
    let input = match read_input(&args.file, limits) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let table = match Table::parse(EMBEDDED_TABLE) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error[{}]: the embedded equivalence table: {e}", e.code());
            return ExitCode::from(2);
        }
    };
    let ctx = Context {
        trust_list: &list,
        equivalence: &table,
        crls: if crls.is_empty() { None } else { Some(&crls) },
        register: &NoRegister,
        own_signers: &[],
        verifying: true,
        now,
        limits: *limits,
        verifiers: None,
    };
    let verdict = recognition::decide(&input, &ctx);
    print_json(&verdict);
    if verdict.valid { ExitCode::SUCCESS } else { ExitCode::from(1) }
}
