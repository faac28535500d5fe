//! The size of the world `explore` plays in (`--world agents=3,supervisors=2,customers=4`):
//! how many of the profile's agents and supervisors it uses, and how many customers (each
//! requests one chat).

use std::fmt;
use std::str::FromStr;

/// Counts of each kind of actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct World {
    /// Agents `agent1`…`agentN`.
    pub agents: usize,
    /// Supervisors `supervisor1`…`supervisorN`.
    pub supervisors: usize,
    /// Customers, one chat each.
    pub customers: usize,
}

impl Default for World {
    fn default() -> Self {
        Self {
            agents: 3,
            supervisors: 2,
            customers: 4,
        }
    }
}

/// The most of each kind a world may hold: the state space grows fast, and a shrunk failure
/// needs few actors.
pub const MAX_PER_KIND: usize = 8;

impl FromStr for World {
    type Err = String;

    /// `agents=N,supervisors=N,customers=N`, any of them, in any order; the others keep
    /// their defaults.
    fn from_str(text: &str) -> Result<Self, String> {
        let mut world = World::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}`: expected KIND=N, e.g. agents=3"))?;
            let count: usize = value
                .trim()
                .parse()
                .map_err(|_| format!("`{part}`: `{value}` is not a whole number"))?;
            let (slot, least) = match key.trim() {
                "agents" => (&mut world.agents, 1),
                "supervisors" => (&mut world.supervisors, 1),
                "customers" => (&mut world.customers, 1),
                other => {
                    return Err(format!(
                        "`{other}`: expected agents, supervisors or customers"
                    ));
                }
            };
            if !(least..=MAX_PER_KIND).contains(&count) {
                return Err(format!("`{part}`: between {least} and {MAX_PER_KIND}"));
            }
            *slot = count;
        }
        Ok(world)
    }
}

impl fmt::Display for World {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "agents={},supervisors={},customers={}",
            self.agents, self.supervisors, self.customers
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_world_takes_any_subset_of_counts() {
        assert_eq!("".parse::<World>(), Ok(World::default()));
        let world: World = "customers=2, agents=1".parse().unwrap();
        assert_eq!(
            (world.agents, world.supervisors, world.customers),
            (1, 2, 2)
        );
        assert_eq!(world.to_string().parse::<World>(), Ok(world));
    }

    #[test]
    fn bad_worlds_say_what_is_wrong() {
        for (text, says) in [
            ("agents", "expected KIND=N"),
            ("agents=x", "not a whole number"),
            ("robots=1", "expected agents"),
            ("agents=0", "between 1 and 8"),
            ("customers=9", "between 1 and 8"),
        ] {
            let error = text.parse::<World>().unwrap_err();
            assert!(error.contains(says), "{text}: {error}");
        }
    }
}
