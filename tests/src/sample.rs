//! Deterministic sample mail, written straight into maildirs.
//!
//! A [`Generator`] turns a seed into an endless, reproducible stream of realistic messages:
//! senders with non-ASCII names in RFC 2047 encoded words, threads chained by `Message-ID`,
//! `In-Reply-To` and `References`, plain, HTML and `multipart/alternative` bodies, PDF- and
//! PNG-like attachments in base64, sizes from about 1 KB to a few MB (a few large ones), and dates
//! spread over the two years before an anchor date. Nothing depends on the clock or the machine:
//! the same seed gives the same bytes.
//!
//! [`seed`] writes messages into a folder of a Maildir++ tree (`cur/` files with flags in the
//! name, mtime = message date, size hints `S=`/`W=` so Dovecot never has to stat or read them), at
//! tens of thousands of messages per second. New files take the owner of the maildir root, so a
//! root process seeding a `nobody`-owned maildir leaves it usable by Dovecot.
//!
//! Reading tests use hand-made messages instead, each a [`Sample`] that knows what a reader must
//! show of it: [`charset_message`] (bodies in ISO-2022-JP, GB18030, ISO-8859-2 and
//! Windows-1251, plain and HTML), [`encoded_names_message`] (attachment names in RFC 2231 and
//! RFC 2047), [`inline_images_message`] (two `cid:` images) and [`large_attachment_message`]
//! (one big attachment of reproducible bytes).

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The default anchor: dates fall in the two years before 2026-01-01T00:00:00Z.
pub const DEFAULT_ANCHOR: i64 = 1_767_225_600;

/// Two years, in seconds.
const SPAN: i64 = 2 * 365 * 24 * 3600;

/// What [`seed`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedReport {
    /// Messages written.
    pub count: usize,
    /// Total bytes written.
    pub bytes: u64,
    /// The folder's maildir directory.
    pub dir: PathBuf,
}

/// The maildir directory of `folder` under a Maildir++ `root` (`"INBOX"` or `""` is the root
/// itself; `"Work/Projects"` is `root/.Work.Projects`). Non-ASCII names are stored in modified
/// UTF-7, as Dovecot does: `"Entwürfe/Übersicht"` is `root/.Entw&APw-rfe.&ANw-bersicht`.
pub fn folder_dir(root: &Path, folder: &str) -> PathBuf {
    if folder.is_empty() || folder.eq_ignore_ascii_case("INBOX") {
        root.to_path_buf()
    } else {
        let parts: Vec<String> = folder.split('/').map(modified_utf7).collect();
        root.join(format!(".{}", parts.join(".")))
    }
}

/// Encodes a mailbox name in IMAP's modified UTF-7 (RFC 3501 5.1.3): what goes on the wire and,
/// in Dovecot's maildirs, on disk. `"Entwürfe"` is `"Entw&APw-rfe"`, `"&"` is `"&-"`.
pub fn modified_utf7(name: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
    fn flush(out: &mut String, pending: &mut Vec<u16>) {
        if pending.is_empty() {
            return;
        }
        let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
        out.push('&');
        for chunk in bytes.chunks(3) {
            let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            let chars = chunk.len() + 1;
            for i in 0..chars {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            }
        }
        out.push('-');
        pending.clear();
    }
    let mut out = String::new();
    let mut pending: Vec<u16> = Vec::new();
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut out, &mut pending);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut units = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut units));
        }
    }
    flush(&mut out, &mut pending);
    out
}

/// Writes `count` messages generated from `seed` into `folder` of the Maildir++ tree at
/// `maildir_root` (dates anchored at [`DEFAULT_ANCHOR`]).
pub fn seed(maildir_root: &Path, folder: &str, count: usize, seed: u64) -> io::Result<SeedReport> {
    seed_with(maildir_root, folder, count, &mut Generator::new(seed))
}

/// Like [`seed`] with a generator of your own (another anchor, or continuing a stream).
pub fn seed_with(
    maildir_root: &Path,
    folder: &str,
    count: usize,
    generator: &mut Generator,
) -> io::Result<SeedReport> {
    fs::create_dir_all(maildir_root)?;
    let root_meta = fs::metadata(maildir_root)?;
    let owner = (root_meta.uid(), root_meta.gid());
    let dir = folder_dir(maildir_root, folder);
    for sub in ["", "cur", "new", "tmp"] {
        let path = dir.join(sub);
        fs::create_dir_all(&path)?;
        crate::dovecot::chown(&path, owner)?;
    }
    if dir != maildir_root {
        let marker = dir.join("maildirfolder");
        if !marker.exists() {
            fs::write(&marker, b"")?;
            crate::dovecot::chown(&marker, owner)?;
        }
    }
    let cur = dir.join("cur");
    let mut bytes = 0u64;
    for _ in 0..count {
        let message = generator.next_message();
        let len = message.bytes.len();
        let name = format!(
            "{}.M{}P{:x}.tern,S={len},W={len}:2,{}",
            message.date, message.index, generator.seed, message.flags
        );
        let path = cur.join(name);
        let file = fs::File::create(&path)?;
        io::Write::write_all(&mut &file, &message.bytes)?;
        let mtime = UNIX_EPOCH + Duration::from_secs(u64::try_from(message.date).unwrap_or(0));
        file.set_modified(mtime)?;
        drop(file);
        crate::dovecot::chown(&path, owner)?;
        bytes += len as u64;
    }
    Ok(SeedReport { count, bytes, dir })
}

/// Like [`seed`], but only `distinct` messages are generated: the other `count - distinct` are
/// hard links to them under new names, so Dovecot sees `count` messages (repeating contents,
/// each with its own UID) for the cost of writing `distinct`. For tests where the number of
/// messages matters, not their variety. `folder` should hold no other messages from `seed`.
pub fn seed_linked(
    maildir_root: &Path,
    folder: &str,
    count: usize,
    distinct: usize,
    seed: u64,
) -> io::Result<SeedReport> {
    let distinct = distinct.clamp(1, count.max(1));
    let first = self::seed(maildir_root, folder, distinct.min(count), seed)?;
    let cur = first.dir.join("cur");
    let marker = format!("P{seed:x}.tern,");
    let mut originals: Vec<(String, u64)> = Vec::new();
    for entry in fs::read_dir(&cur)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.contains(&marker) && !name.contains(".L") {
            originals.push((name, entry.metadata()?.len()));
        }
    }
    originals.sort();
    let mut bytes = first.bytes;
    for i in distinct..count {
        let (name, len) = &originals[i % originals.len()];
        let (date, rest) = name.split_once('.').unwrap_or((name.as_str(), ""));
        fs::hard_link(cur.join(name), cur.join(format!("{date}.L{i}{rest}")))?;
        bytes += len;
    }
    Ok(SeedReport { count, bytes, dir: first.dir })
}

/// One generated message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Position in the generator's stream (0-based).
    pub index: u64,
    /// The complete message, CRLF line endings.
    pub bytes: Vec<u8>,
    /// Date, seconds since the epoch (also the `Date:` header).
    pub date: i64,
    /// Maildir flags, sorted (`"S"`, `"FS"`, `""`...).
    pub flags: String,
    /// The `Message-ID` (with angle brackets).
    pub message_id: String,
    /// Number of attachments.
    pub attachments: usize,
}

