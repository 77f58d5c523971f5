//! The revocation store shared through Redis (feature `redis`).
//!
//! **Layout.** One sorted set, `<namespace>:revocations`, holds every revocation in force as
//! its JSON (the member) scored by its expiry: entries expire with the tokens they revoke, and
//! every synchronisation drops those past their time. A counter, `<namespace>:version`, counts
//! the writes. Each write is one Lua script (atomic): add the member, increment the counter,
//! and publish `"<version> <json>"` on the channel `<namespace>:revocations`.
//!
//! **Synchronisation.** Each instance runs one thread (`auth-runtime-revocations`) with its own
//! runtime and one connection manager (reconnects with back-off), subscribed with RESP3 push.
//! A published revocation is in force on every instance as soon as its message arrives.
//! Messages carry the version, so an instance knows it missed none when each is one more than
//! the last; otherwise, and after every reconnect, it resynchronises: subscribe again, read the
//! whole set, then write back (and publish) every revocation it holds that Redis lacks. That
//! last step is what keeps revocations alive across a Redis restarted without persistence, or
//! made while this instance could not reach Redis. Once per sync interval it reads the counter:
//! unchanged means in sync (and refreshes the staleness clock of the deny-list), changed or
//! missing means resynchronise. Requests never wait for any of this: they read the in-memory
//! deny-list.

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, IntoConnectionInfo, ProtocolVersion, PushInfo, PushKind, RedisResult, Value};
use tokio::sync::{mpsc, oneshot};

use crate::clock;
use crate::error::ConfigError;
use crate::revocation::deny_list::{DenyList, Revocation};
use crate::revocation::store::{RevocationError, RevocationStore, ShareFuture};

/// Adds one revocation, bumps the version and publishes both, atomically.
/// KEYS: the set, the version counter. ARGV: expiry, JSON, channel.
const WRITE: &str = r"
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
local version = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[3], version .. ' ' .. ARGV[2])
return version
";

/// Revocations shared by every instance through Redis, for
/// [`AuthenticatorBuilder::revocation_store`](crate::AuthenticatorBuilder::revocation_store).
///
/// ```no_run
/// use std::time::Duration;
/// use auth_runtime::{Authenticator, Key, RedisStore, WhenStoreUnreachable};
///
/// let auth = Authenticator::builder()
///     .key(Key::hs256(b"an-obviously-fake-secret-of-32-bytes!!").unwrap())
///     .revocation_store(RedisStore::new("redis://127.0.0.1:6379/").unwrap())
///     .when_store_unreachable(WhenStoreUnreachable::RefuseAfter(Duration::from_secs(30)))
///     .build()
///     .unwrap();
/// # let _ = auth;
/// ```
///
/// Every instance keeps the revocations in force in memory and learns of new ones by Redis
/// pub/sub, so a request never waits for Redis. An instance started later reads every
/// revocation still in force; a Redis that comes back empty (restarted without persistence)
/// gets the instances' revocations written back; each entry expires in Redis with the tokens it
/// revokes. While Redis cannot be reached the instance keeps serving with what it has and logs
/// at error level, or refuses with `503` past a limit
/// ([`WhenStoreUnreachable`](crate::WhenStoreUnreachable)); it reconnects by itself.
///
/// The same connection serves other shared state of the authenticator, such as the one-time
/// use of DPoP proof identifiers ([`first_use`](Self::first_use)).
pub struct RedisStore {
    client: Client,
    namespace: String,
    sync_interval: Duration,
    connect_timeout: Duration,
    response_timeout: Duration,
    /// Set by `attach`: the commands the store's thread runs.
    commands: Mutex<Option<mpsc::UnboundedSender<Command>>>,
    /// Dropping it stops the thread.
    stop: Mutex<Option<oneshot::Sender<()>>>,
    /// For logs: the server's address, never its password.
    address: String,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("address", &self.address)
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

/// What the store's thread is asked to do.
enum Command {
    Share(Revocation, oneshot::Sender<Result<(), RevocationError>>),
    FirstUse(
        String,
        Duration,
        oneshot::Sender<Result<bool, RevocationError>>,
    ),
}

impl RedisStore {
    /// A store at `url` (`redis://[:password@]host[:port][/db]`, or `rediss://` for TLS
    /// where the redis crate supports it). Nothing is connected before the authenticator is
    /// built. Fails if the URL cannot be parsed.
    pub fn new(url: &str) -> Result<RedisStore, ConfigError> {
        let invalid = |what: &str| ConfigError::InvalidRevocation(format!("the Redis URL {what}"));
        let info = url
            .into_connection_info()
            .map_err(|_| invalid("cannot be parsed"))?;
        let address = info.addr().to_string();
        // Pub/sub on the connection manager needs RESP3 push messages.
        let redis_settings = info
            .redis_settings()
            .clone()
            .set_protocol(ProtocolVersion::RESP3);
        let info = info.set_redis_settings(redis_settings);
        let client = Client::open(info).map_err(|_| invalid("cannot be used"))?;
        Ok(RedisStore {
            client,
            namespace: "auth-runtime".to_owned(),
            sync_interval: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(1),
            response_timeout: Duration::from_secs(1),
            commands: Mutex::new(None),
            stop: Mutex::new(None),
            address,
        })
    }

