//! `mrgate log audit`: the log read again from its store (`--config`) or from a running
//! gateway (`--url`), and what can be decided again decided again ([`crate::audit`]).
//!
//! Exit status: 0 when the audit found nothing to disagree with, 1 when it found
//! disagreements (each printed), 2 when it could not run (a file, the store, the gateway).

use super::print_json;
use crate::audit::{Audit, Report, StoreSource};
use crate::crypto::x509::{Crls, read_certificates};
use crate::ledger::checkpoint::Checkpoint;
use crate::trust::InstallPolicy;
use crate::xml::Limits;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct AuditArgs {
    /// The gateway's configuration: the store it names is read directly (SQLite: a stopped
    /// gateway's data directory, or a copy; PostgreSQL: live), with its install policy, CRLs,
    /// signing certificate and log key.
    #[arg(long, conflicts_with = "url")]
    pub config: Option<PathBuf>,
    /// A running gateway (`https://host:port`): the log, the rule versions and the kept
    /// documents are fetched over its API. Needs --log-key, --operator-anchor, --signer and
    /// --gateway-certificate, and a client certificate that may read documents
    /// (--client-cert, --client-key: a partner's, customs' or an operator's).
    #[arg(long)]
    pub url: Option<String>,
    /// The CA certificate(s) the gateway's TLS certificate chains to (PEM), for --url.
    #[arg(long)]
    pub ca: Option<PathBuf>,
    #[arg(long, requires = "client_key")]
    pub client_cert: Option<PathBuf>,
    #[arg(long, requires = "client_cert")]
    pub client_key: Option<PathBuf>,
    /// The log's Ed25519 public key (PEM), for --url (with --config it is the configuration's).
    #[arg(long)]
    pub log_key: Option<PathBuf>,
    /// The log's origin (the first line of its checkpoints, e.g. `demo.mrgate.example/log`):
    /// needed with --url; with --config the configuration's unless given. Every checkpoint
    /// must be this log's, under this name — a key may sign more than one log.
    #[arg(long)]
    pub origin: Option<String>,
    /// The trust-list operator's anchor certificate (PEM), for --url.
    #[arg(long)]
    pub operator_anchor: Option<PathBuf>,
    /// A pinned trust-list signer's certificate (PEM, repeatable), for --url.
    #[arg(long = "signer")]
    pub signers: Vec<PathBuf>,
    /// A pinned trust-list signer's SubjectPublicKeyInfo SHA-256 (hex, repeatable), for --url.
    #[arg(long = "signer-spki-sha256")]
    pub signer_spki_sha256: Vec<String>,
    /// The gateway's signing certificate chain (PEM, leaf first, as it signs with it):
    /// what it exported and the PT reports it made verify as its own. Repeat it for each
    /// signing key the gateway has used (one rotated out too). Needed with --url; with
    /// --config the configured one is used, and any given here besides.
    #[arg(long = "gateway-certificate")]
    pub gateway_certificates: Vec<PathBuf>,
    /// The gateway's public URL, where its receipt links point (repeatable, for one it had
    /// before; default: the configured `public_url` with --config, none with --url): a
    /// credential linking elsewhere is not as the gateway makes them.
    #[arg(long = "public-url")]
    pub public_urls: Vec<String>,
    /// The issuers' CRLs (PEM or DER, repeatable; every version published over the period
    /// audited), for --url: what was published by an entry's time completes the set it
    /// names; the latest of each list decides entries that name no set.
    #[arg(long = "crl")]
    pub crls: Vec<PathBuf>,
    /// A checkpoint the log must agree with (a signed note, e.g. one a witness cosigned):
    /// the tree of the log's entries must have its root at its size. With --url, one kept
    /// from an earlier look (the log must extend it), beside the one the gateway publishes.
    #[arg(long, conflicts_with = "unanchored")]
    pub checkpoint: Option<PathBuf>,
    /// With --config, audit without a checkpoint: the store's entries are decided again,
    /// but nothing shows they are the log anyone was shown (entries deleted or rewritten
    /// with their documents would go unseen).
    #[arg(long)]
    pub unanchored: bool,
    /// A witness's verifier key file; repeat for each witness relied on.
    #[arg(long = "witness-key")]
    pub witness_keys: Vec<PathBuf>,
    /// How many of those witnesses must have cosigned the checkpoint.
    #[arg(long, default_value_t = 0)]
    pub min_witnesses: usize,
    /// How old, in seconds, the checkpoint audited may be: as many of the witnesses as
    /// --min-witnesses (one at least) must have cosigned it within this many seconds of now.
    /// Without it, a gateway serving an old checkpoint its witnesses did cosign (with
    /// --url) would have its later decisions go unaudited.
    #[arg(long, requires = "witness_keys")]
    pub max_age: Option<u64>,
    /// Accept format-1 entries below this index (a log begun before entries named their
    /// rule versions: the index of its first format-2 entry). Default 0: none.
    #[arg(long, default_value_t = 0)]
    pub format_1_until: u64,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A signing chain from a PEM file (leaf first); a file with none is refused.
fn chain_of(path: &Path) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>, ExitCode> {
    match read_certificates(&read(path)?) {
        Ok(chain) if !chain.is_empty() => Ok(chain),
        Ok(_) => Err(fail("x509.invalid", format!("{}: no certificate", path.display()))),
        Err(e) => Err(fail("x509.invalid", format!("{}: {e}", path.display()))),
    }
}

/// A base URL as receipt links begin: without a trailing `/`.
fn trimmed(url: String) -> String {
    url.trim_end_matches('/').to_string()
}

fn fail(code: &str, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error[{code}]: {message}");
    ExitCode::from(2)
}

fn read(path: &Path) -> Result<Vec<u8>, ExitCode> {
    std::fs::read(path).map_err(|e| fail("io.read", format_args!("{}: {e}", path.display())))
}

/// A signed note or a verifier key, read as the UTF-8 text it must be: not read through
/// U+FFFD in place of what is not UTF-8 (found by attack: Go's `note.Open` refuses such a
/// note, and this read it).
pub(super) fn read_text(path: &Path) -> Result<String, ExitCode> {
    String::from_utf8(read(path)?).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        fail("io.read", format_args!("{}: not UTF-8 text (byte {at})", path.display()))
    })
}

