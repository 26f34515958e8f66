//! A witness over HTTPS (hyper, rustls): c2sp.org/tlog-witness's `POST /add-checkpoint`
//! (the submission prefix is the server's root), and `GET /` or `GET /healthz` describing the
//! witness as JSON — its name, its verifier key, the logs it watches and the size it last
//! cosigned for each.
//!
//! Answers are what the spec says: the cosignature line(s) as `text/plain` (200); a stale old
//! size as 409 `text/x.tlog.size` with exactly the size last cosigned and a newline; every
//! other refusal as `text/plain`, `<reason code>: <why>` and a newline, with its status. A
//! body over [`MAX_BODY_BYTES`] is 413; other paths 404, other methods 405. Connections are
//! kept alive between requests, at most [`MAX_CONNECTIONS_PER_CLIENT`] from one client, and
//! closed once idle; when all [`MAX_CONNECTIONS`] are taken, the client holding most gives one
//! up to a client holding fewer, as the gateway's do (`server::connections`).
//!
//! [`start`] runs a witness inside the caller's tokio runtime (the gateway's `serve --demo`
//! starts one beside itself; tests start one on 127.0.0.1:0) and gives back its address and a
//! [`Running`] handle to stop it; [`serve`] is `mrgate witness serve`, which owns its runtime
//! and stops on SIGTERM or Ctrl-C. This module moves requests and answers; it decides
//! nothing (the [`Cosigner`] does) and never answers a cosignature the state has not kept.

use super::config::{Config, Tls};
use super::cosigner::{Cosigner, OpenError, Refusal};
use crate::server::connections::{Open, Slot, Watched};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode, header};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The largest `add-checkpoint` body read: a request is an old size, at most 63 proof hashes
/// and a checkpoint of a few lines, far below this.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// A body over the limit is read on and thrown away up to this much before the 413 goes
/// out, so that the client, still sending, reads the answer instead of a reset connection.
const MAX_DRAINED_BYTES: usize = 64 * MAX_BODY_BYTES;
/// Connections open at once; past it, a newcomer takes an idle place from the client holding
/// most, or is closed on arrival. A witness's clients are a few logs and monitors.
pub const MAX_CONNECTIONS: usize = 256;
/// Connections one client (an IPv4 address or an IPv6 /64, as the gateway counts them) may
/// hold at once: one address holding every place would stop the witness cosigning for
/// every log (found by review: 256 connections kept alive from one address froze a
/// gateway's published checkpoint). More from it are closed on arrival, before any TLS work.
pub const MAX_CONNECTIONS_PER_CLIENT: usize = 16;
/// A connection over which no byte moved for this long, with no request being answered,
/// is closed: a log sends a checkpoint every few seconds at most, and comes back.
const IDLE: Duration = Duration::from_secs(30);
/// A TLS handshake, a request's headers and a request's body must each arrive in this time.
const TIMEOUT: Duration = Duration::from_secs(10);
/// However busy, a connection is closed (between requests) after this long, so that idle
/// keep-alive connections do not hold their place forever.
const CONNECTION_LIFETIME: Duration = Duration::from_secs(120);
/// On stop, open connections get this long to finish the request they are answering.
const GRACE: Duration = Duration::from_secs(5);

/// Why a witness could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error("{}: {why}", path.display())]
    Tls { path: PathBuf, why: String },
    #[error("cannot listen on {listen}: {why}")]
    Listen { listen: String, why: String },
    #[error("cannot start: {0}")]
    Runtime(String),
}

impl ServeError {
    pub fn code(&self) -> &'static str {
        match self {
            ServeError::Open(e) => e.code(),
            ServeError::Tls { .. } | ServeError::Listen { .. } | ServeError::Runtime(_) => "witness.config",
        }
    }
}

