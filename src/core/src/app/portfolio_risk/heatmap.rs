//! The scenario grid as a heat-map picture: one panel per time step, rows are IV shifts, columns
//! are moves, the worst cell outlined.

use super::report::PortfolioRisk;
use super::scenario::MoveBasis;
use super::signals::dollars;
use crate::app::chart_spec::{HeatmapPanel, HeatmapSpec};

/// Picture width.
const WIDTH: u32 = 1100;

fn signed(v: f64, unit: &str) -> String {
    if v > 0.0 {
        format!("+{v}{unit}")
    } else if v < 0.0 {
        format!("−{}{unit}", -v)
    } else {
        format!("0{unit}")
    }
}

/// The heat map of a report's scenario grid.
pub fn heatmap_spec(report: &PortfolioRisk) -> HeatmapSpec {
    let scenarios = &report.scenarios;
    let rows: Vec<String> = scenarios
        .iv_shifts
        .iter()
        .map(|shift| format!("IV {}", signed(*shift, " pts")))
        .collect();
    let worst = scenarios.worst.as_ref();
    let panels: Vec<HeatmapPanel> = scenarios
        .days
        .iter()
        .zip(&scenarios.pnl)
        .map(|(days, values)| HeatmapPanel {
            title: match days {
                0 => "Today".to_owned(),
                1 => "In 1 day".to_owned(),
                n => format!("In {n} days"),
            },
            rows: rows.clone(),
            values: values.clone(),
            marked: worst.filter(|w| w.cell.days == *days).and_then(|w| {
                let row = scenarios.iv_shifts.iter().position(|s| *s == w.cell.iv_shift)?;
                let column = scenarios
                    .moves_percent
                    .iter()
                    .position(|m| *m == w.cell.move_percent)?;
                Some((row, column))
            }),
        })
        .collect();
    let cells_high = panels.len() * (rows.len() + 1);
    let height = (150 + 46 * cells_high as u32).clamp(320, 2400);
    let what = match scenarios.move_basis {
        MoveBasis::SpyBeta => "SPY move (each underlying × its beta)",
        MoveBasis::Symbol => "move of every underlying",
    };
    let scope = report
        .symbol
        .as_ref()
        .map_or(String::new(), |s| format!(" · {s} only"));
    let worst_text = worst.map_or(String::new(), |w| {
        format!(
            "worst {} at {} · ",
            dollars(w.pnl, 0),
            w.label.as_deref().unwrap_or_default()
        )
    });
    let source = if report.synthetic {
        format!("{} — SYNTHETIC demo data, not market prices", report.source)
    } else {
        report.source.clone()
    };
    HeatmapSpec {
        title: format!("Portfolio scenarios · {}{scope}", report.account),
        subtitle: format!("P&L ($), full repricing · {worst_text}{source}"),
        column_title: what.to_owned(),
        columns: scenarios.moves_percent.iter().map(|m| signed(*m, " %")).collect(),
        panels,
        width: WIDTH,
        height,
    }
}
