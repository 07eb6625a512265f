//! Plain-text bodies as HTML: escaped, links made clickable, quotes as nested blockquotes
//! (long ones folded away).

use linkify::{LinkFinder, LinkKind};
use url::Url;

use super::{Link, QUOTE_CLASS, RenderOptions, SanitizedHtml};

/// A quote of at least this many lines is folded away.
const FOLD_MIN_LINES: usize = 4;

/// See [`super::plain_to_html`].
pub(super) fn to_html(text: &str, options: &RenderOptions) -> SanitizedHtml {
    let mut finder = LinkFinder::new();
    finder.kinds(&[LinkKind::Url, LinkKind::Email]).url_must_have_scheme(true);
    // Old Mac line ends are line ends too, and a NUL is nothing (as the HTML parser would read
    // them), so that sanitizing this output changes nothing.
    let text = text.replace("\r\n", "\n").replace(['\r'], "\n").replace('\0', "");
    let lines: Vec<(usize, &str)> = text.lines().map(quote_depth).collect();

    let mut writer = Writer {
        finder,
        link_base: options.link_base.as_deref().filter(|base| !base.is_empty()),
        out: String::with_capacity(text.len() + text.len() / 8 + 64),
        links: Vec::new(),
    };
    writer.out.push_str(r#"<pre class="tern-plain">"#);
    let mut depth = 0;
    let mut folded = false;
    for (i, &(line_depth, content)) in lines.iter().enumerate() {
        if line_depth == depth && i > 0 {
            writer.out.push_str("<br>");
        }
        if depth == 0 && line_depth > 0 {
            let quoted = lines[i..].iter().take_while(|(depth, _)| *depth > 0).count();
            if quoted >= FOLD_MIN_LINES {
                writer.out.push_str(&format!(
                    "<details class=\"{QUOTE_CLASS}\"><summary>Show quoted text ({quoted} lines)</summary>"
                ));
                folded = true;
            }
        }
        for _ in depth..line_depth {
            writer.out.push_str("<blockquote>");
        }
        for _ in line_depth..depth {
            writer.out.push_str("</blockquote>");
        }
        if line_depth == 0 && folded {
            writer.out.push_str("</details>");
            folded = false;
        }
        depth = line_depth;
        writer.line(content);
    }
    for _ in 0..depth {
        writer.out.push_str("</blockquote>");
    }
    if folded {
        writer.out.push_str("</details>");
    }
    writer.out.push_str("</pre>");
    SanitizedHtml { html: writer.out, blocked_remote: 0, tracking_pixels: 0, links: writer.links }
}

/// Writes lines of text as HTML, making links of the addresses in them.
struct Writer<'o> {
    finder: LinkFinder,
    /// [`RenderOptions::link_base`], when set and not empty.
    link_base: Option<&'o str>,
    out: String,
    links: Vec<Link>,
}

impl Writer<'_> {
    fn line(&mut self, line: &str) {
        const MAILTO: &str = "mailto:";
        let mut written = 0;
        let found: Vec<_> = self.finder.links(line).collect();
        for link in found {
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
                    // `mailto:bob@example.com` is found as an address after the word `mailto:`;
                    // the link takes the word in.
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
            escape(&line[written..start], false, &mut self.out);
            self.anchor(href, &line[start..link.end()]);
            written = link.end();
        }
        escape(&line[written..], false, &mut self.out);
    }

    /// Writes a link as the sanitizer would leave it, and lists it.
    fn anchor(&mut self, href: String, text: &str) {
        self.out.push_str("<a href=\"");
        match self.link_base {
            Some(base) => {
                escape(&format!("{base}{}", self.links.len()), true, &mut self.out);
                self.out.push_str("\" title=\"");
                escape(&href, true, &mut self.out);
                self.out.push_str(r#"" rel="noopener noreferrer">"#);
            }
            None => {
                escape(&href, true, &mut self.out);
                self.out.push_str(r#"" target="_blank" rel="noopener noreferrer">"#);
            }
        }
        escape(text, false, &mut self.out);
        self.out.push_str("</a>");
        self.links.push(Link { href, text: text.to_owned(), mismatched_domain: false });
    }
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
