//! The inbox: an append-only log of every message the server delivered and of every session
//! event, with waits that cannot miss anything.
//!
//! Waits never clear the log. They check what is already there first and then sleep on a
//! `watch` channel, which remembers that a change happened even when nobody was waiting, so a
//! message that arrives between "check" and "sleep" still wakes the waiter.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::watch;

use crate::bayeux::{ChannelName, ChannelPattern};

/// How many arrivals a [`WaitError`] lists, so an error stays readable.
const LISTED: usize = 20;
/// How much of a message's `data` a [`WaitError`] shows.
const DATA_CHARS: usize = 200;

/// One non-meta message the server delivered.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Position in the inbox: 0 for the first message of the session, then 1, 2, ...
    pub seq: u64,
    /// The channel the message was published on, as sent by the server.
    pub channel: String,
    /// The message's `data` (`null` if it had none); shared, since every wait hands out a copy
    /// of the delivery.
    pub data: Arc<Value>,
    /// When the reply carrying it was read.
    pub received_at: Instant,
    /// Whether it came back in a redelivered block: the reply carrying it began with two or
    /// more messages equal to the ones that ended the previous reply, and it is one of them.
    /// A server repeating what a reconnect already delivered does that; a server sending a new
    /// notification that happens to equal an earlier one does not repeat a whole block.
    pub redelivered: bool,
}

/// The fewest messages a repeated block has for [`Delivery::redelivered`]: one message equal
/// to the one before it is left to the notification-level rules.
const REDELIVERED_BLOCK: usize = 2;

impl Delivery {
    /// Whether the message's channel matches `pattern`.
    pub fn on(&self, pattern: &ChannelPattern) -> bool {
        ChannelName::parse(&self.channel).is_ok_and(|channel| pattern.matches(&channel))
    }

    /// The cursor just after this message: wait from it for "the next" match.
    pub fn next(&self) -> Cursor {
        Cursor(self.seq + 1)
    }

    fn summary(&self) -> String {
        let data: String = self.data.to_string().chars().take(DATA_CHARS).collect();
        format!("#{} {} {data}", self.seq, self.channel)
    }
}

/// How many messages at the start of `reply` repeat (channel and data) the same number at the
/// end of `previous`: the longest such block of at least [`REDELIVERED_BLOCK`], else 0.
fn repeated_block(previous: &[Delivery], reply: &[Delivery]) -> usize {
    let same = |a: &Delivery, b: &Delivery| a.channel == b.channel && a.data == b.data;
    (REDELIVERED_BLOCK..=previous.len().min(reply.len()))
        .rev()
        .find(|&n| {
            previous[previous.len() - n..]
                .iter()
                .zip(&reply[..n])
                .all(|(a, b)| same(a, b))
        })
        .unwrap_or(0)
}

/// A position in the inbox; waits from a cursor only consider messages at or after it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cursor(u64);

impl Cursor {
    /// The start of the session: every message ever delivered.
    pub const START: Cursor = Cursor(0);
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndReason {
    /// The caller disconnected.
    Disconnected,
    /// The server advised `reconnect: none`.
    AdvisedNone,
    /// Requests kept failing; the text says how.
    Failed(String),
}

impl fmt::Display for EndReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Disconnected => f.write_str("disconnected by the client"),
            Self::AdvisedNone => f.write_str("server advised reconnect none"),
            Self::Failed(why) => write!(f, "failed: {why}"),
        }
    }
}

/// Something that happened to the session, other than a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    /// The server forgot the client (or advised a handshake); the client handshook again and
    /// resubscribed. Messages published in between may have been lost.
    Rehandshake {
        /// The client id the server no longer knew.
        old_client_id: String,
        /// The client id of the new session.
        new_client_id: String,
        /// The patterns subscribed again.
        resubscribed: Vec<String>,
    },
    /// One request failed at the transport level and will be retried (or was the last try).
    TransportError {
        /// The meta channel of the request.
        channel: String,
        /// Which attempt failed, from 1.
        attempt: u32,
        /// What went wrong.
        error: String,
    },
    /// The server's reply to one of the client's meta messages (handshake, connect,
    /// subscribe, ...), as received, for checks of the Bayeux protocol itself. Every reply is
    /// recorded but the successful connect replies after a session's first one.
    MetaReply {
        /// The meta channel.
        channel: String,
        /// The reply message.
        reply: Value,
    },
    /// The session is over; nothing more will be delivered.
    Ended(EndReason),
}

