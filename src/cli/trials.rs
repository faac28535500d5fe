//! What `run` and `replay` share: running their trials (a scenario, a replayed group) on a
//! pool of worker threads, printing a line per trial as it ends, then the verdict (root causes
//! and the requirement matrix, judged against the baseline when there is one), the report
//! files and the exit code. The lines and the verdict go to standard error instead of standard
//! output when an output file is `-` ([`Console::beside`]).

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use clap::Args;

use super::baseline::BaselineRun;
use super::seeding::Seeded;
use crate::event::Outcome;
use crate::exit;
use crate::output;
use crate::report::live::Units;
use crate::report::terminal::{self, Console, Line};
use crate::report::{html, json, junit};
use crate::run::Stop;
use crate::run::quiet::CalibrationSummary;
use crate::spec::Catalogue;
use crate::trial::{ScenarioRun, Subject};
use crate::verdict::attribution::agree;
use crate::verdict::baseline::{Acceptance, Judged};
use crate::verdict::matrix::Matrix;

/// Most trials run at once against the embedded target (each has its own server; the cap keeps
/// the whole run's memory in bounds).
const MAX_EMBEDDED_PARALLEL: usize = 64;

/// The runtime the trials run on (the worker threads block on it).
pub(crate) fn trial_runtime() -> Result<Arc<tokio::runtime::Runtime>, i32> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map(Arc::new)
        .map_err(|e| {
            eprintln!("error: cannot start the async runtime: {e}");
            exit::COULD_NOT_RUN
        })
}

/// How many trials run at once: as asked, else one per lane against a shared target
/// (`Some(lanes)`: trials in one lane would disturb each other's state), else all at once up
/// to [`MAX_EMBEDDED_PARALLEL`] (trials mostly wait, and each has its own embedded server).
pub(crate) fn trial_threads(asked: Option<usize>, lanes: Option<usize>, trials: usize) -> usize {
    asked.unwrap_or(match lanes {
        Some(lanes) => lanes.clamp(1, trials.max(1)),
        None => trials.clamp(1, MAX_EMBEDDED_PARALLEL),
    })
}

/// Runs one trial's `work` against `target`, or, without one, against a fresh embedded
/// reference server `seeded` as asked that is shut down afterwards; `work` gets the base URL.
pub(crate) async fn against_target<T, Fut>(
    target: Option<&str>,
    seeded: Seeded,
    work: impl FnOnce(String) -> Fut,
) -> Result<T, String>
where
    Fut: Future<Output = T>,
{
    let Some(url) = target else {
        let server = seeded.start_embedded().await?;
        let result = work(server.base_url()).await;
        server.shutdown().await;
        return Ok(result);
    };
    Ok(work(url.trim_end_matches('/').to_owned()).await)
}

/// The report files `run` and `replay` write when asked.
#[derive(Debug, Args)]
pub struct ReportFiles {
    /// Write a JUnit XML report here (`-`: standard output).
    #[arg(long, value_name = "FILE", env = "GWS_CONFORM_JUNIT")]
    pub junit: Option<PathBuf>,
    /// Write the JSON Lines event stream here (`-`: standard output; docs/json-events.md).
    #[arg(long, value_name = "FILE", env = "GWS_CONFORM_JSON")]
    pub json: Option<PathBuf>,
    /// Write the HTML report here: one self-contained page with the requirement matrix and a
    /// sequence diagram per trial (`-`: standard output; docs/html-report.md).
    #[arg(long, value_name = "FILE", env = "GWS_CONFORM_HTML")]
    pub html: Option<PathBuf>,
}

