//! The route inventory: every route of an application with what it requires, as a table for
//! people and as JSON for tools. Built by [`inventory`](crate::inventory) and logged by
//! [`check_app`](crate::check_app).

use std::fmt::{self, Write as _};

use actix_web::http::Method;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::requirement::{Parts, Requirement, ScopeExpr, Shape};
use crate::routes::declaration::{RouteDeclaration, MARKER_PREFIX};
use crate::routes::middleware::{is_probe, PROBE};
use crate::routes::table::RouteTable;
use crate::scheme::Scheme;

/// Every route of an application and what it requires.
///
/// Routes declared by `#[requires]` or `#[public]` above their route attribute are always
/// listed. Routes without a declaration are listed when the `route-introspection` feature is on
/// (it turns on actix-web's `experimental-introspection`, which records every registered
/// resource); [`complete`](Self::complete) says whether they could be.
#[derive(Debug, Clone, Serialize)]
pub struct Inventory {
    routes: Vec<InventoryRoute>,
    /// Declarations whose full pattern could not be found (see [`Inventory::unresolved`]).
    unresolved: Vec<String>,
    /// Whether the routes without a declaration are listed too.
    complete: bool,
    /// Whether `.wrap(auth.middleware())` is installed.
    middleware: bool,
}

/// One route: its method, full path pattern, and declaration (`None` when nothing declares it).
#[derive(Debug, Clone)]
pub struct InventoryRoute {
    method: Option<Method>,
    pattern: String,
    handler: Option<&'static str>,
    requirement: Option<Requirement>,
    /// Left open by `AuthenticatorBuilder::public_route` or as the RFC 9728 metadata route.
    open_by_configuration: bool,
}

impl InventoryRoute {
    /// The method; `None` for a resource that answers every method.
    pub fn method(&self) -> Option<&Method> {
        self.method.as_ref()
    }

    /// The full path pattern, scope prefixes included (`/api/items/{id}`).
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The handler, as `module::path::name`, when a declaration names it.
    pub fn handler(&self) -> Option<&'static str> {
        self.handler
    }

    /// The route's declaration: `None` when it has none.
    pub fn requirement(&self) -> Option<&Requirement> {
        self.requirement.as_ref()
    }

    /// Whether anyone may call it: `#[public]`, or left open by configuration.
    pub fn is_public(&self) -> bool {
        self.open_by_configuration || self.requirement.is_some_and(|r| r.is_public())
    }

    /// Whether it has neither a declaration nor an opening by configuration.
    pub fn is_undeclared(&self) -> bool {
        self.requirement.is_none() && !self.open_by_configuration
    }

    fn describe(&self) -> String {
        let Some(requirement) = &self.requirement else {
            return if self.open_by_configuration {
                "public (configuration)".to_owned()
            } else {
                "NO DECLARATION".to_owned()
            };
        };
        if requirement.is_public() {
            return "public".to_owned();
        }
        let mut text = String::new();
        let schemes = scheme_names(requirement);
        let _ = write!(text, "{}", schemes.join(" or "));
        if requirement.is_optional() {
            text.push_str(", optional");
        }
        if let Some(scope) = requirement.scope_expr() {
            let _ = write!(text, ", scope {}", expression_text(scope));
        }
        if let Some(roles) = requirement.role_expr() {
            let _ = write!(text, ", role {}", expression_text(roles));
        }
        if let Some(policy) = requirement.policy_label() {
            let _ = write!(text, ", policy {policy}");
        }
        if let Some(realm) = requirement.realm_override() {
            let _ = write!(text, ", realm {realm:?}");
        }
        text
    }
}

/// `Bearer`, … or `any configured scheme` for a requirement that names none.
pub(crate) fn scheme_names(requirement: &Requirement) -> Vec<&'static str> {
    match requirement.schemes() {
        [] => vec!["any configured scheme"],
        schemes => schemes.iter().map(|scheme| Scheme::name(*scheme)).collect(),
    }
}

