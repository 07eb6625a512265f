//! The engine: the one object the shell holds.
//!
//! It owns the account registry, the secret store, the cache and the TLS context, and offers the
//! operations the UI needs. Network operations are `async` and never hold a lock across an
//! `.await`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::account::{AccountConfig, AccountRegistry, ImapServer, NewAccount};
use crate::error::{Error, Result};
use crate::imap::content::MessageContent;
use crate::imap::tls::TlsContext;
use crate::imap::{Folder, ImapSession, Password, Timeouts, list_folders, login_with_capabilities};
use crate::secrets::SecretStore;
use crate::settings::{AppSettings, SettingsFile};
use crate::store::{Envelope, FolderState, StorageQuota, Store};
use crate::sync::{
    Negotiated, SessionOptions, SyncProgress, SyncReport, Syncer, negotiate_with, storage_quota,
};
use crate::views::{ListQuery, Row, RowPage, Views, conversation_folders, layout};

/// A window of a folder's message list, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Messages in the folder (cached).
    pub total: u32,
    /// Unread messages in the folder (cached).
    pub unread: u32,
    /// The requested rows.
    pub rows: Vec<Envelope>,
}

/// Tern's mail engine.
#[derive(Debug)]
pub struct Engine {
    /// Root of Tern's data (settings file and cache).
    data_dir: PathBuf,
    /// Configured accounts.
    accounts: Mutex<AccountRegistry>,
    /// Where passwords live.
    secrets: Arc<dyn SecretStore>,
    /// The sled cache.
    store: Store,
    /// Certificate trust, built once.
    tls: TlsContext,
    /// Network time limits.
    timeouts: Timeouts,
    /// App-wide preferences.
    settings: Mutex<SettingsFile>,
    /// Sorted, filtered and threaded lists, in memory.
    views: Views,
}

impl Engine {
    /// Opens the engine over `data_dir` (created if needed).
    pub fn open(data_dir: &Path, secrets: Arc<dyn SecretStore>) -> Result<Self> {
        std::fs::create_dir_all(data_dir)
            .map_err(|source| Error::Storage { path: data_dir.to_path_buf(), source })?;
        let accounts = AccountRegistry::open(data_dir)?;
        let store = Store::open(&data_dir.join("cache"))?;
        Ok(Self {
            data_dir: data_dir.to_path_buf(),
            accounts: Mutex::new(accounts),
            secrets,
            store,
            tls: TlsContext::new()?,
            timeouts: Timeouts::default(),
            settings: Mutex::new(SettingsFile::open(data_dir)),
            views: Views::default(),
        })
    }

    /// Where the engine keeps its files.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Other network time limits (tests use short ones).
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The network time limits.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// The app-wide preferences.
    pub fn settings(&self) -> AppSettings {
        self.settings.lock().unwrap_or_else(|p| p.into_inner()).get().clone()
    }

    /// Saves the app-wide preferences. A smaller cache budget takes effect at once.
    pub fn set_settings(&self, settings: AppSettings) -> Result<()> {
        let budget = settings.cache_budget();
        self.settings.lock().unwrap_or_else(|p| p.into_inner()).set(settings)?;
        self.store.evict_contents(budget)
    }

    /// One cached envelope.
    pub fn envelope(&self, id: &str, path: &str, uid: u32) -> Result<Option<crate::store::Envelope>> {
        match self.store.folder_id(id, path)? {
            Some(fid) => self.store.envelope(fid, uid),
            None => Ok(None),
        }
    }

    /// A message's content as cached by an earlier opening.
    pub fn cached_content(&self, id: &str, path: &str, uid: u32) -> Result<Option<MessageContent>> {
        self.registry().get(id)?;
        match self.store.folder_id(id, path)? {
            Some(fid) => self.store.content(fid, uid),
            None => Ok(None),
        }
    }

    /// The cache (the benchmark harness drives a [`crate::sync::Syncer`] on it directly).
    pub fn store(&self) -> &Store {
        &self.store
    }

