//! Commands whose answers async-imap cannot parse (NAMESPACE, RFC 2342, and ESEARCH, RFC 4731),
//! and commands sent together in one round trip ([`exchange_all`]).
//!
//! async-imap's parser stops the connection on an untagged response it does not know, so these
//! commands bypass it: [`exchange`] writes the command on the session's stream with its own tag
//! and reads the answer line by line until its tagged completion. This is only done between
//! commands, when async-imap has nothing buffered and the server has nothing else to say; data
//! after the completion (which would belong to async-imap) is reported as a protocol error so the
//! connection is dropped rather than desynchronized.
//!
//! [`tokens`] splits a response line into atoms, strings (quoted or literal) and parenthesized
//! lists, which [`super::namespace`] and [`esearch_all`] interpret.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use super::ImapSession;
use crate::error::{Error, Result};
use crate::sync::uidset;

/// Tag counter; the `T` prefix keeps Tern's raw tags apart from async-imap's `A` tags.
static NEXT_TAG: AtomicU32 = AtomicU32::new(1);

/// Longest response line accepted (literals included), so a hostile server cannot exhaust memory.
const MAX_LINE: usize = 16 * 1024 * 1024;

/// A tag for a command Tern writes itself.
pub(crate) fn next_tag() -> String {
    format!("T{}", NEXT_TAG.fetch_add(1, Ordering::Relaxed))
}

/// Runs `command` and returns its untagged response lines (after `* `, each literal in place as
/// it came, `{n}` CRLF and its n bytes, the final CRLF removed) once the server completed it
/// with OK.
pub async fn exchange(session: &mut ImapSession, command: &str, limit: Duration) -> Result<Vec<Vec<u8>>> {
    let mut answers = exchange_all(session, &[command], limit).await?;
    let answer = answers.pop().ok_or_else(|| Error::Protocol(format!("no answer to {command}")))?;
    match answer.refused {
        None => Ok(answer.untagged),
        Some(text) => Err(Error::Protocol(format!("the server refused {command}: {text}"))),
    }
}

/// The server's answer to one command of [`exchange_all`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    /// The untagged response lines that came before its completion and after the one before.
    pub untagged: Vec<Vec<u8>>,
    /// The completion's text when it was NO or BAD (`None`: OK).
    pub refused: Option<String>,
}

/// Sends `commands` at once (pipelined, RFC 3501 5.5) and returns each one's [`Answer`], in
/// order: one round trip instead of one per command. For commands whose untagged responses
/// cannot be mistaken for each other's (as ENABLE's, ID's and NAMESPACE's), since the lines are
/// attributed by the order they came in. A NO or BAD fails none of the others.
pub async fn exchange_all(
    session: &mut ImapSession,
    commands: &[&str],
    limit: Duration,
) -> Result<Vec<Answer>> {
    if commands.is_empty() {
        return Ok(Vec::new());
    }
    let tags: Vec<String> = commands.iter().map(|_| next_tag()).collect();
    let run = async {
        let stream = session.get_mut();
        let mut sent = String::new();
        for (tag, command) in tags.iter().zip(commands) {
            sent.push_str(&format!("{tag} {command}\r\n"));
        }
        stream.write_all(sent.as_bytes()).await.map_err(lost)?;
        stream.flush().await.map_err(lost)?;
        let mut reader = BufReader::new(stream);
        let mut answers = Vec::with_capacity(commands.len());
        let mut untagged = Vec::new();
        for (tag, command) in tags.iter().zip(commands) {
            let rest = loop {
                let line = read_response_line(&mut reader).await?;
                if let Some(rest) = line.strip_prefix(b"* ") {
                    untagged.push(rest.to_vec());
                    continue;
                }
                match line.strip_prefix(tag.as_bytes()).and_then(|r| r.strip_prefix(b" ")) {
                    Some(rest) => break rest.to_vec(),
                    None => {
                        return Err(Error::Protocol(format!(
                            "unexpected reply to {command}: {}",
                            String::from_utf8_lossy(&line)
                        )));
                    }
                }
            };
            let text = String::from_utf8_lossy(&rest).into_owned();
            let ok = text.get(..2).is_some_and(|s| s.eq_ignore_ascii_case("OK"));
            answers.push(Answer { untagged: std::mem::take(&mut untagged), refused: (!ok).then_some(text) });
        }
        if !reader.buffer().is_empty() {
            return Err(Error::Protocol(format!(
                "the server sent data after completing {}",
                commands.join(", ")
            )));
        }
        Ok(answers)
    };
    match tokio::time::timeout(limit, run).await {
        Ok(result) => result,
        Err(_) => Err(Error::ConnectionLost(format!(
            "the server did not answer {} within {} s",
            commands.join(", "),
            limit.as_secs()
        ))),
    }
}

