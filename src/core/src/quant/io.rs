//! The reference file formats of the quant README, text in and text out.
//!
//! [`bs_json`] reads `ttai-quant-bs-input/1` and writes `ttai-quant-bs-output/1`; [`ta_csv`]
//! reads an OHLCV CSV and writes `ttai-quant-ta-output/1`. The binary does the file I/O, so
//! `ttai quant bs --json FILE` and `ttai quant ta --csv FILE` are thin wrappers around these.

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use super::bsm::{self, BsmInput, OptionType};
use super::indicators;
use super::levels::{self, SwingLevels};

/// The schema [`bs_json`] writes.
pub const BS_OUTPUT_SCHEMA: &str = "ttai-quant-bs-output/1";
/// The schema [`bs_json`] reads.
pub const BS_INPUT_SCHEMA: &str = "ttai-quant-bs-input/1";
/// The schema [`ta_csv`] writes.
pub const TA_OUTPUT_SCHEMA: &str = "ttai-quant-ta-output/1";

/// Why a reference file could not be read.
///
/// Messages name the line (CSV) or the case (JSON) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantIoError {
    /// The input has no content.
    #[error("input is empty")]
    Empty,
    /// The input is not valid JSON; the message carries serde_json's line and column.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// The JSON names a schema this reader does not know.
    #[error("unsupported schema {found:?}, expected {expected:?}")]
    Schema {
        /// The schema in the file.
        found: String,
        /// The schema expected.
        expected: String,
    },
    /// The file as a whole has the wrong shape.
    #[error("{0}")]
    Format(String),
    /// One case of a JSON file cannot be computed; `case` is its id or `at index N`.
    #[error("case {case}: {message}")]
    Case {
        /// The case's id, or `at index N` when it has none.
        case: String,
        /// What is wrong.
        message: String,
    },
    /// One line of a CSV file is wrong (lines count from 1).
    #[error("line {line}: {message}")]
    Line {
        /// The 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

// ------------------------------------------------------------------------------------------------
// Black-Scholes-Merton cases.

/// A JSON object kept as its fields' original text, in file order.
struct RawObject(Vec<(String, Box<RawValue>)>);

impl<'de> Deserialize<'de> for RawObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<RawObject, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = RawObject;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawObject, A::Error> {
                let mut fields = Vec::new();
                while let Some(entry) = map.next_entry::<String, Box<RawValue>>()? {
                    fields.push(entry);
                }
                Ok(RawObject(fields))
            }
        }
        deserializer.deserialize_map(ObjectVisitor)
    }
}

impl RawObject {
    /// The last value of `name` (as with serde_json's `Value`, a repeated key keeps the last).
    fn get(&self, name: &str) -> Option<&RawValue> {
        self.0
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_ref())
    }
}

/// The computed fields of one case.
#[derive(Serialize)]
struct BsResult {
    price: f64,
    delta: f64,
    gamma: f64,
    vega: f64,
    theta: f64,
    rho: f64,
    iv: Option<f64>,
    prob_itm: f64,
    prob_profit: Option<f64>,
    expected_move: f64,
    vega_per_unit: f64,
    theta_per_year: f64,
    rho_per_unit: f64,
    dividend_rho_per_unit: f64,
}

/// One output case: the input fields echoed, then `result` or `error`.
struct BsCaseOut<'a> {
    echo: &'a [(String, Box<RawValue>)],
    outcome: Result<BsResult, QuantIoError>,
}

impl Serialize for BsCaseOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        for (key, value) in self.echo {
            if key != "result" && key != "error" {
                map.serialize_entry(key, value)?;
            }
        }
        match &self.outcome {
            Ok(result) => map.serialize_entry("result", result)?,
            Err(error) => map.serialize_entry("error", &error.to_string())?,
        }
        map.end()
    }
}

#[derive(Serialize)]
struct BsOutput<'a> {
    schema: &'static str,
    cases: Vec<BsCaseOut<'a>>,
}

/// What `text` is as JSON, for messages.
fn json_kind(text: &str) -> &'static str {
    match text.trim_start().chars().next() {
        Some('"') => "a string",
        Some('{') => "an object",
        Some('[') => "an array",
        Some('t' | 'f') => "a boolean",
        Some('n') => "null",
        _ => "a number",
    }
}

