//! Technical indicators that match TA-Lib 0.8 (compatibility mode, no unstable period).
//!
//! Every batch function returns one `Option<f64>` per input bar: `None` during the warm-up,
//! exactly where TA-Lib's output starts later, and a value afterwards. The recursions follow
//! TA-Lib's order of floating-point operations, so the results agree with it to a few ulps.
//!
//! Degenerate inputs never panic. A period of 0, fewer bars than the warm-up needs, or any
//! non-finite value (NaN or an infinity) in an input gives all `None`; so do input slices of
//! different lengths, in which case the output has one entry per close. The streaming states
//! ([`EmaState`], [`RsiState`], [`AtrState`], [`MacdState`]) are what the batch functions run;
//! a non-finite input poisons a state, and every later update returns `None`.

/// `TA_IS_ZERO`: TA-Lib treats magnitudes below 1e-14 as zero.
const TA_EPSILON: f64 = 1e-14;

fn all_none(len: usize) -> Vec<Option<f64>> {
    vec![None; len]
}

fn all_finite(values: &[f64]) -> bool {
    values.iter().all(|v| v.is_finite())
}

/// Simple moving average of the last `period` values; the first value is at index `period - 1`.
///
/// Like TA-Lib, it keeps a running total (add the new value, divide, drop the oldest).
pub fn sma(values: &[f64], period: usize) -> Vec<Option<f64>> {
    let mut out = all_none(values.len());
    if period == 0 || values.len() < period || !all_finite(values) {
        return out;
    }
    let divisor = period as f64;
    let mut total = 0.0;
    let mut trailing = values.iter();
    for (i, (x, slot)) in values.iter().zip(out.iter_mut()).enumerate() {
        total += x;
        if i + 1 >= period {
            *slot = Some(total / divisor);
            if let Some(old) = trailing.next() {
                total -= old;
            }
        }
    }
    out
}

/// Exponential moving average, updated one value at a time.
///
/// TA-Lib's seeding: the first value is the simple average of the first `period` inputs, and
/// then `e = e + k (x - e)` with `k = 2 / (period + 1)`.
#[derive(Clone, Debug, PartialEq)]
pub struct EmaState {
    period: usize,
    k: f64,
    count: usize,
    sum: f64,
    value: Option<f64>,
    poisoned: bool,
}

impl EmaState {
    /// A fresh average over `period` values; a period of 0 never yields a value.
    pub fn new(period: usize) -> EmaState {
        EmaState {
            period,
            k: 2.0 / (period as f64 + 1.0),
            count: 0,
            sum: 0.0,
            value: None,
            poisoned: period == 0,
        }
    }

    /// Feeds one value; returns the average once `period` values have been seen.
    pub fn update(&mut self, x: f64) -> Option<f64> {
        if self.poisoned {
            return None;
        }
        if !x.is_finite() {
            self.poisoned = true;
            self.value = None;
            return None;
        }
        match self.value {
            Some(prev) => self.value = Some((x - prev) * self.k + prev),
            None => {
                self.sum += x;
                self.count += 1;
                if self.count == self.period {
                    self.value = Some(self.sum / self.period as f64);
                }
            }
        }
        self.value
    }

    /// The current average, if the warm-up is over.
    pub fn value(&self) -> Option<f64> {
        self.value
    }
}

/// Exponential moving average, SMA-seeded at index `period - 1` (TA-Lib's `EMA`).
pub fn ema(values: &[f64], period: usize) -> Vec<Option<f64>> {
    if period == 0 || values.len() < period || !all_finite(values) {
        return all_none(values.len());
    }
    let mut state = EmaState::new(period);
    values.iter().map(|&x| state.update(x)).collect()
}

/// Wilder's relative strength index, updated one close at a time.
///
/// The first value comes after `period` price changes: the average gain and loss start as plain
/// means of those changes and then follow `avg = (avg (period - 1) + current) / period`.
/// When gains and losses are both (nearly) zero the RSI is 0, as in TA-Lib.
#[derive(Clone, Debug, PartialEq)]
pub struct RsiState {
    period: usize,
    prev_close: Option<f64>,
    count: usize,
    gain: f64,
    loss: f64,
    seeded: bool,
    poisoned: bool,
}

impl RsiState {
    /// A fresh RSI over `period` changes; a period of 0 never yields a value.
    pub fn new(period: usize) -> RsiState {
        RsiState {
            period,
            prev_close: None,
            count: 0,
            gain: 0.0,
            loss: 0.0,
            seeded: false,
            poisoned: period == 0,
        }
    }

