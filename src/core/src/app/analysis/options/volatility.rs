//! Implied against realised volatility: the verdict a trader reads, the IV context of a result,
//! and the model volatility the candidates are valued at.

use super::view::IvContext;
use super::{IV_RANK_HIGH, IV_RANK_LOW, MODEL_IV_WEIGHT};
use crate::domain::MarketMetrics;

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// One sentence that reconciles implied against realised volatility with IV rank.
pub fn volatility_verdict(iv: Option<f64>, hv: Option<f64>, rank: Option<f64>) -> String {
    let versus = match (iv, hv) {
        (Some(iv), Some(hv)) if hv > 0.0 => Some((iv, hv, iv > hv)),
        _ => None,
    };
    match (versus, rank) {
        (Some((iv, hv, true)), Some(r)) if r >= IV_RANK_HIGH => format!(
            "IV {} is above the 30-day HV {} and IV rank {r:.2} is high for the past year: premium is rich on both counts, which favours selling it",
            pct(iv),
            pct(hv)
        ),
        (Some((iv, hv, false)), Some(r)) if r >= IV_RANK_HIGH => format!(
            "IV rank {r:.2} is high for the past year, but IV {} is not above the 30-day HV {}: the stock is moving as much as options price, so the premium is high without being rich",
            pct(iv),
            pct(hv)
        ),
        (Some((iv, hv, true)), Some(r)) if r >= IV_RANK_LOW => format!(
            "IV {} is above the 30-day HV {} with IV rank {r:.2} in the middle of its year: premium is fair to modestly rich",
            pct(iv),
            pct(hv)
        ),
        (Some((iv, hv, false)), Some(r)) if r >= IV_RANK_LOW => format!(
            "IV rank {r:.2} is in the middle of its year, but IV {} is not above the 30-day HV {}: premium is fair at best against recent movement",
            pct(iv),
            pct(hv)
        ),
        (Some((iv, hv, true)), Some(r)) => format!(
            "IV {} is above the 30-day HV {}, yet IV rank {r:.2} is low for the past year: options still price more movement than the stock has shown, but premium is cheap by its own history, so the edge is thin",
            pct(iv),
            pct(hv)
        ),
        (Some((iv, hv, false)), Some(r)) => format!(
            "IV {} is not above the 30-day HV {} and IV rank {r:.2} is low: premium is cheap on both counts; selling it is not favoured",
            pct(iv),
            pct(hv)
        ),
        (Some((iv, hv, rich)), None) => format!(
            "IV {} is {} the 30-day HV {} (no IV rank to compare with the past year)",
            pct(iv),
            if rich { "above" } else { "not above" },
            pct(hv)
        ),
        (None, Some(r)) if r >= IV_RANK_HIGH => {
            format!(
                "IV rank {r:.2} is high for the past year (no HV to compare with): premium is rich by its own history"
            )
        }
        (None, Some(r)) if r >= IV_RANK_LOW => {
            format!("IV rank {r:.2} is in the middle of its year (no HV to compare with): premium is fair")
        }
        (None, Some(r)) => format!(
            "IV rank {r:.2} is low for the past year (no HV to compare with): premium is cheap; consider waiting or smaller size"
        ),
        (None, None) => {
            "no IV rank or HV available: judge premium by the candidates' expected value".to_owned()
        }
    }
}

pub(super) fn iv_context(metrics: Option<&MarketMetrics>, atm: Option<f64>) -> IvContext {
    let rank = metrics.and_then(|m| m.iv_rank);
    let hv = metrics.and_then(|m| m.hv_30);
    let iv = metrics.and_then(|m| m.iv_index).or(atm);
    IvContext {
        iv_rank: rank,
        iv_percentile: metrics.and_then(|m| m.iv_percentile),
        iv_index: metrics.and_then(|m| m.iv_index),
        hv_30: hv,
        earnings_date: metrics.and_then(|m| m.earnings_date).map(|d| d.to_string()),
        iv_rank_thresholds: [IV_RANK_LOW, IV_RANK_HIGH],
        assessment: volatility_verdict(iv, hv, rank),
    }
}

/// The model volatility of an expiration and where it came from.
pub(super) fn model_vol(atm: Option<f64>, hv: Option<f64>) -> Option<(f64, &'static str)> {
    let hv = hv.filter(|h| h.is_finite() && *h > 0.0);
    match (atm, hv) {
        (Some(a), Some(h)) => Some((MODEL_IV_WEIGHT * a + (1.0 - MODEL_IV_WEIGHT) * h, "atm_iv+hv30")),
        (Some(a), None) => Some((a, "atm_iv")),
        (None, Some(h)) => Some((h, "hv30")),
        (None, None) => None,
    }
}
