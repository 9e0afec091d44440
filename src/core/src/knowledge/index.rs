//! The passage index: an inverted index over headed sections, scored with BM25F.
//!
//! Each passage has four fields: its body (BM25 term frequency with length normalisation), its
//! section heading, its document's title and its document's tags (presence only). A term's
//! field frequencies are blended into one pseudo-frequency with per-field weights and then
//! saturated with the usual BM25 curve, so a term found in the heading, the title and the body
//! counts for more than one found in the body alone, but never without bound. The inverse
//! document frequency is computed over passages.

use super::analyzer::{Token, Unit, analyze, scan, word_terms};
use super::document::plain_text;
use super::{Document, SearchHit};
use rustc_hash::FxHashMap;

/// BM25 term-frequency saturation.
const K1: f64 = 1.2;
/// BM25 length normalisation.
const B: f64 = 0.75;
/// Weight of a match in the section heading, in units of body occurrences.
const HEADING_WEIGHT: f64 = 3.0;
/// Weight of a match in the document title.
const TITLE_WEIGHT: f64 = 1.5;
/// Weight of a match in the document tags.
const TAG_WEIGHT: f64 = 0.75;
/// Target snippet length in bytes (characters, for ASCII text).
const SNIPPET_LEN: usize = 200;

const IN_HEADING: u8 = 1;
const IN_TITLE: u8 = 2;
const IN_TAGS: u8 = 4;

/// One passage's entry in a term's posting list.
#[derive(Clone, Copy, Debug)]
struct Posting {
    passage: u32,
    body_tf: u32,
    fields: u8,
}

/// Where a term occurs in a passage's text: byte span and term id.
#[derive(Clone, Copy, Debug)]
struct Span {
    start: u32,
    end: u32,
    term: u32,
}

/// A passage: one headed section of one document.
#[derive(Clone, Debug)]
struct Passage {
    doc: usize,
    heading: Option<String>,
    /// The section's plain text; snippets are cut from it.
    text: String,
    /// Every body term occurrence, in text order.
    spans: Vec<Span>,
    /// Sorted ids of the terms in the heading or the body.
    local_terms: Vec<u32>,
}

/// The inverted index over the passages of a set of documents.
#[derive(Clone, Debug, Default)]
pub(crate) struct Index {
    dictionary: FxHashMap<String, u32>,
    postings: Vec<Vec<Posting>>,
    passages: Vec<Passage>,
    avg_len: f64,
}

/// One query unit resolved against the dictionary.
struct QueryUnit {
    word: String,
    /// Term ids, or `None` when a term is unknown (the unit then never matches).
    ids: Option<Vec<u32>>,
}

/// Index construction state: the index plus a cache from each distinct word to its term ids,
/// so that stop-word checks, abbreviations and stemming run once per word, not per occurrence.
struct Builder {
    index: Index,
    /// Word to a range of `cached_ids`.
    word_cache: FxHashMap<String, (usize, usize)>,
    cached_ids: Vec<u32>,
}

impl Builder {
    fn intern(&mut self, term: &str) -> u32 {
        if let Some(&id) = self.index.dictionary.get(term) {
            return id;
        }
        let id = u32::try_from(self.index.postings.len()).unwrap_or(u32::MAX);
        self.index.dictionary.insert(term.to_owned(), id);
        self.index.postings.push(Vec::new());
        id
    }

    /// The term ids of one lowercase word, from the cache when possible.
    fn word_ids(&mut self, word: &str) -> (usize, usize) {
        if let Some(&range) = self.word_cache.get(word) {
            return range;
        }
        let from = self.cached_ids.len();
        for term in word_terms(word) {
            let id = self.intern(&term);
            self.cached_ids.push(id);
        }
        let range = (from, self.cached_ids.len());
        self.word_cache.insert(word.to_owned(), range);
        range
    }

    /// Calls `f(start, end, term id)` for every term occurrence of `text`.
    fn for_each_term(&mut self, text: &str, mut f: impl FnMut(usize, usize, u32)) {
        scan(text, |start, end, token| match token {
            Token::Word(word) => {
                let (from, to) = self.word_ids(word);
                for &id in self.cached_ids.get(from..to).unwrap_or(&[]) {
                    f(start, end, id);
                }
            }
            Token::Phrase(_, term) => f(start, end, self.intern(term)),
        });
    }

