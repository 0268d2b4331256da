//! Generated programs (`steps::Program`): from a seed, by proptest-state-machine's sequential
//! strategy over the model of `lifecycle`, which also shrinks a failing one while the model keeps
//! every shrunk sequence one it would generate.
//! Pure: no I/O beyond the corpus already loaded.

use std::collections::BTreeMap;
use std::sync::Arc;
use strum::IntoEnumIterator;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use proptest_state_machine::{Sequential, SequentialValueTree};
use serde_json::Value;

use super::edition::Edition;
use super::family::Family;
use super::fixture::{Corpus, ExpectedStatus, NegativeCall};
use super::lifecycle::{expect, expect_stimulus, CallState, Expectation, Far, ModelCall, Operation, Sent, Start};
use super::operation::{Body, Operations};
use super::steps::{role, role_index, Act, Program, Request, Step};
use super::stimulus::{Stimulus, TONES};

/// One documented example a step may send, and the body properties it may vary.
#[derive(Clone, Debug)]
struct Example {
    id: String,
    vary: Vec<String>,
    /// Its number in the catalog, for `ModelCall::last_example`.
    number: usize,
}

/// What a run may send, per operation: the documented examples under the run's edition, and the
/// bad inputs (negative fixtures on a call that can take the operation, with a status of their
/// own) that apply in it; only operations documented on a family the run selects.
#[derive(Clone, Debug)]
pub struct Catalog {
    rows: Operations,
    examples: BTreeMap<Operation, Vec<Example>>,
    bad: BTreeMap<Operation, Vec<(String, u16)>>,
}

/// The body properties a generated step varies, where the example sends them.
const VARIED: [&str; 3] = ["clientContext", "all", "reason"];

impl Catalog {
    /// The catalog of `corpus` under `edition`, for a run on `families`.
    pub fn new(corpus: &Corpus, edition: Edition, families: &[Family]) -> Result<Catalog, String> {
        let mut catalog = Catalog {
            rows: corpus.operations.clone(),
            examples: BTreeMap::new(),
            bad: BTreeMap::new(),
        };
        let selected = |op: Operation| corpus.operations.row(op).on_any(families);
        for id in corpus.case_ids() {
            let case = corpus.case(id, edition)?;
            let op = case.operation;
            if !selected(op) {
                continue;
            }
            let keys = case.body.as_ref().and_then(Value::as_object);
            let vary = VARIED
                .iter()
                .filter(|k| keys.is_some_and(|m| m.contains_key(**k)))
                .map(|k| k.to_string())
                .collect();
            let number = catalog.examples.values().map(Vec::len).sum();
            catalog.examples.entry(op).or_default().push(Example {
                id: id.to_string(),
                vary,
                number,
            });
        }
        for (_, neg) in corpus.negatives.values() {
            let applies = neg.editions.as_ref().is_none_or(|eds| eds.iter().any(|e| e == edition.name()));
            let ExpectedStatus::Code(status) = neg.expect.status else {
                continue; // "success" and "any" are no bad input
            };
            if neg.call != NegativeCall::Ready || !applies {
                continue; // the calls in other states are the model's own business
            }
            for &op in neg.operations.iter().filter(|op| selected(**op)) {
                catalog.bad.entry(op).or_default().push((neg.id.clone(), status));
            }
        }
        Ok(catalog)
    }

    /// What the model says of `step` on `call`: `Err` when the step names an example or negative
    /// fixture this catalog does not have, `Ok(None)` where the contract is silent.
    pub fn expect(&self, call: ModelCall, step: &Step) -> Result<Option<Expectation>, String> {
        let (operation, request) = match &step.act {
            Act::Operation { operation, request } => (*operation, request),
            Act::Stimulus { stimulus } => return Ok(expect_stimulus(call, stimulus)),
        };
        let sent = match request {
            Request::Documented { example, .. } => {
                let known = self.examples.get(&operation).is_some_and(|es| es.iter().any(|e| &e.id == example));
                if !known {
                    return Err(format!("no documented example {example:?} of {}", operation.name()));
                }
                Sent::Valid
            }
            Request::Bad { negative } => {
                let status = self
                    .bad
                    .get(&operation)
                    .and_then(|b| b.iter().find(|(id, _)| id == negative))
                    .map(|(_, s)| *s)
                    .ok_or_else(|| format!("no bad input {negative:?} for {} in this edition", operation.name()))?;
                Sent::Invalid { status }
            }
        };
        Ok(expect(call, self.rows.row(operation), sent))
    }

