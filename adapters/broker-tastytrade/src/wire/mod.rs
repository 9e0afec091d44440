//! The REST API's JSON as it is on the wire (docs/tastytrade-wire.md, "REST").
//!
//! Keys are kebab-case. Decimals usually come as strings (`"51600.762"`) and counts as numbers
//! (`40`), but not reliably, so every numeric field accepts either ([`de::decimal`]). Times come
//! with `Z`, `+00:00` or `-06:00` offsets, sometimes as epoch milliseconds ([`de::timestamp`]).
//! Unknown fields are ignored and almost every field is optional: what a field means, and what is
//! done when it is missing, is decided in one place, `mapping`. None of these types leaves the
//! crate.

mod account;
pub(crate) mod de;
mod envelope;
mod market;
mod orders;

pub(crate) use account::*;
pub(crate) use envelope::*;
pub(crate) use market::*;
pub(crate) use orders::*;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use ttai_core::time::Timestamp;

    #[test]
    fn documented_samples_are_read() {
        let json = r#"{"data": {"items": [
            {"symbol": "AAPL", "instrument-type": "Equity", "updated-at": "2025-04-29T21:33:25.535Z",
             "bid": "210.55", "bid-size": "2.0", "ask": "210.6", "ask-size": 1, "mark": "210.55",
             "last": "210.511", "prev-close": "210.14", "halt-start-time": -1, "volume": "35348839.0",
             "is-trading-halted": false, "beta": "1.26"},
            "not an object",
            {"symbol": "SPX", "instrument-type": "Index", "updated-at": "2019-01-20T18:02:44.206-06:00",
             "bid": null, "last": 5000}
        ]}, "context": "/market-data/by-type"}"#;
        let answer: Envelope<Items<MarketDataWire>> = serde_json::from_str(json).unwrap();
        let items = answer.data.items;
        assert_eq!(items.len(), 2, "the malformed item is left out");
        let first = &items[0];
        assert_eq!(first.bid, Some(210.55));
        assert_eq!(first.ask_size, Some(1.0));
        assert_eq!(first.volume, Some(35_348_839.0));
        assert_eq!(
            first.updated_at,
            Some("2025-04-29T21:33:25.535Z".parse().unwrap())
        );
        let second = &items[1];
        assert_eq!(second.bid, None);
        assert_eq!(second.last, Some(5000.0));
        assert_eq!(second.updated_at.unwrap().to_string(), "2019-01-21T00:02:44.206Z");
    }

    #[test]
    fn error_envelopes_of_every_shape_are_read() {
        let nested: ErrorAnswer = serde_json::from_str(
            r#"{"error": {"code": "validation_error", "message": "Request validation failed",
                "errors": [{"domain": "account-numbers", "reason": "is missing"},
                           {"code": "margin_check_failed", "message": "not enough"}]}}"#,
        )
        .unwrap();
        let Some(ErrorField::Object(object)) = nested.error else {
            panic!("an object")
        };
        assert_eq!(object.code.as_deref(), Some("validation_error"));
        assert_eq!(object.errors.len(), 2);
        assert_eq!(object.errors[0].domain.as_deref(), Some("account-numbers"));
        assert_eq!(object.errors[1].code.as_deref(), Some("margin_check_failed"));

        let numeric: ErrorAnswer = serde_json::from_str(
            r#"{"error": {"code": 406, "message": "The requested version is not supported."}}"#,
        )
        .unwrap();
        let Some(ErrorField::Object(object)) = numeric.error else {
            panic!("an object")
        };
        assert_eq!(object.code.as_deref(), Some("406"));

        let oauth: ErrorAnswer =
            serde_json::from_str(r#"{"error": "invalid_grant", "error_description": "Grant revoked"}"#)
                .unwrap();
        assert!(matches!(oauth.error, Some(ErrorField::Code(code)) if code == "invalid_grant"));
        let tastytrade: ErrorAnswer =
            serde_json::from_str(r#"{"error_code": "invalid_grant", "error_description": "Invalid JWT"}"#)
                .unwrap();
        assert!(tastytrade.error.is_none());
        assert_eq!(tastytrade.error_code.as_deref(), Some("invalid_grant"));
        assert_eq!(tastytrade.error_description.as_deref(), Some("Invalid JWT"));
    }

    #[test]
    fn odd_values_read_as_missing() {
        for text in [
            r#""""#,
            r#""NaN""#,
            r#""Infinity""#,
            r#""abc""#,
            "null",
            "true",
            "[]",
        ] {
            let value: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(de::decimal_value(&value), None, "{text}");
        }
    }

    /// A JSON member holding `value` as a number or as a string.
    fn decimal_json(value: f64, as_string: bool) -> String {
        if as_string {
            format!(r#"{{"bid": "{value}"}}"#)
        } else {
            format!(r#"{{"bid": {value}}}"#)
        }
    }

    proptest! {
        #[test]
        fn decimals_read_the_same_as_strings_or_numbers(
            value in prop_oneof![
                -1.0e12f64..1.0e12,
                (0i64..100_000_000).prop_map(|n| n as f64 / 1000.0),
                (0i64..1_000_000).prop_map(|n| n as f64),
            ],
            as_string in any::<bool>(),
        ) {
            let wire: MarketDataWire = serde_json::from_str(&decimal_json(value, as_string)).unwrap();
            prop_assert_eq!(wire.bid, Some(value));
        }

        #[test]
        fn timestamps_read_the_same_in_every_offset(
            ms in 0i64..4_102_444_800_000,
            offset_minutes in prop_oneof![Just(0i64), -720i64..=840],
            form in 0u8..4,
        ) {
            let at = Timestamp::from_millis(ms);
            let local = Timestamp::from_millis(ms + offset_minutes * 60_000);
            let (date, rest) = {
                let text = local.to_string();
                let (date, time) = text.split_once('T').unwrap();
                (date.to_owned(), time.trim_end_matches('Z').to_owned())
            };
            let clock = if rest.contains('.') { rest } else { format!("{rest}.000") };
            let sign = if offset_minutes < 0 { '-' } else { '+' };
            let offset = format!("{sign}{:02}:{:02}", offset_minutes.abs() / 60, offset_minutes.abs() % 60);
            let text = match form {
                0 if offset_minutes == 0 => format!("\"{date}T{clock}Z\""),
                1 => ms.to_string(),
                _ => format!("\"{date}T{clock}{offset}\""),
            };
            let json = format!(r#"{{"updated-at": {text}}}"#);
            let wire: MarketDataWire = serde_json::from_str(&json).unwrap();
            let expected = if form == 1 && ms == 0 { None } else { Some(at) };
            prop_assert_eq!(wire.updated_at, expected, "{}", json);
        }
    }
}