/// A small, fast, seedable PRNG (SplitMix64): stable across platforms and Rust versions.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x5EED_7E4E_0000_0001)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// `len` random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(len);
        out
    }
}

const PEOPLE: &[&str] = &[
    "Ann Lee",
    "Bob Stone",
    "Zoë Martin",
    "José García",
    "Björn Åström",
    "François Dupont",
    "Łukasz Nowak",
    "Ngozi Okafor",
    "Priya Raman",
    "田中 太郎",
    "Анна Смирнова",
    "Søren Kierkegaard",
    "Chloé Bernard",
    "Mehmet Yılmaz",
    "Olivia Chen",
    "Dimitris Παπαδόπουλος",
    "Liam O'Brien",
    "Fatima Al-Sayed",
    "Hannah Müller",
    "Kenji Sato",
    "Maria Rossi",
    "Noah Williams",
    "Ines Ferreira",
    "Ravi Kumar",
    "Sofia Lindqvist",
    "Tomás Ruiz",
    "Yuki Nakamura",
    "Zhang Wei",
    "Élodie Moreau",
    "Jürgen Weiß",
];

const DOMAINS: &[&str] = &[
    "example.org",
    "example.com",
    "mail.example.net",
    "tern.test",
    "posteo.example",
    "acme.example",
    "universität.example",
    "fastmail.example",
    "company.example.co.uk",
    "lists.example.org",
];

const SUBJECTS: &[&str] = &[
    "Quarterly report draft",
    "Lunch on Thursday?",
    "Re-scheduling our call",
    "Invoice #{n}",
    "Your order {n} has shipped",
    "Café meeting notes",
    "Überprüfung des Angebots",
    "Réunion de lundi",
    "会議の議事録",
    "Отчёт за неделю",
    "Build failed on main ({n})",
    "Photos from the trip",
    "Contract renewal",
    "Welcome to the team!",
    "Design review: sidebar and reader",
    "Flight itinerary {n}",
    "Reminder: dentist appointment",
    "Στοιχεία για τη συνάντηση",
    "Budget 2025 — final numbers",
    "Newsletter: what's new this month",
    "Pull request #{n}: fix IDLE timeout",
    "Ticket {n}: cannot log in",
    "Slides for tomorrow",
    "Zażółć gęślą jaźń — test",
    "Happy birthday! 🎉",
];

const WORDS: &[&str] = &[
    "the",
    "project",
    "meeting",
    "we",
    "should",
    "review",
    "numbers",
    "before",
    "Friday",
    "and",
    "send",
    "them",
    "to",
    "finance",
    "please",
    "let",
    "me",
    "know",
    "if",
    "you",
    "have",
    "questions",
    "about",
    "schedule",
    "attached",
    "document",
    "next",
    "week",
    "I",
    "think",
    "that",
    "works",
    "for",
    "our",
    "team",
    "thanks",
    "again",
    "update",
    "server",
    "mailbox",
    "sync",
    "latency",
    "design",
    "draft",
    "customer",
    "feedback",
    "release",
    "notes",
    "café",
    "naïve",
    "résumé",
    "über",
    "straße",
    "déjà",
    "vu",
    "smörgåsbord",
    "piñata",
    "Zürich",
    "Kraków",
    "São",
    "Paulo",
    "Ελλάδα",
    "Москва",
    "東京",
];

const TIMEZONES: &[i64] = &[0, 60, 120, -300, -240, -420, 330, 540, 600, 480, 60, 0];

/// Remembered messages a later one may reply to.
#[derive(Debug, Clone)]
struct Earlier {
    message_id: String,
    references: String,
    subject: String,
    from: usize,
    date: i64,
}

/// A reproducible stream of messages. See the module documentation.
#[derive(Debug, Clone)]
pub struct Generator {
    /// The seed (part of the generated file names).
    seed: u64,
    /// Randomness.
    rng: Rng,
    /// Dates fall in the two years before this (seconds since the epoch).
    anchor: i64,
    /// Index of the next message.
    next: u64,
    /// The last messages, for replies.
    earlier: Vec<Earlier>,
}

impl Generator {
    /// A generator anchored at [`DEFAULT_ANCHOR`].
    pub fn new(seed: u64) -> Self {
        Self::with_anchor(seed, DEFAULT_ANCHOR)
    }

    /// A generator whose dates fall in the two years before `anchor` (seconds since the epoch).
    pub fn with_anchor(seed: u64, anchor: i64) -> Self {
        Self { seed, rng: Rng::new(seed), anchor, next: 0, earlier: Vec::new() }
    }

    /// A generator anchored now (for demos; not reproducible across days).
    pub fn anchored_now(seed: u64) -> Self {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        Self::with_anchor(seed, i64::try_from(now).unwrap_or(DEFAULT_ANCHOR))
    }

