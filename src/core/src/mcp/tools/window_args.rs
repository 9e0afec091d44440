//! The window a short-premium trade is looked for in: days to expiration (`dte_min`,
//! `dte_max`) and the short leg's |delta| (`delta_min`, `delta_max`). One schema and one reading
//! for analyze_options, run_backtest (whose trade rules start from the options analysis's
//! defaults, [`OptionsRequest::defaults`]) and get_option_chain (days only, with its own
//! meaning of the window).

use serde_json::{Value, json};

use super::Args;
use crate::app::analysis::OptionsRequest;
use crate::error::AppError;

/// The most days to expiration a window may name.
pub(crate) const MAX_DTE: i64 = 1000;

/// The JSON Schema properties of `dte_min` and `dte_max` (whole days, 0 to 1000), each with
/// what it means to the tool.
pub(crate) fn dte_schemas(min: &str, max: &str) -> [(&'static str, Value); 2] {
    let days = |description: &str| json!({"type": "integer", "minimum": 0, "maximum": MAX_DTE, "description": description});
    [("dte_min", days(min)), ("dte_max", days(max))]
}

/// The JSON Schema properties of the trade window of a short-premium trade: `dte_min`,
/// `dte_max`, `delta_min` and `delta_max`, with their defaults.
pub(crate) fn trade_window_schemas() -> [(&'static str, Value); 4] {
    let defaults = OptionsRequest::defaults(crate::app::analysis::Strategy::Csp);
    let [dte_min, dte_max] = dte_schemas(
        &format!(
            "fewest days to expiration of a trade (default {})",
            defaults.dte_min
        ),
        &format!(
            "most days to expiration of a trade (default {})",
            defaults.dte_max
        ),
    );
    let delta = |description: String| json!({"type": "number", "minimum": 0, "maximum": 1, "description": description});
    [
        dte_min,
        dte_max,
        (
            "delta_min",
            delta(format!(
                "smallest |delta| of the short leg (default {})",
                defaults.delta_min
            )),
        ),
        (
            "delta_max",
            delta(format!(
                "largest |delta| of the short leg (default {})",
                defaults.delta_max
            )),
        ),
    ]
}

/// The names of the trade window's arguments.
pub(crate) const TRADE_WINDOW_ARGS: [&str; 4] = ["dte_min", "dte_max", "delta_min", "delta_max"];

/// `dte_min` and `dte_max`, each when given (whole days, 0 to 1000).
pub(crate) fn dte_args(args: &Args) -> Result<(Option<i32>, Option<i32>), AppError> {
    let day = |key| Ok::<_, AppError>(args.int(key, 0, MAX_DTE)?.map(|v| v as i32));
    Ok((day("dte_min")?, day("dte_max")?))
}

/// `delta_min` and `delta_max`, each when given (an absolute delta, 0 to 1).
pub(crate) fn delta_args(args: &Args) -> Result<(Option<f64>, Option<f64>), AppError> {
    let delta = |key| match args.f64(key)? {
        Some(v) if !(0.0..=1.0).contains(&v) => {
            Err(AppError::invalid(key, "must be between 0 and 1 (absolute delta)"))
        }
        v => Ok(v),
    };
    Ok((delta("delta_min")?, delta("delta_max")?))
}

/// Refuses a window whose floor (`min_key`) exceeds its ceiling `max`, named `max_key`.
pub(crate) fn ordered<T: PartialOrd + std::fmt::Display>(
    min_key: &str,
    min: T,
    max_key: &str,
    max: T,
) -> Result<(), AppError> {
    if min > max {
        return Err(AppError::invalid(
            min_key,
            format!("must not exceed {max_key} ({max})"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn args(value: Value) -> Args {
        Args::from_value(Some(value)).unwrap()
    }

    #[test]
    fn the_window_is_read_within_its_bounds_naming_the_argument() {
        let given = args(json!({"dte_min": 7, "delta_max": 0.4}));
        assert_eq!(dte_args(&given).unwrap(), (Some(7), None));
        assert_eq!(delta_args(&given).unwrap(), (None, Some(0.4)));
        for (bad, field) in [
            (json!({"dte_min": -1}), "dte_min"),
            (json!({"dte_max": 1001}), "dte_max"),
            (json!({"delta_min": -0.1}), "delta_min"),
            (json!({"delta_max": 1.5}), "delta_max"),
        ] {
            let bad = args(bad);
            let error = dte_args(&bad).and_then(|_| delta_args(&bad)).unwrap_err();
            assert_eq!(error.details["field"], field);
        }
        let error = ordered("dte_min", 50, "dte_max", 40).unwrap_err();
        assert_eq!(error.details["field"], "dte_min");
        assert!(
            error.to_string().contains("must not exceed dte_max (40)"),
            "{error}"
        );
        assert!(ordered("delta_min", 0.2, "delta_max", 0.2).is_ok());
    }

    #[test]
    fn the_schemas_state_the_bounds_and_the_defaults() {
        let [dte_min, dte_max, delta_min, delta_max] = trade_window_schemas();
        assert_eq!(dte_min.1["maximum"], MAX_DTE);
        assert!(
            dte_max.1["description"]
                .as_str()
                .unwrap()
                .ends_with("(default 45)")
        );
        assert_eq!(
            (delta_min.1["minimum"].clone(), delta_max.1["maximum"].clone()),
            (json!(0), json!(1))
        );
        assert!(
            delta_min.1["description"]
                .as_str()
                .unwrap()
                .ends_with("(default 0.15)")
        );
    }
}
