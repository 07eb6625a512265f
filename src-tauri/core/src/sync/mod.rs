//! Bringing the cache in line with the server.
//!
//! How the parts fit: [`plan`] decides, from the cached [`FolderState`] and what the server
//! reports (STATUS or SELECT), how a folder is brought up to date ([`SyncMode`]). [`Syncer`] runs
//! that plan on a logged-in session and writes the result to the [`Store`] in atomic chunks:
//!
//! - **Initial**: newest first by sequence number, a first chunk of [`FIRST_SCREEN`] rows (the
//!   list can paint after one round trip) then backfill in chunks of [`CHUNK`]. The folder state
//!   stays `complete = false` until the last chunk lands, so an interrupted sync is repaired by
//!   the next one.
//! - **QRESYNC** (RFC 7162): `UID FETCH 1:* (UID FLAGS) (CHANGEDSINCE m VANISHED)` returns only
//!   the changed and new messages and the vanished UIDs.
//! - **CONDSTORE**: the same without VANISHED, plus `UID SEARCH ALL` when the message count says
//!   something was expunged.
//! - **Full scan**: `UID FETCH 1:* (UID FLAGS)` compared with the cache (servers without the
//!   extensions, and repairs).
//!
//! A STATUS before SELECT lets unchanged folders be skipped without selecting them; with
//! LIST-STATUS the counts of every folder come with the folder list, in one round trip. With
//! ESEARCH, UID listings come back as compact ranges. Work is proportional to what changed
//! wherever the server's extensions allow it.
//!
//! [`negotiate`] runs once per session, after login: it switches on COMPRESS=DEFLATE (except to
//! a server on this machine), ENABLEs QRESYNC, sends ID, reads NAMESPACE, and reports what the
//! sync may use as [`Negotiated`].

pub mod plan;
pub mod uidset;

use std::collections::{HashMap, HashSet};

use async_imap::imap_proto::{MailboxDatum, Response};
use async_imap::types::{Fetch, Mailbox, QuotaResourceName, UnsolicitedResponse};
use futures::TryStreamExt;

pub use plan::{ServerFolder, SyncCaps, SyncMode, plan, status_moved};

use crate::error::{Error, Result};
use crate::imap::auth::capability_name;
use crate::imap::content::ParsedFetch;
use crate::imap::envelope::{
    ENVELOPE_ITEMS, FLAG_ITEMS, PendingEnvelopes, envelope, envelopes_in, flag_state,
};
use crate::imap::folders::{FolderList, folder_list_of, list_status_command};
use crate::imap::namespace::namespaces_of;
use crate::imap::pipeline::Pipeline;
use crate::imap::raw::{
    Answer, Token, esearch_all, exchange, exchange_all, exchange_in_step, quoted, tokens, with_untagged,
};
use crate::imap::stream::ImapStream;
use crate::imap::{Folder, FolderStatus, ImapSession, ListOptions, Namespaces, Timeouts, list_folders};
use crate::store::{Envelope, FlagState, FolderChanges, FolderId, FolderState, StorageQuota, Store};

/// Rows fetched in the first round trip of an initial sync.
pub const FIRST_SCREEN: u32 = 50;
/// Envelopes per FETCH (and per cache batch) after the first screen.
pub const CHUNK: u32 = 2_000;

/// Progress of a long sync, for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncProgress {
    /// Folder path.
    pub path: String,
    /// Envelopes fetched so far.
    pub done: u32,
    /// Envelopes to fetch in all.
    pub total: u32,
}

/// What a folder sync did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    /// Folder path.
    pub path: String,
    /// How it was synced.
    pub mode: SyncMode,
    /// Envelopes fetched.
    pub added: u32,
    /// Flag changes applied.
    pub changed: u32,
    /// Messages removed from the cache.
    pub removed: u32,
    /// Messages cached afterwards.
    pub total: u32,
    /// Unread messages cached afterwards.
    pub unread: u32,
    /// UIDs of the messages fetched by an incremental sync (empty after an initial sync, whose
    /// `added` count says how many arrived).
    pub added_uids: Vec<u32>,
    /// UIDs whose flags changed.
    pub changed_uids: Vec<u32>,
    /// UIDs removed from the cache.
    pub removed_uids: Vec<u32>,
    /// Other folders whose STATUS the server sent unasked (NOTIFY) while the initial sync read
    /// its pipelined answers itself; the answers that async-imap reads go to the session's
    /// queue of unsolicited responses instead.
    pub announced: Vec<String>,
    /// Whether the folder is selected on the session afterwards: the sync selected it, or
    /// found it selected. False when its STATUS showed it unchanged and nothing was selected.
    pub selected: bool,
}

impl SyncReport {
    /// True when the sync changed the cache.
    pub fn changed_anything(&self) -> bool {
        self.added + self.changed + self.removed > 0
    }
}

/// Maps an IMAP error during sync to a typed error.
fn imap_error(during: &'static str) -> impl Fn(async_imap::error::Error) -> Error {
    move |e| match e {
        async_imap::error::Error::ConnectionLost => {
            Error::ConnectionLost(format!("the server closed the connection while {during}"))
        }
        async_imap::error::Error::Io(io) => {
            Error::ConnectionLost(format!("the connection failed while {during}: {io}"))
        }
        other => Error::Protocol(format!("{during}: {other}")),
    }
}

/// Whether to compress the connection (RFC 4978) when the server offers it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Compression {
    /// Compress, except to a server on this machine (where it only costs time).
    #[default]
    Auto,
    /// Compress whenever offered.
    Always,
    /// Never compress.
    Never,
}

/// How a session is set up after login.
#[derive(Debug, Clone, Copy)]
pub struct SessionOptions {
    /// `false` is the per-account switch for servers whose CONDSTORE/QRESYNC is broken.
    pub allow_condstore: bool,
    /// COMPRESS=DEFLATE policy.
    pub compression: Compression,
    /// Limit for each command.
    pub timeouts: Timeouts,
}

impl Default for SessionOptions {
    fn default() -> Self {
        Self { allow_condstore: true, compression: Compression::Auto, timeouts: Timeouts::default() }
    }
}

/// What the server offers beyond the sync extensions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Negotiated {
    /// The sync extensions in use.
    pub caps: SyncCaps,
    /// QUOTA (RFC 2087/9208) is offered.
    pub quota: bool,
    /// IDLE (RFC 2177) is offered.
    pub idle: bool,
    /// NOTIFY (RFC 5465) is offered: changes in other folders can be pushed too.
    pub notify: bool,
    /// UNSELECT (RFC 3691) is offered.
    pub unselect: bool,
    /// The connection is compressed.
    pub compressed: bool,
    /// The server's namespaces (one personal namespace without NAMESPACE).
    pub namespaces: Namespaces,
}

impl Negotiated {
    /// How the folder list is asked for.
    pub fn list_options(&self) -> ListOptions {
        ListOptions {
            namespaces: self.namespaces.clone(),
            list_status: self.caps.list_status,
            modseq: self.caps.condstore,
        }
    }

    /// Whether a full pass can open with one round trip ([`Syncer::open_pass`]): the server
    /// lists folders with their counts, and has UNSELECT when a folder must be left (`leave`).
    pub fn opens_pass_at_once(&self, leave: bool) -> bool {
        self.caps.list_status && (!leave || self.unselect)
    }
}

