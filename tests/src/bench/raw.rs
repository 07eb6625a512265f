//! The raw floor: the least a client can do to receive a FETCH response.
//!
//! Implicit TLS (rustls, trusting only the fixture's certificate), then commands written by hand
//! and responses read as bytes until the tagged status line. Nothing is parsed beyond finding
//! the tag, so the time measured is what the server and the connection need.

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

type Res<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// A minimal IMAP client over implicit TLS.
#[derive(Debug)]
pub struct RawClient {
    stream: TlsStream<TcpStream>,
    buf: Vec<u8>,
    next_tag: u32,
}

impl RawClient {
    /// Connects to `host:port`, trusting only `cert_der`, and reads the greeting.
    pub async fn connect(host: String, port: u16, cert_der: Vec<u8>) -> Res<Self> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots.add(CertificateDer::from(cert_der))?;
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let tcp = TcpStream::connect((host.as_str(), port)).await?;
        tcp.set_nodelay(true)?;
        let name = ServerName::try_from(host)?;
        let stream = TlsConnector::from(Arc::new(config)).connect(name, tcp).await?;
        let mut client = Self { stream, buf: vec![0; 256 * 1024], next_tag: 1 };
        let (_, greeting) = client.read_until(b"* ").await?;
        if !greeting.starts_with("* OK") {
            return Err(format!("unexpected greeting {greeting:?}").into());
        }
        Ok(client)
    }

    /// Sends `command` with a fresh tag; returns (time to the tagged line, bytes read, that line).
    async fn command(&mut self, command: &str) -> Res<(Duration, u64, String)> {
        let tag = format!("R{:04}", self.next_tag);
        self.next_tag += 1;
        let started = Instant::now();
        self.stream.write_all(format!("{tag} {command}\r\n").as_bytes()).await?;
        self.stream.flush().await?;
        let needle = format!("{tag} ");
        let (bytes, line) = self.read_until(needle.as_bytes()).await?;
        let elapsed = started.elapsed();
        if !line[needle.len()..].starts_with("OK") {
            return Err(format!("{command:.40}: {line}").into());
        }
        Ok((elapsed, bytes, line))
    }

    /// Reads until a line starting with `prefix` is complete; returns all bytes read and that
    /// line. Only line starts are examined (a rolling window across reads).
    async fn read_until(&mut self, prefix: &[u8]) -> Res<(u64, String)> {
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

    /// LOGIN.
    pub async fn login(&mut self, user: &str, password: &str) -> Res<()> {
        self.command(&format!("LOGIN {} {}", quote(user), quote(password))).await?;
        Ok(())
    }

    /// SELECT; returns EXISTS.
    pub async fn select(&mut self, mailbox: &str) -> Res<u64> {
        let tag = format!("R{:04}", self.next_tag);
        self.next_tag += 1;
        self.stream.write_all(format!("{tag} SELECT {}\r\n", quote(mailbox)).as_bytes()).await?;
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

    /// LOGOUT.
    pub async fn logout(mut self) -> Res<()> {
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
