//! The customer's transcript reads (`GET /api/v2/chats/{id}/messages[?index=N]`), checked on
//! every read of every scenario (`invariant.transcript`, requirement `CUSTOMER-TRANSCRIPT`). The
//! GetMessages page: `index` is "the index of the first entry to return. If not specified, Web
//! Services returns messages that the client has not received yet"; "index=0 will return all
//! messages". So:
//! - the entries of one read are in increasing index order;
//! - with `index=N`, no entry has an index below N;
//! - without `index`, no entry is one this customer already received in an earlier read.
//!
//! Which entries the customer may see at all is [`super::visibility`]'s to judge.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::{Finding, Verdict};

/// The requirement every transcript finding cites.
pub const REQUIREMENT: &str = "CUSTOMER-TRANSCRIPT";

/// The checker; one per scenario run.
#[derive(Debug, Default)]
pub struct Transcripts {
    /// The indexes each customer chat (by its customer-side id) has handed out so far.
    received: HashMap<String, HashSet<u64>>,
}

/// The `index` query parameter of a messages URL: `None` when absent, `Some(None)` when not a
/// number.
fn index_asked(url: &str) -> Option<Option<u64>> {
    let query = url.split_once('?')?.1;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("index="))
        .map(|n| n.parse().ok())
}

impl Transcripts {
    /// A checker that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks one read of customer chat `chat` at `url`, answered with `body`.
    pub fn observe(
        &mut self,
        customer: &str,
        chat: &str,
        url: &str,
        body: &Value,
    ) -> Option<Finding> {
        let messages = body.get("messages")?.as_array()?;
        let indexes: Vec<u64> = messages
            .iter()
            .filter_map(|m| m.get("index").and_then(Value::as_u64))
            .collect();
        let asked = index_asked(url);
        let received = self.received.entry(chat.to_owned()).or_default();
        let mut problems = Vec::new();
        if let Some(pair) = indexes.windows(2).find(|w| w[1] <= w[0]) {
            problems.push(format!("index {} follows {} in one read", pair[1], pair[0]));
        }
        match asked {
            Some(Some(first)) => {
                let below: Vec<u64> = indexes.iter().copied().filter(|i| *i < first).collect();
                if !below.is_empty() {
                    problems.push(format!("asked from index {first}, got {below:?}"));
                }
            }
            None => {
                let again: Vec<u64> = indexes
                    .iter()
                    .copied()
                    .filter(|i| received.contains(i))
                    .collect();
                if !again.is_empty() {
                    problems.push(format!(
                        "without index, returned entries it had received already: {again:?}"
                    ));
                }
            }
            Some(None) => {}
        }
        received.extend(indexes);
        (!problems.is_empty()).then(|| Finding {
            check: "invariant.transcript".to_owned(),
            requirement: REQUIREMENT.to_owned(),
            verdict: Verdict::Fail,
            message: format!("{customer}: GET {url}: {}", problems.join("; ")),
            details: vec![body.to_string()],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(indexes: &[u64]) -> Value {
        let messages: Vec<Value> = indexes
            .iter()
            .map(|i| json!({"index": i, "type": "Text"}))
            .collect();
        json!({"statusCode": 0, "messages": messages})
    }

    const URL: &str = "http://h/api/v2/chats/K/messages";

    #[test]
    fn the_documented_reads_pass_with_any_start_and_gaps() {
        let mut t = Transcripts::new();
        assert!(t.observe("c", "K", URL, &read(&[1000, 1001])).is_none());
        assert!(
            t.observe("c", "K", URL, &read(&[1003, 1006])).is_none(),
            "only new ones"
        );
        assert!(t.observe("c", "K", URL, &read(&[])).is_none());
        assert!(
            t.observe(
                "c",
                "K",
                &format!("{URL}?index=1001"),
                &read(&[1001, 1003, 1006])
            )
            .is_none()
        );
        assert!(
            t.observe(
                "c",
                "K",
                &format!("{URL}?index=0"),
                &read(&[1000, 1001, 1003, 1006])
            )
            .is_none()
        );
    }

    #[test]
    fn an_entry_below_the_index_asked_fails() {
        let mut t = Transcripts::new();
        let found = t
            .observe("c", "K", &format!("{URL}?index=5"), &read(&[4, 5]))
            .expect("a finding");
        assert_eq!(found.requirement, REQUIREMENT);
        assert!(
            found.message.contains("asked from index 5, got [4]"),
            "{}",
            found.message
        );
    }

    #[test]
    fn repeating_what_was_received_without_index_fails() {
        let mut t = Transcripts::new();
        assert!(
            t.observe("c", "K", &format!("{URL}?index=0"), &read(&[1, 2]))
                .is_none()
        );
        let found = t.observe("c", "K", URL, &read(&[2, 3])).expect("a finding");
        assert!(
            found.message.contains("received already: [2]"),
            "{}",
            found.message
        );
        // Another chat's indexes are its own.
        assert!(t.observe("c", "L", URL, &read(&[1, 2])).is_none());
    }

    #[test]
    fn entries_out_of_order_fail_and_malformed_bodies_are_left_alone() {
        let mut t = Transcripts::new();
        let found = t
            .observe("c", "K", &format!("{URL}?index=0"), &read(&[2, 1]))
            .expect("a finding");
        assert!(
            found.message.contains("index 1 follows 2"),
            "{}",
            found.message
        );
        for body in [
            json!(null),
            json!({"messages": 3}),
            json!({"messages": [{"index": "x"}]}),
        ] {
            assert!(t.observe("c", "M", URL, &body).is_none(), "{body}");
        }
        assert!(
            t.observe("c", "M", &format!("{URL}?index=abc"), &read(&[1]))
                .is_none()
        );
    }
}
