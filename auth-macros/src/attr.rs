//! Parsing: the arguments of `#[requires(..)]` and the item under it, into the model of `ast`.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use syn::meta::ParseNestedMeta;
use syn::parse::discouraged::Speculative;
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{
    parenthesized, Attribute, Expr, ExprPath, Ident, Item, LitStr, Path, Signature, Token,
    Visibility,
};

use crate::ast::{
    path_text, Acr, BuiltinScheme, Handler, MaxAge, Requirement, Scheme, ScopeExpr, TokenKind,
    BUILTIN_SCHEMES,
};
use crate::errors::Errors;
use crate::head::simple_head;
use crate::suggest::{did_you_mean, quoted_list};

const COMBINATORS: &[&str] = &["all", "any"];

/// The arguments `#[requires]` accepts.
#[derive(Clone, Copy, PartialEq)]
enum Key {
    Scheme,
    Scope,
    Role,
    Acr,
    MaxAge,
    Policy,
    Realm,
    Optional,
    Crate,
}

impl Key {
    const ALL: [Key; 9] = [
        Key::Scheme,
        Key::Scope,
        Key::Role,
        Key::Acr,
        Key::MaxAge,
        Key::Policy,
        Key::Realm,
        Key::Optional,
        Key::Crate,
    ];
    const NAMES: [&'static str; 9] = [
        "scheme", "scope", "role", "acr", "max_age", "policy", "realm", "optional", "crate",
    ];

    fn name(self) -> &'static str {
        Key::NAMES[self as usize]
    }

    fn named(name: &str) -> Option<Key> {
        Key::ALL.into_iter().find(|key| key.name() == name)
    }
}

/// Parses the arguments of `#[requires(..)]`. Problems are pushed to `errors` and parsing goes
/// on with the next argument; it stops only where the syntax cannot be followed.
pub(crate) fn parse_requirement(args: TokenStream, errors: &mut Errors) -> Requirement {
    let mut requirement = Requirement::bearer();
    let mut seen: Vec<Key> = Vec::new();
    let parser =
        syn::meta::parser(|meta| parse_argument(&meta, &mut requirement, &mut seen, errors));
    if let Err(error) = parser.parse2(args) {
        errors.push(error);
    }
    requirement
}

/// Parses the arguments of `#[public]`: only `crate = ".."`.
pub(crate) fn parse_public(args: TokenStream, errors: &mut Errors) -> Requirement {
    let mut requirement = Requirement::bearer();
    requirement.public = Some(Span::call_site());
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("crate") {
            requirement.krate = string_value(&meta, Key::Crate, "auth_runtime", errors)?
                .and_then(|lit| crate_path(&lit, errors));
            return Ok(());
        }
        errors.at_tokens(
            &meta.path,
            format!(
                "`#[public]` takes no argument other than `crate`; `{}` belongs to `#[requires]`",
                path_text(&meta.path)
            ),
        );
        skip_value(meta.input)
    });
    if let Err(error) = parser.parse2(args) {
        errors.push(error);
    }
    requirement
}

/// The item `#[requires]` is placed on, which must be a function. Its body stays tokens: only
/// rustc parses it, once, when it compiles the expansion (and reports any mistake in it).
pub(crate) fn parse_handler(item: TokenStream) -> syn::Result<Handler> {
    let mut trees: Vec<TokenTree> = item.clone().into_iter().collect();
    let parsed = match trees.pop() {
        Some(TokenTree::Group(body)) if body.delimiter() == Delimiter::Brace => {
            if let Some((attrs, vis, sig)) = simple_head(&trees) {
                return Ok(Handler::new(attrs, vis, sig, body));
            }
            let head_tokens: TokenStream = trees.into_iter().collect();
            let head = |input: ParseStream| {
                let attrs = input.call(Attribute::parse_outer)?;
                let vis: Visibility = input.parse()?;
                let sig: Signature = input.parse()?;
                Ok((attrs, vis, sig))
            };
            head.parse2(head_tokens)
                .map(|(attrs, vis, sig)| Handler::new(attrs, vis, sig, body))
        }
        _ => Err(syn::Error::new(Span::call_site(), "expected a function")),
    };
    parsed.or_else(|error| match syn::parse2::<Item>(item)? {
        Item::Fn(_) => Err(error),
        other => Err(not_a_function(&other)),
    })
}

fn not_a_function(item: &Item) -> syn::Error {
    let (what, span) = match item {
        Item::Struct(item) => ("a `struct`", item.struct_token.span),
        Item::Enum(item) => ("an `enum`", item.enum_token.span),
        Item::Union(item) => ("a `union`", item.union_token.span),
        Item::Impl(item) => ("an `impl` block", item.impl_token.span),
        Item::Trait(item) => ("a `trait`", item.trait_token.span),
        Item::Mod(item) => ("a `mod`", item.mod_token.span),
        Item::Const(item) => ("a `const`", item.const_token.span),
        Item::Static(item) => ("a `static`", item.static_token.span),
        Item::Type(item) => ("a type alias", item.type_token.span),
        Item::Use(item) => ("a `use`", item.use_token.span),
        other => ("this item", other.span()),
    };
    syn::Error::new(
        span,
        format!("`#[requires]` goes on an `async fn` handler, not on {what}"),
    )
}

