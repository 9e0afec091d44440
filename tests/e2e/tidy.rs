//! The house rules that the code enforces rather than discipline: the hexagon's layering, read
//! from `cargo metadata` and the binary's sources, and a repository that cites nothing outside
//! itself. Each rule says why it exists; ARCHITECTURE.md ("Architecture invariants") states them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::repo;

/// What the core may depend on, and why. Anything else (an HTTP client, a database, a file or
/// socket crate, an adapter) would carry I/O or a technology choice into the pure core.
const CORE_ALLOWED: &[(&str, &str)] = &[
    ("async-trait", "the ports are async traits held as `Arc<dyn …>`"),
    (
        "jiff",
        "America/New_York compiled in: options settle at 16:00 New York time",
    ),
    (
        "jsonrpsee",
        "the JSON-RPC error object the engine's handlers answer with (`jsonrpsee-types` only)",
    ),
    (
        "orion",
        "keyed BLAKE2b sealing the 2026-07-28 `requestState`, SHA-256 of order fingerprints (pure computation, no I/O)",
    ),
    (
        "rust-stemmers",
        "Snowball's English stemmer for the knowledge search",
    ),
    (
        "rustc-hash",
        "FxHash for the knowledge index's term maps (local words, no untrusted keys)",
    ),
    (
        "schemars",
        "the tools' output schemas derived from the types they serialize",
    ),
    (
        "serde",
        "the domain's tape form, the MCP messages and the use cases' results",
    ),
    ("serde_json", "JSON values of the MCP messages and saved analyses"),
    ("thiserror", "the ports' error enums"),
    (
        "tokio",
        "tasks, channels and timers of the use cases (no I/O features)",
    ),
    ("tracing", "logging through the binary's subscriber"),
];

/// What the core may use only in its own tests and benchmarks.
const CORE_DEV_ALLOWED: &[(&str, &str)] = &[
    ("proptest", "property tests"),
    ("tokio", "a multi-thread runtime and paused time in tests"),
];

/// Tokio features that do I/O or reach the operating system: never in the core.
const IO_FEATURES: &[&str] = &["full", "net", "fs", "process", "signal", "io-std"];

/// The one file of the binary that may name adapter crates.
const COMPOSITION_ROOT: &str = "src/compose.rs";

/// Where a workspace member lives, relative to the repository.
fn member_dir(package: &Value) -> String {
    let manifest = package["manifest_path"].as_str().unwrap_or_default();
    let dir = Path::new(manifest).parent().unwrap_or(Path::new(""));
    let root = repo();
    dir.strip_prefix(&root)
        .unwrap_or(dir)
        .to_string_lossy()
        .into_owned()
}

/// The workspace's packages as `cargo metadata` sees them (declared dependencies, no resolution).
fn workspace_packages() -> Vec<Value> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(repo())
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("cargo metadata is JSON");
    metadata["packages"].as_array().cloned().unwrap_or_default()
}

fn package<'a>(packages: &'a [Value], name: &str) -> &'a Value {
    packages
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no package {name} in the workspace"))
}

/// `(name, kind, features)` of each declared dependency; kind is `normal`, `dev` or `build`.
fn dependencies(package: &Value) -> Vec<(String, String, Vec<String>)> {
    package["dependencies"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            let name = d["name"].as_str().unwrap_or_default().to_owned();
            let kind = d["kind"].as_str().unwrap_or("normal").to_owned();
            let features = d["features"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f.as_str().map(str::to_owned))
                .collect();
            (name, kind, features)
        })
        .collect()
}

/// The adapter crates: every workspace member under `adapters/`.
fn adapters(packages: &[Value]) -> Vec<String> {
    packages
        .iter()
        .filter(|p| member_dir(p).starts_with("adapters/"))
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect()
}

