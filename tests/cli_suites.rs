//! Which scenarios a `run` takes: several `--scenarios` sources merged (a user's directory on
//! top of the built-in suite), `--partition K/N` shards that cover the selection exactly once,
//! and `--last-failed`, which re-runs what failed last time (each test keeps its record in its
//! own temporary directory).

mod support;

use std::path::Path;
use std::process::Output;

use support::gws_in;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The names `run --list args` lists, in `dir` (exit 0 asserted).
fn listed(dir: &Path, args: &[&str]) -> Vec<String> {
    let mut all = vec!["run", "--list"];
    all.extend_from_slice(args);
    let out = gws_in(dir, &all);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    stdout(&out).lines().map(str::to_owned).collect()
}

/// A directory `mine` in `dir` with the golden scenario `wrong-mode.yaml` (which fails against
/// the reference server) and, when given, a copy of a built-in scenario renamed `copy_as`.
fn my_scenarios(dir: &Path, copy_as: Option<&str>) -> String {
    let mine = dir.join("mine");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::copy(
        repo().join("tests/golden/wrong-mode.yaml"),
        mine.join("wrong-mode.yaml"),
    )
    .unwrap();
    if let Some(name) = copy_as {
        let text = std::fs::read_to_string(repo().join("scenarios/cancel-monitoring.yaml"))
            .unwrap()
            .replace("name: cancel-monitoring", &format!("name: {name}"));
        std::fs::write(mine.join("copy.yaml"), text).unwrap();
    }
    mine.display().to_string()
}

