//! The live side of actors: an agent's or supervisor's HTTP session and CometD client, a
//! customer's HTTP session and chat id; logging in, cleaning up after the scenario, and
//! gathering what each actor received.

use serde_json::{Value, json};

use super::{Runner, StepError, requests};
use crate::bayeux::{ChannelPattern, LONG_POLLING, META_CONNECT};
use crate::check::bayeux as bayeux_check;
use crate::check::invariants::ActorInfo;
use crate::check::{Finding, Verdict};
use crate::driver::bayeux::{
    BayeuxClient, BayeuxError, Credentials as BayeuxCredentials, Cursor, Inbox,
};
use crate::driver::http::{Auth, Body, Exchange, HttpActor};
use crate::event::RunEvent;
use crate::scenario::model::ResponseCheck;

/// The channel pattern every agent and supervisor subscribes to at login.
pub const SUBSCRIPTION: &str = "/v2/me/*";

/// A logged-in agent or supervisor.
pub(crate) struct AgentSession {
    pub http: HttpActor,
    pub bayeux: BayeuxClient,
    /// Where the actor's next expectation starts looking.
    pub cursor: Cursor,
    pub user_id: String,
    /// Which of its notifications repeat an earlier one.
    pub repeated: std::sync::Arc<super::repeated::Repeated>,
}

/// A customer.
pub(crate) struct CustomerSession {
    pub http: HttpActor,
    pub chat_id: Option<String>,
}

