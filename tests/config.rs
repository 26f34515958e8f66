//! The example configuration is a fixture: it loads, and describes the demo set-up. The
//! router serves every documented route, and the OpenAPI document lists exactly those.

mod common;

use http_body_util::BodyExt;
use mrgate::server::config::Config;
use mrgate::server::{App, QUERY_PARAMETERS, ROUTES, Req, route};
use std::path::Path;
use std::sync::Arc;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[test]
fn example_config_loads_and_matches_the_demo() {
    let example = Config::load(&Path::new(ROOT).join("mrgate.example.toml")).expect("example config");
    let demo = Config::demo(&Path::new(ROOT).join("certs/demo"), &Path::new(ROOT).join("mrgate-data"));
    assert_eq!(example.listen, demo.listen);
    assert_eq!(example.public_base("127.0.0.1:8443".parse().expect("addr")), "https://localhost:8443");
    assert_eq!(demo.public_base("127.0.0.1:8443".parse().expect("addr")), "https://localhost:8443");
    assert_eq!(example.data_dir, demo.data_dir);
    assert_eq!(example.tls.client_ca, demo.tls.client_ca);
    assert_eq!(example.trust_list.crls, demo.trust_list.crls);
    assert_eq!(example.signing.key, demo.signing.key);
    assert_eq!(example.log.origin, demo.log.origin);
    assert_eq!(example.events.format, demo.events.format);
    assert_eq!(example.log.commit_interval_ms, demo.log.commit_interval_ms);
    assert_eq!(example.log.commit_interval(), std::time::Duration::from_millis(1));
    // Who may be whom, and which list signer is pinned, are the demo's.
    assert_eq!(format!("{:?}", example.identities), format!("{:?}", demo.identities));
    assert_eq!(format!("{:?}", example.exporters), format!("{:?}", demo.exporters));
    assert_eq!(example.trust_list.signers, demo.trust_list.signers);
    assert_eq!(example.trust_list.operator_anchor, demo.trust_list.operator_anchor);
    assert_eq!(example.limits.max_body_bytes, 4 * 1024 * 1024);
    assert_eq!(example.limits.max_batch_bytes, 64 * 1024 * 1024);
    // It also starts: every file it names exists and verifies.
    let dir = tempfile::tempdir().expect("tmp");
    let mut runnable = example.clone();
    runnable.data_dir = dir.path().to_path_buf();
    App::load(runnable).expect("the example configuration loads");
}

/// With `[store] url` the same gateway keeps its register and log in PostgreSQL: it starts
/// there (the trust list stored, the log opened), and starts again on what it left.
#[test]
fn a_store_url_puts_the_store_in_postgres() {
    let Some(db) = common::pg::database() else { return };
    let example = std::fs::read_to_string(Path::new(ROOT).join("mrgate.example.toml")).expect("example");
    let commented = "# [store]\n# url = \"postgres://mrgate@127.0.0.1:5432/mrgate\"";
    let text = example.replace(commented, &format!("[store]\nurl = \"{}\"", db.url));
    assert_ne!(text, example);
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("with-store.toml"), &text).expect("write");
    let read = Config::load(&dir.path().join("with-store.toml")).expect("the example with a store url");
    assert_eq!(read.store.url.as_deref(), Some(db.url.as_str()));
    assert!(!format!("{read:?}").contains(&db.url), "the URL (it may hold a password) is not in Debug");
    let mut config = Config::load(&Path::new(ROOT).join("mrgate.example.toml")).expect("example config");
    config.store = read.store;
    config.data_dir = dir.path().join("data");
    for start in ["first", "second"] {
        let app = App::load(config.clone()).unwrap_or_else(|e| panic!("{start} start on PostgreSQL: {e}"));
        drop(app);
    }
    assert!(!config.data_dir.join("mrgate.db").exists(), "nothing in SQLite");
    let mut client = db.client();
    let stored: i64 = client.query_one("SELECT COUNT(*) FROM trust_list", &[]).expect("count").get(0);
    assert_eq!(stored, 1, "the configured trust list is stored once");
}

