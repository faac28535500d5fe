//! `gws-conform explore`: the command line of [`crate::explore`]. Prints the seed first (a
//! failure is reproducible with it), a line per failing exploration, the coverage, and on a
//! failure writes the shrunk scenario to `DIR/explore-<seed>.yaml`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;

use super::quiet::QuietArgs;
use super::run::parse_duration;
use super::seeding::SeedingArgs;
use super::suite::{CheckFiles, SuiteArgs};
use super::target::{RouteArgs, parse_target, route_to};
use super::trials::trial_runtime;
use crate::driver::bayeux::BayeuxConfig;
use crate::driver::format_duration;
use crate::exit;
use crate::explore::{Budget, Coverage, Executor, Outcome, Server, Settings, World, search};
use crate::profile::Profile;
use crate::run::{QuietCalibration, QuietPolicy, RunContext, check_reachable};
use crate::server::ServerConfig;

/// `explore`'s options.
#[derive(Debug, Args)]
pub struct ExploreArgs {
    /// The server to explore (`http://host:port`); without it, a fresh embedded reference
    /// server per exploration.
    #[arg(long, value_name = "URL", env = "GWS_CONFORM_TARGET")]
    pub target: Option<String>,
    /// `--proxy`, `--cacert`, `--insecure`.
    #[command(flatten)]
    pub route: RouteArgs,
    /// Target profile: users (`agent1`…, `supervisor1`…), passwords, ContactCenterId.
    #[arg(long, value_name = "FILE", env = "GWS_CONFORM_PROFILE")]
    pub profile: Option<PathBuf>,
    /// The seed (default: from the clock; printed, so that a run can be repeated).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Stop after this many operations in all.
    #[arg(long, value_name = "N", conflicts_with = "time", value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub steps: Option<u64>,
    /// Stop after this long (e.g. `60s`, `10m`; default `60s`).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub time: Option<Duration>,
    /// How many of each kind of actor: `agents=N,supervisors=N,customers=N` (default 3, 2, 4;
    /// the profile must have `agent1`… and `supervisor1`… for them).
    #[arg(long, value_name = "SPEC", default_value_t = World::default())]
    pub world: World,
    /// The most operations in one exploration (long enough that supervisors spend most of it
    /// in chats: the first operations only log people in and start monitoring).
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=1_000))]
    pub length: u64,
    /// How long shrinking a failure may take.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub shrink_time: Duration,
    /// How many explorations run at once (default: 4 against embedded servers, each its
    /// own; 1 against a target, whose users every exploration shares).
    #[arg(long = "jobs", short = 'j', value_name = "N", value_parser = clap::value_parser!(u64).range(1..=64))]
    pub jobs: Option<u64>,
    /// Where the shrunk scenario is written (`DIR/explore-<seed>.yaml`).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// NON-STRICT findings fail too.
    #[arg(long)]
    pub strict: bool,
    /// `--schemas`, `--fixtures`.
    #[command(flatten)]
    pub check_files: CheckFiles,
    /// `--scenarios`: where the requirement catalogue comes from.
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// Deadline of each HTTP request.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub request_timeout: Duration,
    /// Deadline of one exploration.
    #[arg(long, value_name = "DURATION", default_value = "300s", value_parser = parse_duration)]
    pub scenario_timeout: Duration,
    /// `--fault`, `--variant`: the embedded server's seeding.
    #[command(flatten)]
    pub seeding: SeedingArgs,
    /// `--quiet-scale`, `--quiet-min` (explore's windows are at least 50 ms whatever
    /// `--quiet-min` says).
    #[command(flatten)]
    pub quiet_windows: QuietArgs,
}

/// The shortest quiet window explore uses, whatever `--quiet-min` says.
const EXPLORE_QUIET_MIN: Duration = Duration::from_millis(50);

fn bad(message: impl std::fmt::Display) -> i32 {
    eprintln!("error: {message}");
    exit::BAD_INPUT
}

/// Checks that the profile has a user for every actor of the world.
fn check_world(profile: &Profile, world: World) -> Result<(), String> {
    let agents = (1..=world.agents).map(|n| format!("agent{n}"));
    let supervisors = (1..=world.supervisors).map(|n| format!("supervisor{n}"));
    let missing: Vec<String> = agents
        .chain(supervisors)
        .filter(|user| profile.credentials(user).is_err())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(format!(
        "--world {world} needs profile users {} (give a smaller --world, or a --profile with them)",
        missing.join(", ")
    ))
}