    /// The next message.
    pub fn next_message(&mut self) -> Message {
        let index = self.next;
        self.next += 1;
        let rng = &mut self.rng;

        let reply_to = if !self.earlier.is_empty() && rng.chance(30) {
            Some(self.earlier[rng.below(self.earlier.len() as u64) as usize].clone())
        } else {
            None
        };
        let from = match &reply_to {
            // Replies come from someone else in the conversation.
            Some(parent) => (parent.from + 1 + rng.below(PEOPLE.len() as u64 - 1) as usize) % PEOPLE.len(),
            None => rng.below(PEOPLE.len() as u64) as usize,
        };
        let to = (from + 1 + rng.below(PEOPLE.len() as u64 - 1) as usize) % PEOPLE.len();
        let date = match &reply_to {
            Some(parent) => (parent.date + rng.range(600, 3 * 86_400) as i64).min(self.anchor),
            None => self.anchor - rng.below(SPAN as u64) as i64,
        };
        let subject = match &reply_to {
            Some(parent) if parent.subject.starts_with("Re: ") => parent.subject.clone(),
            Some(parent) => format!("Re: {}", parent.subject),
            None => rng.pick(SUBJECTS).replace("{n}", &rng.range(1000, 99_999).to_string()),
        };
        let from_domain = *rng.pick(DOMAINS);
        let to_domain = *rng.pick(DOMAINS);
        let message_id =
            format!("<{:x}.{index}.{:08x}@{}>", self.seed, rng.next_u64() as u32, ascii_domain(from_domain));
        let references = match &reply_to {
            Some(parent) if parent.references.is_empty() => parent.message_id.clone(),
            Some(parent) => format!("{} {}", parent.references, parent.message_id),
            None => String::new(),
        };
        let tz = *rng.pick(TIMEZONES);

        // Flags: older mail is mostly read; some flagged, some answered.
        let mut flags = String::new();
        if rng.chance(6) {
            flags.push('F');
        }
        if rng.chance(12) {
            flags.push('R');
        }
        if rng.chance(85) {
            flags.push('S');
        }

        let mut out = String::with_capacity(4096);
        header(&mut out, "Return-Path", &format!("<{}>", address(PEOPLE[from], from_domain)));
        header(&mut out, "Date", &rfc2822_date(date, tz));
        header(&mut out, "From", &mailbox(PEOPLE[from], from_domain));
        header(&mut out, "To", &mailbox(PEOPLE[to], to_domain));
        if rng.chance(20) {
            let cc = rng.below(PEOPLE.len() as u64) as usize;
            header(&mut out, "Cc", &mailbox(PEOPLE[cc], rng.pick::<&str>(DOMAINS)));
        }
        header(&mut out, "Subject", &encode_word_if_needed(&subject));
        header(&mut out, "Message-ID", &message_id);
        if let Some(parent) = &reply_to {
            header(&mut out, "In-Reply-To", &parent.message_id);
            header(&mut out, "References", &fold_references(&references));
        }
        header(&mut out, "MIME-Version", "1.0");
        header(&mut out, "X-Mailer", "tern-tests sample generator");

        let text = paragraphs(rng, reply_to.as_ref().map(|p| (PEOPLE[p.from], p.date)));
        // A few large ones, at fixed positions: 5 in 10,000.
        let large = index % 2000 == 1000;
        let kind = if large { 3 } else { rng.below(100) };
        let mut attachments = 0;
        let body = if kind < 35 && !large {
            Part::text_plain(&text)
        } else if kind < 50 && !large {
            Part::text_html(&text, rng)
        } else if kind < 85 && !large {
            Part::alternative(&text, rng, index, 0)
        } else {
            let first = if rng.chance(50) {
                Part::alternative(&text, rng, index, 1)
            } else {
                Part::text_plain(&text)
            };
            let mut parts = vec![first];
            let n = if large { 1 } else { rng.range(1, 2) as usize };
            for _ in 0..n {
                parts.push(attachment(rng, large));
            }
            attachments = n;
            Part::Multipart { subtype: "mixed", boundary: boundary(rng, index, 0), parts }
        };
        body.write(&mut out);

        self.earlier.push(Earlier { message_id: message_id.clone(), references, subject, from, date });
        if self.earlier.len() > 64 {
            self.earlier.remove(0);
        }
        Message { index, bytes: out.into_bytes(), date, flags, message_id, attachments }
    }
}

/// A MIME entity under construction.
enum Part {
    /// A single body: its header lines (without the final blank line) and its encoded body.
    Leaf { headers: String, body: String },
    /// A multipart body.
    Multipart { subtype: &'static str, boundary: String, parts: Vec<Part> },
}

impl Part {
    fn text_plain(text: &str) -> Self {
        let cte = if text.is_ascii() { "7bit" } else { "8bit" };
        Part::Leaf {
            headers: format!(
                "Content-Type: text/plain; charset=utf-8; format=flowed\r\nContent-Transfer-Encoding: {cte}\r\n"
            ),
            body: crlf(text),
        }
    }

    fn text_html(text: &str, rng: &mut Rng) -> Self {
        let mut html = String::from(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body style=\"font-family: sans-serif\">\n",
        );
        for para in text.split("\n\n") {
            let escaped =
                para.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('\n', "<br>\n");
            html.push_str(&format!("<p>{escaped}</p>\n"));
        }
        if rng.chance(30) {
            html.push_str("<p><a href=\"https://example.org/track?id=1\"><img src=\"https://example.org/pixel.gif\" width=\"1\" height=\"1\"></a></p>\n");
        }
        html.push_str("</body></html>\n");
        Part::Leaf {
            headers:
                "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n"
                    .into(),
            body: quoted_printable(&html),
        }
    }

    fn alternative(text: &str, rng: &mut Rng, index: u64, depth: u32) -> Self {
        Part::Multipart {
            subtype: "alternative",
            boundary: boundary(rng, index, depth),
            parts: vec![Part::text_plain(text), Part::text_html(text, rng)],
        }
    }

    /// Appends the entity's Content-* headers, blank line and body.
    fn write(&self, out: &mut String) {
        match self {
            Part::Leaf { headers, body } => {
                out.push_str(headers);
                out.push_str("\r\n");
                out.push_str(body);
            }
            Part::Multipart { subtype, boundary, parts } => {
                let _ = write!(out, "Content-Type: multipart/{subtype};\r\n boundary=\"{boundary}\"\r\n\r\n");
                out.push_str("This is a multi-part message in MIME format.\r\n");
                for part in parts {
                    let _ = write!(out, "\r\n--{boundary}\r\n");
                    part.write(out);
                }
                let _ = write!(out, "\r\n--{boundary}--\r\n");
            }
        }
    }
}

fn boundary(rng: &mut Rng, index: u64, depth: u32) -> String {
    format!("=_tern_{index}_{depth}_{:016x}", rng.next_u64())
}

/// A PDF- or PNG-like attachment; `large` ones are 1-3 MB.
fn attachment(rng: &mut Rng, large: bool) -> Part {
    let size = if large { rng.range(1_000_000, 3_000_000) } else { rng.range(1_500, 16_000) } as usize;
    let (mime, name, mut data) = if rng.chance(50) {
        let n = rng.range(1, 999);
        (
            "application/pdf",
            format!("report-{n}.pdf"),
            b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n".to_vec(),
        )
    } else {
        let n = rng.range(1, 9999);
        ("image/png", format!("IMG_{n:04}.png"), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec())
    };
    let name = if rng.chance(15) { format!("Übersicht {name}") } else { name };
    data.extend(rng.bytes(size.saturating_sub(data.len())));
    let filename = encode_word_if_needed(&name);
    Part::Leaf {
        headers: format!(
            "Content-Type: {mime};\r\n name=\"{filename}\"\r\nContent-Disposition: attachment;\r\n filename=\"{filename}\"\r\nContent-Transfer-Encoding: base64\r\n"
        ),
        body: base64_lines(&data),
    }
}

/// A few paragraphs of text; a reply quotes its parent.
fn paragraphs(rng: &mut Rng, reply_to: Option<(&str, i64)>) -> String {
    let mut text = String::new();
    let greeting = ["Hi,", "Hello,", "Dear all,", "Bonjour,", "Hallo zusammen,", "Hej!"];
    text.push_str(rng.pick::<&str>(&greeting));
    text.push_str("\n\n");
    let count = if rng.chance(10) { rng.range(5, 12) } else { rng.range(1, 4) };
    for _ in 0..count {
        let mut line_len = 0;
        for _ in 0..rng.range(12, 70) {
            let word = *rng.pick(WORDS);
            if line_len + word.chars().count() > 72 {
                text.push('\n');
                line_len = 0;
            } else if line_len > 0 {
                text.push(' ');
                line_len += 1;
            }
            text.push_str(word);
            line_len += word.chars().count();
        }
        text.push_str(".\n\n");
    }
    text.push_str("Best,\n");
    text.push_str(PEOPLE[rng.below(PEOPLE.len() as u64) as usize]);
    text.push('\n');
    if let Some((who, date)) = reply_to {
        let _ = write!(
            text,
            "\nOn {}, {who} wrote:\n> Thanks, see my notes below.\n> Looking forward to it.\n",
            rfc2822_date(date, 0)
        );
    }
    text
}

fn header(out: &mut String, name: &str, value: &str) {
    let _ = write!(out, "{name}: {value}\r\n");
}

fn crlf(text: &str) -> String {
    text.replace('\n', "\r\n")
}

fn ascii_domain(domain: &str) -> String {
    // Punycode is not worth implementing here: map the one IDN domain to its ACE form.
    if domain.is_ascii() { domain.to_string() } else { "xn--universitt-y5a.example".to_string() }
}

fn address(name: &str, domain: &str) -> String {
    let local: String = name
        .split_whitespace()
        .next()
        .unwrap_or("user")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let local = if local.is_empty() { "contact".to_string() } else { local };
    format!("{local}@{}", ascii_domain(domain))
}

fn mailbox(name: &str, domain: &str) -> String {
    let display = if name.is_ascii() {
        if name.contains(['\'', ',', '.']) { format!("\"{name}\"") } else { name.to_string() }
    } else {
        encode_word_if_needed(name)
    };
    format!("{display} <{}>", address(name, domain))
}

/// RFC 2047 `B` encoded words (folded) when `text` is not ASCII; `text` itself otherwise.
pub fn encode_word_if_needed(text: &str) -> String {
    if text.is_ascii() {
        return text.to_string();
    }
    // Encoded words are at most 75 characters: 45 bytes of UTF-8 make 60 base64 characters.
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
    }
    words.join("\r\n ")
}

