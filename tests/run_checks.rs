//! Each kind of check the runner makes fails when the server's answer differs from what the
//! scenario states: response status, statusCode, body matchers, captures, expectations in
//! sequence, exact order, any order, quiet periods, and documented-example diffs. Each test runs
//! a small scenario against an embedded reference server through the library API.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use gws_conform::check::Verdict;
use gws_conform::driver::bayeux::BayeuxConfig;
use gws_conform::driver::route::Route;
use gws_conform::event::{Outcome, RunEvent};
use gws_conform::profile::Profile;
use gws_conform::run::{RunContext, ScenarioRun, Verifier, run_scenario};
use gws_conform::scenario::load_str;
use gws_conform::server::{ServerConfig, start};
use gws_conform::spec::Catalogue;

const PREAMBLE: &str = r#"
name: check
description: A check that must fail.
covers: [CAP-COACH]
actors:
  agent: {role: agent, user: agent1}
  supervisor: {role: supervisor, user: supervisor1}
  customer: {role: customer, nickname: Chris}
steps:
  - login: agent
  - ready: agent
  - login: supervisor
  - monitor: {supervisor: supervisor, agent: agent, mode: Coach}
  - request_chat: {customer: customer}
  - expect:
      actor: agent
      notifications:
        - match: {notificationType: StatusChange, chat.state: Invited}
          capture: {chat: chat.id}
  - chat_op: {actor: agent, chat: "${chat}", operation: Accept}
"#;

