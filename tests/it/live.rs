//! The live engine against a real Dovecot: push, polling, outages, dead connections, refused
//! passwords, and a bounded shutdown.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tern_core::imap::Timeouts;
use tern_core::live::{AccountState, Backoff, FlagChange, LiveEvent, LiveSettings, Supervisor};
use tern_core::secrets::SecretStore;
use tern_tests::sample::Generator;
use tern_tests::{DEFAULT_USER, Dovecot, DovecotOptions, Proxy};
use tokio::sync::Notify;

use crate::support::{
    Account, MemorySecrets, account_with, check_cache_equals_server, consume, other_client,
};

/// Short timings so faults show within seconds.
fn quick() -> LiveSettings {
    LiveSettings {
        idle_timeout: Duration::from_secs(3),
        done_timeout: Duration::from_secs(2),
        poll_interval: Duration::from_secs(1),
        backoff: Backoff { base: Duration::from_millis(200), cap: Duration::from_secs(1) },
        batch_window: Duration::from_millis(50),
        shutdown_grace: Duration::from_secs(3),
        ..LiveSettings::default()
    }
}

fn quick_timeouts() -> Timeouts {
    Timeouts { connect: Duration::from_secs(2), command: Duration::from_secs(4) }
}

/// Every event the supervisor delivered, and a wake-up for waiters.
#[derive(Default)]
struct Recorded {
    events: Mutex<Vec<LiveEvent>>,
    arrived: Notify,
}

struct Live {
    account: Account,
    secrets: Arc<MemorySecrets>,
    supervisor: Supervisor,
    recorded: Arc<Recorded>,
}

impl Live {
    async fn start(server: &Dovecot, port: Option<u16>, settings: LiveSettings) -> Live {
        let secrets = Arc::new(MemorySecrets::default());
        let account = account_with(
            server,
            DEFAULT_USER,
            |imap| {
                if let Some(port) = port {
                    imap.host = "127.0.0.1".into();
                    imap.port = port;
                }
            },
            quick_timeouts(),
            secrets.clone(),
        )
        .await;
        let recorded = Arc::new(Recorded::default());
        let sink = recorded.clone();
        let supervisor = Supervisor::new(
            account.engine.clone(),
            settings,
            Arc::new(move |batch| {
                sink.events.lock().unwrap().extend(batch);
                sink.arrived.notify_waiters();
            }),
        );
        supervisor.start(&account.id);
        Live { account, secrets, supervisor, recorded }
    }

    /// Waits until `found` holds for the events delivered after `from` (an index into all
    /// events); returns the index after the first matching event.
    async fn wait_for(&self, from: usize, what: &str, found: impl Fn(&LiveEvent) -> bool) -> usize {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let notified = self.recorded.arrived.notified();
            {
                let events = self.recorded.events.lock().unwrap();
                if let Some(i) = events.iter().skip(from).position(&found) {
                    return from + i + 1;
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                let events = self.recorded.events.lock().unwrap();
                panic!("no {what} within 30 s; events so far: {:#?}", &events[from.min(events.len())..]);
            }
        }
    }

    async fn wait_state(&self, from: usize, what: &str, found: impl Fn(&AccountState) -> bool) -> usize {
        self.wait_for(from, what, |e| matches!(e, LiveEvent::AccountState { state, .. } if found(state)))
            .await
    }

    fn count(&self) -> usize {
        self.recorded.events.lock().unwrap().len()
    }
}

fn changed_in<'a>(event: &'a LiveEvent, folder: &str) -> Option<(&'a [u32], &'a [u32], &'a [u32])> {
    match event {
        LiveEvent::MailboxChanged { path, added, changed, removed, .. } if path == folder => {
            Some((added, changed, removed))
        }
        _ => None,
    }
}

fn online(push: bool) -> impl Fn(&AccountState) -> bool {
    move |s| *s == AccountState::Online { push }
}

/// Waits for the initial catch-up: the account online, and the counts of `folder` reported.
async fn caught_up(live: &Live, folder: &str, total: u32) -> usize {
    let at = live
        .wait_for(
            0,
            "initial counts",
            |e| matches!(e, LiveEvent::CountsChanged { path, total: t, .. } if path == folder && *t == total),
        )
        .await;
    at.max(live.wait_state(0, "online", |s| matches!(s, AccountState::Online { .. })).await)
}

/// The time now as the server's session logs stamp their lines (Unix seconds).
fn unix_now() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64()
}

/// A line of a session's log ([`Dovecot::commands`]): its time (Unix seconds) and what the
/// client sent, in capitals.
fn stamped(line: &str) -> Option<(f64, String)> {
    let (at, command) = line.split_once(' ')?;
    Some((at.parse().ok()?, command.trim().to_ascii_uppercase()))
}

