use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{parenthesized, Ident, LitStr, Path, Token};

use crate::ast::{Requirement, Scheme, ScopeExpr, KNOWN_SCHEMES};
use crate::errors::Errors;
use crate::suggest::{did_you_mean, quoted_list};

const COMBINATORS: &[&str] = &["all", "any"];

/// The arguments `#[requires]` accepts.
#[derive(Clone, Copy, PartialEq)]
enum Key {
    Scheme,
    Scope,
    Realm,
    Optional,
    Crate,
}

impl Key {
    const ALL: [Key; 5] = [
        Key::Scheme,
        Key::Scope,
        Key::Realm,
        Key::Optional,
        Key::Crate,
    ];
    const NAMES: [&'static str; 5] = ["scheme", "scope", "realm", "optional", "crate"];

    fn name(self) -> &'static str {
        Key::NAMES[self as usize]
    }

    fn named(name: &str) -> Option<Key> {
        Key::ALL.into_iter().find(|key| key.name() == name)
    }
}

impl Requirement {
    /// Parses the arguments of `#[requires(..)]`. Problems are pushed to `errors` and parsing
    /// goes on with the next argument; it stops only where the syntax cannot be followed.
    pub(crate) fn from_args(args: TokenStream, errors: &mut Errors) -> Self {
        let mut requirement = Requirement::bearer();
        let mut seen: Vec<Key> = Vec::new();
        let parser =
            syn::meta::parser(|meta| parse_argument(&meta, &mut requirement, &mut seen, errors));
        if let Err(error) = parser.parse2(args) {
            errors.push(error);
        }
        requirement
    }
}

fn parse_argument(
    meta: &ParseNestedMeta,
    requirement: &mut Requirement,
    seen: &mut Vec<Key>,
    errors: &mut Errors,
) -> syn::Result<()> {
    let written = path_text(&meta.path);
    let Some(key) = Key::named(&written) else {
        let names = Key::ALL.map(Key::name);
        errors.at_tokens(
            &meta.path,
            format!(
                "unknown argument `{written}` in `#[requires]`; expected one of {}{}",
                quoted_list(&names),
                did_you_mean(&written, &names),
            ),
        );
        return skip_value(meta.input);
    };
    if seen.contains(&key) {
        errors.at_tokens(
            &meta.path,
            format!("`{written}` is given twice in `#[requires]`"),
        );
        return skip_value(meta.input);
    }
    seen.push(key);

    match key {
        Key::Scheme => {
            if let Some(lit) = string_value(meta, key, "Bearer", errors)? {
                if let Some(scheme) = scheme_named(&lit, errors) {
                    requirement.schemes = vec![scheme];
                }
            }
        }
        Key::Scope => {
            if !meta.input.peek(Token![=]) {
                errors.at_tokens(
                    &meta.path,
                    "`scope` needs a value; write `scope = \"items:read\"` or `scope = all(\"a\", \"b\")`",
                );
                return skip_value(meta.input);
            }
            let value = meta.value()?;
            match parse_scope(value, errors) {
                Ok(scope) => requirement.scope = scope,
                Err(error) => {
                    errors.push(error);
                    return skip_value(value);
                }
            }
        }
        Key::Realm => requirement.realm = string_value(meta, key, "api", errors)?,
        Key::Optional => {
            if meta.input.is_empty() || meta.input.peek(Token![,]) {
                requirement.optional = Some(meta.path.span());
            } else {
                errors.at_tokens(
                    &meta.path,
                    "`optional` is a flag and takes no value; write `optional`",
                );
                return skip_value(meta.input);
            }
        }
        Key::Crate => {
            if let Some(lit) = string_value(meta, key, "auth_runtime", errors)? {
                requirement.krate = crate_path(&lit, errors);
            }
        }
    }
    Ok(())
}