/// Runs the command; returns the exit code.
pub fn run(args: ExploreArgs) -> i32 {
    let suite = args.suite.suite();
    let catalogue = match suite.catalogue() {
        Ok(catalogue) => catalogue,
        Err(why) => return bad(why),
    };
    let verifier = match args.check_files.verifier() {
        Ok(verifier) => Arc::new(verifier.with_catalogue(catalogue.clone())),
        Err(why) => return bad(why),
    };
    let profile = match &args.profile {
        Some(path) => match Profile::load(path) {
            Ok(profile) => profile,
            Err(errors) => return super::run::problems(&errors, "profile"),
        },
        None => Profile::builtin(),
    };
    if let Err(why) = check_world(&profile, args.world) {
        return bad(why);
    }
    let target = match args.target.as_deref().or(profile.base_url.as_deref()) {
        Some(url) => match parse_target(url) {
            Ok(url) => Some(url),
            Err(why) => return bad(why),
        },
        None => None,
    };
    if let Some(target) = &target
        && let Err(why) = args.seeding.refuse_with_target(target)
    {
        return bad(why);
    }
    if target.is_some() && args.jobs.is_some_and(|jobs| jobs > 1) {
        return bad(
            "--jobs: against a target every exploration plays the same profile users, so they run one at a time",
        );
    }
    if !args.out.is_dir() {
        return bad(format!("--out {}: not a directory", args.out.display()));
    }
    let trust = match args.route.tls.trust() {
        Ok(trust) => trust,
        Err(code) => return code,
    };
    let route = match route_to(target.as_deref(), args.route.proxy.as_deref(), trust) {
        Ok(route) => route,
        Err(why) => return bad(why),
    };
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    });
    let budget = match (args.steps, args.time) {
        (Some(steps), _) => Budget::Steps(steps as usize),
        (None, Some(time)) => Budget::Time(time),
        (None, None) => Budget::Time(Duration::from_secs(60)),
    };
    let settings = Settings {
        world: args.world,
        seed,
        budget,
        length: args.length as usize,
        shrink_time: args.shrink_time,
        jobs: match (args.jobs, &target) {
            (Some(jobs), _) => jobs as usize,
            (None, Some(_)) => 1,
            (None, None) => 4,
        },
    };
    let runtime = match trial_runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    if let Some(target) = &target
        && let Err(why) = runtime.block_on(check_reachable(target, args.request_timeout, &route))
    {
        eprintln!("error: cannot reach the target {target}: {why}");
        return exit::COULD_NOT_RUN;
    }
    // Explore judges, in each operation's windows, what the previous one may still be
    // sending (notifications the documents allow but do not require): its windows need more
    // margin than a scenario's, whose steps wait for what they expect.
    let policy = args.quiet_windows.policy();
    let policy = QuietPolicy {
        floor: policy.floor.max(EXPLORE_QUIET_MIN),
        ..policy
    };
    let calibration = Arc::new(QuietCalibration::new(policy));
    let executor = Arc::new(Executor {
        ctx: RunContext {
            base_url: String::new(),
            profile,
            request_timeout: args.request_timeout,
            scenario_timeout: args.scenario_timeout,
            bayeux: BayeuxConfig {
                request_margin: args.request_timeout,
                ..BayeuxConfig::default()
            },
            verifier,
            record: None,
            route,
            quiet: calibration.clone(),
        },
        server: match &target {
            Some(target) => Server::Target(target.clone()),
            None => Server::Embedded(Box::new(
                args.seeding.seeded().apply(ServerConfig::default()),
            )),
        },
        catalogue: catalogue.clone(),
        strict: args.strict,
    });
    let against = target.as_deref().unwrap_or("the embedded reference server");
    let budget_text = match budget {
        Budget::Steps(n) => format!("{n} operations"),
        Budget::Time(t) => format_duration(t),
    };
    eprintln!(
        "explore: seed {seed} (repeat with --seed {seed}), world {}, {budget_text}, against {against}",
        args.world
    );
    let started = Instant::now();
    let outcome = search(&settings, &executor, &runtime, |explored| {
        if let Some(failure) = &explored.failure {
            eprintln!(
                "FAIL after {} operations: {} ({})",
                explored.ran, failure.requirement, failure.message
            );
        }
    });
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(why) => {
            eprintln!("error: {why}");
            return exit::COULD_NOT_RUN;
        }
    };
    let mut coverage = Coverage::default();
    for explored in &outcome.explored {
        coverage.add(args.world, &explored.ops, explored.ran);
    }
    print!("{coverage}");
    let never: Vec<&str> = catalogue
        .requirements()
        .iter()
        .map(|r| r.id.as_str())
        .filter(|id| !coverage.requirements.contains_key(*id))
        .collect();
    if !never.is_empty() {
        println!(
            "    cited by no step (the checks of every notification, schemas, invariants, visibility, repeats, ran on all of them): {}",
            never.join(", ")
        );
    }
    if let Some(summary) = calibration.summary() {
        println!("{}", crate::report::terminal::quiet_line(&summary));
    }
    report(
        &settings,
        &args,
        &outcome,
        &executor,
        &runtime,
        started.elapsed(),
    )
}

