//! The IDLE connection: push for the inbox (RFC 2177), and for the other folders where the
//! server offers NOTIFY (RFC 5465).
//!
//! With NOTIFY, the connection asks for new, expunged and re-flagged messages in the inbox
//! (reported as usual: EXISTS, EXPUNGE, FETCH) and in the user's other folders (reported as
//! STATUS lines). A STATUS line names a folder for the account task to sync on the command
//! connection; the IDLE goes on without interruption. Servers may not report flag changes of
//! folders that are not selected (Dovecot 2.3 does not), so the account task keeps polling
//! counts (HIGHESTMODSEQ shows flag changes) at its usual interval.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use async_imap::extensions::idle::IdleResponse;
use async_imap::imap_proto::{MailboxDatum, Response};
use async_imap::types::UnsolicitedResponse;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::account::{FolderLocks, progress_events, publish};
use super::events::LiveEvent;
use super::{LiveSettings, PUSH_TARGET};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::imap::ImapSession;
use crate::sync::{Negotiated, SyncReport, Syncer};

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

/// The NOTIFY request: inbox changes as in IDLE, other personal folders as STATUS lines.
pub const NOTIFY_SETS: [&str; 2] = [
    "NOTIFY SET (selected (MessageNew MessageExpunge FlagChange)) (personal (MessageNew MessageExpunge FlagChange))",
    // Servers that do not report flag changes of folders that are not selected.
    "NOTIFY SET (selected (MessageNew MessageExpunge FlagChange)) (personal (MessageNew MessageExpunge))",
];

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
        if negotiated.notify {
            self.ask_to_notify(&mut session).await;
        }
        // Anything that changed between the account's catch-up and now.
        self.sync_inbox(&mut session, &negotiated, false).await?;
        loop {
            let (back, woken) = self.idle_once(session).await?;
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

    /// Switches NOTIFY on (best effort: without it the account task polls).
    async fn ask_to_notify(&self, session: &mut ImapSession) {
        let limit = self.engine.timeouts().command;
        for request in NOTIFY_SETS {
            match tokio::time::timeout(limit, session.run_command_and_check_ok(request)).await {
                Ok(Ok(())) => {
                    tracing::debug!(account = %self.account_id, request, "NOTIFY on");
                    let _ = self.news.send(IdleNews::Notifying).await;
                    return;
                }
                Ok(Err(e)) => {
                    tracing::debug!(account = %self.account_id, error = %e, request, "NOTIFY refused")
                }
                Err(_) => return,
            }
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
    /// then end it with DONE under a time limit.
    async fn idle_once(&self, session: ImapSession) -> Result<(ImapSession, Woken)> {
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
        while woken.is_none() {
            let left = renew_at.saturating_duration_since(Instant::now());
            if left.is_zero() {
                woken = Some(Woken::Check);
                break;
            }
            let (wait, _stop) = handle.wait_with_timeout(left.min(self.settings.idle_timeout));
            tokio::pin!(wait);
            loop {
                tokio::select! {
                    _ = self.cancel.cancelled() => { woken = Some(Woken::Cancelled); break; }
                    outcome = &mut wait => {
                        woken = match outcome {
                            Ok(IdleResponse::NewData(data)) => {
                                if let Response::MailboxData(MailboxDatum::Status { mailbox, .. }) = data.parsed()
                                    && let Some(folder) = other_folder(mailbox)
                                {
                                    // Another folder (NOTIFY): the command connection syncs
                                    // it; this IDLE goes on.
                                    let _ = self.news.send(IdleNews::Moved(folder)).await;
                                    break;
                                }
                                // The moment the news came off the socket: where Tern's own
                                // part of new-mail latency starts (tern-bench measures from it).
                                tracing::debug!(target: PUSH_TARGET, account = %self.account_id, "the server reported a change");
                                let arrived = matches!(data.parsed(), Response::MailboxData(MailboxDatum::Exists(_)));
                                Some(Woken::News { arrived })
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
