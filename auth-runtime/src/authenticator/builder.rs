//! The builder of an [`Authenticator`]: every option, checked when `build` runs.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::HeaderName;

use crate::api_key::{ApiKeyVerifier, ApiKeys};
use crate::authenticator::{Authenticator, Inner, Revocations};
use crate::basic::{Basic, BasicVerifier};
use crate::bearer::claims::{ClaimPath, TypRequirement};
use crate::bearer::introspection::config::Introspection;
use crate::bearer::jwks::config::{InlineJwks, PlainHttp, RemoteSpec};
use crate::bearer::jwks::store::KeyStore;
use crate::bearer::keys::Key;
use crate::bearer::settings::BearerSettings;
use crate::bearer::token_cache::TokenCacheConfig;
use crate::credential_cache::CredentialCacheConfig;
use crate::custom::{Custom, CustomScheme, PrincipalCache};
use crate::dpop::settings::DpopConfig;
use crate::error::ConfigError;
use crate::hierarchy::ScopeHierarchy;
use crate::http::challenge::Challenge;
use crate::http::refusal::Refusal;
use crate::http::response::{BodyBuilder, ErrorBody};
use crate::mechanism::{BoxedMechanism, Registry};
use crate::resource::ProtectedResource;
use crate::revocation::deny_list::DenyList;
use crate::revocation::store::{MemoryStore, RevocationStore, WhenStoreUnreachable};
use crate::telemetry::{self, Decisions};

/// Builds an [`Authenticator`]. Every setter is checked when [`build`](Self::build) runs, so a
/// misconfiguration stops the application at start-up.
///
/// The secure choice is the default: `exp` is required, the leeway is 60 seconds, and `iss` /
/// `aud` are checked whenever they are configured (a token without them is then refused).
#[must_use = "call `.build()` to get the authenticator"]
pub struct AuthenticatorBuilder {
    realm: String,
    bearer: BearerSettings,
    basic: Option<BoxedMechanism>,
    /// The API-key mechanism, once the header it reads is known.
    api_keys: Option<Box<dyn FnOnce(HeaderName) -> BoxedMechanism>>,
    api_key_header: String,
    /// The application schemes, once their cache settings are known.
    custom: Vec<MakeCustom>,
    credential_cache: CredentialCacheConfig,
    error_body: Option<BodyBuilder>,
    deny_by_default: bool,
    public_routes: Vec<String>,
    /// `scope_implies` rules: a broader scope and the scopes it implies directly.
    scope_rules: Vec<(String, Vec<String>)>,
    step_up_forbidden: bool,
    resource: Option<ProtectedResource>,
    revocation_store: Arc<dyn RevocationStore>,
    revocation_retention: Duration,
    when_store_unreachable: WhenStoreUnreachable,
    dpop: Option<DpopConfig>,
}

/// A registered application scheme and its credential cache, if it has one.
type CustomMechanism = (BoxedMechanism, Option<std::sync::Arc<PrincipalCache>>);

/// Makes an application scheme's mechanism with the configured cache settings.
type MakeCustom = Box<dyn FnOnce(&CredentialCacheConfig) -> CustomMechanism>;
/// How long a revocation whose tokens' expiry is unknown is kept by default.
const DEFAULT_RETENTION: Duration = Duration::from_secs(24 * 60 * 60);

impl Default for AuthenticatorBuilder {
    fn default() -> Self {
        AuthenticatorBuilder {
            realm: "api".to_owned(),
            bearer: BearerSettings::default(),
            basic: None,
            api_keys: None,
            api_key_header: "x-api-key".to_owned(),
            custom: Vec::new(),
            credential_cache: CredentialCacheConfig::default(),
            error_body: None,
            deny_by_default: false,
            public_routes: Vec::new(),
            scope_rules: Vec::new(),
            step_up_forbidden: false,
            resource: None,
            revocation_store: Arc::new(MemoryStore),
            revocation_retention: DEFAULT_RETENTION,
            when_store_unreachable: WhenStoreUnreachable::default(),
            dpop: None,
        }
    }
}

impl Authenticator {
    /// Starts the configuration.
    pub fn builder() -> AuthenticatorBuilder {
        AuthenticatorBuilder::default()
    }
}

