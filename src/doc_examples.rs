//! Every YAML example of the documentation (`README.md`, `docs/*.md`) loads as what it shows:
//! a scenario, a step or two of one (loaded inside a small scenario that defines what they
//! use), a profile, a user directory for `serve`, a baseline, or a CI workflow. An example
//! that no longer loads misleads every reader who copies it; one of a kind this test does not
//! know fails it, so a new kind of example gets a loader here.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use crate::profile::Profile;
use crate::run::verify::Verifier;
use crate::scenario;
use crate::server::directory::Directory;
use crate::server::ids::IdGen;
use crate::spec::Catalogue;
use crate::verdict::baseline::Baseline;

/// The scenario a step example is loaded in: the actors the documentation's examples name, and
/// a chat captured as `chat`.
const STEPS_HOST: &str = "\
name: doc-example
description: hosts a step example of the documentation
covers: [CAP-MONITOR]
actors:
  agent: {role: agent, user: agent1, nickname: Ann}
  colleague: {role: agent, user: agent2}
  supervisor: {role: supervisor, user: supervisor1}
  customer: {role: customer, nickname: Chris}
steps:
  - login: agent
  - ready: agent
  - login: colleague
  - login: supervisor
  - request_chat: {customer: customer}
  - expect:
      actor: agent
      notifications:
        - match: {notificationType: StatusChange}
          capture: {chat: chat.id}
";

/// The YAML blocks of a Markdown file: (line of the opening fence, text).
fn yaml_blocks(text: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (number, line) in text.lines().enumerate() {
        match &mut open {
            None if line.trim_start().starts_with("```yaml") => {
                open = Some((number + 1, String::new()));
            }
            Some(_) if line.trim_start().starts_with("```") => blocks.extend(open.take()),
            Some((_, block)) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    blocks
}

/// The built-in schemas and examples scenarios are checked against, compiled once for every
/// example.
static VERIFIER: LazyLock<Verifier> =
    LazyLock::new(|| Verifier::builtin().expect("the built-in verifier loads"));

/// Loads one example; `Err` says why it does not load.
fn load(block: &str, at: &Path) -> Result<(), String> {
    let catalogue = Catalogue::builtin_shared();
    let scenario = |text: &str| {
        scenario::load_str(text, at, catalogue, &*VERIFIER)
            .map(drop)
            .map_err(|errors| {
                let rendered = errors.iter().map(|e| e.render());
                rendered.collect::<Vec<_>>().join("\n")
            })
    };
    let first = block
        .lines()
        .find(|l| !l.trim().is_empty() && !l.starts_with('#'));
    if block.lines().any(|line| line.starts_with("jobs:")) {
        return workflow(block);
    }
    match first.unwrap_or_default() {
        line if line.starts_with("name:") => scenario(block),
        line if line.starts_with("- ") => {
            let steps = block.lines().map(|l| format!("  {l}\n"));
            scenario(&format!("{STEPS_HOST}{}", steps.collect::<String>()))
        }
        line if line.starts_with("base_url:") => {
            let file = std::env::temp_dir().join(format!(
                "gws-conform-doc-profile-{}.yaml",
                std::process::id()
            ));
            std::fs::write(&file, block).map_err(|e| e.to_string())?;
            let loaded = Profile::load(&file);
            let _ = std::fs::remove_file(&file);
            loaded.map(drop).map_err(|errors| format!("{errors:?}"))
        }
        line if line.starts_with("contactCenterId:") => {
            Directory::parse(block, "example", &IdGen::new())
                .map(drop)
                .map_err(|e| e.to_string())
        }
        line if line.starts_with("format_version:") => Baseline::parse(block, at)
            .map(drop)
            .map_err(|errors| format!("{errors:?}")),
        line => Err(format!("an example of a kind no loader knows (`{line}`)")),
    }
}

/// A CI workflow (GitHub Actions): YAML with `on` and `jobs`, each job with its steps.
fn workflow(block: &str) -> Result<(), String> {
    let value: serde_json::Value = serde_saphyr::from_str(block).map_err(|e| e.to_string())?;
    let jobs = value.get("jobs").and_then(serde_json::Value::as_object);
    let jobs = jobs.filter(|jobs| !jobs.is_empty()).ok_or("no jobs")?;
    let stepless = jobs.iter().find(|(_, job)| job.get("steps").is_none());
    match (value.get("on"), stepless) {
        (None, _) => Err("a workflow without `on`".to_owned()),
        (_, Some((name, _))) => Err(format!("job `{name}` has no steps")),
        _ => Ok(()),
    }
}

/// The documentation's Markdown files.
fn documents() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    let docs = std::fs::read_dir(root.join("docs")).expect("docs/ is readable");
    let mut found: Vec<PathBuf> = docs
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    found.sort();
    files.extend(found);
    files
}

#[test]
fn every_yaml_example_of_the_documentation_loads() {
    let mut broken = Vec::new();
    let mut loaded = 0;
    for file in documents() {
        let text = std::fs::read_to_string(&file).expect("a readable document");
        for (line, block) in yaml_blocks(&text) {
            match load(&block, &file) {
                Ok(()) => loaded += 1,
                Err(why) => broken.push(format!("{}:{line}: {why}", file.display())),
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n\n"));
    assert!(loaded >= 6, "only {loaded} examples found");
}

#[test]
fn a_broken_example_is_reported() {
    let at = Path::new("doc.md");
    assert!(load("name: x\ncovers: [NO-SUCH]\n", at).is_err());
    assert!(
        load(
            "- chat_op: {actor: nobody, chat: x, operation: Leave}\n",
            at
        )
        .is_err()
    );
    assert!(load("something: else\n", at).is_err());
    assert!(load("name: ci\non: push\njobs: {}\n", at).is_err());
    assert!(load("name: ci\non: push\njobs:\n  a: {runs-on: x}\n", at).is_err());
    let workflow = "name: ci\non: push\njobs:\n  a: {runs-on: x, steps: [{run: y}]}\n";
    assert_eq!(load(workflow, at), Ok(()));
    let snippet = "- chat_op: {actor: agent, chat: \"${chat}\", operation: Leave}\n";
    assert_eq!(load(snippet, at), Ok(()));
}
