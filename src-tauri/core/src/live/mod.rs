//! Live mail: one supervised task per account that keeps the cache in step with the server and
//! tells the UI what changed.
//!
//! # How it fits together
//!
//! - [`Supervisor`] starts, restarts and stops account tasks, and owns the event pipeline. Its
//!   [`Supervisor::shutdown`] cancels every task and joins each under a time limit: no task
//!   outlives the app.
//! - An account task ([`account`]) holds the *command connection*: it logs in, catches up with
//!   everything (folder list and every folder), starts the *IDLE connection* ([`idle`]), then
//!   syncs the folders the IDLE connection names (NOTIFY) and polls every folder's counts (one
//!   `LIST ... RETURN (STATUS ...)` where offered), syncing only the folders that moved. Reads
//!   (a message's text, an attachment, its source, the background downloads, all with
//!   `BODY.PEEK`), flag changes and folder syncs SELECT their folder (unless it is selected
//!   already) and keep it open, so the next read or flag change there (marking read the
//!   message just opened) goes straight to its FETCH or STORE (after a NOOP, for mail that
//!   arrived since the session last looked) and, with QRESYNC, the next sync of it is a NOOP
//!   and one `CHANGEDSINCE` fetch, without STATUS or SELECT. Polls, full syncs and anything in
//!   another folder leave it first (UNSELECT), because a session's STATUS of its own selected
//!   folder does not show other sessions' changes. It also runs "sync now" requests from the
//!   UI. On any
//!   fault it drops both connections and reconnects after a jittered, capped exponential
//!   [`backoff`]; a refused password or an untrusted certificate stops the retries until the
//!   user acts ([`Supervisor::retry`]). At most two connections per account are open.
//! - The IDLE task keeps `IDLE` on the inbox, re-issued well within the 29 minutes RFC 2177
//!   allows, with NOTIFY (RFC 5465) asking for arrivals and expunges in every personal folder
//!   where offered. Any untagged response ends the wait, `DONE` is sent under a time limit, and the
//!   inbox is synced incrementally (QRESYNC/CONDSTORE) on that same connection, with QRESYNC
//!   without selecting it again (`Syncer::selected`). Silence longer
//!   than [`LiveSettings::idle_timeout`] (Dovecot says "still here" every 2 minutes), a `DONE`
//!   without answer, or a jump of the wall clock (the machine slept) make it check the
//!   connection, and a dead one is reported to the account task, which reconnects.
//! - Every change becomes a [`LiveEvent`]; [`events::Coalescer`] merges bursts and the sink the
//!   shell gave receives batches at most every [`LiveSettings::batch_window`]. The first change
//!   after a quiet moment goes out at once (after [`SETTLE`], 2 ms, so the events of one change
//!   travel together): new mail shows without waiting for the window. New mail never waits
//!   behind a batch that brought none (a background download's snippet, a flag change): the
//!   window holds it back only after another batch of new mail.
//!
//! Two tasks never sync the same folder at once: a per-account lock per folder serializes the
//! IDLE task's inbox syncs with "sync now" requests.

pub mod account;
pub mod backoff;
pub mod events;
pub mod idle;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use backoff::Backoff;
pub use events::{AccountState, Coalescer, LiveEvent, NewMessage};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::imap::content::{MessageContent, MessageSource};
use crate::sync::SyncReport;

/// Timings of the live engine. The defaults suit real servers; tests shorten them.
#[derive(Debug, Clone, Copy)]
pub struct LiveSettings {
    /// Use IDLE on the inbox when the server offers it.
    pub idle: bool,
    /// Re-issue IDLE after this long (RFC 2177: servers may drop an IDLE after 29 minutes).
    pub idle_renew: Duration,
    /// Silence during IDLE after which the connection is checked (`DONE` must be answered).
    pub idle_timeout: Duration,
    /// Limit for the answer to `DONE`, and for the logout at shutdown.
    pub done_timeout: Duration,
    /// How often the other folders' counts are polled (and the inbox too without IDLE).
    pub poll_interval: Duration,
    /// Reconnect delays.
    pub backoff: Backoff,
    /// Events are delivered in batches at most this often (the first after a quiet moment at
    /// once).
    pub batch_window: Duration,
    /// How long [`Supervisor::shutdown`] waits for each task.
    pub shutdown_grace: Duration,
}

