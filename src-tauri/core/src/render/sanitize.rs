//! The three steps of [`super::sanitize_html`].
//!
//! 1. **ammonia** parses the message as a browser would and keeps only the allowed elements and
//!    attributes; its attribute filter applies the URL and CSS policy to every attribute.
//! 2. **A token pass** over ammonia's output (html5ever's tokenizer and serializer, the same
//!    ones ammonia uses) does what needs a whole element at once: it removes tracking pixels,
//!    replaces blocked remote images with placeholders, filters `<style>` sheets and collects
//!    the links with their text.
//! 3. **ammonia again**, with the same policy, has the last word on what the second step wrote.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use ammonia::{Builder, UrlRelative};
use html5ever::serialize::{HtmlSerializer, SerializeOpts, Serializer, TraversalScope};
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use html5ever::{Attribute, LocalName, QualName, ns};

use super::css;
use super::links::mismatched_domain;
use super::urls::{ImageUrl, UrlPolicy, is_remote};
use super::{BLOCKED_IMAGE_ATTRIBUTE as BLOCKED_ATTRIBUTE, Link, RenderOptions, SanitizedHtml};

/// The elements a message may use. Everything else is removed (its text stays), except the
/// elements in [`DROPPED_WITH_CONTENT`], which go with everything inside them.
#[rustfmt::skip]
const ALLOWED_TAGS: &[&str] = &[
    "a", "abbr", "acronym", "address", "article", "aside", "b", "bdi", "bdo", "big", "blockquote",
    "br", "caption", "center", "cite", "code", "col", "colgroup", "dd", "del", "details", "dfn",
    "div", "dl", "dt", "em", "figcaption", "figure", "font", "footer", "h1", "h2", "h3", "h4", "h5",
    "h6", "header", "hgroup", "hr", "i", "img", "ins", "kbd", "li", "main", "mark", "nav", "ol",
    "p", "pre", "q", "rp", "rt", "ruby", "s", "samp", "section", "small", "span", "strike",
    "strong", "style", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "time", "tr", "tt", "u", "ul", "var", "wbr",
];

/// Elements removed together with their content: code, and a `<title>` whose text would
/// otherwise show up at the top of the message.
const DROPPED_WITH_CONTENT: &[&str] = &["script", "title", "template", "noembed", "noframes"];

/// Attributes allowed on every allowed element.
const GENERIC_ATTRIBUTES: &[&str] = &[
    "align", "bgcolor", "border", "class", "color", "dir", "height", "lang", "style", "title", "valign",
    "width",
];

/// Attributes allowed on particular elements, on top of [`GENERIC_ATTRIBUTES`].
const TAG_ATTRIBUTES: &[(&str, &[&str])] = &[
    ("a", &["href", "hreflang"]),
    ("img", &["src", "srcset", "alt", "hspace", "vspace", BLOCKED_ATTRIBUTE]),
    ("table", &["background", "cellpadding", "cellspacing", "summary", "frame", "rules"]),
    ("td", &["background", "colspan", "rowspan", "nowrap", "headers", "abbr", "scope"]),
    ("th", &["background", "colspan", "rowspan", "nowrap", "headers", "abbr", "scope"]),
    ("tr", &["background"]),
    ("thead", &["background"]),
    ("tbody", &["background"]),
    ("tfoot", &["background"]),
    ("col", &["span"]),
    ("colgroup", &["span"]),
    ("font", &["face", "size"]),
    ("hr", &["noshade", "size"]),
    ("ol", &["start", "type", "reversed"]),
    ("ul", &["type"]),
    ("li", &["value", "type"]),
    ("time", &["datetime"]),
    ("del", &["datetime"]),
    ("ins", &["datetime"]),
    ("details", &["open"]),
    ("bdo", &["dir"]),
];

/// Elements without an end tag, among the allowed ones.
const VOID_TAGS: &[&str] = &["br", "col", "hr", "img", "wbr"];