/// Reads one untagged response as the exchanges here keep it (after its `* `, literals as they
/// came) with imap-proto, handing what it parsed to `read`; `None` when it does not parse.
pub fn with_untagged<T>(
    line: &[u8],
    read: impl FnOnce(async_imap::imap_proto::Response<'_>) -> T,
) -> Option<T> {
    let framed = [b"* ", line, b"\r\n"].concat();
    async_imap::imap_proto::Response::parse(&framed).ok().map(|(_, response)| read(response))
}

/// `name` as an IMAP quoted string, when it can be one (printable ASCII: folder names travel in
/// modified UTF-7).
pub fn quoted(name: &str) -> Option<String> {
    if !name.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return None;
    }
    Some(format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\"")))
}

/// [`exchange_all`] for commands sent in the middle of a session's work: anything unexpected
/// in the answer leaves the connection out of step, so it is a lost connection (dropped and
/// opened again) rather than a protocol error the work could go on after.
pub async fn exchange_in_step(
    session: &mut ImapSession,
    commands: &[&str],
    limit: Duration,
) -> Result<Vec<Answer>> {
    exchange_all(session, commands, limit).await.map_err(|e| match e {
        Error::Protocol(text) => Error::ConnectionLost(text),
        other => other,
    })
}

fn lost(e: std::io::Error) -> Error {
    Error::ConnectionLost(format!("the connection failed: {e}"))
}

/// Reads one response line with its literals (`{n}` / `{n+}`, CRLF, n bytes) in place, without
/// the final CRLF: with it added back, what the server sent.
async fn read_response_line<R: tokio::io::AsyncBufRead + Unpin>(reader: &mut R) -> Result<Vec<u8>> {
    let mut line = Vec::new();
    loop {
        let start = line.len();
        let read = reader.read_until(b'\n', &mut line).await.map_err(lost)?;
        if read == 0 {
            return Err(Error::ConnectionLost("the server closed the connection".into()));
        }
        if line.len() > MAX_LINE {
            return Err(Error::Protocol("a response line was too long".into()));
        }
        if line.ends_with(b"\r\n") {
            line.truncate(line.len() - 2);
        } else if line.ends_with(b"\n") {
            line.truncate(line.len() - 1);
        }
        match literal_length(&line[start..]) {
            Some(n) if n <= MAX_LINE - line.len() => {
                let mut literal = vec![0; n];
                reader.read_exact(&mut literal).await.map_err(lost)?;
                line.extend_from_slice(b"\r\n");
                line.extend_from_slice(&literal);
            }
            Some(_) => return Err(Error::Protocol("a literal was too long".into())),
            None => return Ok(line),
        }
    }
}

/// The length announced by a trailing `{n}` or `{n+}`.
fn literal_length(line: &[u8]) -> Option<usize> {
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let digits = &inner[open + 1..];
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// One element of a response line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// An atom or number, including `NIL`.
    Atom(String),
    /// A quoted string or a literal.
    Str(String),
    /// A parenthesized list.
    List(Vec<Token>),
}

