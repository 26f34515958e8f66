//! The HTTPS gateway: a thin shell over [`crate::decisions`]. Each kind of caller has its own
//! file (`public`, `customs`, `exporter`, `partner`, `operator`, `pt`, `log`, `batch`); a
//! handler authenticates (the [`Req`]'s caller), reads the HTTP request, calls a decision,
//! has [`App::recorder`] record it, and maps the outcome to HTTP ([`http::status_of`],
//! problem bodies). A handler holds no business rule.
//!
//! Before any handler runs, [`auth`] says who the caller is (a role only its issuer may
//! grant, an exporter grant), [`connections`], [`rate_limit`] and `bodies` (request bodies
//! held in memory) bound what one client or identity may take, the protocol limits answer
//! 414 and 431 as problems, and a browser's request for another site is refused. After it,
//! [`events`] writes the request's one event and gives it its request id, and [`metrics`]
//! counts it. [`App`] holds what lasts across requests: the trust list in force (shared
//! across reloads), the store and the log, keys, limits, the clock.
//!
//! A handler must never read a role from anything but the [`Req`] it is given, nor the time
//! from anything but [`App::now`] (through [`App::context`]), nor write the log but through
//! [`App::recorder`].
//!
//! Routing is a `match` over method and path segments on plain hyper: the API has a few
//! dozen routes, and a match keeps each one visible in one place without another
//! dependency. Verifications are awaited on the connection's task; everything else runs on
//! the blocking pool, because the library is synchronous and most handlers commit.

pub mod auth;
mod batch;
mod bodies;
/// The most lines one batch verification takes; the next is answered `batch.too_many_lines`.
pub use batch::MAX_LINES as BATCH_MAX_LINES;
pub mod config;
pub mod connections;
mod customs;
pub mod events;
mod exporter;
pub mod http;
mod log;
pub mod metrics;
mod operator;
mod page;
mod partner;
mod pt;
mod public;
pub mod rate_limit;
pub mod rules;
pub mod status_lists;
pub mod tls;
pub mod witnessing;

use crate::crypto::keys::{PublicKey, SigningKey};
use crate::crypto::x509::{Crls, read_certificates};
use crate::decisions::verify::Audience;
use crate::ledger::durable::DurableLog;
use crate::store::Store;
use crate::trust::TrustList;
use crate::xml::Limits;
use auth::Role;
use bytes::Bytes;
use config::Config;
use http::{Body, problem};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::CertificateDer;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

/// Everything a request may need, shared by all connections.
pub struct App {
    pub config: Config,
    /// Which `App` this is, unique in the process: a reload makes one with a new generation,
    /// under which each open connection's caller is found again ([`auth::Presented`]).
    pub generation: u64,
    /// The generation of the `App` in force, shared by every `App` of one gateway.
    in_force: Arc<std::sync::atomic::AtomicU64>,
    /// The trust list in force: one for every `App` a reload makes, so that a list
    /// installed through a connection opened before a reload is the list new connections
    /// decide with too.
    trust: Arc<TrustState>,
    /// The equivalence table in force, shared across reloads like the trust list.
    pub tables: Arc<rules::TableState>,
    pub crls: Crls,
    pub store: Arc<dyn Store>,
    pub log: Arc<DurableLog>,
    pub log_public_pem: String,
    pub signing_key: SigningKey,
    pub signing_chain: Vec<CertificateDer<'static>>,
    /// The keys the gateway's DID document lists: the signing key, then those rotated out.
    pub credential_keys: Vec<PublicKey>,
    /// The certificates of the signing keys rotated out (DER): what they signed before the
    /// rotation verifies as the gateway's own still, as the DID document lists them.
    pub previous_signers: Vec<Vec<u8>>,
    /// Which anchors vouch for which role; the exporter grants.
    pub authority: auth::Authority,
    /// What a trust list must be to be installed: pinned signer, in date.
    pub install_policy: crate::trust::InstallPolicy,
    pub limits: Limits,
    pub metrics: Arc<metrics::Metrics>,
    pub rate_limit: Arc<rate_limit::RateLimit>,
    /// One bucket per authenticated identity, apart from the anonymous ones.
    pub identity_rate_limit: Arc<rate_limit::RateLimit<String>>,
    /// Request bodies held in memory, per client and in all.
    pub bodies: Arc<bodies::Budget>,
    /// What time it is, for every decision (tests set it).
    pub clock: Arc<dyn crate::clock::Clock>,
    pub started: std::time::Instant,
    /// The address `start` bound, for the default public URL.
    pub bound: Arc<std::sync::OnceLock<SocketAddr>>,
    /// JWS verifiers with their validated chains, for this App's CRLs (a reload makes new ones).
    pub verifiers: crate::recognition::Verifiers,
    /// Where decisions are recorded: the only writer of the log.
    pub recorder: crate::decisions::Recorder,
    /// The witnesses asked to cosign the log's checkpoints, and the latest they cosigned.
    pub cosigning: Arc<witnessing::Cosigning>,
    /// The status list credentials this node signed, by list and purpose.
    pub status_lists: status_lists::Signed,
    /// One export of a certificate at a time on this node, across reloads.
    pub exports: Arc<exporter::OneAtATime>,
    /// The high-water mark's lock, held for as long as this gateway keeps the mark: a second
    /// gateway given the same mark does not start ([`crate::ledger::high_water::Held`]).
    mark: Arc<crate::ledger::high_water::Held>,
}

/// The recorder of decisions into `lasting`'s log, counting each commit in its metrics:
/// append latency, verdict and reasons.
fn recorder(lasting: &Lasting) -> crate::decisions::Recorder {
    let metrics = Arc::clone(&lasting.metrics);
    let observe: crate::decisions::record::Observer = Arc::new(move |entry, took| {
        metrics.append(took);
        for reason in &entry.reasons {
            metrics.verdict(reason);
        }
        metrics.verdict(&format!("{}.{}", entry.kind, entry.verdict));
    });
    crate::decisions::Recorder::new(Arc::clone(&lasting.log), observe)
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "App({})", self.config.listen)
    }
}

/// The trust list in force and the signed document it was read from, shared across reloads.
#[derive(Debug)]
struct TrustState {
    in_force: RwLock<InForce>,
    /// Held by an install from its sequence check to its swap, and by a reload from its read
    /// of the list in force to its swap, so that no two of them can leave the older list in
    /// force.
    install: std::sync::Mutex<()>,
    /// The newest stored list (sequence, digest) when this node's install policy refused it
    /// (installed through another node): not verified again on every request, and `/healthz`
    /// says this node cannot decide.
    refused: std::sync::Mutex<Option<(u64, String)>>,
}

/// What outlives a reload: the store, the log and its key, counters, the bound address.
struct Lasting {
    store: Arc<dyn Store>,
    log: Arc<DurableLog>,
    log_public_pem: String,
    metrics: Arc<metrics::Metrics>,
    rate_limit: Arc<rate_limit::RateLimit>,
    identity_rate_limit: Arc<rate_limit::RateLimit<String>>,
    bodies: Arc<bodies::Budget>,
    clock: Arc<dyn crate::clock::Clock>,
    bound: Arc<std::sync::OnceLock<SocketAddr>>,
    started: std::time::Instant,
    /// `None` at start: made from what the configuration and the store hold.
    trust: Option<Arc<TrustState>>,
    /// `None` at start: the newest stored table, or the build's installed.
    tables: Option<Arc<rules::TableState>>,
    cosigning: Arc<witnessing::Cosigning>,
    exports: Arc<exporter::OneAtATime>,
    mark: Arc<crate::ledger::high_water::Held>,
    /// The generation of the `App` in force ([`App::superseded`]).
    in_force: Arc<std::sync::atomic::AtomicU64>,
}

/// A trust list in force and the signed document it was read from.
type InForce = (Arc<TrustList>, Arc<Vec<u8>>);

/// The trust list in force before a configuration is applied.
enum Before {
    /// At reload: the list the gateway runs.
    Running(InForce),
    /// At start: the newest stored version (an operator's install over the API outranks an
    /// older file: falling back would trust again what that list withdrew), not yet
    /// verified again.
    Stored(crate::store::TrustListVersion),
}

impl Before {
    fn sequence(&self) -> u64 {
        match self {
            Before::Running((list, _)) => list.sequence,
            Before::Stored(v) => v.sequence,
        }
    }

    fn digest(&self) -> &str {
        match self {
            Before::Running((list, _)) => &list.digest,
            Before::Stored(v) => &v.digest,
        }
    }

    /// The list, a stored one checked again under the install policy (signature, pinned
    /// signer, dates): one that no longer passes stops the start rather than letting the
    /// older file stand in for it.
    fn into_in_force(
        self,
        policy: &crate::trust::InstallPolicy,
        now: time::OffsetDateTime,
        limits: &Limits,
    ) -> Result<InForce, String> {
        let stored = match self {
            // The running list is checked again too: a reload may have changed the pinned
            // signers, the anchor or the CRLs, and a list they no longer allow stops it.
            Before::Running((list, bytes)) => {
                policy.load(&bytes, now, limits).map_err(|e| {
                    format!(
                        "the trust list in force ({}) is not allowed by the new configuration: [{}] {e}",
                        list.sequence,
                        e.code()
                    )
                })?;
                return Ok((list, bytes));
            }
            Before::Stored(v) => v,
        };
        let list = policy.load(&stored.document, now, limits).map_err(|e| {
            format!(
                "trust list {} (installed {}, newer than the configured file's) can no longer be used: [{}] {e}; \
                 the gateway does not fall back to an older list",
                stored.sequence,
                stored.installed_at,
                e.code()
            )
        })?;
        Ok((Arc::new(list), Arc::new(stored.document)))
    }
}

fn read(path: &std::path::Path) -> Result<Vec<u8>, String> {
    crate::files::configured(path)
}

/// Refuses a configuration giving one key two roles: the log's key signs checkpoints, the
/// signing key documents and credentials, the TLS key handshakes, and a signature made for
/// one must never stand for another (README, Security). Found by attack: the signing key as
/// the log's key, and the TLS key as the signing key, each started without a word.
fn keys_have_one_role(config: &Config, lasting: &Lasting, signing_key: &SigningKey) -> Result<(), String> {
    let mut keys = vec![(format!("[signing] key {}", config.signing.key.display()), signing_key.public_key())];
    if let Ok(log) = PublicKey::from_spki_pem(lasting.log_public_pem.as_bytes()) {
        keys.push((format!("[log] key {}", config.log.key.display()), log));
    }
    let tls = read_certificates(&read(&config.tls.certificate)?)
        .map_err(|e| format!("{}: {e}", config.tls.certificate.display()))?;
    if let Some(key) = tls.first().and_then(|c| PublicKey::from_certificate_der(c.as_ref()).ok()) {
        keys.push((format!("[tls] certificate {}", config.tls.certificate.display()), key));
    }
    for (i, (one, key)) in keys.iter().enumerate() {
        if let Some((other, _)) = keys.iter().skip(i + 1).find(|(_, k)| k == key) {
            let code = "key.reused";
            return Err(format!("[{code}] {one} and {other} are one key: each key of the gateway has one role"));
        }
    }
    Ok(())
}

impl TrustState {
    fn in_force(&self) -> InForce {
        let held = self.in_force.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        (Arc::clone(&held.0), Arc::clone(&held.1))
    }

    /// Both halves swap under one lock: readers see the old or the new list, never a mix.
    fn set(&self, in_force: InForce) {
        *self.in_force.write().unwrap_or_else(std::sync::PoisonError::into_inner) = in_force;
    }
}

pub use crate::trust::list_limits as trust_list_limits;

/// The list a start or reload succeeds: the running one at a reload, else the newest
/// stored, if any.
fn list_before(lasting: &Lasting, installed: Option<InForce>) -> Result<Option<Before>, String> {
    Ok(match installed {
        Some(running) => Some(Before::Running(running)),
        None => {
            lasting.store.newest_trust_list().map_err(|e| format!("the stored trust lists: {e}"))?.map(Before::Stored)
        }
    })
}

