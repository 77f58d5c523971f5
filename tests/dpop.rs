//! DPoP (RFC 9449) over the real service: every proof check of §4.3, the key binding
//! (`cnf.jkt`), replays, the responses of CONFORMANCE rows 19 to 21, server nonces and the new
//! nonce given on accepted requests when it rotated (§8.2), and the `allowed` / `required`
//! modes. Client keys are real ES256, EdDSA and RS256 keys; tokens are signed by a
//! real issuer key.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::body::{BoxBody, EitherBody};
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::{get, post, test, web, App, HttpResponse};
use auth_runtime::testing::key_server::KeyServer;
use auth_runtime::testing::{
    assert_dpop_unauthenticated, assert_unauthenticated, server_nonce, DpopKey, TestIssuer,
    TestRequestExt,
};
use auth_runtime::{
    requires, Algorithm, AuthError, Authenticator, ConfigError, DpopConfig, DpopMode, Identity,
    MemoryReplayCache, ProofReason, Refusal, Revocation,
};
use base64::Engine;
use serde_json::json;

#[get("/items")]
#[requires(scheme = "DPoP", scope = "items:read")]
async fn items(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(format!(
        "{} via {}",
        who.subject().unwrap_or("?"),
        who.scheme()
    ))
}

#[post("/items")]
#[requires(scheme = "DPoP", scope = "items:write")]
async fn create_item(who: Identity) -> HttpResponse {
    HttpResponse::Created().body(who.subject().unwrap_or("?").to_owned())
}

#[get("/either")]
#[requires(scheme = any("DPoP", "Bearer"), scope = "items:read")]
async fn either(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(format!(
        "{} via {}",
        who.subject().unwrap_or("?"),
        who.scheme()
    ))
}

#[get("/bearer")]
#[requires(scope = "items:read")]
async fn bearer_only(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(format!(
        "{} via {}",
        who.subject().unwrap_or("?"),
        who.scheme()
    ))
}

/// The origin `TestRequest`s are addressed to (actix's default host, plain http).
const ORIGIN: &str = "http://localhost:8080";
/// The default `algs` of the DPoP challenge.
const ALGS: &str = "ES256 EdDSA ES384 RS256 PS256";

fn routes(config: &mut web::ServiceConfig) {
    config
        .service(items)
        .service(create_item)
        .service(either)
        .service(bearer_only);
}

fn authenticator(issuer: &TestIssuer, dpop: DpopConfig) -> Authenticator {
    issuer
        .builder()
        .dpop(dpop)
        .build()
        .expect("valid DPoP configuration")
}

async fn app(
    auth: &Authenticator,
) -> impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error> {
    test::init_service(App::new().configure(auth.configure()).configure(routes)).await
}

fn challenges(res: &ServiceResponse) -> Vec<String> {
    res.headers()
        .get_all(header::WWW_AUTHENTICATE)
        .map(|value| value.to_str().unwrap().to_owned())
        .collect()
}

/// `GET /items` with `token` and `proof`.
fn get_items(token: &str, proof: &str) -> actix_http::Request {
    test::TestRequest::get()
        .uri("/items")
        .dpop(token, proof)
        .to_request()
}

/// The response to `GET /items` with a token bound to `client` and a proof made by `proof`.
async fn call<S>(app: &S, req: actix_http::Request) -> ServiceResponse
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    test::call_service(app, req).await
}

/// Why the service refused `res`, as the server logs it.
fn refusal(res: &ServiceResponse) -> Option<Refusal> {
    let error = res.response().error()?;
    error.as_error::<AuthError>().map(|error| *error.refusal())
}

/// Asserts the exact row 19 answer, refused for `reason`: 401, `DPoP realm="test",
/// error="invalid_dpop_proof", algs="…"`, nothing else.
#[track_caller]
fn assert_invalid_proof(res: &ServiceResponse, reason: ProofReason) {
    assert_eq!(refusal(res), Some(Refusal::InvalidProof(reason)));
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenges(res),
        [format!(
            r#"DPoP realm="test", error="invalid_dpop_proof", algs="{ALGS}""#
        )]
    );
}

// ---------------------------------------------------------------------------------------------
// Accepted proofs.

#[actix_web::test]
async fn a_bound_token_with_a_fresh_proof_is_accepted_for_es256_eddsa_and_rs256_clients() {
    let issuer = TestIssuer::es256();
    let auth = authenticator(&issuer, DpopConfig::default());
    let app = app(&auth).await;
    for client in [DpopKey::es256(), DpopKey::eddsa(), DpopKey::rs256()] {
        let token = issuer.token().scope("items:read").bound_to(&client).sign();
        let proof = client
            .proof("GET", &format!("{ORIGIN}/items"))
            .token(&token)
            .sign();
        let res = call(&app, get_items(&token, &proof)).await;
        assert_eq!(res.status(), StatusCode::OK, "{:?}", client.algorithm());
        assert_eq!(test::read_body(res).await, "test-user via DPoP");
    }
}

