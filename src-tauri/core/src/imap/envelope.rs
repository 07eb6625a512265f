//! Turning FETCH responses into cached [`Envelope`]s.
//!
//! One FETCH carries everything the message list needs ([`ENVELOPE_ITEMS`]): UID, FLAGS,
//! INTERNALDATE, RFC822.SIZE, BODYSTRUCTURE (for "has attachments") and the few header fields the
//! list and threading use. The headers are parsed by mail-parser, which decodes RFC 2047 words in
//! any charset and RFC 5322 addresses and dates; the server's ENVELOPE would leave that decoding
//! to us.

use std::hash::{DefaultHasher, Hash, Hasher};

use async_imap::imap_proto::{AttributeValue, BodyStructure, MessageSection, Response, SectionPath};
use async_imap::types::{Fetch, Flag};
use mail_parser::parsers::MessageStream;
use mail_parser::{Addr, Header, HeaderName, HeaderValue, MessageParser};
use serde::ser::{Serialize, SerializeSeq, Serializer};

use crate::error::Result;
use crate::store::model::AddressRef;
use crate::store::{Address, Encoded, Envelope, EnvelopeParts, FlagState, MessageFlags};

/// The FETCH items of an envelope.
pub const ENVELOPE_ITEMS: &str = "(UID FLAGS INTERNALDATE RFC822.SIZE BODYSTRUCTURE \
     BODY.PEEK[HEADER.FIELDS (DATE FROM TO CC SUBJECT MESSAGE-ID IN-REPLY-TO REFERENCES)])";

/// The same items, with MODSEQ, for a server to send with the news of a new message (NOTIFY's
/// `MessageNew` with fetch attributes, RFC 5465 5.2): a session that enabled CONDSTORE gets
/// MODSEQ in every FETCH it asks for, but a pushed one has only what the NOTIFY named.
pub const PUSHED_ITEMS: &str = "(UID FLAGS INTERNALDATE RFC822.SIZE MODSEQ BODYSTRUCTURE \
     BODY.PEEK[HEADER.FIELDS (DATE FROM TO CC SUBJECT MESSAGE-ID IN-REPLY-TO REFERENCES)])";

/// The FETCH items of a flags-only scan.
pub const FLAG_ITEMS: &str = "(UID FLAGS)";

/// Flags and keywords of a FETCH response.
pub fn flag_state(fetch: &Fetch) -> FlagState {
    flags_of(fetch.flags())
}

pub(crate) fn flags_of<'f>(list: impl Iterator<Item = Flag<'f>>) -> FlagState {
    let mut flags = MessageFlags::default();
    let mut keywords = Vec::new();
    for flag in list {
        match flag {
            Flag::Seen => flags.seen = true,
            Flag::Answered => flags.answered = true,
            Flag::Flagged => flags.flagged = true,
            Flag::Deleted => flags.deleted = true,
            Flag::Draft => flags.draft = true,
            Flag::Recent | Flag::MayCreate => {}
            Flag::Custom(name) => keywords.push(name.to_string()),
        }
    }
    keywords.sort();
    keywords.dedup();
    FlagState { flags, keywords }
}

/// Builds the envelope of a FETCH response of [`ENVELOPE_ITEMS`]. `None` for a FETCH response
/// that lacks them: servers interleave unsolicited flag updates (`* n FETCH (UID FLAGS MODSEQ)`)
/// with the requested data, and those must not overwrite a cached row with a blank one (the
/// next resync picks their change up through CHANGEDSINCE or the flag scan).
pub fn envelope(fetch: &Fetch) -> Option<Envelope> {
    let items = Items::of_fetch(fetch);
    Some(with_header_fields(bare_envelope(&items)?, items.header, &mut Vec::new()))
}

/// The format of INTERNALDATE (RFC 3501 2.3.3), as async-imap reads it.
const INTERNALDATE: &str = "%d-%b-%Y %H:%M:%S %z";

/// An INTERNALDATE as a Unix time: what `DateTime::parse_from_str(date, INTERNALDATE)` gives
/// (async-imap's reading), with the format taken apart once rather than for every message.
fn internal_date(date: &str) -> Option<i64> {
    static FORMAT: std::sync::LazyLock<Vec<chrono::format::Item<'static>>> =
        std::sync::LazyLock::new(|| chrono::format::StrftimeItems::new(INTERNALDATE).collect());
    let mut parsed = chrono::format::Parsed::new();
    chrono::format::parse(&mut parsed, date, FORMAT.iter()).ok()?;
    parsed.to_datetime().ok().map(|d| d.timestamp())
}

