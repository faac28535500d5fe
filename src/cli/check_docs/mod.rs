//! `gws-conform check-docs`: checks the documented material the verdicts rest on against
//! itself. Every schema file follows the conventions of `schemas/README.md`
//! ([`schema_files`]); every documented example (fixture) validates against the JSON Schemas,
//! except where an erratum of `fixtures/errata.json` explains that exact location; and the
//! errata list agrees with the fixtures and with `fixtures/ERRATA.md` ([`errata`]). It prints
//! the errata and exits 1 on any problem (2 when the material cannot be read at all).

mod errata;
mod material;
mod schema_files;

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use clap::Args;
use serde_json::Value;

use super::suite::local_or_builtin;
use crate::check::schema::SchemaSet;
use crate::exit;
use crate::output::Listing;
use errata::CheckedFixture;
use material::Material;

/// Options of `check-docs`.
#[derive(Debug, Args)]
pub struct CheckDocsArgs {
    /// Directory of JSON Schemas [default: ./schemas when it exists, else the built-in copy].
    #[arg(long, value_name = "DIR")]
    pub schemas: Option<PathBuf>,
    /// Directory of documented examples, errata.json and ERRATA.md [default: ./fixtures when it
    /// exists, else the built-in copy].
    #[arg(long, value_name = "DIR")]
    pub fixtures: Option<PathBuf>,
}

/// The schema every fixture (a notification) is validated against.
const ENTRY: &str = "notification.schema.json";

/// Prints each problem as a FAIL line; returns how many there were.
fn report(out: &mut Listing, problems: &[String]) -> usize {
    for problem in problems {
        out.line(format_args!("  FAIL {problem}"));
    }
    problems.len()
}

/// Runs the command; returns the exit code.
pub fn run(args: CheckDocsArgs) -> i32 {
    let bad = |e: String| {
        eprintln!("error: {e}");
        exit::BAD_INPUT
    };
    let material = match Material::read(
        local_or_builtin(&args.schemas, "schemas").as_deref(),
        local_or_builtin(&args.fixtures, "fixtures").as_deref(),
    ) {
        Ok(material) => material,
        Err(e) => return bad(e),
    };
    let sources = material
        .schemas
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()));
    // Every file compiled now: a run compiles most of them only when it uses them.
    let schemas = match SchemaSet::from_sources(sources)
        .and_then(|schemas| schemas.compile_all().map(|()| schemas))
    {
        Ok(schemas) => schemas,
        Err(e) => return bad(e.to_string()),
    };
    let (schema_count, schema_problems) = match schema_files::problems(&material.schemas) {
        Ok(found) => found,
        Err(e) => return bad(e),
    };
    let errata = material
        .fixture("errata.json")
        .ok_or("no errata.json".to_owned());
    let errata_list = match errata.and_then(|text| {
        serde_json::from_str::<Value>(text).map_err(|e| format!("errata.json: {e}"))
    }) {
        Ok(Value::Array(list)) => list,
        Ok(_) => return bad("errata.json is not a list".to_owned()),
        Err(e) => return bad(e),
    };
    let files = material
        .fixtures
        .iter()
        .filter(|(name, _)| name != "errata.json");

    let mut out = Listing::new();
    out.line(format_args!(
        "Schema files ({schema_count} in {}):",
        material.schemas_from
    ));
    let mut problems = report(&mut out, &schema_problems);
    if schema_problems.is_empty() {
        out.line(format_args!(
            "  ok   each declares draft 2020-12, its $id, a title and a description"
        ));
    }

    out.line(format_args!("\nDocumented examples against {ENTRY}:"));
    let mut fixtures = BTreeMap::new();
    for (name, text) in files {
        let name = name.clone();
        let value: Value = match serde_json::from_str(text) {
            Ok(value) => value,
            Err(e) => {
                out.line(format_args!("  FAIL {name}: {e}"));
                problems += 1;
                continue;
            }
        };
        let errors = schemas.validate(ENTRY, &value);
        if errors.is_empty() {
            out.line(format_args!("  ok   {name}"));
        }
        let mut failing = HashSet::new();
        for error in errors {
            let pointer = error.split(':').next().unwrap_or("/");
            failing.insert(pointer.to_owned());
            let ids = errata::explaining(&errata_list, &name, pointer);
            if ids.is_empty() {
                problems += 1;
                out.line(format_args!("  FAIL {name} {error}"));
            } else {
                out.line(format_args!(
                    "  ok   {name} {error} (explained by erratum {})",
                    ids.join(", ")
                ));
            }
        }
        fixtures.insert(name, CheckedFixture { value, failing });
    }

    out.line(format_args!("\nErrata (fixtures/ERRATA.md):"));
    for erratum in &errata_list {
        out.line(format_args!(
            "  {:<4} {:<10} {:<13} {}",
            erratum["id"].as_str().unwrap_or("?"),
            erratum["tier"].as_str().unwrap_or("?"),
            erratum["kind"].as_str().unwrap_or("?"),
            erratum["title"]
                .as_str()
                .or_else(|| erratum["ruling"].as_str())
                .unwrap_or("")
        ));
    }
    problems += report(
        &mut out,
        &errata::problems(&errata_list, &fixtures, material.errata_md.as_deref()),
    );

    if problems > 0 {
        out.line(format_args!(
            "\n{problems} problem(s): a schema file breaks a convention, a documented example fails where no erratum says so, or the errata disagree with the examples"
        ));
        super::listed(out, exit::FAILURES)
    } else {
        out.line(format_args!(
            "\nEvery schema file follows the conventions; every documented example validates, or fails only where an erratum says so; the errata agree with the examples and ERRATA.md."
        ));
        super::listed(out, exit::SUCCESS)
    }
}
