//! The command line: `serve`, `token`, `tokens` and `report`.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use crate::keys;
use crate::server::{self, AllocationCounter};

const USAGE: &str = "usage:
  auth-bench serve <stack> <alg> <port>   stacks: noauth, noauth-verify, requires,
                                          requires-nocache, requires-revoked, requires-introspection,
                                          requires-dpop, requires-verify, httpauth, grants
  auth-bench token <alg>                  algs: HS256, RS256, PS256, ES256, EdDSA
  auth-bench tokens <alg> <count>
  auth-bench report <dir>
  auth-bench dpop-requests <alg> <client-alg> <count> <url>   lines `token proof` (client-algs: ES256, EdDSA)
  auth-bench raw-verify <alg>             µs of CPU per signature check by hand (aws-lc-rs, key parsed once)
  auth-bench revocations <count>          revocation propagation and a Redis restart (needs redis-server)";

/// Runs one command given its arguments (without the program name).
pub fn run(args: impl Iterator<Item = String>, allocations: AllocationCounter) -> ExitCode {
    keys::install_jwt_backend();
    let args: Vec<String> = args.collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match execute(&args, allocations) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("auth-bench: {message}\n{USAGE}");
            ExitCode::FAILURE
        }
    }
}

fn execute(args: &[&str], allocations: AllocationCounter) -> Result<(), String> {
    match args {
        ["serve", stack, alg, port] => {
            let port = port
                .parse()
                .map_err(|_| format!("`{port}` is not a port"))?;
            server::serve(
                stack.parse()?,
                keys::parse_algorithm(alg)?,
                port,
                allocations,
            )
            .map_err(|e| format!("serving on 127.0.0.1:{port}: {e}"))
        }
        ["token", alg] => {
            println!("{}", keys::mint(keys::parse_algorithm(alg)?, 0));
            Ok(())
        }
        ["tokens", alg, count] => {
            let count = count
                .parse()
                .map_err(|_| format!("`{count}` is not a count"))?;
            let tokens = keys::mint_many(keys::parse_algorithm(alg)?, count);
            let mut out = BufWriter::new(std::io::stdout().lock());
            tokens
                .iter()
                .try_for_each(|token| writeln!(out, "{token}"))
                .and_then(|()| out.flush())
                .map_err(|e| format!("writing tokens: {e}"))
        }
        ["dpop-requests", alg, client_alg, count, url] => {
            let count = count
                .parse()
                .map_err(|_| format!("`{count}` is not a count"))?;
            let requests = crate::dpop::requests(
                keys::parse_algorithm(alg)?,
                client_algorithm(client_alg)?,
                count,
                url,
            );
            let mut out = BufWriter::new(std::io::stdout().lock());
            requests
                .iter()
                .try_for_each(|(token, proof)| writeln!(out, "{token} {proof}"))
                .and_then(|()| out.flush())
                .map_err(|e| format!("writing requests: {e}"))
        }
        ["raw-verify", alg] => {
            let micros = crate::raw::verify_micros(keys::parse_algorithm(alg)?, 20_000);
            println!("{micros:.2}");
            Ok(())
        }
        ["revocations", count] => {
            let count = count
                .parse()
                .map_err(|_| format!("`{count}` is not a count"))?;
            crate::revocations::run(count)
        }
        ["report", dir] => {
            let table = crate::report::Report::read(Path::new(dir))?;
            print!("{table}");
            Ok(())
        }
        _ => Err("unknown command".to_owned()),
    }
}

/// A DPoP client's algorithm, by name.
fn client_algorithm(name: &str) -> Result<jsonwebtoken::Algorithm, String> {
    crate::dpop::CLIENT_ALGORITHMS
        .into_iter()
        .find(|alg| format!("{alg:?}").eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            format!(
                "unknown client algorithm `{name}`; expected one of {:?}",
                crate::dpop::CLIENT_ALGORITHMS
            )
        })
}
