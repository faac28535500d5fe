//! Consequences within one trial: a step that failed on a notification an earlier check had
//! already found at fault, at the same place, is a consequence of that finding, not a failure
//! of its own requirement. It is marked `blocked_by` the root cause, so a report names the
//! root cause once and shows the step as blocked by it.
//!
//! A step that declares the requirement its finding cites (its own `covers`) checks that
//! requirement directly: its failure is a consequence only of a notification the schemas
//! reject (one that cannot be judged at all), of a finding of another requirement the step
//! also declares, or of a finding located at the very field the step failed on (a `chatUri`
//! the chat-reference check found naming another chat), not of another rule the same
//! notification breaks. Both are then root
//! causes, each of its own requirement, until the whole run says which explains the other
//! ([`agree`]).
//!
//! Across the trials of a run ([`agree`]), the same step failure (the same check saying the
//! same thing, ids and numbers aside) cited under several requirements is one deviation seen
//! from several scenarios: it is charged to the requirement most of them cite, and the others
//! are marked as its consequences.
//!
//! Marking never changes a verdict: a finding is only marked as a consequence of a finding
//! that weighs at least as much, so whatever fails the trial still fails it.

use std::collections::HashMap;

use crate::check::{
    Cause, Finding, NotificationRef, Place, ResponseRef, Verdict, schema, signature,
};
use crate::event::RunEvent;
use crate::trial::{ScenarioRun, Subject};

/// What a finding is about: the notifications and the responses it judged.
#[derive(Clone)]
struct Places {
    notifications: Vec<NotificationRef>,
    responses: Vec<ResponseRef>,
}

impl Places {
    fn of(notifications: &[NotificationRef], responses: &[ResponseRef]) -> Self {
        Self {
            notifications: notifications.to_vec(),
            responses: responses.to_vec(),
        }
    }

    fn is_empty(&self) -> bool {
        self.notifications.is_empty() && self.responses.is_empty()
    }

    /// Whether the two judged a place in common.
    fn overlap(&self, other: &Places) -> bool {
        any_overlap(&self.notifications, &other.notifications)
            || any_overlap(&self.responses, &other.responses)
    }

    /// Whether a field `judged` names lies in a field these name: a step failed on exactly
    /// the part another check found wrong (not on a list that lacks what it wanted, because a
    /// check found one of its elements wrong).
    fn pinpoint(&self, judged: &Places) -> bool {
        any_pinpoint(&self.notifications, &judged.notifications)
            || any_pinpoint(&self.responses, &judged.responses)
    }
}

/// Whether a place of `these` overlaps one of `those`.
fn any_overlap<P: Place>(these: &[P], those: &[P]) -> bool {
    these.iter().any(|x| those.iter().any(|y| x.overlaps(y)))
}

/// Whether a place of `found` holds a place of `judged`, both fields (not whole documents).
fn any_pinpoint<P: Place>(found: &[P], judged: &[P]) -> bool {
    found.iter().any(|at| {
        at.path().is_some()
            && judged
                .iter()
                .any(|there| there.path().is_some() && at.encloses(there))
    })
}

/// A finding that may explain others: where it is in the events, and what it is about.
struct Candidate {
    index: usize,
    step: Option<usize>,
    finding: Finding,
    places: Places,
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
                responses,
                ..
            } => Some(Candidate {
                index,
                step: *step,
                finding: finding.clone(),
                places: Places::of(notifications, responses),
            })
            .filter(|candidate| !candidate.places.is_empty()),
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
            responses,
            blocked_by,
            ..
        } = event
        else {
            continue;
        };
        let judged = Places::of(notifications, responses);
        let explaining = candidates
            .iter()
            .filter(|c| c.index != index && c.step.is_none_or(|earlier| earlier < *step))
            .filter(|c| c.finding.verdict >= finding.verdict)
            .filter(|c| {
                c.finding.check == schema::CHECK_ID
                    || !declares(*step, &finding.requirement)
                    || declares(*step, &c.finding.requirement)
                    || c.places.pinpoint(&judged)
            })
            .filter(|c| c.places.overlap(&judged))
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

