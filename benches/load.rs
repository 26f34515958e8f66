//! A small HTTP/1.1-over-TLS load generator for `benches/load.sh`: N keep-alive
//! connections, all opened before the clock starts (what is measured is keep-alive, not
//! handshakes), send one request each in a loop for a fixed time, optionally paced to a total
//! rate, and it prints requests per second and latency percentiles as one JSON line, with
//! the p99 of each second, the CPU time the hypervisor stole in each second and, with
//! `--sync-probe DIR`, the slowest 4 KiB write-and-sync of each second in DIR (the disk's own
//! stalls, measured beside the load), and the latest this generator itself woke to send a
//! paced request on an idle connection.
//!
//! `--url` may be given several times, one per gateway node sharing a store: connection i
//! goes to the i-th URL modulo their number, so the load is spread round-robin over the
//! nodes (`benches/nodes-load.sh`); the totals are over all of them.
//!
//! Run by `benches/load.sh`, which starts the gateway and nginx, and by
//! `benches/nodes-load.sh`. Without arguments (as under `cargo test --all-targets`) it does
//! nothing.
//!
//! ```text
//! load --url https://127.0.0.1:18443/healthz [--url URL]... [--method POST --body FILE]
//!      [--ca PEM] [--cert PEM --key PEM] [--connections 32] [--seconds 10]
//!      [--rate REQ_PER_S] [--sync-probe DIR]
//! ```

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
struct Args {
    /// Connection i goes to `urls[i % urls.len()]`.
    urls: Vec<String>,
    method: String,
    body: Vec<u8>,
    ca: Option<String>,
    cert: Option<String>,
    key: Option<String>,
    connections: usize,
    seconds: u64,
    rate: Option<f64>,
    sync_probe: Option<String>,
}

fn args() -> Option<Args> {
    let mut a = Args { method: "GET".into(), connections: 32, seconds: 10, ..Args::default() };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => a.urls.push(value()),
            "--method" => a.method = value(),
            "--body" => a.body = std::fs::read(value()).expect("body file"),
            "--ca" => a.ca = Some(value()),
            "--cert" => a.cert = Some(value()),
            "--key" => a.key = Some(value()),
            "--connections" => a.connections = value().parse().expect("connections"),
            "--seconds" => a.seconds = value().parse().expect("seconds"),
            "--rate" => a.rate = Some(value().parse().expect("rate")),
            "--sync-probe" => a.sync_probe = Some(value()),
            // cargo passes --bench (and, under cargo test, other flags): nothing to do then.
            _ => {}
        }
    }
    assert!(a.rate.is_none_or(|r| r.is_finite() && r > 0.0), "--rate must be a positive number");
    if a.urls.is_empty() { None } else { Some(a) }
}

fn tls(a: &Args) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    if let Some(ca) = &a.ca {
        for c in CertificateDer::pem_file_iter(ca).expect("ca") {
            roots.add(c.expect("ca cert")).expect("add");
        }
    }
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots);
    let config = match (&a.cert, &a.key) {
        (Some(c), Some(k)) => {
            let chain = CertificateDer::pem_file_iter(c).expect("cert").map(|c| c.expect("c")).collect();
            builder.with_client_auth_cert(chain, PrivateKeyDer::from_pem_file(k).expect("key")).expect("client auth")
        }
        _ => builder.with_no_client_auth(),
    };
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// Wakes paced connections at their send times to within the OS timer's slack (about
/// 50 µs). Tokio's timers fire on millisecond ticks, so a request paced with them started
/// up to a millisecond late, and that lateness of the generator counted as the server's
/// latency (nginx serving a static file showed p50 1.5 ms at half its peak).
struct Pacer {
    /// One slot per connection: the time it waits for, and whom to wake then.
    slots: std::sync::Mutex<Vec<Option<(Instant, std::task::Waker)>>>,
    changed: std::sync::Condvar,
}

