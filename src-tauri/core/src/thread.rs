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
//! Message-IDs compare without angle brackets, surrounding spaces and ASCII case, as
//! [`crate::imap::envelope::thread_id`] does. The result does not depend on the order of the
//! input. Everything is hash lookups and sorts: O(n log n) for n messages, plus parent-chain
//! walks that only happen when a message already has replies.

use std::borrow::Cow;
use std::collections::HashMap;

/// How far apart (seconds) trees may be and still merge by subject alone: 60 days.
pub const SUBJECT_WINDOW: i64 = 60 * 86_400;

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
    /// `Message-ID:`, with or without angle brackets.
    pub message_id: Option<&'a str>,
    /// `In-Reply-To:` (first id).
    pub in_reply_to: Option<&'a str>,
    /// `References:` ids, oldest first.
    pub references: &'a [String],
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
        let own = match msg.message_id.and_then(normalize) {
            Some(id) => table.node(id),
            None => table.fresh(),
        };
        table.nodes[own].has_message = true;
        node_of[i] = own;

        chain.clear();
        for id in msg.references.iter().filter_map(|r| normalize(r)) {
            let node = table.node(id);
            if node != own && chain.last() != Some(&node) {
                chain.push(node);
            }
        }
        if let Some(id) = msg.in_reply_to.and_then(normalize) {
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

    // The trees, in order of their earliest message.
    let mut tree_of_root = vec![usize::MAX; table.nodes.len()];
    let mut trees: Vec<Tree> = Vec::new();
    for &i in &order {
        let node = node_of[i];
        let r = root[node];
        let t = if tree_of_root[r] == usize::MAX {
            tree_of_root[r] = trees.len();
            trees.push(Tree {
                members: Vec::new(),
                root_msg: i,
                root_depth: depth[node],
                unseen_root: !table.nodes[r].has_message,
                latest: messages[i].date,
            });
            trees.len() - 1
        } else {
            tree_of_root[r]
        };
        let tree = &mut trees[t];
        tree.members.push(i);
        tree.latest = tree.latest.max(messages[i].date);
        // `order` is by date then key, so a strictly shallower message is the only better root.
        if depth[node] < tree.root_depth {
            tree.root_msg = i;
            tree.root_depth = depth[node];
        }
    }

    // Step 3: subject fallback, sweeping trees by their earliest message.
    let mut clusters: Vec<Cluster> = Vec::new();
    let mut last_by_subject: HashMap<String, usize> = HashMap::new();
    for (t, tree) in trees.iter().enumerate() {
        let first_date = messages[tree.members[0]].date;
        let (base, reply_prefix) = strip(messages[tree.root_msg].subject);
        let reply = reply_prefix || tree.unseen_root;
        let key = subject_key(base);
        if !key.is_empty()
            && let Some(&c) = last_by_subject.get(&key)
        {
            let cluster = &mut clusters[c];
            if first_date - cluster.latest <= SUBJECT_WINDOW && (reply || !cluster.has_original) {
                cluster.trees.push(t);
                cluster.latest = cluster.latest.max(tree.latest);
                if !reply {
                    cluster.has_original = true;
                    cluster.anchor = t;
                }
                continue;
            }
        }
        if !key.is_empty() {
            last_by_subject.insert(key, clusters.len());
        }
        clusters.push(Cluster { trees: vec![t], anchor: t, has_original: !reply, latest: tree.latest });
    }

    let mut out: Vec<Conversation> = clusters
        .iter()
        .map(|cluster| {
            let mut members: Vec<usize> =
                cluster.trees.iter().flat_map(|&t| trees[t].members.iter().copied()).collect();
            members.sort_unstable_by_key(|&i| (messages[i].date, messages[i].key, i));
            Conversation {
                messages: members.iter().map(|&i| messages[i].key).collect(),
                latest: cluster.latest,
                subject: messages[trees[cluster.anchor].root_msg].subject.to_string(),
            }
        })
        .collect();
    out.sort_by(|a, b| b.latest.cmp(&a.latest).then_with(|| a.messages.first().cmp(&b.messages.first())));
    out
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

/// The grouping key of a base subject: lowercase, whitespace runs as one space.
fn subject_key(base: &str) -> String {
    let mut key = String::with_capacity(base.len());
    for word in base.split_whitespace() {
        if !key.is_empty() {
            key.push(' ');
        }
        key.extend(word.chars().flat_map(char::to_lowercase));
    }
    key
}

/// A Message-ID as the id table keys it: no brackets or spaces, ASCII lowercase; `None` if empty.
fn normalize(id: &str) -> Option<Cow<'_, str>> {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>').trim();
    if id.is_empty() {
        None
    } else if id.bytes().any(|b| b.is_ascii_uppercase()) {
        Some(Cow::Owned(id.to_ascii_lowercase()))
    } else {
        Some(Cow::Borrowed(id))
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
struct Table<'a> {
    ids: HashMap<Cow<'a, str>, usize>,
    nodes: Vec<Node>,
}

impl<'a> Table<'a> {
    fn with_capacity(n: usize) -> Self {
        Self { ids: HashMap::with_capacity(n), nodes: Vec::with_capacity(n) }
    }

    /// The container for `id`, created if new.
    fn node(&mut self, id: Cow<'a, str>) -> usize {
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
    /// Input indices, oldest first.
    members: Vec<usize>,
    /// The root message: the earliest of the shallowest seen messages.
    root_msg: usize,
    root_depth: u32,
    /// The root container was referenced but never seen: the tree replies to something.
    unseen_root: bool,
    latest: i64,
}

/// Trees merged by subject: one conversation.
#[derive(Debug)]
struct Cluster {
    trees: Vec<usize>,
    /// The tree whose root names the conversation: the non-reply if any, else the first.
    anchor: usize,
    /// A non-reply is in the cluster; another one starts a new cluster.
    has_original: bool,
    latest: i64,
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
        let refs: Vec<Vec<String>> =
            messages.iter().map(|m| m.refs.iter().map(|r| r.to_string()).collect()).collect();
        let inputs: Vec<ThreadInput<'_>> = messages
            .iter()
            .zip(&refs)
            .enumerate()
            .map(|(i, (m, refs))| ThreadInput {
                key: MessageKey { folder: m.folder, uid: i as u32 + 1 },
                message_id: m.id,
                in_reply_to: m.irt,
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
            id: &'a str,
            references: &'a [String],
            subject: &'a str,
            date: i64,
        ) -> ThreadInput<'a> {
            ThreadInput {
                key: MessageKey { folder: INBOX, uid },
                message_id: Some(id),
                in_reply_to: None,
                references,
                subject,
                date,
            }
        }
        let refs = [vec![], vec!["a@x".to_string()]];
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
                ids.push(format!("<{c}.{j}@example.com>"));
                refs.push((0..j).map(|k| format!("<{c}.{k}@example.com>")).collect::<Vec<_>>());
                let re = if j == 0 { "" } else { "Re: " };
                subjects.push(format!("{re}Topic {c}"));
            }
        }
        let mut inputs: Vec<ThreadInput<'_>> = (0..CONVERSATIONS * PER)
            .map(|i| {
                let (c, j) = (i / PER, i % PER);
                ThreadInput {
                    key: MessageKey { folder: if j % 2 == 1 { SENT } else { INBOX }, uid: i as u32 },
                    message_id: Some(&ids[i]),
                    // Every third conversation's replies only carry In-Reply-To.
                    in_reply_to: (j > 0).then(|| ids[i - 1].as_str()),
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
