//! What an endpoint requires: schemes, a scope expression, roles, an authentication context and
//! age (step-up), a policy, a realm. Static data, built by `#[requires]` at compile time.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::HttpRequest;

use crate::principal::{Principal, Scopes};
use crate::scheme::Scheme;

/// A scope requirement: one scope token, or a composition of requirements.
///
/// `#[requires(scope = all("a", any("b", "c")))]` becomes
/// `All(&[Token("a"), AnyOf(&["b", "c"])])`: a composition of tokens alone is written with the
/// flat `AllOf` / `AnyOf`, which costs the compiler less in every handler. Scope tokens are
/// compared case-sensitively (RFC 6749 §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeExpr {
    /// The principal holds this scope.
    Token(&'static str),
    /// The principal satisfies every one of these.
    All(&'static [ScopeExpr]),
    /// The principal satisfies at least one of these.
    Any(&'static [ScopeExpr]),
    /// The principal holds every one of these scopes: `All` of `Token`s.
    AllOf(&'static [&'static str]),
    /// The principal holds at least one of these scopes: `Any` of `Token`s.
    AnyOf(&'static [&'static str]),
}

/// A [`ScopeExpr`] seen the same way whichever variant spells it.
pub(crate) enum Shape {
    Token(&'static str),
    All(Parts),
    Any(Parts),
}

/// The parts of an `All` or `Any`, as expressions.
#[derive(Clone)]
pub(crate) enum Parts {
    Exprs(std::slice::Iter<'static, ScopeExpr>),
    Tokens(std::slice::Iter<'static, &'static str>),
}

impl Iterator for Parts {
    type Item = ScopeExpr;

    fn next(&mut self) -> Option<ScopeExpr> {
        match self {
            Parts::Exprs(parts) => parts.next().copied(),
            Parts::Tokens(tokens) => tokens.next().map(|token| ScopeExpr::Token(token)),
        }
    }
}

/// More alternatives than this and the smallest satisfying set is approximated.
const MAX_ALTERNATIVES: usize = 256;

impl ScopeExpr {
    /// The expression as a token or a composition, `AllOf` and `AnyOf` read as `All` and `Any`
    /// of tokens.
    pub(crate) fn shape(&self) -> Shape {
        match *self {
            ScopeExpr::Token(token) => Shape::Token(token),
            ScopeExpr::All(parts) => Shape::All(Parts::Exprs(parts.iter())),
            ScopeExpr::Any(parts) => Shape::Any(Parts::Exprs(parts.iter())),
            ScopeExpr::AllOf(tokens) => Shape::All(Parts::Tokens(tokens.iter())),
            ScopeExpr::AnyOf(tokens) => Shape::Any(Parts::Tokens(tokens.iter())),
        }
    }

    /// Whether `scopes` satisfies this requirement.
    pub fn is_satisfied_by(&self, scopes: &Scopes) -> bool {
        match self.shape() {
            Shape::Token(token) => scopes.contains(token),
            Shape::All(mut parts) => parts.all(|part| part.is_satisfied_by(scopes)),
            Shape::Any(mut parts) => parts.any(|part| part.is_satisfied_by(scopes)),
        }
    }

    /// A smallest set of scopes that satisfies the requirement, in declaration order; used for
    /// the `scope` parameter of an `insufficient_scope` challenge (RFC 6750 §3). Ties go to
    /// the alternative declared first.
    ///
    /// ```
    /// use auth_runtime::ScopeExpr::{All, Any, Token};
    ///
    /// assert_eq!(All(&[Token("a"), Token("b")]).smallest_satisfying_set(), ["a", "b"]);
    /// assert_eq!(Any(&[Token("a"), Token("b")]).smallest_satisfying_set(), ["a"]);
    /// let nested = Any(&[All(&[Token("x"), Token("y")]), Token("admin")]);
    /// assert_eq!(nested.smallest_satisfying_set(), ["admin"]);
    /// ```
    pub fn smallest_satisfying_set(&self) -> Vec<&'static str> {
        match self.alternatives() {
            Some(alternatives) => alternatives
                .into_iter()
                .min_by_key(Vec::len)
                .unwrap_or_default(),
            None => self.greedy_set(),
        }
    }

