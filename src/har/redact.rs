//! Redaction: what must never reach a recording. Credentials (`Authorization`,
//! `Proxy-Authorization`), session cookies (`Cookie`, `Set-Cookie`, a `;jsessionid=` in a URL,
//! user info in a URL) and CSRF tokens (`X-CSRF-TOKEN`, `X-CSRF-HEADER` and any other header
//! naming CSRF/XSRF) keep their names and lose their values, which become [`REDACTED`].
//!
//! Names stay so a reader still sees *that* a request was authenticated, which cookie it sent and
//! that the server asked for a CSRF token; a replay authenticates from its own profile anyway.

use super::model::{Cookie, cookie_pairs};

/// What a secret value is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Whether the value of header `name` is secret.
pub fn is_secret_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    matches!(
        name.as_str(),
        "authorization" | "proxy-authorization" | "cookie" | "set-cookie" | "set-cookie2"
    ) || name.contains("csrf")
        || name.contains("xsrf")
}

/// The value to record for header `name`: `value` itself, or its redacted form.
///
/// `Authorization: Basic …` keeps its scheme (`Basic [redacted]`); cookies keep their names and
/// `Set-Cookie` its attributes (`JSESSIONID=[redacted]; Path=/; HttpOnly`); anything else secret
/// is `[redacted]` whole.
pub fn header_value(name: &str, value: &str) -> String {
    if !is_secret_header(name) {
        return value.to_owned();
    }
    match name.to_ascii_lowercase().as_str() {
        "authorization" | "proxy-authorization" => match value.split_once(' ') {
            // A scheme is a short token (`Basic`, `Bearer`, `Negotiate`); anything else might be
            // a bare secret and goes whole.
            Some((scheme, _))
                if (1..=20).contains(&scheme.len())
                    && scheme
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
            {
                format!("{scheme} {REDACTED}")
            }
            _ => REDACTED.to_owned(),
        },
        "cookie" => value
            .split(';')
            .map(|pair| match pair.trim().split_once('=') {
                Some((name, _)) => format!("{}={REDACTED}", name.trim()),
                None => REDACTED.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("; "),
        "set-cookie" | "set-cookie2" => {
            let mut parts = value.split(';');
            let first = match parts.next().and_then(|pair| pair.split_once('=')) {
                Some((name, _)) => format!("{}={REDACTED}", name.trim()),
                None => REDACTED.to_owned(),
            };
            std::iter::once(first)
                .chain(parts.map(|attribute| attribute.trim().to_owned()))
                .collect::<Vec<_>>()
                .join("; ")
        }
        _ => REDACTED.to_owned(),
    }
}

/// The cookies of the request's `Cookie` headers, values redacted.
pub fn request_cookies<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<Cookie> {
    cookie_pairs(headers, false)
        .map(|(name, _)| Cookie {
            name: name.to_owned(),
            value: REDACTED.to_owned(),
            ..Cookie::default()
        })
        .collect()
}

/// The cookies of the response's `Set-Cookie` headers, values redacted, attributes kept
/// (`Expires` is left out: HAR wants ISO 8601 there, the header carries an HTTP date).
pub fn response_cookies<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<Cookie> {
    headers
        .into_iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|(_, value)| {
            let mut parts = value.split(';');
            let (name, _) = parts.next()?.split_once('=')?;
            let mut cookie = Cookie {
                name: name.trim().to_owned(),
                value: REDACTED.to_owned(),
                ..Cookie::default()
            };
            for attribute in parts {
                let (key, value) = attribute
                    .trim()
                    .split_once('=')
                    .unwrap_or((attribute.trim(), ""));
                match key.to_ascii_lowercase().as_str() {
                    "path" => cookie.path = Some(value.to_owned()),
                    "domain" => cookie.domain = Some(value.to_owned()),
                    "httponly" => cookie.http_only = Some(true),
                    "secure" => cookie.secure = Some(true),
                    _ => {}
                }
            }
            Some(cookie)
        })
        .collect()
}

/// `url` without user info (`http://user:pw@host` → `http://host`) and with the value of a
/// servlet-style `;jsessionid=…` path parameter redacted.
pub fn url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let mut out = String::with_capacity(url.len());
    if !scheme.is_empty() {
        out.push_str(scheme);
        out.push_str("://");
    }
    out.push_str(host);
    out.push_str(&session_in_path(tail));
    out
}

