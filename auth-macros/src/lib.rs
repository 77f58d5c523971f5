//! The `#[requires]` attribute of [`auth-runtime`](https://docs.rs/auth-runtime).
//!
//! Use it through `auth_runtime::requires`: the code it generates names items of
//! `auth_runtime::__private_v{version}` (`__private_v0_1_0` for 0.1.0), which only the runtime of
//! the same version has, so this crate is not useful on its own.
//!
//! The attribute is built in stages, one file each: `attr` parses the arguments and the function
//! into the model of `ast`, `valid` checks the model, `expand` runs the stages and generates the
//! code; `errors` collects problems and `suggest` proposes fixes for typos. Every problem is
//! reported at the token the user wrote, all of them in one build, and on any error the function
//! is emitted unchanged next to the errors so that the rest of the crate still type-checks.

mod ast;
mod attr;
mod errors;
mod expand;
mod head;
mod openapi;
mod route;
mod suggest;
mod valid;

use proc_macro::TokenStream;

/// Requires credentials, and optionally scopes, roles and a policy, before an actix-web handler
/// runs.
///
/// ```ignore
/// use actix_web::{post, web, HttpResponse, Responder};
/// use auth_runtime::{requires, Identity};
///
/// #[post("/items")]
/// #[requires(scope = all("items:read", "items:write"))]
/// async fn create(who: Identity, item: web::Json<String>) -> impl Responder {
///     HttpResponse::Created().json((who.subject(), item.into_inner()))
/// }
/// ```
///
/// A request without acceptable credentials, or without the scopes, is refused with `401` or
/// `403` and the scheme's `WWW-Authenticate` challenge before the handler's own extractors run.
///
/// # Arguments
///
/// All are optional, separated by commas, each given at most once:
///
/// ```text
/// requires    = "#[requires" [ "(" argument *( "," argument ) [ "," ] ")" ] "]"
/// argument    = scheme / scope / role / acr / max_age / policy / realm / optional / crate
/// scheme      = "scheme" "=" ( scheme-name / "any" "(" scheme-name *( "," scheme-name ) [ "," ] ")" )
/// scheme-name = STRING                  ; "Bearer", "Basic", "ApiKey" or "DPoP", any case; default "Bearer"
///             / PATH                    ; a type implementing `CustomScheme`
/// scope       = "scope" "=" token-expr
/// role        = "role" "=" token-expr
/// token-expr  = STRING                  ; one scope or role token
///             / "all" "(" token-expr *( "," token-expr ) [ "," ] ")"   ; every one of them
///             / "any" "(" token-expr *( "," token-expr ) [ "," ] ")"   ; at least one of them
/// acr         = "acr" "=" ( STRING / "any" "(" STRING *( "," STRING ) [ "," ] ")" )
/// max_age     = "max_age" "=" INTEGER   ; seconds since the user authenticated, 0 or more
/// policy      = "policy" "=" PATH       ; an `async fn`, see below
/// realm       = "realm" "=" STRING      ; replaces the configured realm in challenges
/// optional    = "optional"              ; no credentials: the handler runs without identity
/// crate       = "crate" "=" STRING      ; path of auth-runtime when the dependency is renamed
/// ```
///
/// - `scheme`: `Bearer` (RFC 6750), `Basic` (RFC 7617), `ApiKey` or `DPoP` (RFC 9449), compared
///   case-insensitively (`"basic"` is fine), or the path of an application type implementing
///   `auth_runtime::CustomScheme` (`scheme = SessionCookie`, `scheme = crate::auth::Session`),
///   which must also be registered with `Authenticator::builder().custom_scheme(..)`.
///   `any(..)` accepts several, in declaration order: the first whose credentials are present
///   is the one verified, and a request with none is answered with one challenge per scheme,
///   in this order. Each scheme is listed once; `all(..)` is not allowed, since a request is
///   verified with the credentials of one scheme.
/// - `scope`: a scope token is non-empty printable ASCII without space, `"` or `\`
///   (RFC 6749 §3.3). A token list such as `"a b"` is not a token: write `all("a", "b")`.
///   `all()` and `any()` need at least one scope.
/// - `role`: the same grammar and token rules as `scope`, matched against the principal's
///   roles (`role = any("admin", "owner")`).
/// - `acr` (RFC 9470): the user must have authenticated with one of these authentication
///   context classes (the token's `acr` claim), listed in preference order; each value is
///   non-empty printable ASCII without space, `"` or `\`, listed once. `all(..)` is not allowed.
/// - `max_age` (RFC 9470): the user must have authenticated at most this many seconds ago (the
///   token's `auth_time`, within the clock leeway); a whole, non-negative number without suffix.
///   A token that falls short of `acr` or `max_age` is answered `401` (or `403` if the
///   authenticator says so) with `error="insufficient_user_authentication"` and the
///   `acr_values` / `max_age` a new login must meet. Both need a scheme whose credentials say how
///   the user authenticated: `Bearer` or a custom scheme, not `Basic` or `ApiKey` alone.
/// - `policy`: the path of
///   `async fn check(principal: &Principal, req: &HttpRequest) -> PolicyDecision`, run after
///   every other check; `PolicyDecision::Deny` is a `403` whose reason code is logged, never
///   sent.
/// - `realm`: non-empty, without control characters or line breaks.
/// - `optional`: requests without credentials reach the handler; credentials that are present
///   but invalid are still refused. It cannot be combined with `scope`, `role`, `acr`,
///   `max_age` or `policy`, which need credentials. Take the identity as `Option<Identity>` or `Option<Claims<T>>`.
/// - `crate`: for example `crate = "my_auth"` after `my_auth = { package = "auth-runtime" }`.
///
/// # The handler
///
/// The attribute goes on a free `async fn` without generics; `#[get(..)]` and the other route
/// attributes of actix-web may be written above or below it, or the handler registered with
/// `web::get().to(handler)`. Parameters are any actix-web extractors; `Option<Identity>` and
/// `Option<Claims<T>>` are `None` only when no credentials were sent. Docs, `#[cfg]` and route
/// attributes apply to the handler actix-web sees. Without any other attribute, the handler is
/// your function itself, taking one guarded extractor and binding your parameters (plain names)
/// at the top of the body you wrote; any other attribute (`#[tracing::instrument]`,
/// `#[allow(..)]`), a parameter pattern or a body opening with `#![..]` keeps your function as
/// written, attributes and all, called by a generated handler.
#[proc_macro_attribute]
pub fn requires(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::requires(args.into(), item.into()).into()
}

/// Declares a handler open to anyone: requests without credentials reach it, and credentials that
/// are present must still be valid (a forged token is refused, never taken for "anonymous").
///
/// ```ignore
/// use actix_web::{get, HttpResponse};
/// use auth_runtime::{public, Identity};
///
/// #[public]
/// #[get("/hello")]
/// async fn hello(who: Option<Identity>) -> HttpResponse {
///     HttpResponse::Ok().body(match who {
///         Some(who) => format!("hello {}", who.subject().unwrap_or("?")),
///         None => "hello stranger".to_owned(),
///     })
/// }
/// ```
///
/// Written above the route attribute, as here, it registers the route as declared, so that the
/// app-wide middleware (`.wrap(auth.middleware())`) and the route inventory know it, and
/// `deny_by_default` leaves it open. The only argument is `crate = ".."`, as for `#[requires]`.
/// `Option<Identity>` and `Option<Claims<T>>` parameters are `None` only when no credentials
/// were sent.
#[proc_macro_attribute]
pub fn public(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::public(args.into(), item.into()).into()
}
