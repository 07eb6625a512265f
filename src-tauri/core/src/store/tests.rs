use super::*;
use crate::imap::FolderRole;

fn env(uid: u32, received: i64, seen: bool) -> Envelope {
    Envelope {
        uid,
        flags: FlagState { flags: MessageFlags { seen, ..Default::default() }, keywords: vec![] },
        received,
        date: received,
        size: 100,
        subject: format!("message {uid}"),
        from: vec![Address { name: Some("Ann".into()), email: "ann@example.org".into() }],
        to: vec![],
        cc: vec![],
        message_id: Some(format!("{uid}@example.org")),
        in_reply_to: None,
        references: vec![],
        has_attachment: false,
        thread_id: u64::from(uid),
        modseq: 0,
        snippet: None,
    }
}

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    (dir, store)
}

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
        namespace: Default::default(),
    };
    {
        let store = Store::open(dir.path()).unwrap();
        assert!(store.folders("a").unwrap().is_empty());
        store.put_folders("a", std::slice::from_ref(&folder)).unwrap();
        store.flush().unwrap();
    }
    let store = reopen(dir.path());
    assert_eq!(store.folders("a").unwrap(), vec![folder]);
    store.forget_account("a").unwrap();
    assert!(store.folders("a").unwrap().is_empty());
}

#[test]
fn pages_are_newest_first_including_dates_before_1970() {
    let (_dir, store) = open();
    let fid = store.folder_id_or_create("a", "INBOX").unwrap();
    let dates = [(1, 1_000), (2, 5_000), (3, -50), (4, 3_000), (5, 5_000)];
    let upserts = dates.iter().map(|&(uid, d)| env(uid, d, true)).collect();
    store.apply(fid, FolderChanges { upserts, ..Default::default() }).unwrap();
    let uids: Vec<u32> = store.page(fid, 0, 10).unwrap().iter().map(|e| e.uid).collect();
    assert_eq!(uids, vec![2, 5, 4, 1, 3]);
    let second: Vec<u32> = store.page(fid, 2, 2).unwrap().iter().map(|e| e.uid).collect();
    assert_eq!(second, vec![4, 1]);
}

#[test]
fn counters_follow_upserts_flag_changes_and_removals() {
    let (_dir, store) = open();
    let fid = store.folder_id_or_create("a", "INBOX").unwrap();
    let upserts = vec![env(1, 10, false), env(2, 20, false), env(3, 30, true)];
    store.apply(fid, FolderChanges { upserts, ..Default::default() }).unwrap();
    let state = store.folder_state(fid).unwrap().unwrap();
    assert_eq!((state.total, state.unread), (3, 2));

    let seen = FlagState { flags: MessageFlags { seen: true, ..Default::default() }, keywords: vec![] };
    let changes = FolderChanges {
        upserts: vec![env(2, 20, false)], // same UID again: replaces, does not double count
        flag_updates: vec![(1, seen.clone(), 7), (99, seen, 8)],
        removals: vec![3, 42],
        state: Some(FolderState { uidvalidity: 5, uidnext: 4, complete: true, ..Default::default() }),
        fresh: false,
    };
    store.apply(fid, changes).unwrap();
    let state = store.folder_state(fid).unwrap().unwrap();
    assert_eq!((state.total, state.unread, state.uidvalidity, state.complete), (2, 1, 5, true));
    assert_eq!(store.envelope(fid, 1).unwrap().unwrap().modseq, 7);
    let uids: Vec<u32> = store.page(fid, 0, 10).unwrap().iter().map(|e| e.uid).collect();
    assert_eq!(uids, vec![2, 1]);
}

#[test]
fn encoded_envelopes_are_written_as_whole_ones_are() {
    fn encoded(e: &Envelope) -> Result<Encoded> {
        Ok(Encoded { uid: e.uid, received: e.received, seen: e.flags.flags.seen, bytes: encode(e)? })
    }
    let (_a_dir, whole) = open();
    let (_b_dir, parts) = open();
    let (a, b) =
        (whole.folder_id_or_create("a", "INBOX").unwrap(), parts.folder_id_or_create("a", "INBOX").unwrap());
    // A first download: fresh chunks, newest first.
    for chunk in [(101..=200).rev().collect::<Vec<u32>>(), (1..=100).rev().collect()] {
        let envelopes: Vec<Envelope> =
            chunk.iter().map(|&uid| env(uid, i64::from(uid % 7) * 100, uid % 3 == 0)).collect();
        let fresh = || FolderChanges { fresh: true, ..Default::default() };
        whole.apply_with(a, fresh(), envelopes.clone()).unwrap();
        parts.apply_encoded(b, fresh(), envelopes.iter().map(encoded)).unwrap();
    }
    // Over envelopes already cached: the snippet taken from the body stays, the counters follow.
    for (store, fid) in [(&whole, a), (&parts, b)] {
        assert!(store.set_snippet(fid, 9, "the first words").unwrap());
    }
    let again = vec![env(9, 900, true), env(10, 1000, true), env(300, 50, false)];
    whole.apply_with(a, FolderChanges::default(), again.clone()).unwrap();
    parts.apply_encoded(b, FolderChanges::default(), again.iter().map(encoded)).unwrap();
    let state = |store: &Store, fid| store.folder_state(fid).unwrap().unwrap();
    assert_eq!(state(&parts, b), state(&whole, a));
    assert_eq!((state(&parts, b).total, state(&parts, b).unread), (201, 134));
    assert_eq!(parts.page(b, 0, 1000).unwrap(), whole.page(a, 0, 1000).unwrap());
    assert_eq!(parts.envelope(b, 9).unwrap().unwrap().snippet.as_deref(), Some("the first words"));
    // One that failed to encode fails the change set, which writes nothing.
    let failed = vec![encoded(&env(400, 1, false)), Err(Error::Cache("encoding: no".into()))];
    assert!(parts.apply_encoded(b, FolderChanges::default(), failed).is_err());
    assert_eq!(parts.envelope(b, 400).unwrap(), None);
    assert_eq!(state(&parts, b), state(&whole, a));
}

#[test]
fn clearing_renaming_and_forgetting_folders() {
    let (_dir, store) = open();
    let fid = store.folder_id_or_create("a", "Old").unwrap();
    store.apply(fid, FolderChanges { upserts: vec![env(1, 10, true)], ..Default::default() }).unwrap();
    store.rename_folder("a", "Old", "New").unwrap();
    assert_eq!(store.folder_id("a", "Old").unwrap(), None);
    assert_eq!(store.folder_id("a", "New").unwrap(), Some(fid));
    assert_eq!(store.page(fid, 0, 10).unwrap().len(), 1);
    store.clear_folder(fid).unwrap();
    assert!(store.page(fid, 0, 10).unwrap().is_empty());
    assert_eq!(store.folder_state(fid).unwrap(), None);
    store.forget_folder("a", "New").unwrap();
    assert!(store.cached_folder_ids("a").unwrap().is_empty());
}

