//! The OAuth access token: minted lazily with the refresh-token grant, reused until 60 s before
//! it expires, minted by one caller at a time.
//!
//! Single flight: the token lives behind a `tokio::sync::Mutex` held across the mint, so callers
//! that find it missing or stale queue behind the one minting and then reuse its token. A caller
//! that waited through a failed mint gets that failure instead of trying again at once, so a
//! revoked grant costs one request, not one per waiting caller. Times are `tokio::time::Instant`,
//! so tests can pause and advance the clock.
//!
//! Credentials can change at run time (`ttai login`/`logout`): each change bumps an epoch, and a
//! token minted under an older epoch is never handed out again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::Duration;

use tokio::time::Instant;
use ttai_core::app::LOGIN_HINT;
use ttai_core::ports::{BrokerError, Credentials, Secret};

use crate::errors;
use crate::http::Client;
use crate::wire::TokenAnswer;

/// A token is replaced this long before it expires.
pub(crate) const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// The lifetime assumed when the answer does not say (TastyTrade's is 15 minutes).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(900);

/// The token endpoint.
pub(crate) const TOKEN_PATH: &str = "/oauth/token";

/// An access token and where it came from.
#[derive(Clone)]
pub(crate) struct Token {
    /// The bearer token.
    pub(crate) access: Secret,
    /// Which mint produced it, so that a 401 drops this token and not a newer one.
    serial: u64,
    /// The credentials epoch it was minted under.
    epoch: u64,
    /// When it expires.
    expires_at: Instant,
}

/// The credentials and their epoch.
struct Slot {
    /// Bumped by every `set_credentials`.
    epoch: u64,
    /// The current credentials.
    credentials: Option<Credentials>,
    /// What a call says when there are none (the login hint, or why the stored ones are unusable).
    missing: String,
}

/// What the mint lock protects.
#[derive(Default)]
struct State {
    /// The current token.
    token: Option<Token>,
    /// The last failed mint: its number (of finished mints), its epoch and its error.
    failure: Option<(u64, u64, BrokerError)>,
}

/// The token manager; see the module docs.
pub(crate) struct Tokens {
    /// Credentials, read on every call and replaced by `ttai login`/`logout`.
    slot: RwLock<Slot>,
    /// The token, and the single-flight lock held across a mint.
    state: tokio::sync::Mutex<State>,
    /// Mints finished, successful or not; read before waiting for the lock.
    finished: AtomicU64,
    /// The current token's epoch and expiry, readable without the async lock (`token_status`).
    expiry: Mutex<Option<(u64, Instant)>>,
}

impl Tokens {
    /// A manager with `credentials` and no token.
    pub(crate) fn new(credentials: Option<Credentials>) -> Tokens {
        Tokens {
            slot: RwLock::new(Slot {
                epoch: 0,
                credentials,
                missing: LOGIN_HINT.to_owned(),
            }),
            state: tokio::sync::Mutex::new(State::default()),
            finished: AtomicU64::new(0),
            expiry: Mutex::new(None),
        }
    }

