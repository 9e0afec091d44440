//! Text analysis shared by indexing and querying.
//!
//! A text becomes a list of [`Unit`]s: each is one word (or one folded phrase such as "in the
//! money") with its byte span in the text and the index terms it stands for. The steps are:
//! lowercase and split on anything that is not a letter or digit (apostrophes inside words are
//! dropped, and `.` or `,` between digits stays inside a number, so `0.30` is one word), fold a
//! few multi-word phrases, drop stop words, expand trader abbreviations ("csp" is "cash secured
//! put", "iv" is "implied volatility"), map a few synonyms ("expiry" is "expiration") and stem
//! what remains with Snowball's English stemmer (Porter's second algorithm). Because documents and queries go through the same
//! steps, "CSP", "cash-secured puts" and "cash secured put" all meet on the same terms.

use std::borrow::Cow;
use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};

/// Snowball's English stemmer.
static ENGLISH: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));

/// Stems one lowercase word. Words of two letters or fewer, and words that are not all ASCII
/// lowercase letters (numbers such as `0.30`, other scripts), come back unchanged.
fn stem(word: &str) -> String {
    if word.len() <= 2 || !word.bytes().all(|c| c.is_ascii_lowercase()) {
        return word.to_owned();
    }
    ENGLISH.stem(word).into_owned()
}

/// One analysed word or phrase.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Unit {
    /// Byte offset of the first character in the analysed text.
    pub(crate) start: usize,
    /// Byte offset just past the last character.
    pub(crate) end: usize,
    /// The lowercase surface form, e.g. `rolling`, `csp` or `in the money`.
    pub(crate) word: String,
    /// The index terms the unit stands for, e.g. `["roll"]` or `["cash", "secur", "put"]`.
    pub(crate) terms: Vec<String>,
}

/// Words that carry no meaning for search. Kept short on purpose: "up", "down", "out", "not"
/// and "over" matter when talking about rolls and strikes.
const STOP_WORDS: &[&str] = &[
    "a", "about", "an", "and", "are", "as", "at", "be", "been", "being", "but", "by", "can", "could", "did",
    "do", "does", "doing", "for", "from", "had", "has", "have", "how", "i", "if", "in", "into", "is", "it",
    "its", "just", "me", "my", "of", "on", "or", "our", "should", "so", "some", "such", "than", "that",
    "the", "their", "them", "then", "there", "these", "they", "this", "those", "to", "too", "very", "was",
    "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would",
    "you", "your",
];

/// Multi-word phrases folded into one term before stop words are dropped.
const PHRASES: &[(&[&str], &str)] = &[
    (&["out", "of", "the", "money"], "otm"),
    (&["in", "the", "money"], "itm"),
    (&["at", "the", "money"], "atm"),
];

/// Trader abbreviations and the words they stand for.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("bp", "buying power"),
    ("bpr", "buying power reduction"),
    ("cc", "covered call"),
    ("ccs", "covered call"),
    ("csp", "cash secured put"),
    ("csps", "cash secured put"),
    ("dte", "days to expiration"),
    ("hv", "historical volatility"),
    ("ic", "iron condor"),
    ("ics", "iron condor"),
    ("iv", "implied volatility"),
    ("ivp", "implied volatility percentile"),
    ("ivr", "implied volatility rank"),
    ("pop", "probability of profit"),
];

/// Single-word synonyms mapped to the word the documents use.
const SYNONYMS: &[(&str, &str)] = &[
    ("centre", "center"),
    ("defence", "defense"),
    ("div", "dividend"),
    ("divs", "dividend"),
    ("expiries", "expiration"),
    ("expiry", "expiration"),
    ("exp", "expiration"),
    ("judgement", "judgment"),
    ("licence", "license"),
    ("offence", "offense"),
    ("vol", "volatility"),
    ("vols", "volatility"),
];

/// British endings and their American forms, longest first. Applied only when at least three
/// letters precede the ending, so "rise", "four" and "hour" are left alone.
const SPELLING: &[(&str, &str)] = &[
    ("isations", "izations"),
    ("isation", "ization"),
    ("ising", "izing"),
    ("ysing", "yzing"),
    ("oured", "ored"),
    ("ouring", "oring"),
    ("ised", "ized"),
    ("ises", "izes"),
    ("ysed", "yzed"),
    ("yses", "yzes"),
    ("ours", "ors"),
    ("ise", "ize"),
    ("yse", "yze"),
    ("our", "or"),
];

