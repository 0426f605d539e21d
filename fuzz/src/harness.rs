//! Running one target: inputs in, panics and allocations out, within a time box.
//!
//! Each input runs inside `catch_unwind`, with a panic hook that records the first
//! panic's message and place instead of printing it. The hook also sees panics in
//! tokio tasks, which the runtime catches itself (a multiplexer's reader task
//! panicking is a dead session, not a crashed process, but still a bug), so a panic
//! counts wherever it happened. A watchdog thread ends the process with the input that
//! hangs, since an input that never returns cannot be caught from inside.

use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::alloc::{Meter, Usage};
use crate::mutate::{Mutator, rng_for};

/// What runs one input: `true` when the input was accepted (it decoded).
pub type Run = Box<dyn FnMut(&[u8]) -> bool>;

/// One thing to fuzz: a decoder or a stateful parser, and the valid encodings its
/// inputs start from.
pub struct Target {
    /// The name on the command line (`--target NAME`).
    pub name: &'static str,
    /// What it feeds the bytes to, in a line.
    pub about: &'static str,
    /// Valid encodings made by the reference's own encoders.
    pub seeds: fn() -> Vec<Vec<u8>>,
    /// Sets up what the inputs share (keys, a temporary file) and returns the function
    /// that runs one input. A bug is a panic: the function asserts the properties it
    /// checks (a decoded value re-encodes to the same bytes, say). It returns whether
    /// the input was accepted (it decoded), so that the fuzzer mutates it again.
    pub start: fn() -> Run,
    /// The format's tokens for the mutator (see [`crate::mutate::Mutator::with_tokens`]);
    /// empty for binary formats whose fields are all fixed-width.
    pub tokens: &'static [&'static [u8]],
    /// The longest input to make.
    pub max_len: usize,
    /// The most one input may make the decoder allocate, in one allocation or live at
    /// once, before the run fails.
    pub max_alloc: usize,
}

/// The default allocation bound: 16 MiB. Every target's inputs are at most a few KiB,
/// and no decoder should set aside more than a few times what it read (the largest
/// legitimate buffers are the multiplexer's 256 KiB window and the frame reader's
/// 64 KiB first reserve), so 16 MiB is far above honest use and far below what a lying
/// length field asks for.
pub const MAX_ALLOC: usize = 16 << 20;

/// How long one input may run before the watchdog calls it a hang: 60 s. The async
/// targets time out themselves after a few seconds and panic with a message; this is
/// the backstop for a loop that never yields.
const HANG: Duration = Duration::from_secs(60);

/// How a run is bounded.
#[derive(Clone, Copy, Debug)]
pub enum Budget {
    /// Run for this long (the seeds always run, however short).
    Time(Duration),
    /// Run exactly this many inputs (the seeds first): an exact replay of a run.
    Inputs(u64),
}

/// A failing input.
#[derive(Clone, Debug)]
pub struct Failure {
    /// Its number in the run (0 is the first seed).
    pub index: u64,
    pub input: Vec<u8>,
    /// The panic's message and place, or the allocation over the bound.
    pub message: String,
}

/// What a run of one target found.
#[derive(Debug)]
pub struct Outcome {
    pub name: &'static str,
    pub seed: u64,
    pub inputs: u64,
    /// Inputs the target accepted: they got past its decoder.
    pub accepted: u64,
    pub panics: u64,
    /// Inputs that allocated over the target's bound.
    pub over_bound: u64,
    /// The largest single allocation of any input, and that input.
    pub largest: (usize, Vec<u8>),
    /// The highest peak of live bytes of any input, and that input.
    pub peak: (usize, Vec<u8>),
    /// The most bytes any input left live after it ended.
    pub retained: isize,
    pub elapsed: Duration,
    /// The first few failures, one per distinct message.
    pub failures: Vec<Failure>,
    pub max_alloc: usize,
}

impl Outcome {
    /// Whether the run is a pass: no panic, no allocation over the bound.
    pub fn passed(&self) -> bool {
        self.panics == 0 && self.over_bound == 0
    }
}

/// The most distinct failures kept per target.
const KEEP_FAILURES: usize = 5;

/// The first panic of the current input: its message and where it happened.
static PANIC: Mutex<Option<String>> = Mutex::new(None);

/// When the current input started (milliseconds since the epoch; 0 between inputs),
/// and the input itself, for the watchdog.
static STARTED_MS: AtomicU64 = AtomicU64::new(0);
static CURRENT: Mutex<Option<(&'static str, u64, Vec<u8>)>> = Mutex::new(None);

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// Installs the recording panic hook and starts the watchdog (once per process; later
/// calls do nothing).
pub fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(install_once);
}

