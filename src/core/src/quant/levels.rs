//! Support and resistance from swing highs and lows.
//!
//! A bar `i` with `k <= i <= n - 1 - k` is a swing high when its high is strictly greater than
//! every other high in `[i - k, i + k]`, and a swing low when its low is strictly less than every
//! other low there. Equal highs (plateaus) therefore never count, and neither do NaNs.

/// The swing points of a series and the levels around its last close.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SwingLevels {
    /// The half-width of the window the swings were found with.
    pub k: usize,
    /// Indices of the swing highs, ascending.
    pub swing_high_idx: Vec<usize>,
    /// Indices of the swing lows, ascending.
    pub swing_low_idx: Vec<usize>,
    /// The highs at `swing_high_idx`.
    pub swing_high: Vec<f64>,
    /// The lows at `swing_low_idx`.
    pub swing_low: Vec<f64>,
    /// The lowest swing high strictly above the last close.
    pub nearest_resistance: Option<f64>,
    /// The highest swing low strictly below the last close.
    pub nearest_support: Option<f64>,
    /// Swing highs strictly above the last close, de-duplicated, nearest (lowest) first.
    pub resistance_above_last_close: Vec<f64>,
    /// Swing lows strictly below the last close, de-duplicated, nearest (highest) first.
    pub support_below_last_close: Vec<f64>,
}

/// Whether `values[i]` beats every other value in `[i - k, i + k]` by `beats`.
fn is_extreme(values: &[f64], i: usize, k: usize, beats: impl Fn(f64, f64) -> bool) -> bool {
    let Some(start) = i.checked_sub(k) else {
        return false;
    };
    let (Some(&center), Some(window)) = (values.get(i), values.get(start..=i.saturating_add(k))) else {
        return false;
    };
    window
        .iter()
        .enumerate()
        .all(|(j, &other)| j == k || beats(center, other))
}

/// Finds the swing highs and lows with half-width `k` and the levels around the last close.
///
/// Bars are counted over the shortest of `high` and `low`; the last close is the last element of
/// `close` (no levels when it is empty or NaN). A `k` of 0 finds no swings.
pub fn swing_levels(high: &[f64], low: &[f64], close: &[f64], k: usize) -> SwingLevels {
    let n = high.len().min(low.len());
    let candidates = if k == 0 || n < 2 * k + 1 { 0..0 } else { k..n - k };
    let swing_high_idx: Vec<usize> = candidates
        .clone()
        .filter(|&i| is_extreme(high, i, k, |c, o| c > o))
        .collect();
    let swing_low_idx: Vec<usize> = candidates
        .filter(|&i| is_extreme(low, i, k, |c, o| c < o))
        .collect();
    let swing_high: Vec<f64> = swing_high_idx
        .iter()
        .filter_map(|&i| high.get(i).copied())
        .collect();
    let swing_low: Vec<f64> = swing_low_idx
        .iter()
        .filter_map(|&i| low.get(i).copied())
        .collect();
    let last_close = close.last().copied().unwrap_or(f64::NAN);
    let mut resistance_above_last_close: Vec<f64> =
        swing_high.iter().copied().filter(|&h| h > last_close).collect();
    resistance_above_last_close.sort_by(f64::total_cmp);
    resistance_above_last_close.dedup();
    let mut support_below_last_close: Vec<f64> =
        swing_low.iter().copied().filter(|&l| l < last_close).collect();
    support_below_last_close.sort_by(|a, b| b.total_cmp(a));
    support_below_last_close.dedup();
    SwingLevels {
        k,
        nearest_resistance: resistance_above_last_close.first().copied(),
        nearest_support: support_below_last_close.first().copied(),
        swing_high_idx,
        swing_low_idx,
        swing_high,
        swing_low,
        resistance_above_last_close,
        support_below_last_close,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn strict_swings_and_nearest_levels() {
        let high = [1.0, 2.0, 5.0, 2.0, 1.0, 3.0, 3.0, 1.0, 0.5, 4.0, 1.0, 1.0];
        let low = [0.5, 1.0, 4.0, 1.0, 0.2, 2.0, 2.0, 0.6, 0.1, 3.0, 0.9, 0.9];
        let close = [2.5];
        let levels = swing_levels(&high, &low, &close, 2);
        // The plateau at 5 and 6 is no swing high.
        assert_eq!(levels.swing_high_idx, vec![2, 9]);
        assert_eq!(levels.swing_low_idx, vec![4, 8]);
        assert_eq!(levels.swing_high, vec![5.0, 4.0]);
        assert_eq!(levels.nearest_resistance, Some(4.0));
        assert_eq!(levels.resistance_above_last_close, vec![4.0, 5.0]);
        assert_eq!(levels.nearest_support, Some(0.2));
        assert_eq!(levels.support_below_last_close, vec![0.2, 0.1]);
    }

    #[test]
    fn degenerate_inputs() {
        let empty = swing_levels(&[], &[], &[], 2);
        assert!(empty.swing_high_idx.is_empty() && empty.nearest_support.is_none());
        let flat = [1.0; 10];
        assert!(swing_levels(&flat, &flat, &flat, 0).swing_low_idx.is_empty());
        assert!(swing_levels(&flat, &flat, &flat, 2).swing_low_idx.is_empty());
        assert!(swing_levels(&flat, &flat, &flat, 5).swing_high_idx.is_empty());
    }

    proptest! {
        #[test]
        fn never_panics(
            high in prop::collection::vec(any::<f64>(), 0..40),
            low in prop::collection::vec(any::<f64>(), 0..40),
            close in prop::collection::vec(any::<f64>(), 0..3),
            k in 0usize..25,
        ) {
            let levels = swing_levels(&high, &low, &close, k);
            prop_assert_eq!(levels.swing_high.len(), levels.swing_high_idx.len());
        }
    }
}