impl Pacer {
    fn start(connections: usize) -> Arc<Self> {
        let pacer = Arc::new(Self {
            slots: std::sync::Mutex::new(vec![None; connections]),
            changed: std::sync::Condvar::new(),
        });
        let shared = Arc::clone(&pacer);
        // Detached: it waits for nothing once the connections are done, and exits with the process.
        std::thread::spawn(move || shared.run());
        pacer
    }

    fn run(&self) {
        let mut slots = self.slots.lock().expect("pacer");
        loop {
            let now = Instant::now();
            let mut earliest: Option<Instant> = None;
            for slot in slots.iter_mut() {
                match slot {
                    Some((at, _)) if *at <= now => {
                        if let Some((_, waker)) = slot.take() {
                            waker.wake();
                        }
                    }
                    Some((at, _)) => earliest = Some(earliest.map_or(*at, |e| e.min(*at))),
                    None => {}
                }
            }
            slots = match earliest {
                Some(at) => self.changed.wait_timeout(slots, at - now).expect("pacer").0,
                None => self.changed.wait(slots).expect("pacer"),
            };
        }
    }

    /// Resolves at `at`.
    fn until(self: &Arc<Self>, slot: usize, at: Instant) -> impl std::future::Future<Output = ()> {
        let pacer = Arc::clone(self);
        std::future::poll_fn(move |cx| {
            if Instant::now() >= at {
                return std::task::Poll::Ready(());
            }
            pacer.slots.lock().expect("pacer")[slot] = Some((at, cx.waker().clone()));
            pacer.changed.notify_one();
            std::task::Poll::Pending
        })
    }
}

/// What one connection measured: for each successful request, the second of the run it was
/// scheduled in, its latency in microseconds, and how late (µs) this generator itself woke
/// to send it when the connection was idle at its send time (else 0) — lateness the latency
/// includes but the server did not cause; and the error count.
struct Connection {
    latencies: Vec<(u32, u32, u32)>,
    errors: u64,
}

/// The client side of one keep-alive connection: TCP, TLS (with the client certificate, if
/// any) and HTTP/1.1, ready to send.
type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

/// The URL connection `index` sends to: the URLs taken in turn, so each node of a setup gets
/// an equal share (to within one) of the connections.
fn url_of(a: &Args, index: usize) -> hyper::Uri {
    a.urls[index % a.urls.len()].parse().expect("url")
}

/// Opens keep-alive connection `index`. All are opened before the run's clock starts: the
/// handshakes (each verifies the client's certificate chain) are not what is measured, and
/// made inside the run they held the first second's tail.
async fn connect(a: Arc<Args>, index: usize, connector: tokio_rustls::TlsConnector) -> Sender {
    let uri = url_of(&a, index);
    let host = uri.host().expect("host").to_string();
    let port = uri.port_u16().unwrap_or(443);
    let tcp = tokio::net::TcpStream::connect((host.as_str(), port)).await.expect("connect");
    tcp.set_nodelay(true).expect("nodelay");
    let stream = connector.connect(ServerName::try_from("localhost").expect("name"), tcp).await.expect("tls");
    let (sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.expect("handshake");
    tokio::spawn(conn);
    sender
}

/// One keep-alive connection's loop.
async fn connection(
    a: Arc<Args>,
    mut sender: Sender,
    index: usize,
    (started, until): (Instant, Instant),
    pacer: Arc<Pacer>,
) -> Connection {
    let uri = url_of(&a, index);
    let path = uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
    let interval = a.rate.map(|r| Duration::from_secs_f64(a.connections as f64 / r));
    // Paced connections start spread over one interval, so requests arrive evenly rather
    // than in bursts of one per connection.
    let mut next = Instant::now() + interval.map_or(Duration::ZERO, |i| i * index as u32 / a.connections as u32);
    let (mut latencies, mut errors) = (Vec::with_capacity(100_000), 0u64);
    let body = Bytes::from(a.body.clone());
    let mut own_late = 0u32;
    while Instant::now() < until {
        if interval.is_some() {
            // Paced: latency is measured from the scheduled start, so queueing counts.
            let idle = Instant::now() < next;
            pacer.until(index, next).await;
            own_late = 0;
            if idle {
                own_late = next.elapsed().as_micros().min(u32::MAX as u128) as u32;
            }
        } else {
            next = Instant::now();
        }
        let req = hyper::Request::builder()
            .method(a.method.as_str())
            .uri(path.as_str())
            .header("host", "localhost")
            .body(Full::new(body.clone()))
            .expect("request");
        match sender.send_request(req).await {
            Ok(resp) => {
                let ok = resp.status().is_success();
                let _ = resp.into_body().collect().await;
                if ok {
                    let second = next.saturating_duration_since(started).as_secs() as u32;
                    latencies.push((second, next.elapsed().as_micros().min(u32::MAX as u128) as u32, own_late));
                } else {
                    errors += 1;
                }
            }
            Err(_) => {
                errors += 1;
                break;
            }
        }
        if let Some(i) = interval {
            next += i;
        }
    }
    Connection { latencies, errors }
}

/// The machine's CPU time stolen by the hypervisor so far, in clock ticks (the eighth
/// number of `/proc/stat`'s `cpu` line); `None` where there is no such file.
fn stolen_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    stat.lines().next()?.split_whitespace().nth(8)?.parse().ok()
}

