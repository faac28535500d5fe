//! `gws-conform run`: loads the scenarios, runs each as a libtest-style trial against the
//! target (a fresh embedded reference server per scenario when no `--target` is given), and
//! exits 0 (conformant), 1 (failures), 2 (bad input) or 3 (could not run). A target is first
//! checked to be reachable at all, so an unreachable one ends the run at once.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::baseline::BaselineArgs;
use super::last_failed::LastRun;
use super::partition::{Partition, parse_partition};
use super::quiet::QuietArgs;
use super::repeat::{Repetition, fold, repeated};
use super::seeding::{Seeded, SeedingArgs};
use super::selection::{Selected, SelectionArgs};
use super::stopping;
use super::suite::{CheckFiles, SuiteArgs};
use super::target::{RouteArgs, parse_target, route_to};
use super::trials::{
    Execution, ReportFiles, ReportSettings, against_target, execute, failures, finish,
    trial_runtime, trial_threads,
};
use super::wait::WaitArgs;
use crate::driver::bayeux::BayeuxConfig;
use crate::exit;
use crate::har::{Ending, HarWriter, redact};
use crate::output::Listing;
use crate::profile::Profile;
use crate::report::terminal::Console;
use crate::run::lanes::LanePool;
use crate::run::user_locks::UserLocks;
use crate::run::{
    QuietCalibration, RunContext, ScenarioRun, Stop, StopCause, Verifier, check_reachable,
    run_scenario_until,
};
use crate::scenario::{LoadError, Scenario};

/// Options of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Which scenarios run (name filters, `--exact`, `--skip`, `--requirement`, `--tag`, the
    /// `ignore` marks).
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Run only shard K of N of the selected scenarios (`K/N` or `count:K/N`): the selection
    /// in scenario-name order, dealt round-robin, so N jobs given the same selection run every
    /// scenario exactly once (docs/ci.md). `--list` lists the shard.
    #[arg(long, value_name = "K/N", value_parser = parse_partition, env = "GWS_CONFORM_PARTITION")]
    pub partition: Option<Partition>,
    /// Run only the selected scenarios that failed or errored when last run against the same
    /// target with the same `--scenarios` (every run records them); with no such run on
    /// record, the whole selection; when none failed, nothing (exit 0).
    #[arg(long)]
    pub last_failed: bool,
    /// Where runs record their failed scenarios for `--last-failed` [default:
    /// $XDG_CACHE_HOME/gws-conform/last-run.json, else ~/.cache/gws-conform/last-run.json];
    /// `/dev/null` keeps no record.
    #[arg(long, value_name = "FILE", env = "GWS_CONFORM_LAST_FAILED_FILE")]
    pub last_failed_file: Option<PathBuf>,
    /// The server to test (`http://host:port`); without it, the profile's `base_url`, or else
    /// an embedded reference server per scenario.
    #[arg(long, value_name = "URL", env = "GWS_CONFORM_TARGET")]
    pub target: Option<String>,
    /// `--wait-for-target`.
    #[command(flatten)]
    pub wait: WaitArgs,
    /// `--proxy`, `--cacert`, `--insecure`.
    #[command(flatten)]
    pub route: RouteArgs,
    /// Target profile: users, passwords (or their environment variables), ContactCenterId.
    #[arg(long, value_name = "FILE", env = "GWS_CONFORM_PROFILE")]
    pub profile: Option<PathBuf>,
    /// `--scenarios`, repeatable.
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// `--schemas`, `--fixtures`.
    #[command(flatten)]
    pub check_files: CheckFiles,
    /// The report files (`--json`, `--junit`, `--html`).
    #[command(flatten)]
    pub reports: ReportFiles,
    #[command(flatten)]
    pub baseline: BaselineArgs,
    /// Record every HTTP exchange of every actor (REST and CometD) to this HAR 1.2 file, with
    /// credentials, cookies and CSRF tokens redacted (docs/recording.md). Entries are written as
    /// they complete (`-`, a FIFO or a device is streamed to); Ctrl-C stops the run and still
    /// leaves a valid file (exit code 130).
    #[arg(long, value_name = "FILE.har")]
    pub record: Option<PathBuf>,
    /// NON-STRICT findings fail too.
    #[arg(long)]
    pub strict: bool,
    /// Against a target, skip the clean-up before the first scenario (logging the scenarios'
    /// users out and draining the queue, which waits 0.5 s for routing): for a target known
    /// to be fresh, such as a server the CI job has just started.
    #[arg(long)]
    pub no_clean: bool,
    /// List the selected scenarios instead of running them.
    #[arg(long)]
    pub list: bool,
    /// Run each selected scenario N times, to hunt flakiness: one that failed some times and
    /// passed others is reported FLAKY, and any failed repetition fails the run (exit 1). The
    /// reports hold one trial per scenario, the events of its first failing repetition (else
    /// its first) with how many ran and failed. Against a target, repetitions run in turn.
    /// At most 100000.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub repeat: u32,
    /// Start no scenario after one fails (the rest are reported as not run).
    #[arg(long)]
    pub fail_fast: bool,
    /// Scenarios run at once (default: all of them against the embedded server, where each
    /// scenario has its own server; 1 against a target, where chats are routed across
    /// scenarios). Scenarios that share a profile user never overlap. (Also `--test-threads`,
    /// its old name.)
    #[arg(long = "jobs", short = 'j', alias = "test-threads", value_name = "N")]
    pub test_threads: Option<usize>,
    /// One character per scenario.
    #[arg(long, short)]
    pub quiet: bool,
    /// Deadline of each HTTP request, including reading the whole response (`10s`, `1.5s`,
    /// `500ms`; a bare number is seconds). Also the margin a CometD long-poll gets beyond the
    /// time the server advises it may hold it.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub request_timeout: Duration,
    /// Deadline of each scenario as a whole, clean-up aside (same format).
    #[arg(long, value_name = "DURATION", default_value = "120s", value_parser = parse_duration)]
    pub scenario_timeout: Duration,
    /// Seeded faults and legal variants of the embedded reference server.
    #[command(flatten)]
    pub seeding: SeedingArgs,
    /// `--quiet-scale`, `--quiet-min`: quiet windows sized from the observed latencies.
    #[command(flatten)]
    pub quiet_windows: QuietArgs,
}

