//! The local cache, in sled.
//!
//! # Schema
//!
//! | tree      | key          | value                          |
//! |-----------|--------------|--------------------------------|
//! | `meta`    | `"schema"`   | schema version (u32, big end.) |
//! | `folders` | account id   | JSON list of [`Folder`]        |
//!
//! The cache is a copy of server state: deleting it loses nothing the server does not have
//! (local changes get their own durable journal when they exist). A schema version mismatch
//! drops the cache and starts again.

use std::path::Path;

use crate::error::{Error, Result};
use crate::imap::Folder;

/// The schema version this build writes.
const SCHEMA: u32 = 1;

/// Handle on the sled database.
#[derive(Debug, Clone)]
pub struct Store {
    /// The database.
    db: sled::Db,
    /// Folder lists per account.
    folders: sled::Tree,
}

impl Store {
    /// Opens (creating if needed) the cache in `dir`.
    pub fn open(dir: &Path) -> Result<Self> {
        let db = sled::Config::new().path(dir).mode(sled::Mode::HighThroughput).open()?;
        let meta = db.open_tree("meta")?;
        let version =
            meta.get("schema")?.and_then(|v| <[u8; 4]>::try_from(v.as_ref()).ok()).map(u32::from_be_bytes);
        if version.is_some_and(|v| v != SCHEMA) {
            for name in db.tree_names() {
                if name.as_ref() != b"__sled__default" {
                    db.drop_tree(name)?;
                }
            }
        }
        let meta = db.open_tree("meta")?;
        meta.insert("schema", &SCHEMA.to_be_bytes())?;
        let folders = db.open_tree("folders")?;
        Ok(Self { db, folders })
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

    /// Forgets everything cached for an account.
    pub fn forget_account(&self, account_id: &str) -> Result<()> {
        self.folders.remove(account_id)?;
        Ok(())
    }

    /// Writes pending changes to disk.
    pub fn flush(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imap::FolderRole;

    #[test]
    fn folders_round_trip_and_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let folder = Folder {
            path: "INBOX".into(),
            name: "Inbox".into(),
            delimiter: Some("/".into()),
            parent: None,
            depth: 0,
            role: Some(FolderRole::Inbox),
            selectable: true,
            subscribed: true,
        };
        {
            let store = Store::open(dir.path()).unwrap();
            assert!(store.folders("a").unwrap().is_empty());
            store.put_folders("a", std::slice::from_ref(&folder)).unwrap();
            store.flush().unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.folders("a").unwrap(), vec![folder]);
        store.forget_account("a").unwrap();
        assert!(store.folders("a").unwrap().is_empty());
    }
}
