//! The password-hashing threads: argon2 checks run off the actix workers, on a few dedicated
//! threads (half the cores by default), with a bounded number of checks admitted at once.
//!
//! An argon2 check takes tens of milliseconds and 19 MiB. On a general blocking pool a flood
//! of Basic attempts would spread over hundreds of threads, each keeping its own heap arena;
//! here it waits for a few threads, and past the bound it is refused at once instead of
//! queueing without limit (memory measured by `scripts/soak.sh`).

use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::{Argon2, Params};
use zeroize::Zeroizing;

/// A check refused because every hashing thread is busy and the queue is full.
#[derive(Debug)]
pub(crate) struct Overloaded;

/// A pool of hashing threads, started on the first check and stopped when dropped.
pub(crate) struct Hashing {
    threads: usize,
    /// The most checks admitted at once: one hashing on each thread, the rest waiting.
    limit: usize,
    jobs: OnceLock<mpsc::Sender<Job>>,
    shared: Arc<Shared>,
}

/// What the hashing threads share with the requests.
struct Shared {
    /// Checks admitted and not yet done.
    admitted: AtomicUsize,
    /// argon2 computations run against a stored or decoy hash.
    verified: AtomicU64,
    /// The hash unknown users are checked against, made on first use.
    decoy: Mutex<Option<Arc<Decoy>>>,
    #[cfg(feature = "testing")]
    gate: Gate,
}

/// One password check for a hashing thread.
struct Job {
    /// The stored hash, or `None` for an unknown user (checked against the decoy).
    hash: Option<String>,
    password: Zeroizing<String>,
    reply: tokio::sync::oneshot::Sender<bool>,
    _admitted: Admitted,
}

/// One admitted check: the count goes down when its job is done, or dropped unrun.
struct Admitted(Arc<Shared>);

impl Drop for Admitted {
    fn drop(&mut self) {
        self.0.admitted.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Hashing {
    /// `threads` hashing threads (at least one) and room for `waiting` more checks.
    pub(crate) fn new(threads: usize, waiting: usize) -> Self {
        let threads = threads.max(1);
        Hashing {
            threads,
            limit: threads.saturating_add(waiting),
            jobs: OnceLock::new(),
            shared: Arc::new(Shared {
                admitted: AtomicUsize::new(0),
                verified: AtomicU64::new(0),
                decoy: Mutex::new(None),
                #[cfg(feature = "testing")]
                gate: Gate::default(),
            }),
        }
    }

    /// Checks `password` against `hash` (`None`: an unknown user, checked against the decoy
    /// so that it costs what a wrong password costs, and never a match) on a hashing thread,
    /// or refuses at once when the pool is full.
    pub(crate) fn check(
        &self,
        hash: Option<&str>,
        password: &str,
    ) -> Result<impl Future<Output = bool> + 'static, Overloaded> {
        let admitted = Admitted(Arc::clone(&self.shared));
        if self.shared.admitted.fetch_add(1, Ordering::AcqRel) >= self.limit {
            return Err(Overloaded);
        }
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = Job {
            hash: hash.map(str::to_owned),
            password: Zeroizing::new(password.to_owned()),
            reply,
            _admitted: admitted,
        };
        let sent = self.jobs().send(job).is_ok();
        Ok(async move { sent && answer.await.unwrap_or(false) })
    }

    /// argon2 computations run so far.
    pub(crate) fn verified(&self) -> u64 {
        self.shared.verified.load(Ordering::Relaxed)
    }

    /// Checks admitted and not yet done.
    pub(crate) fn admitted(&self) -> usize {
        self.shared.admitted.load(Ordering::Relaxed)
    }

    fn jobs(&self) -> &mpsc::Sender<Job> {
        self.jobs.get_or_init(|| {
            let (sender, receiver) = mpsc::channel::<Job>();
            let receiver = Arc::new(Mutex::new(receiver));
            for index in 0..self.threads {
                let (receiver, shared) = (Arc::clone(&receiver), Arc::clone(&self.shared));
                let spawned = std::thread::Builder::new()
                    .name(format!("auth-runtime-hash-{index}"))
                    .spawn(move || work(&receiver, &shared));
                if let Err(error) = spawned {
                    // Without any thread the receiver is gone: checks then fail, never hang.
                    tracing::error!(target: "auth_runtime", %error, "cannot start a password-hashing thread");
                }
            }
            sender
        })
    }

    /// The current decoy hash (made now if there is none yet).
    #[cfg(feature = "testing")]
    pub(crate) fn decoy_hash(&self) -> String {
        self.shared.decoy().hash.clone()
    }

    /// Holds the hashing threads before their next argon2 computation while `paused`.
    #[cfg(feature = "testing")]
    pub(crate) fn pause(&self, paused: bool) {
        self.shared.gate.set(paused);
    }
}

/// A hashing thread: takes jobs until the pool is dropped.
fn work(receiver: &Mutex<mpsc::Receiver<Job>>, shared: &Shared) {
    loop {
        let job = match receiver.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        #[cfg(feature = "testing")]
        shared.gate.wait();
        // The request is gone (the client hung up): nobody waits for the answer.
        if job.reply.is_closed() {
            continue;
        }
        let Job {
            hash,
            password,
            reply,
            _admitted,
        } = job;
        let stored = hash
            .as_deref()
            .and_then(|hash| PasswordHash::new(hash).ok());
        let matched = stored
            .as_ref()
            .and_then(|stored| shared.verify(stored, &password));
        if matched.is_none() {
            // An unknown user, or a stored hash argon2 cannot compute: the decoy's cost.
            let decoy = shared.decoy();
            if let Ok(decoy) = PasswordHash::new(&decoy.hash) {
                shared.verify(&decoy, &password);
            }
        }
        let _ = reply.send(matched == Some(true));
        // After the answer; the thread still counts as busy until this is done.
        if let Some(params) = stored
            .filter(|_| matched.is_some())
            .and_then(|stored| Params::try_from(&stored).ok())
        {
            shared.adopt(params);
        }
    }
}

/// What an argon2 computation's time depends on: memory, passes and lanes.
fn cost(params: &Params) -> (u32, u32, u32) {
    (params.m_cost(), params.t_cost(), params.p_cost())
}

/// A hash no password is known for, made with given parameters.
struct Decoy {
    hash: String,
    params: Params,
}

impl Decoy {
    /// An argon2id hash of 32 random bytes, with `params`.
    fn new(params: Params) -> Option<Decoy> {
        let mut password = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(password.as_mut());
        let salt = SaltString::generate(&mut OsRng);
        let argon2 = Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            params.clone(),
        );
        let hash = argon2.hash_password(password.as_ref(), &salt).ok()?;
        Some(Decoy {
            hash: hash.to_string(),
            params,
        })
    }
}

