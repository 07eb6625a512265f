//! Typed errors. Every variant is something a person can act on, and its message says how.

use std::path::PathBuf;

/// Result alias used across the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the engine, grouped by what the user can do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server rejected the user name or password.
    #[error("the server rejected the user name or password for {account}; check them and try again")]
    AuthFailed {
        /// The account's address or user name (never the password).
        account: String,
        /// The server's own words, for the details view.
        server_says: String,
    },
    /// The server wants an app-specific password, or the account is disabled.
    #[error("{server_says} (the provider may require an app password or to enable IMAP access)")]
    AuthPolicy {
        /// The server's own words.
        server_says: String,
    },
    /// The connection would send the password in the clear, which Tern refuses.
    #[error("{0}")]
    InsecureConnection(String),
    /// The server's certificate is not trusted by this system and has not been pinned by the user.
    #[error(
        "the certificate of {host} is not trusted ({reason}); it was issued to {subject}, {validity}, \
         and its SHA-256 fingerprint is {fingerprint}. Trust it only if you recognise that fingerprint"
    )]
    UntrustedCertificate {
        /// The host name the certificate was presented for.
        host: String,
        /// Colon-separated uppercase hex SHA-256 of the leaf certificate.
        fingerprint: String,
        /// Why verification failed.
        reason: String,
        /// Who the certificate names (its subject).
        subject: String,
        /// Its validity period in words.
        validity: String,
    },
    /// The TLS handshake failed for a reason other than trust.
    #[error("secure connection to {host} failed: {reason}")]
    Tls {
        /// The host name.
        host: String,
        /// What the TLS layer said.
        reason: String,
    },
    /// The host could not be reached (DNS, refused, unreachable network).
    #[error("could not reach {host}:{port}: {reason}; check the server name and port, and your network")]
    Unreachable {
        /// Host name.
        host: String,
        /// Port.
        port: u16,
        /// What the OS said.
        reason: String,
    },
    /// The server did not answer in time.
    #[error(
        "{host} did not answer within {seconds} s while {during}; the server or the network may be slow, try again"
    )]
    Timeout {
        /// Host name.
        host: String,
        /// The limit that was hit.
        seconds: u64,
        /// What Tern was waiting for.
        during: &'static str,
    },
    /// The connection dropped in the middle of an operation; retrying later is safe.
    #[error("{0}; Tern will pick up where it stopped when the connection is back")]
    ConnectionLost(String),
    /// The server said something Tern could not understand, or hung up.
    #[error("the mail server sent something unexpected: {0}")]
    Protocol(String),
    /// No account with that id exists.
    #[error("there is no account with id {0}")]
    NoSuchAccount(String),
    /// The account settings are not valid.
    #[error("{0}")]
    InvalidSettings(String),
    /// The OS keychain could not be used.
    #[error(
        "the system keychain could not be used: {0}. On Linux, make sure a Secret Service (GNOME Keyring or KWallet) is running and unlocked"
    )]
    Keychain(String),
    /// No password is stored for this account.
    #[error("no password is stored for {0}; enter it again")]
    MissingSecret(String),
    /// Reading or writing Tern's own files failed (full disk, permissions).
    #[error("could not write {path}: {source}; check free disk space and permissions")]
    Storage {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A message or one of its parts is no longer on the server (moved or deleted meanwhile).
    #[error("{0} is no longer on the server; it may have been moved or deleted from another device")]
    MessageGone(String),
    /// Tern will not do this because it could harm the user's computer (opening a program that
    /// came by mail, following a link that is not a web or mail address).
    #[error("{0}")]
    Unsafe(String),
    /// The local cache could not be read or written.
    #[error("the local mail cache failed: {0}")]
    Cache(String),
}

impl From<sled::Error> for Error {
    fn from(e: sled::Error) -> Self {
        Error::Cache(e.to_string())
    }
}
