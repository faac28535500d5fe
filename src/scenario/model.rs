//! The validated scenario model the runner executes: every actor reference resolved, every
//! enumerated value parsed, every variable known to be defined before it is used.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use super::matcher::Matchers;
use super::path::JsonPath;

/// A source position (1-based), for reports that point back into the scenario file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    /// Line, from 1.
    pub line: u32,
    /// Column, from 1.
    pub column: u32,
}

/// A loaded scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Unique id.
    pub name: String,
    /// What it proves.
    pub description: String,
    /// Requirement ids it covers.
    pub covers: Vec<String>,
    /// Free labels.
    pub tags: Vec<String>,
    /// Why it is skipped by default, if it is.
    pub ignore: Option<String>,
    /// The actors, in declaration order.
    pub actors: Vec<Actor>,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// The file it came from.
    pub file: PathBuf,
}

impl Scenario {
    /// The actor with this name.
    pub fn actor(&self, name: &str) -> Option<&Actor> {
        self.actors.iter().find(|a| a.name == name)
    }

    /// Profile users the scenario logs in as (for scheduling scenarios that share none).
    pub fn users(&self) -> impl Iterator<Item = &str> {
        self.actors.iter().filter_map(|a| a.user.as_deref())
    }
}

/// What an actor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A customer of the customer chat API.
    Customer,
    /// An agent.
    Agent,
    /// A supervisor (an agent with the supervisor role).
    Supervisor,
}

impl Role {
    /// The name used in scenario files.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
        }
    }
}

/// An actor of a scenario.
#[derive(Debug, Clone)]
pub struct Actor {
    /// Its name in the scenario.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// The profile user it logs in as (agents and supervisors).
    pub user: Option<String>,
    /// Its nickname (customers: sent in RequestChat).
    pub nickname: String,
}

/// A supervisor monitoring mode.
pub use crate::spec::Mode;

/// The expected outcome of a request.
#[derive(Debug, Clone, Default)]
pub struct ResponseCheck {
    /// Success, a refusal, or an exact status.
    pub outcome: ExpectedOutcome,
    /// Matchers on the body.
    pub matchers: Matchers,
}

/// What a response's HTTP status and `statusCode` must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedOutcome {
    /// This HTTP status and `statusCode` (the default: 200 and 0).
    Status {
        /// Expected HTTP status.
        status: u16,
        /// Expected `statusCode`.
        status_code: StatusCodeCheck,
    },
    /// A refusal in any form the rulings allow (docs/rulings.md, `choice-refusals`): HTTP 400
    /// or 403, a non-zero `statusCode` and a `statusMessage`.
    Refused,
    /// Either success (HTTP 200, `statusCode` 0) or a refusal: where the documents leave both
    /// open (docs/rulings.md, `choice-repeated-cancel`).
    SuccessOrRefused,
}

impl Default for ExpectedOutcome {
    fn default() -> Self {
        ExpectedOutcome::SUCCESS
    }
}

impl ExpectedOutcome {
    /// HTTP 200 with `statusCode` 0.
    pub const SUCCESS: ExpectedOutcome = ExpectedOutcome::Status {
        status: 200,
        status_code: StatusCodeCheck::Exactly(0),
    };

    /// The HTTP statuses of a refusal.
    pub const REFUSAL_STATUSES: [u16; 2] = [400, 403];

    /// Whether only a success is expected (the step's body then has what success brings).
    pub fn expects_success(self) -> bool {
        matches!(self, ExpectedOutcome::Status { status: 200, .. })
    }
}

/// What the `statusCode` of a response must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusCodeCheck {
    /// This exact value.
    Exactly(u64),
    /// Any non-zero value.
    AnyError,
}

/// A variable to set from a JSON document.
#[derive(Debug, Clone)]
pub struct Capture {
    /// The variable.
    pub name: String,
    /// Where its value is.
    pub path: JsonPath,
    /// Written `path?`: the value may be absent, and the variable is then `null` (for what the
    /// documents make optional, such as most responses' `referenceId`).
    pub optional: bool,
}

/// One step.
#[derive(Debug, Clone)]
pub struct Step {
    /// Position of the step in the file.
    pub position: Position,
    /// Optional note for reports.
    pub note: Option<String>,
    /// Requirement ids this step's checks cite: those the step declares, else the requirement
    /// governing its operation ([`Action::requirement`]), else the scenario's first.
    pub covers: Vec<String>,
    /// Where `covers` comes from.
    pub covers_from: CoversFrom,
    /// What it does.
    pub action: Action,
    /// How its response must look (request steps).
    pub response: ResponseCheck,
    /// Values to capture from its response.
    pub captures: Vec<Capture>,
}

/// Where a step's requirements come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoversFrom {
    /// The step's own `covers`: its author says what it checks.
    Declared,
    /// The requirement governing the step's operation.
    Operation,
    /// The scenario's `covers` (the step declares nothing and its action has no requirement
    /// of its own: an `expect`, an `http` request).
    Scenario,
}

