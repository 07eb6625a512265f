//! The sync engine against a real Dovecot: initial sync, resync after another client changed
//! the mailbox (QRESYNC, CONDSTORE only, neither), UIDVALIDITY changes, folders deleted and
//! renamed on the server, and a sync cut off midway. Every scenario ends with
//! [`check_cache_equals_server`]: the cache equals an independent read of the server.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tern_core::Error;
use tern_core::imap::{ImapSession, Timeouts};
use tern_core::sync::{Negotiated, SyncMode, SyncProgress, SyncReport, Syncer};
use tern_tests::sample::{Generator, modified_utf7};
use tern_tests::{DEFAULT_USER, Dovecot, DovecotOptions};

use crate::support::{Account, Recorder, Row, account, check_cache_equals_server, consume, other_client};

fn report<'a>(reports: &'a [SyncReport], path: &str) -> &'a SyncReport {
    reports.iter().find(|r| r.path == path).unwrap_or_else(|| panic!("no report for {path} in {reports:#?}"))
}

/// Messages present before and after whose flags differ.
fn flag_changes(before: &[Row], after: &[Row]) -> u32 {
    let old: HashMap<u32, &Row> = before.iter().map(|r| (r.uid, r)).collect();
    after.iter().filter(|r| old.get(&r.uid).is_some_and(|o| o.flags != r.flags)).count() as u32
}

async fn sync_all(account: &Account) -> Vec<SyncReport> {
    account.engine.sync_account(&account.id, &|_| {}).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initial_sync_caches_exactly_what_the_server_has() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    server.seed(DEFAULT_USER, "INBOX", 5_000, 2025).unwrap();
    server.seed(DEFAULT_USER, "Entwürfe/Übersicht", 7, 3).unwrap();
    server.seed(DEFAULT_USER, "Входящие", 3, 4).unwrap();
    let account = account(&server, DEFAULT_USER, |_| {}).await;

    let progress = Recorder::default();
    let started = Instant::now();
    let reports = account.engine.sync_account(&account.id, &|p| progress.record(p)).await.unwrap();
    eprintln!("initial sync of 5,010 messages: {:?}", started.elapsed());

    let inbox = report(&reports, "INBOX");
    assert_eq!((inbox.mode, inbox.added, inbox.total), (SyncMode::Initial, 5_000, 5_000), "{inbox:?}");
    let steps: Vec<SyncProgress> = progress.seen().into_iter().filter(|p| p.path == "INBOX").collect();
    let (first, last) = (steps.first().unwrap(), steps.last().unwrap());
    assert!(first.done <= 50 && first.total == 5_000, "the first screen comes first: {first:?}");
    assert_eq!((last.done, last.total), (5_000, 5_000), "{steps:?}");
    assert!(steps.windows(2).all(|w| w[0].done < w[1].done), "progress only moves forward: {steps:?}");
    check_cache_equals_server(&account, &server, "INBOX").await;

    // Non-ASCII folder names: modified UTF-7 on the wire, decoded for display.
    let folders = account.engine.cached_folders(&account.id).unwrap();
    for (name, path, count) in [
        ("Übersicht", format!("{}/{}", modified_utf7("Entwürfe"), modified_utf7("Übersicht")), 7),
        ("Входящие", modified_utf7("Входящие"), 3),
    ] {
        let folder =
            folders.iter().find(|f| f.path == path).unwrap_or_else(|| panic!("{path} not in {:#?}", folders));
        assert_eq!(folder.name, name);
        assert!(folder.selectable);
        assert_eq!(report(&reports, &path).added, count);
        assert_eq!(check_cache_equals_server(&account, &server, &path).await.len(), count as usize);
    }
}

