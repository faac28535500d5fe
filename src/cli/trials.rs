//! What `run` and `replay` share once each trial (a scenario, a replayed group) has a
//! [`ScenarioRun`]: libtest's verdict and the text it shows for a failure, the summary of
//! NON-STRICT findings, the report files, and the exit code.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Mutex, PoisonError};

use libtest_mimic::{Conclusion, Failed};

use crate::check::Verdict;
use crate::event::Outcome;
use crate::exit;
use crate::report::{Subject, json, junit, terminal, write_atomically};
use crate::run::ScenarioRun;
use crate::server::{Faults, ServerConfig, start};

/// Runs one trial's `work` against `target`, or, without one, against a fresh embedded
/// reference server with `faults` that is shut down afterwards; `work` gets the base URL.
pub(crate) async fn against_target<T, Fut>(
    target: Option<&str>,
    faults: Faults,
    work: impl FnOnce(String) -> Fut,
) -> Result<T, String>
where
    Fut: Future<Output = T>,
{
    let Some(url) = target else {
        let config = ServerConfig {
            faults,
            ..ServerConfig::default()
        };
        let server = start(config, SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .map_err(|e| format!("cannot start the embedded reference server: {e}"))?;
        let result = work(server.base_url()).await;
        server.shutdown().await;
        return Ok(result);
    };
    Ok(work(url.trim_end_matches('/').to_owned()).await)
}

/// Where the report files go and how findings weigh.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReportSettings<'a> {
    /// NON-STRICT findings fail too.
    pub strict: bool,
    /// The JUnit XML file, if asked for.
    pub junit: Option<&'a Path>,
    /// The JSON Lines file, if asked for.
    pub json: Option<&'a Path>,
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
    if let Some(path) = settings.junit {
        let written = junit::render(settings.suite, results, settings.strict)
            .map_err(|e| e.to_string())
            .and_then(|xml| write_atomically(path, xml.as_bytes()).map_err(|e| e.to_string()));
        if let Err(e) = written {
            eprintln!("error: cannot write {}: {e}", path.display());
            return Some(exit::COULD_NOT_RUN);
        }
    }
    if let Some(path) = settings.json
        && let Err(e) = write_atomically(path, json::render(results, settings.strict).as_bytes())
    {
        eprintln!("error: cannot write {}: {e}", path.display());
        return Some(exit::COULD_NOT_RUN);
    }
    None
}
