//! Gateway configuration: a TOML file (`mrgate.example.toml`), with `--demo` building the
//! same structure from `certs/demo/`. Paths are relative to the configuration file.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Most witnesses configured: their cosignatures and the log's signature fit in the signature
/// lines a checkpoint verifier reads ([`crate::ledger::checkpoint::MAX_SIGNATURES`]).
pub const MAX_WITNESSES: usize = crate::ledger::checkpoint::MAX_SIGNATURES - 1;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub listen: String,
    /// The base URL callers reach the gateway at, for links inside signed credentials
    /// (the log-receipt link). Default: `https://localhost:<port of listen>`.
    #[serde(default)]
    pub public_url: Option<String>,
    pub data_dir: PathBuf,
    /// Where the register and the log live: PostgreSQL when `[store] url` is set, else
    /// SQLite in `data_dir`. Restart-only.
    #[serde(default)]
    pub store: StoreConfig,
    pub tls: Tls,
    pub identities: Identities,
    pub signing: Signing,
    pub trust_list: TrustListConfig,
    pub log: LogConfig,
    #[serde(default)]
    pub exporters: Exporters,
    #[serde(default)]
    pub limits: LimitsConfig,
    /// How operational events are written (`[events] format = "text" | "json"`); the level
    /// filter comes from the environment (`MRGATE_LOG`). Restart-only.
    #[serde(default)]
    pub events: Events,
    /// The witnesses that cosign the log's checkpoints, and how many must. Restart-only.
    #[serde(default)]
    pub witnessing: Witnessing,
}

/// Witnesses (c2sp.org/tlog-witness) asked to cosign every new checkpoint: see
/// [`super::witnessing`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Witnessing {
    /// How many of `witness` must cosign a checkpoint before it is published; 0 publishes
    /// the log's own checkpoints (and still asks any witness named).
    #[serde(default)]
    pub required: usize,
    /// Roots the witnesses' TLS certificates chain to.
    #[serde(default)]
    pub ca: Vec<PathBuf>,
    #[serde(default)]
    pub witness: Vec<WitnessConfig>,
    /// How often witnesses are asked again to cosign a checkpoint they have cosigned, when the
    /// log has grown no further: a quiet log's cosignatures stay this fresh, so an audit's
    /// `--max-age` above it tells a quiet honest log from one showing an old checkpoint
    /// (found by attack: cosignatures were asked only for a new size, and aged).
    #[serde(default = "default_refresh")]
    pub refresh_seconds: u64,
}

impl Default for Witnessing {
    fn default() -> Self {
        Self { required: 0, ca: Vec::new(), witness: Vec::new(), refresh_seconds: default_refresh() }
    }
}

fn default_refresh() -> u64 {
    60
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessConfig {
    /// The witness's verifier key, `<name>+<key id>+<base64(0x04 ‖ Ed25519 key)>`.
    pub vkey: String,
    /// Its submission prefix: `https://host:port[/path]`.
    pub url: String,
}

/// The store: see [`crate::store::open`].
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// A PostgreSQL connection string (`postgres://user@127.0.0.1:5432/mrgate`); absent, the
    /// store is SQLite in `data_dir`. The connection is not encrypted (TLS to the database is
    /// not supported yet): keep the database on the same machine or a private link.
    #[serde(default)]
    pub url: Option<String>,
}

impl std::fmt::Debug for StoreConfig {
    // The URL may hold a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreConfig").field("url", &self.url.as_ref().map(|_| "<set>")).finish()
    }
}

/// Operational events: see [`super::events`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Events {
    #[serde(default)]
    pub format: super::events::Format,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tls {
    pub certificate: PathBuf,
    pub key: PathBuf,
    /// Roots whose client certificates are accepted at the handshake. A certificate's role is
    /// its subject OU (`customs`, `exporter`, `operator`, `partner:<body>`), held only when
    /// its issuer may grant that role ([`Identities`]).
    pub client_ca: Vec<PathBuf>,
}

