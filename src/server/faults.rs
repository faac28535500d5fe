//! Seeded faults: deliberate non-conformances the reference server can be started with
//! (`gws-conform serve --fault NAME`, `gws-conform run --fault NAME`), to prove that the
//! conformance suite notices each one.
//!
//! Each [`Fault`] names the requirement of `scenarios/requirements.yaml` it breaks. The server
//! consults its [`Faults`] set at the exact point each behaviour is produced (a small `if`
//! there); faults about the wire form of notifications are applied in one place,
//! [`Faults::rewrite_outbox`], as the world hands its notifications to the Bayeux hub. With an
//! empty set (the default) the server behaves exactly as documented.
//!
//! A fault is `strict_only` when the finding that cites its requirement is NON-STRICT (a
//! SHOULD-level check or a documented variant of the seed page): only a `--strict` run must fail
//! because of that requirement (other checks may still fail without `--strict`).

use axum::http::StatusCode;
use serde_json::Value;

use super::api_error::ApiError;
use super::seeded::{Set, catalogue};
use super::world::model::{Member, Mode, Visibility};
use super::world::{CHANNELS_CHANNEL, CHATS_CHANNEL, Delivery, capabilities};

/// What the catalogue of faults says about one fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultSpec {
    /// The name used on the command line.
    pub name: &'static str,
    /// The requirement id it breaks.
    pub requirement: &'static str,
    /// Whether only a `--strict` run is expected to fail on its requirement.
    pub strict_only: bool,
    /// One line saying what the server does wrong.
    pub description: &'static str,
}

