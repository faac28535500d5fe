//! Who made each request of a capture, when the capture does not say (`_gwsActor`):
//! - a customer, by the customer chat API (`/api/v2/chats…`, or a `ContactCenterId` header),
//!   named after its chat id (`customer:{id}`, as the recording proxy names customers; the id
//!   comes from the path, or from the reply to RequestChat);
//! - an agent or supervisor, by readable Basic credentials, or by a readable session cookie
//!   tied to a user (Basic credentials sent with it or answered by its `Set-Cookie`, or a
//!   `GET /api/v2/me` made with it), named after the user;
//! - other authenticated requests (redacted credentials and cookies tell nothing): one actor,
//!   `user`, as a devtools export is one browser's traffic;
//! - the rest (no credentials at all): `anonymous`.
//!
//! In a capture of several files, each file whose entries name no actor is one party (a
//! browser's export: one person's traffic, whatever its credentials and cookies show, which
//! sanitized exports leave out): its requests that are not a customer's are one actor, named
//! after the user the file shows (readable Basic credentials, or the `userName` of a
//! `GET /api/v2/me`), else after the file ([`parties`]).

use std::collections::{HashMap, HashSet};

use super::entry::{Exchange, Parsed};
use super::script::{ActorKind, Sources};

/// The user a request shows: readable Basic credentials, else the `userName` of a
/// `GET /api/v2/me` response.
pub(super) fn shown_user(parsed: &Parsed) -> Option<String> {
    let sender = &parsed.sender;
    sender.basic_user.clone().or_else(|| parsed.me_user.clone())
}

/// Whether a request belongs to the customer chat API.
fn is_customer(parsed: &Parsed) -> bool {
    let path = parsed.target.split('?').next().unwrap_or_default();
    path == "/api/v2/chats" || path.starts_with("/api/v2/chats/") || parsed.sender.contact_center
}

/// The party of each of a capture's `files` whose entries name no actor: the user it shows,
/// else the file's name without its extension (which `--user` maps to a profile user).
pub(super) fn parties(parsed: &[Parsed], sources: &Sources, files: usize) -> Vec<Option<String>> {
    let mut parties: Vec<Option<String>> = vec![None; files];
    let named: HashSet<usize> = parsed
        .iter()
        .filter(|p| p.actor.is_some())
        .map(|p| p.file)
        .collect();
    for p in parsed.iter().filter(|p| !named.contains(&p.file)) {
        if parties[p.file].is_none() {
            parties[p.file] = shown_user(p);
        }
    }
    for (file, party) in parties.iter_mut().enumerate() {
        if party.is_none() && !named.contains(&file) {
            *party = Some(sources.stem(file));
        }
    }
    parties
}

