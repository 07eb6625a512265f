//! Tern's desktop shell: a thin Tauri layer over [`tern_core`].
//!
//! # Layout
//!
//! - [`run`] builds the app: opens the engine over the data directory, starts the live engine
//!   ([`tern_core::live::Supervisor`]) for every account, forwards its event batches to the
//!   window (`mail-events`, `sync-progress`) and new inbox mail to desktop notifications,
//!   registers the commands, and on exit stops every account task (bounded) and flushes the
//!   cache.
//! - [`commands`]: the IPC surface, one module per domain (app, accounts, mailboxes, messages).
//! - [`dto`]: the types that cross the bridge; TypeScript bindings are generated from them.
//! - [`error`]: the one error type commands return.
//! - [`webkit_env`]: what WebKitGTK's processes are told through the environment on Linux.
//!
//! The allocator's settings, and the freed memory given back once the app is quiet, are
//! [`tern_core::memory`]'s (the engine's benchmark applies the same settings).
//!
//! The shell holds no mail logic: everything it does is a call into [`tern_core::Engine`].

pub mod commands;
pub mod dto;
pub mod error;
pub mod reader;
pub mod webkit_env;

#[cfg(test)]
mod bindings;

use std::path::PathBuf;
use std::sync::Arc;

use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_notification::NotificationExt;
use tern_core::live::{EventSink, LiveEvent, LiveSettings, Supervisor};
use tern_core::secrets::Keychain;
use tern_core::{Engine, memory};

use crate::dto::{MailEvent, SyncProgressEvent};

/// Event name of a batch of [`MailEvent`]s.
pub const MAIL_EVENTS: &str = "mail-events";
/// Event name of [`SyncProgressEvent`].
pub const SYNC_PROGRESS: &str = "sync-progress";

/// State shared by every command.
#[derive(Debug)]
pub struct AppState {
    /// The mail engine.
    pub engine: Arc<Engine>,
    /// The account tasks keeping the cache live.
    pub live: Arc<Supervisor>,
    /// Messages prepared for the reader's frame (the `tern-part` scheme).
    pub views: reader::Views,
}

/// Forwards the live engine's batches to the window, and new inbox mail to a notification.
fn event_sink(app: AppHandle, engine: Arc<Engine>) -> EventSink {
    Arc::new(move |batch: Vec<LiveEvent>| {
        memory::touch();
        let mut events = Vec::with_capacity(batch.len());
        for event in batch {
            match event {
                LiveEvent::Progress { account_id, path, done, total } => {
                    let progress = SyncProgressEvent { account_id, path, done, total };
                    if let Err(e) = app.emit(SYNC_PROGRESS, progress) {
                        tracing::debug!(error = %e, "could not send sync progress to the window");
                    }
                }
                LiveEvent::NewMail { ref account_id, count, ref newest, .. } => {
                    if engine.settings().notifications {
                        notify_new_mail(&app, &engine, account_id, count, newest);
                    }
                    events.extend(MailEvent::from_live(event));
                }
                other => events.extend(MailEvent::from_live(other)),
            }
        }
        if !events.is_empty()
            && let Err(e) = app.emit(MAIL_EVENTS, events)
        {
            tracing::debug!(error = %e, "could not send mail events to the window");
        }
    })
}

/// One notification per account and batch: the message itself when one arrived, a count when
/// several did.
fn notify_new_mail(
    app: &AppHandle,
    engine: &Engine,
    account_id: &str,
    count: u32,
    newest: &[tern_core::live::NewMessage],
) {
    let account = engine.account(account_id).map(|a| a.display_name).unwrap_or_default();
    let (title, body) = match (count, newest.first()) {
        (1, Some(message)) => (message.from.clone(), message.subject.clone()),
        _ => (
            format!("{count} new messages"),
            newest.iter().map(|m| format!("{}: {}", m.from, m.subject)).collect::<Vec<_>>().join("\n"),
        ),
    };
    let title = if account.is_empty() { title } else { format!("{title} — {account}") };
    if let Err(e) = app.notification().builder().title(title).body(body).show() {
        tracing::debug!(error = %e, "could not show a notification");
    }
}

