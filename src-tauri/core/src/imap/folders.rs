//! The folder list: names, hierarchy and roles.
//!
//! Roles come from SPECIAL-USE attributes (RFC 6154) when the server sends them. Servers that do
//! not get a name-based guess ([`guess_role`]) over the names common providers use in several
//! languages, applied to top-level folders and folders directly under INBOX. Names on the wire
//! are modified UTF-7 (RFC 3501 5.1.3); [`Folder::path`] keeps the wire form for commands and
//! [`Folder::name`] is the decoded leaf the user sees.
//!
//! With LIST-EXTENDED and LIST-STATUS (RFC 5258, 5819) one `LIST ... RETURN (SUBSCRIBED
//! SPECIAL-USE STATUS (...))` brings names, roles, subscriptions and every folder's counts in a
//! single round trip; otherwise LIST and LSUB are sent and counts are asked per folder later.
//! [`Namespaces`] place each folder in the personal, other users' or shared namespace.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use async_imap::imap_proto::StatusAttribute;
use async_imap::types::NameAttribute;
use futures::TryStreamExt;
use serde::{Deserialize, Serialize};

use super::ImapSession;
use super::namespace::{NamespaceKind, Namespaces};
use crate::error::{Error, Result};

/// What a folder is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FolderRole {
    /// The inbox.
    Inbox,
    /// Unsent drafts.
    Drafts,
    /// Sent mail.
    Sent,
    /// Archived mail.
    Archive,
    /// Spam.
    Junk,
    /// Deleted mail.
    Trash,
    /// A virtual folder of all mail (Gmail's All Mail).
    All,
    /// A virtual folder of flagged mail.
    Flagged,
}

/// One mailbox on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Folder {
    /// The name on the wire (modified UTF-7, full path): what IMAP commands use.
    pub path: String,
    /// The decoded last component, shown to the user.
    pub name: String,
    /// Hierarchy delimiter, if the server has a hierarchy.
    pub delimiter: Option<String>,
    /// `path` of the parent folder, if any.
    pub parent: Option<String>,
    /// Depth in the tree (0 for top level).
    pub depth: u32,
    /// Special-use role, from the server or guessed from the name.
    pub role: Option<FolderRole>,
    /// False for `\Noselect` / `\NonExistent` containers.
    pub selectable: bool,
    /// Whether the user subscribed to it.
    pub subscribed: bool,
    /// The namespace it is in.
    #[serde(default)]
    pub namespace: NamespaceKind,
}

/// A folder's counts as STATUS (or LIST-STATUS) reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FolderStatus {
    /// MESSAGES.
    pub messages: u32,
    /// UNSEEN.
    pub unseen: u32,
    /// UIDNEXT.
    pub uidnext: u32,
    /// UIDVALIDITY.
    pub uidvalidity: u32,
    /// HIGHESTMODSEQ (0 without CONDSTORE).
    pub highestmodseq: u64,
}

impl FolderStatus {
    fn from_attributes(attributes: &[StatusAttribute]) -> Self {
        let mut status = Self::default();
        for a in attributes {
            match a {
                StatusAttribute::Messages(n) => status.messages = *n,
                StatusAttribute::Unseen(n) => status.unseen = *n,
                StatusAttribute::UidNext(n) => status.uidnext = *n,
                StatusAttribute::UidValidity(n) => status.uidvalidity = *n,
                StatusAttribute::HighestModSeq(n) => status.highestmodseq = *n,
                _ => {}
            }
        }
        status
    }
}

/// What the folder list may ask of the server.
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    /// The server's namespaces.
    pub namespaces: Namespaces,
    /// LIST-EXTENDED and LIST-STATUS are offered: one command for names, subscriptions and
    /// counts.
    pub list_status: bool,
    /// Also ask for HIGHESTMODSEQ (CONDSTORE is in use).
    pub modseq: bool,
}

/// The folder list, and the counts of every selectable folder when LIST-STATUS brought them.
#[derive(Debug, Clone, Default)]
pub struct FolderList {
    /// Folders in display order.
    pub folders: Vec<Folder>,
    /// STATUS per folder path (empty without LIST-STATUS).
    pub statuses: HashMap<String, FolderStatus>,
}

