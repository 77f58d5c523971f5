//! Validation: the rules the parser and rustc do not enforce, checked on the model (token
//! syntax, argument combinations, the handler's shape).

use proc_macro2::Span;
use syn::{FnArg, LitStr, Signature, Type};

use crate::ast::{path_text, ungroup, Acr, Handler, Requirement, Scheme, ScopeExpr, TokenKind};
use crate::errors::Errors;

/// Checks what the arguments ask for; every problem is pushed to `errors`.
pub(crate) fn check_requirement(requirement: &Requirement, errors: &mut Errors) {
    check_schemes(requirement, errors);
    if let Some(scope) = &requirement.scope {
        check_token_expr(scope, TokenKind::Scope, true, errors);
    }
    if let Some(roles) = &requirement.roles {
        check_token_expr(roles, TokenKind::Role, true, errors);
    }
    if let Some(acr) = &requirement.acr {
        check_acr(acr, errors);
    }
    check_step_up_schemes(requirement, errors);
    if let Some(realm) = &requirement.realm {
        check_realm(realm, errors);
    }
    if let Some(optional) = requirement.optional {
        check_optional(requirement, optional, errors);
    }
}

/// `acr` values are sent space-separated in the step-up challenge's `acr_values` (RFC 9470 §3)
/// and compared exactly with the token's `acr`: each is a non-empty token of printable ASCII
/// without space, `"` or `\`, listed once, and `any()` lists at least one.
fn check_acr(acr: &Acr, errors: &mut Errors) {
    if let (Some(any), true) = (acr.any, acr.values.is_empty()) {
        errors.at(
            any,
            "`acr = any()` lists no values; write at least one, as in `acr = any(\"urn:example:mfa\", \"urn:example:hwk\")`",
        );
    }
    for (index, lit) in acr.values.iter().enumerate() {
        let value = lit.value();
        let shown = escaped(&value);
        if value.is_empty() {
            errors.at(
                lit.span(),
                "empty `acr` in `#[requires]`; an authentication context class reference has at least one character, as in `\"urn:example:mfa\"`",
            );
        } else if value.contains(' ') {
            errors.at(
                lit.span(),
                format!("`acr` value `{shown}` contains a space; `acr_values` are space-separated, so each value is one token: list several with `acr = any(..)`"),
            );
        } else if let Some(bad) = value.chars().find(|&c| !is_scope_char(c)) {
            errors.at(
                lit.span(),
                format!(
                    "`acr` value `{shown}` contains {}, which an `acr` value cannot contain; use printable ASCII other than space, `\"` and `\\`",
                    describe(bad),
                ),
            );
        } else if acr.values[..index]
            .iter()
            .any(|earlier| earlier.value() == value)
        {
            errors.at(
                lit.span(),
                format!("`acr` value `{shown}` is listed twice; list each value once"),
            );
        }
    }
}

/// `acr` and `max_age` are checked on the claims a token carries (`acr`, `auth_time`) and asked
/// for with an RFC 9470 challenge: `Basic` and `ApiKey` credentials say neither how nor when
/// the user authenticated, so an endpoint that accepts only them could never be satisfied.
fn check_step_up_schemes(requirement: &Requirement, errors: &mut Errors) {
    let can_step_up = |scheme: &Scheme| match scheme {
        Scheme::Builtin { scheme, .. } => scheme.name == "Bearer",
        Scheme::Custom(_) => true,
    };
    if requirement.schemes.is_empty() || requirement.schemes.iter().any(can_step_up) {
        return;
    }
    let accepted = requirement
        .schemes
        .iter()
        .map(scheme_shown)
        .collect::<Vec<_>>()
        .join(" and ");
    let keys = [
        requirement.acr.as_ref().map(|acr| ("acr", acr.key)),
        requirement.max_age.as_ref().map(|age| ("max_age", age.key)),
    ];
    for (key, span) in keys.into_iter().flatten() {
        errors.at(
            span,
            format!("`{key}` cannot be checked on {accepted} credentials, which do not say how or when the user authenticated; accept `\"Bearer\"` tokens (or a custom scheme whose principal carries `acr` and `auth_time`)"),
        );
    }
}

