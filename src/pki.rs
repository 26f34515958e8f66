//! Test and demo PKIs: certificate authorities, document signers, TLS server and client
//! certificates and CRLs, generated with rcgen.
//!
//! The demo set (`mrgate pki demo --out DIR`) is for demonstration only. Tests generate
//! fresh PKIs in temporary directories with the same builder, so no test depends on a
//! hand-edited certificate. Nothing here is used to make a trust decision.

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, PublicKeyData, RevokedCertParams,
    SanType, SerialNumber, SignatureAlgorithm,
};
use std::path::Path;
use time::OffsetDateTime;

pub use rcgen::Error as PkiError;

/// id-kp-documentSigning (RFC 9336) as rcgen writes OIDs.
pub const DOCUMENT_SIGNING_EKU: [u64; 9] = [1, 3, 6, 1, 5, 5, 7, 3, 36];

/// id-tsl-kp-tslSigning (ETSI TS 119 612, 0.4.0.2231.3.0): the EKU a trusted-list
/// operator's signing certificate carries, and that the gateway requires of a list's signer.
pub const TSL_SIGNING_EKU: [u64; 6] = [0, 4, 0, 2231, 3, 0];

/// The key algorithm of a generated key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAlg {
    Ed25519,
    EcdsaP256,
    EcdsaP384,
}

impl KeyAlg {
    fn rcgen(self) -> &'static SignatureAlgorithm {
        match self {
            KeyAlg::Ed25519 => &rcgen::PKCS_ED25519,
            KeyAlg::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            KeyAlg::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
        }
    }
}

/// A generated key or one loaded from PKCS#8 PEM (for RSA, which ring cannot generate).
#[derive(Debug)]
pub struct Key(pub KeyPair);

impl Key {
    pub fn generate(alg: KeyAlg) -> Result<Self, PkiError> {
        KeyPair::generate_for(alg.rcgen()).map(Key)
    }

    /// Loads an RSA PKCS#8 PEM key that will sign with RSA PKCS#1 v1.5 SHA-256.
    pub fn rsa_from_pem(pem: &str) -> Result<Self, PkiError> {
        KeyPair::from_pkcs8_pem_and_sign_algo(pem, &rcgen::PKCS_RSA_SHA256).map(Key)
    }

    /// PKCS#8 PEM. Ed25519 keys are written in the RFC 8410 v1 form (no embedded public
    /// key), which every PKCS#8 reader accepts; the v2 form rcgen produces is not read by
    /// some (Python `cryptography` among them).
    pub fn pem(&self) -> String {
        key_pem(&self.0)
    }
}

