//! `expect` steps: waiting, with a deadline, for the notifications an actor must receive, in
//! sequence, exactly in order, or in any order; then optionally for a quiet period. Waits read
//! the actor's inbox, which buffers from login, so nothing that arrived earlier is missed.

use std::time::Instant;

use serde_json::Value;

use super::repeated::Fresh;
use super::steps::mismatch_diff;
use super::{Runner, StepError};
use crate::bayeux::ChannelPattern;
use crate::check::json::canonical;
use crate::check::{Finding, Located, NotificationRef, Verdict};
use crate::driver::bayeux::{Cursor, Delivery, Inbox, WaitError};
use crate::scenario::matcher::{MatchError, Matchers};
use crate::scenario::model::{
    Capture, CoversFrom, Expectation, ExpectedNotification, Mode, Order, Since,
};
use crate::scenario::template::Variables;
use crate::spec::Level;

/// How much of a notification a failure message shows.
const SHOWN_CHARS: usize = 300;

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= SHOWN_CHARS {
        return text;
    }
    let cut: String = text.chars().take(SHOWN_CHARS).collect();
    format!("{cut}…")
}

/// `ChatStateChangeMessage/StatusChange Chatting` or what a notification says it is.
fn kind(data: &Value) -> String {
    let text = |pointer: &str| data.pointer(pointer).and_then(Value::as_str);
    let mut out = text("/messageType").unwrap_or("a notification").to_owned();
    for part in [text("/notificationType"), text("/chat/state")]
        .into_iter()
        .flatten()
    {
        out.push(if out.contains('/') { ' ' } else { '/' });
        out.push_str(part);
    }
    out
}

/// Why nothing more can arrive, when a wait ended because the actor's CometD session did
/// (the server stopped answering its long-poll, say) rather than at the deadline.
fn session_note(error: &WaitError) -> String {
    match error {
        WaitError::SessionEnded { reason, .. } => {
            format!(" (the CometD session ended first: {reason})")
        }
        WaitError::Timeout { .. } => String::new(),
    }
}

/// For each notification received after `from` on the channel, why it does not match; and
/// each one that does not as a near miss, at the place it differs.
fn explain(
    actor: &str,
    inbox: &Fresh<'_>,
    from: Cursor,
    channel: &ChannelPattern,
    item: &ExpectedNotification,
    vars: &Variables,
) -> (Vec<String>, Vec<NotificationRef>) {
    let received: Vec<Delivery> = inbox
        .snapshot()
        .into_iter()
        .filter(|d| d.next() > from && d.on(channel))
        .collect();
    if received.is_empty() {
        return (
            vec!["nothing arrived on the channel".to_owned()],
            Vec::new(),
        );
    }
    let mut near_misses = Vec::new();
    let details = received
        .iter()
        .map(|d| match item.matchers.check(&d.data, vars) {
            Ok(_) => format!(
                "#{}: matches, but was taken by an earlier item: {}",
                d.seq,
                short(&d.data)
            ),
            Err(why) => {
                near_misses.extend(near_miss(actor, d.seq, &why, ""));
                match mismatch_diff(&why) {
                    Some(diff) => format!("#{}: {why}\n{diff}", d.seq),
                    None => format!("#{}: {why} — {}", d.seq, short(&d.data)),
                }
            }
        })
        .collect();
    (details, near_misses)
}

/// Notification `seq` of `actor` as a near miss of an item: where it differs (under `prefix`,
/// for a log entry inside the notification). `None` when the item could not be checked at all.
fn near_miss(actor: &str, seq: u64, why: &MatchError, prefix: &str) -> Option<NotificationRef> {
    let MatchError::Mismatch(mismatch) = why else {
        return None;
    };
    Some(NotificationRef {
        actor: actor.to_owned(),
        seq,
        path: Some(format!("{prefix}{}", mismatch.place())),
    })
}

/// Every near miss of the `missing` items among the notifications `received`.
fn near_misses<'i>(
    actor: &str,
    received: &[Delivery],
    missing: impl Iterator<Item = &'i Matchers> + Clone,
    vars: &Variables,
) -> Vec<NotificationRef> {
    received
        .iter()
        .flat_map(|d| {
            missing.clone().filter_map(move |matchers| {
                near_miss(actor, d.seq, &matchers.check(&d.data, vars).err()?, "")
            })
        })
        .collect()
}