/// The checkpoint, its log signature and its cosignatures checked.
fn checked_checkpoint(
    note: &str,
    log: (&[u8], &str),
    witness_keys: &[PathBuf],
    min: usize,
    max_age: Option<u64>,
) -> Result<Checkpoint, ExitCode> {
    let (log_key, origin) = log;
    let (checkpoint, key_name) =
        Checkpoint::verify(note, log_key).map_err(|e| fail(e.code(), format!("the checkpoint: {e}")))?;
    // Of the log audited, not of another the same key signs (found by review: a checkpoint
    // of the gateway's torture log, same size and root, passed the audit).
    if let Some(why) = crate::ledger::checkpoint::another_log(origin, &checkpoint, &key_name) {
        return Err(fail("log.other_log", why));
    }
    if min > witness_keys.len() {
        return Err(fail("usage.witnesses", format!("--min-witnesses {min} needs at least {min} --witness-key")));
    }
    let mut trusted = Vec::new();
    for path in witness_keys {
        let text = read_text(path)?;
        let witness = crate::ledger::cosignature::Witness::from_verifier_key(&text)
            .map_err(|e| fail(e.code(), format!("{}: {e}", path.display())))?;
        trusted.push(witness);
    }
    let vouched = crate::ledger::cosignature::vouching(note, &trusted);
    if vouched.len() < min {
        return Err(fail(
            "log.witnesses",
            format!(
                "{} of the {} witnesses given cosigned the checkpoint; {min} are required",
                vouched.len(),
                trusted.len()
            ),
        ));
    }
    // Fresh: cosigned lately by enough of them (a cosignature's time is its witness's word,
    // and a witness cosigns a log's checkpoint only forward). A time ahead of now by more
    // than a clock's drift is no later cosignature.
    if let Some(max_age) = max_age {
        let now = time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64;
        let fresh = vouched.iter().filter(|(_, t)| t.saturating_add(max_age) >= now && *t <= now + 60).count();
        if fresh < min.max(1) {
            let newest = vouched.iter().map(|(_, t)| *t).max();
            let newest = newest
                .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t as i64).ok())
                .map_or("none".into(), crate::decisions::rfc3339);
            return Err(fail(
                "log.stale",
                format!(
                    "{fresh} of the witnesses given cosigned the checkpoint within --max-age {max_age} s (its newest \
                     cosignature: {newest}); {} are required",
                    min.max(1)
                ),
            ));
        }
    }
    Ok(checkpoint)
}

