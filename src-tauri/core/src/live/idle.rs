//! The IDLE connection: push for the inbox (RFC 2177), and for the other folders where the
//! server offers NOTIFY (RFC 5465).
//!
//! With NOTIFY, the connection asks for new, expunged and re-flagged messages in the inbox
//! (reported as usual: EXISTS, EXPUNGE, FETCH) and in the user's other folders (reported as
//! STATUS lines). A STATUS line names a folder for the account task to sync on the command
//! connection; the IDLE goes on without interruption. Where the server takes fetch attributes
//! with `MessageNew` (RFC 5465 5.2), it sends each new inbox message's envelope right after its
//! EXISTS: the message goes into the cache and to the window while the IDLE goes on, without
//! DONE and a fetch of its own (on a 100,000-message Dovecot inbox, the DONE alone can take
//! 80 ms). Servers that refuse it get the plain request, and an EXISTS whose envelopes do not
//! follow within [`PUSHED_WAIT`] ends the IDLE as without it. Servers may not report flag
//! changes of folders that are not selected (Dovecot 2.3 does not), so the account task keeps
//! polling counts (HIGHESTMODSEQ shows flag changes) at its usual interval.

use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant, SystemTime};

use async_imap::extensions::idle::IdleResponse;
use async_imap::imap_proto::{MailboxDatum, Response, Status};
use async_imap::types::UnsolicitedResponse;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::account::{FolderLocks, progress_events, publish};
use super::events::LiveEvent;
use super::{LiveSettings, PUSH_TARGET};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::imap::ImapSession;
use crate::imap::envelope::{PUSHED_ITEMS, PendingEnvelopes};
use crate::store::Envelope;
use crate::sync::{Negotiated, SyncReport, Syncer, arrived};

pub(crate) const INBOX: &str = "INBOX";

/// How often the wall clock is compared with the monotonic clock to notice a sleep.
const SLEEP_CHECK: Duration = Duration::from_secs(10);
/// A wall-clock jump beyond the monotonic clock larger than this means the machine slept.
const SLEEP_JUMP: Duration = Duration::from_secs(20);

/// What the IDLE task tells its account task.
#[derive(Debug)]
pub(crate) enum IdleNews {
    /// NOTIFY is active: arrivals and expunges in other folders are pushed.
    Notifying,
    /// Another folder changed (NOTIFY): sync it on the command connection.
    Moved(String),
    /// New messages arrived in the inbox (UIDs): their text can be downloaded in the background.
    Arrived(Vec<u32>),
    /// The connection failed: reconnect everything.
    Failed(Error),
}

/// The NOTIFY requests, tried in order: inbox changes as in IDLE, new inbox messages with their
/// envelopes ([`PUSHED_ITEMS`]; the first [`FETCHING_SETS`]), other personal folders as STATUS
/// lines. Without flag changes of other folders for servers that do not report those, and
/// without envelopes for servers that do not send them.
pub static NOTIFY_SETS: LazyLock<[String; 4]> = LazyLock::new(|| {
    let other =
        ["(personal (MessageNew MessageExpunge FlagChange))", "(personal (MessageNew MessageExpunge))"];
    let new = [format!("MessageNew {PUSHED_ITEMS}"), "MessageNew".to_string()];
    let set =
        |new: &str, other: &str| format!("NOTIFY SET (selected ({new} MessageExpunge FlagChange)) {other}");
    [set(&new[0], other[0]), set(&new[0], other[1]), set(&new[1], other[0]), set(&new[1], other[1])]
});

/// How many of the first [`NOTIFY_SETS`] have the server send new messages' envelopes.
const FETCHING_SETS: usize = 2;

/// How long after an EXISTS the envelopes NOTIFY asked for may take before the IDLE ends as
/// without them (they come in the same write as the EXISTS).
pub const PUSHED_WAIT: Duration = Duration::from_millis(500);

