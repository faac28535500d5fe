//! Connected Bayeux clients: subscriptions, per-client bounded queues, held connects, and
//! expiry of clients that stop polling.
//!
//! Each notification is serialised once, into the exact JSON text of its Bayeux message, and
//! shared by every client that receives it. A publish groups a batch's messages per client and
//! wakes each client's held connect once, so the notifications of one operation leave together.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::bayeux::{ChannelName, ChannelPattern};
use crate::server::faults::{Fault, Faults};
use crate::server::variants::{Variant, Variants};
use crate::server::world::Delivery;

/// Limits and timings of the hub.
#[derive(Debug, Clone)]
pub struct HubConfig {
    /// How long a connect is held when nothing is queued (the advice `timeout`).
    pub long_poll_timeout: Duration,
    /// How long a client may go without a connect before it is forgotten.
    pub max_interval: Duration,
    /// Messages queued for one client beyond which the client is expelled (it must
    /// re-handshake; Bayeux gives no way to tell it which messages it lost).
    pub max_queue: usize,
    /// Clients one user may hold at once. A handshake beyond it drops one of the user's other
    /// clients: one that never connected if any, else one not holding a connect, the least
    /// recently seen first.
    pub max_clients_per_user: usize,
    /// Subscriptions one client may hold at once.
    pub max_subscriptions: usize,
    /// Seeded non-conformances (none by default).
    pub faults: Faults,
    /// Legal variants of the server's choices (none by default).
    pub variants: Variants,
}

impl Default for HubConfig {
    fn default() -> Self {
        Self {
            long_poll_timeout: Duration::from_secs(30),
            max_interval: Duration::from_secs(10),
            max_queue: 1_000,
            max_clients_per_user: 64,
            max_subscriptions: 32,
            faults: Faults::NONE,
            variants: Variants::NONE,
        }
    }
}

/// A serialised Bayeux message, shared between the queues of every client that receives it.
pub type Wire = Arc<str>;

/// How long a long-poll with messages waiting lets more gather under
/// [`Variant::BatchedLogs`].
pub const BATCH_WINDOW: Duration = Duration::from_millis(40);

