//! The one HTTP client set-up: TLS through rustls with ring (reqwest is built without a
//! default provider), deploy-action's user agent. Callers add their timeouts and redirects.

use std::sync::Once;

/// A client builder with TLS ready and deploy-action's user agent.
pub fn client_builder() -> reqwest::ClientBuilder {
    static PROVIDER: Once = Once::new();
    // reqwest is built without a default TLS provider; ring is the one linked in.
    PROVIDER.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder().user_agent(concat!("deploy-action/", env!("CARGO_PKG_VERSION")))
}
