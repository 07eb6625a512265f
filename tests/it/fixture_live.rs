//! The fixtures for tests of a live connection: the fault-injecting [`Proxy`], a Dovecot paused
//! and resumed on the same ports, sessions kicked, IDLE keepalives, IDLE hidden.

use std::time::Duration;

use tern_core::Error;
use tern_core::account::Security;
use tern_core::imap::tls::TlsContext;
use tern_core::imap::{ImapSession, Password, Timeouts, connect_and_login};
use tern_tests::{DEFAULT_USER, Dovecot, DovecotOptions, Proxy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout;

/// Failure guard for things that should happen at once.
const PROMPTLY: Duration = Duration::from_secs(5);

/// Short limits, so a login that cannot succeed fails fast.
fn short() -> Timeouts {
    Timeouts { connect: Duration::from_secs(2), command: Duration::from_secs(2) }
}

/// Logs in as `user` over implicit TLS to `port` on 127.0.0.1 (the server's, or a proxy's).
async fn login_at(
    server: &Dovecot,
    user: &str,
    port: u16,
    timeouts: Timeouts,
) -> tern_core::Result<ImapSession> {
    let mut settings = server.server_settings(user, Security::Tls);
    settings.host = "127.0.0.1".into();
    settings.port = port;
    let password = Password::new(server.password(user).expect("a fixture user"));
    connect_and_login(&TlsContext::new()?, &settings, &password, timeouts).await
}

async fn login_via(server: &Dovecot, proxy: &Proxy) -> tern_core::Result<ImapSession> {
    login_at(server, DEFAULT_USER, proxy.port(), short()).await
}

/// NOOP, which must be answered (or fail) within [`PROMPTLY`].
async fn noop(session: &mut ImapSession) -> Result<(), async_imap::error::Error> {
    timeout(PROMPTLY, session.noop()).await.expect("NOOP neither answered nor failed")
}

/// True when nothing, not even end-of-stream, arrives on the session's socket for `wait`.
async fn silent_for(session: &mut ImapSession, wait: Duration) -> bool {
    let mut byte = [0u8; 1];
    timeout(wait, session.as_mut().tcp().peek(&mut byte)).await.is_err()
}

#[tokio::test]
async fn proxy_forwards_a_tls_login() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    server.seed(DEFAULT_USER, "INBOX", 3, 7).unwrap();
    let proxy = Proxy::start(server.tls_addr()).unwrap();
    assert_eq!((proxy.target(), proxy.connections()), (server.tls_addr(), 0));

    let mut session = login_via(&server, &proxy).await.unwrap();
    assert_eq!(session.select("INBOX").await.unwrap().exists, 3);
    noop(&mut session).await.unwrap();
    session.logout().await.unwrap();
    assert_eq!(proxy.connections(), 1);
}

#[tokio::test]
async fn blackhole_silences_open_and_new_connections_until_turned_off() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    let proxy = Proxy::start(server.tls_addr()).unwrap();
    let mut session = login_via(&server, &proxy).await.unwrap();
    noop(&mut session).await.unwrap();

    proxy.blackhole(true);
    assert!(proxy.is_blackholed());
    // No answer, and no end-of-stream either (which would fail the NOOP at once).
    let answer = timeout(Duration::from_secs(2), session.noop()).await;
    assert!(answer.is_err(), "NOOP through a blackhole got {answer:?}");
    assert!(silent_for(&mut session, Duration::from_millis(300)).await, "the socket ended or got data");

    // A new connection is accepted but not even the greeting arrives.
    let new = login_via(&server, &proxy).await;
    assert!(matches!(new, Err(Error::Timeout { .. })), "{new:?}");
    assert_eq!(proxy.connections(), 2);

    proxy.blackhole(false);
    let mut fresh = login_via(&server, &proxy).await.unwrap();
    noop(&mut fresh).await.unwrap();
    fresh.logout().await.unwrap();
    // The connection blackholed earlier stays dead (see `Proxy`).
    assert!(silent_for(&mut session, Duration::from_millis(500)).await, "a blackholed connection revived");
    assert_eq!(proxy.connections(), 3);
}

#[tokio::test]
async fn cut_ends_every_connection_and_new_ones_work() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    let proxy = Proxy::start(server.tls_addr()).unwrap();
    let mut first = login_via(&server, &proxy).await.unwrap();
    let mut second = login_via(&server, &proxy).await.unwrap();
    assert_eq!(proxy.open_connections(), 2);

    proxy.cut();
    assert!(noop(&mut first).await.is_err());
    assert!(noop(&mut second).await.is_err());
    assert_eq!(proxy.open_connections(), 0);

    let mut again = login_via(&server, &proxy).await.unwrap();
    noop(&mut again).await.unwrap();
    again.logout().await.unwrap();
    assert_eq!(proxy.connections(), 3);
}

#[tokio::test]
async fn a_cut_during_a_blackhole_closes_the_dead_connections_too() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    let proxy = Proxy::start(server.tls_addr()).unwrap();
    let mut session = login_via(&server, &proxy).await.unwrap();
    proxy.blackhole(true);
    assert!(timeout(Duration::from_millis(500), session.noop()).await.is_err());
    proxy.cut();
    let mut byte = [0u8; 1];
    let read = timeout(PROMPTLY, session.as_mut().tcp().peek(&mut byte)).await.expect("no end-of-stream");
    assert_eq!(read.unwrap(), 0, "end-of-stream expected");
}

