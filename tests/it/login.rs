//! Connecting and logging in through tern-core: TLS, STARTTLS, plaintext refusal, certificate
//! pinning and wrong passwords.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use tern_core::Error;
use tern_core::account::{ImapServer, Security};
use tern_core::imap::tls::TlsContext;
use tern_core::imap::{
    FolderRole, ListOptions, Password, Timeouts, connect_and_login, list_folders, login_with_capabilities,
};
use tern_tests::{DEFAULT_PASSWORD, DEFAULT_USER, Dovecot, DovecotOptions};

use crate::login;

async fn roles_after_login(security: Security) {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    server.seed(DEFAULT_USER, "Archive", 12, 3).unwrap();
    let mut session = login(&server, security).await.unwrap();
    // LIST + LSUB, and one LIST-EXTENDED with LIST-STATUS: the same folders either way, and the
    // second brings every folder's counts.
    let plain =
        list_folders(&mut session, &ListOptions::default(), tern_core::imap::Timeouts::default().command)
            .await
            .unwrap();
    assert!(plain.statuses.is_empty());
    let with_status = ListOptions { list_status: true, modseq: true, ..ListOptions::default() };
    let extended =
        list_folders(&mut session, &with_status, tern_core::imap::Timeouts::default().command).await.unwrap();
    assert_eq!(plain.folders, extended.folders);
    assert_eq!(extended.statuses.len(), plain.folders.len(), "{:?}", extended.statuses);
    for folder in &extended.folders {
        let listed = extended.statuses[&folder.path];
        let asked = session.status(&folder.path, "(MESSAGES UNSEEN UIDNEXT UIDVALIDITY)").await.unwrap();
        let expected = (asked.exists, asked.unseen, asked.uid_next, asked.uid_validity);
        assert_eq!(
            (listed.messages, Some(listed.unseen), Some(listed.uidnext), Some(listed.uidvalidity)),
            expected,
            "{}",
            folder.path
        );
        assert!(listed.highestmodseq != 0, "{listed:?}");
    }
    assert_eq!(extended.statuses["Archive"].messages, 12);
    session.logout().await.unwrap();
    let folders = extended.folders;
    let roles: BTreeMap<FolderRole, String> =
        folders.iter().filter_map(|f| Some((f.role?, f.path.clone()))).collect();
    let expected = [
        (FolderRole::Inbox, "INBOX"),
        (FolderRole::Drafts, "Drafts"),
        (FolderRole::Sent, "Sent"),
        (FolderRole::Archive, "Archive"),
        (FolderRole::Junk, "Junk"),
        (FolderRole::Trash, "Trash"),
    ];
    for (role, path) in expected {
        assert_eq!(roles.get(&role).map(String::as_str), Some(path), "{role:?} in {folders:#?}");
    }
    assert!(folders.iter().all(|f| f.subscribed && f.selectable), "{folders:#?}");
}

#[tokio::test]
async fn implicit_tls_login_lists_special_use_folders() {
    roles_after_login(Security::Tls).await;
}

#[tokio::test]
async fn starttls_login_lists_special_use_folders() {
    roles_after_login(Security::StartTls).await;
}

#[tokio::test]
async fn plaintext_login_on_the_plain_port_is_refused_by_the_server() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    let err = login(&server, Security::Plain).await.unwrap_err();
    match &err {
        Error::AuthPolicy { server_says } => assert!(server_says.contains("Plaintext"), "{err}"),
        Error::InsecureConnection(_) => {}
        other => panic!("expected a refusal of plaintext authentication, got {other:?}"),
    }

    // The same at the protocol level, without Tern: LOGINDISABLED, then NO [PRIVACYREQUIRED].
    let tcp = TcpStream::connect(server.starttls_addr()).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut reader = BufReader::new(tcp.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(line.contains("LOGINDISABLED") && line.contains("STARTTLS"), "{line}");
    write!(&tcp, "a LOGIN \"{DEFAULT_USER}\" \"{DEFAULT_PASSWORD}\"\r\n").unwrap();
    let mut reply = String::new();
    while !reply.starts_with("a ") {
        reply.clear();
        reader.read_line(&mut reply).unwrap();
    }
    assert!(reply.starts_with("a NO [PRIVACYREQUIRED]"), "{reply}");
}

#[tokio::test]
async fn plaintext_to_a_remote_host_is_refused_before_any_network_io() {
    // 192.0.2.1 (TEST-NET-1) is unroutable: any connection attempt would hang until the timeout.
    let settings = ImapServer {
        host: "192.0.2.1".into(),
        port: 143,
        security: Security::Plain,
        username: DEFAULT_USER.into(),
        pinned_cert_sha256: None,
        disable_condstore: false,
    };
    let started = Instant::now();
    let timeouts = Timeouts { connect: Duration::from_secs(5), command: Duration::from_secs(5) };
    let err = connect_and_login(&TlsContext::new().unwrap(), &settings, &Password::new("x"), timeouts)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InsecureConnection(_)), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}: it touched the network",
        started.elapsed()
    );
}

