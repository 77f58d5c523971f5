//! `#[utoipa::path]` next to `#[requires]` or `#[public]`: the operation's security comes from
//! the requirement, whichever of the two the user writes first.
//!
//! - Written below `#[requires]`, `#[utoipa::path]` is moved above it with one more extension,
//!   `x-auth-runtime`, whose value is the requirement (computed by the runtime from the same
//!   constant the guard checks); `auth_runtime::openapi::SecurityAddon` turns it into the
//!   operation's `security` and its 401/403 responses. `#[requires]` is then emitted again,
//!   marked as documented, below it, so that utoipa still reads the handler as written.
//! - Written above `#[requires]`, it has already generated its operation when `#[requires]`
//!   runs; with the `openapi` feature, the generated code then fails to compile with a message
//!   that says which order to write.

use proc_macro2::{Delimiter, Ident, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned};
use syn::Attribute;

use crate::errors::Errors;
use crate::route::{is_route, marker};

/// The hidden first argument `#[requires]` and `#[public]` are emitted again with once their
/// `#[utoipa::path]` carries the requirement.
pub(crate) const DOCUMENTED: &str = "__auth_documented";

/// Whether `attr` is `#[utoipa::path(..)]`.
pub(crate) fn is_utoipa_path(attr: &Attribute) -> bool {
    let segments: Vec<String> = attr
        .path()
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    segments == ["utoipa", "path"]
}

/// Whether the arguments start with the hidden `__auth_documented` flag; they are returned
/// without it.
pub(crate) fn take_documented_flag(args: TokenStream) -> (bool, TokenStream) {
    let mut tokens = args.clone().into_iter();
    match tokens.next() {
        Some(TokenTree::Ident(ident)) if ident == DOCUMENTED => (true, tokens.collect()),
        _ => (false, args),
    }
}

/// `#[utoipa::path(.., extensions(("x-auth-runtime" = json!(requirement))))]` followed by the
/// attribute again (`attribute` is `requires` or `public`), for the handler whose attributes
/// below the attribute are `attrs`: `None` when none of them is `#[utoipa::path]`.
pub(crate) fn hoist(
    attribute: &str,
    args: &TokenStream,
    item: &TokenStream,
    krate: Option<&syn::Path>,
    private: &TokenStream,
    errors: &mut Errors,
) -> Option<TokenStream> {
    // Most handlers have no `#[utoipa::path]`: look at the attributes' tokens before parsing
    // the whole function, body and all (in a debug-built macro, that parse took a tenth of the
    // expansion's time).
    if !may_have_utoipa_path(item) {
        return None;
    }
    let mut function: syn::ItemFn = syn::parse2(item.clone()).ok()?;
    let position = function.attrs.iter().position(is_utoipa_path)?;
    let utoipa = function.attrs.remove(position);
    let syn::Meta::List(list) = &utoipa.meta else {
        errors.at_tokens(
            &utoipa,
            "`#[utoipa::path]` needs its arguments: `#[utoipa::path(get, path = \"/items\")]`",
        );
        return None;
    };
    if has_argument(&list.tokens, "extensions") {
        errors.at_tokens(
            &utoipa,
            format!("`#[{attribute}]` adds `extensions(..)` to `#[utoipa::path]` for the operation's security; move your extensions to a `utoipa::Modify`"),
        );
        return None;
    }
    let marker = marker(&function.sig.ident, function.attrs.iter().any(is_route));
    let path = utoipa.path();
    let tokens = &list.tokens;
    let separator = (!tokens.is_empty()).then(|| quote!(,));
    let krate = krate.map_or_else(|| quote!(::auth_runtime), |krate| quote!(#krate));
    let attribute = Ident::new(attribute, Span::call_site());
    let documented = Ident::new(DOCUMENTED, Span::call_site());
    Some(quote! {
        #[#path(#tokens #separator extensions(("x-auth-runtime" = json!(
            #private::requirement_json(&<#marker as #private::StaticRequirement>::REQUIREMENT)
        ))))]
        // The flag, then the arguments as written (no comma between: the flag is one token).
        #[#krate::#attribute(#documented #args)]
        #function
    })
}

/// Whether an outer attribute of `item` may be `#[utoipa::path ..]`, from its first tokens:
/// never `false` for one that is (`is_utoipa_path` decides on the parsed attribute).
fn may_have_utoipa_path(item: &TokenStream) -> bool {
    let mut tokens = item.clone().into_iter();
    while let Some(TokenTree::Punct(pound)) = tokens.next() {
        let Some(TokenTree::Group(attribute)) = tokens.next() else {
            return false;
        };
        if pound.as_char() != '#' || attribute.delimiter() != Delimiter::Bracket {
            return false;
        }
        let mut path = attribute.stream().into_iter();
        match path.next() {
            Some(TokenTree::Ident(first)) if first == "utoipa" => {
                let rest: Vec<String> = path.take(3).map(|token| token.to_string()).collect();
                if rest == [":", ":", "path"] {
                    return true;
                }
            }
            // Tokens a `macro_rules!` passed on may be wrapped in an invisible group.
            Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::None => return true,
            _ => {}
        }
    }
    false
}