/// Reads a JSON number from its original text, correctly rounded.
fn raw_number(case: &RawObject, name: &str) -> Result<f64, String> {
    let raw = case.get(name).ok_or_else(|| format!("missing field `{name}`"))?;
    let text = raw.get().trim();
    if json_kind(text) != "a number" {
        return Err(format!("`{name}` is not a number: {text}"));
    }
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(value),
        _ => Err(format!("`{name}` is out of range: {text}")),
    }
}

/// The case's label for messages: its id, or its position.
fn case_label(case: Option<&RawObject>, index: usize) -> String {
    let id = case.and_then(|c| c.get("id")).and_then(|raw| {
        let text = raw.get().trim();
        match json_kind(text) {
            "a string" => serde_json::from_str::<String>(text).ok(),
            "a number" => Some(text.to_owned()),
            _ => None,
        }
    });
    id.unwrap_or_else(|| format!("at index {index}"))
}

fn bs_case(case: &RawObject) -> Result<BsResult, String> {
    let type_raw = case.get("type").ok_or("missing field `type`")?.get().trim();
    let type_text = serde_json::from_str::<String>(type_raw).unwrap_or_default();
    let option_type = match type_text.to_ascii_lowercase().as_str() {
        "call" => OptionType::Call,
        "put" => OptionType::Put,
        _ => return Err(format!("`type` must be \"call\" or \"put\", got {type_raw}")),
    };
    let spot = raw_number(case, "spot")?;
    let strike = raw_number(case, "strike")?;
    let t = if case.get("t").is_some() {
        raw_number(case, "t")?
    } else {
        raw_number(case, "days")? / 365.0
    };
    let vol = raw_number(case, "vol")?;
    let rate = raw_number(case, "rate")?;
    let div = raw_number(case, "div")?;
    let market_price = match case.get("market_price") {
        None => None,
        Some(raw) if raw.get().trim() == "null" => None,
        Some(_) => Some(raw_number(case, "market_price")?),
    };
    let input = BsmInput {
        option_type,
        spot,
        strike,
        t,
        vol,
        rate,
        div,
    };
    let greeks = bsm::greeks(&input).map_err(|e| e.to_string())?;
    let iv = market_price.and_then(|p| bsm::implied_volatility(option_type, spot, strike, t, rate, div, p));
    let prob_profit = market_price.and_then(|p| bsm::prob_profit_long(&input, p).ok());
    Ok(BsResult {
        price: greeks.price,
        delta: greeks.delta,
        gamma: greeks.gamma,
        vega: greeks.vega,
        theta: greeks.theta,
        rho: greeks.rho,
        iv,
        prob_itm: greeks.prob_itm,
        prob_profit,
        expected_move: greeks.expected_move,
        vega_per_unit: greeks.vega_per_unit,
        theta_per_year: greeks.theta_per_year,
        rho_per_unit: greeks.rho_per_unit,
        dividend_rho_per_unit: greeks.dividend_rho_per_unit,
    })
}

fn parse_json<'a, T: Deserialize<'a>>(text: &'a str) -> Result<T, QuantIoError> {
    serde_json::from_str(text).map_err(|e| QuantIoError::Json(e.to_string()))
}

