//! What the documentation requires: the requirement catalogue (`scenarios/requirements.yaml`,
//! each requirement with an id, a level, a paraphrase, its source in words and its citations:
//! the public pages and the rulings of `docs/rulings.md` it rests on) and the seed page's
//! capability table.

pub mod capabilities;
mod mode;

pub use mode::Mode;

use std::collections::HashSet;
use std::sync::LazyLock;

use serde::Deserialize;

/// How binding a requirement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Level {
    /// A failure is a conformance failure.
    #[serde(rename = "MUST")]
    Must,
    /// A failure is reported as NON-STRICT unless `--strict`.
    #[serde(rename = "SHOULD")]
    Should,
}

/// One requirement.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// Stable id, cited by scenarios and checks.
    pub id: String,
    /// MUST or SHOULD.
    pub level: Level,
    /// The statement, paraphrased.
    pub text: String,
    /// Where it comes from, in words: the page and section, or the ruling.
    pub source: String,
    /// The citations a reader can check: public URLs (`https://…`: a Genesys page, the Bayeux
    /// specification) and rulings of this repository (`docs/rulings.md#<anchor>`). Optional in
    /// the file format, so a private catalogue need not cite public pages; the built-in
    /// catalogue cites at least one for every requirement (tested).
    #[serde(default)]
    pub sources: Vec<String>,
}

/// The catalogue.
#[derive(Debug, Clone)]
pub struct Catalogue {
    requirements: Vec<Requirement>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile {
    requirements: Vec<Requirement>,
}

/// The built-in catalogue's text.
pub const BUILTIN: &str = include_str!("../../scenarios/requirements.yaml");

impl Catalogue {
    /// Parses a catalogue file; duplicate ids are an error.
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: CatalogueFile = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
        let mut seen = HashSet::new();
        for requirement in &file.requirements {
            if !seen.insert(requirement.id.as_str()) {
                return Err(format!("requirement id {} appears twice", requirement.id));
            }
        }
        Ok(Self {
            requirements: file.requirements,
        })
    }

    /// The catalogue compiled into the binary.
    pub fn builtin() -> Self {
        Self::parse(BUILTIN).expect("the built-in catalogue is valid (tested)")
    }

    /// The catalogue compiled into the binary, parsed once.
    pub fn builtin_shared() -> &'static Catalogue {
        static BUILTIN_CATALOGUE: LazyLock<Catalogue> = LazyLock::new(Catalogue::builtin);
        &BUILTIN_CATALOGUE
    }

    /// The level of requirement `id`, if the catalogue has it.
    pub fn level(&self, id: &str) -> Option<Level> {
        self.get(id).map(|r| r.level)
    }

    /// A requirement by id.
    pub fn get(&self, id: &str) -> Option<&Requirement> {
        self.requirements.iter().find(|r| r.id == id)
    }

    /// Every requirement, in catalogue order.
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogue_parses_and_covers_every_capability_requirement() {
        let catalogue = Catalogue::builtin();
        for id in [
            "CAP-MONITOR",
            "CAP-COACH",
            "CAP-BARGEIN",
            "REVOKE-EMPTY",
            "NOTIF-SCHEMA",
        ] {
            assert!(catalogue.get(id).is_some(), "{id}");
        }
        assert!(catalogue.requirements().len() > 40);
    }

    /// What the built-in catalogue's citations may be: a public page, or a ruling anchor.
    const RULINGS: &str = "docs/rulings.md#";

    /// The anchors `docs/rulings.md` defines (`<a id="…">`).
    fn rulings_anchors() -> HashSet<String> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rulings.md");
        let text = std::fs::read_to_string(path).expect("docs/rulings.md is readable");
        text.split("id=\"")
            .skip(1)
            .filter_map(|rest| rest.split_once('"').map(|(id, _)| id.to_owned()))
            .collect()
    }

    #[test]
    fn every_builtin_requirement_cites_a_page_or_a_ruling_that_exists() {
        let anchors = rulings_anchors();
        assert!(anchors.contains("ruling-visibility"), "{anchors:?}");
        for requirement in Catalogue::builtin().requirements() {
            let id = &requirement.id;
            assert!(
                !requirement.sources.is_empty(),
                "{id} cites nothing: give `sources` a page URL or a docs/rulings.md anchor"
            );
            for citation in &requirement.sources {
                if let Some(anchor) = citation.strip_prefix(RULINGS) {
                    assert!(
                        anchors.contains(anchor),
                        "{id} cites {citation}, but docs/rulings.md has no id=\"{anchor}\""
                    );
                } else {
                    assert!(
                        citation.starts_with("https://") && !citation.contains(char::is_whitespace),
                        "{id} cites {citation:?}: neither an https URL nor {RULINGS}<anchor>"
                    );
                }
            }
        }
    }

    #[test]
    fn every_link_inside_docs_rulings_md_reaches_an_anchor() {
        let anchors = rulings_anchors();
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rulings.md");
        let text = std::fs::read_to_string(path).expect("docs/rulings.md is readable");
        let links: Vec<&str> = text
            .split("](#")
            .skip(1)
            .filter_map(|rest| rest.split_once(')').map(|(anchor, _)| anchor))
            .collect();
        assert!(links.len() > 50, "{}", links.len());
        for link in links {
            assert!(
                anchors.contains(link),
                "docs/rulings.md links to #{link}, which it lacks"
            );
        }
    }

    #[test]
    fn sources_are_optional_in_a_private_catalogue() {
        let text = "requirements:\n  - {id: A, level: MUST, text: t, source: s}\n";
        let catalogue = Catalogue::parse(text).expect("parses");
        assert!(catalogue.get("A").expect("listed").sources.is_empty());
        let cited = "requirements:\n  - {id: B, level: SHOULD, text: t, source: s, sources: [https://example.org/p]}\n";
        let catalogue = Catalogue::parse(cited).expect("parses");
        assert_eq!(
            catalogue.get("B").expect("listed").sources,
            ["https://example.org/p"]
        );
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let text = "requirements:\n  - {id: A, level: MUST, text: t, source: s}\n  - {id: A, level: SHOULD, text: t, source: s}\n";
        assert!(Catalogue::parse(text).unwrap_err().contains("twice"));
    }

    #[test]
    fn the_example_variant_differs_from_the_coach_column_only_as_documented() {
        let coach: HashSet<_> = capabilities::COACH.iter().collect();
        let example: HashSet<_> = capabilities::EXAMPLE_COACH_VARIANT.iter().collect();
        let missing: Vec<_> = coach.difference(&example).collect();
        let extra: Vec<_> = example.difference(&coach).collect();
        assert_eq!(missing.len(), 2, "{missing:?}");
        assert!(missing.contains(&&&"AddComment") && missing.contains(&&&"SwitchToBargeIn"));
        assert_eq!(extra, [&&"SwitchBargeIn"]);
    }
}
