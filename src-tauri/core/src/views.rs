//! The message list as the user asks for it: one folder or every inbox, sorted by date, sender,
//! subject or size, narrowed by a filter, as conversations or as single messages.
//!
//! The plain case (one folder, newest first, no filter, single messages) pages the cache's date
//! index directly ([`crate::store::Store::page`]). Everything else goes through an in-memory
//! view:
//!
//! - **Summaries**: per folder, the parts of each envelope that never change for a UID (sender,
//!   subject, ids, arrival, size), built by one scan of the folder and then kept up to date by
//!   reading only the UIDs that came in since. Flags are never part of a summary: rows read them
//!   fresh from the cache, so marking a message read invalidates nothing here. Message-IDs are
//!   kept as the hashes threading compares ([`crate::thread::id_hash`]), not as text.
//! - **Threads**: per set of folders, the conversations [`crate::thread::conversations`] makes of
//!   them, kept while no message comes into or leaves those folders. They are also saved in the
//!   cache ([`Views::save`], at exit and after the first build), so that the next start shows
//!   the conversations without reading and threading every message again: a saved set is used
//!   only while the date index of each of its folders still holds exactly the messages it was
//!   built from (same UIDVALIDITY, same digest, every message in exactly one conversation).
//! - **Views**: per query, the ordered list of rows, kept on the same condition.
//!
//! A conversation row stands for every message of its conversation in the folders shown, plus
//! the user's own replies in the account's Sent folder: it shows the newest of its messages in
//! the shown folders, is unread while any of them is, flagged or with attachments when any is.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::Result;
use crate::imap::FolderRole;
use crate::store::{Envelope, EnvelopeHead, FolderId, Store};
use crate::thread::{self, IdHash, MessageKey, ThreadInput};

/// Where the rows come from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Source {
    /// One folder of one account.
    Folder {
        /// The account.
        account_id: String,
        /// The folder's IMAP path.
        path: String,
    },
    /// The inbox of every account, merged.
    AllInboxes,
}

/// What the rows are ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SortKey {
    /// Arrival time (a conversation: its newest message's).
    #[default]
    Date,
    /// The sender's name, then address, ignoring case.
    Sender,
    /// The subject without `Re:`/`Fwd:` prefixes or list tags, ignoring case.
    Subject,
    /// Size in bytes.
    Size,
}

/// One request for the message list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListQuery {
    /// Where the rows come from.
    pub source: Source,
    /// The order.
    pub sort: SortKey,
    /// Largest, newest, or last in the alphabet first. Ties are broken newest first.
    pub descending: bool,
    /// Words that must each appear in the sender or the subject (ignoring case); empty: all.
    pub filter: String,
    /// One row per conversation instead of per message.
    pub conversations: bool,
}

impl ListQuery {
    /// A folder newest first, unfiltered, one row per message: what the cache's index serves.
    fn is_plain(&self) -> bool {
        matches!(self.source, Source::Folder { .. })
            && self.sort == SortKey::Date
            && self.descending
            && self.filter.trim().is_empty()
            && !self.conversations
    }
}

/// One row of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The account holding the message.
    pub account_id: String,
    /// The folder holding the message.
    pub path: String,
    /// The message the row shows. In a conversation row its `seen` flag is false while any
    /// message of the conversation is unread, `flagged` and `has_attachment` are true when any
    /// is, and `received` is the arrival of the conversation's newest message (the one the list
    /// sorts it by, which may be the user's reply in Sent).
    pub envelope: Envelope,
    /// Messages in the conversation (1 for a single message).
    pub thread_count: u32,
}

/// A window of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowPage {
    /// Rows in the whole list (messages or conversations, after the filter).
    pub total: u32,
    /// Unread messages in the folders shown.
    pub unread: u32,
    /// The requested rows.
    pub rows: Vec<Row>,
}

/// A folder taking part in a view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewFolder {
    /// Its account.
    pub account_id: String,
    /// Its IMAP path.
    pub path: String,
    /// Its id in the cache.
    pub fid: FolderId,
}

/// What a view knows about one message that never changes for its UID.
#[derive(Debug, Clone)]
struct Summary {
    uid: u32,
    /// Bytes of `text` before the line break: the sender.
    sender_len: u32,
    size: u32,
    received: i64,
    /// First sender ("name address"), a line break, and the subject as written, all lower case:
    /// what the filter searches, in one allocation.
    text: Box<str>,
    /// `Message-ID:`, as threading compares it.
    message_id: Option<IdHash>,
    /// `In-Reply-To:`, as threading compares it.
    in_reply_to: Option<IdHash>,
    /// `References:`, as threading compares them.
    references: Box<[IdHash]>,
}

impl Summary {
    /// From the leading fields of a stored envelope, read in place.
    fn of(head: &EnvelopeHead<'_>) -> Self {
        let sender = head.from.first().map(|a| (a.name, a.email));
        Self::new(
            head.uid,
            head.received,
            head.size,
            sender,
            head.subject,
            head.message_id,
            head.in_reply_to,
            &head.references,
        )
    }

    /// From a whole envelope.
    fn of_envelope(env: &Envelope) -> Self {
        let sender = env.from.first().map(|a| (a.name.as_deref(), a.email.as_str()));
        Self::new(
            env.uid,
            env.received,
            env.size,
            sender,
            &env.subject,
            env.message_id.as_deref(),
            env.in_reply_to.as_deref(),
            &env.references,
        )
    }

