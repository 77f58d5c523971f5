//! A mock key server: a real identity-provider-shaped HTTP server on 127.0.0.1 for tests: it serves OpenID
//! Connect discovery and a JWKS, counts every request, and on demand rotates its keys, answers
//! 500, slows down, sends an oversized document, redirects, or stops and starts again on the
//! same port. With [`KeyServer::issue_tokens`] it is also a token endpoint (OAuth 2.0 client
//! credentials grant), which `cargo run --example dev-provider` serves on a fixed port.

use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use crate::jwk::{Jwk, JwkSet};
use crate::Algorithm;
use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::ServerHandle;
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer};
use serde_json::{json, Value};

/// The path of the JWKS document.
pub const JWKS_PATH: &str = "/jwks.json";
/// The path of the discovery document (OpenID Connect Discovery 1.0 §4).
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
/// The path of the token endpoint (RFC 6749 §3.2), served once
/// [`issue_tokens`](KeyServer::issue_tokens) was called.
pub const TOKEN_PATH: &str = "/token";

#[derive(Default)]
struct State {
    jwks: Mutex<Value>,
    discovery_issuer: Mutex<Option<String>>,
    jwks_uri: Mutex<Option<String>>,
    jwks_redirect: Mutex<Option<String>>,
    tokens: Mutex<Option<Arc<TokenEndpoint>>>,
    token_requests: AtomicUsize,
    introspection_endpoint: Mutex<Option<String>>,
    max_age: Mutex<Option<u64>>,
    hits: AtomicUsize,
    jwks_fetches: AtomicUsize,
    discovery_fetches: AtomicUsize,
    failing: AtomicBool,
    delay_ms: AtomicU64,
    oversized: Mutex<Option<Oversized>>,
    oversized_bytes_sent: Arc<AtomicUsize>,
    /// Woken by [`KeyServer::stop`], for [`KeyServer::serve_forever`].
    stopped: tokio::sync::Notify,
}

#[derive(Clone, Copy)]
enum Oversized {
    Streamed(usize),
    WithLength(usize),
}

/// The key server. Every method that changes its behaviour takes effect on the next request.
pub struct KeyServer {
    addr: SocketAddr,
    state: Arc<State>,
    handle: Mutex<Option<ServerHandle>>,
}

impl KeyServer {
    /// Starts a server on a free port of 127.0.0.1, publishing an empty JWKS. Must run inside
    /// an actix system (`#[actix_rt::test]`).
    pub async fn start() -> KeyServer {
        KeyServer::start_on_port(0)
            .await
            .expect("the key server binds to a free port of 127.0.0.1")
    }

    /// Starts a server on `port` of 127.0.0.1 (never another interface: it hands out tokens to
    /// whoever asks), so that its URL stays the same across restarts; fails when the port is
    /// taken. Port 0 picks a free one, as [`start`](Self::start) does.
    pub async fn start_on_port(port: u16) -> std::io::Result<KeyServer> {
        let state = Arc::new(State {
            jwks: Mutex::new(json!({ "keys": [] })),
            ..State::default()
        });
        let (addr, handle) = serve(
            Arc::clone(&state),
            SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        )?;
        Ok(KeyServer {
            addr,
            state,
            handle: Mutex::new(Some(handle)),
        })
    }

    /// Starts a server publishing `keys`.
    pub async fn with_keys(keys: Vec<Jwk>) -> KeyServer {
        let server = KeyServer::start().await;
        server.publish(keys);
        server
    }

    /// `http://127.0.0.1:<port>`: also the issuer its discovery document names.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The URL of its JWKS.
    pub fn jwks_url(&self) -> String {
        format!("{}{JWKS_PATH}", self.url())
    }

    /// The URL of its token endpoint (served once [`issue_tokens`](Self::issue_tokens) was
    /// called).
    pub fn token_url(&self) -> String {
        format!("{}{TOKEN_PATH}", self.url())
    }

