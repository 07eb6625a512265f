//! Which URLs a message may use, and what they become.
//!
//! One place decides for HTML attributes and CSS alike, so `<img src>`, `background` and
//! `url(...)` in a stylesheet can never disagree.

use std::collections::HashMap;

use url::Url;

use super::RenderOptions;

/// What the policy makes of a URL that would load an image (or a font or stylesheet resource).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ImageUrl {
    /// Loads nothing from the network: a known `cid:` part (already rewritten), an inline
    /// `data:image/...` of a raster type, or a URL that is already under the part base.
    Local(String),
    /// Loads from the network (http or https; a protocol-relative URL has become https). Kept only
    /// when remote content is allowed.
    Remote(String),
    /// Never loaded: dangerous or meaningless (javascript:, file:, other data:, relative, unknown
    /// cid, ftp, ...).
    Refused,
}

/// The per-message policy: the options, prepared for quick decisions.
#[derive(Debug)]
pub(super) struct UrlPolicy {
    pub(super) allow_remote: bool,
    cid_base: String,
    known_cids: HashMap<String, String>,
    /// [`RenderOptions::link_base`], when it is set and not empty.
    link_base: Option<String>,
}

/// The raster types a `data:` image may have. SVG is left out on purpose: it is a document that
/// can carry scripts and links of its own.
const DATA_IMAGE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/jpg", "image/gif", "image/webp"];

impl UrlPolicy {
    pub(super) fn new(options: &RenderOptions) -> Self {
        let known_cids =
            options.known_cids.iter().map(|(cid, part)| (normalize_cid(cid), part.clone())).collect();
        let link_base = options.link_base.clone().filter(|base| !base.is_empty());
        Self { allow_remote: options.allow_remote, cid_base: options.cid_base.clone(), known_cids, link_base }
    }

    /// The scheme of the link base, which must pass ammonia's scheme check so that routed links
    /// survive the last pass and a second sanitizing.
    pub(super) fn link_base_scheme(&self) -> Option<String> {
        Url::parse(self.link_base.as_deref()?).ok().map(|url| url.scheme().to_owned())
    }

    /// Whether links are routed through the app ([`RenderOptions::link_base`]).
    pub(super) fn routes_links(&self) -> bool {
        self.link_base.is_some()
    }

    /// Is this `href` one the policy wrote: the link base followed by a link's index?
    pub(super) fn is_routed(&self, href: &str) -> bool {
        self.link_base.as_deref().and_then(|base| href.strip_prefix(base)).is_some_and(|index| {
            !index.is_empty() && index.len() <= 10 && index.bytes().all(|byte| byte.is_ascii_digit())
        })
    }

    /// The `href` of the link at `index` in [`super::SanitizedHtml::links`], when links are
    /// routed through the app.
    pub(super) fn routed_href(&self, index: usize) -> Option<String> {
        self.link_base.as_deref().map(|base| format!("{base}{index}"))
    }

    /// The scheme of the part base (`tern-part`), which must pass ammonia's scheme check so
    /// that rewritten `cid:` images survive a second sanitizing.
    pub(super) fn cid_base_scheme(&self) -> Option<String> {
        Url::parse(&self.cid_base).ok().map(|url| url.scheme().to_owned())
    }

    /// Decides an image-like URL (`<img src>`, `background`, CSS `url(...)`).
    pub(super) fn image_url(&self, raw: &str) -> ImageUrl {
        let cleaned = clean(raw);
        if !self.cid_base.is_empty()
            && let Some(segment) = cleaned.strip_prefix(&self.cid_base)
        {
            // Already rewritten (sanitizing again): one part of this message, no more.
            return if is_part_segment(segment) { ImageUrl::Local(cleaned) } else { ImageUrl::Refused };
        }
        if let Some(rest) = strip_prefix_ignore_case(&cleaned, "cid:") {
            let segment =
                self.known_cids.get(&normalize_cid(&percent_decode(rest))).map(|part| percent_encode(part));
            return match segment {
                Some(segment) if !self.cid_base.is_empty() && is_part_segment(&segment) => {
                    ImageUrl::Local(format!("{}{segment}", self.cid_base))
                }
                _ => ImageUrl::Refused,
            };
        }
        if let Some(rest) = strip_prefix_ignore_case(&cleaned, "data:") {
            let media_type = rest.split([';', ',']).next().unwrap_or("").trim().to_ascii_lowercase();
            return if DATA_IMAGE_TYPES.contains(&media_type.as_str()) && rest.contains(',') {
                ImageUrl::Local(cleaned)
            } else {
                ImageUrl::Refused
            };
        }
        match remote_url(&cleaned) {
            Some(url) => ImageUrl::Remote(url),
            None => ImageUrl::Refused,
        }
    }

    /// Decides a link target (`<a href>`): http, https, mailto and tel only. A protocol-relative
    /// link becomes https; anything else (relative, javascript:, data:, file:, ...) is refused.
    pub(super) fn link_url(&self, raw: &str) -> Option<String> {
        let cleaned = clean(raw);
        if is_protocol_relative(&cleaned) {
            return remote_url(&cleaned);
        }
        let url = Url::parse(&cleaned).ok()?;
        match url.scheme() {
            "http" | "https" | "mailto" | "tel" => Some(raw.to_owned()),
            _ => None,
        }
    }
}

/// Is this URL (already decided to be an image URL) one that loads from the network?
pub(super) fn is_remote(raw: &str) -> bool {
    remote_url(&clean(raw)).is_some()
}

/// The URL as a browser reads it: no leading or trailing spaces or control characters, no tabs
/// or line breaks anywhere (`java&#x09;script:` is `javascript:`).
fn clean(raw: &str) -> String {
    raw.trim_matches(|c: char| c <= ' ').chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect()
}

/// `//host/path` or `\\host\path`: the browser fills in the scheme of the page.
fn is_protocol_relative(cleaned: &str) -> bool {
    let mut chars = cleaned.chars();
    matches!((chars.next(), chars.next()), (Some('/' | '\\'), Some('/' | '\\')))
}

/// An http or https URL (a protocol-relative one made https), or nothing.
fn remote_url(cleaned: &str) -> Option<String> {
    if is_protocol_relative(cleaned) {
        let url = Url::parse(&format!("https:{cleaned}")).ok()?;
        return url.host_str().is_some().then(|| url.to_string());
    }
    let url = Url::parse(cleaned).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| cleaned.to_owned())
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &text[prefix.len()..])
}

/// One path segment as [`percent_encode`] writes it, and not one that climbs out of the
/// message's directory (`..`, `%2e%2e`).
fn is_part_segment(segment: &str) -> bool {
    let decoded = percent_decode(segment);
    !segment.is_empty()
        && segment
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'%'))
        && decoded != "."
        && decoded != ".."
}

/// A Content-ID as a lookup key: without the angle brackets of the header form.
fn normalize_cid(cid: &str) -> String {
    let trimmed = cid.trim();
    trimmed.strip_prefix('<').and_then(|rest| rest.strip_suffix('>')).unwrap_or(trimmed).to_owned()
}

/// `cid:` URLs carry the Content-ID percent-encoded (RFC 2392).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if byte == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(value) = u8::from_str_radix(hex, 16)
        {
            out.push(value);
            i += 3;
            continue;
        }
        out.push(byte);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A part id as a URL path segment: everything but unreserved characters percent-encoded.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
