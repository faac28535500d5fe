//! What `run` and `replay` share once each trial (a scenario, a replayed group) has a
//! [`ScenarioRun`]: libtest's verdict and the text it shows for a failure, the summary of
//! NON-STRICT findings, the report files, and the exit code.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use clap::Args;
use libtest_mimic::{Conclusion, Failed};

use super::seeding::Seeded;
use crate::check::Verdict;
use crate::event::Outcome;
use crate::exit;
use crate::output;
use crate::report::{Subject, json, junit, terminal};
use crate::run::ScenarioRun;

/// Most trials run at once against the embedded target (each has its own server; the cap keeps
/// the whole run's memory in bounds).
const MAX_EMBEDDED_PARALLEL: usize = 64;

/// The runtime the trials run on (libtest's worker threads block on it).
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

/// How many trials run at once: as asked, else one at a time against a shared target (whose
/// state trials would otherwise disturb), else all at once up to [`MAX_EMBEDDED_PARALLEL`]
/// (trials mostly wait, and each has its own embedded server).
pub(crate) fn trial_threads(asked: Option<usize>, shared_target: bool, trials: usize) -> usize {
    asked.unwrap_or(if shared_target {
        1
    } else {
        trials.clamp(1, MAX_EMBEDDED_PARALLEL)
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
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write the JSON Lines event stream here (`-`: standard output; docs/json-events.md).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

impl ReportFiles {
    /// The report files asked for, by flag, for [`output::preflight`].
    pub fn outputs(&self) -> [(&'static str, Option<&Path>); 2] {
        [
            ("--json", self.json.as_deref()),
            ("--junit", self.junit.as_deref()),
        ]
    }
}

/// Where the report files go and how findings weigh.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReportSettings<'a> {
    /// NON-STRICT findings fail too.
    pub strict: bool,
    /// The report files asked for.
    pub files: &'a ReportFiles,
    /// The JUnit test suite's name.
    pub suite: &'a str,
}

/// Every trial's result, filed from libtest's worker threads.
pub(crate) struct Collected<S> {
    results: Mutex<Vec<(S, ScenarioRun)>>,
    /// Trials that could not run at all, by message.
    could_not_run: Mutex<Vec<String>>,
}

impl<S> Default for Collected<S> {
    fn default() -> Self {
        Self {
            results: Mutex::default(),
            could_not_run: Mutex::default(),
        }
    }
}

impl<S: Subject> Collected<S> {
    /// Files a trial that could not run (its target could not be started or reached); returns
    /// libtest's failure.
    pub fn could_not_run(&self, message: String) -> Failed {
        self.could_not_run
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(message.clone());
        Failed::from(message)
    }

    /// Files a trial's run; returns libtest's verdict, with the findings that failed it as the
    /// text libtest shows.
    pub fn file(&self, subject: S, run: ScenarioRun, strict: bool) -> Result<(), Failed> {
        let failed = run.outcome != Outcome::Passed
            || (strict && run.findings().any(|f| f.verdict == Verdict::NonStrict));
        let report = terminal::findings(&subject, &run, strict, |v| {
            v == Verdict::Fail || (strict && v == Verdict::NonStrict)
        });
        if run.outcome == Outcome::Errored {
            self.could_not_run
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(subject.name().to_owned());
        }
        self.results
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((subject, run));
        if failed {
            Err(Failed::from(report))
        } else {
            Ok(())
        }
    }

    /// After libtest's run: prints the NON-STRICT findings (unless they already failed under
    /// `--strict`), writes the report files, and returns the exit code.
    pub fn finish(&self, conclusion: &Conclusion, settings: ReportSettings<'_>) -> i32 {
        let mut results = self.results.lock().unwrap_or_else(PoisonError::into_inner);
        // Reports list trials by name, whatever order they finished in.
        results.sort_by(|a, b| a.0.name().cmp(b.0.name()));
        if !settings.strict {
            let notes: String = results
                .iter()
                .map(|(subject, run)| {
                    terminal::findings(subject, run, false, |v| v == Verdict::NonStrict)
                })
                .filter(|text| !text.is_empty())
                .collect();
            if !notes.is_empty() {
                println!(
                    "NON-STRICT findings (documented variants; they fail only with --strict):\n{notes}"
                );
            }
        }
        if let Some(code) = write_reports(&results, settings) {
            return code;
        }
        let errored = self
            .could_not_run
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        if errored > 0 && conclusion.num_passed == 0 {
            return exit::COULD_NOT_RUN;
        }
        if conclusion.has_failed() {
            exit::FAILURES
        } else {
            exit::SUCCESS
        }
    }
}

/// Writes the requested report files; returns an exit code when one cannot be written.
fn write_reports<S: Subject>(
    results: &[(S, ScenarioRun)],
    settings: ReportSettings<'_>,
) -> Option<i32> {
    if let Some(path) = &settings.files.junit {
        let written = junit::render(settings.suite, results, settings.strict)
            .map_err(|e| e.to_string())
            .and_then(|xml| output::write(path, xml.as_bytes()).map_err(|e| e.to_string()));
        if let Err(e) = written {
            eprintln!("error: cannot write {}: {e}", path.display());
            return Some(exit::COULD_NOT_RUN);
        }
    }
    if let Some(path) = &settings.files.json
        && let Err(e) = output::write(path, json::render(results, settings.strict).as_bytes())
    {
        eprintln!("error: cannot write {}: {e}", path.display());
        return Some(exit::COULD_NOT_RUN);
    }
    None
}