catalogue! {
    /// One deliberate non-conformance of the reference server.
    pub enum Fault: FaultSpec, kind "fault", listed by "gws-conform serve --list-faults" {
        // Roles and the monitoring lifecycle.
        AgentMayMonitor => fault("agent-may-monitor", "ROLE-SUPERVISOR", false,
            "A user without the supervisor role may start monitoring (the role check is skipped).");
        RoleRefusal401 => fault("role-refusal-401", "ROLE-SUPERVISOR", false,
            "Monitoring by a user without the supervisor role is refused with 401/statusCode 20 instead of 403/statusCode 5.");
        MonitorModeUnknown => fault("monitor-mode-unknown", "MON-MODE", false,
            "The Monitor operation is refused as unknown (400/statusCode 10); only Coach and BargeIn start monitoring.");
        NextChatMonitorsAll => fault("next-chat-monitors-all", "MON-NEXTCHAT", false,
            "NextChat monitoring is not used up: the supervisor joins the agent's later chats too.");
        AllChatsOnlyFirst => fault("all-chats-only-first", "MON-ALLCHATS", false,
            "AllChats monitoring ends after the first joined chat, as if it were NextChat.");
        OneAgentPerSupervisor => fault("one-agent-per-supervisor", "MON-MULTI-AGENT", false,
            "Monitoring a second agent silently ends the supervisor's monitoring of the first.");
        OneChatPerSupervisor => fault("one-chat-per-supervisor", "MON-MULTI-CHAT", false,
            "A supervisor joining a chat silently drops out of the chats it was in (one chat at a time).");
        CancelKeepsMonitoring => fault("cancel-keeps-monitoring", "MON-CANCEL", false,
            "CancelSupervisorMonitoring answers success but the supervisor keeps joining the agent's chats.");
        LogoutKeepsMonitoring => fault("logout-keeps-monitoring", "MON-LOGOUT", false,
            "EndContactCenterSession leaves the supervisor's monitoring active.");
        AgentLeaveRevokesSupervisor => fault("agent-leave-revokes-supervisor", "MON-CONFERENCE-LEAVE", false,
            "When a monitored agent leaves a conference or consultation, the supervisors it brought in are revoked with it.");
        // Joining a chat.
        JoinBeforeAccept => fault("join-before-accept", "JOIN-ON-ACCEPT", false,
            "The supervisor joins when the chat is offered to the monitored agent, before the agent accepts.");
        JoinWithoutMessageLog => fault("join-without-message-log", "JOIN-NOTIFICATIONS", false,
            "On joining, the supervisor gets ParticipantsUpdated and StatusChange but no MessageLogUpdated.");
        JoinOrderSwapped => fault("join-order-swapped", "JOIN-ORDER", true,
            "On joining, the supervisor gets StatusChange before ParticipantsUpdated.");
        // Capabilities.
        MonitorCapabilityMisspelled => fault("monitor-capability-misspelled", "CAP-MONITOR", false,
            "Monitor mode lists SwitchToBargein (lower-case i) for SwitchToBargeIn.");
        CoachCapabilityMissing => fault("coach-capability-missing", "CAP-COACH", false,
            "Coach mode does not list Transfer.");
        CoachCapabilitiesAsExample => fault("coach-capabilities-as-example", "CAP-COACH", true,
            "Coach mode lists the seed example's capabilities: SwitchBargeIn, no AddComment (errata E5, E6: a documented variant).");
        BargeInCapabilityExtra => fault("bargein-capability-extra", "CAP-BARGEIN", false,
            "BargeIn mode also lists Complete.");
        CapabilitiesNotEnforced => fault("capabilities-not-enforced", "CAP-ENFORCED", false,
            "A supervisor's operation outside its capabilities is carried out instead of refused.");
        CapabilityRefusalHttp200 => fault("capability-refusal-http-200", "CAP-ENFORCED", false,
            "An operation outside the caller's capabilities is refused with HTTP 200 (statusCode 3) instead of 403.");
        // Visibility.
        MonitorVisibleToAgents => fault("monitor-visible-to-agents", "VIS-MONITOR", false,
            "A Monitor-mode supervisor has visibility Agents, so agents see it.");
        CoachVisibleToCustomer => fault("coach-visible-to-customer", "VIS-COACH", false,
            "A Coach-mode supervisor has visibility All, so the customer sees it.");
        BargeInHiddenFromCustomer => fault("bargein-hidden-from-customer", "VIS-BARGEIN", false,
            "A BargeIn-mode supervisor has visibility Agents, so the customer does not see it.");
        CustomerSeesAgentMessages => fault("customer-sees-agent-messages", "VIS-CUSTOMER", false,
            "The customer's message log includes messages with visibility Agents (coaching leaks to the customer).");
        CustomerSeesSupervisors => fault("customer-sees-supervisors", "VIS-CUSTOMER", false,
            "The customer's chat view lists every participant, Monitor- and Coach-mode supervisors included.");
        // Mode switches.
        SwitchToCoachIgnored => fault("switch-to-coach-ignored", "SWITCH-MONITOR-COACH", false,
            "SwitchToCoach from Monitor mode succeeds but the supervisor stays in Monitor mode.");
        SwitchToBargeInUnannounced => fault("switch-to-bargein-unannounced", "SWITCH-COACH-BARGEIN", false,
            "SwitchToBargeIn from Coach mode changes the mode but notifies nobody.");
        SwitchToMonitorKeepsVisibility => fault("switch-to-monitor-keeps-visibility", "SWITCH-BARGEIN-MONITOR", false,
            "SwitchToMonitor from BargeIn mode gives the Monitor capabilities but keeps visibility All.");
        // Supervisor operations.
        SupervisorLeaveIgnored => fault("supervisor-leave-ignored", "OP-LEAVE", false,
            "A supervisor's Leave succeeds but the supervisor stays in the chat.");
        AddCommentNotStored => fault("add-comment-not-stored", "OP-ADDCOMMENT", false,
            "AddComment succeeds but the comment is not kept (PropertiesUpdated shows none).");
        SupervisorMessageAgentsOnly => fault("supervisor-message-agents-only", "OP-SENDMESSAGE", false,
            "A supervisor's SendMessage is logged with visibility Agents, so it never reaches the customer.");
        ConsultAsConference => fault("consult-as-conference", "OP-CONSULT", false,
            "Consult brings the agent in as a conference member, visible to the customer.");
        // The end of a supervisor's chat.
        NoRevokeOnComplete => fault("no-revoke-on-complete", "REVOKE-COMPLETED", false,
            "When the chat is completed, supervisors are dropped from it without a Revoked notification.");
        TransferKeepsSupervisor => fault("transfer-keeps-supervisor", "REVOKE-QUEUED", false,
            "When the chat is transferred (placed in a queue), the supervisors stay in it instead of being revoked.");
        NoRevokeWithoutAgent => fault("no-revoke-without-agent", "REVOKE-NO-AGENT", true,
            "When no agent remains in the chat, the supervisors stay in it instead of being revoked.");
        RevokedWithParticipants => fault("revoked-with-participants", "REVOKE-EMPTY", false,
            "Revoked and Completed notifications list the participants still in the chat.");
        // The wire form of notifications (applied by `Faults::rewrite_outbox`).
        StatusChangeMisnamed => fault("status-change-misnamed", "NOTIF-SCHEMA", false,
            "notificationType StatusChange is sent as StatusChanged.");
        MessageLogMisnamed => fault("message-log-misnamed", "NOTIF-SCHEMA", false,
            "messageType MessageLogUpdated is sent as MessageLogUpdate.");
        IndexAsString => fault("index-as-string", "NOTIF-SCHEMA", false,
            "Message index is sent as a JSON string (\"3\"), not a number.");
        TimestampInSeconds => fault("timestamp-in-seconds", "NOTIF-SCHEMA", false,
            "timestampSeconds holds seconds, not milliseconds (erratum E8 ruling).");
        MessageIndexRestarts => fault("message-index-restarts", "NOTIF-INDEX", false,
            "Each MessageLogUpdated numbers its messages from 1, so indexes do not increase across notifications.");
        ReferenceIdMissing => fault("reference-id-missing", "NOTIF-REFERENCE", true,
            "Notifications caused by a request carry no referenceId.");
        ReferenceIdWrong => fault("reference-id-wrong", "NOTIF-REFERENCE", true,
            "Notifications caused by a request carry a referenceId no response returned.");
        DuplicateMessageLog => fault("duplicate-message-log", "NOTIF-UNIQUE", true,
            "Every MessageLogUpdated is delivered twice.");
        LateDuplicateMessageLog => fault("late-duplicate-message-log", "NOTIF-UNIQUE", true,
            "Every MessageLogUpdated is delivered a second time 150 ms after the first (later than a calibrated quiet window on a fast target).");
        RevokedWithoutReceivedDate => fault("revoked-without-received-date", "NOTIF-EXAMPLE", true,
            "Revoked and Completed notifications lack the documented example's receivedDate.");
        // The Bayeux transport.
        BayeuxNoAdvice => fault("bayeux-no-advice", "BAYEUX-ADVICE", true,
            "Handshake and connect replies carry no advice (no reconnect, interval or timeout).");
        BayeuxUnknownClient400 => fault("bayeux-unknown-client-400", "BAYEUX-UNKNOWN-CLIENT", false,
            "An unknown clientId is answered 400::Unknown client without advice, instead of 402 with reconnect handshake.");
        BayeuxRedelivery => fault("bayeux-redelivery", "NOTIF-UNIQUE", true,
            "The connect after a delivery repeats the messages already delivered (duplicates across reconnects).");
        BayeuxBatchTruncated => fault("bayeux-batch-truncated", "JOIN-NOTIFICATIONS", false,
            "A connect delivers only the first queued message; the rest are lost across the reconnect.");
        BayeuxConnectRefusedOnce => fault("bayeux-connect-refused-once", "BAYEUX-REPLY", false,
            "The second /meta/connect of every client is refused (500::, reconnect retry); the session then goes on.");
        // Where notifications arrive and which chat they name.
        PropertiesOnWrongChannel => fault("properties-on-wrong-channel", "NOTIF-CHANNEL", false,
            "PropertiesUpdated notifications are published on /v2/me/channels instead of /v2/me/chats.");
        ChatUriOtherChat => fault("chat-uri-other-chat", "NOTIF-CHAT-REF", false,
            "A MessageLogUpdated's chatUri and chatPath name another chat than the one its messages belong to.");
        // What a party is shown on joining.
        JoinHistoryCutShort => fault("join-history-cut-short", "JOIN-HISTORY", false,
            "The history a supervisor receives on joining leaves out the chat's first message.");
        CustomerMissingFromView => fault("customer-missing-from-view", "JOIN-PARTICIPANTS", false,
            "Supervisors are shown the chat's participants without the customer.");
        // The customer's transcript.
        TranscriptIndexOffByOne => fault("transcript-index-off-by-one", "CUSTOMER-TRANSCRIPT", false,
            "GET .../messages?index=N also returns the entry before N.");
        TranscriptRepeatsReceived => fault("transcript-repeats-received", "CUSTOMER-TRANSCRIPT", false,
            "GET .../messages without index returns every entry again, not only those the customer has not received.");
        // Mode switches beyond a fresh join.
        RevokedOnSwitchToMonitor => fault("revoked-on-switch-to-monitor", "SWITCH-COACH-MONITOR", false,
            "SwitchToMonitor from Coach mode revokes the supervisor from the chat.");
        StaleCapabilitiesAfterSecondSwitch => fault("stale-capabilities-after-second-switch", "SWITCH-COACH-BARGEIN", false,
            "A supervisor's second mode switch in a chat changes its visibility but keeps the previous mode's capabilities.");
        SwitchInSecondChatSwitchesFirst => fault("switch-in-second-chat-switches-first", "MON-MULTI-CHAT", false,
            "A mode switch in a supervisor's second chat switches its first chat instead.");
        RevokedWhenAgentInvites => fault("revoked-when-agent-invites", "MON-STAYS", false,
            "When an agent invites or consults another agent, the chat's supervisors are revoked though the chat goes on.");
        SwitchRefusedAfterAgentLeft => fault("switch-refused-after-agent-left", "MON-CONFERENCE-LEAVE", false,
            "Once the monitored agent has left a conference, the supervisor's mode switches are refused.");
        // Operations of the Coach and BargeIn capabilities.
        SupervisorTypingAgentsOnly => fault("supervisor-typing-agents-only", "OP-TYPING", false,
            "A BargeIn supervisor's SendStartTypingNotification is logged with visibility Agents, so the customer is not told.");
        InviteAsConsult => fault("invite-as-consult", "OP-INVITE", false,
            "Invite brings the agent in as a consultant, hidden from the customer.");
        UpdateUserDataIgnored => fault("update-user-data-ignored", "OP-UPDATEUSERDATA", false,
            "UpdateUserData succeeds and sends PropertiesUpdated, but the user data is unchanged.");
        DeleteUserDataIgnored => fault("delete-user-data-ignored", "OP-DELETEUSERDATA", false,
            "DeleteUserData succeeds and sends PropertiesUpdated, but the keys stay.");
        DispositionUnderOtherKey => fault("disposition-under-other-key", "OP-SETDISPOSITION", false,
            "SetDisposition writes the disposition under Disposition instead of the documented default key DispositionCode.");
    }
}