#[test]
fn bad_configs_are_refused_with_the_file_named() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "listen = \"127.0.0.1:1\"\nsurprise = true\n").expect("write");
    let err = Config::load(&path).expect_err("unknown field");
    assert!(err.contains("bad.toml") && err.contains("surprise"), "{err}");
    let example = std::fs::read_to_string(Path::new(ROOT).join("mrgate.example.toml")).expect("example");
    for bad in ["-1.0", "1000.5", "nan", "\"1\""] {
        let text = example.replace("commit_interval_ms = 1.0", &format!("commit_interval_ms = {bad}"));
        assert_ne!(text, example);
        std::fs::write(&path, text).expect("write");
        let err = Config::load(&path).expect_err(bad);
        assert!(err.contains("bad.toml") && err.contains("commit_interval_ms"), "{bad}: {err}");
    }
    // The origin names the log's key in every checkpoint (c2sp.org/signed-note).
    for (bad, why) in [
        ("mrgate demo log", "contains a space"),
        ("log\u{a0}one", "contains a space"),
        ("a+b", "contains '+'"),
        ("", "is empty"),
    ] {
        let text = example.replace("origin = \"demo.mrgate.example/log\"", &format!("origin = \"{bad}\""));
        assert_ne!(text, example);
        std::fs::write(&path, text).expect("write");
        let err = Config::load(&path).expect_err(bad);
        assert!(err.contains("bad.toml") && err.contains("log.origin") && err.contains(why), "{bad}: {err}");
    }
    // Limits that would turn every request away, or let anonymous callers in without limit.
    for (line, bad, why) in [
        ("max_body_bytes = 4194304", "max_body_bytes = 0", "at least 1"),
        ("max_batch_bytes = 67108864", "max_batch_bytes = 0", "at least 1"),
        ("max_batch_bytes = 67108864", "max_batch_bytes = 4194303", "at least limits.max_body_bytes (4194304)"),
        ("max_connections = 1024", "max_connections = 0", "at least 1"),
        ("request_timeout_seconds = 30", "request_timeout_seconds = 0", "at least 1"),
        ("public_rate_per_second = 20.0", "public_rate_per_second = 0.0", "from 0.001 to 1e9"),
        ("public_rate_per_second = 20.0", "public_rate_per_second = -5.0", "from 0.001 to 1e9"),
        ("public_rate_per_second = 20.0", "public_rate_per_second = inf", "from 0.001 to 1e9"),
        ("public_rate_per_second = 20.0", "public_rate_per_second = nan", "from 0.001 to 1e9"),
        ("public_rate_per_second = 20.0", "public_rate_per_second = 1e-300", "from 0.001 to 1e9"),
        ("public_burst = 100.0", "public_burst = 0.5", "from 1 (one request) to 1e12"),
        ("public_burst = 100.0", "public_burst = inf", "from 1 (one request) to 1e12"),
        // Found by attack: each panicked, at start or on every connection.
        ("request_timeout_seconds = 30", "request_timeout_seconds = 9223372036854775807", "at most 3600"),
        ("max_connections = 1024", "max_connections = 9223372036854775807", "at most 1000000"),
        ("max_body_bytes = 4194304", "max_body_bytes = 1073741825", "at most 1073741824"),
    ] {
        let text = example.replace(line, bad);
        assert_ne!(text, example, "{line}");
        std::fs::write(&path, text).expect("write");
        let err = Config::load(&path).expect_err(bad);
        let field = bad.split(' ').next().unwrap_or_default();
        assert!(
            err.contains("bad.toml") && err.contains(&format!("limits.{field}")) && err.contains(why),
            "{bad}: {err}"
        );
    }
    // Who may be whom, and what a list's signer must be.
    for (from, to, why) in [
        ("identity_burst = 40000.0", "identity_burst = 0.0", "limits.identity_burst"),
        ("identity_rate_per_second = 20000.0", "identity_rate_per_second = nan", "limits.identity_rate_per_second"),
        ("signers = [\"certs/demo/trust-list-operator.pem\"]\n", "", "trust_list.signers"),
        ("[identities]\n", "[not-identities]\n", "not-identities"),
        ("operator = [\"certs/demo/ca.pem\"]\n", "", "operator"),
        ("holders = []", "holders = [\"91310110666007217U\"]", "exporters.grant[0].holders"),
        ("bodies = [\"CNCA-R-2002-001\"", "bodies = [\"CNAS-1\"", "exporters.grant[0].bodies"),
        ("name = \"demo-exporter\"", "name = \" \"", "exporters.grant[0].name"),
        (
            "# [identities.partners]\n# dakks = [\"certs/dakks-tls-root.pem\"]",
            "[identities.partners]\ndakks = []",
            "identities.partners.dakks",
        ),
        (
            "# [store]\n# url = \"postgres://mrgate@127.0.0.1:5432/mrgate\"",
            "[store]\nurl = \"mysql://mrgate@127.0.0.1/mrgate\"",
            "store.url",
        ),
        (
            "# signer_spki_sha256 = [\"<64 hex digits: SHA-256 of the SubjectPublicKeyInfo>\"]",
            "signer_spki_sha256 = [\"abc\"]",
            "signer_spki_sha256",
        ),
    ] {
        let text = example.replace(from, to);
        assert_ne!(text, example, "{from}");
        std::fs::write(&path, text).expect("write");
        let err = Config::load(&path).expect_err(to);
        assert!(err.contains("bad.toml") && err.contains(why), "{to}: {err}");
    }
    // Two grants with one name.
    let twice = example.replace("[[exporters.grant]]\nname = \"demo-exporter\"", "[[exporters.grant]]\nname = \"demo-exporter\"\n[[exporters.grant]]\nname = \"demo-exporter\"\n[[exporters.grant]]\nname = \"x\"");
    assert_ne!(twice, example);
    std::fs::write(&path, twice).expect("write");
    assert!(Config::load(&path).expect_err("twice").contains("unique"));
    std::fs::write(&path, example.replace("commit_interval_ms = 1.0", "commit_interval_ms = 0")).expect("write");
    let immediate = Config::load(&path).expect("an integer is a number of milliseconds too");
    assert_eq!(immediate.log.commit_interval(), std::time::Duration::ZERO);
    // Built in code rather than read from a file: refused all the same, never a panic.
    let mut built = Config::demo(&Path::new(ROOT).join("certs/demo"), dir.path());
    built.log.commit_interval_ms = f64::NAN;
    assert_eq!(built.log.commit_interval(), std::time::Duration::from_millis(1));
    assert!(App::load(built).expect_err("NaN interval").contains("commit_interval_ms"));
    let mut missing = Config::demo(&Path::new(ROOT).join("certs/demo"), dir.path());
    missing.trust_list.file = dir.path().join("nope.xml");
    assert!(App::load(missing).expect_err("missing list").contains("nope.xml"));
}