/// A witness being served. Dropping it stops the server too, without waiting.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    cosigner: Arc<Cosigner>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The witness's verifier key: what its clients check cosignatures with.
    pub fn verifier_key(&self) -> String {
        self.cosigner.verifier_key()
    }

    /// The witness itself: its state, its evidence.
    pub fn cosigner(&self) -> &Arc<Cosigner> {
        &self.cosigner
    }

    /// Stops accepting, lets open connections finish their request (up to 5 s), and returns
    /// once the state is released (unless the caller holds the [`Cosigner`] too): another
    /// witness may then open the same data directory.
    pub async fn stop(self) {
        let Running { stop, task, cosigner, .. } = self;
        let _ = stop.send(true);
        let _ = task.await;
        drop(cosigner);
    }
}

/// The server's TLS configuration: `tls.certificate` (a PEM chain) and `tls.key` (PKCS#8
/// PEM); TLS 1.3 and 1.2; HTTP/2 and HTTP/1.1 by ALPN; no client certificates (the spec
/// authenticates requests by the log's signature alone).
pub fn tls_config(tls: &Tls) -> Result<Arc<rustls::ServerConfig>, ServeError> {
    use rustls::pki_types::PrivateKeyDer;
    use rustls::pki_types::pem::PemObject;
    let failed = |path: &Path, why: String| ServeError::Tls { path: path.into(), why };
    let read = crate::files::configured;
    let bytes = read(&tls.certificate).map_err(|why| failed(&tls.certificate, why))?;
    let chain = crate::crypto::x509::read_certificates(&bytes).map_err(|e| failed(&tls.certificate, e.to_string()))?;
    let key = PrivateKeyDer::from_pem_slice(&read(&tls.key).map_err(|why| failed(&tls.key, why))?)
        .map_err(|e| failed(&tls.key, format!("not a PEM private key: {e}")))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| failed(&tls.certificate, e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| failed(&tls.certificate, format!("the certificate and key: {e}")))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Opens the witness `config` describes (key, state, TLS) and serves it on `config.listen`,
/// in the current tokio runtime.
pub async fn start(config: &Config) -> Result<Running, ServeError> {
    let tls = tls_config(&config.tls)?;
    let cosigner = Arc::new(Cosigner::open(config)?);
    start_with(cosigner, &config.listen, tls).await
}

/// Serves `cosigner` on `listen` with `tls`, in the current tokio runtime.
pub async fn start_with(
    cosigner: Arc<Cosigner>,
    listen: &str,
    tls: Arc<rustls::ServerConfig>,
) -> Result<Running, ServeError> {
    let failed = |e: std::io::Error| ServeError::Listen { listen: listen.into(), why: e.to_string() };
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(failed)?;
    let addr = listener.local_addr().map_err(failed)?;
    let (stop, stopping) = watch::channel(false);
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let serving = Arc::clone(&cosigner);
    let open = Open::new(MAX_CONNECTIONS, MAX_CONNECTIONS_PER_CLIENT, TIMEOUT);
    let task = tokio::spawn(async move {
        let mut connections = tokio::task::JoinSet::new();
        let stopped = stopped(stopping.clone());
        tokio::pin!(stopped);
        loop {
            tokio::select! {
                () = &mut stopped => break,
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
                accepted = listener.accept() => {
                    let Ok((tcp, peer)) = accepted else {
                        // Out of descriptors, say: wait rather than spin.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    };
                    // When all places are taken, the client holding most gives one up.
                    let Ok(admitted) = open.admit(peer.ip()) else { continue };
                    let (acceptor, cosigner, stopping) = (acceptor.clone(), Arc::clone(&serving), stopping.clone());
                    connections.spawn(connection(tcp, admitted.slot, acceptor, cosigner, stopping));
                }
            }
        }
        drop(listener);
        // Each connection saw the stop too, and is finishing its request.
        let finished = async { while connections.join_next().await.is_some() {} };
        if tokio::time::timeout(GRACE + TIMEOUT, finished).await.is_err() {
            connections.shutdown().await;
        }
    });
    Ok(Running { addr, cosigner, stop, task })
}

/// Resolves once the witness is told to stop, or its [`Running`] handle is gone.
async fn stopped(mut stopping: watch::Receiver<bool>) {
    let _ = stopping.wait_for(|stop| *stop).await;
}

async fn connection(
    tcp: tokio::net::TcpStream,
    slot: Slot,
    acceptor: tokio_rustls::TlsAcceptor,
    cosigner: Arc<Cosigner>,
    stopping: watch::Receiver<bool>,
) {
    // Answers go out whole; Nagle's algorithm would only hold back their last segment.
    let _ = tcp.set_nodelay(true);
    let activity = Arc::clone(slot.activity());
    let stream = tokio::select! {
        shaken = tokio::time::timeout(TIMEOUT, acceptor.accept(tcp)) => match shaken {
            Ok(Ok(stream)) => stream,
            _ => return,
        },
        () = activity.evicted() => return,
    };
    let watching = Arc::clone(&activity);
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let cosigner = Arc::clone(&cosigner);
        let handling = watching.handling();
        async move {
            let answer = answer(cosigner, request).await;
            drop(handling);
            Ok::<_, std::convert::Infallible>(answer)
        }
    });
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(TIMEOUT).keep_alive(true);
    builder.http2().timer(TokioTimer::new()).max_concurrent_streams(32).max_header_list_size(16 * 1024);
    let connection = builder.serve_connection(TokioIo::new(Watched::new(stream, Arc::clone(&activity))), service);
    tokio::pin!(connection);
    let stop = stopped(stopping);
    tokio::pin!(stop);
    let ends = tokio::time::Instant::now() + CONNECTION_LIFETIME;
    loop {
        tokio::select! {
            _ = connection.as_mut() => return,
            () = &mut stop => break,
            // Told to make room (it answers no request): closed at once.
            () = activity.evicted() => return,
            () = tokio::time::sleep(Duration::from_secs(1)) => {
                if tokio::time::Instant::now() >= ends || activity.idle_for(IDLE) {
                    break;
                }
            }
        }
    }
    connection.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(GRACE, connection).await;
}

