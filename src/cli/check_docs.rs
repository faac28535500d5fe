//! `gws-conform check-docs`: validates every documented example (fixture) against the JSON
//! Schemas and prints the errata. It fails when a fixture does not validate, except where an
//! erratum of `fixtures/errata.json` explains that exact location.

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::Value;

use crate::check::schema::SchemaSet;
use crate::exit;

/// Options of `check-docs`.
#[derive(Debug, Args)]
pub struct CheckDocsArgs {
    /// Directory of JSON Schemas.
    #[arg(long, value_name = "DIR", default_value = "schemas")]
    pub schemas: PathBuf,
    /// Directory of documented examples and errata.json.
    #[arg(long, value_name = "DIR", default_value = "fixtures")]
    pub fixtures: PathBuf,
}

/// The schema every fixture (a notification) is validated against.
const ENTRY: &str = "notification.schema.json";

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The errata that explain a schema error at exactly `pointer` of `fixture`: those listing that
/// location with `fails: true` (or, for an erratum without a `locations` list, naming it as its
/// own `fixture` and `instancePath`).
fn explaining<'e>(errata: &'e [Value], fixture: &str, pointer: &str) -> Vec<&'e str> {
    let at = |entry: &Value| {
        entry["fixture"].as_str() == Some(fixture)
            && entry["instancePath"].as_str() == Some(pointer)
    };
    errata
        .iter()
        .filter(|erratum| match erratum["locations"].as_array() {
            Some(locations) => locations.iter().any(|l| l["fails"] == true && at(l)),
            None => at(erratum),
        })
        .filter_map(|erratum| erratum["id"].as_str())
        .collect()
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
    let errata = match read_json(&args.fixtures.join("errata.json")) {
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
    let mut fixtures: Vec<PathBuf> = match std::fs::read_dir(&args.fixtures) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.extension().is_some_and(|e| e == "json")
                    && p.file_stem().is_some_and(|s| s != "errata")
            })
            .collect(),
        Err(e) => {
            eprintln!("error: {}: {e}", args.fixtures.display());
            return exit::BAD_INPUT;
        }
    };
    fixtures.sort();
    let mut unexplained = 0;
    println!("Documented examples against {ENTRY}:");
    for path in &fixtures {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let value = match read_json(path) {
            Ok(value) => value,
            Err(e) => {
                println!("  FAIL {name}: {e}");
                unexplained += 1;
                continue;
            }
        };
        let errors = schemas.validate(ENTRY, &value);
        if errors.is_empty() {
            println!("  ok   {name}");
            continue;
        }
        for error in errors {
            let pointer = error.split(':').next().unwrap_or("/");
            let ids = explaining(&errata, &name, pointer);
            if ids.is_empty() {
                unexplained += 1;
                println!("  FAIL {name} {error}");
            } else {
                println!(
                    "  ok   {name} {error} (explained by erratum {})",
                    ids.join(", ")
                );
            }
        }
    }
    println!("\nErrata (fixtures/ERRATA.md):");
    for erratum in &errata {
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
    if unexplained > 0 {
        println!(
            "\n{unexplained} schema error(s) in the documented examples are not explained by an erratum"
        );
        exit::FAILURES
    } else {
        println!("\nEvery documented example validates, or fails only where an erratum says so.");
        exit::SUCCESS
    }
}
