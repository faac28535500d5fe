//! The Bayeux 1.0 protocol handler behind `POST /api/v2/notifications`: handshake, connect
//! (long-poll), subscribe, unsubscribe and disconnect, with the standard error strings
//! (`402::Unknown client` with `reconnect: handshake` advice) and no panics on any input.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::hub::{ConnectOutcome, Hub, Wire};
use crate::bayeux::{
    BAYEUX_VERSION, ChannelPattern, LONG_POLLING, META_CONNECT, META_DISCONNECT, META_HANDSHAKE,
    META_SUBSCRIBE, META_UNSUBSCRIBE,
};
use crate::server::faults::Fault;
use crate::server::ids::IdGen;
use crate::server::variants::Variant;

/// Most messages accepted in one request; a larger batch is refused whole.
pub const MAX_BATCH: usize = 64;

/// Longest subscription pattern accepted, in bytes. Patterns are kept for the client's
/// lifetime, so their size is bounded as well as their number (`max_subscriptions`).
pub const MAX_CHANNEL_LEN: usize = 1024;

/// Why a request body is not a Bayeux batch at all (answered with HTTP 400).
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// The body is not JSON.
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    /// The body is JSON but neither a message object nor an array of them.
    #[error("a Bayeux request is a message object or an array of messages")]
    NotMessages,
    /// The array is empty or too long.
    #[error("a Bayeux request holds 1 to {MAX_BATCH} messages")]
    BadSize,
}

/// Bayeux §3.8 makes `id` an alphanumeric string; numeric ids are accepted too, as several
/// clients send them.
fn is_valid_id(id: &Value) -> bool {
    id.is_string() || id.is_number()
}

/// The start of the reply to `message`: its channel, and its `id` and `clientId` when they
/// have the types Bayeux gives them (a mistyped one is refused by [`mistyped_field`], and is
/// not echoed back).
fn reply(channel: &str, message: &Map<String, Value>) -> Map<String, Value> {
    reply_to(
        channel,
        message.get("id").filter(|id| is_valid_id(id)),
        message.get("clientId").and_then(Value::as_str),
    )
}

/// The start of a reply: the channel, then the `id` and `clientId` to echo, if any.
fn reply_to(channel: &str, id: Option<&Value>, client_id: Option<&str>) -> Map<String, Value> {
    let mut r = Map::new();
    r.insert("channel".into(), json!(channel));
    if let Some(id) = id {
        r.insert("id".into(), id.clone());
    }
    if let Some(client_id) = client_id {
        r.insert("clientId".into(), json!(client_id));
    }
    r
}

/// The error for a message whose `id` or `clientId` (a string, Bayeux §3.5) has the wrong
/// JSON type.
fn mistyped_field(message: &Map<String, Value>) -> Option<&'static str> {
    if message.get("id").is_some_and(|id| !is_valid_id(id)) {
        return Some("400::The id must be a string");
    }
    if message.get("clientId").is_some_and(|c| !c.is_string()) {
        return Some("400::The clientId must be a string");
    }
    None
}

fn failure(mut r: Map<String, Value>, error: &str) -> Value {
    r.insert("successful".into(), json!(false));
    r.insert("error".into(), json!(error));
    Value::Object(r)
}

fn unknown_client(hub: &Hub, r: Map<String, Value>) -> Value {
    if hub.config().faults.has(Fault::BayeuxUnknownClient400) {
        return failure(r, "400::Unknown client");
    }
    let mut value = failure(r, "402::Unknown client");
    value["advice"] = json!({"reconnect": "handshake", "interval": 0});
    value
}

/// Whether the reply to a successful handshake or connect carries advice. `first` says
/// whether it is a handshake's or a client's first connect's: under [`Variant::CometdAdvice`]
/// only those carry it, as CometD servers send it (the advice never changes here).
fn advises(hub: &Hub, first: bool) -> bool {
    !(hub.config().faults.has(Fault::BayeuxNoAdvice)
        || (!first && hub.config().variants.has(Variant::CometdAdvice)))
}

/// The advice of a successful handshake or connect for a server holding connects `timeout`.
pub(super) fn advice(timeout: Duration) -> Value {
    json!({
        "reconnect": "retry",
        "interval": 0,
        "timeout": timeout.as_millis() as u64,
    })
}

