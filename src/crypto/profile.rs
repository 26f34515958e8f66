//! RFC 5280 profile checks that rustls-webpki leaves out, applied to every certificate of a
//! candidate path (signer, intermediates and the trust anchor actually used) and to the CRLs
//! consulted.
//!
//! webpki treats a trust anchor as a bare name and key and is lenient where the Web PKI
//! tolerates sloppiness; a gateway deciding legal facts is not. These checks run inside
//! webpki's path-building callback, so a path that breaks them is dropped and another path
//! may still be found. They only ever reject; they never make a path valid.

use super::keys::{KeyError, PublicKey};
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::*;

/// Where a certificate stands in the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Leaf,
    Intermediate,
    Anchor,
}

/// A profile violation: the certificate's subject and the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub subject: String,
    pub rule: String,
    pub code: &'static str,
    pub key: Option<KeyError>,
}

fn violation(cert: &X509Certificate<'_>, code: &'static str, rule: impl Into<String>) -> Violation {
    Violation { subject: cert.subject().to_string(), rule: rule.into(), code, key: None }
}

const OID_ANY_EKU: &str = "2.5.29.37.0";

/// Checks one certificate of a path; `at` is the validation time (Unix seconds), used for
/// the anchor's own validity, which webpki does not look at.
pub fn check_certificate(der: &[u8], role: Role, at: i64) -> Result<(), Violation> {
    let (rest, cert) = X509Certificate::from_der(der).map_err(|e| Violation {
        subject: "(unreadable certificate)".into(),
        rule: format!("cannot be parsed: {e}"),
        code: "x509.malformed",
        key: None,
    })?;
    if !rest.is_empty() {
        return Err(violation(&cert, "x509.malformed", "trailing data after the certificate"));
    }

    // Serial number: positive, non-zero, at most 20 octets (RFC 5280 4.1.2.2). A trust
    // anchor is trusted by configuration, not by its serial (some long-lived roots have 0).
    let serial = cert.raw_serial();
    if role != Role::Anchor {
        if serial.len() > 20 {
            return Err(violation(&cert, "x509.serial", format!("serial number is {} octets, over 20", serial.len())));
        }
        if serial.iter().all(|b| *b == 0) || serial.first().is_some_and(|b| b & 0x80 != 0) {
            return Err(violation(&cert, "x509.serial", "serial number must be a positive, non-zero integer"));
        }
    }

    // Keys: the same policy as for signatures, on every certificate of the path.
    if let Err(e) = PublicKey::from_spki(cert.public_key()) {
        return Err(Violation {
            subject: cert.subject().to_string(),
            rule: e.to_string(),
            code: e.code(),
            key: Some(e),
        });
    }
    if let Ok(x509_parser::public_key::PublicKey::RSA(rsa)) = cert.public_key().parsed() {
        let modulus: Vec<u8> = rsa.modulus.iter().copied().skip_while(|b| *b == 0).collect();
        let bits = modulus.first().map_or(0, |b| (modulus.len() - 1) * 8 + (8 - b.leading_zeros() as usize));
        if !bits.is_multiple_of(8) {
            return Err(violation(
                &cert,
                "key.bad_public_key",
                format!("RSA modulus of {bits} bits is not a whole number of octets"),
            ));
        }
    }

    // Bounds against quadratic name-constraint work (x509-limbo's nc-dos cases): no
    // legitimate certificate needs more names than this.
    const MAX_NAMES: usize = 256;
    if cert.subject().iter_attributes().count() > MAX_NAMES {
        return Err(violation(&cert, "x509.too_many_names", format!("more than {MAX_NAMES} subject attributes")));
    }

    let self_issued = cert.subject().as_raw() == cert.issuer().as_raw();
    let is_ca_role = matches!(role, Role::Intermediate | Role::Anchor);
    let mut ski: Option<&[u8]> = None;
    let mut aki_keyid: Option<&[u8]> = None;
    let mut has_aki = false;
    let mut basic_constraints = None;
    let mut key_usage = None;

    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::ParseError { error } => {
                return Err(violation(
                    &cert,
                    "x509.malformed",
                    format!("extension {} cannot be parsed: {error}", ext.oid),
                ));
            }
            ParsedExtension::UnsupportedExtension { .. } if ext.critical => {
                return Err(violation(
                    &cert,
                    "x509.critical_extension",
                    format!("unsupported critical extension {}", ext.oid),
                ));
            }
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                has_aki = true;
                if ext.critical {
                    return Err(violation(&cert, "x509.aki", "AuthorityKeyIdentifier must not be critical"));
                }
                if aki.key_identifier.is_none() {
                    return Err(violation(&cert, "x509.aki", "AuthorityKeyIdentifier lacks keyIdentifier"));
                }
                if aki.authority_cert_issuer.is_some() || aki.authority_cert_serial.is_some() {
                    return Err(violation(
                        &cert,
                        "x509.aki",
                        "AuthorityKeyIdentifier must name the key only, not issuer and serial",
                    ));
                }
                aki_keyid = aki.key_identifier.as_ref().map(|k| k.0);
            }
            ParsedExtension::SubjectKeyIdentifier(k) => {
                if ext.critical {
                    return Err(violation(&cert, "x509.ski", "SubjectKeyIdentifier must not be critical"));
                }
                ski = Some(k.0);
            }
            ParsedExtension::BasicConstraints(bc) => basic_constraints = Some((bc.ca, ext.critical)),
            ParsedExtension::KeyUsage(ku) => key_usage = Some(ku.flags),
            ParsedExtension::SubjectAlternativeName(san) if san.general_names.len() > MAX_NAMES => {
                return Err(violation(&cert, "x509.too_many_names", format!("more than {MAX_NAMES} subjectAltNames")));
            }
            ParsedExtension::NameConstraints(nc) => {
                let count = nc.permitted_subtrees.as_ref().map_or(0, Vec::len)
                    + nc.excluded_subtrees.as_ref().map_or(0, Vec::len);
                if count > MAX_NAMES {
                    return Err(violation(
                        &cert,
                        "x509.too_many_names",
                        format!("more than {MAX_NAMES} name-constraint subtrees"),
                    ));
                }
                if role == Role::Leaf {
                    return Err(violation(
                        &cert,
                        "x509.name_constraints",
                        "NameConstraints are only for CA certificates",
                    ));
                }
                if !ext.critical {
                    return Err(violation(&cert, "x509.name_constraints", "NameConstraints must be critical"));
                }
                let empty = |s: &Option<Vec<_>>| s.as_ref().is_none_or(|v| v.is_empty());
                if empty(&nc.permitted_subtrees) && empty(&nc.excluded_subtrees) {
                    return Err(violation(
                        &cert,
                        "x509.name_constraints",
                        "NameConstraints with neither permitted nor excluded subtrees",
                    ));
                }
                for subtree in nc.permitted_subtrees.iter().chain(nc.excluded_subtrees.iter()).flatten() {
                    if let GeneralName::DNSName(d) = subtree.base
                        && (d.starts_with('.') || d.contains('*'))
                    {
                        return Err(violation(
                            &cert,
                            "x509.name_constraints",
                            format!("invalid dNSName constraint '{d}'"),
                        ));
                    }
                }
            }
            ParsedExtension::PolicyConstraints(_) if !ext.critical => {
                return Err(violation(&cert, "x509.policy_constraints", "PolicyConstraints must be critical"));
            }
            ParsedExtension::ExtendedKeyUsage(eku)
                if role == Role::Leaf && (eku.any || eku.other.iter().any(|o| o.to_id_string() == OID_ANY_EKU)) =>
            {
                return Err(violation(&cert, "x509.eku", "anyExtendedKeyUsage is not a purpose a signer may claim"));
            }
            _ => {}
        }
    }

    if !self_issued && !has_aki && role != Role::Anchor {
        return Err(violation(
            &cert,
            "x509.aki",
            "a certificate not issued by itself must carry AuthorityKeyIdentifier",
        ));
    }
    if self_issued
        && let (Some(a), Some(s)) = (aki_keyid, ski)
        && a != s
    {
        return Err(violation(
            &cert,
            "x509.aki",
            "a self-signed certificate's AuthorityKeyIdentifier differs from its SubjectKeyIdentifier",
        ));
    }

    let key_cert_sign = key_usage.is_some_and(|flags| flags & (1 << 5) != 0);
    if is_ca_role {
        if cert.subject().iter_attributes().next().is_none() {
            return Err(violation(&cert, "x509.empty_subject", "a CA certificate must have a non-empty subject"));
        }
        match basic_constraints {
            None => return Err(violation(&cert, "x509.issuer_not_ca", "a CA certificate must carry BasicConstraints")),
            Some((false, _)) => return Err(violation(&cert, "x509.issuer_not_ca", "BasicConstraints cA is false")),
            Some((true, false)) => {
                return Err(violation(
                    &cert,
                    "x509.issuer_not_ca",
                    "BasicConstraints must be critical in a CA certificate",
                ));
            }
            Some((true, true)) => {}
        }
        if key_usage.is_some() && !key_cert_sign {
            return Err(violation(&cert, "x509.key_usage", "a CA certificate's KeyUsage lacks keyCertSign"));
        }
        if ski.is_none() {
            return Err(violation(&cert, "x509.ski", "a CA certificate must carry SubjectKeyIdentifier"));
        }
    } else if key_cert_sign && basic_constraints.is_none_or(|(ca, _)| !ca) {
        return Err(violation(&cert, "x509.key_usage", "keyCertSign is asserted but the certificate is not a CA"));
    }

    if role == Role::Anchor {
        let v = cert.validity();
        if v.not_after.timestamp() < at {
            return Err(violation(&cert, "x509.expired", format!("the trust anchor expired at {}", v.not_after)));
        }
        if v.not_before.timestamp() > at {
            return Err(violation(
                &cert,
                "x509.not_yet_valid",
                format!("the trust anchor is not valid before {}", v.not_before),
            ));
        }
    }
    Ok(())
}

