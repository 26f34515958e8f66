//! TLS for the gateway (rustls with the ring provider, TLS 1.2 and 1.3, HTTP/2 and HTTP/1.1
//! by ALPN). A client certificate is only checked here to chain to one of `client_ca`;
//! which role it may hold is [`super::auth`]'s decision.

use crate::crypto::x509::read_certificates;
use crate::files;
use rustls::RootCertStore;
use rustls::pki_types::PrivateKeyDer;
use rustls::pki_types::pem::PemObject;
use rustls::server::WebPkiClientVerifier;
use std::path::Path;
use std::sync::Arc;

/// Builds the server's TLS configuration. Client certificates are optional at the
/// handshake (public routes need none) and, when sent, verified against `client_ca`.
pub fn server_config(
    cert: &Path,
    key: &Path,
    client_ca: &[std::path::PathBuf],
) -> Result<Arc<rustls::ServerConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = read_certificates(&files::configured(cert)?).map_err(|e| format!("{}: {e}", cert.display()))?;
    let key = PrivateKeyDer::from_pem_slice(&files::configured(key)?)
        .map_err(|e| format!("{}: not a PEM private key: {e}", key.display()))?;
    let mut roots = RootCertStore::empty();
    for path in client_ca {
        let certs = read_certificates(&files::configured(path)?).map_err(|e| format!("{}: {e}", path.display()))?;
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
