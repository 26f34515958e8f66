//! The `mrgate` binary as a user runs it: outputs, exit codes, and no partial writes.

mod common;

use common::mrgate;

use mrgate::formats::{self, Format};
use mrgate::xml::Limits;
use std::process::{Command, Output, Stdio};

const GOOD_CN: &str = include_str!("data/cn-qms.xml");

fn stdout_json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn translate_from_stdin_with_loss_report() {
    let dir = tempfile::tempdir().expect("tmp");
    let report = dir.path().join("loss.json");
    let out = mrgate(
        &["translate", "--from", "cn-xml", "--to", "iaf-json", "--loss-report", report.to_str().expect("path"), "-"],
        GOOD_CN.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(stdout_json(&out)["certificate_number"], "04925Q10021R0M");
    let loss: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).expect("report")).expect("json");
    assert_eq!(loss, serde_json::json!({"lost": ["StatusDate", "Holder/Address/DivisionCode"]}));
}

#[test]
fn strict_translation_with_losses_fails_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let report = dir.path().join("loss.json");
    let out = mrgate(
        &[
            "translate",
            "--strict",
            "--from",
            "cn-xml",
            "--to",
            "untp-dcc",
            "--loss-report",
            report.to_str().expect("path"),
        ],
        GOOD_CN.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(!report.exists());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error[translate.lossy]") && err.contains("Holder/Address/Text"), "{err}");
}

#[test]
fn strict_translation_without_losses_succeeds() {
    let out = mrgate(&["translate", "--strict", "--from", "cn-xml", "--to", "cn-xml"], GOOD_CN.as_bytes());
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8(out.stdout).expect("utf8"), GOOD_CN);
}

#[test]
fn invalid_input_exits_1_with_position() {
    let bad = GOOD_CN.replacen("91310110666007217T", "91310110666007217U", 1);
    let out = mrgate(&["translate", "--from", "cn-xml", "--to", "untp-dcc"], bad.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error[id.credit_code.check_digit]: -:22:5: Holder/CreditCode: "), "{err}");
    assert_eq!(err.matches("22:5").count(), 1, "the position once: {err}");
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(mrgate(&["translate", "--from", "pdf", "--to", "cn-xml"], b"").status.code(), Some(2));
    assert_eq!(mrgate(&["frobnicate"], b"").status.code(), Some(2));
    assert_eq!(mrgate(&["validate", "--at", "2026-13-01"], GOOD_CN.as_bytes()).status.code(), Some(2));
}

/// What a message quotes from a document or an argument reaches the terminal made visible:
/// a C0 control (ESC starts an escape sequence), a C1 control (U+009B is ESC [) and a
/// bidirectional formatting character are written as `\u{..}` on standard error and as
/// JSON escapes on standard output, which read back as the same characters. Found by
/// attack: a refused certificate number was echoed raw.
#[test]
fn messages_show_what_would_act_on_a_terminal() {
    let raw = |out: &Output| {
        let all = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
        let text = String::from_utf8_lossy(&all).into_owned();
        text.chars().filter(|&c| (c.is_control() && c != '\n') || ('\u{202A}'..='\u{202E}').contains(&c)).count()
    };
    let number = GOOD_CN.replacen("04925Q10021R0M", "0492\u{9b}31m\u{202E}5Q", 1);
    // A document: refused before any value is read, and the character named, not echoed.
    let out = mrgate(&["translate", "--from", "cn-xml", "--to", "iaf-json"], number.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error[model.hidden_control]: -:3:3: /Certificate/CertificateNo: U+009B is a control, format or invisible \
         character, which no text of a certificate holds (it would make a page or a terminal show what the \
         certificate does not say)\n"
    );
    assert_eq!(raw(&out), 0);
    let out = mrgate(&["validate"], number.as_bytes());
    assert_eq!((out.status.code(), raw(&out)), (Some(1), 0), "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(stdout_json(&out)["errors"][0]["code"], "model.hidden_control");
    // Standard output: a JSON answer quoting an argument, escaped as JSON, reading back as
    // the argument was.
    let list = concat!(env!("CARGO_MANIFEST_DIR"), "/certs/demo/trust-list.xml");
    let anchor = concat!(env!("CARGO_MANIFEST_DIR"), "/certs/demo/ca.pem");
    let body = "ukas\u{9b}31m\u{202E}\u{E0041}";
    let args = ["trust", "query", "--trust-anchor", anchor, "--body", body, "--arrangement", "IAF MLA"];
    let out = mrgate(&[&args[..], &["--scope", "ISO/IEC 17065", list]].concat(), b"");
    assert_eq!((out.status.code(), raw(&out)), (Some(1), 0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"ukas\\u009b31m\\u202e\\udb40\\udc41\""));
    assert_eq!(stdout_json(&out)["body"], body);
    // A key name this command would print in a verifier key (found by attack: printed raw).
    let key = concat!(env!("CARGO_MANIFEST_DIR"), "/certs/demo/witness.key");
    let out = mrgate(&["witness", "vkey", "--key", key, "--name", "a\u{202E}b"], b"");
    assert_eq!((out.status.code(), raw(&out), out.stdout.is_empty()), (Some(2), 0, true));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error[log.checkpoint_malformed]: --name: U+202E is a control, format or invisible character\n"
    );
    // An argument: the command's own message, and clap's.
    let out = mrgate(&["validate", "--at", "2026\u{1b}[31m\r"], GOOD_CN.as_bytes());
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error[id.date]: --at: '2026\\u{1b}[31m\\u{d}' is not a calendar date in YYYY-MM-DD form\n"
    );
    let out = mrgate(&["validate", "--format", "x\u{9b}2J"], GOOD_CN.as_bytes());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("'x\\u{9b}2J'"), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(raw(&out), 0);
}