/// Checks a CRL that was consulted for a path: it must carry a non-critical CRLNumber, and
/// its issuer (when its certificate is known and has KeyUsage) must assert cRLSign.
pub fn check_crl(crl_der: &[u8], issuer_cert_der: Option<&[u8]>) -> Result<(), Violation> {
    let no_subject = |code: &'static str, rule: String| Violation { subject: "(CRL)".into(), rule, code, key: None };
    let (_, crl) = x509_parser::revocation_list::CertificateRevocationList::from_der(crl_der)
        .map_err(|e| no_subject("x509.crl_invalid", format!("CRL cannot be parsed: {e}")))?;
    let issuer = crl.issuer().to_string();
    let with_issuer =
        |rule: &str| Violation { subject: issuer.clone(), rule: rule.into(), code: "x509.crl_invalid", key: None };
    match crl.extensions().iter().find(|e| matches!(e.parsed_extension(), ParsedExtension::CRLNumber(_))) {
        None => return Err(with_issuer("the CRL lacks a CRLNumber")),
        Some(e) if e.critical => return Err(with_issuer("the CRL's CRLNumber must not be critical")),
        Some(_) => {}
    }
    if let Some(der) = issuer_cert_der
        && let Ok((_, cert)) = X509Certificate::from_der(der)
        && let Ok(Some(ku)) = cert.key_usage()
        && !ku.value.crl_sign()
    {
        return Err(with_issuer("the CRL's issuer does not assert cRLSign"));
    }
    Ok(())
}
