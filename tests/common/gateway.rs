//! A client for the gateway over real TLS, with the demo PKI's client certificates, for the
//! tests that start a server.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use mrgate::server::config::Config;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::path::Path;
use std::sync::Arc;

pub const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/certs/demo");

/// The QMS fixture, issued by a CB that the demo trust list knows.
pub fn domestic_certificate() -> Vec<u8> {
    // Issued by CNCA-R-2002-001, named as the demo list holds it.
    include_str!("../data/cn-qms.xml")
        .replace("CNCA-R-2017-049", "CNCA-R-2002-001")
        .replace("<Name>示例认证有限公司</Name>", "<Name>中国质量认证中心</Name>")
        .replace(
            "<NameEn>Example Certification Co., Ltd.</NameEn>",
            "<NameEn>China Quality Certification Centre</NameEn>",
        )
        .into_bytes()
}

/// [`domestic_certificate`] with its dates moved to `years` from this year: issued on
/// 10 January, valid for three years (next year's is not yet in force).
pub fn domestic_certificate_dated(years: i32) -> Vec<u8> {
    let year = time::OffsetDateTime::now_utc().year() + years;
    String::from_utf8(domestic_certificate())
        .expect("utf8")
        .replace("<IssueDate>2025-01-10", &format!("<IssueDate>{year}-01-10"))
        .replace("<StatusDate>2025-01-10", &format!("<StatusDate>{year}-01-10"))
        .replace("<ExpiryDate>2028-01-09", &format!("<ExpiryDate>{}-01-09", year + 3))
        .into_bytes()
}

pub struct Response {
    pub status: u16,
    pub content_type: String,
    /// The `x-request-id` the gateway gave the request.
    pub request_id: String,
    pub headers: hyper::HeaderMap,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    /// An NDJSON body's lines (a batch's answers), each read as JSON.
    pub fn lines(&self) -> Vec<serde_json::Value> {
        ndjson(&self.body)
    }
}

/// The lines of an NDJSON text, blank ones left out, each read as JSON.
pub fn ndjson(body: &[u8]) -> Vec<serde_json::Value> {
    body.split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(l))))
        .collect()
}

/// A client identity: a certificate chain (leaf first) and its key.
pub struct Identity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

impl Identity {
    /// One of the demo's client certificates (`certs/demo/clients/NAME.pem`).
    pub fn demo(name: &str) -> Self {
        Self::from_pem(
            &std::fs::read_to_string(format!("{DEMO}/clients/{name}.pem")).expect("cert"),
            &std::fs::read_to_string(format!("{DEMO}/clients/{name}.key")).expect("key"),
        )
    }

    pub fn from_pem(cert: &str, key: &str) -> Self {
        let chain = CertificateDer::pem_slice_iter(cert.as_bytes()).map(|c| c.expect("cert")).collect();
        let key = PrivateKeyDer::from_pem_slice(key.as_bytes()).expect("key");
        Self { chain, key }
    }

    /// A client certificate claiming `role`, minted under the CA at `ca` (a demo path
    /// prefix such as `foreign/dakks/root`, whose `.pem` and `.key` are read).
    pub fn minted(ca: &str, role: &str) -> Self {
        let read = |ext: &str| std::fs::read_to_string(format!("{DEMO}/{ca}.{ext}")).expect("ca");
        let mut issuer = mrgate::pki::Ca::load(&read("pem"), &read("key")).expect("ca loads");
        let issued = issuer.issue(&mrgate::pki::LeafSpec::client(role)).expect("issue");
        Self::from_pem(&issued.pem(), &issued.key_pem())
    }
}

pub fn tls_client(client: Option<&str>) -> tokio_rustls::TlsConnector {
    tls_client_as(client.map(Identity::demo).as_ref())
}

