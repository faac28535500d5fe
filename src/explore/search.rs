//! The search: random sequences of operations from the model (proptest-state-machine's
//! sequential strategy, so every sequence is valid in the model, and shrinking keeps it so),
//! each run as a scenario; on a failure, proptest's shrinking, keeping only sequences that
//! fail on the same requirement. Deterministic for a seed: exploration `n` of seed `s` draws
//! from its own generator, seeded by both.

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use proptest_state_machine::strategy::Sequential;

use super::compile::{Compiled, compile};
use super::execute::{Executor, Failure};
use super::model::State;
use super::op::Op;
use super::world::World;

/// How much to explore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// This many operations in all.
    Steps(usize),
    /// Until this much time has passed.
    Time(Duration),
}

/// The search's settings.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// The world.
    pub world: World,
    /// The seed.
    pub seed: u64,
    /// How much to explore.
    pub budget: Budget,
    /// The most operations in one exploration.
    pub length: usize,
    /// How long shrinking a failure may take.
    pub shrink_time: Duration,
    /// How many explorations run at once.
    pub jobs: usize,
}

/// A sequence of operations with proptest's value tree, for shrinking.
type Tree = <Sequential<State, Op, BoxedStrategy<State>, BoxedStrategy<Op>> as Strategy>::Tree;

/// One exploration that ran.
#[derive(Debug, Clone)]
pub struct Explored {
    /// Its operations.
    pub ops: Vec<Op>,
    /// How many of them ran (all, unless it failed).
    pub ran: usize,
    /// What failed, if anything.
    pub failure: Option<Failure>,
}

/// A failure, shrunk.
#[derive(Debug, Clone)]
pub struct Shrunk {
    /// The exploration that first failed.
    pub found: Explored,
    /// When it was found, from the start.
    pub found_after: Duration,
    /// The smallest sequence that still fails on the same requirement.
    pub ops: Vec<Op>,
    /// Its failure.
    pub failure: Failure,
    /// How many runs shrinking took.
    pub shrink_runs: usize,
}

/// What the search did.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Every exploration run before any failure, and the failing one.
    pub explored: Vec<Explored>,
    /// The failure, shrunk.
    pub shrunk: Option<Shrunk>,
    /// Explorations that failed once but not when run again (timing, not behaviour).
    pub unconfirmed: Vec<Explored>,
}

pub(crate) fn strategy(
    settings: &Settings,
) -> Sequential<State, Op, BoxedStrategy<State>, BoxedStrategy<Op>> {
    let world = settings.world;
    Sequential::new(
        (1..=settings.length).into(),
        move || Just(State::new(world)).boxed(),
        |state: &State, op: &Op| state.allows(op),
        |state: &State| {
            let groups = state.candidates();
            let total: u32 = groups.iter().map(|(weight, _)| weight).sum();
            // A kind first, by weight, then one of its operations.
            (0..total, any::<prop::sample::Index>())
                .prop_map(move |(mut draw, pick)| {
                    let ops = groups
                        .iter()
                        .find_map(|(weight, ops)| {
                            if draw < *weight {
                                return Some(ops);
                            }
                            draw -= weight;
                            None
                        })
                        .unwrap_or(&groups[0].1);
                    ops[pick.index(ops.len())].clone()
                })
                .boxed()
        },
        |state: State, op: &Op| state.apply(op),
    )
}

/// The generator of exploration `n` of `seed`.
fn runner(seed: u64, n: u64) -> TestRunner {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8..16].copy_from_slice(&n.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
    TestRunner::new_with_rng(Config::default(), rng)
}

/// The scenario name of an exploration of `seed`.
pub fn scenario_name(seed: u64) -> String {
    format!("explore-{seed}")
}

fn describe(seed: u64, ops: &[Op]) -> String {
    format!(
        "Found by `gws-conform explore --seed {seed}` and shrunk to {} operations: {}.",
        ops.len(),
        ops.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    )
}

/// The scenario for `ops`, as it is written for `run`: its expectations wait the format's
/// default.
pub fn compiled(settings: &Settings, ops: &[Op]) -> Compiled {
    compile_within(settings, ops, None)
}

