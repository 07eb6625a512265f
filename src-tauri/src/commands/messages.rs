//! The message list.

use tauri::State;

use tern_core::live::FlagChange;

use crate::AppState;
use crate::dto::{MessagePage, MessageRow, MessageView};
use crate::error::CommandResult;

/// A window of a folder's messages from the cache, newest first (at most 1,000 rows a call).
#[tauri::command]
pub fn list_messages(
    state: State<'_, AppState>,
    account_id: String,
    path: String,
    offset: u32,
    limit: u32,
) -> CommandResult<MessagePage> {
    let page = state.engine.envelopes(&account_id, &path, offset as usize, limit as usize)?;
    Ok(MessagePage {
        total: page.total,
        unread: page.unread,
        offset,
        rows: page.rows.into_iter().map(MessageRow::from).collect(),
    })
}

/// Opens a message for the reader: its content from the cache or the server (only the shown
/// parts), sanitized, registered for the reader's sandboxed frame. `null` when the message is
/// gone. `allowRemote` loads remote images and styles for this opening.
#[tauri::command]
pub async fn open_message(
    state: State<'_, AppState>,
    account_id: String,
    path: String,
    uid: u32,
    allow_remote: bool,
) -> CommandResult<Option<MessageView>> {
    let Some(content) = state.live.message_content(&account_id, &path, uid).await? else { return Ok(None) };
    Ok(Some(crate::reader::build_view(&state.views, &content, allow_remote)))
}

/// Marks messages read or unread, flagged or not: shown at once, then saved on the server.
#[tauri::command]
pub async fn set_flags(
    state: State<'_, AppState>,
    account_id: String,
    path: String,
    uids: Vec<u32>,
    seen: Option<bool>,
    flagged: Option<bool>,
) -> CommandResult<()> {
    state.live.set_flags(&account_id, &path, uids, FlagChange { seen, flagged }).await?;
    Ok(())
}
