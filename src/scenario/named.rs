//! Loading only the scenarios a selection by name needs: `run NAME` parses the file of the
//! scenario it runs, not the whole suite. Each file's top-level `name` is read first from the
//! parser's first events ([`yaml::top_level_name`]); only the files whose name the selection
//! wants are parsed and validated. The result is the one loading everything would give: every
//! name is known (for "did you mean" and the count of scenarios left out), a name two files
//! define still makes both files load (so the duplicate is reported as before), and when any
//! file's name cannot be read that way everything is loaded.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;

use super::{KnownFixtures, LoadError, Scenario, collect, load_str, yaml};
use crate::spec::Catalogue;

/// One scenario file's text, read but not parsed.
#[derive(Debug, Clone)]
pub struct ScenarioText {
    /// The file, as findings name it.
    pub file: PathBuf,
    /// Its content.
    pub text: Cow<'static, str>,
}

/// Which scenarios a load must parse.
#[derive(Clone, Copy)]
pub enum Wanted<'a> {
    /// Every one: each file is validated.
    All,
    /// Those whose name passes this test; the other files are not validated.
    Named(&'a dyn Fn(&str) -> bool),
}

/// The scenarios loaded, and the name of every scenario of the suite, loaded or not.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The scenarios parsed and validated: every one, or those a [`Wanted::Named`] wants.
    pub scenarios: Vec<Scenario>,
    /// Every scenario's name, in file order.
    pub names: Vec<String>,
}

/// Every scenario loaded.
impl From<Vec<Scenario>> for Loaded {
    fn from(scenarios: Vec<Scenario>) -> Self {
        let names = scenarios.iter().map(|s| s.name.clone()).collect();
        Self { scenarios, names }
    }
}

/// Loads the scenarios of `texts` (a file that could not be read is an `Err`) that `wanted`
/// asks for, collecting every error of every file parsed; a name defined twice is an error.
pub fn load_texts(
    texts: Vec<Result<ScenarioText, LoadError>>,
    catalogue: &Catalogue,
    fixtures: &dyn KnownFixtures,
    wanted: Wanted<'_>,
) -> Result<Loaded, Vec<LoadError>> {
    let load = |text: Result<ScenarioText, LoadError>| {
        let text = text.map_err(|e| vec![e])?;
        load_str(&text.text, &text.file, catalogue, fixtures)
    };
    let prescanned = match wanted {
        Wanted::Named(wants) => top_level_names(&texts).map(|names| (wants, names)),
        Wanted::All => None,
    };
    let Some((wants, names)) = prescanned else {
        return collect(texts.into_iter().map(load)).map(Loaded::from);
    };
    let mut files_per_name: HashMap<&str, usize> = HashMap::new();
    for name in &names {
        *files_per_name.entry(name.as_str()).or_default() += 1;
    }
    let needed: Vec<bool> = names
        .iter()
        .map(|name| wants(name) || files_per_name[name.as_str()] > 1)
        .collect();
    let scenarios = collect(
        texts
            .into_iter()
            .zip(needed)
            .filter(|(_, needed)| *needed)
            .map(|(text, _)| load(text)),
    )?;
    Ok(Loaded { scenarios, names })
}

/// Every file's name read cheaply, in order; `None` when a file's name cannot be read that way
/// (or the file could not be read at all), so every file must be loaded.
fn top_level_names(texts: &[Result<ScenarioText, LoadError>]) -> Option<Vec<String>> {
    texts
        .iter()
        .map(|text| yaml::top_level_name(&text.as_ref().ok()?.text))
        .collect()
}
