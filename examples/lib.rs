//! Runnable examples of auth-runtime; see `quickstart.rs`.

#[cfg(test)]
mod tests {
    /// Examples are meant to be copied into applications, which enable the `testing` feature
    /// in `[dev-dependencies]` only: outside its tests, an example names `auth_runtime::testing`
    /// only if its first line says it uses the `testing` feature.
    #[test]
    fn examples_use_the_testing_feature_only_in_tests_unless_they_say_so() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|ext| ext != "rs") || path.ends_with("lib.rs") {
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            let declared = source
                .lines()
                .next()
                .is_some_and(|first| first.contains("`testing` feature"));
            let main = source.split("#[cfg(test)]").next().unwrap();
            let uses = main.contains("auth_runtime::testing") || main.contains("testing::");
            assert!(
                declared || !uses,
                "{} uses `auth_runtime::testing` outside its tests without saying so in its \
                 first line",
                path.display()
            );
            checked += 1;
        }
        assert!(
            checked >= 5,
            "only {checked} examples found in {}",
            dir.display()
        );
    }
}