    /// The sorted, distinct term ids of a short text (a title, a heading, a tag).
    fn term_set(&mut self, text: &str) -> Vec<u32> {
        let mut ids = Vec::new();
        self.for_each_term(text, |_, _, id| ids.push(id));
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    fn push_posting(&mut self, id: u32, posting: Posting) {
        if let Some(list) = usize::try_from(id)
            .ok()
            .and_then(|i| self.index.postings.get_mut(i))
        {
            list.push(posting);
        }
    }
}

impl Index {
    /// Indexes every passage of `docs`; hits refer to documents by their position in `docs`.
    pub(crate) fn build(docs: &[Document]) -> Index {
        let mut builder = Builder {
            index: Index::default(),
            word_cache: FxHashMap::default(),
            cached_ids: Vec::new(),
        };
        let mut total_len: u64 = 0;
        let mut fields: FxHashMap<u32, (u32, u8)> = FxHashMap::default();
        for (doc_id, doc) in docs.iter().enumerate() {
            let title_ids = builder.term_set(&doc.title);
            let mut tag_ids: Vec<u32> = doc.tags.iter().flat_map(|t| builder.term_set(t)).collect();
            tag_ids.sort_unstable();
            tag_ids.dedup();
            for section in doc.sections() {
                let text = plain_text(&section.text);
                if text.is_empty() {
                    continue;
                }
                let mut spans = Vec::new();
                builder.for_each_term(&text, |start, end, term| {
                    let start = u32::try_from(start).unwrap_or(u32::MAX);
                    let end = u32::try_from(end).unwrap_or(u32::MAX);
                    spans.push(Span { start, end, term });
                });
                let heading_ids = section
                    .heading
                    .as_deref()
                    .map(|h| builder.term_set(h))
                    .unwrap_or_default();

                fields.clear();
                for span in &spans {
                    fields.entry(span.term).or_default().0 += 1;
                }
                for &id in &heading_ids {
                    fields.entry(id).or_default().1 |= IN_HEADING;
                }
                let mut local_terms: Vec<u32> = fields.keys().copied().collect();
                local_terms.sort_unstable();
                for &id in &title_ids {
                    fields.entry(id).or_default().1 |= IN_TITLE;
                }
                for &id in &tag_ids {
                    fields.entry(id).or_default().1 |= IN_TAGS;
                }
                let passage = u32::try_from(builder.index.passages.len()).unwrap_or(u32::MAX);
                for (&id, &(body_tf, flags)) in &fields {
                    builder.push_posting(
                        id,
                        Posting {
                            passage,
                            body_tf,
                            fields: flags,
                        },
                    );
                }
                total_len += spans.len() as u64;
                builder.index.passages.push(Passage {
                    doc: doc_id,
                    heading: section.heading,
                    text,
                    spans,
                    local_terms,
                });
            }
        }
        let mut index = builder.index;
        if !index.passages.is_empty() {
            index.avg_len = (total_len as f64 / index.passages.len() as f64).max(1.0);
        }
        index
    }

    /// Number of indexed passages.
    pub(crate) fn passage_count(&self) -> usize {
        self.passages.len()
    }

