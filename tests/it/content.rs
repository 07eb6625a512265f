//! Opening a message: only the shown parts are downloaded, decoded in their charsets; attachment
//! names decoded, inline images complete, big attachments left on the server until saved.

use std::sync::Arc;
use std::time::Duration;

use tern_core::account::Security;
use tern_core::imap::Timeouts;
use tern_core::imap::content::{MessageContent, Shown, WHOLE_MESSAGE_MAX, fetch_content};
use tern_core::live::{AccountState, FlagChange, LiveSettings, Supervisor};
use tern_core::sync::SyncMode;
use tern_tests::sample::{
    Charset, LARGE_ATTACHMENT_SIZE, Sample, SampleFile, charset_message, encoded_names_message,
    inline_images_message, large_attachment_message,
};
use tern_tests::{DEFAULT_USER, Dovecot, DovecotOptions, Proxy};

use crate::login;
use crate::support::{Account, MemorySecrets, account_with, check_cache_equals_server};

const NEWSLETTER: &str = "From: Café <news@example.org>\r
To: ann@tern.test\r
Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r
Message-ID: <n1@example.org>\r
MIME-Version: 1.0\r
Content-Type: multipart/mixed; boundary=\"mix\"\r
\r
--mix\r
Content-Type: multipart/alternative; boundary=\"alt\"\r
\r
--alt\r
Content-Type: text/plain; charset=utf-8\r
\r
Plain version\r
--alt\r
Content-Type: multipart/related; boundary=\"rel\"\r
\r
--rel\r
Content-Type: text/html; charset=iso-8859-1\r
Content-Transfer-Encoding: quoted-printable\r
\r
<p>Gr=FC=DFe <img src=3D\"cid:logo@example.org\"></p>\r
--rel\r
Content-Type: image/png\r
Content-Transfer-Encoding: base64\r
Content-ID: <logo@example.org>\r
\r
iVBORw0KGgo=\r
--rel--\r
--alt--\r
--mix\r
Content-Type: application/pdf; name=\"report.pdf\"\r
Content-Disposition: attachment; filename*=UTF-8''Rapport%20d%C3%A9taill%C3%A9.pdf\r
Content-Transfer-Encoding: base64\r
\r
JVBERi0xLjQKJcfsj6IK\r
--mix--\r
";

const PLAIN: &str = "From: bob@example.org\r
To: ann@tern.test\r
Subject: short\r
Content-Type: text/plain; charset=windows-1252\r
Content-Transfer-Encoding: 8bit\r
\r
Caf\u{e9} \u{2014} r\u{e9}sum\u{e9}\r
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_shown_parts_are_fetched_and_decoded() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    server.append(DEFAULT_USER, "INBOX", NEWSLETTER.as_bytes()).unwrap();
    // windows-1252 bytes for the plain message.
    let plain: Vec<u8> = PLAIN
        .chars()
        .map(|c| match c {
            'é' => 0xe9,
            '—' => 0x97,
            c => c as u8,
        })
        .collect();
    server.append(DEFAULT_USER, "INBOX", &plain).unwrap();

    let mut session = login(&server, Security::Tls).await.unwrap();
    session.examine("INBOX").await.unwrap();
    let limit = Duration::from_secs(30);

    let newsletter: MessageContent = fetch_content(&mut session, 1, None, limit).await.unwrap().unwrap();
    assert_eq!(newsletter.problems, Vec::<String>::new());
    let [Shown::Html(html)] = newsletter.shown.as_slice() else { panic!("{:?}", newsletter.shown) };
    assert!(html.contains("Grüße") && html.contains("cid:logo@example.org"), "{html}");
    assert_eq!(newsletter.inline.len(), 1);
    assert_eq!(newsletter.inline[0].content_id, "logo@example.org");
    assert_eq!(newsletter.inline[0].bytes, b"\x89PNG\r\n\x1a\n");
    assert_eq!(newsletter.attachments.len(), 1);
    assert_eq!(newsletter.attachments[0].filename.as_deref(), Some("Rapport détaillé.pdf"));
    assert_eq!(newsletter.attachments[0].mime, "application/pdf");

    let short = fetch_content(&mut session, 2, None, limit).await.unwrap().unwrap();
    let [Shown::Text(text)] = short.shown.as_slice() else { panic!("{:?}", short.shown) };
    assert_eq!(text.trim_end(), "Café — résumé");
    assert!(short.attachments.is_empty() && short.inline.is_empty());

    // Gone messages are no error; nothing was marked read.
    assert!(fetch_content(&mut session, 99, None, limit).await.unwrap().is_none());
    assert!(fetch_content(&mut session, 99, Some(100), limit).await.unwrap().is_none());
    // Whole, in one FETCH, they read the same.
    for (uid, content) in [(1, &newsletter), (2, &short)] {
        assert_eq!(&fetch_content(&mut session, uid, Some(1000), limit).await.unwrap().unwrap(), content);
    }
    let seen = session.uid_search("SEEN").await.unwrap();
    assert!(seen.is_empty(), "BODY.PEEK must not set \\Seen: {seen:?}");
    session.logout().await.unwrap();
}

