//! Uses the `testing` feature in `main`: a development identity provider, not application code.
//!
//! A local OpenID provider in one command: discovery, a JWKS and an OAuth 2.0 token endpoint
//! (client credentials grant) on a fixed port of 127.0.0.1, signing with a fresh key each run.
//!
//! ```text
//! cargo run --example dev-provider                       # http://127.0.0.1:8090
//! cargo run --example dev-provider -- --audience items-api --role-claim realm_access.roles
//! ```
//!
//! Then, in a second terminal, an application that discovers it:
//!
//! ```text
//! AUTH_OIDC_ISSUER=http://127.0.0.1:8090 cargo run --example quickstart
//! ```
//!
//! and in a third, a token and a request:
//!
//! ```text
//! TOKEN=$(curl -s http://127.0.0.1:8090/token -d grant_type=client_credentials \
//!     -d scope=items:read | jq -r .access_token)
//! curl -i http://127.0.0.1:8080/items -H "Authorization: Bearer $TOKEN"
//! ```
//!
//! A token request (`POST /token`, form-encoded) takes `grant_type=client_credentials` and,
//! all optional, `scope` (space-delimited), `roles` (space-delimited), `audience` (or RFC 8707
//! `resource`), and the client as HTTP Basic (`-u id:secret`) or `client_id`; any client and
//! secret are accepted. The flags set what a token holds when the request does not say:
//!
//! | Flag | Default |
//! |---|---|
//! | `--port N` | `8090` (on 127.0.0.1 only) |
//! | `--alg A` | `ES256` (also `RS256`, `RS384`, `RS512`, `PS256`, `PS384`, `PS512`, `ES384`, `EdDSA`; no HMAC: its key would be published) |
//! | `--audience A` | `quickstart-api` (the quickstart's) |
//! | `--scope "a b"` | none |
//! | `--roles "a b"` | none |
//! | `--role-claim path` | `roles` (`realm_access.roles` for Keycloak's shape) |
//! | `--expires-in seconds` | `3600` |

use std::process::ExitCode;
use std::str::FromStr;

use auth_runtime::testing::key_server::{KeyServer, TokenEndpoint};
use auth_runtime::testing::TestIssuer;
use auth_runtime::Algorithm;

/// What the flags chose.
#[derive(Debug, Clone, PartialEq)]
struct Options {
    port: u16,
    algorithm: Algorithm,
    audience: String,
    scope: String,
    roles: String,
    role_claim: String,
    expires_in: i64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            port: 8090,
            algorithm: Algorithm::ES256,
            audience: "quickstart-api".to_owned(),
            scope: String::new(),
            roles: String::new(),
            role_claim: "roles".to_owned(),
            expires_in: 3600,
        }
    }
}

const USAGE: &str = "usage: cargo run --example dev-provider -- [--port N] [--alg ES256] \
    [--audience A] [--scope \"a b\"] [--roles \"a b\"] [--role-claim path] [--expires-in seconds]";

impl Options {
    /// Reads `--flag value` pairs.
    fn parse(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
        let mut options = Options::default();
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            if flag == "--help" || flag == "-h" {
                return Err(USAGE.to_owned());
            }
            let value = args
                .next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
            let invalid = |what: &str| format!("{flag} {value:?}: {what}");
            match flag.as_str() {
                "--port" => options.port = value.parse().map_err(|_| invalid("not a port"))?,
                "--alg" => {
                    options.algorithm = match Algorithm::from_str(&value) {
                        Ok(Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) => {
                            return Err(invalid(
                                "an HMAC key is a secret: the JWKS cannot publish it; choose an \
                                 asymmetric algorithm such as ES256 or RS256",
                            ))
                        }
                        Ok(algorithm) => algorithm,
                        Err(_) => {
                            return Err(invalid("not a JWS algorithm such as ES256 or RS256"))
                        }
                    }
                }
                "--audience" => options.audience = value,
                "--scope" => options.scope = value,
                "--roles" => options.roles = value,
                "--role-claim" => options.role_claim = value,
                "--expires-in" => {
                    options.expires_in = value.parse().map_err(|_| invalid("not a number"))?
                }
                _ => return Err(format!("unknown flag {flag}\n{USAGE}")),
            }
        }
        Ok(options)
    }
}

/// Starts the provider on `port` of 127.0.0.1 (0: a free port).
async fn start(options: &Options, port: u16) -> std::io::Result<(KeyServer, String)> {
    let server = KeyServer::start_on_port(port).await?;
    let issuer = TestIssuer::new(options.algorithm)
        .with_issuer(server.url())
        .with_audience(options.audience.clone())
        .with_role_claim(options.role_claim.as_str());
    let kid = issuer.kid().to_owned();
    server.issue_tokens(
        TokenEndpoint::new(issuer)
            .default_scope(&options.scope)
            .default_roles(&options.roles)
            .expires_in(options.expires_in),
    );
    Ok((server, kid))
}

