//! The local cache, in sled.
//!
//! # Schema (version 5)
//!
//! Three trees for the lists. `meta` holds the schema version (key `schema`, u32 big endian). `folders` holds
//! each account's folder list (JSON, small). `mail` holds everything else in one keyspace, so
//! that one [`sled::Batch`] updates envelopes, their date index and the folder's counters
//! atomically: a crash leaves either the whole chunk or none of it.
//!
//! | key (in `mail`)                                  | value                                  |
//! |--------------------------------------------------|----------------------------------------|
//! | `f` account `\0` folder path                     | folder id (u64, big endian)            |
//! | `s` folder id                                    | [`FolderState`] (postcard)             |
//! | `b` folder id, uid / 64 (u32 BE)                 | a block of [`Envelope`]s (below)       |
//! | `r` folder id, the run's first date entry         | a run of the newest-first index (below)|
//! | `q` account                                      | [`StorageQuota`] (postcard)            |
//!
//! Envelopes are kept [`BLOCK`] UIDs to a value: block `n` holds UIDs `64n..64n+63`, as a
//! postcard sequence of `(uid, postcard Envelope)` pairs ascending by UID, so one envelope is
//! found and decoded without decoding its neighbours. Every sled write costs a node copy and a
//! log record whatever its size; a block turns the 100,000 writes of a large initial sync into
//! about 1,600, and a scan of the folder (the list's views, conversations) reads 1,600 values
//! instead of 100,000. A change to one message rewrites its block (a few KB). Writes to blocks
//! are serialised by a lock in [`Store`], so two writers never lose each other's changes.
//!
//! The newest-first index is kept the same way, in runs: a date entry is 12 bytes, `!received`
//! (the offset timestamp, big endian, inverted so newer sorts first) then the UID, and a run is
//! up to [`RUN_MAX`] consecutive entries in that order, concatenated, under the key of its first
//! entry. The runs split the entries between them: an entry belongs to the run with the greatest
//! first entry not above it (the first run also takes entries before it), and a run that grows
//! past [`RUN_MAX`] is written as several of [`RUN_FILL`]. One sled write per message (version
//! 4 kept a key per message here) was half of what a first sync of 100,000 messages cost.
//!
//! Folder ids come from [`sled::Db::generate_id`], so a renamed folder keeps its messages by
//! re-pointing one `f` key. The first page of a folder newest-first reads the first runs; later
//! pages go through an in-memory position index (the runs' UIDs in order, built once per folder
//! and dropped when the folder changes), so page N costs O(page). The unread count is a field of
//! the folder state: nothing reads the whole folder to show it.
//!
//! Downloaded message contents live in a fourth tree, `bodies`, under a size budget with
//! least-recently-used eviction; its layout is in [`bodies`]. Envelopes are never evicted.
//!
//! The cache is a copy of server state: deleting it loses nothing the server does not have.
//!
//! # Schema changes
//!
//! Postcard encodes struct fields by position, with no names or defaults, so adding a field
//! to a stored type changes the format: bump `SCHEMA`, keep a frozen copy of the old type and
//! add a step to `migrate` that rewrites the stored values. Opening a cache of an older
//! version runs the steps from it in place, each one atomic (a crash mid-step leaves the old
//! version readable and the step runs again on the next open). A cache written by a newer Tern,
//! older than the oldest step, or whose migration fails is dropped and rebuilt from the server.
//! The folder lists are JSON, which names its fields: a new field with `#[serde(default)]`
//! reads the old lists without a step.

pub mod bodies;
mod migrate;
pub mod model;

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

pub use model::{
    Address, Envelope, EnvelopeHead, EnvelopeParts, FlagState, FolderState, MessageFlags, PendingFlags,
    StorageQuota,
};

use crate::error::{Error, Result};
use crate::imap::Folder;

/// The schema version this build writes. Changing a stored type bumps it and adds a step to
/// [`migrate`].
const SCHEMA: u32 = 5;

/// The tree holding the schema version.
const META_TREE: &str = "meta";
/// The key of the schema version in [`META_TREE`].
const SCHEMA_KEY: &str = "schema";
/// The tree of folder lists.
const FOLDERS_TREE: &str = "folders";
/// The tree of everything else.
const MAIL_TREE: &str = "mail";
/// What can be rebuilt from the rest of the cache, kept to save the work at the next start
/// (see [`Store::derived`]).
const DERIVED_TREE: &str = "derived";

/// Memory for sled's page cache. Its default (1 GiB) lets a large initial sync keep every page it
/// wrote in memory; the lists read through their own in-memory views and the first page is a
/// short range scan, so a small cache costs them nothing.
const PAGE_CACHE_BYTES: u64 = 64 * 1024 * 1024;

/// Opaque id of a cached folder.
pub type FolderId = u64;

/// Handle on the sled database.
#[derive(Debug, Clone)]
pub struct Store {
    /// The database.
    db: sled::Db,
    /// Folder lists per account.
    folders: sled::Tree,
    /// Envelopes, indexes, folder states and folder ids.
    mail: sled::Tree,
    /// Downloaded message contents under a size budget (see `bodies`).
    bodies: sled::Tree,
    /// What was derived from the mail to save work at the next start (see [`Store::derived`]).
    derived: sled::Tree,
    /// Newest-first UID order of folders whose list was paged past the first screen: makes
    /// page N cost O(page) instead of a scan of N pages. Dropped whenever the folder changes.
    positions: Arc<Mutex<Positions>>,
    /// Held while envelope blocks are read, changed and written back.
    writing: Arc<Mutex<()>>,
}