/// A wait that did not find what it was waiting for.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WaitError {
    /// The deadline passed.
    #[error("timed out after {waited:?} waiting for {what}; received {}", list(.received))]
    Timeout {
        /// What was waited for, as the caller described it.
        what: String,
        /// How long the wait lasted.
        waited: Duration,
        /// What did arrive in the waited range (the last few, summarised).
        received: Vec<String>,
    },
    /// The session ended, so it can never arrive.
    #[error("session ended ({reason}) while waiting for {what}; received {}", list(.received))]
    SessionEnded {
        /// What was waited for.
        what: String,
        /// Why the session ended.
        reason: EndReason,
        /// What did arrive in the waited range.
        received: Vec<String>,
    },
}

fn list(received: &[String]) -> String {
    match received.len() {
        0 => "nothing".to_owned(),
        n if n > LISTED => format!("{n}, last {LISTED}: {}", received[n - LISTED..].join("; ")),
        n => format!("{n}: {}", received.join("; ")),
    }
}

#[derive(Debug, Default)]
struct Log {
    messages: Vec<Delivery>,
    /// How many messages the latest reply that carried any delivered (the tail of `messages`).
    last_reply: usize,
    /// Parallel to `messages`: claimed by [`Inbox::take`]. Atomic so a claim can be made while
    /// only holding the watch channel's read lock, inside the wait's check.
    taken: Vec<AtomicBool>,
    /// The position of `messages[0]`: those before it were let go ([`Inbox::release`]).
    base: u64,
    events: Vec<SessionEvent>,
    ended: Option<EndReason>,
    /// When the latest long-poll reply that delivered nothing came back.
    last_empty_poll: Option<Instant>,
}

impl Log {
    fn since(&self, from: Cursor) -> &[Delivery] {
        let from = usize::try_from(from.0.saturating_sub(self.base)).unwrap_or(usize::MAX);
        self.messages.get(from..).unwrap_or_default()
    }

    /// The position after the last message.
    fn end(&self) -> u64 {
        self.base + self.messages.len() as u64
    }

    fn summaries(&self, from: Cursor) -> Vec<String> {
        self.since(from).iter().map(Delivery::summary).collect()
    }
}

/// Everything one session received. Cheap to clone; clones share the log.
#[derive(Debug, Clone)]
pub struct Inbox {
    log: Arc<watch::Sender<Log>>,
}

impl Inbox {
    pub(crate) fn new() -> Self {
        Self {
            log: Arc::new(watch::Sender::new(Log::default())),
        }
    }

    /// Numbers this inbox's messages after those of `earlier`, the same actor's session that a
    /// new login replaced, so that an actor's notifications keep one numbering across its
    /// sessions (a notification is named by actor and number in findings and reports). Called
    /// before anything reads this inbox; what it already holds is renumbered.
    pub(crate) fn continue_after(&self, earlier: &Inbox) {
        let offset = earlier.log.borrow().end();
        self.log.send_modify(|log| {
            log.base += offset;
            for delivery in &mut log.messages {
                delivery.seq += offset;
            }
        });
    }

    /// Files the messages one reply delivered, as `(channel, message)`, all at once (so no wait
    /// sees half a reply), marking a block that repeats the end of the previous reply.
    pub(crate) fn push_reply(&self, messages: Vec<(String, Value)>) {
        if messages.is_empty() {
            return;
        }
        self.log.send_modify(|log| {
            let received_at = Instant::now();
            let start = log.messages.len();
            for (channel, message) in messages {
                let data = match message {
                    Value::Object(mut message) => message.remove("data").unwrap_or(Value::Null),
                    _ => Value::Null,
                };
                let seq = log.end();
                log.messages.push(Delivery {
                    seq,
                    channel,
                    data: Arc::new(data),
                    received_at,
                    redelivered: false,
                });
                log.taken.push(AtomicBool::new(false));
            }
            let previous_start = start - log.last_reply.min(start);
            let (earlier, reply) = log.messages.split_at_mut(start);
            let block = repeated_block(&earlier[previous_start..], reply);
            for delivery in &mut reply[..block] {
                delivery.redelivered = true;
            }
            log.last_reply = reply.len();
        });
    }

    /// Notes that a long-poll (`/meta/connect`) reply came back delivering nothing: the server
    /// had nothing for this client while it held the request. Quiet windows may end on it
    /// ([`Inbox::wait_unless_settled`]).
    pub(crate) fn note_empty_poll(&self) {
        self.log
            .send_modify(|log| log.last_empty_poll = Some(Instant::now()));
    }

    pub(crate) fn push_event(&self, event: SessionEvent) {
        self.log.send_modify(|log| log.events.push(event));
    }

    /// Marks the session over; the first reason wins, later calls change nothing.
    pub(crate) fn end(&self, reason: EndReason) {
        self.log.send_if_modified(|log| {
            if log.ended.is_some() {
                return false;
            }
            log.ended = Some(reason.clone());
            log.events.push(SessionEvent::Ended(reason));
            true
        });
    }

