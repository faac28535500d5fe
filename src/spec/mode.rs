//! The three supervisor monitoring modes: their names, the seed table's capability column for
//! each, the supervisor participant's visibility in each, and the requirements that cite them.

use super::capabilities::{BARGE_IN, COACH, MONITOR};

/// A supervisor monitoring mode (seed page, "Supervisor capabilities").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    /// Silent: only other supervisors see the supervisor.
    Monitor,
    /// The agent sees the supervisor and its messages; the customer does not.
    Coach,
    /// Everybody sees the supervisor and its messages.
    BargeIn,
}

impl Mode {
    /// The three modes, in table order.
    pub const ALL: [Mode; 3] = [Mode::Monitor, Mode::Coach, Mode::BargeIn];

    /// The name, as the monitoring operation (`Monitor`, `Coach`, `BargeIn`) spells it.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Monitor => "Monitor",
            Mode::Coach => "Coach",
            Mode::BargeIn => "BargeIn",
        }
    }

    /// The mode of that name.
    pub fn parse(name: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.name() == name)
    }

    /// The seed table's capability column.
    pub fn capabilities(self) -> &'static [&'static str] {
        match self {
            Mode::Monitor => MONITOR,
            Mode::Coach => COACH,
            Mode::BargeIn => BARGE_IN,
        }
    }

    /// The supervisor participant's `visibility` in the mode (`docs/rulings.md#ruling-visibility`).
    pub fn visibility(self) -> &'static str {
        match self {
            Mode::Monitor => "Supervisors",
            Mode::Coach => "Agents",
            Mode::BargeIn => "All",
        }
    }

    /// The mode whose supervisor visibility is `visibility`.
    pub fn from_visibility(visibility: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.visibility() == visibility)
    }

    /// The requirement on the mode's capabilities (`CAP-*`).
    pub fn capability_requirement(self) -> &'static str {
        match self {
            Mode::Monitor => "CAP-MONITOR",
            Mode::Coach => "CAP-COACH",
            Mode::BargeIn => "CAP-BARGEIN",
        }
    }

    /// The requirement on the mode's visibility (`VIS-*`).
    pub fn visibility_requirement(self) -> &'static str {
        match self {
            Mode::Monitor => "VIS-MONITOR",
            Mode::Coach => "VIS-COACH",
            Mode::BargeIn => "VIS-BARGEIN",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn set(list: &[&'static str]) -> BTreeSet<&'static str> {
        list.iter().copied().collect()
    }

    #[test]
    fn barge_in_is_coach_without_switch_to_barge_in_plus_customer_messaging() {
        let mut expected = set(COACH);
        expected.remove("SwitchToBargeIn");
        expected.extend([
            "SendMessage",
            "SendStartTypingNotification",
            "SendStopTypingNotification",
            "SwitchToCoach",
        ]);
        assert_eq!(set(BARGE_IN), expected);
    }

    #[test]
    fn each_mode_can_switch_to_the_two_others_only() {
        for (mode, switches) in [
            (Mode::Monitor, ["SwitchToCoach", "SwitchToBargeIn"]),
            (Mode::Coach, ["SwitchToMonitor", "SwitchToBargeIn"]),
            (Mode::BargeIn, ["SwitchToMonitor", "SwitchToCoach"]),
        ] {
            let capabilities = mode.capabilities();
            assert_eq!(
                set(capabilities).len(),
                capabilities.len(),
                "{mode:?} has duplicates"
            );
            let found: BTreeSet<_> = capabilities
                .iter()
                .copied()
                .filter(|c| c.starts_with("SwitchTo"))
                .collect();
            assert_eq!(found, set(&switches), "{mode:?}");
        }
    }

    #[test]
    fn names_and_visibilities_round_trip() {
        for mode in Mode::ALL {
            assert_eq!(Mode::parse(mode.name()), Some(mode));
            assert_eq!(Mode::from_visibility(mode.visibility()), Some(mode));
        }
        assert_eq!(Mode::parse("SwitchBargeIn"), None);
        assert_eq!(Mode::Monitor.visibility(), "Supervisors");
    }
}