    /// The prefix of the keys and of the channel, so that applications (or environments)
    /// sharing one Redis keep their revocations apart. Default: `auth-runtime`.
    pub fn namespace(mut self, namespace: impl Into<String>) -> RedisStore {
        self.namespace = namespace.into();
        self
    }

    /// How often the store checks that this instance missed nothing (one `GET` of the version
    /// counter; a resynchronisation only when it moved unseen) and, while Redis is unreachable,
    /// tries to reach it again. Default: 1 second.
    pub fn sync_interval(mut self, interval: Duration) -> RedisStore {
        self.sync_interval = interval;
        self
    }

    /// Timeouts for connecting to Redis and for each command's response. Default: 1 second
    /// each.
    pub fn timeouts(mut self, connect: Duration, response: Duration) -> RedisStore {
        self.connect_timeout = connect;
        self.response_timeout = response;
        self
    }

    /// Records the first use of `id` for `ttl`: `true` the first time any instance presents
    /// `id` within `ttl`, `false` every other time (`SET NX PX` under
    /// `<namespace>:once:<id>`). For one-time identifiers shared by the instances, such as
    /// the `jti` of DPoP proofs (RFC 9449 §11.1). Fails when Redis cannot be reached; the
    /// store must be attached to an authenticator first.
    pub fn first_use(
        &self,
        id: &str,
        ttl: Duration,
    ) -> impl std::future::Future<Output = Result<bool, RevocationError>> + Send + 'static {
        let (reply, answer) = oneshot::channel();
        let sent = self.send(Command::FirstUse(id.to_owned(), ttl, reply));
        async move {
            sent?;
            answer.await.unwrap_or_else(|_| Err(stopped()))
        }
    }

    fn send(&self, command: Command) -> Result<(), RevocationError> {
        let commands = self.commands.lock().map_err(|_| stopped())?;
        match commands.as_ref() {
            Some(commands) => commands.send(command).map_err(|_| stopped()),
            None => Err(RevocationError::NotShared(
                "the Redis store is not attached to an authenticator".to_owned(),
            )),
        }
    }
}

fn stopped() -> RevocationError {
    RevocationError::NotShared("the Redis store's thread stopped".to_owned())
}

impl RevocationStore for RedisStore {
    fn attach(&self, list: DenyList) -> Result<(), ConfigError> {
        let invalid = |what: &str| Err(ConfigError::InvalidRevocation(what.to_owned()));
        if self.sync_interval.is_zero() {
            return invalid("`RedisStore::sync_interval(..)` must be longer than zero");
        }
        if self.connect_timeout.is_zero() || self.response_timeout.is_zero() {
            return invalid("`RedisStore::timeouts(..)` must be longer than zero");
        }
        let (Ok(mut commands), Ok(mut stop)) = (self.commands.lock(), self.stop.lock()) else {
            return invalid("the Redis store is unusable");
        };
        if commands.is_some() {
            return invalid(
                "a `RedisStore` serves one authenticator: create one per authenticator",
            );
        }
        let (sender, receiver) = mpsc::unbounded_channel();
        let (stop_sender, stop_receiver) = oneshot::channel();
        let sync = Sync {
            client: self.client.clone(),
            keys: Keys::new(&self.namespace),
            list,
            sync_interval: self.sync_interval,
            connect_timeout: self.connect_timeout,
            response_timeout: self.response_timeout,
            address: self.address.clone(),
        };
        std::thread::Builder::new()
            .name("auth-runtime-revocations".into())
            .spawn(move || sync.run(receiver, stop_receiver))
            .map_err(|error| {
                ConfigError::InvalidRevocation(format!(
                    "the revocation thread cannot start: {error}"
                ))
            })?;
        *commands = Some(sender);
        *stop = Some(stop_sender);
        Ok(())
    }