/// What an envelope takes from one FETCH response, whether async-imap's [`Fetch`] or the
/// attributes of a response read off the connection (the pipelined initial sync,
/// [`PendingEnvelopes::push_attributes`]).
struct Items<'a> {
    uid: Option<u32>,
    size: Option<u32>,
    modseq: Option<u64>,
    flags: FlagState,
    received: Option<i64>,
    structure: Option<&'a BodyStructure<'a>>,
    header: Option<&'a [u8]>,
}

impl<'a> Items<'a> {
    fn of_fetch(fetch: &'a Fetch) -> Self {
        Self {
            uid: fetch.uid,
            size: fetch.size,
            modseq: fetch.modseq,
            flags: flag_state(fetch),
            received: fetch.internal_date().map(|d| d.timestamp()),
            structure: fetch.bodystructure(),
            header: fetch.header(),
        }
    }

    /// The same reading as async-imap's [`Fetch`] accessors: the first of each item counts.
    fn of_attributes(attributes: &'a [AttributeValue<'a>]) -> Self {
        let mut items = Self {
            uid: None,
            size: None,
            modseq: None,
            flags: FlagState::default(),
            received: None,
            structure: None,
            header: None,
        };
        let mut seen_flags = false;
        let mut seen_date = false;
        for attribute in attributes {
            match attribute {
                AttributeValue::Uid(uid) => items.uid = Some(*uid),
                AttributeValue::Rfc822Size(size) => items.size = Some(*size),
                AttributeValue::ModSeq(modseq) => items.modseq = Some(*modseq),
                AttributeValue::Flags(list) if !seen_flags => {
                    seen_flags = true;
                    items.flags = flags_of(list.iter().map(|f| Flag::from(f.as_ref())));
                }
                AttributeValue::InternalDate(date) if !seen_date => {
                    seen_date = true;
                    items.received = internal_date(date);
                }
                AttributeValue::BodyStructure(structure) if items.structure.is_none() => {
                    items.structure = Some(structure);
                }
                AttributeValue::BodySection {
                    section: Some(SectionPath::Full(MessageSection::Header)),
                    data: Some(header),
                    ..
                }
                | AttributeValue::Rfc822Header(Some(header))
                    if items.header.is_none() =>
                {
                    items.header = Some(header);
                }
                _ => {}
            }
        }
        items
    }
}

/// Completes an envelope from [`bare_envelope`] with its raw header fields, if any, parsing
/// them into `fields`, which a caller completing many envelopes from one buffer keeps from one
/// to the next (see [`PendingEnvelopes::drain`]).
fn with_header_fields<'x>(
    mut env: Envelope,
    raw: Option<&'x [u8]>,
    fields: &mut Vec<Header<'x>>,
) -> Envelope {
    if let Some(raw) = raw.filter(|raw| !raw.is_empty()) {
        apply_header_fields(&mut env, raw, fields);
    }
    env.thread_id = thread_id(&env);
    env
}

/// The envelope of a FETCH response without what its header fields say (see [`envelope`]).
fn bare_envelope(items: &Items<'_>) -> Option<Envelope> {
    let uid = items.uid?;
    let received = items.received?;
    Some(Envelope {
        uid,
        flags: items.flags.clone(),
        received,
        date: received,
        size: items.size.unwrap_or(0),
        subject: String::new(),
        from: vec![],
        to: vec![],
        cc: vec![],
        message_id: None,
        in_reply_to: None,
        references: vec![],
        has_attachment: items.structure.is_some_and(has_attachment),
        thread_id: 0,
        modseq: items.modseq.unwrap_or(0),
        snippet: None,
    })
}

/// FETCH responses of [`ENVELOPE_ITEMS`] taken apart in two steps, so that the reading task does
/// only the first: [`Self::push_attributes`] keeps what the IMAP parser already decoded and copies the raw
/// header fields into one buffer (the response's own buffers are freed where they were
/// allocated, which costs a third less than freeing them on another thread);
/// [`Self::into_envelopes`] then parses the headers, wherever the caller runs it (the initial
/// sync runs it with the cache write, on the blocking pool, while the next chunk is read).
#[derive(Debug, Default)]
pub struct PendingEnvelopes {
    /// Each envelope without its header fields, and where its header bytes lie in `headers`.
    bare: Vec<(Envelope, std::ops::Range<usize>)>,
    headers: Vec<u8>,
}

impl PendingEnvelopes {
    /// Room for `n` responses of about the usual size (the list's header fields are a few
    /// hundred bytes), so that a chunk is not copied over as it grows.
    pub fn with_capacity(n: usize) -> Self {
        let mut pending = Self::default();
        pending.reuse_for(n);
        pending
    }

