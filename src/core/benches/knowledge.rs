//! Knowledge base benchmark: index build time for 200 documents and search latency.
//!
//! A small self-contained harness (no criterion): it generates 200 synthetic documents of
//! realistic size by varying the built-in ones, times building the passage index over them,
//! then times a few hundred trader queries against that index and reports p50 and p99.
//!
//! Run with `cargo bench -p ttai-core --bench knowledge`.
#![allow(clippy::print_stdout, reason = "a benchmark reports its figures on stdout")]

use std::error::Error;
use std::hint::black_box;
use std::time::{Duration, Instant};

use ttai_core::knowledge::{Document, KnowledgeBase, Origin};

const DOCUMENTS: usize = 200;
const BUILD_ROUNDS: usize = 15;
const SEARCH_ROUNDS: usize = 5;
const LIMIT: usize = 10;

const TICKERS: &[&str] = &[
    "XYZ", "SPY", "QQQ", "IWM", "AAPL", "MSFT", "AMD", "KO", "XLE", "TLT", "GLD",
];

const BASE_QUERIES: &[&str] = &[
    "when to roll a cash secured put",
    "iron condor adjustments",
    "what is iv rank",
    "early assignment dividend",
    "take profit at 50%",
    "covered call strike selection",
    "expected move formula",
    "iv crush after earnings",
    "theta decay",
    "delta probability of expiring in the money",
    "pin risk at expiration",
    "21 dte rule",
    "how many contracts should I trade",
    "buying power usage vix",
    "roll covered call up and out",
    "strangle tested side roll untested",
    "going inverted",
    "wheel cost basis",
    "calendar spread long vega",
    "naked strangle margin requirement",
    "bear call spread breakeven",
    "put credit spread max loss",
    "should I sell puts before earnings",
    "what delta should I sell",
    "max loss iron condor",
    "ex-dividend covered call",
    "OTM put probability",
    "what happens if my put expires in the money",
    "strangle vs iron condor",
    "when to close a losing trade",
    "gamma risk near expiration",
    "low iv rank strategy",
    "cost basis after assignment",
    "buying power for a naked put",
    "what is vega",
    "rho interest rates",
    "annualized return csp",
    "roll for a credit",
    "defend the put side",
    "position size small account",
    "historical volatility vs implied volatility",
    "skew put premium",
    "return on risk credit spread",
    "how wide should my spread be",
    "csp vs bull put spread",
    "short call assignment ex dividend",
    "close at 21 dte or roll",
    "wheel strategy worked example",
    "calendar spread max profit",
    "deep itm put early exercise",
];

/// A deterministic pseudo-random sequence (64-bit LCG), so every run measures the same work.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Splits a Markdown body into `##` sections (the text before the first one included).
fn split_sections(body: &str) -> Vec<String> {
    let mut sections = vec![String::new()];
    for line in body.lines() {
        if line.starts_with("## ") {
            sections.push(String::new());
        }
        if let Some(current) = sections.last_mut() {
            current.push_str(line);
            current.push('\n');
        }
    }
    sections.retain(|s| !s.trim().is_empty());
    sections
}

/// The `i`th synthetic document: a built-in one with rotated sections, another ticker, a
/// paragraph of its own vocabulary shuffled in, and a notes section.
fn synthetic(base: &Document, i: usize, rng: &mut Lcg) -> Document {
    let ticker = TICKERS.get(i % TICKERS.len()).copied().unwrap_or("XYZ");
    let mut sections = split_sections(&base.body.replace("XYZ", ticker));
    let rotate = i % sections.len().max(1);
    sections.rotate_left(rotate);
    let vocabulary: Vec<&str> = base.body.split_whitespace().filter(|w| w.len() > 3).collect();
    let mut sentence = |words: usize| {
        let mut s = String::new();
        for _ in 0..words {
            if let Some(word) = vocabulary.get(rng.below(vocabulary.len())) {
                s.push_str(word);
                s.push(' ');
            }
        }
        s.push_str(".\n");
        s
    };
    let mut body = String::new();
    for section in &sections {
        body.push_str(section);
        body.push('\n');
        body.push_str(&sentence(25));
        body.push('\n');
    }
    body.push_str(&format!("## Trader notes {i}\n\n"));
    body.push_str(&sentence(80));
    let mut tags = base.tags.clone();
    tags.push(format!("set-{}", i % 7));
    Document {
        path: format!("synthetic/{i:03}-{}", base.path.replace('/', "-")),
        title: format!("{} ({ticker} variant {i})", base.title),
        tags,
        body,
        origin: Origin::User,
    }
}

/// `(text)` of a synthetic document with front matter, for the parse-and-build timing.
fn as_markdown(doc: &Document) -> String {
    format!(
        "---\ntitle: {}\ntags: [{}]\n---\n\n{}\n",
        doc.title,
        doc.tags.join(", "),
        doc.body
    )
}