/// Which ammonia pass a policy is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Step 1: remote `<img>` sources are kept for the token pass to judge with the whole element
    /// in view.
    First,
    /// Step 3: a remote `<img>` source still present when remote content is off is removed.
    Last,
}

pub(super) fn sanitize(html: &str, options: &RenderOptions) -> SanitizedHtml {
    let policy = Arc::new(UrlPolicy::new(options));
    let cid_scheme = policy.cid_base_scheme();
    let blocked_in_attributes = Arc::new(AtomicU32::new(0));

    let first = builder(&policy, cid_scheme.as_deref(), Pass::First, Arc::clone(&blocked_in_attributes))
        .clean(html)
        .to_string();
    let rewritten = rewrite(&first, &policy);
    let html = builder(&policy, cid_scheme.as_deref(), Pass::Last, Arc::new(AtomicU32::new(0)))
        .clean(&rewritten.html)
        .to_string();

    SanitizedHtml {
        html,
        blocked_remote: blocked_in_attributes.load(Ordering::Relaxed) + rewritten.blocked_remote,
        tracking_pixels: rewritten.tracking_pixels,
        links: rewritten.links,
    }
}

/// The ammonia configuration: every list is set here, none is left at ammonia's defaults.
fn builder<'a>(
    policy: &Arc<UrlPolicy>,
    cid_scheme: Option<&'a str>,
    pass: Pass,
    blocked: Arc<AtomicU32>,
) -> Builder<'a> {
    let mut builder = Builder::empty();
    let mut schemes: HashSet<&'a str> = ["http", "https", "mailto", "tel", "cid", "data"].into();
    schemes.extend(cid_scheme);
    let tag_attributes: HashMap<&'a str, HashSet<&'a str>> =
        TAG_ATTRIBUTES.iter().map(|(tag, attributes)| (*tag, attributes.iter().copied().collect())).collect();
    let filter_policy = Arc::clone(policy);
    builder
        .tags(ALLOWED_TAGS.iter().copied().collect())
        .clean_content_tags(DROPPED_WITH_CONTENT.iter().copied().collect())
        .generic_attributes(GENERIC_ATTRIBUTES.iter().copied().collect())
        .generic_attribute_prefixes(HashSet::new())
        .tag_attributes(tag_attributes)
        .tag_attribute_values(HashMap::new())
        .set_tag_attribute_values([("a", [("target", "_blank")].into())].into())
        .allowed_classes(HashMap::new())
        .url_schemes(schemes)
        // Relative URLs reach the attribute filter, which refuses them (or, protocol-relative,
        // makes them https).
        .url_relative(UrlRelative::PassThrough)
        .link_rel(Some("noopener noreferrer"))
        .strip_comments(true)
        .id_prefix(None)
        .attribute_filter(move |element, attribute, value| {
            filter_attribute(&filter_policy, pass, &blocked, element, attribute, value)
        });
    builder
}

/// The policy for one attribute of an element. `None` removes the attribute.
fn filter_attribute<'u>(
    policy: &UrlPolicy,
    pass: Pass,
    blocked: &AtomicU32,
    element: &str,
    attribute: &str,
    value: &'u str,
) -> Option<Cow<'u, str>> {
    if !ALLOWED_TAGS.contains(&element) {
        // ammonia calls the filter for elements it then removes: nothing of theirs counts.
        return None;
    }
    match (element, attribute) {
        ("a", "href") => policy.link_url(value).map(Cow::Owned),
        ("img", "src") => match policy.image_url(value) {
            ImageUrl::Local(url) => Some(Cow::Owned(url)),
            ImageUrl::Remote(_) if pass == Pass::Last && !policy.allow_remote => None,
            ImageUrl::Remote(url) => Some(Cow::Owned(url)),
            ImageUrl::Refused => None,
        },
        ("img", "srcset") => {
            // Kept only when every candidate is an http(s) URL; the token pass decides on
            // remote content with the rest of the image.
            let all_remote = value
                .split(',')
                .map(|candidate| candidate.split_whitespace().next().unwrap_or(""))
                .all(|url| matches!(policy.image_url(url), ImageUrl::Remote(remote) if remote == url));
            let allowed = pass == Pass::First || policy.allow_remote;
            (all_remote && allowed).then_some(Cow::Borrowed(value))
        }
        (_, "background") => match policy.image_url(value) {
            ImageUrl::Local(url) => Some(Cow::Owned(url)),
            ImageUrl::Remote(url) if policy.allow_remote => Some(Cow::Owned(url)),
            ImageUrl::Remote(_) => {
                blocked.fetch_add(1, Ordering::Relaxed);
                None
            }
            ImageUrl::Refused => None,
        },
        (_, "style") => {
            let filtered = css::filter_declarations(value, policy);
            blocked.fetch_add(filtered.blocked_remote, Ordering::Relaxed);
            (!filtered.css.is_empty()).then_some(Cow::Owned(filtered.css))
        }
        _ => Some(Cow::Borrowed(value)),
    }
}

