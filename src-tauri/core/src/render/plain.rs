//! Plain-text bodies as HTML: escaped, links made clickable, quotes as nested blockquotes.

use linkify::{LinkFinder, LinkKind};
use url::Url;

/// See [`super::plain_to_html`].
pub(super) fn to_html(text: &str) -> String {
    let mut finder = LinkFinder::new();
    finder.kinds(&[LinkKind::Url, LinkKind::Email]).url_must_have_scheme(true);

    let mut out = String::with_capacity(text.len() + text.len() / 8 + 64);
    out.push_str(r#"<div style="white-space:pre-wrap">"#);
    let mut depth = 0;
    let mut first_line = true;
    // Old Mac line ends are line ends too, and a NUL is nothing (as the HTML parser would read
    // them), so that sanitizing this output changes nothing.
    let text = text.replace("\r\n", "\n").replace(['\r'], "\n").replace('\0', "");
    for line in text.lines() {
        let (line_depth, content) = quote_depth(line);
        if line_depth == depth && !first_line {
            out.push_str("<br>");
        }
        for _ in depth..line_depth {
            out.push_str("<blockquote>");
        }
        for _ in line_depth..depth {
            out.push_str("</blockquote>");
        }
        depth = line_depth;
        first_line = false;
        write_line(content, &finder, &mut out);
    }
    for _ in 0..depth {
        out.push_str("</blockquote>");
    }
    out.push_str("</div>");
    out
}

/// How deeply a line is quoted (`>`, `>>`, `> >`), and the line without its markers and the one
/// space after them.
fn quote_depth(line: &str) -> (usize, &str) {
    let mut depth = 0;
    let mut rest = line;
    loop {
        if let Some(after) = rest.strip_prefix('>') {
            depth += 1;
            rest = after;
        } else if depth > 0 && rest.starts_with(" >") {
            rest = &rest[1..];
        } else {
            break;
        }
    }
    if depth > 0 {
        rest = rest.strip_prefix(' ').unwrap_or(rest);
    }
    (depth, rest)
}

fn write_line(line: &str, finder: &LinkFinder, out: &mut String) {
    const MAILTO: &str = "mailto:";
    let mut written = 0;
    for link in finder.links(line) {
        let (start, href) = match link.kind() {
            LinkKind::Url => {
                let keep = Url::parse(link.as_str())
                    .is_ok_and(|url| matches!(url.scheme(), "http" | "https" | "mailto"));
                if !keep {
                    continue;
                }
                (link.start(), link.as_str().to_owned())
            }
            LinkKind::Email => {
                // `mailto:bob@example.com` is found as an address after the word `mailto:`; the
                // link takes the word in.
                let before = &line[written..link.start()];
                let with_scheme = before.len() >= MAILTO.len()
                    && before
                        .get(before.len() - MAILTO.len()..)
                        .is_some_and(|tail| tail.eq_ignore_ascii_case(MAILTO));
                let start = if with_scheme { link.start() - MAILTO.len() } else { link.start() };
                (start, format!("mailto:{}", link.as_str()))
            }
            _ => continue,
        };
        escape(&line[written..start], false, out);
        out.push_str("<a href=\"");
        escape(&href, true, out);
        out.push_str(r#"" target="_blank" rel="noopener noreferrer">"#);
        escape(&line[start..link.end()], false, out);
        out.push_str("</a>");
        written = link.end();
    }
    escape(&line[written..], false, out);
}

/// Escapes as html5ever's serializer does, so that this output is also what sanitizing it
/// would give.
fn escape(text: &str, attribute: bool, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\u{a0}' => out.push_str("&nbsp;"),
            c => out.push(c),
        }
    }
}