/// Problems with the core's dependencies, one line each.
fn core_dependency_problems(packages: &[Value]) -> Vec<String> {
    let workspace: BTreeSet<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    let mut problems = Vec::new();
    for (name, kind, features) in dependencies(package(packages, "ttai-core")) {
        let allowed = match kind.as_str() {
            "normal" => CORE_ALLOWED,
            "dev" => CORE_DEV_ALLOWED,
            _ => &[],
        };
        if workspace.contains(name.as_str()) {
            problems.push(format!(
                "ttai-core depends on the workspace crate {name} ({kind}): the core depends on nothing of ours"
            ));
        } else if !allowed.iter().any(|(n, _)| *n == name) {
            problems.push(format!(
                "ttai-core has the {kind} dependency {name}, which is not on its list \
                 (tests/e2e/tidy.rs CORE_ALLOWED: add it there with the reason, if the core really needs it)"
            ));
        }
        if name == "tokio" {
            for feature in features.iter().filter(|f| IO_FEATURES.contains(&f.as_str())) {
                problems.push(format!(
                    "ttai-core turns on tokio's `{feature}` feature ({kind}): the core does no I/O"
                ));
            }
        }
    }
    problems
}

/// Problems of adapters depending on one another, one line each.
fn adapter_dependency_problems(packages: &[Value]) -> Vec<String> {
    let adapters = adapters(packages);
    let mut problems = Vec::new();
    for adapter in &adapters {
        for (name, kind, _) in dependencies(package(packages, adapter)) {
            if adapters.contains(&name) {
                problems.push(format!(
                    "the adapter {adapter} depends on the adapter {name} ({kind}): adapters meet \
                     only through the core's ports, wired in {COMPOSITION_ROOT}"
                ));
            }
        }
    }
    problems
}

/// Whether `text` names the crate `ident` as a path (`ident::…`), not as part of a longer name.
fn names_crate(text: &str, ident: &str) -> bool {
    text.match_indices(ident).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = &text[at + ident.len()..];
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') && after.starts_with("::")
    })
}

/// Why `text`, the file `relative` of the binary, breaks the rule that only the composition
/// root names adapter crates (`idents`, as Rust spells them).
fn adapter_naming_in(relative: &str, text: &str, idents: &[String]) -> Vec<String> {
    if relative == COMPOSITION_ROOT {
        return Vec::new();
    }
    idents
        .iter()
        .filter(|ident| names_crate(text, ident))
        .map(|ident| {
            format!(
                "{relative} names the adapter crate {ident}: only {COMPOSITION_ROOT} names adapters \
                 (give the code what it needs through compose)"
            )
        })
        .collect()
}

/// The binary's source files (outside the core) that name adapter crates, other than the
/// composition root.
fn adapter_naming_problems(packages: &[Value]) -> Vec<String> {
    let idents: Vec<String> = adapters(packages).iter().map(|a| a.replace('-', "_")).collect();
    let root = repo();
    repository_files()
        .iter()
        .filter_map(|file| {
            Some((
                file,
                file.strip_prefix(&root).ok()?.to_string_lossy().into_owned(),
            ))
        })
        .filter(|(_, relative)| {
            relative.starts_with("src/") && !relative.starts_with("src/core/") && relative.ends_with(".rs")
        })
        .flat_map(|(file, relative)| {
            let text = std::fs::read_to_string(file).unwrap_or_default();
            adapter_naming_in(&relative, &text, &idents)
        })
        .collect()
}

/// Text that points outside the repository: the team's notes and benchmark folder beside it.
const OUTSIDE_PATHS: &[&str] = &["../shared", "shared/reference", "shared/bench", "/work/"];

/// Notes that once lived outside the repository: cited only as their twin in `docs/`, if any.
const OUTSIDE_NOTES: &[&str] = &[
    "design.md",
    "crates.md",
    "mcp.md",
    "style.md",
    "tastytrade-api.md",
    "mcp-2026-07-28.md",
];

