//! The types that cross the IPC bridge, and their conversions from engine types.
//!
//! The TypeScript side (`ui/src/ipc/bindings.ts`) is generated from these with ts-rs by the
//! `bindings` test: `cargo test -p tern bindings` fails when the file is out of date, and
//! `TERN_UPDATE_BINDINGS=1 cargo test -p tern bindings` rewrites it.

use serde::{Deserialize, Serialize};
use tern_core::account::{self, AccountConfig};
use tern_core::imap::{self, FolderRole as CoreRole};
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
        }
    }
}
