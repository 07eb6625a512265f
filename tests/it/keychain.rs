//! Passwords go to the OS keychain (the Secret Service on Linux) and nowhere else.
//!
//! These tests need a running, unlocked Secret Service. Headless, run the suite through
//! `tests/fixtures/with-keyring.sh cargo test -p tern-tests`. Without one they fail, on purpose.

use std::path::Path;
use std::sync::Arc;

use tern_core::Engine;
use tern_core::account::{NewAccount, Security};
use tern_core::imap::Password;
use tern_core::secrets::{Keychain, SecretStore};
use tern_tests::{Dovecot, DovecotOptions};

/// Fails with directions when no Secret Service is reachable. Runs outside any async runtime.
fn require_secret_service() {
    let probe = format!("tern-tests-probe-{}", std::process::id());
    let result = std::thread::spawn(move || {
        Keychain.set(&probe, "probe")?;
        Keychain.delete(&probe)
    })
    .join()
    .unwrap();
    if let Err(e) = result {
        panic!(
            "no usable Secret Service ({e}). Run the tests through tests/fixtures/with-keyring.sh, e.g. \
             `bash tests/fixtures/with-keyring.sh cargo test -p tern-tests`"
        );
    }
}

/// Every file under `dir` (sled cache included), as (path, bytes).
fn all_files(dir: &Path, out: &mut Vec<(std::path::PathBuf, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            all_files(&path, out);
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
}

fn assert_not_on_disk(dir: &Path, secret: &str) {
    let mut files = Vec::new();
    all_files(dir, &mut files);
    assert!(files.len() >= 2, "expected settings and cache files, found {files:?}");
    for (path, bytes) in files {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the password is written in {}",
            path.display()
        );
    }
}

/// A password no other test or run uses.
fn unique_password() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("kc-{}-{nanos}-Zz9!", std::process::id())
}

async fn add_check_remove(store: Arc<dyn SecretStore>) {
    let password = unique_password();
    let user = format!("keychain-{}@tern.test", password.len() + std::process::id() as usize);
    let server = Dovecot::start(DovecotOptions::default().only_user(&user, &password)).unwrap();
    let data = tempfile::tempdir().unwrap();
    let engine = Engine::open(data.path(), store).unwrap();
    let new = NewAccount {
        display_name: "Keychain test".into(),
        email: user.clone(),
        imap: server.server_settings(&user, Security::Tls),
    };
    let account = engine.add_account(new, Password::new(password.clone())).await.unwrap();
    engine.refresh_folders(&account.id).await.unwrap();
    engine.shutdown().unwrap();

    let id = account.id.clone();
    let stored = std::thread::spawn(move || Keychain.get(&id)).join().unwrap().unwrap();
    assert_eq!(stored.as_deref(), Some(password.as_str()), "the keychain holds the password");
    assert_not_on_disk(data.path(), &password);

    engine.remove_account(&account.id).await.unwrap();
    engine.shutdown().unwrap();
    let id = account.id.clone();
    let gone = std::thread::spawn(move || Keychain.get(&id)).join().unwrap().unwrap();
    assert_eq!(gone, None, "remove_account deletes the keychain entry");
    assert!(engine.accounts().is_empty());
    assert_not_on_disk(data.path(), &password);
}

/// The engine exactly as the app builds it: the real `Keychain`, called from async code.
///
/// Regression: `Keychain` uses zbus's blocking API, which panicked on a tokio worker thread
/// ("Cannot start a runtime from within a runtime") until the engine moved keychain calls to the
/// blocking pool.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_with_os_keychain() {
    require_secret_service();
    add_check_remove(Arc::new(Keychain)).await;
}