/// Where and how long an expectation looks: the inbox without its repeats, the channel, the
/// deadline, and whether matchers with a requirement of their own are set aside.
#[derive(Clone, Copy)]
struct Search<'a> {
    inbox: Fresh<'a>,
    channel: &'a ChannelPattern,
    deadline: Instant,
    relaxed: bool,
}

/// The requirement a notification delivered twice breaks.
const REPEAT_REQUIREMENT: &str = "NOTIF-UNIQUE";

/// Whether `delivery` is the same notification as the one the actor received just before it.
fn repeats_previous(inbox: &Inbox, delivery: &Delivery) -> bool {
    let Some(previous) = delivery.seq.checked_sub(1) else {
        return false;
    };
    inbox
        .snapshot()
        .iter()
        .find(|d| d.seq == previous)
        .is_some_and(|d| {
            d.channel == delivery.channel && canonical(&d.data) == canonical(&delivery.data)
        })
}

/// Whether `data` matches, fully or, with `relaxed`, with the matchers that have a requirement
/// of their own set aside.
fn fits(matchers: &Matchers, data: &Value, vars: &Variables, relaxed: bool) -> bool {
    if relaxed {
        matchers.check_relaxed(data, vars).is_ok()
    } else {
        matchers.check(data, vars).is_ok()
    }
}

/// The index of `entry` in its notification's `messages`.
fn entry_position(delivery: &Delivery, entry: &Value) -> usize {
    delivery
        .data
        .get("messages")
        .and_then(Value::as_array)
        .and_then(|messages| messages.iter().position(|m| std::ptr::eq(m, entry)))
        .unwrap_or_default()
}

/// Why an expectation failed, before it is recorded as a finding.
struct Failure {
    check: &'static str,
    message: String,
    details: Vec<String>,
    /// The notifications that came closest, at the place each differs.
    near_misses: Vec<NotificationRef>,
    /// What the missing notification would have proved, when its item says (`covers`).
    requirement: Option<String>,
}

/// What the first of the `missing` items proves, when it says (otherwise the step's
/// requirement stands: an item saying nothing is the step's own).
fn proven_by<'i>(missing: impl IntoIterator<Item = &'i ExpectedNotification>) -> Option<String> {
    missing.into_iter().next()?.covers.first().cloned()
}

/// The notifications an expectation's items matched, in item order, and the cursor after the
/// last one used.
struct Matched<'e> {
    pairs: Vec<(&'e ExpectedNotification, Delivery)>,
    end: Cursor,
}

/// Every item once per `count`, in listed order.
fn wanted(expectation: &Expectation) -> Vec<&ExpectedNotification> {
    expectation
        .items
        .iter()
        .flat_map(|item| std::iter::repeat_n(item, item.count as usize))
        .collect()
}