/// `"a"`, `all("a", "b")`, `any("a", all("b", "c"))`, as the attribute writes it.
fn expression_text(expr: &ScopeExpr) -> String {
    let list = |parts: Parts| {
        parts
            .map(|part| expression_text(&part))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match expr.shape() {
        Shape::Token(token) => format!("{token:?}"),
        Shape::All(parts) => format!("all({})", list(parts)),
        Shape::Any(parts) => format!("any({})", list(parts)),
    }
}

/// The JSON form of a scope expression: a string, `{"all": [..]}` or `{"any": [..]}`.
struct ExpressionJson<'a>(&'a ScopeExpr);

impl Serialize for ExpressionJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (key, parts) = match self.0.shape() {
            Shape::Token(token) => return serializer.serialize_str(token),
            Shape::All(parts) => ("all", parts),
            Shape::Any(parts) => ("any", parts),
        };
        let parts: Vec<_> = parts.collect();
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(key, &parts.iter().map(ExpressionJson).collect::<Vec<_>>())?;
        map.end()
    }
}

impl Serialize for InventoryRoute {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("method", &self.method.as_ref().map(Method::as_str))?;
        map.serialize_entry("path", &self.pattern)?;
        map.serialize_entry("handler", &self.handler)?;
        map.serialize_entry("declared", &self.requirement.is_some())?;
        map.serialize_entry("public", &self.is_public())?;
        if let Some(requirement) = self.requirement.filter(|r| !r.is_public()) {
            if let serde_json::Value::Object(fields) = requirement_json(&requirement) {
                for (key, value) in fields.iter().filter(|(key, _)| *key != "public") {
                    map.serialize_entry(key, value)?;
                }
            }
        }
        map.end()
    }
}

/// A requirement as JSON: `{"schemes": [..], "scope", "roles", "policy", "optional", "realm",
/// "public"}`; `schemes` is empty for "every configured scheme", `scope` and `roles` are a
/// string, `{"all": [..]}` or `{"any": [..]}`. The `x-auth-runtime` extension of an OpenAPI
/// operation and the inventory's JSON both use it.
pub(crate) fn requirement_json(requirement: &Requirement) -> serde_json::Value {
    let schemes: Vec<&str> = requirement.schemes().iter().map(|s| s.name()).collect();
    serde_json::json!({
        "schemes": schemes,
        "scope": requirement.scope_expr().map(ExpressionJson),
        "roles": requirement.role_expr().map(ExpressionJson),
        "policy": requirement.policy_label(),
        "optional": requirement.is_optional(),
        "realm": requirement.realm_override(),
        "public": requirement.is_public(),
    })
}

impl Inventory {
    /// The routes, sorted by path pattern then method.
    pub fn routes(&self) -> &[InventoryRoute] {
        &self.routes
    }

    /// Routes with neither a declaration nor an opening by configuration (listed only when
    /// [`complete`](Self::complete)).
    pub fn undeclared(&self) -> impl Iterator<Item = &InventoryRoute> {
        self.routes.iter().filter(|route| route.is_undeclared())
    }

    /// Declared handlers whose full pattern could not be found in the application: an earlier
    /// resource matches the same paths, or a dynamic segment refuses the placeholder `0`
    /// (a regular expression such as `{slug:[a-z]+}`). The middleware answers them by the
    /// app-wide rule.
    pub fn unresolved(&self) -> &[String] {
        &self.unresolved
    }

    /// Whether routes without a declaration are listed (the `route-introspection` feature).
    pub fn complete(&self) -> bool {
        self.complete
    }

    /// Whether the application wraps the app-wide middleware.
    pub fn has_middleware(&self) -> bool {
        self.middleware
    }