#[test]
fn unreadable_file_exits_2() {
    let out = mrgate(&["validate", "/nonexistent/cert.xml"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[io.read]"));
}

/// A UNTP credential with two faults: `validate` names both, with their paths.
#[test]
fn validate_lists_every_error_of_a_untp_credential() {
    let cert = formats::parse(Format::CnXml, GOOD_CN.as_bytes(), &Limits::default()).expect("fixture");
    let mut v: serde_json::Value =
        serde_json::from_slice(&formats::render(Format::UntpDcc, &cert).bytes).expect("json");
    v["validUntil"] = "someday".into();
    v["credentialSubject"]["attestationType"] = "declaration".into();
    let out = mrgate(&["validate", "--format", "untp-dcc"], &serde_json::to_vec(&v).expect("json"));
    assert_eq!(out.status.code(), Some(1));
    let report = stdout_json(&out);
    let paths: Vec<&str> =
        report["errors"].as_array().expect("errors").iter().filter_map(|e| e["path"].as_str()).collect();
    assert_eq!(paths, ["/validUntil", "/credentialSubject/attestationType"]);
}

#[test]
fn validate_reports_key_facts_and_findings() {
    let out = mrgate(&["validate", "--at", "2026-11-26"], GOOD_CN.as_bytes());
    assert_eq!(out.status.code(), Some(0));
    let report = stdout_json(&out);
    assert_eq!(report["well_formed"], true);
    assert_eq!(report["in_force"], true);
    assert_eq!(report["format"], "cn-xml");
    assert_eq!(report["certificate"]["holder_credit_code"], "91310110666007217T");
    assert_eq!(report["findings"], serde_json::json!([]));

    let expired = mrgate(&["validate", "--at", "2028-01-10"], GOOD_CN.as_bytes());
    let report = stdout_json(&expired);
    assert_eq!(report["in_force"], false);
    assert_eq!(report["findings"][0]["code"], "validity.expired");
}

#[test]
fn validate_detects_every_format() {
    for (to, expected) in [("untp-dcc", "untp-dcc"), ("iaf-xml", "iaf-xml"), ("iaf-json", "iaf-json")] {
        let translated = mrgate(&["translate", "--from", "cn-xml", "--to", to], GOOD_CN.as_bytes());
        let out = mrgate(&["validate", "--at", "2026-11-26"], &translated.stdout);
        assert_eq!(out.status.code(), Some(0), "{to}");
        assert_eq!(stdout_json(&out)["format"], expected);
    }
}

#[test]
fn validate_lists_errors_with_path_line_column() {
    let bad = GOOD_CN.replacen("<IssueDate>2025-01-10", "<IssueDate>2025-02-30", 1);
    let out = mrgate(&["validate"], bad.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    let report = stdout_json(&out);
    assert_eq!(report["well_formed"], false);
    assert_eq!(
        report["errors"][0],
        serde_json::json!({
            "code": "id.date",
            "message": "9:3: IssueDate: '2025-02-30' is not a calendar date in YYYY-MM-DD form",
            "path": "IssueDate",
            "line": 9,
            "column": 3,
        })
    );
}

#[test]
fn validate_unknown_format() {
    let out = mrgate(&["validate"], b"hello");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout_json(&out)["errors"][0]["code"], "format.unknown");
    // UTF-16 is said as such, as a translation says it (found by attack).
    let utf16: Vec<u8> = [0xFF, 0xFE].into_iter().chain(GOOD_CN.encode_utf16().flat_map(u16::to_le_bytes)).collect();
    let out = mrgate(&["validate"], &utf16);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        (&stdout_json(&out)["errors"][0]["code"], &stdout_json(&out)["errors"][0]["message"]),
        (
            &serde_json::json!("xml.unsupported_encoding"),
            &serde_json::json!("the document is UTF-16 (its byte-order mark); documents are read as UTF-8 or GB18030")
        )
    );
    // A JSON document behind a byte-order mark is said to be so, where it is.
    let untp = mrgate(&["translate", "--from", "cn-xml", "--to", "untp-dcc"], GOOD_CN.as_bytes()).stdout;
    let out = mrgate(&["validate", "--format", "untp-dcc"], &[b"\xEF\xBB\xBF".as_slice(), &untp].concat());
    assert_eq!(out.status.code(), Some(1));
    let error = &stdout_json(&out)["errors"][0];
    assert_eq!(
        (&error["code"], &error["line"], &error["column"]),
        (&serde_json::json!("format.json"), &serde_json::json!(1), &serde_json::json!(1))
    );
    assert!(
        error["message"].as_str().is_some_and(|m| m.contains("a byte-order mark (U+FEFF) before the JSON text")),
        "{error}"
    );
}

#[test]
fn oversized_input_is_refused() {
    let out = mrgate(&["validate", "--max-bytes", "100"], GOOD_CN.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout_json(&out)["errors"][0]["code"], "xml.too_large");
}

#[test]
fn suspended_and_expired_sample_through_the_cli() {
    let Some(dir) = common::samples() else { return };
    let path = dir.join("ems-suspended.xml");
    let out = mrgate(&["validate", "--at", "2026-11-26", path.to_str().expect("path")], b"");
    assert_eq!(out.status.code(), Some(0));
    let codes: Vec<String> = stdout_json(&out)["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().expect("code").to_string())
        .collect();
    assert_eq!(codes, ["status.suspended", "validity.expired"]);
}

#[test]
fn serve_reloads_on_sighup_and_stops_on_sigterm() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().expect("tmp");
    let config = common::gateway::example_config_text(&dir.path().join("data"));
    let path = dir.path().join("mrgate.toml");
    std::fs::write(&path, &config).expect("config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_mrgate"))
        .args(["serve", "--config", path.to_str().expect("path")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // The banner is printed once the server is listening, with its signal handlers in place.
    let mut banner = String::new();
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    stdout.read_line(&mut banner).expect("banner");
    assert!(banner.starts_with("mrgate listening on https://127.0.0.1:"), "{banner}");
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let pid = child.id().to_string();
    // A huge-page fault stalls the thread that takes it for milliseconds: the gateway has
    // them turned off (prctl PR_SET_THP_DISABLE, reported by the kernel since Linux 6.0).
    #[cfg(target_os = "linux")]
    if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status"))
        && let Some(line) = status.lines().find(|l| l.starts_with("THP_enabled:"))
    {
        assert_eq!(line.split_whitespace().nth(1), Some("0"), "{line}");
    }
    let signal = |name: &str| {
        assert!(Command::new("kill").args([name, &pid]).status().expect("kill").success());
    };
    let wait_for = |prefix: &str| -> String {
        loop {
            let line = rx.recv_timeout(std::time::Duration::from_secs(20)).expect("a line on stderr");
            if line.starts_with(prefix) {
                return line;
            }
        }
    };
    signal("-HUP");
    assert!(wait_for("mrgate: reload").starts_with("mrgate: reloaded: TLS certificate and client roots, trust list 1"));
    std::fs::write(&path, config.replace("trust-list.xml", "missing-list.xml")).expect("config");
    signal("-HUP");
    let failed = wait_for("mrgate: reload");
    assert!(failed.starts_with("mrgate: reload failed, keeping the running configuration: "), "{failed}");
    assert!(failed.contains("missing-list.xml"), "{failed}");
    std::fs::write(&path, "listen = ").expect("config");
    signal("-HUP");
    assert!(wait_for("mrgate: reload").starts_with("mrgate: reload failed"));

    signal("-TERM");
    wait_for("mrgate: shutting down");
    assert!(child.wait().expect("wait").success());
}
