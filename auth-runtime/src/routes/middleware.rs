//! The app-wide middleware, `.wrap(auth.middleware())`: before routing, it finds the route a
//! request is for (`table.rs`) and answers routes without a declaration by the app-wide rule,
//! so that invalid credentials are refused on every route and, with
//! `AuthenticatorBuilder::deny_by_default`, missing ones too. Declared routes pass untouched:
//! their own guard answers.

use std::cell::OnceCell;
use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_web::body::EitherBody;
use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::{Error, HttpMessage};

use crate::authenticator::{Authenticated, Authenticator};
use crate::http::extract::{record_app_wide, AppWideRule};
use crate::http::response_headers;
use crate::outcome::Outcome;
use crate::routes::declaration::{Methods, RouteDeclaration};
use crate::routes::table::{Route, RouteTable};

/// The app-wide middleware of an [`Authenticator`], from
/// [`Authenticator::middleware`]: `App::new().wrap(auth.middleware())`.
///
/// Before routing, it matches the request's path to the route actix-web will route it to
/// (the first registered resource whose pattern matches) and that route's declaration for the
/// request's method:
///
/// - a route declared by `#[requires(..)]` or `#[public]` written **above** its route
///   attribute passes untouched: its own guard answers, with its own schemes and realm;
/// - any other route is answered by the app-wide rule: credentials of a configured scheme that
///   are present must be valid (400/401 as CONFORMANCE rows 3–6, with the configured realm and
///   schemes), and, under [`deny_by_default`](crate::AuthenticatorBuilder::deny_by_default),
///   credentials are required (401, one challenge per configured scheme);
/// - requests that match no resource (the default service answers), CORS preflights, the RFC 9728
///   metadata route and the patterns of
///   [`public_route`](crate::AuthenticatorBuilder::public_route) pass.
///
/// After the application answered, it adds the headers authentication asks for to the response,
/// whatever the handler answered (its errors included; the library's own refusals stay as the
/// conformance table says): with DPoP server nonces, a `DPoP-Nonce` holding the current nonce
/// when the proof's nonce was of the previous period (RFC 9449 §8.2, see
/// [`DpopConfig::server_nonces`](crate::DpopConfig::server_nonces)). A response that an inner
/// middleware turned into an `Err` is not seen, so it gets none.
///
/// A request without credentials costs one header look-up per configured scheme when
/// `deny_by_default` is off.
#[derive(Clone)]
pub struct AuthMiddleware {
    auth: Authenticator,
}

impl AuthMiddleware {
    pub(crate) fn new(auth: Authenticator) -> Self {
        AuthMiddleware { auth }
    }
}

impl Authenticator {
    /// The app-wide middleware: `App::new().wrap(auth.middleware())`.
    ///
    /// With it, a present but invalid credential is refused on every route of the application,
    /// including routes without `#[requires]` whose handlers take `Option<Identity>` or no
    /// extractor at all (actix-web's `Option<T>` would turn the refusal into `None`); and
    /// [`deny_by_default`](crate::AuthenticatorBuilder::deny_by_default) refuses routes that
    /// declare nothing. See [`AuthMiddleware`](crate::AuthMiddleware) for how it knows a
    /// route's declaration, and its limits. [`check_app`](crate::check_app) fails when it is
    /// missing.
    ///
    /// ```
    /// use actix_web::{get, App, HttpResponse};
    /// use auth_runtime::{public, Authenticator, Key};
    ///
    /// #[public]
    /// #[get("/health")]
    /// async fn health() -> HttpResponse {
    ///     HttpResponse::Ok().finish()
    /// }
    ///
    /// let auth = Authenticator::builder()
    ///     .key(Key::hs256(b"an-obviously-fake-secret-of-32-bytes!!").unwrap())
    ///     .deny_by_default()
    ///     .build()
    ///     .unwrap();
    /// let app = App::new()
    ///     .wrap(auth.middleware())
    ///     .configure(auth.configure())
    ///     .service(health);
    /// # let _ = app;
    /// ```
    pub fn middleware(&self) -> AuthMiddleware {
        AuthMiddleware::new(self.clone())
    }
}

impl<S, B> Transform<S, ServiceRequest> for AuthMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = AuthMiddlewareService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(AuthMiddlewareService {
            service: Rc::new(service),
            auth: self.auth.clone(),
            table: OnceCell::new(),
        }))
    }
}

