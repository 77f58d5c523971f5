//! The start-up check that an application can authenticate.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{test, web, App, HttpRequest, HttpResponse};

use crate::authenticator::Authenticator;
use crate::error::ConfigError;

const PROBE_PATH: &str = "/__auth_runtime/startup-check";

/// Fails fast when `app` has no [`Authenticator`] registered at its root, instead of answering
/// 500 to the first request of a `#[requires]` handler.
///
/// Call it at start-up with the same `App` the server builds:
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
/// let app = || App::new().configure(auth.configure());
/// check_app(app()).await.expect("authenticator registered");
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
    let app = app.route(
        PROBE_PATH,
        web::get().to(|req: HttpRequest| async move {
            match Authenticator::of(&req) {
                Some(_) => HttpResponse::NoContent().finish(),
                None => HttpResponse::NotFound().finish(),
            }
        }),
    );
    let service = test::init_service(app).await;
    let probe = test::TestRequest::get().uri(PROBE_PATH).to_request();
    match test::try_call_service(&service, probe).await {
        Ok(response) if response.status() == actix_web::http::StatusCode::NO_CONTENT => Ok(()),
        _ => Err(ConfigError::NotRegistered),
    }
}