fn compile_within(settings: &Settings, ops: &[Op], within: Option<Duration>) -> Compiled {
    compile(
        &scenario_name(settings.seed),
        &describe(settings.seed, ops),
        settings.world,
        ops,
        within,
    )
}

/// Runs sequences at once (each against its own embedded server, or one after another
/// against a target, `settings.jobs` being 1 then), as the search runs them: waiting
/// [`Executor::search_within`] for a predicted notification. Their results in order; `Err`
/// for one that could not run.
fn run_all(
    settings: &Settings,
    executor: &Arc<Executor>,
    runtime: &tokio::runtime::Runtime,
    sequences: &[&[Op]],
) -> Vec<Result<Option<Failure>, String>> {
    let name = scenario_name(settings.seed);
    let within = executor.search_within();
    let tasks: Vec<_> = sequences
        .iter()
        .map(|ops| {
            let (executor, name) = (executor.clone(), name.clone());
            let compiled = compile_within(settings, ops, Some(within));
            runtime.spawn(async move { executor.run(&name, &compiled).await })
        })
        .collect();
    tasks
        .into_iter()
        .map(|task| {
            runtime
                .block_on(task)
                .unwrap_or_else(|e| Err(format!("an exploration stopped: {e}")))
        })
        .collect()
}

/// Runs one sequence as the search does.
fn try_ops(
    settings: &Settings,
    executor: &Arc<Executor>,
    runtime: &tokio::runtime::Runtime,
    ops: &[Op],
) -> Result<Option<Failure>, String> {
    run_all(settings, executor, runtime, &[ops])
        .pop()
        .unwrap_or_else(|| Err("an exploration did not run".into()))
}

/// Explores until the budget is spent or something fails, then shrinks the failure.
/// `settings.jobs` explorations run at once (each against its own embedded server); their
/// results are taken in order, so the first failure is the same whatever the timing.
/// `progress` hears of each exploration as it ends. `Err` when an exploration could not run.
pub fn search(
    settings: &Settings,
    executor: &Arc<Executor>,
    runtime: &tokio::runtime::Runtime,
    mut progress: impl FnMut(&Explored),
) -> Result<Outcome, String> {
    let started = Instant::now();
    let strategy = strategy(settings);
    let mut outcome = Outcome::default();
    let mut steps = 0;
    let mut n = 0;
    loop {
        let spent = match settings.budget {
            Budget::Steps(limit) => steps >= limit,
            Budget::Time(limit) => started.elapsed() >= limit,
        };
        if spent {
            break;
        }
        // The next batch, each exploration cut to what is left of a step budget.
        let mut batch = Vec::new();
        let mut planned = steps;
        for _ in 0..settings.jobs.max(1) {
            if matches!(settings.budget, Budget::Steps(limit) if planned >= limit) {
                break;
            }
            let mut generator = runner(settings.seed, n);
            n += 1;
            let tree = strategy
                .new_tree(&mut generator)
                .map_err(|why| format!("the model generated no valid sequence: {why}"))?;
            let (_, mut ops, _) = tree.current();
            if let Budget::Steps(limit) = settings.budget {
                ops.truncate(limit - planned);
            }
            planned += ops.len();
            batch.push((tree, ops));
        }
        let sequences: Vec<&[Op]> = batch.iter().map(|(_, ops)| ops.as_slice()).collect();
        let results = run_all(settings, executor, runtime, &sequences);
        for ((mut tree, ops), failure) in batch.into_iter().zip(results) {
            let failure = failure?;
            let ran = failure
                .as_ref()
                .and_then(|f| f.op)
                .map_or(ops.len(), |op| op + 1);
            steps += ran;
            let explored = Explored { ops, ran, failure };
            progress(&explored);
            outcome.explored.push(explored.clone());
            if let Some(failure) = explored.failure.clone() {
                // A failure that a second and third run of the same sequence do not show
                // depends on timing (a notification later than the quiet window), not on what
                // the server does: it is reported, and the search goes on.
                if !confirmed(settings, executor, runtime, &explored.ops[..ran], &failure)? {
                    outcome.unconfirmed.push(explored);
                    continue;
                }
                // Shrinking need not look past the operation that failed.
                if let (_, _, Some(seen)) = tree.current() {
                    seen.store(ran, Ordering::SeqCst);
                }
                let found_after = started.elapsed();
                let shrunk = shrink(
                    settings,
                    executor,
                    runtime,
                    &mut tree,
                    explored,
                    failure,
                    found_after,
                )?;
                outcome.shrunk = Some(shrunk);
                return Ok(outcome);
            }
        }
    }
    Ok(outcome)
}

