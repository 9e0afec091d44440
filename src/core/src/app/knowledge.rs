//! The knowledge base as a use case: built-in documents plus the user's own under
//! `<data dir>/knowledge/`, re-indexed when the user's files change.

use std::sync::Arc;

use super::App;
use crate::knowledge::KnowledgeBase;

/// Where user documents come from. Implemented outside the core (file I/O); both calls may
/// block, so the core calls them off the async runtime.
pub trait KnowledgeSource: Send + Sync {
    /// A cheap fingerprint of the user documents (paths, sizes, modification times); `None` when
    /// there are none. A different value means the index must be rebuilt.
    fn fingerprint(&self) -> Option<u64>;

    /// Every user document as (path relative to the folder, text). Unreadable files are left out.
    fn read_all(&self) -> Vec<(String, String)>;
}

/// The current index and what it was built from.
pub(crate) struct KnowledgeState {
    base: Arc<KnowledgeBase>,
    fingerprint: Option<u64>,
}

impl App {
    /// Adds the source of user documents.
    pub fn with_knowledge_source(mut self, source: Arc<dyn KnowledgeSource>) -> App {
        self.knowledge_source = Some(source);
        self
    }

    /// The knowledge base, rebuilt first when the user's documents changed since the last call.
    pub async fn knowledge(&self) -> Arc<KnowledgeBase> {
        let mut state = self.knowledge.lock().await;
        let Some(source) = self.knowledge_source.clone() else {
            return state
                .get_or_insert_with(|| KnowledgeState {
                    base: Arc::new(KnowledgeBase::builtin()),
                    fingerprint: None,
                })
                .base
                .clone();
        };
        let probe = source.clone();
        let fingerprint = tokio::task::spawn_blocking(move || probe.fingerprint())
            .await
            .unwrap_or(None);
        if let Some(current) = state.as_ref()
            && current.fingerprint == fingerprint
        {
            return current.base.clone();
        }
        let reader = source.clone();
        let base = tokio::task::spawn_blocking(move || {
            let documents = reader.read_all();
            let count = documents.len();
            let (base, problems) = KnowledgeBase::with_user_documents(documents);
            for problem in &problems {
                tracing::warn!(error = %problem, "a user knowledge document was skipped");
            }
            tracing::info!(
                user_documents = count,
                passages = base.passage_count(),
                "knowledge base indexed"
            );
            base
        })
        .await
        .unwrap_or_else(|_| KnowledgeBase::builtin());
        let base = Arc::new(base);
        *state = Some(KnowledgeState {
            base: base.clone(),
            fingerprint,
        });
        base
    }
}