/// Which anchors may vouch for which role: a client certificate's OU is a claim, granted
/// only when the certificate chains to an anchor named here for that role.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identities {
    /// Domestic client CAs whose certificates may act as the operator.
    pub operator: Vec<PathBuf>,
    /// Domestic client CAs whose certificates may act as customs.
    pub customs: Vec<PathBuf>,
    /// Domestic client CAs whose certificates may act as exporters.
    pub exporter: Vec<PathBuf>,
    /// Roots that may vouch for `partner:<body>`, by body id, besides the certificates the
    /// trust list in force grants that body (which always may).
    #[serde(default)]
    pub partners: std::collections::BTreeMap<String, Vec<PathBuf>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signing {
    /// The gateway's document-signing key and certificate (exports are signed with them).
    pub key: PathBuf,
    pub certificate: PathBuf,
    /// Certificates of signing keys rotated out: their keys stay listed in the gateway's
    /// DID document, for the credentials they signed.
    #[serde(default)]
    pub previous_certificates: Vec<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustListConfig {
    pub file: PathBuf,
    /// The trust-list operator's anchor: the list's signature must chain to it.
    pub operator_anchor: PathBuf,
    /// The certificates (PEM) that alone may sign an installable list: the list's signing
    /// certificate must be one of these, or have one of `signer_spki_sha256`'s keys, and
    /// carry the EKU tslSigning (0.4.0.2231.3.0). Anything else under `operator_anchor`
    /// (a CB's signer, the gateway's own) is refused.
    #[serde(default)]
    pub signers: Vec<PathBuf>,
    /// SHA-256 of the SubjectPublicKeyInfo of further allowed signers, hex: a pin that
    /// survives the operator's certificate being reissued for the same key.
    #[serde(default)]
    pub signer_spki_sha256: Vec<String>,
    #[serde(default)]
    pub crls: Vec<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    pub key: PathBuf,
    pub origin: String,
    /// The shortest time between the starts of two commits of the log: under load each
    /// commit carries everything that arrived meanwhile. 0 commits as soon as the previous
    /// commit ended.
    #[serde(default = "default_commit_interval_ms")]
    pub commit_interval_ms: f64,
    /// Where the log's high-water mark is kept ([`crate::ledger::high_water`]): the newest
    /// checkpoint signed, which the store's log must extend at start. Default
    /// `<data_dir>/log-high-water`; kept apart from the store's backups (another disk, another
    /// directory) it also finds a store put back from an older copy of that directory.
    #[serde(default)]
    pub high_water_mark: Option<PathBuf>,
    /// Take the store's log as it is when there is no mark yet (`mrgate serve --adopt-log`):
    /// a gateway's first start on a log it did not mark — after an upgrade to a build that
    /// keeps one, a new node of a shared store, a mark moved aside knowingly. Never read from
    /// the file: a mark that is missing is otherwise a refusal, since a mark's disk that is
    /// not mounted looks the same.
    #[serde(skip)]
    pub adopt: bool,
}

fn default_commit_interval_ms() -> f64 {
    crate::ledger::durable::DEFAULT_COMMIT_INTERVAL.as_secs_f64() * 1000.0
}

/// Longest accepted commit interval: an append may wait this long before its commit starts.
const MAX_COMMIT_INTERVAL_MS: f64 = 1000.0;

impl LogConfig {
    /// The high-water mark's file: as configured, or `log-high-water` in `data_dir`.
    pub fn high_water_mark(&self, data_dir: &Path) -> PathBuf {
        self.high_water_mark.clone().unwrap_or_else(|| data_dir.join("log-high-water"))
    }

    /// The commit interval. [`Config::check`] refuses values out of range; should one get
    /// here anyway (a configuration built in code), the default stands in rather than a panic.
    pub fn commit_interval(&self) -> std::time::Duration {
        std::time::Duration::try_from_secs_f64(self.commit_interval_ms / 1000.0)
            .ok()
            .filter(|d| d.as_secs_f64() * 1000.0 <= MAX_COMMIT_INTERVAL_MS)
            .unwrap_or(crate::ledger::durable::DEFAULT_COMMIT_INTERVAL)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exporters {
    /// Each exporter identity and what it may export (`[[exporters.grant]]`).
    #[serde(default)]
    pub grant: Vec<ExporterGrant>,
}

/// One exporter: how it authenticates (bearer tokens, client certificates) and what it may
/// export unsigned. A CN XML signed by the issuing CB's registered signer may be exported
/// by any exporter; an unsigned one only when its holder is among `holders` and its CB among
/// `bodies` (a list left empty does not narrow; both empty grant nothing).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExporterGrant {
    /// Names the exporter in the log and in its rate limit.
    pub name: String,
    /// Files holding this exporter's bearer tokens (one per line); only their SHA-256 is
    /// kept in memory.
    #[serde(default)]
    pub token_files: Vec<PathBuf>,
    /// This exporter's client certificates (PEM; `OU=exporter`, from an `identities.exporter`
    /// CA).
    #[serde(default)]
    pub certificates: Vec<PathBuf>,
    /// Holders' unified social credit codes it exports for.
    #[serde(default)]
    pub holders: Vec<String>,
    /// Certification bodies (CNCA approval numbers) whose certificates it exports.
    #[serde(default)]
    pub bodies: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    #[serde(default = "default_body")]
    pub max_body_bytes: usize,
    /// Most bytes of one batch verification's lines in all (each line also at most
    /// `max_body_bytes`): every line decided is logged and its document kept.
    #[serde(default = "default_batch")]
    pub max_batch_bytes: usize,
    /// Most bytes of request bodies one client (IPv4 address, IPv6 /64) may have held in
    /// memory at once, all its bodies being read or decided together (at least
    /// `max_body_bytes`); further bodies are answered 503 `http.busy`.
    #[serde(default = "default_held_per_client")]
    pub max_body_bytes_held_per_client: usize,
    /// Most bytes of request bodies held in memory at once, all clients together (at least
    /// `max_body_bytes_held_per_client`).
    #[serde(default = "default_held")]
    pub max_body_bytes_held: usize,
    /// Most connections open at once; past it, the client holding most gives up an idle one
    /// to a client holding fewer (`server::connections`), or the newcomer is closed.
    #[serde(default = "default_connections")]
    pub max_connections: usize,
    /// Most connections one client (IPv4 address, IPv6 /64) may hold at once (never more
    /// than `max_connections`).
    #[serde(default = "default_connections_per_client")]
    pub max_connections_per_client: usize,
    /// A connection over which nothing moved for this long, with no request being handled,
    /// is closed (also one that never starts a request).
    #[serde(default = "default_idle")]
    pub idle_timeout_seconds: u64,
    /// Most HTTP/2 streams one connection may have open at once.
    #[serde(default = "default_streams")]
    pub http2_max_concurrent_streams: u32,
    #[serde(default = "default_timeout")]
    pub request_timeout_seconds: u64,
    /// Token-bucket rate for callers without a client certificate, per client (IPv4 address
    /// or IPv6 /64).
    #[serde(default = "default_rate")]
    pub public_rate_per_second: f64,
    #[serde(default = "default_burst")]
    pub public_burst: f64,
    /// Token-bucket rate for each authenticated identity (a partner body, an exporter, one
    /// customs or operator certificate), counted apart from the anonymous buckets.
    #[serde(default = "default_identity_rate")]
    pub identity_rate_per_second: f64,
    #[serde(default = "default_identity_burst")]
    pub identity_burst: f64,
}

fn default_identity_rate() -> f64 {
    20_000.0
}
fn default_identity_burst() -> f64 {
    40_000.0
}

fn default_rate() -> f64 {
    20.0
}
fn default_burst() -> f64 {
    100.0
}

fn default_body() -> usize {
    4 * 1024 * 1024
}
fn default_batch() -> usize {
    64 * 1024 * 1024
}
fn default_held_per_client() -> usize {
    64 * 1024 * 1024
}
fn default_held() -> usize {
    512 * 1024 * 1024
}
fn default_connections() -> usize {
    1024
}
fn default_connections_per_client() -> usize {
    128
}
fn default_idle() -> u64 {
    30
}
fn default_streams() -> u32 {
    128
}
fn default_timeout() -> u64 {
    30
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: default_body(),
            max_batch_bytes: default_batch(),
            max_body_bytes_held_per_client: default_held_per_client(),
            max_body_bytes_held: default_held(),
            max_connections: default_connections(),
            max_connections_per_client: default_connections_per_client(),
            idle_timeout_seconds: default_idle(),
            http2_max_concurrent_streams: default_streams(),
            request_timeout_seconds: default_timeout(),
            public_rate_per_second: default_rate(),
            public_burst: default_burst(),
            identity_rate_per_second: default_identity_rate(),
            identity_burst: default_identity_burst(),
        }
    }
}

