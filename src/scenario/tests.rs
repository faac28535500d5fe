//! Loader tests: a valid scenario loads; each kind of mistake is reported at its location.

use std::path::Path;

use super::*;
use model::ExpectedOutcome;

const VALID: &str = r#"
name: coach-join
description: The supervisor joins in Coach mode.
covers: [JOIN-ON-ACCEPT, CAP-COACH]
actors:
  agent: {role: agent, user: agent1, nickname: Ann}
  supervisor: {role: supervisor, user: supervisor1}
  customer: {role: customer}
steps:
  - login: agent
  - ready: agent
  - login: supervisor
  - monitor: {supervisor: supervisor, agent: agent, mode: Coach, scope: AllChats}
  - request_chat: {customer: customer, subject: Billing}
  - expect:
      actor: agent
      notifications:
        - match: {notificationType: StatusChange, chat.state: Invited}
          capture: {chat: chat.id}
  - chat_op: {actor: agent, chat: "${chat}", operation: Accept, params: {nickname: Ann}}
    capture: {accept_ref: referenceId}
  - expect:
      actor: supervisor
      order: exact
      notifications:
        - match: {notificationType: ParticipantsUpdated, chat.capabilities: {$capabilities_of: Coach}}
          fixture: chat-started-participants-updated
        - match: {notificationType: StatusChange, chat.id: "${chat}"}
        - match: {messageType: MessageLogUpdated}
  - chat_op: {actor: supervisor, chat: "${chat}", operation: SendMessage, params: {text: hi}}
    response: {status: 403, statusCode: 3}
  - http: {actor: supervisor, method: GET, path: "/api/v2/users/${agent.id}"}
    response: {match: {user.userName: agent1}}
"#;

fn load(text: &str) -> Result<Scenario, Vec<LoadError>> {
    let catalogue = Catalogue::builtin();
    load_str(text, Path::new("s.yaml"), &catalogue, &|name: &str| {
        name == "chat-started-participants-updated"
    })
}

fn errors(text: &str) -> Vec<String> {
    load(text)
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn a_valid_scenario_loads() {
    let scenario = load(VALID).unwrap();
    assert_eq!(scenario.name, "coach-join");
    assert_eq!(scenario.actors.len(), 3);
    assert_eq!(scenario.steps.len(), 10);
    assert_eq!(scenario.steps[0].position.line, 10);
    assert!(matches!(
        scenario.steps[8].response.outcome,
        ExpectedOutcome::Status { status: 403, .. }
    ));
    assert!(matches!(scenario.steps[5].action, Action::Expect(_)));
    assert_eq!(scenario.actor("customer").unwrap().nickname, "customer");
}

#[test]
fn unknown_keys_are_located_with_a_suggestion() {
    let text = VALID.replace("  - ready: agent", "  - raedy: agent");
    let found = errors(&text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("s.yaml:11:5: unknown field `raedy`"),
        "{found:?}"
    );
    assert!(
        found[0].contains("raedy") && found[0].contains("did you mean `ready`?"),
        "{found:?}"
    );
}

#[test]
fn semantic_errors_are_all_collected() {
    let text = VALID
        .replace("mode: Coach", "mode: Coch")
        .replace(
            "covers: [JOIN-ON-ACCEPT, CAP-COACH]",
            "covers: [JOIN-ON-ACCEPT, CAP-COACHING]",
        )
        .replace(
            "chat: \"${chat}\", operation: Accept",
            "chat: \"${chats}\", operation: Acept",
        )
        .replace(
            "fixture: chat-started-participants-updated",
            "fixture: nope",
        )
        .replace("actor: supervisor\n      order", "actor: boss\n      order");
    let found = errors(&text);
    let expect = [
        (
            "unknown requirement id `CAP-COACHING`",
            "did you mean `CAP-COACH`?",
        ),
        ("unknown mode `Coch`", "did you mean `Coach`?"),
        ("variable `${chats}` is used before", "did you mean `chat`?"),
        ("unknown chat operation `Acept`", "did you mean `Accept`?"),
        ("unknown actor `boss`", ""),
        ("unknown fixture `nope`", ""),
    ];
    for (message, help) in expect {
        assert!(
            found
                .iter()
                .any(|f| f.contains(message) && f.contains(help)),
            "missing {message:?} / {help:?} in {found:#?}"
        );
    }
    assert!(found.iter().all(|f| f.starts_with("s.yaml:")), "{found:?}");
}

/// Fixtures known by name, as the verifier knows them.
struct Named(&'static [&'static str]);

