//! Code generation: the requirement as a constant, and the wrapper that actix-web registers in
//! place of the handler, which authenticates before the handler's own extractors run.

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{
    Attribute, ExprPath, FnArg, Ident, Index, LitStr, Pat, PatIdent, PatType, ReturnType,
    Signature, Token, Visibility,
};

use crate::ast::{path_text, Handler, Param, Requirement, Scheme, ScopeExpr};
use crate::attr::{parse_handler, parse_public, parse_requirement};
use crate::errors::Errors;
use crate::openapi::{hoist, order_check, take_documented_flag};
use crate::route::{find_route, is_route, marker, registration, Route};
use crate::valid::{check_handler, check_requirement};

/// Parses, validates and expands `#[requires(args)] item`; on any error, the item as written
/// and every error.
pub(crate) fn requires(args: TokenStream, item: TokenStream) -> TokenStream {
    match try_expand(args, item.clone()) {
        Ok(expanded) => expanded,
        Err(error) => fallback(item, error),
    }
}

fn try_expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let (documented, args) = take_documented_flag(args);
    let mut errors = Errors::default();
    let mut requirement = parse_requirement(args.clone(), &mut errors);
    requirement.documented = documented;
    check_requirement(&requirement, &mut errors);
    documented_or_expanded(requirement, &args, item, "requires", errors)
}

/// `#[public]`: the handler is open to anyone, and present credentials must still be valid.
pub(crate) fn public(args: TokenStream, item: TokenStream) -> TokenStream {
    let (documented, args) = take_documented_flag(args);
    let mut errors = Errors::default();
    let mut requirement = parse_public(args.clone(), &mut errors);
    requirement.documented = documented;
    match documented_or_expanded(requirement, &args, item.clone(), "public", errors) {
        Ok(expanded) => expanded,
        Err(error) => fallback(item, error),
    }
}

/// With a `#[utoipa::path]` below the attribute, that attribute moved above it with the
/// requirement (`openapi.rs`); otherwise the expansion.
fn documented_or_expanded(
    requirement: Requirement,
    args: &TokenStream,
    item: TokenStream,
    attribute: &str,
    mut errors: Errors,
) -> syn::Result<TokenStream> {
    if !requirement.documented {
        let private = private_path(&requirement);
        let krate = requirement.krate.as_ref();
        if let Some(hoisted) = hoist(attribute, args, &item, krate, &private, &mut errors) {
            errors.finish()?;
            return Ok(hoisted);
        }
    }
    expand_checked(requirement, item, attribute, errors)
}

