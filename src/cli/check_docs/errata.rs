//! The errata list (`fixtures/errata.json`) against the fixtures and `fixtures/ERRATA.md`:
//! which errata explain a fixture's schema error, and whether the list itself still agrees with
//! what it describes.
//!
//! Each erratum names the places it affects (`locations`: `{fixture, instancePath, fails}`; an
//! erratum without that list names one place with its own `fixture` and `instancePath`). A
//! place marked `fails: true` is where the fixture fails its schema because of the erratum.
//! The list agrees when every erratum has a unique `id`, a known `kind` and `tier` and a
//! `ruling`; every place it names exists in its fixture; every place marked `fails: true` does
//! fail (an erratum whose failure went away is stale); and `ERRATA.md` describes every erratum
//! (as `**E<n> — …**`).

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

/// The kinds an erratum may have.
const KINDS: [&str; 2] = ["repair", "inconsistency"];
/// The tiers an erratum may have (the verdict a server reproducing it gets).
const TIERS: [&str; 2] = ["INFO", "NON-STRICT"];

/// A fixture as `check-docs` validated it.
#[derive(Debug, Clone)]
pub struct CheckedFixture {
    /// Its content.
    pub value: Value,
    /// The instance paths (JSON Pointers, `/` for the root) where it fails its schema.
    pub failing: HashSet<String>,
}

/// One place an erratum affects.
struct Place<'e> {
    fixture: &'e str,
    pointer: Option<&'e str>,
    fails: bool,
}

/// The place `entry` (a location, or an erratum naming its own) describes, if it names a fixture.
fn place(entry: &Value) -> Option<Place<'_>> {
    entry["fixture"].as_str().map(|fixture| Place {
        fixture,
        pointer: entry["instancePath"].as_str(),
        fails: entry["fails"] == true,
    })
}

/// The places `erratum` affects (none when it names no fixture).
fn places(erratum: &Value) -> Vec<Place<'_>> {
    match erratum["locations"].as_array() {
        Some(locations) => locations.iter().filter_map(place).collect(),
        None => place(erratum).into_iter().collect(),
    }
}

/// The ids of the errata that explain a schema error at exactly `pointer` of `fixture`: those
/// naming that place with `fails: true` (or, for an erratum without a `locations` list, naming
/// it as its own `fixture` and `instancePath`).
pub fn explaining<'e>(errata: &'e [Value], fixture: &str, pointer: &str) -> Vec<&'e str> {
    errata
        .iter()
        .filter(|erratum| {
            let own = erratum["locations"].as_array().is_none();
            places(erratum)
                .iter()
                .any(|p| p.fixture == fixture && p.pointer == Some(pointer) && (p.fails || own))
        })
        .filter_map(|erratum| erratum["id"].as_str())
        .collect()
}

/// Where the errata list disagrees with the fixtures (by file name) or with `errata_md` (the
/// text of `ERRATA.md`, `None` when the file is missing), one line each.
pub fn problems(
    errata: &[Value],
    fixtures: &BTreeMap<String, CheckedFixture>,
    errata_md: Option<&str>,
) -> Vec<String> {
    let mut found = Vec::new();
    let mut ids = HashSet::new();
    for (index, erratum) in errata.iter().enumerate() {
        let Some(id) = erratum["id"].as_str() else {
            found.push(format!("erratum #{} has no id", index + 1));
            continue;
        };
        if !ids.insert(id) {
            found.push(format!("{id}: the id is used twice"));
        }
        for (key, allowed) in [("kind", &KINDS), ("tier", &TIERS)] {
            if !erratum[key].as_str().is_some_and(|v| allowed.contains(&v)) {
                found.push(format!(
                    "{id}: {key} is {}, not one of {allowed:?}",
                    erratum[key]
                ));
            }
        }
        if erratum["ruling"]
            .as_str()
            .is_none_or(|r| r.trim().is_empty())
        {
            found.push(format!("{id}: no ruling"));
        }
        found.extend(place_problems(id, erratum, fixtures));
        match errata_md {
            Some(text) if !text.contains(&format!("**{id} ")) => {
                found.push(format!(
                    "{id}: ERRATA.md does not describe it (no \"**{id} \")"
                ));
            }
            _ => {}
        }
    }
    if errata_md.is_none() {
        found.push("ERRATA.md is missing: it describes each erratum for readers".to_owned());
    }
    found
}

