//! The analyses the product exists for: chart analysis, options candidates and the full
//! analysis with a recommendation. Deterministic and explainable: every number in a result can
//! be traced to the inputs the result also carries.

mod chart;
mod full;
mod options;
mod sizing;

pub(crate) use chart::chart_spec;
pub use chart::{ChartAnalysis, MIN_BARS, analyze_series};
pub use full::{Caution, FullAnalysis, FullOptions, Progress, Recommendation, Severity};
pub use options::{
    Candidate, IV_RANK_HIGH, IV_RANK_LOW, OptionsAnalysis, OptionsInput, OptionsRequest, Strategy,
    atr_from_context, levels_from_context, rank_candidates, size_candidates, volatility_verdict,
};
pub use sizing::{
    AccountContext, DEFAULT_MAX_BP_USAGE_PERCENT, DEFAULT_MAX_EXPOSURE_PERCENT, DEFAULT_MIN_CREDIT_TO_WIDTH,
    Exposure, RiskLimits, Sizing, account_context, size,
};

/// Base64 (standard alphabet, padded) of bytes: image content in MCP results.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b0 = u32::from(chunk.first().copied().unwrap_or(0));
        let b1 = u32::from(chunk.get(1).copied().unwrap_or(0));
        let b2 = u32::from(chunk.get(2).copied().unwrap_or(0));
        let n = (b0 << 16) | (b1 << 8) | b2;
        let symbols = [(n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63];
        for (i, s) in symbols.iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET.get(*s as usize).copied().unwrap_or(b'A')));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes canonical base64 (standard alphabet, padded): exactly what [`base64`] writes, so any
/// other spelling of the same bytes (missing padding, non-zero unused bits, whitespace) is
/// refused with `None`.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    }
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    let groups = bytes.len() / 4;
    for (index, group) in bytes.chunks(4).enumerate() {
        let last = index + 1 == groups;
        let pad = match group {
            [_, _, b'=', b'='] if last => 2,
            [_, _, _, b'='] if last => 1,
            _ => 0,
        };
        let mut n = 0u32;
        for (i, c) in group.iter().enumerate() {
            let v = if i >= 4 - pad { 0 } else { value(*c)? };
            n = (n << 6) | v;
        }
        let [_, b0, b1, b2] = n.to_be_bytes();
        out.push(b0);
        if pad < 2 {
            out.push(b1);
        }
        if pad < 1 {
            out.push(b2);
        }
    }
    // Canonical only: encoding the result must give the same text back.
    (base64(&out) == text).then_some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_the_rfc_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(super::base64(plain.as_bytes()), encoded);
            assert_eq!(super::base64_decode(encoded).as_deref(), Some(plain.as_bytes()));
        }
        for bad in ["Zg", "Zh==", "Zg=a", "Z g=", "Zm9v\n", "====", "Zg==Zg=="] {
            assert_eq!(super::base64_decode(bad), None, "{bad:?}");
        }
    }
}