/// A customer operation on its chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerOperation {
    /// `SendMessage` (needs `text`).
    SendMessage,
    /// `SendStartTypingNotification`.
    SendStartTypingNotification,
    /// `SendStopTypingNotification`.
    SendStopTypingNotification,
    /// `Complete`.
    Complete,
}

impl CustomerOperation {
    /// Every operation, by wire name.
    pub const ALL: [(&'static str, CustomerOperation); 4] = [
        ("SendMessage", CustomerOperation::SendMessage),
        (
            "SendStartTypingNotification",
            CustomerOperation::SendStartTypingNotification,
        ),
        (
            "SendStopTypingNotification",
            CustomerOperation::SendStopTypingNotification,
        ),
        ("Complete", CustomerOperation::Complete),
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, op)| *op == self)
            .map_or("", |(name, _)| name)
    }
}

/// How the notifications of an expectation must be ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// In the listed order; others may come in between.
    Sequence,
    /// In the listed order, and nothing in between.
    Exact,
    /// In any order.
    Any,
}

/// Where an expectation starts looking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Since {
    /// After what the actor's previous expectation matched (the default): "then".
    #[default]
    Expectation,
    /// At the first notification that arrived after the last operation step began: what
    /// came earlier was judged, or allowed, by earlier steps, and is passed over (for
    /// generated scenarios, which predict what each operation sends, not everything an
    /// earlier one may have sent).
    Operation,
}

/// One expected notification.
#[derive(Debug, Clone)]
pub struct ExpectedNotification {
    /// Position in the file.
    pub position: Position,
    /// What it must look like.
    pub matchers: Matchers,
    /// How many notifications must match.
    pub count: u32,
    /// Values to capture from the (first) matching notification.
    pub captures: Vec<Capture>,
    /// A documented example to diff it against.
    pub fixture: Option<String>,
    /// The requirements its arrival proves, when the item says (`covers`): a step that fails
    /// because it never came cites these instead of the step's.
    pub covers: Vec<String>,
}

/// An `expect` step.
#[derive(Debug, Clone)]
pub struct Expectation {
    /// Whose notifications.
    pub actor: String,
    /// Ordering rule.
    pub order: Order,
    /// Deadline for the whole expectation.
    pub within: Duration,
    /// Channel the notifications arrive on.
    pub channel: String,
    /// Then nothing else for this long.
    pub quiet: Option<Duration>,
    /// Where it starts looking.
    pub since: Since,
    /// The requirement a finding that every item arrived, but not in the listed order, cites
    /// (`None`: the step's first).
    pub order_requirement: Option<String>,
    /// The notifications.
    pub items: Vec<ExpectedNotification>,
    /// Log entries that must arrive among the `messages` of MessageLogUpdated notifications, in
    /// any order and any grouping (a server may gather several entries in one notification).
    pub entries: Vec<Matchers>,
}

/// What a step does. Strings may hold `${variables}`; values are JSON templates.
#[derive(Debug, Clone)]
pub enum Action {
    /// Log an agent or supervisor in (HTTP, CometD, StartContactCenterSession).
    Login(String),
    /// Ready on chat.
    Ready(String),
    /// Not Ready on chat.
    NotReady(String),
    /// EndContactCenterSession.
    Logout(String),
    /// Start monitoring.
    Monitor {
        /// The supervisor actor.
        supervisor: String,
        /// The monitored agent actor.
        agent: String,
        /// Mode.
        mode: Mode,
        /// `supervisorMonitoringMode`, or the server's default.
        scope: Option<String>,
        /// Optional nickname.
        nickname: Option<String>,
    },
    /// CancelSupervisorMonitoring.
    CancelMonitoring {
        /// The supervisor actor.
        supervisor: String,
        /// The monitored agent actor.
        agent: String,
    },
    /// Customer RequestChat.
    RequestChat {
        /// The customer actor.
        customer: String,
        /// Subject.
        subject: Option<String>,
        /// User data (a JSON template).
        user_data: Option<Value>,
    },
    /// A customer operation.
    CustomerOp {
        /// The customer actor.
        customer: String,
        /// The operation.
        operation: CustomerOperation,
        /// Text (SendMessage).
        text: Option<String>,
    },
    /// Customer GET of its chat.
    CustomerView {
        /// The customer actor.
        customer: String,
    },
    /// Customer GET of its messages.
    CustomerMessages {
        /// The customer actor.
        customer: String,
        /// `index` query parameter: a non-negative integer, or a template such as `${first}`.
        index: Option<String>,
    },
    /// An agent or supervisor chat operation.
    ChatOp {
        /// The acting agent or supervisor.
        actor: String,
        /// The chat id (template).
        chat: String,
        /// operationName.
        operation: String,
        /// Further parameters (JSON object template).
        params: Value,
    },
    /// Any request.
    Http {
        /// Who sends it, if anyone.
        actor: Option<String>,
        /// Method.
        method: String,
        /// Path (template).
        path: String,
        /// Body (JSON template, or a string sent as is).
        body: Option<Value>,
        /// Extra headers (templates).
        headers: Vec<(String, String)>,
    },
    /// Expected notifications.
    Expect(Expectation),
    /// A Bayeux probe: as this agent or supervisor, a `/meta/connect` with a `clientId` the
    /// server never issued, which must be refused with 402 and `reconnect: handshake`.
    BayeuxUnknownClient(String),
    /// Wait, judging nothing, until the quiet window (at most this long, calibrated like
    /// `quiet`) has passed since the last operation step began: the server has settled.
    Settle(Duration),
    /// Chat operations the actor may not carry out: each is sent, and each must be refused
    /// ([`ExpectedOutcome::Refused`]); every one accepted is reported, not only the first.
    Refuses {
        /// The acting agent or supervisor.
        actor: String,
        /// The chat id (template).
        chat: String,
        /// Each operation's name and further parameters (a JSON object template), in order.
        operations: Vec<(String, Value)>,
    },
}

