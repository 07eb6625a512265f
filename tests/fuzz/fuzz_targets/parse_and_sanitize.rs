//! Parse and sanitize never panic, and sanitized HTML never carries script.
//!
//! The first byte of the input picks the path (by its value modulo 4, so the committed seeds
//! start with an ASCII digit), the rest is the data:
//!
//! | Byte | Path |
//! | --- | --- |
//! | `0` | A raw message: mail-parser, then every part's own header and body through tern-core's `decode_text` / `decode_binary` / `header_fields` / `StreamDecoder`, every decoded text rendered. |
//! | `1` | IMAP server responses (`* 1 FETCH (BODYSTRUCTURE ... BODY[1] {n}...)`): imap-proto's parser, then `layout`, `structure_at`, `part_at`, `layout_within` and `has_attachment` on every BODYSTRUCTURE, the sections sent decoded and rendered as the reader would, and with a whole message (`BODY[]`) its sections read out of it (`locate`) and rendered. |
//! | `2` | HTML straight into `sanitize_html` (and `snippet_from_html`). |
//! | `3` | Plain text into `plain_to_html` as it is and after `flowed::decode` (and `snippet_from_text`). |
//!
//! "Rendered" means: HTML through `sanitize_html` twice, with everything off (remote content
//! blocked, quotes open, links keep their address) and everything on (remote content allowed,
//! quotes folded, links routed through `link_base`), and the output checked
//! ([`check_sanitized`]): no `<script` anywhere, no element the policy removes, no `on*`
//! attribute, no `javascript:`/`vbscript:` (or another unlisted scheme) in a URL attribute or in
//! CSS, no remote image source while remote content is off, only listed link schemes (or the
//! app's `link_base`); no blocked count while remote content is allowed; then the output
//! sanitized again (which must not panic and must pass the same checks). Text goes through
//! `plain_to_html` and its output gets the same checks. Snippets stay within their length.
//!
//! With `TERN_FUZZ_STRICT=1` in the environment the documented idempotence properties are
//! asserted too: sanitizing the sanitizer's output (without `cid_base` and `link_base`, which
//! rewrite URLs) changes nothing, and `sanitize_html` leaves `plain_to_html`'s output unchanged.
//! They are not safety properties, so they are off by default.

#![no_main]

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use async_imap::imap_proto::{AttributeValue, BodyStructure, MessageSection, Response, SectionPath};
use cssparser::{Parser as CssParser, Token as CssToken};
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use libfuzzer_sys::fuzz_target;
use mail_parser::{Message, MessageParser, MimeHeaders, PartType};
use tern_core::imap::content::{Shown, StreamDecoder, decode_binary, decode_text, header_fields};
use tern_core::imap::envelope::has_attachment;
use tern_core::imap::parts::{Part, layout, layout_within, part_at, structure_at};
use tern_core::imap::sections::{locate, split_entity};
use tern_core::render::{
    RenderOptions, SanitizedHtml, flowed, plain_to_html, sanitize_html, snippet_from_html, snippet_from_text,
};

/// Bounds that keep one input's work small (the fuzzer wants thousands of runs a second).
const MAX_DEPTH: usize = 8;
const MAX_PARTS: usize = 64;
const MAX_RESPONSES: usize = 32;
const CID_BASE: &str = "tern-part://localhost/acct/7/42/";
const LINK_BASE: &str = "tern-part://localhost/link/0123abcd/";
const SNIPPET_CHARS: usize = 120;

fuzz_target!(|data: &[u8]| {
    checks_hold();
    let Some((&selector, rest)) = data.split_first() else { return };
    match selector % 4 {
        0 => raw_message(rest),
        1 => imap_responses(rest),
        2 => sanitize_checked(&String::from_utf8_lossy(rest)),
        _ => plain_checked(&String::from_utf8_lossy(rest)),
    }
});

