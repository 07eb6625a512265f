//! The types that cross the IPC bridge, and their conversions from engine types.
//!
//! The TypeScript side (`ui/src/ipc/bindings.ts`) is generated from these with ts-rs by the
//! `bindings` test: `cargo test -p tern bindings` fails when the file is out of date, and
//! `TERN_UPDATE_BINDINGS=1 cargo test -p tern bindings` rewrites it.

use serde::{Deserialize, Serialize};
use tern_core::account::{self, AccountConfig};
use tern_core::imap::{self, FolderRole as CoreRole};
use tern_core::store::Address;
use tern_core::{live, sync, views};
use ts_rs::TS;

/// A configured account as the UI shows it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// Stable id.
    pub id: String,
    /// Name in the sidebar.
    pub display_name: String,
    /// Address.
    pub email: String,
    /// Incoming server.
    pub imap: ImapSettings,
}

/// Incoming server settings.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImapSettings {
    /// Host name.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Transport security.
    pub security: Security,
    /// Login name.
    pub username: String,
    /// A certificate fingerprint the user chose to trust.
    pub pinned_cert_sha256: Option<String>,
}

/// Transport security.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Implicit TLS.
    Tls,
    /// STARTTLS.
    Starttls,
    /// None (loopback only).
    Plain,
}

/// What the "Add account" form sends.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NewAccountRequest {
    /// Name in the sidebar.
    pub display_name: String,
    /// Address.
    pub email: String,
    /// Incoming server.
    pub imap: ImapSettings,
    /// The password; goes to the keychain and nowhere else.
    pub password: String,
}

/// A folder in the sidebar.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Folder {
    /// Wire name, used to address the folder in later commands.
    pub path: String,
    /// Decoded display name.
    pub name: String,
    /// Parent's `path`.
    pub parent: Option<String>,
    /// Tree depth.
    pub depth: u32,
    /// Special-use role.
    pub role: Option<FolderRole>,
    /// Whether it can be opened.
    pub selectable: bool,
    /// Whether the user subscribed.
    pub subscribed: bool,
    /// The user's own folder, another user's, or a shared one.
    pub namespace: FolderNamespace,
}

/// Whose folder it is (IMAP NAMESPACE).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum FolderNamespace {
    /// The user's own.
    Personal,
    /// Another user's, shared with this user.
    OtherUsers,
    /// Shared with everyone.
    Shared,
}

/// Special-use roles.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum FolderRole {
    /// Inbox.
    Inbox,
    /// Drafts.
    Drafts,
    /// Sent.
    Sent,
    /// Archive.
    Archive,
    /// Junk.
    Junk,
    /// Trash.
    Trash,
    /// All mail.
    All,
    /// Flagged.
    Flagged,
}

/// Cached counts of a folder.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FolderCounts {
    /// Folder path.
    pub path: String,
    /// Messages cached.
    pub total: u32,
    /// Unread messages cached.
    pub unread: u32,
}

/// The account's storage quota.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StorageQuota {
    /// KiB in use.
    pub used_kib: u32,
    /// KiB allowed.
    pub limit_kib: u32,
}

/// A person in an address field.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    /// Display name, if any.
    pub name: Option<String>,
    /// Address.
    pub email: String,
}

/// One row of the message list.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MessageRow {
    /// The account holding the message.
    pub account_id: String,
    /// The folder holding the message (its IMAP path).
    pub path: String,
    /// UID in the folder.
    pub uid: u32,
    /// Decoded subject.
    pub subject: String,
    /// Senders.
    pub from: Vec<Person>,
    /// Recipients.
    pub to: Vec<Person>,
    /// Copied recipients.
    pub cc: Vec<Person>,
    /// The first words of the text, once it has been downloaded.
    pub snippet: Option<String>,
    /// Arrival time, Unix seconds (what the list sorts by). Well within a JavaScript number.
    #[ts(type = "number")]
    pub received: i64,
    /// `Date:` header, Unix seconds.
    #[ts(type = "number")]
    pub date: i64,
    /// Size in bytes.
    pub size: u32,
    /// Read.
    pub seen: bool,
    /// Starred / flagged.
    pub flagged: bool,
    /// Replied to.
    pub answered: bool,
    /// A draft.
    pub draft: bool,
    /// Has attachments.
    pub has_attachment: bool,
    /// Keywords / labels.
    pub keywords: Vec<String>,
    /// Conversation key (decimal string: it does not fit a JavaScript number).
    pub thread_id: String,
    /// Messages in the row's conversation, the user's replies in Sent included (1 for a single
    /// message, and in the single-message list). In a conversation row, `seen` is false while
    /// any of them is unread, and `flagged` and `hasAttachment` are true when any of them is.
    pub thread_count: u32,
}