/// PKCS#8 PEM of a key pair; Ed25519 in the v1 form (see [`Key::pem`]).
fn key_pem(key: &KeyPair) -> String {
    {
        let der = key.serialize_der();
        const V2_PREFIX: [u8; 16] =
            [0x30, 0x51, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
        if key.algorithm() == &rcgen::PKCS_ED25519
            && let Some(seed) = der.strip_prefix(&V2_PREFIX).and_then(|rest| rest.get(..32))
        {
            let mut v1 =
                vec![0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
            v1.extend_from_slice(seed);
            return pem_block("PRIVATE KEY", &v1);
        }
        key.serialize_pem()
    }
}

pub use crate::crypto::pem_block;

/// A public key given only as its SubjectPublicKeyInfo parts (e.g. a weak RSA key that
/// ring refuses to load as a private key).
#[derive(Debug, Clone)]
pub struct RawPublicKey {
    pub subject_public_key: Vec<u8>,
    pub algorithm: &'static SignatureAlgorithm,
}

impl PublicKeyData for RawPublicKey {
    fn der_bytes(&self) -> &[u8] {
        &self.subject_public_key
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        self.algorithm
    }
}

/// What a certificate is for; each has a fitting KeyUsage / EKU profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Profile {
    /// Document signer: digitalSignature + nonRepudiation, EKU documentSigning.
    DocumentSigner,
    /// Trust-list operator: a document signer whose EKU also names tslSigning.
    TrustListSigner,
    /// TLS server for the given DNS names and IP addresses.
    TlsServer(Vec<String>),
    /// TLS client with a role, written as the subject's OU.
    TlsClient,
}

/// Everything that decides one end-entity certificate; defaults give a good document signer.
#[derive(Debug, Clone)]
pub struct LeafSpec {
    pub common_name: String,
    pub organization: Option<String>,
    pub unit: Option<String>,
    pub country: Option<String>,
    pub profile: Profile,
    pub key_alg: KeyAlg,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// Overrides the profile's KeyUsage (an empty list writes no KeyUsage extension).
    pub key_usages: Option<Vec<KeyUsagePurpose>>,
    /// Overrides the profile's EKU (an empty list writes no EKU extension).
    pub extended_key_usages: Option<Vec<ExtendedKeyUsagePurpose>>,
    /// Marks the leaf as a CA (a defect for signers).
    pub is_ca: bool,
}

impl LeafSpec {
    /// A TLS client certificate claiming `role` (subject OU and URI SAN).
    pub fn client(role: &str) -> Self {
        let mut spec = Self::new(&format!("{role} (minted)"), Profile::TlsClient);
        spec.unit = Some(role.into());
        spec
    }

    pub fn new(common_name: &str, profile: Profile) -> Self {
        Self {
            common_name: common_name.into(),
            organization: None,
            unit: None,
            country: None,
            profile,
            key_alg: KeyAlg::EcdsaP256,
            not_before: demo_not_before(),
            not_after: demo_not_after(),
            key_usages: None,
            extended_key_usages: None,
            is_ca: false,
        }
    }
}

/// The demo's validity: from 2025-01-01 to 2045-12-31, so the demo keeps working.
pub fn demo_not_before() -> OffsetDateTime {
    time::macros::datetime!(2025-01-01 00:00 UTC)
}

pub fn demo_not_after() -> OffsetDateTime {
    time::macros::datetime!(2045-12-31 23:59:59 UTC)
}

fn dn(cn: &str, o: Option<&str>, ou: Option<&str>, c: Option<&str>) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    if let Some(c) = c {
        dn.push(DnType::CountryName, c);
    }
    if let Some(o) = o {
        dn.push(DnType::OrganizationName, o);
    }
    if let Some(ou) = ou {
        dn.push(DnType::OrganizationalUnitName, ou);
    }
    dn.push(DnType::CommonName, cn);
    dn
}

/// A certificate with its key.
#[derive(Debug)]
pub struct Issued {
    pub cert: rcgen::Certificate,
    pub key: Option<Key>,
    pub serial: Vec<u8>,
}

impl Issued {
    pub fn pem(&self) -> String {
        self.cert.pem()
    }

    pub fn der(&self) -> &[u8] {
        self.cert.der().as_ref()
    }

    pub fn key_pem(&self) -> String {
        self.key.as_ref().map(Key::pem).unwrap_or_default()
    }
}

/// A certificate authority that issues certificates and CRLs.
pub struct Ca {
    issuer: Issuer<'static, KeyPair>,
    der: rustls_pki_types::CertificateDer<'static>,
    next_serial: u64,
}

impl std::fmt::Debug for Ca {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ca({})", crate::crypto::x509::subject_of(&self.der).unwrap_or_default())
    }
}

fn serial(n: u64) -> SerialNumber {
    // Positive, non-zero, and distinct per CA.
    SerialNumber::from_slice(&(0x1000_0000_u64 + n).to_be_bytes())
}

impl Ca {
    /// A self-signed root.
    pub fn root(cn: &str, organization: &str, country: &str, key_alg: KeyAlg) -> Result<Self, PkiError> {
        let key = Key::generate(key_alg)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = dn(cn, Some(organization), None, Some(country));
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        params.not_before = demo_not_before();
        params.not_after = demo_not_after();
        params.serial_number = Some(serial(1));
        params.key_identifier_method = KeyIdMethod::Sha256;
        let cert = params.self_signed(&key.0)?;
        Ok(Self { der: cert.der().clone(), issuer: Issuer::new(params, key.0), next_serial: 2 })
    }

