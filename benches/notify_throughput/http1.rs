//! A minimal HTTP/1.1 keep-alive connection for the load generator's hot paths (long-polls and
//! operations).
//!
//! Why not `reqwest`: the benchmark measures the server, but the load generator shares the
//! machine's two cores with it, so every microsecond the generator spends per notification is
//! taken from the server. A general client pays for a connection pool, a cookie jar, URL
//! parsing, redirects and a task plus channels per connection on every request; this one writes
//! a prepared request into its own socket and reads the reply in the same task. Parsing the
//! response head is left to `httparse` (the parser hyper itself uses). Only what the reference
//! server sends is supported: `Content-Length` bodies (a chunked reply is an error, not a hang).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::{Context, Result};

/// Response headers read at most; the server sends about six.
const MAX_HEADERS: usize = 32;
/// Largest response accepted (head and body); a long-poll reply carries a few notifications.
const MAX_RESPONSE_BYTES: usize = 16 << 20;

/// One response.
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// The `JSESSIONID` value of a `Set-Cookie` header, if one was sent.
    pub session_cookie: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

/// One persistent connection to the server; requests on it are sequential.
pub struct Connection {
    stream: TcpStream,
    host: String,
    buffer: Vec<u8>,
}

impl Connection {
    /// Opens a connection to `base` (`http://127.0.0.1:PORT`).
    pub async fn open(base: &str, deadline: Duration) -> Result<Self> {
        let host = base
            .strip_prefix("http://")
            .context(|| format!("not an http:// URL: {base}"))?
            .trim_end_matches('/')
            .to_owned();
        let stream = tokio::time::timeout(deadline, TcpStream::connect(&host))
            .await
            .context(|| format!("connect to {host}: no answer within {deadline:?}"))?
            .context(|| format!("connect to {host}"))?;
        // Requests are written in one call and must leave at once, not wait for an ACK.
        stream.set_nodelay(true).context(|| "TCP_NODELAY".into())?;
        Ok(Self {
            stream,
            host,
            buffer: Vec::with_capacity(8 * 1024),
        })
    }

    /// POSTs a JSON `body` to `path` with extra `headers` (`Name: value` lines without CRLF),
    /// and reads the whole response, all within `deadline`.
    pub async fn post(
        &mut self,
        path: &str,
        headers: &[&str],
        body: &[u8],
        deadline: Duration,
    ) -> Result<Response> {
        let mut request = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n",
            self.host,
            body.len()
        )
        .into_bytes();
        for header in headers {
            request.extend_from_slice(header.as_bytes());
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"\r\n");
        request.extend_from_slice(body);
        tokio::time::timeout(deadline, self.exchange(&request))
            .await
            .context(|| format!("POST {path}: no complete response within {deadline:?}"))?
    }

    async fn exchange(&mut self, request: &[u8]) -> Result<Response> {
        self.stream
            .write_all(request)
            .await
            .context(|| "send the request".into())?;
        self.buffer.clear();
        loop {
            if let Some(response) = self.parse()? {
                return Ok(response);
            }
            if self.buffer.len() > MAX_RESPONSE_BYTES {
                return Err(format!("response larger than {MAX_RESPONSE_BYTES} bytes").into());
            }
            self.buffer.reserve(8 * 1024);
            let read = self
                .stream
                .read_buf(&mut self.buffer)
                .await
                .context(|| "read the response".into())?;
            if read == 0 {
                return Err("the server closed the connection mid-response".into());
            }
        }
    }

    /// The response, once the buffer holds all of it.
    fn parse(&self) -> Result<Option<Response>> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut head = httparse::Response::new(&mut headers);
        let httparse::Status::Complete(head_len) = head
            .parse(&self.buffer)
            .context(|| "malformed response head".into())?
        else {
            return Ok(None);
        };
        let mut length = None;
        let mut session_cookie = None;
        for header in head.headers.iter() {
            if header.name.eq_ignore_ascii_case("content-length") {
                length = std::str::from_utf8(header.value)
                    .ok()
                    .and_then(|v| v.trim().parse::<usize>().ok());
            } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
                return Err("chunked responses are not supported by the load generator".into());
            } else if header.name.eq_ignore_ascii_case("set-cookie") {
                session_cookie = std::str::from_utf8(header.value)
                    .ok()
                    .and_then(|v| v.strip_prefix("JSESSIONID="))
                    .and_then(|v| v.split(';').next())
                    .map(str::to_owned);
            }
        }
        let length = length.context(|| "response without Content-Length".into())?;
        if self.buffer.len() < head_len + length {
            return Ok(None);
        }
        Ok(Some(Response {
            status: head.code.unwrap_or_default(),
            session_cookie,
            body: self.buffer[head_len..head_len + length].to_vec(),
        }))
    }
}
