//! What the two catalogues of seeded behaviour share: the faults (deliberate
//! non-conformances, [`super::faults`]) and the legal variants (behaviour the documents allow
//! but the server does not do by default, [`super::variants`]). Each is a closed list of named
//! switches; this module gives them one set type, one way to parse a name from the command line
//! (with a "did you mean" suggestion) and one way to print the set.

use std::fmt;
use std::hash::Hash;
use std::marker::PhantomData;

/// A named switch of one catalogue.
pub trait Switch: Copy + Eq + fmt::Debug + 'static {
    /// Every switch of the catalogue, in catalogue order (at most 128).
    const ALL: &'static [Self];
    /// What one switch is called in messages (`fault`, `variant`).
    const KIND: &'static str;
    /// The command that lists the catalogue, named in the error for an unknown name.
    const LIST_COMMAND: &'static str;

    /// The name used on the command line.
    fn name(self) -> &'static str;

    /// The position in [`Switch::ALL`] (the bit of the switch in a [`Set`]).
    fn position(self) -> u32 {
        Self::ALL
            .iter()
            .position(|s| *s == self)
            .expect("every switch is in its catalogue") as u32
    }

    /// The switch of that name.
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|s| s.name() == name)
    }
}

/// Parses a command-line value: an unknown name is an error with the closest name, if any is
/// close, and the command that lists them all.
pub fn parse<T: Switch>(name: &str) -> Result<T, String> {
    T::from_name(name).ok_or_else(|| {
        let closest = T::ALL
            .iter()
            .map(|s| (strsim::jaro_winkler(name, s.name()), s.name()))
            .filter(|(score, _)| *score >= 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let hint = closest
            .map(|(_, c)| format!("did you mean `{c}`? "))
            .unwrap_or_default();
        format!(
            "unknown {} `{name}`; {hint}(`{}` lists them)",
            T::KIND,
            T::LIST_COMMAND
        )
    })
}

/// A set of switches of one catalogue; empty by default.
pub struct Set<T> {
    bits: u128,
    kind: PhantomData<fn() -> T>,
}

// Written out rather than derived: a derive would demand the traits of `T` itself.
impl<T> Clone for Set<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Set<T> {}
impl<T> PartialEq for Set<T> {
    fn eq(&self, other: &Self) -> bool {
        self.bits == other.bits
    }
}
impl<T> Eq for Set<T> {}
impl<T> Hash for Set<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.bits.hash(state);
    }
}
impl<T> Default for Set<T> {
    fn default() -> Self {
        Self::NONE
    }
}

impl<T> Set<T> {
    /// No switch on.
    pub const NONE: Self = Self {
        bits: 0,
        kind: PhantomData,
    };

    /// Whether no switch is on.
    pub fn is_empty(self) -> bool {
        self.bits == 0
    }
}

impl<T: Switch> Set<T> {
    /// Whether `switch` is on.
    pub fn has(self, switch: T) -> bool {
        self.bits & (1 << switch.position()) != 0
    }

    /// This set with `switch` on too.
    pub fn with(self, switch: T) -> Self {
        Self {
            bits: self.bits | (1 << switch.position()),
            kind: PhantomData,
        }
    }

    /// Every switch of the catalogue on.
    pub fn all() -> Self {
        T::ALL.iter().copied().collect()
    }

    /// The switches on, in catalogue order.
    pub fn iter(self) -> impl Iterator<Item = T> {
        T::ALL.iter().copied().filter(move |s| self.has(*s))
    }
}

impl<T: Switch> From<T> for Set<T> {
    fn from(switch: T) -> Self {
        Self::NONE.with(switch)
    }
}

impl<T: Switch> FromIterator<T> for Set<T> {
    fn from_iter<I: IntoIterator<Item = T>>(switches: I) -> Self {
        switches.into_iter().fold(Self::NONE, Self::with)
    }
}

impl<T: Switch> fmt::Display for Set<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(T::name).collect();
        f.write_str(&names.join(", "))
    }
}