impl super::KnownFixtures for Named {
    fn has(&self, name: &str) -> bool {
        self.0.contains(&name)
    }

    fn names(&self) -> Vec<&str> {
        self.0.to_vec()
    }
}

#[test]
fn an_unknown_fixture_suggests_the_closest_known_one() {
    let text = VALID.replace(
        "fixture: chat-started-participants-updated",
        "fixture: chat-started-participant-updated",
    );
    let known = Named(&[
        "chat-started-participants-updated",
        "chat-completed-status-change",
    ]);
    let catalogue = Catalogue::builtin();
    let found = load_str(&text, Path::new("s.yaml"), &catalogue, &known).unwrap_err();
    let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert!(
        shown.iter().any(
            |f| f.contains("unknown fixture `chat-started-participant-updated`")
                && f.contains("did you mean `chat-started-participants-updated`?")
        ),
        "{shown:#?}"
    );
    assert!(load_str(VALID, Path::new("s.yaml"), &catalogue, &known).is_ok());
}

#[test]
fn roles_and_order_of_use_are_checked() {
    let text = VALID.replace("  - login: agent\n", "").replace(
        "monitor: {supervisor: supervisor, agent: agent",
        "monitor: {supervisor: agent, agent: agent",
    );
    let found = errors(&text);
    assert!(
        found
            .iter()
            .any(|f| f.contains("`agent` is used before any `login: agent` step")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|f| f.contains("needs an actor of role supervisor")),
        "{found:#?}"
    );
}

#[test]
fn steps_need_exactly_one_action() {
    let text = VALID.replace("  - ready: agent", "  - {ready: agent, logout: agent}");
    assert!(
        errors(&text)
            .iter()
            .any(|f| f.contains("exactly one action, this one has ready, logout"))
    );
    let text = VALID.replace("  - ready: agent", "  - note: nothing");
    assert!(
        errors(&text)
            .iter()
            .any(|f| f.contains("a step needs an action"))
    );
}

#[test]
fn malformed_yaml_is_located() {
    let found = errors("name: x\n  bad: [\n");
    assert_eq!(found.len(), 1);
    assert!(found[0].starts_with("s.yaml:"), "{found:?}");
    assert_eq!(errors("   \n"), ["s.yaml: the scenario file is empty"]);
}

#[test]
fn bad_matchers_are_located() {
    let text = VALID.replace("chat.state: Invited}", "chat.state: {$sett: [Invited]}}");
    let found = errors(&text);
    assert!(
        found
            .iter()
            .any(|f| f.contains("unknown matcher operator `$sett`")
                && f.contains("did you mean `$set`?")),
        "{found:#?}"
    );
}

#[test]
fn the_rendered_error_shows_the_snippet() {
    let text = VALID.replace("mode: Coach", "mode: Coch");
    let error = &load(&text).unwrap_err()[0];
    let shown = error.render();
    assert!(shown.contains("mode: Coch"), "{shown}");
    assert!(shown.contains("s.yaml:13:"), "{shown}");
}

#[test]
fn since_and_settle_load_and_their_mistakes_are_located() {
    let with = |extra: &str| format!("{VALID}{extra}");
    let scenario = load(&with(
        "  - expect: {actor: agent, quiet: 300, since: operation}\n  - settle: 250\n",
    ))
    .unwrap();
    let n = scenario.steps.len();
    match &scenario.steps[n - 2].action {
        Action::Expect(e) => assert_eq!(e.since, model::Since::Operation),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        scenario.steps[n - 1].action,
        Action::Settle(d) if d == std::time::Duration::from_millis(250)
    ));
    assert!(!scenario.steps[n - 1].action.is_operation());
    let bad = errors(&with(
        "  - expect: {actor: agent, quiet: 300, since: operations}\n",
    ));
    assert!(
        bad.iter()
            .any(|e| e.contains("unknown since `operations`") && e.contains("did you mean")),
        "{bad:?}"
    );
    let bad = errors(&with("  - settle: 100\n    response: {status: 200}\n"));
    assert!(
        bad.iter()
            .any(|e| e.contains("`settle` takes no `response`")),
        "{bad:?}"
    );
    let bad = errors(&with("  - settle: later\n"));
    assert!(!bad.is_empty());
}
