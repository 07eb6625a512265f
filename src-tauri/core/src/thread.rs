//! Conversation threading: which messages, from one folder or several, form one conversation.
//!
//! This is Jamie Zawinski's algorithm (<https://www.jwz.org/doc/threading.html>), as pure logic:
//!
//! 1. Every Message-ID seen (as a message, in `References:` or in `In-Reply-To:`) gets one
//!    container. Messages are visited oldest first; each one's `References:` (with `In-Reply-To:`
//!    appended when References does not already name it) link consecutive ids parent to child
//!    where the child has no parent yet, and the last one becomes the message's own parent. A
//!    link that would make a container its own ancestor is never made. Two messages with the
//!    same Message-ID (a copy in Sent and in INBOX) share one container, so they stay together.
//! 2. Every container without a parent roots a tree; a tree's messages are one conversation.
//!    Containers only referenced, never seen, are dropped with their children promoted: the
//!    tree's root message is the earliest one with no seen message above it, and a tree whose
//!    root was never seen counts as a reply.
//! 3. Subject fallback: trees with the same [`base_subject`] (case and spacing aside) merge when
//!    at least one of them is a reply and they are within [`SUBJECT_WINDOW`] of each other. Two
//!    non-replies never merge (two different "Invoice" mails), nor do empty subjects.
//!
//! Message-IDs come in as [`id_hash`]es: 64-bit hashes of the id without angle brackets,
//! surrounding spaces and ASCII case, computed once when a message is read, so threading
//! compares numbers, never strings. Subjects are grouped by a hash of their key the same way.
//! The result does not depend on the order of the input. Everything is hash lookups and sorts:
//! O(n log n) for n messages, plus parent-chain walks that only happen when a message already
//! has replies.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, DefaultHasher, Hasher};
use std::num::NonZeroU64;

/// How far apart (seconds) trees may be and still merge by subject alone: 60 days.
pub const SUBJECT_WINDOW: i64 = 60 * 86_400;

/// A Message-ID as threading compares it: the [`id_hash`] of its normalized form.
pub type IdHash = NonZeroU64;

/// Identifies a message across folders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageKey {
    /// The folder holding the message (the caller's folder id).
    pub folder: u64,
    /// UID in that folder.
    pub uid: u32,
}

/// A message as threading sees it (where it lives, its ids, its subject and date).
#[derive(Debug, Clone, Copy)]
pub struct ThreadInput<'a> {
    /// Where the message lives.
    pub key: MessageKey,
    /// `Message-ID:`, as [`id_hash`] gives it.
    pub message_id: Option<IdHash>,
    /// `In-Reply-To:` (first id), as [`id_hash`] gives it.
    pub in_reply_to: Option<IdHash>,
    /// `References:` ids, oldest first, as [`id_hash`] gives them (empty ids left out).
    pub references: &'a [IdHash],
    /// Decoded subject.
    pub subject: &'a str,
    /// The `Date:` header, Unix seconds.
    pub date: i64,
}

/// One conversation: its messages oldest first (by date, then key), its latest date, and the
/// subject of its root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    /// Its messages, oldest first (by date, then key).
    pub messages: Vec<MessageKey>,
    /// The date of its newest message, Unix seconds.
    pub latest: i64,
    /// The subject of its root message, as written (prefixes included).
    pub subject: String,
}

