//! `cargo run -p fuzz`: every wire decoder and stateful parser of the reference
//! solutions under mutated input, on stable Rust, with no coverage instrumentation.
//!
//! Each target starts from valid encodings that the reference's own encoders produce,
//! and mutates them (see [`mutate`]); each input runs under `catch_unwind` with the
//! allocations it makes counted (see [`alloc`], [`harness`]). The run fails (a non-zero
//! exit) on any panic, in any task, and on any input that makes a decoder allocate more
//! than its target's bound. Dev profile on purpose: overflow checks on, so `len + 1` on
//! a hostile length is a panic here rather than a silent wrap. See `fuzz/README.md`.

mod alloc;
mod harness;
mod mutate;
mod targets;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;

use crate::alloc::human;
use crate::harness::{Budget, Outcome};

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

/// Fuzz the handbook's decoders: mutated valid encodings, panics and allocations counted.
#[derive(Parser)]
#[command(name = "fuzz")]
struct Cli {
    /// Seconds per target (the seeds always run, however short).
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Exactly this many inputs per target instead of a time box: a run that repeats
    /// input for input.
    #[arg(long, conflicts_with = "seconds")]
    inputs: Option<u64>,
    /// The seed of every random choice: the same seed makes the same inputs.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Only these targets (repeat the flag for more); default: all of them.
    #[arg(long = "target", value_name = "NAME")]
    targets: Vec<String>,
    /// List the targets and what each feeds its bytes to.
    #[arg(long)]
    list: bool,
    /// Run one input, given in hex, against the target named by `--target`, and show
    /// what it did: the way to replay a failure.
    #[arg(long, value_name = "HEX")]
    replay: Option<String>,
}

fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let all = targets::all();
    if cli.list {
        for t in &all {
            println!("{:<16} {}", t.name, t.about);
        }
        return Ok(ExitCode::SUCCESS);
    }
    for name in &cli.targets {
        if !all.iter().any(|t| t.name == name) {
            let names: Vec<&str> = all.iter().map(|t| t.name).collect();
            bail!("no target named `{name}`; the targets are: {}", names.join(", "));
        }
    }
    let chosen: Vec<&harness::Target> =
        all.iter().filter(|t| cli.targets.is_empty() || cli.targets.iter().any(|n| n == t.name)).collect();
    harness::install();

    if let Some(text) = &cli.replay {
        let [target] = chosen.as_slice() else { bail!("--replay needs exactly one --target") };
        let input = hex::decode(text.trim()).ok().context("--replay takes the input as hex")?;
        let mut run = (target.start)();
        let (panic, accepted, usage) = harness::run_one(target.name, cli.seed, &mut *run, &input);
        println!(
            "{}: {} bytes in, {}, largest allocation {}, peak live {}",
            target.name,
            input.len(),
            if accepted { "accepted" } else { "refused" },
            human(usage.largest),
            human(usage.peak)
        );
        return Ok(match panic {
            Some(message) => {
                println!("  {message}");
                ExitCode::FAILURE
            }
            None => {
                println!("  no panic");
                ExitCode::SUCCESS
            }
        });
    }

    let budget = match cli.inputs {
        Some(n) => Budget::Inputs(n),
        None => Budget::Time(Duration::from_secs_f64(cli.seconds.max(0.0))),
    };
    println!(
        "fuzzing {} targets, seed {}, {} each (dev profile: overflow checks on)\n",
        chosen.len(),
        cli.seed,
        match budget {
            Budget::Time(d) => format!("{:.0} s", d.as_secs_f64()),
            Budget::Inputs(n) => format!("{n} inputs"),
        }
    );
    println!(
        "{:<16} {:>10} {:>9} {:>7} {:>13} {:>13} {:>9} {:>9}  bound",
        "target", "inputs", "accepted", "panics", "largest alloc", "peak live", "kept", "inputs/s"
    );
    let mut failed = Vec::new();
    for target in chosen {
        let outcome = harness::fuzz(target, cli.seed, budget);
        print_row(&outcome);
        if !outcome.passed() {
            failed.push(outcome);
        }
    }
    for outcome in &failed {
        println!(
            "\n{}: {} panics, {} inputs over the allocation bound",
            outcome.name, outcome.panics, outcome.over_bound
        );
        for f in &outcome.failures {
            println!("  seed {}, input #{} ({} bytes): {}", outcome.seed, f.index, f.input.len(), f.message);
            println!("    input {}", hex::encode(&f.input));
            println!("    replay: cargo run -p fuzz -- --target {} --replay {}", outcome.name, hex::encode(&f.input));
        }
    }
    if failed.is_empty() {
        println!("\nno panics, every allocation within its bound");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("\n{} of the targets failed", failed.len());
        Ok(ExitCode::FAILURE)
    }
}

fn print_row(o: &Outcome) {
    let rate = o.inputs as f64 / o.elapsed.as_secs_f64().max(1e-9);
    println!(
        "{:<16} {:>10} {:>9} {:>7} {:>13} {:>13} {:>9} {:>9.0}  {}",
        o.name,
        o.inputs,
        o.accepted,
        o.panics,
        human(o.largest.0),
        human(o.peak.0),
        human(o.retained.max(0) as usize),
        rate,
        human(o.max_alloc)
    );
}