    /// Every set that satisfies the expression (disjunctive normal form), or `None` when there
    /// would be more than [`MAX_ALTERNATIVES`].
    fn alternatives(&self) -> Option<Vec<Vec<&'static str>>> {
        match self.shape() {
            Shape::Token(token) => Some(vec![vec![token]]),
            Shape::Any(parts) => {
                let mut all = Vec::new();
                for part in parts {
                    all.extend(part.alternatives()?);
                    if all.len() > MAX_ALTERNATIVES {
                        return None;
                    }
                }
                Some(all)
            }
            Shape::All(parts) => {
                let mut product: Vec<Vec<&'static str>> = vec![Vec::new()];
                for part in parts {
                    let choices = part.alternatives()?;
                    if product.len() * choices.len() > MAX_ALTERNATIVES {
                        return None;
                    }
                    product = product
                        .iter()
                        .flat_map(|set| choices.iter().map(move |choice| union(set, choice)))
                        .collect();
                }
                Some(product)
            }
        }
    }

    /// The fewest scopes that, added to `held`, would satisfy the requirement: empty when
    /// `held` already does. For the log event of an `insufficient_scope` refusal.
    pub(crate) fn missing_from(&self, held: &Scopes) -> Vec<&'static str> {
        let lacking = |set: Vec<&'static str>| {
            set.into_iter()
                .filter(|scope| !held.contains(scope))
                .collect::<Vec<_>>()
        };
        match self.alternatives() {
            Some(alternatives) => alternatives
                .into_iter()
                .map(lacking)
                .min_by_key(Vec::len)
                .unwrap_or_default(),
            None => lacking(self.greedy_set()),
        }
    }

    fn greedy_set(&self) -> Vec<&'static str> {
        match self.shape() {
            Shape::Token(token) => vec![token],
            Shape::Any(parts) => parts
                .map(|part| part.greedy_set())
                .min_by_key(Vec::len)
                .unwrap_or_default(),
            Shape::All(parts) => {
                parts.fold(Vec::new(), |set, part| union(&set, &part.greedy_set()))
            }
        }
    }
}

fn union(left: &[&'static str], right: &[&'static str]) -> Vec<&'static str> {
    let mut set = left.to_vec();
    for token in right {
        if !set.contains(token) {
            set.push(token);
        }
    }
    set
}

/// What a [`Policy`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyDecision {
    /// The request may proceed.
    Allow,
    /// The request is refused with 403 (CONFORMANCE row 8). The reason code goes to `tracing`,
    /// never to the response.
    Deny(&'static str),
}

/// The future a [`Policy`] returns.
pub type PolicyFuture = Pin<Box<dyn Future<Output = PolicyDecision>>>;

/// A custom authorization check, run after authentication and the scope and role checks.
///
/// `#[requires(policy = path::to::check)]` takes an
/// `async fn check(principal: &Principal, req: &HttpRequest) -> PolicyDecision`, or one that
/// takes actix-web extractors after the principal
/// (`async fn check(principal: &Principal, id: web::Path<u64>, store: web::Data<Store>)`),
/// and adapts it to this function-pointer type, so that the requirement stays static data.
pub type Policy = fn(Arc<Principal>, HttpRequest) -> PolicyFuture;

/// What an endpoint requires. Built as a constant by `#[requires]`; never allocated per request.
#[derive(Clone, Copy)]
pub struct Requirement {
    schemes: &'static [Scheme],
    scope: Option<ScopeExpr>,
    roles: Option<ScopeExpr>,
    /// Accepted `acr` values, in preference order; empty: any.
    acr: &'static [&'static str],
    /// The most seconds since `auth_time`.
    max_age: Option<u64>,
    policy: Option<Policy>,
    /// The policy's path as the attribute names it, for the route inventory and OpenAPI.
    policy_name: Option<&'static str>,
    realm: Option<&'static str>,
    optional: bool,
    /// Declared with `#[public]`: open to anyone, though present credentials must be valid.
    public: bool,
}

impl fmt::Debug for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Requirement")
            .field("schemes", &self.schemes)
            .field("scope", &self.scope)
            .field("roles", &self.roles)
            .field("acr", &self.acr)
            .field("max_age", &self.max_age)
            .field("policy", &self.policy_name.or(self.policy.map(|_| "<fn>")))
            .field("realm", &self.realm)
            .field("optional", &self.optional)
            .field("public", &self.public)
            .finish()
    }
}

