//! The three steps of [`super::sanitize_html`].
//!
//! 1. **ammonia** parses the message as a browser would and keeps only the allowed elements and
//!    attributes; its attribute filter applies the URL and CSS policy to every attribute.
//! 2. **A token pass** over ammonia's output (html5ever's tokenizer and serializer, the same
//!    ones ammonia uses) does what needs a whole element at once: it removes tracking pixels,
//!    replaces blocked remote images with placeholders, filters `<style>` sheets, collects the
//!    links with their text (routing them through the app when asked) and folds quoted text
//!    when asked.
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
use super::{BLOCKED_IMAGE_ATTRIBUTE as BLOCKED_ATTRIBUTE, Link, QUOTE_CLASS, RenderOptions, SanitizedHtml};

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
    // `type="cite"` marks a reply's quoted message, which may be folded.
    ("blockquote", &["type"]),
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

/// What the folded quoted text of an HTML message shows while it is closed.
const FOLD_SUMMARY: &str = "Show quoted text";

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
    let schemes: Vec<String> =
        policy.cid_base_scheme().into_iter().chain(policy.link_base_scheme()).collect();
    let schemes: Vec<&str> = schemes.iter().map(String::as_str).collect();
    let blocked_in_attributes = Arc::new(AtomicU32::new(0));

    let first =
        builder(&policy, &schemes, Pass::First, Arc::clone(&blocked_in_attributes)).clean(html).to_string();
    let rewritten = rewrite(&first, &policy, options.fold_quotes);
    let html = builder(&policy, &schemes, Pass::Last, Arc::new(AtomicU32::new(0)))
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
/// `own_schemes` are the schemes of the part base and the link base, which Tern's own URLs use.
fn builder<'a>(
    policy: &Arc<UrlPolicy>,
    own_schemes: &[&'a str],
    pass: Pass,
    blocked: Arc<AtomicU32>,
) -> Builder<'a> {
    let mut builder = Builder::empty();
    let mut schemes: HashSet<&'a str> = ["http", "https", "mailto", "tel", "cid", "data"].into();
    schemes.extend(own_schemes.iter().copied());
    // A link routed through the app opens from the app, not in a new window of the frame.
    let set_values: HashMap<&'a str, HashMap<&'a str, &'a str>> =
        if policy.routes_links() { HashMap::new() } else { [("a", [("target", "_blank")].into())].into() };
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
        .set_tag_attribute_values(set_values)
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
        // A routed link's real target is in its `title`, which the token pass checks.
        ("a", "href") if policy.is_routed(value) => Some(Cow::Borrowed(value)),
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
fn rewrite(html: &str, policy: &UrlPolicy, fold_quotes: bool) -> Rewritten {
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
            open: Vec::new(),
            quotes_open: 0,
            fold_quotes,
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
    /// The elements open at this point, outermost first.
    open: Vec<Frame>,
    /// How many of the open elements are quoted text (so a quote inside is not folded again).
    quotes_open: usize,
    /// Fold quoted text ([`RenderOptions::fold_quotes`]).
    fold_quotes: bool,
    result: Rewritten,
}

