//! `auth-bench`: the load benchmark's server and token minter (see the library docs).

fn main() -> std::process::ExitCode {
    auth_bench::cli::run(std::env::args().skip(1), || None)
}
