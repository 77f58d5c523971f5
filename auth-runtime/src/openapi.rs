//! OpenAPI documents whose security comes from the declarations (feature `openapi`, utoipa 6).
//!
//! `#[requires]` (or `#[public]`) written above `#[utoipa::path]` puts the handler's requirement
//! into its operation as the `x-auth-runtime` extension. [`SecurityAddon`], a [`utoipa::Modify`]
//! from [`Authenticator::openapi`], then documents every configured scheme under
//! `components.securitySchemes`, and turns each operation's requirement into its `security` and
//! its `401` / `403` responses.
//!
//! | Declaration | OpenAPI |
//! |---|---|
//! | Bearer, keys from `.oidc_discovery(issuer)` | scheme `Bearer`: `openIdConnect`, `openIdConnectUrl` `<issuer>/.well-known/openid-configuration` |
//! | Bearer, other keys | scheme `Bearer`: `http`, `scheme: bearer`, `bearerFormat: JWT` |
//! | Basic | scheme `Basic`: `http`, `scheme: basic` |
//! | ApiKey | scheme `ApiKey`: `apiKey` `in: header`, `name` the configured header |
//! | custom `MyScheme` | scheme `MyScheme::NAME`: [`CustomScheme::openapi`](crate::CustomScheme::openapi) (default `apiKey` in `Authorization`) |
//! | `scope = "a"` | `security: [{Bearer: [a]}]` |
//! | `scope = all("a", "b")` | `[{Bearer: [a, b]}]`: one requirement object lists every scope |
//! | `scope = any("a", "b")` | `[{Bearer: [a]}, {Bearer: [b]}]`: one object per alternative |
//! | `scope = any("a", all("b", "c"))`, nested forms | OR of ANDs: `[{Bearer: [a]}, {Bearer: [b, c]}]`; sets that contain another set are dropped |
//! | `scheme = any("Bearer", "Basic")` | every object once per scheme, in declaration order |
//! | no `scheme` | `Bearer`, the attribute's default |
//! | `optional` | an empty object `{}` last |
//! | `#[public]` | `security: [{}]` |
//! | `role`, `policy`, `realm` | the `x-auth-runtime` extension: `{"schemes", "scope", "roles", "policy", "optional", "realm", "public"}` |
//! | every declared operation | `401` (and `403` with a scope, role or policy), `application/problem+json`, schema `ProblemDetails` (RFC 9457) |
//!
//! OpenAPI has no `and` across requirement objects, so an expression is normalised to its
//! alternatives (disjunctive normal form). Past [`MAX_ALTERNATIVES`] alternatives per
//! operation, the document lists each scheme with no scope (any token of the scheme may be
//! tried) and the exact expression stays in `x-auth-runtime`.
//!
//! DPoP (RFC 9449) has no OpenAPI security scheme type yet; when this crate verifies DPoP, a
//! DPoP endpoint will be documented as an `http` scheme named `DPoP` with an `x-dpop` extension
//! (its `algs`), which [`SecurityAddon`] is where to add.

use std::collections::BTreeMap;

use serde_json::Value;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{OpenApi, RefOr};

use crate::authenticator::Authenticator;

/// The most requirement objects an operation's `security` lists for one scheme's scope
/// expression; beyond, the scheme is listed without scopes (see the module documentation).
pub const MAX_ALTERNATIVES: usize = 32;

/// The name of the operation extension that holds the requirement.
pub const EXTENSION: &str = "x-auth-runtime";

/// The name of the RFC 9457 problem details schema under `components.schemas`.
pub const PROBLEM_SCHEMA: &str = "ProblemDetails";