/// The Ed25519 public key of the log's private key file (PKCS#8 PEM).
fn public_of_private(path: &Path) -> Result<Vec<u8>, ExitCode> {
    let pem = read(path)?;
    let pkcs8: Vec<u8> = rustls::pki_types::pem::PemObject::from_pem_slice(&pem)
        .map(|k: rustls::pki_types::PrivatePkcs8KeyDer<'_>| k.secret_pkcs8_der().to_vec())
        .map_err(|e| fail("key.unreadable", format!("{}: {e:?}", path.display())))?;
    let pair = ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pkcs8)
        .map_err(|_| fail("key.unknown_type", format!("{}: not an Ed25519 key", path.display())))?;
    Ok(ring::signature::KeyPair::public_key(&pair).as_ref().to_vec())
}

pub fn audit(args: AuditArgs) -> ExitCode {
    let outcome = match (&args.config, &args.url) {
        (Some(config), None) => local(&args, config),
        (None, Some(url)) => remote(&args, url),
        _ => Err(fail("usage.audit", "name the log to audit: --config FILE or --url https://…")),
    };
    let report = match outcome {
        Ok(r) => r,
        Err(code) => return code,
    };
    if args.json {
        print_json(&report);
    } else {
        print!("{}", summary(&report));
    }
    if report.disagreements.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

/// The report as people read it: the counts, then each disagreement.
pub fn summary(report: &Report) -> String {
    let not_re_derived: u64 = report.not_re_derived.values().sum();
    let mut out = format!(
        "entries {}\nre-derived {}\nnot re-derived {not_re_derived}\ndisagreements {}\nroot {}\n",
        report.entries,
        report.re_derived,
        report.disagreements.len(),
        report.root
    );
    for (why, n) in &report.not_re_derived {
        out.push_str(&format!("not re-derived: {n} {why}\n"));
    }
    out.push_str(&format!("register {}\n", report.register));
    out.push_str(&format!("anchored {}\n", report.anchored));
    if report.anchored < report.entries {
        out.push_str(&format!(
            "unanchored: entries {}..{}: no checkpoint given signs them, so nothing shows they are the log anyone \
             was shown (audit again with a newer checkpoint)\n",
            report.anchored, report.entries
        ));
    }
    // What the gateway says it granted, for the auditor to hold to the published grants.
    let list = |l: &[String]| if l.is_empty() { "any".to_string() } else { l.join(",") };
    for g in &report.grants {
        out.push_str(&format!(
            "grant: {} sha256:{} holders {} bodies {}: {} entries, {}..={}\n",
            g.name,
            g.digest,
            list(&g.holders),
            list(&g.bodies),
            g.entries,
            g.first,
            g.last
        ));
    }
    // The revocation the decisions had, and what the auditor's own CRLs added to it.
    for s in &report.crl_sets {
        let at = crate::decisions::rfc3339_of_unix;
        let crls = match &s.crls {
            None => "not had or not read (see the disagreements)".to_string(),
            Some(crls) if crls.is_empty() => "no CRLs".to_string(),
            Some(crls) => crls
                .iter()
                .map(|c| {
                    format!(
                        "{} number {} this update {} next update {}, {} revoked",
                        c.issuer,
                        crate::audit::crl_number(&c.number),
                        at(c.this_update),
                        c.next_update.map_or_else(|| "(none)".into(), at),
                        c.revoked
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
        };
        out.push_str(&format!(
            "crl set: sha256:{}: {} entries, {}..={}: {crls}\n",
            s.digest, s.entries, s.first, s.last
        ));
        for added in &s.completed_with {
            out.push_str(&format!("crl set: sha256:{} completed with the auditor's: {added}\n", s.digest));
        }
    }
    for d in &report.disagreements {
        out.push_str(&format!("disagreement: entry {} ({}) [{}] {}\n", d.index, d.kind, d.reason, d.detail));
    }
    out
}

fn local(args: &AuditArgs, path: &Path) -> Result<Report, ExitCode> {
    let config = crate::server::config::Config::load(path).map_err(|e| fail("config", e))?;
    let crls = crate::server::configured_crls(&config).map_err(|e| fail("config", e))?;
    let policy = crate::server::install_policy(&config, &crls).map_err(|e| fail("config", e))?;
    let mut gateway = vec![chain_of(&config.signing.certificate)?];
    // Keys rotated out signed the exports before the rotation.
    for path in config.signing.previous_certificates.iter().chain(&args.gateway_certificates) {
        gateway.push(chain_of(path)?);
    }
    let log_key = public_of_private(&config.log.key)?;
    let origin = args.origin.clone().unwrap_or_else(|| config.log.origin.clone());
    let checkpoint = match &args.checkpoint {
        Some(p) => {
            let note = read_text(p)?;
            Some(checked_checkpoint(&note, (&log_key, &origin), &args.witness_keys, args.min_witnesses, args.max_age)?)
        }
        None if args.min_witnesses > 0 => {
            return Err(fail("usage.witnesses", "--min-witnesses needs the --checkpoint they cosigned"));
        }
        None if !args.unanchored => {
            return Err(fail(
                "usage.audit",
                "--config needs --checkpoint (a checkpoint the log was published with), or --unanchored",
            ));
        }
        None => None,
    };
    // An audit reads a store that exists; opening a missing one would make an empty one.
    let db = config.data_dir.join("mrgate.db");
    if config.store.url.is_none() && !db.is_file() {
        return Err(fail("usage.audit", format!("{}: no store here to audit", db.display())));
    }
    let store = crate::store::open(config.store.url.as_deref(), &config.data_dir)
        .map_err(|e| fail(e.code(), format!("the store: {e}")))?;
    let audit = Audit {
        policy: &policy,
        crls: &crls,
        gateway,
        public_bases: if args.public_urls.is_empty() {
            config.public_url.iter().cloned().map(trimmed).collect()
        } else {
            args.public_urls.iter().cloned().map(trimmed).collect()
        },
        limits: Limits { max_bytes: config.limits.max_body_bytes, ..Limits::default() },
        checkpoints: checkpoint.into_iter().collect(),
        format_1_until: args.format_1_until,
        lists_whole: false,
    };
    audit.run(&StoreSource(store.as_ref())).map_err(|e| fail(e.code(), format!("the store: {e}")))
}

fn remote(args: &AuditArgs, url: &str) -> Result<Report, ExitCode> {
    let need =
        |p: &Option<PathBuf>, name: &str| p.clone().ok_or_else(|| fail("usage.audit", format!("--url needs --{name}")));
    let log_key_path = need(&args.log_key, "log-key")?;
    let log_key = match crate::crypto::keys::PublicKey::from_spki_pem(&read(&log_key_path)?) {
        Ok(k) if k.kind == crate::crypto::keys::KeyKind::Ed25519 => k.raw().to_vec(),
        Ok(_) => return Err(fail("key.unknown_type", "the log key must be Ed25519")),
        Err(e) => return Err(fail(e.code(), format!("{}: {e}", log_key_path.display()))),
    };
    let origin = args.origin.clone().ok_or_else(|| fail("usage.audit", "--url needs --origin"))?;
    let anchor = need(&args.operator_anchor, "operator-anchor")?;
    if args.gateway_certificates.is_empty() {
        return Err(fail("usage.audit", "--url needs --gateway-certificate"));
    }
    if args.signers.is_empty() && args.signer_spki_sha256.is_empty() {
        return Err(fail(
            "usage.audit",
            "--url needs --signer or --signer-spki-sha256 (the pinned trust-list signers)",
        ));
    }
    let mut crls = Crls::new();
    for c in &args.crls {
        crls.add_pem_or_der(&read(c)?).map_err(|e| fail("x509.crl_invalid", format!("{}: {e}", c.display())))?;
    }
    let policy = InstallPolicy::from_files(&anchor, &args.signers, &args.signer_spki_sha256, &crls)
        .map_err(|e| fail("x509.invalid", e))?;
    let gateway = args.gateway_certificates.iter().map(|p| chain_of(p)).collect::<Result<Vec<_>, _>>()?;
    let client = super::client::Client::new(
        url,
        args.ca.as_deref(),
        args.client_cert.as_deref().zip(args.client_key.as_deref()),
    )
    .map_err(|e| fail("usage.audit", e))?;
    let note = client.get_text("/v1/log/checkpoint").map_err(|e| fail("audit.fetch", e))?;
    let checkpoint =
        checked_checkpoint(&note, (&log_key, &origin), &args.witness_keys, args.min_witnesses, args.max_age)?;
    let source = super::client::RemoteLog { client: &client, size: checkpoint.size, rules: Default::default() };
    let mut checkpoints = vec![checkpoint];
    if let Some(p) = &args.checkpoint {
        let kept = read_text(p)?;
        checkpoints.push(checked_checkpoint(&kept, (&log_key, &origin), &[], 0, None)?);
    }
    let audit = Audit {
        policy: &policy,
        crls: &crls,
        gateway,
        public_bases: args.public_urls.iter().cloned().map(trimmed).collect(),
        limits: Limits::default(),
        checkpoints,
        format_1_until: args.format_1_until,
        lists_whole: false,
    };
    audit.run(&source).map_err(|e| fail("audit.fetch", e))
}