async fn run(steps: &str) -> ScenarioRun {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let verifier = Verifier::load(&repo.join("schemas"), &repo.join("fixtures"))
        .expect("schemas and fixtures load");
    let text = format!("{PREAMBLE}{steps}");
    let scenario = load_str(
        &text,
        Path::new("check.yaml"),
        &Catalogue::builtin(),
        &verifier,
    )
    .unwrap_or_else(|e| {
        panic!(
            "{}",
            e.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    let server = start(
        ServerConfig::default(),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();
    let ctx = RunContext {
        base_url: server.base_url(),
        profile: Profile::builtin(),
        request_timeout: Duration::from_secs(5),
        scenario_timeout: Duration::from_secs(30),
        bayeux: BayeuxConfig::default(),
        verifier: Arc::new(verifier),
        record: None,
        route: Route::default(),
        quiet: Default::default(),
    };
    let result = run_scenario(&scenario, &ctx).await;
    server.shutdown().await;
    result
}

/// Asserts the run failed through `check`, citing `requirement`, with `needle` in the message.
fn assert_fails(run: &ScenarioRun, check: &str, requirement: &str, needle: &str) {
    assert_eq!(run.outcome, Outcome::Failed);
    let found = run.findings().any(|f| {
        f.check == check
            && f.requirement == requirement
            && f.verdict == Verdict::Fail
            && f.message.contains(needle)
    });
    assert!(
        found,
        "no {check} failure citing {requirement} containing {needle:?}: {:#?}",
        run.findings().collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn the_preamble_alone_passes() {
    let run = run("").await;
    assert_eq!(
        run.outcome,
        Outcome::Passed,
        "{:#?}",
        run.findings().collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_wrong_http_status_fails() {
    let steps = r#"
  - chat_op: {actor: supervisor, chat: "${chat}", operation: SendToAgents, params: {text: hi}}
    response: {status: 403}
"#;
    assert_fails(
        &run(steps).await,
        "response.status",
        "OP-SENDTOAGENTS",
        "expected HTTP 403, got HTTP 200",
    );
}

#[tokio::test]
async fn a_wrong_status_code_fails() {
    let steps = r#"
  - chat_op: {actor: supervisor, chat: "${chat}", operation: SendMessage, params: {text: hi}}
    response: {status: 403, statusCode: 5}
"#;
    assert_fails(
        &run(steps).await,
        "response.statusCode",
        "OP-SENDMESSAGE",
        "expected statusCode 5, got 3",
    );
}

#[tokio::test]
async fn a_body_matcher_fails() {
    let steps = r#"
  - customer_view: {customer: customer}
    response: {match: {chat.state: WaitingForAgent}}
"#;
    assert_fails(
        &run(steps).await,
        "response.match",
        "VIS-CUSTOMER",
        "chat.state: expected \"WaitingForAgent\", found \"Chatting\"",
    );
}

#[tokio::test]
async fn a_missing_capture_fails() {
    let steps = r#"
  - customer_view: {customer: customer}
    capture: {nothing: chat.noSuchField}
"#;
    assert_fails(
        &run(steps).await,
        "capture",
        "VIS-CUSTOMER",
        "cannot capture `nothing`",
    );
}

#[tokio::test]
async fn an_expected_notification_that_never_comes_fails() {
    let steps = r#"
  - expect:
      actor: supervisor
      within: 500
      notifications:
        - match: {notificationType: StatusChange, chat.state: Revoked}
"#;
    assert_fails(
        &run(steps).await,
        "expect",
        "CAP-COACH",
        "no notification matching",
    );
}

#[tokio::test]
async fn the_wrong_order_fails_an_exact_expectation_and_the_scenario_goes_on() {
    let steps = r#"
  - expect:
      actor: supervisor
      order: exact
      notifications:
        - match: {notificationType: StatusChange}
        - match: {notificationType: ParticipantsUpdated}
  - expect:
      actor: supervisor
      notifications:
        - match: {messageType: MessageLogUpdated}
"#;
    let run = run(steps).await;
    assert_fails(
        &run,
        "expect.order",
        "CAP-COACH",
        "every expected notification arrived, but not exactly in the listed order",
    );
    let order = run
        .findings()
        .find(|f| f.check == "expect.order")
        .expect("the order finding");
    assert!(
        order.details.iter().any(|d| d.contains("(item 2)")),
        "the evidence says which item each notification matched: {order:#?}"
    );
    assert!(
        run.events.iter().any(|e| matches!(
            e,
            gws_conform::event::RunEvent::Step { step, passed: true, .. } if *step == 7
        )),
        "the next step still ran"
    );
}

#[tokio::test]
async fn an_exact_expectation_whose_item_never_arrives_says_what_came_instead() {
    let steps = r#"
  - expect:
      actor: supervisor
      order: exact
      within: 500
      notifications:
        - match: {notificationType: ParticipantsUpdated}
        - match: {notificationType: StatusChange, chat.state: Revoked}
"#;
    assert_fails(
        &run(steps).await,
        "expect.order",
        "CAP-COACH",
        "does not match notificationType = \"StatusChange\", chat.state = \"Revoked\"",
    );
}

#[tokio::test]
async fn an_order_only_failure_cites_the_order_requirement_at_its_level() {
    let steps = r#"
  - expect:
      actor: supervisor
      order: exact
      order_requirement: JOIN-ORDER
      notifications:
        - match: {notificationType: StatusChange}
        - match: {notificationType: ParticipantsUpdated}
"#;
    let run = run(steps).await;
    let order = run
        .findings()
        .find(|f| f.check == "expect.order")
        .unwrap_or_else(|| panic!("{:#?}", run.findings().collect::<Vec<_>>()));
    assert_eq!(order.requirement, "JOIN-ORDER");
    assert_eq!(order.verdict, Verdict::NonStrict, "JOIN-ORDER is a SHOULD");
    assert_eq!(run.outcome, Outcome::Passed);
}

#[tokio::test]
async fn any_order_needs_distinct_notifications() {
    let steps = r#"
  - expect:
      actor: supervisor
      order: any
      within: 500
      notifications:
        - match: {notificationType: StatusChange}
        - match: {notificationType: StatusChange}
"#;
    assert_fails(
        &run(steps).await,
        "expect",
        "CAP-COACH",
        "no notification matched",
    );
}

#[tokio::test]
async fn a_notification_during_a_quiet_period_fails() {
    let steps = r#"
  - expect:
      actor: supervisor
      notifications:
        - match: {notificationType: ParticipantsUpdated}
      quiet: 300
"#;
    assert_fails(
        &run(steps).await,
        "expect.quiet",
        "CAP-COACH",
        "expected nothing more",
    );
}

#[tokio::test]
async fn a_notification_unlike_the_documented_example_is_a_non_strict_difference() {
    // The supervisor's StatusChange diffed against the documented Revoked example.
    let steps = r#"
  - expect:
      actor: supervisor
      notifications:
        - match: {notificationType: StatusChange}
          fixture: chat-completed-status-change-revoked
"#;
    let run = run(steps).await;
    // NOTIF-EXAMPLE is a SHOULD: the difference is reported NON-STRICT, a plain run passes.
    let diff = run
        .findings()
        .find(|f| f.requirement == "NOTIF-EXAMPLE" && f.verdict == Verdict::NonStrict)
        .unwrap_or_else(|| panic!("{:#?}", run.findings().collect::<Vec<_>>()));
    assert!(
        diff.details
            .iter()
            .any(|d| d.contains("-") && d.contains("Revoked")),
        "{diff:#?}"
    );
    assert_eq!(run.outcome, Outcome::Passed);
}

#[tokio::test]
async fn a_structured_mismatch_is_shown_as_a_unified_diff() {
    let steps = r#"
  - customer_view: {customer: customer}
    response: {match: {chat.capabilities: [SendMessage, Complete]}}
"#;
    let run = run(steps).await;
    let finding = run
        .findings()
        .find(|f| f.check == "response.match")
        .unwrap_or_else(|| panic!("{:#?}", run.findings().collect::<Vec<_>>()));
    let diff = finding
        .details
        .iter()
        .find(|d| d.starts_with("--- expected at chat.capabilities"))
        .expect("a unified diff");
    assert!(diff.contains("+++ actual at chat.capabilities"), "{diff}");
    assert!(
        diff.contains("+  \"SendStartTypingNotification\","),
        "{diff}"
    );
}

#[tokio::test]
async fn log_entries_are_found_in_any_grouping_and_a_missing_one_fails() {
    let found = r#"
  - expect:
      actor: supervisor
      entries:
        - {type: ParticipantJoined, from.nickname: Chris}
        - {type: ParticipantJoined, from.type: Agent}
"#;
    let passed = run(found).await;
    assert_eq!(
        passed.outcome,
        Outcome::Passed,
        "{:#?}",
        passed.findings().collect::<Vec<_>>()
    );
    let missing = r#"
  - expect:
      actor: supervisor
      within: 500
      entries:
        - {type: ParticipantJoined, from.nickname: Chris}
        - {type: Text, text: never sent}
"#;
    assert_fails(
        &run(missing).await,
        "expect",
        "CAP-COACH",
        "no log entry matched: type = \"Text\", text = \"never sent\"",
    );
}

#[tokio::test]
async fn since_operation_passes_over_what_came_before_the_operation() {
    // The supervisor's join notifications came before the cancel, which sends nothing.
    let quiet_since_cancel = r#"
  - settle: 300
  - cancel_monitoring: {supervisor: supervisor, agent: agent}
  - expect: {actor: supervisor, quiet: 300, since: operation}
"#;
    let run_since = run(quiet_since_cancel).await;
    assert_eq!(
        run_since.outcome,
        Outcome::Passed,
        "{:#?}",
        run_since.findings().collect::<Vec<_>>()
    );
    // Without `since`, the same window judges the join notifications too.
    let from_expectation = quiet_since_cancel.replace(", since: operation", "");
    assert_fails(
        &run(&from_expectation).await,
        "expect.quiet",
        "CAP-COACH",
        "expected nothing more",
    );
    // Items look only after the operation as well: the join's ParticipantsUpdated is passed over.
    let items = r#"
  - settle: 300
  - cancel_monitoring: {supervisor: supervisor, agent: agent}
  - expect:
      actor: supervisor
      since: operation
      within: 500
      notifications:
        - match: {notificationType: ParticipantsUpdated}
"#;
    assert_fails(
        &run(items).await,
        "expect",
        "CAP-COACH",
        "no notification matching notificationType = \"ParticipantsUpdated\" within 500 ms",
    );
}

#[tokio::test]
async fn since_operation_still_judges_what_the_operation_sent() {
    let steps = r#"
  - settle: 300
  - chat_op: {actor: agent, chat: "${chat}", operation: SendMessage, params: {text: hello}}
  - expect: {actor: supervisor, quiet: 300, since: operation}
"#;
    assert_fails(
        &run(steps).await,
        "expect.quiet",
        "CAP-COACH",
        "expected nothing more",
    );
}

#[tokio::test]
async fn what_an_operation_sent_is_charged_to_the_window_after_it_whatever_came_between() {
    // The supervisor's copy of the message arrives while the agent's window runs; the steps
    // between the operation and the supervisor's window do not make it the join's deviation.
    let steps = r#"
  - covers: [JOIN-NOTIFICATIONS]
    expect:
      actor: supervisor
      notifications:
        - match: {notificationType: StatusChange}
  - settle: 300
  - chat_op: {actor: agent, chat: "${chat}", operation: SendMessage, params: {text: hello}}
  - expect:
      actor: agent
      since: operation
      entries:
        - {type: Text, text: hello}
  - expect: {actor: agent, quiet: 200}
  - settle: 300
  - covers: [OP-SENDMESSAGE]
    expect: {actor: supervisor, quiet: 300, since: operation}
"#;
    assert_fails(
        &run(steps).await,
        "expect.quiet",
        "OP-SENDMESSAGE",
        "expected nothing more",
    );
}

#[tokio::test]
async fn what_an_actor_received_before_it_logged_in_again_is_kept_and_numbered_on() {
    let steps = r#"
  - settle: 300
  - logout: agent
  - login: agent
  - settle: 300
"#;
    let run = run(steps).await;
    let received: Vec<(u64, &serde_json::Value)> = run
        .events
        .iter()
        .filter_map(|event| match event {
            RunEvent::Notification {
                actor, seq, data, ..
            } if actor == "agent" => Some((*seq, data)),
            _ => None,
        })
        .collect();
    let seqs: Vec<u64> = received.iter().map(|(seq, _)| *seq).collect();
    assert!(
        seqs.windows(2).all(|pair| pair[0] < pair[1]),
        "one numbering across the two sessions: {seqs:?}"
    );
    assert!(
        received
            .iter()
            .any(|(_, data)| data["chat"]["state"] == "Invited"),
        "the first session's offer is among the run's notifications"
    );
}