/// What a start or reload does with the configured trust list, given the list it succeeds.
enum ListPlan {
    /// The list before is newer than the file's, and stands (checked again), with the note.
    Kept(Arc<TrustList>, Arc<Vec<u8>>, String),
    /// The file's list is the one before.
    Same,
    /// The file's list is new: installed, succeeding the list of this digest, if any.
    Install { succeeds: Option<String> },
}

impl ListPlan {
    /// The one rule of the configured list ([`App::assemble`], before its claim and after):
    /// an older file keeps the newer list (which must still pass the install policy), a
    /// file reusing a sequence for another list is refused, a newer one is installed.
    fn of(
        before: Option<Before>,
        file: &TrustList,
        policy: &crate::trust::InstallPolicy,
        now: time::OffsetDateTime,
        limits: &Limits,
    ) -> Result<Self, String> {
        let succession = before
            .as_ref()
            .map(|b| crate::trust::Succession::of((b.sequence(), b.digest()), (file.sequence, &file.digest)));
        match (before, succession) {
            (Some(before), Some(crate::trust::Succession::Older)) => {
                let note = format!("kept trust list {} (the file's is {}, older)", before.sequence(), file.sequence);
                let (current, bytes) = before.into_in_force(policy, now, limits)?;
                Ok(ListPlan::Kept(current, bytes, note))
            }
            // A sequence names one list: the file may not bring another under it.
            (Some(before), Some(crate::trust::Succession::Reused)) => Err(format!(
                "the trust list file has sequence {}, but a different list (sha256:{}) is installed under it; a \
                 changed list needs a higher sequence",
                file.sequence,
                before.digest()
            )),
            (Some(_), Some(crate::trust::Succession::Same)) => Ok(ListPlan::Same),
            (before, _) => Ok(ListPlan::Install { succeeds: before.as_ref().map(|b| b.digest().to_string()) }),
        }
    }
}

/// A node's sweep at start ([`crate::decisions::sweep`]): how many words it suspended and
/// its log index, or `None` when the rules met every word. The register, or the rule
/// documents in force, may change between its read and its commit (another node deciding or
/// installing): it reads again, at a new time, three times at most. Its entry names the
/// newest stored trust list and table, as every entry names those in force at its place in
/// the log (held so at commit): the node's own may already be older, and the sweep does not
/// depend on what they say — so it names one this node's install policy would refuse, if
/// another node installed it meanwhile, and decides nothing by it.
fn sweep_look_alikes(
    lasting: &Lasting,
    install_policy: &crate::trust::InstallPolicy,
) -> Result<Option<(usize, u64)>, String> {
    use crate::ledger::entry::RuleVersion;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let failed = |what: &'static str| {
            move |e: crate::store::StoreError| format!("sweeping the exporter's words: {what}: {e}")
        };
        let words = lasting.store.look_alike_words().map_err(failed("reading them"))?;
        let list = lasting.store.newest_trust_list_id().map_err(failed("the stored trust lists"))?;
        let table = lasting.store.newest_equivalence_table_id().map_err(failed("the stored equivalence tables"))?;
        let version = |(sequence, digest)| RuleVersion { sequence, digest };
        let Some(trust_list) = list.map(version) else {
            return Err("sweeping the exporter's words: no trust list is stored".into());
        };
        let grounds = crate::decisions::sweep::Grounds {
            trust_list,
            table: table.map(version),
            crls: install_policy.crls.set_digest(),
            now: crate::decisions::to_the_second(lasting.clock.now()),
        };
        let Some(decision) = crate::decisions::sweep::sweep(&words, grounds) else { return Ok(None) };
        const RACED: [&str; 3] =
            [crate::decisions::record::REGISTER_CONFLICT, "trust.list_changed", "rules.table_changed"];
        match recorder(lasting).record(Ok(decision)) {
            Ok(recorded) => return Ok(Some((recorded.answer.len(), recorded.receipt.index))),
            Err(refused) if RACED.contains(&refused.refusal.reason.as_str()) && attempts < 3 => {}
            Err(refused) => {
                return Err(format!("sweeping the exporter's words beside look-alikes: {}", refused.refusal));
            }
        }
    }
}

/// The trust-list install policy a configuration names: the operator's anchor and the
/// pinned signers.
pub fn install_policy(config: &Config, crls: &Crls) -> Result<crate::trust::InstallPolicy, String> {
    let tl = &config.trust_list;
    crate::trust::InstallPolicy::from_files(&tl.operator_anchor, &tl.signers, &tl.signer_spki_sha256, crls)
}

/// The CRLs a configuration names (`trust_list.crls`).
pub fn configured_crls(config: &Config) -> Result<Crls, String> {
    let mut crls = Crls::new();
    for c in &config.trust_list.crls {
        crls.add_pem_or_der(&read(c)?).map_err(|e| format!("{}: {e}", c.display()))?;
    }
    Ok(crls)
}

impl App {
    /// The base URL for links the gateway signs into documents.
    pub fn public_base(&self) -> String {
        let fallback = SocketAddr::from(([127, 0, 0, 1], 8443));
        self.config.public_base(self.bound.get().copied().unwrap_or(fallback))
    }

    /// Loads keys, certificates, the trust list (verified against the operator's anchor)
    /// and opens the store and the log.
    pub fn load(config: Config) -> Result<Self, String> {
        Self::load_with_clock(config, Arc::new(crate::clock::SystemClock))
    }

