//! The message list.

use tauri::State;

use crate::AppState;
use crate::dto::{MessagePage, MessageRow};
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
