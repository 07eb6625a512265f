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
//! | Links (`<a href>`) | `http`, `https`, `mailto`, `tel` only (a protocol-relative link becomes `https`); anything else, relative URLs and in-page `#anchors` included, loses its `href`. Every link gets `target="_blank"` and `rel="noopener noreferrer"` and is listed in [`SanitizedHtml::links`]. |
//! | Links routed through the app | With [`RenderOptions::link_base`], every link's `href` becomes the link base followed by its index in [`SanitizedHtml::links`], its `title` shows where it really goes, and it has no `target`. |
//! | Misleading links | A link whose text reads as a web address on another site is flagged [`Link::mismatched_domain`]. |
//! | Images: `cid:` | Rewritten to [`RenderOptions::cid_base`] + the part id from [`RenderOptions::known_cids`]; an unknown Content-ID loses its `src`. |
//! | Images: `data:` | `data:image/png`, `jpeg`, `gif` and `webp` only; never SVG, never another type. |
//! | Images: remote (`http`, `https`, `//`) | Loaded only when [`RenderOptions::allow_remote`]. Otherwise the `src` (and `srcset`) is removed, the `<img>` stays with `data-tern-blocked=""` for the UI's placeholder, and it counts in [`SanitizedHtml::blocked_remote`]. |
//! | `srcset` | Kept only when every candidate is http(s), and then only when remote content is allowed. |
//! | `background` attributes, CSS `url(...)`, `image-set(...)` | Follow the image rules; a remote one is removed (and counted) unless remote content is allowed. |
//! | Tracking pixels | A remote image no bigger than 2×2 pixels (by `width`/`height` attributes or style) or hidden (`display:none`, `visibility:hidden`) is removed entirely, even when remote content is allowed, and counted in [`SanitizedHtml::tracking_pixels`]. |
//! | Quoted text | With [`RenderOptions::fold_quotes`], a reply's quoted message (`<blockquote type="cite">`, `<div class="gmail_quote">`) not inside another quote is wrapped in a closed `<details class="tern-quote">` with a `<summary>` to open it. |
//! | Other schemes | `javascript:`, `vbscript:`, `file:`, `ftp:`, non-image `data:` and anything unknown are removed wherever they appear, however they are written (`JaVaScRiPt:`, `java&#x09;script:`). |
//!
//! [`plain_to_html`] turns a plain-text body into HTML inside that same policy ([`flowed`]
//! decodes `format=flowed` text first), and [`snippet_from_html`] and [`snippet_from_text`]
//! give the first words of a message for the message list.

mod css;
pub mod flowed;
mod links;
mod plain;
mod sanitize;
mod snippet;
mod urls;

#[cfg(test)]
mod tests;

use std::collections::HashMap;

/// The attribute [`sanitize_html`] puts on an `<img>` whose remote source it removed, so that
/// the UI can show a placeholder (and offer to load remote content).
pub const BLOCKED_IMAGE_ATTRIBUTE: &str = "data-tern-blocked";

/// The class of the `<details>` element that folds quoted text away
/// ([`RenderOptions::fold_quotes`], and long quotes in [`plain_to_html`]). Its `<summary>` says
/// "Show quoted text"; the quote itself is the `<blockquote>` (or Gmail's `<div>`) inside.
pub const QUOTE_CLASS: &str = "tern-quote";

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
    /// Fold a reply's quoted message away behind a "Show quoted text" summary (a closed
    /// `<details>` of class [`QUOTE_CLASS`], which opens without scripts).
    pub fold_quotes: bool,
    /// Route links through the app: when set, every link's `href` becomes this base followed by
    /// the link's index in [`SanitizedHtml::links`] (e.g. `tern-part://localhost/link/<token>/3`),
    /// and its `title` shows the real target. The app looks the index up and opens the link
    /// itself, after whatever checks it makes. Unset (or empty), links keep their own `href`.
    pub link_base: Option<String>,
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
    /// Every link left in the HTML, in document order: with [`RenderOptions::link_base`], the
    /// link whose `href` ends in `i` is `links[i]`.
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

/// Shows a plain-text body as HTML: one `<pre class="tern-plain">` (which the reader's
/// stylesheet wraps with `white-space: pre-wrap` in the body font) with everything escaped,
/// http, https and mailto URLs (and bare e-mail addresses) made links, lines starting with `>`
/// wrapped in `<blockquote>`s nested by depth, and line breaks (as `<br>`) and runs of spaces
/// kept. A quote of four lines or more (counted from where it starts at the top level to where
/// the text is no longer quoted) is folded away in a closed `<details class="tern-quote">`
/// whose summary says how many lines it holds ("Show quoted text (6 lines)").
///
/// Of the options, only [`RenderOptions::link_base`] matters: links are routed through the app
/// as in [`sanitize_html`]. Every link is listed in [`SanitizedHtml::links`] (never flagged as
/// misleading: its text is its address); nothing is ever blocked.
///
/// The result is already within the policy: [`sanitize_html`] with the same options leaves it
/// unchanged. Decode `format=flowed` text with [`flowed::decode`] first.
pub fn plain_to_html(text: &str, options: &RenderOptions) -> SanitizedHtml {
    plain::to_html(text, options)
}

/// The first words a person reads in an HTML message, for the message list: the visible text
/// (not the head, title, styles, scripts or templates), entities decoded, whitespace made
/// single spaces and zero-width padding dropped, at most `max_chars` characters, without
/// trailing whitespace.
pub fn snippet_from_html(html: &str, max_chars: usize) -> String {
    snippet::from_html(html, max_chars)
}

/// The first words a person reads in a plain-text message, for the message list: quoted lines
/// (`>`) and the signature (from a `-- ` line on) left out, whitespace made single spaces, at
/// most `max_chars` characters, without trailing whitespace.
pub fn snippet_from_text(text: &str, max_chars: usize) -> String {
    snippet::from_text(text, max_chars)
}
