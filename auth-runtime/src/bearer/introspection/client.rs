//! The HTTP side of introspection: one POST to the endpoint (RFC 7662 §2.1), client
//! authentication (RFC 6749 §2.3.1), and the limits on the answer.

use std::time::Duration;

use base64::Engine;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{redirect, Client, Url};

use super::config::{ClientAuthMethod, ClientCredentials, Introspection};
use crate::bearer::claims::parse_claims;
use crate::bearer::jwks::config::{is_loopback, PlainHttp};
use crate::error::ConfigError;

/// Posts tokens to the endpoint; owned by the introspection thread.
pub(super) struct IntrospectionClient {
    client: Client,
    credentials: ClientCredentials,
    /// `Authorization: Basic ...`, computed once for `client_secret_basic`.
    basic: Option<String>,
    max_bytes: usize,
    total_timeout: Duration,
}

/// Why a call gave no usable answer: the endpoint is unavailable (503, never cached), as
/// opposed to an answer that refuses the token.
pub(super) struct CallFailed(pub(super) String);

impl IntrospectionClient {
    pub(super) fn new(
        settings: &Introspection,
        http: PlainHttp,
        fixed: Option<&Url>,
    ) -> Result<IntrospectionClient, ConfigError> {
        let credentials = settings
            .client
            .clone()
            .ok_or(ConfigError::InvalidIntrospection(
                "client credentials missing",
            ))?;
        let mut client = Client::builder();
        // An endpoint on this machine is reached directly, never through `HTTP_PROXY`.
        if fixed.and_then(Url::host).is_some_and(is_loopback) {
            client = client.no_proxy();
        }
        let client = client
            .https_only(http == PlainHttp::Refused)
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.total_timeout)
            // A redirect would resend the token and the client's credentials elsewhere.
            .redirect(redirect::Policy::none())
            .user_agent(concat!("auth-runtime/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|_| {
                ConfigError::InvalidIntrospection("the introspection HTTP client cannot start")
            })?;
        let basic = (credentials.method == ClientAuthMethod::Basic)
            .then(|| basic_authorization(&credentials.id, &credentials.secret));
        Ok(IntrospectionClient {
            client,
            credentials,
            basic,
            max_bytes: settings.max_response_bytes,
            total_timeout: settings.total_timeout,
        })
    }

    /// Introspects `token` at `endpoint`: the answer, a JSON object, or why there is none.
    pub(super) async fn introspect(
        &self,
        endpoint: &Url,
        token: &str,
    ) -> Result<Vec<u8>, CallFailed> {
        let call = async {
            let mut form: Vec<(&str, &str)> =
                vec![("token", token), ("token_type_hint", "access_token")];
            let mut request = self
                .client
                .post(endpoint.clone())
                .header(ACCEPT, "application/json");
            match &self.basic {
                Some(basic) => request = request.header(AUTHORIZATION, basic),
                None => {
                    form.push(("client_id", &self.credentials.id));
                    form.push(("client_secret", &self.credentials.secret));
                }
            }
            let mut response = request
                .form(&form)
                .send()
                .await
                .map_err(|error| fail(endpoint, format!("failed: {}", error.without_url())))?;
            let status = response.status();
            if !status.is_success() {
                return Err(fail(endpoint, format!("answered {status}")));
            }
            let json = response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .is_some_and(|value| {
                    let essence = value.split(';').next().unwrap_or_default().trim();
                    essence.eq_ignore_ascii_case("application/json")
                        || essence.to_ascii_lowercase().ends_with("+json")
                });
            if !json {
                return Err(fail(endpoint, "answered without a JSON body".to_owned()));
            }
            let too_large = || {
                fail(
                    endpoint,
                    format!("answered more than the {} bytes allowed", self.max_bytes),
                )
            };
            if response
                .content_length()
                .is_some_and(|length| length > self.max_bytes as u64)
            {
                return Err(too_large());
            }
            let mut body = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|error| fail(endpoint, format!("failed: {}", error.without_url())))?
            {
                if body.len() + chunk.len() > self.max_bytes {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            // RFC 7662 §2.2: a JSON object; duplicate member names are refused as in claims.
            match parse_claims(&body) {
                Ok(_) => Ok(body),
                Err(_) => Err(fail(
                    endpoint,
                    "answered something other than a JSON object".into(),
                )),
            }
        };
        tokio::time::timeout(self.total_timeout, call)
            .await
            .unwrap_or_else(|_| {
                Err(fail(
                    endpoint,
                    format!("did not answer within {:?}", self.total_timeout),
                ))
            })
    }
}

fn fail(endpoint: &Url, what: String) -> CallFailed {
    CallFailed(format!("the introspection endpoint {endpoint} {what}"))
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))`: RFC 6749 §2.3.1 encodes the client
/// id and secret with `application/x-www-form-urlencoded` before HTTP Basic (RFC 7617).
fn basic_authorization(id: &str, secret: &str) -> String {
    let encode = |text: &str| form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    let pair = zeroize::Zeroizing::new(format!("{}:{}", encode(id), encode(secret)));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair.as_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_urlencoded_first() {
        // RFC 6749 §2.3.1: "client id:1" and "s3cr%t:é" encode to `client+id%3A1` and
        // `s3cr%25t%3A%C3%A9` before base64.
        let header = basic_authorization("client id:1", "s3cr%t:é");
        let encoded = header.strip_prefix("Basic ").unwrap();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        assert_eq!(decoded, b"client+id%3A1:s3cr%25t%3A%C3%A9");
    }
}
