//! The whole conformance suite, recorded and replayed: `gws-conform run --record` captures
//! every scenario against the reference server; `gws-conform replay` of that capture against
//! the reference server finds no difference, every notification recorded having its
//! counterpart; and replayed against the server with each seeded fault of `Fault::ALL`, the
//! capture shows a difference for every one of them (those that change notifications, those
//! that change only what customers are shown in their responses, and the two that change only
//! Bayeux meta replies).
//!
//! The fault replays run in process, every group of every fault against its own embedded
//! server, many at once. The check that caught each fault is printed
//! (`cargo test --test replay_suite -- --nocapture`).

mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use gws_conform::check::Verdict;
use gws_conform::event::Outcome;
use gws_conform::profile::Profile;
use gws_conform::replay::batching::per_entry;
use gws_conform::replay::script::GroupPlan;
use gws_conform::replay::{Plan, ReplayContext, replay_group};
use gws_conform::server::{Fault, ServerConfig};
use serde_json::Value;
use support::{gws, json_lines, output_text};

/// Group replays running at once (each with its own server).
const PARALLEL: usize = 48;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// How many scenarios `scenarios/` holds.
fn scenario_count() -> usize {
    gws_conform::scenario::scenario_files(&repo().join("scenarios"))
        .unwrap()
        .len()
}

/// For each fault, the checks of the failing replay findings, each with the group of every
/// such finding (in group order).
fn replay_with_faults(plan: &Plan) -> BTreeMap<&'static str, BTreeMap<String, Vec<String>>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let permits = Arc::new(tokio::sync::Semaphore::new(PARALLEL));
        let mut tasks = Vec::new();
        for &fault in Fault::ALL {
            for group in &plan.groups {
                let (group, permits) = (Arc::new(group.clone()), permits.clone());
                tasks.push(tokio::spawn(async move {
                    let _permit = permits.acquire_owned().await.unwrap();
                    (fault, replay_one(group, fault).await)
                }));
            }
        }
        let mut shown: BTreeMap<&'static str, BTreeMap<String, Vec<String>>> = Fault::ALL
            .iter()
            .map(|f| (f.name(), BTreeMap::new()))
            .collect();
        for task in tasks {
            let (fault, (group, checks)) = task.await.expect("a replay panicked");
            for check in checks {
                let groups = shown.get_mut(fault.name()).unwrap().entry(check);
                groups.or_default().push(group.clone());
            }
        }
        shown
    })
}

/// Replays one group against a fresh server with `fault`; the group's name and the checks of
/// its failing findings: FAIL, and NON-STRICT for the faults of SHOULD requirements, which only
/// a `--strict` replay fails on (as in `run`).
async fn replay_one(group: Arc<GroupPlan>, fault: Fault) -> (String, Vec<String>) {
    let config = ServerConfig {
        faults: fault.into(),
        ..ServerConfig::default()
    };
    let server = support::server_with(config).await;
    let ctx = ReplayContext {
        deadline: Duration::from_secs(3),
        ..ReplayContext::new(server.base_url(), Profile::builtin())
    };
    let run = replay_group(group.clone(), &ctx).await;
    server.shutdown().await;
    let weighs = |verdict: Verdict| {
        verdict == Verdict::Fail || (fault.strict_only() && verdict == Verdict::NonStrict)
    };
    let checks = run
        .findings()
        .filter(|f| weighs(f.verdict))
        .map(|f| {
            assert!(
                f.requirement == "REPLAY-DIFF"
                    || f.requirement.starts_with("BAYEUX-")
                    || f.check == "schema"
                    || f.check == "invariant.index",
                "{f:?}"
            );
            f.check.clone()
        })
        .collect::<Vec<_>>();
    let failed = run.findings().any(|f| f.verdict == Verdict::Fail);
    assert_eq!(
        run.outcome == Outcome::Failed,
        failed,
        "{}: the outcome follows the findings",
        group.name
    );
    (group.name.clone(), checks)
}

#[test]
fn the_recorded_suite_replays_without_differences_and_shows_every_seeded_fault() {
    let dir = std::env::temp_dir().join(format!("gws-replay-suite-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let har = dir.join("suite.har");
    let har_arg = har.to_str().unwrap();

    let output = gws(&["run", "-q", "--record", har_arg]);
    assert_eq!(output.status.code(), Some(0), "{}", output_text(&output));

    let mut plan = Plan::read(&har).expect("the recording replays");
    plan.resolve_users(&Profile::builtin(), &[]).unwrap();
    assert_eq!(plan.groups.len(), scenario_count(), "a group per scenario");
    let recorded = plan.groups.iter().map(GroupPlan::notes).sum::<usize>();
    assert!(recorded > 500, "only {recorded} notifications recorded");

    // Clean: no difference, through the CLI, and every recorded notification was received.
    let report = dir.join("replay.jsonl");
    let output = gws(&[
        "replay",
        har_arg,
        "--as-fast-as-possible",
        "--json",
        report.to_str().unwrap(),
    ]);
    let shown = output_text(&output);
    assert_eq!(output.status.code(), Some(0), "{shown}");
    assert!(
        shown.contains(&format!("test result: ok. {} passed", plan.groups.len())),
        "{shown}"
    );
    let events = json_lines(&report);
    // Counted as replay pairs them: each log entry on its own.
    let received: usize = events
        .iter()
        .filter(|e| e["event"] == "notification")
        .map(|e| per_entry(e["data"].clone()).len())
        .sum();
    let failing: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "finding" && e["verdict"] != "INFO")
        .collect();
    assert!(failing.is_empty(), "{failing:#?}");
    // Beyond the recorded ones (all paired: none is missing), only notifications the
    // recording never fetched (its clean-up logged out between two long-polls).
    let unrecorded = events
        .iter()
        .filter(|e| e["event"] == "finding" && e["check"] == "replay.unrecorded")
        .count();
    assert_eq!(received, recorded + unrecorded);
    assert!(unrecorded < recorded / 20, "{unrecorded} not compared");

    // Every seeded fault shows.
    let shown = replay_with_faults(&plan);
    let mut unnoticed = Vec::new();
    for (fault, checks) in &shown {
        let summary: Vec<String> = checks
            .iter()
            .map(|(check, groups)| {
                let mut distinct = groups.clone();
                distinct.dedup();
                let (findings, groups) = (groups.len(), distinct.len());
                format!("{check} ({findings} in {groups} groups)")
            })
            .collect();
        println!("{fault:36} {}", summary.join(", "));
        if checks.is_empty() {
            unnoticed.push(*fault);
        }
    }
    assert!(
        unnoticed.is_empty(),
        "no difference shown for {unnoticed:?}"
    );
    // Each kind of fault shows where it should: a customer's body, a probe's refusal, advice.
    let caught_by = |fault: &str, check: &str| shown[fault].contains_key(check);
    assert!(caught_by("customer-sees-agent-messages", "replay.response"));
    assert!(caught_by("customer-sees-supervisors", "replay.response"));
    assert!(caught_by("bayeux-unknown-client-400", "replay.response"));
    assert!(caught_by("bayeux-no-advice", "bayeux.advice"));
    assert!(caught_by("bayeux-connect-refused-once", "bayeux.connect"));
    assert!(caught_by("join-order-swapped", "replay.order"));
    let _ = std::fs::remove_dir_all(&dir);
}
