//! `--baseline FILE` and `--baseline-update`, shared by `run` and `replay`: the arguments,
//! reading the file before anything runs (a bad file is bad input, exit 2, with nothing run),
//! and, once the run's consequences are settled, writing the file or judging against it. What
//! a baseline is and how it matches lives in [`crate::verdict::baseline`]; this is the thin
//! layer that talks to the user.

use std::path::{Path, PathBuf};

use clap::Args;

use super::run::problems;
use crate::event::Outcome;
use crate::exit;
use crate::output::{self, Destination};
use crate::trial::{ScenarioRun, Subject};
use crate::verdict::baseline::{Acceptance, Baseline, Judged};

/// Accepted deviations (docs/baseline.md).
#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// Accept the deviations recorded in this YAML file: a finding matching an entry (by
    /// requirement, check and signature) is reported as KNOWN and fails nothing; anything new
    /// still fails, and entries that no longer occur are listed so they can be pruned.
    #[arg(long, value_name = "FILE", env = "GWS_CONFORM_BASELINE")]
    pub baseline: Option<PathBuf>,
    /// Write this run's deviations (its root causes) to the --baseline file instead of judging
    /// against it; entries of scenarios that did not run are kept. The run then exits 0 unless
    /// something could not run.
    #[arg(long, requires = "baseline", conflicts_with = "fail_fast")]
    pub baseline_update: bool,
}

/// A baseline as a run uses it.
#[derive(Debug)]
pub(crate) struct BaselineRun {
    /// The file.
    file: PathBuf,
    /// What it held before the run (empty when `--baseline-update` creates it).
    previous: Baseline,
    /// `--baseline-update`: the run rewrites the file.
    update: bool,
}

impl BaselineArgs {
    /// The baseline as an output, for [`crate::output::preflight`]: the file when
    /// `--baseline-update` is to write it, none otherwise (it is only read).
    pub fn output(&self) -> (&'static str, Option<&Path>) {
        (
            "--baseline",
            self.baseline.as_deref().filter(|_| self.baseline_update),
        )
    }

    /// [`Self::load`], with what the run accepts while its trials run (nothing without a
    /// baseline).
    pub(crate) fn load_accepting(&self) -> Result<(Option<BaselineRun>, Acceptance), i32> {
        let baseline = self.load()?;
        let acceptance = baseline
            .as_ref()
            .map(BaselineRun::acceptance)
            .unwrap_or_default();
        Ok((baseline, acceptance))
    }

    /// Reads the baseline, if one is asked for. A missing file is bad input unless
    /// `--baseline-update` is to create it; a malformed one always is (an update would
    /// otherwise drop the entries it could not read), with every problem at `file:line:col`.
    pub(crate) fn load(&self) -> Result<Option<BaselineRun>, i32> {
        let Some(file) = &self.baseline else {
            return Ok(None);
        };
        // An update reads the file first only to keep what it holds: a new file holds nothing,
        // nor does a stream the update writes through (`-`, a FIFO, a device, `/dev/stdout`),
        // which reading could wait on forever.
        let nothing_to_keep =
            !file.exists() || !matches!(Destination::of(file), Ok(Destination::Atomic(_)));
        let previous = if self.baseline_update && nothing_to_keep {
            Baseline::default()
        } else {
            Baseline::load(file).map_err(|errors| {
                let code = problems(&errors, "baseline");
                if self.baseline_update && file.exists() {
                    eprintln!(
                        "note: --baseline-update keeps the entries of scenarios that do not run, so it reads the file first; fix or delete it"
                    );
                }
                code
            })?
        };
        Ok(Some(BaselineRun {
            file: file.clone(),
            previous,
            update: self.baseline_update,
        }))
    }
}

impl BaselineRun {
    /// What the run accepts while its trials run: the file's entries, or, when the file is
    /// being rewritten from this run, every deviation (each is about to be recorded).
    pub(crate) fn acceptance(&self) -> Acceptance {
        if self.update {
            Acceptance::Everything
        } else {
            Acceptance::Baseline(self.previous.clone())
        }
    }

    /// After the run, with the consequences across trials settled: rewrites the file from the
    /// run when updating (saying so on stderr), then marks the findings the baseline accepts.
    /// Returns what the reports say, or the exit code when the file cannot be written.
    pub(crate) fn conclude<S: Subject>(
        &self,
        trials: &mut [(S, ScenarioRun)],
    ) -> Result<Judged, i32> {
        let display = output::shown(&self.file);
        let baseline = if self.update {
            let nothing_ran = trials
                .iter()
                .all(|(_, run)| matches!(run.outcome, Outcome::Errored | Outcome::Ignored));
            if nothing_ran {
                eprintln!("baseline: {display} not written: no trial ran to a verdict");
                self.previous.clone()
            } else {
                let update = self.previous.updated(trials);
                if let Err(e) = update.baseline.write(&self.file) {
                    eprintln!("error: cannot write the baseline {display}: {e}");
                    return Err(exit::COULD_NOT_RUN);
                }
                eprintln!(
                    "baseline: wrote {} to {display} ({} new; {} no longer occurring dropped; {} kept from scenarios that did not run)",
                    entries(update.baseline.entries().len()),
                    update.added,
                    update.dropped.len(),
                    update.kept_unchecked,
                );
                update.baseline
            }
        } else {
            self.previous.clone()
        };
        let usage = baseline.mark(trials);
        Ok(Judged {
            file: self.file.clone(),
            usage,
        })
    }
}

/// `n entries`, singular for one.
fn entries(n: usize) -> String {
    match n {
        1 => "1 entry".to_owned(),
        n => format!("{n} entries"),
    }
}
