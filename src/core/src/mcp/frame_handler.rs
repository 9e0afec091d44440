//! The engine as the transport port sees it: [`McpServer`] implements [`FrameHandler`] by
//! delegating to its own methods, and its sessions travel through the transports as
//! [`FrameSession`]s.

use std::any::Any;
use std::sync::Arc;

use super::envelope::{self, codes};
use super::{FrameOutcome, McpServer, Session};
use crate::ports::{FrameHandler, FrameSession, Outbound, RoutingHeaders};

/// An engine session behind the port's trait.
struct EngineSession(Arc<Session>);

impl FrameSession for EngineSession {
    fn in_flight(&self) -> usize {
        self.0.in_flight()
    }

    fn protocol_version(&self) -> Option<&'static str> {
        self.0.protocol_version().map(|version| version.as_str())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The engine session behind `session`; `None` for one another handler opened.
fn engine(session: &dyn FrameSession) -> Option<&Arc<Session>> {
    session.as_any().downcast_ref::<EngineSession>().map(|s| &s.0)
}

/// The answer to a frame on a session this engine did not open (a transport's bug, never a
/// client's): an internal error, nothing handled.
fn foreign(reply_to: &Arc<dyn Outbound>) -> FrameOutcome {
    tracing::error!("a transport handed the engine a session it did not open");
    reply_to.send(envelope::error_response(
        None,
        codes::INTERNAL_ERROR,
        "Internal error: unknown session",
        None,
    ));
    FrameOutcome::Answered
}

impl FrameHandler for McpServer {
    fn max_in_flight(&self) -> usize {
        self.limits().max_in_flight
    }

    fn open(&self, outbound: Arc<dyn Outbound>) -> Arc<dyn FrameSession> {
        Arc::new(EngineSession(self.open_session(outbound)))
    }

    fn open_stateless(&self, outbound: Arc<dyn Outbound>) -> Arc<dyn FrameSession> {
        Arc::new(EngineSession(McpServer::open_stateless(self, outbound)))
    }

    fn handle(&self, session: &dyn FrameSession, frame: &str, reply_to: Arc<dyn Outbound>) -> FrameOutcome {
        match engine(session) {
            Some(session) => self.handle_frame(session, frame, reply_to),
            None => foreign(&reply_to),
        }
    }

    fn handle_inline(
        &self,
        session: &dyn FrameSession,
        frame: &str,
        reply_to: Arc<dyn Outbound>,
    ) -> FrameOutcome {
        match engine(session) {
            Some(session) => self.handle_frame_inline(session, frame, reply_to),
            None => foreign(&reply_to),
        }
    }

    fn handle_stateless(
        &self,
        session: &dyn FrameSession,
        frame: &str,
        headers: &RoutingHeaders<'_>,
        reply_to: Arc<dyn Outbound>,
    ) -> FrameOutcome {
        match engine(session) {
            Some(session) => McpServer::handle_stateless(self, session, frame, headers, reply_to),
            None => foreign(&reply_to),
        }
    }

    fn end_listens(&self, session: Option<&dyn FrameSession>) {
        match session {
            Some(session) => {
                if let Some(session) = engine(session) {
                    McpServer::end_listens(self, Some(session));
                }
            }
            None => McpServer::end_listens(self, None),
        }
    }

    fn close(&self, session: &dyn FrameSession) {
        if let Some(session) = engine(session) {
            self.close_session(session);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Stranger;

    impl FrameSession for Stranger {
        fn in_flight(&self) -> usize {
            0
        }

        fn protocol_version(&self) -> Option<&'static str> {
            None
        }

        fn as_any(&self) -> &dyn Any {
            self
        }
    }

    #[test]
    fn a_session_another_handler_opened_is_not_the_engines() {
        assert!(engine(&Stranger).is_none());
    }
}
