//! Who is calling: a client certificate's claimed role, granted only when the certificate
//! chains to an anchor that may vouch for that role; and which exporter a bearer token or
//! certificate is, with what it was granted.
//!
//! | identity | vouched for by | may |
//! |---|---|---|
//! | `operator`, `customs`, `exporter` | the domestic client CAs `[identities]` names for that role | that role's routes |
//! | `partner:<body>` | the certificates of `<body>`'s document-signing services the trust list in force grants (and `[identities.partners]`) | act for `<body>` and the CBs it accredits |
//! | an exporter grant | its bearer tokens or pinned client certificates (`[[exporters.grant]]`) | export unsigned certificates of its holders and CBs |
//!
//! The OU is only ever a claim: this module must never grant a role because a certificate
//! says so, only because an anchor allowed for that role issued it. A claim no allowed
//! anchor vouches for is refused (`auth.issuer_not_allowed`), never downgraded to another
//! role.

use super::config::Config;
use crate::crypto::x509::{Crls, PathOptions, Purpose, TrustAnchors, read_certificates, verify_path};
use crate::trust::TrustList;
use rustls::pki_types::CertificateDer;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use x509_parser::prelude::{FromDer, X509Certificate};

pub use crate::decisions::caller::{Grant, Role};

/// The role a certificate's subject OU claims (`None` for no or an unknown OU: such a
/// certificate is an anonymous caller).
fn claimed_role(ou: &str) -> Option<Role> {
    match ou {
        "customs" => Some(Role::Customs),
        "exporter" => Some(Role::Exporter),
        "operator" => Some(Role::Operator),
        p => p.strip_prefix("partner:").filter(|id| !id.is_empty()).map(|id| Role::Partner(id.to_string())),
    }
}

/// A caller as one request sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub role: Role,
    /// What the caller is counted and logged as: `partner:<body>`, `exporter:<grant>`,
    /// `<role>:<certificate hash prefix>`, or `anonymous`.
    pub name: String,
    /// The exporter grant of the caller's certificate, when it is a granted exporter's.
    pub grant: Option<Arc<Grant>>,
    /// Set when the certificate claims a role its issuer may not grant: the request is
    /// refused whatever it asks.
    pub refused: Option<String>,
}

impl Caller {
    pub fn anonymous() -> Self {
        Self { role: Role::Anonymous, name: "anonymous".into(), grant: None, refused: None }
    }
}

/// The anchors for each role, and the exporter grants, from one configuration.
#[derive(Debug, Default)]
pub struct Authority {
    operator: TrustAnchors,
    customs: TrustAnchors,
    exporter: TrustAnchors,
    /// Roots that configuration adds for `partner:<body>`, as DER.
    partners: HashMap<String, Vec<Vec<u8>>>,
    grants: Vec<Arc<Grant>>,
    /// SHA-256 of a bearer token → its grant.
    tokens: HashMap<[u8; 32], usize>,
    /// SHA-256 of a pinned client certificate → its grant.
    certificates: HashMap<[u8; 32], usize>,
    /// The TLS client roots (`tls.client_ca`) of this configuration: a chain the handshake
    /// took under an earlier one must build to one of them as well (found by review: a
    /// partner whose root a reload took out of `client_ca` went on over its open connection).
    /// `None`: the handshake's check stands alone (an authority made in a test).
    tls_roots: Option<TrustAnchors>,
}

fn read(path: &std::path::Path) -> Result<Vec<u8>, String> {
    crate::files::configured(path)
}

fn anchors(paths: &[std::path::PathBuf], what: &str) -> Result<TrustAnchors, String> {
    let mut a = TrustAnchors::new();
    for p in paths {
        a.add_pem_or_der(&read(p)?).map_err(|e| format!("{what}: {}: {e}", p.display()))?;
    }
    Ok(a)
}