/// Folds British spelling into American (`annualised` becomes `annualized`, `favour` becomes
/// `favor`) so that documents and queries in either spelling meet.
fn american(word: &str) -> Cow<'_, str> {
    for (british, us) in SPELLING {
        if let Some(stem) = word.strip_suffix(british)
            && stem.chars().count() >= 3
        {
            return Cow::Owned(format!("{stem}{us}"));
        }
    }
    Cow::Borrowed(word)
}

/// Whether `word` is a stop word.
pub(crate) fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.binary_search(&word).is_ok()
}

/// Turns one lowercase word into its index terms: synonym, then stem. Stop words give none.
pub(crate) fn word_terms(word: &str) -> Vec<String> {
    if let Some((_, expansion)) = ABBREVIATIONS.iter().find(|(abbr, _)| *abbr == word) {
        return expansion
            .split(' ')
            .filter(|w| !is_stop_word(w))
            .map(stem)
            .collect();
    }
    if is_stop_word(word) {
        return Vec::new();
    }
    let word = SYNONYMS
        .iter()
        .find(|(from, _)| *from == word)
        .map_or(word, |(_, to)| *to);
    vec![stem(&american(word))]
}

/// What the scanner found at one place in the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Token<'a> {
    /// One lowercase word, not yet checked against the stop words or mapped to terms.
    Word(&'a str),
    /// A folded phrase: its words and the single term it stands for.
    Phrase(&'static [&'static str], &'static str),
}

/// Splits `text` into lowercase words, stored back to back in one buffer: each word is its
/// byte span in the text and its span in the buffer.
fn words(text: &str) -> (String, Vec<[usize; 4]>) {
    let mut buffer = String::with_capacity(text.len());
    let mut spans: Vec<[usize; 4]> = Vec::with_capacity(text.len() / 5);
    // The word being read: text start, text end, buffer start.
    let mut current: Option<[usize; 3]> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c.is_alphanumeric() {
            let word = current.get_or_insert([i, i, buffer.len()]);
            word[1] = i + c.len_utf8();
            if c.is_ascii() {
                buffer.push(c.to_ascii_lowercase());
            } else {
                buffer.extend(c.to_lowercase());
            }
            continue;
        }
        if let Some([_, _, from]) = current {
            let prev = buffer.get(from..).and_then(|w| w.chars().next_back());
            let next = chars.peek().map(|&(_, n)| n);
            if matches!(c, '\'' | '\u{2019}')
                && prev.is_some_and(char::is_alphabetic)
                && next.is_some_and(char::is_alphabetic)
            {
                continue;
            }
            if matches!(c, '.' | ',')
                && prev.is_some_and(|p| p.is_ascii_digit())
                && next.is_some_and(|n| n.is_ascii_digit())
            {
                if c == '.' {
                    buffer.push('.');
                }
                continue;
            }
        }
        if let Some([start, end, from]) = current.take() {
            spans.push([start, end, from, buffer.len()]);
        }
    }
    if let Some([start, end, from]) = current.take() {
        spans.push([start, end, from, buffer.len()]);
    }
    (buffer, spans)
}

/// Scans `text` and calls `f(start, end, token)` for each word or folded phrase, in order.
/// Stop words are passed on as words; [`word_terms`] gives them no terms.
pub(crate) fn scan(text: &str, mut f: impl FnMut(usize, usize, Token<'_>)) {
    let (buffer, spans) = words(text);
    let word = |i: usize| spans.get(i).and_then(|&[_, _, from, to]| buffer.get(from..to));
    let mut i = 0;
    'outer: while let Some(&[start, end, from, to]) = spans.get(i) {
        let text_word = buffer.get(from..to).unwrap_or("");
        if matches!(text_word, "in" | "out" | "at") {
            for (phrase, term) in PHRASES {
                let matches = phrase
                    .iter()
                    .enumerate()
                    .all(|(offset, part)| word(i + offset) == Some(*part));
                if matches {
                    let last = spans.get(i + phrase.len() - 1).map_or(end, |s| s[1]);
                    f(start, last, Token::Phrase(phrase, term));
                    i += phrase.len();
                    continue 'outer;
                }
            }
        }
        f(start, end, Token::Word(text_word));
        i += 1;
    }
}

