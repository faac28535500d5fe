//! Cookies: every cookie's value is secret (a server may put a session in any of them), its
//! name and its `Set-Cookie` attributes are not. Covers the `Cookie` header, `Set-Cookie`
//! (also several cookies folded into one header value, as some servers and proxies join
//! them), and HAR's `cookies` arrays.

use super::REDACTED;
use crate::har::model::{Cookie, cookie_pairs};

/// A `Cookie` header's value with every value redacted: `a=[redacted]; b=[redacted]`.
pub fn cookie_header(value: &str) -> String {
    value
        .split(';')
        .map(|pair| match pair.trim().split_once('=') {
            Some((name, _)) => format!("{}={REDACTED}", name.trim()),
            None => REDACTED.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A `Set-Cookie` header's value with the value of each cookie it holds redacted and the
/// attributes kept: `JSESSIONID=[redacted]; Path=/; HttpOnly`.
pub fn set_cookie_header(value: &str) -> String {
    folded(value)
        .map(|cookie| {
            let mut parts = cookie.split(';');
            let first = match parts.next().and_then(|pair| pair.split_once('=')) {
                Some((name, _)) => format!("{}={REDACTED}", name.trim()),
                None => REDACTED.to_owned(),
            };
            std::iter::once(first)
                .chain(parts.map(|attribute| attribute.trim().to_owned()))
                .collect::<Vec<_>>()
                .join("; ")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The cookies of one `Set-Cookie` value: one, or several folded with commas. A comma only
/// separates cookies when a `name=` follows it: the comma of `Expires=Wed, 21 Oct 2015 …`
/// is followed by a date.
fn folded(value: &str) -> impl Iterator<Item = &str> {
    let mut starts = vec![0];
    starts.extend(
        value
            .match_indices(',')
            .map(|(at, _)| at + 1)
            .filter(|&after| starts_cookie(&value[after..])),
    );
    let ends: Vec<usize> = starts
        .iter()
        .skip(1)
        .map(|after| after - 1)
        .chain(std::iter::once(value.len()))
        .collect();
    starts
        .into_iter()
        .zip(ends)
        .map(move |(start, end)| value[start..end].trim())
}

/// Whether `text` starts (after spaces) with `name=`, `name` being an HTTP token.
fn starts_cookie(text: &str) -> bool {
    let text = text.trim_start();
    let name_end = text.find(['=', ';', ',']).unwrap_or(text.len());
    name_end > 0
        && text[name_end..].starts_with('=')
        && text[..name_end]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
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

/// The cookies of the response's `Set-Cookie` headers (folded ones included), values
/// redacted, attributes kept (`Expires` is left out: HAR wants ISO 8601 there, the header
/// carries an HTTP date).
pub fn response_cookies<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<Cookie> {
    headers
        .into_iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .flat_map(|(_, value)| folded(value))
        .filter_map(|one| {
            let mut parts = one.split(';');
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_keep_names_and_attributes() {
        assert_eq!(
            cookie_header("JSESSIONID=s3cr3t; theme=dark"),
            "JSESSIONID=[redacted]; theme=[redacted]"
        );
        assert_eq!(cookie_header("junk"), REDACTED);
        assert_eq!(
            set_cookie_header("JSESSIONID=s3cr3t; Path=/; HttpOnly"),
            "JSESSIONID=[redacted]; Path=/; HttpOnly"
        );
        assert_eq!(set_cookie_header("garbage"), REDACTED);
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
    fn every_cookie_of_a_folded_set_cookie_is_redacted() {
        let folded_value = "a=first; Expires=Wed, 21 Oct 2037 07:28:00 GMT; Path=/, \
                            b=second; HttpOnly,c=third";
        assert_eq!(
            set_cookie_header(folded_value),
            "a=[redacted]; Expires=Wed, 21 Oct 2037 07:28:00 GMT; Path=/, \
             b=[redacted]; HttpOnly, c=[redacted]"
        );
        let set = response_cookies([("set-cookie", folded_value)]);
        let names: Vec<&str> = set.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert!(set.iter().all(|c| c.value == REDACTED));
        assert_eq!(set[0].path.as_deref(), Some("/"));
        assert_eq!(set[1].http_only, Some(true));
    }

    #[test]
    fn a_comma_not_followed_by_a_cookie_separates_nothing() {
        for value in [
            "a=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT",
            "a=x,y",
            "a=1, =2",
            "a=1, not a cookie=2",
            ",",
            "",
        ] {
            assert_eq!(folded(value).count(), 1, "{value}");
        }
        assert_eq!(set_cookie_header("a=x,y"), "a=[redacted]");
        assert_eq!(set_cookie_header(", b=2"), "[redacted], b=[redacted]");
    }
}
