//! The schemas against the documentation: every sample the Genesys pages print (made JSON, with
//! the Bayeux `data` wrapper removed as the pages do) passes the schema it belongs to, each
//! column of the capability table passes its mode's schema in any order, and deliberately wrong
//! instances (one per rule a schema states) fail. The pages are listed in
//! `docs/rulings.md#sources`.

mod support;

use std::path::Path;
use std::sync::OnceLock;

use gws_conform::check::schema::SchemaSet;
use serde_json::{Value, json};
use support::seed_table;

fn schemas() -> &'static SchemaSet {
    static SET: OnceLock<SchemaSet> = OnceLock::new();
    SET.get_or_init(|| {
        SchemaSet::from_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas"))
            .expect("schemas/ loads")
    })
}

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).expect("readable")).expect("JSON")
}

const MODES: [(&str, &str); 3] = [
    ("Monitor", "capabilities-monitor.schema.json"),
    ("Coach", "capabilities-coach.schema.json"),
    ("BargeIn", "capabilities-bargein.schema.json"),
];

#[track_caller]
fn passes(schema: &str, what: &str, instance: &Value) {
    let errors = schemas().validate(schema, instance);
    assert!(
        errors.is_empty(),
        "{what} should pass {schema}: {errors:#?}"
    );
}

#[track_caller]
fn fails(schema: &str, what: &str, instance: &Value) {
    assert!(
        !schemas().validate(schema, instance).is_empty(),
        "{what} should fail {schema}: {instance}"
    );
}

/// `doc` changed by `change`.
fn with(doc: &Value, change: impl FnOnce(&mut Value)) -> Value {
    let mut copy = doc.clone();
    change(&mut copy);
    copy
}

const CHAT_URI: &str = "http://localhost:8080/api/v2/chats/0000Na9B26EF002X";

/// The capabilities of the Accept page's samples.
fn accept_capabilities() -> Value {
    json!([
        "Transfer",
        "Complete",
        "Leave",
        "InFocus",
        "SendMessage",
        "SendStartTypingNotification",
        "SendStopTypingNotification"
    ])
}

#[test]
fn documented_notification_samples_pass() {
    let samples = [
        (
            "Accept, StatusChange (ChatAccept 8.5.2)",
            json!({"messageType": "ChatStateChangeMessage", "referenceId": 17,
                "notificationType": "StatusChange",
                "chat": {"state": "Chatting", "capabilities": accept_capabilities(),
                    "id": "0000Na9B26EF002X", "uri": CHAT_URI, "participants": []}}),
        ),
        (
            "Accept, ParticipantsUpdated (ChatAccept 8.5.2)",
            json!({"messageType": "ChatStateChangeMessage", "notificationType": "ParticipantsUpdated",
                "chat": {"state": "Chatting", "capabilities": accept_capabilities(),
                    "id": "0000Na9B26EF002X", "uri": CHAT_URI,
                    "participants": [
                        {"type": "Agent", "nickname": "Marat", "participantId": "009052C5E743004C"},
                        {"type": "Customer", "nickname": "PersonP", "participantId": "009052C5E6D6004A"}]}}),
        ),
        (
            "PropertiesUpdated (ChatMessageType)",
            json!({"notificationType": "PropertiesUpdated", "messageType": "ChatStateChangeMessage",
                "chat": {"userData": {"key1": "value1", "key2": "value2"}, "state": "Chatting",
                    "capabilities": accept_capabilities(),
                    "uri": "http://localhost:8080/api/v2/chats/0000Wa9CAM6W00J",
                    "participants": [
                        {"nickname": "test_consult_clientL", "type": "Customer", "participantId": "007352CE982D031B"},
                        {"nickname": "TestName", "type": "Agent", "participantId": "007352CE984F0321"}],
                    "id": "0000Wa9CAM6W00J"},
                "referenceId": 83}),
        ),
        (
            "Leave, LeftChat (ChatLeave)",
            json!({"messageType": "ChatStateChangeMessage", "notificationType": "StatusChange",
                "chat": {"state": "LeftChat", "capabilities": ["Transfer", "Complete", "Leave", "InFocus"],
                    "id": "0000Na9B26EF002X", "uri": CHAT_URI, "participants": []}}),
        ),
        (
            "SendMessage, MessageLogUpdated (ChatSend)",
            json!({"messages": [{"index": 3,
                    "from": {"nickname": "TestName", "type": "Agent", "participantId": "007352CE72D50290"},
                    "text": "How may I help you?", "visibility": "All",
                    "timestamp": "2014-01-09 11:58:12.035+0200", "type": "Text",
                    "timestampSeconds": 1_389_261_492_035_u64}],
                "notificationType": "NewMessages", "messageType": "MessageLogUpdated",
                "chatUri": "http://localhost:8080/api/v2/chats/0000Wa9CAM6W00FN",
                "chatPath": "/chats/0000Wa9CAM6W00FN"}),
        ),
        (
            "channel state (CometdNotification 8.5.0, ChannelsResource)",
            json!({"messageType": "ChannelStateChangeMessageV2", "channels": [
                {"channel": "chat", "userState": {"id": "9430250E-0A1B-421F-B372-F29E69366DED",
                    "displayName": "Ready", "state": "Ready"}},
                {"channel": "email", "userState": {"id": "900D55CC-2BB0-431F-8BF9-D3525B383BE6",
                    "displayName": "Not Ready", "state": "NotReady"}}]}),
        ),
        (
            "Error (ChatMessageType: payload undocumented)",
            json!({"messageType": "ChatStateChangeMessage", "notificationType": "Error", "referenceId": 4}),
        ),
    ];
    for (what, sample) in &samples {
        passes("notification.schema.json", what, sample);
    }
    for name in [
        "chat-started-message-log-updated.json",
        "chat-completed-status-change-revoked.json",
    ] {
        passes("notification.schema.json", name, &fixture(name));
    }
    let envelope = json!({"channel": "/v2/me/chats",
        "data": fixture("chat-completed-status-change-revoked.json")});
    passes(
        "bayeux-message.schema.json",
        "the Bayeux envelope (ChatMessageType)",
        &envelope,
    );
}

