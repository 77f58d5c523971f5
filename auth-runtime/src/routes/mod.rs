//! The application's routes as data: what `#[requires]` and `#[public]` declare next to a
//! route (`declaration.rs`), the full pattern of every declared route in one application
//! (`table.rs`), the app-wide middleware that answers routes without a declaration
//! (`middleware.rs`), and the route inventory (`inventory.rs`).

pub(crate) mod declaration;
pub(crate) mod inventory;
pub(crate) mod middleware;
pub(crate) mod table;