/// The live engine reading one account of a server, as the app runs it.
struct Reading {
    account: Account,
    supervisor: Supervisor,
}

impl Reading {
    /// Adds the default user of `server` (through `port` on loopback when given, e.g. a
    /// [`Proxy`]) and waits until its account is online with push.
    async fn start(server: &Dovecot, port: Option<u16>) -> Reading {
        Self::start_with(server, port, true).await
    }

    /// [`Reading::start`], with background downloads on or off.
    async fn start_with(server: &Dovecot, port: Option<u16>, prefetch: bool) -> Reading {
        let account = account_with(
            server,
            DEFAULT_USER,
            |imap| {
                if let Some(port) = port {
                    imap.host = "127.0.0.1".into();
                    imap.port = port;
                }
            },
            Timeouts::default(),
            Arc::new(MemorySecrets::default()),
        )
        .await;
        let engine = &account.engine;
        engine.set_settings(tern_core::settings::AppSettings { prefetch, ..engine.settings() }).unwrap();
        let supervisor = Supervisor::new(account.engine.clone(), LiveSettings::default(), Arc::new(|_| {}));
        supervisor.start(&account.id);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let state = supervisor.state(&account.id);
            if state == Some(AccountState::Online { push: true }) {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "the account did not come online: {state:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Reading { account, supervisor }
    }

    /// What the reader shows of message `uid` in the inbox.
    async fn open(&self, uid: u32) -> MessageContent {
        self.supervisor
            .message_content(&self.account.id, "INBOX", uid)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("message {uid} is gone"))
    }
}

/// Saves `samples` into the inbox, in order: their UIDs are 1, 2...
fn deliver(server: &Dovecot, samples: &[&Sample]) {
    for sample in samples {
        server.append(DEFAULT_USER, "INBOX", &sample.bytes).unwrap();
    }
}

/// Bodies in legacy charsets, plain and HTML, in every transfer encoding: the reader shows
/// exactly the text that was written, in Unicode.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_in_legacy_charsets_show_their_exact_text() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    let samples: Vec<Sample> =
        Charset::ALL.iter().flat_map(|&c| [charset_message(c, false), charset_message(c, true)]).collect();
    deliver(&server, &samples.iter().collect::<Vec<_>>());
    let reading = Reading::start(&server, None).await;

    for (sample, uid) in samples.iter().zip(1..) {
        let content = reading.open(uid).await;
        let what = &sample.subject;
        assert_eq!(content.problems, Vec::<String>::new(), "{what}");
        assert!(content.attachments.is_empty() && content.inline.is_empty(), "{what}: {content:?}");
        match content.shown.as_slice() {
            [Shown::Text(text)] if !sample.html => assert_eq!(text.trim_end(), sample.text, "{what}"),
            [Shown::Html(html)] if sample.html => {
                let paragraph = format!("<p>{}</p>", sample.text);
                assert!(html.contains(&paragraph), "{what}: expected {paragraph} in {html}");
            }
            other => panic!("{what}: shown as {other:?}"),
        }
    }
    reading.supervisor.shutdown().await;
}

/// What the reader lists of a message's attachments: (name, type, size), in order.
fn listed(content: &MessageContent) -> Vec<(Option<&str>, &str, u32)> {
    content.attachments.iter().map(|a| (a.filename.as_deref(), a.mime.as_str(), a.size)).collect()
}

/// What a reader must list of `files`: their exact names, types and sizes on the wire.
fn expected_list(files: &[SampleFile]) -> Vec<(Option<&str>, &str, u32)> {
    files.iter().map(|f| (Some(f.name.as_str()), f.mime.as_str(), f.encoded_size as u32)).collect()
}