    /// Makes the server a token endpoint for `tokens` (RFC 6749 §4.4, the client credentials
    /// grant): it publishes the issuer's key, and its discovery document names the issuer's
    /// `iss` and the [`TOKEN_PATH`] endpoint. Give the issuer the server's URL
    /// ([`TestIssuer::with_issuer`](super::TestIssuer::with_issuer)) for discovery to accept
    /// it.
    ///
    /// `POST /token` with `grant_type=client_credentials` answers an RFC 9068 access token
    /// (`typ` `at+jwt`; `sub` and `client_id` the client's, from HTTP Basic or the
    /// `client_id` parameter, any secret accepted, `dev-client` without one). The request
    /// chooses with `scope` (RFC 6749 §3.3), `roles` (space-delimited, written where the
    /// issuer puts roles) and `audience` or `resource` (RFC 8707); what it leaves out comes
    /// from [`TokenEndpoint`]'s defaults.
    ///
    /// Use an asymmetric issuer: the JWK of an HMAC issuer is its secret, which the JWKS would
    /// publish (and applications take HMAC keys from their configuration only).
    pub fn issue_tokens(&self, tokens: TokenEndpoint) {
        self.publish(vec![tokens.jwk.clone()]);
        self.set_discovery_issuer(&tokens.issuer);
        *self.state.tokens.lock().unwrap() = Some(Arc::new(tokens));
    }

    /// Requests to the token endpoint.
    pub fn token_requests(&self) -> usize {
        self.state.token_requests.load(Ordering::SeqCst)
    }

    /// Replaces the published keys (a rotation).
    pub fn publish(&self, keys: Vec<Jwk>) {
        *self.state.jwks.lock().unwrap() = serde_json::to_value(JwkSet { keys }).unwrap();
    }

    /// Publishes a raw JSON document as the JWKS.
    pub fn publish_raw(&self, document: Value) {
        *self.state.jwks.lock().unwrap() = document;
    }

    /// Makes the discovery document name `issuer` instead of the server's own URL.
    pub fn set_discovery_issuer(&self, issuer: &str) {
        *self.state.discovery_issuer.lock().unwrap() = Some(issuer.to_owned());
    }

    /// Makes the discovery document name `uri` as its `jwks_uri` instead of the server's own
    /// JWKS.
    pub fn set_jwks_uri(&self, uri: &str) {
        *self.state.jwks_uri.lock().unwrap() = Some(uri.to_owned());
    }

    /// Answers requests for the JWKS with `302 Found` to `location` (`None`: serve it again).
    pub fn redirect_jwks(&self, location: Option<&str>) {
        *self.state.jwks_redirect.lock().unwrap() = location.map(str::to_owned);
    }

    /// Makes the discovery document name `url` as its `introspection_endpoint` (RFC 8414 §2;
    /// none by default).
    pub fn set_introspection_endpoint(&self, url: &str) {
        *self.state.introspection_endpoint.lock().unwrap() = Some(url.to_owned());
    }

    /// Sends `Cache-Control: max-age=<seconds>` with the JWKS (none by default).
    pub fn set_max_age(&self, seconds: Option<u64>) {
        *self.state.max_age.lock().unwrap() = seconds;
    }

    /// Answers every request with 500 while `failing`.
    pub fn fail(&self, failing: bool) {
        self.state.failing.store(failing, Ordering::SeqCst);
    }

