//! The live side of actors: an agent's or supervisor's HTTP session and CometD client, a
//! customer's HTTP session and chat id; logging in, cleaning up after the scenario, and
//! gathering what each actor received.

use serde_json::{Value, json};

use super::{Runner, StepError};
use crate::bayeux::ChannelPattern;
use crate::check::invariants::ActorInfo;
use crate::driver::bayeux::{BayeuxClient, Credentials as BayeuxCredentials, Cursor};
use crate::driver::http::{Auth, Body, Exchange, HttpActor};
use crate::event::RunEvent;

/// The channel pattern every agent and supervisor subscribes to at login.
pub const SUBSCRIPTION: &str = "/v2/me/*";

/// A logged-in agent or supervisor.
pub(crate) struct AgentSession {
    pub http: HttpActor,
    pub bayeux: BayeuxClient,
    /// Where the actor's next expectation starts looking.
    pub cursor: Cursor,
    pub user_id: String,
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
            error: exchange.error.clone(),
        });
        exchange
    }

    /// A setup request that must succeed for the scenario to make sense.
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
        if let Some(error) = &exchange.error {
            return Err(StepError::CouldNotRun(format!(
                "{actor}: {method} {path}: {error}"
            )));
        }
        if exchange.status != Some(200) || exchange.status_code() != Some(0) {
            let shown = exchange
                .response
                .as_ref()
                .map(Value::to_string)
                .unwrap_or_default();
            return Err(self.fail(
                "setup",
                format!(
                    "{actor}: {method} {path} answered HTTP {} (expected 200 with statusCode 0)",
                    exchange.status.unwrap_or_default()
                ),
                vec![shown],
            ));
        }
        Ok(exchange)
    }

    /// `login`: HTTP session, CometD handshake and subscription, StartContactCenterSession.
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
        let http = HttpActor::new(
            &self.ctx.base_url,
            Auth::Basic(credentials.clone()),
            self.ctx.request_timeout,
        )
        .map_err(|e| StepError::CouldNotRun(format!("cannot build an HTTP client: {e}")))?;
        let me = self.setup(actor, &http, "GET", "/api/v2/me", None).await?;
        let body = me.response.unwrap_or_default();
        let Some(user_id) = body
            .pointer("/user/id")
            .and_then(Value::as_str)
            .map(str::to_owned)
        else {
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
        let bayeux = BayeuxClient::connect(
            http.client().clone(),
            format!("{}/api/v2/notifications", self.ctx.base_url),
            Some(BayeuxCredentials {
                username: credentials.user_name.clone(),
                password: credentials.password.clone(),
            }),
            self.ctx.bayeux.clone(),
        )
        .await
        .map_err(|e| StepError::CouldNotRun(format!("{actor}: CometD handshake failed: {e}")))?;
        let pattern = ChannelPattern::parse(SUBSCRIPTION)
            .map_err(|e| StepError::CouldNotRun(e.to_string()))?;
        if let Err(e) = bayeux.subscribe(&pattern).await {
            return Err(self.fail(
                "setup",
                format!("{actor}: CometD subscription to {SUBSCRIPTION} failed: {e}"),
                Vec::new(),
            ));
        }
        let start = json!({"operationName": "StartContactCenterSession", "channels": ["chat"]});
        self.setup(actor, &http, "POST", "/api/v2/me", Some(start))
            .await?;
        self.vars
            .set(format!("{actor}.id"), Value::String(user_id.clone()));
        self.vars.set(format!("{actor}.uri"), Value::String(uri));
        self.vars.set(
            format!("{actor}.path"),
            Value::String(format!("/users/{user_id}")),
        );
        self.agents.insert(
            actor.to_owned(),
            AgentSession {
                http,
                bayeux,
                cursor: Cursor::default(),
                user_id,
            },
        );
        Ok(())
    }

    /// The HTTP side of a customer, created on first use.
    pub(crate) fn customer_http(&mut self, customer: &str) -> Result<HttpActor, StepError> {
        if let Some(session) = self.customers.get(customer) {
            return Ok(session.http.clone());
        }
        let auth = Auth::ContactCenter(self.ctx.profile.contact_center_id.clone());
        let http = HttpActor::new(&self.ctx.base_url, auth, self.ctx.request_timeout)
            .map_err(|e| StepError::CouldNotRun(format!("cannot build an HTTP client: {e}")))?;
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
    /// supervisors log out and disconnect. Failures here are not findings.
    pub(crate) async fn clean_up(&mut self) {
        let customers: Vec<(HttpActor, String)> = self
            .customers
            .values()
            .filter_map(|c| c.chat_id.clone().map(|id| (c.http.clone(), id)))
            .collect();
        for (http, chat_id) in customers {
            let body = Body::Json(json!({"operationName": "Complete"}));
            http.send(
                "POST",
                &format!("/api/v2/chats/{chat_id}"),
                Some(&body),
                &[],
            )
            .await;
        }
        let end = Body::Json(json!({"operationName": "EndContactCenterSession"}));
        for session in self.agents.values() {
            session
                .http
                .send("POST", "/api/v2/me", Some(&end), &[])
                .await;
        }
        for session in self.agents.values() {
            // Bounded by the client's own request deadline.
            let _ = session.bayeux.disconnect().await;
        }
    }

    /// Records every notification every actor received, in each actor's arrival order.
    pub(crate) fn collect_notifications(&mut self) {
        let mut names: Vec<&String> = self.agents.keys().collect();
        names.sort();
        let mut received = Vec::new();
        for name in names {
            let session = &self.agents[name];
            for delivery in session.bayeux.inbox().snapshot() {
                received.push(RunEvent::Notification {
                    scenario: self.scenario.name.clone(),
                    actor: name.clone(),
                    seq: delivery.seq,
                    channel: delivery.channel,
                    data: delivery.data,
                });
            }
        }
        self.events.extend(received);
        let findings = self
            .ctx
            .verifier
            .check_run(&self.actors_info(), &self.events);
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
