//! What `#[requires]` and `#[public]` register when they are written above the route attribute
//! (`#[get("/items")]`, …): the route itself, exactly as actix-web's attribute would register it,
//! and next to it, in the same scope, a marker resource that no request can reach. The marker's
//! name is unique to this registration, so the application's resource map gives the route's
//! full pattern (scope prefixes included) through it; see `table.rs`.

use std::cell::RefCell;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::dev::{AppService, HttpServiceFactory};
use actix_web::http::Method;
use actix_web::{guard, FromRequest, Handler, HttpResponse, Resource, Responder};

use crate::requirement::Requirement;

/// A route as its attribute declared it: the path pattern as written (relative to the scopes
/// it is registered in), the methods, the handler and its requirement.
///
/// The generated code builds it where it registers the route and passes it by value: a
/// `static` per handler, or a promoted reference, makes rustc evaluate it at compile time,
/// which `cargo check` of an application with many handlers pays for each.
#[derive(Debug, Clone, Copy)]
pub struct RouteDeclaration {
    /// The path pattern of the route attribute, relative to any enclosing scope.
    pub path: &'static str,
    /// The methods the route attribute accepts; empty: every method.
    pub methods: Methods,
    /// The handler, as `module::path::name`.
    pub handler: &'static str,
    /// What the route requires; `Requirement::PUBLIC` for `#[public]`. A function returning
    /// it (`requirement_of::<Marker>`) rather than the value, which type checking never needs.
    pub requirement: fn() -> Requirement,
}

/// A set of the standard methods (RFC 9110 §9.3), the ones route attributes name.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Methods(u16);

/// The standard methods, each at the bit of its constant in [`Methods`].
static STANDARD: [Method; 9] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::PATCH,
    Method::HEAD,
    Method::OPTIONS,
    Method::CONNECT,
    Method::TRACE,
];

impl Methods {
    /// `GET`.
    pub const GET: Methods = Methods(1);
    /// `POST`.
    pub const POST: Methods = Methods(1 << 1);
    /// `PUT`.
    pub const PUT: Methods = Methods(1 << 2);
    /// `DELETE`.
    pub const DELETE: Methods = Methods(1 << 3);
    /// `PATCH`.
    pub const PATCH: Methods = Methods(1 << 4);
    /// `HEAD`.
    pub const HEAD: Methods = Methods(1 << 5);
    /// `OPTIONS`.
    pub const OPTIONS: Methods = Methods(1 << 6);
    /// `CONNECT`.
    pub const CONNECT: Methods = Methods(1 << 7);
    /// `TRACE`.
    pub const TRACE: Methods = Methods(1 << 8);