    /// `call` after `step`, which the model expected `e` of.
    pub fn after(&self, call: ModelCall, step: &Step, e: &Expectation) -> ModelCall {
        let mut next = call.after(step.sends().map(|op| self.rows.row(op)), e);
        if let Act::Operation {
            operation,
            request: Request::Documented { example, .. },
        } = &step.act
        {
            next.last_example = self
                .examples
                .get(operation)
                .and_then(|es| es.iter().find(|e| &e.id == example))
                .map(|e| e.number);
        }
        next
    }

    /// The model's expectation of each step of `program`, and each call at the end. `Err` for a
    /// step the contract is silent on or that names what this catalog lacks (a saved program the
    /// model would not generate).
    pub fn walk(&self, program: &Program) -> Result<(Vec<Expectation>, Vec<ModelCall>), String> {
        let mut calls: Vec<ModelCall> = program.calls.iter().map(|s| ModelCall::from_start(*s)).collect();
        let mut out = Vec::new();
        for (n, step) in program.steps.iter().enumerate() {
            let i = role_index(step.call, calls.len())
                .ok_or_else(|| format!("step {}: no call {} among {} call(s)", n + 1, step.call, calls.len()))?;
            let e = self
                .expect(calls[i], step)
                .map_err(|e| format!("step {}: {e}", n + 1))?
                .ok_or_else(|| {
                    format!(
                        "step {}: the contract is silent on {} here (call {} is {})",
                        n + 1,
                        step.what(),
                        step.call,
                        calls[i].state.name()
                    )
                })?;
            calls[i] = self.after(calls[i], step, &e);
            out.push(e);
        }
        Ok((out, calls))
    }

