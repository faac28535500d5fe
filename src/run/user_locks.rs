//! Scenarios that log in as the same profile user must not run at the same time against one
//! target (they would take each other's sessions and chats). A trial takes the locks of all its
//! users at once before it runs, so scenarios with disjoint users still run in parallel.

use std::collections::HashSet;
use std::sync::{Condvar, Mutex};

/// The users currently in use by running scenarios.
#[derive(Debug, Default)]
pub struct UserLocks {
    busy: Mutex<HashSet<String>>,
    freed: Condvar,
}

/// Holds a scenario's users until dropped.
#[derive(Debug)]
pub struct UserGuard<'a> {
    locks: &'a UserLocks,
    users: Vec<String>,
}

impl UserLocks {
    /// Blocks until none of `users` is in use, then marks them all in use (all or nothing, so
    /// two scenarios can never each hold half of what the other needs).
    pub fn acquire<'a>(
        &'a self,
        users: impl IntoIterator<Item = impl Into<String>>,
    ) -> UserGuard<'a> {
        let users: Vec<String> = users.into_iter().map(Into::into).collect();
        let mut busy = self.busy.lock().unwrap_or_else(|p| p.into_inner());
        while users.iter().any(|u| busy.contains(u)) {
            busy = self.freed.wait(busy).unwrap_or_else(|p| p.into_inner());
        }
        busy.extend(users.iter().cloned());
        UserGuard { locks: self, users }
    }
}

impl Drop for UserGuard<'_> {
    fn drop(&mut self) {
        let mut busy = self.locks.busy.lock().unwrap_or_else(|p| p.into_inner());
        for user in &self.users {
            busy.remove(user);
        }
        self.locks.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    #[test]
    fn disjoint_users_do_not_wait_and_shared_users_do() {
        let locks = Arc::new(UserLocks::default());
        let first = locks.acquire(["agent1", "supervisor1"]);
        let _other = locks.acquire(["agent2"]);
        let entered = Arc::new(AtomicBool::new(false));
        let waiter = {
            let (locks, entered) = (locks.clone(), entered.clone());
            std::thread::spawn(move || {
                let _guard = locks.acquire(["supervisor1", "agent3"]);
                entered.store(true, Ordering::SeqCst);
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        assert!(!entered.load(Ordering::SeqCst), "supervisor1 is still held");
        drop(first);
        waiter.join().unwrap();
        assert!(entered.load(Ordering::SeqCst));
    }
}
