//! The user directory: who may log in, with which password and roles.
//!
//! The built-in directory (`agent1..3`, `supervisor1..2`, password `password`) is what the
//! harness's default target profile expects; `--users FILE` replaces it with a YAML file.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Deserialize;

use super::ids::IdGen;

/// A role from the `[htcc] roles=` option of a Person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// May log in on the chat channel and handle chats.
    Agent,
    /// May monitor, coach and barge in on other agents' chats.
    Supervisor,
}

impl Role {
    /// The role as GWS prints it in a user resource (`ROLE_AGENT`).
    pub fn wire_name(self) -> &'static str {
        match self {
            Role::Agent => "ROLE_AGENT",
            Role::Supervisor => "ROLE_SUPERVISOR",
        }
    }
}

/// One user of the directory.
#[derive(Debug, Clone)]
pub struct User {
    /// The opaque id used in `/api/v2/users/{id}` (32 hex digits, as GWS prints them).
    pub id: String,
    /// The login name.
    pub user_name: String,
    /// The password checked by HTTP Basic authentication.
    pub password: String,
    /// First name, shown in the user resource.
    pub first_name: String,
    /// Last name, shown in the user resource.
    pub last_name: String,
    /// Roles granted to the user.
    pub roles: Vec<Role>,
    /// The contact centre the user works in: chats requested with its `ContactCenterId` are
    /// routed only to its agents.
    pub contact_center_id: String,
}

impl User {
    /// Whether the user holds `role`.
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// The users a server knows, each in a contact centre.
#[derive(Debug, Clone)]
pub struct Directory {
    /// The contact centre of users whose entry names none (the file's `contactCenterId`).
    pub contact_center_id: String,
    users: Vec<User>,
    /// Every contact centre a user works in, read on every customer request.
    centres: HashSet<String>,
    by_name: HashMap<String, usize>,
    by_id: HashMap<String, usize>,
}

/// Why a users file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// The file could not be read.
    #[error("cannot read users file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The YAML is malformed or does not have the expected shape.
    #[error("invalid users file {path}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// The parser's message, with line and column.
        message: String,
    },
    /// The content is well-formed but not usable.
    #[error("invalid users file {path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// On-disk shape of a users file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct UsersFile {
    #[serde(default = "default_contact_center")]
    contact_center_id: String,
    users: Vec<UserEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct UserEntry {
    user_name: String,
    password: String,
    roles: Vec<Role>,
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
    /// The user's contact centre, when not the file's.
    #[serde(default)]
    contact_center_id: Option<String>,
}

fn default_contact_center() -> String {
    "default".to_owned()
}

impl Directory {
    /// The built-in directory: `agent1`, `agent2`, `agent3` (agent), `supervisor1`, `supervisor2`
    /// (agent and supervisor), all with password `password`, in contact centre `default`.
    pub fn builtin(ids: &IdGen) -> Self {
        let agent = |n: u32| UserEntry {
            user_name: format!("agent{n}"),
            password: "password".into(),
            roles: vec![Role::Agent],
            first_name: Some("Agent".into()),
            last_name: Some(n.to_string()),
            contact_center_id: None,
        };
        let supervisor = |n: u32| UserEntry {
            user_name: format!("supervisor{n}"),
            password: "password".into(),
            roles: vec![Role::Agent, Role::Supervisor],
            first_name: Some("Supervisor".into()),
            last_name: Some(n.to_string()),
            contact_center_id: None,
        };
        let entries = vec![agent(1), agent(2), agent(3), supervisor(1), supervisor(2)];
        Self::from_entries(default_contact_center(), entries, ids)
            .expect("the built-in directory has unique names")
    }

    /// The built-in directory in `lanes` contact centres: the first is the built-in directory
    /// itself; lane `k` (from 2) holds the same users named `lane{k}-agent1` and so on, in
    /// contact centre `lane{k}`. Chats never cross lanes, so a harness can run one scenario
    /// per lane at once ([`Directory::lane_user`] names them).
    pub fn builtin_lanes(lanes: u32, ids: &IdGen) -> Self {
        let mut directory = Self::builtin(ids);
        let builtin: Vec<User> = directory.users.clone();
        for lane in 2..=lanes {
            for user in &builtin {
                directory.push(User {
                    id: ids.user_id(),
                    user_name: Self::lane_user(lane, &user.user_name),
                    contact_center_id: Self::lane_contact_center(lane),
                    ..user.clone()
                });
            }
        }
        directory
    }

    /// The login name of built-in user `name` in lane `lane` of [`Directory::builtin_lanes`].
    pub fn lane_user(lane: u32, name: &str) -> String {
        if lane <= 1 {
            name.to_owned()
        } else {
            format!("lane{lane}-{name}")
        }
    }

    /// The contact centre of lane `lane` of [`Directory::builtin_lanes`].
    pub fn lane_contact_center(lane: u32) -> String {
        if lane <= 1 {
            default_contact_center()
        } else {
            format!("lane{lane}")
        }
    }

    /// Whether `contact_center_id` is one the directory's users work in (or its default).
    pub fn serves(&self, contact_center_id: &str) -> bool {
        contact_center_id == self.contact_center_id || self.centres.contains(contact_center_id)
    }