/// One `key = value` (or `optional`) of the argument list.
fn parse_argument(
    meta: &ParseNestedMeta,
    requirement: &mut Requirement,
    seen: &mut Vec<Key>,
    errors: &mut Errors,
) -> syn::Result<()> {
    let Some(key) = first_use_of_key(meta, seen, errors) else {
        return skip_value(meta.input);
    };
    match key {
        Key::Scheme => {
            if let Some((schemes, any)) = scheme_argument(meta, errors)? {
                requirement.schemes = schemes;
                requirement.schemes_any = any;
            }
        }
        Key::Scope => requirement.scope = token_argument(meta, TokenKind::Scope, errors)?,
        Key::Role => requirement.roles = token_argument(meta, TokenKind::Role, errors)?,
        Key::Acr => requirement.acr = acr_argument(meta, errors)?,
        Key::MaxAge => requirement.max_age = max_age_argument(meta, errors)?,
        Key::Policy => requirement.policy = policy_argument(meta, errors)?,
        Key::Realm => requirement.realm = string_value(meta, key, "api", errors)?,
        Key::Optional => requirement.optional = optional_flag(meta, errors)?,
        Key::Crate => {
            requirement.krate = string_value(meta, key, "auth_runtime", errors)?
                .and_then(|lit| crate_path(&lit, errors));
        }
    }
    Ok(())
}

/// The key of `meta`, unless it is unknown or was already given (both reported).
fn first_use_of_key(
    meta: &ParseNestedMeta,
    seen: &mut Vec<Key>,
    errors: &mut Errors,
) -> Option<Key> {
    let written = match meta.path.get_ident() {
        Some(ident) => ident.to_string(),
        None => path_text(&meta.path),
    };
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
        return None;
    };
    if seen.contains(&key) {
        errors.at_tokens(
            &meta.path,
            format!("`{written}` is given twice in `#[requires]`"),
        );
        return None;
    }
    seen.push(key);
    Some(key)
}

/// The input after `key =`, or `None` (with `missing` reported at the key) when there is no `=`.
fn value_of<'a>(
    meta: &ParseNestedMeta<'a>,
    missing: &str,
    errors: &mut Errors,
) -> syn::Result<Option<ParseStream<'a>>> {
    if meta.input.peek(Token![=]) {
        return meta.value().map(Some);
    }
    errors.at_tokens(&meta.path, missing);
    skip_value(meta.input)?;
    Ok(None)
}

