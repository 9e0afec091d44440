//! The Porter stemmer (M. F. Porter, "An algorithm for suffix stripping", 1980).
//!
//! This follows the reference C implementation, including its two published departures from
//! the paper (`-bli` becomes `-ble` and `-logi` becomes `-log` in step 2). Only lowercase ASCII
//! words are stemmed; anything else is returned unchanged, so numbers and non-English words
//! pass through as they are.

/// Stems one lowercase word. Words of two letters or fewer, and words that are not all ASCII
/// lowercase letters, come back unchanged.
pub(crate) fn stem(word: &str) -> String {
    if word.len() <= 2 || !word.bytes().all(|c| c.is_ascii_lowercase()) {
        return word.to_owned();
    }
    let mut stemmer = Stemmer {
        b: word.as_bytes().to_vec(),
        k: 0,
        j: 0,
    };
    stemmer.k = stemmer.b.len() as isize - 1;
    stemmer.step1ab();
    if stemmer.k > 0 {
        stemmer.step1c();
        stemmer.step2();
        stemmer.step3();
        stemmer.step4();
        stemmer.step5();
    }
    let end = usize::try_from(stemmer.k + 1).unwrap_or(0);
    stemmer.b.truncate(end);
    // The buffer only ever holds ASCII letters, so this conversion cannot fail.
    String::from_utf8(stemmer.b).unwrap_or_default()
}

/// The working state: the word in `b`, its current end at `k`, and the end of the stem under
/// consideration at `j` (both inclusive indices, `j` may be -1 when the suffix is the whole word).
struct Stemmer {
    b: Vec<u8>,
    k: isize,
    j: isize,
}

impl Stemmer {
    fn at(&self, i: isize) -> u8 {
        usize::try_from(i)
            .ok()
            .and_then(|i| self.b.get(i))
            .copied()
            .unwrap_or(0)
    }

    /// Whether the letter at `i` is a consonant; `y` is a consonant at the start of the word
    /// or after a vowel.
    fn cons(&self, i: isize) -> bool {
        match self.at(i) {
            b'a' | b'e' | b'i' | b'o' | b'u' => false,
            b'y' => i == 0 || !self.cons(i - 1),
            _ => true,
        }
    }

    /// The measure m of the stem `b[0..=j]`: the number of vowel-consonant sequences.
    fn m(&self) -> usize {
        let mut n = 0;
        let mut i = 0;
        loop {
            if i > self.j {
                return n;
            }
            if !self.cons(i) {
                break;
            }
            i += 1;
        }
        i += 1;
        loop {
            loop {
                if i > self.j {
                    return n;
                }
                if self.cons(i) {
                    break;
                }
                i += 1;
            }
            i += 1;
            n += 1;
            loop {
                if i > self.j {
                    return n;
                }
                if !self.cons(i) {
                    break;
                }
                i += 1;
            }
            i += 1;
        }
    }

    /// Whether the stem `b[0..=j]` contains a vowel.
    fn vowel_in_stem(&self) -> bool {
        (0..=self.j).any(|i| !self.cons(i))
    }

    /// Whether `b[i-1..=i]` is a double consonant.
    fn double_cons(&self, i: isize) -> bool {
        i >= 1 && self.at(i) == self.at(i - 1) && self.cons(i)
    }

    /// Whether `b[i-2..=i]` is consonant-vowel-consonant and the last is not w, x or y.
    fn cvc(&self, i: isize) -> bool {
        if i < 2 || !self.cons(i) || self.cons(i - 1) || !self.cons(i - 2) {
            return false;
        }
        !matches!(self.at(i), b'w' | b'x' | b'y')
    }

    /// Whether the word (up to `k`) ends with `s`; on success `j` marks the end of the stem.
    fn ends(&mut self, s: &str) -> bool {
        let len = s.len() as isize;
        if len > self.k + 1 {
            return false;
        }
        let start = self.k + 1 - len;
        let (Ok(from), Ok(to)) = (usize::try_from(start), usize::try_from(self.k + 1)) else {
            return false;
        };
        if self.b.get(from..to) != Some(s.as_bytes()) {
            return false;
        }
        self.j = start - 1;
        true
    }

    /// Replaces `b[j+1..=k]` with `s` and moves `k` to the new end.
    fn set_to(&mut self, s: &str) {
        let keep = usize::try_from(self.j + 1).unwrap_or(0);
        self.b.truncate(keep);
        self.b.extend_from_slice(s.as_bytes());
        self.k = self.b.len() as isize - 1;
    }

    /// Replaces the suffix with `s` when the stem's measure is positive.
    fn r(&mut self, s: &str) {
        if self.m() > 0 {
            self.set_to(s);
        }
    }

