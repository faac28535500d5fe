//! How `run` and `replay` stop early, and say why.
//!
//! - Ctrl-C or SIGTERM: the first asks every running scenario (or replayed group) to leave its
//!   steps and clean up its actors (bounded by the scenario's clean-up deadline); no scenario starts after it, the
//!   reports are written with what ran, and the run exits 130. A second signal quits at once
//!   (closing the recording first).
//! - A target that stops answering: after a scenario fails against a target, the target is
//!   probed; if it no longer answers, that scenario could not run (its failures are the
//!   target's absence, not verdicts), the run stops as above, and it exits 3 naming the
//!   scenario and the step where the target went away.

use std::sync::Arc;
use std::time::Duration;

use super::signal::StopSignals;
use crate::driver::route::Route;
use crate::event::RunEvent;
use crate::exit;
use crate::har::{Ending, HarWriter};
use crate::output::shown;
use crate::run::{ScenarioRun, Stop, StopCause, check_reachable};
use crate::trial::Subject;

/// Starts catching Ctrl-C and SIGTERM for the whole run: the first requests `stop`, a second
/// closes `record` (marked interrupted) and exits at once. Returns the exit code when the
/// signals cannot be caught.
pub(crate) fn listen(
    runtime: &tokio::runtime::Runtime,
    stop: Stop,
    record: Option<Arc<HarWriter>>,
    noun: &'static str,
) -> Result<(), i32> {
    // Caught now, not when the task below first runs: a Ctrl-C right after the start is kept.
    let mut signals = {
        let _entered = runtime.enter();
        StopSignals::listen_or_exit_code()?
    };
    runtime.spawn(async move {
        if signals.requested().await.is_err() {
            return;
        }
        eprintln!(
            "\ninterrupted: stopping; the running {noun} clean up their actors (Ctrl-C again to quit at once)"
        );
        stop.request(StopCause::Interrupted);
        if signals.requested().await.is_err() {
            return;
        }
        if let Some(writer) = record {
            close_recording(&writer, Ending::Interrupted);
        }
        std::process::exit(exit::INTERRUPTED);
    });
    Ok(())
}

/// Closes the recording as `ending` says and reports how many exchanges it holds; returns
/// whether it could.
pub(crate) fn close_recording(writer: &HarWriter, ending: Ending) -> bool {
    let interrupted = if ending == Ending::Interrupted {
        "interrupted: "
    } else {
        ""
    };
    match writer.finish(ending) {
        Ok(entries) => {
            eprintln!(
                "{interrupted}recorded {entries} exchanges in {}",
                shown(writer.destination())
            );
            true
        }
        Err(e) => {
            eprintln!("error: {e}");
            false
        }
    }
}

/// After `run` of `subject` against `target` ended: when it did not pass and the target no
/// longer answers, requests `stop` and returns what to say (the scenario could not run).
pub(crate) async fn probe_target<S: Subject>(
    subject: &S,
    run: &ScenarioRun,
    target: &str,
    request_timeout: Duration,
    route: &Route,
    stop: &Stop,
) -> Option<String> {
    if run.outcome == crate::event::Outcome::Passed || stop.is_requested() {
        return None;
    }
    let why = check_reachable(target, request_timeout, route)
        .await
        .err()?;
    let step = run.events.iter().find_map(|event| match event {
        RunEvent::Finding {
            step: Some(step), ..
        } => Some(*step),
        _ => None,
    });
    let place = step
        .and_then(|step| subject.step_location(step))
        .unwrap_or_default();
    let message = format!(
        "the target {target} stopped answering during scenario {}{place}: {why}",
        subject.name()
    );
    stop.request(StopCause::TargetGone(message.clone()));
    Some(message)
}

/// The exit code of a run that `stop` may have ended early, `verdict` being the one its
/// findings give; says why it stopped, of the `noun` (`scenarios`, `groups`) it did not start.
pub(crate) fn exit_code(stop: &Stop, verdict: i32, noun: &str) -> i32 {
    match stop.cause() {
        None => verdict,
        Some(StopCause::Interrupted) => {
            eprintln!("interrupted: the {noun} not started are NOT RUN");
            exit::INTERRUPTED
        }
        Some(StopCause::TargetGone(why)) => {
            eprintln!("error: {why}");
            eprintln!("error: the run stopped there; the {noun} not started are NOT RUN");
            exit::COULD_NOT_RUN
        }
    }
}