/// Groups messages into conversations, newest conversation first (by `latest`, then by the key
/// of the first message). Every input message is in exactly one conversation.
pub fn conversations(messages: &[ThreadInput<'_>]) -> Vec<Conversation> {
    let mut order: Vec<usize> = (0..messages.len()).collect();
    order.sort_unstable_by_key(|&i| (messages[i].date, messages[i].key, i));

    // Step 1: the id table and the links between containers.
    let mut table = Table::with_capacity(messages.len());
    let mut node_of = vec![0usize; messages.len()];
    let mut chain = Vec::new();
    for &i in &order {
        let msg = &messages[i];
        let own = match msg.message_id {
            Some(id) => table.node(id),
            None => table.fresh(),
        };
        table.nodes[own].has_message = true;
        node_of[i] = own;

        chain.clear();
        for &id in msg.references {
            let node = table.node(id);
            if node != own && chain.last() != Some(&node) {
                chain.push(node);
            }
        }
        if let Some(id) = msg.in_reply_to {
            let node = table.node(id);
            if node != own && !chain.contains(&node) {
                chain.push(node);
            }
        }
        for pair in chain.windows(2) {
            table.link(pair[0], pair[1], false);
        }
        if let Some(&parent) = chain.last() {
            table.link(parent, own, true);
        }
    }

    // Step 2: each container's root, and how many seen messages sit above it.
    let (root, depth) = table.roots();

    // The trees, in order of their earliest message. Each message's container is replaced by
    // its tree as it is placed.
    let mut tree_of_root = vec![usize::MAX; table.nodes.len()];
    let mut trees: Vec<Tree> = Vec::new();
    for &i in &order {
        let node = node_of[i];
        let r = root[node];
        let t = if tree_of_root[r] == usize::MAX {
            tree_of_root[r] = trees.len();
            trees.push(Tree {
                first_msg: i,
                root_msg: i,
                root_depth: depth[node],
                unseen_root: !table.nodes[r].has_message,
                latest: messages[i].date,
                size: 0,
            });
            trees.len() - 1
        } else {
            tree_of_root[r]
        };
        let tree = &mut trees[t];
        tree.size += 1;
        tree.latest = tree.latest.max(messages[i].date);
        // `order` is by date then key, so a strictly shallower message is the only better root.
        if depth[node] < tree.root_depth {
            tree.root_msg = i;
            tree.root_depth = depth[node];
        }
        node_of[i] = t;
    }
    let tree_of = node_of;
    // Megabytes at 100,000 messages: freed before the conversations are written out.
    drop((table, root, depth, tree_of_root));

    // Step 3: subject fallback, sweeping trees by their earliest message.
    let mut clusters: Vec<Cluster> = Vec::new();
    let mut cluster_of = Vec::with_capacity(trees.len());
    let mut last_by_subject: HashMap<u64, usize, Prehashed> = HashMap::default();
    let mut key_text = String::new();
    for (t, tree) in trees.iter().enumerate() {
        let first_date = messages[tree.first_msg].date;
        let (base, reply_prefix) = strip(messages[tree.root_msg].subject);
        let reply = reply_prefix || tree.unseen_root;
        let key = subject_hash(base, &mut key_text);
        if let Some(key) = key
            && let Some(&c) = last_by_subject.get(&key)
        {
            let cluster = &mut clusters[c];
            if first_date - cluster.latest <= SUBJECT_WINDOW && (reply || !cluster.has_original) {
                cluster.size += tree.size;
                cluster.latest = cluster.latest.max(tree.latest);
                if !reply {
                    cluster.has_original = true;
                    cluster.anchor = t;
                }
                cluster_of.push(c);
                continue;
            }
        }
        if let Some(key) = key {
            last_by_subject.insert(key, clusters.len());
        }
        cluster_of.push(clusters.len());
        clusters.push(Cluster { anchor: t, has_original: !reply, latest: tree.latest, size: tree.size });
    }

    let mut out: Vec<Conversation> = clusters
        .iter()
        .map(|cluster| Conversation {
            messages: Vec::with_capacity(cluster.size),
            latest: cluster.latest,
            subject: messages[trees[cluster.anchor].root_msg].subject.to_string(),
        })
        .collect();
    // `order` is by date then key: each conversation's messages come out oldest first.
    for &i in &order {
        out[cluster_of[tree_of[i]]].messages.push(messages[i].key);
    }
    out.sort_by(|a, b| b.latest.cmp(&a.latest).then_with(|| a.messages.first().cmp(&b.messages.first())));
    out
}

/// The hash threading compares a Message-ID by: that of the id without angle brackets and
/// surrounding spaces, ASCII lowercased; `None` if nothing is left.
///
/// The hash is SipHash-1-3 with fixed keys (the standard library's), 64 bits: the same id
/// always gives the same hash, and two different ids share one with a chance of about n²/2⁶⁵
/// among n ids, 1 in 400 million for the 300,000 ids of a 100,000-message mailbox. Such a
/// collision would put two unrelated messages in one conversation, nothing worse.
pub fn id_hash(raw: &str) -> Option<IdHash> {
    let id = normalize(raw)?;
    let hash = if !id.bytes().any(|b| b.is_ascii_uppercase()) {
        hash64(id.as_bytes())
    } else if id.len() <= 256 {
        let mut lower = [0u8; 256];
        let lower = &mut lower[..id.len()];
        lower.copy_from_slice(id.as_bytes());
        lower.make_ascii_lowercase();
        hash64(lower)
    } else {
        hash64(id.to_ascii_lowercase().as_bytes())
    };
    // 0 has no `NonZeroU64`: it stands in for 1, one more value of the 2⁶⁴ to share.
    Some(NonZeroU64::new(hash).unwrap_or(NonZeroU64::MIN))
}

/// The subject without reply and forward prefixes, list tags and surrounding whitespace, for
/// grouping by subject.
///
/// Stripped, repeatedly and in any order, ignoring ASCII case:
/// - reply prefixes `Re:`, `Aw:` (German), `Sv:` (Scandinavian), `Antw:` (Dutch), `Vs:`
///   (Finnish), `Odp:` (Polish), with a count as in `Re[2]:` or `Re(2):`;
/// - forward prefixes `Fwd:`, `Fw:`, `Wg:` (German), `Tr:` (French);
/// - a space before the colon (`RE :`, as French clients write it) and a full-width colon `：`;
/// - list tags such as `[tern-dev] `, unless nothing would follow them.
///
/// A prefix must be a whole word: `Report: x` and `Sverige: x` stay as they are.
pub fn base_subject(subject: &str) -> &str {
    strip(subject).0
}

/// Prefixes that mark a reply.
const REPLY: &[&str] = &["re", "aw", "sv", "antw", "vs", "odp"];
/// Prefixes that mark a forward.
const FORWARD: &[&str] = &["fwd", "fw", "wg", "tr"];

/// [`base_subject`], and whether a reply prefix was among what it stripped.
fn strip(subject: &str) -> (&str, bool) {
    let mut rest = subject.trim();
    let mut reply = false;
    loop {
        if let Some(tag) = rest.strip_prefix('[')
            && let Some(end) = tag.find(']')
        {
            let after = tag[end + 1..].trim_start();
            if !after.is_empty() {
                rest = after;
                continue;
            }
        }
        match prefix(rest) {
            Some((after, is_reply)) => {
                rest = after.trim_start();
                reply |= is_reply;
            }
            None => return (rest, reply),
        }
    }
}

/// One reply or forward prefix at the start of `s`: what follows it, and whether it is a reply.
fn prefix(s: &str) -> Option<(&str, bool)> {
    let word_len = s.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(s.len());
    let word = &s[..word_len];
    let reply = REPLY.iter().any(|p| p.eq_ignore_ascii_case(word));
    if !reply && !FORWARD.iter().any(|p| p.eq_ignore_ascii_case(word)) {
        return None;
    }
    let mut rest = &s[word_len..];
    for (open, close) in [('[', ']'), ('(', ')')] {
        if let Some(inner) = rest.strip_prefix(open)
            && let Some(end) = inner.find(close)
            && end > 0
            && inner[..end].bytes().all(|b| b.is_ascii_digit())
        {
            rest = &inner[end + 1..];
            break;
        }
    }
    let rest = rest.trim_start();
    let rest = rest.strip_prefix(':').or_else(|| rest.strip_prefix('：'))?;
    Some((rest, reply))
}

/// The hash of a base subject's grouping key (lowercase, whitespace runs as one space), written
/// into `key`; `None` for an empty key, which never groups. Like [`id_hash`], two different
/// keys share a hash with a negligible chance.
fn subject_hash(base: &str, key: &mut String) -> Option<u64> {
    key.clear();
    for word in base.split_whitespace() {
        if !key.is_empty() {
            key.push(' ');
        }
        key.extend(word.chars().flat_map(char::to_lowercase));
    }
    (!key.is_empty()).then(|| hash64(key.as_bytes()))
}

/// A Message-ID without brackets or surrounding spaces; `None` if empty.
fn normalize(id: &str) -> Option<&str> {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>').trim();
    (!id.is_empty()).then_some(id)
}

/// The 64-bit hash of `bytes` (SipHash-1-3 with fixed keys). Hashes live in memory only: the
/// cache never stores one, so a change of the algorithm with a new compiler changes nothing.
fn hash64(bytes: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    hasher.write(bytes);
    hasher.finish()
}

/// A map hasher for keys that already are hashes: an [`IdHash`] or a subject hash is its own
/// hash, so the id table spends nothing hashing it again.
type Prehashed = BuildHasherDefault<Identity>;

/// Hashes a `u64` to itself.
#[derive(Debug, Default, Clone, Copy)]
struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only reached for keys other than `u64`, which these maps never have.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A JWZ container: a Message-ID's place in the tree, holding its messages if any were seen.
#[derive(Debug, Clone, Copy, Default)]
struct Node {
    parent: Option<usize>,
    children: u32,
    has_message: bool,
}

/// The id table and the containers.
#[derive(Debug)]
struct Table {
    ids: HashMap<IdHash, usize, Prehashed>,
    nodes: Vec<Node>,
}

impl Table {
    fn with_capacity(n: usize) -> Self {
        Self { ids: HashMap::with_capacity_and_hasher(n, Prehashed::default()), nodes: Vec::with_capacity(n) }
    }

    /// The container for `id`, created if new.
    fn node(&mut self, id: IdHash) -> usize {
        let next = self.nodes.len();
        let node = *self.ids.entry(id).or_insert(next);
        if node == next {
            self.nodes.push(Node::default());
        }
        node
    }

    /// A container with no id (a message without a Message-ID).
    fn fresh(&mut self) -> usize {
        self.nodes.push(Node::default());
        self.nodes.len() - 1
    }

    /// Makes `child` a child of `parent`, unless that makes a loop. An existing parent is only
    /// replaced when `replace` is set (the message's own References are the authority).
    fn link(&mut self, parent: usize, child: usize, replace: bool) {
        if parent == child {
            return;
        }
        let old = self.nodes[child].parent;
        if old == Some(parent) || (old.is_some() && !replace) || self.is_ancestor(child, parent) {
            return;
        }
        if let Some(old) = old {
            self.nodes[old].children -= 1;
        }
        self.nodes[child].parent = Some(parent);
        self.nodes[parent].children += 1;
    }

    /// Whether `node` is `of` or above it.
    fn is_ancestor(&self, node: usize, of: usize) -> bool {
        if self.nodes[node].children == 0 {
            return node == of;
        }
        let mut cur = Some(of);
        while let Some(c) = cur {
            if c == node {
                return true;
            }
            cur = self.nodes[c].parent;
        }
        false
    }

    /// Each container's root, and the number of containers with a message above it.
    fn roots(&self) -> (Vec<usize>, Vec<u32>) {
        let len = self.nodes.len();
        let mut root = vec![usize::MAX; len];
        let mut depth = vec![0u32; len];
        let mut path = Vec::new();
        for start in 0..len {
            let mut cur = start;
            while root[cur] == usize::MAX {
                match self.nodes[cur].parent {
                    Some(p) => {
                        path.push(cur);
                        cur = p;
                    }
                    None => root[cur] = cur,
                }
            }
            while let Some(node) = path.pop() {
                if let Some(p) = self.nodes[node].parent {
                    root[node] = root[p];
                    depth[node] = depth[p] + u32::from(self.nodes[p].has_message);
                }
            }
        }
        (root, depth)
    }
}

/// The messages under one root container.
#[derive(Debug)]
struct Tree {
    /// The earliest message (an input index).
    first_msg: usize,
    /// The root message: the earliest of the shallowest seen messages.
    root_msg: usize,
    root_depth: u32,
    /// The root container was referenced but never seen: the tree replies to something.
    unseen_root: bool,
    latest: i64,
    /// Its messages.
    size: usize,
}

/// Trees merged by subject: one conversation.
#[derive(Debug)]
struct Cluster {
    /// The tree whose root names the conversation: the non-reply if any, else the first.
    anchor: usize,
    /// A non-reply is in the cluster; another one starts a new cluster.
    has_original: bool,
    latest: i64,
    /// Its messages.
    size: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;
    const INBOX: u64 = 1;
    const SENT: u64 = 2;

    /// A test message: a small name, its folder, ids, subject and day.
    #[derive(Debug, Clone, Copy)]
    struct M {
        name: &'static str,
        folder: u64,
        id: Option<&'static str>,
        irt: Option<&'static str>,
        refs: &'static [&'static str],
        subject: &'static str,
        day: i64,
    }

    /// A message in INBOX.
    const fn m(
        name: &'static str,
        id: Option<&'static str>,
        refs: &'static [&'static str],
        subject: &'static str,
        day: i64,
    ) -> M {
        M { name, folder: INBOX, id, irt: None, refs, subject, day }
    }

    impl M {
        const fn irt(self, id: &'static str) -> M {
            M { irt: Some(id), ..self }
        }
        const fn sent(self) -> M {
            M { folder: SENT, ..self }
        }
    }

    /// One row of the threading table: its name, the messages, the expected conversations.
    type Case<'a> = (&'a str, &'a [M], &'a [&'a [&'a str]]);

    /// Threads `messages` (and the same reversed, which must not matter) and compares the
    /// conversations, newest first, each oldest first, with `expected`.
    fn check(name: &str, messages: &[M], expected: &[&[&str]]) {
        let refs: Vec<Vec<IdHash>> =
            messages.iter().map(|m| m.refs.iter().filter_map(|r| id_hash(r)).collect()).collect();
        let inputs: Vec<ThreadInput<'_>> = messages
            .iter()
            .zip(&refs)
            .enumerate()
            .map(|(i, (m, refs))| ThreadInput {
                key: MessageKey { folder: m.folder, uid: i as u32 + 1 },
                message_id: m.id.and_then(id_hash),
                in_reply_to: m.irt.and_then(id_hash),
                references: refs,
                subject: m.subject,
                date: m.day * DAY + i as i64,
            })
            .collect();
        let got = conversations(&inputs);
        let names: Vec<Vec<&str>> = got
            .iter()
            .map(|c| c.messages.iter().map(|k| messages[k.uid as usize - 1].name).collect())
            .collect();
        assert_eq!(names, expected, "{name}");
        let mut reversed = inputs.clone();
        reversed.reverse();
        assert_eq!(conversations(&reversed), got, "{name}: input order matters");
    }

    #[test]
    fn threading_table() {
        let cases: &[Case<'_>] = &[
            (
                "plain reply chain",
                &[
                    m("a", Some("a@x"), &[], "Plan", 0),
                    m("b", Some("b@x"), &["a@x"], "Re: Plan", 1),
                    m("c", Some("c@x"), &["a@x", "b@x"], "Re: Plan", 2),
                    m("other", Some("o@x"), &[], "Other", 3),
                ],
                &[&["other"], &["a", "b", "c"]],
            ),
            (
                "reply with only In-Reply-To",
                &[
                    m("a", Some("a@x"), &[], "Plan", 0),
                    m("b", Some("b@x"), &[], "Something else", 1).irt("a@x"),
                    m("c", Some("c@x"), &[], "Third", 2).irt("<b@x>"),
                ],
                &[&["a", "b", "c"]],
            ),
            (
                "In-Reply-To beyond a truncated References",
                &[
                    m("a", Some("a@x"), &[], "Plan", 0),
                    m("b", Some("b@x"), &["a@x"], "x", 1),
                    m("c", Some("c@x"), &["a@x"], "y", 2).irt("b@x"),
                ],
                &[&["a", "b", "c"]],
            ),
            (
                "references with a missing middle message",
                &[m("a", Some("a@x"), &[], "Plan", 0), m("c", Some("c@x"), &["a@x", "b@x"], "Re: Plan", 2)],
                &[&["a", "c"]],
            ),
            (
                "siblings under a root never seen",
                &[
                    m("d", Some("d@x"), &["gone@x"], "Re: Q", 1),
                    m("e", Some("e@x"), &["gone@x", "mid@x"], "Re: Q", 2),
                    m("f", Some("f@x"), &["gone2@x"], "Re: Unrelated", 3),
                ],
                &[&["f"], &["d", "e"]],
            ),
            (
                "looping References",
                &[
                    m("a", Some("a@x"), &["b@x"], "A", 0),
                    m("b", Some("b@x"), &["a@x"], "B", 1),
                    m("self", Some("s@x"), &["s@x"], "S", 2),
                    m("chain", Some("c@x"), &["a@x", "b@x", "a@x"], "C", 3),
                    m("p", Some("p@x"), &["q@x", "r@x", "q@x"], "P", 1),
                ],
                &[&["a", "b", "chain"], &["self"], &["p"]],
            ),
            (
                "ids differing only in case and brackets",
                &[m("a", Some("<Root@X>"), &[], "Plan", 0), m("b", Some("b@x"), &[" <root@x> "], "Other", 1)],
                &[&["a", "b"]],
            ),
            (
                "same message id in two folders",
                &[
                    m("inbox", Some("a@x"), &[], "Plan", 0),
                    m("copy", Some("a@x"), &[], "Plan", 0).sent(),
                    m("reply", Some("b@x"), &["a@x"], "Re: Plan", 1),
                ],
                &[&["inbox", "copy", "reply"]],
            ),
            (
                "the user's reply from Sent joins",
                &[
                    m("a", Some("a@x"), &[], "Plan", 0),
                    m("mine", Some("s@me"), &["a@x"], "Re: Plan", 1).irt("a@x").sent(),
                    m("c", Some("c@x"), &["a@x", "s@me"], "Re: Plan", 2),
                    m("other", Some("o@x"), &[], "Plan B", 3),
                ],
                &[&["other"], &["a", "mine", "c"]],
            ),
            (
                "subject fallback without ids",
                &[
                    m("plan", None, &[], "Plan", 0),
                    m("re", None, &[], "Re: Plan", 1),
                    m("aw", None, &[], "AW: [team] plan", 2),
                ],
                &[&["plan", "re", "aw"]],
            ),
            (
                "a reply that arrived before its original",
                &[m("re", None, &[], "Re: Plan", 0), m("plan", None, &[], "Plan", 1)],
                &[&["re", "plan"]],
            ),
            (
                "two replies merge",
                &[m("x", None, &[], "Re: Lunch", 0), m("y", None, &[], "RE:  lunch", 1)],
                &[&["x", "y"]],
            ),
            (
                "two Invoice mails stay apart; a reply joins the later one",
                &[
                    m("i1", Some("i1@x"), &[], "Invoice", 0),
                    m("i2", Some("i2@x"), &[], "Invoice", 1),
                    m("re", None, &[], "Re: Invoice", 2),
                ],
                &[&["i2", "re"], &["i1"]],
            ),
            (
                "Fwd is not a reply",
                &[m("plan", None, &[], "Plan", 0), m("fwd", None, &[], "Fwd: Plan", 1)],
                &[&["fwd"], &["plan"]],
            ),
            (
                "Re: Hello two years later stays apart",
                &[
                    m("hello", None, &[], "Hello", 0),
                    m("re1", None, &[], "Re: Hello", 1),
                    m("re2", None, &[], "Re: Hello", 50),
                    m("late", None, &[], "Re: Hello", 800),
                ],
                &[&["late"], &["hello", "re1", "re2"]],
            ),
            (
                "the window counts from the conversation's latest message",
                &[
                    m("a", Some("a@x"), &[], "Topic", 0),
                    m("b", Some("b@x"), &["a@x"], "Re: Topic", 100),
                    m("c", None, &[], "Re: Topic", 150),
                    m("d", None, &[], "Re: Topic", 250),
                ],
                &[&["d"], &["a", "b", "c"]],
            ),
            (
                "empty subjects",
                &[
                    m("e1", None, &[], "", 0),
                    m("e2", None, &[], "Re:", 1),
                    m("e3", None, &[], "  ", 2),
                    m("e4", None, &[], "Re: ", 3),
                ],
                &[&["e4"], &["e3"], &["e2"], &["e1"]],
            ),
            ("nothing", &[], &[]),
        ];
        for (name, messages, expected) in cases {
            check(name, messages, expected);
        }
    }

    #[test]
    fn conversation_fields() {
        fn input<'a>(
            uid: u32,
            id: &str,
            references: &'a [IdHash],
            subject: &'a str,
            date: i64,
        ) -> ThreadInput<'a> {
            ThreadInput {
                key: MessageKey { folder: INBOX, uid },
                message_id: id_hash(id),
                in_reply_to: None,
                references,
                subject,
                date,
            }
        }
        let refs = [vec![], id_hash("a@x").into_iter().collect::<Vec<_>>()];
        let got = conversations(&[
            input(2, "b@x", &refs[1], "Re: Plan", 50),
            input(1, "a@x", &refs[0], "Plan", 10),
        ]);
        assert_eq!(
            got,
            vec![Conversation {
                messages: vec![MessageKey { folder: INBOX, uid: 1 }, MessageKey { folder: INBOX, uid: 2 },],
                latest: 50,
                subject: "Plan".to_string(),
            }]
        );
    }

    #[test]
    fn id_hash_table() {
        let long = format!("<{}@Example.COM>", "Ab".repeat(200));
        // (one id, another, whether they are the same id)
        let cases: &[(&str, &str, bool)] = &[
            ("a@x", "a@x", true),
            ("a@x", "<a@x>", true),
            ("a@x", "  <a@x>\t", true),
            ("a@x", "< a@x >", true),
            ("a@x", "<<a@x>>", true),
            ("a@x", "A@X", true),
            ("a@x", "b@x", false),
            ("root@x", "<Root@X>", true),
            ("a@x", "a@y", false),
            ("a@x", "a@x.", false),
            ("a@x", "a @x", false),
            ("ä@x", "Ä@x", false),
            (&long, &long.to_ascii_lowercase(), true),
            (&long, &long[..long.len() - 2], false),
        ];
        for (a, b, same) in cases {
            let (ha, hb) = (id_hash(a), id_hash(b));
            assert!(ha.is_some() && hb.is_some(), "{a:?} {b:?}");
            assert_eq!(ha == hb, *same, "{a:?} {b:?}");
        }
        for empty in ["", "  ", "<>", "< >", "<<>>", " \t<  >\n"] {
            assert_eq!(id_hash(empty), None, "{empty:?}");
        }
        assert_eq!(id_hash("a@x"), id_hash("a@x"), "the same on every call");
        // The id table keys on the hash itself, not on a hash of it.
        let h = id_hash("a@x").unwrap();
        assert_eq!(std::hash::BuildHasher::hash_one(&Prehashed::default(), h), h.get());
    }

    #[test]
    fn base_subject_table() {
        let cases = [
            ("Hello", "Hello"),
            ("  Hello  ", "Hello"),
            ("Re: Hello", "Hello"),
            ("RE: Hello", "Hello"),
            ("re:Hello", "Hello"),
            ("Re: Re: Fwd: x", "x"),
            ("RE[3]: x", "x"),
            ("Re(2): x", "x"),
            ("Re[]: x", "Re[]: x"),
            ("[tern-dev] Re: x", "x"),
            ("Re: [tern-dev] Re: x", "x"),
            ("Aw: x", "x"),
            ("SV: x", "x"),
            ("Antw: x", "x"),
            ("FW: x", "x"),
            ("Fwd: x", "x"),
            ("WG: x", "x"),
            // French typography puts a space before the colon.
            ("  re :x", "x"),
            ("Re： x", "x"),
            ("Report: x", "Report: x"),
            ("Sverige: x", "Sverige: x"),
            ("Re x", "Re x"),
            ("[x]", "[x]"),
            ("[unclosed Re: x", "[unclosed Re: x"),
            ("Re:", ""),
            ("", ""),
            ("Re: Über", "Über"),
        ];
        for (input, expected) in cases {
            assert_eq!(base_subject(input), expected, "{input:?}");
        }
        assert!(strip("Fwd: Re: x").1);
        assert!(!strip("Fwd: x").1);
        assert!(strip("[list] AW: x").1);
    }

    #[test]
    #[ignore = "performance: run in release with --ignored --nocapture"]
    fn hundred_thousand_messages() {
        const CONVERSATIONS: usize = 20_000;
        const PER: usize = 5;
        let mut ids = Vec::with_capacity(CONVERSATIONS * PER);
        let mut refs = Vec::with_capacity(CONVERSATIONS * PER);
        let mut subjects = Vec::with_capacity(CONVERSATIONS * PER);
        for c in 0..CONVERSATIONS {
            for j in 0..PER {
                ids.push(id_hash(&format!("<{c}.{j}@example.com>")));
                refs.push(
                    (0..j).filter_map(|k| id_hash(&format!("<{c}.{k}@example.com>"))).collect::<Vec<_>>(),
                );
                let re = if j == 0 { "" } else { "Re: " };
                subjects.push(format!("{re}Topic {c}"));
            }
        }
        let mut inputs: Vec<ThreadInput<'_>> = (0..CONVERSATIONS * PER)
            .map(|i| {
                let (c, j) = (i / PER, i % PER);
                ThreadInput {
                    key: MessageKey { folder: if j % 2 == 1 { SENT } else { INBOX }, uid: i as u32 },
                    message_id: ids[i],
                    // Every third conversation's replies only carry In-Reply-To.
                    in_reply_to: if j > 0 { ids[i - 1] } else { None },
                    references: if c % 3 == 0 { &[] } else { &refs[i] },
                    subject: &subjects[i],
                    date: (c as i64) * 3_600 + (j as i64) * 600,
                }
            })
            .collect();
        inputs.reverse();
        let start = std::time::Instant::now();
        let got = conversations(&inputs);
        let elapsed = start.elapsed();
        println!("{} messages -> {} conversations in {elapsed:?}", inputs.len(), got.len());
        assert_eq!(got.len(), CONVERSATIONS);
        assert!(got.iter().all(|c| c.messages.len() == PER));
        assert!(got.windows(2).all(|w| w[0].latest > w[1].latest));
    }
}
