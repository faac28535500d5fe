//! Target profiles: where the target is and how to log in as each user. Credentials come from
//! the profile or the environment, never from scenarios; each user gives exactly one of
//! `password` and `password_env`. Profiles are read like scenarios (`scenario::yaml`), so their
//! problems are located at `file:line:col` too.
//!
//! ```yaml
//! base_url: http://gws.example:8090      # optional: --target overrides it
//! contact_center_id: default
//! users:
//!   agent1: {password_env: GWS_AGENT1_PASSWORD}
//!   supervisor1: {user_name: sup.one, password: secret}
//! lanes:                                 # optional: more copies of the users (see below)
//!   - contact_center_id: lane2
//!     users:
//!       agent1: {user_name: lane2-agent1, password_env: GWS_LANE2_AGENT1_PASSWORD}
//!       supervisor1: {user_name: lane2-sup.one, password: secret}
//! ```
//!
//! Routing is global on a real server: a chat requested while two scenarios run may be offered
//! to either one's Ready agent. A *lane* is a copy of the scenario users in a contact centre of
//! its own, whose chats the target routes only to that centre's agents; the top-level users
//! are the first lane. Against a target whose profile gives lanes, scenarios run one per lane
//! at the same time ([`Profile::lanes`]); without lanes, one at a time.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use crate::scenario::LoadError;
use crate::scenario::model::Position;
use crate::scenario::yaml;

/// One user's credentials.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileUser {
    /// The login name on the target (default: the key of the user in the profile).
    #[serde(default)]
    pub user_name: Option<String>,
    /// The password, written in the profile.
    #[serde(default)]
    pub password: Option<String>,
    /// The environment variable holding the password.
    #[serde(default)]
    pub password_env: Option<String>,
}

/// A target profile.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The target's base URL (`http://host:port`).
    #[serde(default)]
    pub base_url: Option<String>,
    /// The `ContactCenterId` customers send.
    #[serde(default = "default_contact_center")]
    pub contact_center_id: String,
    /// Users by the name scenarios use, with where each is written in the profile file.
    pub users: BTreeMap<String, Spanned<ProfileUser>>,
    /// More lanes: copies of the users, each in a contact centre of its own.
    #[serde(default)]
    pub lanes: Vec<Spanned<Lane>>,
}

/// A copy of the scenario users in a contact centre of its own (see the module doc).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lane {
    /// The `ContactCenterId` its customers send; the target routes their chats only to this
    /// lane's agents. Distinct from every other lane's.
    pub contact_center_id: String,
    /// Its users by the name scenarios use (a scenario runs only in lanes that have all of its
    /// users).
    pub users: BTreeMap<String, Spanned<ProfileUser>>,
}

fn default_contact_center() -> String {
    "default".to_owned()
}

/// The decoded `user:password` text of an `Authorization` header value using the Basic
/// scheme (RFC 7617), or `None` for another scheme, bad base64 or non-UTF-8 text. Callers
/// split it as they need: the server insists on the colon, tools naming users from captures
/// are lenient.
pub fn basic_auth_text(header_value: &str) -> Option<String> {
    let (scheme, encoded) = header_value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    String::from_utf8(decoded).ok()
}

/// Login name and password of a profile user.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Login name.
    pub user_name: String,
    /// Password.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user_name", &self.user_name)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Where a user's password comes from.
enum PasswordSource<'a> {
    /// Written in the profile.
    Literal(&'a str),
    /// In this environment variable.
    Env(&'a str),
}

impl ProfileUser {
    /// Exactly one of `password` and `password_env` must be given.
    fn password_source(&self) -> Result<PasswordSource<'_>, &'static str> {
        match (&self.password, &self.password_env) {
            (Some(password), None) => Ok(PasswordSource::Literal(password)),
            (None, Some(var)) => Ok(PasswordSource::Env(var)),
            (Some(_), Some(_)) => Err("give `password` or `password_env`, not both"),
            (None, None) => Err("no `password` or `password_env`"),
        }
    }
}

/// Why a profile user's credentials cannot be had.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// A user's password is missing.
    #[error("profile user `{user}`: {message}")]
    Password {
        /// The user.
        user: String,
        /// What is missing.
        message: String,
    },
    /// A scenario uses a user the profile does not define.
    #[error("the profile has no user `{0}`")]
    UnknownUser(String),
}