/// The literal of `key = "..."`; anything else is reported with the form to write instead.
fn string_value(
    meta: &ParseNestedMeta,
    key: Key,
    example: &str,
    errors: &mut Errors,
) -> syn::Result<Option<LitStr>> {
    let key = key.name();
    if !meta.input.peek(Token![=]) {
        errors.at_tokens(
            &meta.path,
            format!("`{key}` needs a value; write `{key} = \"{example}\"`"),
        );
        skip_value(meta.input)?;
        return Ok(None);
    }
    let value = meta.value()?;
    if value.peek(LitStr) {
        return value.parse().map(Some);
    }
    let written = tokens_until_comma(value)?;
    let fix = bare_path_text(&written).unwrap_or_else(|| example.to_owned());
    errors.at_tokens(
        &written,
        format!("`{key}` takes a string literal; write `{key} = \"{fix}\"`"),
    );
    Ok(None)
}

fn scheme_named(lit: &LitStr, errors: &mut Errors) -> Option<Scheme> {
    let written = lit.value();
    let known = KNOWN_SCHEMES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(&written));
    match known {
        Some(&(_, variant)) => Some(Scheme {
            variant,
            span: lit.span(),
        }),
        None => {
            let names: Vec<&str> = KNOWN_SCHEMES.iter().map(|(name, _)| *name).collect();
            errors.at(
                lit.span(),
                format!(
                    "unknown scheme `{}` in `#[requires]`; known schemes: {}{}",
                    written.escape_debug(),
                    quoted_list(&names),
                    did_you_mean(&written, &names),
                ),
            );
            None
        }
    }
}

/// `"token"`, `all(..)` or `any(..)`, nested. `Ok(None)` when an error was already pushed and the
/// tokens were consumed; `Err` when the syntax could not be followed.
fn parse_scope(input: ParseStream, errors: &mut Errors) -> syn::Result<Option<ScopeExpr>> {
    if input.peek(LitStr) {
        return input.parse().map(|lit| Some(ScopeExpr::Token(lit)));
    }
    if input.peek(Ident) && input.peek2(syn::token::Paren) {
        let combinator: Ident = input.parse()?;
        let content;
        parenthesized!(content in input);
        let mut parts = Vec::new();
        let mut complete = true;
        while !content.is_empty() {
            match parse_scope(&content, errors) {
                Ok(Some(part)) => parts.push(part),
                Ok(None) => complete = false,
                Err(error) => {
                    errors.push(error);
                    // Consume the rest so the enclosing parser does not report it again.
                    content.parse::<TokenStream>()?;
                    return Ok(None);
                }
            }
            if !content.is_empty() {
                if let Err(error) = content.parse::<Token![,]>() {
                    errors.push(error);
                    content.parse::<TokenStream>()?;
                    return Ok(None);
                }
            }
        }
        let span = combinator.span();
        return Ok(match combinator.to_string().as_str() {
            "all" if complete => Some(ScopeExpr::All(parts, span)),
            "any" if complete => Some(ScopeExpr::Any(parts, span)),
            "all" | "any" => None,
            other => {
                errors.at(
                    span,
                    format!(
                        "unknown scope combinator `{other}` in `#[requires]`; expected `all(..)` or `any(..)`{}",
                        did_you_mean(other, COMBINATORS),
                    ),
                );
                None
            }
        });
    }
    let written = tokens_until_comma(input)?;
    if written.is_empty() {
        return Err(input.error(
            "expected a scope: write `scope = \"items:read\"` or `scope = all(\"a\", \"b\")`",
        ));
    }
    let fix = match bare_path_text(&written) {
        Some(text) => format!("`\"{text}\"`"),
        None => "a string such as `\"items:read\"`".to_owned(),
    };
    errors.at_tokens(
        &written,
        format!("a scope is a string literal or `all(..)` / `any(..)` of scopes; write {fix}"),
    );
    Ok(None)
}

/// The path named by `crate = ".."`, spanned at the literal so that errors in it point there.
fn crate_path(lit: &LitStr, errors: &mut Errors) -> Option<Path> {
    let parsed = lit.value().parse::<TokenStream>().ok().and_then(|tokens| {
        let tokens: TokenStream = tokens
            .into_iter()
            .map(|mut token| {
                token.set_span(lit.span());
                token
            })
            .collect();
        Path::parse_mod_style.parse2(tokens).ok()
    });
    if parsed.is_none() {
        errors.at(
            lit.span(),
            format!(
                "`crate` must name a path, such as `crate = \"auth_runtime\"` or `crate = \"::deps::auth\"`; `{}` is not a path",
                lit.value().escape_debug(),
            ),
        );
    }
    parsed
}