/// Lists every folder of the session, in display order (the user's own folders first, roles
/// first, then by name; children right after their parent). `limit` bounds the wait for the
/// LIST-STATUS answer.
pub async fn list_folders(
    session: &mut ImapSession,
    options: &ListOptions,
    limit: Duration,
) -> Result<FolderList> {
    if options.list_status {
        return list_with_status(session, options, limit).await;
    }
    let names: Vec<_> = session
        .list(Some(""), Some("*"))
        .await
        .map_err(list_error)?
        .try_collect()
        .await
        .map_err(list_error)?;
    let subscribed: HashSet<String> = session
        .lsub(Some(""), Some("*"))
        .await
        .map_err(list_error)?
        .try_collect::<Vec<_>>()
        .await
        .map_err(list_error)?
        .iter()
        .map(|n| n.name().to_string())
        .collect();

    let raw = names
        .iter()
        .map(|n| RawFolder {
            path: n.name().to_string(),
            delimiter: n.delimiter().map(str::to_string),
            attributes: n.attributes().iter().map(attribute).collect(),
            subscribed: subscribed.contains(n.name()),
        })
        .collect();
    Ok(FolderList { folders: build_tree(raw, &options.namespaces), statuses: HashMap::new() })
}

/// The STATUS items a LIST-STATUS asks for.
fn status_items(options: &ListOptions) -> &'static str {
    if options.modseq {
        "MESSAGES UNSEEN UIDNEXT UIDVALIDITY HIGHESTMODSEQ"
    } else {
        "MESSAGES UNSEEN UIDNEXT UIDVALIDITY"
    }
}

/// The one LIST that lists every folder with its counts (LIST-STATUS, RFC 5819), as
/// [`list_folders`] sends it when `options.list_status`: for a caller that sends it together
/// with other commands and reads the answer with [`folder_list_of`].
pub fn list_status_command(options: &ListOptions) -> String {
    format!("LIST \"\" \"*\" RETURN (SUBSCRIBED SPECIAL-USE STATUS ({}))", status_items(options))
}

/// The folder list in the untagged answer to [`list_status_command`] (each line after its
/// `* `, as [`super::raw::exchange_all`] returns them).
pub fn folder_list_of(untagged: &[Vec<u8>], options: &ListOptions) -> FolderList {
    use async_imap::imap_proto::{MailboxDatum, Response};
    let mut raw = Vec::new();
    let mut statuses = HashMap::new();
    for line in untagged {
        super::raw::with_untagged(line, |response| match response {
            Response::MailboxData(MailboxDatum::List(list)) => {
                raw.push(raw_folder(&list.name, list.delimiter.as_deref(), &list.name_attributes));
            }
            Response::MailboxData(MailboxDatum::Status { mailbox, status }) => {
                statuses.insert(mailbox.to_string(), FolderStatus::from_attributes(&status));
            }
            _ => {}
        });
    }
    FolderList { folders: build_tree(raw, &options.namespaces), statuses }
}

/// A LIST line's folder as the tree is built from.
fn raw_folder(name: &str, delimiter: Option<&str>, attributes: &[NameAttribute<'_>]) -> RawFolder {
    RawFolder {
        path: name.to_string(),
        delimiter: delimiter.map(str::to_string),
        attributes: attributes.iter().map(attribute).collect(),
        subscribed: attributes
            .iter()
            .any(|a| matches!(a, NameAttribute::Extension(e) if e.eq_ignore_ascii_case("\\Subscribed"))),
    }
}

/// One `LIST "" "*" RETURN (SUBSCRIBED SPECIAL-USE STATUS (...))` ([`list_status_command`]),
/// its answer read by [`folder_list_of`] (every STATUS line kept, however many folders: none
/// goes through async-imap's queue of unsolicited responses, which holds 100).
async fn list_with_status(
    session: &mut ImapSession,
    options: &ListOptions,
    limit: Duration,
) -> Result<FolderList> {
    let command = list_status_command(options);
    let answer = super::raw::exchange_all(session, &[command.as_str()], limit)
        .await?
        .pop()
        .ok_or_else(|| Error::Protocol("no answer to LIST".into()))?;
    if let Some(refused) = answer.refused {
        return Err(Error::Protocol(format!("listing folders failed: {refused}")));
    }
    Ok(folder_list_of(&answer.untagged, options))
}

fn list_error(e: async_imap::error::Error) -> Error {
    Error::Protocol(format!("listing folders failed: {e}"))
}

/// A folder's attributes reduced to what Tern uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attr {
    /// Cannot be selected.
    NoSelect,
    /// A special-use role.
    Role(FolderRole),
    /// Anything else.
    Other,
}

