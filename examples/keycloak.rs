//! A Keycloak-shaped setup: keys from OpenID Connect discovery (rotating JWKS), realm roles
//! used for authorization, and the token's own claims deserialized into an application type.
//!
//! With the development provider in a first terminal (Keycloak's roles claim, this API's
//! audience):
//!
//! ```text
//! cargo run --example dev-provider -- --audience items-api --role-claim realm_access.roles
//! cargo run --example keycloak
//! ```
//!
//! Against a real Keycloak:
//!
//! ```text
//! AUTH_OIDC_ISSUER=http://localhost:8180/realms/demo AUTH_AUDIENCE=account \
//!     cargo run --example keycloak
//! ```
//!
//! (plain `http://` is accepted for a provider on a loopback address only: `.allow_http()`
//! checks the host; Auth0 works the same with `AUTH_OIDC_ISSUER=https://<tenant>.auth0.com/`
//! and its API identifier as audience.)

use actix_web::{delete, get, web, App, HttpResponse, HttpServer};
use auth_runtime::{requires, Authenticator, AuthenticatorBuilder, Claims};
use serde::Deserialize;
use serde_json::json;

/// `cargo run --example dev-provider`'s issuer, used when `AUTH_OIDC_ISSUER` is unset.
const DEV_PROVIDER: &str = "http://127.0.0.1:8090";

/// The claims this application reads from Keycloak's access tokens.
#[derive(Deserialize)]
struct KeycloakClaims {
    sub: String,
    #[serde(default)]
    preferred_username: Option<String>,
    #[serde(default)]
    realm_access: RealmAccess,
}

#[derive(Deserialize, Default)]
struct RealmAccess {
    #[serde(default)]
    roles: Vec<String>,
}

#[get("/items")]
#[requires(scope = "items:read")]
async fn items() -> HttpResponse {
    HttpResponse::Ok().json(["apple", "pear"])
}

/// Realm role `items-admin` (from `realm_access.roles`), whatever the scopes.
#[delete("/items/{id}")]
#[requires(role = "items-admin")]
async fn delete_item(id: web::Path<u32>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "deleted": id.into_inner() }))
}

/// Any valid token; the handler reads Keycloak's own claims.
#[get("/me")]
#[requires]
async fn me(claims: Claims<KeycloakClaims>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "sub": claims.sub,
        "username": claims.preferred_username,
        "roles": claims.realm_access.roles,
    }))
}

fn routes(config: &mut web::ServiceConfig) {
    config.service(items).service(delete_item).service(me);
}