/// Redacts every `;jsessionid=VALUE` (any case) in `text`; the value ends at `?`, `#`, `;` or `/`.
fn session_in_path(text: &str) -> String {
    const PARAMETER: &str = ";jsessionid=";
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    while let Some(found) = lower[from..].find(PARAMETER) {
        let value_start = from + found + PARAMETER.len();
        out.push_str(&text[from..value_start]);
        out.push_str(REDACTED);
        from = text[value_start..]
            .find(['?', '#', ';', '/'])
            .map_or(text.len(), |end| value_start + end);
    }
    out.push_str(&text[from..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_lose_their_value_and_keep_their_scheme() {
        assert_eq!(
            header_value("Authorization", "Basic YWdlbnQxOnNlY3JldA=="),
            "Basic [redacted]"
        );
        assert_eq!(
            header_value("authorization", "Bearer abc.def"),
            "Bearer [redacted]"
        );
        assert_eq!(header_value("Authorization", "opaque-token"), REDACTED);
        assert_eq!(
            header_value("Authorization", "a;b=c,d secret"),
            REDACTED,
            "not a scheme: redacted whole"
        );
        assert_eq!(
            header_value("Proxy-Authorization", "Basic eA=="),
            "Basic [redacted]"
        );
    }

    #[test]
    fn cookies_keep_names_and_attributes() {
        assert_eq!(
            header_value("Cookie", "JSESSIONID=s3cr3t; theme=dark"),
            "JSESSIONID=[redacted]; theme=[redacted]"
        );
        assert_eq!(
            header_value("Set-Cookie", "JSESSIONID=s3cr3t; Path=/; HttpOnly"),
            "JSESSIONID=[redacted]; Path=/; HttpOnly"
        );
        assert_eq!(header_value("set-cookie", "garbage"), REDACTED);
        let sent = request_cookies([("cookie", "JSESSIONID=s3cr3t; b=2"), ("Accept", "x")]);
        assert_eq!(sent.len(), 2);
        assert!(sent.iter().all(|c| c.value == REDACTED));
        let set = response_cookies([(
            "Set-Cookie",
            "JSESSIONID=s3cr3t; Path=/api; Domain=gws.example; Secure; HttpOnly; Max-Age=0",
        )]);
        assert_eq!(set[0].name, "JSESSIONID");
        assert_eq!(set[0].value, REDACTED);
        assert_eq!(set[0].path.as_deref(), Some("/api"));
        assert_eq!(set[0].domain.as_deref(), Some("gws.example"));
        assert_eq!((set[0].secure, set[0].http_only), (Some(true), Some(true)));
    }

    #[test]
    fn csrf_headers_are_secret_and_others_are_not() {
        assert_eq!(header_value("X-CSRF-TOKEN", "0123abcd"), REDACTED);
        assert_eq!(header_value("X-CSRF-HEADER", "X-CSRF-TOKEN"), REDACTED);
        assert_eq!(header_value("X-XSRF-TOKEN", "t"), REDACTED);
        assert_eq!(header_value("ContactCenterId", "default"), "default");
        assert_eq!(
            header_value("Content-Type", "application/json"),
            "application/json"
        );
    }

    #[test]
    fn urls_lose_user_info_and_session_ids() {
        assert_eq!(url("http://u:pw@h:8090/api?x=1"), "http://h:8090/api?x=1");
        assert_eq!(url("http://h/api/v2/me"), "http://h/api/v2/me");
        assert_eq!(
            url("http://h/api/v2/me;JSESSIONID=s3cr3t?x=1"),
            "http://h/api/v2/me;JSESSIONID=[redacted]?x=1"
        );
        assert_eq!(
            url("http://h/a;jsessionid=s3cr3t"),
            "http://h/a;jsessionid=[redacted]"
        );
        assert_eq!(
            url("/relative;jsessionid=x/y"),
            "/relative;jsessionid=[redacted]/y"
        );
        assert_eq!(url(""), "");
        assert_eq!(url("http://@"), "http://");
        assert_eq!(
            url("ünïcode://ü@ß/ü;jsessionid=ü"),
            "ünïcode://ß/ü;jsessionid=[redacted]"
        );
    }
}
