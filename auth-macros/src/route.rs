//! The route attribute below `#[requires]` or `#[public]` (`#[get("/items")]`, …): parsed here,
//! and registered by the generated code itself, as actix-web's attribute would register it, plus
//! the declaration that lets the application's middleware and inventory find the route.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use syn::ext::IdentExt as _;
use syn::parse::ParseStream;
use syn::{Attribute, Expr, LitStr, Path, Token};

use crate::errors::Errors;

/// Attributes whose last path segment is one of these register the handler with actix-web
/// (`#[get]`, `#[actix_web::route]`, …); they must see the wrapper, not the user's function.
const ROUTE_ATTRIBUTES: &[&str] = &[
    "get", "post", "put", "delete", "patch", "head", "options", "connect", "trace", "route",
    "routes",
];

/// Route attributes that name their method.
const METHOD_ATTRIBUTES: &[(&str, &str)] = &[
    ("get", "GET"),
    ("post", "POST"),
    ("put", "PUT"),
    ("delete", "DELETE"),
    ("patch", "PATCH"),
    ("head", "HEAD"),
    ("options", "OPTIONS"),
    ("connect", "CONNECT"),
    ("trace", "TRACE"),
];

/// A route attribute, as actix-web's route macros read it.
pub(crate) struct Route {
    /// The attribute's path as written (`get`, `actix_web::post`), kept in use.
    pub attribute: Path,
    pub path: LitStr,
    /// Upper-case method names, in the order written.
    pub methods: Vec<(String, Span)>,
    pub name: Option<LitStr>,
    pub guards: Vec<Path>,
    pub wrappers: Vec<Expr>,
}

/// The route attribute among `attrs`, if there is one; unsupported forms are reported.
pub(crate) fn find_route(
    attrs: &[Attribute],
    attribute: &str,
    errors: &mut Errors,
) -> Option<Route> {
    let mut found = None;
    for attr in attrs {
        let Some(last) = attr.path().segments.last() else {
            continue;
        };
        let name = last.ident.to_string();
        if name == "routes" {
            errors.at_tokens(
                attr,
                format!(
                    "`#[{attribute}]` cannot register the routes of `#[routes]`; give each route its own handler with one route attribute"
                ),
            );
            // The route attributes below `#[routes]` are its own: one error says it all.
            return None;
        }
        let method = METHOD_ATTRIBUTES
            .iter()
            .find(|(attr_name, _)| *attr_name == name)
            .map(|(_, method)| *method);
        if method.is_none() && name != "route" {
            continue;
        }
        if found.is_some() {
            errors.at_tokens(
                attr,
                "a handler has one route attribute; this is the second",
            );
            continue;
        }
        match attr.parse_args_with(|input: ParseStream| parse_route(input, method, attr, attribute))
        {
            Ok(mut route) => {
                route.attribute = attr.path().clone();
                found = Some(route);
            }
            Err(error) => errors.push(error),
        }
    }
    found
}

fn parse_route(
    input: ParseStream,
    method: Option<&'static str>,
    attr: &Attribute,
    attribute: &str,
) -> syn::Result<Route> {
    let path: LitStr = input.parse()?;
    let mut route = Route {
        attribute: attr.path().clone(),
        path,
        methods: method
            .map(|m| (m.to_owned(), Span::call_site()))
            .into_iter()
            .collect(),
        name: None,
        guards: Vec::new(),
        wrappers: Vec::new(),
    };
    while !input.is_empty() {
        input.parse::<Token![,]>()?;
        if input.is_empty() {
            break;
        }
        let key: Ident = input.parse()?;
        input.parse::<Token![=]>()?;
        let value: LitStr = input.parse()?;
        match key.to_string().as_str() {
            "name" => route.name = Some(value),
            "guard" => route.guards.push(value.parse()?),
            "wrap" => route.wrappers.push(value.parse()?),
            "method" if method.is_none() => {
                let upper = value.value().to_ascii_uppercase();
                if !METHOD_ATTRIBUTES.iter().any(|(_, known)| *known == upper) {
                    return Err(syn::Error::new(
                        value.span(),
                        format!("`#[{attribute}]` above `#[route]` knows the standard methods only (`GET`, `POST`, …), not `{}`", value.value()),
                    ));
                }
                route.methods.push((upper, value.span()));
            }
            other => {
                return Err(syn::Error::new(
                    key.span(),
                    format!("unknown argument `{other}` of the route attribute; `#[{attribute}]` above it understands `name`, `guard`, `wrap` and, for `#[route]`, `method`"),
                ))
            }
        }
    }
    if route.methods.is_empty() {
        return Err(syn::Error::new_spanned(
            attr,
            "`#[route]` needs at least one `method = \"..\"`",
        ));
    }
    Ok(route)
}

