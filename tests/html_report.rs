//! The HTML report (`--html`, `gws-conform report`), through the real binary:
//!
//! - the page of a failing run, parsed: the matrix has a row per requirement, every scenario
//!   has its sequence diagram, the failing arrows are marked, the diffs are rendered side by
//!   side, the documented example stands beside the notification it was diffed with, the
//!   filters are there; it is self-contained (no external script, sheet, import or URL in
//!   code);
//! - what comes from the target is escaped (`<script>` in a response body stays text);
//! - `report` of the saved stream gives the same JUnit and HTML as the run wrote live; several
//!   streams are shards merged into one report; a scenario in two shards, a malformed line or
//!   a stream without its summary is exit 2 with `file:line:col`;
//! - output paths: `--html -` is standard output, a missing directory is exit 2 before the run,
//!   `GWS_CONFORM_HTML` is the flag's twin;
//! - a replay's page shows the recorded notification beside the replayed one, and each actor's
//!   recorded and replayed streams side by side: the differing row marked and linked to its
//!   finding, the same notification's arrow marked in the diagram; `report` of its saved
//!   stream gives the same page;
//! - in a real browser: headless Chromium opens the report of a failing and a passing scenario
//!   (made by `report` from their streams); the DOM after the script ran has the matrix rows,
//!   one diagram per scenario, the failing arrow marked, the diff and the filters shown, and
//!   the filters chosen in the address (failed only, a requirement, an actor) hide and fade
//!   what they should, in a replay's side-by-side view too; a screenshot is saved in the
//!   test's temporary directory.
//!   Without `chromium` (or `chromium-browser`) on PATH that test fails, unless
//!   `GWS_CONFORM_NO_BROWSER=1` says to skip it (it then says so on standard error).
//!
//! Every file is made in the test's own temporary directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use scraper::{Html, Selector};
use tempfile::TempDir;

/// A scenario that fails under [`FAULT`] with `--strict`, with schema errors, a documented
/// example diffed with a notification, and failing notifications.
const SCENARIO: &str = "agent-accepts-under-monitoring";
/// The seeded fault: the Coach capabilities of the seed example (a documented variant, so a
/// NON-STRICT finding: `--strict` fails it).
const FAULT: &str = "coach-capabilities-as-example";
/// A scenario that passes on the reference server.
const PASSING: &str = "join-monitor-mode";

fn gws(dir: &Path, args: &[&str]) -> Output {
    gws_env(dir, args, &[])
}

fn gws_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gws-conform"));
    for (name, _) in ci_variables() {
        command.env_remove(name);
    }
    command
        .current_dir(dir)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("run the binary")
}