/// The repository's files as git sees them (tracked, and new ones not ignored), else every file
/// outside build output and installed packages.
fn repository_files() -> Vec<PathBuf> {
    let root = repo();
    let listed = Command::new("git")
        .args(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        .current_dir(&root)
        .output()
        .ok()
        .filter(|o| o.status.success() && !o.stdout.is_empty());
    match listed {
        Some(output) => output
            .stdout
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| root.join(String::from_utf8_lossy(p).as_ref()))
            .filter(|p| p.is_file())
            .collect(),
        None => {
            let mut files = Vec::new();
            walk(&root, &mut files);
            files
        }
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !name.starts_with('.') && name != "target" && name != "node_modules" {
                walk(&path, out);
            }
        } else {
            out.push(path);
        }
    }
}

/// Why the text of the file `relative` cites something outside the repository, one line each;
/// `exists` says whether a path relative to the repository's root is one of its files.
fn outside_citations(relative: &str, text: &str, exists: &dyn Fn(&str) -> bool) -> Vec<String> {
    let mut problems = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let at = format!("{relative}:{}", n + 1);
        for outside in OUTSIDE_PATHS.iter().filter(|o| line.contains(*o)) {
            problems.push(format!(
                "{at} points outside the repository ({outside}): {}",
                line.trim()
            ));
        }
        for note in OUTSIDE_NOTES {
            for (i, _) in line.match_indices(note) {
                let before = &line[..i];
                let starts_name = !before
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '-' || c == '_' || c == '.');
                if !starts_name {
                    continue;
                }
                if before.ends_with("docs/") {
                    if !exists(&format!("docs/{note}")) {
                        problems.push(format!("{at} cites docs/{note}, which does not exist"));
                    }
                } else if !before.ends_with('/') {
                    problems.push(format!(
                        "{at} cites {note}, a note outside the repository: cite the repository's docs/ instead"
                    ));
                }
            }
        }
        let mut rest = line;
        while let Some(i) = rest.find("docs/") {
            let cited: String = rest[i..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || matches!(c, '/' | '.' | '-' | '_'))
                .collect();
            let cited = cited.trim_end_matches('.');
            let preceded_by_path = rest[..i]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '/' || c == '_' || c == '-');
            if cited.ends_with(".md") && !preceded_by_path && !exists(cited) {
                problems.push(format!("{at} cites {cited}, which does not exist"));
            }
            rest = &rest[i + "docs/".len()..];
        }
    }
    problems
}

#[test]
fn the_repository_cites_nothing_outside_itself() {
    let root = repo();
    let files = repository_files();
    let names: BTreeSet<String> = files
        .iter()
        .filter_map(|f| f.strip_prefix(&root).ok())
        .map(|f| f.to_string_lossy().into_owned())
        .collect();
    assert!(
        names.contains("ARCHITECTURE.md") && names.contains("docs/design.md"),
        "{} files",
        names.len()
    );
    let exists = |path: &str| names.contains(path);
    let mut problems = Vec::new();
    for relative in &names {
        // This file names what it looks for.
        if relative == "tests/e2e/tidy.rs" {
            continue;
        }
        let path = root.join(relative);
        if std::fs::metadata(&path).map_or(true, |m| m.len() > 4 * 1024 * 1024) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue; // not text
        };
        problems.extend(outside_citations(relative, &text, &exists));
    }
    assert_none("citations outside the repository", &problems);
}

/// The most lines a production file may have before its tests: past it, a file is a warehouse a
/// newcomer cannot name (split it by concern, as `app/analysis/options/` is).
const MAX_PRODUCTION_LINES: usize = 600;

/// Production Rust: the binary's and every crate's `src`, not tests, benches or the contract
/// suites.
fn is_production_rust(relative: &str) -> bool {
    let in_src =
        relative.starts_with("src/") || (relative.starts_with("adapters/") && relative.contains("/src/"));
    in_src
        && relative.ends_with(".rs")
        && !relative.ends_with("/tests.rs")
        && !relative.contains("/tests/")
        && !relative.contains("/benches/")
}

/// Why the file `relative` is too long: its lines before `#[cfg(test)]` (all of them without).
fn length_problem(relative: &str, text: &str) -> Option<String> {
    let lines = text
        .lines()
        .take_while(|line| line.trim() != "#[cfg(test)]")
        .count();
    (lines > MAX_PRODUCTION_LINES)
        .then(|| format!("{relative}: {lines} lines before its tests (at most {MAX_PRODUCTION_LINES})"))
}

