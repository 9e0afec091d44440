//! Where notifications go: stderr, or a webhook.

use ttai_core::ports::Secret;

use super::{NotifyChoice, TransportChoice, env, valid_url};
use crate::cli::GlobalOptions;

/// Where notifications go.
pub(super) struct Notifications {
    pub(super) notify: NotifyChoice,
    pub(super) webhook_url: Option<String>,
    pub(super) webhook_secret: Option<Secret>,
}

/// The notification backend (stderr, or the webhook for a headless server that has one) and the
/// webhook.
pub(super) fn notifications(
    options: &GlobalOptions,
    transport: TransportChoice,
    problems: &mut Vec<String>,
) -> Notifications {
    let webhook_url = env("TTAI_WEBHOOK_URL").map(|u| u.trim().to_owned());
    if let Some(url) = &webhook_url
        && !valid_url(url)
    {
        problems.push(format!(
            "webhook URL (TTAI_WEBHOOK_URL): {url:?} is not an http(s) URL"
        ));
    }
    let notify = match options
        .notify
        .as_deref()
        .map(str::trim)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        // A headless server posts to a webhook when it has one; every MCP client connected
        // hears of an alert either way (`notifications/message`).
        None | Some("auto") => match (transport, &webhook_url) {
            (TransportChoice::Http, Some(_)) => NotifyChoice::Webhook,
            _ => NotifyChoice::Stderr,
        },
        // `tauri`: the original design's name for the desktop app's stderr lines.
        Some("stderr" | "tauri") => NotifyChoice::Stderr,
        Some("webhook") => {
            if webhook_url.is_none() {
                problems.push(
                    "notifications (--notify / TTAI_NOTIFICATION_BACKEND): webhook needs TTAI_WEBHOOK_URL; set it, or choose auto or stderr".to_owned(),
                );
            }
            NotifyChoice::Webhook
        }
        Some(other) => {
            problems.push(format!("notifications (--notify / TTAI_NOTIFICATION_BACKEND): {other:?} is not auto, stderr (or tauri) or webhook"));
            NotifyChoice::Stderr
        }
    };
    let webhook_secret = env("TTAI_WEBHOOK_SECRET").map(Secret::new);
    Notifications {
        notify,
        webhook_url,
        webhook_secret,
    }
}