    /// Feeds one close; returns the RSI (0 to 100) once `period` changes have been seen.
    pub fn update(&mut self, close: f64) -> Option<f64> {
        if self.poisoned {
            return None;
        }
        if !close.is_finite() {
            self.poisoned = true;
            return None;
        }
        let prev = self.prev_close.replace(close)?;
        let change = close - prev;
        let divisor = self.period as f64;
        if self.seeded {
            self.loss *= divisor - 1.0;
            self.gain *= divisor - 1.0;
        }
        if change < 0.0 {
            self.loss -= change;
        } else {
            self.gain += change;
        }
        if !self.seeded {
            self.count += 1;
            if self.count < self.period {
                return None;
            }
            self.seeded = true;
        }
        self.loss /= divisor;
        self.gain /= divisor;
        let total = self.gain + self.loss;
        Some(if total.abs() < TA_EPSILON {
            0.0
        } else {
            100.0 * (self.gain / total)
        })
    }
}

/// Wilder's RSI (TA-Lib's `RSI`); the first value is at index `period`.
pub fn rsi(close: &[f64], period: usize) -> Vec<Option<f64>> {
    if period == 0 || close.len() <= period || !all_finite(close) {
        return all_none(close.len());
    }
    let mut state = RsiState::new(period);
    close.iter().map(|&x| state.update(x)).collect()
}

/// The three MACD series, one entry per bar.
#[derive(Clone, Debug, PartialEq)]
pub struct Macd {
    /// Fast EMA minus slow EMA.
    pub macd: Vec<Option<f64>>,
    /// EMA of the MACD line.
    pub signal: Vec<Option<f64>>,
    /// MACD line minus signal.
    pub hist: Vec<Option<f64>>,
}

/// One bar of MACD output.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MacdValue {
    /// Fast EMA minus slow EMA.
    pub macd: f64,
    /// EMA of the MACD line.
    pub signal: f64,
    /// MACD line minus signal.
    pub hist: f64,
}

/// MACD updated one close at a time, with TA-Lib's seeding.
///
/// Both EMAs come to life at bar `slow - 1`: the fast EMA only starts reading closes at bar
/// `slow - fast`, so it is seeded with the mean of closes `slow - fast ..= slow - 1`, not of the
/// first `fast` closes. The signal EMA is seeded with the mean of the first `signal` line values,
/// so the first output is at bar `slow + signal - 2`. If `slow < fast` the two are swapped, as
/// TA-Lib does.
#[derive(Clone, Debug, PartialEq)]
pub struct MacdState {
    fast: EmaState,
    slow: EmaState,
    signal: EmaState,
    fast_start: usize,
    bars: usize,
}

impl MacdState {
    /// A fresh MACD; any period of 0 never yields a value.
    pub fn new(fast: usize, slow: usize, signal: usize) -> MacdState {
        let (fast, slow) = if slow < fast { (slow, fast) } else { (fast, slow) };
        MacdState {
            fast: EmaState::new(fast),
            slow: EmaState::new(slow),
            signal: EmaState::new(signal),
            fast_start: slow.saturating_sub(fast),
            bars: 0,
        }
    }

    /// Feeds one close; returns the line, signal and histogram once the warm-up is over.
    pub fn update(&mut self, close: f64) -> Option<MacdValue> {
        let bar = self.bars;
        self.bars = self.bars.saturating_add(1);
        let slow = self.slow.update(close);
        let fast = if bar >= self.fast_start {
            self.fast.update(close)
        } else {
            None
        };
        let macd = fast? - slow?;
        let signal = self.signal.update(macd)?;
        Some(MacdValue {
            macd,
            signal,
            hist: macd - signal,
        })
    }
}

/// MACD (TA-Lib's `MACD(close, fast, slow, signal)`), all three series starting at bar
/// `slow + signal - 2` (33 for 12/26/9). See [`MacdState`] for TA-Lib's seeding.
pub fn macd(close: &[f64], fast: usize, slow: usize, signal: usize) -> Macd {
    let n = close.len();
    let mut out = Macd {
        macd: all_none(n),
        signal: all_none(n),
        hist: all_none(n),
    };
    let longest = fast.max(slow);
    if fast == 0 || slow == 0 || signal == 0 || n + 1 < longest + signal || !all_finite(close) {
        return out;
    }
    let mut state = MacdState::new(fast, slow, signal);
    let slots = out
        .macd
        .iter_mut()
        .zip(out.signal.iter_mut())
        .zip(out.hist.iter_mut());
    for (&x, ((line, sig), hist)) in close.iter().zip(slots) {
        if let Some(value) = state.update(x) {
            *line = Some(value.macd);
            *sig = Some(value.signal);
            *hist = Some(value.hist);
        }
    }
    out
}

