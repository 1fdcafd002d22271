//! From rounds to figures: the tables printed and written to the output
//! directory, and the side-by-side ratios.

use std::fmt::Write as _;

use crate::load::{Round, median, quantile};

/// Every round of one scenario at one concurrency on one target.
#[derive(Debug, Clone)]
pub struct Cell {
    pub scenario: &'static str,
    pub concurrency: usize,
    pub target: usize,
    pub rounds: Vec<Round>,
}

/// The figures of a cell.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub scenario: &'static str,
    pub concurrency: usize,
    pub target: String,
    /// Requests per second: the median over the rounds.
    pub throughput: f64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub requests: u64,
    pub errors: u64,
    pub statements_per_request: Option<f64>,
    pub server_cpu_ms_per_request: Option<f64>,
    pub db_cpu_ms_per_request: Option<f64>,
    /// The server's largest resident set over the rounds, in MiB.
    pub server_peak_mib: Option<f64>,
}

impl Cell {
    pub fn summary(&self, target: &str) -> Summary {
        let mut throughputs: Vec<f64> = self.rounds.iter().map(Round::throughput).collect();
        let mut latencies: Vec<u32> = self
            .rounds
            .iter()
            .flat_map(|r| r.latencies_us.iter().copied())
            .collect();
        latencies.sort_unstable();
        let ms = |q| quantile(&latencies, q).map(|us| f64::from(us) / 1000.0);
        let requests: u64 = self.rounds.iter().map(|r| r.requests).sum();
        let per_request = |cpu: Option<f64>| {
            cpu.filter(|_| requests > 0)
                .map(|seconds| seconds * 1000.0 / requests as f64)
        };
        let total = |f: fn(&Round) -> Option<f64>| -> Option<f64> {
            self.rounds.iter().map(f).sum::<Option<f64>>()
        };
        let statements = self
            .rounds
            .iter()
            .map(|r| r.statements)
            .try_fold((0.0, 0.0), |(sum, count), round| {
                round.map(|(s, c)| (sum + s, count + c))
            });
        Summary {
            scenario: self.scenario,
            concurrency: self.concurrency,
            target: target.to_owned(),
            throughput: median(&mut throughputs).unwrap_or(0.0),
            p50_ms: ms(0.50),
            p95_ms: ms(0.95),
            p99_ms: ms(0.99),
            requests,
            errors: self.rounds.iter().map(|r| r.errors).sum(),
            statements_per_request: statements
                .filter(|(_, count)| *count > 0.0)
                .map(|(sum, count)| sum / count),
            server_cpu_ms_per_request: per_request(total(|r| r.server_cpu)),
            db_cpu_ms_per_request: per_request(total(|r| r.db_cpu)),
            server_peak_mib: self
                .rounds
                .iter()
                .filter_map(|r| r.server_peak_mib)
                .reduce(f64::max),
        }
    }
}

/// The median over rounds of `b`'s throughput divided by `a`'s, each
/// round of `b` paired with the round of `a` run next to it.
pub fn median_ratio(a: &Cell, b: &Cell) -> Option<f64> {
    let mut ratios: Vec<f64> = a
        .rounds
        .iter()
        .zip(&b.rounds)
        .filter(|(a, _)| a.throughput() > 0.0)
        .map(|(a, b)| b.throughput() / a.throughput())
        .collect();
    median(&mut ratios)
}

fn figure(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{v:.decimals$}"))
}

/// The results as a Markdown table.
pub fn table(summaries: &[Summary]) -> String {
    let mut out = String::from(
        "| target | scenario | clients | req/s | p50 ms | p95 ms | p99 ms | errors | SQL/req | server CPU ms/req | DB CPU ms/req | server peak MiB |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for s in summaries {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.0} | {} | {} | {} | {}/{} | {} | {} | {} | {} |",
            s.target,
            s.scenario,
            s.concurrency,
            s.throughput,
            figure(s.p50_ms, 1),
            figure(s.p95_ms, 1),
            figure(s.p99_ms, 1),
            s.errors,
            s.requests,
            figure(s.statements_per_request, 1),
            figure(s.server_cpu_ms_per_request, 2),
            figure(s.db_cpu_ms_per_request, 2),
            figure(s.server_peak_mib, 0),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn round(requests: u64, seconds: u64, latency_us: u32) -> Round {
        Round {
            requests,
            errors: 0,
            elapsed: Duration::from_secs(seconds),
            latencies_us: vec![latency_us; usize::try_from(requests).unwrap_or(0)],
            server_cpu: Some(1.0),
            db_cpu: None,
            statements: Some((4.0 * requests as f64, requests as f64)),
            server_peak_mib: Some(requests as f64 / 10.0),
        }
    }

    fn cell(target: usize, rounds: Vec<Round>) -> Cell {
        Cell {
            scenario: "portal",
            concurrency: 8,
            target,
            rounds,
        }
    }

    #[test]
    fn a_summary_takes_the_median_round_and_costs_per_request() {
        let c = cell(
            0,
            vec![
                round(100, 1, 2000),
                round(300, 1, 1000),
                round(200, 1, 1500),
            ],
        );
        let s = c.summary("main");
        assert_eq!(s.throughput, 200.0);
        assert_eq!(s.requests, 600);
        assert_eq!(s.statements_per_request, Some(4.0));
        assert_eq!(s.server_cpu_ms_per_request, Some(3000.0 / 600.0));
        assert_eq!(s.db_cpu_ms_per_request, None);
        assert_eq!(s.p99_ms, Some(2.0));
        assert_eq!(s.server_peak_mib, Some(30.0));
        assert!(table(&[s]).contains("| main | portal | 8 | 200 |"));
    }

    #[test]
    fn the_ratio_pairs_rounds_and_takes_the_median() {
        let a = cell(0, vec![round(100, 1, 1), round(100, 1, 1), round(50, 1, 1)]);
        let b = cell(1, vec![round(200, 1, 1), round(300, 1, 1), round(50, 1, 1)]);
        assert_eq!(median_ratio(&a, &b), Some(2.0));
    }
}
