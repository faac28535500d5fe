//! Generation of the opaque ids the server hands out: user ids, interaction (chat) ids,
//! participant ids, customer-side chat ids, session ids, CSRF tokens and Bayeux client ids.
//!
//! Ids are unique (a bijective mix of a counter) and unpredictable across server instances (the
//! mix is keyed by a random salt), so a harness that hard-codes an id fails against a fresh
//! server, as it would against a real one. The mix is invertible, so anyone who sees one public
//! id can compute the others; secrets (sessions, tokens, client ids, and the customer-side chat
//! id, which is all a customer presents) are therefore keyed hashes that also mix in the
//! high-resolution clock, and cannot be derived from the public ids.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

/// A source of unique, unpredictable ids. Cheap to share: all methods take `&self`.
#[derive(Debug)]
pub struct IdGen {
    salt: u64,
    counter: AtomicU64,
    secret: RandomState,
    /// Public ids are UUIDs rather than GWS-shaped (a legal variant: no format is documented).
    uuids: bool,
}

impl Default for IdGen {
    fn default() -> Self {
        Self::new()
    }
}

/// SplitMix64's finaliser: a bijection on u64, so distinct inputs give distinct ids.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl IdGen {
    /// A generator with a fresh random salt.
    pub fn new() -> Self {
        let secret = RandomState::new();
        let salt = secret.build_hasher().finish();
        Self {
            salt,
            counter: AtomicU64::new(1),
            secret,
            uuids: false,
        }
    }

    /// This generator handing out UUIDs for user, interaction and participant ids.
    pub fn with_uuids(mut self, uuids: bool) -> Self {
        self.uuids = uuids;
        self
    }

    /// A public id in the generator's style: `gws_shaped` from one counter word, or a UUID.
    fn public(&self, gws_shaped: impl FnOnce(u64) -> String) -> String {
        if self.uuids {
            return uuid_shaped(self.next(), self.next());
        }
        gws_shaped(self.next())
    }

    fn next(&self) -> u64 {
        mix(self
            .salt
            .wrapping_add(self.counter.fetch_add(1, Ordering::Relaxed)))
    }

    fn secret_word(&self) -> u64 {
        let mut hasher = self.secret.build_hasher();
        hasher.write_u64(self.next());
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        hasher.write_u128(nanos);
        hasher.finish()
    }

    /// A user id: 32 lower-case hex digits, like `90cc5439ff6848748e5e67811273f266`.
    pub fn user_id(&self) -> String {
        self.public(|word| format!("{word:016x}{:016x}", self.next()))
    }

    /// An interaction id: 16 upper-case hex digits, like the documented `0001Da9PFC93000S`.
    pub fn chat_id(&self) -> String {
        self.public(|word| format!("{word:016X}"))
    }

    /// A participant id: 16 upper-case hex digits, like `00AF5367D3D0000A`.
    pub fn participant_id(&self) -> String {
        self.public(|word| format!("{word:016X}"))
    }

    /// The id the customer side uses for its chat: UUID-shaped, like the documented
    /// `652492d9-…`, and deliberately different from the interaction id agents see. The
    /// customer API has no credentials, so this id is a secret: another customer (or an agent,
    /// who sees interaction ids) cannot compute it.
    pub fn customer_chat_id(&self) -> String {
        uuid_shaped(self.secret_word(), self.secret_word())
    }

    /// A secret token (HTTP session id, CSRF token, Bayeux client id): 32 hex digits.
    pub fn secret(&self) -> String {
        format!("{:016x}{:016x}", self.secret_word(), self.secret_word())
    }
}

/// `8-4-4-4-12` hex digits from 112 of the 128 bits of `a` and `b`.
fn uuid_shaped(a: u64, b: u64) -> String {
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_and_shaped_like_gws_ids() {
        let ids = IdGen::new();
        let mut seen = HashSet::new();
        for _ in 0..10_000 {
            assert!(seen.insert(ids.chat_id()));
        }
        assert_eq!(ids.user_id().len(), 32);
        assert_eq!(ids.participant_id().len(), 16);
        let customer = ids.customer_chat_id();
        assert_eq!(customer.len(), 36);
        assert_eq!(customer.matches('-').count(), 4);
        assert_ne!(ids.secret(), ids.secret());
    }

    /// The inverse of [`mix`], as an attacker holding one public id would write it.
    fn unmix(mut z: u64) -> u64 {
        fn unshift(x: u64, shift: u32) -> u64 {
            let mut y = x;
            for _ in 0..64 / shift {
                y = x ^ (y >> shift);
            }
            y
        }
        fn inverse(odd: u64) -> u64 {
            let mut inv = odd;
            for _ in 0..6 {
                inv = inv.wrapping_mul(2u64.wrapping_sub(odd.wrapping_mul(inv)));
            }
            inv
        }
        z = unshift(z, 31).wrapping_mul(inverse(0x94d0_49bb_1331_11eb));
        z = unshift(z, 27).wrapping_mul(inverse(0xbf58_476d_1ce4_e5b9));
        unshift(z, 30)
    }

    #[test]
    fn public_ids_do_not_reveal_the_next_customer_chat_id() {
        let ids = IdGen::new();
        let seen = u64::from_str_radix(&ids.chat_id(), 16).unwrap();
        let counter = unmix(seen);
        assert_eq!(mix(counter), seen, "the public ids are invertible");
        let predicted = uuid_shaped(mix(counter.wrapping_add(1)), mix(counter.wrapping_add(2)));
        assert_ne!(ids.customer_chat_id(), predicted);
    }

    #[test]
    fn uuid_style_hands_out_unique_uuids() {
        let ids = IdGen::new().with_uuids(true);
        let mut seen = HashSet::new();
        for id in [ids.chat_id(), ids.participant_id(), ids.user_id()] {
            assert_eq!(id.len(), 36, "{id}");
            assert_eq!(id.matches('-').count(), 4, "{id}");
            assert!(seen.insert(id));
        }
    }

    #[test]
    fn two_generators_do_not_agree() {
        assert_ne!(IdGen::new().chat_id(), IdGen::new().chat_id());
    }
}
