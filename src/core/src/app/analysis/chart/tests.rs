//! Chart analyses of made-up series: trends, the quant library's values, errors, IV against HV.

use super::volatility::hv_window;
use super::*;
use crate::testing::sample_candles;
use crate::time::Date;

fn sym() -> Symbol {
    Symbol::parse("TEST").unwrap()
}

#[test]
fn a_steady_rise_is_an_uptrend_with_support_below() {
    let candles = sample_candles(100.0, 0.002, 300, Date::from_ymd(2025, 6, 13).unwrap());
    let a = analyze_series(&sym(), Timeframe::Daily, &candles, None).unwrap();
    assert_eq!(a.trend.direction, "uptrend", "{}", a.trend.reason);
    assert_eq!(a.trend.sma200.above, Some(true));
    assert!(a.trend.sma50.slope_percent_per_bar.unwrap() > 0.0);
    assert!(a.signals.iter().any(|s| s.name == "above_sma200"));
    assert!(a.levels.nearest_support.unwrap() < a.last_close);
    assert!(a.summary.starts_with("TEST (daily): uptrend"));
}

#[test]
fn a_steady_fall_is_a_downtrend() {
    let candles = sample_candles(300.0, -0.002, 300, Date::from_ymd(2025, 6, 13).unwrap());
    let a = analyze_series(&sym(), Timeframe::Daily, &candles, None).unwrap();
    assert_eq!(a.trend.direction, "downtrend");
    assert!(a.signals.iter().any(|s| s.name == "below_sma200"));
}

#[test]
fn indicator_values_are_the_quant_librarys() {
    let candles = sample_candles(100.0, 0.001, 250, Date::from_ymd(2025, 6, 13).unwrap());
    let a = analyze_series(&sym(), Timeframe::Daily, &candles, None).unwrap();
    let close: Vec<f64> = candles.iter().map(|c| c.close).collect();
    let rsi = indicators::rsi(&close, 14).last().copied().flatten().unwrap();
    assert_eq!(a.momentum.rsi14, Some(round_to(rsi, 2)));
    let sma = indicators::sma(&close, 20).last().copied().flatten().unwrap();
    assert_eq!(a.trend.sma20.value, Some(round_to(sma, 4)));
}

#[test]
fn too_little_history_is_an_analysis_error() {
    let candles = sample_candles(100.0, 0.001, 10, Date::from_ymd(2025, 6, 13).unwrap());
    let err = analyze_series(&sym(), Timeframe::Daily, &candles, None).unwrap_err();
    assert_eq!(err.code, ErrorCode::AnalysisError);
}

#[test]
fn weekly_historical_volatility_is_named_by_its_window() {
    assert_eq!(hv_window(Timeframe::Weekly), "20 weeks");
    assert_eq!(hv_window(Timeframe::Daily), "20 days");
    assert_eq!(hv_window(Timeframe::Intraday), "20 five-minute bars");
}

#[test]
fn iv_against_hv_is_reported_when_metrics_exist() {
    let candles = sample_candles(100.0, 0.001, 260, Date::from_ymd(2025, 6, 13).unwrap());
    let metrics = MarketMetrics {
        symbol: sym(),
        iv_index: Some(0.9),
        iv_rank: Some(0.8),
        iv_percentile: None,
        hv_30: None,
        hv_60: None,
        hv_90: None,
        earnings_date: None,
        liquidity_rating: None,
        beta: None,
        dividend_yield: None,
        ex_dividend_date: None,
        as_of: candles.last().unwrap().time,
    };
    let a = analyze_series(&sym(), Timeframe::Daily, &candles, Some(&metrics)).unwrap();
    assert_eq!(a.volatility.hv_window, "20 days");
    assert!(
        a.signals
            .iter()
            .any(|s| s.detail.contains("realised over the last 20 days"))
    );
    assert!(a.volatility.iv_hv_ratio.unwrap() > 1.2);
    assert!(a.signals.iter().any(|s| s.name == "iv_above_hv"));
}