    /// Plurals and -ed or -ing.
    fn step1ab(&mut self) {
        if self.at(self.k) == b's' {
            if self.ends("sses") {
                self.k -= 2;
            } else if self.ends("ies") {
                self.set_to("i");
            } else if self.at(self.k - 1) != b's' {
                self.k -= 1;
            }
        }
        self.b.truncate(usize::try_from(self.k + 1).unwrap_or(0));
        if self.ends("eed") {
            if self.m() > 0 {
                self.k -= 1;
            }
        } else if (self.ends("ed") || self.ends("ing")) && self.vowel_in_stem() {
            self.k = self.j;
            self.b.truncate(usize::try_from(self.k + 1).unwrap_or(0));
            if self.ends("at") {
                self.set_to("ate");
            } else if self.ends("bl") {
                self.set_to("ble");
            } else if self.ends("iz") {
                self.set_to("ize");
            } else if self.double_cons(self.k) {
                self.k -= 1;
                if matches!(self.at(self.k), b'l' | b's' | b'z') {
                    self.k += 1;
                }
            } else if self.m() == 1 && self.cvc(self.k) {
                self.j = self.k;
                self.set_to("e");
            }
        }
        self.b.truncate(usize::try_from(self.k + 1).unwrap_or(0));
    }

    /// A final y becomes i when there is another vowel in the stem.
    fn step1c(&mut self) {
        if self.ends("y")
            && self.vowel_in_stem()
            && let Some(c) = usize::try_from(self.k).ok().and_then(|k| self.b.get_mut(k))
        {
            *c = b'i';
        }
    }

    /// Tries each `(suffix, replacement)` in order; the first suffix that matches decides,
    /// whether or not its replacement applies.
    fn replace_first(&mut self, rules: &[(&str, &str)]) {
        for (suffix, replacement) in rules {
            if self.ends(suffix) {
                self.r(replacement);
                return;
            }
        }
    }

    /// Double suffixes to single ones: -ization to -ize, -ational to -ate, and so on.
    fn step2(&mut self) {
        let rules: &[(&str, &str)] = match self.at(self.k - 1) {
            b'a' => &[("ational", "ate"), ("tional", "tion")],
            b'c' => &[("enci", "ence"), ("anci", "ance")],
            b'e' => &[("izer", "ize")],
            b'l' => &[
                ("bli", "ble"),
                ("alli", "al"),
                ("entli", "ent"),
                ("eli", "e"),
                ("ousli", "ous"),
            ],
            b'o' => &[("ization", "ize"), ("ation", "ate"), ("ator", "ate")],
            b's' => &[
                ("alism", "al"),
                ("iveness", "ive"),
                ("fulness", "ful"),
                ("ousness", "ous"),
            ],
            b't' => &[("aliti", "al"), ("iviti", "ive"), ("biliti", "ble")],
            b'g' => &[("logi", "log")],
            _ => &[],
        };
        self.replace_first(rules);
    }

    /// -ic-, -full, -ness and the like.
    fn step3(&mut self) {
        let rules: &[(&str, &str)] = match self.at(self.k) {
            b'e' => &[("icate", "ic"), ("ative", ""), ("alize", "al")],
            b'i' => &[("iciti", "ic")],
            b'l' => &[("ical", "ic"), ("ful", "")],
            b's' => &[("ness", "")],
            _ => &[],
        };
        self.replace_first(rules);
    }

    /// Removes -ant, -ence and the like when the stem's measure exceeds one.
    fn step4(&mut self) {
        let suffixes: &[&str] = match self.at(self.k - 1) {
            b'a' => &["al"],
            b'c' => &["ance", "ence"],
            b'e' => &["er"],
            b'i' => &["ic"],
            b'l' => &["able", "ible"],
            b'n' => &["ant", "ement", "ment", "ent"],
            b'o' => {
                // -ion only after s or t; otherwise -ou (which covers -ous after step 1).
                let ion = self.ends("ion") && self.j >= 0 && matches!(self.at(self.j), b's' | b't');
                if !(ion || self.ends("ou")) {
                    return;
                }
                &[]
            }
            b's' => &["ism"],
            b't' => &["ate", "iti"],
            b'u' => &["ous"],
            b'v' => &["ive"],
            b'z' => &["ize"],
            _ => return,
        };
        if !suffixes.is_empty() && !suffixes.iter().any(|s| self.ends(s)) {
            return;
        }
        if self.m() > 1 {
            self.k = self.j;
            self.b.truncate(usize::try_from(self.k + 1).unwrap_or(0));
        }
    }

