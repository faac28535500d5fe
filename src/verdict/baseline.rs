//! Accepted deviations: a baseline file (`--baseline FILE`, written by `--baseline-update`)
//! lists the deviations a vendor knows its server has, so a run fails only on new ones.
//!
//! An entry is keyed by requirement, check and [`signature`] (the
//! finding's message with origins, ids and numbers masked), never by ids, ports or times, so
//! the same deviation matches on every run. A finding is **known** when its own key is in the
//! baseline, or when it is a consequence (`blocked_by`) of a root cause whose key is: a
//! deviation accepted once is accepted with everything it blocks. Known findings are reported
//! but fail nothing.
//!
//! An entry also says where it was seen (`scenarios`); an entry that did not occur though one
//! of those trials ran is **stale** (the deviation was fixed, or changed: prune it), while one
//! none of whose trials ran (`run --exact` of another scenario) is only *unchecked*, so a
//! partial run neither calls it stale nor drops it on update.
//!
//! The file is YAML, sorted by key and written atomically, so it diffs well under version
//! control:
//!
//! ```yaml
//! format_version: 1
//! entries:
//! - requirement: NOTIF-SCHEMA
//!   check: schema
//!   signature: "NOTIF-SCHEMA schema: agent notification ##: unknown notificationType \"StatusChanged\" for \"ChatStateChangeMessage\""
//!   verdict: FAIL
//!   scenarios:
//!   - join-monitor-mode
//!   first_message: "agent notification #2: unknown notificationType \"StatusChanged\" for \"ChatStateChangeMessage\""
//! ```
//!
//! Only `requirement`, `check` and `signature` match; `verdict`, `scenarios` and
//! `first_message` are notes for the reader (and `scenarios` tells stale from unchecked).

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use crate::check::{Cause, Finding, Verdict, signature};
use crate::event::{Outcome, RunEvent};
use crate::output;
use crate::scenario::LoadError;
use crate::scenario::model::Position;
use crate::scenario::yaml;
use crate::trial::{ScenarioRun, Subject};

/// The version of the file format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// The comment at the top of a written file: what it is and how it is used.
const HEADER: &str = "\
# Deviations accepted by `gws-conform run --baseline FILE` (and `replay --baseline FILE`).
# Written by `--baseline FILE --baseline-update`. An entry matches a finding by requirement,
# check and signature (the finding's message with origins, ids and numbers masked); verdict,
# scenarios and first_message are notes for the reader.
";

/// One accepted deviation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The requirement the deviation breaks.
    pub requirement: String,
    /// The check that finds it.
    pub check: String,
    /// Its signature ([`signature::of`]): `{requirement} {check}: {masked message}`.
    pub signature: String,
    /// How it weighed when recorded (a note: matching ignores it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// The trials it was seen in when recorded, sorted; an entry listing none is judged by
    /// every run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scenarios: Vec<String>,
    /// The message of its first finding when first recorded (a note: matching ignores it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_message: Option<String>,
}

impl Entry {
    /// What the entry matches: requirement, check and signature.
    pub fn key(&self) -> Cause {
        Cause {
            requirement: self.requirement.clone(),
            check: self.check.clone(),
            signature: self.signature.clone(),
        }
    }

    /// The entry as the reports name it: `[REQ] check: masked message` (the signature without
    /// the requirement and check it starts with).
    pub fn describe(&self) -> String {
        let prefix = format!("{} {}: ", self.requirement, self.check);
        let said = self
            .signature
            .strip_prefix(&prefix)
            .unwrap_or(&self.signature);
        format!("[{}] {}: {said}", self.requirement, self.check)
    }

    /// Entries sort by their key, so a file diffs by entry.
    fn order(&self, other: &Entry) -> Ordering {
        (&self.requirement, &self.check, &self.signature).cmp(&(
            &other.requirement,
            &other.check,
            &other.signature,
        ))
    }

    /// Whether the entry is `key`.
    fn is(&self, key: &Cause) -> bool {
        self.requirement == key.requirement
            && self.check == key.check
            && self.signature == key.signature
    }

    /// Whether a run whose completed trials are `ran` could have seen it: it names none, or
    /// one of them.
    fn checked_by(&self, ran: &BTreeSet<&str>) -> bool {
        self.scenarios.is_empty() || self.scenarios.iter().any(|s| ran.contains(s.as_str()))
    }
}