/// What an untagged response heard during IDLE asks for.
#[derive(Debug, PartialEq)]
enum Heard {
    /// Another folder changed (NOTIFY's STATUS line): the command connection syncs it.
    Moved(String),
    /// The inbox has this many messages now: new mail, whose envelopes follow (`fetching`).
    Exists(u32),
    /// New inbox messages' envelopes, sent with the news (`fetching`).
    Envelopes(Vec<Envelope>),
    /// What comes along with new mail and needs nothing (`* n RECENT`, `* OK [HIGHESTMODSEQ]`
    /// and other untagged OKs) while envelopes are pushed.
    Nothing,
    /// Anything else changed in the inbox: end the IDLE and sync (`arrived`: an EXISTS, new
    /// mail to bring in first).
    Change { arrived: bool },
}

/// What `response` asks for, on a connection whose NOTIFY has the server send new messages'
/// envelopes (`fetching`) or not.
fn hear(response: &Response<'_>, fetching: bool) -> Heard {
    match response {
        Response::MailboxData(MailboxDatum::Status { mailbox, .. }) => match other_folder(mailbox) {
            Some(folder) => Heard::Moved(folder),
            None => Heard::Change { arrived: false },
        },
        Response::MailboxData(MailboxDatum::Exists(n)) if fetching => Heard::Exists(*n),
        Response::MailboxData(MailboxDatum::Exists(_)) => Heard::Change { arrived: true },
        Response::MailboxData(MailboxDatum::Recent(_)) | Response::Data { status: Status::Ok, .. }
            if fetching =>
        {
            Heard::Nothing
        }
        Response::Fetch(_, attributes) if fetching => {
            let mut pending = PendingEnvelopes::default();
            pending.push_attributes(attributes);
            if pending.is_empty() {
                // A flag change (UID FLAGS MODSEQ), not a new message.
                Heard::Change { arrived: false }
            } else {
                Heard::Envelopes(pending.into_envelopes())
            }
        }
        _ => Heard::Change { arrived: false },
    }
}

/// Why an IDLE wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Woken {
    /// The server sent something: sync the inbox. `arrived`: it announced new messages
    /// (EXISTS), which are brought in first.
    News { arrived: bool },
    /// Time to renew, or silence/sleep: check the connection with DONE.
    Check,
    /// The app is stopping.
    Cancelled,
}

/// The IDLE task of one account.
pub(crate) struct IdleTask {
    pub(crate) engine: Arc<Engine>,
    pub(crate) account_id: String,
    pub(crate) settings: LiveSettings,
    pub(crate) events: mpsc::UnboundedSender<LiveEvent>,
    pub(crate) cancel: CancellationToken,
    pub(crate) locks: FolderLocks,
    /// Where folder changes and a fatal error go.
    pub(crate) news: mpsc::Sender<IdleNews>,
}

/// The folder a STATUS line is about, when it is not the inbox.
fn other_folder(mailbox: &str) -> Option<String> {
    (!mailbox.eq_ignore_ascii_case(INBOX)).then(|| mailbox.to_string())
}

impl IdleTask {
    pub(crate) async fn run(self) {
        let cancel = self.cancel.clone();
        let outcome = tokio::select! {
            _ = cancel.cancelled() => Ok(()),
            outcome = self.connect_and_idle() => outcome,
        };
        if let Err(error) = outcome
            && !self.cancel.is_cancelled()
        {
            tracing::info!(account = %self.account_id, %error, "IDLE connection lost");
            let _ = self.news.send(IdleNews::Failed(error)).await;
        }
    }

