//! One HTTP exchange with the Bayeux endpoint: POST a message array, read a message array back,
//! within a deadline.

use std::fmt;
use std::time::Duration;

use serde_json::Value;

use super::error::TransportError;

/// How much of an unexpected body an error quotes.
const BODY_CHARS: usize = 200;

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
}

impl Endpoint {
    /// POSTs `messages` and returns the reply's messages, or fails once `deadline` has passed.
    pub async fn post(
        &self,
        messages: &Value,
        deadline: Duration,
    ) -> Result<Vec<Value>, TransportError> {
        let mut request = self.http.post(&self.url).json(messages);
        if let Some(credentials) = &self.credentials {
            request = request.basic_auth(&credentials.username, Some(&credentials.password));
        }
        // The deadline covers reading the body too: a server may send headers and then stall.
        let exchange = async {
            let response = request.send().await?;
            let status = response.status();
            Ok::<_, TransportError>((status, response.bytes().await?))
        };
        let (status, body) = tokio::time::timeout(deadline, exchange)
            .await
            .map_err(|_| TransportError::Deadline(deadline))??;
        if !status.is_success() {
            let body = String::from_utf8_lossy(&body)
                .chars()
                .take(BODY_CHARS)
                .collect();
            return Err(TransportError::Status {
                status: status.as_u16(),
                body,
            });
        }
        match serde_json::from_slice(&body)? {
            Value::Array(messages) => Ok(messages),
            other => Err(TransportError::NotArray(
                other.to_string().chars().take(BODY_CHARS).collect(),
            )),
        }
    }
}
