//! Scenarios at the same time against one target, one per lane ([`crate::profile::Lane`]): a
//! scenario takes a free lane that has all of its users and runs as that lane's users, in its
//! contact centre, so no two running scenarios share a user or a routing scope.

use std::sync::{Condvar, Mutex, PoisonError};

use crate::profile::Profile;

/// The lanes of a run's profile, and which are taken.
#[derive(Debug)]
pub struct LanePool {
    profiles: Vec<Profile>,
    busy: Mutex<Vec<bool>>,
    freed: Condvar,
}

/// One lane, held until dropped.
#[derive(Debug)]
pub struct LaneGuard<'a> {
    pool: &'a LanePool,
    index: usize,
}

impl LanePool {
    /// A pool of the lanes of `profile` ([`Profile::lanes`]).
    pub fn new(profile: &Profile) -> Self {
        let profiles = profile.lanes();
        Self {
            busy: Mutex::new(vec![false; profiles.len()]),
            profiles,
            freed: Condvar::new(),
        }
    }

    /// How many lanes there are (at least one: the profile's own users).
    pub fn len(&self) -> usize {
        self.profiles.len()
    }

    /// Whether the pool has no lane (never: the top-level users are one).
    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }

    /// Blocks until a lane that has all of `users` is free, then takes it. A scenario whose
    /// users no lane has all of waits for the first lane, where the run reports the missing
    /// user as it would without lanes.
    pub fn acquire<'u>(&self, users: impl IntoIterator<Item = &'u str>) -> LaneGuard<'_> {
        let users: Vec<&str> = users.into_iter().collect();
        let fits: Vec<usize> = (0..self.profiles.len())
            .filter(|&i| {
                users
                    .iter()
                    .all(|u| self.profiles[i].users.contains_key(*u))
            })
            .collect();
        let fits = if fits.is_empty() { vec![0] } else { fits };
        let mut busy = self.busy.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(&index) = fits.iter().find(|&&i| !busy[i]) {
                busy[index] = true;
                return LaneGuard { pool: self, index };
            }
            busy = self
                .freed
                .wait(busy)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

impl LaneGuard<'_> {
    /// The lane's profile: its users and its contact centre.
    pub fn profile(&self) -> &Profile {
        &self.pool.profiles[self.index]
    }
}

impl Drop for LaneGuard<'_> {
    fn drop(&mut self) {
        let mut busy = self
            .pool
            .busy
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        busy[self.index] = false;
        self.pool.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    fn profile() -> Profile {
        let text = "contact_center_id: one\nusers:\n  agent1: {password: x}\n  supervisor1: {password: x}\nlanes:\n  - contact_center_id: two\n    users:\n      agent1: {user_name: a2, password: x}\n";
        serde_saphyr::from_str(text).unwrap()
    }

    #[test]
    fn a_scenario_takes_a_free_lane_that_has_its_users() {
        let pool = Arc::new(LanePool::new(&profile()));
        assert_eq!(pool.len(), 2);
        let first = pool.acquire(["agent1"]);
        assert_eq!(first.profile().contact_center_id, "one");
        let second = pool.acquire(["agent1"]);
        assert_eq!(second.profile().contact_center_id, "two");
        assert_eq!(
            second.profile().credentials("agent1").unwrap().user_name,
            "a2"
        );
        drop(second);
        // Only the first lane has supervisor1: the scenario waits for it.
        let entered = Arc::new(AtomicBool::new(false));
        let waiter = {
            let (pool, entered) = (pool.clone(), entered.clone());
            std::thread::spawn(move || {
                let lane = pool.acquire(["agent1", "supervisor1"]);
                entered.store(true, Ordering::SeqCst);
                lane.profile().contact_center_id.clone()
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        assert!(!entered.load(Ordering::SeqCst), "lane one is still held");
        drop(first);
        assert_eq!(waiter.join().unwrap(), "one");
    }

    #[test]
    fn users_no_lane_has_wait_for_the_first_lane() {
        let pool = LanePool::new(&profile());
        let lane = pool.acquire(["nobody"]);
        assert_eq!(lane.profile().contact_center_id, "one");
    }
}