/// Sets up a logged-in session: compression, QRESYNC, ID, NAMESPACE. Returns the session (a
/// compressed one when compression was switched on) and what the sync may use.
///
/// Every connection pays for this before its first folder, so it waits for the server as few
/// times as it can: CAPABILITY (unless the login's answer named them, [`negotiate_with`]), then
/// COMPRESS when it is switched on, then ENABLE, ID and
/// NAMESPACE together in one round trip (RFC 3501 5.5; each is answered on its own and none
/// depends on another's answer), with the capabilities read again in the same round trip once
/// compressed (RFC 4978 allows them to change).
pub async fn negotiate(session: ImapSession, options: SessionOptions) -> Result<(ImapSession, Negotiated)> {
    negotiate_with(session, None, options).await
}

/// [`negotiate`] on a session whose capabilities after login are `known` (from the login's
/// answer, [`crate::imap::login_with_capabilities`]): one round trip less.
pub async fn negotiate_with(
    mut session: ImapSession,
    known: Option<Vec<String>>,
    options: SessionOptions,
) -> Result<(ImapSession, Negotiated)> {
    let limit = options.timeouts.command;
    let mut offered: HashSet<String> = match known {
        Some(names) => names.into_iter().collect(),
        None => {
            let listed = timed(limit, "reading capabilities", session.capabilities()).await?;
            listed.iter().map(capability_name).collect()
        }
    };
    let compress = offered.contains("COMPRESS=DEFLATE")
        && match options.compression {
            Compression::Auto => !session.get_ref().is_loopback(),
            Compression::Always => true,
            Compression::Never => false,
        };
    let mut negotiated = Negotiated::default();
    let mut commands = Vec::new();
    if compress && !session.get_ref().is_compressed() {
        let compressed =
            timed(limit, "starting compression", session.compress(|s| ImapStream::Deflate(Box::new(s))));
        session = compressed.await?;
        negotiated.compressed = true;
        commands.push(Setup::Capability);
    }
    let enable = options.allow_condstore && offered.contains("QRESYNC") && offered.contains("ENABLE");
    if enable {
        commands.push(Setup::Enable);
    }
    if offered.contains("ID") {
        commands.push(Setup::Id);
    }
    if offered.contains("NAMESPACE") {
        commands.push(Setup::Namespace);
    }
    drain(&mut session);
    let sent: Vec<String> = commands.iter().map(Setup::command).collect();
    let sent: Vec<&str> = sent.iter().map(String::as_str).collect();
    let answers = exchange_all(&mut session, &sent, limit).await?;
    let mut enabled = false;
    for (setup, answer) in commands.iter().zip(answers) {
        match (setup, answer.refused) {
            (Setup::Capability, None) => {
                if let Some(line) = answer.untagged.iter().find(|l| starts_with_word(l, b"CAPABILITY")) {
                    offered = tokens(line)?
                        .iter()
                        .skip(1)
                        .filter_map(Token::text)
                        .map(str::to_ascii_uppercase)
                        .collect();
                }
            }
            (Setup::Id, Some(text)) => tracing::debug!(error = %text, "the server did not accept ID"),
            (Setup::Id, None) => {}
            (Setup::Enable, None) => {
                // RFC 5161: an extension the server does not know is ignored, not refused.
                enabled = answer.untagged.iter().any(|l| {
                    starts_with_word(l, b"ENABLED")
                        && tokens(l).is_ok_and(|t| {
                            t.iter().any(|t| t.text().is_some_and(|w| w.eq_ignore_ascii_case("QRESYNC")))
                        })
                });
            }
            (Setup::Namespace, None) => negotiated.namespaces = namespaces_of(&answer.untagged)?,
            (setup, Some(text)) => {
                return Err(Error::Protocol(format!("the server refused {}: {text}", setup.command())));
            }
        }
    }
    let has = |name: &str| offered.contains(name);
    let mut caps = SyncCaps {
        esearch: has("ESEARCH"),
        list_status: has("LIST-STATUS") && has("LIST-EXTENDED"),
        ..SyncCaps::default()
    };
    if enabled {
        caps.condstore = true;
        caps.qresync = true;
    } else if options.allow_condstore && has("CONDSTORE") {
        caps.condstore = true;
    }
    negotiated.caps = caps;
    negotiated.quota = has("QUOTA");
    negotiated.idle = has("IDLE");
    negotiated.notify = has("NOTIFY");
    negotiated.unselect = has("UNSELECT");
    Ok((session, negotiated))
}

/// The commands of a session's setup that go in one round trip ([`negotiate`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setup {
    Capability,
    Enable,
    Id,
    Namespace,
}

impl Setup {
    fn command(&self) -> String {
        match self {
            Setup::Capability => "CAPABILITY".into(),
            Setup::Enable => "ENABLE QRESYNC".into(),
            // RFC 2971: name and version only; nothing about the user's system.
            Setup::Id => format!("ID (\"name\" \"Tern\" \"version\" \"{}\")", env!("CARGO_PKG_VERSION")),
            Setup::Namespace => "NAMESPACE".into(),
        }
    }
}

/// True when a response line (after `* `) begins with `word`, in any case.
fn starts_with_word(line: &[u8], word: &[u8]) -> bool {
    line.len() >= word.len()
        && line[..word.len()].eq_ignore_ascii_case(word)
        && line.get(word.len()).is_none_or(|&b| b == b' ')
}

/// Leaves the selected folder, if any, without expunging anything. A session that keeps a folder
/// selected sees that folder's STATUS as of its own last sync (Dovecot answers STATUS and
/// LIST-STATUS for it from the session's view), so a connection that polls counts deselects
/// after syncing. Without UNSELECT, selecting a name that cannot exist deselects (RFC 3501 6.3.1).
pub async fn deselect(
    session: &mut ImapSession,
    negotiated: &Negotiated,
    limit: std::time::Duration,
) -> Result<()> {
    let outcome = if negotiated.unselect {
        tokio::time::timeout(limit, session.run_command_and_check_ok("UNSELECT")).await
    } else {
        tokio::time::timeout(limit, async { session.select("\u{1}tern-none").await.map(|_| ()) }).await
    };
    drain(session);
    match outcome {
        // NO/BAD: nothing was selected (or the name was refused, which deselects all the same).
        Ok(Ok(())) | Ok(Err(async_imap::error::Error::No(_) | async_imap::error::Error::Bad(_))) => Ok(()),
        Ok(Err(e)) => Err(imap_error("closing the folder")(e)),
        Err(_) => Err(Error::ConnectionLost("the server did not answer while closing the folder".into())),
    }
}

/// What [`Syncer::open_pass`] read: the storage quota when it was asked for (`Some(None)`: the
/// server reports none), and the folder list.
#[derive(Debug)]
pub struct PassOpening {
    /// The INBOX quota root's storage, when asked for.
    pub quota: Option<Option<StorageQuota>>,
    /// The folders with their counts, not kept yet.
    pub list: FolderList,
}

/// The storage quota in the untagged answer to `GETQUOTAROOT INBOX`.
fn quota_of(untagged: &[Vec<u8>]) -> Option<StorageQuota> {
    use async_imap::imap_proto::rfc2087::QuotaResourceName as Name;
    let mut found = None;
    for line in untagged {
        with_untagged(line, |response| {
            if let Response::Quota(quota) = response {
                for resource in quota.resources {
                    if found.is_none() && matches!(resource.name, Name::Storage) {
                        found = Some(StorageQuota { used_kib: resource.usage, limit_kib: resource.limit });
                    }
                }
            }
        });
    }
    found
}