/// Who made each entry: (actor name, kind), per the module doc; `parties` is each file's
/// party in a capture of several files.
pub(super) fn name_actors(
    parsed: &[Parsed],
    parties: Option<&[Option<String>]>,
) -> Vec<(String, ActorKind)> {
    // Sessions tied to a user: by Basic credentials sent with them or answered by them, or by
    // a `GET /api/v2/me` made with them.
    let mut session_users: HashMap<String, String> = HashMap::new();
    for p in parsed {
        if let Some(user) = shown_user(p) {
            let sessions = [&p.sender.session_sent, &p.sender.session_set];
            for session in sessions.into_iter().flatten() {
                session_users
                    .entry(session.clone())
                    .or_insert_with(|| user.clone());
            }
        }
    }
    parsed
        .iter()
        .map(|p| {
            let role = p.role.as_deref();
            if let Some(actor) = &p.actor {
                let kind = match role {
                    Some("customer") => ActorKind::Customer,
                    _ if actor.starts_with("customer:") => ActorKind::Customer,
                    _ => ActorKind::User {
                        recorded: None,
                        login: None,
                    },
                };
                return (actor.to_string(), kind);
            }
            if role == Some("customer") || is_customer(p) {
                let path = p.target.split('?').next().unwrap_or_default();
                let id = path
                    .strip_prefix("/api/v2/chats/")
                    .and_then(|rest| rest.split('/').next())
                    .map(str::to_owned)
                    .or_else(|| p.response_id.clone())
                    .unwrap_or_else(|| format!("entries[{}]", p.index));
                return (format!("customer:{id}"), ActorKind::Customer);
            }
            let kind = ActorKind::User {
                recorded: None,
                login: None,
            };
            if let Some(party) = parties.and_then(|parties| parties.get(p.file)?.clone()) {
                return (party, kind);
            }
            // A session's first request has no cookie yet; the reply that sets it names it.
            let sessions = [&p.sender.session_sent, &p.sender.session_set];
            let user = p.sender.basic_user.clone().or_else(|| {
                let mut known = sessions.into_iter().flatten();
                known.find_map(|s| session_users.get(s).cloned())
            });
            let authenticated = user.is_some()
                || p.sender.credentials
                || matches!(p.exchange, Exchange::Bayeux { .. })
                || p.target.starts_with("/api/v2/me")
                || p.target.starts_with("/api/v2/users");
            match user {
                Some(user) => (user, kind),
                None if authenticated => ("user".to_owned(), kind),
                None => ("anonymous".to_owned(), ActorKind::Anonymous),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::har::model::Har;
    use crate::replay::entry::{EntryAt, Recurring, parse};
    use crate::replay::script::Store;
    use serde_json::json;

    /// Names the actors of a capture given as JSON entries.
    fn names(entries: serde_json::Value) -> Vec<(String, ActorKind)> {
        let har: Har = serde_json::from_value(json!({"log": {"entries": entries}})).unwrap();
        let (mut store, mut recurring) = (Store::new(), Recurring::default());
        let parsed: Vec<Parsed> = har
            .log
            .entries
            .iter()
            .enumerate()
            .map(|(index, entry)| {
                let at = EntryAt {
                    index,
                    file: 0,
                    label: format!("entries[{index}]"),
                };
                let kept = (&mut store, &mut recurring);
                parse(at, entry, kept).unwrap().unwrap().0
            })
            .collect();
        name_actors(&parsed, None)
    }

    fn user() -> ActorKind {
        ActorKind::User {
            recorded: None,
            login: None,
        }
    }

    fn request(method: &str, path: &str, headers: serde_json::Value) -> serde_json::Value {
        json!({"startedDateTime": "2024-01-01T00:00:00.000Z",
               "request": {"method": method, "url": format!("http://h{path}"), "headers": headers}})
    }

    #[test]
    fn customers_are_named_after_their_chat() {
        let mut request_chat = request(
            "POST",
            "/api/v2/chats",
            json!([{"name": "contactcenterid", "value": "default"}]),
        );
        request_chat["response"] =
            json!({"status": 200, "content": {"text": "{\"statusCode\":0,\"id\":\"C1\"}"}});
        let found = names(json!([
            request_chat,
            request("GET", "/api/v2/chats/C1/messages?index=0", json!([]))
        ]));
        assert_eq!(
            found,
            [
                ("customer:C1".to_owned(), ActorKind::Customer),
                ("customer:C1".to_owned(), ActorKind::Customer)
            ]
        );
    }

    #[test]
    fn readable_credentials_and_sessions_name_users() {
        // agent1:pw, then only the session cookie its reply set.
        let mut login = request(
            "GET",
            "/api/v2/me",
            json!([{"name": "Authorization", "value": "Basic YWdlbnQxOnB3"}]),
        );
        login["response"] = json!({"status": 200, "headers": [{"name": "Set-Cookie", "value": "JSESSIONID=s1; Path=/"}]});
        let later = request(
            "POST",
            "/api/v2/me",
            json!([{"name": "cookie", "value": "JSESSIONID=s1"}]),
        );
        // A session tied to its user by a GET /api/v2/me made with it.
        let mut me = request(
            "GET",
            "/api/v2/me",
            json!([{"name": "Cookie", "value": "JSESSIONID=s2"}]),
        );
        me["response"] =
            json!({"status": 200, "content": {"text": "{\"user\":{\"userName\":\"sup\"}}"}});
        let mut first = request(
            "POST",
            "/api/v2/notifications",
            json!([{"name": "cookie", "value": "JSESSIONID=s2"}]),
        );
        first["request"]["postData"] = json!({"text": "[{\"channel\": \"/meta/handshake\"}]"});
        let found = names(json!([login, later, first, me]));
        let found: Vec<&str> = found.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(found, ["agent1", "agent1", "sup", "sup"]);
    }

    #[test]
    fn redacted_values_tell_nothing() {
        let redacted = request(
            "GET",
            "/api/v2/me",
            json!([
            {"name": "Authorization", "value": "Basic [redacted]"},
            {"name": "Cookie", "value": "JSESSIONID=[redacted]"}]),
        );
        let anonymous = request("GET", "/api/v2/diagnostics/version", json!([]));
        assert_eq!(
            names(json!([redacted, anonymous])),
            [
                ("user".to_owned(), user()),
                ("anonymous".to_owned(), ActorKind::Anonymous)
            ]
        );
    }

    #[test]
    fn recorder_labels_win() {
        let mut labelled = request("GET", "/api/v2/chats/C1", json!([]));
        labelled["_gwsActor"] = json!("agent");
        labelled["_gwsRole"] = json!("agent");
        assert_eq!(names(json!([labelled])), [("agent".to_owned(), user())]);
    }
}
