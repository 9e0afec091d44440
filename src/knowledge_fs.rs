//! User knowledge documents: every `*.md` under `<data dir>/knowledge/`, read for the core's
//! `KnowledgeSource`.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use ttai_core::app::KnowledgeSource;

/// Largest user document read (bigger ones are skipped with a warning).
const MAX_BYTES: u64 = 1024 * 1024;
/// Deepest folder nesting walked.
const MAX_DEPTH: usize = 8;
/// Most documents read.
const MAX_FILES: usize = 2000;

/// The user's knowledge folder.
#[derive(Debug)]
pub(crate) struct KnowledgeFolder {
    root: PathBuf,
}

impl KnowledgeFolder {
    pub(crate) fn new(root: PathBuf) -> KnowledgeFolder {
        KnowledgeFolder { root }
    }

    /// Markdown files under the root, sorted, with their metadata.
    fn files(&self) -> Vec<(PathBuf, std::fs::Metadata)> {
        let mut out = Vec::new();
        let mut stack = vec![(self.root.clone(), 0_usize)];
        while let Some((dir, depth)) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let Ok(meta) = entry.metadata() else { continue };
                if meta.is_dir() && depth < MAX_DEPTH {
                    stack.push((path, depth + 1));
                } else if meta.is_file() && path.extension().is_some_and(|e| e.eq_ignore_ascii_case("md")) {
                    out.push((path, meta));
                }
                if out.len() >= MAX_FILES {
                    break;
                }
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    fn relative(&self, path: &Path) -> Option<String> {
        let rel = path.strip_prefix(&self.root).ok()?;
        let parts: Vec<&str> = rel.components().filter_map(|c| c.as_os_str().to_str()).collect();
        (!parts.is_empty()).then(|| parts.join("/"))
    }
}

impl KnowledgeSource for KnowledgeFolder {
    fn fingerprint(&self) -> Option<u64> {
        let files = self.files();
        if files.is_empty() {
            return None;
        }
        let mut hasher = DefaultHasher::new();
        for (path, meta) in &files {
            path.hash(&mut hasher);
            meta.len().hash(&mut hasher);
            if let Ok(modified) = meta.modified() {
                modified.hash(&mut hasher);
            }
        }
        Some(hasher.finish())
    }

    fn read_all(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (path, meta) in self.files() {
            let Some(relative) = self.relative(&path) else {
                continue;
            };
            if meta.len() > MAX_BYTES {
                tracing::warn!(document = %relative, "user knowledge document larger than 1 MiB skipped");
                continue;
            }
            match std::fs::read_to_string(&path) {
                Ok(text) => out.push((relative, text)),
                Err(err) => {
                    tracing::warn!(document = %relative, error = %err, "user knowledge document unreadable")
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_moves_when_a_document_changes() {
        let dir = tempfile::tempdir().unwrap();
        let folder = KnowledgeFolder::new(dir.path().to_owned());
        assert_eq!(folder.fingerprint(), None);
        std::fs::create_dir_all(dir.path().join("strategies")).unwrap();
        std::fs::write(dir.path().join("strategies/mine.md"), "# Mine\n\nshort text").unwrap();
        std::fs::write(dir.path().join("ignored.txt"), "not markdown").unwrap();
        let first = folder.fingerprint();
        assert!(first.is_some());
        assert_eq!(
            folder.read_all(),
            vec![("strategies/mine.md".to_owned(), "# Mine\n\nshort text".to_owned())]
        );
        std::fs::write(
            dir.path().join("strategies/mine.md"),
            "# Mine\n\na longer text now",
        )
        .unwrap();
        assert_ne!(folder.fingerprint(), first);
    }
}
