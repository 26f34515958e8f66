//! `mrgate pt stats`: ISO 13528 statistics over a CSV results table.

use super::read_input;
use crate::pt::{csv, stats};
use crate::xml::Limits;
use clap::{Subcommand, ValueEnum};
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
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MethodArg {
    AlgorithmA,
    Median,
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
    let PtCommand::Stats { method, stop, sigma_pt, format, file } = command;
    let input = match read_input(&file, limits) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let Ok(text) = String::from_utf8(input) else {
        eprintln!("error[csv.encoding]: {file}: not UTF-8 text");
        return ExitCode::from(1);
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
                OutArg::Json => println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default()),
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
