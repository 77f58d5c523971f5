//! The declared routes of one application by full pattern, and how a request is classified
//! before routing: a declared route (its own `#[requires]` or `#[public]` decides), a route
//! without a declaration (the app-wide rule decides), or a request the app-wide rule leaves
//! alone.

use std::collections::HashMap;

use actix_web::dev::ServiceRequest;
use actix_web::http::{header, Method};
use actix_web::HttpRequest;

use crate::routes::declaration::{take_registrations, Registration, RouteDeclaration};

/// Patterns under which the RFC 9728 protected-resource metadata is served: always open.
const METADATA_PREFIX: &str = "/.well-known/oauth-protected-resource";

/// A declared route of this application, with its full pattern.
#[derive(Debug, Clone)]
pub(crate) struct DeclaredRoute {
    /// The full pattern, scope prefixes included (`/api/items/{id}`).
    pub(crate) pattern: String,
    pub(crate) declaration: RouteDeclaration,
}

/// Every declared route of one application, resolved against its resource map on the first
/// request the middleware classifies (each worker builds its own application and table).
#[derive(Debug, Default)]
pub(crate) struct RouteTable {
    by_pattern: HashMap<String, Vec<DeclaredRoute>>,
    /// Declarations registered in this application whose full pattern could not be found: a
    /// path that an earlier resource already matches, or a dynamic segment that the
    /// placeholder value `0` does not match. The middleware treats them as undeclared.
    pub(crate) unresolved: Vec<RouteDeclaration>,
    /// Patterns the application declared open (`AuthenticatorBuilder::public_route`).
    public_patterns: Vec<String>,
}

/// What the app-wide middleware does with a request.
#[derive(Debug)]
pub(crate) enum Route<'t> {
    /// A route with `#[requires]` or `#[public]` above its route attribute: its own guard
    /// answers, exactly as its declaration says.
    Declared(&'t DeclaredRoute),
    /// A route no attribute declared: the app-wide rule answers.
    Undeclared,
    /// Nothing to check: no resource matches (the default service answers, 404 unless the
    /// application chose otherwise), a CORS preflight, or a route declared public by pattern.
    Exempt,
}

impl RouteTable {
    /// The table of the application `req` belongs to: the declarations registered on this
    /// thread whose marker resource this application's resource map holds.
    pub(crate) fn build(req: &HttpRequest, public_patterns: &[String]) -> Self {
        let mut table = RouteTable {
            public_patterns: public_patterns.to_vec(),
            ..RouteTable::default()
        };
        let mut resolved = Vec::new();
        let _ = take_registrations(|registration| match resolve(req, registration) {
            Resolution::OtherApplication => false,
            Resolution::Found(pattern) => {
                resolved.push(DeclaredRoute {
                    pattern,
                    declaration: registration.declaration,
                });
                true
            }
            Resolution::Unresolved => {
                table.unresolved.push(registration.declaration);
                true
            }
        });
        for route in resolved {
            table
                .by_pattern
                .entry(route.pattern.clone())
                .or_default()
                .push(route);
        }
        table
    }

    /// The class of `req`, before routing: its resource by the pattern actix-web matches first
    /// (`ResourceMap::match_pattern`), then the declaration of that pattern for its method.
    pub(crate) fn classify(&self, req: &ServiceRequest) -> Route<'_> {
        if is_preflight(req) {
            return Route::Exempt;
        }
        let Some(pattern) = req.match_pattern() else {
            return Route::Exempt;
        };
        if let Some(routes) = self.by_pattern.get(&pattern) {
            let method = req.method();
            if let Some(route) = routes
                .iter()
                .find(|route| accepts(&route.declaration, method))
            {
                return Route::Declared(route);
            }
        }
        if pattern.starts_with(METADATA_PREFIX) || self.public_patterns.contains(&pattern) {
            return Route::Exempt;
        }
        Route::Undeclared
    }

    /// Every declared route, in no particular order.
    pub(crate) fn routes(&self) -> impl Iterator<Item = &DeclaredRoute> {
        self.by_pattern.values().flatten()
    }

    /// The patterns declared open by configuration.
    pub(crate) fn public_patterns(&self) -> &[String] {
        &self.public_patterns
    }
}

fn accepts(declaration: &RouteDeclaration, method: &Method) -> bool {
    declaration.methods.is_empty() || declaration.methods.contains(method)
}

/// A CORS preflight (Fetch standard §3.2.2): never carries credentials, never challenged.
fn is_preflight(req: &ServiceRequest) -> bool {
    req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

enum Resolution {
    Found(String),
    Unresolved,
    OtherApplication,
}

/// The full pattern of `registration`'s route in `req`'s application: the marker's URL (`0` for
/// every dynamic segment) is matched like a request path, and the pattern found must end with
/// the declared one.
fn resolve(req: &HttpRequest, registration: &Registration) -> Resolution {
    let Ok(url) = req.url_for(&registration.marker, std::iter::repeat("0")) else {
        return Resolution::OtherApplication;
    };
    match req.resource_map().match_pattern(url.path()) {
        Some(pattern) if pattern.ends_with(registration.declaration.path) => {
            Resolution::Found(pattern)
        }
        _ => Resolution::Unresolved,
    }
}