impl LimitsConfig {
    /// Refuses limits that would turn every request away, or admit without limit.
    fn check(&self) -> Result<(), String> {
        let at_least_one = [
            ("max_body_bytes", self.max_body_bytes as u64),
            ("max_batch_bytes", self.max_batch_bytes as u64),
            ("max_connections", self.max_connections as u64),
            ("request_timeout_seconds", self.request_timeout_seconds),
            ("max_connections_per_client", self.max_connections_per_client as u64),
            ("idle_timeout_seconds", self.idle_timeout_seconds),
            ("http2_max_concurrent_streams", u64::from(self.http2_max_concurrent_streams)),
        ];
        if let Some((name, v)) = at_least_one.iter().find(|(_, v)| *v == 0) {
            return Err(format!("limits.{name} = {v}: must be at least 1"));
        }
        // And at most what the gateway can hold to (found by attack: a request timeout of
        // 2^63 seconds overflowed a connection's lifetime, ten of them, and every connection
        // panicked; a connection count past 2^61 panicked at start).
        let at_most = [
            ("max_body_bytes", self.max_body_bytes as u64, 1 << 30),
            ("max_batch_bytes", self.max_batch_bytes as u64, 1 << 40),
            ("max_body_bytes_held_per_client", self.max_body_bytes_held_per_client as u64, 1 << 40),
            ("max_body_bytes_held", self.max_body_bytes_held as u64, 1 << 40),
            ("max_connections", self.max_connections as u64, 1_000_000),
            ("max_connections_per_client", self.max_connections_per_client as u64, 1_000_000),
            ("request_timeout_seconds", self.request_timeout_seconds, 3_600),
            ("idle_timeout_seconds", self.idle_timeout_seconds, 86_400),
            ("http2_max_concurrent_streams", u64::from(self.http2_max_concurrent_streams), 65_536),
        ];
        if let Some((name, v, max)) = at_most.iter().find(|(_, v, max)| v > max) {
            return Err(format!("limits.{name} = {v}: must be at most {max}"));
        }
        // A line the batch may hold alone must fit in the batch (found by review: a line
        // between the two could never be batch-verified, and its answer said to send it in
        // another batch).
        if self.max_batch_bytes < self.max_body_bytes {
            return Err(format!(
                "limits.max_batch_bytes = {}: must be at least limits.max_body_bytes ({}), the longest line",
                self.max_batch_bytes, self.max_body_bytes
            ));
        }
        // A body the gateway takes must fit in what one client may hold, and that in all.
        if self.max_body_bytes_held_per_client < self.max_body_bytes {
            return Err(format!(
                "limits.max_body_bytes_held_per_client = {}: must be at least limits.max_body_bytes ({}), the largest body",
                self.max_body_bytes_held_per_client, self.max_body_bytes
            ));
        }
        if self.max_body_bytes_held < self.max_body_bytes_held_per_client {
            return Err(format!(
                "limits.max_body_bytes_held = {}: must be at least limits.max_body_bytes_held_per_client ({})",
                self.max_body_bytes_held, self.max_body_bytes_held_per_client
            ));
        }
        let buckets = [
            ("public", self.public_rate_per_second, self.public_burst),
            ("identity", self.identity_rate_per_second, self.identity_burst),
        ];
        for (who, rate, burst) in buckets {
            // A token at least every 1,000 s, so a refusal's Retry-After stays a time a client
            // can wait (found by attack: 1e-300 a second answered 2^64 - 1 seconds).
            if !(rate.is_finite() && (1e-3..=1e9).contains(&rate)) {
                return Err(format!(
                    "limits.{who}_rate_per_second = {rate}: must be a number from 0.001 to 1e9 (tokens a second per client)"
                ));
            }
            if !(burst.is_finite() && (1.0..=1e12).contains(&burst)) {
                return Err(format!("limits.{who}_burst = {burst}: must be a number from 1 (one request) to 1e12"));
            }
        }
        Ok(())
    }
}