    /// Waits `delay` before answering each request.
    pub fn slow_down(&self, delay: Duration) {
        self.state
            .delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    /// Answers the JWKS with a body of `bytes` bytes, streamed without a `Content-Length`.
    pub fn serve_oversized_stream(&self, bytes: usize) {
        *self.state.oversized.lock().unwrap() = Some(Oversized::Streamed(bytes));
    }

    /// Answers the JWKS with a document of `bytes` bytes, with its `Content-Length`.
    pub fn serve_oversized_document(&self, bytes: usize) {
        *self.state.oversized.lock().unwrap() = Some(Oversized::WithLength(bytes));
    }

    /// How many bytes of an oversized streamed body were produced before the client stopped
    /// reading.
    pub fn oversized_bytes_sent(&self) -> usize {
        self.state.oversized_bytes_sent.load(Ordering::SeqCst)
    }

    /// Requests received, on any path.
    pub fn hits(&self) -> usize {
        self.state.hits.load(Ordering::SeqCst)
    }

    /// Requests for the JWKS.
    pub fn jwks_fetches(&self) -> usize {
        self.state.jwks_fetches.load(Ordering::SeqCst)
    }

    /// Requests for the discovery document.
    pub fn discovery_fetches(&self) -> usize {
        self.state.discovery_fetches.load(Ordering::SeqCst)
    }

    /// Stops listening: connections are refused until [`restart`](Self::restart).
    pub async fn stop(&self) {
        let handle = self.handle.lock().unwrap().take();
        if let Some(handle) = handle {
            handle.stop(false).await;
        }
        self.state.stopped.notify_waiters();
    }

    /// Listens again on the same port, with the same state.
    pub async fn restart(&self) {
        self.stop().await;
        let (_, handle) =
            serve(Arc::clone(&self.state), self.addr).expect("the key server binds again");
        *self.handle.lock().unwrap() = Some(handle);
    }

    /// Runs until the server is stopped (by [`stop`](Self::stop), or by the process ending):
    /// for a program whose only job is to serve, such as `examples/dev_provider.rs`.
    pub async fn serve_forever(&self) {
        loop {
            // Registered before the check, so that a `stop` in between still wakes it.
            let stopped = self.state.stopped.notified();
            if self.handle.lock().unwrap().is_none() {
                return;
            }
            stopped.await;
        }
    }

    /// Waits until the JWKS was fetched at least `count` times; panics after 10 seconds.
    pub async fn wait_for_jwks_fetches(&self, count: usize) {
        for _ in 0..200 {
            if self.jwks_fetches() >= count {
                return;
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "the JWKS was fetched {} times, expected at least {count}",
            self.jwks_fetches()
        );
    }
}

impl Drop for KeyServer {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.lock().unwrap().take() {
            // Not awaited: the test's runtime stops the server when it ends.
            drop(handle.stop(false));
        }
    }
}

fn serve(state: Arc<State>, addr: SocketAddr) -> std::io::Result<(SocketAddr, ServerHandle)> {
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::from(Arc::clone(&state)))
            .default_service(web::to(answer))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(0)
    .bind(addr)?;
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Ok((addr, handle))
}

async fn answer(req: HttpRequest, body: Bytes, state: web::Data<State>) -> HttpResponse {
    state.hits.fetch_add(1, Ordering::SeqCst);
    let counter = match req.path() {
        JWKS_PATH => &state.jwks_fetches,
        DISCOVERY_PATH => &state.discovery_fetches,
        TOKEN_PATH => &state.token_requests,
        _ => return HttpResponse::NotFound().finish(),
    };
    counter.fetch_add(1, Ordering::SeqCst);
    // No delay is a sleep of zero: one yield to the runtime.
    let delay = state.delay_ms.load(Ordering::SeqCst);
    actix_web::rt::time::sleep(Duration::from_millis(delay)).await;
    if state.failing.load(Ordering::SeqCst) {
        return HttpResponse::InternalServerError().finish();
    }
    let tokens = state.tokens.lock().unwrap().clone();
    if req.path() == TOKEN_PATH {
        return match tokens {
            Some(tokens) => tokens.answer(&req, &body),
            None => HttpResponse::NotFound().finish(),
        };
    }
    if req.path() == DISCOVERY_PATH {
        let own = format!("http://{}", req.connection_info().host());
        let issuer = state.discovery_issuer.lock().unwrap().clone();
        let jwks_uri = state.jwks_uri.lock().unwrap().clone();
        let mut document = json!({
            "issuer": issuer.unwrap_or_else(|| own.clone()),
            "jwks_uri": jwks_uri.unwrap_or_else(|| format!("{own}{JWKS_PATH}")),
            "id_token_signing_alg_values_supported": ["RS256"],
        });
        if let Some(tokens) = tokens {
            let issuer = tokens.issuer.trim_end_matches('/');
            document["token_endpoint"] = format!("{issuer}{TOKEN_PATH}").into();
            document["grant_types_supported"] = json!(["client_credentials"]);
            document["token_endpoint_auth_methods_supported"] =
                json!(["client_secret_basic", "client_secret_post", "none"]);
            document["id_token_signing_alg_values_supported"] =
                json!([format!("{:?}", tokens.algorithm)]);
        }
        if let Some(endpoint) = state.introspection_endpoint.lock().unwrap().clone() {
            document["introspection_endpoint"] = endpoint.into();
        }
        return HttpResponse::Ok().json(document);
    }
    let redirect = state.jwks_redirect.lock().unwrap().clone();
    if let Some(location) = redirect {
        return HttpResponse::Found()
            .insert_header((header::LOCATION, location))
            .finish();
    }
    let oversized = *state.oversized.lock().unwrap();
    match oversized {
        Some(Oversized::Streamed(bytes)) => {
            return HttpResponse::Ok()
                .content_type("application/json")
                .body(Padding {
                    remaining: bytes,
                    sent: Arc::clone(&state.oversized_bytes_sent),
                })
        }
        Some(Oversized::WithLength(bytes)) => {
            let mut document = br#"{"keys":[]}"#.to_vec();
            document.resize(bytes, b' ');
            return HttpResponse::Ok()
                .content_type("application/json")
                .body(document);
        }
        None => {}
    }
    let mut response = HttpResponse::Ok();
    if let Some(seconds) = *state.max_age.lock().unwrap() {
        response.insert_header((header::CACHE_CONTROL, format!("max-age={seconds}")));
    }
    let jwks = state.jwks.lock().unwrap().clone();
    response.json(jwks)
}