    /// The JSON form: `{"routes": [{"method", "path", "handler", "declared", "public",
    /// "schemes", "scope", "roles", "policy", "optional", "realm"}, ..], "unresolved": [..],
    /// "complete": bool, "middleware": bool}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// Every scope token any declared route names, sorted, each once: what an OAuth 2.0
    /// client may have to ask for (`scopes_supported`, RFC 9728 §2).
    pub fn scopes(&self) -> Vec<&'static str> {
        let mut scopes = Vec::new();
        for requirement in self.routes.iter().filter_map(|route| route.requirement) {
            if let Some(expr) = requirement.scope_expr() {
                collect_tokens(expr, &mut scopes);
            }
        }
        scopes.sort_unstable();
        scopes.dedup();
        scopes
    }

    pub(crate) fn new(
        table: &RouteTable,
        middleware: bool,
        resources: Option<Vec<Resource>>,
    ) -> Self {
        let mut routes: Vec<InventoryRoute> = table
            .routes()
            .filter(|route| !is_probe(&route.declaration))
            .flat_map(|route| declared(&route.pattern, &route.declaration))
            .collect();
        let complete = resources.is_some();
        for resource in resources.unwrap_or_default() {
            let hidden = resource
                .name
                .as_deref()
                .is_some_and(|name| name.starts_with(MARKER_PREFIX))
                || resource.pattern == PROBE.path;
            if hidden {
                continue;
            }
            let methods = if resource.methods.is_empty() {
                vec![None]
            } else {
                resource.methods.into_iter().map(Some).collect()
            };
            for method in methods {
                let known = routes.iter().any(|route| {
                    route.pattern == resource.pattern
                        && (route.method.is_none() || method.is_none() || route.method == method)
                });
                if known {
                    continue;
                }
                let open_by_configuration = resource
                    .pattern
                    .starts_with("/.well-known/oauth-protected-resource")
                    || table.public_patterns().contains(&resource.pattern);
                routes.push(InventoryRoute {
                    method,
                    pattern: resource.pattern.clone(),
                    handler: None,
                    requirement: None,
                    open_by_configuration,
                });
            }
        }
        routes.sort_by(|a, b| {
            (a.pattern.as_str(), a.method.as_ref().map(Method::as_str))
                .cmp(&(b.pattern.as_str(), b.method.as_ref().map(Method::as_str)))
        });
        let unresolved = table
            .unresolved
            .iter()
            .map(|declaration| format!("{} ({})", declaration.handler, declaration.path))
            .collect();
        Inventory {
            routes,
            unresolved,
            complete,
            middleware,
        }
    }
}

fn declared(pattern: &str, declaration: &RouteDeclaration) -> Vec<InventoryRoute> {
    let route = |method: Option<Method>| InventoryRoute {
        method,
        pattern: pattern.to_owned(),
        handler: Some(declaration.handler),
        requirement: Some((declaration.requirement)()),
        open_by_configuration: false,
    };
    if declaration.methods.is_empty() {
        return vec![route(None)];
    }
    declaration.methods.iter().map(Some).map(route).collect()
}

fn collect_tokens(expr: &ScopeExpr, into: &mut Vec<&'static str>) {
    match expr.shape() {
        Shape::Token(token) => into.push(token),
        Shape::All(parts) | Shape::Any(parts) => {
            parts.for_each(|part| collect_tokens(&part, into));
        }
    }
}

/// A resource as actix-web's route introspection reports it.
pub(crate) struct Resource {
    pub(crate) pattern: String,
    pub(crate) methods: Vec<Method>,
    pub(crate) name: Option<String>,
}

impl fmt::Display for Inventory {
    /// A table for people: one line per route, `METHOD  /path  requirement`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .routes
            .iter()
            .map(|route| route.pattern.len())
            .max()
            .unwrap_or(0);
        for route in &self.routes {
            let method = route.method.as_ref().map_or("*", Method::as_str);
            writeln!(
                f,
                "{method:<7} {:<width$}  {}",
                route.pattern,
                route.describe()
            )?;
        }
        for unresolved in &self.unresolved {
            writeln!(
                f,
                "?       {unresolved}  declared, but its full pattern was not found"
            )?;
        }
        if !self.complete {
            writeln!(
                f,
                "(routes without a declaration are listed with the `route-introspection` feature)"
            )?;
        }
        Ok(())
    }
}