fn fold_references(refs: &str) -> String {
    refs.split(' ').collect::<Vec<_>>().join("\r\n ")
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn base64(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(B64[(n >> 18) as usize & 63] as char);
        out.push(B64[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 { B64[(n >> 6) as usize & 63] as char } else { '=' });
        out.push(if chunk.len() > 2 { B64[n as usize & 63] as char } else { '=' });
    }
    out
}

/// Base64 in 76-character CRLF lines.
fn base64_lines(data: &[u8]) -> String {
    let encoded = base64(data);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 38 + 2);
    for line in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push_str("\r\n");
    }
    out
}

/// Quoted-printable (RFC 2045 6.7) with CRLF line breaks and soft breaks under 76 columns.
fn quoted_printable(text: &str) -> String {
    quoted_printable_bytes(text.as_bytes())
}

/// [`quoted_printable`] of bytes in any charset (`\n` separates lines).
fn quoted_printable_bytes(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len() * 11 / 10);
    for bytes in data.split(|&b| b == b'\n') {
        let mut col = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let last = i + 1 == bytes.len();
            let literal = (b == b' ' || b == b'\t') && !last || (33..=126).contains(&b) && b != b'=';
            let piece_len = if literal { 1 } else { 3 };
            if col + piece_len > 75 {
                out.push_str("=\r\n");
                col = 0;
            }
            if literal {
                out.push(b as char);
            } else {
                let _ = write!(out, "={b:02X}");
            }
            col += piece_len;
        }
        out.push_str("\r\n");
    }
    out
}

/// `Tue, 3 Jun 2025 14:05:09 +0200` for `unix` seconds shown in a zone `tz_minutes` east of UTC.
pub fn rfc2822_date(unix: i64, tz_minutes: i64) -> String {
    let local = unix + tz_minutes * 60;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let weekday = WEEKDAYS[days.rem_euclid(7) as usize];
    let sign = if tz_minutes < 0 { '-' } else { '+' };
    let tz = tz_minutes.abs();
    format!(
        "{weekday}, {d} {} {y} {:02}:{:02}:{:02} {sign}{:02}{:02}",
        MONTHS[(m - 1) as usize],
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        tz / 60,
        tz % 60
    )
}

/// (year, month 1-12, day 1-31) of a day number counted from 1970-01-01 (Howard Hinnant).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

// ------------------------------------------------------------------------ hand-made messages

/// A file a [`Sample`] carries, as its recipient must get it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleFile {
    /// The file name a reader shows, decoded.
    pub name: String,
    /// The media type.
    pub mime: String,
    /// The Content-ID (without angle brackets) of an image the HTML shows inline.
    pub content_id: Option<String>,
    /// The file's bytes, decoded.
    pub bytes: Vec<u8>,
    /// Its size as the message carries it (base64 lines), which is what IMAP's BODYSTRUCTURE
    /// reports.
    pub encoded_size: usize,
}

/// A hand-made message for reading tests, with what a reader must show of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// The subject (ASCII).
    pub subject: String,
    /// The complete message: RFC 5322, CRLF line endings, bodies in their own charsets (so not
    /// always UTF-8).
    pub bytes: Vec<u8>,
    /// The text the reader shows, decoded: the whole plain-text body (without its final line
    /// break), or a paragraph of the HTML body.
    pub text: String,
    /// The shown body is HTML.
    pub html: bool,
    /// Attachments and inline images, in the message's order.
    pub files: Vec<SampleFile>,
}

/// A legacy charset a message body can come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// Japanese mail's traditional 7-bit charset (escape sequences switch to JIS X 0208).
    Iso2022Jp,
    /// China's national standard, with 4-byte sequences for what GBK lacks (emoji, CJK
    /// extension B).
    Gb18030,
    /// Central European Latin.
    Iso8859_2,
    /// Windows Cyrillic, with its own punctuation (em dash 0x97, numero sign 0xB9).
    Windows1251,
}

impl Charset {
    /// Every charset.
    pub const ALL: [Charset; 4] =
        [Charset::Iso2022Jp, Charset::Gb18030, Charset::Iso8859_2, Charset::Windows1251];