    fn share(&self, revocation: &Revocation) -> ShareFuture {
        let (reply, answer) = oneshot::channel();
        let sent = self.send(Command::Share(revocation.clone(), reply));
        Box::pin(async move {
            sent?;
            answer.await.unwrap_or_else(|_| Err(stopped()))
        })
    }
}

/// The names under the namespace.
#[derive(Clone)]
struct Keys {
    set: String,
    version: String,
    channel: String,
    once: String,
}

impl Keys {
    fn new(namespace: &str) -> Keys {
        Keys {
            set: format!("{namespace}:revocations"),
            version: format!("{namespace}:version"),
            channel: format!("{namespace}:revocations"),
            once: format!("{namespace}:once:"),
        }
    }
}

/// The store's thread: its connection, and the deny-list it keeps in sync.
struct Sync {
    client: Client,
    keys: Keys,
    list: DenyList,
    sync_interval: Duration,
    connect_timeout: Duration,
    response_timeout: Duration,
    address: String,
}

/// Where the synchronisation stands; owned by the thread's main loop.
struct SyncState {
    /// The subscription is up and the list held everything at `version`.
    in_sync: bool,
    /// The last version seen in order; `None` before the first synchronisation or when Redis
    /// had no counter.
    version: Option<u64>,
    /// An outage was logged and its end is not yet.
    outage: bool,
}

