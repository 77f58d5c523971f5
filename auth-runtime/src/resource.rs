//! OAuth 2.0 Protected Resource Metadata (RFC 9728): the resource identifier and descriptive
//! fields the application configures ([`ProtectedResource`]), checked at start-up into the
//! document [`Authenticator::configure`](crate::Authenticator::configure) serves at the
//! well-known URL derived from the identifier (§3), and that URL, which Bearer challenges carry
//! (§5.1).

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::{self, Bytes, ServiceConfig};
use actix_web::HttpResponse;
use serde_json::{json, Map, Value};
use url::Url;

use crate::bearer::jwks::config::is_loopback;
use crate::error::ConfigError;
use crate::hierarchy::check_scope_token;

/// The well-known URI string of RFC 9728 §3, inserted between the host and the path of the
/// resource identifier.
pub(crate) const WELL_KNOWN_PATH: &str = "/.well-known/oauth-protected-resource";

/// How long clients and caches may reuse the metadata document: it changes only when the
/// application restarts with another configuration.
const CACHE_CONTROL: &str = "public, max-age=3600";

/// The protected resource an authenticator guards, described for clients (RFC 9728): set with
/// [`AuthenticatorBuilder::protected_resource`](crate::AuthenticatorBuilder::protected_resource).
///
/// The identifier is the URL clients call the API by (RFC 9728 §1.2, RFC 8707 §2): `https`, or
/// `http` for a loopback host only (`localhost`, `127.0.0.0/8`, `::1`), decided on the host as
/// the URL parser reads it, as for key URLs, without a fragment or
/// credentials. The metadata document is then served at the identifier's well-known URL, and
/// every Bearer challenge names that URL; unless an audience is configured, tokens must carry
/// the identifier in `aud` (RFC 8707).
///
/// ```
/// use auth_runtime::ProtectedResource;
///
/// let resource = ProtectedResource::new("https://api.example.com/items")
///     .name("Items API")
///     .documentation("https://docs.example.com/items")
///     .scopes_supported(["items:read", "items:write"]);
/// assert_eq!(resource.identifier(), "https://api.example.com/items");
/// ```
#[derive(Debug, Clone)]
pub struct ProtectedResource {
    identifier: String,
    name: Option<String>,
    documentation: Option<String>,
    policy_uri: Option<String>,
    tos_uri: Option<String>,
    scopes_supported: Option<Vec<String>>,
    authorization_servers: Vec<String>,
}

impl ProtectedResource {
    /// The resource `identifier` (RFC 9728 `resource`): the URL clients call the API by.
    pub fn new(identifier: impl Into<String>) -> Self {
        ProtectedResource {
            identifier: identifier.into(),
            name: None,
            documentation: None,
            policy_uri: None,
            tos_uri: None,
            scopes_supported: None,
            authorization_servers: Vec::new(),
        }
    }

    /// The resource identifier.
    pub fn identifier(&self) -> &str {
        &self.identifier
    }

    /// A human-readable name for end users (RFC 9728 §2 `resource_name`, RECOMMENDED).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// A page developers read to use the resource (RFC 9728 §2 `resource_documentation`): an
    /// absolute `http(s)` URL.
    pub fn documentation(mut self, url: impl Into<String>) -> Self {
        self.documentation = Some(url.into());
        self
    }

    /// A page on how clients may use the data (RFC 9728 §2 `resource_policy_uri`): an absolute
    /// `http(s)` URL.
    pub fn policy_uri(mut self, url: impl Into<String>) -> Self {
        self.policy_uri = Some(url.into());
        self
    }

    /// The terms of service (RFC 9728 §2 `resource_tos_uri`): an absolute `http(s)` URL.
    pub fn tos_uri(mut self, url: impl Into<String>) -> Self {
        self.tos_uri = Some(url.into());
        self
    }

    /// The scopes clients request to use the resource (RFC 9728 §2 `scopes_supported`,
    /// RECOMMENDED), RFC 6749 §3.3 scope tokens. Without it the document lists none.
    pub fn scopes_supported<S: Into<String>>(
        mut self,
        scopes: impl IntoIterator<Item = S>,
    ) -> Self {
        self.scopes_supported = Some(scopes.into_iter().map(Into::into).collect());
        self
    }

    /// Adds an authorization server clients may get tokens from (RFC 9728 §2
    /// `authorization_servers`), by its RFC 8414 issuer identifier: an `https` URL (`http` for a
    /// loopback host) without query or fragment. Default: the accepted issuers
    /// ([`issuer`](crate::AuthenticatorBuilder::issuer), or the
    /// [`oidc_discovery`](crate::AuthenticatorBuilder::oidc_discovery) issuer) that are such
    /// URLs.
    pub fn authorization_server(mut self, issuer: impl Into<String>) -> Self {
        self.authorization_servers.push(issuer.into());
        self
    }

