//! Tests of the knowledge base as a whole: the built-in documents, ranking on the questions a
//! trader would ask, user documents, strategy lookup and validation.

use std::sync::LazyLock;

use proptest::prelude::*;

use super::*;

static KB: LazyLock<KnowledgeBase> = LazyLock::new(KnowledgeBase::builtin);

const REQUIRED_DOCUMENTS: &[&str] = &[
    "basics/assignment-and-exercise.md",
    "basics/greeks.md",
    "basics/implied-volatility.md",
    "risk/defending-tested-sides.md",
    "risk/managing-winners.md",
    "risk/position-sizing.md",
    "risk/rolling.md",
    "strategies/bear-call-spread.md",
    "strategies/bull-put-spread.md",
    "strategies/calendar-spread.md",
    "strategies/cash-secured-put.md",
    "strategies/covered-call.md",
    "strategies/iron-condor.md",
    "strategies/short-strangle.md",
    "strategies/wheel.md",
];

fn top(query: &str) -> SearchHit {
    let hits = KB.search(query, 5).unwrap();
    assert!(!hits.is_empty(), "no hits for {query:?}");
    hits[0].clone()
}

fn describe(hits: &[SearchHit]) -> String {
    hits.iter()
        .map(|h| format!("{:.3} {} / {:?}", h.score, h.path, h.heading))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_builtin_document_parses_with_front_matter_and_sections() {
    assert_eq!(
        BUILTIN_DOCUMENTS.len(),
        builtin_documents().len(),
        "a built-in document failed to parse"
    );
    for (path, text) in BUILTIN_DOCUMENTS {
        let doc = parse_document(path, text, Origin::Builtin).unwrap();
        assert!(!doc.title.is_empty(), "{path}: title");
        assert!(!doc.tags.is_empty(), "{path}: tags");
        let headed = doc
            .sections()
            .iter()
            .filter(|s| s.level == 2 && !s.text.trim().is_empty())
            .count();
        assert!(headed >= 3, "{path}: only {headed} sections");
        assert!(
            !doc.body.starts_with("---"),
            "{path}: front matter left in the body"
        );
    }
    let paths: Vec<&str> = KB.documents().iter().map(|d| d.path.as_str()).collect();
    assert_eq!(paths, REQUIRED_DOCUMENTS);
    assert!(KB.documents().iter().all(|d| d.origin == Origin::Builtin));
}

#[test]
fn strategy_documents_cover_the_required_topics() {
    let required = [
        "What it is",
        "When to use it",
        "Strike and expiration selection",
        "Profit, loss and breakeven",
        "Capital and buying power",
        "Worked example",
        "Management",
        "Risks",
    ];
    for name in KB.strategy_names() {
        if name == "wheel" {
            continue;
        }
        let doc = KB.strategy(&name).unwrap();
        let headings: Vec<String> = doc.sections().into_iter().filter_map(|s| s.heading).collect();
        for heading in required {
            assert!(
                headings.iter().any(|h| h == heading),
                "{name} lacks a {heading:?} section"
            );
        }
    }
}

#[test]
fn rolling_a_cash_secured_put() {
    let hits = KB.search("when to roll a cash secured put", 5).unwrap();
    let first = &hits[0];
    assert!(
        first.path == "risk/rolling.md" || first.path == "strategies/cash-secured-put.md",
        "{}",
        describe(&hits)
    );
    let heading = first.heading.as_deref().unwrap_or("").to_lowercase();
    assert!(heading.contains("roll"), "{}", describe(&hits));
    assert_eq!(first.matched_terms, ["roll", "cash", "secured", "put"]);
    assert!(first.snippet.to_lowercase().contains("roll"), "{}", first.snippet);
}

#[test]
fn abbreviations_find_the_same_passages() {
    let long = KB.search("rolling a cash-secured put", 3).unwrap();
    let short = KB.search("rolling a CSP", 3).unwrap();
    assert_eq!(long[0].path, short[0].path);
    assert_eq!(long[0].heading, short[0].heading);
    assert_eq!(short[0].matched_terms, ["rolling", "csp"]);
}

#[test]
fn iron_condor_adjustments() {
    let hits = KB.search("iron condor adjustments", 5).unwrap();
    assert_eq!(hits[0].path, "strategies/iron-condor.md", "{}", describe(&hits));
    assert_eq!(
        hits[0].heading.as_deref(),
        Some("Adjustments when one side is tested")
    );
}

#[test]
fn what_is_iv_rank() {
    let hits = KB.search("what is iv rank", 5).unwrap();
    assert_eq!(
        hits[0].path,
        "basics/implied-volatility.md",
        "{}",
        describe(&hits)
    );
    assert_eq!(hits[0].heading.as_deref(), Some("IV rank and IV percentile"));
    assert_eq!(hits[0].matched_terms, ["iv", "rank"]);
}

#[test]
fn early_assignment_before_a_dividend() {
    let hits = KB.search("early assignment dividend", 5).unwrap();
    assert_eq!(
        hits[0].path,
        "basics/assignment-and-exercise.md",
        "{}",
        describe(&hits)
    );
    let heading = hits[0].heading.as_deref().unwrap_or("").to_lowercase();
    assert!(heading.contains("dividend"), "{}", describe(&hits));
}

#[test]
fn take_profit_at_fifty_percent() {
    let hits = KB.search("take profit at 50%", 5).unwrap();
    assert_eq!(hits[0].path, "risk/managing-winners.md", "{}", describe(&hits));
    assert_eq!(hits[0].matched_terms, ["take", "profit", "50"]);
}

#[test]
fn covered_call_strike_selection() {
    let hits = KB.search("covered call strike selection", 5).unwrap();
    assert_eq!(hits[0].path, "strategies/covered-call.md", "{}", describe(&hits));
    assert_eq!(
        hits[0].heading.as_deref(),
        Some("Strike and expiration selection")
    );
}

#[test]
fn more_trader_questions() {
    let cases = [
        ("expected move formula", "basics/implied-volatility.md"),
        ("iv crush after earnings", "basics/implied-volatility.md"),
        ("theta decay", "basics/greeks.md"),
        ("delta probability of expiring in the money", "basics/greeks.md"),
        ("pin risk at expiration", "basics/assignment-and-exercise.md"),
        ("21 dte rule", "risk/managing-winners.md"),
        ("how many contracts should I trade", "risk/position-sizing.md"),
        ("buying power usage vix", "risk/position-sizing.md"),
        (
            "roll covered call up and out",
            "risk/rolling.md|strategies/covered-call.md|risk/defending-tested-sides.md",
        ),
        (
            "strangle tested side roll untested",
            "risk/defending-tested-sides.md",
        ),
        ("going inverted", "risk/defending-tested-sides.md"),
        ("wheel cost basis", "strategies/wheel.md"),
        ("calendar spread long vega", "strategies/calendar-spread.md"),
        (
            "naked strangle margin requirement",
            "strategies/short-strangle.md",
        ),
        ("bear call spread breakeven", "strategies/bear-call-spread.md"),
        ("put credit spread max loss", "strategies/bull-put-spread.md"),
    ];
    for (query, path) in cases {
        let hits = KB.search(query, 5).unwrap();
        assert!(
            path.split('|').any(|p| p == hits[0].path),
            "{query:?}\n{}",
            describe(&hits)
        );
    }
}

#[test]
fn hits_are_sorted_unique_and_carry_snippets() {
    let hits = KB.search("short put assignment risk", 50).unwrap();
    assert!(hits.len() > 10);
    for pair in hits.windows(2) {
        assert!(pair[0].score >= pair[1].score);
        if pair[0].score == pair[1].score {
            assert!((&pair[0].path, &pair[0].heading) <= (&pair[1].path, &pair[1].heading));
        }
    }
    let mut keys: Vec<_> = hits.iter().map(|h| (h.path.clone(), h.heading.clone())).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), hits.len());
    for hit in &hits {
        assert!(!hit.matched_terms.is_empty());
        assert!(hit.snippet.chars().count() <= 260, "{}", hit.snippet);
        assert!(hit.score.is_finite() && hit.score > 0.0);
    }
    assert_eq!(KB.search("short put assignment risk", 3).unwrap(), hits[..3]);
}

