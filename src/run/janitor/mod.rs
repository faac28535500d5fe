//! A clean target: brings the profile users a run is about to use back to logged out, whatever
//! an earlier run left them in. A run interrupted by Ctrl-C or a kill never gets to its
//! scenarios' clean-up, and leaves agents logged in and Ready (chats are routed to them),
//! supervisors monitoring and in chats, chats open; the next run's scenarios then meet that
//! state and fail for reasons of the harness's own making.
//!
//! [`clean_target`] logs in as each user the way the runner's actors do, finds what is left
//! and ends it, in the order that keeps one step from undoing another: supervisors cancel
//! monitoring of every agent user (so nothing new is joined), Ready users are made Not Ready
//! (so nothing new is routed to them), every chat is left or completed, the queue is drained
//! (`queue.rs`), and every contact-center session is ended. Only the users given are touched.
//! `run` calls it before the first scenario against a target; it is as fit for the runner to
//! call after an interrupted run, being bounded by its own deadline.

mod chats;
mod queue;
mod report;
mod user;

use std::collections::BTreeSet;
use std::time::Duration;

use crate::driver::format_duration;
use crate::driver::route::Route;
use crate::profile::Profile;
use crate::run::requests;
use crate::scenario::Scenario;
use crate::scenario::model::Role;
pub use report::{CleanReport, Cleaned};
use user::{Answer, ChannelState, NotLoggedIn, UserSession};

/// The profile users to clean, with the part each plays in the scenarios: it decides who
/// cancels monitoring of whom, and who Completes a chat rather than Leaves it.
#[derive(Debug, Clone, Default)]
pub struct TargetUsers {
    agents: BTreeSet<String>,
    supervisors: BTreeSet<String>,
}

impl TargetUsers {
    /// Every profile user `scenarios` log in as, agents and supervisors.
    pub fn of<'a>(scenarios: impl IntoIterator<Item = &'a Scenario>) -> Self {
        let mut users = Self::default();
        for scenario in scenarios {
            for actor in &scenario.actors {
                if let Some(user) = &actor.user {
                    users.add(user, actor.role);
                }
            }
        }
        users
    }

    /// Adds a profile user playing `role` (customers, which are no profile users, are
    /// ignored). A user may play an agent in one scenario and a supervisor in another.
    pub fn add(&mut self, user: &str, role: Role) {
        match role {
            Role::Agent => self.agents.insert(user.to_owned()),
            Role::Supervisor => self.supervisors.insert(user.to_owned()),
            Role::Customer => false,
        };
    }

    /// Every user, agents and supervisors, by name.
    fn names(&self) -> BTreeSet<&str> {
        self.agents
            .iter()
            .chain(&self.supervisors)
            .map(String::as_str)
            .collect()
    }
}

/// How long a clean-up may take.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deadline of each HTTP request, the whole response included.
    pub request_timeout: Duration,
    /// Deadline of the whole clean-up; past it, it stops where it is and says so.
    pub deadline: Duration,
}

/// How many request deadlines the whole clean-up gets by default, besides the queue drain's
/// own bound: against a target that answers, it takes a fraction of a second; against one that
/// lets requests time out, this many of them are enough to say so.
const DEADLINE_IN_REQUESTS: u32 = 6;

impl Limits {
    /// `request_timeout` for each request, and room for six of them beyond the queue drain's
    /// 5 s for the whole.
    pub fn new(request_timeout: Duration) -> Self {
        Self {
            request_timeout,
            deadline: request_timeout.saturating_mul(DEADLINE_IN_REQUESTS) + queue::MAX_DRAIN,
        }
    }
}

/// Why the clean-up could not be done at all: the target did not answer.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CleanError(String);

/// A user being cleaned.
struct Member {
    session: UserSession,
    /// Plays an agent in the scenarios (so Completes its chats and drains the queue).
    agent: bool,
    /// Plays a supervisor in the scenarios (so cancels monitoring of the agents).
    supervisor: bool,
    /// Its state on the chat channel when the clean-up found it.
    found: ChannelState,
    /// The clean-up started its contact-center session (to drain the queue) and must end it.
    started: bool,
}