    /// [`App::load`] telling time by `clock` (a test's, to pass a deadline without waiting).
    pub fn load_with_clock(config: Config, clock: Arc<dyn crate::clock::Clock>) -> Result<Self, String> {
        config.check()?;
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            let what =
                if config.data_dir.exists() { "exists and is not a directory".to_string() } else { e.to_string() };
            format!("data_dir {}: {what}", config.data_dir.display())
        })?;
        let store = crate::store::open(config.store.url.as_deref(), &config.data_dir).map_err(|e| e.to_string())?;
        let log_pkcs8: Vec<u8> = rustls::pki_types::pem::PemObject::from_pem_slice(&read(&config.log.key)?)
            .map(|k: rustls::pki_types::PrivatePkcs8KeyDer<'_>| k.secret_pkcs8_der().to_vec())
            .map_err(|e| {
                format!("{}: not a PKCS#8 PEM private key (BEGIN PRIVATE KEY): {e}", config.log.key.display())
            })?;
        let log_key = ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&log_pkcs8)
            .map_err(|_| format!("{}: not an Ed25519 key", config.log.key.display()))?;
        let mut spki = vec![0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
        spki.extend_from_slice(ring::signature::KeyPair::public_key(&log_key).as_ref());
        let log_public_pem = crate::pki::pem_block("PUBLIC KEY", &spki);
        let public_key = ring::signature::KeyPair::public_key(&log_key).as_ref().to_vec();
        let log = DurableLog::open_with_interval(
            &config.log.origin,
            log_key,
            Arc::clone(&store),
            config.log.commit_interval(),
        )
        .map_err(|e| e.to_string())?;
        // Before anything is logged: the store's log extends the newest checkpoint signed.
        let mark = config.log.high_water_mark(&config.data_dir);
        let mark =
            crate::ledger::high_water::start(&mark, &log, &public_key, config.log.adopt).map_err(|e| e.to_string())?;
        let rate_limit = rate_limit::RateLimit::new(config.limits.public_rate_per_second, config.limits.public_burst);
        let identity_rate_limit =
            rate_limit::RateLimit::new(config.limits.identity_rate_per_second, config.limits.identity_burst);
        let lasting = Lasting {
            store,
            log: Arc::new(log),
            log_public_pem,
            metrics: Arc::new(metrics::Metrics::default()),
            rate_limit: Arc::new(rate_limit),
            identity_rate_limit: Arc::new(identity_rate_limit),
            bodies: bodies::Budget::new(
                config.limits.max_body_bytes_held_per_client,
                config.limits.max_body_bytes_held,
            ),
            clock,
            bound: Arc::new(std::sync::OnceLock::new()),
            started: std::time::Instant::now(),
            trust: None,
            tables: None,
            cosigning: Arc::new(witnessing::Cosigning::new(&config.witnessing)?),
            exports: Arc::new(exporter::OneAtATime::default()),
            mark: Arc::new(mark),
            in_force: Arc::new(std::sync::atomic::AtomicU64::new(0)),
        };
        let (app, _) = Self::assemble(config, lasting)?;
        app.in_force.store(app.generation, std::sync::atomic::Ordering::Release);
        Ok(app)
    }

    /// A new `App` from a changed configuration that shares this one's store, log, metrics
    /// and address (SIGHUP). Settings that only a restart can apply are refused. Returns
    /// the new state and what it changed.
    pub fn reloaded(&self, config: Config) -> Result<(Self, String), String> {
        config.check()?;
        let old = &self.config;
        let restart_only = [
            ("listen", old.listen != config.listen),
            ("data_dir", old.data_dir != config.data_dir),
            ("store.url", old.store.url != config.store.url),
            ("log.key", old.log.key != config.log.key),
            ("log.origin", old.log.origin != config.log.origin),
            ("log.commit_interval_ms", old.log.commit_interval_ms != config.log.commit_interval_ms),
            ("log.high_water_mark", old.log.high_water_mark != config.log.high_water_mark),
            ("limits.max_connections", old.limits.max_connections != config.limits.max_connections),
            ("events.format", old.events.format != config.events.format),
            ("witnessing", format!("{:?}", old.witnessing) != format!("{:?}", config.witnessing)),
            (
                "limits.max_connections_per_client",
                old.limits.max_connections_per_client != config.limits.max_connections_per_client,
            ),
        ];
        if let Some((name, _)) = restart_only.iter().find(|(_, changed)| *changed) {
            return Err(format!("{name} changed; it takes effect only after a restart"));
        }
        let rate_limit = if (old.limits.public_rate_per_second, old.limits.public_burst)
            == (config.limits.public_rate_per_second, config.limits.public_burst)
        {
            Arc::clone(&self.rate_limit)
        } else {
            Arc::new(rate_limit::RateLimit::new(config.limits.public_rate_per_second, config.limits.public_burst))
        };
        let identity_rate_limit = if (old.limits.identity_rate_per_second, old.limits.identity_burst)
            == (config.limits.identity_rate_per_second, config.limits.identity_burst)
        {
            Arc::clone(&self.identity_rate_limit)
        } else {
            Arc::new(rate_limit::RateLimit::new(config.limits.identity_rate_per_second, config.limits.identity_burst))
        };
        // Bodies being read when the bounds change give back what they hold to the budget
        // they took it from.
        let bodies = if (old.limits.max_body_bytes_held_per_client, old.limits.max_body_bytes_held)
            == (config.limits.max_body_bytes_held_per_client, config.limits.max_body_bytes_held)
        {
            Arc::clone(&self.bodies)
        } else {
            bodies::Budget::new(config.limits.max_body_bytes_held_per_client, config.limits.max_body_bytes_held)
        };
        let lasting = Lasting {
            store: Arc::clone(&self.store),
            log: Arc::clone(&self.log),
            log_public_pem: self.log_public_pem.clone(),
            metrics: Arc::clone(&self.metrics),
            rate_limit,
            identity_rate_limit,
            bodies,
            clock: Arc::clone(&self.clock),
            bound: Arc::clone(&self.bound),
            started: self.started,
            trust: Some(Arc::clone(&self.trust)),
            tables: Some(Arc::clone(&self.tables)),
            cosigning: Arc::clone(&self.cosigning),
            exports: Arc::clone(&self.exports),
            mark: Arc::clone(&self.mark),
            in_force: Arc::clone(&self.in_force),
        };
        Self::assemble(config, lasting)
    }

    /// Reads everything a configuration names: anchors, CRLs, the trust list, the signing
    /// key and chain, exporter tokens. A trust list older than `installed` (say, one an
    /// operator has since replaced over the API) does not roll the gateway back.
    fn assemble(config: Config, lasting: Lasting) -> Result<(Self, String), String> {
        let crls = configured_crls(&config)?;
        let install_policy = install_policy(&config, &crls)?;
        // Everything else that can fail is read before the first write: the claim below,
        // and the trust list's install (when the file brings a new one), which is logged —
        // a reload that fails after that would have logged a list it never put in force.
        let signing_key = SigningKey::from_pkcs8(&read(&config.signing.key)?).map_err(|e| e.to_string())?;
        // The key signs credentials (JWS) as well as XML: one JWS names no algorithm for is
        // refused now, not at the first export.
        if !crate::crypto::jws::signs_with(signing_key.algorithm()) {
            return Err(format!(
                "{}: the gateway's signing key is {}; it signs credentials (JWS) too, so it must be Ed25519 or ECDSA P-256",
                config.signing.key.display(),
                signing_key.kind().name()
            ));
        }
        let signing_chain = read_certificates(&read(&config.signing.certificate)?).map_err(|e| e.to_string())?;
        // What it signs must verify: its certificate certifies the key and is valid now
        // (the same rule every signature is held to; a reload that breaks it keeps the
        // configuration in force).
        let certified = signing_chain.first().and_then(|c| signing_key.is_certified_by(c.as_ref()).ok());
        if certified != Some(true) {
            return Err(format!(
                "{}: [key.cert_mismatch] the gateway's signing certificate does not certify the key in {}",
                config.signing.certificate.display(),
                config.signing.key.display()
            ));
        }
        crate::decisions::signer_in_force(&signing_chain, lasting.clock.now())
            .map_err(|r| format!("{}: [{}] {}", config.signing.certificate.display(), r.reason, r.detail))?;
        if let Some(leaf) = signing_chain.first() {
            crate::crypto::x509::fits_document_signing(leaf.as_ref())
                .map_err(|e| format!("{}: [{}] {e}", config.signing.certificate.display(), e.code()))?;
        }
        keys_have_one_role(&config, &lasting, &signing_key)?;
        let mut credential_keys = vec![signing_key.public_key()];
        let mut previous_signers = Vec::new();
        for path in &config.signing.previous_certificates {
            let der = read_certificates(&read(path)?).map_err(|e| format!("{}: {e}", path.display()))?;
            let key = der.first().ok_or_else(|| format!("{}: no certificate", path.display())).and_then(|c| {
                PublicKey::from_certificate_der(c.as_ref()).map_err(|e| format!("{}: {e}", path.display()))
            })?;
            // Listed in the DID document for the credentials it signed: it needs a JWK form.
            if key.to_jwk().is_none() {
                return Err(format!(
                    "{}: a {} key cannot be listed in the DID document (Ed25519, P-256, P-384 can)",
                    path.display(),
                    key.kind.name()
                ));
            }
            credential_keys.push(key);
            previous_signers.extend(der.first().map(|c| c.as_ref().to_vec()));
        }
        let authority = auth::Authority::load(&config)?;
        // A reload holds the install lock from reading the list in force to replacing it.
        let shared = lasting.trust.clone();
        let _installing = match &shared {
            Some(t) => Some(t.install.lock().map_err(|_| "the trust-list install lock is poisoned".to_string())?),
            None => None,
        };
        let installed = shared.as_ref().map(|t| t.in_force());
        let list_bytes = read(&config.trust_list.file)?;
        let now = lasting.clock.now();
        let limits = Limits { max_bytes: config.limits.max_body_bytes, ..Limits::default() };
        let list_limits = trust_list_limits(&limits);
        let trust_list = install_policy
            .load(&list_bytes, now, &list_limits)
            .map_err(|e| format!("{}: [{}] {e}", config.trust_list.file.display(), e.code()))?;
        let (file_list, file_bytes) = (Arc::new(trust_list), Arc::new(list_bytes));
        // A store a newer build decides is said so first, not by what it holds (a newer
        // table or list this build cannot read; found by review).
        lasting.store.may_claim().map_err(|e| e.to_string())?;
        // What the store holds must allow this node too — its newest equivalence table and
        // trust list, read as the start below reads them, writing nothing — before it
        // claims the store (found by review: a node refused by them had fenced the older
        // nodes already).
        if lasting.tables.is_none() {
            rules::TableState::check(lasting.store.as_ref(), &install_policy, now)?;
        }
        let before = list_before(&lasting, installed.clone())?;
        ListPlan::of(before, &file_list, &install_policy, now, &list_limits)?;
        // This node decides by this build's rules from here on, and older nodes beside it
        // on a shared store commit nothing more: claimed once everything the configuration
        // names has read (a node that cannot start claims nothing), before the first write.
        lasting.store.claim().map_err(|e| e.to_string())?;
        // Every entry names the CRL set it was decided with; the set is kept before any
        // does, so that an audit decides again with the revocation the decision had.
        let kept =
            crate::store::Effect::KeepDocument { digest: crls.set_digest().into(), document: crls.set_document() };
        lasting.store.write(kept).map_err(|e| format!("keeping the configured CRLs for audits: {e}"))?;
        // The equivalence table before the trust list: a list's install entry names it.
        let (tables, table_note) = match &lasting.tables {
            Some(t) => (Arc::clone(t), None),
            None => {
                let newest_list =
                    lasting.store.newest_trust_list_id().map_err(|e| format!("the stored trust lists: {e}"))?;
                let named =
                    newest_list.map(|(sequence, digest)| crate::ledger::entry::RuleVersion { sequence, digest });
                let (t, note) =
                    rules::TableState::start(lasting.store.as_ref(), &recorder(&lasting), &install_policy, now, named)?;
                (t, Some(note))
            }
        };
        let table = tables.in_force();
        let table_named =
            Some(crate::ledger::entry::RuleVersion { sequence: table.table.sequence, digest: table.digest.clone() });
        // Nodes starting together on an empty shared store race to install the file's list:
        // one does; the others' installs are refused (`trust.list_changed`) and they look
        // again, finding it stored.
        let mut attempts = 0;
        let (trust_list, list_bytes, note) = loop {
            attempts += 1;
            let before = list_before(&lasting, installed.clone())?;
            break match ListPlan::of(before, &file_list, &install_policy, now, &list_limits)? {
                ListPlan::Kept(current, bytes, note) => (current, bytes, note),
                ListPlan::Same => {
                    let note = format!("trust list {}", file_list.sequence);
                    (Arc::clone(&file_list), Arc::clone(&file_bytes), note)
                }
                // New to the gateway: it comes into force through the log, as an operator's
                // install does, so the log says when every list an entry names was installed.
                ListPlan::Install { succeeds } => {
                    let installing = crate::decisions::trust_list::installing(
                        &file_list,
                        &file_bytes,
                        "configuration",
                        table_named.clone(),
                        install_policy.crls.set_digest(),
                        now,
                        succeeds.as_deref(),
                    );
                    let receipt = match recorder(&lasting).record(Ok(installing)) {
                        Ok(recorded) => recorded.receipt,
                        Err(refused) if refused.refusal.reason == "trust.list_changed" && attempts < 3 => continue,
                        Err(refused) => {
                            return Err(format!("installing the configured trust list: {}", refused.refusal));
                        }
                    };
                    let note = format!(
                        "trust list {} from {}, installed as log entry {}",
                        file_list.sequence,
                        config.trust_list.file.display(),
                        receipt.index
                    );
                    (Arc::clone(&file_list), Arc::clone(&file_bytes), note)
                }
            };
        };
        // At start, the exporter's words the look-alike rules did not meet are swept (rule
        // set 28), before any request is decided.
        let swept = match &shared {
            Some(_) => None,
            None => sweep_look_alikes(&lasting, &install_policy)?,
        };
        let note = match swept {
            Some((words, index)) => format!("{note}, {words} exporter's word(s) swept as log entry {index}"),
            None => note,
        };
        let trust = match &shared {
            Some(t) => {
                t.set((trust_list, list_bytes));
                // A reload may allow a list this node refused: it is looked at afresh.
                *t.refused.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
                Arc::clone(t)
            }
            None => Arc::new(TrustState {
                in_force: RwLock::new((trust_list, list_bytes)),
                install: std::sync::Mutex::new(()),
                refused: std::sync::Mutex::new(None),
            }),
        };
        let note = match table_note {
            Some(t) => format!("{t}, {note}"),
            None => note,
        };
        let summary = format!(
            "{note}, {} CRL(s), {} exporter grant(s) with {} token(s), role anchors, signing certificate and limits \
             from the configuration",
            config.trust_list.crls.len(),
            config.exporters.grant.len(),
            authority.token_count()
        );
        let recorder = recorder(&lasting);
        static GENERATIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let app = Self {
            config,
            generation: GENERATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            in_force: lasting.in_force,
            recorder,
            trust,
            tables,
            crls,
            store: lasting.store,
            log: lasting.log,
            log_public_pem: lasting.log_public_pem,
            signing_key,
            signing_chain,
            credential_keys,
            previous_signers,
            status_lists: status_lists::Signed::default(),
            authority,
            install_policy,
            limits,
            metrics: lasting.metrics,
            rate_limit: lasting.rate_limit,
            identity_rate_limit: lasting.identity_rate_limit,
            bodies: lasting.bodies,
            clock: lasting.clock,
            bound: lasting.bound,
            started: lasting.started,
            verifiers: crate::recognition::Verifiers::new(),
            cosigning: lasting.cosigning,
            exports: lasting.exports,
            mark: lasting.mark,
        };
        Ok((app, summary))
    }

    pub fn trust_list(&self) -> Arc<TrustList> {
        self.trust.in_force().0
    }

    /// Whether a reload has put another `App` in force since this one: what a request that
    /// outlasts the reload (a streamed batch) must not go on deciding under.
    pub fn superseded(&self) -> bool {
        self.in_force.load(std::sync::atomic::Ordering::Acquire) != self.generation
    }

    /// The time by this gateway's clock.
    pub fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }

    /// [`App::now`] as every recorded time is written.
    pub fn now_rfc3339(&self) -> String {
        rfc3339(self.now())
    }

    /// The signed document of the list in force, as installed.
    pub fn trust_list_document(&self) -> Arc<Vec<u8>> {
        self.trust.in_force().1
    }

    /// Installs `candidate` through `install`, under the install lock: `install` is given
    /// the list in force and records the install (its log entry and stored version); the
    /// list comes into force only once it returned `Ok`.
    pub fn install_trust_list<T, E>(
        &self,
        candidate: crate::decisions::trust_list::Candidate,
        install: impl FnOnce(&crate::decisions::trust_list::Candidate, &TrustList) -> Result<T, E>,
    ) -> Result<T, E> {
        self.follow_trust_list();
        let _installing = self.trust.install.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let committed = install(&candidate, &self.trust_list())?;
        self.trust.set((Arc::new(candidate.list), Arc::new(candidate.document)));
        Ok(committed)
    }

    /// On a store other gateway nodes write to, brings the list in force up to the newest
    /// stored, so that a list installed through any node is the one this node decides with
    /// from the moment that install was acknowledged (one small read per decision). The
    /// stored list is verified again under this node's install policy; one it refuses is
    /// not taken, and this node's decisions are then refused at commit
    /// (`trust.list_changed`) until its configuration allows the list. With the store
    /// unreachable, nothing changes here: the decision cannot be recorded either.
    pub fn follow_trust_list(&self) {
        if !self.store.shared() {
            return;
        }
        let newer = |(sequence, digest): &(u64, String)| {
            let list = self.trust_list();
            crate::trust::Succession::of((list.sequence, &list.digest), (*sequence, digest))
                == crate::trust::Succession::Newer
        };
        let refused = || self.trust.refused.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match self.store.newest_trust_list_id() {
            Ok(Some(newest)) if newer(&newest) && refused().as_ref() != Some(&newest) => {}
            _ => return,
        }
        let _installing = self.trust.install.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let stored = match self.store.newest_trust_list() {
            Ok(Some(v)) if newer(&(v.sequence, v.digest.clone())) => v,
            _ => return,
        };
        match self.install_policy.load(&stored.document, self.now(), &trust_list_limits(&self.limits)) {
            Ok(list) => {
                self.trust.set((Arc::new(list), Arc::new(stored.document)));
                *refused() = None;
            }
            Err(e) => {
                *refused() = Some((stored.sequence, stored.digest.clone()));
                tracing::warn!(
                    sequence = stored.sequence,
                    reason = e.code(),
                    "trust list {} installed through another node is refused by this node's configuration: {e}",
                    stored.sequence
                );
            }
        }
    }

    /// The equivalence table in force.
    pub fn table(&self) -> Arc<crate::trust::equivalence_table::Version> {
        self.tables.in_force()
    }

    /// Brings both rule documents in force up to the newest stored, on a store several nodes
    /// share (see [`App::follow_trust_list`]).
    pub fn follow_rules(&self) {
        self.follow_trust_list();
        self.tables.follow(self.store.as_ref(), &self.install_policy, self.now());
    }

    /// The newest stored list this node's configuration refused, if it is still the newest
    /// (see [`App::follow_trust_list`]).
    pub fn refused_trust_list(&self) -> Option<(u64, String)> {
        self.trust.refused.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Whether this node refuses the newest stored trust list or equivalence table, which
    /// another node installed: it then decides nothing (its decisions are refused at
    /// commit), and says of no certificate that it is valid under the rules it still holds.
    pub fn rules_refused(&self) -> bool {
        // Only a store other nodes write to has rules this node did not install itself.
        self.store.shared() && (self.refused_trust_list().is_some() || self.tables.newest_refused())
    }

    /// What a decision made now is made against: this moment, the list in force (the newest
    /// stored, on a store several nodes share), the register as the store holds it.
    pub fn context(&self) -> crate::decisions::Context<'_> {
        self.follow_rules();
        crate::decisions::Context {
            now: crate::decisions::to_the_second(self.now()),
            trust_list: self.trust_list(),
            table: self.table(),
            crls: &self.crls,
            store: self.store.as_ref(),
            register: None,
            limits: self.limits,
            verifiers: Some(&self.verifiers),
            signing_key: &self.signing_key,
            signing_chain: &self.signing_chain,
            previous_signers: &self.previous_signers,
            public_base: self.public_base(),
        }
    }

    /// A receipt for a stored decision's entry `index`, proved against the published
    /// checkpoint: the latest witnessed one when it covers the entry (so that a receipt read
    /// back carries its witnesses' cosignatures), else the log's latest.
    pub fn published_receipt(
        &self,
        index: u64,
    ) -> Result<crate::ledger::receipt::Receipt, crate::ledger::durable::LogError> {
        let mut receipt = self.log.receipt_of_stored(index)?;
        if let Some(witnessed) = self.cosigning.latest().filter(|w| w.size > index) {
            if witnessed.size != receipt.tree_size {
                receipt.hashes = crate::ledger::receipt::encode_hashes(&self.log.inclusion(index, witnessed.size)?);
                receipt.tree_size = witnessed.size;
            }
            receipt.checkpoint = witnessed.note.clone();
        }
        Ok(receipt)
    }

    /// A stored export, recognition or PT report of one of `kinds`, as it was returned, with
    /// its receipt proved against the latest checkpoint (none when it names no log entry).
    pub fn decision(
        &self,
        id: &str,
        kinds: &[&str],
    ) -> Result<Option<serde_json::Value>, crate::ledger::durable::LogError> {
        let Some(stored) = self.store.decision(id)?.filter(|d| kinds.contains(&d.kind.as_str())) else {
            return Ok(None);
        };
        let mut body: serde_json::Value = serde_json::from_str(&stored.json)
            .map_err(|e| crate::store::StoreError::Database(format!("the stored decision {id} is not JSON: {e}")))?;
        let changed = |why: String| {
            crate::ledger::durable::LogError::Store(crate::store::StoreError::Database(format!(
                "the stored decision {id} {why}: the store was changed behind the log's back"
            )))
        };
        // Decisions stored before their log index was kept name it in the receipt they were
        // given; every decision is committed with its entry, so one naming none is not one
        // the gateway stored (found by review: it was served unchecked).
        let index = stored
            .log_index
            .or_else(|| body.pointer("/receipt/index").and_then(|i| i.as_u64()))
            .ok_or_else(|| changed("names no log entry".into()))?;
        let receipt = self.published_receipt(index)?;
        if let Some(why) = decision_not_logged(&stored.kind, &body, &receipt) {
            return Err(changed(format!("is not what log entry {index} records ({why})")));
        }
        crate::formats::set_member(&mut body, "receipt", serde_json::to_value(receipt).unwrap_or_default());
        Ok(Some(body))
    }
}