#[test]
fn stop_words_and_unknown_words_find_nothing() {
    assert!(KB.search("what is the", 10).unwrap().is_empty());
    assert!(KB.search("zzyzx quux", 10).unwrap().is_empty());
}

#[test]
fn validation_errors() {
    assert_eq!(KB.search("", 5), Err(KnowledgeError::EmptyQuery));
    assert_eq!(KB.search("  \n\t", 5), Err(KnowledgeError::EmptyQuery));
    assert_eq!(
        KB.search(&"a".repeat(501), 5),
        Err(KnowledgeError::QueryTooLong { max: 500 })
    );
    assert!(KB.search(&"é".repeat(500), 5).is_ok());
    assert_eq!(
        KB.search("delta", 0),
        Err(KnowledgeError::InvalidLimit { limit: 0, max: 50 })
    );
    assert_eq!(
        KB.search("delta", 51),
        Err(KnowledgeError::InvalidLimit { limit: 51, max: 50 })
    );
    assert!(KB.search("delta", 50).is_ok());
    assert_eq!(KnowledgeError::EmptyQuery.to_string(), "query is empty");
    assert_eq!(
        KnowledgeError::InvalidLimit { limit: 0, max: 50 }.to_string(),
        "limit must be between 1 and 50, got 0"
    );
}