    async fn connect_and_idle(&self) -> Result<()> {
        let (mut session, negotiated) = self.engine.session(&self.account_id).await?;
        let limit = self.engine.timeouts().command;
        let selected = if negotiated.caps.condstore {
            tokio::time::timeout(limit, session.select_condstore(INBOX)).await
        } else {
            tokio::time::timeout(limit, session.select(INBOX)).await
        };
        match selected {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(Error::ConnectionLost(format!("opening the inbox for push: {e}"))),
            Err(_) => return Err(Error::ConnectionLost("the server did not open the inbox for push".into())),
        }
        // New messages' envelopes come with the news only where the full check after them has
        // QRESYNC to lean on (see `sync::arrived`).
        let fetching = negotiated.notify
            && self
                .ask_to_notify(&mut session, negotiated.caps.qresync)
                .await
                .is_some_and(|set| set < FETCHING_SETS);
        // Anything that changed between the account's catch-up and now.
        self.sync_inbox(&mut session, &negotiated, false).await?;
        loop {
            let (back, woken) = self.idle_once(session, fetching).await?;
            session = back;
            match woken {
                Woken::Cancelled => {
                    let _ = tokio::time::timeout(self.settings.done_timeout, session.logout()).await;
                    return Ok(());
                }
                Woken::News { arrived } => self.sync_inbox(&mut session, &negotiated, arrived).await?,
                Woken::Check => {}
            }
        }
    }

    /// Switches NOTIFY on (best effort: without it the account task polls), with new messages'
    /// envelopes when `envelopes`. Returns which of [`NOTIFY_SETS`] the server took.
    async fn ask_to_notify(&self, session: &mut ImapSession, envelopes: bool) -> Option<usize> {
        let limit = self.engine.timeouts().command;
        let first = if envelopes { 0 } else { FETCHING_SETS };
        for (index, request) in NOTIFY_SETS.iter().enumerate().skip(first) {
            match tokio::time::timeout(limit, session.run_command_and_check_ok(request)).await {
                Ok(Ok(())) => {
                    tracing::debug!(account = %self.account_id, request, "NOTIFY on");
                    let _ = self.news.send(IdleNews::Notifying).await;
                    return Some(index);
                }
                Ok(Err(e)) => {
                    tracing::debug!(account = %self.account_id, error = %e, request, "NOTIFY refused")
                }
                Err(_) => return None,
            }
        }
        None
    }

    /// Keeps new inbox messages whose envelopes the server sent with the news, as
    /// [`Syncer::arrivals`] would, and tells the window. Returns the inbox's count in the cache.
    async fn keep_pushed(&self, envelopes: Vec<Envelope>) -> Result<u32> {
        let _guard = self.locks.lock(INBOX).await;
        match arrived(self.engine.store(), &self.account_id, INBOX, envelopes)? {
            Some(report) => {
                self.announce(&report);
                Ok(report.total)
            }
            None => Ok(0),
        }
    }

    /// Passes on the folders named by STATUS lines that arrived outside an IDLE wait.
    async fn forward_queued(&self, queue: &async_channel::Receiver<UnsolicitedResponse>) -> bool {
        let mut inbox = false;
        while let Ok(response) = queue.try_recv() {
            match response {
                UnsolicitedResponse::Status { mailbox, .. } => match other_folder(&mailbox) {
                    Some(folder) => {
                        let _ = self.news.send(IdleNews::Moved(folder)).await;
                    }
                    None => inbox = true,
                },
                _ => inbox = true,
            }
        }
        inbox
    }

    /// Brings the inbox up to date. `arrived`: the server announced new messages, which go to
    /// the window first ([`Syncer::arrivals`]), before the full check of [`Syncer::selected`].
    async fn sync_inbox(
        &self,
        session: &mut ImapSession,
        negotiated: &Negotiated,
        arrived: bool,
    ) -> Result<()> {
        let _guard = self.locks.lock(INBOX).await;
        let progress = progress_events(&self.events, &self.account_id);
        let mut syncer = Syncer {
            session,
            store: self.engine.store(),
            account_id: &self.account_id,
            negotiated,
            progress: &progress,
            timeouts: self.engine.timeouts(),
        };
        if arrived && let Some(report) = syncer.arrivals(INBOX).await? {
            self.announce(&report);
        }
        let report = syncer.selected(INBOX).await?;
        self.announce(&report);
        for folder in report.announced.iter().filter_map(|mailbox| other_folder(mailbox)) {
            let _ = self.news.send(IdleNews::Moved(folder)).await;
        }
        Ok(())
    }