/// Marks consequences across the trials of a run: first by settling overlaps, then each
/// root-cause step finding whose
/// failure (its check and masked message, whatever requirement it cites) is cited under
/// another requirement by steps that declare it, or, when no step declares any, more often:
/// as a consequence of that requirement's finding, when that one weighs at least as much.
/// A step's finding citing a requirement the step declares keeps it. Ties go to the
/// requirement cited first.
pub fn agree<S: Subject>(trials: &mut [(S, ScenarioRun)]) {
    settle_overlaps(trials);
    // Per failure: each requirement citing it, with how often (by declaring steps, by all)
    // and its heaviest finding.
    let mut citations: HashMap<String, Vec<Citation>> = HashMap::new();
    for (subject, run) in trials.iter() {
        for (step, finding) in root_step_findings(&run.events) {
            let declared = subject.declares(step, &finding.requirement);
            let cited = citations.entry(failure_key(finding)).or_default();
            let citation = match cited
                .iter_mut()
                .position(|c| c.finding.requirement == finding.requirement)
            {
                Some(i) => &mut cited[i],
                None => {
                    cited.push(Citation {
                        declared: 0,
                        all: 0,
                        finding: finding.clone(),
                    });
                    cited.last_mut().expect("just pushed")
                }
            };
            citation.all += 1;
            citation.declared += usize::from(declared);
            if finding.verdict > citation.finding.verdict {
                citation.finding = finding.clone();
            }
        }
    }
    let charged: HashMap<String, Finding> = citations
        .into_iter()
        .filter(|(_, cited)| cited.len() > 1)
        .filter_map(|(key, cited)| {
            // The first of the most cited: `max_by_key` keeps the last of equals.
            let winner = cited
                .into_iter()
                .rev()
                .max_by_key(|c| (c.declared, c.all))?;
            Some((key, winner.finding))
        })
        .collect();
    for (subject, run) in trials.iter_mut() {
        for event in run.events.iter_mut() {
            let RunEvent::Finding {
                step: Some(step),
                finding,
                blocked_by,
                ..
            } = event
            else {
                continue;
            };
            if blocked_by.is_some()
                || finding.verdict == Verdict::Info
                || subject.declares(*step, &finding.requirement)
            {
                continue;
            }
            let Some(root) = charged.get(&failure_key(finding)) else {
                continue;
            };
            if root.requirement != finding.requirement && root.verdict >= finding.verdict {
                *blocked_by = Some(Cause {
                    requirement: root.requirement.clone(),
                    check: root.check.clone(),
                    signature: signature::of(root),
                });
            }
        }
    }
}

