//! `mrgate sign --format cn-xml|iaf-xml`, `xmldsig verify` and `trust show|query|build` as a
//! user runs them: verdict JSON and exit codes (0 valid, 1 invalid, 2 unreadable, 3
//! unsupported algorithm).

mod common;

use std::process::{Command, Output};

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/certs/demo");
const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/cn-qms.xml");
const AT: &str = "2026-06-01T00:00:00Z";
const DEMO_CA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/certs/demo/ca.pem");

fn mrgate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mrgate")).args(args).output().expect("run")
}

fn demo(p: &str) -> String {
    format!("{DEMO}/{p}")
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn signed_cn(dir: &std::path::Path) -> String {
    let out = mrgate(&[
        "sign",
        "--format",
        "cn-xml",
        "--key",
        &demo("cb/CNCA-R-2002-001.key"),
        "--cert",
        &demo("cb/CNCA-R-2002-001.pem"),
        FIXTURE,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let path = dir.join("signed.xml");
    std::fs::write(&path, &out.stdout).expect("write");
    path.to_string_lossy().to_string()
}

#[test]
fn signed_certificate_verifies_and_still_parses() {
    let dir = tempfile::tempdir().expect("tmp");
    let signed = signed_cn(dir.path());
    let out = mrgate(&["xmldsig", "verify", "--trust-anchor", &demo("ca.pem"), "--at", AT, &signed]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["valid"], true);
    assert_eq!(
        v["signer"],
        "C=CN, O=China Quality Certification Centre, OU=CNCA-R-2002-001, CN=China Quality Certification Centre document signer"
    );
    // The signed document is still a valid CN certificate.
    assert_eq!(mrgate(&["validate", "--at", "2026-06-01", &signed]).status.code(), Some(0));
}

#[test]
fn tampered_signed_certificate_exit_1() {
    let dir = tempfile::tempdir().expect("tmp");
    let signed = signed_cn(dir.path());
    let text = std::fs::read_to_string(&signed).expect("read").replacen("2028-01-09", "2038-01-09", 1);
    std::fs::write(&signed, text).expect("write");
    let out = mrgate(&["xmldsig", "verify", "--trust-anchor", &demo("ca.pem"), "--at", AT, &signed]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out)["checks"].as_array().expect("c").last().expect("l")["reason"], "dsig.digest_mismatch");
}

#[test]
fn revoked_cb_signer_exit_1() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = mrgate(&[
        "sign",
        "--format",
        "cn-xml",
        "--key",
        &demo("cb/revoked.key"),
        "--cert",
        &demo("cb/revoked.pem"),
        FIXTURE,
    ]);
    let path = dir.path().join("r.xml");
    std::fs::write(&path, &out.stdout).expect("write");
    let out = mrgate(&[
        "xmldsig",
        "verify",
        "--trust-anchor",
        &demo("ca.pem"),
        "--crl",
        &demo("crl/domestic.crl.pem"),
        "--at",
        AT,
        path.to_str().expect("p"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out)["checks"].as_array().expect("c").last().expect("l")["reason"], "x509.revoked");
}

#[test]
fn unsigned_or_malformed_exit_2_and_an_unsupported_algorithm_exit_3() {
    let out = mrgate(&["xmldsig", "verify", "--trust-anchor", &demo("ca.pem"), FIXTURE]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(json(&out)["checks"].as_array().expect("c").last().expect("l")["reason"], "dsig.no_signature");
    let Some(corpus) = common::corpus() else { return };
    let brainpool = corpus.join("trusted-lists/tl-ecdsa-brainpool.xml");
    // Brainpool verifies (as xmlsec1 says); an algorithm mrgate does not have is exit 3.
    let out = mrgate(&["xmldsig", "verify", "--insecure-embedded-key", brainpool.to_str().expect("p")]);
    assert_eq!((out.status.code(), json(&out)["valid"].as_bool()), (Some(0), Some(true)));
    let text = std::fs::read_to_string(&brainpool).expect("read");
    assert!(text.contains("xmldsig-more#ecdsa-sha256\""), "the list's signature method");
    let dir = tempfile::tempdir().expect("tmp");
    let sha224 = dir.path().join("sha224.xml");
    std::fs::write(&sha224, text.replacen("xmldsig-more#ecdsa-sha256\"", "xmldsig-more#ecdsa-sha224\"", 1))
        .expect("write");
    let out = mrgate(&["xmldsig", "verify", "--insecure-embedded-key", sha224.to_str().expect("p")]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(json(&out)["valid"], false);
    let broken = corpus.join("trusted-lists/eu-lotl-not-parseable.xml");
    assert_eq!(
        mrgate(&["xmldsig", "verify", "--insecure-embedded-key", broken.to_str().expect("p")]).status.code(),
        Some(2)
    );
    let ie = corpus.join("trusted-lists/ie-tl.xml");
    let out = mrgate(&["xmldsig", "verify", "--insecure-embedded-key", ie.to_str().expect("p")]);
    assert_eq!(out.status.code(), Some(0));
    assert!(json(&out)["trust"].as_str().expect("trust note").starts_with("none"));
}

#[test]
fn xmldsig_verify_needs_an_anchor_or_the_insecure_flag() {
    assert_eq!(mrgate(&["xmldsig", "verify", FIXTURE]).status.code(), Some(2));
}

#[test]
fn signed_iaf_record_verifies() {
    let dir = tempfile::tempdir().expect("tmp");
    let iaf = mrgate(&["translate", "--from", "cn-xml", "--to", "iaf-xml", FIXTURE]);
    let iaf_path = dir.path().join("iaf.xml");
    std::fs::write(&iaf_path, &iaf.stdout).expect("write");
    let out = mrgate(&[
        "sign",
        "--format",
        "iaf-xml",
        "--key",
        &demo("foreign/dakks/signer.key"),
        "--cert",
        &demo("foreign/dakks/signer.pem"),
        iaf_path.to_str().expect("p"),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let signed = dir.path().join("iaf-signed.xml");
    std::fs::write(&signed, &out.stdout).expect("write");
    let ok = mrgate(&[
        "xmldsig",
        "verify",
        "--trust-anchor",
        &demo("foreign/dakks/root.pem"),
        "--at",
        AT,
        signed.to_str().expect("p"),
    ]);
    assert_eq!(ok.status.code(), Some(0));
    let wrong =
        mrgate(&["xmldsig", "verify", "--trust-anchor", &demo("ca.pem"), "--at", AT, signed.to_str().expect("p")]);
    assert_eq!(wrong.status.code(), Some(1));
}

#[test]
fn trust_commands() {
    let list = demo("trust-list.xml");
    let show = mrgate(&["trust", "show", "--trust-anchor", &demo("ca.pem"), "--at", AT, &list]);
    assert_eq!(show.status.code(), Some(0));
    let v = json(&show);
    assert_eq!(v["providers"].as_array().expect("providers").len(), 10);
    assert_eq!(v["providers"][9]["body"]["id"], "anab-cb");
    assert_eq!(v["providers"][9]["services"][0]["granted_at_time"], true);
    let later = mrgate(&["trust", "show", "--trust-anchor", &demo("ca.pem"), "--at", "2026-10-01T00:00:00Z", &list]);
    assert_eq!(json(&later)["providers"][9]["services"][0]["granted_at_time"], false);
    let wrong = mrgate(&["trust", "show", "--trust-anchor", &demo("foreign/ukas/root.pem"), &list]);
    assert_eq!(wrong.status.code(), Some(1));
    let q = |body: &str, scope: &str| {
        mrgate(&[
            "trust",
            "query",
            "--trust-anchor",
            &demo("ca.pem"),
            "--at",
            AT,
            "--body",
            body,
            "--arrangement",
            "IAF MLA",
            "--scope",
            scope,
            &list,
        ])
    };
    assert_eq!(q("dakks", "ISO/IEC 17065").status.code(), Some(0));
    let suspended = q("ukas", "ISO/IEC 17065");
    assert_eq!(suspended.status.code(), Some(1));
    assert_eq!(json(&suspended)["reason"], "trust.mra_suspended");
    assert_eq!(json(&q("anab", "ISO/IEC 17021-1"))["reason"], "trust.mra_withdrawn");

    // The list validated now, asked about 2020 — before its signer's certificate was issued
    // (2025), so validating it then fails: the two times are apart.
    let demo_ca = demo("ca.pem");
    let asked = |at: &[&str]| {
        let mut args = vec!["trust", "query", "--trust-anchor", &demo_ca, "--body", "anab", "--arrangement", "IAF MLA"];
        args.extend(["--scope", "ISO/IEC 17021-1"]);
        args.extend(at);
        args.push(&list);
        mrgate(&args)
    };
    let then = asked(&["--membership-at", "2020-01-01T00:00:00Z"]);
    assert_eq!(then.status.code(), Some(0), "{}", String::from_utf8_lossy(&then.stderr));
    let v = json(&then);
    assert_eq!((v["active"].as_bool(), v["membership_at"].as_str()), (Some(true), Some("2020-01-01T00:00:00Z")));
    assert!(v["validated_at"].as_str().is_some_and(|t| t > "2026"), "{v}");
    let validated_then = asked(&["--at", "2020-01-01T00:00:00Z"]);
    assert_eq!(validated_then.status.code(), Some(1));
    assert_eq!(json(&validated_then)["valid"], false);
    let bad = asked(&["--membership-at", "2020-01-01"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("error[usage.at]: --membership-at '2020-01-01'"));
    // `trust show` likewise: anab-cb's service was withdrawn on 2026-09-01.
    for (when, granted) in [("2026-06-01T00:00:00Z", true), ("2026-10-01T00:00:00Z", false)] {
        let show = mrgate(&["trust", "show", "--trust-anchor", &demo_ca, "--membership-at", when, &list]);
        let v = json(&show);
        assert_eq!(
            (v["membership_at"].as_str(), v["providers"][9]["services"][0]["granted_at_time"].as_bool()),
            (Some(when), Some(granted))
        );
    }
}

/// `trust show`, `trust query` and `verify` read a list as the gateway would install it when
/// its operator's signer is pinned (`--trust-list-signer`), and warn when it is not; a list
/// past its NextUpdate is read by none of them (found by attack: `trust query` answered
/// "active" from a list a domestic CB had signed, past its NextUpdate, and `trust show`
/// printed it "valid").
#[test]
fn trust_lists_are_read_from_their_operator_and_in_date() {
    let dir = tempfile::tempdir().expect("tmp");
    for sub in ["cb", "foreign"] {
        std::os::unix::fs::symlink(demo(sub), dir.path().join(sub)).expect("link");
    }
    std::os::unix::fs::symlink(demo("ca.pem"), dir.path().join("ca.pem")).expect("link");
    let description = std::fs::read_to_string(demo("trust-list.toml")).expect("toml");
    let build = |name: &str, description: &str, key: &str, cert: &str| {
        let toml = dir.path().join(format!("{name}.toml"));
        std::fs::write(&toml, description).expect("write");
        let out = mrgate(&["trust", "build", toml.to_str().expect("p"), "--key", &demo(key), "--cert", &demo(cert)]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let path = dir.path().join(format!("{name}.xml"));
        std::fs::write(&path, &out.stdout).expect("write");
        path.to_str().expect("p").to_string()
    };
    let genuine = demo("trust-list.xml");
    let forged = build("forged", &description, "cb/CNCA-R-2002-001.key", "cb/CNCA-R-2002-001.pem");
    let stale_description =
        description.replace("next_update = \"2046-12-31T00:00:00Z\"", "next_update = \"2026-03-01T00:00:00Z\"");
    assert_ne!(stale_description, description, "the demo description changed");
    let stale = build("stale", &stale_description, "trust-list-operator.key", "trust-list-operator.pem");
    let operator = demo("trust-list-operator.pem");
    let query = |list: &str, pinned: bool| {
        let mut args = vec!["trust", "query", "--trust-anchor", DEMO_CA, "--at", AT, "--body", "dakks"];
        args.extend(["--arrangement", "IAF MLA", "--scope", "ISO/IEC 17065"]);
        if pinned {
            args.extend(["--trust-list-signer", operator.as_str()]);
        }
        args.push(list);
        let out = mrgate(&args);
        let warned = String::from_utf8_lossy(&out.stderr).contains("warning: the trust list's signer is not pinned");
        let v = json(&out);
        let said = v["reason"].as_str().unwrap_or_default().to_string();
        (out.status.code(), said, warned)
    };
    assert_eq!(query(&genuine, true), (Some(0), "trust.mra_active".into(), false));
    assert_eq!(query(&genuine, false), (Some(0), "trust.mra_active".into(), true));
    assert_eq!(query(&forged, true), (Some(1), "trust.signer_not_authorized".into(), false));
    // Unpinned, a list is still signed by a trust-list signer (EKU tslSigning): a CB's
    // document signer, under the same root, signs none (found by review).
    assert_eq!(query(&forged, false), (Some(1), "trust.signer_not_authorized".into(), true));
    assert_eq!(query(&stale, true), (Some(1), "trust.list_expired".into(), false));
    assert_eq!(query(&stale, false), (Some(1), "trust.list_expired".into(), true));
    let show = |list: &str| {
        let out =
            mrgate(&["trust", "show", "--trust-anchor", DEMO_CA, "--at", AT, "--trust-list-signer", &operator, list]);
        (out.status.code(), json(&out)["valid"].as_bool())
    };
    assert_eq!(show(&genuine), (Some(0), Some(true)));
    assert_eq!(show(&forged), (Some(1), Some(false)));
    assert_eq!(show(&stale), (Some(1), Some(false)));
    // `verify` reads its list by the same rule.
    let cn = signed_cn(dir.path());
    let verify = |list: &str| {
        let args = ["verify", "--trust-list", list, "--trust-anchor", DEMO_CA, "--at", AT, "--trust-list-signer"];
        let out = mrgate(&[&args[..], &[operator.as_str(), cn.as_str()]].concat());
        (out.status.code(), String::from_utf8_lossy(&out.stderr).lines().next().map(str::to_string))
    };
    // The genuine list is read (the verdict is another matter: signed now, the document is
    // asked about at AT, before its signing time).
    assert_eq!(verify(&genuine), (Some(1), None));
    let (code, said) = verify(&stale);
    assert_eq!(code, Some(2));
    assert!(said.is_some_and(|l| l.starts_with("error[trust.list_expired]")), "{stale}");
}

#[test]
fn trust_build_reproduces_a_verifiable_list() {
    let out = mrgate(&[
        "trust",
        "build",
        &demo("trust-list.toml"),
        "--key",
        &demo("trust-list-operator.key"),
        "--cert",
        &demo("trust-list-operator.pem"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("list.xml");
    std::fs::write(&path, &out.stdout).expect("write");
    assert_eq!(
        mrgate(&["trust", "show", "--trust-anchor", &demo("ca.pem"), path.to_str().expect("p")]).status.code(),
        Some(0)
    );
    if common::tool("xmlsec1") {
        let x = Command::new("xmlsec1")
            .args(["--verify", "--trusted-pem", &demo("ca.pem")])
            .arg(&path)
            .output()
            .expect("xmlsec1");
        assert!(x.status.success(), "xmlsec1 rejected the built trust list");
    }
    // A key that the certificate does not certify is refused before anything is written.
    let bad = mrgate(&[
        "trust",
        "build",
        &demo("trust-list.toml"),
        "--key",
        &demo("signing.key"),
        "--cert",
        &demo("trust-list-operator.pem"),
    ]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(bad.stdout.is_empty());
}