/// Consumes the value of an argument that was already reported, up to the next `,`.
fn skip_value(input: ParseStream) -> syn::Result<()> {
    tokens_until_comma(input).map(drop)
}

fn tokens_until_comma(input: ParseStream) -> syn::Result<TokenStream> {
    input.step(|cursor| {
        let mut tokens = TokenStream::new();
        let mut rest = *cursor;
        while let Some((token, next)) = rest.token_tree() {
            if matches!(&token, TokenTree::Punct(punct) if punct.as_char() == ',') {
                break;
            }
            tokens.extend([token]);
            rest = next;
        }
        Ok((tokens, rest))
    })
}

/// `a::b` for a path written without quotes, so the fix can quote it.
fn bare_path_text(tokens: &TokenStream) -> Option<String> {
    let path = Path::parse_mod_style.parse2(tokens.clone()).ok()?;
    Some(path_text(&path))
}

fn path_text(path: &Path) -> String {
    path.to_token_stream().to_string().replace(' ', "")
}

#[cfg(test)]
mod tests {
    use quote::{quote, ToTokens};

    use super::*;

    fn parse(args: TokenStream) -> (Requirement, Vec<String>) {
        let mut errors = Errors::default();
        let requirement = Requirement::from_args(args, &mut errors);
        let messages = match errors.finish() {
            Ok(()) => Vec::new(),
            Err(error) => error.into_iter().map(|error| error.to_string()).collect(),
        };
        (requirement, messages)
    }

    fn parse_ok(args: TokenStream) -> Requirement {
        let (requirement, errors) = parse(args);
        assert_eq!(errors, Vec::<String>::new());
        requirement
    }

    fn scope_text(expr: &ScopeExpr) -> String {
        match expr {
            ScopeExpr::Token(lit) => lit.value(),
            ScopeExpr::All(parts, _) => {
                format!(
                    "all({})",
                    parts.iter().map(scope_text).collect::<Vec<_>>().join(", ")
                )
            }
            ScopeExpr::Any(parts, _) => {
                format!(
                    "any({})",
                    parts.iter().map(scope_text).collect::<Vec<_>>().join(", ")
                )
            }
        }
    }

    #[test]
    fn no_arguments_means_a_bearer_token() {
        let requirement = parse_ok(quote!());
        assert_eq!(requirement.schemes.len(), 1);
        assert_eq!(requirement.schemes[0].variant, "Bearer");
        assert!(requirement.scope.is_none());
        assert!(requirement.realm.is_none());
        assert!(requirement.optional.is_none());
        assert!(requirement.krate.is_none());
    }

    #[test]
    fn every_argument_is_read() {
        let requirement = parse_ok(quote!(
            scheme = "bearer",
            scope = any("admin", all("x", "y")),
            realm = "api",
            optional,
            crate = "::deps::auth",
        ));
        assert_eq!(requirement.schemes[0].variant, "Bearer");
        assert_eq!(
            scope_text(requirement.scope.as_ref().unwrap()),
            "any(admin, all(x, y))"
        );
        assert_eq!(requirement.realm.unwrap().value(), "api");
        assert!(requirement.optional.is_some());
        assert_eq!(
            requirement.krate.unwrap().to_token_stream().to_string(),
            ":: deps :: auth"
        );
    }

    #[test]
    fn empty_combinators_parse_for_validation_to_refuse() {
        let requirement = parse_ok(quote!(scope = all()));
        assert_eq!(scope_text(requirement.scope.as_ref().unwrap()), "all()");
    }