/// Where the message list's rows come from.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ListSource {
    /// One folder of one account.
    Folder {
        /// The account.
        #[serde(rename = "accountId")]
        account_id: String,
        /// The folder's IMAP path.
        path: String,
    },
    /// Every account's inbox, merged.
    AllInboxes,
}

/// What the message list is ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum SortKey {
    /// Arrival (a conversation: its newest message).
    Date,
    /// Sender name, then address.
    Sender,
    /// Subject without `Re:` and `Fwd:`.
    Subject,
    /// Size.
    Size,
}

/// One request for the message list.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    /// Where the rows come from.
    pub source: ListSource,
    /// The order.
    pub sort: SortKey,
    /// Newest, largest or last in the alphabet first (ties: newest first).
    pub descending: bool,
    /// Words that must each appear in the sender or subject (ignoring case); empty: every row.
    pub filter: String,
    /// One row per conversation instead of per message.
    pub conversations: bool,
}

impl From<ListQuery> for views::ListQuery {
    fn from(q: ListQuery) -> Self {
        Self {
            source: match q.source {
                ListSource::Folder { account_id, path } => views::Source::Folder { account_id, path },
                ListSource::AllInboxes => views::Source::AllInboxes,
            },
            sort: match q.sort {
                SortKey::Date => views::SortKey::Date,
                SortKey::Sender => views::SortKey::Sender,
                SortKey::Subject => views::SortKey::Subject,
                SortKey::Size => views::SortKey::Size,
            },
            descending: q.descending,
            filter: q.filter,
            conversations: q.conversations,
        }
    }
}

/// A window of a folder's message list, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MessagePage {
    /// Rows in the whole list: messages, or conversations in a conversation list, after the filter.
    pub total: u32,
    /// Unread messages in the folders shown.
    pub unread: u32,
    /// Index of the first row.
    pub offset: u32,
    /// The rows.
    pub rows: Vec<MessageRow>,
}

/// How a folder was synced.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum SyncMode {
    /// First download.
    Initial,
    /// The server reset the folder's UIDs; refetched.
    UidValidityReset,
    /// Nothing changed.
    Unchanged,
    /// QRESYNC resync.
    Qresync,
    /// CONDSTORE resync.
    Condstore,
    /// Full comparison.
    FullScan,
}

/// What a folder sync did.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncSummary {
    /// Account.
    pub account_id: String,
    /// Folder path.
    pub path: String,
    /// How.
    pub mode: SyncMode,
    /// Messages fetched.
    pub added: u32,
    /// Flag changes.
    pub changed: u32,
    /// Messages removed.
    pub removed: u32,
    /// Messages in the folder now.
    pub total: u32,
    /// Unread messages now.
    pub unread: u32,
}

/// Event `sync-progress`: a long sync advanced.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncProgressEvent {
    /// Account.
    pub account_id: String,
    /// Folder path.
    pub path: String,
    /// Messages fetched so far.
    pub done: u32,
    /// Messages to fetch.
    pub total: u32,
}

/// An account's connection, for the status indicator.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(tag = "state", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum AccountStatus {
    /// Logging in.
    Connecting,
    /// Connected; `push` when the server pushes new inbox mail (IDLE), else Tern polls.
    Online {
        /// IDLE is running.
        push: bool,
    },
    /// Not connected; Tern retries by itself at `retryAtMs`.
    Offline {
        /// What went wrong.
        reason: String,
        /// Next attempt, Unix milliseconds.
        #[ts(type = "number")]
        retry_at_ms: i64,
        /// Failed attempts in a row.
        attempts: u32,
    },
    /// The server refused the password (or the settings cannot work): waiting for the user.
    AuthNeeded {
        /// What the server said.
        reason: String,
    },
    /// The server's certificate is not trusted: waiting for the user.
    CertificateNeeded {
        /// What is wrong with it.
        reason: String,
        /// SHA-256 fingerprint.
        fingerprint: String,
    },
    /// Not running.
    Stopped,
}

/// One account's status.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AccountStatusEntry {
    /// Account.
    pub account_id: String,
    /// Status.
    pub status: AccountStatus,
}

