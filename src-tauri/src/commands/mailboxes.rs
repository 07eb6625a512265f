//! Folder lists.

use tauri::State;

use crate::AppState;
use crate::dto::{Folder, FolderCounts, SyncSummary};
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

/// Cached message and unread counts of every synced folder.
#[tauri::command]
pub fn folder_counts(state: State<'_, AppState>, account_id: String) -> CommandResult<Vec<FolderCounts>> {
    Ok(state
        .engine
        .folder_states(&account_id)?
        .into_iter()
        .map(|(path, s)| FolderCounts { path, total: s.total, unread: s.unread })
        .collect())
}

/// Syncs the folder list and every folder of an account now, on its command connection;
/// progress arrives as `sync-progress` events.
#[tauri::command]
pub async fn sync_account(state: State<'_, AppState>, account_id: String) -> CommandResult<Vec<SyncSummary>> {
    let reports = state.live.sync_now(&account_id, None).await?;
    Ok(reports.into_iter().map(|r| SyncSummary::new(&account_id, r)).collect())
}

/// Syncs one folder now.
#[tauri::command]
pub async fn sync_folder(
    state: State<'_, AppState>,
    account_id: String,
    path: String,
) -> CommandResult<SyncSummary> {
    let reports = state.live.sync_now(&account_id, Some(path.clone())).await?;
    let report = reports.into_iter().next().ok_or_else(|| {
        crate::error::CommandError::from(tern_core::Error::Protocol(format!("{path} was not synced")))
    })?;
    Ok(SyncSummary::new(&account_id, report))
}
