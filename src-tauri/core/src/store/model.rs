//! What the cache stores about messages and folders.

use serde::{Deserialize, Serialize};

/// A person in an address header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Display name, decoded.
    pub name: Option<String>,
    /// The address itself.
    pub email: String,
}

/// The system flags Tern tracks (RFC 3501 2.3.2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageFlags {
    /// `\Seen`.
    pub seen: bool,
    /// `\Answered`.
    pub answered: bool,
    /// `\Flagged`.
    pub flagged: bool,
    /// `\Deleted`.
    pub deleted: bool,
    /// `\Draft`.
    pub draft: bool,
}

/// Flags and keywords of one message as the server has them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagState {
    /// System flags.
    pub flags: MessageFlags,
    /// Keywords (`$Forwarded`, `$Junk`, user labels), sorted.
    pub keywords: Vec<String>,
}

/// One message's envelope: everything the message list shows, nothing of the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// UID in its folder.
    pub uid: u32,
    /// Flags and keywords.
    pub flags: FlagState,
    /// Server arrival time (INTERNALDATE), Unix seconds. The list sorts by this.
    pub received: i64,
    /// The `Date:` header, Unix seconds (arrival time when missing or unparsable).
    pub date: i64,
    /// RFC822.SIZE in bytes.
    pub size: u32,
    /// Decoded subject.
    pub subject: String,
    /// `From:`.
    pub from: Vec<Address>,
    /// `To:`.
    pub to: Vec<Address>,
    /// `Cc:`.
    pub cc: Vec<Address>,
    /// `Message-ID:` without angle brackets.
    pub message_id: Option<String>,
    /// `In-Reply-To:` (first id).
    pub in_reply_to: Option<String>,
    /// `References:` ids, oldest first.
    pub references: Vec<String>,
    /// Whether BODYSTRUCTURE shows an attachment.
    pub has_attachment: bool,
    /// Conversation key: a hash of the thread's root Message-ID.
    pub thread_id: u64,
    /// MODSEQ when the server has CONDSTORE, else 0.
    pub modseq: u64,
    /// The first line or so of the message text, once its body has been fetched; shown in the
    /// message list under the subject. The sync leaves it `None` and [`Store::apply`] keeps a
    /// cached one when the sync writes the envelope again.
    ///
    /// [`Store::apply`]: super::Store::apply
    pub snippet: Option<String>,
}

/// What Tern knows about a folder's server state, for resync.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderState {
    /// UIDVALIDITY the cached UIDs belong to.
    pub uidvalidity: u32,
    /// UIDNEXT at the last completed sync.
    pub uidnext: u32,
    /// HIGHESTMODSEQ at the last completed sync (0 without CONDSTORE).
    pub highestmodseq: u64,
    /// Messages in the cache.
    pub total: u32,
    /// Messages in the cache without `\Seen`.
    pub unread: u32,
    /// True once a sync finished; false while an initial sync or repair is under way, so the
    /// next sync knows to reconcile the whole folder.
    pub complete: bool,
}

/// A flag change the user made while the account could not reach its server: kept in the cache
/// (which shows it already) until the server has it too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingFlags {
    /// The folder's IMAP path.
    pub path: String,
    /// The folder's UIDVALIDITY when the change was made: under another one the same UIDs name
    /// other messages, and the change is dropped.
    pub uidvalidity: u32,
    /// The messages changed.
    pub uids: Vec<u32>,
    /// Set (`Some(true)`) or clear `\Seen`.
    pub seen: Option<bool>,
    /// Set or clear `\Flagged`.
    pub flagged: Option<bool>,
}

/// The account's storage quota (RFC 9208 STORAGE resource), in KiB.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageQuota {
    /// KiB in use.
    pub used_kib: u64,
    /// KiB allowed.
    pub limit_kib: u64,
}

/// An address borrowed from a stored envelope (or, to be stored, from a parsed header), encoded
/// as an [`Address`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressRef<'a> {
    /// Display name.
    #[serde(borrow)]
    pub name: Option<&'a str>,
    /// The address.
    pub email: &'a str,
}

/// The leading fields of a stored [`Envelope`], read in place without copying its strings: what
/// the in-memory list views need from every message of a folder. Postcard encodes fields by
/// position, so this mirrors [`Envelope`]'s first fields exactly and stops after `references`.
#[derive(Debug, Deserialize)]
pub struct EnvelopeHead<'a> {
    /// UID.
    pub uid: u32,
    /// System flags.
    pub flags: MessageFlags,
    /// Keywords.
    #[serde(borrow)]
    pub keywords: Vec<&'a str>,
    /// Arrival time.
    pub received: i64,
    /// `Date:`.
    pub date: i64,
    /// Size.
    pub size: u32,
    /// Subject.
    pub subject: &'a str,
    /// `From:`.
    #[serde(borrow)]
    pub from: Vec<AddressRef<'a>>,
    /// `To:`, read past (no one reading heads needs it).
    pub to: Skipped,
    /// `Cc:`, read past.
    pub cc: Skipped,
    /// `Message-ID:`.
    pub message_id: Option<&'a str>,
    /// `In-Reply-To:`.
    pub in_reply_to: Option<&'a str>,
    /// `References:`.
    #[serde(borrow)]
    pub references: Vec<&'a str>,
}

/// An [`Envelope`] made of borrowed parts, encoded exactly as the envelope they make up (postcard
/// encodes a struct as its fields in order, and a list as its length then its elements, whatever
/// holds them): a first download writes the envelopes it parses without building each one's
/// strings only to encode and free them ([`crate::store::Store::apply_encoded`]). `A` encodes as
/// a list of [`AddressRef`]s, `R` as a list of strings.
#[derive(Debug, Serialize)]
pub struct EnvelopeParts<'a, A, R> {
    /// UID.
    pub uid: u32,
    /// Flags and keywords.
    pub flags: &'a FlagState,
    /// Arrival time.
    pub received: i64,
    /// `Date:`, else the arrival time.
    pub date: i64,
    /// Size.
    pub size: u32,
    /// Subject.
    pub subject: &'a str,
    /// `From:`.
    pub from: A,
    /// `To:`.
    pub to: A,
    /// `Cc:`.
    pub cc: A,
    /// `Message-ID:`.
    pub message_id: Option<&'a str>,
    /// `In-Reply-To:`.
    pub in_reply_to: Option<&'a str>,
    /// `References:`.
    pub references: R,
    /// Whether any part is an attachment.
    pub has_attachment: bool,
    /// The conversation.
    pub thread_id: u64,
    /// MODSEQ.
    pub modseq: u64,
    /// The first words of the text.
    pub snippet: Option<&'a str>,
}

/// A list of addresses in a stored envelope, read past without keeping anything: a scan of a
/// 100,000-message folder allocates nothing for the fields it does not need.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Skipped;

impl<'de> Deserialize<'de> for Skipped {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Each;
        impl<'de> serde::de::Visitor<'de> for Each {
            type Value = Skipped;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of addresses")
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Skipped, A::Error> {
                while seq.next_element::<AddressRef<'de>>()?.is_some() {}
                Ok(Skipped)
            }
        }
        deserializer.deserialize_seq(Each)
    }
}
