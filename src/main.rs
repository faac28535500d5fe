//! The `gws-conform` binary: parses the command line and maps the outcome to an exit code.

use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = gws_conform::cli::Cli::parse();
    let filter = cli
        .log
        .clone()
        .or_else(|| std::env::var("GWS_CONFORM_LOG").ok());
    // The TLS verifier logs each certificate it refuses as an ERROR; the harness's own message
    // already says so, with what to do about it.
    let filter = filter.unwrap_or_else(|| "warn,rustls_platform_verifier=off".to_owned());
    let filter = tracing_subscriber::EnvFilter::try_new(&filter).unwrap_or_else(|e| {
        eprintln!("error: --log {filter}: {e}");
        std::process::exit(gws_conform::exit::BAD_INPUT)
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    std::process::exit(gws_conform::cli::run(cli).await);
}
