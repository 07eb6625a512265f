//! Which parts of a message to download to show it, from its BODYSTRUCTURE.
//!
//! Opening a message fetches only what the reader shows: the best alternative of the text
//! (HTML when there is one, else plain text), the inline images an HTML part refers to by
//! Content-ID, and nothing of the attachments, which are listed with their names and sizes and
//! downloaded when the user opens or saves one.
//!
//! | Structure | Shown | Listed as attachments |
//! |---|---|---|
//! | `text/*`, not `attachment` | itself | – |
//! | `multipart/alternative` | the last HTML (preferred) or plain-text alternative, recursively | – |
//! | `multipart/related` | its root (the `start` part, else the first), recursively; the other parts with a Content-ID are inline images | parts without a Content-ID |
//! | `multipart/mixed`, `/signed` and the rest | every text part that is not an attachment, in order; nested multiparts recursively | everything else |
//! | `message/rfc822` | – | as a message (`.eml`) that can be opened |
//! | anything with `Content-Disposition: attachment` | – | itself |
//!
//! Sections are numbered as IMAP does (RFC 3501 6.4.5): the parts of a multipart are `1`, `2`...,
//! nested ones `1.2`; a message that is not multipart has the single part `1`.

use async_imap::imap_proto::{BodyContentCommon, BodyContentSinglePart, BodyStructure, ContentEncoding};
use mail_parser::{MessageParser, MimeHeaders};
use serde::{Deserialize, Serialize};

/// One MIME part worth knowing about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// IMAP section (`1`, `2.1`...).
    pub section: String,
    /// `type/subtype`, lower case.
    pub mime: String,
    /// The `charset` parameter, if any.
    pub charset: Option<String>,
    /// Content-Transfer-Encoding, lower case.
    pub encoding: String,
    /// Encoded size in bytes.
    pub size: u32,
    /// Content-ID without angle brackets.
    pub content_id: Option<String>,
    /// File name (decoded), for attachments and images.
    pub filename: Option<String>,
}

impl Part {
    /// About how many bytes the part holds once decoded (what a saved file will take): the
    /// server reports the encoded size, a third larger for base64.
    pub fn decoded_size(&self) -> u64 {
        let size = u64::from(self.size);
        if self.encoding == "base64" {
            // Lines of 76 characters and a line break carry 57 bytes.
            let breaks = size / 78 * 2;
            size.saturating_sub(breaks) / 4 * 3
        } else {
            size
        }
    }
}

/// What to fetch to show a message, and what it carries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    /// Text parts to show, in order.
    pub body: Vec<Part>,
    /// Images referred to by Content-ID from an HTML body.
    pub inline: Vec<Part>,
    /// Attachments, in order.
    pub attachments: Vec<Part>,
}

/// Works out the [`Layout`] of a message from its BODYSTRUCTURE.
pub fn layout(structure: &BodyStructure<'_>) -> Layout {
    let mut out = Layout::default();
    walk(structure, "", true, &mut out);
    out
}

/// The structure at `section` (`1`, `2.1`...), descending into attached messages the way IMAP
/// numbers them: the parts of a `message/rfc822` at `2` are `2.1`, `2.2`... (its single body,
/// when not multipart, is `2.1`).
pub fn structure_at<'s, 'a>(
    structure: &'s BodyStructure<'a>,
    section: &str,
) -> Option<&'s BodyStructure<'a>> {
    let mut here = structure;
    let mut at_top = true;
    for step in section.split('.') {
        let index: usize = step.parse().ok().filter(|i| *i > 0)?;
        here = match here {
            BodyStructure::Multipart { bodies, .. } => bodies.get(index - 1)?,
            BodyStructure::Message { body, .. } if !at_top => match body.as_ref() {
                BodyStructure::Multipart { bodies, .. } => bodies.get(index - 1)?,
                single if index == 1 => single,
                _ => return None,
            },
            single if index == 1 && at_top => single,
            _ => return None,
        };
        at_top = false;
    }
    Some(here)
}