/// The service of [`AuthMiddleware`] in one worker.
#[doc(hidden)]
pub struct AuthMiddlewareService<S> {
    service: Rc<S>,
    auth: Authenticator,
    /// Built on the first request that needs it: the routes are known once the application is.
    table: OnceCell<Rc<RouteTable>>,
}

/// Left in the request `check_app` sends, with the route table, when the middleware is installed.
#[derive(Clone)]
pub(crate) struct Inspected(pub(crate) Rc<RouteTable>);

/// The declaration of `check_app`'s probe route.
pub(crate) const PROBE: RouteDeclaration = RouteDeclaration {
    path: "/__auth_runtime/startup-check",
    methods: Methods::GET,
    handler: "auth_runtime::check_app",
    requirement: || crate::requirement::Requirement::PUBLIC,
};

/// Whether `declaration` is the probe's: no application handler has its name, since the
/// generated declarations name handlers by `module_path!()`, which starts with the
/// application's own crate.
pub(crate) fn is_probe(declaration: &RouteDeclaration) -> bool {
    declaration.handler == PROBE.handler
}

impl<S, B> Service<ServiceRequest> for AuthMiddlewareService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = Gate<S, B>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let auth = &self.auth;
        if !auth.denies_by_default() && !auth.carries_credentials(req.request()) {
            return Gate::pass(&self.service, req);
        }
        let table = self
            .table
            .get_or_init(|| Rc::new(RouteTable::build(req.request(), auth.public_routes())));
        match table.classify(&req) {
            Route::Declared(route) => {
                if is_probe(&route.declaration) {
                    req.extensions_mut().insert(Inspected(Rc::clone(table)));
                }
                Gate::pass(&self.service, req)
            }
            Route::Exempt => Gate::pass(&self.service, req),
            Route::Undeclared => {
                req.extensions_mut().insert(AppWideRule);
                let requirement = auth.app_wide_requirement();
                match auth.begin(req.request(), requirement).now() {
                    Ok(authenticated) => Gate::decided(&self.service, req, authenticated),
                    Err(pending) => Gate::Authenticating {
                        pending,
                        req: Some(req),
                        service: Rc::clone(&self.service),
                    },
                }
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`AuthMiddlewareService`]: the app-wide rule, then the application.
    #[doc(hidden)]
    #[project = GateProjection]
    pub enum Gate<S: Service<ServiceRequest>, B> {
        /// The request goes on to the application.
        Passing { #[pin] response: S::Future },
        /// The app-wide rule refused it.
        Refused { response: Option<ServiceResponse<EitherBody<B>>> },
        /// The app-wide rule has to wait (a password hash, a key fetch).
        Authenticating { pending: Outcome<Authenticated>, req: Option<ServiceRequest>, service: Rc<S> },
    }
}

impl<S, B> Gate<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    fn pass(service: &Rc<S>, req: ServiceRequest) -> Self {
        Gate::Passing {
            response: service.call(req),
        }
    }

    /// Passes `req` on with the principal recorded for the handler's extractors, or refuses it.
    fn decided(service: &Rc<S>, req: ServiceRequest, authenticated: Authenticated) -> Self {
        match authenticated {
            Ok(principal) => {
                let requirement = crate::requirement::Requirement::AUTHENTICATED;
                record_app_wide(req.request(), principal, requirement);
                Gate::pass(service, req)
            }
            Err(error) => Gate::Refused {
                response: Some(req.error_response(error).map_into_right_body()),
            },
        }
    }
}

impl<S, B> Future for Gate<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Output = Result<ServiceResponse<EitherBody<B>>, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            let next = match self.as_mut().project() {
                GateProjection::Passing { response } => {
                    return response.poll(cx).map_ok(|mut response| {
                        response_headers::apply(&mut response);
                        response.map_into_left_body()
                    });
                }
                GateProjection::Refused { response } => {
                    let response = response.take().expect("`Gate` polled after it completed");
                    return Poll::Ready(Ok(response));
                }
                GateProjection::Authenticating {
                    pending,
                    req,
                    service,
                } => {
                    let authenticated = std::task::ready!(Pin::new(pending).poll(cx));
                    let req = req.take().expect("`Gate` polled after it completed");
                    Gate::decided(service, req, authenticated)
                }
            };
            self.set(next);
        }
    }
}