/// The key of a finding: its requirement, check and signature.
pub fn key_of(finding: &Finding) -> Cause {
    Cause {
        requirement: finding.requirement.clone(),
        check: finding.check.clone(),
        signature: signature::of(finding),
    }
}

/// The file as read: spans locate version and entry problems.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileIn {
    format_version: Spanned<u32>,
    #[serde(default)]
    entries: Vec<Spanned<Entry>>,
}

/// The file as written.
#[derive(Serialize)]
struct FileOut<'a> {
    format_version: u32,
    entries: &'a [Entry],
}

/// A set of accepted deviations: unique keys, sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    entries: Vec<Entry>,
}

/// What a baseline made of a run ([`Baseline::mark`]), for the reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    /// Entries that did not occur although a trial they were seen in ran: prune them.
    pub stale: Vec<Entry>,
    /// Entries none of whose trials ran (or could finish): not judged by this run.
    pub unchecked: Vec<Entry>,
}

/// A run's baseline as the reports describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judged {
    /// The file.
    pub file: PathBuf,
    /// Its entries that did not occur (none stale after `--baseline-update`: it drops them).
    pub usage: Usage,
}

/// A baseline rewritten from a run ([`Baseline::updated`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    /// The new baseline: the run's root causes and the previous entries it could not check.
    pub baseline: Baseline,
    /// How many of its entries the previous baseline lacked.
    pub added: usize,
    /// Previous entries that no longer occur, left out.
    pub dropped: Vec<Entry>,
    /// Previous entries kept because none of their trials ran.
    pub kept_unchecked: usize,
}

impl Baseline {
    /// A baseline of `entries`, sorted, one per key (the first of duplicates).
    pub fn new(mut entries: Vec<Entry>) -> Self {
        // A stable sort keeps the first of equal keys first, so dedup keeps it.
        entries.sort_by(Entry::order);
        entries.dedup_by(|later, first| later.order(first) == Ordering::Equal);
        Self { entries }
    }

    /// Its entries, sorted by key.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry of `key`, if it has one.
    pub fn get(&self, key: &Cause) -> Option<&Entry> {
        self.index(key).map(|i| &self.entries[i])
    }

    /// Whether it accepts a finding that is a consequence of `blocked_by` (if anything): its
    /// own key or its root cause's is an entry.
    pub fn accepts(&self, finding: &Finding, blocked_by: Option<&Cause>) -> bool {
        finding.verdict != Verdict::Info
            && (blocked_by.is_some_and(|cause| self.get(cause).is_some())
                || self.get(&key_of(finding)).is_some())
    }

    /// Reads a baseline file. A missing or unreadable file, bad YAML, an unknown field, another
    /// format version, a duplicate or an entry that can never match is a [`LoadError`] located
    /// at `file:line:col`; every problem is returned at once.
    pub fn load(path: &Path) -> Result<Self, Vec<LoadError>> {
        if !path.exists() {
            return Err(vec![LoadError::file(
                path,
                "the baseline file does not exist (write one with `--baseline FILE --baseline-update`)",
            )]);
        }
        let text = yaml::read_text(path).map_err(|e| vec![e])?;
        Self::parse(&text, path)
    }

    /// Parses the text of a baseline file; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, Vec<LoadError>> {
        let file: FileIn = yaml::parse(text, path, "baseline").map_err(|e| vec![e])?;
        let source: Arc<str> = Arc::from(text);
        let at = |location, message: String| {
            LoadError::at(path, &source, Some(Position::from(location)), message)
        };
        let mut errors = Vec::new();
        if file.format_version.value != FORMAT_VERSION {
            errors.push(at(
                file.format_version.referenced,
                format!(
                    "format_version {} is not supported (this gws-conform reads version {FORMAT_VERSION})",
                    file.format_version.value
                ),
            ));
        }
        let mut seen: Vec<(&Entry, u32)> = Vec::new();
        for spanned in &file.entries {
            let entry = &spanned.value;
            let line = Position::from(spanned.referenced).line;
            if let Some(problem) = never_matches(entry) {
                errors.push(at(spanned.referenced, problem));
            } else if let Some((_, first)) = seen.iter().find(|(e, _)| e.is(&entry.key())) {
                errors.push(at(
                    spanned.referenced,
                    format!("a second entry for the deviation of line {first}"),
                ));
            } else {
                seen.push((entry, line));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self::new(
            file.entries
                .into_iter()
                .map(|spanned| spanned.value)
                .collect(),
        ))
    }

