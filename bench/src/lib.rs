//! The side-by-side load benchmark of `#[requires]` (issue 5).
//!
//! One binary serves the same small JSON handler, `GET /items`, behind each [`Stack`] on one
//! actix worker; `scripts/load-bench.sh` starts each stack pinned to one core, drives it with
//! `wrk` pinned to the other, and reads the results back through [`report`]. Every stack
//! verifies the same [`keys`], with the same rules: the one algorithm, signature, `exp`, `nbf`,
//! `iss`, `aud`, and the scope `items:read`.
//!
//! ```text
//! auth-bench serve <stack> <alg> <port>   serve one stack on 127.0.0.1:<port>
//! auth-bench token <alg>                  print one token (reused by every request)
//! auth-bench tokens <alg> <count>         print <count> distinct tokens, one a line
//! auth-bench report <dir>                 print the table of the wrk outputs in <dir>
//! auth-bench dpop-requests <alg> <client-alg> <count> <url>
//!                                         print <count> lines `token proof`: one bound token,
//!                                         a new DPoP proof of `GET <url>` each
//! auth-bench raw-verify <alg>             print the µs of CPU one signature check costs by hand
//! ```
//!
//! `auth-bench-counting` is the same program with a counting allocator, for the
//! allocations-per-request pass. Every server also answers `GET /__bench/stats` (allocations so
//! far, `#[requires]`'s cache hits and misses) and `GET /__bench/forget` (empties the cache
//! before a run of new tokens), outside the stack's protection.

pub mod cli;
pub mod dpop;
pub mod keys;
pub mod raw;
pub mod report;
pub mod revocations;
pub mod server;
pub mod stacks;

pub use stacks::Stack;
