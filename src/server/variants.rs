//! Seeded legal variants: behaviour the GWS documents and `docs/rulings.md` allow but the
//! reference server does not do by default (`gws-conform serve --variant NAME`,
//! `gws-conform run --variant NAME`). They are the mirror of the seeded faults
//! ([`super::faults`]): every fault must be caught, and the whole suite must pass with every
//! variant on, alone and all together, so that a check that pins one of the documents' open
//! choices is found before a vendor's server is failed for it.
//!
//! Each [`Variant`] names the choice of `docs/rulings.md` ("Choices the documents leave open")
//! it exercises. Like the faults, the server consults its [`Variants`] set where each behaviour
//! is produced; the variants about the wire form of JSON (extra fields, key order) are applied
//! in one place per kind of output: [`Variants::rewrite_outbox`] for notifications,
//! [`Variants::rewrite_body`] for REST bodies and [`Variants::rewrite_bayeux`] for Bayeux
//! replies.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use axum::http::StatusCode;

use super::api_error::{ApiError, status_code};
use super::seeded::{Set, catalogue};
use super::world::Delivery;
use super::world::model::Numbering;

/// What the catalogue of variants says about one variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VariantSpec {
    /// The name used on the command line.
    pub name: &'static str,
    /// The anchor of the choice in `docs/rulings.md` it exercises.
    pub choice: &'static str,
    /// One line saying what the server does differently.
    pub description: &'static str,
}

catalogue! {
    /// One legal variant of the reference server's behaviour.
    pub enum Variant: VariantSpec, kind "variant", listed by "gws-conform serve --list-variants" {
        OwnChatIds => variant("own-chat-ids", "choice-ids",
            "Each agent and supervisor knows the chat by an id of its own (chat.id, chat.uri, chatUri, chatPath, /api/v2/me/chats/{id}), as the customer does.");
        Refusals400 => variant("refusals-400", "choice-refusal-status",
            "Operations outside the caller's capabilities are refused with HTTP 400 and statusCode 2, supervisor functions without the role with HTTP 400 and statusCode 3.");
        OtherOrigin => variant("other-origin", "choice-uri-origin",
            "URIs carry the server's own origin (http://10.10.15.212:9090, the documented examples'), not the URL the client used, as behind a reverse proxy.");
        ContextPath => variant("context-path", "choice-uri-origin",
            "URIs carry a context path the server is deployed under (http://HOST:PORT/cloud-web/api/v2/...), as the documented /api/v2/me response does.");
        IndexesSkip => variant("indexes-skip", "choice-index",
            "Message indexes start at 1000 and skip (steps of 1, 2 and 3 in turn).");
        ExtraFields => variant("extra-fields", "choice-extra-fields",
            "Fields the documents do not show in every notification, chat, participant and message, in REST success bodies and in the customer's chat and transcript.");
        TransferRevokesInitiator => variant("transfer-revokes-initiator", "choice-transfer-initiator",
            "The supervisor who transfers the chat receives Revoked (the chat is placed in a queue), not Completed.");
        RepeatedCancelSucceeds => variant("repeated-cancel-succeeds", "choice-repeated-cancel",
            "CancelSupervisorMonitoring with nothing left to cancel succeeds.");
        BatchedLogs => variant("batched-logs", "choice-log-batching",
            "A long-poll with messages waiting gathers for a moment, and consecutive MessageLogUpdated of one chat (with the same referenceId, or none) reach the party as one, several entries in its messages.");
        SplitDeliveries => variant("split-deliveries", "choice-bayeux-delivery",
            "Each long-poll reply carries one notification; the others an operation caused wait for the next connects.");
        CometdAdvice => variant("cometd-advice", "choice-bayeux-advice",
            "Bayeux advice on the handshake reply and the first connect reply only, afterwards only when it changes, as CometD servers send it.");
        KeysReversed => variant("keys-reversed", "choice-key-order",
            "Every JSON object (notifications, REST bodies, Bayeux replies) has its keys in reverse order.");
        ReferenceIdsAsDocumented => variant("reference-ids-as-documented", "choice-reference-id",
            "Responses carry a referenceId only for Invite and Consult, as documented; notifications still carry the referenceId of the request that caused them, as the documented Accept notification does.");
        OtherTimeZone => variant("other-time-zone", "choice-timestamp-offset",
            "Timestamps and receivedDate in the -0700 offset of the documented examples instead of +0000.");
        LogBeforeParticipants => variant("log-before-participants", "choice-order",
            "When a participant joins, leaves or changes mode, the others get the MessageLogUpdated before the ParticipantsUpdated (the order of the documented RemoveParticipantFromConference).");
        AgentsStartReady => variant("agents-start-ready", "choice-initial-readiness",
            "StartContactCenterSession leaves agents and supervisors Ready on chat, not Not Ready.");
        RoutingNewestReady => variant("routing-newest-ready", "choice-routing",
            "A waiting chat goes to the agent that became Ready most recently, whatever its load.");
        UuidIds => variant("uuid-ids", "choice-id-format",
            "Interaction, participant and user ids are UUIDs (8-4-4-4-12 hex digits) instead of GWS-shaped ones.");
        SetInFocusNotifies => variant("set-in-focus-notifies", "choice-set-in-focus",
            "SetInFocus sends the chatting members a PropertiesUpdated.");
        SupervisorLeaveLeftChat => variant("supervisor-leave-left-chat", "choice-supervisor-leave",
            "A supervisor who leaves gets state LeftChat (with empty participants and capabilities), not Completed.");
        ReadyOnMeOnly => variant("ready-on-me-only", "choice-ready-endpoint",
            "Ready and NotReady are accepted at /api/v2/me only (as the public client code sends them); /api/v2/me/channels/chat answers 404.");
        MergedJoin => variant("merged-join", "choice-join-delivery",
            "When a monitored agent accepts, its supervisors join before the agent is notified: the agent's own Accept notifications (one ParticipantsUpdated, one MessageLogUpdated) already show those it may see, with no separate notification of their join (the log still records the agent's join first).");
        SwitchLoggedAsJoin => variant("switch-logged-as-join", "choice-switch-log",
            "A mode switch is logged as a ParticipantJoined of the supervisor with its new visibility, not as a Notice.");
    }
}

