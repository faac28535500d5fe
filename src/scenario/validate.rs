//! Turns the on-disk shape into the validated model, collecting every problem with its
//! location: unknown actors, wrong roles, unknown requirement ids and fixtures, bad enumerated
//! values (with suggestions), malformed matchers, variables used before any step defines them.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;
use serde_json::Value;
use serde_saphyr::{Location, Spanned};

use super::diagnostic::LoadError;
use super::matcher::Matchers;
use super::model::{
    Action, Actor, Capture, CoversFrom, CustomerOperation, Expectation, ExpectedNotification,
    ExpectedOutcome, Mode, Order, Position, ResponseCheck, Role, Scenario, Since, StatusCodeCheck,
    Step,
};
use super::path::JsonPath;
use super::raw::{
    RawCaptures, RawExpect, RawMatchers, RawRefuses, RawResponse, RawScenario, RawStep,
};
use super::suggest::did_you_mean;
use super::template::{is_valid_name, variables_in, variables_in_value};
use crate::bayeux::ChannelName;
use crate::spec::Catalogue;

/// Every chat operation an agent or supervisor may send (for suggestions on typos). The replay
/// treats each as confined to its chat unless `replay::footprint` lists it as reaching beyond it
/// or parting: a new operation that reaches further belongs there.
pub const CHAT_OPERATIONS: &[&str] = &[
    "Accept",
    "Reject",
    "Leave",
    "Complete",
    "SendMessage",
    "SendStartTypingNotification",
    "SendStopTypingNotification",
    "SendToAgents",
    "SendStartTypingToAgentsNotification",
    "SendStopTypingToAgentsNotification",
    "SetInFocus",
    "SetDisposition",
    "AttachUserData",
    "UpdateUserData",
    "DeleteUserData",
    "AddComment",
    "Transfer",
    "Invite",
    "Consult",
    "SwitchToMonitor",
    "SwitchToCoach",
    "SwitchToBargeIn",
];

const ROLES: &[&str] = &["agent", "supervisor", "customer"];
const MODES: &[&str] = &["Monitor", "Coach", "BargeIn"];
const SCOPES: &[&str] = &["NextChat", "AllChats"];
const ORDERS: &[&str] = &["sequence", "exact", "any"];
const SINCE: &[&str] = &["expectation", "operation"];
const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH"];
const OUTCOMES: &[&str] = &["success", "refused", "success_or_refused"];
/// The longest wait a scenario may ask for.
const MAX_WAIT_MS: u64 = 600_000;
/// How long an expectation waits by default.
pub const DEFAULT_WITHIN_MS: u64 = 5_000;

/// What the validator needs besides the file.
pub struct Context<'a> {
    /// The scenario file.
    pub file: &'a Path,
    /// Its text.
    pub source: &'a Arc<str>,
    /// The requirement catalogue.
    pub catalogue: &'a Catalogue,
    /// The fixtures that exist.
    pub fixtures: &'a dyn super::KnownFixtures,
}

struct Validator<'a> {
    ctx: &'a Context<'a>,
    errors: Vec<LoadError>,
    actors: Vec<Actor>,
    /// Variables defined by the steps so far.
    defined: HashSet<String>,
    logged_in: HashSet<String>,
    chatting_customers: HashSet<String>,
}

fn position(location: &Location) -> Position {
    Position::from(*location)
}

