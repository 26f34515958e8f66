//! `mrgate verify`: the recognition decision for one document, against a signed trust list.

use super::read_input;
use super::signing::TrustArgs;
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
    let list = match TrustList::load(&list_bytes, &anchors, None, at, &list_limits) {
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
    let now = time::OffsetDateTime::from_unix_timestamp(at as i64).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let ctx = Context {
        trust_list: &list,
        equivalence: &table,
        crls: if crls.is_empty() { None } else { Some(&crls) },
        register: &NoRegister,
        own_signers: &[],
        now,
        limits: *limits,
        verifiers: None,
    };
    let verdict = recognition::decide(&input, &ctx);
    println!("{}", serde_json::to_string_pretty(&verdict).unwrap_or_default());
    if verdict.valid { ExitCode::SUCCESS } else { ExitCode::from(1) }
}