impl Profile {
    /// The profile of the reference server's built-in directory.
    pub fn builtin() -> Self {
        let user = || {
            let user = ProfileUser {
                user_name: None,
                password: Some("password".to_owned()),
                password_env: None,
            };
            Spanned::new(user, Location::UNKNOWN, Location::UNKNOWN)
        };
        let names = ["agent1", "agent2", "agent3", "supervisor1", "supervisor2"];
        Self {
            base_url: None,
            contact_center_id: default_contact_center(),
            users: names.iter().map(|n| ((*n).to_owned(), user())).collect(),
            lanes: Vec::new(),
        }
    }

    /// The profile of each lane, the top-level users first, each without lanes of its own.
    pub fn lanes(&self) -> Vec<Profile> {
        let first = Profile {
            lanes: Vec::new(),
            ..self.clone()
        };
        let more = self.lanes.iter().map(|lane| Profile {
            base_url: self.base_url.clone(),
            contact_center_id: lane.value.contact_center_id.clone(),
            users: lane.value.users.clone(),
            lanes: Vec::new(),
        });
        std::iter::once(first).chain(more).collect()
    }

    /// Loads a profile file. Every problem is located at `file:line:col`, like a scenario's;
    /// a user must give exactly one of `password` and `password_env` (whether the variable is
    /// set is only checked for the users a run needs).
    pub fn load(path: &Path) -> Result<Self, Vec<LoadError>> {
        let text = yaml::read_text(path).map_err(|e| vec![e])?;
        let profile: Profile = yaml::parse(&text, path, "profile").map_err(|e| vec![e])?;
        let source: Arc<str> = Arc::from(text);
        let at = |location: Location, message: String| {
            LoadError::at(path, &source, Some(Position::from(location)), message)
        };
        let mut errors = Vec::new();
        let mut centres = vec![profile.contact_center_id.as_str()];
        let mut logins: Vec<String> = profile.login_names().collect();
        for (name, user) in &profile.users {
            if let Err(problem) = user.value.password_source() {
                errors.push(at(user.referenced, format!("user `{name}`: {problem}")));
            }
        }
        for (index, lane) in profile.lanes.iter().enumerate() {
            let lane_name = format!("lane {}", index + 2);
            let centre = lane.value.contact_center_id.as_str();
            if centres.contains(&centre) {
                errors.push(at(
                    lane.referenced,
                    format!("{lane_name}: contact_center_id `{centre}` is another lane's too; lanes need contact centres of their own, or their chats could cross"),
                ));
            }
            centres.push(centre);
            for (name, user) in &lane.value.users {
                if let Err(problem) = user.value.password_source() {
                    errors.push(at(
                        user.referenced,
                        format!("{lane_name}, user `{name}`: {problem}"),
                    ));
                }
                let login = user.value.user_name.clone().unwrap_or_else(|| name.clone());
                if logins.contains(&login) {
                    errors.push(at(
                        user.referenced,
                        format!("{lane_name}, user `{name}`: login `{login}` is in another lane too; lanes need users of their own"),
                    ));
                }
                logins.push(login);
            }
        }
        if errors.is_empty() {
            Ok(profile)
        } else {
            Err(errors)
        }
    }

