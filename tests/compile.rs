//! Compile tests of `#[requires]`: every accepted form builds (`ui/pass`), and every misuse is
//! refused with an error at the token that is wrong (`ui/fail/<what-is-wrong>.rs` + `.stderr`).
//!
//! Regenerate the expected output with `TRYBUILD=overwrite cargo test -p auth-tests --test compile`
//! and review the diff like code.

#[cfg_attr(miri, ignore = "incompatible with miri")]
#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("ui/pass/*.rs");
    t.compile_fail("ui/fail/*.rs");
}
