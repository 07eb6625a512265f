//! The error every command returns: a kind the UI can branch on and a message it can show.

use serde::{Deserialize, Serialize};
use tern_core::Error;
use ts_rs::TS;

/// What went wrong, for the UI to choose its explanation and action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ErrorKind {
    /// Wrong user name or password.
    AuthFailed,
    /// Provider policy: app password needed, account disabled.
    AuthPolicy,
    /// Tern refused to send credentials unencrypted.
    Insecure,
    /// Certificate not trusted; `fingerprint` is set.
    UntrustedCertificate,
    /// Other TLS failure.
    Tls,
    /// Host not reachable.
    Unreachable,
    /// The server did not answer in time.
    Timeout,
    /// The server said something unexpected.
    Protocol,
    /// The connection dropped mid-way; retry later.
    ConnectionLost,
    /// The settings are not valid.
    InvalidSettings,
    /// The OS keychain is not available.
    Keychain,
    /// The password is missing from the keychain.
    MissingSecret,
    /// Unknown account or folder.
    NotFound,
    /// Tern's own files could not be written.
    Storage,
    /// The cache failed.
    Cache,
    /// Refused because it could harm the user's computer.
    Unsafe,
    /// A bug in Tern.
    Internal,
}

/// The serialized error of a failed command.
#[derive(Debug, Clone, Serialize, Deserialize, TS, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[error("{message}")]
pub struct CommandError {
    /// Category.
    pub kind: ErrorKind,
    /// A sentence for the user.
    pub message: String,
    /// The refused certificate's fingerprint, for `untrustedCertificate`.
    pub fingerprint: Option<String>,
}

impl From<Error> for CommandError {
    fn from(e: Error) -> Self {
        let message = e.to_string();
        let mut fingerprint = None;
        let kind = match &e {
            Error::AuthFailed { .. } => ErrorKind::AuthFailed,
            Error::AuthPolicy { .. } => ErrorKind::AuthPolicy,
            Error::InsecureConnection(_) => ErrorKind::Insecure,
            Error::UntrustedCertificate { fingerprint: fp, .. } => {
                fingerprint = Some(fp.clone());
                ErrorKind::UntrustedCertificate
            }
            Error::Tls { .. } => ErrorKind::Tls,
            Error::Unreachable { .. } => ErrorKind::Unreachable,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Protocol(_) => ErrorKind::Protocol,
            Error::ConnectionLost(_) => ErrorKind::ConnectionLost,
            Error::NoSuchAccount(_) | Error::MessageGone(_) => ErrorKind::NotFound,
            Error::InvalidSettings(_) => ErrorKind::InvalidSettings,
            Error::Keychain(_) => ErrorKind::Keychain,
            Error::MissingSecret(_) => ErrorKind::MissingSecret,
            Error::Storage { .. } => ErrorKind::Storage,
            Error::Unsafe(_) => ErrorKind::Unsafe,
            Error::Cache(_) => ErrorKind::Cache,
            _ => ErrorKind::Internal,
        };
        Self { kind, message, fingerprint }
    }
}

/// Result of a command.
pub type CommandResult<T> = Result<T, CommandError>;