/// Adds the advice of a successful handshake or connect to its reply (see [`advises`]).
fn add_advice(hub: &Hub, r: &mut Map<String, Value>, first: bool) {
    if advises(hub, first) {
        r.insert("advice".into(), advice(hub.config().long_poll_timeout));
    }
}

fn subscriptions_of(message: &Map<String, Value>) -> Option<Vec<String>> {
    match message.get("subscription")? {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => None,
    }
}

/// Parses a request body into its messages.
pub fn parse_batch(body: &[u8]) -> Result<Vec<Value>, BatchError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| BatchError::NotJson(e.to_string()))?;
    let messages = match value {
        Value::Array(items) => items,
        Value::Object(_) => vec![value],
        _ => return Err(BatchError::NotMessages),
    };
    if messages.is_empty() || messages.len() > MAX_BATCH {
        return Err(BatchError::BadSize);
    }
    Ok(messages)
}

/// A connect found in a batch, answered after the hold.
struct PendingConnect {
    /// Whether this is the client's first connect.
    first: bool,
    client: Arc<super::hub::Client>,
    reply: Map<String, Value>,
    timeout: Duration,
}

/// Handles one request's messages for authenticated user `user_id` and returns the JSON text
/// of the reply array: delivered messages, then replies in request order.
pub async fn handle_batch(hub: &Hub, ids: &IdGen, user_id: &str, messages: Vec<Value>) -> String {
    let mut replies: Vec<Value> = Vec::with_capacity(messages.len());
    let mut pending: Option<PendingConnect> = None;
    let mut connect_reply_slot: Option<usize> = None;
    for message in messages {
        let Value::Object(message) = message else {
            replies.push(failure(Map::new(), "400::A message must be an object"));
            continue;
        };
        let Some(channel) = message
            .get("channel")
            .and_then(Value::as_str)
            .map(str::to_owned)
        else {
            replies.push(failure(
                reply("", &message),
                "400::Missing or invalid channel",
            ));
            continue;
        };
        let r = reply(&channel, &message);
        if let Some(error) = mistyped_field(&message) {
            replies.push(failure(r, error));
            continue;
        }
        let client = message
            .get("clientId")
            .and_then(Value::as_str)
            .and_then(|id| hub.client(id, user_id));
        match channel.as_str() {
            META_HANDSHAKE => replies.push(handshake(hub, ids, user_id, &message, r)),
            META_CONNECT => match client {
                None => replies.push(unknown_client(hub, r)),
                Some(_) if pending.is_some() => {
                    replies.push(failure(r, "400::Only one connect per request"));
                }
                Some(client) => {
                    let requested = message
                        .get("advice")
                        .and_then(|a| a.get("timeout"))
                        .and_then(Value::as_u64)
                        .map(Duration::from_millis);
                    let server = hub.config().long_poll_timeout;
                    let timeout = requested.map_or(server, |t| t.min(server));
                    let connection_ok = message
                        .get("connectionType")
                        .is_none_or(|t| t.as_str() == Some(LONG_POLLING));
                    if !connection_ok {
                        replies.push(failure(r, "400::Unsupported connectionType"));
                        continue;
                    }
                    if hub.config().faults.has(Fault::BayeuxConnectRefusedOnce)
                        && client.refuse_this_connect()
                    {
                        let mut value = failure(r, "500::Internal error");
                        value["advice"] = json!({"reconnect": "retry", "interval": 0});
                        replies.push(value);
                        continue;
                    }
                    connect_reply_slot = Some(replies.len());
                    replies.push(Value::Null);
                    pending = Some(PendingConnect {
                        first: client.never_connected(),
                        client,
                        reply: r,
                        timeout,
                    });
                }
            },
            META_SUBSCRIBE | META_UNSUBSCRIBE => {
                let Some(client) = client else {
                    replies.push(unknown_client(hub, r));
                    continue;
                };
                replies.push(subscription(
                    hub,
                    &client,
                    &message,
                    r,
                    channel == META_SUBSCRIBE,
                ));
            }
            META_DISCONNECT => match client {
                None => replies.push(unknown_client(hub, r)),
                Some(client) => {
                    hub.remove(&client.id);
                    let mut r = r;
                    r.insert("successful".into(), json!(true));
                    replies.push(Value::Object(r));
                }
            },
            other if other.starts_with("/meta/") => {
                replies.push(failure(r, "400::Unknown meta channel"));
            }
            _ => replies.push(failure(r, "403::Publishing is not allowed")),
        }
    }
    let mut delivered: Vec<Wire> = Vec::new();
    if let (Some(connect), Some(slot)) = (pending, connect_reply_slot) {
        let mut r = connect.reply;
        replies[slot] = match hub.connect(&connect.client, connect.timeout).await {
            ConnectOutcome::Delivered(messages) => {
                delivered = messages;
                r.insert("successful".into(), json!(true));
                add_advice(hub, &mut r, connect.first);
                Value::Object(r)
            }
            ConnectOutcome::Gone => unknown_client(hub, r),
        };
    }
    let replies: Vec<String> = replies
        .iter_mut()
        .map(|reply| {
            hub.config().variants.rewrite_bayeux(reply);
            reply.to_string()
        })
        .collect();
    reply_body(&delivered, &replies)
}

