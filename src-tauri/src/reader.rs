//! Showing a message safely: the `tern-part` URI scheme.
//!
//! A message is never put into the app's own document. [`open_message`] sanitizes its HTML in
//! Rust ([`tern_core::render`]) and registers the result under an unguessable token; the UI
//! shows it in an `<iframe sandbox>` (no scripts, opaque origin) whose `src` is
//! `tern-part://localhost/view/<token>` (`http://tern-part.localhost/...` on Windows). This
//! scheme serves that document with its own Content-Security-Policy header (no scripts, no
//! frames, no forms, images only from this scheme and `data:` unless the user loaded remote
//! content for this message) and the message's inline images under `/part/<token>`. Tokens are
//! random, so one message cannot reach another message's parts; the registry keeps the last
//! [`MAX_VIEWS`] views.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use tauri::http::{Request, Response, StatusCode, header};
use tauri::{Emitter, Manager, Runtime, UriSchemeContext};
use tern_core::imap::content::{MessageContent, Shown};
use tern_core::render::{RenderOptions, plain_to_html, sanitize_html};
use tern_core::settings::Theme;

use crate::AppState;
use crate::dto::{LinkActivated, MessageAttachment, MessageLink, MessageView};

/// Event name of [`LinkActivated`].
pub const LINK_ACTIVATED: &str = "link-activated";

/// The URI scheme.
pub const SCHEME: &str = "tern-part";

/// Views kept for the iframe (and their images).
pub const MAX_VIEWS: usize = 64;

/// The base URL of the scheme as the WebView on this platform spells it.
pub fn base_url() -> &'static str {
    if cfg!(any(windows, target_os = "android")) {
        "http://tern-part.localhost/"
    } else {
        "tern-part://localhost/"
    }
}

/// What a token stands for.
#[derive(Debug, Clone)]
enum Entry {
    /// A sanitized message document, its CSP, its URL and its links (by their index in the
    /// document's `link/<token>/<index>` URLs).
    View { html: String, csp: String, url: String, links: Vec<MessageLink> },
    /// An inline image.
    Part { mime: String, bytes: Vec<u8> },
}

/// Entries by token, and the tokens of each view in the order they were made.
type Registry = (HashMap<String, Entry>, VecDeque<Vec<String>>);

/// The registry of tokens.
#[derive(Debug, Default)]
pub struct Views {
    entries: Mutex<Registry>,
}

fn token() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

impl Views {
    /// Registers the entries of one view, forgetting the oldest views beyond [`MAX_VIEWS`].
    fn insert(&self, entries: Vec<(String, Entry)>) {
        let mut guard = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let (map, order) = &mut *guard;
        order.push_back(entries.iter().map(|(token, _)| token.clone()).collect());
        map.extend(entries);
        while order.len() > MAX_VIEWS {
            for old in order.pop_front().unwrap_or_default() {
                map.remove(&old);
            }
        }
    }

    fn get(&self, token: &str) -> Option<Entry> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).0.get(token).cloned()
    }
}

/// The CSP of a message document.
fn document_csp(allow_remote: bool) -> String {
    let remote = if allow_remote { " https: http:" } else { "" };
    // The only frame is Tern's own hidden one that link clicks load into.
    format!(
        "default-src 'none'; img-src {SCHEME}: http://tern-part.localhost data:{remote}; \
         style-src 'unsafe-inline'{remote}; font-src data:{remote}; media-src 'none'; \
         script-src 'none'; frame-src {SCHEME}: http://tern-part.localhost; form-action 'none'; base-uri 'none'"
    )
}

/// Name of the hidden frame inside a message document that link clicks load into, so the
/// message itself never navigates away (a sandboxed document may navigate its own frames).
const LINK_FRAME: &str = "tern-links";

/// Styles every message document starts with (the message's own styles come after).
const BASE_STYLE: &str = "body{margin:0;padding:16px 20px;font:15px/1.5 system-ui,sans-serif;\
    color:#1d1d1f;background:#fff;word-wrap:break-word;overflow-wrap:anywhere}\
    img{max-width:100%;height:auto}[data-tern-blocked]{display:inline-block;min-width:16px;\
    min-height:16px;background:#eee;border:1px dashed #bbb}\
    blockquote{margin:0 0 0 .6em;padding-left:.8em;border-left:3px solid #ccc;color:#555}\
    pre.tern-plain{white-space:pre-wrap;font:inherit;margin:0}hr.tern-part{border:0;border-top:1px solid #ddd}\
    body.tern-monospace pre.tern-plain{font:13px/1.45 ui-monospace,\"SF Mono\",Menlo,Consolas,\"DejaVu Sans Mono\",monospace}\
    details.tern-quote{margin:.4em 0}details.tern-quote>summary{cursor:pointer;color:#666;font-size:.9em;\
    list-style:none;display:inline-block;padding:0 .5em;border:1px solid #ccc;border-radius:8px}\
    details.tern-quote>summary::-webkit-details-marker{display:none}details.tern-quote[open]>summary{margin-bottom:.4em}p.tern-note{color:#666;font-style:italic}";

