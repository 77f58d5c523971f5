//! What a prepared key is made from, whatever the backend: the hash, the RSA padding, the
//! curve, RSA components, and the size limits every backend enforces alike.

/// The smallest RSA modulus accepted (RFC 7518 §3.3: "A key of size 2048 bits or larger MUST
/// be used").
pub(crate) const MIN_RSA_BITS: usize = 2048;
/// The largest RSA modulus accepted: the most AWS-LC verifies (its `RSA_*_2048_8192_*`).
pub(crate) const MAX_RSA_BITS: usize = 8192;
/// The hash of an HMAC or RSA algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

/// RSASSA-PKCS1-v1_5 (`RS*`) or RSASSA-PSS with MGF1 of the same hash and a salt as long as
/// the hash (`PS*`, RFC 7518 §3.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RsaPadding {
    Pkcs1v15,
    Pss,
}

/// The curve of an ECDSA algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Curve {
    P256,
    P384,
}

impl Curve {
    /// The length of an uncompressed SEC1 point: `0x04 || x || y`.
    pub(crate) fn point_len(self) -> usize {
        match self {
            Curve::P256 => 65,
            Curve::P384 => 97,
        }
    }
}

/// An RSA public key that passed the checks of this module: big-endian, no leading zeros.
pub(crate) struct RsaPublicKey {
    pub(crate) n: Vec<u8>,
    pub(crate) e: Vec<u8>,
}