#[test]
fn pending_flag_changes_keep_their_order_per_account_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let change = |path: &str, uid: u32, seen: Option<bool>| PendingFlags {
        path: path.into(),
        uidvalidity: 7,
        uids: vec![uid],
        seen,
        flagged: None,
    };
    {
        let store = Store::open(dir.path()).unwrap();
        store.queue_flags("a", &change("INBOX", 1, Some(true))).unwrap();
        // An account whose id starts with another's keeps its own.
        store.queue_flags("ab", &change("INBOX", 9, None)).unwrap();
        store.queue_flags("a", &change("Archive", 2, Some(false))).unwrap();
        store.queue_flags("a", &change("INBOX", 1, Some(false))).unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    let pending = store.pending_flags("a").unwrap();
    let made: Vec<(&str, u32, Option<bool>)> =
        pending.iter().map(|(_, c)| (c.path.as_str(), c.uids[0], c.seen)).collect();
    assert_eq!(made, [("INBOX", 1, Some(true)), ("Archive", 2, Some(false)), ("INBOX", 1, Some(false))]);
    assert_eq!(store.pending_flags("ab").unwrap().len(), 1);
    assert!(store.pending_flags("b").unwrap().is_empty());

    store.forget_pending_flags("a", pending[0].0).unwrap();
    assert_eq!(store.pending_flags("a").unwrap().len(), 2);
    store.forget_account("a").unwrap();
    assert!(store.pending_flags("a").unwrap().is_empty());
    assert_eq!(store.pending_flags("ab").unwrap().len(), 1);
}

#[test]
fn later_pages_follow_changes_to_the_folder() {
    let (_dir, store) = open();
    let fid = store.folder_id_or_create("a", "INBOX").unwrap();
    let upserts = (1..=10).map(|uid| env(uid, i64::from(uid) * 10, true)).collect();
    store.apply(fid, FolderChanges { upserts, ..Default::default() }).unwrap();
    let uids = |offset, limit| -> Vec<u32> {
        store.page(fid, offset, limit).unwrap().iter().map(|e| e.uid).collect()
    };
    assert_eq!(uids(3, 3), vec![7, 6, 5]);
    assert_eq!(uids(8, 5), vec![2, 1]);
    // A new message and a removal shift every later page.
    let changes =
        FolderChanges { upserts: vec![env(11, 1_000, true)], removals: vec![9], ..Default::default() };
    store.apply(fid, changes).unwrap();
    assert_eq!(uids(0, 3), vec![11, 10, 8]);
    assert_eq!(uids(3, 3), vec![7, 6, 5]);
    assert_eq!(uids(9, 5), vec![1]);
    store.clear_folder(fid).unwrap();
    assert!(uids(2, 5).is_empty());
}

// Schema migrations.

use std::collections::BTreeMap;
use std::path::Path;

use super::migrate::{self, EnvelopeV2, Outcome, STEPS, v3_envelope_key};

/// Envelopes kept in blocks: after each change set (initial-sync chunks that split blocks,
/// updates, flag changes, removals that empty a block, snippets) every way of reading the folder
/// agrees with a plain map of what should be there.
#[test]
fn envelopes_across_blocks_read_back_as_written() {
    use std::collections::BTreeMap;
    let (_dir, store) = open();
    let fid = store.folder_id_or_create("a", "INBOX").unwrap();
    let other = store.folder_id_or_create("a", "Archive").unwrap();
    store.apply(other, FolderChanges { upserts: vec![env(5, 1, true)], ..Default::default() }).unwrap();
    let seen =
        |on: bool| FlagState { flags: MessageFlags { seen: on, ..Default::default() }, keywords: vec![] };
    let at = |uid: u32| 1_700_000_000 - i64::from(uid % 7) * 1_000 + i64::from(uid);
    let upserts =
        |uids: std::ops::RangeInclusive<u32>| uids.rev().map(|uid| env(uid, at(uid), uid % 3 == 0)).collect();
    // (what, changes, whether the upserts are taken one at a time, as the initial sync gives them)
    let steps: Vec<(&str, FolderChanges, bool)> = vec![
        (
            "first screen of an initial sync",
            FolderChanges { upserts: upserts(251..=300), fresh: true, ..Default::default() },
            false,
        ),
        (
            "a chunk ending inside a block",
            FolderChanges { upserts: upserts(100..=250), fresh: true, ..Default::default() },
            true,
        ),
        (
            "the chunk before it, same block",
            FolderChanges { upserts: upserts(1..=99), fresh: true, ..Default::default() },
            true,
        ),
        (
            "flag changes in several blocks",
            FolderChanges {
                flag_updates: vec![
                    (1, seen(true), 3),
                    (64, seen(true), 3),
                    (200, seen(false), 4),
                    (999, seen(true), 5),
                ],
                ..Default::default()
            },
            false,
        ),
        ("a block emptied", FolderChanges { removals: (128..=191).collect(), ..Default::default() }, false),
        (
            "new mail, a change and a removal in one set",
            FolderChanges {
                upserts: vec![env(301, at(301), false), env(640, at(640), false)],
                flag_updates: vec![(301, seen(true), 9)],
                removals: vec![300, 5000],
                ..Default::default()
            },
            false,
        ),
        (
            "the emptied block filled again",
            FolderChanges { upserts: upserts(150..=160), ..Default::default() },
            true,
        ),
    ];
    let mut model: BTreeMap<u32, Envelope> = BTreeMap::new();
    for (what, mut changes, one_at_a_time) in steps {
        for e in &changes.upserts {
            model.insert(e.uid, e.clone());
        }
        for (uid, flags, modseq) in &changes.flag_updates {
            if let Some(e) = model.get_mut(uid) {
                e.flags = flags.clone();
                e.modseq = e.modseq.max(*modseq);
            }
        }
        for uid in &changes.removals {
            model.remove(uid);
        }
        let members_change = !changes.upserts.is_empty() || !changes.removals.is_empty();
        let membership = store.membership(fid);
        if one_at_a_time {
            let upserts = std::mem::take(&mut changes.upserts);
            store.apply_with(fid, changes, upserts).unwrap();
        } else {
            store.apply(fid, changes).unwrap();
        }
        assert_eq!(store.membership(fid) != membership, members_change, "{what}: views over the folder");
        let uids: Vec<u32> = model.keys().copied().collect();
        assert_eq!(store.uids(fid).unwrap(), uids, "{what}");
        let flags: Vec<(u32, FlagState)> = model.values().map(|e| (e.uid, e.flags.clone())).collect();
        assert_eq!(store.uids_and_flags(fid).unwrap(), flags, "{what}");
        let mut heads = Vec::new();
        store
            .each_envelope_head(fid, |head| heads.push((head.uid, head.received, head.subject.to_string())))
            .unwrap();
        let expected: Vec<_> = model.values().map(|e| (e.uid, e.received, e.subject.clone())).collect();
        assert_eq!(heads, expected, "{what}");
        for uid in [0, 1, 63, 64, 65, 127, 128, 191, 192, 300, 301, 640, 999] {
            assert_eq!(store.envelope(fid, uid).unwrap().as_ref(), model.get(&uid), "{what}: uid {uid}");
        }
        let mut newest_first: Vec<&Envelope> = model.values().collect();
        newest_first.sort_by_key(|e| (std::cmp::Reverse(e.received), e.uid));
        for (offset, limit) in [(0, 50), (50, 100), (200, 1000)] {
            let expected: Vec<Envelope> =
                newest_first.iter().skip(offset).take(limit).map(|e| (*e).clone()).collect();
            assert_eq!(store.page(fid, offset, limit).unwrap(), expected, "{what}: page {offset}+{limit}");
        }
        let state = store.folder_state(fid).unwrap().unwrap();
        let unread = model.values().filter(|e| !e.flags.flags.seen).count() as u32;
        assert_eq!((state.total, state.unread), (model.len() as u32, unread), "{what}");
    }
    assert!(store.set_snippet(fid, 150, "Hello").unwrap());
    assert!(!store.set_snippet(fid, 150, "Hello").unwrap());
    assert!(!store.set_snippet(fid, 170, "gone").unwrap());
    assert_eq!(store.envelope(fid, 150).unwrap().unwrap().snippet.as_deref(), Some("Hello"));
    assert_eq!(
        store.envelope(fid, 151).unwrap().as_ref(),
        model.get(&151),
        "the block's other messages stay"
    );
    // The other folder's block is its own.
    assert_eq!(store.uids(other).unwrap(), vec![5]);
    store.clear_folder(fid).unwrap();
    assert!(store.uids(fid).unwrap().is_empty());
    assert!(store.page(fid, 0, 10).unwrap().is_empty());
    assert_eq!(store.uids(other).unwrap(), vec![5]);
}

