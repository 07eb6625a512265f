//! The raw floor: the least a client can do to receive a FETCH response, or to hear of new mail.
//!
//! TLS (rustls; implicit, or STARTTLS on a plain connection), then commands written by hand and
//! responses read as bytes until the tagged status line. Nothing is parsed beyond finding the
//! tag, so the time measured is what the server and the connection need. The fixture's server is
//! trusted by its certificate alone; any other server through the OS trust store (the same
//! platform verifier Tern uses, [`TlsContext`]), or a pinned SHA-256 fingerprint.
//!
//! For new mail, [`RawClient::idle`] starts IDLE on the selected mailbox and
//! [`RawClient::next_exists`] waits for the untagged `* N EXISTS` line, stamped with the moment
//! the read that completed it returned.

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::ClientConfig;
use rustls::pki_types::{CertificateDer, ServerName};
use tern_core::imap::tls::TlsContext;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

type Res<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Which certificates the raw client accepts.
#[derive(Debug, Clone)]
pub enum Trust {
    /// Only this certificate (DER): the fixture's own.
    Only(Vec<u8>),
    /// The OS trust store, or a certificate with this SHA-256 fingerprint.
    System {
        /// A fingerprint to accept besides the trusted roots (colon-separated hex).
        pinned: Option<String>,
    },
}

/// Where the raw client connects, and how.
#[derive(Debug, Clone)]
pub struct RawServer {
    /// Host name or address (also the name the certificate must carry).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Plain TCP upgraded with STARTTLS (otherwise TLS from the first byte).
    pub starttls: bool,
    /// Accepted certificates.
    pub trust: Trust,
}

/// One `* N EXISTS` heard during IDLE.
#[derive(Debug, Clone, Copy)]
pub struct Exists {
    /// The new message count.
    pub count: u64,
    /// When the read that completed its line returned.
    pub at: Instant,
    /// Bytes of every line read since the previous one, this one included (decrypted IMAP).
    pub bytes: u64,
}

/// A minimal IMAP client over TLS.
#[derive(Debug)]
pub struct RawClient {
    stream: TlsStream<TcpStream>,
    buf: Vec<u8>,
    next_tag: u32,
    /// Bytes read but not yet consumed by the line reader (IDLE).
    pending: Vec<u8>,
    /// When the last read returned.
    read_at: Instant,
    /// The tag of the running IDLE.
    idling: Option<String>,
}

fn client_config(trust: &Trust) -> Res<Arc<ClientConfig>> {
    match trust {
        Trust::Only(der) => {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let mut roots = rustls::RootCertStore::empty();
            roots.add(CertificateDer::from(der.clone()))?;
            let config = ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()?
                .with_root_certificates(roots)
                .with_no_client_auth();
            Ok(Arc::new(config))
        }
        Trust::System { pinned } => Ok(TlsContext::new()?.client_config(pinned.as_deref())?.0),
    }
}

/// Reads plain lines from `tcp` until one starts with `prefix`; returns it. Only for the short
/// exchange before STARTTLS, where the server sends nothing after the line looked for.
async fn plain_line(tcp: &mut TcpStream, prefix: &str) -> Res<String> {
    let mut text = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let mut start = 0;
        while let Some(end) = find(&text[start..], b"\r\n") {
            let line = String::from_utf8_lossy(&text[start..start + end]).into_owned();
            if line.starts_with(prefix) {
                return Ok(line);
            }
            start += end + 2;
        }
        text.drain(..start);
        let n = tcp.read(&mut buf).await?;
        if n == 0 {
            return Err("the server closed the connection before TLS".into());
        }
        text.extend_from_slice(&buf[..n]);
    }
}

impl RawClient {
    /// Connects to `server` (implicit TLS, or STARTTLS first) and reads the greeting.
    pub async fn connect_to(server: &RawServer) -> Res<Self> {
        let config = client_config(&server.trust)?;
        let mut tcp = TcpStream::connect((server.host.as_str(), server.port)).await?;
        tcp.set_nodelay(true)?;
        if server.starttls {
            let greeting = plain_line(&mut tcp, "* ").await?;
            if !greeting.starts_with("* OK") {
                return Err(format!("unexpected greeting {greeting:?}").into());
            }
            tcp.write_all(b"S0 STARTTLS\r\n").await?;
            let answer = plain_line(&mut tcp, "S0 ").await?;
            if !answer.starts_with("S0 OK") {
                return Err(format!("STARTTLS refused: {answer}").into());
            }
        }
        let name = ServerName::try_from(server.host.clone())?;
        let stream = TlsConnector::from(config).connect(name, tcp).await?;
        let mut client = Self {
            stream,
            buf: vec![0; 256 * 1024],
            next_tag: 1,
            pending: Vec::new(),
            read_at: Instant::now(),
            idling: None,
        };
        if !server.starttls {
            let (_, greeting) = client.read_until(b"* ", None).await?;
            if !greeting.starts_with("* OK") {
                return Err(format!("unexpected greeting {greeting:?}").into());
            }
        }
        Ok(client)
    }