/// Whether one of the comma-separated arguments in `tokens` starts with the identifier `name`.
fn has_argument(tokens: &TokenStream, name: &str) -> bool {
    let mut previous_is_separator = true;
    for token in tokens.clone() {
        match &token {
            TokenTree::Ident(ident) if previous_is_separator && ident == name => return true,
            TokenTree::Punct(punct) => previous_is_separator = punct.as_char() == ',',
            _ => previous_is_separator = false,
        }
    }
    false
}

/// With the `openapi` feature: a compile error when `#[utoipa::path]` was written above the
/// attribute, which it can only detect by the `__path_<handler>` type utoipa generated. A
/// fallback type of that name comes in through a glob import, which an item of the same name
/// (utoipa's) shadows; only the fallback implements the checked trait.
pub(crate) fn order_check(ident: &Ident, attribute: &str, private: &TokenStream) -> TokenStream {
    if !cfg!(feature = "openapi") {
        return TokenStream::new();
    }
    let module = format_ident!("__auth_openapi_{}", ident, span = Span::call_site());
    let documented = format_ident!("__path_{}", ident, span = Span::call_site());
    let span = ident.span();
    let check = match attribute {
        "public" => quote_spanned!(span=> #private::public_before_utoipa_path::<#documented>()),
        _ => quote_spanned!(span=> #private::requires_before_utoipa_path::<#documented>()),
    };
    quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types, non_snake_case)]
        mod #module {
            pub struct #documented;
            impl #private::NotDocumentedYet for #documented {}
        }
        #[allow(unused_imports)]
        use #module::*;
        const _: () = #check;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::Group;

    #[test]
    fn the_prefilter_finds_utoipa_path_among_the_outer_attributes() {
        let found = |item: TokenStream| may_have_utoipa_path(&item);
        assert!(found(quote! {
            /// Docs.
            #[get("/x")]
            #[utoipa::path(responses((status = 200)))]
            async fn f() {}
        }));
        assert!(found(quote!(
            #[utoipa::path]
            async fn f() {}
        )));
        assert!(!found(quote!(
            #[get("/x")]
            async fn f() {}
        )));
        assert!(!found(quote!(
            #[utoipa::paths]
            async fn f() {}
        )));
        assert!(!found(quote!(
            #[utoipa]
            async fn f() {}
        )));
        assert!(!found(quote!(
            #[path]
            async fn f() {}
        )));
        assert!(!found(quote!(
            async fn f() {
                #[utoipa::path]
                fn g() {}
            }
        )));
        assert!(!found(quote!(
            #[other::path]
            async fn f() {}
        )));
        let wrapped = Group::new(Delimiter::None, quote!(utoipa::path(get)));
        assert!(found(quote!(#[#wrapped] async fn f() {})));
        let parenthesised = Group::new(Delimiter::Parenthesis, quote!(utoipa::path));
        assert!(!found(quote!(#[#parenthesised] async fn f() {})));
        // Only `#` and a bracketed group make an attribute.
        for (pound, delimiter) in [('#', Delimiter::Parenthesis), ('!', Delimiter::Bracket)] {
            let pound = proc_macro2::Punct::new(pound, proc_macro2::Spacing::Alone);
            let group = Group::new(delimiter, quote!(get));
            let utoipa = quote!(#[utoipa::path]);
            assert!(!found(quote!(#pound #group #utoipa async fn f() {})));
        }
    }

    #[test]
    fn the_order_check_names_the_attribute_and_the_handler() {
        let private = quote!(::auth_runtime::__private_v0_1_0);
        let ident = Ident::new("items", Span::call_site());
        let requires = order_check(&ident, "requires", &private).to_string();
        let public = order_check(&ident, "public", &private).to_string();
        if cfg!(feature = "openapi") {
            assert!(requires.contains("mod __auth_openapi_items"), "{requires}");
            assert!(
                requires.contains("requires_before_utoipa_path :: < __path_items >"),
                "{requires}"
            );
            assert!(
                public.contains("public_before_utoipa_path :: < __path_items >"),
                "{public}"
            );
        } else {
            assert!(requires.is_empty() && public.is_empty());
        }
    }

    #[test]
    fn only_a_top_level_extensions_argument_counts() {
        let has = |tokens: TokenStream| has_argument(&tokens, "extensions");
        assert!(has(quote!(get, extensions(("x-a" = json!(1))))));
        assert!(has(quote!(extensions(("x-a" = json!(1))), get)));
        assert!(!has(quote!(get, path = "/extensions")));
        assert!(!has(quote!(get, responses((status = 200, extensions)))));
        assert!(!has(quote!(get, tag = extensions)));
        assert!(!has(quote!(get, my_extensions(1))));
    }

    #[test]
    fn the_documented_flag_is_taken_off_the_arguments() {
        let (documented, rest) = take_documented_flag(quote!(__auth_documented scope = "a"));
        assert!(documented);
        assert_eq!(rest.to_string(), quote!(scope = "a").to_string());
        let (documented, rest) = take_documented_flag(quote!(scope = "a"));
        assert!(!documented);
        assert_eq!(rest.to_string(), quote!(scope = "a").to_string());
    }
}
