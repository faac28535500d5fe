//! One HTTP exchange with the Bayeux endpoint: POST a message array, read a message array back,
//! within a deadline and a size limit.

use std::fmt;
use std::time::Duration;

use serde_json::Value;

use super::error::TransportError;
use crate::driver::http::describe;
use crate::driver::tap::{Tap, Trace};

/// How much of an unexpected body an error quotes.
const BODY_CHARS: usize = 200;

/// Largest Bayeux reply read. A connect reply carries every queued notification at once, so
/// this is far above the REST limit; beyond it the reply is refused rather than buffered.
pub const MAX_REPLY_BYTES: usize = 16 << 20;

/// HTTP Basic credentials, sent with every Bayeux request.
#[derive(Clone)]
pub struct Credentials {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
}

// Hand-written so the password never ends up in logs or test output.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Where and how to send Bayeux requests.
pub(super) struct Endpoint {
    /// The caller's client, so its cookie store (the `JSESSIONID`) is shared with REST calls.
    pub http: reqwest::Client,
    pub url: String,
    pub credentials: Option<Credentials>,
    /// Records every exchange, when the harness records.
    pub tap: Option<Tap>,
}

/// The start of a text, for an error message.
pub(super) fn quote(text: &str) -> String {
    let mut shown: String = text.chars().take(BODY_CHARS).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    shown
}

impl Endpoint {
    /// POSTs `messages` and returns the reply's messages, or fails once `deadline` (of which
    /// the server may legitimately spend `hold` holding the request) has passed.
    pub async fn post(
        &self,
        messages: &Value,
        deadline: Duration,
        hold: Duration,
    ) -> Result<Vec<Value>, TransportError> {
        let mut request = self.http.post(&self.url).json(messages);
        if let Some(credentials) = &self.credentials {
            request = request.basic_auth(&credentials.username, Some(&credentials.password));
        }
        let http = |e: reqwest::Error| TransportError::Http(describe(&e));
        let (client, request) = request.build_split();
        let request = request.map_err(http)?;
        let mut trace = Trace::start(self.tap.as_ref(), &request);
        // The deadline covers reading the body too: a server may send headers and then stall.
        let exchange = async {
            let mut response = client.execute(request).await.map_err(http)?;
            trace.response(&response);
            let status = response.status();
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(http)? {
                if body.len() + chunk.len() > MAX_REPLY_BYTES {
                    return Err(TransportError::TooLarge(MAX_REPLY_BYTES));
                }
                body.extend_from_slice(&chunk);
            }
            Ok((status, body))
        };
        let outcome = tokio::time::timeout(deadline, exchange)
            .await
            .map_err(|_| TransportError::Deadline {
                waited: deadline,
                hold,
            })
            .and_then(|read| read);
        match &outcome {
            Ok((_, body)) => trace.finish(body, None),
            Err(error) => trace.finish(&[], Some(error.to_string())),
        }
        let (status, body) = outcome?;
        if !status.is_success() {
            return Err(TransportError::Status {
                status: status.as_u16(),
                body: quote(&String::from_utf8_lossy(&body)),
            });
        }
        match serde_json::from_slice(&body) {
            Ok(Value::Array(messages)) => Ok(messages),
            Ok(other) => Err(TransportError::Malformed(format!(
                "not a JSON array of messages: {}",
                quote(&other.to_string())
            ))),
            Err(e) => Err(TransportError::Malformed(format!(
                "not JSON ({e}): {}",
                quote(&String::from_utf8_lossy(&body))
            ))),
        }
    }
}