/// A few hundred queries: the base ones, then mixtures of two of them.
fn queries(rng: &mut Lcg) -> Vec<String> {
    let mut out: Vec<String> = BASE_QUERIES.iter().map(|q| (*q).to_owned()).collect();
    while out.len() < 300 {
        let a: Vec<&str> = BASE_QUERIES
            .get(rng.below(BASE_QUERIES.len()))
            .map_or(Vec::new(), |q| q.split(' ').collect());
        let b: Vec<&str> = BASE_QUERIES
            .get(rng.below(BASE_QUERIES.len()))
            .map_or(Vec::new(), |q| q.split(' ').collect());
        let take_a = 1 + rng.below(a.len().max(1));
        let take_b = 1 + rng.below(b.len().max(1));
        let words: Vec<&str> = a
            .iter()
            .take(take_a)
            .chain(b.iter().skip(b.len().saturating_sub(take_b)))
            .copied()
            .collect();
        out.push(words.join(" "));
    }
    out
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted.get(rank).copied().unwrap_or_default()
}

fn summary(label: &str, mut samples: Vec<Duration>) {
    samples.sort_unstable();
    let total: Duration = samples.iter().sum();
    let mean = total / u32::try_from(samples.len().max(1)).unwrap_or(1);
    println!(
        "{label:<44} n={:<5} min={:>10.3?} p50={:>10.3?} p99={:>10.3?} max={:>10.3?} mean={:>10.3?}",
        samples.len(),
        samples.first().copied().unwrap_or_default(),
        percentile(&samples, 50.0),
        percentile(&samples, 99.0),
        samples.last().copied().unwrap_or_default(),
        mean,
    );
}

fn main() -> Result<(), Box<dyn Error>> {
    let builtin = KnowledgeBase::builtin();
    let bases = builtin.documents();
    if bases.is_empty() {
        return Err("no built-in documents".into());
    }
    let mut rng = Lcg(0x5eed);
    let docs: Vec<Document> = (0..DOCUMENTS)
        .filter_map(|i| {
            bases
                .get(i % bases.len())
                .map(|base| synthetic(base, i, &mut rng))
        })
        .collect();
    let texts: Vec<(String, String)> = docs.iter().map(|d| (d.path.clone(), as_markdown(d))).collect();
    let bytes: usize = docs.iter().map(|d| d.body.len()).sum();

    // Index build over exactly 200 documents.
    let mut build = Vec::with_capacity(BUILD_ROUNDS);
    let mut kb = KnowledgeBase::from_documents(docs.clone());
    for _ in 0..BUILD_ROUNDS {
        let input = docs.clone();
        let start = Instant::now();
        kb = black_box(KnowledgeBase::from_documents(black_box(input)));
        build.push(start.elapsed());
    }
    // Parsing 200 Markdown texts plus the built-ins, then building.
    let mut parse_build = Vec::with_capacity(BUILD_ROUNDS);
    for _ in 0..BUILD_ROUNDS {
        let input = texts.clone();
        let start = Instant::now();
        let (parsed, errors) = KnowledgeBase::with_user_documents(black_box(input));
        parse_build.push(start.elapsed());
        if !errors.is_empty() {
            return Err(format!(
                "{} synthetic documents failed to parse: {:?}",
                errors.len(),
                errors.first()
            )
            .into());
        }
        black_box(parsed);
    }
    let mut builtin_build = Vec::with_capacity(BUILD_ROUNDS);
    for _ in 0..BUILD_ROUNDS {
        let start = Instant::now();
        black_box(KnowledgeBase::builtin());
        builtin_build.push(start.elapsed());
    }

    // Search latency.
    let queries = queries(&mut rng);
    for query in &queries {
        black_box(kb.search(query, LIMIT)?);
    }
    let mut latencies = Vec::with_capacity(queries.len() * SEARCH_ROUNDS);
    let mut hits = 0usize;
    for _ in 0..SEARCH_ROUNDS {
        for query in &queries {
            let start = Instant::now();
            let result = kb.search(black_box(query), LIMIT)?;
            latencies.push(start.elapsed());
            hits += black_box(result).len();
        }
    }

    println!(
        "corpus: {} documents, {:.1} KiB of Markdown, {} passages; {} queries x {} rounds, limit {}, {} hits",
        kb.documents().len(),
        bytes as f64 / 1024.0,
        kb.passage_count(),
        queries.len(),
        SEARCH_ROUNDS,
        LIMIT,
        hits,
    );
    summary("index build, 200 documents", build);
    summary("parse + index build, 200 user + built-ins", parse_build);
    summary("built-in knowledge base (parse + build)", builtin_build);
    summary("search latency", latencies);
    Ok(())
}
