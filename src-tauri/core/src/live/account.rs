//! One account's task: connect, catch up, push and poll, reconnect on faults.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::sync::{OwnedMutexGuard, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::events::{AccountState, LiveEvent, NewMessage, unix_ms};
use super::idle::{INBOX, IdleNews};
use super::{FlagChange, LiveSettings, Request, idle, locked};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::imap::ImapSession;
use crate::imap::content::{
    MessageContent, ParsedFetch, WHOLE_MESSAGE_MAX, content_from, fetch_content_at, fetch_source,
    first_items, save_part,
};
use crate::imap::raw::{Answer, exchange_in_step, quoted};
use crate::store::{FlagState, FolderChanges, PendingFlags};
use crate::sync::{
    Negotiated, ServerFolder, SyncMode, SyncProgress, SyncReport, Syncer, deselect, status_moved,
    storage_quota,
};

/// One async lock per folder of an account, so two connections never sync a folder at once.
#[derive(Debug, Clone, Default)]
pub(crate) struct FolderLocks(Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>);

impl FolderLocks {
    /// Waits for the folder's lock.
    pub(crate) async fn lock(&self, path: &str) -> OwnedMutexGuard<()> {
        let lock = locked(&self.0).entry(path.to_string()).or_default().clone();
        lock.lock_owned().await
    }
}

/// What a failure means for the retry loop.
#[derive(Debug)]
enum Fault {
    /// Network or server trouble: retry after a backoff.
    Retry(Error),
    /// The server refused the credentials: wait for the user.
    Auth(String),
    /// The certificate is not trusted: wait for the user.
    Certificate { reason: String, fingerprint: String },
    /// The account's settings cannot work as they are: wait for the user.
    Settings(String),
    /// The account no longer exists.
    Gone,
}

fn classify(error: Error) -> Fault {
    match error {
        Error::AuthFailed { .. } | Error::AuthPolicy { .. } | Error::MissingSecret(_) => {
            Fault::Auth(error.to_string())
        }
        Error::UntrustedCertificate { ref fingerprint, .. } => {
            Fault::Certificate { fingerprint: fingerprint.clone(), reason: error.to_string() }
        }
        Error::InsecureConnection(_) | Error::InvalidSettings(_) => Fault::Settings(error.to_string()),
        Error::NoSuchAccount(_) => Fault::Gone,
        other => Fault::Retry(other),
    }
}

/// What to sync.
#[derive(Debug, Clone)]
enum Target {
    /// The folder list and every folder.
    All,
    /// One folder.
    Folder(String),
    /// The folders whose counts moved (the inbox too unless IDLE watches it).
    Poll { skip_inbox: bool },
}

/// The task of one account. See the module documentation of [`super`].
pub(crate) struct AccountTask {
    pub(crate) engine: Arc<Engine>,
    pub(crate) account_id: String,
    pub(crate) settings: LiveSettings,
    pub(crate) events: mpsc::UnboundedSender<LiveEvent>,
    pub(crate) cancel: CancellationToken,
    pub(crate) requests: mpsc::Receiver<Request>,
    pub(crate) locks: FolderLocks,
    /// Inbox messages whose text is downloaded in the background, next first.
    pub(crate) prefetch: VecDeque<u32>,
    /// The messages next to the one opened last, in its folder, downloaded in the background
    /// before the inbox's ([`Self::plan_reading_ahead`]).
    pub(crate) reading_ahead: VecDeque<(String, u32)>,
    /// The folder the command connection keeps open after a read or a flag change in it
    /// ([`Self::open_folder`]) or a sync of it, so that reading on, marking read or syncing
    /// it again costs no second SELECT; polls and anything in another folder leave it first
    /// ([`Self::leave`]).
    pub(crate) open: Mutex<Option<OpenFolder>>,
}

/// A folder left open on the command connection, as its SELECT (or the last sync in it)
/// described it.
#[derive(Debug)]
pub(crate) struct OpenFolder {
    path: String,
    uidvalidity: u32,
    /// UIDNEXT as the session last saw it: the session knows no message from this UID on,
    /// since it has not looked again (a NOOP shows it the later ones, [`look_again`]).
    uidnext: u32,
}

impl OpenFolder {
    /// The folder `path` as its SELECT described it.
    fn of(path: &str, mailbox: &async_imap::types::Mailbox) -> Self {
        Self {
            path: path.to_string(),
            uidvalidity: mailbox.uid_validity.unwrap_or(0),
            uidnext: mailbox.uid_next.unwrap_or(0),
        }
    }

    /// The folder `path` as the untagged answer to a SELECT sent with [`exchange_in_step`]
    /// described it (`OK [UIDVALIDITY n]`, `OK [UIDNEXT n]`).
    fn of_answer(path: &str, untagged: &[Vec<u8>]) -> Self {
        let server = crate::sync::Resynced::of(untagged).server;
        Self { path: path.to_string(), uidvalidity: server.uidvalidity, uidnext: server.uidnext }
    }
}

/// How many of the newest inbox messages have their text downloaded in the background.
const PREFETCH_NEWEST: usize = 30;
/// Messages read ahead around the one opened: older ones (further down the list) and newer.
const READ_AHEAD_OLDER: usize = 2;
const READ_AHEAD_NEWER: usize = 1;
/// Background downloads waiting at most: after a burst of new mail, the newest of it.
const PREFETCH_QUEUED: usize = PREFETCH_NEWEST * 2;
/// Messages downloaded per background step. Each step holds the inbox's lock, so the IDLE
/// connection's sync of new mail and the window's requests wait for at most one step: one
/// message, about 10 ms at 100,000 messages (with five, an arrival that came meanwhile waited
/// up to 94 ms). Steps cost no more than their fetches, since the inbox stays open between them.
const PREFETCH_BATCH: usize = 1;

/// The order in which messages' text is downloaded in the background: messages that just
/// arrived, newest first (they are the ones read next), then those already waiting, in their
/// order, then the newest of the inbox (`newest`, as the list shows them). Each UID once.
fn prefetch_order(arrived: &[u32], waiting: &VecDeque<u32>, newest: &[u32]) -> Vec<u32> {
    let mut arrived = arrived.to_vec();
    arrived.sort_unstable_by(|a, b| b.cmp(a));
    let mut seen = HashSet::new();
    arrived
        .into_iter()
        .chain(waiting.iter().copied())
        .chain(newest.iter().copied())
        .filter(|uid| seen.insert(*uid))
        .collect()
}

