#![allow(dead_code)] // each test binary uses a different subset of these helpers

//! Hostile targets for `tests/hostile_targets.rs`: a raw HTTP/1.1 front end on a tokio
//! `TcpListener` that, per request, answers by itself, never answers, or forwards the request to
//! an in-process reference server and corrupts what comes back. Raw bytes rather than an HTTP
//! server library, so that it can do what no well-behaved server does: claim a longer body than
//! it sends, hold a request forever, answer a Bayeux request with garbage.
//!
//! Every connection serves one request and is then closed (`Connection: close`), which keeps
//! the parsing trivial: a head, then `Content-Length` bytes of body.

use std::sync::Arc;
use std::time::Duration;

use gws_conform::server::{RunningServer, ServerConfig, start};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Largest request head or body the front end reads; the harness sends far less.
const MAX_REQUEST_BYTES: usize = 1 << 20;

/// One request as the front end read it.
#[derive(Debug)]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Header names (lower case) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Request {
    /// The body as text.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Whether this is a Bayeux request carrying a message on `channel` (`/meta/handshake`).
    pub fn is_bayeux(&self, channel: &str) -> bool {
        self.path.starts_with("/api/v2/notifications")
            && self
                .body_text()
                .contains(&format!("\"channel\":\"{channel}\""))
    }

    /// Whether this is a supervisor request on an agent's chat channel (`Monitor`, `Coach`,
    /// ...): the request one scenario of the tests makes and the other does not.
    pub fn is_monitoring(&self) -> bool {
        self.method == "POST" && self.path.starts_with("/api/v2/users/")
    }
}

/// The reference server's answer to a forwarded request.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// HTTP status.
    pub status: u16,
    /// Headers worth passing on (`Set-Cookie`, `Content-Type`).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// A corruption of the reference server's answer: the bytes to send instead.
pub type Rewrite = Box<dyn FnOnce(Upstream) -> Vec<u8> + Send>;

/// What the front end does with one request.
pub enum Plan {
    /// Forward it and pass the answer on unchanged.
    Forward,
    /// Forward it, then wait this long before passing the answer on.
    Delay(Duration),
    /// Read it and never answer (the connection stays open).
    Hang,
    /// Answer with these bytes without forwarding.
    Reply(Vec<u8>),
    /// Forward it and answer with what the function makes of the reference server's answer.
    Rewrite(Rewrite),
}

/// Chooses the plan for each request.
pub type Planner = dyn Fn(&Request) -> Plan + Send + Sync;

/// A running hostile front end; stops accepting when dropped.
pub struct Hostile {
    /// Its base URL (`http://127.0.0.1:PORT`).
    pub url: String,
    accept: JoinHandle<()>,
    /// The reference server behind it, if any.
    _upstream: Option<RunningServer>,
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl Hostile {
    /// A front end on a free port in front of a fresh reference server (whose long-polls
    /// are held at most `long_poll`), corrupting requests as `planner` says.
    pub async fn proxy(
        long_poll: Duration,
        planner: impl Fn(&Request) -> Plan + Send + Sync + 'static,
    ) -> Hostile {
        let config = ServerConfig {
            long_poll_timeout: long_poll,
            ..ServerConfig::default()
        };
        Self::in_front_of(config, planner).await
    }

    /// A front end on a free port in front of a fresh reference server started with `config`,
    /// answering requests as `planner` says.
    pub async fn in_front_of(
        config: ServerConfig,
        planner: impl Fn(&Request) -> Plan + Send + Sync + 'static,
    ) -> Hostile {
        let server = start(config, "127.0.0.1:0".parse().unwrap())
            .await
            .expect("start the reference server");
        Self::start(Some(server), Arc::new(planner)).await
    }

    /// A front end with nothing behind it: `planner` must answer every request itself.
    pub async fn alone(planner: impl Fn(&Request) -> Plan + Send + Sync + 'static) -> Hostile {
        Self::start(None, Arc::new(planner)).await
    }

    async fn start(upstream: Option<RunningServer>, planner: Arc<Planner>) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let base = upstream.as_ref().map(RunningServer::base_url);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (planner, base, client) = (planner.clone(), base.clone(), client.clone());
                tokio::spawn(serve(stream, planner, base, client));
            }
        });
        Hostile {
            url,
            accept,
            _upstream: upstream,
        }
    }
}