/// Event `mail-events` carries a batch of these: what changed, never message lists.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum MailEvent {
    /// Messages were added, removed or re-flagged in a folder.
    MailboxChanged {
        /// Account.
        account_id: String,
        /// Folder path.
        path: String,
        /// New UIDs.
        added: Vec<u32>,
        /// Re-flagged UIDs.
        changed: Vec<u32>,
        /// Removed UIDs.
        removed: Vec<u32>,
        /// Not every change is listed: reload the folder.
        more: bool,
    },
    /// A folder's counts changed.
    CountsChanged {
        /// Account.
        account_id: String,
        /// Folder path.
        path: String,
        /// Messages.
        total: u32,
        /// Unread.
        unread: u32,
    },
    /// Folders were created, renamed or deleted on the server.
    FoldersChanged {
        /// Account.
        account_id: String,
    },
    /// The account's connection changed.
    AccountStatus {
        /// Account.
        account_id: String,
        /// Status.
        status: AccountStatus,
    },
    /// New mail arrived in an inbox.
    NewMail {
        /// Account.
        account_id: String,
        /// Folder path.
        path: String,
        /// How many.
        count: u32,
    },
}

/// A message ready for the reader.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MessageView {
    /// The sanitized document, for an `<iframe sandbox>`'s `src` (served by the `tern-part`
    /// scheme with its own Content-Security-Policy).
    pub url: String,
    /// Remote images, styles and fonts left out (until the user loads remote content).
    pub blocked_remote: u32,
    /// Tracking pixels removed (always).
    pub tracking_pixels: u32,
    /// The links in the message, for showing real targets and warning about disguised ones.
    pub links: Vec<MessageLink>,
    /// Attachments (not downloaded yet).
    pub attachments: Vec<MessageAttachment>,
    /// Parts that could not be shown, described.
    pub problems: Vec<String>,
    /// Remote content was loaded because the user always allows it for this sender.
    pub remote_allowed_for_sender: bool,
    /// Plain-text parts are shown in a fixed-width font.
    pub monospace: bool,
}

/// A link the user clicked in a message (event `link-activated`): the reader opens it in the
/// system's browser, after asking when its text shows another domain.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LinkActivated {
    /// The message document (its `MessageView::url`) the link is in.
    pub view_url: String,
    /// Where it goes.
    pub href: String,
    /// What it says.
    pub text: String,
    /// Its text shows another domain than the one it goes to.
    pub mismatched_domain: bool,
}

/// A message's full header and raw source, for "show details".
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MessageSource {
    /// Every header field, in order, decoded where it is encoded (name, value).
    pub headers: Vec<HeaderField>,
    /// The raw message as text (invalid UTF-8 replaced); the first megabyte when it is larger.
    pub raw: String,
    /// The message's size in bytes.
    pub size: u32,
    /// The raw text stops short of the whole message.
    pub truncated: bool,
}

/// One header field.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HeaderField {
    /// Field name as written.
    pub name: String,
    /// Value, unfolded, encoded words decoded.
    pub value: String,
}

/// Where a saved attachment went.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SavedAttachment {
    /// The file.
    pub path: String,
    /// Its size in bytes (decoded).
    #[ts(type = "number")]
    pub bytes: u64,
}

/// A link in a message.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MessageLink {
    /// Where it goes.
    pub href: String,
    /// What it says.
    pub text: String,
    /// Its text shows another domain than the one it goes to.
    pub mismatched_domain: bool,
    /// Which link of the message it is (`part/index`).
    pub id: String,
}

/// An attachment of a message.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MessageAttachment {
    /// IMAP section, to download it.
    pub section: String,
    /// File name, when it has one.
    pub filename: Option<String>,
    /// Media type.
    pub mime: String,
    /// About how many bytes it takes once saved (decoded).
    #[ts(type = "number")]
    pub size: u64,
}

/// When opening a message marks it read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum MarkRead {
    /// As soon as it is shown.
    Immediately,
    /// After it has been shown for `seconds`.
    AfterSeconds {
        /// Seconds the message must stay open.
        seconds: u32,
    },
    /// Never by opening it.
    Never,
}

/// App-wide preferences.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// Desktop notifications for new inbox mail.
    pub notifications: bool,
    /// When opening a message marks it read.
    pub mark_read: MarkRead,
    /// Senders whose messages load remote content without asking (lower-case addresses).
    pub remote_content_senders: Vec<String>,
    /// Budget for downloaded message contents, in MiB (at least 64).
    pub cache_mb: u32,
    /// Plain-text mail in a fixed-width font.
    pub plain_monospace: bool,
    /// Download the newest inbox messages' text in the background.
    pub prefetch: bool,
    /// Group the list into conversations (false: one row per message).
    pub conversations: bool,
    /// Light, dark, or as the system is set.
    pub theme: Theme,
    /// Row height of the message list.
    pub density: Density,
    /// Width of the folder sidebar, in CSS pixels.
    pub sidebar_width: u32,
    /// Width of the message list, in CSS pixels.
    pub list_width: u32,
}

