//! Fuzz target: arbitrary bytes as the body of `POST /api/v2/notifications`, through the
//! reference server's Bayeux handling exactly as the HTTP handler drives it (`parse_batch`, then
//! `handle_batch` against a hub), and the reply through the pieces the harness's client uses to
//! read replies (advice, error codes, channel names and patterns).
//!
//! Client ids are secret random strings the fuzzer cannot guess, so the target handshakes two
//! clients first and substitutes their ids for the placeholders `$CLIENT` (the caller's own
//! client) and `$OTHER` (another user's client) wherever a message's `clientId` is one of them.
//! Each batch is handled twice, with notifications published in between, so the second pass
//! sees whatever subscriptions the first made and delivers queued messages. Inputs are mutated
//! as JSON documents ([`json_mutator`]), so most of them get past the parser.

#![no_main]

mod json_mutator;

use std::sync::LazyLock;
use std::time::Duration;

use gws_conform::bayeux::message::error_code;
use gws_conform::bayeux::{Advice, ChannelName, ChannelPattern};
use gws_conform::server::bayeux::{Hub, HubConfig, handle_batch, parse_batch};
use gws_conform::server::ids::IdGen;
use gws_conform::server::world::{CHANNELS_CHANNEL, CHATS_CHANNEL, Delivery};
use libfuzzer_sys::{fuzz_mutator, fuzz_target};
use serde_json::{Value, json};

const USER: &str = "fuzz-user";
const OTHER_USER: &str = "other-user";

/// One runtime for every input: building one per input would dominate the time.
static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio runtime")
});

/// Replaces the placeholder client ids with the real ones.
fn substitute(messages: &mut [Value], own: &str, other: &str) {
    for message in messages {
        let Some(id) = message.get_mut("clientId") else {
            continue;
        };
        match id.as_str() {
            Some("$CLIENT") => *id = json!(own),
            Some("$OTHER") => *id = json!(other),
            _ => {}
        }
    }
}

/// Checks the shape every reply must have and reads it as the harness's client would.
fn read_reply(reply: &str, requests: usize) {
    let Ok(Value::Array(messages)) = serde_json::from_str::<Value>(reply) else {
        panic!("the reply is not a JSON array: {reply}");
    };
    // Delivered messages come first, then exactly one reply per request message.
    assert!(
        messages.len() >= requests,
        "a request got no reply: {reply}"
    );
    for answer in &messages[messages.len() - requests..] {
        assert!(
            answer.get("successful").is_some_and(Value::is_boolean),
            "a reply without `successful`: {answer}"
        );
    }
    let mut advice = Advice::default();
    let everything = ChannelPattern::parse("/**").expect("a valid pattern");
    for message in &messages {
        let Some(channel) = message.get("channel").and_then(Value::as_str) else {
            continue;
        };
        if let Ok(name) = ChannelName::parse(channel) {
            let _ = everything.matches(&name);
        }
        if let Some(newer) = message
            .get("advice")
            .and_then(|a| serde_json::from_value::<Advice>(a.clone()).ok())
        {
            advice.merge(&newer);
        }
        if let Some(error) = message.get("error").and_then(Value::as_str) {
            let _ = error_code(error);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(mut messages) = parse_batch(data) else {
        return;
    };
    RUNTIME.block_on(async {
        // A zero hold: a connect answers at once instead of waiting for the advice timeout.
        let hub = Hub::new(HubConfig {
            long_poll_timeout: Duration::ZERO,
            ..HubConfig::default()
        });
        let ids = IdGen::new();
        let own = hub.handshake(ids.secret(), USER);
        let other = hub.handshake(ids.secret(), OTHER_USER);
        substitute(&mut messages, &own.id, &other.id);
        let requests = messages.len();
        let reply = handle_batch(&hub, &ids, USER, messages.clone()).await;
        read_reply(&reply, requests);
        let notification = |channel| Delivery {
            user_id: USER.to_owned(),
            channel,
            data: json!({"messageType": "ChatStateChangeMessage", "n": 1}).into(),
        };
        hub.publish(vec![
            notification(CHATS_CHANNEL),
            notification(CHANNELS_CHANNEL),
        ]);
        let reply = handle_batch(&hub, &ids, USER, messages).await;
        read_reply(&reply, requests);
    });
});

/// Values the protocol handler compares against, for the mutator to try.
const WORDS: &[&str] = &[
    "$CLIENT",
    "$OTHER",
    "/meta/handshake",
    "/meta/connect",
    "/meta/subscribe",
    "/meta/unsubscribe",
    "/meta/disconnect",
    "/meta/other",
    "long-polling",
    "callback-polling",
    "/v2/me/chats",
    "/v2/me/channels",
    "/v2/me/*",
    "/v2/me/**",
    "/**",
    "/meta/*",
    "/service/x",
    "/v2/*/chats",
    "1.0",
];

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    json_mutator::mutate(data, size, max_size, seed, WORDS)
});