#[test]
fn no_production_file_is_a_warehouse() {
    let root = repo();
    let mut checked = 0;
    let mut problems = Vec::new();
    for path in repository_files() {
        let Ok(relative) = path.strip_prefix(&root) else {
            continue;
        };
        let relative = relative.to_string_lossy();
        if !is_production_rust(&relative) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        checked += 1;
        problems.extend(length_problem(&relative, &text));
    }
    assert!(checked > 100, "only {checked} production files seen");
    assert_none("production files over the line limit", &problems);
}

#[test]
fn a_long_file_is_caught_and_its_tests_do_not_count() {
    let long = "let x = 1;\n".repeat(MAX_PRODUCTION_LINES + 1);
    assert!(length_problem("src/x.rs", &long).is_some());
    let with_tests = format!(
        "{}#[cfg(test)]\nmod tests {{\n{}}}\n",
        "let x = 1;\n".repeat(MAX_PRODUCTION_LINES),
        "let y = 2;\n".repeat(500)
    );
    assert_eq!(length_problem("src/x.rs", &with_tests), None);
    assert!(is_production_rust("src/core/src/mcp/head.rs"));
    assert!(is_production_rust("adapters/store-redb/src/port.rs"));
    assert!(!is_production_rust("adapters/store-redb/tests/faults.rs"));
    assert!(!is_production_rust("src/core/src/mcp/tests.rs"));
    assert!(!is_production_rust("src/core/benches/engine.rs"));
    assert!(!is_production_rust("contract-tests/src/broker.rs"));
}

#[test]
fn citations_outside_are_caught() {
    let exists = |path: &str| path == "docs/design.md";
    let check = |text: &str| outside_citations("src/x.rs", text, &exists);
    assert!(check("//! The error model of docs/design.md (\"Errors\").").is_empty());
    assert!(check("see README.md and ARCHITECTURE.md").is_empty());
    for cited in [
        "//! The error model of design.md §5.",
        "//! what jsonrpsee leaves to us (crates.md).",
        "(`../shared/reference/tastytrade-api.md`)",
        "python3 ../shared/bench/mcp_bench.py",
        "(docs/style.md)",
        "//! DXLink streaming (`tastytrade-api.md` §8)",
    ] {
        assert!(!check(cited).is_empty(), "{cited}");
    }
}

fn assert_none(what: &str, problems: &[String]) {
    assert!(problems.is_empty(), "{what}:\n  {}", problems.join("\n  "));
}

#[test]
fn the_core_depends_only_on_its_list_and_does_no_io() {
    assert_none(
        "the core's dependencies",
        &core_dependency_problems(&workspace_packages()),
    );
}

#[test]
fn adapters_do_not_depend_on_one_another() {
    assert_none(
        "adapter dependencies",
        &adapter_dependency_problems(&workspace_packages()),
    );
}

#[test]
fn only_the_composition_root_names_adapters() {
    assert_none(
        "adapter names in the binary",
        &adapter_naming_problems(&workspace_packages()),
    );
}

/// The engine's and the use cases' modules, which a port must not import: a port is a
/// specification the core's other layers implement or call, never one that depends on them.
const ABOVE_THE_PORTS: &[&str] = &["crate::mcp", "crate::app", "super::mcp", "super::app"];

/// Lines of a port's source (`relative` names it) that import the engine or the use cases.
fn port_import_problems(relative: &str, text: &str) -> Vec<String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim_start().starts_with("//"))
        .filter(|(_, line)| ABOVE_THE_PORTS.iter().any(|m| line.contains(m)))
        .map(|(n, line)| format!("{relative}:{}: {}", n + 1, line.trim()))
        .collect()
}