    /// A directory of `agents` agents (`agent1..`) and `supervisors` supervisors
    /// (`supervisor1..`), password `password`; used by benchmarks that need many users.
    pub fn generated(agents: u32, supervisors: u32, ids: &IdGen) -> Self {
        let mut entries = Vec::new();
        for n in 1..=agents {
            entries.push(UserEntry {
                user_name: format!("agent{n}"),
                password: "password".into(),
                roles: vec![Role::Agent],
                first_name: None,
                last_name: None,
                contact_center_id: None,
            });
        }
        for n in 1..=supervisors {
            entries.push(UserEntry {
                user_name: format!("supervisor{n}"),
                password: "password".into(),
                roles: vec![Role::Agent, Role::Supervisor],
                first_name: None,
                last_name: None,
                contact_center_id: None,
            });
        }
        Self::from_entries(default_contact_center(), entries, ids)
            .expect("generated names are unique")
    }

    /// Loads a users file (YAML: `contactCenterId`, `users: [{userName, password, roles,
    /// firstName?, lastName?, contactCenterId?}]`).
    pub fn load(path: &Path, ids: &IdGen) -> Result<Self, DirectoryError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| DirectoryError::Read {
            path: shown.clone(),
            source,
        })?;
        Self::parse(&text, &shown, ids)
    }

    /// Parses the YAML text of a users file; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str, ids: &IdGen) -> Result<Self, DirectoryError> {
        let file: UsersFile = serde_saphyr::from_str(text).map_err(|e| DirectoryError::Parse {
            path: origin.to_owned(),
            message: e.to_string(),
        })?;
        if file.users.is_empty() {
            return Err(DirectoryError::Invalid {
                path: origin.to_owned(),
                message: "the file lists no users".into(),
            });
        }
        Self::from_entries(file.contact_center_id, file.users, ids).map_err(|message| {
            DirectoryError::Invalid {
                path: origin.to_owned(),
                message,
            }
        })
    }

    fn from_entries(
        contact_center_id: String,
        entries: Vec<UserEntry>,
        ids: &IdGen,
    ) -> Result<Self, String> {
        let mut directory = Directory {
            users: Vec::with_capacity(entries.len()),
            centres: HashSet::new(),
            by_name: HashMap::new(),
            by_id: HashMap::new(),
            contact_center_id,
        };
        for entry in entries {
            if entry.user_name.is_empty() {
                return Err("a user has an empty userName".into());
            }
            if entry.roles.is_empty() {
                return Err(format!("user {:?} has no roles", entry.user_name));
            }
            if directory.by_name.contains_key(&entry.user_name) {
                return Err(format!("userName {:?} appears twice", entry.user_name));
            }
            let user = User {
                id: ids.user_id(),
                first_name: entry.first_name.unwrap_or_default(),
                last_name: entry.last_name.unwrap_or_default(),
                user_name: entry.user_name,
                password: entry.password,
                roles: entry.roles,
                contact_center_id: entry
                    .contact_center_id
                    .unwrap_or_else(|| directory.contact_center_id.clone()),
            };
            directory.push(user);
        }
        Ok(directory)
    }

    /// Adds a user whose name is not taken yet.
    fn push(&mut self, user: User) {
        let slot = self.users.len();
        self.centres.insert(user.contact_center_id.clone());
        self.by_name.insert(user.user_name.clone(), slot);
        self.by_id.insert(user.id.clone(), slot);
        self.users.push(user);
    }

    /// Looks a user up by login name.
    pub fn by_name(&self, user_name: &str) -> Option<&User> {
        self.by_name.get(user_name).map(|&slot| &self.users[slot])
    }

    /// Looks a user up by id.
    pub fn by_id(&self, id: &str) -> Option<&User> {
        self.by_id.get(id).map(|&slot| &self.users[slot])
    }

    /// Every user, in file order.
    pub fn users(&self) -> &[User] {
        &self.users
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_directory_has_the_documented_users() {
        let dir = Directory::builtin(&IdGen::new());
        assert_eq!(dir.contact_center_id, "default");
        let names: Vec<_> = dir.users().iter().map(|u| u.user_name.as_str()).collect();
        assert_eq!(
            names,
            ["agent1", "agent2", "agent3", "supervisor1", "supervisor2"]
        );
        assert!(!dir.by_name("agent1").unwrap().has_role(Role::Supervisor));
        assert!(
            dir.by_name("supervisor2")
                .unwrap()
                .has_role(Role::Supervisor)
        );
        let id = &dir.by_name("agent2").unwrap().id;
        assert_eq!(id.len(), 32);
        assert_eq!(dir.by_id(id).unwrap().user_name, "agent2");
    }

    #[test]
    fn users_file_replaces_the_directory() {
        let yaml = "contactCenterId: cc1\nusers:\n  - userName: ann\n    password: pw\n    roles: [agent, supervisor]\n";
        let dir = Directory::parse(yaml, "users.yaml", &IdGen::new()).unwrap();
        assert_eq!(dir.contact_center_id, "cc1");
        assert_eq!(dir.users().len(), 1);
        assert!(dir.by_name("ann").unwrap().has_role(Role::Supervisor));
        assert!(dir.by_name("agent1").is_none());
    }

    #[test]
    fn bad_users_files_are_reported_not_panicked_on() {
        let ids = IdGen::new();
        for (yaml, needle) in [
            ("users: []\n", "no users"),
            (
                "users:\n  - userName: a\n    password: p\n    roles: [boss]\n",
                "boss",
            ),
            (
                "users:\n  - userName: a\n    password: p\n    roles: []\n",
                "no roles",
            ),
            (
                "users:\n  - userName: a\n    password: p\n    roles: [agent]\n    colour: red\n",
                "colour",
            ),
            (
                "users:\n  - {userName: a, password: p, roles: [agent]}\n  - {userName: a, password: q, roles: [agent]}\n",
                "twice",
            ),
            ("[1, 2", "invalid users file"),
        ] {
            let err = Directory::parse(yaml, "u.yaml", &ids)
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{yaml:?}: {err}");
        }
    }
}
