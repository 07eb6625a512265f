//! Table tests: one row per policy rule and per known attack, checked together so a failure
//! report lists every broken row at once. Every row is also sanitized twice: the second pass
//! must change nothing.

use std::collections::HashMap;

use super::*;

const CID_BASE: &str = "tern-part://localhost/acct/7/42/";
const LINK_BASE: &str = "tern-part://localhost/link/abc/";

/// Which options a row runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Remote content off (the default when a message opens).
    Blocked,
    /// Remote content allowed.
    Remote,
    /// Remote content off, links routed through the app and quotes folded.
    Routed,
}

const MODES: [Mode; 3] = [Mode::Blocked, Mode::Remote, Mode::Routed];

fn options(mode: Mode) -> RenderOptions {
    RenderOptions {
        allow_remote: mode == Mode::Remote,
        cid_base: CID_BASE.to_owned(),
        known_cids: HashMap::from([
            ("logo@example.com".to_owned(), "1.2".to_owned()),
            ("<photo 1@example.com>".to_owned(), "2".to_owned()),
        ]),
        fold_quotes: mode == Mode::Routed,
        link_base: (mode == Mode::Routed).then(|| LINK_BASE.to_owned()),
    }
}

#[derive(Debug, Clone, Copy)]
struct Case {
    name: &'static str,
    html: &'static str,
    mode: Mode,
    /// The whole output, when the row pins it.
    exact: Option<&'static str>,
    contains: &'static [&'static str],
    /// Checked case-insensitively.
    absent: &'static [&'static str],
    blocked_remote: u32,
    tracking_pixels: u32,
}

const ROW: Case = Case {
    name: "",
    html: "",
    mode: Mode::Blocked,
    exact: None,
    contains: &[],
    absent: &[],
    blocked_remote: 0,
    tracking_pixels: 0,
};

