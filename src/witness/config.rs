//! A witness's configuration: a TOML file (`certs/demo/witness.toml` is the demo's), read
//! strictly (unknown keys refused), relative paths resolved against the file's folder.
//!
//! ```toml
//! listen = "127.0.0.1:8450"
//! data_dir = "witness-data"
//! name = "witness.demo.mrgate.example/w1"   # the witness's key name
//! key = "witness.key"                       # its Ed25519 PKCS#8 PEM key
//!
//! [tls]
//! certificate = "server.pem"
//! key = "server.key"
//!
//! [[logs]]
//! origin = "demo.mrgate.example/log"
//! vkey = "demo.mrgate.example/log+…+…"      # as `mrgate log verifier-key` prints it
//! ```
//!
//! This module reads and checks the file; it opens no key and no database (the
//! [`super::cosigner::Cosigner`] does).

use crate::ledger::checkpoint::parse_verifier_key;
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The address the witness listens on (`127.0.0.1:0` for any free port).
    pub listen: String,
    /// Where the state lives (`witness.db`, `witness.lock`).
    pub data_dir: PathBuf,
    /// The witness's key name: the name on its cosignatures and in its verifier key.
    pub name: String,
    /// The witness's Ed25519 private key (PKCS#8 PEM; `mrgate witness key` makes one).
    pub key: PathBuf,
    pub tls: Tls,
    /// The logs it cosigns for.
    pub logs: Vec<WatchedLog>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tls {
    /// The server certificate chain (PEM, leaf first).
    pub certificate: PathBuf,
    /// Its private key (PKCS#8 PEM).
    pub key: PathBuf,
}

/// One log a witness watches.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchedLog {
    /// The first line of the log's checkpoints.
    pub origin: String,
    /// The log's Ed25519 signed-note verifier key (`<name>+<key id>+<key>`).
    pub vkey: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("{}: {why}", path.display())]
    Unreadable { path: PathBuf, why: String },
    #[error("{}: {why}", path.display())]
    Invalid { path: PathBuf, why: String },
    /// A check failed on a configuration built in code (no file to name).
    #[error("{field}: {why}")]
    Field { field: String, why: String },
}

impl ConfigError {
    pub fn code(&self) -> &'static str {
        match self {
            ConfigError::Unreadable { .. } | ConfigError::Invalid { .. } | ConfigError::Field { .. } => {
                "witness.config"
            }
        }
    }
}

fn field(field: impl Into<String>, why: impl Into<String>) -> ConfigError {
    ConfigError::Field { field: field.into(), why: why.into() }
}

impl Config {
    /// Reads a configuration file; relative paths are resolved against its folder.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text =
            crate::files::configured_text(path).map_err(|why| ConfigError::Unreadable { path: path.into(), why })?;
        let invalid = |why: String| ConfigError::Invalid { path: path.into(), why };
        let mut config: Config = toml::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        config.check().map_err(|e| invalid(e.to_string()))?;
        config.resolve(path.parent().unwrap_or(Path::new(".")));
        Ok(config)
    }

    /// What the types alone do not refuse; run on every configuration a witness starts
    /// with, from a file or not.
    pub fn check(&self) -> Result<(), ConfigError> {
        crate::ledger::checkpoint::check_key_name(&self.name).map_err(|e| field("name", e.to_string()))?;
        if self.logs.is_empty() {
            return Err(field("logs", "name at least one log ([[logs]] origin and vkey)"));
        }
        let mut origins = std::collections::BTreeSet::new();
        for (i, log) in self.logs.iter().enumerate() {
            // An origin is a checkpoint's first line: any text but an empty one or one that
            // would run into the next line (some logs' origins hold spaces).
            if log.origin.is_empty() || log.origin.chars().any(char::is_control) {
                return Err(field(format!("logs[{i}].origin"), "must be one non-empty line"));
            }
            if !origins.insert(log.origin.as_str()) {
                return Err(field(format!("logs[{i}].origin"), format!("{:?} is named twice", log.origin)));
            }
            parse_verifier_key(&log.vkey).map_err(|e| field(format!("logs[{i}].vkey"), e.to_string()))?;
        }
        Ok(())
    }

    fn resolve(&mut self, base: &Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        fix(&mut self.data_dir);
        fix(&mut self.key);
        fix(&mut self.tls.certificate);
        fix(&mut self.tls.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VKEY: &str = "demo.mrgate.example/log+1f7c2d5e+AQ==";

    fn vkey() -> String {
        let public = [9u8; 32];
        crate::ledger::checkpoint::verifier_key("example.com/log", &public).expect("vkey")
    }

    fn text(logs: &str) -> String {
        format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = \"data\"\nname = \"witness.example/w1\"\nkey = \"w.key\"\n\
             [tls]\ncertificate = \"/etc/tls/c.pem\"\nkey = \"k.pem\"\n{logs}"
        )
    }

    fn load(content: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("witness.toml");
        std::fs::write(&path, content).expect("write");
        Config::load(&path)
    }

    #[test]
    fn a_file_loads_with_its_relative_paths_under_its_folder() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("witness.toml");
        std::fs::write(&path, text(&format!("[[logs]]\norigin = \"example.com/log\"\nvkey = \"{}\"\n", vkey())))
            .expect("write");
        let config = Config::load(&path).expect("loads");
        assert_eq!(config.data_dir, dir.path().join("data"));
        assert_eq!(config.key, dir.path().join("w.key"));
        assert_eq!(config.tls.certificate, Path::new("/etc/tls/c.pem"));
        assert_eq!(config.tls.key, dir.path().join("k.pem"));
        assert_eq!(config.logs.len(), 1);
    }

    #[test]
    fn what_a_witness_cannot_run_with_is_refused_saying_where() {
        let log = format!("[[logs]]\norigin = \"example.com/log\"\nvkey = \"{}\"\n", vkey());
        for (content, why) in [
            (text(""), "missing field `logs`"),
            (format!("logs = []\n{}", text("")), "at least one log"),
            (text(&format!("{log}{log}")), "named twice"),
            (text(&format!("{log}colour = \"red\"\n")), "unknown field `colour`"),
            (text(&format!("[[logs]]\norigin = \"\"\nvkey = \"{}\"\n", vkey())), "one non-empty line"),
            (text(&format!("[[logs]]\norigin = \"a\\nb\"\nvkey = \"{}\"\n", vkey())), "one non-empty line"),
            (text(&format!("[[logs]]\norigin = \"example.com/log\"\nvkey = \"{VKEY}\"\n")), "logs[0].vkey"),
            (text(&log).replace("witness.example/w1", "witness example"), "name"),
            (format!("unknown = 1\n{}", text(&log)), "unknown field `unknown`"),
        ] {
            let err = load(&content).expect_err(why);
            assert!(err.to_string().contains(why) && err.code() == "witness.config", "{why}: {err}");
        }
        let missing = Config::load(Path::new("/no/such/witness.toml")).expect_err("missing");
        assert!(matches!(missing, ConfigError::Unreadable { .. }), "{missing}");
    }
}