/// Why a stored decision of `kind`, as it is answered (`body`), is not the one the entry of
/// `receipt` records, if it is not: another kind of entry, or a document it hands out that
/// the entry does not name among its outputs (an export's credentials and records, a
/// recognition's CN XML). Found by attack: a decision's log index changed in the store
/// made its receipt link prove a customs verification of another document, and its
/// documents changed were served under the original receipt.
fn decision_not_logged(
    kind: &str,
    body: &serde_json::Value,
    receipt: &crate::ledger::receipt::Receipt,
) -> Option<String> {
    use base64::Engine;
    let entry = base64::engine::general_purpose::STANDARD.decode(&receipt.entry).ok();
    let Some(Ok(entry)) = entry.map(|bytes| crate::ledger::entry::Entry::decode(&bytes)) else {
        return Some("its entry cannot be read".into());
    };
    if entry.kind != kind {
        return Some(format!("an entry of kind '{}', the decision of kind '{kind}'", entry.kind));
    }
    // What it says was decided is the entry's verdict: a stored export or PT report was
    // made; a recognition answers `valid` exactly when its entry recognized (found by
    // re-test: a recognition pointed at a customs verification's entry, its CN XML deleted,
    // passed).
    let verdict = match kind {
        "export" => Some("exported"),
        "pt-report" => Some("reported"),
        "recognition" if body["valid"].as_bool() == Some(true) => Some("recognized"),
        "recognition" => Some("refused"),
        _ => None,
    };
    if let Some(verdict) = verdict.filter(|v| entry.verdict != *v) {
        return Some(format!("an entry with the verdict '{}', the decision '{verdict}'", entry.verdict));
    }
    if kind == "recognition" && body["valid"].as_bool() == Some(true) && body["cn_xml"].as_str().is_none() {
        return Some("a recognition that registered nothing".into());
    }
    let handed: Vec<&str> = match kind {
        "export" => body["documents"].as_object().map(|d| d.values().filter_map(|v| v.as_str()).collect()),
        "recognition" => body["cn_xml"].as_str().map(|cn| vec![cn]),
        _ => None,
    }
    .unwrap_or_default();
    handed
        .iter()
        .find(|d| !entry.outputs.contains(&crate::decisions::digest(d.as_bytes())))
        .map(|_| "a document it hands out is not one the entry names".to_string())
}

pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref());
    out
}

/// A time as RFC 3339 to the second, the form every recorded time takes.
pub fn rfc3339(t: time::OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

pub use crate::decisions::register::{MemoryRegister, StoreRegister};

/// A request as handlers see it: already authenticated and fully read.
#[derive(Debug)]
pub struct Req {
    pub method: Method,
    pub path: String,
    pub query: String,
    /// Who asks: its role, who it is logged as, the exporter grant it acts under.
    pub caller: crate::decisions::Caller,
    pub bearer: Option<String>,
    pub content_type: String,
    pub accept: String,
    /// The `If-None-Match` header: a cached status list is answered 304 while it holds.
    pub if_none_match: Option<String>,
    pub body: Bytes,
}

impl Req {
    /// The value of query parameter `name`, percent-decoded (RFC 3986 §2.1: a client may
    /// escape any character, `,` included). A `+` stays a `+` (base64 leaf hashes hold
    /// them); a malformed escape is kept as sent, for the parameter's own check to refuse.
    /// A parameter given twice is refused (the `Err` says so): which value counts would be
    /// a guess, and a cache or a proxy may guess otherwise (found by attack).
    pub fn query_param(&self, name: &str) -> Result<Option<String>, String> {
        let mut values = query_pairs(&self.query).filter(|(k, _)| k == name);
        let first = values.next().map(|(_, v)| v);
        match values.next() {
            Some(_) => Err(format!("query parameter '{name}' is given more than once")),
            None => Ok(first),
        }
    }
}

/// A query's parameters as (name, value), both percent-decoded. A name is decoded as a value
/// is (`siz%65` is `size`), and a name without `=` has an empty value, never none (found by
/// attack: both were passed over, and the parameter a client meant was not the one read).
fn query_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    let decode = |text: &str| http::percent_decode(text).unwrap_or_else(|| text.to_string());
    query.split('&').filter(|kv| !kv.is_empty()).map(move |kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (decode(k), decode(v))
    })
}

/// The query parameters each route takes, by its [`ROUTES`] entry; any other route takes
/// none. A parameter the route does not take is refused (400 `http.query`), not passed over:
/// a misspelt one (`Formats`, `format`) was answered as if it had not been sent, and the
/// caller took the answer for the one it had asked. The page and its assets are the
/// exception: a person's link to them may carry parameters of others, and they read none.
/// `tests/config.rs` checks that `schemas/openapi.json` documents exactly these.
pub const QUERY_PARAMETERS: &[(&str, &str, &[&str])] = &[
    ("POST", "/v1/exports", &["formats"]),
    ("GET", "/v1/log/proof/inclusion", &["index", "hash", "size"]),
    ("GET", "/v1/log/proof/consistency", &["from", "to"]),
    ("GET", "/v1/log/entries", &["start", "end"]),
];

/// A 400 problem for the first query parameter the route of `method` and the decoded path
/// `segments` does not take ([`QUERY_PARAMETERS`]); `None` when it takes them all, or the
/// path is no route (its 404 or 405 says more than this would). By the decoded segments, as
/// the router matches them: `/v1/%65xports` is the exports route here too.
pub fn unknown_query_parameter(method: &Method, segments: &[&str], query: &str) -> Option<Response<Body>> {
    // Most requests carry no query: nothing to look up for them.
    if query.is_empty() {
        return None;
    }
    let (m, template) = ROUTES.get(route_index(method, segments.iter().copied())?)?;
    if matches!(*template, "/" | "/page/{asset}") {
        return None;
    }
    let takes =
        QUERY_PARAMETERS.iter().find(|(qm, qt, _)| qm == m && qt == template).map_or(&[][..], |(_, _, names)| names);
    let (name, _) = query_pairs(query).find(|(name, _)| !takes.contains(&name.as_str()))?;
    let takes = if takes.is_empty() { "none".to_string() } else { takes.join(", ") };
    let message = format!("query parameter '{name}' is not one {m} {template} takes (it takes {takes})");
    Some(problem(StatusCode::BAD_REQUEST, "http.query", message))
}

