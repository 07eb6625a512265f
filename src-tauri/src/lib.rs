//! Tern's desktop shell: a thin Tauri layer over [`tern_core`].
//!
//! # Layout
//!
//! - [`run`] builds the app: opens the engine over the data directory, registers the commands,
//!   and flushes the cache on exit.
//! - [`commands`]: the IPC surface, one module per domain (app, accounts, mailboxes, messages).
//! - [`dto`]: the types that cross the bridge; TypeScript bindings are generated from them.
//! - [`error`]: the one error type commands return.
//!
//! The shell holds no mail logic: everything it does is a call into [`tern_core::Engine`].

pub mod commands;
pub mod dto;
pub mod error;

#[cfg(test)]
mod bindings;

use std::path::PathBuf;
use std::sync::Arc;

use tauri::Manager;
use tern_core::Engine;
use tern_core::secrets::Keychain;

/// State shared by every command.
#[derive(Debug)]
pub struct AppState {
    /// The mail engine.
    pub engine: Arc<Engine>,
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

/// Starts Tern.
pub fn run() {
    init_tracing();
    let app = tauri::Builder::default()
        .setup(|app| {
            let dir = data_dir(app)?;
            let engine = Engine::open(&dir, Arc::new(Keychain))?;
            tracing::info!(data_dir = %dir.display(), accounts = engine.accounts().len(), "engine ready");
            app.manage(AppState { engine: Arc::new(engine) });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app::app_info,
            commands::accounts::list_accounts,
            commands::accounts::add_account,
            commands::accounts::remove_account,
            commands::accounts::account_quota,
            commands::mailboxes::cached_folders,
            commands::mailboxes::refresh_folders,
            commands::mailboxes::folder_counts,
            commands::mailboxes::sync_account,
            commands::mailboxes::sync_folder,
            commands::messages::list_messages,
        ])
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
            && let Err(e) = state.engine.shutdown()
        {
            tracing::error!(error = %e, "could not flush the cache on exit");
        }
    });
}
