//! Accounts: what the user configured, and where it lives on disk.
//!
//! The settings file (`accounts.json` in Tern's data directory) holds server names, ports, user
//! names and pinned certificate fingerprints. It never holds a password or token: those are in the
//! OS keychain, see [`crate::secrets`]. Writes are atomic (temporary file, fsync, rename) so a
//! crash or a full disk never leaves a half-written file behind.

use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How the connection to a server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    /// TLS from the first byte (port 993 for IMAP). Preferred (RFC 8314).
    Tls,
    /// Plain TCP upgraded with STARTTLS before anything else is sent. Refused if the server does
    /// not offer STARTTLS.
    StartTls,
    /// No encryption at all. Only accepted for a loopback host (a local bridge or test server).
    Plain,
}

/// Where and how to reach an IMAP server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImapServer {
    /// Host name or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Transport security.
    pub security: Security,
    /// The login name (often the address).
    pub username: String,
    /// SHA-256 fingerprint of a certificate the user chose to trust for this host although the
    /// system does not (colon-separated hex). `None`: only system-trusted certificates.
    #[serde(default)]
    pub pinned_cert_sha256: Option<String>,
    /// Do not use CONDSTORE/QRESYNC even if offered (for servers whose implementation is broken):
    /// resyncs then compare every UID and flag.
    #[serde(default)]
    pub disable_condstore: bool,
}

impl ImapServer {
    /// Checks the settings before anything touches the network.
    pub fn validate(&self) -> Result<()> {
        if self.host.trim().is_empty() {
            return Err(Error::InvalidSettings("enter the IMAP server name".into()));
        }
        if self.port == 0 {
            return Err(Error::InvalidSettings("enter the IMAP port (usually 993)".into()));
        }
        if self.username.trim().is_empty() {
            return Err(Error::InvalidSettings("enter the user name".into()));
        }
        if self.security == Security::Plain && !is_loopback(&self.host) {
            return Err(Error::InsecureConnection(format!(
                "Tern does not send passwords unencrypted: choose TLS or STARTTLS for {}",
                self.host
            )));
        }
        Ok(())
    }
}

/// True for `localhost` and loopback addresses.
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim().trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().map(|ip| ip.is_loopback()).unwrap_or(false)
}

/// One configured mail account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountConfig {
    /// Stable identifier, also the key of the account's keychain entry and cache trees.
    pub id: String,
    /// The name shown in the sidebar ("Work", "Personal").
    pub display_name: String,
    /// The user's address.
    pub email: String,
    /// Incoming mail server.
    pub imap: ImapServer,
}

/// A new account as entered by the user, before it has an id.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// The name shown in the sidebar; the address is used when empty.
    pub display_name: String,
    /// The user's address.
    pub email: String,
    /// Incoming mail server.
    pub imap: ImapServer,
}

impl NewAccount {
    /// Validates the input and derives a stable id from the address and server.
    pub fn into_config(self) -> Result<AccountConfig> {
        let email = self.email.trim().to_string();
        if !email.contains('@') {
            return Err(Error::InvalidSettings(format!("\"{email}\" is not an email address")));
        }
        let mut imap = self.imap;
        imap.host = imap.host.trim().to_string();
        imap.username = imap.username.trim().to_string();
        imap.validate()?;
        let display_name = match self.display_name.trim() {
            "" => email.clone(),
            name => name.to_string(),
        };
        let id = account_id(&email, &imap.host);
        Ok(AccountConfig { id, display_name, email, imap })
    }
}

/// `user@example.org` on `imap.example.org` becomes `user-example-org@imap-example-org`:
/// readable in the keychain UI, safe as a file and tree name.
fn account_id(email: &str, host: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect()
    };
    format!("{}@{}", clean(email), clean(host))
}

/// The accounts file: load, add, remove; every change written atomically.
#[derive(Debug)]
pub struct AccountRegistry {
    /// Path of `accounts.json`.
    path: PathBuf,
    /// The accounts in the order the user added them.
    accounts: Vec<AccountConfig>,
}

#[derive(Serialize, Deserialize)]
struct AccountsFile {
    version: u32,
    accounts: Vec<AccountConfig>,
}