#[test]
fn no_port_imports_the_engine() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/core/src/ports");
    let mut problems = Vec::new();
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        seen += 1;
        let relative = format!(
            "src/core/src/ports/{}",
            path.file_name().unwrap().to_string_lossy()
        );
        problems.extend(port_import_problems(&relative, &text));
    }
    assert!(seen >= 6, "the ports directory was read ({seen} files)");
    assert_none("ports importing the engine", &problems);
    // The rule catches the import this port once had.
    assert_eq!(
        port_import_problems(
            "ports/transport.rs",
            "use crate::mcp::McpServer;\n// crate::mcp in a comment\n"
        )
        .len(),
        1
    );
}

#[test]
fn the_rules_see_the_workspace() {
    // A rule over an empty list would pass vacuously.
    let packages = workspace_packages();
    let adapters = adapters(&packages);
    for expected in ["broker-replay", "store-redb", "transport-stdio", "notify-webhook"] {
        assert!(adapters.iter().any(|a| a == expected), "{adapters:?}");
    }
    assert!(!adapters.iter().any(|a| a == "ttai-core" || a == "contract-tests"));
    assert!(dependencies(package(&packages, "ttai-core")).len() >= CORE_ALLOWED.len());
}

/// A workspace as `cargo metadata` would describe it: the core and two adapters, with the
/// dependencies given as `(package, dependency, kind, features)`.
fn workspace_with(deps: &[(&str, &str, &str, &[&str])]) -> Vec<Value> {
    let root = repo();
    let member = |name: &str, dir: &str| {
        let dependencies: Vec<Value> = deps
            .iter()
            .filter(|(p, ..)| *p == name)
            .map(|(_, d, kind, features)| {
                serde_json::json!({
                    "name": d,
                    "kind": if *kind == "normal" { Value::Null } else { Value::from(*kind) },
                    "features": features,
                })
            })
            .collect();
        serde_json::json!({
            "name": name,
            "manifest_path": root.join(dir).join("Cargo.toml"),
            "dependencies": dependencies,
        })
    };
    vec![
        member("ttai-core", "src/core"),
        member("store-redb", "adapters/store-redb"),
        member("notify-webhook", "adapters/notify-webhook"),
    ]
}

#[test]
fn each_rule_fails_on_its_violation() {
    let clean = workspace_with(&[
        ("ttai-core", "tokio", "normal", &["rt", "sync"]),
        ("ttai-core", "proptest", "dev", &[]),
        ("store-redb", "ttai-core", "normal", &[]),
        ("notify-webhook", "ttai-core", "normal", &[]),
    ]);
    assert_none("clean", &core_dependency_problems(&clean));
    assert_none("clean", &adapter_dependency_problems(&clean));

    let io = workspace_with(&[("ttai-core", "tokio", "normal", &["rt", "net"])]);
    let problems = core_dependency_problems(&io);
    assert!(
        problems.len() == 1 && problems[0].contains("`net`"),
        "{problems:?}"
    );

    let stranger = workspace_with(&[("ttai-core", "ureq", "normal", &[])]);
    let problems = core_dependency_problems(&stranger);
    assert!(
        problems.len() == 1 && problems[0].contains("ureq"),
        "{problems:?}"
    );

    let ours = workspace_with(&[("ttai-core", "store-redb", "dev", &[])]);
    assert_eq!(core_dependency_problems(&ours).len(), 1);

    let coupled = workspace_with(&[("notify-webhook", "store-redb", "dev", &[])]);
    let problems = adapter_dependency_problems(&coupled);
    assert!(
        problems.len() == 1 && problems[0].contains("notify-webhook"),
        "{problems:?}"
    );

    let idents = ["store_redb".to_owned()];
    assert!(adapter_naming_in(COMPOSITION_ROOT, "use store_redb::RedbStore;", &idents).is_empty());
    for text in ["use store_redb::RedbStore;", "    store_redb::RedbStore::open(p)"] {
        assert_eq!(adapter_naming_in("src/main.rs", text, &idents).len(), 1, "{text}");
    }
    for text in ["let my_store_redb = 1; // store_redb", "crate::x_store_redb::f()"] {
        assert!(
            adapter_naming_in("src/main.rs", text, &idents).is_empty(),
            "{text}"
        );
    }
}
