//! Bringing a cache written by an older Tern up to the current schema ([`SCHEMA`]) in place.
//!
//! The version lives in tree `meta`, key `schema` (u32, big endian). [`prepare`] reads it when
//! the cache opens:
//!
//! - none: a new cache; the current version is recorded.
//! - the current version: nothing to do.
//! - older, and [`STEPS`] has a step from it and from every version after it: the steps run in
//!   order, each taking the cache one version up.
//! - newer (a later Tern wrote it), older than the oldest step, or a step failed (say, a value
//!   that does not decode): every tree is dropped and the sync fills the cache again from the
//!   server. The cache is a copy of server state, so that loses nothing but time.
//!
//! # Atomicity
//!
//! Each step is one sled transaction over `mail` and `meta` (see [`commit`]): the rewritten
//! values and the step's new version number commit together, and sled recovers a committed
//! transaction entirely or not at all. A crash mid-step therefore leaves the previous version
//! whole and readable, still labelled as such, and the step runs again on the next open; a step
//! that fails writes nothing. Transactions cannot scan, so a step reads the values it rewrites
//! first, converts them in memory and writes them inside the transaction. Nothing else uses the
//! database while it opens, so nothing changes between the scan and the commit. Keys the new
//! version no longer reads may be removed after the commit instead (the 3 → 4 step does so, and
//! opening finishes the removal if Tern stopped in between).
//!
//! The cost is holding the rewritten values in memory until the commit, and the transaction's
//! bookkeeping (it reads each key it writes). Measured with 100,000 envelopes of about 250 bytes
//! in a release build (`migrating_a_hundred_thousand_envelopes` in the tests): the 2 → 3 step
//! takes 1.7 to 2.5 s, about 0.7 s of it reading and converting and the rest committing (a
//! plain batch on `mail` commits 0.6 s faster but cannot carry the version), and memory grows by
//! about 220 MB, most of which sled's page cache keeps either way. The 3 → 4 step (into blocks)
//! adds about 1.5 s at that size; the 4 → 5 step reads the 100,000 date keys and writes about
//! 520 runs (the chain from 2 to 5 took 5.5 s on a machine busy with other work). It happens
//! once, while Tern starts.
//!
//! # History
//!
//! | version | change                                                               |
//! |---------|----------------------------------------------------------------------|
//! | 2       | the first versioned cache: the layout of [`super`] without `snippet`  |
//! | 3       | [`Envelope::snippet`] appended to every envelope (`None` until set)  |
//! | 4       | envelopes kept in blocks of 64 UIDs (`b` keys) instead of one value each (`e` keys) |
//! | 5       | the newest-first index kept in runs of up to 256 entries (`r` keys) instead of a key per message (`d` keys) |

use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::TransactionError;

use std::collections::BTreeMap;

use super::{
    Address, BLOCK, DateEntry, Envelope, FlagState, MAIL_TREE, META_TREE, SCHEMA, SCHEMA_KEY, block_key,
    decode, encode, encode_block, write_runs,
};
use crate::error::{Error, Result};

/// One migration step: rewrites a cache of version `from` into version `from + 1` and records
/// the new version, atomically (through [`commit`]).
type Step = fn(&sled::Db) -> Result<()>;

/// The steps, by the version they start from, oldest first. A new schema version appends one.
pub(super) const STEPS: &[(u32, Step)] = &[(2, v2_to_v3), (3, v3_to_v4), (4, v4_to_v5)];

/// What opening did to the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    /// There was no cache: the current version is recorded.
    Created,
    /// The cache was already at the current version.
    Current,
    /// The cache was migrated in place from this version.
    Migrated(u32),
    /// The cache of this version was dropped, to be rebuilt from the server.
    Rebuilt(u32),
}

/// Brings the cache in `db` to [`SCHEMA`]: see the module documentation.
pub(super) fn prepare(db: &sled::Db) -> Result<Outcome> {
    let meta = db.open_tree(META_TREE)?;
    let Some(found) = version(&meta)? else {
        meta.insert(SCHEMA_KEY, &SCHEMA.to_be_bytes())?;
        return Ok(Outcome::Created);
    };
    if found == SCHEMA {
        // A 3 → 4 or 4 → 5 step interrupted after its commit left old keys behind.
        remove_v3_envelopes(db)?;
        remove_v4_dates(db)?;
        return Ok(Outcome::Current);
    }
    let Some(steps) = plan(found) else {
        tracing::info!(
            from = found,
            to = SCHEMA,
            "cache format unknown to this version; rebuilding the cache from the server"
        );
        rebuild(db)?;
        return Ok(Outcome::Rebuilt(found));
    };
    let started = std::time::Instant::now();
    for (from, step) in steps {
        if let Err(e) = step(db) {
            tracing::warn!(from, to = from + 1, error = %e, "cache migration failed; rebuilding the cache from the server");
            rebuild(db)?;
            return Ok(Outcome::Rebuilt(found));
        }
        debug_assert_eq!(version(&meta)?, Some(from + 1), "a step records its new version");
    }
    db.flush()?;
    tracing::info!(from = found, to = SCHEMA, elapsed = ?started.elapsed(), "cache migrated");
    Ok(Outcome::Migrated(found))
}

