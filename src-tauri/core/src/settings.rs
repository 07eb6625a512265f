//! The user's preferences that are not about one account, in `settings.json` next to the
//! accounts. Unknown or missing fields take their defaults, so older and newer versions of Tern
//! read each other's files.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::account::write_atomically;
use crate::error::{Error, Result};

/// When opening a message marks it read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkRead {
    /// As soon as it is shown.
    Immediately,
    /// After it has been shown for this many seconds.
    AfterSeconds(u32),
    /// Never: only the user's own "mark read" does.
    Never,
}

/// The colours of the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    /// Light or dark as the operating system is set.
    #[default]
    System,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

/// How much room each message list row takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Density {
    /// Two lines per message: sender and date, then subject and first words.
    #[default]
    Comfortable,
    /// One line per message.
    Compact,
}

/// Default width of the folder sidebar, in CSS pixels.
pub const SIDEBAR_WIDTH: u32 = 240;
/// Default width of the message list, in CSS pixels.
pub const LIST_WIDTH: u32 = 380;

/// Smallest cache budget for downloaded messages, in MiB.
pub const MIN_CACHE_MB: u32 = 64;

/// App-wide preferences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AppSettings {
    /// Show a desktop notification when new mail arrives in an inbox.
    pub notifications: bool,
    /// When opening a message marks it read.
    pub mark_read: MarkRead,
    /// Senders (addresses, lower case) whose messages load remote content without asking.
    pub remote_content_senders: Vec<String>,
    /// Budget for downloaded message contents, in MiB (envelopes are never evicted).
    pub cache_mb: u32,
    /// Show plain-text mail in a fixed-width font.
    pub plain_monospace: bool,
    /// Download the text of the newest inbox messages in the background, so they open at once
    /// and the list shows their first lines.
    pub prefetch: bool,
    /// Group messages into conversations in the list (false: one row per message).
    pub conversations: bool,
    /// Light, dark, or as the system is set.
    pub theme: Theme,
    /// Row height of the message list.
    pub density: Density,
    /// Width of the folder sidebar, in CSS pixels (as the user left it).
    pub sidebar_width: u32,
    /// Width of the message list, in CSS pixels (as the user left it).
    pub list_width: u32,
}

impl Default for AppSettings {
    fn default() -> Self {
        Self {
            notifications: true,
            mark_read: MarkRead::Immediately,
            remote_content_senders: Vec::new(),
            cache_mb: 1024,
            plain_monospace: false,
            prefetch: true,
            conversations: true,
            theme: Theme::System,
            density: Density::Comfortable,
            sidebar_width: SIDEBAR_WIDTH,
            list_width: LIST_WIDTH,
        }
    }
}

impl AppSettings {
    /// The budget for downloaded contents in bytes.
    pub fn cache_budget(&self) -> u64 {
        u64::from(self.cache_mb.max(MIN_CACHE_MB)) * 1024 * 1024
    }

    /// Whether messages from `address` load remote content without asking.
    pub fn loads_remote_from(&self, address: &str) -> bool {
        let address = address.trim().to_lowercase();
        !address.is_empty() && self.remote_content_senders.contains(&address)
    }

    /// Adds or removes `address` from the senders whose remote content loads without asking.
    pub fn set_remote_from(&mut self, address: &str, allowed: bool) {
        let address = address.trim().to_lowercase();
        self.remote_content_senders.retain(|s| *s != address);
        if allowed && !address.is_empty() {
            self.remote_content_senders.push(address);
            self.remote_content_senders.sort();
        }
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
        file.set(AppSettings { notifications: false, ..AppSettings::default() }).unwrap();
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

    #[test]
    fn reading_preferences_read_back_and_normalize() {
        let table: [(&str, MarkRead, u64); 4] = [
            (r#"{"mark_read": "never"}"#, MarkRead::Never, 1024),
            (r#"{"mark_read": {"after_seconds": 3}, "cache_mb": 2048}"#, MarkRead::AfterSeconds(3), 2048),
            (r#"{"mark_read": "later", "cache_mb": 1}"#, MarkRead::Immediately, 1024),
            (r#"{"cache_mb": 1}"#, MarkRead::Immediately, u64::from(MIN_CACHE_MB)),
        ];
        for (text, mark_read, mb) in table {
            let settings: AppSettings = serde_json::from_str(text).unwrap_or_default();
            assert_eq!(
                (settings.mark_read, settings.cache_budget()),
                (mark_read, mb * 1024 * 1024),
                "{text}"
            );
        }
        let mut settings = AppSettings::default();
        settings.set_remote_from(" News@Example.COM ", true);
        settings.set_remote_from("news@example.com", true);
        assert_eq!(settings.remote_content_senders, ["news@example.com"]);
        assert!(settings.loads_remote_from("NEWS@example.com") && !settings.loads_remote_from(""));
        settings.set_remote_from("news@example.com", false);
        assert!(!settings.loads_remote_from("news@example.com"));
    }
}