impl Sync {
    fn run(self, commands: mpsc::UnboundedReceiver<Command>, stop: oneshot::Receiver<()>) {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(error) => {
                tracing::error!(
                    target: "auth_runtime",
                    error = %error,
                    "the revocation thread cannot start a runtime: revocations are not shared"
                );
                return;
            }
        };
        let local = tokio::task::LocalSet::new();
        local.block_on(&runtime, self.serve(commands, stop));
    }

    async fn serve(
        self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut stop: oneshot::Receiver<()>,
    ) {
        let (pushes, mut pushed) = mpsc::unbounded_channel::<PushInfo>();
        let config = ConnectionManagerConfig::new()
            .set_push_sender(pushes)
            .set_automatic_resubscription()
            .set_connection_timeout(Some(self.connect_timeout))
            .set_response_timeout(Some(self.response_timeout))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(self.sync_interval);
        let manager = match ConnectionManager::new_lazy_with_config(self.client.clone(), config) {
            Ok(manager) => manager,
            Err(error) => {
                tracing::error!(
                    target: "auth_runtime",
                    redis = %self.address,
                    error = %error,
                    "the Redis revocation store cannot be used: revocations are not shared"
                );
                return;
            }
        };
        let mut state = SyncState {
            in_sync: false,
            version: None,
            outage: false,
        };
        let mut tick = tokio::time::interval(self.sync_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                _ = &mut stop => return,
                Some(push) = pushed.recv() => {
                    let mut batch = vec![push];
                    while let Ok(push) = pushed.try_recv() {
                        batch.push(push);
                    }
                    self.receive(batch, &mut state);
                }
                command = commands.recv() => match command {
                    // Each runs as its own task: a slow Redis never holds up pushed messages.
                    Some(command) => {
                        let (manager, keys) = (manager.clone(), self.keys.clone());
                        tokio::task::spawn_local(execute(manager, keys, command));
                    }
                    None => return,
                },
                _ = tick.tick() => {
                    let mut manager = manager.clone();
                    self.check(&mut manager, &mut pushed, &mut state).await;
                }
            }
        }
    }

    /// Applies pushed messages: revocations published by any instance, and disconnections.
    fn receive(&self, batch: Vec<PushInfo>, state: &mut SyncState) {
        let mut revocations = Vec::new();
        for push in batch {
            match push.kind {
                PushKind::Message => {
                    let Some(Value::BulkString(payload)) = push.data.get(1) else {
                        continue;
                    };
                    let Some((version, revocation)) = parse_message(payload) else {
                        continue;
                    };
                    revocations.push(revocation);
                    // The next version: nothing was missed. An older one: already known (the
                    // echo of a write-back). A gap: the next check resynchronises.
                    let seen = state.version.unwrap_or(0);
                    if version == seen + 1 {
                        state.version = Some(version);
                    } else if version > seen {
                        state.in_sync = false;
                    }
                }
                PushKind::Disconnection => {
                    if state.in_sync {
                        tracing::warn!(
                            target: "auth_runtime",
                            redis = %self.address,
                            "the connection to the Redis revocation store dropped; reconnecting"
                        );
                    }
                    state.in_sync = false;
                }
                _ => {}
            }
        }
        if !revocations.is_empty() {
            self.list.extend(revocations);
        }
    }

    /// The periodic check: resynchronises when needed, and records the outcome.
    async fn check(
        &self,
        manager: &mut ConnectionManager,
        pushed: &mut mpsc::UnboundedReceiver<PushInfo>,
        state: &mut SyncState,
    ) {
        let outcome = async {
            if state.in_sync {
                let version: Option<u64> = redis::cmd("GET")
                    .arg(&self.keys.version)
                    .query_async(manager)
                    .await?;
                // A message published before this answer came first on the connection: apply
                // it before comparing, or every write that lands just before a check would
                // cost a full resynchronisation.
                let mut batch = Vec::new();
                while let Ok(push) = pushed.try_recv() {
                    batch.push(push);
                }
                self.receive(batch, state);
                if state.in_sync && version == state.version {
                    return Ok(());
                }
            }
            self.resync(manager, state).await
        }
        .await;
        match outcome {
            Ok(()) => {
                self.list.synced();
                if state.outage {
                    tracing::info!(
                        target: "auth_runtime",
                        redis = %self.address,
                        revocations = self.list.len(),
                        "the Redis revocation store is reachable again; revocations are in sync"
                    );
                    state.outage = false;
                }
            }
            Err(error) => {
                state.in_sync = false;
                if !state.outage {
                    tracing::error!(
                        target: "auth_runtime",
                        redis = %self.address,
                        error = %error,
                        revocations = self.list.len(),
                        "the Redis revocation store is unreachable: serving with the revocations \
                         received until now; retrying"
                    );
                    state.outage = true;
                }
            }
        }
    }

    /// Subscribes, reads every revocation in force, and writes back those Redis lacks.
    async fn resync(
        &self,
        manager: &mut ConnectionManager,
        state: &mut SyncState,
    ) -> RedisResult<()> {
        manager.subscribe(&self.keys.channel).await?;
        let now = clock::now();
        let (members, version): (Vec<Vec<u8>>, Option<u64>) = redis::pipe()
            .cmd("ZREMRANGEBYSCORE")
            .arg(&self.keys.set)
            .arg("-inf")
            .arg(now)
            .ignore()
            .cmd("ZRANGEBYSCORE")
            .arg(&self.keys.set)
            .arg(format!("({now}"))
            .arg("+inf")
            .cmd("GET")
            .arg(&self.keys.version)
            .query_async(manager)
            .await?;
        let remote: Vec<Revocation> = members
            .iter()
            .filter_map(|member| Revocation::from_json(member))
            .collect();
        let learned = self.list.extend(remote.iter().cloned());
        self.list.purge();
        let missing: Vec<Revocation> = self
            .list
            .revocations()
            .into_iter()
            .filter(|revocation| !remote.contains(revocation))
            .collect();
        let mut version = version;
        if !missing.is_empty() {
            let mut pipe = redis::pipe();
            for revocation in &missing {
                write(&mut pipe, &self.keys, revocation);
            }
            let versions: Vec<u64> = pipe.query_async(manager).await?;
            version = versions.last().copied();
            tracing::info!(
                target: "auth_runtime",
                redis = %self.address,
                written_back = missing.len(),
                "wrote back revocations the Redis revocation store did not hold"
            );
        }
        tracing::debug!(
            target: "auth_runtime",
            redis = %self.address,
            learned,
            held = self.list.len(),
            "revocations resynchronised with Redis"
        );
        state.version = version;
        state.in_sync = true;
        Ok(())
    }
}

