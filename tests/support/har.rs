//! Checks of recorded HAR files, shared by the recording and proxy tests: structure per HAR
//! 1.2, secrets, and driving the binary (interrupting it, waiting for it with a deadline).

use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Reads a HAR file as JSON, also checking that the crate's model reads it.
pub fn read(path: &Path) -> Value {
    gws_conform::har::Har::read(path).unwrap_or_else(|e| panic!("{e}"));
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[track_caller]
fn string(value: &Value, what: &str) {
    assert!(value.is_string(), "{what} must be a string: {value}");
}

#[track_caller]
fn number(value: &Value, what: &str) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("{what} must be a number: {value}"))
}

#[track_caller]
fn name_values(value: &Value, what: &str) {
    let list = value
        .as_array()
        .unwrap_or_else(|| panic!("{what} must be an array: {value}"));
    for item in list {
        string(&item["name"], what);
        string(&item["value"], what);
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmmuuuZ`.
#[track_caller]
fn rfc3339(value: &Value) {
    let text = value.as_str().expect("startedDateTime is a string");
    let shape: String = text
        .chars()
        .map(|c| if c.is_ascii_digit() { 'd' } else { c })
        .collect();
    assert_eq!(
        shape, "dddd-dd-ddTdd:dd:dd.ddddddZ",
        "startedDateTime {text}"
    );
}

/// Asserts the document is HAR 1.2 as the specification requires (every required field, with
/// its type) and returns its entries.
#[track_caller]
pub fn assert_valid(har: &Value) -> Vec<Value> {
    let log = &har["log"];
    assert_eq!(log["version"], "1.2");
    assert_eq!(log["creator"]["name"], "gws-conform");
    string(&log["creator"]["version"], "creator.version");
    let entries = log["entries"].as_array().expect("entries is an array");
    for entry in entries {
        rfc3339(&entry["startedDateTime"]);
        let time = number(&entry["time"], "time");
        let request = &entry["request"];
        for field in ["method", "url", "httpVersion"] {
            string(&request[field], field);
        }
        name_values(&request["headers"], "request.headers");
        name_values(&request["queryString"], "request.queryString");
        assert!(request["cookies"].is_array(), "request.cookies");
        number(&request["headersSize"], "request.headersSize");
        number(&request["bodySize"], "request.bodySize");
        if let Some(post) = request.get("postData") {
            string(&post["mimeType"], "postData.mimeType");
            string(&post["text"], "postData.text");
        }
        let response = &entry["response"];
        number(&response["status"], "response.status");
        for field in ["statusText", "httpVersion", "redirectURL"] {
            string(&response[field], field);
        }
        name_values(&response["headers"], "response.headers");
        assert!(response["cookies"].is_array(), "response.cookies");
        number(&response["content"]["size"], "content.size");
        string(&response["content"]["mimeType"], "content.mimeType");
        number(&response["headersSize"], "response.headersSize");
        number(&response["bodySize"], "response.bodySize");
        assert!(entry["cache"].is_object(), "cache");
        let timings = &entry["timings"];
        let phases: f64 = ["send", "wait", "receive"]
            .iter()
            .map(|phase| {
                let ms = number(&timings[*phase], phase);
                assert!(ms >= 0.0, "{phase} is negative: {entry}");
                ms
            })
            .sum();
        assert!(
            (time - phases).abs() < 0.01,
            "time is not the sum of the timings: {entry}"
        );
        number(&entry["_gwsSeq"], "_gwsSeq");
    }
    entries.clone()
}

/// Asserts none of `secrets` appears anywhere in the file.
#[track_caller]
pub fn assert_no_secret(path: &Path, secrets: &[String]) {
    let forms = secrets.iter().map(|s| (s.clone(), s.clone()));
    assert_absent(path, forms.collect());
}

/// Asserts none of `secrets` appears anywhere in the file's bytes, as it is, percent-encoded
/// (upper- or lower-case hex) or inside any base64 text (`Basic` credentials, base64 bodies).
#[track_caller]
pub fn assert_no_secret_in_any_form(path: &Path, secrets: &[String]) {
    let forms = secrets.iter().flat_map(|secret| {
        let encoded = [
            percent_encoded(secret, false),
            percent_encoded(secret, true),
        ];
        std::iter::once(secret.clone())
            .chain(encoded)
            .chain(base64_cores(secret))
            .map(move |form| (secret.clone(), form))
    });
    assert_absent(path, forms.collect());
}

/// Asserts no `form` (of its `secret`) is in the file.
#[track_caller]
fn assert_absent(path: &Path, forms: Vec<(String, String)>) {
    let bytes = std::fs::read(path).unwrap();
    for (secret, form) in forms {
        assert!(!form.is_empty(), "an empty secret finds nothing");
        assert!(
            !bytes.windows(form.len()).any(|w| w == form.as_bytes()),
            "{} contains the secret {secret} (as {form})",
            path.display()
        );
    }
}

/// `text` with every byte but the unreserved ones (RFC 3986) as `%XX`.
fn percent_encoded(text: &str, lower_case: bool) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ if lower_case => format!("%{b:02x}"),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The base64 characters that encode `secret` alone wherever it stands in a longer text: one
/// string per alignment of its first byte (0, 1 or 2 bytes into a 3-byte group), without the
/// characters shared with what comes before or after it.
fn base64_cores(secret: &str) -> Vec<String> {
    use base64::Engine;
    (0..3)
        .map(|offset| {
            let mut bytes = vec![0u8; offset];
            bytes.extend_from_slice(secret.as_bytes());
            let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
            // Character i holds bits 6i..6i+6: it is the secret's alone when those bits are.
            let first = (8 * offset).div_ceil(6);
            let end = 8 * (offset + secret.len()) / 6;
            encoded[first..end].to_owned()
        })
        .collect()
}

/// The Bayeux messages of an entry's request body.
pub fn bayeux_messages(entry: &Value) -> Vec<Value> {
    let text = entry["request"]["postData"]["text"]
        .as_str()
        .unwrap_or("[]");
    serde_json::from_str::<Vec<Value>>(text).unwrap_or_default()
}

/// The temporary files of recordings in `dir`.
pub fn temporary_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "tmp"))
                .collect()
        })
        .unwrap_or_default()
}

/// A fresh temporary directory.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gws-conform-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Sends SIGINT, as Ctrl-C does.
pub fn interrupt(child: &Child) {
    signal(child, "INT");
}

/// Sends the signal `name` (`INT`, `TERM`, …) with `kill`.
pub fn signal(child: &Child, name: &str) {
    let status = std::process::Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{name} failed");
}

/// Waits for the process to exit; kills it and fails after `limit`.
pub fn wait_exit(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the process did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// [`wait_exit`] off the async runtime.
pub async fn spawn_blocking_exit(mut child: Child, limit: Duration) -> ExitStatus {
    tokio::task::spawn_blocking(move || wait_exit(&mut child, limit))
        .await
        .expect("the waiting thread")
}

/// Polls `check` until it returns `Some`, for at most `limit`.
pub fn eventually<T>(limit: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
