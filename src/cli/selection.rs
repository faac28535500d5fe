//! Which scenarios a `run` runs: name filters (substring, or `--exact`), `--skip`,
//! `--requirement` and `--tag`, and the scenarios marked `ignore`. A filter that selects
//! nothing is an error naming the closest names there are, so a typo in a CI job fails the job
//! instead of passing an empty run.

use clap::Args;

use crate::scenario::{Loaded, Scenario, Wanted};
use crate::spec::Catalogue;

/// How close (Jaro-Winkler) a name must be to be suggested.
const SUGGESTION_SIMILARITY: f64 = 0.7;
/// Names suggested at most.
const SUGGESTIONS: usize = 3;

/// The options that select scenarios.
#[derive(Debug, Args)]
pub struct SelectionArgs {
    /// Run only scenarios whose name contains one of these (each must match one).
    pub filters: Vec<String>,
    /// Filters match scenario names exactly.
    #[arg(long)]
    pub exact: bool,
    /// Leave out scenarios whose name contains this (repeatable; each must match one).
    #[arg(long, value_name = "PATTERN")]
    pub skip: Vec<String>,
    /// Run only scenarios covering this requirement id, in `covers` or a step's (repeatable).
    #[arg(long = "requirement", value_name = "ID")]
    pub requirements: Vec<String>,
    /// Run only scenarios with this tag (repeatable).
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Run only scenarios marked `ignore`.
    #[arg(long)]
    pub ignored: bool,
    /// Run scenarios marked `ignore` too.
    #[arg(long)]
    pub include_ignored: bool,
}

/// The scenarios selected, and how many the selection left out.
#[derive(Debug)]
pub struct Selected {
    /// The selected scenarios, each with whether it is only listed (marked `ignore`, and
    /// neither `--ignored` nor `--include-ignored` given).
    pub scenarios: Vec<(Scenario, bool)>,
    /// How many scenarios the filters left out.
    pub filtered_out: usize,
}

impl SelectionArgs {
    /// Which scenarios must be loaded: with name filters and neither `--requirement` nor
    /// `--tag`, the selection depends on names alone, so only the scenarios `test` wants
    /// (a function of [`Self::wants_name`]); else every one.
    pub fn wanted<'a>(&self, test: &'a dyn Fn(&str) -> bool) -> Wanted<'a> {
        if !self.filters.is_empty() && self.requirements.is_empty() && self.tags.is_empty() {
            Wanted::Named(test)
        } else {
            Wanted::All
        }
    }

    /// Applies the selection to the scenarios loaded (every one, or those [`Self::wanted`]
    /// names); an error lists each filter that selects nothing, with the closest names.
    pub fn select(&self, loaded: Loaded, catalogue: &Catalogue) -> Result<Selected, String> {
        let problems = self.problems(&loaded, catalogue);
        if !problems.is_empty() {
            return Err(problems.join("\n"));
        }
        let total = loaded.names.len();
        let scenarios: Vec<(Scenario, bool)> = loaded
            .scenarios
            .into_iter()
            .filter(|s| self.wants(s))
            .filter_map(|s| {
                let marked = s.ignore.is_some();
                match (marked, self.ignored, self.include_ignored) {
                    (false, true, _) => None,
                    (true, false, false) => Some((s, true)),
                    _ => Some((s, false)),
                }
            })
            .collect();
        let filtered_out = total - scenarios.len();
        if scenarios.is_empty() {
            return Err("the selection leaves no scenario to run".to_owned());
        }
        Ok(Selected {
            scenarios,
            filtered_out,
        })
    }

    /// Whether a scenario called `name` passes the name filters and `--skip`.
    pub fn wants_name(&self, name: &str) -> bool {
        (self.filters.is_empty() || self.filters.iter().any(|f| self.names(f, name)))
            && !self
                .skip
                .iter()
                .any(|pattern| name.contains(pattern.as_str()))
    }

    /// Whether a scenario passes every filter.
    fn wants(&self, scenario: &Scenario) -> bool {
        self.wants_name(&scenario.name)
            && (self.requirements.is_empty()
                || self.requirements.iter().any(|id| covers(scenario, id)))
            && (self.tags.is_empty() || self.tags.iter().any(|tag| scenario.tags.contains(tag)))
    }

    /// Whether filter `filter` selects scenario `name`.
    fn names(&self, filter: &str, name: &str) -> bool {
        if self.exact {
            name == filter
        } else {
            name.contains(filter)
        }
    }

    /// One line per filter that selects nothing among the scenarios of `loaded` (names among
    /// every one; requirements and tags, which load every one, among those loaded).
    fn problems(&self, loaded: &Loaded, catalogue: &Catalogue) -> Vec<String> {
        let all = &loaded.scenarios;
        let names: Vec<&str> = loaded.names.iter().map(String::as_str).collect();
        let mut problems = Vec::new();
        for filter in &self.filters {
            if !names.iter().any(|name| self.names(filter, name)) {
                problems.push(format!(
                    "no scenario is named {}`{filter}`{}",
                    if self.exact { "" } else { "with " },
                    closest(filter, &names)
                ));
            }
        }
        for pattern in &self.skip {
            if !names.iter().any(|name| name.contains(pattern.as_str())) {
                problems.push(format!(
                    "--skip `{pattern}` leaves out no scenario{}",
                    closest(pattern, &names)
                ));
            }
        }
        let ids: Vec<&str> = catalogue
            .requirements()
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        for id in &self.requirements {
            if !ids.contains(&id.as_str()) {
                problems.push(format!(
                    "--requirement {id} is not in the requirement catalogue{}",
                    closest(id, &ids)
                ));
            } else if !all.iter().any(|s| covers(s, id)) {
                problems.push(format!("--requirement {id}: no scenario covers it"));
            }
        }
        let mut tags: Vec<&str> = all
            .iter()
            .flat_map(|s| s.tags.iter().map(String::as_str))
            .collect();
        tags.sort_unstable();
        tags.dedup();
        for tag in &self.tags {
            if !tags.contains(&tag.as_str()) {
                problems.push(format!(
                    "--tag {tag}: no scenario has it (the tags are: {})",
                    tags.join(", ")
                ));
            }
        }
        problems
    }
}

