//! The recorded contact centre: its size, the reference server and profile that serve its
//! users, and one shift of its traffic (see the benchmark's module doc), made through the
//! replay tests' recording shim.

use std::sync::Arc;
use std::time::{Duration, Instant};

use gws_conform::profile::Profile;
use gws_conform::server::ids::IdGen;
use gws_conform::server::{Directory, ServerConfig};
use serde_json::{Value, json};

use crate::support::{Actor, Customer};

/// Agents one supervisor coaches.
const AGENTS_PER_SUPERVISOR: usize = 5;
/// Deadline of every wait of the set-up.
const SETUP_WAIT: Duration = Duration::from_secs(10);

/// The recorded contact centre's size.
#[derive(Debug, Clone, Copy)]
pub struct Centre {
    /// Chats at once.
    pub chats: usize,
    /// Chats one agent handles at once.
    pub per_agent: usize,
}

impl Centre {
    /// Its agents, `agent1..`.
    pub fn agents(self) -> usize {
        self.chats.div_ceil(self.per_agent)
    }

    /// Its supervisors, `supervisor1..`.
    pub fn supervisors(self) -> usize {
        self.agents().div_ceil(AGENTS_PER_SUPERVISOR)
    }

    /// A reference server's configuration with the centre's users.
    pub fn config(self) -> ServerConfig {
        ServerConfig {
            directory: Some(Directory::generated(
                self.agents() as u32,
                self.supervisors() as u32,
                &IdGen::new(),
            )),
            long_poll_timeout: Duration::from_secs(20),
            ..ServerConfig::default()
        }
    }

    /// The profile of the centre's users: every password is `password`.
    pub fn profile(self) -> Profile {
        let mut yaml = String::from("users:\n");
        for i in 1..=self.agents() {
            yaml.push_str(&format!("  agent{i}: {{password: password}}\n"));
        }
        for i in 1..=self.supervisors() {
            yaml.push_str(&format!("  supervisor{i}: {{password: password}}\n"));
        }
        let path =
            std::env::temp_dir().join(format!("replay-bench-profile-{}.yaml", std::process::id()));
        std::fs::write(&path, yaml).expect("write the profile");
        let profile = Profile::load(&path).unwrap_or_else(|e| panic!("profile: {e:?}"));
        let _ = std::fs::remove_file(&path);
        profile
    }
}

/// Waits for the notification on `actor`'s inbox that `matches`.
async fn notification(actor: &Actor, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + SETUP_WAIT;
    let cursor = gws_conform::driver::bayeux::Cursor::START;
    actor
        .bayeux
        .inbox()
        .wait_for(cursor, what, |d| matches(&d.data), deadline)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", actor.name))
        .data
        .as_ref()
        .clone()
}

/// One shift of the contact centre described in the benchmark's module doc, against the
/// (recorded) server at `base`, whose customers are `customer{first}..`: everyone logs in, the
/// chats, everyone logs out and disconnects. The last long-polls are answered as their clients
/// disconnect: a recording should wait a moment after the last shift.
pub async fn shift(base: &str, centre: Centre, messages: usize, first: usize) {
    let (agent_count, supervisor_count) = (centre.agents(), centre.supervisors());
    let names = (1..=agent_count)
        .map(|i| format!("agent{i}"))
        .chain((1..=supervisor_count).map(|i| format!("supervisor{i}")));
    let mut logins = tokio::task::JoinSet::new();
    for (order, name) in names.enumerate() {
        let base = base.to_owned();
        logins.spawn(async move {
            let actor = Actor::login_at(&base, &name, "password").await;
            actor.start_session().await;
            (order, Arc::new(actor))
        });
    }
    let mut everyone: Vec<(usize, Arc<Actor>)> = logins.join_all().await;
    everyone.sort_by_key(|(order, _)| *order);
    let mut agents: Vec<Arc<Actor>> = everyone.into_iter().map(|(_, actor)| actor).collect();
    let supervisors = agents.split_off(agent_count);
    let mut coaching = tokio::task::JoinSet::new();
    for (supervisor, coached) in supervisors.iter().zip(agents.chunks(AGENTS_PER_SUPERVISOR)) {
        let (supervisor, coached) = (supervisor.clone(), coached.to_vec());
        coaching.spawn(async move {
            for agent in coached {
                let coach =
                    json!({"operationName": "Coach", "supervisorMonitoringMode": "AllChats"});
                supervisor.supervise(&agent, coach).await.ok();
            }
        });
    }
    coaching.join_all().await;
    // Agent by agent: Ready, then its customers all at once. The agent going Ready is the only
    // one with fewer than `per_agent` chats, so routing offers it all of them, in the
    // replay too, whatever order the requests arrive in. No chat ends before every chat is
    // routed (an agent with a free slot would be offered the next ones).
    let mut routed = Vec::new();
    let mut next_customer = first..first + centre.chats;
    for agent in &agents {
        let ready = json!({"operationName": "Ready"});
        agent.post("/api/v2/me/channels/chat", ready).await.ok();
        let mut requests = tokio::task::JoinSet::new();
        for n in next_customer.by_ref().take(centre.per_agent) {
            let base = base.to_owned();
            requests.spawn(async move {
                let nickname = format!("customer{n}");
                (
                    nickname.clone(),
                    Customer::request_at(&base, &nickname).await,
                )
            });
        }
        for (nickname, customer) in requests.join_all().await {
            routed.push((agent.clone(), customer, nickname));
        }
    }
    let mut chats_done = tokio::task::JoinSet::new();
    for (agent, customer, nickname) in routed {
        chats_done.spawn(chat(agent, customer, nickname, messages));
    }
    while let Some(done) = chats_done.join_next().await {
        done.expect("a chat of the recording");
    }
    let mut logouts = tokio::task::JoinSet::new();
    for actor in agents.iter().chain(&supervisors).cloned() {
        logouts.spawn(async move {
            let end = json!({"operationName": "EndContactCenterSession"});
            actor.post("/api/v2/me", end).await.ok();
            notification(&actor, "LoggedOut", |d| {
                d["channels"][0]["userState"]["state"] == "LoggedOut"
            })
            .await;
            actor.bayeux.disconnect().await.expect("disconnect");
        });
    }
    logouts.join_all().await;
}

/// One chat: the agent accepts the offer naming the customer, they exchange `messages`
/// messages each, the customer reads the transcript, the agent completes the chat.
async fn chat(agent: Arc<Actor>, customer: Customer, nickname: String, messages: usize) {
    let offer = notification(&agent, "an offer", |d| {
        d["chat"]["state"] == "Invited"
            && d["chat"]["participants"]
                .as_array()
                .is_some_and(|list| list.iter().any(|p| p["nickname"] == nickname.as_str()))
    })
    .await;
    let chat = offer["chat"]["id"].as_str().unwrap().to_owned();
    agent.must(&chat, "Accept", json!({})).await;
    for k in 1..=messages {
        customer.say(&format!("question {k}")).await;
        agent
            .must(&chat, "SendMessage", json!({"text": format!("answer {k}")}))
            .await;
    }
    assert!(!customer.transcript().await.is_empty());
    agent.must(&chat, "Complete", json!({})).await;
    notification(&agent, "Completed", |d| {
        d["chat"]["state"] == "Completed" && d["chat"]["id"] == chat.as_str()
    })
    .await;
}