/// The spec of one fault (a `const fn` so the catalogue reads as a table).
const fn fault(
    name: &'static str,
    requirement: &'static str,
    strict_only: bool,
    description: &'static str,
) -> FaultSpec {
    FaultSpec {
        name,
        requirement,
        strict_only,
        description,
    }
}

impl Fault {
    /// The requirement id it breaks.
    pub fn requirement(self) -> &'static str {
        self.spec().requirement
    }

    /// Whether only a `--strict` run is expected to fail on its requirement.
    pub fn strict_only(self) -> bool {
        self.spec().strict_only
    }

    /// One line saying what the server does wrong.
    pub fn description(self) -> &'static str {
        self.spec().description
    }
}

/// A set of seeded faults; empty by default (the server conforms).
pub type Faults = Set<Fault>;

impl Faults {
    /// The refusal of an operation outside the caller's capabilities (403, statusCode 3).
    pub fn capability_refusal(self, refusal: ApiError) -> ApiError {
        if self.has(Fault::CapabilityRefusalHttp200) {
            return ApiError {
                http: StatusCode::OK,
                ..refusal
            };
        }
        refusal
    }

    /// The refusal of a supervisor function to a user without the role (403, statusCode 5).
    pub fn role_refusal(self, refusal: ApiError) -> ApiError {
        if self.has(Fault::RoleRefusal401) {
            return ApiError::unauthenticated();
        }
        refusal
    }

