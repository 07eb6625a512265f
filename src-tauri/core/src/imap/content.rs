//! Downloading what a message shows: the parts [`super::parts::layout`] picks, and nothing else.
//!
//! Two round trips at most: `UID FETCH uid (BODYSTRUCTURE BODY.PEEK[HEADER])`, then one FETCH of
//! every shown part with its MIME header (`BODY.PEEK[s.MIME] BODY.PEEK[s]`). One for a small
//! message: `BODYSTRUCTURE BODY.PEEK[]`, its shown parts read out of it ([`WHOLE_MESSAGE_MAX`]). Each part is
//! decoded by mail-parser from its own MIME header and bytes (transfer encoding and charset, in
//! every charset it knows), so a broken part costs that part, not the message. `BODY.PEEK` never
//! sets `\Seen`: marking a message read is a separate, explicit flag change.

use std::path::Path;

use async_imap::imap_proto::{AttributeValue, BodyStructure, MessageSection, Response, SectionPath};
use async_imap::types::{Fetch, Flag};
use futures::TryStreamExt;
use mail_parser::{MessageParser, MimeHeaders, PartType};
use serde::{Deserialize, Serialize};

use super::ImapSession;
use tokio::io::AsyncWriteExt;

use super::parts::{Part, layout, layout_within, part_at, structure_at};
use crate::error::{Error, Result};

/// Inline images larger than this are not downloaded with the message (the reader shows a
/// placeholder; saving the part still works).
pub const MAX_INLINE_IMAGE: u32 = 5 * 1024 * 1024;

/// A shown part, decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Shown {
    /// An HTML part, unsanitized (the renderer sanitizes it).
    Html(String),
    /// A plain-text part.
    Text(String),
}

/// An inline image, decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InlineImage {
    /// Its Content-ID (without angle brackets).
    pub content_id: String,
    /// Its IMAP section.
    pub section: String,
    /// Its media type.
    pub mime: String,
    /// The image bytes.
    pub bytes: Vec<u8>,
}

/// What the reader shows of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageContent {
    /// The text parts, in order.
    pub shown: Vec<Shown>,
    /// Images the HTML refers to by Content-ID.
    pub inline: Vec<InlineImage>,
    /// Attachments (not downloaded).
    pub attachments: Vec<Part>,
    /// Parts that could not be decoded, described for the user.
    pub problems: Vec<String>,
}

/// Characters of text kept as a message's snippet in the list.
pub const SNIPPET_CHARS: usize = 200;

impl MessageContent {
    /// The first words a person reads, for the message list: from the first shown part that
    /// has any text.
    pub fn snippet(&self) -> String {
        self.shown
            .iter()
            .map(|shown| match shown {
                Shown::Html(html) => crate::render::snippet_from_html(html, SNIPPET_CHARS),
                Shown::Text(text) => crate::render::snippet_from_text(text, SNIPPET_CHARS),
            })
            .find(|s| !s.is_empty())
            .unwrap_or_default()
    }
}

fn fetch_error(e: async_imap::error::Error) -> Error {
    match e {
        async_imap::error::Error::ConnectionLost => {
            Error::ConnectionLost("the server closed the connection while downloading a message".into())
        }
        async_imap::error::Error::Io(io) => {
            Error::ConnectionLost(format!("downloading a message failed: {io}"))
        }
        other => Error::Protocol(format!("downloading a message: {other}")),
    }
}

async fn uid_fetch(
    session: &mut ImapSession,
    uid: u32,
    items: &str,
    limit: std::time::Duration,
) -> Result<Vec<Fetch>> {
    let run = async { session.uid_fetch(uid.to_string(), items).await?.try_collect::<Vec<_>>().await };
    match tokio::time::timeout(limit, run).await {
        Ok(result) => result.map_err(fetch_error),
        Err(_) => Err(Error::ConnectionLost(format!(
            "the server did not send the message within {} s",
            limit.as_secs()
        ))),
    }
}

fn section_path(section: &str, mime: bool) -> Option<SectionPath> {
    let numbers: Option<Vec<u32>> = section.split('.').map(|n| n.parse().ok()).collect();
    Some(SectionPath::Part(numbers?, mime.then_some(MessageSection::Mime)))
}