/// Once per run: the CSS check itself flags what it must and passes what it must (a check that
/// flags nothing would let every run pass).
fn checks_hold() {
    static CHECKED: OnceLock<()> = OnceLock::new();
    CHECKED.get_or_init(|| {
        // (css, a stylesheet, flagged)
        let table: [(&str, bool, bool); 9] = [
            ("behavior:url(x.htc)", false, true),
            ("color:red; -moz-binding : url(x.xml#x)", false, true),
            (".b{ behavior: url(x.htc) }", true, true),
            ("@media screen{.b{behavior:url(x)}}", true, true),
            ("@import url(x.css);", true, true),
            (".a{width:expression(alert(1))}", true, true),
            ("color:red", false, false),
            // Text that only looks like a property: inside a function's arguments, or a selector.
            (".c{background-image:f(\"a\" http:/behavior: 1x)}", true, false),
            ("behavior:hover{color:red}", true, false),
        ];
        for (css, stylesheet, flagged) in table {
            assert_eq!(css_problem(css, stylesheet, true).is_some(), flagged, "the CSS check on {css:?}");
        }
    });
}

/// `TERN_FUZZ_PRINT=1`: print every rendering (for looking at one input with `run.sh repro`).
fn print() -> bool {
    static PRINT: OnceLock<bool> = OnceLock::new();
    *PRINT.get_or_init(|| std::env::var_os("TERN_FUZZ_PRINT").is_some_and(|v| v != "0"))
}

fn strict() -> bool {
    static STRICT: OnceLock<bool> = OnceLock::new();
    *STRICT.get_or_init(|| std::env::var_os("TERN_FUZZ_STRICT").is_some_and(|v| v != "0"))
}

// ------------------------------------------------------------------ raw messages

fn raw_message(bytes: &[u8]) {
    // The whole message as the reader's header view would see it.
    let _ = header_fields(bytes);
    let Some(message) = MessageParser::default().parse(bytes) else { return };
    let mut budget = MAX_PARTS;
    walk_message(&message, "", 0, &mut budget);
}

fn walk_message(message: &Message<'_>, prefix: &str, depth: usize, budget: &mut usize) {
    if depth > MAX_DEPTH {
        return;
    }
    // mail-parser's own choice of HTML body, sanitized like a message part.
    if let Some(html) = message.body_html(0) {
        sanitize_checked(&html);
    }
    walk_part(message, 0, prefix, depth, budget);
}

/// Part `id` of `message`, at IMAP section `section` (empty for the root of a message).
fn walk_part(message: &Message<'_>, id: usize, section: &str, depth: usize, budget: &mut usize) {
    if *budget == 0 || depth > MAX_DEPTH {
        return;
    }
    *budget -= 1;
    let Some(part) = message.parts.get(id) else { return };
    let raw = message.raw_message();
    let (start, body_start, end) =
        (part.raw_header_offset() as usize, part.raw_body_offset() as usize, part.raw_end_offset() as usize);
    let header = raw.get(start..body_start.max(start)).unwrap_or_default();
    let body = raw.get(body_start..end.max(body_start)).unwrap_or_default();

    let mime = match part.content_type() {
        Some(ct) => format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or("plain")).to_ascii_lowercase(),
        None => "text/plain".to_string(),
    };
    let described = Part {
        section: if section.is_empty() { "1".to_string() } else { section.to_string() },
        mime,
        charset: part.content_type().and_then(|ct| ct.attribute("charset")).map(str::to_string),
        encoding: part.content_transfer_encoding().unwrap_or("7bit").to_ascii_lowercase(),
        size: u32::try_from(body.len()).unwrap_or(u32::MAX),
        content_id: part.content_id().map(|id| id.trim_matches(['<', '>']).to_string()),
        filename: part.attachment_name().map(str::to_string),
    };

    let _ = header_fields(header);
    // With the part's own MIME header, and with none (the structure's description is used);
    // the second rendered only when it decodes differently.
    let with_header = decode_text(header, body, &described);
    if let Some(shown) = &with_header {
        render(shown);
    }
    let without_header = decode_text(b"", body, &described);
    if let Some(shown) = without_header.filter(|s| Some(s) != with_header.as_ref()) {
        render(&shown);
    }
    let _ = decode_binary(header, body);
    stream_decode(&described.encoding, body);

    match &part.body {
        PartType::Multipart(children) => {
            for (index, child) in children.iter().enumerate() {
                let child_section = if section.is_empty() {
                    (index + 1).to_string()
                } else {
                    format!("{section}.{}", index + 1)
                };
                let child = *child as usize;
                if child != id {
                    walk_part(message, child, &child_section, depth + 1, budget);
                }
            }
        }
        PartType::Message(inner) => walk_message(inner, &described.section, depth + 1, budget),
        _ => {}
    }
}