const CASES: &[Case] = &[
    // Scripts and event handlers.
    Case {
        name: "script removed with its content",
        html: "<p>a<script>alert(1)</script>b</p>",
        exact: Some("<p>ab</p>"),
        ..ROW
    },
    Case {
        name: "script in svg",
        html: "<svg><script>alert(1)</script><a xlink:href=\"javascript:alert(2)\">x</a></svg>ok",
        absent: &["script", "alert", "svg", "href"],
        contains: &["ok"],
        ..ROW
    },
    Case {
        name: "svg image onload",
        html: "<svg><image href=\"x\" onload=\"alert(1)\"/></svg>",
        absent: &["onload", "alert", "<svg", "<image"],
        ..ROW
    },
    Case {
        name: "math mglyph namespace confusion",
        html: "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        absent: &["onerror", "alert", "<math", "<mglyph", "<mtext"],
        ..ROW
    },
    Case {
        name: "math annotation-xml",
        html: "<math><annotation-xml encoding=\"text/html\"><img src=x onerror=alert(1)></annotation-xml></math>",
        absent: &["onerror", "alert", "<math", "annotation"],
        ..ROW
    },
    Case {
        name: "noscript attribute breakout",
        html: "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
        absent: &["onerror=", "<noscript"],
        ..ROW
    },
    Case {
        name: "title removed with its text",
        html: "<title>Newsletter</title><p>Hi</p>",
        exact: Some("<p>Hi</p>"),
        ..ROW
    },
    Case { name: "img onerror", html: "<img src=x onerror=alert(1)>", exact: Some("<img>"), ..ROW },
    Case {
        name: "event handlers in any case",
        html: "<div onmouseover=\"x()\" ONCLICK=\"y()\" OnFocus=z>t</div>",
        exact: Some("<div>t</div>"),
        ..ROW
    },
    Case {
        name: "details ontoggle",
        html: "<details open ontoggle=\"alert(1)\"><summary>s</summary>d</details>",
        exact: Some("<details open=\"\"><summary>s</summary>d</details>"),
        ..ROW
    },
    Case {
        name: "body onload",
        html: "<body onload=alert(1)><p>x</p></body>",
        exact: Some("<p>x</p>"),
        ..ROW
    },
    // Forms.
    Case {
        name: "form, input, button",
        html: "<form action=\"https://evil.example/steal\" method=post><input name=p type=password><button formaction=\"https://evil.example/\">Go</button></form>",
        exact: Some("Go"),
        ..ROW
    },
    Case {
        name: "select and textarea",
        html: "<select><option>A</option></select><textarea>&lt;b&gt;</textarea>",
        absent: &["<select", "<option", "<textarea", "<b>"],
        ..ROW
    },
    // Embedded content.
    Case {
        name: "iframe, object, embed, applet",
        html: "<iframe src=\"https://evil.example/\"></iframe><object data=\"x.swf\"><param name=a value=b></object><embed src=\"x.swf\"><applet code=\"X\"></applet>ok",
        exact: Some("ok"),
        ..ROW
    },
    Case {
        name: "frameset",
        html: "<frameset><frame src=\"https://evil.example/\"></frameset>ok",
        absent: &["frame", "evil"],
        ..ROW
    },
    Case {
        name: "video and audio",
        html: "<video src=\"https://x.example/v.mp4\" poster=\"https://x.example/p.png\"></video><audio src=\"https://x.example/a.mp3\"></audio>ok",
        exact: Some("ok"),
        ..ROW
    },
    // Head elements.
    Case {
        name: "base",
        html: "<base href=\"https://evil.example/\"><a href=\"https://ok.example/\">x</a>",
        exact: Some("<a href=\"https://ok.example/\" target=\"_blank\" rel=\"noopener noreferrer\">x</a>"),
        ..ROW
    },
    Case {
        name: "meta refresh",
        html: "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">hi",
        exact: Some("hi"),
        ..ROW
    },
    Case {
        name: "link stylesheet",
        html: "<link rel=stylesheet href=\"https://evil.example/s.css\">hi",
        exact: Some("hi"),
        ..ROW
    },
    Case {
        name: "conditional comments",
        html: "<!--[if mso]><p>outlook</p><![endif]--><p>x</p><!-- note -->",
        exact: Some("<p>x</p>"),
        ..ROW
    },
    // CSS.
    Case {
        name: "style @import url",
        html: "<style>@import url(http://x.example/s.css); p { color: red }</style>",
        exact: Some("<style>p{color:red}</style>"),
        ..ROW
    },
    Case {
        name: "style @import string, even when remote is allowed",
        html: "<style>@import \"https://x.example/s.css\";p{color:red}</style>",
        mode: Mode::Remote,
        exact: Some("<style>p{color:red}</style>"),
        ..ROW
    },
    Case {
        name: "style remote background blocked",
        html: "<style>td.hero { background: url('https://x.example/bg.png') no-repeat; color: #333 }</style>",
        exact: Some("<style>td.hero{color:#333}</style>"),
        blocked_remote: 1,
        ..ROW
    },
    Case {
        name: "style remote background allowed",
        html: "<style>td.hero { background: url('https://x.example/bg.png') no-repeat; color: #333 }</style>",
        mode: Mode::Remote,
        exact: Some(
            "<style>td.hero{background:url(\"https://x.example/bg.png\") no-repeat;color:#333}</style>",
        ),
        ..ROW
    },
    Case {
        name: "style @media keeps rules, drops remote",
        html: "<style>@media (max-width: 600px) { .col { width: 100% !important; background-image: url(http://x.example/m.png) } }</style>",
        exact: Some("<style>@media (max-width: 600px){.col{width:100% !important}}</style>"),
        blocked_remote: 1,
        ..ROW
    },
    Case {
        name: "style @font-face remote font blocked",
        html: "<style>@font-face { font-family: Brand; src: url(https://fonts.example/b.woff2) format('woff2') } p { font-family: Brand }</style>",
        exact: Some("<style>@font-face{font-family:Brand}p{font-family:Brand}</style>"),
        blocked_remote: 1,
        ..ROW
    },
    Case {
        name: "style @font-face remote font allowed",
        html: "<style>@font-face { font-family: Brand; src: url(https://fonts.example/b.woff2) }</style>",
        mode: Mode::Remote,
        exact: Some("<style>@font-face{font-family:Brand;src:url(https://fonts.example/b.woff2)}</style>"),
        ..ROW
    },
    Case {
        name: "style cannot close itself",
        html: "<style>p { content: \"\\3c/style><script>alert(1)</script>\" }</style>",
        absent: &["<script", "</style><"],
        contains: &["\\3c /style"],
        ..ROW
    },
    Case {
        name: "style inside svg",
        html: "<svg><style>@import url(http://x.example/s.css);</style></svg>ok",
        exact: Some("ok"),
        ..ROW
    },
    Case {
        name: "style svg data url",
        html: "<style>p{background:url(\"data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=\");color:red}</style>",
        exact: Some("<style>p{color:red}</style>"),
        ..ROW
    },
    Case {
        name: "style expression and behavior",
        html: "<style>p { width: expression(alert(1)); behavior: url(x.htc); -moz-binding: url(http://x.example/b.xml#x); color: red }</style>",
        exact: Some("<style>p{color:red}</style>"),
        ..ROW
    },
    Case {
        name: "style javascript url",
        html: "<style>p { background: url(javascript:alert(1)); color: red }</style>",
        exact: Some("<style>p{color:red}</style>"),
        ..ROW
    },
    Case {
        name: "style escaped url function",
        html: "<style>p { background: \\75 rl(http://x.example/p.gif); color: red }</style>",
        absent: &["x.example"],
        contains: &["color:red"],
        blocked_remote: 1,
        ..ROW
    },
    Case {
        name: "style protocol-relative url",
        html: "<style>p { background: url(//x.example/p.gif) }</style>",
        exact: Some("<style></style>"),
        blocked_remote: 1,
        ..ROW
    },
    Case {
        name: "style cid url rewritten",
        html: "<style>td { background: url(cid:logo@example.com) }</style>",
        exact: Some("<style>td{background:url(tern-part://localhost/acct/7/42/1.2)}</style>"),
        ..ROW
    },
    Case {
        name: "inline remote background blocked",
        html: "<p style=\"background:url(http://tracker.example/p.gif);color:red\">x</p>",
        exact: Some("<p style=\"color:red\">x</p>"),
        blocked_remote: 1,
        ..ROW
    },
    Case {
        name: "inline remote background allowed",
        html: "<p style=\"background:url(http://tracker.example/p.gif);color:red\">x</p>",
        mode: Mode::Remote,
        exact: Some("<p style=\"background:url(http://tracker.example/p.gif);color:red\">x</p>"),
        ..ROW
    },
    Case {
        name: "inline expression",
        html: "<p style=\"width:expression(alert(1));color:red\">x</p>",
        exact: Some("<p style=\"color:red\">x</p>"),
        ..ROW
    },
    Case {
        name: "inline behavior and binding",
        html: "<p style=\"behavior:url(x.htc);-moz-binding:url(http://x.example/b.xml#x);color:red\">x</p>",
        exact: Some("<p style=\"color:red\">x</p>"),
        ..ROW
    },
    Case {
        name: "inline escaped property name",
        html: "<p style=\"beh\\61vior:url(x.htc);color:red\">x</p>",
        exact: Some("<p style=\"color:red\">x</p>"),
        ..ROW
    },
    Case {
        name: "inline javascript url",
        html: "<p style=\"background-image:url(javascript:alert(1))\">x</p>",
        exact: Some("<p>x</p>"),
        ..ROW
    },
    Case {
        name: "inline image-set",
        html: "<p style=\"background-image:image-set(&quot;http://t.example/a.png&quot; 1x)\">x</p>",
        exact: Some("<p>x</p>"),
        blocked_remote: 1,
        ..ROW
    },
    Case {
        name: "inline nested rule dropped",
        html: "<p style=\"color:red;a{background:url(http://x.example/a.png)}\">x</p>",
        exact: Some("<p style=\"color:red\">x</p>"),
        ..ROW
    },
    // Links.
    Case {
        name: "link gets target and rel",
        html: "<a href=\"https://e.example/\" target=\"_self\" rel=\"opener\">x</a>",
        exact: Some("<a href=\"https://e.example/\" target=\"_blank\" rel=\"noopener noreferrer\">x</a>"),
        ..ROW
    },
    Case {
        name: "link javascript",
        html: "<a href=\"javascript:alert(1)\">x</a>",
        exact: Some("<a target=\"_blank\" rel=\"noopener noreferrer\">x</a>"),
        ..ROW
    },
    Case {
        name: "link mixed-case javascript",
        html: "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
        absent: &["href", "alert"],
        ..ROW
    },
    Case {
        name: "link javascript split by a tab entity",
        html: "<a href=\"java&#x09;script:alert(1)\">x</a>",
        absent: &["href", "alert"],
        ..ROW
    },
    Case {
        name: "link javascript split by a newline",
        html: "<a href=\"java\nscript:alert(1)\">x</a>",
        absent: &["href", "alert"],
        ..ROW
    },
    Case {
        name: "link javascript as entities",
        html: "<a href=\"&#106;&#97;vascript&colon;alert(1)\">x</a>",
        absent: &["href", "alert"],
        ..ROW
    },
    Case {
        name: "link javascript after spaces",
        html: "<a href=\"  \u{1}javascript:alert(1)\">x</a>",
        absent: &["href", "alert"],
        ..ROW
    },
    Case {
        name: "link vbscript",
        html: "<a href=\"vbscript:msgbox(1)\">x</a>",
        absent: &["href", "msgbox"],
        ..ROW
    },
    Case {
        name: "link data html",
        html: "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
        absent: &["href", "data:"],
        ..ROW
    },
    Case {
        name: "link file",
        html: "<a href=\"file:///etc/passwd\">x</a>",
        absent: &["href", "file:"],
        ..ROW
    },
    Case { name: "link relative", html: "<a href=\"/account/login\">x</a>", absent: &["href"], ..ROW },
    Case {
        name: "link protocol-relative becomes https",
        html: "<a href=\"//e.example/x\">x</a>",
        contains: &["href=\"https://e.example/x\""],
        ..ROW
    },
    Case {
        name: "link mailto and tel",
        html: "<a href=\"mailto:a@e.example\">m</a><a href=\"tel:+15551234\">t</a>",
        contains: &["href=\"mailto:a@e.example\"", "href=\"tel:+15551234\""],
        ..ROW
    },
    Case {
        name: "link ping and download dropped",
        html: "<a href=\"https://e.example/\" ping=\"https://t.example/\" download>x</a>",
        exact: Some("<a href=\"https://e.example/\" target=\"_blank\" rel=\"noopener noreferrer\">x</a>"),
        ..ROW
    },
    Case {
        name: "link to a part url refused",
        html: "<a href=\"tern-part://localhost/acct/7/42/1.2\">x</a>",
        absent: &["href"],
        ..ROW
    },
    // Links routed through the app.
    Case {
        name: "routed links",
        html: "<p><a href=\"https://e.example/\" target=\"_self\" title=\"old\">x</a> <a href=\"mailto:a@e.example\">m</a></p>",
        mode: Mode::Routed,
        exact: Some(
            "<p><a href=\"tern-part://localhost/link/abc/0\" title=\"https://e.example/\" rel=\"noopener noreferrer\">x</a> <a href=\"tern-part://localhost/link/abc/1\" title=\"mailto:a@e.example\" rel=\"noopener noreferrer\">m</a></p>",
        ),
        ..ROW
    },
    Case {
        name: "routed links skip refused and in-page targets",
        html: "<a href=\"javascript:alert(1)\">a</a><a href=\"#top\">b</a><a href=\"https://e.example/?a=1&amp;b=&quot;2&quot;\">c</a>",
        mode: Mode::Routed,
        exact: Some(
            "<a rel=\"noopener noreferrer\">a</a><a rel=\"noopener noreferrer\">b</a><a href=\"tern-part://localhost/link/abc/0\" title=\"https://e.example/?a=1&amp;b=&quot;2&quot;\" rel=\"noopener noreferrer\">c</a>",
        ),
        ..ROW
    },
    Case {
        name: "forged routed link without a title",
        html: "<a href=\"tern-part://localhost/link/abc/7\">keep</a>",
        mode: Mode::Routed,
        exact: Some("<a rel=\"noopener noreferrer\">keep</a>"),
        ..ROW
    },
    Case {
        name: "forged routed link with a data title",
        html: "<a href=\"tern-part://localhost/link/abc/7\" title=\"data:text/html,x\">keep</a>",
        mode: Mode::Routed,
        exact: Some("<a rel=\"noopener noreferrer\">keep</a>"),
        ..ROW
    },
    Case {
        name: "forged routed link goes where its title says",
        html: "<a href=\"tern-part://localhost/link/abc/7\" title=\"https://e.example/\">keep</a>",
        mode: Mode::Routed,
        exact: Some(
            "<a href=\"tern-part://localhost/link/abc/0\" title=\"https://e.example/\" rel=\"noopener noreferrer\">keep</a>",
        ),
        ..ROW
    },
    Case {
        name: "link-base url refused when links are not routed",
        html: "<a href=\"tern-part://localhost/link/abc/0\" title=\"https://e.example/\">keep</a>",
        exact: Some("<a title=\"https://e.example/\" target=\"_blank\" rel=\"noopener noreferrer\">keep</a>"),
        ..ROW
    },
    // Quoted text folded.
    Case {
        name: "cited blockquote folded once",
        html: "<p>On Monday Bob wrote:</p><blockquote type=\"cite\"><p>old</p><blockquote type=\"cite\">older</blockquote></blockquote><p>reply</p>",
        mode: Mode::Routed,
        exact: Some(
            "<p>On Monday Bob wrote:</p><details class=\"tern-quote\"><summary>Show quoted text</summary><blockquote type=\"cite\"><p>old</p><blockquote type=\"cite\">older</blockquote></blockquote></details><p>reply</p>",
        ),
        ..ROW
    },
    Case {
        name: "gmail quote folded",
        html: "<div dir=\"ltr\">Thanks!</div><div class=\"gmail_quote gmail_quote_container\"><div class=\"gmail_attr\">On Mon wrote:</div><blockquote class=\"gmail_quote\">old</blockquote></div>",
        mode: Mode::Routed,
        exact: Some(
            "<div dir=\"ltr\">Thanks!</div><details class=\"tern-quote\"><summary>Show quoted text</summary><div class=\"gmail_quote gmail_quote_container\"><div class=\"gmail_attr\">On Mon wrote:</div><blockquote class=\"gmail_quote\">old</blockquote></div></details>",
        ),
        ..ROW
    },
    Case {
        name: "thunderbird quote folded after its prefix",
        html: "<div class=\"moz-cite-prefix\">On Mon wrote:<br></div><blockquote type=\"cite\" cite=\"mid:1@x.example\">old</blockquote>",
        mode: Mode::Routed,
        exact: Some(
            "<div class=\"moz-cite-prefix\">On Mon wrote:<br></div><details class=\"tern-quote\"><summary>Show quoted text</summary><blockquote type=\"cite\">old</blockquote></details>",
        ),
        ..ROW
    },
    Case {
        name: "cited blockquote in a table cell folded",
        html: "<table><tr><td><blockquote type=\"CITE\">old</blockquote></td></tr></table>",
        mode: Mode::Routed,
        exact: Some(
            "<table><tbody><tr><td><details class=\"tern-quote\"><summary>Show quoted text</summary><blockquote type=\"CITE\">old</blockquote></details></td></tr></tbody></table>",
        ),
        ..ROW
    },
    Case {
        name: "cited blockquote in bold folded",
        html: "<b><blockquote type=\"cite\">old</blockquote></b>",
        mode: Mode::Routed,
        exact: Some(
            "<b><details class=\"tern-quote\"><summary>Show quoted text</summary><blockquote type=\"cite\">old</blockquote></details></b>",
        ),
        ..ROW
    },
    Case {
        name: "cited blockquote in a link not folded",
        html: "<a href=\"https://e.example/\"><blockquote type=\"cite\">old</blockquote></a>",
        mode: Mode::Routed,
        exact: Some(
            "<a href=\"tern-part://localhost/link/abc/0\" title=\"https://e.example/\" rel=\"noopener noreferrer\"><blockquote type=\"cite\">old</blockquote></a>",
        ),
        ..ROW
    },
    Case {
        name: "plain blockquote not folded",
        html: "<blockquote>note</blockquote>",
        mode: Mode::Routed,
        exact: Some("<blockquote>note</blockquote>"),
        ..ROW
    },
    Case {
        name: "cited blockquote inside a plain one not folded",
        html: "<blockquote>note<blockquote type=\"cite\">old</blockquote></blockquote>",
        mode: Mode::Routed,
        exact: Some("<blockquote>note<blockquote type=\"cite\">old</blockquote></blockquote>"),
        ..ROW
    },
    Case {
        name: "quotes not folded unless asked",
        html: "<blockquote type=\"cite\">old</blockquote>",
        exact: Some("<blockquote type=\"cite\">old</blockquote>"),
        ..ROW
    },
    Case {
        name: "message's own fold not folded again",
        html: "<details class=\"tern-quote\"><summary>x</summary><blockquote type=\"cite\">a</blockquote></details>",
        mode: Mode::Routed,
        exact: Some(
            "<details class=\"tern-quote\"><summary>x</summary><blockquote type=\"cite\">a</blockquote></details>",
        ),
        ..ROW
    },
    // Images.
    Case {
        name: "cid image rewritten",
        html: "<img src=\"cid:logo@example.com\" alt=\"Logo\">",
        exact: Some("<img src=\"tern-part://localhost/acct/7/42/1.2\" alt=\"Logo\">"),
        ..ROW
    },
    Case {
        name: "cid image percent-encoded, bracketed key",
        html: "<img src=\"CID:photo%201@example.com\">",
        exact: Some("<img src=\"tern-part://localhost/acct/7/42/2\">"),
        ..ROW
    },
    Case {
        name: "part url of this message kept",
        html: "<img src=\"tern-part://localhost/acct/7/42/1.2\">",
        exact: Some("<img src=\"tern-part://localhost/acct/7/42/1.2\">"),
        ..ROW
    },
    Case {
        name: "part url climbing out of this message",
        html: "<img src=\"tern-part://localhost/acct/7/42/../43/1.2\"><img src=\"tern-part://localhost/acct/7/42/%2E%2e\"><img src=\"tern-part://localhost/other/1/1/2\">",
        exact: Some("<img><img><img>"),
        ..ROW
    },
    Case {
        name: "cid image unknown",
        html: "<img src=\"cid:nobody@example.com\" alt=\"a\">",
        exact: Some("<img alt=\"a\">"),
        ..ROW
    },
    Case {
        name: "cid tiny image is not a tracker",
        html: "<img src=\"cid:logo@example.com\" width=\"1\" height=\"1\">",
        exact: Some("<img src=\"tern-part://localhost/acct/7/42/1.2\" width=\"1\" height=\"1\">"),
        ..ROW
    },
    Case {
        name: "data png image",
        html: "<img src=\"data:image/png;base64,iVBORw0KGgo=\">",
        exact: Some("<img src=\"data:image/png;base64,iVBORw0KGgo=\">"),
        ..ROW
    },
    Case {
        name: "data svg image",
        html: "<img src=\"data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+\">",
        exact: Some("<img>"),
        ..ROW
    },
    Case {
        name: "data html image",
        html: "<img src=\"data:text/html,<script>alert(1)</script>\">",
        exact: Some("<img>"),
        ..ROW
    },
    Case { name: "file image", html: "<img src=\"file:///C:/secret.png\">", exact: Some("<img>"), ..ROW },
    Case {
        name: "remote image blocked",
        html: "<img src=\"https://x.example/logo.png\" alt=\"Logo\" width=\"120\">",
        exact: Some("<img alt=\"Logo\" width=\"120\" data-tern-blocked=\"\">"),
        blocked_remote: 1,
        ..ROW
    },
    Case {
        name: "remote image allowed",
        html: "<img src=\"https://x.example/logo.png\" alt=\"Logo\" width=\"120\">",
        mode: Mode::Remote,
        exact: Some("<img src=\"https://x.example/logo.png\" alt=\"Logo\" width=\"120\">"),
        ..ROW
    },
    Case {
        name: "protocol-relative image blocked",
        html: "<img src=\"//x.example/logo.png\">",
        exact: Some("<img data-tern-blocked=\"\">"),
        blocked_remote: 1,
        ..ROW
    },
    Case {
        name: "protocol-relative image allowed becomes https",
        html: "<img src=\"//x.example/logo.png\">",
        mode: Mode::Remote,
        exact: Some("<img src=\"https://x.example/logo.png\">"),
        ..ROW
    },
    Case {
        name: "srcset blocked",
        html: "<img srcset=\"https://x.example/a.png 1x, https://x.example/b.png 2x\" alt=\"a\">",
        exact: Some("<img alt=\"a\" data-tern-blocked=\"\">"),
        blocked_remote: 1,
        ..ROW
    },
    Case {
        name: "srcset allowed",
        html: "<img src=\"https://x.example/a.png\" srcset=\"https://x.example/b.png 2x\">",
        mode: Mode::Remote,
        exact: Some("<img src=\"https://x.example/a.png\" srcset=\"https://x.example/b.png 2x\">"),
        ..ROW
    },
    Case {
        name: "srcset with a data candidate dropped",
        html: "<img srcset=\"data:image/png;base64,AA== 1x\">",
        mode: Mode::Remote,
        exact: Some("<img>"),
        ..ROW
    },
    Case {
        name: "forged placeholder mark removed",
        html: "<img src=\"cid:logo@example.com\" data-tern-blocked=\"yes\">",
        exact: Some("<img src=\"tern-part://localhost/acct/7/42/1.2\">"),
        ..ROW
    },
    Case {
        name: "background attribute blocked",
        html: "<table background=\"http://x.example/bg.png\"><tr><td background=\"cid:logo@example.com\">x</td></tr></table>",
        exact: Some(
            "<table><tbody><tr><td background=\"tern-part://localhost/acct/7/42/1.2\">x</td></tr></tbody></table>",
        ),
        blocked_remote: 1,
        ..ROW
    },
    Case {
        name: "background attribute allowed",
        html: "<table background=\"http://x.example/bg.png\"><tr><td>x</td></tr></table>",
        mode: Mode::Remote,
        contains: &["background=\"http://x.example/bg.png\""],
        ..ROW
    },
    Case {
        name: "background attribute javascript",
        html: "<table background=\"javascript:alert(1)\"><tr><td>x</td></tr></table>",
        absent: &["background", "alert"],
        ..ROW
    },
    // Tracking pixels.
    Case {
        name: "1x1 pixel blocked",
        html: "<p>Hi</p><img src=\"https://t.example/open.gif?id=42\" width=\"1\" height=\"1\" alt=\"\">",
        exact: Some("<p>Hi</p>"),
        tracking_pixels: 1,
        ..ROW
    },
    Case {
        name: "1x1 pixel allowed",
        html: "<p>Hi</p><img src=\"https://t.example/open.gif?id=42\" width=\"1\" height=\"1\">",
        mode: Mode::Remote,
        exact: Some("<p>Hi</p>"),
        tracking_pixels: 1,
        ..ROW
    },
    Case {
        name: "0x0 pixel in px",
        html: "<img src=\"https://t.example/o.gif\" width=\"0px\" height=\"0\">",
        exact: Some(""),
        tracking_pixels: 1,
        ..ROW
    },
    Case {
        name: "pixel sized by style",
        html: "<img src=\"https://t.example/o.gif\" style=\"width:1px;height:1px;border:0\">",
        exact: Some(""),
        tracking_pixels: 1,
        ..ROW
    },
    Case {
        name: "pixel hidden by display",
        html: "<img src=\"https://t.example/o.gif\" style=\"display:none\">",
        mode: Mode::Remote,
        exact: Some(""),
        tracking_pixels: 1,
        ..ROW
    },
    Case {
        name: "pixel hidden by visibility",
        html: "<img src=\"https://t.example/o.gif\" style=\"visibility: hidden\">",
        exact: Some(""),
        tracking_pixels: 1,
        ..ROW
    },
    Case {
        name: "pixel with only a width",
        html: "<img src=\"https://t.example/o.gif\" width=\"2\">",
        exact: Some(""),
        tracking_pixels: 1,
        ..ROW
    },
    Case {
        name: "thin divider is not a pixel",
        html: "<img src=\"https://x.example/line.png\" width=\"600\" height=\"1\">",
        exact: Some("<img width=\"600\" height=\"1\" data-tern-blocked=\"\">"),
        blocked_remote: 1,
        ..ROW
    },
    Case {
        name: "pixels and images counted apart",
        html: "<img src=\"https://x.example/a.png\"><img src=\"http://x.example/b.png\"><img src=\"https://t.example/o.gif\" height=\"1\" width=\"1\"><p style=\"background:url(https://x.example/c.png)\">x</p>",
        contains: &["<p>x</p>"],
        absent: &["x.example", "t.example"],
        blocked_remote: 3,
        tracking_pixels: 1,
        ..ROW
    },
    // Hostile input, class by class: each row checks that the dangerous construct is gone and
    // that the harmless text next to it is still there.
    // Scripts, however they are written.
    Case {
        name: "script in capitals",
        html: "<p>keep</p><SCRIPT>alert(1)</SCRIPT>",
        exact: Some("<p>keep</p>"),
        ..ROW
    },
    Case {
        name: "script tag with whitespace inside",
        html: "<script\n type=\"text/javascript\" >alert(1)</script\n>keep",
        exact: Some("keep"),
        ..ROW
    },
    Case {
        name: "external script",
        html: "<script src=\"https://evil.example/x.js\"></script>keep",
        exact: Some("keep"),
        ..ROW
    },
    Case {
        name: "escaped script stays text",
        html: "&lt;script&gt;alert(1)&lt;/script&gt;",
        exact: Some("&lt;script&gt;alert(1)&lt;/script&gt;"),
        ..ROW
    },
    Case {
        name: "script split by a nested tag",
        html: "<scr<script>ipt>alert(1)</script>keep",
        absent: &["<scr"],
        contains: &["keep"],
        ..ROW
    },
    Case {
        name: "script with a null byte in its name",
        html: "<scr\0ipt>alert(1)</scr\0ipt>keep",
        absent: &["<scr", "\0"],
        contains: &["keep"],
        ..ROW
    },
    Case {
        name: "script with a null byte in its code",
        html: "<script>al\0ert(1)</script>keep",
        exact: Some("keep"),
        ..ROW
    },
    Case {
        name: "script hidden in a comment inside a script",
        html: "<script><!--alert(1)//--></script>keep",
        exact: Some("keep"),
        ..ROW
    },
    // Event handlers.
    Case {
        name: "handler after a slash",
        html: "<div/onclick=\"alert(1)\">keep</div>",
        exact: Some("<div>keep</div>"),
        ..ROW
    },
    Case {
        name: "handler on a link",
        html: "<a href=\"https://ok.example/\" onmouseover=\"alert(1)\">keep</a>",
        exact: Some("<a href=\"https://ok.example/\" target=\"_blank\" rel=\"noopener noreferrer\">keep</a>"),
        ..ROW
    },
    Case {
        name: "handler name with a null byte",
        html: "<img src=\"cid:logo@example.com\" on\0error=\"alert(1)\" alt=\"keep\">",
        exact: Some("<img src=\"tern-part://localhost/acct/7/42/1.2\" alt=\"keep\">"),
        ..ROW
    },
    Case {
        name: "handler on an unknown element",
        html: "<marquee onstart=\"alert(1)\">keep</marquee>",
        exact: Some("keep"),
        ..ROW
    },
    Case {
        name: "unquoted handler after an unquoted attribute",
        html: "<p title=keep onclick=alert(1)>keep</p>",
        exact: Some("<p title=\"keep\">keep</p>"),
        ..ROW
    },
    Case {
        name: "svg onload",
        html: "<svg onload=\"alert(1)\"><text>hidden</text></svg><p>keep</p>",
        exact: Some("<p>keep</p>"),
        ..ROW
    },
    // SVG and MathML.
    Case {
        name: "svg use pointing at a data document",
        html: "<svg><use href=\"data:image/svg+xml,&lt;svg id='x' xmlns='http://www.w3.org/2000/svg'&gt;&lt;image href='1' onerror='alert(1)' /&gt;&lt;/svg&gt;#x\"/></svg><p>keep</p>",
        exact: Some("<p>keep</p>"),
        ..ROW
    },
    Case {
        name: "svg animate sets an href",
        html: "<svg><a><animate attributeName=\"href\" values=\"javascript:alert(1)\"/><text x=\"20\" y=\"20\">click</text></a></svg><p>keep</p>",
        absent: &["<animate", "attributename", "alert", "href", "<svg"],
        contains: &["keep"],
        ..ROW
    },
    Case {
        name: "svg set adds a handler",
        html: "<svg><set attributeName=\"onload\" to=\"alert(1)\"/></svg>keep",
        exact: Some("keep"),
        ..ROW
    },
    Case {
        name: "svg foreignObject",
        html: "<svg><foreignObject><iframe srcdoc=\"&lt;script&gt;alert(1)&lt;/script&gt;\"></iframe><p>inner</p></foreignObject></svg><p>keep</p>",
        absent: &["foreignobject", "<iframe", "srcdoc", "alert", "<svg"],
        contains: &["keep"],
        ..ROW
    },
    Case {
        name: "svg image from a tracker",
        html: "<svg><image xlink:href=\"https://t.example/p.png\"/></svg>keep",
        exact: Some("keep"),
        ..ROW
    },
    Case {
        name: "mathml maction",
        html: "<math><maction actiontype=\"statusline\" xlink:href=\"javascript:alert(1)\"><mtext>click</mtext></maction></math><p>keep</p>",
        absent: &["<math", "maction", "alert", "href"],
        contains: &["keep"],
        ..ROW
    },
    Case {
        name: "mathml href",
        html: "<math href=\"javascript:alert(1)\"><mi>x</mi></math><p>keep</p>",
        absent: &["<math", "<mi", "alert", "href"],
        contains: &["keep"],
        ..ROW
    },
    // CSS.
    Case {
        name: "inline expression split by a comment",
        html: "<p style=\"width:expr/**/ession(alert(1));color:red\">keep</p>",
        absent: &["ession", "alert"],
        contains: &["color:red", ">keep</p>"],
        ..ROW
    },
    Case {
        name: "inline expression with an escape",
        html: "<p style=\"width:e\\xpression(alert(1));color:red\">keep</p>",
        exact: Some("<p style=\"color:red\">keep</p>"),
        ..ROW
    },
    Case {
        name: "inline javascript url as entities",
        html: "<p style=\"background:url(&#106;avascript:alert(1));color:red\">keep</p>",
        exact: Some("<p style=\"color:red\">keep</p>"),
        ..ROW
    },
    Case {
        name: "inline javascript url with a css escape",
        html: "<p style=\"background:url(java\\73 cript:alert(1));color:red\">keep</p>",
        exact: Some("<p style=\"color:red\">keep</p>"),
        ..ROW
    },
    Case {
        name: "inline @import",
        html: "<p style=\"@import 'https://x.example/s.css';color:red\">keep</p>",
        absent: &["import", "x.example"],
        contains: &[">keep</p>"],
        ..ROW
    },
    Case {
        name: "inline binding to a data document",
        html: "<p style=\"-moz-binding:url(data:text/xml,x);color:red\">keep</p>",
        exact: Some("<p style=\"color:red\">keep</p>"),
        ..ROW
    },
    Case {
        name: "style @import with a media query",
        html: "<style>@import url(\"https://x.example/s.css\") screen;p{color:red}</style><p>keep</p>",
        exact: Some("<style>p{color:red}</style><p>keep</p>"),
        ..ROW
    },
    Case {
        name: "style @import with an escape",
        html: "<style>@\\69mport url(https://x.example/s.css);p{color:red}</style><p>keep</p>",
        absent: &["x.example", "mport"],
        contains: &["p{color:red}", "<p>keep</p>"],
        ..ROW
    },
    Case {
        name: "style @import after a ; in a selector",
        html: "<style>b;@import url(https://x.example/s.css) x{color:red}p{color:blue}</style><p>keep</p>",
        exact: Some("<style>p{color:blue}</style><p>keep</p>"),
        ..ROW
    },
    Case {
        name: "style at-keyword inside a selector",
        html: "<style>p @import x{color:red}i{color:blue}</style><p>keep</p>",
        exact: Some("<style>i{color:blue}</style><p>keep</p>"),
        ..ROW
    },
    Case {
        name: "style @import javascript",
        html: "<style>@import url(javascript:alert(1));p{color:red}</style><p>keep</p>",
        exact: Some("<style>p{color:red}</style><p>keep</p>"),
        ..ROW
    },
    Case {
        name: "style content url javascript",
        html: "<style>p::before{content:url(javascript:alert(1));color:red}</style><p>keep</p>",
        exact: Some("<style>p::before{color:red}</style><p>keep</p>"),
        ..ROW
    },
    Case {
        name: "style binding in capitals",
        html: "<style>P{-MOZ-BINDING:URL(http://x.example/b.xml#x);color:red}</style><p>keep</p>",
        exact: Some("<style>P{color:red}</style><p>keep</p>"),
        ..ROW
    },
    Case {
        name: "style vbscript url",
        html: "<style>p{background:url(vbscript:msgbox(1));color:red}</style><p>keep</p>",
        exact: Some("<style>p{color:red}</style><p>keep</p>"),
        ..ROW
    },
    Case {
        name: "style data html url",
        html: "<style>p{background-image:url(data:text/html;base64,PHNjcmlwdD4=);color:red}</style><p>keep</p>",
        exact: Some("<style>p{color:red}</style><p>keep</p>"),
        ..ROW
    },
    // Every attribute that takes a URL.
    Case {
        name: "img src javascript",
        html: "<img src=\"javascript:alert(1)\" alt=\"keep\">",
        exact: Some("<img alt=\"keep\">"),
        ..ROW
    },
    Case {
        name: "img src vbscript",
        html: "<img src=\"vbscript:msgbox(1)\" alt=\"keep\">",
        exact: Some("<img alt=\"keep\">"),
        ..ROW
    },
    Case {
        name: "img src javascript as entities",
        html: "<img src=\"&#x6A;avascript:alert(1)\" alt=\"keep\">",
        exact: Some("<img alt=\"keep\">"),
        ..ROW
    },
    Case {
        name: "form action javascript",
        html: "<form action=\"javascript:alert(1)\"><p>keep</p></form>",
        exact: Some("<p>keep</p>"),
        ..ROW
    },
    Case {
        name: "button formaction javascript",
        html: "<button formaction=\"javascript:alert(1)\">keep</button>",
        exact: Some("keep"),
        ..ROW
    },
    Case {
        name: "input formaction javascript",
        html: "<input type=\"submit\" formaction=\"javascript:alert(1)\" value=\"x\">keep",
        exact: Some("keep"),
        ..ROW
    },
    Case {
        name: "td background vbscript",
        html: "<table><tr><td background=\"vbscript:msgbox(1)\">keep</td></tr></table>",
        exact: Some("<table><tbody><tr><td>keep</td></tr></tbody></table>"),
        ..ROW
    },
    Case {
        name: "body background javascript",
        html: "<body background=\"javascript:alert(1)\"><p>keep</p></body>",
        exact: Some("<p>keep</p>"),
        ..ROW
    },
    Case {
        name: "video poster javascript",
        html: "<video poster=\"javascript:alert(1)\"></video>keep",
        exact: Some("keep"),
        ..ROW
    },
    Case {
        name: "xlink:href on an html link",
        html: "<a xlink:href=\"javascript:alert(1)\">keep</a>",
        exact: Some("<a target=\"_blank\" rel=\"noopener noreferrer\">keep</a>"),
        ..ROW
    },
    Case {
        name: "srcset javascript",
        html: "<img srcset=\"javascript:alert(1) 1x\" alt=\"keep\">",
        exact: Some("<img alt=\"keep\">"),
        ..ROW
    },
    Case {
        name: "blockquote cite javascript",
        html: "<blockquote cite=\"javascript:alert(1)\">keep</blockquote>",
        exact: Some("<blockquote>keep</blockquote>"),
        ..ROW
    },
    Case {
        name: "q, del and ins cite",
        html: "<q cite=\"javascript:alert(1)\">a</q><del cite=\"vbscript:x\">b</del><ins cite=\"data:text/html,x\">c</ins>",
        exact: Some("<q>a</q><del>b</del><ins>c</ins>"),
        ..ROW
    },
    Case {
        name: "img longdesc",
        html: "<img longdesc=\"javascript:alert(1)\" alt=\"keep\">",
        exact: Some("<img alt=\"keep\">"),
        ..ROW
    },
    Case {
        name: "img lowsrc and dynsrc",
        html: "<img lowsrc=\"javascript:alert(1)\" dynsrc=\"javascript:alert(2)\" alt=\"keep\">",
        exact: Some("<img alt=\"keep\">"),
        ..ROW
    },
    Case {
        name: "link ping javascript",
        html: "<a href=\"https://ok.example/\" ping=\"javascript:alert(1)\">keep</a>",
        exact: Some("<a href=\"https://ok.example/\" target=\"_blank\" rel=\"noopener noreferrer\">keep</a>"),
        ..ROW
    },
    Case {
        name: "link data html as entities",
        html: "<a href=\"&#100;ata:text/html,&lt;script&gt;alert(1)&lt;/script&gt;\">keep</a>",
        exact: Some("<a target=\"_blank\" rel=\"noopener noreferrer\">keep</a>"),
        ..ROW
    },
    Case {
        name: "image map area",
        html: "<map name=\"m\"><area href=\"javascript:alert(1)\" shape=\"rect\"></map>keep",
        exact: Some("keep"),
        ..ROW
    },
    // Head elements.
    Case {
        name: "base javascript",
        html: "<base href=\"javascript:alert(1)//\"><p>keep</p>",
        exact: Some("<p>keep</p>"),
        ..ROW
    },
    Case {
        name: "meta refresh javascript",
        html: "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\"><p>keep</p>",
        exact: Some("<p>keep</p>"),
        ..ROW
    },
    Case {
        name: "meta refresh data in capitals",
        html: "<META HTTP-EQUIV=\"Refresh\" CONTENT=\"0; URL=data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">keep",
        exact: Some("keep"),
        ..ROW
    },
    Case {
        name: "meta set-cookie",
        html: "<meta http-equiv=\"Set-Cookie\" content=\"id=1\">keep",
        exact: Some("keep"),
        ..ROW
    },
    // Forms.
    Case {
        name: "image input",
        html: "<input type=\"image\" src=\"https://t.example/x.png\">keep",
        exact: Some("keep"),
        ..ROW
    },
    Case {
        name: "fieldset, label and keygen",
        html: "<fieldset><legend>keep</legend><label>name</label><keygen name=\"k\"></fieldset>",
        exact: Some("keepname"),
        ..ROW
    },
    Case {
        name: "isindex",
        html: "<isindex action=\"javascript:alert(1)\" prompt=\"x\">keep",
        exact: Some("keep"),
        ..ROW
    },
    Case {
        name: "form in a table cell",
        html: "<table><tr><td><form action=\"https://evil.example/\"><input name=\"pw\"></form>keep</td></tr></table>",
        exact: Some("<table><tbody><tr><td>keep</td></tr></tbody></table>"),
        ..ROW
    },
    // Embedded content.
    Case {
        name: "iframe srcdoc",
        html: "<iframe srcdoc=\"&lt;script&gt;alert(1)&lt;/script&gt;\"></iframe>keep",
        exact: Some("keep"),
        ..ROW
    },
    Case {
        name: "iframe javascript src with fallback text",
        html: "<iframe src=\"javascript:alert(1)\">fallback</iframe>keep",
        absent: &["<iframe", "alert"],
        contains: &["keep"],
        ..ROW
    },
    Case {
        name: "object with html data",
        html: "<object type=\"text/html\" data=\"javascript:alert(1)\"></object>keep",
        exact: Some("keep"),
        ..ROW
    },
    Case {
        name: "embed svg document",
        html: "<embed type=\"image/svg+xml\" src=\"data:image/svg+xml,&lt;svg onload=alert(1)&gt;\">keep",
        exact: Some("keep"),
        ..ROW
    },
    Case {
        name: "portal",
        html: "<portal src=\"https://evil.example/\"></portal>keep",
        exact: Some("keep"),
        ..ROW
    },
    // Nested and malformed markup.
    Case {
        name: "unfinished link at the end",
        html: "<p>keep</p><a href=\"javascript:alert(1)\"",
        exact: Some("<p>keep</p>"),
        ..ROW
    },
    Case {
        name: "doubled bracket before a script",
        html: "<<script>alert(1);//<</script>keep",
        exact: Some("&lt;keep"),
        ..ROW
    },
    Case {
        name: "quotes breaking out of a tag",
        html: "<img \"\"\"><script>alert(1)</script>\">keep",
        absent: &["<script", "alert"],
        contains: &["keep"],
        ..ROW
    },
    Case {
        name: "misnested formatting around a script",
        html: "<b><p>keep<script>alert(1)</script></b></p>",
        absent: &["<script", "alert"],
        contains: &["keep"],
        ..ROW
    },
    Case {
        name: "script in a table is moved out and removed",
        html: "<table><script>alert(1)</script><tr><td>keep</td></tr></table>",
        exact: Some("<table><tbody><tr><td>keep</td></tr></tbody></table>"),
        ..ROW
    },
    Case {
        name: "select swallowing a style",
        html: "<select><style></select><img src=x onerror=alert(1)></style>keep",
        absent: &["<select", "onerror", "alert"],
        contains: &["keep"],
        ..ROW
    },
    // Entity-encoded, numeric, hex and split schemes.
    Case {
        name: "link javascript as padded decimal entities without semicolons",
        html: "<a href=\"&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)\">keep</a>",
        exact: Some("<a target=\"_blank\" rel=\"noopener noreferrer\">keep</a>"),
        ..ROW
    },
    Case {
        name: "link javascript as hex entities without semicolons",
        html: "<a href=\"&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A;alert(1)\">keep</a>",
        exact: Some("<a target=\"_blank\" rel=\"noopener noreferrer\">keep</a>"),
        ..ROW
    },
    Case {
        name: "link javascript split by named tab and newline entities",
        html: "<a href=\"java&Tab;scr&NewLine;ipt&colon;alert(1)\">keep</a>",
        exact: Some("<a target=\"_blank\" rel=\"noopener noreferrer\">keep</a>"),
        ..ROW
    },
    Case {
        name: "link javascript split by a carriage return entity",
        html: "<a href=\"jav&#x0D;ascript:alert(1)\">keep</a>",
        exact: Some("<a target=\"_blank\" rel=\"noopener noreferrer\">keep</a>"),
        ..ROW
    },
    Case {
        name: "link javascript split by a tab",
        html: "<a href=\"java\tscript:alert(1)\">keep</a>",
        exact: Some("<a target=\"_blank\" rel=\"noopener noreferrer\">keep</a>"),
        ..ROW
    },
    Case {
        name: "link javascript after a space entity",
        html: "<a href=\"&#x20;javascript:alert(1)\">keep</a>",
        exact: Some("<a target=\"_blank\" rel=\"noopener noreferrer\">keep</a>"),
        ..ROW
    },
    Case {
        name: "link javascript with a percent-encoded colon",
        html: "<a href=\"javascript%3Aalert(1)\">keep</a>",
        exact: Some("<a target=\"_blank\" rel=\"noopener noreferrer\">keep</a>"),
        ..ROW
    },
    Case {
        name: "link vbscript in mixed case split by a tab",
        html: "<a href=\"VB\tScript:msgbox(1)\">keep</a>",
        exact: Some("<a target=\"_blank\" rel=\"noopener noreferrer\">keep</a>"),
        ..ROW
    },
    Case {
        name: "link data html after a space",
        html: "<a href=\" data:text/html,<script>alert(1)</script>\">keep</a>",
        exact: Some("<a target=\"_blank\" rel=\"noopener noreferrer\">keep</a>"),
        ..ROW
    },
    // Null bytes.
    Case {
        name: "link javascript split by a null byte",
        html: "<a href=\"java\0script:alert(1)\">keep</a>",
        exact: Some("<a target=\"_blank\" rel=\"noopener noreferrer\">keep</a>"),
        ..ROW
    },
    Case {
        name: "null byte between text and markup",
        html: "keep\0<img src=x onerror=alert(1)>",
        absent: &["onerror", "\0"],
        contains: &["keep"],
        ..ROW
    },
    // Comments and CDATA.
    Case {
        name: "image inside a comment",
        html: "<!--<img src=x onerror=alert(1)>-->keep",
        exact: Some("keep"),
        ..ROW
    },
    Case {
        name: "comment closed early with --!>",
        html: "<!-- --!><img src=x onerror=alert(1)>-->keep",
        exact: Some("<img>--&gt;keep"),
        ..ROW
    },
    Case {
        name: "cdata in html is a comment",
        html: "<![CDATA[<img src=x onerror=alert(1)>]]>keep",
        absent: &["onerror", "alert", "cdata"],
        contains: &["keep"],
        ..ROW
    },
    Case {
        name: "cdata in svg",
        html: "<svg><![CDATA[</svg><script>alert(1)</script>]]></svg>keep",
        absent: &["<script", "<svg"],
        contains: &["keep"],
        ..ROW
    },
    Case {
        name: "processing instruction",
        html: "<?xml-stylesheet href=\"javascript:alert(1)\"?>keep",
        exact: Some("keep"),
        ..ROW
    },
    Case {
        name: "downlevel-revealed conditional comment",
        html: "<![if !IE]><script>alert(1)</script><![endif]>keep",
        exact: Some("keep"),
        ..ROW
    },
    // Raw-text elements and templates.
    Case {
        name: "noscript style breakout",
        html: "<noscript><style></noscript><img src=x onerror=alert(1)></style></noscript>keep",
        absent: &["onerror", "alert", "<noscript"],
        contains: &["keep"],
        ..ROW
    },
    Case {
        name: "template with a script",
        html: "<template><script>alert(1)</script><p>hidden</p></template>keep",
        exact: Some("keep"),
        ..ROW
    },
    Case {
        name: "template in a table",
        html: "<table><template><img src=x onerror=alert(1)></template><tr><td>keep</td></tr></table>",
        exact: Some("<table><tbody><tr><td>keep</td></tr></tbody></table>"),
        ..ROW
    },
    Case {
        name: "xmp attribute breakout",
        html: "<xmp><p title=\"</xmp><img src=x onerror=alert(1)>\">keep",
        absent: &["onerror=", "<xmp"],
        contains: &["keep"],
        ..ROW
    },
    Case {
        name: "noembed attribute breakout",
        html: "<noembed><p title=\"</noembed><img src=x onerror=alert(1)>\"></noembed>keep",
        absent: &["onerror=", "<noembed"],
        contains: &["keep"],
        ..ROW
    },
    Case {
        name: "plaintext makes markup text",
        html: "<plaintext><script>alert(1)</script>",
        exact: Some("&lt;script&gt;alert(1)&lt;/script&gt;"),
        ..ROW
    },
    Case {
        name: "textarea content",
        html: "<textarea><script>alert(1)</script></textarea>keep",
        absent: &["<textarea", "<script"],
        contains: &["keep"],
        ..ROW
    },
    Case {
        name: "title content",
        html: "<title><img src=x onerror=alert(1)></title>keep",
        exact: Some("keep"),
        ..ROW
    },
    // Structure survives.
    Case {
        name: "ordinary newsletter markup",
        html: "<table width=\"100%\" cellpadding=\"0\" bgcolor=\"#fff\"><tr><td align=\"center\" class=\"hero\"><h1 style=\"font-size:24px\">Hello</h1><p>Text &amp; more</p></td></tr></table>",
        exact: Some(
            "<table width=\"100%\" cellpadding=\"0\" bgcolor=\"#fff\"><tbody><tr><td align=\"center\" class=\"hero\"><h1 style=\"font-size:24px\">Hello</h1><p>Text &amp; more</p></td></tr></tbody></table>",
        ),
        ..ROW
    },
];

