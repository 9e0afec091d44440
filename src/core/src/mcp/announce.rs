//! Announcements: a fired price alert told to every client (the one seam, through
//! [`AlertAnnouncer`]), and the app's events pumped to the sessions that subscribed.

use super::*;

impl McpServer {
    /// Tells every connected client that a price alert fired: the ONE place a fired alert
    /// reaches MCP sessions (the alert monitor calls it through [`AlertAnnouncer`] for each alert
    /// it fires). Each initialized session gets a `notifications/message` (level `warning`,
    /// logger [`ALERT_LOGGER`], the notification's JSON as data) unless it set its log level above
    /// warning; each 2026-07-28 `subscriptions/listen` stream that subscribed to
    /// `alerts://active` with a `logLevel` of `warning` or lower gets it tagged with its
    /// subscription id. When no client was told, the alert is kept for the next `list_alerts`
    /// (and the `morning-briefing` prompt). Returns how many clients were told.
    pub fn announce_alert(&self, notification: &Notification) -> usize {
        let data = notification_json(notification);
        let sessions = self
            .inner
            .core
            .live_sessions()
            .iter()
            .filter(|session| session.announce(LogLevel::Warning, ALERT_LOGGER, &data))
            .count();
        let told = sessions + self.inner.core.alert_fired(notification);
        if told == 0
            && let Some(alert) = &notification.alert
        {
            self.app().note_unannounced(alert.clone());
        }
        tracing::debug!(notification = %notification.id, clients = told, "alert announced");
        told
    }

    pub(super) fn start_event_pump(&self) {
        let mut events = self.inner.core.app.subscribe_events();
        let core = Arc::downgrade(&self.inner.core);
        tokio::spawn(async move {
            loop {
                let event = match events.recv().await {
                    Ok(event) => event,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                };
                let Some(core) = core.upgrade() else { break };
                match event {
                    AppEvent::ResourceUpdated(uri) => {
                        let message =
                            envelope::notification("notifications/resources/updated", &json!({ "uri": uri }));
                        for session in core.live_sessions() {
                            if session.is_subscribed(&uri) {
                                session.send(message.clone());
                            }
                        }
                        core.listeners.resource_updated(&uri);
                    }
                }
            }
        });
    }
}

impl AlertAnnouncer for McpServer {
    fn announce_alert(&self, notification: &Notification) -> usize {
        McpServer::announce_alert(self, notification)
    }
}
