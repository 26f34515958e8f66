//! `mrgate pt`: ISO 13528 statistics over a CSV results table, the homogeneity and
//! stability checks of a round's items (Annex B), and the PT exchange
//! documents a partner sends (a results table turned into a signed submission, a round
//! definition checked and signed).

use super::signing::load_signer;
use super::{for_terminal, print_json, read_input};
use crate::pt::exchange::{self, Submission, SubmittedResult};
use crate::pt::{csv, stats};
use crate::xml::Limits;
use clap::{Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum PtCommand {
    /// Robust statistics and scores for a results table (`participant,result[,u][,U]`).
    Stats {
        #[arg(long, value_enum, default_value = "algorithm-a")]
        method: MethodArg,
        #[arg(long, value_enum, default_value = "converge")]
        stop: StopArg,
        /// σ_pt fixed by the scheme; without it, σ_pt is the round's robust s*.
        #[arg(long)]
        sigma_pt: Option<f64>,
        #[arg(long, value_enum, default_value = "json")]
        format: OutArg,
        #[arg(default_value = "-")]
        file: String,
    },
    /// Homogeneity of a round's items (ISO 13528 B.3) from a table `item,replicate,result`:
    /// g, m, the mean, s_x, s_w, s_s and, with σ_pt, the criterion 0.3·σ_pt and whether
    /// s_s meets it (`sufficient`).
    Homogeneity {
        #[arg(long)]
        sigma_pt: Option<f64>,
        #[arg(long, value_enum, default_value = "json")]
        format: OutArg,
        #[arg(default_value = "-")]
        file: String,
    },
    /// Stability of a round's items (ISO 13528 B.5) from a table
    /// `occasion,result[,item][,replicate]` (occasion 1 or 2): the two means, their
    /// difference, the criterion 0.3·σ_pt and whether it is met (`stable`).
    Stability {
        #[arg(long)]
        sigma_pt: f64,
        #[arg(long, value_enum, default_value = "json")]
        format: OutArg,
        #[arg(default_value = "-")]
        file: String,
    },
    /// Turn a results table (`participant,measurand,result[,u][,U][,k][,method]`) into a
    /// ResultsSubmission for a round, signed when a key is given.
    Submission {
        #[arg(long)]
        round: String,
        /// The submitting partner's body id (as in the trust list).
        #[arg(long)]
        submitter: String,
        #[command(flatten)]
        signer: SignerArgs,
        #[arg(default_value = "-")]
        file: String,
    },
    /// Check a PT exchange document (RoundDefinition or ResultsSubmission) and sign it.
    Sign {
        #[command(flatten)]
        signer: SignerArgs,
        #[arg(default_value = "-")]
        file: String,
    },
}

#[derive(clap::Args, Debug)]
pub struct SignerArgs {
    /// PKCS#8 private key (PEM or DER) of a granted signer of the partner's body.
    #[arg(long)]
    key: Option<PathBuf>,
    /// The signer's certificate (PEM).
    #[arg(long, requires = "key")]
    cert: Option<PathBuf>,
    /// Intermediate certificates (PEM bundle).
    #[arg(long, requires = "key")]
    chain: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MethodArg {
    AlgorithmA,
    /// The median, with MADe as s*.
    Median,
    /// The median, with nIQR as s*.
    MedianNiqr,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StopArg {
    Converge,
    Iso2022,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OutArg {
    Json,
    Csv,
}

pub fn pt(command: PtCommand, limits: &Limits) -> ExitCode {
    match command {
        PtCommand::Stats { method, stop, sigma_pt, format, file } => {
            pt_stats(method, stop, sigma_pt, format, &file, limits)
        }
        PtCommand::Homogeneity { sigma_pt, format, file } => annex_b(&file, format, limits, |text| {
            let items = csv::read_homogeneity(text).map_err(|e| (e.code(), e.to_string()))?;
            stats::homogeneity(&items, sigma_pt).map_err(|e| (e.code(), e.to_string()))
        }),
        PtCommand::Stability { sigma_pt, format, file } => annex_b(&file, format, limits, |text| {
            let (first, second) = csv::read_stability(text).map_err(|e| (e.code(), e.to_string()))?;
            stats::stability(&first, &second, sigma_pt).map_err(|e| (e.code(), e.to_string()))
        }),
        PtCommand::Submission { round, submitter, signer, file } => {
            submission(&round, &submitter, &signer, &file, limits)
        }
        PtCommand::Sign { signer, file } => sign(&signer, &file, limits),
    }
}

/// An Annex B check (homogeneity, stability) of the table in `file`, written as JSON or as
/// a CSV of one row: exit 0 with the check made (met or not), 1 for data it cannot be
/// made on, naming the line where there is one.
fn annex_b<T: serde::Serialize>(
    file: &str,
    format: OutArg,
    limits: &Limits,
    check: impl FnOnce(&str) -> Result<T, (&'static str, String)>,
) -> ExitCode {
    let text = match read_text(file, limits, "csv.encoding") {
        Ok(t) => t,
        Err(code) => return code,
    };
    let outcome = match check(&text) {
        Ok(o) => o,
        Err((code, message)) => {
            eprintln!("error[{code}]: {file}: {message}");
            return ExitCode::from(1);
        }
    };
    let value = serde_json::to_value(&outcome).unwrap_or_default();
    match format {
        OutArg::Json => print_json(&value),
        OutArg::Csv => {
            let Some(fields) = value.as_object() else { return ExitCode::from(1) };
            let header: Vec<&str> = fields.keys().map(String::as_str).collect();
            let row: Vec<String> = fields
                .values()
                .map(|v| match v {
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                })
                .collect();
            println!("{}\n{}", header.join(","), for_terminal(&row.join(",")));
        }
    }
    ExitCode::SUCCESS
}

/// The input as UTF-8 text; anything else is refused under `code` (exit 1).
fn read_text(file: &str, limits: &Limits, code: &str) -> Result<String, ExitCode> {
    let input = read_input(file, limits)?;
    String::from_utf8(input).map_err(|_| {
        eprintln!("error[{code}]: {file}: not UTF-8 text");
        ExitCode::from(1)
    })
}

/// Signs `text` when the arguments name a key, and writes it whole to standard output.
fn emit(text: String, signer: &SignerArgs) -> ExitCode {
    let out = match (&signer.key, &signer.cert) {
        (Some(key), Some(cert)) => {
            let (key, chain) = match load_signer(key, cert, signer.chain.as_deref()) {
                Ok(s) => s,
                Err(code) => return code,
            };
            match crate::crypto::xmldsig::sign(&text, &key, &chain) {
                Ok(signed) => signed,
                Err(e) => {
                    eprintln!("error[{}]: {e}", e.code());
                    return ExitCode::from(1);
                }
            }
        }
        (Some(_), None) => {
            eprintln!("error[usage]: --key needs --cert");
            return ExitCode::from(2);
        }
        _ => text,
    };
    super::write_out(out.as_bytes())
}

fn submission(round: &str, submitter: &str, signer: &SignerArgs, file: &str, limits: &Limits) -> ExitCode {
    if !exchange::valid_id(round) {
        eprintln!("error[usage]: --round '{round}' is not an identifier (1–64 of A–Z a–z 0–9 . _ -)");
        return ExitCode::from(2);
    }
    let text = match read_text(file, limits, "csv.encoding") {
        Ok(t) => t,
        Err(code) => return code,
    };
    let rows = match csv::read_submission(&text) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error[{}]: {file}: {e}", e.code());
            return ExitCode::from(1);
        }
    };
    let mut results = Vec::new();
    for r in rows {
        let bad = |what: &str| {
            eprintln!("error[pt.document]: {file}: line {}: {what}", r.line);
            ExitCode::from(1)
        };
        if !exchange::valid_id(&r.participant) || !exchange::valid_id(&r.measurand) {
            return bad("participant and measurand are identifiers (1–64 of A–Z a–z 0–9 . _ -)");
        }
        if !r.result.is_finite() {
            return bad("the result is not a finite number");
        }
        if [r.u, r.expanded].iter().flatten().any(|v| !v.is_finite() || *v < 0.0) {
            return bad("u and U are finite and not negative");
        }
        if r.k.is_some_and(|k| !k.is_finite() || k <= 0.0) {
            return bad("the coverage factor k is positive");
        }
        results.push(SubmittedResult {
            participant: r.participant,
            measurand: r.measurand,
            value: r.result,
            u: r.u,
            expanded: r.expanded,
            k: r.k,
            method: r.method,
        });
    }
    if results.is_empty() {
        eprintln!("error[pt.document]: {file}: the table has no results");
        return ExitCode::from(1);
    }
    let doc = Submission { round: round.to_string(), submitter: submitter.to_string(), results };
    let text = exchange::write_submission(&doc);
    if let Err(code) = read_as_the_gateway(&text, &format!("{file}, as a submission"), limits) {
        return code;
    }
    emit(text, signer)
}

fn sign(signer: &SignerArgs, file: &str, limits: &Limits) -> ExitCode {
    if signer.key.is_none() {
        eprintln!("error[usage]: pt sign needs --key and --cert");
        return ExitCode::from(2);
    }
    let text = match read_text(file, limits, "xml.bad_encoding") {
        Ok(t) => t,
        Err(code) => return code,
    };
    if let Err(code) = read_as_the_gateway(&text, file, limits) {
        return code;
    }
    emit(text, signer)
}

/// Refuses a PT document the gateway would refuse to read (a RoundDefinition or a
/// ResultsSubmission), said on stderr of `what`: nothing is signed that the gateway then
/// refuses (found by attack: a table whose method held U+202E was signed, and the gateway
/// answered 400).
fn read_as_the_gateway(text: &str, what: &str, limits: &Limits) -> Result<(), ExitCode> {
    let root = crate::xml::parse(text.as_bytes(), limits).map_err(|e| {
        eprintln!("error[{}]: {what}: {e}", e.code());
        ExitCode::from(1)
    })?;
    let checked = match root.local.as_str() {
        "ResultsSubmission" => exchange::read_submission(&root).map(|_| ()),
        _ => exchange::read_round(&root).map(|_| ()),
    };
    checked.map_err(|e| {
        eprintln!("error[{}]: {what}: {e}", e.code());
        ExitCode::from(1)
    })?;
    // Its namespace written as it is, as the gateway takes it (found by review: one written
    // with a character reference was signed, and refused).
    crate::decisions::pt::namespace_as_written(&root, text.as_bytes()).map_err(|r| {
        eprintln!("error[{}]: {what}: {}", r.reason, r.detail);
        ExitCode::from(1)
    })
}

fn pt_stats(
    method: MethodArg,
    stop: StopArg,
    sigma_pt: Option<f64>,
    format: OutArg,
    file: &str,
    limits: &Limits,
) -> ExitCode {
    let text = match read_text(file, limits, "csv.encoding") {
        Ok(t) => t,
        Err(code) => return code,
    };
    let results = match csv::read_results(&text) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error[{}]: {file}: {e}", e.code());
            return ExitCode::from(1);
        }
    };
    let options = stats::Options {
        method: match method {
            MethodArg::AlgorithmA => stats::Method::AlgorithmA,
            MethodArg::Median => stats::Method::Median,
            MethodArg::MedianNiqr => stats::Method::MedianNiqr,
        },
        stop: match stop {
            StopArg::Converge => stats::Stop::Converge,
            StopArg::Iso2022 => stats::Stop::Iso2022,
        },
        sigma_pt,
    };
    match stats::evaluate(&results, &options) {
        Ok(report) => {
            match format {
                OutArg::Json => print_json(&report),
                OutArg::Csv => print!("{}", csv::write_report(&report)),
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error[{}]: {file}: {e}", e.code());
            ExitCode::from(1)
        }
    }
}
