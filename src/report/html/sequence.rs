//! The sequence diagram of one trial, as inline SVG: one lane for the server and one per
//! actor, every message an arrow in time order. Each arrow is a link to the full JSON of its
//! event (a `<details>` element the page opens when the arrow is clicked); a failing arrow has
//! the class `fail` (drawn red, with a cross).

use maud::{Markup, html};

use super::messages::{Direction, Message};

/// Horizontal distance between lanes.
const LANE: u32 = 220;
/// Left margin, where the times are written.
const MARGIN: u32 = 70;
/// Height of one message's row.
const ROW: u32 = 24;
/// Where the first row is.
const TOP: u32 = 44;
/// Longest label drawn, in characters (the full text is in the arrow's title).
const LABEL: usize = 32;

/// The lane of the server and of every actor that sent or received something, in order of
/// first appearance.
pub(super) fn lanes<'a>(messages: &[Message<'a>]) -> Vec<&'a str> {
    let mut lanes: Vec<&str> = vec!["server"];
    for message in messages {
        let actor = message.actor.unwrap_or("harness");
        if !lanes[1..].contains(&actor) {
            lanes.push(actor);
        }
    }
    lanes
}

fn lane_x(lane: usize) -> u32 {
    MARGIN + LANE / 2 + lane as u32 * LANE
}

fn shortened(label: &str) -> String {
    if label.chars().count() <= LABEL {
        label.to_owned()
    } else {
        let cut: String = label.chars().take(LABEL - 1).collect();
        format!("{cut}…")
    }
}

/// The diagram of `messages`; `anchor(event)` is the id of the element holding event `event`.
pub(super) fn diagram(messages: &[Message<'_>], anchor: impl Fn(usize) -> String) -> Markup {
    let lanes = lanes(messages);
    let width = MARGIN + lanes.len() as u32 * LANE;
    let bottom = TOP + messages.len() as u32 * ROW;
    let height = bottom + 10;
    let lane_of = |actor: Option<&str>| {
        let actor = actor.unwrap_or("harness");
        lanes.iter().position(|l| *l == actor).unwrap_or(0)
    };
    html! {
        svg.sequence width=(width) height=(height)
            viewBox={ "0 0 " (width) " " (height) } role="img" {
            @for (index, name) in lanes.iter().enumerate() {
                g.lane data-actor=(name) {
                    text.lane-name x=(lane_x(index)) y="18" text-anchor="middle" { (name) }
                    line.lifeline x1=(lane_x(index)) y1="26" x2=(lane_x(index)) y2=(bottom) {}
                }
            }
            @for (row, message) in messages.iter().enumerate() {
                @let y = TOP + row as u32 * ROW + ROW / 2;
                @let server = lane_x(0) as i64;
                @let actor = lane_x(lane_of(message.actor)) as i64;
                @let (from, to) = match message.direction {
                    Direction::Request => (actor, server),
                    Direction::Response | Direction::Notification => (server, actor),
                };
                @let head = if to > from { to - 8 } else { to + 8 };
                @let kind = match message.direction {
                    Direction::Request => "request",
                    Direction::Response => "response",
                    Direction::Notification => "notification",
                };
                a.arrow href={ "#" (anchor(message.event)) } {
                    g class={ "message " (kind) @if message.failing { " fail" } }
                        data-actor=(message.actor.unwrap_or("harness")) {
                        title { (message.title) }
                        @if let Some(at) = message.at_ms {
                            text.time x="4" y=(y + 4) { (at) " ms" }
                        }
                        line x1=(from) y1=(y) x2=(head) y2=(y) {}
                        polygon points={
                            (to) "," (y) " " (head) "," (y as i64 - 5) " " (head) "," (y as i64 + 5)
                        } {}
                        text.label x=((from + to) / 2) y=(y - 4) text-anchor="middle" {
                            @if message.failing { "✗ " }
                            (shortened(&message.label))
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(actor: &str, direction: Direction, failing: bool) -> Message<'_> {
        Message {
            actor: Some(actor),
            direction,
            label: "POST /api/v2/me".to_owned(),
            title: "POST /api/v2/me <script>alert(1)</script>".to_owned(),
            at_ms: Some(7),
            failing,
            event: 3,
        }
    }

    #[test]
    fn one_lane_per_actor_after_the_server_and_one_arrow_per_message() {
        let messages = [
            message("agent", Direction::Request, false),
            message("supervisor", Direction::Notification, true),
            message("agent", Direction::Response, false),
        ];
        assert_eq!(lanes(&messages), ["server", "agent", "supervisor"]);
        let svg = diagram(&messages, |event| format!("e{event}")).into_string();
        assert_eq!(svg.matches("<a class=\"arrow\" href=\"#e3\"").count(), 3);
        assert_eq!(
            svg.matches("class=\"message notification fail\"").count(),
            1
        );
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;"), "{svg}");
    }

    #[test]
    fn long_labels_are_shortened_and_short_ones_kept() {
        assert_eq!(shortened("GET /x"), "GET /x");
        let long = shortened(&"a".repeat(80));
        assert_eq!(long.chars().count(), LABEL);
        assert!(long.ends_with('…'));
    }
}