/// The part at `section`, described (file name, encoding, size), if it is a leaf part or an
/// attached message.
pub fn part_at(structure: &BodyStructure<'_>, section: &str) -> Option<Part> {
    match structure_at(structure, section)? {
        BodyStructure::Basic { common, other, .. } | BodyStructure::Text { common, other, .. } => {
            Some(part(section.to_string(), common, other))
        }
        BodyStructure::Message { common, other, .. } => {
            let mut p = part(section.to_string(), common, other);
            p.filename.get_or_insert_with(|| "message.eml".to_string());
            Some(p)
        }
        BodyStructure::Multipart { .. } => None,
    }
}

/// The [`Layout`] of the message attached at `section` (a `message/rfc822` part), with IMAP
/// sections relative to the outer message, so its parts download from the server like any
/// other's. `None` when there is no attached message there.
pub fn layout_within(structure: &BodyStructure<'_>, section: &str) -> Option<Layout> {
    let BodyStructure::Message { body, .. } = structure_at(structure, section)? else { return None };
    let mut out = Layout::default();
    match body.as_ref() {
        multipart @ BodyStructure::Multipart { .. } => walk(multipart, section, true, &mut out),
        single => walk(single, &format!("{section}.1"), true, &mut out),
    }
    Some(out)
}

fn child_section(parent: &str, index: usize) -> String {
    if parent.is_empty() { (index + 1).to_string() } else { format!("{parent}.{}", index + 1) }
}

fn mime_of(common: &BodyContentCommon<'_>) -> String {
    format!("{}/{}", common.ty.ty, common.ty.subtype).to_ascii_lowercase()
}

pub(crate) fn param<'a>(
    params: &'a Option<Vec<(std::borrow::Cow<'_, str>, std::borrow::Cow<'_, str>)>>,
    name: &str,
) -> Option<&'a str> {
    params.as_ref()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_ref())
}

fn is_attachment(common: &BodyContentCommon<'_>) -> bool {
    common.disposition.as_ref().is_some_and(|d| d.ty.eq_ignore_ascii_case("attachment"))
}