/// A base URL where nothing listens: the port was free a moment ago and is closed again.
pub async fn refusing_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

async fn serve(
    mut stream: TcpStream,
    planner: Arc<Planner>,
    base: Option<String>,
    client: reqwest::Client,
) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    let bytes = match planner(&request) {
        Plan::Hang => {
            // Keep the connection open (the stream lives here) until the client gives up.
            let mut sink = [0u8; 64];
            while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
            return;
        }
        Plan::Reply(bytes) => bytes,
        Plan::Forward => encode(forward(&client, base.as_deref(), &request).await),
        Plan::Delay(delay) => {
            let upstream = forward(&client, base.as_deref(), &request).await;
            tokio::time::sleep(delay).await;
            encode(upstream)
        }
        Plan::Rewrite(rewrite) => rewrite(forward(&client, base.as_deref(), &request).await),
    };
    // The client may have given up already; that is its business.
    let _ = stream.write_all(&bytes).await;
    let _ = stream.shutdown().await;
}

/// Reads one request (head and `Content-Length` body), or `None` if the client went away or
/// sent something that is not HTTP.
async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buffer = Vec::new();
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if buffer.len() > MAX_REQUEST_BYTES {
            return None;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, path) = (first.next()?.to_owned(), first.next()?.to_owned());
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0)
        .min(MAX_REQUEST_BYTES);
    let mut body = buffer[head_end..].to_vec();
    while body.len() < length {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

/// Sends `request` to the reference server at `base` and returns its answer (a 502 when there
/// is none: a test that forwards without a server behind it is itself wrong).
async fn forward(client: &reqwest::Client, base: Option<&str>, request: &Request) -> Upstream {
    let failed = |why: String| Upstream {
        status: 502,
        headers: Vec::new(),
        body: why.into_bytes(),
    };
    let Some(base) = base else {
        return failed("no reference server behind this front end".to_owned());
    };
    let method = reqwest::Method::from_bytes(request.method.as_bytes()).unwrap_or_default();
    let mut builder = client.request(method, format!("{base}{}", request.path));
    for (name, value) in &request.headers {
        if !matches!(name.as_str(), "host" | "content-length" | "connection") {
            builder = builder.header(name, value);
        }
    }
    let response = match builder.body(request.body.clone()).send().await {
        Ok(response) => response,
        Err(e) => return failed(e.to_string()),
    };
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .filter(|(name, _)| matches!(name.as_str(), "set-cookie" | "content-type"))
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_owned(), value)
        })
        .collect();
    match response.bytes().await {
        Ok(body) => Upstream {
            status,
            headers,
            body: body.to_vec(),
        },
        Err(e) => failed(e.to_string()),
    }
}

/// The raw bytes of a response: status line, headers, a `Content-Length` of `claimed` bytes
/// (the body's real length unless a test lies about it), `Connection: close`, then the body.
pub fn raw(status: u16, headers: &[(String, String)], body: &[u8], claimed: usize) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {status} Hostile\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {claimed}\r\nConnection: close\r\n\r\n"
    ));
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// A complete JSON response.
pub fn json(status: u16, body: &str) -> Vec<u8> {
    let headers = [("Content-Type".to_owned(), "application/json".to_owned())];
    raw(status, &headers, body.as_bytes(), body.len())
}

/// The reference server's answer, passed on as it was.
pub fn encode(upstream: Upstream) -> Vec<u8> {
    let length = upstream.body.len();
    raw(upstream.status, &upstream.headers, &upstream.body, length)
}
