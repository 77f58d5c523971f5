use auth_runtime::requires;

#[requires(scope = "items:read")]
struct NotAHandler;

fn main() {
    let _ = NotAHandler;
}
