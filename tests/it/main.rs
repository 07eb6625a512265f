//! Integration tests against real servers. One binary; each test starts its own Dovecot on its
//! own ports, so they run in parallel. The keychain tests need a Secret Service: run through
//! `tests/fixtures/with-keyring.sh cargo test -p tern-tests`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod capabilities;
mod content;
mod demo;
mod extensions;
mod fixture;
mod fixture_live;
mod keychain;
mod lists;
mod live;
mod login;
mod reading;
mod seeding;
mod support;
mod sync;

use tern_core::account::Security;
use tern_core::imap::tls::TlsContext;
use tern_core::imap::{ImapSession, Password, Timeouts, connect_and_login};
use tern_tests::{DEFAULT_PASSWORD, DEFAULT_USER, Dovecot};

/// Logs in to `server` as the default user with `security`, certificate pinned.
pub async fn login(server: &Dovecot, security: Security) -> tern_core::Result<ImapSession> {
    let settings = server.server_settings(DEFAULT_USER, security);
    connect_and_login(&TlsContext::new()?, &settings, &Password::new(DEFAULT_PASSWORD), Timeouts::default())
        .await
}
