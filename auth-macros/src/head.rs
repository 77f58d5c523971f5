//! The common handler head read straight from its tokens: `[#[..]] [pub[(..)]] async fn name(a: A,
//! mut b: B) [-> Output]`, every parameter a plain name and every parameter type a path such as
//! `web::Path<u32>` or `&'static str`.
//!
//! syn's full grammar was the largest part of the macro's run: reading
//! `pub async fn h(id: web::Path<u32>) -> HttpResponse` took `parse_handler` about 200,000
//! instructions in the debug-built proc macro (keyword peeks on every identifier of every type,
//! each building the identifier's text); with this it takes about 76,000 (callgrind, 200
//! handlers, `scripts/compile-time.sh`). It builds the same `Signature`, the types kept as
//! written (`Type::Verbatim`). Anything else returns `None` and goes through syn: generics,
//! `where`, qualifiers other than `async`, patterns, `self`, parameter attributes, and any
//! parameter type that the model looks into (`Option<..>`, `Claims<..>`, `impl Trait`) or that is
//! not a plain path (tuples, arrays, `fn` pointers, `dyn`), so syn's errors and the model's
//! checks apply to them exactly as before.

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{
    Attribute, FnArg, Generics, Pat, PatIdent, PatType, ReturnType, Signature, Token, Type,
    Visibility,
};