    #[allow(clippy::too_many_arguments)] // An envelope's fields, from either form.
    fn new(
        uid: u32,
        received: i64,
        size: u32,
        sender: Option<(Option<&str>, &str)>,
        subject: &str,
        message_id: Option<&str>,
        in_reply_to: Option<&str>,
        references: &[impl AsRef<str>],
    ) -> Self {
        let (name, email) = match sender {
            Some((Some(name), email)) if !name.trim().is_empty() => (name.trim(), email),
            Some((_, email)) => ("", email),
            None => ("", ""),
        };
        let mut text = String::with_capacity(name.len() + email.len() + subject.len() + 2);
        if !name.is_empty() {
            push_lowercase(&mut text, name);
            text.push(' ');
        }
        push_lowercase(&mut text, email);
        let sender_len = u32::try_from(text.len()).unwrap_or(u32::MAX);
        text.push('\n');
        push_lowercase(&mut text, subject);
        let mut hashed = Vec::with_capacity(references.len());
        hashed.extend(references.iter().filter_map(|r| thread::id_hash(r.as_ref())));
        Self {
            uid,
            sender_len,
            size,
            received,
            text: text.into_boxed_str(),
            message_id: message_id.and_then(thread::id_hash),
            in_reply_to: in_reply_to.and_then(thread::id_hash),
            references: hashed.into_boxed_slice(),
        }
    }

    /// The first sender, "name address", lower case.
    fn sender(&self) -> &str {
        self.text.get(..self.sender_len as usize).unwrap_or_default()
    }

    /// The subject as written, lower case.
    fn subject(&self) -> &str {
        self.text.get(self.sender_len as usize + 1..).unwrap_or_default()
    }

    /// Whether every word of the (lower-case) filter is in the sender or the subject. A word has
    /// no whitespace, so it cannot match across the line break between them.
    fn matches(&self, words: &[String]) -> bool {
        words.iter().all(|w| self.text.contains(w.as_str()))
    }
}

/// Appends `s` in lower case, as [`str::to_lowercase`] writes it; ASCII text (most of it) is
/// lowered in place, without a copy.
fn push_lowercase(out: &mut String, s: &str) {
    if s.is_ascii() {
        let start = out.len();
        out.push_str(s);
        out[start..].make_ascii_lowercase();
    } else {
        out.push_str(&s.to_lowercase());
    }
}

/// The summaries of one folder, by UID.
#[derive(Debug)]
struct FolderSummary {
    membership: u64,
    items: Vec<Summary>,
}

impl FolderSummary {
    fn get(&self, uid: u32) -> Option<&Summary> {
        self.items.binary_search_by_key(&uid, |s| s.uid).ok().map(|i| &self.items[i])
    }
}

/// The conversations of a thread set, what the rows need of them, in flat arrays: one
/// allocation each, where a list per conversation took one allocation per conversation (at
/// 70,000 conversations, 4 MB more and a heap left in pieces).
#[derive(Debug)]
struct Conversations {
    /// The folders threaded, sorted: what a member's `slot` indexes.
    folders: Vec<FolderId>,
    /// Per conversation, the arrival of its newest message, Unix seconds.
    latest: Vec<i64>,
    /// Per conversation, where its messages start in `members`; then where the last one ends.
    starts: Vec<u32>,
    /// Every conversation's messages, oldest first, one conversation after the other.
    members: Vec<Member>,
}

/// A message of a conversation: eight bytes, its folder as an index into the set's folders,
/// where a [`MessageKey`] takes sixteen (0.9 MB less at 113,000 messages).
#[derive(Debug, Clone, Copy)]
struct Member {
    slot: u32,
    uid: u32,
}

impl Conversations {
    /// Room for `conversations` conversations of `messages` messages in all, over `folders`
    /// (sorted).
    fn with_capacity(folders: Vec<FolderId>, conversations: usize, messages: usize) -> Self {
        let mut starts = Vec::with_capacity(conversations + 1);
        starts.push(0);
        Self {
            folders,
            latest: Vec::with_capacity(conversations),
            starts,
            members: Vec::with_capacity(messages),
        }
    }

    /// Adds a conversation (its messages oldest first); it is numbered [`Self::len`] before.
    /// Messages must be in the set's folders.
    fn push(&mut self, latest: i64, messages: impl IntoIterator<Item = MessageKey>) {
        for key in messages {
            // The threading's input is the set's folders' messages: a folder is always found.
            if let Some(member) = self.member(key) {
                self.members.push(member);
            }
        }
        self.latest.push(latest);
        self.starts.push(u32::try_from(self.members.len()).unwrap_or(u32::MAX));
    }

    /// `key` as a member, if its folder is one of the set's.
    fn member(&self, key: MessageKey) -> Option<Member> {
        let slot = self.folders.binary_search(&key.folder).ok()?;
        Some(Member { slot: u32::try_from(slot).ok()?, uid: key.uid })
    }

    fn len(&self) -> usize {
        self.latest.len()
    }