fn attribute(a: &NameAttribute<'_>) -> Attr {
    match a {
        NameAttribute::NoSelect => Attr::NoSelect,
        NameAttribute::All => Attr::Role(FolderRole::All),
        NameAttribute::Archive => Attr::Role(FolderRole::Archive),
        NameAttribute::Drafts => Attr::Role(FolderRole::Drafts),
        NameAttribute::Flagged => Attr::Role(FolderRole::Flagged),
        NameAttribute::Junk => Attr::Role(FolderRole::Junk),
        NameAttribute::Sent => Attr::Role(FolderRole::Sent),
        NameAttribute::Trash => Attr::Role(FolderRole::Trash),
        NameAttribute::Extension(ext) if ext.eq_ignore_ascii_case("\\NonExistent") => Attr::NoSelect,
        _ => Attr::Other,
    }
}

/// A LIST response line, before decoding and ordering.
#[derive(Debug, Clone)]
pub struct RawFolder {
    /// Wire name.
    pub path: String,
    /// Delimiter.
    pub delimiter: Option<String>,
    /// Attributes.
    pub attributes: Vec<Attr>,
    /// Subscribed.
    pub subscribed: bool,
}

/// Decodes a modified UTF-7 name; names that are not valid modified UTF-7 are shown as sent.
pub fn decode_name(wire: &str) -> String {
    if wire.contains('&') { utf7_imap::decode_utf7_imap(wire.to_string()) } else { wire.to_string() }
}

/// Guesses a role from a decoded folder name, for servers without SPECIAL-USE.
pub fn guess_role(name: &str) -> Option<FolderRole> {
    const NAMES: &[(FolderRole, &[&str])] = &[
        (
            FolderRole::Sent,
            &[
                "sent",
                "sent items",
                "sent messages",
                "sent mail",
                "gesendet",
                "gesendete objekte",
                "gesendete elemente",
                "envoyés",
                "éléments envoyés",
                "messages envoyés",
                "enviados",
                "elementos enviados",
                "inviati",
                "posta inviata",
                "verzonden",
                "verzonden items",
                "skickat",
                "wysłane",
                "отправленные",
                "送信済み",
            ],
        ),
        (
            FolderRole::Drafts,
            &[
                "drafts",
                "draft",
                "entwürfe",
                "brouillons",
                "borradores",
                "bozze",
                "concepten",
                "utkast",
                "kopie robocze",
                "черновики",
                "下書き",
            ],
        ),
        (
            FolderRole::Trash,
            &[
                "trash",
                "bin",
                "deleted",
                "deleted items",
                "deleted messages",
                "papierkorb",
                "gelöschte elemente",
                "corbeille",
                "éléments supprimés",
                "papelera",
                "elementos eliminados",
                "cestino",
                "posta eliminata",
                "prullenbak",
                "verwijderde items",
                "papperskorgen",
                "kosz",
                "корзина",
                "ゴミ箱",
            ],
        ),
        (
            FolderRole::Junk,
            &[
                "junk",
                "spam",
                "junk e-mail",
                "junk email",
                "junk mail",
                "bulk mail",
                "courrier indésirable",
                "pourriel",
                "correo no deseado",
                "posta indesiderata",
                "ongewenste e-mail",
                "skräppost",
                "спам",
                "迷惑メール",
            ],
        ),
        (
            FolderRole::Archive,
            &[
                "archive",
                "archives",
                "archiv",
                "archivio",
                "archivo",
                "archief",
                "arkiv",
                "archiwum",
                "архив",
            ],
        ),
    ];
    let lower = name.trim().to_lowercase();
    NAMES.iter().find(|(_, names)| names.contains(&lower.as_str())).map(|(role, _)| *role)
}

