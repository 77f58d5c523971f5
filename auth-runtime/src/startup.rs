//! The start-up checks: the application can authenticate, wraps the app-wide middleware, and
//! under `deny_by_default` declares every route; and the route inventory they rest on.

use std::cell::RefCell;
use std::rc::Rc;

use actix_web::body::MessageBody;
use actix_web::dev::{
    AppService, HttpServiceFactory, ServiceFactory, ServiceRequest, ServiceResponse,
};
use actix_web::{guard, test, App, HttpMessage, HttpRequest, HttpResponse, Resource};

use crate::authenticator::Authenticator;
use crate::error::ConfigError;
use crate::routes::declaration::register_declared;
use crate::routes::inventory::Inventory;
use crate::routes::middleware::{Inspected, PROBE};
use crate::routes::table::RouteTable;

/// What the probe request found in the application.
enum Found {
    NoAuthenticator,
    Inventory(Box<Inventory>, bool),
}

/// Fails fast, at start-up, when `app` cannot keep the promises of this crate, instead of on a
/// request:
///
/// - no [`Authenticator`] is registered (`.configure(auth.configure())`), where a
///   `#[requires]` handler would answer 500;
/// - the app-wide middleware is missing (`.wrap(auth.middleware())`), without which invalid
///   credentials reach handlers that do not check them;
/// - a declared route's full pattern cannot be found (see [`Inventory::unresolved`]);
/// - under [`deny_by_default`](crate::AuthenticatorBuilder::deny_by_default), a route declares
///   neither `#[requires]` nor `#[public]` (listed with the `route-introspection` feature).
///
/// The route inventory is logged at debug level (target `auth_runtime`). Call it with the same
/// `App` the server builds:
///
/// ```
/// use actix_web::App;
/// use auth_runtime::{check_app, Authenticator, Key};
///
/// # actix_web::rt::System::new().block_on(async {
/// let auth = Authenticator::builder()
///     .key(Key::hs256(b"an-obviously-fake-secret-of-32-bytes!!").unwrap())
///     .build()
///     .unwrap();
/// let app = || App::new().wrap(auth.middleware()).configure(auth.configure());
/// check_app(app()).await.expect("authenticator and middleware registered");
/// assert!(check_app(App::new()).await.is_err());
/// # });
/// ```
pub async fn check_app<T, B>(app: App<T>) -> Result<(), ConfigError>
where
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        > + 'static,
    B: MessageBody + 'static,
{
    let (inventory, denies_by_default) = match probe(app).await {
        Found::NoAuthenticator => return Err(ConfigError::NotRegistered),
        Found::Inventory(inventory, denies) => (inventory, denies),
    };
    tracing::debug!(
        target: "auth_runtime",
        inventory = %inventory.to_json(),
        "route inventory:\n{inventory}"
    );
    if !inventory.has_middleware() {
        return Err(ConfigError::MiddlewareMissing);
    }
    if !inventory.unresolved().is_empty() {
        return Err(ConfigError::UnresolvedRoutes(
            inventory.unresolved().join(", "),
        ));
    }
    let undeclared: Vec<String> = inventory
        .undeclared()
        .map(|route| {
            let method = route.method().map_or("*", |method| method.as_str());
            format!("{method} {}", route.pattern())
        })
        .collect();
    if denies_by_default && !undeclared.is_empty() {
        return Err(ConfigError::UndeclaredRoutes(undeclared.join(", ")));
    }
    Ok(())
}