/// Analyses a text into units; see the module documentation.
pub(crate) fn analyze(text: &str) -> Vec<Unit> {
    let mut units = Vec::new();
    scan(text, |start, end, token| match token {
        Token::Word(word) => {
            let terms = word_terms(word);
            if !terms.is_empty() {
                units.push(Unit {
                    start,
                    end,
                    word: word.to_owned(),
                    terms,
                });
            }
        }
        Token::Phrase(words, term) => {
            units.push(Unit {
                start,
                end,
                word: words.join(" "),
                terms: vec![term.to_owned()],
            });
        }
    });
    units
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn all_terms(text: &str) -> Vec<String> {
        analyze(text).into_iter().flat_map(|unit| unit.terms).collect()
    }

    #[test]
    fn word_lists_are_sorted_for_binary_search() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn lowercases_splits_and_drops_stop_words() {
        assert_eq!(all_terms("When to ROLL a Put?"), ["roll", "put"]);
        assert_eq!(all_terms("Take profits at 50%"), ["take", "profit", "50"]);
        assert_eq!(
            all_terms("a 0.30 delta put, $1,250 credit"),
            ["0.30", "delta", "put", "1250", "credit"]
        );
    }

    #[test]
    fn folds_plurals_and_strategy_words() {
        assert_eq!(all_terms("puts"), all_terms("put"));
        assert_eq!(all_terms("spreads"), all_terms("spread"));
        assert_eq!(all_terms("strategies"), all_terms("strategy"));
        assert_eq!(all_terms("trader's"), all_terms("traders"));
    }

    #[test]
    fn expands_abbreviations_and_synonyms() {
        assert_eq!(all_terms("CSP"), all_terms("cash-secured put"));
        assert_eq!(all_terms("csps"), all_terms("cash secured puts"));
        assert_eq!(all_terms("IV rank"), all_terms("implied volatility rank"));
        assert_eq!(all_terms("ivr"), all_terms("implied volatility rank"));
        assert_eq!(all_terms("45 DTE"), all_terms("45 days to expiration"));
        assert_eq!(all_terms("expiry"), all_terms("expiration"));
        assert_eq!(all_terms("IC"), all_terms("iron condors"));
    }

    #[test]
    fn folds_british_spelling() {
        assert_eq!(all_terms("annualised"), all_terms("annualized"));
        assert_eq!(all_terms("realised volatility"), all_terms("realized volatility"));
        assert_eq!(all_terms("favour"), all_terms("favor"));
        assert_eq!(all_terms("defence"), all_terms("defense"));
        assert_eq!(all_terms("analyse"), all_terms("analyze"));
        assert_eq!(all_terms("four"), ["four"]);
        assert_ne!(all_terms("rise"), all_terms("rize"));
    }

    #[test]
    fn folds_moneyness_phrases() {
        assert_eq!(all_terms("deep in-the-money calls"), ["deep", "itm", "call"]);
        assert_eq!(all_terms("out of the money"), all_terms("OTM"));
        assert_eq!(all_terms("at the money"), ["atm"]);
    }

    #[test]
    fn units_keep_spans_and_surface_forms() {
        let text = "Rolling the CSP in the money";
        let units = analyze(text);
        let words: Vec<&str> = units.iter().map(|u| u.word.as_str()).collect();
        assert_eq!(words, ["rolling", "csp", "in the money"]);
        for unit in &units {
            assert_eq!(
                text[unit.start..unit.end].to_lowercase().replace('-', " "),
                unit.word
            );
        }
    }

    proptest! {
        #[test]
        fn spans_are_char_boundaries(text in "\\PC{0,200}") {
            for unit in analyze(&text) {
                prop_assert!(unit.start < unit.end);
                prop_assert!(text.is_char_boundary(unit.start));
                prop_assert!(text.is_char_boundary(unit.end));
                prop_assert!(!unit.terms.is_empty());
            }
        }
    }
}
