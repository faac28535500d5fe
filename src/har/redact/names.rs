//! Which names are secret: the one rule every part of redaction applies to header names, URL
//! query, fragment and path parameters, form fields and JSON keys.
//!
//! A name is cut into **words**: at every character that is not a letter or a digit (`-`, `_`,
//! `.`, spaces, brackets, ...), between a lower-case letter and an upper-case one (`apiKey`),
//! before the last capital of a run followed by a lower-case letter (`APIKey`: `api`, `key`),
//! and between letters and digits (`token2`). Words are compared in lower case. The name is
//! secret when, leaving out a first word `x` (the `X-` of non-standard headers):
//!
//! - any word is one of [`SECRET_WORDS`]; or
//! - the only word is `key` (`key`, `X-Key`); or
//! - a word `key` follows one of [`KEY_QUALIFIERS`] (`api_key`, `X-Api-Key`, `accessKey`,
//!   `client-key`), or a word `id` follows `session` (`session_id`, `X-Session-Id`).
//!
//! Whole words, never substrings: `keys` (the field of GWS's DeleteUserData), `monkey`,
//! `keyboard`, `author`, `passage` are not secret. `key` alone is too common a word to count
//! everywhere: `dispositionKey` (SetDisposition), `publicKey` or `Idempotency-Key` name no
//! credential, so it counts only alone or after a word saying whose key it is. A leading
//! `x` is dropped so `X-Key` reads as `key`; `WWW-Authenticate` is not secret (`authenticate`
//! is not one of the words: it carries the server's challenge, not credentials).
//!
//! URL-encoded parameters (of a path, a query, a fragment or a form body) have one more secret
//! name, `code` alone: OAuth 2.0 hands out its authorization codes as `?code=` on a redirect
//! and sends them back in a form body (RFC 6749 §4.1.2, §4.1.3). Only the exact name, and only
//! there: elsewhere `code` is ordinary (`statusCode` is in every GWS reply).

/// Words that make a name secret wherever they appear in it.
///
/// `passwd`, `pwd` and `passphrase` are the spellings of passwords found in login forms and
/// configuration; `pass` is not there, as it is as often the opposite of `fail`.
pub const SECRET_WORDS: &[&str] = &[
    "auth",
    "oauth",
    "authorization",
    "authentication",
    "token",
    "tokens",
    "secret",
    "secrets",
    "password",
    "passwords",
    "passwd",
    "pwd",
    "passphrase",
    "credential",
    "credentials",
    "signature",
    "csrf",
    "xsrf",
    "cookie",
    "cookies",
    "apikey",
    "accesskey",
    "sessionid",
    "jsessionid",
];

/// Words that make a following `key` a credential.
pub const KEY_QUALIFIERS: &[&str] = &[
    "api",
    "access",
    "secret",
    "private",
    "client",
    "auth",
    "session",
    "signing",
    "encryption",
    "master",
    "subscription",
    "app",
    "application",
    "consumer",
    "account",
    "license",
    "shared",
];

/// The words of `name`, in lower case (see the module doc).
pub fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    for (at, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        let before = at.checked_sub(1).map(|b| chars[b]);
        let after = chars.get(at + 1).copied();
        let starts_word = before.is_some_and(|b| {
            b.is_alphanumeric()
                && ((b.is_lowercase() && c.is_uppercase())
                    || (b.is_uppercase()
                        && c.is_uppercase()
                        && after.is_some_and(char::is_lowercase))
                    || b.is_alphabetic() != c.is_alphabetic())
        });
        if starts_word && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        word.extend(c.to_lowercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Whether the value named `name` is secret (see the module doc).
pub fn is_secret(name: &str) -> bool {
    let all = words(name);
    let words = match all.split_first() {
        Some((first, rest)) if first == "x" && !rest.is_empty() => rest,
        _ => &all[..],
    };
    words.iter().any(|w| SECRET_WORDS.contains(&w.as_str()))
        || words == ["key"]
        || words.windows(2).any(|pair| {
            let (before, word) = (pair[0].as_str(), pair[1].as_str());
            (word == "key" && KEY_QUALIFIERS.contains(&before))
                || (before, word) == ("session", "id")
        })
}

/// Whether the value of the URL-encoded parameter (path, query, fragment, form body) named
/// `name` is secret: a secret name, or `code` (see the module doc).
pub fn is_secret_parameter(name: &str) -> bool {
    is_secret(name) || name.eq_ignore_ascii_case("code")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_into_words() {
        let cases: [(&str, &[&str]); 10] = [
            ("X-Api-Key", &["x", "api", "key"]),
            ("apiKey", &["api", "key"]),
            ("APIKey", &["api", "key"]),
            ("access_token", &["access", "token"]),
            ("XMLHttpRequest", &["xml", "http", "request"]),
            ("JSESSIONID", &["jsessionid"]),
            ("sessionID", &["session", "id"]),
            ("token2", &["token", "2"]),
            ("user[password]", &["user", "password"]),
            ("", &[]),
        ];
        for (name, expected) in cases {
            assert_eq!(words(name), expected, "{name}");
        }
    }

    #[test]
    fn names_of_credentials_are_secret() {
        for name in [
            "Authorization",
            "Proxy-Authorization",
            "Cookie",
            "Set-Cookie",
            "set-cookie2",
            "X-CSRF-TOKEN",
            "X-CSRF-HEADER",
            "X-XSRF-TOKEN",
            "_csrf",
            "X-Api-Key",
            "x-api-key",
            "api_key",
            "apiKey",
            "APIKEY",
            "apikey",
            "X-Key",
            "key",
            "access_token",
            "accessToken",
            "refresh_token",
            "id_token",
            "X-Auth-Token",
            "Authentication-Info",
            "auth",
            "OAuth",
            "client_secret",
            "clientSecret",
            "password",
            "Password",
            "new-password",
            "passwd",
            "pwd",
            "passphrase",
            "credentials",
            "X-Amz-Credential",
            "X-Amz-Signature",
            "AWSAccessKeyId",
            "Ocp-Apim-Subscription-Key",
            "private_key",
            "session_id",
            "X-Session-Id",
            "sessionid",
            "jsessionid",
            "user[password]",
            "login.password",
            "token2",
        ] {
            assert!(is_secret(name), "{name} is not secret");
        }
    }

    #[test]
    fn look_alikes_are_not_secret() {
        for name in [
            "keys",
            "monkey",
            "keyboard",
            "Keyboard-Layout",
            "dispositionKey",
            "publicKey",
            "Idempotency-Key",
            "author",
            "authorId",
            "WWW-Authenticate",
            "Proxy-Authenticate",
            "passage",
            "pass",
            "tokenizer",
            "secretary",
            "statusCode",
            "code",
            "session",
            "clientId",
            "userName",
            "ContactCenterId",
            "Content-Type",
            "Location",
            "operationName",
            "X",
            "x",
            "",
        ] {
            assert!(!is_secret(name), "{name} is secret");
        }
    }

    #[test]
    fn code_is_secret_only_as_a_parameter() {
        assert!(is_secret_parameter("code"));
        assert!(is_secret_parameter("CODE"));
        assert!(is_secret_parameter("access_token"));
        assert!(!is_secret_parameter("statusCode"));
        assert!(!is_secret_parameter("error_code"));
        assert!(!is_secret_parameter("index"));
        assert!(!is_secret("code"));
    }
}
