//! IMAP body sections (RFC 3501 6.4.5) read out of a whole message, as the server would send
//! them, so that a small message opens with one FETCH: `BODYSTRUCTURE BODY.PEEK[]` instead of
//! the structure first and the shown parts after it.
//!
//! The message is walked with its BODYSTRUCTURE: a multipart's parts lie between the lines of
//! its `boundary` (RFC 2046 5.1.1: the line break before a delimiter belongs to the delimiter),
//! each part is its MIME header up to the first empty line and its body after it, and the
//! sections inside an attached `message/rfc822` are those of the message it carries. Every part
//! found is held to the size the server's structure gives it (which may count the line break
//! after a nested multipart's closing delimiter as the part's): a message the walk reads
//! differently from the server (a broken boundary, bare line feeds) gets `None`, and its parts
//! are then asked of the server, so nothing shown differs from what the server would send.

use async_imap::imap_proto::BodyStructure;

use super::parts::param;

/// A part found in the message: its MIME header (up to and with the empty line) and its body as
/// it travels (still transfer-encoded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section<'m> {
    /// The MIME header of the part; for section `1` of a message that is not multipart, the
    /// message's own header.
    pub header: &'m [u8],
    /// The part's body.
    pub body: &'m [u8],
}

/// The header (up to and with the empty line that ends it) and the body of an entity: a message
/// or a MIME part. A part with no header starts with its empty line.
pub fn split_entity(entity: &[u8]) -> (&[u8], &[u8]) {
    if entity.starts_with(b"\r\n") {
        return entity.split_at(2);
    }
    match entity.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(at) => entity.split_at(at + 4),
        None => (entity, &entity[entity.len()..]),
    }
}

/// The parts of a multipart body with the given boundary, without their delimiter lines; `None`
/// when the body has no delimiter or no closing one (the server may read such a body
/// differently).
pub fn split_multipart<'b>(body: &'b [u8], boundary: &str) -> Option<Vec<&'b [u8]>> {
    let dashed = [b"--", boundary.as_bytes()].concat();
    let mut parts = Vec::new();
    // Where the current part started (after its delimiter line), if one has.
    let mut open: Option<usize> = None;
    let mut line_start = 0;
    while line_start <= body.len() {
        let line_end = body[line_start..].windows(2).position(|w| w == b"\r\n").map(|at| line_start + at);
        let line = &body[line_start..line_end.unwrap_or(body.len())];
        if let Some(rest) = line.strip_prefix(dashed.as_slice()) {
            let close = rest.starts_with(b"--");
            let after = if close { &rest[2..] } else { rest };
            // Transport padding (RFC 2046 5.1.1) may follow a delimiter.
            if after.iter().all(|b| *b == b' ' || *b == b'\t') {
                if let Some(start) = open {
                    // The line break before the delimiter belongs to it.
                    parts.push(&body[start..line_start.saturating_sub(2).max(start)]);
                }
                if close {
                    return Some(parts);
                }
                open = line_end.map(|end| end + 2);
            }
        }
        match line_end {
            Some(end) => line_start = end + 2,
            None => break,
        }
    }
    None
}

