//! Shared helpers for the sync tests: an engine with an in-memory secret store, an independent
//! read of what the server holds, and the one comparison every scenario ends with.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_imap::types::{Fetch, Flag};
use futures::TryStreamExt;
use tern_core::Engine;
use tern_core::account::{ImapServer, NewAccount, Security};
use tern_core::imap::tls::TlsContext;
use tern_core::imap::{ImapSession, Password, Timeouts, connect_and_login};
use tern_core::secrets::SecretStore;
use tern_core::store::{Envelope, FlagState, MessageFlags};
use tern_core::sync::SyncProgress;
use tern_tests::Dovecot;

/// Secrets in memory: the sync tests are about IMAP, not the keychain (see `keychain.rs`).
#[derive(Debug, Default)]
pub struct MemorySecrets(Mutex<HashMap<String, String>>);

impl SecretStore for MemorySecrets {
    fn set(&self, account_id: &str, secret: &str) -> tern_core::Result<()> {
        self.0.lock().unwrap().insert(account_id.to_string(), secret.to_string());
        Ok(())
    }
    fn get(&self, account_id: &str) -> tern_core::Result<Option<String>> {
        Ok(self.0.lock().unwrap().get(account_id).cloned())
    }
    fn delete(&self, account_id: &str) -> tern_core::Result<()> {
        self.0.lock().unwrap().remove(account_id);
        Ok(())
    }
}

/// An engine in its own data directory with one account on a fixture server.
pub struct Account {
    pub engine: Arc<Engine>,
    pub id: String,
    pub user: String,
    _data: tempfile::TempDir,
}

/// Adds `user` of `server` (implicit TLS, certificate pinned) to a fresh engine; `tweak` may
/// change the settings first (e.g. `disable_condstore`).
pub async fn account(server: &Dovecot, user: &str, tweak: impl FnOnce(&mut ImapServer)) -> Account {
    account_with(server, user, tweak, Timeouts::default(), Arc::new(MemorySecrets::default())).await
}

/// [`account`] with other network time limits and a secret store the test keeps.
pub async fn account_with(
    server: &Dovecot,
    user: &str,
    tweak: impl FnOnce(&mut ImapServer),
    timeouts: Timeouts,
    secrets: Arc<MemorySecrets>,
) -> Account {
    let data = tempfile::tempdir().unwrap();
    let engine = Arc::new(Engine::open(data.path(), secrets).unwrap().with_timeouts(timeouts));
    let mut imap = server.server_settings(user, Security::Tls);
    tweak(&mut imap);
    let new = NewAccount { display_name: "Sync test".into(), email: user.to_string(), imap };
    let password = server.password(user).expect("a fixture user");
    let config = engine.add_account(new, Password::new(password)).await.unwrap();
    Account { engine, id: config.id, user: user.to_string(), _data: data }
}

/// A second, independent client of `server`: what "another mail program" sees and does.
pub async fn other_client(server: &Dovecot, user: &str) -> ImapSession {
    let settings = server.server_settings(user, Security::Tls);
    let password = server.password(user).expect("a fixture user");
    connect_and_login(&TlsContext::new().unwrap(), &settings, &Password::new(password), Timeouts::default())
        .await
        .unwrap()
}

/// Progress callbacks, recorded.
#[derive(Debug, Default)]
pub struct Recorder(pub Mutex<Vec<SyncProgress>>);

impl Recorder {
    pub fn record(&self, p: SyncProgress) {
        self.0.lock().unwrap().push(p);
    }
    pub fn seen(&self) -> Vec<SyncProgress> {
        self.0.lock().unwrap().clone()
    }
}

/// What the message list shows of one message, as compared between cache and server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub uid: u32,
    pub flags: FlagState,
    pub received: i64,
    pub size: u32,
    pub subject: String,
    /// (name, address) of each `From:` mailbox.
    pub from: Vec<(Option<String>, String)>,
}

impl Row {
    pub fn of_envelope(e: &Envelope) -> Self {
        Row {
            uid: e.uid,
            flags: e.flags.clone(),
            received: e.received,
            size: e.size,
            subject: e.subject.clone(),
            from: e.from.iter().map(|a| (a.name.clone(), a.email.clone())).collect(),
        }
    }