    /// Scores the passages against an already validated query and returns the best `limit`.
    pub(crate) fn search(&self, docs: &[Document], query: &str, limit: usize) -> Vec<SearchHit> {
        let units = self.resolve(query);
        let mut term_ids: Vec<u32> = units
            .iter()
            .filter_map(|u| u.ids.as_ref())
            .flatten()
            .copied()
            .collect();
        term_ids.sort_unstable();
        term_ids.dedup();
        if term_ids.is_empty() {
            return Vec::new();
        }

        let n = self.passages.len() as f64;
        let mut scores = vec![0.0f64; self.passages.len()];
        let mut touched: Vec<u32> = Vec::new();
        for &id in &term_ids {
            let Some(list) = usize::try_from(id).ok().and_then(|i| self.postings.get(i)) else {
                continue;
            };
            let df = list.len() as f64;
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            for posting in list {
                let Some(passage) = self.passage(posting.passage) else {
                    continue;
                };
                let Some(score) = scores.get_mut(posting.passage as usize) else {
                    continue;
                };
                let norm = 1.0 - B + B * passage.spans.len() as f64 / self.avg_len;
                let mut tf = f64::from(posting.body_tf) / norm;
                if posting.fields & IN_HEADING != 0 {
                    tf += HEADING_WEIGHT;
                }
                if posting.fields & IN_TITLE != 0 {
                    tf += TITLE_WEIGHT;
                }
                if posting.fields & IN_TAGS != 0 {
                    tf += TAG_WEIGHT;
                }
                if *score == 0.0 {
                    touched.push(posting.passage);
                }
                *score += idf * tf * (K1 + 1.0) / (K1 + tf);
            }
        }

        // A passage is a hit only when at least one query word is found in its heading or
        // body; title and tag matches rank hits but do not make them.
        let mut hits: Vec<(u32, f64)> = touched
            .into_iter()
            .filter_map(|p| {
                let passage = self.passage(p)?;
                let score = scores.get(p as usize).copied().filter(|s| s.is_finite())?;
                units
                    .iter()
                    .any(|u| unit_found(u, &passage.local_terms))
                    .then_some((p, score))
            })
            .collect();
        let key = |p: u32| {
            self.passage(p).map(|passage| {
                let path = docs.get(passage.doc).map_or("", |d| d.path.as_str());
                (path, passage.heading.as_deref())
            })
        };
        let order = |a: &(u32, f64), b: &(u32, f64)| {
            b.1.total_cmp(&a.1)
                .then_with(|| key(a.0).cmp(&key(b.0)))
                .then(a.0.cmp(&b.0))
        };
        if hits.len() > limit && limit > 0 {
            hits.select_nth_unstable_by(limit - 1, order);
            hits.truncate(limit);
        }
        hits.sort_by(order);
        hits.truncate(limit);

        hits.into_iter()
            .filter_map(|(p, score)| {
                let passage = self.passage(p)?;
                let matched_terms = matched_words(&units, &passage.local_terms);
                let doc = docs.get(passage.doc)?;
                Some(SearchHit {
                    path: doc.path.clone(),
                    title: doc.title.clone(),
                    heading: passage.heading.clone(),
                    score,
                    snippet: snippet(&passage.text, &passage.spans, &term_ids),
                    matched_terms,
                    origin: doc.origin,
                })
            })
            .collect()
    }

    fn passage(&self, id: u32) -> Option<&Passage> {
        self.passages.get(usize::try_from(id).ok()?)
    }

