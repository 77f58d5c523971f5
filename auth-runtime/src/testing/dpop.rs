//! DPoP clients for tests: a client key ([`DpopKey`]) that signs proofs ([`TestProof`]), for
//! tokens minted bound to it ([`TestToken::bound_to`](super::TestToken::bound_to)), and the
//! server nonces of another time ([`server_nonce`]).

use base64::Engine;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::bearer::verifier::{Curve, Hash, RsaPadding};
use crate::dpop::nonce::Nonces;
use crate::testing::signing::{self, now, pem_body, SigningKey, RSA_PRIVATE};
use crate::Algorithm;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A DPoP client's key pair: an ephemeral EC or Ed25519 key, or the fixed test-only RSA key.
///
/// ```
/// use actix_web::{get, test, App, HttpResponse};
/// use auth_runtime::requires;
/// use auth_runtime::testing::{DpopKey, TestIssuer, TestRequestExt};
/// use auth_runtime::DpopConfig;
///
/// #[get("/items")]
/// #[requires(scheme = "DPoP", scope = "items:read")]
/// async fn items() -> HttpResponse {
///     HttpResponse::Ok().finish()
/// }
///
/// # actix_web::rt::System::new().block_on(async {
/// let issuer = TestIssuer::es256();
/// let auth = issuer.builder().dpop(DpopConfig::default()).build().unwrap();
/// let app = test::init_service(App::new().configure(auth.configure()).service(items)).await;
/// let client = DpopKey::es256();
/// let token = issuer.token().scope("items:read").bound_to(&client).sign();
/// let proof = client.proof("GET", "http://localhost:8080/items").token(&token).sign();
/// let req = test::TestRequest::get().uri("/items").dpop(&token, &proof).to_request();
/// assert!(test::call_service(&app, req).await.status().is_success());
/// # });
/// ```
pub struct DpopKey {
    algorithm: Algorithm,
    signing: SigningKey,
    jwk: Value,
    thumbprint: String,
}

impl std::fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DpopKey")
            .field("algorithm", &self.algorithm)
            .field("thumbprint", &self.thumbprint)
            .finish_non_exhaustive()
    }
}

impl DpopKey {
    /// A key for `algorithm`: `ES256`, `ES384`, `EdDSA`, or an RSA algorithm (`RS*`, `PS*`,
    /// with the test-only RSA key).
    ///
    /// # Panics
    ///
    /// For an HMAC algorithm: proofs are signed with asymmetric keys only.
    pub fn new(algorithm: Algorithm) -> Self {
        let (signing, jwk, canonical) = match algorithm {
            Algorithm::ES256 | Algorithm::ES384 => {
                let (curve, name) = match algorithm {
                    Algorithm::ES256 => (Curve::P256, "P-256"),
                    _ => (Curve::P384, "P-384"),
                };
                let (signing, point) = SigningKey::ecdsa(curve);
                let (x, y) = point[1..].split_at(point.len() / 2);
                let (x, y) = (b64(x), b64(y));
                let canonical = format!(r#"{{"crv":"{name}","kty":"EC","x":"{x}","y":"{y}"}}"#);
                (
                    signing,
                    json!({ "kty": "EC", "crv": name, "x": x, "y": y }),
                    canonical,
                )
            }
            Algorithm::EdDSA => {
                let (signing, public) = SigningKey::ed25519();
                let x = b64(&public);
                let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
                (
                    signing,
                    json!({ "kty": "OKP", "crv": "Ed25519", "x": x }),
                    canonical,
                )
            }
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => {
                panic!("DPoP proofs are signed with asymmetric keys, not {algorithm:?}")
            }
            _ => {
                let (hash, padding) = match algorithm {
                    Algorithm::RS384 => (Hash::Sha384, RsaPadding::Pkcs1v15),
                    Algorithm::RS512 => (Hash::Sha512, RsaPadding::Pkcs1v15),
                    Algorithm::PS256 => (Hash::Sha256, RsaPadding::Pss),
                    Algorithm::PS384 => (Hash::Sha384, RsaPadding::Pss),
                    Algorithm::PS512 => (Hash::Sha512, RsaPadding::Pss),
                    _ => (Hash::Sha256, RsaPadding::Pkcs1v15),
                };
                let (signing, n, e) = SigningKey::rsa(hash, padding, &pem_body(RSA_PRIVATE));
                let (n, e) = (b64(&n), b64(&e));
                let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
                (signing, json!({ "kty": "RSA", "n": n, "e": e }), canonical)
            }
        };
        DpopKey {
            algorithm,
            signing,
            jwk,
            thumbprint: b64(&Sha256::digest(canonical.as_bytes())),
        }
    }

    /// An ES256 key (P-256), the algorithm most clients use.
    pub fn es256() -> Self {
        DpopKey::new(Algorithm::ES256)
    }

    /// An EdDSA key (Ed25519).
    pub fn eddsa() -> Self {
        DpopKey::new(Algorithm::EdDSA)
    }

    /// An RS256 key (the test-only RSA key: every RS256 `DpopKey` is the same key).
    pub fn rs256() -> Self {
        DpopKey::new(Algorithm::RS256)
    }

    /// The proofs' algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The public key as the JWK proofs carry.
    pub fn public_jwk(&self) -> &Value {
        &self.jwk
    }

    /// The key's RFC 7638 SHA-256 thumbprint, base64url: the `cnf.jkt` of tokens bound to it.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// Signs `header` and `claims` as they are, whatever they hold (a proof whose JSON no
    /// [`TestProof`] would write: repeated members, odd numbers, not JSON at all), into a
    /// compact JWS: the value of a `DPoP` header.
    pub fn sign_parts(&self, header: &[u8], claims: &[u8]) -> String {
        let message = format!("{}.{}", b64(header), b64(claims));
        let signature = self.signing.sign(message.as_bytes());
        format!("{message}.{}", b64(&signature))
    }

    /// Starts a proof for a request with `method` to `url` (RFC 9449 §4.2): `typ`
    /// `dpop+jwt`, this key's algorithm and public JWK, a random `jti`, `iat` now.
    pub fn proof(&self, method: &str, url: &str) -> TestProof<'_> {
        let mut jti = [0u8; 16];
        signing::fill_random(&mut jti);
        let mut header = Map::new();
        header.insert("typ".into(), "dpop+jwt".into());
        header.insert("alg".into(), format!("{:?}", self.algorithm).into());
        header.insert("jwk".into(), self.jwk.clone());
        let mut claims = Map::new();
        claims.insert("jti".into(), b64(&jti).into());
        claims.insert("htm".into(), method.into());
        claims.insert("htu".into(), url.into());
        claims.insert("iat".into(), now().into());
        TestProof {
            signer: self,
            header,
            claims,
        }
    }
}