/// Whether a scenario covers requirement `id`, as a whole or in a step.
fn covers(scenario: &Scenario, id: &str) -> bool {
    scenario.covers.iter().any(|c| c == id)
        || scenario
            .steps
            .iter()
            .any(|step| step.covers.iter().any(|c| c == id))
}

/// `; did you mean …?` with the names closest to `wanted`, or nothing when none is close.
fn closest(wanted: &str, names: &[&str]) -> String {
    let mut scored: Vec<(f64, &str)> = names
        .iter()
        .map(|name| {
            // A substring filter is compared with the part of each name of its length too.
            let whole = strsim::jaro_winkler(wanted, name);
            let part = name
                .char_indices()
                .map(|(i, _)| &name[i..])
                .map(|rest| strsim::jaro_winkler(wanted, rest))
                .fold(0.0, f64::max);
            (whole.max(part), *name)
        })
        .filter(|(score, _)| *score >= SUGGESTION_SIMILARITY)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    let names: Vec<String> = scored
        .into_iter()
        .take(SUGGESTIONS)
        .map(|(_, name)| format!("`{name}`"))
        .collect();
    if names.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", names.join(" or "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(filters: &[&str]) -> SelectionArgs {
        SelectionArgs {
            filters: filters.iter().map(|f| (*f).to_owned()).collect(),
            exact: false,
            skip: Vec::new(),
            requirements: Vec::new(),
            tags: Vec::new(),
            ignored: false,
            include_ignored: false,
        }
    }

    fn suite() -> (Loaded, Catalogue) {
        let catalogue = Catalogue::builtin();
        let scenarios = crate::scenario::load_builtin(&catalogue, &|_: &str| true)
            .unwrap_or_else(|errors| panic!("{} problems in the built-in suite", errors.len()));
        (Loaded::from(scenarios), catalogue)
    }

    /// What `selection` selects (names, and how many it leaves out), or its error, when the
    /// built-in suite is loaded as `selection.wanted` asks.
    fn selected_loading_wanted(selection: &SelectionArgs) -> Result<(Vec<String>, usize), String> {
        let catalogue = Catalogue::builtin();
        let test = |name: &str| selection.wants_name(name);
        let texts = crate::scenario::builtin_texts().map(Ok).collect();
        let loaded = crate::scenario::load_texts(
            texts,
            &catalogue,
            &|_: &str| true,
            selection.wanted(&test),
        )
        .unwrap_or_else(|errors| panic!("{} problems in the built-in suite", errors.len()));
        let selected = selection.select(loaded, &catalogue)?;
        let names = selected.scenarios.iter().map(|(s, _)| s.name.clone());
        Ok((names.collect(), selected.filtered_out))
    }

    #[test]
    fn loading_only_the_scenarios_named_selects_what_loading_all_selects() {
        let (all, catalogue) = suite();
        let mut cases = vec![
            args(&["switch-"]),
            args(&["cancel-monitoring"]),
            args(&["switch-", "cancel-monitorng"]),
            args(&["no-such-scenario"]),
        ];
        let mut exact = args(&["cancel-monitoring", "bayeux-protocol"]);
        exact.exact = true;
        cases.push(exact);
        let mut skipping = args(&["switch-"]);
        skipping.skip = vec!["switch-after".to_owned()];
        cases.push(skipping);
        let mut ignored = args(&["-"]);
        ignored.ignored = true;
        cases.push(ignored);
        for selection in &cases {
            assert!(matches!(
                selection.wanted(&|_: &str| true),
                Wanted::Named(_)
            ));
            let eager = selection.select(all.clone(), &catalogue).map(|selected| {
                let names = selected.scenarios.iter().map(|(s, _)| s.name.clone());
                (names.collect(), selected.filtered_out)
            });
            assert_eq!(
                selected_loading_wanted(selection),
                eager,
                "{:?}",
                selection.filters
            );
        }
        let mut by_tag = args(&["switch-"]);
        by_tag.tags = vec!["no-such-tag".to_owned()];
        assert!(matches!(by_tag.wanted(&|_: &str| true), Wanted::All));
    }

    #[test]
    fn a_filter_that_selects_nothing_is_an_error_with_the_closest_names() {
        let (all, catalogue) = suite();
        let error = args(&["switch-", "cancel-monitorng"])
            .select(all, &catalogue)
            .unwrap_err();
        assert!(
            error.contains(
                "no scenario is named with `cancel-monitorng`; did you mean `cancel-monitoring`"
            ),
            "{error}"
        );
        assert!(!error.contains("switch-"), "{error}");
    }

    #[test]
    fn filters_skips_requirements_and_tags_select_and_count_the_rest() {
        let (all, catalogue) = suite();
        let total = all.names.len();
        let mut selection = args(&["switch-"]);
        selection.skip = vec!["switch-after".to_owned()];
        let selected = selection.select(all.clone(), &catalogue).unwrap();
        let names: Vec<&str> = selected
            .scenarios
            .iter()
            .map(|(s, _)| s.name.as_str())
            .collect();
        assert!(
            names
                .iter()
                .all(|n| n.contains("switch-") && !n.contains("switch-after"))
        );
        assert!(!names.is_empty());
        assert_eq!(selected.filtered_out, total - names.len());

        let mut by_requirement = args(&[]);
        by_requirement.requirements = vec!["MON-CANCEL".to_owned()];
        let selected = by_requirement.select(all.clone(), &catalogue).unwrap();
        assert!(
            selected
                .scenarios
                .iter()
                .all(|(s, _)| covers(s, "MON-CANCEL"))
        );
        assert!(
            selected
                .scenarios
                .iter()
                .any(|(s, _)| s.name == "cancel-monitoring")
        );

        by_requirement.requirements = vec!["MON-CANCLE".to_owned()];
        let error = by_requirement.select(all.clone(), &catalogue).unwrap_err();
        assert!(error.contains("did you mean `MON-CANCEL`"), "{error}");

        let mut by_tag = args(&[]);
        by_tag.tags = vec!["no-such-tag".to_owned()];
        let error = by_tag.select(all, &catalogue).unwrap_err();
        assert!(
            error.contains("--tag no-such-tag: no scenario has it"),
            "{error}"
        );
    }

    #[test]
    fn an_exact_filter_must_name_a_scenario() {
        let (all, catalogue) = suite();
        let mut exact = args(&["switch-"]);
        exact.exact = true;
        let error = exact.select(all.clone(), &catalogue).unwrap_err();
        assert!(error.contains("no scenario is named `switch-`"), "{error}");
        exact.filters = vec!["cancel-monitoring".to_owned()];
        let selected = exact.select(all, &catalogue).unwrap();
        assert_eq!(selected.scenarios.len(), 1);
    }
}