impl Default for LiveSettings {
    fn default() -> Self {
        Self {
            idle: true,
            idle_renew: Duration::from_secs(25 * 60),
            idle_timeout: Duration::from_secs(5 * 60),
            done_timeout: Duration::from_secs(20),
            poll_interval: Duration::from_secs(120),
            backoff: Backoff::default(),
            batch_window: Duration::from_millis(150),
            shutdown_grace: Duration::from_secs(3),
        }
    }
}

/// How long the first event after a quiet moment waits for the others of the same change (a
/// sync publishes them together, so a moment suffices).
const SETTLE: Duration = Duration::from_millis(2);

/// The `tracing` target of the debug event the IDLE connection logs when the server reports a
/// change to the inbox, at the moment the report comes off the socket: the start of Tern's own
/// part of new-mail latency, which the benchmark harness measures up to the UI's event.
pub const PUSH_TARGET: &str = "tern::push";

/// Receives batches of events (the shell forwards them to the window).
pub type EventSink = Arc<dyn Fn(Vec<LiveEvent>) + Send + Sync>;

/// A request to an account task.
#[derive(Debug)]
pub(crate) enum Request {
    /// Sync one folder (or, with `None`, the folder list and every folder) now.
    Sync { path: Option<String>, reply: oneshot::Sender<Result<Vec<SyncReport>>> },
    /// Download (and cache) what the reader shows of a message.
    Content { path: String, uid: u32, reply: oneshot::Sender<Result<Option<MessageContent>>> },
    /// Change flags of messages (the one entry point for flag changes).
    Flags { path: String, uids: Vec<u32>, change: FlagChange, reply: oneshot::Sender<Result<()>> },
    /// Download what the reader shows of the message attached at `section`.
    Attached {
        path: String,
        uid: u32,
        section: String,
        reply: oneshot::Sender<Result<Option<MessageContent>>>,
    },
    /// Save part `section` of a message to `dest`.
    Save {
        path: String,
        uid: u32,
        section: String,
        dest: PathBuf,
        reply: oneshot::Sender<Result<Option<u64>>>,
    },
    /// Download a message's header and raw source.
    Source { path: String, uid: u32, reply: oneshot::Sender<Result<Option<MessageSource>>> },
    /// Try to connect again now (after the user fixed the password or trusted a certificate).
    Retry,
}

impl Request {
    /// While the account is offline: answers a request that needs the server with an error;
    /// hands back the ones that do not (flag changes apply to the cache; a retry ends the wait).
    pub(crate) fn refuse_offline(self) -> std::result::Result<(), Request> {
        fn offline<T>(reply: oneshot::Sender<Result<T>>) {
            let _ = reply.send(Err(Error::ConnectionLost("the account is offline".into())));
        }
        match self {
            Request::Sync { reply, .. } => offline(reply),
            Request::Content { reply, .. } | Request::Attached { reply, .. } => offline(reply),
            Request::Save { reply, .. } => offline(reply),
            Request::Source { reply, .. } => offline(reply),
            other @ (Request::Flags { .. } | Request::Retry) => return Err(other),
        }
        Ok(())
    }
}

/// A change to the system flags Tern lets the user set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlagChange {
    /// Set (`Some(true)`) or clear (`Some(false)`) `\Seen`.
    pub seen: Option<bool>,
    /// Set or clear `\Flagged`.
    pub flagged: Option<bool>,
}

impl FlagChange {
    /// The STORE commands that make the change: (`+FLAGS` or `-FLAGS`, flags). Not `.SILENT`:
    /// the server's answer says which flags each message has now.
    pub fn store_commands(&self) -> Vec<String> {
        let mut add = Vec::new();
        let mut remove = Vec::new();
        for (state, flag) in [(self.seen, "\\Seen"), (self.flagged, "\\Flagged")] {
            match state {
                Some(true) => add.push(flag),
                Some(false) => remove.push(flag),
                None => {}
            }
        }
        let mut out = Vec::new();
        if !add.is_empty() {
            out.push(format!("+FLAGS ({})", add.join(" ")));
        }
        if !remove.is_empty() {
            out.push(format!("-FLAGS ({})", remove.join(" ")));
        }
        out
    }

