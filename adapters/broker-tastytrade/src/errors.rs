//! Every answer that is not a usable 2xx becomes a `BrokerError` here, in one place.
//!
//! | answer | error |
//! |---|---|
//! | 401 JSON (after the one retry of a GET) | `Unauthenticated`, naming `ttai login` |
//! | 401 HTML (a refused `User-Agent`) | `Unauthenticated`, saying so |
//! | 403 | `Forbidden` |
//! | 404 | `NotFound` naming what was asked for |
//! | 400, 422, other 4xx | `Rejected` with the envelope's code, message and nested problems |
//! | 429 | `RateLimited` with `Retry-After` seconds when sent |
//! | 5xx | `Unavailable` |
//! | HTML or empty where JSON was expected | `InvalidResponse` |
//!
//! Messages quote only what the API says about the problem (codes sanitised, messages cleaned and
//! shortened), never headers, URLs or ureq's text; `scrub` removes any secret the API might echo.

use serde::de::DeserializeOwned;
use ttai_core::ports::{BrokerError, redact};

use crate::http::{ADAPTER, Answer};
use crate::wire::{ErrorAnswer, ErrorField, ErrorObject};

/// The longest message quoted from an answer.
const MAX_QUOTED: usize = 240;

/// What a request was for, for messages.
#[derive(Clone, Debug)]
pub(crate) struct Call {
    /// A short label, e.g. `balances`.
    pub(crate) label: &'static str,
    /// What a 404 means, e.g. `account 5WT•••01` (becomes "… not found").
    pub(crate) not_found: String,
}

/// Checks that a 2xx answer holds something that can be JSON.
///
/// # Errors
/// `InvalidResponse` for an HTML page or an empty body.
pub(crate) fn expect_json(answer: &Answer, label: &str) -> Result<(), BrokerError> {
    if answer.is_html() {
        return Err(BrokerError::InvalidResponse(format!(
            "TastyTrade answered HTML (status {}) instead of JSON for {label}",
            answer.status
        )));
    }
    if answer.is_blank() {
        return Err(BrokerError::InvalidResponse(format!(
            "TastyTrade answered an empty body (status {}) instead of JSON for {label}",
            answer.status
        )));
    }
    Ok(())
}

/// Reads a 2xx answer's body as `T`.
///
/// # Errors
/// `InvalidResponse` for HTML, an empty body, or JSON of another shape; the message gives the
/// position, never the offending value.
pub(crate) fn decode<T: DeserializeOwned>(answer: &Answer, label: &str) -> Result<T, BrokerError> {
    expect_json(answer, label)?;
    serde_json::from_slice(&answer.body).map_err(|e| {
        let kind = match e.classify() {
            serde_json::error::Category::Syntax => "syntax",
            serde_json::error::Category::Data => "shape",
            serde_json::error::Category::Eof => "truncation",
            serde_json::error::Category::Io => "read",
        };
        BrokerError::InvalidResponse(format!(
            "TastyTrade's answer for {label} could not be read ({kind} error at line {}, column {})",
            e.line(),
            e.column()
        ))
    })
}

/// The error for a non-2xx answer to a request.
pub(crate) fn status_error(answer: &Answer, call: &Call) -> BrokerError {
    let status = answer.status;
    let label = call.label;
    match status {
        401 if answer.is_html() => html_unauthorized(),
        401 => {
            let code = detail(answer).code.unwrap_or_else(|| "unauthorized".to_owned());
            BrokerError::Unauthenticated(format!(
                "TastyTrade refused the access token ({code}); run ttai login"
            ))
        }
        403 => BrokerError::Forbidden(format!(
            "TastyTrade does not permit this request ({label}){}",
            detail(answer).suffix()
        )),
        404 => BrokerError::NotFound(call.not_found.clone()),
        429 => BrokerError::RateLimited {
            retry_after_secs: answer.retry_after,
        },
        500..=599 => BrokerError::Unavailable(format!(
            "TastyTrade is unavailable (HTTP {status}); try again later"
        )),
        400..=499 => {
            if let Err(e) = expect_json(answer, label) {
                return e;
            }
            let detail = detail(answer);
            if detail.is_empty() {
                BrokerError::Rejected(format!(
                    "TastyTrade rejected the request for {label} (HTTP {status})"
                ))
            } else {
                BrokerError::Rejected(format!(
                    "TastyTrade rejected the request for {label}{}",
                    detail.suffix()
                ))
            }
        }
        _ => BrokerError::InvalidResponse(format!(
            "TastyTrade answered an unexpected HTTP {status} for {label}"
        )),
    }
}