/// The route inventory of `app`: every declared route with its full pattern and requirement,
/// and, with the `route-introspection` feature, every route without a declaration.
///
/// ```
/// use actix_web::{get, App, HttpResponse};
/// use auth_runtime::{inventory, requires, Authenticator, Key};
///
/// #[requires(scope = "items:read")]
/// #[get("/items")]
/// async fn items() -> HttpResponse {
///     HttpResponse::Ok().finish()
/// }
///
/// # actix_web::rt::System::new().block_on(async {
/// let auth = Authenticator::builder()
///     .key(Key::hs256(b"an-obviously-fake-secret-of-32-bytes!!").unwrap())
///     .build()
///     .unwrap();
/// let app = App::new().wrap(auth.middleware()).configure(auth.configure()).service(items);
/// let routes = inventory(app).await.unwrap();
/// assert_eq!(routes.routes()[0].pattern(), "/items");
/// println!("{routes}"); // GET     /items  Bearer, scope "items:read"
/// # });
/// ```
pub async fn inventory<T, B>(app: App<T>) -> Result<Inventory, ConfigError>
where
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        > + 'static,
    B: MessageBody + 'static,
{
    match probe(app).await {
        Found::NoAuthenticator => Err(ConfigError::NotRegistered),
        Found::Inventory(inventory, _) => Ok(*inventory),
    }
}

/// Builds `app` with a probe route and sends it one request, which the app-wide middleware (if
/// installed) passes with its route table.
async fn probe<T, B>(app: App<T>) -> Found
where
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        > + 'static,
    B: MessageBody + 'static,
{
    let found = Rc::new(RefCell::new(None));
    let service = test::init_service(app.service(Probe(Rc::clone(&found)))).await;
    // Any Authorization header makes the middleware look the route up, which is how it leaves
    // its table for the probe; its unknown scheme is no credential of any configured scheme.
    let request = test::TestRequest::get()
        .uri(PROBE.path)
        .insert_header(("authorization", "AuthRuntimeStartupCheck"))
        .to_request();
    let _ = test::try_call_service(&service, request).await;
    let found = found.borrow_mut().take();
    found.unwrap_or(Found::NoAuthenticator)
}

/// The probe route, registered as a declared route.
struct Probe(Rc<RefCell<Option<Found>>>);

impl HttpServiceFactory for Probe {
    fn register(self, config: &mut AppService) {
        let found = self.0;
        let resource = Resource::new(PROBE.path)
            .guard(guard::Get())
            .to(move |req: HttpRequest| {
                let found = Rc::clone(&found);
                async move {
                    *found.borrow_mut() = Some(inspect(&req));
                    HttpResponse::NoContent().finish()
                }
            });
        register_declared(config, resource, PROBE);
    }
}

fn inspect(req: &HttpRequest) -> Found {
    let Some(auth) = Authenticator::of(req) else {
        return Found::NoAuthenticator;
    };
    let inspected = req.extensions().get::<Inspected>().cloned();
    let middleware = inspected.is_some();
    let table = match inspected {
        Some(Inspected(table)) => table,
        None => Rc::new(RouteTable::build(req, auth.public_routes())),
    };
    // Without actix-web's route introspection, only the declared routes are known.
    #[cfg(feature = "route-introspection")]
    let resources = introspected(req);
    #[cfg(not(feature = "route-introspection"))]
    let resources = None;
    let inventory = Inventory::new(&table, middleware, resources);
    Found::Inventory(Box::new(inventory), auth.denies_by_default())
}

/// Every resource of the application, from actix-web's route introspection.
#[cfg(feature = "route-introspection")]
fn introspected(req: &HttpRequest) -> Option<Vec<crate::routes::inventory::Resource>> {
    use crate::routes::inventory as listing;
    use actix_web::introspection::{IntrospectionNode, IntrospectionTree, ResourceType};

    fn walk(node: &IntrospectionNode, into: &mut Vec<listing::Resource>) {
        if matches!(node.kind, ResourceType::Resource) {
            into.push(listing::Resource {
                pattern: node.full_path.clone(),
                methods: node.methods.clone(),
                name: node.resource_name.clone(),
            });
        }
        for child in &node.children {
            walk(child, into);
        }
    }
    let tree = req.app_data::<actix_web::web::Data<IntrospectionTree>>()?;
    let mut resources = Vec::new();
    walk(&tree.root, &mut resources);
    Some(resources)
}