#[test]
fn dropping_the_proxy_closes_its_port_and_connections() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    let proxy = Proxy::start(server.tls_addr()).unwrap();
    let addr = proxy.addr();
    let mut client = std::net::TcpStream::connect(addr).unwrap();
    proxy.blackhole(true);
    while proxy.open_connections() == 0 {
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(proxy);
    client.set_read_timeout(Some(PROMPTLY)).unwrap();
    let mut buf = [0u8; 4096];
    // Whatever arrived before the blackhole (the TLS port says nothing first), then the end.
    let n = std::io::Read::read(&mut client, &mut buf).unwrap();
    assert_eq!(n, 0);
    assert!(std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err());
}

#[tokio::test]
async fn pause_closes_sessions_and_resume_brings_back_ports_and_mail() {
    let mut server = Dovecot::start(DovecotOptions::default()).unwrap();
    server.seed(DEFAULT_USER, "INBOX", 4, 3).unwrap();
    let (port, fingerprint, dir) =
        (server.tls_port(), server.fingerprint().to_string(), server.dir().to_owned());
    let mut session = login_at(&server, DEFAULT_USER, port, short()).await.unwrap();
    assert_eq!(session.select("INBOX").await.unwrap().exists, 4);

    for round in 0..3 {
        server.pause().unwrap();
        assert!(server.is_paused());
        assert!(noop(&mut session).await.is_err(), "round {round}: the session survived a pause");
        let refused = login_at(&server, DEFAULT_USER, port, short()).await;
        assert!(matches!(refused, Err(Error::Unreachable { .. })), "round {round}: {refused:?}");
        server.pause().unwrap();

        server.resume().unwrap();
        assert!(!server.is_paused());
        assert_eq!((server.tls_port(), server.fingerprint()), (port, fingerprint.as_str()));
        session = login_at(&server, DEFAULT_USER, port, short()).await.unwrap();
        assert_eq!(session.select("INBOX").await.unwrap().exists, 4, "round {round}");
        server.resume().unwrap();
    }
    // STARTTLS listener too.
    crate::login(&server, Security::StartTls).await.unwrap().logout().await.unwrap();

    // A paused server still cleans up when dropped.
    server.pause().unwrap();
    drop(server);
    assert!(!dir.exists(), "{} left behind", dir.display());
    drop(session);
}

#[tokio::test]
async fn kick_ends_the_sessions_of_one_user() {
    let server = Dovecot::start(DovecotOptions::default().user("bob@tern.test", "bob's")).unwrap();
    let port = server.tls_port();
    let mut ann = login_at(&server, DEFAULT_USER, port, short()).await.unwrap();
    let mut ann_too = login_at(&server, DEFAULT_USER, port, short()).await.unwrap();
    let mut bob = login_at(&server, "bob@tern.test", port, short()).await.unwrap();
    ann.select("INBOX").await.unwrap();

    server.kick(DEFAULT_USER).unwrap();
    assert!(noop(&mut ann).await.is_err(), "a kicked session answered\n{}", server.log());
    assert!(noop(&mut ann_too).await.is_err(), "a kicked session answered");
    noop(&mut bob).await.unwrap();
    // Kicking a user without sessions is fine; the user can log in again.
    server.kick(DEFAULT_USER).unwrap();
    let mut again = login_at(&server, DEFAULT_USER, port, short()).await.unwrap();
    noop(&mut again).await.unwrap();
    bob.logout().await.unwrap();
}

#[tokio::test]
async fn idle_notify_sends_still_here_during_idle() {
    let server = Dovecot::start(DovecotOptions::default().idle_notify(1)).unwrap();
    let mut session = login_at(&server, DEFAULT_USER, server.tls_port(), short()).await.unwrap();
    session.select("INBOX").await.unwrap();
    // Raw IDLE on the session's stream (async-imap's IDLE handle skips the keepalives).
    let stream = session.as_mut();
    stream.write_all(b"i1 IDLE\r\n").await.unwrap();
    stream.flush().await.unwrap();
    let mut seen = String::new();
    let read_until_keepalive = async {
        let mut buf = [0u8; 1024];
        while !seen.contains("* OK Still here") {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "connection ended during IDLE: {seen:?}");
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    };
    timeout(PROMPTLY, read_until_keepalive).await.expect("no keepalive within 5 s");
    assert!(seen.starts_with("+ idling"), "{seen:?}");
    stream.write_all(b"DONE\r\n").await.unwrap();
}

async fn capabilities(options: DovecotOptions) -> (bool, bool, bool) {
    let server = Dovecot::start(options).unwrap();
    let mut session = login_at(&server, DEFAULT_USER, server.tls_port(), short()).await.unwrap();
    let caps = session.capabilities().await.unwrap();
    session.logout().await.unwrap();
    (caps.has_str("IDLE"), caps.has_str("CONDSTORE"), caps.has_str("QRESYNC"))
}

#[tokio::test]
async fn without_idle_hides_idle_alone() {
    assert_eq!(capabilities(DovecotOptions::default()).await, (true, true, true));
    assert_eq!(capabilities(DovecotOptions::default().without_idle()).await, (false, true, true));
    assert_eq!(
        capabilities(DovecotOptions::default().without_idle().condstore_only()).await,
        (false, true, false)
    );
    assert_eq!(
        capabilities(DovecotOptions::default().without_idle().without_qresync()).await,
        (false, false, false)
    );
    assert_eq!(capabilities(DovecotOptions::default().condstore_only()).await, (true, true, false));
}