/// Messages up to this size ([`Envelope::size`](crate::store::Envelope::size)) open with one
/// FETCH of the whole message and its structure, whose shown parts are then read out of it
/// ([`super::sections`]); larger ones with the structure first and only the shown parts after
/// it. Over a 50 ms round trip the second FETCH costs what about 300 KB more costs at 50 Mbit/s,
/// so a message this small is cheaper whole, whatever attachments it carries.
pub const WHOLE_MESSAGE_MAX: u32 = 128 * 1024;

/// Downloads and decodes what the reader shows of message `uid` in the selected folder, whose
/// size the cache holds when `size` is given (a small one comes whole, in one round trip:
/// [`WHOLE_MESSAGE_MAX`]). `Ok(None)` when the message is no longer there.
pub async fn fetch_content(
    session: &mut ImapSession,
    uid: u32,
    size: Option<u32>,
    limit: std::time::Duration,
) -> Result<Option<MessageContent>> {
    let whole = size.is_some_and(|size| size <= WHOLE_MESSAGE_MAX);
    fetch_shown(session, uid, None, whole, limit).await
}

/// Like [`fetch_content`], for the message attached at `within` (a `message/rfc822` part) when
/// given: only the parts it shows travel, addressed by their IMAP sections inside the outer
/// message. `Ok(None)` when the message, or an attached message at `within`, is not there.
pub async fn fetch_content_at(
    session: &mut ImapSession,
    uid: u32,
    within: Option<&str>,
    limit: std::time::Duration,
) -> Result<Option<MessageContent>> {
    fetch_shown(session, uid, within, false, limit).await
}

/// Where the shown parts' bytes come from: the whole message fetched with its structure (each
/// shown part found in it once, by section), or the server's answer to a FETCH of the parts.
enum Source<'f> {
    Whole(std::collections::HashMap<&'f str, super::sections::Section<'f>>),
    Fetched(&'f Fetch),
}

impl Source<'_> {
    /// The body of `section`, or its MIME header.
    fn get(&self, section: &str, mime: bool) -> Option<&[u8]> {
        match self {
            Source::Whole(found) => {
                found.get(section).map(|found| if mime { found.header } else { found.body })
            }
            Source::Fetched(fetch) => section_path(section, mime).and_then(|path| fetch.section(&path)),
        }
    }
}

/// The items of the first FETCH of a message's content: its structure, and its header (of the
/// message attached at `within` when given) or, `whole`, the whole message.
pub fn first_items(within: Option<&str>, whole: bool) -> String {
    let header_item = match within {
        Some(section) => format!("BODY.PEEK[{section}.HEADER]"),
        None if whole => "BODY.PEEK[]".to_string(),
        None => "BODY.PEEK[HEADER]".to_string(),
    };
    format!("(UID BODYSTRUCTURE {header_item})")
}

/// A FETCH response's data items, as async-imap reads them or as parsed from a response line
/// Tern read itself ([`ParsedFetch`]).
pub trait FetchData {
    /// BODYSTRUCTURE.
    fn bodystructure(&self) -> Option<&BodyStructure<'_>>;
    /// `BODY[]`.
    fn body(&self) -> Option<&[u8]>;
    /// `BODY[HEADER]`.
    fn header(&self) -> Option<&[u8]>;
    /// `BODY[section]`.
    fn section(&self, path: &SectionPath) -> Option<&[u8]>;
}

impl FetchData for Fetch {
    fn bodystructure(&self) -> Option<&BodyStructure<'_>> {
        Fetch::bodystructure(self)
    }
    fn body(&self) -> Option<&[u8]> {
        Fetch::body(self)
    }
    fn header(&self) -> Option<&[u8]> {
        Fetch::header(self)
    }
    fn section(&self, path: &SectionPath) -> Option<&[u8]> {
        Fetch::section(self, path)
    }
}

/// The data items of one `* n FETCH (...)` response line, parsed by imap-proto.
#[derive(Debug)]
pub struct ParsedFetch {
    /// The message's UID, if the response names it.
    pub uid: Option<u32>,
    items: Vec<AttributeValue<'static>>,
}

impl ParsedFetch {
    /// Parses an untagged response as [`super::raw`] returns it (after `* `, literals in place);
    /// `None` when it is not a FETCH response.
    pub fn parse(untagged: &[u8]) -> Option<Self> {
        super::raw::with_untagged(untagged, |response| match response {
            Response::Fetch(_, items) => Some(Self::of(items)),
            _ => None,
        })
        .flatten()
    }

