//! A small HTTPS client for the command line's calls to a running gateway (`log audit
//! --url`, `rules install`): one kept-alive HTTP/1.1 connection, TLS with the CA given (no
//! system roots: the caller names whom it trusts), an optional client certificate, and a
//! cap on what an answer may weigh.
//!
//! What it must never do: follow a redirect elsewhere, or take an answer it did not read
//! whole as the whole answer.

use crate::audit::Source;
use crate::store::{StoreError, TableVersion, TrustListVersion};
use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The most an answer may weigh (a national trust list is a few MB).
const MAX_ANSWER: usize = 64 * 1024 * 1024;
/// The longest one request may take, connecting included: a gateway that stalls or trickles
/// fails the command rather than hanging it.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// The most versions of a rule document an audit fetches.
const MAX_VERSIONS: usize = 10_000;

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

/// A client of one gateway.
pub struct Client {
    host: String,
    port: u16,
    connector: tokio_rustls::TlsConnector,
    runtime: tokio::runtime::Runtime,
    connection: Mutex<Option<Sender>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Client({}:{})", self.host, self.port)
    }
}

/// An answer: its status and body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Client {
    /// A client of the gateway at `url` (`https://host[:port]`), trusting the CA
    /// certificates in `ca`, showing `identity` (certificate chain and key, PEM) if given.
    pub fn new(url: &str, ca: Option<&Path>, identity: Option<(&Path, &Path)>) -> Result<Self, String> {
        let uri: hyper::Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
        if uri.scheme_str() != Some("https") {
            return Err(format!("{url}: the gateway is reached over https"));
        }
        if uri.path() != "/" && !uri.path().is_empty() {
            return Err(format!("{url}: give the gateway's base URL, without a path"));
        }
        let host = uri.host().ok_or_else(|| format!("{url}: no host"))?.trim_matches(['[', ']']).to_string();
        let port = uri.port_u16().unwrap_or(443);
        let ca = ca.ok_or("--ca: name the CA certificate the gateway's TLS certificate chains to")?;
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(ca).map_err(|e| format!("{}: {e}", ca.display()))? {
            roots
                .add(cert.map_err(|e| format!("{}: {e}", ca.display()))?)
                .map_err(|e| format!("{}: {e}", ca.display()))?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots);
        let config = match identity {
            Some((cert, key)) => {
                let chain = CertificateDer::pem_file_iter(cert)
                    .map_err(|e| format!("{}: {e}", cert.display()))?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| format!("{}: {e}", cert.display()))?;
                let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
                builder.with_client_auth_cert(chain, key).map_err(|e| e.to_string())?
            }
            None => builder.with_no_client_auth(),
        };
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
        Ok(Self {
            host,
            port,
            connector: tokio_rustls::TlsConnector::from(Arc::new(config)),
            runtime,
            connection: Mutex::new(None),
        })
    }

    async fn connect(&self) -> Result<Sender, String> {
        let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| format!("{}:{}: {e}", self.host, self.port))?;
        let name = ServerName::try_from(self.host.clone()).map_err(|e| e.to_string())?;
        let tls = self.connector.connect(name, tcp).await.map_err(|e| format!("TLS: {e}"))?;
        let (sender, connection) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
            .await
            .map_err(|e| format!("HTTP: {e}"))?;
        tokio::spawn(connection);
        Ok(sender)
    }

    /// One request; the connection is kept for the next, and made again once if it closed.
    pub fn call(&self, method: &str, path: &str, content_type: &str, body: Vec<u8>) -> Result<Answer, String> {
        let mut held = self.connection.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let exchange = async {
            let mut attempts = 0;
            loop {
                attempts += 1;
                let mut sender = match held.take() {
                    Some(s) if !s.is_closed() => s,
                    _ => self.connect().await?,
                };
                let request = hyper::Request::builder()
                    .method(method)
                    .uri(path)
                    .header(hyper::header::HOST, format!("{}:{}", self.host, self.port))
                    .header(hyper::header::CONTENT_TYPE, content_type)
                    .body(Full::new(Bytes::from(body.clone())))
                    .map_err(|e| e.to_string())?;
                let response = match sender.send_request(request).await {
                    Ok(r) => r,
                    // A kept connection the gateway closed meanwhile: once more, afresh.
                    Err(_) if attempts < 2 => continue,
                    Err(e) => return Err(format!("{method} {path}: {e}")),
                };
                let status = response.status().as_u16();
                let body = Limited::new(response.into_body(), MAX_ANSWER)
                    .collect()
                    .await
                    .map_err(|e| format!("{method} {path}: the answer: {e}"))?
                    .to_bytes()
                    .to_vec();
                *held = Some(sender);
                return Ok(Answer { status, body });
            }
        };
        self.runtime.block_on(async {
            tokio::time::timeout(REQUEST_TIMEOUT, exchange)
                .await
                .unwrap_or_else(|_| Err(format!("{method} {path}: no whole answer within {REQUEST_TIMEOUT:?}")))
        })
    }

    pub fn get(&self, path: &str) -> Result<Answer, String> {
        self.call("GET", path, "application/octet-stream", Vec::new())
    }

    /// A `GET` that must answer 200, as text.
    pub fn get_text(&self, path: &str) -> Result<String, String> {
        let answer = self.get(path)?;
        if answer.status != 200 {
            return Err(format!("GET {path}: {} {}", answer.status, String::from_utf8_lossy(&answer.body)));
        }
        String::from_utf8(answer.body).map_err(|_| format!("GET {path}: the answer is not UTF-8"))
    }

    /// A `GET` that must answer 200 with JSON.
    pub fn get_json(&self, path: &str) -> Result<serde_json::Value, String> {
        serde_json::from_str(&self.get_text(path)?).map_err(|e| format!("GET {path}: not JSON: {e}"))
    }
}