/// An envelope with every field set, varied by `uid`.
fn full(uid: u32, received: i64, seen: bool) -> Envelope {
    Envelope {
        uid,
        flags: FlagState {
            flags: MessageFlags {
                seen,
                answered: uid.is_multiple_of(3),
                flagged: uid.is_multiple_of(5),
                deleted: false,
                draft: uid.is_multiple_of(7),
            },
            keywords: vec!["$Forwarded".into(), format!("label{}", uid % 4)],
        },
        received,
        date: received - 60,
        size: 1_000 + uid,
        subject: format!("Re: quarterly report {uid}, ünïcödé"),
        from: vec![Address { name: Some("Ann Example".into()), email: "ann@example.org".into() }],
        to: vec![
            Address { name: None, email: "bob@example.net".into() },
            Address { name: Some("Cy".into()), email: "cy@example.net".into() },
        ],
        cc: if uid.is_multiple_of(2) {
            vec![Address { name: None, email: "dee@example.com".into() }]
        } else {
            vec![]
        },
        message_id: Some(format!("{uid}.abc@example.org")),
        in_reply_to: (uid > 1).then(|| format!("{}.abc@example.org", uid - 1)),
        references: (1..uid.min(4)).map(|r| format!("{r}.abc@example.org")).collect(),
        has_attachment: uid % 2 == 1,
        thread_id: 0x9E37_79B9_7F4A_7C15 ^ u64::from(uid),
        modseq: 40_000 + u64::from(uid),
        snippet: None,
    }
}

/// The version 2 form of an envelope without a snippet.
fn v2(e: &Envelope) -> EnvelopeV2 {
    assert_eq!(e.snippet, None, "version 2 has no snippet");
    EnvelopeV2 {
        uid: e.uid,
        flags: e.flags.clone(),
        received: e.received,
        date: e.date,
        size: e.size,
        subject: e.subject.clone(),
        from: e.from.clone(),
        to: e.to.clone(),
        cc: e.cc.clone(),
        message_id: e.message_id.clone(),
        in_reply_to: e.in_reply_to.clone(),
        references: e.references.clone(),
        has_attachment: e.has_attachment,
        thread_id: e.thread_id,
        modseq: e.modseq,
    }
}

/// How a hand-built cache encodes its envelopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// One value per envelope, without a snippet.
    V2,
    /// One value per envelope.
    V3,
    /// Blocks of [`BLOCK`] UIDs, a date key per message.
    V4,
    /// Blocks, and the newest-first index in runs (the current layout).
    V5,
}

/// One cached folder of a hand-built cache.
struct Cached {
    account: &'static str,
    path: &'static str,
    envelopes: Vec<Envelope>,
}

/// What a hand-built cache holds, to compare the opened store with.
struct Fixture {
    folders: Vec<Cached>,
    quota: StorageQuota,
}

impl Fixture {
    /// Two accounts, three folders, 34 envelopes: enough for several pages.
    fn new() -> Self {
        let inbox = (1..=30u32).map(|uid| {
            let received =
                1_600_000_000 + i64::from(uid * 37 % 30) * 3_600 - i64::from(uid % 2) * 2_000_000_000;
            if uid.is_multiple_of(3) {
                env(uid, received, uid.is_multiple_of(4))
            } else {
                full(uid, received, uid.is_multiple_of(4))
            }
        });
        Self {
            folders: vec![
                Cached { account: "a", path: "INBOX", envelopes: inbox.collect() },
                Cached {
                    account: "a",
                    path: "Archive/2020",
                    envelopes: vec![full(4, 10, true), full(9, -10, false)],
                },
                Cached {
                    account: "b",
                    path: "INBOX",
                    envelopes: vec![full(100, 5_000, false), env(7, 6_000, true)],
                },
            ],
            quota: StorageQuota { used_kib: 1_234, limit_kib: 1_048_576 },
        }
    }

