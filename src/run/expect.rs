//! `expect` steps: waiting, with a deadline, for the notifications an actor must receive, in
//! sequence, exactly in order, or in any order; then optionally for a quiet period. Waits read
//! the actor's inbox, which buffers from login, so nothing that arrived earlier is missed.

use std::time::Instant;

use serde_json::Value;

use super::steps::mismatch_diff;
use super::{Runner, StepError};
use crate::bayeux::ChannelPattern;
use crate::check::{Finding, Verdict};
use crate::driver::bayeux::{Cursor, Delivery, Inbox, WaitError};
use crate::scenario::model::{Expectation, ExpectedNotification, Order};
use crate::scenario::template::Variables;

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

/// For each notification received after `from` on the channel, why it does not match.
fn explain(
    inbox: &Inbox,
    from: Cursor,
    channel: &ChannelPattern,
    item: &ExpectedNotification,
    vars: &Variables,
) -> Vec<String> {
    let received: Vec<Delivery> = inbox
        .snapshot()
        .into_iter()
        .filter(|d| d.next() > from && d.on(channel))
        .collect();
    if received.is_empty() {
        return vec!["nothing arrived on the channel".to_owned()];
    }
    received
        .iter()
        .map(|d| match item.matchers.check(&d.data, vars) {
            Ok(_) => format!(
                "#{}: matches, but was taken by an earlier item: {}",
                d.seq,
                short(&d.data)
            ),
            Err(why) => match mismatch_diff(&why) {
                Some(diff) => format!("#{}: {why}\n{diff}", d.seq),
                None => format!("#{}: {why} — {}", d.seq, short(&d.data)),
            },
        })
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
        let mut cursor = session.cursor;
        let channel = ChannelPattern::parse(&expectation.channel)
            .map_err(|e| StepError::CouldNotRun(e.to_string()))?;
        let deadline = Instant::now() + expectation.within;
        let actor = expectation.actor.as_str();
        match expectation.order {
            Order::Sequence => {
                for item in &expectation.items {
                    for _ in 0..item.count {
                        let vars = self.vars.clone();
                        let found = inbox
                            .wait_for(
                                cursor,
                                &item.matchers.describe(&self.vars),
                                |d| d.on(&channel) && item.matchers.check(&d.data, &vars).is_ok(),
                                deadline,
                            )
                            .await;
                        match found {
                            Ok(delivery) => {
                                self.matched(item, &delivery)?;
                                cursor = delivery.next();
                            }
                            Err(error) => {
                                let details = explain(&inbox, cursor, &channel, item, &self.vars);
                                return Err(self.fail(
                                    "expect",
                                    format!(
                                        "{actor}: no notification matching {} within {} ms{}",
                                        item.matchers.describe(&self.vars),
                                        expectation.within.as_millis(),
                                        session_note(&error)
                                    ),
                                    details,
                                ));
                            }
                        }
                    }
                }
            }
            Order::Exact => {
                for item in &expectation.items {
                    for _ in 0..item.count {
                        let next = inbox
                            .wait_for(
                                cursor,
                                "the next notification",
                                |d| d.on(&channel),
                                deadline,
                            )
                            .await;
                        let delivery = match next {
                            Ok(delivery) => delivery,
                            Err(error) => {
                                return Err(self.fail(
                                    "expect",
                                    format!(
                                        "{actor}: expected next a notification matching {}, but none arrived within {} ms{}",
                                        item.matchers.describe(&self.vars),
                                        expectation.within.as_millis(),
                                        session_note(&error)
                                    ),
                                    Vec::new(),
                                ));
                            }
                        };
                        if let Err(why) = item.matchers.check(&delivery.data, &self.vars) {
                            let mut details = vec![short(&delivery.data)];
                            details.extend(mismatch_diff(&why));
                            return Err(self.fail(
                                "expect.order",
                                format!(
                                    "{actor}: the next notification (#{}) does not match {}: {why}",
                                    delivery.seq,
                                    item.matchers.describe(&self.vars)
                                ),
                                details,
                            ));
                        }
                        self.matched(item, &delivery)?;
                        cursor = delivery.next();
                    }
                }
            }
            Order::Any => {
                cursor = self
                    .expect_any(expectation, &inbox, cursor, &channel, deadline)
                    .await?
            }
        }
        if let Some(quiet) = expectation.quiet {
            let until = Instant::now() + quiet;
            if let Ok(extra) = inbox
                .wait_for(cursor, "anything", |d| d.on(&channel), until)
                .await
            {
                return Err(self.fail(
                    "expect.quiet",
                    format!(
                        "{actor}: expected nothing more for {} ms, got notification #{}",
                        quiet.as_millis(),
                        extra.seq
                    ),
                    vec![short(&extra.data)],
                ));
            }
        }
        if let Some(session) = self.agents.get_mut(actor) {
            session.cursor = cursor;
        }
        Ok(())
    }

    /// Matches every item to distinct notifications in any order; returns the cursor after
    /// the last one used.
    async fn expect_any(
        &mut self,
        expectation: &Expectation,
        inbox: &Inbox,
        from: Cursor,
        channel: &ChannelPattern,
        deadline: Instant,
    ) -> Result<Cursor, StepError> {
        let wanted: Vec<&ExpectedNotification> = expectation
            .items
            .iter()
            .flat_map(|item| std::iter::repeat_n(item, item.count as usize))
            .collect();
        let mut seen = from;
        loop {
            let received: Vec<Delivery> = inbox
                .snapshot()
                .into_iter()
                .filter(|d| d.next() > from && d.on(channel))
                .collect();
            let mut used: Vec<Option<&Delivery>> = vec![None; wanted.len()];
            for (slot, item) in wanted.iter().enumerate() {
                used[slot] = received.iter().find(|d| {
                    !used.iter().flatten().any(|u| u.seq == d.seq)
                        && item.matchers.check(&d.data, &self.vars).is_ok()
                });
            }
            if used.iter().all(Option::is_some) {
                let mut end = from;
                for (item, delivery) in wanted.iter().zip(used.iter().flatten()) {
                    self.matched(item, delivery)?;
                    end = end.max(delivery.next());
                }
                return Ok(end);
            }
            if let Some(last) = received.last() {
                seen = seen.max(last.next());
            }
            if let Err(error) = inbox
                .wait_for(seen, "another notification", |d| d.on(channel), deadline)
                .await
            {
                let missing: Vec<String> = wanted
                    .iter()
                    .zip(&used)
                    .filter(|(_, u)| u.is_none())
                    .map(|(item, _)| item.matchers.describe(&self.vars))
                    .collect();
                let details = received
                    .iter()
                    .map(|d| format!("#{}: {}", d.seq, short(&d.data)))
                    .collect();
                return Err(self.fail(
                    "expect",
                    format!(
                        "{}: within {} ms, no notification matched: {}{}",
                        expectation.actor,
                        expectation.within.as_millis(),
                        missing.join("; "),
                        session_note(&error)
                    ),
                    details,
                ));
            }
        }
    }

    /// A notification matched an item: note a documented variant, diff a fixture, capture.
    fn matched(
        &mut self,
        item: &ExpectedNotification,
        delivery: &Delivery,
    ) -> Result<(), StepError> {
        if let Ok(notes) = item.matchers.check(&delivery.data, &self.vars)
            && notes.documented_variant
        {
            let requirement = self.current_requirement();
            self.finding(Finding {
                check: "expect.documented-variant".to_owned(),
                requirement,
                verdict: Verdict::NonStrict,
                message: "the capabilities are the seed example's variant (SwitchBargeIn, no AddComment), not the table's".to_owned(),
                details: vec![short(&delivery.data)],
            });
        }
        if let Some(fixture) = &item.fixture
            && let Some(finding) = self
                .ctx
                .verifier
                .compare_with_fixture(fixture, &delivery.data)
        {
            self.finding(finding);
        }
        self.capture(&item.captures, &delivery.data, "notification")
    }
}
