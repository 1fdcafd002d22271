//! How far the generator got: a progress bar on a terminal (rows done,
//! rows per second, time left), a plain line every few seconds otherwise
//! (a log, a CI run), nothing in tests.

use std::io::IsTerminal as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Where progress goes.
#[derive(Debug)]
pub enum Progress {
    Bar(ProgressBar),
    Lines(Mutex<Lines>),
    Quiet,
}

/// The state of plain progress lines.
#[derive(Debug)]
pub struct Lines {
    total: u64,
    done: u64,
    started: Instant,
    last: Instant,
}

/// How often a plain progress line is printed.
const EVERY: Duration = Duration::from_secs(5);

impl Progress {
    /// A bar when standard error is a terminal, lines otherwise.
    pub fn on_stderr() -> Self {
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "{elapsed_precise} [{wide_bar}] {human_pos}/{human_len} rows, {per_sec}, {eta} left",
            ) {
                bar.set_style(style);
            }
            Self::Bar(bar)
        } else {
            let now = Instant::now();
            Self::Lines(Mutex::new(Lines {
                total: 0,
                done: 0,
                started: now,
                last: now,
            }))
        }
    }

    /// Sets how many rows there are to write.
    pub fn start(&self, total: u64) {
        match self {
            Self::Bar(bar) => {
                bar.set_length(total);
                bar.reset_eta();
            }
            Self::Lines(lines) => {
                if let Ok(mut lines) = lines.lock() {
                    lines.total = total;
                    lines.started = Instant::now();
                    lines.last = lines.started;
                }
            }
            Self::Quiet => {}
        }
    }

    /// Counts `rows` more rows written.
    pub fn add(&self, rows: u64) {
        match self {
            Self::Bar(bar) => bar.inc(rows),
            Self::Lines(lines) => {
                let Ok(mut lines) = lines.lock() else {
                    return;
                };
                lines.done += rows;
                let now = Instant::now();
                if now.duration_since(lines.last) >= EVERY || lines.done == lines.total {
                    lines.last = now;
                    eprintln!("{}", lines.line(now));
                }
            }
            Self::Quiet => {}
        }
    }

    /// Ends the bar (it stays on screen).
    pub fn finish(&self) {
        if let Self::Bar(bar) = self {
            bar.finish();
        }
    }
}

impl Lines {
    fn line(&self, now: Instant) -> String {
        let secs = now.duration_since(self.started).as_secs_f64().max(0.001);
        let rate = self.done as f64 / secs;
        let left = if rate > 0.0 {
            (self.total.saturating_sub(self.done)) as f64 / rate
        } else {
            0.0
        };
        format!(
            "seed: {}/{} rows ({:.0}%), {:.0} rows/s, about {:.0} s left",
            self.done,
            self.total,
            100.0 * self.done as f64 / self.total.max(1) as f64,
            rate,
            left
        )
    }
}