    /// Tells the window what a sync changed, and the account task which messages are new.
    fn announce(&self, report: &SyncReport) {
        publish(&self.engine, &self.events, &self.account_id, report);
        if !report.added_uids.is_empty() {
            let _ = self.news.try_send(IdleNews::Arrived(report.added_uids.clone()));
        }
    }

    /// One IDLE command: start it, wait for news, a renewal, silence, sleep or cancellation,
    /// then end it with DONE under a time limit. With `fetching`, new messages whose envelopes
    /// the server sends with the news are kept as they come and the IDLE goes on.
    async fn idle_once(&self, session: ImapSession, fetching: bool) -> Result<(ImapSession, Woken)> {
        let queue = session.unsolicited_responses.clone();
        // What arrived during the last sync: other folders are passed on; inbox news was just
        // synced.
        self.forward_queued(&queue).await;
        let mut handle = session.idle();
        let limit = self.engine.timeouts().command;
        match tokio::time::timeout(limit, handle.init()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(Error::ConnectionLost(format!("starting IDLE: {e}"))),
            Err(_) => return Err(Error::ConnectionLost("the server did not accept IDLE in time".into())),
        }
        // Changes the server reported while IDLE started arrive before its continuation.
        let mut woken =
            if self.forward_queued(&queue).await { Some(Woken::News { arrived: false }) } else { None };
        let renew_at = Instant::now() + self.settings.idle_renew;
        let mut clock = (Instant::now(), SystemTime::now());
        let mut sleep_check = tokio::time::interval(SLEEP_CHECK);
        sleep_check.tick().await;
        // An EXISTS whose envelopes are awaited: the count it announced, and until when.
        let mut awaited: Option<(u32, Instant)> = None;
        while woken.is_none() {
            let left = renew_at.saturating_duration_since(Instant::now());
            if left.is_zero() {
                woken = Some(Woken::Check);
                break;
            }
            let mut limit = left.min(self.settings.idle_timeout);
            if let Some((_, until)) = awaited {
                limit = limit.min(until.saturating_duration_since(Instant::now()));
            }
            let (wait, _stop) = handle.wait_with_timeout(limit);
            tokio::pin!(wait);
            loop {
                tokio::select! {
                    _ = self.cancel.cancelled() => { woken = Some(Woken::Cancelled); break; }
                    outcome = &mut wait => {
                        woken = match outcome {
                            Ok(IdleResponse::NewData(data)) => match hear(data.parsed(), fetching) {
                                Heard::Moved(folder) => {
                                    // Another folder (NOTIFY): the command connection syncs
                                    // it; this IDLE goes on.
                                    let _ = self.news.send(IdleNews::Moved(folder)).await;
                                    break;
                                }
                                Heard::Nothing => break,
                                Heard::Exists(count) => {
                                    // The moment the news came off the socket: where Tern's
                                    // own part of new-mail latency starts (tern-bench
                                    // measures from it).
                                    tracing::debug!(target: PUSH_TARGET, account = %self.account_id, "the server reported a change");
                                    awaited = Some((count, Instant::now() + PUSHED_WAIT));
                                    break;
                                }
                                Heard::Envelopes(envelopes) => {
                                    let total = self.keep_pushed(envelopes).await?;
                                    if awaited.is_some_and(|(count, _)| total >= count) {
                                        awaited = None;
                                    }
                                    break;
                                }
                                Heard::Change { arrived } => {
                                    tracing::debug!(target: PUSH_TARGET, account = %self.account_id, "the server reported a change");
                                    Some(Woken::News { arrived })
                                }
                            },
                            // Envelopes announced and not sent: bring the new mail in as
                            // without them.
                            Ok(IdleResponse::Timeout) if awaited.is_some_and(|(_, until)| Instant::now() >= until) => {
                                Some(Woken::News { arrived: true })
                            }
                            Ok(IdleResponse::Timeout) => {
                                if Instant::now() < renew_at {
                                    tracing::debug!(account = %self.account_id, "no word from the server during IDLE; checking the connection");
                                }
                                Some(Woken::Check)
                            }
                            Ok(IdleResponse::ManualInterrupt) => Some(Woken::Check),
                            Err(e) => return Err(Error::ConnectionLost(format!("during IDLE: {e}"))),
                        };
                        break;
                    }
                    _ = sleep_check.tick() => {
                        let (mono, wall) = clock;
                        clock = (Instant::now(), SystemTime::now());
                        let wall_elapsed = wall.elapsed().unwrap_or_default();
                        if wall_elapsed > mono.elapsed() + SLEEP_JUMP {
                            tracing::info!(account = %self.account_id, "the computer slept; checking the connection");
                            woken = Some(Woken::Check);
                            break;
                        }
                    }
                }
            }
        }
        let woken = woken.unwrap_or(Woken::Check);
        match tokio::time::timeout(self.settings.done_timeout, handle.done()).await {
            Ok(Ok(session)) => Ok((session, woken)),
            Ok(Err(e)) => Err(Error::ConnectionLost(format!("ending IDLE: {e}"))),
            Err(_) => Err(Error::ConnectionLost(format!(
                "the server did not answer within {} s; the connection is gone",
                self.settings.done_timeout.as_secs()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a response line (as a server sends it) asks for, with and without pushed envelopes.
    fn heard(line: &str, fetching: bool) -> Heard {
        let (rest, response) = Response::parse(line.as_bytes()).expect("a response");
        assert!(rest.is_empty(), "{line}");
        hear(&response, fetching)
    }

    #[test]
    fn responses_during_idle_are_heard_as_what_they_ask_for() {
        let pushed = "* 10001 FETCH (UID 13339 FLAGS (\\Recent) INTERNALDATE \"06-Dec-2026 12:25:32 +0000\" \
                      RFC822.SIZE 32 MODSEQ (3451) BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \
                      \"7bit\" 6 1 NIL NIL NIL NIL) BODY[HEADER.FIELDS (DATE FROM SUBJECT)] {26}\r\n\
                      From: x@y\r\nSubject: hi\r\n\r\n)\r\n";
        let change = |arrived| Heard::Change { arrived };
        // (response, heard with pushed envelopes, heard without)
        let table: [(&str, Heard, Heard); 9] = [
            ("* 10001 EXISTS\r\n", Heard::Exists(10001), change(true)),
            ("* 1 RECENT\r\n", Heard::Nothing, change(false)),
            ("* OK [HIGHESTMODSEQ 3451] Highest\r\n", Heard::Nothing, change(false)),
            ("* 3 FETCH (UID 7 FLAGS (\\Seen) MODSEQ (3452))\r\n", change(false), change(false)),
            ("* 3 EXPUNGE\r\n", change(false), change(false)),
            ("* VANISHED 7\r\n", change(false), change(false)),
            (
                "* STATUS Lists (MESSAGES 3 UIDNEXT 4)\r\n",
                Heard::Moved("Lists".into()),
                Heard::Moved("Lists".into()),
            ),
            ("* STATUS INBOX (MESSAGES 3 UIDNEXT 4)\r\n", change(false), change(false)),
            (pushed, Heard::Nothing, change(false)),
        ];
        for (line, fetching, plain) in table {
            let got = heard(line, true);
            if line == pushed {
                let Heard::Envelopes(envelopes) = got else { panic!("no envelope: {got:?}") };
                let [env] = &envelopes[..] else { panic!("{envelopes:?}") };
                assert_eq!((env.uid, env.subject.as_str(), env.modseq, env.size), (13339, "hi", 3451, 32));
                assert!(!env.flags.flags.seen);
            } else {
                assert_eq!(got, fetching, "{line}");
            }
            assert_eq!(heard(line, false), plain, "{line}");
        }
    }

    #[test]
    fn the_notify_requests_ask_for_envelopes_first() {
        for (index, set) in NOTIFY_SETS.iter().enumerate() {
            assert!(set.starts_with("NOTIFY SET (selected (MessageNew "), "{set}");
            assert_eq!(set.contains(PUSHED_ITEMS), index < FETCHING_SETS, "{set}");
        }
    }
}