impl AccountTask {
    fn set_state(&self, state: AccountState) {
        let _ = self.events.send(LiveEvent::AccountState { account_id: self.account_id.clone(), state });
    }

    /// Runs until cancelled (or the account is gone).
    pub(crate) async fn run(mut self) {
        let mut attempts = 0u32;
        while !self.cancel.is_cancelled() {
            self.set_state(AccountState::Connecting);
            let error = match self.serve(&mut attempts).await {
                Ok(()) => break,
                Err(e) => e,
            };
            if self.cancel.is_cancelled() {
                break;
            }
            let wait = match classify(error) {
                Fault::Gone => break,
                Fault::Retry(e) => {
                    let delay = self.settings.backoff.next(attempts);
                    attempts = attempts.saturating_add(1);
                    tracing::info!(account = %self.account_id, error = %e, retry_in = ?delay, "account offline");
                    self.set_state(AccountState::Offline {
                        reason: e.to_string(),
                        retry_at_ms: unix_ms(SystemTime::now() + delay),
                        attempts,
                    });
                    Some(delay)
                }
                Fault::Auth(reason) => {
                    tracing::warn!(account = %self.account_id, %reason, "login refused; waiting for the user");
                    self.set_state(AccountState::AuthNeeded { reason });
                    None
                }
                Fault::Certificate { reason, fingerprint } => {
                    tracing::warn!(account = %self.account_id, %reason, "certificate not trusted; waiting for the user");
                    self.set_state(AccountState::CertificateNeeded { reason, fingerprint });
                    None
                }
                Fault::Settings(reason) => {
                    self.set_state(AccountState::AuthNeeded { reason });
                    None
                }
            };
            if wait.is_none() {
                attempts = 0;
            }
            if !self.pause(wait).await {
                break;
            }
        }
        self.set_state(AccountState::Stopped);
    }

    /// Waits out a retry delay (`None`: until the user asks to retry), answering "sync now"
    /// requests with an offline error. False when the task should end.
    async fn pause(&mut self, delay: Option<Duration>) -> bool {
        let sleep = async {
            match delay {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                _ = self.cancel.cancelled() => return false,
                _ = &mut sleep => return true,
                request = self.requests.recv() => match request.map(Request::refuse_offline) {
                    None => return false,
                    Some(Ok(())) => {}
                    Some(Err(Request::Flags { path, uids, change, reply })) => {
                        // Shown at once, and sent first thing after reconnecting.
                        let kept = self
                            .flags_locally(&path, &uids, change)
                            .and_then(|()| self.keep_for_later(&path, &uids, change));
                        let _ = reply.send(kept);
                    }
                    Some(Err(_)) => return true,
                },
            }
        }
    }

    /// One connected period: returns `Ok` when cancelled, the fault otherwise.
    async fn serve(&mut self, attempts: &mut u32) -> Result<()> {
        let cancel = self.cancel.clone();
        let (mut session, negotiated) = tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            connected = self.engine.session(&self.account_id) => connected?,
        };
        let push = self.settings.idle && negotiated.idle;
        self.set_state(AccountState::Online { push });
        tracing::info!(account = %self.account_id, push, compressed = negotiated.compressed, "account online");

