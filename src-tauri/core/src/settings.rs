//! The user's preferences that are not about one account, in `settings.json` next to the
//! accounts. Unknown or missing fields take their defaults, so older and newer versions of Tern
//! read each other's files.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::account::write_atomically;
use crate::error::{Error, Result};

/// App-wide preferences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AppSettings {
    /// Show a desktop notification when new mail arrives in an inbox.
    pub notifications: bool,
}

impl Default for AppSettings {
    fn default() -> Self {
        Self { notifications: true }
    }
}

/// Where the preferences live.
#[derive(Debug)]
pub struct SettingsFile {
    path: PathBuf,
    current: AppSettings,
}

impl SettingsFile {
    /// Reads `dir/settings.json` (defaults when missing or unreadable: preferences are never a
    /// reason not to start).
    pub fn open(dir: &Path) -> Self {
        let path = dir.join("settings.json");
        let current = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "settings.json is unreadable; using the defaults");
                AppSettings::default()
            }),
            Err(_) => AppSettings::default(),
        };
        Self { path, current }
    }

    /// The preferences.
    pub fn get(&self) -> &AppSettings {
        &self.current
    }

    /// Saves new preferences (atomically).
    pub fn set(&mut self, settings: AppSettings) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(&settings)
            .map_err(|e| Error::InvalidSettings(format!("could not encode the settings: {e}")))?;
        write_atomically(&self.path, &bytes)?;
        self.current = settings;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_and_tolerate_other_versions() {
        let dir = tempfile::tempdir().unwrap();
        assert!(SettingsFile::open(dir.path()).get().notifications);
        let mut file = SettingsFile::open(dir.path());
        file.set(AppSettings { notifications: false }).unwrap();
        assert!(!SettingsFile::open(dir.path()).get().notifications);
        let table: [(&str, bool); 4] = [
            ("{}", true),
            (r#"{"notifications": false, "from_a_newer_tern": 1}"#, false),
            ("not json", true),
            (r#"{"notifications": "yes"}"#, true),
        ];
        for (text, notifications) in table {
            std::fs::write(dir.path().join("settings.json"), text).unwrap();
            assert_eq!(SettingsFile::open(dir.path()).get().notifications, notifications, "{text}");
        }
    }
}