impl Requirement {
    /// Credentials of one of `schemes` (in declaration order), no scope.
    pub const fn new(schemes: &'static [Scheme]) -> Self {
        Requirement {
            schemes,
            scope: None,
            roles: None,
            acr: &[],
            max_age: None,
            policy: None,
            policy_name: None,
            realm: None,
            optional: false,
            public: false,
        }
    }

    /// The requirement of a `#[public]` route: no credentials needed, but credentials of any
    /// configured scheme that are present must be valid (CONFORMANCE rows 13, 14).
    pub const PUBLIC: Requirement = Requirement::AUTHENTICATED.optional().public();

    /// The requirement of an extractor used without `#[requires]`: credentials of any
    /// configured scheme (tried in configuration order), no scope.
    pub const AUTHENTICATED: Requirement = Requirement::new(&[]);

    /// Requires the scopes of `scope`.
    pub const fn scope(mut self, scope: ScopeExpr) -> Self {
        self.scope = Some(scope);
        self
    }

    /// Requires the roles of `roles` (the same grammar as scopes, matched against the
    /// principal's roles).
    pub const fn roles(mut self, roles: ScopeExpr) -> Self {
        self.roles = Some(roles);
        self
    }

    /// Requires the user to have authenticated with one of the `acr` values (authentication
    /// context class references, RFC 9470 §3), listed in preference order. Without one, the
    /// request is answered with a step-up challenge (`insufficient_user_authentication`).
    pub const fn acr(mut self, values: &'static [&'static str]) -> Self {
        self.acr = values;
        self
    }

    /// Requires the user to have authenticated at most `seconds` ago (`auth_time`, within the
    /// authenticator's clock leeway; RFC 9470 §3 `max_age`). Without it, the request is answered
    /// with a step-up challenge.
    pub const fn max_age(mut self, seconds: u64) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// Runs `policy` after every other check.
    pub const fn policy(mut self, policy: Policy) -> Self {
        self.policy = Some(policy);
        self
    }

    /// Names the policy in the route inventory and the OpenAPI document (`crate::policies::check`).
    pub const fn policy_name(mut self, name: &'static str) -> Self {
        self.policy_name = Some(name);
        self
    }

    /// Marks the route as declared open to anyone with `#[public]`.
    pub const fn public(mut self) -> Self {
        self.public = true;
        self
    }

    /// Uses `realm` in challenges instead of the configured realm.
    pub const fn realm(mut self, realm: &'static str) -> Self {
        self.realm = Some(realm);
        self
    }

    /// Lets requests without credentials through (with no identity); present credentials must
    /// still be valid.
    pub const fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// The accepted schemes, in declaration order; empty means every configured scheme.
    pub const fn schemes(&self) -> &'static [Scheme] {
        self.schemes
    }

    /// The required scopes, if any.
    pub const fn scope_expr(&self) -> Option<&ScopeExpr> {
        self.scope.as_ref()
    }

    /// The required roles, if any.
    pub const fn role_expr(&self) -> Option<&ScopeExpr> {
        self.roles.as_ref()
    }

    /// The accepted `acr` values, in preference order; empty when any is accepted.
    pub const fn acr_values(&self) -> &'static [&'static str] {
        self.acr
    }

    /// The most seconds since the user authenticated, if limited.
    pub const fn max_auth_age(&self) -> Option<u64> {
        self.max_age
    }

    /// The custom policy, if any.
    pub const fn policy_fn(&self) -> Option<Policy> {
        self.policy
    }

    /// The realm override, if any.
    pub const fn realm_override(&self) -> Option<&'static str> {
        self.realm
    }

    /// Whether credentials are optional.
    pub const fn is_optional(&self) -> bool {
        self.optional
    }

    /// The policy's name as the attribute wrote its path, if there is a policy.
    pub const fn policy_label(&self) -> Option<&'static str> {
        match (self.policy, self.policy_name) {
            (Some(_), Some(name)) => Some(name),
            (Some(_), None) => Some("<policy>"),
            (None, _) => None,
        }
    }

    /// Whether the route was declared `#[public]`.
    pub const fn is_public(&self) -> bool {
        self.public
    }
}

