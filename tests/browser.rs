//! The verification page in a real browser: headless Chromium, driven over WebDriver by
//! `chromedriver`, against a demo gateway. A person looks up an exported certificate and
//! reads "valid" with a receipt their browser verified; drops a tampered credential and
//! reads "not valid" with the reason; switches to Chinese and finds it remembered; reopens
//! the look-up from its link. Screenshots go to `target/browser/`.
//!
//! Needs `chromium` and `chromedriver` (Debian: chromium, chromium-driver); skips without
//! them unless `MRGATE_REQUIRE_CORPUS=1`.

mod common;

use base64::Engine;
use bytes::Bytes;
use common::gateway::{call, config, domestic_certificate, token};
use http_body_util::{BodyExt, Full};
use mrgate::server::{App, start};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The W3C WebDriver element reference key.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Kills chromedriver (and with it the browser) however the test ends.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A minimal WebDriver client: one session, JSON over plain HTTP to chromedriver.
struct Browser {
    port: u16,
    session: String,
}

async fn webdriver(port: u16, method: &str, path: &str, body: Option<Value>) -> Value {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.expect("connect to chromedriver");
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tcp)).await.expect("handshake");
    tokio::spawn(conn);
    let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
    let req = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", format!("127.0.0.1:{port}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(bytes)))
        .expect("request");
    let resp = sender.send_request(req).await.expect("send");
    let status = resp.status();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    assert!(status.is_success(), "{method} {path}: {status} {value}");
    value["value"].clone()
}

impl Browser {
    async fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        webdriver(self.port, method, &format!("/session/{}{path}", self.session), body).await
    }
    async fn go(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({"url": url}))).await;
    }
    async fn find(&self, css: &str) -> String {
        let v = self.cmd("POST", "/element", Some(json!({"using": "css selector", "value": css}))).await;
        v[ELEMENT].as_str().unwrap_or_else(|| panic!("no element {css}")).to_string()
    }
    async fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.cmd("POST", &format!("/element/{id}/clear"), Some(json!({}))).await;
        self.cmd("POST", &format!("/element/{id}/value"), Some(json!({"text": text}))).await;
    }
    async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.cmd("POST", &format!("/element/{id}/click"), Some(json!({}))).await;
    }
    async fn script(&self, script: &str) -> Value {
        self.cmd("POST", "/execute/sync", Some(json!({"script": script, "args": []}))).await
    }
    /// Polls a script until it returns something other than null/""; the page works
    /// asynchronously (fetches, WebCrypto), so results appear a little later.
    async fn wait_for(&self, what: &str, script: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let v = self.script(script).await;
            if !(v.is_null() || v == "" || v == false) {
                return v;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    async fn screenshot(&self, name: &str) {
        let png = self.cmd("GET", "/screenshot", None).await;
        let bytes = base64::engine::general_purpose::STANDARD.decode(png.as_str().expect("png")).expect("base64");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/browser");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::write(dir.join(format!("{name}.png")), bytes).expect("write screenshot");
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

async fn open_browser() -> (Driver, Browser) {
    let port = free_port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let binary = std::env::var("MRGATE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let caps = json!({"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
        // The demo server's certificate chains to the demo CA, which this browser does not know.
        "acceptInsecureCerts": true,
        "goog:chromeOptions": {
            "binary": binary,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--window-size=1280,1500", "--lang=en-GB"],
        },
    }}});
    let session = webdriver(port, "POST", "/session", Some(caps)).await;
    let id = session["sessionId"].as_str().expect("session id").to_string();
    (driver, Browser { port, session: id })
}

fn verdict_script() -> &'static str {
    "return document.getElementById('headline').dataset.verdict || null"
}

