//! Downloading what a message shows: the parts [`super::parts::layout`] picks, and nothing else.
//!
//! Two round trips at most: `UID FETCH uid (BODYSTRUCTURE BODY.PEEK[HEADER])`, then one FETCH of
//! every shown part with its MIME header (`BODY.PEEK[s.MIME] BODY.PEEK[s]`). Each part is
//! decoded by mail-parser from its own MIME header and bytes (transfer encoding and charset, in
//! every charset it knows), so a broken part costs that part, not the message. `BODY.PEEK` never
//! sets `\Seen`: marking a message read is a separate, explicit flag change.

use async_imap::imap_proto::{MessageSection, SectionPath};
use async_imap::types::Fetch;
use futures::TryStreamExt;
use mail_parser::{MessageParser, MimeHeaders, PartType};
use serde::{Deserialize, Serialize};

use super::ImapSession;
use super::parts::{Layout, Part, layout};
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

/// Downloads and decodes what the reader shows of message `uid` in the selected folder.
/// `Ok(None)` when the message is no longer there.
pub async fn fetch_content(
    session: &mut ImapSession,
    uid: u32,
    limit: std::time::Duration,
) -> Result<Option<MessageContent>> {
    let first = uid_fetch(session, uid, "(UID BODYSTRUCTURE BODY.PEEK[HEADER])", limit).await?;
    let Some(fetch) = first.iter().find(|f| f.uid == Some(uid)) else { return Ok(None) };
    let Some(structure) = fetch.bodystructure() else {
        return Err(Error::Protocol("the server sent no structure for the message".into()));
    };
    let plan: Layout = layout(structure);
    let top_header = fetch.header().unwrap_or_default().to_vec();
    // A message that is not multipart has one part, `1`, whose MIME header is the message's.
    let single = plan.body.iter().chain(plan.inline.iter()).chain(plan.attachments.iter()).count() == 1
        && !matches!(structure, async_imap::imap_proto::BodyStructure::Multipart { .. });

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
    let mut items = vec!["UID".to_string()];
    for p in &wanted {
        if !single {
            items.push(format!("BODY.PEEK[{}.MIME]", p.section));
        }
        items.push(format!("BODY.PEEK[{}]", p.section));
    }
    let second = uid_fetch(session, uid, &format!("({})", items.join(" ")), limit).await?;
    let Some(parts) = second.iter().find(|f| f.uid == Some(uid)) else { return Ok(None) };

    for p in plan.body.iter() {
        let Some(bytes) = section_path(&p.section, false).and_then(|path| parts.section(&path)) else {
            content.problems.push(format!("part {} ({}) was not sent by the server", p.section, p.mime));
            continue;
        };
        let header = if single {
            top_header.clone()
        } else {
            section_path(&p.section, true).and_then(|path| parts.section(&path)).unwrap_or_default().to_vec()
        };
        match decode_text(&header, bytes, p) {
            Some(shown) => content.shown.push(shown),
            None => content.problems.push(format!("part {} ({}) could not be decoded", p.section, p.mime)),
        }
    }
    for p in plan.inline.iter().filter(|p| p.size <= MAX_INLINE_IMAGE) {
        let (Some(bytes), Some(header)) = (
            section_path(&p.section, false).and_then(|path| parts.section(&path)),
            section_path(&p.section, true).and_then(|path| parts.section(&path)),
        ) else {
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

/// A part as a message of its own: its MIME header, a blank line, its bytes.
fn as_message(header: &[u8], body: &[u8], part: &Part) -> Vec<u8> {
    let mut raw = Vec::with_capacity(header.len() + body.len() + 64);
    if header.iter().all(|b| b.is_ascii_whitespace()) {
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
        PartType::Text(text) => Some(Shown::Text(text.to_string())),
        _ => None,
    }
}

/// Decodes a binary part (transfer encoding).
pub fn decode_binary(header: &[u8], body: &[u8]) -> Option<Vec<u8>> {
    let mut raw = header.to_vec();
    raw.extend_from_slice(body);
    let message = MessageParser::default().parse(&raw)?;
    Some(message.root_part().contents().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn binary_parts_decode() {
        let header = b"Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n";
        assert_eq!(decode_binary(header, b"iVBORw0KGgo=").unwrap(), b"\x89PNG\r\n\x1a\n");
    }
}