/// Another client appends, expunges (STORE + EXPUNGE and UID EXPUNGE), moves and re-flags; the
/// next sync must leave the cache equal to the server in both folders, in `expected` mode, and a
/// sync after that must find nothing to do.
async fn converges_after_another_client(options: DovecotOptions, expected: SyncMode) -> Dovecot {
    let server = Dovecot::start(options).unwrap();
    server.seed(DEFAULT_USER, "INBOX", 600, 11).unwrap();
    server.seed(DEFAULT_USER, "Archive", 40, 12).unwrap();
    let account = account(&server, DEFAULT_USER, |_| {}).await;
    let first = sync_all(&account).await;
    assert_eq!(report(&first, "INBOX").mode, SyncMode::Initial);
    let inbox_before = check_cache_equals_server(&account, &server, "INBOX").await;
    let archive_before = check_cache_equals_server(&account, &server, "Archive").await;
    let uids: Vec<u32> = inbox_before.iter().map(|r| r.uid).collect();
    let uid = |i: usize| uids[i].to_string();

    let mut other = other_client(&server, DEFAULT_USER).await;
    other.select("INBOX").await.unwrap();
    let mut generator = Generator::new(77);
    for flags in [None, Some("(\\Seen)"), Some("(\\Flagged $Important)")] {
        other.append("INBOX", flags, None, generator.next_message().bytes).await.unwrap();
    }
    let five = (0..5).map(uid).collect::<Vec<_>>().join(",");
    consume(other.uid_store(&five, "+FLAGS.SILENT (\\Deleted)").await.unwrap()).await;
    consume(other.expunge().await.unwrap()).await;
    consume(other.uid_store(uid(5), "+FLAGS.SILENT (\\Deleted)").await.unwrap()).await;
    consume(other.uid_expunge(uid(5)).await.unwrap()).await;
    let four = (10..14).map(uid).collect::<Vec<_>>().join(",");
    other.uid_mv(&four, "Archive").await.unwrap();
    for (i, change) in [
        (20, "+FLAGS (\\Seen)"),
        (21, "+FLAGS (\\Flagged)"),
        (22, "+FLAGS ($Tern-Label)"),
        (23, "-FLAGS (\\Seen)"),
        (24, "FLAGS (\\Answered $Forwarded)"),
        (30, "+FLAGS (\\Deleted)"), // marked but not expunged: still listed, as deleted
    ] {
        consume(other.uid_store(uid(i), change).await.unwrap()).await;
    }
    other.select("Archive").await.unwrap();
    consume(other.uid_store("1", "FLAGS (\\Flagged \\Seen)").await.unwrap()).await;
    other.logout().await.unwrap();

    let reports = sync_all(&account).await;
    let inbox_after = check_cache_equals_server(&account, &server, "INBOX").await;
    let archive_after = check_cache_equals_server(&account, &server, "Archive").await;
    let inbox = report(&reports, "INBOX");
    assert_eq!(inbox.mode, expected, "{inbox:?}");
    let expect = (3, flag_changes(&inbox_before, &inbox_after), 10, 593);
    assert_eq!((inbox.added, inbox.changed, inbox.removed, inbox.total), expect, "INBOX: {inbox:?}");
    assert!(inbox.changed >= 4, "the re-flagging changed something: {inbox:?}");
    let archive = report(&reports, "Archive");
    assert_eq!(archive.mode, expected, "{archive:?}");
    let expect = (4, flag_changes(&archive_before, &archive_after), 0, 44);
    assert_eq!(
        (archive.added, archive.changed, archive.removed, archive.total),
        expect,
        "Archive: {archive:?}"
    );
    for (path, rows) in [("INBOX", &inbox_after), ("Archive", &archive_after)] {
        let r = report(&reports, path);
        let unread = rows.iter().filter(|r| !r.flags.flags.seen).count() as u32;
        assert_eq!(r.unread, unread, "{path}: {r:?}");
    }

    // Nothing changed since: nothing to do, nothing touched.
    let again = sync_all(&account).await;
    let idle = if expected == SyncMode::FullScan { SyncMode::FullScan } else { SyncMode::Unchanged };
    for r in &again {
        assert_eq!((r.mode, r.added, r.changed, r.removed), (idle, 0, 0, 0), "{r:?}");
    }
    assert_eq!(check_cache_equals_server(&account, &server, "INBOX").await, inbox_after);
    assert_eq!(check_cache_equals_server(&account, &server, "Archive").await, archive_after);
    server
}

