//! The Dovecot fixture itself: users at runtime, clean shutdown on drop and on panic.

use std::fs;
use std::time::Duration;

use tern_core::Error;
use tern_core::account::Security;
use tern_core::imap::tls::TlsContext;
use tern_core::imap::{Password, Timeouts, connect_and_login};
use tern_tests::{Dovecot, DovecotOptions};

/// Processes whose process group is `pgid`.
fn group_members(pgid: u32) -> Vec<u32> {
    let mut members = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else { continue };
        // Fields after the parenthesised command: state ppid pgrp ...
        let Some((_, rest)) = stat.rsplit_once(')') else { continue };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.first() != Some(&"Z") && fields.get(2).and_then(|g| g.parse::<u32>().ok()) == Some(pgid) {
            members.push(pid);
        }
    }
    members
}

fn wait_until_gone(pgid: u32) -> Vec<u32> {
    for _ in 0..100 {
        let left = group_members(pgid);
        if left.is_empty() {
            return left;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    group_members(pgid)
}

#[tokio::test]
async fn users_and_passwords_change_at_runtime() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    let tls = TlsContext::new().unwrap();
    let bob = server.server_settings("bob@tern.test", Security::Tls);
    let login = |password: &'static str| {
        let (tls, bob) = (&tls, &bob);
        async move { connect_and_login(tls, bob, &Password::new(password), Timeouts::default()).await }
    };

    assert!(matches!(login("first").await, Err(Error::AuthFailed { .. })));
    server.add_user("bob@tern.test", "first").unwrap();
    login("first").await.unwrap().logout().await.unwrap();
    server.set_password("bob@tern.test", "second").unwrap();
    let old = login("first").await;
    assert!(matches!(old, Err(Error::AuthFailed { .. })), "{old:?}\n{}", server.log());
    login("second").await.unwrap().logout().await.unwrap();
    assert!(server.set_password("nobody@tern.test", "x").is_err());
}

#[test]
fn drop_stops_every_server_process_and_removes_the_directory() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    let pgid = server.pid().unwrap();
    let (dir, addr) = (server.dir().to_path_buf(), server.tls_addr());
    assert!(!group_members(pgid).is_empty());
    // A logged-in session keeps an imap process alive: it must go too.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let session = runtime.block_on(crate::login(&server, Security::Tls)).unwrap();
    drop(server);
    assert_eq!(wait_until_gone(pgid), Vec::<u32>::new(), "processes left in group {pgid}");
    assert!(std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err());
    assert!(!dir.exists(), "{} left behind", dir.display());
    drop(session);
}

#[test]
fn a_panicking_test_still_stops_its_server() {
    let (tx, rx) = std::sync::mpsc::channel();
    let outcome = std::thread::spawn(move || {
        let server = Dovecot::start(DovecotOptions::default()).unwrap();
        tx.send((server.pid().unwrap(), server.dir().to_path_buf())).unwrap();
        panic!("a test failed while its server ran");
    })
    .join();
    assert!(outcome.is_err());
    let (pgid, dir) = rx.recv().unwrap();
    assert_eq!(wait_until_gone(pgid), Vec::<u32>::new(), "processes left in group {pgid}");
    assert!(!dir.exists());
}

#[test]
fn persistent_directory_keeps_certificate_and_mail_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let first = Dovecot::start(DovecotOptions::default().in_dir(dir.path())).unwrap();
    let fingerprint = first.fingerprint().to_string();
    first.seed(tern_tests::DEFAULT_USER, "Archive", 25, 1).unwrap();
    first.stop().unwrap();
    let second = Dovecot::start(DovecotOptions::default().in_dir(dir.path())).unwrap();
    assert_eq!(second.fingerprint(), fingerprint);
    assert_eq!(
        fs::read_dir(second.folder_dir(tern_tests::DEFAULT_USER, "Archive").join("cur")).unwrap().count(),
        25
    );
}