/// The JSON text of a reply array: the delivered messages, then the replies.
fn reply_body(delivered: &[Wire], replies: &[String]) -> String {
    let texts = || {
        delivered
            .iter()
            .map(|m| &**m)
            .chain(replies.iter().map(String::as_str))
    };
    let mut body = String::with_capacity(2 + texts().map(|t| t.len() + 1).sum::<usize>());
    body.push('[');
    for (i, text) in texts().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(text);
    }
    body.push(']');
    body
}

/// The request a long-polling client sends again and again: one connect of its client, with
/// nothing else in it. Read into borrowed fields, without building a JSON tree; a request
/// that does not fit exactly (another field, an escaped string, a second message) is not one.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PlainConnect<'a> {
    channel: &'a str,
    client_id: &'a str,
    connection_type: &'a str,
}

/// Handles the body of one Bayeux request for authenticated user `user_id`: the JSON text of
/// the reply array, or why the body is not a batch at all.
///
/// A [`PlainConnect`] of a known client is answered without the JSON trees of
/// [`handle_batch`] (it is most of a long-polling server's traffic); the reply is the same
/// text [`handle_batch`] gives.
pub async fn handle_request(
    hub: &Hub,
    ids: &IdGen,
    user_id: &str,
    body: &[u8],
) -> Result<String, BatchError> {
    if let Some(reply) = plain_connect(hub, user_id, body).await {
        return Ok(reply);
    }
    Ok(handle_batch(hub, ids, user_id, parse_batch(body)?).await)
}

