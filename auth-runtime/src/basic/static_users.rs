//! [`StaticUsers`]: a fixed set of Basic users with argon2 password hashes.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use actix_web::HttpRequest;
use argon2::password_hash::PasswordHash;
use argon2::Params;

use crate::basic::passwords::Passwords;
use crate::basic::{BasicCredentials, BasicVerifier};
use crate::error::ConfigError;
use crate::http::refusal::Refusal;
use crate::principal::Principal;
use crate::scheme::Scheme;

/// A fixed set of users with argon2 password hashes (PHC strings), checked by a
/// [`Passwords`]: on dedicated threads behind a bounded queue, an unknown user costing the
/// same as a wrong password, and credentials that passed served from its cache afterwards.
///
/// Plain-text passwords given to [`StaticUsers::user`] are hashed at once and wiped; only the
/// hashes stay in memory.
///
/// ```
/// use auth_runtime::StaticUsers;
///
/// let users = StaticUsers::new()
///     .user("alice", "wonderland", ["reports:read"])
///     .unwrap();
/// assert!(!format!("{users:?}").contains("wonderland"));
/// let passwords = users.passwords().clone(); // for `passwords.clear()` and `passwords.stats()`
/// # let _ = passwords;
/// ```
#[derive(Clone, Default)]
pub struct StaticUsers {
    users: HashMap<String, Arc<StoredUser>>,
    passwords: Passwords,
}

#[derive(Clone)]
struct StoredUser {
    hash: String,
    /// Built once, shared by every request of the user.
    principal: Arc<Principal>,
}

impl fmt::Debug for StaticUsers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticUsers")
            .field("users", &self.users.keys().collect::<Vec<_>>())
            .field("passwords", &self.passwords)
            .finish_non_exhaustive()
    }
}

impl StaticUsers {
    /// No users; passwords checked by a default [`Passwords`].
    pub fn new() -> Self {
        StaticUsers::default()
    }

    /// Checks the passwords with `passwords` (its cache, threads and queue settings) instead of
    /// a default one.
    ///
    /// ```
    /// use std::time::Duration;
    /// use auth_runtime::{CredentialCacheConfig, Passwords, StaticUsers};
    ///
    /// let passwords = Passwords::new()
    ///     .cache(CredentialCacheConfig::default().max_age(Duration::from_secs(60)))
    ///     .max_waiting(64);
    /// let users = StaticUsers::new()
    ///     .with_passwords(passwords.clone())
    ///     .user("alice", "wonderland", ["reports:read"])
    ///     .unwrap();
    /// # let _ = users;
    /// ```
    pub fn with_passwords(mut self, passwords: Passwords) -> Self {
        self.passwords = passwords;
        self
    }

    /// The password check: for [`Passwords::clear`] and [`Passwords::stats`].
    pub fn passwords(&self) -> &Passwords {
        &self.passwords
    }

    /// Adds a user whose password is hashed now ([`Passwords::hash`]: argon2id, OWASP's
    /// parameters) and then wiped.
    pub fn user<'a>(
        self,
        user_id: impl Into<String>,
        password: impl Into<String>,
        scopes: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, ConfigError> {
        let hash = Passwords::hash(password)?;
        self.user_with_hash(user_id, hash, scopes)
    }

    /// Adds a user with an existing argon2 hash: a PHC string (`$argon2id$v=19$...`) with its
    /// parameters, salt and output. Any other string is refused: it could never match.
    pub fn user_with_hash<'a>(
        mut self,
        user_id: impl Into<String>,
        phc_hash: impl Into<String>,
        scopes: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, ConfigError> {
        let user_id = user_id.into();
        let hash = phc_hash.into();
        // RFC 7617 §2: a user-id containing a colon cannot be sent.
        if user_id.is_empty() || user_id.contains(':') || user_id.chars().any(char::is_control) {
            return Err(ConfigError::InvalidUser(format!(
                "the user-id {user_id:?} must be non-empty, without `:` or control characters"
            )));
        }
        check_argon2_hash(&hash).map_err(|reason| {
            ConfigError::InvalidUser(format!("the hash of {user_id:?} {reason}"))
        })?;
        let principal = Principal::user(Scheme::Basic, &user_id).with_scopes(scopes);
        let user = StoredUser {
            hash,
            principal: Arc::new(principal),
        };
        self.users.insert(user_id, Arc::new(user));
        Ok(self)
    }