        let result = self.connected(&mut session, &negotiated, push, attempts).await;
        if result.is_ok() {
            // Cancelled: a polite logout, bounded.
            let _ = tokio::time::timeout(self.settings.done_timeout, session.logout()).await;
        }
        result
    }

    async fn connected(
        &mut self,
        session: &mut ImapSession,
        negotiated: &Negotiated,
        push: bool,
        attempts: &mut u32,
    ) -> Result<()> {
        let cancel = self.cancel.clone();
        // A new connection has nothing open.
        super::locked(&self.open).take();
        // Changes made while offline go first: the catch-up would take the server's flags,
        // which do not have them yet, for the newer ones.
        tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            sent = self.send_kept(session) => { sent?; }
        }
        tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            caught_up = self.sync(session, negotiated, Target::All) => { caught_up?; }
        }
        *attempts = 0;
        self.plan_prefetch(&[])?;

        let idle_cancel = cancel.child_token();
        let (news_tx, mut news) = mpsc::channel::<IdleNews>(64);
        let idle_task = push.then(|| {
            let task = idle::IdleTask {
                engine: self.engine.clone(),
                account_id: self.account_id.clone(),
                settings: self.settings,
                events: self.events.clone(),
                cancel: idle_cancel.clone(),
                locks: self.locks.clone(),
                news: news_tx,
            };
            tokio::spawn(task.run())
        });

        let mut poll = tokio::time::interval(self.settings.poll_interval);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        poll.tick().await;
        let result = loop {
            tokio::select! {
                biased;
                _ = cancel.cancelled() => break Ok(()),
                Some(news) = news.recv(), if push => match news {
                    IdleNews::Failed(error) => break Err(error),
                    IdleNews::Arrived(uids) => {
                        if let Err(e) = self.plan_prefetch(&uids) {
                            tracing::debug!(account = %self.account_id, error = %e, "background download not planned");
                        }
                    }
                    IdleNews::Notifying => {
                        tracing::debug!(account = %self.account_id, "other folders are pushed (NOTIFY)");
                        // What changed in other folders after their catch-up and before NOTIFY
                        // was on was pushed to nobody: one look at every folder's counts finds it
                        // now rather than at the next poll.
                        if let Err(e) = self.sync(session, negotiated, Target::Poll { skip_inbox: true }).await {
                            break Err(e);
                        }
                    }
                    IdleNews::Moved(path) => {
                        match self.sync(session, negotiated, Target::Folder(path.clone())).await {
                            Ok(_) => {}
                            Err(Error::ConnectionLost(e)) => break Err(Error::ConnectionLost(e)),
                            Err(e @ Error::Timeout { .. }) => break Err(e),
                            // A folder that vanished meanwhile: the next poll updates the list.
                            Err(e) => tracing::debug!(account = %self.account_id, folder = %path, error = %e, "pushed folder not synced"),
                        }
                    }
                },
                _ = poll.tick() => {
                    if let Err(e) = self.sync(session, negotiated, Target::Poll { skip_inbox: push }).await {
                        break Err(e);
                    }
                    if let Err(e) = self.plan_prefetch(&[]) {
                        tracing::debug!(account = %self.account_id, error = %e, "background download not planned");
                    }
                }
                request = self.requests.recv() => match request {
                    None => break Ok(()),
                    Some(Request::Retry) => {}
                    Some(Request::Flags { path, uids, change, reply }) => {
                        match self.flags(session, &path, &uids, change).await {
                            // The cache has the change: it is sent again after reconnecting
                            // (setting or clearing a flag twice is the same as once).
                            Err(lost @ (Error::ConnectionLost(_) | Error::Timeout { .. })) => {
                                let _ = reply.send(self.keep_for_later(&path, &uids, change));
                                break Err(Error::ConnectionLost(lost.to_string()));
                            }
                            outcome => {
                                let _ = reply.send(outcome);
                            }
                        }
                    }
                    Some(Request::Content { path, uid, reply }) => {
                        let outcome = self.content(session, negotiated, &path, uid).await;
                        let opened = matches!(outcome, Ok(Some(_)));
                        if let Some(lost) = answer(reply, outcome) {
                            break Err(lost);
                        }
                        if opened && let Err(e) = self.plan_reading_ahead(&path, uid) {
                            tracing::debug!(account = %self.account_id, error = %e, "reading ahead not planned");
                        }
                    }
                    Some(Request::Attached { path, uid, section, reply }) => {
                        let limit = self.engine.timeouts().command;
                        let outcome = self
                            .opened(session, negotiated, &path, uid, async |s: &mut ImapSession| {
                                fetch_content_at(s, uid, Some(&section), limit).await
                            })
                            .await;
                        if let Some(lost) = answer(reply, outcome) {
                            break Err(lost);
                        }
                    }
                    Some(Request::Save { path, uid, section, dest, reply }) => {
                        // Large files take many round trips: the limit is per piece.
                        let limit = self.engine.timeouts().command;
                        let outcome = self
                            .opened(session, negotiated, &path, uid, async |s: &mut ImapSession| {
                                save_part(s, uid, &section, &dest, limit).await
                            })
                            .await;
                        if let Some(lost) = answer(reply, outcome) {
                            break Err(lost);
                        }
                    }
                    Some(Request::Source { path, uid, reply }) => {
                        let limit = self.engine.timeouts().command;
                        let outcome = self
                            .opened(session, negotiated, &path, uid, async |s: &mut ImapSession| {
                                fetch_source(s, uid, limit).await
                            })
                            .await;
                        if let Some(lost) = answer(reply, outcome) {
                            break Err(lost);
                        }
                    }
                    Some(Request::Sync { path, reply }) => {
                        let target = path.map_or(Target::All, Target::Folder);
                        if let Some(lost) = answer(reply, self.sync(session, negotiated, target).await) {
                            break Err(lost);
                        }
                    }
                },
                // Lowest priority: only when nothing else is waiting.
                _ = std::future::ready(()), if !self.prefetch.is_empty() || !self.reading_ahead.is_empty() => {
                    match self.prefetch_some(session, negotiated).await {
                        Ok(()) => {}
                        Err(e @ (Error::ConnectionLost(_) | Error::Timeout { .. })) => break Err(e),
                        Err(e) => {
                            tracing::debug!(account = %self.account_id, error = %e, "background download failed");
                            self.prefetch.clear();
                            self.reading_ahead.clear();
                        }
                    }
                }
            }
        };
        idle_cancel.cancel();
        if let Some(task) = idle_task {
            super::join_within(task, self.settings.shutdown_grace, &self.account_id).await;
        }
        result
    }

    /// Applies a flag change to the cache and tells the UI.
    fn flags_locally(&self, path: &str, uids: &[u32], change: FlagChange) -> Result<()> {
        let store = self.engine.store();
        let Some(fid) = store.folder_id(&self.account_id, path)? else { return Ok(()) };
        let mut updates = Vec::new();
        for uid in uids {
            if let Some(envelope) = store.envelope(fid, *uid)? {
                let flags = change.apply_to(&envelope.flags);
                if flags != envelope.flags {
                    updates.push((*uid, flags, envelope.modseq));
                }
            }
        }
        if updates.is_empty() {
            return Ok(());
        }
        let changed: Vec<u32> = updates.iter().map(|(uid, _, _)| *uid).collect();
        store.apply(fid, FolderChanges { flag_updates: updates, ..Default::default() })?;
        self.tell_flags_changed(fid, path, changed)
    }

    /// Keeps a flag change the server does not have yet, to send after reconnecting
    /// ([`Self::send_kept`]). Nothing to keep for a folder that is not cached: no message of it
    /// was shown, so none was changed.
    fn keep_for_later(&self, path: &str, uids: &[u32], change: FlagChange) -> Result<()> {
        let store = self.engine.store();
        let Some(fid) = store.folder_id(&self.account_id, path)? else { return Ok(()) };
        let Some(state) = store.folder_state(fid)? else { return Ok(()) };
        tracing::info!(account = %self.account_id, folder = %path, messages = uids.len(), "flag change kept until the server can have it");
        store.queue_flags(
            &self.account_id,
            &PendingFlags {
                path: path.to_string(),
                uidvalidity: state.uidvalidity,
                uids: uids.to_vec(),
                seen: change.seen,
                flagged: change.flagged,
            },
        )
    }

    /// Sends the flag changes kept while the server could not be reached, oldest first. Each
    /// leaves the queue once the server has it, or once it can no longer apply: its folder is
    /// gone or was made anew (another UIDVALIDITY: the UIDs name other messages), or the server
    /// refused it. A lost connection leaves the rest for the next one.
    async fn send_kept(&self, session: &mut ImapSession) -> Result<()> {
        let store = self.engine.store();
        let kept = store.pending_flags(&self.account_id)?;
        let limit = self.engine.timeouts().command;
        for (id, pending) in kept {
            let change = FlagChange { seen: pending.seen, flagged: pending.flagged };
            let newest = pending.uids.iter().copied().max().unwrap_or(0);
            // The folder first, on its own: the STOREs only go where the UIDs still mean the same.
            let same = match self.open_folder(session, &pending.path, newest, limit, &[]).await? {
                Some((_guard, open, _)) => {
                    let same = open.uidvalidity == pending.uidvalidity;
                    *super::locked(&self.open) = Some(open);
                    same
                }
                None => false,
            };
            if same {
                match self.flags(session, &pending.path, &pending.uids, change).await {
                    Ok(()) => {
                        tracing::info!(account = %self.account_id, folder = %pending.path, "flag change made offline sent");
                    }
                    Err(e @ (Error::ConnectionLost(_) | Error::Timeout { .. })) => return Err(e),
                    Err(e) => {
                        tracing::warn!(account = %self.account_id, folder = %pending.path, error = %e, "flag change made offline refused by the server");
                    }
                }
            } else {
                tracing::warn!(account = %self.account_id, folder = %pending.path, "flag change made offline dropped: its folder is gone or was made anew");
            }
            store.forget_pending_flags(&self.account_id, id)?;
        }
        Ok(())
    }

    /// Tells the window that flags of `changed` in `path` changed, with the folder's counts.
    fn tell_flags_changed(&self, fid: crate::store::FolderId, path: &str, changed: Vec<u32>) -> Result<()> {
        let state = self.engine.store().folder_state(fid)?.unwrap_or_default();
        self.tell_changed(path, changed);
        let _ = self.events.send(LiveEvent::CountsChanged {
            account_id: self.account_id.clone(),
            path: path.to_string(),
            total: state.total,
            unread: state.unread,
        });
        Ok(())
    }

    /// Changes flags: in the cache first, then with UID STORE on the server, whose answer (each
    /// message's flags and, with CONDSTORE, its MODSEQ: RFC 7162 3.1.3) goes into the cache.
    ///
    /// One round trip once the folder is open: no sync follows. The folder's HIGHESTMODSEQ stays
    /// where the last sync left it, so the next one still names every change since then, made
    /// by anyone, ours among them (which then match the cache and count as nothing).
    async fn flags(
        &self,
        session: &mut ImapSession,
        path: &str,
        uids: &[u32],
        change: FlagChange,
    ) -> Result<()> {
        self.flags_locally(path, uids, change)?;
        let limit = self.engine.timeouts().command;
        // A STORE naming a UID the session does not know would change nothing: hence the
        // NOOP of `Self::open_folder` for mail newer than the session has seen.
        let newest = uids.iter().copied().max().unwrap_or(0);
        let set = crate::sync::uidset::compact(uids);
        let stores: Vec<String> =
            change.store_commands().iter().map(|c| format!("UID STORE {set} {c}")).collect();
        let stores: Vec<&str> = stores.iter().map(String::as_str).collect();
        // The STOREs go with the SELECT when the folder is not open yet.
        let Some((_guard, open, answers)) = self.open_folder(session, path, newest, limit, &stores).await?
        else {
            return Err(Error::ConnectionLost(format!("the server would not open {path}")));
        };
        // Later reads, flag changes and syncs of the folder go on in it (see `Self::sync`).
        *super::locked(&self.open) = Some(open);
        // The answer for the messages asked about; unsolicited FETCHes of others may lack FLAGS.
        let asked: HashSet<u32> = uids.iter().copied().collect();
        let mut answered: HashMap<u32, (FlagState, u64)> = HashMap::new();
        for answer in answers {
            if let Some(refused) = answer.refused {
                return Err(Error::Protocol(format!("the server did not save the change: {refused}")));
            }
            for fetched in answer.untagged.iter().filter_map(|line| ParsedFetch::parse(line)) {
                if let Some(uid) = fetched.uid.filter(|uid| asked.contains(uid)) {
                    answered.insert(uid, (fetched.flag_state(), fetched.modseq().unwrap_or(0)));
                }
            }
        }
        // Expunges and news the STORE brought are named again by the next sync's CHANGEDSINCE.
        while session.unsolicited_responses.try_recv().is_ok() {}
        self.keep_answer(path, answered)
    }

    /// Puts the server's answer to a STORE into the cache: each message's flags as the server
    /// holds them now, and its MODSEQ. Tells the window of any that differ from what it shows.
    fn keep_answer(&self, path: &str, answered: HashMap<u32, (FlagState, u64)>) -> Result<()> {
        let store = self.engine.store();
        let Some(fid) = store.folder_id(&self.account_id, path)? else { return Ok(()) };
        let mut updates = Vec::new();
        let mut differ = Vec::new();
        for (uid, (flags, modseq)) in answered {
            let Some(envelope) = store.envelope(fid, uid)? else { continue };
            if flags != envelope.flags {
                differ.push(uid);
            }
            if flags != envelope.flags || modseq > envelope.modseq {
                updates.push((uid, flags, modseq.max(envelope.modseq)));
            }
        }
        if updates.is_empty() {
            return Ok(());
        }
        store.apply(fid, FolderChanges { flag_updates: updates, ..Default::default() })?;
        if differ.is_empty() {
            return Ok(());
        }
        differ.sort_unstable();
        self.tell_flags_changed(fid, path, differ)
    }

    /// Runs `op`, which reads messages up to UID `newest`, in the folder `path` ([`Self::open_folder`]),
    /// under the folder's lock. `Ok(None)` when the folder is gone.
    ///
    /// The folder stays open afterwards, so the next read in it (the next message the user
    /// opens, the next background download) goes straight to its FETCH, and so does marking
    /// the message read: on a large folder the SELECT is most of an uncached open. Reads leave
    /// flags as they are even though the folder is selected: every read is a `BODY.PEEK`.
    /// A read that fails leaves the folder at once.
    async fn opened<T>(
        &self,
        session: &mut ImapSession,
        negotiated: &Negotiated,
        path: &str,
        newest: u32,
        op: impl AsyncFnOnce(&mut ImapSession) -> Result<Option<T>>,
    ) -> Result<Option<T>> {
        self.opened_with(session, negotiated, path, newest, &[], async |s: &mut ImapSession, _| op(s).await)
            .await
    }

    /// [`Self::opened`], with `first`, the op's first commands, sent together with the SELECT
    /// when the folder is not open: one round trip for all. The op gets the server's answers
    /// to them, one per command.
    async fn opened_with<T>(
        &self,
        session: &mut ImapSession,
        negotiated: &Negotiated,
        path: &str,
        newest: u32,
        first: &[&str],
        op: impl AsyncFnOnce(&mut ImapSession, Vec<Answer>) -> Result<Option<T>>,
    ) -> Result<Option<T>> {
        let limit = self.engine.timeouts().command;
        let Some((_guard, open, answers)) = self.open_folder(session, path, newest, limit, first).await?
        else {
            return Ok(None);
        };
        let outcome = op(session, answers).await;
        if outcome.is_ok() {
            *super::locked(&self.open) = Some(open);
        } else {
            deselect(session, negotiated, limit).await?;
        }
        outcome
    }

    /// Opens `path` on the command connection for reads or flag changes up to UID `newest`
    /// (which the cache holds, so the server has it), with SELECT, under the folder's lock,
    /// which it returns for the work there: reads and flag changes share the folder, so reading
    /// a message and then marking it read opens it once.
    ///
    /// The folder already open there serves if it is the same one, under the UIDVALIDITY the
    /// cache holds (a cache that cannot say means no, never a folder left open unknown). Work
    /// on a message newer than the session knows of (new mail, which the IDLE connection
    /// brought into the cache) first asks the server with a NOOP to show the session what
    /// arrived (RFC 3501 6.1.2, [`look_again`]): on a large folder that costs the server a few
    /// milliseconds where opening it again costs tens (Dovecot: 55–96 ms at 100,000 messages
    /// for a session that had it open before). Otherwise SELECT, which closes whatever was
    /// open; a failed one leaves nothing open (RFC 3501 6.3.1). `Ok(None)`: the server refused
    /// to open the folder (it is gone). The caller puts the folder back in `self.open` once its
    /// work there succeeded.
    ///
    /// The commands `first` go in the same round trip as the SELECT, or on their own when the
    /// folder is open (after the NOOP for new mail: Dovecot runs a command sent with a NOOP
    /// beside it, before the session sees what the NOOP brings in); their answers come back
    /// with the folder, one per command (none when `first` is empty). A folder name that does
    /// not fit a quoted string is selected on its own first.
    async fn open_folder(
        &self,
        session: &mut ImapSession,
        path: &str,
        newest: u32,
        limit: Duration,
        first: &[&str],
    ) -> Result<Option<(OwnedMutexGuard<()>, OpenFolder, Vec<Answer>)>> {
        let guard = self.locks.lock(path).await;
        let open = super::locked(&self.open).take().filter(|open| {
            open.path == path
                && self.cached_state(path).map(|state| state.uidvalidity) == Some(open.uidvalidity)
        });
        let open = match open {
            Some(open) => {
                if newest >= open.uidnext {
                    look_again(session, path, limit).await?;
                }
                OpenFolder { uidnext: open.uidnext.max(newest.saturating_add(1)), ..open }
            }
            None => match quoted(path).filter(|_| !first.is_empty()) {
                Some(name) => {
                    let select = format!("SELECT {name}");
                    let commands: Vec<&str> =
                        std::iter::once(select.as_str()).chain(first.iter().copied()).collect();
                    let mut answers = exchange_in_step(session, &commands, limit).await?;
                    let selected = answers.remove(0);
                    if selected.refused.is_some() {
                        return Ok(None);
                    }
                    return Ok(Some((guard, OpenFolder::of_answer(path, &selected.untagged), answers)));
                }
                None => match tokio::time::timeout(limit, session.select(path)).await {
                    Ok(Ok(mailbox)) => OpenFolder::of(path, &mailbox),
                    Ok(Err(async_imap::error::Error::No(_))) => return Ok(None),
                    Ok(Err(e)) => return Err(Error::ConnectionLost(format!("opening {path}: {e}"))),
                    Err(_) => {
                        return Err(Error::ConnectionLost(format!("the server did not open {path} in time")));
                    }
                },
            },
        };
        let answers = match first {
            [] => Vec::new(),
            first => exchange_in_step(session, first, limit).await?,
        };
        Ok(Some((guard, open, answers)))
    }

    /// Leaves the folder a read left open, if any: a session's STATUS of its own open folder
    /// shows that folder as the session last saw it, so syncs and polls must not run beside it.
    async fn leave(&self, session: &mut ImapSession, negotiated: &Negotiated) -> Result<()> {
        if super::locked(&self.open).take().is_some() {
            deselect(session, negotiated, self.engine.timeouts().command).await?;
        }
        Ok(())
    }

    /// Downloads a message's content on the command connection and caches it.
    async fn content(
        &self,
        session: &mut ImapSession,
        negotiated: &Negotiated,
        path: &str,
        uid: u32,
    ) -> Result<Option<MessageContent>> {
        let store = self.engine.store();
        let fid = store.folder_id_or_create(&self.account_id, path)?;
        if let Some(content) = store.content(fid, uid)? {
            return Ok(Some(content));
        }
        let limit = self.engine.timeouts().command;
        let size = store.envelope(fid, uid)?.map(|envelope| envelope.size);
        let whole = size.is_some_and(|size| size <= WHOLE_MESSAGE_MAX);
        // The first FETCH goes with the SELECT when the folder is not open yet.
        let first = format!("UID FETCH {uid} {}", first_items(None, whole));
        let content = self
            .opened_with(session, negotiated, path, uid, &[&first], async |s: &mut ImapSession, answers| {
                let Some(answer) = answers.into_iter().next() else {
                    return Err(Error::Protocol("no answer to the FETCH".into()));
                };
                if let Some(refused) = answer.refused {
                    return Err(Error::Protocol(format!("downloading a message: {refused}")));
                }
                match answer
                    .untagged
                    .iter()
                    .filter_map(|line| ParsedFetch::parse(line))
                    .find(|f| f.uid == Some(uid))
                {
                    Some(fetched) => content_from(s, uid, &fetched, None, whole, limit).await,
                    None => Ok(None),
                }
            })
            .await?;
        if let Some(content) = &content {
            self.keep_content(path, fid, &[(uid, content)])?;
        }
        Ok(content)
    }

    /// Caches downloaded contents and gives their envelopes a snippet for the list.
    fn keep_content(
        &self,
        path: &str,
        fid: crate::store::FolderId,
        contents: &[(u32, &MessageContent)],
    ) -> Result<()> {
        let store = self.engine.store();
        let budget = self.engine.settings().cache_budget();
        let mut changed = Vec::new();
        for (uid, content) in contents {
            store.put_content(fid, *uid, content, budget)?;
            if store.set_snippet(fid, *uid, &content.snippet())? {
                changed.push(*uid);
            }
        }
        if !changed.is_empty() {
            self.tell_changed(path, changed);
        }
        Ok(())
    }

    /// Tells the UI that these messages of `path` changed in the cache.
    fn tell_changed(&self, path: &str, changed: Vec<u32>) {
        let _ = self.events.send(LiveEvent::MailboxChanged {
            account_id: self.account_id.clone(),
            path: path.to_string(),
            added: vec![],
            changed,
            removed: vec![],
            more: false,
        });
    }

    /// Queues the newest inbox messages whose text is not cached yet for download in the
    /// background, in the order of [`prefetch_order`]: new arrivals first.
    fn plan_prefetch(&mut self, arrived: &[u32]) -> Result<()> {
        if !self.engine.settings().prefetch {
            self.prefetch.clear();
            return Ok(());
        }
        let store = self.engine.store();
        let Some(fid) = store.folder_id(&self.account_id, INBOX)? else { return Ok(()) };
        let newest: Vec<u32> = store.page(fid, 0, PREFETCH_NEWEST)?.iter().map(|e| e.uid).collect();
        let mut queue = VecDeque::new();
        for uid in prefetch_order(arrived, &self.prefetch, &newest) {
            if queue.len() == PREFETCH_QUEUED {
                break;
            }
            if !store.has_content(fid, uid)? && store.envelope(fid, uid)?.is_some() {
                queue.push_back(uid);
            }
        }
        self.prefetch = queue;
        Ok(())
    }

    /// Queues the messages next to `uid` in `path` (the one just opened) whose text is not
    /// cached, for download in the background before anything else: whoever reads one message
    /// usually reads the next (over a slow link each uncached open waits for the server twice).
    /// What was queued for an earlier message is dropped: the reader has moved on.
    fn plan_reading_ahead(&mut self, path: &str, uid: u32) -> Result<()> {
        self.reading_ahead.clear();
        if !self.engine.settings().prefetch {
            return Ok(());
        }
        let store = self.engine.store();
        let Some(fid) = store.folder_id(&self.account_id, path)? else { return Ok(()) };
        for next in store.neighbours(fid, uid, READ_AHEAD_OLDER, READ_AHEAD_NEWER)? {
            if !store.has_content(fid, next)? {
                self.reading_ahead.push_back((path.to_string(), next));
            }
        }
        Ok(())
    }

    /// Downloads the next message read ahead, or else the next queued inbox messages' text
    /// ([`PREFETCH_BATCH`]), in the folder left open by the step before.
    async fn prefetch_some(&mut self, session: &mut ImapSession, negotiated: &Negotiated) -> Result<()> {
        let (path, uids): (String, Vec<u32>) = match self.reading_ahead.pop_front() {
            Some((path, uid)) => (path, vec![uid]),
            None => {
                let n = self.prefetch.len().min(PREFETCH_BATCH);
                (INBOX.to_string(), self.prefetch.drain(..n).collect())
            }
        };
        let store = self.engine.store();
        let fid = store.folder_id_or_create(&self.account_id, &path)?;
        for uid in uids {
            // Opened meanwhile, or gone from the cache: nothing to do.
            if store.has_content(fid, uid)? || store.envelope(fid, uid)?.is_none() {
                continue;
            }
            // As the reader downloads it: in a folder not open yet, with its SELECT.
            self.content(session, negotiated, &path, uid).await?;
        }
        Ok(())
    }

    /// Runs a sync on the command connection and publishes what changed.
    ///
    /// A sync of the folder already open on the connection (left open by a read, a flag change
    /// or the previous sync of it) goes on in it, with QRESYNC and a complete cache: a NOOP
    /// brings the session's view of it up to date, and one `CHANGEDSINCE` fetch names every
    /// change, as on the IDLE connection ([`Syncer::selected`]). That spares the STATUS and the
    /// SELECT, which cost a large folder the most (and cost more still on a Dovecot session
    /// that had the folder open before another client changed it). Every other sync leaves
    /// the open folder first. A folder sync that selected its folder keeps it open afterwards.
    async fn sync(
        &self,
        session: &mut ImapSession,
        negotiated: &Negotiated,
        target: Target,
    ) -> Result<Vec<SyncReport>> {
        let folder = match &target {
            Target::Folder(path) => Some(path.clone()),
            _ => None,
        };
        let stay = folder.as_deref().is_some_and(|path| self.still_open(path, negotiated));
        // A sync of one folder while another is open leaves that one open: its STATUS is not
        // the open folder's, and its SELECT closes the other (RFC 3501 6.3.1).
        let elsewhere = folder
            .as_deref()
            .is_some_and(|path| super::locked(&self.open).as_ref().is_some_and(|open| open.path != path));
        let full = matches!(target, Target::All | Target::Poll { .. });
        // A full pass on a server with LIST-STATUS leaves the open folder, reads the quota and
        // lists the folders in one round trip ([`Syncer::open_pass`]).
        let together = full && negotiated.opens_pass_at_once(super::locked(&self.open).is_some());
        if !stay && !elsewhere && !together {
            self.leave(session, negotiated).await?;
        }
        let store = self.engine.store();
        let progress = progress_events(&self.events, &self.account_id);
        let mut syncer = Syncer {
            session,
            store,
            account_id: &self.account_id,
            negotiated,
            progress: &progress,
            timeouts: self.engine.timeouts(),
        };
        let mut reports = Vec::new();
        // The storage quota moves with the mail: every full pass reads it.
        let opened = if together {
            let leave = super::locked(&self.open).take().is_some();
            syncer.open_pass(leave, negotiated.quota).await.map(Some)
        } else {
            if full && negotiated.quota {
                let limit = self.engine.timeouts().command;
                match tokio::time::timeout(limit, storage_quota(syncer.session)).await {
                    Ok(Ok(quota)) => store.put_quota(&self.account_id, quota)?,
                    Ok(Err(e)) => {
                        tracing::debug!(account = %self.account_id, error = %e, "quota not available")
                    }
                    Err(_) => {
                        return Err(Error::ConnectionLost(
                            "the server did not report the quota in time".into(),
                        ));
                    }
                }
            }
            Ok(None)
        };
        let limit = self.engine.timeouts().command;
        let outcome = match opened {
            Err(error) => Err(error),
            Ok(opening) => {
                let listed = match opening {
                    Some(opening) => {
                        if let Some(quota) = opening.quota {
                            store.put_quota(&self.account_id, quota)?;
                        }
                        Some(opening.list)
                    }
                    None => None,
                };
                match folder.as_deref() {
                    Some(path) if stay => self.sync_open(&mut syncer, path, &mut reports).await,
                    _ => self.sync_into(&mut syncer, store, negotiated, target, listed, &mut reports).await,
                }
            }
        };
        if let Err(error) = outcome {
            // Whatever the failed sync left open is not known to be current.
            super::locked(&self.open).take();
            if !matches!(error, Error::ConnectionLost(_) | Error::Timeout { .. }) {
                let _ = deselect(syncer.session, negotiated, limit).await;
            }
            return Err(error);
        }
        // A folder sync that selected its folder keeps it open for the next sync or read there;
        // it is only of use with QRESYNC. One that selected nothing (its STATUS showed it
        // unchanged) leaves open what was.
        if !reports.iter().any(|report| report.selected) {
            if !elsewhere {
                super::locked(&self.open).take();
            }
            return Ok(reports);
        }
        let kept = match (folder, reports.first()) {
            (Some(path), Some(_)) if negotiated.caps.qresync => store
                .folder_id(&self.account_id, &path)?
                .and_then(|fid| store.folder_state(fid).ok().flatten())
                .map(|state| OpenFolder { path, uidvalidity: state.uidvalidity, uidnext: state.uidnext }),
            _ => None,
        };
        match kept {
            Some(open) => *super::locked(&self.open) = Some(open),
            None => {
                super::locked(&self.open).take();
                deselect(syncer.session, negotiated, limit).await?;
            }
        }
        Ok(reports)
    }

    /// Whether a sync of `path` can go on in the folder open on the connection: it is that
    /// folder, the server offers QRESYNC, and the cache holds the folder completely under the
    /// UIDVALIDITY it was opened with (a cache that cannot say means no).
    fn still_open(&self, path: &str, negotiated: &Negotiated) -> bool {
        if !negotiated.caps.qresync {
            return false;
        }
        let open = super::locked(&self.open);
        let Some(open) = open.as_ref().filter(|open| open.path == path) else { return false };
        self.cached_state(path).is_some_and(|state| state.complete && state.uidvalidity == open.uidvalidity)
    }

    /// What the cache holds of `path`'s state; `None` also when the cache cannot say.
    fn cached_state(&self, path: &str) -> Option<crate::store::FolderState> {
        let store = self.engine.store();
        let fid = store.folder_id(&self.account_id, path).ok().flatten()?;
        store.folder_state(fid).ok().flatten()
    }

    /// The sync of the folder open on the connection ([`Self::sync`]).
    async fn sync_open(
        &self,
        syncer: &mut Syncer<'_>,
        path: &str,
        reports: &mut Vec<SyncReport>,
    ) -> Result<()> {
        let _guard = self.locks.lock(path).await;
        // The CHANGEDSINCE fetch then names again all the NOOP brought in; the queue it left
        // empty has room for the fetch's own VANISHED, as on the IDLE connection.
        look_again(syncer.session, path, self.engine.timeouts().command).await?;
        let report = syncer.selected(path).await?;
        publish(&self.engine, &self.events, &self.account_id, &report);
        reports.push(report);
        Ok(())
    }

    async fn sync_into(
        &self,
        syncer: &mut Syncer<'_>,
        store: &crate::store::Store,
        negotiated: &Negotiated,
        target: Target,
        listed: Option<crate::imap::FolderList>,
        reports: &mut Vec<SyncReport>,
    ) -> Result<()> {
        match target {
            Target::Folder(path) => {
                let _guard = self.locks.lock(&path).await;
                let report = syncer.folder(&path).await?;
                publish(&self.engine, &self.events, &self.account_id, &report);
                reports.push(report);
            }
            Target::All | Target::Poll { .. } => {
                let before: HashSet<String> =
                    store.folders(&self.account_id)?.into_iter().map(|f| f.path).collect();
                let (folders, statuses) = match listed {
                    Some(list) => syncer.keep_folder_list(list).await?,
                    None => syncer.folder_list().await?,
                };
                if folders.len() != before.len() || folders.iter().any(|f| !before.contains(&f.path)) {
                    let _ =
                        self.events.send(LiveEvent::FoldersChanged { account_id: self.account_id.clone() });
                }
                let poll = match target {
                    Target::Poll { skip_inbox } => Some(skip_inbox),
                    _ => None,
                };
                let mut todo: Vec<crate::sync::ToSync> = Vec::new();
                for folder in folders.iter().filter(|f| f.selectable) {
                    let mut known = statuses.get(&folder.path).copied();
                    if let Some(skip_inbox) = poll {
                        if skip_inbox && folder.path.eq_ignore_ascii_case("INBOX") {
                            continue;
                        }
                        let status: ServerFolder = match known {
                            Some(status) => status,
                            // Without LIST-STATUS, one STATUS per subscribed folder.
                            None if folder.subscribed => syncer.status(&folder.path).await?,
                            None => continue,
                        };
                        let cached = match store.folder_id(&self.account_id, &folder.path)? {
                            Some(fid) => store.folder_state(fid)?,
                            None => None,
                        };
                        if !status_moved(cached.as_ref(), status, negotiated.caps) {
                            continue;
                        }
                        known = Some(status);
                    }
                    todo.push((folder.path.clone(), known));
                }
                // The changed folders that a QRESYNC SELECT each brings up to date go together,
                // in one round trip; the others one after another.
                let (flight, rest) = syncer.flight_of(&todo)?;
                if !flight.is_empty() {
                    let mut guards = Vec::new();
                    for path in flight.paths() {
                        guards.push(self.locks.lock(path).await);
                    }
                    syncer
                        .resync_flight(flight, |report| {
                            publish(&self.engine, &self.events, &self.account_id, &report);
                            reports.push(report);
                        })
                        .await?;
                }
                for (path, known) in rest {
                    let _guard = self.locks.lock(path).await;
                    let report = syncer.folder_with_status(path, *known).await?;
                    publish(&self.engine, &self.events, &self.account_id, &report);
                    reports.push(report);
                }
            }
        }
        Ok(())
    }
}