    /// Every step the model would generate on `state` (as role `call`), without variations: the
    /// documented requests (with the body properties they vary), the stimuli (a tone's key is
    /// drawn later), and bad input.
    fn choices(&self, call: usize, state: ModelCall) -> (Vec<Choice>, Vec<Step>) {
        let mut valid = Vec::new();
        let mut bad = Vec::new();
        // The roster's operations (list, get, mute, unmute, …) share one operation's weight: the
        // roster is one concern of a call, and each of them alike would thin the media queue and
        // the read-backs, where the state faults only generated programs find are (measured with
        // `cargo xtask reach`: adding four halved the fewest programs that catch a queue fault).
        let on_roster = Operation::iter().filter(|o| self.rows.row(*o).needs_my_participant()).count();
        let roster_share = u32::try_from(on_roster.max(1)).unwrap_or(1);
        for op in Operation::iter() {
            let row = self.rows.row(op);
            let subscribes = row.subscribes.is_some() && state.tones.is_none();
            // Once a media operation is queued, another queued behind it or a cancel is where the
            // queue's faults show (a cancel that leaves the queue playing, a stack for a queue).
            // A cancel the more, the more there is queued to cancel.
            let queues = match (row.queue, row.cancels) {
                // The queue's first operation too, twice as often: the queue is where a call keeps
                // the most state (a recording to cancel is what one of its faults needs).
                (Some(_), _) if state.media == 0 => FIRST_MEDIA_FOCUS,
                _ if state.media == 0 => 1,
                (Some(_), _) => MEDIA_FOCUS,
                (_, Some(_)) => MEDIA_FOCUS * u32::from(state.media),
                _ => 1,
            };
            let reads_back = if state.moved && row.body == Body::Call {
                READ_BACK_FOCUS
            } else {
                1
            };
            let share = if row.needs_my_participant() { roster_share } else { 1 };
            let weight = PER_OPERATION * if subscribes { 2 } else { 1 } * queues * reads_back / share;
            let documented: Vec<_> = self
                .examples
                .get(&op)
                .into_iter()
                .flatten()
                .map(|ex| {
                    let request = Request::Documented {
                        example: ex.id.clone(),
                        set: BTreeMap::new(),
                    };
                    (ex, Step::operation(role(call), op, request))
                })
                .filter(|(_, step)| matches!(self.expect(state, step), Ok(Some(_))))
                .collect();
            // The operation's weight shared among its examples: an operation documented five times
            // is drawn as often as one documented once, so adding an example thins no other operation.
            let each = weight / u32::try_from(documented.len().max(1)).unwrap_or(1);
            for (ex, step) in documented {
                let again = if state.last_example == Some(ex.number) { REPEAT_FOCUS } else { 1 };
                valid.push((step, ex.vary.clone(), each.max(1) * again));
            }
            for (id, _) in self.bad.get(&op).into_iter().flatten() {
                let step = Step::operation(role(call), op, Request::Bad { negative: id.clone() });
                if matches!(self.expect(state, &step), Ok(Some(_))) {
                    bad.push(step);
                }
            }
        }
        for (stimulus, vary) in [
            (Stimulus::tone("tone1"), vec!["tone".to_string()]),
            (Stimulus::hangup(), Vec::new()),
        ] {
            let step = Step {
                call: role(call),
                act: Act::Stimulus { stimulus },
            };
            if let Ok(Some(e)) = self.expect(state, &step) {
                valid.push((step, vary, stimulus_weight(&e)));
            }
        }
        // A call subscribed to tones is where the sequences only a model sees go on (a key after a
        // cancel, after subscribing again): the program dwells on it.
        if state.tones.is_some() {
            for (_, _, w) in &mut valid {
                *w *= SUBSCRIBED_FOCUS;
            }
        }
        (valid, bad)
    }
}

/// A step the model would generate, the body properties it varies, and how often it is drawn.
type Choice = (Step, Vec<String>, u32);

/// The weight of one operation in a draw, shared among its documented examples (the weights below
/// are against it): divisible by every count of examples up to six.
const PER_OPERATION: u32 = 60;

/// How much more often the example a call was just sent is drawn again: every operation is
/// repeatable, each repetition succeeding like the first (CONTRACT.md 7.3), and a repetition with
/// the same body is where a service that keeps state per call slips (the same recording status twice).
const REPEAT_FOCUS: u32 = 3;

/// How much more often a media operation is drawn on a call with a media operation queued since
/// its last cancel (a cancel: this many times the number queued).
const MEDIA_FOCUS: u32 = 8;

/// How much more often a media operation is drawn on a call that has none queued.
const FIRST_MEDIA_FOCUS: u32 = 2;

/// How much more often the call is read back (get) right after it moved to another live state
/// (answered, placed): a service that keeps a stale copy of the call shows it only then.
const READ_BACK_FOCUS: u32 = 6;

/// How much more often a step on a call subscribed to tones is drawn than one on another call.
const SUBSCRIBED_FOCUS: u32 = 4;

/// How often a stimulus is drawn, against [`PER_OPERATION`] for an operation: a key on a call
/// subscribed to tones is a state only a sequence reaches (subscribe, then cancel or subscribe
/// again, then a key), so it is drawn as often as three operations together; any other stimulus as
/// half an operation (a hang-up ends the call, and with it the sequences that would have followed).
/// Subscribing a call not yet subscribed is drawn twice as often as another operation (`choices`).
fn stimulus_weight(e: &Expectation) -> u32 {
    match e.far {
        Some(Far::Tone { .. }) => 3 * PER_OPERATION,
        _ => PER_OPERATION / 2,
    }
}

