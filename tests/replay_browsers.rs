//! `gws-conform replay` of one conversation captured by each party's browser: the suite's own
//! scenarios recorded with `run --record`, split into one export per actor and made to look
//! like what browsers' devtools write by default (no `_gws*` fields, no credentials, no
//! cookies, header names in lower case, devtools' own fields, the page's own loads), replay
//! together with no difference; a seeded fault shows through them; a party whose export does
//! not say who it is needs `--user`.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use support::har::scratch;
use support::{gws, output_text};

/// Scenarios whose conversations involve every kind of party: an agent and a supervisor
/// coaching it, a customer; two agents (consult, transfer, invite); a supervisor monitoring two
/// agents.
const SCENARIOS: &[&str] = &[
    "agent-accepts-under-monitoring",
    "switch-monitor-to-bargein",
    "coach-consult",
    "bargein-transfer-to-agent",
    "monitored-invitee",
    "one-supervisor-two-agents",
];

/// What devtools' "Save all as HAR" leaves of a recorded entry: no `_gws*` fields, no
/// credentials or cookies (sanitized export), header names in lower case (HTTP/2), and its
/// own fields.
fn as_a_browser_exports_it(entry: &Value) -> Value {
    let mut entry = entry.clone();
    let object = entry.as_object_mut().unwrap();
    object.retain(|key, _| !key.starts_with("_gws"));
    for side in ["request", "response"] {
        let message = &mut object[side];
        let headers: Vec<Value> = message["headers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| {
                let name = h["name"].as_str().unwrap().to_ascii_lowercase();
                !matches!(name.as_str(), "authorization" | "cookie" | "set-cookie")
            })
            .map(|h| json!({"name": h["name"].as_str().unwrap().to_ascii_lowercase(), "value": h["value"]}))
            .collect();
        message["headers"] = Value::Array(headers);
        message["cookies"] = json!([]);
    }
    object.insert("_initiator".into(), json!({"type": "script"}));
    object.insert("_resourceType".into(), json!("fetch"));
    object.insert("_priority".into(), json!("High"));
    object.insert("_connectionId".into(), json!("1234"));
    entry
}

/// The page a browser loaded before the conversation: not part of the API, never replayed.
fn page_load(first: &Value) -> Value {
    let mut page = first.clone();
    let url = page["request"]["url"].as_str().unwrap();
    let origin = &url[..url.find("/api/").unwrap()];
    page["request"] = json!({"method": "GET", "url": format!("{origin}/desktop/index.html"),
        "httpVersion": "HTTP/1.1", "headers": [], "queryString": [], "cookies": [],
        "headersSize": -1, "bodySize": 0});
    page["response"] = json!({"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1",
        "headers": [], "cookies": [], "content": {"size": 0, "mimeType": "text/html"},
        "redirectURL": "", "headersSize": -1, "bodySize": 0});
    page
}

/// Records `SCENARIOS` and writes each scenario's per-actor exports into its own directory:
/// scenario → the export files.
fn browser_exports(dir: &Path) -> BTreeMap<String, Vec<PathBuf>> {
    let recording = dir.join("suite.har");
    let mut args = vec!["run", "--record", recording.to_str().unwrap()];
    args.extend(SCENARIOS);
    let output = gws(&args);
    assert_eq!(output.status.code(), Some(0), "{}", output_text(&output));
    let har: Value = serde_json::from_str(&std::fs::read_to_string(&recording).unwrap()).unwrap();
    let mut parties: BTreeMap<(String, String), Vec<Value>> = BTreeMap::new();
    for entry in har["log"]["entries"].as_array().unwrap() {
        let key = (
            entry["_gwsScenario"].as_str().unwrap().to_owned(),
            entry["_gwsActor"].as_str().unwrap().to_owned(),
        );
        parties.entry(key).or_default().push(entry.clone());
    }
    let mut exports: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for ((scenario, actor), entries) in parties {
        let mut exported = vec![page_load(&entries[0])];
        exported.extend(entries.iter().map(as_a_browser_exports_it));
        // Devtools list entries by start.
        exported.sort_by_key(|e| e["startedDateTime"].as_str().unwrap().to_owned());
        let file = json!({"log": {"version": "1.2",
            "creator": {"name": "WebInspector", "version": "537.36"}, "pages": [],
            "entries": exported}});
        let scenario_dir = dir.join(&scenario);
        std::fs::create_dir_all(&scenario_dir).unwrap();
        let path = scenario_dir.join(format!("{}.har", actor.replace(':', "-")));
        std::fs::write(&path, file.to_string()).unwrap();
        exports.entry(scenario).or_default().push(path);
    }
    exports
}

fn replay(files: &[PathBuf], extra: &[&str]) -> std::process::Output {
    let mut args = vec!["replay", "--as-fast-as-possible"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    args.extend(extra);
    gws(&args)
}

#[test]
fn per_browser_exports_of_one_conversation_replay_together() {
    let dir = scratch("replay-browsers");
    let exports = browser_exports(&dir);
    assert_eq!(exports.len(), SCENARIOS.len());
    for (scenario, files) in &exports {
        assert!(
            files.len() >= 3,
            "{scenario}: one export per party: {files:?}"
        );
        let output = replay(files, &[]);
        let text = output_text(&output);
        assert_eq!(output.status.code(), Some(0), "{scenario}: {text}");
        assert!(
            text.contains("request(s) outside the GWS API"),
            "{scenario}: the page loads are not replayed: {text}"
        );
    }

    // A seeded fault shows through them, located in the party's own file.
    let files = &exports["agent-accepts-under-monitoring"];
    let output = replay(files, &["--fault", "duplicate-message-log"]);
    let text = output_text(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("differs from the recording (agent.har entries["),
        "the difference names the export and its entry: {text}"
    );

    // An export that does not show its user (no GET /api/v2/me) is named after its file,
    // which --user maps to a profile user.
    let supervisor = files
        .iter()
        .find(|f| f.ends_with("supervisor.har"))
        .unwrap();
    let mut export: Value =
        serde_json::from_str(&std::fs::read_to_string(supervisor).unwrap()).unwrap();
    export["log"]["entries"]
        .as_array_mut()
        .unwrap()
        .retain(|e| {
            !(e["request"]["method"] == "GET"
                && e["request"]["url"]
                    .as_str()
                    .unwrap()
                    .ends_with("/api/v2/me"))
        });
    let anonymous = dir.join("unnamed.har");
    std::fs::write(&anonymous, export.to_string()).unwrap();
    let others: Vec<PathBuf> = files.iter().filter(|f| *f != supervisor).cloned().collect();
    let mut all = others.clone();
    all.push(anonymous.clone());
    let output = replay(&all, &[]);
    let text = output_text(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.contains("--user unnamed=NAME"), "the fix: {text}");
    let output = replay(&all, &["--user", "unnamed=supervisor1"]);
    assert_eq!(output.status.code(), Some(0), "{}", output_text(&output));
}