/// The messages of a folder as its date index holds them (see [`Store::arrivals`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Arrivals {
    /// (UID, arrival time), newest first.
    pub messages: Vec<(u32, i64)>,
    /// Changes whenever `messages` does (the same within one build of Tern).
    pub digest: u64,
}

/// The position indexes, and a counter of invalidations so an index built while a write landed
/// is not kept.
#[derive(Debug, Default)]
struct Positions {
    /// Bumped by every invalidation.
    generation: u64,
    /// Newest-first UIDs per folder.
    order: HashMap<FolderId, Arc<Vec<u32>>>,
    /// The generation at which messages last came into or left each folder (absent: not since
    /// the cache opened). Views built over a folder stay valid while this does not move.
    membership: HashMap<FolderId, u64>,
}

fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>> {
    encode_into(value, 256)
}

/// Encodes `value` into a buffer of `capacity` bytes to start with: postcard's own vector starts
/// empty and reallocates at every doubling, for every envelope a sync writes.
fn encode_into<T: serde::Serialize>(value: &T, capacity: usize) -> Result<Vec<u8>> {
    postcard::to_extend(value, Vec::with_capacity(capacity))
        .map_err(|e| Error::Cache(format!("encoding: {e}")))
}

fn decode<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> Result<T> {
    postcard::from_bytes(bytes).map_err(|e| Error::Cache(format!("decoding: {e}")))
}

/// The start of the keys of an account's pending flag changes: `p`, the account id, a zero byte
/// (no id is the start of another's), then each change's id.
fn pending_prefix(account_id: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(account_id.len() + 10);
    key.push(b'p');
    key.extend_from_slice(account_id.as_bytes());
    key.push(0);
    key
}

/// The key of derived data: its name, a zero byte, then the folder ids it comes from.
fn derived_key(name: &str, fids: &[FolderId]) -> Vec<u8> {
    let mut key = Vec::with_capacity(name.len() + 1 + 8 * fids.len());
    key.extend_from_slice(name.as_bytes());
    key.push(0);
    for fid in fids {
        key.extend_from_slice(&fid.to_be_bytes());
    }
    key
}

fn folder_key(account_id: &str, path: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(2 + account_id.len() + path.len());
    key.push(b'f');
    key.extend_from_slice(account_id.as_bytes());
    key.push(0);
    key.extend_from_slice(path.as_bytes());
    key
}

fn prefixed(tag: u8, fid: FolderId) -> [u8; 9] {
    let mut key = [0u8; 9];
    key[0] = tag;
    key[1..].copy_from_slice(&fid.to_be_bytes());
    key
}

/// UIDs per envelope block (a power of two).
pub const BLOCK: u32 = 64;

/// The block holding a UID.
fn block_of(uid: u32) -> u32 {
    uid / BLOCK
}

fn block_key(fid: FolderId, block: u32) -> [u8; 13] {
    let mut key = [0u8; 13];
    key[..9].copy_from_slice(&prefixed(b'b', fid));
    key[9..].copy_from_slice(&block.to_be_bytes());
    key
}

/// Bytes written as a postcard byte string (a length, then the bytes), not element by element.
struct Raw<'a>(&'a [u8]);

impl serde::Serialize for Raw<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

/// The entries of a stored block, borrowed from it: `(uid, encoded envelope)`, ascending by UID.
fn block_entries(block: &[u8]) -> Result<Vec<(u32, &[u8])>> {
    decode(block)
}

/// Encodes a block's entries (ascending by UID).
fn encode_block<'a>(entries: impl Iterator<Item = (u32, &'a [u8])>) -> Result<Vec<u8>> {
    let entries: Vec<(u32, Raw<'_>)> = entries.map(|(uid, bytes)| (uid, Raw(bytes))).collect();
    // Each entry: its UID and its length (varints of up to 5 bytes each), then its bytes.
    let size = 5 + entries.iter().map(|(_, raw)| 10 + raw.0.len()).sum::<usize>();
    encode_into(&entries, size)
}

/// The encoded envelope of `uid` in a stored block.
fn find_in_block(block: &[u8], uid: u32) -> Result<Option<&[u8]>> {
    let entries = block_entries(block)?;
    Ok(entries.binary_search_by_key(&uid, |(u, _)| *u).ok().map(|at| entries[at].1))
}

/// One entry of the newest-first index: `!received` then the UID, so that byte order is newest
/// first, and messages of the same second by UID.
type DateEntry = [u8; 12];

/// Date entries per run at most; a longer run is written as several of [`RUN_FILL`].
pub const RUN_MAX: usize = 256;
/// Date entries per run when one is split (room to grow before the next split).
const RUN_FILL: usize = 192;

fn date_entry(received: i64, uid: u32) -> DateEntry {
    let mut entry = [0u8; 12];
    // Newest first: invert the (offset) timestamp so larger dates sort earlier.
    let ordered = (received as u64) ^ (1 << 63);
    entry[..8].copy_from_slice(&(!ordered).to_be_bytes());
    entry[8..].copy_from_slice(&uid.to_be_bytes());
    entry
}

/// The arrival time a date entry holds (the inverse of [`date_entry`]).
fn entry_received(entry: &DateEntry) -> i64 {
    let mut head = [0u8; 8];
    head.copy_from_slice(&entry[..8]);
    ((!u64::from_be_bytes(head)) ^ (1 << 63)) as i64
}

fn entry_uid(entry: &[u8]) -> Option<u32> {
    let tail: [u8; 4] = entry.get(entry.len().checked_sub(4)?..)?.try_into().ok()?;
    Some(u32::from_be_bytes(tail))
}

fn run_key(fid: FolderId, first: &DateEntry) -> [u8; 21] {
    let mut key = [0u8; 21];
    key[..9].copy_from_slice(&prefixed(b'r', fid));
    key[9..].copy_from_slice(first);
    key
}

/// The date entry a run key starts with.
fn run_start(key: &[u8]) -> Result<DateEntry> {
    key.get(9..21)
        .and_then(|tail| DateEntry::try_from(tail).ok())
        .ok_or_else(|| Error::Cache(format!("a date run key of {} bytes", key.len())))
}

/// The entries of a stored run, in order.
fn run_entries(run: &[u8]) -> Result<impl Iterator<Item = DateEntry> + '_> {
    if !run.len().is_multiple_of(12) {
        return Err(Error::Cache(format!("a date run of {} bytes", run.len())));
    }
    Ok(run.chunks_exact(12).filter_map(|chunk| DateEntry::try_from(chunk).ok()))
}

