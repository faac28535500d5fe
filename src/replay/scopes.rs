//! Ids as each party sees them. Two conforming servers need not share an id model: one may
//! give the whole interaction one chat id, another give each party its own (docs/rulings.md,
//! `choice-ids`), and a capture recorded against one is replayed against the other. So a
//! recorded id may stand for several replayed ids (one per party), and several recorded ids
//! for one.
//!
//! [`PartyRemaps`] keeps a [`Remap`] per party (an actor of the group), learned only from what
//! that party itself was answered and notified, and one learned from everyone's. A party's
//! requests and recorded notifications are remapped by its own pairs first, then by
//! everyone's (an id it never saw itself, such as a user id another party looked up). A
//! contradiction between parties is no conflict: it is the other id model; one within a party
//! is.

use super::remap::{Lookup, Origin, Remap, pairs};
use serde_json::Value;

/// Every party's pairs, and everyone's.
#[derive(Debug)]
pub struct PartyRemaps {
    everyone: Remap,
    parties: Vec<Remap>,
}

impl PartyRemaps {
    /// Nothing learned yet for `parties` parties, beyond what `everyone` already holds (the
    /// user names `--user` maps).
    pub fn new(parties: usize, everyone: Remap) -> Self {
        Self {
            everyone,
            parties: (0..parties).map(|_| Remap::default()).collect(),
        }
    }

    /// Learns the id pairs of a document `party` was given in the recording and in the replay.
    pub fn learn(&mut self, party: usize, recorded: &Value, replayed: &Value, origin: Origin) {
        // One walk of the documents for both: each learns the same pairs in the same order.
        let mut own = self.parties.get_mut(party);
        let everyone = &mut self.everyone;
        pairs(recorded, replayed, origin, &mut |pair| {
            if let Some(own) = own.as_deref_mut() {
                own.take(pair);
            }
            everyone.take(pair);
        });
    }

    /// How `party` maps ids.
    pub fn party(&self, party: usize) -> PartyIds<'_> {
        PartyIds {
            own: self.parties.get(party),
            everyone: &self.everyone,
        }
    }

    /// How many pairs a party learned that contradicted ones it had learned before (and were
    /// ignored).
    pub fn conflicts(&self) -> usize {
        self.parties.iter().map(Remap::conflicts).sum()
    }
}

/// One party's view of the ids: its own pairs, then everyone's.
#[derive(Debug, Clone, Copy)]
pub struct PartyIds<'a> {
    own: Option<&'a Remap>,
    everyone: &'a Remap,
}

/// How well a recorded chat and a received one can be the same chat, given the ids learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fit {
    /// The party's own pairs say they are different chats.
    Contradicted,
    /// The party's own pairs allow it; everyone's pairs do not (another id model, or another
    /// chat).
    OwnOnly,
    /// Nothing learned says either way.
    Open,
    /// The party's own pairs, or else everyone's, map the one to the other.
    Confirmed,
}

impl PartyIds<'_> {
    /// How well recorded chat id `recorded` fits received chat id `received`.
    pub fn fit(&self, recorded: Option<&str>, received: Option<&str>) -> Fit {
        let (Some(recorded), Some(received)) = (recorded, received) else {
            return Fit::Open;
        };
        // Some(true): maps it; Some(false): contradicts it; None: knows neither.
        let says = |remap: &Remap| match (remap.id(recorded), remap.recorded_id(received)) {
            (Some(mapped), _) => Some(mapped == received),
            (None, Some(_)) => Some(false),
            (None, None) => None,
        };
        match (self.own.and_then(says), says(self.everyone)) {
            (Some(false), _) => Fit::Contradicted,
            (Some(true), _) | (None, Some(true)) => Fit::Confirmed,
            (None, Some(false)) => Fit::OwnOnly,
            (None, None) => Fit::Open,
        }
    }
}

impl Lookup for PartyIds<'_> {
    fn id(&self, old: &str) -> Option<&str> {
        self.own
            .and_then(|own| own.id(old))
            .or_else(|| self.everyone.id(old))
    }

    fn origin(&self, old: &str) -> Option<&str> {
        self.own
            .and_then(|own| own.origin(old))
            .or_else(|| self.everyone.origin(old))
    }

    fn reference(&self, old: u64) -> Option<u64> {
        self.own
            .and_then(|own| own.reference(old))
            .or_else(|| self.everyone.reference(old))
    }

    fn index(&self, chat: Option<&str>, old: u64) -> Option<u64> {
        self.own
            .and_then(|own| own.index(chat, old))
            .or_else(|| self.everyone.index(chat, old))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chat(id: &str) -> Value {
        json!({"chat": {"id": id, "uri": format!("http://h/api/v2/chats/{id}")}})
    }

    #[test]
    fn one_recorded_id_maps_to_each_partys_own() {
        let mut remaps = PartyRemaps::new(2, Remap::default());
        remaps.learn(0, &chat("C"), &chat("A"), Origin::Notification);
        remaps.learn(1, &chat("C"), &chat("S"), Origin::Notification);
        assert_eq!(
            remaps.party(0).text("/api/v2/me/chats/C", None),
            "/api/v2/me/chats/A"
        );
        assert_eq!(
            remaps.party(1).text("/api/v2/me/chats/C", None),
            "/api/v2/me/chats/S"
        );
        assert_eq!(remaps.conflicts(), 0, "another id model is no conflict");
        assert_eq!(remaps.party(1).fit(Some("C"), Some("S")), Fit::Confirmed);
        assert_eq!(remaps.party(1).fit(Some("C"), Some("A")), Fit::Contradicted);
        assert_eq!(remaps.party(0).fit(Some("C"), Some("A")), Fit::Confirmed);
        let third = PartyRemaps::new(3, Remap::default());
        assert_eq!(third.party(2).fit(Some("C"), Some("Z")), Fit::Open);
        assert_eq!(
            remaps.party(1).fit(Some("D"), Some("A")),
            Fit::OwnOnly,
            "A is C's to everyone; party 1 never saw A"
        );
        remaps.parties.push(Remap::default());
        assert_eq!(
            remaps.party(2).fit(Some("C"), Some("T")),
            Fit::OwnOnly,
            "everyone maps C elsewhere; this party has not seen it"
        );
    }

    #[test]
    fn several_recorded_ids_map_to_one_and_unseen_ids_come_from_everyone() {
        let mut remaps = PartyRemaps::new(3, Remap::default());
        remaps.learn(0, &chat("Ca"), &chat("X"), Origin::Notification);
        remaps.learn(1, &chat("Cs"), &chat("X"), Origin::Notification);
        assert_eq!(remaps.party(0).id("Ca"), Some("X"));
        assert_eq!(remaps.party(1).id("Cs"), Some("X"));
        // Party 2 saw neither: everyone's first pair.
        assert_eq!(remaps.party(2).id("Ca"), Some("X"));
        assert_eq!(remaps.conflicts(), 0);
    }

    #[test]
    fn a_contradiction_within_a_party_is_a_conflict() {
        let mut remaps = PartyRemaps::new(1, Remap::default());
        remaps.learn(0, &chat("C"), &chat("A"), Origin::Notification);
        remaps.learn(0, &chat("C"), &chat("B"), Origin::Notification);
        assert_eq!(remaps.party(0).id("C"), Some("A"), "the first pair wins");
        assert!(remaps.conflicts() > 0);
    }
}
