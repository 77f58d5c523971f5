//! The app-wide middleware (`.wrap(auth.middleware())`): present but invalid credentials are
//! refused on every route, whatever the handler's extractors (issue 17); `deny_by_default`
//! refuses routes that declare nothing (issue 16); declared routes keep their own answers,
//! exactly as CONFORMANCE.md says; the inventory lists every route.

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::{get, post, test, web, App, HttpResponse};
use auth_runtime::{
    check_app, inventory, public, requires, Algorithm, Authenticator, Claims, ConfigError,
    Identity, Optional, StaticApiKeys, StaticUsers,
};
use auth_tests::*;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// Routes without a declaration, one per way a handler can take (or not take) the identity.

#[get("/open")]
async fn open_no_extractor() -> HttpResponse {
    HttpResponse::Ok().body("open")
}

#[get("/open/option")]
async fn open_option(who: Option<Identity>) -> HttpResponse {
    HttpResponse::Ok().body(greeting(who))
}

#[get("/open/optional")]
async fn open_optional(who: Optional<Identity>) -> HttpResponse {
    HttpResponse::Ok().body(greeting(who.into_option()))
}

#[get("/open/identity")]
async fn open_identity(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(greeting(Some(who)))
}

#[get("/open/claims")]
async fn open_claims(claims: Claims<Value>) -> HttpResponse {
    HttpResponse::Ok().json(claims.into_inner()["sub"].clone())
}

async fn plain_handler() -> HttpResponse {
    HttpResponse::Ok().body("plain")
}