/// The literal of `key = "..."`; anything else is reported with the form to write instead.
fn string_value(
    meta: &ParseNestedMeta,
    key: Key,
    example: &str,
    errors: &mut Errors,
) -> syn::Result<Option<LitStr>> {
    let key = key.name();
    let missing = format!("`{key}` needs a value; write `{key} = \"{example}\"`");
    let Some(value) = value_of(meta, &missing, errors)? else {
        return Ok(None);
    };
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

/// `optional`, which takes no value.
fn optional_flag(meta: &ParseNestedMeta, errors: &mut Errors) -> syn::Result<Option<Span>> {
    if meta.input.is_empty() || meta.input.peek(Token![,]) {
        return Ok(Some(meta.path.span()));
    }
    errors.at_tokens(
        &meta.path,
        "`optional` is a flag and takes no value; write `optional`",
    );
    skip_value(meta.input).map(|()| None)
}

/// The value of `scheme = ..`: the schemes, and the span of `any` when they were listed in
/// `any(..)`.
fn scheme_argument(
    meta: &ParseNestedMeta,
    errors: &mut Errors,
) -> syn::Result<Option<(Vec<Scheme>, Option<Span>)>> {
    let Some(value) = value_of(
        meta,
        "`scheme` needs a value; write `scheme = \"Bearer\"` or `scheme = any(\"Bearer\", \"Basic\")`",
        errors,
    )?
    else {
        return Ok(None);
    };
    parse_schemes(value, errors).or_else(|error| {
        errors.push(error);
        skip_value(value).map(|()| None)
    })
}

/// `scheme = <scheme>` or `scheme = any(<scheme>, ..)`, with the span of `any`. `Ok(None)` when
/// an error was already pushed and the tokens were consumed.
fn parse_schemes(
    input: ParseStream,
    errors: &mut Errors,
) -> syn::Result<Option<(Vec<Scheme>, Option<Span>)>> {
    if !(input.peek(Ident) && input.peek2(syn::token::Paren)) {
        return Ok(parse_scheme(input, true, errors)?.map(|scheme| (vec![scheme], None)));
    }
    let combinator: Ident = input.parse()?;
    let content;
    parenthesized!(content in input);
    let listed = parse_list(&content, errors, |content, errors| {
        listed_scheme(content, &combinator, errors)
    })?;
    Ok(listed
        .and_then(|(schemes, complete)| scheme_combinator(&combinator, schemes, complete, errors)))
}

/// One scheme inside `scheme = any(..)`, where another combinator cannot be nested.
fn listed_scheme(
    input: ParseStream,
    combinator: &Ident,
    errors: &mut Errors,
) -> syn::Result<Option<Scheme>> {
    if !(input.peek(Ident) && input.peek2(syn::token::Paren)) {
        return parse_scheme(input, false, errors);
    }
    let nested: Ident = input.parse()?;
    errors.at(
        nested.span(),
        format!("`{nested}(..)` cannot be nested in `scheme = {combinator}(..)`; list every scheme in one `any(..)`"),
    );
    skip_value(input).map(|()| None)
}

/// The schemes of `scheme = <combinator>(..)`, when the combinator is `any` and every scheme
/// was accepted.
fn scheme_combinator(
    combinator: &Ident,
    schemes: Vec<Scheme>,
    complete: bool,
    errors: &mut Errors,
) -> Option<(Vec<Scheme>, Option<Span>)> {
    let span = combinator.span();
    match combinator.to_string().as_str() {
        "any" if complete => return Some((schemes, Some(span))),
        "any" => {}
        "all" => {
            let fix = if complete && !schemes.is_empty() {
                let listed: Vec<String> = schemes.iter().map(Scheme::text).collect();
                format!("`scheme = any({})`", listed.join(", "))
            } else {
                "`scheme = any(..)`".to_owned()
            };
            errors.at(
                span,
                format!("`scheme = all(..)` cannot be satisfied: each request is verified with the credentials of one scheme; write {fix} to accept any of them"),
            );
        }
        other => errors.at(
            span,
            format!(
                "unknown scheme combinator `{other}` in `#[requires]`; expected `any(..)`{}",
                did_you_mean(other, &["any"]),
            ),
        ),
    }
    None
}

/// One scheme: a string naming a built-in scheme, or the path of a custom scheme type.
fn parse_scheme(
    input: ParseStream,
    top_level: bool,
    errors: &mut Errors,
) -> syn::Result<Option<Scheme>> {
    let prefix = if top_level { "scheme = " } else { "" };
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        return Ok(builtin_scheme(&lit, prefix, errors));
    }
    let fork = input.fork();
    if let Ok(path) = fork.parse::<Path>() {
        if fork.is_empty() || fork.peek(Token![,]) {
            input.advance_to(&fork);
            if let Some(ident) = path.get_ident() {
                let written = ident.to_string();
                if let Some(&BuiltinScheme { name, .. }) = known_scheme(&written) {
                    errors.at(
                        ident.span(),
                        format!("the built-in scheme `{name}` is written as a string; write `{prefix}\"{name}\"` (a path names a custom scheme type)"),
                    );
                    return Ok(None);
                }
            }
            return Ok(Some(Scheme::Custom(path)));
        }
    }
    let written = tokens_until_comma(input)?;
    if written.is_empty() {
        return Err(input.error(
            "expected a scheme: write `scheme = \"Bearer\"`, `scheme = MyScheme` or `scheme = any(\"Bearer\", \"Basic\")`",
        ));
    }
    errors.at_tokens(
        &written,
        "a scheme is a string naming a built-in scheme (`\"Bearer\"`, `\"Basic\"`, `\"ApiKey\"`, `\"DPoP\"`) or the path of a type implementing `CustomScheme`",
    );
    Ok(None)
}

fn known_scheme(written: &str) -> Option<&'static BuiltinScheme> {
    BUILTIN_SCHEMES
        .iter()
        .find(|scheme| scheme.name.eq_ignore_ascii_case(written))
}

fn builtin_scheme(lit: &LitStr, prefix: &str, errors: &mut Errors) -> Option<Scheme> {
    let written = lit.value();
    if let Some(scheme) = known_scheme(&written) {
        return Some(Scheme::Builtin {
            scheme,
            span: lit.span(),
        });
    }
    let names: Vec<&str> = BUILTIN_SCHEMES.iter().map(|scheme| scheme.name).collect();
    let hint = did_you_mean(&written, &names);
    // A quoted type name is most likely a custom scheme: say how to name one.
    let custom = match syn::parse_str::<Path>(&written) {
        Ok(path) if hint.is_empty() => format!(
            "; for a custom scheme, name its type without quotes: `{prefix}{}`",
            path_text(&path),
        ),
        _ => String::new(),
    };
    errors.at(
        lit.span(),
        format!(
            "unknown scheme `{}` in `#[requires]`; known schemes: {}{hint}{custom}",
            written.escape_debug(),
            quoted_list(&names),
        ),
    );
    None
}

/// The value of `scope = ..` or `role = ..`.
fn token_argument(
    meta: &ParseNestedMeta,
    kind: TokenKind,
    errors: &mut Errors,
) -> syn::Result<Option<ScopeExpr>> {
    let key = kind.key();
    let [first, second] = kind.examples();
    let combinator = match kind {
        TokenKind::Scope => "all",
        TokenKind::Role => "any",
    };
    let missing = format!(
        "`{key}` needs a value; write `{key} = \"{first}\"` or `{key} = {combinator}(\"{first}\", \"{second}\")`"
    );
    let Some(value) = value_of(meta, &missing, errors)? else {
        return Ok(None);
    };
    parse_token_expr(value, kind, errors).or_else(|error| {
        errors.push(error);
        skip_value(value).map(|()| None)
    })
}