/// The file name from Content-Disposition or Content-Type parameters, decoded (RFC 2231 and
/// RFC 2047) by mail-parser.
fn filename(common: &BodyContentCommon<'_>) -> Option<String> {
    let mut header = String::new();
    if let Some(d) = &common.disposition {
        header.push_str(&format!("Content-Disposition: {}", d.ty));
        for (k, v) in d.params.iter().flatten() {
            header.push_str(&format!("; {k}=\"{}\"", v.replace('"', "\\\"")));
        }
        header.push_str("\r\n");
    }
    header.push_str(&format!("Content-Type: {}/{}", common.ty.ty, common.ty.subtype));
    for (k, v) in common.ty.params.iter().flatten() {
        header.push_str(&format!("; {k}=\"{}\"", v.replace('"', "\\\"")));
    }
    header.push_str("\r\n\r\n");
    // The server unfolds a long name's encoded words into one line, leaving a space between
    // them that is not part of the name (RFC 2047 6.2); folding them again lets the parser
    // join them.
    let header = rejoin_encoded_words(&header);
    let parsed = MessageParser::default().parse_headers(header.as_bytes())?;
    let name = parsed.root_part().attachment_name()?;
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// Puts a folding line break back between adjacent encoded words (`?= =?` → `?=\r\n =?`).
fn rejoin_encoded_words(header: &str) -> String {
    let mut out = String::with_capacity(header.len());
    let mut rest = header;
    while let Some(end) = rest.find("?=") {
        let (word, after) = rest.split_at(end + 2);
        out.push_str(word);
        let gap = after.len() - after.trim_start_matches([' ', '\t']).len();
        if gap > 0 && after[gap..].starts_with("=?") {
            out.push_str("\r\n ");
            rest = &after[gap..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

fn encoding(e: &ContentEncoding<'_>) -> String {
    match e {
        ContentEncoding::SevenBit => "7bit".into(),
        ContentEncoding::EightBit => "8bit".into(),
        ContentEncoding::Binary => "binary".into(),
        ContentEncoding::Base64 => "base64".into(),
        ContentEncoding::QuotedPrintable => "quoted-printable".into(),
        ContentEncoding::Other(other) => other.to_ascii_lowercase(),
    }
}

fn part(section: String, common: &BodyContentCommon<'_>, single: &BodyContentSinglePart<'_>) -> Part {
    Part {
        section,
        mime: mime_of(common),
        charset: param(&common.ty.params, "charset").map(str::to_string),
        encoding: encoding(&single.transfer_encoding),
        size: single.octets,
        content_id: single
            .id
            .as_ref()
            .map(|id| id.trim().trim_start_matches('<').trim_end_matches('>').to_string()),
        filename: filename(common),
    }
}

/// The section of a part at `path` (empty for the top level of a single-part message).
fn section_of(path: &str) -> String {
    if path.is_empty() { "1".to_string() } else { path.to_string() }
}

/// True when the structure, shown, would be HTML.
fn shows_html(structure: &BodyStructure<'_>) -> bool {
    match structure {
        BodyStructure::Text { common, .. } => mime_of(common) == "text/html",
        BodyStructure::Multipart { common, bodies, .. } => {
            let mime = mime_of(common);
            if mime == "multipart/related" {
                related_root(common, bodies).is_some_and(|(_, root)| shows_html(root))
            } else {
                bodies.iter().any(shows_html)
            }
        }
        _ => false,
    }
}

/// True when the structure has something to show as text.
fn shows_text(structure: &BodyStructure<'_>) -> bool {
    match structure {
        BodyStructure::Text { common, .. } => !is_attachment(common),
        BodyStructure::Multipart { bodies, .. } => bodies.iter().any(shows_text),
        _ => false,
    }
}

/// The root part of a multipart/related: the one named by `start`, else the first.
fn related_root<'s, 'a>(
    common: &BodyContentCommon<'_>,
    bodies: &'s [BodyStructure<'a>],
) -> Option<(usize, &'s BodyStructure<'a>)> {
    if let Some(start) = param(&common.ty.params, "start") {
        let wanted = start.trim().trim_start_matches('<').trim_end_matches('>');
        let found = bodies.iter().enumerate().find(|(_, b)| match b {
            BodyStructure::Basic { other, .. } | BodyStructure::Text { other, .. } => other
                .id
                .as_ref()
                .is_some_and(|id| id.trim().trim_start_matches('<').trim_end_matches('>') == wanted),
            _ => false,
        });
        if found.is_some() {
            return found;
        }
    }
    bodies.first().map(|b| (0, b))
}

fn walk(structure: &BodyStructure<'_>, path: &str, showing: bool, out: &mut Layout) {
    match structure {
        BodyStructure::Text { common, other, .. } => {
            let p = part(section_of(path), common, other);
            let shown =
                showing && !is_attachment(common) && (p.mime == "text/plain" || p.mime == "text/html");
            if shown {
                out.body.push(p);
            } else {
                out.attachments.push(p);
            }
        }
        BodyStructure::Basic { common, other, .. } => {
            out.attachments.push(part(section_of(path), common, other))
        }
        BodyStructure::Message { common, other, .. } => {
            let mut p = part(section_of(path), common, other);
            p.filename.get_or_insert_with(|| "message.eml".to_string());
            out.attachments.push(p);
        }
        BodyStructure::Multipart { common, bodies, .. } => {
            let mime = mime_of(common);
            match mime.as_str() {
                "multipart/alternative" => {
                    // Alternatives come simplest first: take the last HTML one, else the last
                    // with any text. The others are the same content; they are not attachments.
                    let chosen = bodies
                        .iter()
                        .enumerate()
                        .rev()
                        .find(|(_, b)| shows_html(b))
                        .or_else(|| bodies.iter().enumerate().rev().find(|(_, b)| shows_text(b)));
                    if let Some((i, b)) = chosen {
                        walk(b, &child_section(path, i), showing, out);
                    }
                }
                "multipart/related" => {
                    let root = related_root(common, bodies).map(|(i, _)| i);
                    for (i, b) in bodies.iter().enumerate() {
                        let section = child_section(path, i);
                        if Some(i) == root {
                            walk(b, &section, showing, out);
                            continue;
                        }
                        match b {
                            BodyStructure::Basic { common, other, .. }
                            | BodyStructure::Text { common, other, .. }
                                if other.id.is_some() && !is_attachment(common) =>
                            {
                                out.inline.push(part(section, common, other));
                            }
                            other => walk(other, &section, false, out),
                        }
                    }
                }
                _ => {
                    for (i, b) in bodies.iter().enumerate() {
                        walk(b, &child_section(path, i), showing, out);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use async_imap::imap_proto::{AttributeValue, Response};

    /// Parses a BODYSTRUCTURE as a server would send it.
    pub(crate) fn with_structure(raw: &str, check: impl FnOnce(&BodyStructure<'_>)) {
        let line = format!("* 1 FETCH (BODYSTRUCTURE {raw})\r\n");
        let (_, response) = Response::parse(line.as_bytes()).unwrap();
        let Response::Fetch(_, attrs) = response else { panic!("not a FETCH: {raw}") };
        let Some(AttributeValue::BodyStructure(bs)) = attrs.first() else { panic!("no structure: {raw}") };
        check(bs);
    }

    fn summary(parts: &[Part]) -> Vec<(String, String)> {
        parts.iter().map(|p| (p.section.clone(), p.mime.clone())).collect()
    }

    fn s(section: &str, mime: &str) -> (String, String) {
        (section.to_string(), mime.to_string())
    }

    const PLAIN: &str = r#"("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 120 4 NIL NIL NIL NIL)"#;
    const HTML: &str =
        r#"("text" "html" ("charset" "iso-8859-1") NIL NIL "quoted-printable" 800 20 NIL NIL NIL NIL)"#;
    const LOGO: &str = r#"("image" "png" ("name" "logo.png") "<logo@x>" NIL "base64" 4000 NIL ("inline" ("filename" "logo.png")) NIL NIL)"#;
    const PDF: &str = r#"("application" "pdf" ("name" "=?UTF-8?B?UmVjaMOpLnBkZg==?=") NIL NIL "base64" 90000 NIL ("attachment" ("filename*" "UTF-8''Rech%C3%A9.pdf")) NIL NIL)"#;
    const NOTE: &str = r#"("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 300 9 NIL ("attachment" ("filename" "notes.txt")) NIL NIL)"#;

    #[test]
    fn layouts() {
        let alternative = format!("({PLAIN}{HTML} \"alternative\" (\"boundary\" \"a\") NIL NIL NIL)");
        let related = format!("({HTML}{LOGO} \"related\" (\"boundary\" \"r\") NIL NIL NIL)");
        let alt_related = format!("({PLAIN}{related} \"alternative\" (\"boundary\" \"a\") NIL NIL NIL)");
        let mixed = format!("({alt_related}{PDF}{NOTE} \"mixed\" (\"boundary\" \"m\") NIL NIL NIL)");
        let two_texts = format!("({PLAIN}{PLAIN} \"mixed\" (\"boundary\" \"m\") NIL NIL NIL)");
        let forwarded = format!(
            "({PLAIN}(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 500 (NIL \"Fwd\" NIL NIL NIL NIL NIL NIL NIL NIL) {PLAIN} 12 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"m\") NIL NIL NIL)"
        );
        type Row =
            (&'static str, String, Vec<(String, String)>, Vec<(String, String)>, Vec<(String, String)>);
        let table: Vec<Row> = vec![
            ("plain message", PLAIN.to_string(), vec![s("1", "text/plain")], vec![], vec![]),
            ("html message", HTML.to_string(), vec![s("1", "text/html")], vec![], vec![]),
            ("alternative prefers html", alternative, vec![s("2", "text/html")], vec![], vec![]),
            (
                "related: root and inline image",
                related,
                vec![s("1", "text/html")],
                vec![s("2", "image/png")],
                vec![],
            ),
            (
                "alternative with related html",
                alt_related,
                vec![s("2.1", "text/html")],
                vec![s("2.2", "image/png")],
                vec![],
            ),
            (
                "mixed with attachments",
                mixed,
                vec![s("1.2.1", "text/html")],
                vec![s("1.2.2", "image/png")],
                vec![s("2", "application/pdf"), s("3", "text/plain")],
            ),
            (
                "two texts in a row",
                two_texts,
                vec![s("1", "text/plain"), s("2", "text/plain")],
                vec![],
                vec![],
            ),
            (
                "a forwarded message",
                forwarded,
                vec![s("1", "text/plain")],
                vec![],
                vec![s("2", "message/rfc822")],
            ),
            ("a lone attachment", PDF.to_string(), vec![], vec![], vec![s("1", "application/pdf")]),
        ];
        for (name, raw, body, inline, attachments) in table {
            with_structure(&raw, |bs| {
                let l = layout(bs);
                assert_eq!(summary(&l.body), body, "{name}: body");
                assert_eq!(summary(&l.inline), inline, "{name}: inline");
                assert_eq!(summary(&l.attachments), attachments, "{name}: attachments");
            });
        }
    }

    #[test]
    fn part_details() {
        let mixed = format!("({HTML}{LOGO}{PDF}{NOTE} \"mixed\" (\"boundary\" \"m\") NIL NIL NIL)");
        with_structure(&mixed, |bs| {
            let l = layout(bs);
            let html = &l.body[0];
            assert_eq!(
                (html.charset.as_deref(), html.encoding.as_str(), html.size),
                (Some("iso-8859-1"), "quoted-printable", 800)
            );
            // Outside multipart/related an image is an attachment, named.
            let logo = &l.attachments[0];
            assert_eq!(
                (logo.content_id.as_deref(), logo.filename.as_deref()),
                (Some("logo@x"), Some("logo.png"))
            );
            assert_eq!(l.attachments[1].filename.as_deref(), Some("Reché.pdf"), "RFC 2231 name decoded");
            assert_eq!(l.attachments[2].filename.as_deref(), Some("notes.txt"));
        });
        let forwarded = r#"("message" "rfc822" NIL NIL NIL "7bit" 500 (NIL "Fwd" NIL NIL NIL NIL NIL NIL NIL NIL) ("text" "plain" NIL NIL NIL "7bit" 10 1 NIL NIL NIL NIL) 12 NIL NIL NIL NIL)"#;
        with_structure(forwarded, |bs| {
            assert_eq!(layout(bs).attachments[0].filename.as_deref(), Some("message.eml"));
        });
    }

    #[test]
    fn decoded_sizes_are_estimated_from_the_encoding() {
        let part = |encoding: &str, size: u32| Part {
            section: "1".into(),
            mime: "application/pdf".into(),
            charset: None,
            encoding: encoding.into(),
            size,
            content_id: None,
            filename: None,
        };
        // 20 MiB in base64 with 76-character lines is 28,697,872 bytes on the wire.
        let table: [(&str, u32, u64); 4] = [
            ("base64", 28_697_872, 20_971_520),
            ("base64", 78, 57),
            ("7bit", 500, 500),
            ("quoted-printable", 90, 90),
        ];
        for (encoding, size, decoded) in table {
            let got = part(encoding, size).decoded_size();
            assert!(got.abs_diff(decoded) <= 3, "{encoding} {size}: {got} not about {decoded}");
        }
    }

    #[test]
    fn long_names_in_several_encoded_words_join_without_spaces() {
        let table: [(&str, &str); 4] = [
            (
                r#"("application" "pdf" ("name" "=?UTF-8?B?5aOy5LiK44Go?= =?UTF-8?B?6KaL6YCa44GX?=.pdf") NIL NIL "base64" 10 NIL NIL NIL NIL)"#,
                "売上と見通し.pdf",
            ),
            (
                r#"("application" "pdf" NIL NIL NIL "base64" 10 NIL ("attachment" ("filename" "=?iso-8859-1?q?r=E9sum=E9?=	=?iso-8859-1?q?_final?=.pdf")) NIL NIL)"#,
                "résumé final.pdf",
            ),
            (
                r#"("application" "pdf" ("name" "two words.pdf") NIL NIL "base64" 10 NIL NIL NIL NIL)"#,
                "two words.pdf",
            ),
            (
                r#"("application" "pdf" ("name" "=?utf-8?q?a?= and =?utf-8?q?b?=") NIL NIL "base64" 10 NIL NIL NIL NIL)"#,
                "a and b",
            ),
        ];
        for (raw, name) in table {
            with_structure(raw, |bs| {
                assert_eq!(layout(bs).attachments[0].filename.as_deref(), Some(name), "{raw}")
            });
        }
    }

    #[test]
    fn attached_messages_open_with_imap_sections() {
        let inner_mixed = format!("({HTML}{PDF} \"mixed\" (\"boundary\" \"i\") NIL NIL NIL)");
        let envelope = r#"(NIL "Fwd" NIL NIL NIL NIL NIL NIL NIL NIL)"#;
        let forwarded_mixed = format!(
            "({PLAIN}(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 5000 {envelope} {inner_mixed} 80 NIL (\"attachment\" (\"filename\" \"fwd.eml\")) NIL NIL) \"mixed\" (\"boundary\" \"m\") NIL NIL NIL)"
        );
        let forwarded_single = format!(
            "({PLAIN}(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 500 {envelope} {PLAIN} 12 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"m\") NIL NIL NIL)"
        );
        type Row = (&'static str, String, &'static str, Vec<(String, String)>, Vec<(String, String)>);
        let table: Vec<Row> = vec![
            (
                "multipart inside",
                forwarded_mixed.clone(),
                "2",
                vec![s("2.1", "text/html")],
                vec![s("2.2", "application/pdf")],
            ),
            ("single part inside", forwarded_single, "2", vec![s("2.1", "text/plain")], vec![]),
        ];
        for (name, raw, section, body, attachments) in table {
            with_structure(&raw, |bs| {
                let l = layout_within(bs, section).unwrap_or_else(|| panic!("{name}: no message"));
                assert_eq!(summary(&l.body), body, "{name}: body");
                assert_eq!(summary(&l.attachments), attachments, "{name}: attachments");
            });
        }
        with_structure(&forwarded_mixed, |bs| {
            let parts: Vec<Option<(String, Option<String>)>> = ["1", "2", "2.2", "2.1", "3", "2.9", "x", ""]
                .iter()
                .map(|sec| part_at(bs, sec).map(|p| (p.mime, p.filename)))
                .collect();
            assert_eq!(
                parts,
                vec![
                    Some(("text/plain".into(), None)),
                    Some(("message/rfc822".into(), Some("fwd.eml".into()))),
                    Some(("application/pdf".into(), Some("Reché.pdf".into()))),
                    Some(("text/html".into(), None)),
                    None,
                    None,
                    None,
                    None,
                ]
            );
            assert!(layout_within(bs, "1").is_none(), "a text part is not a message");
        });
        with_structure(PLAIN, |bs| {
            assert_eq!(part_at(bs, "1").map(|p| p.mime), Some("text/plain".into()));
        });
    }
}
