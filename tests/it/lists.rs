//! The message list as the user sees it, against a real Dovecot: conversations that include the
//! user's replies from Sent, a reply from another client joining its conversation after a sync,
//! every inbox of two accounts merged, a filter, and the sign-in settings updated after a
//! password change.

use std::sync::Arc;

use tern_core::Error;
use tern_core::account::{NewAccount, Security};
use tern_core::imap::Password;
use tern_core::views::{ListQuery, SortKey, Source};
use tern_tests::{DEFAULT_USER, Dovecot, DovecotOptions};

use crate::support::{MemorySecrets, account_with, other_client};

const SECOND_USER: &str = "bea@tern.test";

/// Puts a message into `folder` with the given INTERNALDATE (an IMAP APPEND), as another mail
/// program would.
async fn deliver(server: &Dovecot, user: &str, folder: &str, (text, arrival): (Vec<u8>, String)) {
    let mut session = other_client(server, user).await;
    session.append(folder, None, Some(&arrival), text).await.unwrap();
    session.logout().await.unwrap();
}

/// A message dated `day` November 2026 at `hour`, and that time as an INTERNALDATE.
fn message(
    from: &str,
    subject: &str,
    id: &str,
    replying_to: &[&str],
    day: u32,
    hour: u32,
) -> (Vec<u8>, String) {
    let date = format!("{day} Nov 2026 {hour:02}:00:00 +0000");
    let mut text = format!(
        "From: {from}\r\nTo: ann@tern.test\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nDate: {date}\r\n"
    );
    if let Some(parent) = replying_to.last() {
        text.push_str(&format!("In-Reply-To: <{parent}>\r\n"));
        let refs: Vec<String> = replying_to.iter().map(|r| format!("<{r}>")).collect();
        text.push_str(&format!("References: {}\r\n", refs.join(" ")));
    }
    text.push_str("\r\nHello.\r\n");
    (text.into_bytes(), format!("\"{day:02}-Nov-2026 {hour:02}:00:00 +0000\""))
}

fn query(source: Source, filter: &str, conversations: bool) -> ListQuery {
    ListQuery { source, sort: SortKey::Date, descending: true, filter: filter.into(), conversations }
}