    /// The position after everything received so far. Take it *before* triggering an operation
    /// and wait from it, to see only what the operation caused.
    pub fn cursor(&self) -> Cursor {
        Cursor(self.log.borrow().end())
    }

    /// The position of the first message received at or after `instant` (the end, if none
    /// was): wait from it to see only what arrived since.
    pub fn cursor_since(&self, instant: Instant) -> Cursor {
        let log = self.log.borrow();
        let first = log.messages.iter().find(|d| d.received_at >= instant);
        first.map_or(Cursor(log.end()), |d| Cursor(d.seq))
    }

    /// Lets go of the messages before `before` (positions stay: [`Inbox::cursor`] counts
    /// them, waits see only what is kept), but for those of the latest reply, which the next
    /// one may repeat ([`Delivery::redelivered`]). For a client that keeps what it took itself:
    /// a replay of a day's capture would otherwise hold every notification twice.
    pub fn release(&self, before: Cursor) {
        self.log.send_if_modified(|log| {
            let repeatable = log.messages.len() - log.last_reply;
            let asked = usize::try_from(before.0.saturating_sub(log.base)).unwrap_or(usize::MAX);
            let end = asked.min(repeatable);
            log.messages.drain(..end);
            log.taken.drain(..end);
            log.base += end as u64;
            // Nobody waits for messages to go.
            false
        });
    }

    /// Every message received so far and not let go ([`Inbox::release`]), in arrival order.
    pub fn snapshot(&self) -> Vec<Delivery> {
        self.log.borrow().messages.clone()
    }

    /// Every session event so far, in order.
    pub fn events(&self) -> Vec<SessionEvent> {
        self.log.borrow().events.clone()
    }

    /// How many times the client had to handshake again.
    pub fn rehandshakes(&self) -> usize {
        let log = self.log.borrow();
        log.events
            .iter()
            .filter(|e| matches!(e, SessionEvent::Rehandshake { .. }))
            .count()
    }

    /// Why the session ended, if it has.
    pub fn ended(&self) -> Option<EndReason> {
        self.log.borrow().ended.clone()
    }

    /// The first message at or after `from` that satisfies `matches`, waiting until `deadline`
    /// for it. Does not consume anything: for "the next X" in order, wait again from
    /// [`Delivery::next`]. `what` describes the message for the error.
    pub async fn wait_for(
        &self,
        from: Cursor,
        what: &str,
        matches: impl Fn(&Delivery) -> bool,
        deadline: Instant,
    ) -> Result<Delivery, WaitError> {
        let check = |log: &Log| log.since(from).iter().find(|d| matches(d)).cloned();
        self.wait(what, deadline, check, |log| log.summaries(from))
            .await
    }

    /// [`Inbox::wait_for`] for a quiet window: `Ok(None)` when a long-poll reply came back
    /// empty after `settled_after` (the server had nothing more for the client) before any
    /// message that `matches` arrived.
    pub async fn wait_unless_settled(
        &self,
        from: Cursor,
        what: &str,
        matches: impl Fn(&Delivery) -> bool,
        settled_after: Instant,
        deadline: Instant,
    ) -> Result<Option<Delivery>, WaitError> {
        let check = |log: &Log| match log.since(from).iter().find(|d| matches(d)) {
            Some(found) => Some(Some(found.clone())),
            None => log
                .last_empty_poll
                .is_some_and(|at| at >= settled_after)
                .then_some(None),
        };
        self.wait(what, deadline, check, |log| log.summaries(from))
            .await
    }

    /// The first `count` messages at or after `from` that satisfy `matches`.
    pub async fn wait_for_count(
        &self,
        from: Cursor,
        count: usize,
        what: &str,
        matches: impl Fn(&Delivery) -> bool,
        deadline: Instant,
    ) -> Result<Vec<Delivery>, WaitError> {
        let check = |log: &Log| {
            let found: Vec<Delivery> = log
                .since(from)
                .iter()
                .filter(|d| matches(d))
                .take(count)
                .cloned()
                .collect();
            (found.len() == count).then_some(found)
        };
        let what = if count == 1 {
            what.to_owned()
        } else {
            format!("{count} x {what}")
        };
        self.wait(&what, deadline, check, |log| log.summaries(from))
            .await
    }

    /// The earliest message not yet taken that satisfies `matches`, which it then marks taken:
    /// repeated calls return distinct messages ("any X", in arrival order).
    pub async fn take(
        &self,
        what: &str,
        matches: impl Fn(&Delivery) -> bool,
        deadline: Instant,
    ) -> Result<Delivery, WaitError> {
        let check = |log: &Log| {
            let mut candidates = log.messages.iter().zip(&log.taken);
            // `swap` claims atomically, so two concurrent takers never get the same message.
            candidates
                .find(|(d, taken)| matches(d) && !taken.swap(true, Ordering::AcqRel))
                .map(|(d, _)| d.clone())
        };
        self.wait(what, deadline, check, |log| log.summaries(Cursor::START))
            .await
    }

