//! `cargo xtask simulate [seeds] [years] [--from N] [--minutes M]`: the deterministic
//! simulation (`core/tests/simulation.rs`, issue 20) over more seeds than the test command runs —
//! `seeds` seeds (20) from `--from` (1000) on, each living `years` years (1), or as many as fit
//! in `--minutes`. It prints every seed, the figures (connection-years, checks, events by kind),
//! and for a failing seed the shortest event list that still fails; then it fails. Keep a
//! failing seed in `SEEDS` of `core/tests/simulation.rs` once its bug is fixed.

use std::process::Command;

use crate::{Result, cargo, run};

pub fn run_all(args: &[String]) -> Result {
    let mut positional = Vec::new();
    let mut from = None;
    let mut minutes = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--from" => from = Some(number(rest.next(), "--from")?),
            "--minutes" => minutes = Some(number(rest.next(), "--minutes")?),
            other => positional.push(other.to_owned()),
        }
    }
    let seeds = positional
        .first()
        .map_or(Ok(20.0), |s| number(Some(s), "seeds"))?;
    let years = positional
        .get(1)
        .map_or(Ok(1.0), |s| number(Some(s), "years"))?;
    if positional.len() > 2 {
        return Err("usage: cargo xtask simulate [seeds] [years] [--from N] [--minutes M]".into());
    }
    let mut cmd = simulation();
    cmd.args(["explore", "--", "--ignored", "--nocapture"])
        .env("TOKENWATCH_SIMULATE_SEEDS", format!("{}", seeds as u64))
        .env("TOKENWATCH_SIMULATE_YEARS", format!("{years}"));
    if let Some(from) = from {
        cmd.env("TOKENWATCH_SIMULATE_FROM", format!("{}", from as u64));
    }
    if let Some(minutes) = minutes {
        cmd.env("TOKENWATCH_SIMULATE_MINUTES", format!("{minutes}"));
    }
    run(&mut cmd)
}

/// `cargo test` of the simulation, optimized: a month of one seed takes seconds, not minutes.
pub fn simulation() -> Command {
    let mut cmd = cargo();
    cmd.args([
        "test",
        "--release",
        "-p",
        "tokenwatch-core",
        "--test",
        "simulation",
    ]);
    cmd
}

fn number(text: Option<&String>, what: &str) -> Result<f64> {
    let text = text.ok_or_else(|| format!("simulate: {what} needs a number"))?;
    text.parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n > 0.0)
        .ok_or_else(|| format!("simulate: {what} `{text}` is not a positive number"))
}
