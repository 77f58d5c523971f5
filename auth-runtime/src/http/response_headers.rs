//! Headers that the authentication of a request adds to the response the application gives it,
//! whatever that response is: DPoP's fresh `DPoP-Nonce` when the server nonce rotated (RFC 9449
//! §8.2). Extractors never see the response, so a mechanism records them in the request's
//! extensions ([`add`]) and the app-wide middleware, which sees every response, sets them
//! ([`apply`]). Without the middleware they are recorded and never sent.

use actix_web::dev::ServiceResponse;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpMessage, HttpRequest};

use crate::http::response::AuthError;

/// What [`add`] recorded for one request.
struct ResponseHeaders(Vec<(HeaderName, HeaderValue)>);

/// Records `name: value` for the response to `req` (recorded twice, the last value wins).
pub(crate) fn add(req: &HttpRequest, name: HeaderName, value: HeaderValue) {
    let mut extensions = req.extensions_mut();
    match extensions.get_mut::<ResponseHeaders>() {
        Some(ResponseHeaders(headers)) => headers.push((name, value)),
        None => {
            extensions.insert(ResponseHeaders(vec![(name, value)]));
        }
    }
}

/// Sets the headers recorded for `res`'s request on it, each replacing the application's
/// header of that name, unless `res` is a refusal of this library: refusals are the
/// conformance table's answers, exactly (a `use_dpop_nonce` refusal carries its own
/// `DPoP-Nonce`).
pub(crate) fn apply<B>(res: &mut ServiceResponse<B>) {
    let Some(ResponseHeaders(headers)) = res.request().extensions_mut().remove() else {
        return;
    };
    let refused = res
        .response()
        .error()
        .is_some_and(|error| error.as_error::<AuthError>().is_some());
    if refused {
        return;
    }
    let response_headers = res.headers_mut();
    for (name, value) in headers {
        response_headers.insert(name, value);
    }
}
