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
    let folders = tern_core::imap::list_folders(&mut session, &options).await.unwrap().folders;
    assert!(
        folders.iter().any(|f| f.path == "Work/Projects" && f.parent.as_deref() == Some("Work")),
        "{folders:#?}"
    );
    session.logout().await.unwrap();
}