/// Writes the shrunk scenario, prints the verdict; returns the exit code.
fn report(
    settings: &Settings,
    args: &ExploreArgs,
    outcome: &Outcome,
    executor: &Executor,
    runtime: &tokio::runtime::Runtime,
    elapsed: Duration,
) -> i32 {
    let explorations = outcome.explored.len();
    for unconfirmed in &outcome.unconfirmed {
        if let Some(failure) = &unconfirmed.failure {
            println!(
                "note: not reproduced: {} ({}) after {} operations failed once and passed {} more runs: timing, not counted",
                failure.requirement,
                failure.message,
                unconfirmed.ran,
                crate::explore::search::CONFIRMATIONS
            );
        }
    }
    let Some(shrunk) = &outcome.shrunk else {
        println!(
            "explore: PASSED: {explorations} explorations, {} operations, no failure ({})",
            outcome.explored.iter().map(|e| e.ran).sum::<usize>(),
            format_duration(elapsed)
        );
        return exit::SUCCESS;
    };
    let compiled = crate::explore::search::compiled(settings, &shrunk.ops);
    let name = crate::explore::search::scenario_name(settings.seed);
    let path = args.out.join(format!("{name}.yaml"));
    if let Err(e) = crate::output::write(&path, compiled.yaml.as_bytes()) {
        eprintln!("error: cannot write {}: {e}", path.display());
        return exit::COULD_NOT_RUN;
    }
    // The file must show the failure on its own, as `run` will run it.
    let reproduced = runtime.block_on(executor.run(&name, &compiled));
    let reproduces = match &reproduced {
        Ok(Some(f)) if f.requirement == shrunk.failure.requirement => "it fails the same way",
        Ok(Some(_)) => "it fails, citing another requirement",
        Ok(None) => "WARNING: it passed when run alone (the failure depends on timing)",
        Err(_) => "WARNING: it could not run alone",
    };
    // The file's own run says what failed as `run` will say it (its waits are the written ones).
    let failure = match &reproduced {
        Ok(Some(f)) if f.requirement == shrunk.failure.requirement => f,
        _ => &shrunk.failure,
    };
    println!(
        "explore: FAILED: {} ({}) found after {} in exploration {explorations}, shrunk from {} to {} operations in {} runs",
        failure.requirement,
        failure.message,
        format_duration(shrunk.found_after),
        shrunk.found.ran,
        shrunk.ops.len(),
        shrunk.shrink_runs,
    );
    for (index, op) in shrunk.ops.iter().enumerate() {
        println!("  {}. {op}", index + 1);
    }
    let mut flags = match &args.target {
        None => seeding_flags(args),
        Some(target) => format!(" --target {target}"),
    };
    if args.strict {
        flags.push_str(" --strict");
    }
    println!(
        "wrote {} ({reproduces}); reproduce with `gws-conform run --scenarios {} --exact {name}{flags}`",
        path.display(),
        args.out.display(),
    );
    exit::FAILURES
}

/// The `--fault`/`--variant` flags that reproduce an embedded run's seeding.
fn seeding_flags(args: &ExploreArgs) -> String {
    let seeded = args.seeding.seeded();
    let faults = seeded.faults.iter().map(|f| format!(" --fault {f}"));
    let variants = seeded.variants.iter().map(|v| format!(" --variant {v}"));
    faults.chain(variants).collect()
}