type Answer = Response<Full<Bytes>>;

fn text(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Answer {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static(content_type));
    response
}

/// A refusal that is not the protocol's: `<code>: <why>`.
fn refused(status: StatusCode, code: &str, why: impl std::fmt::Display) -> Answer {
    text(status, "text/plain; charset=utf-8", format!("{code}: {why}\n"))
}

async fn answer(cosigner: Arc<Cosigner>, request: Request<Incoming>) -> Answer {
    let path = request.uri().path().to_owned();
    match (request.method(), path.as_str()) {
        (&Method::POST, "/add-checkpoint") => add_checkpoint(cosigner, request).await,
        (&Method::GET, "/" | "/healthz") => describe(cosigner).await,
        (_, "/add-checkpoint" | "/" | "/healthz") => {
            let allow = if path == "/add-checkpoint" { "POST" } else { "GET" };
            let mut response =
                refused(StatusCode::METHOD_NOT_ALLOWED, "http.method", format!("{path} answers {allow} only"));
            response.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static(allow));
            response
        }
        _ => refused(StatusCode::NOT_FOUND, "http.not_found", "a witness answers POST /add-checkpoint and GET /"),
    }
}

async fn add_checkpoint(cosigner: Arc<Cosigner>, request: Request<Incoming>) -> Answer {
    let body = match read_body(request.into_body()).await {
        Ok(body) => body,
        Err(answer) => return answer,
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    // The state's transaction waits on the disk (synchronous = FULL): off the async workers.
    let outcome = tokio::task::spawn_blocking(move || {
        let outcome = cosigner.add_checkpoint(&body, now);
        if let Err(refusal @ (Refusal::Proof { .. } | Refusal::Inconsistent { .. })) = &outcome {
            tracing::warn!(
                reason = refusal.code(),
                "witness: a log's checkpoint was refused and kept as evidence: {refusal}"
            );
        }
        outcome
    })
    .await;
    match outcome {
        Ok(Ok(cosignature)) => text(StatusCode::OK, "text/plain; charset=utf-8", cosignature),
        // The spec's answer to a stale old size: the size last cosigned, and nothing else.
        Ok(Err(Refusal::SizeMismatch { stored, .. })) => {
            text(StatusCode::CONFLICT, "text/x.tlog.size", format!("{stored}\n"))
        }
        Ok(Err(refusal)) => {
            let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            refused(status, refusal.code(), &refusal)
        }
        Err(_) => refused(StatusCode::INTERNAL_SERVER_ERROR, "http.internal", "the witness failed on this request"),
    }
}

/// The request body, whole, or the answer that refuses it.
async fn read_body(mut body: Incoming) -> Result<Bytes, Answer> {
    let too_large =
        || refused(StatusCode::PAYLOAD_TOO_LARGE, "http.too_large", format!("the body is over {MAX_BODY_BYTES} bytes"));
    // A body declared larger than what is drained is still read up to that much (below),
    // so that the client, still sending, reads the 413 rather than a reset (found by
    // review: a 2 MB body was answered with a reset stream).
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    let mut whole = bytes::BytesMut::new();
    let mut seen = 0usize;
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => {
                return Err(refused(
                    StatusCode::REQUEST_TIMEOUT,
                    "http.request_timeout",
                    "the body did not arrive in time",
                ));
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => return Err(refused(StatusCode::BAD_REQUEST, "witness.request", e)),
            Ok(Some(Ok(frame))) => frame,
        };
        let Some(data) = frame.data_ref() else { continue };
        seen = seen.saturating_add(data.len());
        if seen > MAX_DRAINED_BYTES {
            return Err(too_large());
        }
        if seen <= MAX_BODY_BYTES {
            whole.extend_from_slice(data);
        }
    }
    if seen > MAX_BODY_BYTES { Err(too_large()) } else { Ok(whole.freeze()) }
}

