//! gws-conform: a conformance harness for the Genesys Web Services (GWS) Chat API's supervisor
//! monitoring, with an embedded reference server that implements the documented behaviour.
//!
//! - [`server`]: the reference server (an axum app) used as the default target.
//! - [`bayeux`]: Bayeux protocol pieces shared by server and client.
//! - [`driver`]: what the harness uses to talk to a target (the Bayeux client).
//! - [`har`]: HAR recordings (`run --record`, the recording [`proxy`]).
//! - [`output`]: output files (reports, recordings): checked before a command starts, written
//!   without harming what is at their path.
//! - [`replay`]: replay of a HAR capture against a target, with the notifications compared.
//! - [`cli`]: command-line definitions and one function per subcommand.

pub mod bayeux;
pub mod check;
pub mod cli;
#[cfg(test)]
mod doc_examples;
pub mod driver;
pub mod embedded;
pub mod event;
pub mod exit;
pub mod explore;
pub mod har;
pub mod output;
pub mod profile;
pub mod proxy;
pub mod replay;
pub mod report;
pub mod request_log;
pub mod run;
pub mod scenario;
pub mod server;
pub mod spec;
pub mod trial;
pub mod verdict;
