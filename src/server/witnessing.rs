//! Getting the log's checkpoints cosigned by its witnesses (c2sp.org/tlog-witness), so that
//! what this gateway publishes is a history its witnesses have each checked extends every
//! earlier one they saw: nobody has to trust the gateway alone.
//!
//! A task submits the log's latest checkpoint to every configured witness (`add-checkpoint`:
//! the size it last cosigned for us, the consistency proof from there, the checkpoint),
//! keeps each valid cosignature a witness returns, and once `[witnessing] required` of them
//! vouch for one checkpoint, that checkpoint with its cosignatures is what
//! `/v1/log/checkpoint` publishes and what receipts read back later are proved against.
//! Decisions never wait for it: a decision's own receipt is proved against the log's own
//! latest checkpoint at once, and a witnessed one follows within a round trip to the
//! witnesses (measured: see the README's "Trusting the record").
//!
//! What it must never do: publish as witnessed a checkpoint fewer than `required` configured
//! witnesses vouch for, or keep a cosignature line it has not verified.

use super::config::Witnessing as WitnessingConfig;
use crate::ledger::cosignature::Witness;
use crate::ledger::durable::DurableLog;
use crate::witness::request::AddCheckpoint;
use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use std::sync::{Arc, RwLock};

/// A checkpoint as published with its witnesses' cosignatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witnessed {
    /// The signed note: the log's signature, then each cosignature line.
    pub note: String,
    pub size: u64,
    /// The witnesses whose cosignatures it carries, by name.
    pub vouched: Vec<String>,
}

/// One witness the gateway asks.
#[derive(Debug, Clone)]
pub struct Asked {
    pub witness: Witness,
    /// Its submission prefix (`https://…`); requests go to `<url>/add-checkpoint`.
    pub url: String,
}

