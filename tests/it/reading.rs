//! Reading beyond the first screen, against a real Dovecot: a forwarded message opened from its
//! `.eml` attachment (only its shown parts travel), an attachment inside it saved to disk, the
//! full header and raw source, and the newest inbox messages downloaded in the background with
//! their snippets.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tern_core::imap::Timeouts;
use tern_core::imap::content::Shown;
use tern_core::live::{AccountState, LiveEvent, LiveSettings, Supervisor};
use tern_tests::{DEFAULT_USER, Dovecot, DovecotOptions};

use crate::support::{Account, MemorySecrets, account_with};

/// A message forwarding another as an attachment; the forwarded one has an HTML body and a
/// PDF of its own.
const FORWARD: &str = "From: Ann <ann@example.org>\r
To: you@tern.test\r
Subject: Fwd: the plan\r
Message-ID: <fwd1@example.org>\r
MIME-Version: 1.0\r
Content-Type: multipart/mixed; boundary=\"out\"\r
\r
--out\r
Content-Type: text/plain; charset=utf-8\r
\r
See below.\r
--out\r
Content-Type: message/rfc822\r
Content-Disposition: attachment; filename=\"the plan.eml\"\r
\r
From: =?utf-8?q?Bj=C3=B6rn?= <bjorn@example.org>\r
To: ann@example.org\r
Subject: The plan\r
Message-ID: <plan1@example.org>\r
MIME-Version: 1.0\r
Content-Type: multipart/mixed; boundary=\"in\"\r
\r
--in\r
Content-Type: text/html; charset=iso-8859-1\r
Content-Transfer-Encoding: quoted-printable\r
\r
<p>Voil=E0 le plan<script>alert(1)</script></p>\r
--in\r
Content-Type: application/pdf\r
Content-Disposition: attachment; filename=\"plan.pdf\"\r
Content-Transfer-Encoding: base64\r
\r
JVBERi0xLjQKcGxhbgo=\r
--in--\r
--out--\r
";

/// A forwarded message that is not multipart inside.
const FORWARD_SINGLE: &[u8] = b"From: Ann <ann@example.org>\r
To: you@tern.test\r
Subject: Fwd: short\r
MIME-Version: 1.0\r
Content-Type: multipart/mixed; boundary=\"out\"\r
\r
--out\r
Content-Type: text/plain\r
\r
Forwarding.\r
--out\r
Content-Type: message/rfc822\r
\r
From: carl@example.org\r
Subject: Short\r
Content-Type: text/plain; charset=koi8-r\r
Content-Transfer-Encoding: 8bit\r
\r
\xf0\xd2\xc9\xd7\xc5\xd4\r
--out--\r
";

fn settings() -> LiveSettings {
    LiveSettings { batch_window: Duration::from_millis(50), ..LiveSettings::default() }
}

struct Reading {
    account: Account,
    supervisor: Supervisor,
    events: Arc<Mutex<Vec<LiveEvent>>>,
}

async fn start(server: &Dovecot) -> Reading {
    let timeouts = Timeouts { connect: Duration::from_secs(5), command: Duration::from_secs(10) };
    let account =
        account_with(server, DEFAULT_USER, |_| {}, timeouts, Arc::new(MemorySecrets::default())).await;
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let supervisor = Supervisor::new(
        account.engine.clone(),
        settings(),
        Arc::new(move |batch| sink.lock().unwrap().extend(batch)),
    );
    supervisor.start(&account.id);
    let reading = Reading { account, supervisor, events };
    reading
        .until("the account online", |r| {
            matches!(r.supervisor.state(&r.account.id), Some(AccountState::Online { .. }))
        })
        .await;
    reading
}

