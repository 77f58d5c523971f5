//! Suggestions for typos: the closest known name, and how to list the names that exist.

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

/// Edit distance over chars where swapping two neighbours is one edit (optimal string
/// alignment), so that `Basci` is as close to `Basic` as `Basik`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // rows[i][j]: distance between the first i chars of `a` and the first j chars of `b`.
    let mut rows: Vec<Vec<usize>> = vec![(0..=b.len()).collect()];
    for i in 1..=a.len() {
        let mut row = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let substitution = rows[i - 1][j - 1] + usize::from(a[i - 1] != b[j - 1]);
            row[j] = substitution.min(rows[i - 1][j] + 1).min(row[j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                row[j] = row[j].min(rows[i - 2][j - 2] + 1);
            }
        }
        rows.push(row);
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suggestion_is_at_most_a_third_of_its_length_away() {
        // "scope": 5 letters, so one edit at most; "authorization": 13, so four.
        assert_eq!(closest("scop", &["scope"]), Some("scope"));
        assert_eq!(closest("sxoxe", &["scope"]), None);
        assert_eq!(
            closest("autxorixatxon", &["authorization"]),
            Some("authorization")
        );
        assert_eq!(
            closest("axtxorixatxon", &["authorization"]),
            Some("authorization")
        );
        assert_eq!(closest("axtxoxixatxon", &["authorization"]), None);
    }

    #[test]
    fn distance_counts_insertions_deletions_and_substitutions() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("scope", "scope"), 0);
        assert_eq!(edit_distance("scop", "scope"), 1);
        assert_eq!(edit_distance("scopes", "scope"), 1);
        assert_eq!(edit_distance("beaver", "bearer"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "all"), 3);
        assert_eq!(edit_distance("basci", "basic"), 1);
        assert_eq!(edit_distance("ab", "ba"), 1);
        assert_eq!(edit_distance("ca", "abc"), 3);
    }

    #[test]
    fn suggests_only_close_names() {
        let keys = [
            "scheme", "scope", "role", "policy", "realm", "optional", "crate",
        ];
        assert_eq!(closest("scop", &keys), Some("scope"));
        assert_eq!(closest("Scope", &keys), Some("scope"));
        assert_eq!(closest("realms", &keys), Some("realm"));
        assert_eq!(closest("optinal", &keys), Some("optional"));
        assert_eq!(closest("roles", &keys), Some("role"));
        assert_eq!(closest("polciy", &keys), Some("policy"));
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
        let schemes = ["Bearer", "Basic", "ApiKey"];
        assert_eq!(did_you_mean("Basci", &schemes), " (did you mean `Basic`?)");
        assert_eq!(
            did_you_mean("Api-Key", &schemes),
            " (did you mean `ApiKey`?)"
        );
        assert_eq!(did_you_mean("Session", &schemes), "");
        assert_eq!(quoted_list(&["all", "any"]), "`all`, `any`");
    }
}
