//! The knowledge base end to end: built-in answers, and the user's own documents picked up
//! without a restart, shadowing a built-in one of the same path.

use serde_json::json;

use crate::support::Ttai;

fn top(ttai: &mut Ttai, query: &str) -> serde_json::Value {
    let found = ttai.call("search_knowledge", json!({"query": query, "limit": 3}));
    assert_eq!(found["isError"], false, "{found}");
    found["structuredContent"]["results"][0].clone()
}

#[test]
fn traders_questions_find_the_right_document() {
    let mut ttai = Ttai::spawn(&["--broker", "replay", "serve"]);
    ttai.initialize("2025-11-25");
    for (query, expected) in [
        (
            "when to roll a cash secured put",
            ["strategies/cash-secured-put.md", "risk/rolling.md"].as_slice(),
        ),
        ("iron condor adjustments", &["strategies/iron-condor.md"]),
        ("what is iv rank", &["basics/implied-volatility.md"]),
        (
            "early assignment before the ex-dividend date",
            &["basics/assignment-and-exercise.md"],
        ),
        ("take profit at 50%", &["risk/managing-winners.md"]),
    ] {
        let hit = top(&mut ttai, query);
        assert!(
            expected.contains(&hit["path"].as_str().unwrap()),
            "{query}: {hit}"
        );
        assert!(hit["uri"].as_str().unwrap().starts_with("knowledge://documents/"));
    }
    let strategy = ttai.request(
        "resources/read",
        json!({"uri": "knowledge://options/strategies/wheel"}),
    );
    assert!(
        strategy["result"]["contents"][0]["text"]
            .as_str()
            .unwrap()
            .contains("wheel")
    );
    let unknown = ttai.request(
        "resources/read",
        json!({"uri": "knowledge://options/strategies/jade-lizard"}),
    );
    assert_eq!(unknown["error"]["code"], -32002);
}

#[test]
fn user_documents_are_found_and_shadow_built_ins_without_a_restart() {
    let mut ttai = Ttai::spawn(&["--broker", "replay", "serve"]);
    ttai.initialize("2025-11-25");
    let before = top(&mut ttai, "zebra collar hedge");
    assert!(before.is_null() || before["origin"] == "builtin");
    let folder = ttai.data_path().join("knowledge");
    std::fs::create_dir_all(folder.join("strategies")).unwrap();
    std::fs::write(
        folder.join("notes.md"),
        "---\ntitle: My zebra collar notes\ntags: [hedge]\n---\n\n## Zebra collar\n\nA zebra collar hedge: two long puts against one short call.\n",
    )
    .unwrap();
    std::fs::write(
        folder.join("strategies/wheel.md"),
        "---\ntitle: My own wheel rules\n---\n\n## My wheel\n\nI only wheel stocks I want to own, with unicornfrost sizing.\n",
    )
    .unwrap();
    let hit = top(&mut ttai, "zebra collar hedge");
    assert_eq!(hit["path"], "notes.md");
    assert_eq!(hit["origin"], "user");
    let shadow = top(&mut ttai, "unicornfrost sizing");
    assert_eq!(shadow["path"], "strategies/wheel.md");
    assert_eq!(shadow["origin"], "user");
    let wheel = ttai.request(
        "resources/read",
        json!({"uri": "knowledge://options/strategies/wheel"}),
    );
    let text = wheel["result"]["contents"][0]["text"].as_str().unwrap();
    assert!(
        text.contains("My own wheel rules") && text.contains("unicornfrost"),
        "{text}"
    );
    let resources = ttai.request("resources/list", json!({}));
    assert!(
        resources["result"]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["uri"] == "knowledge://documents/notes.md")
    );
    // Removing the user's wheel brings the built-in back.
    std::fs::remove_file(folder.join("strategies/wheel.md")).unwrap();
    let wheel = ttai.request(
        "resources/read",
        json!({"uri": "knowledge://options/strategies/wheel"}),
    );
    assert!(
        !wheel["result"]["contents"][0]["text"]
            .as_str()
            .unwrap()
            .contains("unicornfrost")
    );
}
