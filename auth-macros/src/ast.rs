//! The model: what one `#[requires(..)]` asks for and the handler it guards, with the user's
//! spans. Built by `attr`, checked by `valid`, turned into code by `expand`.

use proc_macro2::{Group, Span};
use quote::ToTokens;
use syn::{
    Attribute, ExprPath, FnArg, GenericArgument, LitStr, Path, PathArguments, Signature, Type,
    Visibility,
};

/// A scheme `scheme = ".."` names with a string.
pub(crate) struct BuiltinScheme {
    /// As users write it, matched case-insensitively.
    pub name: &'static str,
    /// Its variant of the runtime's `Scheme`.
    pub variant: &'static str,
    /// The runtime's constant for a requirement of this scheme alone.
    pub alone: &'static str,
}

/// The built-in schemes. A new scheme is one more row (and one more constant in the runtime's
/// private module).
pub(crate) const BUILTIN_SCHEMES: &[BuiltinScheme] = &[
    BuiltinScheme {
        name: "Bearer",
        variant: "Bearer",
        alone: "BEARER",
    },
    BuiltinScheme {
        name: "Basic",
        variant: "Basic",
        alone: "BASIC",
    },
    BuiltinScheme {
        name: "ApiKey",
        variant: "ApiKey",
        alone: "API_KEY",
    },
    BuiltinScheme {
        name: "DPoP",
        variant: "DPoP",
        alone: "DPOP",
    },
];

/// Extractors that `Option<..>` of becomes the runtime's `Optional<..>`, so that missing credentials
/// give `None` while invalid ones are still refused.
const CREDENTIAL_EXTRACTORS: &[&str] = &["Identity", "Claims"];

/// What the arguments of one `#[requires(..)]` ask for, with the user's spans.
pub(crate) struct Requirement {
    /// In declaration order; `Bearer` when `scheme` is absent. Empty only for `any()`, which
    /// validation refuses.
    pub schemes: Vec<Scheme>,
    /// The span of `any` when the schemes were written as `scheme = any(..)`.
    pub schemes_any: Option<Span>,
    pub scope: Option<ScopeExpr>,
    pub roles: Option<ScopeExpr>,
    /// The accepted authentication context classes (RFC 9470 `acr`).
    pub acr: Option<Acr>,
    /// The most seconds since the user authenticated (RFC 9470 `max_age`).
    pub max_age: Option<MaxAge>,
    /// The path of the user's `async fn` policy.
    pub policy: Option<ExprPath>,
    pub realm: Option<LitStr>,
    /// The span of the `optional` flag, when given.
    pub optional: Option<Span>,
    /// The path that replaces `::auth_runtime`, spanned at the `crate = ".."` literal.
    pub krate: Option<Path>,
    /// Set by `#[public]`: open to anyone; no other argument applies.
    pub public: Option<Span>,
    /// Emitted again below a `#[utoipa::path]` that now carries the requirement.
    pub documented: bool,
}

pub(crate) enum Scheme {
    /// A built-in scheme, spanned at the user's literal.
    Builtin {
        scheme: &'static BuiltinScheme,
        span: Span,
    },
    /// An application type implementing `CustomScheme`, as the user wrote its path.
    Custom(Path),
}

/// What a [`ScopeExpr`] holds: `scope = ..` and `role = ..` share the grammar and the token
/// rules, and differ only in the words of their messages.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum TokenKind {
    Scope,
    Role,
}

pub(crate) enum ScopeExpr {
    Token(LitStr),
    /// `all(..)`, spanned at `all`.
    All(Vec<ScopeExpr>, Span),
    /// `any(..)`, spanned at `any`.
    Any(Vec<ScopeExpr>, Span),
}

/// `acr = "value"` or `acr = any("a", "b")`: the accepted values, in preference order.
pub(crate) struct Acr {
    pub values: Vec<LitStr>,
    /// The span of the `acr` key.
    pub key: Span,
    /// The span of `any` when the values were listed in `any(..)`.
    pub any: Option<Span>,
}

/// `max_age = 300`: whole seconds, spanned at the key.
pub(crate) struct MaxAge {
    pub seconds: u64,
    pub key: Span,
}

/// The annotated function and how each of its parameters is extracted.
pub(crate) struct Handler {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub sig: Signature,
    /// The body, braces included, as the user wrote it: emitted again, never parsed here.
    pub body: Group,
    /// One per parameter of `sig` other than `self`.
    pub params: Vec<Param>,
}

pub(crate) struct Param {
    /// The type as written.
    pub ty: Type,
    /// `X` when the type is `Option<X>` and `X` is `Identity` or `Claims<..>`.
    pub optional_credentials: Option<Type>,
    /// `T` when the type is `Claims<T>` or `Option<Claims<T>>`.
    pub claims: Option<Type>,
}

impl Requirement {
    pub(crate) fn bearer() -> Self {
        Requirement {
            schemes: vec![Scheme::Builtin {
                scheme: &BUILTIN_SCHEMES[0],
                span: Span::call_site(),
            }],
            schemes_any: None,
            scope: None,
            roles: None,
            acr: None,
            max_age: None,
            policy: None,
            realm: None,
            optional: None,
            krate: None,
            public: None,
            documented: false,
        }
    }
}

impl Scheme {
    /// How the scheme reads in a message: `"Basic"` or `my::Scheme`.
    pub(crate) fn text(&self) -> String {
        match self {
            Scheme::Builtin { scheme, .. } => format!("\"{}\"", scheme.name),
            Scheme::Custom(path) => path_text(path),
        }
    }
}

