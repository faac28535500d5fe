//! What `run` and `replay` print: a line per trial as it ends (libtest's look, with its time
//! and, when it failed, the requirements to blame), then the verdict: the trials that could
//! not run, each root cause once with its evidence, the deviations the baseline accepts (one
//! line each), the requirement counts, the totals, and the baseline entries that no longer
//! occur. The full detail (every finding, every occurrence, the whole matrix) is in the JSON
//! Lines and JUnit reports.
//!
//! All of it goes to standard output, or to standard error when standard output carries an
//! output file itself (`--json -`, `--junit -`, `--record -`; see [`Console`]).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use super::live::{Live, Units};
use crate::check::Verdict;
use crate::event::{Repetitions, RunEvent};
use crate::run::quiet::CalibrationSummary;
use crate::trial::{ScenarioRun, Subject};
use crate::verdict::baseline::Judged;
use crate::verdict::matrix::{Matrix, Row, Status};

/// Evidence lines shown per FAIL root cause; the rest are in the reports.
const SHOWN_DETAILS: usize = 4;
/// Characters shown of one evidence line.
const SHOWN_CHARS: usize = 200;
/// Requirements named in a `blocks:` line before the rest are counted.
const SHOWN_BLOCKED: usize = 6;
/// Known root causes, and baseline entries that no longer occur, listed before the rest are
/// counted (the JSON report has them all).
const SHOWN_BASELINE: usize = 20;

/// How a trial ended, as its line says.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// It passed.
    Passed {
        /// The trial.
        name: String,
        /// How long it took.
        duration: Duration,
        /// The requirements of the known deviations that would otherwise have failed it.
        known: Vec<String>,
    },
    /// It failed; `causes` are the requirements of its root causes.
    Failed {
        /// The trial.
        name: String,
        /// How long it took.
        duration: Duration,
        /// The requirements to blame.
        causes: Vec<String>,
    },
    /// It could not run.
    Errored {
        /// The trial.
        name: String,
        /// How long it took.
        duration: Duration,
    },
    /// Marked `ignore`.
    Ignored {
        /// The trial.
        name: String,
    },
    /// Not started: the run stopped first.
    NotRun {
        /// The trial.
        name: String,
    },
}

impl Line {
    /// The line, or with `quiet` the one character, printed for the trial.
    fn render(&self, quiet: bool) -> String {
        let seconds = |d: &Duration| format!("{:.2}s", d.as_secs_f64());
        match (self, quiet) {
            (Line::Passed { .. }, true) => ".".to_owned(),
            (Line::Failed { .. }, true) => "F".to_owned(),
            (Line::Errored { .. }, true) => "E".to_owned(),
            (Line::Ignored { .. }, true) => "i".to_owned(),
            (Line::NotRun { .. }, true) => "-".to_owned(),
            (
                Line::Passed {
                    name,
                    duration,
                    known,
                },
                false,
            ) if !known.is_empty() => format!(
                "test {name} ... ok ({}) known: {}\n",
                seconds(duration),
                known.join(", ")
            ),
            (Line::Passed { name, duration, .. }, false) => {
                format!("test {name} ... ok ({})\n", seconds(duration))
            }
            (
                Line::Failed {
                    name,
                    duration,
                    causes,
                },
                false,
            ) => format!(
                "test {name} ... FAILED ({}) {}\n",
                seconds(duration),
                causes.join(", ")
            ),
            (Line::Errored { name, duration }, false) => {
                format!(
                    "test {name} ... ERROR ({}) could not run\n",
                    seconds(duration)
                )
            }
            (Line::Ignored { name }, false) => format!("test {name} ... ignored\n"),
            (Line::NotRun { name }, false) => format!("test {name} ... not run\n"),
        }
    }
}

/// The requirements a failed trial's line blames: the root cause of each finding that fails it
/// (its own requirement, or the one it is blocked by), each once; known findings fail nothing.
pub fn causes_of(run: &ScenarioRun, strict: bool) -> Vec<String> {
    blamed(run, strict, false)
}

/// The requirements a passed trial's line names as known: the root cause of each known finding
/// that would otherwise fail it, each once.
pub fn known_of(run: &ScenarioRun, strict: bool) -> Vec<String> {
    blamed(run, strict, true)
}