/// Decodes names, assigns roles and parents, and orders folders for display.
pub fn build_tree(raw: Vec<RawFolder>, namespaces: &Namespaces) -> Vec<Folder> {
    let paths: HashSet<&str> = raw.iter().map(|r| r.path.as_str()).collect();
    let mut server_roles: HashSet<FolderRole> = HashSet::new();
    for r in &raw {
        for a in &r.attributes {
            if let Attr::Role(role) = a {
                server_roles.insert(*role);
            }
        }
    }

    let mut folders: Vec<Folder> = raw
        .iter()
        .map(|r| {
            let is_inbox = r.path.eq_ignore_ascii_case("INBOX");
            let namespace = namespaces.kind_of(&r.path);
            // A personal prefix (`INBOX.` on Courier-style servers) is not a level of the tree.
            let prefix = namespaces.personal_prefix_of(&r.path);
            let (parent, leaf) = match r.delimiter.as_deref().filter(|d| !d.is_empty()) {
                Some(delim) => match r.path.rsplit_once(delim) {
                    Some((parent, leaf)) if prefix.is_some_and(|p| p.len() == parent.len() + delim.len()) => {
                        (None, leaf)
                    }
                    Some((parent, leaf)) if paths.contains(parent) => (Some(parent.to_string()), leaf),
                    Some((_, leaf)) => (None, leaf),
                    None => (None, r.path.as_str()),
                },
                None => (None, r.path.as_str()),
            };
            let name = if is_inbox { "Inbox".to_string() } else { decode_name(leaf) };
            let server_role = r.attributes.iter().find_map(|a| match a {
                Attr::Role(role) => Some(*role),
                _ => None,
            });
            let near_top = namespace == NamespaceKind::Personal
                && parent.as_deref().is_none_or(|p| p.eq_ignore_ascii_case("INBOX"));
            let role = if is_inbox {
                Some(FolderRole::Inbox)
            } else {
                server_role
                    .or_else(|| guess_role(&name).filter(|role| near_top && !server_roles.contains(role)))
            };
            Folder {
                path: r.path.clone(),
                name,
                delimiter: r.delimiter.clone(),
                parent,
                depth: 0,
                role,
                selectable: !r.attributes.contains(&Attr::NoSelect),
                subscribed: r.subscribed || is_inbox,
                namespace,
            }
        })
        .collect();

    // A guessed role is only kept for the first folder (by name) that claims it.
    let mut claimed = server_roles;
    folders.sort_by(|a, b| a.path.cmp(&b.path));
    for f in folders.iter_mut() {
        if let Some(role) = f.role {
            let from_server =
                raw.iter().any(|r| r.path == f.path && r.attributes.contains(&Attr::Role(role)));
            if !from_server && role != FolderRole::Inbox && !claimed.insert(role) {
                f.role = None;
            }
        }
    }

    // Order: children after their parent; siblings by namespace, role, then name.
    let mut children: BTreeMap<Option<String>, Vec<Folder>> = BTreeMap::new();
    for f in folders.drain(..) {
        children.entry(f.parent.clone()).or_default().push(f);
    }
    for siblings in children.values_mut() {
        siblings.sort_by(|a, b| {
            let rank = |f: &Folder| f.role.map(|r| r as u8).unwrap_or(u8::MAX);
            (a.namespace, rank(a))
                .cmp(&(b.namespace, rank(b)))
                .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
        });
    }
    let mut out = Vec::new();
    flatten(&mut children, None, 0, &mut out);
    out
}