/// The section `section` (`1`, `2.1`...) of `message`, whose BODYSTRUCTURE is `structure`; `None`
/// when the structure has no such part, or the part found does not have the size the structure
/// gives it.
pub fn locate<'m>(message: &'m [u8], structure: &BodyStructure<'_>, section: &str) -> Option<Section<'m>> {
    let numbers: Vec<usize> = section.split('.').map(|n| n.parse().ok()).collect::<Option<_>>()?;
    let (mut header, mut body) = split_entity(message);
    let mut node = structure;
    // Whether `node` is a message's body (the message's, or an attached one's).
    let mut message_body = true;
    for (i, &n) in numbers.iter().enumerate() {
        match node {
            BodyStructure::Multipart { common, bodies, .. } => {
                let boundary = param(&common.ty.params, "boundary")?;
                let part = *split_multipart(body, boundary)?.get(n.checked_sub(1)?)?;
                (header, body) = split_entity(part);
                node = bodies.get(n - 1)?;
                message_body = false;
            }
            // A message whose body is not multipart has the one part `1`: that body.
            _ if n == 1 && message_body => message_body = false,
            _ => return None,
        }
        if i + 1 < numbers.len()
            && let BodyStructure::Message { body: inner, .. } = node
        {
            // Deeper sections are those of the attached message: its header and body.
            (header, body) = split_entity(body);
            node = inner;
            message_body = true;
        }
    }
    let octets = match node {
        BodyStructure::Basic { other, .. }
        | BodyStructure::Text { other, .. }
        | BodyStructure::Message { other, .. } => other.octets,
        BodyStructure::Multipart { .. } => return None,
    };
    let octets = octets as usize;
    if body.len() + 2 == octets {
        // A part that ends with the closing delimiter of a multipart inside it: a server may
        // count the line break after that delimiter as the part's (Dovecot does) rather than
        // as the start of the next delimiter.
        let start = body.as_ptr() as usize - message.as_ptr() as usize;
        if message.get(start + body.len()..start + octets) == Some(b"\r\n".as_slice()) {
            body = &message[start..start + octets];
        }
    }
    (body.len() == octets).then_some(Section { header, body })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imap::parts::tests::with_structure;

    fn text(bytes: &[u8]) -> &str {
        std::str::from_utf8(bytes).unwrap()
    }

    #[test]
    fn entities_split_at_the_first_empty_line() {
        let cases: &[(&str, &str, &str)] = &[
            ("A: 1\r\nB: 2\r\n\r\nbody\r\n\r\nmore", "A: 1\r\nB: 2\r\n\r\n", "body\r\n\r\nmore"),
            ("\r\nno header", "\r\n", "no header"),
            ("A: 1\r\n\r\n", "A: 1\r\n\r\n", ""),
            ("A: 1 and no end", "A: 1 and no end", ""),
            ("", "", ""),
        ];
        for (entity, header, body) in cases {
            let (h, b) = split_entity(entity.as_bytes());
            assert_eq!((text(h), text(b)), (*header, *body), "{entity:?}");
        }
    }

    #[test]
    fn multiparts_split_at_their_delimiter_lines() {
        let cases: &[(&str, Option<&[&str]>)] = &[
            ("--b\r\nA: 1\r\n\r\none\r\n--b\r\n\r\ntwo\r\n--b--\r\n", Some(&["A: 1\r\n\r\none", "\r\ntwo"])),
            // A preamble and an epilogue are no part.
            ("preamble\r\n--b\r\n\r\none\r\n--b--\r\nepilogue", Some(&["\r\none"])),
            // Transport padding after a delimiter; line breaks inside a part stay.
            ("--b  \r\n\r\none\r\n\r\n--b--\t\r\n", Some(&["\r\none\r\n"])),
            // A line that only starts like a delimiter is text.
            ("--b\r\n\r\n--bb\r\n--b x\r\n--b--", Some(&["\r\n--bb\r\n--b x"])),
            // An empty part.
            ("--b\r\n--b--", Some(&[""])),
            // No closing delimiter, or none at all: the server may read it otherwise.
            ("--b\r\n\r\none\r\n", None),
            ("\r\none\r\n", None),
        ];
        for (body, parts) in cases {
            let found = split_multipart(body.as_bytes(), "b");
            let found: Option<Vec<&str>> = found.map(|parts| parts.into_iter().map(text).collect());
            assert_eq!(found.as_deref(), *parts, "{body:?}");
        }
    }

    const MESSAGE: &str = "From: a@example.com\r\n\
        Content-Type: multipart/mixed; boundary=\"outer\"\r\n\
        \r\n\
        --outer\r\n\
        Content-Type: multipart/alternative; boundary=inner\r\n\
        \r\n\
        --inner\r\n\
        Content-Type: text/plain\r\n\
        \r\n\
        Hello\r\n\
        --inner\r\n\
        Content-Type: text/html\r\n\
        \r\n\
        <p>Hello</p>\r\n\
        --inner--\r\n\
        \r\n\
        --outer\r\n\
        Content-Type: message/rfc822\r\n\
        \r\n\
        Subject: inside\r\n\
        \r\n\
        Attached text\r\n\
        --outer--\r\n";

    const STRUCTURE: &str = r#"((("text" "plain" NIL NIL NIL "7bit" 5 1 NIL NIL NIL NIL)("text" "html" NIL NIL NIL "7bit" 12 1 NIL NIL NIL NIL) "alternative" ("boundary" "inner") NIL NIL NIL)("message" "rfc822" NIL NIL NIL "7bit" 32 (NIL "inside" NIL NIL NIL NIL NIL NIL NIL NIL) ("text" "plain" NIL NIL NIL "7bit" 13 1 NIL NIL NIL NIL) 3 NIL NIL NIL NIL) "mixed" ("boundary" "outer") NIL NIL NIL)"#;

    #[test]
    fn sections_are_found_as_the_server_numbers_them() {
        let cases: &[(&str, Option<(&str, &str)>)] = &[
            ("1.1", Some(("Content-Type: text/plain\r\n\r\n", "Hello"))),
            ("1.2", Some(("Content-Type: text/html\r\n\r\n", "<p>Hello</p>"))),
            ("2", Some(("Content-Type: message/rfc822\r\n\r\n", "Subject: inside\r\n\r\nAttached text"))),
            // The attached message's one part is its body, under its own header.
            ("2.1", Some(("Subject: inside\r\n\r\n", "Attached text"))),
            // A multipart is no leaf; sections the structure does not have are not there.
            ("1", None),
            ("3", None),
            ("1.3", None),
            ("0", None),
            ("1.1.1", None),
            ("x", None),
        ];
        with_structure(STRUCTURE, |structure| {
            for (section, expected) in cases {
                let found = locate(MESSAGE.as_bytes(), structure, section);
                let found = found.map(|s| (text(s.header), text(s.body)));
                assert_eq!(found, *expected, "section {section}");
            }
        });
    }

    #[test]
    fn a_part_ending_in_a_nested_closing_delimiter_may_keep_its_line_break() {
        let message = "Content-Type: multipart/mixed; boundary=out\r\n\r\n\
            --out\r\nContent-Type: message/rfc822\r\n\r\n\
            Content-Type: multipart/mixed; boundary=in\r\n\r\n--in\r\n\r\nx\r\n--in--\r\n\
            --out--\r\n";
        let inner = "Content-Type: multipart/mixed; boundary=in\r\n\r\n--in\r\n\r\nx\r\n--in--";
        for (octets, expected) in
            [(inner.len(), inner.to_string()), (inner.len() + 2, format!("{inner}\r\n"))]
        {
            let structure = format!(
                r#"(("message" "rfc822" NIL NIL NIL "7bit" {octets} (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) (("text" "plain" NIL NIL NIL "7bit" 1 1 NIL NIL NIL NIL) "mixed" ("boundary" "in") NIL NIL NIL) 5 NIL NIL NIL NIL) "mixed" ("boundary" "out") NIL NIL NIL)"#
            );
            with_structure(&structure, |structure| {
                let found = locate(message.as_bytes(), structure, "1").map(|s| text(s.body).to_string());
                assert_eq!(found.as_deref(), Some(expected.as_str()), "{octets} octets");
                let inside = locate(message.as_bytes(), structure, "1.1").map(|s| text(s.body).to_string());
                assert_eq!(inside.as_deref(), Some("x"));
            });
        }
    }

    #[test]
    fn a_part_of_another_size_than_the_server_says_is_not_used() {
        let wrong = STRUCTURE.replacen(r#""7bit" 5 1"#, r#""7bit" 6 1"#, 1);
        with_structure(&wrong, |structure| {
            assert_eq!(locate(MESSAGE.as_bytes(), structure, "1.1"), None);
            assert!(locate(MESSAGE.as_bytes(), structure, "1.2").is_some());
        });
    }

    #[test]
    fn a_single_part_message_is_its_own_section_one() {
        let message = "Subject: hi\r\nContent-Type: text/plain\r\n\r\nJust text\r\n";
        let structure = r#"("text" "plain" NIL NIL NIL "7bit" 11 1 NIL NIL NIL NIL)"#;
        with_structure(structure, |structure| {
            let found = locate(message.as_bytes(), structure, "1").unwrap();
            assert_eq!(text(found.header), "Subject: hi\r\nContent-Type: text/plain\r\n\r\n");
            assert_eq!(text(found.body), "Just text\r\n");
            assert_eq!(locate(message.as_bytes(), structure, "2"), None);
        });
    }
}