    /// Checks the identifier and derives the metadata URL and the paths to serve it at.
    pub(crate) fn check(self) -> Result<CheckedResource, ConfigError> {
        let invalid = |reason| ConfigError::InvalidResource {
            value: self.identifier.clone(),
            reason,
        };
        let url = Url::parse(&self.identifier).map_err(|_| invalid("it is not an absolute URL"))?;
        match url.scheme() {
            "https" => {}
            "http" if url.host().is_some_and(is_loopback) => {}
            "http" => {
                return Err(invalid(
                    "plain http is refused: use https (http is accepted for a loopback host \
                     only: localhost, 127.0.0.0/8, ::1)",
                ))
            }
            _ => {
                return Err(invalid(
                    "a resource identifier is an https URL (RFC 9728 §1.2)",
                ))
            }
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(invalid("it has no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            let mut redacted = url.clone();
            let _ = redacted.set_username("");
            let _ = redacted.set_password(None);
            return Err(ConfigError::InvalidResource {
                value: redacted.to_string(),
                reason: "it carries credentials",
            });
        }
        if url.fragment().is_some() {
            return Err(invalid(
                "it has a fragment, which a resource identifier never has (RFC 8707 §2)",
            ));
        }
        // The metadata is served at an exact route: a path the router would decode differently
        // than a client writes it cannot be promised.
        if url.path().contains('%') {
            return Err(invalid(
                "its path has percent-encoded characters (or characters the URL had to encode), \
                 which the metadata route cannot match exactly",
            ));
        }
        // RFC 9728 §3.1: the well-known string goes between the host and the path and/or query,
        // the slash that ends a bare host removed.
        let path = match url.path() {
            "/" => "",
            path => path,
        };
        let query = url
            .query()
            .map(|query| format!("?{query}"))
            .unwrap_or_default();
        let served = format!("{WELL_KNOWN_PATH}{path}");
        let url_text = format!("{}{served}{query}", url.origin().ascii_serialization());
        // With a path, the bare well-known path serves the same document: clients that find no
        // `resource_metadata` parameter try the path form first, then that one.
        let mut paths = vec![served];
        if !path.is_empty() {
            paths.push(WELL_KNOWN_PATH.to_owned());
        }
        for (field, value) in [
            ("resource_documentation", &self.documentation),
            ("resource_policy_uri", &self.policy_uri),
            ("resource_tos_uri", &self.tos_uri),
        ] {
            if let Some(value) = value {
                check_page_url(field, value)?;
            }
        }
        if self.name.as_deref().is_some_and(str::is_empty) {
            return Err(ConfigError::InvalidResourceMetadata {
                field: "resource_name",
                reason: "it is empty".into(),
            });
        }
        for scope in self.scopes_supported.iter().flatten() {
            check_scope_token(scope)?;
        }
        for issuer in &self.authorization_servers {
            if let Err(reason) = issuer_url(issuer) {
                return Err(ConfigError::InvalidResourceMetadata {
                    field: "authorization_servers",
                    reason: format!("{issuer:?} {reason}"),
                });
            }
        }
        Ok(CheckedResource {
            config: self,
            url: url_text,
            paths,
        })
    }
}

/// A [`ProtectedResource`] whose identifier passed the checks, with its metadata URL.
pub(crate) struct CheckedResource {
    config: ProtectedResource,
    url: String,
    paths: Vec<String>,
}

impl CheckedResource {
    /// The resource identifier, which tokens must carry in `aud` unless audiences are
    /// configured (RFC 8707).
    pub(crate) fn identifier(&self) -> &str {
        &self.config.identifier
    }

    /// The URL of the metadata document (RFC 9728 §3.1).
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The metadata document: the configured fields, `authorization_servers` (configured, else
    /// those of `accepted_issuers` that are issuer URLs), and what the schemes add
    /// (`schemes`: `bearer_methods_supported`, later DPoP's fields). Members with no value are
    /// left out (RFC 9728 §3.2).
    pub(crate) fn into_metadata(
        self,
        accepted_issuers: &[String],
        schemes: Map<String, Value>,
    ) -> ResourceMetadata {
        let config = self.config;
        let mut document = Map::new();
        document.insert("resource".into(), json!(config.identifier));
        let authorization_servers = if config.authorization_servers.is_empty() {
            accepted_issuers
                .iter()
                .filter(|issuer| issuer_url(issuer).is_ok())
                .cloned()
                .collect()
        } else {
            config.authorization_servers
        };
        if !authorization_servers.is_empty() {
            document.insert("authorization_servers".into(), json!(authorization_servers));
        }
        if let Some(scopes) = scopes_supported(config.scopes_supported) {
            document.insert("scopes_supported".into(), json!(scopes));
        }
        document.extend(schemes);
        for (field, value) in [
            ("resource_name", config.name),
            ("resource_documentation", config.documentation),
            ("resource_policy_uri", config.policy_uri),
            ("resource_tos_uri", config.tos_uri),
        ] {
            if let Some(value) = value {
                document.insert(field.into(), json!(value));
            }
        }
        let document = serde_json::to_vec(&Value::Object(document)).unwrap_or_default();
        ResourceMetadata {
            url: self.url,
            paths: self.paths,
            document: Bytes::from(document),
        }
    }
}

/// The scopes the document lists: the configured ones, if any.
///
/// The hook for the route inventory (issue 16): once it exists, an application that configures
/// none lists every scope its `#[requires]` declarations name, chosen here.
fn scopes_supported(configured: Option<Vec<String>>) -> Option<Vec<String>> {
    configured.filter(|scopes| !scopes.is_empty())
}

/// The published metadata of a protected resource: its URL, the paths it is served at and the
/// document, rendered once.
#[derive(Debug)]
pub(crate) struct ResourceMetadata {
    url: String,
    paths: Vec<String>,
    document: Bytes,
}

impl ResourceMetadata {
    /// The URL of the document, as Bearer challenges name it (RFC 9728 §5.1).
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The paths the document is served at.
    pub(crate) fn paths(&self) -> &[String] {
        &self.paths
    }

    /// Registers `GET` (and `HEAD`) of every path: a plain route that never asks for
    /// credentials, answering `200` with the `application/json` document, cacheable.
    pub(crate) fn register(&self, config: &mut ServiceConfig) {
        for path in &self.paths {
            let document = self.document.clone();
            let serve = move || {
                let document = document.clone();
                async move {
                    HttpResponse::Ok()
                        .insert_header((
                            header::CONTENT_TYPE,
                            HeaderValue::from_static("application/json"),
                        ))
                        .insert_header((
                            header::CACHE_CONTROL,
                            HeaderValue::from_static(CACHE_CONTROL),
                        ))
                        .body(document)
                }
            };
            config.service(
                web::resource(path.as_str())
                    .route(web::get().to(serve.clone()))
                    .route(web::head().to(serve)),
            );
        }
    }
}

/// An absolute `http(s)` URL of a page, without credentials.
fn check_page_url(field: &'static str, value: &str) -> Result<(), ConfigError> {
    let invalid = |reason: &str| ConfigError::InvalidResourceMetadata {
        field,
        reason: format!("{value:?} {reason}"),
    };
    let url = Url::parse(value).map_err(|_| invalid("is not an absolute URL"))?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("is not an http(s) URL"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("carries credentials"));
    }
    Ok(())
}

/// An RFC 8414 §2 issuer identifier: `https` (`http` for a loopback host), with a host, without
/// query or fragment.
fn issuer_url(issuer: &str) -> Result<(), &'static str> {
    let url = Url::parse(issuer).map_err(|_| "is not an absolute URL")?;
    let secure =
        url.scheme() == "https" || (url.scheme() == "http" && url.host().is_some_and(is_loopback));
    if !secure || url.host_str().is_none_or(str::is_empty) {
        return Err("is not an https URL (http only for a loopback host)");
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(
            "has a query, fragment or credentials, which an issuer never has (RFC 8414 §2)",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(identifier: &str) -> Result<CheckedResource, ConfigError> {
        ProtectedResource::new(identifier).check()
    }

    #[test]
    fn the_well_known_string_goes_between_host_and_path() {
        for (identifier, url, paths) in [
            (
                "https://resource.example.com",
                "https://resource.example.com/.well-known/oauth-protected-resource",
                &[WELL_KNOWN_PATH][..],
            ),
            (
                "https://resource.example.com/",
                "https://resource.example.com/.well-known/oauth-protected-resource",
                &[WELL_KNOWN_PATH],
            ),
            (
                "https://resource.example.com/resource1",
                "https://resource.example.com/.well-known/oauth-protected-resource/resource1",
                &[
                    "/.well-known/oauth-protected-resource/resource1",
                    WELL_KNOWN_PATH,
                ],
            ),
            (
                "https://resource.example.com:8443/v1/items/",
                "https://resource.example.com:8443/.well-known/oauth-protected-resource/v1/items/",
                &[
                    "/.well-known/oauth-protected-resource/v1/items/",
                    WELL_KNOWN_PATH,
                ],
            ),
            (
                "https://resource.example.com/?tenant=a",
                "https://resource.example.com/.well-known/oauth-protected-resource?tenant=a",
                &[WELL_KNOWN_PATH],
            ),
            (
                "https://resource.example.com:443/api?tenant=a",
                "https://resource.example.com/.well-known/oauth-protected-resource/api?tenant=a",
                &["/.well-known/oauth-protected-resource/api", WELL_KNOWN_PATH],
            ),
            (
                "http://127.0.0.1:8080/api",
                "http://127.0.0.1:8080/.well-known/oauth-protected-resource/api",
                &["/.well-known/oauth-protected-resource/api", WELL_KNOWN_PATH],
            ),
            (
                "http://[::1]:8080",
                "http://[::1]:8080/.well-known/oauth-protected-resource",
                &[WELL_KNOWN_PATH],
            ),
        ] {
            assert_eq!(ProtectedResource::new(identifier).identifier(), identifier);
            let checked = check(identifier).unwrap();
            assert_eq!(checked.url(), url, "{identifier}");
            assert_eq!(checked.paths, paths, "{identifier}");
            assert_eq!(checked.identifier(), identifier, "kept as written");
        }
    }

    #[test]
    fn identifiers_that_cannot_be_served_or_trusted_are_refused() {
        for identifier in [
            "http://api.example.com",
            "http://127.0.0.1.evil.test/",
            "ftp://api.example.com/",
            "api.example.com",
            "/items",
            "urn:example:items",
            "https://user:secret@api.example.com/",
            "https://user@api.example.com/",
            "https://:secret@api.example.com/",
            "https://api.example.com/#top",
            "https://api.example.com/a%20b",
            "https://api.example.com/{id}",
            "",
        ] {
            let error = check(identifier).err().unwrap();
            assert!(
                matches!(&error, ConfigError::InvalidResource { .. }),
                "{identifier}: {error}"
            );
            assert!(!error.to_string().contains("secret"), "{error}");
        }
    }

    #[test]
    fn the_refusal_says_why() {
        for (identifier, reason) in [
            ("http://api.example.com", "plain http is refused"),
            ("ftp://api.example.com/", "an https URL"),
            ("https://user@api.example.com/", "credentials"),
        ] {
            let error = check(identifier).err().unwrap().to_string();
            assert!(error.contains(reason), "{identifier}: {error}");
        }
    }

    #[test]
    fn descriptive_fields_are_checked() {
        let refused = |resource: ProtectedResource| {
            matches!(
                resource.check(),
                Err(ConfigError::InvalidResourceMetadata { .. } | ConfigError::InvalidScope(_))
            )
        };
        let resource = || ProtectedResource::new("https://api.example.com");
        assert!(refused(resource().documentation("docs.example.com")));
        assert!(refused(resource().policy_uri("mailto:legal@example.com")));
        assert!(refused(resource().policy_uri("ftp://example.com/policy")));
        assert!(refused(resource().tos_uri("https://u:p@example.com/tos")));
        assert!(refused(resource().tos_uri("https://u@example.com/tos")));
        assert!(refused(
            resource().authorization_server("https://user@idp.example.com")
        ));
        assert!(refused(
            resource().authorization_server("https://idp.example.com/#f")
        ));
        assert!(refused(resource().name("")));
        assert!(refused(resource().scopes_supported(["items read"])));
        assert!(refused(
            resource().authorization_server("http://idp.example.com")
        ));
        assert!(refused(
            resource().authorization_server("https://idp.example.com/?x")
        ));
        assert!(resource()
            .documentation("http://docs.example.com/api")
            .authorization_server("http://localhost:8180/realms/demo")
            .check()
            .is_ok());
    }

    #[test]
    fn the_document_has_every_field_with_a_value_and_no_other() {
        let mut schemes = Map::new();
        schemes.insert("bearer_methods_supported".into(), json!(["header"]));
        let metadata = ProtectedResource::new("https://api.example.com/items")
            .name("Items")
            .tos_uri("https://example.com/tos")
            .scopes_supported(["items:read"])
            .check()
            .unwrap()
            .into_metadata(
                &["https://idp.example.com".into(), "not-a-url".into()],
                schemes,
            );
        let document: Value = serde_json::from_slice(&metadata.document).unwrap();
        assert_eq!(
            document,
            json!({
                "resource": "https://api.example.com/items",
                "authorization_servers": ["https://idp.example.com"],
                "scopes_supported": ["items:read"],
                "bearer_methods_supported": ["header"],
                "resource_name": "Items",
                "resource_tos_uri": "https://example.com/tos",
            })
        );
        let bare = ProtectedResource::new("https://api.example.com")
            .authorization_server("https://as.example.com")
            .scopes_supported(Vec::<String>::new())
            .check()
            .unwrap()
            .into_metadata(&["https://idp.example.com".into()], Map::new());
        let document: Value = serde_json::from_slice(&bare.document).unwrap();
        assert_eq!(
            document,
            json!({
                "resource": "https://api.example.com",
                "authorization_servers": ["https://as.example.com"],
            })
        );
    }
}