/// Settles, across trials, which of two root causes at the same notification explains the
/// other, when a step that declares requirement R failed there and a check found the place
/// breaking another requirement C: if C is broken in some trial where no declared step of
/// another requirement failed, C stands on its own and explains R's failure (a Monitor-mode
/// supervisor visible to agents makes every switch to Monitor show it too); otherwise C is
/// broken only where declared steps failed, and the failure at the same place explains it (a
/// switch that keeps the old visibility breaks the visibility rule only after the switch). A
/// finding is only explained by one that weighs at least as much.
fn settle_overlaps<S: Subject>(trials: &mut [(S, ScenarioRun)]) {
    struct Root {
        index: usize,
        step: Option<usize>,
        finding: Finding,
        places: Places,
    }
    let roots: Vec<Vec<Root>> = trials
        .iter()
        .map(|(_, run)| {
            run.events
                .iter()
                .enumerate()
                .filter_map(|(index, event)| match event {
                    RunEvent::Finding {
                        step,
                        finding,
                        notifications,
                        responses,
                        blocked_by: None,
                        ..
                    } if finding.verdict != Verdict::Info => Some(Root {
                        index,
                        step: *step,
                        finding: finding.clone(),
                        places: Places::of(notifications, responses),
                    }),
                    _ => None,
                })
                .collect()
        })
        .collect();
    let declared = |subject: &S, root: &Root| {
        root.step
            .is_some_and(|step| subject.declares(step, &root.finding.requirement))
    };
    // The requirements some check found broken in a trial with no declared step failure of
    // another requirement.
    let mut alone: std::collections::HashSet<String> = std::collections::HashSet::new();
    for ((subject, _), roots) in trials.iter().zip(&roots) {
        for check in roots.iter().filter(|r| r.step.is_none()) {
            let requirement = &check.finding.requirement;
            if !roots
                .iter()
                .any(|r| declared(subject, r) && r.finding.requirement != *requirement)
            {
                alone.insert(requirement.clone());
            }
        }
    }
    let overlap = |a: &Root, b: &Root| a.places.overlap(&b.places);
    let cause = |root: &Root| Cause {
        requirement: root.finding.requirement.clone(),
        check: root.finding.check.clone(),
        signature: signature::of(&root.finding),
    };
    for ((subject, run), roots) in trials.iter_mut().zip(&roots) {
        let mut marks: Vec<(usize, Cause)> = Vec::new();
        let steps: Vec<&Root> = roots.iter().filter(|r| declared(subject, r)).collect();
        let checks: Vec<&Root> = roots.iter().filter(|r| r.step.is_none()).collect();
        for step in &steps {
            let explaining = checks.iter().find(|check| {
                check.finding.requirement != step.finding.requirement
                    && alone.contains(&check.finding.requirement)
                    && check.finding.verdict >= step.finding.verdict
                    && overlap(check, step)
            });
            if let Some(check) = explaining {
                marks.push((step.index, cause(check)));
            }
        }
        for check in &checks {
            if alone.contains(&check.finding.requirement) {
                continue;
            }
            let explaining = steps.iter().find(|step| {
                step.finding.requirement != check.finding.requirement
                    && step.finding.verdict >= check.finding.verdict
                    && overlap(step, check)
            });
            if let Some(step) = explaining {
                marks.push((check.index, cause(step)));
            }
        }
        for (index, cause) in marks {
            if let Some(RunEvent::Finding { blocked_by, .. }) = run.events.get_mut(index) {
                *blocked_by = Some(cause);
            }
        }
    }
}

/// How often one requirement cites one failure.
struct Citation {
    /// By steps that declare the requirement.
    declared: usize,
    /// By any step.
    all: usize,
    /// The heaviest of those findings.
    finding: Finding,
}

/// The step findings of a trial that are root causes (not yet marked as consequences), with
/// their step.
fn root_step_findings(events: &[RunEvent]) -> impl Iterator<Item = (usize, &Finding)> {
    events.iter().filter_map(|event| match event {
        RunEvent::Finding {
            step: Some(step),
            finding,
            blocked_by: None,
            ..
        } if finding.verdict != Verdict::Info => Some((*step, finding)),
        _ => None,
    })
}