impl Token {
    /// The text of a string, or of an atom other than NIL.
    pub fn text(&self) -> Option<&str> {
        match self {
            Token::Str(s) => Some(s),
            Token::Atom(a) if !a.eq_ignore_ascii_case("NIL") => Some(a),
            _ => None,
        }
    }

    /// True for the atom NIL.
    pub fn is_nil(&self) -> bool {
        matches!(self, Token::Atom(a) if a.eq_ignore_ascii_case("NIL"))
    }
}

/// Splits a response line (as [`exchange`] returns it) into tokens.
pub fn tokens(line: &[u8]) -> Result<Vec<Token>> {
    let mut pos = 0;
    let list = parse_list(line, &mut pos, false)?;
    Ok(list)
}

fn malformed(line: &[u8]) -> Error {
    Error::Protocol(format!("malformed response: {}", String::from_utf8_lossy(line)))
}

fn parse_list(line: &[u8], pos: &mut usize, nested: bool) -> Result<Vec<Token>> {
    let mut out = Vec::new();
    loop {
        while line.get(*pos) == Some(&b' ') {
            *pos += 1;
        }
        let Some(&byte) = line.get(*pos) else {
            return if nested { Err(malformed(line)) } else { Ok(out) };
        };
        match byte {
            b'(' => {
                *pos += 1;
                out.push(Token::List(parse_list(line, pos, true)?));
            }
            b')' if nested => {
                *pos += 1;
                return Ok(out);
            }
            b'"' => {
                *pos += 1;
                let mut text = Vec::new();
                loop {
                    match line.get(*pos) {
                        Some(b'\\') => {
                            text.push(*line.get(*pos + 1).ok_or_else(|| malformed(line))?);
                            *pos += 2;
                        }
                        Some(b'"') => {
                            *pos += 1;
                            break;
                        }
                        Some(&b) => {
                            text.push(b);
                            *pos += 1;
                        }
                        None => return Err(malformed(line)),
                    }
                }
                out.push(Token::Str(String::from_utf8_lossy(&text).into_owned()));
            }
            b'{' => {
                // A literal as it came: `{n}\r\n<n bytes>`.
                let close =
                    line[*pos..].windows(2).position(|w| w == b"\r\n").ok_or_else(|| malformed(line))?;
                let n = literal_length(&line[*pos..*pos + close]).ok_or_else(|| malformed(line))?;
                let start = *pos + close + 2;
                let bytes = line.get(start..start + n).ok_or_else(|| malformed(line))?;
                out.push(Token::Str(String::from_utf8_lossy(bytes).into_owned()));
                *pos = start + n;
            }
            _ => {
                let start = *pos;
                while let Some(&b) = line.get(*pos) {
                    if b == b' ' || b == b'(' || b == b')' || b == b'"' {
                        break;
                    }
                    *pos += 1;
                }
                if *pos == start {
                    return Err(malformed(line));
                }
                out.push(Token::Atom(String::from_utf8_lossy(&line[start..*pos]).into_owned()));
            }
        }
    }
}

