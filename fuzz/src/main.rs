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
    /// Targets fuzzed at the same time, each in a process of its own (the allocation
    /// counter is one per process, so two targets never share it). The rows still come
    /// out in target order.
    #[arg(long, default_value_t = 1, value_name = "N")]
    jobs: usize,
    /// Print only the target's row and its failures (the form `--jobs` reads from
    /// each of its processes).
    #[arg(long, hide = true)]
    bare: bool,
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
    if cli.jobs > 1 && chosen.len() > 1 {
        let names: Vec<&str> = chosen.iter().map(|t| t.name).collect();
        return side_by_side(&cli, &names, budget);
    }
    if !cli.bare {
        print_header(chosen.len(), cli.seed, budget, 1);
    }
    let mut failed = Vec::new();
    for target in chosen {
        let outcome = harness::fuzz(target, cli.seed, budget);
        print_row(&outcome);
        if !outcome.passed() {
            failed.push(outcome);
        }
    }
    for outcome in &failed {
        print_failures(outcome);
    }
    if !cli.bare {
        print_verdict(failed.len());
    }
    Ok(if failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn print_header(targets: usize, seed: u64, budget: Budget, jobs: usize) {
    println!(
        "fuzzing {} targets, seed {}, {} each{} (dev profile: overflow checks on)\n",
        targets,
        seed,
        match budget {
            Budget::Time(d) => format!("{:.0} s", d.as_secs_f64()),
            Budget::Inputs(n) => format!("{n} inputs"),
        },
        if jobs > 1 { format!(", {jobs} at a time") } else { String::new() }
    );
    println!(
        "{:<16} {:>10} {:>9} {:>7} {:>13} {:>13} {:>9} {:>9}  bound",
        "target", "inputs", "accepted", "panics", "largest alloc", "peak live", "kept", "inputs/s"
    );
}

fn print_failures(outcome: &Outcome) {
    println!("\n{}: {} panics, {} inputs over the allocation bound", outcome.name, outcome.panics, outcome.over_bound);
    for f in &outcome.failures {
        println!("  seed {}, input #{} ({} bytes): {}", outcome.seed, f.index, f.input.len(), f.message);
        println!("    input {}", hex::encode(&f.input));
        println!("    replay: cargo run -p fuzz -- --target {} --replay {}", outcome.name, hex::encode(&f.input));
    }
}

fn print_verdict(failed: usize) {
    if failed == 0 {
        println!("\nno panics, every allocation within its bound");
    } else {
        println!("\n{failed} of the targets failed");
    }
}

/// `--jobs N`: each target in a process of its own (this program again, `--bare`), at
/// most N at once; each one's output is printed whole, in target order, as soon as the
/// targets before it have been printed.
fn side_by_side(cli: &Cli, names: &[&str], budget: Budget) -> anyhow::Result<ExitCode> {
    use std::process::{Command, Stdio};
    let me = std::env::current_exe().context("could not find this program to run its targets")?;
    print_header(names.len(), cli.seed, budget, cli.jobs);
    let mut running: Vec<(usize, std::process::Child)> = Vec::new();
    let mut done: std::collections::BTreeMap<usize, (String, bool)> = Default::default();
    let (mut next, mut printed, mut failed) = (0, 0, 0);
    while printed < names.len() {
        while running.len() < cli.jobs && next < names.len() {
            let mut command = Command::new(&me);
            command.args(["--bare", "--target", names[next], "--seed", &cli.seed.to_string()]);
            match budget {
                Budget::Time(d) => command.args(["--seconds", &d.as_secs_f64().to_string()]),
                Budget::Inputs(n) => command.args(["--inputs", &n.to_string()]),
            };
            let child = command.stdout(Stdio::piped()).spawn().context("could not start a target's process")?;
            running.push((next, child));
            next += 1;
        }
        // The oldest running target finishes about first: every one has the same budget.
        let (index, child) = running.remove(0);
        let out = child.wait_with_output().context("a target's process was lost")?;
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        if !out.status.success() && !text.contains("panics,") {
            text.push_str(&format!("\n{}: its process ended with {} before it reported\n", names[index], out.status));
        }
        done.insert(index, (text, out.status.success()));
        while let Some((text, passed)) = done.remove(&printed) {
            print!("{text}");
            failed += usize::from(!passed);
            printed += 1;
        }
    }
    print_verdict(failed);
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
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