/// The root-cause requirements of the findings weighing enough to fail a trial, known or not.
fn blamed(run: &ScenarioRun, strict: bool, known_ones: bool) -> Vec<String> {
    let mut causes: Vec<String> = Vec::new();
    for event in &run.events {
        let RunEvent::Finding {
            finding,
            blocked_by,
            known,
            ..
        } = event
        else {
            continue;
        };
        if *known != known_ones
            || !(finding.verdict == Verdict::Fail
                || strict && finding.verdict == Verdict::NonStrict)
        {
            continue;
        }
        let cause = blocked_by
            .as_ref()
            .map_or(&finding.requirement, |c| &c.requirement);
        if !causes.contains(cause) {
            causes.push(cause.clone());
        }
    }
    causes
}

/// `count` and `noun` (a plural such as `scenarios`), the noun singular for one.
fn counted(count: usize, noun: &str) -> String {
    match count {
        1 => format!("1 {}", noun.strip_suffix('s').unwrap_or(noun)),
        n => format!("{n} {noun}"),
    }
}

/// Where the terminal report (the trials' lines and the verdict) is printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Console {
    /// Standard output, the usual place.
    #[default]
    Stdout,
    /// Standard error: standard output carries an output file (`-`), and nothing else.
    Stderr,
}

impl Console {
    /// Standard error when one of a command's `outputs` (`flag`, path, as given to
    /// [`crate::output::preflight`]) is `-`, standard output otherwise.
    pub fn beside(outputs: &[(&str, Option<&Path>)]) -> Self {
        let to_stdout = outputs
            .iter()
            .filter_map(|(_, path)| *path)
            .any(crate::output::names_stdout);
        if to_stdout {
            Self::Stderr
        } else {
            Self::Stdout
        }
    }

    /// Prints `text` as it is, at once (a trial's line shows as the trial ends). A console
    /// that cannot be written to is no reason to stop a run: the report files still are.
    pub fn print(self, text: &str) {
        fn put(mut out: impl std::io::Write, text: &str) {
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        }
        match self {
            Self::Stdout => put(std::io::stdout().lock(), text),
            Self::Stderr => put(std::io::stderr().lock(), text),
        }
    }
}

/// `n entries`, or `1 entry`.
fn entries(n: usize) -> String {
    match n {
        1 => "1 entry".to_owned(),
        n => format!("{n} entries"),
    }
}

/// Prints the trials' lines as they end, above the live line ([`Live`]) on a terminal.
pub struct Progress {
    quiet: bool,
    console: Console,
    live: Live,
}

impl Line {
    /// The trial's name.
    pub fn name(&self) -> &str {
        match self {
            Line::Passed { name, .. }
            | Line::Failed { name, .. }
            | Line::Errored { name, .. }
            | Line::Ignored { name }
            | Line::NotRun { name } => name,
        }
    }
}

impl Progress {
    /// Prints the header of a run of `total` trials called `noun` (`scenarios`, `groups`) on
    /// `console`, and starts the live line (counting `units` too, when the trials count them).
    pub fn start(
        total: usize,
        noun: &'static str,
        (quiet, console): (bool, Console),
        units: Option<Units>,
    ) -> Self {
        console.print(&format!("\nrunning {}\n", counted(total, noun)));
        Self {
            quiet,
            console,
            live: Live::start(total, noun, units),
        }
    }

    /// The live line, for the threads that start trials ([`Live::started`]).
    pub fn live(&self) -> Live {
        self.live.clone()
    }

    /// Prints a trial's line (or character).
    pub fn ended(&mut self, line: &Line) {
        let failed = matches!(line, Line::Failed { .. } | Line::Errored { .. });
        let text = line.render(self.quiet);
        self.live
            .ended(line.name(), failed, || self.console.print(&text));
    }

    /// Removes the live line: every trial ended.
    pub fn finish(&self) {
        self.live.finish();
    }
}

/// The calibration line: the window the run's latencies gave and what it came from.
pub(crate) fn quiet_line(quiet: &CalibrationSummary) -> String {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "quiet windows: {:.0} ms ({} × the 99th percentile {:.1} ms of {} delivery latencies, median {:.1} ms; at least {:.0} ms, at most each scenario's written window)",
        ms(quiet.window),
        quiet.policy.scale,
        ms(quiet.p99),
        quiet.samples,
        ms(quiet.median),
        ms(quiet.policy.floor)
    )
}

