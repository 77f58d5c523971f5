//! Test keys and token signatures, made with the crate's own signature backend, so that the
//! `testing` feature needs no crypto feature of jsonwebtoken (whose process-wide provider
//! cannot choose when an application's tree enables both of its backends).

#[cfg(feature = "aws-lc-rs")]
mod aws_lc;
#[cfg(feature = "aws-lc-rs")]
pub(super) use aws_lc::{fill_random, SigningKey};

#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
mod rust_crypto;
#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
pub(super) use rust_crypto::{fill_random, SigningKey};

/// The test-only RSA private key (PKCS#8 PEM), public in this repository.
pub(crate) const RSA_PRIVATE: &str = include_str!("TEST-ONLY-rsa-private.pem");

/// The DER inside a PEM document.
pub(crate) fn pem_body(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .expect("the test key's PEM")
}

/// Seconds since the epoch.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or_default()
}