    /// The file's text: a header comment, the format version and the entries in key order.
    pub fn to_yaml(&self) -> String {
        let file = FileOut {
            format_version: FORMAT_VERSION,
            entries: &self.entries,
        };
        // Serialising plain strings, lists and an enum cannot fail; an empty body would still
        // be caught by the round-trip tests.
        let body = serde_saphyr::to_string(&file).unwrap_or_default();
        format!("{HEADER}{body}")
    }

    /// Writes the file atomically: a reader (or an interrupted run) never sees half of it.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        output::write(path, self.to_yaml().as_bytes())
    }

    /// The root causes of a run as a baseline: every finding that is no consequence of another
    /// and weighs NON-STRICT or FAIL, one entry per key, with the trials it was seen in.
    pub fn of_run<S: Subject>(trials: &[(S, ScenarioRun)]) -> Self {
        let mut entries: Vec<Entry> = Vec::new();
        for (subject, run) in trials {
            for event in &run.events {
                let RunEvent::Finding {
                    finding,
                    blocked_by: None,
                    ..
                } = event
                else {
                    continue;
                };
                if finding.verdict == Verdict::Info {
                    continue;
                }
                let key = key_of(finding);
                let trial = subject.name().to_owned();
                match entries.iter_mut().find(|entry| entry.is(&key)) {
                    Some(entry) => {
                        entry.verdict = entry.verdict.max(Some(finding.verdict));
                        if !entry.scenarios.contains(&trial) {
                            entry.scenarios.push(trial);
                        }
                    }
                    None => entries.push(Entry {
                        requirement: key.requirement,
                        check: key.check,
                        signature: key.signature,
                        verdict: Some(finding.verdict),
                        scenarios: vec![trial],
                        first_message: Some(finding.message.clone()),
                    }),
                }
            }
        }
        for entry in &mut entries {
            entry.scenarios.sort();
        }
        Self::new(entries)
    }

    /// Marks every finding of `trials` the baseline accepts as `known` (and every other one
    /// not), and says which entries did not occur.
    pub fn mark<S: Subject>(&self, trials: &mut [(S, ScenarioRun)]) -> Usage {
        let mut occurred: BTreeSet<usize> = BTreeSet::new();
        for (_, run) in trials.iter_mut() {
            for event in &mut run.events {
                let RunEvent::Finding {
                    finding,
                    blocked_by,
                    known,
                    ..
                } = event
                else {
                    continue;
                };
                *known = self.accepts(finding, blocked_by.as_ref());
                if finding.verdict == Verdict::Info {
                    continue;
                }
                // A deviation occurs whether it was found itself or only named as the cause
                // of another finding.
                for key in std::iter::once(key_of(finding)).chain(blocked_by.clone()) {
                    if let Some(i) = self.index(&key) {
                        occurred.insert(i);
                    }
                }
            }
        }
        let ran = completed(trials);
        let mut usage = Usage::default();
        for (i, entry) in self.entries.iter().enumerate() {
            if occurred.contains(&i) {
                continue;
            }
            if entry.checked_by(&ran) {
                usage.stale.push(entry.clone());
            } else {
                usage.unchecked.push(entry.clone());
            }
        }
        usage
    }

    /// This baseline rewritten from a run: the run's root causes ([`Self::of_run`]), keeping
    /// the `first_message` of entries already here (ids and ports in a fresh message would
    /// make every update a diff), plus the entries here none of whose trials ran.
    pub fn updated<S: Subject>(&self, trials: &[(S, ScenarioRun)]) -> Update {
        let current = Self::of_run(trials);
        let ran = completed(trials);
        let mut entries = Vec::with_capacity(current.entries.len());
        let mut added = 0;
        for mut entry in current.entries {
            match self.get(&entry.key()) {
                Some(previous) => {
                    if previous.first_message.is_some() {
                        entry.first_message = previous.first_message.clone();
                    }
                }
                None => added += 1,
            }
            entries.push(entry);
        }
        let fresh = Self::new(entries.clone());
        let mut dropped = Vec::new();
        let mut kept_unchecked = 0;
        for previous in &self.entries {
            if fresh.get(&previous.key()).is_some() {
                continue;
            }
            if previous.checked_by(&ran) {
                dropped.push(previous.clone());
            } else {
                kept_unchecked += 1;
                entries.push(previous.clone());
            }
        }
        Update {
            baseline: Self::new(entries),
            added,
            dropped,
            kept_unchecked,
        }
    }

    /// The index of the entry of `key` (the entries are sorted by key).
    fn index(&self, key: &Cause) -> Option<usize> {
        self.entries
            .binary_search_by(|entry| {
                (&entry.requirement, &entry.check, &entry.signature).cmp(&(
                    &key.requirement,
                    &key.check,
                    &key.signature,
                ))
            })
            .ok()
    }
}