/// What a failure says, whatever requirement it cites: its check and masked message.
fn failure_key(finding: &Finding) -> String {
    format!("{}: {}", finding.check, signature::mask(&finding.message))
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
            responses: Vec::new(),
            blocked_by: None,
            known: false,
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

    /// A FAIL of step 4 (requirement, check, the notification and path it judged) and a FAIL
    /// of a whole-run check (the same, where it found the fault).
    fn step_and_check(
        step: (&str, &str, (u64, Option<&str>)),
        check: (&str, &str, (u64, Option<&str>)),
    ) -> Vec<RunEvent> {
        vec![
            event(Some(4), finding(step.0, step.1, Verdict::Fail), &[step.2]),
            event(None, finding(check.0, check.1, Verdict::Fail), &[check.2]),
        ]
    }

    #[test]
    fn a_step_checking_its_own_requirement_yields_only_to_the_schemas() {
        let events = || {
            step_and_check(
                (
                    "SWITCH-BARGEIN-MONITOR",
                    "expect",
                    (6, Some("chat.participants")),
                ),
                ("VIS-MONITOR", "invariant.visibility", (6, None)),
            )
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

    #[test]
    fn a_step_checking_its_own_requirement_yields_to_a_check_of_the_very_field_it_failed_on() {
        let events = |found_at: Option<&str>| {
            step_and_check(
                ("JOIN-NOTIFICATIONS", "expect.order", (3, Some("chatUri"))),
                ("NOTIF-CHAT-REF", "invariant.chat-reference", (3, found_at)),
            )
        };
        let declares =
            |step: usize, requirement: &str| step == 4 && requirement == "JOIN-NOTIFICATIONS";
        let mut same_field = events(Some("chatUri"));
        attribute(&mut same_field, declares);
        assert_eq!(
            causes(&same_field),
            [Some("NOTIF-CHAT-REF".to_owned()), None]
        );
        for elsewhere in [None, Some("messages")] {
            let mut other = events(elsewhere);
            attribute(&mut other, declares);
            assert_eq!(causes(&other), [None, None], "found at {elsewhere:?}");
        }
    }

    /// A finding located in the response to the customer's request of `sent_by` at `path`.
    fn in_response(
        step: Option<usize>,
        finding: Finding,
        sent_by: Option<usize>,
        path: &str,
    ) -> RunEvent {
        let mut located = event(step, finding, &[]);
        if let RunEvent::Finding { responses, .. } = &mut located {
            responses.push(ResponseRef {
                actor: "customer".to_owned(),
                step: sent_by,
                path: Some(path.to_owned()),
            });
        }
        located
    }

    #[test]
    fn a_step_failing_on_a_response_a_check_found_at_fault_there_is_blocked() {
        // The customer's transcript read of step 5 shows an agents-only message at position 3
        // (the visibility invariant, located at the message), and the step that declares
        // VIS-COACH failed at `failed_at` of the same response.
        let events = |failed_at: &str, sent_by: Option<usize>, path: &str| {
            vec![
                in_response(
                    Some(5),
                    finding("VIS-COACH", "response.match", Verdict::Fail),
                    Some(5),
                    failed_at,
                ),
                in_response(
                    None,
                    finding(
                        "VIS-CUSTOMER",
                        "invariant.customer-visibility",
                        Verdict::Fail,
                    ),
                    sent_by,
                    path,
                ),
            ]
        };
        let declares = |step: usize, requirement: &str| step == 5 && requirement == "VIS-COACH";
        // `$none` broken by that very message.
        let mut same = events("messages.3", Some(5), "messages.3");
        attribute(&mut same, declares);
        assert_eq!(causes(&same), [Some("VIS-CUSTOMER".to_owned()), None]);
        // Another step's response, another place in it, or a `$any` that found no such
        // message in the whole list explains nothing.
        for (failed_at, sent_by, path) in [
            ("messages.3", Some(4), "messages.3"),
            ("messages.3", None, "messages.3"),
            ("messages.3", Some(5), "messages.2"),
            ("messages", Some(5), "messages.3"),
        ] {
            let mut other = events(failed_at, sent_by, path);
            attribute(&mut other, declares);
            assert_eq!(
                causes(&other),
                [None, None],
                "{failed_at} {sent_by:?} {path}"
            );
        }
    }

    fn trial(findings: &[(&str, &str)]) -> Vec<RunEvent> {
        findings
            .iter()
            .map(|(requirement, message)| {
                let mut finding = finding(requirement, "expect", Verdict::Fail);
                finding.message = (*message).to_owned();
                event(Some(7), finding, &[])
            })
            .collect()
    }

    #[test]
    fn one_failure_cited_under_several_requirements_is_charged_to_the_most_cited() {
        let missing = "supervisor: within 5000 ms, no notification matched: messageType = \"MessageLogUpdated\"";
        let trials = vec![
            trial(&[("JOIN-NOTIFICATIONS", missing)]),
            trial(&[("MON-ALLCHATS", &missing.replace("5000", "3000"))]),
            trial(&[("JOIN-NOTIFICATIONS", missing)]),
            trial(&[(
                "MON-CANCEL",
                "supervisor: POST: expected HTTP 200, got HTTP 400",
            )]),
        ];
        let trials = agree_undeclared(trials);
        let causes: Vec<Vec<Option<String>>> = trials.iter().map(|t| causes(t)).collect();
        assert_eq!(
            causes,
            [
                vec![None],
                vec![Some("JOIN-NOTIFICATIONS".to_owned())],
                vec![None],
                vec![None]
            ]
        );
    }

    #[test]
    fn a_failure_cited_once_each_goes_to_the_first_and_consequences_stay_as_they_are() {
        let mut trials = vec![
            trial(&[("CAP-COACH", "the same words")]),
            trial(&[("VIS-COACH", "the same words")]),
        ];
        let RunEvent::Finding { blocked_by, .. } = &mut trials[0][0] else {
            unreachable!()
        };
        *blocked_by = Some(Cause {
            requirement: "NOTIF-SCHEMA".to_owned(),
            check: "schema".to_owned(),
            signature: "s".to_owned(),
        });
        let trials = agree_undeclared(trials);
        assert_eq!(causes(&trials[0]), [Some("NOTIF-SCHEMA".to_owned())]);
        assert_eq!(causes(&trials[1]), [None], "a consequence takes no part");
    }

    /// A trial whose steps declare the requirements `declared` says.
    struct Declaring(fn(&str) -> bool);

    impl Subject for Declaring {
        fn name(&self) -> &str {
            "t"
        }

        fn file(&self) -> String {
            String::new()
        }

        fn covers(&self) -> &[String] {
            &[]
        }

        fn step_location(&self, _: usize) -> Option<String> {
            None
        }

        fn declares(&self, _: usize, requirement: &str) -> bool {
            (self.0)(requirement)
        }
    }

    fn run(events: Vec<RunEvent>) -> ScenarioRun {
        ScenarioRun {
            events,
            outcome: crate::event::Outcome::Failed,
            duration: std::time::Duration::ZERO,
        }
    }

    /// [`agree`] over trials whose steps declare nothing; the trials' events after it.
    fn agree_undeclared(trials: Vec<Vec<RunEvent>>) -> Vec<Vec<RunEvent>> {
        let mut trials: Vec<(Declaring, ScenarioRun)> = trials
            .into_iter()
            .map(|events| (Declaring(|_| false), run(events)))
            .collect();
        agree(&mut trials);
        trials.into_iter().map(|(_, run)| run.events).collect()
    }

    #[test]
    fn a_declared_requirement_wins_and_keeps_its_findings() {
        let quiet = "supervisor: expected nothing more for 200 ms, got notification #4";
        let trials = vec![
            trial(&[("JOIN-ON-ACCEPT", quiet)]),
            trial(&[("CAP-ENFORCED", quiet)]),
            trial(&[("CAP-ENFORCED", quiet)]),
            trial(&[("MON-CANCEL", quiet)]),
        ];
        // The first and the last trial's steps declare what they cite.
        let mut trials: Vec<(Declaring, ScenarioRun)> = trials
            .into_iter()
            .enumerate()
            .map(|(i, events)| {
                let subject = if i == 0 || i == 3 {
                    Declaring(|r| r == "JOIN-ON-ACCEPT" || r == "MON-CANCEL")
                } else {
                    Declaring(|_| false)
                };
                (subject, run(events))
            })
            .collect();
        agree(&mut trials);
        let trials: Vec<Vec<RunEvent>> = trials.into_iter().map(|(_, run)| run.events).collect();
        let causes: Vec<Vec<Option<String>>> = trials.iter().map(|t| causes(t)).collect();
        let join = Some("JOIN-ON-ACCEPT".to_owned());
        assert_eq!(
            causes,
            [vec![None], vec![join.clone()], vec![join], vec![None]]
        );
    }
}
