//! Tauri commands, one file per domain. Each command takes IPC arguments, calls the engine, and
//! returns DTOs from [`crate::dto`] or a [`crate::error::CommandError`]. No logic lives here.

pub mod accounts;
pub mod app;
pub mod mailboxes;
pub mod messages;
