//! The OS keychain, reachable from inside a tokio runtime.
//!
//! `tern_core::secrets::Keychain` talks to the Secret Service through zbus's *blocking* API,
//! which starts its own tokio runtime and therefore panics ("Cannot start a runtime from within a
//! runtime") when called on a tokio worker thread, as `Engine::add_account` does today.
//! [`ThreadedKeychain`] runs every call of the same `Keychain` on a short-lived plain thread, so
//! the demo can register its account now. The integration test `keychain::engine_with_os_keychain`
//! pins the underlying engine bug; once `tern-core` moves keychain calls off the async threads,
//! this wrapper can go.

use tern_core::Result;
use tern_core::secrets::{Keychain, SecretStore};

/// [`Keychain`], each call made from a fresh OS thread outside any async runtime.
#[derive(Debug, Default, Clone, Copy)]
pub struct ThreadedKeychain;

fn off_runtime<T: Send>(f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    std::thread::scope(|scope| match scope.spawn(f).join() {
        Ok(result) => result,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

impl SecretStore for ThreadedKeychain {
    fn set(&self, account_id: &str, secret: &str) -> Result<()> {
        off_runtime(|| Keychain.set(account_id, secret))
    }

    fn get(&self, account_id: &str) -> Result<Option<String>> {
        off_runtime(|| Keychain.get(account_id))
    }

    fn delete(&self, account_id: &str) -> Result<()> {
        off_runtime(|| Keychain.delete(account_id))
    }
}