    /// The first session event (from the start of the session) that satisfies `matches`.
    pub async fn wait_for_event(
        &self,
        what: &str,
        matches: impl Fn(&SessionEvent) -> bool,
        deadline: Instant,
    ) -> Result<SessionEvent, WaitError> {
        let check = |log: &Log| log.events.iter().find(|e| matches(e)).cloned();
        let events = |log: &Log| log.events.iter().map(|e| format!("{e:?}")).collect();
        self.wait(what, deadline, check, events).await
    }

    /// Runs `check` on the log now and after every change until it yields, the session ends, or
    /// the deadline passes; `received` lists what arrived, for the error.
    async fn wait<T>(
        &self,
        what: &str,
        deadline: Instant,
        mut check: impl FnMut(&Log) -> Option<T>,
        received: impl Fn(&Log) -> Vec<String>,
    ) -> Result<T, WaitError> {
        let started = Instant::now();
        let mut found = None;
        let mut ended = None;
        let mut changes = self.log.subscribe();
        // `wait_for` evaluates the current value before sleeping, so nothing already logged is
        // missed; the returned read guard is dropped at the end of the statement.
        let _ = tokio::time::timeout_at(
            deadline.into(),
            changes.wait_for(|log| {
                found = check(log);
                ended = log.ended.clone();
                found.is_some() || ended.is_some()
            }),
        )
        .await;
        if let Some(found) = found {
            return Ok(found);
        }
        let received = received(&self.log.borrow());
        let what = what.to_owned();
        Err(match ended {
            Some(reason) => WaitError::SessionEnded {
                what,
                reason,
                received,
            },
            None => WaitError::Timeout {
                what,
                waited: started.elapsed(),
                received,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reply(values: &[i64]) -> Vec<(String, Value)> {
        let message = |n: &i64| ("/c".to_owned(), json!({"channel": "/c", "data": {"n": n}}));
        values.iter().map(message).collect()
    }

    fn data(inbox: &Inbox) -> Vec<Value> {
        let snapshot = inbox.snapshot();
        snapshot.iter().map(|d| (*d.data).clone()).collect()
    }

    #[tokio::test]
    async fn an_empty_long_poll_after_the_minimum_ends_a_quiet_wait_and_a_message_wins() {
        let inbox = Inbox::new();
        let anything = |_: &Delivery| true;
        let start = Instant::now();
        let (minimum, deadline) = (
            start + Duration::from_millis(50),
            start + Duration::from_secs(5),
        );
        // An empty reply before the minimum proves nothing: the wait goes on to the deadline.
        inbox.note_empty_poll();
        let early = inbox
            .wait_unless_settled(
                Cursor::START,
                "x",
                anything,
                minimum,
                start + Duration::from_millis(120),
            )
            .await;
        assert!(matches!(early, Err(WaitError::Timeout { .. })), "{early:?}");
        // One after the minimum ends the window at once, with nothing found.
        let waiter = {
            let inbox = inbox.clone();
            tokio::spawn(async move {
                inbox
                    .wait_unless_settled(Cursor::START, "x", anything, Instant::now(), deadline)
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        inbox.note_empty_poll();
        assert!(matches!(waiter.await.unwrap(), Ok(None)));
        assert!(Instant::now() < deadline);
        // A message that arrived is what the wait finds, empty replies or not.
        inbox.push_reply(reply(&[1]));
        let found = inbox
            .wait_unless_settled(Cursor::START, "x", anything, start, deadline)
            .await;
        assert!(matches!(found, Ok(Some(d)) if d.data["n"] == 1));
    }

    #[test]
    fn released_messages_go_but_the_latest_reply_stays_for_redelivery() {
        let inbox = Inbox::new();
        inbox.push_reply(reply(&[1, 2]));
        inbox.push_reply(reply(&[3, 4]));
        inbox.release(Cursor(4));
        let n = |n: i64| json!({"n": n});
        assert_eq!(data(&inbox), [n(3), n(4)]);
        // The next reply repeating the latest is still seen as a redelivery.
        inbox.push_reply(reply(&[3, 4, 5]));
        let redelivered: Vec<bool> = inbox.snapshot().iter().map(|d| d.redelivered).collect();
        assert_eq!(redelivered, [false, false, true, true, false]);
        // Only what comes before the cursor goes; positions stay.
        inbox.release(Cursor(3));
        assert_eq!(data(&inbox), [n(4), n(3), n(4), n(5)]);
        assert_eq!(inbox.cursor(), Cursor(7));
        let seqs: Vec<u64> = inbox.snapshot().iter().map(|d| d.seq).collect();
        assert_eq!(seqs, [3, 4, 5, 6]);
    }
}