/// The storage quota of the user's INBOX quota root, if the server reports one.
pub async fn storage_quota(session: &mut ImapSession) -> Result<Option<StorageQuota>> {
    let (_roots, quotas) = session.get_quota_root("INBOX").await.map_err(imap_error("reading the quota"))?;
    drain(session);
    Ok(quotas.iter().flat_map(|q| q.resources.iter()).find_map(|r| match r.name {
        QuotaResourceName::Storage => Some(StorageQuota { used_kib: r.usage, limit_kib: r.limit }),
        _ => None,
    }))
}

/// Discards queued unsolicited responses, returning the UIDs of any VANISHED among them.
fn drain(session: &mut ImapSession) -> Vec<u32> {
    let mut vanished = Vec::new();
    while let Ok(response) = session.unsolicited_responses.try_recv() {
        if let UnsolicitedResponse::Other(data) = response
            && let Response::Vanished { uids, .. } = data.parsed()
        {
            for range in uids {
                vanished.extend(range.clone());
            }
        }
    }
    vanished
}

fn status_folder(status: &FolderStatus) -> ServerFolder {
    ServerFolder {
        uidvalidity: status.uidvalidity,
        uidnext: status.uidnext,
        highestmodseq: status.highestmodseq,
        exists: status.messages,
    }
}

/// How the folder of an incremental sync came to be open on the session.
enum Opened {
    /// Before the sync, and still is: the sync asks for the changes with a FETCH.
    Before,
    /// By the sync's SELECT, with the changes it named when it was a QRESYNC one, and the
    /// envelopes of new messages asked for in the same round trip. `elsewhere`: other folders
    /// were selected after it ([`Syncer::resync_flight`]), so it is selected again before
    /// anything more is fetched.
    Now { changes: Option<Changes>, arrived: Vec<Envelope>, elsewhere: bool },
}

/// What bringing a folder up to date takes ([`Syncer::reopening`]).
enum Reopening {
    /// Nothing: its STATUS matches the cache.
    Unchanged,
    /// A QRESYNC SELECT, which names every change, with the FETCH of the new mail.
    Resync(Reopen),
    /// A plain SELECT, then what its answer calls for.
    Select,
}

/// A folder's QRESYNC SELECT (and FETCH of its new mail), to send alone or in a [`Flight`].
#[derive(Debug)]
struct Reopen {
    fid: FolderId,
    path: String,
    /// The cache's state the SELECT resyncs from.
    state: FolderState,
    commands: Vec<String>,
    /// New messages whose envelopes the FETCH brings (as the STATUS announced them).
    fetched: u32,
}

/// Folders whose catch-up is a QRESYNC SELECT each, to be sent together
/// ([`Syncer::flight_of`], [`Syncer::resync_flight`]).
#[derive(Debug)]
pub struct Flight(Vec<Reopen>);

impl Flight {
    /// The folders in the flight, in the order they are sent.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|reopen| reopen.path.as_str())
    }

    /// True when no folder is in it.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A folder to bring up to date, with its STATUS when the folder list brought it.
pub type ToSync = (String, Option<ServerFolder>);

/// Folders per flight of SELECTs: their commands (a few kilobytes) fit in the socket's buffers
/// while the server's answers are not read yet.
pub const FLIGHT: usize = 50;

/// New messages' envelopes per flight at most (beyond a first folder's): a flight's answers
/// are held whole until its last one came, so after a long absence, with many folders full of
/// new mail, they go in several flights rather than tens of megabytes at once.
pub const FLIGHT_NEW: u32 = 2 * CHUNK;

/// How many of the folders in `fetched` (each one's new envelopes, in order) go in the next
/// flight: at most [`FLIGHT`], and no more new envelopes than [`FLIGHT_NEW`] unless the first
/// alone has more.
fn flight_size(fetched: impl IntoIterator<Item = u32>) -> usize {
    let mut total = 0u32;
    let mut size = 0;
    for n in fetched.into_iter().take(FLIGHT) {
        if size > 0 && total.saturating_add(n) > FLIGHT_NEW {
            break;
        }
        total = total.saturating_add(n);
        size += 1;
    }
    size
}

/// Changes the server named since a MODSEQ: each changed or new message with its flags and
/// MODSEQ, and the UIDs expunged.
type Changes = (Vec<(u32, FlagState, u64)>, Vec<u32>);

/// What a `SELECT name (QRESYNC (uidvalidity modseq))` answered (RFC 7162 3.2.5): the folder's
/// state, and every change since that MODSEQ: `VANISHED (EARLIER)` for the messages expunged,
/// `FETCH (UID FLAGS MODSEQ)` for those changed or new. When the UIDVALIDITY is not the one
/// given, the server names no changes, and the plan starts the folder over.
///
/// A plain SELECT's answer reads the same way, with no changes in it.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Resynced {
    pub(crate) server: ServerFolder,
    seen: Vec<(u32, FlagState, u64)>,
    vanished: Vec<u32>,
}

impl Resynced {
    /// From the untagged answer, as [`exchange_all`] returns it.
    pub(crate) fn of(untagged: &[Vec<u8>]) -> Self {
        use async_imap::imap_proto::ResponseCode;
        let mut out = Resynced::default();
        for line in untagged {
            // `OK [CLOSED]` (RFC 7162 3.2.11) ends what the server said of the folder open
            // before: only what follows is this folder's.
            if line.get(..11).is_some_and(|start| start.eq_ignore_ascii_case(b"OK [CLOSED]")) {
                out = Resynced::default();
                continue;
            }
            with_untagged(line, |response| match response {
                Response::Fetch(_, items) => {
                    let fetched = ParsedFetch::of(items);
                    if let Some(uid) = fetched.uid {
                        out.seen.push((uid, fetched.flag_state(), fetched.modseq().unwrap_or(0)));
                    }
                }
                Response::Data { outcome, .. } => match outcome.code {
                    Some(ResponseCode::UidValidity(n)) => out.server.uidvalidity = n,
                    Some(ResponseCode::UidNext(n)) => out.server.uidnext = n,
                    Some(ResponseCode::HighestModSeq(n)) => out.server.highestmodseq = n,
                    _ => {}
                },
                Response::MailboxData(MailboxDatum::Exists(n)) => out.server.exists = n,
                Response::Vanished { uids, .. } => out.vanished.extend(uids.into_iter().flatten()),
                _ => {}
            });
        }
        out
    }
}

fn server_folder(mbox: &Mailbox) -> ServerFolder {
    ServerFolder {
        uidvalidity: mbox.uid_validity.unwrap_or(0),
        uidnext: mbox.uid_next.unwrap_or(0),
        highestmodseq: mbox.highest_modseq.unwrap_or(0),
        exists: mbox.exists,
    }
}

/// Runs folder syncs for one account over one session.
pub struct Syncer<'a> {
    /// The logged-in session.
    pub session: &'a mut ImapSession,
    /// The cache.
    pub store: &'a Store,
    /// The account the folders belong to.
    pub account_id: &'a str,
    /// What the session offers.
    pub negotiated: &'a Negotiated,
    /// Called after every chunk of an initial sync or repair.
    pub progress: &'a (dyn Fn(SyncProgress) + Send + Sync),
    /// Limit for each command's response.
    pub timeouts: Timeouts,
}