/// The colours of the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Theme {
    /// As the operating system is set.
    System,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

/// How much room each message list row takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Density {
    /// Two lines per message.
    Comfortable,
    /// One line per message.
    Compact,
}

impl From<tern_core::settings::Theme> for Theme {
    fn from(t: tern_core::settings::Theme) -> Self {
        use tern_core::settings::Theme as Core;
        match t {
            Core::System => Self::System,
            Core::Light => Self::Light,
            Core::Dark => Self::Dark,
        }
    }
}

impl From<Theme> for tern_core::settings::Theme {
    fn from(t: Theme) -> Self {
        match t {
            Theme::System => Self::System,
            Theme::Light => Self::Light,
            Theme::Dark => Self::Dark,
        }
    }
}

impl From<tern_core::settings::Density> for Density {
    fn from(d: tern_core::settings::Density) -> Self {
        use tern_core::settings::Density as Core;
        match d {
            Core::Comfortable => Self::Comfortable,
            Core::Compact => Self::Compact,
        }
    }
}

impl From<Density> for tern_core::settings::Density {
    fn from(d: Density) -> Self {
        match d {
            Density::Comfortable => Self::Comfortable,
            Density::Compact => Self::Compact,
        }
    }
}

impl From<tern_core::settings::AppSettings> for Settings {
    fn from(s: tern_core::settings::AppSettings) -> Self {
        use tern_core::settings::MarkRead as Core;
        Self {
            notifications: s.notifications,
            mark_read: match s.mark_read {
                Core::Immediately => MarkRead::Immediately,
                Core::AfterSeconds(seconds) => MarkRead::AfterSeconds { seconds },
                Core::Never => MarkRead::Never,
            },
            remote_content_senders: s.remote_content_senders,
            cache_mb: s.cache_mb,
            plain_monospace: s.plain_monospace,
            prefetch: s.prefetch,
            conversations: s.conversations,
            theme: s.theme.into(),
            density: s.density.into(),
            sidebar_width: s.sidebar_width,
            list_width: s.list_width,
        }
    }
}

impl From<Settings> for tern_core::settings::AppSettings {
    fn from(s: Settings) -> Self {
        use tern_core::settings::MarkRead as Core;
        let mut out = Self {
            notifications: s.notifications,
            mark_read: match s.mark_read {
                MarkRead::Immediately => Core::Immediately,
                MarkRead::AfterSeconds { seconds } => Core::AfterSeconds(seconds),
                MarkRead::Never => Core::Never,
            },
            remote_content_senders: Vec::new(),
            cache_mb: s.cache_mb.max(tern_core::settings::MIN_CACHE_MB),
            plain_monospace: s.plain_monospace,
            prefetch: s.prefetch,
            conversations: s.conversations,
            theme: s.theme.into(),
            density: s.density.into(),
            sidebar_width: s.sidebar_width,
            list_width: s.list_width,
        };
        for sender in &s.remote_content_senders {
            out.set_remote_from(sender, true);
        }
        out
    }
}

impl From<live::AccountState> for AccountStatus {
    fn from(s: live::AccountState) -> Self {
        match s {
            live::AccountState::Connecting => Self::Connecting,
            live::AccountState::Online { push } => Self::Online { push },
            live::AccountState::Offline { reason, retry_at_ms, attempts } => {
                Self::Offline { reason, retry_at_ms, attempts }
            }
            live::AccountState::AuthNeeded { reason } => Self::AuthNeeded { reason },
            live::AccountState::CertificateNeeded { reason, fingerprint } => {
                Self::CertificateNeeded { reason, fingerprint }
            }
            live::AccountState::Stopped => Self::Stopped,
        }
    }
}

impl MailEvent {
    /// The UI's view of an engine event (`None` for progress, which has its own event).
    pub fn from_live(event: live::LiveEvent) -> Option<Self> {
        use live::LiveEvent as E;
        Some(match event {
            E::MailboxChanged { account_id, path, added, changed, removed, more } => {
                Self::MailboxChanged { account_id, path, added, changed, removed, more }
            }
            E::CountsChanged { account_id, path, total, unread } => {
                Self::CountsChanged { account_id, path, total, unread }
            }
            E::FoldersChanged { account_id } => Self::FoldersChanged { account_id },
            E::AccountState { account_id, state } => Self::AccountStatus { account_id, status: state.into() },
            E::NewMail { account_id, path, count, .. } => Self::NewMail { account_id, path, count },
            E::Progress { .. } => return None,
        })
    }
}