impl<T: Switch> fmt::Debug for Set<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// Declares a catalogue: an enum of switches, each with a constant spec value (a struct with at
/// least a `name: &'static str` field), and its [`Switch`] implementation, `Display` (the name)
/// and `FromStr` (with suggestions).
macro_rules! catalogue {
    (
        $(#[$meta:meta])*
        pub enum $name:ident: $spec:ident, kind $kind:literal, listed by $list:literal {
            $( $variant:ident => $value:expr; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[allow(missing_docs)] // each switch is described by its spec
        pub enum $name {
            $($variant,)*
        }

        impl $name {
            /// Every switch, in catalogue order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// What the catalogue says about this switch.
            pub fn spec(self) -> $spec {
                match self {
                    $($name::$variant => $value,)*
                }
            }

            /// The name used on the command line.
            pub fn name(self) -> &'static str {
                self.spec().name
            }

            /// The switch of that name.
            pub fn from_name(name: &str) -> Option<Self> {
                $crate::server::seeded::Switch::from_name(name)
            }

            /// Parses a command-line value: an unknown name is an error with a suggestion.
            pub fn parse_arg(name: &str) -> Result<Self, String> {
                $crate::server::seeded::parse(name)
            }
        }

        impl $crate::server::seeded::Switch for $name {
            const ALL: &'static [$name] = $name::ALL;
            const KIND: &'static str = $kind;
            const LIST_COMMAND: &'static str = $list;

            fn name(self) -> &'static str {
                $name::name(self)
            }
        }

        const _: () = assert!(
            $name::ALL.len() <= 128,
            "a seeded set is a 128-bit set"
        );

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::server::seeded::Switch::name(*self))
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(name: &str) -> Result<Self, Self::Err> {
                $crate::server::seeded::parse(name)
            }
        }
    };
}

pub(crate) use catalogue;

/// Asserts a catalogue's names are unique, kebab-case and found by [`Switch::from_name`], and
/// each `description` is one line (for the catalogues' own tests).
#[cfg(test)]
pub(crate) fn assert_well_named<T: Switch>(description: impl Fn(T) -> &'static str) {
    let mut seen = std::collections::HashSet::new();
    for switch in T::ALL {
        let name = switch.name();
        assert!(seen.insert(name), "duplicate name {name}");
        assert!(
            name.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{name}"
        );
        let text = description(*switch);
        assert!(!text.is_empty() && !text.contains('\n'), "{name}: {text:?}");
        assert_eq!(T::from_name(name), Some(*switch));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Spec {
        name: &'static str,
    }

    catalogue! {
        /// A catalogue for the tests.
        pub enum Sample: Spec, kind "sample", listed by "sample --list" {
            First => Spec { name: "first-one" };
            Second => Spec { name: "second-one" };
            Third => Spec { name: "third" };
        }
    }

    #[test]
    fn a_set_holds_what_was_added_in_catalogue_order() {
        let set: Set<Sample> = [Sample::Third, Sample::First].into_iter().collect();
        assert!(set.has(Sample::First) && set.has(Sample::Third) && !set.has(Sample::Second));
        assert_eq!(set.to_string(), "first-one, third");
        assert_eq!(format!("{set:?}"), "{First, Third}");
        assert!(Set::<Sample>::default().is_empty());
        assert_eq!(Set::<Sample>::all().iter().count(), 3);
        assert_eq!(
            Set::from(Sample::Second).iter().collect::<Vec<_>>(),
            [Sample::Second]
        );
    }

    #[test]
    fn names_parse_and_unknown_ones_get_a_suggestion_and_the_list_command() {
        assert_eq!("second-one".parse::<Sample>(), Ok(Sample::Second));
        assert_eq!(Sample::parse_arg("third"), Ok(Sample::Third));
        assert_eq!(Sample::from_name("first-one"), Some(Sample::First));
        assert_eq!(Sample::from_name("fourth"), None);
        assert_eq!(Sample::Second.to_string(), "second-one");
        let error = "second-on".parse::<Sample>().unwrap_err();
        assert_eq!(
            error,
            "unknown sample `second-on`; did you mean `second-one`? (`sample --list` lists them)"
        );
        let error = "zzz".parse::<Sample>().unwrap_err();
        assert_eq!(error, "unknown sample `zzz`; (`sample --list` lists them)");
    }
}
