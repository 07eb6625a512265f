//! Opening a secure, logged-in IMAP session.
//!
//! The order is fixed: TCP connect, then TLS (immediately for [`Security::Tls`]; after the
//! greeting and a successful `STARTTLS` for [`Security::StartTls`]), then LOGIN. Nothing is sent
//! in the clear except the `STARTTLS` command itself, and a server that does not accept STARTTLS
//! is refused rather than used unencrypted. [`Security::Plain`] is only allowed to loopback hosts
//! ([`ImapServer::validate`]).

use std::fmt;
use std::future::Future;
use std::time::Duration;

use async_imap::imap_proto::{Outcome, Response, ResponseCode};
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::auth::{self, Credentials};
use super::stream::ImapStream;
use super::tls::TlsContext;
use super::{ImapSession, Timeouts};
use crate::account::{ImapServer, Security};
use crate::error::{Error, Result};

/// A password held in memory. Its `Debug` never shows it, so it cannot leak into a log.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Wraps a password.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The password itself, for the LOGIN command and the keychain only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(••••)")
    }
}

/// Runs `fut` under `limit`, turning expiry into [`Error::Timeout`].
async fn timed<T>(
    host: &str,
    limit: Duration,
    during: &'static str,
    fut: impl Future<Output = Result<T>>,
) -> Result<T> {
    match tokio::time::timeout(limit, fut).await {
        Ok(result) => result,
        Err(_) => Err(Error::Timeout { host: host.to_string(), seconds: limit.as_secs(), during }),
    }
}

/// Connects to `server`, secures the connection and logs in.
pub async fn connect_and_login(
    tls: &TlsContext,
    server: &ImapServer,
    password: &Password,
    timeouts: Timeouts,
) -> Result<ImapSession> {
    login_with_capabilities(tls, server, password, timeouts).await.map(|(session, _)| session)
}

/// [`connect_and_login`], with the server's capabilities after login when its answer to the
/// login named them (upper-case names, see [`auth::capability_name`]): the session's setup then
/// need not ask for them. The capabilities before login come with the greeting when the server
/// sends them there, and are asked for otherwise (and always after STARTTLS, RFC 3501 6.2.1).
pub async fn login_with_capabilities(
    tls: &TlsContext,
    server: &ImapServer,
    password: &Password,
    timeouts: Timeouts,
) -> Result<(ImapSession, Option<Vec<String>>)> {
    server.validate()?;
    let host = server.host.as_str();
    let (mut client, greeted) =
        timed(host, timeouts.connect, "connecting", open(tls, server, timeouts)).await?;
    let credentials = Credentials::Password { username: server.username.clone(), password: password.clone() };
    let login = async {
        let caps = match greeted {
            Some(caps) => caps,
            None => auth::capabilities(&mut client).await?,
        };
        let mechanism = auth::choose(&caps, &credentials)?;
        auth::authenticate(client, &credentials, mechanism)
            .await
            .map_err(|e| login_error(&server.username, e))
    };
    timed(host, timeouts.command, "logging in", login).await
}

/// TCP + TLS/STARTTLS + greeting: a client ready for LOGIN, and the capabilities its greeting
/// named on the secured connection.
async fn open(
    tls: &TlsContext,
    server: &ImapServer,
    timeouts: Timeouts,
) -> Result<(async_imap::Client<ImapStream>, Option<Vec<String>>)> {
    let host = server.host.as_str();
    let tcp = TcpStream::connect((host, server.port)).await.map_err(|e| Error::Unreachable {
        host: host.to_string(),
        port: server.port,
        reason: e.to_string(),
    })?;
    tcp.set_nodelay(true).map_err(|e| Error::Protocol(e.to_string()))?;
    // Keepalive probes find a connection that died silently (sleep, Wi-Fi change) even while
    // Tern waits on it; the per-command timeouts cover the rest.
    let keepalive = socket2::TcpKeepalive::new()
        .with_time(Duration::from_secs(60))
        .with_interval(Duration::from_secs(15));
    if let Err(e) = socket2::SockRef::from(&tcp).set_tcp_keepalive(&keepalive) {
        tracing::debug!(error = %e, "TCP keepalive not available");
    }

    match server.security {
        Security::Tls => {
            let stream = handshake(tls, server, tcp).await?;
            let mut client = async_imap::Client::new(stream);
            let caps = read_greeting(&mut client, host, timeouts).await?;
            Ok((client, caps))
        }
        Security::StartTls => {
            let mut client = async_imap::Client::new(ImapStream::Plain(tcp));
            read_greeting(&mut client, host, timeouts).await?;
            let starttls = client.run_command_and_check_ok("STARTTLS", None);
            match tokio::time::timeout(timeouts.command, starttls).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    return Err(Error::InsecureConnection(format!(
                        "{host} did not accept STARTTLS ({e}); Tern will not log in without encryption. \
                         Try TLS on port 993"
                    )));
                }
                Err(_) => {
                    return Err(Error::Timeout {
                        host: host.to_string(),
                        seconds: timeouts.command.as_secs(),
                        during: "starting TLS",
                    });
                }
            }
            let ImapStream::Plain(tcp) = client.into_inner() else {
                return Err(Error::Protocol("connection was already encrypted before STARTTLS".into()));
            };
            let stream = handshake(tls, server, tcp).await?;
            // RFC 3501 6.2.1: no greeting after STARTTLS; capabilities must be asked again.
            Ok((async_imap::Client::new(stream), None))
        }
        Security::Plain => {
            let mut client = async_imap::Client::new(ImapStream::Plain(tcp));
            let caps = read_greeting(&mut client, host, timeouts).await?;
            Ok((client, caps))
        }
    }
}

