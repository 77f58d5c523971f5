//! What `#[requires]` and `#[public]` register when they are written above the route attribute
//! (`#[get("/items")]`, …): the route itself, exactly as actix-web's attribute would register it,
//! and next to it, in the same scope, a marker resource that no request can reach. The marker's
//! name is unique to this registration, so the application's resource map gives the route's
//! full pattern (scope prefixes included) through it; see `table.rs`.

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::dev::{AppService, HttpServiceFactory};
use actix_web::http::Method;
use actix_web::{guard, HttpResponse, Resource};

use crate::requirement::Requirement;

/// A route as its attribute declared it: the path pattern as written (relative to the scopes
/// it is registered in), the methods, the handler and its requirement.
#[derive(Debug)]
pub struct RouteDeclaration {
    /// The path pattern of the route attribute, relative to any enclosing scope.
    pub path: &'static str,
    /// The methods the route attribute accepts.
    pub methods: &'static [Method],
    /// The handler, as `module::path::name`.
    pub handler: &'static str,
    /// What the route requires; `Requirement::PUBLIC` for `#[public]`. A function returning
    /// it (`requirement_of::<Marker>`) rather than the value: a static holding the value makes
    /// `cargo check` of the application evaluate every handler's requirement, which type
    /// checking never needs.
    pub requirement: fn() -> Requirement,
}

/// A registration of a declared route, waiting for its application's route table.
pub(crate) struct Registration {
    /// The unique name of the marker resource registered next to the route.
    pub(crate) marker: String,
    pub(crate) declaration: &'static RouteDeclaration,
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

/// Registers `route` (the resource a route attribute describes) and the marker that lets the
/// application find its full pattern. Called by the code `#[requires]` and `#[public]` generate.
pub fn register_declared<F: HttpServiceFactory>(
    config: &mut AppService,
    route: F,
    declaration: &'static RouteDeclaration,
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
