//! `mrgate witness serve`: runs a witness (c2sp.org/tlog-witness) over HTTPS; `witness key`:
//! makes a witness's Ed25519 key and prints its verifier key; `witness vkey`: prints the
//! verifier key of a key already made.

use crate::ledger::cosignature::Witness;
use crate::witness::config::Config;
use clap::Subcommand;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum WitnessCommand {
    /// Run a witness over HTTPS: POST /add-checkpoint cosigns a checkpoint that extends the
    /// one it cosigned before for that log.
    Serve {
        /// Configuration file (see certs/demo/witness.toml).
        #[arg(long)]
        config: PathBuf,
        /// Listen address, overriding the configuration.
        #[arg(long)]
        listen: Option<String>,
        /// Data directory, overriding the configuration.
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Make a new witness key (Ed25519, PKCS#8 PEM) in a new file, and print its verifier key.
    Key {
        /// The key file to write; an existing file is never overwritten.
        #[arg(long)]
        out: PathBuf,
        /// The witness's name (a signed-note key name, e.g. witness.example/w1).
        #[arg(long)]
        name: String,
    },
    /// Print a witness key's verifier key (`<name>+<key id>+<key>`), for its clients.
    #[command(alias = "verifier-key")]
    Vkey {
        /// The witness's key (PKCS#8 PEM).
        #[arg(long)]
        key: PathBuf,
        #[arg(long)]
        name: String,
    },
}

pub fn witness(command: WitnessCommand) -> ExitCode {
    match command {
        WitnessCommand::Serve { config, listen, data_dir } => serve(&config, listen, data_dir),
        WitnessCommand::Key { out, name } => key(&out, &name),
        WitnessCommand::Vkey { key, name } => vkey(&key, &name),
    }
}

fn serve(path: &Path, listen: Option<String>, data_dir: Option<PathBuf>) -> ExitCode {
    let mut config = match Config::load(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code());
            return ExitCode::from(2);
        }
    };
    if let Some(l) = listen {
        config.listen = l;
    }
    if let Some(d) = data_dir {
        config.data_dir = d;
    }
    if let Err(e) = crate::server::events::install(crate::server::events::Format::Text) {
        eprintln!("error[witness.config]: {e}");
        return ExitCode::from(2);
    }
    let result = crate::witness::serve::serve(&config, |running| {
        println!("mrgate witness listening on https://{}", running.addr());
        println!("verifier key: {}", running.verifier_key());
    });
    crate::server::events::flush();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code());
            ExitCode::from(2)
        }
    }
}

/// The verifier key of `key` under `name`, or the diagnostic that refuses the name.
fn verifier_key(name: &str, key: &ring::signature::Ed25519KeyPair) -> Result<String, ExitCode> {
    own_key_name(name)?;
    Witness::of(name, key).map(|w| w.verifier_key()).map_err(|e| {
        eprintln!("error[{}]: --name: {e}", e.code());
        ExitCode::from(2)
    })
}

/// A name this command gives a key: one a signed note allows, holding no control, format
/// or invisible character either (found by attack: a name with U+202E made a verifier key
/// that showed another name). Notes signed by others are read by the signed-note rule alone.
fn own_key_name(name: &str) -> Result<(), ExitCode> {
    let refuse = |message: String| {
        eprintln!("error[log.checkpoint_malformed]: --name: {message}");
        ExitCode::from(2)
    };
    crate::ledger::checkpoint::check_key_name(name).map_err(|e| refuse(e.to_string()))?;
    match name.chars().find(|&c| c.is_control() || crate::model::is_hidden_control(c)) {
        Some(c) => Err(refuse(format!("U+{:04X} is a control, format or invisible character", u32::from(c)))),
        None => Ok(()),
    }
}

fn key(out: &Path, name: &str) -> ExitCode {
    if let Err(code) = own_key_name(name) {
        return code;
    }
    let (pem, key) = match crate::witness::key::generate() {
        Ok(k) => k,
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code());
            return ExitCode::from(2);
        }
    };
    let vkey = match verifier_key(name, &key) {
        Ok(v) => v,
        Err(code) => return code,
    };
    if let Err(e) = write_new(out, pem.as_bytes()) {
        eprintln!("error[io.write]: {}: {e}", out.display());
        return ExitCode::from(2);
    }
    println!("{vkey}");
    ExitCode::SUCCESS
}

/// Writes a file that must not exist yet, readable by its owner alone, whole or not at all.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            std::io::Error::new(e.kind(), "already exists; a key is never overwritten (choose another --out)")
        } else {
            e
        }
    })?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    if written.is_err() {
        let _ = std::fs::remove_file(path);
    }
    written
}

fn vkey(path: &Path, name: &str) -> ExitCode {
    let key = match crate::witness::key::read(path) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code());
            return ExitCode::from(2);
        }
    };
    match verifier_key(name, &key) {
        Ok(vkey) => {
            println!("{vkey}");
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}
