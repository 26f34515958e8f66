//! `mrgate verify`: the recognition decision for one document, against a signed trust list.

use super::signing::{ListSigners, TrustArgs};
use super::{print_json, read_input};
use crate::recognition::{self, Context, NoRegister};
use crate::standards::{EMBEDDED_TABLE, Table};
use crate::xml::Limits;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// The signed trust list (verified against --trust-anchor, the operator's anchor).
    #[arg(long)]
    trust_list: PathBuf,
    #[command(flatten)]
    signers: ListSigners,
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
    let loaded = match args.signers.load(&list_bytes, &anchors, &crls, at, &list_limits) {
        Ok(loaded) => loaded,
        Err(code) => return code,
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
