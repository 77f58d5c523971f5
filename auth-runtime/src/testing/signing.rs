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
