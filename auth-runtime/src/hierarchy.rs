//! Scope hierarchies: a broader scope implies narrower ones (`items:admin` implies `items:read`
//! and `items:write`), as configured with
//! [`scope_implies`](crate::AuthenticatorBuilder::scope_implies). The transitive closure is
//! computed once, when the authenticator is built (chains followed, cycles harmless); a
//! principal's scopes are closed under it once per verification, so that every scope check, and
//! the handler's own `scopes().contains(..)`, sees the implied scopes.

use std::sync::Arc;

use crate::error::ConfigError;
use crate::principal::{Principal, Scopes};

/// A scope that implies others, with every scope it implies (itself excluded).
type Implication = (Box<str>, Box<[Box<str>]>);

/// The scopes each broader scope implies, directly or through others.
#[derive(Debug, Default)]
pub(crate) struct ScopeHierarchy {
    /// Sorted by the implying scope.
    implied: Vec<Implication>,
}

impl ScopeHierarchy {
    /// The hierarchy of `rules` (a broader scope, the scopes it implies directly). Every name
    /// must be an RFC 6749 §3.3 scope token.
    pub(crate) fn new(rules: &[(String, Vec<String>)]) -> Result<Self, ConfigError> {
        for scope in rules
            .iter()
            .flat_map(|(broad, narrower)| std::iter::once(broad).chain(narrower))
        {
            check_scope_token(scope)?;
        }
        let mut implied: Vec<Implication> = Vec::new();
        for (broad, _) in rules {
            if implied.iter().any(|(known, _)| **known == **broad) {
                continue;
            }
            // Depth-first over the rules; `reached` doubles as the visited set, so a cycle
            // (`a` implies `b` implies `a`) ends the walk instead of looping.
            let mut reached: Vec<&str> = Vec::new();
            let mut pending = directly_implied(rules, broad);
            pending.reverse();
            while let Some(scope) = pending.pop() {
                if scope == broad || reached.contains(&scope) {
                    continue;
                }
                reached.push(scope);
                let mut next = directly_implied(rules, scope);
                next.reverse();
                pending.extend(next);
            }
            if !reached.is_empty() {
                let reached = reached.into_iter().map(Box::from).collect();
                implied.push((broad.as_str().into(), reached));
            }
        }
        implied.sort_by(|(a, _), (b, _)| a.cmp(b));
        Ok(ScopeHierarchy { implied })
    }

    /// Whether no scope implies another.
    pub(crate) fn is_empty(&self) -> bool {
        self.implied.is_empty()
    }

    /// Every scope `scope` implies (itself excluded).
    pub(crate) fn implied_by(&self, scope: &str) -> &[Box<str>] {
        match self
            .implied
            .binary_search_by(|(broad, _)| (**broad).cmp(scope))
        {
            Ok(index) => &self.implied[index].1,
            Err(_) => &[],
        }
    }

    /// Adds to `scopes` every scope they imply. The closure is transitive: one pass suffices.
    pub(crate) fn close(&self, scopes: &mut Scopes) {
        if self.is_empty() {
            return;
        }
        // Borrowed from the hierarchy, not from `scopes`, which can then take them.
        let missing: Vec<&str> = scopes
            .iter()
            .flat_map(|held| self.implied_by(held).iter().map(|scope| &**scope))
            .filter(|scope| !scopes.contains(scope))
            .collect();
        for scope in missing {
            scopes.insert(scope);
        }
    }

    /// `principal` with its scopes closed under the hierarchy: the same principal when they are
    /// already closed (a Bearer token's, at verification) or nothing is implied, else a copy.
    pub(crate) fn close_principal(&self, principal: Arc<Principal>) -> Arc<Principal> {
        if self.is_empty() || principal.scopes_closed() {
            return principal;
        }
        let adds = principal.scopes().iter().any(|held| {
            self.implied_by(held)
                .iter()
                .any(|scope| !principal.scopes().contains(scope))
        });
        if !adds {
            return principal;
        }
        let mut principal = Arc::unwrap_or_clone(principal);
        self.close(principal.close_scopes());
        Arc::new(principal)
    }
}

