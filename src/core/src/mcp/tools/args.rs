//! Typed, validated access to tool arguments. Every refusal is a VALIDATION_ERROR naming the
//! field, so the model can correct its call.

use serde_json::{Map, Value};

use crate::domain::Symbol;
use crate::error::AppError;
use crate::time::Date;

/// The `arguments` of a `tools/call`.
#[derive(Clone, Debug, Default)]
pub struct Args {
    map: Map<String, Value>,
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Args {
    /// Arguments from the request (absent means none).
    pub fn from_value(value: Option<Value>) -> Result<Args, AppError> {
        match value {
            None | Some(Value::Null) => Ok(Args::default()),
            Some(Value::Object(map)) => Ok(Args { map }),
            Some(other) => Err(AppError::invalid(
                "arguments",
                format!("must be an object, got {}", type_name(&other)),
            )),
        }
    }

    /// Arguments from the request's raw JSON (absent means none). A member serde cannot hold (a
    /// number beyond a double's range) is refused naming that member.
    pub fn from_raw(raw: Option<&str>) -> Result<Args, AppError> {
        let Some(raw) = raw else {
            return Ok(Args::default());
        };
        match serde_json::from_str::<Value>(raw) {
            Ok(value) => Args::from_value(Some(value)),
            Err(whole) => {
                let members = serde_json::from_str::<
                    std::collections::BTreeMap<String, Box<serde_json::value::RawValue>>,
                >(raw)
                .map_err(|_| AppError::invalid("arguments", "must be an object"))?;
                for (key, member) in &members {
                    if let Err(err) = serde_json::from_str::<Value>(member.get()) {
                        return Err(AppError::invalid(key, crate::mcp::methods::value_problem(&err)));
                    }
                }
                Err(AppError::invalid(
                    "arguments",
                    crate::mcp::methods::value_problem(&whole),
                ))
            }
        }
    }

    /// Arguments from a map.
    pub fn from_map(map: Map<String, Value>) -> Args {
        Args { map }
    }

    /// Refuses arguments the tool does not take.
    pub fn only(&self, known: &[&str]) -> Result<(), AppError> {
        let mut unknown: Vec<&str> = self
            .map
            .keys()
            .map(String::as_str)
            .filter(|k| !known.contains(k))
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        unknown.sort_unstable();
        let first = unknown.first().copied().unwrap_or_default();
        Err(AppError::invalid(
            first,
            format!(
                "unknown argument; this tool takes {}",
                if known.is_empty() {
                    "no arguments".to_owned()
                } else {
                    known.join(", ")
                }
            ),
        )
        .with_detail("unknown", unknown))
    }

    fn present(&self, key: &str) -> Option<&Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// True when the argument was given (and not null).
    pub fn has(&self, key: &str) -> bool {
        self.present(key).is_some()
    }

    /// An optional string.
    pub fn str(&self, key: &str) -> Result<Option<&str>, AppError> {
        match self.present(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(other) => Err(AppError::invalid(
                key,
                format!("must be a string, got {}", type_name(other)),
            )),
        }
    }

    /// A required string.
    pub fn required_str(&self, key: &str) -> Result<&str, AppError> {
        self.str(key)?
            .ok_or_else(|| AppError::invalid(key, "is required"))
    }

    /// An optional ticker.
    pub fn symbol(&self, key: &str) -> Result<Option<Symbol>, AppError> {
        self.str(key)?
            .map(|s| Symbol::parse(s).map_err(|e| AppError::invalid(key, e)))
            .transpose()
    }

    /// A required ticker.
    pub fn required_symbol(&self, key: &str) -> Result<Symbol, AppError> {
        self.symbol(key)?
            .ok_or_else(|| AppError::invalid(key, "is required"))
    }

    /// A list of tickers: an array of strings or one comma-separated string; 1..=max, de-duplicated
    /// in order.
    pub fn symbols(&self, key: &str, max: usize) -> Result<Option<Vec<Symbol>>, AppError> {
        let texts: Vec<&str> = match self.present(key) {
            None => return Ok(None),
            Some(Value::String(s)) => s.split(',').map(str::trim).filter(|s| !s.is_empty()).collect(),
            Some(Value::Array(items)) => {
                let mut texts = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) => texts.push(s.as_str()),
                        other => {
                            return Err(AppError::invalid(
                                &format!("{key}[{i}]"),
                                format!("must be a string, got {}", type_name(other)),
                            ));
                        }
                    }
                }
                texts
            }
            Some(other) => {
                return Err(AppError::invalid(
                    key,
                    format!("must be an array of symbols, got {}", type_name(other)),
                ));
            }
        };
        if texts.is_empty() {
            return Err(AppError::invalid(key, "must name at least one symbol"));
        }
        let mut symbols: Vec<Symbol> = Vec::with_capacity(texts.len());
        for (i, text) in texts.iter().enumerate() {
            let symbol = Symbol::parse(text).map_err(|e| AppError::invalid(&format!("{key}[{i}]"), e))?;
            if !symbols.contains(&symbol) {
                symbols.push(symbol);
            }
        }
        if symbols.len() > max {
            return Err(AppError::invalid(
                key,
                format!("at most {max} symbols per call, got {}", symbols.len()),
            ));
        }
        Ok(Some(symbols))
    }

    /// An optional finite number (a numeric string is accepted).
    pub fn f64(&self, key: &str) -> Result<Option<f64>, AppError> {
        let value = match self.present(key) {
            None => return Ok(None),
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
            Some(other) => {
                return Err(AppError::invalid(
                    key,
                    format!("must be a number, got {}", type_name(other)),
                ));
            }
        };
        match value {
            Some(v) if v.is_finite() => Ok(Some(v)),
            _ => Err(AppError::invalid(key, "must be a finite number")),
        }
    }

    /// An optional list of finite numbers: an array of numbers (or numeric strings), or one
    /// comma-separated string; at most `max` entries (bounds and meaning are the caller's).
    pub fn f64_list(&self, key: &str, max: usize) -> Result<Option<Vec<f64>>, AppError> {
        let items: Vec<Value> = match self.present(key) {
            None => return Ok(None),
            Some(Value::Array(items)) => items.clone(),
            Some(Value::String(s)) => s
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_owned()))
                .collect(),
            Some(other) => {
                return Err(AppError::invalid(
                    key,
                    format!("must be an array of numbers, got {}", type_name(other)),
                ));
            }
        };
        if items.len() > max {
            return Err(AppError::invalid(
                key,
                format!("at most {max} values, got {}", items.len()),
            ));
        }
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let value = match item {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            };
            match value {
                Some(v) if v.is_finite() => out.push(v),
                _ => {
                    return Err(AppError::invalid(
                        &format!("{key}[{i}]"),
                        format!("must be a finite number, got {item}"),
                    ));
                }
            }
        }
        Ok(Some(out))
    }

    /// An optional integer within `min..=max` (a numeric string is accepted).
    pub fn int(&self, key: &str, min: i64, max: i64) -> Result<Option<i64>, AppError> {
        let value = match self.present(key) {
            None => return Ok(None),
            Some(Value::Number(n)) => n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9e15)
                    .map(|f| f as i64)
            }),
            Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
            Some(other) => {
                return Err(AppError::invalid(
                    key,
                    format!("must be an integer, got {}", type_name(other)),
                ));
            }
        };
        match value {
            Some(v) if (min..=max).contains(&v) => Ok(Some(v)),
            Some(v) => Err(AppError::invalid(
                key,
                format!("must be between {min} and {max}, got {v}"),
            )),
            None => Err(AppError::invalid(key, "must be an integer")),
        }
    }

    /// An optional boolean (`"true"`/`"false"` accepted).
    pub fn bool(&self, key: &str) -> Result<Option<bool>, AppError> {
        match self.present(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s == "true" => Ok(Some(true)),
            Some(Value::String(s)) if s == "false" => Ok(Some(false)),
            Some(other) => Err(AppError::invalid(
                key,
                format!("must be true or false, got {}", type_name(other)),
            )),
        }
    }

    /// An optional date `YYYY-MM-DD`.
    pub fn date(&self, key: &str) -> Result<Option<Date>, AppError> {
        self.str(key)?
            .map(|s| s.trim().parse::<Date>().map_err(|e| AppError::invalid(key, e)))
            .transpose()
    }

    /// An optional array.
    pub fn array(&self, key: &str) -> Result<Option<&Vec<Value>>, AppError> {
        match self.present(key) {
            None => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items)),
            Some(other) => Err(AppError::invalid(
                key,
                format!("must be an array, got {}", type_name(other)),
            )),
        }
    }

    /// An optional object.
    pub fn object(&self, key: &str) -> Result<Option<&Map<String, Value>>, AppError> {
        match self.present(key) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(other) => Err(AppError::invalid(
                key,
                format!("must be an object, got {}", type_name(other)),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(v: Value) -> Args {
        Args::from_value(Some(v)).unwrap()
    }

    #[test]
    fn refusals_name_the_field() {
        let a = args(json!({"symbol": 5, "limit": "x", "symbols": ["SPY", 3], "extra": 1}));
        assert_eq!(a.str("symbol").unwrap_err().details["field"], "symbol");
        assert!(a.int("limit", 1, 50).unwrap_err().message.starts_with("limit:"));
        assert!(
            a.symbols("symbols", 100)
                .unwrap_err()
                .message
                .starts_with("symbols[1]:")
        );
        assert!(
            a.only(&["symbol", "limit", "symbols"])
                .unwrap_err()
                .message
                .starts_with("extra:")
        );
        assert!(Args::from_value(Some(json!([1]))).is_err());
        // Regression: a number serde cannot hold blamed the whole call instead of its argument.
        let raw =
            serde_json::value::RawValue::from_string(r#"{"symbol":"SPY","threshold":1e400}"#.to_owned())
                .unwrap();
        let err = Args::from_raw(Some(raw.get())).unwrap_err();
        assert_eq!(err.details["field"], "threshold", "{err:?}");
        assert!(err.message.contains("out of range"), "{err:?}");
        assert!(Args::from_raw(None).unwrap().map.is_empty());
    }

    #[test]
    fn lenient_forms_are_accepted() {
        let a = args(json!({"symbols": "spy, qqq,SPY", "limit": "7", "threshold": "512.5", "flag": "true"}));
        let symbols = a.symbols("symbols", 100).unwrap().unwrap();
        assert_eq!(
            symbols.iter().map(Symbol::as_str).collect::<Vec<_>>(),
            ["SPY", "QQQ"]
        );
        assert_eq!(a.int("limit", 1, 50).unwrap(), Some(7));
        assert_eq!(a.f64("threshold").unwrap(), Some(512.5));
        assert_eq!(a.bool("flag").unwrap(), Some(true));
        assert!(a.int("limit", 8, 50).is_err());
    }
}
