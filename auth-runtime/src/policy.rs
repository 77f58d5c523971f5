//! How `#[requires(policy = check)]` calls the application's `async fn`: with the principal,
//! then either the request (`&HttpRequest`) or actix-web extractors, extracted once
//! authentication, scopes and roles have passed.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use crate::principal::Principal;
use crate::requirement::PolicyDecision;

/// A policy running, borrowing the principal and the request.
pub type PolicyRun<'a> = Pin<Box<dyn Future<Output = PolicyDecision> + 'a>>;

/// The reason code of a denial because one of the policy's extractors refused the request.
pub const POLICY_INPUT: &str = "policy_input";

/// An `async fn` that can be a policy: `async fn(&Principal, &HttpRequest) -> PolicyDecision`,
/// or `async fn(&Principal, E1, .., En) -> PolicyDecision` with up to six actix-web extractors
/// (`web::Path<..>`, `web::Query<..>`, `web::Data<..>`, `HttpRequest`, headers, your own
/// `FromRequest` types). `Marker` tells the forms apart; it is inferred.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a policy",
    label = "not an `async fn(&Principal, ..) -> PolicyDecision`",
    note = "a policy is `async fn check(principal: &Principal, req: &HttpRequest) -> PolicyDecision`, or takes actix-web extractors after the principal: `async fn check(principal: &Principal, id: web::Path<u64>, store: web::Data<Store>) -> PolicyDecision`"
)]
pub trait PolicyFn<'a, Marker> {
    /// Extracts the policy's parameters from `req` and runs it.
    fn run(&'a self, principal: &'a Principal, req: &'a HttpRequest) -> PolicyRun<'a>;
}

/// The [`PolicyFn`] marker of a policy that takes `&HttpRequest`.
pub enum WithRequest {}

impl<'a, F, Fut> PolicyFn<'a, WithRequest> for F
where
    F: Fn(&'a Principal, &'a HttpRequest) -> Fut,
    Fut: Future<Output = PolicyDecision> + 'a,
{
    fn run(&'a self, principal: &'a Principal, req: &'a HttpRequest) -> PolicyRun<'a> {
        Box::pin(self(principal, req))
    }
}

/// Denies a request whose policy cannot get its input: a policy that cannot decide never
/// allows. The body is the handler's, so an extractor of it (`web::Json`) always ends here.
fn input_refused(req: &HttpRequest, error: actix_web::Error) -> PolicyDecision {
    tracing::debug!(
        target: "auth_runtime", reason = POLICY_INPUT, path = req.path(), error = %error,
        "an extractor of the policy refused the request"
    );
    PolicyDecision::Deny(POLICY_INPUT)
}

/// The [`PolicyFn`] of a policy taking the extractors `$arg`.
macro_rules! extracting {
    ($($arg:ident),*) => {
        impl<'a, F, Fut, $($arg),*> PolicyFn<'a, ($($arg,)*)> for F
        where
            F: Fn(&'a Principal, $($arg),*) -> Fut,
            Fut: Future<Output = PolicyDecision> + 'a,
            $($arg: FromRequest + 'a,)*
        {
            // `req` is unused by the policy of the principal alone.
            #[allow(non_snake_case, unused_variables)]
            fn run(&'a self, principal: &'a Principal, req: &'a HttpRequest) -> PolicyRun<'a> {
                Box::pin(async move {
                    $(
                        let $arg = match $arg::from_request(req, &mut Payload::None).await {
                            Ok(value) => value,
                            Err(error) => return input_refused(req, error.into()),
                        };
                    )*
                    self(principal, $($arg),*).await
                })
            }
        }
    };
}

extracting!();
extracting!(A1);
extracting!(A1, A2);
extracting!(A1, A2, A3);
extracting!(A1, A2, A3, A4);
extracting!(A1, A2, A3, A4, A5);
extracting!(A1, A2, A3, A4, A5, A6);

/// Runs `policy` for `principal` and `req`: the call `#[requires(policy = ..)]` generates,
/// located at the user's path so that a function that is not a policy is reported there.
pub fn run_policy<'a, Marker, F: PolicyFn<'a, Marker>>(
    policy: &'a F,
    principal: &'a Principal,
    req: &'a HttpRequest,
) -> PolicyRun<'a> {
    policy.run(principal, req)
}
