//! Folder lists.

use tauri::{AppHandle, Emitter, State};
use tern_core::sync::SyncProgress;

use crate::AppState;
use crate::dto::{Folder, FolderCounts, SyncProgressEvent, SyncSummary};
use crate::error::CommandResult;

/// Event name of [`SyncProgressEvent`].
pub const SYNC_PROGRESS: &str = "sync-progress";

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

fn progress_emitter(app: AppHandle, account_id: String) -> impl Fn(SyncProgress) + Send + Sync {
    move |p: SyncProgress| {
        let event =
            SyncProgressEvent { account_id: account_id.clone(), path: p.path, done: p.done, total: p.total };
        if let Err(e) = app.emit(SYNC_PROGRESS, event) {
            tracing::debug!(error = %e, "could not send sync progress to the window");
        }
    }
}

/// Syncs the folder list and every folder of an account; emits `sync-progress` on the way.
#[tauri::command]
pub async fn sync_account(
    app: AppHandle,
    state: State<'_, AppState>,
    account_id: String,
) -> CommandResult<Vec<SyncSummary>> {
    let progress = progress_emitter(app, account_id.clone());
    let reports = state.engine.sync_account(&account_id, &progress).await?;
    Ok(reports.into_iter().map(|r| SyncSummary::new(&account_id, r)).collect())
}

/// Syncs one folder now; emits `sync-progress` on the way.
#[tauri::command]
pub async fn sync_folder(
    app: AppHandle,
    state: State<'_, AppState>,
    account_id: String,
    path: String,
) -> CommandResult<SyncSummary> {
    let progress = progress_emitter(app, account_id.clone());
    let report = state.engine.sync_folder(&account_id, &path, &progress).await?;
    Ok(SyncSummary::new(&account_id, report))
}