impl AuthenticatorBuilder {
    /// The `realm` of every challenge (RFC 9110 §11.5); `#[requires(realm = "..")]` overrides
    /// it per endpoint. Default: `api`. Refused at build time if empty or if it contains control
    /// characters.
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = realm.into();
        self
    }

    /// Adds a verification key. Each key is bound to one algorithm; together the keys are the
    /// algorithm allow-list (RFC 8725 §3.1).
    pub fn key(mut self, key: Key) -> Self {
        self.bearer.keys.push(key);
        self
    }

    /// Adds the keys of a JWK Set (RFC 7517 §5) held in the configuration: a provider's keys
    /// copied into a file, or symmetric (`oct`) keys for HMAC. Each key is bound to exactly one
    /// algorithm as [`Key::from_jwk`] says (RFC 8725 §3.1). Keys meant for encryption (`use`
    /// `enc`, `key_ops` without `verify`) are skipped; any other unusable key, or a set without
    /// a usable key, fails [`build`](Self::build). These keys never change; see
    /// [`jwks_url`](Self::jwks_url) for keys that rotate.
    pub fn jwks(mut self, set: jsonwebtoken::jwk::JwkSet) -> Self {
        self.bearer.jwks.inline.push(InlineJwks::Set(set));
        self
    }

    /// [`jwks`](Self::jwks) from the JSON text of a JWK Set document (RFC 7517 §5); parsed by
    /// [`build`](Self::build), which reports a document that does not parse.
    ///
    /// ```
    /// use auth_runtime::Authenticator;
    ///
    /// let auth = Authenticator::builder()
    ///     .jwks_json(r#"{"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "2026-11",
    ///         "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#)
    ///     .build()
    ///     .unwrap();
    /// # let _ = auth;
    /// ```
    pub fn jwks_json(mut self, json: impl Into<String>) -> Self {
        self.bearer.jwks.inline.push(InlineJwks::Json(json.into()));
        self
    }

    /// [`jwks`](Self::jwks) from a file holding a JWK Set document (RFC 7517 §5), read once by
    /// [`build`](Self::build), which reports a file that cannot be read or parsed.
    pub fn jwks_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.bearer.jwks.inline.push(InlineJwks::File(path.into()));
        self
    }

    /// Fetches the verification keys from a JWK Set URL (RFC 7517 §5) and keeps them fresh:
    /// refreshed in the background (see [`refresh_interval`](Self::refresh_interval)), and
    /// fetched again when a token names an unknown `kid` (at most once per
    /// [`unknown_kid_cooldown`](Self::unknown_kid_cooldown), one fetch shared by every waiting
    /// request). Keys are bound to one algorithm each (RFC 8725 §3.1); unusable keys of the
    /// document are skipped with a warning, the others kept.
    ///
    /// If the source cannot be reached, the last good keys stay in use; without any usable
    /// key, Bearer requests are answered 503 with `Retry-After` (CONFORMANCE row 12) until the
    /// source answers again. [`build`](Self::build) returns at once and the first fetch runs in
    /// the background ("start and retry"); [`build_and_fetch`](Self::build_and_fetch) waits
    /// for it and fails if it gave no usable key ("fail fast").
    ///
    /// The URL must be `https` (unless [`allow_http`](Self::allow_http) and a loopback host),
    /// absolute, and carry no credentials. Only one remote source can be configured. Token header fields that name
    /// other keys (`jku`, `x5u`, `jwk`, `x5c`; RFC 8725 §3.10) are never followed.
    ///
    /// Fetching runs on one background thread per built authenticator, independent of actix's
    /// workers: build the authenticator once, before `HttpServer::new`, and clone it into the
    /// workers (as [`configure`](crate::Authenticator::configure) does), so that every worker
    /// shares one key cache and one fetch schedule. The thread stops when the last clone is
    /// dropped.
    ///
    /// ```no_run
    /// use auth_runtime::Authenticator;
    ///
    /// let auth = Authenticator::builder()
    ///     .issuer("https://idp.example")
    ///     .audience("items-api")
    ///     .jwks_url("https://idp.example/.well-known/jwks.json")
    ///     .build()
    ///     .expect("valid authentication configuration");
    /// # let _ = auth;
    /// ```
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.bearer
            .jwks
            .remote
            .push(RemoteSpec::JwksUrl(url.into()));
        self
    }

    /// Finds the keys by OpenID Connect discovery: fetches
    /// `<issuer>/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4), requires
    /// its `issuer` to equal `issuer` exactly (§4.3; RFC 8414 §3.3), then uses its `jwks_uri`
    /// as [`jwks_url`](Self::jwks_url) does. The discovery document is read once; its
    /// `jwks_uri` is kept for the life of the authenticator.
    ///
    /// `issuer` also becomes the accepted `iss` (RFC 7519 §4.1.1), unless
    /// [`issuer`](Self::issuer) was called. It must be `https` (unless
    /// [`allow_http`](Self::allow_http) and a loopback host) with no query or fragment (RFC
    /// 8414 §2).
    ///
    /// ```no_run
    /// use auth_runtime::Authenticator;
    ///
    /// # async fn start() -> Result<(), auth_runtime::ConfigError> {
    /// let auth = Authenticator::builder()
    ///     .audience("items-api")
    ///     .oidc_discovery("https://keycloak.example/realms/shop")
    ///     .build_and_fetch()
    ///     .await?;
    /// # let _ = auth;
    /// # Ok(())
    /// # }
    /// ```
    pub fn oidc_discovery(mut self, issuer: impl Into<String>) -> Self {
        self.bearer
            .jwks
            .remote
            .push(RemoteSpec::Discovery(issuer.into()));
        self
    }

    /// Allows plain `http` to a provider on this machine: the key source, the discovered
    /// `jwks_uri`, the introspection endpoint and every redirect may use `http` when their host is the loopback interface
    /// (RFC 6761 §6.3, RFC 8252 §8.3): an IPv4 address in 127.0.0.0/8, `::1` (also as
    /// `::ffff:127.x.y.z`), or `localhost`, which is then resolved to those addresses without
    /// asking DNS. The host is read by the URL parser, never matched as text:
    /// `http://127.0.0.1.evil.test`, `http://127.0.0.1@evil.test` and `http://localhost.` are
    /// refused at build time. Other hosts still need https. A key source on the loopback
    /// interface is reached directly, never through a proxy of `HTTP_PROXY` / `HTTPS_PROXY`.
    /// Default: https only.
    ///
    /// For a local identity provider (Keycloak in a container, `cargo run --example
    /// dev-provider`) and tests:
    ///
    /// ```
    /// use auth_runtime::Authenticator;
    ///
    /// let local = Authenticator::builder()
    ///     .oidc_discovery("http://localhost:8180/realms/demo")
    ///     .allow_http()
    ///     .build();
    /// assert!(local.is_ok());
    /// let elsewhere = Authenticator::builder()
    ///     .oidc_discovery("http://keycloak.internal/realms/demo")
    ///     .allow_http()
    ///     .build();
    /// assert!(elsewhere.is_err());
    /// ```
    pub fn allow_http(mut self) -> Self {
        if self.bearer.jwks.http == PlainHttp::Refused {
            self.bearer.jwks.http = PlainHttp::Loopback;
        }
        self
    }

    /// **Dangerous**: allows plain `http` to **any** host for the key source, the discovered
    /// `jwks_uri` and redirects. Anyone on the network path can then replace the keys and sign
    /// tokens this application accepts. Only for a network where no one else can be on the
    /// path (a container network in a test set-up); everywhere else use https, or
    /// [`allow_http`](Self::allow_http) for a provider on the loopback interface.
    pub fn danger_allow_http_to_any_host(mut self) -> Self {
        self.bearer.jwks.http = PlainHttp::AnyHost;
        self
    }

    /// Bounds of the background refresh interval of a remote key source. The interval is the
    /// JWKS response's freshness lifetime (`Cache-Control: max-age` less `Age`, RFC 9111
    /// §4.2.1; zero for `no-cache` / `no-store`), or 15 minutes without one, clamped to
    /// `min..=max`. After a failed fetch the next one is `min` away. Default: 60 seconds to
    /// 24 hours. `build` refuses `min` of zero or above `max`.
    pub fn refresh_interval(mut self, min: Duration, max: Duration) -> Self {
        self.bearer.jwks.refresh_min = min;
        self.bearer.jwks.refresh_max = max;
        self
    }

    /// How often, at most, a token naming an unknown `kid` (or arriving while no usable key is
    /// in memory) may cause a fetch of the remote key source. Within the cooldown such a token
    /// is answered at once: 401 `invalid_token` for an unknown `kid`, 503 when there is no
    /// usable key. This bounds the fetches an attacker can cause with made-up `kid`s. Default:
    /// 30 seconds; zero is refused.
    pub fn unknown_kid_cooldown(mut self, cooldown: Duration) -> Self {
        self.bearer.jwks.cooldown = cooldown;
        self
    }

    /// Timeouts of every request to the key source: establishing the connection, and the
    /// whole exchange including the body. Default: 5 and 10 seconds. Requests for which a key
    /// is in memory never wait for a fetch.
    pub fn fetch_timeouts(mut self, connect: Duration, total: Duration) -> Self {
        self.bearer.jwks.connect_timeout = connect;
        self.bearer.jwks.total_timeout = total;
        self
    }

    /// The largest discovery or JWKS response accepted, in bytes; checked while the body
    /// streams in, so a larger one is cut off, never read whole. Default: 1 MiB.
    pub fn max_jwks_bytes(mut self, max: usize) -> Self {
        self.bearer.jwks.max_bytes = max;
        self
    }

    /// How long fetched keys stay in use after the last successful fetch while the key source
    /// cannot be reached. Past it, tokens signed by those keys are answered 503, as if no key
    /// had ever been fetched: an outage then cannot keep a key the provider withdrew in use
    /// indefinitely. Default: no limit (availability first: the last good keys serve for the
    /// whole outage). Must not be shorter than the refresh interval's minimum; with a limit,
    /// the background refresh runs at least twice within it.
    pub fn max_key_staleness(mut self, limit: Duration) -> Self {
        self.bearer.jwks.max_staleness = Some(limit);
        self
    }

    /// Adds an accepted issuer: `iss` must equal one of them exactly (RFC 7519 §4.1.1).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.bearer.issuers.push(issuer.into());
        self
    }

    /// Adds an accepted audience: `aud` (a string or an array) must contain one of them
    /// (RFC 7519 §4.1.3, RFC 9068 §4); call it once per audience to accept several. Without
    /// any, tokens must carry the [protected resource](Self::protected_resource)'s identifier
    /// (RFC 8707), or, without a protected resource either, tokens that carry an `aud` are
    /// refused, as RFC 7519 requires of a recipient that cannot identify itself.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.bearer.audiences.push(audience.into());
        self
    }

    /// The verified-token cache (on by default): a token whose signature was verified is
    /// served from memory while it stays valid, so clients that reuse their token pay for
    /// signature verification once. See [`TokenCacheConfig`] for its bounds and guarantees;
    /// [`TokenCacheConfig::disabled`] turns it off.
    pub fn token_cache(mut self, config: TokenCacheConfig) -> Self {
        self.bearer.token_cache = config;
        self
    }

    /// Clock skew tolerated on `exp` and `nbf` (RFC 7519 §4.1.4). Default: 60 seconds.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.bearer.leeway = leeway;
        self
    }

    /// Requires the JOSE header `typ` to be `at+jwt` (or `application/at+jwt`), as RFC 9068
    /// §2.1 specifies for access tokens, so that ID tokens cannot be replayed as access tokens.
    pub fn require_access_token_type(mut self) -> Self {
        self.bearer.typ = Some(TypRequirement::AccessToken);
        self
    }

    /// Requires the JOSE header `typ` to equal `typ` (compared case-insensitively).
    pub fn require_type(mut self, typ: impl Into<String>) -> Self {
        self.bearer.typ = Some(TypRequirement::Exact(typ.into()));
        self
    }

    /// Requires a claim to be present (for example `sub` or `jti`).
    pub fn require_claim(mut self, claim: impl Into<String>) -> Self {
        self.bearer.required_claims.push(claim.into());
        self
    }

    /// Replaces the claims scopes are read from. Default: `scope` (a space-delimited string,
    /// RFC 8693 §4.2) and `scp` (a string or an array of strings). A dotted path reaches into
    /// objects, e.g. `realm_access.roles` for Keycloak roles used as scopes; use
    /// [`ClaimPath::name`] for a claim whose name contains dots.
    pub fn scope_claims<P: Into<ClaimPath>>(mut self, claims: impl IntoIterator<Item = P>) -> Self {
        self.bearer.scope_claims = claims.into_iter().map(Into::into).collect();
        self
    }

    /// Declares that the scope `broader` implies each of `narrower` (`items:admin` implies
    /// `items:read` and `items:write`): a principal holding `broader` satisfies every
    /// requirement on the narrower scopes, whatever the scheme, and its
    /// [`scopes`](crate::Principal::scopes) list them. Rules chain (`admin` → `items:admin` →
    /// `items:read`) and may form cycles (scopes that imply each other are equivalent); the
    /// closure is computed once, when `build` runs, and a token's scopes are closed once, when it
    /// is verified (then served from the cache with them). The Model Context Protocol's
    /// authorization specification asks resource servers to honour such hierarchies.
    ///
    /// The `scope` of an `insufficient_scope` challenge (RFC 6750 §3) still names the scopes the
    /// endpoint declares, never a broader one that implies them: a client should ask for the
    /// least privilege it needs, and a narrow scope is the one an authorization server is likely
    /// to grant it.
    ///
    /// Every name must be an RFC 6749 §3.3 scope token, or `build` fails.
    ///
    /// ```
    /// # use auth_runtime::{Authenticator, Key};
    /// let auth = Authenticator::builder()
    ///     .scope_implies("admin", ["items:admin", "users:admin"])
    ///     .scope_implies("items:admin", ["items:read", "items:write"])
    ///     .key(Key::hs256(b"an-obviously-fake-secret-of-32-bytes!!").unwrap())
    ///     .build()
    ///     .unwrap();
    /// # let _ = auth;
    /// ```
    pub fn scope_implies<S: Into<String>>(
        mut self,
        broader: impl Into<String>,
        narrower: impl IntoIterator<Item = S>,
    ) -> Self {
        let narrower = narrower.into_iter().map(Into::into).collect();
        self.scope_rules.push((broader.into(), narrower));
        self
    }

    /// Answers step-up refusals (`#[requires(acr = .., max_age = ..)]` not met; RFC 9470) with
    /// `403` instead of `401`, with the same challenge.
    ///
    /// `401` is the default because it is what RFC 9470 §3 specifies: the token is valid, but the
    /// authentication behind it is not enough, and the remedy, as for an expired token, is a new
    /// token after the user authenticates again, which is what a `401` asks for; clients that
    /// implement RFC 9470 (and the Model Context Protocol's) look for the challenge on a `401`.
    /// Some front ends, though, react to every `401` by silently refreshing the token and
    /// retrying: a refreshed token carries the same `acr` and `auth_time`, so they loop. For
    /// them, `403` stops the loop, and the challenge still says what to do.
    pub fn step_up_forbidden(mut self) -> Self {
        self.step_up_forbidden = true;
        self
    }

    /// Publishes the protected resource's metadata (RFC 9728) and makes the resource the
    /// expected audience:
    ///
    /// - [`Authenticator::configure`](crate::Authenticator::configure) serves the metadata
    ///   document at the identifier's well-known URL (RFC 9728 §3: `/.well-known/oauth-protected-resource`,
    ///   with the identifier's path after it), with `resource`, `authorization_servers` (the
    ///   accepted issuers, or those the [`ProtectedResource`] names), `scopes_supported`,
    ///   `bearer_methods_supported` and the descriptive fields;
    /// - every Bearer challenge, of a `401` or a `403`, carries `resource_metadata="<URL>"` right
    ///   after the realm (RFC 9728 §5.1), so that a client can find the authorization server
    ///   from any refusal;
    /// - without an explicit [`audience`](Self::audience), tokens must carry the identifier in
    ///   `aud` (RFC 8707 §2: a token requested for this resource names it), so a token for
    ///   another API, or an ID token whose `aud` is a client id, is refused.
    ///
    /// `build` refuses an identifier that is not `https` (plain `http` only for a loopback host),
    /// has a fragment or credentials, and a configuration without Bearer tokens.
    ///
    /// ```
    /// use auth_runtime::{Authenticator, ProtectedResource};
    ///
    /// let auth = Authenticator::builder()
    ///     .oidc_discovery("https://idp.example.com")
    ///     .protected_resource(
    ///         ProtectedResource::new("https://api.example.com/items")
    ///             .name("Items API")
    ///             .scopes_supported(["items:read", "items:write"]),
    ///     )
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(
    ///     auth.resource_metadata_url(),
    ///     Some("https://api.example.com/.well-known/oauth-protected-resource/items"),
    /// );
    /// ```
    pub fn protected_resource(mut self, resource: ProtectedResource) -> Self {
        self.resource = Some(resource);
        self
    }

    /// Replaces the claims roles are read from (for `#[requires(role = "..")]`). Default:
    /// `roles` (a string or an array of strings); `realm_access.roles` reaches Keycloak's.
    pub fn role_claims<P: Into<ClaimPath>>(mut self, claims: impl IntoIterator<Item = P>) -> Self {
        self.bearer.role_claims = claims.into_iter().map(Into::into).collect();
        self
    }

    /// Introspects Bearer tokens that are not JWTs (or every token) at the authorization
    /// server's introspection endpoint (RFC 7662 §2); see [`Introspection`] for the endpoint,
    /// the client credentials (§2.1), caching (§4) and the answer to an outage. The answer's
    /// claims are checked by the same rules as a JWT's ([`issuer`](Self::issuer),
    /// [`audience`](Self::audience), [`leeway`](Self::leeway), ...). Plain `http` endpoints
    /// need [`allow_http`](Self::allow_http).
    pub fn introspection(mut self, introspection: Introspection) -> Self {
        self.bearer.introspection = Some(introspection);
        self
    }

    /// Where revocations are shared between the instances of the application: the default
    /// [`MemoryStore`](crate::MemoryStore) keeps them in this instance only;
    /// `RedisStore` (feature `redis`) shares them through Redis. Every
    /// request is checked against the instance's in-memory deny-list, which the store keeps in
    /// sync: a request never waits for the store. See
    /// [`Authenticator::revoke`](crate::Authenticator::revoke).
    pub fn revocation_store(mut self, store: impl RevocationStore) -> Self {
        self.revocation_store = Arc::new(store);
        self
    }

    /// How long a revocation is kept when the expiry of the tokens it refuses is unknown (a
    /// [`Revocation::jti`](crate::Revocation::jti) or an opaque token without
    /// [`until`](crate::Revocation::until); for a subject, counted from `issued_before`):
    /// at least the longest lifetime of the tokens accepted. Default: 24 hours.
    pub fn revocation_retention(mut self, retention: Duration) -> Self {
        self.revocation_retention = retention;
        self
    }

    /// What this instance does while its revocation store cannot be reached: keep serving
    /// with the revocations it has (the default), or refuse Bearer requests with `503` and
    /// `Retry-After` (CONFORMANCE row 23) once the store has been unreachable for a while.
    pub fn when_store_unreachable(mut self, policy: WhenStoreUnreachable) -> Self {
        self.when_store_unreachable = policy;
        self
    }

    /// Enables DPoP (RFC 9449): `Authorization: DPoP <token>` with a `DPoP` proof header, for
    /// endpoints that declare `scheme = "DPoP"` (or, with [`DpopMode`](crate::DpopMode), every
    /// Bearer endpoint). The token is verified by the Bearer settings (keys, issuers,
    /// audiences, introspection, revocations) and must be bound to the proof's key (`cnf.jkt`,
    /// §6); the proof is checked on every request as §4.3 says, and each proof is accepted
    /// once (§11.1). Needs a Bearer key, key source or introspection.
    pub fn dpop(mut self, config: DpopConfig) -> Self {
        self.dpop = Some(config);
        self
    }

    /// Enables the Basic scheme (RFC 7617) with `verifier`, e.g. [`StaticUsers`](crate::StaticUsers)
    /// or the application's own database lookup. Its password check, cache and hashing queue
    /// are the verifier's [`Passwords`](crate::Passwords).
    pub fn basic(mut self, verifier: impl BasicVerifier) -> Self {
        self.basic = Some(Basic::new(verifier).into());
        self
    }

    /// Enables the API-key scheme with `verifier`, e.g. [`StaticApiKeys`](crate::StaticApiKeys).
    pub fn api_keys(mut self, verifier: impl ApiKeyVerifier) -> Self {
        self.api_keys = Some(Box::new(move |header| {
            ApiKeys::new(verifier, header).into()
        }));
        self
    }

    /// The header API keys are read from (besides `Authorization: ApiKey <key>`).
    /// Default: `X-API-Key`.
    pub fn api_key_header(mut self, name: impl Into<String>) -> Self {
        self.api_key_header = name.into();
        self
    }

    /// Registers an application scheme, named in attributes by its type:
    /// `#[requires(scheme = MyScheme)]`.
    pub fn custom_scheme<S: CustomScheme>(mut self, scheme: S) -> Self {
        self.custom.push(Box::new(move |config| {
            let mechanism = Custom::new(scheme, config);
            let cache = mechanism.cache().cloned();
            (mechanism.into(), cache)
        }));
        self
    }

    /// The verified-credential cache of every application scheme that opts in with
    /// [`CustomScheme::credential`]: its size and how long an entry is served. Default: 10,000
    /// entries, 5 minutes. (Basic's cache is its verifier's
    /// [`Passwords`](crate::Passwords).)
    pub fn credential_cache(mut self, config: CredentialCacheConfig) -> Self {
        self.credential_cache = config;
        self
    }

    /// The longest token accepted, in bytes; longer ones are refused before any decoding.
    /// Default: 8 KiB.
    pub fn max_token_bytes(mut self, max: usize) -> Self {
        self.bearer.max_token_bytes = max;
        self
    }

    /// Replaces the RFC 9457 body of refusals. The status, `WWW-Authenticate` and
    /// `Retry-After` headers are kept; the builder decides only the body.
    ///
    /// ```
    /// use auth_runtime::{Authenticator, ErrorBody, Key};
    ///
    /// let auth = Authenticator::builder()
    ///     .key(Key::hs256(b"an-obviously-fake-secret-of-32-bytes!!").unwrap())
    ///     .error_body(|refusal| {
    ///         ErrorBody::json(&serde_json::json!({ "code": refusal.status().as_u16() }))
    ///     })
    ///     .build()
    ///     .unwrap();
    /// # let _ = auth;
    /// ```
    pub fn error_body(
        mut self,
        build: impl Fn(&Refusal) -> ErrorBody + Send + Sync + 'static,
    ) -> Self {
        self.error_body = Some(std::sync::Arc::new(build));
        self
    }

    /// Refuses, with the standard `401` (one challenge per configured scheme, the configured
    /// realm), every request without credentials to a route that declares neither
    /// `#[requires(..)]` nor `#[public]`, as Spring Security's `anyRequest().authenticated()`
    /// and ASP.NET Core's fallback policy do. Needs the app-wide middleware,
    /// `.wrap(auth.middleware())`; [`check_app`](crate::check_app) lists the routes without a
    /// declaration as errors. Requests that match no route, CORS preflights, the RFC 9728
    /// metadata route and the patterns of [`public_route`](Self::public_route) stay open.
    /// Default: off (routes without a declaration are open, but present credentials must be
    /// valid).
    pub fn deny_by_default(mut self) -> Self {
        self.deny_by_default = true;
        self
    }

    /// Leaves the resource of `pattern` open to the app-wide middleware: a service that no
    /// attribute can declare, such as static files (`actix_files::Files::new("/static", ..)`
    /// has the pattern `/static`). `pattern` is the full pattern actix-web matches, scope
    /// prefixes included, compared exactly. Present credentials are not checked there.
    pub fn public_route(mut self, pattern: impl Into<String>) -> Self {
        self.public_routes.push(pattern.into());
        self
    }

    /// Checks the configuration and builds the authenticator.
    ///
    /// With a remote key source ([`jwks_url`](Self::jwks_url),
    /// [`oidc_discovery`](Self::oidc_discovery)) this is "start and retry": it returns at once,
    /// the first fetch runs in the background, and requests that arrive before it finished wait
    /// for it (one fetch for all of them). Nothing is fetched if `build` fails.
    pub fn build(self) -> Result<Authenticator, ConfigError> {
        self.build_with_keys()
            .map(|(authenticator, _)| authenticator)
    }

    /// [`build`](Self::build), then waits for the first fetch of the remote key source and
    /// fails fast with [`ConfigError::KeySourceUnavailable`] if it gave no usable key (the
    /// provider is unreachable, answered an error, or its discovered `issuer` does not match).
    /// Without a remote source it is `build`. Runs on any async runtime.
    ///
    /// ```no_run
    /// use auth_runtime::Authenticator;
    ///
    /// #[actix_web::main]
    /// async fn main() -> std::io::Result<()> {
    ///     let auth = Authenticator::builder()
    ///         .issuer("https://idp.example")
    ///         .audience("items-api")
    ///         .jwks_url("https://idp.example/.well-known/jwks.json")
    ///         .build_and_fetch()
    ///         .await
    ///         .expect("the identity provider must be reachable at start-up");
    ///     # let _ = auth;
    ///     Ok(())
    /// }
    /// ```
    pub async fn build_and_fetch(self) -> Result<Authenticator, ConfigError> {
        let (authenticator, keys) = self.build_with_keys()?;
        if let Some((keys, discovered_introspection)) = keys {
            keys.first_fetch().await?;
            if discovered_introspection.is_some_and(|found| found.get().is_none()) {
                return Err(ConfigError::KeySourceUnavailable(
                    "the discovery document names no `introspection_endpoint` (RFC 8414 §2), \
                     which `Introspection::discovered()` needs"
                        .to_owned(),
                ));
            }
        }
        Ok(authenticator)
    }

    #[allow(clippy::type_complexity)]
    fn build_with_keys(
        mut self,
    ) -> Result<
        (
            Authenticator,
            Option<(KeyStore, Option<Arc<std::sync::OnceLock<reqwest::Url>>>)>,
        ),
        ConfigError,
    > {
        Challenge::check_value(&self.realm).map_err(|reason| ConfigError::InvalidRealm {
            value: self.realm.clone(),
            reason,
        })?;
        let refuse_after = match self.when_store_unreachable {
            WhenStoreUnreachable::KeepServing => None,
            WhenStoreUnreachable::RefuseAfter(limit) if limit.as_secs() == 0 => {
                return Err(ConfigError::InvalidRevocation(
                    "`WhenStoreUnreachable::RefuseAfter(..)` needs at least one second".into(),
                ))
            }
            WhenStoreUnreachable::RefuseAfter(limit) => Some(limit.as_secs()),
        };
        if self.revocation_retention.as_secs() == 0 {
            return Err(ConfigError::InvalidRevocation(
                "`.revocation_retention(..)` needs at least one second".into(),
            ));
        }
        let deny = DenyList::new(refuse_after);
        let hierarchy = Arc::new(ScopeHierarchy::new(&self.scope_rules)?);
        let resource = self.resource.map(ProtectedResource::check).transpose()?;
        let issuers = self.bearer.accepted_issuers();
        let leeway = self.bearer.leeway.as_secs();
        if let Some(resource) = &resource {
            // RFC 8707: a token requested for this resource names it in `aud`.
            if self.bearer.audiences.is_empty() {
                self.bearer.audiences.push(resource.identifier().to_owned());
            }
            self.bearer.resource_metadata = Some(resource.url().to_owned());
        }
        let (token_cache_config, bearer_leeway) =
            (self.bearer.token_cache.clone(), self.bearer.leeway);
        let bearer = self.bearer.build(&deny, Arc::clone(&hierarchy))?;
        let api_key_header = HeaderName::try_from(self.api_key_header.as_str())
            .map_err(|_| ConfigError::InvalidHeaderName(self.api_key_header.clone()))?;
        // Configuration order is the order extractors without `#[requires]` try the schemes.
        let mut registry = Registry::EMPTY;
        let dpop_mode = self
            .dpop
            .as_ref()
            .map(DpopConfig::mode_of)
            .unwrap_or_default();
        let mut dpop_cache = None;
        let (keys, token_cache, introspector) =
            match bearer {
                Some(bearer) => {
                    let dpop = self
                        .dpop
                        .map(|dpop| {
                            dpop.build(&bearer.mechanism, &deny, &token_cache_config, bearer_leeway)
                        })
                        .transpose()?;
                    registry.register(bearer.mechanism)?;
                    if let Some((dpop, cache)) = dpop {
                        registry.register(dpop)?;
                        dpop_cache = cache;
                    }
                    (
                        Some((bearer.keys, bearer.discovered_introspection)),
                        bearer.cache,
                        bearer.introspector,
                    )
                }
                None if self.dpop.is_some() => return Err(ConfigError::InvalidDpop(
                    "DPoP verifies tokens with the Bearer settings: add a key (`.key(..)`), a key \
                     source (`.jwks_url(..)`, `.oidc_discovery(..)`) or `.introspection(..)`"
                        .into(),
                )),
                None => (None, None, None),
            };
        let api_keys = self.api_keys.map(|make| make(api_key_header));
        let mut credential_caches = Vec::new();
        let config = &self.credential_cache;
        let custom = self.custom.into_iter().map(|make| {
            let (mechanism, cache) = make(config);
            credential_caches.extend(cache);
            mechanism
        });
        for mechanism in self.basic.into_iter().chain(api_keys).chain(custom) {
            registry.register(mechanism)?;
        }
        if registry.schemes().is_empty() {
            return Err(ConfigError::NoKeys);
        }
        let resource = match resource {
            Some(_) if keys.is_none() => return Err(ConfigError::ResourceWithoutBearer),
            Some(resource) => {
                let mut schemes = serde_json::Map::new();
                registry.describe_resource(&mut schemes);
                Some(resource.into_metadata(&issuers, schemes))
            }
            None => None,
        };
        // Last, so that a configuration that fails never fetches anything.
        self.revocation_store.attach(deny.clone())?;
        if let Some((keys, _)) = &keys {
            keys.start()?;
        }
        telemetry::describe();
        let authenticator = Authenticator::from_inner(Inner {
            realm: self.realm,
            decisions: Decisions::new(registry.schemes()),
            registry,
            error_body: self.error_body,
            token_cache,
            dpop_cache,
            dpop_mode,
            deny_by_default: self.deny_by_default,
            public_routes: self.public_routes,
            hierarchy,
            leeway,
            step_up_forbidden: self.step_up_forbidden,
            resource,
            credential_caches,
            introspector,
            revocations: Revocations {
                list: deny,
                store: self.revocation_store,
                retention: self.revocation_retention.as_secs(),
            },
        });
        Ok((authenticator, keys))
    }
}