impl Runner<'_> {
    pub(crate) async fn expect(&mut self, expectation: &Expectation) -> Result<(), StepError> {
        let Some(session) = self.agents.get(&expectation.actor) else {
            return Err(StepError::CouldNotRun(format!(
                "`{}` is not logged in",
                expectation.actor
            )));
        };
        let inbox = session.bayeux.inbox().clone();
        // `since: operation` looks at what arrived since the last operation began.
        let since = match expectation.since {
            Since::Expectation => None,
            Since::Operation => self.step.and_then(|step| self.operation_began(step)),
        };
        let cursor = match since {
            Some(began) => session.cursor.max(inbox.cursor_since(began)),
            None => session.cursor,
        };
        let repeated = session.repeated.clone();
        let channel = ChannelPattern::parse(&expectation.channel)
            .map_err(|e| StepError::CouldNotRun(e.to_string()))?;
        let deadline = Instant::now() + expectation.within;
        let actor = expectation.actor.as_str();
        // A notification that is the one expected but breaks a requirement a matcher enforces
        // by itself (the capability set, the echoed referenceId) is told apart from one that
        // never came: with those matchers set aside, what is there now is matched again.
        // Repeats are looked past.
        let search = Search {
            inbox: Fresh {
                inbox: &inbox,
                repeated: &repeated,
            },
            channel: &channel,
            deadline,
            relaxed: false,
        };
        let now = Search {
            deadline: Instant::now(),
            relaxed: true,
            ..search
        };
        let matched = match self.find(expectation, &search, cursor).await {
            Ok(matched) => matched,
            Err(failure) => match self.find(expectation, &now, cursor).await {
                Ok(matched) => {
                    self.set_aside(actor, &matched)?;
                    matched
                }
                Err(_) => {
                    let requirement = failure
                        .requirement
                        .unwrap_or_else(|| self.current_requirement());
                    let finding = Finding {
                        check: failure.check.to_owned(),
                        requirement,
                        verdict: Verdict::Fail,
                        message: failure.message,
                        details: failure.details,
                    };
                    self.located(Located::about(finding, failure.near_misses));
                    return Err(StepError::Failed);
                }
            },
        };
        for (item, delivery) in &matched.pairs {
            self.matched(actor, item, delivery)?;
        }
        let cursor = matched.end;
        self.observe_latencies(&matched);
        if let Some(written) = expectation.quiet {
            let window = self.ctx.quiet.window(written);
            // Since the operation, the window runs from when it began: the windows of several
            // actors after one operation overlap rather than follow each other.
            let opened = since.unwrap_or_else(Instant::now);
            let (settled_after, until) = (opened + window.minimum, opened + window.length);
            let fresh = Fresh {
                inbox: &inbox,
                repeated: &repeated,
            };
            let mut from = cursor;
            while let Ok(Some(extra)) = fresh
                .wait_unless_settled(from, "anything", |d| d.on(&channel), settled_after, until)
                .await
            {
                // The same notification again, right after itself, is a repeat whatever its
                // kind (one operation, one notification): NOTIF-UNIQUE's to judge, at its
                // level, and the window goes on.
                if repeats_previous(&inbox, &extra) {
                    self.repeat_in_quiet(actor, &extra);
                    from = extra.next();
                    continue;
                }
                // A notification that came before the operation this quiet period follows was
                // not caused by it: it belongs to the actor's previous expectation.
                let requirement = self.requirement_of_arrival(actor, extra.received_at);
                let finding = Finding {
                    check: "expect.quiet".to_owned(),
                    requirement,
                    verdict: Verdict::Fail,
                    message: format!(
                        "{actor}: expected nothing more for {} ms, got notification #{} ({})",
                        window.length.as_millis(),
                        extra.seq,
                        kind(&extra.data)
                    ),
                    details: vec![short(&extra.data)],
                };
                self.located(Located::at(finding, actor, extra.seq));
                return Err(StepError::Failed);
            }
        }
        if let Some(session) = self.agents.get_mut(actor) {
            session.cursor = cursor;
        }
        Ok(())
    }

    /// Matches an expectation's notifications (or log entries) as its order says; an ordered
    /// expectation whose items all arrived in another order matches with a finding of its own.
    /// With `relaxed`, matchers with a requirement of their own do not decide a match.
    async fn find<'e>(
        &mut self,
        expectation: &'e Expectation,
        search: &Search<'_>,
        cursor: Cursor,
    ) -> Result<Matched<'e>, Failure> {
        match expectation.order {
            _ if !expectation.entries.is_empty() => {
                self.match_entries(expectation, search, cursor).await
            }
            Order::Any => self.match_any(expectation, search, cursor).await,
            ordered => match self
                .match_ordered(expectation, ordered, search, cursor)
                .await
            {
                Ok(matched) => Ok(matched),
                // Every item may still have arrived, in another order: that is a finding of
                // its own (citing the order's requirement), and the scenario goes on.
                Err(failure) => match self.match_any(expectation, search, cursor).await {
                    Ok(matched) => {
                        self.out_of_order(
                            expectation,
                            &search.inbox,
                            cursor,
                            search.channel,
                            &matched,
                        );
                        Ok(matched)
                    }
                    Err(_) => Err(failure),
                },
            },
        }
    }

    /// Records notification `extra`, a copy of the one just before it that came in a quiet
    /// window, as a repeat (NOTIF-UNIQUE, at that requirement's level).
    fn repeat_in_quiet(&mut self, actor: &str, extra: &Delivery) {
        let finding = Finding {
            check: "expect.quiet".to_owned(),
            requirement: REPEAT_REQUIREMENT.to_owned(),
            verdict: Verdict::Fail,
            message: format!(
                "{actor}: notification #{} ({}) in a quiet period repeats the one just before it",
                extra.seq,
                kind(&extra.data)
            ),
            details: vec![short(&extra.data)],
        }
        .weighed(self.ctx.verifier.catalogue());
        self.located(Located::at(finding, actor, extra.seq));
    }

    /// Records, for each notification matched with matchers set aside, each mismatch set aside
    /// as a finding; fails the step when one is a failure. A SHOULD matcher's finding cites its
    /// own requirement (NON-STRICT: the step goes on); a MUST matcher's cites the step's
    /// declared requirement when it declares one (the Coach capabilities after SwitchToCoach
    /// are the switch's to give), else the matcher's.
    fn set_aside(&mut self, actor: &str, matched: &Matched<'_>) -> Result<(), StepError> {
        let mut failed = false;
        let declared = self
            .step
            .and_then(|i| self.scenario.steps.get(i))
            .filter(|step| step.covers_from == CoversFrom::Declared)
            .and_then(|step| step.covers.first().cloned());
        for (item, delivery) in &matched.pairs {
            let Ok(relaxed) = item.matchers.check_relaxed(&delivery.data, &self.vars) else {
                continue;
            };
            for (mismatch, requirement) in relaxed.set_aside {
                let soft = self.ctx.verifier.catalogue().level(requirement) == Some(Level::Should);
                let requirement = match &declared {
                    Some(declared) if !soft => declared.clone(),
                    _ => requirement.to_owned(),
                };
                let finding = Finding {
                    check: "expect.matcher".to_owned(),
                    requirement,
                    verdict: Verdict::Fail,
                    message: format!(
                        "{actor}: notification #{} is the one expected, but {mismatch}",
                        delivery.seq
                    ),
                    details: vec![short(&delivery.data)],
                };
                let finding = finding.weighed(self.ctx.verifier.catalogue());
                failed |= finding.verdict == Verdict::Fail;
                self.located(Located::about(
                    finding,
                    vec![NotificationRef {
                        actor: actor.to_owned(),
                        seq: delivery.seq,
                        path: Some(mismatch.place()),
                    }],
                ));
            }
        }
        if failed {
            Err(StepError::Failed)
        } else {
            Ok(())
        }
    }

    /// Matches the items in listed order: in `Sequence`, each the first matching notification
    /// after the previous one; in `Exact`, each the very next notification. Captures are set as
    /// items match, so a later item may use an earlier one's.
    async fn match_ordered<'e>(
        &mut self,
        expectation: &'e Expectation,
        order: Order,
        search: &Search<'_>,
        from: Cursor,
    ) -> Result<Matched<'e>, Failure> {
        let Search {
            inbox,
            channel,
            deadline,
            relaxed,
        } = *search;
        let inbox = &inbox;
        let actor = expectation.actor.as_str();
        let mut cursor = from;
        let mut pairs = Vec::new();
        for item in wanted(expectation) {
            let vars = self.vars.clone();
            let found = if order == Order::Exact {
                inbox
                    .wait_for(cursor, "the next notification", |d| d.on(channel), deadline)
                    .await
            } else {
                inbox
                    .wait_for(
                        cursor,
                        &item.matchers.describe(&self.vars),
                        |d| d.on(channel) && fits(&item.matchers, &d.data, &vars, relaxed),
                        deadline,
                    )
                    .await
            };
            let delivery = match found {
                Ok(delivery) => delivery,
                Err(error) if order == Order::Exact => {
                    return Err(Failure {
                        check: "expect",
                        message: format!(
                            "{actor}: expected next a notification matching {}, but none arrived within {} ms{}",
                            item.matchers.describe(&self.vars),
                            expectation.within.as_millis(),
                            session_note(&error)
                        ),
                        details: Vec::new(),
                        near_misses: Vec::new(),
                        requirement: proven_by([item]),
                    });
                }
                Err(error) => {
                    let (details, near_misses) =
                        explain(actor, inbox, cursor, channel, item, &self.vars);
                    return Err(Failure {
                        check: "expect",
                        message: format!(
                            "{actor}: no notification matching {} within {} ms{}",
                            item.matchers.describe(&self.vars),
                            expectation.within.as_millis(),
                            session_note(&error)
                        ),
                        details,
                        near_misses,
                        requirement: proven_by([item]),
                    });
                }
            };
            if !fits(&item.matchers, &delivery.data, &self.vars, relaxed)
                && let Err(why) = item.matchers.check(&delivery.data, &self.vars)
            {
                let mut details = vec![short(&delivery.data)];
                details.extend(mismatch_diff(&why));
                return Err(Failure {
                    check: "expect.order",
                    message: format!(
                        "{actor}: the next notification (#{}) does not match {}: {why}",
                        delivery.seq,
                        item.matchers.describe(&self.vars)
                    ),
                    details,
                    near_misses: near_miss(actor, delivery.seq, &why, "")
                        .into_iter()
                        .collect(),
                    requirement: proven_by([item]),
                });
            }
            self.capture_what_is_there(&item.captures, &delivery.data);
            cursor = delivery.next();
            pairs.push((item, delivery));
        }
        Ok(Matched { pairs, end: cursor })
    }

    /// Reports that every item of an ordered expectation arrived, but not in the listed order
    /// (or, for `exact`, with others in between): what arrived, and which item each matched.
    fn out_of_order(
        &mut self,
        expectation: &Expectation,
        inbox: &Fresh<'_>,
        from: Cursor,
        channel: &ChannelPattern,
        matched: &Matched<'_>,
    ) {
        let position = |item: &ExpectedNotification| {
            expectation
                .items
                .iter()
                .position(|i| std::ptr::eq(i, item))
                .map_or(0, |p| p + 1)
        };
        let details = inbox
            .snapshot()
            .into_iter()
            .filter(|d| d.next() > from && d.next() <= matched.end && d.on(channel))
            .map(|d| {
                let item = matched
                    .pairs
                    .iter()
                    .find(|(_, m)| m.seq == d.seq)
                    .map_or_else(
                        || "no item".to_owned(),
                        |(i, _)| format!("item {}", position(i)),
                    );
                format!("#{} ({item}): {}", d.seq, short(&d.data))
            })
            .collect();
        let requirement = expectation
            .order_requirement
            .clone()
            .unwrap_or_else(|| self.current_requirement());
        let how = if expectation.order == Order::Exact {
            "exactly in the listed order, with nothing in between"
        } else {
            "in the listed order"
        };
        self.finding(Finding {
            check: "expect.order".to_owned(),
            requirement,
            verdict: Verdict::Fail,
            message: format!(
                "{}: every expected notification arrived, but not {how}",
                expectation.actor
            ),
            details,
        });
    }

    /// Matches every item to distinct notifications in any order.
    async fn match_any<'e>(
        &mut self,
        expectation: &'e Expectation,
        search: &Search<'_>,
        from: Cursor,
    ) -> Result<Matched<'e>, Failure> {
        let Search {
            inbox,
            channel,
            deadline,
            relaxed,
        } = *search;
        let inbox = &inbox;
        let wanted = wanted(expectation);
        let mut seen = from;
        loop {
            let received: Vec<Delivery> = inbox
                .snapshot()
                .into_iter()
                .filter(|d| d.next() > from && d.on(channel))
                .collect();
            // Passes until nothing more matches: an item may use what another captured (an
            // ordered expectation checked in any order), so it can only match after that one.
            let mut used: Vec<Option<&Delivery>> = vec![None; wanted.len()];
            let mut progress = true;
            while progress {
                progress = false;
                for (slot, item) in wanted.iter().enumerate() {
                    if used[slot].is_some() {
                        continue;
                    }
                    used[slot] = received.iter().find(|d| {
                        !used.iter().flatten().any(|u| u.seq == d.seq)
                            && fits(&item.matchers, &d.data, &self.vars, relaxed)
                    });
                    if let Some(delivery) = used[slot] {
                        self.capture_what_is_there(&item.captures, &delivery.data);
                        progress = true;
                    }
                }
            }
            if used.iter().all(Option::is_some) {
                let pairs: Vec<_> = wanted
                    .iter()
                    .zip(used.iter().flatten())
                    .map(|(item, delivery)| (*item, (*delivery).clone()))
                    .collect();
                let end = pairs.iter().map(|(_, d)| d.next()).fold(from, Cursor::max);
                return Ok(Matched { pairs, end });
            }
            if let Some(last) = received.last() {
                seen = seen.max(last.next());
            }
            if let Err(error) = inbox
                .wait_for(seen, "another notification", |d| d.on(channel), deadline)
                .await
            {
                let missing = wanted
                    .iter()
                    .zip(&used)
                    .filter(|(_, u)| u.is_none())
                    .map(|(item, _)| &item.matchers);
                // Every notification looked at is a near miss where it differs from a missing
                // item, the ones other items took included: the item may be missing because
                // what came was not what it describes (a list already holding someone).
                let near_misses =
                    near_misses(&expectation.actor, &received, missing.clone(), &self.vars);
                let requirement = proven_by(
                    wanted
                        .iter()
                        .zip(&used)
                        .filter(|(_, u)| u.is_none())
                        .map(|(item, _)| *item),
                );
                let missing: Vec<String> = missing.map(|m| m.describe(&self.vars)).collect();
                let details = received
                    .iter()
                    .map(|d| format!("#{}: {}", d.seq, short(&d.data)))
                    .collect();
                return Err(Failure {
                    check: "expect",
                    message: format!(
                        "{}: within {} ms, no notification matched: {}{}",
                        expectation.actor,
                        expectation.within.as_millis(),
                        missing.join("; "),
                        session_note(&error)
                    ),
                    details,
                    near_misses,
                    requirement,
                });
            }
        }
    }

    /// Matches every entry of `expectation.entries` to a distinct log entry among the
    /// `messages` of the MessageLogUpdated notifications after `from`, in any order and any
    /// grouping; the cursor goes past the last notification used.
    async fn match_entries<'e>(
        &mut self,
        expectation: &'e Expectation,
        search: &Search<'_>,
        from: Cursor,
    ) -> Result<Matched<'e>, Failure> {
        let Search {
            inbox,
            channel,
            deadline,
            relaxed,
        } = *search;
        let inbox = &inbox;
        let mut seen = from;
        loop {
            let received: Vec<Delivery> = inbox
                .snapshot()
                .into_iter()
                .filter(|d| d.next() > from && d.on(channel))
                .collect();
            // Every entry of every log update, with the notification it came in.
            let logged: Vec<(&Delivery, &Value)> = received
                .iter()
                .flat_map(|d| {
                    d.data
                        .get("messages")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .map(move |entry| (d, entry))
                })
                .collect();
            let mut used: Vec<Option<usize>> = vec![None; expectation.entries.len()];
            for (slot, matchers) in expectation.entries.iter().enumerate() {
                used[slot] = (0..logged.len()).find(|i| {
                    !used.contains(&Some(*i)) && fits(matchers, logged[*i].1, &self.vars, relaxed)
                });
            }
            if used.iter().all(Option::is_some) {
                let end = used
                    .iter()
                    .flatten()
                    .map(|i| logged[*i].0.next())
                    .fold(from, Cursor::max);
                return Ok(Matched {
                    pairs: Vec::new(),
                    end,
                });
            }
            if let Some(last) = received.last() {
                seen = seen.max(last.next());
            }
            if let Err(error) = inbox
                .wait_for(seen, "another notification", |d| d.on(channel), deadline)
                .await
            {
                let missing = expectation
                    .entries
                    .iter()
                    .zip(&used)
                    .filter(|(_, u)| u.is_none())
                    .map(|(matchers, _)| matchers);
                let vars = &self.vars;
                let near_misses = logged
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !used.contains(&Some(*i)))
                    .flat_map(|(_, (delivery, entry))| {
                        let position = entry_position(delivery, entry);
                        missing.clone().filter_map(move |matchers| {
                            let why = matchers.check(entry, vars).err()?;
                            near_miss(
                                &expectation.actor,
                                delivery.seq,
                                &why,
                                &format!("messages.{position}."),
                            )
                        })
                    })
                    .collect();
                let missing: Vec<String> = missing.map(|m| m.describe(&self.vars)).collect();
                return Err(Failure {
                    check: "expect",
                    message: format!(
                        "{}: within {} ms, no log entry matched: {}{}",
                        expectation.actor,
                        expectation.within.as_millis(),
                        missing.join("; "),
                        session_note(&error)
                    ),
                    details: received
                        .iter()
                        .map(|d| format!("#{}: {}", d.seq, short(&d.data)))
                        .collect(),
                    near_misses,
                    requirement: None,
                });
            }
        }
    }

    /// Sets the captures a matched notification has values for (the rest are reported when the
    /// expectation as a whole has matched).
    fn capture_what_is_there(&mut self, captures: &[Capture], document: &Value) {
        for capture in captures {
            if let Some(value) = capture.path.lookup(document) {
                self.vars.set(capture.name.clone(), value.clone());
            }
        }
    }

    /// Feeds the run's quiet calibration with the delivery latency of each notification an
    /// expectation matched: from the start of the last operation step before it (the latest
    /// thing that could have caused it) to its arrival. One that arrived before that step began
    /// was caused earlier and says nothing of the latency.
    fn observe_latencies(&self, matched: &Matched<'_>) {
        let Some(current) = self.step else {
            return;
        };
        let Some(began) = self.operation_began(current) else {
            return;
        };
        for (_, delivery) in &matched.pairs {
            if let Some(latency) = delivery.received_at.checked_duration_since(began) {
                self.ctx.quiet.observe(latency);
            }
        }
    }

    /// The requirement an unexpected notification of `actor` that arrived `at` is charged to:
    /// when it came before the last operation step before the current one began (so that
    /// operation did not cause it), the requirement of the actor's previous expectation, whose
    /// window it arrived in; otherwise the current step's. Before any operation, the current
    /// step's previous step stands in for it.
    fn requirement_of_arrival(&self, actor: &str, at: Instant) -> String {
        let Some(current) = self.step else {
            return self.current_requirement();
        };
        let cause_began = self.operation_began(current).or_else(|| {
            let previous = current.checked_sub(1)?;
            self.step_started.get(previous).copied()
        });
        let before_cause = cause_began.is_some_and(|began| at < began);
        let earlier_expectation = self.scenario.steps[..current].iter().rev().find(|step| {
            matches!(&step.action, crate::scenario::model::Action::Expect(e) if e.actor == actor)
        });
        match earlier_expectation.and_then(|step| step.covers.first()) {
            Some(requirement) if before_cause => requirement.clone(),
            _ => self.current_requirement(),
        }
    }

    /// When the last operation step before step `current` began: the latest thing that could
    /// have caused what an expectation at `current` looks at.
    pub(crate) fn operation_began(&self, current: usize) -> Option<Instant> {
        self.scenario.steps[..current]
            .iter()
            .zip(&self.step_started)
            .rev()
            .find(|(step, _)| step.action.is_operation())
            .map(|(_, began)| *began)
    }

    /// A notification matched an item: note a documented variant, diff a fixture, capture.
    fn matched(
        &mut self,
        actor: &str,
        item: &ExpectedNotification,
        delivery: &Delivery,
    ) -> Result<(), StepError> {
        if let Ok(notes) = item.matchers.check(&delivery.data, &self.vars)
            && notes.documented_variant
        {
            // The seed example's variant is a variant of the Coach capability set.
            self.located(Located::at(
                Finding {
                    check: "expect.documented-variant".to_owned(),
                    requirement: Mode::Coach.capability_requirement().to_owned(),
                    verdict: Verdict::NonStrict,
                    message: "the capabilities are the seed example's variant (SwitchBargeIn, no AddComment), not the table's".to_owned(),
                    details: vec![short(&delivery.data)],
                },
                actor,
                delivery.seq,
            ));
        }
        if let Some(fixture) = &item.fixture
            && let Some(finding) = self
                .ctx
                .verifier
                .compare_with_fixture(fixture, &delivery.data)
        {
            self.located(Located::at(finding, actor, delivery.seq));
        }
        self.capture(&item.captures, &delivery.data, "notification")
    }
}