/// The error for a non-2xx answer of `POST /oauth/token`.
pub(crate) fn token_error(answer: &Answer) -> BrokerError {
    match answer.status {
        401 if answer.is_html() => html_unauthorized(),
        400 | 401 if !answer.is_html() => {
            // `{"error_code": "invalid_grant", "error_description": "Invalid JWT"}` says which.
            let detail = detail(answer);
            let code = detail.code.unwrap_or_else(|| format!("HTTP {}", answer.status));
            let why = match detail.message {
                Some(message) => format!("{code}: {message}"),
                None => code,
            };
            BrokerError::Unauthenticated(format!(
                "TastyTrade refused the stored credentials ({why}); run ttai login"
            ))
        }
        404 => BrokerError::Other {
            adapter: ADAPTER,
            message: "the API URL has no OAuth token endpoint (HTTP 404); check TASTYTRADE_API_URL"
                .to_owned(),
        },
        _ => status_error(
            answer,
            &Call {
                label: "an access token",
                not_found: "the OAuth token endpoint".to_owned(),
            },
        ),
    }
}

/// A 401 HTML page: the request was turned away before it was read.
fn html_unauthorized() -> BrokerError {
    BrokerError::Unauthenticated(
        "TastyTrade answered HTML (status 401) instead of JSON: it turns requests away like this when the \
User-Agent header is missing or malformed"
            .to_owned(),
    )
}

/// What an error answer says, cleaned for quoting.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Detail {
    /// The code, when it looks like a code.
    pub(crate) code: Option<String>,
    /// The message.
    pub(crate) message: Option<String>,
    /// Nested problems, each as one phrase.
    pub(crate) problems: Vec<String>,
}

impl Detail {
    /// True when the answer said nothing usable.
    fn is_empty(&self) -> bool {
        self.code.is_none() && self.message.is_none() && self.problems.is_empty()
    }

    /// `: code: message (problem; problem)`, or nothing.
    fn suffix(&self) -> String {
        let mut head: Vec<&str> = Vec::new();
        if let Some(code) = &self.code {
            head.push(code);
        }
        if let Some(message) = &self.message {
            head.push(message);
        }
        let mut text = if head.is_empty() {
            String::new()
        } else {
            format!(": {}", head.join(": "))
        };
        if !self.problems.is_empty() {
            text.push_str(&format!(" ({})", self.problems.join("; ")));
        }
        text
    }
}

/// Reads the error envelope of an answer (either shape); nothing when it is not one.
pub(crate) fn detail(answer: &Answer) -> Detail {
    let Ok(parsed) = serde_json::from_slice::<ErrorAnswer>(&answer.body) else {
        return Detail::default();
    };
    match (parsed.error, parsed.error_code) {
        (Some(ErrorField::Object(object)), _) => object_detail(object),
        // OAuth: TastyTrade's `error_code` or RFC 6749's `error`, with `error_description`.
        (Some(ErrorField::Code(code)), _) | (None, Some(code)) => Detail {
            code: safe_code(&code),
            message: parsed
                .error_description
                .map(|m| clean(&m))
                .filter(|m| !m.is_empty()),
            ..Detail::default()
        },
        (None, None) => Detail::default(),
    }
}

/// The detail of the envelope's object form.
fn object_detail(object: ErrorObject) -> Detail {
    let problems = object
        .errors
        .into_iter()
        .filter_map(|item| {
            let parts: Vec<String> = [item.domain, item.reason, item.code, item.message]
                .into_iter()
                .flatten()
                .map(|p| clean(&p))
                .filter(|p| !p.is_empty())
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        })
        .take(5)
        .collect();
    Detail {
        code: object.code.as_deref().and_then(safe_code),
        message: object.message.map(|m| clean(&m)).filter(|m| !m.is_empty()),
        problems,
    }
}

/// A code when it looks like one: 1–64 characters of letters, digits, `_`, `.` and `-`.
pub(crate) fn safe_code(text: &str) -> Option<String> {
    let text = text.trim();
    let ok = (1..=64).contains(&text.len())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    ok.then(|| text.to_owned())
}

/// Text for quoting: control characters removed, whitespace collapsed, at most [`MAX_QUOTED`]
/// characters.
pub(crate) fn clean(text: &str) -> String {
    let collapsed = text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if collapsed.chars().count() <= MAX_QUOTED {
        collapsed
    } else {
        let mut short: String = collapsed.chars().take(MAX_QUOTED).collect();
        short.push('…');
        short
    }
}