impl Shared {
    /// The decoy hash, made with argon2id's defaults if there is none yet.
    fn decoy(&self) -> Arc<Decoy> {
        let mut decoy = self
            .decoy
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Arc::clone(decoy.get_or_insert_with(|| {
            Arc::new(
                Decoy::new(Params::default())
                    .expect("argon2id hashes 32 bytes with its default parameters"),
            )
        }))
    }

    /// Gives the decoy the parameters of a stored hash, if they differ: an unknown user then
    /// keeps costing what a known one does when the store's hashes do not use the defaults.
    fn adopt(&self, params: Params) {
        let current = self
            .decoy
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        if current.is_some_and(|decoy| cost(&decoy.params) == cost(&params)) {
            return;
        }
        if let Some(decoy) = Decoy::new(params) {
            *self
                .decoy
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Arc::new(decoy));
        }
    }

    /// Runs argon2 on `password` with the algorithm, version, parameters and salt of `hash`,
    /// and compares the output with the hash's in constant time (`password_hash::Output`'s
    /// equality); `None` when `hash` is not an argon2 hash argon2 can compute. Counts every
    /// computation that ran.
    fn verify(&self, hash: &PasswordHash<'_>, password: &str) -> Option<bool> {
        let (salt, expected) = (hash.salt?, hash.hash?);
        let params = Params::try_from(hash).ok()?;
        let computed = Argon2::default().hash_password_customized(
            password.as_bytes(),
            Some(hash.algorithm),
            hash.version,
            params,
            salt,
        );
        let computed = computed.ok()?;
        self.verified.fetch_add(1, Ordering::Relaxed);
        Some(computed.hash == Some(expected))
    }
}

/// Holds the hashing threads while closed (tests of a full queue).
#[cfg(feature = "testing")]
#[derive(Default)]
struct Gate {
    paused: Mutex<bool>,
    resumed: std::sync::Condvar,
}