    /// Decodes a FETCH of [`SERVER_ITEMS`] without any of tern-core's parsing code.
    pub fn of_fetch(f: &Fetch) -> Self {
        let mut flags = MessageFlags::default();
        let mut keywords = Vec::new();
        for flag in f.flags() {
            match flag {
                Flag::Seen => flags.seen = true,
                Flag::Answered => flags.answered = true,
                Flag::Flagged => flags.flagged = true,
                Flag::Deleted => flags.deleted = true,
                Flag::Draft => flags.draft = true,
                Flag::Recent | Flag::MayCreate => {}
                Flag::Custom(k) => keywords.push(k.to_string()),
            }
        }
        keywords.sort();
        let header = f.header().expect("the header fields were fetched");
        let parsed = mail_parser::MessageParser::default().parse_headers(header).expect("parsable headers");
        let from = parsed
            .from()
            .map(|list| {
                list.iter()
                    .filter_map(|a| {
                        let email = a.address()?.trim().to_string();
                        let name =
                            a.name().map(|n| n.trim().to_string()).filter(|n| !n.is_empty() && *n != email);
                        Some((name, email))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Row {
            uid: f.uid.expect("UID fetched"),
            flags: FlagState { flags, keywords },
            received: f.internal_date().expect("INTERNALDATE fetched").timestamp(),
            size: f.size.expect("RFC822.SIZE fetched"),
            subject: parsed.subject().unwrap_or_default().trim().to_string(),
            from,
        }
    }
}

/// What the independent read asks for.
pub const SERVER_ITEMS: &str = "(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)])";

/// Every message of `folder` as the server has it, by UID (read-only, over its own session).
pub async fn server_rows(server: &Dovecot, user: &str, folder: &str) -> Vec<Row> {
    let mut session = other_client(server, user).await;
    let mbox = session.examine(folder).await.unwrap();
    let mut rows: Vec<Row> = if mbox.exists == 0 {
        Vec::new()
    } else {
        let fetched: Vec<Fetch> =
            session.uid_fetch("1:*", SERVER_ITEMS).await.unwrap().try_collect().await.unwrap();
        fetched.iter().map(Row::of_fetch).collect()
    };
    session.logout().await.unwrap();
    rows.sort_by_key(|r| r.uid);
    assert_eq!(rows.len(), mbox.exists as usize, "the server's own count of {folder}");
    rows
}

/// Every cached message of `folder`, by UID.
pub fn cached_rows(account: &Account, folder: &str) -> Vec<Row> {
    account.engine.cached_envelopes(&account.id, folder).unwrap().iter().map(Row::of_envelope).collect()
}

/// Panics with the first differences when `cache` and `server` differ.
pub fn assert_rows_equal(folder: &str, cache: &[Row], server: &[Row]) {
    if cache == server {
        return;
    }
    let cached: HashMap<u32, &Row> = cache.iter().map(|r| (r.uid, r)).collect();
    let on_server: HashMap<u32, &Row> = server.iter().map(|r| (r.uid, r)).collect();
    let mut problems = Vec::new();
    for r in server {
        match cached.get(&r.uid) {
            None => problems.push(format!("uid {} on the server, not cached", r.uid)),
            Some(c) if *c != r => {
                problems.push(format!("uid {} differs:\n  cache  {c:?}\n  server {r:?}", r.uid))
            }
            _ => {}
        }
    }
    for r in cache {
        if !on_server.contains_key(&r.uid) {
            problems.push(format!("uid {} cached, gone from the server", r.uid));
        }
    }
    let shown: Vec<&String> = problems.iter().take(8).collect();
    panic!(
        "{folder}: cache ({} rows) differs from the server ({} rows) in {} places; first ones:\n{}",
        cache.len(),
        server.len(),
        problems.len(),
        shown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
    );
}

/// The check every scenario ends with: the cache of `folder` equals an independent read of the
/// server (uid, flags, INTERNALDATE, size, subject, from), the cached counters match, and the
/// newest-first page starts with the newest message. Returns the server's rows.
pub async fn check_cache_equals_server(account: &Account, server: &Dovecot, folder: &str) -> Vec<Row> {
    let on_server = server_rows(server, &account.user, folder).await;
    let cache = cached_rows(account, folder);
    assert_rows_equal(folder, &cache, &on_server);

    let unread = on_server.iter().filter(|r| !r.flags.flags.seen).count() as u32;
    let page = account.engine.envelopes(&account.id, folder, 0, 20).unwrap();
    assert_eq!((page.total, page.unread), (on_server.len() as u32, unread), "{folder}: cached counters");
    let states = account.engine.folder_states(&account.id).unwrap();
    let state = states.iter().find(|(p, _)| p == folder).map(|(_, s)| s.clone());
    if let Some(state) = state {
        assert_eq!((state.total, state.unread), (on_server.len() as u32, unread), "{folder}: folder state");
        assert!(state.complete, "{folder}: state not complete after a finished sync");
    } else {
        assert!(on_server.is_empty(), "{folder}: no folder state for a synced folder");
    }
    let newest = on_server.iter().map(|r| r.received).max();
    assert_eq!(page.rows.first().map(|e| e.received), newest, "{folder}: page 0 starts with the newest");
    assert!(page.rows.windows(2).all(|w| w[0].received >= w[1].received), "{folder}: page is newest first");
    on_server
}

/// Drains a stream-returning command's responses (STORE, EXPUNGE...).
pub async fn consume<S, T, E>(stream: S)
where
    S: futures::Stream<Item = Result<T, E>>,
    E: std::fmt::Debug,
{
    let _: Vec<T> = stream.try_collect().await.unwrap();
}