/// Redacts the secrets from the error's message, in case the API echoes one: also in another
/// case, spaced out, re-punctuated or cut short (`ttai_core::ports::redact`). Secrets with fewer
/// than 4 letters and digits are not searched for.
pub(crate) fn scrub(error: BrokerError, secrets: &[&str]) -> BrokerError {
    let clean = |text: String| redact(&text, secrets);
    match error {
        BrokerError::Unauthenticated(m) => BrokerError::Unauthenticated(clean(m)),
        BrokerError::Forbidden(m) => BrokerError::Forbidden(clean(m)),
        BrokerError::NotFound(m) => BrokerError::NotFound(clean(m)),
        BrokerError::Unavailable(m) => BrokerError::Unavailable(clean(m)),
        BrokerError::InvalidResponse(m) => BrokerError::InvalidResponse(clean(m)),
        BrokerError::Rejected(m) => BrokerError::Rejected(clean(m)),
        BrokerError::Unsupported(m) => BrokerError::Unsupported(clean(m)),
        BrokerError::Other { adapter, message } => BrokerError::Other {
            adapter,
            message: clean(message),
        },
        other @ BrokerError::RateLimited { .. } => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, content_type: &str, body: &str) -> Answer {
        Answer {
            status,
            content_type: Some(content_type.to_owned()),
            retry_after: None,
            body: body.as_bytes().to_vec(),
        }
    }

    fn call() -> Call {
        Call {
            label: "balances",
            not_found: "account 5WT•••01".to_owned(),
        }
    }

    const JSON: &str = "application/json";

    #[test]
    fn statuses_map_to_port_errors() {
        let e = status_error(
            &answer(401, JSON, r#"{"error":{"code":"unauthorized","message":"x"}}"#),
            &call(),
        );
        assert!(
            matches!(&e, BrokerError::Unauthenticated(m) if m.contains("unauthorized") && m.contains("ttai login")),
            "{e:?}"
        );
        let e = status_error(
            &answer(401, "text/html", "<html>401 Authorization Required</html>"),
            &call(),
        );
        assert!(
            matches!(&e, BrokerError::Unauthenticated(m) if m.contains("User-Agent")),
            "{e:?}"
        );
        let e = status_error(
            &answer(
                403,
                JSON,
                r#"{"error":{"code":"not_permitted","message":"nope"}}"#,
            ),
            &call(),
        );
        assert!(
            matches!(&e, BrokerError::Forbidden(m) if m.contains("not_permitted: nope")),
            "{e:?}"
        );
        let e = status_error(&answer(404, JSON, ""), &call());
        assert_eq!(e, BrokerError::NotFound("account 5WT•••01".to_owned()));
        assert_eq!(e.to_string(), "account 5WT•••01 not found");
        let mut limited = answer(429, JSON, "");
        assert_eq!(
            status_error(&limited, &call()),
            BrokerError::RateLimited {
                retry_after_secs: None
            }
        );
        limited.retry_after = Some(7);
        assert_eq!(
            status_error(&limited, &call()),
            BrokerError::RateLimited {
                retry_after_secs: Some(7)
            }
        );
        for status in [500, 502, 503, 504] {
            let e = status_error(&answer(status, "text/html", "<html>bad gateway</html>"), &call());
            assert!(matches!(e, BrokerError::Unavailable(_)), "{status}: {e:?}");
        }
        let e = status_error(&answer(400, "text/html", "<html></html>"), &call());
        assert!(
            matches!(&e, BrokerError::InvalidResponse(m) if m.contains("HTML (status 400)")),
            "{e:?}"
        );
        let e = status_error(&answer(302, JSON, "{}"), &call());
        assert!(matches!(e, BrokerError::InvalidResponse(_)), "{e:?}");
    }

    #[test]
    fn rejections_quote_the_envelope() {
        let e = status_error(
            &answer(
                422,
                JSON,
                r#"{"error":{"code":"validation_error","message":"Request validation failed",
                   "errors":[{"domain":"account-numbers","reason":"is missing"},
                             {"code":"margin_check_failed","message":"Not enough buying power."}]}}"#,
            ),
            &call(),
        );
        assert_eq!(
            e.to_string(),
            "TastyTrade rejected the request for balances: validation_error: Request validation failed \
(account-numbers is missing; margin_check_failed Not enough buying power.)"
        );
        let e = status_error(
            &answer(
                406,
                JSON,
                r#"{"error":{"code":406,"message":"The requested version is not supported."}}"#,
            ),
            &call(),
        );
        assert!(
            matches!(&e, BrokerError::Rejected(m) if m.contains("406: The requested version")),
            "{e:?}"
        );
        let e = status_error(&answer(400, JSON, "{}"), &call());
        assert!(
            matches!(&e, BrokerError::Rejected(m) if m.contains("HTTP 400")),
            "{e:?}"
        );
    }

    #[test]
    fn refused_grants_name_the_code_and_ttai_login() {
        // TastyTrade's shape (what tastyware/tastytrade issue #281 quotes from the real API).
        let e = token_error(&answer(
            401,
            JSON,
            r#"{"error_code":"invalid_grant","error_description":"Invalid JWT"}"#,
        ));
        assert_eq!(
            e,
            BrokerError::Unauthenticated(
                "TastyTrade refused the stored credentials (invalid_grant: Invalid JWT); run ttai login"
                    .to_owned()
            )
        );
        // RFC 6749's shape.
        let e = token_error(&answer(
            400,
            JSON,
            r#"{"error":"invalid_grant","error_description":"Grant revoked"}"#,
        ));
        assert_eq!(
            e.to_string(),
            "TastyTrade refused the stored credentials (invalid_grant: Grant revoked); run ttai login"
        );
        let e = token_error(&answer(400, JSON, ""));
        assert!(
            matches!(&e, BrokerError::Unauthenticated(m) if m.contains("HTTP 400")),
            "{e:?}"
        );
        let e = token_error(&answer(401, "text/html", "<html/>"));
        assert!(
            matches!(&e, BrokerError::Unauthenticated(m) if m.contains("User-Agent")),
            "{e:?}"
        );
        let e = token_error(&answer(503, JSON, ""));
        assert!(matches!(e, BrokerError::Unavailable(_)), "{e:?}");
        // A code that is not a code (here: an echoed secret with spaces) is not quoted.
        let e = token_error(&answer(401, JSON, r#"{"error":"secret value here"}"#));
        assert!(!e.to_string().contains("secret value"), "{e}");
    }

    #[test]
    fn bodies_that_are_not_json_are_invalid() {
        #[derive(serde::Deserialize, Debug)]
        struct Shape {
            #[allow(dead_code)]
            data: Vec<u8>,
        }
        let e = decode::<Shape>(&answer(200, "text/html", "<!doctype html>"), "quotes").unwrap_err();
        assert!(
            matches!(&e, BrokerError::InvalidResponse(m) if m.contains("answered HTML (status 200) instead of JSON")),
            "{e:?}"
        );
        let e = decode::<Shape>(&answer(200, JSON, ""), "quotes").unwrap_err();
        assert!(
            matches!(&e, BrokerError::InvalidResponse(m) if m.contains("empty body")),
            "{e:?}"
        );
        let e = decode::<Shape>(
            &answer(200, JSON, r#"{"data": "s3cr3t-looking value"}"#),
            "quotes",
        )
        .unwrap_err();
        assert!(
            matches!(&e, BrokerError::InvalidResponse(m) if m.contains("shape error")),
            "{e:?}"
        );
        assert!(!e.to_string().contains("s3cr3t"), "values are never quoted: {e}");
    }

    #[test]
    fn scrubbing_removes_echoed_secrets() {
        let e = scrub(
            BrokerError::Rejected("token abcd-1234 is bad, abcd-1234".to_owned()),
            &["abcd-1234", "xy"],
        );
        assert_eq!(e.to_string(), "token [redacted] is bad, [redacted]");
        assert_eq!(clean("a\n\tb\u{7}c"), "a b c");
    }

    #[test]
    fn an_echoed_secret_leaks_in_no_form() {
        // Regression: scrubbing was exact-match after truncation, so a cut, upper-cased or
        // spaced-out echo reached tool answers, `status` and logs.
        let refresh = "rt.Zq7Lm2Xv8Wc4Bn6Pk3Hs9Td5";
        let echoed = format!("{}{}", "x".repeat(MAX_QUOTED - 12), refresh);
        let forms = [
            format!(r#"{{"error":{{"code":"invalid_grant","message":"{echoed}"}}}}"#),
            format!(
                r#"{{"error":{{"code":"invalid_grant","message":"token {} bad"}}}}"#,
                refresh.to_uppercase()
            ),
            format!(
                r#"{{"error":{{"code":"invalid_grant","message":"token {} bad"}}}}"#,
                refresh.chars().map(|c| format!("{c} ")).collect::<String>()
            ),
            format!(r#"{{"error":{{"code":"x","message":"m","errors":[{{"reason":"{refresh}"}}]}}}}"#),
        ];
        for body in &forms {
            let e = scrub(status_error(&answer(403, JSON, body), &call()), &[refresh]);
            let text = e.to_string();
            let letters: String = text
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_lowercase();
            assert!(!letters.contains("zq7lm2"), "{text}");
            assert!(!letters.contains(&refresh[3..11].to_lowercase()), "{text}");
            assert!(text.contains("[redacted]"), "{text}");
        }
        assert!(clean(&"x".repeat(1000)).chars().count() <= MAX_QUOTED + 1);
    }
}
