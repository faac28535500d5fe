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
//! ```

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
        }
    }

    /// Loads a profile file. Every problem is located at `file:line:col`, like a scenario's;
    /// a user must give exactly one of `password` and `password_env` (whether the variable is
    /// set is only checked for the users a run needs).
    pub fn load(path: &Path) -> Result<Self, Vec<LoadError>> {
        let text = yaml::read_text(path).map_err(|e| vec![e])?;
        let profile: Profile = yaml::parse(&text, path, "profile").map_err(|e| vec![e])?;
        let source: Arc<str> = Arc::from(text);
        let errors: Vec<LoadError> = profile
            .users
            .iter()
            .filter_map(|(name, user)| {
                let problem = user.value.password_source().err()?;
                let position = Some(Position::from(user.referenced));
                Some(LoadError::at(
                    path,
                    &source,
                    position,
                    format!("user `{name}`: {problem}"),
                ))
            })
            .collect();
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
