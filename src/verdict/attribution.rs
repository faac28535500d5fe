//! Consequences within one trial: a step that failed on a notification an earlier check had
//! already found at fault, at the same place, is a consequence of that finding, not a failure
//! of its own requirement. It is marked `blocked_by` the root cause, so a report names the
//! root cause once and shows the step as blocked by it.
//!
//! A step that declares the requirement its finding cites (its own `covers`) checks that
//! requirement directly: its failure is a consequence only of a notification the schemas
//! reject (one that cannot be judged at all), not of another rule the same notification
//! breaks. Both are then root causes, each of its own requirement.
//!
//! Marking never changes a verdict: a finding is only marked as a consequence of a finding
//! that weighs at least as much, so whatever fails the trial still fails it.

use crate::check::{Cause, Finding, NotificationRef, schema, signature};
use crate::event::RunEvent;

/// A finding that may explain others: where it is in the events, and what it is about.
struct Candidate {
    index: usize,
    step: Option<usize>,
    finding: Finding,
    notifications: Vec<NotificationRef>,
}

/// Marks every step finding of one trial's `events` that a check finding (or a finding of an
/// earlier step) explains: one about a notification the step judged, at an overlapping place,
/// weighing at least as much, and, when the step declares the requirement its finding cites
/// (`declares(step, requirement)`), a schema finding. Among several, the heaviest, then the
/// first, is the cause.
pub fn attribute(events: &mut [RunEvent], declares: impl Fn(usize, &str) -> bool) {
    let candidates: Vec<Candidate> = events
        .iter()
        .enumerate()
        .filter_map(|(index, event)| match event {
            RunEvent::Finding {
                step,
                finding,
                notifications,
                ..
            } if !notifications.is_empty() => Some(Candidate {
                index,
                step: *step,
                finding: finding.clone(),
                notifications: notifications.clone(),
            }),
            _ => None,
        })
        .collect();
    // Causes found so far, by event index: a step blocked by an earlier step is blocked by
    // that step's own root cause.
    let mut causes: Vec<Option<Cause>> = vec![None; events.len()];
    for (index, event) in events.iter_mut().enumerate() {
        let RunEvent::Finding {
            step: Some(step),
            finding,
            notifications,
            blocked_by,
            ..
        } = event
        else {
            continue;
        };
        let explaining = candidates
            .iter()
            .filter(|c| c.index != index && c.step.is_none_or(|earlier| earlier < *step))
            .filter(|c| c.finding.verdict >= finding.verdict)
            .filter(|c| {
                c.finding.check == schema::CHECK_ID || !declares(*step, &finding.requirement)
            })
            .filter(|c| {
                c.notifications
                    .iter()
                    .any(|at| notifications.iter().any(|judged| at.overlaps(judged)))
            })
            // The first of the heaviest: `max_by_key` keeps the last of equals.
            .rev()
            .max_by_key(|c| c.finding.verdict);
        let cause = explaining.map(|c| {
            causes[c.index].clone().unwrap_or_else(|| Cause {
                requirement: c.finding.requirement.clone(),
                check: c.finding.check.clone(),
                signature: signature::of(&c.finding),
            })
        });
        causes[index] = cause.clone();
        *blocked_by = cause;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Verdict;

    fn finding(requirement: &str, check: &str, verdict: Verdict) -> Finding {
        Finding {
            check: check.to_owned(),
            requirement: requirement.to_owned(),
            verdict,
            message: format!("{check} says no"),
            details: Vec::new(),
        }
    }

    fn event(step: Option<usize>, finding: Finding, about: &[(u64, Option<&str>)]) -> RunEvent {
        RunEvent::Finding {
            scenario: "s".to_owned(),
            step,
            finding,
            notifications: about
                .iter()
                .map(|(seq, path)| NotificationRef {
                    actor: "supervisor".to_owned(),
                    seq: *seq,
                    path: path.map(str::to_owned),
                })
                .collect(),
            blocked_by: None,
        }
    }

    fn causes(events: &[RunEvent]) -> Vec<Option<String>> {
        events
            .iter()
            .map(|e| match e {
                RunEvent::Finding { blocked_by, .. } => {
                    blocked_by.as_ref().map(|c| c.requirement.clone())
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_step_failing_where_a_check_found_the_notification_at_fault_is_blocked() {
        let mut events = vec![
            event(
                Some(7),
                finding("JOIN-NOTIFICATIONS", "expect", Verdict::Fail),
                &[
                    (1, Some("chat.capabilities")),
                    (2, Some("notificationType")),
                ],
            ),
            event(
                None,
                finding("CAP-COACH", "schema", Verdict::Fail),
                &[(1, Some("chat.capabilities"))],
            ),
        ];
        attribute(&mut events, |_, _| false);
        assert_eq!(causes(&events), [Some("CAP-COACH".to_owned()), None]);
        let RunEvent::Finding { blocked_by, .. } = &events[0] else {
            unreachable!()
        };
        let cause = blocked_by.as_ref().expect("blocked");
        assert_eq!(cause.check, "schema");
        assert_eq!(cause.signature, "CAP-COACH schema: schema says no");
    }

    #[test]
    fn a_finding_elsewhere_in_the_notification_explains_nothing() {
        let mut events = vec![
            event(
                Some(3),
                finding("REVOKE-COMPLETED", "expect", Verdict::Fail),
                &[(4, Some("notificationType"))],
            ),
            event(
                None,
                finding("NOTIF-SCHEMA", "schema", Verdict::Fail),
                &[(4, Some("messages.0.index"))],
            ),
            event(
                None,
                finding("NOTIF-SCHEMA", "schema", Verdict::Fail),
                &[(5, None)],
            ),
        ];
        attribute(&mut events, |_, _| false);
        assert_eq!(causes(&events), [None, None, None]);
    }

    #[test]
    fn a_lighter_finding_never_excuses_a_failure() {
        let mut events = vec![
            event(
                Some(2),
                finding("MON-CANCEL", "expect.quiet", Verdict::Fail),
                &[(9, None)],
            ),
            event(
                None,
                finding("NOTIF-UNIQUE", "invariant.unique", Verdict::NonStrict),
                &[(9, None)],
            ),
        ];
        attribute(&mut events, |_, _| false);
        assert_eq!(causes(&events), [None, None]);
    }

    #[test]
    fn the_first_of_the_heaviest_causes_wins_and_a_consequence_passes_its_cause_on() {
        let mut events = vec![
            event(
                Some(2),
                finding("OP-LEAVE", "expect", Verdict::Fail),
                &[(1, Some("chat"))],
            ),
            event(
                Some(5),
                finding("JOIN-ORDER", "expect.order", Verdict::Fail),
                &[(1, None)],
            ),
            event(
                None,
                finding("NOTIF-REFERENCE", "invariant.reference", Verdict::NonStrict),
                &[(1, None)],
            ),
            event(
                None,
                finding("NOTIF-SCHEMA", "schema", Verdict::Fail),
                &[(1, Some("chat.state"))],
            ),
            event(
                None,
                finding("NOTIF-CHAT-REF", "invariant.chat-ref", Verdict::Fail),
                &[(1, Some("chat.id"))],
            ),
        ];
        attribute(&mut events, |_, _| false);
        let schema = Some("NOTIF-SCHEMA".to_owned());
        assert_eq!(causes(&events), [schema.clone(), schema, None, None, None]);
    }

    #[test]
    fn a_later_step_explains_nothing() {
        let mut events = vec![
            event(
                Some(2),
                finding("OP-LEAVE", "expect", Verdict::Fail),
                &[(1, None)],
            ),
            event(
                Some(5),
                finding("JOIN-ORDER", "expect.order", Verdict::Fail),
                &[(1, None)],
            ),
        ];
        attribute(&mut events, |_, _| false);
        assert_eq!(causes(&events), [None, Some("OP-LEAVE".to_owned())]);
    }

    #[test]
    fn a_step_checking_its_own_requirement_yields_only_to_the_schemas() {
        let events = || {
            vec![
                event(
                    Some(4),
                    finding("SWITCH-BARGEIN-MONITOR", "expect", Verdict::Fail),
                    &[(6, Some("chat.participants"))],
                ),
                event(
                    None,
                    finding("VIS-MONITOR", "invariant.visibility", Verdict::Fail),
                    &[(6, None)],
                ),
            ]
        };
        let declares =
            |step: usize, requirement: &str| step == 4 && requirement == "SWITCH-BARGEIN-MONITOR";
        let mut declared = events();
        attribute(&mut declared, declares);
        assert_eq!(causes(&declared), [None, None]);
        let mut inherited = events();
        attribute(&mut inherited, |_, _| false);
        assert_eq!(causes(&inherited), [Some("VIS-MONITOR".to_owned()), None]);
        let mut malformed = events();
        malformed.push(event(
            None,
            finding("NOTIF-SCHEMA", "schema", Verdict::Fail),
            &[(6, Some("chat.participants.0.visibility"))],
        ));
        attribute(&mut malformed, declares);
        assert_eq!(
            causes(&malformed),
            [Some("NOTIF-SCHEMA".to_owned()), None, None]
        );
    }
}