/// `optional` lets requests without credentials in, which `scope`, `role`, `acr`, `max_age` and
/// `policy` cannot allow.
fn check_optional(requirement: &Requirement, optional: Span, errors: &mut Errors) {
    let needs_principal: Vec<&str> = [
        requirement.scope.as_ref().map(|_| "scope"),
        requirement.roles.as_ref().map(|_| "role"),
        requirement.acr.as_ref().map(|_| "acr"),
        requirement.max_age.as_ref().map(|_| "max_age"),
        requirement.policy.as_ref().map(|_| "policy"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let message = match needs_principal.as_slice() {
        [] => return,
        ["scope"] => {
            "`optional` cannot be combined with `scope`: a scope needs credentials".to_owned()
        }
        ["role"] => {
            "`optional` cannot be combined with `role`: a role needs credentials".to_owned()
        }
        [key @ ("acr" | "max_age")] => {
            format!("`optional` cannot be combined with `{key}`: a step-up needs credentials")
        }
        ["policy"] => {
            "`optional` cannot be combined with `policy`: a policy needs an authenticated principal"
                .to_owned()
        }
        keys => format!(
            "`optional` cannot be combined with {}: they need credentials",
            keys.iter()
                .map(|key| format!("`{key}`"))
                .collect::<Vec<_>>()
                .join(" or "),
        ),
    };
    errors.at(optional, message);
}

fn check_schemes(requirement: &Requirement, errors: &mut Errors) {
    let schemes = &requirement.schemes;
    if let (Some(any), true) = (requirement.schemes_any, schemes.is_empty()) {
        errors.at(
            any,
            "`scheme = any()` lists no schemes; write at least one, as in `scheme = any(\"Bearer\", \"Basic\")`",
        );
    }
    for (index, scheme) in schemes.iter().enumerate() {
        if schemes[..index]
            .iter()
            .any(|earlier| same_scheme(earlier, scheme))
        {
            let message = format!(
                "scheme {} is listed twice in `scheme = any(..)`; list each scheme once",
                scheme_shown(scheme),
            );
            match scheme {
                Scheme::Builtin { span, .. } => errors.at(*span, message),
                Scheme::Custom(path) => errors.at_tokens(path, message),
            }
        }
    }
}

fn same_scheme(a: &Scheme, b: &Scheme) -> bool {
    match (a, b) {
        (Scheme::Builtin { scheme: a, .. }, Scheme::Builtin { scheme: b, .. }) => a.name == b.name,
        // Two paths may name one type (`Session`, `crate::Session`); the runtime sees that case.
        (Scheme::Custom(a), Scheme::Custom(b)) => path_text(a) == path_text(b),
        _ => false,
    }
}

/// `` `Basic` `` or `` `my::Scheme` ``.
fn scheme_shown(scheme: &Scheme) -> String {
    format!("`{}`", scheme.text().trim_matches('"'))
}

fn check_token_expr(expr: &ScopeExpr, kind: TokenKind, top_level: bool, errors: &mut Errors) {
    match expr {
        ScopeExpr::Token(lit) => check_token(lit, kind, top_level, errors),
        ScopeExpr::All(parts, span) | ScopeExpr::Any(parts, span) => {
            if parts.is_empty() {
                let name = if matches!(expr, ScopeExpr::All(..)) {
                    "all"
                } else {
                    "any"
                };
                let [first, second] = kind.examples();
                errors.at(
                    *span,
                    format!(
                        "`{name}()` lists no {}; write at least one, as in `{name}(\"{first}\", \"{second}\")`",
                        kind.plural(),
                    ),
                );
            }
            for part in parts {
                check_token_expr(part, kind, false, errors);
            }
        }
    }
}

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`. Roles are matched as tokens
/// the same way, so they follow the same rule.
fn check_token(lit: &LitStr, kind: TokenKind, top_level: bool, errors: &mut Errors) {
    let noun = kind.key();
    let [example, _] = kind.examples();
    let token = lit.value();
    // Only a refused token is shown, so it is escaped only then.
    let shown = || escaped(&token);
    if token.contains(' ') {
        let words: Vec<&str> = token.split(' ').filter(|word| !word.is_empty()).collect();
        let fix = match words.as_slice() {
            [] => format!("a {noun} token such as `\"{example}\"`"),
            [word] => format!("`\"{}\"`", escaped(word)),
            words => format!(
                "`{}all({})`",
                if top_level {
                    format!("{noun} = ")
                } else {
                    String::new()
                },
                words
                    .iter()
                    .map(|word| format!("\"{}\"", escaped(word)))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        };
        errors.at(
            lit.span(),
            format!(
                "{noun} `{}` contains a space; a {noun} token cannot contain spaces: write {fix}",
                shown()
            ),
        );
    } else if token.is_empty() {
        errors.at(
            lit.span(),
            format!("empty {noun} in `#[requires]`; a {noun} token has at least one character, as in `\"{example}\"`"),
        );
    } else if let Some(bad) = token.chars().find(|&c| !is_scope_char(c)) {
        errors.at(
            lit.span(),
            format!(
                "{noun} `{}` contains {}, which a {noun} token cannot contain; use printable ASCII other than space, `\"` and `\\` (RFC 6749 §3.3)",
                shown(),
                describe(bad),
            ),
        );
    }
}