thread_local! {
    /// Whether this thread is running an input (tokio tasks of a current-thread
    /// runtime run here too); panics anywhere else are reported as usual.
    static IN_INPUT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn install_once() {
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if !IN_INPUT.with(|i| i.get()) {
            return previous(info);
        }
        let message = match (info.payload().downcast_ref::<&str>(), info.payload().downcast_ref::<String>()) {
            (Some(s), _) => s.to_string(),
            (_, Some(s)) => s.clone(),
            _ => "(a panic without a message)".to_string(),
        };
        let place = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        let mut slot = PANIC.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            *slot = Some(format!("panicked at {place}: {message}"));
        }
    }));
    std::thread::spawn(|| {
        loop {
            std::thread::sleep(Duration::from_secs(1));
            let started = STARTED_MS.load(Ordering::Relaxed);
            if started != 0 && now_ms().saturating_sub(started) > HANG.as_millis() as u64 {
                let current = CURRENT.lock().unwrap_or_else(|e| e.into_inner()).clone();
                if let Some((name, seed, input)) = current {
                    eprintln!(
                        "\n{name}: an input ran for more than {} s (a hang)\n  seed {seed}\n  input {}\n  replay: cargo run -p fuzz -- --target {name} --replay {}",
                        HANG.as_secs(),
                        hex::encode(&input),
                        hex::encode(&input)
                    );
                }
                std::process::exit(3);
            }
        }
    });
}

/// Runs one input: its panic (if any), whether the target accepted it, and what it
/// allocated.
pub fn run_one(
    name: &'static str,
    seed: u64,
    run: &mut dyn FnMut(&[u8]) -> bool,
    input: &[u8],
) -> (Option<String>, bool, Usage) {
    *PANIC.lock().unwrap_or_else(|e| e.into_inner()) = None;
    *CURRENT.lock().unwrap_or_else(|e| e.into_inner()) = Some((name, seed, input.to_vec()));
    STARTED_MS.store(now_ms(), Ordering::Relaxed);
    IN_INPUT.with(|i| i.set(true));
    let meter = Meter::start();
    let result = panic::catch_unwind(AssertUnwindSafe(|| run(input)));
    let usage = meter.stop();
    IN_INPUT.with(|i| i.set(false));
    STARTED_MS.store(0, Ordering::Relaxed);
    let recorded = PANIC.lock().unwrap_or_else(|e| e.into_inner()).take();
    let accepted = matches!(result, Ok(true));
    let panic = match (result, recorded) {
        (_, Some(message)) => Some(message),
        (Err(_), None) => Some("panicked (no message recorded)".to_string()),
        (Ok(_), None) => None,
    };
    (panic, accepted, usage)
}

/// Fuzzes `target` with inputs from `seed` until the budget is spent.
pub fn fuzz(target: &Target, seed: u64, budget: Budget) -> Outcome {
    let mut run = (target.start)();
    let mut mutator =
        Mutator::new(rng_for(seed, target.name), (target.seeds)(), target.max_len).with_tokens(target.tokens);
    let seeds = mutator.corpus().to_vec();
    let mut outcome = Outcome {
        name: target.name,
        seed,
        inputs: 0,
        accepted: 0,
        panics: 0,
        over_bound: 0,
        largest: (0, Vec::new()),
        peak: (0, Vec::new()),
        retained: 0,
        elapsed: Duration::ZERO,
        failures: Vec::new(),
        max_alloc: target.max_alloc,
    };
    let started = Instant::now();
    loop {
        let index = outcome.inputs;
        let done = match budget {
            Budget::Time(limit) => index >= seeds.len() as u64 && started.elapsed() >= limit,
            Budget::Inputs(n) => index >= n,
        };
        if done {
            break;
        }
        let input = match seeds.get(index as usize) {
            Some(seed_input) => seed_input.clone(),
            None => mutator.next_input(),
        };
        let (panic, accepted, usage) = run_one(target.name, seed, &mut *run, &input);
        outcome.inputs += 1;
        if accepted && panic.is_none() {
            outcome.accepted += 1;
            if index >= seeds.len() as u64 {
                mutator.accepted(&input);
            }
        }
        if usage.largest > outcome.largest.0 {
            outcome.largest = (usage.largest, input.clone());
        }
        if usage.peak > outcome.peak.0 {
            outcome.peak = (usage.peak, input.clone());
        }
        outcome.retained = outcome.retained.max(usage.retained);
        let mut failure = None;
        if let Some(message) = panic {
            outcome.panics += 1;
            failure = Some(message);
        } else if usage.largest > target.max_alloc || usage.peak > target.max_alloc {
            outcome.over_bound += 1;
            failure = Some(format!(
                "allocated {} in one piece and {} at the peak, over the bound of {}",
                crate::alloc::human(usage.largest),
                crate::alloc::human(usage.peak),
                crate::alloc::human(target.max_alloc)
            ));
        }
        if let Some(message) = failure
            && outcome.failures.len() < KEEP_FAILURES
            && !outcome.failures.iter().any(|f| f.message == message)
        {
            outcome.failures.push(Failure { index, input, message });
        }
    }
    outcome.elapsed = started.elapsed();
    outcome
}