    /// Takes in a FETCH response read off the connection, by its attributes; one that lacks
    /// the envelope's items is left out (as by [`envelope`]).
    pub fn push_attributes(&mut self, attributes: &[AttributeValue<'_>]) {
        let items = Items::of_attributes(attributes);
        if let Some(env) = bare_envelope(&items) {
            let start = self.headers.len();
            self.headers.extend_from_slice(items.header.unwrap_or_default());
            self.bare.push((env, start..self.headers.len()));
        }
    }

    /// Envelopes taken in so far.
    pub fn len(&self) -> usize {
        self.bare.len()
    }

    /// True before the first envelope.
    pub fn is_empty(&self) -> bool {
        self.bare.is_empty()
    }

    /// The envelopes, in the order their responses came, exactly as [`envelope`] builds them.
    pub fn into_envelopes(mut self) -> Vec<Envelope> {
        self.drain().collect()
    }

    /// [`Self::into_envelopes`], each parsed as it is taken, leaving the buffers empty for the
    /// next chunk (see [`Self::reuse_for`]).
    pub fn drain(&mut self) -> impl Iterator<Item = Envelope> + '_ {
        let Self { bare, headers } = self;
        let headers = &*headers;
        let mut fields = Vec::new();
        bare.drain(..).map(move |(env, range)| with_header_fields(env, headers.get(range), &mut fields))
    }

    /// [`Self::drain`], each envelope encoded for the cache straight from its parsed header
    /// fields ([`EnvelopeParts`]): the same bytes as encoding the [`Envelope`] that
    /// [`Self::drain`] gives, without building its strings first (and freeing them after).
    pub fn drain_encoded(&mut self) -> impl Iterator<Item = Result<Encoded>> + '_ {
        let Self { bare, headers } = self;
        let headers = &*headers;
        let mut fields = Vec::new();
        bare.drain(..).map(move |(env, range)| {
            let raw = headers.get(range).filter(|raw| !raw.is_empty());
            let parts = match raw {
                Some(raw) => HeaderParts::parse(raw, &mut fields),
                None => HeaderParts::default(),
            };
            Encoded::of(&EnvelopeParts {
                uid: env.uid,
                flags: &env.flags,
                received: env.received,
                date: parts.date.unwrap_or(env.received),
                size: env.size,
                subject: parts.subject,
                from: Addresses(parts.from),
                to: Addresses(parts.to),
                cc: Addresses(parts.cc),
                message_id: parts.message_id,
                in_reply_to: parts.in_reply_to,
                references: Ids(parts.references),
                has_attachment: env.has_attachment,
                thread_id: thread_hash(parts.thread_root(), env.uid, env.received),
                modseq: env.modseq,
                snippet: None,
            })
        })
    }

    /// Empties the buffers, keeping their room, with room for `n` responses (as
    /// [`Self::with_capacity`]): a large sync passes its chunks' buffers back and forth between
    /// the reading and the writing rather than mapping a megabyte of fresh pages for each chunk
    /// (a fifth of what the reading task spent copying headers went in page faults).
    pub fn reuse_for(&mut self, n: usize) {
        self.bare.clear();
        self.headers.clear();
        self.bare.reserve(n);
        self.headers.reserve(n * 512);
    }
}

/// The envelopes in the untagged answer to a FETCH of [`ENVELOPE_ITEMS`] sent with
/// [`crate::imap::raw::exchange_in_step`] (each line after its `* `, literals as they came), in
/// the order they came; other responses among them are left out.
pub fn envelopes_in(untagged: &[Vec<u8>]) -> Vec<Envelope> {
    let mut pending = PendingEnvelopes::with_capacity(untagged.len());
    for line in untagged {
        super::raw::with_untagged(line, |response| {
            if let Response::Fetch(_, items) = response {
                pending.push_attributes(&items);
            }
        });
    }
    pending.into_envelopes()
}

/// Fills the header-derived fields of `env` from raw header bytes. Unparsable headers leave the
/// fields empty rather than failing: a broken message still gets a row.
pub fn apply_headers(env: &mut Envelope, raw: &[u8]) {
    apply_header_fields(env, raw, &mut Vec::new());
}

/// [`apply_headers`], parsing into `fields` (see [`HeaderParts::parse`]).
fn apply_header_fields<'x>(env: &mut Envelope, raw: &'x [u8], fields: &mut Vec<Header<'x>>) {
    let parts = HeaderParts::parse(raw, fields);
    env.subject = parts.subject.to_string();
    if let Some(date) = parts.date {
        env.date = date;
    }
    env.from = addresses(parts.from);
    env.to = addresses(parts.to);
    env.cc = addresses(parts.cc);
    env.message_id = parts.message_id.map(str::to_string);
    env.in_reply_to = parts.in_reply_to.map(str::to_string);
    env.references = ids(parts.references).map(str::to_string).collect();
}