    fn tag(&mut self) -> String {
        let tag = format!("R{:04}", self.next_tag);
        self.next_tag += 1;
        tag
    }

    /// Sends `command` with a fresh tag; returns (time to the tagged line, bytes read, that line).
    async fn command(&mut self, command: &str) -> Res<(Duration, u64, String)> {
        self.exchange(command, None).await
    }

    /// [`Self::command`], also appending every byte read to `kept` when given.
    async fn exchange(&mut self, command: &str, kept: Option<&mut Vec<u8>>) -> Res<(Duration, u64, String)> {
        let tag = self.tag();
        let started = Instant::now();
        self.stream.write_all(format!("{tag} {command}\r\n").as_bytes()).await?;
        self.stream.flush().await?;
        let needle = format!("{tag} ");
        let (bytes, line) = self.read_until(needle.as_bytes(), kept).await?;
        let elapsed = started.elapsed();
        if !line[needle.len()..].starts_with("OK") {
            return Err(format!("{command:.40}: {line}").into());
        }
        Ok((elapsed, bytes, line))
    }

    /// Reads until a line starting with `prefix` is complete; returns all bytes read and that
    /// line, and appends what it read to `kept` when given. Only line starts are examined (a
    /// rolling window across reads).
    async fn read_until(&mut self, prefix: &[u8], mut kept: Option<&mut Vec<u8>>) -> Res<(u64, String)> {
        // `\r\n` + prefix marks a line start; the stream is at a line start when this is called.
        let mut needle = b"\r\n".to_vec();
        needle.extend_from_slice(prefix);
        let mut window: Vec<u8> = b"\r\n".to_vec();
        let mut total = 0u64;
        let mut found: Option<usize> = None; // offset of the line in `window`
        loop {
            if let Some(start) = found
                && let Some(end) = find(&window[start..], b"\r\n")
            {
                let line = String::from_utf8_lossy(&window[start..start + end]).into_owned();
                return Ok((total, line));
            }
            let n = self.stream.read(&mut self.buf).await?;
            if n == 0 {
                return Err(
                    io::Error::new(io::ErrorKind::UnexpectedEof, "server closed the connection").into()
                );
            }
            total += n as u64;
            if let Some(kept) = kept.as_deref_mut() {
                kept.extend_from_slice(&self.buf[..n]);
            }
            window.extend_from_slice(&self.buf[..n]);
            if found.is_none() {
                match find(&window, &needle) {
                    Some(at) => found = Some(at + 2),
                    None => {
                        // Keep only a tail that could begin the needle.
                        let keep = needle.len().saturating_sub(1).min(window.len());
                        window.drain(..window.len() - keep);
                    }
                }
            }
        }
    }

    /// Sends `command` and returns everything the server answered, its tagged completion
    /// included, as it came off the connection (the bytes the engine's reader gets).
    pub async fn capture(&mut self, command: &str) -> Res<Vec<u8>> {
        let mut answer = Vec::new();
        self.exchange(command, Some(&mut answer)).await?;
        Ok(answer)
    }

    /// LOGIN.
    pub async fn login(&mut self, user: &str, password: &str) -> Res<()> {
        self.command(&format!("LOGIN {} {}", quote(user), quote(password))).await?;
        Ok(())
    }

    /// ENABLE QRESYNC: from now on the server tells this session what Tern's sessions hear
    /// (VANISHED, MODSEQ with every flag change), at the cost Tern's sessions pay.
    pub async fn enable_qresync(&mut self) -> Res<()> {
        self.command("ENABLE QRESYNC").await?;
        Ok(())
    }

