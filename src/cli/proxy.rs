//! `gws-conform proxy`: the recording reverse proxy, until Ctrl-C (or SIGTERM), which closes
//! the recording (and moves it into place when it is a regular file).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::signal::StopSignals;
use super::tls::TlsArgs;
use crate::exit;
use crate::har::{Ending, HarWriter};
use crate::output::{Listing, names_stdout, shown};
use crate::profile::Profile;
use crate::proxy::{ProxyConfig, start};

/// How long requests in flight at Ctrl-C get to complete (and be recorded).
const GRACE: Duration = Duration::from_secs(1);

/// Options of `proxy`.
#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// Address to listen on; point the clients here (port 0 picks a free port; the chosen
    /// address is printed).
    #[arg(long, default_value = "127.0.0.1:8091")]
    pub listen: SocketAddr,
    /// The GWS server to forward to (`http://host:port`, or `https://`).
    #[arg(long, value_name = "URL")]
    pub upstream: String,
    /// `--cacert`, `--insecure`: the certificates an `https://` upstream is checked against.
    #[command(flatten)]
    pub tls: TlsArgs,
    /// The HAR file to write (docs/recording.md). Entries are written as exchanges complete;
    /// a regular file appears, complete, when the proxy stops; `-` (standard output), a FIFO or
    /// a device is streamed to.
    #[arg(long, value_name = "FILE.har")]
    pub out: PathBuf,
    /// Longest wait for the upstream's response, in seconds. Long-polls are held as long as the
    /// upstream holds them, up to this.
    #[arg(long, value_name = "SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub hold_limit: u64,
    /// Largest request or response body forwarded, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 16 << 20, value_parser = clap::value_parser!(u64).range(1..=1 << 30))]
    pub max_body: u64,
    /// A profile whose users' login names the recording may show as actor names (passwords
    /// are not read); default: the reference server's built-in users. Other Basic user names
    /// are recorded as a fingerprint (docs/recording.md).
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
    /// Another Basic user name the recording may show; repeatable.
    #[arg(long = "known-user", value_name = "NAME")]
    pub known_users: Vec<String>,
}

/// Runs the proxy until Ctrl-C; returns the exit code.
pub async fn run(args: ProxyArgs) -> i32 {
    if let Err(code) = super::check_outputs(&[("--out", Some(&args.out))]) {
        return code;
    }
    let trust = match args.tls.trust() {
        Ok(trust) => trust,
        Err(code) => return code,
    };
    let profile = match &args.profile {
        Some(path) => match Profile::load(path) {
            Ok(profile) => profile,
            Err(errors) => return super::run::problems(&errors, "profile"),
        },
        None => Profile::builtin(),
    };
    let known_users = profile
        .login_names()
        .chain(args.known_users.iter().cloned())
        .collect();
    let made_by = format!("gws-conform proxy in front of {}", args.upstream);
    let writer = match HarWriter::create(&args.out, &made_by) {
        Ok(writer) => Arc::new(writer),
        Err(e) => {
            eprintln!("error: {e}");
            return exit::COULD_NOT_RUN;
        }
    };
    let config = ProxyConfig {
        hold_limit: Duration::from_secs(args.hold_limit),
        max_body_bytes: usize::try_from(args.max_body).unwrap_or(usize::MAX),
        known_users,
        trust,
        ..ProxyConfig::new(&args.upstream)
    };
    let mut proxy = match start(config, args.listen, writer.clone()).await {
        Ok(proxy) => proxy,
        Err(e @ crate::proxy::ProxyError::Upstream { .. }) => {
            eprintln!("error: {e}");
            return exit::BAD_INPUT;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return exit::COULD_NOT_RUN;
        }
    };
    // Caught before the address is announced: a client told where to connect may stop it at once.
    let signals = match StopSignals::listen_or_exit_code() {
        Ok(signals) => signals,
        Err(code) => return code,
    };
    let listening = format!(
        "gws-conform recording proxy listening on {}",
        proxy.base_url()
    );
    // Standard output may be the recording itself.
    if names_stdout(&args.out) {
        eprintln!("{listening}");
    } else {
        // One that stopped reading stops nothing.
        Listing::new().line(&listening);
    }
    eprintln!(
        "forwarding to {}, recording to {} (Ctrl-C stops and writes the file)",
        args.upstream,
        shown(&args.out)
    );
    let stopped = signals.or_until(proxy.stopped()).await;
    let mut code = exit::SUCCESS;
    match stopped {
        None => proxy.shutdown(GRACE).await,
        Some(Ok(())) => {}
        Some(Err(e)) => {
            eprintln!("error: proxy stopped: {e}");
            code = exit::COULD_NOT_RUN;
        }
    }
    match writer.finish(Ending::Stopped) {
        Ok(entries) => eprintln!("recorded {entries} exchanges in {}", shown(&args.out)),
        Err(e) => {
            eprintln!("error: {e}");
            code = exit::COULD_NOT_RUN;
        }
    }
    code
}
