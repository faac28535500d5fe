//! The target's URL as given on the command line or in a profile: an absolute `http` or
//! `https` URL with a host. Anything else is refused before anything runs, with the fix. And
//! the way to it (`--proxy`, or the proxy environment; `crate::driver::route`).

use clap::Args;

use super::tls::TlsArgs;
use crate::driver::route::{Route, Way};
use crate::driver::trust::Trust;

/// `--proxy`, `--cacert` and `--insecure`, which `run`, `replay` and `explore` share: how a
/// target is reached.
#[derive(Debug, Args)]
pub struct RouteArgs {
    /// Send the requests to the target through this HTTP proxy. Without it the proxy
    /// environment (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY) is honoured, except for a
    /// loopback target, which is always reached directly.
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// `--cacert`, `--insecure`: the certificates an `https://` target is checked against.
    #[command(flatten)]
    pub tls: TlsArgs,
}

/// The target URL, checked; an error says what is wrong and how to write it.
pub fn parse_target(text: &str) -> Result<String, String> {
    let text = text.trim();
    let with_scheme = || format!("http://{text}");
    let has_scheme = text.contains("://");
    let parsed = reqwest::Url::parse(text).ok().filter(|_| has_scheme);
    let Some(url) = parsed else {
        return Err(if has_scheme {
            format!("the target `{text}` is not a URL")
        } else {
            format!(
                "the target `{text}` has no scheme; write it as a URL, e.g. `--target {}`",
                with_scheme()
            )
        });
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "the target `{text}` is not an http or https URL (scheme `{}`)",
            url.scheme()
        ));
    }
    if !url.has_host() || url.host_str().is_some_and(str::is_empty) {
        return Err(format!("the target `{text}` names no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "the target `{text}` has a query or fragment; give the server's base URL"
        ));
    }
    Ok(text.trim_end_matches('/').to_owned())
}

/// The way to `target` (none: the embedded servers, always reached directly): through
/// `proxy` (`--proxy`) when given, else as the proxy environment says. A proxy taken is
/// announced on standard error; a `--proxy` that is no http URL, or without a target, is an
/// error. `trust` is what an `https://` target's certificate is checked against.
pub fn route_to(target: Option<&str>, proxy: Option<&str>, trust: Trust) -> Result<Route, String> {
    if let Some(proxy) = proxy {
        let url = reqwest::Url::parse(proxy).map_err(|e| format!("--proxy `{proxy}`: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "--proxy `{proxy}`: only http and https proxies are supported"
            ));
        }
    }
    let Some(target) = target else {
        return match proxy {
            Some(_) => Err(
                "--proxy applies to a --target (the embedded servers are reached directly)"
                    .to_owned(),
            ),
            None => Ok(Route {
                trust,
                ..Route::default()
            }),
        };
    };
    let route = Route {
        trust,
        ..Route::to(target, proxy)
    };
    if let Way::Proxy { .. } = route.way {
        eprintln!("note: requests to {target} go{}", route.note());
    }
    Ok(route)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_url_is_taken_as_given() {
        assert_eq!(
            parse_target("http://127.0.0.1:8090/").as_deref(),
            Ok("http://127.0.0.1:8090")
        );
        assert_eq!(
            parse_target("https://gws.example/cloud-web").as_deref(),
            Ok("https://gws.example/cloud-web")
        );
    }

    #[test]
    fn a_target_without_a_scheme_is_refused_with_the_fix() {
        for text in ["127.0.0.1:8090", "localhost:8090", "gws.example"] {
            let error = parse_target(text).unwrap_err();
            assert!(
                error.contains("has no scheme")
                    && error.contains(&format!("--target http://{text}")),
                "{error}"
            );
        }
    }

    #[test]
    fn other_schemes_and_hostless_urls_are_refused() {
        assert!(
            parse_target("ftp://h/")
                .unwrap_err()
                .contains("scheme `ftp`")
        );
        assert!(parse_target("http://").unwrap_err().contains("not a URL"));
        assert!(parse_target("http://h/?x=1").unwrap_err().contains("query"));
    }

    #[test]
    fn a_proxy_must_be_an_http_url_for_a_target() {
        assert_eq!(route_to(None, None, Trust::default()), Ok(Route::default()));
        assert!(
            route_to(None, Some("http://p:3128"), Trust::default())
                .unwrap_err()
                .contains("--target")
        );
        assert!(route_to(Some("http://t"), Some("p:3128"), Trust::default()).is_err());
        assert!(
            route_to(Some("http://t"), Some("socks5://p:1080"), Trust::default())
                .unwrap_err()
                .contains("only http and https")
        );
        assert_eq!(
            route_to(
                Some("http://127.0.0.1:1"),
                Some("http://p:3128"),
                Trust::default()
            ),
            Ok(Route {
                way: Way::Proxy {
                    url: "http://p:3128".to_owned(),
                    from: "--proxy".to_owned()
                },
                trust: Trust::default(),
            }),
            "asked for, a proxy is taken even for a loopback target"
        );
    }
}