/// A NOOP in the folder `path` open on the session: the server tells the session what changed
/// there since it last looked (RFC 3501 6.1.2), new messages included, which it can then read.
/// What the NOOP brings in (flag changes, expunges) is discarded: the syncs ask for every change
/// since the cache's own MODSEQ, which names it all again, and async-imap keeps only 100
/// unsolicited responses and drops the rest, so a full queue would hide a later VANISHED.
async fn look_again(session: &mut ImapSession, path: &str, limit: Duration) -> Result<()> {
    match tokio::time::timeout(limit, session.noop()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(Error::ConnectionLost(format!("checking {path}: {e}"))),
        Err(_) => return Err(Error::ConnectionLost(format!("the server did not answer for {path} in time"))),
    }
    while session.unsolicited_responses.try_recv().is_ok() {}
    Ok(())
}

/// Sends a request's outcome to whoever asked; returns the error to reconnect with when the
/// connection itself failed.
fn answer<T>(reply: oneshot::Sender<Result<T>>, outcome: Result<T>) -> Option<Error> {
    let lost = match &outcome {
        Err(e @ (Error::ConnectionLost(_) | Error::Timeout { .. })) => {
            Some(Error::ConnectionLost(e.to_string()))
        }
        _ => None,
    };
    let _ = reply.send(outcome);
    lost
}