impl TokenKind {
    /// The attribute key: `scope` or `role`.
    pub(crate) fn key(self) -> &'static str {
        match self {
            TokenKind::Scope => "scope",
            TokenKind::Role => "role",
        }
    }

    pub(crate) fn plural(self) -> &'static str {
        match self {
            TokenKind::Scope => "scopes",
            TokenKind::Role => "roles",
        }
    }

    /// Two tokens to show in examples.
    pub(crate) fn examples(self) -> [&'static str; 2] {
        match self {
            TokenKind::Scope => ["items:read", "items:write"],
            TokenKind::Role => ["admin", "owner"],
        }
    }
}

/// `a::b<T>` as written, without the spaces of `to_string`.
pub(crate) fn path_text(path: &Path) -> String {
    path.to_token_stream().to_string().replace(' ', "")
}

impl Handler {
    pub(crate) fn new(attrs: Vec<Attribute>, vis: Visibility, sig: Signature, body: Group) -> Self {
        let params = sig
            .inputs
            .iter()
            .filter_map(|input| match input {
                FnArg::Typed(typed) => Some(Param::from_type(&typed.ty)),
                FnArg::Receiver(_) => None,
            })
            .collect();
        Handler {
            attrs,
            vis,
            sig,
            body,
            params,
        }
    }
}

impl Param {
    fn from_type(ty: &Type) -> Self {
        let optional_credentials = generic_argument_of(ty, "Option")
            .filter(|inner| CREDENTIAL_EXTRACTORS.contains(&last_segment_name(inner).as_str()))
            .cloned();
        let claims = generic_argument_of(optional_credentials.as_ref().unwrap_or(ty), "Claims");
        Param {
            ty: ty.clone(),
            claims: claims.cloned(),
            optional_credentials,
        }
    }
}

/// `T` when `ty` is `name<T, ..>` under any path prefix (`Option`, `core::option::Option`).
fn generic_argument_of<'a>(ty: &'a Type, name: &str) -> Option<&'a Type> {
    let segment = match ungroup(ty) {
        Type::Path(path) if path.qself.is_none() => path.path.segments.last()?,
        _ => return None,
    };
    if segment.ident != name {
        return None;
    }
    match &segment.arguments {
        PathArguments::AngleBracketed(arguments) => {
            arguments.args.iter().find_map(|argument| match argument {
                GenericArgument::Type(ty) => Some(ty),
                _ => None,
            })
        }
        _ => None,
    }
}

fn last_segment_name(ty: &Type) -> String {
    match ungroup(ty) {
        Type::Path(path) if path.qself.is_none() => path
            .path
            .segments
            .last()
            .map(|segment| segment.ident.to_string())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// Looks through the invisible groups `macro_rules!` wraps around `$ty` and through parentheses.
pub(crate) fn ungroup(mut ty: &Type) -> &Type {
    loop {
        match ty {
            Type::Group(group) => ty = &group.elem,
            Type::Paren(paren) => ty = &paren.elem,
            _ => return ty,
        }
    }
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;

    fn param(ty: Type) -> Param {
        Param::from_type(&ty)
    }

    fn text(ty: Option<Type>) -> Option<String> {
        ty.map(|ty| ty.to_token_stream().to_string())
    }

    #[test]
    fn optional_credential_extractors_are_recognised_under_any_path() {
        let plain = param(parse_quote!(Option<Identity>));
        assert_eq!(
            text(plain.optional_credentials).as_deref(),
            Some("Identity")
        );
        let qualified = param(parse_quote!(core::option::Option<auth_runtime::Identity>));
        assert_eq!(
            text(qualified.optional_credentials).as_deref(),
            Some("auth_runtime :: Identity")
        );
        let claims = param(parse_quote!(Option<Claims<MyClaims>>));
        assert_eq!(
            text(claims.optional_credentials).as_deref(),
            Some("Claims < MyClaims >")
        );
        assert_eq!(text(claims.claims).as_deref(), Some("MyClaims"));
    }

    #[test]
    fn other_options_are_passed_as_written() {
        assert!(param(parse_quote!(Option<web::Json<Item>>))
            .optional_credentials
            .is_none());
        assert!(param(parse_quote!(Identity)).optional_credentials.is_none());
        // Parentheses and the invisible group `macro_rules!` puts around `$ty` are looked through.
        assert!(param(parse_quote!((Option<Identity>)))
            .optional_credentials
            .is_some());
        let grouped = Type::Group(syn::TypeGroup {
            group_token: Default::default(),
            elem: Box::new(parse_quote!(Option<Identity>)),
        });
        assert!(param(grouped).optional_credentials.is_some());
        assert!(param(parse_quote!(Option<<X as Tr>::Identity>))
            .optional_credentials
            .is_none());
        // A qualified path names another type, whatever its last segment.
        assert!(param(parse_quote!(<X as Tr>::Option<Identity>))
            .optional_credentials
            .is_none());
        assert!(param(parse_quote!(Option<String>)).claims.is_none());
    }

    #[test]
    fn claims_type_is_found_directly_and_inside_option() {
        assert_eq!(
            text(param(parse_quote!(auth_runtime::Claims<my::Claims>)).claims).as_deref(),
            Some("my :: Claims")
        );
        assert!(param(parse_quote!(Claims)).claims.is_none());
        assert!(param(parse_quote!(web::Json<Claims<X>>)).claims.is_none());
    }

    #[test]
    fn receivers_are_not_parameters() {
        let handler = Handler::new(
            Vec::new(),
            Visibility::Inherited,
            parse_quote!(async fn method(&self, who: Identity)),
            Group::new(
                proc_macro2::Delimiter::Brace,
                proc_macro2::TokenStream::new(),
            ),
        );
        assert_eq!(handler.params.len(), 1);
    }
}