/// The witness as JSON; 503 when its state cannot be read.
async fn describe(cosigner: Arc<Cosigner>) -> Answer {
    let described = tokio::task::spawn_blocking(move || {
        let mut logs = Vec::new();
        for log in cosigner.logs() {
            let latest = cosigner.latest(&log.origin)?;
            logs.push(serde_json::json!({
                "origin": log.origin,
                "vkey": log.vkey,
                "cosigned_size": latest.map(|c| c.size),
            }));
        }
        Ok::<_, super::state::StateError>(serde_json::json!({
            "witness": cosigner.witness().name,
            "verifier_key": cosigner.verifier_key(),
            "protocol": "https://c2sp.org/tlog-witness",
            "add_checkpoint": "/add-checkpoint",
            "logs": logs,
        }))
    })
    .await;
    match described {
        Ok(Ok(value)) => {
            let mut body = serde_json::to_vec_pretty(&value).unwrap_or_default();
            body.push(b'\n');
            text(StatusCode::OK, "application/json", body)
        }
        Ok(Err(e)) => refused(StatusCode::SERVICE_UNAVAILABLE, e.code(), e),
        Err(_) => refused(StatusCode::INTERNAL_SERVER_ERROR, "http.internal", "the witness failed on this request"),
    }
}

/// `mrgate witness serve`: serves `config` until SIGTERM or Ctrl-C, then stops, letting open
/// requests finish. `banner` is told the running witness once it listens.
pub fn serve(config: &Config, banner: impl FnOnce(&Running)) -> Result<(), ServeError> {
    use tokio::signal::unix::{SignalKind, signal};
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| ServeError::Runtime(e.to_string()))?;
    runtime.block_on(async {
        let mut term = signal(SignalKind::terminate()).map_err(|e| ServeError::Runtime(e.to_string()))?;
        let running = start(config).await?;
        banner(&running);
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        running.stop().await;
        Ok(())
    })
}
