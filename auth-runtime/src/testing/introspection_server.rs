//! An introspection endpoint for tests: a real HTTP server on 127.0.0.1 answering RFC 7662 §2
//! requests for the tokens it was told about, checking the caller's client authentication,
//! counting calls, and on demand failing, slowing down, answering oversized bodies, or stopping
//! and starting again on the same port.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::ServerHandle;
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer};
use base64::Engine;
use serde_json::{json, Value};

/// The path the endpoint answers on.
pub const INTROSPECTION_PATH: &str = "/oauth2/introspect";

#[derive(Default)]
struct State {
    /// The answer for each known token; unknown tokens are `{"active": false}`.
    answers: Mutex<HashMap<String, Value>>,
    client_id: String,
    client_secret: String,
    calls: AtomicUsize,
    /// Calls refused for bad client authentication.
    unauthenticated: AtomicUsize,
    /// How the last authenticated call carried its credentials: `basic` or `post`.
    last_method: Mutex<Option<&'static str>>,
    failing: AtomicBool,
    delay_ms: AtomicU64,
    oversized: AtomicUsize,
    chunked: AtomicBool,
}

/// The endpoint. Every method that changes its behaviour takes effect on the next call.
pub struct IntrospectionServer {
    addr: SocketAddr,
    state: Arc<State>,
    handle: Mutex<Option<ServerHandle>>,
}

impl IntrospectionServer {
    /// Starts an endpoint on a free port of 127.0.0.1 that accepts the client `client_id` with
    /// `client_secret` (by `client_secret_basic` or `client_secret_post`). Must run inside an
    /// actix system (`#[actix_rt::test]`).
    pub async fn start(client_id: &str, client_secret: &str) -> IntrospectionServer {
        let state = Arc::new(State {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            ..State::default()
        });
        let (addr, handle) = serve(Arc::clone(&state), "127.0.0.1:0".parse().unwrap());
        IntrospectionServer {
            addr,
            state,
            handle: Mutex::new(Some(handle)),
        }
    }

    /// The endpoint's URL.
    pub fn url(&self) -> String {
        format!("http://{}{INTROSPECTION_PATH}", self.addr)
    }

    /// Answers `answer` (a JSON object) when `token` is introspected.
    pub fn answer(&self, token: &str, answer: Value) {
        self.state
            .answers
            .lock()
            .unwrap()
            .insert(token.to_owned(), answer);
    }

    /// Answers `token` as active with `claims` merged over `{"active": true}`.
    pub fn activate(&self, token: &str, claims: Value) {
        let mut answer = json!({ "active": true });
        if let (Some(answer), Some(claims)) = (answer.as_object_mut(), claims.as_object()) {
            answer.extend(claims.clone());
        }
        self.answer(token, answer);
    }

    /// Answers `{"active": false}` for `token` from now on (revoked at the provider).
    pub fn deactivate(&self, token: &str) {
        self.answer(token, json!({ "active": false }));
    }

    /// Calls received with valid client authentication.
    pub fn calls(&self) -> usize {
        self.state.calls.load(Ordering::SeqCst)
    }

    /// Calls refused for missing or wrong client authentication.
    pub fn unauthenticated_calls(&self) -> usize {
        self.state.unauthenticated.load(Ordering::SeqCst)
    }

    /// How the last authenticated call authenticated: `"basic"` or `"post"`.
    pub fn last_method(&self) -> Option<&'static str> {
        *self.state.last_method.lock().unwrap()
    }

    /// Answers every call with 500 while `failing`.
    pub fn fail(&self, failing: bool) {
        self.state.failing.store(failing, Ordering::SeqCst);
    }

    /// Waits `delay` before answering each call.
    pub fn slow_down(&self, delay: Duration) {
        self.state
            .delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    /// Answers with a valid JSON object padded to `bytes` bytes (0: normal answers).
    pub fn serve_oversized(&self, bytes: usize) {
        self.state.oversized.store(bytes, Ordering::SeqCst);
    }

    /// Sends every answer without `Content-Length`, in chunks of at most 16 bytes (`false`:
    /// one body of a declared length, the default).
    pub fn serve_chunked(&self, chunked: bool) {
        self.state.chunked.store(chunked, Ordering::SeqCst);
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
}

impl Drop for IntrospectionServer {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.lock().unwrap().take() {
            drop(handle.stop(false));
        }
    }
}

fn serve(state: Arc<State>, addr: SocketAddr) -> (SocketAddr, ServerHandle) {
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::from(Arc::clone(&state)))
            .route(INTROSPECTION_PATH, web::post().to(introspect))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(0)
    .bind(addr)
    .expect("the introspection server binds to 127.0.0.1");
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (addr, handle)
}

/// `application/x-www-form-urlencoded` pairs, decoded.
fn form(body: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// The client credentials of `Authorization: Basic`, each form-urldecoded (RFC 6749 §2.3.1).
fn basic_credentials(req: &HttpRequest) -> Option<(String, String)> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |text: &str| {
        form_urlencoded::parse(format!("x={text}").as_bytes())
            .next()
            .map(|(_, value)| value.into_owned())
    };
    Some((unescape(id)?, unescape(secret)?))
}

async fn introspect(req: HttpRequest, body: Bytes, state: web::Data<State>) -> HttpResponse {
    let fields = form(&body);
    let (credentials, method) = match basic_credentials(&req) {
        Some(credentials) => (Some(credentials), "basic"),
        None => {
            let posted = fields
                .get("client_id")
                .cloned()
                .zip(fields.get("client_secret").cloned());
            (posted, "post")
        }
    };
    let authenticated = credentials
        .is_some_and(|(id, secret)| id == state.client_id && secret == state.client_secret);
    if !authenticated {
        state.unauthenticated.fetch_add(1, Ordering::SeqCst);
        return HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"introspection\""))
            .json(json!({ "error": "invalid_client" }));
    }
    state.calls.fetch_add(1, Ordering::SeqCst);
    *state.last_method.lock().unwrap() = Some(method);
    // No delay is a sleep of zero: one yield to the runtime.
    let delay = state.delay_ms.load(Ordering::SeqCst);
    actix_web::rt::time::sleep(Duration::from_millis(delay)).await;
    if state.failing.load(Ordering::SeqCst) {
        return HttpResponse::InternalServerError().finish();
    }
    let oversized = state.oversized.load(Ordering::SeqCst);
    if oversized > 0 {
        let mut document = br#"{"active":true}"#.to_vec();
        document.resize(oversized, b' ');
        return HttpResponse::Ok()
            .content_type("application/json")
            .body(document);
    }
    let Some(token) = fields.get("token") else {
        return HttpResponse::BadRequest().json(json!({ "error": "invalid_request" }));
    };
    let answer = state
        .answers
        .lock()
        .unwrap()
        .get(token)
        .cloned()
        .unwrap_or_else(|| json!({ "active": false }));
    if !state.chunked.load(Ordering::SeqCst) {
        return HttpResponse::Ok().json(answer);
    }
    HttpResponse::Ok()
        .content_type("application/json")
        .body(Chunked(serde_json::to_vec(&answer).unwrap_or_default()))
}

/// A body sent in chunks of at most 16 bytes, without a declared length.
struct Chunked(Vec<u8>);

impl MessageBody for Chunked {
    type Error = Infallible;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Infallible>>> {
        if self.0.is_empty() {
            return Poll::Ready(None);
        }
        let at = self.0.len().min(16);
        let rest = self.0.split_off(at);
        let chunk = std::mem::replace(&mut self.0, rest);
        Poll::Ready(Some(Ok(Bytes::from(chunk))))
    }
}
