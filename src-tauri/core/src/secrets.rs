//! Secrets live in the OS keychain and nowhere else.
//!
//! [`Keychain`] is the production store (through the `keyring` crate: macOS Keychain, Windows
//! Credential Manager, the Secret Service on Linux). The engine only sees the [`SecretStore`]
//! trait so it can be handed another store where no keychain exists, but nothing in Tern writes a
//! secret to a file, the cache or a log.

use std::fmt;

use crate::error::{Error, Result};

/// The keychain "service" every Tern entry is filed under.
pub const SERVICE: &str = "org.tern-mail.Tern";

/// Storage for account passwords and tokens, keyed by account id.
pub trait SecretStore: Send + Sync + fmt::Debug {
    /// Stores (or replaces) the secret for `account_id`.
    fn set(&self, account_id: &str, secret: &str) -> Result<()>;
    /// The secret for `account_id`, or `None` if none is stored.
    fn get(&self, account_id: &str) -> Result<Option<String>>;
    /// Deletes the secret for `account_id`; deleting a missing one is not an error.
    fn delete(&self, account_id: &str) -> Result<()>;
}

/// The OS keychain.
#[derive(Debug, Default, Clone, Copy)]
pub struct Keychain;

impl Keychain {
    fn entry(account_id: &str) -> Result<keyring::Entry> {
        keyring::Entry::new(SERVICE, account_id).map_err(keychain_error)
    }
}

fn keychain_error(e: keyring::Error) -> Error {
    Error::Keychain(e.to_string())
}

impl SecretStore for Keychain {
    fn set(&self, account_id: &str, secret: &str) -> Result<()> {
        Self::entry(account_id)?.set_password(secret).map_err(keychain_error)
    }

    fn get(&self, account_id: &str) -> Result<Option<String>> {
        match Self::entry(account_id)?.get_password() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keychain_error(e)),
        }
    }

    fn delete(&self, account_id: &str) -> Result<()> {
        match Self::entry(account_id)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keychain_error(e)),
        }
    }
}