/// What keeps an entry from ever matching a finding, if anything: an empty key field, or a
/// signature that does not start with its requirement and check (every signature does).
fn never_matches(entry: &Entry) -> Option<String> {
    for (field, value) in [
        ("requirement", &entry.requirement),
        ("check", &entry.check),
        ("signature", &entry.signature),
    ] {
        if value.trim().is_empty() {
            return Some(format!("the entry's `{field}` is empty"));
        }
    }
    let prefix = format!("{} {}: ", entry.requirement, entry.check);
    if !entry.signature.starts_with(&prefix) {
        return Some(format!(
            "the signature can never match: a signature starts with its requirement and check (`{prefix}…`)"
        ));
    }
    None
}

/// The names of the trials that ran to a verdict (not ignored, not stopped for a reason on
/// the harness's side): the only ones whose deviations a run can vouch for.
fn completed<S: Subject>(trials: &[(S, ScenarioRun)]) -> BTreeSet<&str> {
    trials
        .iter()
        .filter(|(_, run)| !matches!(run.outcome, Outcome::Errored | Outcome::Ignored))
        .map(|(subject, _)| subject.name())
        .collect()
}

/// What a run accepts while its trials run and after: nothing, a baseline's entries, or, while
/// `--baseline-update` records them, every deviation.
#[derive(Debug, Clone, Default)]
pub enum Acceptance {
    /// No baseline: every deviation counts.
    #[default]
    Nothing,
    /// The entries of a baseline file.
    Baseline(Baseline),
    /// `--baseline-update`: every deviation of the run is about to be recorded as accepted.
    Everything,
}

impl Acceptance {
    /// Whether a finding, a consequence of `blocked_by` if anything, is accepted.
    pub fn accepts(&self, finding: &Finding, blocked_by: Option<&Cause>) -> bool {
        match self {
            Acceptance::Nothing => false,
            Acceptance::Baseline(baseline) => baseline.accepts(finding, blocked_by),
            Acceptance::Everything => finding.verdict != Verdict::Info,
        }
    }

