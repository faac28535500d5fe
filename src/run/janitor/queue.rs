//! Chats a killed run left waiting in the queue (requested while no agent was Ready, or
//! transferred to a queue): their customers' ids died with the run, so no request can name
//! them, and the target offers them, oldest first, to the next agent that goes Ready — a later
//! scenario's, which then finds a stranger's chat where it expects its own. The only way to
//! them is the way routing takes: the clean-up makes the run's agents Ready for a moment, and
//! accepts and completes whatever is offered until nothing more comes.
//!
//! Best effort, by nature: a chat one of these agents turned down earlier is never offered to
//! it again, and a target that routes slowly may offer a chat after the quiet period.

use std::collections::HashSet;
use std::time::Duration;

use tokio::time::Instant;

use super::Member;
use super::chats::accept_and_complete;
use super::report::{CleanReport, Cleaned};
use super::user::{Answer, ChannelState};
use crate::run::requests;

/// How long no new offer must come before the queue counts as empty: routing is immediate on
/// the reference server, and takes a moment on a real one.
const QUIET: Duration = Duration::from_millis(500);

/// How often the agents' chats are read meanwhile.
const POLL: Duration = Duration::from_millis(100);

/// The longest the agents stay Ready, however many chats keep coming (a target with other
/// traffic routed to the profile's agents would otherwise keep them at it until the clean-up's
/// own deadline, and leave them Ready).
pub(super) const MAX_DRAIN: Duration = Duration::from_secs(5);

/// Makes every agent of `members` Ready (starting a session for those logged out, which the
/// caller then ends), accepts and completes each chat offered to them until none has come for
/// [`QUIET`], then makes them Not Ready again.
pub(super) async fn drain(members: &mut [Member], report: &mut CleanReport) {
    let mut ready = Vec::new();
    for (index, member) in members.iter_mut().enumerate().filter(|(_, m)| m.agent) {
        let session = &member.session;
        // A user whose state the target did not show is given a session too: a target
        // refuses Ready without one.
        if matches!(
            member.found,
            ChannelState::LoggedOut | ChannelState::Unknown
        ) {
            match session.post(requests::ME, requests::start_session()).await {
                Answer::Done => member.started = true,
                Answer::Refused(why) | Answer::Failed(why) => {
                    report.warn(&session.name, format!("StartContactCenterSession: {why}"));
                    continue;
                }
            }
        }
        match session.readiness(true).await {
            Answer::Done => ready.push(index),
            Answer::Refused(why) | Answer::Failed(why) => {
                report.warn(&session.name, format!("Ready: {why}"));
            }
        }
    }
    let started = Instant::now();
    let mut last_offer = started;
    // Each chat is tried once: one whose Accept fails would otherwise be met on every poll.
    let mut tried = HashSet::new();
    while !ready.is_empty() && last_offer.elapsed() < QUIET && started.elapsed() < MAX_DRAIN {
        tokio::time::sleep(POLL).await;
        let mut unreadable = Vec::new();
        for &index in &ready {
            let session = &members[index].session;
            let chats = match session.chats().await {
                Ok(chats) => chats,
                Err(why) => {
                    report.warn(&session.name, why);
                    unreadable.push(index);
                    continue;
                }
            };
            for chat in chats.into_iter().filter(|c| c.offered) {
                if !tried.insert((index, chat.id.clone())) {
                    continue;
                }
                last_offer = Instant::now();
                match accept_and_complete(session, &chat.id).await {
                    Ok(()) => report.add(&session.name, Cleaned::CompletedQueued { chat: chat.id }),
                    Err(why) => report.warn(&session.name, why),
                }
            }
        }
        // An agent whose chats cannot be read is of no use here: Not Ready at once.
        for index in unreadable {
            stop(&members[index], report).await;
            ready.retain(|&i| i != index);
        }
    }
    for index in ready {
        stop(&members[index], report).await;
    }
}

/// Makes a drained agent Not Ready again.
async fn stop(member: &Member, report: &mut CleanReport) {
    if let Answer::Refused(why) | Answer::Failed(why) = member.session.readiness(false).await {
        report.warn(&member.session.name, format!("NotReady: {why}"));
    }
}