/// Brings `users` on the target at `base_url` (reached by `route`) back to logged out: no monitoring, no chats,
/// not Ready, no contact-center session. Returns what it found and did, and what the target
/// refused or did not answer (warnings; the clean-up goes on past each). An error means the
/// target gave no answer when a user logged in: nothing can be cleaned, and nothing run.
pub async fn clean_target(
    base_url: &str,
    route: &Route,
    profile: &Profile,
    users: &TargetUsers,
    limits: Limits,
) -> Result<CleanReport, CleanError> {
    let mut report = CleanReport::default();
    let cleaning = clean(
        base_url,
        route,
        profile,
        users,
        limits.request_timeout,
        &mut report,
    );
    match tokio::time::timeout(limits.deadline, cleaning).await {
        Ok(done) => done?,
        Err(_) => report.warnings.push(format!(
            "stopped at its deadline ({}): the target answers too slowly; what is left of \
             an earlier run may fail the first scenarios",
            format_duration(limits.deadline)
        )),
    }
    Ok(report)
}

/// The clean-up, step by step; see the module's documentation for why in this order.
async fn clean(
    base_url: &str,
    route: &Route,
    profile: &Profile,
    users: &TargetUsers,
    timeout: Duration,
    report: &mut CleanReport,
) -> Result<(), CleanError> {
    let mut members = Vec::new();
    for name in users.names() {
        let session = match UserSession::log_in(base_url, route, profile, name, timeout).await {
            Ok(session) => session,
            Err(NotLoggedIn::Unreachable(why)) => return Err(CleanError(why)),
            Err(NotLoggedIn::Refused(why)) => {
                report.warn(name, format!("cannot log in: {why}"));
                continue;
            }
        };
        let found = session.channel_state().await;
        members.push(Member {
            agent: users.agents.contains(name),
            supervisor: users.supervisors.contains(name),
            session,
            found,
            started: false,
        });
    }
    for member in members.iter().filter(|m| m.supervisor) {
        cancel_monitoring(member, &members, report).await;
    }
    for member in members.iter().filter(|m| m.found == ChannelState::Ready) {
        let session = &member.session;
        match session.readiness(false).await {
            Answer::Done => report.add(&session.name, Cleaned::WasReady),
            Answer::Refused(why) | Answer::Failed(why) => {
                report.warn(&session.name, format!("NotReady: {why}"));
            }
        }
    }
    // Supervisors first: an agent's Complete would revoke them, and the report would not show
    // the chats they were left in.
    let (supervisors, agents): (Vec<&Member>, Vec<&Member>) =
        members.iter().partition(|m| !m.agent);
    for member in supervisors.into_iter().chain(agents) {
        chats::finish_chats(&member.session, member.agent, report).await;
    }
    queue::drain(&mut members, report).await;
    for member in &members {
        end_session(member, report).await;
    }
    Ok(())
}

/// CancelSupervisorMonitoring of every agent user but itself. A refusal means there was
/// nothing to cancel (or the user may not monitor), which is no news.
async fn cancel_monitoring(supervisor: &Member, members: &[Member], report: &mut CleanReport) {
    let session = &supervisor.session;
    let agents = members
        .iter()
        .filter(|m| m.agent && m.session.name != session.name);
    for agent in agents {
        let path = requests::monitoring_path(&agent.session.id);
        let body = requests::operation("CancelSupervisorMonitoring");
        match session.post(&path, body).await {
            // A target may also accept a cancel with nothing to cancel (docs/rulings.md,
            // `choice-repeated-cancel`), so success alone proves nothing. Monitoring ends on
            // logout (the seed page) and the harness monitors only while logged in: for a
            // supervisor found logged out, success means there was nothing left to cancel.
            Answer::Done if supervisor.found != ChannelState::LoggedOut => {
                let agent = agent.session.name.clone();
                report.add(&session.name, Cleaned::CancelledMonitoring { agent });
            }
            Answer::Done | Answer::Refused(_) => {}
            Answer::Failed(why) => report.warn(
                &session.name,
                format!(
                    "CancelSupervisorMonitoring of {}: {why}",
                    agent.session.name
                ),
            ),
        }
    }
}

/// EndContactCenterSession for a user found logged in, or logged in by the drain, or whose
/// state the target did not show (a refusal then only says it was logged out).
async fn end_session(member: &Member, report: &mut CleanReport) {
    let found = &member.found;
    if *found == ChannelState::LoggedOut && !member.started {
        return;
    }
    let session = &member.session;
    let body = requests::operation("EndContactCenterSession");
    match session.post(requests::ME, body).await {
        Answer::Done if matches!(found, ChannelState::Ready | ChannelState::LoggedIn) => {
            report.add(&session.name, Cleaned::EndedSession);
        }
        Answer::Done => {}
        Answer::Refused(_) if *found == ChannelState::Unknown => {}
        Answer::Refused(why) | Answer::Failed(why) => {
            report.warn(&session.name, format!("EndContactCenterSession: {why}"));
        }
    }
}
