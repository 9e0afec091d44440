//! The backtest view's model: the equity curve, every trade with where it opened and closed,
//! and the totals.

use serde_json::{Value, json};

use crate::app::BacktestReport;

/// The view-model of one backtest report.
pub(crate) fn view_model(report: &BacktestReport) -> Value {
    let equity: Vec<Value> = report
        .equity
        .iter()
        .map(|p| json!([p.at.millis() / 1000, p.pnl]))
        .collect();
    let trades: Vec<Value> = report
        .trades
        .iter()
        .map(|t| {
            json!({
                "number": t.number,
                "kind": t.kind,
                "legs": t.strikes_label(),
                "opened": t.opened,
                "closed": t.closed,
                "expiration": t.expiration,
                "credit": t.credit,
                "underlying_at_open": t.underlying_at_open,
                "underlying_at_close": t.underlying_at_close,
                "exit": t.exit,
                "pnl": t.pnl,
            })
        })
        .collect();
    json!({
        "view": "backtest",
        "symbol": report.symbol,
        "strategy": report.strategy,
        "settings": report.settings,
        "summary": report.summary,
        "equity": equity,
        "trades": trades,
        "stock": report.stock,
        "source": report.source,
        "synthetic": report.synthetic,
    })
}
