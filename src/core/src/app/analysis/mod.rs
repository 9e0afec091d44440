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
        }
    }
}