#[test]
fn documented_response_and_request_samples_pass() {
    let samples = [
        (
            "me-response.schema.json",
            "GET /api/v2/me (InterpretingaResponse)",
            json!({"statusCode": 0, "user": {"id": "63630bbebf4840d7a0bffd6312bc29ff",
                "userName": "ksippo", "firstName": "Kristi", "lastName": "Sippola",
                "roles": ["ROLE_AGENT"], "enabled": true, "changePasswordOnFirstLogin": false,
                "uri": "http://127.0.0.1/cloud-web/api/v2/users/63630bbebf4840d7a0bffd6312bc29ff",
                "path": "/users/63630bbebf4840d7a0bffd6312bc29ff"}}),
        ),
        (
            "error-response.schema.json",
            "statusCode 20 (InterpretingaResponse)",
            json!({"statusCode": 20, "statusMessage": "Access de…"}),
        ),
        (
            "version-response.schema.json",
            "GET /api/v2/diagnostics/version (InterpretingaResponse)",
            json!({"statusCode": 0, "version": "8.5.200.50"}),
        ),
        (
            "chat-operation-response.schema.json",
            "Invite response (ChatInviteUser)",
            json!({"statusCode": 0, "referenceId": 35}),
        ),
        (
            "chat-operation-response.schema.json",
            "plain success (Return Values)",
            json!({"statusCode": 0}),
        ),
        (
            "request-chat-response.schema.json",
            "RequestChat response (CustomerChatRequestChat)",
            json!({"id": "652492d9-1f0a-4c55-a1b2-0123456789ab", "statusCode": 0,
                "path": "/api/v2/chats/652492d9-1f0a-4c55-a1b2-0123456789ab"}),
        ),
        (
            "customer-chat-response.schema.json",
            "customer chat (CustomerChatResource)",
            json!({"chat": {"capabilities": ["SendMessage", "Complete"], "id": "652492d9",
                "state": "WaitingForAgent",
                "participants": [{"nickname": "Chris", "participantId": "00AF5367D3AD0008", "type": "Customer"}]},
                "statusCode": 0}),
        ),
        (
            "customer-messages-response.schema.json",
            "customer messages (CustomerChatGetMessages)",
            json!({"messages": [{"from": {"nickname": "Chris", "participantId": "00AF5367D3AD0008",
                "type": "Customer"}, "index": 1, "type": "ParticipantJoined"}], "statusCode": 0}),
        ),
        (
            "request-me-operation.schema.json",
            "StartContactCenterSession (StartContactCenterSession)",
            json!({"operationName": "StartContactCenterSession", "channels": ["voice", "chat"], "place": "p1"}),
        ),
        (
            "request-chat-operation.schema.json",
            "UpdateUserData (ChatUpdateUserData)",
            json!({"operationName": "UpdateUserData",
                "userData": {"UserData1": 987_654_321, "UserData2": "DATAUPDATE-@123"}}),
        ),
        (
            "request-chat-operation.schema.json",
            "Transfer to a queue (ChatSingleStepTransfer)",
            json!({"operationName": "Transfer", "queueName": "Q"}),
        ),
        (
            "request-chat-operation.schema.json",
            "Leave with a text (ChatLeave)",
            json!({"operationName": "Leave", "text": "bye", "messageType": "Text", "treatAs": "System"}),
        ),
        (
            "request-supervisor-monitoring.schema.json",
            "Coach (ChatCoach)",
            json!({"operationName": "Coach", "supervisorMonitoringMode": "NextChat", "nickname": "Boss"}),
        ),
        (
            "request-customer-request-chat.schema.json",
            "RequestChat (CustomerChatRequestChat)",
            json!({"operationName": "RequestChat", "nickname": "Chris", "subject": "Question...",
                "userData": {"a": "b"}}),
        ),
        (
            "bayeux-meta-reply.schema.json",
            "402 Unknown client (CometD)",
            json!({"channel": "/meta/connect", "successful": false, "error": "402::Unknown client",
                "advice": {"reconnect": "handshake", "interval": 0}}),
        ),
        (
            "bayeux-meta-reply.schema.json",
            "a connect reply without clientId (the official CometD server's)",
            json!({"id": "5", "channel": "/meta/connect", "successful": true}),
        ),
        (
            "bayeux-meta-reply.schema.json",
            "a subscribe reply without clientId (the official CometD server's)",
            json!({"id": "2", "channel": "/meta/subscribe", "successful": true,
                "subscription": "/v2/me/chats"}),
        ),
    ];
    for (schema, what, sample) in &samples {
        passes(schema, what, sample);
    }
}