    /// An existing CA from its certificate and PKCS#8 key (PEM), to issue more certificates
    /// under it: how anyone holding a demo root's key mints client certificates
    /// (`mrgate pki client`). Serial numbers continue from a random point, so certificates
    /// minted at different times do not collide.
    pub fn load(cert_pem: &str, key_pem: &str) -> Result<Self, PkiError> {
        let key = KeyPair::from_pem(key_pem)?;
        let der: rustls_pki_types::CertificateDer<'static> =
            rustls_pki_types::pem::PemObject::from_pem_slice(cert_pem.as_bytes())
                .map_err(|_| PkiError::CouldNotParseCertificate)?;
        let (_, parsed) =
            x509_parser::parse_x509_certificate(der.as_ref()).map_err(|_| PkiError::CouldNotParseCertificate)?;
        // A key that is not the certificate's would issue certificates nothing verifies.
        if parsed.public_key().raw != key.subject_public_key_info().as_slice() {
            return Err(PkiError::RingKeyRejected("the key is not the CA certificate's".into()));
        }
        let issuer = Issuer::from_ca_cert_der(&der, key)?;
        let mut start = [0u8; 4];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut start)
            .map_err(|_| PkiError::RingUnspecified)?;
        Ok(Self { issuer, der, next_serial: 0x1_0000 + u64::from(u32::from_be_bytes(start)) })
    }

    /// The CA's private key, PKCS#8 PEM (the demo ships its roots' keys).
    pub fn key_pem(&self) -> String {
        key_pem(self.issuer.key())
    }

    fn issuer(&self) -> &Issuer<'static, KeyPair> {
        &self.issuer
    }

    fn take_serial(&mut self) -> SerialNumber {
        let s = serial(self.next_serial);
        self.next_serial += 1;
        s
    }

    /// An intermediate CA with an optional pathLenConstraint; `ca_flag: false` makes the
    /// defect "issuer without CA basicConstraints".
    pub fn intermediate(&mut self, cn: &str, path_len: Option<u8>, ca_flag: bool) -> Result<Ca, PkiError> {
        let key = Key::generate(KeyAlg::EcdsaP256)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = dn(cn, None, None, None);
        params.is_ca = match (ca_flag, path_len) {
            (false, _) => IsCa::ExplicitNoCa,
            (true, Some(n)) => IsCa::Ca(BasicConstraints::Constrained(n)),
            (true, None) => IsCa::Ca(BasicConstraints::Unconstrained),
        };
        params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        params.not_before = demo_not_before();
        params.not_after = demo_not_after();
        params.serial_number = Some(self.take_serial());
        params.use_authority_key_identifier_extension = true;
        let cert = params.signed_by(&key.0, self.issuer())?;
        Ok(Ca { der: cert.der().clone(), issuer: Issuer::new(params, key.0), next_serial: 1 })
    }

    /// Issues an end-entity certificate with a fresh key.
    pub fn issue(&mut self, spec: &LeafSpec) -> Result<Issued, PkiError> {
        let key = Key::generate(spec.key_alg)?;
        let issued = self.issue_for(spec, &key.0)?;
        Ok(Issued { key: Some(key), ..issued })
    }

    /// Issues a certificate for a given public key (e.g. an RSA key loaded from PEM).
    pub fn issue_for(&mut self, spec: &LeafSpec, public_key: &impl PublicKeyData) -> Result<Issued, PkiError> {
        let mut params = match &spec.profile {
            Profile::TlsServer(names) => CertificateParams::new(names.clone())?,
            _ => CertificateParams::default(),
        };
        params.distinguished_name =
            dn(&spec.common_name, spec.organization.as_deref(), spec.unit.as_deref(), spec.country.as_deref());
        let (ku, eku) = match spec.profile {
            Profile::DocumentSigner => (
                vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::ContentCommitment],
                vec![ExtendedKeyUsagePurpose::Other(DOCUMENT_SIGNING_EKU.to_vec())],
            ),
            Profile::TrustListSigner => (
                vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::ContentCommitment],
                vec![
                    ExtendedKeyUsagePurpose::Other(DOCUMENT_SIGNING_EKU.to_vec()),
                    ExtendedKeyUsagePurpose::Other(TSL_SIGNING_EKU.to_vec()),
                ],
            ),
            Profile::TlsServer(_) => (
                vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment],
                vec![ExtendedKeyUsagePurpose::ServerAuth],
            ),
            Profile::TlsClient => (vec![KeyUsagePurpose::DigitalSignature], vec![ExtendedKeyUsagePurpose::ClientAuth]),
        };
        params.key_usages = spec.key_usages.clone().unwrap_or(ku);
        params.extended_key_usages = spec.extended_key_usages.clone().unwrap_or(eku);
        params.is_ca = if spec.is_ca { IsCa::Ca(BasicConstraints::Unconstrained) } else { IsCa::ExplicitNoCa };
        params.not_before = spec.not_before;
        params.not_after = spec.not_after;
        let serial = self.take_serial();
        let serial_bytes = serial.to_bytes();
        params.serial_number = Some(serial);
        params.use_authority_key_identifier_extension = true;
        if let Profile::TlsClient = spec.profile
            && let Some(unit) = &spec.unit
        {
            // The role is also a URI SAN, so TLS stacks that ignore the subject can read it.
            params.subject_alt_names.push(SanType::URI(format!("urn:mrgate:role:{unit}").try_into()?));
        }
        let cert = params.signed_by(public_key, self.issuer())?;
        Ok(Issued { cert, key: None, serial: serial_bytes })
    }

    /// A CRL revoking the given serials, valid from `this_update` to `next_update`: the
    /// authority's first (CRL number 1).
    pub fn crl(
        &self,
        revoked: &[&[u8]],
        this_update: OffsetDateTime,
        next_update: OffsetDateTime,
    ) -> Result<rcgen::CertificateRevocationList, PkiError> {
        self.crl_numbered(1, revoked, this_update, next_update)
    }

    /// [`Ca::crl`] with CRL number `number` (one that supersedes an earlier one).
    pub fn crl_numbered(
        &self,
        number: u64,
        revoked: &[&[u8]],
        this_update: OffsetDateTime,
        next_update: OffsetDateTime,
    ) -> Result<rcgen::CertificateRevocationList, PkiError> {
        self.crl_of(number, revoked, this_update, next_update, None)
    }

    /// [`Ca::crl_numbered`], partitioned: an IssuingDistributionPoint at `uri` that speaks
    /// for end-entity certificates only.
    pub fn crl_partitioned(
        &self,
        number: u64,
        revoked: &[&[u8]],
        this_update: OffsetDateTime,
        next_update: OffsetDateTime,
        uri: &str,
    ) -> Result<rcgen::CertificateRevocationList, PkiError> {
        let point = rcgen::CrlIssuingDistributionPoint {
            distribution_point: rcgen::CrlDistributionPoint { uris: vec![uri.into()] },
            scope: Some(rcgen::CrlScope::UserCertsOnly),
        };
        self.crl_of(number, revoked, this_update, next_update, Some(point))
    }

    fn crl_of(
        &self,
        number: u64,
        revoked: &[&[u8]],
        this_update: OffsetDateTime,
        next_update: OffsetDateTime,
        issuing_distribution_point: Option<rcgen::CrlIssuingDistributionPoint>,
    ) -> Result<rcgen::CertificateRevocationList, PkiError> {
        let params = CertificateRevocationListParams {
            this_update,
            next_update,
            crl_number: SerialNumber::from(number),
            issuing_distribution_point,
            revoked_certs: revoked
                .iter()
                .map(|s| RevokedCertParams {
                    serial_number: SerialNumber::from_slice(s),
                    revocation_time: this_update,
                    reason_code: Some(rcgen::RevocationReason::KeyCompromise),
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        };
        params.signed_by(self.issuer())
    }

    pub fn pem(&self) -> String {
        pem_block("CERTIFICATE", &self.der)
    }

    pub fn der(&self) -> &[u8] {
        self.der.as_ref()
    }
}

/// A foreign accreditation body of the demo: id, name, country.
pub const DEMO_FOREIGN_BODIES: [(&str, &str, &str); 3] = [
    ("dakks", "Deutsche Akkreditierungsstelle (DAkkS)", "DE"),
    ("ukas", "United Kingdom Accreditation Service (UKAS)", "GB"),
    ("anab", "ANSI National Accreditation Board (ANAB)", "US"),
];

/// The domestic CBs of the demo (the samples' CBs and the test fixture's): approval number,
/// English name.
pub const DEMO_DOMESTIC_CBS: [(&str, &str); 3] = [
    ("CNCA-R-2002-001", "China Quality Certification Centre"),
    ("CNCA-R-2002-002", "China Certification Center for Quality Mark Co., Ltd."),
    ("CNCA-R-2017-049", "Example Certification Co., Ltd."),
];

/// Writes the demo PKI into `out` (which must not exist), whole or not at all.
pub fn write_demo(out: &Path) -> Result<Vec<String>, String> {
    if out.exists() {
        return Err(format!("{} already exists; remove it or choose another --out", out.display()));
    }
    let files = demo_files().map_err(|e| format!("generating the demo PKI: {e}"))?;
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp = parent.join(format!(
        ".{}.tmp-{}",
        out.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default(),
        std::process::id()
    ));
    let write = || -> Result<(), String> {
        for (name, content) in &files {
            let path = tmp.join(name);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
            }
            std::fs::write(&path, content).map_err(|e| e.to_string())?;
        }
        // The demo trust list, built from the description over the certificates just written.
        let read = |n: &str| std::fs::read(tmp.join(n)).map_err(|e| format!("{n}: {e}"));
        let key = crate::crypto::keys::SigningKey::from_pkcs8(&read("trust-list-operator.key")?)
            .map_err(|e| e.to_string())?;
        let chain =
            crate::crypto::x509::read_certificates(&read("trust-list-operator.pem")?).map_err(|e| e.to_string())?;
        let list = crate::trust::build::build(&tmp.join("trust-list.toml"), &key, &chain)?;
        std::fs::write(tmp.join("trust-list.xml"), list).map_err(|e| e.to_string())?;
        std::fs::rename(&tmp, out).map_err(|e| e.to_string())
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(format!("writing {}: {e}", out.display()));
    }
    Ok(files.into_iter().map(|(n, _)| n).collect())
}