/// The save-to-disk decoder, fed in two pieces split where the data says.
fn stream_decode(encoding: &str, body: &[u8]) {
    let split = body.first().map_or(0, |b| *b as usize % (body.len() + 1));
    let mut decoder = StreamDecoder::new(encoding);
    let _ = decoder.push(&body[..split]);
    let _ = decoder.push(&body[split..]);
    let _ = decoder.finish();
}

// ------------------------------------------------------------------ IMAP responses

fn imap_responses(bytes: &[u8]) {
    let mut rest = bytes;
    for _ in 0..MAX_RESPONSES {
        if rest.is_empty() {
            break;
        }
        match Response::parse(rest) {
            Ok((remaining, response)) => {
                if let Response::Fetch(_, attributes) = &response {
                    fetch(attributes);
                }
                if remaining.len() >= rest.len() {
                    break;
                }
                rest = remaining;
            }
            // Skip the broken line, as a client resynchronising would.
            Err(_) => match rest.iter().position(|b| *b == b'\n') {
                Some(newline) => rest = &rest[newline + 1..],
                None => break,
            },
        }
    }
}

fn fetch(attributes: &[AttributeValue<'_>]) {
    let sections: Vec<(&SectionPath, &[u8])> = attributes
        .iter()
        .filter_map(|a| match a {
            AttributeValue::BodySection { section: Some(path), data: Some(data), .. } => {
                Some((path, data.as_ref()))
            }
            _ => None,
        })
        .collect();
    for attribute in attributes {
        let AttributeValue::BodyStructure(structure) = attribute else { continue };
        let _ = has_attachment(structure);
        let plan = layout(structure);
        let mut budget = MAX_PARTS;
        for part in plan.body.iter().chain(&plan.inline).chain(&plan.attachments) {
            if budget == 0 {
                break;
            }
            budget -= 1;
            let _ = structure_at(structure, &part.section);
            let _ = part_at(structure, &part.section);
            let _ = layout_within(structure, &part.section);
        }
        for section in ["1", "2", "1.1", "2.1", "2.2", "1.2.1", "0", "1.0", "", ".", "4294967296"] {
            let _ = structure_at(structure, section);
            let _ = part_at(structure, section);
            let _ = layout_within(structure, section);
        }
        let single = !matches!(structure, BodyStructure::Multipart { .. });
        // A whole message (`BODY[]`): its sections read out of it, as a small message opens.
        let whole = attributes.iter().find_map(|a| match a {
            AttributeValue::BodySection { section: None, data: Some(data), .. } => Some(data.as_ref()),
            _ => None,
        });
        if let Some(message) = whole {
            let _ = split_entity(message);
            let numbered = plan.body.iter().chain(&plan.inline).map(|p| p.section.as_str());
            for section in numbered.take(MAX_PARTS).chain(["1", "2", "1.1", "2.1", "1.2.1", "0", "", "4294967296"]) {
                if let Some(found) = locate(message, structure, section) {
                    assert!(found.body.len() <= message.len() && found.header.len() <= message.len());
                    if let Some(part) = plan.body.iter().find(|p| p.section == section)
                        && let Some(shown) = decode_text(found.header, found.body, part)
                    {
                        render(&shown);
                    }
                }
            }
        }
        // Decode what the server sent for each shown part, as the reader does.
        for part in plan.body.iter().take(MAX_PARTS) {
            let header = section_data(&sections, &part.section, true)
                .or_else(|| single.then(|| full_header(&sections)).flatten())
                .unwrap_or_default();
            if let Some(body) = section_data(&sections, &part.section, false)
                && let Some(shown) = decode_text(header, body, part)
            {
                render(&shown);
            }
        }
        for part in plan.inline.iter().take(MAX_PARTS) {
            if let (Some(header), Some(body)) =
                (section_data(&sections, &part.section, true), section_data(&sections, &part.section, false))
            {
                let _ = decode_binary(header, body);
            }
            if let Some(body) = section_data(&sections, &part.section, false) {
                stream_decode(&part.encoding, body);
            }
        }
    }
}

fn section_data<'a>(sections: &[(&SectionPath, &'a [u8])], section: &str, mime: bool) -> Option<&'a [u8]> {
    let numbers: Vec<u32> = section.split('.').map(|n| n.parse().ok()).collect::<Option<_>>()?;
    sections.iter().find_map(|(path, data)| match path {
        SectionPath::Part(p, None) if !mime && *p == numbers => Some(*data),
        SectionPath::Part(p, Some(MessageSection::Mime)) if mime && *p == numbers => Some(*data),
        _ => None,
    })
}