    #[test]
    fn unknown_argument_lists_the_keys_and_suggests_the_closest() {
        let (_, errors) = parse(quote!(scop = "items:read"));
        assert_eq!(
            errors,
            ["unknown argument `scop` in `#[requires]`; expected one of `scheme`, `scope`, `realm`, `optional`, `crate` (did you mean `scope`?)"]
        );
        let (_, errors) = parse(quote!(audience = "api"));
        assert_eq!(
            errors,
            ["unknown argument `audience` in `#[requires]`; expected one of `scheme`, `scope`, `realm`, `optional`, `crate`"]
        );
    }

    #[test]
    fn repeated_argument_is_reported_once_at_the_second() {
        let (requirement, errors) = parse(quote!(scope = "a", realm = "r", scope = "b"));
        assert_eq!(errors, ["`scope` is given twice in `#[requires]`"]);
        assert_eq!(scope_text(requirement.scope.as_ref().unwrap()), "a");
    }

    #[test]
    fn unknown_scheme_suggests_a_known_one() {
        let (_, errors) = parse(quote!(scheme = "Beaver"));
        assert_eq!(
            errors,
            ["unknown scheme `Beaver` in `#[requires]`; known schemes: `Bearer` (did you mean `Bearer`?)"]
        );
        let (_, errors) = parse(quote!(scheme = "Digest"));
        assert_eq!(
            errors,
            ["unknown scheme `Digest` in `#[requires]`; known schemes: `Bearer`"]
        );
    }

    #[test]
    fn unknown_combinator_names_all_and_any() {
        let (_, errors) = parse(quote!(scope = either("a", "b")));
        assert_eq!(
            errors,
            ["unknown scope combinator `either` in `#[requires]`; expected `all(..)` or `any(..)`"]
        );
        let (_, errors) = parse(quote!(scope = All("a")));
        assert_eq!(
            errors,
            ["unknown scope combinator `All` in `#[requires]`; expected `all(..)` or `any(..)` (did you mean `all`?)"]
        );
    }

    #[test]
    fn values_of_the_wrong_kind_say_what_to_write() {
        let (_, errors) = parse(quote!(scheme = Bearer, realm = 5, crate = auth_runtime));
        assert_eq!(
            errors,
            [
                "`scheme` takes a string literal; write `scheme = \"Bearer\"`",
                "`realm` takes a string literal; write `realm = \"api\"`",
                "`crate` takes a string literal; write `crate = \"auth_runtime\"`",
            ]
        );
        let (_, errors) = parse(quote!(scope = items, realm));
        assert_eq!(
            errors,
            [
                "a scope is a string literal or `all(..)` / `any(..)` of scopes; write `\"items\"`",
                "`realm` needs a value; write `realm = \"api\"`",
            ]
        );
        let (_, errors) = parse(quote!(optional = true, scope));
        assert_eq!(
            errors,
            [
                "`optional` is a flag and takes no value; write `optional`",
                "`scope` needs a value; write `scope = \"items:read\"` or `scope = all(\"a\", \"b\")`",
            ]
        );
    }

    #[test]
    fn errors_inside_nested_combinators_do_not_stop_the_other_arguments() {
        let (_, errors) = parse(quote!(scope = all("a", nope("b")), realm = 1, scop = "x"));
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].starts_with("unknown scope combinator `nope`"));
        assert!(errors[1].starts_with("`realm` takes a string literal"));
        assert!(errors[2].starts_with("unknown argument `scop`"));
    }

    #[test]
    fn invalid_crate_path_is_reported() {
        let (requirement, errors) = parse(quote!(crate = "auth runtime"));
        assert!(requirement.krate.is_none());
        assert_eq!(
            errors,
            ["`crate` must name a path, such as `crate = \"auth_runtime\"` or `crate = \"::deps::auth\"`; `auth runtime` is not a path"]
        );
        assert_eq!(parse(quote!(crate = "")).1.len(), 1);
        assert_eq!(parse(quote!(crate = "a::<b>")).1.len(), 1);
    }

    #[test]
    fn broken_syntax_stops_with_the_errors_found_so_far() {
        let (_, errors) = parse(quote!(scop = "a", "b"));
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].starts_with("unknown argument `scop`"));
    }
}