    /// The participant visibility a supervisor gets in `mode`.
    pub fn supervisor_visibility(self, mode: Mode) -> Visibility {
        match mode {
            Mode::Monitor if self.has(Fault::MonitorVisibleToAgents) => Visibility::Agents,
            Mode::Coach if self.has(Fault::CoachVisibleToCustomer) => Visibility::All,
            Mode::BargeIn if self.has(Fault::BargeInHiddenFromCustomer) => Visibility::Agents,
            _ => Visibility::from(mode),
        }
    }

    /// The `capabilities` a member is shown (what it may do is [`capabilities::of`]).
    pub fn listed_capabilities(self, member: &Member) -> Vec<&'static str> {
        let mut list = capabilities::of(member).to_vec();
        let rename = |list: &mut Vec<&'static str>, from: &str, to: &'static str| {
            list.iter_mut()
                .filter(|c| **c == from)
                .for_each(|c| *c = to);
        };
        match member.mode() {
            Some(Mode::Monitor) if self.has(Fault::MonitorCapabilityMisspelled) => {
                rename(&mut list, "SwitchToBargeIn", "SwitchToBargein");
            }
            Some(Mode::Coach) => {
                if self.has(Fault::CoachCapabilityMissing) {
                    list.retain(|c| *c != "Transfer");
                }
                if self.has(Fault::CoachCapabilitiesAsExample) {
                    rename(&mut list, "SwitchToBargeIn", "SwitchBargeIn");
                    list.retain(|c| *c != "AddComment");
                }
            }
            Some(Mode::BargeIn) if self.has(Fault::BargeInCapabilityExtra) => list.push("Complete"),
            _ => {}
        }
        list
    }

    /// Applies the faults about the wire form of chat notifications to an outbox, just before
    /// it is published.
    pub fn rewrite_outbox(self, outbox: Vec<Delivery>) -> Vec<Delivery> {
        if self.is_empty() {
            return outbox;
        }
        let mut out = Vec::with_capacity(outbox.len());
        for mut delivery in outbox {
            if delivery.channel != CHATS_CHANNEL {
                out.push(delivery);
                continue;
            }
            let log = delivery
                .data
                .get("messageType")
                .is_some_and(|t| t == "MessageLogUpdated");
            let properties = delivery
                .data
                .get("notificationType")
                .is_some_and(|t| t == "PropertiesUpdated");
            if properties && self.has(Fault::PropertiesOnWrongChannel) {
                delivery.channel = CHANNELS_CHANNEL;
            }
            self.rewrite_notification(std::sync::Arc::make_mut(&mut delivery.data));
            if log && self.has(Fault::DuplicateMessageLog) {
                out.push(delivery.clone());
            }
            out.push(delivery);
        }
        out
    }

    /// How long after a notification its late copy is delivered
    /// ([`Fault::LateDuplicateMessageLog`]).
    pub const LATE_COPY_DELAY: std::time::Duration = std::time::Duration::from_millis(150);

    /// The copies of `outbox`'s notifications (as rewritten) to deliver again after
    /// [`Faults::LATE_COPY_DELAY`].
    pub fn late_copies(self, outbox: &[Delivery]) -> Vec<Delivery> {
        if !self.has(Fault::LateDuplicateMessageLog) {
            return Vec::new();
        }
        outbox
            .iter()
            .filter(|d| d.channel == CHATS_CHANNEL && d.data.get("messages").is_some())
            .cloned()
            .collect()
    }

    fn rewrite_notification(self, data: &mut Value) {
        let Value::Object(n) = data else {
            return;
        };
        let rename = |n: &mut serde_json::Map<String, Value>, key: &str, from: &str, to: &str| {
            if let Some(value) = n.get_mut(key).filter(|v| *v == from) {
                *value = Value::from(to);
            }
        };
        if self.has(Fault::StatusChangeMisnamed) {
            rename(n, "notificationType", "StatusChange", "StatusChanged");
        }
        if self.has(Fault::MessageLogMisnamed) {
            rename(n, "messageType", "MessageLogUpdated", "MessageLogUpdate");
        }
        if self.has(Fault::ReferenceIdWrong)
            && let Some(reference) = n.get_mut("referenceId")
        {
            *reference = Value::from(reference.as_u64().unwrap_or(0).saturating_add(1_000_000));
        }
        if self.has(Fault::ReferenceIdMissing) {
            n.remove("referenceId");
        }
        if self.has(Fault::ChatUriOtherChat) {
            other_chat(n);
        }
        if self.has(Fault::RevokedWithoutReceivedDate)
            && let Some(Value::Object(chat)) = n.get_mut("chat")
            && matches!(
                chat.get("state").and_then(Value::as_str),
                Some("Revoked" | "Completed")
            )
        {
            chat.remove("receivedDate");
        }
        let Some(Value::Array(messages)) = n.get_mut("messages") else {
            return;
        };
        for (position, message) in messages.iter_mut().enumerate() {
            let Value::Object(message) = message else {
                continue;
            };
            if self.has(Fault::MessageIndexRestarts) {
                message.insert("index".into(), Value::from(position + 1));
            }
            if self.has(Fault::IndexAsString)
                && let Some(index) = message.get_mut("index")
            {
                *index = Value::from(index.to_string());
            }
            if self.has(Fault::TimestampInSeconds)
                && let Some(stamp) = message.get_mut("timestampSeconds")
                && let Some(millis) = stamp.as_u64()
            {
                *stamp = Value::from(millis / 1000);
            }
        }
    }
}