/// Every route: (method, path template). `tests/config.rs` checks that the router serves
/// each and that `schemas/openapi.json` documents exactly these.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/page/{asset}"),
    ("GET", "/healthz"),
    ("GET", "/.well-known/did.json"),
    ("GET", "/v1/status-lists/{list}/{purpose}"),
    ("GET", "/openapi.json"),
    ("GET", "/metrics"),
    ("GET", "/v1/trust-list"),
    ("GET", "/v1/certificates/{issuer}/{number}"),
    ("POST", "/v1/verify"),
    ("POST", "/v1/verify/public"),
    ("POST", "/v1/verify/batch"),
    ("POST", "/v1/exports"),
    ("GET", "/v1/exports/{id}"),
    ("POST", "/v1/recognitions"),
    ("POST", "/v1/notices"),
    ("PUT", "/v1/admin/trust-list"),
    ("PUT", "/v1/admin/equivalence-table"),
    ("GET", "/v1/rules"),
    ("GET", "/v1/rules/trust-list/{sequence}"),
    ("GET", "/v1/rules/equivalence-table/{sequence}"),
    ("GET", "/v1/log/key"),
    ("GET", "/v1/log/checkpoint"),
    ("GET", "/v1/log/witnesses"),
    ("GET", "/v1/log/proof/inclusion"),
    ("GET", "/v1/log/proof/consistency"),
    ("GET", "/v1/log/entries"),
    ("GET", "/v1/log/documents/{sha256}"),
    // C2SP tlog-tiles: `{path}` is `<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]`, several segments.
    ("GET", "/v1/log/tile/{path}"),
    ("GET", "/v1/receipts/{id}"),
    ("POST", "/v1/pt/rounds"),
    ("GET", "/v1/pt/rounds/{id}"),
    ("POST", "/v1/pt/rounds/{id}/results"),
    ("POST", "/v1/pt/rounds/{id}/close"),
    ("GET", "/v1/pt/rounds/{id}/report"),
];

/// The OpenAPI 3.1 description of the API (`schemas/openapi.json`).
pub const OPENAPI: &str = include_str!("../../schemas/openapi.json");

/// Routes one request: a verification to its own handler (it awaits the log's commit
/// rather than parking a thread), anything else to the blocking pool (the library is
/// synchronous and most handlers commit to the store).
pub async fn route(app: Arc<App>, req: Req) -> Response<Body> {
    let Some(decoded) =
        req.path.trim_start_matches('/').split('/').map(http::percent_decode).collect::<Option<Vec<String>>>()
    else {
        return problem(
            StatusCode::BAD_REQUEST,
            "http.path",
            "the path has a malformed percent-escape or is not UTF-8",
        );
    };
    let segments: Vec<&str> = decoded.iter().map(String::as_str).collect();
    if let Some(refused) = unknown_query_parameter(&req.method, &segments, &req.query) {
        return refused;
    }
    match (&req.method, segments.as_slice()) {
        (&Method::POST, ["v1", "verify"]) => customs::verify(app, req, Audience::Api).await,
        (&Method::POST, ["v1", "verify", "public"]) => customs::verify(app, req, Audience::Public).await,
        _ => tokio::task::spawn_blocking(move || {
            let segments: Vec<&str> = decoded.iter().map(String::as_str).collect();
            route_blocking(&app, &req, &segments)
        })
        .await
        .unwrap_or_else(|_| problem(StatusCode::INTERNAL_SERVER_ERROR, "http.internal", "the handler failed")),
    }
}

/// Routes a request served on the blocking pool, by its decoded path `segments`.
fn route_blocking(app: &App, req: &Req, segments: &[&str]) -> Response<Body> {
    match (&req.method, segments) {
        (&Method::GET, [""]) => page::index(),
        (&Method::GET, ["page", asset]) => page::asset(asset),
        (&Method::GET, ["healthz"]) => public::healthz(app),
        (&Method::GET, [".well-known", "did.json"]) => public::did_document(app),
        (&Method::GET, ["v1", "status-lists", list, purpose]) => status_lists::get(app, req, list, purpose),
        (&Method::GET, ["v1", "trust-list"]) => public::trust_list(app),
        (&Method::GET, ["v1", "certificates", issuer, number]) => public::certificate(app, issuer, number),
        // Served by the streaming handler before a body is read; see `handle`.
        (&Method::POST, ["v1", "verify", "batch"]) => {
            problem(StatusCode::BAD_REQUEST, "http.streaming", "batch verification is served as a stream")
        }
        (&Method::POST, ["v1", "exports"]) => exporter::export(app, req),
        (&Method::GET, ["v1", "exports", id]) => exporter::get(app, req, id),
        (&Method::POST, ["v1", "recognitions"]) => partner::recognize(app, req),
        (&Method::PUT, ["v1", "admin", "trust-list"]) => operator::put_trust_list(app, req),
        (&Method::PUT, ["v1", "admin", "equivalence-table"]) => rules::put_equivalence_table(app, req),
        (&Method::GET, ["v1", "rules"]) => rules::rules(app),
        (&Method::GET, ["v1", "rules", kind @ ("trust-list" | "equivalence-table"), sequence]) => {
            rules::version(app, kind, sequence)
        }
        (&Method::GET, ["openapi.json"]) => http::bytes(StatusCode::OK, "application/json", OPENAPI),
        (&Method::GET, ["metrics"]) => metrics_page(app),
        (&Method::POST, ["v1", "notices"]) => partner::notice(app, req),
        (&Method::GET, ["v1", "log", "key"]) => log::key(app),
        (&Method::GET, ["v1", "log", "checkpoint"]) => log::checkpoint(app),
        (&Method::GET, ["v1", "log", "witnesses"]) => log::witnesses(app),
        (&Method::GET, ["v1", "log", "proof", "inclusion"]) => log::inclusion(app, req),
        (&Method::GET, ["v1", "log", "proof", "consistency"]) => log::consistency(app, req),
        (&Method::GET, ["v1", "log", "entries"]) => log::entries(app, req),
        (&Method::GET, ["v1", "log", "documents", digest]) => log::document(app, req, digest),
        // The tile's path as sent, not decoded: a tile has one spelling, so a cache keyed by
        // path holds it once (found by attack: `0%2F000` and `%30/%30%30%30` were served as
        // `0/000`, immutable); an escape anywhere in it is refused as the tile path it is not.
        (&Method::GET, ["v1", "log", "tile", rest @ ..]) if !rest.is_empty() => {
            log::tile(app, req.path.strip_prefix("/v1/log/tile/").unwrap_or(&req.path))
        }
        (&Method::GET, ["v1", "receipts", id]) => log::receipt(app, id),
        (&Method::POST, ["v1", "pt", "rounds"]) => pt::define(app, req),
        (&Method::GET, ["v1", "pt", "rounds", id]) => pt::show(app, req, id),
        (&Method::POST, ["v1", "pt", "rounds", id, "results"]) => pt::submit(app, req, id),
        (&Method::POST, ["v1", "pt", "rounds", id, "close"]) => pt::close(app, req, id),
        (&Method::GET, ["v1", "pt", "rounds", id, "report"]) => pt::report(app, req, id),
        _ => match allowed_methods(segments) {
            Some(allow) => {
                let mut response = problem(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "http.method",
                    format!("{} is not allowed on {}; use {allow}", req.method, req.path),
                );
                response.headers_mut().insert(hyper::header::ALLOW, hyper::header::HeaderValue::from_static(allow));
                response
            }
            None => problem(StatusCode::NOT_FOUND, "http.not_found", format!("no route {}", req.path)),
        },
    }
}

/// The method a served path takes, for a 405's `Allow` (RFC 9110 §15.5.6: a 405 must say
/// what is allowed); `None` for a path that is not served. Every path of [`ROUTES`] takes
/// exactly one method (`tests/config.rs` checks both agree).
fn allowed_methods(segments: &[&str]) -> Option<&'static str> {
    Some(match segments {
        [""]
        | ["page", _]
        | ["healthz"]
        | [".well-known", "did.json"]
        | ["v1", "status-lists", _, _]
        | ["openapi.json"]
        | ["metrics"]
        | ["v1", "trust-list"]
        | ["v1", "certificates", _, _]
        | ["v1", "exports", _]
        | ["v1", "log", "key" | "checkpoint" | "entries"]
        | ["v1", "log", "tile", _, ..]
        | ["v1", "log", "proof", "inclusion" | "consistency"]
        | ["v1", "log", "witnesses"]
        | ["v1", "log", "documents", _]
        | ["v1", "rules"]
        | ["v1", "rules", "trust-list" | "equivalence-table", _]
        | ["v1", "receipts", _]
        | ["v1", "pt", "rounds", _]
        | ["v1", "pt", "rounds", _, "report"] => "GET",
        ["v1", "verify"]
        | ["v1", "verify", "public" | "batch"]
        | ["v1", "exports"]
        | ["v1", "recognitions"]
        | ["v1", "notices"]
        | ["v1", "pt", "rounds"]
        | ["v1", "pt", "rounds", _, "results" | "close"] => "POST",
        ["v1", "admin", "trust-list" | "equivalence-table"] => "PUT",
        _ => return None,
    })
}

fn metrics_page(app: &App) -> Response<Body> {
    let list = app.trust_list();
    let now = app.now();
    let seconds = |d: time::Duration| d.as_seconds_f64();
    let facts = metrics::TrustListFacts {
        age: list.issued_at().map(|t| seconds(now - t)).unwrap_or(0.0),
        until_next_update: list.next_update_at().map(|t| seconds(t - now)).unwrap_or(0.0),
    };
    let size = app.log.size().unwrap_or(0);
    let checkpoint_age = app.log.checkpoint_age().map(|d| d.as_secs_f64()).unwrap_or(0.0);
    let log = metrics::LogFacts { size, commits: app.log.commits(), checkpoint_age };
    http::bytes(StatusCode::OK, "text/plain; version=0.0.4", app.metrics.render(&facts, &log))
}

/// Each route's metrics label, `"METHOD /template"`, in [`ROUTES`] order.
static ROUTE_LABELS: std::sync::LazyLock<Vec<String>> =
    std::sync::LazyLock::new(|| ROUTES.iter().map(|(m, t)| format!("{m} {t}")).collect());

/// The route template a path belongs to, for metrics labels.
pub fn route_label(method: &Method, path: &str) -> &'static str {
    let segments = path.trim_start_matches('/').split('/');
    route_index(method, segments).and_then(|i| ROUTE_LABELS.get(i)).map_or("other", String::as_str)
}

/// Which of [`ROUTES`] a request's path `segments` (split at `/`, after the leading one)
/// belong to: each template segment in braces stands for one segment, but the tile route's
/// last (`{path}`), which spans the rest. Iterated, not collected: every request is labelled.
fn route_index<'s>(method: &Method, segments: impl Iterator<Item = &'s str> + Clone) -> Option<usize> {
    let count = segments.clone().count();
    ROUTES.iter().position(|(m, template)| {
        let t = template.trim_start_matches('/').split('/');
        let length = t.clone().count();
        *m == method.as_str()
            && (count == length || (template.ends_with("/{path}") && count >= length))
            && t.zip(segments.clone()).all(|(a, b)| a.starts_with('{') || a == b)
    })
}

async fn handle(
    app: Arc<App>,
    presented: Arc<auth::Presented>,
    peer: std::net::IpAddr,
    request: Request<Incoming>,
    id: Arc<str>,
    label: &'static str,
    handling: connections::Handling,
) -> Result<Response<Body>, std::convert::Infallible> {
    let started = std::time::Instant::now();
    let method = request.method().clone();
    // HEAD is GET without its body (RFC 9110 §9.3.2): answered as GET is, the headers kept
    // and the body left out (found by attack: a 405 with a body answered HEAD, which over
    // HTTP/2 is a protocol error that resets the stream).
    let mut request = request;
    if method == Method::HEAD {
        *request.method_mut() = Method::GET;
    }
    let (mut response, actor) = answer(&app, &presented, peer, request, &handling).await;
    let latency = started.elapsed();
    app.metrics.request(label, response.status().as_u16(), latency);
    events::finish(&mut response, &id, &method, label, &actor, latency);
    // After the event: it writes a problem's body (found by review: a refusal's came back).
    if method == Method::HEAD {
        *response.body_mut() = http_body_util::Empty::new().map_err(|never| match never {}).boxed();
    }
    // The request is handled until its answer's body has gone out: a streamed batch decides
    // lines long after this returns (found by review: its connection looked idle, was told
    // to give way to a newcomer, and its answers never came).
    Ok(response.map(|body| connections::Handled::new(body, handling).boxed()))
}