/// Samples stolen time once a second for `seconds` seconds from `started`: the share of all
/// CPUs' time each second that the hypervisor gave to someone else (a stall on the host
/// shows here, not in the gateway).
fn steal_by_second(started: Instant, seconds: u64) -> std::thread::JoinHandle<Vec<f64>> {
    std::thread::spawn(move || {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let ticks_per_second = 100.0; // USER_HZ on Linux
        let mut last = stolen_ticks();
        let mut shares = Vec::new();
        for second in 1..=seconds {
            std::thread::sleep((started + Duration::from_secs(second)).saturating_duration_since(Instant::now()));
            let now = stolen_ticks();
            if let (Some(a), Some(b)) = (last, now) {
                shares.push(b.saturating_sub(a) as f64 / ticks_per_second / cpus * 100.0);
            }
            last = now;
        }
        shares
    })
}

/// Writes 4 KiB and syncs it every 10 ms in `dir` for `seconds` seconds from `started`;
/// returns the slowest sync of each second in milliseconds. The gateway's commits sync the
/// same disk, so a second whose probe stalled is the disk's, whatever the gateway did.
fn sync_probe(dir: String, started: Instant, seconds: u64) -> std::thread::JoinHandle<Vec<f64>> {
    std::thread::spawn(move || {
        use std::io::{Seek, Write};
        let path = std::path::Path::new(&dir).join("load-sync-probe");
        let Ok(mut file) = std::fs::File::create(&path) else { return Vec::new() };
        let mut slowest = vec![0.0f64; seconds as usize];
        let until = started + Duration::from_secs(seconds);
        while Instant::now() < until {
            let t = Instant::now();
            let second = t.saturating_duration_since(started).as_secs() as usize;
            let synced = file.rewind().is_ok() && file.write_all(&[0u8; 4096]).is_ok() && file.sync_data().is_ok();
            if synced && second < slowest.len() {
                slowest[second] = slowest[second].max(t.elapsed().as_secs_f64() * 1000.0);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = std::fs::remove_file(&path);
        slowest
    })
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

fn main() {
    let Some(a) = args() else { return };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let a = Arc::new(a);
    let connector = tls(&a);
    let (latencies, errors, elapsed, (steal, probe)) = runtime.block_on(async {
        let opening: Vec<_> =
            (0..a.connections).map(|k| tokio::spawn(connect(Arc::clone(&a), k, connector.clone()))).collect();
        let mut senders = Vec::with_capacity(a.connections);
        for o in opening {
            senders.push(o.await.expect("connection"));
        }
        let started = Instant::now();
        let steal = steal_by_second(started, a.seconds);
        let probe = a.sync_probe.clone().map(|dir| sync_probe(dir, started, a.seconds));
        let until = started + Duration::from_secs(a.seconds);
        let pacer = Pacer::start(a.connections);
        let tasks: Vec<_> = senders
            .into_iter()
            .enumerate()
            .map(|(k, sender)| {
                tokio::spawn(connection(Arc::clone(&a), sender, k, (started, until), Arc::clone(&pacer)))
            })
            .collect();
        let (mut all, mut errors) = (Vec::new(), 0);
        for t in tasks {
            let c = t.await.expect("task");
            all.extend(c.latencies);
            errors += c.errors;
        }
        (all, errors, started.elapsed(), (steal, probe))
    });
    // The generator's slowest wake-up of each second (paced runs only).
    let mut latest = vec![0u32; a.seconds as usize + 1];
    for &(second, _, own) in &latencies {
        let slot = &mut latest[(second as usize).min(a.seconds as usize)];
        *slot = (*slot).max(own);
    }
    let late: Vec<String> = if a.rate.is_some() {
        latest[..a.seconds as usize].iter().map(|us| format!("{:.1}", *us as f64 / 1000.0)).collect()
    } else {
        Vec::new()
    };
    let probe: Vec<String> =
        probe.and_then(|p| p.join().ok()).unwrap_or_default().iter().map(|ms| format!("{ms:.1}")).collect();
    let steal: Vec<String> = steal.join().unwrap_or_default().iter().map(|p| format!("{p:.0}")).collect();
    // The p99 of each second, to tell a tail spread over the run from one stall's worth.
    let mut by_second: Vec<Vec<u32>> = vec![Vec::new(); a.seconds as usize + 1];
    for &(second, l, _) in &latencies {
        by_second[(second as usize).min(a.seconds as usize)].push(l);
    }
    let p99_by_second: Vec<String> = by_second
        .iter_mut()
        .filter(|l| l.len() >= 100)
        .map(|l| {
            l.sort_unstable();
            format!("{:.1}", percentile(l, 0.99))
        })
        .collect();
    // Without the generator's own wake-up lateness: what a client that woke on time saw.
    let mut served: Vec<u32> = latencies.iter().map(|&(_, l, own)| l.saturating_sub(own)).collect();
    served.sort_unstable();
    let mut sorted: Vec<u32> = latencies.into_iter().map(|(_, l, _)| l).collect();
    sorted.sort_unstable();
    println!(
        "{{\"url\": \"{}\", \"urls\": {}, \"method\": \"{}\", \"connections\": {}, \"rate\": {}, \"ok\": {}, \"errors\": {}, \"rps\": {:.0}, \"p50_ms\": {:.2}, \"p99_ms\": {:.2}, \"p99_ms_without_generator_lateness\": {:.2}, \"p999_ms\": {:.2}, \"max_ms\": {:.2}, \"p99_ms_by_second\": [{}], \"steal_pct_by_second\": [{}], \"slowest_sync_ms_by_second\": [{}], \"generator_late_ms_by_second\": [{}]}}",
        // The first URL (the only one but for runs over several nodes), and how many there were.
        a.urls[0],
        a.urls.len(),
        a.method,
        a.connections,
        a.rate.map_or("null".into(), |r| format!("{r:.0}")),
        sorted.len(),
        errors,
        sorted.len() as f64 / elapsed.as_secs_f64(),
        percentile(&sorted, 0.50),
        percentile(&sorted, 0.99),
        percentile(&served, 0.99),
        percentile(&sorted, 0.999),
        percentile(&sorted, 1.0),
        p99_by_second.join(", "),
        steal.join(", "),
        probe.join(", "),
        late.join(", "),
    );
}