#[test]
fn each_column_of_the_table_passes_its_mode_in_any_order_and_no_other() {
    for (mode, schema) in MODES {
        let column = seed_table(mode);
        let mut reversed = column.clone();
        reversed.reverse();
        passes(schema, &format!("{mode} column"), &json!(column));
        passes(schema, &format!("{mode} column reversed"), &json!(reversed));
        passes(
            "supervisor-capabilities.schema.json",
            &format!("{mode} column"),
            &json!(column),
        );
        for (other, other_schema) in MODES {
            if other != mode {
                fails(
                    other_schema,
                    &format!("the {mode} column as {other}"),
                    &json!(column),
                );
            }
        }
    }
}

#[test]
fn capability_sets_other_than_the_table_columns_fail() {
    // A chat notification carrying the capabilities under test.
    let chat_with = |capabilities: &[&str]| {
        with(&fixture("chat-started-status-change.json"), |d| {
            d["chat"]["capabilities"] = json!(capabilities)
        })
    };
    // A capability of another mode in place of Leave.
    let intruder = [
        ("Monitor", "SendMessage"),
        ("Coach", "SendMessage"),
        ("BargeIn", "SwitchToBargeIn"),
    ];
    for ((mode, schema), (_, other)) in MODES.into_iter().zip(intruder) {
        let column = seed_table(mode);
        let mut replaced = column.clone();
        replaced[0] = other;
        let missing = &column[1..];
        let extra = [&column[..], &["Complete"]].concat();
        let mut duplicate = column[..column.len() - 1].to_vec();
        duplicate.push(column[0]);
        let example_spelling: Vec<&str> = if column.contains(&"SwitchToBargeIn") {
            column
                .iter()
                .map(|c| {
                    if *c == "SwitchToBargeIn" {
                        "SwitchBargeIn"
                    } else {
                        c
                    }
                })
                .collect()
        } else {
            [&column[..column.len() - 1], &["SwitchBargeIn"]].concat()
        };
        for (what, list) in [
            ("Leave replaced by another mode's capability", &replaced[..]),
            ("Leave missing", missing),
            ("an extra Complete", &extra[..]),
            ("a duplicate", &duplicate[..]),
            ("the example's SwitchBargeIn", &example_spelling[..]),
        ] {
            fails(schema, &format!("{mode}: {what}"), &json!(list));
            if what != "a duplicate" {
                fails(
                    "notification.schema.json",
                    &format!("{mode} chat: {what}"),
                    &chat_with(list),
                );
            }
        }
    }
}

