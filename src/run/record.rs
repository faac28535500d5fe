//! `run --record`: each actor's exchanges, labelled with the scenario, the actor, its role and
//! the step that was running when the request was sent, go to the run's HAR writer.

use std::sync::{Arc, Mutex, PoisonError};

use crate::driver::tap::Tap;
use crate::har::{Capture, CaptureSink, HarWriter, Labels, next_seq};

/// A step's index and line in its scenario file.
type StepAt = (usize, u32);

/// Which step was running when: the start counter ([`next_seq`]) at each step change, so an
/// exchange is labelled with the step that sent it even when it completes later (a held
/// long-poll). Holds one item per step of one scenario.
#[derive(Debug, Default)]
pub(crate) struct StepMarks(Mutex<Vec<(u64, Option<StepAt>)>>);

impl StepMarks {
    /// From now on, requests belong to `step` (index and line), or to none (clean-up).
    pub fn enter(&self, step: Option<StepAt>) {
        let mut marks = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        marks.push((next_seq(), step));
    }

    /// The step that was running when the request numbered `seq` started.
    fn at(&self, seq: u64) -> Option<StepAt> {
        let marks = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        marks
            .iter()
            .rev()
            .find(|(from, _)| *from <= seq)
            .and_then(|(_, step)| *step)
    }
}

/// The recording of one scenario run.
#[derive(Debug, Clone)]
pub(crate) struct Recording {
    writer: Arc<HarWriter>,
    scenario: String,
    steps: Arc<StepMarks>,
}

impl Recording {
    pub fn new(writer: Arc<HarWriter>, scenario: &str) -> Self {
        Self {
            writer,
            scenario: scenario.to_owned(),
            steps: Arc::default(),
        }
    }

    pub fn steps(&self) -> &StepMarks {
        &self.steps
    }

    /// The tap of one actor (`None`: anonymous requests).
    pub fn tap(&self, actor: Option<&str>, role: Option<&str>) -> Tap {
        Tap::new(Arc::new(ActorSink {
            recording: self.clone(),
            actor: actor.map(str::to_owned),
            role: role.map(str::to_owned),
        }))
    }
}

/// Labels an actor's captures on their way to the writer.
struct ActorSink {
    recording: Recording,
    actor: Option<String>,
    role: Option<String>,
}

impl CaptureSink for ActorSink {
    fn capture(&self, mut capture: Capture) {
        let step = self.recording.steps.at(capture.seq);
        capture.labels = Labels {
            scenario: Some(self.recording.scenario.clone()),
            actor: self.actor.clone(),
            role: self.role.clone(),
            step: step.map(|(index, _)| index),
            line: step.map(|(_, line)| line),
        };
        self.recording.writer.capture(capture);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exchange_belongs_to_the_step_that_sent_it() {
        let marks = StepMarks::default();
        let before = next_seq();
        marks.enter(Some((0, 7)));
        let in_first = next_seq();
        marks.enter(Some((1, 9)));
        let in_second = next_seq();
        marks.enter(None);
        let in_clean_up = next_seq();
        assert_eq!(marks.at(before), None);
        assert_eq!(marks.at(in_first), Some((0, 7)));
        assert_eq!(marks.at(in_second), Some((1, 9)));
        assert_eq!(marks.at(in_clean_up), None);
    }
}