#[cfg(test)]
mod tests {
    use super::ScopeExpr::{All, AllOf, Any, AnyOf, Token};
    use super::*;

    fn scopes(list: &str) -> Scopes {
        let mut scopes = Scopes::new();
        scopes.extend_from_list(list);
        scopes
    }

    #[test]
    fn tokens_are_case_sensitive() {
        assert!(Token("read").is_satisfied_by(&scopes("read")));
        assert!(!Token("read").is_satisfied_by(&scopes("READ")));
    }

    #[test]
    fn all_and_any_compose() {
        const EXPR: ScopeExpr = All(&[Token("a"), Any(&[Token("b"), Token("c")])]);
        assert!(EXPR.is_satisfied_by(&scopes("a c")));
        assert!(EXPR.is_satisfied_by(&scopes("b a")));
        assert!(!EXPR.is_satisfied_by(&scopes("a")));
        assert!(!EXPR.is_satisfied_by(&scopes("b c")));
    }

    /// `AllOf` / `AnyOf` (what `#[requires]` generates for a list of tokens) answer every
    /// question exactly as the `All` / `Any` of `Token`s they stand for.
    #[test]
    fn flat_lists_are_their_compositions_of_tokens() {
        let pairs = [
            (
                AllOf(&["a", "b", "a"]),
                All(&[Token("a"), Token("b"), Token("a")]),
            ),
            (AnyOf(&["b", "a"]), Any(&[Token("b"), Token("a")])),
            (AllOf(&[]), All(&[])),
            (AnyOf(&[]), Any(&[])),
            (
                Any(&[AllOf(&["x", "y"]), Token("admin")]),
                Any(&[All(&[Token("x"), Token("y")]), Token("admin")]),
            ),
            (
                All(&[AnyOf(&["b", "c"]), Token("a")]),
                All(&[Any(&[Token("b"), Token("c")]), Token("a")]),
            ),
        ];
        let held = [
            "",
            "a",
            "b",
            "a b",
            "b c",
            "x",
            "x y",
            "admin",
            "a c",
            "a b c x y admin",
        ];
        for (flat, tree) in pairs {
            assert_eq!(
                flat.smallest_satisfying_set(),
                tree.smallest_satisfying_set()
            );
            assert_eq!(flat.greedy_set(), tree.greedy_set(), "{flat:?}");
            for list in held {
                let held = scopes(list);
                assert_eq!(
                    flat.is_satisfied_by(&held),
                    tree.is_satisfied_by(&held),
                    "{flat:?} {list}"
                );
                assert_eq!(
                    flat.missing_from(&held),
                    tree.missing_from(&held),
                    "{flat:?} {list}"
                );
            }
        }
        assert!(AllOf(&["a", "b"]).is_satisfied_by(&scopes("b a")));
        assert!(!AllOf(&["a", "b"]).is_satisfied_by(&scopes("a")));
        assert!(AnyOf(&["a", "b"]).is_satisfied_by(&scopes("b")));
        assert!(!AnyOf(&["a", "b"]).is_satisfied_by(&scopes("c")));
        assert_eq!(
            AllOf(&["a", "b", "a"]).smallest_satisfying_set(),
            ["a", "b"]
        );
        assert_eq!(AnyOf(&["b", "a"]).smallest_satisfying_set(), ["b"]);
    }

    #[test]
    fn the_missing_scopes_are_the_fewest_to_add() {
        const EXPR: ScopeExpr = Any(&[All(&[Token("a"), Token("b"), Token("c")]), Token("admin")]);
        assert_eq!(EXPR.missing_from(&scopes("")), ["admin"]);
        assert_eq!(EXPR.missing_from(&scopes("a b")), ["c"]);
        assert!(EXPR.missing_from(&scopes("admin")).is_empty());
        const BOTH: ScopeExpr = All(&[Token("read"), Token("write")]);
        assert_eq!(BOTH.missing_from(&scopes("read other")), ["write"]);
    }

    #[test]
    fn smallest_set_of_all_is_every_token_once() {
        assert_eq!(
            All(&[Token("a"), Token("b"), Token("a")]).smallest_satisfying_set(),
            ["a", "b"]
        );
    }