#[test]
fn every_policy_row_holds() {
    let mut failures = Vec::new();
    for case in CASES {
        let out = sanitize_html(case.html, &options(case.mode));
        let mut fail =
            |what: String| failures.push(format!("{}: {what}\n    output: {}", case.name, out.html));
        if let Some(exact) = case.exact
            && out.html != exact
        {
            fail(format!("expected exactly {exact:?}"));
        }
        for needle in case.contains {
            if !out.html.contains(needle) {
                fail(format!("missing {needle:?}"));
            }
        }
        for needle in case.absent {
            if out.html.to_ascii_lowercase().contains(&needle.to_ascii_lowercase()) {
                fail(format!("should not contain {needle:?}"));
            }
        }
        if out.blocked_remote != case.blocked_remote {
            fail(format!("blocked_remote {} instead of {}", out.blocked_remote, case.blocked_remote));
        }
        if out.tracking_pixels != case.tracking_pixels {
            fail(format!("tracking_pixels {} instead of {}", out.tracking_pixels, case.tracking_pixels));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[test]
fn no_output_carries_script_or_remote_loads_when_blocked() {
    // Whatever a row expects, some things never appear in any output, in any mode.
    for case in CASES {
        for mode in MODES {
            check_never_dangerous(case.name, mode, &sanitize_html(case.html, &options(mode)).html);
        }
    }
}

fn check_never_dangerous(name: &str, mode: Mode, html: &str) {
    let out = html.to_ascii_lowercase();
    {
        for forbidden in [
            "<script",
            "javascript:",
            "vbscript:",
            "onerror",
            "onload",
            "<iframe",
            "<form",
            "<meta",
            "<base",
            "<link",
        ] {
            assert!(!out.contains(forbidden), "{name} ({mode:?}): {forbidden} in {out}");
        }
        if mode != Mode::Remote {
            assert!(!out.contains("src=\"http"), "{name} ({mode:?}): remote src in {out}");
            assert!(!out.contains("url(http"), "{name} ({mode:?}): remote url() in {out}");
            assert!(!out.contains("url(\"http"), "{name} ({mode:?}): remote url() in {out}");
        }
    }
}

/// Found by fuzzing: a `<` in a selector was escaped again on every pass.
#[test]
fn markup_characters_in_style_sheets_settle_after_one_pass() {
    for html in
        ["<style><{w:h", "<style>a<b{color:red}</style><p>x</p>", "<p style=\"font-family:'<x'\">x</p>"]
    {
        for mode in MODES {
            let once = sanitize_html(html, &options(mode)).html;
            assert!(
                !once.contains("</style")
                    || once.matches("</style").count() == once.matches("<style").count()
            );
            assert_eq!(sanitize_html(&once, &options(mode)).html, once, "{html} ({mode:?})");
        }
    }
}

#[test]
fn sanitizing_twice_changes_nothing() {
    for case in CASES {
        for mode in MODES {
            let once = sanitize_html(case.html, &options(mode));
            let twice = sanitize_html(&once.html, &options(mode));
            assert_eq!(twice.html, once.html, "{} ({mode:?})", case.name);
            assert_eq!(twice.links, once.links, "{} ({mode:?})", case.name);
            assert_eq!(twice.tracking_pixels, 0, "{} ({mode:?})", case.name);
            assert_eq!(twice.blocked_remote, 0, "{} ({mode:?})", case.name);
        }
    }
}

#[test]
fn links_are_collected_in_order_with_their_text() {
    let html = "<p>Pay at <a href=\"https://pay.example/\"><b>our  secure\n page</b></a>, or \
                <a href=\"javascript:x()\">not this</a> <a href=\"mailto:help@pay.example\">write</a>.</p>";
    let out = sanitize_html(html, &options(Mode::Blocked));
    assert_eq!(
        out.links,
        vec![
            Link {
                href: "https://pay.example/".into(),
                text: "our secure page".into(),
                mismatched_domain: false
            },
            Link { href: "mailto:help@pay.example".into(), text: "write".into(), mismatched_domain: false },
        ]
    );
}

#[test]
fn link_text_naming_another_site_is_flagged() {
    // (href, text, mismatched)
    let rows: &[(&str, &str, bool)] = &[
        ("https://evil.example/login", "https://mybank.com", true),
        ("https://evil.example/", "www.mybank.com", true),
        ("https://evil.example/", "mybank.com/login", true),
        ("https://mybank.com.evil.example/", "mybank.com", true),
        ("https://mybank.com@evil.example/", "https://mybank.com", true),
        ("https://xn--mybnk-gxa.com/", "mybank.com", true),
        ("tel:+15551234", "www.mybank.com", true),
        ("mailto:x@evil.example", "mybank.com", true),
        ("https://www.mybank.com/x", "MyBank.com", false),
        ("https://mybank.com/", "https://www.mybank.com/", false),
        ("https://secure.mybank.com/", "mybank.com", false),
        ("https://mybank.com/", "secure.mybank.com", false),
        ("https://MYBANK.com./", "(mybank.com).", false),
        ("mailto:help@mybank.com", "mybank.com", false),
        ("https://files.example/r.pdf", "report.pdf", false),
        ("https://evil.example/", "Click here", false),
        ("https://evil.example/", "Version 3.14", false),
        ("https://evil.example/", "3.14", false),
        ("https://evil.example/", "help@mybank.com", false),
        ("https://10.0.0.1/", "https://10.0.0.1/", false),
        ("https://evil.example/", "192.168.0.1", true),
    ];
    for &(href, text, mismatched) in rows {
        let html = format!("<a href=\"{href}\">{text}</a>");
        let out = sanitize_html(&html, &options(Mode::Blocked));
        assert_eq!(out.links.len(), 1, "{href} / {text}: {out:?}");
        assert_eq!(out.links[0].mismatched_domain, mismatched, "{href} / {text}");
    }
}

#[test]
fn default_options_show_no_inline_parts() {
    let out = sanitize_html("<img src=\"cid:logo@example.com\" alt=\"a\">", &RenderOptions::default());
    assert_eq!(out.html, "<img alt=\"a\">");
}

#[test]
fn hostile_nesting_does_not_break_anything() {
    let deep_html = "<div>".repeat(2_000) + "x" + &"</div>".repeat(2_000);
    let out = sanitize_html(&deep_html, &options(Mode::Blocked));
    assert!(out.html.contains('x'));

    let deep_css = format!("<p style=\"color:red;x:{}1{}\">y</p>", "(".repeat(500), ")".repeat(500));
    let out = sanitize_html(&deep_css, &options(Mode::Blocked));
    assert!(out.html.contains("y</p>"), "{}", out.html);
}

#[test]
fn routed_links_point_at_their_entry() {
    // With a link base, the i-th link in the document goes to `LINK_BASE` + i, its title is
    // the real target, and the list holds exactly one entry per link.
    for case in CASES {
        let out = sanitize_html(case.html, &options(Mode::Routed));
        check_routed(case.name, &out);
    }
}

/// Checks that every link in `out` is routed to its own entry of `out.links`.
fn check_routed(name: &str, out: &SanitizedHtml) {
    let hrefs: Vec<&str> = out.html.split("href=\"").skip(1).collect();
    assert_eq!(hrefs.len(), out.links.len(), "{name}: {}", out.html);
    for (i, (after, link)) in hrefs.iter().zip(&out.links).enumerate() {
        let expected = format!("{LINK_BASE}{i}\" title=\"{}\"", escape_attribute(&link.href));
        assert!(after.starts_with(&expected), "{name}: link {i} is not {expected}: {}", out.html);
    }
}

fn escape_attribute(text: &str) -> String {
    text.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}

// Plain text.

/// A plain-text row: the text, the options, the whole HTML expected and the links listed.
struct PlainCase {
    name: &'static str,
    text: &'static str,
    /// Links routed through the app (`LINK_BASE`) or not.
    routed: bool,
    html: &'static str,
    /// The links listed: (href, text).
    links: &'static [(&'static str, &'static str)],
}

const PLAIN: PlainCase = PlainCase { name: "", text: "", routed: false, html: "", links: &[] };

const PLAIN_CASES: &[PlainCase] = &[
    PlainCase {
        name: "escaping",
        text: "a < b && c > \"d\"",
        html: "<pre class=\"tern-plain\">a &lt; b &amp;&amp; c &gt; \"d\"</pre>",
        ..PLAIN
    },
    PlainCase {
        name: "markup is text",
        text: "<script>alert(1)</script>",
        html: "<pre class=\"tern-plain\">&lt;script&gt;alert(1)&lt;/script&gt;</pre>",
        ..PLAIN
    },
    PlainCase {
        name: "line breaks",
        text: "one\ntwo\r\n\r\nthree\n",
        html: "<pre class=\"tern-plain\">one<br>two<br><br>three</pre>",
        ..PLAIN
    },
    PlainCase {
        name: "spaces kept",
        text: "  indented  text",
        html: "<pre class=\"tern-plain\">  indented  text</pre>",
        ..PLAIN
    },
    PlainCase {
        name: "url with special characters",
        text: "See https://example.com/?a=1&b=2<x>.",
        html: "<pre class=\"tern-plain\">See <a href=\"https://example.com/?a=1&amp;b=2\" target=\"_blank\" rel=\"noopener noreferrer\">https://example.com/?a=1&amp;b=2</a>&lt;x&gt;.</pre>",
        links: &[("https://example.com/?a=1&b=2", "https://example.com/?a=1&b=2")],
        ..PLAIN
    },
    PlainCase {
        name: "email and mailto",
        text: "Write to bob@example.com",
        html: "<pre class=\"tern-plain\">Write to <a href=\"mailto:bob@example.com\" target=\"_blank\" rel=\"noopener noreferrer\">bob@example.com</a></pre>",
        links: &[("mailto:bob@example.com", "bob@example.com")],
        ..PLAIN
    },
    PlainCase {
        name: "other schemes stay text",
        text: "javascript:alert(1) ftp://example.com/x",
        html: "<pre class=\"tern-plain\">javascript:alert(1) ftp://example.com/x</pre>",
        ..PLAIN
    },
    PlainCase {
        name: "short quotes nest by depth",
        text: "Hi\n> first\n> > deeper\n> back\nme",
        html: "<pre class=\"tern-plain\">Hi<blockquote>first<blockquote>deeper</blockquote>back</blockquote>me</pre>",
        ..PLAIN
    },
    PlainCase {
        name: "quote of four lines folded",
        text: "Hi\n> first\n> > deeper\n>> deeper still\n> back\nme",
        html: "<pre class=\"tern-plain\">Hi<details class=\"tern-quote\"><summary>Show quoted text (4 lines)</summary><blockquote>first<blockquote>deeper<br>deeper still</blockquote>back</blockquote></details>me</pre>",
        ..PLAIN
    },
    PlainCase {
        name: "long quote at the end folded",
        text: "Sure.\n\nOn Monday Bob wrote:\n> a\n> b\n>\n> c\n> -- \n> Bob",
        html: "<pre class=\"tern-plain\">Sure.<br><br>On Monday Bob wrote:<details class=\"tern-quote\"><summary>Show quoted text (6 lines)</summary><blockquote>a<br>b<br><br>c<br>-- <br>Bob</blockquote></details></pre>",
        ..PLAIN
    },
    PlainCase {
        name: "quotes split by a blank line counted apart",
        text: "> a\n> b\n\n> c\n> d",
        html: "<pre class=\"tern-plain\"><blockquote>a<br>b</blockquote><blockquote>c<br>d</blockquote></pre>",
        ..PLAIN
    },
    PlainCase {
        name: "two long quotes folded apart",
        text: "> 1\n> 2\n> 3\n> 4\nmiddle\n> 5\n> 6\n> 7\n> 8\n> 9",
        html: "<pre class=\"tern-plain\"><details class=\"tern-quote\"><summary>Show quoted text (4 lines)</summary><blockquote>1<br>2<br>3<br>4</blockquote></details>middle<details class=\"tern-quote\"><summary>Show quoted text (5 lines)</summary><blockquote>5<br>6<br>7<br>8<br>9</blockquote></details></pre>",
        ..PLAIN
    },
    PlainCase {
        name: "quote at the end",
        text: "x\n>q",
        html: "<pre class=\"tern-plain\">x<blockquote>q</blockquote></pre>",
        ..PLAIN
    },
    PlainCase {
        name: "escaped quote content",
        text: "> <b>&",
        html: "<pre class=\"tern-plain\"><blockquote>&lt;b&gt;&amp;</blockquote></pre>",
        ..PLAIN
    },
    PlainCase { name: "empty", text: "", html: "<pre class=\"tern-plain\"></pre>", ..PLAIN },
    PlainCase {
        name: "old mac line ends and nul",
        text: "a\rb\0c",
        html: "<pre class=\"tern-plain\">a<br>bc</pre>",
        ..PLAIN
    },
    PlainCase {
        name: "mailto url",
        text: "mailto:bob@example.com?subject=hi",
        html: "<pre class=\"tern-plain\"><a href=\"mailto:bob@example.com\" target=\"_blank\" rel=\"noopener noreferrer\">mailto:bob@example.com</a>?subject=hi</pre>",
        links: &[("mailto:bob@example.com", "mailto:bob@example.com")],
        ..PLAIN
    },
    PlainCase {
        name: "routed links",
        text: "Log in at https://mybank.com/login?a=1&b=2\n> or mail help@mybank.com",
        routed: true,
        html: "<pre class=\"tern-plain\">Log in at <a href=\"tern-part://localhost/link/abc/0\" title=\"https://mybank.com/login?a=1&amp;b=2\" rel=\"noopener noreferrer\">https://mybank.com/login?a=1&amp;b=2</a><blockquote>or mail <a href=\"tern-part://localhost/link/abc/1\" title=\"mailto:help@mybank.com\" rel=\"noopener noreferrer\">help@mybank.com</a></blockquote></pre>",
        links: &[
            ("https://mybank.com/login?a=1&b=2", "https://mybank.com/login?a=1&b=2"),
            ("mailto:help@mybank.com", "help@mybank.com"),
        ],
    },
    PlainCase {
        name: "routed text without links",
        text: "nothing to see",
        routed: true,
        html: "<pre class=\"tern-plain\">nothing to see</pre>",
        ..PLAIN
    },
];

#[test]
fn plain_text_becomes_escaped_linked_quoted_html() {
    for case in PLAIN_CASES {
        check_plain(case);
    }
}

/// Checks one plain-text row: the HTML, the links, and that the sanitizer (with the same
/// options, quotes folded or not) leaves both as they are.
fn check_plain(case: &PlainCase) {
    let mode = if case.routed { Mode::Routed } else { Mode::Blocked };
    let out = plain_to_html(case.text, &options(mode));
    assert_eq!(out.html, case.html, "{}", case.name);
    let links: Vec<Link> = case
        .links
        .iter()
        .map(|&(href, text)| Link { href: href.into(), text: text.into(), mismatched_domain: false })
        .collect();
    assert_eq!(out.links, links, "{}", case.name);
    assert_eq!((out.blocked_remote, out.tracking_pixels), (0, 0), "{}", case.name);
    if case.routed {
        check_routed(case.name, &out);
    }
    // Already within the policy: sanitizing changes nothing.
    let mut folding = options(mode);
    for fold_quotes in [false, true] {
        folding.fold_quotes = fold_quotes;
        let sanitized = sanitize_html(&out.html, &folding);
        assert_eq!(sanitized.html, out.html, "{}: sanitized (folding {fold_quotes})", case.name);
        assert_eq!(sanitized.links, out.links, "{}: sanitized links (folding {fold_quotes})", case.name);
    }
}

// format=flowed.

/// (name, flowed text, DelSp, decoded text)
const FLOWED_CASES: &[(&str, &str, bool, &str)] = &[
    ("fixed lines stay", "one\ntwo\n", false, "one\ntwo\n"),
    ("soft break joined", "The quick \nbrown fox\n", false, "The quick brown fox\n"),
    ("crlf line ends", "The quick \r\nbrown fox\r\n", false, "The quick brown fox\n"),
    ("several soft breaks", "a \nb \nc\nd", false, "a b c\nd"),
    ("delsp removes the space", "super\u{2010} \ncalifragilistic\n", true, "super\u{2010}califragilistic\n"),
    ("delsp keeps a real space", "The quick  \nbrown\n", true, "The quick brown\n"),
    ("no delsp keeps the space", "ab \ncd", false, "ab cd"),
    (
        "space-stuffing removed",
        " From here\n  indented\n >not a quote\n",
        false,
        "From here\n indented\n >not a quote\n",
    ),
    ("stuffed soft break", " a \n b\n", false, "a b\n"),
    ("an empty line ends a paragraph", "a \n\nb\n", false, "a \n\nb\n"),
    ("an empty line ends a quoted paragraph", "> a \n>\n> b\n", true, "> a\n>\n> b\n"),
    ("space-only line is a stuffed empty line", " \nb", false, "\nb"),
    ("two spaces make an empty flowed line", "  \nb", false, " b"),
    ("quoted paragraph joined", "> Hello \n> world\nme\n", false, "> Hello world\nme\n"),
    ("quoted stuffing removed", ">  two spaces \n> after\n", false, ">  two spaces after\n"),
    ("deeper quote", ">> a \n>> b\n> c\n", false, ">> a b\n> c\n"),
    ("depth change ends a paragraph", "> a \n>> b \n> c\nd", false, "> a \n>> b \n> c\nd"),
    ("quoted empty line", "> a\n>\n> b", false, "> a\n>\n> b"),
    ("signature separator is never joined", "Bye \n-- \nBob\n", false, "Bye \n-- \nBob\n"),
    ("signature separator with delsp", "Bye\n-- \nBob \nSmith\n", true, "Bye\n-- \nBobSmith\n"),
    ("quoted signature separator", "> x\n> -- \n> sig\n", false, "> x\n> -- \n> sig\n"),
    ("trailing space at the end of the text", "last \n", false, "last \n"),
    ("trailing space without a final line break", "last ", false, "last "),
    ("trailing space at the end with delsp", "last ", true, "last"),
    ("crlf quoted and mixed", "> a \r\n> b\r\n\r\nc \r\nd", false, "> a b\n\nc d"),
    ("empty text", "", false, ""),
    ("only a line break", "\n", false, "\n"),
];

#[test]
fn flowed_text_is_joined() {
    for &(name, text, delsp, expected) in FLOWED_CASES {
        check_flowed(name, text, delsp, expected);
    }
}

fn check_flowed(name: &str, text: &str, delsp: bool, expected: &str) {
    assert_eq!(flowed::decode(text, delsp), expected, "{name}");
}

// Snippets.

/// What a snippet row reads.
#[derive(Debug, Clone, Copy)]
enum Body {
    Html,
    Text,
}

/// (name, kind, body, max_chars, snippet)
const SNIPPET_CASES: &[(&str, Body, &str, usize, &str)] = &[
    (
        "html text",
        Body::Html,
        "<p>Hello <b>there</b>,</p><p>how are you?</p>",
        100,
        "Hello there, how are you?",
    ),
    (
        "html head skipped",
        Body::Html,
        "<html><head><title>Weekly news</title><style>p{color:red}</style><meta charset=utf-8></head><body><p>Top stories</p></body></html>",
        100,
        "Top stories",
    ),
    (
        "html scripts and templates skipped",
        Body::Html,
        "<script>var a = '<p>no</p>';</script>Yes<template><p>never</p></template> indeed<noscript>no</noscript>",
        100,
        "Yes indeed",
    ),
    ("html unclosed head", Body::Html, "<head><title>t</title><body>Body text", 100, "Body text"),
    (
        "html entities decoded",
        Body::Html,
        "Fish &amp; chips &lt;3 &eacute;t&#233; &#x263A;",
        100,
        "Fish & chips <3 été ☺",
    ),
    ("html whitespace collapsed", Body::Html, "  a\n\n\t b&nbsp;&nbsp;c  ", 100, "a b c"),
    (
        "html cells apart",
        Body::Html,
        "<table><tr><td>One</td><td>Two</td></tr></table><div>Three</div>",
        100,
        "One Two Three",
    ),
    (
        "html inline elements join words",
        Body::Html,
        "un<b>believ</b><i>able</i><br>next",
        100,
        "unbelievable next",
    ),
    (
        "html preheader padding dropped",
        Body::Html,
        "<div style=\"display:none\">Sale today&nbsp;&zwnj;&#847;&nbsp;&zwnj;&#847;&nbsp;</div><p>Hi</p>",
        100,
        "Sale today Hi",
    ),
    ("html comments skipped", Body::Html, "a<!-- hidden -->b", 100, "ab"),
    ("html svg skipped", Body::Html, "<svg><title>icon</title><text>x</text></svg>Hello", 100, "Hello"),
    ("html cut at max", Body::Html, "<p>Hello world, again</p>", 11, "Hello world"),
    ("html cut without trailing space", Body::Html, "<p>Hello world</p>", 6, "Hello"),
    ("html cut at a char boundary", Body::Html, "héllo wörld", 7, "héllo w"),
    ("html zero max", Body::Html, "<p>Hello</p>", 0, ""),
    ("html empty", Body::Html, "", 10, ""),
    ("html long input stops early", Body::Html, "<p>First words</p>", 5, "First"),
    ("text words", Body::Text, "Hello there,\r\nhow are you?\n", 100, "Hello there, how are you?"),
    (
        "text quotes skipped",
        Body::Text,
        "On Monday Bob wrote:\n> Are you coming?\n>> Maybe\n  > indented quote\nYes, I am.",
        100,
        "On Monday Bob wrote: Yes, I am.",
    ),
    ("text signature skipped", Body::Text, "See you.\n-- \nBob\nExample Inc.", 100, "See you."),
    ("text dashes without the space are text", Body::Text, "a\n--\nb", 100, "a -- b"),
    ("text whitespace collapsed", Body::Text, "\n\n  a \t b\u{a0} c  \n\n", 100, "a b c"),
    ("text cut at max", Body::Text, "one two three", 7, "one two"),
    ("text cut at a space", Body::Text, "one two three", 8, "one two"),
    ("text cut at a char boundary", Body::Text, "日本語のテキスト", 3, "日本語"),
    ("text only a quote", Body::Text, "> quoted only", 100, ""),
    ("text zero-width characters dropped", Body::Text, "\u{feff}Hi\u{200b} there", 100, "Hi there"),
];

#[test]
fn snippets_show_the_first_words() {
    for &(name, kind, body, max_chars, expected) in SNIPPET_CASES {
        check_snippet(name, kind, body, max_chars, expected);
    }
}

fn check_snippet(name: &str, kind: Body, body: &str, max_chars: usize, expected: &str) {
    let snippet = match kind {
        Body::Html => snippet_from_html(body, max_chars),
        Body::Text => snippet_from_text(body, max_chars),
    };
    assert_eq!(snippet, expected, "{name}");
    assert!(snippet.chars().count() <= max_chars, "{name}: longer than {max_chars}");
    assert_eq!(snippet.trim(), snippet, "{name}: untrimmed");
}

#[test]
fn snippet_of_a_long_message_is_cut_early() {
    let html = "<p>Start</p>".to_owned() + &"<p>filler text</p>".repeat(50_000);
    assert_eq!(snippet_from_html(&html, 12), "Start filler");
}

#[test]
fn snippet_reads_across_chunk_boundaries() {
    // Entities and tags cut in two by the chunks the tokenizer reads stay whole.
    for shift in 0..12 {
        let filler = "a".repeat(16 * 1024 - 6 + shift);
        let html = format!("<p>{filler}&eacute;<b>x</b><style>p{{}}</style>é</p>");
        let snippet = snippet_from_html(&html, 100_000);
        let tail = snippet.strip_prefix(&filler);
        assert_eq!(tail, Some("éx é"), "shift {shift}");
    }
}
