//! The reference server's domain: agents' contact-centre sessions, routing, chats and
//! supervisor monitoring, as one state machine with no HTTP in it.
//!
//! Every operation validates first and changes nothing when it fails (GWS: "a failed request
//! can be assumed not to have changed contact-centre data"), then mutates and appends the
//! notifications it causes to an outbox, in the order each recipient must receive them. The
//! HTTP layer publishes the outbox while still holding the world lock, so notifications of two
//! concurrent requests never interleave out of order.

mod agents;
pub mod capabilities;
mod customer;
mod emit;
mod membership;
pub mod model;
mod operations;
pub mod render;
mod supervision;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use serde_json::Value;

pub use customer::CustomerOp;
pub use emit::{CHANNELS_CHANNEL, CHATS_CHANNEL, Delivery};
pub use operations::{ChatOp, Target};
pub use supervision::Scope;

use super::api_error::ApiError;
use super::directory::Directory;
use super::faults::Faults;
use super::ids::IdGen;
use super::variants::{Variant, Variants};
use emit::Emitter;
use model::{Chat, Mode};
use render::Renderer;

/// How many finished chats are kept so their customers can still read them.
const ENDED_CHATS_KEPT: usize = 10_000;

/// The default of [`World::with_max_open_chats`].
pub const DEFAULT_MAX_OPEN_CHATS: usize = 10_000;

/// An agent's state on the chat channel while logged in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChannelState {
    /// Not taking chats.
    NotReady,
    /// Taking chats; the number orders agents by how long they have been Ready.
    Ready(u64),
}

/// One supervisor's monitoring of one agent.
#[derive(Debug, Clone)]
struct Monitoring {
    supervisor: String,
    agent: String,
    mode: Mode,
    scope: Scope,
    nickname: Option<String>,
}

/// The whole in-memory state of a reference server.
#[derive(Debug)]
pub struct World {
    directory: Arc<Directory>,
    ids: Arc<IdGen>,
    render: Renderer,
    /// Logged-in users (StartContactCenterSession with the chat channel).
    sessions: HashMap<String, ChannelState>,
    chats: HashMap<String, Chat>,
    customer_index: HashMap<String, String>,
    /// The chat id each agent and supervisor knows a chat by, when it is not the chat's own
    /// ([`Variant::OwnChatIds`]): member-side id -> chat id.
    member_chat_ids: HashMap<String, String>,
    /// Chats waiting for an agent, oldest first.
    queue: VecDeque<String>,
    /// Chats over for every agent, oldest first; kept for the customer side.
    ended: VecDeque<String>,
    /// Active monitorings, oldest first (supervisors join a chat in this order).
    monitoring: Vec<Monitoring>,
    next_reference: u64,
    next_ready: u64,
    outbox: Vec<Delivery>,
    /// Copies to deliver late under a seeded fault ([`World::take_late`]).
    late: Vec<Delivery>,
    /// Chats not yet over that may exist at once; RequestChat is refused beyond it.
    max_open_chats: usize,
    /// Seeded non-conformances (none by default).
    faults: Faults,
    /// Legal variants of the server's choices (none by default).
    variants: Variants,
}

impl World {
    /// An empty world for `directory`, rendering URIs against `base_url`.
    pub fn new(directory: Arc<Directory>, ids: Arc<IdGen>, base_url: &str) -> Self {
        Self {
            directory,
            ids,
            render: Renderer::new(base_url),
            sessions: HashMap::new(),
            chats: HashMap::new(),
            customer_index: HashMap::new(),
            member_chat_ids: HashMap::new(),
            queue: VecDeque::new(),
            ended: VecDeque::new(),
            monitoring: Vec::new(),
            next_reference: 1,
            next_ready: 1,
            outbox: Vec::new(),
            late: Vec::new(),
            max_open_chats: DEFAULT_MAX_OPEN_CHATS,
            faults: Faults::NONE,
            variants: Variants::NONE,
        }
    }

    /// This world refusing RequestChat while `max` chats are open (requested and not over).
    /// Customers need no credentials, so without a cap anyone could grow the world, and the
    /// routing work every request does, without end.
    pub fn with_max_open_chats(mut self, max: usize) -> Self {
        self.max_open_chats = max;
        self
    }

    /// Chats requested and not yet over.
    pub fn open_chats(&self) -> usize {
        // Every ended chat is still in `chats` until it is dropped from `ended`.
        self.chats.len().saturating_sub(self.ended.len())
    }