    /// The data items of a FETCH response imap-proto parsed.
    pub fn of(items: Vec<AttributeValue<'_>>) -> Self {
        let items: Vec<AttributeValue<'static>> = items.into_iter().map(AttributeValue::into_owned).collect();
        let uid = items.iter().find_map(|item| match item {
            AttributeValue::Uid(uid) => Some(*uid),
            _ => None,
        });
        Self { uid, items }
    }

    /// The message's flags and keywords (none when the response has no FLAGS).
    pub fn flag_state(&self) -> crate::store::FlagState {
        let names = self.items.iter().find_map(|item| match item {
            AttributeValue::Flags(names) => Some(names.as_slice()),
            _ => None,
        });
        super::envelope::flags_of(names.unwrap_or_default().iter().map(|name| Flag::from(name.as_ref())))
    }

    /// The message's MODSEQ (RFC 7162).
    pub fn modseq(&self) -> Option<u64> {
        self.items.iter().find_map(|item| match item {
            AttributeValue::ModSeq(modseq) => Some(*modseq),
            _ => None,
        })
    }

    fn find(&self, wanted: impl Fn(&Option<SectionPath>) -> bool) -> Option<&[u8]> {
        self.items.iter().find_map(|item| match item {
            AttributeValue::BodySection { section, data: Some(data), .. } if wanted(section) => {
                Some(data.as_ref())
            }
            _ => None,
        })
    }
}

impl FetchData for ParsedFetch {
    fn bodystructure(&self) -> Option<&BodyStructure<'_>> {
        self.items.iter().find_map(|item| match item {
            AttributeValue::BodyStructure(structure) => Some(structure),
            _ => None,
        })
    }
    fn body(&self) -> Option<&[u8]> {
        self.find(Option::is_none)
    }
    fn header(&self) -> Option<&[u8]> {
        self.find(|section| matches!(section, Some(SectionPath::Full(MessageSection::Header))))
    }
    fn section(&self, path: &SectionPath) -> Option<&[u8]> {
        self.find(|section| section.as_ref() == Some(path))
    }
}

async fn fetch_shown(
    session: &mut ImapSession,
    uid: u32,
    within: Option<&str>,
    whole: bool,
    limit: std::time::Duration,
) -> Result<Option<MessageContent>> {
    let first = uid_fetch(session, uid, &first_items(within, whole), limit).await?;
    let Some(fetch) = first.iter().find(|f| f.uid == Some(uid)) else { return Ok(None) };
    content_from(session, uid, fetch, within, whole, limit).await
}