/// An open element, as the token pass tracks it.
#[derive(Debug)]
struct Frame {
    name: LocalName,
    /// It holds quoted text.
    quote: bool,
    /// The token pass opened a `<details>` around it, to be closed after it.
    folded: bool,
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
        let void = VOID_TAGS.contains(&&*tag.name);
        if tag.kind == TagKind::EndTag {
            match &*tag.name {
                "style" => self.close_style(policy),
                "a" => self.close_link(),
                _ => {}
            }
            if !void {
                // Writing to a Vec cannot fail.
                let _ = self.serializer.end_elem(name);
                self.close_element(&tag.name);
            }
            return TokenSinkResult::Continue;
        }
        if &*tag.name == "img" && !self.image(&mut tag, policy) {
            // A tracking pixel: not written at all.
            return TokenSinkResult::Continue;
        }
        if &*tag.name == "a" {
            self.open_link(&mut tag, policy);
        }
        let quote = is_quote(&tag);
        // Not inside a link either, whose text the summary would join.
        let folded = self.fold_quotes && self.quotes_open == 0 && self.link.is_none() && is_foldable(&tag);
        if folded {
            self.open_fold();
        }
        let attributes = tag.attrs.iter().map(|attribute| (&attribute.name, &*attribute.value));
        let _ = self.serializer.start_elem(name.clone(), attributes);
        if void {
            let _ = self.serializer.end_elem(name);
        } else {
            self.quotes_open += usize::from(quote);
            self.open.push(Frame { name: tag.name.clone(), quote, folded });
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

    /// Starts reading a link: decides its target, and routes it through the app when asked.
    /// A link whose target is refused loses its `href`.
    fn open_link(&mut self, tag: &mut Tag, policy: &UrlPolicy) {
        self.close_link();
        let Some(href) = attribute(tag, "href") else { return };
        // An already routed link (sanitizing again) goes where its title says, if the policy
        // allows that target.
        let target = if policy.is_routed(href) {
            attribute(tag, "title").and_then(|title| policy.link_url(title))
        } else {
            Some(href.to_owned())
        };
        let Some(target) = target else {
            // A forged routed link: neither its `href` nor the target its title claims stays.
            tag.attrs.retain(|attribute| !matches!(&*attribute.name.local, "href" | "title"));
            return;
        };
        if let Some(routed) = policy.routed_href(self.result.links.len()) {
            replace_attribute(tag, "href", &routed);
            replace_attribute(tag, "title", &target);
            tag.attrs.retain(|attribute| &*attribute.name.local != "target");
        }
        self.link = Some((target, String::new()));
    }

    /// Opens `<details class="tern-quote"><summary>Show quoted text</summary>` before a quote.
    fn open_fold(&mut self) {
        let class = QualName::new(None, ns!(), LocalName::from("class"));
        let details = QualName::new(None, ns!(html), LocalName::from("details"));
        let summary = QualName::new(None, ns!(html), LocalName::from("summary"));
        let _ = self.serializer.start_elem(details, [(&class, QUOTE_CLASS)].into_iter());
        let _ = self.serializer.start_elem(summary.clone(), std::iter::empty());
        let _ = self.serializer.write_text(FOLD_SUMMARY);
        let _ = self.serializer.end_elem(summary);
    }

    /// Follows an end tag: closes the element (and, ammonia's output being well formed, nothing
    /// else), and the `<details>` around it when it was folded.
    fn close_element(&mut self, name: &LocalName) {
        let Some(position) = self.open.iter().rposition(|frame| &frame.name == name) else { return };
        for frame in self.open.drain(position..).rev() {
            self.quotes_open -= usize::from(frame.quote);
            if frame.folded {
                let details = QualName::new(None, ns!(html), LocalName::from("details"));
                let _ = self.serializer.end_elem(details);
            }
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

/// Sets an attribute where it stands, or at the end when the element has none.
fn replace_attribute(tag: &mut Tag, name: &str, value: &str) {
    match tag.attrs.iter_mut().find(|attribute| &*attribute.name.local == name) {
        Some(attribute) => attribute.value = StrTendril::from_slice(value),
        None => tag.attrs.push(Attribute {
            name: QualName::new(None, ns!(), LocalName::from(name)),
            value: StrTendril::from_slice(value),
        }),
    }
}

/// Does this element hold quoted text: any `<blockquote>`, a Gmail quote, or a quote already
/// folded?
fn is_quote(tag: &Tag) -> bool {
    match &*tag.name {
        "blockquote" => true,
        "div" => has_class(tag, "gmail_quote"),
        "details" => has_class(tag, QUOTE_CLASS),
        _ => false,
    }
}

/// Is this element a reply's quoted message: `<blockquote type="cite">` (Apple Mail,
/// Thunderbird) or `<div class="gmail_quote">` (Gmail)?
fn is_foldable(tag: &Tag) -> bool {
    match &*tag.name {
        "blockquote" => attribute(tag, "type").is_some_and(|kind| kind.trim().eq_ignore_ascii_case("cite")),
        "div" => has_class(tag, "gmail_quote"),
        _ => false,
    }
}

fn has_class(tag: &Tag, class: &str) -> bool {
    attribute(tag, "class").is_some_and(|classes| classes.split_ascii_whitespace().any(|name| name == class))
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