/// A [`utoipa::Modify`] that documents an [`Authenticator`]'s schemes and every declared
/// operation's security; from [`Authenticator::openapi`].
///
/// ```
/// use utoipa::{Modify, OpenApi};
/// # use auth_runtime::{Authenticator, Key};
///
/// #[derive(OpenApi)]
/// struct ApiDoc;
///
/// let auth = Authenticator::builder()
///     .key(Key::hs256(b"an-obviously-fake-secret-of-32-bytes!!").unwrap())
///     .build()
///     .unwrap();
/// let mut doc = ApiDoc::openapi();
/// auth.openapi().modify(&mut doc);
/// let schemes = &doc.components.unwrap().security_schemes;
/// assert!(schemes.contains_key("Bearer"));
/// ```
#[derive(Clone)]
pub struct SecurityAddon {
    auth: Authenticator,
}

impl Authenticator {
    /// The [`utoipa::Modify`] that documents this authenticator's schemes and the security of
    /// every operation declared with `#[requires]` or `#[public]` (feature `openapi`).
    pub fn openapi(&self) -> SecurityAddon {
        SecurityAddon { auth: self.clone() }
    }
}

impl utoipa::Modify for SecurityAddon {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let configured: Vec<String> = self
            .auth
            .registry()
            .openapi_schemes()
            .map(|(scheme, object)| {
                components.add_security_scheme(scheme.name(), object);
                scheme.name().to_owned()
            })
            .collect();
        components
            .schemas
            .insert(PROBLEM_SCHEMA.to_owned(), RefOr::T(problem_schema()));
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ];
            for operation in operations.into_iter().flatten() {
                document(operation, &configured);
            }
        }
    }
}

/// The security and the refusals of one operation, from its `x-auth-runtime` extension.
fn document(operation: &mut Operation, configured: &[String]) {
    let Some(requirement) = operation
        .extensions
        .as_ref()
        .and_then(|extensions| extensions.get(EXTENSION))
        .cloned()
    else {
        return;
    };
    operation.security = Some(security(&requirement, configured));
    let forbids = ["scope", "roles", "policy"]
        .iter()
        .any(|key| !requirement[key].is_null());
    let mut refusals = vec![(
        "401",
        "No credentials (unless optional), or invalid ones: `WWW-Authenticate` names the accepted schemes (RFC 9110 §11.6.1, RFC 6750 §3)",
    )];
    if forbids {
        refusals.push((
            "403",
            "Valid credentials without the required scope (`insufficient_scope`, RFC 6750 §3.1), role or policy",
        ));
    }
    for (status, description) in refusals {
        let response = problem_response(description);
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert(RefOr::T(response));
    }
}

