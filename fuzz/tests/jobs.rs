//! `--jobs`: the targets run in processes of their own, and the run reports exactly what
//! one process running them in turn reports (a run bounded by input count repeats input
//! for input), row for row, in target order.

use std::process::Command;

fn run(extra: &[&str]) -> (bool, Vec<String>) {
    let out = Command::new(env!("CARGO_BIN_EXE_fuzz"))
        .args(["--inputs", "300", "--seed", "7", "--target", "cid", "--target", "peer-id", "--target", "bencode"])
        .args(extra)
        .output()
        .expect("the fuzzer runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    // The rows: a target's name, then its counts (the rate column is a measurement).
    let rows = text
        .lines()
        .filter(|l| ["peer-id ", "cid ", "bencode "].iter().any(|t| l.starts_with(t)))
        .map(|l| l.split_whitespace().take(4).collect::<Vec<_>>().join(" "))
        .collect();
    (out.status.success(), rows)
}

#[test]
fn two_at_a_time_reports_what_one_at_a_time_does_in_target_order() {
    let (alone_ok, alone) = run(&[]);
    let (jobs_ok, jobs) = run(&["--jobs", "2"]);
    assert!(alone_ok && jobs_ok, "both runs pass: {alone:?} {jobs:?}");
    assert_eq!(alone.len(), 3, "one row per target: {alone:?}");
    let order: Vec<&str> = jobs.iter().map(|r| r.split(' ').next().unwrap()).collect();
    assert_eq!(order, ["peer-id", "bencode", "cid"], "rows in the targets' own order");
    assert_eq!(alone, jobs, "the same inputs, the same counts");
}
