//! Request and response bodies: fields and parameters with secret names keep their names and
//! lose their values, whatever the body's `Content-Type` says (a client may mislabel a form,
//! and a body's type is not the kind of evidence redaction should depend on):
//!
//! - a body that parses as **JSON**: at any depth, the value of every object member whose name
//!   is secret ([`is_secret`]) has each string and number in it (the value itself, or inside
//!   it when it is an object or array) replaced by [`REDACTED`]; booleans and `null` stay, a
//!   bit is no secret and `changePasswordOnFirstLogin: false` (in GWS's `/api/v2/me`) says
//!   nothing about a password. Strings shaped like URLs anywhere (`http(s)://…`, or a path
//!   from the root, without whitespace) lose user info and secret parameters as URLs do. An
//!   unchanged body keeps its exact text; a changed one is written back compactly.
//! - any other body is read as **form-urlencoded** (`user=a&password=b`): the value of every
//!   parameter with a secret name ([`is_secret_parameter`](super::names::is_secret_parameter),
//!   which adds `code`) is redacted.
//!   Text that is no form only changes where it has the shape of a secret parameter.
//!
//! Response bodies get the same treatment as requests: a login or token reply hands out
//! `access_token`, `refresh_token` or a session id in its body, and CometD replies may carry
//! credentials in `ext`. Replay keeps working: it re-sends recorded request bodies, so a
//! redacted field is replayed as `[redacted]` (the GWS chat API has no such field in its
//! requests), and a response field redacted in the recording is compared with a replayed one
//! only in customers' responses, where no GWS field has a secret name.

use serde_json::Value;

use super::REDACTED;
use super::names::is_secret;
use super::url::{looks_like_url, parameters, url};

/// A body's text with its secret fields redacted (see the module doc).
pub fn body(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(mut json) => {
            if redact_json(&mut json) {
                serde_json::to_string(&json).unwrap_or_else(|_| REDACTED.to_owned())
            } else {
                text.to_owned()
            }
        }
        Err(_) => parameters(text),
    }
}

/// Redacts the secret members of `value` and the secrets in its URLs; whether it changed.
fn redact_json(value: &mut Value) -> bool {
    match value {
        Value::Object(members) => {
            let mut changed = false;
            for (name, member) in members.iter_mut() {
                changed |= if is_secret(name) {
                    hide(member)
                } else {
                    redact_json(member)
                };
            }
            changed
        }
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |changed, item| redact_json(item) | changed),
        Value::String(text) if looks_like_url(text) => {
            let redacted = url(text);
            let changed = redacted != *text;
            *text = redacted;
            changed
        }
        _ => false,
    }
}

/// Replaces every string and number in `value` by the marker; whether anything changed.
fn hide(value: &mut Value) -> bool {
    match value {
        Value::String(text) if text == REDACTED => false,
        Value::String(_) | Value::Number(_) => {
            *value = Value::from(REDACTED);
            true
        }
        Value::Object(members) => members
            .values_mut()
            .fold(false, |changed, member| hide(member) | changed),
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |changed, item| hide(item) | changed),
        Value::Bool(_) | Value::Null => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn redacted(value: Value) -> Value {
        serde_json::from_str(&body(&value.to_string())).unwrap()
    }

    #[test]
    fn secret_json_fields_lose_their_values_at_any_depth() {
        let sent = json!({
            "operationName": "Login",
            "password": "p",
            "pin": 1234,
            "credentials": {"user": "agent1", "secret": "s", "list": ["a", 1, true, null]},
            "nested": [{"client_secret": "c", "apiKey": 42}, {"deeper": {"access_token": "t"}}],
            "ext": {"authToken": "a"}
        });
        assert_eq!(
            redacted(sent),
            json!({
                "operationName": "Login",
                "password": REDACTED,
                "pin": 1234,
                "credentials": {"user": REDACTED, "secret": REDACTED,
                                "list": [REDACTED, REDACTED, true, null]},
                "nested": [{"client_secret": REDACTED, "apiKey": REDACTED},
                           {"deeper": {"access_token": REDACTED}}],
                "ext": {"authToken": REDACTED}
            })
        );
    }

    #[test]
    fn gws_bodies_are_kept_as_they_were() {
        for text in [
            r#"{"operationName":"DeleteUserData","keys":["Priority","monkey"]}"#,
            r#"{"operationName":"SetDisposition","disposition":"X","dispositionKey":"Code2"}"#,
            r#"{"statusCode":0,"user":{"userName":"agent1","changePasswordOnFirstLogin":false}}"#,
            r#"{"operationName":"SendMessage","text":"my password is in the text, not a name"}"#,
            r#"[{"channel":"/meta/connect","clientId":"c1","connectionType":"long-polling"}]"#,
            r#"{ "spaced" : "json keeps its exact text" }"#,
            r#"{"uri":"http://h/api/v2/me/chats/1","path":"/api/v2/me/chats/1"}"#,
            "not json, no form either",
            "",
        ] {
            assert_eq!(body(text), text);
        }
    }

    #[test]
    fn urls_in_json_strings_lose_their_secrets() {
        assert_eq!(
            redacted(json!({"next": "https://u:pw@app/cb?code=c&x=1", "list": ["/p?token=t"]})),
            json!({"next": "https://app/cb?code=[redacted]&x=1", "list": ["/p?token=[redacted]"]})
        );
        // Text that merely starts like a URL is not one.
        let message = json!({"text": "http://h/p?token=t is where it is"});
        assert_eq!(redacted(message.clone()), message);
    }

    #[test]
    fn form_bodies_lose_their_secret_parameters() {
        assert_eq!(
            body("username=agent1&password=s3cr3t&remember=1"),
            "username=agent1&password=[redacted]&remember=1"
        );
        assert_eq!(
            body("access_token=t&token_type=bearer&expires_in=3600"),
            "access_token=[redacted]&token_type=[redacted]&expires_in=3600"
        );
    }

    #[test]
    fn already_redacted_values_count_as_unchanged() {
        let text = r#"{"password":"[redacted]"}"#;
        assert_eq!(body(text), text);
    }
}