/// The value of a varied body property: another clientContext (empty up to the 256-character
/// limit, ASCII and not), either `all`, any documented reason.
fn variation(key: &str) -> BoxedStrategy<Option<(String, Value)>> {
    let key = key.to_string();
    let value: BoxedStrategy<Value> = match key.as_str() {
        "clientContext" => {
            let chars = prop::sample::select(vec!['a', 'z', 'Q', '0', '9', '-', ' ', 'é', 'ж', '日']);
            prop::collection::vec(chars, 0..=256)
                .prop_map(|cs| Value::String(cs.into_iter().collect()))
                .boxed()
        }
        "all" => any::<bool>().prop_map(Value::Bool).boxed(),
        "tone" => prop::sample::select(TONES.to_vec()).prop_map(|t| Value::String(t.into())).boxed(),
        _ => prop::sample::select(vec!["none", "busy", "forbidden"])
            .prop_map(|r| Value::String(r.into()))
            .boxed(),
    };
    prop::option::weighted(0.5, value.prop_map(move |v| (key.clone(), v))).boxed()
}

/// A documented step with its variations drawn.
fn varied((step, vary): (Step, Vec<String>)) -> BoxedStrategy<Step> {
    let draws: Vec<BoxedStrategy<Option<(String, Value)>>> = vary.iter().map(|k| variation(k)).collect();
    draws
        .prop_map(move |kvs| {
            let mut s = step.clone();
            match &mut s.act {
                Act::Operation {
                    request: Request::Documented { set, .. },
                    ..
                } => set.extend(kvs.into_iter().flatten()),
                // A key drawn for a tone replaces the choice's `tone1` (a tone always names a key).
                Act::Stimulus { stimulus } => {
                    if let (Some(body), Some((k, v))) = (stimulus.body.as_object_mut(), kvs.into_iter().flatten().next()) {
                        body.insert(k, v);
                    }
                }
                Act::Operation { .. } => {}
            }
            s
        })
        .boxed()
}

/// The model's state while generating: each call, by role.
type Calls = Vec<ModelCall>;

/// The generation engine: proptest-state-machine's sequential strategy over the model.
pub type Generator = Sequential<Calls, Step, BoxedStrategy<Calls>, BoxedStrategy<Step>>;

/// A generated program with its shrinking tree.
pub type Tree = SequentialValueTree<Calls, Step, <BoxedStrategy<Calls> as Strategy>::Tree, <BoxedStrategy<Step> as Strategy>::Tree>;

/// The strategy of programs of 1 to `max_steps` steps over one to three calls that `catalog` can send.
pub fn generator(catalog: Catalog, max_steps: usize) -> Generator {
    let catalog = Arc::new(catalog);
    let places = catalog.examples.keys().any(|op| catalog.rows.row(*op).creates());
    let (pre, next, gen) = (catalog.clone(), catalog.clone(), catalog);
    Sequential::new(
        (1..=max_steps.max(1)).into(),
        move || {
            let mut starts = vec![
                (8, Just(ModelCall::from_start(Start::Established))),
                (6, Just(ModelCall::from_start(Start::Incoming))),
                (2, Just(ModelCall::from_start(Start::Unknown))),
            ];
            // A call the program places itself: create call first, then an established call like
            // the others (what it does after is what the others explore already). Only where the
            // run's families offer create call (`/communications` alone): else nothing acts on it.
            if places {
                starts.push((2, Just(ModelCall::from_start(Start::Placed))));
            }
            let start = proptest::strategy::Union::new_weighted(starts);
            // One call more often than two, two than three: the state faults live in what one call
            // goes through, and every added operation thins each call's share of the steps.
            let calls = prop_oneof![3 => Just(1usize), 2 => Just(2usize), 1 => Just(3usize)];
            calls.prop_flat_map(move |n| prop::collection::vec(start.clone(), n)).boxed()
        },
        move |calls: &Calls, step: &Step| {
            role_index(step.call, calls.len()).is_some_and(|i| matches!(pre.expect(calls[i], step), Ok(Some(_))))
        },
        move |calls: &Calls| {
            let (mut valid, mut bad) = (Vec::new(), Vec::new());
            for (i, call) in calls.iter().enumerate() {
                let (v, b) = gen.choices(i, *call);
                valid.extend(v);
                bad.extend(b);
            }
            let weighted = valid
                .into_iter()
                .map(|(step, vary, weight)| (weight, Just((step, vary)).prop_flat_map(varied).boxed()))
                .collect::<Vec<_>>();
            let valid = proptest::strategy::Union::new_weighted(weighted).boxed();
            if bad.is_empty() {
                valid
            } else {
                prop_oneof![5 => valid, 1 => prop::sample::select(bad)].boxed()
            }
        },
        move |mut calls: Calls, step: &Step| {
            if let Some(i) = role_index(step.call, calls.len()) {
                if let Ok(Some(e)) = next.expect(calls[i], step) {
                    calls[i] = next.after(calls[i], step, &e);
                }
            }
            calls
        },
    )
}