fn greeting(who: Option<Identity>) -> String {
    match who {
        Some(who) => format!("hello {}", who.subject().unwrap_or("?")),
        None => "hello stranger".to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// Declared routes: the attribute above the route attribute.

#[public]
#[get("/public")]
async fn public_page(who: Option<Identity>) -> HttpResponse {
    HttpResponse::Ok().body(greeting(who))
}

#[requires(scope = "read")]
#[get("/items")]
async fn items() -> HttpResponse {
    HttpResponse::Ok().body("items")
}

#[requires(scope = all("read", "write"))]
#[post("/items")]
async fn create_item(new: web::Json<Value>) -> HttpResponse {
    HttpResponse::Created().json(new.into_inner())
}

#[requires(optional)]
#[get("/maybe")]
async fn maybe(who: Option<Identity>) -> HttpResponse {
    HttpResponse::Ok().body(greeting(who))
}

#[requires(realm = "elsewhere", scope = "read")]
#[get("/elsewhere")]
async fn elsewhere() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[requires(scheme = any("Bearer", "Basic"), scope = "read")]
#[get("/items/{id}")]
async fn one_item(id: web::Path<u32>, who: Claims<Value>) -> HttpResponse {
    HttpResponse::Ok().body(format!("{id} for {}", who["sub"]))
}

// The attribute below the route attribute: enforced by its guard, invisible to the middleware.
#[get("/below")]
#[requires(optional)]
async fn below(who: Option<Identity>) -> HttpResponse {
    HttpResponse::Ok().body(greeting(who))
}

// A declaration whose full pattern the start-up checks cannot find: its dynamic segment refuses
// the placeholder they resolve patterns with.
#[requires(scope = "read")]
#[get("/tags/{slug:[a-z]+}")]
async fn tagged(slug: web::Path<String>) -> HttpResponse {
    HttpResponse::Ok().body(slug.into_inner())
}

// Another: an earlier resource matches its path.
#[requires(scope = "read")]
#[get("/labels/special")]
async fn special_label() -> HttpResponse {
    HttpResponse::Ok().finish()
}

// Route attributes with several methods, and with a `guard` (which the generated registration
// spells out instead of leaving the resource to the runtime).
#[requires(scheme = "Basic", scope = "read")]
#[actix_web::route("/multi", method = "GET", method = "HEAD")]
async fn multi() -> HttpResponse {
    HttpResponse::Ok().body("multi")
}

fn has_marker_header(ctx: &actix_web::guard::GuardContext<'_>) -> bool {
    ctx.head().headers().contains_key("x-marker")
}

#[requires(scheme = "Basic", scope = "read")]
#[get("/guarded", guard = "has_marker_header")]
async fn guarded() -> HttpResponse {
    HttpResponse::Ok().body("guarded")
}

// ---------------------------------------------------------------------------------------------
// Set-up.

fn users() -> StaticUsers {
    StaticUsers::new()
        .user("alice", "wonderland", ["read"])
        .unwrap()
}

fn auth(deny_by_default: bool) -> Authenticator {
    let builder = builder().basic(users()).public_route("/static");
    let builder = if deny_by_default {
        builder.deny_by_default()
    } else {
        builder
    };
    builder.build().unwrap()
}

fn routes(config: &mut web::ServiceConfig) {
    config
        .service(open_no_extractor)
        .service(open_option)
        .service(open_optional)
        .service(open_identity)
        .service(open_claims)
        .service(web::resource("/resource").route(web::get().to(plain_handler)))
        .route("/static", web::get().to(plain_handler))
        .service(public_page)
        .service(items)
        .service(create_item)
        .service(maybe)
        .service(elsewhere)
        .service(one_item)
        .service(below)
        .service(web::scope("/api").service(items).service(public_page));
}

/// An application with the authenticator's middleware and configuration, and `routes`.
fn app_with(
    auth: &Authenticator,
    routes: impl FnOnce(&mut web::ServiceConfig),
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .wrap(auth.middleware())
        .configure(auth.configure())
        .configure(routes)
}

async fn call(auth: &Authenticator, req: test::TestRequest) -> ServiceResponse {
    let service = test::init_service(app_with(auth, routes)).await;
    service
        .call(req.to_request())
        .await
        .unwrap()
        .map_into_boxed_body()
}

async fn body(res: ServiceResponse) -> String {
    String::from_utf8(test::read_body(res).await.to_vec()).unwrap()
}

fn get(path: &str) -> test::TestRequest {
    test::TestRequest::get().uri(path)
}

fn challenges(res: &ServiceResponse) -> Vec<String> {
    res.headers()
        .get_all(header::WWW_AUTHENTICATE)
        .map(|value| value.to_str().unwrap().to_owned())
        .collect()
}

fn forged() -> String {
    let token = token("read");
    let (head, _) = token.rsplit_once('.').unwrap();
    format!("{head}.{}", "A".repeat(43))
}

fn expired() -> String {
    mint(
        Algorithm::HS256,
        &claims_with("read", json!({ "exp": now() - 3600 })),
    )
}

const UNDECLARED: [&str; 6] = [
    "/open",
    "/open/option",
    "/open/optional",
    "/open/identity",
    "/open/claims",
    "/resource",
];

const INVALID_TOKEN: &str = r#"Bearer realm="test-realm", error="invalid_token", error_description="The access token is invalid""#;

// ---------------------------------------------------------------------------------------------
// Issue 17: invalid credentials are refused everywhere.

#[actix_web::test]
async fn a_forged_token_is_refused_on_every_route_without_a_declaration() {
    let auth = auth(false);
    for path in UNDECLARED {
        let res = call(&auth, get(path).insert_header(bearer(&forged()))).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(challenges(&res), [INVALID_TOKEN], "{path}");
        assert_eq!(
            res.headers().get(header::CONTENT_TYPE).unwrap(),
            "application/problem+json"
        );
    }
}

#[actix_web::test]
async fn malformed_and_expired_tokens_are_answered_as_rows_3_to_6_on_undeclared_routes() {
    let auth = auth(false);
    for path in UNDECLARED {
        let res = call(
            &auth,
            get(path).insert_header(("Authorization", "Bearer a b")),
        )
        .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(
            challenges(&res),
            [r#"Bearer realm="test-realm", error="invalid_request""#]
        );
        let res = call(&auth, get(path).insert_header(bearer(&expired()))).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(
            challenges(&res),
            [
                r#"Bearer realm="test-realm", error="invalid_token", error_description="The access token expired""#
            ]
        );
        let uri = format!("{path}?access_token=abc");
        let res = call(&auth, get(&uri).insert_header(bearer(&token("read")))).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{path}: row 4");
    }
}

#[actix_web::test]
async fn a_wrong_basic_password_is_refused_on_undeclared_routes() {
    let auth = auth(false);
    for path in UNDECLARED {
        let res = call(
            &auth,
            get(path).insert_header(("Authorization", "Basic YWxpY2U6bm9wZQ==")),
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(
            challenges(&res),
            [r#"Basic realm="test-realm", charset="UTF-8""#]
        );
    }
}

#[actix_web::test]
async fn an_api_key_outside_the_authorization_header_is_checked_on_undeclared_routes() {
    // The only scheme finds its credentials in its own header, never in `Authorization`.
    let keys = StaticApiKeys::new()
        .key("demo-key-123", "metrics-bot", ["metrics:read"])
        .unwrap();
    let auth = Authenticator::builder().api_keys(keys).build().unwrap();
    for path in UNDECLARED {
        let res = call(&auth, get(path).insert_header(("X-API-Key", "wrong-key"))).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(challenges(&res), [r#"ApiKey realm="api""#], "{path}");
    }
    let res = call(
        &auth,
        get("/open/identity").insert_header(("X-API-Key", "demo-key-123")),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body(res).await, "hello metrics-bot");
    let res = call(&auth, get("/open")).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[actix_web::test]
async fn without_credentials_undeclared_routes_answer_as_their_extractors_say() {
    let auth = auth(false);
    for (path, status, text) in [
        ("/open", StatusCode::OK, "open"),
        ("/open/option", StatusCode::OK, "hello stranger"),
        ("/open/optional", StatusCode::OK, "hello stranger"),
        ("/resource", StatusCode::OK, "plain"),
    ] {
        let res = call(&auth, get(path)).await;
        assert_eq!(res.status(), status, "{path}");
        assert_eq!(body(res).await, text);
    }
    for path in ["/open/identity", "/open/claims"] {
        let res = call(&auth, get(path)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(
            challenges(&res),
            [
                r#"Bearer realm="test-realm""#,
                r#"Basic realm="test-realm", charset="UTF-8""#
            ]
        );
    }
}

#[actix_web::test]
async fn valid_credentials_reach_every_extractor_of_an_undeclared_route() {
    let auth = auth(false);
    for path in ["/open/option", "/open/optional", "/open/identity"] {
        let res = call(&auth, get(path).insert_header(bearer(&token("")))).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(body(res).await, "hello user-42");
        let res = call(
            &auth,
            get(path).insert_header(("Authorization", "Basic YWxpY2U6d29uZGVybGFuZA==")),
        )
        .await;
        assert_eq!(body(res).await, "hello alice", "{path}");
    }
    let res = call(&auth, get("/open/claims").insert_header(bearer(&token("")))).await;
    assert_eq!(body(res).await, "\"user-42\"");
}

#[actix_web::test]
async fn a_public_route_serves_anyone_but_refuses_forged_credentials() {
    for deny in [false, true] {
        let auth = auth(deny);
        for path in ["/public", "/api/public"] {
            let res = call(&auth, get(path)).await;
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            assert_eq!(body(res).await, "hello stranger");
            let res = call(&auth, get(path).insert_header(bearer(&token("")))).await;
            assert_eq!(body(res).await, "hello user-42");
            let res = call(&auth, get(path).insert_header(bearer(&forged()))).await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
            assert_eq!(challenges(&res), [INVALID_TOKEN]);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Declared routes keep their own answers.

#[actix_web::test]
async fn another_schemes_credentials_on_a_bearer_only_route_are_no_credentials_there_row_2() {
    for deny in [false, true] {
        let auth = auth(deny);
        for basic in ["Basic YWxpY2U6d29uZGVybGFuZA==", "Basic YWxpY2U6bm9wZQ=="] {
            let res = call(&auth, get("/items").insert_header(("Authorization", basic))).await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
            assert_eq!(challenges(&res), [r#"Bearer realm="test-realm""#]);
            // At an optional Bearer-only endpoint, Basic credentials are none at all: the
            // handler runs without identity, even with a wrong password.
            let res = call(&auth, get("/maybe").insert_header(("Authorization", basic))).await;
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(body(res).await, "hello stranger");
        }
    }
}

#[actix_web::test]
async fn a_declared_realm_and_scheme_list_answer_as_declared() {
    let auth = auth(true);
    let res = call(&auth, get("/elsewhere").insert_header(bearer(&forged()))).await;
    assert_eq!(
        challenges(&res),
        [
            r#"Bearer realm="elsewhere", error="invalid_token", error_description="The access token is invalid""#
        ]
    );
    let res = call(&auth, get("/elsewhere")).await;
    assert_eq!(challenges(&res), [r#"Bearer realm="elsewhere""#]);
    // Row 10: every Basic failure alike, with the route's own scheme list.
    let res = call(
        &auth,
        get("/items/7").insert_header(("Authorization", "Basic !!!")),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenges(&res),
        [r#"Basic realm="test-realm", charset="UTF-8""#]
    );
    let res = call(
        &auth,
        get("/items/7").insert_header(("Authorization", "Basic YWxpY2U6d29uZGVybGFuZA==")),
    )
    .await;
    assert_eq!(body(res).await, "7 for \"alice\"");
    let res = call(&auth, get("/items/7")).await;
    assert_eq!(
        challenges(&res),
        [
            r#"Bearer realm="test-realm""#,
            r#"Basic realm="test-realm", charset="UTF-8""#
        ]
    );
}

#[actix_web::test]
async fn declared_routes_answer_rows_1_to_7_as_without_the_middleware() {
    for deny in [false, true] {
        let auth = auth(deny);
        for path in ["/items", "/api/items"] {
            let res = call(&auth, get(path)).await;
            assert_eq!(challenges(&res), [r#"Bearer realm="test-realm""#], "{path}");
            let res = call(&auth, get(path).insert_header(bearer(&token("other")))).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
            assert_eq!(
                challenges(&res),
                [r#"Bearer realm="test-realm", error="insufficient_scope", scope="read""#]
            );
            let res = call(&auth, get(path).insert_header(bearer(&token("read")))).await;
            assert_eq!(res.status(), StatusCode::OK, "{path}");
        }
        // Same pattern, another method, another declaration.
        let res = call(
            &auth,
            test::TestRequest::post()
                .uri("/items")
                .insert_header(bearer(&token("read")))
                .set_json(json!({"name": "fig"})),
        )
        .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = call(
            &auth,
            test::TestRequest::post()
                .uri("/items")
                .insert_header(bearer(&token("read write")))
                .set_json(json!({"name": "fig"})),
        )
        .await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
}

// ---------------------------------------------------------------------------------------------
// Deny by default.

#[actix_web::test]
async fn deny_by_default_refuses_undeclared_routes_without_credentials() {
    let auth = auth(true);
    for path in UNDECLARED {
        let res = call(&auth, get(path)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(
            challenges(&res),
            [
                r#"Bearer realm="test-realm""#,
                r#"Basic realm="test-realm", charset="UTF-8""#
            ],
            "{path}"
        );
        let res = call(&auth, get(path).insert_header(bearer(&token("")))).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
    }
}

#[actix_web::test]
async fn deny_by_default_leaves_declared_unmatched_preflight_and_configured_routes_alone() {
    let auth = auth(true);
    let res = call(&auth, get("/maybe")).await;
    assert_eq!(body(res).await, "hello stranger");
    let res = call(&auth, get("/nowhere")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = call(&auth, get("/static")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let preflight = test::TestRequest::default()
        .method(actix_web::http::Method::OPTIONS)
        .uri("/open")
        .insert_header(("Origin", "https://app.example"))
        .insert_header(("Access-Control-Request-Method", "GET"));
    let res = call(&auth, preflight).await;
    assert_ne!(res.status(), StatusCode::UNAUTHORIZED);
    // Not preflights: OPTIONS without the header, the header on another method.
    let options = test::TestRequest::default()
        .method(actix_web::http::Method::OPTIONS)
        .uri("/open");
    let res = call(&auth, options).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = call(
        &auth,
        get("/open").insert_header(("Access-Control-Request-Method", "GET")),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // A method no declaration of the path names is not declared.
    let put = test::TestRequest::default()
        .method(actix_web::http::Method::PUT)
        .uri("/items");
    let res = call(&auth, put).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn an_attribute_below_the_route_attribute_is_invisible_to_the_middleware() {
    // Documented limit: the middleware answers the route by the app-wide rule first.
    let res = call(&auth(true), get("/below")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = call(&auth(false), get("/below")).await;
    assert_eq!(body(res).await, "hello stranger");
    // With credentials the middleware answers it as undeclared; the guard then says so, once
    // per route.
    let (logging, log) = capture_logs(tracing::Level::WARN);
    refresh_log_interest();
    for _ in 0..2 {
        let res = call(
            &auth(false),
            get("/below").insert_header(bearer(&token(""))),
        )
        .await;
        assert_eq!(body(res).await, "hello user-42");
    }
    drop(logging);
    let logged = log.text();
    let warnings: Vec<&str> = logged
        .lines()
        .filter(|line| line.contains("cannot see this route's `#[requires]`"))
        .collect();
    assert_eq!(warnings.len(), 1, "{logged}");
    assert!(
        warnings[0].contains("WARN") && warnings[0].contains("route=/below"),
        "{logged}"
    );
}

#[actix_web::test]
async fn the_handler_s_extractor_reuses_the_middleware_s_verification() {
    let auth = auth(false);
    let res = call(
        &auth,
        get("/open/identity").insert_header(bearer(&token(""))),
    )
    .await;
    assert_eq!(body(res).await, "hello user-42");
    // Verified once, by the middleware; the extractor took its answer, not the token cache.
    let stats = auth.cache_stats();
    assert_eq!((stats.misses, stats.hits), (1, 0), "{stats:?}");
}

// ---------------------------------------------------------------------------------------------
// Start-up checks and the inventory.

#[actix_web::test]
async fn check_app_wants_the_middleware() {
    let auth = auth(false);
    let without = App::new().configure(auth.configure()).configure(routes);
    assert!(matches!(
        check_app(without).await,
        Err(ConfigError::MiddlewareMissing)
    ));
    check_app(app_with(&auth, routes)).await.unwrap();
    assert!(matches!(
        check_app(App::new()).await,
        Err(ConfigError::NotRegistered)
    ));
}

#[actix_web::test]
async fn check_app_lists_undeclared_routes_under_deny_by_default() {
    let error = check_app(app_with(&auth(true), routes)).await.unwrap_err();
    let ConfigError::UndeclaredRoutes(list) = error else {
        panic!("{error:?}");
    };
    for route in [
        "GET /open",
        "GET /open/option",
        "GET /open/identity",
        "GET /resource",
        "GET /below",
    ] {
        assert!(list.contains(route), "{route} missing from {list}");
    }
    assert!(!list.contains("/items"), "{list}");
    assert!(!list.contains("/static"), "{list}");
    assert!(!list.contains("/public"), "{list}");
}

#[actix_web::test]
async fn a_declared_route_whose_pattern_is_not_found_is_listed_and_refused_at_start_up() {
    let auth = auth(false);
    let app = || {
        app_with(&auth, |config| {
            config.service(tagged);
        })
    };
    let listed = inventory(app()).await.unwrap();
    assert_eq!(listed.unresolved().len(), 1, "{listed}");
    let named = &listed.unresolved()[0];
    assert!(
        named.ends_with("app_wide::tagged (/tags/{slug:[a-z]+})"),
        "{named}"
    );
    assert_eq!(listed.to_json()["unresolved"], json!([named]));
    assert!(
        listed
            .to_string()
            .contains("declared, but its full pattern was not found"),
        "{listed}"
    );
    let error = check_app(app()).await.unwrap_err();
    assert!(
        matches!(&error, ConfigError::UnresolvedRoutes(list) if list == named),
        "{error:?}"
    );
    // A declared path that an earlier resource's pattern matches first.
    let shadowed = App::new()
        .wrap(auth.middleware())
        .configure(auth.configure())
        .route("/labels/{name}", web::get().to(plain_handler))
        .service(special_label);
    let listed = inventory(shadowed).await.unwrap();
    assert_eq!(listed.unresolved().len(), 1, "{listed}");
    assert!(
        listed.unresolved()[0].ends_with("app_wide::special_label (/labels/special)"),
        "{listed}"
    );
    // Its own guard still answers.
    let service = test::init_service(app()).await;
    let res = service.call(get("/tags/abc").to_request()).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = service
        .call(
            get("/tags/abc")
                .insert_header(bearer(&token("read")))
                .to_request(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[actix_web::test]
async fn the_inventory_lists_every_route_with_its_requirement() {
    let auth = auth(false);
    let listed = inventory(app_with(&auth, routes)).await.unwrap();
    assert!(listed.complete() && listed.has_middleware());
    let json = listed.to_json();
    let routes = json["routes"].as_array().unwrap();
    let find = |method: &str, path: &str| {
        routes
            .iter()
            .find(|route| route["method"] == method && route["path"] == path)
            .unwrap_or_else(|| panic!("{method} {path} not in {json:#}"))
            .clone()
    };
    let scoped = find("GET", "/api/items");
    assert_eq!(scoped["declared"], true);
    assert_eq!(scoped["public"], false);
    assert_eq!(scoped["schemes"], json!(["Bearer"]));
    assert_eq!(scoped["scope"], json!("read"));
    assert!(scoped["handler"]
        .as_str()
        .unwrap()
        .ends_with("app_wide::items"));
    assert_eq!(
        find("POST", "/items")["scope"],
        json!({"all": ["read", "write"]})
    );
    assert_eq!(
        find("GET", "/items/{id}")["schemes"],
        json!(["Bearer", "Basic"])
    );
    assert_eq!(find("GET", "/elsewhere")["realm"], json!("elsewhere"));
    assert_eq!(find("GET", "/maybe")["optional"], json!(true));
    assert_eq!(find("GET", "/public")["public"], json!(true));
    assert_eq!(find("GET", "/open/option")["declared"], json!(false));
    assert_eq!(find("GET", "/static")["public"], json!(true));
    assert!(routes
        .iter()
        .all(|route| !route["path"].as_str().unwrap().contains("__auth")));
    assert_eq!(listed.scopes(), ["read", "write"]);
    // The typed accessors say what the JSON says, route by route.
    assert_eq!(listed.routes().len(), routes.len());
    for (route, row) in listed.routes().iter().zip(routes) {
        assert_eq!(route.method().map(|m| m.as_str()), row["method"].as_str());
        assert_eq!(route.pattern(), row["path"]);
        assert_eq!(route.handler(), row["handler"].as_str());
        assert_eq!(route.requirement().is_some(), row["declared"]);
        assert_eq!(route.is_public(), row["public"]);
        assert_eq!(
            route
                .requirement()
                .filter(|r| !r.is_public())
                .map(|r| r.is_optional()),
            row["optional"].as_bool(),
            "{row}"
        );
    }
    let undeclared: Vec<&str> = listed.undeclared().map(|route| route.pattern()).collect();
    assert!(undeclared.contains(&"/open/option"), "{undeclared:?}");
    assert!(!undeclared.contains(&"/static"), "{undeclared:?}");
    assert!(!undeclared.contains(&"/api/items"), "{undeclared:?}");
    let text = listed.to_string();
    assert!(text.contains("GET     /open/option"), "{text}");
    assert!(text.contains("NO DECLARATION"), "{text}");
    assert!(!text.contains("route-introspection"), "{text}");
    assert!(text.contains(r#"Bearer or Basic, scope "read""#), "{text}");
}

#[actix_web::test]
async fn route_attributes_keep_their_methods_and_guards() {
    let auth = auth(false);
    let app = || {
        app_with(&auth, |config| {
            config.service(multi).service(guarded);
        })
    };
    let service = test::init_service(app()).await;
    let alice = ("Authorization", "Basic YWxpY2U6d29uZGVybGFuZA==");
    let status = |req: test::TestRequest| {
        let service = &service;
        async move { service.call(req.to_request()).await.unwrap().status() }
    };
    for method in [actix_web::http::Method::GET, actix_web::http::Method::HEAD] {
        let req = || {
            test::TestRequest::default()
                .method(method.clone())
                .uri("/multi")
        };
        assert_eq!(status(req()).await, StatusCode::UNAUTHORIZED, "{method}");
        assert_eq!(
            status(req().insert_header(alice)).await,
            StatusCode::OK,
            "{method}"
        );
    }
    let post = test::TestRequest::post().uri("/multi").insert_header(alice);
    assert_eq!(status(post).await, StatusCode::NOT_FOUND);
    // The guard is the route's: without the header no resource matches.
    assert_eq!(
        status(get("/guarded").insert_header(alice)).await,
        StatusCode::NOT_FOUND
    );
    let marked = || get("/guarded").insert_header(("x-marker", "1"));
    assert_eq!(status(marked()).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status(marked().insert_header(alice)).await, StatusCode::OK);
    // The inventory lists the declared methods.
    let listed = inventory(app()).await.unwrap().to_json();
    let methods: Vec<&Value> = listed["routes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|route| route["path"] == "/multi")
        .map(|route| &route["method"])
        .collect();
    assert_eq!(methods, [&json!("GET"), &json!("HEAD")]);
}
