//! The Basic scheme (RFC 7617): decoding, the verifier trait, a static user store holding
//! argon2 password hashes, and the mechanism that ties them to requests.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use actix_web::HttpRequest;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use zeroize::{Zeroize, Zeroizing};

use crate::error::ConfigError;
use crate::http::authorization::Authorization;
use crate::http::challenge::Challenge;
use crate::http::refusal::Refusal;
use crate::mechanism::{Mechanism, Verification};
use crate::outcome::Outcome;
use crate::principal::Principal;
use crate::scheme::Scheme;

/// The longest Basic credentials accepted (base64 text), before any decoding.
const MAX_CREDENTIALS: usize = 4096;

/// A decoded `user-id:password` pair (RFC 7617 §2). The password is wiped from memory when the
/// value is dropped, and `Debug` never shows it.
pub struct BasicCredentials {
    user_id: String,
    password: Zeroizing<String>,
}

impl BasicCredentials {
    /// The user-id (never contains `:`).
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The password (may contain `:`).
    pub fn password(&self) -> &str {
        &self.password
    }
}

impl fmt::Debug for BasicCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicCredentials")
            .field("user_id", &self.user_id)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Why Basic credentials could not be decoded. Every case is answered with the same 401 and
/// `Basic realm="R", charset="UTF-8"` challenge (CONFORMANCE row 10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BasicError {
    /// Empty or longer than the accepted maximum.
    #[error("empty or oversized credentials")]
    Length,
    /// Not base64 (RFC 4648 §4, with padding).
    #[error("not base64")]
    Base64,
    /// Not UTF-8 (the challenge announces `charset="UTF-8"`).
    #[error("not UTF-8")]
    Utf8,
    /// No `:` between user-id and password.
    #[error("no colon")]
    NoColon,
    /// A control character in the user-id or password (RFC 7617 §2).
    #[error("control character")]
    ControlCharacter,
}

/// Decodes the credentials of `Authorization: Basic <credentials>` (RFC 7617 §2): base64 of
/// UTF-8 `user-id ":" password`, split at the first colon, no control characters.
pub fn decode(credentials: &[u8]) -> Result<BasicCredentials, BasicError> {
    if credentials.is_empty() || credentials.len() > MAX_CREDENTIALS {
        return Err(BasicError::Length);
    }
    let bytes = Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(credentials)
            .map_err(|_| BasicError::Base64)?,
    );
    let text = std::str::from_utf8(&bytes).map_err(|_| BasicError::Utf8)?;
    let (user_id, password) = text.split_once(':').ok_or(BasicError::NoColon)?;
    if text.chars().any(char::is_control) {
        return Err(BasicError::ControlCharacter);
    }
    Ok(BasicCredentials {
        user_id: user_id.to_owned(),
        password: Zeroizing::new(password.to_owned()),
    })
}

/// Checks Basic credentials: implemented by the application (a database lookup is the normal
/// case) or by the built-in [`StaticUsers`].
///
/// The request gives access to app data (`req.app_data::<web::Data<Pool>>()`). Return `None`
/// for an unknown user and for a wrong password alike: both get the same answer.
pub trait BasicVerifier: Send + Sync + 'static {
    /// Verifies `credentials`, returning the principal they prove.
    fn verify(
        &self,
        credentials: &BasicCredentials,
        req: &HttpRequest,
    ) -> impl Future<Output = Option<Principal>>;
}

/// A fixed set of users with argon2id password hashes (PHC strings), verified in constant
/// time on a blocking thread; an unknown user costs the same as a wrong password.
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
/// ```
#[derive(Clone, Default)]
pub struct StaticUsers {
    users: HashMap<String, Arc<StoredUser>>,
}

#[derive(Clone)]
struct StoredUser {
    hash: String,
    scopes: Vec<String>,
    roles: Vec<String>,
}