/// How many trials ended each way, and how long the run took.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Could not run.
    pub errored: usize,
    /// Marked `ignore`.
    pub ignored: usize,
    /// Not started: the run stopped first.
    pub not_run: usize,
    /// Left out by the filters.
    pub filtered_out: usize,
    /// Under `run --repeat N`: the scenarios whose repetitions disagreed (FLAKY, counted in
    /// `failed` too); `None` when nothing was repeated.
    pub flaky: Option<usize>,
    /// Wall time.
    pub elapsed: Duration,
    /// How the run sized its quiet windows; `None` when it observed no latency (or replayed).
    pub quiet: Option<CalibrationSummary>,
}

/// Where the verdict's text needs to know how findings weigh and what trials are called.
#[derive(Debug, Clone, Copy)]
pub struct Wording {
    /// NON-STRICT findings fail too.
    pub strict: bool,
    /// What the trials are called (`scenarios`, `groups`).
    pub noun: &'static str,
}

/// The verdict printed after the trials' lines; `baseline` is the run's `--baseline`, if any.
pub fn verdict<S: Subject>(
    ran: &[(S, ScenarioRun)],
    could_not_run: &[(String, String)],
    matrix: &Matrix,
    totals: &Totals,
    wording: Wording,
    baseline: Option<&Judged>,
) -> String {
    let mut out = String::from("\n");
    let errored = errored_trials(ran).chain(could_not_run.iter().cloned());
    let errored: Vec<(String, String)> = errored.collect();
    if !errored.is_empty() {
        out.push_str("could not run:\n");
        for (name, why) in &errored {
            let _ = writeln!(out, "    {name}: {why}");
        }
        out.push('\n');
    }
    flaky_trials(&mut out, ran);
    let roots: Vec<&Row> = matrix.root_causes().collect();
    if !roots.is_empty() {
        out.push_str("root causes:\n");
        for row in roots {
            root_cause(&mut out, row, ran, wording);
        }
        out.push('\n');
    }
    if let Some(baseline) = baseline {
        known_causes(&mut out, matrix, ran, wording, baseline);
    }
    let counts: Vec<String> = matrix
        .counts()
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(status, n)| format!("{n} {}", status.label()))
        .collect();
    let _ = writeln!(
        out,
        "requirements: {} (the whole matrix is in the --json, --junit and --html reports)",
        counts.join(", ")
    );
    let failing = totals.failed > 0
        || totals.errored > 0
        || matrix
            .rows
            .iter()
            .any(|r| r.status == Status::Fail || (wording.strict && r.status == Status::NonStrict));
    if let Some(quiet) = &totals.quiet {
        let _ = writeln!(out, "{}", quiet_line(quiet));
    }
    let flaky = totals
        .flaky
        .map_or_else(String::new, |n| format!(" ({n} of them flaky)"));
    let _ = writeln!(
        out,
        "test result: {}. {} passed; {} failed{flaky}; {} could not run; {} ignored; {} not run; {} filtered out; finished in {:.2}s",
        if failing { "FAILED" } else { "ok" },
        totals.passed,
        totals.failed,
        totals.errored,
        totals.ignored,
        totals.not_run,
        totals.filtered_out,
        totals.elapsed.as_secs_f64()
    );
    if let Some(baseline) = baseline {
        baseline_entries(&mut out, baseline);
    }
    out
}

/// The FLAKY trials (`run --repeat N`: some repetitions failed, others passed), one line each.
fn flaky_trials<S: Subject>(out: &mut String, ran: &[(S, ScenarioRun)]) {
    let flaky: Vec<(&str, Repetitions)> = ran
        .iter()
        .filter_map(|(subject, run)| Some((subject.name(), run.repetitions()?)))
        .filter(|(_, repetitions)| repetitions.flaky())
        .collect();
    if flaky.is_empty() {
        return;
    }
    out.push_str("flaky (failed some runs, passed others; the first failing run is shown):\n");
    for (name, repetitions) in flaky {
        let _ = writeln!(
            out,
            "    FLAKY {name}: failed {} of {} runs",
            repetitions.failed, repetitions.runs
        );
    }
    out.push('\n');
}