#[test]
fn a_users_directory_is_added_to_the_built_in_suite() {
    let dir = tempfile::tempdir().unwrap();
    let mine = my_scenarios(dir.path(), Some("my-cancel-monitoring"));
    let builtin = listed(dir.path(), &["--scenarios", "builtin"]);
    let merged = listed(
        dir.path(),
        &["--scenarios", "builtin", "--scenarios", &mine],
    );
    assert_eq!(merged.len(), builtin.len() + 2, "{merged:?}");
    for name in ["wrong-mode", "my-cancel-monitoring", "cancel-monitoring"] {
        assert!(merged.iter().any(|n| n == name), "{name}: {merged:?}");
    }
    // A finding in a user's scenario names its file; coverage counts both sources.
    let out = gws_in(
        dir.path(),
        &[
            "run",
            "--scenarios",
            "builtin",
            "--scenarios",
            &mine,
            "wrong-mode",
            "--exact",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("mine/wrong-mode.yaml:"),
        "{}",
        stdout(&out)
    );
    let out = gws_in(
        dir.path(),
        &["coverage", "--scenarios", "builtin", "--scenarios", &mine],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("{} scenarios", builtin.len() + 2)),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_scenario_name_defined_twice_is_bad_input_naming_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let mine = my_scenarios(dir.path(), Some("cancel-monitoring"));
    for command in ["run", "coverage"] {
        let out = gws_in(
            dir.path(),
            &[command, "--scenarios", "builtin", "--scenarios", &mine],
        );
        assert_eq!(out.status.code(), Some(2), "{command}: {}", stderr(&out));
        let stderr = stderr(&out);
        assert!(stderr.contains("mine/copy.yaml"), "{stderr}");
        assert!(
            stderr.contains("already used by builtin:scenarios/cancel-monitoring.yaml"),
            "{stderr}"
        );
    }
}

/// A directory `lazy` in `dir` with copies of a built-in scenario: `good`, `broken` (valid up
/// to a syntax error on its last line, 84:17) and, when given, `extra` (file name, text).
fn lazy_scenarios(dir: &Path, extra: Option<(&str, &str)>) -> String {
    let lazy = dir.join("lazy");
    std::fs::create_dir_all(&lazy).unwrap();
    let text = std::fs::read_to_string(repo().join("scenarios/cancel-monitoring.yaml")).unwrap();
    assert_eq!(
        text.lines().count(),
        83,
        "the broken copy's error is on line 84"
    );
    let renamed = |name: &str| text.replace("name: cancel-monitoring", &format!("name: {name}"));
    std::fs::write(lazy.join("good.yaml"), renamed("good")).unwrap();
    let broken = renamed("broken") + "  - login: agent: x\n";
    std::fs::write(lazy.join("broken.yaml"), broken).unwrap();
    if let Some((file, text)) = extra {
        std::fs::write(lazy.join(file), text).unwrap();
    }
    lazy.display().to_string()
}

#[test]
fn with_a_name_filter_only_the_files_it_names_are_parsed() {
    let dir = tempfile::tempdir().unwrap();
    let lazy = lazy_scenarios(dir.path(), None);
    // The broken file is not selected: its name is read, the rest of it is not.
    let good = listed(dir.path(), &["--scenarios", &lazy, "good", "--exact"]);
    assert_eq!(good, ["good"]);
    assert_eq!(listed(dir.path(), &["--scenarios", &lazy, "goo"]), ["good"]);
    // Selected, or with no filter (every file loaded), it is bad input located at the error.
    for args in [vec!["broken", "--exact"], vec!["bro"], vec![]] {
        let mut all = vec!["run", "--list", "--scenarios", &lazy];
        all.extend(&args);
        let out = gws_in(dir.path(), &all);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let stderr = stderr(&out);
        assert!(
            stderr.contains("lazy/broken.yaml:84:17]"),
            "{args:?}: {stderr}"
        );
        assert!(
            stderr.contains("mapping values are not allowed"),
            "{stderr}"
        );
        assert!(!stderr.contains("good.yaml"), "{stderr}");
    }
}

#[test]
fn a_file_whose_name_cannot_be_read_first_makes_every_file_load() {
    let dir = tempfile::tempdir().unwrap();
    let early = "description: a: b\nname: early\n";
    let lazy = lazy_scenarios(dir.path(), Some(("early.yaml", early)));
    let out = gws_in(
        dir.path(),
        &["run", "--list", "--scenarios", &lazy, "good", "--exact"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let stderr = stderr(&out);
    assert!(stderr.contains("lazy/early.yaml:1:"), "{stderr}");
    assert!(stderr.contains("lazy/broken.yaml:84:17]"), "{stderr}");
}

#[test]
fn a_name_defined_twice_is_reported_whatever_the_name_filter() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo().join("scenarios/cancel-monitoring.yaml")).unwrap();
    let twin = text.replace("name: cancel-monitoring", "name: good");
    let lazy = lazy_scenarios(dir.path(), Some(("twin.yaml", &twin)));
    for filter in ["good", "broken", "cancel-monitoring"] {
        let out = gws_in(
            dir.path(),
            &[
                "run",
                "--list",
                "--scenarios",
                "builtin",
                "--scenarios",
                &lazy,
                filter,
                "--exact",
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{filter}: {}", stderr(&out));
        let stderr = stderr(&out);
        assert!(
            stderr.contains("lazy/twin.yaml: scenario name `good` is already used by")
                && stderr.contains("lazy/good.yaml"),
            "{filter}: {stderr}"
        );
    }
}

#[test]
fn the_shards_of_a_partition_cover_the_selection_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut whole = listed(dir.path(), &[]);
    whole.sort();
    for total in [1, 3, 4] {
        let mut union: Vec<String> = Vec::new();
        for shard in 1..=total {
            let form = if shard % 2 == 0 { "count:" } else { "" };
            let share = listed(
                dir.path(),
                &["--partition", &format!("{form}{shard}/{total}")],
            );
            assert!(share.iter().all(|name| !union.contains(name)), "{share:?}");
            union.extend(share);
        }
        union.sort();
        assert_eq!(union, whole, "{total} shards");
    }
    // A partition of a filtered selection shares out that selection.
    let switch = listed(dir.path(), &["switch-"]);
    let first = listed(dir.path(), &["switch-", "--partition", "1/2"]);
    assert!(first.iter().all(|name| switch.contains(name)) && first.len() < switch.len());
}

#[test]
fn a_shard_runs_on_its_own_and_bad_partitions_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("shard.jsonl");
    let out = gws_in(
        dir.path(),
        &["run", "cancel-monitoring", "--exact", "--partition", "1/1"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("partition 1/1: 1 of the 1 selected"),
        "{}",
        stderr(&out)
    );
    // A shard with nothing in it passes, with a complete stream.
    let out = gws_in(
        dir.path(),
        &[
            "run",
            "cancel-monitoring",
            "--exact",
            "--partition",
            "2/2",
            "--json",
            json.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stream = std::fs::read_to_string(&json).unwrap();
    let summary: serde_json::Value = serde_json::from_str(stream.lines().last().unwrap()).unwrap();
    assert_eq!(summary["event"], "summary");
    assert_eq!(summary["scenarios"], 0);
    for bad in ["0/2", "3/2", "1/0", "half", "1/two"] {
        let out = gws_in(dir.path(), &["run", "--list", "--partition", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("--partition"),
            "{bad}: {}",
            stderr(&out)
        );
        assert!(stdout(&out).is_empty(), "{bad}");
    }
}

#[test]
fn last_failed_reruns_only_what_failed_and_is_kept_per_suite() {
    let dir = tempfile::tempdir().unwrap();
    let mine = my_scenarios(dir.path(), Some("my-cancel-monitoring"));
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "--scenarios", mine.as_str()];
        args.extend_from_slice(extra);
        gws_in(dir.path(), &args)
    };
    // No record yet: the whole selection, said so.
    let out = run(&["--last-failed", "--list"]);
    assert_eq!(stdout(&out).lines().count(), 2, "{}", stdout(&out));
    assert!(stderr(&out).contains("no earlier run"), "{}", stderr(&out));
    // One passes, one fails: only the failure is re-run.
    assert_eq!(run(&[]).status.code(), Some(1));
    let out = run(&["--last-failed", "--list"]);
    assert_eq!(stdout(&out), "wrong-mode\n");
    assert!(
        stderr(&out).contains("re-running the 1 scenario(s)"),
        "{}",
        stderr(&out)
    );
    // Another suite (the same directory with the built-in one) has no record.
    let out = gws_in(
        dir.path(),
        &[
            "run",
            "--list",
            "--last-failed",
            "--scenarios",
            "builtin",
            "--scenarios",
            &mine,
        ],
    );
    assert!(stdout(&out).lines().count() > 2, "{}", stderr(&out));
    // The failing scenario is gone: what is on record is not in the selection.
    std::fs::remove_file(Path::new(&mine).join("wrong-mode.yaml")).unwrap();
    ran_nothing(
        &run(&["--last-failed"]),
        "none of the 1 scenario(s) that failed last time is selected",
    );
}

#[test]
fn last_failed_after_a_run_that_passed_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let run = ["run", "cancel-monitoring", "--exact"];
    assert_eq!(gws_in(dir.path(), &run).status.code(), Some(0));
    ran_nothing(
        &gws_in(dir.path(), &[&run[..], &["--last-failed"]].concat()),
        "no scenario failed in the last run; nothing to run",
    );
}

/// `out` is of a run that ran nothing and passed, saying `why` on stderr.
fn ran_nothing(out: &Output, why: &str) {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    assert!(stderr(out).contains(why), "{}", stderr(out));
    assert!(stdout(out).is_empty(), "{}", stdout(out));
}

#[test]
fn an_unreadable_record_is_bad_input_with_its_location() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("last-run.json"),
        "{\"format\": 1,\n\"runs\": [}\n",
    )
    .unwrap();
    let out = gws_in(dir.path(), &["run", "--list", "--last-failed"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("last-run.json:2:"),
        "{}",
        stderr(&out)
    );
}