/// Attachment names in RFC 2231 (in one piece, and in continuations) and in RFC 2047
/// (ISO-8859-1) are listed with the exact names their senders gave them, with their types and
/// sizes, and nothing of them is shown as the body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encoded_attachment_names_decode_to_the_exact_file_names() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    let sample = encoded_names_message();
    deliver(&server, &[&sample]);
    let reading = Reading::start(&server, None).await;

    let content = reading.open(1).await;
    assert_eq!(content.problems, Vec::<String>::new());
    let [Shown::Text(text)] = content.shown.as_slice() else { panic!("{:?}", content.shown) };
    assert_eq!(text.trim_end(), sample.text);
    assert_eq!(content.attachments.len(), sample.files.len(), "{:?}", content.attachments);
    // The first three: RFC 2231 in one piece, RFC 2231 continuations, RFC 2047 in ISO-8859-1.
    assert_eq!(listed(&content)[..3], expected_list(&sample.files[..3]));
    reading.supervisor.shutdown().await;
}

/// A long attachment name that the sender's mailer cut into several RFC 2047 encoded words on
/// folded lines (as Outlook does) reads as one name: no space appears where it was cut.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_name_cut_into_encoded_words_reads_without_added_spaces() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    let sample = encoded_names_message();
    deliver(&server, &[&sample]);
    let reading = Reading::start(&server, None).await;

    let content = reading.open(1).await;
    assert_eq!(listed(&content)[3..], expected_list(&sample.files[3..]));
    reading.supervisor.shutdown().await;
}

/// An HTML message showing two images by Content-ID: both come with the message as inline
/// images, byte for byte, and neither is listed as an attachment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_cid_images_come_back_inline_with_their_bytes() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    let sample = inline_images_message();
    deliver(&server, &[&sample]);
    let reading = Reading::start(&server, None).await;

    let content = reading.open(1).await;
    assert_eq!(content.problems, Vec::<String>::new());
    let [Shown::Html(html)] = content.shown.as_slice() else { panic!("{:?}", content.shown) };
    assert!(html.contains(&sample.text), "{html}");
    for file in &sample.files {
        let cid = file.content_id.as_deref().unwrap();
        assert!(html.contains(&format!("cid:{cid}")), "{html}");
    }
    let inline: Vec<(&str, &str, &[u8])> =
        content.inline.iter().map(|i| (i.content_id.as_str(), i.mime.as_str(), i.bytes.as_slice())).collect();
    let expected: Vec<(&str, &str, &[u8])> = sample
        .files
        .iter()
        .map(|f| (f.content_id.as_deref().unwrap(), f.mime.as_str(), f.bytes.as_slice()))
        .collect();
    assert_eq!(inline, expected);
    assert!(content.attachments.is_empty(), "{:?}", content.attachments);
    reading.supervisor.shutdown().await;
}

/// A message with a 20 MiB attachment opens with its text and the attachment listed by name and
/// size, and only what is shown travels: from adding the account to closing it (sync, the
/// background download of the newest messages' text, the opening), the network carries a few
/// kilobytes, not the attachment's megabytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_a_message_with_a_20_mib_attachment_downloads_only_its_text() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    let sample = large_attachment_message(LARGE_ATTACHMENT_SIZE);
    assert!(sample.bytes.len() > LARGE_ATTACHMENT_SIZE, "the message is over 20 MiB");
    deliver(&server, &[&sample]);
    let proxy = Proxy::start(server.tls_addr()).unwrap();
    let reading = Reading::start(&server, Some(proxy.port())).await;

    let content = reading.open(1).await;
    assert_eq!(content.problems, Vec::<String>::new());
    let [Shown::Text(text)] = content.shown.as_slice() else { panic!("{:?}", content.shown) };
    assert_eq!(text.trim_end(), sample.text);
    let file = &sample.files[0];
    assert!(file.bytes.len() == LARGE_ATTACHMENT_SIZE && file.encoded_size > LARGE_ATTACHMENT_SIZE);
    assert_eq!(listed(&content), expected_list(&sample.files));

    // Every task of the account has ended: nothing more can travel.
    reading.supervisor.shutdown().await;
    let carried = proxy.traffic();
    assert!(
        carried.to_server > 0 && carried.to_client > 0,
        "the account went through the proxy: {carried:?}"
    );
    assert!(
        carried.total() < 256 * 1024,
        "a {} byte message carried {carried:?}: more than its text",
        sample.bytes.len()
    );
}