    /// Analyses the query and looks its terms up.
    fn resolve(&self, query: &str) -> Vec<QueryUnit> {
        analyze(query)
            .into_iter()
            .map(|Unit { word, terms, .. }| QueryUnit {
                word,
                ids: terms.iter().map(|t| self.dictionary.get(t).copied()).collect(),
            })
            .collect()
    }
}

/// Whether all of a query unit's terms occur in `local_terms` (sorted).
fn unit_found(unit: &QueryUnit, local_terms: &[u32]) -> bool {
    unit.ids
        .as_ref()
        .is_some_and(|ids| ids.iter().all(|id| local_terms.binary_search(id).is_ok()))
}

/// The query words (deduplicated, in query order) all of whose terms occur in `local_terms`.
fn matched_words(units: &[QueryUnit], local_terms: &[u32]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for unit in units {
        if unit_found(unit, local_terms) && !out.contains(&unit.word) {
            out.push(unit.word.clone());
        }
    }
    out
}

/// Cuts about [`SNIPPET_LEN`] bytes of `text` around the densest cluster of query terms
/// (`query_terms` sorted), at word boundaries, with `…` where text was cut.
fn snippet(text: &str, spans: &[Span], query_terms: &[u32]) -> String {
    if text.len() <= SNIPPET_LEN {
        return text.to_owned();
    }
    // Spans of the words that carry a query term.
    let hits: Vec<(usize, usize, u32)> = spans
        .iter()
        .filter(|s| query_terms.binary_search(&s.term).is_ok())
        .map(|s| (s.start as usize, s.end as usize, s.term))
        .collect();

    // The window starting at each hit that covers the most distinct terms, then the most hits.
    let mut best: Option<(usize, usize, (usize, usize))> = None;
    let mut distinct: Vec<u32> = Vec::new();
    for (i, &(start, _, _)) in hits.iter().enumerate() {
        distinct.clear();
        let mut count = 0;
        let mut end = start;
        for &(_, e, term) in hits.iter().skip(i) {
            if e > start + SNIPPET_LEN && count > 0 {
                break;
            }
            if !distinct.contains(&term) {
                distinct.push(term);
            }
            count += 1;
            end = e;
        }
        let rank = (distinct.len(), count);
        if best.is_none_or(|(_, _, r)| rank > r) {
            best = Some((start, end, rank));
        }
    }

    let (from, to) = match best {
        Some((first, last, _)) => {
            let pad = SNIPPET_LEN.saturating_sub(last - first) / 2;
            let mut from = first.saturating_sub(pad.min(SNIPPET_LEN / 3));
            let to = (from + SNIPPET_LEN).max(last).min(text.len());
            if to - from < SNIPPET_LEN {
                from = to.saturating_sub(SNIPPET_LEN);
            }
            (snap_start(text, from, first), snap_end(text, to, last))
        }
        None => (0, snap_end(text, SNIPPET_LEN, 0)),
    };
    let mut out = String::with_capacity(to.saturating_sub(from) + 8);
    if from > 0 {
        out.push('…');
    }
    out.push_str(text.get(from..to).unwrap_or("").trim());
    if to < text.len() {
        out.push('…');
    }
    out
}

/// Moves a snippet start forward to a word start, never past `limit`.
fn snap_start(text: &str, mut from: usize, limit: usize) -> usize {
    while from > 0 && !text.is_char_boundary(from) {
        from -= 1;
    }
    if from == 0 {
        return 0;
    }
    let before_is_space = text
        .get(..from)
        .and_then(|t| t.chars().next_back())
        .is_some_and(char::is_whitespace);
    if before_is_space {
        return from;
    }
    match text.get(from..limit).and_then(|t| t.find(char::is_whitespace)) {
        Some(offset) => from + offset + 1,
        None => from,
    }
}

/// Moves a snippet end back to a word end, never before `limit`.
fn snap_end(text: &str, mut to: usize, limit: usize) -> usize {
    to = to.min(text.len());
    while to < text.len() && !text.is_char_boundary(to) {
        to += 1;
    }
    if to >= text.len() {
        return text.len();
    }
    let at_space = text
        .get(to..)
        .and_then(|t| t.chars().next())
        .is_some_and(char::is_whitespace);
    if at_space {
        return to;
    }
    match text.get(limit..to).and_then(|t| t.rfind(char::is_whitespace)) {
        Some(offset) => limit + offset,
        None => to,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Snippet of `text` for query `terms`, with spans from the analyzer.
    fn snip(text: &str, terms: &[&str]) -> String {
        let mut dictionary: Vec<String> = Vec::new();
        let mut id = |t: &str| match dictionary.iter().position(|d| d == t) {
            Some(i) => i as u32,
            None => {
                dictionary.push(t.to_owned());
                (dictionary.len() - 1) as u32
            }
        };
        let spans: Vec<Span> = analyze(text)
            .into_iter()
            .flat_map(|u| u.terms.into_iter().map(move |t| (u.start, u.end, t)))
            .map(|(start, end, t)| Span {
                start: start as u32,
                end: end as u32,
                term: id(&t),
            })
            .collect();
        let mut query: Vec<u32> = terms.iter().map(|t| id(t)).collect();
        query.sort_unstable();
        snippet(text, &spans, &query)
    }

    #[test]
    fn short_text_is_its_own_snippet() {
        assert_eq!(snip("Roll the put.", &["roll"]), "Roll the put.");
    }

    #[test]
    fn snippet_centres_on_the_densest_cluster() {
        let filler = "Lorem ipsum dolor sit amet consectetur. ".repeat(10);
        let text = format!("{filler}Roll the short put out in time for a net credit. {filler}");
        let s = snip(&text, &["roll", "credit"]);
        assert!(
            s.contains("Roll the short put out in time for a net credit."),
            "{s}"
        );
        assert!(s.starts_with('…') && s.ends_with('…'));
        assert!(
            s.len() <= SNIPPET_LEN + 2 * '…'.len_utf8() + 1,
            "{} bytes",
            s.len()
        );
    }

    #[test]
    fn snippet_without_terms_is_the_start() {
        let text = "word ".repeat(100);
        let s = snip(&text, &[]);
        assert!(s.starts_with("word") && s.ends_with('…'));
    }

    proptest! {
        #[test]
        fn snippets_never_panic(text in "\\PC{0,600}", term in "[a-z]{1,6}") {
            let s = snip(&text, &[term.as_str()]);
            prop_assert!(s.len() <= text.len() + 2 * '…'.len_utf8());
        }
    }
}