fn full_header<'a>(sections: &[(&SectionPath, &'a [u8])]) -> Option<&'a [u8]> {
    sections.iter().find_map(|(path, data)| match path {
        SectionPath::Full(MessageSection::Header) => Some(*data),
        _ => None,
    })
}

// ------------------------------------------------------------------ rendering

fn render(shown: &Shown) {
    match shown {
        Shown::Html(html) => sanitize_checked(html),
        Shown::Text(text) => plain_checked(text),
    }
}

/// The two ways a message is shown: everything off (remote content blocked, links keep their
/// own address, quotes open), and everything on (remote content loaded, quotes folded, links
/// routed through the app).
// `..Default::default()` keeps this building when RenderOptions gains a field.
#[allow(clippy::needless_update)]
fn options(everything_on: bool) -> RenderOptions {
    let known_cids: HashMap<String, String> =
        [("logo@example.com", "2"), ("<img1@x>", "1.2"), ("part1.abc@mail", "3")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    RenderOptions {
        allow_remote: everything_on,
        cid_base: CID_BASE.to_string(),
        known_cids,
        fold_quotes: everything_on,
        link_base: everything_on.then(|| LINK_BASE.to_string()),
        ..Default::default()
    }
}

fn sanitize_checked(html: &str) {
    snippet_checked(&snippet_from_html(html, SNIPPET_CHARS), html);
    for everything_on in [false, true] {
        let options = options(everything_on);
        let first = sanitize_html(html, &options);
        check_rendered(html, &first, &options, true);
        // Sanitizing the output again must hold up too (the app may re-render stored HTML).
        let second = sanitize_html(&first.html, &options);
        check_sanitized(&first.html, &second.html, &options);
        let _ = snippet_from_html(&first.html, SNIPPET_CHARS);
    }
    if strict() {
        // Without cid_base or link_base nothing is rewritten, and the policy says sanitizing
        // again leaves the HTML as it is.
        for allow_remote in [false, true] {
            let plain_options = RenderOptions { allow_remote, ..Default::default() };
            let once = sanitize_html(html, &plain_options);
            let twice = sanitize_html(&once.html, &plain_options);
            assert_eq!(once.html, twice.html, "sanitizing again changed the HTML\ninput: {html:?}");
        }
    }
}

fn plain_checked(text: &str) {
    snippet_checked(&snippet_from_text(text, SNIPPET_CHARS), text);
    // The text as it is in both ways of showing it, and decoded as format=flowed (DelSp as the
    // length says) in one of them.
    let delsp = text.len().is_multiple_of(2);
    let flowed = flowed::decode(text, delsp);
    let renderings = [(text, false), (text, true), (flowed.as_str(), delsp)];
    for (text, everything_on) in renderings {
        let options = options(everything_on);
        let html = plain_to_html(text, &options);
        check_rendered(text, &html, &options, false);
        let sanitized = sanitize_html(&html.html, &options);
        check_sanitized(&html.html, &sanitized.html, &options);
    }
    for text in [text, flowed.as_str()] {
        if strict() {
            let options = RenderOptions::default();
            let html = plain_to_html(text, &options);
            let sanitized = sanitize_html(&html.html, &options);
            assert_eq!(
                sanitized.html, html.html,
                "plain_to_html's output is not left unchanged by sanitize_html\ntext: {text:?}"
            );
        }
    }
}

fn snippet_checked(snippet: &str, input: &str) {
    assert!(
        snippet.chars().count() <= SNIPPET_CHARS,
        "snippet longer than {SNIPPET_CHARS} characters: {snippet:?}\ninput: {input:?}"
    );
    assert_eq!(snippet.trim_end(), snippet, "snippet ends in whitespace\ninput: {input:?}");
}

/// The checks on a fresh rendering: the HTML, and what is reported about it.
fn check_rendered(input: &str, rendered: &SanitizedHtml, options: &RenderOptions, html_input: bool) {
    if print() {
        eprintln!(
            "--- {} (remote {}, links routed {}, quotes folded {})\n{input}\n--- gives (blocked {}, pixels {}, links {:?})\n{}",
            if html_input { "sanitize_html" } else { "plain_to_html" },
            options.allow_remote,
            options.link_base.is_some(),
            options.fold_quotes,
            rendered.blocked_remote,
            rendered.tracking_pixels,
            rendered.links.iter().map(|l| l.href.as_str()).collect::<Vec<_>>(),
            rendered.html
        );
    }
    check_sanitized(input, &rendered.html, options);
    if options.allow_remote {
        assert_eq!(
            rendered.blocked_remote, 0,
            "remote content allowed, yet {} blocked\ninput: {input:?}",
            rendered.blocked_remote
        );
    }
    if !html_input {
        assert_eq!(
            rendered.blocked_remote + rendered.tracking_pixels,
            0,
            "plain text blocked something\ninput: {input:?}"
        );
    }
    for link in &rendered.links {
        assert!(allowed_link(&link.href), "link to {:?} listed\ninput: {input:?}", link.href);
    }
}

// ------------------------------------------------------------------ the checks

/// Elements the policy never lets through.
const FORBIDDEN_ELEMENTS: &[&str] = &[
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "meta", "link", "form",
    "input", "button", "select", "textarea", "option", "svg", "math", "template", "noembed", "noframes",
    "video", "audio", "canvas", "title",
];

/// Attributes whose value a browser follows as a URL.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "srcset",
    "background",
    "action",
    "formaction",
    "poster",
    "cite",
    "longdesc",
    "lowsrc",
    "dynsrc",
    "data",
    "codebase",
    "ping",
    "xlink:href",
    "manifest",
    "icon",
];