    /// Replaces the credentials; the current token is not used again.
    pub(crate) fn set_credentials(&self, credentials: Option<Credentials>) {
        let mut slot = self.slot.write().unwrap_or_else(PoisonError::into_inner);
        slot.epoch += 1;
        slot.credentials = credentials;
        LOGIN_HINT.clone_into(&mut slot.missing);
        *self.expiry.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Drops the credentials and says `why` (which must hold no secret) on every call instead
    /// of the login hint.
    pub(crate) fn set_unavailable(&self, why: String) {
        self.set_credentials(None);
        let mut slot = self.slot.write().unwrap_or_else(PoisonError::into_inner);
        slot.missing = why;
    }

    /// The current credentials with their epoch.
    ///
    /// # Errors
    /// `Unauthenticated` with the login hint when there are none.
    pub(crate) fn credentials(&self) -> Result<(u64, Credentials), BrokerError> {
        let slot = self.slot.read().unwrap_or_else(PoisonError::into_inner);
        match &slot.credentials {
            Some(credentials) => Ok((slot.epoch, credentials.clone())),
            None => Err(BrokerError::Unauthenticated(slot.missing.clone())),
        }
    }

    /// The secrets an error message must never contain: the client secret and refresh token.
    pub(crate) fn secrets(&self) -> Vec<Secret> {
        let slot = self.slot.read().unwrap_or_else(PoisonError::into_inner);
        slot.credentials
            .iter()
            .flat_map(|c| [c.client_secret.clone(), c.refresh_token.clone()])
            .collect()
    }

    /// A token valid for at least [`REFRESH_MARGIN`] more (or freshly minted), minting one when
    /// needed.
    ///
    /// # Errors
    /// `Unauthenticated` without credentials or when TastyTrade refuses them; the transport and
    /// status errors of the token request otherwise.
    pub(crate) async fn get(&self, client: &Client) -> Result<Token, BrokerError> {
        let seen = self.finished.load(Ordering::SeqCst);
        self.credentials()?;
        let mut state = self.state.lock().await;
        // The credentials may have changed while this caller waited.
        let (epoch, credentials) = self.credentials()?;
        if let Some(token) = &state.token
            && token.epoch == epoch
            && Instant::now() + REFRESH_MARGIN < token.expires_at
        {
            return Ok(token.clone());
        }
        if let Some((number, failed_epoch, error)) = &state.failure
            && *number > seen
            && *failed_epoch == epoch
        {
            return Err(error.clone());
        }
        let minted = mint(client, &credentials).await;
        let number = self.finished.fetch_add(1, Ordering::SeqCst) + 1;
        match minted {
            Ok((access, lifetime)) => {
                let token = Token {
                    access,
                    serial: number,
                    epoch,
                    expires_at: Instant::now() + lifetime,
                };
                state.token = Some(token.clone());
                state.failure = None;
                *self.expiry.lock().unwrap_or_else(PoisonError::into_inner) = Some((epoch, token.expires_at));
                Ok(token)
            }
            Err(error) => {
                let secrets = [
                    credentials.client_secret.expose(),
                    credentials.refresh_token.expose(),
                ];
                let error = errors::scrub(error, &secrets);
                state.token = None;
                state.failure = Some((number, epoch, error.clone()));
                Err(error)
            }
        }
    }

    /// Drops `used` after the API refused it, unless a newer token already replaced it.
    pub(crate) async fn invalidate(&self, used: &Token) {
        let mut state = self.state.lock().await;
        if state.token.as_ref().is_some_and(|t| t.serial == used.serial) {
            state.token = None;
            *self.expiry.lock().unwrap_or_else(PoisonError::into_inner) = None;
        }
    }

    /// Drops the token, so that the next call mints one.
    pub(crate) async fn forget(&self) {
        let mut state = self.state.lock().await;
        state.token = None;
        state.failure = None;
        *self.expiry.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// How long the current token stays valid, when there is one under the current credentials.
    pub(crate) fn expires_in(&self) -> Option<Duration> {
        let epoch = self.slot.read().unwrap_or_else(PoisonError::into_inner).epoch;
        let expiry = *self.expiry.lock().unwrap_or_else(PoisonError::into_inner);
        match expiry {
            Some((token_epoch, expires_at)) if token_epoch == epoch => {
                let left = expires_at.saturating_duration_since(Instant::now());
                (!left.is_zero()).then_some(left)
            }
            _ => None,
        }
    }
}

/// Mints an access token with the refresh-token grant.
async fn mint(client: &Client, credentials: &Credentials) -> Result<(Secret, Duration), BrokerError> {
    let body = serde_json::to_vec(&serde_json::json!({
        "grant_type": "refresh_token",
        "client_secret": credentials.client_secret.expose(),
        "refresh_token": credentials.refresh_token.expose(),
    }))
    .map_err(|_| BrokerError::Other {
        adapter: crate::http::ADAPTER,
        message: "the token request could not be encoded".to_owned(),
    })?;
    let answer = client.post_json(TOKEN_PATH, body).await?;
    if !answer.is_success() {
        let error = errors::token_error(&answer);
        tracing::warn!(status = answer.status, "TastyTrade did not mint an access token");
        return Err(error);
    }
    errors::expect_json(&answer, "an access token")?;
    // The answer holds the token: a parse error's text could quote it, so it is not used.
    let parsed: TokenAnswer = serde_json::from_slice(&answer.body).map_err(|_| {
        BrokerError::InvalidResponse("TastyTrade's access token answer could not be read".to_owned())
    })?;
    let access = parsed
        .access_token
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| {
            BrokerError::InvalidResponse("TastyTrade's token answer has no access token".to_owned())
        })?;
    let lifetime = parsed
        .expires_in
        .filter(|s| *s > 0.0 && *s < 1.0e9)
        .map_or(DEFAULT_LIFETIME, Duration::from_secs_f64);
    tracing::info!(
        expires_in_secs = lifetime.as_secs(),
        "minted a TastyTrade access token"
    );
    Ok((Secret::new(access), lifetime))
}