impl ReportFiles {
    /// The report files asked for, by flag, for [`output::preflight`].
    pub fn outputs(&self) -> [(&'static str, Option<&Path>); 3] {
        [
            ("--json", self.json.as_deref()),
            ("--junit", self.junit.as_deref()),
            ("--html", self.html.as_deref()),
        ]
    }
}

/// Where the report files go and how findings weigh.
#[derive(Clone, Copy)]
pub(crate) struct ReportSettings<'a> {
    /// NON-STRICT findings fail too.
    pub strict: bool,
    /// The report files asked for.
    pub files: &'a ReportFiles,
    /// The JUnit test suite's name.
    pub suite: &'a str,
    /// What the terminal calls the trials (`scenarios`, `groups`).
    pub noun: &'static str,
    /// The requirements the matrix lists.
    pub catalogue: &'a Catalogue,
    /// Where the verdict is printed.
    pub console: Console,
    /// The baseline (`--baseline`), if any.
    pub baseline: Option<&'a BaselineRun>,
    /// The documented examples, for the HTML report to show beside the notifications diffed
    /// with them.
    pub examples: &'a dyn html::Examples,
    /// How the run sized its quiet windows (`run` only).
    pub quiet: Option<CalibrationSummary>,
}

/// A trial to run.
pub(crate) struct Trial<S> {
    /// What it runs.
    pub subject: S,
    /// Marked `ignore`: listed, not run.
    pub ignored: bool,
}

/// Why a trial did not give a [`ScenarioRun`].
#[derive(Debug, Clone)]
pub(crate) enum Unrun {
    /// Marked `ignore`.
    Ignored,
    /// It could not run, for a reason on the harness's side (an embedded server that would not
    /// start).
    CouldNotRun {
        /// Why.
        reason: String,
        /// How long it took to find out.
        after: Duration,
    },
    /// The run stopped before it started (`--fail-fast`).
    NotStarted,
}

/// How a trial ended.
pub(crate) type TrialResult = Result<ScenarioRun, Unrun>;

/// How the trials of one run are run.
#[derive(Debug, Clone)]
pub(crate) struct Execution<'a> {
    /// Trials at once.
    pub threads: usize,
    /// Start no trial after one fails.
    pub fail_fast: bool,
    /// One character per trial instead of a line.
    pub quiet: bool,
    /// NON-STRICT findings fail a trial too.
    pub strict: bool,
    /// What the terminal calls the trials (`scenarios`, `groups`).
    pub noun: &'static str,
    /// Where the trials' lines are printed.
    pub console: Console,
    /// The deviations that fail nothing (`--baseline`): a trial with only those passes.
    pub acceptance: &'a Acceptance,
    /// Work inside the trials the live line counts too (a replay's steps).
    pub units: Option<Units>,
}

/// Every trial's result, in the order given, and how long it all took.
pub(crate) struct Executed<S> {
    /// Each trial with how it ended.
    pub results: Vec<(S, TrialResult)>,
    /// Wall time of the whole run.
    pub elapsed: Duration,
}