/// With QRESYNC, the SELECT names every change (RFC 7162 3.2.5): no FETCH of changes follows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resync_with_qresync_converges() {
    let server = converges_after_another_client(DovecotOptions::default().rawlog(), SyncMode::Qresync).await;
    let commands: Vec<String> =
        server.commands().into_iter().flatten().map(|l| l.to_ascii_uppercase()).collect();
    let resyncs = commands.iter().filter(|c| c.contains(" SELECT ") && c.contains("(QRESYNC (")).count();
    assert!(resyncs >= 2, "the resyncs of INBOX and Archive selected with QRESYNC: {commands:?}");
    let fetched: Vec<&String> = commands.iter().filter(|c| c.contains("CHANGEDSINCE")).collect();
    assert!(fetched.is_empty(), "no FETCH of changes after such a SELECT: {fetched:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resync_with_condstore_only_converges() {
    converges_after_another_client(DovecotOptions::default().condstore_only(), SyncMode::Condstore).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resync_without_condstore_converges_by_full_scan() {
    converges_after_another_client(DovecotOptions::default().without_qresync(), SyncMode::FullScan).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_account_switch_turns_condstore_off() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    server.seed(DEFAULT_USER, "INBOX", 50, 5).unwrap();
    let account = account(&server, DEFAULT_USER, |s| s.disable_condstore = true).await;
    sync_all(&account).await;
    let mut other = other_client(&server, DEFAULT_USER).await;
    other.select("INBOX").await.unwrap();
    consume(other.uid_store("7", "+FLAGS (\\Flagged)").await.unwrap()).await;
    other.logout().await.unwrap();
    let inbox = account.engine.sync_folder(&account.id, "INBOX", &|_| {}).await.unwrap();
    assert_eq!((inbox.mode, inbox.changed), (SyncMode::FullScan, 1), "{inbox:?}");
    check_cache_equals_server(&account, &server, "INBOX").await;
}

/// A folder whose every message was moved away: the cache must end up empty too, whichever
/// resync the server allows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resync_empties_a_folder_emptied_on_the_server() {
    let table = [
        ("qresync", DovecotOptions::default(), SyncMode::Qresync),
        ("condstore", DovecotOptions::default().condstore_only(), SyncMode::Condstore),
        ("neither", DovecotOptions::default().without_qresync(), SyncMode::FullScan),
    ];
    let mut failures = Vec::new();
    for (name, options, mode) in table {
        let server = Dovecot::start(options).unwrap();
        server.seed(DEFAULT_USER, "Work", 5, 9).unwrap();
        let account = account(&server, DEFAULT_USER, |_| {}).await;
        sync_all(&account).await;
        let mut other = other_client(&server, DEFAULT_USER).await;
        other.select("Work").await.unwrap();
        other.uid_mv("1:*", "Archive").await.unwrap();
        other.logout().await.unwrap();
        let work = account.engine.sync_folder(&account.id, "Work", &|_| {}).await.unwrap();
        let cached = account.engine.cached_envelopes(&account.id, "Work").unwrap().len();
        if (work.mode, work.removed, work.total, cached) != (mode, 5, 0, 0) {
            failures.push(format!("{name}: {work:?}, {cached} envelopes still cached"));
        }
    }
    assert!(failures.is_empty(), "stale messages stay cached:\n{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uidvalidity_change_drops_and_refetches_the_folder() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    server.seed(DEFAULT_USER, "INBOX", 300, 21).unwrap();
    let account = account(&server, DEFAULT_USER, |_| {}).await;
    sync_all(&account).await;
    let before = check_cache_equals_server(&account, &server, "INBOX").await;
    let old = account.engine.folder_states(&account.id).unwrap();
    let old_validity = old.iter().find(|(p, _)| p == "INBOX").unwrap().1.uidvalidity;

    let new_validity = old_validity.wrapping_add(1000).to_string();
    server
        .doveadm(&["mailbox", "update", "--uid-validity", &new_validity, "-u", DEFAULT_USER, "INBOX"])
        .unwrap();
    let inbox = account.engine.sync_folder(&account.id, "INBOX", &|_| {}).await.unwrap();
    assert_eq!((inbox.mode, inbox.added, inbox.total), (SyncMode::UidValidityReset, 300, 300), "{inbox:?}");
    assert_eq!(check_cache_equals_server(&account, &server, "INBOX").await.len(), before.len());
    let states = account.engine.folder_states(&account.id).unwrap();
    assert_eq!(states.iter().find(|(p, _)| p == "INBOX").unwrap().1.uidvalidity.to_string(), new_validity);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folders_deleted_or_renamed_on_the_server_follow_in_the_cache() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    server.seed(DEFAULT_USER, "INBOX", 20, 31).unwrap();
    server.seed(DEFAULT_USER, "Projects", 30, 32).unwrap();
    server.seed(DEFAULT_USER, "Old", 12, 33).unwrap();
    let account = account(&server, DEFAULT_USER, |_| {}).await;
    sync_all(&account).await;
    let old_rows = check_cache_equals_server(&account, &server, "Old").await;

    server.doveadm(&["mailbox", "delete", "-u", DEFAULT_USER, "Projects"]).unwrap();
    server.doveadm(&["mailbox", "rename", "-u", DEFAULT_USER, "Old", "New"]).unwrap();
    let reports = sync_all(&account).await;

    let paths: Vec<String> =
        account.engine.cached_folders(&account.id).unwrap().into_iter().map(|f| f.path).collect();
    let states: Vec<String> =
        account.engine.folder_states(&account.id).unwrap().into_iter().map(|s| s.0).collect();
    for gone in ["Projects", "Old"] {
        assert!(!paths.iter().any(|p| p == gone), "{gone} still listed: {paths:?}");
        assert!(!states.iter().any(|p| p == gone), "{gone} still has a state: {states:?}");
        assert!(account.engine.cached_envelopes(&account.id, gone).unwrap().is_empty());
    }
    assert!(paths.iter().any(|p| p == "New") && states.iter().any(|p| p == "New"), "{paths:?} {states:?}");
    let new = report(&reports, "New");
    assert!(new.mode != SyncMode::Initial && new.added == 0, "the renamed folder kept its cache: {new:?}");
    let new_rows = check_cache_equals_server(&account, &server, "New").await;
    assert_eq!(new_rows, old_rows, "same messages under the new name");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_cut_off_midway_is_completed_by_the_next_one() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    let started = Instant::now();
    let seeded = server.seed_linked(DEFAULT_USER, "INBOX", 20_000, 1_000, 41).unwrap();
    eprintln!("seeded 20,000 messages ({} MB) in {:?}", seeded.bytes / 1_000_000, started.elapsed());
    let account = account(&server, DEFAULT_USER, |_| {}).await;

    let calls = Recorder::default();
    let kick = |p: SyncProgress| {
        calls.record(p);
        if calls.seen().len() == 2 {
            // The server drops the session between two chunks, as a network cut would.
            server.doveadm(&["kick", DEFAULT_USER]).unwrap();
        }
    };
    let cut = tokio::time::timeout(
        Duration::from_secs(120),
        account.engine.sync_folder(&account.id, "INBOX", &kick),
    )
    .await
    .expect("the cut-off sync returns instead of hanging");
    match &cut {
        Err(Error::ConnectionLost(_) | Error::Protocol(_)) => {}
        other => panic!("expected a lost connection, got {other:?} after {:?}", calls.seen()),
    }
    let partial = account.engine.cached_envelopes(&account.id, "INBOX").unwrap().len();
    assert!((1..20_000).contains(&partial), "{partial} cached after the cut");
    // Nothing the cut-off sync read is still being written once it has returned.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let later = account.engine.cached_envelopes(&account.id, "INBOX").unwrap().len();
    assert_eq!(later, partial, "the cache grew after the sync returned");
    let states = account.engine.folder_states(&account.id).unwrap();
    assert!(!states.iter().find(|(p, _)| p == "INBOX").unwrap().1.complete, "{states:?}");

    let progress = Recorder::default();
    let started = Instant::now();
    let inbox = account.engine.sync_folder(&account.id, "INBOX", &|p| progress.record(p)).await.unwrap();
    eprintln!("repair sync: {:?}", started.elapsed());
    assert_eq!(inbox.mode, SyncMode::FullScan, "{inbox:?}");
    assert_eq!((inbox.added as usize, inbox.total), (20_000 - partial, 20_000), "{inbox:?}");
    let last = progress.seen().last().cloned().unwrap();
    assert_eq!(last.done, last.total, "{last:?}");
    let started = Instant::now();
    check_cache_equals_server(&account, &server, "INBOX").await;
    eprintln!("independent check: {:?}", started.elapsed());
    // And the folder is whole again: the next sync has nothing to do.
    let next = account.engine.sync_folder(&account.id, "INBOX", &|_| {}).await.unwrap();
    assert_eq!(next.mode, SyncMode::Unchanged, "{next:?}");
}

/// Another client expunges, re-flags and delivers while the initial sync is under way (between
/// its first and second chunk): the sync may finish or fail, but one more sync converges.
///
/// Regression guard: the flag change of an already fetched message reaches the syncing session
/// as an unsolicited `* n FETCH (UID u FLAGS (...))` inside a later chunk's FETCH; it must not
/// be cached as an envelope (it has no INTERNALDATE, size or headers).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_during_an_initial_sync_are_caught_by_the_next_sync() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    server.seed_linked(DEFAULT_USER, "INBOX", 5_000, 500, 51).unwrap();
    let account = account(&server, DEFAULT_USER, |_| {}).await;
    let calls = Recorder::default();
    let meddle = |p: SyncProgress| {
        calls.record(p);
        if calls.seen().len() == 1 {
            let u = DEFAULT_USER;
            // Not fetched yet (low UIDs), and already fetched (the first screen).
            server.doveadm(&["expunge", "-u", u, "mailbox", "INBOX", "uid", "1:10"]).unwrap();
            server.doveadm(&["expunge", "-u", u, "mailbox", "INBOX", "uid", "4991:4995"]).unwrap();
            server
                .doveadm(&["flags", "add", "-u", u, "\\Flagged", "mailbox", "INBOX", "uid", "4999"])
                .unwrap();
            server.doveadm(&["flags", "add", "-u", u, "$Later", "mailbox", "INBOX", "uid", "100"]).unwrap();
            server.append(u, "INBOX", &Generator::new(52).next_message().bytes).unwrap();
        }
    };
    let first = account.engine.sync_folder(&account.id, "INBOX", &meddle).await;
    eprintln!("initial sync with concurrent changes: {first:?}");
    let second = account.engine.sync_folder(&account.id, "INBOX", &|_| {}).await.unwrap();
    eprintln!("next sync: {second:?}");
    let rows = check_cache_equals_server(&account, &server, "INBOX").await;
    assert_eq!(rows.len(), 5_000 - 15 + 1);
}