/// The longest request target (path and query) the gateway reads; longer is 414.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// The most header fields a request may carry; more is 431.
pub const MAX_HEADERS: usize = 100;
/// The most bytes of header names and values a request may carry; more is 431.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// The protocol-level refusals (RFC 9110 §15.5.15, RFC 6585 §5), as problems like any
/// other: hyper's own limits are set above these, so a request that breaks them gets here.
fn protocol_limits(request: &Request<Incoming>) -> Option<Response<Body>> {
    let target = request.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if target > MAX_URI_BYTES {
        return Some(problem(
            StatusCode::URI_TOO_LONG,
            "http.uri_too_long",
            format!("the request target is {target} bytes; at most {MAX_URI_BYTES}"),
        ));
    }
    let headers = request.headers();
    let bytes: usize = headers.iter().map(|(name, value)| name.as_str().len() + value.len()).sum();
    if headers.len() > MAX_HEADERS || bytes > MAX_HEADER_BYTES {
        return Some(problem(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "http.headers_too_large",
            format!(
                "{} header fields of {bytes} bytes; at most {MAX_HEADERS} fields and {MAX_HEADER_BYTES} bytes",
                headers.len()
            ),
        ));
    }
    None
}

/// A request that changes something, sent by a browser on another site's behalf: refused
/// before anything is read or decided. A browser holding a client certificate presents it
/// to whatever page makes it send a request, and a page may send a POST of `text/plain`
/// without asking (no preflight): found by attack, any web page could have an exporter's
/// browser register a certificate of the page's choosing, which a look-up then showed in
/// force. A browser says where a request comes from (`Sec-Fetch-Site`, and `Origin` on every
/// such request, older browsers too); the gateway's own page sends its verification from
/// its own origin, and a client that is no browser sends neither header.
fn cross_site(request: &Request<Incoming>) -> Option<Response<Body>> {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let headers = request.headers();
    let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or("\u{FFFD}"));
    let refuse = |why: String| Some(problem(StatusCode::FORBIDDEN, "http.cross_site", why));
    if let Some(site @ ("cross-site" | "same-site")) = header("sec-fetch-site") {
        return refuse(format!("a browser sent this request for another site (Sec-Fetch-Site: {site})"));
    }
    let origin = header("origin")?;
    // The request's own origin: its authority (HTTP/2), or its Host (HTTP/1.1).
    let own = request.uri().authority().map(|a| a.as_str()).or_else(|| header("host"));
    // HTTPS's own port is written or not.
    let host = |authority: &str| authority.strip_suffix(":443").unwrap_or(authority).to_ascii_lowercase();
    let same = origin.strip_prefix("https://").zip(own).is_some_and(|(theirs, own)| host(theirs) == host(own));
    if same {
        return None;
    }
    let shown: String = origin.chars().take(100).collect();
    refuse(format!("a browser sent this request from another origin ('{shown}', not https://{})", own.unwrap_or("")))
}

/// A request's answer, and who the caller is as its event names it.
async fn answer(
    app: &Arc<App>,
    presented: &auth::Presented,
    peer: std::net::IpAddr,
    request: Request<Incoming>,
    handling: &connections::Handling,
) -> (Response<Body>, String) {
    // Until its body is read, nothing of the request is decided: its connection may give way
    // to a newcomer (found by attack: bodies trickled a byte a second kept every connection
    // "handling", and two addresses locked every other client out).
    let receiving = handling.receiving();
    let caller = presented.caller(app);
    if let Some(refused) = protocol_limits(&request).or_else(|| cross_site(&request)) {
        return (unread(app, request, refused).await, caller.name.clone());
    }
    // A certificate claiming a role its issuer may not grant is refused outright, whatever
    // it asks: it is an attempt, not an anonymous caller. Its refusals count against its
    // address, as an anonymous caller's requests do.
    if let Some(why) = &caller.refused {
        if let Err(retry) = app.rate_limit.take(peer) {
            return (unread(app, request, too_many(retry)).await, caller.name.clone());
        }
        app.metrics.auth_refused("auth.issuer_not_allowed");
        let response = problem(StatusCode::FORBIDDEN, "auth.issuer_not_allowed", why.clone());
        return (unread(app, request, response).await, caller.name.clone());
    }
    let bearer = request
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(http::bearer_token)
        .map(str::to_string);
    let token_grant = bearer.as_deref().and_then(|t| app.authority.exporter_by_token(t));
    // Authenticated callers each have a bucket of their own; everyone else shares the
    // per-address ones.
    let identity = match (&caller.role, &token_grant) {
        (Role::Anonymous, Some(g)) => Some(format!("exporter:{}", g.name)),
        (Role::Anonymous, None) => None,
        _ => Some(caller.name.clone()),
    };
    let limited = match identity {
        Some(id) => app.identity_rate_limit.take(id),
        None => app.rate_limit.take(peer),
    };
    if let Err(retry) = limited {
        return (unread(app, request, too_many(retry)).await, caller.name.clone());
    }
    // The exporter a request acts as: its token's, else its certificate's.
    let (exporter, actor) = match (token_grant, &caller.grant) {
        (Some(g), _) if caller.role == Role::Anonymous || caller.role == Role::Exporter => {
            let actor = format!("exporter:{}", g.name);
            (Some(g), actor)
        }
        (_, Some(g)) => (Some(Arc::clone(g)), caller.name.clone()),
        _ => (None, if caller.role == Role::Anonymous { "anonymous".into() } else { caller.name.clone() }),
    };
    let caller = crate::decisions::Caller { role: caller.role.clone(), actor, exporter };
    let actor = caller.actor.clone();
    if request.method() == Method::POST && request.uri().path() == "/v1/verify/batch" {
        if let Err(refusal) = crate::decisions::verify::actor(&caller, Audience::Api) {
            return (unread(app, request, http::refusal(&refusal)).await, actor);
        }
        // The stream is answered before `route` would see the request.
        let query = request.uri().query().unwrap_or_default();
        if let Some(refused) = unknown_query_parameter(&Method::POST, &["v1", "verify", "batch"], query) {
            return (unread(app, request, refused).await, actor);
        }
        // A batch decides lines as they come: handled from its first byte.
        drop(receiving);
        let response = batch::stream(Arc::clone(app), caller, request.into_body(), app.bodies.hold(peer));
        return (response, actor);
    }
    // A look-up whose answer is in memory is served on this thread: no blocking pool hop.
    // Not one with a query: `route` refuses its parameters, which a look-up takes none of
    // (found by review: once the answer was cached, `?at=…` was answered as if not asked).
    if request.method() == Method::GET
        && request.uri().query().is_none_or(str::is_empty)
        && let Some((issuer, number)) =
            request.uri().path().strip_prefix("/v1/certificates/").and_then(|r| r.split_once('/'))
        && !number.contains('/')
        && let (Some(issuer), Some(number)) = (http::percent_decode(issuer), http::percent_decode(number))
        && let Some(response) = public::certificate_in_memory(app, &issuer, &number)
    {
        return (response, actor);
    }
    let (parts, body) = request.into_parts();
    let max = app.config.limits.max_body_bytes;
    // The whole body within one request timeout: a body trickled a byte at a time is cut off.
    let timeout = std::time::Duration::from_secs(app.config.limits.request_timeout_seconds);
    // Held until the request is answered: its body is in memory until then.
    let mut hold = app.bodies.hold(peer);
    let body = match tokio::time::timeout(timeout, read_body(body, max, timeout, &mut hold)).await {
        Ok(Ok(b)) => b,
        Ok(Err(BodyError::TooLarge)) => {
            let r = problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "http.too_large",
                format!("the body is larger than {max} bytes"),
            );
            return (r, actor);
        }
        Ok(Err(BodyError::Busy(whose))) => return (busy(app, whose), actor),
        Ok(Err(BodyError::Broken)) => {
            let message = "the body was cut short or its framing is broken".to_string();
            return (problem(StatusCode::BAD_REQUEST, "http.body_broken", message), actor);
        }
        Err(_) => {
            let r = problem(
                StatusCode::REQUEST_TIMEOUT,
                "http.request_timeout",
                format!("the body did not arrive within {} s", timeout.as_secs()),
            );
            return (r, actor);
        }
    };
    drop(receiving);
    // A reload while the body arrived: the caller was identified under the configuration it
    // replaced (its grants, role anchors, CRLs), and nothing may be decided for it under
    // that one (found by attack: an export was decided and logged under a grant the reload
    // had removed). Asked to send it again, it is identified under the one in force.
    if app.superseded() {
        let message = "the gateway's configuration changed while this request arrived: send it again";
        let mut r = problem(StatusCode::SERVICE_UNAVAILABLE, "http.reloaded", message);
        r.headers_mut().insert(hyper::header::RETRY_AFTER, hyper::header::HeaderValue::from_static("0"));
        return (r, actor);
    }
    let header =
        |name: hyper::header::HeaderName| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let req = Req {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        caller,
        bearer,
        content_type: header(hyper::header::CONTENT_TYPE).unwrap_or_default(),
        accept: header(hyper::header::ACCEPT).unwrap_or_default(),
        if_none_match: header(hyper::header::IF_NONE_MATCH),
        body,
    };
    // A small body is decided where it was read: with a task of its own for every request
    // the gateway answered a tenth fewer verifications a second at peak (8,080 against
    // 8,856), and what such a body holds while its decision outlives a reset is bounded by
    // the rate limits.
    if hold.bytes() < OWNED_FROM_BYTES {
        let answered = route(Arc::clone(app), req).await;
        drop(hold);
        return (answered, actor);
    }
    let answered = match owning(hold, route(Arc::clone(app), req)).await {
        Ok(answered) => answered,
        // The work's panic is the request's: counted and answered where every panic is
        // (`guarded`), as when the work ran here.
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => problem(StatusCode::INTERNAL_SERVER_ERROR, "http.internal", "the handler failed"),
    };
    (answered, actor)
}

/// Bodies from this size on are decided on a task of their own that keeps their hold
/// ([`owning`]).
const OWNED_FROM_BYTES: usize = 64 * 1024;

/// Runs `work` on a task of its own that keeps `hold` until `work` ends. A client that
/// resets its stream once its body is sent drops the future awaiting the answer, not the
/// work: the decision goes on, on the blocking pool, its body and what was read of it in
/// memory; the body's bytes are counted until then (found by attack: a reset gave them back
/// at once, and resets at the rate limit from a few addresses held bodies past every bound).
fn owning<T: Send + 'static>(
    hold: bodies::Hold,
    work: impl std::future::Future<Output = T> + Send + 'static,
) -> tokio::task::JoinHandle<T> {
    tokio::spawn(async move {
        let done = work.await;
        drop(hold);
        done
    })
}

/// 503 with when to come back: the bodies held in memory are at a bound, `whose`.
fn busy(app: &App, whose: bodies::Refused) -> Response<Body> {
    let bound = match whose {
        bodies::Refused::Client => app.config.limits.max_body_bytes_held_per_client,
        bodies::Refused::All => app.config.limits.max_body_bytes_held,
    };
    let message = format!(
        "{} request bodies held in memory are at their bound ({bound} bytes); try again shortly",
        whose.whose()
    );
    let mut r = problem(StatusCode::SERVICE_UNAVAILABLE, "http.busy", message);
    r.headers_mut().insert(hyper::header::RETRY_AFTER, hyper::header::HeaderValue::from_static("1"));
    r
}

/// Why a request body was not read whole.
enum BodyError {
    /// Over `max_body_bytes` (read on and thrown away first).
    TooLarge,
    /// Past a bound of the bodies held in memory (read on and thrown away first).
    Busy(bodies::Refused),
    /// Cut short, or its framing broken: answered 400, not taken for a body too large
    /// (found by attack: a bad chunk size and a client's reset were counted as 413s).
    Broken,
}

/// `response`, a refusal decided before the request's body was read, once that body is read
/// and thrown away (up to `max_body_bytes`, within the request timeout). An HTTP/1.1 client
/// that sends its whole body before reading (most do) would otherwise have its connection
/// closed under it and never see the answer.
async fn unread(app: &App, request: Request<Incoming>, response: Response<Body>) -> Response<Body> {
    let limit = http::Drain {
        bytes: app.config.limits.max_body_bytes,
        time: std::time::Duration::from_secs(app.config.limits.request_timeout_seconds),
    };
    http::drain(request.into_body(), limit).await;
    response
}

