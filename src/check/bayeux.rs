//! Checks of the Bayeux (CometD) protocol itself, over what an actor's session recorded and
//! over probes the runner makes: the advice on handshake and connect replies (BAYEUX-ADVICE), a
//! session the server broke (BAYEUX-REPLY), and the answer to a connect with a `clientId` the
//! server never issued (BAYEUX-UNKNOWN-CLIENT).

use serde_json::Value;

use super::{Finding, Verdict};
use crate::bayeux::message::{UNKNOWN_CLIENT as UNKNOWN_CLIENT_CODE, error_code};
use crate::bayeux::{META_CONNECT, META_HANDSHAKE};
use crate::driver::bayeux::{EndReason, SessionEvent};

/// Handshake and first connect replies carry advice (reconnect, interval, timeout).
pub const ADVICE: &str = "BAYEUX-ADVICE";
/// Replies are well-formed and arrive within their deadline; the session is not lost.
pub const REPLY: &str = "BAYEUX-REPLY";
/// A connect with an unknown `clientId` is refused with 402 and `reconnect: handshake`.
pub const UNKNOWN_CLIENT: &str = "BAYEUX-UNKNOWN-CLIENT";

/// What is wrong with the advice of a reply, if anything.
fn advice_problem(reply: &Value) -> Option<String> {
    let Some(advice) = reply.get("advice") else {
        return Some("carries no advice".to_owned());
    };
    let Some(advice) = advice.as_object() else {
        return Some(format!("has advice that is not an object: {advice}"));
    };
    let mut problems = Vec::new();
    match advice.get("reconnect").and_then(Value::as_str) {
        Some("retry" | "handshake" | "none") => {}
        Some(other) => problems.push(format!("`reconnect` is {other:?}")),
        None => problems.push("no `reconnect`".to_owned()),
    }
    for field in ["interval", "timeout"] {
        if advice.get(field).and_then(Value::as_u64).is_none() {
            problems.push(format!("no `{field}` in milliseconds"));
        }
    }
    (!problems.is_empty()).then(|| format!("has incomplete advice ({})", problems.join(", ")))
}

/// The advice findings of `actor`'s session, from its recorded meta replies: every successful
/// handshake reply, and the first successful connect reply after each, must advise
/// `reconnect`, `interval` and `timeout`; that connect reply may leave advice out altogether
/// when the handshake reply's was complete, since that advice is still in force. Bayeux 1.0
/// makes advice optional (§3.6), but a long-polling client cannot tell a held connect from a
/// dead server without `timeout`, and CometD servers (GWS runs CometD) always send it on the
/// handshake; so a missing one is NON-STRICT. One finding per kind of reply, however many
/// sessions repeat the problem.
pub fn advice(actor: &str, events: &[SessionEvent]) -> Vec<Finding> {
    let mut first_connect_pending = false;
    // Whether the last successful handshake reply carried complete advice.
    let mut handshake_advised = false;
    let mut findings: Vec<Finding> = Vec::new();
    for event in events {
        let SessionEvent::MetaReply { channel, reply } = event else {
            continue;
        };
        if reply.get("successful") != Some(&Value::Bool(true)) {
            continue;
        }
        let which = match channel.as_str() {
            META_HANDSHAKE => {
                first_connect_pending = true;
                handshake_advised = advice_problem(reply).is_none();
                "the successful /meta/handshake reply"
            }
            META_CONNECT if first_connect_pending => {
                first_connect_pending = false;
                // Any Bayeux response MAY carry advice, a connect response included, and advice
                // received stays in force until new advice supersedes it (Bayeux 1.0, "advice"
                // and "Connect Response": https://docs.cometd.org/current/reference/#_bayeux_advice,
                // #_bayeux_meta_connect). The official CometD server for NodeJS advises a connect
                // only when it may hold it, so a first connect answered at once with waiting
                // messages comes back without advice; the handshake's still applies.
                if handshake_advised && reply.get("advice").is_none() {
                    continue;
                }
                "the first successful /meta/connect reply"
            }
            _ => continue,
        };
        let Some(problem) = advice_problem(reply) else {
            continue;
        };
        let message = format!("{actor}: {which} {problem}");
        if findings.iter().any(|f| f.message == message) {
            continue;
        }
        findings.push(Finding {
            check: "bayeux.advice".to_owned(),
            requirement: ADVICE.to_owned(),
            verdict: Verdict::NonStrict,
            message,
            details: vec![reply.to_string()],
        });
    }
    findings
}

