//! User names of HTTP Basic credentials, as a recording may show them: the recording proxy
//! names the actor of each request after them (`_gwsActor`).
//!
//! A Basic user name is not always a name: some servers take an API token as the user name
//! (with an empty password), and a user who types a password into the name field sends it
//! there. So only a **known** user name, one the recorder was told of (the proxy's profile
//! users and `--known-user` names), is shown as it is. Any other is shown as a keyed
//! fingerprint, `user:` and 12 hex digits: the start of HMAC-SHA256 of the name, keyed with a
//! random key drawn for each recording, held in memory and never written. Within a recording
//! one name always gets one fingerprint and two names get two (a collision is a 48-bit
//! coincidence), so replay still tells their sessions apart; without the key nothing leads
//! back to the name, not even trying likely names, and fingerprints of two recordings cannot
//! be matched.

use std::collections::BTreeSet;

use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;

/// What a fingerprinted user name starts with.
const FINGERPRINT_PREFIX: &str = "user:";

/// Bytes of the HMAC shown (as twice as many hex digits).
const FINGERPRINT_BYTES: usize = 6;

/// No random key could be drawn from the operating system.
#[derive(Debug, thiserror::Error)]
#[error("cannot draw a random key to fingerprint user names with")]
pub struct NoRandomKey;

/// The user names one recording may show, and the key of its fingerprints for the others.
pub struct UserNames {
    known: BTreeSet<String>,
    key: hmac::Key,
}

impl std::fmt::Debug for UserNames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key stays out of any output.
        f.debug_struct("UserNames")
            .field("known", &self.known)
            .finish_non_exhaustive()
    }
}

impl UserNames {
    /// The names of a new recording: `known` shown as they are, others fingerprinted with a
    /// fresh random key.
    pub fn new(known: impl IntoIterator<Item = String>) -> Result<Self, NoRandomKey> {
        let key = hmac::Key::generate(hmac::HMAC_SHA256, &SystemRandom::new())
            .map_err(|_| NoRandomKey)?;
        Ok(Self {
            known: known.into_iter().collect(),
            key,
        })
    }

    /// `user` as the recording shows it: itself when known (exactly, case included), else its
    /// fingerprint.
    pub fn shown(&self, user: &str) -> String {
        if self.known.contains(user) {
            return user.to_owned();
        }
        let tag = hmac::sign(&self.key, user.as_bytes());
        let hex: String = tag.as_ref()[..FINGERPRINT_BYTES]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        format!("{FINGERPRINT_PREFIX}{hex}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> UserNames {
        UserNames::new(["agent1".to_owned(), "sup.one".to_owned()]).unwrap()
    }

    #[test]
    fn known_names_are_shown_and_others_fingerprinted() {
        let names = names();
        assert_eq!(names.shown("agent1"), "agent1");
        assert_eq!(names.shown("sup.one"), "sup.one");
        let token = names.shown("eyJhbGciOiJIUzI1NiJ9.token");
        assert!(token.starts_with(FINGERPRINT_PREFIX), "{token}");
        assert_eq!(
            token.len(),
            FINGERPRINT_PREFIX.len() + 2 * FINGERPRINT_BYTES
        );
        assert!(!token.contains("eyJ"));
        assert_ne!(names.shown("Agent1"), "Agent1", "known means exactly");
        assert_ne!(names.shown(""), "");
    }

    #[test]
    fn a_recording_tells_users_apart_and_two_recordings_cannot_be_matched() {
        let names = names();
        assert_eq!(names.shown("jdoe"), names.shown("jdoe"));
        assert_ne!(names.shown("jdoe"), names.shown("jdoe2"));
        assert_ne!(
            names.shown("jdoe"),
            self::names().shown("jdoe"),
            "a key per recording"
        );
        let shown = format!("{names:?}");
        assert!(
            shown.contains("agent1") && !shown.contains("key:"),
            "{shown}"
        );
    }
}
