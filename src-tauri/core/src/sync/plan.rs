//! Choosing how to bring a cached folder up to date: pure logic, table-tested.

use crate::store::FolderState;

/// What the server says about a folder now (from STATUS or SELECT).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerFolder {
    /// UIDVALIDITY (0 when the server sent none).
    pub uidvalidity: u32,
    /// UIDNEXT (0 when unknown).
    pub uidnext: u32,
    /// HIGHESTMODSEQ (0 without CONDSTORE).
    pub highestmodseq: u64,
    /// Number of messages.
    pub exists: u32,
}

/// Which extensions the sync may use on this account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncCaps {
    /// CONDSTORE is offered and not switched off.
    pub condstore: bool,
    /// QRESYNC is offered, enabled, and not switched off.
    pub qresync: bool,
    /// ESEARCH: UID listings as compact ranges.
    pub esearch: bool,
    /// LIST-STATUS (with LIST-EXTENDED): folder counts come with the folder list.
    pub list_status: bool,
}

/// How a folder is synced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncMode {
    /// Nothing cached: fetch every envelope, newest first.
    Initial,
    /// UIDVALIDITY changed: the cache of this folder was dropped and refetched.
    UidValidityReset,
    /// The server state equals the cached state: nothing to do.
    Unchanged,
    /// QRESYNC: changed flags and vanished UIDs since the cached MODSEQ, plus new messages.
    Qresync,
    /// CONDSTORE: changed flags since the cached MODSEQ, new messages, and a UID scan when the
    /// counts say something was expunged.
    Condstore,
    /// No extensions (or a repair after an interrupted sync): compare every UID and flag.
    FullScan,
}

/// Picks the sync mode for a folder.
pub fn plan(cached: Option<&FolderState>, server: ServerFolder, caps: SyncCaps) -> SyncMode {
    let Some(state) = cached else { return SyncMode::Initial };
    if state.uidvalidity != server.uidvalidity || server.uidvalidity == 0 {
        return SyncMode::UidValidityReset;
    }
    if !state.complete {
        return SyncMode::FullScan;
    }
    let same_shape = server.uidnext != 0 && server.uidnext == state.uidnext && server.exists == state.total;
    let modseq_known = caps.condstore && server.highestmodseq != 0 && state.highestmodseq != 0;
    if modseq_known && same_shape && server.highestmodseq == state.highestmodseq {
        return SyncMode::Unchanged;
    }
    if modseq_known && caps.qresync {
        SyncMode::Qresync
    } else if modseq_known {
        SyncMode::Condstore
    } else {
        SyncMode::FullScan
    }
}

/// Whether a folder's STATUS (from polling) says it moved since the cached sync. With CONDSTORE
/// this sees every change; without it only arrivals and expunges are visible (flag changes made
/// elsewhere show at the next full sync of that folder).
pub fn status_moved(cached: Option<&FolderState>, server: ServerFolder, caps: SyncCaps) -> bool {
    let Some(state) = cached else { return true };
    if !state.complete || state.uidvalidity != server.uidvalidity || server.uidvalidity == 0 {
        return true;
    }
    let shape_moved = server.uidnext != state.uidnext || server.exists != state.total;
    let modseq_moved = caps.condstore && server.highestmodseq != state.highestmodseq;
    shape_moved || modseq_moved
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polled_status() {
        let s = state(7, 101, 500, 100, true);
        let table: Vec<(&str, Option<FolderState>, ServerFolder, SyncCaps, bool)> = vec![
            ("never synced", None, server(7, 101, 500, 100), ALL, true),
            ("same", Some(s.clone()), server(7, 101, 500, 100), ALL, false),
            ("flags changed", Some(s.clone()), server(7, 101, 501, 100), ALL, true),
            ("flags changed, no condstore", Some(s.clone()), server(7, 101, 0, 100), NONE, false),
            ("arrival, no condstore", Some(s.clone()), server(7, 102, 0, 101), NONE, true),
            ("expunge", Some(s.clone()), server(7, 101, 0, 99), NONE, true),
            ("uidvalidity", Some(s.clone()), server(8, 101, 500, 100), ALL, true),
            ("interrupted", Some(state(7, 101, 500, 40, false)), server(7, 101, 500, 100), ALL, true),
        ];
        for (name, cached, status, caps, expected) in table {
            assert_eq!(status_moved(cached.as_ref(), status, caps), expected, "{name}");
        }
    }

    fn state(uidvalidity: u32, uidnext: u32, modseq: u64, total: u32, complete: bool) -> FolderState {
        FolderState { uidvalidity, uidnext, highestmodseq: modseq, total, unread: 0, complete }
    }

    fn server(uidvalidity: u32, uidnext: u32, highestmodseq: u64, exists: u32) -> ServerFolder {
        ServerFolder { uidvalidity, uidnext, highestmodseq, exists }
    }

    const ALL: SyncCaps = SyncCaps { condstore: true, qresync: true, esearch: false, list_status: false };
    const CONDSTORE: SyncCaps =
        SyncCaps { condstore: true, qresync: false, esearch: false, list_status: false };
    const NONE: SyncCaps = SyncCaps { condstore: false, qresync: false, esearch: false, list_status: false };

    #[test]
    fn modes() {
        let s = state(7, 101, 500, 100, true);
        let table: Vec<(&str, Option<FolderState>, ServerFolder, SyncCaps, SyncMode)> = vec![
            ("nothing cached", None, server(7, 101, 500, 100), ALL, SyncMode::Initial),
            (
                "uidvalidity changed",
                Some(s.clone()),
                server(8, 101, 500, 100),
                ALL,
                SyncMode::UidValidityReset,
            ),
            (
                "server without uidvalidity",
                Some(s.clone()),
                server(0, 101, 500, 100),
                ALL,
                SyncMode::UidValidityReset,
            ),
            (
                "interrupted sync",
                Some(state(7, 101, 500, 40, false)),
                server(7, 101, 500, 100),
                ALL,
                SyncMode::FullScan,
            ),
            ("unchanged", Some(s.clone()), server(7, 101, 500, 100), ALL, SyncMode::Unchanged),
            (
                "unchanged, condstore",
                Some(s.clone()),
                server(7, 101, 500, 100),
                CONDSTORE,
                SyncMode::Unchanged,
            ),
            ("flags changed", Some(s.clone()), server(7, 101, 501, 100), ALL, SyncMode::Qresync),
            ("new mail", Some(s.clone()), server(7, 102, 502, 101), ALL, SyncMode::Qresync),
            ("expunge", Some(s.clone()), server(7, 101, 502, 99), CONDSTORE, SyncMode::Condstore),
            (
                "no extensions, looks unchanged",
                Some(s.clone()),
                server(7, 101, 0, 100),
                NONE,
                SyncMode::FullScan,
            ),
            ("condstore switched off", Some(s.clone()), server(7, 101, 500, 100), NONE, SyncMode::FullScan),
            (
                "cache from before condstore",
                Some(state(7, 101, 0, 100, true)),
                server(7, 101, 500, 100),
                ALL,
                SyncMode::FullScan,
            ),
        ];
        for (name, cached, srv, caps, expected) in table {
            assert_eq!(plan(cached.as_ref(), srv, caps), expected, "{name}");
        }
    }
}
