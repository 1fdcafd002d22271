//! partnerdesk-bench: drives running partnerdesk servers with the
//! scenarios of a partner portal, a staff dashboard and reporting, at
//! several client counts, and reports throughput, latency percentiles,
//! errors, SQL statements per request and CPU per request.
//!
//! Given two targets it alternates them round by round in one run and
//! prints the median ratio of their throughputs: on a shared, noisy
//! machine that is how "faster than" is measured, never by comparing two
//! figures taken at different times. See `docs/BENCHMARKS.md`.

mod chart;
mod client;
mod load;
mod probe;
mod report;
mod scenario;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Parser;

use crate::client::Target;
use crate::load::Load;
use crate::report::{Cell, Summary};
use crate::scenario::{Scenario, Setup, Tokens};

/// Drives partnerdesk servers with portal, dashboard and report scenarios.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// A server to drive, as NAME=URL (its base, e.g.
    /// main=http://127.0.0.1:8080). Give two to compare them side by side.
    #[arg(long = "target", required = true)]
    targets: Vec<String>,
    /// The process id of each target's server, in target order, for its CPU
    /// time per request (the server must run on this machine).
    #[arg(long = "server-pid")]
    server_pids: Vec<u32>,
    /// The command name of the database server's processes, whose CPU time
    /// is summed (e.g. postgres); none for SQLite, which runs inside the
    /// server.
    #[arg(long)]
    db_process: Option<String>,
    /// A PARTNER_MEMBER login (portal, detail, order and login scenarios).
    #[arg(long, env = "BENCH_MEMBER")]
    member: String,
    /// A PARTNER_MANAGER login (the organisation's reports).
    #[arg(long, env = "BENCH_MANAGER")]
    manager: String,
    /// A STAFF login (the queue and the reports over all organisations).
    #[arg(long, env = "BENCH_STAFF")]
    staff: String,
    /// The password of the three logins (the data generator gives every
    /// user the same one).
    #[arg(long, env = "BENCH_PASSWORD", hide_env_values = true)]
    password: String,
    /// Scenarios to run, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = scenario::NAMES.map(String::from))]
    scenarios: Vec<String>,
    /// Client counts to run each scenario at, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 8, 32])]
    concurrency: Vec<usize>,
    /// Seconds each measured round lasts.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Unmeasured seconds before each round.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Rounds per scenario, client count and target (alternating targets).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// The first day of the reports' date range.
    #[arg(long, default_value = "2025-01-01")]
    report_from: String,
    /// The last day of the reports' date range.
    #[arg(long, default_value = "2026-12-31")]
    report_to: String,
    /// Where to write results.md, results.json and chart.svg.
    #[arg(long, default_value = "bench-results")]
    out: PathBuf,
    /// Exit with an error when any request failed (for smoke runs).
    #[arg(long)]
    fail_on_errors: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    if args.targets.len() > 2 {
        bail!("--target: at most two servers are compared side by side");
    }
    if !args.server_pids.is_empty() && args.server_pids.len() != args.targets.len() {
        bail!("--server-pid: give one per target, in target order, or none");
    }
    if args.concurrency.contains(&0) || args.rounds == 0 {
        bail!("--concurrency and --rounds must be at least 1");
    }
    let duration = seconds("--duration", args.duration)?;
    let warmup = seconds("--warmup", args.warmup)?;
    let most = args.concurrency.iter().copied().max().unwrap_or(1);
    let targets = args
        .targets
        .iter()
        .enumerate()
        .map(|(i, spec)| Target::parse(spec, args.server_pids.get(i).copied(), most))
        .collect::<anyhow::Result<Vec<_>>>()?;

    // Log in on every target and check every scenario once: a run of
    // error answers would measure nothing.
    let mut tokens = Vec::with_capacity(targets.len());
    let mut setup = None;
    for target in &targets {
        let t = scenario::log_in(
            target,
            [&args.member, &args.manager, &args.staff],
            &args.password,
        )
        .await?;
        let reference = scenario::newest_reference(target, &t.member).await?;
        setup.get_or_insert(Setup {
            member_email: args.member.clone(),
            password: args.password.clone(),
            reference,
            report_from: args.report_from.clone(),
            report_to: args.report_to.clone(),
        });
        tokens.push(t);
    }
    let setup = setup.context("no target")?;
    let scenarios = args
        .scenarios
        .iter()
        .map(|name| scenario::scenario(name, &setup))
        .collect::<anyhow::Result<Vec<_>>>()?;
    for (target, t) in targets.iter().zip(&tokens) {
        for s in &scenarios {
            scenario::check(target, s, t).await?;
        }
    }

    let mut cells = Vec::new();
    for s in &scenarios {
        for &concurrency in &args.concurrency {
            let rounds =
                measure(&args, &targets, &tokens, s, concurrency, warmup, duration).await?;
            cells.extend(rounds);
        }
    }
    let names: Vec<String> = targets.iter().map(|t| t.name.clone()).collect();
    let summaries: Vec<Summary> = cells.iter().map(|c| c.summary(&names[c.target])).collect();
    let markdown = results(&args, &scenarios, &names, &cells, &summaries);
    println!("{markdown}");

    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    std::fs::write(args.out.join("results.md"), &markdown).context("writing results.md")?;
    std::fs::write(
        args.out.join("results.json"),
        serde_json::to_string_pretty(&summaries).context("results as JSON")?,
    )
    .context("writing results.json")?;
    chart::draw(&args.out.join("chart.svg"), &summaries, &names)?;
    eprintln!("written to {}", args.out.display());

    let errors: u64 = summaries.iter().map(|s| s.errors).sum();
    if args.fail_on_errors && errors > 0 {
        bail!("{errors} requests failed");
    }
    Ok(())
}

