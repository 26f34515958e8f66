//! The one list of reason codes (`mrgate::reason::Reason`) held to everything else:
//!
//! - every code `src/` can emit is in `Reason::ALL`, and every code there is emitted (found by
//!   reading the source: every string literal shaped like a dotted code, the `error[code]`
//!   of command-line diagnostics, and the `format!`-built families listed below);
//! - a problem answered with a literal status and code gives one of that code's statuses;
//! - the README's "Reason codes" section is the generated table
//!   (`MRGATE_BLESS=1 cargo test --test reasons` rewrites it);
//! - the verification page has an English and a 中文 text for every code, and no other;
//! - `mrgate reasons` prints the list.

use mrgate::reason::Reason;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Dotted literals in `src/` that are not reason codes: file names, configuration keys,
/// vocabulary of other standards. A new literal of this shape is taken for a code until it
/// is listed here.
const NOT_CODES: &[(&str, &str)] = &[
    ("ca.pem", "a demo PKI file name"),
    ("ca.key", "a demo PKI file name"),
    ("server.pem", "a demo PKI file name"),
    ("server.key", "a demo PKI file name"),
    ("signing.pem", "a demo PKI file name"),
    ("signing.key", "a demo PKI file name"),
    ("log.pub", "a demo PKI file name"),
    ("log.key", "a demo PKI file name"),
    ("exporter.token", "a demo file name"),
    ("mrgate.db", "the store's file name"),
    ("witness.db", "the witness's state file name"),
    ("witness.lock", "the witness's lock file name"),
    ("did.json", "the DID document's file name (did:web)"),
    ("witness.key", "a demo PKI file name"),
    ("witness.toml", "a demo PKI file name"),
    ("app.js", "a page file name"),
    ("app.css", "a page file name"),
    ("openapi.json", "a route"),
    ("equivalence.toml", "a file name"),
    ("identities.operator", "a configuration key"),
    ("identities.customs", "a configuration key"),
    ("identities.exporter", "a configuration key"),
    ("log.origin", "a configuration key"),
    ("log.commit_interval_ms", "a configuration key"),
    ("log.high_water_mark", "a configuration key"),
    ("tls.client_ca", "a configuration key"),
    ("limits.max_connections", "a configuration key"),
    ("events.format", "a configuration key"),
    ("limits.max_connections_per_client", "a configuration key"),
    ("store.url", "a configuration key"),
    ("operator.issued", "a trust-list description field"),
    ("operator.next_update", "a trust-list description field"),
    ("governance.compliance", "a UNTP conformity topic"),
];

/// Codes built at run time: where (a file and the template or expression there) and the
/// codes it can build. The template must still be in the file.
struct Family {
    file: &'static str,
    template: &'static str,
    codes: Vec<String>,
}

fn families() -> Vec<Family> {
    use mrgate::model::Status;
    let prefixed = |prefix: &str, values: &[&str]| values.iter().map(|v| format!("{prefix}.{v}")).collect::<Vec<_>>();
    // A status other than valid: NotInForce::Status, the register's status on export, the
    // command line's findings.
    let not_valid: Vec<&str> = Status::ALL.iter().filter(|s| **s != Status::Valid).map(|s| s.as_str()).collect();
    // The page's look-up: the gateway's `headline` (a status, or `unknown`).
    let headlines: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).chain(["unknown"]).collect();
    let actions = ["suspend", "withdraw", "cancel", "restore"];
    for a in actions {
        assert_eq!(mrgate::notice::Action::parse(a).map(|x| x.as_str()), Some(a), "notice action {a}");
    }
    vec![
        Family { file: "src/model.rs", template: "\"status.{}\"", codes: prefixed("status", &not_valid) },
        Family { file: "src/decisions/export.rs", template: "\"status.{}\"", codes: prefixed("status", &not_valid) },
        Family { file: "src/cli/mod.rs", template: "\"status.{}\"", codes: prefixed("status", &not_valid) },
        Family { file: "src/decisions/notice.rs", template: "\"notice.{}\"", codes: prefixed("notice", &actions) },
        Family {
            file: "src/server/page/app.js",
            template: "reason: \"status.\" + c.headline",
            codes: prefixed("status", &headlines),
        },
        // A trust-list install's log entry carries `trust.sequence.<n>`: the list's sequence
        // number, not a reason code (kept as it is: tests and logs already hold it).
        Family { file: "src/decisions/trust_list.rs", template: "\"trust.sequence.{}\"", codes: vec![] },
    ]
}