impl Validator<'_> {
    fn error(&mut self, location: &Location, message: impl Into<String>) {
        let error = LoadError::at(
            self.ctx.file,
            self.ctx.source,
            Some(position(location)),
            message,
        );
        self.errors.push(error);
    }

    fn error_with_help(&mut self, location: &Location, message: impl Into<String>, help: String) {
        let error = LoadError::at(
            self.ctx.file,
            self.ctx.source,
            Some(position(location)),
            message,
        )
        .with_help(help);
        self.errors.push(error);
    }

    /// Parses an enumerated value, reporting it with a suggestion when unknown.
    fn one_of(&mut self, value: &Spanned<String>, what: &str, allowed: &[&str]) -> Option<String> {
        if allowed.contains(&value.value.as_str()) {
            return Some(value.value.clone());
        }
        let suggestion = did_you_mean(&value.value, allowed);
        let message = format!(
            "unknown {what} `{}`; expected one of {}",
            value.value,
            allowed.join(", ")
        );
        self.error_with_help(&value.referenced, message, suggestion);
        None
    }

    fn requirement_ids(&mut self, ids: &[Spanned<String>]) -> Vec<String> {
        let known: Vec<&str> = self
            .ctx
            .catalogue
            .requirements()
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        let mut out = Vec::new();
        for id in ids {
            if self.ctx.catalogue.get(&id.value).is_none() {
                let help = did_you_mean(&id.value, &known);
                let message = format!(
                    "unknown requirement id `{}` (not in scenarios/requirements.yaml)",
                    id.value
                );
                self.error_with_help(&id.referenced, message, help);
            }
            out.push(id.value.clone());
        }
        out
    }

    /// Resolves an actor reference and checks its role.
    fn actor(&mut self, name: &Spanned<String>, roles: &[Role], action: &str) -> Option<String> {
        let Some(actor) = self.actors.iter().find(|a| a.name == name.value) else {
            let names: Vec<&str> = self.actors.iter().map(|a| a.name.as_str()).collect();
            let help = did_you_mean(&name.value, &names);
            self.error_with_help(
                &name.referenced,
                format!("unknown actor `{}`", name.value),
                help,
            );
            return None;
        };
        if !roles.contains(&actor.role) {
            let wanted: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            let article = if actor.role == Role::Agent { "an" } else { "a" };
            let message = format!(
                "`{action}` needs an actor of role {}, but `{}` is {article} {}",
                wanted.join(" or "),
                actor.name,
                actor.role.as_str()
            );
            self.error(&name.referenced, message);
            return None;
        }
        Some(actor.name.clone())
    }

    /// An agent or supervisor that must have logged in already.
    fn logged_in_actor(
        &mut self,
        name: &Spanned<String>,
        roles: &[Role],
        action: &str,
    ) -> Option<String> {
        let actor = self.actor(name, roles, action)?;
        if !self.logged_in.contains(&actor) {
            self.error(
                &name.referenced,
                format!("`{actor}` is used before any `login: {actor}` step"),
            );
        }
        Some(actor)
    }

    /// A customer that must have requested a chat already.
    fn chatting_customer(&mut self, name: &Spanned<String>, action: &str) -> Option<String> {
        let actor = self.actor(name, &[Role::Customer], action)?;
        if !self.chatting_customers.contains(&actor) {
            self.error(
                &name.referenced,
                format!("customer `{actor}` is used before its `request_chat` step"),
            );
        }
        Some(actor)
    }

    fn uses(&mut self, location: &Location, names: Vec<String>) {
        for name in names {
            if !self.defined.contains(&name) {
                let known: Vec<&str> = self.defined.iter().map(String::as_str).collect();
                let help = did_you_mean(&name, &known);
                let message = format!("variable `${{{name}}}` is used before any step captures it");
                self.error_with_help(location, message, help);
            }
        }
    }

    fn matchers(&mut self, raw: &RawMatchers, location: &Location) -> Matchers {
        let mut parsed = Vec::new();
        for (path, value) in raw {
            match Matchers::parse([(path.as_str(), &value.value)]) {
                Ok(Matchers(mut pairs)) => {
                    let used: Vec<String> = pairs.iter().flat_map(|(_, m)| m.variables()).collect();
                    self.uses(&value.referenced, used);
                    parsed.append(&mut pairs);
                }
                Err(message) => self.error(&value.referenced, message),
            }
        }
        if raw.is_empty() {
            self.error(location, "`match` needs at least one `path: matcher`");
        }
        Matchers(parsed)
    }

    fn captures(&mut self, raw: Option<&RawCaptures>) -> Vec<Capture> {
        let mut out = Vec::new();
        for (name, path) in raw.into_iter().flatten() {
            if !is_valid_name(name) {
                self.error(
                    &path.referenced,
                    format!("`{name}` is not a valid variable name"),
                );
                continue;
            }
            let (text, optional) = match path.value.strip_suffix('?') {
                Some(text) => (text, true),
                None => (path.value.as_str(), false),
            };
            match JsonPath::parse(text) {
                Ok(json_path) => out.push(Capture {
                    name: name.clone(),
                    path: json_path,
                    optional,
                }),
                Err(message) => self.error(&path.referenced, message),
            }
        }
        out
    }

    fn response(&mut self, raw: &Spanned<RawResponse>) -> ResponseCheck {
        let mut check = ResponseCheck::default();
        if let Some(matchers) = &raw.value.matchers {
            check.matchers = self.matchers(matchers, &raw.referenced);
        }
        if let Some(outcome) = &raw.value.outcome {
            if raw.value.status.is_some() || raw.value.status_code.is_some() {
                self.error(
                    &outcome.referenced,
                    "`outcome` stands for a status and statusCode: give one or the other",
                );
            }
            check.outcome = match self.one_of(outcome, "outcome", OUTCOMES).as_deref() {
                Some("refused") => ExpectedOutcome::Refused,
                Some("success_or_refused") => ExpectedOutcome::SuccessOrRefused,
                _ => ExpectedOutcome::SUCCESS,
            };
            return check;
        }
        let mut status = 200;
        if let Some(given) = &raw.value.status {
            if !(100..=599).contains(&given.value) {
                self.error(
                    &given.referenced,
                    format!("HTTP status {} is out of range", given.value),
                );
            }
            status = given.value;
        }
        let status_code = match &raw.value.status_code {
            Some(code) => match &code.value {
                Value::Number(n) if n.as_u64().is_some() => {
                    StatusCodeCheck::Exactly(n.as_u64().unwrap_or_default())
                }
                Value::String(s) if s == "any_error" => StatusCodeCheck::AnyError,
                _ => {
                    self.error(
                        &code.referenced,
                        "`statusCode` is a non-negative integer or `any_error`",
                    );
                    StatusCodeCheck::AnyError
                }
            },
            // A refusal without an explicit statusCode: any GWS error code will do.
            None if status != 200 => StatusCodeCheck::AnyError,
            None => StatusCodeCheck::Exactly(0),
        };
        check.outcome = ExpectedOutcome::Status {
            status,
            status_code,
        };
        check
    }

    fn wait(&mut self, value: &Spanned<u64>, what: &str) -> Duration {
        if value.value > MAX_WAIT_MS {
            self.error(
                &value.referenced,
                format!("`{what}` is at most {MAX_WAIT_MS} ms"),
            );
        }
        Duration::from_millis(value.value.min(MAX_WAIT_MS))
    }

    fn expectation(&mut self, raw: &Spanned<RawExpect>) -> Option<Expectation> {
        let expect = &raw.value;
        let actor = self.logged_in_actor(&expect.actor, &[Role::Agent, Role::Supervisor], "expect");
        let order = match &expect.order {
            None => Some(Order::Sequence),
            Some(order) => self
                .one_of(order, "order", ORDERS)
                .map(|o| match o.as_str() {
                    "exact" => Order::Exact,
                    "any" => Order::Any,
                    _ => Order::Sequence,
                }),
        };
        let within = match &expect.within {
            Some(w) if w.value == 0 => {
                self.error(&w.referenced, "`within` must be positive");
                Duration::ZERO
            }
            Some(w) => self.wait(w, "within"),
            None => Duration::from_millis(DEFAULT_WITHIN_MS),
        };
        let quiet = expect.quiet.as_ref().map(|q| self.wait(q, "quiet"));
        let since = match &expect.since {
            None => Since::Expectation,
            Some(since) => match self.one_of(since, "since", SINCE).as_deref() {
                Some("operation") => Since::Operation,
                _ => Since::Expectation,
            },
        };
        let channel = match &expect.channel {
            Some(channel) => match ChannelName::parse(&channel.value) {
                Ok(_) => channel.value.clone(),
                Err(e) => {
                    self.error(&channel.referenced, e.to_string());
                    channel.value.clone()
                }
            },
            None => "/v2/me/chats".to_owned(),
        };
        if expect.notifications.is_empty() && expect.entries.is_empty() && quiet.is_none() {
            self.error(
                &raw.referenced,
                "`expect` needs `notifications` or `entries`, or `quiet` to state that nothing arrives",
            );
        }
        if !expect.notifications.is_empty() && !expect.entries.is_empty() {
            self.error(
                &raw.referenced,
                "`expect` takes `notifications` or `entries`, not both (use two steps)",
            );
        }
        let entries = expect
            .entries
            .iter()
            .map(|entry| self.matchers(&entry.value, &entry.referenced))
            .collect();
        let mut items = Vec::new();
        for item in &expect.notifications {
            let matchers = self.matchers(&item.value.matchers, &item.referenced);
            let count = match &item.value.count {
                Some(c) if c.value == 0 => {
                    self.error(&c.referenced, "`count` must be at least 1");
                    1
                }
                Some(c) => c.value,
                None => 1,
            };
            if let Some(fixture) = &item.value.fixture
                && !self.ctx.fixtures.has(&fixture.value)
            {
                let help = did_you_mean(&fixture.value, &self.ctx.fixtures.names());
                self.error_with_help(
                    &fixture.referenced,
                    format!(
                        "unknown fixture `{}` (no fixtures/{}.json)",
                        fixture.value, fixture.value
                    ),
                    help,
                );
            }
            let captures = self.captures(item.value.capture.as_ref());
            // An item may use what an earlier one captured: in sequence and exact order items
            // match one after the other, and in any order an item is tried again once others
            // have matched.
            self.defined.extend(captures.iter().map(|c| c.name.clone()));
            let covers = item
                .value
                .covers
                .as_ref()
                .map(|ids| self.requirement_ids(ids))
                .unwrap_or_default();
            items.push(ExpectedNotification {
                position: position(&item.referenced),
                matchers,
                count,
                captures,
                fixture: item.value.fixture.as_ref().map(|f| f.value.clone()),
                covers,
            });
        }
        let order_requirement = expect.order_requirement.as_ref().and_then(|id| {
            if order == Some(Order::Any) {
                self.error(
                    &id.referenced,
                    "`order_requirement` is for `order: sequence` or `exact`",
                );
            }
            self.requirement_ids(std::slice::from_ref(id)).pop()
        });
        Some(Expectation {
            actor: actor?,
            order: order?,
            within,
            channel,
            quiet,
            since,
            order_requirement,
            items,
            entries,
        })
    }

    fn step(&mut self, raw: &Spanned<RawStep>, scenario_covers: &[String]) -> Option<Step> {
        let step = &raw.value;
        let present: Vec<&str> = [
            ("login", step.login.is_some()),
            ("ready", step.ready.is_some()),
            ("not_ready", step.not_ready.is_some()),
            ("logout", step.logout.is_some()),
            ("monitor", step.monitor.is_some()),
            ("cancel_monitoring", step.cancel_monitoring.is_some()),
            ("request_chat", step.request_chat.is_some()),
            ("customer_op", step.customer_op.is_some()),
            ("customer_view", step.customer_view.is_some()),
            ("customer_messages", step.customer_messages.is_some()),
            ("chat_op", step.chat_op.is_some()),
            ("http", step.http.is_some()),
            ("expect", step.expect.is_some()),
            (
                "bayeux_unknown_client",
                step.bayeux_unknown_client.is_some(),
            ),
            ("refuses", step.refuses.is_some()),
            ("settle", step.settle.is_some()),
        ]
        .into_iter()
        .filter_map(|(key, set)| set.then_some(key))
        .collect();
        if present.len() != 1 {
            let message = if present.is_empty() {
                "a step needs an action: one of login, ready, not_ready, logout, monitor, cancel_monitoring, request_chat, customer_op, customer_view, customer_messages, chat_op, refuses, http, expect, settle, bayeux_unknown_client".to_owned()
            } else {
                format!(
                    "a step has exactly one action, this one has {}",
                    present.join(", ")
                )
            };
            self.error(&raw.referenced, message);
            return None;
        }
        let declared = step.covers.as_ref().map(|ids| self.requirement_ids(ids));
        let agent_like = [Role::Agent, Role::Supervisor];
        let action = if let Some(name) = &step.login {
            let actor = self.actor(name, &agent_like, "login");
            if let Some(actor) = &actor {
                self.logged_in.insert(actor.clone());
                for suffix in ["id", "uri", "path"] {
                    self.defined.insert(format!("{actor}.{suffix}"));
                }
            }
            actor.map(Action::Login)
        } else if let Some(name) = &step.ready {
            self.logged_in_actor(name, &agent_like, "ready")
                .map(Action::Ready)
        } else if let Some(name) = &step.not_ready {
            self.logged_in_actor(name, &agent_like, "not_ready")
                .map(Action::NotReady)
        } else if let Some(name) = &step.logout {
            self.logged_in_actor(name, &agent_like, "logout")
                .map(Action::Logout)
        } else if let Some(monitor) = &step.monitor {
            let m = &monitor.value;
            let supervisor = self.logged_in_actor(&m.supervisor, &[Role::Supervisor], "monitor");
            let agent = self.logged_in_actor(&m.agent, &agent_like, "monitor");
            let mode = self
                .one_of(&m.mode, "mode", MODES)
                .and_then(|s| Mode::parse(&s));
            let scope = match &m.scope {
                Some(scope) => Some(self.one_of(scope, "scope", SCOPES)?),
                None => None,
            };
            Some(Action::Monitor {
                supervisor: supervisor?,
                agent: agent?,
                mode: mode?,
                scope,
                nickname: m.nickname.clone(),
            })
        } else if let Some(cancel) = &step.cancel_monitoring {
            let supervisor = self.logged_in_actor(
                &cancel.value.supervisor,
                &[Role::Supervisor],
                "cancel_monitoring",
            );
            let agent = self.logged_in_actor(&cancel.value.agent, &agent_like, "cancel_monitoring");
            Some(Action::CancelMonitoring {
                supervisor: supervisor?,
                agent: agent?,
            })
        } else if let Some(request) = &step.request_chat {
            let customer = self.actor(&request.value.customer, &[Role::Customer], "request_chat");
            if let Some(customer) = &customer {
                self.chatting_customers.insert(customer.clone());
            }
            let user_data = request.value.user_data.as_ref().map(|u| {
                if !u.value.is_object() {
                    self.error(&u.referenced, "`user_data` is a map");
                }
                self.uses(&u.referenced, variables_in_value(&u.value));
                u.value.clone()
            });
            Some(Action::RequestChat {
                customer: customer?,
                subject: request.value.subject.clone(),
                user_data,
            })
        } else if let Some(op) = &step.customer_op {
            let customer = self.chatting_customer(&op.value.customer, "customer_op");
            let names: Vec<&str> = CustomerOperation::ALL.iter().map(|(n, _)| *n).collect();
            let operation = self
                .one_of(&op.value.operation, "customer operation", &names)
                .and_then(|name| {
                    CustomerOperation::ALL
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map(|(_, o)| *o)
                });
            if let Some(text) = &op.value.text {
                self.uses(&text.referenced, variables_in(&text.value));
            }
            if operation == Some(CustomerOperation::SendMessage) && op.value.text.is_none() {
                self.error(&op.referenced, "`SendMessage` needs `text`");
            }
            Some(Action::CustomerOp {
                customer: customer?,
                operation: operation?,
                text: op.value.text.as_ref().map(|t| t.value.clone()),
            })
        } else if let Some(view) = &step.customer_view {
            self.chatting_customer(&view.value.customer, "customer_view")
                .map(|customer| Action::CustomerView { customer })
        } else if let Some(messages) = &step.customer_messages {
            let index = match &messages.value.index {
                None => None,
                Some(index) => match &index.value {
                    Value::Number(n) if n.is_u64() => Some(n.to_string()),
                    Value::String(text) if !variables_in(text).is_empty() => {
                        self.uses(&index.referenced, variables_in(text));
                        Some(text.clone())
                    }
                    _ => {
                        self.error(
                            &index.referenced,
                            "`index` is a non-negative integer or a `${variable}`",
                        );
                        None
                    }
                },
            };
            self.chatting_customer(&messages.value.customer, "customer_messages")
                .map(|customer| Action::CustomerMessages { customer, index })
        } else if let Some(op) = &step.chat_op {
            let o = &op.value;
            let actor = self.logged_in_actor(&o.actor, &agent_like, "chat_op");
            self.uses(&o.chat.referenced, variables_in(&o.chat.value));
            let expects_success = step.response.as_ref().is_none_or(|r| {
                r.value
                    .outcome
                    .as_ref()
                    .is_none_or(|o| o.value == "success")
                    && r.value.status.as_ref().is_none_or(|s| s.value == 200)
            });
            if expects_success && !CHAT_OPERATIONS.contains(&o.operation.value.as_str()) {
                let help = did_you_mean(&o.operation.value, CHAT_OPERATIONS);
                let message = format!(
                    "unknown chat operation `{}` (to test that a server refuses it, give the step a `response`)",
                    o.operation.value
                );
                self.error_with_help(&o.operation.referenced, message, help);
            }
            let params = match &o.params {
                Some(p) if p.value.is_object() => {
                    self.uses(&p.referenced, variables_in_value(&p.value));
                    p.value.clone()
                }
                Some(p) => {
                    self.error(&p.referenced, "`params` is a map of request parameters");
                    Value::Object(Default::default())
                }
                None => Value::Object(Default::default()),
            };
            Some(Action::ChatOp {
                actor: actor?,
                chat: o.chat.value.clone(),
                operation: o.operation.value.clone(),
                params,
            })
        } else if let Some(http) = &step.http {
            let h = &http.value;
            let actor = match &h.actor {
                Some(name) => Some(self.actor(
                    name,
                    &[Role::Agent, Role::Supervisor, Role::Customer],
                    "http",
                )?),
                None => None,
            };
            let method = self.one_of(&h.method, "HTTP method", METHODS);
            if !h.path.value.starts_with('/') {
                self.error(
                    &h.path.referenced,
                    "`path` starts with `/` (it is joined to the target's base URL)",
                );
            }
            self.uses(&h.path.referenced, variables_in(&h.path.value));
            if let Some(body) = &h.body {
                self.uses(&body.referenced, variables_in_value(&body.value));
            }
            let mut headers = Vec::new();
            for (name, value) in h.headers.iter().flatten() {
                self.uses(&value.referenced, variables_in(&value.value));
                headers.push((name.clone(), value.value.clone()));
            }
            Some(Action::Http {
                actor,
                method: method?,
                path: h.path.value.clone(),
                body: h.body.as_ref().map(|b| b.value.clone()),
                headers,
            })
        } else if let Some(expect) = &step.expect {
            self.expectation(expect).map(Action::Expect)
        } else if let Some(name) = &step.bayeux_unknown_client {
            self.logged_in_actor(name, &agent_like, "bayeux_unknown_client")
                .map(Action::BayeuxUnknownClient)
        } else if let Some(refuses) = &step.refuses {
            self.refuses(refuses)
        } else {
            step.settle
                .as_ref()
                .map(|settle| Action::Settle(self.wait(settle, "settle")))
        };
        // Steps that check what they receive themselves take no `response` or `capture`.
        let is_request = !matches!(
            present[0],
            "login" | "expect" | "bayeux_unknown_client" | "refuses" | "settle"
        );
        if !is_request && (step.response.is_some() || step.capture.is_some()) {
            self.error(
                &raw.referenced,
                format!("`{}` takes no `response` or `capture`", present[0]),
            );
        }
        let response = match &step.response {
            Some(response) => self.response(response),
            None => ResponseCheck::default(),
        };
        let captures = self.captures(step.capture.as_ref());
        self.defined.extend(captures.iter().map(|c| c.name.clone()));
        let action = action?;
        let role = |name: &str| self.actors.iter().find(|a| a.name == name).map(|a| a.role);
        let operation = action
            .requirement(role)
            .filter(|id| self.ctx.catalogue.get(id).is_some());
        let (covers, covers_from) = match (declared, operation) {
            (Some(ids), _) => (ids, CoversFrom::Declared),
            (None, Some(id)) => (vec![id.to_owned()], CoversFrom::Operation),
            (None, None) => (
                scenario_covers.iter().take(1).cloned().collect(),
                CoversFrom::Scenario,
            ),
        };
        Some(Step {
            position: position(&raw.referenced),
            note: step.note.clone(),
            covers,
            covers_from,
            action,
            response,
            captures,
        })
    }

    /// `refuses:`: the operations may be any name (a server must refuse unknown ones too), each
    /// with a map of parameters or nothing.
    fn refuses(&mut self, raw: &Spanned<RawRefuses>) -> Option<Action> {
        let r = &raw.value;
        let actor = self.logged_in_actor(&r.actor, &[Role::Agent, Role::Supervisor], "refuses");
        self.uses(&r.chat.referenced, variables_in(&r.chat.value));
        if r.operations.value.is_empty() {
            self.error(&r.operations.referenced, "`operations` is empty");
        }
        let mut operations = Vec::new();
        for (name, params) in &r.operations.value {
            let params = match &params.value {
                Value::Null => Value::Object(Default::default()),
                Value::Object(_) => {
                    self.uses(&params.referenced, variables_in_value(&params.value));
                    params.value.clone()
                }
                _ => {
                    self.error(
                        &params.referenced,
                        format!("the parameters of `{name}` are a map (or nothing)"),
                    );
                    continue;
                }
            };
            operations.push((name.clone(), params));
        }
        Some(Action::Refuses {
            actor: actor?,
            chat: r.chat.value.clone(),
            operations,
        })
    }

    fn actors(&mut self, raw: &Spanned<IndexMap<String, Spanned<super::raw::RawActor>>>) {
        if raw.value.is_empty() {
            self.error(&raw.referenced, "`actors` is empty");
        }
        for (name, actor) in &raw.value {
            if !is_valid_name(name) || name.contains('.') {
                self.error(
                    &actor.referenced,
                    format!("`{name}` is not a valid actor name (letters, digits, `_`, `-`)"),
                );
            }
            let Some(role) = self.one_of(&actor.value.role, "role", ROLES) else {
                continue;
            };
            let role = match role.as_str() {
                "agent" => Role::Agent,
                "supervisor" => Role::Supervisor,
                _ => Role::Customer,
            };
            match (&actor.value.user, role) {
                (None, Role::Agent | Role::Supervisor) => {
                    self.error(
                        &actor.referenced,
                        format!(
                            "{} `{name}` needs `user` (a user of the target profile)",
                            role.as_str()
                        ),
                    );
                }
                (Some(user), Role::Customer) => {
                    self.error(
                        &user.referenced,
                        "customers have no `user`: they do not log in",
                    );
                }
                _ => {}
            }
            self.actors.push(Actor {
                name: name.clone(),
                role,
                user: actor.value.user.as_ref().map(|u| u.value.clone()),
                nickname: actor.value.nickname.clone().unwrap_or_else(|| name.clone()),
            });
        }
        let mut users = HashSet::new();
        for (name, actor) in &raw.value {
            if let Some(user) = &actor.value.user
                && !users.insert(user.value.clone())
            {
                self.error(
                    &user.referenced,
                    format!(
                        "user `{}` is given to two actors (`{name}` and another)",
                        user.value
                    ),
                );
            }
        }
    }
}