/// What the token pass found and wrote.
#[derive(Debug, Default)]
struct Rewritten {
    html: String,
    blocked_remote: u32,
    tracking_pixels: u32,
    links: Vec<Link>,
}

/// Step 2: re-reads ammonia's output token by token and writes it back with the changes that
/// need a whole element in view.
fn rewrite(html: &str, policy: &UrlPolicy) -> Rewritten {
    let sink = RewriteSink {
        policy,
        state: RefCell::new(RewriteState {
            serializer: HtmlSerializer::new(
                Vec::with_capacity(html.len()),
                SerializeOpts {
                    scripting_enabled: true,
                    traversal_scope: TraversalScope::ChildrenOnly(None),
                    // Never panic on an unbalanced end tag (ammonia's output has none).
                    create_missing_parent: true,
                },
            ),
            style: None,
            link: None,
            result: Rewritten::default(),
        }),
    };
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    // The sink never asks the tokenizer to pause for a script, so one feed reads everything.
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    let mut state = tokenizer.sink.state.into_inner();
    state.close_style(policy);
    state.close_link();
    let mut result = state.result;
    result.html = String::from_utf8_lossy(&state.serializer.writer).into_owned();
    result
}

struct RewriteSink<'p> {
    policy: &'p UrlPolicy,
    state: RefCell<RewriteState>,
}

struct RewriteState {
    serializer: HtmlSerializer<Vec<u8>>,
    /// The text of the `<style>` element being read, filtered when it closes.
    style: Option<String>,
    /// The link being read: its target and its text so far.
    link: Option<(String, String)>,
    result: Rewritten,
}