/// Generates every file of the demo PKI in memory: (relative path, content).
pub fn demo_files() -> Result<Vec<(String, String)>, PkiError> {
    let mut files: Vec<(String, String)> = Vec::new();
    let far = demo_not_after();
    let now = demo_not_before();

    let mut root =
        Ca::root("mrgate demo domestic accreditation root", "mrgate demo (CNAS role)", "CN", KeyAlg::EcdsaP256)?;
    files.push(("ca.pem".into(), root.pem()));
    files.push(("ca.key".into(), root.key_pem()));

    let mut server_spec =
        LeafSpec::new("localhost", Profile::TlsServer(vec!["localhost".into(), "127.0.0.1".into(), "::1".into()]));
    server_spec.organization = Some("mrgate demo gateway".into());
    let server = root.issue(&server_spec)?;
    files.push(("server.pem".into(), server.pem()));
    files.push(("server.key".into(), server.key_pem()));

    let mut signing = LeafSpec::new("mrgate demo gateway document signer", Profile::DocumentSigner);
    signing.key_alg = KeyAlg::Ed25519;
    signing.organization = Some("mrgate demo gateway".into());
    signing.country = Some("CN".into());
    let signing = root.issue(&signing)?;
    files.push(("signing.pem".into(), signing.pem()));
    files.push(("signing.key".into(), signing.key_pem()));

    let mut operator_signer = LeafSpec::new("mrgate demo trust-list operator", Profile::TrustListSigner);
    operator_signer.organization = Some("mrgate demo (CNCA role)".into());
    operator_signer.country = Some("CN".into());
    let operator_signer = root.issue(&operator_signer)?;
    files.push(("trust-list-operator.pem".into(), operator_signer.pem()));
    files.push(("trust-list-operator.key".into(), operator_signer.key_pem()));

    for (approval, name) in DEMO_DOMESTIC_CBS {
        let mut spec = LeafSpec::new(&format!("{name} document signer"), Profile::DocumentSigner);
        spec.organization = Some(name.into());
        spec.unit = Some(approval.into());
        spec.country = Some("CN".into());
        let cb = root.issue(&spec)?;
        files.push((format!("cb/{approval}.pem"), cb.pem()));
        files.push((format!("cb/{approval}.key"), cb.key_pem()));
    }
    let mut revoked_spec = LeafSpec::new("revoked domestic CB signer (demo)", Profile::DocumentSigner);
    revoked_spec.organization = Some("Revoked Demo Certification Co.".into());
    revoked_spec.country = Some("CN".into());
    let revoked = root.issue(&revoked_spec)?;
    files.push(("cb/revoked.pem".into(), revoked.pem()));
    files.push(("cb/revoked.key".into(), revoked.key_pem()));
    files.push(("crl/domestic.crl.pem".into(), root.crl(&[&revoked.serial], now, far)?.pem()?));

    for role in ["customs", "exporter", "operator"] {
        let mut spec = LeafSpec::new(&format!("{role} (demo)"), Profile::TlsClient);
        spec.unit = Some(role.into());
        spec.organization = Some("mrgate demo clients".into());
        let client = root.issue(&spec)?;
        files.push((format!("clients/{role}.pem"), client.pem()));
        files.push((format!("clients/{role}.key"), client.key_pem()));
    }

    for (id, name, country) in DEMO_FOREIGN_BODIES {
        let mut body = Ca::root(&format!("{name} demo root"), name, country, KeyAlg::EcdsaP256)?;
        files.push((format!("foreign/{id}/root.pem"), body.pem()));
        files.push((format!("foreign/{id}/root.key"), body.key_pem()));
        let mut signer = LeafSpec::new(&format!("{id} demo certification body signer"), Profile::DocumentSigner);
        signer.organization = Some(format!("{id} demo certification body"));
        signer.country = Some(country.into());
        let signer = body.issue(&signer)?;
        files.push((format!("foreign/{id}/signer.pem"), signer.pem()));
        files.push((format!("foreign/{id}/signer.key"), signer.key_pem()));
        let mut revoked = LeafSpec::new(&format!("{id} revoked signer (demo)"), Profile::DocumentSigner);
        revoked.country = Some(country.into());
        let revoked = body.issue(&revoked)?;
        files.push((format!("foreign/{id}/revoked-signer.pem"), revoked.pem()));
        files.push((format!("foreign/{id}/revoked-signer.key"), revoked.key_pem()));
        files.push((format!("foreign/{id}/crl.pem"), body.crl(&[&revoked.serial], now, far)?.pem()?));
        let mut client = LeafSpec::new(&format!("partner {id} (demo)"), Profile::TlsClient);
        client.unit = Some(format!("partner:{id}"));
        client.organization = Some(name.into());
        client.country = Some(country.into());
        let client = body.issue(&client)?;
        files.push((format!("clients/partner-{id}.pem"), client.pem()));
        files.push((format!("clients/partner-{id}.key"), client.key_pem()));
    }

    let token: Vec<u8> = {
        let mut b = [0u8; 24];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b)
            .map_err(|_| PkiError::RingUnspecified)?;
        b.to_vec()
    };
    files.push((
        "exporter.token".into(),
        format!("{}\n", base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, token)),
    ));
    // The transparency log's Ed25519 key.
    let log_pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
        .map_err(|_| PkiError::RingUnspecified)?;
    let log_key =
        ring::signature::Ed25519KeyPair::from_pkcs8(log_pkcs8.as_ref()).map_err(|_| PkiError::RingUnspecified)?;
    let mut spki = vec![0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
    spki.extend_from_slice(ring::signature::KeyPair::public_key(&log_key).as_ref());
    // Stored in the v1 PKCS#8 form like the other Ed25519 keys (seed at bytes 16..48 of v2).
    let mut v1 = vec![0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
    v1.extend_from_slice(log_pkcs8.as_ref().get(16..48).ok_or(PkiError::RingUnspecified)?);
    files.push(("log.key".into(), pem_block("PRIVATE KEY", &v1)));
    files.push(("log.pub".into(), pem_block("PUBLIC KEY", &spki)));
    // The demo witness: its own Ed25519 key, and a configuration watching the demo log.
    let (witness_key, _) = crate::witness::key::generate().map_err(|_| PkiError::RingUnspecified)?;
    let log_vkey = crate::ledger::checkpoint::verifier_key(
        DEMO_LOG_ORIGIN,
        ring::signature::KeyPair::public_key(&log_key).as_ref(),
    )
    .map_err(|_| PkiError::RingUnspecified)?;
    files.push(("witness.key".into(), witness_key));
    files.push(("witness.toml".into(), demo_witness_config(&log_vkey)));
    files.push(("README.md".into(), DEMO_README.into()));
    files.push(("trust-list.toml".into(), DEMO_TRUST_LIST.into()));
    Ok(files)
}

/// The demo log's origin: the first line of its checkpoints and its key's name.
pub const DEMO_LOG_ORIGIN: &str = "demo.mrgate.example/log";
/// The demo witness's name: on its cosignatures and in its verifier key.
pub const DEMO_WITNESS_NAME: &str = "witness.demo.mrgate.example/w1";

/// The demo witness's configuration (`witness.toml`), watching the demo log whose verifier
/// key is `log_vkey`. Paths are relative to the demo folder.
pub fn demo_witness_config(log_vkey: &str) -> String {
    format!(
        "# The demo witness (c2sp.org/tlog-witness) -- for demonstration only: its key is public.\n\
         # `mrgate witness serve --config certs/demo/witness.toml`. Relative paths are resolved\n\
         # against this file's folder.\n\n\
         listen = \"127.0.0.1:8450\"\n\
         # witness.db (the latest checkpoint cosigned for each log, and the evidence of any split\n\
         # view) and witness.lock (one witness per directory).\n\
         data_dir = \"witness-data\"\n\
         # The witness's key name: on its cosignatures and in its verifier key\n\
         # (`mrgate witness vkey --key certs/demo/witness.key --name {DEMO_WITNESS_NAME}`).\n\
         name = \"{DEMO_WITNESS_NAME}\"\n\
         # Its Ed25519 key (`mrgate witness key` makes one).\n\
         key = \"witness.key\"\n\n\
         [tls]\n\
         certificate = \"server.pem\"\n\
         key = \"server.key\"\n\n\
         # Each log it cosigns for: the origin line of its checkpoints and its verifier key, as\n\
         # `mrgate log verifier-key --log-key certs/demo/log.pub --name <origin>` prints it.\n\
         [[logs]]\n\
         origin = \"{DEMO_LOG_ORIGIN}\"\n\
         vkey = \"{log_vkey}\"\n"
    )
}

/// The demo trust list's description; `write_demo` builds and signs `trust-list.xml` from it.
const DEMO_TRUST_LIST: &str = include_str!("trust/demo-trust-list.toml");

const DEMO_README: &str = "# Demo PKI — for demonstration only\n\n\
Generated by `mrgate pki demo --out certs/demo`. Every private key here is public: never\n\
use these certificates or keys for anything but the demo and local experiments.\n\
Validity runs from 2025-01-01 to 2045-12-31 so the demo keeps working.\n\n\
| file | what |\n|---|---|\n\
| `ca.pem`, `ca.key` | domestic accreditation root (demo); issues the TLS server, clients, domestic signers |\n\
| `server.pem`, `server.key` | the gateway's TLS certificate: localhost, 127.0.0.1, ::1 |\n\
| `signing.pem`, `signing.key` | the gateway's document-signing certificate (Ed25519) |\n\
| `trust-list-operator.pem`, `.key` | signs the demo trust list; the only certificate the demo pins as a trust-list signer (EKU tslSigning, 0.4.0.2231.3.0) |\n\
| `cb/CNCA-R-2002-00{1,2}.pem`, `cb/CNCA-R-2017-049.pem`, `.key` | domestic CB signers (the samples' CBs, the test fixture's CB) |\n\
| `cb/revoked.pem`, `.key` | a domestic signer revoked in `crl/domestic.crl.pem` |\n\
| `foreign/{dakks,ukas,anab}/root.pem`, `root.key` | foreign accreditation bodies' roots, with their keys so that anyone can mint certificates under them (`mrgate pki client`) and see what the gateway refuses |\n\
| `foreign/*/signer.pem`, `.key` | a certification body signer under each foreign root |\n\
| `foreign/*/revoked-signer.pem`, `.key`, `crl.pem` | a revoked signer and the CRL that revokes it |\n\
| `clients/{customs,exporter,operator}.pem`, `.key` | TLS client certificates by role (OU and URI SAN `urn:mrgate:role:…`) |\n\
| `clients/partner-{dakks,ukas,anab}.pem`, `.key` | partner TLS client certificates, issued by each foreign root |\n\
| `exporter.token` | a demo bearer token for exporters |\n\
| `log.key`, `log.pub` | the transparency log's Ed25519 key (checkpoints are signed with it) |\n\
| `witness.key`, `witness.toml` | the demo witness's Ed25519 key (`witness.demo.mrgate.example/w1`) and its configuration, watching the demo log: `mrgate witness serve --config certs/demo/witness.toml` |\n\
| `trust-list.toml` | the demo trust list's description |\n\
| `trust-list.xml` | the demo trust list, signed by `trust-list-operator`: CNAS, DAkkS, UKAS (17065 membership suspended since 2026-03-01), ANAB (17021-1 membership withdrawn since 2025-06-01), and their CBs |\n";