/// Writes `entries` (in order) as runs of folder `fid` into `batch`: one run if they fit in
/// [`RUN_MAX`], else runs of [`RUN_FILL`].
fn write_runs(batch: &mut sled::Batch, fid: FolderId, entries: &[DateEntry]) {
    let size = if entries.len() <= RUN_MAX { RUN_MAX } else { RUN_FILL };
    for run in entries.chunks(size) {
        batch.insert(&run_key(fid, &run[0]), run.concat());
    }
}

/// A set of changes to one folder, applied atomically by [`Store::apply`].
#[derive(Debug, Default)]
pub struct FolderChanges {
    /// New or updated envelopes. An update without a snippet keeps the cached one.
    pub upserts: Vec<Envelope>,
    /// New flags for cached messages (uid → flags, modseq).
    pub flag_updates: Vec<(u32, FlagState, u64)>,
    /// Messages gone from the server.
    pub removals: Vec<u32>,
    /// The folder state to record with these changes (counters are recomputed).
    pub state: Option<FolderState>,
    /// The upserted UIDs are known not to be cached (an initial sync into an empty folder):
    /// skips reading each one back before writing it.
    pub fresh: bool,
}

impl Store {
    /// Opens (creating if needed) the cache in `dir`, migrating a cache written by an older Tern
    /// (see `store::migrate`).
    pub fn open(dir: &Path) -> Result<Self> {
        let db = sled::Config::new()
            .path(dir)
            .mode(sled::Mode::HighThroughput)
            .cache_capacity(PAGE_CACHE_BYTES)
            .open()?;
        migrate::prepare(&db)?;
        let folders = db.open_tree(FOLDERS_TREE)?;
        let mail = db.open_tree(MAIL_TREE)?;
        let bodies = db.open_tree(bodies::BODIES_TREE)?;
        let derived = db.open_tree(DERIVED_TREE)?;
        Ok(Self { db, folders, mail, bodies, derived, positions: Arc::default(), writing: Arc::default() })
    }