    /// The messages of conversation `c`, oldest first; none for a conversation it does not have.
    fn messages(&self, c: usize) -> impl ExactSizeIterator<Item = MessageKey> + '_ {
        self.members_of(c).iter().map(|m| MessageKey {
            folder: self.folders.get(m.slot as usize).copied().unwrap_or_default(),
            uid: m.uid,
        })
    }

    /// The newest arrival in conversation `c`.
    fn latest(&self, c: usize) -> Option<i64> {
        self.latest.get(c).copied()
    }

    /// Each conversation's newest arrival and messages, in order.
    fn iter(&self) -> impl Iterator<Item = (i64, impl ExactSizeIterator<Item = MessageKey> + '_)> + '_ {
        self.latest.iter().enumerate().map(|(c, &latest)| (latest, self.messages(c)))
    }

    /// The members of conversation `c`, as kept.
    fn members_of(&self, c: usize) -> &[Member] {
        match (self.starts.get(c), self.starts.get(c + 1)) {
            (Some(&start), Some(&end)) => self.members.get(start as usize..end as usize).unwrap_or_default(),
            _ => &[],
        }
    }

    /// The conversation of message `key`: a pass over the members, which is all a lookup needs
    /// (opening a conversation), where an index by message would hold 0.9 MB more at 113,000.
    fn conversation_of(&self, key: MessageKey) -> Option<u32> {
        let wanted = self.member(key)?;
        let at = self.members.iter().position(|m| m.slot == wanted.slot && m.uid == wanted.uid)?;
        let at = u32::try_from(at).ok()?;
        let c = self.starts.partition_point(|&start| start <= at).checked_sub(1)?;
        u32::try_from(c).ok()
    }

    /// Per folder (in the order of `folders`), the UIDs of its messages in the set, sorted.
    fn uids_by_folder(&self) -> Vec<Vec<u32>> {
        let mut uids = vec![Vec::new(); self.folders.len()];
        for m in &self.members {
            if let Some(folder) = uids.get_mut(m.slot as usize) {
                folder.push(m.uid);
            }
        }
        uids.iter_mut().for_each(|folder| folder.sort_unstable());
        uids
    }
}

/// The conversations of a set of folders.
#[derive(Debug)]
struct Threads {
    /// (folder, membership) of every folder threaded, sorted.
    stamp: Vec<(FolderId, u64)>,
    conversations: Conversations,
    /// Whether the cache holds this set as it is ([`Views::save`]).
    saved: AtomicBool,
}

/// Bumped whenever what a saved thread set means changes (threading, its inputs, this format),
/// so that sets saved by another version of Tern are rebuilt rather than trusted.
const SAVED_THREADS_VERSION: u32 = 2;

/// A thread set as the cache keeps it.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct SavedThreads {
    version: u32,
    /// Per folder threaded (sorted): its id, UIDVALIDITY and [`crate::store::Arrivals`] digest.
    folders: Vec<(FolderId, u32, u64)>,
    /// Per conversation, its newest arrival.
    latest: Vec<i64>,
    /// Per conversation, how many messages it has.
    sizes: Vec<u32>,
    /// Every conversation's messages (folder, UID), oldest first, one conversation after the
    /// other.
    members: Vec<(FolderId, u32)>,
}

/// The name under which thread sets are saved in the cache (with the ids of their folders).
const SAVED_THREADS: &str = "threads";

/// One row of a built view: the message shown, and its conversation if grouped. Twelve bytes,
/// as a view holds one per row (a folder as an index rather than its id, no `Option`'s tag).
#[derive(Debug, Clone, Copy)]
struct RowRef {
    /// The message's folder: an index into the view's `slots`, which are sorted, so (slot, UID)
    /// orders rows as their [`MessageKey`]s do.
    slot: u16,
    uid: u32,
    /// Which of the view's thread sets the conversation index belongs to.
    threads: u16,
    /// Its conversation in that set, or [`RowRef::SINGLE`].
    conversation: u32,
}

const _: () = assert!(size_of::<RowRef>() == 12);

impl RowRef {
    /// The `conversation` of a row that stands for one message.
    const SINGLE: u32 = u32::MAX;

    fn conversation(&self) -> Option<usize> {
        (self.conversation != Self::SINGLE).then_some(self.conversation as usize)
    }
}

/// A built view.
#[derive(Debug)]
struct Built {
    /// (folder, membership) of every folder it read, sorted.
    stamp: Vec<(FolderId, u64)>,
    folders: Vec<ViewFolder>,
    /// The folders its rows come from, sorted: what [`RowRef::slot`] indexes.
    slots: Vec<FolderId>,
    threads: Vec<Arc<Threads>>,
    rows: Vec<RowRef>,
}

impl Built {
    /// The message a row shows.
    fn key(&self, row: &RowRef) -> Option<MessageKey> {
        Some(MessageKey { folder: *self.slots.get(usize::from(row.slot))?, uid: row.uid })
    }
}

/// Views kept in memory at most.
const KEPT_VIEWS: usize = 12;
/// Thread sets kept in memory at most.
const KEPT_THREADS: usize = 6;

/// The in-memory views, summaries and threads (see the module documentation).
#[derive(Debug, Default)]
pub struct Views {
    inner: Mutex<Inner>,
    /// Held while summaries, threads or a view are built, so calls that arrive together (the
    /// list asks for several windows at once when it opens) build each only once: the others
    /// wait and find it built, instead of all reading and threading the same 100,000 messages
    /// side by side (four times the time and the memory on two cores).
    building: Mutex<()>,
}

