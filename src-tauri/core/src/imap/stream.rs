//! The byte stream under an IMAP connection: plain TCP (STARTTLS before upgrade, or loopback),
//! TLS, or either of them compressed with DEFLATE (RFC 4978). One concrete type so sessions have
//! one type whatever the security and compression settings.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use async_imap::DeflateStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// A TCP stream, encrypted or not.
#[derive(Debug)]
pub enum ImapStream {
    /// Unencrypted TCP: only before STARTTLS, or to a loopback host configured as plain.
    Plain(TcpStream),
    /// TLS over TCP.
    Tls(Box<TlsStream<TcpStream>>),
    /// Either of the above, compressed after `COMPRESS DEFLATE`.
    Deflate(Box<DeflateStream<ImapStream>>),
}

impl ImapStream {
    /// True when the stream is encrypted.
    pub fn is_tls(&self) -> bool {
        match self {
            ImapStream::Plain(_) => false,
            ImapStream::Tls(_) => true,
            ImapStream::Deflate(inner) => inner.get_ref().is_tls(),
        }
    }

    /// True when the stream is compressed.
    pub fn is_compressed(&self) -> bool {
        matches!(self, ImapStream::Deflate(_))
    }

    /// The TCP connection underneath.
    pub fn tcp(&self) -> &TcpStream {
        match self {
            ImapStream::Plain(s) => s,
            ImapStream::Tls(s) => s.get_ref().0,
            ImapStream::Deflate(inner) => inner.get_ref().tcp(),
        }
    }

    /// True when the server is on this machine (where compression only costs time).
    pub fn is_loopback(&self) -> bool {
        self.tcp().peer_addr().is_ok_and(|a| a.ip().is_loopback())
    }
}

impl AsyncRead for ImapStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ImapStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            ImapStream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            ImapStream::Deflate(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for ImapStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            ImapStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            ImapStream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            ImapStream::Deflate(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ImapStream::Plain(s) => Pin::new(s).poll_flush(cx),
            ImapStream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            ImapStream::Deflate(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ImapStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            ImapStream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            ImapStream::Deflate(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