/// What to do with the provider, for the terminal.
fn banner(server: &KeyServer, options: &Options, kid: &str) -> String {
    let url = server.url();
    let token = server.token_url();
    let describe = |list: &str| {
        if list.is_empty() {
            "none".to_owned()
        } else {
            format!("{list:?}")
        }
    };
    format!(
        "dev-provider: an identity provider for development on {url}\n\
         \x20 signing key   {alg:?}, kid {kid} (new on every start)\n\
         \x20 discovery     {url}/.well-known/openid-configuration (issuer {url})\n\
         \x20 JWKS          {jwks}\n\
         \x20 tokens        POST {token} (client credentials; any client)\n\
         \x20 defaults      audience {audience:?}, scope {scope}, roles {roles} at `{claim}`, \
         {expires} s\n\n\
         Point an application at it (plain http is accepted for this loopback address):\n\
         \x20 Authenticator::builder().oidc_discovery(\"{url}\").allow_http().audience(\"{audience}\")\n\
         \x20 AUTH_OIDC_ISSUER={url} AUTH_AUDIENCE={audience} cargo run --example quickstart\n\n\
         Get a token (scope, roles, audience or resource, client_id or -u id:secret):\n\
         \x20 curl -s {token} -d grant_type=client_credentials -d scope=items:read\n\
         \x20 TOKEN=$(curl -s {token} -d grant_type=client_credentials -d 'scope=items:read items:write' | jq -r .access_token)\n\
         \x20 curl -i http://127.0.0.1:8080/items -H \"Authorization: Bearer $TOKEN\"\n",
        alg = options.algorithm,
        jwks = server.jwks_url(),
        audience = options.audience,
        scope = describe(&options.scope),
        roles = describe(&options.roles),
        claim = options.role_claim,
        expires = options.expires_in,
    )
}

#[actix_web::main]
async fn main() -> ExitCode {
    let options = match Options::parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    let (server, kid) = match start(&options, options.port).await {
        Ok(started) => started,
        Err(error) => {
            eprintln!(
                "error: cannot listen on 127.0.0.1:{}: {error} (choose another with --port)",
                options.port
            );
            return ExitCode::FAILURE;
        }
    };
    println!("{}", banner(&server, &options, &kid));
    server.serve_forever().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::StatusCode;
    use actix_web::{get, test as actix_test, App, HttpResponse};
    use auth_runtime::{requires, Authenticator};

    #[get("/items")]
    #[requires(scope = "items:read", role = "reader")]
    async fn items() -> HttpResponse {
        HttpResponse::Ok().finish()
    }

    #[test]
    fn flags_set_the_defaults() {
        let args = |list: &[&str]| Options::parse(list.iter().map(|arg| arg.to_string()));
        assert_eq!(args(&[]).unwrap(), Options::default());
        let options = args(&[
            "--port",
            "9001",
            "--alg",
            "EdDSA",
            "--audience",
            "items-api",
            "--scope",
            "a b",
            "--roles",
            "admin",
            "--role-claim",
            "realm_access.roles",
            "--expires-in",
            "60",
        ])
        .unwrap();
        assert_eq!(
            options,
            Options {
                port: 9001,
                algorithm: Algorithm::EdDSA,
                audience: "items-api".into(),
                scope: "a b".into(),
                roles: "admin".into(),
                role_claim: "realm_access.roles".into(),
                expires_in: 60,
            }
        );
        assert!(args(&["--alg", "none"]).is_err());
        assert!(args(&["--alg", "HS256"]).unwrap_err().contains("HMAC"));
        assert!(args(&["--port"]).is_err());
        assert!(args(&["--colour", "blue"]).is_err());
        assert!(args(&["--help"]).unwrap_err().contains("usage"));
    }

    /// The three-terminal loop of the README, in one test: the provider, an application
    /// discovering it, and tokens from its token endpoint.
    #[actix_web::test]
    async fn an_application_accepts_the_tokens_of_the_provider() {
        let options = Options {
            audience: "items-api".into(),
            scope: "items:read".into(),
            role_claim: "realm_access.roles".into(),
            ..Options::default()
        };
        let (server, kid) = start(&options, 0).await.unwrap();
        assert!(banner(&server, &options, &kid).contains(&server.token_url()));
        let auth = Authenticator::builder()
            .oidc_discovery(server.url())
            .allow_http()
            .audience("items-api")
            .role_claims(["realm_access.roles"])
            .build_and_fetch()
            .await
            .unwrap();
        let app =
            actix_test::init_service(App::new().configure(auth.configure()).service(items)).await;
        let token = |form: &'static str| {
            let server = &server;
            async move {
                let res = reqwest::Client::new()
                    .post(server.token_url())
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(form)
                    .send()
                    .await
                    .unwrap();
                let body: serde_json::Value = res.json().await.unwrap();
                body["access_token"].as_str().unwrap().to_owned()
            }
        };
        let get = |token: &str| {
            actix_test::TestRequest::get()
                .uri("/items")
                .insert_header(("Authorization", format!("Bearer {token}")))
                .to_request()
        };
        let reader = token("grant_type=client_credentials&roles=reader").await;
        let res = actix_test::call_service(&app, get(&reader)).await;
        assert_eq!(res.status(), StatusCode::OK);
        let no_role = token("grant_type=client_credentials").await;
        let res = actix_test::call_service(&app, get(&no_role)).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let other_scope = token("grant_type=client_credentials&scope=other&roles=reader").await;
        let res = actix_test::call_service(&app, get(&other_scope)).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let other_audience =
            token("grant_type=client_credentials&roles=reader&audience=elsewhere").await;
        let res = actix_test::call_service(&app, get(&other_audience)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
}