/// Facts about the running app.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    /// Tern's version.
    pub version: String,
    /// Where Tern keeps settings and cache.
    pub data_dir: String,
}

impl From<AccountConfig> for Account {
    fn from(a: AccountConfig) -> Self {
        Self { id: a.id, display_name: a.display_name, email: a.email, imap: a.imap.into() }
    }
}

impl From<account::ImapServer> for ImapSettings {
    fn from(s: account::ImapServer) -> Self {
        Self {
            host: s.host,
            port: s.port,
            security: match s.security {
                account::Security::Tls => Security::Tls,
                account::Security::StartTls => Security::Starttls,
                account::Security::Plain => Security::Plain,
            },
            username: s.username,
            pinned_cert_sha256: s.pinned_cert_sha256,
        }
    }
}

impl From<ImapSettings> for account::ImapServer {
    fn from(s: ImapSettings) -> Self {
        Self {
            host: s.host,
            port: s.port,
            security: match s.security {
                Security::Tls => account::Security::Tls,
                Security::Starttls => account::Security::StartTls,
                Security::Plain => account::Security::Plain,
            },
            username: s.username,
            pinned_cert_sha256: s.pinned_cert_sha256.filter(|p| !p.trim().is_empty()),
            disable_condstore: false,
        }
    }
}

impl From<imap::Folder> for Folder {
    fn from(f: imap::Folder) -> Self {
        Self {
            path: f.path,
            name: f.name,
            parent: f.parent,
            depth: f.depth,
            role: f.role.map(|r| match r {
                CoreRole::Inbox => FolderRole::Inbox,
                CoreRole::Drafts => FolderRole::Drafts,
                CoreRole::Sent => FolderRole::Sent,
                CoreRole::Archive => FolderRole::Archive,
                CoreRole::Junk => FolderRole::Junk,
                CoreRole::Trash => FolderRole::Trash,
                CoreRole::All => FolderRole::All,
                CoreRole::Flagged => FolderRole::Flagged,
            }),
            selectable: f.selectable,
            subscribed: f.subscribed,
            namespace: match f.namespace {
                imap::NamespaceKind::Personal => FolderNamespace::Personal,
                imap::NamespaceKind::OtherUsers => FolderNamespace::OtherUsers,
                imap::NamespaceKind::Shared => FolderNamespace::Shared,
            },
        }
    }
}

impl From<&Address> for Person {
    fn from(a: &Address) -> Self {
        Self { name: a.name.clone(), email: a.email.clone() }
    }
}

impl From<views::Row> for MessageRow {
    fn from(row: views::Row) -> Self {
        let e = row.envelope;
        let f = e.flags.flags;
        Self {
            account_id: row.account_id,
            path: row.path,
            uid: e.uid,
            subject: e.subject,
            from: e.from.iter().map(Person::from).collect(),
            to: e.to.iter().map(Person::from).collect(),
            cc: e.cc.iter().map(Person::from).collect(),
            snippet: e.snippet,
            received: e.received,
            date: e.date,
            size: e.size,
            seen: f.seen,
            flagged: f.flagged,
            answered: f.answered,
            draft: f.draft,
            has_attachment: e.has_attachment,
            keywords: e.flags.keywords,
            thread_id: e.thread_id.to_string(),
            thread_count: row.thread_count,
        }
    }
}

impl SyncSummary {
    /// Converts an engine report for `account_id`.
    pub fn new(account_id: &str, r: sync::SyncReport) -> Self {
        Self {
            account_id: account_id.to_string(),
            path: r.path,
            mode: match r.mode {
                sync::SyncMode::Initial => SyncMode::Initial,
                sync::SyncMode::UidValidityReset => SyncMode::UidValidityReset,
                sync::SyncMode::Unchanged => SyncMode::Unchanged,
                sync::SyncMode::Qresync => SyncMode::Qresync,
                sync::SyncMode::Condstore => SyncMode::Condstore,
                sync::SyncMode::FullScan => SyncMode::FullScan,
            },
            added: r.added,
            changed: r.changed,
            removed: r.removed,
            total: r.total,
            unread: r.unread,
        }
    }
}