#[derive(Debug, Default)]
struct Inner {
    summaries: HashMap<FolderId, Arc<FolderSummary>>,
    threads: HashMap<Vec<FolderId>, Arc<Threads>>,
    views: HashMap<ListQuery, Arc<Built>>,
    /// Views and thread sets built so far (for the debug log and the tests).
    builds: u64,
    /// Of those thread sets, the ones read from the cache instead of threaded.
    restored: u64,
}

/// Which folders a query reads, and where to find Sent for each account.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// The folders shown.
    pub shown: Vec<ViewFolder>,
    /// Per account of the shown folders, the folders its conversations are threaded over (the
    /// shown ones of that account, plus its Sent folder).
    pub threaded: Vec<Vec<ViewFolder>>,
}

impl Views {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Everything in here is a cache of the store, replaced whole: a poisoned lock is safe.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn one_build(&self) -> MutexGuard<'_, ()> {
        self.building.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Drops everything (the cache was rebuilt, an account removed).
    pub fn clear(&self) {
        *self.lock() = Inner::default();
    }

    /// A window of the list for `query`, whose folders `layout` names.
    pub fn page(
        &self,
        store: &Store,
        query: &ListQuery,
        layout: &Layout,
        offset: usize,
        limit: usize,
    ) -> Result<RowPage> {
        let unread = layout
            .shown
            .iter()
            .map(|f| Ok(store.folder_state(f.fid)?.map(|s| s.unread).unwrap_or(0)))
            .sum::<Result<u32>>()?;
        if query.is_plain()
            && let [folder] = layout.shown.as_slice()
        {
            let total = store.folder_state(folder.fid)?.map(|s| s.total).unwrap_or(0);
            let rows = store
                .page(folder.fid, offset, limit)?
                .into_iter()
                .map(|envelope| Row {
                    account_id: folder.account_id.clone(),
                    path: folder.path.clone(),
                    envelope,
                    thread_count: 1,
                })
                .collect();
            return Ok(RowPage { total, unread, rows });
        }
        let built = self.built(store, query, layout)?;
        let mut rows = Vec::with_capacity(limit.min(1000));
        for r in built.rows.iter().skip(offset).take(limit) {
            if let Some(row) = row_of(store, &built, r)? {
                rows.push(row);
            }
        }
        Ok(RowPage { total: u32::try_from(built.rows.len()).unwrap_or(u32::MAX), unread, rows })
    }

    /// Every message of the conversation of message `uid` in `folder`, threaded over `threaded`
    /// (the folder and the account's Sent and Inbox), in the order they were written (their
    /// `Date:`; the same date keeps arrival order). Empty when the message is not cached.
    pub fn conversation(
        &self,
        store: &Store,
        folder: &ViewFolder,
        threaded: &[ViewFolder],
        uid: u32,
    ) -> Result<Vec<Row>> {
        let threads = {
            let _one = self.one_build();
            self.threads(store, threaded)?
        };
        let key = MessageKey { folder: folder.fid, uid };
        let Some(c) = threads.conversations.conversation_of(key) else {
            return Ok(store
                .envelope(folder.fid, uid)?
                .map(|envelope| Row {
                    account_id: folder.account_id.clone(),
                    path: folder.path.clone(),
                    envelope,
                    thread_count: 1,
                })
                .into_iter()
                .collect());
        };
        let members = threads.conversations.messages(c as usize);
        let count = u32::try_from(members.len()).unwrap_or(u32::MAX);
        let mut out = Vec::with_capacity(members.len());
        for m in members {
            let Some(f) = threaded.iter().find(|f| f.fid == m.folder) else { continue };
            if let Some(envelope) = store.envelope(m.folder, m.uid)? {
                out.push(Row {
                    account_id: f.account_id.clone(),
                    path: f.path.clone(),
                    envelope,
                    thread_count: count,
                });
            }
        }
        out.sort_by_key(|r| r.envelope.date);
        Ok(out)
    }