/// A body of JSON whitespace produced lazily, counting what it produced.
struct Padding {
    remaining: usize,
    sent: Arc<AtomicUsize>,
}

/// The size of the chunks an oversized streamed body is sent in.
const PADDING_CHUNK: usize = 64 << 10;

impl MessageBody for Padding {
    type Error = std::convert::Infallible;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let chunk = self.remaining.min(PADDING_CHUNK);
        self.remaining -= chunk;
        self.sent.fetch_add(chunk, Ordering::SeqCst);
        Poll::Ready(Some(Ok(Bytes::from(vec![b' '; chunk]))))
    }
}

/// What [`KeyServer::issue_tokens`] mints: the issuer that signs
/// ([`TokenEndpoint::new`]), and what a token holds when the request does not say.
pub struct TokenEndpoint {
    /// The `iss` of the tokens.
    issuer: String,
    algorithm: Algorithm,
    /// The public key of the signer.
    jwk: Jwk,
    /// The `aud` of a token whose request names none.
    audience: String,
    sign: Box<dyn Fn(&Grant<'_>) -> String + Send + Sync>,
    scope: Vec<String>,
    roles: Vec<String>,
    expires_in: i64,
}

/// What one token request was granted, for the signer to put in a token.
pub(crate) struct Grant<'a> {
    /// The client, the token's `sub` and `client_id`.
    pub(crate) client: &'a str,
    pub(crate) scope: &'a [String],
    pub(crate) roles: &'a [String],
    pub(crate) audience: &'a str,
    pub(crate) expires_in: i64,
}

impl std::fmt::Debug for TokenEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenEndpoint")
            .field("issuer", &self.issuer)
            .field("algorithm", &self.algorithm)
            .field("audience", &self.audience)
            .field("scope", &self.scope)
            .field("roles", &self.roles)
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