    /// The names the users log in with (`user_name`, else the user's key).
    pub fn login_names(&self) -> impl Iterator<Item = String> + '_ {
        self.users
            .iter()
            .map(|(name, user)| user.value.user_name.clone().unwrap_or_else(|| name.clone()))
    }

    /// The credentials of a user, resolving `password_env`.
    pub fn credentials(&self, user: &str) -> Result<Credentials, ProfileError> {
        let entry = self
            .users
            .get(user)
            .ok_or_else(|| ProfileError::UnknownUser(user.to_owned()))?;
        let missing = |message: String| ProfileError::Password {
            user: user.to_owned(),
            message,
        };
        let entry = &entry.value;
        let password = match entry.password_source().map_err(|m| missing(m.to_owned()))? {
            PasswordSource::Literal(password) => password.to_owned(),
            PasswordSource::Env(var) => std::env::var(var)
                .map_err(|_| missing(format!("environment variable {var} is not set")))?,
        };
        Ok(Credentials {
            user_name: entry.user_name.clone().unwrap_or_else(|| user.to_owned()),
            password,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_profile_matches_the_reference_directory() {
        let profile = Profile::builtin();
        let creds = profile.credentials("supervisor2").unwrap();
        assert_eq!(creds.user_name, "supervisor2");
        assert_eq!(creds.password, "password");
        assert!(matches!(
            profile.credentials("nobody"),
            Err(ProfileError::UnknownUser(_))
        ));
        assert!(
            !format!("{creds:?}").contains("password\""),
            "passwords never print"
        );
    }

    #[test]
    fn lanes_need_contact_centres_and_logins_of_their_own() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("profile.yaml");
        let text = "contact_center_id: one\nusers:\n  agent1: {password: x}\nlanes:\n  - contact_center_id: two\n    users:\n      agent1: {user_name: a2, password: x}\n  - contact_center_id: one\n    users:\n      agent1: {password: x}\n";
        std::fs::write(&path, text).unwrap();
        let errors = Profile::load(&path).unwrap_err();
        let rendered: Vec<String> = errors.iter().map(|e| e.render()).collect();
        assert_eq!(errors.len(), 2, "{rendered:#?}");
        assert!(
            rendered[0].contains("lane 3: contact_center_id `one`"),
            "{}",
            rendered[0]
        );
        assert!(rendered[0].contains("profile.yaml:8:"), "{}", rendered[0]);
        assert!(
            rendered[1].contains("login `agent1` is in another lane"),
            "{}",
            rendered[1]
        );
        assert!(rendered[1].contains("profile.yaml:10:"), "{}", rendered[1]);
        let good = "contact_center_id: one\nusers:\n  agent1: {password: x}\nlanes:\n  - contact_center_id: two\n    users:\n      agent1: {user_name: a2, password: x}\n";
        std::fs::write(&path, good).unwrap();
        let lanes = Profile::load(&path).unwrap().lanes();
        assert_eq!(lanes.len(), 2);
        assert_eq!(lanes[1].credentials("agent1").unwrap().user_name, "a2");
    }

    #[test]
    fn login_names_are_user_names_else_keys() {
        let text = "users:\n  a: {password: x}\n  b: {user_name: bee, password: y}\n";
        let profile: Profile = serde_saphyr::from_str(text).unwrap();
        assert_eq!(profile.login_names().collect::<Vec<_>>(), ["a", "bee"]);
    }

    #[test]
    fn passwords_come_from_the_environment() {
        let text = "users:\n  a: {password_env: GWS_CONFORM_TEST_UNSET_VAR}\n  b: {user_name: bee}\n  c: {password: x, password_env: Y}\n";
        let profile: Profile = serde_saphyr::from_str(text).unwrap();
        assert!(
            profile
                .credentials("a")
                .unwrap_err()
                .to_string()
                .contains("GWS_CONFORM_TEST_UNSET_VAR")
        );
        assert!(
            profile
                .credentials("b")
                .unwrap_err()
                .to_string()
                .contains("no `password`")
        );
        assert!(
            profile
                .credentials("c")
                .unwrap_err()
                .to_string()
                .contains("not both")
        );
    }
}