#[tokio::test]
async fn unpinned_self_signed_certificate_reports_its_fingerprint_and_pinning_it_works() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    let tls = TlsContext::new().unwrap();
    for security in [Security::Tls, Security::StartTls] {
        let mut settings = server.server_settings(DEFAULT_USER, security);
        settings.pinned_cert_sha256 = None;
        let err = connect_and_login(&tls, &settings, &Password::new(DEFAULT_PASSWORD), Timeouts::default())
            .await
            .unwrap_err();
        match err {
            Error::UntrustedCertificate { ref fingerprint, ref subject, ref validity, .. } => {
                assert_eq!(fingerprint, server.fingerprint());
                assert!(!subject.is_empty() && !subject.starts_with('('), "{subject}");
                assert!(validity.starts_with("valid from "), "{validity}");
                let message = err.to_string();
                assert!(
                    message.contains(subject.as_str()) && message.contains(fingerprint.as_str()),
                    "{message}"
                );
            }
            other => panic!("{security:?}: expected UntrustedCertificate, got {other:?}"),
        }
        // Pinned as the user would after checking it (any case and separators accepted).
        settings.pinned_cert_sha256 = Some(server.fingerprint().to_lowercase().replace(':', ""));
        let mut session =
            connect_and_login(&tls, &settings, &Password::new(DEFAULT_PASSWORD), Timeouts::default())
                .await
                .unwrap();
        session.noop().await.unwrap();
        session.logout().await.unwrap();
    }
}

#[tokio::test]
async fn wrong_password_is_auth_failed() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    let settings = server.server_settings(DEFAULT_USER, Security::Tls);
    let tls = TlsContext::new().unwrap();
    for attempt in 0..2 {
        let started = Instant::now();
        let err = connect_and_login(&tls, &settings, &Password::new("wrong"), Timeouts::default())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::AuthFailed { ref account, .. } if account == DEFAULT_USER), "{err:?}");
        // No auth-failure penalty in the fixture: a second failure is as fast as the first.
        assert!(started.elapsed() < Duration::from_secs(2), "attempt {attempt} took {:?}", started.elapsed());
    }
    // And the right password still works right after.
    crate::login(&server, Security::Tls).await.unwrap().logout().await.unwrap();
}

/// Relays one connection from a local port to `upstream`, recording what the client sent.
fn recording_relay(upstream: std::net::SocketAddr) -> (u16, std::thread::JoinHandle<Vec<u8>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let relay = std::thread::spawn(move || {
        let (client, _) = listener.accept().unwrap();
        let server = TcpStream::connect(upstream).unwrap();
        let (mut to_client, mut from_server) = (client.try_clone().unwrap(), server.try_clone().unwrap());
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut from_server, &mut to_client);
        });
        let (mut from_client, mut to_server) = (client, server);
        let mut sent = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match std::io::Read::read(&mut from_client, &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    sent.extend_from_slice(&buf[..n]);
                    if to_server.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to_server.shutdown(std::net::Shutdown::Both);
        sent
    });
    (port, relay)
}

#[tokio::test]
async fn starttls_is_refused_when_the_server_does_not_offer_it() {
    let server = Dovecot::start(DovecotOptions::default().without_starttls()).unwrap();

    // The plain listener really offers no STARTTLS (and no LOGIN).
    let tcp = TcpStream::connect(server.starttls_addr()).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut greeting = String::new();
    BufReader::new(tcp).read_line(&mut greeting).unwrap();
    assert!(!greeting.contains("STARTTLS") && greeting.contains("LOGINDISABLED"), "{greeting}");

    // Tern, through a relay that records every byte it sends.
    let (port, relay) = recording_relay(server.starttls_addr());
    let mut settings = server.server_settings(DEFAULT_USER, Security::StartTls);
    settings.host = "127.0.0.1".into();
    settings.port = port;
    let err = connect_and_login(
        &TlsContext::new().unwrap(),
        &settings,
        &Password::new(DEFAULT_PASSWORD),
        Timeouts::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::InsecureConnection(_)), "{err:?}");
    let sent = String::from_utf8_lossy(&relay.join().unwrap()).into_owned();
    assert!(sent.contains("STARTTLS"), "{sent:?}");
    assert!(
        !sent.to_ascii_uppercase().contains("LOGIN") && !sent.contains(DEFAULT_PASSWORD),
        "credentials went out in the clear: {sent:?}"
    );

    // The implicit-TLS listener of the same server is unaffected.
    login(&server, Security::Tls).await.unwrap().logout().await.unwrap();
}

#[tokio::test]
async fn a_pinned_fingerprint_of_another_certificate_is_refused() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    let mut settings = server.server_settings(DEFAULT_USER, Security::Tls);
    settings.pinned_cert_sha256 = Some(tern_core::imap::tls::fingerprint(b"some other certificate"));
    let err = connect_and_login(
        &TlsContext::new().unwrap(),
        &settings,
        &Password::new(DEFAULT_PASSWORD),
        Timeouts::default(),
    )
    .await
    .unwrap_err();
    match err {
        Error::UntrustedCertificate { fingerprint, .. } => assert_eq!(fingerprint, server.fingerprint()),
        other => panic!("expected UntrustedCertificate, got {other:?}"),
    }
}

/// Passwords of any characters log in: printable ASCII (quotes and backslashes included) with
/// LOGIN, whose answer brings the capabilities after login, and others with AUTHENTICATE PLAIN,
/// which carries UTF-8 unchanged.
#[tokio::test]
async fn passwords_of_any_characters_log_in() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    let tls = TlsContext::new().unwrap();
    // (user, password, capabilities named by the login's answer)
    let table = [
        ("quotes@tern.test", r#"a "quoted" \back\slash pass"#, true),
        ("umlaut@tern.test", "pässwörd ünïcode ✓", false),
    ];
    for (user, password, named) in table {
        server.add_user(user, password).unwrap();
        let settings = server.server_settings(user, Security::Tls);
        let (mut session, known) =
            login_with_capabilities(&tls, &settings, &Password::new(password), Timeouts::default())
                .await
                .unwrap();
        assert_eq!(known.is_some(), named, "{user}: {known:?}");
        if let Some(known) = known {
            assert!(known.iter().any(|c| c == "QRESYNC"), "{known:?}");
        }
        session.select("INBOX").await.unwrap();
        session.logout().await.unwrap();
    }
}