/// The recorded schema version.
pub(super) fn version(meta: &sled::Tree) -> Result<Option<u32>> {
    Ok(meta.get(SCHEMA_KEY)?.and_then(|v| <[u8; 4]>::try_from(v.as_ref()).ok()).map(u32::from_be_bytes))
}

/// The steps from `from` to [`SCHEMA`], or `None` if one is missing or `from` is newer.
fn plan(from: u32) -> Option<Vec<(u32, Step)>> {
    if from > SCHEMA {
        return None;
    }
    (from..SCHEMA).map(|v| STEPS.iter().find(|(start, _)| *start == v).copied()).collect()
}

/// Drops every tree and records the current version: an empty cache. `meta` goes last, so a
/// crash part way leaves the old version recorded and the next open drops the rest.
fn rebuild(db: &sled::Db) -> Result<()> {
    for name in db.tree_names() {
        if name.as_ref() != b"__sled__default" && name.as_ref() != META_TREE.as_bytes() {
            db.drop_tree(name)?;
        }
    }
    let meta = db.open_tree(META_TREE)?;
    meta.clear()?;
    meta.insert(SCHEMA_KEY, &SCHEMA.to_be_bytes())?;
    Ok(())
}

/// Writes `batch` to `mail` and `to` as the schema version, in one transaction.
fn commit(db: &sled::Db, batch: &sled::Batch, to: u32) -> Result<()> {
    let mail = db.open_tree(MAIL_TREE)?;
    let meta = db.open_tree(META_TREE)?;
    (&mail, &meta)
        .transaction(|(mail, meta)| {
            mail.apply_batch(batch)?;
            meta.insert(SCHEMA_KEY, &to.to_be_bytes())?;
            Ok::<_, sled::transaction::ConflictableTransactionError<()>>(())
        })
        .map_err(|e| match e {
            TransactionError::Storage(e) => Error::from(e),
            TransactionError::Abort(()) => Error::Cache("cache migration aborted".into()),
        })
}

/// An envelope as schema version 2 stored it: the fields of [`Envelope`] before `snippet`, in
/// the same order. Frozen: postcard encodes fields by position, so this must never change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct EnvelopeV2 {
    pub(super) uid: u32,
    pub(super) flags: FlagState,
    pub(super) received: i64,
    pub(super) date: i64,
    pub(super) size: u32,
    pub(super) subject: String,
    pub(super) from: Vec<Address>,
    pub(super) to: Vec<Address>,
    pub(super) cc: Vec<Address>,
    pub(super) message_id: Option<String>,
    pub(super) in_reply_to: Option<String>,
    pub(super) references: Vec<String>,
    pub(super) has_attachment: bool,
    pub(super) thread_id: u64,
    pub(super) modseq: u64,
}

impl From<EnvelopeV2> for Envelope {
    fn from(v2: EnvelopeV2) -> Self {
        let EnvelopeV2 {
            uid,
            flags,
            received,
            date,
            size,
            subject,
            from,
            to,
            cc,
            message_id,
            in_reply_to,
            references,
            has_attachment,
            thread_id,
            modseq,
        } = v2;
        Self {
            uid,
            flags,
            received,
            date,
            size,
            subject,
            from,
            to,
            cc,
            message_id,
            in_reply_to,
            references,
            has_attachment,
            thread_id,
            modseq,
            snippet: None,
        }
    }
}

/// 2 → 3: every envelope (`e` keys) gains `snippet: None`. Other keys keep their values.
fn v2_to_v3(db: &sled::Db) -> Result<()> {
    let mail = db.open_tree(MAIL_TREE)?;
    let mut batch = sled::Batch::default();
    for item in mail.scan_prefix([b'e']) {
        let (key, value) = item?;
        let v2: EnvelopeV2 = decode(&value)?;
        batch.insert(key, encode(&Envelope::from(v2))?);
    }
    commit(db, &batch, 3)
}

