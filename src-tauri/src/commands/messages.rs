//! The message list and the reader: opening messages, their details, links and attachments.

use std::path::PathBuf;

use tauri::{AppHandle, Manager, State};
use tauri_plugin_dialog::DialogExt;
use tauri_plugin_opener::OpenerExt;

use tern_core::error::Error;
use tern_core::files::{is_program, safe_file_name};
use tern_core::imap::content::MessageContent;
use tern_core::live::FlagChange;

use crate::AppState;
use crate::dto::{
    HeaderField, ListQuery, MessagePage, MessageRow, MessageSource, MessageView, SavedAttachment, Settings,
};
use crate::error::CommandResult;
use crate::reader::{ViewOptions, build_view};

/// A window of the message list from the cache (at most 1,000 rows a call): a folder or every
/// inbox, sorted, filtered, as conversations or single messages. Runs off the main thread: the
/// first request for a new order of a large folder builds it in memory.
#[tauri::command]
pub async fn list_rows(
    state: State<'_, AppState>,
    query: ListQuery,
    offset: u32,
    limit: u32,
) -> CommandResult<MessagePage> {
    let engine = state.engine.clone();
    let started = std::time::Instant::now();
    let page = tauri::async_runtime::spawn_blocking(move || {
        engine.list(&query.into(), offset as usize, limit as usize)
    })
    .await
    .map_err(|e| Error::Cache(format!("the list could not be read: {e}")))??;
    tracing::debug!(offset, limit, rows = page.rows.len(), elapsed = ?started.elapsed(), "list rows read");
    Ok(MessagePage {
        total: page.total,
        unread: page.unread,
        offset,
        rows: page.rows.into_iter().map(MessageRow::from).collect(),
    })
}

/// Every cached message of a message's conversation (its folder, the Inbox and Sent), oldest
/// first; empty when the message is gone.
#[tauri::command]
pub async fn conversation(
    state: State<'_, AppState>,
    account_id: String,
    path: String,
    uid: u32,
) -> CommandResult<Vec<MessageRow>> {
    let engine = state.engine.clone();
    let rows = tauri::async_runtime::spawn_blocking(move || engine.conversation(&account_id, &path, uid))
        .await
        .map_err(|e| Error::Cache(format!("the conversation could not be read: {e}")))??;
    Ok(rows.into_iter().map(MessageRow::from).collect())
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
    Ok(Some(view_of(&state, &content, &account_id, &path, uid, allow_remote)))
}

/// Builds the reader's view of `content`, from message `uid` (whose sender decides whether
/// remote content loads without asking).
fn view_of(
    state: &AppState,
    content: &MessageContent,
    account_id: &str,
    path: &str,
    uid: u32,
    allow_remote: bool,
) -> MessageView {
    let settings = state.engine.settings();
    let sender =
        state.engine.envelope(account_id, path, uid).ok().flatten().and_then(|e| e.from.into_iter().next());
    let for_sender = sender.is_some_and(|a| settings.loads_remote_from(&a.email));
    let options = ViewOptions {
        allow_remote: allow_remote || for_sender,
        remote_allowed_for_sender: for_sender,
        monospace: settings.plain_monospace,
        theme: settings.theme,
    };
    build_view(&state.views, content, options)
}

/// Opens the message attached to message `uid` at `section` (a forwarded `.eml`): only its
/// shown parts are downloaded. `null` when either is gone.
#[tauri::command]
pub async fn open_attached_message(
    state: State<'_, AppState>,
    account_id: String,
    path: String,
    uid: u32,
    section: String,
    allow_remote: bool,
) -> CommandResult<Option<MessageView>> {
    let Some(content) = state.live.attached_message(&account_id, &path, uid, &section).await? else {
        return Ok(None);
    };
    // The attached message's sender is not the outer one's: remote content only when asked.
    let settings = state.engine.settings();
    let options = ViewOptions {
        allow_remote,
        monospace: settings.plain_monospace,
        theme: settings.theme,
        ..Default::default()
    };
    Ok(Some(build_view(&state.views, &content, options)))
}

/// Every header field and the raw source of a message, for "show details". `null` when the
/// message is gone.
#[tauri::command]
pub async fn message_source(
    state: State<'_, AppState>,
    account_id: String,
    path: String,
    uid: u32,
) -> CommandResult<Option<MessageSource>> {
    let Some(source) = state.live.message_source(&account_id, &path, uid).await? else { return Ok(None) };
    Ok(Some(MessageSource {
        headers: source.headers.into_iter().map(|(name, value)| HeaderField { name, value }).collect(),
        truncated: (source.raw.len() as u64) < u64::from(source.size),
        raw: String::from_utf8_lossy(&source.raw).into_owned(),
        size: source.size,
    }))
}

