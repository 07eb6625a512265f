//! Folder lists.

use tauri::State;

use crate::AppState;
use crate::dto::Folder;
use crate::error::CommandResult;

/// The folders as last seen, from the cache: instant, works offline.
#[tauri::command]
pub fn cached_folders(state: State<'_, AppState>, account_id: String) -> CommandResult<Vec<Folder>> {
    Ok(state.engine.cached_folders(&account_id)?.into_iter().map(Folder::from).collect())
}

/// The folders from the server (also refreshes the cache).
#[tauri::command]
pub async fn refresh_folders(state: State<'_, AppState>, account_id: String) -> CommandResult<Vec<Folder>> {
    Ok(state.engine.refresh_folders(&account_id).await?.into_iter().map(Folder::from).collect())
}