    fn state(envelopes: &[Envelope]) -> FolderState {
        FolderState {
            uidvalidity: 1_234_567,
            uidnext: envelopes.iter().map(|e| e.uid).max().unwrap_or(0) + 1,
            highestmodseq: envelopes.iter().map(|e| e.modseq).max().unwrap_or(0),
            total: envelopes.len() as u32,
            unread: envelopes.iter().filter(|e| !e.flags.flags.seen).count() as u32,
            complete: true,
        }
    }

    /// The leaf name of a folder path.
    fn name(path: &str) -> &str {
        path.rsplit('/').next().unwrap_or(path)
    }

    /// A folder of an account's folder list, in JSON as version 2 wrote it.
    fn folder_json(path: &str) -> String {
        let role = if path == "INBOX" { r#""inbox""# } else { "null" };
        let name = Self::name(path);
        format!(
            r#"{{"path":"{path}","name":"{name}","delimiter":"/","parent":null,"depth":0,"role":{role},"selectable":true,"subscribed":true}}"#
        )
    }

    /// Writes the cache into `dir` as a Tern of schema `schema` would have, envelopes in `layout`
    /// (reusing the key helpers, which the versions share). Returns the folder ids.
    fn write(&self, dir: &Path, schema: Option<u32>, layout: Layout) -> BTreeMap<(String, String), FolderId> {
        let db = raw_db(dir);
        if let Some(version) = schema {
            db.open_tree(META_TREE).unwrap().insert(SCHEMA_KEY, &version.to_be_bytes()).unwrap();
        }
        let folders = db.open_tree(FOLDERS_TREE).unwrap();
        let mail = db.open_tree(MAIL_TREE).unwrap();
        let mut fids = BTreeMap::new();
        let mut lists: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for cached in &self.folders {
            let fid = db.generate_id().unwrap();
            fids.insert((cached.account.to_string(), cached.path.to_string()), fid);
            lists.entry(cached.account).or_default().push(Self::folder_json(cached.path));
            mail.insert(folder_key(cached.account, cached.path), &fid.to_be_bytes()).unwrap();
            mail.insert(prefixed(b's', fid), encode(&Self::state(&cached.envelopes)).unwrap()).unwrap();
            let mut blocks: BTreeMap<u32, BTreeMap<u32, Vec<u8>>> = BTreeMap::new();
            for e in &cached.envelopes {
                match layout {
                    Layout::V2 => mail.insert(v3_envelope_key(fid, e.uid), encode(&v2(e)).unwrap()).unwrap(),
                    Layout::V3 => mail.insert(v3_envelope_key(fid, e.uid), encode(e).unwrap()).unwrap(),
                    Layout::V4 | Layout::V5 => {
                        blocks.entry(e.uid / BLOCK).or_default().insert(e.uid, encode(e).unwrap());
                        None
                    }
                };
                if layout != Layout::V5 {
                    mail.insert(migrate::v4_date_key(fid, e.received, e.uid), &[]).unwrap();
                }
            }
            if layout == Layout::V5 {
                let mut entries: Vec<DateEntry> =
                    cached.envelopes.iter().map(|e| date_entry(e.received, e.uid)).collect();
                entries.sort_unstable();
                // Small runs, so the fixture's folders hold several.
                for run in entries.chunks(7) {
                    mail.insert(run_key(fid, &run[0]), run.concat()).unwrap();
                }
            }
            for (number, entries) in blocks {
                let value =
                    encode_block(entries.iter().map(|(uid, bytes)| (*uid, bytes.as_slice()))).unwrap();
                mail.insert(block_key(fid, number), value).unwrap();
            }
        }
        for (account, list) in lists {
            folders.insert(account, format!("[{}]", list.join(",")).as_bytes()).unwrap();
        }
        mail.insert(b"qa", encode(&self.quota).unwrap()).unwrap();
        db.flush().unwrap();
        fids
    }

    /// Asserts that `store` holds exactly this fixture (every envelope without a snippet).
    fn assert_held_by(&self, store: &Store, fids: &BTreeMap<(String, String), FolderId>) {
        assert_eq!(store.quota("a").unwrap(), Some(self.quota));
        for cached in &self.folders {
            let fid = fids[&(cached.account.to_string(), cached.path.to_string())];
            let what = format!("{}:{}", cached.account, cached.path);
            assert_eq!(store.folder_id(cached.account, cached.path).unwrap(), Some(fid), "{what}");
            let listed = store.folders(cached.account).unwrap();
            assert!(
                listed.iter().any(|f| f.path == cached.path
                    && f.name == Self::name(cached.path)
                    && f.role == (cached.path == "INBOX").then_some(FolderRole::Inbox)),
                "{what}"
            );
            assert_eq!(store.folder_state(fid).unwrap(), Some(Self::state(&cached.envelopes)), "{what}");
            for e in &cached.envelopes {
                assert_eq!(store.envelope(fid, e.uid).unwrap().as_ref(), Some(e), "{what} uid {}", e.uid);
            }
            let mut by_uid: Vec<(u32, FlagState)> =
                cached.envelopes.iter().map(|e| (e.uid, e.flags.clone())).collect();
            by_uid.sort_by_key(|(uid, _)| *uid);
            assert_eq!(store.uids_and_flags(fid).unwrap(), by_uid, "{what}");
            // Newest first; the same arrival time orders by UID.
            let mut newest_first = cached.envelopes.clone();
            newest_first.sort_by_key(|e| (std::cmp::Reverse(e.received), e.uid));
            for (offset, limit) in [(0, 10), (10, 10), (25, 10), (0, 100)] {
                let expected: Vec<Envelope> = newest_first.iter().skip(offset).take(limit).cloned().collect();
                assert_eq!(store.page(fid, offset, limit).unwrap(), expected, "{what} page {offset}+{limit}");
            }
        }
    }
}

/// The result of `open` once the cache's file lock is free: sled releases it from a background
/// thread a moment after the last handle is dropped, so opening again at once can find it held.
fn once_unlocked<T, E: std::fmt::Display>(open: impl Fn() -> Result<T, E>) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match open() {
            Ok(opened) => return opened,
            Err(e)
                if e.to_string().contains("could not acquire lock")
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(e) => panic!("opening the cache: {e}"),
        }
    }
}

/// Opens the cache in `dir` as a bare sled database.
fn raw_db(dir: &Path) -> sled::Db {
    once_unlocked(|| sled::Config::new().path(dir).open())
}

/// Opens the store in `dir`, which was open a moment ago.
fn reopen(dir: &Path) -> Store {
    once_unlocked(|| Store::open(dir))
}

