//! `gws-conform check-docs`: checks the documented material the verdicts rest on against
//! itself. Every schema file follows the conventions of `schemas/README.md`
//! ([`schema_files`]); every documented example (fixture) validates against the JSON Schemas,
//! except where an erratum of `fixtures/errata.json` explains that exact location; and the
//! errata list agrees with the fixtures and with `fixtures/ERRATA.md` ([`errata`]). It prints
//! the errata and exits 1 on any problem (2 when the material cannot be read at all).

mod errata;
mod schema_files;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::Value;

use crate::check::schema::SchemaSet;
use crate::exit;
use errata::CheckedFixture;

/// Options of `check-docs`.
#[derive(Debug, Args)]
pub struct CheckDocsArgs {
    /// Directory of JSON Schemas.
    #[arg(long, value_name = "DIR", default_value = "schemas")]
    pub schemas: PathBuf,
    /// Directory of documented examples, errata.json and ERRATA.md.
    #[arg(long, value_name = "DIR", default_value = "fixtures")]
    pub fixtures: PathBuf,
}

/// The schema every fixture (a notification) is validated against.
const ENTRY: &str = "notification.schema.json";

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The fixture files of `dir` (every `*.json` but `errata.json`), sorted.
fn fixture_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json")
                && p.file_stem().is_some_and(|s| s != "errata")
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Prints each problem as a FAIL line; returns how many there were.
fn report(problems: &[String]) -> usize {
    for problem in problems {
        println!("  FAIL {problem}");
    }
    problems.len()
}

/// Runs the command; returns the exit code.
pub fn run(args: CheckDocsArgs) -> i32 {
    let schemas = match SchemaSet::from_dir(&args.schemas) {
        Ok(schemas) => schemas,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::BAD_INPUT;
        }
    };
    let (schema_count, schema_problems) = match schema_files::problems(&args.schemas) {
        Ok(found) => found,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::BAD_INPUT;
        }
    };
    let errata_list = match read_json(&args.fixtures.join("errata.json")) {
        Ok(Value::Array(list)) => list,
        Ok(_) => {
            eprintln!("error: errata.json is not a list");
            return exit::BAD_INPUT;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return exit::BAD_INPUT;
        }
    };
    let files = match fixture_files(&args.fixtures) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::BAD_INPUT;
        }
    };

    println!(
        "Schema files ({schema_count} in {}):",
        args.schemas.display()
    );
    let mut problems = report(&schema_problems);
    if schema_problems.is_empty() {
        println!("  ok   each declares draft 2020-12, its $id, a title and a description");
    }

    println!("\nDocumented examples against {ENTRY}:");
    let mut fixtures = BTreeMap::new();
    for path in &files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let value = match read_json(path) {
            Ok(value) => value,
            Err(e) => {
                println!("  FAIL {name}: {e}");
                problems += 1;
                continue;
            }
        };
        let errors = schemas.validate(ENTRY, &value);
        if errors.is_empty() {
            println!("  ok   {name}");
        }
        let mut failing = HashSet::new();
        for error in errors {
            let pointer = error.split(':').next().unwrap_or("/");
            failing.insert(pointer.to_owned());
            let ids = errata::explaining(&errata_list, &name, pointer);
            if ids.is_empty() {
                problems += 1;
                println!("  FAIL {name} {error}");
            } else {
                println!(
                    "  ok   {name} {error} (explained by erratum {})",
                    ids.join(", ")
                );
            }
        }
        fixtures.insert(name, CheckedFixture { value, failing });
    }

    println!("\nErrata (fixtures/ERRATA.md):");
    for erratum in &errata_list {
        println!(
            "  {:<4} {:<10} {:<13} {}",
            erratum["id"].as_str().unwrap_or("?"),
            erratum["tier"].as_str().unwrap_or("?"),
            erratum["kind"].as_str().unwrap_or("?"),
            erratum["title"]
                .as_str()
                .or_else(|| erratum["ruling"].as_str())
                .unwrap_or("")
        );
    }
    let errata_md = std::fs::read_to_string(args.fixtures.join("ERRATA.md")).ok();
    problems += report(&errata::problems(
        &errata_list,
        &fixtures,
        errata_md.as_deref(),
    ));

    if problems > 0 {
        println!(
            "\n{problems} problem(s): a schema file breaks a convention, a documented example fails where no erratum says so, or the errata disagree with the examples"
        );
        exit::FAILURES
    } else {
        println!(
            "\nEvery schema file follows the conventions; every documented example validates, or fails only where an erratum says so; the errata agree with the examples and ERRATA.md."
        );
        exit::SUCCESS
    }
}
