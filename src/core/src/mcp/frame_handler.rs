//! The engine as the transport port sees it: [`McpServer`] implements [`FrameHandler`] by
//! delegating to its own methods, and its sessions travel through the transports as
//! [`FrameSession`]s.

use std::any::Any;
use std::sync::Arc;

use super::envelope::{self, codes};
use super::{FrameOutcome, McpServer, Session};
use crate::ports::{FrameHandler, FrameSession, Outbound, RoutingHeaders};

/// An engine session is the port's session itself (no wrapper to allocate per session, which a
/// stateless HTTP request opens every time).
impl FrameSession for Session {
    fn in_flight(&self) -> usize {
        Session::in_flight(self)
    }

    fn protocol_version(&self) -> Option<&'static str> {
        Session::protocol_version(self).map(|version| version.as_str())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The engine session `session` is; `None` for one another handler opened.
fn engine_ref(session: &dyn FrameSession) -> Option<&Session> {
    session.as_any().downcast_ref::<Session>()
}

/// The engine session `session` is, shared, for a request that keeps it.
fn engine(session: &dyn FrameSession) -> Option<Arc<Session>> {
    engine_ref(session).and_then(Session::arc)
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
        self.open_session(outbound)
    }

    fn open_stateless(&self, outbound: Arc<dyn Outbound>) -> Arc<dyn FrameSession> {
        McpServer::open_stateless(self, outbound)
    }

    fn handle(&self, session: &dyn FrameSession, frame: &str, reply_to: Arc<dyn Outbound>) -> FrameOutcome {
        match engine(session) {
            Some(session) => self.handle_frame(&session, frame, reply_to),
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
            Some(session) => self.handle_frame_inline(&session, frame, reply_to),
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
            Some(session) => McpServer::handle_stateless(self, &session, frame, headers, reply_to),
            None => foreign(&reply_to),
        }
    }

    fn end_listens(&self, session: Option<&dyn FrameSession>) {
        match session {
            Some(session) => {
                if let Some(session) = engine_ref(session) {
                    McpServer::end_listens(self, Some(session));
                }
            }
            None => McpServer::end_listens(self, None),
        }
    }

    fn close(&self, session: &dyn FrameSession) {
        if let Some(session) = engine_ref(session) {
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
        assert!(engine_ref(&Stranger).is_none());
        assert!(engine(&Stranger).is_none());
    }

    #[tokio::test]
    async fn a_session_the_port_opened_is_the_engines_own_and_outlives_the_call() {
        let server = McpServer::new(
            Arc::new(crate::testing::sample_app(crate::testing::sample_market())),
            super::super::ToolRegistry::new(super::super::ToolRegistry::standard()),
            super::super::ServerInfo {
                name: "ttai".into(),
                version: "test".into(),
            },
        );
        let out: Arc<dyn Outbound> = Arc::new(crate::testing::CollectingOutbound::new());
        for port in [
            FrameHandler::open(&server, out.clone()),
            FrameHandler::open_stateless(&server, out.clone()),
        ] {
            let session = engine(&*port).expect("the engine's session");
            assert!(std::ptr::eq(Arc::as_ptr(&session), engine_ref(&*port).unwrap()));
            // A request keeps its own count: the session lives while either holds it.
            assert_eq!(Arc::strong_count(&session), 2);
            drop(port);
            assert!(!session.is_closed());
            assert_eq!(Arc::strong_count(&session), 1);
        }
    }
}
