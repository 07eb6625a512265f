//! Facts about the app itself.

use tauri::State;

use crate::AppState;
use crate::dto::{AppInfo, Settings};
use crate::error::CommandResult;

/// Version and data location, for the settings and about screens.
#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> CommandResult<AppInfo> {
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        data_dir: state.engine.data_dir().display().to_string(),
    })
}

/// The app-wide preferences.
#[tauri::command]
pub fn get_settings(state: State<'_, AppState>) -> CommandResult<Settings> {
    Ok(state.engine.settings().into())
}

/// Saves the app-wide preferences.
#[tauri::command]
pub fn set_settings(state: State<'_, AppState>, settings: Settings) -> CommandResult<Settings> {
    state.engine.set_settings(settings.into())?;
    Ok(state.engine.settings().into())
}
