//! `gws-conform replay FILE.har…`: replays a capture against the target (a fresh embedded
//! reference server per group when no `--target` is given), one libtest-style trial per group,
//! and exits 0 (the replay matched the recording), 1 (differences), 2 (bad capture, profile or
//! arguments) or 3 (could not run). docs/replay.md describes it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::baseline::BaselineArgs;
use super::partition::{Partition, parse_partition};
use super::run::{parse_duration, problems};
use super::seeding::{Seeded, SeedingArgs};
use super::stopping;
use super::target::{RouteArgs, parse_target, route_to};
use super::trials::{
    Execution, ReportFiles, ReportSettings, Trial, against_target, execute, finish, trial_runtime,
    trial_threads,
};
use super::wait::WaitArgs;
use crate::driver::bayeux::BayeuxConfig;
use crate::driver::format_duration;
use crate::driver::route::Route;
use crate::exit;
use crate::output::Listing;
use crate::profile::Profile;
use crate::replay::causality::OrderBy;
use crate::replay::{GroupPlan, Pace, Plan, ReplayContext, replay_group};
use crate::report::html::NoExamples;
use crate::report::live::Units;
use crate::report::terminal::Console;
use crate::run::{ScenarioRun, Stop};
use crate::spec::Catalogue;

/// Options of `replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The capture: HAR files from `run --record`, the recording proxy, or browsers' devtools.
    /// Several files are one capture, merged by recorded time; each file that names no actors
    /// (a browser's export) is one party.
    #[arg(value_name = "FILE.har", required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// The server to replay against (`http://host:port`; recorded paths are kept); without it,
    /// the profile's `base_url`, or else an embedded reference server per group.
    #[arg(long, value_name = "URL", env = "GWS_CONFORM_TARGET")]
    pub target: Option<String>,
    /// `--wait-for-target`.
    #[command(flatten)]
    pub wait: WaitArgs,
    /// `--proxy`, `--cacert`, `--insecure`.
    #[command(flatten)]
    pub route: RouteArgs,
    /// Target profile: the users to log in as (the capture holds no credentials) and the
    /// ContactCenterId [default: the reference server's users].
    #[arg(long, value_name = "FILE", env = "GWS_CONFORM_PROFILE")]
    pub profile: Option<PathBuf>,
    /// Replay the recorded gaps between requests this many times faster (0.001 to 1000000).
    #[arg(
        long,
        value_name = "X",
        default_value_t = 1.0,
        conflicts_with = "as_fast_as_possible"
    )]
    pub speed: f64,
    /// Send each request as soon as what it depends on has happened.
    #[arg(long)]
    pub as_fast_as_possible: bool,
    /// Order every two actors' steps as the recording's clock does, even steps about different
    /// chats, which by default run side by side (docs/replay.md, Causality): slower, for a
    /// server whose operations reach further than that table assumes.
    #[arg(long)]
    pub in_clock_order: bool,
    /// Groups replayed at once (default: against the embedded server, where each group has its
    /// own server, one per core as fast as possible, else all of them; 1 against a target,
    /// where chats are routed across groups). (Also `--concurrency`, its old name.)
    #[arg(long = "jobs", short = 'j', alias = "concurrency", value_name = "N")]
    pub concurrency: Option<usize>,
    /// How long a request may wait for what it depends on (a notification, another actor's
    /// request): `10s`, `500ms` (a bare number is seconds); also how long the replay waits at
    /// the end for the last recorded notifications. At most an hour.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub deadline: Duration,
    /// Replay a gap between two recorded requests longer than this as this long, with a note
    /// (a capture left running overnight, or one entry dated far away): `90s`, `500ms`.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub max_gap: Duration,
    /// How long a group may run beyond its recorded length at this pace: then it is halted where
    /// it is and fails with `replay.deadline`, so a replay always ends with a verdict.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub group_timeout: Duration,
    /// Log in as profile user PROFILE wherever the capture shows RECORDED (an actor's name or
    /// the user it logged in as); repeatable.
    #[arg(long = "user", value_name = "RECORDED=PROFILE", value_parser = parse_alias)]
    pub users: Vec<(String, String)>,
    /// Seeded faults and legal variants of the embedded reference server.
    #[command(flatten)]
    pub seeding: SeedingArgs,
    /// The report files (`--json`, `--junit`, `--html`).
    #[command(flatten)]
    pub reports: ReportFiles,
    #[command(flatten)]
    pub baseline: BaselineArgs,
    /// NON-STRICT findings fail too (a SHOULD requirement's difference, as in `run`).
    #[arg(long)]
    pub strict: bool,
    /// Replay only shard K of N of the groups (`K/N` or `count:K/N`): the groups in name
    /// order, dealt round-robin, so N jobs given the same capture replay every group exactly
    /// once (docs/ci.md). `--list` lists the shard.
    #[arg(long, value_name = "K/N", value_parser = parse_partition, env = "GWS_CONFORM_PARTITION")]
    pub partition: Option<Partition>,
    /// List the groups instead of replaying them.
    #[arg(long)]
    pub list: bool,
    /// Start no group after one fails (the rest are reported as not run).
    #[arg(long)]
    pub fail_fast: bool,
    /// One character per group.
    #[arg(long, short)]
    pub quiet: bool,
}