impl Reading {
    /// Waits (up to 30 s) until `done` holds.
    async fn until(&self, what: &str, done: impl Fn(&Reading) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while !done(self) {
            assert!(tokio::time::Instant::now() < deadline, "no {what} within 30 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn snippets(&self) -> Vec<(u32, Option<String>)> {
        let page = self.account.engine.envelopes(&self.account.id, "INBOX", 0, 100).unwrap();
        page.rows.into_iter().map(|e| (e.uid, e.snippet)).collect()
    }
}

fn text_of(shown: &[Shown]) -> String {
    shown
        .iter()
        .map(|s| match s {
            Shown::Html(t) | Shown::Text(t) => t.as_str(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forwarded_message_opens_from_its_attachment_and_its_own_attachment_saves() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    server.append(DEFAULT_USER, "INBOX", FORWARD.as_bytes()).unwrap();
    server.append(DEFAULT_USER, "INBOX", FORWARD_SINGLE).unwrap();
    let r = start(&server).await;
    let id = r.account.id.clone();

    let outer = r.supervisor.message_content(&id, "INBOX", 1).await.unwrap().expect("message 1");
    let eml = outer.attachments.iter().find(|a| a.mime == "message/rfc822").expect("the forwarded message");
    assert_eq!((eml.section.as_str(), eml.filename.as_deref()), ("2", Some("the plan.eml")));

    let inner = r.supervisor.attached_message(&id, "INBOX", 1, "2").await.unwrap().expect("inner message");
    assert_eq!(text_of(&inner.shown).trim_end(), "<p>Voilà le plan<script>alert(1)</script></p>");
    let pdf: Vec<(&str, Option<&str>)> =
        inner.attachments.iter().map(|a| (a.section.as_str(), a.filename.as_deref())).collect();
    assert_eq!(pdf, [("2.2", Some("plan.pdf"))]);

    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("plan.pdf");
    let bytes = r.supervisor.save_attachment(&id, "INBOX", 1, "2.2", &dest).await.unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), b"%PDF-1.4\nplan\n");
    assert_eq!(bytes, 14);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 1, "no partial file is left: {leftovers:?}");

    let single = r.supervisor.attached_message(&id, "INBOX", 2, "2").await.unwrap().expect("inner message");
    assert_eq!(text_of(&single.shown).trim_end(), "Привет");

    assert_eq!(r.supervisor.attached_message(&id, "INBOX", 1, "1").await.unwrap(), None, "not a message");
    assert_eq!(r.supervisor.attached_message(&id, "INBOX", 99, "2").await.unwrap(), None, "no such message");
    let gone = r.supervisor.save_attachment(&id, "INBOX", 1, "7", &dir.path().join("x")).await;
    assert!(matches!(gone, Err(tern_core::Error::MessageGone(_))), "{gone:?}");
    assert!(!dir.path().join("x").exists());

    // Reading never marks anything read on the server.
    let flags = server.doveadm(&["fetch", "-u", DEFAULT_USER, "flags", "mailbox", "INBOX", "all"]).unwrap();
    assert!(!flags.contains("\\Seen"), "{flags}");
    r.supervisor.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn details_show_every_header_field_and_the_raw_source() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    server.append(DEFAULT_USER, "INBOX", FORWARD.as_bytes()).unwrap();
    let r = start(&server).await;
    let source = r.supervisor.message_source(&r.account.id, "INBOX", 1).await.unwrap().expect("message 1");
    let names: Vec<&str> = source.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["From", "To", "Subject", "Message-ID", "MIME-Version", "Content-Type"]);
    assert_eq!(source.headers[2].1, "Fwd: the plan");
    assert_eq!(source.raw, FORWARD.as_bytes());
    assert_eq!(source.size as usize, FORWARD.len());
    assert_eq!(r.supervisor.message_source(&r.account.id, "INBOX", 5).await.unwrap(), None);
    r.supervisor.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_newest_inbox_messages_are_downloaded_in_the_background_with_their_snippets() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    server.seed(DEFAULT_USER, "INBOX", 40, 7).unwrap();
    let r = start(&server).await;
    r.until("30 snippets", |r| r.snippets().iter().filter(|(_, s)| s.is_some()).count() >= 30).await;
    let snippets = r.snippets();
    // The newest 30 (the list's first rows), none of the older ones.
    assert!(snippets[..30].iter().all(|(_, s)| s.as_ref().is_some_and(|s| !s.is_empty())), "{snippets:?}");
    assert!(snippets[30..].iter().all(|(_, s)| s.is_none()), "{snippets:?}");
    let changed = r.events.lock().unwrap().iter().any(
        |e| matches!(e, LiveEvent::MailboxChanged { path, changed, .. } if path == "INBOX" && !changed.is_empty()),
    );
    assert!(changed, "the list hears about the new snippets");

    // A message arriving later is downloaded too.
    server.append(DEFAULT_USER, "INBOX", FORWARD.as_bytes()).unwrap();
    r.until("the new message's snippet", |r| {
        r.snippets().first().is_some_and(|(uid, s)| *uid == 41 && s.as_deref() == Some("See below."))
    })
    .await;
    // ... and opens without the server.
    let cached = r.account.engine.cached_content(&r.account.id, "INBOX", 41).unwrap();
    assert!(cached.is_some_and(|c| c.attachments.len() == 1));
    r.supervisor.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_messages_next_to_the_one_opened_are_downloaded_in_the_background() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    server.seed(DEFAULT_USER, "Archive", 20, 11).unwrap();
    let r = start(&server).await;
    let (engine, id) = (r.account.engine.clone(), r.account.id.clone());
    r.until("the archive synced", |r| {
        r.account.engine.envelopes(&r.account.id, "Archive", 0, 100).is_ok_and(|page| page.rows.len() == 20)
    })
    .await;
    // The list's order, newest first; the message opened is in the middle of it.
    let order: Vec<u32> =
        engine.envelopes(&id, "Archive", 0, 100).unwrap().rows.iter().map(|e| e.uid).collect();
    let at = 10;
    let cached = |uid: u32| engine.cached_content(&id, "Archive", uid).unwrap().is_some();
    assert!(order.iter().all(|&uid| !cached(uid)), "nothing in Archive is downloaded before it is read");

    r.supervisor.message_content(&id, "Archive", order[at]).await.unwrap().expect("the message");
    // The next two down the list and the one above follow without being asked for...
    let ahead = [order[at + 1], order[at - 1], order[at + 2]];
    r.until("the messages around it downloaded", |_| ahead.iter().all(|&uid| cached(uid))).await;
    // ... and they open from the cache, with their snippets in the list.
    for uid in ahead {
        let content = engine.cached_content(&id, "Archive", uid).unwrap().expect("cached");
        assert!(!content.shown.is_empty());
        let envelope = engine.envelope(&id, "Archive", uid).unwrap().expect("listed");
        assert!(envelope.snippet.is_some(), "{uid} has its snippet");
    }
    // Nothing further away.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for uid in [order[at - 2], order[at + 3]] {
        assert!(!cached(uid), "{uid} is not next to the message read");
    }
    r.supervisor.shutdown().await;
}