/// The schema version recorded in an open store.
fn schema_of(store: &Store) -> Option<u32> {
    migrate::version(&store.db.open_tree(META_TREE).unwrap()).unwrap()
}

/// Runs only the schema check on the cache in `dir`, as opening does first.
fn prepare(dir: &Path) -> Outcome {
    let db = raw_db(dir);
    let outcome = migrate::prepare(&db).unwrap();
    db.flush().unwrap();
    outcome
}

#[test]
fn a_version_2_cache_is_migrated_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let fids = fixture.write(dir.path(), Some(2), Layout::V2);
    {
        let store = reopen(dir.path());
        assert_eq!(schema_of(&store), Some(SCHEMA));
        fixture.assert_held_by(&store, &fids);
        // Sync keeps working on the migrated data.
        let fid = fids[&("a".to_string(), "INBOX".to_string())];
        let seen = FlagState { flags: MessageFlags { seen: true, ..Default::default() }, keywords: vec![] };
        let unread_uid =
            fixture.folders[0].envelopes.iter().find(|e| e.uid != 1 && !e.flags.flags.seen).unwrap().uid;
        let changes = FolderChanges {
            upserts: vec![env(31, 1_700_000_000, false)],
            flag_updates: vec![(unread_uid, seen, 1)],
            removals: vec![1],
            ..Default::default()
        };
        store.apply(fid, changes).unwrap();
        let state = store.folder_state(fid).unwrap().unwrap();
        let before = Fixture::state(&fixture.folders[0].envelopes);
        // One new unread, one unread marked seen, and message 1 (unread) removed.
        assert!(!fixture.folders[0].envelopes[0].flags.flags.seen);
        assert_eq!((state.total, state.unread), (before.total, before.unread - 1));
        assert_eq!(store.page(fid, 0, 1).unwrap()[0].uid, 31);
    }
    // Opening again finds the current version and does nothing.
    assert_eq!(prepare(dir.path()), Outcome::Current);
    let store = reopen(dir.path());
    assert_eq!(schema_of(&store), Some(SCHEMA));
    assert_eq!(store.envelope(fids[&("a".to_string(), "INBOX".to_string())], 31).unwrap().unwrap().uid, 31);
}

#[test]
fn opening_follows_the_recorded_schema_version() {
    // (recorded version, layout of the envelopes, what opening does, whether the data stays)
    let cases = [
        (Some(SCHEMA), Layout::V5, Outcome::Current, true),
        (Some(4), Layout::V4, Outcome::Migrated(4), true),
        (Some(3), Layout::V3, Outcome::Migrated(3), true),
        (Some(2), Layout::V2, Outcome::Migrated(2), true),
        // Older than any migration step: rebuilt.
        (Some(1), Layout::V2, Outcome::Rebuilt(1), false),
        (Some(0), Layout::V2, Outcome::Rebuilt(0), false),
        // Written by a newer Tern: rebuilt.
        (Some(SCHEMA + 1), Layout::V5, Outcome::Rebuilt(SCHEMA + 1), false),
        (Some(99), Layout::V5, Outcome::Rebuilt(99), false),
    ];
    let fixture = Fixture::new();
    for (recorded, layout, outcome, kept) in cases {
        let what = format!("version {recorded:?}");
        let dir = tempfile::tempdir().unwrap();
        let fids = fixture.write(dir.path(), recorded, layout);
        assert_eq!(prepare(dir.path()), outcome, "{what}");
        let store = reopen(dir.path());
        assert_eq!(schema_of(&store), Some(SCHEMA), "{what}");
        if kept {
            fixture.assert_held_by(&store, &fids);
        } else {
            assert_eq!(store.quota("a").unwrap(), None, "{what}");
            for account in ["a", "b"] {
                assert!(store.folders(account).unwrap().is_empty(), "{what}");
                assert!(store.cached_folder_ids(account).unwrap().is_empty(), "{what}");
            }
            for fid in fids.values() {
                assert_eq!(store.folder_state(*fid).unwrap(), None, "{what}");
                assert!(store.uids(*fid).unwrap().is_empty(), "{what}");
                assert!(store.page(*fid, 0, 10).unwrap().is_empty(), "{what}");
            }
        }
    }
    // No cache at all: a new one, at the current version.
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(prepare(dir.path()), Outcome::Created);
    assert_eq!(prepare(dir.path()), Outcome::Current);
}

#[test]
fn a_failed_migration_step_writes_nothing_and_the_cache_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let fids = fixture.write(dir.path(), Some(2), Layout::V2);
    let fid = fids[&("a".to_string(), "INBOX".to_string())];
    let db = raw_db(dir.path());
    let mail = db.open_tree(MAIL_TREE).unwrap();
    // A value cut short, in the middle of the keyspace.
    let key = v3_envelope_key(fid, 15);
    let whole = mail.get(key).unwrap().unwrap();
    mail.insert(key, &whole[..whole.len() - 1]).unwrap();
    let before: Vec<_> = mail.iter().collect::<Result<_, _>>().unwrap();

    let (from, step) = STEPS[0];
    assert_eq!(from, 2);
    assert!(step(&db).is_err());
    let after: Vec<_> = mail.iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(after, before, "a failed step leaves the data as it was");
    assert_eq!(migrate::version(&db.open_tree(META_TREE).unwrap()).unwrap(), Some(2));

    assert_eq!(migrate::prepare(&db).unwrap(), Outcome::Rebuilt(2));
    assert_eq!(migrate::version(&db.open_tree(META_TREE).unwrap()).unwrap(), Some(SCHEMA));
    assert!(db.open_tree(MAIL_TREE).unwrap().is_empty());
    assert!(db.open_tree(FOLDERS_TREE).unwrap().is_empty());
}

#[test]
fn keys_left_behind_by_an_interrupted_step_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let fids = fixture.write(dir.path(), Some(SCHEMA), Layout::V5);
    let fid = fids[&("a".to_string(), "INBOX".to_string())];
    {
        // As if Tern stopped after the 3 → 4 and 4 → 5 steps committed, before removing the
        // old keys.
        let db = raw_db(dir.path());
        let first = &fixture.folders[0].envelopes[0];
        let mail = db.open_tree(MAIL_TREE).unwrap();
        mail.insert(v3_envelope_key(fid, 1), encode(first).unwrap()).unwrap();
        mail.insert(migrate::v4_date_key(fid, first.received, first.uid), &[]).unwrap();
        db.flush().unwrap();
    }
    assert_eq!(prepare(dir.path()), Outcome::Current);
    let db = raw_db(dir.path());
    assert_eq!(db.open_tree(MAIL_TREE).unwrap().scan_prefix([b'e']).count(), 0);
    assert_eq!(db.open_tree(MAIL_TREE).unwrap().scan_prefix([b'd']).count(), 0);
    drop(db);
    fixture.assert_held_by(&reopen(dir.path()), &fids);
}

