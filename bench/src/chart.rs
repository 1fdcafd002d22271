//! The SVG chart: per scenario, throughput and p50/p99 latency against the
//! number of clients, one line per target.

use std::path::Path;

use anyhow::Context as _;
use plotters::prelude::*;

use crate::report::Summary;

const COLOURS: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
];

/// Draws `summaries` into `path`: a row per scenario, throughput on the
/// left, latency on the right; the x axis is the client counts run.
pub fn draw(path: &Path, summaries: &[Summary], targets: &[String]) -> anyhow::Result<()> {
    let mut scenarios: Vec<&str> = Vec::new();
    let mut levels: Vec<usize> = Vec::new();
    for s in summaries {
        if !scenarios.contains(&s.scenario) {
            scenarios.push(s.scenario);
        }
        if !levels.contains(&s.concurrency) {
            levels.push(s.concurrency);
        }
    }
    levels.sort_unstable();
    if scenarios.is_empty() {
        return Ok(());
    }
    let rows = u32::try_from(scenarios.len()).context("too many scenarios")?;
    let root = SVGBackend::new(path, (1100, 280 * rows)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let panels = root.split_evenly((scenarios.len(), 2));
    let x_range = -0.3f64..(levels.len() as f64 - 0.7);
    let x_label = |x: &f64| {
        let i = x.round();
        if (x - i).abs() < 1e-6 && i >= 0.0 {
            levels
                .get(i as usize)
                .map_or_else(String::new, ToString::to_string)
        } else {
            String::new()
        }
    };
    for (row, scenario) in scenarios.iter().enumerate() {
        let of = |target: &str| -> Vec<&Summary> {
            let mut points: Vec<&Summary> = summaries
                .iter()
                .filter(|s| s.scenario == *scenario && s.target == target)
                .collect();
            points.sort_by_key(|s| s.concurrency);
            points
        };
        let x_of =
            |s: &Summary| levels.iter().position(|l| *l == s.concurrency).unwrap_or(0) as f64;
        let max_throughput = summaries
            .iter()
            .filter(|s| s.scenario == *scenario)
            .map(|s| s.throughput)
            .fold(1.0, f64::max);
        let max_latency = summaries
            .iter()
            .filter(|s| s.scenario == *scenario)
            .filter_map(|s| s.p99_ms)
            .fold(1.0, f64::max);

        let mut left = ChartBuilder::on(&panels[row * 2])
            .caption(format!("{scenario}: throughput"), ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(55)
            .build_cartesian_2d(x_range.clone(), 0f64..max_throughput * 1.1)
            .map_err(plot_error)?;
        left.configure_mesh()
            .x_desc("clients")
            .y_desc("requests/s")
            .x_labels(levels.len() * 2 + 1)
            .x_label_formatter(&x_label)
            .draw()
            .map_err(plot_error)?;
        let mut right = ChartBuilder::on(&panels[row * 2 + 1])
            .caption(
                format!("{scenario}: latency (solid p50, dashed p99)"),
                ("sans-serif", 16),
            )
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(55)
            .build_cartesian_2d(x_range.clone(), 0f64..max_latency * 1.1)
            .map_err(plot_error)?;
        right
            .configure_mesh()
            .x_desc("clients")
            .y_desc("ms")
            .x_labels(levels.len() * 2 + 1)
            .x_label_formatter(&x_label)
            .draw()
            .map_err(plot_error)?;

        for (i, target) in targets.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            let points = of(target);
            let throughput: Vec<(f64, f64)> =
                points.iter().map(|s| (x_of(s), s.throughput)).collect();
            left.draw_series(LineSeries::new(throughput.clone(), colour.stroke_width(2)))
                .map_err(plot_error)?
                .label(target.as_str())
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 16, y)], colour.stroke_width(2))
                });
            left.draw_series(
                throughput
                    .iter()
                    .map(|p| Circle::new(*p, 3, colour.filled())),
            )
            .map_err(plot_error)?;
            let p50: Vec<(f64, f64)> = points
                .iter()
                .filter_map(|s| s.p50_ms.map(|v| (x_of(s), v)))
                .collect();
            let p99: Vec<(f64, f64)> = points
                .iter()
                .filter_map(|s| s.p99_ms.map(|v| (x_of(s), v)))
                .collect();
            right
                .draw_series(LineSeries::new(p50, colour.stroke_width(2)))
                .map_err(plot_error)?;
            right
                .draw_series(DashedLineSeries::new(p99, 6, 4, colour.stroke_width(2)))
                .map_err(plot_error)?;
        }
        left.configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(plot_error)?;
    }
    root.present().map_err(plot_error)?;
    Ok(())
}

fn plot_error<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow::anyhow!("drawing the chart: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(target: &str, concurrency: usize, throughput: f64) -> Summary {
        Summary {
            scenario: "portal",
            concurrency,
            target: target.to_owned(),
            throughput,
            p50_ms: Some(2.0),
            p95_ms: Some(3.0),
            p99_ms: Some(5.0),
            requests: 10,
            errors: 0,
            statements_per_request: None,
            server_cpu_ms_per_request: None,
            db_cpu_ms_per_request: None,
            server_peak_mib: None,
        }
    }

    #[test]
    fn the_chart_is_an_svg_naming_scenarios_and_targets() -> anyhow::Result<()> {
        let dir = std::env::temp_dir().join(format!("bench-chart-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("chart.svg");
        let summaries = [
            summary("main", 1, 100.0),
            summary("main", 8, 400.0),
            summary("peer", 1, 80.0),
            summary("peer", 8, 200.0),
        ];
        draw(&path, &summaries, &["main".to_owned(), "peer".to_owned()])?;
        let svg = std::fs::read_to_string(&path)?;
        std::fs::remove_dir_all(&dir)?;
        assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(80)]);
        assert!(svg.contains("portal: throughput"));
        assert!(svg.contains("peer"));
        Ok(())
    }
}
