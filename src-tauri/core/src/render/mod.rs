//! Showing messages safely: THE policy for message HTML, and plain text as HTML.
//!
//! [`sanitize_html`] is the only way message HTML reaches the screen. It is pure (no I/O, no
//! Tauri) and deterministic: the same HTML and options always give the same result, and
//! sanitizing its HTML output again leaves it as it is. Parsing is never done by hand: [ammonia]
//! (html5ever, the HTML5 parsing algorithm browsers follow) decides what is an element, and
//! `cssparser` reads CSS. The output is meant for an isolated, script-less frame; the policy
//! keeps the message from running code, phoning home or posting data, not from styling itself.
//!
//! # The policy
//!
//! | What | Rule |
//! | --- | --- |
//! | Elements | Text-level and layout elements only (`p`, `div`, `span`, `table`, lists, headings, `a`, `img`, `font`, `center`, `style`, ...). Any other element is removed and its text kept. |
//! | Scripts | `<script>` is removed with its content, and so are `<title>`, `<template>`, `<noembed>` and `<noframes>`. |
//! | Event handlers | No `on*` attribute survives (only listed attributes do). |
//! | Forms | `<form>`, `<input>`, `<button>`, `<select>`, `<textarea>`, `<option>` are removed. |
//! | Embedded content | `<iframe>`, `<frame>`, `<frameset>`, `<object>`, `<embed>`, `<applet>`, `<svg>`, `<math>`, `<video>`, `<audio>`, `<canvas>` are removed. |
//! | `<base>`, `<meta>`, `<link>` | Removed: no base URL, no meta refresh, no external stylesheet. |
//! | Comments | Removed (including Outlook's conditional comments). |
//! | `style` attributes and `<style>` | Kept after the CSS filter: `@import` and every statement at-rule dropped; declarations dropped when they use `expression(...)`, `behavior`, `-moz-binding`, `javascript:`/`vbscript:`, or a URL the image rules below refuse. |
//! | Links (`<a href>`) | `http`, `https`, `mailto`, `tel` only (a protocol-relative link becomes `https`); anything else, relative URLs included, loses its `href`. Every link gets `target="_blank"` and `rel="noopener noreferrer"` and is listed in [`SanitizedHtml::links`]. |
//! | Misleading links | A link whose text reads as a web address on another site is flagged [`Link::mismatched_domain`]. |
//! | Images: `cid:` | Rewritten to [`RenderOptions::cid_base`] + the part id from [`RenderOptions::known_cids`]; an unknown Content-ID loses its `src`. |
//! | Images: `data:` | `data:image/png`, `jpeg`, `gif` and `webp` only; never SVG, never another type. |
//! | Images: remote (`http`, `https`, `//`) | Loaded only when [`RenderOptions::allow_remote`]. Otherwise the `src` (and `srcset`) is removed, the `<img>` stays with `data-tern-blocked=""` for the UI's placeholder, and it counts in [`SanitizedHtml::blocked_remote`]. |
//! | `srcset` | Kept only when every candidate is http(s), and then only when remote content is allowed. |
//! | `background` attributes, CSS `url(...)`, `image-set(...)` | Follow the image rules; a remote one is removed (and counted) unless remote content is allowed. |
//! | Tracking pixels | A remote image no bigger than 2×2 pixels (by `width`/`height` attributes or style) or hidden (`display:none`, `visibility:hidden`) is removed entirely, even when remote content is allowed, and counted in [`SanitizedHtml::tracking_pixels`]. |
//! | Other schemes | `javascript:`, `vbscript:`, `file:`, `ftp:`, non-image `data:` and anything unknown are removed wherever they appear, however they are written (`JaVaScRiPt:`, `java&#x09;script:`). |
//!
//! [`plain_to_html`] turns a plain-text body into HTML inside that same policy.

mod css;
mod links;
mod plain;
mod sanitize;
mod urls;

#[cfg(test)]
mod tests;

use std::collections::HashMap;

/// The attribute [`sanitize_html`] puts on an `<img>` whose remote source it removed, so that
/// the UI can show a placeholder (and offer to load remote content).
pub const BLOCKED_IMAGE_ATTRIBUTE: &str = "data-tern-blocked";

/// How a message is to be shown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// Load remote images, stylesheets' images and fonts. Off until the user allows it for this
    /// message or its sender.
    pub allow_remote: bool,
    /// The URL under which the shell serves this message's parts, ending in `/`; the part id is
    /// appended to it (e.g. `tern-part://localhost/<account>/<folder-id>/<uid>/`). Empty means
    /// `cid:` images cannot be shown.
    pub cid_base: String,
    /// The message's inline parts: Content-ID (with or without the angle brackets) to part id.
    pub known_cids: HashMap<String, String>,
}

/// Message HTML made safe to show, with what the policy did to it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SanitizedHtml {
    /// The HTML to show.
    pub html: String,
    /// Remote images, backgrounds and fonts not loaded because remote content is off: the number
    /// that allowing it would bring in. Zero when [`RenderOptions::allow_remote`] is set.
    pub blocked_remote: u32,
    /// Remote tracking pixels removed (hidden or at most 2×2 pixels), whatever the options.
    pub tracking_pixels: u32,
    /// Every link left in the HTML, in document order.
    pub links: Vec<Link>,
}

/// A link in a sanitized message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Link {
    /// Where it goes (http, https, mailto or tel).
    pub href: String,
    /// Its text, with runs of whitespace made single spaces.
    pub text: String,
    /// The text reads as a web address (`https://mybank.com`, `www.mybank.com`,
    /// `mybank.com/login`) on a different site than the one the link goes to.
    pub mismatched_domain: bool,
}

/// Makes message HTML safe to show, following the policy in the [module documentation](self).
pub fn sanitize_html(html: &str, options: &RenderOptions) -> SanitizedHtml {
    sanitize::sanitize(html, options)
}

/// Shows a plain-text body as HTML: everything escaped, http, https and mailto URLs (and bare
/// e-mail addresses) made links, lines starting with `>` wrapped in `<blockquote>`s nested by
/// depth, and line breaks and runs of spaces kept. The result is already within the policy:
/// [`sanitize_html`] leaves it unchanged. (Decoding `format=flowed` is the caller's business.)
pub fn plain_to_html(text: &str) -> String {
    plain::to_html(text)
}
