//! The fixtures are the Supervisor Monitoring page's four examples
//! (https://docs.genesys.com/Documentation/HTCC/latest/API/ChatSupervisor) with only the
//! repairs E1–E4 of `fixtures/ERRATA.md` applied: these tests pin every value the page prints,
//! the printed key order, the documented inconsistencies the fixtures must keep (E5–E16), and
//! that the printed forms the repairs replaced would fail the schemas. A fixture edited to
//! "fix" the documentation, or drifting from it, fails here and must come with an erratum.

use std::path::{Path, PathBuf};

use gws_conform::check::schema::SchemaSet;
use serde_json::{Value, json};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// The fixture's text and its parsed value.
fn fixture(name: &str) -> (String, Value) {
    let text = std::fs::read_to_string(root().join("fixtures").join(name)).expect("readable");
    let value = serde_json::from_str(&text).expect("JSON");
    (text, value)
}

const PARTICIPANTS_UPDATED: &str = "chat-started-participants-updated.json";
const STATUS_CHANGE: &str = "chat-started-status-change.json";
const MESSAGE_LOG: &str = "chat-started-message-log-updated.json";
const REVOKED: &str = "chat-completed-status-change-revoked.json";
const ALL: [&str; 4] = [PARTICIPANTS_UPDATED, STATUS_CHANGE, MESSAGE_LOG, REVOKED];

/// The page's chat, its URI and its three participants (user URIs joined: E2).
const CHAT_ID: &str = "0001Da9PFC93000S";
const CHAT_URI: &str = "http://10.10.15.212:9090/api/v2/chats/0001Da9PFC93000S";

fn agent() -> Value {
    json!({"nickname": "test_agent", "type": "Agent",
        "uri": "http://10.10.15.212:9090/api/v2/users/90cc5439ff6848748e5e67811273f266",
        "visibility": "All", "participantId": "00AF5367D3D0000A"})
}

fn supervisor() -> Value {
    json!({"nickname": "test_supervisor", "type": "Agent",
        "uri": "http://10.10.15.212:9090/api/v2/users/991a4bece8dd4184a93e98ad429694f6",
        "visibility": "Agents", "participantId": "00AF5367D3D0000B"})
}

fn customer() -> Value {
    json!({"nickname": "test_clientL", "type": "Customer",
        "participantId": "00AF5367D3AD0008", "visibility": "All"})
}

/// The keys of an object, in order.
fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect()
}

/// Milliseconds since the epoch of a GWS timestamp `YYYY-MM-DD HH:MM:SS.mmm±HHMM`.
fn epoch_millis(timestamp: &str) -> i64 {
    let number = |range: std::ops::Range<usize>| -> i64 {
        timestamp[range]
            .parse()
            .unwrap_or_else(|_| panic!("{timestamp}"))
    };
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let (hour, minute, second, millis) = (
        number(11..13),
        number(14..16),
        number(17..19),
        number(20..23),
    );
    let sign = if &timestamp[23..24] == "-" { -1 } else { 1 };
    let offset_minutes = sign * (number(24..26) * 60 + number(26..28));
    // Days from 1970-01-01 to the civil date (Howard Hinnant's days_from_civil).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let local = ((days * 24 + hour) * 60 + minute) * 60 + second;
    (local - offset_minutes * 60) * 1000 + millis
}

#[test]
fn the_timestamp_arithmetic_is_right() {
    assert_eq!(epoch_millis("1970-01-01 00:00:00.000+0000"), 0);
    assert_eq!(
        epoch_millis("2014-01-09 11:58:12.035+0200"),
        1_389_261_492_035
    );
}

#[test]
fn fixtures_are_pretty_printed_in_the_printed_key_order() {
    for name in ALL {
        let (text, value) = fixture(name);
        let pretty = serde_json::to_string_pretty(&value).expect("serialises") + "\n";
        assert_eq!(
            text, pretty,
            "{name}: not 2-space pretty JSON with a final newline"
        );
    }
    let (_, started) = fixture(PARTICIPANTS_UPDATED);
    assert_eq!(keys(&started), ["chat", "notificationType", "messageType"]);
    assert_eq!(
        keys(&started["chat"]),
        [
            "receivedDate",
            "chatType",
            "capabilities",
            "uri",
            "state",
            "participants",
            "id"
        ]
    );
    assert_eq!(
        keys(&started["chat"]["participants"][0]),
        ["nickname", "type", "uri", "visibility", "participantId"]
    );
    assert_eq!(
        keys(&started["chat"]["participants"][2]),
        ["nickname", "type", "participantId", "visibility"]
    );
    let (_, log) = fixture(MESSAGE_LOG);
    assert_eq!(
        keys(&log),
        ["messages", "notificationType", "messageType", "chatUri"]
    );
    assert_eq!(
        keys(&log["messages"][0]),
        [
            "index",
            "from",
            "timestamp",
            "visibility",
            "type",
            "timestampSeconds"
        ]
    );
    let (_, revoked) = fixture(REVOKED);
    assert_eq!(
        keys(&revoked["chat"]),
        [
            "receivedDate",
            "participants",
            "capabilities",
            "uri",
            "state",
            "id"
        ]
    );
}