/// Where Tern keeps its settings and cache: `TERN_DATA_DIR` when set (the demo and the tests use
/// it), else the platform's app data directory.
fn data_dir(app: &tauri::App) -> Result<PathBuf, Box<dyn std::error::Error>> {
    if let Some(dir) = std::env::var_os("TERN_DATA_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    Ok(app.path().app_data_dir()?)
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,rustls_platform_verifier=off"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// WebKitGTK's settings for a window that shows one app: no accelerated compositing (it took
/// the web process from about 210 MB to about 300 MB, and the message list scrolled no faster:
/// see BENCHMARKS.md), and caches sized for a single document rather than for browsing.
#[cfg(target_os = "linux")]
fn lean_webview(window: &tauri::WebviewWindow) {
    let applied = window.with_webview(|webview| {
        use webkit2gtk::{CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt};
        let view = webview.inner();
        if let Some(settings) = WebViewExt::settings(&view) {
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
        }
        if let Some(context) = view.context() {
            context.set_cache_model(CacheModel::DocumentViewer);
        }
    });
    if let Err(error) = applied {
        tracing::debug!(%error, "WebView settings not applied");
    }
}

/// Elsewhere the system's WebView keeps its own settings.
#[cfg(not(target_os = "linux"))]
fn lean_webview(_window: &tauri::WebviewWindow) {}

/// The longest the window stays hidden when its page does not finish loading.
const SHOW_AT_THE_LATEST: std::time::Duration = std::time::Duration::from_secs(3);

/// Shows the main window, which `tauri.conf.json` creates hidden, once its page has loaded: the
/// WebView is then ready to paint it. Shown earlier, the window asks the WebView for a frame
/// while WebKit is still starting its web process, and on Linux WebKitGTK holds the app's main
/// thread up to half a second waiting for that frame (one start in three on a busy two-core
/// machine: BENCHMARKS.md); on every system it would show an empty window first.
fn show_when_loaded<R: tauri::Runtime>(
    webview: &tauri::Webview<R>,
    payload: &tauri::webview::PageLoadPayload<'_>,
) {
    if payload.event() == tauri::webview::PageLoadEvent::Finished {
        show(&webview.window());
    }
}

/// Shows a window that is not shown yet.
fn show<R: tauri::Runtime>(window: &tauri::Window<R>) {
    if !window.is_visible().unwrap_or(true)
        && let Err(error) = window.show()
    {
        tracing::warn!(%error, "could not show the window");
    }
}

/// The window's commands, each counted as work after which freed memory is returned
/// ([`memory`]).
fn with_memory_watch<R: tauri::Runtime>(
    commands: impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static,
) -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    move |invoke| {
        memory::touch();
        commands(invoke)
    }
}

/// Starts Tern.
pub fn run() {
    memory::steady_thresholds();
    webkit_env::apply();
    init_tracing();
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_dialog::init())
        .register_uri_scheme_protocol(reader::SCHEME, reader::handle)
        .on_page_load(show_when_loaded)
        .setup(|app| {
            if let Some(window) = app.get_webview_window("main") {
                lean_webview(&window);
            }
            let dir = data_dir(app)?;
            let engine = Arc::new(Engine::open(&dir, Arc::new(Keychain))?);
            tracing::info!(data_dir = %dir.display(), accounts = engine.accounts().len(), "engine ready");
            // The inbox's conversations are read and threaded while the window loads.
            let lists = engine.clone();
            tauri::async_runtime::spawn_blocking(move || {
                if let Err(error) = lists.prepare_lists() {
                    tracing::debug!(%error, "message list not prepared ahead");
                }
                memory::touch();
            });
            let sink = event_sink(app.handle().clone(), engine.clone());
            let live = tauri::async_runtime::block_on(async {
                Arc::new(Supervisor::new(engine.clone(), LiveSettings::default(), sink))
            });
            tauri::async_runtime::block_on(async { live.start_all() });
            // Attachments opened in an earlier run are not needed any more.
            if let Ok(dir) = commands::messages::attachments_dir(app.handle()) {
                let _ = std::fs::remove_dir_all(dir);
            }
            app.manage(AppState { engine, live, views: reader::Views::default() });
            memory::watch();
            // A page that never finishes loading still gets its window.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                tokio::time::sleep(SHOW_AT_THE_LATEST).await;
                if let Some(window) = handle.get_webview_window("main") {
                    show(&window.as_ref().window());
                }
            });
            Ok(())
        })
        .invoke_handler(with_memory_watch(tauri::generate_handler![
            commands::app::app_info,
            commands::app::get_settings,
            commands::app::set_settings,
            commands::accounts::list_accounts,
            commands::accounts::add_account,
            commands::accounts::remove_account,
            commands::accounts::account_quota,
            commands::accounts::account_statuses,
            commands::accounts::retry_account,
            commands::mailboxes::cached_folders,
            commands::mailboxes::refresh_folders,
            commands::mailboxes::folder_counts,
            commands::mailboxes::sync_account,
            commands::mailboxes::sync_folder,
            commands::messages::list_rows,
            commands::messages::conversation,
            commands::accounts::update_account_access,
            commands::messages::open_message,
            commands::messages::set_flags,
            commands::messages::open_attached_message,
            commands::messages::message_source,
            commands::messages::save_attachment,
            commands::messages::open_attachment,
            commands::messages::open_link,
            commands::messages::set_remote_content_for_sender,
        ]))
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(error = %e, "Tern could not start");
            eprintln!("Tern could not start: {e}");
            std::process::exit(1);
        }
    };
    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event
            && let Some(state) = handle.try_state::<AppState>()
        {
            // Every account task ends (politely when the network allows, aborted otherwise)
            // before the cache is flushed.
            tauri::async_runtime::block_on(state.live.shutdown());
            if let Err(e) = state.engine.shutdown() {
                tracing::error!(error = %e, "could not flush the cache on exit");
            }
        }
    });
}
