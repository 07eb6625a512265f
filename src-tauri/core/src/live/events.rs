//! What the live engine tells the UI, and how bursts are coalesced.
//!
//! Events are small: they say *what* changed (account, folder, UIDs, counts, connection state),
//! never carry message lists; the UI pulls the rows it shows. [`Coalescer`] merges a burst into
//! one batch: all changes to one folder become one [`LiveEvent::MailboxChanged`] (UID lists
//! capped at [`MAX_UIDS`], beyond which `more` tells the UI to reload), only the latest counts
//! and account state survive, and progress reports collapse to the last per folder. A
//! 10,000-message arrival is a handful of events, not ten thousand.

use std::collections::BTreeSet;
use std::time::SystemTime;

use serde::Serialize;

/// UIDs listed per folder and kind in one batch; more sets `more`.
pub const MAX_UIDS: usize = 500;

/// The connection state of an account, as the status indicator shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum AccountState {
    /// Logging in (first time, or after a fault).
    Connecting,
    /// Connected. `push` is true when the server pushes inbox changes (IDLE); otherwise Tern
    /// polls.
    Online {
        /// IDLE is running.
        push: bool,
    },
    /// Not connected; Tern retries by itself.
    Offline {
        /// What went wrong, for the user.
        reason: String,
        /// When the next attempt starts (Unix milliseconds).
        retry_at_ms: i64,
        /// Consecutive failed attempts.
        attempts: u32,
    },
    /// The server refused the password: Tern stopped retrying until the user acts.
    AuthNeeded {
        /// What the server said.
        reason: String,
    },
    /// The server's certificate changed or is not trusted: Tern stopped until the user acts.
    CertificateNeeded {
        /// What is wrong with it.
        reason: String,
        /// Its SHA-256 fingerprint, for the user to compare and pin.
        fingerprint: String,
    },
    /// Not running (removed, or the app is quitting).
    Stopped,
}

/// A new message for a desktop notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewMessage {
    /// UID in its folder.
    pub uid: u32,
    /// Sender's name or address.
    pub from: String,
    /// Subject.
    pub subject: String,
}

/// One thing the UI may want to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveEvent {
    /// Messages of a folder were added, removed or re-flagged in the cache.
    MailboxChanged {
        /// Account.
        account_id: String,
        /// Folder path.
        path: String,
        /// New UIDs (up to [`MAX_UIDS`]).
        added: Vec<u32>,
        /// Re-flagged UIDs.
        changed: Vec<u32>,
        /// Removed UIDs.
        removed: Vec<u32>,
        /// Some changes are not listed (a large burst, or an initial sync): reload the folder.
        more: bool,
    },
    /// A folder's cached counts.
    CountsChanged {
        /// Account.
        account_id: String,
        /// Folder path.
        path: String,
        /// Messages.
        total: u32,
        /// Unread messages.
        unread: u32,
    },
    /// The folder list changed (a folder created, renamed or deleted elsewhere).
    FoldersChanged {
        /// Account.
        account_id: String,
    },
    /// The account's connection state.
    AccountState {
        /// Account.
        account_id: String,
        /// The state.
        state: AccountState,
    },
    /// Progress of a long sync.
    Progress {
        /// Account.
        account_id: String,
        /// Folder path.
        path: String,
        /// Envelopes fetched.
        done: u32,
        /// Envelopes to fetch.
        total: u32,
    },
    /// New mail arrived in the inbox while Tern was running (never for an initial sync).
    NewMail {
        /// Account.
        account_id: String,
        /// Folder path.
        path: String,
        /// How many arrived.
        count: u32,
        /// The newest few.
        newest: Vec<NewMessage>,
    },
}