/// Compares a saved file with what the sender attached, without printing megabytes on failure.
fn assert_same_file(saved: &std::path::Path, file: &SampleFile) {
    let bytes = std::fs::read(saved).unwrap();
    assert_eq!(bytes.len(), file.bytes.len(), "size of {}", file.name);
    let first_difference = bytes.iter().zip(&file.bytes).position(|(a, b)| a != b);
    assert_eq!(first_difference, None, "{} differs from what was attached", file.name);
}

/// Saving the 20 MiB attachment writes exactly the bytes that were attached, and says how many.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saving_the_20_mib_attachment_writes_its_exact_bytes() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    let sample = large_attachment_message(LARGE_ATTACHMENT_SIZE);
    deliver(&server, &[&sample]);
    let reading = Reading::start(&server, None).await;
    let content = reading.open(1).await;
    let [attachment] = content.attachments.as_slice() else { panic!("{:?}", content.attachments) };

    let downloads = tempfile::tempdir().unwrap();
    let dest = downloads.path().join(attachment.filename.as_deref().unwrap());
    let written = reading
        .supervisor
        .save_attachment(&reading.account.id, "INBOX", 1, &attachment.section, &dest)
        .await
        .unwrap();
    assert_eq!(written, LARGE_ATTACHMENT_SIZE as u64);
    assert_same_file(&dest, &sample.files[0]);
    let names: Vec<_> =
        std::fs::read_dir(downloads.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, [dest.file_name().unwrap()], "only the saved file is left in the folder");
    reading.supervisor.shutdown().await;
}

/// Each attachment with an encoded name saves under the name the reader lists, with exactly
/// the bytes that were attached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saving_attachments_with_encoded_names_writes_their_bytes() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    let sample = encoded_names_message();
    deliver(&server, &[&sample]);
    let reading = Reading::start(&server, None).await;
    let content = reading.open(1).await;
    assert_eq!(content.attachments.len(), sample.files.len());

    let downloads = tempfile::tempdir().unwrap();
    for (attachment, file) in content.attachments.iter().zip(&sample.files) {
        let name = attachment.filename.as_deref().unwrap_or("attachment");
        let dest = downloads.path().join(name);
        let written = reading
            .supervisor
            .save_attachment(&reading.account.id, "INBOX", 1, &attachment.section, &dest)
            .await
            .unwrap();
        assert_eq!(written, file.bytes.len() as u64, "{name}");
        assert_same_file(&dest, file);
    }
    reading.supervisor.shutdown().await;
}