/// A gateway's log as an audit reads it over the API, up to `size` entries (the checkpoint's).
pub struct RemoteLog<'a> {
    pub client: &'a Client,
    pub size: u64,
    /// `GET /v1/rules`, read once.
    pub rules: std::sync::OnceLock<serde_json::Value>,
}

impl std::fmt::Debug for RemoteLog<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RemoteLog({:?}, {})", self.client, self.size)
    }
}

fn fetch_error(e: String) -> StoreError {
    StoreError::Database(e)
}

fn field<'v>(v: &'v serde_json::Value, name: &str) -> Result<&'v serde_json::Value, StoreError> {
    v.get(name).ok_or_else(|| StoreError::Database(format!("the gateway's answer has no '{name}'")))
}

fn text(v: &serde_json::Value, name: &str) -> Result<String, StoreError> {
    field(v, name)?.as_str().map(str::to_string).ok_or_else(|| StoreError::Database(format!("'{name}' is not text")))
}

fn number(v: &serde_json::Value, name: &str) -> Result<u64, StoreError> {
    field(v, name)?.as_u64().ok_or_else(|| StoreError::Database(format!("'{name}' is not a number")))
}

/// A path segment, percent-encoded (an issuer or number may hold any character).
fn segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One version of a rule document as the gateway lists and serves it.
struct Fetched {
    sequence: u64,
    digest: String,
    installed_at: String,
    label: String,
    document: Vec<u8>,
}

impl RemoteLog<'_> {
    /// Every version of one rule document the gateway lists, each fetched by sequence.
    fn versions(&self, list: &str, path: &str) -> Result<Vec<Fetched>, StoreError> {
        let rules = match self.rules.get() {
            Some(r) => r,
            None => {
                let read = self.client.get_json("/v1/rules").map_err(fetch_error)?;
                self.rules.get_or_init(|| read)
            }
        };
        let versions = field(rules, list)?.as_array().cloned().unwrap_or_default();
        if versions.len() > MAX_VERSIONS {
            return Err(StoreError::Database(format!(
                "the gateway lists {} {list}, more than {MAX_VERSIONS}",
                versions.len()
            )));
        }
        let mut out = Vec::new();
        for v in versions {
            let sequence = number(&v, "sequence")?;
            let answer = self.client.get(&format!("/v1/rules/{path}/{sequence}")).map_err(fetch_error)?;
            if answer.status != 200 {
                return Err(StoreError::Database(format!("{path} {sequence}: answered {}", answer.status)));
            }
            let label = v.get("version").and_then(|l| l.as_str()).unwrap_or_default().to_string();
            out.push(Fetched {
                sequence,
                digest: text(&v, "digest")?,
                installed_at: text(&v, "installed_at")?,
                label,
                document: answer.body,
            });
        }
        Ok(out)
    }
}

impl Source for RemoteLog<'_> {
    fn log_size(&self) -> Result<u64, StoreError> {
        Ok(self.size)
    }

    fn log_entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut out = Vec::new();
        while start + (out.len() as u64) < end {
            let from = start + out.len() as u64;
            let page = self.client.get_json(&format!("/v1/log/entries?start={from}&end={end}")).map_err(fetch_error)?;
            let entries = field(&page, "entries")?.as_array().cloned().unwrap_or_default();
            if entries.is_empty() {
                return Err(StoreError::Database(format!("the gateway has no entry {from}")));
            }
            for e in entries {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(text(&e, "entry")?)
                    .map_err(|_| StoreError::Database("an entry is not base64".into()))?;
                out.push(bytes);
            }
        }
        out.truncate((end - start) as usize);
        Ok(out)
    }

    fn kept_document(&self, digest: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let answer = self.client.get(&format!("/v1/log/documents/{}", segment(digest))).map_err(fetch_error)?;
        match answer.status {
            200 => Ok(Some(answer.body)),
            404 => Ok(None),
            // Withheld while its PT round is open: said as such, for the audit to count.
            403 if String::from_utf8_lossy(&answer.body).contains("\"pt.round_open\"") => {
                Err(StoreError::Conflict { reason: "pt.round_open", message: format!("document sha256:{digest}") })
            }
            other => Err(StoreError::Database(format!(
                "document sha256:{digest}: answered {other} {}",
                String::from_utf8_lossy(&answer.body)
            ))),
        }
    }

    fn trust_lists(&self) -> Result<Vec<TrustListVersion>, StoreError> {
        Ok(self
            .versions("trust_lists", "trust-list")?
            .into_iter()
            .map(|f| TrustListVersion {
                sequence: f.sequence,
                digest: f.digest,
                installed_at: f.installed_at,
                document: f.document,
            })
            .collect())
    }

    fn equivalence_tables(&self) -> Result<Vec<TableVersion>, StoreError> {
        Ok(self
            .versions("equivalence_tables", "equivalence-table")?
            .into_iter()
            .map(|f| TableVersion {
                sequence: f.sequence,
                digest: f.digest,
                label: f.label,
                installed_at: f.installed_at,
                document: f.document,
            })
            .collect())
    }
}
