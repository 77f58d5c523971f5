//! Runnable examples of auth-runtime; see `quickstart.rs`.