#[test]
fn user_documents_are_searchable() {
    let note = "# My earnings playbook\n\nI never hold a zebracorn position through earnings.\n\n## Exits\nClose zebracorn trades the day before the report.\n";
    let (kb, errors) =
        KnowledgeBase::with_user_documents(vec![("notes/earnings.md".to_owned(), note.to_owned())]);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(kb.documents().len(), REQUIRED_DOCUMENTS.len() + 1);
    let doc = kb.document("notes/earnings.md").unwrap();
    assert_eq!(doc.title, "My earnings playbook");
    assert_eq!(doc.origin, Origin::User);
    let hits = kb.search("zebracorn earnings", 5).unwrap();
    assert_eq!(hits[0].path, "notes/earnings.md");
    assert_eq!(hits[0].origin, Origin::User);
    assert!(hits[0].matched_terms.contains(&"zebracorn".to_owned()));
    let hits = kb.search("zebracorn", 50).unwrap();
    assert_eq!(hits.len(), 2);
    assert!(hits.iter().all(|h| h.path == "notes/earnings.md"));
    // Built-in documents are still there.
    assert_eq!(
        kb.search("iron condor adjustments", 1).unwrap()[0].path,
        "strategies/iron-condor.md"
    );
}

#[test]
fn a_user_document_shadows_the_builtin_with_the_same_path() {
    let mine = "---\ntitle: My cash-secured puts\ntags: [csp]\n---\n## Rules\nOnly on index ETFs, at the 0.20 delta, rolled never.\n";
    let (kb, errors) = KnowledgeBase::with_user_documents(vec![(
        "strategies/cash-secured-put.md".to_owned(),
        mine.to_owned(),
    )]);
    assert!(errors.is_empty());
    assert_eq!(kb.documents().len(), REQUIRED_DOCUMENTS.len());
    let doc = kb.document("strategies/cash-secured-put.md").unwrap();
    assert_eq!(doc.origin, Origin::User);
    assert_eq!(kb.strategy("csp").unwrap(), doc);
    // A phrase only the built-in text has is no longer found in that document.
    let builtin_phrase = "Return on collateral annualised";
    assert!(
        KB.search(builtin_phrase, 50)
            .unwrap()
            .iter()
            .any(|h| h.path == "strategies/cash-secured-put.md")
    );
    let hits = kb.search(builtin_phrase, 50).unwrap();
    assert!(
        hits.iter().all(|h| h.path != "strategies/cash-secured-put.md"),
        "{}",
        describe(&hits)
    );
    let hits = kb.search("index ETFs rolled never", 5).unwrap();
    assert_eq!(hits[0].path, "strategies/cash-secured-put.md");
    assert_eq!(hits[0].origin, Origin::User);
}

#[test]
fn bad_and_duplicate_user_documents_are_reported() {
    let (kb, errors) = KnowledgeBase::with_user_documents(vec![
        ("../escape.md".to_owned(), "text".to_owned()),
        ("empty.md".to_owned(), "  ".to_owned()),
        ("notes/a.md".to_owned(), "first".to_owned()),
        ("./notes/a.md".to_owned(), "second".to_owned()),
    ]);
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(matches!(&errors[0], KnowledgeError::BadDocument { path, .. } if path == "../escape.md"));
    assert!(matches!(&errors[2], KnowledgeError::BadDocument { reason, .. } if reason.contains("same path")));
    assert_eq!(kb.document("notes/a.md").unwrap().body, "first");
    assert_eq!(kb.documents().len(), REQUIRED_DOCUMENTS.len() + 1);
}