impl AccountRegistry {
    /// Opens (or starts) the registry in `dir`.
    pub fn open(dir: &Path) -> Result<Self> {
        let path = dir.join("accounts.json");
        let accounts = match std::fs::read(&path) {
            Ok(bytes) => {
                let file: AccountsFile = serde_json::from_slice(&bytes).map_err(|e| {
                    Error::InvalidSettings(format!(
                        "the account settings in {} could not be read ({e}); move the file away to start over",
                        path.display()
                    ))
                })?;
                file.accounts
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(source) => return Err(Error::Storage { path, source }),
        };
        Ok(Self { path, accounts })
    }

    /// All accounts, in the order they were added.
    pub fn list(&self) -> &[AccountConfig] {
        &self.accounts
    }

    /// The account with this id.
    pub fn get(&self, id: &str) -> Result<&AccountConfig> {
        self.accounts.iter().find(|a| a.id == id).ok_or_else(|| Error::NoSuchAccount(id.to_string()))
    }

    /// Adds or replaces (same id) an account and saves.
    pub fn upsert(&mut self, account: AccountConfig) -> Result<()> {
        let mut next = self.accounts.clone();
        match next.iter_mut().find(|a| a.id == account.id) {
            Some(slot) => *slot = account,
            None => next.push(account),
        }
        self.save(&next)?;
        self.accounts = next;
        Ok(())
    }

    /// Removes an account and saves. Removing an unknown id is not an error.
    pub fn remove(&mut self, id: &str) -> Result<()> {
        let next: Vec<_> = self.accounts.iter().filter(|a| a.id != id).cloned().collect();
        self.save(&next)?;
        self.accounts = next;
        Ok(())
    }

    fn save(&self, accounts: &[AccountConfig]) -> Result<()> {
        let file = AccountsFile { version: 1, accounts: accounts.to_vec() };
        let bytes = serde_json::to_vec_pretty(&file)
            .map_err(|e| Error::InvalidSettings(format!("could not encode account settings: {e}")))?;
        write_atomically(&self.path, &bytes)
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory, fsynced, then renamed.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let storage = |source| Error::Storage { path: path.to_path_buf(), source };
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir).map_err(storage)?;
    let tmp = path.with_extension("json.tmp");
    let mut file = std::fs::File::create(&tmp).map_err(storage)?;
    file.write_all(bytes).map_err(storage)?;
    file.sync_all().map_err(storage)?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(storage)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(host: &str, security: Security) -> ImapServer {
        ImapServer {
            host: host.into(),
            port: 993,
            security,
            username: "me".into(),
            pinned_cert_sha256: None,
            disable_condstore: false,
        }
    }

    #[test]
    fn loopback_detection() {
        let table = [
            ("localhost", true),
            ("LOCALHOST", true),
            ("127.0.0.1", true),
            ("127.3.4.5", true),
            ("::1", true),
            ("[::1]", true),
            ("imap.example.org", false),
            ("10.0.0.1", false),
            ("localhost.example.org", false),
        ];
        for (host, expected) in table {
            assert_eq!(is_loopback(host), expected, "{host}");
        }
    }

    #[test]
    fn plaintext_only_to_loopback() {
        let table = [
            ("imap.example.org", Security::Plain, false),
            ("imap.example.org", Security::Tls, true),
            ("imap.example.org", Security::StartTls, true),
            ("127.0.0.1", Security::Plain, true),
        ];
        for (host, security, ok) in table {
            assert_eq!(server(host, security).validate().is_ok(), ok, "{host} {security:?}");
        }
    }

    #[test]
    fn registry_round_trip_and_atomic_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut reg = AccountRegistry::open(dir.path()).unwrap();
        assert!(reg.list().is_empty());
        let account = NewAccount {
            display_name: " ".into(),
            email: "Ann@Example.org".into(),
            imap: server("imap.example.org", Security::Tls),
        }
        .into_config()
        .unwrap();
        assert_eq!(account.id, "ann-example-org@imap-example-org");
        assert_eq!(account.display_name, "Ann@Example.org");
        reg.upsert(account.clone()).unwrap();
        reg.upsert(account.clone()).unwrap();
        let again = AccountRegistry::open(dir.path()).unwrap();
        assert_eq!(again.list(), std::slice::from_ref(&account));
        let text = std::fs::read_to_string(dir.path().join("accounts.json")).unwrap();
        assert!(!text.contains("password"));
        assert!(!dir.path().join("accounts.json.tmp").exists());
        reg.remove(&account.id).unwrap();
        assert!(AccountRegistry::open(dir.path()).unwrap().list().is_empty());
    }

    #[test]
    fn corrupt_settings_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("accounts.json"), b"{not json").unwrap();
        let err = AccountRegistry::open(dir.path()).unwrap_err();
        assert!(err.to_string().contains("could not be read"), "{err}");
    }
}