    fn registry(&self) -> MutexGuard<'_, AccountRegistry> {
        // A panic while holding the lock cannot leave the registry half-updated (it swaps whole
        // lists), so a poisoned lock is still safe to use.
        self.accounts.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs a keychain operation on the blocking pool: the platform keychains block (the Secret
    /// Service client even runs its own small runtime), which must never happen on an async
    /// worker thread.
    async fn with_secrets<T: Send + 'static>(
        &self,
        op: impl FnOnce(&dyn SecretStore) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let store = self.secrets.clone();
        tokio::task::spawn_blocking(move || op(store.as_ref()))
            .await
            .map_err(|e| Error::Keychain(format!("the keychain request did not finish: {e}")))?
    }

    /// All configured accounts.
    pub fn accounts(&self) -> Vec<AccountConfig> {
        self.registry().list().to_vec()
    }

    /// One account.
    pub fn account(&self, id: &str) -> Result<AccountConfig> {
        self.registry().get(id).cloned()
    }

    /// Logs in to `server` with `password` and lists its folders, without saving anything: the
    /// "Test settings" step of adding an account.
    pub async fn probe(&self, server: &ImapServer, password: &Password) -> Result<Vec<Folder>> {
        let (session, known) = login_with_capabilities(&self.tls, server, password, self.timeouts).await?;
        let options = self.session_options(server);
        let (mut session, negotiated) = negotiate_with(session, known, options).await?;
        let folders = list_folders(&mut session, &negotiated.list_options(), self.timeouts.command)
            .await
            .map(|list| list.folders);
        logout(session, self.timeouts.command);
        folders
    }

    fn session_options(&self, server: &ImapServer) -> SessionOptions {
        SessionOptions {
            allow_condstore: !server.disable_condstore,
            timeouts: self.timeouts,
            ..Default::default()
        }
    }

    /// A logged-in session for an account, set up for syncing.
    pub async fn session(&self, id: &str) -> Result<(ImapSession, Negotiated)> {
        let account = self.account(id)?;
        let (session, known) = self.login_with_capabilities(id).await?;
        negotiate_with(session, known, self.session_options(&account.imap)).await
    }

    /// Adds an account: checks the settings against the server first, then stores the password
    /// in the keychain, the settings in the registry, and the folder list in the cache. Nothing is
    /// saved when the server refuses.
    pub async fn add_account(&self, new: NewAccount, password: Password) -> Result<AccountConfig> {
        let config = new.into_config()?;
        let folders = self.probe(&config.imap, &password).await?;
        let (id, secret) = (config.id.clone(), password.clone());
        self.with_secrets(move |s| s.set(&id, secret.expose())).await?;
        let saved = self.registry().upsert(config.clone());
        if let Err(e) = saved {
            // Keep keychain and settings consistent: no orphaned secret.
            let id = config.id.clone();
            let _ = self.with_secrets(move |s| s.delete(&id)).await;
            return Err(e);
        }
        self.store.put_folders(&config.id, &folders)?;
        tracing::info!(account = %config.id, folders = folders.len(), "account added");
        Ok(config)
    }

    /// Changes how Tern signs in to an account: a new password, and/or trust in the certificate
    /// with `trust_fingerprint` (the one the server presented when it was refused). Logs in once
    /// with the result first; nothing is saved when the server still refuses.
    pub async fn update_access(
        &self,
        id: &str,
        password: Option<Password>,
        trust_fingerprint: Option<String>,
    ) -> Result<AccountConfig> {
        let mut config = self.account(id)?;
        if let Some(fingerprint) = trust_fingerprint {
            config.imap.pinned_cert_sha256 = Some(crate::imap::tls::normalize_fingerprint(&fingerprint));
        }
        let password = match password {
            Some(password) => password,
            None => {
                let owned = id.to_string();
                let stored = self.with_secrets(move |s| s.get(&owned)).await?;
                Password::new(stored.ok_or_else(|| Error::MissingSecret(config.email.clone()))?)
            }
        };
        self.probe(&config.imap, &password).await?;
        let (owned, secret) = (id.to_string(), password.clone());
        self.with_secrets(move |s| s.set(&owned, secret.expose())).await?;
        self.registry().upsert(config.clone())?;
        tracing::info!(account = %id, "sign-in settings updated");
        Ok(config)
    }

