//! Symbol text as the REST API wants it: which `/market-data/by-type` key a symbol goes under,
//! futures products and contracts, the parts of an OCC option symbol, and percent-encoding for
//! paths and queries.

/// Cash indices known without asking: quoted under the `index` key of `/market-data/by-type`.
/// Any other index is recognised through `/instruments/equities` (`is-index`), see `lib.rs`.
/// They are European-style, cash-settled option underlyings.
pub(crate) const INDICES: [&str; 7] = ["SPX", "NDX", "RUT", "VIX", "XSP", "DJX", "OEX"];

/// The month codes of futures contracts, January to December.
const MONTH_CODES: &[u8; 12] = b"FGHJKMNQUVXZ";

/// The query key of `/market-data/by-type` a symbol is asked under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum MarketDataKind {
    /// Stocks and ETFs.
    Equity,
    /// Cash indices such as SPX.
    Index,
    /// OCC equity option symbols.
    EquityOption,
    /// Futures contracts such as `/ESU5`.
    Future,
    /// Options on futures such as `./ESU5 EW3N5 250718P5800`.
    FutureOption,
}

impl MarketDataKind {
    /// The query key.
    pub(crate) fn key(self) -> &'static str {
        match self {
            MarketDataKind::Equity => "equity",
            MarketDataKind::Index => "index",
            MarketDataKind::EquityOption => "equity-option",
            MarketDataKind::Future => "future",
            MarketDataKind::FutureOption => "future-option",
        }
    }
}

/// Classifies a symbol by its form: OCC option symbols are `equity-option`, `./…` `future-option`,
/// `/…` `future`, the known cash indices `index`, everything else `equity` (which may still turn
/// out to be an index: see `lib.rs`).
pub(crate) fn classify(symbol: &str) -> MarketDataKind {
    if is_occ(symbol) {
        MarketDataKind::EquityOption
    } else if symbol.starts_with("./") {
        MarketDataKind::FutureOption
    } else if symbol.starts_with('/') {
        MarketDataKind::Future
    } else if is_index(symbol) {
        MarketDataKind::Index
    } else {
        MarketDataKind::Equity
    }
}

/// A futures symbol read: its product code and whether it names one contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FutureSymbol {
    /// The product code without the slash: `ES`.
    pub(crate) product: String,
    /// True for a contract (`/ESU5`, `/ESU25`), false for the product (`/ES`).
    pub(crate) is_contract: bool,
}

/// Reads `/ES` (a product) or `/ESU5` (a contract: product, month code, one or two year digits);
/// `None` for anything that is not a futures symbol.
pub(crate) fn future_symbol(symbol: &str) -> Option<FutureSymbol> {
    let code = symbol.strip_prefix('/')?;
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
        return None;
    }
    let digits = code.bytes().rev().take_while(u8::is_ascii_digit).count();
    let split = code.len().saturating_sub(digits + 1);
    let is_contract = (1..=2).contains(&digits)
        && split > 0
        && code
            .as_bytes()
            .get(split)
            .is_some_and(|b| MONTH_CODES.contains(b));
    Some(FutureSymbol {
        product: if is_contract {
            code.get(..split).unwrap_or(code).to_owned()
        } else {
            code.to_owned()
        },
        is_contract,
    })
}

/// True for the cash indices of [`INDICES`].
pub(crate) fn is_index(symbol: &str) -> bool {
    INDICES.contains(&symbol)
}

pub(crate) use ttai_core::domain::{is_occ, parse_occ};

/// Percent-encodes everything but the unreserved characters of RFC 3986 (`A-Z a-z 0-9 - . _ ~`),
/// for one path segment or one query value: a space becomes `%20`, `/` becomes `%2F`.
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(hex_digit(byte >> 4));
            out.push(hex_digit(byte & 0x0f));
        }
    }
    out
}