/// Every part of every kind of message the samples hold (alternatives, related images, files
/// with encoded names, charsets, a forwarded message with its own parts) is read out of the whole
/// message exactly as the server sends it, MIME header and body, and a small message reads the
/// same whole, in one FETCH, as part by part.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parts_read_out_of_the_whole_message_are_what_the_server_sends() {
    use async_imap::imap_proto::{BodyStructure, MessageSection, SectionPath};
    use futures::TryStreamExt;
    use tern_core::imap::sections::locate;

    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    server.seed(DEFAULT_USER, "INBOX", 40, 17).unwrap();
    let mut extra = tern_tests::sample::showcase(1_780_000_000);
    extra.push(NEWSLETTER.as_bytes().to_vec());
    extra.extend(
        Charset::ALL.iter().flat_map(|c| [charset_message(*c, false).bytes, charset_message(*c, true).bytes]),
    );
    for message in &extra {
        server.append(DEFAULT_USER, "INBOX", message).unwrap();
    }
    let mut session = login(&server, Security::Tls).await.unwrap();
    session.examine("INBOX").await.unwrap();
    let limit = Duration::from_secs(30);

    /// Every section of a structure: leaves, attached messages and the parts inside them.
    fn sections(structure: &BodyStructure<'_>, prefix: &str, top: bool, out: &mut Vec<String>) {
        match structure {
            BodyStructure::Multipart { bodies, .. } => {
                for (i, body) in bodies.iter().enumerate() {
                    let section =
                        if prefix.is_empty() { format!("{}", i + 1) } else { format!("{prefix}.{}", i + 1) };
                    sections(body, &section, false, out);
                }
            }
            BodyStructure::Message { body, .. } => {
                out.push(prefix.to_string());
                match body.as_ref() {
                    BodyStructure::Multipart { .. } => sections(body, prefix, false, out),
                    _ => out.push(format!("{prefix}.1")),
                }
            }
            _ if top => out.push("1".to_string()),
            _ => out.push(prefix.to_string()),
        }
    }
    fn path(section: &str, mime: bool) -> SectionPath {
        let numbers = section.split('.').map(|n| n.parse().unwrap()).collect();
        SectionPath::Part(numbers, mime.then_some(MessageSection::Mime))
    }

    let count = 40 + extra.len() as u32;
    let (mut compared, mut whole) = (0, 0);
    for uid in 1..=count {
        let first: Vec<_> = session
            .uid_fetch(uid.to_string(), "(UID RFC822.SIZE BODYSTRUCTURE BODY.PEEK[])")
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        let fetch = first.iter().find(|f| f.uid == Some(uid)).unwrap();
        let (structure, message) = (fetch.bodystructure().unwrap(), fetch.body().unwrap());
        let mut all = Vec::new();
        sections(structure, "", true, &mut all);
        for section in &all {
            let items = format!("(UID BODY.PEEK[{section}] BODY.PEEK[{section}.MIME])");
            let second: Vec<_> =
                session.uid_fetch(uid.to_string(), &items).await.unwrap().try_collect().await.unwrap();
            let parts = second.iter().find(|f| f.uid == Some(uid)).unwrap();
            let found = locate(message, structure, section).unwrap_or_else(|| {
                let server = parts.section(&path(section, false)).unwrap_or_default();
                panic!(
                    "message {uid}, section {section} was not found; the server's: {:?}",
                    String::from_utf8_lossy(server)
                )
            });
            assert_eq!(
                Some(found.body),
                parts.section(&path(section, false)),
                "message {uid}, section {section}"
            );
            // Section 1 of a message that is not multipart carries the message's header.
            if section != "1" || matches!(structure, BodyStructure::Multipart { .. }) {
                assert_eq!(
                    Some(found.header),
                    parts.section(&path(section, true)),
                    "message {uid}, MIME header of section {section}"
                );
            }
            compared += 1;
        }
        let size = fetch.size.unwrap();
        if size <= WHOLE_MESSAGE_MAX {
            whole += 1;
        }
        let by_parts = fetch_content(&mut session, uid, None, limit).await.unwrap().unwrap();
        let at_once = fetch_content(&mut session, uid, Some(size), limit).await.unwrap().unwrap();
        assert_eq!(at_once, by_parts, "message {uid} reads the same whole");
    }
    assert!(compared > 80 && whole > 40, "{compared} sections of {whole} small messages compared");
    session.logout().await.unwrap();
}