async fn handshake(tls: &TlsContext, server: &ImapServer, tcp: TcpStream) -> Result<ImapStream> {
    let host = server.host.as_str();
    let name = ServerName::try_from(host.to_string())
        .map_err(|_| Error::InvalidSettings(format!("\"{host}\" is not a valid server name")))?;
    let (config, refusal) = tls.client_config(server.pinned_cert_sha256.as_deref())?;
    match TlsConnector::from(config).connect(name, tcp).await {
        Ok(stream) => Ok(ImapStream::Tls(Box::new(stream))),
        Err(e) => {
            let refused = refusal.lock().ok().and_then(|mut slot| slot.take());
            Err(match refused {
                Some(r) => Error::UntrustedCertificate {
                    host: host.to_string(),
                    fingerprint: r.fingerprint,
                    reason: r.reason,
                    subject: r.subject,
                    validity: r.validity,
                },
                None => Error::Tls { host: host.to_string(), reason: e.to_string() },
            })
        }
    }
}

/// Reads the server's greeting; returns the capabilities it named (`* OK [CAPABILITY ...]`).
async fn read_greeting(
    client: &mut async_imap::Client<ImapStream>,
    host: &str,
    timeouts: Timeouts,
) -> Result<Option<Vec<String>>> {
    match tokio::time::timeout(timeouts.command, client.read_response()).await {
        Ok(Ok(Some(greeting))) => Ok(match greeting.parsed() {
            Response::Data {
                outcome: Outcome { code: Some(ResponseCode::Capabilities(caps)), .. }, ..
            } => Some(auth::capability_names(caps)),
            _ => None,
        }),
        Ok(Ok(None)) => Err(Error::Protocol(format!("{host} closed the connection before greeting"))),
        Ok(Err(e)) => Err(Error::Protocol(format!("reading the greeting of {host}: {e}"))),
        Err(_) => Err(Error::Timeout {
            host: host.to_string(),
            seconds: timeouts.command.as_secs(),
            during: "waiting for the server greeting",
        }),
    }
}

/// Extracts the human text of a NO/BAD response as async-imap formats it.
fn server_words(raw: &str) -> String {
    match raw.split_once("info: Some(\"") {
        Some((_, rest)) => rest.trim_end_matches("\")").to_string(),
        None => raw.to_string(),
    }
}

/// Maps a failed LOGIN to what the user can do about it.
fn login_error(username: &str, e: async_imap::error::Error) -> Error {
    use async_imap::error::Error as E;
    match e {
        E::No(raw) | E::Bad(raw) => classify_login_refusal(username, &raw),
        E::ConnectionLost => Error::Protocol("the server closed the connection during login".into()),
        E::Io(io) => Error::Protocol(format!("connection failed during login: {io}")),
        other => Error::Protocol(other.to_string()),
    }
}

/// A refused login is either wrong credentials or a provider policy (app password, disabled).
fn classify_login_refusal(username: &str, raw: &str) -> Error {
    let words = server_words(raw);
    let lower = raw.to_ascii_lowercase();
    if lower.contains("privacyrequired") {
        return Error::InsecureConnection(format!(
            "the server refused to log in without encryption ({words}); choose TLS or STARTTLS"
        ));
    }
    let policy = [
        "application-specific",
        "app password",
        "web login",
        "webalert",
        "disabled",
        "contactadmin",
        "privacyrequired",
    ];
    if policy.iter().any(|p| lower.contains(p)) {
        Error::AuthPolicy { server_says: words }
    } else {
        Error::AuthFailed { account: username.to_string(), server_says: words }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_never_debug_printed() {
        let p = Password::new("hunter2");
        assert!(!format!("{p:?}").contains("hunter2"));
        assert_eq!(p.expose(), "hunter2");
    }

    #[test]
    fn login_refusals_are_classified() {
        let table = [
            (r#"code: Some(AuthenticationFailed), info: Some("Authentication failed.")"#, "auth"),
            (r#"code: None, info: Some("[ALERT] Application-specific password required")"#, "policy"),
            (r#"code: Some(Unknown("WEBALERT")), info: Some("Web login required")"#, "policy"),
            (r#"code: Some(Unknown("CONTACTADMIN")), info: Some("Account disabled")"#, "policy"),
            ("garbage", "auth"),
            (
                r#"code: Some(Unknown("PRIVACYREQUIRED")), info: Some("Plaintext authentication disallowed")"#,
                "insecure",
            ),
        ];
        for (raw, expected) in table {
            let kind = match classify_login_refusal("me", raw) {
                Error::AuthFailed { .. } => "auth",
                Error::AuthPolicy { .. } => "policy",
                Error::InsecureConnection(_) => "insecure",
                other => panic!("unexpected {other:?}"),
            };
            assert_eq!(kind, expected, "{raw}");
        }
        match classify_login_refusal("me", table[0].0) {
            Error::AuthFailed { server_says, .. } => assert_eq!(server_says, "Authentication failed."),
            other => panic!("unexpected {other:?}"),
        }
    }
}
