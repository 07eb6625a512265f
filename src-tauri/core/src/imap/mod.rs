//! Talking IMAP: connecting securely, logging in, and reading the folder list.
//!
//! How the parts fit: [`tls`] decides whether a server certificate is acceptable (the system's
//! trust store, or a fingerprint the user pinned). [`connect`] opens the TCP connection, secures it
//! (implicit TLS or STARTTLS, never a silent downgrade), reads the greeting and hands over to
//! [`auth`], which picks AUTHENTICATE PLAIN or LOGIN and produces an [`ImapSession`].
//! [`envelope`] turns FETCH responses into cached envelopes. [`folders`] lists the mailboxes of a session and works out their roles
//! (Inbox, Sent, Drafts...) from SPECIAL-USE, falling back to well-known names; [`namespace`]
//! says which folders are the user's own. [`raw`] runs the few commands whose answers async-imap
//! cannot parse (NAMESPACE, ESEARCH), and [`pipeline`] reads the answers to a first download's
//! pipelined FETCHes through one buffer. [`stream`] is the byte stream under a session: TCP, TLS,
//! and DEFLATE compression (RFC 4978) on top when the server offers it.
//!
//! Every network step runs under a timeout from [`Timeouts`], and every failure is mapped to a
//! typed [`crate::Error`] the UI can explain.

pub mod auth;
pub mod connect;
pub mod content;
pub mod envelope;
pub mod folders;
pub mod namespace;
pub mod parts;
pub mod pipeline;
pub mod raw;
pub mod sections;
pub mod stream;
pub mod tls;

#[cfg(test)]
pub(crate) mod scripted;

pub use connect::{Password, connect_and_login, login_with_capabilities};
pub use folders::{Folder, FolderList, FolderRole, FolderStatus, ListOptions, list_folders};
pub use namespace::{NamespaceKind, Namespaces};
pub use stream::ImapStream;

use std::time::Duration;

/// A logged-in IMAP session over Tern's stream type.
pub type ImapSession = async_imap::Session<ImapStream>;

/// Time limits for each network step.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// TCP connect and TLS handshake.
    pub connect: Duration,
    /// Any single command's response (greeting, LOGIN, LIST...).
    pub command: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self { connect: Duration::from_secs(15), command: Duration::from_secs(60) }
    }
}