    /// The cached folder list of an account (empty if never listed).
    pub fn folders(&self, account_id: &str) -> Result<Vec<Folder>> {
        match self.folders.get(account_id)? {
            Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| Error::Cache(e.to_string())),
            None => Ok(Vec::new()),
        }
    }

    /// Replaces the cached folder list of an account.
    pub fn put_folders(&self, account_id: &str, folders: &[Folder]) -> Result<()> {
        let bytes = serde_json::to_vec(folders).map_err(|e| Error::Cache(e.to_string()))?;
        self.folders.insert(account_id, bytes)?;
        Ok(())
    }

    /// The id of a cached folder, if it has one.
    pub fn folder_id(&self, account_id: &str, path: &str) -> Result<Option<FolderId>> {
        Ok(self
            .mail
            .get(folder_key(account_id, path))?
            .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
            .map(u64::from_be_bytes))
    }

    /// The id of a folder, allocating one on first use.
    pub fn folder_id_or_create(&self, account_id: &str, path: &str) -> Result<FolderId> {
        if let Some(fid) = self.folder_id(account_id, path)? {
            return Ok(fid);
        }
        let fid = self.db.generate_id()?;
        self.mail.insert(folder_key(account_id, path), &fid.to_be_bytes())?;
        Ok(fid)
    }

    /// Every folder path of an account that has cached data, with its id.
    pub fn cached_folder_ids(&self, account_id: &str) -> Result<HashMap<String, FolderId>> {
        let prefix = folder_key(account_id, "");
        let mut out = HashMap::new();
        for item in self.mail.scan_prefix(&prefix) {
            let (key, value) = item?;
            let path = String::from_utf8_lossy(&key[prefix.len()..]).into_owned();
            if let Ok(bytes) = <[u8; 8]>::try_from(value.as_ref()) {
                out.insert(path, u64::from_be_bytes(bytes));
            }
        }
        Ok(out)
    }

    /// Points `new_path` at the data of `old_path` (a folder renamed on the server).
    pub fn rename_folder(&self, account_id: &str, old_path: &str, new_path: &str) -> Result<()> {
        if let Some(fid) = self.folder_id(account_id, old_path)? {
            let mut batch = sled::Batch::default();
            batch.remove(folder_key(account_id, old_path));
            batch.insert(folder_key(account_id, new_path), &fid.to_be_bytes());
            self.mail.apply_batch(batch)?;
        }
        Ok(())
    }

    /// The sync state of a folder.
    pub fn folder_state(&self, fid: FolderId) -> Result<Option<FolderState>> {
        self.mail.get(prefixed(b's', fid))?.map(|v| decode(&v)).transpose()
    }

    /// Removes every envelope and the state of a folder (UIDVALIDITY changed, or folder gone).
    pub fn clear_folder(&self, fid: FolderId) -> Result<()> {
        let _writing = self.write_lock();
        let mut batch = sled::Batch::default();
        for tag in [b'b', b'r'] {
            for key in self.mail.scan_prefix(prefixed(tag, fid)).keys() {
                batch.remove(key?);
            }
        }
        batch.remove(&prefixed(b's', fid));
        self.mail.apply_batch(batch)?;
        self.invalidate_members(fid);
        self.drop_folder_contents(fid)
    }

    /// Forgets a folder entirely (deleted on the server, or its account removed), with what was
    /// derived from it.
    pub fn forget_folder(&self, account_id: &str, path: &str) -> Result<()> {
        if let Some(fid) = self.folder_id(account_id, path)? {
            self.clear_folder(fid)?;
            self.forget_derived(fid)?;
            self.mail.remove(folder_key(account_id, path))?;
        }
        Ok(())
    }

    /// The account's storage quota as last seen.
    pub fn quota(&self, account_id: &str) -> Result<Option<StorageQuota>> {
        let mut key = vec![b'q'];
        key.extend_from_slice(account_id.as_bytes());
        self.mail.get(key)?.map(|v| decode(&v)).transpose()
    }

    /// Records the account's storage quota (`None`: the server reports none).
    pub fn put_quota(&self, account_id: &str, quota: Option<StorageQuota>) -> Result<()> {
        let mut key = vec![b'q'];
        key.extend_from_slice(account_id.as_bytes());
        match quota {
            Some(q) => self.mail.insert(key, encode(&q)?)?,
            None => self.mail.remove(key)?,
        };
        Ok(())
    }

    /// Keeps a flag change to send when the account is back online, after those kept before it.
    /// On disk before this returns: a change the user made is not lost to a crash either.
    pub fn queue_flags(&self, account_id: &str, change: &PendingFlags) -> Result<()> {
        let mut key = pending_prefix(account_id);
        key.extend_from_slice(&self.db.generate_id()?.to_be_bytes());
        self.mail.insert(key, encode(change)?)?;
        self.flush()
    }

    /// The account's flag changes not sent yet, oldest first, each with its id for
    /// [`Store::forget_pending_flags`].
    pub fn pending_flags(&self, account_id: &str) -> Result<Vec<(u64, PendingFlags)>> {
        let prefix = pending_prefix(account_id);
        let mut pending = Vec::new();
        for item in self.mail.scan_prefix(&prefix) {
            let (key, value) = item?;
            let id = key
                .get(prefix.len()..)
                .and_then(|id| <[u8; 8]>::try_from(id).ok())
                .map(u64::from_be_bytes)
                .ok_or_else(|| Error::Cache("a malformed pending change".into()))?;
            pending.push((id, decode(&value)?));
        }
        Ok(pending)
    }

    /// Drops a pending flag change: the server has it, or it can no longer apply.
    pub fn forget_pending_flags(&self, account_id: &str, id: u64) -> Result<()> {
        let mut key = pending_prefix(account_id);
        key.extend_from_slice(&id.to_be_bytes());
        self.mail.remove(key)?;
        Ok(())
    }

    /// Forgets everything cached for an account.
    pub fn forget_account(&self, account_id: &str) -> Result<()> {
        for (id, _) in self.pending_flags(account_id)? {
            self.forget_pending_flags(account_id, id)?;
        }
        self.put_quota(account_id, None)?;
        for path in self.cached_folder_ids(account_id)?.into_keys() {
            self.forget_folder(account_id, &path)?;
        }
        self.folders.remove(account_id)?;
        Ok(())
    }

    /// One cached envelope.
    pub fn envelope(&self, fid: FolderId, uid: u32) -> Result<Option<Envelope>> {
        let Some(block) = self.mail.get(block_key(fid, block_of(uid)))? else { return Ok(None) };
        find_in_block(&block, uid)?.map(decode).transpose()
    }

    /// Calls `each` with every stored block of a folder, ascending by UID.
    fn each_block(&self, fid: FolderId, mut each: impl FnMut(&[u8]) -> Result<()>) -> Result<()> {
        for value in self.mail.scan_prefix(prefixed(b'b', fid)).values() {
            each(&value?)?;
        }
        Ok(())
    }

    /// All cached UIDs of a folder with their flags, ascending by UID.
    pub fn uids_and_flags(&self, fid: FolderId) -> Result<Vec<(u32, FlagState)>> {
        let mut out = Vec::new();
        self.each_envelope_head(fid, |head| {
            let keywords = head.keywords.iter().map(|k| k.to_string()).collect();
            out.push((head.uid, FlagState { flags: head.flags, keywords }));
        })?;
        Ok(out)
    }

    /// All cached UIDs of a folder, ascending (no envelope decoded).
    pub fn uids(&self, fid: FolderId) -> Result<Vec<u32>> {
        let mut out = Vec::new();
        self.each_block(fid, |block| {
            out.extend(block_entries(block)?.into_iter().map(|(uid, _)| uid));
            Ok(())
        })?;
        Ok(out)
    }

    /// A page of envelopes, newest first: skips `offset`, returns up to `limit`. The first page
    /// is a short range scan; later pages use the folder's position index (built once from the
    /// date index's runs, then kept until the folder changes), so each costs O(limit).
    pub fn page(&self, fid: FolderId, offset: usize, limit: usize) -> Result<Vec<Envelope>> {
        let mut out = Vec::with_capacity(limit.min(1000));
        // Neighbouring rows usually share a block: keep the last one read.
        let mut last: Option<(u32, sled::IVec)> = None;
        let mut push = |uid: u32| -> Result<()> {
            let block_no = block_of(uid);
            if last.as_ref().is_none_or(|(n, _)| *n != block_no) {
                last = self.mail.get(block_key(fid, block_no))?.map(|block| (block_no, block));
            }
            if let Some((_, block)) = &last
                && let Some(bytes) = find_in_block(block, uid)?
            {
                out.push(decode(bytes)?);
            }
            Ok(())
        };
        if offset == 0 {
            let mut left = limit;
            for run in self.mail.scan_prefix(prefixed(b'r', fid)).values() {
                if left == 0 {
                    break;
                }
                let run = run?;
                for entry in run_entries(&run)?.take(left) {
                    left -= 1;
                    if let Some(uid) = entry_uid(&entry) {
                        push(uid)?;
                    }
                }
            }
            return Ok(out);
        }
        let order = self.positions_of(fid)?;
        for &uid in order.iter().skip(offset).take(limit) {
            push(uid)?;
        }
        Ok(out)
    }

    /// The messages next to `uid` in the folder's newest-first order, read from the date index
    /// around it (no whole-folder scan): up to `older` after it and `newer` before it, nearest
    /// first, alternating from the older side (the next message down, the one above, the
    /// second down...). Empty when `uid` is not cached.
    pub fn neighbours(&self, fid: FolderId, uid: u32, older: usize, newer: usize) -> Result<Vec<u32>> {
        let Some(env) = self.envelope(fid, uid)? else { return Ok(Vec::new()) };
        let entry = date_entry(env.received, uid);
        let prefix = prefixed(b'r', fid);
        let target = run_key(fid, &entry);
        // The run holding the entry (the last starting at or before it; the first run also
        // holds entries before its key), and the runs on each side of it.
        let holding = match self.mail.range(prefix.as_slice()..=target.as_slice()).next_back() {
            Some(found) => Some(found?),
            None => self.mail.scan_prefix(prefix).next().transpose()?,
        };
        let Some((key, run)) = holding else { return Ok(Vec::new()) };
        let mut entries: Vec<DateEntry> = Vec::new();
        if let Some(before) = self.mail.range(prefix.as_slice()..&key[..]).next_back() {
            entries.extend(run_entries(&before?.1)?);
        }
        entries.extend(run_entries(&run)?);
        let mut after_key = key.to_vec();
        after_key.push(0);
        if let Some(after) = self.mail.range(after_key..).next() {
            let (next_key, next_run) = after?;
            if next_key.starts_with(&prefix) {
                entries.extend(run_entries(&next_run)?);
            }
        }
        let Some(at) = entries.iter().position(|e| *e == entry) else { return Ok(Vec::new()) };
        let mut down = entries[at + 1..].iter().take(older);
        let mut up = entries[..at].iter().rev().take(newer);
        let mut out = Vec::with_capacity(older + newer);
        loop {
            let (d, u) = (down.next(), up.next());
            if d.is_none() && u.is_none() {
                break;
            }
            out.extend(d.and_then(|e| entry_uid(e)));
            out.extend(u.and_then(|e| entry_uid(e)));
        }
        Ok(out)
    }

    /// Every cached message of a folder as (UID, arrival time), newest first, read from the
    /// date index alone (no envelope is decoded), with a digest of them: the digest changes
    /// whenever a message comes or goes (or its arrival time does), not with flags or snippets.
    pub fn arrivals(&self, fid: FolderId) -> Result<Arrivals> {
        let mut hasher = std::hash::DefaultHasher::new();
        let mut messages = Vec::new();
        for run in self.mail.scan_prefix(prefixed(b'r', fid)).values() {
            let run = run?;
            std::hash::Hasher::write(&mut hasher, &run);
            for entry in run_entries(&run)? {
                if let Some(uid) = entry_uid(&entry) {
                    messages.push((uid, entry_received(&entry)));
                }
            }
        }
        Ok(Arrivals { messages, digest: std::hash::Hasher::finish(&hasher) })
    }

    /// Data derived from folders `fids` (sorted) and kept as `name` by [`Self::put_derived`];
    /// whoever reads it checks that it still matches (it survives any change to the mail).
    pub fn derived(&self, name: &str, fids: &[FolderId]) -> Result<Option<sled::IVec>> {
        Ok(self.derived.get(derived_key(name, fids))?)
    }

    /// Keeps data derived from folders `fids` (sorted) as `name`, replacing what was there. It
    /// goes when any of those folders is forgotten.
    pub fn put_derived(&self, name: &str, fids: &[FolderId], value: Vec<u8>) -> Result<()> {
        self.derived.insert(derived_key(name, fids), value)?;
        Ok(())
    }

    /// Removes what was derived from folder `fid` (with others or alone).
    fn forget_derived(&self, fid: FolderId) -> Result<()> {
        for key in self.derived.iter().keys() {
            let key = key?;
            let Some(at) = key.iter().position(|&b| b == 0) else { continue };
            if key[at + 1..].chunks_exact(8).any(|chunk| chunk == fid.to_be_bytes()) {
                self.derived.remove(key)?;
            }
        }
        Ok(())
    }

    fn positions_of(&self, fid: FolderId) -> Result<Arc<Vec<u32>>> {
        let lock = || self.positions.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let generation = {
            let positions = lock();
            if let Some(order) = positions.order.get(&fid) {
                return Ok(order.clone());
            }
            positions.generation
        };
        let mut order = Vec::new();
        for run in self.mail.scan_prefix(prefixed(b'r', fid)).values() {
            order.extend(run_entries(&run?)?.filter_map(|entry| entry_uid(&entry)));
        }
        let order = Arc::new(order);
        let mut positions = lock();
        if positions.generation == generation {
            positions.order.insert(fid, order.clone());
        }
        Ok(order)
    }

    /// Forgets the position index of a folder (call after every change to it).
    fn invalidate(&self, fid: FolderId) {
        let mut positions = self.positions.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        positions.generation += 1;
        positions.order.remove(&fid);
    }

    /// Like [`Self::invalidate`], for a change of which messages the folder holds (not only
    /// their flags or snippets).
    fn invalidate_members(&self, fid: FolderId) {
        let mut positions = self.positions.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        positions.generation += 1;
        positions.order.remove(&fid);
        let generation = positions.generation;
        positions.membership.insert(fid, generation);
    }

    /// A number that changes whenever messages come into or leave the folder (flag and snippet
    /// changes leave it as it is): what a view over the folder checks to know it is current.
    pub fn membership(&self, fid: FolderId) -> u64 {
        let positions = self.positions.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        positions.membership.get(&fid).copied().unwrap_or(0)
    }

    /// Calls `each` with the leading fields of every cached envelope of a folder, ascending by
    /// UID, read in place (one scan, no string copied).
    pub fn each_envelope_head(&self, fid: FolderId, mut each: impl FnMut(EnvelopeHead<'_>)) -> Result<()> {
        self.each_block(fid, |block| {
            for (_, bytes) in block_entries(block)? {
                each(decode(bytes)?);
            }
            Ok(())
        })
    }

    /// The lock that serialises changes to envelope blocks.
    fn write_lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.writing.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Applies a set of changes to one folder in one atomic batch, keeping the date index and
    /// the counters in step.
    pub fn apply(&self, fid: FolderId, changes: FolderChanges) -> Result<()> {
        self.apply_with(fid, changes, std::iter::empty())
    }

    /// [`Self::apply`] with more upserts after `changes.upserts`, each taken from `more` as it
    /// is written and dropped before the next is taken. The initial sync passes a chunk's
    /// envelopes so, each parsed as it is taken: built all at once, then freed all together,
    /// the 2,000 envelopes of a chunk cost the sync about 8 % more CPU and a higher peak of
    /// memory (the allocator's fast paths only keep a few freed blocks of each size).
    pub fn apply_with(
        &self,
        fid: FolderId,
        changes: FolderChanges,
        more: impl IntoIterator<Item = Envelope>,
    ) -> Result<()> {
        self.apply_upserts(fid, changes, more.into_iter().map(|env| Ok(Upsert::Whole(env))))
    }

    /// [`Self::apply_with`] for envelopes already encoded ([`Encoded`]): a first download's,
    /// encoded from the parts their headers parse into ([`EnvelopeParts`]) rather than built
    /// as [`Envelope`]s first. An envelope that failed to encode fails the whole change set.
    pub fn apply_encoded(
        &self,
        fid: FolderId,
        changes: FolderChanges,
        more: impl IntoIterator<Item = Result<Encoded>>,
    ) -> Result<()> {
        self.apply_upserts(fid, changes, more.into_iter().map(|encoded| encoded.map(Upsert::Encoded)))
    }

    fn apply_upserts(
        &self,
        fid: FolderId,
        changes: FolderChanges,
        more: impl Iterator<Item = Result<Upsert>>,
    ) -> Result<()> {
        let mut more = more.peekable();
        let _writing = self.write_lock();
        let previous = self.folder_state(fid)?;
        let (mut total, mut unread) = match &previous {
            Some(prev) => (i64::from(prev.total), i64::from(prev.unread)),
            None => (0, 0),
        };
        let mut state = match changes.state {
            Some(s) => s,
            None => previous.unwrap_or_default(),
        };
        let mut batch = sled::Batch::default();
        // The blocks as this set leaves them: changes to the same UID apply in order.
        let mut blocks = Blocks::new(self, fid);
        // The newest-first index: entries put in (true) or taken out (false), in order.
        let mut dates = Vec::new();

        let members_change =
            !changes.upserts.is_empty() || !changes.removals.is_empty() || more.peek().is_some();
        let fresh = changes.fresh;
        for upsert in changes.upserts.into_iter().map(|env| Ok(Upsert::Whole(env))).chain(more) {
            let mut upsert = upsert?;
            let (uid, received, seen) = upsert.summary();
            let old = if fresh { None } else { blocks.get(uid)? };
            if let Some(old) = old {
                dates.push((date_entry(old.received, old.uid), false));
                total -= 1;
                unread -= i64::from(!old.flags.flags.seen);
                if let Upsert::Encoded(encoded) = &upsert {
                    upsert = Upsert::Whole(decode(&encoded.bytes)?);
                }
                // The sync never has a snippet; one taken from the body earlier still holds (a
                // UID names the same message for as long as the folder's UIDVALIDITY does).
                if let Upsert::Whole(env) = &mut upsert
                    && env.snippet.is_none()
                {
                    env.snippet = old.snippet;
                }
            }
            match upsert {
                Upsert::Whole(env) => blocks.put(&env)?,
                Upsert::Encoded(encoded) => blocks.put_encoded(uid, encoded.bytes)?,
            }
            dates.push((date_entry(received, uid), true));
            total += 1;
            unread += i64::from(!seen);
        }
        for (uid, flags, modseq) in changes.flag_updates {
            if let Some(mut env) = blocks.get(uid)? {
                unread -= i64::from(!env.flags.flags.seen);
                unread += i64::from(!flags.flags.seen);
                env.flags = flags;
                env.modseq = env.modseq.max(modseq);
                blocks.put(&env)?;
            }
        }
        let removed = changes.removals.clone();
        for uid in changes.removals {
            if let Some(old) = blocks.get(uid)? {
                blocks.remove(uid)?;
                dates.push((date_entry(old.received, uid), false));
                total -= 1;
                unread -= i64::from(!old.flags.flags.seen);
            }
        }
        blocks.write_into(&mut batch)?;
        let mut runs = Runs::new(self, fid);
        runs.change(&dates)?;
        runs.write_into(&mut batch);
        state.total = u32::try_from(total.max(0)).unwrap_or(u32::MAX);
        state.unread = u32::try_from(unread.max(0)).unwrap_or(u32::MAX);
        batch.insert(&prefixed(b's', fid), encode(&state)?);
        self.mail.apply_batch(batch)?;
        if members_change {
            self.invalidate_members(fid);
        } else {
            self.invalidate(fid);
        }
        // Contents of messages gone from the server go too (after the envelopes: a crash in
        // between leaves an unreachable content, which eviction reclaims).
        for uid in removed {
            self.drop_content(fid, uid)?;
        }
        Ok(())
    }

    /// Keeps the first words of a message's text with its envelope, for the list. False when
    /// the envelope is not cached or already had that snippet.
    pub fn set_snippet(&self, fid: FolderId, uid: u32, snippet: &str) -> Result<bool> {
        let _writing = self.write_lock();
        let mut blocks = Blocks::new(self, fid);
        let Some(mut env) = blocks.get(uid)? else { return Ok(false) };
        if env.snippet.as_deref() == Some(snippet) {
            return Ok(false);
        }
        env.snippet = Some(snippet.to_string());
        blocks.put(&env)?;
        let mut batch = sled::Batch::default();
        blocks.write_into(&mut batch)?;
        self.mail.apply_batch(batch)?;
        self.invalidate(fid);
        Ok(true)
    }

    /// Writes pending changes to disk.
    pub fn flush(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }
}