/// The spec of one variant (a `const fn` so the catalogue reads as a table).
const fn variant(
    name: &'static str,
    choice: &'static str,
    description: &'static str,
) -> VariantSpec {
    VariantSpec {
        name,
        choice,
        description,
    }
}

impl Variant {
    /// The anchor of the choice in `docs/rulings.md` it exercises.
    pub fn choice(self) -> &'static str {
        self.spec().choice
    }

    /// One line saying what the server does differently.
    pub fn description(self) -> &'static str {
        self.spec().description
    }
}

/// A set of legal variants; empty by default (the server's own choices).
pub type Variants = Set<Variant>;

/// The origin URIs carry under [`Variant::OtherOrigin`]: the documented examples' own.
pub const OTHER_ORIGIN: &str = "http://10.10.15.212:9090";

/// The context path URIs carry under [`Variant::ContextPath`]: the documented one.
pub const CONTEXT_PATH: &str = "/cloud-web";

/// The key [`Variant::ExtraFields`] adds to objects: no document shows it.
const EXTRA_KEY: &str = "vendorExtension";

impl Variants {
    /// How chats number their messages.
    pub fn numbering(self) -> Numbering {
        if self.has(Variant::IndexesSkip) {
            Numbering::Skipping
        } else {
            Numbering::Consecutive
        }
    }

    /// The refusal of an operation outside the caller's capabilities (the server's default:
    /// 403, statusCode 3).
    pub fn capability_refusal(self, refusal: ApiError) -> ApiError {
        self.refusal(refusal, status_code::INVALID_STATE)
    }