/// The UIDs of an `ESEARCH` response to `UID SEARCH RETURN (ALL) ...` (RFC 4731): the `ALL`
/// sequence set, expanded. `None` when the line is not an ESEARCH response.
pub fn esearch_all(line: &[u8]) -> Result<Option<Vec<u32>>> {
    let items = tokens(line)?;
    let mut iter = items.iter().peekable();
    if !iter.next().and_then(Token::text).is_some_and(|t| t.eq_ignore_ascii_case("ESEARCH")) {
        return Ok(None);
    }
    // Optional correlator `(TAG "x")` and `UID` marker.
    if matches!(iter.peek(), Some(Token::List(_))) {
        iter.next();
    }
    if iter.peek().and_then(|t| t.text()).is_some_and(|t| t.eq_ignore_ascii_case("UID")) {
        iter.next();
    }
    let mut uids = Vec::new();
    while let Some(key) = iter.next() {
        let value = iter.next().ok_or_else(|| malformed(line))?;
        if key.text().is_some_and(|k| k.eq_ignore_ascii_case("ALL")) {
            let set = value.text().ok_or_else(|| malformed(line))?;
            uids = uidset::expand(set).ok_or_else(|| malformed(line))?;
        }
    }
    Ok(Some(uids))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_are_quoted_when_they_can_be() {
        let cases: &[(&str, Option<&str>)] = &[
            ("INBOX", Some(r#""INBOX""#)),
            ("Archive/2026 Q3", Some(r#""Archive/2026 Q3""#)),
            (r#"Say "hi""#, Some(r#""Say \"hi\"""#)),
            (r"back\slash", Some(r#""back\\slash""#)),
            ("Entw&APw-rfe", Some(r#""Entw&APw-rfe""#)),
            ("Entwürfe", None),
            ("line\r\nbreak", None),
        ];
        for (name, expected) in cases {
            assert_eq!(quoted(name).as_deref(), *expected, "{name:?}");
        }
    }

    fn atom(s: &str) -> Token {
        Token::Atom(s.into())
    }
    fn string(s: &str) -> Token {
        Token::Str(s.into())
    }

    #[test]
    fn tokenizes_response_lines() {
        let table: Vec<(&[u8], Vec<Token>)> = vec![
            (b"NAMESPACE NIL NIL NIL", vec![atom("NAMESPACE"), atom("NIL"), atom("NIL"), atom("NIL")]),
            (
                br#"NAMESPACE (("" "/")) NIL (("Shared/" "/"))"#,
                vec![
                    atom("NAMESPACE"),
                    Token::List(vec![Token::List(vec![string(""), string("/")])]),
                    atom("NIL"),
                    Token::List(vec![Token::List(vec![string("Shared/"), string("/")])]),
                ],
            ),
            (br#"X "a \"q\" \\ b""#, vec![atom("X"), string(r#"a "q" \ b"#)]),
            (b"X {5}\r\nab cd rest", vec![atom("X"), string("ab cd"), atom("rest")]),
            (
                b"X (a(b)c)",
                vec![atom("X"), Token::List(vec![atom("a"), Token::List(vec![atom("b")]), atom("c")])],
            ),
            (b"  ", vec![]),
        ];
        for (line, expected) in table {
            assert_eq!(tokens(line).unwrap(), expected, "{}", String::from_utf8_lossy(line));
        }
        for bad in [&b"X (a"[..], b"X \"open", b"X {9}\r\nshort"] {
            assert!(tokens(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn literal_lengths() {
        let table: [(&[u8], Option<usize>); 6] = [
            (b"* X {12}", Some(12)),
            (b"* X {7+}", Some(7)),
            (b"* X {}", None),
            (b"* X {a}", None),
            (b"* X }", None),
            (b"* X", None),
        ];
        for (line, expected) in table {
            assert_eq!(literal_length(line), expected, "{}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn esearch_results() {
        let table: [(&[u8], Option<Vec<u32>>); 5] = [
            (br#"ESEARCH (TAG "T1") UID ALL 1:3,7"#, Some(vec![1, 2, 3, 7])),
            (br#"ESEARCH (TAG "T1") UID"#, Some(vec![])),
            (b"ESEARCH UID COUNT 2 ALL 4,9", Some(vec![4, 9])),
            (b"ESEARCH ALL 5", Some(vec![5])),
            (b"SEARCH 1 2 3", None),
        ];
        for (line, expected) in table {
            assert_eq!(esearch_all(line).unwrap(), expected, "{}", String::from_utf8_lossy(line));
        }
        assert!(esearch_all(b"ESEARCH UID ALL").is_err());
        assert!(esearch_all(b"ESEARCH UID ALL 3:x").is_err());
    }
}

#[cfg(test)]
mod pipelined {
    use super::*;
    use crate::imap::scripted;

    /// A logged-in session to a server that, after LOGIN, reads `script.len()` commands before
    /// it answers any (so commands sent one round trip at a time would never be answered), then
    /// answers each with its untagged lines and its completion (`OK`, `NO ...`), and `trailer`
    /// in the same write. A NOOP after that is answered normally.
    async fn session(script: Script, trailer: &'static str) -> ImapSession {
        scripted::session(move |mut lines, mut writer| async move {
            let login = lines.next_line().await.unwrap().unwrap();
            let tag = login.split(' ').next().unwrap().to_string();
            writer.write_all(format!("{tag} OK logged in\r\n").as_bytes()).await.unwrap();
            let mut reply = String::new();
            for (untagged, outcome) in &script {
                let line = lines.next_line().await.unwrap().unwrap();
                let tag = line.split(' ').next().unwrap();
                reply += &format!("{untagged}{tag} {outcome}\r\n");
            }
            writer.write_all((reply + trailer).as_bytes()).await.unwrap();
            while let Ok(Some(line)) = lines.next_line().await {
                let tag = line.split(' ').next().unwrap();
                writer.write_all(format!("{tag} OK done\r\n").as_bytes()).await.unwrap();
            }
        })
        .await
    }

    /// Each command's untagged lines and completion, as the scripted server sends them.
    type Script = Vec<(&'static str, &'static str)>;

    fn answer(untagged: &[&[u8]], refused: Option<&str>) -> Answer {
        Answer {
            untagged: untagged.iter().map(|l| l.to_vec()).collect(),
            refused: refused.map(str::to_string),
        }
    }

    #[tokio::test]
    async fn commands_sent_together_get_each_their_own_answer() {
        let commands = ["ENABLE QRESYNC", "ID (\"name\" \"Tern\")", "NAMESPACE"];
        let table: Vec<(Script, Vec<Answer>)> = vec![
            (
                vec![
                    ("* ENABLED QRESYNC\r\n", "OK enabled"),
                    ("* ID (\"name\" \"Server\")\r\n", "OK id"),
                    ("* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n", "OK namespace"),
                ],
                vec![
                    answer(&[b"ENABLED QRESYNC"], None),
                    answer(&[br#"ID ("name" "Server")"#], None),
                    answer(&[br#"NAMESPACE (("" "/")) NIL NIL"#], None),
                ],
            ),
            // A refusal fails none of the others; a command may have no untagged line, or several.
            (
                vec![
                    ("", "NO not now"),
                    ("* ID NIL\r\n* 3 EXISTS\r\n", "BAD what"),
                    ("* NAMESPACE NIL NIL NIL\r\n", "OK"),
                ],
                vec![
                    answer(&[], Some("NO not now")),
                    answer(&[b"ID NIL", b"3 EXISTS"], Some("BAD what")),
                    answer(&[b"NAMESPACE NIL NIL NIL"], None),
                ],
            ),
        ];
        for (script, expected) in table {
            let mut session = session(script, "").await;
            let answers = exchange_all(&mut session, &commands, Duration::from_secs(5)).await.unwrap();
            assert_eq!(answers, expected);
            // The session is in step for async-imap's next command.
            session.noop().await.unwrap();
        }
    }

    #[tokio::test]
    async fn data_after_the_last_completion_is_a_protocol_error() {
        let script = vec![("", "OK"), ("", "OK")];
        let mut session = session(script, "* 4 EXISTS\r\n").await;
        let outcome = exchange_all(&mut session, &["NOOP", "NOOP"], Duration::from_secs(5)).await;
        assert!(matches!(outcome, Err(Error::Protocol(_))), "{outcome:?}");
    }

    #[tokio::test]
    async fn one_command_refused_is_an_error_of_exchange() {
        let mut session = session(vec![("", "NO no such thing")], "").await;
        let outcome = exchange(&mut session, "NAMESPACE", Duration::from_secs(5)).await;
        assert!(
            matches!(outcome, Err(Error::Protocol(ref text)) if text.contains("no such thing")),
            "{outcome:?}"
        );
    }
}