    /// Removes an account, its keychain entry and its cache.
    pub async fn remove_account(&self, id: &str) -> Result<()> {
        self.registry().remove(id)?;
        let owned = id.to_string();
        self.with_secrets(move |s| s.delete(&owned)).await?;
        self.store.forget_account(id)?;
        self.views.clear();
        tracing::info!(account = %id, "account removed");
        Ok(())
    }

    /// The folders of an account as last seen (instant, no network).
    pub fn cached_folders(&self, id: &str) -> Result<Vec<Folder>> {
        self.registry().get(id)?;
        self.store.folders(id)
    }

    /// Lists the folders of an account from the server and updates the cache (carrying cached
    /// mail over folders renamed on the server, dropping deleted ones).
    pub async fn refresh_folders(&self, id: &str) -> Result<Vec<Folder>> {
        let (mut session, negotiated) = self.session(id).await?;
        let result = async {
            let progress = |_: SyncProgress| {};
            Syncer {
                session: &mut session,
                store: &self.store,
                account_id: id,
                negotiated: &negotiated,
                progress: &progress,
                timeouts: self.timeouts,
            }
            .folders()
            .await
        }
        .await;
        logout(session, self.timeouts.command);
        result
    }

    /// Syncs the folder list and every folder of an account.
    pub async fn sync_account(
        &self,
        id: &str,
        progress: &(dyn Fn(SyncProgress) + Send + Sync),
    ) -> Result<Vec<SyncReport>> {
        let (mut session, negotiated) = self.session(id).await?;
        let result = async {
            if negotiated.quota {
                match storage_quota(&mut session).await {
                    Ok(quota) => self.store.put_quota(id, quota)?,
                    Err(e) => tracing::debug!(account = %id, error = %e, "quota not available"),
                }
            }
            Syncer {
                session: &mut session,
                store: &self.store,
                account_id: id,
                negotiated: &negotiated,
                progress,
                timeouts: self.timeouts,
            }
            .all()
            .await
        }
        .await;
        logout(session, self.timeouts.command);
        result
    }

    /// Syncs one folder of an account.
    pub async fn sync_folder(
        &self,
        id: &str,
        path: &str,
        progress: &(dyn Fn(SyncProgress) + Send + Sync),
    ) -> Result<SyncReport> {
        let (mut session, negotiated) = self.session(id).await?;
        let result = async {
            Syncer {
                session: &mut session,
                store: &self.store,
                account_id: id,
                negotiated: &negotiated,
                progress,
                timeouts: self.timeouts,
            }
            .folder(path)
            .await
        }
        .await;
        logout(session, self.timeouts.command);
        result
    }

    /// A window of a folder's cached messages, newest first. Costs O(offset + limit), never
    /// O(folder).
    pub fn envelopes(&self, id: &str, path: &str, offset: usize, limit: usize) -> Result<Page> {
        self.registry().get(id)?;
        let Some(fid) = self.store.folder_id(id, path)? else {
            return Ok(Page { total: 0, unread: 0, rows: Vec::new() });
        };
        let state = self.store.folder_state(fid)?.unwrap_or_default();
        let rows = self.store.page(fid, offset, limit.min(1_000))?;
        Ok(Page { total: state.total, unread: state.unread, rows })
    }

    /// A window of the message list as `query` asks for it (a folder or every inbox, sorted,
    /// filtered, as conversations or single messages), from the cache. The plain newest-first
    /// folder costs O(offset + limit); other orders build an in-memory view once, kept while no
    /// message comes into or leaves its folders.
    pub fn list(&self, query: &ListQuery, offset: usize, limit: usize) -> Result<RowPage> {
        let accounts: Vec<String> = self.registry().list().iter().map(|a| a.id.clone()).collect();
        if let crate::views::Source::Folder { account_id, .. } = &query.source {
            self.registry().get(account_id)?;
        }
        let layout = layout(&self.store, query, &accounts)?;
        self.views.page(&self.store, query, &layout, offset, limit.min(1_000))
    }