/// What a browser reads a URL attribute as: ASCII whitespace and control characters stripped
/// around it and tabs/newlines removed inside it (the URL parser does both), lower case.
fn url_key(value: &str) -> String {
    value
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect::<String>()
        .to_ascii_lowercase()
}

fn allowed_link(href: &str) -> bool {
    let key = url_key(href);
    ["http:", "https:", "mailto:", "tel:"].iter().any(|s| key.starts_with(s))
}

fn dangerous_scheme(key: &str) -> bool {
    ["javascript:", "vbscript:", "livescript:", "data:text", "data:application", "data:image/svg", "file:"]
        .iter()
        .any(|s| key.starts_with(s))
}

fn check_sanitized(input: &str, output: &str, options: &RenderOptions) {
    let allow_remote = options.allow_remote;
    let link_base = options.link_base.as_deref().filter(|b| !b.is_empty());
    let fail = |what: String| {
        panic!("sanitized output breaks the policy: {what}\ninput: {input:?}\noutput: {output:?}")
    };
    if output.to_ascii_lowercase().contains("<script") {
        fail("it contains `<script`".into());
    }
    let tokens = tokenize(output);
    let mut in_style = false;
    for token in &tokens {
        match token {
            Seen::Tag { start, name, attrs } => {
                if *start && FORBIDDEN_ELEMENTS.contains(&name.as_str()) {
                    fail(format!("element <{name}>"));
                }
                if name == "style" {
                    in_style = *start;
                }
                for (attr, value) in attrs {
                    if attr.starts_with("on") {
                        fail(format!("event handler attribute {attr}=\"{value}\" on <{name}>"));
                    }
                    if URL_ATTRIBUTES.contains(&attr.as_str()) {
                        let key = url_key(value);
                        let candidates: Vec<&str> = if attr == "srcset" {
                            key.split(',').map(str::trim).collect()
                        } else {
                            vec![&key]
                        };
                        for candidate in candidates {
                            if dangerous_scheme(candidate) {
                                fail(format!("{attr}=\"{value}\" on <{name}>"));
                            }
                            let remote = candidate.starts_with("http:")
                                || candidate.starts_with("https:")
                                || candidate.starts_with("//");
                            if remote && !allow_remote && attr != "href" && attr != "cite" {
                                fail(format!(
                                    "remote {attr}=\"{value}\" on <{name}> with remote content off"
                                ));
                            }
                        }
                        let routed = link_base.is_some_and(|base| {
                            value
                                .strip_prefix(base)
                                .is_some_and(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()))
                        });
                        if attr == "href" && !allowed_link(value) && !routed {
                            fail(format!("link href=\"{value}\""));
                        }
                    }
                    if attr == "style"
                        && let Some(bad) = css_problem(value, false, allow_remote)
                    {
                        fail(format!("style attribute with {bad}"));
                    }
                }
            }
            Seen::Text(text) if in_style => {
                if let Some(bad) = css_problem(text, true, allow_remote) {
                    fail(format!("<style> with {bad}"));
                }
            }
            Seen::Text(_) => {}
        }
    }
}