/// A request as the panic guard knows it: its route label, method and request id, fixed
/// before its handling starts.
struct Guarded {
    label: &'static str,
    method: Method,
    id: Arc<str>,
}

/// A request's handling, with a panic in it (a bug: `src/` denies the lints that lead to
/// one) answered 500 problem+json and counted in `mrgate_handler_panics_total` rather than
/// dropping the connection and every request on it. The panic message goes to stderr; the
/// answer carries the request's id and leaves its event, like any other.
async fn guarded(
    metrics: Arc<metrics::Metrics>,
    request: Guarded,
    handled: impl std::future::Future<Output = Result<Response<Body>, std::convert::Infallible>>,
) -> Result<Response<Body>, std::convert::Infallible> {
    match CatchUnwind(Box::pin(handled)).await {
        Ok(answer) => answer,
        Err(_) => {
            metrics.handler_panicked();
            metrics.request(request.label, 500, std::time::Duration::ZERO);
            let mut answer = problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "http.internal",
                "the gateway failed on this request (a bug, counted and logged); nothing was decided",
            );
            // Who asked is not known here (the panic may have come before it was): the id
            // finds the request's other traces.
            let latency = std::time::Duration::ZERO;
            events::finish(&mut answer, &request.id, &request.method, request.label, "unknown", latency);
            Ok(answer)
        }
    }
}

/// A future whose panic, while polled, is caught and returned.
struct CatchUnwind<F>(std::pin::Pin<Box<F>>);

impl<F: std::future::Future> std::future::Future for CatchUnwind<F> {
    type Output = std::thread::Result<F::Output>;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        let inner = self.get_mut().0.as_mut();
        // Unwind safety: a panicking handler's future is dropped with its state; what it
        // shares (store, log, metrics) is behind locks that recover from poisoning.
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Ok(std::task::Poll::Ready(v)) => std::task::Poll::Ready(Ok(v)),
            Err(panic) => std::task::Poll::Ready(Err(panic)),
        }
    }
}

/// A request body of at most `max` bytes, whole, each byte held in `hold` as it arrives. One
/// over the limit, or past what may be held, is read on and thrown away ([`http::drain`],
/// up to 16 × `max`) before it is answered, so an HTTP/2 client sees the answer rather than
/// a reset stream.
async fn read_body(
    body: Incoming,
    max: usize,
    timeout: std::time::Duration,
    hold: &mut bodies::Hold,
) -> Result<Bytes, BodyError> {
    let mut body = body;
    let mut whole = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else { return Err(BodyError::Broken) };
        let Some(data) = frame.data_ref() else { continue };
        let refused = if whole.len() + data.len() > max {
            Some(BodyError::TooLarge)
        } else {
            hold.grow(data.len()).err().map(BodyError::Busy)
        };
        if let Some(refused) = refused {
            // What was held is given back before the rest is read and thrown away.
            drop(whole);
            let _ = hold.set(0);
            http::drain(body, http::Drain { bytes: max.saturating_mul(15), time: timeout }).await;
            return Err(refused);
        }
        whole.extend_from_slice(data);
    }
    Ok(whole.freeze())
}

/// 429 with when to come back.
fn too_many(retry_after: u64) -> Response<Body> {
    let mut r = problem(StatusCode::TOO_MANY_REQUESTS, "http.rate_limited", "too many requests from this caller");
    if let Ok(v) = hyper::header::HeaderValue::from_str(&retry_after.to_string()) {
        r.headers_mut().insert(hyper::header::RETRY_AFTER, v);
    }
    r
}

/// What new connections are served with, and each request; a reload swaps both at once.
struct Current {
    app: Arc<App>,
    acceptor: tokio_rustls::TlsAcceptor,
}

/// The state in force now: what a new connection's handshake and every request are answered
/// with. A request on a connection opened before a reload is answered under the reloaded
/// configuration — its exporter grants, role anchors and CRLs find its caller again — so a
/// grant taken away or a client certificate revoked is refused at the next request, not when
/// the connection ends (found by review: up to ten request timeouts later).
fn in_force(current: &RwLock<Current>) -> Arc<App> {
    current.read().map(|c| Arc::clone(&c.app)).unwrap_or_else(|p| Arc::clone(&p.into_inner().app))
}

/// A running gateway: its address, the task accepting connections, and the state a reload
/// replaces.
pub struct Running {
    pub addr: SocketAddr,
    pub task: tokio::task::JoinHandle<()>,
    current: Arc<RwLock<Current>>,
    connections: Arc<connections::Open>,
    /// Asks the witnesses to cosign new checkpoints, when any are configured.
    cosigner: Option<tokio::task::JoinHandle<()>>,
    /// Writes the log's high-water mark while the log grows ([`crate::ledger::high_water`]).
    high_water: tokio::task::JoinHandle<()>,
    /// The log the mark marks and the mark's lock, through which it is written: once more at
    /// shutdown (held weakly, so that a gateway let go of without a shutdown keeps no store
    /// open, nor its mark locked).
    marked: (std::sync::Weak<DurableLog>, std::sync::Weak<crate::ledger::high_water::Held>),
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Running({})", self.addr)
    }
}

impl Running {
    /// The state new connections get.
    pub fn app(&self) -> Arc<App> {
        in_force(&self.current)
    }

    /// Applies a changed configuration: TLS certificate and client roots to new connections'
    /// handshakes; the client roots again (each caller's chain is held to them), trust list,
    /// CRLs, signing key, role anchors, exporter grants and limits to every request from now
    /// on, on connections already open too (`in_force`; each keeps the header timeout, idle
    /// time and lifetime it was accepted under, and a streamed batch read across the reload
    /// decides no line after it). On any error nothing changes and the error says why.
    pub fn reload(&self, config: Config) -> Result<String, String> {
        let acceptor = tokio_rustls::TlsAcceptor::from(tls::server_config(
            &config.tls.certificate,
            &config.tls.key,
            &config.tls.client_ca,
        )?);
        let (app, summary) = self.app().reloaded(config)?;
        let mut current = self.current.write().map_err(|_| "the server state lock is poisoned".to_string())?;
        app.in_force.store(app.generation, std::sync::atomic::Ordering::Release);
        *current = Current { app: Arc::new(app), acceptor };
        Ok(format!("TLS certificate and client roots, {summary}"))
    }

    /// Stops accepting, then waits up to `grace` for open connections to finish.
    pub async fn shutdown(self, grace: std::time::Duration) -> bool {
        self.task.abort();
        if let Some(cosigner) = &self.cosigner {
            cosigner.abort();
        }
        let deadline = tokio::time::Instant::now() + grace;
        let mut finished = true;
        while self.connections.count() > 0 {
            if tokio::time::Instant::now() >= deadline {
                finished = false;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        // The mark as the log ends: what the connections finished is logged by now.
        self.high_water.abort();
        let (log, held) = self.marked;
        if let Some((note, held)) = log.upgrade().and_then(|log| log.checkpoint().ok()).zip(held.upgrade()) {
            // After a periodic write in flight, if any: one at a time through the lock.
            let written = tokio::task::spawn_blocking(move || held.record(&note)).await;
            if let Ok(Err(e)) = written {
                to_operator(format_args!("mrgate: the log's high-water mark was not written: {e}"));
            }
        }
        finished
    }
}

/// A node's port and TLS configuration, taken before it loads ([`serve`]): a node that
/// cannot have them fails before its claim on a shared store ([`crate::store::Store::claim`]),
/// so a new build whose port is taken, or whose TLS files do not read, leaves the older
/// nodes deciding (found by review: the bind came after the claim).
pub struct Bound {
    listener: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl std::fmt::Debug for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bound({:?})", self.listener.local_addr())
    }
}

/// Takes `config`'s port and reads its TLS files.
pub async fn bind(config: &Config) -> Result<Bound, String> {
    let tls = tls::server_config(&config.tls.certificate, &config.tls.key, &config.tls.client_ca)?;
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let listener =
        tokio::net::TcpListener::bind(&config.listen).await.map_err(|e| format!("{}: {e}", config.listen))?;
    Ok(Bound { listener, acceptor })
}

/// Binds and serves until the task is aborted.
pub async fn start(app: Arc<App>) -> Result<Running, String> {
    let bound = bind(&app.config).await?;
    start_bound(app, bound).await
}

/// Serves `app` on `bound` until the task is aborted.
pub async fn start_bound(app: Arc<App>, bound: Bound) -> Result<Running, String> {
    let Bound { listener, acceptor } = bound;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let _ = app.bound.set(addr);
    let limits = &app.config.limits;
    // An answer's stall is measured by the start's request timeout, as the places are counted
    // by the start's limits (a reload changes neither).
    let stalled_after = std::time::Duration::from_secs(limits.request_timeout_seconds);
    let connections = connections::Open::new(limits.max_connections, limits.max_connections_per_client, stalled_after);
    let (cosigning, cosigned_log) = (Arc::clone(&app.cosigning), Arc::clone(&app.log));
    let marked = (Arc::downgrade(&app.log), Arc::downgrade(&app.mark));
    let high_water = tokio::spawn(crate::ledger::high_water::record_forever(marked.0.clone(), marked.1.clone()));
    let current = Arc::new(RwLock::new(Current { app, acceptor }));
    let (open, shared) = (Arc::clone(&connections), Arc::clone(&current));
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, peer)) = listener.accept().await else { continue };
            let Ok((acceptor, app)) = shared.read().map(|c| (c.acceptor.clone(), Arc::clone(&c.app))) else { continue };
            // One client holding its cap is refused more, before any TLS work; when all places
            // are taken, the client holding most gives one up (`connections`).
            let slot = match open.admit(peer.ip()) {
                Ok(admitted) => {
                    if admitted.evicted {
                        app.metrics.connection_evicted();
                    }
                    admitted.slot
                }
                Err(refused) => {
                    app.metrics.connection_refused(refused.limit());
                    continue;
                }
            };
            // Responses go out whole; Nagle's algorithm would only hold back their last segment.
            let _ = tcp.set_nodelay(true);
            let current = Arc::clone(&shared);
            tokio::spawn(async move {
                let activity = Arc::clone(slot.activity());
                // The connection's own limits — its handshake and header timeouts, idle time,
                // lifetime and HTTP/2 streams — are those it was accepted under; a request's own
                // (its body's size and time) are those in force when it comes.
                let limits = app.config.limits.clone();
                let timeout = std::time::Duration::from_secs(limits.request_timeout_seconds);
                let idle = std::time::Duration::from_secs(limits.idle_timeout_seconds);
                // A client that does not finish the handshake in time is dropped, as is one told
                // to make room for another client meanwhile.
                let handshake = tokio::time::timeout(timeout.min(idle), acceptor.accept(tcp));
                let stream = tokio::select! {
                    shaken = handshake => match shaken {
                        Ok(Ok(stream)) => stream,
                        _ => return,
                    },
                    () = activity.evicted() => return,
                };
                let chain = stream.get_ref().1.peer_certificates().map(|c| c.to_vec()).unwrap_or_default();
                let presented = Arc::new(auth::Presented::new(chain));
                let watching = Arc::clone(&activity);
                let service = hyper::service::service_fn(move |r: Request<Incoming>| {
                    let handling = watching.handling();
                    // HEAD is labelled as the GET it is answered as.
                    let method = if r.method() == Method::HEAD { &Method::GET } else { r.method() };
                    let label = route_label(method, r.uri().path());
                    let app = in_force(&current);
                    let metrics = Arc::clone(&app.metrics);
                    let id: Arc<str> = events::request_id().into();
                    let request = Guarded { label, method: r.method().clone(), id: Arc::clone(&id) };
                    // The request's label is found once, here, for its guard and its metrics.
                    let presented = Arc::clone(&presented);
                    let handled = handle(app, presented, peer.ip(), r, id, label, handling);
                    guarded(metrics, request, handled)
                });
                let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                // hyper's own limits sit above the gateway's (see `protocol_limits`), so that a
                // request over them is answered with a problem body rather than a bare status.
                builder
                    .http1()
                    .header_read_timeout(timeout)
                    .timer(hyper_util::rt::TokioTimer::new())
                    .max_headers(4 * MAX_HEADERS);
                builder
                    .http2()
                    .timer(hyper_util::rt::TokioTimer::new())
                    .max_concurrent_streams(limits.http2_max_concurrent_streams)
                    .max_pending_accept_reset_streams(Some(32))
                    .max_local_error_reset_streams(Some(64))
                    .max_header_list_size(64 * 1024);
                let connection = builder
                    .serve_connection(TokioIo::new(connections::Watched::new(stream, activity.clone())), service);
                tokio::pin!(connection);
                // However slowly a client sends, its connection ends after ten request
                // timeouts; one that does nothing for `idle` is closed sooner, and one told to
                // make room (it decides no request) at once.
                let ends = tokio::time::Instant::now() + timeout * 10;
                let tick = (idle / 4).clamp(std::time::Duration::from_millis(50), std::time::Duration::from_secs(1));
                loop {
                    tokio::select! {
                        _ = connection.as_mut() => break,
                        () = activity.evicted() => break,
                        _ = tokio::time::sleep(tick) => {
                            if tokio::time::Instant::now() >= ends || activity.idle_for(idle) {
                                break;
                            }
                        }
                    }
                }
                drop(slot);
            });
        }
    });
    let cosigner = (!cosigning.witnesses.is_empty())
        .then(|| tokio::spawn(witnessing::Cosigning::cosign_forever(cosigning, cosigned_log)));
    Ok(Running { addr, task, current, connections, cosigner, high_water, marked })
}

