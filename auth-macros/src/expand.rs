//! Code generation: the requirement as a constant, and the wrapper that actix-web registers in
//! place of the handler, which authenticates before the handler's own extractors run.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::token::Brace;
use syn::{parse_quote, Attribute, ExprPath, Ident, ItemFn, LitStr, Path, Signature, Visibility};

use crate::ast::{Handler, Param, Requirement, Scheme, ScopeExpr};
use crate::attr::{parse_handler, parse_requirement};
use crate::errors::Errors;
use crate::valid::{check_handler, check_requirement};

/// Attributes whose last path segment is one of these register the handler with actix-web
/// (`#[get]`, `#[actix_web::route]`, …); they must see the wrapper, not the user's function.
const ROUTE_ATTRIBUTES: &[&str] = &[
    "get", "post", "put", "delete", "patch", "head", "options", "connect", "trace", "route",
    "routes",
];

/// Parses, validates and expands `#[requires(args)] item`; on any error, the item as written
/// and every error.
pub(crate) fn requires(args: TokenStream, item: TokenStream) -> TokenStream {
    match try_expand(args, item.clone()) {
        Ok(expanded) => expanded,
        Err(error) => fallback(item, error),
    }
}

fn try_expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let requirement = parse_requirement(args, &mut errors);
    check_requirement(&requirement, &mut errors);
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
    errors.finish()?;
    Ok(handler.map_or_else(TokenStream::new, |handler| expand(&requirement, handler)))
}