    /// `flags` with the change applied.
    pub fn apply_to(&self, flags: &crate::store::FlagState) -> crate::store::FlagState {
        let mut out = flags.clone();
        if let Some(seen) = self.seen {
            out.flags.seen = seen;
        }
        if let Some(flagged) = self.flagged {
            out.flags.flagged = flagged;
        }
        out
    }
}

/// A running account task.
#[derive(Debug)]
struct Running {
    cancel: CancellationToken,
    requests: mpsc::Sender<Request>,
    task: JoinHandle<()>,
}

/// Starts, restarts and stops the account tasks.
pub struct Supervisor {
    engine: Arc<Engine>,
    settings: LiveSettings,
    events: mpsc::UnboundedSender<LiveEvent>,
    states: Arc<Mutex<HashMap<String, AccountState>>>,
    running: Mutex<HashMap<String, Running>>,
    emitter: Mutex<Option<JoinHandle<()>>>,
    cancel: CancellationToken,
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor").field("settings", &self.settings).finish_non_exhaustive()
    }
}

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section only swaps whole values in: a poisoned lock is still consistent.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// When the batch started by an event arriving `now` goes out: [`SETTLE`] later after a quiet
/// moment, else when the window since the last batch (`last_sent`) ends.
fn batch_deadline(
    last_sent: Option<tokio::time::Instant>,
    now: tokio::time::Instant,
    window: Duration,
) -> tokio::time::Instant {
    let settled = now + SETTLE.min(window);
    match last_sent {
        Some(sent) if sent + window > settled => sent + window,
        _ => settled,
    }
}

/// Whether an event lists new mail in a folder (not the rows of a first download or a
/// reload, which say `more`).
fn brings_mail(event: &LiveEvent) -> bool {
    matches!(event, LiveEvent::MailboxChanged { added, more: false, .. } if !added.is_empty())
        || matches!(event, LiveEvent::NewMail { .. })
}

/// Delivers the events from `incoming` to `sink` in batches (see [`batch_deadline`]), keeping
/// each account's last state in `tracked`. A batch with new mail in it goes by the window since
/// the last batch with new mail, so new mail never waits behind other changes (a background
/// download's snippet sent a moment before).
async fn emit(
    mut incoming: mpsc::UnboundedReceiver<LiveEvent>,
    window: Duration,
    tracked: Arc<Mutex<HashMap<String, AccountState>>>,
    sink: EventSink,
) {
    let mut coalescer = Coalescer::default();
    let mut last_sent: Option<tokio::time::Instant> = None;
    let mut last_mail: Option<tokio::time::Instant> = None;
    while let Some(first) = incoming.recv().await {
        let mut mail = false;
        let mut deadline = batch_deadline(last_sent, tokio::time::Instant::now(), window);
        let mut event = Some(first);
        while let Some(next) = event.take() {
            if !mail && brings_mail(&next) {
                mail = true;
                deadline = deadline.min(batch_deadline(last_mail, tokio::time::Instant::now(), window));
            }
            coalescer.push(next);
            event = tokio::time::timeout_at(deadline, incoming.recv()).await.ok().flatten();
        }
        let sent = tokio::time::Instant::now();
        last_sent = Some(sent);
        if mail {
            last_mail = Some(sent);
        }
        let batch = coalescer.take();
        for event in &batch {
            if let LiveEvent::AccountState { account_id, state } = event {
                locked(&tracked).insert(account_id.clone(), state.clone());
            }
        }
        sink(batch);
    }
}

impl Supervisor {
    /// A supervisor over `engine` delivering event batches to `sink`. Must be called inside a
    /// tokio runtime; starts no account until [`Self::start`] / [`Self::start_all`].
    pub fn new(engine: Arc<Engine>, settings: LiveSettings, sink: EventSink) -> Self {
        let (events, incoming) = mpsc::unbounded_channel::<LiveEvent>();
        let states: Arc<Mutex<HashMap<String, AccountState>>> = Arc::default();
        let cancel = CancellationToken::new();
        let window = settings.batch_window;
        let tracked = states.clone();
        let emitter = tokio::spawn(emit(incoming, window, tracked, sink));
        Self {
            engine,
            settings,
            events,
            states,
            running: Mutex::default(),
            emitter: Mutex::new(Some(emitter)),
            cancel,
        }
    }

    /// The engine the tasks use.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// Starts every configured account.
    pub fn start_all(&self) {
        for account in self.engine.accounts() {
            self.start(&account.id);
        }
    }