    #[test]
    fn smallest_set_of_any_is_the_first_cheapest_alternative() {
        assert_eq!(
            Any(&[Token("a"), Token("b")]).smallest_satisfying_set(),
            ["a"]
        );
        assert_eq!(
            Any(&[All(&[Token("x"), Token("y")]), All(&[Token("z")])]).smallest_satisfying_set(),
            ["z"]
        );
    }

    #[test]
    fn smallest_set_shares_tokens_across_branches() {
        // all(any(a, b), any(b, c)) is satisfied by {b} alone.
        let expr = All(&[
            Any(&[Token("a"), Token("b")]),
            Any(&[Token("b"), Token("c")]),
        ]);
        assert_eq!(expr.smallest_satisfying_set(), ["b"]);
        assert!(expr.is_satisfied_by(&scopes("b")));
    }

    #[test]
    fn huge_expressions_fall_back_to_a_satisfying_set() {
        const EIGHT: ScopeExpr = Any(&[
            Token("a"),
            Token("b"),
            Token("c"),
            Token("d"),
            Token("e"),
            Token("f"),
            Token("g"),
            Token("h"),
        ]);
        let expr = All(&[EIGHT, EIGHT, EIGHT, EIGHT]);
        let set = expr.smallest_satisfying_set();
        assert!(expr.is_satisfied_by(&set.iter().copied().collect()));
        assert_eq!(set, ["a"]);
    }

    /// `n` distinct tokens named `prefix0`, `prefix1`, …
    fn tokens(prefix: &str, n: usize) -> &'static [ScopeExpr] {
        let tokens: Vec<ScopeExpr> = (0..n)
            .map(|i| Token(String::leak(format!("{prefix}{i}"))))
            .collect();
        tokens.leak()
    }

    /// {b} satisfies `all(any(a, b), any(b, c))`: only the full expansion finds it, the
    /// approximation takes {a, b}.
    const SHARED: ScopeExpr = All(&[
        Any(&[Token("a"), Token("b")]),
        Any(&[Token("b"), Token("c")]),
    ]);

    #[test]
    fn up_to_256_alternatives_are_expanded_and_more_are_approximated() {
        // all(SHARED, any(t0..tn)): 4 × n alternatives.
        let all = |n| All(vec![SHARED, Any(tokens("t", n))].leak());
        assert_eq!(all(64).smallest_satisfying_set(), ["b", "t0"]);
        assert_eq!(all(65).smallest_satisfying_set(), ["a", "b", "t0"]);
        assert_eq!(all(65).missing_from(&scopes("b")), ["a", "t0"]);
        // any(SHARED, all(p, any(q0..qn))): 4 + n alternatives.
        let any = |n| Any(vec![SHARED, All(vec![Token("p"), Any(tokens("q", n))].leak())].leak());
        assert_eq!(any(252).smallest_satisfying_set(), ["b"]);
        assert_eq!(any(253).smallest_satisfying_set(), ["a", "b"]);
        assert_eq!(any(252).missing_from(&scopes("a")), ["b"]);
    }

    #[test]
    fn an_expression_of_8_pow_12_alternatives_is_answered_from_its_approximation() {
        // all(any(a0, b0), …, any(a35, b35)): 2^36 = 8^12 sets satisfy it.
        let pairs: Vec<ScopeExpr> = (0..36)
            .map(|i| {
                let pair = [
                    Token(String::leak(format!("a{i}"))),
                    Token(String::leak(format!("b{i}"))),
                ];
                Any(Vec::from(pair).leak())
            })
            .collect();
        let expr = All(pairs.leak());
        let smallest = expr.smallest_satisfying_set();
        let expected: Vec<String> = (0..36).map(|i| format!("a{i}")).collect();
        assert_eq!(smallest, expected);
        assert!(expr.is_satisfied_by(&smallest.iter().copied().collect()));
        let held: Vec<String> = (0..35).map(|i| format!("a{i}")).collect();
        assert_eq!(expr.missing_from(&scopes(&held.join(" "))), ["a35"]);
    }

    #[test]
    fn scope_lists_split_on_spaces_only() {
        let held = scopes(" a  b:c d/e ");
        assert_eq!(held.iter().collect::<Vec<_>>(), ["a", "b:c", "d/e"]);
    }
}