/// An envelope encoded for the cache (see [`EnvelopeParts`]), with what the cache's counters and
/// newest-first index take from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// UID.
    pub uid: u32,
    /// Arrival time.
    pub received: i64,
    /// Whether it has been read.
    pub seen: bool,
    /// The envelope as the cache encodes it.
    pub bytes: Vec<u8>,
}

impl Encoded {
    /// Encodes `parts`.
    pub fn of<A: serde::Serialize, R: serde::Serialize>(parts: &EnvelopeParts<'_, A, R>) -> Result<Self> {
        Ok(Self {
            uid: parts.uid,
            received: parts.received,
            seen: parts.flags.flags.seen,
            bytes: encode(parts)?,
        })
    }
}

/// One envelope of a change set.
#[allow(clippy::large_enum_variant)] // One at a time, on the stack: boxing would allocate for each.
enum Upsert {
    Whole(Envelope),
    Encoded(Encoded),
}

impl Upsert {
    /// UID, arrival time, and whether it has been read.
    fn summary(&self) -> (u32, i64, bool) {
        match self {
            Upsert::Whole(env) => (env.uid, env.received, env.flags.flags.seen),
            Upsert::Encoded(encoded) => (encoded.uid, encoded.received, encoded.seen),
        }
    }
}

/// The envelope blocks one change set touches, read on first use and written back together.
struct Blocks<'s> {
    store: &'s Store,
    fid: FolderId,
    /// Block number → its entries (uid → encoded envelope).
    loaded: HashMap<u32, BTreeMap<u32, Vec<u8>>>,
    /// Blocks changed.
    dirty: HashSet<u32>,
}

