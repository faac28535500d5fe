//! `gws-conform serve`: runs the reference server until interrupted.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use clap::builder::RangedU64ValueParser;

use super::run::parse_millis;
use super::seeding::{SeedingArgs, fault_list, variant_list};
use super::signal::StopSignals;
use crate::output::Listing;
use crate::server::bayeux::{MAX_BATCH, MAX_CHANNEL_LEN};
use crate::server::ids::IdGen;
use crate::server::{
    ConnectionLimits, Directory, HubConfig, SESSIONS_PER_USER, ServerConfig, start,
};

/// `--long-poll-timeout`: a duration (a bare number is milliseconds), at most 10 minutes.
fn long_poll(text: &str) -> Result<Duration, String> {
    let duration = parse_millis(text)?;
    if duration > Duration::from_secs(600) {
        return Err(format!("`{text}` is longer than 10 minutes"));
    }
    Ok(duration)
}

/// Options of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the chosen address is printed).
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub listen: SocketAddr,
    /// YAML users file replacing the built-in directory.
    #[arg(long, value_name = "FILE", conflicts_with = "lanes")]
    pub users: Option<PathBuf>,
    /// Serve the built-in users N times over, each copy in a contact centre of its own whose
    /// chats are routed only to its agents (`lane2-agent1` in `lane2`, …), so a harness can run
    /// N scenarios at once (see --write-profile).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub lanes: u32,
    /// Once listening, write the target profile of this server (its address, the built-in
    /// users and every lane) to FILE, for `run --profile FILE`.
    #[arg(long, value_name = "FILE", conflicts_with = "users")]
    pub write_profile: Option<PathBuf>,
    /// How long a CometD connect is held when nothing is queued: `30s`, `500ms` (a bare number
    /// is milliseconds); at most 10 minutes.
    #[arg(long, value_name = "DURATION", default_value = "30000", value_parser = long_poll)]
    pub long_poll_timeout: Duration,
    /// Require the CSRF token (X-CSRF-TOKEN) on POST, PUT and DELETE.
    #[arg(long)]
    pub csrf: bool,
    /// Largest request body accepted, in bytes (larger: HTTP 413, statusCode 10).
    #[arg(long, value_name = "BYTES", default_value_t = ServerConfig::default().max_body_bytes, value_parser = RangedU64ValueParser::<usize>::new().range(1..=(64 << 20)))]
    pub max_body_bytes: usize,
    /// CometD clients one user may hold at once; a handshake beyond it drops an older client
    /// (one that never connected first).
    #[arg(long, value_name = "N", default_value_t = ServerConfig::default().max_clients_per_user, value_parser = RangedU64ValueParser::<usize>::new().range(1..=100_000))]
    pub max_clients_per_user: usize,
    /// Chats requested and not yet over that may exist at once; RequestChat beyond it gets
    /// HTTP 503, statusCode 13.
    #[arg(long, value_name = "N", default_value_t = ServerConfig::default().max_open_chats, value_parser = RangedU64ValueParser::<usize>::new().range(1..=1_000_000))]
    pub max_open_chats: usize,
    /// TCP connections open at once; one beyond it is closed as soon as it is accepted.
    #[arg(long, value_name = "N", default_value_t = ConnectionLimits::default().max_connections, value_parser = RangedU64ValueParser::<usize>::new().range(1..=1_000_000))]
    pub max_connections: usize,
    /// Time a client has to send a request's head, in milliseconds; an idle keep-alive
    /// connection is closed after it too (held long-polls are not affected).
    #[arg(long, value_name = "MS", default_value_t = ConnectionLimits::default().header_read_timeout.as_millis() as u64, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub header_read_timeout: u64,
    /// The origin the server names itself by in `uri` fields (`http://gws.example:9090`), as a
    /// server behind a reverse proxy does [default: the address it listens on].
    #[arg(long, value_name = "URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,
    /// Seeded faults and legal variants.
    #[command(flatten)]
    pub seeding: SeedingArgs,
    /// List the seeded faults (name, requirement it breaks, description) and exit.
    #[arg(long)]
    pub list_faults: bool,
    /// List the legal variants (name, the choice of docs/rulings.md it exercises,
    /// description) and exit.
    #[arg(long)]
    pub list_variants: bool,
}

