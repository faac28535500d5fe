//! Bayeux channel names (`/v2/me/chats`) and subscription patterns (`/v2/me/*`, `/v2/me/**`).
//!
//! Bayeux 1.0 §2.2: a channel name is a `/`-separated list of segments; a pattern may end in
//! `*` (matches exactly one more segment) or `**` (matches one or more segments). Wildcards are
//! only legal as the whole last segment.

use std::fmt;

/// Why a string is not a valid channel name or pattern.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelError {
    /// The name does not start with `/`.
    #[error("channel {0:?} must start with '/'")]
    NotAbsolute(String),
    /// A segment is empty (`//` or a trailing `/`).
    #[error("channel {0:?} has an empty segment")]
    EmptySegment(String),
    /// A wildcard appears anywhere but as the whole last segment, or in a plain name.
    #[error("channel {0:?} has a wildcard outside the last segment")]
    MisplacedWildcard(String),
    /// A segment holds a character Bayeux does not allow in channel names.
    #[error("channel {0:?} has a character not allowed in a channel name")]
    BadCharacter(String),
}

fn segments(name: &str) -> Result<Vec<&str>, ChannelError> {
    let rest = name
        .strip_prefix('/')
        .ok_or_else(|| ChannelError::NotAbsolute(name.to_owned()))?;
    let segments: Vec<&str> = rest.split('/').collect();
    for segment in &segments {
        if segment.is_empty() {
            return Err(ChannelError::EmptySegment(name.to_owned()));
        }
        // Bayeux §2.2.1 allows alphanumerics and a small set of marks; `*` is handled by callers.
        let allowed = |c: char| c.is_ascii_alphanumeric() || "-_!~()$@.*".contains(c);
        if !segment.chars().all(allowed) {
            return Err(ChannelError::BadCharacter(name.to_owned()));
        }
    }
    Ok(segments)
}

/// A concrete channel a message is published to, such as `/v2/me/chats`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChannelName(String);

impl ChannelName {
    /// Parses a concrete (wildcard-free) channel name.
    pub fn parse(name: &str) -> Result<Self, ChannelError> {
        if segments(name)?.iter().any(|s| s.contains('*')) {
            return Err(ChannelError::MisplacedWildcard(name.to_owned()));
        }
        Ok(Self(name.to_owned()))
    }

    /// The name as sent on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a `/meta/...` channel (protocol control, never subscribable).
    pub fn is_meta(&self) -> bool {
        self.0.starts_with("/meta/")
    }

    /// Whether this is a `/service/...` channel (client-to-server only, never broadcast).
    pub fn is_service(&self) -> bool {
        self.0.starts_with("/service/")
    }
}

impl fmt::Display for ChannelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Wildcard {
    None,
    /// `*`: exactly one further segment.
    One,
    /// `**`: one or more further segments.
    Deep,
}

/// A subscription pattern: a channel name whose last segment may be `*` or `**`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChannelPattern {
    text: String,
    prefix: Vec<String>,
    wildcard: Wildcard,
}

impl ChannelPattern {
    /// Parses a subscription pattern.
    pub fn parse(pattern: &str) -> Result<Self, ChannelError> {
        let mut segs = segments(pattern)?;
        let wildcard = match segs.last().copied() {
            Some("*") => Wildcard::One,
            Some("**") => Wildcard::Deep,
            _ => Wildcard::None,
        };
        if wildcard != Wildcard::None {
            segs.pop();
        }
        if segs.iter().any(|s| s.contains('*')) {
            return Err(ChannelError::MisplacedWildcard(pattern.to_owned()));
        }
        Ok(Self {
            text: pattern.to_owned(),
            prefix: segs.into_iter().map(str::to_owned).collect(),
            wildcard,
        })
    }

    /// The pattern as the client sent it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the pattern is rooted in `/meta/...`; such subscriptions are refused. (`/**` is
    /// allowed: clients use it to receive everything, and meta replies are never broadcast.)
    pub fn is_meta(&self) -> bool {
        self.prefix.first().is_some_and(|first| first == "meta")
    }