impl Runner<'_> {
    /// Sends a request as `actor` (or anonymously) and records the exchange.
    pub(crate) async fn exchange(
        &mut self,
        actor: Option<&str>,
        http: &HttpActor,
        method: &str,
        path: &str,
        body: Option<&Body>,
        headers: &[(String, String)],
    ) -> Exchange {
        let exchange = http.send(method, path, body, headers).await;
        self.record_exchange(actor, &exchange);
        exchange
    }

    /// Records an exchange `actor` (or an anonymous request) made.
    fn record_exchange(&mut self, actor: Option<&str>, exchange: &Exchange) {
        self.events.push(RunEvent::Exchange {
            scenario: self.scenario.name.clone(),
            actor: actor.map(str::to_owned),
            step: self.step,
            method: exchange.method.clone(),
            url: exchange.url.clone(),
            request: exchange.request.clone(),
            status: exchange.status,
            response: exchange.response.clone(),
            elapsed_ms: exchange.elapsed.as_millis() as u64,
            // Taken when the request was sent, not worked back from when the exchange was
            // recorded: on a loaded machine the runner may resume a while after the response
            // ended, and a sending time worked back from then would come after notifications
            // the request caused (a false "joined before the Accept was sent").
            at_ms: Some(
                exchange
                    .sent_at
                    .saturating_duration_since(self.started)
                    .as_millis() as u64,
            ),
            error: exchange.error.clone(),
        });
    }

    /// A setup request that must succeed (HTTP 200, statusCode 0) for the scenario to make
    /// sense; checked like any step's response.
    async fn setup(
        &mut self,
        actor: &str,
        http: &HttpActor,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Exchange, StepError> {
        let body = body.map(Body::Json);
        let exchange = self
            .exchange(Some(actor), http, method, path, body.as_ref(), &[])
            .await;
        self.check_response(Some(actor), &exchange, &ResponseCheck::default())?;
        Ok(exchange)
    }

    /// `Ready` or `NotReady` on chat ([`requests::readiness`]), every exchange recorded;
    /// returns the one that counts.
    pub(crate) async fn readiness(
        &mut self,
        actor: &str,
        http: &HttpActor,
        ready: bool,
    ) -> Exchange {
        let readiness = requests::readiness(http, ready).await;
        for exchange in readiness.no_resource.iter().chain([&readiness.answer]) {
            self.record_exchange(Some(actor), exchange);
        }
        readiness.answer
    }

    /// `login`: HTTP session, CometD handshake and subscription, StartContactCenterSession, then
    /// NotReady: whether a new session starts Ready is the server's choice (docs/rulings.md,
    /// `choice-initial-readiness`), so the harness makes it Not Ready until a `ready` step.
    pub(crate) async fn login(&mut self, actor: &str) -> Result<(), StepError> {
        let Some(spec) = self.scenario.actor(actor) else {
            return Err(StepError::CouldNotRun(format!("unknown actor {actor}")));
        };
        let user = spec.user.clone().unwrap_or_default();
        let credentials = self
            .ctx
            .profile
            .credentials(&user)
            .map_err(|e| StepError::CouldNotRun(e.to_string()))?;
        let http = self.http_actor(Some(actor), Auth::Basic(credentials.clone()))?;
        let me = self.setup(actor, &http, "GET", requests::ME, None).await?;
        let body = me.response.unwrap_or_default();
        let Some(user_id) = requests::user_id(&body).map(str::to_owned) else {
            return Err(self.fail(
                "setup",
                format!("{actor}: GET /api/v2/me has no user.id"),
                vec![body.to_string()],
            ));
        };
        let uri = body
            .pointer("/user/uri")
            .and_then(Value::as_str)
            .map_or_else(
                || format!("{}/api/v2/users/{user_id}", self.ctx.base_url),
                str::to_owned,
            );
        let bayeux = BayeuxClient::connect_tapped(
            http.client().clone(),
            format!("{}/api/v2/notifications", self.ctx.base_url),
            Some(BayeuxCredentials {
                username: credentials.user_name.clone(),
                password: credentials.password.clone(),
            }),
            self.ctx.bayeux.clone(),
            http.tap().cloned(),
        )
        .await;
        let bayeux = match bayeux {
            Ok(bayeux) => bayeux,
            Err(e) => return Err(self.bayeux_failed(actor, "CometD handshake failed", &e)),
        };
        let pattern = ChannelPattern::parse(SUBSCRIPTION)
            .map_err(|e| StepError::CouldNotRun(e.to_string()))?;
        if let Err(e) = bayeux.subscribe(&pattern).await {
            let what = format!("CometD subscription to {SUBSCRIPTION} failed");
            return Err(self.bayeux_failed(actor, &what, &e));
        }
        let start = requests::start_session();
        self.setup(actor, &http, "POST", requests::ME, Some(start))
            .await?;
        let exchange = self.readiness(actor, &http, false).await;
        self.check_response(Some(actor), &exchange, &ResponseCheck::default())?;
        self.vars
            .set(format!("{actor}.id"), Value::String(user_id.clone()));
        self.vars.set(format!("{actor}.uri"), Value::String(uri));
        self.vars.set(
            format!("{actor}.path"),
            Value::String(format!("/users/{user_id}")),
        );
        if let Some(earlier) = self.agents.remove(actor) {
            let inbox = earlier.bayeux.inbox().clone();
            bayeux.inbox().continue_after(&inbox);
            self.replaced.push((actor.to_owned(), inbox));
        }
        self.agents.insert(
            actor.to_owned(),
            AgentSession {
                http,
                bayeux,
                cursor: Cursor::default(),
                user_id,
                repeated: std::sync::Arc::default(),
            },
        );
        Ok(())
    }

    /// Records a failed CometD operation: a transport failure or malformed reply breaks
    /// BAYEUX-REPLY; a refusal is cited against the step, whose premise it defeats.
    fn bayeux_failed(&mut self, actor: &str, what: &str, error: &BayeuxError) -> StepError {
        let requirement = match error {
            BayeuxError::Transport { .. } => bayeux_check::REPLY.to_owned(),
            BayeuxError::Refused { .. } => self.current_requirement(),
        };
        self.finding(Finding {
            check: "bayeux".to_owned(),
            requirement,
            verdict: Verdict::Fail,
            message: format!("{actor}: {what}: {error}"),
            details: Vec::new(),
        });
        StepError::Failed
    }

    /// `bayeux_unknown_client`: as `actor`, a `/meta/connect` with a `clientId` the server
    /// never issued; the answer must tell the client to handshake again.
    pub(crate) async fn probe_unknown_client(&mut self, actor: &str) -> Result<(), StepError> {
        let Some(session) = self.agents.get(actor) else {
            return Err(StepError::CouldNotRun(format!(
                "`{actor}` is not logged in"
            )));
        };
        // Unique per probe, and shaped unlike any id a server issues.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let message = json!({
            "channel": META_CONNECT,
            "clientId": format!("gws-conform-never-issued-{nanos:x}"),
            "connectionType": LONG_POLLING,
            "id": "unknown-client-probe",
        });
        let reply = session.bayeux.probe(message.clone()).await;
        let finding = match reply {
            Ok(reply) => bayeux_check::unknown_client(actor, &message, &reply),
            Err(error) => Some(Finding {
                check: "bayeux.unknown-client".to_owned(),
                requirement: bayeux_check::UNKNOWN_CLIENT.to_owned(),
                verdict: Verdict::Fail,
                message: format!("{actor}: a /meta/connect with an unknown clientId: {error}"),
                details: vec![format!("sent: {message}")],
            }),
        };
        match finding {
            Some(finding) => {
                self.finding(finding);
                Err(StepError::Failed)
            }
            None => Ok(()),
        }
    }

    /// Records, for every agent and supervisor whose CometD session ended on its own during
    /// the scenario (before clean-up disconnects it), why it did.
    pub(crate) fn check_sessions(&mut self) {
        let mut names: Vec<String> = self.agents.keys().cloned().collect();
        names.sort();
        for name in names {
            let ended = self.agents[&name].bayeux.inbox().ended();
            if let Some(finding) =
                ended.and_then(|reason| bayeux_check::session_end(&name, &reason))
            {
                self.finding(finding);
            }
        }
    }

    /// The HTTP side of a customer, created on first use.
    pub(crate) fn customer_http(&mut self, customer: &str) -> Result<HttpActor, StepError> {
        if let Some(session) = self.customers.get(customer) {
            return Ok(session.http.clone());
        }
        let auth = Auth::ContactCenter(self.ctx.profile.contact_center_id.clone());
        let http = self.http_actor(Some(customer), auth)?;
        self.customers.insert(
            customer.to_owned(),
            CustomerSession {
                http: http.clone(),
                chat_id: None,
            },
        );
        Ok(http)
    }

    /// Leaves the target as it was found: customers complete their chats, agents and
    /// supervisors log out and disconnect. Failures here are not findings. Bounded as a whole:
    /// against a target that stopped answering, each request would wait out its own deadline.
    pub(crate) async fn clean_up(&mut self) {
        self.clean_up_from_ms = Some(self.started.elapsed().as_millis() as u64);
        let budget = self.ctx.request_timeout.saturating_mul(2);
        let _ = tokio::time::timeout(budget, self.clean_up_unbounded()).await;
    }

    /// One request at a time, in this order: customers complete, agents log out, CometD
    /// clients disconnect. Sequential on purpose: the notifications these requests cause (a
    /// supervisor's Revoked, say) reach the connect loops meanwhile and are checked like any
    /// other, which firing them all at once and disconnecting would mostly lose.
    async fn clean_up_unbounded(&self) {
        for customer in self.customers.values() {
            if let Some(chat_id) = &customer.chat_id {
                let body = Body::Json(requests::operation("Complete"));
                let path = requests::customer_chat_path(chat_id);
                customer.http.send("POST", &path, Some(&body), &[]).await;
            }
        }
        let end = Body::Json(requests::operation("EndContactCenterSession"));
        for session in self.agents.values() {
            session
                .http
                .send("POST", requests::ME, Some(&end), &[])
                .await;
        }
        for session in self.agents.values() {
            // Bounded by the client's own request deadline.
            let _ = session.bayeux.disconnect().await;
        }
    }

    /// Every inbox of the run by actor, each actor's in the order of its sessions.
    fn inboxes(&self) -> Vec<(&String, &Inbox)> {
        let replaced = self.replaced.iter().map(|(name, inbox)| (name, inbox));
        let current = (self.agents.iter()).map(|(name, session)| (name, session.bayeux.inbox()));
        let mut inboxes: Vec<_> = replaced.chain(current).collect();
        // Stable: an actor's replaced sessions stay before its current one.
        inboxes.sort_by_key(|(name, _)| *name);
        inboxes
    }

    /// Records every notification every actor received, in each actor's arrival order, from
    /// every session it had.
    pub(crate) fn collect_notifications(&mut self) {
        let mut received = Vec::new();
        for (name, inbox) in self.inboxes() {
            for delivery in inbox.snapshot() {
                received.push(RunEvent::Notification {
                    scenario: self.scenario.name.clone(),
                    actor: name.clone(),
                    seq: delivery.seq,
                    channel: delivery.channel,
                    at_ms: Some(
                        delivery
                            .received_at
                            .saturating_duration_since(self.started)
                            .as_millis() as u64,
                    ),
                    redelivered: delivery.redelivered,
                    counterpart: None,
                    data: std::sync::Arc::unwrap_or_clone(delivery.data),
                });
            }
        }
        self.events.extend(received);
        let located =
            self.ctx
                .verifier
                .check_run(&self.actors_info(), &self.events, self.clean_up_from_ms);
        let mut findings = Vec::new();
        for (name, inbox) in self.inboxes() {
            let events = inbox.events();
            findings.extend(bayeux_check::advice(name, &events));
            findings.extend(bayeux_check::connect_refusals(name, &events));
        }
        for located in located {
            self.located(located);
        }
        for finding in findings {
            self.finding(finding);
        }
    }

    /// Every actor as the checks know it (customers have no user id).
    fn actors_info(&self) -> Vec<ActorInfo> {
        self.scenario
            .actors
            .iter()
            .map(|actor| ActorInfo {
                name: actor.name.clone(),
                role: actor.role,
                user_id: self.agents.get(&actor.name).map(|s| s.user_id.clone()),
            })
            .collect()
    }
}
