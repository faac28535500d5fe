//! The page around the report: the head with its inline style, the filters (failed only, by
//! requirement, by actor: a few lines of inline script, so they work from `file://` with no
//! server; without script every trial is simply shown), the verdict and the matrix, then one
//! section per trial. The filters are hidden until the script shows them.

use std::collections::{BTreeSet, HashMap};

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::{Examples, matrix, messages, sequence, trial};
use crate::report::json::Report;
use crate::trial::{ScenarioRun, Subject};

/// The page's style: no external font, image or sheet.
const STYLE: &str = r#"
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1d1d1f; }
h1 { font-size: 1.5em; margin: 0 0 .3em; }
h2 { font-size: 1.15em; border-top: 1px solid #ccc; padding-top: .8em; }
h2 small { color: #666; font-weight: normal; }
h3 { font-size: 1em; margin: 1em 0 .3em; }
code, pre, table.diff, .sequence text { font-family: ui-monospace, monospace; }
pre { background: #f6f8fa; padding: .5em; overflow: auto; max-height: 30em; margin: .3em 0; }
table { border-collapse: collapse; margin: .3em 0; }
th, td { border: 1px solid #ddd; padding: 2px 6px; text-align: left; vertical-align: top; }
.verdict { font-size: 1.2em; padding: .4em .6em; border-radius: 4px; }
.verdict.fail, .badge.failed, .badge.errored { background: #fde2e1; color: #8a1010; }
.verdict.pass, .badge.passed { background: #dff5e1; color: #135c1d; }
.badge { padding: 0 .4em; border-radius: 3px; font-size: .85em; text-transform: uppercase; }
.badge.ignored { background: #eee; }
td.status.FAIL { background: #fde2e1; } td.status.NON-STRICT { background: #fff3cd; }
td.status.KNOWN { background: #e7e7ff; } td.status.BLOCKED { background: #f3e8d2; }
td.status.PASS { background: #dff5e1; } td.status.NOT-RUN { color: #777; }
#filters { position: sticky; top: 0; background: #fff; padding: .4em 0; border-bottom: 1px solid #ddd; }
#filters label { margin-right: 1.2em; }
.steps li.failed { color: #8a1010; } .steps li.unreached { color: #888; }
.finding { border-left: 4px solid #888; padding-left: .6em; margin: .6em 0; }
.finding.FAIL { border-color: #c62828; } .finding.NON-STRICT { border-color: #e0a800; }
.location { color: #666; }
.diagram { overflow: auto; border: 1px solid #eee; }
.sequence text { font-size: 11px; }
.sequence .lane-name { font-weight: bold; font-size: 12px; }
.sequence .lifeline { stroke: #bbb; stroke-dasharray: 4 3; }
.sequence .message line { stroke: #555; } .sequence .message polygon { fill: #555; }
.sequence .notification line { stroke: #1565c0; } .sequence .notification polygon { fill: #1565c0; }
.sequence .response line { stroke-dasharray: 5 2; }
.sequence .fail line { stroke: #c62828; stroke-width: 2.5; } .sequence .fail polygon { fill: #c62828; }
.sequence .fail .label { fill: #c62828; font-weight: bold; }
.sequence .time { fill: #888; }
.sequence a:hover line { stroke-width: 3; }
.sequence .dim { opacity: .15; }
table.diff td { white-space: pre; }
table.diff td.del { background: #ffebe9; } table.diff td.add { background: #e6ffec; }
table.diff td.none { background: #f6f6f6; } table.diff tr.gap td { color: #999; }
table.side-by-side { margin: .3em 0 1em; } table.side-by-side caption { text-align: left; font-weight: bold; }
table.side-by-side td.none { background: #f6f6f6; }
table.side-by-side tr.fail td { background: #fde2e1; } table.side-by-side tr.fail td.status { color: #8a1010; font-weight: bold; }
table.side-by-side tr.optional td { background: #f1f1fb; color: #555; }
.beside { display: flex; gap: 1em; } .beside figure { flex: 1; margin: 0; min-width: 0; }
"#;

/// The filters' script: shows the trials (and matrix rows) the filters select, dims the other
/// actors' arrows, shows a replay's side-by-side rows at fault only (failed only) and the chosen
/// actor's table only, keeps the filters in the page's address (`?failed-only=1&requirement=ID&
/// actor=NAME`, so a filtered view can be opened again), and opens the JSON an arrow points
/// at. Nothing in it comes from the target.
const SCRIPT: &str = r#"
(function () {
  var form = document.getElementById('filters');
  var controls = form.elements;
  // Shown only where the script runs: without it the filters could do nothing.
  form.hidden = false;
  // A filtered view has an address of its own: ?failed-only=1&requirement=ID&actor=NAME.
  var asked = new URLSearchParams(location.search);
  controls['failed-only'].checked = asked.get('failed-only') === '1';
  controls['requirement'].value = asked.get('requirement') || '';
  controls['actor'].value = asked.get('actor') || '';
  function has(list, value) { return JSON.parse(list || '[]').indexOf(value) >= 0; }
  function apply() {
    var failed = controls['failed-only'].checked;
    var requirement = controls['requirement'].value;
    var actor = controls['actor'].value;
    document.querySelectorAll('section.trial').forEach(function (section) {
      section.hidden = (failed && section.dataset.outcome !== 'failed' && section.dataset.outcome !== 'errored')
        || (requirement && !has(section.dataset.requirements, requirement))
        || (actor && !has(section.dataset.actors, actor));
    });
    document.querySelectorAll('tr.requirement').forEach(function (row) {
      var status = row.dataset.status;
      row.hidden = (requirement && row.dataset.requirement !== requirement)
        || (failed && (status === 'PASS' || status === 'NOT RUN'));
    });
    document.querySelectorAll('.sequence .message, .sequence .lane').forEach(function (item) {
      var other = actor && item.dataset.actor !== actor && item.dataset.actor !== 'server';
      item.classList.toggle('dim', !!other);
    });
    // A replay's streams side by side: the chosen actor's table, the rows at fault.
    document.querySelectorAll('table.side-by-side').forEach(function (table) {
      table.hidden = !!actor && table.dataset.actor !== actor;
    });
    document.querySelectorAll('table.side-by-side tr.pair').forEach(function (row) {
      row.hidden = failed && !row.classList.contains('fail');
    });
  }
  function remember() {
    var chosen = new URLSearchParams();
    if (controls['failed-only'].checked) { chosen.set('failed-only', '1'); }
    if (controls['requirement'].value) { chosen.set('requirement', controls['requirement'].value); }
    if (controls['actor'].value) { chosen.set('actor', controls['actor'].value); }
    var query = chosen.toString();
    history.replaceState(null, '', location.pathname + (query ? '?' + query : '') + location.hash);
  }
  form.addEventListener('change', function () { apply(); remember(); });
  apply();
  document.addEventListener('click', function (event) {
    var arrow = event.target.closest && event.target.closest('a.arrow');
    if (!arrow) { return; }
    var target = document.getElementById((arrow.getAttribute('href') || '').slice(1));
    for (var node = target; node; node = node.parentElement) {
      if (node.tagName === 'DETAILS') { node.open = true; }
    }
  });
})();
"#;

/// The filters: failed only, a requirement, an actor.
fn filters(requirements: &[&str], actors: &BTreeSet<&str>) -> Markup {
    html! {
        form #filters hidden {
            label { input type="checkbox" name="failed-only"; " failed only" }
            label { "requirement " select name="requirement" {
                option value="" { "all" }
                @for id in requirements { option value=(id) { (id) } }
            } }
            label { "actor " select name="actor" {
                option value="" { "all" }
                @for actor in actors { option value=(actor) { (actor) } }
            } }
        }
    }
}

/// The whole page.
pub(super) fn page<S: Subject>(
    results: &[(S, ScenarioRun)],
    report: &Report<'_>,
    examples: &dyn Examples,
) -> Markup {
    let index: HashMap<&str, usize> = results
        .iter()
        .enumerate()
        .map(|(i, (subject, _))| (subject.name(), i))
        .collect();
    let requirements: Vec<&str> = report
        .matrix
        .rows
        .iter()
        .map(|row| row.requirement.as_str())
        .collect();
    let mut actors: BTreeSet<&str> = BTreeSet::new();
    for (_, run) in results {
        let messages = messages::of(run);
        actors.extend(sequence::lanes(&messages).into_iter().skip(1));
    }
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "gws-conform report: " (report.suite) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                h1 { "gws-conform report: " (report.suite) }
                (matrix::verdict(report))
                (filters(&requirements, &actors))
                h2 { "Requirements" }
                (matrix::table(report, |name| index.get(name).map(|&i| trial::anchor(i))))
                @for (i, (subject, run)) in results.iter().enumerate() {
                    (trial::section(i, subject, run, report.strict, examples))
                }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    }
}