#[cfg(test)]
mod tests {
    //! The fuzzer finds what it is for: planted bugs of the kinds the issue found in the
    //! handbook's decoders, each from a valid seed, within a bounded number of inputs.

    use super::*;

    /// A length-prefixed field read the way the DAG-CBOR decoder once did:
    /// `at + len` on a length off the wire, which overflows for a length near `u64::MAX`.
    fn overflowing_reader(input: &[u8]) -> bool {
        let Some((&tag, rest)) = input.split_first() else {
            return false;
        };
        if tag != 0x5b || rest.len() < 8 {
            return false;
        }
        let len = u64::from_be_bytes(rest[..8].try_into().unwrap()) as usize;
        let at = 9usize;
        input.get(at..at + len).is_some()
    }

    /// A counter in JSON text, incremented the way the chat once did its clock.
    fn overflowing_clock(input: &[u8]) -> bool {
        let Ok(text) = std::str::from_utf8(input) else {
            return false;
        };
        let Some(digits) = text.strip_prefix("{\"clock\":").and_then(|t| t.strip_suffix('}')) else {
            return false;
        };
        digits.parse::<u64>().is_ok_and(|clock| clock + 1 > 0)
    }

    /// A reader that sets aside what a 4-byte length claims.
    fn trusting_reader(input: &[u8]) -> bool {
        let Some(len) = input.get(..4) else {
            return false;
        };
        let len = u32::from_be_bytes(len.try_into().unwrap()) as usize;
        let buffer: Vec<u8> = Vec::with_capacity(len);
        std::hint::black_box(buffer);
        true
    }

    fn target(name: &'static str, seeds: fn() -> Vec<Vec<u8>>, start: fn() -> Run) -> Target {
        Target { name, about: "a planted bug", seeds, start, tokens: &[], max_len: 256, max_alloc: MAX_ALLOC }
    }

    #[test]
    fn planted_bugs_are_found_from_valid_seeds() {
        install();
        let cbor = target(
            "planted-cbor",
            || vec![[&[0x5b][..], &5u64.to_be_bytes(), b"hello"].concat()],
            || Box::new(overflowing_reader),
        );
        let clock = target("planted-clock", || vec![b"{\"clock\":41}".to_vec()], || Box::new(overflowing_clock));
        let alloc = target(
            "planted-alloc",
            || vec![[&12u32.to_be_bytes()[..], b"twelve bytes"].concat()],
            || Box::new(trusting_reader),
        );
        for t in [cbor, clock] {
            let outcome = fuzz(&t, 1, Budget::Inputs(20_000));
            assert!(outcome.panics > 0, "{}: no panic in 20,000 inputs", t.name);
            let first = &outcome.failures[0];
            assert!(first.message.contains("overflow"), "{}: {}", t.name, first.message);
            // The failing input replays.
            let mut run = (t.start)();
            assert!(run_one(t.name, 1, &mut *run, &first.input).0.is_some());
            assert!(outcome.accepted > 0);
        }
        let outcome = fuzz(&alloc, 1, Budget::Inputs(20_000));
        assert_eq!(outcome.panics, 0);
        assert!(outcome.over_bound > 0, "no allocation over the bound in 20,000 inputs");
        assert!(outcome.largest.0 > MAX_ALLOC);
        // A correct decoder of the same seeds passes.
        let fine = target("fine", || vec![b"{\"clock\":41}".to_vec()], || Box::new(|input| !input.to_vec().is_empty()));
        assert!(fuzz(&fine, 1, Budget::Inputs(5_000)).passed());
    }
}