/// The unit struct actix-web's attribute would generate for `ident`, whose registration
/// registers the route through the runtime: `wrapper` is the handler function; the struct is
/// also the marker type holding the requirement.
pub(crate) fn registration(
    route: &Route,
    ident: &Ident,
    wrapper: TokenStream,
    cfg: &[&Attribute],
    private: &TokenStream,
) -> TokenStream {
    let Route {
        attribute,
        path,
        methods,
        name,
        guards,
        wrappers,
    } = route;
    let resource_name = name
        .clone()
        .unwrap_or_else(|| LitStr::new(&ident.unraw().to_string(), ident.span()));
    let handler_name = LitStr::new(&ident.unraw().to_string(), ident.span());
    // `GET` names a constant of the runtime's `Methods`, and `Get` actix-web's guard.
    let method_idents: Vec<Ident> = methods
        .iter()
        .map(|(method, span)| Ident::new(method, *span))
        .collect();
    let method_set = match method_idents.as_slice() {
        [] => quote!(#private::Methods::default()),
        [first, rest @ ..] => {
            quote!(#private::Methods::#first #(.or(#private::Methods::#rest))*)
        }
    };
    // Built where it is registered and passed by value: as a `static`, rustc would evaluate it
    // while checking the crate.
    let declaration = quote! {
        #private::RouteDeclaration {
            path: #path,
            methods: #method_set,
            handler: ::core::concat!(::core::module_path!(), "::", #handler_name),
            requirement: #private::requirement_of::<#ident>,
        }
    };
    let register = if guards.is_empty() && wrappers.is_empty() {
        // The runtime builds the resource: one call to check, not a builder chain.
        quote!(#private::register_handler(__auth_config, #declaration, #resource_name, #ident);)
    } else {
        let guards_of_methods = methods.iter().map(|(method, span)| {
            let (first, rest) = method.split_at(1);
            let guard = Ident::new(&format!("{first}{}", rest.to_ascii_lowercase()), *span);
            quote!(#private::guard::#guard())
        });
        let method_guard = match Vec::from_iter(guards_of_methods).as_slice() {
            [one] => quote!(.guard(#one)),
            [first, rest @ ..] => quote!(.guard(#private::AnyGuard(#first)#(.or(#rest))*)),
            [] => quote!(),
        };
        quote! {
            let __auth_resource = #private::Resource::new(#path)
                .name(#resource_name)
                #method_guard
                #(.guard(#private::fn_guard(#guards)))*
                #(.wrap(#wrappers))*
                .to(#ident);
            #private::register_declared(__auth_config, __auth_resource, #declaration);
        }
    };
    quote! {
        #(#cfg)*
        impl #private::HttpServiceFactory for #ident {
            fn register(self, __auth_config: &mut #private::AppService) {
                // The route attribute is read here, not expanded: this keeps its import in use.
                #[allow(unused_imports)]
                use #attribute as _;
                #wrapper
                #register
            }
        }
    }
}

/// The type whose `StaticRequirement` is the requirement of `handler`: with a route attribute,
/// the unit struct generated for it; without, an enum of its own, spanned at the attribute like
/// everything the user did not write (lints such as `non_camel_case_types` leave it alone).
pub(crate) fn marker(handler: &Ident, routed: bool) -> Ident {
    if routed {
        handler.clone()
    } else {
        format_ident!("__auth_requirement_{}", handler, span = Span::call_site())
    }
}

pub(crate) fn is_route(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|last| ROUTE_ATTRIBUTES.iter().any(|name| last.ident == name))
}
