//! NAMESPACE (RFC 2342): where the user's own folders live, and where other users' and shared
//! folders are.
//!
//! Servers such as Courier or older Cyrus put every personal folder under `INBOX.`; Tern strips
//! that prefix from the tree so Sent and Drafts sit next to the Inbox. Folders under another
//! namespace's prefix (`Other Users/`, `Shared/`) are marked as such and listed after the user's
//! own.

use serde::{Deserialize, Serialize};

use super::raw::{Token, tokens};
use crate::error::{Error, Result};

/// Which namespace a folder belongs to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NamespaceKind {
    /// The user's own folders.
    #[default]
    Personal,
    /// Other users' folders shared with this user.
    OtherUsers,
    /// Folders shared with everyone (public folders).
    Shared,
}

/// One namespace: a prefix and its hierarchy delimiter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Namespace {
    /// Prefix of every folder in it (`""`, `"INBOX."`, `"Shared/"`).
    pub prefix: String,
    /// Hierarchy delimiter, if any.
    pub delimiter: Option<String>,
}

/// The server's namespaces. The default (no NAMESPACE support) is one personal namespace with
/// an empty prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Namespaces {
    /// The user's own.
    pub personal: Vec<Namespace>,
    /// Other users'.
    pub other_users: Vec<Namespace>,
    /// Shared.
    pub shared: Vec<Namespace>,
}

impl Default for Namespaces {
    fn default() -> Self {
        Self {
            personal: vec![Namespace { prefix: String::new(), delimiter: None }],
            other_users: vec![],
            shared: vec![],
        }
    }
}

impl Namespaces {
    /// Parses the text after `* ` of a NAMESPACE response.
    pub fn parse(line: &[u8]) -> Result<Self> {
        let items = tokens(line)?;
        let malformed =
            || Error::Protocol(format!("malformed NAMESPACE response: {}", String::from_utf8_lossy(line)));
        let [keyword, personal, other_users, shared] = items.as_slice() else { return Err(malformed()) };
        if !keyword.text().is_some_and(|k| k.eq_ignore_ascii_case("NAMESPACE")) {
            return Err(malformed());
        }
        let group = |token: &Token| -> Result<Vec<Namespace>> {
            match token {
                t if t.is_nil() => Ok(Vec::new()),
                Token::List(entries) => entries
                    .iter()
                    .map(|entry| match entry {
                        Token::List(parts) => {
                            let prefix = match parts.first() {
                                Some(Token::Str(s)) => s.clone(),
                                _ => return Err(malformed()),
                            };
                            let delimiter = parts.get(1).ok_or_else(malformed)?.text().map(str::to_string);
                            Ok(Namespace { prefix, delimiter })
                        }
                        _ => Err(malformed()),
                    })
                    .collect(),
                _ => Err(malformed()),
            }
        };
        let mut namespaces =
            Self { personal: group(personal)?, other_users: group(other_users)?, shared: group(shared)? };
        if namespaces.personal.is_empty() {
            namespaces.personal = Self::default().personal;
        }
        Ok(namespaces)
    }

    /// Which namespace `path` belongs to. The longest matching prefix wins; folders outside
    /// every other namespace are personal.
    pub fn kind_of(&self, path: &str) -> NamespaceKind {
        let groups = [
            (NamespaceKind::Personal, &self.personal),
            (NamespaceKind::OtherUsers, &self.other_users),
            (NamespaceKind::Shared, &self.shared),
        ];
        groups
            .iter()
            .flat_map(|(kind, list)| list.iter().map(move |ns| (*kind, ns)))
            .filter(|(_, ns)| !ns.prefix.is_empty() && in_namespace(path, ns))
            .max_by_key(|(_, ns)| ns.prefix.len())
            .map_or(NamespaceKind::Personal, |(kind, _)| kind)
    }

    /// The non-empty prefix of the personal namespace `path` is in (`INBOX.` on Courier-style
    /// servers), which the folder tree leaves out.
    pub fn personal_prefix_of(&self, path: &str) -> Option<&str> {
        self.personal
            .iter()
            .filter(|ns| {
                !ns.prefix.is_empty() && matches_prefix(path, &ns.prefix) && path.len() > ns.prefix.len()
            })
            .map(|ns| ns.prefix.as_str())
            .max_by_key(|p| p.len())
    }
}