/// Opening a message waits for the server once when it is small (the structure and the whole
/// message in one FETCH, sent with the SELECT when its folder is not open yet), and twice when
/// it is large (its structure, then only its shown parts). A star waits once, in the open folder
/// or in another (its STORE sent with the SELECT). The proxy counts the round trips.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_message_opens_in_one_round_trip_a_large_one_in_two_a_star_in_one() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    let small = inline_images_message();
    let large = large_attachment_message(WHOLE_MESSAGE_MAX as usize);
    let plain = charset_message(Charset::Iso8859_2, false);
    assert!(small.bytes.len() < WHOLE_MESSAGE_MAX as usize && large.bytes.len() > WHOLE_MESSAGE_MAX as usize);
    deliver(&server, &[&small, &large, &plain]);
    server.append(DEFAULT_USER, "Archive", &plain.bytes).unwrap();
    let proxy = Proxy::start(server.tls_addr()).unwrap();
    let reading = Reading::start_with(&server, Some(proxy.port()), false).await;
    // A read in the archive first, so that the inbox is not open on the command connection; then
    // quiet, so that only the reads below travel.
    let id = reading.account.id.clone();
    reading.supervisor.message_content(&id, "Archive", 1).await.unwrap().expect("the archived message");
    proxy.wait_quiet(Duration::from_millis(500)).await;

    let turns = async |uid: u32| {
        let before = proxy.turns();
        let content = reading.open(uid).await;
        assert!(!content.shown.is_empty(), "message {uid} shows its text");
        proxy.turns() - before
    };
    assert_eq!(turns(1).await, 1, "a small message in a folder not open");
    assert_eq!(turns(2).await, 2, "a large message in the open folder");
    assert_eq!(turns(3).await, 1, "a small message in the open folder");
    assert_eq!(turns(3).await, 0, "an opened message, from the cache");

    let star = async |path: &str, uid: u32| {
        let before = proxy.turns();
        let change = FlagChange { seen: Some(true), flagged: Some(true) };
        reading.supervisor.set_flags(&id, path, vec![uid], change).await.unwrap();
        proxy.turns() - before
    };
    assert_eq!(star("INBOX", 2).await, 1, "a star and mark-read in the open folder");
    assert_eq!(star("Archive", 1).await, 1, "a star and mark-read in a folder not open");
    let unstar = FlagChange { seen: Some(false), flagged: Some(false) };
    let before = proxy.turns();
    reading.supervisor.set_flags(&id, "INBOX", vec![2, 3], unstar).await.unwrap();
    assert_eq!(proxy.turns() - before, 1, "both changes to two messages, in another folder again");
    let before = proxy.turns();
    let read_unstarred = FlagChange { seen: Some(true), flagged: Some(false) };
    reading.supervisor.set_flags(&id, "INBOX", vec![3], read_unstarred).await.unwrap();
    assert_eq!(proxy.turns() - before, 1, "adding one flag and removing another: two STOREs at once");
    reading.supervisor.shutdown().await;

    let mut other = login(&server, Security::Tls).await.unwrap();
    for (path, expected) in [("INBOX", vec![(3, true, false)]), ("Archive", vec![(1, true, true)])] {
        other.examine(path).await.unwrap();
        let seen: Vec<u32> = other.uid_search("SEEN").await.unwrap().into_iter().collect();
        let flagged: Vec<u32> = other.uid_search("FLAGGED").await.unwrap().into_iter().collect();
        let rows = reading.account.engine.cached_envelopes(&id, path).unwrap();
        for (uid, is_seen, is_flagged) in expected {
            assert_eq!(
                (seen.contains(&uid), flagged.contains(&uid)),
                (is_seen, is_flagged),
                "{path} {uid} on the server"
            );
            let row = rows.iter().find(|e| e.uid == uid).unwrap();
            assert_eq!(
                (row.flags.flags.seen, row.flags.flags.flagged),
                (is_seen, is_flagged),
                "{path} {uid} cached"
            );
        }
        assert_eq!(
            seen.len() + flagged.len(),
            usize::from(path == "INBOX") + 2 * usize::from(path == "Archive")
        );
    }
    other.logout().await.unwrap();
}

/// Syncing one folder (as choosing it in the window does) while another is open on the command
/// connection waits for the server once when nothing changed (its STATUS) and twice when
/// something did (its STATUS, then the SELECT that names the changes), and the folder that was
/// open stays open when nothing else was selected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syncing_another_folder_waits_once_unchanged_twice_changed() {
    // Without NOTIFY, nothing but the syncs asked for touches the archive within the test.
    let server = Dovecot::start(DovecotOptions::default().without_notify()).unwrap();
    let plain = charset_message(Charset::Windows1251, false);
    deliver(&server, &[&plain, &plain, &plain]);
    server.append(DEFAULT_USER, "Archive", &plain.bytes).unwrap();
    let proxy = Proxy::start(server.tls_addr()).unwrap();
    let reading = Reading::start_with(&server, Some(proxy.port()), false).await;
    let id = reading.account.id.clone();
    // The inbox open on the command connection, then quiet.
    reading.open(1).await;
    let quiet = || proxy.wait_quiet(Duration::from_millis(300));
    quiet().await;
    let sync = async |path: &str| {
        let before = proxy.turns();
        let reports = reading.supervisor.sync_now(&id, Some(path.to_string())).await.unwrap();
        (proxy.turns() - before, reports.into_iter().next().expect("a report"))
    };

    let (turns, report) = sync("Archive").await;
    assert_eq!((turns, report.mode, report.selected), (1, SyncMode::Unchanged, false), "{report:?}");
    // The inbox is still open: reading on there waits once, with no SELECT.
    let before = proxy.turns();
    reading.open(2).await;
    assert_eq!(proxy.turns() - before, 1, "the inbox stayed open");

    // Another client changes the archive's first message.
    let change_first = async |store: &str| {
        let mut other = login(&server, Security::Tls).await.unwrap();
        other.select("Archive").await.unwrap();
        futures::TryStreamExt::try_collect::<Vec<_>>(other.uid_store("1", store).await.unwrap())
            .await
            .unwrap();
        other.logout().await.unwrap();
    };
    change_first("+FLAGS (\\Flagged)").await;
    quiet().await;
    let (turns, report) = sync("Archive").await;
    assert_eq!(
        (turns, report.mode, report.changed_uids.clone()),
        (2, SyncMode::Qresync, vec![1]),
        "{report:?}"
    );
    let rows = reading.account.engine.cached_envelopes(&id, "Archive").unwrap();
    assert!(rows[0].flags.flags.flagged, "the cache has the change");
    // The archive is open now: syncing it again goes on in it.
    let (turns, report) = sync("Archive").await;
    assert_eq!((turns, report.changed_uids.len()), (2, 0), "a NOOP and a CHANGEDSINCE fetch: {report:?}");

    // Back to the inbox; then new mail and a change in the archive: the new messages' envelopes
    // come in the same round trip as the SELECT that names the changes.
    reading.open(3).await;
    for _ in 0..2 {
        server.append(DEFAULT_USER, "Archive", &plain.bytes).unwrap();
    }
    change_first("-FLAGS (\\Flagged)").await;
    quiet().await;
    let (turns, report) = sync("Archive").await;
    assert_eq!(
        (turns, report.mode, report.added_uids.clone(), report.changed_uids.clone()),
        (2, SyncMode::Qresync, vec![3, 2], vec![1]),
        "STATUS, then the SELECT with the FETCH of the new mail: {report:?}"
    );
    let rows = reading.account.engine.cached_envelopes(&id, "Archive").unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|row| !row.flags.flags.flagged && row.subject == rows[0].subject), "{rows:#?}");
    assert!(!rows[0].subject.is_empty() && !rows[0].from.is_empty());
    check_cache_equals_server(&reading.account, &server, "Archive").await;
    reading.supervisor.shutdown().await;
}

