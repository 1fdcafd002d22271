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
mod sql;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Parser;

use crate::client::Target;
use crate::load::Load;
use crate::report::{Cell, Summary};
use crate::scenario::{Api, Scenario, Setup, Tokens};

/// Drives partnerdesk servers with portal, dashboard and report scenarios.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// A server to drive, as NAME=URL (its base, e.g.
    /// main=http://127.0.0.1:8080). Give two to compare them side by side;
    /// `postgraphile:NAME=URL` is a PostGraphile server over the same
    /// database, sent the equivalent portal, detail and queue queries.
    #[arg(long = "target", required = true)]
    targets: Vec<String>,
    /// A target's server process, as NAME=PID, for its CPU time per request
    /// (the server must run on this machine). Repeat for each target.
    #[arg(long = "server-pid")]
    server_pids: Vec<String>,
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
    /// The first partnerdesk target's log, written as JSON with every
    /// statement (`LOG_SQL=true LOG_FORMAT=json`): the portal list's
    /// statements are read from it and run directly on `--database-url`,
    /// for the ratio of server time to SQL time.
    #[arg(long, requires = "database_url")]
    sql_log: Option<PathBuf>,
    /// The database of the first partnerdesk target (the same URL as its
    /// DATABASE_URL), for running its statements directly.
    #[arg(
        long,
        env = "BENCH_DATABASE_URL",
        hide_env_values = true,
        requires = "sql_log"
    )]
    database_url: Option<String>,
    /// Turns of the server-to-SQL comparison (one request, then its
    /// statements, each turn).
    #[arg(long, default_value_t = 200)]
    sql_turns: usize,
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
    let mut pids = std::collections::HashMap::new();
    for spec in &args.server_pids {
        let pid = spec
            .split_once('=')
            .and_then(|(name, pid)| Some((name, pid.parse::<u32>().ok()?)))
            .with_context(|| format!("--server-pid {spec:?}: expected NAME=PID"))?;
        pids.insert(pid.0.to_owned(), pid.1);
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
        .map(|spec| Target::parse(spec, &pids, most))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if let Some(name) = pids.keys().find(|n| !targets.iter().any(|t| &t.name == *n)) {
        bail!("--server-pid {name}=…: no target is called {name}");
    }

    // Log in on every partnerdesk target and check every scenario once:
    // a run of error answers would measure nothing. PostGraphile has no
    // logins; the reference and the organisation come from the data.
    let mut tokens = Vec::with_capacity(targets.len());
    let mut reference = None;
    for target in &targets {
        if target.api == Api::Postgraphile {
            tokens.push(Tokens::none());
            continue;
        }
        let t = scenario::log_in(
            target,
            [&args.member, &args.manager, &args.staff],
            &args.password,
        )
        .await?;
        if reference.is_none() {
            reference = Some(scenario::newest_reference(target, &t.member).await?);
        }
        tokens.push(t);
    }
    let reference = reference.context(
        "one --target must be a partnerdesk server: the logins and the ticket read come from it",
    )?;
    let member_organisation = match targets.iter().find(|t| t.api == Api::Postgraphile) {
        Some(peer) => scenario::peer_organisation(peer, &args.member).await?,
        None => String::new(),
    };
    let setup = Setup {
        member_email: args.member.clone(),
        password: args.password.clone(),
        reference,
        member_organisation,
        report_from: args.report_from.clone(),
        report_to: args.report_to.clone(),
    };
    // plans[target][scenario]: the scenario in that target's terms, if any.
    let plans = targets
        .iter()
        .map(|target| {
            args.scenarios
                .iter()
                .map(|name| scenario::scenario(name, target.api, &setup))
                .collect::<anyhow::Result<Vec<_>>>()
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    for ((target, t), plan) in targets.iter().zip(&tokens).zip(&plans) {
        for s in plan.iter().flatten() {
            scenario::check(target, s, t).await?;
        }
    }
    let described = args
        .scenarios
        .iter()
        .map(|name| scenario::scenario(name, Api::Partnerdesk, &setup))
        .collect::<anyhow::Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect::<Vec<_>>();

    let mut cells = Vec::new();
    for index in 0..args.scenarios.len() {
        for &concurrency in &args.concurrency {
            let runs: Vec<Option<&Scenario>> =
                plans.iter().map(|plan| plan[index].as_ref()).collect();
            cells.extend(
                measure(
                    &args,
                    &targets,
                    &tokens,
                    &runs,
                    concurrency,
                    warmup,
                    duration,
                )
                .await?,
            );
        }
    }
    let ratios = match (&args.sql_log, &args.database_url) {
        (Some(log), Some(url)) => sql_ratios(&args, &targets, &tokens, &setup, log, url).await?,
        _ => Vec::new(),
    };
    let names: Vec<String> = targets.iter().map(|t| t.name.clone()).collect();
    let summaries: Vec<Summary> = cells.iter().map(|c| c.summary(&names[c.target])).collect();
    let mut markdown = results(&args, &described, &names, &cells, &summaries);
    if !ratios.is_empty() {
        markdown.push_str(&sql::table(&ratios));
    }
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

/// Runs the rounds of one scenario at one client count on every target
/// that has it (`runs[target]`), alternating the targets (A B, then B A,
/// ...) so that neither always runs first.
async fn measure(
    args: &Args,
    targets: &[Target],
    tokens: &[Tokens],
    runs: &[Option<&Scenario>],
    concurrency: usize,
    warmup: Duration,
    duration: Duration,
) -> anyhow::Result<Vec<Cell>> {
    let mut loads = Vec::new();
    let mut cells = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let Some(scenario) = run else { continue };
        let body = serde_json::to_vec(&scenario.body()).context("the request body")?;
        loads.push(Load {
            target: targets[i].clone(),
            body: Arc::new(body),
            token: tokens[i].for_role(scenario.role).map(str::to_owned),
            concurrency,
            db_comm: args.db_process.clone(),
        });
        cells.push(Cell {
            scenario: scenario.name,
            concurrency,
            target: i,
            rounds: Vec::with_capacity(args.rounds),
        });
    }
    for round in 0..args.rounds {
        let mut order: Vec<usize> = (0..loads.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let measured = load::run(&loads[i], warmup, duration).await;
            eprintln!(
                "{:<10} {:<3} clients  {:<8} round {}: {:>8.1} req/s, {} errors",
                cells[i].scenario,
                concurrency,
                loads[i].target.name,
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
        for (i, a) in cells.iter().enumerate() {
            let Some(b) = cells.get(i + 1) else { break };
            if a.target != 0
                || b.target != 1
                || a.scenario != b.scenario
                || a.concurrency != b.concurrency
            {
                continue;
            }
            if let Some(ratio) = report::median_ratio(a, b) {
                out.push_str(&format!(
                    "| {} | {} | {ratio:.2} |\n",
                    a.scenario, a.concurrency
                ));
            }
        }
    }
    out
}

/// The portal list of the first partnerdesk target against its own SQL,
/// run directly on its database.
async fn sql_ratios(
    args: &Args,
    targets: &[Target],
    tokens: &[Tokens],
    setup: &Setup,
    log: &std::path::Path,
    url: &str,
) -> anyhow::Result<Vec<sql::SqlRatio>> {
    let Some((i, target)) = targets
        .iter()
        .enumerate()
        .find(|(_, t)| t.api == Api::Partnerdesk)
    else {
        return Ok(Vec::new());
    };
    let Some(portal) = scenario::scenario("portal", Api::Partnerdesk, setup)? else {
        return Ok(Vec::new());
    };
    let body = portal.body();
    let token = tokens[i].for_role(portal.role);
    let statements = sql::capture(target, &body, token, log).await?;
    eprintln!(
        "portal     SQL: {} statements captured from {}",
        statements.len(),
        log.display()
    );
    let db = sql::connect(url).await?;
    let ratio = sql::compare(
        target,
        portal.name,
        &body,
        token,
        &db,
        &statements,
        args.sql_turns.max(1),
    )
    .await?;
    eprintln!(
        "portal     server {:.2} ms, SQL {:.2} ms: {:.1}x",
        ratio.server_ms, ratio.sql_ms, ratio.ratio
    );
    Ok(vec![ratio])
}

fn seconds(flag: &str, value: f64) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value)
        .with_context(|| format!("{flag}: {value} is not a duration in seconds"))
}