    /// Starts the task of one account (restarts it if it was running).
    pub fn start(&self, account_id: &str) {
        if self.cancel.is_cancelled() {
            return;
        }
        let cancel = self.cancel.child_token();
        let (requests, inbox) = mpsc::channel(16);
        let task = account::AccountTask {
            engine: self.engine.clone(),
            account_id: account_id.to_string(),
            settings: self.settings,
            events: self.events.clone(),
            cancel: cancel.clone(),
            requests: inbox,
            locks: account::FolderLocks::default(),
            prefetch: Default::default(),
            reading_ahead: Default::default(),
            open: Default::default(),
        };
        let task = tokio::spawn(task.run());
        let previous =
            locked(&self.running).insert(account_id.to_string(), Running { cancel, requests, task });
        if let Some(old) = previous {
            old.cancel.cancel();
            old.task.abort();
        }
    }

    /// Stops one account's task (before the account is removed), waiting for it within the
    /// grace period.
    pub async fn stop(&self, account_id: &str) {
        let running = locked(&self.running).remove(account_id);
        if let Some(running) = running {
            running.cancel.cancel();
            join_within(running.task, self.settings.shutdown_grace, account_id).await;
        }
        locked(&self.states).remove(account_id);
    }

    /// The last state each account reported.
    pub fn state(&self, account_id: &str) -> Option<AccountState> {
        locked(&self.states).get(account_id).cloned()
    }

    /// Every account's last reported state.
    pub fn states(&self) -> HashMap<String, AccountState> {
        locked(&self.states).clone()
    }

    /// Asks an account to reconnect now (the user re-entered the password, trusted the
    /// certificate, or pressed "Retry").
    pub fn retry(&self, account_id: &str) {
        let requests = locked(&self.running).get(account_id).map(|r| r.requests.clone());
        match requests {
            Some(requests) => {
                let _ = requests.try_send(Request::Retry);
            }
            None => self.start(account_id),
        }
    }

    /// Hands a request to the account's task and waits for its answer. `unfinished` names what
    /// was under way, for the error when the connection ends first.
    async fn ask<T>(
        &self,
        account_id: &str,
        request: impl FnOnce(oneshot::Sender<Result<T>>) -> Request,
        unfinished: &str,
    ) -> Result<T> {
        let requests = locked(&self.running).get(account_id).map(|r| r.requests.clone());
        let Some(requests) = requests else {
            return Err(Error::ConnectionLost(format!("the account {account_id} is not connected")));
        };
        let (reply, answer) = oneshot::channel();
        requests
            .send(request(reply))
            .await
            .map_err(|_| Error::ConnectionLost("the account stopped".into()))?;
        answer
            .await
            .map_err(|_| Error::ConnectionLost(format!("the connection ended before {unfinished}")))?
    }

    /// Syncs a folder (or the whole account with `None`) now, through the account's command
    /// connection. Fails with [`Error::ConnectionLost`] while the account is offline.
    pub async fn sync_now(&self, account_id: &str, path: Option<String>) -> Result<Vec<SyncReport>> {
        self.engine.account(account_id)?;
        self.ask(account_id, |reply| Request::Sync { path, reply }, "the sync finished").await
    }

    /// What the reader shows of a message: from the cache at once when it was opened before
    /// (even offline), else downloaded on the account's command connection (one round trip for
    /// the structure, one for the shown parts) and cached. `None` when the message is gone.
    pub async fn message_content(
        &self,
        account_id: &str,
        path: &str,
        uid: u32,
    ) -> Result<Option<MessageContent>> {
        if let Some(content) = self.engine.cached_content(account_id, path, uid)? {
            return Ok(Some(content));
        }
        let path = path.to_string();
        self.ask(account_id, |reply| Request::Content { path, uid, reply }, "the message arrived").await
    }

    /// What the reader shows of the message attached to message `uid` at `section` (a
    /// `message/rfc822` part): only its shown parts are downloaded. `None` when either is gone.
    pub async fn attached_message(
        &self,
        account_id: &str,
        path: &str,
        uid: u32,
        section: &str,
    ) -> Result<Option<MessageContent>> {
        self.engine.account(account_id)?;
        let (path, section) = (path.to_string(), section.to_string());
        self.ask(account_id, |reply| Request::Attached { path, uid, section, reply }, "the message arrived")
            .await
    }