#[actix_web::test]
async fn a_post_is_accepted_with_a_post_proof() {
    let issuer = TestIssuer::eddsa();
    let app = app(&authenticator(&issuer, DpopConfig::default())).await;
    let client = DpopKey::es256();
    let token = issuer.token().scope("items:write").bound_to(&client).sign();
    let proof = client
        .proof("POST", &format!("{ORIGIN}/items"))
        .token(&token)
        .sign();
    let req = test::TestRequest::post().uri("/items").dpop(&token, &proof);
    let res = call(&app, req.to_request()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

// ---------------------------------------------------------------------------------------------
// Responses without a proof or without credentials.

#[actix_web::test]
async fn no_credentials_get_the_dpop_challenge_with_its_algorithms() {
    let issuer = TestIssuer::es256();
    let app = app(&authenticator(&issuer, DpopConfig::default())).await;
    let res = call(&app, test::TestRequest::get().uri("/items").to_request()).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenges(&res),
        [format!(r#"DPoP realm="test", algs="{ALGS}""#)]
    );
    let res = call(&app, test::TestRequest::get().uri("/either").to_request()).await;
    assert_eq!(
        challenges(&res),
        [
            format!(r#"DPoP realm="test", algs="{ALGS}""#),
            r#"Bearer realm="test""#.to_owned()
        ]
    );
}

#[actix_web::test]
async fn the_configured_algorithms_are_announced_and_enforced() {
    let issuer = TestIssuer::es256();
    let dpop = DpopConfig::default().algorithms([Algorithm::EdDSA]);
    let app = app(&authenticator(&issuer, dpop)).await;
    let res = call(&app, test::TestRequest::get().uri("/items").to_request()).await;
    assert_eq!(challenges(&res), [r#"DPoP realm="test", algs="EdDSA""#]);
    let client = DpopKey::es256();
    let token = issuer.token().scope("items:read").bound_to(&client).sign();
    let proof = client
        .proof("GET", &format!("{ORIGIN}/items"))
        .token(&token)
        .sign();
    let res = call(&app, get_items(&token, &proof)).await;
    assert_eq!(
        refusal(&res),
        Some(Refusal::InvalidProof(ProofReason::WrongAlgorithm))
    );
    assert_eq!(
        challenges(&res),
        [r#"DPoP realm="test", error="invalid_dpop_proof", algs="EdDSA""#]
    );
    let client = DpopKey::eddsa();
    let token = issuer.token().scope("items:read").bound_to(&client).sign();
    let proof = client
        .proof("GET", &format!("{ORIGIN}/items"))
        .token(&token)
        .sign();
    assert_eq!(
        call(&app, get_items(&token, &proof)).await.status(),
        StatusCode::OK
    );
}

/// Every asymmetric algorithm a proof may use, configured alone: announced, and accepted.
#[actix_web::test]
async fn each_asymmetric_algorithm_can_be_configured_and_verifies() {
    let issuer = TestIssuer::es256();
    for alg in [
        Algorithm::ES384,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS384,
        Algorithm::PS512,
    ] {
        let dpop = DpopConfig::default().algorithms([alg]);
        let app = app(&authenticator(&issuer, dpop)).await;
        let res = call(&app, test::TestRequest::get().uri("/items").to_request()).await;
        assert_eq!(
            challenges(&res),
            [format!(r#"DPoP realm="test", algs="{alg:?}""#)]
        );
        let client = DpopKey::new(alg);
        let token = issuer.token().scope("items:read").bound_to(&client).sign();
        let proof = client
            .proof("GET", &format!("{ORIGIN}/items"))
            .token(&token)
            .sign();
        let res = call(&app, get_items(&token, &proof)).await;
        assert_eq!(res.status(), StatusCode::OK, "{alg:?}");
    }
}

/// An RSA key in another encoding than RFC 7518 §6.3.1's (a leading zero byte on `n` or on
/// `e`): one key has one thumbprint, so it is unusable.
#[actix_web::test]
async fn an_rsa_jwk_with_a_leading_zero_in_n_or_e_is_unusable() {
    let issuer = TestIssuer::es256();
    let app = app(&authenticator(&issuer, DpopConfig::default())).await;
    let client = DpopKey::rs256();
    let token = issuer.token().scope("items:read").bound_to(&client).sign();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    for member in ["n", "e"] {
        let mut jwk = client.public_jwk().clone();
        let mut bytes = b64.decode(jwk[member].as_str().unwrap()).unwrap();
        bytes.insert(0, 0);
        jwk[member] = json!(b64.encode(bytes));
        let proof = client
            .proof("GET", &format!("{ORIGIN}/items"))
            .token(&token)
            .header("jwk", jwk)
            .sign();
        let res = call(&app, get_items(&token, &proof)).await;
        assert_eq!(
            refusal(&res),
            Some(Refusal::InvalidProof(ProofReason::UnusableKey)),
            "{member}"
        );
    }
}

/// Each refused proof, against one app whose token and client are otherwise right.
struct Fixture {
    issuer: TestIssuer,
    client: DpopKey,
    token: String,
    auth: Authenticator,
}

impl Fixture {
    fn new() -> Self {
        Fixture::with(DpopConfig::default())
    }

    fn with(dpop: DpopConfig) -> Self {
        let issuer = TestIssuer::es256();
        let client = DpopKey::es256();
        let token = issuer.token().scope("items:read").bound_to(&client).sign();
        let auth = authenticator(&issuer, dpop);
        Fixture {
            issuer,
            client,
            token,
            auth,
        }
    }

    fn proof(&self) -> auth_runtime::testing::TestProof<'_> {
        self.client
            .proof("GET", &format!("{ORIGIN}/items"))
            .token(&self.token)
    }
}

#[actix_web::test]
async fn a_request_without_a_dpop_header_is_an_invalid_proof() {
    let f = Fixture::new();
    let app = app(&f.auth).await;
    let req = test::TestRequest::get()
        .uri("/items")
        .insert_header((header::AUTHORIZATION, format!("DPoP {}", f.token)));
    assert_invalid_proof(&call(&app, req.to_request()).await, ProofReason::Missing);
}

#[actix_web::test]
async fn two_dpop_headers_are_an_invalid_proof() {
    let f = Fixture::new();
    let app = app(&f.auth).await;
    let (one, two) = (f.proof().sign(), f.proof().sign());
    let req = test::TestRequest::get()
        .uri("/items")
        .dpop(&f.token, &one)
        .append_header(("dpop", two));
    assert_invalid_proof(&call(&app, req.to_request()).await, ProofReason::Repeated);
    // Each alone is fine.
    assert_eq!(
        call(&app, get_items(&f.token, &one)).await.status(),
        StatusCode::OK
    );
}

#[actix_web::test]
async fn a_proof_that_is_not_a_jwt_is_an_invalid_proof() {
    let f = Fixture::new();
    let app = app(&f.auth).await;
    let good = f.proof().sign();
    let (message, _) = good.rsplit_once('.').unwrap();
    for garbage in [
        "x",
        "a.b.c",
        "a.b.c.d",
        message,
        &format!("{good}.x"),
        &format!("{good}="),
    ] {
        assert_invalid_proof(
            &call(&app, get_items(&f.token, garbage)).await,
            ProofReason::Malformed,
        );
    }
}

#[actix_web::test]
async fn a_proof_whose_typ_is_not_dpop_jwt_is_invalid() {
    let f = Fixture::new();
    let app = app(&f.auth).await;
    for typ in ["JWT", "at+jwt", "application/dpop+jwt"] {
        let proof = f.proof().header("typ", typ).sign();
        assert_invalid_proof(
            &call(&app, get_items(&f.token, &proof)).await,
            ProofReason::WrongType,
        );
    }
    let proof = f.proof().without_header("typ").sign();
    assert_invalid_proof(
        &call(&app, get_items(&f.token, &proof)).await,
        ProofReason::WrongType,
    );
    // Media types compare case-insensitively (RFC 7515 §4.1.9).
    let proof = f.proof().header("typ", "DPoP+JWT").sign();
    assert_eq!(
        call(&app, get_items(&f.token, &proof)).await.status(),
        StatusCode::OK
    );
}

#[actix_web::test]
async fn a_proof_with_none_hmac_or_a_disallowed_algorithm_is_invalid() {
    let f = Fixture::new();
    let app = app(&f.auth).await;
    // `none` with no signature, and HMAC "signed" with the public key as secret.
    let unsigned = f.proof().header("alg", "none").sign();
    let (message, _) = unsigned.rsplit_once('.').unwrap();
    assert_invalid_proof(
        &call(&app, get_items(&f.token, &format!("{message}."))).await,
        ProofReason::WrongAlgorithm,
    );
    for alg in ["HS256", "ES512", "ES256K", "NONE"] {
        let proof = f.proof().header("alg", alg).sign();
        assert_invalid_proof(
            &call(&app, get_items(&f.token, &proof)).await,
            ProofReason::WrongAlgorithm,
        );
    }
    // An allowed algorithm that is not the key's.
    let proof = f.proof().header("alg", "RS256").sign();
    assert_invalid_proof(
        &call(&app, get_items(&f.token, &proof)).await,
        ProofReason::UnusableKey,
    );
}

#[actix_web::test]
async fn a_proof_whose_jwk_holds_a_private_key_is_invalid() {
    let f = Fixture::new();
    let app = app(&f.auth).await;
    // Every private member of RFC 7518 §6 (EC and OKP `d`, RSA's `p` … `oth`, oct's `k`),
    // each alone.
    for member in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
        let mut jwk = f.client.public_jwk().clone();
        jwk[member] = json!("AAAA");
        let proof = f.proof().header("jwk", jwk).sign();
        let res = call(&app, get_items(&f.token, &proof)).await;
        assert_eq!(
            refusal(&res),
            Some(Refusal::InvalidProof(ProofReason::PrivateKey)),
            "{member}"
        );
    }
    let proof = f.proof().without_header("jwk").sign();
    assert_invalid_proof(
        &call(&app, get_items(&f.token, &proof)).await,
        ProofReason::UnusableKey,
    );
    // A key in another encoding than RFC 7518's (a coordinate with a leading zero byte).
    let mut jwk = f.client.public_jwk().clone();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut x = b64.decode(jwk["x"].as_str().unwrap()).unwrap();
    x.insert(0, 0);
    jwk["x"] = json!(b64.encode(x));
    let proof = f.proof().header("jwk", jwk).sign();
    assert_invalid_proof(
        &call(&app, get_items(&f.token, &proof)).await,
        ProofReason::UnusableKey,
    );
}

#[actix_web::test]
async fn a_proof_signed_by_another_key_is_invalid() {
    let f = Fixture::new();
    let app = app(&f.auth).await;
    let other = DpopKey::es256();
    let proof = f.proof().signed_by(&other).sign();
    assert_invalid_proof(
        &call(&app, get_items(&f.token, &proof)).await,
        ProofReason::BadSignature,
    );
    // Once the client's header was accepted (its key is kept prepared), a proof with that
    // header is still refused unless the client's key signed it.
    let good = f.proof().sign();
    assert_eq!(
        call(&app, get_items(&f.token, &good)).await.status(),
        StatusCode::OK
    );
    let proof = f.proof().signed_by(&other).sign();
    assert_invalid_proof(
        &call(&app, get_items(&f.token, &proof)).await,
        ProofReason::BadSignature,
    );
}

#[actix_web::test]
async fn a_proof_for_another_method_is_invalid() {
    let f = Fixture::new();
    let app = app(&f.auth).await;
    for method in ["POST", "get", "HEAD"] {
        let proof = f.proof().claim("htm", method).sign();
        assert_invalid_proof(
            &call(&app, get_items(&f.token, &proof)).await,
            ProofReason::WrongMethod,
        );
    }
}

#[actix_web::test]
async fn a_proof_for_another_uri_is_invalid() {
    let f = Fixture::new();
    let app = app(&f.auth).await;
    for htu in [
        "http://localhost:8080/other",
        "http://localhost:8080/items/",
        "https://localhost:8080/items",
        "http://localhost:8081/items",
        "http://evil.example:8080/items",
        "/items",
        "not a url",
    ] {
        let proof = f.proof().claim("htu", htu).sign();
        assert_invalid_proof(
            &call(&app, get_items(&f.token, &proof)).await,
            ProofReason::WrongUrl,
        );
    }
    let proof = f.proof().without_claim("htu").sign();
    assert_invalid_proof(
        &call(&app, get_items(&f.token, &proof)).await,
        ProofReason::Malformed,
    );
}

#[actix_web::test]
async fn htu_is_compared_after_normalisation_without_query_and_fragment() {
    let f = Fixture::new();
    let app = app(&f.auth).await;
    for htu in [
        "HTTP://LocalHost:8080/items",
        "http://localhost:8080/items?page=2#top",
        "http://localhost:8080/a/../items",
    ] {
        let proof = f.proof().claim("htu", htu).sign();
        let req = test::TestRequest::get()
            .uri("/items?page=1")
            .dpop(&f.token, &proof);
        assert_eq!(
            call(&app, req.to_request()).await.status(),
            StatusCode::OK,
            "{htu}"
        );
    }
    // Default ports are the same origin: `Host: Example.COM` is `http://example.com:80`.
    let proof = f.proof().claim("htu", "http://EXAMPLE.com:80/items").sign();
    let req = test::TestRequest::get()
        .uri("/items")
        .insert_header((header::HOST, "Example.COM"))
        .dpop(&f.token, &proof);
    assert_eq!(call(&app, req.to_request()).await.status(), StatusCode::OK);
}

#[actix_web::test]
async fn forwarded_headers_are_ignored_unless_trusted() {
    let forwarded = |proof: &str, token: &str| {
        test::TestRequest::get()
            .uri("/items")
            .insert_header(("x-forwarded-proto", "https"))
            .insert_header(("x-forwarded-host", "api.example"))
            .dpop(token, proof)
            .to_request()
    };
    let f = Fixture::new();
    let app1 = app(&f.auth).await;
    let proof = f.proof().claim("htu", "https://api.example/items").sign();
    assert_invalid_proof(
        &call(&app1, forwarded(&proof, &f.token)).await,
        ProofReason::WrongUrl,
    );
    let proof = f.proof().sign();
    assert_eq!(
        call(&app1, forwarded(&proof, &f.token)).await.status(),
        StatusCode::OK
    );

    let f = Fixture::with(DpopConfig::default().trust_forwarded_headers());
    let app2 = app(&f.auth).await;
    let proof = f
        .proof()
        .claim("htu", "https://api.example:443/items")
        .sign();
    assert_eq!(
        call(&app2, forwarded(&proof, &f.token)).await.status(),
        StatusCode::OK
    );
    let proof = f.proof().sign();
    assert_invalid_proof(
        &call(&app2, forwarded(&proof, &f.token)).await,
        ProofReason::WrongUrl,
    );
}

#[actix_web::test]
async fn a_configured_external_origin_is_what_htu_must_name() {
    let f = Fixture::with(DpopConfig::default().external_origin("https://API.example:443"));
    let app = app(&f.auth).await;
    let proof = f.proof().claim("htu", "https://api.example/items").sign();
    assert_eq!(
        call(&app, get_items(&f.token, &proof)).await.status(),
        StatusCode::OK
    );
    let proof = f.proof().sign();
    assert_invalid_proof(
        &call(&app, get_items(&f.token, &proof)).await,
        ProofReason::WrongUrl,
    );
}

/// The test-only certificate of `localhost` and `127.0.0.1` (tests/keys/README.md).
const TLS_CERT: &[u8] = include_bytes!("keys/TEST-ONLY-localhost-tls-cert.pem");
const TLS_KEY: &[u8] = include_bytes!("keys/TEST-ONLY-localhost-tls-key.pem");

/// Serves `routes` with `auth` on a free loopback port, over TLS with the test-only
/// certificate when `tls`: the server's address and handle.
fn serve(auth: Authenticator, tls: bool) -> (std::net::SocketAddr, actix_web::dev::ServerHandle) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let server = actix_web::HttpServer::new(move || {
        App::new().configure(auth.configure()).configure(routes)
    })
    .workers(1);
    let server = if tls {
        let certs = CertificateDer::pem_slice_iter(TLS_CERT)
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_slice(TLS_KEY).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
        server.bind_rustls_0_23(("127.0.0.1", 0), config)
    } else {
        server.bind(("127.0.0.1", 0))
    }
    .unwrap();
    let address = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (address, handle)
}

/// Without a configured origin, `htu` names the scheme of the connection the request came
/// on: `https` over TLS (a request line carries no scheme, so only the connection tells), and
/// `http` over plain TCP. A real client over real TLS, which trusts only the test certificate.
#[actix_web::test]
async fn over_tls_htu_is_https_and_over_tcp_http() {
    let issuer = TestIssuer::es256();
    let client = DpopKey::es256();
    let token = issuer.token().scope("items:read").bound_to(&client).sign();
    for (scheme, other, tls) in [("https", "http", true), ("http", "https", false)] {
        let (address, server) = serve(authenticator(&issuer, DpopConfig::default()), tls);
        let http = reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(TLS_CERT).unwrap())
            .resolve("localhost", address)
            .build()
            .unwrap();
        let port = address.port();
        let url = format!("{scheme}://localhost:{port}/items");
        let get = |htu: String| {
            http.get(&url)
                .header("Authorization", format!("DPoP {token}"))
                .header("DPoP", client.proof("GET", &htu).token(&token).sign())
                .send()
        };

        let res = get(url.clone()).await.unwrap();
        assert_eq!(res.status(), 200, "{url}");
        assert_eq!(res.text().await.unwrap(), "test-user via DPoP");

        let res = get(format!("{other}://localhost:{port}/items"))
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{url}");
        assert_eq!(
            res.headers()["www-authenticate"],
            format!(r#"DPoP realm="test", error="invalid_dpop_proof", algs="{ALGS}""#),
        );
        server.stop(true).await;
    }
}

#[actix_web::test]
async fn a_proof_issued_outside_the_window_is_invalid() {
    let f = Fixture::with(DpopConfig::default().proof_window(Duration::from_secs(30)));
    let app = app(&f.auth).await;
    for seconds in [-31 - 5, 31 + 5, -3600] {
        let proof = f.proof().issued_in(seconds).sign();
        assert_invalid_proof(
            &call(&app, get_items(&f.token, &proof)).await,
            ProofReason::OutsideWindow,
        );
    }
    for seconds in [-20, 20] {
        let proof = f.proof().issued_in(seconds).sign();
        assert_eq!(
            call(&app, get_items(&f.token, &proof)).await.status(),
            StatusCode::OK
        );
    }
    let proof = f.proof().claim("iat", "now").sign();
    assert_invalid_proof(
        &call(&app, get_items(&f.token, &proof)).await,
        ProofReason::Malformed,
    );
}

/// The window is inclusive: `iat` exactly `window` seconds old is accepted, one second more is
/// not. (Tried again when the clock's second changes during a request.)
#[actix_web::test]
async fn a_proof_exactly_at_the_edge_of_the_window_is_accepted() {
    let f = Fixture::with(DpopConfig::default().proof_window(Duration::from_secs(30)));
    let app = app(&f.auth).await;
    let unix_now = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    for attempt in 0..5 {
        let before = unix_now();
        let at_edge = f.proof().claim("iat", before - 30).sign();
        let status = call(&app, get_items(&f.token, &at_edge)).await.status();
        if unix_now() != before {
            assert!(attempt < 4, "the clock moved during every attempt");
            continue;
        }
        assert_eq!(status, StatusCode::OK);
        break;
    }
    let beyond = f.proof().claim("iat", unix_now() - 31).sign();
    assert_invalid_proof(
        &call(&app, get_items(&f.token, &beyond)).await,
        ProofReason::OutsideWindow,
    );
}

#[actix_web::test]
async fn a_proof_with_a_wrong_or_missing_ath_is_invalid() {
    let f = Fixture::new();
    let app = app(&f.auth).await;
    // Another token (RustCrypto's ECDSA is deterministic: the same claims would sign alike).
    let other = f
        .issuer
        .token()
        .scope("items:read")
        .claim("jti", "another-token")
        .bound_to(&f.client)
        .sign();
    let proof = f.proof().token(&other).sign();
    assert_invalid_proof(
        &call(&app, get_items(&f.token, &proof)).await,
        ProofReason::WrongTokenHash,
    );
    let proof = f.proof().without_claim("ath").sign();
    assert_invalid_proof(
        &call(&app, get_items(&f.token, &proof)).await,
        ProofReason::WrongTokenHash,
    );
}

#[actix_web::test]
async fn a_proof_without_jti_is_invalid() {
    let f = Fixture::new();
    let app = app(&f.auth).await;
    for proof in [
        f.proof().without_claim("jti").sign(),
        f.proof().jti("").sign(),
    ] {
        assert_invalid_proof(
            &call(&app, get_items(&f.token, &proof)).await,
            ProofReason::Malformed,
        );
    }
}

#[actix_web::test]
async fn a_proof_with_crit_is_invalid() {
    let f = Fixture::new();
    let app = app(&f.auth).await;
    let proof = f.proof().header("crit", json!(["exp"])).sign();
    assert_invalid_proof(
        &call(&app, get_items(&f.token, &proof)).await,
        ProofReason::Malformed,
    );
}

// ---------------------------------------------------------------------------------------------
// Key binding.

#[actix_web::test]
async fn a_token_bound_to_another_key_is_an_invalid_proof() {
    let f = Fixture::new();
    let app = app(&f.auth).await;
    let thief = DpopKey::es256();
    let proof = thief
        .proof("GET", &format!("{ORIGIN}/items"))
        .token(&f.token)
        .sign();
    assert_invalid_proof(
        &call(&app, get_items(&f.token, &proof)).await,
        ProofReason::WrongKey,
    );
    // Also once the token is in the verified-token cache.
    assert_eq!(
        call(&app, get_items(&f.token, &f.proof().sign()))
            .await
            .status(),
        StatusCode::OK
    );
    let proof = thief
        .proof("GET", &format!("{ORIGIN}/items"))
        .token(&f.token)
        .sign();
    assert_invalid_proof(
        &call(&app, get_items(&f.token, &proof)).await,
        ProofReason::WrongKey,
    );
}

#[actix_web::test]
async fn a_token_without_cnf_presented_as_dpop_is_an_invalid_token() {
    let f = Fixture::new();
    let app = app(&f.auth).await;
    let unbound = f.issuer.token().scope("items:read").sign();
    let proof = f.proof().token(&unbound).sign();
    let res = call(&app, get_items(&unbound, &proof)).await;
    assert_eq!(
        refusal(&res),
        Some(Refusal::Invalid(auth_runtime::InvalidReason::NotKeyBound))
    );
    assert_eq!(
        challenges(&res),
        [format!(
            r#"DPoP realm="test", error="invalid_token", error_description="The access token is invalid", algs="{ALGS}""#
        )]
    );
    // A `cnf` without `jkt` binds to nothing this server can check.
    let odd = f
        .issuer
        .token()
        .scope("items:read")
        .claim("cnf", json!({ "x5t#S256": "abc" }))
        .sign();
    let proof = f.proof().token(&odd).sign();
    assert_invalid_proof(
        &call(&app, get_items(&odd, &proof)).await,
        ProofReason::WrongKey,
    );
}

#[actix_web::test]
async fn a_bound_token_presented_as_bearer_is_refused_never_downgraded() {
    let f = Fixture::new();
    let app = app(&f.auth).await;
    // Accepted with its proof first, so that it sits in DPoP's verified-token cache.
    assert_eq!(
        call(&app, get_items(&f.token, &f.proof().sign()))
            .await
            .status(),
        StatusCode::OK
    );
    let req = test::TestRequest::get().uri("/either").bearer(&f.token);
    let res = call(&app, req.to_request()).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        refusal(&res),
        Some(Refusal::Invalid(auth_runtime::InvalidReason::KeyBound))
    );
    assert_eq!(
        challenges(&res),
        [
            r#"Bearer realm="test", error="invalid_token", error_description="The access token is invalid""#
        ]
    );
    // With a proof header too.
    let proof = f
        .client
        .proof("GET", &format!("{ORIGIN}/either"))
        .token(&f.token)
        .sign();
    let req = test::TestRequest::get()
        .uri("/either")
        .bearer(&f.token)
        .insert_header(("dpop", proof));
    assert_unauthenticated(
        &call(&app, req.to_request()).await,
        "Bearer",
        Some("invalid_token"),
    );
}

#[actix_web::test]
async fn an_invalid_token_under_dpop_is_answered_invalid_token_in_the_dpop_challenge() {
    let f = Fixture::new();
    let app = app(&f.auth).await;
    let expired = f
        .issuer
        .token()
        .scope("items:read")
        .bound_to(&f.client)
        .expired()
        .sign();
    let proof = f.proof().token(&expired).sign();
    let res = call(&app, get_items(&expired, &proof)).await;
    assert_eq!(
        challenges(&res),
        [format!(
            r#"DPoP realm="test", error="invalid_token", error_description="The access token expired", algs="{ALGS}""#
        )]
    );
    let forged = TestIssuer::es256()
        .token()
        .scope("items:read")
        .bound_to(&f.client)
        .sign();
    let proof = f.proof().token(&forged).sign();
    assert_dpop_unauthenticated(
        &call(&app, get_items(&forged, &proof)).await,
        Some("invalid_token"),
    );
}

#[actix_web::test]
async fn insufficient_scope_under_dpop_is_a_403_with_the_dpop_challenge() {
    let f = Fixture::new();
    let app = app(&f.auth).await;
    let proof = f
        .client
        .proof("POST", &format!("{ORIGIN}/items"))
        .token(&f.token)
        .sign();
    let req = test::TestRequest::post()
        .uri("/items")
        .dpop(&f.token, &proof);
    let res = call(&app, req.to_request()).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        challenges(&res),
        [format!(
            r#"DPoP realm="test", error="insufficient_scope", scope="items:write", algs="{ALGS}""#
        )]
    );
}

// ---------------------------------------------------------------------------------------------
// Replays.

#[actix_web::test]
async fn a_replayed_proof_is_refused_even_when_the_token_is_cached() {
    let f = Fixture::new();
    let app = app(&f.auth).await;
    let first = f.proof().sign();
    assert_eq!(
        call(&app, get_items(&f.token, &first)).await.status(),
        StatusCode::OK
    );
    assert_invalid_proof(
        &call(&app, get_items(&f.token, &first)).await,
        ProofReason::Replayed,
    );
    let second = f.proof().sign();
    let hits = f.auth.cache_stats().hits;
    assert_eq!(
        call(&app, get_items(&f.token, &second)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        f.auth.cache_stats().hits,
        hits + 1,
        "served from the token cache"
    );
    assert_invalid_proof(
        &call(&app, get_items(&f.token, &second)).await,
        ProofReason::Replayed,
    );
}

#[actix_web::test]
async fn a_new_proof_reusing_a_jti_is_a_replay_but_another_clients_jti_is_not() {
    let f = Fixture::new();
    let app = app(&f.auth).await;
    let proof = f.proof().jti("same").sign();
    assert_eq!(
        call(&app, get_items(&f.token, &proof)).await.status(),
        StatusCode::OK
    );
    let proof = f.proof().jti("same").sign();
    assert_invalid_proof(
        &call(&app, get_items(&f.token, &proof)).await,
        ProofReason::Replayed,
    );
    // Another client's `jti` lives in its own space.
    let other = DpopKey::eddsa();
    let token = f.issuer.token().scope("items:read").bound_to(&other).sign();
    let proof = other
        .proof("GET", &format!("{ORIGIN}/items"))
        .token(&token)
        .jti("same")
        .sign();
    assert_eq!(
        call(&app, get_items(&token, &proof)).await.status(),
        StatusCode::OK
    );
}

/// The order of P-256, big-endian.
const P256_ORDER: [u8; 32] = [
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51,
];

/// `n − s`, big-endian.
fn negate(s: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut digit = i16::from(P256_ORDER[i]) - i16::from(s[i]) - borrow;
        borrow = i16::from(digit < 0);
        if digit < 0 {
            digit += 256;
        }
        out[i] = digit as u8;
    }
    out
}

#[actix_web::test]
async fn a_proof_replayed_in_another_valid_encoding_is_still_a_replay() {
    let f = Fixture::new();
    let app = app(&f.auth).await;
    let proof = f.proof().sign();
    // ECDSA signatures are malleable: (r, n − s) verifies as well as (r, s).
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (message, signature) = proof.rsplit_once('.').unwrap();
    let signature = b64.decode(signature).unwrap();
    let mut twin = signature[..32].to_vec();
    twin.extend(negate(&signature[32..]));
    let twin = format!("{message}.{}", b64.encode(twin));
    assert_ne!(twin, proof);
    assert_eq!(
        call(&app, get_items(&f.token, &proof)).await.status(),
        StatusCode::OK
    );
    assert_invalid_proof(
        &call(&app, get_items(&f.token, &twin)).await,
        ProofReason::Replayed,
    );

    // The twin alone verifies: it is refused above as a replay, not as a bad signature.
    let f = Fixture::new();
    let service = self::app(&f.auth).await;
    let proof = f.proof().sign();
    let (message, signature) = proof.rsplit_once('.').unwrap();
    let signature = b64.decode(signature).unwrap();
    let mut twin = signature[..32].to_vec();
    twin.extend(negate(&signature[32..]));
    let twin = format!("{message}.{}", b64.encode(twin));
    assert_eq!(
        call(&service, get_items(&f.token, &twin)).await.status(),
        StatusCode::OK
    );
}

#[actix_web::test]
async fn a_full_replay_cache_answers_503_rather_than_forget() {
    let f = Fixture::with(DpopConfig::default().replay_cache(MemoryReplayCache::new(16)));
    let app = app(&f.auth).await;
    let (logging, log) = auth_tests::capture_logs(tracing::Level::WARN);
    auth_tests::refresh_log_interest();
    let mut refused = None;
    for _ in 0..64 {
        let res = call(&app, get_items(&f.token, &f.proof().sign())).await;
        if res.status() != StatusCode::OK {
            refused = Some(res);
            break;
        }
    }
    let res = refused.expect("16 entries cannot hold 64 proofs of one window");
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.headers().contains_key(header::RETRY_AFTER));
    // A warning for the operator that names the cache, not a password queue.
    drop(logging);
    log.assert_line_with(&[
        "WARN",
        r#"reason="overloaded""#,
        "the DPoP replay cache is full",
    ]);
    let logged = log.text();
    assert!(!logged.contains("password"), "{logged}");
}

#[actix_web::test]
async fn a_revoked_token_is_refused_under_dpop_even_when_cached() {
    let f = Fixture::new();
    let app = app(&f.auth).await;
    assert_eq!(
        call(&app, get_items(&f.token, &f.proof().sign()))
            .await
            .status(),
        StatusCode::OK
    );
    f.auth.revoke(Revocation::token(&f.token)).await.unwrap();
    let res = call(&app, get_items(&f.token, &f.proof().sign())).await;
    assert_dpop_unauthenticated(&res, Some("invalid_token"));
}

// ---------------------------------------------------------------------------------------------
// Server nonces.

#[actix_web::test]
async fn with_server_nonces_a_proof_without_the_nonce_gets_use_dpop_nonce_and_one() {
    let f = Fixture::with(DpopConfig::default().server_nonces(Duration::from_secs(300)));
    let app = app(&f.auth).await;
    let res = call(&app, get_items(&f.token, &f.proof().sign())).await;
    assert_eq!(refusal(&res), Some(Refusal::UseDpopNonce));
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenges(&res),
        [format!(
            r#"DPoP realm="test", error="use_dpop_nonce", algs="{ALGS}""#
        )]
    );
    let nonce = res
        .headers()
        .get("dpop-nonce")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let proof = f.proof().nonce(&nonce).sign();
    assert_eq!(
        call(&app, get_items(&f.token, &proof)).await.status(),
        StatusCode::OK
    );
    // Forged, altered or foreign nonces are not current.
    let foreign = Fixture::with(DpopConfig::default().server_nonces(Duration::from_secs(300)));
    let res = call(
        &self::app(&foreign.auth).await,
        get_items(&foreign.token, &foreign.proof().sign()),
    )
    .await;
    let foreign_nonce = res
        .headers()
        .get("dpop-nonce")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    for bad in [foreign_nonce.as_str(), "made-up", ""] {
        let proof = f.proof().nonce(bad).sign();
        let res = call(&app, get_items(&f.token, &proof)).await;
        assert_eq!(refusal(&res), Some(Refusal::UseDpopNonce), "{bad}");
        assert!(res.headers().contains_key("dpop-nonce"));
    }
}

#[actix_web::test]
async fn instances_sharing_a_nonce_secret_accept_each_others_nonces() {
    let config = || {
        DpopConfig::default()
            .server_nonces(Duration::from_secs(300))
            .nonce_secret(*b"TEST-ONLY-nonce-secret-0123456789")
    };
    let f = Fixture::with(config());
    let other = f.issuer.builder().dpop(config()).build().unwrap();
    let (app, other) = (app(&f.auth).await, self::app(&other).await);
    let res = call(&other, get_items(&f.token, &f.proof().sign())).await;
    let nonce = res
        .headers()
        .get("dpop-nonce")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let proof = f.proof().nonce(&nonce).sign();
    assert_eq!(
        call(&app, get_items(&f.token, &proof)).await.status(),
        StatusCode::OK
    );
    assert!(matches!(
        f.issuer
            .builder()
            .dpop(
                DpopConfig::default()
                    .server_nonces(Duration::from_secs(1))
                    .nonce_secret(*b"short")
            )
            .build(),
        Err(ConfigError::InvalidDpop(_))
    ));
}

#[actix_web::test]
async fn without_server_nonces_no_nonce_is_needed_or_given() {
    let f = Fixture::new();
    let app = app(&f.auth).await;
    let res = call(&app, get_items(&f.token, &f.proof().sign())).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(!res.headers().contains_key("dpop-nonce"));
}

// ---------------------------------------------------------------------------------------------
// Modes.

#[actix_web::test]
async fn allowed_mode_lets_every_bearer_endpoint_accept_dpop_too() {
    let f = Fixture::with(DpopConfig::default().mode(DpopMode::Allowed));
    let app = app(&f.auth).await;
    let res = call(&app, test::TestRequest::get().uri("/bearer").to_request()).await;
    assert_eq!(
        challenges(&res),
        [
            r#"Bearer realm="test""#.to_owned(),
            format!(r#"DPoP realm="test", algs="{ALGS}""#)
        ]
    );
    let proof = f
        .client
        .proof("GET", &format!("{ORIGIN}/bearer"))
        .token(&f.token)
        .sign();
    let req = test::TestRequest::get()
        .uri("/bearer")
        .dpop(&f.token, &proof);
    let res = call(&app, req.to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(test::read_body(res).await, "test-user via DPoP");
    let plain = f.issuer.token().scope("items:read").sign();
    let req = test::TestRequest::get().uri("/bearer").bearer(&plain);
    let res = call(&app, req.to_request()).await;
    assert_eq!(test::read_body(res).await, "test-user via Bearer");
}

#[actix_web::test]
async fn required_mode_lets_bearer_endpoints_accept_only_dpop() {
    let f = Fixture::with(DpopConfig::default().mode(DpopMode::Required));
    let app = app(&f.auth).await;
    let res = call(&app, test::TestRequest::get().uri("/bearer").to_request()).await;
    assert_eq!(
        challenges(&res),
        [format!(r#"DPoP realm="test", algs="{ALGS}""#)]
    );
    let plain = f.issuer.token().scope("items:read").sign();
    let req = test::TestRequest::get().uri("/bearer").bearer(&plain);
    let res = call(&app, req.to_request()).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenges(&res),
        [format!(r#"DPoP realm="test", algs="{ALGS}""#)]
    );
    let proof = f
        .client
        .proof("GET", &format!("{ORIGIN}/bearer"))
        .token(&f.token)
        .sign();
    let req = test::TestRequest::get()
        .uri("/bearer")
        .dpop(&f.token, &proof);
    assert_eq!(call(&app, req.to_request()).await.status(), StatusCode::OK);
    // An endpoint that declares both keeps DPoP only.
    let res = call(&app, test::TestRequest::get().uri("/either").to_request()).await;
    assert_eq!(
        challenges(&res),
        [format!(r#"DPoP realm="test", algs="{ALGS}""#)]
    );
}

#[actix_web::test]
async fn declared_mode_leaves_bearer_endpoints_alone() {
    let f = Fixture::new();
    let app = app(&f.auth).await;
    let res = call(&app, test::TestRequest::get().uri("/bearer").to_request()).await;
    assert_eq!(challenges(&res), [r#"Bearer realm="test""#]);
    let proof = f
        .client
        .proof("GET", &format!("{ORIGIN}/bearer"))
        .token(&f.token)
        .sign();
    let req = test::TestRequest::get()
        .uri("/bearer")
        .dpop(&f.token, &proof);
    let res = call(&app, req.to_request()).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenges(&res), [r#"Bearer realm="test""#]);
}

// ---------------------------------------------------------------------------------------------
// Configuration.

#[actix_web::test]
async fn dpop_without_a_bearer_key_source_is_refused_at_build() {
    let error = Authenticator::builder()
        .basic(auth_runtime::StaticUsers::new())
        .dpop(DpopConfig::default())
        .build()
        .expect_err("DPoP needs the Bearer settings");
    assert!(
        matches!(&error, ConfigError::InvalidDpop(reason) if reason.contains("Bearer settings")),
        "{error}"
    );
}

#[actix_web::test]
async fn symmetric_algorithms_and_empty_settings_are_refused_at_build() {
    let issuer = TestIssuer::es256();
    let build = |dpop: DpopConfig| issuer.builder().dpop(dpop).build();
    assert!(matches!(
        build(DpopConfig::default().algorithms([Algorithm::ES256, Algorithm::HS256])),
        Err(ConfigError::InvalidDpop(_))
    ));
    assert!(matches!(
        build(DpopConfig::default().algorithms([])),
        Err(ConfigError::InvalidDpop(_))
    ));
    assert!(matches!(
        build(DpopConfig::default().proof_window(Duration::ZERO)),
        Err(ConfigError::InvalidDpop(_))
    ));
    for origin in [
        "api.example",
        "https://api.example/base",
        "ftp://api.example",
        "https://u:p@api.example",
        "https://u@api.example",
        "https://:p@api.example",
        "https://api.example/?q=1",
        "https://api.example/#f",
    ] {
        assert!(
            matches!(
                build(DpopConfig::default().external_origin(origin)),
                Err(ConfigError::InvalidDpop(_))
            ),
            "{origin}"
        );
    }
    assert!(build(DpopConfig::default()).is_ok());
}

#[actix_web::test]
async fn dpop_needs_the_bearer_settings_to_verify_tokens() {
    let users = auth_runtime::StaticUsers::new();
    let built = Authenticator::builder()
        .basic(users)
        .dpop(DpopConfig::default())
        .build();
    assert!(matches!(built, Err(ConfigError::InvalidDpop(_))));
}

// ---------------------------------------------------------------------------------------------
// A new server nonce on accepted requests when it rotated (RFC 9449 §8.2), given by the app-wide
// middleware. Nonces of earlier periods are made with the shared secret, as another instance
// would have given them (`testing::server_nonce`), instead of waiting for a period to pass.

/// The nonce secret of these tests.
const NONCE_SECRET: &[u8; 33] = b"TEST-ONLY-nonce-secret-0123456789";
/// The nonce period of these tests.
const NONCE_PERIOD: Duration = Duration::from_secs(300);

/// Server nonces with the tests' secret and period.
fn nonces() -> DpopConfig {
    DpopConfig::default()
        .server_nonces(NONCE_PERIOD)
        .nonce_secret(*NONCE_SECRET)
}

/// The server nonce of `periods_ago` periods back, once at least 3 seconds of the current period
/// are left: enough for a test to finish in the period it started in (at most a 3-second wait).
async fn nonce_of(periods_ago: u32) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let left = NONCE_PERIOD.as_secs() - now.as_secs() % NONCE_PERIOD.as_secs();
    if left < 3 {
        actix_web::rt::time::sleep(Duration::from_secs(left)).await;
    }
    let then = SystemTime::now() - NONCE_PERIOD * periods_ago;
    server_nonce(NONCE_SECRET, NONCE_PERIOD, then)
}

/// The app with the app-wide middleware, as `check_app` requires it.
async fn wrapped_app(
    auth: &Authenticator,
) -> impl Service<
    actix_http::Request,
    Response = ServiceResponse<EitherBody<BoxBody>>,
    Error = actix_web::Error,
> {
    test::init_service(
        App::new()
            .wrap(auth.middleware())
            .configure(auth.configure())
            .configure(seen_routes),
    )
    .await
}

/// The response of the wrapped app to `req`.
async fn call_wrapped<S>(app: &S, req: actix_http::Request) -> ServiceResponse
where
    S: Service<
        actix_http::Request,
        Response = ServiceResponse<EitherBody<BoxBody>>,
        Error = actix_web::Error,
    >,
{
    test::call_service(app, req).await.map_into_boxed_body()
}

/// The `DPoP-Nonce` of `res`, of which there is at most one (RFC 9449 §8).
#[track_caller]
fn given_nonce(res: &ServiceResponse) -> Option<String> {
    let given: Vec<_> = res.headers().get_all("dpop-nonce").collect();
    assert!(given.len() <= 1, "more than one DPoP-Nonce: {given:?}");
    given
        .first()
        .map(|nonce| nonce.to_str().unwrap().to_owned())
}

/// Asserts that `res` gives the nonce current now, uncacheable (RFC 9449 §8.2).
#[track_caller]
fn assert_gives_the_current_nonce(res: &ServiceResponse) {
    let current = server_nonce(NONCE_SECRET, NONCE_PERIOD, SystemTime::now());
    assert_eq!(given_nonce(res), Some(current), "{:?}", res.headers());
    assert_eq!(res.headers().get_all(header::CACHE_CONTROL).count(), 1);
    assert_eq!(
        res.headers().get(header::CACHE_CONTROL).unwrap(),
        "no-store"
    );
}

#[actix_web::test]
async fn a_proof_with_the_previous_periods_nonce_is_accepted_and_the_response_gives_the_current_one(
) {
    let f = Fixture::with(nonces());
    let app = wrapped_app(&f.auth).await;
    let previous = nonce_of(1).await;
    let proof = f.proof().nonce(&previous).sign();
    let res = call_wrapped(&app, get_items(&f.token, &proof)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_gives_the_current_nonce(&res);
    let given = given_nonce(&res).unwrap();
    assert_ne!(given, previous);
    assert_eq!(test::read_body(res).await, "test-user via DPoP");
    // The client's next proof carries it: accepted, and nothing new to give.
    let proof = f.proof().nonce(&given).sign();
    let res = call_wrapped(&app, get_items(&f.token, &proof)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(given_nonce(&res), None);
    assert!(!res.headers().contains_key(header::CACHE_CONTROL));
}

#[actix_web::test]
async fn a_proof_with_the_current_nonce_gets_no_new_one() {
    let f = Fixture::with(nonces());
    let app = wrapped_app(&f.auth).await;
    let proof = f.proof().nonce(&nonce_of(0).await).sign();
    let res = call_wrapped(&app, get_items(&f.token, &proof)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(given_nonce(&res), None);
    assert!(!res.headers().contains_key(header::CACHE_CONTROL));
}

#[actix_web::test]
async fn without_server_nonces_no_accepted_request_is_given_a_nonce() {
    let f = Fixture::new();
    let app = wrapped_app(&f.auth).await;
    // Whatever `nonce` the proof carries, none is needed and none is given.
    for nonce in [None, Some(nonce_of(1).await), Some("made-up".to_owned())] {
        let proof = match &nonce {
            Some(nonce) => f.proof().nonce(nonce).sign(),
            None => f.proof().sign(),
        };
        let res = call_wrapped(&app, get_items(&f.token, &proof)).await;
        assert_eq!(res.status(), StatusCode::OK, "{nonce:?}");
        assert_eq!(given_nonce(&res), None, "{nonce:?}");
        assert!(!res.headers().contains_key(header::CACHE_CONTROL));
    }
}

#[actix_web::test]
async fn refusals_stay_as_they_were_when_the_proof_carries_the_previous_nonce() {
    let f = Fixture::with(nonces());
    let app = wrapped_app(&f.auth).await;
    let previous = nonce_of(1).await;
    // A valid proof, a token without the scope: the 403 of row 7, nothing more.
    let unscoped = f.issuer.token().scope("other").bound_to(&f.client).sign();
    let proof = f
        .client
        .proof("GET", &format!("{ORIGIN}/items"))
        .token(&unscoped)
        .nonce(&previous)
        .sign();
    let res = call_wrapped(&app, get_items(&unscoped, &proof)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        challenges(&res),
        [format!(
            r#"DPoP realm="test", error="insufficient_scope", scope="items:read", algs="{ALGS}""#
        )]
    );
    assert_eq!(given_nonce(&res), None);
    // A proof for another method.
    let proof = f
        .client
        .proof("POST", &format!("{ORIGIN}/items"))
        .token(&f.token)
        .nonce(&previous)
        .sign();
    let res = call_wrapped(&app, get_items(&f.token, &proof)).await;
    assert_invalid_proof(&res, ProofReason::WrongMethod);
    assert_eq!(given_nonce(&res), None);
    // A replay: the first use is accepted and given the nonce, the replay is refused.
    let proof = f.proof().nonce(&previous).sign();
    let res = call_wrapped(&app, get_items(&f.token, &proof)).await;
    assert_gives_the_current_nonce(&res);
    let res = call_wrapped(&app, get_items(&f.token, &proof)).await;
    assert_invalid_proof(&res, ProofReason::Replayed);
    assert_eq!(given_nonce(&res), None);
    // A nonce two periods old: row 20, with exactly one DPoP-Nonce, the current one.
    let proof = f.proof().nonce(&nonce_of(2).await).sign();
    let res = call_wrapped(&app, get_items(&f.token, &proof)).await;
    assert_eq!(refusal(&res), Some(Refusal::UseDpopNonce));
    assert_eq!(
        given_nonce(&res),
        Some(server_nonce(NONCE_SECRET, NONCE_PERIOD, SystemTime::now()))
    );
}

// The routes of the wrapped app declare `#[requires]` above the route attribute, where the
// middleware sees it.

#[requires(scheme = "DPoP", scope = "items:read")]
#[get("/items")]
async fn items_seen(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(format!(
        "{} via {}",
        who.subject().unwrap_or("?"),
        who.scheme()
    ))
}

#[requires(scope = "items:read")]
#[get("/bearer")]
async fn bearer_seen(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(format!(
        "{} via {}",
        who.subject().unwrap_or("?"),
        who.scheme()
    ))
}

#[requires(scheme = "DPoP")]
#[get("/cached")]
async fn cached() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=600"))
        .body("cacheable")
}

#[requires(scheme = "DPoP")]
#[get("/missing")]
async fn missing() -> actix_web::Result<HttpResponse> {
    Err(actix_web::error::ErrorNotFound("no such item"))
}

/// An undeclared route: the app-wide rule of the middleware checks its credentials.
#[get("/undeclared")]
async fn undeclared(who: Option<Identity>) -> HttpResponse {
    HttpResponse::Ok().body(format!("{:?}", who.map(|who| who.scheme())))
}

fn seen_routes(config: &mut web::ServiceConfig) {
    config
        .service(items_seen)
        .service(bearer_seen)
        .service(cached)
        .service(missing)
        .service(undeclared);
}

#[actix_web::test]
async fn whatever_the_handler_answers_its_response_gives_the_new_nonce_uncacheable() {
    let f = Fixture::with(nonces());
    let app = wrapped_app(&f.auth).await;
    let previous = nonce_of(1).await;
    let get = |path: &str| {
        let proof = f
            .client
            .proof("GET", &format!("{ORIGIN}{path}"))
            .token(&f.token)
            .nonce(&previous)
            .sign();
        test::TestRequest::get()
            .uri(path)
            .dpop(&f.token, &proof)
            .to_request()
    };
    // The handler's own `Cache-Control` gives way to `no-store`.
    let res = call_wrapped(&app, get("/cached")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_gives_the_current_nonce(&res);
    // An error of the handler's, not a refusal.
    let res = call_wrapped(&app, get("/missing")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_gives_the_current_nonce(&res);
    // A route without a declaration, whose credentials the app-wide rule checked.
    let res = call_wrapped(&app, get("/undeclared")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_gives_the_current_nonce(&res);
    assert_eq!(test::read_body(res).await, "Some(DPoP)");
}

#[actix_web::test]
async fn bearer_routes_in_allowed_and_required_modes_give_the_new_nonce() {
    for mode in [DpopMode::Allowed, DpopMode::Required] {
        let f = Fixture::with(nonces().mode(mode));
        let app = wrapped_app(&f.auth).await;
        let proof = f
            .client
            .proof("GET", &format!("{ORIGIN}/bearer"))
            .token(&f.token)
            .nonce(&nonce_of(1).await)
            .sign();
        let req = test::TestRequest::get()
            .uri("/bearer")
            .dpop(&f.token, &proof);
        let res = call_wrapped(&app, req.to_request()).await;
        assert_eq!(res.status(), StatusCode::OK, "{mode:?}");
        assert_gives_the_current_nonce(&res);
        assert_eq!(test::read_body(res).await, "test-user via DPoP");
    }
}

#[actix_web::test]
async fn a_token_whose_key_is_fetched_first_still_gets_the_new_nonce() {
    // The issuer's key comes from a JWKS on 127.0.0.1: the first request waits for it.
    let f = Fixture::with(nonces());
    let server = KeyServer::with_keys(vec![f.issuer.jwk()]).await;
    let auth = Authenticator::builder()
        .realm("test")
        .issuer(f.issuer.issuer())
        .audience(f.issuer.audience())
        .jwks_url(server.jwks_url())
        .allow_http()
        .dpop(nonces())
        .build()
        .unwrap();
    let app = wrapped_app(&auth).await;
    let proof = f.proof().nonce(&nonce_of(1).await).sign();
    let res = call_wrapped(&app, get_items(&f.token, &proof)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(server.jwks_fetches(), 1);
    assert_gives_the_current_nonce(&res);
    server.stop().await;
}

#[actix_web::test]
async fn without_the_middleware_the_request_is_accepted_but_no_nonce_is_given() {
    // Extractors cannot touch responses: the client learns the new nonce from `use_dpop_nonce`
    // once its nonce is stale (documented on `DpopConfig::server_nonces`).
    let f = Fixture::with(nonces());
    let app = app(&f.auth).await;
    let proof = f.proof().nonce(&nonce_of(1).await).sign();
    let res = call(&app, get_items(&f.token, &proof)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(given_nonce(&res), None);
}

/// The app-wide middleware checks a request's credentials before the route's own check runs
/// (for a route whose attribute is above `#[requires]`, it cannot tell the route's requirement
/// and applies the app-wide rule): the second check of the same request is not a replay of
/// the first. A replay in another request still is.
#[actix_web::test]
async fn with_the_middleware_a_proof_is_accepted_once_per_request_whatever_the_attribute_order() {
    let f = Fixture::new();
    let app = test::init_service(
        App::new()
            .wrap(f.auth.middleware())
            .configure(f.auth.configure())
            .configure(routes),
    )
    .await;
    let proof = f.proof().sign();
    let res = test::call_service(&app, get_items(&f.token, &proof))
        .await
        .map_into_boxed_body();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(test::read_body(res).await, "test-user via DPoP");
    let res = test::call_service(&app, get_items(&f.token, &proof))
        .await
        .map_into_boxed_body();
    assert_invalid_proof(&res, ProofReason::Replayed);
    // A route that takes DPoP or Bearer, and a new proof: accepted once as well.
    let proof = f
        .client
        .proof("GET", &format!("{ORIGIN}/either"))
        .token(&f.token)
        .sign();
    let req = test::TestRequest::get()
        .uri("/either")
        .dpop(&f.token, &proof)
        .to_request();
    let res = test::call_service(&app, req).await;
    assert_eq!(res.status(), StatusCode::OK);
}

/// What the route's check is served from the middleware's check holds only for the credentials
/// that check saw: a middleware between them that changes the proof gets it checked again.
#[actix_web::test]
async fn credentials_changed_after_the_middlewares_check_are_checked_again() {
    use actix_web::dev::Service as _;
    let f = Fixture::new();
    let app = test::init_service(
        App::new()
            .wrap_fn(|mut req, srv| {
                req.headers_mut().insert(
                    header::HeaderName::from_static("dpop"),
                    header::HeaderValue::from_static("not.a.proof"),
                );
                srv.call(req)
            })
            .wrap(f.auth.middleware())
            .configure(f.auth.configure())
            .configure(routes),
    )
    .await;
    let res = test::call_service(&app, get_items(&f.token, &f.proof().sign()))
        .await
        .map_into_boxed_body();
    assert_invalid_proof(&res, ProofReason::Malformed);
}

/// `.max_proof_bytes(n)`: a proof of exactly `n` bytes is checked, one byte longer than
/// allowed is malformed before anything is decoded.
#[actix_web::test]
async fn a_proof_longer_than_the_limit_is_malformed_and_one_at_the_limit_is_checked() {
    let issuer = TestIssuer::es256();
    let client = DpopKey::es256();
    let token = issuer.token().scope("items:read").bound_to(&client).sign();
    let proof = || {
        client
            .proof("GET", &format!("{ORIGIN}/items"))
            .token(&token)
            .jti("0123456789abcdef")
            .sign()
    };
    let len = proof().len();
    let at_limit = authenticator(&issuer, DpopConfig::default().max_proof_bytes(len));
    let app = app(&at_limit).await;
    let res = call(&app, get_items(&token, &proof())).await;
    assert_eq!(res.status(), StatusCode::OK);
    let below = authenticator(&issuer, DpopConfig::default().max_proof_bytes(len - 1));
    let app = self::app(&below).await;
    assert_invalid_proof(
        &call(&app, get_items(&token, &proof())).await,
        ProofReason::Malformed,
    );
}

/// Instances sharing a `RedisReplayCache` (a real `redis-server`): a proof accepted by one is a
/// replay on the other; while Redis is down, proofs are refused with `503` and `Retry-After`
/// (never accepted unremembered), and accepted again once it is back.
#[actix_web::test]
async fn a_proof_used_on_one_instance_is_a_replay_on_another_sharing_redis() {
    use auth_runtime::{RedisReplayCache, RedisStore};
    use auth_tests::redis_server::RedisServer;
    use std::sync::Arc;
    let Some(redis) =
        RedisServer::start("a_proof_used_on_one_instance_is_a_replay_on_another_sharing_redis")
    else {
        return;
    };
    let issuer = TestIssuer::es256();
    let client = DpopKey::es256();
    let token = issuer.token().scope("items:read").bound_to(&client).sign();
    let instance = || {
        let store = RedisStore::new(&redis.url())
            .unwrap()
            .timeouts(Duration::from_millis(300), Duration::from_millis(300));
        let store = Arc::new(store);
        issuer
            .builder()
            .revocation_store(Arc::clone(&store))
            .dpop(DpopConfig::default().replay_cache(RedisReplayCache::new(store)))
            .build()
            .unwrap()
    };
    let (one, two) = (instance(), instance());
    let (one, two) = (app(&one).await, app(&two).await);
    let proof = || {
        client
            .proof("GET", &format!("{ORIGIN}/items"))
            .token(&token)
            .sign()
    };
    let used = proof();
    assert_eq!(
        call(&one, get_items(&token, &used)).await.status(),
        StatusCode::OK
    );
    assert_invalid_proof(
        &call(&two, get_items(&token, &used)).await,
        ProofReason::Replayed,
    );
    assert_invalid_proof(
        &call(&one, get_items(&token, &used)).await,
        ProofReason::Replayed,
    );
    assert_eq!(
        call(&two, get_items(&token, &proof())).await.status(),
        StatusCode::OK
    );

    redis.stop();
    let (logging, log) = auth_tests::capture_logs(tracing::Level::ERROR);
    auth_tests::refresh_log_interest();
    let res = call(&one, get_items(&token, &proof())).await;
    assert_eq!(refusal(&res), Some(Refusal::ReplaysUnavailable));
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.headers().contains_key(header::RETRY_AFTER));
    drop(logging);
    log.assert_line_with(&[
        "ERROR",
        r#"reason="replays_unavailable""#,
        "the DPoP replay cache cannot be reached",
    ]);
    redis.restart();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let status = call(&one, get_items(&token, &proof())).await.status();
        if status == StatusCode::OK {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still {status} after Redis returned"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The shared replay cache's `Debug` names the store's address, never its password.
#[actix_web::test]
async fn a_redis_replay_cache_shows_its_address_not_its_password() {
    use auth_runtime::{RedisReplayCache, RedisStore};
    let store = RedisStore::new("redis://:TEST-ONLY-secret@127.0.0.1:6390/").unwrap();
    let shown = format!("{:?}", RedisReplayCache::new(std::sync::Arc::new(store)));
    assert!(
        shown.starts_with("RedisReplayCache { store: RedisStore {"),
        "{shown}"
    );
    assert!(shown.contains("127.0.0.1:6390"), "{shown}");
    assert!(!shown.contains("TEST-ONLY-secret"), "{shown}");
}
