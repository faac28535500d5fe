//! Header values: a header with a secret name ([`is_secret`]: `Authorization`, `Cookie`,
//! `X-Api-Key`, `X-Auth-Token`, `Authentication-Info`, `X-CSRF-TOKEN`, ...) loses its value,
//! keeping what tells a reader how the request was authenticated (the scheme of
//! `Authorization`, cookie names, `Set-Cookie` attributes); a header that holds a URL
//! (`Location`, `Content-Location`, `Referer`, `Link`, any name with the word `url`, `uri`,
//! `location`, `referer` or `referrer`) keeps it with its secret parameters redacted.

use super::names::{is_secret, words};
use super::url::url;
use super::{REDACTED, cookies};

/// Words of header names whose value is a URL.
const URL_WORDS: &[&str] = &["url", "uri", "location", "referer", "referrer"];

/// The value to record for header `name`: `value` itself, or its redacted form.
pub fn header_value(name: &str, value: &str) -> String {
    match name.to_ascii_lowercase().as_str() {
        "authorization" | "proxy-authorization" => credentials(value),
        "cookie" => cookies::cookie_header(value),
        "set-cookie" | "set-cookie2" => cookies::set_cookie_header(value),
        "link" => links(value),
        _ if is_secret(name) => REDACTED.to_owned(),
        _ if words(name).iter().any(|w| URL_WORDS.contains(&w.as_str())) => url(value),
        _ => value.to_owned(),
    }
}

/// Credentials (`Authorization`): `Basic [redacted]`, the scheme kept when it is one, else
/// `[redacted]`.
fn credentials(value: &str) -> String {
    match value.split_once(' ') {
        // A scheme is a short token (`Basic`, `Bearer`, `Negotiate`); anything else might be a
        // bare secret and goes whole.
        Some((scheme, _))
            if (1..=20).contains(&scheme.len())
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
        {
            format!("{scheme} {REDACTED}")
        }
        _ => REDACTED.to_owned(),
    }
}

/// A `Link` header (`<URL>; rel=next, <URL>; rel=prev`) with each `<URL>` passed through
/// [`url`]: paginated APIs put cursors and tokens there.
fn links(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some((before, after)) = rest.split_once('<') {
        out.push_str(before);
        out.push('<');
        let (link, tail) = after.split_once('>').unwrap_or((after, ""));
        out.push_str(&url(link));
        if after.len() > link.len() {
            out.push('>');
        }
        rest = tail;
    }
    out.push_str(rest);
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
    fn cookie_headers_keep_names_and_attributes() {
        assert_eq!(
            header_value("Cookie", "JSESSIONID=s3cr3t; theme=dark"),
            "JSESSIONID=[redacted]; theme=[redacted]"
        );
        assert_eq!(
            header_value("Set-Cookie", "a=1; Path=/, b=2"),
            "a=[redacted]; Path=/, b=[redacted]"
        );
    }

    #[test]
    fn headers_with_secret_names_lose_their_value() {
        for name in [
            "X-CSRF-TOKEN",
            "X-CSRF-HEADER",
            "X-XSRF-TOKEN",
            "X-Api-Key",
            "x-api-key",
            "X-Auth-Token",
            "Authentication-Info",
            "X-Amz-Security-Token",
            "Ocp-Apim-Subscription-Key",
            "X-Key",
            "X-Token-Url",
        ] {
            assert_eq!(header_value(name, "s3cr3t"), REDACTED, "{name}");
        }
    }

    #[test]
    fn other_headers_are_kept() {
        for (name, value) in [
            ("ContactCenterId", "default"),
            ("Content-Type", "application/json"),
            ("WWW-Authenticate", "Basic realm=\"gws\""),
            ("Idempotency-Key", "k1"),
            ("Keyboard-Layout", "fr"),
            ("Location", "http://h/api/v2/me/chats/1?index=2"),
        ] {
            assert_eq!(header_value(name, value), value, "{name}");
        }
    }

    #[test]
    fn headers_holding_urls_keep_them_without_secrets() {
        assert_eq!(
            header_value(
                "Location",
                "https://u:pw@app/cb?code=c&state=s#access_token=t"
            ),
            "https://app/cb?code=[redacted]&state=s#access_token=[redacted]"
        );
        assert_eq!(
            header_value("Content-Location", "/x?api_key=k"),
            "/x?api_key=[redacted]"
        );
        assert_eq!(
            header_value("Referer", "http://h/page?password=p"),
            "http://h/page?password=[redacted]"
        );
        assert_eq!(
            header_value("X-Original-URL", "/p;jsessionid=s?x=1"),
            "/p;jsessionid=[redacted]?x=1"
        );
        assert_eq!(
            header_value(
                "Link",
                "<http://h/p?page=2&access_token=t>; rel=\"next\", </p?page=1>; rel=\"prev\""
            ),
            "<http://h/p?page=2&access_token=[redacted]>; rel=\"next\", </p?page=1>; rel=\"prev\""
        );
        assert_eq!(
            header_value("Link", "<unclosed?token=t"),
            "<unclosed?token=[redacted]"
        );
        assert_eq!(header_value("Link", "no link"), "no link");
    }
}
