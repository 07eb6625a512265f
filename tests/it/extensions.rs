//! Extensions the sync uses when offered: NAMESPACE, LIST-STATUS, ESEARCH, COMPRESS=DEFLATE.

use tern_core::account::Security;
use tern_core::imap::tls::TlsContext;
use tern_core::imap::{FolderRole, NamespaceKind};
use tern_core::imap::{Password, Timeouts, login_with_capabilities};
use tern_core::store::Store;
use tern_core::sync::{Compression, SessionOptions, SyncMode, Syncer, negotiate, negotiate_with};
use tern_tests::{DEFAULT_PASSWORD, DEFAULT_USER, Dovecot, DovecotOptions, Proxy};

use crate::login;
use crate::support::{Row, account, assert_rows_equal, check_cache_equals_server, other_client, server_rows};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inbox_prefixed_server_shows_its_folders_next_to_the_inbox() {
    let server = Dovecot::start(DovecotOptions::default().inbox_prefix()).unwrap();
    server.seed(DEFAULT_USER, "Sent", 30, 4).unwrap();
    server.seed(DEFAULT_USER, "Work/Projects", 12, 5).unwrap();
    let session = login(&server, Security::Tls).await.unwrap();
    let (mut session, negotiated) = negotiate(session, SessionOptions::default()).await.unwrap();
    session.logout().await.unwrap();
    assert_eq!(negotiated.namespaces.personal[0].prefix, "INBOX.", "{:?}", negotiated.namespaces);

    let account = account(&server, DEFAULT_USER, |_| {}).await;
    let folders = account.engine.refresh_folders(&account.id).await.unwrap();
    let find = |path: &str| {
        folders.iter().find(|f| f.path == path).unwrap_or_else(|| panic!("{path} in {folders:#?}"))
    };
    for (path, role) in
        [("INBOX", FolderRole::Inbox), ("INBOX.Sent", FolderRole::Sent), ("INBOX.Trash", FolderRole::Trash)]
    {
        let folder = find(path);
        assert_eq!(
            (folder.role, folder.depth, folder.parent.as_deref()),
            (Some(role), 0, None),
            "{folder:?}"
        );
    }
    let projects = find("INBOX.Work.Projects");
    assert_eq!(
        (projects.name.as_str(), projects.depth, projects.parent.as_deref()),
        ("Projects", 1, Some("INBOX.Work"))
    );
    assert_eq!(find("INBOX.Work").depth, 0);

    account.engine.sync_account(&account.id, &|_| {}).await.unwrap();
    assert_eq!(check_cache_equals_server(&account, &server, "INBOX.Sent").await.len(), 30);
    assert_eq!(check_cache_equals_server(&account, &server, "INBOX.Work.Projects").await.len(), 12);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_folders_are_listed_after_the_users_own_and_synced() {
    let server = Dovecot::start(DovecotOptions::default().shared_namespace()).unwrap();
    server.seed_shared("News", 25, 6).unwrap();
    server.seed(DEFAULT_USER, "Archive", 5, 7).unwrap();
    let account = account(&server, DEFAULT_USER, |_| {}).await;
    let folders = account.engine.refresh_folders(&account.id).await.unwrap();
    let news = folders.iter().position(|f| f.path == "Shared/News").unwrap_or_else(|| panic!("{folders:#?}"));
    assert_eq!(folders[news].namespace, NamespaceKind::Shared);
    assert_eq!(folders[news].role, None);
    let last_personal = folders.iter().rposition(|f| f.namespace == NamespaceKind::Personal).unwrap();
    assert!(last_personal < news, "the user's own folders come first: {folders:#?}");

    let reports = account.engine.sync_account(&account.id, &|_| {}).await.unwrap();
    assert!(reports.iter().any(|r| r.path == "Shared/News" && r.added == 25), "{reports:#?}");
    assert_eq!(check_cache_equals_server(&account, &server, "Shared/News").await.len(), 25);
    check_cache_equals_server(&account, &server, "Archive").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_namespaces_of_a_plain_server_are_one_personal_namespace() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    let session = login(&server, Security::Tls).await.unwrap();
    let (mut session, negotiated) = negotiate(session, SessionOptions::default()).await.unwrap();
    // The raw NAMESPACE exchange left the session usable.
    session.select("INBOX").await.unwrap();
    session.logout().await.unwrap();
    assert_eq!(negotiated.namespaces.personal.len(), 1);
    assert_eq!(negotiated.namespaces.personal[0].prefix, "");
    assert_eq!(negotiated.namespaces.personal[0].delimiter.as_deref(), Some("/"));
    assert_eq!((negotiated.namespaces.other_users.len(), negotiated.namespaces.shared.len()), (0, 0));
    assert!(negotiated.caps.esearch && negotiated.caps.list_status, "{negotiated:?}");
    assert!(!negotiated.compressed, "no compression to a server on this machine by default");
}

/// Syncs INBOX over a session set up with `options` into a fresh cache, and checks it against
/// the server.
async fn sync_over(server: &Dovecot, options: SessionOptions, expect_compressed: bool) {
    let account = account(server, DEFAULT_USER, |_| {}).await;
    let session = account.engine.login(&account.id).await.unwrap();
    let (mut session, negotiated) = negotiate(session, options).await.unwrap();
    assert_eq!(negotiated.compressed, expect_compressed);
    assert_eq!(session.get_ref().is_compressed(), expect_compressed);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let progress = |_| {};
    let mut syncer = Syncer {
        session: &mut session,
        store: &store,
        account_id: &account.id,
        negotiated: &negotiated,
        progress: &progress,
        timeouts: options.timeouts,
    };
    let report = syncer.all().await.unwrap();
    let inbox = report.iter().find(|r| r.path == "INBOX").unwrap();
    assert_eq!((inbox.mode, inbox.added), (SyncMode::Initial, 3_000));
    // A second pass over the same (compressed) session: LIST-STATUS says nothing changed.
    let again = syncer.all().await.unwrap();
    assert!(again.iter().all(|r| r.mode == SyncMode::Unchanged), "{again:#?}");
    session.logout().await.unwrap();

    let fid = store.folder_id(&account.id, "INBOX").unwrap().unwrap();
    let mut cached: Vec<Row> = store.page(fid, 0, usize::MAX).unwrap().iter().map(Row::of_envelope).collect();
    cached.sort_by_key(|r| r.uid);
    assert_rows_equal("INBOX", &cached, &server_rows(server, DEFAULT_USER, "INBOX").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compressed_session_syncs_exactly_like_a_plain_one() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    server.seed(DEFAULT_USER, "INBOX", 3_000, 21).unwrap();
    let compressed = SessionOptions { compression: Compression::Always, ..SessionOptions::default() };
    sync_over(&server, compressed, true).await;
    let plain = SessionOptions { compression: Compression::Never, ..SessionOptions::default() };
    sync_over(&server, plain, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn esearch_finds_expunges_for_a_condstore_only_resync() {
    let server = Dovecot::start(DovecotOptions::default().condstore_only()).unwrap();
    server.seed(DEFAULT_USER, "INBOX", 400, 31).unwrap();
    let account = account(&server, DEFAULT_USER, |_| {}).await;
    account.engine.sync_account(&account.id, &|_| {}).await.unwrap();
    let mut other = other_client(&server, DEFAULT_USER).await;
    other.select("INBOX").await.unwrap();
    // Scattered expunges, so the UID listing is many ranges.
    let doomed: Vec<String> = (1..=400).filter(|u| u % 7 == 0).map(|u: u32| u.to_string()).collect();
    let set = doomed.join(",");
    let _: Vec<_> =
        futures::TryStreamExt::try_collect(other.uid_store(&set, "+FLAGS.SILENT (\\Deleted)").await.unwrap())
            .await
            .unwrap();
    let _: Vec<_> = futures::TryStreamExt::try_collect(other.expunge().await.unwrap()).await.unwrap();
    other.logout().await.unwrap();

    let inbox = account.engine.sync_folder(&account.id, "INBOX", &|_| {}).await.unwrap();
    assert_eq!((inbox.mode, inbox.removed, inbox.total), (SyncMode::Condstore, 57, 343), "{inbox:?}");
    check_cache_equals_server(&account, &server, "INBOX").await;
}

/// Setting a session up after the login waits for the server once: for the answers to ENABLE,
/// ID and NAMESPACE, which are asked together, the capabilities having come with the login's
/// answer (twice when they did not, and they are asked for first); with compression, once more
/// for COMPRESS, and the capabilities are read again in the last round trip. Every connection
/// pays this: over a 50 ms link, each round trip saved is 50 ms sooner to the first folder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setting_a_session_up_after_the_login_takes_one_round_trip_two_when_compressed() {
    let server = Dovecot::start(DovecotOptions::default()).unwrap();
    let proxy = Proxy::start(server.tls_addr()).unwrap();
    let mut settings = server.server_settings(DEFAULT_USER, Security::Tls);
    settings.port = proxy.port();
    let password = Password::new(DEFAULT_PASSWORD);
    let tls = TlsContext::new().unwrap();
    // (capabilities from the login's answer, compression, round trips after the login)
    let table = [
        (true, Compression::Never, 1),
        (true, Compression::Always, 2),
        (false, Compression::Never, 2),
        (false, Compression::Always, 3),
    ];
    for (from_login, compression, round_trips) in table {
        let (session, known) =
            login_with_capabilities(&tls, &settings, &password, Timeouts::default()).await.unwrap();
        let known = known.filter(|_| from_login);
        assert_eq!(known.is_some(), from_login, "Dovecot names its capabilities when LOGIN succeeds");
        let before = proxy.turns();
        let options = SessionOptions { compression, ..SessionOptions::default() };
        let (mut session, negotiated) = negotiate_with(session, known, options).await.unwrap();
        let case = format!("capabilities from the login: {from_login}, {compression:?}");
        assert_eq!(proxy.turns() - before, round_trips, "round trips of the setup ({case})");
        assert_eq!(negotiated.compressed, compression == Compression::Always, "{case}");
        assert!(
            negotiated.caps.qresync && negotiated.caps.esearch && negotiated.idle,
            "{case}: {negotiated:?}"
        );
        assert_eq!(negotiated.namespaces.personal[0].delimiter.as_deref(), Some("/"));
        // QRESYNC is on: a CHANGEDSINCE ... VANISHED fetch is accepted, and the session is in step.
        session.select_condstore("INBOX").await.unwrap();
        session.run_command_and_check_ok("UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)").await.unwrap();
        session.logout().await.unwrap();
    }
}
