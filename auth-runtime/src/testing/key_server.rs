//! A mock key server: a real identity-provider-shaped HTTP server on 127.0.0.1 for tests: it serves OpenID
//! Connect discovery and a JWKS, counts every request, and on demand rotates its keys, answers
//! 500, slows down, sends an oversized document, or stops and starts again on the same port.

use std::net::SocketAddr;
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
use jsonwebtoken::EncodingKey;
use serde_json::{json, Value};

/// The path of the JWKS document.
pub const JWKS_PATH: &str = "/jwks.json";
/// The path of the discovery document (OpenID Connect Discovery 1.0 §4).
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";

/// The public JWK of a private test key, bound to `alg` and named `kid`.
///
/// jsonwebtoken derives it with its process-wide crypto provider, so the calling crate's
/// jsonwebtoken needs one crypto feature (`aws_lc_rs` or `rust_crypto`), or a provider
/// installed. [`TestIssuer::jwk`](super::TestIssuer::jwk) needs neither.
pub fn jwk_of(key: &EncodingKey, alg: Algorithm, kid: &str) -> Jwk {
    let mut jwk = Jwk::from_encoding_key(key, alg).expect("a JWK of the test key");
    jwk.common.key_id = Some(kid.to_owned());
    jwk
}

#[derive(Default)]
struct State {
    jwks: Mutex<Value>,
    discovery_issuer: Mutex<Option<String>>,
    introspection_endpoint: Mutex<Option<String>>,
    max_age: Mutex<Option<u64>>,
    hits: AtomicUsize,
    jwks_fetches: AtomicUsize,
    discovery_fetches: AtomicUsize,
    failing: AtomicBool,
    delay_ms: AtomicU64,
    oversized: Mutex<Option<Oversized>>,
    oversized_bytes_sent: Arc<AtomicUsize>,
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
        let state = Arc::new(State {
            jwks: Mutex::new(json!({ "keys": [] })),
            ..State::default()
        });
        let (addr, handle) = serve(Arc::clone(&state), "127.0.0.1:0".parse().unwrap());
        KeyServer {
            addr,
            state,
            handle: Mutex::new(Some(handle)),
        }
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
    }

    /// Listens again on the same port, with the same state.
    pub async fn restart(&self) {
        self.stop().await;
        let (_, handle) = serve(Arc::clone(&self.state), self.addr);
        *self.handle.lock().unwrap() = Some(handle);
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

fn serve(state: Arc<State>, addr: SocketAddr) -> (SocketAddr, ServerHandle) {
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::from(Arc::clone(&state)))
            .default_service(web::to(answer))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(0)
    .bind(addr)
    .expect("the key server binds to 127.0.0.1");
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (addr, handle)
}

async fn answer(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    state.hits.fetch_add(1, Ordering::SeqCst);
    let counter = match req.path() {
        JWKS_PATH => &state.jwks_fetches,
        DISCOVERY_PATH => &state.discovery_fetches,
        _ => return HttpResponse::NotFound().finish(),
    };
    counter.fetch_add(1, Ordering::SeqCst);
    let delay = state.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        actix_web::rt::time::sleep(Duration::from_millis(delay)).await;
    }
    if state.failing.load(Ordering::SeqCst) {
        return HttpResponse::InternalServerError().finish();
    }
    if req.path() == DISCOVERY_PATH {
        let own = format!("http://{}", req.connection_info().host());
        let issuer = state.discovery_issuer.lock().unwrap().clone();
        let mut document = json!({
            "issuer": issuer.unwrap_or_else(|| own.clone()),
            "jwks_uri": format!("{own}{JWKS_PATH}"),
            "id_token_signing_alg_values_supported": ["RS256"],
        });
        if let Some(endpoint) = state.introspection_endpoint.lock().unwrap().clone() {
            document["introspection_endpoint"] = endpoint.into();
        }
        return HttpResponse::Ok().json(document);
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
        let chunk = self.remaining.min(64 * 1024);
        self.remaining -= chunk;
        self.sent.fetch_add(chunk, Ordering::SeqCst);
        Poll::Ready(Some(Ok(Bytes::from(vec![b' '; chunk]))))
    }
}
