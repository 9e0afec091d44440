//! The bundled demo tape is exactly what the generator produces. The generator is the
//! example's (`examples/gen_demo_tape/demo`), included here as a module; its own unit tests run
//! with this test.

#[path = "../examples/gen_demo_tape/demo/mod.rs"]
mod demo;

#[test]
fn regenerating_the_demo_tape_gives_identical_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, tape) = demo::generate();
    tape.write_dir(dir.path(), &manifest, true).unwrap();
    let fresh = std::fs::read(dir.path().join("tape.jsonl.gz")).unwrap();
    let committed = include_bytes!("../tapes/demo/tape.jsonl.gz");
    assert!(
        fresh == committed.as_slice(),
        "the committed demo tape differs from the generator's output; regenerate it"
    );
    let fresh_index = std::fs::read(dir.path().join("tape.index")).unwrap();
    assert!(
        fresh_index == include_bytes!("../tapes/demo/tape.index").as_slice(),
        "the committed demo tape index differs from the generator's output; regenerate it"
    );
    let fresh_manifest = std::fs::read_to_string(dir.path().join("manifest.json")).unwrap();
    assert_eq!(fresh_manifest, include_str!("../tapes/demo/manifest.json"));
    assert!(
        committed.len() < 5 * 1024 * 1024,
        "the demo tape stays under 5 MB"
    );
}