/// Runs one IMAP exchange under the command timeout.
async fn timed<T>(
    limit: std::time::Duration,
    during: &'static str,
    fut: impl std::future::Future<Output = std::result::Result<T, async_imap::error::Error>>,
) -> Result<T> {
    match tokio::time::timeout(limit, fut).await {
        Ok(result) => result.map_err(imap_error(during)),
        Err(_) => Err(Error::ConnectionLost(format!(
            "the server did not answer within {} s while {during}",
            limit.as_secs()
        ))),
    }
}

/// Waits for a chunk's cache write and reports progress once it is readable.
async fn finish_write(
    write: tokio::task::JoinHandle<Result<()>>,
    progress: &(dyn Fn(SyncProgress) + Send + Sync),
    path: &str,
    done: u32,
    total: u32,
) -> Result<()> {
    write.await.map_err(|e| Error::Cache(format!("writing fetched messages failed: {e}")))??;
    progress(SyncProgress { path: path.to_string(), done, total });
    Ok(())
}

/// Runs a step that already maps its errors under the command timeout.
async fn timed_result<T>(
    limit: std::time::Duration,
    during: &'static str,
    fut: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    match tokio::time::timeout(limit, fut).await {
        Ok(result) => result,
        Err(_) => Err(Error::ConnectionLost(format!(
            "the server did not answer within {} s while {during}",
            limit.as_secs()
        ))),
    }
}

impl std::fmt::Debug for Syncer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Syncer")
            .field("account_id", &self.account_id)
            .field("negotiated", &self.negotiated)
            .finish()
    }
}

