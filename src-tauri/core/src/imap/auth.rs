//! The authentication step, after the connection is secured.
//!
//! [`Credentials`] is what the account holds; [`choose`] picks the mechanism from the server's
//! pre-login capabilities and the credentials: `LOGIN` for a user name and password of printable
//! ASCII (one round trip, and its answer carries the server's capabilities after login, which
//! spares asking for them), `AUTHENTICATE PLAIN` for any other (it carries any UTF-8 password
//! unchanged, in two round trips), else `LOGIN`. A server announcing `LOGINDISABLED` on a
//! connection Tern considers secure is refused rather than worked around. OAuth (XOAUTH2,
//! OAUTHBEARER) plugs in here as another [`Credentials`] variant with its own SASL mechanism.

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

/// Picks the mechanism from pre-login capabilities (upper-cased atoms) and the credentials.
pub fn choose(capabilities: &[String], credentials: &Credentials) -> Result<Mechanism> {
    let has = |c: &str| capabilities.iter().any(|cap| cap.eq_ignore_ascii_case(c));
    let Credentials::Password { username, password } = credentials;
    let printable = |s: &str| s.bytes().all(|b| (0x20..0x7f).contains(&b));
    if !has("LOGINDISABLED") && printable(username) && printable(password.expose()) {
        Ok(Mechanism::Login)
    } else if has("AUTH=PLAIN") {
        Ok(Mechanism::Plain)
    } else if has("LOGINDISABLED") {
        Err(Error::InsecureConnection(
            "the server does not accept a password on this connection (LOGINDISABLED); choose TLS or STARTTLS".into(),
        ))
    } else {
        Ok(Mechanism::Login)
    }
}

/// The name of a capability as Tern compares it: upper case, `AUTH=` mechanisms included.
pub fn capability_name(capability: &async_imap::types::Capability) -> String {
    match capability {
        async_imap::types::Capability::Imap4rev1 => "IMAP4REV1".to_string(),
        async_imap::types::Capability::Auth(m) => format!("AUTH={}", m.to_ascii_uppercase()),
        async_imap::types::Capability::Atom(a) => a.to_ascii_uppercase(),
    }
}

/// The names of capabilities as a response lists them ([`capability_name`]).
pub fn capability_names<'a>(capabilities: impl IntoIterator<Item = &'a Capability<'a>>) -> Vec<String> {
    capabilities.into_iter().map(|cap| capability_name(&cap.into())).collect()
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
            out.extend(capability_names(caps));
        }
    }
    Ok(out)
}

/// Logs in with `credentials` using `mechanism`. Returns the session and, when the server's
/// answer named them (as `LOGIN`'s usually does), its capabilities after login.
pub async fn authenticate(
    client: async_imap::Client<ImapStream>,
    credentials: &Credentials,
    mechanism: Mechanism,
) -> std::result::Result<(ImapSession, Option<Vec<String>>), async_imap::error::Error> {
    let Credentials::Password { username, password } = credentials;
    let result = match mechanism {
        Mechanism::Plain => client
            .authenticate("PLAIN", PlainSasl { username, password: password.expose() })
            .await
            .map(|session| (session, None)),
        Mechanism::Login => client
            .login_with_capabilities(username, password.expose())
            .await
            .map(|(session, caps)| (session, caps.map(|caps| caps.iter().map(capability_name).collect()))),
    };
    result.map_err(|(e, _client)| e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mechanism_choice() {
        let caps = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let ascii = Credentials::Password {
            username: "ann@example.org".into(),
            password: Password::new("a \"b\" c!"),
        };
        let utf8 = Credentials::Password {
            username: "ann@example.org".into(),
            password: Password::new("pässwörd"),
        };
        let table: [(&[&str], &Credentials, Option<Mechanism>); 8] = [
            // LOGIN (one round trip, capabilities in its answer) when the password is plain ASCII.
            (&["IMAP4REV1", "AUTH=PLAIN", "AUTH=LOGIN"], &ascii, Some(Mechanism::Login)),
            (&["IMAP4REV1"], &ascii, Some(Mechanism::Login)),
            (&["IMAP4REV1", "AUTH=PLAIN", "LOGINDISABLED"], &ascii, Some(Mechanism::Plain)),
            (&["IMAP4REV1", "LOGINDISABLED"], &ascii, None),
            // PLAIN carries any UTF-8 password unchanged.
            (&["IMAP4REV1", "AUTH=PLAIN", "AUTH=LOGIN"], &utf8, Some(Mechanism::Plain)),
            (&["IMAP4REV1"], &utf8, Some(Mechanism::Login)),
            (&["IMAP4REV1", "AUTH=PLAIN", "LOGINDISABLED"], &utf8, Some(Mechanism::Plain)),
            (&["IMAP4REV1", "LOGINDISABLED"], &utf8, None),
        ];
        for (list, credentials, expected) in table {
            assert_eq!(choose(&caps(list), credentials).ok(), expected, "{list:?} {credentials:?}");
        }
    }

    #[test]
    fn plain_response_layout() {
        let mut sasl = PlainSasl { username: "jörg", password: "pässwörd" };
        assert_eq!(sasl.process(b""), "\0jörg\0pässwörd".as_bytes());
    }
}