/// The policy, and the latest checkpoint it was met for.
#[derive(Debug)]
pub struct Cosigning {
    pub required: usize,
    pub witnesses: Vec<Asked>,
    /// How often a checkpoint already cosigned is asked about again while the log does not
    /// grow (`witnessing.refresh_seconds`).
    refresh: std::time::Duration,
    roots: Vec<rustls::pki_types::CertificateDer<'static>>,
    latest: RwLock<Option<Arc<Witnessed>>>,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
enum AskError {
    #[error("{0}")]
    Transport(String),
    /// The witness holds another size for this log (409 `text/x.tlog.size`).
    #[error("the witness last cosigned size {0}")]
    Size(u64),
    #[error("the witness refused: {status} {body}")]
    Refused { status: u16, body: String },
    /// The witness holds a checkpoint of this log that this checkpoint does not extend: the
    /// consistency proof from it does not verify (422, c2sp.org/tlog-witness), or it has
    /// this size and another root (409 without a size).
    #[error("the witness says this checkpoint does not extend the one it cosigned: {status} {body}")]
    SplitView { status: u16, body: String },
}

impl Cosigning {
    /// The policy a configuration names (checked by [`super::config::Config::check`]).
    pub fn new(config: &WitnessingConfig) -> Result<Self, String> {
        let witnesses = config
            .witness
            .iter()
            .map(|w| {
                let witness = Witness::from_verifier_key(&w.vkey).map_err(|e| format!("witnessing.witness: {e}"))?;
                Ok(Asked { witness, url: w.url.trim_end_matches('/').to_string() })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let mut roots = Vec::new();
        for path in &config.ca {
            // Read as every configured file is (found by attack: /dev/zero aborted the start,
            // a FIFO hung it).
            let bytes = crate::files::configured(path).map_err(|e| format!("witnessing.ca {e}"))?;
            let certs = crate::crypto::x509::read_certificates(&bytes)
                .map_err(|e| format!("witnessing.ca {}: {e}", path.display()))?;
            roots.extend(certs);
        }
        let refresh = std::time::Duration::from_secs(config.refresh_seconds);
        Ok(Self { required: config.required, witnesses, refresh, roots, latest: RwLock::new(None) })
    }

    /// Whether checkpoints are published only once witnessed.
    pub fn witnessed_only(&self) -> bool {
        self.required > 0
    }

    /// The latest checkpoint `required` witnesses cosigned, if any yet.
    pub fn latest(&self) -> Option<Arc<Witnessed>> {
        self.latest.read().ok()?.clone()
    }

    fn publish(&self, witnessed: Witnessed) {
        if let Ok(mut latest) = self.latest.write()
            && latest.as_ref().is_none_or(|l| l.size <= witnessed.size)
        {
            *latest = Some(Arc::new(witnessed));
        }
    }

    fn connector(&self) -> Result<tokio_rustls::TlsConnector, String> {
        let mut store = rustls::RootCertStore::empty();
        for root in &self.roots {
            store.add(root.clone()).map_err(|e| format!("witnessing.ca: {e}"))?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(store)
            .with_no_client_auth();
        Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
    }

    /// Asks the witnesses to cosign the log's checkpoints, a round whenever the log has a
    /// checkpoint newer than the last one cosigned, and again every `refresh` while it has
    /// not (a witness cosigns a checkpoint it holds again, with a new time), until the task
    /// is aborted.
    pub async fn cosign_forever(self: Arc<Self>, log: Arc<DurableLog>) {
        let connector = match self.connector() {
            Ok(c) => c,
            Err(e) => return tracing::error!("no witness will be asked: {e}"),
        };
        // What each witness last cosigned for this log, as far as this node knows.
        let mut held: Vec<u64> = vec![0; self.witnesses.len()];
        let mut asked = None;
        let mut cosigned_at = std::time::Instant::now();
        let mut pause = ROUND_EVERY;
        loop {
            // The log's own newest checkpoint (on a shared store, its follower keeps it up with
            // the other nodes' entries).
            let note = log.checkpoint().ok();
            let size = note.as_deref().and_then(note_size);
            match (note, size) {
                (Some(note), Some(size)) if asked != Some(size) || cosigned_at.elapsed() >= self.refresh => {
                    let started = std::time::Instant::now();
                    if let Some(witnessed) = self.round(&connector, &log, &note, size, &mut held).await {
                        tracing::info!(
                            size,
                            witnesses = witnessed.vouched.len(),
                            cosigning_ms = started.elapsed().as_secs_f64() * 1000.0,
                            "checkpoint cosigned"
                        );
                        self.publish(witnessed);
                        (asked, cosigned_at) = (Some(size), std::time::Instant::now());
                        pause = ROUND_EVERY;
                    } else {
                        pause = (pause * 2).min(MAX_BACKOFF);
                    }
                }
                _ => {}
            }
            tokio::time::sleep(pause).await;
        }
    }

    /// One round: every witness asked about `note` at once; the cosigned checkpoint when
    /// enough vouch for it.
    async fn round(
        &self,
        connector: &tokio_rustls::TlsConnector,
        log: &Arc<DurableLog>,
        note: &str,
        size: u64,
        held: &mut [u64],
    ) -> Option<Witnessed> {
        let mut asks = tokio::task::JoinSet::new();
        for (i, (asked, &old)) in self.witnesses.iter().zip(held.iter()).enumerate() {
            let (connector, log, asked, note) = (connector.clone(), Arc::clone(log), asked.clone(), note.to_string());
            asks.spawn(async move {
                let mut old = old.min(size);
                // A witness that holds another size says which: asked again from there, once.
                for _ in 0..2 {
                    match ask(&connector, &log, &asked, old, &note, size).await {
                        Err(AskError::Size(theirs)) if theirs <= size && theirs != old => old = theirs,
                        answer => return (i, answer),
                    }
                }
                (i, Err(AskError::Transport("the witness keeps naming other sizes".into())))
            });
        }
        let mut lines = vec![String::new(); self.witnesses.len()];
        // The witnesses that say this history is not the one they cosigned, and why.
        let mut refusing: Vec<String> = Vec::new();
        while let Some(Ok((i, answer))) = asks.join_next().await {
            let (Some(asked), Some(held)) = (self.witnesses.get(i), held.get_mut(i)) else { continue };
            let name = &asked.witness.name;
            match answer {
                Ok(line) => {
                    *held = size;
                    if let Some(slot) = lines.get_mut(i) {
                        *slot = line;
                    }
                }
                // A witness cosigned more of this log than it holds: entries acknowledged
                // with receipts are gone (a store put back from a backup). On a shared store
                // this node may only lag the others, so the store is read again first.
                Err(AskError::Size(theirs)) if theirs > size => {
                    *held = theirs;
                    let following = Arc::clone(log);
                    let ours = tokio::task::spawn_blocking(move || following.follow()).await.ok().and_then(Result::ok);
                    if let Some(ours) = ours.filter(|&ours| ours < theirs) {
                        refusing.push(format!("witness {name} cosigned this log at size {theirs}, and the log holds {ours} entries"));
                    }
                }
                Err(AskError::Size(theirs)) => *held = theirs,
                Err(AskError::SplitView { status, body }) => refusing.push(format!(
                    "witness {name} holds a checkpoint of this log that the log's size {size} does not extend ({status} {body})"
                )),
                Err(e) => tracing::warn!(witness = %name, size, "the witness did not cosign: {e}"),
            }
        }
        // Enough witnesses saying so that the policy can no longer be met for this history —
        // more than the configured ones beyond `required` — stop the log: acknowledged entries
        // are gone or a second history is being signed, and every receipt given on would prove
        // it. Fewer are each a witness's word alone, which a hostile or broken one could give
        // of any log (found by review): logged, and the others still vouch. With `required = 0`
        // the witnesses are advisory and stop nothing.
        if self.required > 0 && refusing.len() > self.witnesses.len().saturating_sub(self.required) {
            log.diverge(&format!(
                "{}: acknowledged entries are gone or a second history is being signed (a store put back from an \
                 older copy?)",
                refusing.join("; ")
            ));
        } else {
            for why in &refusing {
                tracing::error!(size, "{why}: this history is not the one the witness cosigned");
            }
        }
        // In the configured order, so that every node publishes the same note for a size.
        let vouched: Vec<String> = self
            .witnesses
            .iter()
            .zip(&lines)
            .filter(|(_, line)| !line.is_empty())
            .map(|(asked, _)| asked.witness.name.clone())
            .collect();
        (vouched.len() >= self.required.max(1)).then(|| Witnessed {
            note: format!("{note}{}", lines.concat()),
            size,
            vouched,
        })
    }
}

/// How often the task looks for a newer checkpoint once a round is over: a look costs a
/// lock and a comparison, and a witnessed checkpoint trails the log by at most this and a
/// round trip to the witnesses.
const ROUND_EVERY: std::time::Duration = std::time::Duration::from_millis(10);

/// How long one witness may take to answer: a round waits for its slowest witness, so one
/// that hangs holds publication back this long at most.
const ASK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// The largest answer read from a witness (a cosignature line is about 130 bytes).
const MAX_ANSWER_BYTES: usize = 16 * 1024;

/// Lines of the witness's name checked at most in one answer.
const MAX_LINES_CHECKED: usize = 4;

/// The longest pause between rounds while the policy is not met (a witness down): rounds
/// back off from [`ROUND_EVERY`] to this, so witnesses are not asked a hundred times a second.
const MAX_BACKOFF: std::time::Duration = std::time::Duration::from_secs(1);

fn note_size(note: &str) -> Option<u64> {
    note.lines().nth(1)?.parse().ok()
}

/// Submits `note` (of `size` entries) to one witness, from `old`; its verified cosignature
/// line.
async fn ask(
    connector: &tokio_rustls::TlsConnector,
    log: &Arc<DurableLog>,
    asked: &Asked,
    old: u64,
    note: &str,
    size: u64,
) -> Result<String, AskError> {
    let transport = |what: &str, e: &dyn std::fmt::Display| AskError::Transport(format!("{what}: {e}"));
    let proof = if old == 0 || old == size {
        Vec::new()
    } else {
        let proving = Arc::clone(log);
        let encoded = tokio::task::spawn_blocking(move || proving.consistency(old, size))
            .await
            .map_err(|e| transport("proof", &e))?
            .map_err(|e| transport("proof", &e))?;
        encoded
            .hashes
            .iter()
            .map(|h| base64::engine::general_purpose::STANDARD.decode(h).ok().and_then(|h| h.try_into().ok()))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| AskError::Transport("the log's own proof does not decode".into()))?
    };
    let body = AddCheckpoint { old, proof, checkpoint: note.to_string() }.encode();
    let uri: hyper::Uri = format!("{}/add-checkpoint", asked.url).parse().map_err(|e| transport("url", &e))?;
    let host = uri.host().ok_or_else(|| AskError::Transport("the url has no host".into()))?.to_string();
    let port = uri.port_u16().unwrap_or(443);
    let exchange = async {
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port)).await.map_err(|e| transport("connect", &e))?;
        let name = rustls::pki_types::ServerName::try_from(host.clone()).map_err(|e| transport("host", &e))?;
        let tls = connector.connect(name, tcp).await.map_err(|e| transport("tls", &e))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
            .await
            .map_err(|e| transport("http", &e))?;
        tokio::spawn(connection);
        let request = hyper::Request::post(uri.path())
            .header(hyper::header::HOST, host.as_str())
            .header(hyper::header::CONTENT_TYPE, "text/plain")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| transport("request", &e))?;
        let response = sender.send_request(request).await.map_err(|e| transport("send", &e))?;
        let status = response.status().as_u16();
        let size_body = response
            .headers()
            .get(hyper::header::CONTENT_TYPE)
            .is_some_and(|t| t.as_bytes().starts_with(b"text/x.tlog.size"));
        // A witness answers a few signature lines: more is refused unread, so that a hostile
        // or broken witness cannot make the gateway hold or check an unbounded body.
        let body = http_body_util::Limited::new(response.into_body(), MAX_ANSWER_BYTES);
        let bytes = body.collect().await.map_err(|e| transport("body", &e))?.to_bytes();
        Ok::<_, AskError>((status, size_body, bytes))
    };
    let (status, size_body, bytes) =
        tokio::time::timeout(ASK_TIMEOUT, exchange).await.map_err(|_| AskError::Transport("timed out".into()))??;
    let text = String::from_utf8_lossy(&bytes);
    match status {
        200 => {
            // One line of this witness's, verified over this very checkpoint: a witness that
            // sends many (each with another time) must not swell the published note past what
            // note verifiers accept.
            let prefix = format!("\u{2014} {} ", asked.witness.name);
            text.lines()
                .filter(|line| line.starts_with(&prefix))
                .take(MAX_LINES_CHECKED)
                .find(|line| asked.witness.cosigned(&format!("{note}{line}\n")).is_some())
                .map(|line| format!("{line}\n"))
                .ok_or_else(|| AskError::Refused { status, body: "no valid cosignature by this witness".into() })
        }
        409 if size_body => text
            .trim_end_matches('\n')
            .parse()
            .map(AskError::Size)
            .map_err(|_| AskError::Refused { status, body: text.to_string() })
            .and_then(Err),
        409 | 422 => Err(AskError::SplitView { status, body: text.chars().take(200).collect() }),
        _ => Err(AskError::Refused { status, body: text.chars().take(200).collect() }),
    }
}
