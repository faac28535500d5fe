//! Ending a user's part in each chat it is still in, as the documents allow its role: a
//! supervisor Leaves; an agent Completes (which ends the chat for everyone, its customer
//! included), or Leaves where Complete is not among its capabilities (a consultant) or is
//! refused; a chat offered to an agent is accepted first, since turning it down (Reject, or
//! logging out) would only queue its customer again (docs/rulings.md, `doc-chat-operations`).

use super::report::{CleanReport, Cleaned};
use super::user::{Answer, ChatSeen, UserSession};

/// Ends `session`'s part in every chat it is in, reporting each; `agent` says whether the user
/// plays an agent in the scenarios (else a supervisor, which only ever Leaves).
pub(super) async fn finish_chats(session: &UserSession, agent: bool, report: &mut CleanReport) {
    let chats = match session.chats().await {
        Ok(chats) => chats,
        Err(why) => return report.warn(&session.name, why),
    };
    for chat in chats {
        let done = if !agent {
            leave(session, &chat.id)
                .await
                .map(|()| Cleaned::LeftChat { chat: chat.id })
        } else if chat.offered {
            accept_and_complete(session, &chat.id)
                .await
                .map(|()| Cleaned::CompletedOffer { chat: chat.id })
        } else {
            complete_or_leave(session, &chat).await
        };
        match done {
            Ok(cleaned) => report.add(&session.name, cleaned),
            Err(why) => report.warn(&session.name, why),
        }
    }
}

/// Accepts a chat offered to the agent, then completes it, which ends it for its customer.
pub(super) async fn accept_and_complete(session: &UserSession, chat: &str) -> Result<(), String> {
    for operation in ["Accept", "Complete"] {
        operate(session, chat, operation).await?;
    }
    Ok(())
}

/// An agent's chat: Complete when its capabilities allow it, else (or when it is refused)
/// Leave.
async fn complete_or_leave(session: &UserSession, chat: &ChatSeen) -> Result<Cleaned, String> {
    let completed = if chat.allows("Complete") {
        operate(session, &chat.id, "Complete").await
    } else {
        Err(format!(
            "chat {}: Complete is not among its capabilities",
            chat.id
        ))
    };
    let Err(not_completed) = completed else {
        return Ok(Cleaned::CompletedChat {
            chat: chat.id.clone(),
        });
    };
    if !chat.allows("Leave") {
        return Err(not_completed);
    }
    match leave(session, &chat.id).await {
        Ok(()) => Ok(Cleaned::LeftChat {
            chat: chat.id.clone(),
        }),
        Err(not_left) => Err(format!("{not_completed}; {not_left}")),
    }
}

/// Leave.
async fn leave(session: &UserSession, chat: &str) -> Result<(), String> {
    operate(session, chat, "Leave").await
}

/// A chat operation that must succeed; what went wrong otherwise.
async fn operate(session: &UserSession, chat: &str, operation: &str) -> Result<(), String> {
    match session.chat_operation(chat, operation).await {
        Answer::Done => Ok(()),
        Answer::Refused(why) => Err(format!("{operation} of chat {chat} refused: {why}")),
        Answer::Failed(why) => Err(format!("{operation} of chat {chat}: {why}")),
    }
}