impl fmt::Debug for StaticUsers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticUsers")
            .field("users", &self.users.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl StaticUsers {
    /// No users.
    pub fn new() -> Self {
        StaticUsers::default()
    }

    /// Adds a user whose password is hashed now (argon2id, OWASP parameters) and then wiped.
    pub fn user<'a>(
        self,
        user_id: impl Into<String>,
        password: impl Into<String>,
        scopes: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, ConfigError> {
        let mut password = password.into();
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        let hashed = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string());
        password.zeroize();
        let hash = hashed.map_err(|error| ConfigError::InvalidUser(error.to_string()))?;
        self.user_with_hash(user_id, hash, scopes)
    }

    /// Adds a user with an existing PHC hash (`$argon2id$v=19$...`).
    pub fn user_with_hash<'a>(
        mut self,
        user_id: impl Into<String>,
        phc_hash: impl Into<String>,
        scopes: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, ConfigError> {
        let user_id = user_id.into();
        let hash = phc_hash.into();
        if user_id.is_empty() || user_id.contains(':') || user_id.chars().any(char::is_control) {
            return Err(ConfigError::InvalidUser(format!(
                "the user-id {user_id:?} must be non-empty, without `:` or control characters"
            )));
        }
        PasswordHash::new(&hash).map_err(|error| {
            ConfigError::InvalidUser(format!(
                "the hash of {user_id:?} is not a PHC string: {error}"
            ))
        })?;
        let user = StoredUser {
            hash,
            scopes: scopes.into_iter().map(str::to_owned).collect(),
            roles: Vec::new(),
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
        user.roles.extend(roles.into_iter().map(str::to_owned));
        Ok(self)
    }
}

/// A password check waiting for a hashing thread.
type HashJob = (
    String,
    Zeroizing<String>,
    tokio::sync::oneshot::Sender<bool>,
);

/// Checks `password` against `hash` on one of the hashing threads.
///
/// An argon2 check takes tens of milliseconds and 19 MiB. It runs off the actix workers, on
/// one dedicated thread per core started on first use: a flood of Basic attempts queues
/// there instead of spreading over the hundreds of threads of a general blocking pool, each
/// of which would keep its own heap arena (memory measured by `scripts/soak.sh`).
async fn check_password(hash: String, password: Zeroizing<String>) -> bool {
    static JOBS: std::sync::OnceLock<std::sync::Mutex<std::sync::mpsc::Sender<HashJob>>> =
        std::sync::OnceLock::new();
    let jobs = JOBS.get_or_init(|| {
        let (sender, receiver) = std::sync::mpsc::channel::<HashJob>();
        let receiver = Arc::new(std::sync::Mutex::new(receiver));
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        for index in 0..threads {
            let receiver = Arc::clone(&receiver);
            let _ = std::thread::Builder::new()
                .name(format!("auth-runtime-hash-{index}"))
                .spawn(move || loop {
                    let job = match receiver.lock() {
                        Ok(receiver) => receiver.recv(),
                        Err(_) => return,
                    };
                    let Ok((hash, password, reply)) = job else {
                        return;
                    };
                    let _ = reply.send(password_matches(&hash, &password));
                });
        }
        std::sync::Mutex::new(sender)
    });
    let (reply, answer) = tokio::sync::oneshot::channel();
    let sent = jobs
        .lock()
        .map(|jobs| jobs.send((hash, password, reply)).is_ok())
        .unwrap_or(false);
    sent && answer.await.unwrap_or(false)
}

/// The hash an unknown user is checked against, so that it costs what a wrong password does.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        Argon2::default()
            .hash_password(b"decoy password for unknown users", &salt)
            .map(|hash| hash.to_string())
            .unwrap_or_default()
    })
}