#[test]
fn the_chat_started_examples_are_one_chat_with_the_examples_variant_capabilities() {
    let (_, participants_updated) = fixture(PARTICIPANTS_UPDATED);
    let expected = json!({
        "receivedDate": "2014-05-05 11:08:45.000-0700",
        "chatType": "Inbound",
        "capabilities": [
            "Leave", "SetInFocus", "SetDisposition", "AttachUserData", "DeleteUserData",
            "UpdateUserData", "Transfer", "Invite", "Consult", "SendToAgents",
            "SendStartTypingToAgentsNotification", "SendStopTypingToAgentsNotification",
            "SwitchToMonitor", "SwitchBargeIn"
        ],
        "uri": CHAT_URI,
        "state": "Chatting",
        "participants": [agent(), supervisor(), customer()],
        "id": CHAT_ID
    });
    // E4 repaired receivedDate; E5 keeps SwitchBargeIn at /chat/capabilities/13; E6 keeps the
    // 14 capabilities without AddComment; E9 the supervisor's Agents; E16 the customer's name.
    assert_eq!(participants_updated["chat"], expected);
    assert_eq!(
        participants_updated["notificationType"],
        "ParticipantsUpdated"
    );
    assert_eq!(
        participants_updated["messageType"],
        "ChatStateChangeMessage"
    );
    // E11: the StatusChange example is the same chat, full participant list, no referenceId.
    let (_, status_change) = fixture(STATUS_CHANGE);
    let mut same = participants_updated.clone();
    same["notificationType"] = json!("StatusChange");
    assert_eq!(status_change, same);
}

#[test]
fn the_message_log_example_holds_the_three_joins_with_repaired_times() {
    let (_, log) = fixture(MESSAGE_LOG);
    let expected = json!([
        {"index": 1, "from": customer(), "timestamp": "2014-05-05 11:08:46.000-0700",
         "visibility": "All", "type": "ParticipantJoined", "timestampSeconds": 1_399_313_326_000_u64},
        {"index": 2, "from": agent(), "timestamp": "2014-05-05 11:09:20.000-0700",
         "visibility": "All", "type": "ParticipantJoined", "timestampSeconds": 1_399_313_360_000_u64},
        {"index": 3, "from": supervisor(), "timestamp": "2014-05-05 11:09:20.000-0700",
         "visibility": "Agents", "type": "ParticipantJoined", "timestampSeconds": 1_399_313_360_000_u64}
    ]);
    assert_eq!(log["messages"], expected);
    assert_eq!(log["chatUri"], CHAT_URI);
    assert_eq!(log["notificationType"], "NewMessages");
    assert_eq!(log["messageType"], "MessageLogUpdated");
    // E1 dropped only the L: the numbers are integers. E3 restored the times from the printed
    // digits; they agree with timestampSeconds read as milliseconds (E8).
    for message in log["messages"].as_array().expect("messages") {
        let millis = message["timestampSeconds"].as_i64().expect("an integer");
        let timestamp = message["timestamp"].as_str().expect("a string");
        assert_eq!(epoch_millis(timestamp), millis, "{message}");
    }
}

#[test]
fn the_revoked_example_keeps_its_documented_differences() {
    let (_, revoked) = fixture(REVOKED);
    // E4 repaired; E12 a minute later than "Chat is started"; E14 no chatType; E7 the example's
    // StatusChange, not the text's StateChanged.
    assert_eq!(
        revoked,
        json!({
            "chat": {
                "receivedDate": "2014-05-05 11:09:45.000-0700",
                "participants": [],
                "capabilities": [],
                "uri": CHAT_URI,
                "state": "Revoked",
                "id": CHAT_ID
            },
            "notificationType": "StatusChange",
            "messageType": "ChatStateChangeMessage"
        })
    );
}

#[test]
fn the_printed_forms_the_repairs_replaced_fail_the_schemas() {
    let schemas = SchemaSet::from_dir(&root().join("schemas")).expect("schemas load");
    let failing_at = |value: &Value, pointer: &str| {
        schemas
            .validate("notification.schema.json", value)
            .iter()
            .any(|e| e.starts_with(&format!("{pointer}: ")))
    };
    let (_, log) = fixture(MESSAGE_LOG);
    assert!(!failing_at(&log, "/messages/0/timestamp"));
    let mut printed = log.clone();
    // E3: the page prints the date and time run together, with spaces after the colons.
    printed["messages"][0]["timestamp"] = json!("2014-05-0511: 08: 46.000-0700");
    // E2: the page breaks the user URI across lines.
    printed["messages"][1]["from"]["uri"] =
        json!("http://10.10.15.212:9090/api/v2/users/\n\n90cc5439ff6848748e5e67811273f266");
    assert!(failing_at(&printed, "/messages/0/timestamp"));
    assert!(failing_at(&printed, "/messages/1/from/uri"));
    let (_, revoked) = fixture(REVOKED);
    let mut printed = revoked.clone();
    // E4: the same run-together date in receivedDate.
    printed["chat"]["receivedDate"] = json!("2014-05-0511:09:45.000-0700");
    assert!(failing_at(&printed, "/chat/receivedDate"));
}
