//! Seeding maildirs directly and what the server then reports.

use std::time::Instant;

use tern_core::account::Security;
use tern_tests::{DEFAULT_USER, Dovecot, DovecotOptions};

use crate::login;

#[tokio::test]
async fn ten_thousand_seeded_messages_are_all_reported_by_status() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    let started = Instant::now();
    let report = server.seed(DEFAULT_USER, "INBOX", 10_000, 2024).unwrap();
    let seeded_in = started.elapsed();
    let sent = server.seed(DEFAULT_USER, "Sent", 300, 7).unwrap();
    let projects = server.seed(DEFAULT_USER, "Work/Projects", 50, 8).unwrap();
    eprintln!("seeded 10,000 messages ({} MB) in {seeded_in:?}", report.bytes / 1_000_000);

    let started = Instant::now();
    let mut session = login(&server, Security::Tls).await.unwrap();
    let inbox = session.status("INBOX", "(MESSAGES)").await.unwrap();
    eprintln!("first STATUS INBOX over 10,000 messages: {:?}", started.elapsed());
    assert_eq!(inbox.exists, 10_000);
    assert_eq!(session.status("Sent", "(MESSAGES)").await.unwrap().exists, sent.count as u32);
    assert_eq!(session.status("Work/Projects", "(MESSAGES)").await.unwrap().exists, projects.count as u32);
    let options = tern_core::imap::ListOptions::default();
    let folders =
        tern_core::imap::list_folders(&mut session, &options, tern_core::imap::Timeouts::default().command)
            .await
            .unwrap()
            .folders;
    assert!(
        folders.iter().any(|f| f.path == "Work/Projects" && f.parent.as_deref() == Some("Work")),
        "{folders:#?}"
    );
    session.logout().await.unwrap();
}

/// Every message's UID and size in `folder`, in UID order.
async fn sizes(server: &Dovecot, folder: &str) -> Vec<(u32, u32)> {
    use futures::TryStreamExt;
    let mut session = login(server, Security::Tls).await.unwrap();
    session.select(folder).await.unwrap();
    let fetches: Vec<_> =
        session.uid_fetch("1:*", "(UID RFC822.SIZE)").await.unwrap().try_collect().await.unwrap();
    session.logout().await.unwrap();
    let mut sizes: Vec<(u32, u32)> = fetches.iter().map(|f| (f.uid.unwrap(), f.size.unwrap())).collect();
    sizes.sort_unstable();
    sizes
}

#[tokio::test]
async fn an_sdbox_server_holds_the_same_seeded_mail_as_a_maildir_one() {
    let maildir = Dovecot::start(DovecotOptions::default()).unwrap();
    let sdbox = Dovecot::start(DovecotOptions::default().sdbox()).unwrap();
    assert_eq!(sdbox.storage(), tern_tests::MailStorage::Sdbox);
    for server in [&maildir, &sdbox] {
        assert_eq!(server.seed(DEFAULT_USER, "INBOX", 300, 11).unwrap().count, 300);
        assert_eq!(server.seed_linked(DEFAULT_USER, "Work/Projects", 40, 4, 12).unwrap().count, 40);
    }
    // The same messages, in the same order: UIDs 1..=n with the same sizes.
    for folder in ["INBOX", "Work/Projects"] {
        let (a, b) = (sizes(&maildir, folder).await, sizes(&sdbox, folder).await);
        assert_eq!(a, b, "{folder}");
        assert_eq!(a.first().map(|s| s.0), Some(1));
    }
    // Stored as sdbox, with nothing left aside, and its quota counted from Dovecot's indexes.
    let root = sdbox.maildir(DEFAULT_USER);
    assert!(root.join("mailboxes").join("INBOX").join("dbox-Mails").is_dir(), "{}", sdbox.log());
    assert!(!root.join("cur").exists());
    assert!(!sdbox.dir().join("staging").exists());
    let mut session = login(&sdbox, Security::Tls).await.unwrap();
    let quota = tern_core::sync::storage_quota(&mut session).await.unwrap().expect("a storage quota");
    assert!(quota.used_kib > 0 && quota.limit_kib == 2 * 1024 * 1024, "{quota:?}");
    // A new message arrives through the server as with a maildir.
    sdbox.append(DEFAULT_USER, "INBOX", b"Subject: late\r\n\r\nHello\r\n").unwrap();
    assert_eq!(session.status("INBOX", "(MESSAGES)").await.unwrap().exists, 301);
    session.logout().await.unwrap();
}