#[test]
fn migration_steps_lead_from_each_version_to_the_current_one() {
    let starts: Vec<u32> = STEPS.iter().map(|(from, _)| *from).collect();
    let oldest = starts[0];
    assert_eq!(starts, (oldest..SCHEMA).collect::<Vec<_>>(), "one step per version, in order, up to SCHEMA");
}

#[test]
fn version_2_envelopes_decode_as_tern_wrote_them() {
    // Postcard bytes of this envelope as written by schema version 2 (Tern before the snippet).
    let bytes = [
        7, 1, 0, 1, 0, 0, 1, 5, 36, 74, 117, 110, 107, 128, 196, 159, 213, 12, 255, 197, 10, 128, 16, 2, 72,
        105, 1, 1, 3, 65, 110, 110, 7, 97, 64, 120, 46, 111, 114, 103, 1, 0, 7, 98, 64, 121, 46, 110, 101,
        116, 0, 1, 3, 109, 64, 120, 0, 1, 3, 114, 64, 120, 1, 255, 255, 255, 255, 255, 255, 255, 255, 255, 1,
        172, 2,
    ];
    let expected = Envelope {
        uid: 7,
        flags: FlagState {
            flags: MessageFlags { seen: true, flagged: true, ..Default::default() },
            keywords: vec!["$Junk".into()],
        },
        received: 1_700_000_000,
        date: -86_400,
        size: 2048,
        subject: "Hi".into(),
        from: vec![Address { name: Some("Ann".into()), email: "a@x.org".into() }],
        to: vec![Address { name: None, email: "b@y.net".into() }],
        cc: vec![],
        message_id: Some("m@x".into()),
        in_reply_to: None,
        references: vec!["r@x".into()],
        has_attachment: true,
        thread_id: u64::MAX,
        modseq: 300,
        snippet: None,
    };
    let old: EnvelopeV2 = decode(&bytes).unwrap();
    assert_eq!(encode(&old).unwrap(), bytes);
    assert_eq!(Envelope::from(old), expected);
    // The version 3 layout differs: a version 2 value is not a valid version 3 envelope.
    assert!(decode::<Envelope>(&bytes).is_err());
}

#[test]
fn a_snippet_survives_the_sync_writing_the_envelope_again() {
    let with = |snippet: Option<&str>, seen: bool| Envelope {
        snippet: snippet.map(Into::into),
        ..full(1, 100, seen)
    };
    let seen = FlagState { flags: MessageFlags { seen: true, ..Default::default() }, keywords: vec![] };
    // (changes after the envelope was cached with the snippet "Hello", snippet afterwards)
    let cases = [
        (
            "upsert from the sync",
            FolderChanges { upserts: vec![with(None, true)], ..Default::default() },
            Some("Hello"),
        ),
        (
            "two upserts in one set",
            FolderChanges { upserts: vec![with(None, true), with(None, false)], ..Default::default() },
            Some("Hello"),
        ),
        (
            "flag update",
            FolderChanges { flag_updates: vec![(1, seen, 9)], ..Default::default() },
            Some("Hello"),
        ),
        (
            "a new snippet",
            FolderChanges { upserts: vec![with(Some("Bye"), true)], ..Default::default() },
            Some("Bye"),
        ),
        ("removed, then cached again", FolderChanges { removals: vec![1], ..Default::default() }, None),
    ];
    for (what, changes, snippet) in cases {
        let (_dir, store) = open();
        let fid = store.folder_id_or_create("a", "INBOX").unwrap();
        store
            .apply(fid, FolderChanges { upserts: vec![with(Some("Hello"), false)], ..Default::default() })
            .unwrap();
        store.apply(fid, changes).unwrap();
        store.apply(fid, FolderChanges { upserts: vec![with(None, true)], ..Default::default() }).unwrap();
        let cached = store.envelope(fid, 1).unwrap().unwrap();
        assert_eq!(cached.snippet.as_deref(), snippet, "{what}");
        assert!(cached.flags.flags.seen, "{what}: the rest is the sync's");
        assert_eq!(store.page(fid, 0, 10).unwrap(), vec![cached], "{what}");
    }
}

#[test]
#[ignore = "a timing, not a check: cargo test -p tern-core --lib --release migrating -- --ignored --nocapture"]
fn migrating_a_hundred_thousand_envelopes() {
    const COUNT: u32 = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture {
        folders: vec![Cached {
            account: "a",
            path: "INBOX",
            envelopes: (1..=COUNT)
                .map(|uid| full(uid, 1_600_000_000 + i64::from(uid) * 60, uid.is_multiple_of(3)))
                .collect(),
        }],
        quota: StorageQuota::default(),
    };
    let fids = fixture.write(dir.path(), Some(2), Layout::V2);
    let started = std::time::Instant::now();
    let store = reopen(dir.path());
    println!("migrated {COUNT} envelopes in {:?}", started.elapsed());
    let fid = fids[&("a".to_string(), "INBOX".to_string())];
    assert_eq!(store.uids(fid).unwrap().len(), COUNT as usize);
    assert_eq!(store.envelope(fid, COUNT).unwrap().as_ref(), fixture.folders[0].envelopes.last());
}

mod contents {
    use super::super::Store;
    use crate::imap::content::{MessageContent, Shown};
    use crate::store::FolderChanges;

    fn content(text: &str) -> MessageContent {
        MessageContent {
            shown: vec![Shown::Text(text.to_string())],
            inline: vec![],
            attachments: vec![],
            problems: vec![],
        }
    }

    #[test]
    fn contents_are_kept_under_the_budget_least_recently_used_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let fid = store.folder_id_or_create("a", "INBOX").unwrap();
        let body = "x".repeat(1_000);
        for uid in 1..=3 {
            store.put_content(fid, uid, &content(&body), u64::MAX).unwrap();
        }
        let one = store.content_usage().unwrap() / 3;
        // Reading 1 makes 2 the least recently used.
        assert_eq!(store.content(fid, 1).unwrap(), Some(content(&body)));
        store.put_content(fid, 4, &content(&body), 3 * one).unwrap();
        let cached: Vec<bool> = (1..=4).map(|uid| store.content(fid, uid).unwrap().is_some()).collect();
        assert_eq!(cached, [true, false, true, true]);
        assert_eq!(store.content_usage().unwrap(), 3 * one);