impl<'s> Blocks<'s> {
    fn new(store: &'s Store, fid: FolderId) -> Self {
        Self { store, fid, loaded: HashMap::new(), dirty: HashSet::new() }
    }

    /// The entries of the block holding `uid`.
    fn block(&mut self, uid: u32) -> Result<&mut BTreeMap<u32, Vec<u8>>> {
        match self.loaded.entry(block_of(uid)) {
            Entry::Occupied(entry) => Ok(entry.into_mut()),
            Entry::Vacant(entry) => {
                let mut entries = BTreeMap::new();
                if let Some(stored) = self.store.mail.get(block_key(self.fid, *entry.key()))? {
                    for (uid, bytes) in block_entries(&stored)? {
                        entries.insert(uid, bytes.to_vec());
                    }
                }
                Ok(entry.insert(entries))
            }
        }
    }

    /// The envelope of `uid` as the change set has left it so far.
    fn get(&mut self, uid: u32) -> Result<Option<Envelope>> {
        self.block(uid)?.get(&uid).map(|bytes| decode(bytes)).transpose()
    }

    fn put(&mut self, env: &Envelope) -> Result<()> {
        self.put_encoded(env.uid, encode(env)?)
    }

    fn put_encoded(&mut self, uid: u32, bytes: Vec<u8>) -> Result<()> {
        self.block(uid)?.insert(uid, bytes);
        self.dirty.insert(block_of(uid));
        Ok(())
    }