    /// Gives the user `user_id` (already added) these roles.
    pub fn roles<'a>(
        mut self,
        user_id: &str,
        roles: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, ConfigError> {
        let user = self.users.get_mut(user_id).ok_or_else(|| {
            ConfigError::InvalidUser(format!("no user {user_id:?} to give roles to"))
        })?;
        let user = Arc::make_mut(user);
        user.principal = Arc::new(Principal::clone(&user.principal).with_roles(roles));
        Ok(self)
    }
}

/// Whether `hash` is a PHC string argon2 can check a password against.
fn check_argon2_hash(hash: &str) -> Result<(), String> {
    let parsed =
        PasswordHash::new(hash).map_err(|error| format!("is not a PHC string: {error}"))?;
    argon2::Algorithm::try_from(parsed.algorithm)
        .map_err(|_| format!("is a {} hash, not argon2", parsed.algorithm))?;
    Params::try_from(&parsed).map_err(|error| format!("has unusable parameters: {error}"))?;
    if parsed.salt.is_none() || parsed.hash.is_none() {
        return Err("has no salt or no output".to_owned());
    }
    Ok(())
}

impl BasicVerifier for StaticUsers {
    async fn verify(
        &self,
        credentials: &BasicCredentials,
        _: &HttpRequest,
    ) -> Result<Arc<Principal>, Refusal> {
        let user = self.users.get(credentials.user_id());
        self.passwords
            .check(credentials, user.map(|user| user.hash.as_str()))
            .await?;
        let user = user.ok_or(Refusal::Rejected)?;
        Ok(Arc::clone(&user.principal))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_check_given_is_the_one_used() {
        let passwords = Passwords::new().cache(crate::CredentialCacheConfig::disabled());
        let users = StaticUsers::new().with_passwords(passwords.clone());
        let shown = format!("{:?}", users.passwords());
        assert_eq!(shown, format!("{passwords:?}"));
        assert_ne!(shown, format!("{:?}", Passwords::new()));
    }

    #[test]
    fn passwords_are_kept_as_argon2id_hashes_only() {
        let users = StaticUsers::new()
            .user("alice", "wonderland", ["r"])
            .unwrap();
        let hash = &users.users["alice"].hash;
        assert!(hash.starts_with("$argon2id$"));
        assert!(!hash.contains("wonderland"));
        let params = Params::try_from(&PasswordHash::new(hash).unwrap()).unwrap();
        let default = Params::default();
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (default.m_cost(), default.t_cost(), default.p_cost())
        );
    }

    #[test]
    fn bad_user_ids_and_hashes_are_configuration_errors() {
        assert!(StaticUsers::new().user("a:b", "pw", []).is_err());
        assert!(StaticUsers::new().user("", "pw", []).is_err());
        assert!(StaticUsers::new().user("a\tb", "pw", []).is_err());
        assert!(StaticUsers::new().roles("nobody", ["x"]).is_err());
        let good = Passwords::hash("pw").unwrap();
        let without_output = good.rsplit_once('$').unwrap().0;
        for bad in [
            "plain",
            "$scrypt$ln=15,r=8,p=1$c2FsdA$aGFzaA",
            without_output,
            "$argon2id$v=19$m=1,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
        ] {
            let error = StaticUsers::new().user_with_hash("a", bad, []).unwrap_err();
            assert!(matches!(error, ConfigError::InvalidUser(_)), "{bad}");
        }
        assert!(StaticUsers::new().user_with_hash("a", good, []).is_ok());
    }
}