/// The scopes the rules for `scope` name, in order.
fn directly_implied<'r>(rules: &'r [(String, Vec<String>)], scope: &str) -> Vec<&'r str> {
    rules
        .iter()
        .filter(|(broad, _)| broad == scope)
        .flat_map(|(_, narrower)| narrower.iter().map(String::as_str))
        .collect()
}

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
pub(crate) fn check_scope_token(scope: &str) -> Result<(), ConfigError> {
    let valid = !scope.is_empty()
        && scope
            .chars()
            .all(|c| matches!(c, '\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e'));
    if valid {
        Ok(())
    } else {
        Err(ConfigError::InvalidScope(scope.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheme::Scheme;

    fn rules(rules: &[(&str, &[&str])]) -> ScopeHierarchy {
        let rules: Vec<(String, Vec<String>)> = rules
            .iter()
            .map(|(broad, narrower)| {
                let narrower = narrower.iter().map(|scope| scope.to_string()).collect();
                (broad.to_string(), narrower)
            })
            .collect();
        ScopeHierarchy::new(&rules).unwrap()
    }

    fn closed(hierarchy: &ScopeHierarchy, held: &str) -> Vec<String> {
        let mut scopes = Scopes::new();
        scopes.extend_from_list(held);
        hierarchy.close(&mut scopes);
        scopes.iter().map(str::to_owned).collect()
    }

    #[test]
    fn chains_are_followed() {
        let hierarchy = rules(&[
            ("admin", &["items:admin", "users:admin"]),
            ("items:admin", &["items:read", "items:write"]),
        ]);
        assert_eq!(
            closed(&hierarchy, "admin"),
            [
                "admin",
                "items:admin",
                "items:read",
                "items:write",
                "users:admin"
            ]
        );
        assert_eq!(
            closed(&hierarchy, "items:admin other"),
            ["items:admin", "other", "items:read", "items:write"]
        );
        assert_eq!(closed(&hierarchy, "items:read"), ["items:read"]);
    }

    #[test]
    fn cycles_end_and_make_scopes_equivalent() {
        let hierarchy = rules(&[("a", &["b"]), ("b", &["c"]), ("c", &["a"])]);
        assert_eq!(closed(&hierarchy, "b"), ["b", "c", "a"]);
        assert_eq!(hierarchy.implied_by("a"), [Box::from("b"), Box::from("c")]);
        let selfish = rules(&[("a", &["a"])]);
        assert!(selfish.is_empty());
    }

    #[test]
    fn rules_for_one_scope_merge() {
        let hierarchy = rules(&[("admin", &["read"]), ("admin", &["write"])]);
        assert_eq!(closed(&hierarchy, "admin"), ["admin", "read", "write"]);
    }

    #[test]
    fn scope_tokens_are_checked() {
        for bad in ["", "a b", "quote\"", "back\\slash", "caf\u{e9}"] {
            let rules = vec![("admin".to_owned(), vec![bad.to_owned()])];
            assert!(
                matches!(
                    ScopeHierarchy::new(&rules),
                    Err(ConfigError::InvalidScope(_))
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_principal_is_copied_only_when_a_scope_is_added() {
        let hierarchy = rules(&[("admin", &["read"])]);
        let reader = Arc::new(Principal::user(Scheme::Basic, "r").with_scopes(["read"]));
        assert!(Arc::ptr_eq(
            &hierarchy.close_principal(Arc::clone(&reader)),
            &reader
        ));
        let admin = Arc::new(Principal::user(Scheme::Basic, "a").with_scopes(["admin"]));
        let closed = hierarchy.close_principal(Arc::clone(&admin));
        assert!(closed.scopes().contains("read") && closed.scopes_closed());
        assert!(Arc::ptr_eq(
            &hierarchy.close_principal(Arc::clone(&closed)),
            &closed
        ));
        assert!(
            !admin.scopes().contains("read"),
            "the original is untouched"
        );
    }
}