/// What an envelope takes from its header fields, borrowed from their parse.
#[derive(Debug, Default)]
struct HeaderParts<'h> {
    /// The subject, trimmed (empty without one).
    subject: &'h str,
    date: Option<i64>,
    from: Option<&'h mail_parser::Address<'h>>,
    to: Option<&'h mail_parser::Address<'h>>,
    cc: Option<&'h mail_parser::Address<'h>>,
    message_id: Option<&'h str>,
    /// The first message id of `In-Reply-To:`.
    in_reply_to: Option<&'h str>,
    references: Option<&'h HeaderValue<'h>>,
}

impl<'h> HeaderParts<'h> {
    /// Parses raw header fields into `fields` (emptied first) and picks the envelope's parts.
    /// mail-parser's own header parser is called directly, into a list the caller may keep:
    /// building a whole [`mail_parser::Message`] (its parts, its parser's state) for a few
    /// header fields was a sixth of what completing the envelopes of a first download cost.
    /// Where a field comes more than once, the last counts, as with [`mail_parser::Message`]'s
    /// accessors.
    fn parse<'x: 'h>(raw: &'x [u8], fields: &'h mut Vec<Header<'x>>) -> Self {
        fields.clear();
        MessageStream::new(raw).parse_headers(&MessageParser::default(), fields);
        let (mut subject, mut date, mut from, mut to, mut cc) = (None, None, None, None, None);
        let (mut message_id, mut in_reply_to, mut references) = (None, None, None);
        for field in fields.iter() {
            let value = Some(&field.value);
            match field.name {
                HeaderName::Subject => subject = value,
                HeaderName::Date => date = value,
                HeaderName::From => from = value,
                HeaderName::To => to = value,
                HeaderName::Cc => cc = value,
                HeaderName::MessageId => message_id = value,
                HeaderName::InReplyTo => in_reply_to = value,
                HeaderName::References => references = value,
                _ => {}
            }
        }
        Self {
            subject: subject.and_then(HeaderValue::as_text).unwrap_or_default().trim(),
            date: date.and_then(HeaderValue::as_datetime).map(|date| date.to_timestamp()),
            from: from.and_then(HeaderValue::as_address),
            to: to.and_then(HeaderValue::as_address),
            cc: cc.and_then(HeaderValue::as_address),
            message_id: message_id.and_then(HeaderValue::as_text),
            in_reply_to: ids(in_reply_to).next(),
            references,
        }
    }

    /// The id a conversation is known by (see [`thread_id`]).
    fn thread_root(&self) -> Option<&'h str> {
        ids(self.references).next().or(self.in_reply_to).or(self.message_id)
    }
}

/// The addresses of an address field (`From:`, `To:`, `Cc:`) that have an address, each trimmed,
/// with its name where the name says more than the address.
fn address_refs<'h>(list: Option<&'h mail_parser::Address<'h>>) -> impl Iterator<Item = AddressRef<'h>> {
    // As `mail_parser::Address::iter`, without its boxed iterator.
    let (plain, groups) = match list {
        Some(mail_parser::Address::List(list)) => (&list[..], &[][..]),
        Some(mail_parser::Address::Group(groups)) => (&[][..], &groups[..]),
        None => (&[][..], &[][..]),
    };
    plain.iter().chain(groups.iter().flat_map(|group| group.addresses.iter())).filter_map(
        |addr: &'h Addr<'h>| {
            let email = addr.address()?.trim();
            let name = addr.name().map(str::trim).filter(|n| !n.is_empty() && *n != email);
            Some(AddressRef { name, email })
        },
    )
}

fn addresses(list: Option<&mail_parser::Address<'_>>) -> Vec<Address> {
    address_refs(list)
        .map(|a| Address { name: a.name.map(str::to_string), email: a.email.to_string() })
        .collect()
}

/// The message ids of an `In-Reply-To:` or `References:` field.
fn ids<'h>(value: Option<&'h HeaderValue<'h>>) -> impl Iterator<Item = &'h str> {
    let (one, list) = match value {
        Some(HeaderValue::Text(id)) => (Some(id.as_ref()), &[][..]),
        Some(HeaderValue::TextList(ids)) => (None, &ids[..]),
        _ => (None, &[][..]),
    };
    one.into_iter().chain(list.iter().map(|id| id.as_ref()))
}

/// A header's addresses encoded as the cache encodes an envelope's (a list of [`Address`]es).
struct Addresses<'h>(Option<&'h mail_parser::Address<'h>>);