/// A positive duration: `2s`, `1.5s`, `500ms`, `5m` (or `5min`), `2h`, or a bare number of
/// seconds.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let duration = duration_in(text, 1.0)?;
    if duration.is_zero() {
        return Err("a deadline must be longer than zero".to_owned());
    }
    Ok(duration)
}

/// A duration written as every duration flag takes it (`250ms`, `10s`, `5m`), where a bare
/// number is in milliseconds (for the flags that always took milliseconds); zero allowed.
pub(crate) fn parse_millis(text: &str) -> Result<Duration, String> {
    duration_in(text, 0.001)
}

/// A duration with a unit (`ms`, `s`, `m` or `min`, `h`), or a bare number of `bare` seconds.
fn duration_in(text: &str, bare: f64) -> Result<Duration, String> {
    let text = text.trim();
    // Longest suffixes first: `ms` and `min` before `s` and `m`.
    const UNITS: &[(&str, f64)] = &[
        ("ms", 0.001),
        ("min", 60.0),
        ("s", 1.0),
        ("m", 60.0),
        ("h", 3600.0),
    ];
    let (number, unit) = UNITS
        .iter()
        .find_map(|(suffix, unit)| Some((text.strip_suffix(suffix)?, *unit)))
        .unwrap_or((text, bare));
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (e.g. 10s, 1.5s, 500ms, 5m, 1h)"))?;
    Duration::try_from_secs_f64(value * unit)
        .map_err(|_| format!("`{text}` is not a usable duration"))
}

/// `--fault` and `--variant` only make sense against the embedded server.
fn refuse_seeding_with_target(args: &RunArgs, target: &str) -> Result<(), i32> {
    args.seeding.refuse_with_target(target).map_err(|error| {
        eprintln!("error: {error}");
        exit::BAD_INPUT
    })
}

/// Prints located load problems with their snippets; returns the bad-input exit code.
pub(super) fn problems(errors: &[LoadError], what: &str) -> i32 {
    for error in errors {
        eprintln!("{}", error.render());
    }
    eprintln!(
        "error: {} problem(s) in the {what}; nothing was run",
        errors.len()
    );
    exit::BAD_INPUT
}