/// The `GWS_CONFORM_*` variables of the environment the tests run in, which must not reach the
/// binary (a CI job may set them).
fn ci_variables() -> impl Iterator<Item = (String, String)> {
    std::env::vars().filter(|(name, _)| name.starts_with("GWS_CONFORM_"))
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs the failing scenario in `dir`, writing `events.jsonl`, `junit.xml` and `report.html`.
fn failing_run(dir: &Path) {
    let output = gws(
        dir,
        &[
            "run",
            SCENARIO,
            "--exact",
            "--fault",
            FAULT,
            "--strict",
            "--json",
            "events.jsonl",
            "--junit",
            "junit.xml",
            "--html",
            "report.html",
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
}

/// Runs the passing scenario in `dir` (`--strict`, as [`failing_run`]), writing `passing.jsonl`.
fn passing_run(dir: &Path) {
    let output = gws(
        dir,
        &[
            "run",
            PASSING,
            "--exact",
            "--strict",
            "--json",
            "passing.jsonl",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn select<'a>(page: &'a Html, selector: &str) -> Vec<scraper::ElementRef<'a>> {
    let selector = Selector::parse(selector).expect("a valid selector");
    page.select(&selector).collect()
}

/// How many `requirement` lines a saved stream has.
fn requirement_lines(stream: &str) -> usize {
    stream
        .lines()
        .filter(|line| line.contains(r#""event":"requirement""#))
        .count()
}

/// What the page must show, whether read from the file or from a browser's DOM.
fn assert_structure(page: &Html, requirements: usize, trials: usize) {
    assert_eq!(
        select(page, "#matrix tr.requirement").len(),
        requirements,
        "one matrix row per requirement"
    );
    assert_eq!(select(page, "section.trial").len(), trials);
    assert_eq!(
        select(page, "section.trial svg.sequence").len(),
        trials,
        "one diagram per scenario"
    );
    let failing = select(page, "svg.sequence .message.fail");
    assert!(!failing.is_empty(), "a failing arrow is marked");
    // Each arrow opens the full JSON of its event.
    let arrow = select(page, "svg.sequence a.arrow")
        .into_iter()
        .find(|a| {
            a.select(&Selector::parse(".fail").unwrap())
                .next()
                .is_some()
        })
        .expect("the failing arrow is a link");
    let target = arrow.value().attr("href").unwrap().trim_start_matches('#');
    let body = select(page, &format!("details.body[id='{target}'] pre.json"));
    assert_eq!(body.len(), 1, "the arrow's JSON is on the page");
    assert!(
        !select(page, "table.diff td.del").is_empty(),
        "a diff is rendered"
    );
    assert!(
        !select(page, "table.diff td.add").is_empty(),
        "a diff is rendered"
    );
    let beside = select(page, ".beside figure");
    assert_eq!(beside.len() % 2, 0);
    assert!(
        beside
            .iter()
            .any(|f| f.text().any(|t| t.contains("fixtures/chat-started"))),
        "the documented example is shown beside the notification"
    );
    for control in ["failed-only", "requirement", "actor"] {
        assert_eq!(
            select(page, &format!("form#filters [name='{control}']")).len(),
            1,
            "filter {control}"
        );
    }
}

#[test]
fn the_report_of_a_failing_run_has_its_matrix_diagrams_failing_arrows_and_diffs() {
    let dir = TempDir::new().unwrap();
    failing_run(dir.path());
    let stream = read(dir.path().join("events.jsonl"));
    let text = read(dir.path().join("report.html"));
    let page = Html::parse_document(&text);
    assert_structure(&page, requirement_lines(&stream), 1);
    let verdict = select(&page, "p.verdict.fail");
    assert_eq!(verdict.len(), 1, "the verdict is at the top");
    // The matrix lists root causes first.
    let first = select(&page, "#matrix tr.requirement")[0];
    assert_eq!(first.value().attr("data-status"), Some("NON-STRICT"));
    // Schema errors with their instance paths.
    let paths: Vec<String> = select(&page, "table.schema-errors code")
        .iter()
        .map(|c| c.text().collect())
        .collect();
    assert!(
        paths.iter().any(|p| p.starts_with("/chat/capabilities")),
        "{paths:?}"
    );
    // The steps with their source lines.
    let steps: Vec<String> = select(&page, "details.steps li")
        .iter()
        .map(|li| li.text().collect())
        .collect();
    assert!(
        steps
            .iter()
            .any(|s| s.contains(&format!("{SCENARIO}.yaml:"))),
        "{steps:?}"
    );
}

#[test]
fn the_page_is_self_contained() {
    let dir = TempDir::new().unwrap();
    failing_run(dir.path());
    let text = read(dir.path().join("report.html"));
    let page = Html::parse_document(&text);
    assert!(select(&page, "link").is_empty(), "no external style sheet");
    assert!(
        select(&page, "script[src]").is_empty(),
        "no external script"
    );
    assert!(
        select(&page, "[src]").is_empty(),
        "nothing loaded from elsewhere"
    );
    assert_eq!(
        select(&page, "script").len(),
        1,
        "one inline script: the filters"
    );
    // The code of the page (style and script) refers to nothing outside it; the URLs the
    // target sent are text in the JSON shown, never loaded.
    for code in select(&page, "style, script") {
        let code: String = code.text().collect();
        for banned in ["@import", "url(", "http://", "https://", "//"] {
            let found = code
                .lines()
                .any(|line| line.contains(banned) && !line.trim_start().starts_with("//"));
            assert!(!found, "{banned} in {code}");
        }
    }
    for element in select(&page, "[href]") {
        let href = element.value().attr("href").unwrap();
        assert!(href.starts_with('#'), "a link out of the page: {href}");
    }
}

/// A saved stream of one scenario whose target put markup in what it sent.
const HOSTILE: &str = r#"{"event":"scenario_started","scenario":"hostile","file":"hostile.yaml","steps":[{"location":" (step 1 `login`, hostile.yaml:3)"}]}
{"event":"exchange","scenario":"hostile","actor":"agent<b>","step":0,"method":"POST","url":"http://127.0.0.1:1/api/v2/me","request":null,"status":200,"response":{"x":"<script>alert('body')</script>"},"elapsed_ms":1,"at_ms":0,"error":null}
{"event":"notification","scenario":"hostile","actor":"agent<b>","seq":0,"channel":"/v2/me/chats","at_ms":2,"data":{"messageType":"</pre><script>alert('data')</script>"}}
{"event":"step","scenario":"hostile","step":0,"line":3,"action":"login","passed":false,"message":"<img src=x onerror=alert(1)>"}
{"event":"finding","scenario":"hostile","step":0,"check":"schema","requirement":"NOTIF-SCHEMA","verdict":"FAIL","message":"<script>alert('message')</script>","details":["/x: <script>alert('detail')</script>"],"notifications":[{"actor":"agent<b>","seq":0}]}
{"event":"scenario_finished","scenario":"hostile","outcome":"failed","duration_ms":3}
{"event":"summary","format_version":2,"suite":"scenarios","strict":false,"scenarios":1,"passed":0,"failed":1,"errored":0,"ignored":0,"not_run":0,"filtered_out":0}
"#;

#[test]
fn what_the_target_sent_is_escaped() {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("hostile.jsonl"), HOSTILE).unwrap();
    let output = gws(
        dir.path(),
        &["report", "hostile.jsonl", "--html", "hostile.html"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = read(dir.path().join("hostile.html"));
    assert!(!text.contains("<script>alert"), "unescaped markup");
    assert!(!text.contains("<img"), "unescaped markup");
    assert!(!text.contains("<b>"), "unescaped markup");
    assert!(
        text.contains("&lt;script&gt;alert("),
        "the markup is shown as text"
    );
    let page = Html::parse_document(&text);
    assert_eq!(select(&page, "script").len(), 1);
    assert!(select(&page, "img").is_empty());
    let failing = select(&page, "svg.sequence .message.fail");
    assert_eq!(failing.len(), 2, "the step's response and the notification");
}

/// The JUnit report without its times (a rerun of the same events takes other times).
fn timeless(junit: &str) -> String {
    junit
        .split(' ')
        .filter(|part| !part.starts_with("time=") && !part.starts_with("timestamp="))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn the_report_of_a_saved_stream_is_the_one_the_run_wrote() {
    let dir = TempDir::new().unwrap();
    failing_run(dir.path());
    let output = gws(
        dir.path(),
        &[
            "report",
            "events.jsonl",
            "--junit",
            "again.xml",
            "--html",
            "again.html",
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(
        timeless(&read(dir.path().join("again.xml"))),
        timeless(&read(dir.path().join("junit.xml")))
    );
    assert_eq!(
        read(dir.path().join("again.html")),
        read(dir.path().join("report.html")),
        "the same page, matrix and all"
    );
}

#[test]
fn shards_merge_into_one_report_and_a_scenario_in_two_is_refused() {
    let dir = TempDir::new().unwrap();
    failing_run(dir.path());
    passing_run(dir.path());
    let merged = gws(
        dir.path(),
        &[
            "report",
            "passing.jsonl",
            "events.jsonl",
            "--html",
            "merged.html",
            "--junit",
            "merged.xml",
        ],
    );
    assert_eq!(merged.status.code(), Some(1), "{}", stderr(&merged));
    let page = Html::parse_document(&read(dir.path().join("merged.html")));
    let names: Vec<&str> = select(&page, "section.trial")
        .iter()
        .map(|s| s.value().attr("data-outcome").unwrap())
        .collect();
    assert_eq!(
        names,
        ["failed", "passed"],
        "by name: {SCENARIO}, {PASSING}"
    );
    // One matrix over both: a requirement exercised by each shard lists both scenarios.
    let both = select(&page, "#matrix tr.requirement")
        .into_iter()
        .any(|row| {
            let text: String = row.text().collect();
            text.contains(SCENARIO) && text.contains(PASSING)
        });
    assert!(both, "a matrix row lists scenarios of both shards");
    let junit = read(dir.path().join("merged.xml"));
    assert!(junit.contains(&format!("name=\"{SCENARIO}\"")));
    assert!(junit.contains(&format!("name=\"{PASSING}\"")));
    // The passing shard alone passes.
    let alone = gws(dir.path(), &["report", "passing.jsonl"]);
    assert_eq!(alone.status.code(), Some(0), "{}", stderr(&alone));
    // Shards of one run share `--strict`.
    let lenient = gws(
        dir.path(),
        &["run", PASSING, "--exact", "--json", "lenient.jsonl"],
    );
    assert_eq!(lenient.status.code(), Some(0), "{}", stderr(&lenient));
    let mixed = gws(dir.path(), &["report", "events.jsonl", "lenient.jsonl"]);
    assert_eq!(mixed.status.code(), Some(2));
    assert!(
        stderr(&mixed).contains("lenient.jsonl: its summary differs from events.jsonl's"),
        "{}",
        stderr(&mixed)
    );

    let twice = gws(dir.path(), &["report", "events.jsonl", "events.jsonl"]);
    assert_eq!(twice.status.code(), Some(2));
    let message = stderr(&twice);
    assert!(
        message.contains(
            "events.jsonl:1:1: scenario `agent-accepts-under-monitoring` is also in events.jsonl:1"
        ),
        "{message}"
    );
}

#[test]
fn malformed_streams_are_exit_2_with_file_line_and_column() {
    let dir = TempDir::new().unwrap();
    let started = r#"{"event":"scenario_started","scenario":"s"}"#;
    let finished =
        r#"{"event":"scenario_finished","scenario":"s","outcome":"passed","duration_ms":1}"#;
    let summary = r#"{"event":"summary","strict":false}"#;
    let cases: [(&str, String, &str); 6] = [
        (
            "syntax",
            format!("{started}\n{{\"event\": \"step\", \"scenario\": }}\n"),
            "syntax.jsonl:2:31: expected value\n",
        ),
        (
            "type",
            format!(
                "{started}\n{{\"event\":\"step\",\"scenario\":\"s\",\"step\":\"one\",\"line\":1,\"action\":\"login\",\"passed\":true,\"message\":null}}\n"
            ),
            "type.jsonl:2:",
        ),
        (
            "unknown",
            format!("{started}\n{{\"event\":\"nonsense\",\"scenario\":\"s\"}}\n"),
            "unknown.jsonl:2:",
        ),
        (
            "orphan",
            format!("{finished}\n{summary}\n"),
            "orphan.jsonl:1:1: an event of scenario `s` before its scenario_started",
        ),
        (
            "truncated",
            format!("{started}\n{finished}\n"),
            "truncated.jsonl:2:1: no summary line",
        ),
        (
            "unfinished",
            format!("{started}\n{summary}\n"),
            "unfinished.jsonl:1:1: scenario `s` never finished",
        ),
    ];
    for (name, text, expected) in cases {
        let file = format!("{name}.jsonl");
        std::fs::write(dir.path().join(&file), text).unwrap();
        let output = gws(dir.path(), &["report", &file, "--html", "out.html"]);
        assert_eq!(output.status.code(), Some(2), "{name}: {}", stderr(&output));
        assert!(
            stderr(&output).contains(expected),
            "{name}: {}",
            stderr(&output)
        );
        assert!(!dir.path().join("out.html").exists(), "{name}: no report");
    }
    // The same lines, well formed, are a report.
    std::fs::write(
        dir.path().join("fine.jsonl"),
        format!("{started}\n{finished}\n{summary}\n"),
    )
    .unwrap();
    let fine = gws(dir.path(), &["report", "fine.jsonl", "--html", "out.html"]);
    assert_eq!(fine.status.code(), Some(0), "{}", stderr(&fine));
    assert!(dir.path().join("out.html").exists());
}

#[test]
fn html_goes_to_standard_output_for_a_dash_and_follows_its_environment_twin() {
    let dir = TempDir::new().unwrap();
    let to_stdout = gws(
        dir.path(),
        &[
            "run",
            PASSING,
            "--exact",
            "--html",
            "-",
            "--json",
            "events.jsonl",
        ],
    );
    assert_eq!(to_stdout.status.code(), Some(0), "{}", stderr(&to_stdout));
    let page = String::from_utf8_lossy(&to_stdout.stdout);
    assert!(
        page.starts_with("<!DOCTYPE html>"),
        "only the page on stdout"
    );
    assert!(stderr(&to_stdout).contains("test result: ok"));
    assert!(!dir.path().join("-").exists());

    let report = gws(dir.path(), &["report", "events.jsonl", "--html", "-"]);
    assert_eq!(report.status.code(), Some(0), "{}", stderr(&report));
    assert_eq!(String::from_utf8_lossy(&report.stdout), page);

    let missing = gws(
        dir.path(),
        &["run", PASSING, "--exact", "--html", "no/such/dir/r.html"],
    );
    assert_eq!(missing.status.code(), Some(2), "{}", stderr(&missing));
    assert!(stderr(&missing).contains("--html"), "{}", stderr(&missing));
    let missing = gws(
        dir.path(),
        &["report", "events.jsonl", "--html", "no/such/dir/r.html"],
    );
    assert_eq!(missing.status.code(), Some(2), "{}", stderr(&missing));

    let twin = gws_env(
        dir.path(),
        &["run", PASSING, "--exact"],
        &[("GWS_CONFORM_HTML", "twin.html")],
    );
    assert_eq!(twin.status.code(), Some(0), "{}", stderr(&twin));
    assert!(read(dir.path().join("twin.html")).starts_with("<!DOCTYPE html>"));
}

/// Replays the capture of a recorded run against the embedded server with a seeded fault (a
/// capability too many: notifications differ), writing `replay.html` and these `outputs`;
/// the replay fails.
fn seeded_replay(dir: &Path, outputs: &[&str]) {
    let capture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/replay-captures/run-record.har");
    let mut args = vec![
        "replay",
        capture.to_str().unwrap(),
        "--fault",
        "bargein-capability-extra",
        "--html",
        "replay.html",
    ];
    args.extend(outputs);
    let output = gws(dir, &args);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
}

#[test]
fn a_replay_report_shows_the_recorded_notification_beside_the_replayed_one() {
    let dir = TempDir::new().unwrap();
    seeded_replay(dir.path(), &["--json", "replay.jsonl"]);
    let page = Html::parse_document(&read(dir.path().join("replay.html")));
    assert_eq!(select(&page, "section.trial svg.sequence").len(), 1);
    let sides: Vec<String> = select(&page, "table.diff thead th")
        .iter()
        .map(|th| th.text().collect())
        .collect();
    assert!(
        sides.iter().any(|s| s.starts_with("recorded")) && sides.iter().any(|s| s == "replayed"),
        "{sides:?}"
    );
    let added: Vec<String> = select(&page, "table.diff td.add")
        .iter()
        .map(|td| td.text().collect())
        .collect();
    assert!(
        added.iter().any(|a| a.contains("\"Complete\"")),
        "{added:?}"
    );
    assert!(!select(&page, "svg.sequence .message.fail").is_empty());

    // The two streams side by side, per actor.
    let tables = select(&page, "section.trial table.side-by-side");
    assert!(tables.len() >= 2, "one per actor: {}", tables.len());
    assert!(
        tables
            .iter()
            .all(|t| t.value().attr("data-actor").is_some())
    );
    let pairs = select(&page, "table.side-by-side tr.pair");
    let both_sides = |row: &scraper::ElementRef<'_>| {
        ["td.recorded a.arrow", "td.replayed a.arrow"]
            .iter()
            .all(|cell| row.select(&Selector::parse(cell).unwrap()).next().is_some())
    };
    assert!(
        pairs.iter().filter(|row| both_sides(row)).count() >= 10,
        "the recorded and replayed notifications pair up"
    );
    // The differing row is marked, links to the finding with the diff, and its replayed
    // notification is a failing arrow of the diagram.
    let differing: Vec<_> = pairs
        .iter()
        .filter(|row| {
            let status: String = row
                .select(&Selector::parse("td.status a.finding-link").unwrap())
                .flat_map(|a| a.text())
                .collect();
            status.contains("replay.notification")
        })
        .collect();
    assert!(
        !differing.is_empty(),
        "a row links to the replay.notification finding"
    );
    let failing_arrows: Vec<&str> = select(&page, "svg.sequence a.arrow")
        .into_iter()
        .filter(|a| {
            a.select(&Selector::parse(".message.notification.fail").unwrap())
                .next()
                .is_some()
        })
        .map(|a| a.value().attr("href").unwrap())
        .collect();
    for row in &differing {
        assert!(row.value().classes().any(|c| c == "fail"), "{}", row.html());
        assert!(both_sides(row), "a pair: {}", row.html());
        let replayed = row
            .select(&Selector::parse("td.replayed a.arrow").unwrap())
            .next()
            .unwrap();
        let href = replayed.value().attr("href").unwrap();
        assert!(
            failing_arrows.contains(&href),
            "{href} among {failing_arrows:?}"
        );
        let finding = row
            .select(&Selector::parse("a.finding-link").unwrap())
            .find(|a| a.text().collect::<String>() == "replay.notification")
            .unwrap();
        let id = &finding.value().attr("href").unwrap()[1..];
        let target = select(&page, &format!("div.finding[id=\"{id}\"] table.diff"));
        assert_eq!(target.len(), 1, "the link leads to the finding's diff");
    }
    // Every cell opens a JSON the page holds: the recorded ones too.
    for cell in select(&page, "table.side-by-side a.arrow") {
        let id = &cell.value().attr("href").unwrap()[1..];
        assert_eq!(
            select(&page, &format!("details.body[id=\"{id}\"] pre.json")).len(),
            1,
            "{id}"
        );
    }
    let recorded_bodies = select(&page, "details.body summary")
        .iter()
        .filter(|s| s.text().collect::<String>().contains(": recorded #"))
        .count();
    assert!(recorded_bodies >= 10, "{recorded_bodies}");

    // The saved stream has both streams linked, and `report` reads them back into the same page.
    let stream = read(dir.path().join("replay.jsonl"));
    assert!(stream.contains(r#""event":"recorded_notification""#));
    assert!(stream.contains(r#""counterpart":"#));
    let again = gws(
        dir.path(),
        &["report", "replay.jsonl", "--html", "again.html"],
    );
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
    assert_eq!(
        read(dir.path().join("again.html")),
        read(dir.path().join("replay.html")),
        "the same page from the saved stream"
    );
}

/// The browser on PATH, if any.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// The rows of the matrix whose scenarios include `name` and not `other`.
fn requirement_of_only(page: &Html, name: &str, other: &str) -> Option<String> {
    select(page, "#matrix tr.requirement")
        .into_iter()
        .find_map(|row| {
            let text: String = row.text().collect();
            (text.contains(name) && !text.contains(other))
                .then(|| row.value().attr("data-requirement").unwrap().to_owned())
        })
}

/// The `data-outcome` of the sections the browser left visible.
fn shown(page: &Html) -> Vec<String> {
    select(page, "section.trial:not([hidden])")
        .iter()
        .map(|s| s.value().attr("data-outcome").unwrap().to_owned())
        .collect()
}

#[test]
fn a_failing_run_report_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        let skip = std::env::var("GWS_CONFORM_NO_BROWSER").is_ok_and(|v| v == "1");
        eprintln!(
            "\n!!! chromium (or chromium-browser) is not on PATH: the HTML report is NOT tested \
             in a browser{}\n",
            if skip {
                " (skipped: GWS_CONFORM_NO_BROWSER=1)"
            } else {
                ""
            }
        );
        assert!(
            skip,
            "install chromium (.ci/run does), or set GWS_CONFORM_NO_BROWSER=1 to skip"
        );
        return;
    };
    let dir = TempDir::new().unwrap();
    failing_run(dir.path());
    passing_run(dir.path());
    // The failing scenario and a passing one, in one report made from their saved streams.
    let both = gws(
        dir.path(),
        &[
            "report",
            "events.jsonl",
            "passing.jsonl",
            "--html",
            "both.html",
        ],
    );
    assert_eq!(both.status.code(), Some(1), "{}", stderr(&both));
    let requirements = requirement_lines(&read(dir.path().join("events.jsonl")));
    let page = dir.path().join("both.html");
    let profile = dir.path().join("profile");
    let open = |page: &Path, query: &str, extra: &[String]| {
        let output = Command::new(&browser)
            .args([
                "--headless",
                "--disable-gpu",
                "--no-sandbox",
                "--no-first-run",
                "--hide-scrollbars",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(extra)
            .arg(format!("file://{}{query}", page.display()))
            .env("HOME", dir.path())
            .stdin(Stdio::null())
            .output()
            .expect("run chromium");
        assert!(output.status.success(), "chromium: {}", stderr(&output));
        output
    };
    let dom_of = |page: &Path, query: &str| {
        let dumped = open(page, query, &["--dump-dom".to_owned()]);
        Html::parse_document(&String::from_utf8_lossy(&dumped.stdout))
    };
    let dom = |query: &str| dom_of(&page, query);

    let all = dom("");
    assert_structure(&all, requirements, 2);
    // The script ran: it shows the filters it drives, and with none chosen hides nothing.
    let filters = select(&all, "form#filters");
    assert_eq!(filters.len(), 1);
    assert_eq!(
        filters[0].value().attr("hidden"),
        None,
        "the filters are shown"
    );
    assert_eq!(shown(&all), ["failed", "passed"]);

    // The filters, chosen in the page's address.
    assert_eq!(shown(&dom("?failed-only=1")), ["failed"]);
    let passing_rows = select(
        &dom("?failed-only=1"),
        "#matrix tr.requirement:not([hidden])",
    )
    .iter()
    .filter(|row| row.value().attr("data-status") == Some("PASS"))
    .count();
    assert_eq!(passing_rows, 0, "failed only hides the PASS rows");
    let only_failing = requirement_of_only(&all, SCENARIO, PASSING)
        .expect("a requirement only the failing scenario exercised");
    let by_requirement = dom(&format!("?requirement={only_failing}"));
    assert_eq!(shown(&by_requirement), ["failed"]);
    assert_eq!(
        select(&by_requirement, "#matrix tr.requirement:not([hidden])").len(),
        1
    );
    let by_actor = dom("?actor=customer");
    assert!(!select(&by_actor, "svg.sequence .message.dim").is_empty());
    assert!(
        select(&by_actor, "svg.sequence .message.dim")
            .iter()
            .all(|m| m.value().attr("data-actor") != Some("customer")),
        "only the other actors' arrows fade"
    );
    // A name the page does not list chooses nothing: every scenario stays.
    assert_eq!(shown(&dom("?actor=nobody")), ["failed", "passed"]);

    let shot = dir.path().join("report.png");
    open(
        &page,
        "",
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,1600".to_owned(),
        ],
    );
    let png = std::fs::read(&shot).expect("the screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    assert!(
        png.len() > 10_000,
        "more than a blank page: {} bytes",
        png.len()
    );

    // A replay's streams side by side: failed only keeps the rows at fault, an actor its table.
    seeded_replay(dir.path(), &[]);
    let replay_page = dir.path().join("replay.html");
    let rows = |page: &Html| -> Vec<String> {
        select(page, "table.side-by-side tr.pair:not([hidden])")
            .iter()
            .map(|row| row.value().attr("class").unwrap().to_owned())
            .collect()
    };
    let every = rows(&dom_of(&replay_page, ""));
    let failing = rows(&dom_of(&replay_page, "?failed-only=1"));
    assert!(failing.len() < every.len(), "{failing:?} of {every:?}");
    assert!(!failing.is_empty() && failing.iter().all(|class| class == "pair fail"));
    let agent = dom_of(&replay_page, "?actor=agent");
    let tables: Vec<(&str, bool)> = select(&agent, "table.side-by-side")
        .iter()
        .map(|t| {
            let attr = |name| t.value().attr(name);
            (attr("data-actor").unwrap(), attr("hidden").is_some())
        })
        .collect();
    assert!(tables.contains(&("agent", false)), "{tables:?}");
    assert!(
        tables
            .iter()
            .all(|&(actor, hidden)| hidden == (actor != "agent")),
        "only the agent's table stays: {tables:?}"
    );
}