    /// Whether the pattern is rooted in `/service/...`, where nothing is ever broadcast.
    pub fn is_service(&self) -> bool {
        self.prefix.first().is_some_and(|first| first == "service")
    }

    /// Whether a message published on `channel` is delivered to this subscription.
    pub fn matches(&self, channel: &ChannelName) -> bool {
        let mut names = channel.0[1..].split('/');
        for expected in &self.prefix {
            if names.next() != Some(expected.as_str()) {
                return false;
            }
        }
        let remaining = names.count();
        match self.wildcard {
            Wildcard::None => remaining == 0,
            Wildcard::One => remaining == 1,
            Wildcard::Deep => remaining >= 1,
        }
    }
}

impl fmt::Display for ChannelPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, channel: &str) -> bool {
        ChannelPattern::parse(pattern)
            .unwrap()
            .matches(&ChannelName::parse(channel).unwrap())
    }

    #[test]
    fn exact_pattern_matches_only_itself() {
        assert!(matches("/v2/me/chats", "/v2/me/chats"));
        assert!(!matches("/v2/me/chats", "/v2/me/channels"));
        assert!(!matches("/v2/me/chats", "/v2/me/chats/x"));
        assert!(!matches("/v2/me", "/v2/me/chats"));
    }

    #[test]
    fn single_wildcard_matches_one_segment() {
        assert!(matches("/v2/me/*", "/v2/me/chats"));
        assert!(matches("/v2/me/*", "/v2/me/channels"));
        assert!(!matches("/v2/me/*", "/v2/me/chats/deeper"));
        assert!(!matches("/v2/me/*", "/v2/me"));
        assert!(!matches("/v2/*", "/v2/me/chats"));
    }

    #[test]
    fn deep_wildcard_matches_any_depth() {
        assert!(matches("/v2/me/**", "/v2/me/chats"));
        assert!(matches("/v2/**", "/v2/me/chats"));
        assert!(matches("/**", "/v2/me/chats"));
        assert!(!matches("/v2/me/**", "/v2/me"));
        assert!(!matches("/v3/**", "/v2/me/chats"));
    }

    #[test]
    fn malformed_names_are_rejected() {
        assert_eq!(
            ChannelPattern::parse("v2/me"),
            Err(ChannelError::NotAbsolute("v2/me".into()))
        );
        assert!(matches!(
            ChannelPattern::parse("/v2//me"),
            Err(ChannelError::EmptySegment(_))
        ));
        assert!(matches!(
            ChannelPattern::parse("/v2/me/"),
            Err(ChannelError::EmptySegment(_))
        ));
        assert!(matches!(
            ChannelPattern::parse("/v2/*/chats"),
            Err(ChannelError::MisplacedWildcard(_))
        ));
        assert!(matches!(
            ChannelPattern::parse("/v2/me/c*"),
            Err(ChannelError::MisplacedWildcard(_))
        ));
        assert!(matches!(
            ChannelName::parse("/v2/me/*"),
            Err(ChannelError::MisplacedWildcard(_))
        ));
        assert!(matches!(
            ChannelName::parse("/v2/me chats"),
            Err(ChannelError::BadCharacter(_))
        ));
        assert!(matches!(
            ChannelPattern::parse(""),
            Err(ChannelError::NotAbsolute(_))
        ));
    }

    #[test]
    fn meta_and_service_patterns_are_recognised() {
        assert!(ChannelPattern::parse("/meta/connect").unwrap().is_meta());
        assert!(ChannelPattern::parse("/meta/*").unwrap().is_meta());
        assert!(!ChannelPattern::parse("/**").unwrap().is_meta());
        assert!(!ChannelPattern::parse("/v2/**").unwrap().is_meta());
        assert!(ChannelName::parse("/meta/connect").unwrap().is_meta());
        assert!(ChannelName::parse("/service/x").unwrap().is_service());
        assert!(ChannelPattern::parse("/service/**").unwrap().is_service());
        assert!(!ChannelPattern::parse("/**").unwrap().is_service());
    }
}
