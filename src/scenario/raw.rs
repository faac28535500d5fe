//! The on-disk shape of a scenario file, as serde reads it: every field that a later error may
//! point at keeps its source location (`Spanned`). Unknown keys are rejected here; enumerated
//! values (roles, modes, operations) stay strings so that validation can report all of them
//! at once, with suggestions.

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::Spanned;

/// A whole scenario file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: Spanned<String>,
    pub description: Spanned<String>,
    pub covers: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub ignore: Option<String>,
    pub actors: Spanned<IndexMap<String, Spanned<RawActor>>>,
    pub steps: Spanned<Vec<Spanned<RawStep>>>,
}

/// An actor declaration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawActor {
    pub role: Spanned<String>,
    #[serde(default)]
    pub user: Option<Spanned<String>>,
    #[serde(default)]
    pub nickname: Option<String>,
}

/// Captures: variable name to path.
pub type RawCaptures = IndexMap<String, Spanned<String>>;
/// Matchers: path to matcher.
pub type RawMatchers = IndexMap<String, Spanned<Value>>;

/// A step: exactly one action key plus common keys (checked during validation).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub covers: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub response: Option<Spanned<RawResponse>>,
    #[serde(default)]
    pub capture: Option<RawCaptures>,
    #[serde(default)]
    pub login: Option<Spanned<String>>,
    #[serde(default)]
    pub ready: Option<Spanned<String>>,
    #[serde(default)]
    pub not_ready: Option<Spanned<String>>,
    #[serde(default)]
    pub logout: Option<Spanned<String>>,
    #[serde(default)]
    pub monitor: Option<Spanned<RawMonitor>>,
    #[serde(default)]
    pub cancel_monitoring: Option<Spanned<RawPair>>,
    #[serde(default)]
    pub request_chat: Option<Spanned<RawRequestChat>>,
    #[serde(default)]
    pub customer_op: Option<Spanned<RawCustomerOp>>,
    #[serde(default)]
    pub customer_view: Option<Spanned<RawCustomerRef>>,
    #[serde(default)]
    pub customer_messages: Option<Spanned<RawCustomerMessages>>,
    #[serde(default)]
    pub chat_op: Option<Spanned<RawChatOp>>,
    #[serde(default)]
    pub http: Option<Spanned<RawHttp>>,
    #[serde(default)]
    pub expect: Option<Spanned<RawExpect>>,
    #[serde(default)]
    pub bayeux_unknown_client: Option<Spanned<String>>,
    #[serde(default)]
    pub settle: Option<Spanned<u64>>,
    #[serde(default)]
    pub refuses: Option<Spanned<RawRefuses>>,
}

/// `refuses:`: chat operations that must each be refused; the value of each is its
/// parameters (a map, or nothing).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRefuses {
    pub actor: Spanned<String>,
    pub chat: Spanned<String>,
    pub operations: Spanned<IndexMap<String, Spanned<Value>>>,
}

/// `response:` of a request step.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawResponse {
    #[serde(default)]
    pub outcome: Option<Spanned<String>>,
    #[serde(default)]
    pub status: Option<Spanned<u16>>,
    #[serde(default, rename = "statusCode")]
    pub status_code: Option<Spanned<Value>>,
    #[serde(default, rename = "match")]
    pub matchers: Option<RawMatchers>,
}

/// `monitor:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMonitor {
    pub supervisor: Spanned<String>,
    pub agent: Spanned<String>,
    pub mode: Spanned<String>,
    #[serde(default)]
    pub scope: Option<Spanned<String>>,
    #[serde(default)]
    pub nickname: Option<String>,
}

/// `cancel_monitoring:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPair {
    pub supervisor: Spanned<String>,
    pub agent: Spanned<String>,
}

/// `request_chat:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRequestChat {
    pub customer: Spanned<String>,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub user_data: Option<Spanned<Value>>,
}

/// `customer_op:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCustomerOp {
    pub customer: Spanned<String>,
    pub operation: Spanned<String>,
    #[serde(default)]
    pub text: Option<Spanned<String>>,
}

/// `customer_view:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCustomerRef {
    pub customer: Spanned<String>,
}

/// `customer_messages:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCustomerMessages {
    pub customer: Spanned<String>,
    #[serde(default)]
    pub index: Option<Spanned<Value>>,
}

/// `chat_op:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChatOp {
    pub actor: Spanned<String>,
    pub chat: Spanned<String>,
    pub operation: Spanned<String>,
    #[serde(default)]
    pub params: Option<Spanned<Value>>,
}

/// `http:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHttp {
    #[serde(default)]
    pub actor: Option<Spanned<String>>,
    pub method: Spanned<String>,
    pub path: Spanned<String>,
    #[serde(default)]
    pub body: Option<Spanned<Value>>,
    #[serde(default)]
    pub headers: Option<IndexMap<String, Spanned<String>>>,
}

/// `expect:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExpect {
    pub actor: Spanned<String>,
    #[serde(default)]
    pub order: Option<Spanned<String>>,
    #[serde(default)]
    pub within: Option<Spanned<u64>>,
    #[serde(default)]
    pub channel: Option<Spanned<String>>,
    #[serde(default)]
    pub quiet: Option<Spanned<u64>>,
    #[serde(default)]
    pub since: Option<Spanned<String>>,
    #[serde(default)]
    pub order_requirement: Option<Spanned<String>>,
    #[serde(default)]
    pub notifications: Vec<Spanned<RawItem>>,
    #[serde(default)]
    pub entries: Vec<Spanned<RawMatchers>>,
}

/// One expected notification.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawItem {
    #[serde(rename = "match")]
    pub matchers: RawMatchers,
    #[serde(default)]
    pub count: Option<Spanned<u32>>,
    #[serde(default)]
    pub capture: Option<RawCaptures>,
    #[serde(default)]
    pub fixture: Option<Spanned<String>>,
    #[serde(default)]
    pub covers: Option<Vec<Spanned<String>>>,
}