impl TokenSink for RewriteSink<'_> {
    type Handle = ();

    fn process_token(&self, token: Token, _line_number: u64) -> TokenSinkResult<()> {
        let mut state = self.state.borrow_mut();
        match token {
            Token::TagToken(tag) => return state.tag(tag, self.policy),
            Token::CharacterTokens(text) => state.text(&text),
            // Comments, doctypes and NUL characters: ammonia's output has none, and none is kept.
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

impl RewriteState {
    fn tag(&mut self, mut tag: Tag, policy: &UrlPolicy) -> TokenSinkResult<()> {
        let name = QualName::new(None, ns!(html), tag.name.clone());
        if tag.kind == TagKind::EndTag {
            match &*tag.name {
                "style" => self.close_style(policy),
                "a" => self.close_link(),
                _ => {}
            }
            if !VOID_TAGS.contains(&&*tag.name) {
                // Writing to a Vec cannot fail.
                let _ = self.serializer.end_elem(name);
            }
            return TokenSinkResult::Continue;
        }
        if &*tag.name == "img" && !self.image(&mut tag, policy) {
            // A tracking pixel: not written at all.
            return TokenSinkResult::Continue;
        }
        if &*tag.name == "a" {
            self.close_link();
            if let Some(href) = attribute(&tag, "href") {
                self.link = Some((href.to_owned(), String::new()));
            }
        }
        let attributes = tag.attrs.iter().map(|attribute| (&attribute.name, &*attribute.value));
        let _ = self.serializer.start_elem(name.clone(), attributes);
        if VOID_TAGS.contains(&&*tag.name) {
            let _ = self.serializer.end_elem(name);
        }
        if &*tag.name == "style" {
            self.style = Some(String::new());
            // As the tree builder would: a stylesheet is raw text up to `</style>`.
            return TokenSinkResult::RawData(RawKind::Rawtext);
        }
        TokenSinkResult::Continue
    }

    /// Applies the image rules. `false` removes the image (a tracking pixel).
    fn image(&mut self, tag: &mut Tag, policy: &UrlPolicy) -> bool {
        let remote_src = attribute(tag, "src").is_some_and(is_remote);
        let remote = remote_src || attribute(tag, "srcset").is_some();
        if remote && is_tracking_pixel(tag) {
            self.result.tracking_pixels += 1;
            return false;
        }
        if remote && !policy.allow_remote {
            tag.attrs.retain(|attribute| !matches!(&*attribute.name.local, "src" | "srcset"));
            set_attribute(tag, BLOCKED_ATTRIBUTE, "");
            self.result.blocked_remote += 1;
            return true;
        }
        // The placeholder mark belongs only to an image that has no source.
        if attribute(tag, "src").is_some() || attribute(tag, "srcset").is_some() {
            tag.attrs.retain(|attribute| &*attribute.name.local != BLOCKED_ATTRIBUTE);
        } else if attribute(tag, BLOCKED_ATTRIBUTE).is_some() {
            set_attribute(tag, BLOCKED_ATTRIBUTE, "");
        }
        true
    }

    fn text(&mut self, text: &str) {
        if let Some(style) = &mut self.style {
            style.push_str(text);
            return;
        }
        if let Some((_, link_text)) = &mut self.link {
            link_text.push_str(text);
        }
        let _ = self.serializer.write_text(text);
    }

    fn close_style(&mut self, policy: &UrlPolicy) {
        if let Some(style) = self.style.take() {
            let filtered = css::filter_stylesheet(&style, policy);
            self.result.blocked_remote += filtered.blocked_remote;
            let _ = self.serializer.write_text(&filtered.css);
        }
    }

    fn close_link(&mut self) {
        if let Some((href, text)) = self.link.take() {
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            let mismatched_domain = mismatched_domain(&href, &text);
            self.result.links.push(Link { href, text, mismatched_domain });
        }
    }
}

fn attribute<'t>(tag: &'t Tag, name: &str) -> Option<&'t str> {
    tag.attrs.iter().find(|attribute| &*attribute.name.local == name).map(|attribute| &*attribute.value)
}

fn set_attribute(tag: &mut Tag, name: &str, value: &str) {
    tag.attrs.retain(|attribute| &*attribute.name.local != name);
    tag.attrs.push(Attribute {
        name: QualName::new(None, ns!(), LocalName::from(name)),
        value: StrTendril::from_slice(value),
    });
}

/// A remote image that is hidden, or no bigger than 2×2 pixels, is there to report that the
/// message was opened.
fn is_tracking_pixel(tag: &Tag) -> bool {
    let hints = attribute(tag, "style").map(css::box_hints).unwrap_or_default();
    if hints.hidden {
        return true;
    }
    let width = smallest(attribute(tag, "width").and_then(html_length), hints.width);
    let height = smallest(attribute(tag, "height").and_then(html_length), hints.height);
    let tiny = |size: Option<f32>| size.is_none_or(|size| size <= 2.0);
    (width.is_some() || height.is_some()) && tiny(width) && tiny(height)
}

fn smallest(a: Option<f32>, b: Option<f32>) -> Option<f32> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// A `width`/`height` attribute in pixels: leading digits, optionally followed by `px`.
/// Percentages say nothing about the pixel size.
fn html_length(value: &str) -> Option<f32> {
    let value = value.trim();
    let digits = value.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(value.len());
    let (number, unit) = value.split_at(digits);
    if !(unit.is_empty() || unit.eq_ignore_ascii_case("px")) {
        return None;
    }
    number.parse().ok()
}