/// A full pass (start-up, the two-minute check) starts with one round trip: leaving the folder
/// open on the command connection, the storage quota and the folder list with every folder's
/// counts go together.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_pass_leaves_the_open_folder_reads_the_quota_and_lists_folders_at_once() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    let plain = charset_message(Charset::Windows1251, false);
    deliver(&server, &[&plain, &plain]);
    server.append(DEFAULT_USER, "Archive", &plain.bytes).unwrap();
    let proxy = Proxy::start(server.tls_addr()).unwrap();
    let reading = Reading::start_with(&server, Some(proxy.port()), false).await;
    let id = reading.account.id.clone();
    // The inbox open on the command connection, then quiet.
    reading.open(1).await;
    proxy.wait_quiet(Duration::from_millis(300)).await;
    let before = proxy.turns();
    let reports = reading.supervisor.sync_now(&id, None).await.unwrap();
    assert_eq!(proxy.turns() - before, 1, "{reports:#?}");
    assert!(reports.iter().all(|r| r.mode == SyncMode::Unchanged && !r.selected), "{reports:#?}");
    let quota = reading.account.engine.quota(&id).unwrap().expect("the quota was read");
    assert_eq!(quota.limit_kib, 2 * 1024 * 1024);
    // The cache still follows the server afterwards.
    let mut other = login(&server, Security::Tls).await.unwrap();
    other.select("INBOX").await.unwrap();
    futures::TryStreamExt::try_collect::<Vec<_>>(other.uid_store("2", "+FLAGS (\\Flagged)").await.unwrap())
        .await
        .unwrap();
    other.logout().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let rows = reading.account.engine.cached_envelopes(&id, "INBOX").unwrap();
        if rows.iter().any(|row| row.uid == 2 && row.flags.flags.flagged) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the star never reached the cache: {rows:#?}");
        reading.supervisor.sync_now(&id, None).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    check_cache_equals_server(&reading.account, &server, "INBOX").await;
    reading.supervisor.shutdown().await;
}