/// Points a MessageLogUpdated's `chatUri` and `chatPath` at another chat (its id reversed).
fn other_chat(notification: &mut serde_json::Map<String, Value>) {
    for (key, at) in [("chatUri", "/chats/"), ("chatPath", "/chats/")] {
        if let Some(Value::String(text)) = notification.get_mut(key)
            && let Some((before, id)) = text.rsplit_once(at)
        {
            let other: String = id.chars().rev().collect();
            *text = format!("{before}{at}{other}x");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_are_unique_kebab_case_and_described() {
        crate::server::seeded::assert_well_named(Fault::description);
        assert!(Fault::ALL.len() >= 25);
    }

    #[test]
    fn an_unknown_name_gets_a_suggestion() {
        let error = "cancel-keep-monitoring".parse::<Fault>().unwrap_err();
        assert!(
            error.contains("did you mean `cancel-keeps-monitoring`?"),
            "{error}"
        );
        let error = "zzz".parse::<Fault>().unwrap_err();
        assert!(!error.contains("did you mean"), "{error}");
    }

    /// A MessageLogUpdated answering request 3, with one message.
    fn log_update() -> Delivery {
        Delivery {
            user_id: "u".into(),
            channel: CHATS_CHANNEL,
            data: json!({"messageType": "MessageLogUpdated", "referenceId": 3,
                "messages": [{"index": 4, "timestampSeconds": 1_700_000_000_000_u64}]})
            .into(),
        }
    }

    #[test]
    fn no_fault_leaves_notifications_alone() {
        let delivery = log_update();
        let out = Faults::NONE.rewrite_outbox(vec![delivery.clone()]);
        assert_eq!(out, vec![delivery]);
    }

    #[test]
    fn wire_faults_rewrite_the_notification() {
        let delivery = log_update();
        let faults: Faults = [
            Fault::IndexAsString,
            Fault::TimestampInSeconds,
            Fault::ReferenceIdMissing,
            Fault::DuplicateMessageLog,
            Fault::MessageLogMisnamed,
        ]
        .into_iter()
        .collect();
        let out = faults.rewrite_outbox(vec![delivery]);
        assert_eq!(out.len(), 2);
        assert_eq!(
            *out[0].data,
            json!({"messageType": "MessageLogUpdate",
                "messages": [{"index": "4", "timestampSeconds": 1_700_000_000_u64}]})
        );
    }
}
