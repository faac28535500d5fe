//! `gws-conform init DIR`: writes the built-in suite out to be read and extended: the
//! scenarios and the requirement catalogue (`DIR/scenarios/`), the JSON Schemas
//! (`DIR/schemas/`), the documented examples with the errata (`DIR/fixtures/`). Run from `DIR`,
//! `run`, `coverage`, `requirements` and `check-docs` then read these copies. Nothing that
//! exists is touched: a directory that already holds any of the three is refused.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::embedded;
use crate::exit;
use crate::output::Listing;

/// Options of `init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write `scenarios/`, `schemas/` and `fixtures/` (made if missing).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// What `init` writes: (subdirectory, its files as (name, text)).
fn material() -> [(&'static str, Vec<(&'static str, &'static str)>); 3] {
    let mut fixtures = embedded::FIXTURES.to_vec();
    fixtures.push(("ERRATA.md", embedded::ERRATA_MD));
    [
        ("scenarios", embedded::SCENARIOS.to_vec()),
        ("schemas", embedded::SCHEMAS.to_vec()),
        ("fixtures", fixtures),
    ]
}

/// Writes a new file; one that exists is an error, never overwritten.
fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(text.as_bytes())
}

/// Writes the suite into `dir`; `Err` says what stood in the way.
fn init(dir: &Path) -> Result<usize, String> {
    let material = material();
    for (sub, _) in &material {
        let target = dir.join(sub);
        if target.symlink_metadata().is_ok() {
            return Err(format!(
                "{} exists; nothing was written (init writes into a directory without \
                 scenarios/, schemas/ or fixtures/)",
                target.display()
            ));
        }
    }
    let mut written = 0;
    for (sub, files) in material {
        let target = dir.join(sub);
        std::fs::create_dir_all(&target).map_err(|e| format!("{}: {e}", target.display()))?;
        for (name, text) in files {
            let path = target.join(name);
            write_new(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
            written += 1;
        }
    }
    Ok(written)
}

/// Runs the command; returns the exit code.
pub fn run(args: InitArgs) -> i32 {
    match init(&args.dir) {
        Ok(written) => {
            let mut out = Listing::new();
            out.line(format_args!(
                "wrote {written} files to {} (scenarios/, schemas/, fixtures/); run gws-conform \
                 there to use them",
                args.dir.display()
            ));
            super::listed(out, exit::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {e}");
            exit::BAD_INPUT
        }
    }
}
