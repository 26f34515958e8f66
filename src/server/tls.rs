//! TLS for the gateway (rustls with the ring provider, TLS 1.2 and 1.3, HTTP/2 and HTTP/1.1
//! by ALPN) and the caller's identity from its client certificate.

use crate::crypto::x509::read_certificates;
use rustls::RootCertStore;
use rustls::pki_types::PrivateKeyDer;
use rustls::pki_types::pem::PemObject;
use rustls::server::WebPkiClientVerifier;
use std::path::Path;
use std::sync::Arc;
use x509_parser::prelude::*;

/// Who is calling, from the verified client certificate (or a bearer token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    Customs,
    Exporter,
    Operator,
    Partner(String),
    Anonymous,
}

impl Role {
    pub fn name(&self) -> String {
        match self {
            Role::Customs => "customs".into(),
            Role::Exporter => "exporter".into(),
            Role::Operator => "operator".into(),
            Role::Partner(b) => format!("partner:{b}"),
            Role::Anonymous => "anonymous".into(),
        }
    }
}

/// The role a verified client certificate carries in its subject OU.
pub fn role_of(certificate: &[u8]) -> Role {
    let Ok((_, cert)) = X509Certificate::from_der(certificate) else { return Role::Anonymous };
    let ou = cert.subject().iter_organizational_unit().next().and_then(|a| a.as_str().ok()).unwrap_or("");
    match ou {
        "customs" => Role::Customs,
        "exporter" => Role::Exporter,
        "operator" => Role::Operator,
        p if p.starts_with("partner:") && p.len() > 8 => Role::Partner(p[8..].to_string()),
        _ => Role::Anonymous,
    }
}

/// Builds the server's TLS configuration. Client certificates are optional at the
/// handshake (public routes need none) and, when sent, verified against `client_ca`.
pub fn server_config(
    cert: &Path,
    key: &Path,
    client_ca: &[std::path::PathBuf],
) -> Result<Arc<rustls::ServerConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = read_certificates(&std::fs::read(cert).map_err(|e| format!("{}: {e}", cert.display()))?)
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e:?}", key.display()))?;
    let mut roots = RootCertStore::empty();
    for path in client_ca {
        let certs = read_certificates(&std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        for c in certs {
            roots.add(c).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
        .allow_unauthenticated()
        .build()
        .map_err(|e| format!("client verifier: {e}"))?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| e.to_string())?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| format!("server certificate: {e}"))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
