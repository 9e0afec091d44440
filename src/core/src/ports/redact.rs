//! Redaction of secrets from text that is about to leave the component holding them.
//!
//! An exact search misses what an API does to a secret it echoes: the message is cut short (a
//! prefix survives), upper-cased, spaced out or re-punctuated. So text and secret are compared
//! on their letters and digits alone, case folded, and any run of at least [`MIN_RUN`] of them
//! that appears in the secret is redacted, with whatever separates them in the text; at the
//! very start or end of the text (where a cut leaves a piece) a run of 4 is enough.

/// The shortest run of a secret's letters and digits that is redacted inside a text.
pub const MIN_RUN: usize = 6;
/// The shortest piece of a secret redacted where the text was cut (at its start or end).
const MIN_EDGE: usize = 4;
/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// `text` with every trace of each secret replaced by `[redacted]`; secrets with fewer than 4
/// letters and digits are not searched for.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    // The text's letters and digits, folded, with their byte spans.
    let folded: Vec<(u8, usize, usize)> = text
        .char_indices()
        .filter(|(_, c)| c.is_ascii_alphanumeric())
        .map(|(at, c)| (c.to_ascii_lowercase() as u8, at, at + c.len_utf8()))
        .collect();
    let mut marked = vec![false; folded.len()];
    for secret in secrets {
        let s: Vec<u8> = secret
            .bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|b| b.to_ascii_lowercase())
            .collect();
        if s.len() < MIN_EDGE {
            continue;
        }
        mark_common_runs(&folded, &s, &mut marked);
    }
    if !marked.contains(&true) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < folded.len() {
        if !marked.get(i).copied().unwrap_or(false) {
            i += 1;
            continue;
        }
        let mut j = i;
        while marked.get(j + 1).copied().unwrap_or(false) {
            j += 1;
        }
        let (start, end) = match (folded.get(i), folded.get(j)) {
            (Some(first), Some(last)) => (first.1, last.2),
            _ => break,
        };
        out.push_str(text.get(copied..start).unwrap_or_default());
        out.push_str(REDACTED);
        copied = end;
        i = j + 1;
    }
    out.push_str(text.get(copied..).unwrap_or_default());
    out
}

/// Marks every run of `text` (folded) that also occurs in `secret`: at least [`MIN_RUN`] long
/// (or the whole secret when shorter), or [`MIN_EDGE`] long at the text's start or end.
fn mark_common_runs(text: &[(u8, usize, usize)], secret: &[u8], marked: &mut [bool]) {
    let inner = MIN_RUN.min(secret.len());
    // prev[j]: length of the common run ending at the previous text position and secret[j].
    let mut prev = vec![0usize; secret.len()];
    let mut cur = vec![0usize; secret.len()];
    let last = text.len().saturating_sub(1);
    for (i, (c, _, _)) in text.iter().enumerate() {
        for (j, s) in secret.iter().enumerate() {
            let run = if c == s {
                j.checked_sub(1).and_then(|k| prev.get(k)).copied().unwrap_or(0) + 1
            } else {
                0
            };
            if let Some(slot) = cur.get_mut(j) {
                *slot = run;
            }
            let at_start = run == i + 1; // the run begins at the text's first letter
            let at_end = i == last && run == j + 1; // a prefix of the secret ends the text
            let long = run >= inner || (run >= MIN_EDGE && (at_start || at_end));
            if long {
                for slot in marked.iter_mut().take(i + 1).skip(i + 1 - run) {
                    *slot = true;
                }
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECRET: &str = "rt-9f3Kq7ZpLm2Xv8Wc4Bn6";

    #[test]
    fn exact_upper_case_spaced_and_cut_forms_are_redacted() {
        // Regression: scrubbing was exact-match, so each of these leaked.
        let cases = [
            format!("invalid refresh token {SECRET} given"),
            format!("invalid refresh token {} given", SECRET.to_uppercase()),
            format!(
                "token: {}",
                SECRET.chars().map(|c| format!("{c} ")).collect::<String>()
            ),
            format!("bad token {}…", &SECRET[..9]),
            format!("bad token {}", &SECRET[..7]),
            format!("{} was refused", &SECRET[10..]),
            format!("token={}", SECRET.replace('-', "_")),
        ];
        for text in &cases {
            let clean = redact(text, &[SECRET]);
            assert!(clean.contains(REDACTED), "{text} -> {clean}");
            let letters: String = clean
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_lowercase();
            let folded: String = SECRET
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_lowercase();
            for window in folded.as_bytes().windows(MIN_RUN) {
                let window = std::str::from_utf8(window).unwrap();
                assert!(
                    !letters.contains(window),
                    "{text} -> {clean} still holds {window}"
                );
            }
        }
    }

    #[test]
    fn ordinary_text_is_left_alone() {
        let text = "TastyTrade rejected the request for balances: validation_error (HTTP 422)";
        assert_eq!(redact(text, &[SECRET, "abc"]), text);
        assert_eq!(redact("", &[SECRET]), "");
        assert_eq!(
            redact("token abcd-1234 is bad, abcd-1234", &["abcd-1234"]),
            "token [redacted] is bad, [redacted]"
        );
    }

    proptest! {
        #[test]
        fn no_run_of_the_secret_survives(prefix in "[ -~]{0,40}", suffix in "[ -~]{0,40}", cut in 0usize..24, upper in any::<bool>(), sep in prop_oneof![Just(""), Just(" "), Just("-"), Just(". ")]) {
            let piece: String = SECRET.chars().skip(cut).collect();
            let mut shown: String = piece.chars().map(|c| format!("{c}{sep}")).collect();
            if upper { shown = shown.to_uppercase(); }
            let text = format!("{prefix}{shown}{suffix}");
            let clean = redact(&text, &[SECRET]);
            let letters: String = clean.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_lowercase();
            let folded: String = piece.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_lowercase();
            if folded.len() >= MIN_RUN {
                for window in folded.as_bytes().windows(MIN_RUN) {
                    let window = std::str::from_utf8(window).unwrap();
                    prop_assert!(!letters.contains(window), "{} -> {} holds {}", text, clean, window);
                }
            }
        }
    }
}