/// The root causes the baseline accepts, one line each: they fail nothing, and their evidence
/// is in the reports.
fn known_causes<S: Subject>(
    out: &mut String,
    matrix: &Matrix,
    ran: &[(S, ScenarioRun)],
    wording: Wording,
    baseline: &Judged,
) {
    let known: Vec<_> = matrix.known_root_causes().collect();
    if known.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "known deviations (accepted by the baseline {}):",
        baseline.file.display()
    );
    for (row, cause) in known.iter().take(SHOWN_BASELINE) {
        let trials: BTreeSet<&str> = cause.occurrences.iter().map(|o| o.trial.as_str()).collect();
        let times = match cause.occurrences.len() {
            1 => "once".to_owned(),
            n => format!("{n} times"),
        };
        let _ = writeln!(
            out,
            "KNOWN [{}] {}: {} (found {times} in {} of {})",
            row.requirement,
            cause.first.check,
            clip(&cause.first.message),
            trials.len(),
            counted(ran.len(), wording.noun),
        );
    }
    let hidden = known.len().saturating_sub(SHOWN_BASELINE);
    if hidden > 0 {
        let _ = writeln!(out, "… and {hidden} more (the --json report lists them)");
    }
    out.push('\n');
}

/// The baseline's entries this run did not see: those to prune, and those it could not judge.
fn baseline_entries(out: &mut String, baseline: &Judged) {
    let stale = &baseline.usage.stale;
    if !stale.is_empty() {
        let _ = writeln!(
            out,
            "baseline: {} no longer {} (prune {}, or rewrite {} with --baseline-update):",
            entries(stale.len()),
            if stale.len() == 1 { "occurs" } else { "occur" },
            if stale.len() == 1 { "it" } else { "them" },
            baseline.file.display()
        );
        for entry in stale.iter().take(SHOWN_BASELINE) {
            let _ = writeln!(out, "    {}", clip(&entry.describe()));
        }
        let hidden = stale.len().saturating_sub(SHOWN_BASELINE);
        if hidden > 0 {
            let _ = writeln!(
                out,
                "    … and {hidden} more (the --json report lists them)"
            );
        }
    }
    let unchecked = baseline.usage.unchecked.len();
    if unchecked > 0 {
        let _ = writeln!(
            out,
            "baseline: {} not checked (none of the scenarios {} lists ran to a verdict)",
            entries(unchecked),
            if unchecked == 1 { "it" } else { "each" },
        );
    }
}

/// The trials that ran but could not finish for a reason on the harness's side, with why.
fn errored_trials<S: Subject>(
    ran: &[(S, ScenarioRun)],
) -> impl Iterator<Item = (String, String)> + '_ {
    ran.iter().flat_map(|(subject, run)| {
        run.events.iter().filter_map(move |event| match event {
            RunEvent::Step {
                step,
                message: Some(message),
                ..
            } => Some((
                subject.name().to_owned(),
                format!(
                    "{message}{}",
                    subject.step_location(*step).unwrap_or_default()
                ),
            )),
            _ => None,
        })
    })
}