/// Asks where to save an attachment (the system's save dialog, named after the attachment),
/// then downloads it there, streamed. `null` when the user cancels.
#[tauri::command]
pub async fn save_attachment(
    app: AppHandle,
    state: State<'_, AppState>,
    account_id: String,
    path: String,
    uid: u32,
    section: String,
    filename: Option<String>,
) -> CommandResult<Option<SavedAttachment>> {
    let name = safe_file_name(filename.as_deref(), "attachment");
    let (tx, rx) = tokio::sync::oneshot::channel();
    let mut dialog = app.dialog().file().set_title("Save attachment").set_file_name(&name);
    if let Ok(downloads) = app.path().download_dir() {
        dialog = dialog.set_directory(downloads);
    }
    dialog.save_file(move |chosen| {
        let _ = tx.send(chosen.and_then(|p| p.into_path().ok()));
    });
    let Ok(Some(dest)) = rx.await else { return Ok(None) };
    let bytes = state.live.save_attachment(&account_id, &path, uid, &section, &dest).await?;
    Ok(Some(SavedAttachment { path: dest.display().to_string(), bytes }))
}

/// Opens an attachment with the system's app for its type: downloaded into Tern's cache
/// directory first. Programs and scripts are never opened (they can still be saved).
#[tauri::command]
pub async fn open_attachment(
    app: AppHandle,
    state: State<'_, AppState>,
    account_id: String,
    path: String,
    uid: u32,
    section: String,
    filename: Option<String>,
) -> CommandResult<SavedAttachment> {
    let name = safe_file_name(filename.as_deref(), "attachment");
    if is_program(&name) {
        return Err(Error::Unsafe(format!(
            "{name} is a program or script; Tern does not open those because they could harm your computer. \
             Save it instead if you trust the sender."
        ))
        .into());
    }
    let dir = attachments_dir(&app)?.join(format!("{:016x}", fastrand::u64(..)));
    std::fs::create_dir_all(&dir).map_err(|source| Error::Storage { path: dir.clone(), source })?;
    let dest = dir.join(&name);
    let bytes = state.live.save_attachment(&account_id, &path, uid, &section, &dest).await?;
    app.opener().open_path(dest.display().to_string(), None::<&str>).map_err(|e| Error::Storage {
        path: dest.clone(),
        source: std::io::Error::other(format!("no app could open it: {e}")),
    })?;
    Ok(SavedAttachment { path: dest.display().to_string(), bytes })
}

/// Where opened attachments are downloaded (emptied when Tern starts).
pub fn attachments_dir(app: &AppHandle) -> CommandResult<PathBuf> {
    let base = match std::env::var_os("TERN_DATA_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir).join("cache"),
        None => app.path().app_cache_dir().map_err(|e| Error::Storage {
            path: PathBuf::from("cache"),
            source: std::io::Error::other(e.to_string()),
        })?,
    };
    Ok(base.join("attachments"))
}

/// Opens a link from a message in the system's browser (or mail program for `mailto:`).
/// Nothing else is opened: other schemes could start programs.
#[tauri::command]
pub fn open_link(app: AppHandle, url: String) -> CommandResult<()> {
    let scheme = url.split_once(':').map(|(s, _)| s.to_ascii_lowercase()).unwrap_or_default();
    if !matches!(scheme.as_str(), "http" | "https" | "mailto") {
        return Err(Error::Unsafe(format!(
            "Tern only opens web and mail links; this one is a {scheme}: link"
        ))
        .into());
    }
    app.opener().open_url(url, None::<&str>).map_err(|e| Error::Storage {
        path: PathBuf::from("browser"),
        source: std::io::Error::other(format!("no browser could open it: {e}")),
    })?;
    Ok(())
}

/// Always (or no longer) load remote content in messages from `address`. Returns the new
/// preferences.
#[tauri::command]
pub fn set_remote_content_for_sender(
    state: State<'_, AppState>,
    address: String,
    allowed: bool,
) -> CommandResult<Settings> {
    let mut settings = state.engine.settings();
    settings.set_remote_from(&address, allowed);
    state.engine.set_settings(settings)?;
    Ok(state.engine.settings().into())
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
