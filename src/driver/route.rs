//! How the harness's requests reach the target: directly, or through an HTTP proxy.
//!
//! The proxy environment is honoured as curl documents it (`HTTPS_PROXY` for an `https://`
//! target, `HTTP_PROXY` for an `http://` one, `ALL_PROXY` for either, each also in lower case,
//! lower case first; `NO_PROXY` lists hosts to reach directly: `*`, host names matching
//! themselves and their subdomains, IP addresses), with one exception: a loopback target
//! (`localhost`, `127.0.0.0/8`, `::1`) is always reached directly, since a proxy elsewhere
//! cannot reach this machine's loopback, unless the proxy is asked for (`--proxy URL`).
//! Errors of requests sent through a proxy name it, so a proxy failure is not blamed on the
//! target.

use std::net::IpAddr;

use super::trust::Trust;
use crate::har::redact;

/// The environment variables read, in order, for each target scheme.
const HTTPS_VARIABLES: [&str; 4] = ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"];
const HTTP_VARIABLES: [&str; 4] = ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"];
const NO_PROXY_VARIABLES: [&str; 2] = ["no_proxy", "NO_PROXY"];

/// How requests reach the target: the way (direct, or through a proxy) and the TLS
/// certificates trusted on an `https://` target.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Route {
    /// Direct, or through a proxy.
    pub way: Way,
    /// The certificates trusted (`--cacert`, `--insecure`).
    pub trust: Trust,
}

/// The way to the target.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Way {
    /// Straight to the target.
    #[default]
    Direct,
    /// Through an HTTP proxy.
    Proxy {
        /// The proxy's URL.
        url: String,
        /// Where it was given: `--proxy` or the environment variable.
        from: String,
    },
}

impl Route {
    /// The route to `target` (an `http://` or `https://` URL): through `explicit` (`--proxy`)
    /// when given, else as the process environment says; trusting the system's roots.
    pub fn to(target: &str, explicit: Option<&str>) -> Route {
        Route {
            way: Way::resolve(target, explicit, |name| std::env::var(name).ok()),
            trust: Trust::default(),
        }
    }

    /// `builder` set to take this route (and no other: the environment is not read again) and
    /// to trust its certificates.
    pub fn apply(
        &self,
        builder: reqwest::ClientBuilder,
    ) -> Result<reqwest::ClientBuilder, reqwest::Error> {
        self.trust.apply(self.way.apply(builder)?)
    }

    /// What to add to an error of a request that took this route: which proxy it went
    /// through, if any.
    pub fn note(&self) -> String {
        self.way.note()
    }
}