impl Action {
    /// The requirement governing the operation itself, whatever the scenario is about: a
    /// supervisor's chat operation is its `OP-*` requirement, starting and cancelling
    /// monitoring are MON-MODE and MON-CANCEL, `refuses` is CAP-ENFORCED, and the chat API's
    /// own operations (sessions, readiness, an agent's or a customer's chat operations) are
    /// BASE-CHAT. `None` for steps whose requirement depends on what they expect (`expect`,
    /// `http`) or on the supervisor's mode (mode switches). `role` tells an actor's role.
    pub fn requirement(&self, role: impl Fn(&str) -> Option<Role>) -> Option<&'static str> {
        Some(match self {
            Action::Login(_)
            | Action::Ready(_)
            | Action::NotReady(_)
            | Action::Logout(_)
            | Action::RequestChat { .. }
            | Action::CustomerOp { .. } => "BASE-CHAT",
            Action::CustomerView { .. } | Action::CustomerMessages { .. } => "VIS-CUSTOMER",
            Action::Monitor { .. } => "MON-MODE",
            Action::CancelMonitoring { .. } => "MON-CANCEL",
            Action::Refuses { .. } => "CAP-ENFORCED",
            Action::BayeuxUnknownClient(_) => "BAYEUX-UNKNOWN-CLIENT",
            Action::ChatOp {
                actor, operation, ..
            } => match role(actor) {
                Some(Role::Supervisor) => supervisor_operation_requirement(operation)?,
                _ => "BASE-CHAT",
            },
            Action::Http { .. } | Action::Expect(_) | Action::Settle(_) => return None,
        })
    }

    /// Whether it acts on the target (everything but `expect` and `settle`, which only look
    /// or wait): what `since: operation` and delivery latencies count from.
    pub fn is_operation(&self) -> bool {
        !matches!(self, Action::Expect(_) | Action::Settle(_))
    }

    /// The action key, as written in the file.
    pub fn keyword(&self) -> &'static str {
        match self {
            Action::Login(_) => "login",
            Action::Ready(_) => "ready",
            Action::NotReady(_) => "not_ready",
            Action::Logout(_) => "logout",
            Action::Monitor { .. } => "monitor",
            Action::CancelMonitoring { .. } => "cancel_monitoring",
            Action::RequestChat { .. } => "request_chat",
            Action::CustomerOp { .. } => "customer_op",
            Action::CustomerView { .. } => "customer_view",
            Action::CustomerMessages { .. } => "customer_messages",
            Action::ChatOp { .. } => "chat_op",
            Action::Http { .. } => "http",
            Action::Expect(_) => "expect",
            Action::BayeuxUnknownClient(_) => "bayeux_unknown_client",
            Action::Refuses { .. } => "refuses",
            Action::Settle(_) => "settle",
        }
    }
}

/// The requirement of a supervisor's chat operation, by `operationName`; `None` for the mode
/// switches (whose requirement depends on the mode switched from) and unknown names.
fn supervisor_operation_requirement(operation: &str) -> Option<&'static str> {
    Some(match operation {
        "Leave" => "OP-LEAVE",
        "SetInFocus" => "OP-SETINFOCUS",
        "SetDisposition" => "OP-SETDISPOSITION",
        "AttachUserData" => "OP-ATTACHUSERDATA",
        "UpdateUserData" => "OP-UPDATEUSERDATA",
        "DeleteUserData" => "OP-DELETEUSERDATA",
        "AddComment" => "OP-ADDCOMMENT",
        "Transfer" => "OP-TRANSFER",
        "Invite" => "OP-INVITE",
        "Consult" => "OP-CONSULT",
        "SendToAgents" => "OP-SENDTOAGENTS",
        "SendStartTypingToAgentsNotification" | "SendStopTypingToAgentsNotification" => {
            "OP-TYPING-AGENTS"
        }
        "SendMessage" => "OP-SENDMESSAGE",
        "SendStartTypingNotification" | "SendStopTypingNotification" => "OP-TYPING",
        _ => return None,
    })
}
