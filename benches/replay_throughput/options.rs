//! The benchmark's command-line options (listed in its module doc).

use std::path::PathBuf;
use std::str::FromStr;

use crate::memory::Large;

/// What to measure, and on what capture.
pub struct Options {
    /// Chats one agent handles at once.
    pub per_agent: usize,
    /// Start times to the millisecond, as devtools write them.
    pub millis: bool,
    /// The async runtime's worker threads.
    pub threads: usize,
    /// Chats at once.
    pub chats: usize,
    /// Messages each side of a chat sends.
    pub messages: usize,
    /// Replay rounds.
    pub rounds: usize,
    /// The replay's deadline for each dependency, in seconds.
    pub deadline: f64,
    /// Measure the memory of a large capture instead of the throughput (`--entries`).
    pub large: Option<Large>,
}

/// The value of option `name`, parsed.
fn value<T: FromStr>(args: &mut impl Iterator<Item = String>, name: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    let text = args.next().ok_or_else(|| format!("{name} needs a value"))?;
    text.parse().map_err(|e| format!("{name}: {e}"))
}

/// Reads the options from the command line.
pub fn options() -> Result<Options, String> {
    let mut options = Options {
        per_agent: 10,
        millis: false,
        threads: 2,
        chats: 100,
        messages: 3,
        rounds: 5,
        deadline: 10.0,
        large: None,
    };
    let mut chats: Option<usize> = None;
    let (mut entries, mut keep): (Option<usize>, Option<PathBuf>) = (None, None);
    let mut groups = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let args = &mut args;
        match arg.as_str() {
            "--chats" => chats = Some(value(args, "--chats")?),
            "--messages" => options.messages = value(args, "--messages")?,
            "--rounds" => options.rounds = value(args, "--rounds")?,
            "--deadline" => options.deadline = value(args, "--deadline")?,
            "--millis" => options.millis = true,
            "--chats-per-agent" => options.per_agent = value(args, "--chats-per-agent")?,
            "--threads" => options.threads = value(args, "--threads")?,
            "--entries" => entries = Some(value(args, "--entries")?),
            "--keep" => keep = Some(value(args, "--keep")?),
            "--groups" => groups = true,
            // `cargo bench` passes `--bench`; anything else is a mistake.
            "--bench" => {}
            other => return Err(format!("unknown option {other}")),
        }
    }
    // The binary's built-in users serve 30 chats of 10 per agent (see `memory`).
    options.chats = chats.unwrap_or(if entries.is_some() { 30 } else { 100 });
    if (keep.is_some() || groups) && entries.is_none() {
        return Err("--keep and --groups go with --entries".to_owned());
    }
    options.large = entries.map(|entries| Large {
        entries,
        keep,
        groups,
    });
    if options.chats == 0
        || options.per_agent == 0
        || options.rounds == 0
        || options.threads == 0
        || options.large.as_ref().is_some_and(|l| l.entries == 0)
        || !(options.deadline.is_finite() && options.deadline > 0.0)
    {
        return Err(
            "--chats, --chats-per-agent, --rounds, --threads, --entries and --deadline \
                    must be positive"
                .to_owned(),
        );
    }
    Ok(options)
}