/// Consecutive `MessageLogUpdated` messages of one chat on one channel, with the same
/// `referenceId` (or none), merged into one carrying all their entries in order (the
/// documents give `messages` as an array: a server may gather entries).
fn merge_logs(messages: Vec<Wire>) -> Vec<Wire> {
    let mut merged: Vec<(serde_json::Value, bool)> = Vec::with_capacity(messages.len());
    for wire in messages {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(&wire) else {
            continue;
        };
        let joins = |earlier: &serde_json::Value| {
            let log = |m: &serde_json::Value| {
                m.pointer("/data/messageType")
                    .and_then(serde_json::Value::as_str)
                    == Some("MessageLogUpdated")
            };
            log(earlier)
                && log(&message)
                && earlier.get("channel") == message.get("channel")
                && earlier.pointer("/data/chatUri") == message.pointer("/data/chatUri")
                && earlier.pointer("/data/referenceId") == message.pointer("/data/referenceId")
        };
        match merged.last_mut() {
            Some((earlier, changed)) if joins(earlier) => {
                let entries = message
                    .pointer("/data/messages")
                    .and_then(serde_json::Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                if let Some(serde_json::Value::Array(list)) = earlier.pointer_mut("/data/messages")
                {
                    list.extend(entries);
                    *changed = true;
                }
            }
            _ => merged.push((message, false)),
        }
    }
    merged
        .into_iter()
        .map(|(message, _)| Wire::from(message.to_string()))
        .collect()
}

/// The Bayeux message carrying `delivery`, as JSON text (`data` first under
/// [`Variant::KeysReversed`]).
fn serialise(delivery: &Delivery, variants: Variants) -> Wire {
    // Written directly: `json!` would deep-copy the notification first.
    let data = serde_json::to_string(&*delivery.data).unwrap_or_default();
    let channel = serde_json::to_string(delivery.channel).unwrap_or_default();
    if variants.has(Variant::KeysReversed) {
        return format!("{{\"data\":{data},\"channel\":{channel}}}").into();
    }
    format!("{{\"channel\":{channel},\"data\":{data}}}").into()
}

#[derive(Debug)]
struct ClientState {
    subscriptions: Vec<ChannelPattern>,
    queue: VecDeque<Wire>,
    last_seen: Instant,
    /// Incremented by every connect; a held connect whose number is stale returns at once.
    connect_generation: u64,
    holding: bool,
    gone: bool,
    /// Messages the next connect delivers again (only with [`Fault::BayeuxRedelivery`]).
    redeliver: Vec<Wire>,
    /// A connect of this client was refused (only with [`Fault::BayeuxConnectRefusedOnce`]).
    refused_once: bool,
}

/// One handshaken Bayeux client of one user.
#[derive(Debug)]
pub struct Client {
    /// The `clientId`.
    pub id: String,
    /// The user the client authenticated as.
    pub user_id: String,
    state: Mutex<ClientState>,
    wake: Notify,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave these plain collections half-updated in a
    // way that matters more than refusing service would, so poisoning is ignored.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Client {
    fn state(&self) -> MutexGuard<'_, ClientState> {
        lock(&self.state)
    }

    /// Adds the subscriptions (duplicates are no-ops), all or none: returns false, changing
    /// nothing, when the client would hold more than `max` of them.
    pub fn subscribe(&self, patterns: Vec<ChannelPattern>, max: usize) -> bool {
        let mut state = self.state();
        let mut fresh: Vec<ChannelPattern> = Vec::with_capacity(patterns.len());
        for pattern in patterns {
            if !state.subscriptions.contains(&pattern) && !fresh.contains(&pattern) {
                fresh.push(pattern);
            }
        }
        if state.subscriptions.len() + fresh.len() > max {
            return false;
        }
        state.subscriptions.extend(fresh);
        true
    }

    /// Removes a subscription; returns whether it existed.
    pub fn unsubscribe(&self, pattern: &ChannelPattern) -> bool {
        let mut state = self.state();
        let before = state.subscriptions.len();
        state.subscriptions.retain(|p| p != pattern);
        state.subscriptions.len() != before
    }

    /// Whether this connect is the one [`Fault::BayeuxConnectRefusedOnce`] refuses: the
    /// client's second, once.
    pub fn refuse_this_connect(&self) -> bool {
        let mut state = self.state();
        let refuse = state.connect_generation == 1 && !state.refused_once;
        state.refused_once |= refuse;
        refuse
    }

    /// Whether no connect of the client has been answered yet (CometD advises on the first one).
    pub fn never_connected(&self) -> bool {
        self.state().connect_generation == 0
    }

    /// Whether the client was expelled, expired or disconnected.
    pub fn is_gone(&self) -> bool {
        self.state().gone
    }

    fn matches(state: &ClientState, channel: &ChannelName) -> bool {
        state.subscriptions.iter().any(|p| p.matches(channel))
    }
}

#[derive(Debug, Default)]
struct Registry {
    clients: HashMap<String, Arc<Client>>,
    by_user: HashMap<String, Vec<Arc<Client>>>,
}

impl Registry {
    fn remove(&mut self, client_id: &str) -> Option<Arc<Client>> {
        let client = self.clients.remove(client_id)?;
        if let Some(list) = self.by_user.get_mut(&client.user_id) {
            list.retain(|c| c.id != client_id);
            if list.is_empty() {
                self.by_user.remove(&client.user_id);
            }
        }
        client.state().gone = true;
        client.wake.notify_waiters();
        Some(client)
    }
}

/// What a connect returns.
#[derive(Debug)]
pub enum ConnectOutcome {
    /// Messages to deliver (possibly none, when the hold timed out or was superseded).
    Delivered(Vec<Wire>),
    /// The client no longer exists (expelled, expired, disconnected).
    Gone,
}