    fn remove(&mut self, uid: u32) -> Result<()> {
        if self.block(uid)?.remove(&uid).is_some() {
            self.dirty.insert(block_of(uid));
        }
        Ok(())
    }

    /// Adds the changed blocks to `batch` (an emptied block is removed).
    fn write_into(self, batch: &mut sled::Batch) -> Result<()> {
        for (number, entries) in self.loaded {
            if !self.dirty.contains(&number) {
                continue;
            }
            let key = block_key(self.fid, number);
            if entries.is_empty() {
                batch.remove(&key);
            } else {
                batch
                    .insert(&key, encode_block(entries.iter().map(|(uid, bytes)| (*uid, bytes.as_slice())))?);
            }
        }
        Ok(())
    }
}

/// The runs of a folder's newest-first index that one change set touches, read once and
/// written back (split or removed as needed) into the change set's batch.
struct Runs<'s> {
    store: &'s Store,
    fid: FolderId,
    /// Each run touched, by where its share of the entries begins (the first run's share begins
    /// before any entry).
    loaded: BTreeMap<DateEntry, LoadedRun>,
}

/// A run of the newest-first index as a change set leaves it.
struct LoadedRun {
    /// The key it is stored under (none: the folder had no run).
    key: Option<DateEntry>,
    /// Where the next run's share begins (none: it is the last run).
    next: Option<DateEntry>,
    entries: BTreeSet<DateEntry>,
}