/// Runs `trials` on `execution.threads` worker threads, each calling `work` (which blocks),
/// printing each trial's line as it ends; once `stop` is requested no trial starts (they are
/// not run).
pub(crate) fn execute<S, W>(
    trials: Vec<Trial<S>>,
    execution: Execution<'_>,
    stop_request: &Stop,
    work: W,
) -> Executed<S>
where
    S: Subject + Send + Sync,
    W: Fn(&S) -> Result<ScenarioRun, String> + Sync,
{
    let started = Instant::now();
    let total = trials.len();
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (sender, receiver) = mpsc::channel::<(usize, TrialResult)>();
    let mut results: Vec<Option<TrialResult>> = (0..total).map(|_| None).collect();
    let mut printer = terminal::Progress::start(
        total,
        execution.noun,
        (execution.quiet, execution.console),
        execution.units.clone(),
    );
    let execution = &execution;
    std::thread::scope(|scope| {
        for _ in 0..execution.threads.clamp(1, total.max(1)) {
            let sender = sender.clone();
            let live = printer.live();
            let (trials, next, stop, work) = (&trials, &next, &stop, &work);
            let stop_request = stop_request.clone();
            scope.spawn(move || {
                loop {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    let Some(trial) = trials.get(index) else {
                        break;
                    };
                    let mut result = if trial.ignored {
                        Err(Unrun::Ignored)
                    } else if stop.load(Ordering::SeqCst) || stop_request.is_requested() {
                        Err(Unrun::NotStarted)
                    } else {
                        let begun = Instant::now();
                        live.started(trial.subject.name());
                        work(&trial.subject).map_err(|reason| Unrun::CouldNotRun {
                            reason,
                            after: begun.elapsed(),
                        })
                    };
                    // Marked now so that the trial's line and --fail-fast see known findings
                    // as such; `finish` marks again once consequences across trials are known.
                    if let Ok(run) = &mut result {
                        execution.acceptance.mark_events(&mut run.events);
                    }
                    if execution.fail_fast && fails(&result, execution.strict) {
                        stop.store(true, Ordering::SeqCst);
                    }
                    if sender.send((index, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        for (index, result) in receiver {
            printer.ended(&line(&trials[index].subject, &result, execution.strict));
            results[index] = Some(result);
        }
    });
    printer.finish();
    let results = trials
        .into_iter()
        .zip(results)
        .map(|(trial, result)| (trial.subject, result.unwrap_or(Err(Unrun::NotStarted))))
        .collect();
    Executed {
        results,
        elapsed: started.elapsed(),
    }
}

/// Whether a trial's result fails the run.
pub(crate) fn fails(result: &TrialResult, strict: bool) -> bool {
    match result {
        Ok(run) => run.fails(strict),
        Err(Unrun::CouldNotRun { .. }) => true,
        Err(Unrun::Ignored | Unrun::NotStarted) => false,
    }
}

/// Each trial that ran (or could not), by name, with whether it fails the run; those marked
/// `ignore` or not started are left out (what `--last-failed` remembers).
pub(crate) fn failures<S: Subject>(
    results: &[(S, TrialResult)],
    strict: bool,
) -> Vec<(String, bool)> {
    results
        .iter()
        .filter(|(_, result)| !matches!(result, Err(Unrun::Ignored | Unrun::NotStarted)))
        .map(|(subject, result)| (subject.name().to_owned(), fails(result, strict)))
        .collect()
}

/// The terminal's line for a trial that ended.
fn line<S: Subject>(subject: &S, result: &TrialResult, strict: bool) -> Line {
    match result {
        Ok(run) if run.outcome == Outcome::Errored => Line::Errored {
            name: subject.name().to_owned(),
            duration: run.duration,
        },
        Ok(run) if run.fails(strict) => Line::Failed {
            name: subject.name().to_owned(),
            duration: run.duration,
            causes: terminal::causes_of(run, strict),
        },
        Ok(run) => Line::Passed {
            name: subject.name().to_owned(),
            duration: run.duration,
            known: terminal::known_of(run, strict),
        },
        Err(Unrun::Ignored) => Line::Ignored {
            name: subject.name().to_owned(),
        },
        Err(Unrun::CouldNotRun { after, .. }) => Line::Errored {
            name: subject.name().to_owned(),
            duration: *after,
        },
        Err(Unrun::NotStarted) => Line::NotRun {
            name: subject.name().to_owned(),
        },
    }
}

/// After the run: settles consequences across trials, writes or applies the baseline, prints
/// the verdict (the trials that could not run, the root causes, the known deviations, the
/// requirement counts, the totals and the baseline entries that no longer occur), writes the
/// report files, and returns the exit code.
pub(crate) fn finish<S: Subject>(
    executed: Executed<S>,
    filtered_out: usize,
    settings: ReportSettings<'_>,
) -> i32 {
    let mut ran: Vec<(S, ScenarioRun)> = Vec::new();
    let mut totals = terminal::Totals {
        filtered_out,
        elapsed: executed.elapsed,
        quiet: settings.quiet,
        ..terminal::Totals::default()
    };
    let mut could_not_run: Vec<(String, String)> = Vec::new();
    for (subject, result) in executed.results {
        match result {
            Ok(run) => ran.push((subject, run)),
            Err(Unrun::Ignored) => totals.ignored += 1,
            Err(Unrun::NotStarted) => totals.not_run += 1,
            Err(Unrun::CouldNotRun { reason, .. }) => {
                totals.errored += 1;
                could_not_run.push((subject.name().to_owned(), reason));
            }
        }
    }
    // Reports list trials by name, whatever order they finished in.
    ran.sort_by(|a, b| a.0.name().cmp(b.0.name()));
    agree(&mut ran);
    // After `agree`: a finding it made a consequence of a known root cause is known too.
    let judged = match settings.baseline.map(|b| b.conclude(&mut ran)).transpose() {
        Ok(judged) => judged,
        Err(code) => return code,
    };
    conclude(&ran, &could_not_run, totals, settings, judged.as_ref())
}

/// The verdict of trials whose consequences and baseline are settled: counts them into
/// `totals`, builds the requirement matrix, prints the verdict, writes the report files and
/// returns the exit code. `run`, `replay` and `report` (from saved streams) all end here.
pub(crate) fn conclude<S: Subject>(
    ran: &[(S, ScenarioRun)],
    could_not_run: &[(String, String)],
    mut totals: terminal::Totals,
    settings: ReportSettings<'_>,
    judged: Option<&Judged>,
) -> i32 {
    let repeated: Vec<_> = ran
        .iter()
        .filter_map(|(_, run)| run.repetitions())
        .collect();
    if !repeated.is_empty() {
        totals.flaky = Some(repeated.iter().filter(|r| r.flaky()).count());
    }
    // Counted only now: a finding may have become known since its trial's line was printed.
    for (_, run) in ran {
        match run.outcome {
            Outcome::Errored => totals.errored += 1,
            _ if run.fails(settings.strict) => totals.failed += 1,
            _ => totals.passed += 1,
        }
    }
    let matrix = Matrix::build(settings.catalogue, ran);
    settings.console.print(&terminal::verdict(
        ran,
        could_not_run,
        &matrix,
        &totals,
        terminal::Wording {
            strict: settings.strict,
            noun: settings.noun,
        },
        judged,
    ));
    let report = json::Report {
        suite: settings.suite,
        matrix: &matrix,
        totals: &totals,
        strict: settings.strict,
        baseline: judged,
    };
    if let Some(code) = write_reports(ran, &report, settings) {
        return code;
    }
    if totals.errored > 0 && totals.passed == 0 && totals.failed == 0 {
        exit::COULD_NOT_RUN
    } else if report.fails() {
        exit::FAILURES
    } else {
        exit::SUCCESS
    }
}

/// Renders one report file's text.
type Render<'a> = dyn Fn() -> Result<String, String> + 'a;

/// Writes the requested report files; returns an exit code when one cannot be written.
fn write_reports<S: Subject>(
    results: &[(S, ScenarioRun)],
    report: &json::Report<'_>,
    settings: ReportSettings<'_>,
) -> Option<i32> {
    let files = &settings.files;
    let rendered: [(Option<&PathBuf>, &Render<'_>); 3] = [
        (files.junit.as_ref(), &|| {
            junit::render(settings.suite, results, report.matrix, settings.strict)
                .map_err(|e| e.to_string())
        }),
        (files.json.as_ref(), &|| Ok(json::render(results, report))),
        (files.html.as_ref(), &|| {
            Ok(html::render(results, report, settings.examples))
        }),
    ];
    for (path, render) in rendered {
        let Some(path) = path else {
            continue;
        };
        let written = render()
            .and_then(|text| output::write(path, text.as_bytes()).map_err(|e| e.to_string()));
        if let Err(e) = written {
            eprintln!("error: cannot write {}: {e}", path.display());
            return Some(exit::COULD_NOT_RUN);
        }
    }
    None
}