/// The `security` of a requirement (see the module documentation).
pub(crate) fn security(requirement: &Value, configured: &[String]) -> Vec<SecurityRequirement> {
    if requirement["public"] == Value::Bool(true) {
        return vec![SecurityRequirement::default()];
    }
    let declared: Vec<String> = requirement["schemes"]
        .as_array()
        .map(|schemes| {
            schemes
                .iter()
                .filter_map(|scheme| scheme.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let schemes = if declared.is_empty() {
        configured.to_vec()
    } else {
        declared
    };
    let alternatives = match &requirement["scope"] {
        Value::Null => Some(vec![Vec::new()]),
        expression => alternatives(expression, MAX_ALTERNATIVES),
    }
    .unwrap_or_else(|| vec![Vec::new()]);
    let mut security: Vec<SecurityRequirement> = schemes
        .iter()
        .flat_map(|scheme| {
            alternatives
                .iter()
                .map(move |scopes| SecurityRequirement::new(scheme, scopes.iter().cloned()))
        })
        .collect();
    if requirement["optional"] == Value::Bool(true) {
        security.push(SecurityRequirement::default());
    }
    security
}

/// The alternatives of a scope expression (a string, `{"all": [..]}` or `{"any": [..]}`): the
/// sets of scopes any one of which satisfies it, each in declaration order, without a set that
/// contains another; `None` past `cap` sets.
pub(crate) fn alternatives(expression: &Value, cap: usize) -> Option<Vec<Vec<String>>> {
    let sets = match expression {
        Value::String(token) => vec![vec![token.clone()]],
        Value::Object(map) if map.contains_key("any") => {
            let mut sets = Vec::new();
            for part in map["any"].as_array()? {
                sets.extend(alternatives(part, cap)?);
                if sets.len() > cap * 4 {
                    return None;
                }
            }
            sets
        }
        Value::Object(map) if map.contains_key("all") => {
            let mut product: Vec<Vec<String>> = vec![Vec::new()];
            for part in map["all"].as_array()? {
                let choices = alternatives(part, cap)?;
                if product.len() * choices.len() > cap * 4 {
                    return None;
                }
                product = product
                    .iter()
                    .flat_map(|set| choices.iter().map(move |choice| union(set, choice)))
                    .collect();
                product = minimal(product);
            }
            product
        }
        _ => return None,
    };
    let sets = minimal(sets);
    (sets.len() <= cap).then_some(sets)
}

fn union(left: &[String], right: &[String]) -> Vec<String> {
    let mut set = left.to_vec();
    for token in right {
        if !set.contains(token) {
            set.push(token.clone());
        }
    }
    set
}

/// `sets` without duplicates and without any set that contains another one (absorption: `a or
/// (a and b)` is `a`), in their first order.
fn minimal(sets: Vec<Vec<String>>) -> Vec<Vec<String>> {
    let contains = |big: &Vec<String>, small: &Vec<String>| small.iter().all(|s| big.contains(s));
    let mut kept: Vec<Vec<String>> = Vec::new();
    for (index, set) in sets.iter().enumerate() {
        // A set contains itself, but is neither smaller nor earlier than itself.
        let absorbed = sets.iter().enumerate().any(|(other_index, other)| {
            contains(set, other) && (other.len() < set.len() || other_index < index)
        });
        if !absorbed {
            kept.push(set.clone());
        }
    }
    kept
}

fn problem_response(description: &str) -> utoipa::openapi::Response {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(PROBLEM_SCHEMA)))
                .build(),
        )
        .build()
}