/// A string literal in a source file.
#[derive(Debug, Clone)]
struct Literal {
    line: usize,
    /// Byte offset of the opening quote.
    start: usize,
    text: String,
}

/// The string literals of Rust source, outside comments and outside `#[cfg(test)]` items.
fn literals(src: &str) -> Vec<Literal> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut line, mut depth) = (0usize, 1usize, 0usize);
    // After `#[cfg(test)]`: waiting for its item's `{` (or `;`); then the depth it ends at.
    let (mut pending_test, mut skip_until): (bool, Option<usize>) = (false, None);
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    while i < b.len() {
        let c = at(i);
        if c == b'\n' {
            line += 1;
            i += 1;
        } else if c == b'/' && at(i + 1) == b'/' {
            while i < b.len() && at(i) != b'\n' {
                i += 1;
            }
        } else if c == b'/' && at(i + 1) == b'*' {
            let mut nest = 0usize;
            loop {
                if i >= b.len() {
                    break;
                }
                if at(i) == b'/' && at(i + 1) == b'*' {
                    nest += 1;
                    i += 2;
                } else if at(i) == b'*' && at(i + 1) == b'/' {
                    nest -= 1;
                    i += 2;
                    if nest == 0 {
                        break;
                    }
                } else {
                    line += usize::from(at(i) == b'\n');
                    i += 1;
                }
            }
        } else if c == b'r' && (i == 0 || !is_ident(at(i - 1))) && (at(i + 1) == b'"' || at(i + 1) == b'#') {
            // A raw string (or a raw identifier, r#name).
            let mut j = i + 1;
            while at(j) == b'#' {
                j += 1;
            }
            if at(j) != b'"' {
                i = j;
                continue;
            }
            let hashes = j - i - 1;
            let start = j;
            let close: String = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
            let end = src[j + 1..].find(&close).map_or(b.len(), |e| j + 1 + e);
            let text = &src[j + 1..end.min(b.len())];
            if skip_until.is_none() {
                out.push(Literal { line, start, text: text.to_string() });
            }
            line += text.matches('\n').count();
            i = end + close.len();
        } else if c == b'"' {
            let start = i;
            let mut j = i + 1;
            while j < b.len() && at(j) != b'"' {
                j += if at(j) == b'\\' { 2 } else { 1 };
            }
            let text = &src[i + 1..j.min(b.len())];
            if skip_until.is_none() {
                out.push(Literal { line, start, text: text.to_string() });
            }
            line += text.matches('\n').count();
            i = j + 1;
        } else if c == b'\'' {
            // A char literal, or a lifetime.
            if at(i + 1) == b'\\' {
                let mut j = i + 2;
                while j < b.len() && at(j) != b'\'' {
                    j += 1;
                }
                i = j + 1;
            } else {
                let next = src[i + 1..].chars().next().map_or(1, char::len_utf8);
                i += if at(i + 1 + next) == b'\'' { next + 2 } else { 1 };
            }
        } else if src[i..].starts_with("#[cfg(test)]") {
            pending_test = skip_until.is_none();
            i += "#[cfg(test)]".len();
        } else if c == b'{' {
            if pending_test {
                skip_until = Some(depth);
                pending_test = false;
            }
            depth += 1;
            i += 1;
        } else if c == b'}' {
            depth = depth.saturating_sub(1);
            if skip_until == Some(depth) {
                skip_until = None;
            }
            i += 1;
        } else {
            if c == b';' && pending_test {
                pending_test = false;
            }
            i += 1;
        }
    }
    out
}