/// The account's storage quota is read during a sync and kept in the cache.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_quota_is_recorded_by_a_sync() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    server.seed(DEFAULT_USER, "INBOX", 30, 7).unwrap();
    let acct = account(&server, DEFAULT_USER, |_| {}).await;
    assert_eq!(acct.engine.quota(&acct.id).unwrap(), None, "unknown before the first sync");
    acct.engine.sync_account(&acct.id, &|_| {}).await.unwrap();
    let quota = acct.engine.quota(&acct.id).unwrap().expect("Dovecot reports a quota");
    assert_eq!(quota.limit_kib, 2 * 1024 * 1024);
    assert!(quota.used_kib > 0, "{quota:?}");
}

/// A Dovecot with `count` messages in INBOX, an account synced with it (the cache as it was
/// checked against the server), and a session of that account with INBOX selected, as the
/// IDLE connection has it.
async fn inbox_selected(count: usize, seed: u64) -> (Dovecot, Account, Vec<Row>, ImapSession, Negotiated) {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    server.seed(DEFAULT_USER, "INBOX", count, seed).unwrap();
    let account = account(&server, DEFAULT_USER, |_| {}).await;
    sync_all(&account).await;
    let before = check_cache_equals_server(&account, &server, "INBOX").await;
    let (mut session, negotiated) = account.engine.session(&account.id).await.unwrap();
    session.select_condstore("INBOX").await.unwrap();
    (server, account, before, session, negotiated)
}