/// What the reader shows of message `uid`, from the answer to the FETCH of
/// [`first_items`]`(within, whole)`: read out of the whole message when it came and serves
/// ([`super::sections`]), else with one more FETCH of the shown parts.
pub async fn content_from(
    session: &mut ImapSession,
    uid: u32,
    fetch: &impl FetchData,
    within: Option<&str>,
    whole: bool,
    limit: std::time::Duration,
) -> Result<Option<MessageContent>> {
    let Some(structure) = fetch.bodystructure() else {
        return Err(Error::Protocol("the server sent no structure for the message".into()));
    };
    let message = if whole { fetch.body() } else { None };
    let (plan, top_header, single) = match within {
        None => {
            let plan = layout(structure);
            // A message that is not multipart has one part, `1`, whose MIME header is the
            // message's.
            let single = !matches!(structure, BodyStructure::Multipart { .. });
            let header = match message {
                Some(message) => super::sections::split_entity(message).0,
                None => fetch.header().unwrap_or_default(),
            };
            (plan, header.to_vec(), single)
        }
        Some(section) => {
            let Some(plan) = layout_within(structure, section) else { return Ok(None) };
            let single = !matches!(
                structure_at(structure, section),
                Some(BodyStructure::Message { body, .. }) if matches!(body.as_ref(), BodyStructure::Multipart { .. })
            );
            let header =
                section_of_header(section).and_then(|path| fetch.section(&path)).unwrap_or_default().to_vec();
            (plan, header, single)
        }
    };
    let single_body = single && plan.body.len() + plan.inline.len() + plan.attachments.len() == 1;

    let wanted: Vec<&Part> =
        plan.body.iter().chain(plan.inline.iter().filter(|p| p.size <= MAX_INLINE_IMAGE)).collect();
    let mut content = MessageContent {
        shown: Vec::new(),
        inline: Vec::new(),
        attachments: plan.attachments.clone(),
        problems: Vec::new(),
    };
    if wanted.is_empty() {
        return Ok(Some(content));
    }
    // The whole message serves when every shown part is found in it as the server has it.
    let read_out = message.and_then(|message| {
        let found = wanted.iter().map(|p| {
            super::sections::locate(message, structure, &p.section).map(|found| (p.section.as_str(), found))
        });
        found.collect::<Option<_>>().map(Source::Whole)
    });
    let second;
    let source = match read_out {
        Some(source) => source,
        None => {
            let mut items = vec!["UID".to_string()];
            for p in &wanted {
                if !single_body {
                    items.push(format!("BODY.PEEK[{}.MIME]", p.section));
                }
                items.push(format!("BODY.PEEK[{}]", p.section));
            }
            second = uid_fetch(session, uid, &format!("({})", items.join(" ")), limit).await?;
            let Some(parts) = second.iter().find(|f| f.uid == Some(uid)) else { return Ok(None) };
            Source::Fetched(parts)
        }
    };

    for p in plan.body.iter() {
        let Some(bytes) = source.get(&p.section, false) else {
            content.problems.push(format!("part {} ({}) was not sent by the server", p.section, p.mime));
            continue;
        };
        let header = if single_body {
            top_header.as_slice()
        } else {
            source.get(&p.section, true).unwrap_or_default()
        };
        match decode_text(header, bytes, p) {
            Some(shown) => content.shown.push(shown),
            None => content.problems.push(format!("part {} ({}) could not be decoded", p.section, p.mime)),
        }
    }
    for p in plan.inline.iter().filter(|p| p.size <= MAX_INLINE_IMAGE) {
        let (Some(bytes), Some(header)) = (source.get(&p.section, false), source.get(&p.section, true))
        else {
            continue;
        };
        if let (Some(bytes), Some(cid)) = (decode_binary(header, bytes), p.content_id.clone()) {
            content.inline.push(InlineImage {
                content_id: cid,
                section: p.section.clone(),
                mime: p.mime.clone(),
                bytes,
            });
        }
    }
    Ok(Some(content))
}

/// The path of `section.HEADER`.
fn section_of_header(section: &str) -> Option<SectionPath> {
    let numbers: Option<Vec<u32>> = section.split('.').map(|n| n.parse().ok()).collect();
    Some(SectionPath::Part(numbers?, Some(MessageSection::Header)))
}

/// Bytes of an attachment downloaded per FETCH while saving it: large attachments travel in
/// pieces of this size and go to disk as they arrive.
pub const SAVE_CHUNK: u32 = 2 * 1024 * 1024;

/// The part at `section` of message `uid` in the selected folder, described from the
/// message's structure. `Ok(None)` when the message or the part is not there.
pub async fn part_info(
    session: &mut ImapSession,
    uid: u32,
    section: &str,
    limit: std::time::Duration,
) -> Result<Option<Part>> {
    let first = uid_fetch(session, uid, "(UID BODYSTRUCTURE)", limit).await?;
    let Some(fetch) = first.iter().find(|f| f.uid == Some(uid)) else { return Ok(None) };
    Ok(fetch.bodystructure().and_then(|structure| part_at(structure, section)))
}