/// What the CSS policy never lets through, read with the CSS tokenizer browsers follow (so
/// escapes are undone and strings are strings): an `@import` rule (in a stylesheet, where a
/// statement starts), an `expression(...)`, a `behavior` or `-moz-binding` property (where a
/// declaration starts: in a style attribute or a `{}` block, not inside a function's or a
/// bracket's arguments, where `behavior:` is only text), a `url(...)` with a scheme other than
/// an image's, or a remote one while remote content is off.
fn css_problem(css: &str, stylesheet: bool, allow_remote: bool) -> Option<String> {
    let mut parser = CssParser::new(css);
    let mut problem = None;
    css_walk(&mut parser, stylesheet, !stylesheet, allow_remote, &mut problem, 0);
    problem
}

fn css_walk(
    parser: &mut CssParser<'_>,
    stylesheet: bool,
    declarations: bool,
    allow_remote: bool,
    problem: &mut Option<String>,
    depth: usize,
) {
    // The identifier that started the current declaration: followed by `:` it names a property.
    let mut previous_ident: Option<String> = None;
    // Whether a declaration may start here (at the start of a declaration list or after `;`).
    let mut declaration_start = declarations;
    // Whether a statement (a rule) may start here: only at the top of a stylesheet.
    let mut statement_start = stylesheet && depth == 0;
    while problem.is_none() {
        let Ok(token) = parser.next_including_whitespace_and_comments() else { return };
        let token = token.clone();
        let mut url: Option<String> = None;
        // A block to walk, and whether declarations start in it.
        let mut nested: Option<bool> = None;
        match &token {
            CssToken::AtKeyword(name) if statement_start && name.eq_ignore_ascii_case("import") => {
                *problem = Some("`@import`".into());
            }
            CssToken::Function(name) if name.eq_ignore_ascii_case("expression") => {
                *problem = Some("`expression(...)`".into());
            }
            CssToken::Colon => {
                if let Some(property) = previous_ident.as_deref()
                    && (property.eq_ignore_ascii_case("behavior")
                        || property.eq_ignore_ascii_case("-moz-binding"))
                {
                    *problem = Some(format!("the `{property}` property"));
                }
            }
            CssToken::UnquotedUrl(value) => url = Some(value.to_string()),
            CssToken::Function(name)
                if name.eq_ignore_ascii_case("url") || name.eq_ignore_ascii_case("src") =>
            {
                // url("...") and src("..."): the address is the first string inside.
                let _ = parser.parse_nested_block(|inner| -> Result<(), cssparser::ParseError<()>> {
                    while let Ok(t) = inner.next() {
                        if let CssToken::QuotedString(value) = t {
                            url = Some(value.to_string());
                            break;
                        }
                    }
                    Ok(())
                });
            }
            CssToken::Function(_) | CssToken::ParenthesisBlock | CssToken::SquareBracketBlock => {
                nested = Some(false)
            }
            CssToken::CurlyBracketBlock => nested = Some(true),
            _ => {}
        }
        if let Some(url) = url {
            let key = url_key(&url);
            let remote = key.starts_with("http:") || key.starts_with("https:") || key.starts_with("//");
            let image_data = ["data:image/png", "data:image/jpeg", "data:image/gif", "data:image/webp"]
                .iter()
                .any(|s| key.starts_with(s));
            let known = remote || image_data || key.starts_with(CID_BASE);
            if dangerous_scheme(&key) || (key.contains(':') && !known) {
                *problem = Some(format!("url({url:?})"));
            } else if remote && !allow_remote {
                *problem = Some(format!("remote url({url:?}) with remote content off"));
            }
        }
        if let Some(inner_declarations) = nested
            && depth < 32
        {
            let _ = parser.parse_nested_block(|inner| -> Result<(), cssparser::ParseError<()>> {
                css_walk(inner, false, inner_declarations, allow_remote, problem, depth + 1);
                Ok(())
            });
        }
        match token {
            CssToken::WhiteSpace(_) | CssToken::Comment(_) | CssToken::CDO | CssToken::CDC => {}
            CssToken::Ident(name) => {
                previous_ident = declaration_start.then(|| name.to_string());
                statement_start = false;
                declaration_start = false;
            }
            CssToken::Semicolon | CssToken::CurlyBracketBlock => {
                previous_ident = None;
                statement_start = stylesheet && depth == 0;
                declaration_start = declarations;
            }
            _ => {
                previous_ident = None;
                statement_start = false;
                declaration_start = false;
            }
        }
    }
}

