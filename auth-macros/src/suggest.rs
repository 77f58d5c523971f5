/// The candidate closest to `input` by edit distance (ignoring ASCII case), if it is close
/// enough to be a plausible typo.
pub(crate) fn closest<'a>(input: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let input = input.to_ascii_lowercase();
    candidates
        .iter()
        .map(|candidate| {
            (
                edit_distance(&input, &candidate.to_ascii_lowercase()),
                *candidate,
            )
        })
        .filter(|&(distance, candidate)| distance <= (candidate.len() / 3).max(1))
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

/// ` (did you mean `name`?)` when a candidate is close, or nothing.
pub(crate) fn did_you_mean(input: &str, candidates: &[&str]) -> String {
    match closest(input, candidates) {
        Some(name) => format!(" (did you mean `{name}`?)"),
        None => String::new(),
    }
}

/// `` `a`, `b`, `c` ``
pub(crate) fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, a_char) in a.chars().enumerate() {
        let mut current = Vec::with_capacity(b.len() + 1);
        current.push(i + 1);
        for (j, &b_char) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(a_char != b_char);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_insertions_deletions_and_substitutions() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("scope", "scope"), 0);
        assert_eq!(edit_distance("scop", "scope"), 1);
        assert_eq!(edit_distance("scopes", "scope"), 1);
        assert_eq!(edit_distance("beaver", "bearer"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "all"), 3);
    }

    #[test]
    fn suggests_only_close_names() {
        let keys = ["scheme", "scope", "realm", "optional", "crate"];
        assert_eq!(closest("scop", &keys), Some("scope"));
        assert_eq!(closest("Scope", &keys), Some("scope"));
        assert_eq!(closest("realms", &keys), Some("realm"));
        assert_eq!(closest("optinal", &keys), Some("optional"));
        assert_eq!(closest("audience", &keys), None);
        assert_eq!(closest("x", &["all", "any"]), None);
        assert_eq!(closest("All", &["all", "any"]), Some("all"));
    }

    #[test]
    fn renders_hints() {
        assert_eq!(
            did_you_mean("Beaver", &["Bearer"]),
            " (did you mean `Bearer`?)"
        );
        assert_eq!(did_you_mean("Digest", &["Bearer"]), "");
        assert_eq!(quoted_list(&["all", "any"]), "`all`, `any`");
    }
}