/// Runs the rounds of one scenario at one client count, alternating the
/// targets (A B, then B A, ...) so that neither always runs first.
async fn measure(
    args: &Args,
    targets: &[Target],
    tokens: &[Tokens],
    scenario: &Scenario,
    concurrency: usize,
    warmup: Duration,
    duration: Duration,
) -> anyhow::Result<Vec<Cell>> {
    let body = Arc::new(serde_json::to_vec(&scenario.body()).context("the request body")?);
    let mut cells: Vec<Cell> = (0..targets.len())
        .map(|target| Cell {
            scenario: scenario.name,
            concurrency,
            target,
            rounds: Vec::with_capacity(args.rounds),
        })
        .collect();
    for round in 0..args.rounds {
        let mut order: Vec<usize> = (0..targets.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let load = Load {
                target: targets[i].clone(),
                body: Arc::clone(&body),
                token: tokens[i].for_role(scenario.role).map(str::to_owned),
                concurrency,
                db_comm: args.db_process.clone(),
            };
            let measured = load::run(&load, warmup, duration).await;
            eprintln!(
                "{:<10} {:<3} clients  {:<8} round {}: {:>8.1} req/s, {} errors",
                scenario.name,
                concurrency,
                targets[i].name,
                round + 1,
                measured.throughput(),
                measured.errors
            );
            cells[i].rounds.push(measured);
        }
    }
    Ok(cells)
}

/// The Markdown written and printed: the command's settings, the table,
/// and the ratios when two targets ran.
fn results(
    args: &Args,
    scenarios: &[Scenario],
    names: &[String],
    cells: &[Cell],
    summaries: &[Summary],
) -> String {
    let mut out = format!(
        "Rounds of {} s after {} s of warm-up, {} per target{}; scenarios: {}.\n\n",
        args.duration,
        args.warmup,
        args.rounds,
        if names.len() == 2 {
            ", the two targets alternating"
        } else {
            ""
        },
        args.scenarios.join(", "),
    );
    for s in scenarios {
        out.push_str(&format!("- `{}`: {}\n", s.name, s.about));
    }
    out.push('\n');
    out.push_str(&report::table(summaries));
    if names.len() == 2 {
        out.push_str(&format!(
            "\nThroughput of {} over {}, the median of the per-round ratios:\n\n\
             | scenario | clients | ratio |\n|---|---|---|\n",
            names[1], names[0]
        ));
        for pair in cells.chunks(2) {
            if let [a, b] = pair
                && let Some(ratio) = report::median_ratio(a, b)
            {
                out.push_str(&format!(
                    "| {} | {} | {ratio:.2} |\n",
                    a.scenario, a.concurrency
                ));
            }
        }
    }
    out
}

fn seconds(flag: &str, value: f64) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value)
        .with_context(|| format!("{flag}: {value} is not a duration in seconds"))
}