    /// The MIME charset name.
    pub fn name(self) -> &'static str {
        match self {
            Charset::Iso2022Jp => "iso-2022-jp",
            Charset::Gb18030 => "gb18030",
            Charset::Iso8859_2 => "iso-8859-2",
            Charset::Windows1251 => "windows-1251",
        }
    }

    /// The sample text, as the reader must show it.
    pub fn text(self) -> &'static str {
        match self {
            Charset::Iso2022Jp => "会議の議事録を添付します。来週の月曜日にまたお会いしましょう。",
            Charset::Gb18030 => "你好，世界！季度报告已附上，请查收。表情😀与𠀀也要正确显示。",
            Charset::Iso8859_2 => "Zażółć gęślą jaźń. Příliš žluťoučký kůň úpěl ďábelské ódy.",
            Charset::Windows1251 => "Съешь же ещё этих мягких французских булок, да выпей чаю — №5.",
        }
    }

    /// [`Charset::text`] in this charset, as a common encoder (Python's codecs) writes it:
    /// fixed bytes, independent of the decoder under test.
    pub fn encoded(self) -> &'static [u8] {
        match self {
            Charset::Iso2022Jp => {
                b"\x1b$B2q5D$N5D;vO?$rE:IU$7$^$9!#Mh=5$N7nMKF|$K$^$?$*2q$$$7$^$7$g$&!#\x1b(B"
            }
            Charset::Gb18030 => {
                b"\xc4\xe3\xba\xc3\xa3\xac\xca\xc0\xbd\xe7\xa3\xa1\xbc\xbe\xb6\xc8\xb1\xa8\xb8\xe6\
                  \xd2\xd1\xb8\xbd\xc9\xcf\xa3\xac\xc7\xeb\xb2\xe9\xca\xd5\xa1\xa3\xb1\xed\xc7\xe9\
                  \x94\x39\xfc\x36\xd3\xeb\x95\x32\x82\x36\xd2\xb2\xd2\xaa\xd5\xfd\xc8\xb7\xcf\xd4\
                  \xca\xbe\xa1\xa3"
            }
            Charset::Iso8859_2 => {
                b"Za\xbf\xf3\xb3\xe6 g\xea\xb6l\xb1 ja\xbc\xf1. P\xf8\xedli\xb9 \xbelu\xbbou\xe8k\xfd \
                  k\xf9\xf2 \xfap\xecl \xef\xe1belsk\xe9 \xf3dy."
            }
            Charset::Windows1251 => {
                b"\xd1\xfa\xe5\xf8\xfc \xe6\xe5 \xe5\xf9\xb8 \xfd\xf2\xe8\xf5 \xec\xff\xe3\xea\xe8\xf5 \
                  \xf4\xf0\xe0\xed\xf6\xf3\xe7\xf1\xea\xe8\xf5 \xe1\xf3\xeb\xee\xea, \xe4\xe0 \
                  \xe2\xfb\xef\xe5\xe9 \xf7\xe0\xfe \x97 \xb95."
            }
        }
    }

    /// The Content-Transfer-Encoding of the plain-text or the HTML variant.
    pub fn transfer_encoding(self, html: bool) -> &'static str {
        match (self, html) {
            (Charset::Iso2022Jp, _) => "7bit",
            (Charset::Gb18030, false) | (Charset::Windows1251, false) => "8bit",
            (Charset::Gb18030, true) | (Charset::Iso8859_2, true) => "base64",
            (Charset::Iso8859_2, false) | (Charset::Windows1251, true) => "quoted-printable",
        }
    }
}

/// The headers every hand-made message starts with (without the final blank line).
fn sample_headers(subject: &str, from: &str, tag: &str, hours_before_anchor: i64) -> String {
    let mut out = String::new();
    header(&mut out, "Date", &rfc2822_date(DEFAULT_ANCHOR - hours_before_anchor * 3600, 60));
    header(&mut out, "From", from);
    header(&mut out, "To", "Ann Example <ann@tern.test>");
    header(&mut out, "Subject", subject);
    header(&mut out, "Message-ID", &format!("<{tag}@samples.tern.test>"));
    header(&mut out, "MIME-Version", "1.0");
    out
}

/// `data` in `encoding` (`7bit`, `8bit`, `quoted-printable`, `base64`), lines ending in CRLF.
fn transfer_encode(data: &[u8], encoding: &str) -> Vec<u8> {
    match encoding {
        "base64" => base64_lines(data).into_bytes(),
        "quoted-printable" => quoted_printable_bytes(data).into_bytes(),
        _ => {
            let mut out = Vec::with_capacity(data.len() + data.len() / 40 + 2);
            for &b in data {
                if b == b'\n' {
                    out.push(b'\r');
                }
                out.push(b);
            }
            if !out.ends_with(b"\r\n") {
                out.extend_from_slice(b"\r\n");
            }
            out
        }
    }
}

/// A single-part message whose body is [`Charset::text`] in `charset`: plain text, or an HTML
/// document (declaring the same charset in a `<meta>`) with the text as its one paragraph. The
/// transfer encoding is [`Charset::transfer_encoding`].
pub fn charset_message(charset: Charset, html: bool) -> Sample {
    let kind = if html { "html" } else { "plain" };
    let subject = format!("Charset {} ({kind})", charset.name());
    let encoding = charset.transfer_encoding(html);
    let mut body = Vec::new();
    if html {
        body.extend_from_slice(
            format!(
                "<!DOCTYPE html>\n<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset={}\">\
                 </head>\n<body><p>",
                charset.name()
            )
            .as_bytes(),
        );
        body.extend_from_slice(charset.encoded());
        body.extend_from_slice(b"</p></body></html>\n");
    } else {
        body.extend_from_slice(charset.encoded());
        body.push(b'\n');
    }
    let tag = format!("charset-{}-{kind}", charset.name());
    let mut out = sample_headers(&subject, "Charset Tester <charsets@example.org>", &tag, 30);
    header(&mut out, "Content-Type", &format!("text/{kind}; charset=\"{}\"", charset.name()));
    header(&mut out, "Content-Transfer-Encoding", encoding);
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend(transfer_encode(&body, encoding));
    Sample { subject, bytes, text: charset.text().to_string(), html, files: Vec::new() }
}

