//! Forwarding one request: read the client's request (bounded), send it upstream without its
//! hop-by-hop headers, wait for the whole response (up to the hold limit), send it back, and
//! record the exchange as the client saw it.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::Proxy;
use super::actors::Actor;
use crate::har::{Capture, InFlight, Labels, header_pairs};

/// Headers that belong to one connection, not to the exchange (RFC 9110 §7.6.1), plus those
/// the proxy sets itself: `Host` (the upstream's) and `Content-Length` (of the body sent).
const HOP_BY_HOP: [&str; 11] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

/// Also kept from the upstream: the proxy asks for uncompressed bodies, so the recording holds
/// readable JSON (the client still gets the same content, just not compressed).
const NOT_FORWARDED_UPSTREAM: [&str; 1] = ["accept-encoding"];

/// The headers of `headers` to pass on: no hop-by-hop ones (also those the `Connection` header
/// names) and none of `also`.
fn passed_on<'a>(
    headers: &'a HeaderMap,
    also: &'a [&'a str],
) -> impl Iterator<Item = (&'a HeaderName, &'a HeaderValue)> {
    let named: Vec<String> = headers
        .get_all("connection")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .collect();
    headers.iter().filter(move |(name, _)| {
        let name = name.as_str();
        !HOP_BY_HOP.contains(&name) && !also.contains(&name) && !named.iter().any(|n| n == name)
    })
}

fn labels(actor: Option<&Actor>) -> Labels {
    Labels {
        actor: actor.map(|a| a.name.clone()),
        role: actor.and_then(|a| a.role).map(str::to_owned),
        ..Labels::default()
    }
}

/// The handler of every request.
pub(super) async fn forward(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let target = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let host = parts
        .headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .map_or_else(|| proxy.listen.to_string(), str::to_owned);
    let version = format!("{:?}", parts.version);
    let mut capture = Capture::start(
        parts.method.as_str(),
        &format!("http://{host}{target}"),
        &version,
    );
    capture.request_headers = header_pairs(&parts.headers);
    let actor = proxy.names.identify(&parts.headers, parts.uri.path());
    capture.labels = labels(actor.as_ref());
    // From here on the exchange is recorded whatever happens, even if the client goes away.
    let mut in_flight = InFlight::new(proxy.sink.clone(), capture);
    let limit = proxy.config.max_body_bytes;
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        let error = format!("request body larger than {limit} bytes");
        return refuse(in_flight, StatusCode::PAYLOAD_TOO_LARGE, error);
    }
    // A client that stalls in the middle of its body is not waited for forever either.
    let read = tokio::time::timeout(proxy.config.hold_limit, axum::body::to_bytes(body, limit));
    let body = match read.await {
        Ok(Ok(body)) => body,
        Ok(Err(e)) => {
            let error = format!("cannot read the request body (at most {limit} bytes): {e}");
            return refuse(in_flight, StatusCode::BAD_REQUEST, error);
        }
        Err(_) => {
            let error = "the request body did not arrive within the hold limit".to_owned();
            return refuse(in_flight, StatusCode::REQUEST_TIMEOUT, error);
        }
    };
    if let Some(capture) = in_flight.capture_mut() {
        capture.request_body = body.to_vec();
    }
    let mut upstream = proxy
        .client
        .request(parts.method.clone(), format!("{}{target}", proxy.upstream))
        .timeout(proxy.config.hold_limit)
        .body(body);
    for (name, value) in passed_on(&parts.headers, &NOT_FORWARDED_UPSTREAM) {
        upstream = upstream.header(name, value);
    }
    in_flight.sent();
    let response = match upstream.send().await {
        Ok(response) => response,
        Err(e) => return upstream_failed(in_flight, &proxy, &e),
    };
    let status = response.status();
    let headers = response.headers().clone();
    let version = format!("{:?}", response.version());
    in_flight.response(status.as_u16(), version, header_pairs(&headers));
    let body = match read_body(response, limit).await {
        Ok(body) => body,
        Err(Failure::TooLarge) => {
            let error = format!("upstream response body larger than {limit} bytes");
            return refuse(in_flight, StatusCode::BAD_GATEWAY, error);
        }
        Err(Failure::Http(e)) => return upstream_failed(in_flight, &proxy, &e),
    };
    if let Some(better) = proxy.names.learn(actor.as_ref(), &headers, &body)
        && let Some(capture) = in_flight.capture_mut()
    {
        capture.labels = labels(Some(&better));
    }
    let mut reply = Response::builder().status(status);
    for (name, value) in passed_on(&headers, &[]) {
        reply = reply.header(name, value);
    }
    match reply.body(Body::from(body.clone())) {
        Ok(reply) => {
            in_flight.finish(&body, None);
            reply
        }
        Err(e) => {
            let error = format!("cannot pass the upstream response on: {e}");
            refuse(in_flight, StatusCode::BAD_GATEWAY, error)
        }
    }
}

/// Why an upstream body could not be read.
enum Failure {
    TooLarge,
    Http(reqwest::Error),
}

async fn read_body(mut response: reqwest::Response, limit: usize) -> Result<Bytes, Failure> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(Failure::Http)? {
        if body.len() + chunk.len() > limit {
            return Err(Failure::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(body))
}

/// The upstream could not be reached (502, also when connecting timed out), did not answer
/// within the hold limit (504), or broke off (502).
fn upstream_failed(in_flight: InFlight, proxy: &Proxy, error: &reqwest::Error) -> Response {
    if error.is_connect() {
        let message = format!("cannot connect to the upstream {}: {error}", proxy.upstream);
        return refuse(in_flight, StatusCode::BAD_GATEWAY, message);
    }
    if error.is_timeout() {
        let limit = proxy.config.hold_limit.as_secs_f64();
        let message = format!("no complete response from the upstream within {limit} s");
        return refuse(in_flight, StatusCode::GATEWAY_TIMEOUT, message);
    }
    let message = format!("upstream exchange failed: {error}");
    refuse(in_flight, StatusCode::BAD_GATEWAY, message)
}

/// Answers with the proxy's own error, and records that (with the reason in `_gwsError`), since
/// it is what the client got.
fn refuse(mut in_flight: InFlight, status: StatusCode, error: String) -> Response {
    const TEXT: &str = "text/plain; charset=utf-8";
    let body = format!("gws-conform proxy: {error}\n");
    let headers = vec![(CONTENT_TYPE.as_str().to_owned(), TEXT.to_owned())];
    in_flight.response(status.as_u16(), "HTTP/1.1".to_owned(), headers);
    in_flight.finish(body.as_bytes(), Some(error));
    (status, [(CONTENT_TYPE, TEXT)], body).into_response()
}