#[test]
fn strategy_lookup_by_name_and_alias() {
    let cases = [
        ("cash-secured-put", "strategies/cash-secured-put.md"),
        ("csp", "strategies/cash-secured-put.md"),
        ("CSP", "strategies/cash-secured-put.md"),
        ("cash_secured_put", "strategies/cash-secured-put.md"),
        ("Cash Secured Put", "strategies/cash-secured-put.md"),
        ("covered-call", "strategies/covered-call.md"),
        ("cc", "strategies/covered-call.md"),
        ("covered_call", "strategies/covered-call.md"),
        ("wheel", "strategies/wheel.md"),
        ("bull-put-spread", "strategies/bull-put-spread.md"),
        ("bull_put", "strategies/bull-put-spread.md"),
        ("put-credit-spread", "strategies/bull-put-spread.md"),
        ("spread", "strategies/bull-put-spread.md"),
        ("bear-call-spread", "strategies/bear-call-spread.md"),
        ("bear_call", "strategies/bear-call-spread.md"),
        ("call-credit-spread", "strategies/bear-call-spread.md"),
        ("iron-condor", "strategies/iron-condor.md"),
        ("IC", "strategies/iron-condor.md"),
        ("short-strangle", "strategies/short-strangle.md"),
        ("strangle", "strategies/short-strangle.md"),
        ("calendar-spread", "strategies/calendar-spread.md"),
        ("calendar", "strategies/calendar-spread.md"),
        ("strategies/wheel.md", "strategies/wheel.md"),
    ];
    for (name, path) in cases {
        assert_eq!(KB.strategy(name).map(|d| d.path.as_str()), Some(path), "{name}");
    }
    assert!(KB.strategy("jade-lizard").is_none());
    assert!(KB.strategy("").is_none());
    assert!(KB.strategy("greeks").is_none());
    assert_eq!(
        KB.strategy_names(),
        [
            "bear-call-spread",
            "bull-put-spread",
            "calendar-spread",
            "cash-secured-put",
            "covered-call",
            "iron-condor",
            "short-strangle",
            "wheel"
        ]
    );
}

#[test]
fn user_documents_can_add_strategies() {
    let text = "---\ntitle: Jade lizard\ntags: [strategy]\n---\n## What it is\nA short put plus a short call spread.\n";
    let (kb, _) =
        KnowledgeBase::with_user_documents(vec![("strategies/jade-lizard.md".to_owned(), text.to_owned())]);
    assert!(kb.strategy_names().contains(&"jade-lizard".to_owned()));
    assert_eq!(kb.strategy("Jade Lizard").unwrap().title, "Jade lizard");
    assert_eq!(kb.strategy_names().len(), 9);
}

#[test]
fn document_lookup() {
    assert_eq!(KB.document("basics/greeks.md").unwrap().title, "The Greeks");
    assert_eq!(KB.document("./basics/greeks.md").unwrap().title, "The Greeks");
    assert!(KB.document("basics/nothing.md").is_none());
    assert!(KB.document("../basics/greeks.md").is_none());
}

#[test]
fn hits_serialize_with_snake_case_origin() {
    let hit = top("vega");
    let json = serde_json::to_value(&hit).unwrap();
    assert_eq!(json["origin"], "builtin");
    assert!(json["score"].is_number());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn search_never_panics_and_scores_are_sorted(query in "\\PC{0,80}|[a-z ]{490,520}", limit in 0usize..60) {
        match KB.search(&query, limit) {
            Ok(hits) => {
                prop_assert!(hits.len() <= limit);
                for hit in &hits {
                    prop_assert!(hit.score.is_finite());
                }
                for pair in hits.windows(2) {
                    prop_assert!(pair[0].score >= pair[1].score);
                }
            }
            Err(KnowledgeError::EmptyQuery) => prop_assert!(query.trim().is_empty()),
            Err(KnowledgeError::InvalidLimit { .. }) => prop_assert!(limit == 0 || limit > MAX_LIMIT),
            Err(KnowledgeError::QueryTooLong { max }) => prop_assert!(query.chars().count() > max),
            Err(other) => prop_assert!(false, "unexpected error {other:?}"),
        }
    }

    #[test]
    fn trader_word_soup_is_ranked_consistently(
        words in proptest::collection::vec(
            prop::sample::select(vec![
                "put", "call", "roll", "delta", "theta", "iv", "rank", "csp", "strangle", "condor",
                "assignment", "dividend", "profit", "50%", "21", "dte", "the", "when", "in the money",
                "Spread", "WHEEL", "calendar", "vega", "max", "loss", "breakeven", "é", "0.30",
            ]),
            1..12,
        ),
        limit in 1usize..=50,
    ) {
        let query = words.join(" ");
        let hits = KB.search(&query, limit).unwrap();
        prop_assert!(hits.len() <= limit);
        for pair in hits.windows(2) {
            prop_assert!(pair[0].score >= pair[1].score);
        }
        for hit in &hits {
            prop_assert!(hit.score.is_finite() && hit.score > 0.0);
            prop_assert!(!hit.matched_terms.is_empty());
        }
    }
}