    /// The methods of both sets.
    pub const fn or(self, other: Methods) -> Methods {
        Methods(self.0 | other.0)
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether `method` is in the set. Asked on every request to a declared route under the
    /// app-wide middleware.
    pub fn contains(self, method: &Method) -> bool {
        STANDARD
            .iter()
            .position(|standard| standard == method)
            .is_some_and(|bit| self.0 & (1 << bit) != 0)
    }

    /// The methods in the set, in the order of `STANDARD`.
    pub fn iter(self) -> impl Iterator<Item = Method> {
        STANDARD
            .iter()
            .enumerate()
            .filter(move |(bit, _)| self.0 & (1 << bit) != 0)
            .map(|(_, method)| method.clone())
    }
}

impl fmt::Debug for Methods {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// A registration of a declared route, waiting for its application's route table.
pub(crate) struct Registration {
    /// The unique name of the marker resource registered next to the route.
    pub(crate) marker: String,
    pub(crate) declaration: RouteDeclaration,
}

/// Marker names: unique to each registration, so a handler mounted in two scopes has two.
static NEXT_MARKER: AtomicUsize = AtomicUsize::new(0);

/// The prefix of marker resource names; the inventory leaves these resources out.
pub(crate) const MARKER_PREFIX: &str = "__auth_runtime_route_";

thread_local! {
    // Registration runs on the thread that builds the application (each actix worker builds
    // its own), and so does that application's first request, which takes its routes from here.
    static REGISTERED: RefCell<Vec<Registration>> = const { RefCell::new(Vec::new()) };
}

/// Registers `handler` as actix-web's route attribute would
/// (`Resource::new(path).name(name).guard(<methods>).to(handler)`), then its declaration as
/// [`register_declared`] does. The code `#[requires]` generates for a route attribute without
/// `guard` or `wrap` arguments calls this instead of spelling the builder out in every handler,
/// which rustc would check once per handler.
pub fn register_handler<F, Args>(
    config: &mut AppService,
    declaration: RouteDeclaration,
    name: &str,
    handler: F,
) where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    let resource = Resource::new(declaration.path).name(name);
    let mut methods = declaration.methods.iter().map(guard::Method);
    let resource = match (methods.next(), methods.next()) {
        (None, _) => resource,
        (Some(one), None) => resource.guard(one),
        (Some(first), Some(second)) => {
            resource.guard(methods.fold(guard::Any(first).or(second), guard::AnyGuard::or))
        }
    };
    register_declared(config, resource.to(handler), declaration);
}

/// Registers `route` (the resource a route attribute describes) and the marker that lets the
/// application find its full pattern. Called by the code `#[requires]` and `#[public]` generate.
pub fn register_declared<F: HttpServiceFactory>(
    config: &mut AppService,
    route: F,
    declaration: RouteDeclaration,
) {
    route.register(config);
    let marker = format!(
        "{MARKER_PREFIX}{}",
        NEXT_MARKER.fetch_add(1, Ordering::Relaxed)
    );
    // Never routed to: its guard refuses every request, so routing goes on past it. Registered
    // after the route, so a path matching both finds the route first.
    let unreachable = Resource::new(declaration.path)
        .name(&marker)
        .guard(guard::fn_guard(|_| false))
        .to(|| async { HttpResponse::NotFound().finish() });
    unreachable.register(config);
    REGISTERED.with(|registered| {
        registered.borrow_mut().push(Registration {
            marker,
            declaration,
        })
    });
}

/// Takes the registrations `select` chooses from this thread's list, leaving the others (those
/// of other applications built on this thread) for their own tables.
pub(crate) fn take_registrations(
    mut select: impl FnMut(&Registration) -> bool,
) -> Vec<Registration> {
    REGISTERED.with(|registered| {
        let mut all = registered.borrow_mut();
        let (taken, left): (Vec<_>, Vec<_>) = all.drain(..).partition(|entry| select(entry));
        *all = left;
        taken
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_method_set_holds_the_methods_it_was_built_from() {
        let set = Methods::POST.or(Methods::GET).or(Methods::TRACE);
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            [Method::GET, Method::POST, Method::TRACE]
        );
        assert!(set.contains(&Method::POST) && set.contains(&Method::TRACE));
        assert!(!set.contains(&Method::PUT) && !set.contains(&Method::HEAD));
        assert!(!set.is_empty() && Methods::default().is_empty());
        // A method given twice is still in the set.
        assert!(Methods::GET.or(Methods::GET).contains(&Method::GET));
        assert_eq!(Methods::default().iter().count(), 0);
        assert_eq!(
            format!("{:?}", Methods::GET.or(Methods::HEAD)),
            "{GET, HEAD}"
        );
        let each = [
            Methods::GET,
            Methods::POST,
            Methods::PUT,
            Methods::DELETE,
            Methods::PATCH,
            Methods::HEAD,
            Methods::OPTIONS,
            Methods::CONNECT,
            Methods::TRACE,
        ];
        for (constant, method) in each.into_iter().zip(STANDARD.iter().cloned()) {
            assert!(constant.iter().eq([method.clone()]), "{constant:?}");
            assert!(constant.contains(&method));
        }
    }
}