        // Replacing an entry does not count it twice; removals and cleared folders drop theirs.
        store.put_content(fid, 4, &content(&body), u64::MAX).unwrap();
        assert_eq!(store.content_usage().unwrap(), 3 * one);
        store.apply(fid, FolderChanges { removals: vec![3], ..Default::default() }).unwrap();
        assert_eq!(store.content(fid, 3).unwrap(), None);
        store.clear_folder(fid).unwrap();
        assert_eq!(store.content(fid, 1).unwrap(), None);
        assert_eq!(store.content_usage().unwrap(), 0);
        drop(store);
        // And the usage survives a reopen (once sled's background thread has let go of the lock).
        let store = super::reopen(dir.path());
        store.put_content(fid, 9, &content("y"), u64::MAX).unwrap();
        assert!(store.content_usage().unwrap() > 0);
        assert_eq!(store.content(fid, 9).unwrap(), Some(content("y")));
    }
}

/// A head read in place keeps every field after the recipients it reads past, whatever the
/// recipients: none, several, with and without names, non-ASCII.
#[test]
fn heads_read_past_the_recipients_exactly() {
    let person =
        |name: Option<&str>, email: &str| Address { name: name.map(Into::into), email: email.into() };
    let cases: [(&str, Vec<Address>, Vec<Address>); 4] = [
        ("no recipients", vec![], vec![]),
        ("one each", vec![person(Some("Bo"), "bo@example.org")], vec![person(None, "cy@example.org")]),
        (
            "several, named and not",
            vec![
                person(Some("Dé Ü"), "de@example.org"),
                person(None, "ed@example.org"),
                person(Some(""), "f@x"),
            ],
            vec![],
        ),
        ("copies only", vec![], vec![person(Some("Gil"), "gil@example.org"); 3]),
    ];
    let (_dir, store) = open();
    let fid = store.folder_id_or_create("acct", "INBOX").unwrap();
    let mut written = Vec::new();
    for (i, (_, to, cc)) in cases.iter().enumerate() {
        let mut e = env(i as u32 + 1, 1_000 + i as i64, i % 2 == 0);
        e.to = to.clone();
        e.cc = cc.clone();
        e.flags.keywords = (0..i).map(|k| format!("$label{k}")).collect();
        e.in_reply_to = Some(format!("parent-{i}@example.org"));
        e.references = (0..i).map(|r| format!("ref-{r}@example.org")).collect();
        written.push(e);
    }
    store.apply(fid, FolderChanges { upserts: written.clone(), fresh: true, ..Default::default() }).unwrap();
    let mut read = Vec::new();
    store
        .each_envelope_head(fid, |h| {
            read.push((
                h.uid,
                h.flags,
                h.keywords.iter().map(|k| k.to_string()).collect::<Vec<_>>(),
                h.from.iter().map(|a| (a.name.map(str::to_string), a.email.to_string())).collect::<Vec<_>>(),
                h.message_id.map(str::to_string),
                h.in_reply_to.map(str::to_string),
                h.references.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
            ))
        })
        .unwrap();
    for ((what, _, _), (e, r)) in cases.iter().zip(written.iter().zip(&read)) {
        let from: Vec<_> = e.from.iter().map(|a| (a.name.clone(), a.email.clone())).collect();
        assert_eq!(
            r,
            &(
                e.uid,
                e.flags.flags,
                e.flags.keywords.clone(),
                from,
                e.message_id.clone(),
                e.in_reply_to.clone(),
                e.references.clone()
            ),
            "{what}"
        );
    }
    assert_eq!(read.len(), cases.len());
}