    /// Saves part `section` of message `uid` (an attachment) to the file `dest`, decoded,
    /// streamed to disk in pieces; the file appears only once complete. Returns its size.
    pub async fn save_attachment(
        &self,
        account_id: &str,
        path: &str,
        uid: u32,
        section: &str,
        dest: &Path,
    ) -> Result<u64> {
        self.engine.account(account_id)?;
        let (path, section, dest) = (path.to_string(), section.to_string(), dest.to_path_buf());
        let saved = self
            .ask(
                account_id,
                |reply| Request::Save { path, uid, section, dest, reply },
                "the attachment was saved",
            )
            .await?;
        saved.ok_or_else(|| Error::MessageGone("the attachment".into()))
    }

    /// A message's header fields and raw source (the first [`SOURCE_LIMIT`] bytes), for
    /// "show details". `None` when the message is gone.
    ///
    /// [`SOURCE_LIMIT`]: crate::imap::content::SOURCE_LIMIT
    pub async fn message_source(
        &self,
        account_id: &str,
        path: &str,
        uid: u32,
    ) -> Result<Option<MessageSource>> {
        self.engine.account(account_id)?;
        let path = path.to_string();
        self.ask(account_id, |reply| Request::Source { path, uid, reply }, "the message arrived").await
    }

    /// Changes flags of messages: the cache (and the UI, through events) at once, then the
    /// server on the account's command connection, whose answer goes into the cache. While the
    /// account is offline (or when the connection drops during the change) the change is kept
    /// in the cache, on disk, and sent first thing after reconnecting, before the catch-up; the
    /// call succeeds.
    pub async fn set_flags(
        &self,
        account_id: &str,
        path: &str,
        uids: Vec<u32>,
        change: FlagChange,
    ) -> Result<()> {
        self.engine.account(account_id)?;
        if uids.is_empty() || change.store_commands().is_empty() {
            return Ok(());
        }
        let path = path.to_string();
        self.ask(account_id, |reply| Request::Flags { path, uids, change, reply }, "the change was saved")
            .await
    }

    /// Stops every task, each within the grace period, then delivers the last events. Bounded:
    /// returns after at most a few grace periods whatever the network does.
    pub async fn shutdown(&self) {
        self.cancel.cancel();
        let all: Vec<(String, Running)> = locked(&self.running).drain().collect();
        let joins = all.into_iter().map(|(id, running)| {
            running.cancel.cancel();
            async move { join_within(running.task, self.settings.shutdown_grace, &id).await }
        });
        futures::future::join_all(joins).await;
        let emitter = locked(&self.emitter).take();
        if let Some(emitter) = emitter {
            // The channel stays open while `self` lives: give the last batch its window, then stop.
            tokio::time::sleep(self.settings.batch_window * 2).await;
            emitter.abort();
        }
    }
}

