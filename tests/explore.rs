//! `gws-conform explore` end to end: the clean reference server and every legal variant pass
//! (no false failure), a seeded fault is found and shrunk to a short scenario file that `run`
//! reproduces on the faulty server and passes on the clean one, the same seed explores the
//! same way, and bad input exits 2.

use std::path::Path;
use std::process::{Command, Output};

/// The binary, with its last-failed record kept out of the real home.
fn gws(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gws-conform"))
        .env("GWS_CONFORM_LAST_FAILED_FILE", "/dev/null")
        .env_remove("GWS_CONFORM_TARGET")
        .env_remove("GWS_CONFORM_PROFILE")
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn explore(out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["explore", "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    gws(&args)
}

/// The coverage block of a run's output: what was explored, without timings.
fn coverage(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .take_while(|line| !line.starts_with("quiet windows"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_clean_server_and_every_legal_variant_pass() {
    let dir = tempfile::tempdir().unwrap();
    for extra in [&[][..], &["--variant", "all", "--strict"][..]] {
        let mut args = vec!["--seed", "5", "--steps", "300"];
        args.extend_from_slice(extra);
        let output = explore(dir.path(), &args);
        let shown = text(&output);
        assert_eq!(output.status.code(), Some(0), "{extra:?}\n{shown}");
        assert!(
            shown.contains("explore: seed 5 (repeat with --seed 5)"),
            "{shown}"
        );
        assert!(shown.contains("explore: PASSED"), "{shown}");
        assert!(shown.contains("coverage of 300 operations"), "{shown}");
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing written"
    );
}

#[test]
fn the_same_seed_explores_the_same_way() {
    let dir = tempfile::tempdir().unwrap();
    let runs: Vec<Output> = ["1", "3"]
        .into_iter()
        .map(|jobs| {
            explore(
                dir.path(),
                &["--seed", "9", "--steps", "120", "--jobs", jobs],
            )
        })
        .collect();
    assert!(
        runs.iter().all(|r| r.status.code() == Some(0)),
        "{}",
        text(&runs[0])
    );
    assert_eq!(coverage(&runs[0]), coverage(&runs[1]));
    let other = explore(dir.path(), &["--seed", "10", "--steps", "120"]);
    assert_ne!(
        coverage(&runs[0]),
        coverage(&other),
        "another seed, other sequences"
    );
}

#[test]
fn a_seeded_fault_is_found_and_shrunk_to_a_scenario_that_reproduces_it() {
    let dir = tempfile::tempdir().unwrap();
    let fault = "join-without-message-log";
    let output = explore(
        dir.path(),
        &[
            "--seed",
            "7",
            "--steps",
            "2000",
            "--shrink-time",
            "120s",
            "--fault",
            fault,
        ],
    );
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains("explore: FAILED: JOIN-NOTIFICATIONS"),
        "{shown}"
    );
    assert!(shown.contains("(it fails the same way)"), "{shown}");
    let listed = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| {
            line.starts_with("  ")
                && line
                    .trim_start()
                    .split('.')
                    .next()
                    .is_some_and(|n| n.parse::<usize>().is_ok())
        })
        .count();
    assert!(
        (1..=15).contains(&listed),
        "shrunk to {listed} operations\n{shown}"
    );
    let file = dir.path().join("explore-7.yaml");
    let yaml = std::fs::read_to_string(&file).unwrap();
    assert!(yaml.contains("gws-conform explore --seed 7"), "{yaml}");
    let scenarios = dir.path().to_str().unwrap();
    let on_fault = gws(&[
        "run",
        "--scenarios",
        scenarios,
        "--exact",
        "explore-7",
        "--fault",
        fault,
    ]);
    assert_eq!(on_fault.status.code(), Some(1), "{}", text(&on_fault));
    let clean = gws(&["run", "--scenarios", scenarios, "--exact", "explore-7"]);
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean));
}

#[test]
fn a_strict_only_fault_fails_only_with_strict_and_shrinks_to_what_shows_it() {
    // The handshake's missing advice is NON-STRICT and shows on the first login: shrinking
    // must stop at one operation (proptest's may delete them all), and the reproduction
    // needs `--strict` as well.
    let dir = tempfile::tempdir().unwrap();
    let fault = "bayeux-no-advice";
    let seeded = ["--seed", "3", "--steps", "200", "--fault", fault];
    let lenient = explore(dir.path(), &seeded);
    assert_eq!(lenient.status.code(), Some(0), "{}", text(&lenient));
    let mut strict = seeded.to_vec();
    strict.extend(["--strict", "--shrink-time", "60s"]);
    let output = explore(dir.path(), &strict);
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(shown.contains("explore: FAILED: BAYEUX-ADVICE"), "{shown}");
    assert!(shown.contains("to 1 operations"), "{shown}");
    assert!(
        shown.contains(&format!("--exact explore-3 --fault {fault} --strict`")),
        "{shown}"
    );
    let scenarios = dir.path().to_str().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "--scenarios", scenarios, "--exact", "explore-3"];
        args.extend(extra);
        gws(&args)
    };
    let reproduced = run(&["--fault", fault, "--strict"]);
    assert_eq!(reproduced.status.code(), Some(1), "{}", text(&reproduced));
    let without_strict = run(&["--fault", fault]);
    assert_eq!(
        without_strict.status.code(),
        Some(0),
        "{}",
        text(&without_strict)
    );
}

#[test]
fn bad_input_exits_2_saying_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_dir = dir.path().join("file");
    std::fs::write(&not_a_dir, "").unwrap();
    for (args, says) in [
        (
            vec!["--world", "robots=1"],
            "expected agents, supervisors or customers",
        ),
        (vec!["--world", "agents=4"], "needs profile users agent4"),
        (vec!["--steps", "0"], "--steps"),
        (vec!["--steps", "5", "--time", "5s"], "cannot be used with"),
        (
            vec!["--jobs", "2", "--target", "http://127.0.0.1:9"],
            "one at a time",
        ),
        (
            vec![
                "--target",
                "http://127.0.0.1:9",
                "--fault",
                "join-order-swapped",
            ],
            "--fault",
        ),
    ] {
        let output = explore(dir.path(), &args);
        let shown = text(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {shown}");
        assert!(shown.contains(says), "{args:?}: {shown}");
    }
    let output = explore(&not_a_dir, &["--steps", "5"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("not a directory"));
}