pub fn tls_client_as(identity: Option<&Identity>) -> tokio_rustls::TlsConnector {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(format!("{DEMO}/ca.pem")).expect("ca") {
        roots.add(c.expect("cert")).expect("add");
    }
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots);
    let config = match identity {
        Some(id) => builder.with_client_auth_cert(id.chain.clone(), id.key.clone_key()).expect("client auth"),
        None => builder.with_no_client_auth(),
    };
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

pub async fn call(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    body: Vec<u8>,
    client: Option<&str>,
    bearer: Option<&str>,
) -> Response {
    let auth = bearer.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth.as_deref().map(|a| ("authorization", a)).into_iter().collect();
    call_with(addr, method, path, body, client, &headers).await
}

/// [`call`] with any request headers.
pub async fn call_with(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    body: Vec<u8>,
    client: Option<&str>,
    headers: &[(&str, &str)],
) -> Response {
    let identity = client.map(Identity::demo);
    try_call(addr, method, path, body, identity.as_ref(), headers).await.expect("call")
}

/// [`call`] as any client identity.
pub async fn call_as(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    body: Vec<u8>,
    identity: &Identity,
    bearer: Option<&str>,
) -> Response {
    let auth = bearer.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth.as_deref().map(|a| ("authorization", a)).into_iter().collect();
    try_call(addr, method, path, body, Some(identity), &headers).await.expect("call")
}

/// One request over a new TLS connection; `Err` says where it failed (the handshake
/// refusing the client certificate, say), or that no answer came in [`ANSWER_WITHIN`]: a
/// connection the gateway neither answers nor closes fails its test rather than hanging it
/// (seen once, at the refused handshake). A guard against hanging, not a timed assertion.
pub async fn try_call(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    body: Vec<u8>,
    identity: Option<&Identity>,
    headers: &[(&str, &str)],
) -> Result<Response, String> {
    let call = call_once(addr, method, path, body, identity, headers);
    tokio::time::timeout(ANSWER_WITHIN, call)
        .await
        .unwrap_or_else(|_| Err(format!("{method} {path}: neither answered nor closed in {ANSWER_WITHIN:?}")))
}

/// An error with every cause under it (hyper's says "connection error" and no more: the
/// TLS alert that closed the connection is its cause).
fn chain(e: &dyn std::error::Error) -> String {
    let mut said = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        said.push_str(&format!(": {c}"));
        cause = c.source();
    }
    said
}

/// How long [`try_call`] waits for an answer, or for the connection to close.
pub const ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_secs(120);

async fn call_once(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    body: Vec<u8>,
    identity: Option<&Identity>,
    headers: &[(&str, &str)],
) -> Result<Response, String> {
    let tcp = tokio::net::TcpStream::connect(addr).await.map_err(|e| format!("connect: {e}"))?;
    let tls = tls_client_as(identity)
        .connect(ServerName::try_from("localhost").expect("name"), tcp)
        .await
        .map_err(|e| format!("tls: {e}"))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
        .await
        .map_err(|e| format!("http handshake: {e}"))?;
    tokio::spawn(conn);
    let mut req = hyper::Request::builder().method(method).uri(path).header("host", "localhost");
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let resp = sender
        .send_request(req.body(Full::new(Bytes::from(body))).expect("request"))
        .await
        .map_err(|e| format!("send: {}", chain(&e)))?;
    let status = resp.status().as_u16();
    let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let (content_type, request_id) = (header("content-type"), header("x-request-id"));
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.map_err(|e| format!("body: {e}"))?.to_bytes().to_vec();
    Ok(Response { status, content_type, request_id, headers, body })
}

/// `mrgate.example.toml` as a test runs it: the demo's files by absolute path, a free port,
/// `data` as its data directory (what `mrgate … --config` reads).
pub fn example_config_text(data: &Path) -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let example = std::fs::read_to_string(format!("{root}/mrgate.example.toml")).expect("example");
    example
        .replace("\"certs/demo/", &format!("\"{root}/certs/demo/"))
        .replace("listen = \"127.0.0.1:8443\"", "listen = \"127.0.0.1:0\"")
        .replace("data_dir = \"mrgate-data\"", &format!("data_dir = \"{}\"", data.display()))
}

