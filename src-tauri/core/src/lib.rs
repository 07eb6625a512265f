//! Tern's mail engine.
//!
//! `tern-core` owns everything that talks to mail servers or touches the disk. It has no idea a
//! UI exists: the desktop shell (`src-tauri`) turns its types into IPC DTOs and its events into UI
//! events. Cargo enforces the boundary: this crate does not depend on Tauri.
//!
//! # Layout
//!
//! - [`account`]: what an account is ([`account::AccountConfig`]) and where account settings live
//!   on disk ([`account::AccountRegistry`]). Settings never contain a secret.
//! - [`secrets`]: the one door to the OS keychain (macOS Keychain, Windows Credential Manager,
//!   Secret Service on Linux). Passwords and tokens go through it and nowhere else.
//! - [`imap`]: connecting (implicit TLS or STARTTLS with rustls; plaintext only to loopback),
//!   logging in, and listing folders with their special-use roles.
//! - [`store`]: the sled cache: folder lists, envelopes, a newest-first index and per-folder sync
//!   state, written in atomic batches.
//! - [`sync`]: bringing the cache in line with the server (initial sync newest first, QRESYNC,
//!   CONDSTORE, full scan), planned by pure, table-tested logic.
//! - [`thread`]: conversation threading (JWZ) across folders, so the user's replies in Sent join
//!   the inbox conversation; pure, table-tested logic.
//! - [`live`]: one supervised task per account keeping the cache live (IDLE push on the inbox,
//!   polling of the other folders, reconnects with backoff) and emitting coalesced events.
//! - [`render`]: the one policy for showing message HTML safely (no scripts, no tracking pixels,
//!   remote content blocked until allowed) and plain text as HTML.
//! - [`files`]: attachments on the user's disk: safe file names, and which files are programs
//!   (never opened).
//! - [`settings`]: app-wide preferences (notifications, marking read, remote content senders,
//!   cache budget, background downloads).
//! - [`engine`]: the façade the shell holds. It ties accounts, secrets, connections and the cache
//!   together and is the only type the shell needs.
//! - [`error`]: the typed errors every public function returns, each one saying what the user
//!   can do about it.

pub mod account;
pub mod engine;
pub mod error;
pub mod files;
pub mod imap;
pub mod live;
pub mod memory;
pub mod render;
pub mod secrets;
pub mod settings;
pub mod store;
pub mod sync;
pub mod thread;
pub mod views;

pub use engine::Engine;
pub use error::{Error, Result};