/// All connected clients of one server.
#[derive(Debug)]
pub struct Hub {
    config: HubConfig,
    /// The JSON text of the advice a successful connect carries, written once.
    connect_advice: String,
    registry: Mutex<Registry>,
    closing: std::sync::atomic::AtomicBool,
}

impl Hub {
    /// An empty hub.
    pub fn new(config: HubConfig) -> Arc<Self> {
        Arc::new(Self {
            connect_advice: super::protocol::advice(config.long_poll_timeout).to_string(),
            config,
            registry: Mutex::new(Registry::default()),
            closing: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// The hub's settings.
    pub fn config(&self) -> &HubConfig {
        &self.config
    }

    /// The JSON text of the advice a successful connect carries.
    pub fn connect_advice(&self) -> &str {
        &self.connect_advice
    }

    /// Registers a new client of `user_id`.
    pub fn handshake(&self, client_id: String, user_id: &str) -> Arc<Client> {
        let client = Arc::new(Client {
            id: client_id,
            user_id: user_id.to_owned(),
            state: Mutex::new(ClientState {
                subscriptions: Vec::new(),
                queue: VecDeque::new(),
                last_seen: Instant::now(),
                connect_generation: 0,
                holding: false,
                gone: false,
                redeliver: Vec::new(),
                refused_once: false,
            }),
            wake: Notify::new(),
        });
        let mut registry = lock(&self.registry);
        registry.clients.insert(client.id.clone(), client.clone());
        let list = registry.by_user.entry(user_id.to_owned()).or_default();
        // The cap is strict, and the new client is never the one dropped, so a handshake
        // always returns a live client. A flood of handshakes that never connect evicts its
        // own clients before any client that polls.
        let evicted = if list.len() >= self.config.max_clients_per_user {
            list.iter()
                .min_by_key(|c| {
                    let state = c.state();
                    (state.connect_generation > 0, state.holding, state.last_seen)
                })
                .map(|c| c.id.clone())
        } else {
            None
        };
        list.push(client.clone());
        if let Some(evicted) = evicted {
            registry.remove(&evicted);
        }
        client
    }

    /// The client `client_id` if it exists and belongs to `user_id`.
    pub fn client(&self, client_id: &str, user_id: &str) -> Option<Arc<Client>> {
        lock(&self.registry)
            .clients
            .get(client_id)
            .filter(|c| c.user_id == user_id)
            .cloned()
    }

    /// Forgets a client (disconnect); a held connect returns at once.
    pub fn remove(&self, client_id: &str) {
        lock(&self.registry).remove(client_id);
    }

    /// Number of connected clients.
    pub fn len(&self) -> usize {
        lock(&self.registry).clients.len()
    }

    /// Whether no client is connected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Queues each delivery for every client of its user subscribed to its channel, and wakes
    /// those clients' held connects. Order per client is the order of `deliveries`.
    pub fn publish(&self, deliveries: Vec<Delivery>) {
        if deliveries.is_empty() {
            return;
        }
        let registry = lock(&self.registry);
        let mut per_client: Vec<(Arc<Client>, Vec<Wire>)> = Vec::new();
        // Members shown the same notification share one `Arc`: serialise each once.
        let mut serialised: Vec<(&Arc<serde_json::Value>, &'static str, Wire)> = Vec::new();
        // A batch uses a channel or two: parse each once.
        let mut channels: Vec<(&'static str, Option<ChannelName>)> = Vec::new();
        for delivery in &deliveries {
            let Some(clients) = registry.by_user.get(&delivery.user_id) else {
                continue;
            };
            let index = match channels
                .iter()
                .position(|(name, _)| *name == delivery.channel)
            {
                Some(index) => index,
                None => {
                    let parsed = ChannelName::parse(delivery.channel).ok();
                    channels.push((delivery.channel, parsed));
                    channels.len() - 1
                }
            };
            let Some(channel) = &channels[index].1 else {
                continue;
            };
            let mut wire: Option<Wire> = None;
            for client in clients {
                if !Client::matches(&client.state(), channel) {
                    continue;
                }
                let message = wire
                    .get_or_insert_with(|| {
                        let known = serialised.iter().find(|(data, channel, _)| {
                            Arc::ptr_eq(data, &delivery.data) && *channel == delivery.channel
                        });
                        if let Some((_, _, wire)) = known {
                            return wire.clone();
                        }
                        let wire = serialise(delivery, self.config.variants);
                        serialised.push((&delivery.data, delivery.channel, wire.clone()));
                        wire
                    })
                    .clone();
                match per_client.iter_mut().find(|(c, _)| Arc::ptr_eq(c, client)) {
                    Some((_, batch)) => batch.push(message),
                    None => per_client.push((client.clone(), vec![message])),
                }
            }
        }
        drop(registry);
        let mut overflowed = Vec::new();
        for (client, batch) in per_client {
            let mut state = client.state();
            state.queue.extend(batch);
            if state.queue.len() > self.config.max_queue {
                tracing::warn!(client = %client.id, "Bayeux queue overflow; client expelled");
                state.queue.clear();
                overflowed.push(client.id.clone());
            }
            drop(state);
            client.wake.notify_waiters();
        }
        if !overflowed.is_empty() {
            let mut registry = lock(&self.registry);
            for id in overflowed {
                registry.remove(&id);
            }
        }
    }

    /// A long-poll: returns queued messages at once, or holds until a message is queued, the
    /// hold `timeout` passes, a newer connect of the same client supersedes this one, or the
    /// hub closes. Under [`Variant::BatchedLogs`] it first lets messages gather for
    /// a short batching window and merges consecutive log updates of one chat.
    pub async fn connect(&self, client: &Client, timeout: Duration) -> ConnectOutcome {
        let outcome = self.long_poll(client, timeout).await;
        match outcome {
            ConnectOutcome::Delivered(messages)
                if self.config.variants.has(Variant::BatchedLogs) =>
            {
                ConnectOutcome::Delivered(merge_logs(messages))
            }
            other => other,
        }
    }

    async fn long_poll(&self, client: &Client, timeout: Duration) -> ConnectOutcome {
        let mut gathered = !self.config.variants.has(Variant::BatchedLogs);
        let generation = {
            let mut state = client.state();
            state.connect_generation += 1;
            state.holding = true;
            state.last_seen = Instant::now();
            state.connect_generation
        };
        // Release an older connect of this client that may still be held.
        client.wake.notify_waiters();
        let deadline = Instant::now() + timeout;
        loop {
            let notified = client.wake.notified();
            tokio::pin!(notified);
            // Register interest before looking, so a publish between the look and the wait
            // still wakes us.
            notified.as_mut().enable();
            let gather = {
                let mut state = client.state();
                if state.gone {
                    return ConnectOutcome::Gone;
                }
                let superseded = state.connect_generation != generation;
                let closing = self.closing.load(std::sync::atomic::Ordering::Relaxed);
                if superseded {
                    // The newer connect takes whatever is queued.
                    return ConnectOutcome::Delivered(Vec::new());
                }
                let pending = !state.queue.is_empty() || !state.redeliver.is_empty();
                let gather = pending && !gathered && !closing;
                if !gather && (pending || closing || Instant::now() >= deadline) {
                    let messages = self.take_messages(&mut state);
                    state.holding = false;
                    state.last_seen = Instant::now();
                    return ConnectOutcome::Delivered(messages);
                }
                gather
            };
            if gather {
                // Let what the same moment publishes gather before the reply (the lock is
                // released: publishing goes on meanwhile).
                gathered = true;
                tokio::time::sleep(BATCH_WINDOW).await;
                continue;
            }
            let _ = tokio::time::timeout_at(deadline, notified).await;
        }
    }

    /// Empties the client's queue into a connect's reply.
    fn take_messages(&self, state: &mut ClientState) -> Vec<Wire> {
        let faults = self.config.faults;
        if faults.has(Fault::BayeuxBatchTruncated) {
            let first = state.queue.pop_front();
            state.queue.clear();
            return first.into_iter().collect();
        }
        let fresh: Vec<Wire> = if self.config.variants.has(Variant::SplitDeliveries) {
            // One message per reply; the rest stay queued, so the next connect returns at once.
            state.queue.pop_front().into_iter().collect()
        } else {
            state.queue.drain(..).collect()
        };
        if !faults.has(Fault::BayeuxRedelivery) {
            return fresh;
        }
        let mut messages = std::mem::replace(&mut state.redeliver, fresh.clone());
        messages.extend(fresh);
        messages
    }

    /// Forgets clients that have not polled for longer than `max_interval`.
    pub fn expire_idle(&self) {
        let now = Instant::now();
        let mut registry = lock(&self.registry);
        let stale: Vec<String> = registry
            .clients
            .values()
            .filter(|c| {
                let state = c.state();
                !state.holding && now.duration_since(state.last_seen) > self.config.max_interval
            })
            .map(|c| c.id.clone())
            .collect();
        for id in stale {
            registry.remove(&id);
        }
    }

    /// Wakes every held connect so a shutting-down server answers them at once.
    pub fn close(&self) {
        self.closing
            .store(true, std::sync::atomic::Ordering::Relaxed);
        for client in lock(&self.registry).clients.values() {
            client.wake.notify_waiters();
        }
    }

    /// Runs [`Hub::expire_idle`] periodically for as long as the hub exists.
    pub fn spawn_expiry(hub: &Arc<Self>) {
        let weak: Weak<Self> = Arc::downgrade(hub);
        let period = (hub.config.max_interval / 4).max(Duration::from_millis(50));
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let mut ticker = tokio::time::interval(period);
                loop {
                    ticker.tick().await;
                    match weak.upgrade() {
                        Some(hub) => hub.expire_idle(),
                        None => return,
                    }
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn delivery(user: &str, channel: &'static str, n: u64) -> Delivery {
        Delivery {
            user_id: user.into(),
            channel,
            data: json!({"n": n}).into(),
        }
    }

    fn subscribed(hub: &Hub, id: &str, user: &str, pattern: &str) -> Arc<Client> {
        let client = hub.handshake(id.into(), user);
        assert!(client.subscribe(vec![ChannelPattern::parse(pattern).unwrap()], 32));
        client
    }

    #[tokio::test]
    async fn queued_messages_are_returned_at_once_in_order() {
        let hub = Hub::new(HubConfig::default());
        let client = subscribed(&hub, "c1", "u1", "/v2/me/chats");
        hub.publish(vec![
            delivery("u1", "/v2/me/chats", 1),
            delivery("u1", "/v2/me/chats", 2),
        ]);
        let ConnectOutcome::Delivered(messages) =
            hub.connect(&client, Duration::from_secs(5)).await
        else {
            panic!("client gone");
        };
        assert_eq!(messages.len(), 2);
        assert!(messages[0].contains("\"n\":1") && messages[1].contains("\"n\":2"));
    }

    #[tokio::test]
    async fn a_held_connect_is_answered_when_a_message_is_published() {
        let hub = Hub::new(HubConfig::default());
        let client = subscribed(&hub, "c1", "u1", "/v2/me/*");
        let publisher = {
            let hub = hub.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                hub.publish(vec![delivery("u1", "/v2/me/chats", 7)]);
            })
        };
        let started = Instant::now();
        let ConnectOutcome::Delivered(messages) =
            hub.connect(&client, Duration::from_secs(10)).await
        else {
            panic!("client gone");
        };
        publisher.await.unwrap();
        assert_eq!(messages.len(), 1);
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn messages_go_only_to_matching_subscriptions_of_the_right_user() {
        let hub = Hub::new(HubConfig::default());
        let chats = subscribed(&hub, "c1", "u1", "/v2/me/chats");
        let other_user = subscribed(&hub, "c2", "u2", "/v2/me/**");
        hub.publish(vec![
            delivery("u1", "/v2/me/channels", 1),
            delivery("u1", "/v2/me/chats", 2),
        ]);
        let ConnectOutcome::Delivered(mine) = hub.connect(&chats, Duration::ZERO).await else {
            panic!()
        };
        assert_eq!(mine.len(), 1);
        let ConnectOutcome::Delivered(theirs) = hub.connect(&other_user, Duration::ZERO).await
        else {
            panic!()
        };
        assert!(theirs.is_empty());
    }

    #[tokio::test]
    async fn overflowing_queue_expels_the_client() {
        let hub = Hub::new(HubConfig {
            max_queue: 3,
            ..HubConfig::default()
        });
        let client = subscribed(&hub, "c1", "u1", "/v2/me/chats");
        hub.publish((0..4).map(|n| delivery("u1", "/v2/me/chats", n)).collect());
        assert!(client.is_gone());
        assert!(hub.client("c1", "u1").is_none());
        assert!(matches!(
            hub.connect(&client, Duration::ZERO).await,
            ConnectOutcome::Gone
        ));
    }

    #[tokio::test]
    async fn idle_clients_expire_but_holding_ones_do_not() {
        let hub = Hub::new(HubConfig {
            max_interval: Duration::from_millis(10),
            ..HubConfig::default()
        });
        let idle = subscribed(&hub, "idle", "u1", "/v2/me/chats");
        let holding = subscribed(&hub, "holding", "u2", "/v2/me/chats");
        let held = {
            let hub = hub.clone();
            let holding = holding.clone();
            tokio::spawn(async move { hub.connect(&holding, Duration::from_secs(10)).await })
        };
        tokio::time::sleep(Duration::from_millis(30)).await;
        hub.expire_idle();
        assert!(idle.is_gone());
        assert!(!holding.is_gone());
        hub.remove("holding");
        assert!(matches!(held.await.unwrap(), ConnectOutcome::Gone));
    }

    #[tokio::test]
    async fn a_second_connect_releases_the_first() {
        let hub = Hub::new(HubConfig::default());
        let client = subscribed(&hub, "c1", "u1", "/v2/me/chats");
        let first = {
            let hub = hub.clone();
            let client = client.clone();
            tokio::spawn(async move { hub.connect(&client, Duration::from_secs(30)).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        let second = {
            let hub = hub.clone();
            let client = client.clone();
            tokio::spawn(async move { hub.connect(&client, Duration::from_secs(30)).await })
        };
        let outcome = tokio::time::timeout(Duration::from_secs(5), first)
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(outcome, ConnectOutcome::Delivered(ref m) if m.is_empty()));
        hub.publish(vec![delivery("u1", "/v2/me/chats", 1)]);
        let outcome = tokio::time::timeout(Duration::from_secs(5), second)
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(outcome, ConnectOutcome::Delivered(ref m) if m.len() == 1));
    }

    #[tokio::test]
    async fn too_many_clients_of_one_user_drops_the_oldest() {
        let hub = Hub::new(HubConfig {
            max_clients_per_user: 2,
            ..HubConfig::default()
        });
        let first = hub.handshake("a".into(), "u");
        hub.handshake("b".into(), "u");
        let newest = hub.handshake("c".into(), "u");
        assert!(first.is_gone());
        assert!(!newest.is_gone());
        assert_eq!(hub.len(), 2);
    }

    #[tokio::test]
    async fn handshakes_that_never_connect_are_dropped_before_polling_clients() {
        let hub = Hub::new(HubConfig {
            max_clients_per_user: 3,
            ..HubConfig::default()
        });
        let polling = hub.handshake("polling".into(), "u");
        let holding = hub.handshake("holding".into(), "u");
        hub.connect(&polling, Duration::ZERO).await;
        let held = {
            let hub = hub.clone();
            let holding = holding.clone();
            tokio::spawn(async move { hub.connect(&holding, Duration::from_secs(30)).await })
        };
        while !holding.state().holding {
            tokio::task::yield_now().await;
        }
        for n in 0..100 {
            let flood = hub.handshake(format!("flood{n}"), "u");
            assert!(!flood.is_gone(), "a handshake returns a live client");
            assert_eq!(hub.len(), 3);
        }
        assert!(!polling.is_gone() && !holding.is_gone());
        // With only polling clients left to choose from, the one not holding a connect goes.
        hub.remove("flood99");
        hub.connect(&hub.handshake("c2".into(), "u"), Duration::ZERO)
            .await;
        hub.handshake("c3".into(), "u");
        assert!(polling.is_gone());
        assert!(!holding.is_gone());
        hub.remove("holding");
        assert!(matches!(held.await.unwrap(), ConnectOutcome::Gone));
    }

    #[test]
    fn subscriptions_are_capped_all_or_none() {
        let hub = Hub::new(HubConfig::default());
        let client = hub.handshake("c".into(), "u");
        let patterns = |names: &[&str]| -> Vec<ChannelPattern> {
            names
                .iter()
                .map(|n| ChannelPattern::parse(n).unwrap())
                .collect()
        };
        assert!(client.subscribe(patterns(&["/a", "/b", "/a"]), 3));
        // Already held patterns do not count twice.
        assert!(client.subscribe(patterns(&["/a", "/c"]), 3));
        assert!(!client.subscribe(patterns(&["/d"]), 3));
        assert!(!client.subscribe(patterns(&["/e", "/f"]), 4));
        assert_eq!(client.state().subscriptions.len(), 3);
    }

    /// Connects once without holding and returns the `n` of each message delivered.
    async fn poll(hub: &Hub, client: &Client) -> Vec<u64> {
        let ConnectOutcome::Delivered(messages) = hub.connect(client, Duration::ZERO).await else {
            panic!("client gone");
        };
        messages
            .iter()
            .map(|m| {
                serde_json::from_str::<serde_json::Value>(m).unwrap()["data"]["n"]
                    .as_u64()
                    .unwrap()
            })
            .collect()
    }

    #[tokio::test]
    async fn seeded_redelivery_repeats_a_batch_once_on_the_next_connect() {
        let hub = Hub::new(HubConfig {
            faults: Fault::BayeuxRedelivery.into(),
            ..HubConfig::default()
        });
        let client = subscribed(&hub, "c1", "u1", "/v2/me/chats");
        hub.publish(vec![delivery("u1", "/v2/me/chats", 1)]);
        assert_eq!(poll(&hub, &client).await, [1]);
        hub.publish(vec![delivery("u1", "/v2/me/chats", 2)]);
        assert_eq!(poll(&hub, &client).await, [1, 2]);
        assert_eq!(poll(&hub, &client).await, [2]);
        assert_eq!(poll(&hub, &client).await, Vec::<u64>::new());
    }

    #[tokio::test]
    async fn seeded_truncation_delivers_the_first_message_and_drops_the_rest() {
        let hub = Hub::new(HubConfig {
            faults: Fault::BayeuxBatchTruncated.into(),
            ..HubConfig::default()
        });
        let client = subscribed(&hub, "c1", "u1", "/v2/me/chats");
        hub.publish(vec![
            delivery("u1", "/v2/me/chats", 1),
            delivery("u1", "/v2/me/chats", 2),
        ]);
        assert_eq!(poll(&hub, &client).await, [1]);
        assert_eq!(poll(&hub, &client).await, Vec::<u64>::new());
    }
}