impl Syncer<'_> {
    /// Lists the folders, carries cached data over renames, drops folders deleted on the
    /// server, and saves the list.
    pub async fn folders(&mut self) -> Result<Vec<Folder>> {
        Ok(self.folder_list().await?.0)
    }

    /// [`Self::folders`], with the counts LIST-STATUS brought (path → status; empty without it).
    pub async fn folder_list(&mut self) -> Result<(Vec<Folder>, HashMap<String, ServerFolder>)> {
        let limit = self.timeouts.command;
        let options = self.negotiated.list_options();
        let list =
            timed_result(limit, "listing folders", list_folders(self.session, &options, limit)).await?;
        drain(self.session);
        self.keep_folder_list(list).await
    }

    /// The start of a full pass in one round trip, on a server where
    /// [`Negotiated::opens_pass_at_once`]: leaving the folder open on the session (`leave`, with
    /// UNSELECT), the storage quota (`quota`) and the folder list with every folder's counts
    /// (LIST-STATUS), sent together. The list is not kept yet: [`Self::keep_folder_list`] does.
    pub async fn open_pass(&mut self, leave: bool, quota: bool) -> Result<PassOpening> {
        let options = self.negotiated.list_options();
        let list = list_status_command(&options);
        let commands: Vec<&str> = [leave.then_some("UNSELECT"), quota.then_some("GETQUOTAROOT INBOX")]
            .into_iter()
            .flatten()
            .chain(std::iter::once(list.as_str()))
            .collect();
        let mut answers = exchange_in_step(self.session, &commands, self.timeouts.command).await?;
        let listed = answers.pop().ok_or_else(|| Error::Protocol("no answer to LIST".into()))?;
        if let Some(refused) = listed.refused {
            return Err(Error::Protocol(format!("listing folders failed: {refused}")));
        }
        // A refused UNSELECT: nothing was open. A refused quota: none to show.
        let quota =
            quota.then(|| answers.pop().filter(|a| a.refused.is_none()).and_then(|a| quota_of(&a.untagged)));
        Ok(PassOpening { quota, list: folder_list_of(&listed.untagged, &options) })
    }

    /// Keeps a folder list read from the server: carries cached data over renames, drops
    /// folders deleted on the server, and saves the list; returns it with its counts.
    pub async fn keep_folder_list(
        &mut self,
        list: FolderList,
    ) -> Result<(Vec<Folder>, HashMap<String, ServerFolder>)> {
        let statuses: HashMap<String, ServerFolder> =
            list.statuses.iter().map(|(path, status)| (path.clone(), status_folder(status))).collect();
        let folders = list.folders;
        let on_server: HashSet<&str> = folders.iter().map(|f| f.path.as_str()).collect();
        let cached = self.store.cached_folder_ids(self.account_id)?;
        let gone: Vec<(&String, &FolderId)> =
            cached.iter().filter(|(path, _)| !on_server.contains(path.as_str())).collect();
        if !gone.is_empty() {
            let new: Vec<&Folder> =
                folders.iter().filter(|f| f.selectable && !cached.contains_key(&f.path)).collect();
            for (old_path, fid) in gone {
                let old_state = self.store.folder_state(*fid)?;
                let mut renamed_to = None;
                if let Some(old) = old_state.filter(|s| s.uidvalidity != 0) {
                    for candidate in &new {
                        let status = match statuses.get(&candidate.path) {
                            Some(status) => *status,
                            None => self.status(&candidate.path).await?,
                        };
                        if status.uidvalidity == old.uidvalidity && status.uidnext == old.uidnext {
                            renamed_to = Some(candidate.path.clone());
                            break;
                        }
                    }
                }
                match renamed_to {
                    Some(new_path) => {
                        tracing::info!(account = %self.account_id, from = %old_path, to = %new_path, "folder renamed on the server");
                        self.store.rename_folder(self.account_id, old_path, &new_path)?;
                    }
                    None => {
                        tracing::info!(account = %self.account_id, folder = %old_path, "folder deleted on the server");
                        self.store.forget_folder(self.account_id, old_path)?;
                    }
                }
            }
        }
        self.store.put_folders(self.account_id, &folders)?;
        Ok((folders, statuses))
    }

    /// STATUS of a folder, as the sync planner sees it.
    pub async fn status(&mut self, path: &str) -> Result<ServerFolder> {
        let items = if self.negotiated.caps.condstore {
            "(MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ)"
        } else {
            "(MESSAGES UIDNEXT UIDVALIDITY)"
        };
        let limit = self.timeouts.command;
        let mbox = timed(limit, "reading folder status", self.session.status(path, items)).await?;
        drain(self.session);
        Ok(server_folder(&mbox))
    }

    /// Syncs every selectable folder (the folder list first).
    /// The changed folders a QRESYNC SELECT each brings up to date go in one flight.
    pub async fn all(&mut self) -> Result<Vec<SyncReport>> {
        let (folders, statuses) = self.folder_list().await?;
        let todo: Vec<ToSync> = folders
            .iter()
            .filter(|f| f.selectable)
            .map(|f| (f.path.clone(), statuses.get(&f.path).copied()))
            .collect();
        let (flight, rest) = self.flight_of(&todo)?;
        let mut reports = Vec::new();
        self.resync_flight(flight, |report| reports.push(report)).await?;
        for (path, known) in rest {
            reports.push(self.folder_with_status(path, *known).await?);
        }
        Ok(reports)
    }

    /// Brings one folder's cache in line with the server.
    pub async fn folder(&mut self, path: &str) -> Result<SyncReport> {
        self.folder_with_status(path, None).await
    }

    /// Brings the folder this session already has selected up to date without selecting it
    /// again: what the IDLE connection does each time the server reports a change to its inbox.
    /// With QRESYNC, one `UID FETCH 1:* (UID FLAGS) (CHANGEDSINCE m VANISHED)` names every
    /// change since the last sync (flags, new messages, and expunges, including those the IDLE
    /// wait already consumed), and the new UIDNEXT and HIGHESTMODSEQ are learnt from its answer.
    /// The session's view of the folder must be current: call it right after the SELECT or
    /// after the server's news came in (the IDLE wake). A message the server has not announced
    /// to this session yet is left out (a NOOP first brings it in); the IDLE connection hears
    /// of it when it starts its next IDLE, and syncs again.
    /// A STATUS and a SELECT of a 100,000-message inbox cost the server over 100 ms; this costs
    /// what changed. Without QRESYNC, or before the folder's first sync completed, it is
    /// [`Self::folder`].
    pub async fn selected(&mut self, path: &str) -> Result<SyncReport> {
        let fid = self.store.folder_id_or_create(self.account_id, path)?;
        match self.store.folder_state(fid)? {
            Some(state) if state.complete && self.negotiated.caps.qresync => {
                let known = ServerFolder {
                    uidvalidity: state.uidvalidity,
                    uidnext: state.uidnext,
                    highestmodseq: state.highestmodseq,
                    exists: state.total,
                };
                let report =
                    self.incremental(fid, path, SyncMode::Qresync, &state, known, Opened::Before).await;
                report.map(|report| SyncReport { selected: true, ..report })
            }
            _ => self.folder(path).await,
        }
    }

    /// Brings in the messages that arrived in the folder this session has selected, and
    /// nothing else: what the IDLE connection does first when the server announces new mail,
    /// so the new rows reach the window before the full check of [`Self::selected`] (whose
    /// `CHANGEDSINCE` scan costs a 100,000-message inbox several milliseconds of the server's
    /// time). One `UID FETCH <uidnext>:*` of the envelopes; the folder's UIDNEXT moves past
    /// them and its HIGHESTMODSEQ stays, so the next [`Self::selected`] still sees every flag
    /// change and expunge since the last full sync (the new messages among them match the
    /// cache and count as nothing). `None` when the folder's first sync has not completed or
    /// the server lacks QRESYNC: [`Self::selected`] then does everything.
    pub async fn arrivals(&mut self, path: &str) -> Result<Option<SyncReport>> {
        let fid = self.store.folder_id_or_create(self.account_id, path)?;
        let Some(state) = self.store.folder_state(fid)? else { return Ok(None) };
        if !state.complete || !self.negotiated.caps.qresync {
            return Ok(None);
        }
        let from = state.uidnext.max(1);
        // `n:*` always names the last message, even when its UID is below n.
        let fresh = self.fetch_envelopes(&format!("{from}:*"), true).await?;
        keep_arrivals(self.store, fid, path, state, fresh).map(Some)
    }

    /// [`Self::folder`], with the folder's STATUS when the folder list already brought it.
    pub async fn folder_with_status(
        &mut self,
        path: &str,
        known: Option<ServerFolder>,
    ) -> Result<SyncReport> {
        let fid = self.store.folder_id_or_create(self.account_id, path)?;
        let cached = self.store.folder_state(fid)?;
        let known = match known {
            Some(status) => Some(status),
            // Cheap check first: an unchanged folder is not even selected.
            None if self.resyncable(cached.as_ref()) => Some(self.status(path).await?),
            None => None,
        };
        match self.reopening(fid, cached.as_ref(), path, known) {
            Reopening::Unchanged => self.report(fid, path, SyncMode::Unchanged, 0, 0, 0),
            Reopening::Resync(reopen) => {
                let commands: Vec<&str> = reopen.commands.iter().map(String::as_str).collect();
                let answers = exchange_in_step(self.session, &commands, self.timeouts.command).await?;
                self.reopened(reopen, answers, false).await
            }
            Reopening::Select => self.select_and_sync(fid, path, cached).await,
        }
    }

    /// Whether a folder's cache can be brought up to date from its STATUS and a resync (a
    /// complete cache on a server with CONDSTORE), rather than read from the start.
    fn resyncable(&self, cached: Option<&FolderState>) -> bool {
        cached.is_some_and(|state| state.complete) && self.negotiated.caps.condstore
    }

    /// What bringing `path` up to date takes, given its STATUS when known: nothing, one QRESYNC
    /// SELECT (with the FETCH of the new mail it announced), or a plain SELECT and what follows.
    fn reopening(
        &self,
        fid: FolderId,
        cached: Option<&FolderState>,
        path: &str,
        known: Option<ServerFolder>,
    ) -> Reopening {
        // The UID new mail starts at, when the folder's STATUS announced a little of it, and
        // how much it announced.
        let mut new_from = None;
        let mut fetched = 0;
        if let (Some(state), Some(status)) = (cached, known)
            && self.resyncable(cached)
        {
            if plan(Some(state), status, self.negotiated.caps) == SyncMode::Unchanged {
                return Reopening::Unchanged;
            }
            let announced = status.uidnext.saturating_sub(state.uidnext);
            if status.uidvalidity == state.uidvalidity && announced > 0 && announced <= CHUNK {
                new_from = Some(state.uidnext);
                fetched = announced;
            }
        }
        // With QRESYNC and a complete cache, the SELECT itself names every change since the
        // cache's MODSEQ (RFC 7162 3.2.5): no FETCH after it.
        match (cached, quoted(path)) {
            (Some(state), Some(name))
                if state.complete
                    && self.negotiated.caps.qresync
                    && state.uidvalidity != 0
                    && state.highestmodseq != 0 =>
            {
                let mut commands =
                    vec![format!("SELECT {name} (QRESYNC ({} {}))", state.uidvalidity, state.highestmodseq)];
                // The new mail's envelopes go in the same round trip: past the cached UIDNEXT
                // everything is new (`n:*` also names the last message when none is past `n`;
                // only what the SELECT names as new is kept).
                commands.extend(new_from.map(|from| format!("UID FETCH {from}:* {ENVELOPE_ITEMS}")));
                Reopening::Resync(Reopen {
                    fid,
                    path: path.to_string(),
                    state: state.clone(),
                    commands,
                    fetched,
                })
            }
            _ => Reopening::Select,
        }
    }

    /// Sorts `folders` (each with its STATUS from LIST-STATUS, when the server has it) into the
    /// ones whose catch-up is a QRESYNC SELECT, which can all go in one [`Flight`] (when there
    /// are two or more), and the rest, in order, for [`Self::folder_with_status`].
    pub fn flight_of<'f>(&self, folders: &'f [ToSync]) -> Result<(Flight, Vec<&'f ToSync>)> {
        let mut flight = Vec::new();
        let mut rest = Vec::new();
        for folder in folders {
            let (path, known) = folder;
            let reopening = match known {
                Some(status) => {
                    let fid = self.store.folder_id_or_create(self.account_id, path)?;
                    let cached = self.store.folder_state(fid)?;
                    self.reopening(fid, cached.as_ref(), path, Some(*status))
                }
                None => Reopening::Select,
            };
            match reopening {
                Reopening::Resync(reopen) => flight.push(reopen),
                _ => rest.push(folder),
            }
        }
        if flight.len() < 2 {
            // One folder alone goes the usual way.
            return Ok((Flight(Vec::new()), folders.iter().collect()));
        }
        Ok((Flight(flight), rest))
    }

    /// Brings the folders of `flight` up to date together: their SELECTs, each with the FETCH
    /// of its new mail, are sent at once (RFC 3501 5.5, at most [`FLIGHT`] folders and
    /// [`FLIGHT_NEW`] new envelopes at a time: [`flight_size`]), so that
    /// catching up on any number of changed folders waits for the server once rather than once
    /// per folder. `each` gets each folder's report as it is done. The caller holds the
    /// folders' locks ([`Flight::paths`]).
    pub async fn resync_flight(&mut self, flight: Flight, mut each: impl FnMut(SyncReport)) -> Result<()> {
        let mut folders = std::collections::VecDeque::from(flight.0);
        while !folders.is_empty() {
            let size = flight_size(folders.iter().map(|reopen| reopen.fetched));
            let part: Vec<Reopen> = folders.drain(..size).collect();
            let commands: Vec<&str> =
                part.iter().flat_map(|r| r.commands.iter().map(String::as_str)).collect();
            let mut answers =
                exchange_in_step(self.session, &commands, self.timeouts.command).await?.into_iter();
            for reopen in part {
                let mine: Vec<Answer> = answers.by_ref().take(reopen.commands.len()).collect();
                // The session has moved on to the folders after it: anything more this one
                // needs from the server opens it again first.
                each(self.reopened(reopen, mine, true).await?);
            }
        }
        Ok(())
    }

    /// Completes a folder's resync from the answers to its [`Reopen::commands`]. `elsewhere`:
    /// another folder may have been selected since, so anything more the sync must fetch there
    /// opens it again first.
    async fn reopened(
        &mut self,
        reopen: Reopen,
        answers: Vec<Answer>,
        elsewhere: bool,
    ) -> Result<SyncReport> {
        let Reopen { fid, path, state, .. } = reopen;
        let path = path.as_str();
        let mut answers = answers.into_iter();
        let answer = answers.next().ok_or_else(|| Error::Protocol("no answer to SELECT".into()))?;
        if let Some(refused) = answer.refused {
            return Err(Error::Protocol(format!("opening the folder: {refused}")));
        }
        // A refused FETCH leaves the new envelopes to the FETCH after the SELECT.
        let arrived = match answers.next().filter(|a| a.refused.is_none()) {
            Some(fetched) => envelopes_in(&fetched.untagged),
            None => Vec::new(),
        };
        let resynced = Resynced::of(&answer.untagged);
        let server = resynced.server;
        if elsewhere
            && !matches!(
                plan(Some(&state), server, self.negotiated.caps),
                SyncMode::Unchanged | SyncMode::Qresync
            )
        {
            // Started over (another UIDVALIDITY), or not resynced after all: the folder is read
            // where it is open.
            return self.select_and_sync(fid, path, Some(state)).await;
        }
        let opened = Opened::Now { changes: Some((resynced.seen, resynced.vanished)), arrived, elsewhere };
        self.sync_selected(fid, path, Some(state), server, Some(opened)).await
    }

    /// A plain SELECT (with CONDSTORE when offered) of `path`: the folder as it answered.
    async fn select_plain(&mut self, path: &str) -> Result<ServerFolder> {
        let limit = self.timeouts.command;
        let mbox = if self.negotiated.caps.condstore {
            timed(limit, "opening the folder", self.session.select_condstore(path)).await?
        } else {
            timed(limit, "opening the folder", self.session.select(path)).await?
        };
        drain(self.session);
        Ok(server_folder(&mbox))
    }

    /// A plain SELECT of `path`, then the sync its answer calls for.
    async fn select_and_sync(
        &mut self,
        fid: FolderId,
        path: &str,
        cached: Option<FolderState>,
    ) -> Result<SyncReport> {
        let server = self.select_plain(path).await?;
        self.sync_selected(fid, path, cached, server, None).await
    }

    /// The sync that the SELECT of `path` just answered (`server`) calls for, against what the
    /// cache holds. `resynced`: how a QRESYNC SELECT opened it (the changes it named, the new
    /// envelopes fetched with it), used when the plan is a QRESYNC resync.
    async fn sync_selected(
        &mut self,
        fid: FolderId,
        path: &str,
        cached: Option<FolderState>,
        server: ServerFolder,
        resynced: Option<Opened>,
    ) -> Result<SyncReport> {
        let mode = plan(cached.as_ref(), server, self.negotiated.caps);
        tracing::debug!(account = %self.account_id, folder = %path, ?mode, exists = server.exists, "syncing folder");
        let report = match (mode, cached) {
            (SyncMode::Unchanged, _) => self.report(fid, path, mode, 0, 0, 0),
            (SyncMode::Initial | SyncMode::UidValidityReset, _) => {
                if mode == SyncMode::UidValidityReset {
                    tracing::info!(account = %self.account_id, folder = %path, "UIDVALIDITY changed; refetching the folder");
                    self.store.clear_folder(fid)?;
                }
                self.initial(fid, path, mode, server).await
            }
            (_, Some(state)) => {
                let opened = match resynced {
                    Some(opened) if mode == SyncMode::Qresync => opened,
                    _ => Opened::Now { changes: None, arrived: Vec::new(), elsewhere: false },
                };
                self.incremental(fid, path, mode, &state, server, opened).await
            }
            (_, None) => self.initial(fid, path, SyncMode::Initial, server).await,
        };
        report.map(|report| SyncReport { selected: true, ..report })
    }

    fn report(
        &self,
        fid: FolderId,
        path: &str,
        mode: SyncMode,
        added: u32,
        changed: u32,
        removed: u32,
    ) -> Result<SyncReport> {
        report(self.store, fid, path, mode, (added, changed, removed))
    }

    fn state_for(server: ServerFolder, complete: bool) -> FolderState {
        FolderState {
            uidvalidity: server.uidvalidity,
            uidnext: server.uidnext,
            highestmodseq: server.highestmodseq,
            complete,
            ..FolderState::default()
        }
    }

    /// Initial sync: newest first by sequence number, first screen then backfill.
    async fn initial(
        &mut self,
        fid: FolderId,
        path: &str,
        mode: SyncMode,
        server: ServerFolder,
    ) -> Result<SyncReport> {
        let incomplete = Self::state_for(server, false);
        self.store.apply(fid, FolderChanges { state: Some(incomplete.clone()), ..Default::default() })?;
        let total = server.exists;
        // Newest first: the first screen, then chunks down to message 1.
        let mut ranges = Vec::new();
        let (mut top, mut chunk) = (total, FIRST_SCREEN);
        while top > 0 {
            let low = top.saturating_sub(chunk - 1).max(1);
            ranges.push((low, top));
            top = low - 1;
            chunk = CHUNK;
        }
        // The FETCHes are pipelined (RFC 3501 5.5): from the second chunk on, the next FETCH is
        // always queued at the server while the current one is read, so the server never waits
        // a round trip between chunks. The first screen is asked alone, so that nothing
        // competes with it. While chunk k is parsed and written on the blocking pool, chunk k+1
        // is read: the server, the reading task and the cache work at the same time. The
        // reading task only copies each response's header fields out ([`PendingEnvelopes`]), so
        // it keeps up with the server; their parsing (mail-parser) goes with the cache write, one
        // envelope at a time, each encoded for the cache straight from its parsed fields
        // ([`PendingEnvelopes::drain_encoded`], [`Store::apply_encoded`]). At most one write is outstanding, so
        // chunks land (and progress is reported) in order.
        let (store, progress) = (self.store, self.progress);
        let mut announced = Vec::new();
        let mut pipe = Pipeline::new(self.session, self.timeouts.command);
        let mut done = 0;
        // The chunk being written while the next is read.
        let mut pending: Option<(tokio::task::JoinHandle<Result<()>>, u32)> = None;
        // The buffers of a chunk written, back for the next chunk read.
        let (spare_back, mut spare) = tokio::sync::mpsc::unbounded_channel::<PendingEnvelopes>();
        let fetched: Result<()> = async {
            let mut ranges = ranges.into_iter();
            let mut asked = std::collections::VecDeque::new();
            if let Some((low, top)) = ranges.next() {
                pipe.send(&format!("FETCH {low}:{top} {ENVELOPE_ITEMS}")).await?;
                asked.push_back((low, top));
            }
            while let Some((low, top)) = asked.pop_front() {
                let mut chunk = spare.try_recv().unwrap_or_default();
                chunk.reuse_for((top - low + 1) as usize);
                pipe.answer(|response| match response {
                    Response::Fetch(_, attributes) => chunk.push_attributes(attributes),
                    Response::MailboxData(MailboxDatum::Status { mailbox, .. }) => {
                        announced.push(mailbox.to_string());
                    }
                    _ => {}
                })
                .await?;
                while pipe.waiting() < 2 {
                    let Some((low, top)) = ranges.next() else { break };
                    pipe.send(&format!("FETCH {low}:{top} {ENVELOPE_ITEMS}")).await?;
                    asked.push_back((low, top));
                }
                if let Some((write, written)) = pending.take() {
                    finish_write(write, progress, path, written, total).await?;
                }
                let first = done == 0;
                done += top - low + 1;
                let state = if low == 1 { Self::state_for(server, true) } else { incomplete.clone() };
                let (store, spare_back) = (store.clone(), spare_back.clone());
                let write = tokio::task::spawn_blocking(move || {
                    let written = store.apply_encoded(
                        fid,
                        FolderChanges { state: Some(state), fresh: true, ..Default::default() },
                        chunk.drain_encoded(),
                    );
                    let _ = spare_back.send(chunk);
                    written
                });
                if first {
                    // The first screen goes to the cache (and the UI) before anything else is read.
                    finish_write(write, progress, path, done, total).await?;
                } else {
                    pending = Some((write, done));
                }
            }
            if let Some((write, written)) = pending.take() {
                finish_write(write, progress, path, written, total).await?;
            }
            Ok(())
        }
        .await;
        // A chunk still being written when the reading failed lands before the sync returns, so
        // that nothing this sync read is written after it (and over what the next one writes).
        if let Some((write, _)) = pending.take() {
            let _ = write.await;
        }
        // Unless the connection is gone, the answers still owed (after a refused FETCH or a failed
        // write) are read, so the session is in step for its next command.
        let settled = match &fetched {
            Err(Error::ConnectionLost(_)) => Ok(()),
            _ => {
                pipe.finish(|response| {
                    if let Response::MailboxData(MailboxDatum::Status { mailbox, .. }) = response {
                        announced.push(mailbox.to_string());
                    }
                })
                .await
            }
        };
        fetched?;
        settled?;
        if total == 0 {
            self.store.apply(
                fid,
                FolderChanges { state: Some(Self::state_for(server, true)), ..Default::default() },
            )?;
        }
        let mut report = self.report(fid, path, mode, done, 0, 0)?;
        report.announced = announced;
        Ok(report)
    }

    /// QRESYNC, CONDSTORE and full-scan resyncs. [`Opened::Before`]: the folder was not
    /// selected for this sync ([`Self::selected`]), so `server` is what the cache knew and the
    /// server's new UIDNEXT and HIGHESTMODSEQ are learnt from the fetch. With the changes a
    /// QRESYNC SELECT named ([`Opened::Now`]), nothing is fetched but new envelopes.
    async fn incremental(
        &mut self,
        fid: FolderId,
        path: &str,
        mode: SyncMode,
        state: &FolderState,
        mut server: ServerFolder,
        opened: Opened,
    ) -> Result<SyncReport> {
        let (selected, known, arrived, elsewhere) = match opened {
            Opened::Before => (true, None, Vec::new(), false),
            Opened::Now { changes, arrived, elsewhere } => (false, changes, arrived, elsewhere),
        };
        // An empty folder has nothing to fetch (known only from a SELECT).
        let empty = !selected && server.exists == 0;
        // A full scan compares every cached message; QRESYNC and CONDSTORE only look up the
        // messages the server named, so their cost follows the number of changes.
        let whole_folder = mode == SyncMode::FullScan || empty;
        let mut cached: HashMap<u32, FlagState> =
            if whole_folder { self.store.uids_and_flags(fid)?.into_iter().collect() } else { HashMap::new() };
        let query = match mode {
            SyncMode::Qresync => format!("{FLAG_ITEMS} (CHANGEDSINCE {} VANISHED)", state.highestmodseq),
            SyncMode::Condstore => format!("{FLAG_ITEMS} (CHANGEDSINCE {})", state.highestmodseq),
            _ => FLAG_ITEMS.to_string(),
        };
        let (seen, vanished): Changes = match known {
            _ if empty => {
                drain(self.session);
                (Vec::new(), Vec::new())
            }
            Some(known) => known,
            None => {
                let limit = self.timeouts.command;
                let fetched: Vec<_> = timed(limit, "fetching flags", async {
                    self.session.uid_fetch("1:*", &query).await?.try_collect().await
                })
                .await?;
                let seen = fetched
                    .iter()
                    .filter_map(|f| Some((f.uid?, flag_state(f), f.modseq.unwrap_or(0))))
                    .collect();
                (seen, drain(self.session))
            }
        };
        if selected {
            for (uid, _, modseq) in &seen {
                server.highestmodseq = server.highestmodseq.max(*modseq);
                server.uidnext = server.uidnext.max(uid.saturating_add(1));
            }
        }
        if !whole_folder {
            for uid in seen.iter().map(|(uid, _, _)| *uid).chain(vanished.iter().copied()) {
                if let Some(env) = self.store.envelope(fid, uid)? {
                    cached.insert(uid, env.flags);
                }
            }
        }

        let mut changes = FolderChanges::default();
        let mut missing = Vec::new();
        for (uid, flags, modseq) in &seen {
            match cached.get(uid) {
                Some(old) if old == flags => {}
                Some(_) => changes.flag_updates.push((*uid, flags.clone(), *modseq)),
                None => missing.push(*uid),
            }
        }
        let mut removals: Vec<u32> = vanished.into_iter().filter(|uid| cached.contains_key(uid)).collect();
        if empty {
            // An empty folder: nothing to ask the server, everything cached is gone.
            removals.extend(cached.keys().copied());
        }
        match mode {
            SyncMode::FullScan => {
                let on_server: HashSet<u32> = seen.iter().map(|(uid, _, _)| *uid).collect();
                removals.extend(cached.keys().filter(|uid| !on_server.contains(uid)));
            }
            SyncMode::Condstore => {
                let expected = state.total as usize + missing.len();
                if expected != server.exists as usize {
                    // Something was expunged: only a UID listing can say what.
                    let on_server = self.all_uids().await?;
                    removals.extend(self.store.uids(fid)?.into_iter().filter(|uid| !on_server.contains(uid)));
                    missing.retain(|uid| on_server.contains(uid));
                }
            }
            _ => {}
        }
        removals.sort_unstable();
        removals.dedup();
        let changed = changes.flag_updates.len() as u32;
        let removed = removals.len() as u32;
        let changed_uids: Vec<u32> = changes.flag_updates.iter().map(|(uid, _, _)| *uid).collect();
        let removed_uids = removals.clone();
        changes.removals = removals;

        // New and missing envelopes, newest UIDs first, in chunks; those that came with the
        // SELECT need no FETCH.
        missing.sort_unstable_by(|a, b| b.cmp(a));
        let added = missing.len() as u32;
        let added_uids = missing.clone();
        let mut ready = Vec::new();
        if !arrived.is_empty() {
            let mut by_uid: HashMap<u32, Envelope> = arrived.into_iter().map(|e| (e.uid, e)).collect();
            missing.retain(|uid| match by_uid.remove(uid) {
                Some(envelope) => {
                    ready.push(envelope);
                    false
                }
                None => true,
            });
        }
        let mut done = ready.len() as u32;
        let mut chunks = missing.chunks(CHUNK as usize).peekable();
        if chunks.peek().is_none() {
            let mut batch = std::mem::take(&mut changes);
            batch.upserts = std::mem::take(&mut ready);
            batch.state = Some(Self::state_for(server, true));
            self.store.apply(fid, batch)?;
            if done > 0 {
                (self.progress)(SyncProgress { path: path.to_string(), done, total: added });
            }
        }
        if elsewhere && chunks.peek().is_some() {
            self.select_plain(path).await?;
        }
        while let Some(chunk) = chunks.next() {
            let mut envelopes = self.fetch_envelopes(&uidset::compact(chunk), true).await?;
            envelopes.append(&mut ready);
            done += chunk.len() as u32;
            let last = chunks.peek().is_none();
            let mut batch = std::mem::take(&mut changes);
            batch.upserts = envelopes;
            batch.state = Some(Self::state_for(server, last));
            self.store.apply(fid, batch)?;
            (self.progress)(SyncProgress { path: path.to_string(), done, total: added });
        }
        let mut report = self.report(fid, path, mode, added, changed, removed)?;
        report.added_uids = added_uids;
        report.changed_uids = changed_uids;
        report.removed_uids = removed_uids;
        Ok(report)
    }

    /// Every UID in the selected folder: `UID SEARCH RETURN (ALL) ALL` with ESEARCH (compact
    /// ranges), `UID SEARCH ALL` otherwise.
    async fn all_uids(&mut self) -> Result<HashSet<u32>> {
        let limit = self.timeouts.command;
        if self.negotiated.caps.esearch {
            let lines = exchange(self.session, "UID SEARCH RETURN (ALL) ALL", limit).await?;
            let mut uids = HashSet::new();
            for line in &lines {
                if let Some(found) = esearch_all(line)? {
                    uids.extend(found);
                }
            }
            Ok(uids)
        } else {
            let uids = timed(limit, "listing UIDs", self.session.uid_search("ALL")).await?;
            drain(self.session);
            Ok(uids)
        }
    }

    /// FETCHes envelopes by sequence set or UID set, each parsed as it arrives (its response
    /// is freed at once, where it was read).
    async fn fetch_envelopes(&mut self, set: &str, by_uid: bool) -> Result<Vec<Envelope>> {
        async fn parsed(
            mut responses: impl futures::Stream<Item = async_imap::error::Result<Fetch>> + Unpin,
        ) -> async_imap::error::Result<Vec<Envelope>> {
            let mut out = Vec::new();
            while let Some(fetch) = responses.try_next().await? {
                out.extend(envelope(&fetch));
            }
            Ok(out)
        }
        let limit = self.timeouts.command;
        let session = &mut *self.session;
        timed(limit, "fetching messages", async move {
            if by_uid {
                parsed(session.uid_fetch(set, ENVELOPE_ITEMS).await?).await
            } else {
                parsed(session.fetch(set, ENVELOPE_ITEMS).await?).await
            }
        })
        .await
    }
}

