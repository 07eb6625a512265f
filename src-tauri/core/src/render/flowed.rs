//! Decoding `format=flowed` text (RFC 3676).
//!
//! Mail programs that send `Content-Type: text/plain; format=flowed` wrap long paragraphs into
//! short lines and mark each wrap with a trailing space, so that the reader can put the
//! paragraph back together and wrap it to the width of the window. [`decode`] does that: it
//! joins each paragraph into one line and gives back ordinary text, quotes still marked with
//! `>`, ready for [`super::plain_to_html`].

/// The line between a message and its signature: never a soft line break.
const SIGNATURE_SEPARATOR: &str = "-- ";

/// Joins the soft-wrapped lines of a `format=flowed` body into whole paragraphs.
///
/// - A line ending in a space continues on the next line, when that line is quoted as deeply
///   (the same number of leading `>`). Before a line of another depth, or at the end of the
///   text, it simply ends (keeping its trailing space unless `delsp`).
/// - With `delsp` (`DelSp=yes` in the Content-Type), the space that marks the wrap is removed;
///   otherwise it stays, as the space between the two words.
/// - The space that protects a line starting with a space, `>` or `From ` (space-stuffing) is
///   removed.
/// - An empty line is a line of its own too: the line before it ends its paragraph even when
///   it ends in a space (nobody wraps a paragraph into an empty line; the writer meant a
///   paragraph break).
/// - The signature separator `-- ` is a line of its own, never joined to the line before or
///   after it.
///
/// Quoted paragraphs come back with their markers: `>` repeated for the depth and one space
/// (`>> text`); an empty quoted line is just the markers. An unquoted paragraph that starts
/// with `>` keeps one leading space, so that it is not read as a quote.
///
/// Lines may end in CRLF or LF; the result uses LF and ends in a line break when the text did.
pub fn decode(text: &str, delsp: bool) -> String {
    let mut out = String::with_capacity(text.len());
    // The paragraph being joined: its quote depth and its text so far.
    let mut open: Option<(usize, String)> = None;
    let mut lines = text.split('\n').peekable();
    while let Some(raw) = lines.next() {
        let is_last = lines.peek().is_none();
        if is_last && raw.is_empty() {
            // The text ended with a line break: nothing follows it.
            break;
        }
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let depth = line.bytes().take_while(|&byte| byte == b'>').count();
        let content = &line[depth..];
        let content = content.strip_prefix(' ').unwrap_or(content);

        let signature = content == SIGNATURE_SEPARATOR;
        if let Some((open_depth, paragraph)) = open.take() {
            if open_depth == depth && !signature && !content.is_empty() {
                open = Some((depth, paragraph));
            } else {
                // A change of quote depth, an empty line or the signature ends a paragraph,
                // whatever its last line said.
                write_paragraph(open_depth, &paragraph, &mut out);
            }
        }
        let (depth, mut paragraph) = open.take().unwrap_or_else(|| (depth, String::new()));
        if content.ends_with(' ') && !signature {
            let joined = if delsp { content.strip_suffix(' ').unwrap_or(content) } else { content };
            paragraph.push_str(joined);
            open = Some((depth, paragraph));
        } else {
            paragraph.push_str(content);
            write_paragraph(depth, &paragraph, &mut out);
        }
    }
    if let Some((depth, paragraph)) = open {
        write_paragraph(depth, &paragraph, &mut out);
    }
    if !text.ends_with('\n') && out.ends_with('\n') {
        out.pop();
    }
    out
}

/// Writes one paragraph as a line, with its quote markers.
fn write_paragraph(depth: usize, paragraph: &str, out: &mut String) {
    for _ in 0..depth {
        out.push('>');
    }
    if !paragraph.is_empty() && (depth > 0 || paragraph.starts_with('>')) {
        out.push(' ');
    }
    out.push_str(paragraph);
    out.push('\n');
}
