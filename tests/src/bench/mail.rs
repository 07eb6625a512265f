//! The messages the benchmark adds to a folder, and taking them away again.
//!
//! Every message the harness APPENDs carries a header `X-Tern-Bench: <run token>`, so it can be
//! found and expunged afterwards without touching anything else in the folder (on a real server
//! other mail may arrive meanwhile): `UID SEARCH UID <UIDNEXT before>:* HEADER X-Tern-Bench
//! <token>` only reads the messages that came in since, never the whole folder.

use futures::TryStreamExt;
use tern_core::imap::ImapSession;

type Res<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The header that marks the benchmark's own messages.
pub const MARKER: &str = "X-Tern-Bench";

/// A token for this run's messages: the time and the process id.
pub fn run_token() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    format!("run-{now:x}-{}", std::process::id())
}

/// `message` with the marker header in front.
pub fn marked(token: &str, message: &[u8]) -> Vec<u8> {
    let mut out = format!("{MARKER}: {token}\r\n").into_bytes();
    out.extend_from_slice(message);
    out
}

/// The folder's UIDNEXT, as a lower bound for the UIDs of messages appended from now on.
pub async fn uid_next(session: &mut ImapSession, folder: &str) -> Res<u32> {
    Ok(session.status(folder, "(UIDNEXT)").await?.uid_next.ok_or("the server sent no UIDNEXT")?)
}

/// UIDs of this run's messages in `folder` from `from` on, ascending (selects the folder).
pub async fn marked_uids(session: &mut ImapSession, folder: &str, from: u32, token: &str) -> Res<Vec<u32>> {
    session.select(folder).await?;
    let mut uids: Vec<u32> =
        session.uid_search(format!("UID {from}:* HEADER {MARKER} {token}")).await?.into_iter().collect();
    uids.sort_unstable();
    Ok(uids)
}

/// Expunges exactly `uids` of the selected folder (UID EXPUNGE, RFC 4315). Returns how many.
pub async fn expunge(session: &mut ImapSession, uids: &[u32]) -> Res<usize> {
    if uids.is_empty() {
        return Ok(0);
    }
    let set = uid_set(uids);
    let _: Vec<_> = session.uid_store(&set, "+FLAGS.SILENT (\\Deleted)").await?.try_collect().await?;
    let _: Vec<_> = session.uid_expunge(&set).await?.try_collect().await?;
    Ok(uids.len())
}

/// Expunges this run's messages in `folder` from UID `from` on. Returns how many.
pub async fn expunge_marked(session: &mut ImapSession, folder: &str, from: u32, token: &str) -> Res<usize> {
    let uids = marked_uids(session, folder, from, token).await?;
    expunge(session, &uids).await
}

/// `1,2,3,7` as `1:3,7`.
pub fn uid_set(uids: &[u32]) -> String {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        out.push(if start == end { start.to_string() } else { format!("{start}:{end}") });
        i += 1;
    }
    out.join(",")
}

const WORDS: &[&str] = &[
    "release",
    "engine",
    "folder",
    "message",
    "server",
    "update",
    "design",
    "reader",
    "privacy",
    "network",
    "quarter",
    "numbers",
    "team",
    "roadmap",
    "feedback",
    "launch",
    "support",
    "weekly",
    "review",
    "summary",
    "details",
    "budget",
    "customers",
    "results",
    "planning",
    "changes",
];

/// Deterministic filler text of about `len` characters.
fn words(seed: usize, len: usize) -> String {
    let mut out = String::with_capacity(len + 16);
    let mut i = seed;
    while out.len() < len {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(WORDS[(i * 7 + i / 3) % WORDS.len()]);
        i += 1;
    }
    out
}

/// Quoted-printable, lines of at most 76 characters.
fn quoted_printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 11 / 10);
    for line in text.split('\n') {
        let bytes = line.as_bytes();
        let mut width = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let last = i + 1 == bytes.len();
            let token = match b {
                b' ' | b'\t' if last => format!("={b:02X}"),
                b'=' => format!("={b:02X}"),
                b' ' | b'\t' | 0x21..=0x7e => char::from(b).to_string(),
                _ => format!("={b:02X}"),
            };
            if width + token.len() > 75 {
                out.push_str("=\r\n");
                width = 0;
            }
            width += token.len();
            out.push_str(&token);
        }
        out.push_str("\r\n");
    }
    out
}