/// One upper-case hex digit.
fn hex_digit(nibble: u8) -> char {
    char::from(if nibble < 10 {
        b'0' + nibble
    } else {
        b'A' + nibble - 10
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use ttai_core::domain::OptionType;
    use ttai_core::time::Date;

    #[test]
    fn symbols_are_classified_for_by_type() {
        assert_eq!(classify("SPY"), MarketDataKind::Equity);
        assert_eq!(classify("BRK/B"), MarketDataKind::Equity);
        assert_eq!(classify("SPX"), MarketDataKind::Index);
        assert_eq!(classify("VIX"), MarketDataKind::Index);
        assert_eq!(classify("SPY   250117P00450000"), MarketDataKind::EquityOption);
        assert_eq!(classify("SPXW  250117C05000000"), MarketDataKind::EquityOption);
        // Too short, lower case, a bad type letter: not OCC.
        assert_eq!(classify("SPY  250117P00450000"), MarketDataKind::Equity);
        assert_eq!(classify("spy   250117P00450000"), MarketDataKind::Equity);
        assert_eq!(classify("SPY   250117X00450000"), MarketDataKind::Equity);
    }

    #[test]
    fn futures_and_their_options_are_classified() {
        assert_eq!(classify("/ES"), MarketDataKind::Future);
        assert_eq!(classify("/ESU5"), MarketDataKind::Future);
        assert_eq!(classify("./ESU5 EW3N5 250718P5800"), MarketDataKind::FutureOption);
        assert_eq!(MarketDataKind::FutureOption.key(), "future-option");
        let product = |p: &str, c: bool| {
            Some(FutureSymbol {
                product: p.to_owned(),
                is_contract: c,
            })
        };
        assert_eq!(future_symbol("/ES"), product("ES", false));
        assert_eq!(future_symbol("/ESU5"), product("ES", true));
        assert_eq!(future_symbol("/ESZ25"), product("ES", true));
        assert_eq!(future_symbol("/6EM6"), product("6E", true));
        assert_eq!(future_symbol("/6E"), product("6E", false));
        assert_eq!(future_symbol("/M2K"), product("M2K", false));
        // A product code ending in a digit after a letter that is no month code.
        assert_eq!(future_symbol("/E7"), product("E7", false));
        assert_eq!(future_symbol("/ZN"), product("ZN", false));
        assert_eq!(
            future_symbol("/U5"),
            product("U5", false),
            "no product before the month"
        );
        assert_eq!(future_symbol("ES"), None);
        assert_eq!(future_symbol("/"), None);
        assert_eq!(future_symbol("/ES U5"), None);
    }

    #[test]
    fn occ_symbols_are_read() {
        let parts = parse_occ("AAPL  250117C00062500").unwrap();
        assert_eq!(parts.root, "AAPL");
        assert_eq!(parts.expiration, Date::from_ymd(2025, 1, 17).unwrap());
        assert_eq!(parts.option_type, OptionType::Call);
        assert_eq!(parts.strike, 62.5);
        assert!(parse_occ("AAPL  251317C00062500").is_none(), "month 13");
        assert!(parse_occ("AAPL").is_none());
    }

    #[test]
    fn encoding_keeps_only_unreserved_characters() {
        assert_eq!(encode("SPY   250117P00450000"), "SPY%20%20%20250117P00450000");
        assert_eq!(encode("BRK/B"), "BRK%2FB");
        assert_eq!(encode("a-b.c_d~e"), "a-b.c_d~e");
        assert_eq!(encode("5WT0/../x?y"), "5WT0%2F..%2Fx%3Fy");
    }

    proptest! {
        #[test]
        fn occ_symbols_built_by_the_core_round_trip(
            root in "[A-Z]{1,6}",
            days in 10_957i32..47_482,
            call in any::<bool>(),
            thousandths in 1u32..99_999_999,
        ) {
            let expiration = Date::from_days_since_epoch(days);
            let option_type = if call { OptionType::Call } else { OptionType::Put };
            let strike = f64::from(thousandths) / 1000.0;
            let symbol = ttai_core::domain::occ_symbol(&root, expiration, option_type, strike);
            let parts = parse_occ(&symbol).unwrap();
            prop_assert_eq!(parts.root, root);
            prop_assert_eq!(parts.expiration, expiration);
            prop_assert_eq!(parts.option_type, option_type);
            prop_assert_eq!(parts.strike, strike);
        }

        #[test]
        fn encoded_text_has_no_reserved_characters(text in "\\PC{0,30}") {
            let encoded = encode(&text);
            prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)));
        }
    }
}