    /// NOTIFY SET as Tern's IDLE connection asks it: the first of `requests` the server
    /// accepts; false when it refuses them all (or has no NOTIFY).
    pub async fn notify(&mut self, requests: &[&str]) -> Res<bool> {
        for request in requests {
            if self.command(request).await.is_ok() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// SELECT; returns EXISTS.
    pub async fn select(&mut self, mailbox: &str) -> Res<u64> {
        self.select_with(mailbox, "").await
    }

    /// SELECT with parameters (` (CONDSTORE)`, as Tern's IDLE connection does); returns EXISTS.
    pub async fn select_with(&mut self, mailbox: &str, parameters: &str) -> Res<u64> {
        let tag = self.tag();
        self.stream.write_all(format!("{tag} SELECT {}{parameters}\r\n", quote(mailbox)).as_bytes()).await?;
        self.stream.flush().await?;
        // SELECT's response is small: read it whole and look for "* N EXISTS".
        let mut text = b"\r\n".to_vec();
        let end = format!("\r\n{tag} ");
        loop {
            let n = self.stream.read(&mut self.buf).await?;
            if n == 0 {
                return Err("server closed the connection during SELECT".into());
            }
            text.extend_from_slice(&self.buf[..n]);
            let s = String::from_utf8_lossy(&text);
            if let Some(at) = s.find(&end)
                && s[at + 2..].contains("\r\n")
            {
                if !s[at + end.len()..].starts_with("OK") {
                    return Err(format!("SELECT {mailbox}: {s}").into());
                }
                return s
                    .lines()
                    .find_map(|l| l.strip_prefix("* ")?.strip_suffix(" EXISTS")?.parse().ok())
                    .ok_or_else(|| format!("no EXISTS in {s:?}").into());
            }
        }
    }

    /// `UID FETCH 1:* items`: time from sending to the tagged OK, and the bytes received.
    pub async fn uid_fetch_all(&mut self, items: &str) -> Res<(Duration, u64)> {
        let (elapsed, bytes, _) = self.command(&format!("UID FETCH 1:* {items}")).await?;
        Ok((elapsed, bytes))
    }

    /// Starts IDLE on the selected mailbox; returns once the server said so (`+ idling`).
    pub async fn idle(&mut self) -> Res<()> {
        let tag = self.tag();
        self.stream.write_all(format!("{tag} IDLE\r\n").as_bytes()).await?;
        self.stream.flush().await?;
        loop {
            let (line, _, _) = self.next_line().await?;
            if line.starts_with('+') {
                self.idling = Some(tag);
                return Ok(());
            }
            if line.starts_with(&format!("{tag} ")) {
                return Err(format!("IDLE refused: {line}").into());
            }
        }
    }

    /// During IDLE: waits for the next `* N EXISTS`. Cancel-safe (nothing read is lost).
    pub async fn next_exists(&mut self) -> Res<Exists> {
        let mut bytes = 0;
        loop {
            let (line, at, len) = self.next_line().await?;
            bytes += len;
            let count =
                line.strip_prefix("* ").and_then(|l| l.strip_suffix(" EXISTS")).and_then(|n| n.parse().ok());
            if let Some(count) = count {
                return Ok(Exists { count, at, bytes });
            }
            if line.starts_with("* BYE") {
                return Err(format!("the server ended the IDLE: {line}").into());
            }
        }
    }

    /// Ends the IDLE (`DONE`) and waits for its tagged answer.
    pub async fn done(&mut self) -> Res<()> {
        let Some(tag) = self.idling.take() else { return Ok(()) };
        self.stream.write_all(b"DONE\r\n").await?;
        self.stream.flush().await?;
        let needle = format!("{tag} ");
        loop {
            let (line, _, _) = self.next_line().await?;
            if line.starts_with(&needle) {
                self.pending.clear();
                return Ok(());
            }
        }
    }

    /// The next response line, when the read that completed it returned, and its length with
    /// the CRLF. Cancel-safe: bytes are kept in `pending` as soon as they are read.
    async fn next_line(&mut self) -> Res<(String, Instant, u64)> {
        loop {
            if let Some(end) = find(&self.pending, b"\r\n") {
                let line = String::from_utf8_lossy(&self.pending[..end]).into_owned();
                self.pending.drain(..end + 2);
                return Ok((line, self.read_at, end as u64 + 2));
            }
            let n = self.stream.read(&mut self.buf).await?;
            if n == 0 {
                return Err(
                    io::Error::new(io::ErrorKind::UnexpectedEof, "server closed the connection").into()
                );
            }
            self.read_at = Instant::now();
            self.pending.extend_from_slice(&self.buf[..n]);
        }
    }

    /// LOGOUT (after ending a running IDLE).
    pub async fn logout(mut self) -> Res<()> {
        let _ = self.done().await;
        let _ = self.command("LOGOUT").await;
        let _ = self.stream.shutdown().await;
        Ok(())
    }
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, _) = needle.split_first()?;
    let mut from = 0;
    while let Some(i) = haystack.get(from..)?.iter().position(|&b| b == first) {
        let at = from + i;
        if haystack.get(at..at + needle.len())? == needle {
            return Some(at);
        }
        from = at + 1;
    }
    None
}
