//! Message indexes, as the target numbers them. Where a chat's `index` starts and whether it
//! skips is the server's choice (docs/rulings.md, `choice-index`); only its strict increase is
//! documented. So a recorded index is an id of its message: learned from the recorded and
//! replayed documents walked side by side, per chat (the recorded chat id, or none for a
//! customer's transcript, which names no chat), and substituted where the recording shows it.
//!
//! A transcript read asks for the messages from an index on (`?index=N`). When `N` itself was
//! never learned, the messages after the last learned index below it are what the recording
//! asked for, so `N` becomes that index's replayed value plus one.

use std::collections::BTreeMap;

/// Learned `recorded index → replayed index` pairs, per chat.
#[derive(Debug, Default)]
pub struct MessageIndexes {
    pairs: BTreeMap<(Option<String>, u64), u64>,
}

impl MessageIndexes {
    /// Learns that recorded index `old` of `chat` is `new`; `false` when it contradicts what
    /// was learned first (which stays).
    pub fn learn(&mut self, chat: Option<&str>, old: u64, new: u64) -> bool {
        *self
            .pairs
            .entry((chat.map(str::to_owned), old))
            .or_insert(new)
            == new
    }

    /// The replayed index of recorded index `old` of `chat`: as learned, else the one after
    /// the replayed value of the last learned index below it (see the module doc).
    pub fn get(&self, chat: Option<&str>, old: u64) -> Option<u64> {
        let chat = chat.map(str::to_owned);
        if let Some(new) = self.pairs.get(&(chat.clone(), old)) {
            return Some(*new);
        }
        let ((_, below), new) = self
            .pairs
            .range((chat.clone(), 0)..(chat.clone(), old))
            .next_back()?;
        (*below < old).then(|| new.saturating_add(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_are_learned_per_chat_and_extrapolated_upwards() {
        let mut indexes = MessageIndexes::default();
        assert!(indexes.learn(Some("C"), 1, 1000));
        assert!(indexes.learn(Some("C"), 2, 1001));
        assert!(indexes.learn(Some("D"), 1, 7));
        assert!(!indexes.learn(Some("C"), 2, 1005), "the first pair stays");
        assert_eq!(indexes.get(Some("C"), 2), Some(1001));
        assert_eq!(indexes.get(Some("D"), 1), Some(7));
        assert_eq!(
            indexes.get(Some("C"), 5),
            Some(1002),
            "after the last learned below"
        );
        assert_eq!(indexes.get(Some("D"), 0), None, "nothing learned below");
        assert_eq!(indexes.get(None, 1), None, "another scope");
    }
}