/// Unix milliseconds of `at`.
pub fn unix_ms(at: SystemTime) -> i64 {
    at.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Merges bursts of events into one batch, in the order each key first appeared.
#[derive(Debug, Default)]
pub struct Coalescer {
    batch: Vec<LiveEvent>,
}

fn merge_uids(into: &mut Vec<u32>, from: Vec<u32>, more: &mut bool) {
    if from.is_empty() {
        return;
    }
    let mut set: BTreeSet<u32> = into.drain(..).collect();
    set.extend(from);
    if set.len() > MAX_UIDS {
        *more = true;
    }
    into.extend(set.into_iter().rev().take(MAX_UIDS));
    into.sort_unstable();
}

impl Coalescer {
    /// Adds an event to the batch, merging it with an earlier one about the same thing.
    pub fn push(&mut self, event: LiveEvent) {
        use LiveEvent::*;
        for existing in self.batch.iter_mut() {
            match (&mut *existing, &event) {
                (
                    MailboxChanged { account_id: a, path: p, added, changed, removed, more },
                    MailboxChanged { account_id: b, path: q, .. },
                ) if a == b && p == q => {
                    let MailboxChanged { added: add2, changed: ch2, removed: rm2, more: more2, .. } = event
                    else {
                        return;
                    };
                    // A UID removed after being added in the same batch is simply gone.
                    added.retain(|uid| !rm2.contains(uid));
                    changed.retain(|uid| !rm2.contains(uid));
                    *more |= more2;
                    merge_uids(added, add2, more);
                    merge_uids(changed, ch2, more);
                    merge_uids(removed, rm2, more);
                    return;
                }
                (
                    CountsChanged { account_id: a, path: p, .. },
                    CountsChanged { account_id: b, path: q, .. },
                )
                | (Progress { account_id: a, path: p, .. }, Progress { account_id: b, path: q, .. })
                    if a == b && p == q =>
                {
                    *existing = event;
                    return;
                }
                (AccountState { account_id: a, .. }, AccountState { account_id: b, .. })
                | (FoldersChanged { account_id: a }, FoldersChanged { account_id: b })
                    if a == b =>
                {
                    *existing = event;
                    return;
                }
                (
                    NewMail { account_id: a, path: p, count, newest },
                    NewMail { account_id: b, path: q, count: more_count, newest: more_newest },
                ) if a == b && p == q => {
                    *count += more_count;
                    let mut all: Vec<NewMessage> =
                        more_newest.iter().cloned().chain(newest.drain(..)).collect();
                    all.truncate(3);
                    *newest = all;
                    return;
                }
                _ => {}
            }
        }
        let event = match event {
            MailboxChanged { account_id, path, added, changed, removed, mut more } => {
                let (mut a, mut c, mut r) = (Vec::new(), Vec::new(), Vec::new());
                merge_uids(&mut a, added, &mut more);
                merge_uids(&mut c, changed, &mut more);
                merge_uids(&mut r, removed, &mut more);
                MailboxChanged { account_id, path, added: a, changed: c, removed: r, more }
            }
            other => other,
        };
        self.batch.push(event);
    }

    /// True when nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.batch.is_empty()
    }

    /// Events waiting.
    pub fn len(&self) -> usize {
        self.batch.len()
    }

    /// Takes the batch.
    pub fn take(&mut self) -> Vec<LiveEvent> {
        std::mem::take(&mut self.batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changed(path: &str, added: &[u32], changed: &[u32], removed: &[u32]) -> LiveEvent {
        LiveEvent::MailboxChanged {
            account_id: "a".into(),
            path: path.into(),
            added: added.to_vec(),
            changed: changed.to_vec(),
            removed: removed.to_vec(),
            more: false,
        }
    }

    fn counts(path: &str, total: u32, unread: u32) -> LiveEvent {
        LiveEvent::CountsChanged { account_id: "a".into(), path: path.into(), total, unread }
    }

    fn state(state: AccountState) -> LiveEvent {
        LiveEvent::AccountState { account_id: "a".into(), state }
    }

    #[test]
    fn bursts_merge_per_folder() {
        let table: Vec<(&str, Vec<LiveEvent>, Vec<LiveEvent>)> = vec![
            ("one event", vec![changed("INBOX", &[3], &[], &[])], vec![changed("INBOX", &[3], &[], &[])]),
            (
                "same folder merges, UIDs sorted and deduplicated",
                vec![changed("INBOX", &[5, 3], &[1], &[]), changed("INBOX", &[4, 3], &[2], &[9])],
                vec![changed("INBOX", &[3, 4, 5], &[1, 2], &[9])],
            ),
            (
                "added then removed in one batch",
                vec![changed("INBOX", &[7, 8], &[8], &[]), changed("INBOX", &[], &[], &[8])],
                vec![changed("INBOX", &[7], &[], &[8])],
            ),
            (
                "folders stay apart, in first-seen order",
                vec![
                    changed("B", &[1], &[], &[]),
                    changed("A", &[2], &[], &[]),
                    changed("B", &[3], &[], &[]),
                ],
                vec![changed("B", &[1, 3], &[], &[]), changed("A", &[2], &[], &[])],
            ),
            (
                "latest counts and state win",
                vec![
                    counts("INBOX", 1, 1),
                    state(AccountState::Connecting),
                    counts("INBOX", 2, 2),
                    state(AccountState::Online { push: true }),
                ],
                vec![counts("INBOX", 2, 2), state(AccountState::Online { push: true })],
            ),
        ];
        for (name, input, expected) in table {
            let mut c = Coalescer::default();
            for e in input {
                c.push(e);
            }
            assert_eq!(c.take(), expected, "{name}");
            assert!(c.is_empty());
        }
    }

    #[test]
    fn a_huge_arrival_is_one_capped_event() {
        let mut c = Coalescer::default();
        for chunk in (1..=10_000u32).collect::<Vec<_>>().chunks(2_000) {
            c.push(changed("INBOX", chunk, &[], &[]));
        }
        let batch = c.take();
        assert_eq!(batch.len(), 1);
        let LiveEvent::MailboxChanged { added, more, .. } = &batch[0] else { panic!("{batch:?}") };
        assert!(*more);
        assert_eq!(added.len(), MAX_UIDS);
        assert_eq!(added.last(), Some(&10_000), "the newest UIDs are kept");
    }

    #[test]
    fn new_mail_adds_up() {
        let mail = |count, uid: u32| LiveEvent::NewMail {
            account_id: "a".into(),
            path: "INBOX".into(),
            count,
            newest: vec![NewMessage { uid, from: "x".into(), subject: format!("s{uid}") }],
        };
        let mut c = Coalescer::default();
        for (count, uid) in [(1, 1), (2, 3), (1, 4), (1, 5)] {
            c.push(mail(count, uid));
        }
        let batch = c.take();
        let [LiveEvent::NewMail { count, newest, .. }] = batch.as_slice() else { panic!("{batch:?}") };
        assert_eq!(*count, 5);
        assert_eq!(newest.iter().map(|m| m.uid).collect::<Vec<_>>(), vec![5, 4, 3]);
    }
}