fn valid_scenario_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Validates a parsed file; returns the scenario or every problem found.
pub fn validate(raw: RawScenario, ctx: &Context<'_>) -> Result<Scenario, Vec<LoadError>> {
    let mut v = Validator {
        ctx,
        errors: Vec::new(),
        actors: Vec::new(),
        defined: HashSet::from(["base_url".to_owned()]),
        logged_in: HashSet::new(),
        chatting_customers: HashSet::new(),
    };
    if !valid_scenario_name(&raw.name.value) {
        v.error(
            &raw.name.referenced,
            format!(
                "scenario name `{}` must be lower-case letters, digits and `-`",
                raw.name.value
            ),
        );
    }
    if raw.description.value.trim().is_empty() {
        v.error(&raw.description.referenced, "`description` is empty");
    }
    if raw.covers.value.is_empty() {
        v.error(&raw.covers.referenced, "`covers` lists no requirement");
    }
    let covers = v.requirement_ids(&raw.covers.value);
    v.actors(&raw.actors);
    if raw.steps.value.is_empty() {
        v.error(&raw.steps.referenced, "`steps` is empty");
    }
    let steps: Vec<Option<Step>> = raw.steps.value.iter().map(|s| v.step(s, &covers)).collect();
    if !v.errors.is_empty() {
        return Err(v.errors);
    }
    Ok(Scenario {
        name: raw.name.value,
        description: raw.description.value,
        covers,
        tags: raw.tags,
        ignore: raw.ignore,
        actors: v.actors,
        steps: steps.into_iter().flatten().collect(),
        file: ctx.file.to_owned(),
    })
}