/// The newest-first index in runs: after each change set of a table (first-sync chunks newest
/// first, new mail, messages of one second, removals that empty runs, an envelope written again
/// with another arrival time, random sets), every page agrees with a sorted list of what should
/// be there, every run holds at most [`RUN_MAX`] entries, and the runs are in order.
#[test]
fn the_newest_first_index_in_runs_follows_every_change() {
    type Step = (&'static str, Vec<(u32, i64)>, Vec<u32>);
    let mut rng = fastrand::Rng::with_seed(5);
    let mut random: Vec<Step> = Vec::new();
    for round in 0..6u32 {
        let upserts = (0..150).map(|_| (rng.u32(1..3_000), rng.i64(-5_000..5_000))).collect();
        let removals = (0..60).map(|_| rng.u32(1..3_000)).collect();
        random.push((if round % 2 == 0 { "random set" } else { "random set again" }, upserts, removals));
    }
    let mut steps: Vec<Step> = vec![
        ("first screen", (1_951..=2_000).map(|uid| (uid, i64::from(uid) * 60)).collect(), vec![]),
        ("first chunk, older", (1..=1_950).rev().map(|uid| (uid, i64::from(uid) * 60)).collect(), vec![]),
        ("new mail", vec![(2_001, 200_000), (2_002, 200_000)], vec![]),
        ("one second, many messages", (2_003..=2_400).map(|uid| (uid, 150_000)).collect(), vec![]),
        ("an old message arrives late", vec![(2_401, -1_000_000)], vec![]),
        ("written again, another time", vec![(10, 300_000), (2_003, -2_000_000)], vec![]),
        ("removals that empty runs", vec![], (1_000..=1_700).collect()),
        ("the newest and the oldest go", vec![], vec![2_401, 10, 2_002]),
    ];
    steps.extend(random);
    steps.push(("everything goes", vec![], (1..3_000).collect()));

    let (_dir, store) = open();
    let fid = store.folder_id_or_create("a", "INBOX").unwrap();
    let mut model: BTreeMap<u32, i64> = BTreeMap::new();
    for (what, upserts, removals) in steps {
        let envelopes: Vec<Envelope> =
            upserts.iter().map(|&(uid, received)| env(uid, received, true)).collect();
        store
            .apply(
                fid,
                FolderChanges { upserts: envelopes, removals: removals.clone(), ..Default::default() },
            )
            .unwrap();
        for (uid, received) in upserts {
            model.insert(uid, received);
        }
        for uid in removals {
            model.remove(&uid);
        }
        let mut expected: Vec<(i64, u32)> = model.iter().map(|(&uid, &received)| (received, uid)).collect();
        expected.sort_by_key(|&(received, uid)| (std::cmp::Reverse(received), uid));
        let expected: Vec<u32> = expected.into_iter().map(|(_, uid)| uid).collect();
        let uids = |offset, limit| -> Vec<u32> {
            store.page(fid, offset, limit).unwrap().iter().map(|e| e.uid).collect()
        };
        assert_eq!(uids(0, 50), expected.iter().take(50).copied().collect::<Vec<_>>(), "{what}: first page");
        assert_eq!(uids(0, 5_000), expected, "{what}: everything from the runs");
        for offset in [1, 199, 256, 1_000] {
            let want: Vec<u32> = expected.iter().skip(offset).take(100).copied().collect();
            assert_eq!(uids(offset, 100), want, "{what}: page at {offset}");
        }
        let runs: Vec<(sled::IVec, sled::IVec)> =
            store.mail.scan_prefix(prefixed(b'r', fid)).collect::<Result<_, _>>().unwrap();
        let mut previous: Option<DateEntry> = None;
        for (key, value) in &runs {
            let entries: Vec<DateEntry> = run_entries(value).unwrap().collect();
            assert!(!entries.is_empty() && entries.len() <= RUN_MAX, "{what}: a run of {}", entries.len());
            assert_eq!(run_start(key).unwrap(), entries[0], "{what}: a run is keyed by its first entry");
            assert!(entries.windows(2).all(|w| w[0] < w[1]), "{what}: a run in order");
            assert!(previous.is_none_or(|p| p < entries[0]), "{what}: runs in order");
            previous = entries.last().copied();
        }
    }
}

#[test]
fn arrivals_come_from_the_date_index_and_their_digest_follows_membership_only() {
    let (_dir, store) = open();
    let fid = store.folder_id_or_create("a", "INBOX").unwrap();
    let upserts = vec![env(1, 100, true), env(2, -50, false), env(3, 300, true), env(700, 300, true)];
    store.apply(fid, FolderChanges { upserts, ..Default::default() }).unwrap();
    let first = store.arrivals(fid).unwrap();
    // Newest first, equal times by UID, times before 1970 included.
    assert_eq!(first.messages, vec![(3, 300), (700, 300), (1, 100), (2, -50)]);
    assert_eq!(store.arrivals(fid).unwrap(), first, "reading again gives the same");

    let flag = FlagState {
        flags: MessageFlags { seen: true, flagged: true, ..Default::default() },
        keywords: vec![],
    };
    let cases: Vec<(&str, FolderChanges, bool)> = vec![
        ("a flag changed", FolderChanges { flag_updates: vec![(2, flag, 9)], ..Default::default() }, false),
        (
            "a message arrived",
            FolderChanges { upserts: vec![env(701, 200, false)], ..Default::default() },
            true,
        ),
        ("a message left", FolderChanges { removals: vec![1], ..Default::default() }, true),
        ("another message left", FolderChanges { removals: vec![3], ..Default::default() }, true),
    ];
    let mut before = first;
    for (name, changes, moves) in cases {
        store.apply(fid, changes).unwrap();
        let after = store.arrivals(fid).unwrap();
        assert_eq!(after.digest != before.digest, moves, "{name}");
        before = after;
    }
    store.apply(fid, FolderChanges { upserts: vec![env(3, 301, true)], ..Default::default() }).unwrap();
    let back = store.arrivals(fid).unwrap();
    assert_ne!(back.digest, before.digest);
    assert_eq!(back.messages, vec![(3, 301), (700, 300), (701, 200), (2, -50)]);
    assert!(store.arrivals(store.folder_id_or_create("a", "Empty").unwrap()).unwrap().messages.is_empty());
}

#[test]
fn derived_data_goes_with_any_folder_it_came_from() {
    let (_dir, store) = open();
    let inbox = store.folder_id_or_create("a", "INBOX").unwrap();
    let sent = store.folder_id_or_create("a", "Sent").unwrap();
    let other = store.folder_id_or_create("b", "INBOX").unwrap();
    store.put_derived("threads", &[inbox, sent], vec![1]).unwrap();
    store.put_derived("threads", &[sent], vec![2]).unwrap();
    store.put_derived("threads", &[other], vec![3]).unwrap();
    store.put_derived("other", &[inbox], vec![4]).unwrap();
    assert_eq!(store.derived("threads", &[inbox, sent]).unwrap().as_deref(), Some(&[1u8][..]));
    assert!(store.derived("threads", &[inbox]).unwrap().is_none(), "another set of folders");

    store.forget_folder("a", "Sent").unwrap();
    assert!(store.derived("threads", &[inbox, sent]).unwrap().is_none());
    assert!(store.derived("threads", &[sent]).unwrap().is_none());
    assert_eq!(store.derived("threads", &[other]).unwrap().as_deref(), Some(&[3u8][..]));
    assert_eq!(store.derived("other", &[inbox]).unwrap().as_deref(), Some(&[4u8][..]));
    store.forget_account("a").unwrap();
    assert!(store.derived("other", &[inbox]).unwrap().is_none());
    assert_eq!(store.derived("threads", &[other]).unwrap().as_deref(), Some(&[3u8][..]));
}

#[test]
fn neighbours_are_read_around_a_message_across_runs() {
    let (_dir, store) = open();
    let fid = store.folder_id_or_create("a", "Archive").unwrap();
    // 700 messages, UID n received at second n: newest first is 700, 699, ..., 1, in several
    // runs of the date index.
    let upserts: Vec<Envelope> = (1..=700).map(|uid| env(uid, i64::from(uid), true)).collect();
    store.apply(fid, FolderChanges { upserts, ..Default::default() }).unwrap();
    let runs = store.mail.scan_prefix(prefixed(b'r', fid)).count();
    assert!(runs >= 3, "{runs} runs");
    // (uid, older, newer) -> neighbours, nearest first, the older side first.
    let table: Vec<(u32, usize, usize, Vec<u32>)> = vec![
        (350, 2, 1, vec![349, 351, 348]),
        (700, 2, 1, vec![699, 698]),
        (1, 2, 1, vec![2]),
        (2, 2, 2, vec![1, 3, 4]),
        (500, 0, 1, vec![501]),
        (9_999, 2, 1, vec![]),
    ];
    for (uid, older, newer, expected) in &table {
        assert_eq!(&store.neighbours(fid, *uid, *older, *newer).unwrap(), expected, "around {uid}");
    }
    // At every run's edge too: the same as the order of the whole folder says.
    let order: Vec<u32> = store.page(fid, 0, 700).unwrap().iter().map(|e| e.uid).collect();
    for (at, uid) in order.iter().enumerate() {
        let mut expected = Vec::new();
        if let Some(next) = order.get(at + 1) {
            expected.push(*next);
        }
        if at > 0 {
            expected.push(order[at - 1]);
        }
        assert_eq!(store.neighbours(fid, *uid, 1, 1).unwrap(), expected, "around {uid}");
    }
}