/// A newsletter of about 50 KB of HTML (`multipart/alternative` with a short plain-text part;
/// the HTML part quoted-printable, with a style sheet, a table layout, inline styles, links,
/// remote images and a tracking pixel), marked with `token`. Returns the message and the size of
/// its HTML.
pub fn html_newsletter(token: &str, index: u32, to: &str) -> (Vec<u8>, usize) {
    let mut html = String::from(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Tern Weekly</title>\n<style>\n\
         body { margin: 0; padding: 0; background: #f4f4f7; font-family: Helvetica, Arial, sans-serif; }\n\
         .wrap { width: 100%; background: #f4f4f7; }\n.card { width: 600px; margin: 0 auto; background: #ffffff; }\n\
         h1 { font-size: 28px; color: #1a1a2e; }\nh2 { font-size: 20px; color: #16213e; margin: 24px 0 8px; }\n\
         p { font-size: 15px; line-height: 1.5; color: #333333; }\na.button { background: #0f3460; color: #fff; \
         padding: 10px 18px; border-radius: 4px; text-decoration: none; }\n.footer { font-size: 12px; color: #888; }\n\
         @media (max-width: 620px) { .card { width: 100% !important; } }\n</style></head>\n\
         <body><table class=\"wrap\" role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\">\n\
         <tr><td align=\"center\"><table class=\"card\" role=\"presentation\" width=\"600\" cellpadding=\"0\" cellspacing=\"0\">\n\
         <tr><td style=\"padding: 24px 32px;\"><h1>Tern Weekly</h1></td></tr>\n",
    );
    let mut plain = String::from("Tern Weekly\n\n");
    let mut section = 0;
    while html.len() < 49_000 {
        let title = words(section * 3 + 1, 40);
        let body = words(section * 5 + 2, 520);
        html.push_str(&format!(
            "<tr><td style=\"padding: 8px 32px; border-top: 1px solid #e0e0e0;\">\n\
             <img src=\"https://cdn.news.example.com/img/{index}/{section}.jpg\" width=\"536\" height=\"180\" \
             alt=\"{title}\" style=\"display: block; width: 100%; height: auto;\">\n\
             <h2 style=\"font-weight: bold;\">{title}</h2>\n<p style=\"margin: 0 0 12px;\">{body}</p>\n\
             <p><a class=\"button\" href=\"https://news.example.com/articles/{index}/{section}?utm_source=newsletter&amp;utm_medium=email&amp;utm_campaign=weekly\">Read more</a>\n\
             or <a href=\"https://news.example.com/share/{section}\" style=\"color: #0f3460;\">share it</a>.</p>\n\
             </td></tr>\n"
        ));
        if plain.len() < 4_000 {
            plain.push_str(&format!(
                "{title}\n{}\nhttps://news.example.com/articles/{index}/{section}\n\n",
                &body[..200]
            ));
        }
        section += 1;
    }
    html.push_str(
        "<tr><td class=\"footer\" style=\"padding: 24px 32px;\">You receive this because you asked to. \
         <a href=\"https://news.example.com/unsubscribe\">Unsubscribe</a>.\n\
         <img src=\"https://track.example.com/open.gif?id=bench\" width=\"1\" height=\"1\" alt=\"\"></td></tr>\n\
         </table></td></tr></table></body></html>\n",
    );
    let html_len = html.len();
    let boundary = "=_tern_bench_alt";
    let mut out = String::new();
    out.push_str(&format!("{MARKER}: {token}\r\n"));
    out.push_str("Date: Sat, 21 Nov 2026 10:00:00 +0000\r\n");
    out.push_str("From: Tern Weekly <news@news.example.com>\r\n");
    out.push_str(&format!("To: <{to}>\r\n"));
    out.push_str(&format!("Subject: Tern Weekly #{index}: fifty kilobytes of HTML\r\n"));
    out.push_str(&format!("Message-ID: <bench-html-{index}.{token}@tern.test>\r\n"));
    out.push_str("MIME-Version: 1.0\r\n");
    out.push_str(&format!("Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n"));
    out.push_str(&format!(
        "--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
    ));
    out.push_str(&plain.replace('\n', "\r\n"));
    out.push_str(&format!(
        "\r\n--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
    ));
    out.push_str(&quoted_printable(&html));
    out.push_str(&format!("--{boundary}--\r\n"));
    (out.into_bytes(), html_len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets() {
        assert_eq!(uid_set(&[7, 1, 2, 3, 9, 10]), "1:3,7,9:10");
        assert_eq!(uid_set(&[]), "");
    }

    #[test]
    fn quoted_printable_lines_are_short() {
        let text = format!("{}\n{}", "a=b ".repeat(100), "x".repeat(200));
        let qp = quoted_printable(&text);
        assert!(qp.split("\r\n").all(|l| l.len() <= 76), "{qp}");
        let decoded: String =
            qp.replace("=\r\n", "").replace("=3D", "=").replace("=20", " ").replace("\r\n", "\n");
        assert_eq!(decoded.trim_end(), text);
    }
}