/// The user's item untouched, so the rest of the crate (and the IDE) still sees the handler,
/// followed by the errors.
fn fallback(item: TokenStream, error: syn::Error) -> TokenStream {
    let errors = error.to_compile_error();
    quote!(#item #errors)
}

fn expand(requirement: &Requirement, handler: Handler) -> TokenStream {
    let krate: Path = requirement
        .krate
        .clone()
        .unwrap_or_else(|| parse_quote!(::auth_runtime));
    let module = private_module();
    let private = quote!(#krate::#module);
    let Handler { item, params } = handler;
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = item;
    let marker = format_ident!("__auth_requirement_{}", sig.ident, span = sig.ident.span());
    let attrs = Attributes::split(attrs);
    let requirement_items = requirement_items(requirement, &marker, &vis, &attrs.cfg(), &private);
    let brace = block.brace_token;
    let inner = ItemFn {
        attrs: attrs.inner,
        vis: Visibility::Inherited,
        sig: sig.clone(),
        block,
    };
    let wrapper = wrapper_fn(&vis, &sig, brace, inner, &params, &marker, &private);
    let outer_attrs = &attrs.outer;
    quote! {
        #requirement_items
        #(#outer_attrs)*
        #wrapper
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

/// The marker type whose `StaticRequirement` is the requirement, and the policy adapter.
fn requirement_items(
    requirement: &Requirement,
    marker: &Ident,
    vis: &Visibility,
    cfg: &[&Attribute],
    private: &TokenStream,
) -> TokenStream {
    let requirement_expr = requirement_expr(requirement, marker, private);
    let policy_adapter = requirement.policy.as_ref().map(|policy| {
        let adapter = policy_adapter(policy, marker, private);
        quote!(#(#cfg)* #adapter)
    });
    quote! {
        #(#cfg)*
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis struct #marker;

        #(#cfg)*
        impl #private::StaticRequirement for #marker {
            const REQUIREMENT: #private::Requirement = #requirement_expr;
        }

        #policy_adapter
    }
}

/// `async fn name(__auth_args: Guarded<Marker, (..)>) -> Output { inner; checks; call }`: the
/// function actix-web registers, with the user's function inside it.
fn wrapper_fn(
    vis: &Visibility,
    sig: &Signature,
    brace: Brace,
    inner: ItemFn,
    params: &[Param],
    marker: &Ident,
    private: &TokenStream,
) -> TokenStream {
    let Forwarding {
        tuple_types,
        bindings,
        call_args,
        type_checks,
    } = forwarding(params, private);
    let destructure = (!bindings.is_empty()).then(|| {
        quote! {
            let (#(#bindings,)*) = #private::Guarded::into_inner(__auth_args);
        }
    });
    let Signature {
        asyncness,
        fn_token,
        ident,
        paren_token,
        output,
        ..
    } = sig;
    // The wrapper's parentheses and braces are the user's: with spans of the attribute, rustc
    // takes the whole function for foreign code and drops its `never used` warning. The
    // parameter itself stays spanned at the attribute, out of reach of lints such as
    // `clippy::type_complexity` that the user cannot act on.
    let params = quote! {
        __auth_args: #private::Guarded<#marker, (#(#tuple_types,)*)>,
    };
    let body = quote! {
        #inner
        #(#type_checks)*
        #destructure
        #ident(#(#call_args),*).await
    };
    let mut wrapper = quote!(#vis #asyncness #fn_token #ident);
    paren_token.surround(&mut wrapper, |tokens| tokens.extend(params));
    output.to_tokens(&mut wrapper);
    brace.surround(&mut wrapper, |tokens| tokens.extend(body));
    wrapper
}

/// How the wrapper hands what `Guarded` extracted to the user's function.
struct Forwarding {
    /// The `Args` of `Guarded<_, Args>`, one per parameter.
    tuple_types: Vec<TokenStream>,
    /// `__auth_arg0`, … bound from the extracted tuple.
    bindings: Vec<Ident>,
    /// What is passed for each parameter.
    call_args: Vec<TokenStream>,
    /// `assert_claims_type::<T>()` for each `Claims<T>`, spanned at `T`, and
    /// `assert_extractor::<P>()` for every other parameter type, spanned at `P`.
    type_checks: Vec<TokenStream>,
}

fn forwarding(params: &[Param], private: &TokenStream) -> Forwarding {
    let mut forwarding = Forwarding {
        tuple_types: Vec::new(),
        bindings: Vec::new(),
        call_args: Vec::new(),
        type_checks: Vec::new(),
    };
    for (index, param) in params.iter().enumerate() {
        let binding = format_ident!("__auth_arg{}", index);
        match &param.optional_credentials {
            // `Option<Identity>` would be `None` for invalid credentials too; `Optional` refuses
            // those and is `None` only when no credentials were sent.
            Some(inner) => {
                forwarding
                    .tuple_types
                    .push(quote!(#private::Optional<#inner>));
                forwarding
                    .call_args
                    .push(quote!(#private::Optional::into_option(#binding)));
            }
            None => {
                forwarding.tuple_types.push(param.ty.to_token_stream());
                forwarding.call_args.push(binding.to_token_stream());
            }
        }
        forwarding.bindings.push(binding);
        if let Some(claims) = &param.claims {
            let span = claims.span();
            let private = respan(private.clone(), span);
            forwarding.type_checks.push(quote_spanned! {span=>
                #private::assert_claims_type::<#claims>();
            });
        } else if param.optional_credentials.is_none() {
            // A parameter that is not an extractor is reported at its type, in words, rather
            // than as an unsatisfied bound on the generated tuple.
            let ty = &param.ty;
            let span = ty.span();
            let private = respan(private.clone(), span);
            forwarding.type_checks.push(quote_spanned! {span=>
                #private::assert_extractor::<#ty>();
            });
        }
    }
    forwarding
}

fn is_doc(attr: &Attribute) -> bool {
    attr.path().is_ident("doc")
}

fn is_cfg(attr: &Attribute) -> bool {
    attr.path().is_ident("cfg")
}

fn is_route(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|last| ROUTE_ATTRIBUTES.iter().any(|name| last.ident == name))
}

/// `Requirement::new(&[schemes]).scope(..).roles(..).policy(..).realm(..).optional()`, a
/// constant expression.
fn requirement_expr(
    requirement: &Requirement,
    marker: &Ident,
    private: &TokenStream,
) -> TokenStream {
    let schemes = requirement.schemes.iter().map(|scheme| match scheme {
        Scheme::Builtin { variant, span } => {
            let variant = Ident::new(variant, *span);
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
    });
    let mut expr = quote!(#private::Requirement::new(&[#(#schemes),*]));
    if let Some(scope) = &requirement.scope {
        let scope = scope_expr(scope, private);
        expr.extend(quote!(.scope(&#scope)));
    }
    if let Some(roles) = &requirement.roles {
        let roles = scope_expr(roles, private);
        expr.extend(quote!(.roles(&#roles)));
    }
    if requirement.policy.is_some() {
        expr.extend(quote!(.policy(#marker::__auth_policy)));
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

/// The user's `async fn check(&Principal, &HttpRequest) -> PolicyDecision` as the runtime's
/// `Policy` function pointer.
///
/// The call is located at the user's path, so that a function with the wrong signature is
/// reported there; the tokens around it resolve at the mixed site, which keeps most of rustc's
/// suggestions out of code the user never wrote (a `.clone()` hint for by-value parameters
/// still shows).
fn policy_adapter(policy: &ExprPath, marker: &Ident, private: &TokenStream) -> TokenStream {
    let located = policy
        .path
        .segments
        .last()
        .map_or_else(|| policy.span(), |segment| segment.ident.span());
    let site = Span::mixed_site().located_at(located);
    let principal = Ident::new("__auth_principal", Span::mixed_site());
    let request = Ident::new("__auth_request", Span::mixed_site());
    let decision = Ident::new("__auth_decision", Span::mixed_site());
    let checked_private = respan(private.clone(), site);
    // Borrowed first, so that a mismatch reads `found &Principal`, not the adapter's `Arc`.
    let call = {
        let principal = Ident::new("__auth_principal", site);
        let request = Ident::new("__auth_request", site);
        quote_spanned! {site=>
            let #principal: &#checked_private::Principal = &#principal;
            let #request: &#checked_private::HttpRequest = &#request;
            let #decision: #checked_private::PolicyDecision = #policy(#principal, #request).await;
            #decision
        }
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

fn scope_expr(expr: &ScopeExpr, private: &TokenStream) -> TokenStream {
    match expr {
        ScopeExpr::Token(lit) => {
            let lit = plain_literal(lit);
            quote!(#private::ScopeExpr::Token(#lit))
        }
        ScopeExpr::All(parts, _) => {
            let parts = parts.iter().map(|part| scope_expr(part, private));
            quote!(#private::ScopeExpr::All(&[#(#parts),*]))
        }
        ScopeExpr::Any(parts, _) => {
            let parts = parts.iter().map(|part| scope_expr(part, private));
            quote!(#private::ScopeExpr::Any(&[#(#parts),*]))
        }
    }
}

/// The literal's value as a plain string literal at the user's span: syn accepts a suffix
/// (`"a"x`) that rustc would refuse in an expression.
fn plain_literal(lit: &LitStr) -> LitStr {
    LitStr::new(&lit.value(), lit.span())
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
                #[get("/items")]
                #[tracing::instrument]
                pub async fn create(body: web::Json<Item>, who: Identity, maybe: Option<Claims<MyClaims>>) -> impl Responder {
                    HttpResponse::Ok()
                }
            },
        );
        same(
            actual,
            quote! {
                #[doc(hidden)]
                #[allow(non_camel_case_types)]
                pub struct __auth_requirement_create;

                impl ::auth_runtime::__private_v0_1_0::StaticRequirement for __auth_requirement_create {
                    const REQUIREMENT: ::auth_runtime::__private_v0_1_0::Requirement =
                        ::auth_runtime::__private_v0_1_0::Requirement::new(&[::auth_runtime::__private_v0_1_0::Scheme::Bearer])
                            .scope(&::auth_runtime::__private_v0_1_0::ScopeExpr::All(&[
                                ::auth_runtime::__private_v0_1_0::ScopeExpr::Token("items:read"),
                                ::auth_runtime::__private_v0_1_0::ScopeExpr::Token("items:write")
                            ]));
                }

                /// Creates an item.
                #[get("/items")]
                pub async fn create(
                    __auth_args: ::auth_runtime::__private_v0_1_0::Guarded<
                        __auth_requirement_create,
                        (web::Json<Item>, Identity, ::auth_runtime::__private_v0_1_0::Optional<Claims<MyClaims> >,)
                    >,
                ) -> impl Responder {
                    #[tracing::instrument]
                    async fn create(body: web::Json<Item>, who: Identity, maybe: Option<Claims<MyClaims>>) -> impl Responder {
                        HttpResponse::Ok()
                    }
                    ::auth_runtime::__private_v0_1_0::assert_extractor::<web::Json<Item>>();
                    ::auth_runtime::__private_v0_1_0::assert_extractor::<Identity>();
                    ::auth_runtime::__private_v0_1_0::assert_claims_type::<MyClaims>();
                    let (__auth_arg0, __auth_arg1, __auth_arg2,) =
                        ::auth_runtime::__private_v0_1_0::Guarded::into_inner(__auth_args);
                    create(
                        __auth_arg0,
                        __auth_arg1,
                        ::auth_runtime::__private_v0_1_0::Optional::into_option(__auth_arg2)
                    ).await
                }
            },
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
    fn zero_parameters_need_no_destructuring() {
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
            quote! {
                #[doc(hidden)]
                #[allow(non_camel_case_types)]
                struct __auth_requirement_ping;

                impl ::auth_runtime::__private_v0_1_0::StaticRequirement for __auth_requirement_ping {
                    const REQUIREMENT: ::auth_runtime::__private_v0_1_0::Requirement =
                        ::auth_runtime::__private_v0_1_0::Requirement::new(&[::auth_runtime::__private_v0_1_0::Scheme::Bearer]);
                }

                async fn ping(__auth_args: ::auth_runtime::__private_v0_1_0::Guarded<__auth_requirement_ping, ()>,) -> &'static str {
                    async fn ping() -> &'static str { "pong" }
                    ping().await
                }
            },
        );
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
                    ::deps::auth::__private_v0_1_0::Requirement::new(&[::deps::auth::__private_v0_1_0::Scheme::Bearer])
                        .realm("admin area")
                        .optional();
            },
        );
        assert_contains(
            &actual,
            quote!(::deps::auth::__private_v0_1_0::Guarded<__auth_requirement_me, (::deps::auth::__private_v0_1_0::Optional<auth::Identity>,)>),
        );
        assert_contains(
            &actual,
            quote!(
                me(::deps::auth::__private_v0_1_0::Optional::into_option(
                    __auth_arg0
                ))
                .await
            ),
        );
        assert!(!actual.contains("auth_runtime"));
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
                .scope(&::auth_runtime::__private_v0_1_0::ScopeExpr::Any(&[
                    ::auth_runtime::__private_v0_1_0::ScopeExpr::Token("admin"),
                    ::auth_runtime::__private_v0_1_0::ScopeExpr::All(&[
                        ::auth_runtime::__private_v0_1_0::ScopeExpr::Token("x"),
                        ::auth_runtime::__private_v0_1_0::ScopeExpr::Token("y")
                    ])
                ]))
            },
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
                .scope(&::auth_runtime::__private_v0_1_0::ScopeExpr::Token("a"))
                .roles(&::auth_runtime::__private_v0_1_0::ScopeExpr::Any(&[
                    ::auth_runtime::__private_v0_1_0::ScopeExpr::Token("admin"),
                    ::auth_runtime::__private_v0_1_0::ScopeExpr::All(&[
                        ::auth_runtime::__private_v0_1_0::ScopeExpr::Token("staff"),
                        ::auth_runtime::__private_v0_1_0::ScopeExpr::Token("owner")
                    ])
                ]));
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
            quote! {
                #[cfg(test)]
                #[doc(hidden)]
                #[allow(non_camel_case_types)]
                struct __auth_requirement_guarded;

                #[cfg(test)]
                impl ::deps::auth::__private_v0_1_0::StaticRequirement for __auth_requirement_guarded {
                    const REQUIREMENT: ::deps::auth::__private_v0_1_0::Requirement =
                        ::deps::auth::__private_v0_1_0::Requirement::new(&[::deps::auth::__private_v0_1_0::Scheme::Bearer])
                            .policy(__auth_requirement_guarded::__auth_policy);
                }

                #[cfg(test)]
                impl __auth_requirement_guarded {
                    fn __auth_policy(
                        __auth_principal: ::deps::auth::__private_v0_1_0::Arc<::deps::auth::__private_v0_1_0::Principal>,
                        __auth_request: ::deps::auth::__private_v0_1_0::HttpRequest,
                    ) -> ::deps::auth::__private_v0_1_0::PolicyFuture {
                        ::std::boxed::Box::pin(async move {
                            let __auth_principal: &::deps::auth::__private_v0_1_0::Principal = &__auth_principal;
                            let __auth_request: &::deps::auth::__private_v0_1_0::HttpRequest = &__auth_request;
                            let __auth_decision: ::deps::auth::__private_v0_1_0::PolicyDecision =
                                crate::policies::check(__auth_principal, __auth_request).await;
                            __auth_decision
                        })
                    }
                }

                #[cfg(test)]
                async fn guarded(
                    __auth_args: ::deps::auth::__private_v0_1_0::Guarded<__auth_requirement_guarded, ()>,
                ) {
                    async fn guarded() {}
                    guarded().await
                }
            },
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
        assert_eq!(actual.matches("# [cfg (feature = \"admin\")]").count(), 3);
        assert_eq!(actual.matches("# [actix_web :: post (\"/x\")]").count(), 1);
        let inner = actual.find("async fn r#move (id").unwrap();
        let allow = actual.find("# [allow (unused_variables)]").unwrap();
        let route = actual.find("# [actix_web :: post").unwrap();
        assert!(route < allow && allow < inner, "{actual}");
        assert!(actual.contains("struct __auth_requirement_move ;"));
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
        assert_contains(&actual, quote!(f(__auth_arg0, __auth_arg1).await));
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