/// Waits for a task, aborting it when it does not end within `grace`.
async fn join_within(mut task: JoinHandle<()>, grace: Duration, account_id: &str) {
    if tokio::time::timeout(grace, &mut task).await.is_err() {
        tracing::warn!(account = %account_id, "account task did not stop in time; aborting it");
        task.abort();
        let _ = task.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_goes_out_at_once_after_a_quiet_moment_else_when_the_window_ends() {
        let t0 = tokio::time::Instant::now();
        let ms = Duration::from_millis;
        let window = ms(150);
        // (last batch sent, event arrives, batch goes out), as offsets from t0.
        let table: [(Option<u64>, u64, u64); 5] = [
            (None, 0, 2),          // the first event ever: settled, not windowed
            (Some(0), 500, 502),   // long after the last batch
            (Some(0), 20, 150),    // within the window: waits for its end
            (Some(0), 149, 151),   // the window ends before the settle delay
            (Some(100), 250, 252), // the window just ended
        ];
        for (sent, now, expected) in table {
            let got = batch_deadline(sent.map(|s| t0 + ms(s)), t0 + ms(now), window);
            assert_eq!(got, t0 + ms(expected), "{sent:?} {now}");
        }
        assert_eq!(batch_deadline(None, t0, ms(1)), t0 + ms(1), "a window shorter than the settle delay");
    }

    /// The batches [`emit`] delivers (as their time since the start and their size) with a
    /// 150 ms window, for events sent each so many milliseconds after the one before.
    async fn batches(script: Vec<(u64, LiveEvent)>) -> Vec<(Duration, usize)> {
        let (events, incoming) = mpsc::unbounded_channel::<LiveEvent>();
        let seen: Arc<Mutex<Vec<(Duration, usize)>>> = Arc::default();
        let start = tokio::time::Instant::now();
        let log = seen.clone();
        let sink: EventSink = Arc::new(move |batch| locked(&log).push((start.elapsed(), batch.len())));
        let emitter = tokio::spawn(emit(incoming, Duration::from_millis(150), Arc::default(), sink));
        for (after, event) in script {
            tokio::time::sleep(Duration::from_millis(after)).await;
            events.send(event).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(1000)).await;
        drop(events);
        emitter.await.unwrap();
        locked(&seen).clone()
    }

    #[tokio::test(start_paused = true)]
    async fn new_mail_after_a_quiet_moment_is_delivered_within_the_settle_delay() {
        let counts = |path: &str| LiveEvent::CountsChanged {
            account_id: "a".into(),
            path: path.into(),
            total: 1,
            unread: 1,
        };
        // One change (two events together), a second change 30 ms later, a third much later.
        let script =
            vec![(0, counts("INBOX")), (0, counts("Sent")), (30, counts("Archive")), (1000, counts("Junk"))];
        let ms = Duration::from_millis;
        assert_eq!(batches(script).await, [(ms(2), 2), (ms(152), 1), (ms(1032), 1)]);
    }

    /// New mail goes out at once after other changes, and batches of new mail keep the window.
    #[tokio::test(start_paused = true)]
    async fn new_mail_never_waits_behind_other_changes() {
        let row = |added: Vec<u32>, changed: Vec<u32>, more: bool| LiveEvent::MailboxChanged {
            account_id: "a".into(),
            path: "INBOX".into(),
            added,
            changed,
            removed: vec![],
            more,
        };
        let (snippet, mail, reload) =
            (|| row(vec![], vec![1], false), || row(vec![9], vec![], false), || row(vec![9], vec![], true));
        type Scenario = (&'static str, Vec<(u64, LiveEvent)>, Vec<(u64, usize)>);
        // (what, events as (ms after the previous one, event), batches as (ms after start, size))
        let table: Vec<Scenario> = vec![
            ("new mail after a snippet", vec![(0, snippet()), (30, mail())], vec![(2, 1), (32, 1)]),
            ("a snippet after a snippet", vec![(0, snippet()), (30, snippet())], vec![(2, 1), (152, 1)]),
            ("new mail after new mail", vec![(0, mail()), (30, mail())], vec![(2, 1), (152, 1)]),
            (
                "new mail joins a waiting batch and takes it along (one event for the folder)",
                vec![(0, snippet()), (30, snippet()), (20, mail())],
                vec![(2, 1), (52, 1)],
            ),
            (
                "a first download's rows keep the window",
                vec![(0, snippet()), (30, reload())],
                vec![(2, 1), (152, 1)],
            ),
            (
                "new mail notices count as new mail",
                vec![
                    (0, snippet()),
                    (
                        30,
                        LiveEvent::NewMail {
                            account_id: "a".into(),
                            path: "INBOX".into(),
                            count: 1,
                            newest: vec![],
                        },
                    ),
                ],
                vec![(2, 1), (32, 1)],
            ),
        ];
        for (what, script, expected) in table {
            let expected: Vec<(Duration, usize)> =
                expected.into_iter().map(|(ms, n)| (Duration::from_millis(ms), n)).collect();
            assert_eq!(batches(script).await, expected, "{what}");
        }
    }

    #[test]
    fn flag_changes_become_store_commands() {
        let table = [
            (FlagChange { seen: Some(true), flagged: None }, vec!["+FLAGS (\\Seen)"]),
            (FlagChange { seen: Some(false), flagged: None }, vec!["-FLAGS (\\Seen)"]),
            (
                FlagChange { seen: Some(true), flagged: Some(false) },
                vec!["+FLAGS (\\Seen)", "-FLAGS (\\Flagged)"],
            ),
            (FlagChange { seen: Some(true), flagged: Some(true) }, vec!["+FLAGS (\\Seen \\Flagged)"]),
            (FlagChange::default(), vec![]),
        ];
        for (change, expected) in table {
            assert_eq!(change.store_commands(), expected, "{change:?}");
        }
    }
}