impl Serialize for Addresses<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(address_refs(self.0).count()))?;
        for address in address_refs(self.0) {
            seq.serialize_element(&address)?;
        }
        seq.end()
    }
}

/// A header's message ids encoded as the cache encodes an envelope's references.
struct Ids<'h>(Option<&'h HeaderValue<'h>>);

impl Serialize for Ids<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(ids(self.0).count()))?;
        for id in ids(self.0) {
            seq.serialize_element(id)?;
        }
        seq.end()
    }
}

/// The conversation a message belongs to: the root of its References chain, else what it
/// replies to, else itself. Messages of one thread share it whichever arrives first.
pub fn thread_id(env: &Envelope) -> u64 {
    let root = env.references.first().or(env.in_reply_to.as_ref()).or(env.message_id.as_ref());
    thread_hash(root.map(String::as_str), env.uid, env.received)
}

/// [`thread_id`] of the conversation whose root is `root`, or of a message without one.
fn thread_hash(root: Option<&str>, uid: u32, received: i64) -> u64 {
    let mut hasher = DefaultHasher::new();
    match root {
        Some(id) => id.to_ascii_lowercase().hash(&mut hasher),
        None => (uid, received).hash(&mut hasher),
    }
    hasher.finish()
}

/// True when any part is an attachment: disposition `attachment`, or a named non-text leaf.
pub fn has_attachment(body: &BodyStructure<'_>) -> bool {
    match body {
        BodyStructure::Multipart { bodies, .. } => bodies.iter().any(has_attachment),
        BodyStructure::Basic { common, .. }
        | BodyStructure::Text { common, .. }
        | BodyStructure::Message { common, .. } => {
            let disposition = common.disposition.as_ref();
            if disposition.is_some_and(|d| d.ty.eq_ignore_ascii_case("attachment")) {
                return true;
            }
            let named = disposition
                .and_then(|d| d.params.as_ref())
                .into_iter()
                .chain(common.ty.params.as_ref())
                .flatten()
                .any(|(k, _)| k.eq_ignore_ascii_case("filename") || k.eq_ignore_ascii_case("name"));
            let inline_ok = common.ty.ty.eq_ignore_ascii_case("text")
                || disposition.is_some_and(|d| d.ty.eq_ignore_ascii_case("inline"))
                    && common.ty.ty.eq_ignore_ascii_case("image");
            named && !inline_ok
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blank(uid: u32) -> Envelope {
        Envelope {
            uid,
            flags: FlagState::default(),
            received: 1_700_000_000,
            date: 1_700_000_000,
            size: 0,
            subject: String::new(),
            from: vec![],
            to: vec![],
            cc: vec![],
            message_id: None,
            in_reply_to: None,
            references: vec![],
            has_attachment: false,
            thread_id: 0,
            modseq: 0,
            snippet: None,
        }
    }

    fn parsed(headers: &str) -> Envelope {
        let mut env = blank(1);
        apply_headers(&mut env, headers.replace('\n', "\r\n").as_bytes());
        env
    }

    #[test]
    fn pushed_items_are_the_envelope_items_with_modseq() {
        assert_eq!(PUSHED_ITEMS.replacen(" MODSEQ", "", 1), ENVELOPE_ITEMS);
    }

    #[test]
    fn headers_are_decoded() {
        // (headers, subject, from name, from email)
        let table = [
            ("Subject: Hello\nFrom: Ann <ann@example.org>\n\n", "Hello", Some("Ann"), "ann@example.org"),
            (
                "Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?=\nFrom: =?ISO-8859-1?Q?J=F6rg?= <j@example.de>\n\n",
                "Grüße aus Köln",
                Some("Jörg"),
                "j@example.de",
            ),
            (
                "Subject: =?ISO-2022-JP?B?GyRCJEskWyRzJDQbKEI=?=\nFrom: bob@example.jp\n\n",
                "にほんご",
                None,
                "bob@example.jp",
            ),
            (
                "Subject:   spaced   \nFrom: \"Doe, Jane\" <jane@example.org>\n\n",
                "spaced",
                Some("Doe, Jane"),
                "jane@example.org",
            ),
        ];
        for (headers, subject, name, email) in table {
            let env = parsed(headers);
            assert_eq!(env.subject, subject, "{headers}");
            assert_eq!(env.from[0].name.as_deref(), name, "{headers}");
            assert_eq!(env.from[0].email, email, "{headers}");
        }
    }

    #[test]
    fn broken_headers_still_give_a_row() {
        let env = parsed("Subject\nFrom: <<<>>>\nDate: yesterday-ish\n\n");
        assert_eq!(env.date, 1_700_000_000, "an unparsable Date keeps the arrival time");
        assert!(env.subject.is_empty());
    }

    #[test]
    fn threads_share_the_root_id() {
        let root = parsed("Message-ID: <Root@x>\n\n");
        let reply = parsed("Message-ID: <r1@x>\nIn-Reply-To: <root@x>\nReferences: <root@x>\n\n");
        let reply2 = parsed("Message-ID: <r2@x>\nIn-Reply-To: <r1@x>\nReferences: <root@x> <r1@x>\n\n");
        let only_irt = parsed("Message-ID: <r3@x>\nIn-Reply-To: <root@x>\n\n");
        let other = parsed("Message-ID: <other@x>\n\n");
        let ids: Vec<u64> = [&root, &reply, &reply2, &only_irt].iter().map(|e| thread_id(e)).collect();
        assert!(ids.iter().all(|&id| id == ids[0]), "{ids:?}");
        assert_ne!(thread_id(&other), ids[0]);
        assert_eq!(reply2.references, vec!["root@x".to_string(), "r1@x".to_string()]);
        assert_eq!(reply.in_reply_to.as_deref(), Some("root@x"));
    }

    #[test]
    fn fields_read_as_a_parsed_message_reads_them() {
        // What mail-parser's whole-message reading gives, field by field: the reference the
        // direct header parse must match (a repeated field: the last counts).
        fn reference(raw: &[u8]) -> Envelope {
            fn list(value: &HeaderValue<'_>) -> Vec<String> {
                match value {
                    HeaderValue::Text(id) => vec![id.to_string()],
                    HeaderValue::TextList(ids) => ids.iter().map(|s| s.to_string()).collect(),
                    _ => vec![],
                }
            }
            fn people(list: Option<&mail_parser::Address<'_>>) -> Vec<Address> {
                let Some(list) = list else { return vec![] };
                list.iter()
                    .filter_map(|addr| {
                        let email = addr.address()?.trim().to_string();
                        let name = addr
                            .name()
                            .map(|n| n.trim().to_string())
                            .filter(|n| !n.is_empty() && *n != email);
                        Some(Address { name, email })
                    })
                    .collect()
            }
            let mut env = blank(1);
            let Some(msg) = MessageParser::default().parse_headers(raw) else { return env };
            env.subject = msg.subject().unwrap_or_default().trim().to_string();
            if let Some(date) = msg.date() {
                env.date = date.to_timestamp();
            }
            env.from = people(msg.from());
            env.to = people(msg.to());
            env.cc = people(msg.cc());
            env.message_id = msg.message_id().map(str::to_string);
            env.in_reply_to = list(msg.in_reply_to()).into_iter().next();
            env.references = list(msg.references());
            env
        }
        let table = [
            "Subject: Hello\nFrom: Ann <ann@example.org>\nTo: b@example.org, Cy <c@example.org>\nCc: d@example.org\nDate: Tue, 16 Jul 2024 10:00:00 +0200\nMessage-ID: <m1@x>\nIn-Reply-To: <m0@x>\nReferences: <r@x> <m0@x>\n\n",
            "Subject: first\nSubject: second\nFrom: a@x\nFrom: B <b@x>\nDate: Mon, 1 Jan 2024 00:00:00 +0000\nDate: Tue, 2 Jan 2024 00:00:00 +0000\nMessage-ID: <one@x>\nMessage-ID: <two@x>\n\n",
            "Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?=\n =?ISO-8859-1?Q?_J=F6rg?=\nFrom: =?UTF-8?Q?J=C3=B6rg?= <j@example.de>\nReferences: <a@x>\n <b@x>\n\t<c@x>\n\n",
            "In-Reply-To: <x@y> <z@y>\nTo: undisclosed-recipients:;\nCc: Group: a@x, b@x;\n\n",
            "Subject\nFrom: <<<>>>\nDate: yesterday-ish\nMessage-ID: no brackets\n\n",
            "X-Other: 1\nsubject: lower case names\nFROM: upper@x\n\n",
            "\n",
            "",
            "Subject: no blank line at the end",
        ];
        for headers in table {
            let raw = headers.replace('\n', "\r\n");
            let mut env = blank(1);
            apply_headers(&mut env, raw.as_bytes());
            assert_eq!(env, reference(raw.as_bytes()), "{headers:?}");
        }
    }

    #[test]
    fn envelopes_encoded_from_their_parts_are_the_envelopes_encoded() {
        let fetch = |uid: u32, flags: &str, headers: Option<&str>| {
            let mut r = format!(
                "* {uid} FETCH (UID {uid} FLAGS ({flags}) INTERNALDATE \"17-Jul-2024 02:44:25 -0700\" \
                 RFC822.SIZE 321 MODSEQ (9) BODYSTRUCTURE (\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1 NIL NIL NIL NIL)"
            );
            if let Some(headers) = headers {
                let headers = headers.replace('\n', "\r\n");
                r += &format!(" BODY[HEADER.FIELDS (DATE FROM)] {{{}}}\r\n{headers}", headers.len());
            }
            r + ")\r\n"
        };
        let table = [
            (
                Some(
                    "Subject: Hello\nFrom: Ann <ann@example.org>\nTo: b@example.org, Cy <c@example.org>\nCc: d@example.org\nDate: Tue, 16 Jul 2024 10:00:00 +0200\nMessage-ID: <m1@x>\nIn-Reply-To: <m0@x>\nReferences: <r@x> <m0@x>\n\n",
                ),
                "\\Seen $Label",
            ),
            (
                Some(
                    "Subject: first\nSubject:  second \nFrom: a@x\nFrom: B <b@x>\nDate: Mon, 1 Jan 2024 00:00:00 +0000\nDate: nonsense\nMessage-ID: <one@x>\nMessage-ID: <two@x>\n\n",
                ),
                "",
            ),
            (
                Some(
                    "Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?=\n =?ISO-8859-1?Q?_J=F6rg?=\nFrom: =?UTF-8?Q?J=C3=B6rg?= <j@example.de>\nReferences: <a@x>\n <b@x>\n\t<c@x>\n\n",
                ),
                "\\Flagged",
            ),
            (
                Some(
                    "In-Reply-To: <x@y> <z@y>\nTo: undisclosed-recipients:;\nCc: Group: a@x, B <b@x>;, c@x\n\n",
                ),
                "\\Answered",
            ),
            (Some("From: Same <same@x>\nTo: \"same@x\" <same@x>, <>, Nobody\nReferences: <ONLY@X>\n\n"), ""),
            (Some("Subject\nFrom: <<<>>>\nDate: yesterday-ish\nMessage-ID: no brackets\n\n"), ""),
            (Some("\n"), ""),
            (Some(""), ""),
            (None, "\\Seen"),
        ];
        for (uid, (headers, flags)) in (1..).zip(table) {
            let response = fetch(uid, flags, headers);
            let (_, parsed) = Response::parse(response.as_bytes()).unwrap();
            let Response::Fetch(_, attributes) = &parsed else { panic!("{response}") };
            let mut whole = PendingEnvelopes::default();
            whole.push_attributes(attributes);
            let mut encoded = PendingEnvelopes::default();
            encoded.push_attributes(attributes);
            let env: Vec<Envelope> = whole.drain().collect();
            let bytes: Vec<Encoded> = encoded.drain_encoded().map(|e| e.unwrap()).collect();
            assert_eq!(env.len(), 1, "{headers:?}");
            let expected = Encoded {
                uid,
                received: env[0].received,
                seen: env[0].flags.flags.seen,
                bytes: postcard::to_allocvec(&env[0]).unwrap(),
            };
            assert_eq!(bytes, [expected], "{headers:?}");
            assert_eq!(postcard::from_bytes::<Envelope>(&bytes[0].bytes).unwrap(), env[0], "{headers:?}");
        }
    }

    /// FETCH responses as async-imap hands them over, from what a server sends.
    async fn fetched(responses: &[String]) -> Vec<Fetch> {
        use futures::TryStreamExt;
        use tokio::io::AsyncWriteExt;
        let (client, mut server) = tokio::io::duplex(1 << 20);
        let script = format!("A0001 OK logged in\r\n{}A0002 OK done\r\n", responses.concat());
        server.write_all(script.as_bytes()).await.unwrap();
        let mut session = async_imap::Client::new(client).login("u", "p").await.map_err(|(e, _)| e).unwrap();
        let fetches = session.fetch("1:*", ENVELOPE_ITEMS).await.unwrap().try_collect().await.unwrap();
        drop(server);
        fetches
    }

    #[test]
    fn internal_dates_read_as_async_imap_reads_them() {
        for date in [
            "17-Jul-2024 02:44:25 -0700",
            " 3-Dec-2026 21:05:00 +0000",
            "03-Dec-2026 21:05:00 +0530",
            "29-Feb-2024 23:59:59 -1200",
            "31-Feb-2024 00:00:00 +0000",
            "17-Jul-2024 02:44:25",
            "17-Foo-2024 02:44:25 -0700",
            "",
        ] {
            let expected = chrono::DateTime::parse_from_str(date, INTERNALDATE).ok().map(|d| d.timestamp());
            assert_eq!(internal_date(date), expected, "{date:?}");
        }
        assert_eq!(internal_date("17-Jul-2024 02:44:25 -0700"), Some(1_721_209_465));
    }

    #[tokio::test]
    async fn envelopes_whose_headers_are_parsed_later_are_the_same() {
        let response = |seq: u32, uid: u32, flags: &str, structure: &str, headers: Option<&str>| {
            let mut r = format!(
                "* {seq} FETCH (UID {uid} FLAGS ({flags}) INTERNALDATE \"17-Jul-2024 02:44:25 -0700\" \
                 RFC822.SIZE {} MODSEQ ({}) BODYSTRUCTURE {structure}",
                100 + uid,
                7 + uid
            );
            if let Some(headers) = headers {
                let headers = headers.replace('\n', "\r\n");
                r += &format!(
                    " BODY[HEADER.FIELDS (DATE FROM TO CC SUBJECT MESSAGE-ID IN-REPLY-TO REFERENCES)] {{{}}}\r\n{headers}",
                    headers.len()
                );
            }
            r + ")\r\n"
        };
        let plain = r#"("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 10 1 NIL NIL NIL NIL)"#;
        let with_pdf = r#"(("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 10 1 NIL NIL NIL NIL)("application" "pdf" ("name" "a.pdf") NIL NIL "base64" 100 NIL ("attachment" ("filename" "a.pdf")) NIL NIL) "mixed" ("boundary" "x") NIL NIL NIL)"#;
        let responses = [
            response(
                1,
                10,
                "\\Seen $Label",
                with_pdf,
                Some(
                    "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\nFrom: Ann <ann@example.org>\nTo: b@example.org, Cy <c@example.org>\nDate: Tue, 16 Jul 2024 10:00:00 +0000\nMessage-ID: <m10@example.org>\n\n",
                ),
            ),
            // An unsolicited flag update in between: no envelope.
            "* 2 FETCH (UID 11 FLAGS (\\Seen) MODSEQ (30))\r\n".to_string(),
            response(3, 12, "", plain, None),
            response(
                4,
                13,
                "\\Answered",
                plain,
                Some(
                    "Subject: Re: Hi\nFrom: bob@example.org\nIn-Reply-To: <m10@example.org>\nReferences: <m1@example.org> <m10@example.org>\n\n",
                ),
            ),
        ];
        let fetches = fetched(&responses).await;
        assert_eq!(fetches.len(), 4);
        let at_once: Vec<Envelope> = fetches.iter().filter_map(envelope).collect();
        // Read off the connection by the pipelined initial sync, their headers parsed later:
        // the same envelopes.
        let mut pending = PendingEnvelopes::default();
        for raw in &responses {
            let (_, parsed) = async_imap::imap_proto::Response::parse(raw.as_bytes()).unwrap();
            if let async_imap::imap_proto::Response::Fetch(_, attributes) = &parsed {
                pending.push_attributes(attributes);
            }
        }
        assert_eq!(pending.len(), 3);
        let later: Vec<Envelope> = pending.drain().collect();
        assert_eq!(later, at_once);
        // The same buffers again, as the initial sync passes them from one chunk to the next:
        // nothing of the chunk before shows, whichever of its responses came in again.
        pending.reuse_for(2);
        assert!(pending.is_empty());
        for raw in [&responses[3], &responses[0]] {
            let (_, parsed) = async_imap::imap_proto::Response::parse(raw.as_bytes()).unwrap();
            if let async_imap::imap_proto::Response::Fetch(_, attributes) = &parsed {
                pending.push_attributes(attributes);
            }
        }
        assert_eq!(pending.into_envelopes(), vec![at_once[2].clone(), at_once[0].clone()]);
        // Read as the answer to a FETCH pipelined with a SELECT (each line after its `* `).
        let untagged: Vec<Vec<u8>> = responses
            .iter()
            .map(|raw| {
                raw.strip_prefix("* ").and_then(|r| r.strip_suffix("\r\n")).unwrap().as_bytes().to_vec()
            })
            .collect();
        assert_eq!(envelopes_in(&untagged), at_once);
        let summary: Vec<(u32, &str, bool, usize, u64)> = later
            .iter()
            .map(|e| (e.uid, e.subject.as_str(), e.has_attachment, e.to.len(), e.modseq))
            .collect();
        assert_eq!(
            summary,
            [(10, "Grüße", true, 2, 17), (12, "", false, 0, 19), (13, "Re: Hi", false, 0, 20)]
        );
        assert_eq!(later[2].references, ["m1@example.org", "m10@example.org"]);
    }
}