#[cfg(test)]
/// The key of one envelope up to version 3: `e`, folder id (u64 BE), uid (u32 BE).
pub(super) fn v3_envelope_key(fid: u64, uid: u32) -> [u8; 13] {
    let mut key = [0u8; 13];
    key[0] = b'e';
    key[1..9].copy_from_slice(&fid.to_be_bytes());
    key[9..].copy_from_slice(&uid.to_be_bytes());
    key
}

/// 3 → 4: the envelopes (`e` keys, one per message) move into blocks of [`BLOCK`] UIDs (`b`
/// keys), their bytes unchanged. Other keys keep their values. The blocks and the new version
/// commit together; the old keys, which version 4 never reads, are removed after the commit
/// (a transaction would read each of them back first), and [`remove_v3_envelopes`] finishes
/// that on the next open if Tern stopped in between.
fn v3_to_v4(db: &sled::Db) -> Result<()> {
    let mail = db.open_tree(MAIL_TREE)?;
    let mut batch = sled::Batch::default();
    let mut blocks: BTreeMap<(u64, u32), BTreeMap<u32, sled::IVec>> = BTreeMap::new();
    for item in mail.scan_prefix([b'e']) {
        let (key, value) = item?;
        let (Some(fid), Some(uid)) = (
            key.get(1..9).and_then(|b| <[u8; 8]>::try_from(b).ok()).map(u64::from_be_bytes),
            key.get(9..13).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_be_bytes),
        ) else {
            return Err(Error::Cache(format!("an envelope key of {} bytes", key.len())));
        };
        // Only envelopes that decode move: a damaged one fails the step (and the cache is rebuilt).
        decode::<Envelope>(&value)?;
        blocks.entry((fid, uid / BLOCK)).or_default().insert(uid, value);
    }
    for ((fid, number), entries) in blocks {
        let value = encode_block(entries.iter().map(|(uid, bytes)| (*uid, bytes.as_ref())))?;
        batch.insert(&block_key(fid, number), value);
    }
    commit(db, &batch, 4)?;
    remove_v3_envelopes(db)
}

/// Removes the envelopes of the version 3 layout (`e` keys) from a cache at version 4 or later.
pub(super) fn remove_v3_envelopes(db: &sled::Db) -> Result<()> {
    remove_prefix(db, b'e')
}

/// Removes every key of `mail` that starts with `tag`.
fn remove_prefix(db: &sled::Db, tag: u8) -> Result<()> {
    let mail = db.open_tree(MAIL_TREE)?;
    let mut batch = sled::Batch::default();
    let mut any = false;
    for key in mail.scan_prefix([tag]).keys() {
        batch.remove(key?);
        any = true;
    }
    if any {
        mail.apply_batch(batch)?;
    }
    Ok(())
}

/// The key of a message's entry in the newest-first index of version 4 and before: `d`, the
/// folder id, then the 12 bytes of its date entry.
#[cfg(test)]
pub(super) fn v4_date_key(fid: u64, received: i64, uid: u32) -> [u8; 21] {
    let mut key = [0u8; 21];
    key[0] = b'd';
    key[1..9].copy_from_slice(&fid.to_be_bytes());
    key[9..].copy_from_slice(&super::date_entry(received, uid));
    key
}

/// 4 → 5: the newest-first index moves from a key per message (`d` keys, empty values) into runs
/// (`r` keys), the same entries in the same order. The runs and the new version commit
/// together; the old keys are removed after the commit, and [`remove_v4_dates`] finishes that
/// on the next open if Tern stopped in between.
fn v4_to_v5(db: &sled::Db) -> Result<()> {
    let mail = db.open_tree(MAIL_TREE)?;
    let mut batch = sled::Batch::default();
    let mut folders: BTreeMap<u64, Vec<DateEntry>> = BTreeMap::new();
    for key in mail.scan_prefix([b'd']).keys() {
        let key = key?;
        let (Some(fid), Some(entry)) = (
            key.get(1..9).and_then(|b| <[u8; 8]>::try_from(b).ok()).map(u64::from_be_bytes),
            key.get(9..21).and_then(|b| DateEntry::try_from(b).ok()),
        ) else {
            return Err(Error::Cache(format!("a date key of {} bytes", key.len())));
        };
        folders.entry(fid).or_default().push(entry);
    }
    for (fid, entries) in folders {
        // Scanned in key order: each folder's entries are already newest first.
        write_runs(&mut batch, fid, &entries);
    }
    commit(db, &batch, 5)?;
    remove_v4_dates(db)
}

/// Removes the newest-first index of the version 4 layout (`d` keys) from a cache at version 5
/// or later.
pub(super) fn remove_v4_dates(db: &sled::Db) -> Result<()> {
    remove_prefix(db, b'd')
}