/// Polling so slow that only push can deliver within the test's waits.
fn push_only() -> LiveSettings {
    LiveSettings { poll_interval: Duration::from_secs(600), ..quick() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_made_elsewhere_arrive_by_push_in_every_folder() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    server.seed(DEFAULT_USER, "INBOX", 30, 41).unwrap();
    server.seed(DEFAULT_USER, "Archive", 10, 42).unwrap();
    let live = Live::start(&server, None, push_only()).await;
    let mut at = caught_up(&live, "INBOX", 30).await;
    live.wait_state(0, "push", online(true)).await;
    let quota = live.account.engine.quota(&live.account.id).unwrap();
    assert_eq!(quota.map(|q| q.limit_kib), Some(2 * 1024 * 1024), "the catch-up records the storage quota");

    // A new message, delivered by another client.
    let mut other = other_client(&server, DEFAULT_USER).await;
    let mut generator = Generator::new(99);
    other.append("INBOX", None, None, generator.next_message().bytes).await.unwrap();
    at = live
        .wait_for(at, "the new message", |e| changed_in(e, "INBOX").is_some_and(|(a, _, _)| a == [31]))
        .await;
    live.wait_for(0, "a new-mail notice", |e| matches!(e, LiveEvent::NewMail { count: 1, .. })).await;
    live.wait_for(
        0,
        "new counts",
        |e| matches!(e, LiveEvent::CountsChanged { path, total: 31, .. } if path == "INBOX"),
    )
    .await;
    check_cache_equals_server(&live.account, &server, "INBOX").await;

    // A flag changed and a message deleted elsewhere.
    other.select("INBOX").await.unwrap();
    consume(other.uid_store("3", "+FLAGS (\\Flagged)").await.unwrap()).await;
    at = live
        .wait_for(at, "the flag change", |e| changed_in(e, "INBOX").is_some_and(|(_, c, _)| c.contains(&3)))
        .await;
    consume(other.uid_store("5", "+FLAGS.SILENT (\\Deleted)").await.unwrap()).await;
    consume(other.uid_expunge("5").await.unwrap()).await;
    live.wait_for(at, "the expunge", |e| changed_in(e, "INBOX").is_some_and(|(_, _, r)| r == [5])).await;
    check_cache_equals_server(&live.account, &server, "INBOX").await;

    // Another folder: arrivals and expunges are pushed too (NOTIFY).
    other.append("Archive", Some("(\\Seen)"), None, generator.next_message().bytes).await.unwrap();
    let at = live
        .wait_for(0, "the archived message", |e| changed_in(e, "Archive").is_some_and(|(a, _, _)| a == [11]))
        .await;
    other.select("Archive").await.unwrap();
    consume(other.uid_store("2", "+FLAGS.SILENT (\\Deleted)").await.unwrap()).await;
    consume(other.uid_expunge("2").await.unwrap()).await;
    live.wait_for(at, "the archive's expunge", |e| {
        changed_in(e, "Archive").is_some_and(|(_, _, r)| r == [2])
    })
    .await;
    other.logout().await.unwrap();
    check_cache_equals_server(&live.account, &server, "Archive").await;
    live.supervisor.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_notify_other_folders_are_polled() {
    let server = Dovecot::start(DovecotOptions::default().without_notify()).unwrap();
    server.seed(DEFAULT_USER, "Archive", 4, 49).unwrap();
    let live = Live::start(&server, None, quick()).await;
    let at = caught_up(&live, "Archive", 4).await;
    let mut other = other_client(&server, DEFAULT_USER).await;
    other.append("Archive", None, None, Generator::new(50).next_message().bytes).await.unwrap();
    let at = live
        .wait_for(at, "the polled archive", |e| changed_in(e, "Archive").is_some_and(|(a, _, _)| a == [5]))
        .await;
    // Flag changes show in the polled counts too (HIGHESTMODSEQ).
    other.select("Archive").await.unwrap();
    consume(other.uid_store("2", "+FLAGS ($TernLabel)").await.unwrap()).await;
    other.logout().await.unwrap();
    live.wait_for(at, "the polled flag change", |e| {
        changed_in(e, "Archive").is_some_and(|(_, c, _)| c == [2])
    })
    .await;
    check_cache_equals_server(&live.account, &server, "Archive").await;
    live.supervisor.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_idle_the_inbox_is_polled() {
    let server = Dovecot::start(DovecotOptions::default().without_idle()).unwrap();
    server.seed(DEFAULT_USER, "INBOX", 5, 43).unwrap();
    let live = Live::start(&server, None, quick()).await;
    let at = caught_up(&live, "INBOX", 5).await;
    live.wait_state(0, "online without push", online(false)).await;
    let mut other = other_client(&server, DEFAULT_USER).await;
    other.append("INBOX", None, None, Generator::new(5).next_message().bytes).await.unwrap();
    other.logout().await.unwrap();
    live.wait_for(at, "the polled message", |e| changed_in(e, "INBOX").is_some_and(|(a, _, _)| a == [6]))
        .await;
    check_cache_equals_server(&live.account, &server, "INBOX").await;
    live.supervisor.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restart_is_survived_and_caught_up() {
    let mut server = Dovecot::start(DovecotOptions::default()).unwrap();
    server.seed(DEFAULT_USER, "INBOX", 20, 44).unwrap();
    server.seed(DEFAULT_USER, "Archive", 3, 45).unwrap();
    // Through a proxy, so the test can deliver mail after the restart before Tern sees it.
    let proxy = Proxy::start(server.tls_addr()).unwrap();
    let live = Live::start(&server, Some(proxy.port()), quick()).await;
    let at = caught_up(&live, "INBOX", 20).await;
    live.wait_state(0, "push", online(true)).await;

    server.pause().unwrap();
    let at = live.wait_state(at, "offline", |s| matches!(s, AccountState::Offline { .. })).await;
    proxy.blackhole(true);
    server.resume().unwrap();
    // Mail delivered while Tern could not see it.
    let mut generator = Generator::new(46);
    for (folder, count) in [("INBOX", 4), ("Archive", 2)] {
        for _ in 0..count {
            server.append(DEFAULT_USER, folder, &generator.next_message().bytes).unwrap();
        }
    }
    proxy.blackhole(false);

    let back = live.wait_state(at, "back online", online(true)).await;
    live.wait_for(
        at,
        "the inbox caught up",
        |e| matches!(e, LiveEvent::CountsChanged { path, total: 24, .. } if path == "INBOX"),
    )
    .await;
    live.wait_for(
        at,
        "the archive caught up",
        |e| matches!(e, LiveEvent::CountsChanged { path, total: 5, .. } if path == "Archive"),
    )
    .await;
    check_cache_equals_server(&live.account, &server, "INBOX").await;
    check_cache_equals_server(&live.account, &server, "Archive").await;

    // And push works again on the new connection.
    let mut other = other_client(&server, DEFAULT_USER).await;
    other.append("INBOX", None, None, Generator::new(48).next_message().bytes).await.unwrap();
    other.logout().await.unwrap();
    live.wait_for(
        back,
        "push after the restart",
        |e| matches!(e, LiveEvent::CountsChanged { path, total: 25, .. } if path == "INBOX"),
    )
    .await;
    live.supervisor.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silently_dead_connection_is_detected_and_replaced() {
    let server = Dovecot::start(DovecotOptions::default().idle_notify(1)).unwrap();
    server.seed(DEFAULT_USER, "INBOX", 10, 51).unwrap();
    let proxy = Proxy::start(server.tls_addr()).unwrap();
    let live = Live::start(&server, Some(proxy.port()), quick()).await;
    let at = caught_up(&live, "INBOX", 10).await;
    live.wait_state(0, "push", online(true)).await;

    // The network path dies without a FIN: nothing arrives, nothing is refused.
    proxy.blackhole(true);
    let at =
        live.wait_state(at, "offline after silence", |s| matches!(s, AccountState::Offline { .. })).await;
    let mut other = other_client(&server, DEFAULT_USER).await;
    other.append("INBOX", None, None, Generator::new(52).next_message().bytes).await.unwrap();
    other.logout().await.unwrap();
    proxy.blackhole(false);

    live.wait_state(at, "online again", online(true)).await;
    live.wait_for(
        at,
        "the message sent meanwhile",
        |e| matches!(e, LiveEvent::CountsChanged { path, total: 11, .. } if path == "INBOX"),
    )
    .await;
    check_cache_equals_server(&live.account, &server, "INBOX").await;

    // Shutting down is bounded even while the network swallows everything.
    proxy.blackhole(true);
    let started = std::time::Instant::now();
    tokio::time::timeout(Duration::from_secs(15), live.supervisor.shutdown())
        .await
        .expect("shutdown finished");
    eprintln!("shutdown with a dead network took {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_changed_on_the_server_stops_the_retries_until_the_user_acts() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    server.seed(DEFAULT_USER, "INBOX", 3, 61).unwrap();
    let proxy = Proxy::start(server.tls_addr()).unwrap();
    let live = Live::start(&server, Some(proxy.port()), quick()).await;
    let at = caught_up(&live, "INBOX", 3).await;
    live.wait_state(0, "push", online(true)).await;

    server.set_password(DEFAULT_USER, "a new password").unwrap();
    server.kick(DEFAULT_USER).unwrap();
    let at = live.wait_state(at, "auth needed", |s| matches!(s, AccountState::AuthNeeded { .. })).await;
    let attempts = proxy.connections();
    // Backoff would retry every ~second: nothing happens instead.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(proxy.connections(), attempts, "Tern kept logging in with a refused password");
    assert!(matches!(live.supervisor.state(&live.account.id), Some(AccountState::AuthNeeded { .. })));

    // The user enters the new password.
    live.secrets.set(&live.account.id, "a new password").unwrap();
    live.supervisor.retry(&live.account.id);
    live.wait_state(at, "online with the new password", online(true)).await;
    live.supervisor.shutdown().await;
    assert_eq!(live.supervisor.state(&live.account.id), Some(AccountState::Stopped));
    assert!(live.count() > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_opened_message_comes_from_the_cache_the_next_time_even_offline() {
    let mut server = Dovecot::start(DovecotOptions::default()).unwrap();
    server.seed(DEFAULT_USER, "Archive", 3, 71).unwrap();
    let live = Live::start(&server, None, quick()).await;
    let at = caught_up(&live, "Archive", 3).await;
    let id = live.account.id.clone();
    // No reading ahead, so that message 3, next to message 2, stays on the server only.
    let engine = live.account.engine.clone();
    engine.set_settings(tern_core::settings::AppSettings { prefetch: false, ..engine.settings() }).unwrap();

    let content = live.supervisor.message_content(&id, "Archive", 2).await.unwrap().expect("message 2");
    assert!(!content.shown.is_empty(), "{content:?}");
    assert_eq!(live.supervisor.message_content(&id, "Archive", 99).await.unwrap(), None);

    server.pause().unwrap();
    live.wait_state(at, "offline", |s| matches!(s, AccountState::Offline { .. })).await;
    let again = live.supervisor.message_content(&id, "Archive", 2).await.unwrap();
    assert_eq!(again, Some(content), "the second opening needs no server");
    let missing = live.supervisor.message_content(&id, "Archive", 3).await;
    assert!(matches!(missing, Err(tern_core::Error::ConnectionLost(_))), "{missing:?}");
    live.supervisor.shutdown().await;
}

/// The UIDs of `folder` that match `search` on the server, as another client sees them.
async fn on_server(server: &Dovecot, folder: &str, search: &str) -> Vec<u32> {
    let mut other = other_client(server, DEFAULT_USER).await;
    other.examine(folder).await.unwrap();
    let mut uids: Vec<u32> = other.uid_search(search).await.unwrap().into_iter().collect();
    other.logout().await.unwrap();
    uids.sort_unstable();
    uids
}

/// Waits until the server's answer to `search` in `folder` is `expected`.
async fn until_on_server(server: &Dovecot, folder: &str, search: &str, expected: &[u32]) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let found = on_server(server, folder, search).await;
        if found == expected {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{search} in {folder}: {found:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A flag change made while the server cannot be reached is shown at once, kept on disk, and
/// sent after reconnecting, before the catch-up (which would otherwise take the server's older
/// flags for the truth); also when Tern was closed and started again meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flag_changes_made_offline_reach_the_server_after_reconnecting_even_after_a_restart() {
    let mut server = Dovecot::start(DovecotOptions::default()).unwrap();
    server.seed(DEFAULT_USER, "Archive", 4, 81).unwrap();
    let live = Live::start(&server, None, quick()).await;
    let at = caught_up(&live, "Archive", 4).await;
    let id = live.account.id.clone();
    let engine = live.account.engine.clone();
    let flags_of = |uid: u32| {
        let rows = engine.cached_envelopes(&id, "Archive").unwrap();
        rows.into_iter().find(|e| e.uid == uid).expect("a cached message").flags.flags
    };
    let flagged_before = on_server(&server, "Archive", "FLAGGED").await;
    let union = |uids: &[u32], more: &[u32]| {
        let mut all: Vec<u32> = uids.iter().chain(more).copied().collect();
        all.sort_unstable();
        all.dedup();
        all
    };
    let starred = union(&flagged_before, &[1, 3]);
    let unseen_before = on_server(&server, "Archive", "UNSEEN").await;
    let two_was_seen = !unseen_before.contains(&2);
    let mut unseen_after: Vec<u32> = unseen_before.iter().copied().filter(|&uid| uid != 2).collect();
    if two_was_seen {
        unseen_after.push(2);
        unseen_after.sort_unstable();
    }

    server.pause().unwrap();
    let at = live.wait_state(at, "offline", |s| matches!(s, AccountState::Offline { .. })).await;
    let star = FlagChange { seen: None, flagged: Some(true) };
    live.supervisor.set_flags(&id, "Archive", vec![1, 3], star).await.unwrap();
    let toggle_read = FlagChange { seen: Some(!two_was_seen), flagged: None };
    live.supervisor.set_flags(&id, "Archive", vec![2], toggle_read).await.unwrap();
    // Shown at once, though the server has none of it yet.
    assert!(flags_of(1).flagged && flags_of(3).flagged);
    assert_eq!(flags_of(2).seen, !two_was_seen);
    assert_eq!(engine.store().pending_flags(&id).unwrap().len(), 2);

    server.resume().unwrap();
    live.wait_state(at, "back online", online(true)).await;
    until_on_server(&server, "Archive", "FLAGGED", &starred).await;
    until_on_server(&server, "Archive", "UNSEEN", &unseen_after).await;
    live.wait_for(
        at,
        "the catch-up after the changes",
        |e| matches!(e, LiveEvent::CountsChanged { path, .. } if path == "Archive"),
    )
    .await;
    check_cache_equals_server(&live.account, &server, "Archive").await;
    assert!(engine.store().pending_flags(&id).unwrap().is_empty());

    // Offline again, an unstar, and Tern closed before the server is back.
    server.pause().unwrap();
    live.wait_state(at, "offline again", |s| matches!(s, AccountState::Offline { .. })).await;
    let unstar = FlagChange { seen: None, flagged: Some(false) };
    live.supervisor.set_flags(&id, "Archive", vec![1], unstar).await.unwrap();
    live.supervisor.shutdown().await;
    server.resume().unwrap();
    assert_eq!(on_server(&server, "Archive", "FLAGGED").await, starred);

    // Started again on the same cache: the change kept on disk goes out.
    let supervisor = Supervisor::new(engine.clone(), quick(), Arc::new(|_| {}));
    supervisor.start(&id);
    let unstarred: Vec<u32> = starred.iter().copied().filter(|&uid| uid != 1).collect();
    until_on_server(&server, "Archive", "FLAGGED", &unstarred).await;
    assert!(!flags_of(1).flagged);
    // The server shows the change as soon as it takes it; Tern forgets the kept change once it
    // has read the server's answer, a moment later (a busy machine can make that moment long).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !engine.store().pending_flags(&id).unwrap().is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "the change sent is still kept");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    supervisor.shutdown().await;
    assert!(engine.store().pending_flags(&id).unwrap().is_empty());
}

/// A star sent just as the network path dies silently: the change is kept when the server
/// does not answer, and sent over the next connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flag_change_the_server_never_answered_is_sent_after_reconnecting() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    server.seed(DEFAULT_USER, "Archive", 3, 83).unwrap();
    let proxy = Proxy::start(server.tls_addr()).unwrap();
    let live = Live::start(&server, Some(proxy.port()), quick()).await;
    let at = caught_up(&live, "Archive", 3).await;
    let id = live.account.id.clone();
    let flagged: Vec<u32> = on_server(&server, "Archive", "FLAGGED").await;
    assert!(!flagged.contains(&2), "the seed stars message 2 already: {flagged:?}");
    let mut expected = flagged.clone();
    expected.push(2);
    expected.sort_unstable();

    proxy.blackhole(true);
    let star = FlagChange { seen: None, flagged: Some(true) };
    // Answered once the command's time is up, without an error: the change is kept.
    live.supervisor.set_flags(&id, "Archive", vec![2], star).await.unwrap();
    let at = live.wait_state(at, "offline", |s| matches!(s, AccountState::Offline { .. })).await;
    assert_eq!(on_server(&server, "Archive", "FLAGGED").await, flagged);
    proxy.blackhole(false);
    live.wait_state(at, "back online", online(true)).await;
    until_on_server(&server, "Archive", "FLAGGED", &expected).await;
    live.supervisor.shutdown().await;
    assert!(live.account.engine.store().pending_flags(&id).unwrap().is_empty());
}

/// Reads keep their folder open on the command connection for the next read; polls, syncs and
/// flag changes still see and make every change, as they leave it first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_on_in_a_folder_keeps_it_open_and_polls_still_see_its_changes() {
    let server = Dovecot::start(DovecotOptions::default().without_notify()).unwrap();
    server.seed(DEFAULT_USER, "Archive", 4, 53).unwrap();
    server.seed(DEFAULT_USER, "Lists", 2, 54).unwrap();
    let live = Live::start(&server, None, quick()).await;
    let at = caught_up(&live, "Archive", 4).await;
    let id = live.account.id.clone();
    let open = |uid: u32| {
        let supervisor = &live.supervisor;
        let id = id.clone();
        async move { supervisor.message_content(&id, "Archive", uid).await.unwrap().expect("the message") }
    };

    // Two reads in a row, then one in another folder and one back.
    let (first, second) = (open(1).await, open(2).await);
    assert!(!first.shown.is_empty() && !second.shown.is_empty());
    assert_ne!(first, second);
    assert!(live.supervisor.message_content(&id, "Lists", 1).await.unwrap().is_some());
    assert!(!open(3).await.shown.is_empty());

    // Archive is open on the command connection now; the poll must still see another client's
    // new message there.
    let mut other = other_client(&server, DEFAULT_USER).await;
    other.append("Archive", None, None, Generator::new(55).next_message().bytes).await.unwrap();
    let at = live
        .wait_for(at, "the polled arrival", |e| changed_in(e, "Archive").is_some_and(|(a, _, _)| a == [5]))
        .await;

    // A read, then a flag change in the same folder: the change reaches the server, and the
    // next read goes on in the folder the change left open.
    assert!(!open(5).await.shown.is_empty());
    let rows = live.account.engine.cached_envelopes(&id, "Archive").unwrap();
    let was_seen = rows.iter().find(|e| e.uid == 4).unwrap().flags.flags.seen;
    let change = FlagChange { seen: Some(!was_seen), flagged: None };
    live.supervisor.set_flags(&id, "Archive", vec![4], change).await.unwrap();
    // (The row of message 5 may change with it: opening it gave it a snippet.)
    live.wait_for(at, "the changed row", |e| {
        changed_in(e, "Archive").is_some_and(|(_, c, _)| c.contains(&4))
    })
    .await;
    assert!(!open(4).await.shown.is_empty());
    other.examine("Archive").await.unwrap();
    let seen: Vec<u32> = other.uid_search("SEEN").await.unwrap().into_iter().collect();
    assert_eq!(seen.contains(&4), !was_seen, "the server has the change: {seen:?}");
    other.logout().await.unwrap();
    check_cache_equals_server(&live.account, &server, "Archive").await;
    live.supervisor.shutdown().await;
}

/// New mail is read and starred in the folder left open on the command connection: the IDLE
/// connection brings the arrival into the cache, and the command connection, which opened the
/// inbox before it arrived, asks the server with a NOOP to show it (no second EXAMINE or
/// SELECT). Opening it, opening the next arrival after another client deleted a message,
/// reading an older one, starring old and new messages and the background download of a later
/// arrival all reach the server's messages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_mail_is_read_and_starred_in_the_folder_left_open() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    server.seed(DEFAULT_USER, "INBOX", 4, 61).unwrap();
    let live = Live::start(&server, None, push_only()).await;
    let engine = live.account.engine.clone();
    // Background downloads wait until the last step, so that the reads below are the user's.
    engine.set_settings(tern_core::settings::AppSettings { prefetch: false, ..engine.settings() }).unwrap();
    let mut at = caught_up(&live, "INBOX", 4).await;
    let id = live.account.id.clone();
    let open = |uid: u32| {
        let (supervisor, id) = (&live.supervisor, id.clone());
        async move { supervisor.message_content(&id, "INBOX", uid).await.unwrap().expect("the message") }
    };
    let subject_of = |uid: u32| {
        let rows = engine.cached_envelopes(&id, "INBOX").unwrap();
        rows.into_iter().find(|e| e.uid == uid).expect("the row").subject
    };

    // The inbox is open on the command connection from here on.
    assert!(!open(1).await.shown.is_empty());
    let mut other = other_client(&server, DEFAULT_USER).await;
    let mut generator = Generator::new(62);
    let mut arrive = async |at: usize, uid: u32, other: &mut tern_core::imap::ImapSession| {
        other.append("INBOX", None, None, generator.next_message().bytes).await.unwrap();
        live.wait_for(at, "the pushed arrival", |e| {
            changed_in(e, "INBOX").is_some_and(|(a, _, _)| a.contains(&uid))
        })
        .await
    };
    at = arrive(at, 5, &mut other).await;
    let fifth = open(5).await;
    assert!(!fifth.shown.is_empty(), "the new message is read: {:?}", subject_of(5));

    // Another client deletes a message while the inbox is open, and more mail arrives.
    other.select("INBOX").await.unwrap();
    consume(other.uid_store("2", "+FLAGS.SILENT (\\Deleted)").await.unwrap()).await;
    consume(other.uid_expunge("2").await.unwrap()).await;
    at = live
        .wait_for(at, "the pushed deletion", |e| changed_in(e, "INBOX").is_some_and(|(_, _, r)| r == [2]))
        .await;
    at = arrive(at, 6, &mut other).await;
    let sixth = open(6).await;
    assert!(!sixth.shown.is_empty());
    assert_ne!(fifth, sixth);
    assert!(!open(3).await.shown.is_empty(), "an older message is read on in the same folder");

    // Stars: the first selects the inbox (the reads left it open read-only), the next are
    // made in it as it is, one of them on mail that arrived after it was selected.
    let star = |uid: u32| {
        let (supervisor, id) = (&live.supervisor, id.clone());
        async move {
            let change = FlagChange { seen: None, flagged: Some(true) };
            supervisor.set_flags(&id, "INBOX", vec![uid], change).await.unwrap()
        }
    };
    star(3).await;
    at = arrive(at, 7, &mut other).await;
    star(7).await;
    star(1).await;
    other.examine("INBOX").await.unwrap();
    let mut starred: Vec<u32> = other.uid_search("FLAGGED").await.unwrap().into_iter().collect();
    starred.sort();
    assert_eq!(starred, [1, 3, 7], "the server has every star");

    // With background downloads on, the next arrival's text is downloaded without being asked.
    engine.set_settings(tern_core::settings::AppSettings { prefetch: true, ..engine.settings() }).unwrap();
    arrive(at, 8, &mut other).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while engine.cached_content(&id, "INBOX", 8).unwrap().is_none() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the new message was not downloaded in the background"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    other.logout().await.unwrap();
    check_cache_equals_server(&live.account, &server, "INBOX").await;
    live.supervisor.shutdown().await;
}

/// A folder sync, a flag change or a read leaves the folder open on the command connection, and
/// the next sync of that folder goes on in it (a NOOP and one CHANGEDSINCE fetch, no STATUS or
/// SELECT): each such sync still brings in every change another client made meanwhile, reads
/// in between still find new messages, and a full sync (which leaves the folder first) does
/// too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syncing_a_folder_again_goes_on_in_it_and_sees_every_change() {
    let server = Dovecot::start(DovecotOptions::default().without_notify()).unwrap();
    server.seed(DEFAULT_USER, "Archive", 6, 56).unwrap();
    // Only the syncs the test asks for: no poll within its time.
    let live = Live::start(&server, None, push_only()).await;
    caught_up(&live, "Archive", 6).await;
    let id = live.account.id.clone();
    let mut other = other_client(&server, DEFAULT_USER).await;
    other.select("Archive").await.unwrap();
    let mut generator = Generator::new(57);
    let sync = || {
        let (supervisor, id) = (&live.supervisor, id.clone());
        async move {
            let reports = supervisor.sync_now(&id, Some("Archive".into())).await.unwrap();
            let report = reports.into_iter().next().expect("a report");
            (report.added_uids, report.changed_uids, report.removed_uids)
        }
    };
    async fn store(other: &mut tern_core::imap::ImapSession, uid: &str, change: &str) {
        let _: Vec<_> =
            futures::TryStreamExt::try_collect(other.uid_store(uid, change).await.unwrap()).await.unwrap();
    }
    async fn expunge(other: &mut tern_core::imap::ImapSession, uid: &str) {
        store(other, uid, "+FLAGS.SILENT (\\Deleted)").await;
        let _: Vec<_> =
            futures::TryStreamExt::try_collect(other.uid_expunge(uid).await.unwrap()).await.unwrap();
    }

    // The first sync after a change selects the folder, and keeps it open.
    store(&mut other, "1", "+FLAGS.SILENT (\\Flagged)").await;
    assert_eq!(sync().await, (vec![], vec![1], vec![]));
    // The next one goes on in it: a flag change, an expunge and an arrival, all seen.
    store(&mut other, "2", "+FLAGS.SILENT (\\Flagged)").await;
    expunge(&mut other, "3").await;
    other.append("Archive", None, None, generator.next_message().bytes).await.unwrap();
    assert_eq!(sync().await, (vec![7], vec![2], vec![3]));
    check_cache_equals_server(&live.account, &server, "Archive").await;

    // A flag change in it reaches the server, and the sync after it too.
    let rows = live.account.engine.cached_envelopes(&id, "Archive").unwrap();
    let was_seen = rows.iter().find(|e| e.uid == 4).unwrap().flags.flags.seen;
    live.supervisor
        .set_flags(&id, "Archive", vec![4], FlagChange { seen: Some(!was_seen), flagged: None })
        .await
        .unwrap();
    expunge(&mut other, "5").await;
    other.append("Archive", None, None, generator.next_message().bytes).await.unwrap();
    assert_eq!(sync().await, (vec![8], vec![], vec![5]));
    let seen: Vec<u32> = other.uid_search("SEEN").await.unwrap().into_iter().collect();
    assert_eq!(seen.contains(&4), !was_seen, "the server has the change: {seen:?}");
    check_cache_equals_server(&live.account, &server, "Archive").await;

    // Reads in between: one in the open folder, then one of a message that arrived after the
    // session last looked, which opens the folder again.
    let open = |uid: u32| {
        let (supervisor, id) = (&live.supervisor, id.clone());
        async move { supervisor.message_content(&id, "Archive", uid).await.unwrap().expect("the message") }
    };
    assert!(!open(6).await.shown.is_empty());
    other.append("Archive", None, None, generator.next_message().bytes).await.unwrap();
    assert_eq!(sync().await, (vec![9], vec![], vec![]));
    assert!(!open(9).await.shown.is_empty());
    store(&mut other, "6", "+FLAGS.SILENT (\\Flagged)").await;
    assert_eq!(sync().await, (vec![], vec![6], vec![]));

    // More changes at once than async-imap queues (100): a flag change on 110 messages, and
    // expunges among them.
    let mut appended = Vec::new();
    for _ in 0..110 {
        other.append("Archive", None, None, generator.next_message().bytes).await.unwrap();
    }
    let (added, _, _) = sync().await;
    appended.extend(added);
    assert_eq!(appended.len(), 110);
    store(&mut other, "10:119", "+FLAGS.SILENT (\\Flagged)").await;
    expunge(&mut other, "118,119").await;
    let (added, changed, removed) = sync().await;
    assert_eq!((added, changed.len(), removed), (vec![], 108, vec![118, 119]));
    check_cache_equals_server(&live.account, &server, "Archive").await;

    // A full sync leaves the folder first, and still sees what changed in it.
    expunge(&mut other, "7").await;
    let reports = live.supervisor.sync_now(&id, None).await.unwrap();
    let archive = reports.iter().find(|r| r.path == "Archive").expect("Archive synced");
    assert_eq!(archive.removed_uids, vec![7]);
    other.logout().await.unwrap();
    check_cache_equals_server(&live.account, &server, "Archive").await;
    live.supervisor.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marking_read_shows_at_once_and_reaches_the_server() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    let live = Live::start(&server, None, quick()).await;
    let mut other = other_client(&server, DEFAULT_USER).await;
    let mut generator = Generator::new(81);
    for _ in 0..3 {
        other.append("Archive", None, None, generator.next_message().bytes).await.unwrap();
    }
    let at = caught_up(&live, "Archive", 3).await;
    let id = live.account.id.clone();
    let unread = |uid: u32| {
        let rows = live.account.engine.cached_envelopes(&id, "Archive").unwrap();
        !rows.iter().find(|e| e.uid == uid).unwrap().flags.flags.seen
    };
    assert!(unread(2));

    let read = FlagChange { seen: Some(true), flagged: Some(true) };
    live.supervisor.set_flags(&id, "Archive", vec![2], read).await.unwrap();
    assert!(!unread(2), "the cache shows it at once");
    live.wait_for(at, "the changed row", |e| changed_in(e, "Archive").is_some_and(|(_, c, _)| c == [2]))
        .await;
    live.wait_for(
        at,
        "one less unread",
        |e| matches!(e, LiveEvent::CountsChanged { path, unread: 2, .. } if path == "Archive"),
    )
    .await;
    other.examine("Archive").await.unwrap();
    let seen = other.uid_search("SEEN FLAGGED").await.unwrap();
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), vec![2], "the server has it");
    other.logout().await.unwrap();
    check_cache_equals_server(&live.account, &server, "Archive").await;

    live.supervisor
        .set_flags(&id, "Archive", vec![2], FlagChange { seen: Some(false), flagged: None })
        .await
        .unwrap();
    assert!(unread(2));
    check_cache_equals_server(&live.account, &server, "Archive").await;
    live.supervisor.shutdown().await;
}

/// Opening an unread message and marking it read, as the reader does, opens its folder once on
/// the server: the read SELECTs it and the change goes on in it. Reading changes no flag on the
/// server, only the change does. Each change is one command, its STORE (no sync after it), and
/// the server's answer puts each message's new MODSEQ into the cache.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_unread_mail_and_marking_it_read_opens_the_folder_once() {
    let server = Dovecot::start(DovecotOptions::default().rawlog()).unwrap();
    server.seed(DEFAULT_USER, "INBOX", 2, 91).unwrap();
    let mut other = other_client(&server, DEFAULT_USER).await;
    let mut generator = Generator::new(92);
    for _ in 0..3 {
        other.append("Archive", None, None, generator.next_message().bytes).await.unwrap();
    }
    let live = Live::start(&server, None, push_only()).await;
    let engine = live.account.engine.clone();
    engine.set_settings(tern_core::settings::AppSettings { prefetch: false, ..engine.settings() }).unwrap();
    caught_up(&live, "Archive", 3).await;
    // The look at every folder once NOTIFY is on leaves the folder open on the command
    // connection: let it pass first.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let sessions = server.commands();
        let notify_at =
            sessions.iter().flatten().filter_map(|l| stamped(l)).find(|(_, c)| c.contains(" NOTIFY SET "));
        let looked = notify_at.is_some_and(|(at, _)| {
            sessions.iter().flatten().filter_map(|l| stamped(l)).any(|(t, c)| t > at && c.contains(" LIST "))
        });
        if looked {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no look after NOTIFY: {sessions:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let id = live.account.id.clone();
    let open = |path: &'static str, uid: u32| {
        let (supervisor, id) = (&live.supervisor, id.clone());
        async move { supervisor.message_content(&id, path, uid).await.unwrap().expect("the message") }
    };

    // A read elsewhere first, so that the archive is not open on the command connection.
    assert!(!open("INBOX", 1).await.shown.is_empty());
    let started = unix_now();
    for uid in [1, 2] {
        assert!(!open("Archive", uid).await.shown.is_empty());
        let read = FlagChange { seen: Some(true), flagged: None };
        live.supervisor.set_flags(&id, "Archive", vec![uid], read).await.unwrap();
    }
    let ended = unix_now();

    other.examine("Archive").await.unwrap();
    let mut seen: Vec<u32> = other.uid_search("SEEN").await.unwrap().into_iter().collect();
    seen.sort();
    assert_eq!(seen, [1, 2], "the changes reached the server, and the reads changed nothing");
    let fetched: Vec<_> =
        futures::TryStreamExt::try_collect(other.uid_fetch("1:2", "(UID MODSEQ)").await.unwrap())
            .await
            .unwrap();
    let rows = engine.cached_envelopes(&id, "Archive").unwrap();
    for fetch in &fetched {
        let uid = fetch.uid.unwrap();
        let cached = rows.iter().find(|e| e.uid == uid).unwrap();
        assert_eq!(
            Some(cached.modseq),
            fetch.modseq,
            "the cache holds message {uid}'s MODSEQ from the STORE"
        );
    }
    other.logout().await.unwrap();
    check_cache_equals_server(&live.account, &server, "Archive").await;
    live.supervisor.shutdown().await;

    // The sessions' logs are complete once they ended.
    let opens: Vec<String> = server
        .commands()
        .iter()
        .flatten()
        .filter_map(|l| stamped(l))
        .filter(|(at, command)| {
            (started..=ended).contains(at)
                && (command.contains(" SELECT \"ARCHIVE\"") || command.contains(" EXAMINE \"ARCHIVE\""))
        })
        .map(|(_, command)| command)
        .collect();
    assert_eq!(opens.len(), 1, "two reads and two changes opened the archive once: {opens:?}");
    // On the command connection: the session that made the changes.
    let sessions = server.commands();
    let commands = sessions.iter().find(|session| session.iter().any(|l| l.contains(" UID STORE "))).unwrap();
    let after_reads: Vec<String> = commands
        .iter()
        .filter_map(|l| stamped(l))
        .filter(|(at, _)| (started..=ended).contains(at))
        .map(|(_, command)| command)
        .filter(|command| !command.contains(" UID FETCH ") || command.contains("CHANGEDSINCE"))
        .filter(|command| !command.contains(" SELECT ") && !command.contains(" EXAMINE "))
        .collect();
    let stores = after_reads.iter().filter(|c| c.contains(" UID STORE ")).count();
    assert_eq!(
        (stores, after_reads.len()),
        (2, 2),
        "besides the reads, each change is its STORE alone: {after_reads:?}"
    );
}

/// Mail that lands in another folder while the account is starting (after that folder's
/// catch-up, before the IDLE connection has NOTIFY on) shows without waiting for a poll.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_arriving_elsewhere_while_starting_is_not_left_for_the_next_poll() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    server.seed(DEFAULT_USER, "Archive", 2, 93).unwrap();
    let mut other = other_client(&server, DEFAULT_USER).await;
    let live = Live::start(&server, None, push_only()).await;
    // As soon as the archive's catch-up is in the cache (the window hears of it a little later),
    // while the IDLE connection is still starting.
    let (engine, id) = (live.account.engine.clone(), live.account.id.clone());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while engine.cached_envelopes(&id, "Archive").map_or(0, |rows| rows.len()) < 2 {
        assert!(tokio::time::Instant::now() < deadline, "the archive was not caught up");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let at = live.count();
    other.append("Archive", None, None, Generator::new(94).next_message().bytes).await.unwrap();
    live.wait_for(
        at,
        "the new message in the archive",
        |e| matches!(e, LiveEvent::CountsChanged { path, total: 3, .. } if path == "Archive"),
    )
    .await;
    other.logout().await.unwrap();
    check_cache_equals_server(&live.account, &server, "Archive").await;
    live.supervisor.shutdown().await;
}

/// Where the server sends new messages' envelopes with the news (NOTIFY), a new inbox message
/// reaches the cache and the window while the IDLE goes on: no DONE, no fetch of its own. A
/// flag change made elsewhere afterwards still ends the IDLE and is synced, and the cache ends
/// equal to the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_inbox_mail_comes_with_its_envelope_without_ending_the_idle() {
    let server = Dovecot::start(DovecotOptions::default().rawlog()).unwrap();
    server.seed(DEFAULT_USER, "INBOX", 3, 95).unwrap();
    // No check of a silent connection (each would end the IDLE) while the test runs.
    let live =
        Live::start(&server, None, LiveSettings { idle_timeout: Duration::from_secs(120), ..push_only() })
            .await;
    let engine = live.account.engine.clone();
    engine.set_settings(tern_core::settings::AppSettings { prefetch: false, ..engine.settings() }).unwrap();
    let mut at = caught_up(&live, "INBOX", 3).await;
    let id = live.account.id.clone();

    let started = unix_now();
    let mut other = other_client(&server, DEFAULT_USER).await;
    let mut generator = Generator::new(96);
    for uid in [4, 5] {
        other.append("INBOX", None, None, generator.next_message().bytes).await.unwrap();
        at = live
            .wait_for(at, "the pushed arrival", |e| {
                changed_in(e, "INBOX").is_some_and(|(a, _, _)| a.contains(&uid))
            })
            .await;
    }
    let arrived = unix_now();
    let rows = engine.cached_envelopes(&id, "INBOX").unwrap();
    let newest = rows.iter().find(|e| e.uid == 5).expect("the new row");
    assert!(!newest.subject.is_empty() && !newest.from.is_empty() && newest.modseq > 0, "{newest:?}");
    check_cache_equals_server(&live.account, &server, "INBOX").await;

    // A flag change made elsewhere still reaches the cache.
    other.select("INBOX").await.unwrap();
    consume(other.uid_store("4", "+FLAGS.SILENT (\\Flagged)").await.unwrap()).await;
    live.wait_for(at, "the pushed flag change", |e| changed_in(e, "INBOX").is_some_and(|(_, c, _)| c == [4]))
        .await;
    other.logout().await.unwrap();
    check_cache_equals_server(&live.account, &server, "INBOX").await;
    live.supervisor.shutdown().await;

    // The sessions' logs are complete once they ended: the IDLE connection's (the one that
    // asked for NOTIFY) has no DONE while the two messages arrived. Its lines start with their
    // Unix time.
    let sessions = server.commands();
    let idle = sessions
        .iter()
        .find(|lines| lines.iter().any(|l| l.to_ascii_uppercase().contains(" NOTIFY SET ")))
        .expect("the IDLE connection's commands");
    let done_at: Vec<f64> = idle
        .iter()
        .filter_map(|l| stamped(l))
        .filter(|(_, c)| c.ends_with(" DONE") || c == "DONE")
        .map(|(at, _)| at)
        .collect();
    assert!(!done_at.is_empty(), "the flag change and the shutdown end an IDLE: {idle:?}");
    assert!(
        done_at.iter().all(|&at| !(started..=arrived).contains(&at)),
        "the IDLE went on while mail arrived ({started}..{arrived}): {idle:?}"
    );
}
