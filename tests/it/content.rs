//! Opening a message: only the shown parts are downloaded, decoded in their charsets.

use std::time::Duration;

use tern_core::account::Security;
use tern_core::imap::content::{MessageContent, Shown, fetch_content};
use tern_tests::{DEFAULT_USER, Dovecot, DovecotOptions};

use crate::login;

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

    let newsletter: MessageContent = fetch_content(&mut session, 1, limit).await.unwrap().unwrap();
    assert_eq!(newsletter.problems, Vec::<String>::new());
    let [Shown::Html(html)] = newsletter.shown.as_slice() else { panic!("{:?}", newsletter.shown) };
    assert!(html.contains("Grüße") && html.contains("cid:logo@example.org"), "{html}");
    assert_eq!(newsletter.inline.len(), 1);
    assert_eq!(newsletter.inline[0].content_id, "logo@example.org");
    assert_eq!(newsletter.inline[0].bytes, b"\x89PNG\r\n\x1a\n");
    assert_eq!(newsletter.attachments.len(), 1);
    assert_eq!(newsletter.attachments[0].filename.as_deref(), Some("Rapport détaillé.pdf"));
    assert_eq!(newsletter.attachments[0].mime, "application/pdf");

    let short = fetch_content(&mut session, 2, limit).await.unwrap().unwrap();
    let [Shown::Text(text)] = short.shown.as_slice() else { panic!("{:?}", short.shown) };
    assert_eq!(text.trim_end(), "Café — résumé");
    assert!(short.attachments.is_empty() && short.inline.is_empty());

    // Gone messages are no error; nothing was marked read.
    assert!(fetch_content(&mut session, 99, limit).await.unwrap().is_none());
    let seen = session.uid_search("SEEN").await.unwrap();
    assert!(seen.is_empty(), "BODY.PEEK must not set \\Seen: {seen:?}");
    session.logout().await.unwrap();
}