fn parse_alias(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((recorded, user)) if !recorded.is_empty() && !user.is_empty() => {
            Ok((recorded.to_owned(), user.to_owned()))
        }
        _ => Err(format!("expected RECORDED=PROFILE, got {text:?}")),
    }
}

/// Checks the arguments, reads the profile and plans the capture; prints what is wrong and
/// returns the exit code otherwise.
fn prepare(args: &ReplayArgs) -> Result<(Plan, Profile, Option<String>, Route), i32> {
    let bad = |message: String| {
        eprintln!("error: {message}");
        exit::BAD_INPUT
    };
    if !(0.001..=1e6).contains(&args.speed) {
        return Err(bad(format!(
            "--speed must be between 0.001 and 1000000, not {}",
            args.speed
        )));
    }
    if args.deadline > Duration::from_secs(3600) {
        return Err(bad(format!(
            "--deadline must be at most an hour, not {}",
            format_duration(args.deadline)
        )));
    }
    if args.concurrency == Some(0) {
        return Err(bad("--jobs must be at least 1".to_owned()));
    }
    let profile = match &args.profile {
        Some(path) => Profile::load(path).map_err(|errors| problems(&errors, "profile"))?,
        None => Profile::builtin(),
    };
    let target = args
        .target
        .clone()
        .or_else(|| profile.base_url.clone())
        .map(|url| parse_target(&url))
        .transpose()
        .map_err(bad)?;
    if let Some(target) = &target {
        args.seeding.refuse_with_target(target).map_err(bad)?;
    }
    args.wait
        .refuse_without_target(target.as_deref())
        .map_err(bad)?;
    let trust = args.route.tls.trust()?;
    let route = route_to(target.as_deref(), args.route.proxy.as_deref(), trust).map_err(bad)?;
    let mut plan = Plan::read_files(&args.files).map_err(|e| bad(e.to_string()))?;
    if args.in_clock_order {
        plan.order_by(OrderBy::Clock);
    }
    plan.resolve_users(&profile, &args.users)
        .map_err(|problems| {
            let files: Vec<String> = args.files.iter().map(|f| f.display().to_string()).collect();
            bad(format!(
                "{} cannot be replayed with this profile:\n  {}",
                files.join(", "),
                problems.join("\n  ")
            ))
        })?;
    plan.cut_gaps(args.max_gap);
    if let Some(partition) = args.partition {
        let groups = plan.groups.len();
        plan.groups = partition.take(std::mem::take(&mut plan.groups), |g| g.name.as_str());
        eprintln!(
            "note: partition {partition}: {} of the {groups} groups",
            plan.groups.len()
        );
    }
    for skipped in &plan.skipped {
        eprintln!("note: not replayed: {skipped}");
    }
    for note in &plan.notes {
        eprintln!("note: {note}");
    }
    let mut cautions: Vec<&String> = plan
        .groups
        .iter()
        .filter_map(|g| g.caution.as_ref())
        .collect();
    cautions.dedup();
    for caution in cautions {
        eprintln!("warning: {caution}");
    }
    Ok((plan, profile, target, route))
}

