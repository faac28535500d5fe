//! The repository stands alone: no file a clone holds may point at material outside it. The
//! project's rulings, and the public URLs of the pages they rest on, are in `docs/rulings.md`;
//! a reference to a design note or a research file beside the repository would be a dead end
//! for every reader of a clone.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What must not appear. Each is split in two so this file does not contain it.
const OUTSIDE: [&str; 4] = [
    concat!("..", "/shared"),
    concat!("DESIGN", ".md"),
    concat!("gws-api", "-notes"),
    concat!("000_d1c10fa4", "de768763"),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// The repository's files: those git tracks or would track (untracked but not ignored), or,
/// outside a git checkout, every file but build output and git's own.
fn repository_files() -> Vec<PathBuf> {
    let listed = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(root())
        .output()
        .ok()
        .filter(|out| out.status.success());
    match listed {
        Some(out) => out
            .stdout
            .split(|&b| b == 0)
            .filter(|name| !name.is_empty())
            .map(|name| root().join(String::from_utf8_lossy(name).as_ref()))
            .filter(|path| path.is_file())
            .collect(),
        None => {
            let mut files = Vec::new();
            walk(&root(), &mut files);
            files
        }
    }
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if name != "target" && name != ".git" {
                walk(&path, files);
            }
        } else {
            files.push(path);
        }
    }
}

/// Each line of `text` (numbered from 1) that mentions something outside the repository,
/// with what it mentions.
fn outside_references(text: &str) -> Vec<(usize, &'static str)> {
    text.lines()
        .enumerate()
        .flat_map(|(index, line)| {
            OUTSIDE
                .iter()
                .filter(move |needle| line.contains(*needle))
                .map(move |needle| (index + 1, *needle))
        })
        .collect()
}

#[test]
fn a_reference_outside_the_repository_is_found_with_its_line() {
    let text = format!(
        "fine\nsee {} for why\nand {}\n",
        OUTSIDE[1],
        format_args!("{}/reference/{}.md", OUTSIDE[0], OUTSIDE[2])
    );
    assert_eq!(
        outside_references(&text),
        [(2, OUTSIDE[1]), (3, OUTSIDE[0]), (3, OUTSIDE[2])]
    );
    assert!(outside_references("docs/rulings.md#ruling-join").is_empty());
}

#[test]
fn no_file_of_the_repository_points_outside_it() {
    let files = repository_files();
    assert!(
        files.iter().any(|f| f.ends_with("docs/rulings.md")),
        "the file list is incomplete: {files:?}"
    );
    let mut found = Vec::new();
    for file in &files {
        // Binary files (none is expected to hold a path) are not text to search.
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let shown = file.strip_prefix(root()).unwrap_or(file).display();
        for (line, needle) in outside_references(&text) {
            found.push(format!("{shown}:{line}: mentions {needle}"));
        }
    }
    assert!(
        found.is_empty(),
        "files point outside the repository; cite docs/rulings.md or a public URL instead:\n{}",
        found.join("\n")
    );
}