/// `"token"`, `all(..)` or `any(..)`, nested: the value of `scope` and of `role`. `Ok(None)`
/// when an error was already pushed and the tokens were consumed; `Err` when the syntax could
/// not be followed.
fn parse_token_expr(
    input: ParseStream,
    kind: TokenKind,
    errors: &mut Errors,
) -> syn::Result<Option<ScopeExpr>> {
    if input.peek(LitStr) {
        return input.parse().map(|lit| Some(ScopeExpr::Token(lit)));
    }
    if input.peek(Ident) && input.peek2(syn::token::Paren) {
        return parse_token_combinator(input, kind, errors);
    }
    refuse_token_value(input, kind, errors)
}

/// `all(..)` or `any(..)` of token expressions.
fn parse_token_combinator(
    input: ParseStream,
    kind: TokenKind,
    errors: &mut Errors,
) -> syn::Result<Option<ScopeExpr>> {
    let combinator: Ident = input.parse()?;
    let content;
    parenthesized!(content in input);
    let Some((parts, complete)) = parse_list(&content, errors, |content, errors| {
        parse_token_expr(content, kind, errors)
    })?
    else {
        return Ok(None);
    };
    let span = combinator.span();
    Ok(match combinator.to_string().as_str() {
        "all" if complete => Some(ScopeExpr::All(parts, span)),
        "any" if complete => Some(ScopeExpr::Any(parts, span)),
        "all" | "any" => None,
        other => {
            errors.at(
                span,
                format!(
                    "unknown {} combinator `{other}` in `#[requires]`; expected `all(..)` or `any(..)`{}",
                    kind.key(),
                    did_you_mean(other, COMBINATORS),
                ),
            );
            None
        }
    })
}

/// A token expression that is neither a literal nor a combinator: reported with the form to
/// write instead.
fn refuse_token_value(
    input: ParseStream,
    kind: TokenKind,
    errors: &mut Errors,
) -> syn::Result<Option<ScopeExpr>> {
    let (noun, plural) = (kind.key(), kind.plural());
    let [first, second] = kind.examples();
    let written = tokens_until_comma(input)?;
    if written.is_empty() {
        return Err(input.error(format!(
            "expected a {noun}: write `{noun} = \"{first}\"` or `{noun} = all(\"{first}\", \"{second}\")`"
        )));
    }
    let fix = match bare_path_text(&written) {
        Some(text) => format!("`\"{text}\"`"),
        None => format!("a string such as `\"{first}\"`"),
    };
    errors.at_tokens(
        &written,
        format!("a {noun} is a string literal or `all(..)` / `any(..)` of {plural}; write {fix}"),
    );
    Ok(None)
}

/// The comma-separated items inside a combinator's `(..)`, each parsed by `item`, and whether
/// every one was accepted (`item` gives `Ok(None)` for one it reported). `None` when the syntax
/// could not be followed: the error is pushed and the rest consumed, so that the enclosing
/// parser does not report it again.
fn parse_list<T>(
    content: ParseStream,
    errors: &mut Errors,
    mut item: impl FnMut(ParseStream, &mut Errors) -> syn::Result<Option<T>>,
) -> syn::Result<Option<(Vec<T>, bool)>> {
    let mut items = Vec::new();
    let mut complete = true;
    while !content.is_empty() {
        let parsed = item(content, errors).and_then(|parsed| {
            if !content.is_empty() {
                content.parse::<Token![,]>()?;
            }
            Ok(parsed)
        });
        match parsed {
            Ok(Some(parsed)) => items.push(parsed),
            Ok(None) => complete = false,
            Err(error) => {
                errors.push(error);
                content.parse::<TokenStream>()?;
                return Ok(None);
            }
        }
    }
    Ok(Some((items, complete)))
}

/// The value of `acr = "value"` or `acr = any("a", "b")` (RFC 9470 `acr_values`).
fn acr_argument(meta: &ParseNestedMeta, errors: &mut Errors) -> syn::Result<Option<Acr>> {
    let key = meta.path.span();
    let Some(value) = value_of(
        meta,
        "`acr` needs a value; write `acr = \"urn:example:mfa\"` or `acr = any(\"urn:example:mfa\", \"urn:example:hwk\")`",
        errors,
    )?
    else {
        return Ok(None);
    };
    if value.peek(LitStr) {
        let lit: LitStr = value.parse()?;
        return Ok(Some(Acr {
            values: vec![lit],
            key,
            any: None,
        }));
    }
    if !(value.peek(Ident) && value.peek2(syn::token::Paren)) {
        return refuse_acr_value(value, "`acr` takes", "acr = ", errors).map(|_| None);
    }
    let combinator: Ident = value.parse()?;
    let content;
    parenthesized!(content in value);
    let listed = parse_list(&content, errors, |content, errors| {
        listed_acr(content, &combinator, errors)
    })?;
    let Some((values, complete)) = listed else {
        return Ok(None);
    };
    let span = combinator.span();
    match combinator.to_string().as_str() {
        "any" if complete => {
            return Ok(Some(Acr {
                values,
                key,
                any: Some(span),
            }))
        }
        "any" => {}
        "all" => errors.at(
            span,
            "`acr = all(..)` cannot be satisfied: a user authenticates with one context class at a time; write `acr = any(..)` to accept any of them",
        ),
        other => errors.at(
            span,
            format!(
                "unknown acr combinator `{other}` in `#[requires]`; expected `any(..)`{}",
                did_you_mean(other, &["any"]),
            ),
        ),
    }
    Ok(None)
}