/// One root cause: its first finding with where it was, its evidence, how often and where it
/// was found, and what it blocked.
fn root_cause<S: Subject>(out: &mut String, row: &Row, ran: &[(S, ScenarioRun)], wording: Wording) {
    // The known ones are listed apart, one line each (`known_causes`).
    let new: Vec<_> = row.root_causes.iter().filter(|c| !c.known).collect();
    let Some(cause) = new.first() else {
        return;
    };
    let tier = match (cause.first.verdict, wording.strict) {
        (Verdict::NonStrict, true) => "FAIL (strict)",
        (Verdict::NonStrict, false) => "NON-STRICT",
        _ => "FAIL",
    };
    let first = &cause.occurrences[0];
    let _ = writeln!(
        out,
        "{tier} [{}] {}: {}{}",
        row.requirement,
        cause.first.check,
        cause.first.message,
        first.location.as_deref().unwrap_or_default()
    );
    // A NON-STRICT note fails nothing: its line and where it was found are enough here.
    let mut hidden = 0;
    if tier != "NON-STRICT" {
        let details = salient(&cause.first.details);
        for line in details.iter().take(SHOWN_DETAILS) {
            let _ = writeln!(out, "    {}", clip(line));
        }
        hidden = details.len().saturating_sub(SHOWN_DETAILS);
    }
    let found = new.iter().map(|c| c.occurrences.len()).sum::<usize>();
    let trials: BTreeSet<&str> = new
        .iter()
        .flat_map(|c| c.occurrences.iter().map(|o| o.trial.as_str()))
        .collect();
    let times = match found {
        1 => "once".to_owned(),
        n => format!("{n} times"),
    };
    let mut seen = format!(
        "    found {times} in {} of {}, first in {}",
        trials.len(),
        counted(ran.len(), wording.noun),
        first.trial
    );
    if new.len() > 1 {
        let _ = write!(seen, " ({} different findings)", new.len());
    }
    if !row.blocks.is_empty() {
        let named: Vec<&str> = row
            .blocks
            .iter()
            .take(SHOWN_BLOCKED)
            .map(String::as_str)
            .collect();
        let more = row.blocks.len().saturating_sub(SHOWN_BLOCKED);
        let _ = write!(seen, "; blocks {}", named.join(", "));
        if more > 0 {
            let _ = write!(seen, " and {more} more");
        }
    }
    // Said on this line rather than one of its own: a root cause costs few lines.
    if hidden > 0 {
        let _ = write!(seen, "; {hidden} more line(s) of evidence in the reports");
    }
    let _ = writeln!(out, "{seen}");
}

/// The lines of `details` worth showing first: of a unified diff, its header and the lines
/// that differ (its context and hunk headers stay in the JSON and JUnit reports).
fn salient(details: &[String]) -> Vec<&str> {
    let lines = details.iter().flat_map(|d| d.lines());
    let is_diff = lines.clone().any(|line| line.starts_with("--- "));
    lines
        .filter(|line| !is_diff || line.starts_with(['-', '+']))
        .collect()
}