    /// The refusal of a supervisor function to a user without the role (the server's
    /// default: 403, statusCode 5).
    pub fn role_refusal(self, refusal: ApiError) -> ApiError {
        self.refusal(refusal, status_code::FORBIDDEN)
    }

    /// Under [`Variant::Refusals400`], `refusal` as HTTP 400 with statusCode `code`.
    fn refusal(self, refusal: ApiError, code: u32) -> ApiError {
        if !self.has(Variant::Refusals400) {
            return refusal;
        }
        ApiError {
            http: StatusCode::BAD_REQUEST,
            code,
            ..refusal
        }
    }

    /// The time-zone offset timestamps are written in, in minutes east of UTC.
    pub fn utc_offset_minutes(self) -> i64 {
        if self.has(Variant::OtherTimeZone) {
            -7 * 60
        } else {
            0
        }
    }

    /// Applies the wire-form variants to notifications, just before they are published.
    pub fn rewrite_outbox(self, mut outbox: Vec<Delivery>) -> Vec<Delivery> {
        if !self.has(Variant::ExtraFields) && !self.has(Variant::KeysReversed) {
            return outbox;
        }
        for delivery in &mut outbox {
            let data = Arc::make_mut(&mut delivery.data);
            if self.has(Variant::ExtraFields) {
                add_extra_fields(data);
            }
            if self.has(Variant::KeysReversed) {
                reverse_keys(data);
            }
        }
        outbox
    }

    /// Applies the wire-form variants to a REST response body: extra fields in success bodies
    /// (an error body has no other attributes, as the Return Values page documents) and keys
    /// reversed in every body.
    pub fn rewrite_body(self, body: &mut Value) {
        if self.has(Variant::ExtraFields) && body.get("statusCode") == Some(&json!(0)) {
            add_extra_fields(body);
        }
        if self.has(Variant::KeysReversed) {
            reverse_keys(body);
        }
    }

    /// Whether [`Variants::rewrite_body`] changes anything.
    pub fn rewrites_bodies(self) -> bool {
        self.has(Variant::ExtraFields) || self.has(Variant::KeysReversed)
    }

    /// Whether [`Variants::rewrite_bayeux`] changes anything.
    pub fn rewrites_bayeux(self) -> bool {
        self.has(Variant::KeysReversed)
    }

    /// Applies the wire-form variants to a Bayeux reply message (meta replies; delivered
    /// notifications were rewritten when published).
    pub fn rewrite_bayeux(self, reply: &mut Value) {
        if self.rewrites_bayeux() {
            reverse_keys(reply);
        }
    }
}

/// Adds [`EXTRA_KEY`] to a notification or response body and to the documented objects in
/// it: the chat, the user, each participant, each message and its author. Attached data
/// (`userData`) is the customer's and is left alone.
fn add_extra_fields(value: &mut Value) {
    let Value::Object(object) = value else {
        return;
    };
    object.insert(EXTRA_KEY.into(), json!({"build": "extra-fields variant"}));
    for (key, inner) in object.iter_mut() {
        match (key.as_str(), inner) {
            ("chat" | "user", inner @ Value::Object(_)) => add_extra_fields(inner),
            ("participants" | "messages" | "chats" | "users", Value::Array(items)) => {
                items.iter_mut().for_each(add_extra_fields);
            }
            ("from", Value::Object(from)) => {
                from.insert(EXTRA_KEY.into(), json!(true));
            }
            _ => {}
        }
    }
}

