//! Fuzz target: arbitrary bytes as a scenario file, through the loader the CLI uses
//! (`scenario::load_str` with the built-in requirement catalogue and fixture names), and every
//! resulting error rendered with its miette snippet as the CLI prints it. Errors are expected;
//! a panic, a hang or unbounded memory is a bug.

#![no_main]

use std::path::Path;
use std::sync::LazyLock;

use gws_conform::run::verify::Verifier;
use gws_conform::scenario;
use gws_conform::spec::Catalogue;
use libfuzzer_sys::fuzz_target;

/// Built once: the catalogue and the fixtures are the CLI's defaults, not part of the input.
static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(Catalogue::builtin);
static VERIFIER: LazyLock<Verifier> =
    LazyLock::new(|| Verifier::builtin().expect("the built-in schemas and fixtures load"));

fuzz_target!(|data: &[u8]| {
    // The CLI reads files as UTF-8 and reports anything else before parsing (`load_file`).
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let fixture_exists = |name: &str| VERIFIER.has_fixture(name);
    let file = Path::new("scenarios/fuzz.yaml");
    match scenario::load_str(text, file, &CATALOGUE, &fixture_exists) {
        Ok(scenario) => {
            // What the CLI does with a loaded scenario before running it.
            let _ = scenario.users().count();
        }
        Err(errors) => {
            for error in &errors {
                let _ = error.render();
            }
        }
    }
});