impl<'s> Runs<'s> {
    fn new(store: &'s Store, fid: FolderId) -> Self {
        Self { store, fid, loaded: BTreeMap::new() }
    }

    /// Puts each entry in (true) or takes it out (false), in order.
    fn change(&mut self, dates: &[(DateEntry, bool)]) -> Result<()> {
        for (entry, present) in dates {
            let run = self.run_of(entry)?;
            if *present {
                run.insert(*entry);
            } else {
                run.remove(entry);
            }
        }
        Ok(())
    }

    /// The entries of the run whose share holds `entry`, read from the cache the first time.
    fn run_of(&mut self, entry: &DateEntry) -> Result<&mut BTreeSet<DateEntry>> {
        let known = self
            .loaded
            .range(..=*entry)
            .next_back()
            .filter(|(_, run)| run.next.is_none_or(|next| *entry < next))
            .map(|(share, _)| *share);
        let share = match known {
            Some(share) => share,
            None => self.load(entry)?,
        };
        self.loaded
            .get_mut(&share)
            .map(|run| &mut run.entries)
            .ok_or_else(|| Error::Cache("a date run went missing".into()))
    }

    /// Reads the run whose share holds `entry`; returns where its share begins.
    fn load(&mut self, entry: &DateEntry) -> Result<DateEntry> {
        let prefix = prefixed(b'r', self.fid);
        let mail = &self.store.mail;
        let at_or_before =
            mail.range(prefix.to_vec()..=run_key(self.fid, entry).to_vec()).next_back().transpose()?;
        let (key, value) = match at_or_before {
            Some(found) => (Some(run_start(&found.0)?), Some(found.1)),
            None => match mail.scan_prefix(prefix).next().transpose()? {
                Some(first) => (Some(run_start(&first.0)?), Some(first.1)),
                None => (None, None),
            },
        };
        // The first run's share begins before any entry.
        let first = match key {
            Some(start) => {
                mail.range(prefix.to_vec()..run_key(self.fid, &start).to_vec()).next_back().is_none()
            }
            None => true,
        };
        let share = match key {
            Some(start) if !first => start,
            _ => [0; 12],
        };
        let next = match key {
            Some(start) => {
                let after = run_key(self.fid, &start);
                match mail.range(after.to_vec()..).nth(1).transpose()? {
                    Some((next, _)) if next.starts_with(&prefix) => Some(run_start(&next)?),
                    _ => None,
                }
            }
            None => None,
        };
        let entries = match &value {
            Some(run) => run_entries(run)?.collect(),
            None => BTreeSet::new(),
        };
        self.loaded.insert(share, LoadedRun { key, next, entries });
        Ok(share)
    }

    /// Adds the touched runs to `batch`, each under the key of its (new) first entry.
    fn write_into(self, batch: &mut sled::Batch) {
        for run in self.loaded.into_values() {
            if let Some(key) = run.key {
                batch.remove(&run_key(self.fid, &key));
            }
            let entries: Vec<DateEntry> = run.entries.into_iter().collect();
            write_runs(batch, self.fid, &entries);
        }
    }
}

#[cfg(test)]
mod tests;