/// The dark colours of a plain-text message (an HTML message keeps the light page its sender
/// designed it for).
const DARK_TEXT_STYLE: &str = "body.tern-text{color:#e4e4e7;background:#1c1c1f}body.tern-text a{color:#8ab4f8}\
    body.tern-text blockquote{border-left-color:#555;color:#a1a1aa}body.tern-text hr.tern-part{border-top-color:#3f3f46}\
    body.tern-text details.tern-quote>summary{color:#a1a1aa;border-color:#52525b}body.tern-text p.tern-note{color:#a1a1aa}";

/// How a message is shown.
#[derive(Debug, Clone, Copy, Default)]
pub struct ViewOptions {
    /// Remote images, styles and fonts load.
    pub allow_remote: bool,
    /// ... because the user always allows them for this sender.
    pub remote_allowed_for_sender: bool,
    /// Plain text in a fixed-width font.
    pub monospace: bool,
    /// The app's theme: plain text follows it (dark, light, or the system's setting).
    pub theme: Theme,
}

/// Builds the view of a message and registers it; returns what the reader shows.
pub fn build_view(views: &Views, content: &MessageContent, view: ViewOptions) -> MessageView {
    let base = base_url();
    let mut parts = Vec::new();
    let mut cids = HashMap::new();
    for image in &content.inline {
        let t = token();
        cids.insert(image.content_id.clone(), t.clone());
        parts.push((t, Entry::Part { mime: image.mime.clone(), bytes: image.bytes.clone() }));
    }
    let t = token();
    let url = format!("{base}view/{t}");
    let mut options = RenderOptions {
        allow_remote: view.allow_remote,
        cid_base: format!("{base}part/"),
        known_cids: cids,
        fold_quotes: true,
        link_base: None,
    };
    let mut body = String::new();
    let (mut blocked, mut pixels, mut links) = (0, 0, Vec::<MessageLink>::new());
    for (i, shown) in content.shown.iter().enumerate() {
        if i > 0 {
            body.push_str("<hr class=\"tern-part\">");
        }
        // Links are numbered across the parts: part `i`'s link `n` is `link/<token>/i/n`.
        options.link_base = Some(format!("{base}link/{t}/{i}/"));
        let clean = match shown {
            Shown::Html(html) => sanitize_html(html, &options),
            Shown::Text(text) => plain_to_html(text, &options),
        };
        blocked += clean.blocked_remote;
        pixels += clean.tracking_pixels;
        links.extend(clean.links.into_iter().enumerate().map(|(n, l)| MessageLink {
            href: l.href,
            text: l.text,
            mismatched_domain: l.mismatched_domain,
            id: format!("{i}/{n}"),
        }));
        body.push_str(&clean.html);
    }
    if content.shown.is_empty() {
        // Never a blank page without a word: say why there is nothing to read.
        body.push_str(if content.problems.is_empty() {
            "<p class=\"tern-note\">This message has no text to show. Its attachments are listed above the message.</p>"
        } else {
            "<p class=\"tern-note\">This message's text could not be shown; what went wrong is noted above the message.</p>"
        });
    }
    let csp = document_csp(view.allow_remote);
    let plain = content.shown.iter().all(|s| matches!(s, Shown::Text(_)));
    let classes: Vec<&str> = [(view.monospace, "tern-monospace"), (plain, "tern-text")]
        .iter()
        .filter(|c| c.0)
        .map(|c| c.1)
        .collect();
    let class = if classes.is_empty() { String::new() } else { format!(" class=\"{}\"", classes.join(" ")) };
    let dark = match view.theme {
        Theme::Light => String::new(),
        Theme::Dark => DARK_TEXT_STYLE.to_string(),
        Theme::System => format!("@media (prefers-color-scheme: dark){{{DARK_TEXT_STYLE}}}"),
    };
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"referrer\" content=\"no-referrer\">\
         <base target=\"{LINK_FRAME}\"><style>{BASE_STYLE}{dark}</style></head><body{class}>{body}\
         <iframe name=\"{LINK_FRAME}\" hidden title=\"\" src=\"about:blank\"></iframe></body></html>"
    );
    let mut entries = vec![(t, Entry::View { html, csp, url: url.clone(), links: links.clone() })];
    entries.extend(parts);
    views.insert(entries);
    MessageView {
        url,
        blocked_remote: blocked,
        tracking_pixels: pixels,
        links,
        attachments: content
            .attachments
            .iter()
            .map(|a| MessageAttachment {
                section: a.section.clone(),
                filename: a.filename.clone(),
                mime: a.mime.clone(),
                size: a.decoded_size(),
            })
            .collect(),
        problems: content.problems.clone(),
        remote_allowed_for_sender: view.remote_allowed_for_sender,
        monospace: view.monospace,
    }
}