/// What a run needs, loaded.
struct Prepared {
    /// The selected scenarios, each with whether it is only listed (marked `ignore`).
    scenarios: Vec<(Scenario, bool)>,
    /// How many scenarios the selection left out.
    filtered_out: usize,
    verifier: Arc<Verifier>,
    profile: Profile,
    /// Where the scenarios that fail are remembered, for `--last-failed`.
    last_run: LastRun,
}

/// Loads what a run needs and selects the scenarios; prints problems and returns the exit
/// code on failure.
fn prepare(args: &RunArgs) -> Result<Prepared, i32> {
    let bad = |message: String| {
        eprintln!("error: {message}");
        exit::BAD_INPUT
    };
    let suite = args.suite.suite();
    let catalogue = suite.catalogue().map_err(bad)?;
    let verifier = args.check_files.verifier().map_err(bad)?;
    // With name filters only the scenarios they name are parsed (`run NAME` starts fast);
    // the selection is the same as when every one is loaded.
    let named = |name: &str| args.selection.wants_name(name);
    let loaded = suite
        .scenarios(&catalogue, &verifier, args.selection.wanted(&named))
        .map_err(|errors| problems(&errors, "scenarios"))?;
    let Selected {
        scenarios,
        filtered_out,
    } = args.selection.select(loaded, &catalogue).map_err(|why| {
        eprintln!("error: {why}");
        eprintln!("error: nothing was run (`gws-conform run --list` lists the scenarios)");
        exit::BAD_INPUT
    })?;
    let profile = match &args.profile {
        Some(path) => Profile::load(path).map_err(|errors| problems(&errors, "profile"))?,
        None => Profile::builtin(),
    };
    // Keyed by the target the run will use: `--target`, else the profile's `base_url`.
    let target = args.target.clone().or_else(|| {
        let url = profile.base_url.as_deref()?;
        parse_target(url).ok()
    });
    let last_run = LastRun::new(
        args.last_failed_file.as_deref(),
        target.as_deref(),
        suite.describe(),
        |name| std::env::var(name).ok(),
    );
    let scenarios = if args.last_failed {
        last_run.select(scenarios)?
    } else {
        scenarios
    };
    let (scenarios, filtered_out) = match args.partition {
        Some(partition) => {
            let selected = scenarios.len();
            let share = partition.take(scenarios, |(s, _)| s.name.as_str());
            eprintln!(
                "note: partition {partition}: {} of the {selected} selected scenarios",
                share.len()
            );
            (share, partition.share_of(filtered_out))
        }
        None => (scenarios, filtered_out),
    };
    // Only the users the selected scenarios log in as need credentials (in the first lane,
    // and in each other lane that has them); every missing one is reported at once (by
    // `--list` too, so a profile can be checked without a run).
    let mut missing: Vec<String> = Vec::new();
    let lanes = profile.lanes();
    for (scenario, listed_only) in &scenarios {
        if *listed_only {
            continue;
        }
        for (lane, in_lane) in lanes.iter().enumerate() {
            for user in scenario.users() {
                if lane > 0 && !in_lane.users.contains_key(user) {
                    continue;
                }
                if let Err(e) = in_lane.credentials(user) {
                    let place = if lane > 0 {
                        format!("lane {}: ", lane + 1)
                    } else {
                        String::new()
                    };
                    let line = format!("{place}{e} (used by scenario {})", scenario.name);
                    if !missing.contains(&line) {
                        missing.push(line);
                    }
                }
            }
        }
    }
    if !missing.is_empty() {
        for line in &missing {
            eprintln!("error: {line}");
        }
        return Err(bad(format!(
            "{} problem(s) with the profile's users; nothing was run",
            missing.len()
        )));
    }
    Ok(Prepared {
        scenarios,
        last_run,
        filtered_out,
        verifier: Arc::new(verifier.with_catalogue(catalogue)),
        profile,
    })
}

/// Runs one scenario against `target`, or against a fresh embedded server.
/// Against a target, one that stopped answering makes the scenario one that could not run.
async fn run_one(
    scenario: &Scenario,
    target: Option<&str>,
    seeded: Seeded,
    base: &RunContext,
    stop: &Stop,
) -> Result<ScenarioRun, String> {
    let run = against_target(target, seeded, |base_url| async move {
        let ctx = RunContext {
            base_url,
            ..base.clone()
        };
        run_scenario_until(scenario, &ctx, stop).await
    })
    .await?;
    if let Some(target) = target
        && let Some(gone) = stopping::probe_target(
            scenario,
            &run,
            target,
            base.request_timeout,
            &base.route,
            stop,
        )
        .await
    {
        return Err(gone);
    }
    Ok(run)
}

