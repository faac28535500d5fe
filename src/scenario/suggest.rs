//! "Did you mean" suggestions for misspelt keys and values.

/// The candidate closest to `word`, if it is close enough to be a plausible typo.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(word, c), *c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// "did you mean `X`?", or an empty string when nothing is close.
pub fn did_you_mean(word: &str, candidates: &[&str]) -> String {
    closest(word, candidates)
        .map(|c| format!("did you mean `{c}`?"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_words_only() {
        assert_eq!(closest("actr", &["actor", "order"]), Some("actor"));
        assert_eq!(
            closest("Coch", &["Monitor", "Coach", "BargeIn"]),
            Some("Coach")
        );
        assert_eq!(closest("zzz", &["actor", "order"]), None);
    }
}