impl Authority {
    pub fn load(config: &Config) -> Result<Self, String> {
        let ids = &config.identities;
        let mut partners = HashMap::new();
        for (body, roots) in &ids.partners {
            let mut ders = Vec::new();
            for p in roots {
                let certs = read_certificates(&read(p)?).map_err(|e| format!("{}: {e}", p.display()))?;
                ders.extend(certs.iter().map(|c| c.as_ref().to_vec()));
            }
            partners.insert(body.clone(), ders);
        }
        let mut authority = Self {
            operator: anchors(&ids.operator, "identities.operator")?,
            customs: anchors(&ids.customs, "identities.customs")?,
            exporter: anchors(&ids.exporter, "identities.exporter")?,
            partners,
            tls_roots: Some(anchors(&config.tls.client_ca, "tls.client_ca")?),
            ..Self::default()
        };
        for (i, g) in config.exporters.grant.iter().enumerate() {
            authority.grants.push(Arc::new(Grant {
                name: g.name.clone(),
                holders: g.holders.iter().cloned().collect(),
                bodies: g.bodies.iter().cloned().collect(),
            }));
            for f in &g.token_files {
                let text = read(f)?;
                for token in String::from_utf8_lossy(&text).lines().map(str::trim).filter(|l| !l.is_empty()) {
                    if authority.tokens.insert(super::sha256(token.as_bytes()), i).is_some() {
                        return Err(format!("{}: a token is given to two exporter grants", f.display()));
                    }
                }
            }
            for f in &g.certificates {
                for c in read_certificates(&read(f)?).map_err(|e| format!("{}: {e}", f.display()))? {
                    if authority.certificates.insert(super::sha256(c.as_ref()), i).is_some() {
                        return Err(format!("{}: a certificate is given to two exporter grants", f.display()));
                    }
                }
            }
        }
        Ok(authority)
    }

    /// Exporter bearer tokens known.
    pub fn token_count(&self) -> usize {
        self.tokens.len()
    }

    /// The grant a bearer token belongs to. Tokens are compared by their SHA-256: timing can
    /// reveal at most a prefix of a hash, never of the token.
    pub fn exporter_by_token(&self, token: &str) -> Option<Arc<Grant>> {
        self.tokens.get(&super::sha256(token.as_bytes())).and_then(|&i| self.grants.get(i)).cloned()
    }