/// RFC 9457 §3.1: the members a refusal's body has.
fn problem_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let members: BTreeMap<&str, (Type, &str)> = BTreeMap::from([
        (
            "type",
            (
                Type::String,
                "A URI reference that identifies the problem type; `about:blank` here",
            ),
        ),
        ("title", (Type::String, "The status code's phrase")),
        ("status", (Type::Integer, "The HTTP status code")),
        (
            "detail",
            (
                Type::String,
                "A generic explanation; never the reason a credential failed",
            ),
        ),
    ]);
    let mut object =
        ObjectBuilder::new().description(Some("RFC 9457 problem details of a refused request"));
    for (name, (kind, description)) in members {
        object = object
            .property(
                name,
                ObjectBuilder::new()
                    .schema_type(kind)
                    .description(Some(description)),
            )
            .required(name);
    }
    object.build().into()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn sets(expression: Value) -> Vec<Vec<String>> {
        alternatives(&expression, MAX_ALTERNATIVES).unwrap()
    }

    #[test]
    fn all_is_one_set_and_any_is_one_set_per_alternative() {
        assert_eq!(sets(json!({"all": ["a", "b"]})), [["a", "b"]]);
        assert_eq!(sets(json!({"any": ["a", "b"]})), [["a"], ["b"]]);
        assert_eq!(sets(json!("a")), [["a"]]);
    }

    #[test]
    fn nested_forms_are_normalised_to_or_of_and() {
        assert_eq!(
            sets(json!({"all": ["a", {"any": ["b", "c"]}]})),
            [vec!["a", "b"], vec!["a", "c"]]
        );
        assert_eq!(
            sets(json!({"any": ["a", {"all": ["b", "c"]}]})),
            [vec!["a"], vec!["b", "c"]]
        );
        // a or (a and b) is a; (a or b) and (b or c) is b or (a and c).
        assert_eq!(sets(json!({"any": ["a", {"all": ["a", "b"]}]})), [["a"]]);
        // A set named twice is kept once, where it was named first.
        assert_eq!(sets(json!({"any": ["a", "a"]})), [["a"]]);
        assert_eq!(sets(json!({"any": ["a", "b", "a"]})), [["a"], ["b"]]);
        assert_eq!(
            sets(json!({"all": [{"any": ["a", "b"]}, {"any": ["b", "c"]}]})),
            [vec!["a", "c"], vec!["b"]]
        );
    }

    #[test]
    fn past_the_cap_there_is_no_exact_form() {
        let eight = json!({"any": ["a", "b", "c", "d", "e", "f", "g", "h"]});
        let two_terms = json!({"all": [eight.clone(), {"any": ["i", "j", "k", "l"]}]});
        assert_eq!(sets(two_terms).len(), 32);
        let other = json!({"any": ["i", "j", "k", "l", "m", "n", "o", "p"]});
        let three = json!({"all": [eight.clone(), other, {"any": ["x", "y"]}]});
        assert!(alternatives(&three, MAX_ALTERNATIVES).is_none());
        let security = security(&json!({"schemes": ["Bearer"], "scope": three}), &[]);
        assert_eq!(security.len(), 1);
        assert_eq!(
            serde_json::to_value(&security[0]).unwrap(),
            json!({"Bearer": []})
        );
    }

    #[test]
    fn the_expansion_gives_up_past_four_times_the_cap() {
        // With a cap of 4, no step may build more than 16 sets, even when they would collapse.
        let four = json!({"any": ["a", "b", "c", "d"]});
        let three = json!({"any": ["a", "b", "c"]});
        let single = |expression: Value| alternatives(&expression, 4);
        let letters = |sets: &[&[&str]]| {
            sets.iter()
                .map(|set| set.iter().map(|s| s.to_string()).collect())
                .collect::<Vec<Vec<String>>>()
        };
        // `any`: 16 sets are built (all but 4 absorbed), 18 are not.
        let any = |parts: Vec<Value>| single(json!({ "any": parts }));
        assert_eq!(
            any(vec![four.clone(); 4]),
            Some(letters(&[&["a"], &["b"], &["c"], &["d"]]))
        );
        assert_eq!(any(vec![three.clone(); 6]), None);
        assert_eq!(
            any(vec![three.clone(); 5]),
            Some(letters(&[&["a"], &["b"], &["c"]]))
        );
        // `all`: a product of 16 sets is built, one of 24 is not, though it would collapse.
        assert_eq!(
            single(json!({"all": [four.clone(), four.clone()]})),
            Some(letters(&[&["a"], &["b"], &["c"], &["d"]]))
        );
        let six = ["a", "b", "c", "d", "e", "f"];
        let with = |extra: &str| {
            let mut all = six.to_vec();
            all.push(extra);
            json!({ "all": all })
        };
        let collapsing = json!({"all": [
            four,
            {"any": ["e", "f"]},
            {"any": [with("p"), with("q"), with("r")]},
        ]});
        assert_eq!(single(collapsing), None);
        // Anything else is no expression.
        assert_eq!(single(json!({"one": ["a"]})), None);
        assert_eq!(single(json!(["a"])), None);
    }

    #[test]
    fn schemes_optional_and_public() {
        let value = |requirement: Value| {
            serde_json::to_value(security(&requirement, &["Bearer".into(), "Basic".into()]))
                .unwrap()
        };
        assert_eq!(
            value(json!({"schemes": ["Basic", "Bearer"], "scope": {"any": ["a", "b"]}})),
            json!([{"Basic": ["a"]}, {"Basic": ["b"]}, {"Bearer": ["a"]}, {"Bearer": ["b"]}])
        );
        assert_eq!(
            value(json!({"schemes": [], "scope": null, "optional": true})),
            json!([{"Bearer": []}, {"Basic": []}, {}])
        );
        assert_eq!(value(json!({"schemes": [], "public": true})), json!([{}]));
    }
}