#[cfg(feature = "testing")]
impl Gate {
    fn wait(&self) {
        let mut paused = self
            .paused
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        while *paused {
            paused = self
                .resumed
                .wait(paused)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    fn set(&self, paused: bool) {
        *self
            .paused
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = paused;
        self.resumed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<T>(future: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    /// Waits until every admitted job has ended (its answer comes a little before).
    fn settle(hashing: &Hashing) {
        while hashing.admitted() > 0 {
            std::thread::yield_now();
        }
    }

    fn hash(password: &str, params: Params) -> String {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
            .hash_password(password.as_bytes(), &salt)
            .unwrap()
            .to_string()
    }

    #[test]
    fn a_password_matches_its_hash_only() {
        let hashing = Hashing::new(1, 4);
        let stored = hash("wonderland", Params::default());
        assert!(block_on(
            hashing.check(Some(&stored), "wonderland").unwrap()
        ));
        assert!(!block_on(
            hashing.check(Some(&stored), "wonderlanD").unwrap()
        ));
        assert_eq!(hashing.verified(), 2);
        settle(&hashing);
        assert_eq!(hashing.admitted(), 0, "done checks leave the count");
    }

    #[test]
    fn an_unknown_user_never_matches_and_costs_one_argon2_computation() {
        let hashing = Hashing::new(1, 4);
        let decoy = hashing.shared.decoy();
        // Not even the decoy's own hash string as a password.
        assert!(!block_on(hashing.check(None, &decoy.hash).unwrap()));
        assert_eq!(hashing.verified(), 1);
    }

    #[test]
    fn the_decoy_is_an_argon2id_hash_with_the_default_parameters() {
        let hashing = Hashing::new(1, 4);
        let decoy = hashing.shared.decoy();
        let parsed = PasswordHash::new(&decoy.hash).unwrap();
        assert_eq!(parsed.algorithm, argon2::Algorithm::Argon2id.ident());
        let params = Params::try_from(&parsed).unwrap();
        assert_eq!(cost(&params), cost(&Params::default()));
        assert_eq!(params.output_len(), Some(Params::DEFAULT_OUTPUT_LEN));
        assert!(parsed.salt.is_some() && parsed.hash.is_some());
    }

    #[test]
    fn the_decoy_follows_the_parameters_of_the_stored_hashes() {
        let hashing = Hashing::new(1, 4);
        let stronger = Params::new(32 * 1024, 3, 1, None).unwrap();
        let stored = hash("pw", stronger);
        assert!(block_on(hashing.check(Some(&stored), "pw").unwrap()));
        // The decoy is remade after the answer, before the job ends.
        settle(&hashing);
        let decoy = hashing.shared.decoy();
        let parsed = PasswordHash::new(&decoy.hash).unwrap();
        assert_eq!(cost(&Params::try_from(&parsed).unwrap()), (32 * 1024, 3, 1));
    }

    #[test]
    fn an_existing_decoy_follows_stored_hashes_of_other_parameters_only() {
        let hashing = Hashing::new(1, 4);
        // An unknown user first: the decoy is made with the defaults.
        assert!(!block_on(hashing.check(None, "pw").unwrap()));
        settle(&hashing);
        let stronger = Params::new(32 * 1024, 3, 1, None).unwrap();
        let stored = hash("pw", stronger);
        assert!(block_on(hashing.check(Some(&stored), "pw").unwrap()));
        settle(&hashing);
        let decoy = hashing.shared.decoy();
        let parsed = PasswordHash::new(&decoy.hash).unwrap();
        assert_eq!(cost(&Params::try_from(&parsed).unwrap()), (32 * 1024, 3, 1));
        // A hash of the decoy's own parameters leaves it as it is.
        assert!(block_on(hashing.check(Some(&stored), "pw").unwrap()));
        settle(&hashing);
        assert_eq!(hashing.shared.decoy().hash, decoy.hash);
    }

    #[test]
    fn a_stored_hash_argon2_cannot_compute_never_matches_and_costs_the_decoy() {
        let hashing = Hashing::new(1, 4);
        let stored = hash("pw", Params::default());
        let without_output = stored.rsplit_once('$').unwrap().0.to_owned();
        let bad = [
            "",
            "plain",
            "$scrypt$ln=15,r=8,p=1$c2FsdA$aGFzaA",
            &without_output,
        ];
        for bad in bad {
            assert!(!block_on(hashing.check(Some(bad), "pw").unwrap()), "{bad}");
        }
        assert_eq!(hashing.verified(), bad.len() as u64);
    }

    #[cfg(feature = "testing")]
    #[test]
    fn checks_past_the_bound_are_refused_at_once() {
        let hashing = Hashing::new(1, 1);
        hashing.pause(true);
        let first = hashing.check(None, "a").unwrap();
        let second = hashing.check(None, "b").unwrap();
        assert!(hashing.check(None, "c").is_err());
        assert_eq!(hashing.admitted(), 2);
        hashing.pause(false);
        assert!(!block_on(first) && !block_on(second));
        // The jobs' admissions end with them.
        settle(&hashing);
        assert!(hashing.check(None, "d").is_ok());
    }

    #[cfg(feature = "testing")]
    #[test]
    fn an_abandoned_check_is_not_computed() {
        let hashing = Hashing::new(1, 4);
        hashing.pause(true);
        drop(hashing.check(None, "gone").unwrap());
        hashing.pause(false);
        settle(&hashing);
        assert_eq!(hashing.verified(), 0);
    }
}
