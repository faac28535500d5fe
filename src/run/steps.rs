//! Running the steps of a scenario: building each request from its action, checking the
//! response (status, `statusCode`, matchers), and capturing values.

use serde_json::{Map, Value, json};

use super::{Runner, StepError, requests};
use crate::driver::http::{Body, Exchange, HttpActor};
use crate::scenario::matcher::MatchError;
use crate::scenario::model::{
    Action, Capture, ExpectedOutcome, ResponseCheck, Role, StatusCodeCheck, Step,
};
use crate::scenario::template::Undefined;

/// A request a step makes: who, and what.
struct Request {
    actor: Option<String>,
    http: HttpActor,
    method: &'static str,
    path: String,
    body: Option<Body>,
    headers: Vec<(String, String)>,
}

impl Runner<'_> {
    /// Runs every step in order; stops at the first that fails.
    pub(crate) async fn run_steps(&mut self) -> Result<(), StepError> {
        for (index, step) in self.scenario.steps.iter().enumerate() {
            self.enter_step(Some(index));
            let result = self.run_step(step).await;
            // A failed check is described by its finding; only "could not run" needs words here.
            let message = match &result {
                Err(StepError::CouldNotRun(message)) => Some(message.clone()),
                _ => None,
            };
            self.step_ended(index, result.is_ok(), message);
            result?;
        }
        Ok(())
    }

    /// Records how step `index` ended (`message`: why it could not run).
    pub(crate) fn step_ended(&mut self, index: usize, passed: bool, message: Option<String>) {
        let step = &self.scenario.steps[index];
        self.events.push(crate::event::RunEvent::Step {
            scenario: self.scenario.name.clone(),
            step: index,
            line: step.position.line,
            action: step.action.keyword().to_owned(),
            passed,
            message,
        });
    }

    fn undefined(&mut self, error: Undefined) -> StepError {
        self.fail("scenario.variable", error.to_string(), Vec::new())
    }

    fn agent_http(&self, actor: &str) -> Result<HttpActor, StepError> {
        self.agents
            .get(actor)
            .map(|s| s.http.clone())
            .ok_or_else(|| StepError::CouldNotRun(format!("`{actor}` is not logged in")))
    }

    fn user_id(&self, actor: &str) -> Result<String, StepError> {
        self.agents
            .get(actor)
            .map(|s| s.user_id.clone())
            .ok_or_else(|| StepError::CouldNotRun(format!("`{actor}` is not logged in")))
    }

    fn customer_chat(&self, customer: &str) -> Result<String, StepError> {
        self.customers
            .get(customer)
            .and_then(|c| c.chat_id.clone())
            .ok_or_else(|| {
                StepError::CouldNotRun(format!(
                    "customer `{customer}` has no chat (its RequestChat failed)"
                ))
            })
    }

    /// `settle`: waits until the calibrated quiet window (at most `written`) has passed since
    /// the last operation began.
    async fn settle(&self, written: std::time::Duration) {
        let window = self.ctx.quiet.window(written).length;
        let began = self.step.and_then(|step| self.operation_began(step));
        let until = began.unwrap_or_else(std::time::Instant::now) + window;
        tokio::time::sleep_until(until.into()).await;
    }

    async fn run_step(&mut self, step: &Step) -> Result<(), StepError> {
        let (actor, exchange) = match &step.action {
            Action::Login(actor) => return self.login(actor).await,
            Action::Expect(expectation) => return self.expect(expectation).await,
            Action::Settle(written) => {
                self.settle(*written).await;
                return Ok(());
            }
            Action::BayeuxUnknownClient(actor) => return self.probe_unknown_client(actor).await,
            Action::Refuses {
                actor,
                chat,
                operations,
            } => return self.refuses(actor, chat, operations).await,
            Action::Ready(actor) | Action::NotReady(actor) => {
                let ready = matches!(step.action, Action::Ready(_));
                let http = self.agent_http(actor)?;
                (
                    Some(actor.clone()),
                    self.readiness(actor, &http, ready).await,
                )
            }
            action => {
                let request = self.request_for(action)?;
                let exchange = self.send(&request).await;
                (request.actor, exchange)
            }
        };
        self.check_response(actor.as_deref(), &exchange, &step.response)?;
        let body = exchange.response.clone().unwrap_or(Value::Null);
        self.capture(&step.captures, &body, "response")?;
        // A chat the step expected to get (HTTP 200) needs its id for the customer's later
        // steps; a target that leaves it out is at fault, not the scenario.
        if let Action::RequestChat { customer, .. } = &step.action
            && step.response.outcome.expects_success()
        {
            let Some(id) = body.get("id").and_then(Value::as_str) else {
                return Err(self.fail(
                    "response",
                    format!(
                        "{customer}: {} {}: the RequestChat response has no chat `id` (a string)",
                        exchange.method, exchange.url
                    ),
                    vec![format!("response body: {body}")],
                ));
            };
            if let Some(session) = self.customers.get_mut(customer) {
                session.chat_id = Some(id.to_owned());
            }
        }
        Ok(())
    }

    fn request_for(&mut self, action: &Action) -> Result<Request, StepError> {
        let agent =
            |this: &Self, actor: &str, path: &str, body: Value| -> Result<Request, StepError> {
                Ok(Request {
                    actor: Some(actor.to_owned()),
                    http: this.agent_http(actor)?,
                    method: "POST",
                    path: path.to_owned(),
                    body: Some(Body::Json(body)),
                    headers: Vec::new(),
                })
            };
        Ok(match action {
            Action::Logout(actor) => agent(
                self,
                actor,
                requests::ME,
                requests::operation("EndContactCenterSession"),
            )?,
            Action::Monitor {
                supervisor,
                agent: target,
                mode,
                scope,
                nickname,
            } => {
                let mut body = json!({"operationName": mode.name()});
                if let Some(scope) = scope {
                    body["supervisorMonitoringMode"] = json!(scope);
                }
                if let Some(nickname) = nickname {
                    body["nickname"] = json!(nickname);
                }
                let path = requests::monitoring_path(&self.user_id(target)?);
                agent(self, supervisor, &path, body)?
            }
            Action::CancelMonitoring {
                supervisor,
                agent: target,
            } => {
                let path = requests::monitoring_path(&self.user_id(target)?);
                agent(
                    self,
                    supervisor,
                    &path,
                    requests::operation("CancelSupervisorMonitoring"),
                )?
            }
            Action::RequestChat {
                customer,
                subject,
                user_data,
            } => {
                let nickname = self
                    .scenario
                    .actor(customer)
                    .map(|a| a.nickname.clone())
                    .unwrap_or_default();
                let mut body = json!({"operationName": "RequestChat", "nickname": nickname});
                if let Some(subject) = subject {
                    body["subject"] = json!(subject);
                }
                if let Some(user_data) = user_data {
                    body["userData"] = self
                        .vars
                        .render_value(user_data)
                        .map_err(|e| self.undefined(e))?;
                }
                Request {
                    actor: Some(customer.clone()),
                    http: self.customer_http(customer)?,
                    method: "POST",
                    path: requests::CUSTOMER_CHATS.to_owned(),
                    body: Some(Body::Json(body)),
                    headers: Vec::new(),
                }
            }
            Action::CustomerOp {
                customer,
                operation,
                text,
            } => {
                let mut body = json!({"operationName": operation.as_str()});
                if let Some(text) = text {
                    body["text"] = json!(self.vars.render(text).map_err(|e| self.undefined(e))?);
                }
                Request {
                    actor: Some(customer.clone()),
                    http: self.customer_http(customer)?,
                    method: "POST",
                    path: requests::customer_chat_path(&self.customer_chat(customer)?),
                    body: Some(Body::Json(body)),
                    headers: Vec::new(),
                }
            }
            Action::CustomerView { customer } => Request {
                actor: Some(customer.clone()),
                http: self.customer_http(customer)?,
                method: "GET",
                path: requests::customer_chat_path(&self.customer_chat(customer)?),
                body: None,
                headers: Vec::new(),
            },
            Action::CustomerMessages { customer, index } => {
                let query = match index {
                    Some(index) => {
                        let index = self.vars.render(index).map_err(|e| self.undefined(e))?;
                        format!("?index={index}")
                    }
                    None => String::new(),
                };
                Request {
                    actor: Some(customer.clone()),
                    http: self.customer_http(customer)?,
                    method: "GET",
                    path: format!(
                        "{}/messages{query}",
                        requests::customer_chat_path(&self.customer_chat(customer)?)
                    ),
                    body: None,
                    headers: Vec::new(),
                }
            }
            Action::ChatOp {
                actor,
                chat,
                operation,
                params,
            } => self.chat_op_request(actor, chat, operation, params)?,
            Action::Http {
                actor,
                method,
                path,
                body,
                headers,
            } => {
                let path = self.vars.render(path).map_err(|e| self.undefined(e))?;
                let body = match body {
                    Some(Value::String(text)) => Some(Body::Raw(
                        self.vars.render(text).map_err(|e| self.undefined(e))?,
                    )),
                    Some(value) => Some(Body::Json(
                        self.vars
                            .render_value(value)
                            .map_err(|e| self.undefined(e))?,
                    )),
                    None => None,
                };
                let mut rendered = Vec::new();
                for (name, value) in headers {
                    rendered.push((
                        name.clone(),
                        self.vars.render(value).map_err(|e| self.undefined(e))?,
                    ));
                }
                let http = match actor {
                    Some(name) => match self.scenario.actor(name).map(|a| a.role) {
                        Some(Role::Customer) => self.customer_http(name)?,
                        _ => self.agent_http(name)?,
                    },
                    None => self.http_actor(None, crate::driver::http::Auth::Anonymous)?,
                };
                Request {
                    actor: actor.clone(),
                    http,
                    method: method_name(method),
                    path,
                    body,
                    headers: rendered,
                }
            }
            Action::Login(_)
            | Action::Ready(_)
            | Action::NotReady(_)
            | Action::Expect(_)
            | Action::Settle(_)
            | Action::BayeuxUnknownClient(_)
            | Action::Refuses { .. } => {
                return Err(StepError::CouldNotRun(
                    "internal: not a request step".into(),
                ));
            }
        })
    }

    /// Sends a step's request.
    async fn send(&mut self, request: &Request) -> Exchange {
        self.exchange(
            request.actor.as_deref(),
            &request.http,
            request.method,
            &request.path,
            request.body.as_ref(),
            &request.headers,
        )
        .await
    }

    /// `POST /api/v2/me/chats/{chat}` with `operation` and its `params` (templates).
    fn chat_op_request(
        &mut self,
        actor: &str,
        chat: &str,
        operation: &str,
        params: &Value,
    ) -> Result<Request, StepError> {
        let chat = self.vars.render(chat).map_err(|e| self.undefined(e))?;
        let mut body = Map::new();
        body.insert("operationName".into(), json!(operation));
        if let Value::Object(extra) = self
            .vars
            .render_value(params)
            .map_err(|e| self.undefined(e))?
        {
            body.extend(extra);
        }
        Ok(Request {
            actor: Some(actor.to_owned()),
            http: self.agent_http(actor)?,
            method: "POST",
            path: requests::chat_path(&chat),
            body: Some(Body::Json(Value::Object(body))),
            headers: Vec::new(),
        })
    }

    /// `refuses:`: sends every operation, each of which must be refused, and reports every one
    /// that was not (the evidence does not stop at the first).
    async fn refuses(
        &mut self,
        actor: &str,
        chat: &str,
        operations: &[(String, Value)],
    ) -> Result<(), StepError> {
        let refusal = ResponseCheck {
            outcome: ExpectedOutcome::Refused,
            ..ResponseCheck::default()
        };
        let mut failed = false;
        for (operation, params) in operations {
            let request = self.chat_op_request(actor, chat, operation, params)?;
            let exchange = self.send(&request).await;
            match self.check_response(Some(actor), &exchange, &refusal) {
                Ok(()) => {}
                Err(StepError::Failed) => failed = true,
                Err(other) => return Err(other),
            }
        }
        if failed {
            return Err(StepError::Failed);
        }
        Ok(())
    }

    /// Checks status, statusCode and matchers of a response to `actor`'s request.
    pub(crate) fn check_response(
        &mut self,
        actor: Option<&str>,
        exchange: &Exchange,
        check: &ResponseCheck,
    ) -> Result<(), StepError> {
        let who = actor.map(|a| format!("{a}: ")).unwrap_or_default();
        let what = format!("{who}{} {}", exchange.method, exchange.url);
        // The target was reachable when the run started, so a request that gets no usable
        // answer is the target misbehaving: a finding, not a reason the scenario could not run.
        let Some(status) = exchange.status else {
            let error = exchange.error.as_deref().unwrap_or("no response");
            return Err(self.fail("response", format!("{what}: {error}"), Vec::new()));
        };
        let body = exchange.response.clone().unwrap_or(Value::Null);
        let shown = vec![format!("response body: {body}")];
        let (expected_status, expected_code) = match check.outcome {
            ExpectedOutcome::Status {
                status,
                status_code,
            } => (status, status_code),
            ExpectedOutcome::Refused | ExpectedOutcome::SuccessOrRefused => {
                // A body that is not a usable GWS body (not JSON, cut short) says so first.
                if let Some(error) = &exchange.error {
                    return Err(self.fail("response", format!("{what}: {error}"), shown));
                }
                let success = status == 200 && exchange.status_code() == Some(0);
                if check.outcome == ExpectedOutcome::SuccessOrRefused && success {
                    return self.check_body(actor, &what, &body, check, shown);
                }
                if let Some(problem) = refusal_problem(status, &body) {
                    let either = if check.outcome == ExpectedOutcome::Refused {
                        "a refusal"
                    } else {
                        "success (HTTP 200, statusCode 0) or a refusal"
                    };
                    return Err(self.fail(
                        "response.refusal",
                        format!(
                            "{what}: expected {either} (HTTP 400 or 403 with a non-zero statusCode and a statusMessage), got {problem}"
                        ),
                        shown,
                    ));
                }
                return self.check_body(actor, &what, &body, check, shown);
            }
        };
        if status != expected_status {
            let mut message = format!("{what}: expected HTTP {expected_status}, got HTTP {status}");
            if let Some(error) = &exchange.error {
                message = format!("{message} ({error})");
            }
            return Err(self.fail("response.status", message, shown));
        }
        if let Some(error) = &exchange.error {
            return Err(self.fail("response", format!("{what}: {error}"), shown));
        }
        let code = exchange.status_code();
        let code_ok = match expected_code {
            StatusCodeCheck::Exactly(expected) => code == Some(expected),
            StatusCodeCheck::AnyError => code.is_some_and(|c| c > 0),
        };
        if !code_ok {
            let expected = match expected_code {
                StatusCodeCheck::Exactly(n) => n.to_string(),
                StatusCodeCheck::AnyError => "a non-zero value".to_owned(),
            };
            let found = code.map_or_else(|| "none".to_owned(), |c| c.to_string());
            return Err(self.fail(
                "response.statusCode",
                format!("{what}: expected statusCode {expected}, got {found}"),
                shown,
            ));
        }
        self.check_body(actor, &what, &body, check, shown)
    }

    /// Checks the matchers of a response body to `actor`'s request; a mismatch is located at
    /// its path in the response, so a check that found the same place wrong explains it.
    fn check_body(
        &mut self,
        actor: Option<&str>,
        what: &str,
        body: &Value,
        check: &ResponseCheck,
        shown: Vec<String>,
    ) -> Result<(), StepError> {
        let Err(error) = check.matchers.check(body, &self.vars) else {
            return Ok(());
        };
        let mut details = shown;
        details.extend(mismatch_diff(&error));
        let message = format!("{what}: {error}");
        Err(match (actor, error) {
            (Some(actor), MatchError::Mismatch(mismatch)) => self.fail_in_response(
                "response.match",
                message,
                details,
                actor,
                Some(mismatch.place()),
            ),
            _ => self.fail("response.match", message, details),
        })
    }

    /// Sets captured variables from a document.
    pub(crate) fn capture(
        &mut self,
        captures: &[Capture],
        document: &Value,
        what: &str,
    ) -> Result<(), StepError> {
        for capture in captures {
            match capture.path.lookup(document) {
                Some(value) => self.vars.set(capture.name.clone(), value.clone()),
                None if capture.optional => self.vars.set(capture.name.clone(), Value::Null),
                None => {
                    return Err(self.fail(
                        "capture",
                        format!(
                            "cannot capture `{}`: the {what} has nothing at `{}`",
                            capture.name, capture.path
                        ),
                        vec![document.to_string()],
                    ));
                }
            }
        }
        Ok(())
    }
}

fn method_name(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "PATCH" => "PATCH",
        _ => "POST",
    }
}

/// The unified diff of a mismatch between structured documents, if it is one.
pub(crate) fn mismatch_diff(error: &MatchError) -> Option<String> {
    match error {
        MatchError::Mismatch(mismatch) => mismatch.diff(),
        MatchError::Undefined(_) => None,
    }
}

/// What keeps a response from being a refusal as the rulings allow it (docs/rulings.md,
/// `choice-refusals`): HTTP 400 or 403, a non-zero `statusCode` and a `statusMessage` string.
fn refusal_problem(status: u16, body: &Value) -> Option<String> {
    let code = body.get("statusCode").and_then(Value::as_u64);
    let message = body.get("statusMessage").and_then(Value::as_str);
    let shown = format!(
        "HTTP {status} with statusCode {}",
        code.map_or_else(|| "none".to_owned(), |c| c.to_string())
    );
    if !ExpectedOutcome::REFUSAL_STATUSES.contains(&status) || code.is_none_or(|c| c == 0) {
        return Some(shown);
    }
    message
        .is_none()
        .then(|| format!("{shown} but no statusMessage"))
}