/// Downloads part `section` of message `uid` in the selected folder into `dest`, decoding its
/// transfer encoding on the way, in [`SAVE_CHUNK`] pieces so a large attachment never sits
/// in memory whole. The file appears under its name only once complete (a failed download
/// leaves nothing behind). Returns the decoded size; `Ok(None)` when the message or the part
/// is gone.
pub async fn save_part(
    session: &mut ImapSession,
    uid: u32,
    section: &str,
    dest: &Path,
    limit: std::time::Duration,
) -> Result<Option<u64>> {
    let Some(part) = part_info(session, uid, section, limit).await? else { return Ok(None) };
    let partial = partial_path(dest);
    let storage = |source: std::io::Error| Error::Storage { path: dest.to_path_buf(), source };
    let mut file = tokio::fs::File::create(&partial).await.map_err(storage)?;
    let result = async {
        let mut decoder = StreamDecoder::new(&part.encoding);
        let mut offset: u32 = 0;
        let mut written: u64 = 0;
        loop {
            let item = format!("(UID BODY.PEEK[{section}]<{offset}.{SAVE_CHUNK}>)");
            let fetched = uid_fetch(session, uid, &item, limit).await?;
            let Some(fetch) = fetched.iter().find(|f| f.uid == Some(uid)) else { return Ok(None) };
            let chunk =
                section_path(section, false).and_then(|path| fetch.section(&path)).unwrap_or_default();
            let decoded = decoder.push(chunk);
            written += decoded.len() as u64;
            file.write_all(&decoded).await.map_err(storage)?;
            offset = offset.saturating_add(chunk.len() as u32);
            if (chunk.len() as u32) < SAVE_CHUNK || chunk.is_empty() {
                break;
            }
        }
        let rest = decoder.finish();
        written += rest.len() as u64;
        file.write_all(&rest).await.map_err(storage)?;
        file.sync_all().await.map_err(storage)?;
        Ok(Some(written))
    }
    .await;
    drop(file);
    match result {
        Ok(Some(written)) => {
            tokio::fs::rename(&partial, dest).await.map_err(storage)?;
            Ok(Some(written))
        }
        other => {
            let _ = tokio::fs::remove_file(&partial).await;
            other
        }
    }
}

/// Where a download goes until it is complete.
fn partial_path(dest: &Path) -> std::path::PathBuf {
    let mut name = dest.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".tern-download");
    dest.with_file_name(name)
}

/// Decodes a transfer encoding piece by piece (pieces split anywhere).
#[derive(Debug)]
pub struct StreamDecoder {
    encoding: Encoding,
    /// Bytes held back until the rest of their group (base64) or line (quoted-printable)
    /// arrives.
    carry: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Base64,
    QuotedPrintable,
    Identity,
}

impl StreamDecoder {
    /// A decoder for a Content-Transfer-Encoding (`base64`, `quoted-printable`, anything else
    /// passes through).
    pub fn new(encoding: &str) -> Self {
        let encoding = match encoding.trim().to_ascii_lowercase().as_str() {
            "base64" => Encoding::Base64,
            "quoted-printable" => Encoding::QuotedPrintable,
            _ => Encoding::Identity,
        };
        Self { encoding, carry: Vec::new() }
    }

    /// Decodes what can be decoded of the bytes so far.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<u8> {
        match self.encoding {
            Encoding::Identity => bytes.to_vec(),
            Encoding::Base64 => {
                self.carry.extend(bytes.iter().copied().filter(|b| !b.is_ascii_whitespace()));
                let whole = self.carry.len() / 4 * 4;
                let group: Vec<u8> = self.carry.drain(..whole).collect();
                decode_base64(&group)
            }
            Encoding::QuotedPrintable => {
                self.carry.extend_from_slice(bytes);
                let Some(end) = self.carry.iter().rposition(|b| *b == b'\n') else { return Vec::new() };
                let lines: Vec<u8> = self.carry.drain(..=end).collect();
                decode_qp(&lines)
            }
        }
    }

    /// Decodes whatever is left.
    pub fn finish(&mut self) -> Vec<u8> {
        let rest = std::mem::take(&mut self.carry);
        match self.encoding {
            Encoding::Identity => rest,
            Encoding::Base64 => decode_base64(&rest),
            Encoding::QuotedPrintable => decode_qp(&rest),
        }
    }
}

/// Base64, forgiving: a broken group decodes as far as it goes rather than losing the file.
fn decode_base64(bytes: &[u8]) -> Vec<u8> {
    if bytes.is_empty() {
        return Vec::new();
    }
    mail_parser::decoders::base64::base64_decode(bytes).unwrap_or_else(|| {
        bytes.chunks(4).filter_map(mail_parser::decoders::base64::base64_decode).flatten().collect()
    })
}