    /// Marks the findings of one trial's `events` as [`Self::accepts`] says. A trial's line
    /// is judged with this as soon as it ends; the run's verdict marks again after the
    /// consequences across trials are settled (a root cause may become a consequence of a
    /// known one then, never the reverse).
    pub fn mark_events(&self, events: &mut [RunEvent]) {
        for event in events {
            if let RunEvent::Finding {
                finding,
                blocked_by,
                known,
                ..
            } = event
            {
                *known = self.accepts(finding, blocked_by.as_ref());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    use crate::trial::Named;

    fn finding(requirement: &str, check: &str, verdict: Verdict, message: &str) -> Finding {
        Finding {
            check: check.to_owned(),
            requirement: requirement.to_owned(),
            verdict,
            message: message.to_owned(),
            details: vec!["evidence".to_owned()],
        }
    }

    fn event(finding: Finding, blocked_by: Option<Cause>) -> RunEvent {
        RunEvent::Finding {
            scenario: "s".to_owned(),
            step: Some(1),
            finding,
            notifications: Vec::new(),
            responses: Vec::new(),
            blocked_by,
            known: false,
        }
    }

    fn trial(name: &'static str, outcome: Outcome, events: Vec<RunEvent>) -> (Named, ScenarioRun) {
        (
            Named(name),
            ScenarioRun {
                events,
                outcome,
                duration: Duration::ZERO,
            },
        )
    }

    /// The schema failure of the `status-change-misnamed` fault, on notification `n`, from
    /// the server at `port`.
    fn misnamed(n: u32, port: u32) -> Finding {
        finding(
            "NOTIF-SCHEMA",
            "schema",
            Verdict::Fail,
            &format!(
                "agent notification #{n} from http://127.0.0.1:{port}: unknown notificationType \"StatusChanged\""
            ),
        )
    }

    fn known_flags(run: &ScenarioRun) -> Vec<bool> {
        run.events
            .iter()
            .filter_map(|e| match e {
                RunEvent::Finding { known, .. } => Some(*known),
                _ => None,
            })
            .collect()
    }

    fn parse(text: &str) -> Result<Baseline, Vec<String>> {
        Baseline::parse(text, Path::new("b.yaml"))
            .map_err(|errors| errors.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn a_deviation_matches_whatever_its_ids_and_numbers_and_so_do_its_consequences() {
        let recorded = vec![trial(
            "join",
            Outcome::Failed,
            vec![event(misnamed(2, 4001), None)],
        )];
        let baseline = Baseline::of_run(&recorded);
        assert_eq!(baseline.entries().len(), 1);
        let cause = key_of(&misnamed(2, 4001));
        let consequence = finding("JOIN-ORDER", "expect", Verdict::Fail, "no match");
        let mut later = vec![trial(
            "join",
            Outcome::Failed,
            vec![
                // Another notification, another port: the same deviation.
                event(misnamed(5, 39999), None),
                event(consequence.clone(), Some(cause)),
                // A different message of the same check is a new deviation.
                event(
                    finding("NOTIF-SCHEMA", "schema", Verdict::Fail, "index is a string"),
                    None,
                ),
                // So is the same message under another requirement or check.
                event(
                    Finding {
                        requirement: "CAP-MONITOR".to_owned(),
                        ..misnamed(2, 4001)
                    },
                    None,
                ),
                event(
                    Finding {
                        check: "invariant.type".to_owned(),
                        ..misnamed(2, 4001)
                    },
                    None,
                ),
                // A consequence of a new deviation is new.
                event(
                    consequence,
                    Some(key_of(&finding(
                        "NOTIF-SCHEMA",
                        "schema",
                        Verdict::Fail,
                        "index is a string",
                    ))),
                ),
            ],
        )];
        let usage = baseline.mark(&mut later);
        assert_eq!(
            known_flags(&later[0].1),
            [true, true, false, false, false, false]
        );
        assert_eq!(usage, Usage::default());
    }

    #[test]
    fn informational_findings_are_never_known() {
        let info = finding("REPLAY-DIFF", "replay.remap", Verdict::Info, "3 id pairs");
        let baseline = Baseline::new(vec![Entry {
            requirement: info.requirement.clone(),
            check: info.check.clone(),
            signature: signature::of(&info),
            verdict: None,
            scenarios: Vec::new(),
            first_message: None,
        }]);
        assert!(!baseline.accepts(&info, None));
        assert!(!Acceptance::Everything.accepts(&info, None));
        assert!(Acceptance::Everything.accepts(&misnamed(1, 1), None));
        assert!(!Acceptance::Nothing.accepts(&misnamed(1, 1), None));
    }

    #[test]
    fn entries_that_did_not_occur_are_stale_only_where_their_trials_ran() {
        let entry = |requirement: &str, scenarios: &[&str]| {
            let f = finding(requirement, "expect", Verdict::Fail, "no match");
            Entry {
                requirement: f.requirement.clone(),
                check: f.check.clone(),
                signature: signature::of(&f),
                verdict: Some(Verdict::Fail),
                scenarios: scenarios.iter().map(|s| (*s).to_owned()).collect(),
                first_message: None,
            }
        };
        let occurs = entry("MON-MODE", &["join"]);
        let fixed = entry("CAP-COACH", &["join", "coach"]);
        let elsewhere = entry("VIS-COACH", &["coach"]);
        let errored_only = entry("OP-LEAVE", &["leave"]);
        let anywhere = entry("OP-INVITE", &[]);
        let baseline = Baseline::new(vec![
            occurs.clone(),
            fixed.clone(),
            elsewhere.clone(),
            errored_only.clone(),
            anywhere.clone(),
        ]);
        let mut trials = vec![
            trial(
                "join",
                Outcome::Failed,
                vec![event(
                    finding("MON-MODE", "expect", Verdict::Fail, "no match"),
                    None,
                )],
            ),
            trial("leave", Outcome::Errored, Vec::new()),
        ];
        let usage = baseline.mark(&mut trials);
        assert_eq!(usage.stale, vec![fixed, anywhere]);
        assert_eq!(usage.unchecked, vec![errored_only, elsewhere]);
    }

    #[test]
    fn a_cause_named_only_by_its_consequences_still_occurs() {
        let root = finding("NOTIF-SCHEMA", "schema", Verdict::Fail, "bad type");
        let baseline =
            Baseline::of_run(&[trial("a", Outcome::Failed, vec![event(root.clone(), None)])]);
        let consequence = finding("JOIN-ORDER", "expect", Verdict::Fail, "no match");
        let mut trials = vec![trial(
            "a",
            Outcome::Failed,
            vec![event(consequence, Some(key_of(&root)))],
        )];
        assert!(baseline.mark(&mut trials).stale.is_empty());
    }

    #[test]
    fn a_run_becomes_a_sorted_baseline_of_its_root_causes() {
        let trials = vec![
            trial(
                "b-scenario",
                Outcome::Failed,
                vec![
                    event(misnamed(2, 1), None),
                    event(
                        finding("JOIN-ORDER", "expect", Verdict::Fail, "x"),
                        Some(key_of(&misnamed(2, 1))),
                    ),
                    event(
                        finding("REVOKE-NO-AGENT", "expect", Verdict::NonStrict, "late"),
                        None,
                    ),
                    event(finding("REPLAY-DIFF", "note", Verdict::Info, "fyi"), None),
                ],
            ),
            trial(
                "a-scenario",
                Outcome::Failed,
                vec![event(misnamed(4, 2), None)],
            ),
        ];
        let baseline = Baseline::of_run(&trials);
        let entry = |finding: Finding, scenarios: &[&str]| Entry {
            requirement: finding.requirement.clone(),
            check: finding.check.clone(),
            signature: signature::of(&finding),
            verdict: Some(finding.verdict),
            scenarios: scenarios.iter().map(|s| (*s).to_owned()).collect(),
            first_message: Some(finding.message),
        };
        assert_eq!(
            baseline.entries(),
            [
                // The first seen, in trial order, gives the message.
                entry(misnamed(2, 1), &["a-scenario", "b-scenario"]),
                entry(
                    finding("REVOKE-NO-AGENT", "expect", Verdict::NonStrict, "late"),
                    &["b-scenario"]
                ),
            ]
        );
    }

    #[test]
    fn the_file_round_trips_and_is_stable() {
        let trials = vec![trial(
            "join",
            Outcome::Failed,
            vec![
                event(misnamed(2, 1), None),
                event(
                    finding(
                        "MON-MODE",
                        "response.status",
                        Verdict::NonStrict,
                        "supervisor: POST http://127.0.0.1:9/api: expected HTTP 200, got HTTP 400 # 'quoted' \"double\" - [list]: {map}",
                    ),
                    None,
                ),
            ],
        )];
        let mut baseline = Baseline::of_run(&trials);
        // Long and multi-line notes survive too (a hand-edited file may have them).
        baseline.entries[0].first_message = Some(format!("{}\nsecond line", "long ".repeat(100)));
        let text = baseline.to_yaml();
        assert!(text.starts_with("# Deviations accepted"), "{text}");
        assert!(text.contains("format_version: 1\n"), "{text}");
        assert!(text.contains("verdict: NON-STRICT"), "{text}");
        assert_eq!(parse(&text), Ok(baseline.clone()));
        assert_eq!(Baseline::new(baseline.entries().to_vec()).to_yaml(), text);
        let dir = std::env::temp_dir().join(format!("gws-conform-baseline-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("baseline.yaml");
        baseline.write(&file).unwrap();
        let loaded = Baseline::load(&file);
        let leftovers = std::fs::read_dir(&dir).unwrap().count();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(loaded.unwrap(), baseline);
        assert_eq!(leftovers, 1, "no temporary file is left beside it");
    }

    #[test]
    fn malformed_files_are_located() {
        let entry =
            "- requirement: MON-MODE\n  check: expect\n  signature: 'MON-MODE expect: no match'\n";
        assert_eq!(
            parse(&format!("format_version: 1\nentries:\n{entry}")).map(|b| b.entries().len()),
            Ok(1)
        );
        assert_eq!(
            parse("format_version: 1\nentries:\n- requirement: MON-MODE\n  check: expect\n  signatur: x\n"),
            Err(vec![
                "b.yaml:5:3: unknown field `signatur`, expected one of requirement, check, signature, verdict, scenarios, first_message (did you mean `signature`?)"
                    .to_owned()
            ])
        );
        let bad_yaml = parse("format_version: 1\nentries: [\n");
        assert!(
            bad_yaml
                .as_ref()
                .is_err_and(|e| e[0].starts_with("b.yaml:")),
            "{bad_yaml:?}"
        );
        let position = bad_yaml.unwrap_err()[0]
            .split(':')
            .skip(1)
            .take(2)
            .map(|n| n.parse::<u32>().is_ok())
            .collect::<Vec<_>>();
        assert_eq!(position, [true, true], "line and column are given");
        assert_eq!(
            parse(&format!("format_version: 2\nentries:\n{entry}")),
            Err(vec![
                "b.yaml:1:17: format_version 2 is not supported (this gws-conform reads version 1)"
                    .to_owned()
            ])
        );
        assert_eq!(
            parse(&format!("format_version: 1\nentries:\n{entry}{entry}")),
            Err(vec![
                "b.yaml:6:3: a second entry for the deviation of line 3".to_owned()
            ])
        );
        assert_eq!(
            parse("format_version: 1\nentries:\n- requirement: MON-MODE\n  check: expect\n  signature: 'no match'\n"),
            Err(vec![
                "b.yaml:3:3: the signature can never match: a signature starts with its requirement and check (`MON-MODE expect: …`)"
                    .to_owned()
            ])
        );
        assert_eq!(
            parse(
                "format_version: 1\nentries:\n- requirement: ''\n  check: expect\n  signature: ' expect: x'\n"
            ),
            Err(vec![
                "b.yaml:3:3: the entry's `requirement` is empty".to_owned()
            ])
        );
        assert_eq!(
            parse("entries: []\n"),
            Err(vec![
                "b.yaml:1:1: missing field `format_version`".to_owned()
            ])
        );
        assert_eq!(
            parse("format_version: one\n"),
            Err(vec![
                "b.yaml:1:17: expected a whole number, 0 or more".to_owned()
            ])
        );
    }

    #[test]
    fn a_missing_file_says_how_to_make_one() {
        let errors =
            Baseline::load(Path::new("/nonexistent/gws-conform/baseline.yaml")).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].to_string(),
            "/nonexistent/gws-conform/baseline.yaml: the baseline file does not exist (write one with `--baseline FILE --baseline-update`)"
        );
    }

    #[test]
    fn an_update_keeps_notes_and_unchecked_entries_and_drops_fixed_ones() {
        let previous = Baseline::of_run(&[
            trial("join", Outcome::Failed, vec![event(misnamed(2, 1), None)]),
            trial(
                "join",
                Outcome::Failed,
                vec![event(
                    finding("JOIN-ORDER", "expect", Verdict::Fail, "fixed since"),
                    None,
                )],
            ),
            trial(
                "coach",
                Outcome::Failed,
                vec![event(
                    finding("CAP-COACH", "expect", Verdict::Fail, "not run this time"),
                    None,
                )],
            ),
        ]);
        let now = vec![trial(
            "join",
            Outcome::Failed,
            vec![
                event(misnamed(3, 2), None),
                event(
                    finding("MON-MODE", "expect", Verdict::Fail, "new since"),
                    None,
                ),
            ],
        )];
        let update = previous.updated(&now);
        let requirements: Vec<&str> = update
            .baseline
            .entries()
            .iter()
            .map(|e| e.requirement.as_str())
            .collect();
        assert_eq!(requirements, ["CAP-COACH", "MON-MODE", "NOTIF-SCHEMA"]);
        assert_eq!(update.added, 1);
        assert_eq!(update.kept_unchecked, 1);
        assert_eq!(update.dropped.len(), 1);
        assert_eq!(update.dropped[0].requirement, "JOIN-ORDER");
        let schema = update
            .baseline
            .get(&key_of(&misnamed(9, 9)))
            .expect("still recorded");
        assert_eq!(
            schema.first_message.as_deref(),
            Some(misnamed(2, 1).message.as_str()),
            "the first message recorded stays, so an update without changes changes nothing"
        );
        assert_eq!(
            previous.updated(&now).baseline.updated(&now).baseline,
            update.baseline
        );
    }
}
