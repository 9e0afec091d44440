//! TLS for `wss://` (DXLink): rustls with the *ring* provider and the bundled webpki roots, the
//! same stack ureq uses for `https://`, so the binary needs no system OpenSSL or certificates.

use std::sync::{Arc, OnceLock};

use rustls::ClientConfig;

/// The client configuration, built once.
pub(crate) fn client_config() -> Arc<ClientConfig> {
    static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    Arc::clone(CONFIG.get_or_init(|| {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = match ClientConfig::builder_with_provider(provider).with_safe_default_protocol_versions()
        {
            Ok(builder) => builder.with_root_certificates(roots).with_no_client_auth(),
            // The ring provider supports the default versions; this arm is never taken.
            Err(_) => ClientConfig::builder()
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth(),
        };
        Arc::new(config)
    }))
}
