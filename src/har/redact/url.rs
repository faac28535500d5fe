//! URLs and URL-encoded parameters: user info goes, and the value of every parameter with a
//! secret name ([`is_secret_parameter`]) becomes [`REDACTED`], in the path (`;jsessionid=…`),
//! the query (`?access_token=…`) and the fragment (`#access_token=…`, where OAuth's implicit
//! flow puts tokens). The same treatment serves form bodies (`password=…&user=…`).
//!
//! Names stay as written and are judged decoded (`access%5Ftoken` is `access_token`); the
//! marker is written unencoded, as the rest of a recording shows it. Nothing here fails:
//! text that is not a URL comes out with the same treatment, which changes only what looks
//! like a secret parameter.

use super::REDACTED;
use super::names::is_secret_parameter;

/// `url` (absolute or relative) without user info (`http://user:pw@host` → `http://host`) and
/// with the value of every secret path, query and fragment parameter redacted.
pub fn url(url: &str) -> String {
    let (before_fragment, fragment) = split_off(url, '#');
    let (before_query, query) = split_off(before_fragment, '?');
    let (scheme, rest) = before_query.split_once("://").unwrap_or(("", before_query));
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let mut out = String::with_capacity(url.len());
    if !scheme.is_empty() {
        out.push_str(scheme);
        out.push_str("://");
    }
    out.push_str(host);
    out.push_str(&path_parameters(path));
    if let Some(query) = query {
        out.push('?');
        out.push_str(&parameters(query));
    }
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(&parameters(fragment));
    }
    out
}

/// `text` before the first `separator`, and what follows it, if it occurs.
fn split_off(text: &str, separator: char) -> (&str, Option<&str>) {
    match text.split_once(separator) {
        Some((before, after)) => (before, Some(after)),
        None => (text, None),
    }
}

/// `&`-separated `name=value` parameters (a query, a fragment, a form body) with the value of
/// every secret one redacted; parameters without `=` are kept.
pub fn parameters(text: &str) -> String {
    text.split('&').map(parameter).collect::<Vec<_>>().join("&")
}

/// A path with the value of every secret `;name=value` parameter of its segments redacted.
fn path_parameters(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            let mut parts = segment.split(';');
            let first = parts.next().unwrap_or_default().to_owned();
            std::iter::once(first)
                .chain(parts.map(parameter))
                .collect::<Vec<_>>()
                .join(";")
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// One `name=value`, its value redacted when its decoded name is secret.
fn parameter(pair: &str) -> String {
    match pair.split_once('=') {
        Some((name, _)) if is_secret_parameter(&decoded(name)) => format!("{name}={REDACTED}"),
        _ => pair.to_owned(),
    }
}

/// A URL-encoded name decoded (`%5F` → `_`, `+` → space), lossily.
fn decoded(name: &str) -> String {
    form_urlencoded::parse(name.as_bytes())
        .next()
        .map_or_else(String::new, |(name, _)| name.into_owned())
}

/// Whether `text` is shaped like a URL this module should see: absolute `http(s)://…`, or a
/// path from the root, and no whitespace (a sentence that starts with a URL is not one).
pub fn looks_like_url(text: &str) -> bool {
    let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://") || text.starts_with('/'))
        && !text.chars().any(char::is_whitespace)
}

/// Free text (an error message) with every `http://` or `https://` URL in it passed through
/// [`url`]. A URL ends at whitespace, a quote or an angle bracket; error messages quote URLs
/// with their queries (`… for url (http://host/path?access_token=…)`).
pub fn urls_in(text: &str) -> String {
    // ASCII lower-casing keeps every byte offset, so offsets found in `lower` cut `text`.
    let lower = text.to_ascii_lowercase();
    let next = |from: usize| {
        ["http://", "https://"]
            .iter()
            .filter_map(|scheme| lower[from..].find(scheme))
            .min()
            .map(|at| from + at)
    };
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    while let Some(start) = next(from) {
        let end = text[start..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>'))
            .map_or(text.len(), |length| start + length);
        out.push_str(&text[from..start]);
        out.push_str(&url(&text[start..end]));
        from = end;
    }
    out.push_str(&text[from..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_info_and_session_path_parameters_go() {
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
        assert_eq!(url("/a;v=1;token=t/b"), "/a;v=1;token=[redacted]/b");
        assert_eq!(url(""), "");
        assert_eq!(url("http://@"), "http://");
        assert_eq!(url("http://u:pw@h?x#y"), "http://h?x#y");
        assert_eq!(
            url("ünïcode://ü@ß/ü;jsessionid=ü"),
            "ünïcode://ß/ü;jsessionid=[redacted]"
        );
    }

    #[test]
    fn secret_query_and_fragment_parameters_lose_their_values() {
        assert_eq!(
            url("http://h/p?access_token=t1&index=2&password=p&api_key=k&apiKey=k2"),
            "http://h/p?access_token=[redacted]&index=2&password=[redacted]\
             &api_key=[redacted]&apiKey=[redacted]"
        );
        assert_eq!(
            url("https://app/cb?code=c&state=s#access_token=t&token_type=bearer&expires_in=3600"),
            "https://app/cb?code=[redacted]&state=s#access_token=[redacted]\
             &token_type=[redacted]&expires_in=3600"
        );
        // Names are judged decoded, written as they were.
        assert_eq!(
            url("/p?access%5Ftoken=t&client+secret=s"),
            "/p?access%5Ftoken=[redacted]&client+secret=[redacted]"
        );
        assert_eq!(url("/p?token"), "/p?token", "no value, nothing to hide");
        assert_eq!(url("/p?=x&&token="), "/p?=x&&token=[redacted]");
        assert_eq!(url("/p#section-2"), "/p#section-2");
    }

    #[test]
    fn look_alike_parameters_stay() {
        let kept = "http://h/api/v2/me/chats/1/messages?index=0&keys=a&monkey=b&statusCode=0\
                    &dispositionKey=c&subresources=d#keyboard=e";
        assert_eq!(url(kept), kept);
    }

    #[test]
    fn form_parameters_use_the_same_rule() {
        assert_eq!(
            parameters("user=agent1&password=p%20w&grant_type=authorization_code&code=c"),
            "user=agent1&password=[redacted]&grant_type=authorization_code&code=[redacted]"
        );
        assert_eq!(parameters("a b c"), "a b c");
    }

    #[test]
    fn urls_in_text_are_redacted_where_they_stand() {
        assert_eq!(
            urls_in("error sending request for url (http://u:pw@h/p?access_token=t&x=1): refused"),
            "error sending request for url (http://h/p?access_token=[redacted]&x=1): refused"
        );
        assert_eq!(
            urls_in("see HTTPS://h/?token=t and \"http://h/x?password=p\""),
            "see HTTPS://h/?token=[redacted] and \"http://h/x?password=[redacted]\""
        );
        assert_eq!(urls_in("no url here: ü"), "no url here: ü");
        assert_eq!(urls_in("http://"), "http://");
    }

    #[test]
    fn urls_are_told_from_text() {
        for url in ["http://h/x", "HTTPS://h", "/api/v2/me?x=1"] {
            assert!(looks_like_url(url), "{url}");
        }
        for text in ["hello", "http://h/x and more", "see /api", "", "ü"] {
            assert!(!looks_like_url(text), "{text}");
        }
    }
}