/// The refused `/meta/connect` replies of `actor`'s session: a connect on a session the server
/// handed out is answered `successful: true` (Bayeux 1.0 §4.2.2); a single refusal is a
/// finding, even when the client recovered (it may have lost what was published meanwhile),
/// with the server's `error` and advice as evidence. One finding for the session, counting
/// the refusals.
pub fn connect_refusals(actor: &str, events: &[SessionEvent]) -> Option<Finding> {
    let refused: Vec<&Value> = events
        .iter()
        .filter_map(|event| match event {
            SessionEvent::MetaReply { channel, reply }
                if channel == META_CONNECT
                    && reply.get("successful") != Some(&Value::Bool(true)) =>
            {
                Some(reply)
            }
            _ => None,
        })
        .collect();
    let first = refused.first()?;
    let error = first
        .get("error")
        .and_then(Value::as_str)
        .unwrap_or("no error given");
    Some(Finding {
        check: "bayeux.connect".to_owned(),
        requirement: REPLY.to_owned(),
        verdict: Verdict::Fail,
        message: format!(
            "{actor}: {} /meta/connect of its live CometD session refused (first: {error})",
            refused.len()
        ),
        details: refused.iter().take(3).map(|r| r.to_string()).collect(),
    })
}

/// A finding when `actor`'s session ended on its own before the scenario was over: requests
/// kept failing (no reply within the deadline, malformed replies, HTTP errors), or the server
/// advised `reconnect: none`. Either way the actor stopped receiving notifications.
pub fn session_end(actor: &str, reason: &EndReason) -> Option<Finding> {
    let message = match reason {
        EndReason::Disconnected => return None,
        EndReason::AdvisedNone => format!(
            "{actor}: the server ended the CometD session (advice reconnect: none) during the scenario"
        ),
        EndReason::Failed(why) => format!("{actor}: the CometD session failed: {why}"),
    };
    Some(Finding {
        check: "bayeux.session".to_owned(),
        requirement: REPLY.to_owned(),
        verdict: Verdict::Fail,
        message,
        details: Vec::new(),
    })
}

