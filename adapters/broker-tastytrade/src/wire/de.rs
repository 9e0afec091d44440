//! Lenient field readers for `#[serde(deserialize_with = ...)]`.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use ttai_core::time::{Date, Timestamp};

/// Reads a decimal given as a JSON number or a string (`"51600.762"`, `40`). Empty strings,
/// `null`, `"NaN"`, infinities and text that is not a number read as `None`.
pub(crate) fn decimal<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    Ok(decimal_value(&Value::deserialize(deserializer)?))
}

/// The decimal in a JSON value, as [`decimal`] reads it.
pub(crate) fn decimal_value(value: &Value) -> Option<f64> {
    let number = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    number.filter(|n| n.is_finite())
}

/// Reads a time given as RFC 3339 text (any offset), a bare date, or epoch milliseconds.
/// Anything else (and `0`, which the API uses for "unset") reads as `None`.
pub(crate) fn timestamp<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Timestamp>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(s) => time_text(&s),
        Value::Number(n) => n.as_i64().filter(|ms| *ms > 0).map(Timestamp::from_millis),
        _ => None,
    })
}

/// A time in RFC 3339 or in the net-liq history's form, whose offset has hours only
/// (`2023-06-08 13:30:00+00`).
pub(crate) fn time_text(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    text.parse::<Timestamp>().ok().or_else(|| {
        let sign = text.len().checked_sub(3)?;
        let tail = text.get(sign..)?;
        let hours_only = (tail.starts_with('+') || tail.starts_with('-'))
            && tail
                .get(1..)
                .is_some_and(|h| h.bytes().all(|b| b.is_ascii_digit()));
        hours_only
            .then(|| format!("{text}:00").parse::<Timestamp>().ok())
            .flatten()
    })
}

/// Reads a list of dates (`YYYY-MM-DD`), leaving out what is not one.
pub(crate) fn dates<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Date>, D::Error> {
    let Value::Array(values) = Value::deserialize(deserializer)? else {
        return Ok(Vec::new());
    };
    Ok(values
        .iter()
        .filter_map(|v| v.as_str().and_then(|s| s.trim().parse::<Date>().ok()))
        .collect())
}

/// Reads a date given as `YYYY-MM-DD` or as a full time (its UTC date).
pub(crate) fn date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Date>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(s) => {
            let s = s.trim();
            s.parse::<Date>()
                .ok()
                .or_else(|| s.parse::<Timestamp>().ok().map(Timestamp::date))
        }
        _ => None,
    })
}

/// Reads text given as a string or as a number (error codes are sometimes numeric: `406`).
pub(crate) fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

/// Reads a flag given as a boolean or as `"true"`/`"false"`.
pub(crate) fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Bool(b) => Some(b),
        Value::String(s) => match s.trim() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    })
}

/// Reads a list element by element, leaving out elements that do not have the expected
/// shape (and a list that is not a list), so one odd item does not hide the others. Items
/// left out are logged by count, never by content.
pub(crate) fn items<'de, D: Deserializer<'de>, T: DeserializeOwned>(
    deserializer: D,
) -> Result<Vec<T>, D::Error> {
    let Value::Array(values) = Value::deserialize(deserializer)? else {
        return Ok(Vec::new());
    };
    let total = values.len();
    let items: Vec<T> = values
        .into_iter()
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect();
    if items.len() < total {
        tracing::warn!(
            skipped = total - items.len(),
            "left out TastyTrade list items of an unexpected shape"
        );
    }
    Ok(items)
}