/// Answers `body` if it is a [`PlainConnect`] of a known client of `user_id` on a server that
/// neither rewrites nor refuses connects; `None` leaves it to [`handle_batch`].
async fn plain_connect(hub: &Hub, user_id: &str, body: &[u8]) -> Option<String> {
    let config = hub.config();
    if config.variants.rewrites_bayeux() || config.faults.has(Fault::BayeuxConnectRefusedOnce) {
        return None;
    }
    let [message] = serde_json::from_slice::<[PlainConnect<'_>; 1]>(body).ok()?;
    if message.channel != META_CONNECT || message.connection_type != LONG_POLLING {
        return None;
    }
    let client = hub.client(message.client_id, user_id)?;
    let first = client.never_connected();
    let outcome = hub.connect(&client, config.long_poll_timeout).await;
    let ConnectOutcome::Delivered(delivered) = outcome else {
        let gone = unknown_client(hub, reply_to(META_CONNECT, None, Some(&client.id)));
        return Some(reply_body(&[], &[gone.to_string()]));
    };
    // The text of `reply_to` + `successful` + `add_advice`, in that key order, written
    // directly (the client id is the hub's own, plain hex).
    let client_id = serde_json::to_string(&client.id).ok()?;
    let mut reply =
        format!(r#"{{"channel":"{META_CONNECT}","clientId":{client_id},"successful":true"#);
    if advises(hub, first) {
        reply.push_str(r#","advice":"#);
        reply.push_str(hub.connect_advice());
    }
    reply.push('}');
    Some(reply_body(&delivered, &[reply]))
}

fn handshake(
    hub: &Hub,
    ids: &IdGen,
    user_id: &str,
    message: &Map<String, Value>,
    mut r: Map<String, Value>,
) -> Value {
    r.remove("clientId");
    let offers_long_polling = match message.get("supportedConnectionTypes") {
        Some(Value::Array(types)) => types.iter().any(|t| t.as_str() == Some(LONG_POLLING)),
        // CometD requires the field; be lenient and assume long-polling when absent.
        None => true,
        Some(_) => false,
    };
    if !offers_long_polling {
        let mut value = failure(
            r,
            "400::No common connection type (this server offers long-polling)",
        );
        value["supportedConnectionTypes"] = json!([LONG_POLLING]);
        value["advice"] = json!({"reconnect": "none"});
        return value;
    }
    let client = hub.handshake(ids.secret(), user_id);
    r.insert("successful".into(), json!(true));
    r.insert("clientId".into(), json!(client.id));
    r.insert("version".into(), json!(BAYEUX_VERSION));
    r.insert("supportedConnectionTypes".into(), json!([LONG_POLLING]));
    add_advice(hub, &mut r, true);
    Value::Object(r)
}

fn subscription(
    hub: &Hub,
    client: &super::hub::Client,
    message: &Map<String, Value>,
    mut r: Map<String, Value>,
    subscribe: bool,
) -> Value {
    let Some(patterns) = subscriptions_of(message) else {
        return failure(r, "400::Missing or invalid subscription");
    };
    r.insert(
        "subscription".into(),
        message.get("subscription").cloned().unwrap_or(Value::Null),
    );
    if patterns.is_empty() {
        return failure(r, "400::Missing or invalid subscription");
    }
    let mut parsed = Vec::with_capacity(patterns.len());
    for pattern in &patterns {
        if pattern.len() > MAX_CHANNEL_LEN {
            return failure(
                r,
                &format!("400::A channel name is at most {MAX_CHANNEL_LEN} bytes"),
            );
        }
        match ChannelPattern::parse(pattern) {
            Ok(p) if p.is_meta() => return failure(r, "403::Cannot subscribe to meta channels"),
            // As in CometD, subscribing to a service channel succeeds and does nothing: nothing
            // is ever broadcast there.
            Ok(p) if p.is_service() => {}
            Ok(p) => parsed.push(p),
            Err(e) => return failure(r, &format!("400::{e}")),
        }
    }
    if subscribe {
        if !client.subscribe(parsed, hub.config().max_subscriptions) {
            let max = hub.config().max_subscriptions;
            return failure(
                r,
                &format!("403::A client holds at most {max} subscriptions"),
            );
        }
    } else {
        for pattern in &parsed {
            client.unsubscribe(pattern);
        }
    }
    r.insert("successful".into(), json!(true));
    Value::Object(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::bayeux::HubConfig;
    use crate::server::faults::Faults;
    use crate::server::variants::Variants;
    use crate::server::world::Delivery;

    const USER: &str = "u1";
    const CLIENT: &str = "0123abcd";
    const PLAIN: &str =
        r#"[{"channel":"/meta/connect","clientId":"0123abcd","connectionType":"long-polling"}]"#;

    /// A hub with one client of [`USER`] subscribed to its chats, and `queued` notifications
    /// waiting for it.
    fn hub(faults: Faults, variants: Variants, queued: u64) -> Arc<Hub> {
        let hub = Hub::new(HubConfig {
            long_poll_timeout: Duration::ZERO,
            faults,
            variants,
            ..HubConfig::default()
        });
        let client = hub.handshake(CLIENT.into(), USER);
        assert!(client.subscribe(vec![ChannelPattern::parse("/v2/me/chats").unwrap()], 8));
        hub.publish(
            (0..queued)
                .map(|n| Delivery {
                    user_id: USER.into(),
                    channel: "/v2/me/chats",
                    data: json!({"n": n, "text": "é\"\n"}).into(),
                })
                .collect(),
        );
        hub
    }

    /// The replies to `body` sent twice (a first and a later connect), through
    /// [`handle_request`] and through [`handle_batch`] alone.
    async fn both_ways(body: &str, faults: Faults, variants: Variants) -> [Vec<String>; 2] {
        let ids = IdGen::new();
        let (fast, general) = (hub(faults, variants, 2), hub(faults, variants, 2));
        let mut replies = [Vec::new(), Vec::new()];
        for _ in 0..2 {
            let reply = handle_request(&fast, &ids, USER, body.as_bytes()).await;
            replies[0].push(reply.unwrap());
            let messages = parse_batch(body.as_bytes()).unwrap();
            replies[1].push(handle_batch(&general, &ids, USER, messages).await);
        }
        replies
    }

    #[tokio::test]
    async fn a_plain_connect_is_answered_as_the_general_path_answers_it() {
        let settings = [
            (Faults::NONE, Variants::NONE),
            (Faults::NONE, Variant::CometdAdvice.into()),
            (Fault::BayeuxNoAdvice.into(), Variants::NONE),
            (Fault::BayeuxRedelivery.into(), Variants::NONE),
        ];
        for (faults, variants) in settings {
            let [fast, general] = both_ways(PLAIN, faults, variants).await;
            assert_eq!(fast, general, "{faults:?} {variants:?}");
            assert!(fast[0].contains(r#""n":1"#) && fast[0].contains(r#""successful":true"#));
        }
    }

    #[tokio::test]
    async fn other_requests_get_the_general_answer() {
        let unplain = [
            // an id to echo, an escaped client id, a second message, a bare object
            r#"[{"channel":"/meta/connect","clientId":"0123abcd","connectionType":"long-polling","id":"7"}]"#,
            r#"[{"channel":"/meta/connect","clientId":"0123\u0061bcd","connectionType":"long-polling"}]"#,
            r#"[{"channel":"/meta/connect","clientId":"0123abcd","connectionType":"long-polling"},{"channel":"/meta/connect","clientId":"0123abcd"}]"#,
            r#"{"channel":"/meta/connect","clientId":"0123abcd","connectionType":"long-polling"}"#,
            // an unknown client, another connection type, a connect refused once
            r#"[{"channel":"/meta/connect","clientId":"nobody","connectionType":"long-polling"}]"#,
            r#"[{"channel":"/meta/connect","clientId":"0123abcd","connectionType":"websocket"}]"#,
        ];
        for body in unplain {
            let [fast, general] = both_ways(body, Faults::NONE, Variants::NONE).await;
            assert_eq!(fast, general, "{body}");
        }
        let [fast, general] = both_ways(
            PLAIN,
            Fault::BayeuxConnectRefusedOnce.into(),
            Variants::NONE,
        )
        .await;
        assert_eq!(fast, general);
        assert!(fast[1].contains("500::"), "the second connect is refused");
        let [fast, general] = both_ways(PLAIN, Faults::NONE, Variant::KeysReversed.into()).await;
        assert_eq!(fast, general);
        assert!(fast[0].ends_with(r#""channel":"/meta/connect"}]"#));
        let unknown = &both_ways(unplain[4], Faults::NONE, Variants::NONE).await[0][0];
        assert!(unknown.contains("402::Unknown client"));
    }

    #[tokio::test]
    async fn a_client_gone_during_the_hold_is_told_to_handshake() {
        let hub = Hub::new(HubConfig::default());
        hub.handshake(CLIENT.into(), USER);
        let held = {
            let hub = hub.clone();
            tokio::spawn(async move {
                handle_request(&hub, &IdGen::new(), USER, PLAIN.as_bytes()).await
            })
        };
        while hub
            .client(CLIENT, USER)
            .is_some_and(|c| c.never_connected())
        {
            tokio::task::yield_now().await;
        }
        hub.remove(CLIENT);
        let reply = tokio::time::timeout(Duration::from_secs(5), held)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let expected = r#"[{"channel":"/meta/connect","clientId":"0123abcd","successful":false,"error":"402::Unknown client","advice":{"reconnect":"handshake","interval":0}}]"#;
        assert_eq!(reply, expected);
    }
}