/// Catching up on several changed folders waits for the server once for all of them: their
/// QRESYNC SELECTs, each with the FETCH of its new mail, go in one flight. A folder that has
/// started over (another UIDVALIDITY) in the same flight is opened again and read anew.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catching_up_on_several_changed_folders_waits_for_the_server_once() {
    // Without NOTIFY, and with the inbox left alone, only the syncs asked for reach the server.
    let server = Dovecot::start(DovecotOptions::default().without_notify()).unwrap();
    let plain = charset_message(Charset::Windows1251, false);
    deliver(&server, &[&plain]);
    let folders = ["Archive", "Work", "Lists"];
    for folder in folders {
        if folder != "Archive" {
            server.doveadm(&["mailbox", "create", "-u", DEFAULT_USER, folder]).unwrap();
        }
        for _ in 0..3 {
            server.append(DEFAULT_USER, folder, &plain.bytes).unwrap();
        }
    }
    let proxy = Proxy::start(server.tls_addr()).unwrap();
    let reading = Reading::start_with(&server, Some(proxy.port()), false).await;
    let id = reading.account.id.clone();
    let quiet = || proxy.wait_quiet(Duration::from_millis(300));
    quiet().await;
    let sync_all = async || {
        let before = proxy.turns();
        let reports = reading.supervisor.sync_now(&id, None).await.unwrap();
        (proxy.turns() - before, reports)
    };
    let of = |reports: &[tern_core::sync::SyncReport], path: &str| {
        reports.iter().find(|r| r.path == path).cloned().unwrap_or_else(|| panic!("no report of {path}"))
    };

    // Nothing changed: the folder list with its counts, and nothing selected.
    let (unchanged, reports) = sync_all().await;
    assert!(reports.iter().all(|r| r.mode == SyncMode::Unchanged), "{reports:#?}");

    // Another client: new mail in the archive, a star in Work, a message deleted from Lists.
    for _ in 0..2 {
        server.append(DEFAULT_USER, "Archive", &plain.bytes).unwrap();
    }
    let mut other = login(&server, Security::Tls).await.unwrap();
    other.select("Work").await.unwrap();
    futures::TryStreamExt::try_collect::<Vec<_>>(other.uid_store("1", "+FLAGS (\\Flagged)").await.unwrap())
        .await
        .unwrap();
    other.select("Lists").await.unwrap();
    futures::TryStreamExt::try_collect::<Vec<_>>(other.uid_store("2", "+FLAGS (\\Deleted)").await.unwrap())
        .await
        .unwrap();
    futures::TryStreamExt::try_collect::<Vec<_>>(other.expunge().await.unwrap()).await.unwrap();
    other.logout().await.unwrap();
    quiet().await;

    let (turns, reports) = sync_all().await;
    assert_eq!(
        turns,
        unchanged + 2,
        "the folder list, one flight of three SELECTs (the archive's with its FETCH), then leaving \
         the last folder: {reports:#?}"
    );
    let (archive, work, lists) = (of(&reports, "Archive"), of(&reports, "Work"), of(&reports, "Lists"));
    assert_eq!((archive.mode, archive.added_uids.clone()), (SyncMode::Qresync, vec![5, 4]), "{archive:?}");
    assert_eq!((work.mode, work.changed_uids.clone()), (SyncMode::Qresync, vec![1]), "{work:?}");
    assert_eq!((lists.mode, lists.removed_uids.clone()), (SyncMode::Qresync, vec![2]), "{lists:?}");
    for folder in folders {
        check_cache_equals_server(&reading.account, &server, folder).await;
    }
    let work_rows = reading.account.engine.cached_envelopes(&id, "Work").unwrap();
    assert!(work_rows.iter().any(|row| row.uid == 1 && row.flags.flags.flagged), "{work_rows:#?}");

    // Work starts over under another UIDVALIDITY while new mail comes to the archive: both go
    // in the flight, and Work is then opened again and read from the start.
    let validity = reading
        .account
        .engine
        .folder_states(&id)
        .unwrap()
        .into_iter()
        .find(|(path, _)| path == "Work")
        .map(|(_, state)| state.uidvalidity)
        .unwrap();
    let new_validity = validity.wrapping_add(1000).to_string();
    server
        .doveadm(&["mailbox", "update", "--uid-validity", &new_validity, "-u", DEFAULT_USER, "Work"])
        .unwrap();
    server.append(DEFAULT_USER, "Archive", &plain.bytes).unwrap();
    quiet().await;
    let (_, reports) = sync_all().await;
    let (archive, work) = (of(&reports, "Archive"), of(&reports, "Work"));
    assert_eq!((archive.mode, archive.added_uids.clone()), (SyncMode::Qresync, vec![6]), "{archive:?}");
    assert_eq!((work.mode, work.added, work.total), (SyncMode::UidValidityReset, 3, 3), "{work:?}");
    for folder in folders {
        check_cache_equals_server(&reading.account, &server, folder).await;
    }
    reading.supervisor.shutdown().await;
}