/// Values a `ttai-quant-bs-input/1` file and writes `ttai-quant-bs-output/1`.
///
/// The input is an object `{"schema": ..., "cases": [...]}` (a bare array of cases is accepted
/// too, and so is the `ttai-quant-bs/1` expected-values schema). Each case needs `type`
/// (`"call"` or `"put"`), `spot`, `strike`, `t` (or `days`, then `t = days / 365`), `vol`, `rate`
/// and `div`; `market_price` is optional. Every input field is echoed with its original text, so
/// numbers round-trip exactly, followed by `result` with price, greeks, `iv` (null when undefined
/// or without a market price), `prob_itm`, `prob_profit` (with `market_price` as the premium),
/// `expected_move` and the raw derivatives. A case that cannot be computed gets `error` instead,
/// e.g. `"case bs-0006: missing field `strike`"`; only a file that is not JSON or has no `cases`
/// array fails as a whole.
pub fn bs_json(input: &str) -> Result<String, QuantIoError> {
    if input.trim().is_empty() {
        return Err(QuantIoError::Empty);
    }
    let top: Box<RawValue> = parse_json(input)?;
    let cases: Vec<Box<RawValue>> = match json_kind(top.get()) {
        "an array" => parse_json(top.get())?,
        "an object" => {
            let object: RawObject = parse_json(top.get())?;
            if let Some(schema) = object.get("schema") {
                let schema: String =
                    serde_json::from_str(schema.get()).unwrap_or_else(|_| schema.get().to_owned());
                if schema != BS_INPUT_SCHEMA && schema != "ttai-quant-bs/1" {
                    return Err(QuantIoError::Schema {
                        found: schema,
                        expected: BS_INPUT_SCHEMA.to_owned(),
                    });
                }
            }
            let raw_cases = object
                .get("cases")
                .ok_or_else(|| QuantIoError::Format("missing field `cases`".to_owned()))?;
            serde_json::from_str(raw_cases.get())
                .map_err(|_| QuantIoError::Format("`cases` must be an array".to_owned()))?
        }
        kind => {
            return Err(QuantIoError::Format(format!(
                "expected an object with a `cases` array, found {kind}"
            )));
        }
    };
    let objects: Vec<Option<RawObject>> = cases
        .iter()
        .map(|raw| serde_json::from_str(raw.get()).ok())
        .collect();
    let out_cases = objects
        .iter()
        .enumerate()
        .map(|(index, object)| {
            let case = case_label(object.as_ref(), index);
            match object {
                Some(object) => BsCaseOut {
                    echo: &object.0,
                    outcome: bs_case(object).map_err(|message| QuantIoError::Case { case, message }),
                },
                None => BsCaseOut {
                    echo: &[],
                    outcome: Err(QuantIoError::Case {
                        case,
                        message: "is not a JSON object".to_owned(),
                    }),
                },
            }
        })
        .collect();
    serde_json::to_string_pretty(&BsOutput {
        schema: BS_OUTPUT_SCHEMA,
        cases: out_cases,
    })
    .map_err(|e| QuantIoError::Format(format!("cannot write the output: {e}")))
}

// ------------------------------------------------------------------------------------------------
// Technical indicators.

/// The bars of an OHLCV file.
#[derive(Default)]
struct Bars {
    date: Vec<String>,
    high: Vec<f64>,
    low: Vec<f64>,
    close: Vec<f64>,
}

const COLUMNS: [&str; 6] = ["date", "open", "high", "low", "close", "volume"];

fn line_error(line: usize, message: String) -> QuantIoError {
    QuantIoError::Line { line, message }
}

fn parse_csv(input: &str) -> Result<Bars, QuantIoError> {
    let mut lines = input
        .lines()
        .enumerate()
        .map(|(i, text)| (i + 1, text.trim()))
        .filter(|(_, text)| !text.is_empty());
    let Some((header_line, header)) = lines.next() else {
        return Err(QuantIoError::Empty);
    };
    let names: Vec<String> = header
        .trim_start_matches('\u{feff}')
        .split(',')
        .map(|name| name.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    let mut position = [0usize; 6];
    for (slot, column) in position.iter_mut().zip(COLUMNS) {
        *slot = names.iter().position(|name| name == column).ok_or_else(|| {
            line_error(
                header_line,
                format!(
                    "the header must name the columns date,open,high,low,close,volume; `{column}` is missing"
                ),
            )
        })?;
    }
    let [date_at, open_at, high_at, low_at, close_at, volume_at] = position;
    let mut bars = Bars::default();
    for (line, text) in lines {
        let fields: Vec<&str> = text.split(',').map(str::trim).collect();
        if fields.len() != names.len() {
            return Err(line_error(
                line,
                format!("expected {} fields, found {}", names.len(), fields.len()),
            ));
        }
        let field = |at: usize| fields.get(at).copied().unwrap_or_default();
        let number = |at: usize, name: &str| -> Result<f64, QuantIoError> {
            let text = field(at);
            match text.parse::<f64>() {
                Ok(value) if value.is_finite() => Ok(value),
                Ok(_) => Err(line_error(
                    line,
                    format!("{name} is not a finite number: {text:?}"),
                )),
                Err(_) => Err(line_error(line, format!("{name} is not a number: {text:?}"))),
            }
        };
        let date = field(date_at);
        if date.is_empty() {
            return Err(line_error(line, "date is empty".to_owned()));
        }
        let open = number(open_at, "open")?;
        let high = number(high_at, "high")?;
        let low = number(low_at, "low")?;
        let close = number(close_at, "close")?;
        number(volume_at, "volume")?;
        for (name, value) in [("open", open), ("high", high), ("low", low), ("close", close)] {
            if value <= 0.0 {
                return Err(line_error(line, format!("{name} must be > 0, got {value}")));
            }
        }
        if high < low {
            return Err(line_error(line, format!("high {high} is below low {low}")));
        }
        bars.date.push(date.to_owned());
        bars.high.push(high);
        bars.low.push(low);
        bars.close.push(close);
    }
    if bars.close.is_empty() {
        return Err(QuantIoError::Format("no bars after the header".to_owned()));
    }
    Ok(bars)
}

#[derive(Serialize)]
struct TaIndicators {
    sma20: Vec<Option<f64>>,
    ema20: Vec<Option<f64>>,
    ema12: Vec<Option<f64>>,
    ema26: Vec<Option<f64>>,
    rsi14: Vec<Option<f64>>,
    macd: Vec<Option<f64>>,
    macd_signal: Vec<Option<f64>>,
    macd_hist: Vec<Option<f64>>,
    bb_upper: Vec<Option<f64>>,
    bb_middle: Vec<Option<f64>>,
    bb_lower: Vec<Option<f64>>,
    atr14: Vec<Option<f64>>,
    trange: Vec<Option<f64>>,
    hv20: Vec<Option<f64>>,
    hv30: Vec<Option<f64>>,
}

#[derive(Serialize)]
struct SupportResistance {
    #[serde(flatten)]
    levels: SwingLevels,
    last_close: Option<f64>,
}

#[derive(Serialize)]
struct SupportResistanceSet {
    k2: SupportResistance,
    k5: SupportResistance,
}

#[derive(Serialize)]
struct TaOutput<'a> {
    schema: &'static str,
    bars: usize,
    date: &'a [String],
    close: &'a [f64],
    indicators: TaIndicators,
    support_resistance: SupportResistanceSet,
}