    /// Who presents `chain` (leaf first, as verified at the handshake against `client_ca`),
    /// with partner roots taken from `list` and revocation from `crls`, at `now`.
    pub fn identify(&self, chain: &[CertificateDer<'_>], list: &TrustList, crls: &Crls, now: u64) -> Caller {
        self.identified(chain, list, crls, now).0
    }

    /// [`Authority::identify`], and until when (Unix seconds) its path stays valid: a caller
    /// found is never taken as found past its certificate's expiry, nor past its CRLs' next
    /// update.
    fn identified(&self, chain: &[CertificateDer<'_>], list: &TrustList, crls: &Crls, now: u64) -> (Caller, u64) {
        let anonymous = (Caller::anonymous(), u64::MAX);
        let Some(leaf) = chain.first() else { return anonymous };
        let Ok((_, cert)) = X509Certificate::from_der(leaf.as_ref()) else { return anonymous };
        let ou = cert.subject().iter_organizational_unit().next().and_then(|a| a.as_str().ok()).unwrap_or("");
        let Some(claimed) = claimed_role(ou) else { return anonymous };
        let partner_anchors;
        let anchors = match &claimed {
            Role::Operator => &self.operator,
            Role::Customs => &self.customs,
            Role::Exporter => &self.exporter,
            Role::Partner(body) => {
                partner_anchors = self.partner_anchors(body, list, now);
                &partner_anchors
            }
            Role::Anonymous => return anonymous,
        };
        // The same words whatever failed: which roles have anchors, or why a path did not
        // build, is nothing a refused caller needs to learn.
        let refused = || {
            let why = format!("this certificate claims the role '{}', which its issuer may not grant", claimed.name());
            (Caller { role: Role::Anonymous, name: "refused".into(), grant: None, refused: Some(why) }, u64::MAX)
        };
        // A CA of another role mints no partner, even under a root the list grants the body
        // (found by attack: the demo list grants CNAS the domestic root, under which each
        // domestic role may have a CA of its own, and a customs CA minted `partner:cnas`).
        let other_roles = [&self.operator, &self.customs, &self.exporter];
        if matches!(claimed, Role::Partner(_))
            && chain.iter().skip(1).any(|c| !anchors.names(c) && other_roles.iter().any(|a| a.names(c)))
        {
            return refused();
        }
        let options = PathOptions {
            purpose: Purpose::ClientAuth,
            time: now,
            crls: if crls.is_empty() { None } else { Some(crls) },
            max_intermediates: None,
            crls_at: None,
        };
        let hash = super::sha256(leaf.as_ref());
        let Ok(verified) = verify_path(leaf, chain.get(1..).unwrap_or_default(), anchors, &options) else {
            return refused();
        };
        let tls = match &self.tls_roots {
            Some(roots) => match verify_path(leaf, chain.get(1..).unwrap_or_default(), roots, &options) {
                Ok(tls) => Some(tls.valid_until),
                Err(_) => return refused(),
            },
            None => None,
        };
        let grant = (claimed == Role::Exporter)
            .then(|| self.certificates.get(&hash))
            .flatten()
            .and_then(|&i| self.grants.get(i));
        let name = match (&claimed, grant) {
            (Role::Partner(_), _) => claimed.name(),
            (_, Some(g)) => format!("exporter:{}", g.name),
            _ => format!("{}:{}", claimed.name(), crate::crypto::lower_hex(&hash[..8])),
        };
        let until = tls.map_or(verified.valid_until, |t| t.min(verified.valid_until));
        // Nor past the CRLs' next update, from which a path found with them is refused as
        // stale (found by review: the role held for up to a recheck's time past it).
        let until = match crls.fresh_until().filter(|_| !crls.is_empty()) {
            Some(next_update) => until.min(next_update),
            None => until,
        };
        (Caller { role: claimed, name, grant: grant.cloned(), refused: None }, until)
    }

    /// The certificates that may vouch for `partner:<body>`: those the list grants the body
    /// now, and those configuration adds — only while the list grants the body something
    /// (found by attack: configured roots kept a body the list had withdrawn a partner).
    fn partner_anchors(&self, body: &str, list: &TrustList, now: u64) -> TrustAnchors {
        let at = time::OffsetDateTime::from_unix_timestamp(now as i64).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        let mut anchors = TrustAnchors::new();
        let listed = list.signing_certificates_of(body, at);
        let granted = !listed.is_empty();
        let configured = self.partners.get(body).into_iter().flatten().map(Vec::as_slice).filter(|_| granted);
        for der in listed.into_iter().chain(configured) {
            // A listed certificate that cannot anchor (not a CA) simply vouches for nothing.
            let _ = anchors.add_der(&CertificateDer::from(der));
        }
        anchors
    }
}

/// One connection's certificate and who it was found to be, worked out again when the trust
/// list in force changes (a partner's roots come from it), when a reload made another
/// [`super::App`] (its role anchors, exporter grants and CRLs decide too), and at least every
/// [`Presented::RECHECK`] (certificates expire, services change status on a date).
#[derive(Debug)]
pub struct Presented {
    chain: Vec<CertificateDer<'static>>,
    known: Mutex<Option<Found>>,
}

/// A connection's caller as last found.
#[derive(Debug)]
struct Found {
    /// The [`super::App::generation`] and the list digest it was found under.
    generation: u64,
    list: String,
    at: std::time::Instant,
    /// Its path's expiry, or its CRLs' next update if sooner (Unix seconds).
    until: u64,
    caller: Caller,
}

impl Presented {
    /// How long a connection's caller is taken as found before it is worked out again.
    pub const RECHECK: std::time::Duration = std::time::Duration::from_secs(30);

    pub fn new(chain: Vec<CertificateDer<'static>>) -> Self {
        Self { chain, known: Mutex::new(None) }
    }

    /// The caller, under `app`'s authority and trust list in force.
    pub fn caller(&self, app: &super::App) -> Caller {
        if self.chain.is_empty() {
            return Caller::anonymous();
        }
        // The list another node installed is the list in force here too before anyone is
        // found under it (found by attack: a withdrawn partner kept its role on a node no
        // decision had made follow the store).
        // Each request: a throttle would let a kept-alive connection be found under the old
        // list for a request or more after another node's install (found by review), and
        // every decision reads the store's list anyway.
        app.follow_trust_list();
        let list = app.trust_list();
        let now = app.now().unix_timestamp().max(0) as u64;
        let mut known = self.known.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(found) = known.as_ref()
            && found.generation == app.generation
            && found.list == list.digest
            && found.at.elapsed() < Self::RECHECK
            && now < found.until
        {
            return found.caller.clone();
        }
        let (caller, until) = app.authority.identified(&self.chain, &list, &app.crls, now);
        let at = std::time::Instant::now();
        *known =
            Some(Found { generation: app.generation, list: list.digest.clone(), at, until, caller: caller.clone() });
        caller
    }
}

#[cfg(test)]
mod tests {
    use super::{Authority, Grant, Role};
    use crate::crypto::x509::{Crls, TrustAnchors, read_certificates};
    use crate::trust::TrustList;

    /// `partner:<body>` is vouched for by the body's document-signing services only: the
    /// same certificate listed under a service of another type (a timestamping service, in
    /// an ETSI list) vouches for no one.
    #[test]
    fn a_partner_is_vouched_for_by_its_bodys_signing_services_only() {
        let demo =
            |f: &str| std::fs::read(format!("{}/certs/demo/{f}", env!("CARGO_MANIFEST_DIR"))).expect("demo file");
        let mut operator = TrustAnchors::new();
        operator.add_pem_or_der(&demo("ca.pem")).expect("anchor");
        let now = 1_780_272_000; // 2026-06-01
        let list = TrustList::load(&demo("trust-list.xml"), &operator, None, now, &crate::xml::Limits::default())
            .expect("the demo list");
        let chain = read_certificates(&demo("clients/partner-dakks.pem")).expect("client certificate");
        let authority = Authority::default();
        let caller = authority.identify(&chain, &list, &Crls::new(), now);
        assert_eq!(
            (caller.role, caller.name.as_str(), caller.refused),
            (Role::Partner("dakks".into()), "partner:dakks", None)
        );
        let mut other = list.clone();
        let dakks =
            other.providers.iter_mut().find(|p| p.body.as_ref().is_some_and(|b| b.id == "dakks")).expect("dakks");
        for service in &mut dakks.services {
            service.type_id = "http://uri.etsi.org/TrstSvc/Svctype/TSA/QTST".into();
        }
        let caller = authority.identify(&chain, &other, &Crls::new(), now);
        assert_eq!(caller.role, Role::Anonymous);
        assert_eq!(
            caller.refused.as_deref(),
            Some("this certificate claims the role 'partner:dakks', which its issuer may not grant")
        );
    }

    fn demo(f: &str) -> Vec<u8> {
        std::fs::read(format!("{}/certs/demo/{f}", env!("CARGO_MANIFEST_DIR"))).expect("demo file")
    }

    fn demo_list(now: u64) -> TrustList {
        let mut operator = TrustAnchors::new();
        operator.add_pem_or_der(&demo("ca.pem")).expect("anchor");
        TrustList::load(&demo("trust-list.xml"), &operator, None, now, &crate::xml::Limits::default())
            .expect("the demo list")
    }

    fn pem_chain(pems: &[String]) -> Vec<rustls::pki_types::CertificateDer<'static>> {
        pems.iter().flat_map(|p| read_certificates(p.as_bytes()).expect("pem")).collect()
    }

    /// The demo list grants CNAS the domestic root, under which each domestic role may
    /// have a CA of its own: a certificate from such a CA is that role's and no partner's
    /// (found by attack: a customs CA minted `partner:cnas`, and an exporter CA's
    /// `partner:cnas` read every kept document).
    #[test]
    fn a_ca_of_another_role_mints_no_partner() {
        let now = 1_780_272_000; // 2026-06-01
        let list = demo_list(now);
        let text = |f: &str| String::from_utf8(demo(f)).expect("utf8");
        let mut root = crate::pki::Ca::load(&text("ca.pem"), &text("ca.key")).expect("root");
        let mut customs_ca = root.intermediate("customs CA", Some(0), true).expect("customs CA");
        let mut exporter_ca = root.intermediate("exporter CA", Some(0), true).expect("exporter CA");
        let mut authority = Authority::default();
        authority.customs.add_pem_or_der(customs_ca.pem().as_bytes()).expect("customs anchor");
        authority.exporter.add_pem_or_der(exporter_ca.pem().as_bytes()).expect("exporter anchor");
        let refused =
            |role: &str| Some(format!("this certificate claims the role '{role}', which its issuer may not grant"));
        let identify = |ca: &mut crate::pki::Ca, role: &str| {
            let leaf = ca.issue(&crate::pki::LeafSpec::client(role)).expect("leaf");
            let caller = authority.identify(&pem_chain(&[leaf.pem(), ca.pem()]), &list, &Crls::new(), now);
            (caller.role, caller.refused)
        };
        assert_eq!(identify(&mut customs_ca, "customs"), (Role::Customs, None));
        assert_eq!(identify(&mut customs_ca, "partner:cnas"), (Role::Anonymous, refused("partner:cnas")));
        assert_eq!(identify(&mut exporter_ca, "partner:cnas"), (Role::Anonymous, refused("partner:cnas")));
        assert_eq!(identify(&mut customs_ca, "operator"), (Role::Anonymous, refused("operator")));
        // The body's own: a certificate from the root the list grants, with or without the
        // root in its chain.
        let leaf = root.issue(&crate::pki::LeafSpec::client("partner:cnas")).expect("leaf");
        for chain in [vec![leaf.pem()], vec![leaf.pem(), root.pem()]] {
            let caller = authority.identify(&pem_chain(&chain), &list, &Crls::new(), now);
            assert_eq!((caller.role, caller.refused), (Role::Partner("cnas".into()), None));
        }
        // A CA no role is configured with is the body's to use.
        let mut other_ca = root.intermediate("CNAS partner CA", Some(0), true).expect("CA");
        assert_eq!(identify(&mut other_ca, "partner:cnas"), (Role::Partner("cnas".into()), None));
        // The customs CA certified again with its own name and key (another serial): it is
        // the customs CA all the same (found by review: matched byte for byte, a certificate
        // spelled otherwise passed).
        let again = {
            let key = rcgen::KeyPair::from_pem(&customs_ca.key_pem()).expect("key");
            let mut params = rcgen::CertificateParams::default();
            params.distinguished_name.push(rcgen::DnType::CommonName, "customs CA");
            params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
            params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
            params.not_before = crate::pki::demo_not_before();
            params.not_after = crate::pki::demo_not_after();
            params.serial_number = Some(rcgen::SerialNumber::from_slice(&[0x7e, 0x57]));
            let root_key = rcgen::KeyPair::from_pem(&text("ca.key")).expect("root key");
            let root_issuer = rcgen::Issuer::from_ca_cert_pem(&text("ca.pem"), root_key).expect("root issuer");
            params.signed_by(&key, &root_issuer).expect("signed").pem()
        };
        assert_ne!(again, customs_ca.pem(), "another certificate");
        let leaf = customs_ca.issue(&crate::pki::LeafSpec::client("partner:cnas")).expect("leaf");
        let caller = authority.identify(&pem_chain(&[leaf.pem(), again]), &list, &Crls::new(), now);
        assert_eq!((caller.role, caller.refused), (Role::Anonymous, refused("partner:cnas")));
        // Renewed with a new key under the same name, the configuration still naming the old
        // one: the customs CA still (found by review: matched by name and key, it passed).
        let mut renewed = root.intermediate("customs CA", Some(0), true).expect("renewed customs CA");
        assert_eq!(identify(&mut renewed, "partner:cnas"), (Role::Anonymous, refused("partner:cnas")));
    }

    /// Roots that configuration adds for a partner vouch only while the list grants its body
    /// something (found by attack: a body the list had withdrawn kept its partner role
    /// through a configured root).
    #[test]
    fn configured_partner_roots_follow_the_list() {
        let now = 1_780_272_000; // 2026-06-01
        let list = demo_list(now);
        let mut authority = Authority::default();
        let root = read_certificates(&demo("foreign/dakks/root.pem")).expect("root");
        authority.partners.insert("dakks".into(), root.iter().map(|c| c.as_ref().to_vec()).collect());
        let chain = read_certificates(&demo("clients/partner-dakks.pem")).expect("client certificate");
        assert_eq!(authority.identify(&chain, &list, &Crls::new(), now).role, Role::Partner("dakks".into()));
        let mut withdrawn = list.clone();
        let dakks =
            withdrawn.providers.iter_mut().find(|p| p.body.as_ref().is_some_and(|b| b.id == "dakks")).expect("dakks");
        for service in &mut dakks.services {
            service.history.push(crate::trust::StatusChange {
                status: crate::trust::STATUS_WITHDRAWN.into(),
                since: time::macros::datetime!(2026-05-01 0:00 UTC),
            });
        }
        let caller = authority.identify(&chain, &withdrawn, &Crls::new(), now);
        assert_eq!(
            (caller.role, caller.refused.as_deref()),
            (Role::Anonymous, Some("this certificate claims the role 'partner:dakks', which its issuer may not grant"))
        );
    }

    /// A caller found is taken as found until its certificate's path expires, no longer.
    #[test]
    fn a_caller_is_found_until_its_certificate_expires() {
        let now = 1_780_272_000; // 2026-06-01
        let list = demo_list(now);
        let chain = read_certificates(&demo("clients/partner-dakks.pem")).expect("client certificate");
        let (caller, until) = Authority::default().identified(&chain, &list, &Crls::new(), now);
        assert_eq!(caller.role, Role::Partner("dakks".into()));
        let (_, leaf) = x509_parser::parse_x509_certificate(chain[0].as_ref()).expect("leaf");
        assert_eq!(until, leaf.validity().not_after.timestamp() as u64);
        let (anonymous, until) = Authority::default().identified(&[], &list, &Crls::new(), now);
        assert_eq!((anonymous.role, until), (Role::Anonymous, u64::MAX));
        // Nor past its CRLs' next update, from which the path is refused as stale.
        let root = crate::pki::Ca::load(
            &String::from_utf8(demo("foreign/dakks/root.pem")).expect("pem"),
            &String::from_utf8(demo("foreign/dakks/root.key")).expect("pem"),
        )
        .expect("the demo DAkkS root");
        let at = |t: u64| time::OffsetDateTime::from_unix_timestamp(t as i64).expect("time");
        let crl = root.crl(&[], at(now - 86_400), at(now + 3_600)).expect("crl");
        let mut crls = Crls::new();
        crls.add_der(crl.der().as_ref()).expect("crl");
        let (caller, until) = Authority::default().identified(&chain, &list, &crls, now);
        assert_eq!((caller.role, until), (Role::Partner("dakks".into()), now + 3_600));
    }

    #[test]
    fn a_grant_covers_its_holders_and_its_bodies_both_when_both_are_named() {
        let grant = |holders: &[&str], bodies: &[&str]| Grant {
            name: "g".into(),
            holders: holders.iter().map(|h| h.to_string()).collect(),
            bodies: bodies.iter().map(|b| b.to_string()).collect(),
        };
        let (h, other_h, b, other_b) =
            ("91310110666007217T", "91310115591693856A", "CNCA-R-2002-001", "CNCA-R-2002-002");
        let cases = [
            (grant(&[h], &[]), [true, false, true, false]),
            (grant(&[], &[b]), [true, true, false, false]),
            (grant(&[h], &[b]), [true, false, false, false]),
            (grant(&[], &[]), [false, false, false, false]),
        ];
        for (g, expected) in cases {
            let got = [
                g.covers(Some(h), b),
                g.covers(Some(other_h), b),
                g.covers(Some(h), other_b),
                g.covers(Some(other_h), other_b),
            ];
            assert_eq!(got, expected, "{g:?}");
        }
        assert!(!grant(&[h], &[]).covers(None, b), "a certificate without a credit code is no granted holder's");
        assert!(grant(&[], &[b]).covers(None, b));
    }
}