/// One value inside `acr = any(..)`, where another combinator cannot be nested.
fn listed_acr(
    input: ParseStream,
    combinator: &Ident,
    errors: &mut Errors,
) -> syn::Result<Option<LitStr>> {
    if input.peek(LitStr) {
        return input.parse().map(Some);
    }
    if input.peek(Ident) && input.peek2(syn::token::Paren) {
        let nested: Ident = input.parse()?;
        errors.at(
            nested.span(),
            format!("`{nested}(..)` cannot be nested in `acr = {combinator}(..)`; list every value in one `any(..)`"),
        );
        return skip_value(input).map(|()| None);
    }
    refuse_acr_value(input, "an `acr` value is", "", errors)
}

/// An `acr` value that is not a string literal, reported with the form to write instead.
fn refuse_acr_value(
    input: ParseStream,
    what: &str,
    prefix: &str,
    errors: &mut Errors,
) -> syn::Result<Option<LitStr>> {
    let written = tokens_until_comma(input)?;
    if written.is_empty() {
        return Err(input.error("expected an `acr` value: write `acr = \"urn:example:mfa\"`"));
    }
    let fix = bare_path_text(&written).unwrap_or_else(|| "urn:example:mfa".to_owned());
    errors.at_tokens(
        &written,
        format!("{what} a string literal; write `{prefix}\"{fix}\"`"),
    );
    Ok(None)
}

/// The value of `max_age = 300`: whole seconds since the user authenticated (RFC 9470
/// `max_age`).
fn max_age_argument(meta: &ParseNestedMeta, errors: &mut Errors) -> syn::Result<Option<MaxAge>> {
    let key = meta.path.span();
    let Some(value) = value_of(
        meta,
        "`max_age` needs a value; write `max_age = 300`, in seconds",
        errors,
    )?
    else {
        return Ok(None);
    };
    let written = tokens_until_comma(value)?;
    if written.is_empty() {
        return Err(value.error("expected a number of seconds: write `max_age = 300`"));
    }
    let message = match syn::parse2::<Expr>(written.clone()) {
        Ok(Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(lit),
            ..
        })) if lit.suffix().is_empty() => match lit.base10_parse::<u64>() {
            Ok(seconds) => return Ok(Some(MaxAge { seconds, key })),
            Err(_) => format!(
                "`max_age = {}` is too large; it is a number of seconds of at most {}",
                lit.base10_digits(),
                u64::MAX,
            ),
        },
        Ok(Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(lit),
            ..
        })) => format!(
            "`max_age` is a plain number of seconds, without the suffix `{}`; write `max_age = {}`",
            lit.suffix(),
            lit.base10_digits(),
        ),
        Ok(Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            ..
        })) => "`max_age` cannot be negative: it is the most seconds since the user authenticated, such as `max_age = 300`".to_owned(),
        Ok(Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Float(lit),
            ..
        })) => {
            let whole = lit.base10_digits().split(['.', 'e', 'E']).next().unwrap_or("300");
            let whole = if whole.is_empty() { "0" } else { whole };
            format!("`max_age` takes whole seconds, not a fraction; write `max_age = {whole}`")
        }
        Ok(Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(lit),
            ..
        })) if lit.value().parse::<u64>().is_ok() => format!(
            "`max_age` takes a number, not a string; write `max_age = {}`",
            lit.value(),
        ),
        _ => "`max_age` takes a whole number of seconds; write `max_age = 300`".to_owned(),
    };
    errors.at_tokens(&written, message);
    Ok(None)
}

/// The value of `policy = path::to::check`.
fn policy_argument(meta: &ParseNestedMeta, errors: &mut Errors) -> syn::Result<Option<ExprPath>> {
    let Some(value) = value_of(
        meta,
        "`policy` needs a value; write `policy = path::to::check`, naming an `async fn`",
        errors,
    )?
    else {
        return Ok(None);
    };
    parse_policy(value, errors)
}