/// Reads an OHLCV CSV and writes `ttai-quant-ta-output/1` JSON.
///
/// The CSV has a header naming `date,open,high,low,close,volume` (any order, any case) and one
/// bar per line; blank lines are skipped. Every number must be finite and every price positive,
/// with `high >= low`; the first bad line fails the whole file with its line number, e.g.
/// `line 17: close is not a number: "abc"`. The output holds `bars`, `date`, `close`, the
/// indicators `sma20, ema20, ema12, ema26, rsi14, macd, macd_signal, macd_hist, bb_upper,
/// bb_middle, bb_lower, atr14, trange, hv20, hv30` (one entry per bar, null during the warm-up)
/// and `support_resistance` with swing levels for `k2` and `k5`.
pub fn ta_csv(input: &str) -> Result<String, QuantIoError> {
    let bars = parse_csv(input)?;
    let (high, low, close) = (&bars.high, &bars.low, &bars.close);
    let macd = indicators::macd(close, 12, 26, 9);
    let bands = indicators::bollinger(close, 20, 2.0, 2.0);
    let last_close = close.last().copied();
    let swings = |k| SupportResistance {
        levels: levels::swing_levels(high, low, close, k),
        last_close,
    };
    let output = TaOutput {
        schema: TA_OUTPUT_SCHEMA,
        bars: close.len(),
        date: &bars.date,
        close,
        indicators: TaIndicators {
            sma20: indicators::sma(close, 20),
            ema20: indicators::ema(close, 20),
            ema12: indicators::ema(close, 12),
            ema26: indicators::ema(close, 26),
            rsi14: indicators::rsi(close, 14),
            macd: macd.macd,
            macd_signal: macd.signal,
            macd_hist: macd.hist,
            bb_upper: bands.upper,
            bb_middle: bands.middle,
            bb_lower: bands.lower,
            atr14: indicators::atr(high, low, close, 14),
            trange: indicators::true_range(high, low, close),
            hv20: indicators::historical_volatility(close, 20, 252.0),
            hv30: indicators::historical_volatility(close, 30, 252.0),
        },
        support_resistance: SupportResistanceSet {
            k2: swings(2),
            k5: swings(5),
        },
    };
    serde_json::to_string(&output).map_err(|e| QuantIoError::Format(format!("cannot write the output: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    fn testdata(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/quant")
            .join(name)
    }

    fn read(name: &str) -> String {
        std::fs::read_to_string(testdata(name)).unwrap()
    }

    /// The README's BSM tolerances as (atol, rtol).
    fn bs_tolerance(field: &str) -> (f64, f64) {
        match field {
            "price" => (1e-8, 1e-8),
            "delta" => (1e-9, 1e-8),
            "gamma" => (1e-10, 1e-7),
            "vega" | "theta" | "rho" => (1e-9, 1e-7),
            "iv" => (1e-6, 0.0),
            "prob_itm" => (1e-9, 1e-8),
            "prob_profit" => (1e-8, 1e-7),
            "expected_move" => (1e-10, 1e-12),
            _ => (1e-7, 1e-7),
        }
    }

    /// Error over allowed error; above 1 fails.
    fn ratio(actual: f64, expected: f64, atol: f64, rtol: f64) -> f64 {
        let allowed = atol + rtol * expected.abs();
        let err = (actual - expected).abs();
        if err == 0.0 {
            0.0
        } else if allowed > 0.0 {
            err / allowed
        } else {
            f64::INFINITY
        }
    }

    fn is_undefined(value: Option<&Value>) -> bool {
        value.is_none_or(Value::is_null)
    }

    #[test]
    fn public_bs_cases_match_the_reference() {
        let expected: Value = serde_json::from_str(&read("public/bs_expected.json")).unwrap();
        let output = bs_json(&read("public/bs_inputs.json")).unwrap();
        let actual: Value = serde_json::from_str(&output).unwrap();
        assert_eq!(actual["schema"], BS_OUTPUT_SCHEMA);
        let actual_cases = actual["cases"].as_array().unwrap();
        let expected_cases = expected["cases"].as_array().unwrap();
        assert_eq!(actual_cases.len(), expected_cases.len());
        let mut worst = (0.0_f64, String::new());
        let mut compared = 0;
        for want in expected_cases {
            let id = want["id"].as_str().unwrap();
            let got = actual_cases
                .iter()
                .find(|c| c["id"] == id)
                .unwrap_or_else(|| panic!("{id} missing"));
            for field in [
                "type",
                "spot",
                "strike",
                "t",
                "vol",
                "rate",
                "div",
                "market_price",
            ] {
                assert_eq!(got[field], want[field], "{id}: echoed {field}");
            }
            let Some(result) = got.get("result") else {
                assert!(
                    want["allow_error"].as_bool().unwrap_or(false),
                    "{id}: {}",
                    got["error"]
                );
                continue;
            };
            for (field, value) in want["expected"].as_object().unwrap() {
                let got_value = result.get(field);
                if value.is_null() {
                    assert!(
                        is_undefined(got_value),
                        "{id}: {field} should be undefined, got {got_value:?}"
                    );
                    continue;
                }
                let want_value = value.as_f64().unwrap();
                let got_value = got_value
                    .and_then(Value::as_f64)
                    .unwrap_or_else(|| panic!("{id}: {field} missing"));
                let (atol, rtol) = bs_tolerance(field);
                let r = ratio(got_value, want_value, atol, rtol);
                assert!(
                    r <= 1.0,
                    "{id}: {field} = {got_value}, expected {want_value} (ratio {r})"
                );
                compared += 1;
                if r > worst.0 {
                    worst = (r, format!("{id}.{field}"));
                }
            }
        }
        println!(
            "bs: {compared} values compared, max ratio {:.3e} at {}",
            worst.0, worst.1
        );
    }

    fn check_ta_series(csv: &str, expected_json: &str) -> f64 {
        let expected: Value = serde_json::from_str(&read(expected_json)).unwrap();
        let output = ta_csv(&read(csv)).unwrap();
        let actual: Value = serde_json::from_str(&output).unwrap();
        let bars = expected["bars"].as_u64().unwrap() as usize;
        assert_eq!(actual["bars"].as_u64(), Some(bars as u64));
        let mut worst = (0.0_f64, String::new());
        for (name, want) in expected["indicators"].as_object().unwrap() {
            let want = want.as_array().unwrap();
            let got = actual["indicators"][name]
                .as_array()
                .unwrap_or_else(|| panic!("{name} missing"));
            assert_eq!(got.len(), bars, "{name} length");
            for (i, (w, g)) in want.iter().zip(got).enumerate() {
                if w.is_null() {
                    assert!(g.is_null(), "{csv}: {name}[{i}] should be null, got {g}");
                    continue;
                }
                let g = g.as_f64().unwrap_or_else(|| panic!("{csv}: {name}[{i}] is null"));
                let w = w.as_f64().unwrap();
                let r = ratio(g, w, 1e-9, 1e-9);
                assert!(r <= 1.0, "{csv}: {name}[{i}] = {g}, expected {w} (ratio {r})");
                if r > worst.0 {
                    worst = (r, format!("{name}[{i}]"));
                }
            }
        }
        for k in ["k2", "k5"] {
            let want = &expected["support_resistance"][k];
            let got = &actual["support_resistance"][k];
            for field in [
                "swing_high_idx",
                "swing_low_idx",
                "swing_high",
                "swing_low",
                "nearest_resistance",
                "nearest_support",
                "resistance_above_last_close",
                "support_below_last_close",
                "last_close",
            ] {
                assert_eq!(got[field], want[field], "{csv}: support_resistance.{k}.{field}");
            }
        }
        println!("{csv}: max ratio {:.3e} at {}", worst.0, worst.1);
        worst.0
    }

    #[test]
    fn public_ta_series_match_the_reference() {
        check_ta_series("public/ohlcv_a.csv", "public/ta_expected_a.json");
        check_ta_series("public/ohlcv_edge.csv", "public/ta_expected_edge.json");
    }

    /// Writes `output` to a temporary file and runs the reference checker on it.
    fn run_check_py(expected: &str, output: &str, tag: &str) {
        let path = std::env::temp_dir().join(format!("ttai-quant-{tag}-{}.json", std::process::id()));
        std::fs::write(&path, output).unwrap();
        let run = Command::new("python3")
            .arg(testdata("check.py"))
            .arg(testdata(expected))
            .arg(&path)
            .output();
        let _ = std::fs::remove_file(&path);
        let run = run.expect("python3 must be available to run check.py");
        let stdout = String::from_utf8_lossy(&run.stdout);
        println!("{stdout}{}", String::from_utf8_lossy(&run.stderr));
        assert!(run.status.success(), "check.py failed for {tag}:\n{stdout}");
        assert!(stdout.contains("RESULT: PASS"));
    }

    #[test]
    fn check_py_passes_on_the_public_cases() {
        run_check_py(
            "public/bs_expected.json",
            &bs_json(&read("public/bs_inputs.json")).unwrap(),
            "bs",
        );
        run_check_py(
            "public/ta_expected_a.json",
            &ta_csv(&read("public/ohlcv_a.csv")).unwrap(),
            "ta-a",
        );
        run_check_py(
            "public/ta_expected_edge.json",
            &ta_csv(&read("public/ohlcv_edge.csv")).unwrap(),
            "ta-edge",
        );
    }

    #[test]
    fn echoed_inputs_keep_their_original_text() {
        let input = r#"{"schema": "ttai-quant-bs-input/1", "cases": [
            {"id": "x", "type": "call", "spot": 100.10000000000000001, "strike": 1e2, "t": 0.4931506849315068,
             "vol": 0.2, "rate": 0.0, "div": 0, "market_price": 4.5, "note": {"a": [1, 2]}}]}"#;
        let output = bs_json(input).unwrap();
        assert!(output.contains(r#""spot": 100.10000000000000001"#), "{output}");
        assert!(output.contains(r#""strike": 1e2"#));
        assert!(output.contains(r#""div": 0,"#));
        assert!(output.contains(r#""t": 0.4931506849315068"#));
        let value: Value = serde_json::from_str(&output).unwrap();
        assert!(value["cases"][0]["result"]["iv"].as_f64().is_some());
    }

    #[test]
    fn bad_cases_get_an_error_naming_the_case() {
        let input = r#"{"schema": "ttai-quant-bs-input/1", "cases": [
            {"id": "bs-0006", "type": "put", "spot": 45.47, "t": 0.5, "vol": 0.1, "rate": 0.0, "div": 0.0},
            {"id": "bs-0007", "type": "put", "spot": "abc", "strike": 1, "t": 0.5, "vol": 0.1, "rate": 0.0, "div": 0.0},
            {"id": "bs-0008", "type": "straddle", "spot": 1, "strike": 1, "t": 0.5, "vol": 0.1, "rate": 0.0, "div": 0.0},
            {"id": "bs-0009", "type": "call", "spot": 1, "strike": 1, "t": -0.5, "vol": 0.1, "rate": 0.0, "div": 0.0},
            {"type": "call", "spot": 1, "strike": 1, "days": 30, "vol": 0.1, "rate": 0.0, "div": 0.0, "market_price": null},
            [1, 2],
            {"id": "bs-0010", "type": "call", "spot": 1, "strike": 1, "days": 0, "vol": 0.1, "rate": 0.0, "div": 0.0}
        ]}"#;
        let value: Value = serde_json::from_str(&bs_json(input).unwrap()).unwrap();
        let cases = value["cases"].as_array().unwrap();
        let errors: Vec<&str> = cases.iter().map(|c| c["error"].as_str().unwrap_or("")).collect();
        assert_eq!(errors[0], "case bs-0006: missing field `strike`");
        assert_eq!(errors[1], "case bs-0007: `spot` is not a number: \"abc\"");
        assert_eq!(
            errors[2],
            "case bs-0008: `type` must be \"call\" or \"put\", got \"straddle\""
        );
        assert_eq!(errors[3], "case bs-0009: t must be a finite number >= 0");
        assert_eq!(errors[4], "");
        assert!(cases[4]["result"]["iv"].is_null());
        assert_eq!(errors[5], "case at index 5: is not a JSON object");
        assert_eq!(cases[6]["result"]["price"], 0.0);
        assert!(cases[6]["result"]["iv"].is_null());
    }

    #[test]
    fn whole_file_errors() {
        assert_eq!(bs_json("  "), Err(QuantIoError::Empty));
        assert!(matches!(bs_json("{"), Err(QuantIoError::Json(m)) if m.contains("line 1")));
        assert_eq!(bs_json("{}").unwrap_err().to_string(), "missing field `cases`");
        assert_eq!(
            bs_json(r#"{"cases": 3}"#).unwrap_err().to_string(),
            "`cases` must be an array"
        );
        assert_eq!(
            bs_json(r#"{"schema": "other/1", "cases": []}"#)
                .unwrap_err()
                .to_string(),
            "unsupported schema \"other/1\", expected \"ttai-quant-bs-input/1\""
        );
        assert!(bs_json("[]").is_ok());
        assert!(bs_json("42").is_err());
    }

    #[test]
    fn csv_errors_name_the_line() {
        let header = "date,open,high,low,close,volume\n";
        let good = "2024-01-02,1,2,0.5,1.5,100\n";
        let cases = [
            (
                format!("{header}{good}{good}2024-01-04,1,2,0.5,abc,100\n"),
                "line 4: close is not a number: \"abc\"",
            ),
            (
                format!("{header}{good}2024-01-04,1,2,0.5,NaN,100\n"),
                "line 3: close is not a finite number: \"NaN\"",
            ),
            (
                format!("{header}2024-01-04,1,2,0.5\n"),
                "line 2: expected 6 fields, found 4",
            ),
            (
                format!("{header}2024-01-04,1,2,3,2.5,10\n"),
                "line 2: high 2 is below low 3",
            ),
            (
                format!("{header}2024-01-04,1,2,0.5,-1,10\n"),
                "line 2: close must be > 0, got -1",
            ),
            (format!("{header},1,2,0.5,1,10\n"), "line 2: date is empty"),
            (
                "date,open,high,low,volume\n".to_owned(),
                "line 1: the header must name the columns date,open,high,low,close,volume; `close` is missing",
            ),
            (header.to_owned(), "no bars after the header"),
            ("\n\n".to_owned(), "input is empty"),
        ];
        for (input, message) in cases {
            assert_eq!(ta_csv(&input).unwrap_err().to_string(), message);
        }
        let ok: Value = serde_json::from_str(&ta_csv(&format!("{header}\r\n{good}")).unwrap()).unwrap();
        assert_eq!(ok["bars"], 1);
        assert!(ok["indicators"]["sma20"][0].is_null());
    }

    /// Replaces characters of `text` at the given positions.
    fn mutate(text: &str, edits: &[(usize, char)]) -> String {
        let mut chars: Vec<char> = text.chars().collect();
        for &(at, c) in edits {
            if !chars.is_empty() {
                let at = at % chars.len();
                chars[at] = c;
            }
        }
        chars.into_iter().collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn parsers_never_panic_on_arbitrary_text(text in "\\PC*") {
            let _ = bs_json(&text);
            let _ = ta_csv(&text);
        }

        #[test]
        fn parsers_never_panic_on_mutated_files(edits in prop::collection::vec((any::<usize>(), any::<char>()), 1..6)) {
            let _ = bs_json(&mutate(&read("public/bs_inputs.json"), &edits));
            let _ = ta_csv(&mutate(&read("public/ohlcv_edge.csv"), &edits));
        }
    }
}