pub fn config(data: &Path) -> Config {
    let mut c = Config::demo(Path::new(DEMO), data);
    c.listen = "127.0.0.1:0".into();
    c
}

/// The gateway on `data`, loaded once the one before has let go of its store (its
/// connections' tasks may hold it a moment after a shutdown).
pub async fn load_when_released(data: &Path) -> Result<mrgate::server::App, String> {
    load_config_when_released(config(data)).await
}

/// [`load_when_released`] with a configuration of the test's.
pub async fn load_config_when_released(config: mrgate::server::config::Config) -> Result<mrgate::server::App, String> {
    for _ in 0..500 {
        match mrgate::server::App::load(config.clone()) {
            // A gateway let go of releases its store's lock and its mark's as its last
            // threads end.
            Err(e) if e.contains("in use by another mrgate process") || e.contains("another running gateway") => {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            other => return other,
        }
    }
    mrgate::server::App::load(config)
}

pub fn token() -> String {
    std::fs::read_to_string(format!("{DEMO}/exporter.token")).expect("token").trim().to_string()
}

/// While held, the store in `data` (a gateway's data directory) refuses one kind of write,
/// as a failing disk would: the gateway's own connection sees the trigger at its next
/// statement. Dropping it lets those writes in again.
pub struct Refusing(rusqlite::Connection);

impl Refusing {
    /// Refuses every new log entry.
    pub fn log(data: &Path) -> Self {
        Self::writes(data, "INSERT ON log_entry")
    }

    /// Refuses `what`, a trigger event such as `INSERT ON certificate`.
    pub fn writes(data: &Path, what: &str) -> Self {
        let db = rusqlite::Connection::open(data.join("mrgate.db")).expect("db");
        db.execute_batch(&format!("CREATE TRIGGER refuse BEFORE {what} BEGIN SELECT RAISE(ABORT, 'refused'); END;"))
            .expect("trigger");
        Self(db)
    }
}

impl Drop for Refusing {
    fn drop(&mut self) {
        // Not a panic: this may run while a failed test unwinds.
        let _ = self.0.execute_batch("DROP TRIGGER refuse");
    }
}

/// `c` with a gateway signing certificate of its own, valid from `not_before` to `not_after`,
/// issued by the demo root (as the demo's is) and written with its key to `dir`.
pub fn with_signer_valid(
    mut c: Config,
    dir: &Path,
    not_before: time::OffsetDateTime,
    not_after: time::OffsetDateTime,
) -> Config {
    use mrgate::pki::{Ca, KeyAlg, LeafSpec, Profile};
    let read = |name: &str| std::fs::read_to_string(format!("{DEMO}/{name}")).expect(name);
    let mut root = Ca::load(&read("ca.pem"), &read("ca.key")).expect("the demo root");
    let mut spec = LeafSpec::new("mrgate test gateway document signer", Profile::DocumentSigner);
    (spec.key_alg, spec.not_before, spec.not_after) = (KeyAlg::Ed25519, not_before, not_after);
    let signer = root.issue(&spec).expect("signer");
    c.signing.key = dir.join("signing.key");
    c.signing.certificate = dir.join("signing.pem");
    std::fs::write(&c.signing.key, signer.key_pem()).expect("key");
    std::fs::write(&c.signing.certificate, signer.pem()).expect("certificate");
    c
}

/// A request body fed through a channel: sent as the test says, ended when the sender goes.
pub struct Fed(pub tokio::sync::mpsc::Receiver<bytes::Bytes>);

impl hyper::body::Body for Fed {
    type Data = bytes::Bytes;
    type Error = std::convert::Infallible;
    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<bytes::Bytes>, Self::Error>>> {
        self.0.poll_recv(cx).map(|b| b.map(|b| Ok(hyper::body::Frame::data(b))))
    }
}