/// A proof being made by [`DpopKey::proof`]; finish with [`sign`](Self::sign). Every header
/// member and claim can be changed or removed, to test what a server refuses.
#[must_use = "call `.sign()` to get the proof"]
pub struct TestProof<'a> {
    signer: &'a DpopKey,
    header: Map<String, Value>,
    claims: Map<String, Value>,
}

impl<'a> TestProof<'a> {
    /// `ath`: the base64url SHA-256 of `token`, the access token sent with the proof.
    pub fn token(self, token: &str) -> Self {
        let ath = b64(&Sha256::digest(token.as_bytes()));
        self.claim("ath", ath)
    }

    /// `nonce`: a value the server gave in `DPoP-Nonce` (RFC 9449 §8).
    pub fn nonce(self, nonce: &str) -> Self {
        self.claim("nonce", nonce)
    }

    /// `iat`, in seconds from now (negative: in the past).
    pub fn issued_in(self, seconds: i64) -> Self {
        self.claim("iat", now() + seconds)
    }

    /// `jti`.
    pub fn jti(self, jti: &str) -> Self {
        self.claim("jti", jti)
    }

    /// Sets (or replaces) a claim.
    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.claims.insert(name.to_owned(), value.into());
        self
    }

    /// Removes a claim.
    pub fn without_claim(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Sets (or replaces) a header member (`typ`, `alg`, `jwk`, …).
    pub fn header(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.header.insert(name.to_owned(), value.into());
        self
    }

    /// Removes a header member.
    pub fn without_header(mut self, name: &str) -> Self {
        self.header.remove(name);
        self
    }

    /// Signs with `other`'s private key, the header still naming this key: a proof whose
    /// signature does not verify.
    pub fn signed_by(mut self, other: &'a DpopKey) -> Self {
        self.signer = other;
        self
    }

    /// The signed proof, the value of a `DPoP` header.
    pub fn sign(self) -> String {
        let header = serde_json::to_vec(&self.header).expect("a JOSE header is JSON");
        let claims = serde_json::to_vec(&self.claims).expect("claims are JSON");
        self.signer.sign_parts(&header, &claims)
    }
}

/// The server nonce (RFC 9449 §8) that an authenticator configured with
/// `DpopConfig::server_nonces(period)` and `.nonce_secret(secret)` gives at `at`: what any
/// instance sharing the secret handed out then. With `at` one period ago, a nonce of the previous
/// period, without waiting for one to pass.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use auth_runtime::testing::server_nonce;
///
/// let secret = b"TEST-ONLY-nonce-secret-0123456789";
/// let period = Duration::from_secs(300);
/// let now = SystemTime::now();
/// assert_ne!(server_nonce(secret, period, now), server_nonce(secret, period, now - period));
/// ```
///
/// # Panics
///
/// When `DpopConfig` would refuse the settings: a secret under 32 bytes, a period under a
/// second.
pub fn server_nonce(secret: &[u8], period: Duration, at: SystemTime) -> String {
    let nonces = Nonces::new(Some(secret), period.as_secs())
        .unwrap_or_else(|error| panic!("unusable nonce settings: {error}"));
    let at = at.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    nonces.current(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::tests::decode;

    #[test]
    fn a_key_names_its_algorithm_and_shows_no_private_part() {
        for algorithm in [Algorithm::ES256, Algorithm::EdDSA, Algorithm::PS384] {
            let key = DpopKey::new(algorithm);
            assert_eq!(key.algorithm(), algorithm);
            let shown = format!("{key:?}");
            assert!(
                shown.contains(&format!("{algorithm:?}")) && shown.contains(key.thumbprint()),
                "{shown}"
            );
            assert!(!shown.contains("signing"), "{shown}");
        }
    }

    #[test]
    fn a_proof_carries_what_it_was_given() {
        let key = DpopKey::es256();
        let (header, claims) = decode(
            &key.proof("POST", "https://api.test/items")
                .token("a.b.c")
                .nonce("n-1")
                .issued_in(-30)
                .sign(),
        );
        assert_eq!(
            header,
            json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": key.public_jwk() })
        );
        let iat = claims["iat"].as_i64().unwrap();
        assert!((now() - 30 - iat).abs() <= 1, "{claims}");
        assert_eq!(claims["htm"], "POST");
        assert_eq!(claims["htu"], "https://api.test/items");
        assert_eq!(claims["nonce"], "n-1");
        assert_eq!(claims["ath"], b64(&Sha256::digest(b"a.b.c")));
        assert_eq!(claims["jti"].as_str().map(str::len), Some(22));
        let (_, later) = decode(&key.proof("GET", "/").issued_in(30).sign());
        assert!((now() + 30 - later["iat"].as_i64().unwrap()).abs() <= 1);
    }
}