/// Everything but the key source: Keycloak's roles claim and the API's audience.
fn builder(audience: &str) -> AuthenticatorBuilder {
    Authenticator::builder()
        .realm("keycloak-example")
        .audience(audience)
        .role_claims(["realm_access.roles"])
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let configured = std::env::var("AUTH_OIDC_ISSUER").ok();
    let issuer_url = configured
        .clone()
        .unwrap_or_else(|| DEV_PROVIDER.to_owned());
    let audience = std::env::var("AUTH_AUDIENCE").unwrap_or_else(|_| "items-api".to_owned());
    // Plain http only to a provider on this machine (127.0.0.0/8, [::1], localhost).
    let auth = builder(&audience)
        .oidc_discovery(&issuer_url)
        .allow_http()
        .build_and_fetch()
        .await
        .map_err(|error| {
            let hint = match configured {
                Some(_) => "is AUTH_OIDC_ISSUER right, and the provider up?".to_owned(),
                None => format!(
                    "start the development provider first: cargo run --example dev-provider \
                     -- --audience {audience} --role-claim realm_access.roles"
                ),
            };
            std::io::Error::other(format!("{error}\n{hint}"))
        })?;

    let base = "http://127.0.0.1:8082";
    println!("Keycloak-shaped example on {base}, issuer {issuer_url}, audience {audience:?}");
    if configured.is_none() {
        let token = format!("{issuer_url}/token -d grant_type=client_credentials");
        println!("READER=$(curl -s {token} -d 'scope=openid items:read' | jq -r .access_token)");
        println!("ADMIN=$(curl -s {token} -d roles=items-admin | jq -r .access_token)");
    } else {
        println!(
            "READER and ADMIN: access tokens of your realm (scope items:read; role items-admin)"
        );
    }
    println!("curl -i {base}/items -H \"Authorization: Bearer $READER\"");
    println!("curl -i {base}/me -H \"Authorization: Bearer $READER\"");
    println!("curl -i -X DELETE {base}/items/1 -H \"Authorization: Bearer $ADMIN\"");
    HttpServer::new(move || App::new().configure(auth.configure()).configure(routes))
        .bind(("127.0.0.1", 8082))?
        .run()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::StatusCode;
    use actix_web::test;
    use auth_runtime::testing::{KeyServer, TestIssuer, TestRequestExt};
    use auth_runtime::Algorithm;

    /// A stand-in Keycloak realm: discovery and a JWKS on 127.0.0.1, and an RS256 signer
    /// writing roles where Keycloak does.
    async fn stand_in_realm() -> (KeyServer, TestIssuer) {
        let server = KeyServer::start().await;
        let issuer = TestIssuer::new(Algorithm::RS256)
            .with_issuer(server.url())
            .with_audience("items-api")
            .with_role_claim("realm_access.roles");
        server.publish(vec![issuer.jwk()]);
        server.set_discovery_issuer(&server.url());
        (server, issuer)
    }

    /// A token shaped like Keycloak's: realm roles, a space-delimited scope, a username.
    fn keycloak_token(issuer: &TestIssuer, scope: &str, roles: &[&str]) -> String {
        issuer
            .token()
            .subject("f3c1b2a4-0000-4000-8000-000000000001")
            .scope(scope)
            .claim("preferred_username", "alice")
            .claim("azp", "items-frontend")
            .roles(roles.iter().copied())
            .sign()
    }

    async fn call(auth: &Authenticator, req: test::TestRequest) -> actix_web::dev::ServiceResponse {
        let app =
            test::init_service(App::new().configure(auth.configure()).configure(routes)).await;
        test::call_service(&app, req.to_request()).await
    }

    async fn setup() -> (KeyServer, TestIssuer, Authenticator) {
        let (server, issuer) = stand_in_realm().await;
        let auth = builder("items-api")
            .oidc_discovery(server.url())
            .allow_http()
            .build_and_fetch()
            .await
            .unwrap();
        (server, issuer, auth)
    }

    #[actix_web::test]
    async fn scopes_roles_and_claims_come_from_a_keycloak_shaped_token() {
        let (_server, issuer, auth) = setup().await;
        let reader = keycloak_token(&issuer, "openid items:read", &["offline_access"]);
        let get = |path: &str| test::TestRequest::get().uri(path).bearer(&reader);
        assert_eq!(call(&auth, get("/items")).await.status(), StatusCode::OK);
        let profile: serde_json::Value = test::read_body_json(call(&auth, get("/me")).await).await;
        assert_eq!(profile["username"], "alice");
        assert_eq!(profile["roles"], json!(["offline_access"]));

        let delete = |token: &str| test::TestRequest::delete().uri("/items/1").bearer(token);
        let res = call(&auth, delete(&reader)).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let admin = keycloak_token(&issuer, "openid", &["items-admin"]);
        assert_eq!(call(&auth, delete(&admin)).await.status(), StatusCode::OK);
    }

    #[actix_web::test]
    async fn a_token_from_another_realm_is_refused() {
        let (_server, _issuer, auth) = setup().await;
        let (_other_server, other) = stand_in_realm().await;
        let token = keycloak_token(&other, "items:read", &[]);
        let req = test::TestRequest::get().uri("/items").bearer(&token);
        assert_eq!(call(&auth, req).await.status(), StatusCode::UNAUTHORIZED);
    }
}