    /// This world with the seeded `faults` switched on.
    pub fn with_faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self.render = self.render.with_faults(faults);
        self
    }

    /// This world with the legal `variants` switched on.
    pub fn with_variants(mut self, variants: Variants) -> Self {
        self.variants = variants;
        self.render = self.render.with_variants(variants);
        self
    }

    /// The id a new member of chat `chat_id` will know it by: the chat's own, or a fresh one
    /// of its own under [`Variant::OwnChatIds`].
    fn member_chat_id(&mut self, chat_id: &str) -> String {
        if !self.variants.has(Variant::OwnChatIds) {
            return chat_id.to_owned();
        }
        let own = self.ids.chat_id();
        self.member_chat_ids.insert(own.clone(), chat_id.to_owned());
        own
    }

    /// The chat an agent or supervisor names by `given` (its own id for it, or the chat's).
    fn resolve_chat_id(&self, given: &str) -> String {
        self.member_chat_ids
            .get(given)
            .cloned()
            .unwrap_or_else(|| given.to_owned())
    }

    /// A shared handle on the user directory (it never changes while a server runs).
    pub fn directory_handle(&self) -> Arc<Directory> {
        self.directory.clone()
    }

    /// The user directory.
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// The renderer (for URIs in REST responses).
    pub fn renderer(&self) -> &Renderer {
        &self.render
    }

    /// Takes the notifications caused since the last call, in delivery order.
    pub fn take_outbox(&mut self) -> Vec<Delivery> {
        let outbox = self.faults.rewrite_outbox(std::mem::take(&mut self.outbox));
        let outbox = self.variants.rewrite_outbox(outbox);
        self.late.extend(self.faults.late_copies(&outbox));
        outbox
    }

    /// Takes the notifications a seeded fault delivers again late
    /// ([`Faults::LATE_COPY_DELAY`] after [`World::take_outbox`] gave them).
    pub fn take_late(&mut self) -> Vec<Delivery> {
        std::mem::take(&mut self.late)
    }

    fn next_reference(&mut self) -> u64 {
        let reference = self.next_reference;
        self.next_reference += 1;
        reference
    }

    /// The chat and an emitter at once (disjoint borrows of `self`).
    fn chat_and_emitter(&mut self, chat_id: &str) -> Option<(&mut Chat, Emitter<'_>)> {
        let chat = self.chats.get_mut(chat_id)?;
        Some((
            chat,
            Emitter {
                render: &self.render,
                out: &mut self.outbox,
            },
        ))
    }

    /// The chats `user_id` is a member of, as it sees them (`GET /api/v2/me/chats?fields=*`),
    /// oldest first.
    pub fn chats_of(&self, user_id: &str) -> Vec<Value> {
        let mut mine: Vec<&Chat> = self
            .chats
            .values()
            .filter(|c| c.member(user_id).is_some())
            .collect();
        mine.sort_by(|a, b| (a.received, &a.id).cmp(&(b.received, &b.id)));
        mine.into_iter()
            .filter_map(|c| c.member(user_id).map(|m| self.render.chat_for(c, m, false)))
            .collect()
    }

    /// The chat `user_id` names `given` and its place in it: 404 for an unknown chat, 403 for
    /// somebody else's (also for another member's own id of a chat `user_id` is in).
    fn membership(&self, user_id: &str, given: &str) -> Result<(&Chat, &model::Member), ApiError> {
        let chat = self
            .chats
            .get(&self.resolve_chat_id(given))
            .ok_or_else(|| ApiError::not_found(format!("Chat {given} not found")))?;
        let member = chat
            .member(user_id)
            .filter(|m| m.chat_id == given)
            .ok_or_else(|| {
                ApiError::forbidden(format!("You are not a participant of chat {given}"))
            })?;
        Ok((chat, member))
    }

    /// One chat of `user_id` (`GET /api/v2/me/chats/{id}`).
    pub fn chat_of(&self, user_id: &str, chat_id: &str) -> Result<Value, ApiError> {
        let (chat, member) = self.membership(user_id, chat_id)?;
        Ok(self.render.chat_for(chat, member, false))
    }

    /// Marks a chat as over for every agent; it stays readable by its customer for a while.
    fn close_chat(&mut self, chat_id: &str) {
        self.queue.retain(|c| c != chat_id);
        if self.ended.iter().any(|c| c == chat_id) {
            return;
        }
        self.ended.push_back(chat_id.to_owned());
        while self.ended.len() > ENDED_CHATS_KEPT {
            if let Some(old) = self.ended.pop_front()
                && let Some(chat) = self.chats.remove(&old)
            {
                self.customer_index.remove(&chat.customer_chat_id);
                // Members' own ids went when they left; these are the ones still in it.
                for member in &chat.members {
                    self.member_chat_ids.remove(&member.chat_id);
                }
            }
        }
    }
}