/// `mrgate serve`: loads the configuration and serves. SIGHUP calls `reread` for the
/// configuration as it is now and reloads; SIGTERM or Ctrl-C stops accepting and lets open
/// connections finish for up to 10 seconds.
pub fn serve(
    config: Config,
    reread: impl Fn() -> Result<Config, String>,
    banner: impl Fn(SocketAddr),
) -> Result<(), String> {
    use tokio::signal::unix::{SignalKind, signal};
    events::install(config.events.format)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    let served = runtime.block_on(async {
        // Handlers first: a SIGHUP that arrives once the banner is out must not kill us.
        let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
        let mut hangup = signal(SignalKind::hangup()).map_err(|e| e.to_string())?;
        // The port and TLS files first, then the store: a node that cannot serve claims none.
        let bound = bind(&config).await?;
        let app = Arc::new(App::load(config)?);
        let running = start_bound(app, bound).await?;
        banner(running.addr);
        loop {
            tokio::select! {
                _ = term.recv() => break,
                _ = tokio::signal::ctrl_c() => break,
                _ = hangup.recv() => report_reload(reread().and_then(|c| running.reload(c))),
            }
        }
        to_operator(format_args!("mrgate: shutting down"));
        if !running.shutdown(std::time::Duration::from_secs(10)).await {
            to_operator(format_args!("mrgate: some connections were still open after 10 s"));
        }
        Ok(())
    });
    // Nothing runs any more (connections still open after the grace period, the cosigner)
    // to send events while the last are written; then they are, whether it served or not.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    events::flush();
    served
}

fn report_reload(outcome: Result<String, String>) {
    match outcome {
        Ok(summary) => to_operator(format_args!("mrgate: reloaded: {summary}")),
        Err(why) => to_operator(format_args!("mrgate: reload failed, keeping the running configuration: {why}")),
    }
}

/// A line for the operator on stderr while serving. Not `eprintln!`: that panics when
/// stderr is closed, and a gateway whose log collector went away must still reload, shut
/// down cleanly and exit with its own status.
pub fn to_operator(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request's body is counted until the work on it ends, not until its caller stops
    /// waiting: the future awaiting the answer dropped (a stream reset) leaves the work and
    /// its hold running, and the hold is given back as the work ends.
    #[tokio::test]
    async fn a_body_is_counted_until_its_work_ends_not_until_its_caller_leaves() {
        let budget = bodies::Budget::new(1_000, 10_000);
        let mut hold = budget.hold("192.0.2.1".parse().expect("ip"));
        hold.grow(600).expect("within the bound");
        let (finish, finished) = tokio::sync::oneshot::channel::<()>();
        let (ended_tx, ended) = tokio::sync::oneshot::channel::<()>();
        let waiting = owning(hold, async move {
            let _ = finished.await;
            let _ = ended_tx.send(());
        });
        // The caller leaves: its wait is dropped, the work is not.
        drop(waiting);
        tokio::task::yield_now().await;
        assert_eq!(budget.held(), 600);
        // Its client's next body is still refused what the first holds.
        let mut next = budget.hold("192.0.2.1".parse().expect("ip"));
        assert_eq!(next.grow(600), Err(bodies::Refused::Client));
        finish.send(()).expect("the work is running");
        ended.await.expect("the work ended");
        // Given back as the task ends, just after the work's last step.
        for _ in 0..1000 {
            if budget.held() == 0 {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(budget.held(), 0);
        assert_eq!(next.grow(600), Ok(()));
    }

    /// A stored decision is answered only as its entry records it: kind, verdict and the
    /// documents it hands out (found by attack and re-test: a recognition pointed at a
    /// customs verification's entry, its CN XML deleted, was served with that receipt).
    #[test]
    fn a_stored_decision_is_held_to_its_entry() {
        use base64::Engine;
        let receipt = |kind: &str, verdict: &str, outputs: &[&[u8]]| {
            let entry = crate::ledger::entry::Entry {
                kind: kind.into(),
                time: "2026-12-06T00:00:00Z".into(),
                actor: "partner:dakks".into(),
                inputs: vec![crate::decisions::digest(b"credential")],
                outputs: outputs.iter().map(|o| crate::decisions::digest(o)).collect(),
                rules: Default::default(),
                verdict: verdict.into(),
                reasons: vec![],
            };
            let bytes = entry.encode().expect("entry");
            crate::ledger::receipt::Receipt {
                entry: base64::engine::general_purpose::STANDARD.encode(bytes),
                index: 5,
                tree_size: 6,
                leaf_hash: String::new(),
                hashes: vec![],
                checkpoint: String::new(),
            }
        };
        let recognized = serde_json::json!({"valid": true, "cn_xml": "<Certificate/>"});
        let refused = serde_json::json!({"valid": false});
        let export = serde_json::json!({"documents": {"untp-dcc": "eyJ.a.b", "iaf-xml": "<r/>"}});
        let held = [
            ("recognition", &recognized, receipt("recognition", "recognized", &[b"<Certificate/>"])),
            ("recognition", &refused, receipt("recognition", "refused", &[])),
            ("export", &export, receipt("export", "exported", &[b"eyJ.a.b", b"<r/>"])),
            ("pt-report", &refused, receipt("pt-report", "reported", &[b"<report/>"])),
        ];
        for (kind, body, receipt) in &held {
            assert_eq!(decision_not_logged(kind, body, receipt), None, "{kind}");
        }
        let without_cn = serde_json::json!({"valid": true});
        let not_held = [
            (
                "export",
                &export,
                receipt("recognition", "invalid", &[]),
                "an entry of kind 'recognition', the decision of kind 'export'",
            ),
            (
                "recognition",
                &recognized,
                receipt("recognition", "invalid", &[]),
                "an entry with the verdict 'invalid', the decision 'recognized'",
            ),
            (
                "recognition",
                &without_cn,
                receipt("recognition", "invalid", &[]),
                "an entry with the verdict 'invalid', the decision 'recognized'",
            ),
            (
                "recognition",
                &refused,
                receipt("recognition", "valid", &[]),
                "an entry with the verdict 'valid', the decision 'refused'",
            ),
            (
                "recognition",
                &without_cn,
                receipt("recognition", "recognized", &[]),
                "a recognition that registered nothing",
            ),
            (
                "recognition",
                &recognized,
                receipt("recognition", "recognized", &[b"<Other/>"]),
                "a document it hands out is not one the entry names",
            ),
            (
                "export",
                &export,
                receipt("export", "exported", &[b"eyJ.a.b"]),
                "a document it hands out is not one the entry names",
            ),
            (
                "export",
                &export,
                receipt("export", "refused", &[b"eyJ.a.b", b"<r/>"]),
                "an entry with the verdict 'refused', the decision 'exported'",
            ),
        ];
        for (kind, body, receipt, why) in &not_held {
            assert_eq!(decision_not_logged(kind, body, receipt).as_deref(), Some(*why), "{kind} {body}");
        }
        let mut unreadable = receipt("export", "exported", &[]);
        unreadable.entry = "not base64!".into();
        assert_eq!(decision_not_logged("export", &export, &unreadable).as_deref(), Some("its entry cannot be read"));
    }

    /// A path is labelled with the one route it belongs to: a parameter stands for one
    /// segment, the tile route's last for all the rest; anything else is `other`.
    #[test]
    fn each_path_is_labelled_with_its_route() {
        for (method, path, label) in [
            (Method::GET, "/", "GET /"),
            (Method::GET, "/v1/certificates/a/b", "GET /v1/certificates/{issuer}/{number}"),
            (Method::GET, "/v1/log/tile/0/x001/234", "GET /v1/log/tile/{path}"),
            (Method::GET, "/v1/log/tile/entries/000.p/5", "GET /v1/log/tile/{path}"),
            (Method::POST, "/v1/verify/batch", "POST /v1/verify/batch"),
            (Method::GET, "/v1/certificates/a/b/c", "other"),
            (Method::GET, "/v1/certificates/a", "other"),
            (Method::GET, "/v1/log/tile", "other"),
            (Method::POST, "/", "other"),
            (Method::GET, "/v1/verify", "other"),
            (Method::DELETE, "/v1/log/tile/0/000", "other"),
        ] {
            assert_eq!(route_label(&method, path), label, "{method} {path}");
        }
    }

    /// A handler that panics is answered 500 problem+json, and counted.
    #[tokio::test]
    async fn a_panic_in_a_handler_is_a_500_and_counted() {
        let metrics = Arc::new(metrics::Metrics::default());
        let bug = std::hint::black_box(true);
        let panicking = async move {
            if bug {
                panic!("a handler bug");
            }
            Ok(problem(StatusCode::OK, "never", "reached"))
        };
        let request = || Guarded { label: "POST /v1/verify", method: Method::POST, id: Arc::from("0badcafe-1") };
        let answer = guarded(Arc::clone(&metrics), request(), panicking).await.unwrap_or_else(|e| match e {});
        assert_eq!(answer.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(answer.headers().get("x-request-id").map(|v| v.as_bytes()), Some(&b"0badcafe-1"[..]));
        assert_eq!(
            answer.headers().get(hyper::header::CONTENT_TYPE).map(|v| v.as_bytes()),
            Some(&b"application/problem+json"[..])
        );
        let body = answer.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        let said: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!((said["reason"].as_str(), said["request_id"].as_str()), (Some("http.internal"), Some("0badcafe-1")));
        let facts = metrics::TrustListFacts { age: 0.0, until_next_update: 1.0 };
        let text = metrics.render(&facts, &metrics::LogFacts { size: 0, commits: 0, checkpoint_age: 0.0 });
        assert!(text.contains("mrgate_handler_panics_total 1\n"), "{text}");
        assert!(text.contains("mrgate_requests_total{route=\"POST /v1/verify\",status=\"500\"} 1\n"), "{text}");
        // An answer that does not panic passes through.
        let fine = async { Ok(problem(StatusCode::NOT_FOUND, "http.not_found", "x")) };
        let answer = guarded(Arc::clone(&metrics), request(), fine).await.unwrap_or_else(|e| match e {});
        assert_eq!(answer.status(), StatusCode::NOT_FOUND);
    }
}