/// An anonymous request with no body.
fn request(method: &str, path: &str) -> Req {
    Req {
        method: method.parse().expect("method"),
        path: path.into(),
        query: String::new(),
        caller: mrgate::decisions::Caller::anonymous("anonymous"),
        bearer: None,
        content_type: String::new(),
        accept: String::new(),
        if_none_match: None,
        body: bytes::Bytes::new(),
    }
}

/// A path of the route `template`, its parameters filled in.
fn example_path(template: &str) -> String {
    template
        .replace("{issuer}", "CNCA-R-2002-001")
        .replace("{number}", "X")
        .replace("{id}", "x")
        .replace("{asset}", "app.js")
}

/// The demo gateway on a data directory of its own.
fn demo_app(data: &Path) -> Arc<App> {
    Arc::new(App::load(Config::demo(&Path::new(ROOT).join("certs/demo"), data)).expect("app"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn router_and_openapi_agree() {
    let openapi: serde_json::Value = serde_json::from_str(mrgate::server::OPENAPI).expect("openapi json");
    assert_eq!(openapi["openapi"], "3.1.0");
    let paths = openapi["paths"].as_object().expect("paths");
    let documented: Vec<(String, String)> = paths
        .iter()
        .flat_map(|(p, ops)| ops.as_object().into_iter().flatten().map(move |(m, _)| (m.to_uppercase(), p.clone())))
        .collect();
    let mut routes: Vec<(String, String)> = ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    let mut documented_sorted = documented.clone();
    routes.sort();
    documented_sorted.sort();
    assert_eq!(routes, documented_sorted);

    let dir = tempfile::tempdir().expect("tmp");
    let app = demo_app(dir.path());
    for (method, template) in ROUTES {
        let path = example_path(template);
        let req = request(method, &path);
        let response = route(Arc::clone(&app), req).await;
        // A 404 is fine only when it is the resource that is missing, not the route.
        assert!(response.status() != 404 || template.contains('{'), "{method} {path}: unknown to the router");
        assert_ne!(response.status(), 405, "{method} {path}");
        // Any other method is refused with 405, saying which one the path takes.
        for other in ["GET", "POST", "PUT", "DELETE", "PATCH", "TRACE", "OPTIONS"].iter().filter(|m| *m != method) {
            let response = route(Arc::clone(&app), request(other, &path)).await;
            let allow = response.headers().get("allow").and_then(|v| v.to_str().ok());
            assert_eq!((response.status().as_u16(), allow), (405, Some(*method)), "{other} {path}");
        }
    }
    for unknown in ["/v2/verify", "/v1/exports/a/b", "/v1/log", "/healthz/x", "/page"] {
        for method in ["GET", "POST", "TRACE"] {
            let response = route(Arc::clone(&app), request(method, unknown)).await;
            assert_eq!(
                (response.status().as_u16(), response.headers().get("allow")),
                (404, None),
                "{method} {unknown}"
            );
        }
    }
}

/// The query parameters the router takes are those `schemas/openapi.json` documents, route by
/// route, and each is a route's; through `route` itself, a name no route takes is refused on
/// each route but the page's, and a name it takes is not refused for its name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_parameters_and_openapi_agree() {
    let openapi: serde_json::Value = serde_json::from_str(mrgate::server::OPENAPI).expect("openapi json");
    let mut documented: Vec<(String, String, Vec<String>)> = Vec::new();
    for (path, ops) in openapi["paths"].as_object().expect("paths") {
        for (method, op) in ops.as_object().expect("operations") {
            let names: Vec<String> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query")
                .map(|p| p["name"].as_str().expect("name").to_string())
                .collect();
            if !names.is_empty() {
                documented.push((method.to_uppercase(), path.clone(), names));
            }
        }
    }
    let mut taken: Vec<(String, String, Vec<String>)> = QUERY_PARAMETERS
        .iter()
        .map(|(m, t, names)| (m.to_string(), t.to_string(), names.iter().map(|n| n.to_string()).collect()))
        .collect();
    documented.sort();
    taken.sort();
    assert_eq!(taken, documented);
    for (m, t, _) in QUERY_PARAMETERS {
        assert!(ROUTES.contains(&(m, t)), "{m} {t} is no route");
    }

    let dir = tempfile::tempdir().expect("tmp");
    let app = demo_app(dir.path());
    let with_query = |method: &str, path: &str, query: &str| Req { query: query.into(), ..request(method, path) };
    for (method, template) in ROUTES {
        let path = example_path(template);
        let response = route(Arc::clone(&app), with_query(method, &path, "n%6Fpe=1")).await;
        let body = response.into_body().collect().await.expect("body").to_bytes();
        let detail = serde_json::from_slice::<serde_json::Value>(&body).ok().map(|v| v["detail"].clone());
        let refused = detail
            .as_ref()
            .and_then(|d| d.as_str())
            .is_some_and(|d| d.starts_with("query parameter 'nope' is not one"));
        assert_eq!(refused, !matches!(*template, "/" | "/page/{asset}"), "{method} {path}: {detail:?}");
        let takes = QUERY_PARAMETERS.iter().find(|(m, t, _)| m == method && t == template).map_or(&[][..], |q| q.2);
        for name in takes {
            let response = route(Arc::clone(&app), with_query(method, &path, &format!("{name}=1"))).await;
            let body = response.into_body().collect().await.expect("body").to_bytes();
            assert!(!String::from_utf8_lossy(&body).contains("is not one"), "{method} {path} {name}");
        }
    }
}

/// The gateway's signing key signs credentials (JWS) too: a key JWS names no algorithm for
/// (a brainpool key, made here by Python `cryptography`) is refused when the gateway
/// starts, not at its first export.
#[test]
fn a_signing_key_no_credential_can_be_signed_with_is_refused_at_start() {
    let python = std::process::Command::new("python3")
        .args(["-c", "import cryptography"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(python || !common::required(), "python3 with cryptography is missing and MRGATE_REQUIRE_CORPUS=1");
    if !python {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let made = std::process::Command::new("python3")
        .arg(Path::new(ROOT).join("tests/interop/brainpool.py"))
        .arg(dir.path())
        .output()
        .expect("python3");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let mut config = Config::load(&Path::new(ROOT).join("mrgate.example.toml")).expect("example config");
    config.data_dir = dir.path().join("data");
    config.signing.key = dir.path().join("bp256-leaf.key");
    config.signing.certificate = dir.path().join("bp256-leaf.pem");
    let Err(err) = App::load(config) else { panic!("a brainpool signing key is refused") };
    assert!(
        err.ends_with("the gateway's signing key is ECDSA brainpoolP256r1; it signs credentials (JWS) too, so it must be Ed25519 or ECDSA P-256"),
        "{err}"
    );
}

/// Found by attack, each of these started without a word (or hung, or grew to 23 GB): what a
/// configuration names is checked at start, and the error says which entry and why.
#[test]
fn what_a_configuration_names_is_checked_at_start() {
    use common::gateway::{DEMO, config};
    let dir = tempfile::tempdir().expect("tmp");
    let refused = |cfg: Config| match App::load(cfg) {
        Ok(_) => panic!("started"),
        Err(e) => e,
    };
    let fresh = || config(&dir.path().join(format!("data-{}", mrgate::crypto::random_id())));
    // A certificate given as a CRL file: no CRL in it, so a revoked signer verified "valid".
    let mut cfg = fresh();
    cfg.trust_list.crls[0] = format!("{DEMO}/foreign/dakks/root.pem").into();
    let e = refused(cfg);
    assert!(e.contains("root.pem") && e.contains("holds 0 X509 CRL block(s) among 1 block(s)"), "{e}");
    // The TLS server certificate (serverAuth only) as the signing certificate.
    let mut cfg = fresh();
    (cfg.signing.key, cfg.signing.certificate) =
        (format!("{DEMO}/server.key").into(), format!("{DEMO}/server.pem").into());
    let e = refused(cfg);
    assert!(e.contains("server.pem: [x509.eku]"), "{e}");
    // One key in two roles: the signing key as the log's.
    let mut cfg = fresh();
    cfg.log.key = cfg.signing.key.clone();
    let e = refused(cfg);
    assert!(e.contains("[key.reused]") && e.contains("[signing] key") && e.contains("[log] key"), "{e}");
    // A key that is a device, a directory or a FIFO: refused before it is opened.
    let fifo = dir.path().join("fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo").success());
    for (path, why) in [
        (std::path::PathBuf::from("/dev/zero"), "is not a regular file"),
        (dir.path().to_path_buf(), "is a directory"),
        (fifo, "is not a regular file"),
    ] {
        let mut cfg = fresh();
        cfg.signing.key = path.clone();
        let e = refused(cfg);
        assert!(e.contains(&format!("{}: {why}", path.display())), "{e}");
        // And the witnesses' roots (found by re-test: /dev/zero aborted the start).
        let mut cfg = fresh();
        cfg.witnessing.ca = vec![path.clone()];
        let e = refused(cfg);
        assert!(e.contains(&format!("witnessing.ca {}: {why}", path.display())), "{e}");
    }
    // The log's high-water mark, read at start (found by re-test: a FIFO hung it, /dev/zero
    // was read without end).
    let mut cfg = fresh();
    cfg.log.high_water_mark = Some(dir.path().join("fifo"));
    let e = refused(cfg);
    assert!(e.contains("fifo") && e.contains("not a regular file"), "{e}");
    // A public URL that is none.
    for url in [
        "not a url",
        "",
        "http://localhost:8443",
        "https://user@localhost",
        "https://localhost/?q=1",
        // Found by re-test: a port that is no number, or none after its colon, a host that is none.
        "https://localhost:abc",
        "https://localhost:99999",
        "https://localhost:",
        "https://localhost:0",
        "https://-",
        "https://..",
    ] {
        let mut cfg = fresh();
        cfg.public_url = Some(url.into());
        let e = refused(cfg);
        assert!(e.contains(&format!("public_url = {url:?}: must be an https:// URL")), "{e}");
    }
    for url in
        ["https://gateway.example:8443/mrgate", "https://gateway.example", "https://[::1]:8443", "https://127.0.0.1"]
    {
        let mut cfg = fresh();
        cfg.public_url = Some(url.into());
        assert!(App::load(cfg).is_ok(), "{url} is one");
    }
}