/// One leaf part of a hand-made multipart: its header lines (each ending in CRLF) and body.
fn leaf(headers: &str, body: &[u8]) -> Vec<u8> {
    let mut out = headers.as_bytes().to_vec();
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// A multipart body from its parts (each with its headers); `content_type` is e.g.
/// `multipart/mixed`, `params` more parameters (`; type="text/html"`).
fn multipart(content_type: &str, params: &str, boundary: &str, parts: &[Vec<u8>]) -> Vec<u8> {
    let mut out =
        format!("Content-Type: {content_type};{params}\r\n boundary=\"{boundary}\"\r\n\r\nThis is a multi-part message in MIME format.\r\n")
            .into_bytes();
    for part in parts {
        out.extend_from_slice(format!("\r\n--{boundary}\r\n").as_bytes());
        out.extend_from_slice(part);
    }
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    out
}

/// A base64 attachment: the part, and the file it carries.
fn file_part(
    headers: &str,
    name: &str,
    mime: &str,
    content_id: Option<&str>,
    data: Vec<u8>,
) -> (Vec<u8>, SampleFile) {
    let encoded = base64_lines(&data);
    let part = leaf(&format!("{headers}Content-Transfer-Encoding: base64\r\n"), encoded.as_bytes());
    let file = SampleFile {
        name: name.to_string(),
        mime: mime.to_string(),
        content_id: content_id.map(str::to_string),
        bytes: data,
        encoded_size: encoded.len(),
    };
    (part, file)
}

/// `len` pseudo-random bytes after `magic` (a file format's signature), from `seed`.
fn file_bytes(magic: &[u8], len: usize, seed: u64) -> Vec<u8> {
    let mut data = magic.to_vec();
    data.extend(Rng::new(seed).bytes(len.saturating_sub(magic.len())));
    data
}

/// A message with four attachments whose names are encoded in the ways mailers do:
///
/// 1. RFC 2231 in one piece: `filename*=utf-8''%E2%82%AC%20rates.pdf` ("€ rates.pdf");
/// 2. RFC 2231 continuations: `filename*0*=utf-8''…; filename*1*=…`
///    ("Quartalsübersicht 2026 – endgültig.xlsx");
/// 3. RFC 2047 in ISO-8859-1, quoted-printable, in both `name` and `filename`
///    ("Relevé de compte été.pdf");
/// 4. RFC 2047 in UTF-8, a long name cut into adjacent encoded words on folded lines, as
///    Outlook writes them ("報告書 2026年 第3四半期 売上と見通し（最終版）.pdf").
///
/// The shown body is a short plain text; each file is a few kilobytes of pseudo-random bytes.
pub fn encoded_names_message() -> Sample {
    let subject = "Files with encoded names".to_string();
    let text = "Four files attached, each with a name in another encoding.".to_string();
    let mut parts = vec![leaf(
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n",
        format!("{text}\r\n").as_bytes(),
    )];
    let mut files = Vec::new();
    let latin1 = "=?ISO-8859-1?Q?Relev=E9_de_compte_=E9t=E9.pdf?=";
    // Long names come as several encoded words, cut wherever the encoder's line ran out.
    let long_name = "報告書 2026年 第3四半期 売上と見通し（最終版）.pdf";
    let split = encode_word_if_needed(long_name);
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let attachments: [(String, &str, &str, &[u8], usize); 4] = [
        (
            "Content-Type: application/pdf\r\nContent-Disposition: attachment;\r\n filename*=utf-8''%E2%82%AC%20rates.pdf\r\n"
                .to_string(),
            "€ rates.pdf",
            "application/pdf",
            b"%PDF-1.4\n",
            2_345,
        ),
        (
            format!(
                "Content-Type: {xlsx}\r\nContent-Disposition: attachment;\r\n filename*0*=utf-8''Quartals%C3%BCbersicht%202026%20%E2%80%93%20;\r\n filename*1*=endg%C3%BCltig.xlsx\r\n"
            ),
            "Quartalsübersicht 2026 – endgültig.xlsx",
            xlsx,
            b"PK\x03\x04",
            7_001,
        ),
        (
            format!(
                "Content-Type: application/pdf;\r\n name=\"{latin1}\"\r\nContent-Disposition: attachment;\r\n filename=\"{latin1}\"\r\n"
            ),
            "Relevé de compte été.pdf",
            "application/pdf",
            b"%PDF-1.7\n",
            4_100,
        ),
        (
            format!("Content-Type: application/pdf;\r\n name=\"{split}\"\r\nContent-Disposition: attachment\r\n"),
            long_name,
            "application/pdf",
            b"%PDF-1.5\n",
            1_024,
        ),
    ];
    for (i, (headers, name, mime, magic, len)) in attachments.into_iter().enumerate() {
        let (part, file) = file_part(&headers, name, mime, None, file_bytes(magic, len, 2231 + i as u64));
        parts.push(part);
        files.push(file);
    }
    let mut bytes = sample_headers(&subject, "Files <files@example.org>", "encoded-names", 20).into_bytes();
    bytes.extend(multipart("multipart/mixed", "", "=_tern_names", &parts));
    Sample { subject, bytes, text, html: false, files }
}

/// An HTML message (`multipart/related`, HTML first) showing two images by Content-ID: a PNG
/// `chart-2026@tern.test` with an inline disposition and a file name, and a GIF
/// `logo@tern.test` with neither. Both are a few kilobytes of pseudo-random bytes after their
/// format's signature.
pub fn inline_images_message() -> Sample {
    let subject = "Chart and logo inline".to_string();
    let text = "This quarter in one chart:".to_string();
    let html = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>\n<p>{text}</p>\n\
         <p><img src=\"cid:chart-2026@tern.test\" alt=\"Chart\" width=\"400\" height=\"240\"></p>\n\
         <p>Regards,<br>The reporting team</p>\n<p><img src=\"cid:logo@tern.test\" alt=\"Logo\" width=\"64\" height=\"64\"></p>\n\
         </body></html>\n"
    );
    let root = leaf(
        "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n",
        quoted_printable(&html).as_bytes(),
    );
    let (chart, chart_file) = file_part(
        "Content-Type: image/png;\r\n name=\"chart.png\"\r\nContent-ID: <chart-2026@tern.test>\r\nContent-Disposition: inline;\r\n filename=\"chart.png\"\r\n",
        "chart.png",
        "image/png",
        Some("chart-2026@tern.test"),
        file_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 6_000, 2392),
    );
    let (logo, logo_file) = file_part(
        "Content-Type: image/gif\r\nContent-ID: <logo@tern.test>\r\n",
        "",
        "image/gif",
        Some("logo@tern.test"),
        file_bytes(b"GIF89a", 3_000, 2393),
    );
    let mut bytes =
        sample_headers(&subject, "Reports <reports@example.org>", "inline-images", 10).into_bytes();
    bytes.extend(multipart(
        "multipart/related",
        " type=\"text/html\";",
        "=_tern_related",
        &[root, chart, logo],
    ));
    Sample { subject, bytes, text, html: true, files: vec![chart_file, logo_file] }
}

/// The size of [`large_attachment_message`]'s attachment: 20 MiB.
pub const LARGE_ATTACHMENT_SIZE: usize = 20 * 1024 * 1024;

/// A short plain-text message carrying one attachment of `size` pseudo-random bytes
/// (`readings-2026.bin`, `application/octet-stream`, base64: the message is about 4/3 of
/// `size`). The same `size` always gives the same bytes.
pub fn large_attachment_message(size: usize) -> Sample {
    let subject = "Raw readings attached".to_string();
    let text = "Here are the raw sensor readings for 2026, as promised.".to_string();
    let body = leaf(
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n",
        format!("{text}\r\n").as_bytes(),
    );
    let (part, file) = file_part(
        "Content-Type: application/octet-stream;\r\n name=\"readings-2026.bin\"\r\nContent-Disposition: attachment;\r\n filename=\"readings-2026.bin\"\r\n",
        "readings-2026.bin",
        "application/octet-stream",
        None,
        Rng::new(0x2026_0020).bytes(size),
    );
    let mut bytes =
        sample_headers(&subject, "Sensors <sensors@example.org>", "large-attachment", 5).into_bytes();
    bytes.extend(multipart("multipart/mixed", "", "=_tern_large", &[body, part]));
    Sample { subject, bytes, text, html: false, files: vec![file] }
}

/// The user's own message that the showcase's "Re: Trip plans" answers, for the Sent folder: with
/// it, the reply and the question form one conversation across the two folders.
pub fn showcase_sent(now: i64) -> Vec<Vec<u8>> {
    let date = rfc2822_date(now - 2 * 86_400, 60);
    vec![
        format!(
            "From: Demo User <demo@tern.test>\r\nTo: Ann Lee <ann@tern.test>\r\nSubject: Trip plans\r\nDate: {date}\r\n\
             Message-ID: <showcase-trip@tern.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
             Shall we go on Saturday? The weather looks fine and the museum is open late.\r\n\r\n\
             I can book the hotel if you take care of the train.\r\n\r\nTalk soon\r\n"
        )
        .into_bytes(),
    ]
}

