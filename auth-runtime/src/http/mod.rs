//! Everything HTTP: the `Authorization` header parser, the `WWW-Authenticate` challenge
//! builder, why a request was refused and the one mapping of a refusal to a response, the
//! headers authentication adds to the application's responses, and the extractors handlers use.

pub(crate) mod authorization;
pub(crate) mod challenge;
pub(crate) mod extract;
pub(crate) mod refusal;
pub(crate) mod response;
pub(crate) mod response_headers;
