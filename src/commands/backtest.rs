//! `ttai backtest`: a strategy stepped through a recorded tape (`app::backtest`), reported as a
//! table (or JSON), with a progress bar on a terminal and the equity curve as a PNG on request.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context, bail};
use ttai_core::app::{BacktestProgress, BacktestReport, BacktestRequest, BacktestStrategy, Fill, SeriesSpec};
use ttai_core::domain::Symbol;
use ttai_core::time::{MS_PER_DAY, Timestamp};

use crate::cli::BacktestArgs;
use crate::compose;
use crate::settings::Settings;

/// Reads `--from`/`--to`: a date means its start (`from`) or its end (`to`).
fn parse_time(text: &str, end_of_day: bool, flag: &str) -> anyhow::Result<Timestamp> {
    let text = text.trim();
    let at: Timestamp = text
        .parse()
        .map_err(|e| anyhow::anyhow!("{flag}: {e} (give YYYY-MM-DD or an RFC 3339 time)"))?;
    let date_only = text.len() == 10;
    Ok(if date_only && end_of_day {
        at.add_millis(MS_PER_DAY - 1)
    } else {
        at
    })
}

/// The request the arguments describe.
fn request(args: &BacktestArgs) -> anyhow::Result<BacktestRequest> {
    let Some(strategy) = BacktestStrategy::parse(&args.strategy) else {
        bail!(
            "--strategy: {:?} is not one of csp, covered_call, spread, wheel",
            args.strategy
        );
    };
    let symbol = Symbol::parse(&args.symbol).map_err(|e| anyhow::anyhow!("--symbol: {e}"))?;
    let mut request = BacktestRequest::new(symbol, strategy);
    request.from = args
        .from
        .as_deref()
        .map(|t| parse_time(t, false, "--from"))
        .transpose()?;
    request.to = args
        .to
        .as_deref()
        .map(|t| parse_time(t, true, "--to"))
        .transpose()?;
    if let (Some(from), Some(to)) = (request.from, request.to)
        && from > to
    {
        bail!("--from must not be after --to");
    }
    request.rules.dte_min = args.dte_min.unwrap_or(request.rules.dte_min);
    request.rules.dte_max = args.dte_max.unwrap_or(request.rules.dte_max);
    request.rules.delta_min = args.delta_min.unwrap_or(request.rules.delta_min);
    request.rules.delta_max = args.delta_max.unwrap_or(request.rules.delta_max);
    let Some(fill) = Fill::parse(&args.fill) else {
        bail!(
            "--fill: {:?} is not mid or natural",
            args.fill.trim().to_ascii_lowercase()
        );
    };
    request.rules.fill = fill;
    request.rules.take_profit = match args.take_profit {
        None => None,
        Some(p) if p > 0.0 && p <= 100.0 => Some(p / 100.0),
        Some(p) => bail!("--take-profit: {p} is not a percentage in (0, 100]"),
    };
    Ok(request)
}

/// A progress bar on stderr, redrawn in place.
fn draw_progress(p: BacktestProgress) {
    const WIDTH: usize = 30;
    let filled = (p.done * WIDTH).checked_div(p.total).unwrap_or(WIDTH).min(WIDTH);
    let bar: String = "#".repeat(filled) + &"-".repeat(WIDTH - filled);
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "\r[{bar}] {}/{} {}  trades {}  P&L {:+.2}   ",
        p.done,
        p.total,
        p.at.date(),
        p.trades,
        p.pnl
    );
    if p.done == p.total {
        let _ = write!(err, "\r{}\r", " ".repeat(WIDTH + 70));
    }
    let _ = err.flush();
}

fn signed(v: f64) -> String {
    format!("{v:+.2}")
}