/// The finding for a server's answer to a connect with a `clientId` it never issued (`sent`),
/// if the answer is not the one CometD servers give and clients rely on to recover: a
/// `/meta/connect` reply with `successful: false`, an `error` with code 402 (`402::Unknown
/// client`) and advice `reconnect: handshake`.
pub fn unknown_client(actor: &str, sent: &Value, reply: &[Value]) -> Option<Finding> {
    let details = vec![
        format!("sent: {sent}"),
        format!("received: {}", Value::Array(reply.to_vec())),
    ];
    let connect = reply
        .iter()
        .find(|m| m.get("channel").and_then(Value::as_str) == Some(META_CONNECT));
    let problems = match connect {
        None => vec!["the reply holds no /meta/connect message".to_owned()],
        Some(connect) => {
            let mut problems = Vec::new();
            if connect.get("successful") != Some(&Value::Bool(false)) {
                problems.push(format!(
                    "`successful` is {} (expected false)",
                    connect.get("successful").unwrap_or(&Value::Null)
                ));
            }
            let error = connect.get("error").and_then(Value::as_str);
            if error.and_then(error_code) != Some(UNKNOWN_CLIENT_CODE) {
                problems.push(format!(
                    "`error` is {} (expected code {UNKNOWN_CLIENT_CODE}, as in \"402::Unknown client\")",
                    connect.get("error").unwrap_or(&Value::Null)
                ));
            }
            let reconnect = connect.pointer("/advice/reconnect");
            if reconnect.and_then(Value::as_str) != Some("handshake") {
                problems.push(format!(
                    "`advice.reconnect` is {} (expected \"handshake\")",
                    reconnect.unwrap_or(&Value::Null)
                ));
            }
            problems
        }
    };
    if problems.is_empty() {
        return None;
    }
    Some(Finding {
        check: "bayeux.unknown-client".to_owned(),
        requirement: UNKNOWN_CLIENT.to_owned(),
        verdict: Verdict::Fail,
        message: format!(
            "{actor}: a /meta/connect with an unknown clientId was answered wrongly: {}",
            problems.join("; ")
        ),
        details,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn reply(channel: &str, body: Value) -> SessionEvent {
        SessionEvent::MetaReply {
            channel: channel.to_owned(),
            reply: body,
        }
    }

    fn good_advice() -> Value {
        json!({"reconnect": "retry", "interval": 0, "timeout": 30000})
    }

    #[test]
    fn advised_handshake_and_first_connect_pass() {
        let events = [
            reply(
                META_HANDSHAKE,
                json!({"successful": true, "advice": good_advice()}),
            ),
            reply(
                META_CONNECT,
                json!({"successful": true, "advice": good_advice()}),
            ),
            // Later connects may leave advice out: it stays in force.
            reply(META_CONNECT, json!({"successful": true})),
        ];
        assert!(advice("agent", &events).is_empty());
    }

    #[test]
    fn a_first_connect_reply_may_leave_out_advice_the_handshake_gave_in_full() {
        // As cometd-nodejs-server answers a first connect that finds messages waiting.
        let events = [
            reply(
                META_HANDSHAKE,
                json!({"successful": true, "advice": good_advice()}),
            ),
            reply(META_CONNECT, json!({"id": "3", "successful": true})),
        ];
        assert!(advice("agent", &events).is_empty());

        // Without complete advice on the handshake, the client has no timeout to go by.
        let events = [
            reply(
                META_HANDSHAKE,
                json!({"successful": true, "advice": {"reconnect": "retry"}}),
            ),
            reply(META_CONNECT, json!({"successful": true})),
        ];
        let findings = advice("agent", &events);
        assert_eq!(findings.len(), 2, "{findings:#?}");
        assert_eq!(
            findings[1].message,
            "agent: the first successful /meta/connect reply carries no advice"
        );

        // Advice that is there is still checked, however complete the handshake's was.
        let events = [
            reply(
                META_HANDSHAKE,
                json!({"successful": true, "advice": good_advice()}),
            ),
            reply(
                META_CONNECT,
                json!({"successful": true, "advice": {"reconnect": "later"}}),
            ),
        ];
        let findings = advice("agent", &events);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert!(
            findings[0].message.contains("`reconnect` is \"later\""),
            "{}",
            findings[0].message
        );
    }

    #[test]
    fn missing_or_partial_advice_is_non_strict_once_per_kind() {
        let events = [
            reply(META_HANDSHAKE, json!({"successful": true})),
            reply(
                META_CONNECT,
                json!({"successful": true, "advice": {"reconnect": "later"}}),
            ),
            reply(META_HANDSHAKE, json!({"successful": true})),
            reply(
                META_CONNECT,
                json!({"successful": true, "advice": {"reconnect": "later"}}),
            ),
        ];
        let findings = advice("agent", &events);
        assert_eq!(findings.len(), 2, "{findings:#?}");
        assert!(
            findings
                .iter()
                .all(|f| f.verdict == Verdict::NonStrict && f.requirement == ADVICE)
        );
        assert_eq!(
            findings[0].message,
            "agent: the successful /meta/handshake reply carries no advice"
        );
        assert_eq!(
            findings[1].message,
            "agent: the first successful /meta/connect reply has incomplete advice (`reconnect` is \"later\", no `interval` in milliseconds, no `timeout` in milliseconds)"
        );
    }

    #[test]
    fn only_a_session_that_ended_on_its_own_is_a_finding() {
        assert!(session_end("agent", &EndReason::Disconnected).is_none());
        let failed = session_end("agent", &EndReason::Failed("timed out".into())).unwrap();
        assert_eq!(failed.requirement, REPLY);
        assert_eq!(
            failed.message,
            "agent: the CometD session failed: timed out"
        );
        assert!(session_end("agent", &EndReason::AdvisedNone).is_some());
    }

    #[test]
    fn the_unknown_client_answer_is_checked_field_by_field() {
        let sent = json!({"channel": META_CONNECT, "clientId": "nobody"});
        let good = json!([{"channel": META_CONNECT, "successful": false,
            "error": "402::Unknown client", "advice": {"reconnect": "handshake"}}]);
        assert!(unknown_client("agent", &sent, good.as_array().unwrap()).is_none());

        let bad = json!([{"channel": META_CONNECT, "successful": false,
            "error": "400::Unknown client"}]);
        let finding = unknown_client("agent", &sent, bad.as_array().unwrap()).unwrap();
        assert_eq!(finding.requirement, UNKNOWN_CLIENT);
        assert!(
            finding
                .message
                .contains("`error` is \"400::Unknown client\""),
            "{}",
            finding.message
        );
        assert!(
            finding.message.contains("`advice.reconnect` is null"),
            "{}",
            finding.message
        );

        let empty = unknown_client("agent", &sent, &[]).unwrap();
        assert!(
            empty.message.contains("no /meta/connect message"),
            "{}",
            empty.message
        );
    }
}