/// `policy = path::to::check`, the path of an `async fn`.
fn parse_policy(input: ParseStream, errors: &mut Errors) -> syn::Result<Option<ExprPath>> {
    let written = tokens_until_comma(input)?;
    if written.is_empty() {
        return Err(input.error("expected a policy: write `policy = path::to::check`"));
    }
    let (what, fix) = match syn::parse2::<Expr>(written.clone()) {
        Ok(Expr::Path(path)) if path.attrs.is_empty() => return Ok(Some(path)),
        Ok(Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(lit),
            ..
        })) => (
            ", not a string",
            syn::parse_str::<ExprPath>(&lit.value()).ok(),
        ),
        Ok(Expr::Call(call)) => match *call.func {
            Expr::Path(path) => (", not a call", Some(path)),
            _ => ("", None),
        },
        _ => ("", None),
    };
    let fix = fix.map_or_else(
        || "path::to::check".to_owned(),
        |path| path_text(&path.path),
    );
    errors.at_tokens(
        &written,
        format!("`policy` takes the path of an `async fn`{what}; write `policy = {fix}`"),
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

#[cfg(test)]
mod tests {
    use quote::{quote, ToTokens};

    use super::*;

    fn parse(args: TokenStream) -> (Requirement, Vec<String>) {
        let mut errors = Errors::default();
        let requirement = parse_requirement(args, &mut errors);
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

    #[test]
    fn a_combinator_with_a_refused_member_is_dropped_whole() {
        let default_schemes = schemes_text(&parse_ok(quote!()));
        let (requirement, errors) = parse(quote!(scheme = any("Basic", "Nope")));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(schemes_text(&requirement), default_schemes);
        for args in [quote!(scope = all("a", 5)), quote!(scope = any("a", 5))] {
            let (requirement, errors) = parse(args);
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert!(requirement.scope.is_none());
        }
    }

    #[test]
    fn scheme_all_suggests_any_with_the_schemes_only_when_all_were_understood() {
        let (_, errors) = parse(quote!(scheme = all("Bearer", "Basic")));
        assert!(
            errors[0].contains("write `scheme = any(\"Bearer\", \"Basic\")`"),
            "{errors:?}"
        );
        let (_, errors) = parse(quote!(scheme = all("Bearer", "Nope")));
        assert!(
            errors
                .iter()
                .any(|error| error.contains("write `scheme = any(..)` to accept")),
            "{errors:?}"
        );
    }

    #[test]
    fn max_age_as_a_string_suggests_the_number_only_for_a_number() {
        let (_, errors) = parse(quote!(max_age = "300"));
        assert_eq!(
            errors,
            ["`max_age` takes a number, not a string; write `max_age = 300`"]
        );
        let (_, errors) = parse(quote!(max_age = "five"));
        assert_eq!(
            errors,
            ["`max_age` takes a whole number of seconds; write `max_age = 300`"]
        );
    }

    #[test]
    fn a_policy_path_with_attributes_is_refused() {
        let (requirement, errors) = parse(quote!(
            policy = #[cfg(x)]
            crate::check
        ));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(requirement.policy.is_none());
    }

    fn schemes_text(requirement: &Requirement) -> Vec<String> {
        requirement.schemes.iter().map(Scheme::text).collect()
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
        assert_eq!(schemes_text(&requirement), ["\"Bearer\""]);
        assert!(requirement.schemes_any.is_none());
        assert!(requirement.scope.is_none());
        assert!(requirement.roles.is_none());
        assert!(requirement.policy.is_none());
        assert!(requirement.realm.is_none());
        assert!(requirement.optional.is_none());
        assert!(requirement.krate.is_none());
    }

    #[test]
    fn every_argument_is_read() {
        let requirement = parse_ok(quote!(
            scheme = "bearer",
            scope = any("admin", all("x", "y")),
            role = all("staff", any("a", "b")),
            policy = crate::policies::check,
            realm = "api",
            optional,
            crate = "::deps::auth",
        ));
        assert_eq!(schemes_text(&requirement), ["\"Bearer\""]);
        assert_eq!(
            scope_text(requirement.scope.as_ref().unwrap()),
            "any(admin, all(x, y))"
        );
        assert_eq!(
            scope_text(requirement.roles.as_ref().unwrap()),
            "all(staff, any(a, b))"
        );
        assert_eq!(
            path_text(&requirement.policy.unwrap().path),
            "crate::policies::check"
        );
        assert_eq!(requirement.realm.unwrap().value(), "api");
        assert!(requirement.optional.is_some());
        assert_eq!(
            requirement.krate.unwrap().to_token_stream().to_string(),
            ":: deps :: auth"
        );
    }

    #[test]
    fn acr_and_max_age_are_read_with_their_spans() {
        let requirement = parse_ok(quote!(acr = "urn:example:mfa", max_age = 300));
        let acr = requirement.acr.unwrap();
        let values: Vec<String> = acr.values.iter().map(LitStr::value).collect();
        assert_eq!(values, ["urn:example:mfa"]);
        assert!(acr.any.is_none());
        assert_eq!(requirement.max_age.unwrap().seconds, 300);
        let requirement = parse_ok(quote!(acr = any("a", "b",), max_age = 0));
        let acr = requirement.acr.unwrap();
        let values: Vec<String> = acr.values.iter().map(LitStr::value).collect();
        assert_eq!(values, ["a", "b"]);
        assert!(acr.any.is_some());
        assert_eq!(requirement.max_age.unwrap().seconds, 0);
    }

    #[test]
    fn bad_max_age_values_say_what_to_write() {
        for (args, message) in [
            (
                quote!(max_age = -5),
                "`max_age` cannot be negative: it is the most seconds since the user authenticated, such as `max_age = 300`",
            ),
            (
                quote!(max_age = 1.5),
                "`max_age` takes whole seconds, not a fraction; write `max_age = 1`",
            ),
            (
                quote!(max_age = "300"),
                "`max_age` takes a number, not a string; write `max_age = 300`",
            ),
            (
                quote!(max_age = 300s),
                "`max_age` is a plain number of seconds, without the suffix `s`; write `max_age = 300`",
            ),
            (
                quote!(max_age = 99999999999999999999999),
                "`max_age = 99999999999999999999999` is too large; it is a number of seconds of at most 18446744073709551615",
            ),
            (
                quote!(max_age = five),
                "`max_age` takes a whole number of seconds; write `max_age = 300`",
            ),
            (
                quote!(max_age),
                "`max_age` needs a value; write `max_age = 300`, in seconds",
            ),
        ] {
            let (requirement, errors) = parse(args);
            assert_eq!(errors, [message]);
            assert!(requirement.max_age.is_none());
        }
    }

    #[test]
    fn bad_acr_values_say_what_to_write() {
        for (args, message) in [
            (
                quote!(acr = mfa),
                "`acr` takes a string literal; write `acr = \"mfa\"`",
            ),
            (
                quote!(acr = any("a", 5)),
                "an `acr` value is a string literal; write `\"urn:example:mfa\"`",
            ),
            (
                quote!(acr = all("a", "b")),
                "`acr = all(..)` cannot be satisfied: a user authenticates with one context class at a time; write `acr = any(..)` to accept any of them",
            ),
            (
                quote!(acr = one_of("a")),
                "unknown acr combinator `one_of` in `#[requires]`; expected `any(..)`",
            ),
            (
                quote!(acr = any("a", any("b"))),
                "`any(..)` cannot be nested in `acr = any(..)`; list every value in one `any(..)`",
            ),
            (
                quote!(acr = any("a", mfa)),
                "an `acr` value is a string literal; write `\"mfa\"`",
            ),
        ] {
            let (requirement, errors) = parse(args);
            assert_eq!(errors, [message]);
            assert!(requirement.acr.is_none());
        }
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
            ["unknown argument `scop` in `#[requires]`; expected one of `scheme`, `scope`, `role`, `acr`, `max_age`, `policy`, `realm`, `optional`, `crate` (did you mean `scope`?)"]
        );
        let (_, errors) = parse(quote!(audience = "api"));
        assert_eq!(
            errors,
            ["unknown argument `audience` in `#[requires]`; expected one of `scheme`, `scope`, `role`, `acr`, `max_age`, `policy`, `realm`, `optional`, `crate`"]
        );
        let (_, errors) = parse(quote!(roles = "admin"));
        assert!(errors[0].ends_with("(did you mean `role`?)"), "{errors:?}");
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
            ["unknown scheme `Beaver` in `#[requires]`; known schemes: `Bearer`, `Basic`, `ApiKey`, `DPoP` (did you mean `Bearer`?)"]
        );
        let (_, errors) = parse(quote!(scheme = any("Bearer", "Basci")));
        assert_eq!(
            errors,
            ["unknown scheme `Basci` in `#[requires]`; known schemes: `Bearer`, `Basic`, `ApiKey`, `DPoP` (did you mean `Basic`?)"]
        );
        let (_, errors) = parse(quote!(scheme = "Digest"));
        assert_eq!(
            errors,
            ["unknown scheme `Digest` in `#[requires]`; known schemes: `Bearer`, `Basic`, `ApiKey`, `DPoP`; for a custom scheme, name its type without quotes: `scheme = Digest`"]
        );
        let (_, errors) = parse(quote!(scheme = any("Bearer", "auth::Session")));
        assert_eq!(
            errors,
            ["unknown scheme `auth::Session` in `#[requires]`; known schemes: `Bearer`, `Basic`, `ApiKey`, `DPoP`; for a custom scheme, name its type without quotes: `auth::Session`"]
        );
        let (_, errors) = parse(quote!(scheme = "not a type"));
        assert_eq!(
            errors,
            ["unknown scheme `not a type` in `#[requires]`; known schemes: `Bearer`, `Basic`, `ApiKey`, `DPoP`"]
        );
    }

    #[test]
    fn dpop_is_a_builtin_scheme() {
        let requirement = parse_ok(quote!(scheme = any("dpop", "Bearer")));
        assert_eq!(schemes_text(&requirement), ["\"DPoP\"", "\"Bearer\""]);
        let requirement = parse_ok(quote!(scheme = "DPoP"));
        assert_eq!(schemes_text(&requirement), ["\"DPoP\""]);
    }

    #[test]
    fn builtin_schemes_are_case_insensitive() {
        let requirement = parse_ok(quote!(scheme = any("BASIC", "apikey", "Bearer")));
        assert_eq!(
            schemes_text(&requirement),
            ["\"Basic\"", "\"ApiKey\"", "\"Bearer\""]
        );
        assert!(requirement.schemes_any.is_some());
        let requirement = parse_ok(quote!(scheme = "basic"));
        assert_eq!(schemes_text(&requirement), ["\"Basic\""]);
        assert!(requirement.schemes_any.is_none());
    }

    #[test]
    fn custom_schemes_are_paths_mixed_with_strings_in_declaration_order() {
        let requirement = parse_ok(quote!(scheme = MyCookieScheme));
        assert_eq!(schemes_text(&requirement), ["MyCookieScheme"]);
        let requirement = parse_ok(quote!(scheme = crate::auth::Session));
        assert_eq!(schemes_text(&requirement), ["crate::auth::Session"]);
        let requirement = parse_ok(quote!(
            scheme = any(SessionCookie, "Bearer", ::certs::Client<Strict>,),
            scope = "a"
        ));
        assert_eq!(
            schemes_text(&requirement),
            ["SessionCookie", "\"Bearer\"", "::certs::Client<Strict>"]
        );
    }

    #[test]
    fn an_unquoted_builtin_name_is_told_to_quote_it() {
        let (_, errors) = parse(quote!(scheme = Bearer));
        assert_eq!(
            errors,
            ["the built-in scheme `Bearer` is written as a string; write `scheme = \"Bearer\"` (a path names a custom scheme type)"]
        );
        let (_, errors) = parse(quote!(scheme = any(SessionCookie, apikey)));
        assert_eq!(
            errors,
            ["the built-in scheme `ApiKey` is written as a string; write `\"ApiKey\"` (a path names a custom scheme type)"]
        );
        // Not a bare name: a custom scheme type, checked by rustc.
        assert!(parse(quote!(scheme = schemes::Bearer)).1.is_empty());
    }

    #[test]
    fn scheme_combinators_other_than_any_are_refused() {
        let (requirement, errors) = parse(quote!(scheme = all("Bearer", Session)));
        assert_eq!(
            errors,
            ["`scheme = all(..)` cannot be satisfied: each request is verified with the credentials of one scheme; write `scheme = any(\"Bearer\", Session)` to accept any of them"]
        );
        assert_eq!(
            schemes_text(&requirement),
            ["\"Bearer\""],
            "the default stays"
        );
        let (_, errors) = parse(quote!(scheme = Any("Bearer")));
        assert_eq!(
            errors,
            ["unknown scheme combinator `Any` in `#[requires]`; expected `any(..)` (did you mean `any`?)"]
        );
        let (_, errors) = parse(quote!(scheme = any("Bearer", any("Basic")), realm = 1));
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(
            errors[0],
            "`any(..)` cannot be nested in `scheme = any(..)`; list every scheme in one `any(..)`"
        );
    }

    #[test]
    fn empty_scheme_any_parses_for_validation_to_refuse() {
        let requirement = parse_ok(quote!(scheme = any()));
        assert!(requirement.schemes.is_empty());
        assert!(requirement.schemes_any.is_some());
    }

    #[test]
    fn other_scheme_values_say_what_a_scheme_is() {
        let (_, errors) = parse(quote!(scheme = 5, scope = "a"));
        assert_eq!(
            errors,
            ["a scheme is a string naming a built-in scheme (`\"Bearer\"`, `\"Basic\"`, `\"ApiKey\"`, `\"DPoP\"`) or the path of a type implementing `CustomScheme`"]
        );
        let (_, errors) = parse(quote!(scheme));
        assert_eq!(
            errors,
            ["`scheme` needs a value; write `scheme = \"Bearer\"` or `scheme = any(\"Bearer\", \"Basic\")`"]
        );
    }

    #[test]
    fn policies_are_paths() {
        let requirement = parse_ok(quote!(policy = check));
        assert_eq!(path_text(&requirement.policy.unwrap().path), "check");
        let requirement = parse_ok(quote!(policy = <Policies as Check>::check, scope = "a"));
        assert!(requirement.policy.unwrap().qself.is_some());
        let (requirement, errors) = parse(quote!(policy = "policies::check"));
        assert!(requirement.policy.is_none());
        assert_eq!(
            errors,
            ["`policy` takes the path of an `async fn`, not a string; write `policy = policies::check`"]
        );
        let (_, errors) = parse(quote!(policy = "is allowed"));
        assert_eq!(
            errors,
            ["`policy` takes the path of an `async fn`, not a string; write `policy = path::to::check`"]
        );
        let (_, errors) = parse(quote!(policy = check(), realm = 1));
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(
            errors[0],
            "`policy` takes the path of an `async fn`, not a call; write `policy = check`"
        );
        let (_, errors) = parse(quote!(policy = 42));
        assert_eq!(
            errors,
            ["`policy` takes the path of an `async fn`; write `policy = path::to::check`"]
        );
        let (_, errors) = parse(quote!(policy));
        assert_eq!(
            errors,
            ["`policy` needs a value; write `policy = path::to::check`, naming an `async fn`"]
        );
    }

    #[test]
    fn roles_share_the_scope_grammar_with_their_own_words() {
        let (_, errors) = parse(quote!(role = either("a", "b")));
        assert_eq!(
            errors,
            ["unknown role combinator `either` in `#[requires]`; expected `all(..)` or `any(..)`"]
        );
        let (_, errors) = parse(quote!(role = admin, role = "x"));
        assert_eq!(
            errors,
            [
                "a role is a string literal or `all(..)` / `any(..)` of roles; write `\"admin\"`",
                "`role` is given twice in `#[requires]`",
            ]
        );
        let (_, errors) = parse(quote!(role));
        assert_eq!(
            errors,
            ["`role` needs a value; write `role = \"admin\"` or `role = any(\"admin\", \"owner\")`"]
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
        let (_, errors) = parse(quote!(realm = 5, crate = auth_runtime));
        assert_eq!(
            errors,
            [
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
                "`scope` needs a value; write `scope = \"items:read\"` or `scope = all(\"items:read\", \"items:write\")`",
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
    fn items_other_than_functions_are_refused() {
        let error = parse_handler(quote!(
            struct Item;
        ))
        .err()
        .unwrap();
        assert_eq!(
            error.to_string(),
            "`#[requires]` goes on an `async fn` handler, not on a `struct`"
        );
    }

    #[test]
    fn broken_syntax_stops_with_the_errors_found_so_far() {
        let (_, errors) = parse(quote!(scop = "a", "b"));
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].starts_with("unknown argument `scop`"));
    }
}