/// Words that are never a parameter's name or a segment of a type's path here. `crate`, `self`,
/// `super` and `Self` are valid in paths, but rare in a handler's types: syn reads those.
const KEYWORDS: &[&str] = &[
    "_", "Self", "abstract", "as", "async", "await", "become", "box", "break", "const", "continue",
    "crate", "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if",
    "impl", "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub",
    "ref", "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Type names the model looks into (`ast::Param::from_type`): a type naming one is read by syn.
const INSPECTED: &[&str] = &["Option", "Claims"];

/// The attributes, visibility and signature of a head of the common shape; `None` for any other.
pub(crate) fn simple_head(tokens: &[TokenTree]) -> Option<(Vec<Attribute>, Visibility, Signature)> {
    // `#` and `[..]` pairs; syn reads them, and refuses anything else.
    let mut at = 0;
    while let [TokenTree::Punct(_), TokenTree::Group(_), ..] = &tokens[at..] {
        at += 2;
    }
    let attrs = Attribute::parse_outer.parse2(stream(&tokens[..at])).ok()?;
    let vis_start = at;
    if word(tokens.get(at)?).as_deref() == Some("pub") {
        at += 1;
        if let Some(TokenTree::Group(group)) = tokens.get(at) {
            if group.delimiter() == Delimiter::Parenthesis {
                at += 1;
            }
        }
    }
    let vis: Visibility = syn::parse2(stream(&tokens[vis_start..at])).ok()?;
    let [TokenTree::Ident(asyncness), TokenTree::Ident(fn_token), TokenTree::Ident(ident), TokenTree::Group(params), rest @ ..] =
        &tokens[at..]
    else {
        return None;
    };
    if asyncness != "async"
        || fn_token != "fn"
        || params.delimiter() != Delimiter::Parenthesis
        || KEYWORDS.contains(&ident.to_string().as_str())
    {
        return None;
    }
    let output = match rest {
        [] => ReturnType::Default,
        [TokenTree::Punct(minus), TokenTree::Punct(gt), ty @ ..]
            if minus.as_char() == '-'
                && minus.spacing() == Spacing::Joint
                && gt.as_char() == '>'
                && !ty.is_empty()
                && !ty.iter().any(|tree| word(tree).as_deref() == Some("where")) =>
        {
            ReturnType::Type(
                Token![->]([minus.span(), gt.span()]),
                Box::new(Type::Verbatim(stream(ty))),
            )
        }
        _ => return None,
    };
    let signature = Signature {
        constness: None,
        asyncness: Some(Token![async](asyncness.span())),
        unsafety: None,
        abi: None,
        fn_token: Token![fn](fn_token.span()),
        ident: ident.clone(),
        generics: Generics::default(),
        paren_token: syn::token::Paren(params.delim_span()),
        inputs: parameters(&params.stream().into_iter().collect::<Vec<_>>())?,
        variadic: None,
        output,
    };
    Some((attrs, vis, signature))
}

/// `name: Type, mut name: Type, ..`, a trailing comma allowed.
fn parameters(tokens: &[TokenTree]) -> Option<Punctuated<FnArg, Token![,]>> {
    let mut inputs = Punctuated::new();
    let mut at = 0;
    while at < tokens.len() {
        let mutability = match word(&tokens[at]).as_deref() {
            Some("mut") => {
                at += 1;
                Some(Token![mut](tokens[at - 1].span()))
            }
            _ => None,
        };
        let (Some(TokenTree::Ident(name)), Some(TokenTree::Punct(colon))) =
            (tokens.get(at), tokens.get(at + 1))
        else {
            return None;
        };
        // `a: A`, or `a:&A` (a joint `:`), but not `a::b`.
        if KEYWORDS.contains(&name.to_string().as_str())
            || colon.as_char() != ':'
            || is_path_separator(tokens, at + 1)
        {
            return None;
        }
        let start = at + 2;
        let end = path_type(tokens, start)?;
        inputs.push_value(FnArg::Typed(PatType {
            attrs: Vec::new(),
            pat: Box::new(Pat::Ident(PatIdent {
                attrs: Vec::new(),
                by_ref: None,
                mutability,
                ident: name.clone(),
                subpat: None,
            })),
            colon_token: Token![:](colon.span()),
            ty: Box::new(Type::Verbatim(stream(&tokens[start..end]))),
        }));
        at = end;
        match tokens.get(at) {
            None => break,
            Some(TokenTree::Punct(comma)) if comma.as_char() == ',' => {
                inputs.push_punct(Token![,](comma.span()));
                at += 1;
            }
            Some(_) => return None,
        }
    }
    Some(inputs)
}

/// Where the type starting at `at` ends, if it is `[&['a] [mut]] [::]segment(::segment)*`, each
/// segment a name with optional `<..>` arguments that are lifetimes or such types again.
fn path_type(tokens: &[TokenTree], mut at: usize) -> Option<usize> {
    if is_punct(tokens.get(at), '&') {
        at += 1;
        if is_punct(tokens.get(at), '\'') {
            at = lifetime(tokens, at)?;
        }
        if word(tokens.get(at)?).as_deref() == Some("mut") {
            at += 1;
        }
    }
    if is_path_separator(tokens, at) {
        at += 2;
    }
    loop {
        let TokenTree::Ident(segment) = tokens.get(at)? else {
            return None;
        };
        let segment = segment.to_string();
        if KEYWORDS.contains(&segment.as_str()) || INSPECTED.contains(&segment.as_str()) {
            return None;
        }
        at += 1;
        if is_punct(tokens.get(at), '<') {
            at += 1;
            loop {
                at = if is_punct(tokens.get(at), '\'') {
                    lifetime(tokens, at)?
                } else {
                    path_type(tokens, at)?
                };
                if is_punct(tokens.get(at), ',') {
                    at += 1;
                    if !is_punct(tokens.get(at), '>') {
                        continue;
                    }
                }
                if !is_punct(tokens.get(at), '>') {
                    return None;
                }
                at += 1;
                break;
            }
        }
        if !is_path_separator(tokens, at) {
            return Some(at);
        }
        at += 2;
    }
}

/// Past `'name` starting at `at` (a `'` the caller saw; the lexer only makes one followed by a
/// name).
fn lifetime(tokens: &[TokenTree], at: usize) -> Option<usize> {
    match tokens.get(at + 1) {
        Some(TokenTree::Ident(_)) => Some(at + 2),
        _ => None,
    }
}

/// Whether `::` starts at `at`.
fn is_path_separator(tokens: &[TokenTree], at: usize) -> bool {
    matches!(
        (tokens.get(at), tokens.get(at + 1)),
        (Some(TokenTree::Punct(first)), Some(TokenTree::Punct(second)))
            if first.as_char() == ':' && first.spacing() == Spacing::Joint && second.as_char() == ':'
    )
}

fn is_punct(tree: Option<&TokenTree>, char: char) -> bool {
    matches!(tree, Some(TokenTree::Punct(punct)) if punct.as_char() == char)
}

/// The text of an identifier token.
fn word(tree: &TokenTree) -> Option<String> {
    match tree {
        TokenTree::Ident(ident) => Some(ident.to_string()),
        _ => None,
    }
}

fn stream(tokens: &[TokenTree]) -> TokenStream {
    tokens.iter().cloned().collect()
}

#[cfg(test)]
mod tests {
    use quote::quote;
    use syn::parse::ParseStream;

    use super::*;

    fn trees(head: TokenStream) -> Vec<TokenTree> {
        head.into_iter().collect()
    }

    /// The head as syn reads it, printed.
    fn by_syn(head: TokenStream) -> String {
        let parse = |input: ParseStream| {
            let attrs = input.call(Attribute::parse_outer)?;
            let vis: Visibility = input.parse()?;
            let sig: Signature = input.parse()?;
            Ok(quote!(#(#attrs)* #vis #sig))
        };
        parse.parse2(head).unwrap().to_string()
    }

    #[test]
    fn the_common_heads_are_read_as_syn_reads_them() {
        for head in [
            quote!(async fn h()),
            quote!(pub async fn h(id: web::Path<u32>) -> HttpResponse),
            quote!(#[doc = "Lists."] #[cfg(test)] pub(crate) async fn list(mut a: A, b: ::x::B<'static, C<D>, >,) -> impl Responder),
            quote!(pub(in crate::api) async fn r#type(s: &'static str, m: &mut X, v: Vec<Vec<u8>>) -> Result<HttpResponse, Error>),
            quote!(async fn h(r: &'a mut X, i: Identity) -> (StatusCode, String)),
            quote!(async fn h(a: A<B,>, c: C<D<E>, F>)),
            // Without spaces, `:` is joint with the `&` after it.
            "async fn h(a:&X,b:B)".parse().unwrap(),
        ] {
            let (attrs, vis, sig) =
                simple_head(&trees(head.clone())).unwrap_or_else(|| panic!("not read: {head}"));
            // The same tokens; `>>` keeps the spacing the user wrote, which syn's printing drops.
            let squash = |text: String| text.split_whitespace().collect::<String>();
            assert_eq!(
                squash(quote!(#(#attrs)* #vis #sig).to_string()),
                squash(by_syn(head))
            );
        }
    }

    #[test]
    fn a_parameter_keeps_its_name_mutability_and_type_as_written() {
        let (_, _, sig) = simple_head(&trees(
            quote!(async fn h(mut id: web::Path<u32>, who: Identity)),
        ))
        .unwrap();
        let params: Vec<_> = sig
            .inputs
            .iter()
            .map(|input| match input {
                FnArg::Typed(PatType { pat, ty, .. }) => match (&**pat, &**ty) {
                    (Pat::Ident(ident), Type::Verbatim(ty)) => (
                        ident.mutability.is_some(),
                        ident.ident.to_string(),
                        ty.to_string(),
                    ),
                    _ => panic!("not a name and a verbatim type"),
                },
                FnArg::Receiver(_) => panic!("a receiver"),
            })
            .collect();
        assert_eq!(
            params,
            [
                (true, "id".to_owned(), "web :: Path < u32 >".to_owned()),
                (false, "who".to_owned(), "Identity".to_owned()),
            ]
        );
        assert_eq!(
            sig.inputs
                .pairs()
                .filter(|pair| pair.punct().is_some())
                .count(),
            1
        );
        assert!(matches!(sig.output, ReturnType::Default));
    }

    #[test]
    fn every_other_head_is_left_to_syn() {
        for head in [
            // What the model looks into.
            quote!(async fn h(who: Option<Identity>)),
            quote!(async fn h(c: Claims<T>)),
            quote!(async fn h(c: web::Json<Option<T>>)),
            quote!(async fn h(x: impl Trait)),
            quote!(async fn h(x: &dyn Trait)),
            // Qualifiers, generics and `where`.
            quote!(fn h()),
            quote!(unsafe fn h()),
            quote!(async fun h()),
            quote!(async fn type()),
            quote!(async unsafe fn h()),
            quote!(const async fn h()),
            quote!(pub const async fn h()),
            quote!(async fn h<T>(x: T)),
            quote!(async fn h() -> X where X: Y),
            quote!(async fn h() ->),
            quote!(async fn h() - X),
            quote!(async fn h() - > X),
            quote!(async fn h() X),
            quote!(async fn h[]),
            quote!(async fn fn()),
            quote!(async fn self()),
            quote!(pub pub async fn h()),
            quote!(#![inner] async fn h()),
            quote!(![outer] async fn h()),
            // Patterns, receivers, attributes, and what is not a name and a type.
            quote!(async fn h(_: X)),
            quote!(async fn h((a, b): (A, B))),
            quote!(async fn h(self)),
            quote!(async fn h(&self)),
            quote!(async fn h(mut self)),
            quote!(async fn h(#[x] a: A)),
            quote!(async fn h(type: A)),
            quote!(async fn h(a A)),
            quote!(async fn h(a: A b: B)),
            quote!(async fn h(a: A,, b: B)),
            quote!(async fn h(a: A; b: B)),
            quote!(async fn h(a = A)),
            quote!(async fn h(a::b: A)),
            "async fn h(a:::b::C)".parse().unwrap(),
            quote!(async fn h(mut)),
            // Types other than a plain path.
            quote!(async fn h(a: [u8; 4])),
            quote!(async fn h(a: (A, B))),
            quote!(async fn h(a: fn())),
            quote!(async fn h(a: Vec::<u8>)),
            quote!(async fn h(a: A<B = C>)),
            quote!(async fn h(a: A<B)),
            quote!(async fn h(a: A<B C>)),
            quote!(async fn h(a: A<>)),
            quote!(async fn h(a: crate::X)),
            quote!(async fn h(a: self::X)),
            quote!(async fn h(a: <X as Y>::Z)),
            quote!(async fn h(a: &'a)),
            quote!(async fn h(a: x::)),
            quote!(async fn h(a: )),
        ] {
            assert!(simple_head(&trees(head.clone())).is_none(), "read: {head}");
        }
    }
}