    /// Builds ahead of the first request what the message list needs to show each account's
    /// inbox as conversations (when that setting is on): their thread sets and the newest-first
    /// view. With the thread sets the last run saved, a few milliseconds; without (the first
    /// start, or the mail changed since), the folders' summaries are read and threaded, 0.3 s for
    /// 100,000 messages on a fast machine. The app runs it on the blocking pool as it starts,
    /// while its window loads; a list request that arrives meanwhile waits for it instead of
    /// doing it again.
    pub fn prepare_lists(&self) -> Result<()> {
        if !self.settings().conversations {
            return Ok(());
        }
        for account in self.accounts() {
            let query = ListQuery {
                source: crate::views::Source::Folder { account_id: account.id.clone(), path: "INBOX".into() },
                sort: crate::views::SortKey::Date,
                descending: true,
                filter: String::new(),
                conversations: true,
            };
            self.list(&query, 0, 1)?;
        }
        // A start without a usable saved thread set built one: saved now, so that the next start
        // has it even if this run does not end with `shutdown`.
        self.views.save(&self.store)
    }

    /// Every cached message of the conversation of message `uid` (threaded over its folder, the
    /// account's Inbox and Sent), oldest first. Empty when the message is not cached.
    pub fn conversation(&self, id: &str, path: &str, uid: u32) -> Result<Vec<Row>> {
        self.registry().get(id)?;
        match conversation_folders(&self.store, id, path)? {
            Some((folder, threaded)) => self.views.conversation(&self.store, &folder, &threaded, uid),
            None => Ok(Vec::new()),
        }
    }

    /// Cached counts of every synced folder of an account (path → state).
    pub fn folder_states(&self, id: &str) -> Result<Vec<(String, FolderState)>> {
        self.registry().get(id)?;
        let mut out = Vec::new();
        for (path, fid) in self.store.cached_folder_ids(id)? {
            if let Some(state) = self.store.folder_state(fid)? {
                out.push((path, state));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// The account's storage quota as of the last sync (`None`: unknown or unlimited).
    pub fn quota(&self, id: &str) -> Result<Option<StorageQuota>> {
        self.registry().get(id)?;
        self.store.quota(id)
    }

    /// All cached envelopes of a folder with their flags (for checks and repairs), by UID.
    pub fn cached_envelopes(&self, id: &str, path: &str) -> Result<Vec<Envelope>> {
        let Some(fid) = self.store.folder_id(id, path)? else { return Ok(Vec::new()) };
        let mut rows = self.store.page(fid, 0, usize::MAX)?;
        rows.sort_by_key(|e| e.uid);
        Ok(rows)
    }

    /// Opens a logged-in session for a configured account, password from the keychain.
    pub async fn login(&self, id: &str) -> Result<ImapSession> {
        self.login_with_capabilities(id).await.map(|(session, _)| session)
    }

    /// [`Self::login`], with the server's capabilities after login when its answer named them.
    async fn login_with_capabilities(&self, id: &str) -> Result<(ImapSession, Option<Vec<String>>)> {
        let account = self.account(id)?;
        let owned = id.to_string();
        let password = self
            .with_secrets(move |s| s.get(&owned))
            .await?
            .ok_or_else(|| Error::MissingSecret(account.email.clone()))?;
        login_with_capabilities(&self.tls, &account.imap, &Password::new(password), self.timeouts).await
    }

    /// Saves the conversations built since the last save and flushes the cache; call before exit.
    pub fn shutdown(&self) -> Result<()> {
        if let Err(error) = self.views.save(&self.store) {
            // Only a cost at the next start: the conversations are built again.
            tracing::warn!(%error, "conversations not saved");
        }
        self.store.flush()
    }
}

/// Logs out politely in the background: the caller does not wait a round trip for the server's
/// goodbye. A server that already hung up, or that does not answer within `limit`, is left.
fn logout(mut session: ImapSession, limit: std::time::Duration) {
    tokio::spawn(async move {
        match tokio::time::timeout(limit, session.logout()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::debug!(error = %e, "logout failed"),
            Err(_) => tracing::debug!("the server did not answer the logout"),
        }
    });
}