/// Another client's changes to the selected folder: the messages at positions `expunged` of
/// `before` expunged, those at `flagged` flagged.
async fn expunge_and_flag(
    other: &mut ImapSession,
    before: &[Row],
    expunged: [usize; 3],
    flagged: std::ops::Range<usize>,
) {
    let uid = |i: usize| before[i].uid.to_string();
    let three = expunged.map(uid).join(",");
    consume(other.uid_store(&three, "+FLAGS.SILENT (\\Deleted)").await.unwrap()).await;
    consume(other.uid_expunge(&three).await.unwrap()).await;
    for i in flagged {
        consume(other.uid_store(uid(i), "+FLAGS (\\Flagged)").await.unwrap()).await;
    }
}

/// A syncer on `session` for `account`'s cache.
fn syncer<'a>(account: &'a Account, session: &'a mut ImapSession, negotiated: &'a Negotiated) -> Syncer<'a> {
    fn ignore(_: SyncProgress) {}
    Syncer {
        session,
        store: account.engine.store(),
        account_id: &account.id,
        negotiated,
        progress: &ignore,
        timeouts: Timeouts::default(),
    }
}

/// The IDLE connection's resync of the inbox it already has selected: no STATUS, no SELECT,
/// one CHANGEDSINCE fetch. After another client appends, expunges and re-flags, and after it
/// empties the folder, the cache equals the server; a sync after that has nothing to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_selected_inbox_resyncs_without_selecting_it_again() {
    let (server, account, before, mut session, negotiated) = inbox_selected(300, 21).await;
    let noop = |_: SyncProgress| {};
    let mut syncer = syncer(&account, &mut session, &negotiated);

    let mut other = other_client(&server, DEFAULT_USER).await;
    other.select("INBOX").await.unwrap();
    let mut generator = Generator::new(78);
    for _ in 0..2 {
        other.append("INBOX", Some("(\\Seen)"), None, generator.next_message().bytes).await.unwrap();
    }
    expunge_and_flag(&mut other, &before, [0, 1, 2], 10..14).await;
    // The news reaches this session (the IDLE connection would hear it during IDLE).
    syncer.session.noop().await.unwrap();
    let report = syncer.selected("INBOX").await.unwrap();
    let after = check_cache_equals_server(&account, &server, "INBOX").await;
    assert_eq!(
        (report.mode, report.added, report.changed, report.removed, report.total),
        (SyncMode::Qresync, 2, flag_changes(&before, &after), 3, 299),
        "{report:?}"
    );
    assert!(report.changed >= 3, "the flags changed: {report:?}");
    let again = syncer.selected("INBOX").await.unwrap();
    assert_eq!((again.added, again.changed, again.removed), (0, 0, 0), "{again:?}");

    // Everything moved away: the folder is empty on the server and in the cache.
    other.uid_mv("1:*", "Archive").await.unwrap();
    other.logout().await.unwrap();
    syncer.session.noop().await.unwrap();
    let emptied = syncer.selected("INBOX").await.unwrap();
    assert_eq!((emptied.removed, emptied.total), (after.len() as u32, 0), "{emptied:?}");
    assert!(check_cache_equals_server(&account, &server, "INBOX").await.is_empty());
    session.logout().await.unwrap();
    let settled = account.engine.sync_folder(&account.id, "INBOX", &noop).await.unwrap();
    assert_eq!((settled.added, settled.changed, settled.removed, settled.total), (0, 0, 0, 0), "{settled:?}");
}

