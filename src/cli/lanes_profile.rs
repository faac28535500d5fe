//! `serve --write-profile FILE`: the target profile of the server just started (its address,
//! the built-in users, and one lane per `--lanes`), so `run --profile FILE` needs no editing.

use crate::server::Directory;
use crate::server::ids::IdGen;

/// The profile text for the built-in directory in `lanes` lanes, served at `base_url`.
/// Strings are written as JSON strings, which YAML reads as they are.
pub(super) fn profile_text(base_url: &str, lanes: u32) -> String {
    let directory = Directory::builtin_lanes(lanes, &IdGen::new());
    let quoted = |text: &str| serde_json::Value::from(text).to_string();
    let users_of = |lane: u32, indent: &str| -> String {
        directory
            .users()
            .iter()
            .filter(|user| user.contact_center_id == Directory::lane_contact_center(lane))
            .map(|user| {
                let name = builtin_name(lane, &user.user_name);
                format!(
                    "{indent}{}: {{user_name: {}, password: {}}}\n",
                    quoted(name),
                    quoted(&user.user_name),
                    quoted(&user.password)
                )
            })
            .collect()
    };
    let mut text = format!(
        "# The profile of `gws-conform serve --lanes {lanes}` at {base_url}.\nbase_url: {}\ncontact_center_id: {}\nusers:\n{}",
        quoted(base_url),
        quoted(&directory.contact_center_id),
        users_of(1, "  ")
    );
    if lanes > 1 {
        text.push_str("lanes:\n");
        for lane in 2..=lanes {
            text.push_str(&format!(
                "  - contact_center_id: {}\n    users:\n{}",
                quoted(&Directory::lane_contact_center(lane)),
                users_of(lane, "      ")
            ));
        }
    }
    text
}

/// The name scenarios use for `login`, a user of lane `lane`.
fn builtin_name(lane: u32, login: &str) -> &str {
    let prefix = Directory::lane_user(lane, "");
    login.strip_prefix(prefix.as_str()).unwrap_or(login)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;

    #[test]
    fn the_written_profile_reads_back_with_a_lane_per_contact_centre() {
        let text = profile_text("http://127.0.0.1:8090", 3);
        let profile: Profile = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(profile.base_url.as_deref(), Some("http://127.0.0.1:8090"));
        let lanes = profile.lanes();
        assert_eq!(lanes.len(), 3);
        let centres: Vec<&str> = lanes.iter().map(|l| l.contact_center_id.as_str()).collect();
        assert_eq!(centres, ["default", "lane2", "lane3"]);
        for (lane, in_lane) in lanes.iter().enumerate() {
            assert_eq!(in_lane.users.len(), 5, "{text}");
            let login = in_lane.credentials("supervisor2").unwrap().user_name;
            let expected = Directory::lane_user(lane as u32 + 1, "supervisor2");
            assert_eq!(login, expected);
        }
    }

    #[test]
    fn one_lane_is_the_builtin_profile() {
        let text = profile_text("http://h:1", 1);
        let profile: Profile = serde_saphyr::from_str(&text).unwrap();
        assert!(profile.lanes.is_empty());
        assert_eq!(profile.users.len(), Profile::builtin().users.len());
    }
}
