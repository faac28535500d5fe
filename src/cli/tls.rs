//! `--cacert FILE` and `--insecure` (`run`, `replay`, `explore`, `proxy`): which TLS certificates an
//! `https://` target (or `proxy`'s upstream) is checked against ([`Trust`]).

use std::path::PathBuf;

use clap::Args;

use crate::driver::trust::Trust;
use crate::exit;

/// The TLS options.
#[derive(Debug, Args)]
pub struct TlsArgs {
    /// Trust the certificates of this PEM file (one or more `-----BEGIN CERTIFICATE-----`
    /// blocks: a lab's certificate authority, or a self-signed server certificate) in addition
    /// to the system's roots, on an `https://` target.
    #[arg(long, value_name = "FILE", env = "GWS_CONFORM_CACERT")]
    pub cacert: Option<PathBuf>,
    /// Do not check an `https://` target's TLS certificate at all (warned on stderr): anyone on
    /// the way could then read and change the traffic, credentials included. Prefer --cacert.
    #[arg(long, conflicts_with = "cacert")]
    pub insecure: bool,
}

impl TlsArgs {
    /// The trust asked for, the `--insecure` warning printed; a bad `--cacert` file is
    /// reported and the bad-input exit code returned.
    pub fn trust(&self) -> Result<Trust, i32> {
        let trust = Trust::load(self.cacert.as_deref(), self.insecure).map_err(|why| {
            eprintln!("error: {why}");
            exit::BAD_INPUT
        })?;
        if trust.insecure() {
            eprintln!(
                "warning: --insecure: TLS certificates are NOT checked; anyone between here and \
                 the target can read and change the traffic, credentials included"
            );
        }
        Ok(trust)
    }
}
