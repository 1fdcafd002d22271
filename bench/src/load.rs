//! One round: `concurrency` clients each send one request after the
//! other for a fixed time, and what it cost is read before and after.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::client::{Outcome, Target};
use crate::probe;

/// What one round of one scenario on one target measured.
#[derive(Debug, Clone, Default)]
pub struct Round {
    pub requests: u64,
    pub errors: u64,
    pub elapsed: Duration,
    /// Every request's latency, in microseconds.
    pub latencies_us: Vec<u32>,
    /// The server's CPU seconds during the round.
    pub server_cpu: Option<f64>,
    /// The database processes' CPU seconds during the round.
    pub db_cpu: Option<f64>,
    /// (statements, requests) counted by the server during the round.
    pub statements: Option<(f64, f64)>,
    /// The server's largest resident set seen during the round, in MiB
    /// (sampled every 20 ms).
    pub server_peak_mib: Option<f64>,
}

impl Round {
    pub fn throughput(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }
}

/// What a round needs to send.
pub struct Load {
    pub target: Target,
    pub body: Arc<Vec<u8>>,
    pub token: Option<String>,
    pub concurrency: usize,
    pub db_comm: Option<String>,
}

/// Sends for `warmup` unmeasured, then measures for `duration`.
pub async fn run(load: &Load, warmup: Duration, duration: Duration) -> Round {
    if !warmup.is_zero() {
        drive(load, warmup).await;
    }
    let server_before = load.target.pid.and_then(probe::process_cpu);
    let db_before = load.db_comm.as_deref().and_then(probe::processes_cpu);
    let statements_before = load
        .target
        .metrics()
        .await
        .as_deref()
        .and_then(probe::statements);
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = load
        .target
        .pid
        .map(|pid| tokio::spawn(peak_resident(pid, Arc::clone(&stop))));
    let (mut round, elapsed) = drive(load, duration).await;
    round.elapsed = elapsed;
    stop.store(true, Ordering::Relaxed);
    if let Some(sampler) = sampler {
        round.server_peak_mib = sampler.await.ok().flatten();
    }
    let statements_after = load
        .target
        .metrics()
        .await
        .as_deref()
        .and_then(probe::statements);
    round.server_cpu = load
        .target
        .pid
        .and_then(probe::process_cpu)
        .zip(server_before)
        .map(|(after, before)| after - before);
    round.db_cpu = load
        .db_comm
        .as_deref()
        .and_then(probe::processes_cpu)
        .zip(db_before)
        .map(|(after, before)| probe::cpu_since(&before, &after));
    round.statements = statements_after
        .zip(statements_before)
        .map(|(after, before)| (after.0 - before.0, after.1 - before.1));
    round
}

/// The largest resident set of `pid` until `stop`, sampled every 20 ms.
async fn peak_resident(pid: u32, stop: Arc<AtomicBool>) -> Option<f64> {
    let mut peak: Option<f64> = None;
    while !stop.load(Ordering::Relaxed) {
        if let Some(mib) = probe::resident_mib(pid) {
            peak = Some(peak.map_or(mib, |p| p.max(mib)));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    peak
}

/// `concurrency` clients, each sending until `duration` is over.
async fn drive(load: &Load, duration: Duration) -> (Round, Duration) {
    let start = Instant::now();
    let deadline = start + duration;
    let mut clients = Vec::with_capacity(load.concurrency);
    for _ in 0..load.concurrency {
        let target = load.target.clone();
        let body = Arc::clone(&load.body);
        let token = load.token.clone();
        clients.push(tokio::spawn(async move {
            let mut round = Round::default();
            while Instant::now() < deadline {
                let sent = Instant::now();
                let outcome = target.send(&body, token.as_deref()).await;
                let micros = sent.elapsed().as_micros();
                round
                    .latencies_us
                    .push(u32::try_from(micros).unwrap_or(u32::MAX));
                round.requests += 1;
                if matches!(outcome, Outcome::Failed) {
                    round.errors += 1;
                }
            }
            round
        }));
    }
    let mut total = Round::default();
    for client in clients {
        if let Ok(round) = client.await {
            total.requests += round.requests;
            total.errors += round.errors;
            total.latencies_us.extend(round.latencies_us);
        }
    }
    (total, start.elapsed())
}

/// The `q` quantile (0..=1) of sorted samples, nearest rank.
pub fn quantile(sorted: &[u32], q: f64) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

/// The median of some values (the mean of the middle two for an even
/// count).
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_nearest_rank() {
        let samples: Vec<u32> = (1..=100).collect();
        assert_eq!(quantile(&samples, 0.5), Some(50));
        assert_eq!(quantile(&samples, 0.99), Some(99));
        assert_eq!(quantile(&samples, 1.0), Some(100));
        assert_eq!(quantile(&[7], 0.0), Some(7));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }
}
