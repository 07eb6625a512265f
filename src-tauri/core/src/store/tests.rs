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