/// A progress callback that turns sync progress into events of `account_id`.
pub(crate) fn progress_events(
    events: &mpsc::UnboundedSender<LiveEvent>,
    account_id: &str,
) -> impl Fn(SyncProgress) + Send + Sync + use<> {
    let events = events.clone();
    let account_id = account_id.to_string();
    move |p: SyncProgress| {
        let _ = events.send(LiveEvent::Progress {
            account_id: account_id.clone(),
            path: p.path,
            done: p.done,
            total: p.total,
        });
    }
}

/// Turns a sync report into events: what changed, the new counts, and new inbox mail.
pub(crate) fn publish(
    engine: &Engine,
    events: &mpsc::UnboundedSender<LiveEvent>,
    account_id: &str,
    report: &SyncReport,
) {
    if !report.changed_anything() {
        return;
    }
    let initial = matches!(report.mode, SyncMode::Initial | SyncMode::UidValidityReset);
    let _ = events.send(LiveEvent::MailboxChanged {
        account_id: account_id.to_string(),
        path: report.path.clone(),
        added: report.added_uids.clone(),
        changed: report.changed_uids.clone(),
        removed: report.removed_uids.clone(),
        more: initial,
    });
    let _ = events.send(LiveEvent::CountsChanged {
        account_id: account_id.to_string(),
        path: report.path.clone(),
        total: report.total,
        unread: report.unread,
    });
    if initial || report.added_uids.is_empty() || !report.path.eq_ignore_ascii_case("INBOX") {
        return;
    }
    // New unread inbox mail, for a desktop notification (messages the user's other programs
    // filed as read, such as their own sent copies, are not announced).
    let store = engine.store();
    let Ok(Some(fid)) = store.folder_id(account_id, &report.path) else { return };
    let mut fresh: Vec<NewMessage> = Vec::new();
    let mut count = 0;
    let mut uids = report.added_uids.clone();
    uids.sort_unstable_by(|a, b| b.cmp(a));
    for uid in uids {
        let Ok(Some(envelope)) = store.envelope(fid, uid) else { continue };
        if envelope.flags.flags.seen {
            continue;
        }
        count += 1;
        if fresh.len() < 3 {
            let from = envelope
                .from
                .first()
                .map(|a| a.name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| a.email.clone()))
                .unwrap_or_default();
            fresh.push(NewMessage { uid, from, subject: envelope.subject.clone() });
        }
    }
    if count > 0 {
        let _ = events.send(LiveEvent::NewMail {
            account_id: account_id.to_string(),
            path: report.path.clone(),
            count,
            newest: fresh,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_select_answer_gives_the_folder_its_uidvalidity_and_uidnext() {
        let untagged: Vec<Vec<u8>> = [
            "FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
            "OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.",
            "OK [CLOSED] Previous mailbox closed.",
            "120 EXISTS",
            "0 RECENT",
            "OK [UIDVALIDITY 1733000000] UIDs valid",
            "OK [UIDNEXT 121] Predicted next UID",
            "OK [HIGHESTMODSEQ 400] Highest",
        ]
        .iter()
        .map(|line| line.as_bytes().to_vec())
        .collect();
        let open = OpenFolder::of_answer("Archive", &untagged);
        assert_eq!((open.path.as_str(), open.uidvalidity, open.uidnext), ("Archive", 1_733_000_000, 121));
        let none = OpenFolder::of_answer("Archive", &[]);
        assert_eq!((none.uidvalidity, none.uidnext), (0, 0));
    }

    #[test]
    fn new_arrivals_are_downloaded_first_and_newest_first() {
        /// Arrived, waiting, the newest of the inbox; then the order.
        type Case = (&'static [u32], &'static [u32], &'static [u32], Vec<u32>);
        let table: Vec<Case> = vec![
            // At start: the newest of the inbox, as the list shows them.
            (&[], &[], &[30, 29, 28], vec![30, 29, 28]),
            // Arrivals come first, newest first, however they were reported.
            (&[31, 33, 32], &[], &[33, 32, 31, 30], vec![33, 32, 31, 30]),
            // A burst reported in batches: each later batch goes before what is still waiting,
            // so when the queue is cut it is the oldest of the burst that waits for the list.
            (&[101, 102], &[100, 99, 98], &[102, 101, 100, 99, 98], vec![102, 101, 100, 99, 98]),
            // What waits keeps its order, and nothing is queued twice.
            (&[], &[5, 9, 7], &[9, 8, 7], vec![5, 9, 7, 8]),
        ];
        for (arrived, waiting, newest, expected) in table {
            let waiting: VecDeque<u32> = waiting.iter().copied().collect();
            assert_eq!(
                prefetch_order(arrived, &waiting, newest),
                expected,
                "{arrived:?} {waiting:?} {newest:?}"
            );
        }
    }
}