impl Way {
    /// The way to `target` through `explicit` (`--proxy`) when given, else as the environment
    /// read through `env` says.
    pub fn resolve(
        target: &str,
        explicit: Option<&str>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Way {
        if let Some(url) = explicit {
            return Way::Proxy {
                url: url.to_owned(),
                from: "--proxy".to_owned(),
            };
        }
        let Ok(parsed) = reqwest::Url::parse(target) else {
            return Way::Direct;
        };
        let Some(host) = parsed.host_str() else {
            return Way::Direct;
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if is_loopback(host) {
            return Way::Direct;
        }
        let variables = if parsed.scheme() == "https" {
            HTTPS_VARIABLES
        } else {
            HTTP_VARIABLES
        };
        let Some((name, url)) = variables.iter().find_map(|name| {
            env(name)
                .filter(|v| !v.trim().is_empty())
                .map(|v| (*name, v))
        }) else {
            return Way::Direct;
        };
        let excluded = NO_PROXY_VARIABLES
            .iter()
            .find_map(|name| env(name))
            .is_some_and(|list| no_proxy_lists(&list, host));
        if excluded {
            return Way::Direct;
        }
        Way::Proxy {
            url: url.trim().to_owned(),
            from: name.to_owned(),
        }
    }

    /// `builder` set to take this way (and no other: the environment is not read again).
    fn apply(
        &self,
        builder: reqwest::ClientBuilder,
    ) -> Result<reqwest::ClientBuilder, reqwest::Error> {
        Ok(match self {
            Way::Direct => builder.no_proxy(),
            Way::Proxy { url, .. } => builder.proxy(reqwest::Proxy::all(url)?),
        })
    }

    /// Which proxy a request went through, if any, for its errors.
    fn note(&self) -> String {
        match self {
            Way::Direct => String::new(),
            // A proxy's URL may carry its credentials: never repeat them.
            Way::Proxy { url, from } => {
                format!(" (through the proxy {}, from {from})", redact::url(url))
            }
        }
    }
}

/// Whether `host` (a name or an IP address, without brackets) is this machine's loopback.
fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.to_ascii_lowercase().ends_with(".localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Whether the `NO_PROXY` list `list` names `host`.
fn no_proxy_lists(list: &str, host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    list.split(',')
        .map(|entry| entry.trim().to_ascii_lowercase())
        .filter(|entry| !entry.is_empty())
        .any(|entry| {
            let entry = entry.trim_start_matches("*.").trim_start_matches('.');
            entry == "*"
                || host == entry
                || host
                    .strip_suffix(entry)
                    .is_some_and(|rest| rest.ends_with('.'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(target: &str, env: &[(&str, &str)]) -> Way {
        Way::resolve(target, None, |name| {
            env.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    fn proxy(url: &str, from: &str) -> Way {
        Way::Proxy {
            url: url.to_owned(),
            from: from.to_owned(),
        }
    }

    #[test]
    fn the_scheme_picks_the_variable_lower_case_first_then_all_proxy() {
        let env = [
            ("HTTP_PROXY", "http://plain:3128"),
            ("https_proxy", "http://secure:3128"),
            ("HTTPS_PROXY", "http://upper:3128"),
            ("ALL_PROXY", "http://all:3128"),
        ];
        assert_eq!(
            route("http://gws.example:8090", &env),
            proxy("http://plain:3128", "HTTP_PROXY")
        );
        assert_eq!(
            route("https://gws.example", &env),
            proxy("http://secure:3128", "https_proxy")
        );
        assert_eq!(
            route("http://gws.example", &[("ALL_PROXY", "http://all:3128")]),
            proxy("http://all:3128", "ALL_PROXY")
        );
        assert_eq!(route("http://gws.example", &[]), Way::Direct);
        assert_eq!(
            route("http://gws.example", &[("HTTP_PROXY", " ")]),
            Way::Direct,
            "an empty variable is no proxy"
        );
    }

    #[test]
    fn loopback_targets_are_reached_directly_unless_a_proxy_is_asked_for() {
        let env = [("HTTP_PROXY", "http://proxy:3128")];
        for target in [
            "http://127.0.0.1:8090",
            "http://127.8.9.10",
            "http://localhost:8090",
            "http://LOCALHOST",
            "http://app.localhost",
            "http://[::1]:8090",
        ] {
            assert_eq!(route(target, &env), Way::Direct, "{target}");
        }
        assert_eq!(
            Way::resolve("http://127.0.0.1:8090", Some("http://asked:1"), |_| None),
            proxy("http://asked:1", "--proxy")
        );
    }

    #[test]
    fn no_proxy_lists_hosts_their_subdomains_addresses_and_everything() {
        fn with(list: &str) -> [(&str, &str); 2] {
            [("HTTP_PROXY", "http://proxy:3128"), ("NO_PROXY", list)]
        }
        assert_eq!(
            route("http://gws.example", &with("gws.example")),
            Way::Direct
        );
        assert_eq!(
            route("http://a.gws.example", &with(".gws.example")),
            Way::Direct
        );
        assert_eq!(
            route("http://a.gws.example", &with("gws.example")),
            Way::Direct
        );
        assert_eq!(
            route("http://10.1.2.3", &with("other, 10.1.2.3")),
            Way::Direct
        );
        assert_eq!(route("http://anything", &with("*")), Way::Direct);
        assert_eq!(
            route("http://notgws.example", &with("gws.example")),
            proxy("http://proxy:3128", "HTTP_PROXY"),
            "a suffix that is not a subdomain does not match"
        );
    }

    #[test]
    fn errors_through_a_proxy_name_it() {
        assert_eq!(Way::Direct.note(), "");
        assert_eq!(
            proxy("http://proxy:3128", "HTTP_PROXY").note(),
            " (through the proxy http://proxy:3128, from HTTP_PROXY)"
        );
        assert_eq!(
            proxy("http://me:secret@proxy:3128", "--proxy").note(),
            " (through the proxy http://proxy:3128, from --proxy)",
            "its credentials are not repeated"
        );
    }
}