    fn built(&self, store: &Store, query: &ListQuery, layout: &Layout) -> Result<Arc<Built>> {
        let mut every: Vec<&ViewFolder> = layout.shown.iter().collect();
        if query.conversations {
            every.extend(layout.threaded.iter().flatten());
        }
        let mut stamp: Vec<(FolderId, u64)> =
            every.iter().map(|f| (f.fid, store.membership(f.fid))).collect();
        stamp.sort_unstable();
        stamp.dedup();
        let cached = || {
            self.lock()
                .views
                .get(query)
                .filter(|built| built.stamp == stamp && built.folders == layout.shown)
                .cloned()
        };
        if let Some(built) = cached() {
            return Ok(built);
        }
        let _one = self.one_build();
        // Another call may have built it while this one waited.
        if let Some(built) = cached() {
            return Ok(built);
        }

        let started = std::time::Instant::now();
        let words: Vec<String> = query.filter.split_whitespace().map(str::to_lowercase).collect();
        // Newest first without a filter needs only each message's arrival, which the cache's
        // date index holds: no envelope is read (a start with a saved thread set reads none).
        let needs_text = !words.is_empty() || query.sort != SortKey::Date;
        let mut summaries: HashMap<FolderId, Arc<FolderSummary>> = HashMap::new();
        let mut arrivals: HashMap<FolderId, Vec<(u32, i64)>> = HashMap::new();
        for f in &every {
            if needs_text {
                if let std::collections::hash_map::Entry::Vacant(slot) = summaries.entry(f.fid) {
                    slot.insert(self.summary(store, f.fid)?);
                }
            } else if let std::collections::hash_map::Entry::Vacant(slot) = arrivals.entry(f.fid)
                && layout.shown.iter().any(|shown| shown.fid == f.fid)
            {
                let mut messages = store.arrivals(f.fid)?.messages;
                messages.sort_unstable();
                slot.insert(messages);
            }
        }
        // The folders the rows come from, sorted, which rows name by index.
        let mut slots: Vec<FolderId> = layout.shown.iter().map(|f| f.fid).collect();
        slots.sort_unstable();
        slots.dedup();
        let slot_of = |fid: FolderId| slots.binary_search(&fid).ok().and_then(|i| u16::try_from(i).ok());
        let summary_of = |row: &RowRef| {
            let fid = slots.get(usize::from(row.slot))?;
            summaries.get(fid).and_then(|s| s.get(row.uid))
        };
        // Where a shown folder's messages are read from: its summaries, else its arrivals.
        let lookup_of = |fid: FolderId| match (summaries.get(&fid), arrivals.get(&fid)) {
            (Some(summary), _) => Some(Lookup::Summary(summary)),
            (None, Some(messages)) => Some(Lookup::Arrivals(messages)),
            (None, None) => None,
        };

        let mut threads = Vec::new();
        // Each row with its date.
        let mut keyed: Vec<(RowRef, i64)> = Vec::new();
        if query.conversations {
            for (t, folders) in layout.threaded.iter().enumerate() {
                let set = self.threads(store, folders)?;
                // Per conversation, its newest message in the folders shown (by arrival, then
                // key) and whether any of those matches the filter: each member looked up by UID
                // in its folder's messages, if that folder is shown.
                let sources: Vec<Option<(u16, Lookup<'_>)>> = set
                    .conversations
                    .folders
                    .iter()
                    .map(|&fid| Some((slot_of(fid)?, lookup_of(fid)?)))
                    .collect();
                for c in 0..set.conversations.len() {
                    // A message as (arrival, folder's slot, UID): ordered as by arrival, then key.
                    let mut newest: Option<(i64, u16, u32)> = None;
                    let mut matched = words.is_empty();
                    for m in set.conversations.members_of(c) {
                        let Some(Some((slot, lookup))) = sources.get(m.slot as usize) else { continue };
                        let Some((received, matches)) = lookup.get(m.uid, &words) else { continue };
                        if newest.is_none_or(|best| (received, *slot, m.uid) >= best) {
                            newest = Some((received, *slot, m.uid));
                        }
                        matched |= matches;
                    }
                    if let (Some((_, slot, uid)), true, Some(latest)) =
                        (newest, matched, set.conversations.latest(c))
                    {
                        let row = RowRef {
                            slot,
                            uid,
                            threads: u16::try_from(t).unwrap_or(u16::MAX),
                            conversation: u32::try_from(c).unwrap_or(RowRef::SINGLE),
                        };
                        keyed.push((row, latest));
                    }
                }
                threads.push(set);
            }
        } else {
            for f in &layout.shown {
                let (Some(slot), Some(lookup)) = (slot_of(f.fid), lookup_of(f.fid)) else { continue };
                for (uid, received, _) in lookup.messages(&words).filter(|&(_, _, matches)| matches) {
                    let row = RowRef { slot, uid, threads: 0, conversation: RowRef::SINGLE };
                    keyed.push((row, received));
                }
            }
        }

        // Newest first within equal keys, whatever the direction; messages that arrived in the
        // same second by folder and UID, as the cache's date index orders them.
        let by_date = |a: &(RowRef, i64), b: &(RowRef, i64)| {
            b.1.cmp(&a.1).then_with(|| (a.0.slot, a.0.uid).cmp(&(b.0.slot, b.0.uid)))
        };
        match query.sort {
            SortKey::Date => keyed.sort_by(|a, b| {
                let order = by_date(a, b);
                if query.descending { order } else { order.reverse() }
            }),
            SortKey::Sender | SortKey::Subject => {
                // Each row's text is looked up (and its subject stripped) once, not at every
                // comparison: at 100,000 rows that was 3 million lookups.
                let sort = query.sort;
                let mut decorated: Vec<(&str, (RowRef, i64))> = keyed
                    .into_iter()
                    .map(|row| {
                        let text = match summary_of(&row.0) {
                            Some(s) if sort == SortKey::Sender => s.sender(),
                            Some(s) => thread::base_subject(s.subject()),
                            None => "",
                        };
                        (text, row)
                    })
                    .collect();
                decorated.sort_by(|a, b| {
                    let order = a.0.cmp(b.0);
                    let order = if query.descending { order.reverse() } else { order };
                    order.then_with(|| by_date(&a.1, &b.1))
                });
                keyed = decorated.into_iter().map(|(_, row)| row).collect();
            }
            SortKey::Size => {
                let mut decorated: Vec<(u32, (RowRef, i64))> =
                    keyed.into_iter().map(|row| (summary_of(&row.0).map_or(0, |s| s.size), row)).collect();
                decorated.sort_by(|a, b| {
                    let order = a.0.cmp(&b.0);
                    let order = if query.descending { order.reverse() } else { order };
                    order.then_with(|| by_date(&a.1, &b.1))
                });
                keyed = decorated.into_iter().map(|(_, row)| row).collect();
            }
        }

        let built = Arc::new(Built {
            stamp,
            folders: layout.shown.clone(),
            slots,
            threads,
            rows: keyed.into_iter().map(|(row, _)| row).collect(),
        });
        tracing::debug!(rows = built.rows.len(), conversations = query.conversations, elapsed = ?started.elapsed(), "list view built");
        let mut inner = self.lock();
        if inner.views.len() >= KEPT_VIEWS {
            inner.views.clear();
        }
        inner.views.insert(query.clone(), built.clone());
        inner.builds += 1;
        Ok(built)
    }

    /// The summaries of a folder, brought up to date by reading only what came in.
    fn summary(&self, store: &Store, fid: FolderId) -> Result<Arc<FolderSummary>> {
        let membership = store.membership(fid);
        let previous = {
            let mut inner = self.lock();
            match inner.summaries.get(&fid) {
                Some(previous) if previous.membership == membership => return Ok(previous.clone()),
                _ => inner.summaries.remove(&fid),
            }
        };
        let started = std::time::Instant::now();
        let incremental = previous.is_some();
        let items = match previous {
            // A few messages came or went: keep what is known, read only the new ones. Unless a
            // build still holds them, the known summaries move over rather than being copied.
            Some(previous) => {
                let known =
                    Arc::try_unwrap(previous).map_or_else(|shared| shared.items.clone(), |own| own.items);
                let uids = store.uids(fid)?;
                let mut old = known.into_iter().peekable();
                let mut items = Vec::with_capacity(uids.len());
                for uid in uids {
                    while old.next_if(|s| s.uid < uid).is_some() {}
                    match old.next_if(|s| s.uid == uid) {
                        Some(s) => items.push(s),
                        None => {
                            if let Some(env) = store.envelope(fid, uid)? {
                                items.push(Summary::of_envelope(&env));
                            }
                        }
                    }
                }
                items
            }
            None => {
                // Sized from the folder's count, so the 100,000 summaries are not copied as the
                // list grows and no spare room is kept.
                let count = store.folder_state(fid)?.map_or(0, |state| state.total as usize);
                let mut items = Vec::with_capacity(count);
                store.each_envelope_head(fid, |head| items.push(Summary::of(&head)))?;
                items.shrink_to_fit();
                items
            }
        };
        tracing::debug!(folder = fid, messages = items.len(), incremental, elapsed = ?started.elapsed(), "list summaries read");
        let summary = Arc::new(FolderSummary { membership, items });
        self.lock().summaries.insert(fid, summary.clone());
        Ok(summary)
    }

    /// The conversations of `folders`.
    fn threads(&self, store: &Store, folders: &[ViewFolder]) -> Result<Arc<Threads>> {
        let mut fids: Vec<FolderId> = folders.iter().map(|f| f.fid).collect();
        fids.sort_unstable();
        fids.dedup();
        let stamp: Vec<(FolderId, u64)> = fids.iter().map(|&f| (f, store.membership(f))).collect();
        if let Some(threads) = self.lock().threads.get(&fids)
            && threads.stamp == stamp
        {
            return Ok(threads.clone());
        }
        let started = std::time::Instant::now();
        if let Some(restored) = restore(store, &fids, stamp.clone()) {
            tracing::debug!(messages = restored.conversations.members.len(), conversations = restored.conversations.len(), elapsed = ?started.elapsed(), "conversations read from the cache");
            self.lock().restored += 1;
            return Ok(self.keep_threads(fids, restored));
        }
        let summaries = fids.iter().map(|&f| Ok((f, self.summary(store, f)?))).collect::<Result<Vec<_>>>()?;
        let started = std::time::Instant::now();
        let inputs: Vec<ThreadInput<'_>> = summaries
            .iter()
            .flat_map(|(fid, summary)| {
                summary.items.iter().map(move |s| ThreadInput {
                    key: MessageKey { folder: *fid, uid: s.uid },
                    message_id: s.message_id,
                    in_reply_to: s.in_reply_to,
                    references: &s.references,
                    subject: s.subject(),
                    date: s.received,
                })
            })
            .collect();
        let threaded = thread::conversations(&inputs);
        let mut conversations = Conversations::with_capacity(fids.clone(), threaded.len(), inputs.len());
        for c in threaded {
            conversations.push(c.latest, c.messages);
        }
        tracing::debug!(messages = inputs.len(), conversations = conversations.len(), elapsed = ?started.elapsed(), "conversations threaded");
        Ok(self.keep_threads(fids, Threads { stamp, conversations, saved: AtomicBool::new(false) }))
    }

    fn keep_threads(&self, fids: Vec<FolderId>, threads: Threads) -> Arc<Threads> {
        let threads = Arc::new(threads);
        let mut inner = self.lock();
        if inner.threads.len() >= KEPT_THREADS {
            inner.threads.clear();
        }
        inner.threads.insert(fids, threads.clone());
        inner.builds += 1;
        threads
    }

    /// Saves in the cache every thread set built since the last save that still matches the
    /// cache, so that the next start reads it instead of threading again. A set whose folders
    /// changed meanwhile (a sync is under way) is left for a later save.
    pub fn save(&self, store: &Store) -> Result<()> {
        let sets: Vec<(Vec<FolderId>, Arc<Threads>)> = self
            .lock()
            .threads
            .iter()
            .filter(|(_, t)| !t.saved.load(Ordering::Acquire))
            .map(|(fids, t)| (fids.clone(), t.clone()))
            .collect();
        for (fids, threads) in sets {
            let started = std::time::Instant::now();
            let current = || fids.iter().map(|&f| (f, store.membership(f))).collect::<Vec<_>>();
            if current() != threads.stamp {
                continue;
            }
            let mut folders = Vec::with_capacity(fids.len());
            let members = threads.conversations.uids_by_folder();
            for (fid, members) in threads.conversations.folders.iter().zip(&members) {
                let arrivals = store.arrivals(*fid)?;
                let mut uids: Vec<u32> = arrivals.messages.iter().map(|&(uid, _)| uid).collect();
                uids.sort_unstable();
                // The set must cover exactly what the cache holds now: a change may be written
                // and not yet counted in the membership.
                if uids != *members {
                    break;
                }
                let uidvalidity = store.folder_state(*fid)?.map_or(0, |s| s.uidvalidity);
                folders.push((*fid, uidvalidity, arrivals.digest));
            }
            if folders.len() != members.len() || current() != threads.stamp {
                continue;
            }
            let conversations = &threads.conversations;
            let saved = SavedThreads {
                version: SAVED_THREADS_VERSION,
                folders,
                latest: conversations.latest.clone(),
                sizes: conversations.starts.windows(2).map(|w| w[1] - w[0]).collect(),
                members: conversations
                    .iter()
                    .flat_map(|(_, messages)| messages.map(|m| (m.folder, m.uid)))
                    .collect(),
            };
            let bytes = postcard::to_stdvec(&saved)
                .map_err(|e| crate::error::Error::Cache(format!("encoding conversations: {e}")))?;
            let size = bytes.len();
            store.put_derived(SAVED_THREADS, &fids, bytes)?;
            threads.saved.store(true, Ordering::Release);
            tracing::debug!(conversations = threads.conversations.len(), bytes = size, elapsed = ?started.elapsed(), "conversations saved");
        }
        Ok(())
    }
}

/// The thread set of `fids` (sorted) as saved in the cache, if the cache still holds exactly the
/// messages it was built from; `None` otherwise (it is then built again).
fn restore(store: &Store, fids: &[FolderId], stamp: Vec<(FolderId, u64)>) -> Option<Threads> {
    let bytes = store.derived(SAVED_THREADS, fids).ok()??;
    let saved: SavedThreads = postcard::from_bytes(&bytes).ok()?;
    if saved.version != SAVED_THREADS_VERSION || saved.folders.len() != fids.len() {
        return None;
    }
    let mut cached: Vec<Vec<u32>> = Vec::with_capacity(fids.len());
    for (&fid, &(saved_fid, uidvalidity, digest)) in fids.iter().zip(&saved.folders) {
        let state = store.folder_state(fid).ok()?.map_or(0, |s| s.uidvalidity);
        let arrivals = store.arrivals(fid).ok()?;
        if saved_fid != fid || state != uidvalidity || arrivals.digest != digest {
            return None;
        }
        let mut uids: Vec<u32> = arrivals.messages.iter().map(|&(uid, _)| uid).collect();
        uids.sort_unstable();
        cached.push(uids);
    }
    if saved.sizes.len() != saved.latest.len() {
        return None;
    }
    let mut starts = Vec::with_capacity(saved.sizes.len() + 1);
    starts.push(0u32);
    let mut at = 0u32;
    for &size in &saved.sizes {
        at = at.checked_add(size)?;
        starts.push(at);
    }
    if usize::try_from(at).ok()? != saved.members.len() {
        return None;
    }
    // The saved arrival dates become the set's own without a copy; the members take eight bytes
    // each in memory.
    let mut conversations = Conversations::with_capacity(fids.to_vec(), 0, 0);
    conversations.members = saved
        .members
        .iter()
        .map(|&(folder, uid)| conversations.member(MessageKey { folder, uid }))
        .collect::<Option<Vec<_>>>()?;
    conversations.latest = saved.latest;
    conversations.starts = starts;
    // Every cached message in exactly one conversation, and nothing else.
    if conversations.uids_by_folder() != cached {
        return None;
    }
    Some(Threads { stamp, conversations, saved: AtomicBool::new(true) })
}

/// Where a view looks up a shown folder's message by UID: its arrival, and whether it matches
/// the filter.
#[derive(Debug, Clone, Copy)]
enum Lookup<'a> {
    /// The folder's summaries (with a filter, or sorted by other than date).
    Summary(&'a FolderSummary),
    /// The folder's arrivals, by UID (newest first without a filter).
    Arrivals(&'a [(u32, i64)]),
}

impl<'a> Lookup<'a> {
    /// Every message by UID: (UID, arrival, whether it matches the filter `words`).
    fn messages(self, words: &'a [String]) -> Box<dyn Iterator<Item = (u32, i64, bool)> + 'a> {
        match self {
            Self::Summary(summary) => {
                Box::new(summary.items.iter().map(|s| (s.uid, s.received, s.matches(words))))
            }
            Self::Arrivals(messages) => {
                Box::new(messages.iter().map(|&(uid, received)| (uid, received, true)))
            }
        }
    }

    /// Message `uid`'s arrival and whether it matches the filter `words`.
    fn get(&self, uid: u32, words: &[String]) -> Option<(i64, bool)> {
        match self {
            Self::Summary(summary) => summary.get(uid).map(|s| (s.received, s.matches(words))),
            Self::Arrivals(messages) => {
                let i = messages.binary_search_by_key(&uid, |&(uid, _)| uid).ok()?;
                messages.get(i).map(|&(_, received)| (received, true))
            }
        }
    }
}

/// The row for `r`: the message's envelope as cached now, with its conversation's flags.
fn row_of(store: &Store, built: &Built, r: &RowRef) -> Result<Option<Row>> {
    let Some(key) = built.key(r) else { return Ok(None) };
    let Some(folder) = built.folders.iter().find(|f| f.fid == key.folder) else { return Ok(None) };
    let Some(mut envelope) = store.envelope(key.folder, key.uid)? else { return Ok(None) };
    let mut thread_count = 1;
    if let Some(c) = r.conversation()
        && let Some(set) = built.threads.get(usize::from(r.threads))
        && let Some(latest) = set.conversations.latest(c)
    {
        let messages = set.conversations.messages(c);
        thread_count = u32::try_from(messages.len()).unwrap_or(u32::MAX);
        // Dated as it is sorted: by the conversation's newest message, a reply in Sent included.
        envelope.received = envelope.received.max(latest);
        for m in messages.filter(|m| *m != key) {
            if let Some(other) = store.envelope(m.folder, m.uid)? {
                let flags = &mut envelope.flags.flags;
                flags.seen &= other.flags.flags.seen;
                flags.flagged |= other.flags.flags.flagged;
                envelope.has_attachment |= other.has_attachment;
            }
        }
    }
    Ok(Some(Row { account_id: folder.account_id.clone(), path: folder.path.clone(), envelope, thread_count }))
}

/// The folders of `query`, and what its conversations thread over, from each account's cached
/// folder list. `accounts` are the configured accounts in order.
pub fn layout(store: &Store, query: &ListQuery, accounts: &[String]) -> Result<Layout> {
    let by_role = |account: &str, role: FolderRole| -> Result<Option<ViewFolder>> {
        let folders = store.folders(account)?;
        let path = folders
            .iter()
            .find(|f| f.role == Some(role))
            .map(|f| f.path.clone())
            .or_else(|| (role == FolderRole::Inbox).then(|| "INBOX".to_string()));
        let Some(path) = path else { return Ok(None) };
        Ok(store.folder_id(account, &path)?.map(|fid| ViewFolder {
            account_id: account.to_string(),
            path,
            fid,
        }))
    };
    let mut layout = Layout::default();
    let shown_accounts: Vec<String> = match &query.source {
        Source::Folder { account_id, path } => {
            if let Some(fid) = store.folder_id(account_id, path)? {
                layout.shown.push(ViewFolder { account_id: account_id.clone(), path: path.clone(), fid });
            }
            vec![account_id.clone()]
        }
        Source::AllInboxes => {
            for account in accounts {
                if let Some(inbox) = by_role(account, FolderRole::Inbox)? {
                    layout.shown.push(inbox);
                }
            }
            accounts.to_vec()
        }
    };
    if query.conversations {
        for account in &shown_accounts {
            let mut set: Vec<ViewFolder> =
                layout.shown.iter().filter(|f| f.account_id == *account).cloned().collect();
            if set.is_empty() {
                continue;
            }
            if let Some(sent) = by_role(account, FolderRole::Sent)?
                && !set.contains(&sent)
            {
                set.push(sent);
            }
            layout.threaded.push(set);
        }
    }
    Ok(layout)
}

/// The folders a message's conversation is threaded over: its own, the account's Inbox and its
/// Sent folder.
pub fn conversation_folders(
    store: &Store,
    account_id: &str,
    path: &str,
) -> Result<Option<(ViewFolder, Vec<ViewFolder>)>> {
    let Some(fid) = store.folder_id(account_id, path)? else { return Ok(None) };
    let folder = ViewFolder { account_id: account_id.to_string(), path: path.to_string(), fid };
    let mut set = vec![folder.clone()];
    let folders = store.folders(account_id)?;
    for role in [FolderRole::Inbox, FolderRole::Sent] {
        let other = folders
            .iter()
            .find(|f| f.role == Some(role))
            .map(|f| f.path.clone())
            .or_else(|| (role == FolderRole::Inbox).then(|| "INBOX".to_string()));
        if let Some(other) = other
            && let Some(fid) = store.folder_id(account_id, &other)?
            && !set.iter().any(|f| f.fid == fid)
        {
            set.push(ViewFolder { account_id: account_id.to_string(), path: other, fid });
        }
    }
    Ok(Some((folder, set)))
}

#[cfg(test)]
mod tests;