/// `::auth_runtime::__private_v0_1_0`, or the same module under the `crate = ".."` path.
fn private_path(requirement: &Requirement) -> TokenStream {
    let module = private_module();
    match &requirement.krate {
        Some(krate) => quote!(#krate::#module),
        None => quote!(::auth_runtime::#module),
    }
}

/// Parses and checks the handler, then expands it with `requirement` if nothing was wrong.
fn expand_checked(
    requirement: Requirement,
    item: TokenStream,
    attribute: &str,
    mut errors: Errors,
) -> syn::Result<TokenStream> {
    let handler = match parse_handler(item) {
        Ok(handler) => {
            check_handler(&handler, &mut errors);
            Some(handler)
        }
        Err(error) => {
            errors.push(error);
            None
        }
    };
    let route = handler
        .as_ref()
        .and_then(|handler| find_route(&handler.attrs, attribute, &mut errors));
    errors.finish()?;
    Ok(handler.map_or_else(TokenStream::new, |handler| {
        let order_check = (!requirement.documented)
            .then(|| order_check(&handler.sig.ident, attribute, &private_path(&requirement)));
        let mut expanded = expand(&requirement, handler, route.as_ref());
        expanded.extend(order_check);
        expanded
    }))
}

/// The user's item untouched, so the rest of the crate (and the IDE) still sees the handler,
/// followed by the errors.
fn fallback(item: TokenStream, error: syn::Error) -> TokenStream {
    let errors = error.to_compile_error();
    quote!(#item #errors)
}

fn expand(requirement: &Requirement, handler: Handler, route: Option<&Route>) -> TokenStream {
    let private = private_path(requirement);
    let Handler {
        attrs,
        vis,
        sig,
        body,
        params,
    } = handler;
    let marker = marker(&sig.ident, route.is_some());
    let attrs = Attributes::split(attrs);
    let marker_type = route.is_none().then_some(&marker);
    let requirement_items = requirement_items(
        requirement,
        &marker,
        marker_type,
        &vis,
        &attrs.cfg(),
        &private,
    );
    let wrapper = match direct_fn(&vis, &sig, &body, &attrs.inner, &params, &marker, &private) {
        Some(direct) => direct,
        None => {
            let inner_attrs = &attrs.inner;
            let inner = quote!(#(#inner_attrs)* #sig #body);
            wrapper_fn(&vis, &sig, body.span(), inner, &params, &marker, &private)
        }
    };
    let Some(route) = route else {
        let outer_attrs = &attrs.outer;
        return quote! {
            #requirement_items
            #(#outer_attrs)*
            #wrapper
        };
    };
    // Registered by this expansion rather than by actix-web's attribute, so that the route's
    // declaration is registered with it.
    let ident = &sig.ident;
    let cfg = attrs.cfg();
    let docs = attrs.outer.iter().filter(|attr| is_doc(attr));
    let registration = registration(route, ident, wrapper, &cfg, &private);
    quote! {
        #requirement_items
        #(#docs)*
        #(#cfg)*
        #[allow(non_camel_case_types)]
        #vis struct #ident;

        #registration
    }
}

/// `__private_v0_1_0` for version 0.1.0: the runtime's hidden module of the same version. A
/// macro and a runtime of different versions then fail to compile together instead of
/// misbehaving.
fn private_module() -> Ident {
    format_ident!("__private_v{}", identifier_safe(env!("CARGO_PKG_VERSION")))
}

/// `text` with every character that cannot be in an identifier replaced by `_`.
fn identifier_safe(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// The user's attributes, sorted by the function they belong on.
struct Attributes {
    /// Docs, `cfg` and route registration describe the wrapper actix-web sees.
    outer: Vec<Attribute>,
    /// Every other attribute (`#[tracing::instrument]`, lints, …) stays with the user's function.
    inner: Vec<Attribute>,
}

impl Attributes {
    fn split(attrs: Vec<Attribute>) -> Self {
        let (outer, inner) = attrs
            .into_iter()
            .partition(|attr| is_doc(attr) || is_cfg(attr) || is_route(attr));
        Attributes { outer, inner }
    }

    /// The `cfg`s, which every generated item repeats.
    fn cfg(&self) -> Vec<&Attribute> {
        self.outer.iter().filter(|attr| is_cfg(attr)).collect()
    }
}

/// The marker type whose `StaticRequirement` is the requirement (declared here as an enum
/// without variants, which has no constructor, unless it is the route's unit struct:
/// `declare` is `None` then), and the policy adapter.
fn requirement_items(
    requirement: &Requirement,
    marker: &Ident,
    declare: Option<&Ident>,
    vis: &Visibility,
    cfg: &[&Attribute],
    private: &TokenStream,
) -> TokenStream {
    let requirement_expr = requirement_expr(requirement, marker, private);
    let policy_adapter = requirement.policy.as_ref().map(|policy| {
        let adapter = policy_adapter(policy, marker, private);
        quote!(#(#cfg)* #adapter)
    });
    let declaration = declare.map(|marker| {
        quote! {
            #(#cfg)*
            #[doc(hidden)]
            #vis enum #marker {}
        }
    });
    quote! {
        #declaration

        #(#cfg)*
        impl #private::StaticRequirement for #marker {
            const REQUIREMENT: #private::Requirement = #requirement_expr;
        }

        #policy_adapter
    }
}

/// `async fn name(__auth_args: Guarded<Marker, (..)>) -> Output { checks; let id = ..; body }`:
/// the user's function itself, its parameters bound from the extracted tuple at the top of its
/// body. One function per handler instead of a wrapper around the user's, which costs rustc
/// less to check; `None` (use [`wrapper_fn`]) when moving the parameters into the body could
/// change anything the user wrote:
/// - attributes other than docs, `cfg` and the route (`#[tracing::instrument]` records the
///   function's parameters, lint levels apply to the signature),
/// - a parameter with attributes or a pattern other than a plain name (`_` would drop its
///   value at once in a `let`, where a parameter lives until the function returns),
/// - a body that opens with inner attributes (`#![..]`), which cannot follow a `let`.
fn direct_fn(
    vis: &Visibility,
    sig: &Signature,
    body: &Group,
    inner_attrs: &[Attribute],
    params: &[Param],
    marker: &Ident,
    private: &TokenStream,
) -> Option<TokenStream> {
    if !inner_attrs.is_empty() || opens_with_inner_attribute(body) {
        return None;
    }
    let names = sig
        .inputs
        .iter()
        .map(|input| match input {
            FnArg::Typed(PatType { attrs, pat, .. }) if attrs.is_empty() => match &**pat {
                // A parameter's attributes are the `PatType`'s: syn leaves the pattern's empty.
                Pat::Ident(PatIdent {
                    by_ref: None,
                    subpat: None,
                    ..
                }) => Some(pat),
                _ => None,
            },
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    let Signature {
        asyncness,
        fn_token,
        ident,
        paren_token,
        output,
        ..
    } = sig;
    let checks = params.iter().filter_map(|param| type_check(param, private));
    let values = params.iter().map(value_of);
    // Out of the user's reach: the body cannot name it.
    let args = Ident::new("__auth_args", Span::mixed_site());
    let bindings = match names.as_slice() {
        [] => TokenStream::new(),
        [name] => {
            let value = values.into_iter().next().unwrap_or_default();
            // An `Index`, not a `0` in `quote!`, which would hand the compiler text to parse.
            let first = Index::from(0);
            quote!(let #name = #args.args.#first #value;)
        }
        _ => {
            let indexes = (0..names.len()).map(Index::from);
            quote! {
                let #args = #args.args;
                #(let #names = #args.#indexes #values;)*
            }
        }
    };
    let mut function = quote!(#vis #asyncness #fn_token #ident);
    paren_token.surround(&mut function, |tokens| {
        tokens.extend(guarded_parameter(&args, params, marker, private))
    });
    output.to_tokens(&mut function);
    let mut statements = quote!(#(#checks)* #bindings);
    statements.extend(body.stream());
    let mut block = Group::new(Delimiter::Brace, statements);
    block.set_span(body.span());
    function.extend([TokenTree::Group(block)]);
    Some(function)
}

/// Whether the body starts with `#![..]`.
fn opens_with_inner_attribute(body: &Group) -> bool {
    let mut tokens = body.stream().into_iter();
    matches!(
        (tokens.next(), tokens.next()),
        (Some(TokenTree::Punct(hash)), Some(TokenTree::Punct(bang)))
            if hash.as_char() == '#' && bang.as_char() == '!'
    )
}

/// `fn name(__auth_args: Guarded<Marker, (..)>) -> impl Future<Output = ..> { inner; checks;
/// call }`: the function actix-web registers, with the user's function inside it. It returns the
/// user's own future rather than awaiting it in a second one: one `async fn` per handler, not two.
fn wrapper_fn(
    vis: &Visibility,
    sig: &Signature,
    brace: Span,
    inner: TokenStream,
    params: &[Param],
    marker: &Ident,
    private: &TokenStream,
) -> TokenStream {
    let Signature {
        fn_token,
        ident,
        paren_token,
        output,
        ..
    } = sig;
    let (arrow, output) = match output {
        ReturnType::Type(arrow, ty) => (*arrow, ty.to_token_stream()),
        ReturnType::Default => (Token![->](Span::call_site()), quote!(())),
    };
    let checks = params.iter().filter_map(|param| type_check(param, private));
    // A single parameter is taken straight from the extracted tuple: binding the tuple first
    // costs rustc more in every handler.
    let (unpack, tuple) = match params.len() {
        0 => (None, TokenStream::new()),
        1 => (None, quote!(__auth_args.args)),
        _ => (
            Some(quote!(let __auth_args = __auth_args.args;)),
            quote!(__auth_args),
        ),
    };
    let args = params.iter().enumerate().map(|(index, param)| {
        let index = Index::from(index);
        let value = value_of(param);
        quote!(#tuple.#index #value)
    });
    // The wrapper's parentheses and braces are the user's: with spans of the attribute, rustc
    // takes the whole function for foreign code and drops its `never used` warning. The
    // parameter itself stays spanned at the attribute, out of reach of lints such as
    // `clippy::type_complexity` that the user cannot act on.
    let params = guarded_parameter(
        &Ident::new("__auth_args", Span::call_site()),
        params,
        marker,
        private,
    );
    let body = quote! {
        #inner
        #(#checks)*
        #unpack
        #ident(#(#args),*)
    };
    let mut wrapper = quote!(#vis #fn_token #ident);
    paren_token.surround(&mut wrapper, |tokens| tokens.extend(params));
    wrapper.extend(quote!(#arrow impl ::core::future::Future<Output = #output>));
    let mut block = Group::new(Delimiter::Brace, body);
    block.set_span(brace);
    wrapper.extend([TokenTree::Group(block)]);
    wrapper
}

/// `args: Guarded<Marker, (..)>,`: the one parameter actix-web extracts, every parameter of the
/// user's inside it.
fn guarded_parameter(
    args: &Ident,
    params: &[Param],
    marker: &Ident,
    private: &TokenStream,
) -> TokenStream {
    let extracted = params.iter().map(|param| extracted_type(param, private));
    quote! {
        #args: #private::Guarded<#marker, (#(#extracted,)*)>,
    }
}

/// What follows a parameter's extracted value to make it the user's: `.into_option()` for an
/// optional credential, else nothing.
fn value_of(param: &Param) -> TokenStream {
    match param.optional_credentials {
        Some(_) => quote!(.into_option()),
        None => TokenStream::new(),
    }
}

/// What `Guarded` extracts for a parameter: its type, except that `Option<Identity>` would be
/// `None` for invalid credentials too; `Optional` refuses those and is `None` only when no
/// credentials were sent.
fn extracted_type(param: &Param, private: &TokenStream) -> TokenStream {
    match &param.optional_credentials {
        Some(inner) => quote!(#private::Optional<#inner>),
        None => param.ty.to_token_stream(),
    }
}

/// `assert_claims_type::<T>()` for a `Claims<T>`, spanned at `T`, or `assert_extractor::<P>()`
/// for any other parameter type, spanned at `P`: a parameter that is not an extractor is reported
/// at its type, in words, rather than as an unsatisfied bound on the generated tuple.
fn type_check(param: &Param, private: &TokenStream) -> Option<TokenStream> {
    if let Some(claims) = &param.claims {
        let span = claims.span();
        let private = respan(private.clone(), span);
        return Some(quote_spanned! {span=>
            #private::assert_claims_type::<#claims>();
        });
    }
    if param.optional_credentials.is_some() {
        return None;
    }
    let ty = &param.ty;
    let span = ty.span();
    let private = respan(private.clone(), span);
    Some(quote_spanned! {span=>
        #private::assert_extractor::<#ty>();
    })
}

fn is_doc(attr: &Attribute) -> bool {
    attr.path().is_ident("doc")
}

fn is_cfg(attr: &Attribute) -> bool {
    attr.path().is_ident("cfg")
}

/// The requirement as a constant expression: the runtime's constant for one built-in scheme
/// (`BEARER`, …) or `Requirement::new(&[schemes])`, then `.scope(..)`, `.roles(..)`,
/// `.acr(..)`, `.max_age(..)`, `.policy(..)`, `.realm(..)`, `.optional()` as asked.
fn requirement_expr(
    requirement: &Requirement,
    marker: &Ident,
    private: &TokenStream,
) -> TokenStream {
    if requirement.public.is_some() {
        return quote!(#private::PUBLIC);
    }
    let mut expr = match requirement.schemes.as_slice() {
        // Naming a constant costs rustc less than building a scheme list in every handler.
        [Scheme::Builtin { scheme, span }] => {
            let alone = Ident::new(scheme.alone, *span);
            quote!(#private::#alone)
        }
        schemes => {
            let schemes = schemes.iter().map(|scheme| scheme_expr(scheme, private));
            quote!(#private::Requirement::new(&[#(#schemes),*]))
        }
    };
    if let Some(scope) = &requirement.scope {
        let scope = scope_expr(scope, private);
        expr.extend(quote!(.scope(#scope)));
    }
    if let Some(roles) = &requirement.roles {
        let roles = scope_expr(roles, private);
        expr.extend(quote!(.roles(#roles)));
    }
    if let Some(acr) = &requirement.acr {
        let values = acr.values.iter().map(plain_literal);
        expr.extend(quote_spanned!(acr.key=> .acr(&[#(#values),*])));
    }
    if let Some(max_age) = &requirement.max_age {
        let mut seconds = proc_macro2::Literal::u64_unsuffixed(max_age.seconds);
        seconds.set_span(max_age.key);
        expr.extend(quote_spanned!(max_age.key=> .max_age(#seconds)));
    }
    if let Some(policy) = &requirement.policy {
        let name = LitStr::new(&path_text(&policy.path), policy.span());
        expr.extend(quote!(.policy(#marker::__auth_policy).policy_name(#name)));
    }
    if let Some(realm) = &requirement.realm {
        let realm = plain_literal(realm);
        expr.extend(quote!(.realm(#realm)));
    }
    if requirement.optional.is_some() {
        expr.extend(quote!(.optional()));
    }
    expr
}

/// The user's `async fn check(&Principal, ..) -> PolicyDecision` (the request, or
/// extractors, after the principal) as the runtime's `Policy` function pointer.
///
/// The call is located at the user's path, so that a function with the wrong signature is
/// reported there; the tokens around it resolve at the mixed site, which keeps rustc's
/// suggestions out of code the user never wrote.
fn policy_adapter(policy: &ExprPath, marker: &Ident, private: &TokenStream) -> TokenStream {
    let located = policy
        .path
        .segments
        .last()
        .map_or_else(|| policy.span(), |segment| segment.ident.span());
    let site = Span::mixed_site().located_at(located);
    let principal = Ident::new("__auth_principal", Span::mixed_site());
    let request = Ident::new("__auth_request", Span::mixed_site());
    let checked_private = respan(private.clone(), site);
    // The runtime's `PolicyFn` extracts the policy's parameters and calls it; a function that
    // is not a policy fails that bound, reported at the user's path.
    let call = quote_spanned! {site=>
        #checked_private::run_policy(&#policy, &#principal, &#request).await
    };
    quote! {
        impl #marker {
            fn __auth_policy(
                #principal: #private::Arc<#private::Principal>,
                #request: #private::HttpRequest,
            ) -> #private::PolicyFuture {
                ::std::boxed::Box::pin(async move { #call })
            }
        }
    }
}

/// One scheme of the list: a `Scheme` variant, or the scheme of the user's custom scheme type.
fn scheme_expr(scheme: &Scheme, private: &TokenStream) -> TokenStream {
    match scheme {
        Scheme::Builtin { scheme, span } => {
            let variant = Ident::new(scheme.variant, *span);
            quote!(#private::Scheme::#variant)
        }
        Scheme::Custom(path) => {
            let span = path.span();
            let private = respan(private.clone(), span);
            // The one check of the type, spanned at the user's path: `CustomSchemeType` says
            // what to implement when the type is not a scheme.
            quote_spanned! {span=>
                <#path as #private::CustomSchemeType>::SCHEME
            }
        }
    }
}

/// `Token("a")`, `AllOf(&["a", "b"])` / `AnyOf(..)` for a composition of tokens alone, or
/// `All(&[..])` / `Any(&[..])`, the variants the runtime's private module re-exports. The flat
/// forms are one promoted array of string literals: less for rustc to check in every handler
/// than an array of `Token`s.
fn scope_expr(expr: &ScopeExpr, private: &TokenStream) -> TokenStream {
    let (parts, all) = match expr {
        ScopeExpr::Token(lit) => {
            let lit = plain_literal(lit);
            return quote!(#private::Token(#lit));
        }
        ScopeExpr::All(parts, _) => (parts, true),
        ScopeExpr::Any(parts, _) => (parts, false),
    };
    let tokens: Option<Vec<LitStr>> = parts
        .iter()
        .map(|part| match part {
            ScopeExpr::Token(lit) => Some(plain_literal(lit)),
            _ => None,
        })
        .collect();
    match (tokens, all) {
        (Some(tokens), true) => quote!(#private::AllOf(&[#(#tokens),*])),
        (Some(tokens), false) => quote!(#private::AnyOf(&[#(#tokens),*])),
        (None, all) => {
            let parts = parts.iter().map(|part| scope_expr(part, private));
            let variant = Ident::new(if all { "All" } else { "Any" }, Span::call_site());
            quote!(#private::#variant(&[#(#parts),*]))
        }
    }
}

/// The literal as written when it is a plain string literal, else its value as one at the
/// user's span: syn accepts a suffix (`"a"x`) that rustc would refuse in an expression.
fn plain_literal(lit: &LitStr) -> LitStr {
    if lit.suffix().is_empty() {
        lit.clone()
    } else {
        LitStr::new(&lit.value(), lit.span())
    }
}

/// Moves every token of `tokens` (a path: no groups) to `span`, so that an error in the generated
/// check is reported at the user's type rather than at the attribute.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            token.set_span(span);
            token
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    fn expansion(args: TokenStream, item: TokenStream) -> String {
        requires(args, item).to_string()
    }

    /// `expected` followed by the check of the attributes' order that the `openapi` feature
    /// appends to the expansion of `handler` (nothing without the feature, which the
    /// workspace's tests turn on through feature unification).
    fn with_order_check(
        mut expected: TokenStream,
        handler: &str,
        private: TokenStream,
    ) -> TokenStream {
        let ident = Ident::new(handler, Span::call_site());
        expected.extend(order_check(&ident, "requires", &private));
        expected
    }

    /// Whether `expected` appears in `actual`, ignoring spacing (`>>` and `> >` are the same).
    fn assert_contains(actual: &str, expected: TokenStream) {
        let squash = |text: &str| text.split_whitespace().collect::<String>();
        assert!(
            squash(actual).contains(&squash(&expected.to_string())),
            "{expected}\nnot found in\n{actual}"
        );
    }

    /// Compares as re-printed items, so that `>>` and `> >` are the same.
    fn same(actual: String, expected: TokenStream) {
        let reprint = |tokens: TokenStream| {
            syn::parse2::<syn::File>(tokens)
                .unwrap()
                .to_token_stream()
                .to_string()
        };
        assert_eq!(reprint(actual.parse().unwrap()), reprint(expected));
    }

    #[test]
    fn wraps_the_handler_in_a_guarded_extractor() {
        let actual = expansion(
            quote!(scope = all("items:read", "items:write")),
            quote! {
                /// Creates an item.
                #[tracing::instrument]
                pub async fn create(body: web::Json<Item>, who: Identity, maybe: Option<Claims<MyClaims>>) -> impl Responder {
                    HttpResponse::Ok()
                }
            },
        );
        same(
            actual,
            with_order_check(
                quote! {
                    #[doc(hidden)]
                    pub enum __auth_requirement_create {}

                    impl ::auth_runtime::__private_v0_1_0::StaticRequirement for __auth_requirement_create {
                        const REQUIREMENT: ::auth_runtime::__private_v0_1_0::Requirement =
                            ::auth_runtime::__private_v0_1_0::BEARER
                                .scope(::auth_runtime::__private_v0_1_0::AllOf(&[
                                    "items:read",
                                    "items:write"
                                ]));
                    }

                    /// Creates an item.
                    pub fn create(
                        __auth_args: ::auth_runtime::__private_v0_1_0::Guarded<
                            __auth_requirement_create,
                            (web::Json<Item>, Identity, ::auth_runtime::__private_v0_1_0::Optional<Claims<MyClaims> >,)
                        >,
                    ) -> impl ::core::future::Future<Output = impl Responder> {
                        #[tracing::instrument]
                        async fn create(body: web::Json<Item>, who: Identity, maybe: Option<Claims<MyClaims>>) -> impl Responder {
                            HttpResponse::Ok()
                        }
                        ::auth_runtime::__private_v0_1_0::assert_extractor::<web::Json<Item>>();
                        ::auth_runtime::__private_v0_1_0::assert_extractor::<Identity>();
                        ::auth_runtime::__private_v0_1_0::assert_claims_type::<MyClaims>();
                        let __auth_args = __auth_args.args;
                        create(__auth_args.0, __auth_args.1, __auth_args.2.into_option())
                    }
                },
                "create",
                quote!(::auth_runtime::__private_v0_1_0),
            ),
        );
    }

    #[test]
    fn without_other_attributes_the_function_binds_its_parameters_in_its_body() {
        let actual = expansion(
            quote!(scope = "items:write"),
            quote! {
                /// Creates an item.
                pub async fn create(body: web::Json<Item>, mut who: Identity, maybe: Option<Claims<MyClaims>>) -> impl Responder {
                    HttpResponse::Ok()
                }
            },
        );
        same(
            actual,
            with_order_check(
                quote! {
                    #[doc(hidden)]
                    pub enum __auth_requirement_create {}

                    impl ::auth_runtime::__private_v0_1_0::StaticRequirement for __auth_requirement_create {
                        const REQUIREMENT: ::auth_runtime::__private_v0_1_0::Requirement =
                            ::auth_runtime::__private_v0_1_0::BEARER
                                .scope(::auth_runtime::__private_v0_1_0::Token("items:write"));
                    }

                    /// Creates an item.
                    pub async fn create(
                        __auth_args: ::auth_runtime::__private_v0_1_0::Guarded<
                            __auth_requirement_create,
                            (web::Json<Item>, Identity, ::auth_runtime::__private_v0_1_0::Optional<Claims<MyClaims> >,)
                        >,
                    ) -> impl Responder {
                        ::auth_runtime::__private_v0_1_0::assert_extractor::<web::Json<Item>>();
                        ::auth_runtime::__private_v0_1_0::assert_extractor::<Identity>();
                        ::auth_runtime::__private_v0_1_0::assert_claims_type::<MyClaims>();
                        let __auth_args = __auth_args.args;
                        let body = __auth_args.0;
                        let mut who = __auth_args.1;
                        let maybe = __auth_args.2.into_option();
                        HttpResponse::Ok()
                    }
                },
                "create",
                quote!(::auth_runtime::__private_v0_1_0),
            ),
        );
    }

    #[test]
    fn what_a_let_would_change_keeps_the_wrapper() {
        let wrapped = |item: TokenStream| {
            let actual = expansion(quote!(), item);
            assert!(
                actual.contains("impl :: core :: future :: Future"),
                "not wrapped: {actual}"
            );
        };
        // `_` in a `let` drops the value at once; a parameter lives until the handler returns.
        wrapped(quote!(
            async fn f(_: web::Data<Permit>) {}
        ));
        wrapped(quote!(
            async fn f(web::Path(id): web::Path<u32>) {}
        ));
        wrapped(quote!(
            async fn f(ref id: web::Path<u32>) {}
        ));
        wrapped(quote!(
            async fn f(id @ _: web::Path<u32>) {}
        ));
        wrapped(quote!(
            async fn f(#[allow(unused)] id: web::Path<u32>) {}
        ));
        wrapped(quote!(
            async fn f(id: web::Path<u32>) {
                #![allow(unused)]
            }
        ));
        wrapped(quote!(
            #[tracing::instrument]
            async fn f(id: web::Path<u32>) {}
        ));
        // Docs and `cfg` describe the function actix-web sees either way.
        let actual = expansion(
            quote!(),
            quote!(
                /// Docs.
                #[cfg(test)]
                async fn f(id: web::Path<u32>) {
                    #[doc = "not inner"]
                    let x = 1;
                }
            ),
        );
        assert!(!actual.contains("Future"), "wrapped: {actual}");
    }

    #[test]
    fn a_wrapper_unpacks_the_extracted_tuple_only_for_several_parameters() {
        let wrapper = |item: TokenStream| expansion(quote!(), item);
        let one = wrapper(quote!(
            #[tracing::instrument]
            async fn f(_: web::Data<Permit>) {}
        ));
        assert_contains(&one, quote!(f(__auth_args.args.0)));
        assert!(!one.contains("let __auth_args"), "{one}");
        let none = wrapper(quote!(
            #[tracing::instrument]
            async fn f() {}
        ));
        assert!(!none.contains("let __auth_args"), "{none}");
        let two = wrapper(quote!(
            #[tracing::instrument]
            async fn f(_: web::Data<Permit>, _: Identity) {}
        ));
        assert_contains(
            &two,
            quote!(let __auth_args = __auth_args.args; f(__auth_args.0, __auth_args.1)),
        );
    }

    #[test]
    fn the_private_module_is_named_after_the_version() {
        assert_eq!(private_module(), "__private_v0_1_0");
        assert_eq!(identifier_safe("0.1.0"), "0_1_0");
        assert_eq!(
            identifier_safe("1.20.3-rc.1+build.7"),
            "1_20_3_rc_1_build_7"
        );
    }

    #[test]
    fn zero_parameters_need_no_unpacking() {
        let actual = expansion(
            quote!(),
            quote!(
                async fn ping() -> &'static str {
                    "pong"
                }
            ),
        );
        same(
            actual,
            with_order_check(
                quote! {
                    #[doc(hidden)]
                    enum __auth_requirement_ping {}

                    impl ::auth_runtime::__private_v0_1_0::StaticRequirement for __auth_requirement_ping {
                        const REQUIREMENT: ::auth_runtime::__private_v0_1_0::Requirement =
                            ::auth_runtime::__private_v0_1_0::BEARER;
                    }

                    async fn ping(
                        __auth_args: ::auth_runtime::__private_v0_1_0::Guarded<__auth_requirement_ping, ()>,
                    ) -> &'static str {
                        "pong"
                    }
                },
                "ping",
                quote!(::auth_runtime::__private_v0_1_0),
            ),
        );
    }

    #[test]
    fn a_function_without_return_type_gives_a_unit_future() {
        let actual = expansion(
            quote!(),
            quote!(
                async fn touch() {}
            ),
        );
        assert_contains(
            &actual,
            quote! {
                async fn touch(__auth_args: ::auth_runtime::__private_v0_1_0::Guarded<__auth_requirement_touch, ()>,) {}
            },
        );
    }

    #[test]
    fn the_body_is_emitted_as_written_not_parsed() {
        // rustc reports a broken body itself, at the user's tokens, when it compiles the
        // expansion.
        let actual = expansion(
            quote!(),
            quote!(
                async fn broken() { let = ; }
            ),
        );
        assert_contains(&actual, quote!({ let = ; }));
        assert!(!actual.contains("compile_error"), "{actual}");
        // Kept whole inside the wrapper too.
        let actual = expansion(
            quote!(),
            quote!(
                #[inline]
                async fn broken() { let = ; }
            ),
        );
        assert_contains(&actual, quote!(#[inline] async fn broken() { let = ; }));
        assert!(!actual.contains("compile_error"), "{actual}");
    }

    #[test]
    fn realm_optional_scheme_and_crate_reach_the_requirement() {
        let actual = expansion(
            quote!(
                scheme = "bearer",
                realm = "admin area",
                optional,
                crate = "::deps::auth"
            ),
            quote!(
                async fn me(who: core::option::Option<auth::Identity>) {}
            ),
        );
        assert_contains(
            &actual,
            quote! {
                const REQUIREMENT: ::deps::auth::__private_v0_1_0::Requirement =
                    ::deps::auth::__private_v0_1_0::BEARER
                        .realm("admin area")
                        .optional();
            },
        );
        assert_contains(
            &actual,
            quote!(::deps::auth::__private_v0_1_0::Guarded<__auth_requirement_me, (::deps::auth::__private_v0_1_0::Optional<auth::Identity>,)>),
        );
        assert_contains(&actual, quote!(let who = __auth_args.args.0.into_option();));
        assert!(!actual.contains("auth_runtime"));
    }

    #[test]
    fn one_builtin_scheme_is_named_by_its_constant() {
        for (args, constant) in [
            (
                quote!(scheme = "basic"),
                quote!(::auth_runtime::__private_v0_1_0::BASIC),
            ),
            (
                quote!(scheme = any("ApiKey")),
                quote!(::auth_runtime::__private_v0_1_0::API_KEY),
            ),
        ] {
            let actual = expansion(
                args,
                quote!(
                    async fn f() {}
                ),
            );
            assert_contains(
                &actual,
                quote!(const REQUIREMENT: ::auth_runtime::__private_v0_1_0::Requirement = #constant;),
            );
        }
    }

    #[test]
    fn nested_scopes_keep_their_shape() {
        let actual = expansion(
            quote!(scope = any("admin", all("x", "y"))),
            quote!(
                async fn f() {}
            ),
        );
        assert_contains(
            &actual,
            quote! {
                .scope(::auth_runtime::__private_v0_1_0::Any(&[
                    ::auth_runtime::__private_v0_1_0::Token("admin"),
                    ::auth_runtime::__private_v0_1_0::AllOf(&["x", "y"])
                ]))
            },
        );
    }

    #[test]
    fn a_literal_suffix_is_dropped() {
        let actual = expansion(
            quote!(scope = "a"suffix, realm = "r"x),
            quote!(
                async fn f() {}
            ),
        );
        assert_contains(
            &actual,
            quote!(.scope(::auth_runtime::__private_v0_1_0::Token("a")).realm("r");),
        );
    }

    #[test]
    fn schemes_keep_their_order_and_custom_ones_go_through_the_checked_trait() {
        let actual = expansion(
            quote!(scheme = any("basic", my::Session, "ApiKey")),
            quote!(
                async fn f() {}
            ),
        );
        assert_contains(
            &actual,
            quote! {
                ::auth_runtime::__private_v0_1_0::Requirement::new(&[
                    ::auth_runtime::__private_v0_1_0::Scheme::Basic,
                    <my::Session as ::auth_runtime::__private_v0_1_0::CustomSchemeType>::SCHEME,
                    ::auth_runtime::__private_v0_1_0::Scheme::ApiKey
                ]);
            },
        );
    }

    #[test]
    fn roles_reach_the_requirement_like_scopes() {
        let actual = expansion(
            quote!(scope = "a", role = any("admin", all("staff", "owner"))),
            quote!(
                async fn f() {}
            ),
        );
        assert_contains(
            &actual,
            quote! {
                .scope(::auth_runtime::__private_v0_1_0::Token("a"))
                .roles(::auth_runtime::__private_v0_1_0::Any(&[
                    ::auth_runtime::__private_v0_1_0::Token("admin"),
                    ::auth_runtime::__private_v0_1_0::AllOf(&["staff", "owner"])
                ]));
            },
        );
    }

    #[test]
    fn acr_and_max_age_reach_the_requirement() {
        let actual = expansion(
            quote!(
                scope = "a",
                acr = any("urn:x:mfa", "urn:x:hwk"),
                max_age = 300
            ),
            quote!(
                async fn f() {}
            ),
        );
        assert_contains(
            &actual,
            quote! {
                ::auth_runtime::__private_v0_1_0::BEARER
                    .scope(::auth_runtime::__private_v0_1_0::Token("a"))
                    .acr(&["urn:x:mfa", "urn:x:hwk"])
                    .max_age(300);
            },
        );
    }

    #[test]
    fn a_policy_is_adapted_next_to_the_requirement() {
        let actual = expansion(
            quote!(policy = crate::policies::check, crate = "::deps::auth"),
            quote! {
                #[cfg(test)]
                async fn guarded() {}
            },
        );
        same(
            actual,
            with_order_check(
                quote! {
                    #[cfg(test)]
                    #[doc(hidden)]
                    enum __auth_requirement_guarded {}

                    #[cfg(test)]
                    impl ::deps::auth::__private_v0_1_0::StaticRequirement for __auth_requirement_guarded {
                        const REQUIREMENT: ::deps::auth::__private_v0_1_0::Requirement =
                            ::deps::auth::__private_v0_1_0::BEARER
                                .policy(__auth_requirement_guarded::__auth_policy)
                                .policy_name("crate::policies::check");
                    }

                    #[cfg(test)]
                    impl __auth_requirement_guarded {
                        fn __auth_policy(
                            __auth_principal: ::deps::auth::__private_v0_1_0::Arc<::deps::auth::__private_v0_1_0::Principal>,
                            __auth_request: ::deps::auth::__private_v0_1_0::HttpRequest,
                        ) -> ::deps::auth::__private_v0_1_0::PolicyFuture {
                            ::std::boxed::Box::pin(async move {
                                ::deps::auth::__private_v0_1_0::run_policy(
                                    &crate::policies::check,
                                    &__auth_principal,
                                    &__auth_request
                                ).await
                            })
                        }
                    }

                    #[cfg(test)]
                    async fn guarded(
                        __auth_args: ::deps::auth::__private_v0_1_0::Guarded<__auth_requirement_guarded, ()>,
                    ) {}
                },
                "guarded",
                quote!(::deps::auth::__private_v0_1_0),
            ),
        );
    }

    #[test]
    fn cfg_goes_everywhere_and_other_attributes_stay_inside() {
        let actual = expansion(
            quote!(),
            quote! {
                #[cfg(feature = "admin")]
                #[actix_web::post("/x")]
                #[allow(unused_variables)]
                async fn r#move(id: web::Path<u32>) {}
            },
        );
        // The requirement, the unit struct (its marker) and the registration, which uses the
        // route attribute.
        assert_eq!(actual.matches("# [cfg (feature = \"admin\")]").count(), 3);
        assert!(!actual.contains("# [actix_web :: post"), "{actual}");
        assert!(actual.contains("use actix_web :: post as _"), "{actual}");
        let inner = actual.find("async fn r#move (id").unwrap();
        let allow = actual.find("# [allow (unused_variables)]").unwrap();
        let register = actual.find("fn register").unwrap();
        assert!(register < allow && allow < inner, "{actual}");
        assert!(!actual.contains("__auth_requirement"), "{actual}");
        assert!(actual.contains("struct r#move ;"), "{actual}");
        assert!(actual.contains("StaticRequirement for r#move"), "{actual}");
        assert!(actual.contains("Guarded < r#move ,"), "{actual}");
    }

    #[test]
    fn plain_options_and_unknown_types_pass_through() {
        let actual = expansion(
            quote!(),
            quote!(
                async fn f(q: Option<web::Query<Q>>, c: Claims<C>) {}
            ),
        );
        assert_contains(&actual, quote!((Option<web::Query<Q>>, Claims<C>,)));
        assert_contains(
            &actual,
            quote!(let __auth_args = __auth_args.args; let q = __auth_args.0; let c = __auth_args.1;),
        );
        assert_contains(
            &actual,
            quote!(::auth_runtime::__private_v0_1_0::assert_claims_type::<C>();),
        );
        assert_contains(
            &actual,
            quote!(::auth_runtime::__private_v0_1_0::assert_extractor::<Option<web::Query<Q>>>();),
        );
    }

    #[test]
    fn errors_leave_the_function_as_written() {
        let item = quote! {
            #[get("/x")]
            fn sync(who: Identity) {}
        };
        let actual = expansion(quote!(scop = "a", realm = ""), item.clone());
        assert!(actual.starts_with(&item.to_string()), "{actual}");
        assert_eq!(actual.matches("compile_error").count(), 3, "{actual}");
        assert!(!actual.contains("__auth_"));
    }

    #[test]
    fn a_route_attribute_below_is_registered_with_the_declaration() {
        let actual = expansion(
            quote!(scope = "items:read"),
            quote! {
                /// Lists the items.
                #[get("/items/{id}", name = "item", guard = "json_only", wrap = "Logger::default()")]
                pub async fn show(id: web::Path<u32>) -> HttpResponse {
                    HttpResponse::Ok().finish()
                }
            },
        );
        assert_contains(
            &actual,
            quote!(
                /// Lists the items.
                #[allow(non_camel_case_types)]
                pub struct show;
            ),
        );
        assert_contains(
            &actual,
            quote! {
                let __auth_resource = ::auth_runtime::__private_v0_1_0::Resource::new("/items/{id}")
                    .name("item")
                    .guard(::auth_runtime::__private_v0_1_0::guard::Get())
                    .guard(::auth_runtime::__private_v0_1_0::fn_guard(json_only))
                    .wrap(Logger::default())
                    .to(show);
                ::auth_runtime::__private_v0_1_0::register_declared(
                    __auth_config,
                    __auth_resource,
                    ::auth_runtime::__private_v0_1_0::RouteDeclaration {
                        path: "/items/{id}",
                        methods: ::auth_runtime::__private_v0_1_0::Methods::GET,
                        handler: ::core::concat!(::core::module_path!(), "::", "show"),
                        requirement: ::auth_runtime::__private_v0_1_0::requirement_of::<show>,
                    }
                );
            },
        );
    }

    #[test]
    fn a_route_with_several_methods_guards_each_and_routes_is_refused() {
        // Without `guard` or `wrap`, the runtime builds the resource and its method guard from
        // the declaration.
        let actual = expansion(
            quote!(),
            quote! {
                #[route("/x", method = "GET", method = "head")]
                async fn x() {}
            },
        );
        assert_contains(
            &actual,
            quote! {
                ::auth_runtime::__private_v0_1_0::register_handler(
                    __auth_config,
                    ::auth_runtime::__private_v0_1_0::RouteDeclaration {
                        path: "/x",
                        methods: ::auth_runtime::__private_v0_1_0::Methods::GET
                            .or(::auth_runtime::__private_v0_1_0::Methods::HEAD),
                        handler: ::core::concat!(::core::module_path!(), "::", "x"),
                        requirement: ::auth_runtime::__private_v0_1_0::requirement_of::<x>,
                    },
                    "x",
                    x
                );
            },
        );
        let actual = expansion(
            quote!(),
            quote! {
                #[route("/x", method = "GET", method = "head", guard = "json_only")]
                async fn x() {}
            },
        );
        assert_contains(
            &actual,
            quote! {
                .guard(::auth_runtime::__private_v0_1_0::AnyGuard(
                    ::auth_runtime::__private_v0_1_0::guard::Get())
                    .or(::auth_runtime::__private_v0_1_0::guard::Head()))
                .guard(::auth_runtime::__private_v0_1_0::fn_guard(json_only))
            },
        );
        assert!(!actual.contains("register_handler"), "{actual}");
        let actual = expansion(
            quote!(),
            quote! {
                #[routes]
                #[get("/x")]
                async fn x() {}
            },
        );
        assert!(
            actual.contains("cannot register the routes of `#[routes]`"),
            "{actual}"
        );
    }

    #[test]
    fn only_route_takes_a_method_argument() {
        let actual = expansion(
            quote!(),
            quote! {
                #[get("/x", method = "POST")]
                async fn x() {}
            },
        );
        assert!(
            actual.contains("unknown argument `method` of the route attribute"),
            "{actual}"
        );
        let actual = expansion(
            quote!(),
            quote! {
                #[route("/x", method = "PURGE")]
                async fn x() {}
            },
        );
        assert!(
            actual.contains("knows the standard methods only (`GET`, `POST`, …), not `PURGE`"),
            "{actual}"
        );
    }

    #[test]
    fn a_function_without_a_braced_body_is_refused() {
        let actual = expansion(
            quote!(),
            quote! {
                async fn f() (x)
            },
        );
        assert!(actual.contains("compile_error"), "{actual}");
        assert!(!actual.contains("__auth_requirement"), "{actual}");
    }

    #[test]
    fn utoipa_path_gets_the_extension_after_its_own_arguments_whatever_is_above_it() {
        let actual = expansion(
            quote!(scope = "a"),
            quote! {
                /// Docs.
                #[utoipa::path(get, path = "/x")]
                async fn x() {}
            },
        );
        assert!(!actual.contains("compile_error"), "{actual}");
        assert!(
            actual.contains(r#"# [utoipa :: path (get , path = "/x" , extensions"#),
            "{actual}"
        );
        assert!(actual.contains(r#"# [doc = r" Docs."]"#), "{actual}");
        let bare = expansion(
            quote!(),
            quote! {
                #[utoipa::path()]
                async fn x() {}
            },
        );
        assert!(bare.contains("# [utoipa :: path (extensions"), "{bare}");
    }

    #[test]
    fn utoipa_path_is_hoisted_once() {
        let item = quote! {
            #[utoipa::path(get, path = "/x")]
            async fn x() {}
        };
        let first = expansion(quote!(scope = "a"), item.clone());
        assert!(first.contains("x-auth-runtime"), "{first}");
        assert!(first.contains("__auth_documented scope = \"a\""), "{first}");
        // The attribute emitted again below `#[utoipa::path]` expands the handler.
        let again = expansion(quote!(__auth_documented scope = "a"), item);
        assert!(!again.contains("x-auth-runtime"), "{again}");
        assert!(again.contains("__auth_requirement_x"), "{again}");
        // The order check is for handlers whose `#[utoipa::path]` may be above the attribute.
        if cfg!(feature = "openapi") {
            assert!(!again.contains("__auth_openapi_x"), "{again}");
            let plain = expansion(
                quote!(scope = "a"),
                quote!(
                    async fn x() {}
                ),
            );
            assert!(plain.contains("__auth_openapi_x"), "{plain}");
        }
    }

    #[test]
    fn public_names_the_public_requirement_and_takes_only_crate() {
        let actual = public(
            quote!(),
            quote! {
                #[get("/hello")]
                async fn hello(who: Option<Identity>) {}
            },
        )
        .to_string();
        assert_contains(
            &actual,
            quote!(
                const REQUIREMENT: ::auth_runtime::__private_v0_1_0::Requirement =
                    ::auth_runtime::__private_v0_1_0::PUBLIC;
            ),
        );
        assert_contains(
            &actual,
            quote!(::auth_runtime::__private_v0_1_0::Optional<Identity>),
        );
        let actual = public(
            quote!(scope = "a"),
            quote!(
                async fn f() {}
            ),
        )
        .to_string();
        assert!(
            actual.contains("`#[public]` takes no argument other than `crate`; `scope` belongs to `#[requires]`"),
            "{actual}"
        );
    }

    #[test]
    fn a_struct_is_refused_and_kept() {
        let actual = expansion(
            quote!(),
            quote!(
                struct NotAHandler;
            ),
        );
        assert!(actual.starts_with("struct NotAHandler ;"));
        assert!(actual.contains("goes on an `async fn` handler, not on a `struct`"));
    }
}