    /// Removes a final -e and reduces a final -ll when the measure allows.
    fn step5(&mut self) {
        self.j = self.k;
        if self.at(self.k) == b'e' {
            let a = self.m();
            if a > 1 || (a == 1 && !self.cvc(self.k - 1)) {
                self.k -= 1;
            }
        }
        if self.at(self.k) == b'l' && self.double_cons(self.k) && self.m() > 1 {
            self.k -= 1;
        }
        self.b.truncate(usize::try_from(self.k + 1).unwrap_or(0));
    }
}

#[cfg(test)]
mod tests {
    use super::stem;
    use proptest::prelude::*;

    #[test]
    fn porter_reference_vocabulary() {
        let pairs = [
            ("caresses", "caress"),
            ("ponies", "poni"),
            ("ties", "ti"),
            ("caress", "caress"),
            ("cats", "cat"),
            ("feed", "feed"),
            ("agreed", "agre"),
            ("plastered", "plaster"),
            ("bled", "bled"),
            ("motoring", "motor"),
            ("sing", "sing"),
            ("conflated", "conflat"),
            ("troubled", "troubl"),
            ("sized", "size"),
            ("hopping", "hop"),
            ("tanned", "tan"),
            ("falling", "fall"),
            ("hissing", "hiss"),
            ("fizzed", "fizz"),
            ("failing", "fail"),
            ("filing", "file"),
            ("happy", "happi"),
            ("sky", "sky"),
            ("relational", "relat"),
            ("conditional", "condit"),
            ("rational", "ration"),
            ("valenci", "valenc"),
            ("hesitanci", "hesit"),
            ("digitizer", "digit"),
            ("conformabli", "conform"),
            ("radicalli", "radic"),
            ("differentli", "differ"),
            ("vileli", "vile"),
            ("analogousli", "analog"),
            ("vietnamization", "vietnam"),
            ("predication", "predic"),
            ("operator", "oper"),
            ("feudalism", "feudal"),
            ("decisiveness", "decis"),
            ("hopefulness", "hope"),
            ("callousness", "callous"),
            ("formaliti", "formal"),
            ("sensitiviti", "sensit"),
            ("sensibiliti", "sensibl"),
            ("triplicate", "triplic"),
            ("formative", "form"),
            ("formalize", "formal"),
            ("electriciti", "electr"),
            ("electrical", "electr"),
            ("hopeful", "hope"),
            ("goodness", "good"),
            ("revival", "reviv"),
            ("allowance", "allow"),
            ("inference", "infer"),
            ("airliner", "airlin"),
            ("gyroscopic", "gyroscop"),
            ("adjustable", "adjust"),
            ("defensible", "defens"),
            ("irritant", "irrit"),
            ("replacement", "replac"),
            ("adjustment", "adjust"),
            ("dependent", "depend"),
            ("adoption", "adopt"),
            ("homologou", "homolog"),
            ("communism", "commun"),
            ("activate", "activ"),
            ("angulariti", "angular"),
            ("homologous", "homolog"),
            ("effective", "effect"),
            ("bowdlerize", "bowdler"),
            ("probate", "probat"),
            ("rate", "rate"),
            ("cease", "ceas"),
            ("controll", "control"),
            ("roll", "roll"),
            ("generalizations", "gener"),
            ("oscillators", "oscil"),
        ];
        for (word, expected) in pairs {
            assert_eq!(stem(word), expected, "stem of {word}");
        }
    }

    #[test]
    fn trader_vocabulary_folds_together() {
        let groups: &[&[&str]] = &[
            &["put", "puts"],
            &["spread", "spreads"],
            &["strategy", "strategies"],
            &["roll", "rolls", "rolling", "rolled"],
            &["assign", "assigned", "assignment", "assignments"],
            &["adjust", "adjusting", "adjustment", "adjustments"],
            &["volatile", "volatility"],
            &["expire", "expiration", "expirations"],
            &["profit", "profits"],
            &["take", "taking", "takes"],
            &["condor", "condors"],
            &["dividend", "dividends"],
            &["strangle", "strangles"],
            &["premium", "premiums"],
        ];
        for group in groups {
            let first = stem(group[0]);
            for word in group.iter() {
                assert_eq!(stem(word), first, "{word} should stem like {}", group[0]);
            }
        }
    }

    #[test]
    fn non_letters_and_short_words_pass_through() {
        assert_eq!(stem("50"), "50");
        assert_eq!(stem("0.30"), "0.30");
        assert_eq!(stem("as"), "as");
        assert_eq!(stem("délta"), "délta");
        assert_eq!(stem("21dte"), "21dte");
    }

    proptest! {
        #[test]
        fn never_panics_and_never_grows_much(word in "[a-z]{0,30}") {
            let s = stem(&word);
            prop_assert!(s.len() <= word.len() + 1);
        }
    }
}