/// Adds the write script for `revocation` to `pipe`.
fn write(pipe: &mut redis::Pipeline, keys: &Keys, revocation: &Revocation) {
    pipe.cmd("EVAL")
        .arg(WRITE)
        .arg(2)
        .arg(&keys.set)
        .arg(&keys.version)
        .arg(revocation.expires_at().unwrap_or(u64::MAX / 2))
        .arg(revocation.to_json())
        .arg(&keys.channel);
}

/// `"<version> <json>"`.
fn parse_message(payload: &[u8]) -> Option<(u64, Revocation)> {
    let mut parts = payload.splitn(2, |&b| b == b' ');
    let version = std::str::from_utf8(parts.next()?).ok()?.parse().ok()?;
    Some((version, Revocation::from_json(parts.next()?)?))
}

/// Runs one command against Redis and answers its caller.
async fn execute(mut manager: ConnectionManager, keys: Keys, command: Command) {
    let unreachable = |error: redis::RedisError| {
        RevocationError::NotShared(format!("Redis answered {}", error.kind_name()))
    };
    match command {
        Command::Share(revocation, reply) => {
            let mut pipe = redis::pipe();
            write(&mut pipe, &keys, &revocation);
            let outcome: RedisResult<Vec<u64>> = pipe.query_async(&mut manager).await;
            let _ = reply.send(outcome.map(drop).map_err(unreachable));
        }
        Command::FirstUse(id, ttl, reply) => {
            let set: RedisResult<Option<String>> = redis::cmd("SET")
                .arg(format!("{}{id}", keys.once))
                .arg(1)
                .arg("NX")
                .arg("PX")
                .arg(ttl.as_millis().max(1) as u64)
                .query_async(&mut manager)
                .await;
            let _ = reply.send(set.map(|ok| ok.is_some()).map_err(unreachable));
        }
    }
}

/// A short name for an error's kind, never its details (which may echo a password).
trait KindName {
    fn kind_name(&self) -> String;
}

impl KindName for redis::RedisError {
    fn kind_name(&self) -> String {
        if self.is_timeout() {
            "nothing in time".to_owned()
        } else if self.is_io_error() {
            // Every dropped connection is an I/O error too (`is_connection_dropped` picks some
            // kinds of I/O errors out of them), so this covers refused, reset and unreachable.
            "with a connection error".to_owned()
        } else {
            format!("an error ({:?})", self.kind())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_is_named_by_its_kind_only() {
        use std::io;
        let io_error = |kind| redis::RedisError::from(io::Error::new(kind, "secret detail"));
        for kind in [
            io::ErrorKind::ConnectionRefused,
            io::ErrorKind::ConnectionReset,
            io::ErrorKind::HostUnreachable,
            io::ErrorKind::PermissionDenied,
        ] {
            assert_eq!(
                io_error(kind).kind_name(),
                "with a connection error",
                "{kind:?}"
            );
        }
        assert_eq!(
            io_error(io::ErrorKind::TimedOut).kind_name(),
            "nothing in time"
        );
        let refused = redis::RedisError::from((redis::ErrorKind::AuthenticationFailed, "secret"));
        assert_eq!(refused.kind_name(), "an error (AuthenticationFailed)");
    }

    #[test]
    fn messages_carry_the_version_then_the_revocation() {
        let revocation = Revocation::jti("j").until(9);
        let payload = format!("42 {}", revocation.to_json());
        assert_eq!(parse_message(payload.as_bytes()), Some((42, revocation)));
        assert_eq!(parse_message(b"x {}"), None);
        assert_eq!(parse_message(b"42"), None);
    }

    #[test]
    fn urls_are_checked_and_never_echoed() {
        let error = RedisStore::new("not a url :secret@").unwrap_err();
        assert!(!error.to_string().contains("secret"), "{error}");
        let store = RedisStore::new("redis://:hunter2@127.0.0.1:6390/").unwrap();
        assert_eq!(
            format!("{store:?}"),
            r#"RedisStore { address: "127.0.0.1:6390", namespace: "auth-runtime", .. }"#
        );
    }
}
