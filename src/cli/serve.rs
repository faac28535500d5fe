//! `gws-conform serve`: runs the reference server until interrupted.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::server::ids::IdGen;
use crate::server::{Directory, Fault, Faults, ServerConfig, start};

/// Options of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the chosen address is printed).
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub listen: SocketAddr,
    /// YAML users file replacing the built-in directory.
    #[arg(long, value_name = "FILE")]
    pub users: Option<PathBuf>,
    /// How long a CometD connect is held when nothing is queued, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(0..=600_000))]
    pub long_poll_timeout: u64,
    /// Require the CSRF token (X-CSRF-TOKEN) on POST, PUT and DELETE.
    #[arg(long)]
    pub csrf: bool,
    /// Switch on a deliberate non-conformance (repeatable; `--list-faults` lists them).
    #[arg(long = "fault", value_name = "NAME", value_parser = Fault::parse_arg)]
    pub faults: Vec<Fault>,
    /// List the seeded faults (name, requirement it breaks, description) and exit.
    #[arg(long)]
    pub list_faults: bool,
}

/// The fault catalogue as `serve --list-faults` prints it: one line per fault.
pub fn fault_list() -> String {
    let width = Fault::ALL.iter().map(|f| f.name().len()).max().unwrap_or(0);
    let req_width = Fault::ALL
        .iter()
        .map(|f| f.requirement().len())
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for fault in Fault::ALL {
        let tier = if fault.strict_only() { " (strict)" } else { "" };
        text.push_str(&format!(
            "{:width$}  {:req_width$}  {}{tier}\n",
            fault.name(),
            fault.requirement(),
            fault.description(),
        ));
    }
    text.push_str(&format!(
        "{} faults. (strict): only a --strict run must fail on that requirement.\n",
        Fault::ALL.len()
    ));
    text
}

/// Runs the server until Ctrl-C; returns the exit code.
pub async fn run(args: ServeArgs) -> i32 {
    if args.list_faults {
        print!("{}", fault_list());
        return crate::exit::SUCCESS;
    }
    let directory = match &args.users {
        Some(path) => match Directory::load(path, &IdGen::new()) {
            Ok(directory) => Some(directory),
            Err(e) => {
                eprintln!("error: {e}");
                return crate::exit::BAD_INPUT;
            }
        },
        None => None,
    };
    let faults: Faults = args.faults.iter().copied().collect();
    let config = ServerConfig {
        directory,
        long_poll_timeout: Duration::from_millis(args.long_poll_timeout),
        csrf: args.csrf,
        faults,
        ..ServerConfig::default()
    };
    let mut server = match start(config, args.listen).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.listen);
            return crate::exit::COULD_NOT_RUN;
        }
    };
    println!(
        "gws-conform reference server listening on {}",
        server.base_url()
    );
    if !faults.is_empty() {
        eprintln!("warning: seeded faults are on, the server does not conform: {faults}");
    }
    let stopped = tokio::select! {
        interrupted = tokio::signal::ctrl_c() => {
            if let Err(e) = interrupted {
                eprintln!("error: cannot wait for Ctrl-C: {e}");
            }
            None
        }
        result = server.stopped() => Some(result),
    };
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