/// Verifies `password` against a PHC hash. The final comparison inside `password-hash` is
/// constant-time (`subtle`).
fn password_matches(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

impl BasicVerifier for StaticUsers {
    async fn verify(&self, credentials: &BasicCredentials, _: &HttpRequest) -> Option<Principal> {
        let user = self.users.get(credentials.user_id()).cloned();
        let hash = match &user {
            Some(user) => user.hash.clone(),
            None => decoy_hash().to_owned(),
        };
        let password = Zeroizing::new(credentials.password().to_owned());
        let matches = check_password(hash, password).await;
        let user = user.filter(|_| matches)?;
        Some(
            Principal::user(Scheme::Basic, credentials.user_id())
                .with_scopes(user.scopes.iter().map(String::as_str))
                .with_roles(user.roles.iter().map(String::as_str)),
        )
    }
}

/// The Basic mechanism: `Authorization: Basic <credentials>`, checked by the application's
/// [`BasicVerifier`].
pub(crate) struct Basic<V> {
    verifier: Arc<V>,
}

impl<V> Basic<V> {
    pub(crate) fn new(verifier: V) -> Self {
        Basic {
            verifier: Arc::new(verifier),
        }
    }
}

impl<V: BasicVerifier> Mechanism for Basic<V> {
    type Credentials<'r> = BasicCredentials;

    fn scheme(&self) -> Scheme {
        Scheme::Basic
    }

    /// Credentials that do not decode are refused like a wrong password (CONFORMANCE row 10).
    fn find<'r>(
        &self,
        _: &'r HttpRequest,
        authorization: Option<Authorization<'r>>,
    ) -> Result<Option<BasicCredentials>, Refusal> {
        match authorization.filter(|a| a.is_scheme("Basic")) {
            Some(authorization) => decode(authorization.credentials())
                .map(Some)
                .map_err(|_| Refusal::Rejected),
            None => Ok(None),
        }
    }

    fn verify(&self, req: &HttpRequest, credentials: BasicCredentials) -> Verification {
        let verifier = Arc::clone(&self.verifier);
        let req = req.clone();
        Outcome::pending(async move {
            verifier
                .verify(&credentials, &req)
                .await
                .map(Arc::new)
                .ok_or(Refusal::Rejected)
        })
    }

    /// RFC 7617 §2.1: the only `charset` value allowed is `UTF-8`.
    /// `http` `basic` (RFC 7617).
    #[cfg(feature = "openapi")]
    fn openapi(&self) -> utoipa::openapi::security::SecurityScheme {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build())
    }

    fn challenge(&self, realm: &str) -> Challenge {
        Challenge::new("Basic", realm).param("charset", "UTF-8")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(text: &[u8]) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .encode(text)
            .into_bytes()
    }

    #[test]
    fn the_first_colon_splits_user_id_and_password() {
        let credentials = decode(&encode(b"alice:pa:ss:")).unwrap();
        assert_eq!(credentials.user_id(), "alice");
        assert_eq!(credentials.password(), "pa:ss:");
        let credentials = decode(&encode(b":")).unwrap();
        assert_eq!((credentials.user_id(), credentials.password()), ("", ""));
    }

    #[test]
    fn utf8_is_accepted() {
        let credentials = decode(&encode("jöse:pässwörd".as_bytes())).unwrap();
        assert_eq!(credentials.user_id(), "jöse");
        assert_eq!(credentials.password(), "pässwörd");
    }

    #[test]
    fn malformed_credentials_are_refused() {
        assert_eq!(decode(b"").unwrap_err(), BasicError::Length);
        assert_eq!(decode(&[b'A'; 5000]).unwrap_err(), BasicError::Length);
        assert_eq!(decode(b"not base64!").unwrap_err(), BasicError::Base64);
        assert_eq!(decode(b"YWxpY2U").unwrap_err(), BasicError::Base64);
        assert_eq!(decode(&encode(b"alice")).unwrap_err(), BasicError::NoColon);
        assert_eq!(
            decode(&encode(b"al\0ice:pw")).unwrap_err(),
            BasicError::ControlCharacter
        );
        assert_eq!(
            decode(&encode(b"alice:p\nw")).unwrap_err(),
            BasicError::ControlCharacter
        );
        assert_eq!(
            decode(&encode(b"alice:\xff\xfe")).unwrap_err(),
            BasicError::Utf8
        );
    }

    #[test]
    fn debug_never_shows_the_password() {
        let credentials = decode(&encode(b"alice:secret-pw")).unwrap();
        assert!(!format!("{credentials:?}").contains("secret-pw"));
    }

    #[test]
    fn passwords_verify_against_their_hash_only() {
        let users = StaticUsers::new()
            .user("alice", "wonderland", ["r"])
            .unwrap();
        let hash = &users.users["alice"].hash;
        assert!(hash.starts_with("$argon2id$"));
        assert!(!hash.contains("wonderland"));
        assert!(password_matches(hash, "wonderland"));
        assert!(!password_matches(hash, "wonderlanD"));
        assert!(!password_matches(decoy_hash(), "wonderland"));
    }

    #[test]
    fn bad_user_ids_and_hashes_are_configuration_errors() {
        assert!(StaticUsers::new().user("a:b", "pw", []).is_err());
        assert!(StaticUsers::new().user("", "pw", []).is_err());
        assert!(StaticUsers::new().user_with_hash("a", "plain", []).is_err());
        assert!(StaticUsers::new().roles("nobody", ["x"]).is_err());
    }
}