/// Bollinger bands, one entry per bar.
#[derive(Clone, Debug, PartialEq)]
pub struct Bollinger {
    /// Middle plus `k_up` standard deviations.
    pub upper: Vec<Option<f64>>,
    /// The simple moving average.
    pub middle: Vec<Option<f64>>,
    /// Middle minus `k_down` standard deviations.
    pub lower: Vec<Option<f64>>,
}

/// Bollinger bands (TA-Lib's `BBANDS` with an SMA): the middle is the SMA of `period` closes
/// and the bands are `k_up` and `k_down` population standard deviations (divide by `period`)
/// away. The variance is summed in a second pass over each window around the middle value;
/// TA-Lib's `E[x²] − E[x]²` differs from it by about 1e-14 relative, and on the reference series
/// the two-pass form is the closer of the two to TA-Lib's output. As in TA-Lib, a variance below
/// 1e-14 counts as 0. Non-finite multipliers give all `None`.
pub fn bollinger(close: &[f64], period: usize, k_up: f64, k_down: f64) -> Bollinger {
    let n = close.len();
    if period == 0 || n < period || !k_up.is_finite() || !k_down.is_finite() || !all_finite(close) {
        return Bollinger {
            upper: all_none(n),
            middle: all_none(n),
            lower: all_none(n),
        };
    }
    let mut out = Bollinger {
        upper: all_none(n),
        middle: sma(close, period),
        lower: all_none(n),
    };
    let divisor = period as f64;
    let bands = out.upper.iter_mut().zip(out.lower.iter_mut());
    for (i, (mean, (upper, lower))) in out.middle.iter().zip(bands).enumerate() {
        let (Some(mean), Some(window)) = (mean, close.get((i + 1).saturating_sub(period)..=i)) else {
            continue;
        };
        let variance = window.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / divisor;
        let sd = if variance < TA_EPSILON {
            0.0
        } else {
            variance.sqrt()
        };
        *upper = Some(mean + sd * k_up);
        *lower = Some(mean - sd * k_down);
    }
    out
}

/// TA-Lib's true range of one bar given the previous close.
fn bar_true_range(high: f64, low: f64, prev_close: f64) -> f64 {
    let mut greatest = high - low;
    let to_high = (prev_close - high).abs();
    if to_high > greatest {
        greatest = to_high;
    }
    let to_low = (prev_close - low).abs();
    if to_low > greatest {
        greatest = to_low;
    }
    greatest
}

fn same_lengths(high: &[f64], low: &[f64], close: &[f64]) -> bool {
    high.len() == close.len() && low.len() == close.len()
}

/// True range `max(H − L, |H − C₋₁|, |L − C₋₁|)` (TA-Lib's `TRANGE`); undefined at bar 0.
pub fn true_range(high: &[f64], low: &[f64], close: &[f64]) -> Vec<Option<f64>> {
    let n = close.len();
    if n < 2 || !same_lengths(high, low, close) || !all_finite(high) || !all_finite(low) || !all_finite(close)
    {
        return all_none(n);
    }
    let previous = std::iter::once(None).chain(close.iter().map(|&c| Some(c)));
    high.iter()
        .zip(low)
        .zip(previous)
        .map(|((&h, &l), prev)| prev.map(|c| bar_true_range(h, l, c)))
        .collect()
}

/// Wilder's average true range, updated one bar at a time.
///
/// The first value, at bar `period`, is the mean of the true ranges of bars `1..=period`; then
/// `atr = (atr (period - 1) + tr) / period`.
#[derive(Clone, Debug, PartialEq)]
pub struct AtrState {
    period: usize,
    prev_close: Option<f64>,
    count: usize,
    sum: f64,
    value: Option<f64>,
    poisoned: bool,
}

impl AtrState {
    /// A fresh ATR over `period` bars; a period of 0 never yields a value.
    pub fn new(period: usize) -> AtrState {
        AtrState {
            period,
            prev_close: None,
            count: 0,
            sum: 0.0,
            value: None,
            poisoned: period == 0,
        }
    }