/// The report as text for people.
fn table(report: &BacktestReport) -> String {
    let s = &report.summary;
    let settings = &report.settings.rules;
    let mut out = String::new();
    out.push_str(&format!(
        "Backtest: {} on {} · {}{}\n",
        report.strategy.as_str(),
        report.symbol,
        report.source,
        if report.synthetic { " (SYNTHETIC data)" } else { "" }
    ));
    out.push_str(&format!(
        "DTE {}–{}, short delta {}–{}, fill {}, {}\n\n",
        settings.dte_min,
        settings.dte_max,
        settings.delta_min,
        settings.delta_max,
        if settings.fill == Fill::Mid {
            "mid"
        } else {
            "natural (half the spread)"
        },
        settings.take_profit.map_or_else(
            || "held to expiration".to_owned(),
            |tp| format!("take profit at {:.0}% of the credit", tp * 100.0)
        )
    ));
    out.push_str(&format!(
        "{:>3}  {:<10}  {:<10}  {:<16}  {:<14}  {:>7}  {:>9}  {:>9}  {:<20}  {:>10}\n",
        "#", "opened", "expires", "kind", "strikes", "credit", "S open", "S close", "exit", "P&L"
    ));
    for t in &report.trades {
        let strikes = t.strikes_label();
        out.push_str(&format!(
            "{:>3}  {:<10}  {:<10}  {:<16}  {:<14}  {:>7.2}  {:>9.2}  {:>9}  {:<20}  {:>10}\n",
            t.number,
            t.opened,
            t.expiration,
            t.kind,
            strikes,
            t.credit,
            t.underlying_at_open,
            t.underlying_at_close
                .map_or_else(|| "-".to_owned(), |v| format!("{v:.2}")),
            t.exit,
            signed(t.pnl)
        ));
    }
    for m in &report.stock {
        out.push_str(&format!(
            "     {:<10}  shares {:<12} 100 @ {:.2}{}\n",
            m.date,
            m.action,
            m.price,
            m.pnl.map_or_else(String::new, |p| format!("  P&L {}", signed(p)))
        ));
    }
    out.push('\n');
    out.push_str(&format!(
        "trades {} (closed {}, wins {}, losses {}) · win rate {:.1}%\n",
        s.trades, s.closed, s.wins, s.losses, s.win_rate_percent
    ));
    out.push_str(&format!(
        "P&L {} (options {}, stock {}, of which open {}) on capital {:.2}\n",
        signed(s.total_pnl),
        signed(s.option_pnl),
        signed(s.stock_pnl),
        signed(s.unrealized_pnl),
        s.capital
    ));
    out.push_str(&format!(
        "return {:.2}% over {} days · annualized {:.2}% · max drawdown {:.2} ({:.2}% of capital)\n",
        s.total_return_percent, s.days, s.annualized_return_percent, s.max_drawdown, s.max_drawdown_percent
    ));
    if !report.skipped.is_empty() {
        out.push_str(&format!(
            "{} entry date(s) without a trade (see --json `skipped`)\n",
            report.skipped.len()
        ));
    }
    out
}

/// Runs the backtest and prints its report.
pub(crate) async fn run(settings: &Settings, args: &BacktestArgs) -> anyhow::Result<ExitCode> {
    let request = request(args)?;
    let app = compose::backtest_app(settings).await?;
    let show_progress = std::io::stderr().is_terminal();
    let progress = move |p: BacktestProgress| {
        if show_progress {
            draw_progress(p);
        }
    };
    let report = app
        .backtest(&request, &progress)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    if let Some(path) = &args.chart {
        let spec = SeriesSpec {
            title: format!("Backtest · {} on {}", report.strategy.as_str(), report.symbol),
            subtitle: format!(
                "P&L {:+.2} · return {:.2}% · max drawdown {:.2} · {}{}",
                report.summary.total_pnl,
                report.summary.total_return_percent,
                report.summary.max_drawdown,
                report.source,
                if report.synthetic { " (synthetic data)" } else { "" }
            ),
            label: "P&L to date ($), open positions at the mid".to_owned(),
            points: report.equity.iter().map(|p| (p.at, p.pnl)).collect(),
            width: 1200,
            height: 600,
        };
        let png = compose::chart_renderer()
            .render_series_png(&spec)
            .map_err(|e| anyhow::anyhow!("the equity curve cannot be drawn: {e}"))?;
        std::fs::write(path, png).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("equity curve written to {}", path.display());
    }
    let text = if args.json {
        serde_json::to_string_pretty(&report).context("printing the report")?
    } else {
        table(&report)
    };
    crate::compose::print_document(&text).context("writing to stdout")?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(strategy: &str) -> BacktestArgs {
        BacktestArgs {
            strategy: strategy.to_owned(),
            symbol: "SPY".to_owned(),
            from: Some("2025-01-01".to_owned()),
            to: Some("2025-06-30".to_owned()),
            dte_min: None,
            dte_max: Some(50),
            delta_min: None,
            delta_max: None,
            fill: "natural".to_owned(),
            take_profit: Some(50.0),
            json: false,
            chart: None,
            _tape: None,
            _data: Default::default(),
            _analysis: Default::default(),
        }
    }

    #[test]
    fn arguments_become_a_request() {
        let r = request(&args("wheel")).unwrap();
        assert_eq!(r.strategy, BacktestStrategy::Wheel);
        assert_eq!((r.rules.dte_min, r.rules.dte_max), (30, 50));
        assert_eq!(r.rules.fill, Fill::Natural);
        assert_eq!(r.rules.take_profit, Some(0.5));
        assert_eq!(r.from.unwrap().to_string(), "2025-01-01T00:00:00Z");
        assert_eq!(r.to.unwrap().date().to_string(), "2025-06-30");
        assert!(r.to.unwrap() > "2025-06-30T23:59:00Z".parse::<Timestamp>().unwrap());
    }

    #[test]
    fn bad_arguments_are_named() {
        let err = request(&args("straddle")).unwrap_err().to_string();
        assert!(err.contains("--strategy"), "{err}");
        let mut bad = args("csp");
        bad.take_profit = Some(150.0);
        assert!(request(&bad).unwrap_err().to_string().contains("--take-profit"));
        let mut bad = args("csp");
        bad.fill = "best".to_owned();
        assert!(request(&bad).unwrap_err().to_string().contains("--fill"));
        let mut bad = args("csp");
        bad.from = Some("2025-07-01".to_owned());
        assert!(request(&bad).unwrap_err().to_string().contains("--from"));
        let mut bad = args("csp");
        bad.to = Some("soon".to_owned());
        assert!(request(&bad).unwrap_err().to_string().contains("--to"));
    }
}
