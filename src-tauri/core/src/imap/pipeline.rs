//! Pipelined commands whose answers are read off the session's stream through one buffer: the
//! FETCHes of a folder's first download.
//!
//! async-imap reads one response at a time into a fresh, zeroed 4 KiB block, and copies whatever
//! follows the response into another; a response cut by the end of a read is parsed again from
//! its start. For the 100,000 responses of a large mailbox's first download that copying was
//! about a tenth of Tern's CPU. [`Pipeline`] writes its commands with tags of its own (as
//! [`super::raw`] does, between async-imap's commands), reads the stream in large reads into one
//! buffer, and hands each response, as imap-proto (async-imap's own parser) parses it in place,
//! to the caller, which keeps what it needs.
//!
//! The session stays in step for async-imap: the pipeline starts between commands (a response
//! async-imap has already buffered stays there and is read by it later, unharmed), and
//! [`Pipeline::finish`] reads the answers still owed and any response the server had begun,
//! so the stream is left on a response boundary.

use std::collections::VecDeque;
use std::time::Duration;

use async_imap::imap_proto::{Response, Status};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::raw::next_tag;
use super::{ImapSession, ImapStream};
use crate::error::{Error, Result};

/// Bytes asked of the stream at a time.
const READ: usize = 256 * 1024;

/// Largest single response accepted, so a hostile server cannot exhaust memory.
const MAX_RESPONSE: usize = 64 * 1024 * 1024;

/// Commands sent ahead, and their answers read as they come; see the module documentation.
pub struct Pipeline<'s> {
    stream: &'s mut ImapStream,
    /// Read from the stream: `buf[start..end]` is not handed out yet.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Tags of the commands sent and not answered yet, oldest first.
    waiting: VecDeque<String>,
    /// Limit for each answer.
    limit: Duration,
}

impl std::fmt::Debug for Pipeline<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("buffered", &(self.end - self.start))
            .field("waiting", &self.waiting)
            .finish()
    }
}

impl<'s> Pipeline<'s> {
    /// A pipeline on `session`'s stream; each answer must come within `limit`.
    pub fn new(session: &'s mut ImapSession, limit: Duration) -> Self {
        Self { stream: session.get_mut(), buf: Vec::new(), start: 0, end: 0, waiting: VecDeque::new(), limit }
    }

    /// Sends `command` without waiting for its answer.
    pub async fn send(&mut self, command: &str) -> Result<()> {
        let tag = next_tag();
        let line = format!("{tag} {command}\r\n");
        let write = async {
            self.stream.write_all(line.as_bytes()).await?;
            self.stream.flush().await
        };
        match tokio::time::timeout(self.limit, write).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(lost(e)),
            Err(_) => return Err(Error::ConnectionLost("the server did not take a command in time".into())),
        }
        self.waiting.push_back(tag);
        Ok(())
    }

    /// Commands sent and not answered yet.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Reads the answer to the oldest command waiting, handing every untagged response to
    /// `each`. A NO or BAD is a [`Error::Protocol`] with the server's text.
    pub async fn answer(&mut self, mut each: impl FnMut(&Response<'_>)) -> Result<()> {
        let Some(tag) = self.waiting.pop_front() else {
            return Err(Error::Protocol("no command is waiting for an answer".into()));
        };
        let limit = self.limit;
        let read = async {
            loop {
                if let Some(outcome) = self.parse_buffered(&tag, &mut each)? {
                    return outcome;
                }
                self.fill().await?;
            }
        };
        match tokio::time::timeout(limit, read).await {
            Ok(result) => result,
            Err(_) => {
                Err(Error::ConnectionLost(format!("the server did not answer within {} s", limit.as_secs())))
            }
        }
    }

    /// Reads the answers still owed (handing their untagged responses to `each`, whatever they
    /// say) and the rest of any response the server had begun, so that async-imap reads the
    /// next response from its start. Complete responses read past the last answer go to `each`.
    pub async fn finish(mut self, mut each: impl FnMut(&Response<'_>)) -> Result<()> {
        while !self.waiting.is_empty() {
            match self.answer(&mut each).await {
                Ok(()) | Err(Error::Protocol(_)) => {}
                Err(error) => return Err(error),
            }
        }
        let limit = self.limit;
        let rest = async {
            loop {
                self.parse_buffered("", &mut each)?;
                if self.start == self.end {
                    return Ok(());
                }
                self.fill().await?;
            }
        };
        match tokio::time::timeout(limit, rest).await {
            Ok(result) => result,
            Err(_) => Err(Error::ConnectionLost("the server left a response unfinished".into())),
        }
    }

    /// Hands out the complete responses buffered, up to the completion tagged `tag`: its
    /// outcome once it is read, `None` while more is needed.
    fn parse_buffered(
        &mut self,
        tag: &str,
        each: &mut impl FnMut(&Response<'_>),
    ) -> Result<Option<Result<()>>> {
        while self.start < self.end {
            let data = &self.buf[self.start..self.end];
            let (rest, response) = match Response::parse(data) {
                Ok(parsed) => parsed,
                Err(e) if e.is_incomplete() => return Ok(None),
                Err(_) => {
                    let line = data.split(|&b| b == b'\n').next().unwrap_or_default();
                    let line = String::from_utf8_lossy(&line[..line.len().min(200)]).into_owned();
                    return Err(Error::Protocol(format!(
                        "the server sent a response Tern cannot read: {line}"
                    )));
                }
            };
            let used = data.len() - rest.len();
            let outcome = match &response {
                Response::Done { tag: done, status, outcome } if !tag.is_empty() && done.0 == tag => {
                    let text = outcome.information.as_deref().unwrap_or_default();
                    Some(match status {
                        Status::Ok => Ok(()),
                        _ => Err(Error::Protocol(format!("the server refused a FETCH: {text}"))),
                    })
                }
                Response::Done { .. } => {
                    let line = String::from_utf8_lossy(&data[..used.min(200)]).trim_end().to_string();
                    return Err(Error::Protocol(format!("an answer to an unknown command: {line}")));
                }
                other => {
                    each(other);
                    None
                }
            };
            self.start += used;
            if outcome.is_some() {
                return Ok(outcome);
            }
        }
        Ok(None)
    }

    /// Reads more of the stream, making room first.
    async fn fill(&mut self) -> Result<()> {
        if self.start == self.end {
            (self.start, self.end) = (0, 0);
        } else if self.start > 0 && self.buf.len() - self.end < READ / 2 {
            self.buf.copy_within(self.start..self.end, 0);
            (self.start, self.end) = (0, self.end - self.start);
        }
        if self.buf.len() - self.end < READ / 2 {
            if self.end - self.start > MAX_RESPONSE {
                return Err(Error::Protocol("a response was too long".into()));
            }
            self.buf.resize(self.end + READ, 0);
        }
        let read = self.stream.read(&mut self.buf[self.end..]).await.map_err(lost)?;
        if read == 0 {
            return Err(Error::ConnectionLost("the server closed the connection".into()));
        }
        self.end += read;
        Ok(())
    }
}

fn lost(e: std::io::Error) -> Error {
    Error::ConnectionLost(format!("the connection failed: {e}"))
}
