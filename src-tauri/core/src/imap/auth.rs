//! The authentication step, after the connection is secured.
//!
//! [`Credentials`] is what the account holds; [`authenticate`] picks the mechanism from the
//! server's pre-login capabilities: `AUTHENTICATE PLAIN` when offered (it carries any UTF-8
//! password unchanged), else `LOGIN`. A server announcing `LOGINDISABLED` on a connection Tern
//! considers secure is refused rather than worked around. OAuth (XOAUTH2, OAUTHBEARER) plugs in
//! here as another [`Credentials`] variant with its own SASL mechanism.

use async_imap::Authenticator;
use async_imap::imap_proto::{Capability, Response};
use async_imap::types::UnsolicitedResponse;

use super::ImapSession;
use super::connect::Password;
use super::stream::ImapStream;
use crate::error::{Error, Result};

/// What Tern proves its identity with.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// User name and password (or app password).
    Password {
        /// Login name.
        username: String,
        /// The password.
        password: Password,
    },
}

/// The SASL mechanism used for a login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    /// `AUTHENTICATE PLAIN` (RFC 4616).
    Plain,
    /// The `LOGIN` command.
    Login,
}

/// Picks the mechanism from pre-login capabilities (upper-cased atoms).
pub fn choose(capabilities: &[String]) -> Result<Mechanism> {
    let has = |c: &str| capabilities.iter().any(|cap| cap.eq_ignore_ascii_case(c));
    if has("AUTH=PLAIN") {
        Ok(Mechanism::Plain)
    } else if has("LOGINDISABLED") {
        Err(Error::InsecureConnection(
            "the server does not accept a password on this connection (LOGINDISABLED); choose TLS or STARTTLS".into(),
        ))
    } else {
        Ok(Mechanism::Login)
    }
}

struct PlainSasl<'a> {
    username: &'a str,
    password: &'a str,
}

impl Authenticator for PlainSasl<'_> {
    type Response = Vec<u8>;

    fn process(&mut self, _challenge: &[u8]) -> Self::Response {
        let mut out = Vec::with_capacity(self.username.len() + self.password.len() + 2);
        out.push(0);
        out.extend_from_slice(self.username.as_bytes());
        out.push(0);
        out.extend_from_slice(self.password.as_bytes());
        out
    }
}

/// Asks for CAPABILITY before login.
pub async fn capabilities(client: &mut async_imap::Client<ImapStream>) -> Result<Vec<String>> {
    let (tx, rx) = async_channel::unbounded();
    client
        .run_command_and_check_ok("CAPABILITY", Some(tx))
        .await
        .map_err(|e| Error::Protocol(format!("reading the server's capabilities: {e}")))?;
    let mut out = Vec::new();
    while let Ok(response) = rx.try_recv() {
        if let UnsolicitedResponse::Other(data) = response
            && let Response::Capabilities(caps) = data.parsed()
        {
            for cap in caps {
                out.push(match cap {
                    Capability::Imap4rev1 => "IMAP4REV1".to_string(),
                    Capability::Auth(m) => format!("AUTH={}", m.to_ascii_uppercase()),
                    Capability::Atom(a) => a.to_ascii_uppercase(),
                });
            }
        }
    }
    Ok(out)
}

/// Logs in with `credentials` using `mechanism`.
pub async fn authenticate(
    client: async_imap::Client<ImapStream>,
    credentials: &Credentials,
    mechanism: Mechanism,
) -> std::result::Result<ImapSession, async_imap::error::Error> {
    let Credentials::Password { username, password } = credentials;
    let result = match mechanism {
        Mechanism::Plain => {
            client.authenticate("PLAIN", PlainSasl { username, password: password.expose() }).await
        }
        Mechanism::Login => client.login(username, password.expose()).await,
    };
    result.map_err(|(e, _client)| e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mechanism_choice() {
        let caps = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let table: [(&[&str], Option<Mechanism>); 4] = [
            (&["IMAP4REV1", "AUTH=PLAIN", "AUTH=LOGIN"], Some(Mechanism::Plain)),
            (&["IMAP4REV1"], Some(Mechanism::Login)),
            (&["IMAP4REV1", "AUTH=PLAIN", "LOGINDISABLED"], Some(Mechanism::Plain)),
            (&["IMAP4REV1", "LOGINDISABLED"], None),
        ];
        for (list, expected) in table {
            assert_eq!(choose(&caps(list)).ok(), expected, "{list:?}");
        }
    }

    #[test]
    fn plain_response_layout() {
        let mut sasl = PlainSasl { username: "jörg", password: "pässwörd" };
        assert_eq!(sasl.process(b""), "\0jörg\0pässwörd".as_bytes());
    }
}