/// New inbox mail first: `Syncer::arrivals` brings in only the messages past the cached UIDNEXT
/// (the flag changes and expunges made at the same time wait), and the `selected` resync after
/// it finds those, without counting the new messages again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_inbox_mail_comes_in_before_the_full_check() {
    let (server, account, before, mut session, negotiated) = inbox_selected(200, 22).await;
    let noop = |_: SyncProgress| {};
    let mut syncer = syncer(&account, &mut session, &negotiated);

    // Nothing new: the server's answer to `uidnext:*` (the last message) is not taken as new.
    let nothing = syncer.arrivals("INBOX").await.unwrap().expect("Dovecot offers QRESYNC");
    assert_eq!((nothing.added, nothing.total), (0, 200), "{nothing:?}");

    let mut other = other_client(&server, DEFAULT_USER).await;
    other.select("INBOX").await.unwrap();
    let mut generator = Generator::new(79);
    other.append("INBOX", Some("(\\Seen)"), None, generator.next_message().bytes).await.unwrap();
    other.append("INBOX", None, None, generator.next_message().bytes).await.unwrap();
    expunge_and_flag(&mut other, &before, [5, 6, 7], 20..24).await;
    other.logout().await.unwrap();
    syncer.session.noop().await.unwrap();

    let arrived = syncer.arrivals("INBOX").await.unwrap().expect("Dovecot offers QRESYNC");
    let newest = before.iter().map(|e| e.uid).max().unwrap();
    assert_eq!(arrived.added_uids, vec![newest + 2, newest + 1], "newest first: {arrived:?}");
    assert_eq!(
        (arrived.changed, arrived.removed, arrived.total, arrived.unread - nothing.unread),
        (0, 0, 202, 1)
    );
    let fid = account.engine.store().folder_id(&account.id, "INBOX").unwrap().unwrap();
    assert!(account.engine.store().envelope(fid, before[5].uid).unwrap().is_some(), "expunges wait");
    assert!(syncer.arrivals("INBOX").await.unwrap().unwrap().added_uids.is_empty(), "each arrival once");

    let rest = syncer.selected("INBOX").await.unwrap();
    let after = check_cache_equals_server(&account, &server, "INBOX").await;
    assert_eq!(
        (rest.added, rest.changed, rest.removed, rest.total),
        (0, flag_changes(&before, &after), 3, 199),
        "{rest:?}"
    );
    assert!(rest.changed >= 3, "the flags changed: {rest:?}");
    let again = syncer.selected("INBOX").await.unwrap();
    assert_eq!((again.added, again.changed, again.removed), (0, 0, 0), "{again:?}");
    session.logout().await.unwrap();
    let settled = account.engine.sync_folder(&account.id, "INBOX", &noop).await.unwrap();
    assert_eq!((settled.added, settled.changed, settled.removed), (0, 0, 0), "{settled:?}");
}