/// What the tokenizer saw: tags (names and attributes lower case as HTML reads them) and text.
enum Seen {
    Tag { start: bool, name: String, attrs: Vec<(String, String)> },
    Text(String),
}

struct Collector(RefCell<Vec<Seen>>);

impl TokenSink for Collector {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut seen = self.0.borrow_mut();
        match token {
            Token::TagToken(tag) => {
                let name = tag.name.to_string();
                let start = tag.kind == TagKind::StartTag;
                let attrs = tag
                    .attrs
                    .iter()
                    .map(|a| {
                        let prefix = a.name.prefix.as_ref().map(|p| format!("{p}:")).unwrap_or_default();
                        (format!("{prefix}{}", a.name.local), a.value.to_string())
                    })
                    .collect();
                seen.push(Seen::Tag { start, name: name.clone(), attrs });
                // Switch the tokenizer to raw text where a browser's tree builder would.
                if start {
                    return match name.as_str() {
                        "style" | "xmp" | "iframe" | "noembed" | "noframes" => {
                            TokenSinkResult::RawData(RawKind::Rawtext)
                        }
                        "script" => TokenSinkResult::RawData(RawKind::ScriptData),
                        "title" | "textarea" => TokenSinkResult::RawData(RawKind::Rcdata),
                        "plaintext" => TokenSinkResult::Plaintext,
                        _ => TokenSinkResult::Continue,
                    };
                }
            }
            Token::CharacterTokens(text) => match seen.last_mut() {
                Some(Seen::Text(previous)) => previous.push_str(&text),
                _ => seen.push(Seen::Text(text.to_string())),
            },
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

fn tokenize(html: &str) -> Vec<Seen> {
    let tokenizer = Tokenizer::new(Collector(RefCell::new(Vec::new())), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.0.take()
}