/// `INBOX.` matches `INBOX.Sent` (and `inbox.Sent`: INBOX is case-insensitive).
fn matches_prefix(path: &str, prefix: &str) -> bool {
    let (path, prefix) = (path.as_bytes(), prefix.as_bytes());
    if path.starts_with(prefix) {
        return true;
    }
    let inbox = |b: &[u8]| b.get(..5).is_some_and(|head| head.eq_ignore_ascii_case(b"INBOX"));
    inbox(prefix) && inbox(path) && path[5..].starts_with(&prefix[5..])
}

/// `path` is in `ns`, or is its root (`Shared` for the prefix `Shared/`).
fn in_namespace(path: &str, ns: &Namespace) -> bool {
    matches_prefix(path, &ns.prefix)
        || ns.delimiter.as_deref().is_some_and(|d| !d.is_empty() && ns.prefix.strip_suffix(d) == Some(path))
}

/// The namespaces named in the untagged responses to a NAMESPACE command (the default when
/// there is none).
pub fn namespaces_of(untagged: &[Vec<u8>]) -> Result<Namespaces> {
    match untagged.iter().find(|l| l.len() >= 9 && l[..9].eq_ignore_ascii_case(b"NAMESPACE")) {
        Some(line) => Namespaces::parse(line),
        None => Ok(Namespaces::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(prefix: &str, delimiter: &str) -> Namespace {
        Namespace { prefix: prefix.into(), delimiter: Some(delimiter.into()) }
    }

    #[test]
    fn parses_namespace_responses() {
        let table: Vec<(&[u8], Namespaces)> = vec![
            (
                br#"NAMESPACE (("" "/")) NIL NIL"#,
                Namespaces { personal: vec![ns("", "/")], other_users: vec![], shared: vec![] },
            ),
            (
                br##"NAMESPACE (("INBOX." ".")) (("#Users." ".")) (("#shared." ".")("Public/" "/"))"##,
                Namespaces {
                    personal: vec![ns("INBOX.", ".")],
                    other_users: vec![ns("#Users.", ".")],
                    shared: vec![ns("#shared.", "."), ns("Public/", "/")],
                },
            ),
            (
                // RFC 2342 extension data after the delimiter is ignored.
                br#"NAMESPACE (("" "/" "X-PARAM" ("FLAG1" "FLAG2"))) NIL (("Shared/" NIL))"#,
                Namespaces {
                    personal: vec![ns("", "/")],
                    other_users: vec![],
                    shared: vec![Namespace { prefix: "Shared/".into(), delimiter: None }],
                },
            ),
            (b"NAMESPACE NIL NIL NIL", Namespaces::default()),
        ];
        for (line, expected) in table {
            assert_eq!(Namespaces::parse(line).unwrap(), expected, "{}", String::from_utf8_lossy(line));
        }
        for bad in
            [&b"NAMESPACE"[..], b"LIST () NIL NIL", b"NAMESPACE ((x)) NIL NIL", b"NAMESPACE (\"\") NIL NIL"]
        {
            assert!(Namespaces::parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn classifies_paths() {
        let spaces = Namespaces {
            personal: vec![ns("INBOX.", ".")],
            other_users: vec![ns("Other Users/", "/")],
            shared: vec![ns("Shared/", "/"), ns("Shared/Deep/", "/")],
        };
        let table = [
            ("INBOX", NamespaceKind::Personal, None),
            ("INBOX.Sent", NamespaceKind::Personal, Some("INBOX.")),
            ("inbox.Sent", NamespaceKind::Personal, Some("INBOX.")),
            ("Other Users/bob/INBOX", NamespaceKind::OtherUsers, None),
            ("Shared/Announcements", NamespaceKind::Shared, None),
            ("Shared/Deep/x", NamespaceKind::Shared, None),
            ("Shared", NamespaceKind::Shared, None),
            ("Other Users", NamespaceKind::OtherUsers, None),
            ("Elsewhere", NamespaceKind::Personal, None),
        ];
        for (path, kind, prefix) in table {
            assert_eq!(spaces.kind_of(path), kind, "{path}");
            assert_eq!(spaces.personal_prefix_of(path), prefix, "{path}");
        }
    }
}
