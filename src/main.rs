//! The `gws-conform` binary: parses the command line and maps the outcome to an exit code.

use clap::Parser;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("GWS_CONFORM_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = gws_conform::cli::Cli::parse();
    std::process::exit(gws_conform::cli::run(cli).await);
}