/// Messages that show what the reader does, for the demo's inbox (the first is the newest:
/// append them in reverse): a newsletter with remote images, a tracking pixel and a link whose text names
/// another site; a `format=flowed` reply with a long quote; a message forwarding another as an
/// `.eml` with a PDF inside; and the inline-image and legacy-charset samples.
pub fn showcase(now: i64) -> Vec<Vec<u8>> {
    let date = |minutes_ago: i64| rfc2822_date(now - minutes_ago * 60, 60);
    let newsletter = format!(
        "From: Gallery Weekly <news@gallery.example>\r\nTo: demo@tern.test\r\nSubject: This week at the gallery\r\n\
         Date: {}\r\nMessage-ID: <showcase-news@gallery.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/html; charset=utf-8\r\n\r\n\
         <html><head><style>h1{{color:#2a5d8f}} .hero{{background:url(https://cdn.gallery.example/bg.jpg)}}</style></head>\
         <body><h1>This week at the gallery</h1>\
         <p class=\"hero\"><img src=\"https://cdn.gallery.example/poster.jpg\" width=\"480\" height=\"240\" alt=\"Exhibition poster\"></p>\
         <p>Our spring exhibition opens on Friday. Members get in free all weekend.</p>\
         <p><a href=\"https://tickets.gallery.example/spring\">Book your tickets</a></p>\
         <p>Log in to <a href=\"https://login.gallery-members.example/\">www.yourbank.example</a> to renew.</p>\
         <script>document.title='gotcha'</script>\
         <img src=\"https://track.gallery.example/open.gif?u=demo\" width=\"1\" height=\"1\">\
         </body></html>\r\n",
        date(5)
    );
    let flowed = format!(
        "From: Ann Lee <ann@tern.test>\r\nTo: demo@tern.test\r\nSubject: Re: Trip plans\r\nDate: {}\r\n\
         Message-ID: <showcase-flowed@tern.test>\r\nIn-Reply-To: <showcase-trip@tern.test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8; format=flowed\r\n\r\n\
         Sounds good! I booked the train for Saturday morning; we arrive at noon, \r\n\
         which leaves the afternoon for the old town. See https://trains.example/booking/4711 \r\n\
         for the details.\r\n\r\nAnn\r\n\r\n\
         On Monday, you wrote:\r\n> Shall we go on Saturday? \r\n> The weather looks fine and the \r\n> museum is open late.\r\n>\r\n\
         > I can book the hotel if you take \r\n> care of the train.\r\n>\r\n> Talk soon\r\n\r\n-- \r\nAnn Lee, Tern test team\r\n",
        date(30)
    );
    let forward = format!(
        "From: Bob Stone <bob@tern.test>\r\nTo: demo@tern.test\r\nSubject: Fwd: Quarterly plan\r\nDate: {}\r\n\
         Message-ID: <showcase-fwd@tern.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"fwd\"\r\n\r\n\
         --fwd\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nFYI, the plan from Carla is attached.\r\n\
         --fwd\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"Quarterly plan.eml\"\r\n\r\n\
         From: Carla Ruiz <carla@tern.test>\r\nTo: bob@tern.test\r\nSubject: Quarterly plan\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"in\"\r\n\r\n\
         --in\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hi Bob,</p><p>the <b>plan</b> for next quarter is attached.</p>\r\n\
         --in\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"plan-q3.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--in--\r\n--fwd--\r\n",
        date(90),
        base64(b"%PDF-1.4\n% Quarterly plan\n")
    );
    let mut out = vec![newsletter.into_bytes(), flowed.into_bytes(), forward.into_bytes()];
    out.push(inline_images_message().bytes);
    out.push(encoded_names_message().bytes);
    for charset in [Charset::Iso2022Jp, Charset::Gb18030, Charset::Windows1251] {
        out.push(charset_message(charset, false).bytes);
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use mail_parser::MimeHeaders;

    /// Splits a header block + body; returns unfolded (name, value) pairs and the body.
    fn split_entity(entity: &str) -> (Vec<(String, String)>, &str) {
        let (head, body) = entity.split_once("\r\n\r\n").expect("header/body separator");
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.split("\r\n") {
            assert!(!line.contains('\n') && !line.contains('\r'), "bare LF/CR in {line:?}");
            if line.starts_with([' ', '\t']) {
                headers.last_mut().expect("continuation after a header").1.push_str(line);
            } else {
                let (name, value) = line.split_once(':').unwrap_or_else(|| panic!("not a header: {line:?}"));
                assert!(name.bytes().all(|b| b.is_ascii_graphic()), "header name {name:?}");
                headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
            }
        }
        (headers, body)
    }

    #[test]
    fn modified_utf7_names() {
        // RFC 3501 5.1.3 and Dovecot's on-disk names.
        let table = [
            ("INBOX", "INBOX"),
            ("Entwürfe", "Entw&APw-rfe"),
            ("Übersicht", "&ANw-bersicht"),
            ("Входящие", "&BBIERQQ+BDQETwRJBDgENQ-"),
            ("Tom & Jerry", "Tom &- Jerry"),
            ("台北", "&U,BTFw-"),
            ("😀", "&2D3eAA-"),
        ];
        for (name, wire) in table {
            assert_eq!(modified_utf7(name), wire, "{name}");
        }
        assert_eq!(
            folder_dir(Path::new("/m"), "Entwürfe/Übersicht"),
            Path::new("/m/.Entw&APw-rfe.&ANw-bersicht")
        );
    }

    fn get<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
        headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Checks MIME structure recursively; returns the number of leaf parts.
    fn check_entity(entity: &str) -> usize {
        let (headers, body) = split_entity(entity);
        let content_type = get(&headers, "content-type").unwrap_or("text/plain");
        if content_type.starts_with("multipart/") {
            let boundary =
                content_type.split("boundary=\"").nth(1).and_then(|s| s.split('"').next()).expect("boundary");
            let delimiter = format!("\r\n--{boundary}");
            let close = format!("{delimiter}--\r\n");
            assert!(body.ends_with(&close), "closing delimiter of {boundary}");
            assert_eq!(body.matches(&close).count(), 1, "one closing delimiter");
            let inner = &body[..body.len() - close.len()];
            let mut pieces = inner.split(&delimiter);
            pieces.next(); // preamble
            let mut leaves = 0;
            let mut n = 0;
            for piece in pieces {
                let part = piece.strip_prefix("\r\n").expect("CRLF after delimiter");
                leaves += check_entity(part);
                n += 1;
            }
            assert!(n >= 2, "multipart with {n} parts");
            leaves
        } else {
            if get(&headers, "content-transfer-encoding") == Some("base64") {
                for line in body.split("\r\n") {
                    assert!(line.len() <= 76);
                    assert!(line.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)), "{line}");
                }
            }
            for line in body.split("\r\n") {
                assert!(!line.contains('\r') && !line.contains('\n'));
            }
            1
        }
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let a: Vec<_> = {
            let mut g = Generator::new(7);
            (0..300).map(|_| g.next_message()).collect()
        };
        let b: Vec<_> = {
            let mut g = Generator::new(7);
            (0..300).map(|_| g.next_message()).collect()
        };
        assert_eq!(a, b);
        let mut c = Generator::new(8);
        assert_ne!(a[0].bytes, c.next_message().bytes);
    }

    #[test]
    fn seeded_maildirs_are_byte_identical() {
        let one = tempfile::tempdir().unwrap();
        let two = tempfile::tempdir().unwrap();
        let r1 = seed(one.path(), "Work/Projects", 200, 42).unwrap();
        let r2 = seed(two.path(), "Work/Projects", 200, 42).unwrap();
        assert_eq!(r1.count, 200);
        assert_eq!(r1.bytes, r2.bytes);
        assert!(r1.dir.ends_with(".Work.Projects"));
        let list = |dir: &Path| {
            let mut names: Vec<_> =
                fs::read_dir(dir.join("cur")).unwrap().map(|e| e.unwrap().file_name()).collect();
            names.sort();
            names
        };
        let names = list(&r1.dir);
        assert_eq!(names, list(&r2.dir));
        assert_eq!(names.len(), 200);
        for name in &names {
            let a = fs::read(r1.dir.join("cur").join(name)).unwrap();
            let b = fs::read(r2.dir.join("cur").join(name)).unwrap();
            assert_eq!(a, b);
            let text = name.to_string_lossy();
            assert!(text.contains(&format!(",S={},W={}:2,", a.len(), a.len())), "{text}");
            // mtime = message date = the name's leading timestamp.
            let date: i64 = text.split('.').next().unwrap().parse().unwrap();
            assert_eq!(fs::metadata(r1.dir.join("cur").join(name)).unwrap().mtime(), date);
        }
    }

    #[test]
    fn every_message_parses() {
        let mut g = Generator::new(1);
        let mut ids = std::collections::HashSet::new();
        let (mut replies, mut attachments, mut non_ascii, mut html, mut biggest, mut smallest) =
            (0, 0, 0, 0, 0, usize::MAX);
        for _ in 0..3000 {
            let m = g.next_message();
            let text = std::str::from_utf8(&m.bytes).expect("UTF-8 (8bit bodies only)");
            let (headers, _) = split_entity(text);
            for required in ["date", "from", "to", "subject", "message-id", "mime-version"] {
                assert!(get(&headers, required).is_some(), "{required} missing in message {}", m.index);
            }
            for (name, value) in &headers {
                assert!(value.is_ascii(), "raw non-ASCII in header {name}: {value}");
            }
            assert!(ids.insert(m.message_id.clone()), "duplicate Message-ID");
            check_entity(text);

            let parsed =
                mail_parser::MessageParser::default().parse(&m.bytes).expect("mail-parser parses it");
            assert!(parsed.subject().is_some_and(|s| !s.is_empty()));
            assert_eq!(parsed.message_id(), Some(m.message_id.trim_matches(['<', '>'])));
            assert!(parsed.from().and_then(|f| f.first()).and_then(|a| a.address()).is_some());
            assert_eq!(parsed.date().map(|d| d.to_timestamp()), Some(m.date));
            assert_eq!(parsed.attachment_count(), m.attachments, "message {}", m.index);
            assert!(parsed.body_text(0).is_some());
            if let Some(parent) = get(&headers, "in-reply-to") {
                replies += 1;
                assert!(get(&headers, "references").unwrap().replace(' ', "").ends_with(parent));
            }
            if parsed.subject().is_some_and(|s| !s.is_ascii())
                || parsed.from().and_then(|f| f.first()).and_then(|a| a.name()).is_some_and(|n| !n.is_ascii())
            {
                non_ascii += 1;
            }
            if parsed.body_html(0).is_some() && text.contains("text/html") {
                html += 1;
            }
            attachments += m.attachments;
            biggest = biggest.max(m.bytes.len());
            smallest = smallest.min(m.bytes.len());
            assert!(m.date <= DEFAULT_ANCHOR && m.date > DEFAULT_ANCHOR - SPAN - 4 * 86_400);
        }
        assert!(replies > 300, "{replies} replies");
        assert!(attachments > 100, "{attachments} attachments");
        assert!(non_ascii > 300, "{non_ascii} non-ASCII headers");
        assert!(html > 1000, "{html} html bodies");
        assert!(smallest < 2_000, "smallest {smallest}");
        assert!(biggest > 1_000_000, "biggest {biggest}");
    }

    #[test]
    fn hand_made_samples_parse_as_they_claim() {
        let mut samples: Vec<Sample> = Charset::ALL
            .iter()
            .flat_map(|&c| [charset_message(c, false), charset_message(c, true)])
            .collect();
        samples.extend([encoded_names_message(), inline_images_message(), large_attachment_message(100_000)]);
        for sample in &samples {
            let (head, _) =
                sample.bytes.split_at(sample.bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap());
            assert!(head.is_ascii(), "{}: raw non-ASCII in the header", sample.subject);
            if let Ok(text) = std::str::from_utf8(&sample.bytes) {
                check_entity(text);
            }
            let parsed = mail_parser::MessageParser::default().parse(&sample.bytes).expect("parses");
            assert_eq!(parsed.subject(), Some(sample.subject.as_str()));
            let shown = if sample.html { parsed.body_html(0) } else { parsed.body_text(0) }.unwrap();
            assert!(shown.contains(&sample.text), "{}: {shown}", sample.subject);
            let carried: Vec<(String, &[u8])> = parsed
                .attachments()
                .map(|a| (a.attachment_name().unwrap_or_default().to_string(), a.contents()))
                .collect();
            // Whitespace aside: how the blanks between encoded words are read is for the reader's
            // tests to judge; here it is the fixture's characters that count.
            let bare = |name: &str| name.split_whitespace().collect::<String>();
            let names: Vec<String> = carried.iter().map(|(n, _)| bare(n)).collect();
            let expected: Vec<String> = sample.files.iter().map(|f| bare(&f.name)).collect();
            assert_eq!(names, expected, "{}", sample.subject);
            for ((name, bytes), file) in carried.iter().zip(&sample.files) {
                assert!(*bytes == file.bytes.as_slice(), "{}: the bytes of {name}", sample.subject);
            }
        }
        let large = large_attachment_message(100_000);
        assert_eq!(large, large_attachment_message(100_000), "reproducible");
        assert_eq!(large.files[0].bytes.len(), 100_000);
        assert_eq!(large.files[0].encoded_size, base64_lines(&large.files[0].bytes).len());
        assert_eq!(
            charset_message(Charset::Windows1251, false).bytes,
            charset_message(Charset::Windows1251, false).bytes
        );
    }

    #[test]
    fn dates_and_encodings() {
        assert_eq!(rfc2822_date(0, 0), "Thu, 1 Jan 1970 00:00:00 +0000");
        assert_eq!(rfc2822_date(DEFAULT_ANCHOR, 60), "Thu, 1 Jan 2026 01:00:00 +0100");
        assert_eq!(rfc2822_date(951_782_400, -300), "Mon, 28 Feb 2000 19:00:00 -0500");
        assert_eq!(base64(b"hello"), "aGVsbG8=");
        assert_eq!(base64(b"hi"), "aGk=");
        assert_eq!(encode_word_if_needed("Zoë"), "=?UTF-8?B?Wm/Dqw==?=");
        let long = encode_word_if_needed(&"é".repeat(60));
        assert!(long.split("\r\n ").all(|w| w.len() <= 75));
        assert_eq!(quoted_printable("a=b é \n"), "a=3Db =C3=A9=20\r\n\r\n");
    }
}