/// Quoted-printable, forgiving: a line that does not decode is kept as it is.
fn decode_qp(bytes: &[u8]) -> Vec<u8> {
    if bytes.is_empty() {
        return Vec::new();
    }
    mail_parser::decoders::quoted_printable::quoted_printable_decode(bytes).unwrap_or_else(|| {
        bytes
            .split_inclusive(|b| *b == b'\n')
            .flat_map(|line| {
                mail_parser::decoders::quoted_printable::quoted_printable_decode(line)
                    .unwrap_or_else(|| line.to_vec())
            })
            .collect()
    })
}

/// A message's header and raw source, for "show details".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSource {
    /// Header fields in order: name as written, value unfolded and decoded.
    pub headers: Vec<(String, String)>,
    /// The raw message, up to [`SOURCE_LIMIT`] bytes of it.
    pub raw: Vec<u8>,
    /// The message's size (RFC822.SIZE).
    pub size: u32,
}

/// The most of a message's raw source "show details" downloads.
pub const SOURCE_LIMIT: u32 = 1024 * 1024;

/// Downloads message `uid`'s header and the start of its raw source (at most
/// [`SOURCE_LIMIT`] bytes) from the selected folder. `Ok(None)` when it is gone.
pub async fn fetch_source(
    session: &mut ImapSession,
    uid: u32,
    limit: std::time::Duration,
) -> Result<Option<MessageSource>> {
    let items = format!("(UID RFC822.SIZE BODY.PEEK[HEADER] BODY.PEEK[]<0.{SOURCE_LIMIT}>)");
    let fetched = uid_fetch(session, uid, &items, limit).await?;
    let Some(fetch) = fetched.iter().find(|f| f.uid == Some(uid)) else { return Ok(None) };
    let header = fetch.header().unwrap_or_default();
    Ok(Some(MessageSource {
        headers: header_fields(header),
        raw: fetch.body().unwrap_or_default().to_vec(),
        size: fetch.size.unwrap_or_default(),
    }))
}

/// A header block's fields, in order, values decoded by mail-parser (RFC 2047 words, folding).
pub fn header_fields(header: &[u8]) -> Vec<(String, String)> {
    let mut raw = header.to_vec();
    if !raw.ends_with(b"\r\n\r\n") && !raw.ends_with(b"\n\n") {
        raw.extend_from_slice(b"\r\n\r\n");
    }
    let Some(message) = MessageParser::default().parse_headers(&raw) else { return Vec::new() };
    message
        .headers_raw()
        .map(|(name, value)| {
            let decoded = mail_parser::parsers::MessageStream::new(value.as_bytes()).parse_unstructured();
            let text = match decoded {
                mail_parser::HeaderValue::Text(t) => t.to_string(),
                _ => value.split_whitespace().collect::<Vec<_>>().join(" "),
            };
            (name.to_string(), text)
        })
        .collect()
}

/// A part as a message of its own: its MIME header, a blank line, its bytes.
///
/// The header is the part's own only when it agrees with the structure about what the part
/// is: a leaf. A header claiming a multipart or a message (a server and a sender disagreeing,
/// or a hostile message) would make the parser look for parts the structure does not have.
fn as_message(header: &[u8], body: &[u8], part: &Part) -> Vec<u8> {
    let mut raw = Vec::with_capacity(header.len() + body.len() + 64);
    if header.iter().all(|b| b.is_ascii_whitespace()) || !describes_a_leaf(header) {
        // No header from the server: rebuild the essentials from the structure.
        let charset = part.charset.as_deref().map(|c| format!("; charset=\"{c}\"")).unwrap_or_default();
        raw.extend_from_slice(
            format!(
                "Content-Type: {}{charset}\r\nContent-Transfer-Encoding: {}\r\n",
                part.mime, part.encoding
            )
            .as_bytes(),
        );
    } else {
        raw.extend_from_slice(
            header.strip_suffix(b"\r\n\r\n").or_else(|| header.strip_suffix(b"\n\n")).unwrap_or(header),
        );
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"\r\n");
    raw.extend_from_slice(body);
    raw
}

/// Whether a MIME header says its part is a leaf (not `multipart/*` or `message/*`).
fn describes_a_leaf(header: &[u8]) -> bool {
    let mut head = header.to_vec();
    head.extend_from_slice(b"\r\n\r\n");
    let Some(parsed) = MessageParser::default().parse_headers(&head) else { return true };
    !parsed.root_part().content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart") || ct.ctype().eq_ignore_ascii_case("message")
    })
}

