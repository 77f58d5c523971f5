//! A real `redis-server` for tests: started on a free loopback port, without persistence (a
//! restart comes back empty, as a Redis without persistence does), stopped by process id.
//!
//! When `redis-server` is missing, the harness installs it from Debian's packages
//! (`apt-get install -y redis-server`, as root) unless `AUTH_TESTS_NO_INSTALL` is set; when it
//! still cannot run one, [`RedisServer::start`] says so loudly on the terminal (past the test
//! harness's output capture) and returns `None`, and the test returns without checking
//! anything. `scripts/test.sh` installs it first, so the suite never skips there.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// A running `redis-server`.
pub struct RedisServer {
    port: u16,
    dir: PathBuf,
    child: Mutex<Option<Child>>,
}

/// Whether `redis-server` can be run here, or why not; decided once per test binary.
fn availability() -> &'static Result<(), String> {
    static AVAILABLE: OnceLock<Result<(), String>> = OnceLock::new();
    AVAILABLE.get_or_init(|| {
        if runs() {
            return Ok(());
        }
        if std::env::var_os("AUTH_TESTS_NO_INSTALL").is_some() {
            return Err("redis-server is not installed (AUTH_TESTS_NO_INSTALL is set)".into());
        }
        let install = || {
            Command::new("apt-get")
                .args(["install", "-y", "-qq", "redis-server"])
                .env("DEBIAN_FRONTEND", "noninteractive")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        };
        let installed = install() || {
            let _ = Command::new("apt-get")
                .args(["update", "-qq"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            install()
        };
        if installed && runs() {
            Ok(())
        } else {
            Err(
                "redis-server is not installed and `apt-get install -y redis-server` failed \
                 (not root, or no package index)"
                    .into(),
            )
        }
    })
}

fn runs() -> bool {
    Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Says on the terminal, past libtest's capture, that `test` checked nothing and why.
fn skipped(test: &str, why: &str) {
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED {test}: {why}. This test needs a real Redis: install redis-server \
         (apt-get install redis-server) or run scripts/test.sh. ***\n"
    );
}

impl RedisServer {
    /// A fresh server for `test`, or `None` (announced loudly) when none can run here.
    pub fn start(test: &str) -> Option<RedisServer> {
        if let Err(why) = availability() {
            skipped(test, why);
            return None;
        }
        for _ in 0..5 {
            let port = free_port();
            let dir = std::env::temp_dir().join(format!("auth-tests-redis-{port}"));
            let _ = std::fs::create_dir_all(&dir);
            let server = RedisServer {
                port,
                dir,
                child: Mutex::new(None),
            };
            if server.spawn() {
                return Some(server);
            }
        }
        skipped(test, "redis-server did not start on a free loopback port");
        None
    }

    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server (by its process id) and waits for it to exit.
    pub fn stop(&self) {
        if let Some(mut child) = self.child.lock().unwrap().take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port, empty. Panics if it does not come up.
    pub fn restart(&self) {
        self.stop();
        for _ in 0..50 {
            if self.spawn() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("redis-server did not restart on port {}", self.port);
    }

    /// Runs one command and gives its RESP2 reply, raw (`:3\r\n`, `$-1\r\n`, ...).
    pub fn command(&self, args: &[&str]) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("redis answers");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut request = format!("*{}\r\n", args.len());
        for arg in args {
            request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
        stream.write_all(request.as_bytes()).unwrap();
        let mut reply = vec![0u8; 64 * 1024];
        let read = stream.read(&mut reply).unwrap();
        String::from_utf8_lossy(&reply[..read]).into_owned()
    }

    /// The integer reply of `args` (`ZCARD key`, say).
    pub fn integer(&self, args: &[&str]) -> i64 {
        let reply = self.command(args);
        reply
            .trim()
            .strip_prefix(':')
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{args:?} answered {reply:?}"))
    }

    fn spawn(&self) -> bool {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--protected-mode",
                "yes",
                "--dir",
            ])
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let Ok(mut child) = child else { return false };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return false;
            }
            if ping(self.port) {
                *self.child.lock().unwrap() = Some(child);
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut reply = [0u8; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG\r\n"
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free loopback port")
}