impl Config {
    /// Reads a configuration file; relative paths are resolved against its folder.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = crate::files::configured_text(path)?;
        let mut config: Config = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        config.check().map_err(|e| format!("{}: {e}", path.display()))?;
        config.resolve(path.parent().unwrap_or(Path::new(".")));
        Ok(config)
    }

    /// What the types alone do not refuse; run on every configuration the gateway starts
    /// or reloads with, from a file or not.
    pub fn check(&self) -> Result<(), String> {
        let ms = self.log.commit_interval_ms;
        if !(0.0..=MAX_COMMIT_INTERVAL_MS).contains(&ms) {
            return Err(format!("log.commit_interval_ms = {ms}: must be from 0 to {MAX_COMMIT_INTERVAL_MS}"));
        }
        // The origin names the log's key in every checkpoint it signs.
        crate::ledger::checkpoint::check_key_name(&self.log.origin)
            .map_err(|e| format!("log.origin = {:?}: {e}", self.log.origin))?;
        if self.trust_list.signers.is_empty() && self.trust_list.signer_spki_sha256.is_empty() {
            return Err("trust_list.signers: name the trust-list operator's signing certificate(s) (or \
                        trust_list.signer_spki_sha256): without a pinned signer, anything under the operator \
                        anchor could sign a list"
                .into());
        }
        for pin in &self.trust_list.signer_spki_sha256 {
            if crate::trust::spki_pin(pin).is_none() {
                return Err(format!("trust_list.signer_spki_sha256 = {pin:?}: must be 64 hex digits (a SHA-256)"));
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, grant) in self.exporters.grant.iter().enumerate() {
            let at = format!("exporters.grant[{i}]");
            if grant.name.trim().is_empty() || !names.insert(grant.name.as_str()) {
                return Err(format!("{at}.name = {:?}: must be non-empty and unique", grant.name));
            }
            for h in &grant.holders {
                crate::ids::CreditCode::parse(h).map_err(|e| format!("{at}.holders: {e}"))?;
            }
            for b in &grant.bodies {
                crate::ids::ApprovalNo::parse(b).map_err(|e| format!("{at}.bodies: {e}"))?;
            }
        }
        for (body, roots) in &self.identities.partners {
            crate::ids::BodyId::parse(body).map_err(|e| format!("identities.partners.{body}: {e}"))?;
            if roots.is_empty() {
                return Err(format!("identities.partners.{body}: name at least one root"));
            }
        }
        let w = &self.witnessing;
        let (mut witnesses, mut keys) = (std::collections::BTreeSet::new(), std::collections::BTreeSet::new());
        for (i, witness) in w.witness.iter().enumerate() {
            let known = crate::ledger::cosignature::Witness::from_verifier_key(&witness.vkey)
                .map_err(|e| format!("witnessing.witness[{i}].vkey: {e}"))?;
            if !witnesses.insert(known.name) || !keys.insert(known.public_key) {
                return Err(format!("witnessing.witness[{i}]: a witness (its name or its key) is named twice"));
            }
            if !witness.url.starts_with("https://") || witness.url.parse::<hyper::Uri>().is_err() {
                return Err(format!("witnessing.witness[{i}].url = {:?}: must be an https:// URL", witness.url));
            }
        }
        // Each cosignature is a line of the published checkpoint, which verifiers read to
        // at most 100 lines (the log's own signature is one of them).
        if w.witness.len() > MAX_WITNESSES {
            return Err(format!(
                "witnessing.witness: {} witnesses; at most {MAX_WITNESSES} (a checkpoint carries at most {} signature lines)",
                w.witness.len(),
                crate::ledger::checkpoint::MAX_SIGNATURES
            ));
        }
        if w.required > w.witness.len() {
            return Err(format!(
                "witnessing.required = {}: only {} witness(es) are configured",
                w.required,
                w.witness.len()
            ));
        }
        if !w.witness.is_empty() && w.ca.is_empty() {
            return Err("witnessing.ca: name the roots the witnesses' TLS certificates chain to".into());
        }
        // At least a second (a witness's cosignature is timed to the second), at most a day.
        if !(1..=86_400).contains(&w.refresh_seconds) {
            return Err(format!("witnessing.refresh_seconds = {}: must be 1 to 86400", w.refresh_seconds));
        }
        // Signed into every credential as the base of its receipt link (found by attack: "not
        // a url" was signed as "not a url/v1/receipts/…").
        if let Some(url) = &self.public_url {
            let uri = url.parse::<hyper::Uri>().ok();
            // A host name or an address, and a port that is a number (found by re-test:
            // `https://localhost:abc` was signed into credentials).
            let host_ok = |host: &str| {
                (host.starts_with('[') && host.ends_with(']'))
                    || (!host.is_empty()
                        && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
                        && host
                            .split('.')
                            .all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-')))
            };
            let https = uri.as_ref().is_some_and(|u| {
                u.scheme_str() == Some("https")
                    && u.authority().is_some_and(|a| {
                        let port_given = a.as_str().rsplit_once(']').map_or(a.as_str(), |(_, rest)| rest).contains(':');
                        host_ok(a.host())
                            && !a.as_str().contains('@')
                            && (!port_given || a.port_u16().is_some_and(|p| p > 0))
                    })
                    && u.query().is_none()
            });
            if !https || url.contains('#') {
                return Err(format!(
                    "public_url = {url:?}: must be an https:// URL (a host, a port and a path at most; no user, query or fragment)"
                ));
            }
        }
        if let Some(url) = &self.store.url {
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                return Err("store.url: must be a postgres:// or postgresql:// URL".into());
            }
            crate::store::postgres::parse_url(url).map_err(|e| format!("store.url: {e}"))?;
        }
        self.limits.check()
    }

    fn resolve(&mut self, base: &Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        fix(&mut self.data_dir);
        fix(&mut self.tls.certificate);
        fix(&mut self.tls.key);
        self.tls.client_ca.iter_mut().for_each(fix);
        let ids = &mut self.identities;
        ids.operator.iter_mut().chain(&mut ids.customs).chain(&mut ids.exporter).for_each(fix);
        ids.partners.values_mut().flatten().for_each(fix);
        self.trust_list.signers.iter_mut().for_each(fix);
        fix(&mut self.signing.key);
        fix(&mut self.signing.certificate);
        self.signing.previous_certificates.iter_mut().for_each(fix);
        fix(&mut self.trust_list.file);
        fix(&mut self.trust_list.operator_anchor);
        self.trust_list.crls.iter_mut().for_each(fix);
        fix(&mut self.log.key);
        self.log.high_water_mark.iter_mut().for_each(fix);
        self.witnessing.ca.iter_mut().for_each(fix);
        for grant in &mut self.exporters.grant {
            grant.token_files.iter_mut().chain(&mut grant.certificates).for_each(fix);
        }
    }

    /// The public base URL, without a trailing slash.
    pub fn public_base(&self, bound: std::net::SocketAddr) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("https://localhost:{}", bound.port()),
        }
    }

    /// The demo configuration over `certs/demo/` (found from the working directory).
    pub fn demo(demo_dir: &Path, data_dir: &Path) -> Self {
        let d = |p: &str| demo_dir.join(p);
        Config {
            listen: "127.0.0.1:8443".into(),
            public_url: None,
            data_dir: data_dir.to_path_buf(),
            store: StoreConfig::default(),
            tls: Tls {
                certificate: d("server.pem"),
                key: d("server.key"),
                client_ca: ["ca.pem", "foreign/dakks/root.pem", "foreign/ukas/root.pem", "foreign/anab/root.pem"]
                    .map(d)
                    .to_vec(),
            },
            // The demo's one domestic root issues every domestic role; the partners' roots
            // yield only `partner:<body>`, through the trust list.
            identities: Identities {
                operator: vec![d("ca.pem")],
                customs: vec![d("ca.pem")],
                exporter: vec![d("ca.pem")],
                partners: Default::default(),
            },
            signing: Signing {
                key: d("signing.key"),
                certificate: d("signing.pem"),
                previous_certificates: Vec::new(),
            },
            trust_list: TrustListConfig {
                file: d("trust-list.xml"),
                operator_anchor: d("ca.pem"),
                signers: vec![d("trust-list-operator.pem")],
                signer_spki_sha256: Vec::new(),
                crls: ["crl/domestic.crl.pem", "foreign/dakks/crl.pem", "foreign/ukas/crl.pem", "foreign/anab/crl.pem"]
                    .map(d)
                    .to_vec(),
            },
            log: LogConfig {
                key: d("log.key"),
                origin: "demo.mrgate.example/log".into(),
                commit_interval_ms: default_commit_interval_ms(),
                high_water_mark: None,
                adopt: false,
            },
            exporters: Exporters {
                grant: vec![ExporterGrant {
                    name: "demo-exporter".into(),
                    token_files: vec![d("exporter.token")],
                    certificates: vec![d("clients/exporter.pem")],
                    holders: Vec::new(),
                    bodies: crate::pki::DEMO_DOMESTIC_CBS.iter().map(|(approval, _)| approval.to_string()).collect(),
                }],
            },
            limits: LimitsConfig::default(),
            events: Events::default(),
            witnessing: Witnessing::default(),
        }
    }
}
