//! Redaction: what must never reach a recording. Secrets keep their names and lose their
//! values, which become [`REDACTED`], so a reader still sees *that* a request was
//! authenticated, which cookie it sent, that the server asked for a CSRF token, that a login
//! body had a password; a replay authenticates from its own profile anyway.
//!
//! One rule decides which names are secret ([`names`]: words such as `token`, `secret`,
//! `password`, `auth`, `csrf`, `cookie`, and `key` after `api`, `access`, `client`, ...), and
//! it is applied wherever a name meets a value:
//!
//! - headers ([`header_value`]): `Authorization` keeps its scheme, cookies their names and
//!   attributes (every cookie of a folded `Set-Cookie` too), any other secret header loses
//!   its whole value; headers holding URLs (`Location`, `Referer`, `Link`, ...) are URLs;
//! - URLs ([`url()`]): the request's, `redirectURL`, URL-valued headers, URL-shaped strings in
//!   JSON bodies and URLs quoted in error messages ([`urls_in`]) lose their user info and the
//!   values of secret path, query and fragment parameters;
//! - bodies ([`body`]), requests and responses alike: JSON members at any depth and
//!   form-urlencoded parameters;
//! - Basic user names ([`UserNames`]): shown only when known, else as a keyed fingerprint.
//!
//! The `queryString` of an entry is read from its redacted URL, and its `cookies` arrays hold
//! names and attributes only, so neither can show more than the URL and headers do.

mod body;
mod cookies;
mod headers;
pub mod names;
mod url;
mod users;

pub use body::body;
pub use cookies::{request_cookies, response_cookies};
pub use headers::header_value;
pub use url::{url, urls_in};
pub use users::{NoRandomKey, UserNames};

/// What a secret value is replaced with.
pub const REDACTED: &str = "[redacted]";