/// The program a generated tree currently stands for.
pub fn program_of(tree: &Tree) -> Program {
    let (calls, steps, _) = tree.current();
    let calls = calls
        .iter()
        .map(|c| match c.state {
            CallState::Incoming => Start::Incoming,
            CallState::Unknown => Start::Unknown,
            CallState::Unplaced => Start::Placed,
            CallState::Established | CallState::Ended(_) => Start::Established,
        })
        .collect();
    Program { calls, steps }
}

/// A proptest runner whose draws are the same for the same `seed`, and which persists nothing.
pub fn seeded_runner(seed: u64) -> TestRunner {
    let mut bytes = [0u8; 32];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        // Four words from the seed (splitmix64), as ChaCha takes 32 bytes.
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15u64.wrapping_mul(i as u64 + 1));
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        chunk.copy_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    let config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

/// `count` program trees, the same for the same `seed`, catalog and `max_steps`.
pub fn generate(catalog: Catalog, max_steps: usize, seed: u64, count: usize) -> Result<Vec<Tree>, String> {
    let mut runner = seeded_runner(seed);
    let strategy = generator(catalog, max_steps);
    (0..count)
        .map(|_| {
            strategy
                .new_tree(&mut runner)
                .map_err(|e| format!("cannot generate a program: {e}"))
        })
        .collect()
}

/// Shrinks a failing `tree` as proptest's own runner does: simplify while the candidate still
/// fails, complicate back when it passes. `seen` is how many of its steps the failing run sent (the
/// steps after them are dropped first); `fails` runs a candidate; at most `budget` candidates are
/// run. Returns the smallest failing program found and how many candidates ran.
pub fn shrink(tree: &mut Tree, seen: usize, budget: usize, mut fails: impl FnMut(&Program) -> bool) -> (Program, usize) {
    let (_, _, counter) = tree.current();
    let mut smallest = program_of(tree);
    if let Some(counter) = counter {
        counter.store(seen, std::sync::atomic::Ordering::SeqCst);
    }
    let mut runs = 0;
    if !tree.simplify() {
        return (smallest, runs);
    }
    while runs < budget {
        runs += 1;
        let candidate = program_of(tree);
        let more = if fails(&candidate) {
            smallest = candidate;
            tree.simplify()
        } else {
            tree.complicate()
        };
        if !more {
            break;
        }
    }
    (smallest, runs)
}

/// `program` without the calls no step acts on, the rest lettered again in order: what shrinking
/// cannot do by itself, since dropping a call renames the ones after it.
pub fn compact(program: &Program) -> Program {
    let used: Vec<usize> = (0..program.calls.len())
        .filter(|i| program.steps.iter().any(|s| s.call == role(*i)))
        .collect();
    Program {
        calls: used.iter().map(|i| program.calls[*i]).collect(),
        steps: program
            .steps
            .iter()
            .map(|s| {
                let at = used.iter().position(|i| role(*i) == s.call).unwrap_or_default();
                Step {
                    call: role(at),
                    ..s.clone()
                }
            })
            .collect(),
    }
}