/// An absolute `http(s)://` URL without a trailing slash.
fn parse_public_url(text: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(text).map_err(|e| format!("`{text}` is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("`{text}` is not an http(s) URL with a host"));
    }
    Ok(text.trim_end_matches('/').to_owned())
}

/// The limits that keep the server's memory bounded whatever clients send, as
/// `serve --help` lists them after the options (the values are the code's own constants).
pub fn limits_help() -> String {
    let defaults = ServerConfig::default();
    let hub = HubConfig::default();
    format!(
        "Limits (the server stays bounded whatever clients send):\n  \
         request body: --max-body-bytes (default {body})\n  \
         CometD clients per user: --max-clients-per-user (default {clients}); a client that \
         does not poll for {interval} s expires\n  \
         CometD messages per request: {batch}; subscriptions per client: {subs}, each at most \
         {channel} bytes\n  \
         messages queued for one CometD client: {queue} (beyond: the client is dropped and \
         must handshake again)\n  \
         HTTP sessions per user: {sessions} (least recently used dropped)\n  \
         open chats: --max-open-chats (default {chats})\n  \
         TCP connections: --max-connections (default {connections}); a request's head must \
         arrive within --header-read-timeout (default {head_ms} ms)",
        body = defaults.max_body_bytes,
        clients = defaults.max_clients_per_user,
        interval = defaults.client_max_interval.as_secs(),
        batch = MAX_BATCH,
        subs = hub.max_subscriptions,
        channel = MAX_CHANNEL_LEN,
        queue = defaults.max_queue,
        sessions = SESSIONS_PER_USER,
        chats = defaults.max_open_chats,
        connections = defaults.connections.max_connections,
        head_ms = defaults.connections.header_read_timeout.as_millis(),
    )
}

/// Runs the server until Ctrl-C or SIGTERM; returns the exit code.
pub async fn run(args: ServeArgs) -> i32 {
    if args.list_faults {
        let mut out = Listing::new();
        out.text(fault_list());
        return super::listed(out, crate::exit::SUCCESS);
    }
    if args.list_variants {
        let mut out = Listing::new();
        out.text(variant_list());
        return super::listed(out, crate::exit::SUCCESS);
    }
    let directory = match &args.users {
        Some(path) => match Directory::load(path, &IdGen::new()) {
            Ok(directory) => Some(directory),
            Err(e) => {
                eprintln!("error: {e}");
                return crate::exit::BAD_INPUT;
            }
        },
        None => (args.lanes > 1).then(|| Directory::builtin_lanes(args.lanes, &IdGen::new())),
    };
    if let Err(e) = crate::output::preflight(&[("--write-profile", args.write_profile.as_deref())])
    {
        eprintln!("error: {e}");
        return crate::exit::BAD_INPUT;
    }
    let seeded = args.seeding.seeded();
    let config = seeded.apply(ServerConfig {
        directory,
        long_poll_timeout: args.long_poll_timeout,
        csrf: args.csrf,
        max_body_bytes: args.max_body_bytes,
        max_clients_per_user: args.max_clients_per_user,
        max_open_chats: args.max_open_chats,
        connections: ConnectionLimits {
            max_connections: args.max_connections,
            header_read_timeout: Duration::from_millis(args.header_read_timeout),
        },
        public_url: args.public_url.clone(),
        ..ServerConfig::default()
    });
    let mut server = match start(config, args.listen).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.listen);
            return crate::exit::COULD_NOT_RUN;
        }
    };
    if let Some(path) = &args.write_profile {
        let text = super::lanes_profile::profile_text(&server.base_url(), args.lanes);
        if let Err(e) = crate::output::write(path, text.as_bytes()) {
            eprintln!("error: cannot write {}: {e}", crate::output::shown(path));
            server.shutdown().await;
            return crate::exit::COULD_NOT_RUN;
        }
    }
    // Caught before the address is announced: a client told where to connect may stop it at once.
    let signals = match StopSignals::listen_or_exit_code() {
        Ok(signals) => signals,
        Err(code) => return code,
    };
    // Announced for whoever started the server; one that stopped reading stops nothing.
    Listing::new().line(format_args!(
        "gws-conform reference server listening on {}",
        server.base_url()
    ));
    if !seeded.faults.is_empty() {
        eprintln!(
            "warning: seeded faults are on, the server does not conform: {}",
            seeded.faults
        );
    }
    if !seeded.variants.is_empty() {
        eprintln!(
            "note: legal variants are on (the server still conforms): {}",
            seeded.variants
        );
    }
    let stopped = signals.or_until(server.stopped()).await;
    match stopped {
        None => {
            server.shutdown().await;
            0
        }
        Some(Ok(())) => 0,
        Some(Err(e)) => {
            eprintln!("error: server stopped: {e}");
            crate::exit::COULD_NOT_RUN
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_long_poll_timeout_takes_any_duration_up_to_ten_minutes() {
        assert_eq!(long_poll("1000"), Ok(Duration::from_secs(1)));
        assert_eq!(long_poll("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(long_poll("10m"), Ok(Duration::from_secs(600)));
        assert!(long_poll("11m").is_err());
        assert!(long_poll("soon").is_err());
    }
}