/// How many more runs a failure gets to show itself again before it counts.
pub const CONFIRMATIONS: usize = 2;

/// Whether `ops` fails on `failure`'s requirement again, in one of [`CONFIRMATIONS`] runs.
fn confirmed(
    settings: &Settings,
    executor: &Arc<Executor>,
    runtime: &tokio::runtime::Runtime,
    ops: &[Op],
    failure: &Failure,
) -> Result<bool, String> {
    for _ in 0..CONFIRMATIONS {
        let again = try_ops(settings, executor, runtime, ops)?;
        if again.is_some_and(|f| f.requirement == failure.requirement) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Shrinks a failure within `settings.shrink_time`: proptest's shrinking first (for at most
/// a quarter of the time: it deletes one operation per run), then [`drop_dependents`] until
/// nothing more can go. Only sequences that fail on the same requirement are kept.
fn shrink(
    settings: &Settings,
    executor: &Arc<Executor>,
    runtime: &tokio::runtime::Runtime,
    tree: &mut Tree,
    found: Explored,
    failure: Failure,
    found_after: Duration,
) -> Result<Shrunk, String> {
    let started = Instant::now();
    let mut best = Best {
        ops: found.ops[..found.ran].to_vec(),
        failure,
        runs: 0,
    };
    let proptest_deadline = started + settings.shrink_time / 4;
    proptest_shrink(
        settings,
        executor,
        runtime,
        tree,
        proptest_deadline,
        &mut best,
    )?;
    let deadline = started + settings.shrink_time;
    drop_dependents(settings, executor, runtime, deadline, &mut best)?;
    Ok(Shrunk {
        found,
        found_after,
        ops: best.ops,
        failure: best.failure,
        shrink_runs: best.runs,
    })
}

/// The smallest failing sequence so far, and how many runs shrinking has taken.
struct Best {
    ops: Vec<Op>,
    failure: Failure,
    runs: usize,
}

impl Best {
    /// Takes `ops` if `result` shows the same requirement failing; whether it did.
    fn take(&mut self, ops: &[Op], result: Option<Failure>) -> bool {
        let Some(failure) = result.filter(|f| f.requirement == self.failure.requirement) else {
            return false;
        };
        let ran = failure.op.map_or(ops.len(), |op| op + 1);
        if ran <= self.ops.len() {
            self.ops = ops[..ran].to_vec();
            self.failure = failure;
        }
        true
    }
}

/// proptest's shrinking loop: simplify while the sequence still fails on the same
/// requirement, complicate back when it passes, until no simpler one is left or time is up.
fn proptest_shrink(
    settings: &Settings,
    executor: &Arc<Executor>,
    runtime: &tokio::runtime::Runtime,
    tree: &mut Tree,
    deadline: Instant,
    best: &mut Best,
) -> Result<(), String> {
    let mut simplified = tree.simplify();
    while simplified && Instant::now() < deadline {
        let (_, ops, _) = tree.current();
        // proptest-state-machine may delete every operation; nothing done shows nothing.
        if ops.is_empty() {
            simplified = tree.complicate();
            continue;
        }
        best.runs += 1;
        let result = try_ops(settings, executor, runtime, &ops)?;
        simplified = if best.take(&ops, result) {
            tree.simplify()
        } else {
            tree.complicate()
        };
    }
    Ok(())
}

/// `ops` without the operations in `deleted` and without every later operation the model no
/// longer allows once they are gone (the cancel of a monitoring that was never asked for, the
/// accept of a chat never requested); `None` when nothing is left, or when the last operation
/// goes and `keep_last` (it is the one that failed).
fn without(world: World, ops: &[Op], deleted: Range<usize>, keep_last: bool) -> Option<Vec<Op>> {
    let mut state = State::new(world);
    let mut kept = Vec::with_capacity(ops.len());
    for (i, op) in ops.iter().enumerate() {
        if !deleted.contains(&i) && state.allows(op) {
            state = state.apply(op);
            kept.push(op.clone());
        } else if keep_last && i + 1 == ops.len() {
            return None;
        }
    }
    (!kept.is_empty()).then_some(kept)
}

/// Deletes runs of operations together with the later ones that depended on them, keeping
/// each deletion after which the same requirement still fails: runs of half the sequence
/// first, then of a quarter, down to single operations (delta debugging's order, so that a
/// failure shown by the first few operations loses the rest in a few runs), each size from the
/// end, until no deletion is left or `deadline` passes. proptest-state-machine deletes one
/// operation at a time, so it cannot take out a monitoring and its cancel, or a chat and
/// everything done in it, when neither half goes alone: most of what a random sequence holds.
/// Candidates run `settings.jobs` at a time; the first of a batch (in order) that fails is
/// kept.
fn drop_dependents(
    settings: &Settings,
    executor: &Arc<Executor>,
    runtime: &tokio::runtime::Runtime,
    deadline: Instant,
    best: &mut Best,
) -> Result<(), String> {
    let mut size = (best.ops.len() / 2).max(1);
    'size: loop {
        // Every operation but the one whose steps failed, the last, may go; any may, when
        // what failed is a check of the whole run.
        let keep_last = best.failure.op.is_some();
        let deletable = best.ops.len() - usize::from(keep_last);
        size = size.min(deletable.div_ceil(2)).max(1);
        let candidates: Vec<Vec<Op>> = (0..deletable)
            .step_by(size)
            .rev()
            .filter_map(|start| {
                let end = (start + size).min(deletable);
                without(settings.world, &best.ops, start..end, keep_last)
            })
            .collect();
        for batch in candidates.chunks(settings.jobs.max(1)) {
            if Instant::now() >= deadline {
                return Ok(());
            }
            let sequences: Vec<&[Op]> = batch.iter().map(Vec::as_slice).collect();
            let results = run_all(settings, executor, runtime, &sequences);
            best.runs += batch.len();
            for (ops, result) in batch.iter().zip(results) {
                if best.take(ops, result?) {
                    continue 'size;
                }
            }
        }
        if size == 1 {
            return Ok(());
        }
        size /= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explore::op::Person;
    use crate::spec::Mode;

    fn monitor(agent: usize) -> Op {
        Op::monitor(0, agent, Mode::Monitor, None)
    }

    fn cancel(agent: usize) -> Op {
        Op::Cancel {
            supervisor: 0,
            agent,
        }
    }

    fn ops() -> Vec<Op> {
        vec![
            Op::Login(Person::Supervisor(0)),
            Op::Login(Person::Agent(0)),
            monitor(0),
            cancel(0),
            Op::Ready(0),
            Op::RequestChat(0),
        ]
    }

    #[test]
    fn deleting_an_operation_takes_the_later_ones_that_needed_it() {
        let world = World::default();
        let mut state = State::new(world);
        for op in ops() {
            assert!(state.allows(&op), "{op}");
            state = state.apply(&op);
        }
        // The monitoring goes with its cancel, which cannot go first alone...
        assert_eq!(
            without(world, &ops(), 2..3, true),
            Some(vec![
                ops()[0].clone(),
                ops()[1].clone(),
                Op::Ready(0),
                Op::RequestChat(0)
            ])
        );
        // ...and the agent's login with everything the agent did.
        assert_eq!(
            without(world, &ops(), 1..2, true),
            None,
            "the chat needs a ready agent"
        );
        assert_eq!(
            without(world, &ops(), 0..1, true),
            Some(vec![ops()[1].clone(), Op::Ready(0), Op::RequestChat(0)])
        );
    }

    #[test]
    fn the_failing_operation_stays_unless_the_whole_run_failed() {
        let world = World::default();
        assert_eq!(without(world, &ops(), 5..6, true), None);
        assert_eq!(
            without(world, &ops(), 5..6, false),
            Some(ops()[..5].to_vec())
        );
        assert_eq!(without(world, &ops(), 0..6, false), None, "nothing left");
    }
}