/// "subject ×count" per row.
fn shown(rows: &[tern_core::views::Row]) -> Vec<String> {
    rows.iter().map(|r| format!("{} ×{}", r.envelope.subject, r.thread_count)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversations_include_replies_from_sent_and_every_inbox_merges() {
    let server = Dovecot::start(DovecotOptions::default().user(SECOND_USER, "bea's long password")).unwrap();
    let ann = DEFAULT_USER;
    deliver(&server, ann, "INBOX", message("Ben <ben@example.org>", "Trip to Lisbon", "trip@x", &[], 2, 9))
        .await;
    deliver(
        &server,
        ann,
        "Sent",
        message("Ann <ann@tern.test>", "Re: Trip to Lisbon", "trip-r1@x", &["trip@x"], 2, 10),
    )
    .await;
    deliver(&server, ann, "INBOX", message("Cleo <cleo@example.org>", "Minutes", "minutes@x", &[], 3, 9))
        .await;
    deliver(
        &server,
        SECOND_USER,
        "INBOX",
        message("Dev <dev@example.org>", "Build green", "build@x", &[], 4, 9),
    )
    .await;

    let secrets = Arc::new(MemorySecrets::default());
    let first = account_with(&server, ann, |_| {}, Default::default(), secrets).await;
    let engine = first.engine.clone();
    let second = engine
        .add_account(
            NewAccount {
                display_name: "Bea".into(),
                email: SECOND_USER.into(),
                imap: server.server_settings(SECOND_USER, Security::Tls),
            },
            Password::new("bea's long password".to_string()),
        )
        .await
        .unwrap();
    let progress = |_| {};
    engine.sync_account(&first.id, &progress).await.unwrap();
    engine.sync_account(&second.id, &progress).await.unwrap();
    // What the app does as it starts: the inboxes' conversations, built ahead of the first
    // request; the lists below read them (and a sync that brings a reply replaces them).
    engine.prepare_lists().unwrap();

    let inbox = Source::Folder { account_id: first.id.clone(), path: "INBOX".into() };
    let page = engine.list(&query(inbox.clone(), "", true), 0, 50).unwrap();
    assert_eq!(shown(&page.rows), ["Minutes ×1", "Trip to Lisbon ×2"], "the reply in Sent joins the trip");
    let page = engine.list(&query(inbox.clone(), "", false), 0, 50).unwrap();
    assert_eq!(shown(&page.rows), ["Minutes ×1", "Trip to Lisbon ×1"]);

    // Ben answers from his own mail program; after a sync his reply heads the conversation.
    deliver(
        &server,
        ann,
        "INBOX",
        message("Ben <ben@example.org>", "Re: Trip to Lisbon", "trip-r2@x", &["trip@x", "trip-r1@x"], 5, 9),
    )
    .await;
    engine.sync_folder(&first.id, "INBOX", &progress).await.unwrap();
    let page = engine.list(&query(inbox.clone(), "", true), 0, 50).unwrap();
    assert_eq!(shown(&page.rows), ["Re: Trip to Lisbon ×3", "Minutes ×1"]);
    assert_eq!(page.unread, 3);
    let head = &page.rows[0];
    let conversation = engine.conversation(&head.account_id, &head.path, head.envelope.uid).unwrap();
    let members: Vec<(String, String)> =
        conversation.iter().map(|r| (r.path.clone(), r.envelope.message_id.clone().unwrap())).collect();
    assert_eq!(
        members,
        [
            ("INBOX".to_string(), "trip@x".to_string()),
            ("Sent".to_string(), "trip-r1@x".to_string()),
            ("INBOX".to_string(), "trip-r2@x".to_string()),
        ],
        "oldest first, across folders"
    );

    // Every inbox: both accounts, newest first, each row naming its account.
    let page = engine.list(&query(Source::AllInboxes, "", true), 0, 50).unwrap();
    let rows: Vec<(String, String)> =
        page.rows.iter().map(|r| (r.account_id.clone(), r.envelope.subject.clone())).collect();
    assert_eq!(
        rows,
        [
            (first.id.clone(), "Re: Trip to Lisbon".to_string()),
            (second.id.clone(), "Build green".to_string()),
            (first.id.clone(), "Minutes".to_string()),
        ]
    );
    assert_eq!(page.unread, 4);

    // The filter narrows by sender or subject, in every inbox.
    let page = engine.list(&query(Source::AllInboxes, "cleo", false), 0, 50).unwrap();
    assert_eq!(shown(&page.rows), ["Minutes ×1"]);
    let page = engine.list(&query(Source::AllInboxes, "dev@example", false), 0, 50).unwrap();
    assert_eq!(shown(&page.rows), ["Build green ×1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_password_is_checked_then_saved() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    let secrets = Arc::new(MemorySecrets::default());
    let account = account_with(&server, DEFAULT_USER, |_| {}, Default::default(), secrets.clone()).await;
    server.set_password(DEFAULT_USER, "a brand new passphrase").unwrap();
    assert!(matches!(account.engine.login(&account.id).await, Err(Error::AuthFailed { .. })));

    let wrong =
        account.engine.update_access(&account.id, Some(Password::new("not it".to_string())), None).await;
    assert!(matches!(wrong, Err(Error::AuthFailed { .. })), "{wrong:?}");
    use tern_core::secrets::SecretStore;
    assert_ne!(
        secrets.get(&account.id).unwrap().as_deref(),
        Some("not it"),
        "a refused password is not kept"
    );

    account
        .engine
        .update_access(&account.id, Some(Password::new("a brand new passphrase".to_string())), None)
        .await
        .unwrap();
    assert_eq!(secrets.get(&account.id).unwrap().as_deref(), Some("a brand new passphrase"));
    account.engine.login(&account.id).await.unwrap();
}
