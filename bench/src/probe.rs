//! What a round cost outside the driver: the server's and the database's
//! CPU time, read from `/proc`, and the SQL statements the server counted,
//! read from its `/metrics`.

use std::collections::HashMap;
use std::fs;

/// Linux reports process times in clock ticks of `USER_HZ`, which the
/// kernel's ABI fixes at 100 per second on every architecture.
const USER_HZ: f64 = 100.0;

/// The histogram of SQL statements per GraphQL request in `/metrics`.
const STATEMENTS: &str = "partnerdesk_graphql_request_sql_statements";

/// CPU seconds (user + system) a process has used, threads included.
pub fn process_cpu(pid: u32) -> Option<f64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    cpu_from_stat(&stat)
}

/// A process's resident set in MiB (`VmRSS`).
pub fn resident_mib(pid: u32) -> Option<f64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

/// CPU seconds of every process whose command is `comm` (a database
/// server's backends and helpers, e.g. `postgres`), by process id.
pub fn processes_cpu(comm: &str) -> Option<HashMap<u32, f64>> {
    let mut found = HashMap::new();
    for entry in fs::read_dir("/proc").ok()?.flatten() {
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Ok(pid) = name.parse::<u32>() else {
            continue;
        };
        let Ok(this) = fs::read_to_string(path.join("comm")) else {
            continue;
        };
        if this.trim_end() != comm {
            continue;
        }
        if let Some(cpu) = fs::read_to_string(path.join("stat"))
            .ok()
            .as_deref()
            .and_then(cpu_from_stat)
        {
            found.insert(pid, cpu);
        }
    }
    (!found.is_empty()).then_some(found)
}

/// The CPU seconds `after` used since `before`: per process, so that a
/// backend that ends during the round does not subtract its whole life,
/// and one that starts counts from zero.
pub fn cpu_since(before: &HashMap<u32, f64>, after: &HashMap<u32, f64>) -> f64 {
    after
        .iter()
        .map(|(pid, cpu)| cpu - before.get(pid).copied().unwrap_or(0.0))
        .filter(|delta| *delta > 0.0)
        .sum()
}

/// utime + stime of a `/proc/<pid>/stat` line. The command (field 2) is in
/// parentheses and may hold spaces, so fields count from the last `)`.
fn cpu_from_stat(stat: &str) -> Option<f64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    // After the command: state (3), then 4..=13, utime (14), stime (15).
    let utime: f64 = fields.nth(11)?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    Some((utime + stime) / USER_HZ)
}

/// The sum and count of the statements-per-request histogram, over all
/// its label sets.
pub fn statements(scrape: &str) -> Option<(f64, f64)> {
    let sum = sample_total(scrape, &format!("{STATEMENTS}_sum"))?;
    let count = sample_total(scrape, &format!("{STATEMENTS}_count"))?;
    Some((sum, count))
}

/// The total of every sample of `name` in a Prometheus text scrape.
fn sample_total(scrape: &str, name: &str) -> Option<f64> {
    let mut total = None;
    for line in scrape.lines().filter(|l| !l.starts_with('#')) {
        let Some(rest) = line.strip_prefix(name) else {
            continue;
        };
        // `name value` or `name{labels} value`, not a longer name.
        if !(rest.starts_with(' ') || rest.starts_with('{')) {
            continue;
        }
        let value = rest.rsplit(' ').next()?.parse::<f64>().ok()?;
        *total.get_or_insert(0.0) += value;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_counts_fields_after_a_command_with_spaces() {
        let stat = "42 (tokio worker) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 1 1 1";
        assert_eq!(cpu_from_stat(stat), Some(3.0));
    }

    #[test]
    fn statements_sum_every_label_set_and_only_the_named_family() {
        let scrape = "# TYPE partnerdesk_graphql_request_sql_statements histogram\n\
            partnerdesk_graphql_request_sql_statements_bucket{le=\"4\"} 3\n\
            partnerdesk_graphql_request_sql_statements_sum{operation=\"Portal\"} 12\n\
            partnerdesk_graphql_request_sql_statements_sum{operation=\"Queue\"} 9\n\
            partnerdesk_graphql_request_sql_statements_count{operation=\"Portal\"} 3\n\
            partnerdesk_graphql_request_sql_statements_count{operation=\"Queue\"} 3\n\
            partnerdesk_graphql_request_sql_statements_sum_other 99\n";
        assert_eq!(statements(scrape), Some((21.0, 6.0)));
        assert_eq!(statements("up 1\n"), None);
    }

    #[test]
    fn database_cpu_counts_per_process() {
        let before = HashMap::from([(1, 10.0), (2, 5.0), (3, 7.0)]);
        // 1 ran 2 s, 2 ended, 4 started and ran 1 s.
        let after = HashMap::from([(1, 12.0), (3, 7.0), (4, 1.0)]);
        assert_eq!(cpu_since(&before, &after), 3.0);
    }

    #[test]
    fn this_process_has_a_cpu_time_and_a_resident_set() {
        assert!(process_cpu(std::process::id()).is_some());
        assert!(resident_mib(std::process::id()).is_some_and(|mib| mib > 0.0));
    }
}