fn receipt_state_script() -> &'static str {
    "const s = document.getElementById('receipt-status').dataset.state; return s && s !== 'checking' ? s : null"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_checks_certificates_in_the_browser() {
    if !common::tool("chromium") || !common::tool("chromedriver") {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let app = Arc::new(App::load(config(dir.path())).expect("app"));
    let running = start(Arc::clone(&app)).await.expect("start");
    let base = format!("https://localhost:{}", running.addr.port());

    // An exporter registers a certificate; its UNTP credential is what we later tamper with.
    let export = call(running.addr, "POST", "/v1/exports", domestic_certificate(), None, Some(&token())).await;
    assert_eq!(export.status, 201, "{}", String::from_utf8_lossy(&export.body));
    let jws = export.json()["documents"]["untp-dcc"].as_str().expect("jws").to_string();

    let (_driver, b) = open_browser().await;

    // 1. Look up by issuer and number: valid, with the receipt verified in the browser.
    b.go(&format!("{base}/")).await;
    b.script("localStorage.clear(); return null").await;
    b.go(&format!("{base}/")).await;
    assert_eq!(b.script("return document.documentElement.lang").await, "en");
    b.type_into("#issuer", "CNCA-R-2002-001").await;
    b.type_into("#number", "04925Q10021R0M").await;
    b.click("#lookup button[type=submit]").await;
    assert_eq!(b.wait_for("the look-up verdict", verdict_script()).await, "valid");
    assert_eq!(b.wait_for("the receipt check", receipt_state_script()).await, "ok");
    let headline = b.script("return document.getElementById('headline').textContent").await;
    assert!(headline.as_str().is_some_and(|h| h.starts_with("Valid")), "{headline}");
    let receipt = b.script("return document.getElementById('receipt-status').textContent").await;
    assert!(
        receipt
            .as_str()
            .is_some_and(|r| r.starts_with("This decision is recorded in the public log, checked in this browser")),
        "{receipt}"
    );
    assert_eq!(
        b.script("return document.querySelector('[data-fact=holder_credit_code]').textContent").await,
        "91310110666007217T"
    );
    let link = b.script("return document.getElementById('link').getAttribute('href')").await;
    assert_eq!(link, "#lookup=CNCA-R-2002-001/04925Q10021R0M");
    b.screenshot("1-lookup-valid").await;

    // 2. Drop a tampered credential: not valid, and the signature check says why.
    let (head, sig) = jws.rsplit_once('.').expect("jws");
    let flipped: String =
        sig.chars().enumerate().map(|(i, c)| if i == 10 { if c == 'A' { 'B' } else { 'A' } } else { c }).collect();
    let tampered = dir.path().join("tampered.jws");
    std::fs::write(&tampered, format!("{head}.{flipped}")).expect("write");
    let file = b.find("#file").await;
    b.cmd("POST", &format!("/element/{file}/value"), Some(json!({"text": tampered.to_str().expect("path")}))).await;
    b.wait_for("the tampered verdict", "return document.getElementById('headline').dataset.verdict === 'invalid'")
        .await;
    let signature = b
        .script(
            "const li = document.querySelector('#checks li[data-check=signature]'); \
             return li ? [li.className, li.textContent] : null",
        )
        .await;
    assert_eq!(signature[0], "fail", "{signature}");
    let headline = b.script("return document.getElementById('headline').textContent").await;
    assert_eq!(
        headline,
        "Not validThe signature does not match the document: it was altered or signed with another key."
    );
    assert!(signature[1].as_str().is_some_and(|t| t.contains("Signature: failed")), "{signature}");
    // Even a refused document gets a receipt: the refusal is a logged decision too.
    assert_eq!(b.wait_for("the refusal's receipt", receipt_state_script()).await, "ok");
    b.screenshot("2-tampered-not-valid").await;

    // The genuine credential, chosen as a file, is valid and shows what it certifies.
    let genuine = dir.path().join("genuine.jws");
    std::fs::write(&genuine, &jws).expect("write");
    b.cmd("POST", &format!("/element/{file}/value"), Some(json!({"text": genuine.to_str().expect("path")}))).await;
    b.wait_for("the genuine verdict", "return document.getElementById('headline').dataset.verdict === 'valid'").await;
    assert_eq!(
        b.script("return document.querySelector('[data-fact=holder_credit_code]').textContent").await,
        "91310110666007217T"
    );
    assert_eq!(b.wait_for("the verification's receipt", receipt_state_script()).await, "ok");

    // Malformed XML pasted into the box: not valid, and the format check says where.
    b.type_into("#document", "<Certificate><Number>1</Number>").await;
    b.click("#verify button[type=submit]").await;
    b.wait_for("the malformed verdict", "return document.getElementById('headline').dataset.verdict === 'invalid'")
        .await;
    let format = b
        .script("const li = document.querySelector('#checks li[data-check=format]'); return li ? li.className : null")
        .await;
    assert_eq!(format, "fail");

    // 3. Switch to Chinese: the verdict and dates are localized, and the choice is remembered.
    b.click("#lang").await;
    assert_eq!(b.script("return document.documentElement.lang").await, "zh-CN");
    let headline = b.script("return document.getElementById('headline').textContent").await;
    assert!(headline.as_str().is_some_and(|h| h.starts_with("无效")), "{headline}");
    b.screenshot("3-tampered-zh").await;

    // 4. The link reopens the same look-up, still in Chinese after a fresh load.
    b.go("about:blank").await;
    b.go(&format!("{base}/#lookup=CNCA-R-2002-001/04925Q10021R0M")).await;
    assert_eq!(b.wait_for("the reopened verdict", verdict_script()).await, "valid");
    assert_eq!(b.script("return document.documentElement.lang").await, "zh-CN");
    let headline = b.script("return document.getElementById('headline').textContent").await;
    assert!(headline.as_str().is_some_and(|h| h.starts_with("有效")), "{headline}");
    assert_eq!(b.wait_for("the receipt check", receipt_state_script()).await, "ok");
    let issued = b.script("return document.querySelector('[data-fact=issue_date]').textContent").await;
    assert!(issued.as_str().is_some_and(|d| d.contains('年')), "a Chinese date: {issued}");
    b.screenshot("4-lookup-zh").await;

    // Every control has a label.
    let unlabeled = b
        .script("return [...document.querySelectorAll('input, textarea, select')].filter((e) => e.labels.length === 0).map((e) => e.id)")
        .await;
    assert_eq!(unlabeled, json!([]));

    // 5. An unknown number is a clear message, not a verdict — submitted from the keyboard.
    b.type_into("#number", "NO-SUCH-NUMBER\u{E007}").await;
    let error = b
        .wait_for(
            "the not-found message",
            "const e = document.getElementById('error'); return e.hidden ? null : e.textContent",
        )
        .await;
    assert!(error.as_str().is_some_and(|e| e.contains("NO-SUCH-NUMBER")), "{error}");
    assert_eq!(b.script("return document.getElementById('result').hidden").await, true);

    // 6. The in-browser receipt check refuses receipts that were tampered with.
    let outcomes = b
        .cmd(
            "POST",
            "/execute/async",
            Some(json!({"args": [], "script": r#"
                const done = arguments[arguments.length - 1];
                (async () => {
                  const c = await (await fetch('/v1/certificates/CNCA-R-2002-001/04925Q10021R0M')).json();
                  const r = c.receipt;
                  const edit = (f) => { const x = JSON.parse(JSON.stringify(r)); f(x); return x; };
                  const flip = (b64) => (b64[0] === 'A' ? 'B' : 'A') + b64.slice(1);
                  const cases = [
                    r,
                    edit((x) => { x.entry = flip(x.entry); }),
                    edit((x) => { x.leaf_hash = flip(x.leaf_hash); }),
                    edit((x) => { x.tree_size = x.tree_size + 1; }),
                    edit((x) => { const l = x.checkpoint.split('\n'); const i = l.findIndex((y) => y.startsWith('\u2014 ')); const at = l[i].lastIndexOf(' ') + 1; l[i] = l[i].slice(0, at) + flip(l[i].slice(at)); x.checkpoint = l.join('\n'); }),
                    edit((x) => { const l = x.checkpoint.split('\n'); l[1] = String(Number(l[1]) + 1); x.checkpoint = l.join('\n'); }),
                  ];
                  const registered = { kinds: ['export', 'recognition'], verdicts: ['exported', 'recognized'] };
                  const out = [];
                  for (const k of cases) { const v = await checkReceipt(k, registered); out.push(v.why || v.state); }
                  // Bound to the decision shown (found by attack: any genuine receipt passed):
                  // a public verification's receipt records its document, actor and verdict.
                  const sent = new TextEncoder().encode('not a certificate');
                  const v = await (await fetch('/v1/verify/public', { method: 'POST', body: sent })).json();
                  const shown = { kinds: ['recognition'], verdicts: ['invalid'], actor: 'public', input: hex(await sha256(sent)) };
                  const other = hex(await sha256(new TextEncoder().encode('another document')));
                  for (const [k, e] of [
                    [v.receipt, shown],
                    [v.receipt, { ...shown, verdicts: ['valid'] }],
                    [v.receipt, { ...shown, input: other }],
                    [v.receipt, { ...shown, actor: 'customs' }],
                    [v.receipt, registered],
                    [r, shown],
                  ]) { const c = await checkReceipt(k, e); out.push(c.why || c.state); }
                  done(out);
                })().catch((e) => done(String(e)));
            "#})),
        )
        .await;
    assert_eq!(
        outcomes,
        json!([
            "ok",
            "leaf",
            "leaf",
            "size",
            "signature",
            "signature",
            "ok",
            "decision",
            "decision",
            "decision",
            "decision",
            "decision"
        ])
    );

    // 7. The page keeps the last published checkpoint it verified, and each new one must
    // extend it. A checkpoint of another history, signed with the log's own key (a log
    // showing this browser two views), is caught and shown with both checkpoints.
    let seen = b.script("return JSON.parse(localStorage.getItem('mrgate.checkpoint'))").await;
    let kept = seen["note"].as_str().expect("the page kept the checkpoint it verified").to_string();
    assert!(kept.starts_with(&format!("{}\n", app.config.log.origin)), "{seen}");
    assert_eq!(seen["origin"], app.config.log.origin.as_str());
    let pem = std::fs::read(&app.config.log.key).expect("log key");
    let pkcs8: rustls::pki_types::PrivatePkcs8KeyDer<'_> =
        rustls::pki_types::pem::PemObject::from_pem_slice(&pem).expect("pkcs8");
    let key = ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8.secret_pkcs8_der()).expect("key");
    let other =
        mrgate::ledger::checkpoint::Checkpoint { origin: app.config.log.origin.clone(), size: 1, root: [7u8; 32] };
    let forged = other.sign(&app.config.log.origin, &key);
    let mut record = seen.clone();
    record["note"] = forged.clone().into();
    b.script(&format!("localStorage.setItem('mrgate.checkpoint', {}); return null", json!(record.to_string()))).await;
    b.go(&format!("{base}/#lookup=CNCA-R-2002-001/04925Q10021R0M")).await;
    assert_eq!(b.wait_for("the look-up verdict", verdict_script()).await, "valid");
    assert_eq!(b.wait_for("the receipt check", receipt_state_script()).await, "bad");
    let evidence = b
        .script("return ['seen', 'published'].map((k) => document.querySelector(`[data-evidence=${k}]`).textContent)")
        .await;
    assert_eq!(evidence[0], forged.as_str());
    assert_eq!(evidence[1].as_str().map(|p| p.starts_with(&format!("{}\n", app.config.log.origin))), Some(true));
    let status = b.script("return document.getElementById('receipt-status').textContent").await;
    // (In Chinese: the language chosen in step 3 is remembered.)
    assert!(status.as_str().is_some_and(|s| s.contains("（大小 1）") && s.contains("两种不同的视图")), "{status}");
    b.screenshot("5-split-view").await;
    // The forged checkpoint is not taken for the real one: it stays the evidence, and a
    // browser that forgets it checks the log's receipts again.
    assert_eq!(b.script("return JSON.parse(localStorage.getItem('mrgate.checkpoint')).note").await, forged.as_str());
    // A log that comes back under another key (or name) cannot start afresh unnoticed: the
    // page reports it, with the checkpoint it kept.
    let mut rekeyed = seen.clone();
    rekeyed["key"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into();
    b.script(&format!("localStorage.setItem('mrgate.checkpoint', {}); return null", json!(rekeyed.to_string()))).await;
    b.go("about:blank").await;
    b.go(&format!("{base}/#lookup=CNCA-R-2002-001/04925Q10021R0M")).await;
    assert_eq!(b.wait_for("the receipt check", receipt_state_script()).await, "bad");
    let status = b.script("return document.getElementById('receipt-status').textContent").await;
    assert!(status.as_str().is_some_and(|s| s.contains("另一段历史")), "{status}");
    // A browser that forgets them checks the log's receipts again, and keeps the new record.
    b.script("localStorage.removeItem('mrgate.checkpoint'); return null").await;
    b.go("about:blank").await;
    b.go(&format!("{base}/#lookup=CNCA-R-2002-001/04925Q10021R0M")).await;
    assert_eq!(b.wait_for("the receipt check", receipt_state_script()).await, "ok");

    b.cmd("DELETE", "", None).await;
    running.task.abort();
}