fn flatten(
    children: &mut BTreeMap<Option<String>, Vec<Folder>>,
    parent: Option<String>,
    depth: u32,
    out: &mut Vec<Folder>,
) {
    let Some(list) = children.remove(&parent) else { return };
    for mut f in list {
        f.depth = depth;
        let path = f.path.clone();
        out.push(f);
        flatten(children, Some(path), depth + 1, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(path: &str, attrs: &[Attr]) -> RawFolder {
        RawFolder {
            path: path.into(),
            delimiter: Some("/".into()),
            attributes: attrs.to_vec(),
            subscribed: true,
        }
    }

    #[test]
    fn role_guesses() {
        let table = [
            ("Sent", Some(FolderRole::Sent)),
            ("Sent Items", Some(FolderRole::Sent)),
            ("Gesendete Objekte", Some(FolderRole::Sent)),
            ("Éléments envoyés", Some(FolderRole::Sent)),
            ("Entwürfe", Some(FolderRole::Drafts)),
            ("Papierkorb", Some(FolderRole::Trash)),
            ("Deleted Items", Some(FolderRole::Trash)),
            ("Spam", Some(FolderRole::Junk)),
            ("Junk E-mail", Some(FolderRole::Junk)),
            ("Archiv", Some(FolderRole::Archive)),
            ("Корзина", Some(FolderRole::Trash)),
            ("Receipts", None),
            ("Sent stuff", None),
        ];
        for (name, expected) in table {
            assert_eq!(guess_role(name), expected, "{name}");
        }
    }

    #[test]
    fn modified_utf7_names() {
        let table = [
            ("INBOX", "INBOX"),
            ("Entw&APw-rfe", "Entwürfe"),
            ("&BCcENQRABD0EPgQyBDgEOgQ4-", "Черновики"),
            ("A&-B", "A&B"),
        ];
        for (wire, expected) in table {
            assert_eq!(decode_name(wire), expected, "{wire}");
        }
    }

    fn summary(folders: &[Folder]) -> Vec<(String, u32, Option<FolderRole>)> {
        folders.iter().map(|f| (f.name.clone(), f.depth, f.role)).collect()
    }

    #[test]
    fn a_list_status_answer_gives_the_tree_and_every_count() {
        let lines = [
            "LIST (\\HasNoChildren \\Subscribed) \"/\" INBOX",
            "STATUS INBOX (MESSAGES 12 UNSEEN 3 UIDNEXT 40 UIDVALIDITY 7 HIGHESTMODSEQ 99)",
            "LIST (\\HasChildren \\Sent) \"/\" \"Sent Messages\"",
            "STATUS \"Sent Messages\" (MESSAGES 2 UNSEEN 0 UIDNEXT 3 UIDVALIDITY 8 HIGHESTMODSEQ 4)",
            "LIST (\\Noselect \\HasChildren) \"/\" Lists",
            "LIST (\\HasNoChildren \\Subscribed) \"/\" {17}\r\nLists/&AMk-t&AOk-",
            "STATUS {17}\r\nLists/&AMk-t&AOk- (MESSAGES 1 UNSEEN 1 UIDNEXT 2 UIDVALIDITY 9 HIGHESTMODSEQ 2)",
            // Anything else in the answer is not a folder.
            "OK [ALERT] hello",
        ];
        let untagged: Vec<Vec<u8>> = lines.iter().map(|l| l.as_bytes().to_vec()).collect();
        let list = folder_list_of(&untagged, &ListOptions::default());
        let rows: Vec<(String, String, u32, Option<FolderRole>, bool, bool)> = list
            .folders
            .iter()
            .map(|f| (f.path.clone(), f.name.clone(), f.depth, f.role, f.selectable, f.subscribed))
            .collect();
        assert_eq!(
            rows,
            vec![
                ("INBOX".into(), "Inbox".into(), 0, Some(FolderRole::Inbox), true, true),
                ("Sent Messages".into(), "Sent Messages".into(), 0, Some(FolderRole::Sent), true, false),
                ("Lists".into(), "Lists".into(), 0, None, false, false),
                ("Lists/&AMk-t&AOk-".into(), "Été".into(), 1, None, true, true),
            ]
        );
        let counts =
            |path: &str| list.statuses.get(path).map(|s| (s.messages, s.unseen, s.uidnext, s.highestmodseq));
        assert_eq!(counts("INBOX"), Some((12, 3, 40, 99)));
        assert_eq!(counts("Sent Messages"), Some((2, 0, 3, 4)));
        assert_eq!(counts("Lists/&AMk-t&AOk-"), Some((1, 1, 2, 2)));
        assert_eq!(list.statuses.len(), 3);
        assert!(
            list_status_command(&ListOptions::default()).starts_with("LIST \"\" \"*\" RETURN (SUBSCRIBED")
        );
    }

    #[test]
    fn tree_with_special_use() {
        let folders = build_tree(
            vec![
                raw("Work", &[]),
                raw("Trash", &[Attr::Role(FolderRole::Trash)]),
                raw("Work/Projects", &[]),
                raw("INBOX", &[]),
                raw("Sent Messages", &[Attr::Role(FolderRole::Sent)]),
                raw("Sent", &[]),
                raw("Drafts", &[Attr::Role(FolderRole::Drafts)]),
                raw("Lists", &[Attr::NoSelect]),
            ],
            &Namespaces::default(),
        );
        let expected = vec![
            ("Inbox".to_string(), 0, Some(FolderRole::Inbox)),
            ("Drafts".to_string(), 0, Some(FolderRole::Drafts)),
            ("Sent Messages".to_string(), 0, Some(FolderRole::Sent)),
            ("Trash".to_string(), 0, Some(FolderRole::Trash)),
            ("Lists".to_string(), 0, None),
            // The server named its Sent folder: a folder merely called "Sent" gets no role.
            ("Sent".to_string(), 0, None),
            ("Work".to_string(), 0, None),
            ("Projects".to_string(), 1, None),
        ];
        assert_eq!(summary(&folders), expected);
        assert!(!folders.iter().find(|f| f.name == "Lists").unwrap().selectable);
        assert_eq!(folders.last().unwrap().parent.as_deref(), Some("Work"));
    }

    #[test]
    fn tree_without_special_use_guesses_near_top_only() {
        let folders = build_tree(
            vec![
                raw("INBOX", &[]),
                raw("INBOX/Gesendet", &[]),
                raw("Projects", &[]),
                raw("Projects/Trash", &[]),
                raw("Papierkorb", &[]),
                raw("Spam", &[]),
                raw("Junk", &[]),
            ],
            &Namespaces::default(),
        );
        let expected = vec![
            ("Inbox".to_string(), 0, Some(FolderRole::Inbox)),
            ("Gesendet".to_string(), 1, Some(FolderRole::Sent)),
            ("Junk".to_string(), 0, Some(FolderRole::Junk)),
            ("Papierkorb".to_string(), 0, Some(FolderRole::Trash)),
            ("Projects".to_string(), 0, None),
            ("Trash".to_string(), 1, None),
            ("Spam".to_string(), 0, None),
        ];
        assert_eq!(summary(&folders), expected);
    }

    #[test]
    fn tree_with_namespaces() {
        use super::super::namespace::Namespace;
        let spaces = Namespaces {
            personal: vec![Namespace { prefix: "INBOX.".into(), delimiter: Some(".".into()) }],
            other_users: vec![Namespace { prefix: "user.".into(), delimiter: Some(".".into()) }],
            shared: vec![Namespace { prefix: "Shared.".into(), delimiter: Some(".".into()) }],
        };
        let dotted =
            |path: &str, attrs: &[Attr]| RawFolder { delimiter: Some(".".into()), ..raw(path, attrs) };
        let folders = build_tree(
            vec![
                dotted("Shared", &[Attr::NoSelect]),
                dotted("Shared.Trash", &[]),
                dotted("INBOX", &[]),
                dotted("INBOX.Trash", &[]),
                dotted("INBOX.Projects", &[]),
                dotted("INBOX.Projects.Sent", &[]),
                dotted("user", &[Attr::NoSelect]),
                dotted("user.bob", &[]),
                dotted("INBOX.Gesendet", &[]),
            ],
            &spaces,
        );
        let summary: Vec<_> = folders
            .iter()
            .map(|f| (f.path.as_str(), f.depth, f.role, f.namespace, f.parent.as_deref()))
            .collect();
        use NamespaceKind::*;
        let expected = vec![
            ("INBOX", 0, Some(FolderRole::Inbox), Personal, None),
            // The `INBOX.` prefix is not a level: Sent and Trash sit next to the Inbox.
            ("INBOX.Gesendet", 0, Some(FolderRole::Sent), Personal, None),
            ("INBOX.Trash", 0, Some(FolderRole::Trash), Personal, None),
            ("INBOX.Projects", 0, None, Personal, None),
            ("INBOX.Projects.Sent", 1, None, Personal, Some("INBOX.Projects")),
            // Other users' and shared folders come after the user's own, and get no guessed role.
            ("user", 0, None, OtherUsers, None),
            ("user.bob", 1, None, OtherUsers, Some("user")),
            ("Shared", 0, None, Shared, None),
            ("Shared.Trash", 1, None, Shared, Some("Shared")),
        ];
        assert_eq!(summary, expected);
    }
}