/// The link a `link/<token>/<part>/<n>` URL stands for, and the URL of its document.
fn link_of(views: &Views, rest: &str) -> Option<(String, MessageLink)> {
    let (token, id) = rest.split_once('/')?;
    let Some(Entry::View { url, links, .. }) = views.get(token) else { return None };
    links.into_iter().find(|l| l.id == id).map(|l| (url, l))
}

fn respond(status: StatusCode, mime: &str, csp: Option<&str>, body: Vec<u8>) -> Response<Cow<'static, [u8]>> {
    let mut builder = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, mime)
        .header("X-Content-Type-Options", "nosniff")
        .header(header::CACHE_CONTROL, "no-store");
    if let Some(csp) = csp {
        builder = builder.header("Content-Security-Policy", csp);
    }
    let empty: &'static [u8] = &[];
    builder.body(Cow::Owned(body)).unwrap_or_else(|_| Response::new(Cow::Borrowed(empty)))
}

/// The `tern-part` scheme handler.
pub fn handle<R: Runtime>(
    ctx: UriSchemeContext<'_, R>,
    request: Request<Vec<u8>>,
) -> Response<Cow<'static, [u8]>> {
    let Some(state) = ctx.app_handle().try_state::<AppState>() else {
        return respond(StatusCode::SERVICE_UNAVAILABLE, "text/plain", None, b"starting".to_vec());
    };
    let path = request.uri().path().trim_start_matches('/');
    let (kind, token) = path.split_once('/').unwrap_or(("", ""));
    if kind == "link" {
        // A click on a link in a message: the reader decides (it asks first when the link's
        // text shows another address).
        if let Some((view_url, link)) = link_of(&state.views, token) {
            let activated = LinkActivated {
                view_url,
                href: link.href,
                text: link.text,
                mismatched_domain: link.mismatched_domain,
            };
            if let Err(e) = ctx.app_handle().emit(LINK_ACTIVATED, activated) {
                tracing::debug!(error = %e, "could not pass a link click to the window");
            }
        }
        // Loaded into the document's hidden frame: the message stays where it is.
        return respond(StatusCode::OK, "text/plain", Some("default-src 'none'"), Vec::new());
    }
    match (kind, state.views.get(token)) {
        ("view", Some(Entry::View { html, csp, .. })) => {
            respond(StatusCode::OK, "text/html; charset=utf-8", Some(&csp), html.into_bytes())
        }
        ("part", Some(Entry::Part { mime, bytes })) => {
            // Only images are served inline; anything else would be a download in disguise.
            let mime = if mime.starts_with("image/") && mime != "image/svg+xml" {
                mime
            } else {
                "application/octet-stream".into()
            };
            respond(StatusCode::OK, &mime, Some("default-src 'none'"), bytes)
        }
        _ => respond(StatusCode::NOT_FOUND, "text/plain", None, b"not found".to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tern_core::imap::content::InlineImage;

    #[test]
    fn a_hostile_message_becomes_a_safe_document_with_its_own_images() {
        let content = MessageContent {
            shown: vec![
                Shown::Html(
                    "<p onclick=\"steal()\">Hi<script>steal()</script><img src=\"cid:logo@x\">\
                     <img src=\"https://tracker.example/p.gif\" width=1 height=1>\
                     <img src=\"https://cdn.example/photo.jpg\"></p>"
                        .into(),
                ),
                Shown::Text("> quoted <b>\nplain".into()),
            ],
            inline: vec![InlineImage {
                content_id: "logo@x".into(),
                section: "1.2".into(),
                mime: "image/png".into(),
                bytes: vec![1, 2, 3],
            }],
            attachments: vec![],
            problems: vec![],
        };
        let views = Views::default();
        let view = build_view(&views, &content, ViewOptions::default());
        let token = view.url.rsplit('/').next().unwrap();
        let Some(Entry::View { html, csp, .. }) = views.get(token) else { panic!("no view") };
        assert!(!html.contains("<script") && !html.contains("onclick"), "{html}");
        assert!(!html.contains("tracker.example") && !html.contains("cdn.example/photo.jpg"), "{html}");
        assert!(html.contains("&lt;b&gt;"), "plain text is escaped: {html}");
        assert!(csp.contains("script-src 'none'"));
        assert_eq!((view.tracking_pixels, view.blocked_remote), (1, 1), "{view:?}");
        let part_url = html.split(&format!("{}part/", base_url())).nth(1).unwrap();
        let part_token: String = part_url.chars().take_while(char::is_ascii_hexdigit).collect();
        let Some(Entry::Part { bytes, mime }) = views.get(&part_token) else { panic!("no part in {html}") };
        assert_eq!((bytes, mime.as_str()), (vec![1, 2, 3], "image/png"));

        let remote = build_view(&views, &content, ViewOptions { allow_remote: true, ..Default::default() });
        let token = remote.url.rsplit('/').next().unwrap();
        let Some(Entry::View { html, .. }) = views.get(token) else { panic!("no view") };
        assert!(html.contains("cdn.example/photo.jpg") && !html.contains("tracker.example"), "{html}");
    }

    #[test]
    fn plain_text_follows_the_theme_and_html_keeps_its_page() {
        let text = MessageContent {
            shown: vec![Shown::Text("hi".into())],
            inline: vec![],
            attachments: vec![],
            problems: vec![],
        };
        let html = MessageContent { shown: vec![Shown::Html("<p>hi</p>".into())], ..text.clone() };
        let document = |content: &MessageContent, theme: Theme| {
            let views = Views::default();
            let view = build_view(&views, content, ViewOptions { theme, ..Default::default() });
            let token = view.url.rsplit('/').next().unwrap().to_string();
            let Some(Entry::View { html, .. }) = views.get(&token) else { panic!("no view") };
            html
        };
        // (content, theme, dark rules present, only under the system's dark setting, body marked as text)
        let cases = [
            (&text, Theme::Dark, true, false, true),
            (&text, Theme::System, true, true, true),
            (&text, Theme::Light, false, false, true),
            (&html, Theme::Dark, true, false, false),
        ];
        for (content, theme, dark, media, marked) in cases {
            let doc = document(content, theme);
            assert_eq!(doc.contains(DARK_TEXT_STYLE), dark, "{theme:?}: {doc}");
            assert_eq!(doc.contains("@media (prefers-color-scheme: dark)"), media, "{theme:?}");
            assert_eq!(doc.contains("<body class=\"tern-text\">"), marked, "{theme:?}: {doc}");
        }
    }

    #[test]
    fn links_in_every_part_lead_back_to_the_app() {
        let content = MessageContent {
            shown: vec![
                Shown::Html("<a href=\"https://example.com/a\">paypal.com</a>".into()),
                Shown::Text("see https://example.org/b".into()),
            ],
            inline: vec![],
            attachments: vec![],
            problems: vec![],
        };
        let views = Views::default();
        let view = build_view(&views, &content, ViewOptions { monospace: true, ..Default::default() });
        let token = view.url.rsplit('/').next().unwrap().to_string();
        let Some(Entry::View { html, .. }) = views.get(&token) else { panic!("no view") };
        assert!(html.contains(&format!("{}link/{token}/0/0", base_url())), "{html}");
        assert!(html.contains(&format!("{}link/{token}/1/0", base_url())), "{html}");
        assert!(html.contains("tern-monospace"), "{html}");
        assert!(!html.contains("href=\"https://example.com/a\""), "the real target is not a link: {html}");
        let (url, first) = link_of(&views, &format!("{token}/0/0")).unwrap();
        assert_eq!(
            (url.as_str(), first.href.as_str(), first.mismatched_domain),
            (view.url.as_str(), "https://example.com/a", true)
        );
        assert_eq!(link_of(&views, &format!("{token}/1/0")).unwrap().1.href, "https://example.org/b");
        assert!(link_of(&views, &format!("{token}/2/0")).is_none() && link_of(&views, "nope/0/0").is_none());
    }

    #[test]
    fn old_views_are_forgotten() {
        let views = Views::default();
        let content = MessageContent {
            shown: vec![Shown::Text("x".into())],
            inline: vec![],
            attachments: vec![],
            problems: vec![],
        };
        let first = build_view(&views, &content, ViewOptions::default());
        for _ in 0..MAX_VIEWS {
            build_view(&views, &content, ViewOptions::default());
        }
        assert!(views.get(first.url.rsplit('/').next().unwrap()).is_none());
    }

    #[test]
    fn the_document_policy_blocks_everything_but_local_images_unless_allowed() {
        let strict = document_csp(false);
        for needle in
            ["script-src 'none'", "default-src 'none'", "frame-src tern-part: ", "form-action 'none'"]
        {
            assert!(strict.contains(needle), "{strict}");
        }
        assert!(!strict.contains("https:"), "{strict}");
        assert!(
            document_csp(true).contains("img-src tern-part: http://tern-part.localhost data: https: http:")
        );
    }
}