#[test]
fn notifications_breaking_a_documented_rule_fail() {
    let revoked = fixture("chat-completed-status-change-revoked.json");
    let log = fixture("chat-started-message-log-updated.json");
    let wrong = [
        (
            "unknown notificationType",
            with(&revoked, |d| d["notificationType"] = json!("ChatEnded")),
        ),
        (
            "unknown messageType",
            with(&revoked, |d| {
                d["messageType"] = json!("DeviceStateChangeMessage")
            }),
        ),
        (
            "missing messageType",
            with(&revoked, |d| {
                d.as_object_mut().unwrap().remove("messageType");
            }),
        ),
        (
            "StatusChange without chat",
            with(&revoked, |d| {
                d.as_object_mut().unwrap().remove("chat");
            }),
        ),
        (
            "Revoked with participants",
            with(
                &revoked,
                |d| {
                    d["chat"]["participants"] =
                        json!([{"nickname": "a", "type": "Agent", "participantId": "1"}])
                },
            ),
        ),
        (
            "Completed with capabilities",
            with(&revoked, |d| {
                d["chat"]["state"] = json!("Completed");
                d["chat"]["capabilities"] = json!(["Leave"]);
            }),
        ),
        (
            "unknown chat state",
            with(&revoked, |d| d["chat"]["state"] = json!("Ended")),
        ),
        (
            "chat uri under /me/chats",
            with(&revoked, |d| {
                d["chat"]["uri"] = json!("http://h/api/v2/me/chats/1")
            }),
        ),
        (
            "MessageLogUpdated with notificationType StatusChange",
            with(&log, |d| d["notificationType"] = json!("StatusChange")),
        ),
        (
            "a string index",
            with(&log, |d| d["messages"][0]["index"] = json!("1")),
        ),
        (
            "index 0",
            with(&log, |d| d["messages"][0]["index"] = json!(0)),
        ),
        (
            "timestampSeconds in seconds (E8)",
            with(&log, |d| {
                d["messages"][0]["timestampSeconds"] = json!(1_399_313_326)
            }),
        ),
        (
            "an ISO 8601 timestamp",
            with(&log, |d| {
                d["messages"][0]["timestamp"] = json!("2014-05-05T11:08:46.000-07:00")
            }),
        ),
        (
            "visibility Customers",
            with(&log, |d| {
                d["messages"][0]["visibility"] = json!("Customers")
            }),
        ),
        (
            "unknown message type",
            with(&log, |d| d["messages"][0]["type"] = json!("Chatter")),
        ),
        (
            "a Text message without text",
            with(&log, |d| d["messages"][0]["type"] = json!("Text")),
        ),
        (
            "participant type Supervisor",
            with(&log, |d| {
                d["messages"][2]["from"]["type"] = json!("Supervisor")
            }),
        ),
        (
            "a message without visibility",
            with(&log, |d| {
                d["messages"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("visibility");
            }),
        ),
        (
            "channel state without userState",
            json!({"messageType": "ChannelStateChangeMessageV2", "channels": [{"channel": "chat"}]}),
        ),
    ];
    for (what, instance) in &wrong {
        fails("notification.schema.json", what, instance);
    }
    let bayeux = [
        (
            "bayeux-message.schema.json",
            "/v2/me/chats carrying a channel state",
            json!({"channel": "/v2/me/chats", "data": {"messageType": "ChannelStateChangeMessageV2",
                "channels": [{"channel": "chat", "userState": {"state": "Ready", "displayName": "Ready", "id": "x"}}]}}),
        ),
        (
            "bayeux-message.schema.json",
            "a notification without the data wrapper",
            with(&revoked, |d| d["channel"] = json!("/v2/me/chats")),
        ),
        (
            "bayeux-meta-reply.schema.json",
            "an unsuccessful reply without error",
            json!({"channel": "/meta/connect", "successful": false}),
        ),
        (
            "bayeux-meta-reply.schema.json",
            "a handshake without clientId",
            json!({"channel": "/meta/handshake", "successful": true, "version": "1.0",
                "supportedConnectionTypes": ["long-polling"]}),
        ),
        (
            "bayeux-meta-reply.schema.json",
            "an error not in code:args:message form",
            json!({"channel": "/meta/connect", "successful": false, "error": "Unknown client"}),
        ),
        (
            "bayeux-meta-reply.schema.json",
            "unknown reconnect advice",
            json!({"channel": "/meta/connect", "successful": true, "clientId": "c",
                "advice": {"reconnect": "later"}}),
        ),
    ];
    for (schema, what, instance) in &bayeux {
        fails(schema, what, instance);
    }
}

#[test]
fn responses_and_requests_breaking_a_documented_rule_fail() {
    let wrong = [
        (
            "error-response.schema.json",
            "an error body with another field",
            json!({"statusCode": 3, "statusMessage": "no", "referenceId": 4}),
        ),
        (
            "error-response.schema.json",
            "an error with statusCode 0",
            json!({"statusCode": 0, "statusMessage": "ok"}),
        ),
        (
            "error-response.schema.json",
            "a string statusCode",
            json!({"statusCode": "3", "statusMessage": "no"}),
        ),
        (
            "error-response.schema.json",
            "an error without statusMessage",
            json!({"statusCode": 3}),
        ),
        (
            "success-response.schema.json",
            "success with a statusMessage",
            json!({"statusCode": 0, "statusMessage": "ok"}),
        ),
        (
            "chat-operation-response.schema.json",
            "an error body as an operation's success",
            json!({"statusCode": 2, "statusMessage": "x"}),
        ),
        (
            "chat-operation-response.schema.json",
            "a string referenceId",
            json!({"statusCode": 0, "referenceId": "35"}),
        ),
        (
            "request-chat-response.schema.json",
            "RequestChat response without path",
            json!({"statusCode": 0, "id": "x"}),
        ),
        (
            "user-response.schema.json",
            "a user without roles",
            json!({"statusCode": 0, "user": {"id": "1", "userName": "a",
                "uri": "http://h/api/v2/users/1", "path": "/users/1"}}),
        ),
        (
            "customer-messages-response.schema.json",
            "the customer shown an Agents message",
            json!({"statusCode": 0, "messages": [{"index": 2, "type": "Text", "text": "x", "visibility": "Agents",
                "from": {"nickname": "a", "type": "Agent", "participantId": "1"}}]}),
        ),
        (
            "customer-chat-response.schema.json",
            "a customer chat in state Invited",
            json!({"statusCode": 0, "chat": {"id": "1", "state": "Invited", "capabilities": [], "participants": []}}),
        ),
        (
            "request-chat-operation.schema.json",
            "SendMessage without text",
            json!({"operationName": "SendMessage"}),
        ),
        (
            "request-chat-operation.schema.json",
            "an unknown operation",
            json!({"operationName": "Smile"}),
        ),
        (
            "request-chat-operation.schema.json",
            "the example's SwitchBargeIn as an operation",
            json!({"operationName": "SwitchBargeIn"}),
        ),
        (
            "request-chat-operation.schema.json",
            "Accept with a typo'd parameter",
            json!({"operationName": "Accept", "nickName": "x"}),
        ),
        (
            "request-chat-operation.schema.json",
            "Transfer to an agent and a queue",
            json!({"operationName": "Transfer", "targetUri": "http://h/api/v2/users/1", "queueName": "q"}),
        ),
        (
            "request-chat-operation.schema.json",
            "Leave with treatAs but no text",
            json!({"operationName": "Leave", "treatAs": "System"}),
        ),
        (
            "request-chat-operation.schema.json",
            "DeleteUserData with keys as a string",
            json!({"operationName": "DeleteUserData", "keys": "a"}),
        ),
        (
            "request-supervisor-monitoring.schema.json",
            "supervisorMonitoringMode ThisChat",
            json!({"operationName": "Monitor", "supervisorMonitoringMode": "ThisChat"}),
        ),
        (
            "request-supervisor-monitoring.schema.json",
            "the voice ListenIn",
            json!({"operationName": "ListenIn"}),
        ),
        (
            "request-me-operation.schema.json",
            "StartContactCenterSession without channels",
            json!({"operationName": "StartContactCenterSession"}),
        ),
        (
            "request-customer-request-chat.schema.json",
            "RequestChat without nickname",
            json!({"operationName": "RequestChat"}),
        ),
        (
            "request-customer-chat-operation.schema.json",
            "a customer sending to agents",
            json!({"operationName": "SendToAgents", "text": "x"}),
        ),
    ];
    for (schema, what, instance) in &wrong {
        fails(schema, what, instance);
    }
}