/// Runs the command; returns the exit code.
pub fn run(mut args: RunArgs) -> i32 {
    // Every output is checked before anything is loaded or run: a bad path costs nothing.
    let [json, junit, html] = args.reports.outputs();
    let outputs = [
        json,
        junit,
        html,
        ("--record", args.record.as_deref()),
        args.baseline.output(),
    ];
    if let Err(code) = super::check_outputs(&outputs) {
        return code;
    }
    // Standard output may carry a report file, the recording or the baseline being written;
    // the terminal report then goes to stderr.
    let console = Console::beside(&outputs);
    if let Some(target) = args.target.take() {
        match parse_target(&target) {
            Ok(url) => args.target = Some(url),
            Err(why) => {
                eprintln!("error: {why}");
                return exit::BAD_INPUT;
            }
        }
        if let Err(code) = refuse_seeding_with_target(&args, &target) {
            return code;
        }
    }
    // Before anything is loaded: a bad --cacert is bad input, `--list` included.
    let trust = match args.route.tls.trust() {
        Ok(trust) => trust,
        Err(code) => return code,
    };
    let prepared = match prepare(&args) {
        Ok(prepared) => prepared,
        Err(code) => return code,
    };
    if args.list {
        let mut out = Listing::new();
        for (scenario, _) in &prepared.scenarios {
            out.line(&scenario.name);
        }
        return super::listed(out, exit::SUCCESS);
    }
    // Read before anything runs: a bad baseline is bad input, like a bad scenario.
    let (baseline, acceptance) = match args.baseline.load_accepting() {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    // A profile may name its target; `--target` wins.
    if args.target.is_none()
        && let Some(url) = &prepared.profile.base_url
    {
        match parse_target(url) {
            Ok(url) => args.target = Some(url),
            Err(why) => {
                eprintln!("error: the profile's base_url: {why}");
                return exit::BAD_INPUT;
            }
        }
        if let Some(target) = &args.target
            && let Err(code) = refuse_seeding_with_target(&args, target)
        {
            return code;
        }
    }
    let route = match route_to(args.target.as_deref(), args.route.proxy.as_deref(), trust).and_then(
        |route| {
            args.wait.refuse_without_target(args.target.as_deref())?;
            Ok(route)
        },
    ) {
        Ok(route) => route,
        Err(why) => {
            eprintln!("error: {why}");
            return exit::BAD_INPUT;
        }
    };
    let seeded = args.seeding.announced(false);
    let runtime = match trial_runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    // A target still starting is waited for when asked (each probe bounded like a request).
    if let Some(target) = &args.target
        && let Err(code) = args
            .wait
            .wait(&runtime, target, args.request_timeout, &route)
    {
        return code;
    }
    // One deadline for the whole target: if it cannot be reached at all, say so once and stop,
    // rather than let every scenario fail on its own.
    if let Some(target) = &args.target
        && let Err(why) = runtime.block_on(check_reachable(target, args.request_timeout, &route))
    {
        eprintln!("error: cannot reach the target {target}: {why}");
        eprintln!("error: nothing was run");
        return exit::COULD_NOT_RUN;
    }
    // An interrupted earlier run may have left these scenarios' users logged in, Ready,
    // monitoring or in chats: bring them back to logged out first. Only the users of the
    // scenarios that will run are touched (those marked `ignore` are only listed).
    if let Some(target) = &args.target
        && !args.no_clean
    {
        // A lane runs only the scenarios it has every user of (the first lane runs all).
        let lanes = prepared
            .profile
            .lanes()
            .into_iter()
            .map(|lane| {
                let runs_here: Vec<&Scenario> = prepared
                    .scenarios
                    .iter()
                    .filter(|(scenario, listed_only)| {
                        !listed_only && scenario.users().all(|u| lane.users.contains_key(u))
                    })
                    .map(|(scenario, _)| scenario)
                    .collect();
                (lane, runs_here)
            })
            .collect();
        let cleaned =
            super::clean::before_run(&runtime, target, lanes, args.request_timeout, &route);
        if let Err(code) = cleaned {
            return code;
        }
    }
    let record = match &args.record {
        Some(path) => match start_recording(path, args.target.as_deref()) {
            Ok(writer) => Some(writer),
            Err(code) => return code,
        },
        None => None,
    };
    let stop = Stop::new();
    if let Err(code) = stopping::listen(&runtime, stop.clone(), record.clone(), "scenarios") {
        return code;
    }
    let catalogue = prepared.verifier.catalogue().clone();
    let verifier = prepared.verifier.clone();
    let base = RunContext {
        base_url: String::new(),
        profile: prepared.profile,
        request_timeout: args.request_timeout,
        scenario_timeout: args.scenario_timeout,
        bayeux: BayeuxConfig {
            request_margin: args.request_timeout,
            ..BayeuxConfig::default()
        },
        verifier: prepared.verifier,
        record: record.clone(),
        route,
        quiet: Arc::new(QuietCalibration::new(args.quiet_windows.policy())),
    };
    let calibration = base.quiet.clone();
    let lanes = LanePool::new(&base.profile);
    let times = args.repeat as usize;
    let trials = repeated(prepared.scenarios, times);
    let execution = Execution {
        threads: trial_threads(
            args.test_threads,
            args.target.is_some().then_some(lanes.len()),
            trials.len(),
        ),
        fail_fast: args.fail_fast,
        quiet: args.quiet,
        strict: args.strict,
        noun: "scenarios",
        console,
        acceptance: &acceptance,
        units: None,
    };
    // Against one shared target, each scenario runs in a lane of its own; without lanes,
    // scenarios sharing a user must not overlap (`--jobs` may still run disjoint ones at once).
    let user_locks = UserLocks::default();
    let target = args.target.as_deref();
    let executed = execute(trials, execution, &stop, |repetition: &Repetition| {
        let scenario = &*repetition.scenario;
        let Some(target) = target else {
            return runtime.block_on(run_one(scenario, None, seeded, &base, &stop));
        };
        let lane = lanes.acquire(scenario.users());
        let _users = (lanes.len() == 1).then(|| user_locks.acquire(scenario.users()));
        let in_lane = RunContext {
            profile: lane.profile().clone(),
            ..base.clone()
        };
        runtime.block_on(run_one(scenario, Some(target), seeded, &in_lane, &stop))
    });
    if let Some(writer) = record {
        let ending = match stop.cause() {
            Some(StopCause::Interrupted) => Ending::Interrupted,
            _ => Ending::Complete,
        };
        if !stopping::close_recording(&writer, ending) {
            return exit::COULD_NOT_RUN;
        }
    }
    let executed = fold(executed, times > 1, args.strict);
    prepared
        .last_run
        .remember(&failures(&executed.results, args.strict));
    let settings = ReportSettings {
        strict: args.strict,
        files: &args.reports,
        suite: "scenarios",
        noun: "scenarios",
        catalogue: &catalogue,
        console,
        baseline: baseline.as_ref(),
        examples: &*verifier,
        quiet: calibration.summary(),
    };
    let verdict = finish(executed, prepared.filtered_out, settings);
    stopping::exit_code(&stop, verdict, "scenarios")
}

/// Creates the recording; returns the exit code when the file cannot be created.
fn start_recording(path: &std::path::Path, target: Option<&str>) -> Result<Arc<HarWriter>, i32> {
    let made_by = match target {
        Some(url) => format!("gws-conform run against {}", redact::url(url)),
        None => "gws-conform run against the embedded reference server".to_owned(),
    };
    HarWriter::create(path, &made_by)
        .map(Arc::new)
        .map_err(|e| {
            eprintln!("error: {e}");
            exit::COULD_NOT_RUN
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_seconds_or_milliseconds() {
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("5min"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("5 minutes").is_err());
        assert!(parse_duration("0s").is_err());
        // The flags that always took milliseconds keep them for a bare number.
        assert_eq!(parse_millis("1000"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_millis("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_millis("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_millis("0"), Ok(Duration::ZERO));
        assert!(parse_millis("soon").is_err());
        assert!(parse_duration("-1s").is_err());
        assert!(
            parse_duration("soon")
                .unwrap_err()
                .contains("not a duration")
        );
    }
}
