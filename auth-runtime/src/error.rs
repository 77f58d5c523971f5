//! Configuration errors: every mistake an application can make when it builds an
//! [`Authenticator`](crate::Authenticator), reported at start-up, never on a request.

use jsonwebtoken::Algorithm;

/// A configuration mistake, reported when the [`Authenticator`](crate::Authenticator) is built (never on a request).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No scheme can verify anything: no key, no Basic, API-key or custom verifier.
    #[error("nothing to verify credentials with: add a key with `.key(Key::hs256(secret)?)`, `.key(Key::public_pem(pem)?)` or `.key(Key::from_jwk(&jwk)?)`, a key source with `.jwks(..)`, `.jwks_url(..)` or `.oidc_discovery(..)`, or a verifier with `.basic(..)`, `.api_keys(..)` or `.custom_scheme(..)`")]
    NoKeys,
    /// A Basic user that cannot be stored (bad user-id, unparsable hash).
    #[error("invalid Basic user: {0}")]
    InvalidUser(String),
    /// An API key that is empty, too long or not visible ASCII.
    #[error("an API key must be 1 to 1024 visible ASCII characters")]
    InvalidApiKey,
    /// The API-key header name is not a valid header name.
    #[error("{0:?} is not a valid header name for API keys")]
    InvalidHeaderName(String),
    /// Two custom schemes with the same name, or a name that is not a token.
    #[error("the custom scheme name {0:?} is used twice or is not an RFC 9110 token")]
    InvalidSchemeName(&'static str),
    /// An HMAC secret shorter than the hash output (RFC 7518 §3.2).
    #[error(
        "the {algorithm:?} secret is too short: RFC 7518 §3.2 requires at least {min_bytes} bytes"
    )]
    WeakSecret {
        /// The algorithm.
        algorithm: Algorithm,
        /// The minimum length in bytes.
        min_bytes: usize,
    },
    /// A key of one type was offered for an algorithm of another.
    #[error("algorithm {algorithm:?} cannot be used with {key}")]
    AlgorithmMismatch {
        /// The algorithm asked for.
        algorithm: Algorithm,
        /// What was given instead.
        key: &'static str,
    },
    /// Key material that does not parse.
    #[error("invalid {algorithm:?} key: {reason}")]
    InvalidKey {
        /// The algorithm the key was meant for.
        algorithm: Algorithm,
        /// What is wrong (never the key material).
        reason: String,
    },
    /// Two keys with the same `kid`.
    #[error("two keys have the `kid` {0:?}: a `kid` must name one key")]
    DuplicateKid(String),
    /// A value that would be placed in a challenge header is unusable.
    #[error("the realm {value:?} cannot be used in a challenge: {reason}")]
    InvalidRealm {
        /// The value.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A scope named in a scope hierarchy or in `scopes_supported` that is not an RFC 6749 §3.3
    /// scope token.
    #[error("{0:?} is not a scope token: RFC 6749 §3.3 allows one or more printable ASCII characters other than space, `\"` and `\\`")]
    InvalidScope(String),
    /// An issuer or audience that is empty.
    #[error("an empty {0} cannot be expected: give the exact value tokens carry")]
    EmptyValue(&'static str),
    /// A JWK that cannot be a signature verification key (RFC 7517, RFC 8725 §3.1).
    #[error("the JWK {} cannot be used: {reason}", describe_kid(kid.as_deref()))]
    InvalidJwk {
        /// The key's `kid`, if it has one.
        kid: Option<String>,
        /// What is wrong (never the key material).
        reason: String,
    },
    /// A JWKS document given in the configuration that cannot be read or has no usable key.
    #[error("invalid JWKS: {0}")]
    InvalidJwks(String),
    /// A JWKS or issuer URL that cannot be used.
    #[error("the URL {url:?} cannot be used as a key source: {reason}")]
    InvalidUrl {
        /// The URL, without any credentials it carried.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A protected resource identifier (RFC 9728 §1.2) that cannot be used.
    #[error("the protected resource identifier {value:?} cannot be used: {reason}")]
    InvalidResource {
        /// The identifier, without any credentials it carried.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A field of the protected resource's metadata (RFC 9728 §2) that cannot be published.
    #[error("the protected resource metadata field `{field}` cannot be published: {reason}")]
    InvalidResourceMetadata {
        /// The metadata field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A protected resource is configured, but no Bearer key or key source: the metadata would
    /// send clients for tokens that nothing verifies.
    #[error("a protected resource (RFC 9728) needs Bearer tokens: add a key with `.key(..)` or a key source with `.jwks_url(..)` or `.oidc_discovery(..)`")]
    ResourceWithoutBearer,
    /// Key-source settings that contradict each other or are out of range.
    #[error("invalid key source configuration: {0}")]
    InvalidKeySource(&'static str),
    /// The key source gave no usable key when
    /// [`build_and_fetch`](crate::AuthenticatorBuilder::build_and_fetch) asked for one.
    #[error("the key source gave no usable key: {0}")]
    KeySourceUnavailable(String),
    /// Introspection settings that are missing or out of range.
    #[error("invalid introspection configuration: {0}")]
    InvalidIntrospection(&'static str),
    /// A revocation store that cannot be used (an unparsable Redis URL, say), or revocation
    /// settings out of range.
    #[error("invalid revocation configuration: {0}")]
    InvalidRevocation(String),
    /// The DPoP configuration cannot be used ([`DpopConfig`](crate::DpopConfig)).
    #[error("invalid DPoP configuration: {0}")]
    InvalidDpop(String),
    /// [`check_app`](crate::check_app) found no authenticator in the application.
    #[error("no `Authenticator` is registered in the application: add `.app_data(authenticator.clone())` or `.configure(authenticator.configure())` to the `App`")]
    NotRegistered,
    /// The application does not wrap the app-wide middleware.
    #[error("the app-wide middleware is not installed: add `.wrap(authenticator.middleware())` to the `App`, so that invalid credentials are refused on every route (and, with `deny_by_default`, routes without a declaration are refused)")]
    MiddlewareMissing,
    /// Under `deny_by_default`, routes that declare neither `#[requires]` nor `#[public]`.
    #[error("routes without `#[requires(..)]` or `#[public]` under `deny_by_default` (write the attribute above the route attribute, or open the pattern with `.public_route(..)`): {0}")]
    UndeclaredRoutes(String),
    /// Declared handlers whose route the application's resource map does not give back.
    #[error("the full pattern of these declared routes cannot be found, so the app-wide middleware would answer them as undeclared (an earlier resource matches the same paths, or a dynamic segment refuses the placeholder `0`): {0}")]
    UnresolvedRoutes(String),
}

/// How an error message names a JWK: by its `kid`, or as having none.
fn describe_kid(kid: Option<&str>) -> String {
    match kid {
        Some(kid) => format!("with the `kid` {kid:?}"),
        None => "without a `kid`".to_owned(),
    }
}