/// `xml.malformed`, `id.credit_code.length`: lower-case words joined by dots.
fn code_shaped(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() >= 2
        && parts.first().is_some_and(|p| p.starts_with(|c: char| c.is_ascii_lowercase()))
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_'))
}

/// `status.{}`, `notice.{action}`: a code with a placeholder (after a literal prefix).
fn template_shaped(s: &str) -> bool {
    s.contains('{')
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && code_shaped(&s.replace(['{', '}'], "x").replace("xx", "x"))
}

/// The codes inside `error[…]` of a command-line diagnostic.
fn diagnostic_codes(s: &str) -> Vec<&str> {
    s.match_indices("error[")
        .filter_map(|(at, m)| s.get(at + m.len()..))
        .filter_map(|rest| rest.split_once(']').map(|(code, _)| code))
        .filter(|code| code_shaped(code))
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Where each code is emitted (file:line), and the templates found, from Rust sources.
#[derive(Default)]
struct Scan {
    codes: BTreeMap<String, Vec<String>>,
    templates: BTreeMap<String, Vec<String>>,
    /// The entries of NOT_CODES seen.
    not_codes: BTreeSet<String>,
}

fn scan_source(scan: &mut Scan, file: &str, src: &str) {
    let not_codes: BTreeSet<&str> = NOT_CODES.iter().map(|(c, _)| *c).collect();
    for lit in literals(src) {
        let place = format!("{file}:{}", lit.line);
        if code_shaped(&lit.text) {
            if not_codes.contains(lit.text.as_str()) {
                scan.not_codes.insert(lit.text.clone());
            } else {
                scan.codes.entry(lit.text.clone()).or_default().push(place.clone());
            }
        }
        for code in diagnostic_codes(&lit.text) {
            scan.codes.entry(code.to_string()).or_default().push(place.clone());
        }
        if template_shaped(&lit.text) {
            scan.templates.entry(format!("\"{}\"", lit.text)).or_default().push(place);
        }
    }
}

fn scan_src() -> Scan {
    let mut files = Vec::new();
    rust_files(&Path::new(ROOT).join("src"), &mut files);
    files.sort();
    let mut scan = Scan::default();
    for path in files {
        let file = path.strip_prefix(ROOT).expect("under the root").to_string_lossy().replace('\\', "/");
        // The list itself names every code; it is what the rest is compared with.
        if file == "src/reason.rs" {
            continue;
        }
        scan_source(&mut scan, &file, &std::fs::read_to_string(&path).expect("read"));
    }
    scan
}

fn listed() -> BTreeSet<String> {
    Reason::ALL.iter().map(|r| r.code().to_string()).collect()
}

#[test]
fn the_scanner_finds_codes_where_they_are_emitted_and_nowhere_else() {
    let src = r##"
        //! A doc comment naming "doc.code" is not an emitter.
        fn handler() -> Response<Body> {
            let c = '"'; let l: &'static str = "x"; let raw = r#"raw.code"#;
            /* "block.code" */
            eprintln!("error[cli.code]: {e}");
            format!("family.{}", x);
            problem(StatusCode::BAD_REQUEST, "foo.bar", "with a detail.")
        }
        #[cfg(test)]
        mod tests {
            fn t() { assert_eq!(code(), "test.code"); let s = "{"; }
        }
        fn after() { refuse(StatusCode::CONFLICT, "after.tests", "x") }
    "##;
    let mut scan = Scan::default();
    scan_source(&mut scan, "src/planted.rs", src);
    let found: Vec<&str> = scan.codes.keys().map(String::as_str).collect();
    assert_eq!(found, ["after.tests", "cli.code", "foo.bar", "raw.code"]);
    assert_eq!(scan.codes["foo.bar"], ["src/planted.rs:8"]);
    assert_eq!(scan.codes["after.tests"], ["src/planted.rs:14"]);
    assert_eq!(scan.templates.keys().collect::<Vec<_>>(), ["\"family.{}\""]);
    // Not a code: messages, paths, versions, OIDs.
    for not in ["with a detail.", "a.b c", "1.2.840", "A.b", ".x", "x.", "x..y", "x"] {
        assert!(!code_shaped(not), "{not}");
    }
    assert!(code_shaped("id.credit_code.length") && code_shaped("x509.aki"));
    assert!(
        template_shaped("status.{}") && template_shaped("notice.{action}") && !template_shaped("limits.{name} = {v}")
    );
    assert!(!template_shaped("{}.{}") && !template_shaped("{signing_input}.{}"));
}

#[test]
fn every_code_src_emits_is_listed_and_every_listed_code_is_emitted() {
    let scan = scan_src();
    let mut emitted = scan.codes.clone();
    let families = families();
    let mut problems = Vec::new();
    for f in &families {
        let text = std::fs::read_to_string(Path::new(ROOT).join(f.file)).expect("family file");
        if !text.contains(f.template) {
            problems.push(format!("the family {} is no longer built in {}: update families()", f.template, f.file));
        }
        for code in &f.codes {
            emitted.entry(code.clone()).or_default().push(format!("{} ({})", f.file, f.template));
        }
    }
    for (template, places) in &scan.templates {
        if !families.iter().any(|f| f.template == template && places.iter().any(|p| p.starts_with(f.file))) {
            problems.push(format!(
                "a code built at run time ({template} at {}): list what it builds in families()",
                places.join(", ")
            ));
        }
    }
    for (stale, _) in NOT_CODES.iter().filter(|(c, _)| !scan.not_codes.contains(*c)) {
        problems.push(format!("{stale} is in NOT_CODES but no longer in src/: remove it"));
    }
    let listed = listed();
    let unlisted: Vec<String> = emitted
        .iter()
        .filter(|(code, _)| !listed.contains(*code))
        .map(|(code, places)| format!("{code} ({})", places.join(", ")))
        .collect();
    let unemitted: Vec<&String> = listed.iter().filter(|c| !emitted.contains_key(*c)).collect();
    if !unlisted.is_empty() {
        problems.push(format!(
            "emitted by src/ but not in Reason::ALL (add them to src/reason.rs, or to NOT_CODES if not a code):\n  {}",
            unlisted.join("\n  ")
        ));
    }
    if !unemitted.is_empty() {
        problems.push(format!(
            "in Reason::ALL but emitted nowhere in src/ (remove them from src/reason.rs):\n  {}",
            unemitted.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n  ")
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `StatusCode::NAME` as a number.
fn status_named(name: &str) -> Option<u16> {
    Some(match name {
        "OK" => 200,
        "BAD_REQUEST" => 400,
        "UNAUTHORIZED" => 401,
        "FORBIDDEN" => 403,
        "NOT_FOUND" => 404,
        "METHOD_NOT_ALLOWED" => 405,
        "NOT_ACCEPTABLE" => 406,
        "REQUEST_TIMEOUT" => 408,
        "CONFLICT" => 409,
        "PAYLOAD_TOO_LARGE" => 413,
        "URI_TOO_LONG" => 414,
        "UNPROCESSABLE_ENTITY" => 422,
        "REQUEST_HEADER_FIELDS_TOO_LARGE" => 431,
        "TOO_MANY_REQUESTS" => 429,
        "INTERNAL_SERVER_ERROR" => 500,
        "SERVICE_UNAVAILABLE" => 503,
        _ => return None,
    })
}

/// The status a decision's refusal class answers with (`server::http::status_of`).
fn class_status(name: &str) -> Option<u16> {
    use mrgate::decisions::Class;
    let class = match name {
        "Malformed" => Class::Malformed,
        "Unauthenticated" => Class::Unauthenticated,
        "Forbidden" => Class::Forbidden,
        "NotFound" => Class::NotFound,
        "NotAcceptable" => Class::NotAcceptable,
        "Conflict" => Class::Conflict,
        "Invalid" => Class::Invalid,
        "Internal" => Class::Internal,
        "Unavailable" => Class::Unavailable,
        _ => return None,
    };
    Some(mrgate::server::http::status_of(class).as_u16())
}

/// `problem(StatusCode::NAME, "code"` (or `refuse(`, `refused(`, `logged_problem(`), or a
/// decision's `Refusal::new(Class::Name, "code"`, just before a literal: the status it is
/// answered with.
fn literal_status(src: &str, lit: &Literal) -> Option<Result<u16, String>> {
    let before = src.get(..lit.start)?.trim_end().strip_suffix(',')?.trim_end();
    let name_len = before.bytes().rev().take_while(|c| c.is_ascii_alphabetic() || *c == b'_').count();
    let (rest, name) = before.split_at(before.len() - name_len);
    if let Some(call) = rest.strip_suffix("Class::") {
        call.trim_end().strip_suffix('(')?.strip_suffix("Refusal::new")?;
        return Some(class_status(name).ok_or_else(|| format!("Class::{name}: add it to class_status")));
    }
    let call = rest.strip_suffix("StatusCode::")?.trim_end().strip_suffix('(')?;
    if !["problem", "refuse", "refused", "logged_problem"].iter().any(|f| call.ends_with(f)) {
        return None;
    }
    Some(status_named(name).ok_or_else(|| format!("StatusCode::{name}: add it to status_named")))
}

#[test]
fn problems_with_a_literal_code_answer_with_one_of_its_statuses() {
    let mut files = Vec::new();
    rust_files(&Path::new(ROOT).join("src/server"), &mut files);
    rust_files(&Path::new(ROOT).join("src/decisions"), &mut files);
    let mut wrong = Vec::new();
    let mut checked = 0;
    for path in files {
        let src = std::fs::read_to_string(&path).expect("read");
        for lit in literals(&src) {
            let Some(status) = literal_status(&src, &lit) else { continue };
            let place = format!("{}:{}", path.strip_prefix(ROOT).unwrap_or(&path).display(), lit.line);
            match (status, Reason::from_code(&lit.text)) {
                (Err(e), _) => wrong.push(format!("{place}: {e}")),
                (Ok(s), Some(r)) if s == r.status() || r.other_statuses().contains(&s) => checked += 1,
                (Ok(s), Some(r)) => wrong.push(format!(
                    "{place}: {} answered {s}, but Reason says {} (others {:?})",
                    lit.text,
                    r.status(),
                    r.other_statuses()
                )),
                (Ok(s), None) => wrong.push(format!("{place}: {} (answered {s}) is not a Reason", lit.text)),
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The handlers' literal refusals: a scanner that found none would check nothing.
    assert!(checked >= 50, "only {checked} literal refusals found in src/server and src/decisions");
}

const BEGIN: &str = "<!-- reasons:begin -->\n";
const END: &str = "<!-- reasons:end -->";

#[test]
fn the_readme_table_is_the_generated_one() {
    let path = Path::new(ROOT).join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let (Some(b), Some(e)) = (readme.find(BEGIN), readme.find(END)) else {
        panic!("README.md lacks the markers {BEGIN:?} and {END:?}");
    };
    assert!(b < e, "README.md: {BEGIN:?} comes after {END:?}");
    let found = &readme[b + BEGIN.len()..e];
    let expected = Reason::markdown_table();
    if found == expected {
        return;
    }
    if std::env::var_os("MRGATE_BLESS").is_some_and(|v| v == "1") {
        let updated = format!("{}{expected}{}", &readme[..b + BEGIN.len()], &readme[e..]);
        std::fs::write(&path, updated).expect("write README.md");
        eprintln!("README.md: the reason-code table was rewritten");
        return;
    }
    let first = found
        .lines()
        .zip(expected.lines())
        .position(|(f, x)| f != x)
        .unwrap_or(found.lines().count().min(expected.lines().count()));
    panic!(
        "README.md's reason-code table differs from Reason::markdown_table() at its line {}:\n  README:   {:?}\n  expected: {:?}\n\
         Regenerate it with `MRGATE_BLESS=1 cargo test --test reasons`. The whole expected section:\n{expected}",
        first + 1,
        found.lines().nth(first).unwrap_or("(end)"),
        expected.lines().nth(first).unwrap_or("(end)"),
    );
}

/// The page's `reason` map for one language: the JSON object between
/// `// reasons:<lang>:begin` and `// reasons:<lang>:end` (one `"code": "text",` a line).
fn page_reasons(script: &str, lang: &str) -> BTreeMap<String, String> {
    let (begin, end) = (format!("// reasons:{lang}:begin\n"), format!("// reasons:{lang}:end"));
    let b = script.find(&begin).unwrap_or_else(|| panic!("app.js lacks {begin:?}")) + begin.len();
    let e = script[b..].find(&end).unwrap_or_else(|| panic!("app.js lacks {end:?}")) + b;
    let body = script[b..e].trim_end().trim_end_matches(',');
    let map: BTreeMap<String, String> = serde_json::from_str(&format!("{{{body}}}"))
        .unwrap_or_else(|err| panic!("app.js {lang} reasons: one \"code\": \"text\", a line, no comments: {err}"));
    let entries = body.lines().filter(|l| l.trim_start().starts_with('"')).count();
    assert_eq!(entries, map.len(), "app.js {lang} reasons: a code is given twice");
    map
}

#[test]
fn the_page_has_an_english_and_a_chinese_text_for_every_code() {
    let script = std::fs::read_to_string(Path::new(ROOT).join("src/server/page/app.js")).expect("app.js");
    let listed = listed();
    let prefixes: BTreeSet<&str> = Reason::ALL.iter().map(|r| r.prefix()).collect();
    let mut problems = Vec::new();
    for lang in ["en", "zh"] {
        let map = page_reasons(&script, lang);
        let missing: Vec<&str> = listed.iter().filter(|c| !map.contains_key(*c)).map(String::as_str).collect();
        if !missing.is_empty() {
            problems.push(format!("{lang}: no text for {}", missing.join(", ")));
        }
        for (key, text) in &map {
            let known = if key.contains('.') { listed.contains(key) } else { prefixes.contains(key.as_str()) };
            if !known {
                problems.push(format!("{lang}: {key:?} is not a reason code (nor a prefix of one)"));
            }
            if text.trim().is_empty() {
                problems.push(format!("{lang}: {key} has an empty text"));
            }
            if lang == "zh" && !text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
                problems.push(format!("zh: {key} is not in Chinese: {text:?}"));
            }
        }
    }
    assert!(problems.is_empty(), "src/server/page/app.js:\n{}", problems.join("\n"));
}

#[test]
fn the_command_line_prints_the_list() {
    let run = |format: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_mrgate"))
            .args(["reasons", "--format", format])
            .output()
            .expect("run mrgate");
        assert!(out.status.success(), "mrgate reasons --format {format}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    assert_eq!(run("markdown"), Reason::markdown_table());
    let json: serde_json::Value = serde_json::from_str(&run("json")).expect("JSON");
    assert_eq!(json, Reason::json());
    assert_eq!(
        json[0],
        serde_json::json!({"code": "xml.too_large", "status": 400, "other_statuses": [], "message": Reason::XmlTooLarge.message()})
    );
}