fn is_scope_char(c: char) -> bool {
    matches!(c, '\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e')
}

/// The realm is sent inside a `WWW-Authenticate` header, where a line break would end the header
/// early (response splitting) and other control characters are not allowed.
fn check_realm(lit: &LitStr, errors: &mut Errors) {
    let realm = lit.value();
    if realm.is_empty() {
        errors.at(
            lit.span(),
            "`realm` cannot be empty; write a realm such as `realm = \"api\"`, or leave `realm` out to use the configured one",
        );
    } else if let Some(bad) = realm.chars().find(|&c| !is_printable(c)) {
        errors.at(
            lit.span(),
            format!(
                "`realm` contains {}; a realm is sent in the `WWW-Authenticate` header and cannot contain control characters or line breaks",
                describe(bad),
            ),
        );
    }
}

fn is_printable(c: char) -> bool {
    !c.is_control() && !matches!(c, '\u{2028}' | '\u{2029}')
}

fn describe(c: char) -> String {
    if !is_printable(c) {
        format!("the control character `{}`", c.escape_default())
    } else if !c.is_ascii() {
        format!("the non-ASCII character `{c}`")
    } else {
        format!("`{c}`")
    }
}

/// The text with control characters escaped, so a message never carries a raw line break.
fn escaped(text: &str) -> String {
    text.chars()
        .map(|c| {
            if !is_printable(c) {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Checks that the function can be a `#[requires]` handler; every problem is pushed to `errors`.
pub(crate) fn check_handler(handler: &Handler, errors: &mut Errors) {
    let sig = &handler.sig;
    check_qualifiers(sig, errors);
    for input in &sig.inputs {
        check_parameter(input, errors);
    }
    if let Some(variadic) = &sig.variadic {
        errors.at_tokens(
            variadic,
            "`#[requires]` handlers cannot be variadic; remove `...`",
        );
    }
    for attr in &handler.attrs {
        if attr
            .path()
            .segments
            .last()
            .is_some_and(|last| last.ident == "requires")
        {
            errors.at_tokens(
                attr,
                "`#[requires]` is given twice on this handler; merge the arguments into one `#[requires(..)]`",
            );
        }
    }
}

/// An `async fn`, not `unsafe`, without generics.
fn check_qualifiers(sig: &Signature, errors: &mut Errors) {
    if sig.asyncness.is_none() {
        errors.at(
            sig.fn_token.span,
            "`#[requires]` needs an `async fn` handler; write `async fn name(..)`",
        );
    }
    if let Some(unsafety) = &sig.unsafety {
        errors.at(
            unsafety.span,
            "`#[requires]` handlers cannot be `unsafe`; remove `unsafe`",
        );
    }
    if !sig.generics.params.is_empty() {
        errors.at_tokens(
            &sig.generics,
            "handlers with generics are not supported by `#[requires]`; use concrete types",
        );
    }
}

/// Neither `self` nor `impl Trait`.
fn check_parameter(input: &FnArg, errors: &mut Errors) {
    match input {
        FnArg::Receiver(receiver) => errors.at_tokens(
            receiver,
            "`#[requires]` goes on a free `async fn` handler, not a method with `self`",
        ),
        FnArg::Typed(typed) => {
            if let Type::ImplTrait(ty) = ungroup(&typed.ty) {
                errors.at_tokens(
                    ty,
                    "`impl Trait` parameters make the handler generic, which `#[requires]` does not support; use a concrete type",
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;
    use crate::attr::{parse_handler, parse_requirement};

    fn requirement_errors(args: proc_macro2::TokenStream) -> Vec<String> {
        let mut errors = Errors::default();
        let requirement = parse_requirement(args, &mut errors);
        check_requirement(&requirement, &mut errors);
        messages(errors)
    }

    fn handler_errors(item: proc_macro2::TokenStream) -> Vec<String> {
        let mut errors = Errors::default();
        check_handler(&parse_handler(item).unwrap(), &mut errors);
        messages(errors)
    }

    fn messages(errors: Errors) -> Vec<String> {
        match errors.finish() {
            Ok(()) => Vec::new(),
            Err(error) => error.into_iter().map(|error| error.to_string()).collect(),
        }
    }

    #[test]
    fn accepted_arguments_pass() {
        for args in [
            quote!(),
            quote!(scope = "items:read"),
            quote!(scope = "urn:example:scope/*!#$%&'()+,-./;<=>?@[]^_`{|}~"),
            quote!(
                scope = any("admin", all("x", "y")),
                realm = "the \"api\" realm"
            ),
            quote!(scheme = "BEARER", optional, realm = "api"),
            quote!(scheme = any("Bearer", "Basic", Session, auth::Session)),
            quote!(
                scheme = any("ApiKey"),
                role = any("admin", all("staff", "tenant:a")),
                policy = check
            ),
            quote!(scheme = Session, optional),
        ] {
            assert_eq!(requirement_errors(args), Vec::<String>::new());
        }
    }

    #[test]
    fn step_up_arguments_pass_with_bearer_or_custom_schemes() {
        for args in [
            quote!(acr = "urn:example:mfa"),
            quote!(scope = "items:read", acr = any("a", "b"), max_age = 300),
            quote!(scheme = any("Basic", "Bearer"), max_age = 0),
            quote!(
                scheme = Session,
                acr = "phr",
                role = "admin",
                policy = check
            ),
        ] {
            assert_eq!(requirement_errors(args), Vec::<String>::new());
        }
    }

    #[test]
    fn bad_acr_values_are_refused() {
        assert_eq!(
            requirement_errors(quote!(acr = "")),
            ["empty `acr` in `#[requires]`; an authentication context class reference has at least one character, as in `\"urn:example:mfa\"`"]
        );
        assert_eq!(
            requirement_errors(quote!(acr = any())),
            ["`acr = any()` lists no values; write at least one, as in `acr = any(\"urn:example:mfa\", \"urn:example:hwk\")`"]
        );
        assert_eq!(
            requirement_errors(quote!(acr = "mfa hwk")),
            ["`acr` value `mfa hwk` contains a space; `acr_values` are space-separated, so each value is one token: list several with `acr = any(..)`"]
        );
        assert_eq!(
            requirement_errors(quote!(acr = any("a", "a\"b", "a"))),
            [
                "`acr` value `a\"b` contains `\"`, which an `acr` value cannot contain; use printable ASCII other than space, `\"` and `\\`",
                "`acr` value `a` is listed twice; list each value once",
            ]
        );
    }

    #[test]
    fn step_up_needs_a_scheme_that_says_how_the_user_authenticated() {
        assert_eq!(
            requirement_errors(quote!(scheme = "Basic", acr = "mfa", max_age = 60)),
            [
                "`acr` cannot be checked on `Basic` credentials, which do not say how or when the user authenticated; accept `\"Bearer\"` tokens (or a custom scheme whose principal carries `acr` and `auth_time`)",
                "`max_age` cannot be checked on `Basic` credentials, which do not say how or when the user authenticated; accept `\"Bearer\"` tokens (or a custom scheme whose principal carries `acr` and `auth_time`)",
            ]
        );
        assert_eq!(
            requirement_errors(quote!(scheme = any("Basic", "ApiKey"), max_age = 60)).len(),
            1
        );
        assert_eq!(
            requirement_errors(quote!(optional, max_age = 60)),
            ["`optional` cannot be combined with `max_age`: a step-up needs credentials"]
        );
    }

    #[test]
    fn a_scope_with_spaces_gets_a_fix() {
        assert_eq!(
            requirement_errors(quote!(scope = "items:read items:write")),
            ["scope `items:read items:write` contains a space; a scope token cannot contain spaces: write `scope = all(\"items:read\", \"items:write\")`"]
        );
        assert_eq!(
            requirement_errors(quote!(scope = any("a b", "c"))),
            ["scope `a b` contains a space; a scope token cannot contain spaces: write `all(\"a\", \"b\")`"]
        );
        assert_eq!(
            requirement_errors(quote!(scope = " admin ")),
            ["scope ` admin ` contains a space; a scope token cannot contain spaces: write `\"admin\"`"]
        );
    }

    #[test]
    fn empty_and_badly_spelled_scopes_are_refused() {
        assert_eq!(
            requirement_errors(quote!(scope = "")),
            ["empty scope in `#[requires]`; a scope token has at least one character, as in `\"items:read\"`"]
        );
        assert_eq!(
            requirement_errors(quote!(scope = "items\"read")),
            ["scope `items\"read` contains `\"`, which a scope token cannot contain; use printable ASCII other than space, `\"` and `\\` (RFC 6749 §3.3)"]
        );
        let errors = requirement_errors(quote!(scope = all("a\\b", "lés", "x\ty")));
        assert_eq!(errors.len(), 3);
        assert!(errors[0].contains("contains `\\`, which"));
        assert!(errors[1].contains("contains the non-ASCII character `é`"));
        assert!(errors[2].starts_with("scope `x\\ty` contains the control character `\\t`"));
    }

    #[test]
    fn empty_combinators_are_refused() {
        assert_eq!(
            requirement_errors(quote!(scope = any("a", all()))),
            ["`all()` lists no scopes; write at least one, as in `all(\"items:read\", \"items:write\")`"]
        );
        assert_eq!(requirement_errors(quote!(scope = any())).len(), 1);
    }

    #[test]
    fn realm_must_be_printable() {
        assert_eq!(
            requirement_errors(quote!(realm = "")),
            ["`realm` cannot be empty; write a realm such as `realm = \"api\"`, or leave `realm` out to use the configured one"]
        );
        assert_eq!(
            requirement_errors(quote!(realm = "api\r\nX-Injected: 1")),
            ["`realm` contains the control character `\\r`; a realm is sent in the `WWW-Authenticate` header and cannot contain control characters or line breaks"]
        );
        assert_eq!(requirement_errors(quote!(realm = "a\u{7f}")).len(), 1);
        assert_eq!(requirement_errors(quote!(realm = "a\u{2028}")).len(), 1);
        assert_eq!(requirement_errors(quote!(realm = "a\tb")).len(), 1);
        assert!(requirement_errors(quote!(realm = "caf\u{e9}")).is_empty());
    }

    #[test]
    fn optional_excludes_scope_role_and_policy() {
        assert_eq!(
            requirement_errors(quote!(optional, scope = "a")),
            ["`optional` cannot be combined with `scope`: a scope needs credentials"]
        );
        assert_eq!(
            requirement_errors(quote!(role = "admin", optional)),
            ["`optional` cannot be combined with `role`: a role needs credentials"]
        );
        assert_eq!(
            requirement_errors(quote!(optional, policy = check)),
            ["`optional` cannot be combined with `policy`: a policy needs an authenticated principal"]
        );
        assert_eq!(
            requirement_errors(quote!(optional, scope = "a", role = "b", policy = c)),
            ["`optional` cannot be combined with `scope` or `role` or `policy`: they need credentials"]
        );
    }

    #[test]
    fn an_empty_scheme_list_is_refused() {
        assert_eq!(
            requirement_errors(quote!(scheme = any())),
            ["`scheme = any()` lists no schemes; write at least one, as in `scheme = any(\"Bearer\", \"Basic\")`"]
        );
    }

    #[test]
    fn a_repeated_scheme_is_refused_at_the_repetition() {
        assert_eq!(
            requirement_errors(quote!(scheme = any("Bearer", "Basic", "bearer"))),
            ["scheme `Bearer` is listed twice in `scheme = any(..)`; list each scheme once"]
        );
        assert_eq!(
            requirement_errors(quote!(scheme = any(auth::Session, "Basic", auth::Session))),
            ["scheme `auth::Session` is listed twice in `scheme = any(..)`; list each scheme once"]
        );
        assert_eq!(
            requirement_errors(quote!(scheme = any("Basic", "Basic", "Basic"))).len(),
            2
        );
        assert!(requirement_errors(quote!(scheme = any(Session, auth::Session))).is_empty());
    }

    #[test]
    fn roles_follow_the_scope_token_rules_in_their_own_words() {
        assert_eq!(
            requirement_errors(quote!(role = "admin owner")),
            ["role `admin owner` contains a space; a role token cannot contain spaces: write `role = all(\"admin\", \"owner\")`"]
        );
        assert_eq!(
            requirement_errors(quote!(role = any("staff", "billing admin"))),
            ["role `billing admin` contains a space; a role token cannot contain spaces: write `all(\"billing\", \"admin\")`"]
        );
        assert_eq!(
            requirement_errors(quote!(role = "")),
            ["empty role in `#[requires]`; a role token has at least one character, as in `\"admin\"`"]
        );
        assert_eq!(
            requirement_errors(quote!(role = any())),
            ["`any()` lists no roles; write at least one, as in `any(\"admin\", \"owner\")`"]
        );
        assert_eq!(
            requirement_errors(quote!(role = "r\u{f4}le")),
            ["role `r\u{f4}le` contains the non-ASCII character `\u{f4}`, which a role token cannot contain; use printable ASCII other than space, `\"` and `\\` (RFC 6749 §3.3)"]
        );
    }

    #[test]
    fn every_problem_is_reported_together() {
        let errors =
            requirement_errors(quote!(scop = "a", scope = "a b", realm = "", scheme = "x"));
        assert_eq!(errors.len(), 4, "{errors:?}");
    }

    #[test]
    fn handler_shape_is_checked() {
        assert_eq!(
            handler_errors(quote!(
                async fn ok(who: Identity, body: web::Json<T>) {}
            )),
            Vec::<String>::new()
        );
        assert_eq!(
            handler_errors(quote!(
                fn sync() {}
            )),
            ["`#[requires]` needs an `async fn` handler; write `async fn name(..)`"]
        );
        assert_eq!(
            handler_errors(quote!(
                async fn method(&self) {}
            )),
            ["`#[requires]` goes on a free `async fn` handler, not a method with `self`"]
        );
        assert_eq!(
            handler_errors(quote!(
                async fn generic<T: FromRequest>(t: T) {}
            )),
            ["handlers with generics are not supported by `#[requires]`; use concrete types"]
        );
        assert_eq!(
            handler_errors(quote!(
                async fn lifetime<'a>() {}
            ))
            .len(),
            1
        );
        assert_eq!(
            handler_errors(quote!(
                async fn anonymous(t: impl FromRequest) {}
            ))
            .len(),
            1
        );
        assert_eq!(
            handler_errors(quote!(
                async unsafe fn f() {}
            ))
            .len(),
            1
        );
        assert_eq!(
            handler_errors(quote!(#[requires(scope = "b")] async fn twice() {})),
            ["`#[requires]` is given twice on this handler; merge the arguments into one `#[requires(..)]`"]
        );
        assert_eq!(
            handler_errors(quote!(
                fn all_wrong<T>(self, x: u8, ...) {}
            ))
            .len(),
            4
        );
    }
}
