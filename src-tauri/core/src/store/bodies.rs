//! Downloaded message contents, kept under a size budget with least-recently-used eviction.
//!
//! Tree `bodies` (envelopes are never evicted; only these are):
//!
//! | key                                   | value                                              |
//! |---------------------------------------|----------------------------------------------------|
//! | `c` folder id, uid (u32 BE)           | last use (u64 BE) + [`MessageContent`] (postcard)  |
//! | `l` last use (u64 BE), folder id, uid | size in bytes (u64 BE): the use order              |
//! | `u`                                   | bytes in use (u64 BE)                              |
//!
//! Every read moves the entry to the end of the use order; a write past the budget drops the
//! least recently used entries. Each change is one sled transaction, so the usage counter always
//! matches the entries. A folder cleared (UIDVALIDITY changed, folder deleted) drops its
//! contents: a UID must never show another message's body.

use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use super::{FolderId, Store, decode, encode};
use crate::error::{Error, Result};
use crate::imap::content::MessageContent;

/// Name of the tree.
pub(super) const BODIES_TREE: &str = "bodies";

/// Default budget for downloaded contents.
pub const DEFAULT_BUDGET: u64 = 1024 * 1024 * 1024;

const USAGE: &[u8] = b"u";

fn content_key(fid: FolderId, uid: u32) -> [u8; 13] {
    let mut key = [0u8; 13];
    key[0] = b'c';
    key[1..9].copy_from_slice(&fid.to_be_bytes());
    key[9..].copy_from_slice(&uid.to_be_bytes());
    key
}

fn use_key(tick: u64, fid: FolderId, uid: u32) -> [u8; 21] {
    let mut key = [0u8; 21];
    key[0] = b'l';
    key[1..9].copy_from_slice(&tick.to_be_bytes());
    key[9..17].copy_from_slice(&fid.to_be_bytes());
    key[17..].copy_from_slice(&uid.to_be_bytes());
    key
}

fn u64_of(bytes: &[u8]) -> u64 {
    bytes.get(..8).and_then(|b| <[u8; 8]>::try_from(b).ok()).map(u64::from_be_bytes).unwrap_or(0)
}

fn tx_error(e: TransactionError<Error>) -> Error {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => Error::Cache(e.to_string()),
    }
}

impl Store {
    /// The cached content of a message, marked as just used.
    pub fn content(&self, fid: FolderId, uid: u32) -> Result<Option<MessageContent>> {
        let Some(value) = self.bodies.get(content_key(fid, uid))? else { return Ok(None) };
        let Ok(content) = decode::<MessageContent>(value.get(8..).unwrap_or_default()) else {
            // Written by another version of Tern: downloaded again when needed.
            self.drop_content(fid, uid)?;
            return Ok(None);
        };
        let (old, tick) = (u64_of(&value), self.db.generate_id()?);
        let size = value.len() as u64;
        let mut fresh = value.to_vec();
        fresh[..8].copy_from_slice(&tick.to_be_bytes());
        self.bodies
            .transaction(|t| {
                t.remove(&use_key(old, fid, uid)[..])?;
                t.insert(&use_key(tick, fid, uid)[..], &size.to_be_bytes()[..])?;
                t.insert(&content_key(fid, uid)[..], fresh.as_slice())?;
                Ok::<(), ConflictableTransactionError<Error>>(())
            })
            .map_err(tx_error)?;
        Ok(Some(content))
    }

    /// Whether a message's content is cached (without marking it used).
    pub fn has_content(&self, fid: FolderId, uid: u32) -> Result<bool> {
        Ok(self.bodies.contains_key(content_key(fid, uid))?)
    }

    /// Caches a message's content, then evicts the least recently used contents beyond `budget`
    /// bytes.
    pub fn put_content(&self, fid: FolderId, uid: u32, content: &MessageContent, budget: u64) -> Result<()> {
        let tick = self.db.generate_id()?;
        let mut value = tick.to_be_bytes().to_vec();
        value.extend_from_slice(&encode(content)?);
        let size = value.len() as u64;
        (&self.bodies,)
            .transaction(|(t,)| {
                let mut usage = t.get(USAGE)?.map(|v| u64_of(&v)).unwrap_or(0);
                if let Some(old) = t.get(&content_key(fid, uid)[..])? {
                    t.remove(&use_key(u64_of(&old), fid, uid)[..])?;
                    usage = usage.saturating_sub(old.len() as u64);
                }
                t.insert(&content_key(fid, uid)[..], value.as_slice())?;
                t.insert(&use_key(tick, fid, uid)[..], &size.to_be_bytes()[..])?;
                t.insert(USAGE, &(usage + size).to_be_bytes()[..])?;
                Ok::<(), ConflictableTransactionError<Error>>(())
            })
            .map_err(tx_error)?;
        self.evict_contents(budget)
    }

    /// Bytes the cached contents use.
    pub fn content_usage(&self) -> Result<u64> {
        Ok(self.bodies.get(USAGE)?.map(|v| u64_of(&v)).unwrap_or(0))
    }

    /// Drops the least recently used contents until at most `budget` bytes are used.
    pub fn evict_contents(&self, budget: u64) -> Result<()> {
        while self.content_usage()? > budget {
            let Some((key, _)) = self.bodies.scan_prefix(b"l").next().transpose()? else { break };
            let fid = u64_of(key.get(9..17).unwrap_or_default());
            let uid = key
                .get(17..21)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(u32::from_be_bytes)
                .unwrap_or(0);
            self.drop_content(fid, uid)?;
        }
        Ok(())
    }

    /// Forgets one message's content.
    pub fn drop_content(&self, fid: FolderId, uid: u32) -> Result<()> {
        self.bodies
            .transaction(|t| {
                if let Some(old) = t.remove(&content_key(fid, uid)[..])? {
                    t.remove(&use_key(u64_of(&old), fid, uid)[..])?;
                    let usage = t.get(USAGE)?.map(|v| u64_of(&v)).unwrap_or(0);
                    t.insert(USAGE, &usage.saturating_sub(old.len() as u64).to_be_bytes()[..])?;
                }
                Ok::<(), ConflictableTransactionError<Error>>(())
            })
            .map_err(tx_error)
    }

    /// Forgets every content of a folder.
    pub(super) fn drop_folder_contents(&self, fid: FolderId) -> Result<()> {
        let mut prefix = vec![b'c'];
        prefix.extend_from_slice(&fid.to_be_bytes());
        let uids: Vec<u32> = self
            .bodies
            .scan_prefix(&prefix)
            .keys()
            .filter_map(|k| k.ok())
            .filter_map(|k| k.get(9..13).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_be_bytes))
            .collect();
        for uid in uids {
            self.drop_content(fid, uid)?;
        }
        Ok(())
    }
}