/// Where `erratum`'s places disagree with the fixtures.
fn place_problems(
    id: &str,
    erratum: &Value,
    fixtures: &BTreeMap<String, CheckedFixture>,
) -> Vec<String> {
    let mut found = Vec::new();
    for place in places(erratum) {
        let Some(fixture) = fixtures.get(place.fixture) else {
            found.push(format!(
                "{id}: names {}, which is not a fixture",
                place.fixture
            ));
            continue;
        };
        let Some(pointer) = place.pointer else {
            continue;
        };
        if fixture.value.pointer(pointer).is_none() {
            found.push(format!("{id}: {} has nothing at {pointer}", place.fixture));
        } else if place.fails && !fixture.failing.contains(pointer) {
            found.push(format!(
                "{id}: expects {} to fail its schema at {pointer}, but it does not",
                place.fixture
            ));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn erratum(id: &str, fails: bool) -> Value {
        json!({
            "id": id, "kind": "inconsistency", "tier": "NON-STRICT", "ruling": "the table wins",
            "fixture": "a.json", "instancePath": "/caps/1",
            "locations": [
                {"fixture": "a.json", "instancePath": "/caps/1", "fails": fails},
                {"fixture": "a.json", "instancePath": "/caps", "fails": false}
            ]
        })
    }

    fn fixtures(failing: &[&str]) -> BTreeMap<String, CheckedFixture> {
        let checked = CheckedFixture {
            value: json!({"caps": ["Leave", "SwitchBargeIn"]}),
            failing: failing.iter().map(|p| (*p).to_owned()).collect(),
        };
        BTreeMap::from([("a.json".to_owned(), checked)])
    }

    const MD: &str = "5. **E5 — SwitchBargeIn** (inconsistency, NON-STRICT).";

    #[test]
    fn errata_explain_only_the_places_they_mark_as_failing() {
        let errata = [erratum("E5", true)];
        assert_eq!(explaining(&errata, "a.json", "/caps/1"), ["E5"]);
        assert!(explaining(&errata, "a.json", "/caps").is_empty());
        assert!(explaining(&errata, "b.json", "/caps/1").is_empty());
        let own = [json!({"id": "E9", "fixture": "a.json", "instancePath": "/caps"})];
        assert_eq!(explaining(&own, "a.json", "/caps"), ["E9"]);
    }

    #[test]
    fn a_list_that_agrees_with_its_fixtures_has_no_problem() {
        let found = problems(&[erratum("E5", true)], &fixtures(&["/caps/1"]), Some(MD));
        assert_eq!(found, Vec::<String>::new());
    }

    #[test]
    fn an_expected_failure_that_went_away_is_reported() {
        let found = problems(&[erratum("E5", true)], &fixtures(&[]), Some(MD));
        assert_eq!(
            found,
            ["E5: expects a.json to fail its schema at /caps/1, but it does not"]
        );
    }

    #[test]
    fn places_that_do_not_exist_and_unknown_fixtures_are_reported() {
        let mut wrong = erratum("E5", false);
        wrong["locations"][0]["instancePath"] = json!("/caps/7");
        wrong["locations"][1]["fixture"] = json!("gone.json");
        let found = problems(&[wrong], &fixtures(&[]), Some(MD));
        assert_eq!(
            found,
            [
                "E5: a.json has nothing at /caps/7",
                "E5: names gone.json, which is not a fixture"
            ]
        );
    }

    #[test]
    fn malformed_entries_and_undescribed_errata_are_reported() {
        let mut odd = erratum("E5", false);
        odd["kind"] = json!("typo");
        odd["tier"] = json!("FAIL");
        odd["ruling"] = json!("");
        let found = problems(
            &[odd, erratum("E5", false), json!({"kind": "repair"})],
            &fixtures(&[]),
            Some("nothing"),
        );
        assert_eq!(
            found,
            [
                "E5: kind is \"typo\", not one of [\"repair\", \"inconsistency\"]",
                "E5: tier is \"FAIL\", not one of [\"INFO\", \"NON-STRICT\"]",
                "E5: no ruling",
                "E5: ERRATA.md does not describe it (no \"**E5 \")",
                "E5: the id is used twice",
                "E5: ERRATA.md does not describe it (no \"**E5 \")",
                "erratum #3 has no id",
            ]
        );
        let missing = problems(&[], &fixtures(&[]), None);
        assert_eq!(
            missing,
            ["ERRATA.md is missing: it describes each erratum for readers"]
        );
    }
}