/// A sync report of `path` with the folder's counts as the cache has them.
fn report(
    store: &Store,
    fid: FolderId,
    path: &str,
    mode: SyncMode,
    (added, changed, removed): (u32, u32, u32),
) -> Result<SyncReport> {
    let state = store.folder_state(fid)?.unwrap_or_default();
    Ok(SyncReport {
        path: path.to_string(),
        mode,
        added,
        changed,
        removed,
        total: state.total,
        unread: state.unread,
        added_uids: Vec::new(),
        changed_uids: Vec::new(),
        removed_uids: Vec::new(),
        announced: Vec::new(),
        selected: false,
    })
}

/// Keeps new messages of `path` whose envelopes came in as they arrived ([`Syncer::arrivals`]
/// fetches them; a server with NOTIFY can send them with the news, RFC 5465 `MessageNew` with
/// fetch attributes): those past the cached UIDNEXT, which moves past them, while the folder's
/// HIGHESTMODSEQ stays, so the next full check still sees every change since the last one (the
/// new messages among them match the cache and count as nothing). `None` when the folder's
/// first sync has not completed: a full sync does everything then. The report lists the new
/// UIDs, newest first.
pub fn arrived(
    store: &Store,
    account_id: &str,
    path: &str,
    fresh: Vec<Envelope>,
) -> Result<Option<SyncReport>> {
    let fid = store.folder_id_or_create(account_id, path)?;
    let Some(state) = store.folder_state(fid)? else { return Ok(None) };
    if !state.complete {
        return Ok(None);
    }
    keep_arrivals(store, fid, path, state, fresh).map(Some)
}

/// [`arrived`] for the folder `fid` as the cache holds it (`state`, complete).
fn keep_arrivals(
    store: &Store,
    fid: FolderId,
    path: &str,
    mut state: FolderState,
    mut fresh: Vec<Envelope>,
) -> Result<SyncReport> {
    let from = state.uidnext.max(1);
    fresh.retain(|env| env.uid >= from);
    fresh.sort_unstable_by_key(|env| std::cmp::Reverse(env.uid));
    fresh.dedup_by_key(|env| env.uid);
    let added_uids: Vec<u32> = fresh.iter().map(|env| env.uid).collect();
    if let Some(&newest) = added_uids.first() {
        state.uidnext = state.uidnext.max(newest.saturating_add(1));
    }
    let added = added_uids.len() as u32;
    if added > 0 {
        store.apply(fid, FolderChanges { upserts: fresh, state: Some(state), ..Default::default() })?;
    }
    let mut report = report(store, fid, path, SyncMode::Qresync, (added, 0, 0))?;
    report.added_uids = added_uids;
    // New mail is only told of, and read, in the folder the session has selected.
    report.selected = true;
    Ok(report)
}

#[cfg(test)]
mod tests;
