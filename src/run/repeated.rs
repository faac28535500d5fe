//! Which of an actor's notifications repeat an earlier one ([`crate::check::repeats`]), worked
//! out once each, in arrival order, so expectations can look past repeats: NOTIF-UNIQUE is a
//! SHOULD, and a repeat must neither fail a step that expects nothing more nor count twice
//! toward what a step expects. The invariant still reports every repeat.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use std::time::Instant;

use crate::check::json::chat_key;
use crate::check::repeats::Repeats;
use crate::driver::bayeux::{Cursor, Delivery, Inbox, WaitError};

/// One actor's record.
#[derive(Debug, Default)]
pub(crate) struct Repeated {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    repeats: Repeats,
    /// The next inbox position to judge.
    next: u64,
    /// The positions judged repeats.
    seqs: HashSet<u64>,
}

impl Repeated {
    /// Judges everything received so far (`snapshot`, the inbox in order) that is not judged
    /// yet. Call it before a wait, so that the wait's predicate meets the rest in order.
    pub(crate) fn catch_up(&self, snapshot: &[Delivery]) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        for delivery in snapshot {
            state.judge(delivery);
        }
    }

    /// Whether `delivery` repeats an earlier notification. Deliveries are judged in inbox
    /// order; one met out of turn (a gap before it was never judged) counts as fresh.
    pub(crate) fn is_repeat(&self, delivery: &Delivery) -> bool {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .judge(delivery)
    }
}

/// An inbox seen without its repeats.
#[derive(Clone, Copy)]
pub(crate) struct Fresh<'a> {
    /// The actor's inbox.
    pub inbox: &'a Inbox,
    /// Its repeats.
    pub repeated: &'a Repeated,
}

impl Fresh<'_> {
    /// Every message received so far that repeats nothing, in arrival order.
    pub(crate) fn snapshot(&self) -> Vec<Delivery> {
        let all = self.inbox.snapshot();
        self.repeated.catch_up(&all);
        all.into_iter()
            .filter(|d| !self.repeated.is_repeat(d))
            .collect()
    }

    /// [`Inbox::wait_for`] among the messages that repeat nothing.
    pub(crate) async fn wait_for(
        &self,
        from: Cursor,
        what: &str,
        matches: impl Fn(&Delivery) -> bool,
        deadline: Instant,
    ) -> Result<Delivery, WaitError> {
        self.repeated.catch_up(&self.inbox.snapshot());
        // Judged first, so every delivery is judged, in order, whatever `matches` says.
        let fresh = |d: &Delivery| !self.repeated.is_repeat(d) && matches(d);
        self.inbox.wait_for(from, what, fresh, deadline).await
    }

    /// [`Inbox::wait_unless_settled`] among the messages that repeat nothing.
    pub(crate) async fn wait_unless_settled(
        &self,
        from: Cursor,
        what: &str,
        matches: impl Fn(&Delivery) -> bool,
        settled_after: Instant,
        deadline: Instant,
    ) -> Result<Option<Delivery>, WaitError> {
        self.repeated.catch_up(&self.inbox.snapshot());
        let fresh = |d: &Delivery| !self.repeated.is_repeat(d) && matches(d);
        self.inbox
            .wait_unless_settled(from, what, fresh, settled_after, deadline)
            .await
    }
}

impl State {
    fn judge(&mut self, delivery: &Delivery) -> bool {
        if delivery.seq < self.next {
            return self.seqs.contains(&delivery.seq);
        }
        if delivery.seq > self.next {
            return false;
        }
        self.next += 1;
        let data = &delivery.data;
        let is_chat = matches!(
            data.get("messageType").and_then(|t| t.as_str()),
            Some("ChatStateChangeMessage" | "MessageLogUpdated")
        );
        let repeat = is_chat
            && chat_key(data)
                .is_some_and(|chat| self.repeats.observe(&chat, data, delivery.redelivered));
        if repeat {
            self.seqs.insert(delivery.seq);
        }
        repeat
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use std::sync::Arc;
    use std::time::Instant;

    fn delivery(seq: u64, data: Value) -> Delivery {
        Delivery {
            seq,
            channel: "/v2/me/chats".to_owned(),
            data: Arc::new(data),
            received_at: Instant::now(),
            redelivered: false,
        }
    }

    fn log(index: u64) -> Value {
        json!({"messageType": "MessageLogUpdated", "chatUri": "http://h/api/v2/chats/C", "messages": [{"index": index}]})
    }

    #[test]
    fn repeats_are_judged_once_in_order() {
        let repeated = Repeated::default();
        let inbox = [
            delivery(0, log(1)),
            delivery(1, log(1)),
            delivery(2, log(2)),
        ];
        repeated.catch_up(&inbox[..2]);
        assert!(!repeated.is_repeat(&inbox[0]));
        assert!(repeated.is_repeat(&inbox[1]));
        assert!(!repeated.is_repeat(&inbox[2]));
        assert!(
            repeated.is_repeat(&inbox[1]),
            "asked again, the same answer"
        );
        let late = delivery(7, log(1));
        assert!(!repeated.is_repeat(&late), "out of turn counts as fresh");
    }
}