/// Decodes a text part (transfer encoding and charset).
pub fn decode_text(header: &[u8], body: &[u8], part: &Part) -> Option<Shown> {
    let raw = as_message(header, body, part);
    let message = MessageParser::default().parse(&raw)?;
    let root = message.root_part();
    let html = root.is_content_type("text", "html")
        || (part.mime == "text/html" && !root.is_content_type("text", "plain"));
    match &root.body {
        PartType::Html(text) => Some(Shown::Html(text.to_string())),
        PartType::Text(text) if html => Some(Shown::Html(text.to_string())),
        PartType::Text(text) => {
            // RFC 3676: lines the sender's program wrapped are joined again.
            let content_type = root.content_type();
            let param =
                |name: &str| content_type.and_then(|ct| ct.attribute(name)).map(str::to_ascii_lowercase);
            if param("format").as_deref() == Some("flowed") {
                let delsp = param("delsp").as_deref() == Some("yes");
                Some(Shown::Text(crate::render::flowed::decode(text, delsp)))
            } else {
                Some(Shown::Text(text.to_string()))
            }
        }
        _ => None,
    }
}

/// Decodes a binary part (transfer encoding).
pub fn decode_binary(header: &[u8], body: &[u8]) -> Option<Vec<u8>> {
    if !describes_a_leaf(header) {
        // Not what the structure says it is: shown as missing rather than guessed at.
        return None;
    }
    let mut raw = header.to_vec();
    raw.extend_from_slice(body);
    let message = MessageParser::default().parse(&raw)?;
    Some(message.root_part().contents().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetch_responses_read_by_tern_parse_as_async_imap_reads_them() {
        let line =
            b"7 FETCH (UID 42 BODYSTRUCTURE (\"text\" \"plain\" NIL NIL NIL \"7bit\" 5 1 NIL NIL NIL NIL) \
            BODY[] {25}\r\nSubject: x\r\n\r\nhello\r\n\r\nyo BODY[1.MIME] {4}\r\nA: b BODY[HEADER] NIL)";
        let fetched = ParsedFetch::parse(line).expect("a FETCH");
        assert_eq!(fetched.uid, Some(42));
        assert!(matches!(fetched.bodystructure(), Some(BodyStructure::Text { .. })));
        assert_eq!(fetched.body(), Some(&b"Subject: x\r\n\r\nhello\r\n\r\nyo"[..]));
        let mime = SectionPath::Part(vec![1], Some(MessageSection::Mime));
        assert_eq!(fetched.section(&mime), Some(&b"A: b"[..]));
        assert_eq!(fetched.section(&SectionPath::Part(vec![2], None)), None);
        assert_eq!(fetched.header(), None, "NIL is no data");
        assert!(ParsedFetch::parse(b"3 EXISTS").is_none());
        assert!(ParsedFetch::parse(b"1 FETCH (UID").is_none());
    }

    fn text_part(mime: &str, charset: Option<&str>, encoding: &str) -> Part {
        Part {
            section: "1".into(),
            mime: mime.into(),
            charset: charset.map(str::to_string),
            encoding: encoding.into(),
            size: 0,
            content_id: None,
            filename: None,
        }
    }

    /// Name, MIME header, body bytes, part, expected result.
    type Row = (&'static str, &'static [u8], &'static [u8], Part, Shown);

    #[test]
    fn text_parts_decode() {
        let table: Vec<Row> = vec![
            (
                "quoted-printable latin-1 html",
                b"Content-Type: text/html; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n",
                b"<p>Gr=FC=DFe, caf=E9</p>",
                text_part("text/html", Some("iso-8859-1"), "quoted-printable"),
                Shown::Html("<p>Grüße, café</p>".into()),
            ),
            (
                "base64 utf-8 plain",
                b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
                b"SGVsbG8sIOS4lueVjA==",
                text_part("text/plain", Some("utf-8"), "base64"),
                Shown::Text("Hello, 世界".into()),
            ),
            (
                "no MIME header: rebuilt from the structure",
                b"",
                b"Priv=E9",
                text_part("text/plain", Some("iso-8859-1"), "quoted-printable"),
                Shown::Text("Privé".into()),
            ),
            (
                "format=flowed with DelSp",
                b"Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes\r\n\r\n",
                b"A para \r\ngraph that was wrap \r\nped.\r\n> quoted  \r\n> text\r\n",
                text_part("text/plain", Some("utf-8"), "7bit"),
                Shown::Text("A paragraph that was wrapped.\n> quoted text".into()),
            ),
            (
                "koi8-r",
                b"Content-Type: text/plain; charset=koi8-r\r\n\r\n",
                &[0xf0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4],
                text_part("text/plain", Some("koi8-r"), "8bit"),
                Shown::Text("Привет".into()),
            ),
        ];
        for (name, header, body, part, expected) in table {
            let got = decode_text(header, body, &part).unwrap_or_else(|| panic!("{name}: not decoded"));
            let trimmed = match got {
                Shown::Html(t) => Shown::Html(t.trim_end().to_string()),
                Shown::Text(t) => Shown::Text(t.trim_end().to_string()),
            };
            assert_eq!(trimmed, expected, "{name}");
        }
    }

    #[test]
    fn transfer_encodings_decode_in_pieces_split_anywhere() {
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
        let base64 = {
            let mut out = String::new();
            let table = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            for chunk in data.chunks(3) {
                let n =
                    chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
                for i in 0..4 {
                    if i <= chunk.len() {
                        out.push(table[((n >> (18 - 6 * i)) & 63) as usize] as char);
                    } else {
                        out.push('=');
                    }
                }
                if out.len() % 78 == 76 {
                    out.push_str("\r\n");
                }
            }
            out.into_bytes()
        };
        let qp = b"Gr=C3=BC=C3=9Fe, caf=C3=A9 =\r\nand a soft break\r\nline two=3D\r\n".to_vec();
        let table: [(&str, &[u8], Vec<u8>); 3] = [
            ("base64", &base64, data.clone()),
            ("quoted-printable", &qp, "Grüße, café and a soft break\r\nline two=\r\n".as_bytes().to_vec()),
            ("binary", &data, data.clone()),
        ];
        for (encoding, encoded, expected) in table {
            for piece in [1, 3, 7, 64, 1000, encoded.len()] {
                let mut decoder = StreamDecoder::new(encoding);
                let mut out = Vec::new();
                for chunk in encoded.chunks(piece) {
                    out.extend(decoder.push(chunk));
                }
                out.extend(decoder.finish());
                assert_eq!(out, expected, "{encoding} in pieces of {piece}");
            }
        }
    }

    #[test]
    fn header_fields_are_listed_in_order_and_decoded() {
        let header = b"From: =?utf-8?q?J=C3=BCrgen?= <j@example.com>\r\nSubject: a long\r\n subject\r\nX-Empty:\r\nReceived: from a\r\n\tby b\r\n\r\n";
        let fields = header_fields(header);
        let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["From", "Subject", "X-Empty", "Received"]);
        assert!(fields[0].1.contains("Jürgen") && fields[0].1.contains("j@example.com"), "{fields:?}");
        assert_eq!(fields[1].1, "a long subject");
        assert_eq!(fields[3].1, "from a by b");
        assert!(header_fields(b"").is_empty() || header_fields(b"").iter().all(|(n, _)| !n.is_empty()));
    }

    /// Found by fuzzing: a part the structure calls text whose own header says multipart
    /// sent the parser looking for parts that do not exist (a failed assertion in debug builds).
    #[test]
    fn a_header_that_contradicts_the_structure_is_not_believed() {
        let header = b"Content-Type:multipart; boundary=outer\r\n\r\n";
        let body =
            b"--outerContent-Type:message/rfc822\r\n\r\nContent-Type:message/rfc822\r\n\r\n\r\n--outer--";
        let part = text_part("text/plain", Some("us-ascii"), "7bit");
        let shown = decode_text(header, body, &part);
        assert!(matches!(&shown, Some(Shown::Text(t)) if t.contains("--outer--")), "{shown:?}");
        assert_eq!(decode_binary(b"Content-Type: message/rfc822\r\n\r\n", b"x"), None);
        assert!(describes_a_leaf(b"Content-Type: text/plain\r\n\r\n") && describes_a_leaf(b""));
    }

    #[test]
    fn binary_parts_decode() {
        let header = b"Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n";
        assert_eq!(decode_binary(header, b"iVBORw0KGgo=").unwrap(), b"\x89PNG\r\n\x1a\n");
    }
}
