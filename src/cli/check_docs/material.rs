//! What `check-docs` checks, read into memory: the schema files, the documented examples with
//! `errata.json`, and `ERRATA.md`, from the directories given (or `./schemas` and `./fixtures`
//! when the working directory has them), else the copies compiled into the binary, so a
//! binary-only user can check the material its verdicts rest on.

use std::path::Path;

/// The material, each file as (file name, text), sorted by name.
pub struct Material {
    /// Where the schema files come from, in words (a directory, or the built-in copy).
    pub schemas_from: String,
    /// The `*.schema.json` files.
    pub schemas: Vec<(String, String)>,
    /// The `*.json` files of the fixtures directory, `errata.json` included.
    pub fixtures: Vec<(String, String)>,
    /// `ERRATA.md`, when there is one.
    pub errata_md: Option<String>,
}

/// The files of `dir` whose names end with `ending`, sorted by name.
fn files(dir: &Path, ending: &str) -> Result<Vec<(String, String)>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files = Vec::new();
    for path in entries.flatten().map(|entry| entry.path()) {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if name.ends_with(ending) && path.is_file() {
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            files.push((name.to_owned(), text));
        }
    }
    files.sort();
    Ok(files)
}

/// The built-in copy of `(file name, text)` pairs.
fn owned(files: &[(&str, &str)]) -> Vec<(String, String)> {
    let owned = files
        .iter()
        .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()));
    owned.collect()
}

impl Material {
    /// Reads the schema files from `schemas` and the examples from `fixtures`; either `None`
    /// takes the built-in copy.
    pub fn read(schemas: Option<&Path>, fixtures: Option<&Path>) -> Result<Self, String> {
        let (schemas_from, schema_files) = match schemas {
            Some(dir) => (dir.display().to_string(), files(dir, ".schema.json")?),
            None => (
                "the built-in copy".to_owned(),
                owned(crate::embedded::SCHEMAS),
            ),
        };
        let (fixture_files, errata_md) = match fixtures {
            Some(dir) => (
                files(dir, ".json")?,
                std::fs::read_to_string(dir.join("ERRATA.md")).ok(),
            ),
            None => (
                owned(crate::embedded::FIXTURES),
                Some(crate::embedded::ERRATA_MD.to_owned()),
            ),
        };
        Ok(Self {
            schemas_from,
            schemas: schema_files,
            fixtures: fixture_files,
            errata_md,
        })
    }

    /// The text of the fixture file `name`, if there is one.
    pub fn fixture(&self, name: &str) -> Option<&str> {
        let found = self.fixtures.iter().find(|(n, _)| n == name);
        found.map(|(_, text)| text.as_str())
    }
}
