//! Compiles the built-in suite into the binary: the scenarios (with the requirement
//! catalogue), the JSON Schemas and the documented examples, so `gws-conform run` works from any
//! directory. The files on disk stay the source of truth; this only lists them for
//! `include_str!`.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let mut code = String::new();
    for (name, dir, ending) in [
        ("SCENARIOS", "scenarios", ".yaml"),
        ("SCHEMAS", "schemas", ".schema.json"),
        ("FIXTURES", "fixtures", ".json"),
    ] {
        // A directory makes cargo rerun this script when any file in it changes.
        println!("cargo:rerun-if-changed={dir}");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("cannot read {dir}/: {e}"))
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path.to_string_lossy().ends_with(ending))
            .collect();
        files.sort();
        let _ = writeln!(
            code,
            "/// The files of `{dir}/`, compiled in: (file name, text)."
        );
        let _ = writeln!(code, "pub static {name}: &[(&str, &str)] = &[");
        for path in files {
            let file = path
                .file_name()
                .and_then(|n| n.to_str())
                .expect("UTF-8 file names");
            let absolute = std::fs::canonicalize(&path).expect("an existing file");
            let _ = writeln!(code, "    ({file:?}, include_str!({absolute:?})),");
        }
        let _ = writeln!(code, "];");
    }
    std::fs::write(Path::new(&out_dir).join("embedded.rs"), code).expect("write embedded.rs");
}