    /// Feeds one bar; returns the ATR once `period` true ranges have been seen.
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        if self.poisoned {
            return None;
        }
        if !(high.is_finite() && low.is_finite() && close.is_finite()) {
            self.poisoned = true;
            self.value = None;
            return None;
        }
        let prev = self.prev_close.replace(close)?;
        let tr = bar_true_range(high, low, prev);
        let divisor = self.period as f64;
        match self.value {
            Some(atr) => self.value = Some((atr * (divisor - 1.0) + tr) / divisor),
            None => {
                self.sum += tr;
                self.count += 1;
                if self.count == self.period {
                    self.value = Some(self.sum / divisor);
                }
            }
        }
        self.value
    }
}

/// Wilder's average true range (TA-Lib's `ATR`); the first value is at index `period`.
pub fn atr(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Vec<Option<f64>> {
    let n = close.len();
    if period == 0
        || n <= period
        || !same_lengths(high, low, close)
        || !all_finite(high)
        || !all_finite(low)
        || !all_finite(close)
    {
        return all_none(n);
    }
    let mut state = AtrState::new(period);
    high.iter()
        .zip(low)
        .zip(close)
        .map(|((&h, &l), &c)| state.update(h, l, c))
        .collect()
}

/// Close-to-close historical volatility: the sample standard deviation (divide by `window - 1`)
/// of the last `window` log returns `ln(c_i) − ln(c_{i−1})`, times `sqrt(annualization)`
/// (`annualization` is the number of bars per year, e.g. 252 for daily bars).
///
/// The first value is at index `window`, since `window` returns need `window + 1` closes. A
/// window below 2, a negative or non-finite annualization, or a close that is not a positive
/// finite number gives all `None`.
pub fn historical_volatility(close: &[f64], window: usize, annualization: f64) -> Vec<Option<f64>> {
    let n = close.len();
    let valid_closes = close.iter().all(|c| c.is_finite() && *c > 0.0);
    if window < 2 || n <= window || !valid_closes || !(annualization.is_finite() && annualization >= 0.0) {
        return all_none(n);
    }
    // The output vector first holds the log returns, then is overwritten from the end, so each
    // window still reads returns that have not been replaced yet.
    let logs = close.iter().map(|c| c.ln());
    let mut out: Vec<Option<f64>> = std::iter::once(None)
        .chain(logs.clone().zip(logs.skip(1)).map(|(prev, cur)| Some(cur - prev)))
        .collect();
    let scale = annualization.sqrt();
    let count = window as f64;
    for i in (window..n).rev() {
        let Some(returns) = out.get(i + 1 - window..=i) else {
            continue;
        };
        let mean = returns.iter().flatten().sum::<f64>() / count;
        let squares: f64 = returns.iter().flatten().map(|r| (r - mean) * (r - mean)).sum();
        if let Some(slot) = out.get_mut(i) {
            *slot = Some((squares / (count - 1.0)).sqrt() * scale);
        }
    }
    for slot in out.iter_mut().take(window) {
        *slot = None;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn leading_nones(values: &[Option<f64>]) -> usize {
        values.iter().take_while(|v| v.is_none()).count()
    }

    fn series(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| 100.0 + (i as f64 * 0.7).sin() * 5.0 + i as f64 * 0.1)
            .collect()
    }

    #[test]
    fn warm_up_lengths_match_ta_lib() {
        let close = series(100);
        let high: Vec<f64> = close.iter().map(|c| c + 1.0).collect();
        let low: Vec<f64> = close.iter().map(|c| c - 1.0).collect();
        assert_eq!(leading_nones(&sma(&close, 20)), 19);
        assert_eq!(leading_nones(&ema(&close, 20)), 19);
        assert_eq!(leading_nones(&rsi(&close, 14)), 14);
        let m = macd(&close, 12, 26, 9);
        assert_eq!(
            (
                leading_nones(&m.macd),
                leading_nones(&m.signal),
                leading_nones(&m.hist)
            ),
            (33, 33, 33)
        );
        assert_eq!(leading_nones(&bollinger(&close, 20, 2.0, 2.0).upper), 19);
        assert_eq!(leading_nones(&atr(&high, &low, &close, 14)), 14);
        assert_eq!(leading_nones(&true_range(&high, &low, &close)), 1);
        assert_eq!(leading_nones(&historical_volatility(&close, 20, 252.0)), 20);
        assert!(sma(&close, 20).iter().skip(19).all(Option::is_some));
    }

    #[test]
    fn ema_is_sma_seeded() {
        let close = [1.0, 2.0, 3.0, 4.0, 5.0];
        let e = ema(&close, 3);
        assert_eq!(e, vec![None, None, Some(2.0), Some(3.0), Some(4.0)]);
    }

    #[test]
    fn rsi_is_zero_when_flat_and_wilder_otherwise() {
        assert_eq!(rsi(&[5.0; 20], 14).get(14), Some(&Some(0.0)));
        let up: Vec<f64> = (0..20).map(f64::from).collect();
        assert_eq!(rsi(&up, 14).get(19), Some(&Some(100.0)));
        // Two changes +1 and -1 with period 2, then +2: gain (0.5 + 2) / 2, loss 0.5 / 2.
        let r = rsi(&[10.0, 11.0, 10.0, 12.0], 2);
        assert_eq!(r.get(2), Some(&Some(50.0)));
        let last = r.get(3).copied().flatten().unwrap();
        assert!((last - 100.0 * 1.25 / 1.5).abs() < 1e-12);
    }

    #[test]
    fn bollinger_of_a_flat_series_has_zero_width() {
        let b = bollinger(&[7.0; 25], 20, 2.0, 2.0);
        assert_eq!(b.upper.get(24), Some(&Some(7.0)));
        assert_eq!(b.lower.get(24), Some(&Some(7.0)));
    }

    #[test]
    fn degenerate_inputs_give_all_none() {
        let close = series(30);
        assert!(sma(&close, 0).iter().all(Option::is_none));
        assert!(ema(&close, 31).iter().all(Option::is_none));
        assert_eq!(rsi(&[], 14), Vec::<Option<f64>>::new());
        let mut with_nan = close.clone();
        if let Some(x) = with_nan.get_mut(5) {
            *x = f64::NAN;
        }
        assert!(ema(&with_nan, 3).iter().all(Option::is_none));
        assert!(rsi(&with_nan, 3).iter().all(Option::is_none));
        assert!(atr(&close, &close, &close[1..], 3).iter().all(Option::is_none));
        assert_eq!(atr(&close, &close, &close[1..], 3).len(), 29);
        assert!(
            historical_volatility(&close, 1, 252.0)
                .iter()
                .all(Option::is_none)
        );
        assert!(macd(&close, 12, 26, 9).macd.iter().all(Option::is_none));
    }

    #[test]
    fn streaming_states_poison_on_nan() {
        let mut e = EmaState::new(2);
        assert_eq!(e.update(1.0), None);
        assert_eq!(e.update(3.0), Some(2.0));
        assert_eq!(e.update(f64::NAN), None);
        assert_eq!(e.update(3.0), None);
        assert_eq!(e.value(), None);
        let mut a = AtrState::new(1);
        assert_eq!(a.update(2.0, 1.0, 1.5), None);
        assert_eq!(a.update(3.0, 2.0, 2.5), Some(1.5));
    }

    fn arb_values() -> impl Strategy<Value = Vec<f64>> {
        prop::collection::vec(
            prop_oneof![
                4 => 1.0..500.0f64,
                1 => any::<f64>(),
                1 => Just(f64::NAN),
                1 => Just(0.0),
            ],
            0..80,
        )
    }

    proptest! {
        #[test]
        fn indicators_never_panic(
            high in arb_values(), low in arb_values(), close in arb_values(),
            period in 0usize..40, slow in 0usize..40, signal in 0usize..12, k in any::<f64>(),
        ) {
            let n = close.len();
            prop_assert_eq!(sma(&close, period).len(), n);
            prop_assert_eq!(ema(&close, period).len(), n);
            prop_assert_eq!(rsi(&close, period).len(), n);
            let m = macd(&close, period, slow, signal);
            prop_assert_eq!((m.macd.len(), m.signal.len(), m.hist.len()), (n, n, n));
            let b = bollinger(&close, period, k, 2.0);
            prop_assert_eq!((b.upper.len(), b.middle.len(), b.lower.len()), (n, n, n));
            prop_assert_eq!(true_range(&high, &low, &close).len(), n);
            prop_assert_eq!(atr(&high, &low, &close, period).len(), n);
            prop_assert_eq!(historical_volatility(&close, period, k).len(), n);
            prop_assert_eq!(atr(&close, &close, &close, period).len(), n);
        }

        #[test]
        fn batch_and_streaming_agree(close in prop::collection::vec(1.0..500.0f64, 0..80), period in 1usize..20) {
            let mut e = EmaState::new(period);
            let streamed: Vec<Option<f64>> = close.iter().map(|&x| e.update(x)).collect();
            prop_assert_eq!(ema(&close, period), streamed);
            let mut r = RsiState::new(period);
            let streamed: Vec<Option<f64>> = close.iter().map(|&x| r.update(x)).collect();
            prop_assert_eq!(rsi(&close, period), streamed);
        }
    }
}