/// Reverses the key order of every object in `value`.
fn reverse_keys(value: &mut Value) {
    match value {
        Value::Object(object) => {
            let reversed: Map<String, Value> = std::mem::take(object)
                .into_iter()
                .rev()
                .map(|(k, mut v)| {
                    reverse_keys(&mut v);
                    (k, v)
                })
                .collect();
            *object = reversed;
        }
        Value::Array(items) => items.iter_mut().for_each(reverse_keys),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::world::CHATS_CHANNEL;

    #[test]
    fn names_are_unique_kebab_case_described_and_cite_a_choice() {
        crate::server::seeded::assert_well_named(Variant::description);
        for variant in Variant::ALL {
            assert!(
                variant.choice().starts_with("choice-"),
                "{}",
                variant.choice()
            );
        }
    }

    #[test]
    fn every_choice_a_variant_cites_is_an_anchor_of_the_rulings() {
        let rulings = include_str!("../../docs/rulings.md");
        for variant in Variant::ALL {
            let anchor = format!("<a id=\"{}\"></a>", variant.choice());
            assert!(
                rulings.contains(&anchor),
                "{variant}: docs/rulings.md has no {anchor}"
            );
        }
    }

    #[test]
    fn indexes_skip_only_with_the_variant() {
        assert_eq!(Variants::NONE.numbering(), Numbering::Consecutive);
        assert_eq!(
            Variants::from(Variant::IndexesSkip).numbering(),
            Numbering::Skipping
        );
    }

    fn notification() -> Delivery {
        Delivery {
            user_id: "u".into(),
            channel: CHATS_CHANNEL,
            data: json!({"messageType": "ChatStateChangeMessage", "chat": {"id": "C",
                "userData": {"k": "v"},
                "participants": [{"nickname": "A"}]}})
            .into(),
        }
    }

    #[test]
    fn no_variant_leaves_notifications_and_bodies_alone() {
        let delivery = notification();
        assert_eq!(
            Variants::NONE.rewrite_outbox(vec![delivery.clone()]),
            [delivery]
        );
        let mut body = json!({"statusCode": 0, "a": 1});
        Variants::NONE.rewrite_body(&mut body);
        assert_eq!(body, json!({"statusCode": 0, "a": 1}));
        assert!(!Variants::NONE.rewrites_bodies());
    }

    #[test]
    fn extra_fields_go_into_documented_objects_but_not_user_data_nor_errors() {
        let out = Variants::from(Variant::ExtraFields).rewrite_outbox(vec![notification()]);
        let data = &out[0].data;
        assert!(data.get(EXTRA_KEY).is_some());
        assert!(data["chat"].get(EXTRA_KEY).is_some());
        assert!(data["chat"]["participants"][0].get(EXTRA_KEY).is_some());
        assert_eq!(data["chat"]["userData"], json!({"k": "v"}));
        let mut error = json!({"statusCode": 3, "statusMessage": "no"});
        Variants::from(Variant::ExtraFields).rewrite_body(&mut error);
        assert_eq!(error, json!({"statusCode": 3, "statusMessage": "no"}));
        let mut messages =
            json!({"statusCode": 0, "messages": [{"index": 1, "from": {"type": "Agent"}}]});
        Variants::from(Variant::ExtraFields).rewrite_body(&mut messages);
        assert!(messages["messages"][0].get(EXTRA_KEY).is_some());
        assert_eq!(messages["messages"][0]["from"][EXTRA_KEY], json!(true));
    }

    #[test]
    fn keys_are_reversed_at_every_depth() {
        let mut body = json!({"a": 1, "b": {"c": 2, "d": [{"e": 3, "f": 4}]}});
        Variants::from(Variant::KeysReversed).rewrite_body(&mut body);
        assert_eq!(
            body.to_string(),
            r#"{"b":{"d":[{"f":4,"e":3}],"c":2},"a":1}"#
        );
        let mut reply = json!({"channel": "/meta/connect", "successful": true});
        Variants::from(Variant::KeysReversed).rewrite_bayeux(&mut reply);
        assert_eq!(
            reply.to_string(),
            r#"{"successful":true,"channel":"/meta/connect"}"#
        );
    }
}