/// `line`, cut to [`SHOWN_CHARS`] characters.
fn clip(line: &str) -> String {
    if line.chars().count() <= SHOWN_CHARS {
        return line.to_owned();
    }
    let cut: String = line.chars().take(SHOWN_CHARS).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::check::Finding;
    use crate::event::Outcome;
    use crate::spec::Catalogue;
    use crate::verdict::baseline::{Acceptance, Baseline, Judged};

    use crate::trial::Named;

    fn finding(message: &str) -> Finding {
        Finding {
            check: "schema".to_owned(),
            requirement: "NOTIF-SCHEMA".to_owned(),
            verdict: Verdict::Fail,
            message: message.to_owned(),
            details: vec!["/notificationType: not one of the names".to_owned()],
        }
    }

    fn run(findings: &[Finding]) -> ScenarioRun {
        let events = findings
            .iter()
            .map(|f| RunEvent::found("join", Some(0), f.clone()))
            .collect();
        ScenarioRun {
            events,
            outcome: Outcome::Failed,
            duration: Duration::ZERO,
        }
    }

    #[test]
    fn known_deviations_take_a_line_each_and_stale_entries_are_listed() {
        let known = finding("agent notification #2: unknown notificationType");
        let fixed = finding("agent notification #3: index is a string");
        let baseline = Baseline::of_run(&[(Named("join"), run(&[known.clone(), fixed]))]);
        let mut ran = vec![(Named("join"), run(&[known]))];
        let usage = baseline.mark(&mut ran);
        assert_eq!(usage.stale.len(), 1);
        let matrix = Matrix::build(&Catalogue::builtin(), &ran);
        let judged = Judged {
            file: PathBuf::from("accepted.yaml"),
            usage,
        };
        let wording = Wording {
            strict: false,
            noun: "scenarios",
        };
        let totals = Totals {
            passed: 1,
            ..Totals::default()
        };
        let text = verdict(&ran, &[], &matrix, &totals, wording, Some(&judged));
        assert!(!text.contains("root causes:"), "{text}");
        assert!(
            !text.contains("not one of the names"),
            "no evidence: {text}"
        );
        assert!(
            text.contains(
                "known deviations (accepted by the baseline accepted.yaml):\n\
                 KNOWN [NOTIF-SCHEMA] schema: agent notification #2: unknown notificationType (found once in 1 of 1 scenario)\n"
            ),
            "{text}"
        );
        assert!(text.contains("requirements: 1 KNOWN"), "{text}");
        assert!(text.contains("test result: ok."), "{text}");
        assert!(
            text.ends_with(
                "baseline: 1 entry no longer occurs (prune it, or rewrite accepted.yaml with --baseline-update):\n    \
                 [NOTIF-SCHEMA] schema: agent notification ##: index is a string\n"
            ),
            "{text}"
        );
        let without = verdict(&ran, &[], &matrix, &totals, wording, None);
        assert!(!without.contains("baseline"), "{without}");
    }

    #[test]
    fn a_root_cause_shows_its_first_evidence_and_counts_the_rest_on_its_found_line() {
        let mut long = finding("agent notification #2: unknown notificationType");
        long.details = (1..=6).map(|n| format!("evidence {n}")).collect();
        let ran = vec![(Named("join"), run(&[long]))];
        let matrix = Matrix::build(&Catalogue::builtin(), &ran);
        let wording = Wording {
            strict: false,
            noun: "scenarios",
        };
        let totals = Totals {
            failed: 1,
            ..Totals::default()
        };
        let text = verdict(&ran, &[], &matrix, &totals, wording, None);
        assert!(
            text.contains(
                "    evidence 4\n    found once in 1 of 1 scenario, first in join; 2 more line(s) of evidence in the reports\n"
            ),
            "{text}"
        );
        assert!(!text.contains("evidence 5"), "{text}");
    }

    #[test]
    fn a_flaky_trial_is_named_with_how_often_it_failed() {
        // A failed trial standing for `runs` repetitions, `failed` of which failed.
        let repeated = |runs: usize, failed: usize| {
            let mut run = run(&[finding("unknown notificationType")]);
            run.events.push(RunEvent::ScenarioFinished {
                scenario: "join".to_owned(),
                outcome: Outcome::Failed,
                duration_ms: 0,
                repetitions: Some(Repetitions { runs, failed }),
            });
            run
        };
        let (flaky, steady) = (repeated(5, 2), repeated(5, 5));
        let ran = vec![(Named("join"), flaky), (Named("leave"), steady)];
        let matrix = Matrix::build(&Catalogue::builtin(), &ran);
        let wording = Wording {
            strict: false,
            noun: "scenarios",
        };
        let totals = Totals {
            failed: 2,
            flaky: Some(1),
            ..Totals::default()
        };
        let text = verdict(&ran, &[], &matrix, &totals, wording, None);
        assert!(
            text.contains(
                "flaky (failed some runs, passed others; the first failing run is shown):\n    \
                 FLAKY join: failed 2 of 5 runs\n\n"
            ),
            "{text}"
        );
        assert!(!text.contains("FLAKY leave"), "{text}");
        assert!(
            text.contains("0 passed; 2 failed (1 of them flaky);"),
            "{text}"
        );
        // Nothing repeated: no such section, no such count.
        let once = verdict(&ran[..0], &[], &matrix, &Totals::default(), wording, None);
        assert!(!once.contains("flaky"), "{once}");
    }

    #[test]
    fn a_passed_trial_names_its_known_deviations() {
        let line = Line::Passed {
            name: "join".to_owned(),
            duration: Duration::from_millis(1500),
            known: vec!["NOTIF-SCHEMA".to_owned()],
        };
        assert_eq!(
            line.render(false),
            "test join ... ok (1.50s) known: NOTIF-SCHEMA\n"
        );
        assert_eq!(line.render(true), ".");
        let mut marked = run(&[finding("unknown notificationType")]);
        assert_eq!(causes_of(&marked, false), ["NOTIF-SCHEMA"]);
        assert!(known_of(&marked, false).is_empty());
        Acceptance::Everything.mark_events(&mut marked.events);
        assert_eq!(known_of(&marked, false), ["NOTIF-SCHEMA"]);
        assert!(causes_of(&marked, false).is_empty());
    }
}