/// Groups replayed at once when `--jobs` does not say: against the embedded server as
/// fast as possible, one per core, since each group keeps the cores busy by itself and more at
/// once only take memory (docs/benchmarks.md); otherwise as for `run` (groups at recorded pace
/// mostly wait).
fn concurrency(args: &ReplayArgs, target: &Option<String>) -> Option<usize> {
    let cores = || std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let busy = args.as_fast_as_possible && target.is_none();
    args.concurrency.or_else(|| busy.then(cores))
}

/// Replays one group against `target`, or against a fresh embedded server.
async fn replay_one(
    group: Arc<GroupPlan>,
    target: Option<&str>,
    seeded: Seeded,
    ctx: &ReplayContext,
) -> Result<ScenarioRun, String> {
    let replayed = group.clone();
    let run = against_target(target, seeded, |base_url| async move {
        let ctx = ReplayContext {
            base_url,
            ..ctx.clone()
        };
        replay_group(replayed, &ctx).await
    })
    .await;
    // The group stays listed until the reports are written; what its replay parsed does not.
    group.forget_parsed();
    run
}

/// Runs the command; returns the exit code.
pub fn run(args: ReplayArgs) -> i32 {
    let [json, junit, html] = args.reports.outputs();
    let outputs = [json, junit, html, args.baseline.output()];
    if let Err(code) = super::check_outputs(&outputs) {
        return code;
    }
    // Standard output may carry a report file or the baseline being written; the terminal
    // report then goes to stderr.
    let console = Console::beside(&outputs);
    let (plan, profile, target, route) = match prepare(&args) {
        Ok(prepared) => prepared,
        Err(code) => return code,
    };
    let seeded = args.seeding.announced(args.list);
    let runtime = match trial_runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let ctx = ReplayContext {
        base_url: String::new(),
        profile,
        pace: if args.as_fast_as_possible {
            Pace::AsFastAsPossible
        } else {
            Pace::Recorded { speed: args.speed }
        },
        deadline: args.deadline,
        request_timeout: Duration::from_secs(10),
        bayeux: BayeuxConfig::default(),
        route,
        group_timeout: args.group_timeout,
        stop: Stop::new(),
        traffic: args.reports.json.is_some() || args.reports.html.is_some(),
        steps_done: Arc::default(),
    };
    if args.list {
        let mut out = Listing::new();
        for group in &plan.groups {
            out.line(&group.name);
        }
        return super::listed(out, exit::SUCCESS);
    }
    if let Some(target) = &target
        && let Err(code) = args
            .wait
            .wait(&runtime, target, ctx.request_timeout, &ctx.route)
    {
        return code;
    }
    // Read before anything is replayed: a bad baseline is bad input.
    let (baseline, acceptance) = match args.baseline.load_accepting() {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let trials: Vec<Trial<Arc<GroupPlan>>> = plan
        .groups
        .into_iter()
        .map(|group| Trial {
            subject: Arc::new(group),
            ignored: false,
        })
        .collect();
    let execution = Execution {
        threads: trial_threads(
            concurrency(&args, &target),
            target.is_some().then_some(1),
            trials.len(),
        ),
        fail_fast: args.fail_fast,
        quiet: args.quiet,
        strict: args.strict,
        noun: "groups",
        console,
        acceptance: &acceptance,
        units: Some(Units {
            total: trials.iter().map(|t| t.subject.steps.len() as u64).sum(),
            done: ctx.steps_done.clone(),
        }),
    };
    if let Err(code) = stopping::listen(&runtime, ctx.stop.clone(), None, "groups") {
        return code;
    }
    let executed = execute(trials, execution, &ctx.stop, |group: &Arc<GroupPlan>| {
        let replayed = replay_one(group.clone(), target.as_deref(), seeded, &ctx);
        runtime.block_on(replayed)
    });
    let catalogue = Catalogue::builtin_shared();
    let settings = ReportSettings {
        strict: args.strict,
        files: &args.reports,
        suite: "replay",
        noun: "groups",
        catalogue,
        console,
        baseline: baseline.as_ref(),
        examples: &NoExamples,
        quiet: None,
    };
    let verdict = finish(executed, 0, settings);
    stopping::exit_code(&ctx.stop, verdict, "groups")
}