impl TokenEndpoint {
    /// An endpoint for tokens of `issuer` (its `iss`, default `aud`, algorithm and public key)
    /// that `sign` signs; [`TokenEndpoint::new`] builds one from a `TestIssuer`.
    pub(crate) fn from_parts(
        issuer: String,
        algorithm: Algorithm,
        jwk: Jwk,
        audience: String,
        sign: Box<dyn Fn(&Grant<'_>) -> String + Send + Sync>,
    ) -> Self {
        TokenEndpoint {
            issuer,
            algorithm,
            jwk,
            audience,
            sign,
            scope: Vec::new(),
            roles: Vec::new(),
            expires_in: 3600,
        }
    }

    /// The scopes (space-delimited) of a token whose request has no `scope` (RFC 6749 §3.3:
    /// the server's default).
    pub fn default_scope(mut self, scope: &str) -> Self {
        self.scope = split(scope);
        self
    }

    /// The roles (space-delimited) of a token whose request has no `roles`.
    pub fn default_roles(mut self, roles: &str) -> Self {
        self.roles = split(roles);
        self
    }

    /// The lifetime of every token, in seconds.
    pub fn expires_in(mut self, seconds: i64) -> Self {
        self.expires_in = seconds;
        self
    }

    /// `POST /token` (RFC 6749 §4.4.2, §5).
    fn answer(&self, req: &HttpRequest, body: &[u8]) -> HttpResponse {
        if req.method() != actix_web::http::Method::POST {
            return HttpResponse::MethodNotAllowed()
                .insert_header((header::ALLOW, "POST"))
                .finish();
        }
        match self.mint(req, body) {
            Ok((token, scope)) => token_response(
                actix_web::http::StatusCode::OK,
                json!({
                    "access_token": token,
                    "token_type": "Bearer",
                    "expires_in": self.expires_in,
                    "scope": scope,
                }),
            ),
            Err((error, description)) => token_response(
                actix_web::http::StatusCode::BAD_REQUEST,
                json!({ "error": error, "error_description": description }),
            ),
        }
    }

    /// The token a request asks for and its scope, or an RFC 6749 §5.2 error.
    fn mint(&self, req: &HttpRequest, body: &[u8]) -> Result<(String, String), TokenError> {
        let form = TokenRequest::parse(body)?;
        match form.get("grant_type") {
            Some("client_credentials") => {}
            Some(_) => {
                return Err((
                    "unsupported_grant_type",
                    "this development provider issues tokens for the client credentials grant only",
                ))
            }
            None => return Err(("invalid_request", "`grant_type` is missing")),
        }
        let client = basic_client_id(req)
            .or_else(|| form.get("client_id").map(str::to_owned))
            .unwrap_or_else(|| "dev-client".to_owned());
        let scope = match form.get("scope") {
            Some(scope) => split(scope),
            None => self.scope.clone(),
        };
        // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
        let nqchar = |c: char| matches!(c, '\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E');
        if !scope.iter().all(|token| token.chars().all(nqchar)) {
            return Err((
                "invalid_scope",
                "a scope token has a character RFC 6749 §3.3 forbids",
            ));
        }
        let roles = form.get("roles").map_or_else(|| self.roles.clone(), split);
        let audience = form
            .get("audience")
            .or_else(|| form.get("resource"))
            .unwrap_or(&self.audience);
        let token = (self.sign)(&Grant {
            client: &client,
            scope: &scope,
            roles: &roles,
            audience,
            expires_in: self.expires_in,
        });
        Ok((token, scope.join(" ")))
    }
}

/// An RFC 6749 §5.2 `error` code and its description.
type TokenError = (&'static str, &'static str);

/// The parameters of a token request: `application/x-www-form-urlencoded`, each at most once
/// (RFC 6749 §3.2).
struct TokenRequest(Vec<(String, String)>);

impl TokenRequest {
    fn parse(body: &[u8]) -> Result<Self, TokenError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).map_err(|_| {
            (
                "invalid_request",
                "the body is not a form (application/x-www-form-urlencoded)",
            )
        })?;
        for (index, (name, _)) in pairs.iter().enumerate() {
            if pairs[..index].iter().any(|(other, _)| other == name) {
                return Err(("invalid_request", "a parameter is repeated"));
            }
        }
        Ok(TokenRequest(pairs))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// The client id of `Authorization: Basic` client authentication (RFC 6749 §2.3.1), whatever
/// the secret.
fn basic_client_id(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded =
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (client, _secret) = decoded.split_once(':')?;
    Some(client.to_owned()).filter(|client| !client.is_empty())
}

/// A token endpoint answer: JSON, never cached (RFC 6749 §5.1).
fn token_response(status: actix_web::http::StatusCode, body: Value) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(body)
}

/// The tokens of a space-delimited list.
fn split(list: &str) -> Vec<String> {
    list.split(' ')
        .filter(|token| !token.is_empty())
        .map(str::to_owned)
        .collect()
}
