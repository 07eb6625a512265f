use super::*;
use crate::imap::Folder;
use crate::store::{Address, FlagState, FolderChanges, MessageFlags};

/// A message: (uid, from name, subject, message id, in-reply-to, references, received, size,
/// seen, flagged, attachment).
struct Mail {
    uid: u32,
    from: &'static str,
    subject: &'static str,
    id: &'static str,
    reply_to: Option<&'static str>,
    references: &'static [&'static str],
    received: i64,
    /// The `Date:` header.
    date: i64,
    size: u32,
    seen: bool,
    flagged: bool,
    attachment: bool,
}

const fn mail(uid: u32, from: &'static str, subject: &'static str, id: &'static str, received: i64) -> Mail {
    Mail {
        uid,
        from,
        subject,
        id,
        reply_to: None,
        references: &[],
        received,
        date: received,
        size: 100,
        seen: true,
        flagged: false,
        attachment: false,
    }
}

fn envelope(m: &Mail) -> Envelope {
    Envelope {
        uid: m.uid,
        flags: FlagState {
            flags: MessageFlags { seen: m.seen, flagged: m.flagged, ..Default::default() },
            keywords: vec![],
        },
        received: m.received,
        date: m.date,
        size: m.size,
        subject: m.subject.into(),
        from: vec![Address {
            name: Some(m.from.into()),
            email: format!("{}@example.org", m.from.to_lowercase()),
        }],
        to: vec![],
        cc: vec![],
        message_id: Some(m.id.into()),
        in_reply_to: m.reply_to.map(Into::into),
        references: m.references.iter().map(|r| r.to_string()).collect(),
        has_attachment: m.attachment,
        thread_id: 0,
        modseq: 0,
        snippet: None,
    }
}

fn folder(path: &str, role: FolderRole) -> Folder {
    Folder {
        path: path.into(),
        name: path.into(),
        delimiter: Some("/".into()),
        parent: None,
        depth: 0,
        role: Some(role),
        selectable: true,
        subscribed: true,
        namespace: Default::default(),
    }
}

fn put(store: &Store, account: &str, path: &str, mails: &[Mail]) {
    let fid = store.folder_id_or_create(account, path).unwrap();
    let changes = FolderChanges { upserts: mails.iter().map(envelope).collect(), ..Default::default() };
    store.apply(fid, changes).unwrap();
}

/// Account `a`: a lunch conversation across INBOX and Sent, an invoice and a zebra; account `b`:
/// one unread message.
fn fixture() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.put_folders("a", &[folder("INBOX", FolderRole::Inbox), folder("Sent", FolderRole::Sent)]).unwrap();
    store.put_folders("b", &[folder("INBOX", FolderRole::Inbox)]).unwrap();
    put(
        &store,
        "a",
        "INBOX",
        &[
            Mail { seen: false, ..mail(1, "Ann", "Lunch plans", "m1", 100) },
            Mail {
                reply_to: Some("m1"),
                references: &["m1"],
                attachment: true,
                ..mail(2, "Bob", "Re: Lunch plans", "m2", 300)
            },
            Mail { size: 5000, flagged: true, ..mail(3, "Carol", "Invoice 12", "m3", 200) },
            Mail { size: 10, ..mail(4, "dave", "Zebra", "m4", 400) },
        ],
    );
    put(
        &store,
        "a",
        "Sent",
        &[Mail {
            reply_to: Some("m2"),
            references: &["m1", "m2"],
            ..mail(1, "Me", "Re: Lunch plans", "s1", 350)
        }],
    );
    put(&store, "b", "INBOX", &[Mail { seen: false, ..mail(1, "Eve", "Hello b", "b1", 250) }]);
    (dir, store)
}

fn query(source: Source, sort: SortKey, descending: bool, filter: &str, conversations: bool) -> ListQuery {
    ListQuery { source, sort, descending, filter: filter.into(), conversations }
}

fn inbox(account: &str) -> Source {
    Source::Folder { account_id: account.into(), path: "INBOX".into() }
}

/// Rows as "account/path/uid×count".
fn rows(views: &Views, store: &Store, q: &ListQuery) -> (Vec<String>, u32, u32) {
    let accounts = ["a".to_string(), "b".to_string()];
    let layout = layout(store, q, &accounts).unwrap();
    let page = views.page(store, q, &layout, 0, 100).unwrap();
    let shown = page
        .rows
        .iter()
        .map(|r| format!("{}/{}/{}×{}", r.account_id, r.path, r.envelope.uid, r.thread_count))
        .collect();
    (shown, page.total, page.unread)
}

#[test]
fn queries_sort_filter_group_and_merge_as_asked() {
    use SortKey::*;
    let (_dir, store) = fixture();
    let views = Views::default();
    let cases: Vec<(&str, ListQuery, &[&str], u32)> = vec![
        (
            "newest first",
            query(inbox("a"), Date, true, "", false),
            &["a/INBOX/4×1", "a/INBOX/2×1", "a/INBOX/3×1", "a/INBOX/1×1"],
            1,
        ),
        (
            "oldest first",
            query(inbox("a"), Date, false, "", false),
            &["a/INBOX/1×1", "a/INBOX/3×1", "a/INBOX/2×1", "a/INBOX/4×1"],
            1,
        ),
        (
            "sender A to Z, any case",
            query(inbox("a"), Sender, false, "", false),
            &["a/INBOX/1×1", "a/INBOX/2×1", "a/INBOX/3×1", "a/INBOX/4×1"],
            1,
        ),
        (
            "sender Z to A",
            query(inbox("a"), Sender, true, "", false),
            &["a/INBOX/4×1", "a/INBOX/3×1", "a/INBOX/2×1", "a/INBOX/1×1"],
            1,
        ),
        (
            "subject without Re:, ties newest first",
            query(inbox("a"), Subject, false, "", false),
            &["a/INBOX/3×1", "a/INBOX/2×1", "a/INBOX/1×1", "a/INBOX/4×1"],
            1,
        ),
        (
            "size smallest first, ties newest first",
            query(inbox("a"), Size, false, "", false),
            &["a/INBOX/4×1", "a/INBOX/2×1", "a/INBOX/1×1", "a/INBOX/3×1"],
            1,
        ),
        (
            "size largest first",
            query(inbox("a"), Size, true, "", false),
            &["a/INBOX/3×1", "a/INBOX/2×1", "a/INBOX/1×1", "a/INBOX/4×1"],
            1,
        ),
        (
            "filter on the subject",
            query(inbox("a"), Date, true, "lunch", false),
            &["a/INBOX/2×1", "a/INBOX/1×1"],
            1,
        ),
        ("every word must match", query(inbox("a"), Date, true, "ann LUNCH", false), &["a/INBOX/1×1"], 1),
        ("filter on the address", query(inbox("a"), Date, true, "carol@example", false), &["a/INBOX/3×1"], 1),
        ("filter matching nothing", query(inbox("a"), Date, true, "nobody", false), &[], 1),
        (
            "blank filter is no filter",
            query(inbox("a"), Date, true, "   ", false),
            &["a/INBOX/4×1", "a/INBOX/2×1", "a/INBOX/3×1", "a/INBOX/1×1"],
            1,
        ),
        (
            "conversations: the reply in Sent counts and moves the conversation up",
            query(inbox("a"), Date, true, "", true),
            &["a/INBOX/4×1", "a/INBOX/2×3", "a/INBOX/3×1"],
            1,
        ),
        (
            "conversations oldest first",
            query(inbox("a"), Date, false, "", true),
            &["a/INBOX/3×1", "a/INBOX/2×3", "a/INBOX/4×1"],
            1,
        ),
        (
            "a conversation matches through any of its messages",
            query(inbox("a"), Date, true, "ann", true),
            &["a/INBOX/2×3"],
            1,
        ),
        (
            "conversations by sender of the row shown",
            query(inbox("a"), Sender, false, "", true),
            &["a/INBOX/2×3", "a/INBOX/3×1", "a/INBOX/4×1"],
            1,
        ),
        (
            "Sent on its own: threads by itself",
            query(Source::Folder { account_id: "a".into(), path: "Sent".into() }, Date, true, "", true),
            &["a/Sent/1×1"],
            0,
        ),
        (
            "all inboxes, newest first",
            query(Source::AllInboxes, Date, true, "", false),
            &["a/INBOX/4×1", "a/INBOX/2×1", "b/INBOX/1×1", "a/INBOX/3×1", "a/INBOX/1×1"],
            2,
        ),
        (
            "all inboxes as conversations",
            query(Source::AllInboxes, Date, true, "", true),
            &["a/INBOX/4×1", "a/INBOX/2×3", "b/INBOX/1×1", "a/INBOX/3×1"],
            2,
        ),
        ("all inboxes, filtered", query(Source::AllInboxes, Date, true, "hello", false), &["b/INBOX/1×1"], 2),
        (
            "a folder never synced",
            query(Source::Folder { account_id: "b".into(), path: "Sent".into() }, Date, true, "", true),
            &[],
            0,
        ),
    ];
    for (name, q, expected, unread) in cases {
        let (shown, total, got_unread) = rows(&views, &store, &q);
        assert_eq!(shown, expected, "{name}");
        assert_eq!(total as usize, expected.len(), "{name}: total");
        assert_eq!(got_unread, unread, "{name}: unread");
    }
}

#[test]
fn windows_asked_for_at_once_build_the_view_once() {
    let (_dir, store) = fixture();
    let views = Views::default();
    let accounts = ["a".to_string()];
    let q = query(inbox("a"), SortKey::Date, true, "", true);
    let layout = layout(&store, &q, &accounts).unwrap();
    let pages: Vec<Vec<u32>> = std::thread::scope(|scope| {
        let calls: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let page = views.page(&store, &q, &layout, 0, 10).unwrap();
                    page.rows.iter().map(|r| r.envelope.uid).collect()
                })
            })
            .collect();
        calls.into_iter().map(|call| call.join().unwrap()).collect()
    });
    assert!(pages.windows(2).all(|w| w[0] == w[1]), "{pages:?}");
    // One thread set and one view, however many windows were asked for together.
    assert_eq!(views.lock().builds, 2);
}

#[test]
fn conversation_rows_carry_the_flags_of_every_message() {
    let (_dir, store) = fixture();
    let views = Views::default();
    let q = query(inbox("a"), SortKey::Date, true, "", true);
    let accounts = ["a".to_string()];
    let layout = layout(&store, &q, &accounts).unwrap();
    let page = views.page(&store, &q, &layout, 1, 1).unwrap();
    let lunch = &page.rows[0];
    assert_eq!(lunch.envelope.uid, 2);
    assert!(!lunch.envelope.flags.flags.seen, "message 1 is unread");
    assert!(lunch.envelope.has_attachment, "message 2 has one");
    assert_eq!(lunch.envelope.received, 350, "dated by its newest message, the reply in Sent");

    // Reading message 1 shows at once, without rebuilding the view.
    let fid = store.folder_id("a", "INBOX").unwrap().unwrap();
    let seen = FlagState { flags: MessageFlags { seen: true, ..Default::default() }, keywords: vec![] };
    store.apply(fid, FolderChanges { flag_updates: vec![(1, seen, 0)], ..Default::default() }).unwrap();
    let before = views.lock().views.get(&q).cloned().unwrap();
    let page = views.page(&store, &q, &layout, 1, 1).unwrap();
    assert!(page.rows[0].envelope.flags.flags.seen);
    assert!(Arc::ptr_eq(&before, views.lock().views.get(&q).unwrap()), "flags alone keep the view");
}

#[test]
fn a_new_reply_joins_its_conversation_and_becomes_its_row() {
    let (_dir, store) = fixture();
    let views = Views::default();
    let q = query(inbox("a"), SortKey::Date, true, "", true);
    assert_eq!(rows(&views, &store, &q).0, ["a/INBOX/4×1", "a/INBOX/2×3", "a/INBOX/3×1"]);
    put(
        &store,
        "a",
        "INBOX",
        &[Mail {
            reply_to: Some("s1"),
            references: &["m1", "m2", "s1"],
            ..mail(5, "Ann", "Re: Lunch plans", "m5", 500)
        }],
    );
    assert_eq!(rows(&views, &store, &q).0, ["a/INBOX/5×4", "a/INBOX/4×1", "a/INBOX/3×1"]);
    // The summary was brought up to date, not rebuilt: it still has every message.
    let fid = store.folder_id("a", "INBOX").unwrap().unwrap();
    assert_eq!(views.lock().summaries[&fid].items.len(), 5);
}

#[test]
fn a_conversation_lists_every_message_oldest_first_from_any_of_its_folders() {
    let (_dir, store) = fixture();
    let views = Views::default();
    let expected = ["a/INBOX/1×3", "a/INBOX/2×3", "a/Sent/1×3"];
    for (path, uid) in [("INBOX", 1), ("INBOX", 2), ("Sent", 1)] {
        let (f, threaded) = conversation_folders(&store, "a", path).unwrap().unwrap();
        let got: Vec<String> = views
            .conversation(&store, &f, &threaded, uid)
            .unwrap()
            .iter()
            .map(|r| format!("{}/{}/{}×{}", r.account_id, r.path, r.envelope.uid, r.thread_count))
            .collect();
        assert_eq!(got, expected, "from {path}/{uid}");
    }
    let (f, threaded) = conversation_folders(&store, "a", "INBOX").unwrap().unwrap();
    assert_eq!(views.conversation(&store, &f, &threaded, 3).unwrap().len(), 1, "a message alone");
    assert!(views.conversation(&store, &f, &threaded, 99).unwrap().is_empty(), "a message gone");
}

#[test]
fn a_conversation_reads_in_the_order_its_messages_were_written() {
    // Copied in together (the same arrival time, the reply first): the Date header decides.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.put_folders("a", &[folder("INBOX", FolderRole::Inbox), folder("Sent", FolderRole::Sent)]).unwrap();
    put(
        &store,
        "a",
        "INBOX",
        &[Mail {
            reply_to: Some("q"),
            references: &["q"],
            date: 900,
            ..mail(1, "Ann", "Re: Trip", "r", 1000)
        }],
    );
    put(&store, "a", "Sent", &[Mail { date: 100, ..mail(1, "Me", "Trip", "q", 1000) }]);
    let views = Views::default();
    let (f, threaded) = conversation_folders(&store, "a", "INBOX").unwrap().unwrap();
    let got: Vec<String> = views
        .conversation(&store, &f, &threaded, 1)
        .unwrap()
        .iter()
        .map(|r| r.envelope.subject.clone())
        .collect();
    assert_eq!(got, ["Trip", "Re: Trip"]);
}

/// 100,000 messages in 20,000 conversations: building the conversation view, then filtering.
/// `cargo test -p tern-core --release views::tests::large -- --ignored --nocapture`
#[test]
#[ignore = "a measurement, run by hand"]
fn large_folder() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.put_folders("a", &[folder("INBOX", FolderRole::Inbox)]).unwrap();
    let fid = store.folder_id_or_create("a", "INBOX").unwrap();
    let ids: Vec<String> = (0..100_000).map(|i| format!("m{i}")).collect();
    let subjects: Vec<String> = (0..20_000).map(|i| format!("Topic {i}")).collect();
    let envelopes: Vec<Envelope> = (0..100_000u32)
        .map(|i| {
            let root = (i / 5) * 5;
            let mut e = envelope(&mail(i + 1, "Sender", "x", "x", i64::from(i) * 60));
            e.subject = subjects[(i / 5) as usize].clone();
            e.message_id = Some(ids[i as usize].clone());
            if i != root {
                e.in_reply_to = Some(ids[root as usize].clone());
                e.references = vec![ids[root as usize].clone()];
            }
            e
        })
        .collect();
    store.apply(fid, FolderChanges { upserts: envelopes, fresh: true, ..Default::default() }).unwrap();
    let start = std::time::Instant::now();
    let mut count = 0;
    store.each_envelope_head(fid, |_| count += 1).unwrap();
    println!("scan and decode in place {count}: {:?}", start.elapsed());
    let start = std::time::Instant::now();
    let mut summaries = Vec::new();
    store.each_envelope_head(fid, |head| summaries.push(Summary::of(&head))).unwrap();
    println!("scan into summaries: {:?}", start.elapsed());
    let start = std::time::Instant::now();
    let inputs: Vec<ThreadInput<'_>> = summaries
        .iter()
        .map(|s| ThreadInput {
            key: MessageKey { folder: fid, uid: s.uid },
            message_id: s.message_id,
            in_reply_to: s.in_reply_to,
            references: &s.references,
            subject: s.subject(),
            date: s.received,
        })
        .collect();
    let conversations = thread::conversations(&inputs);
    println!("threading into {}: {:?}", conversations.len(), start.elapsed());
    let views = Views::default();
    let accounts = ["a".to_string()];
    for (name, q) in [
        ("conversations, cold", query(inbox("a"), SortKey::Date, true, "", true)),
        ("conversations, warm", query(inbox("a"), SortKey::Date, true, "", true)),
        ("filter, single", query(inbox("a"), SortKey::Date, true, "topic 1999", false)),
        ("sort by sender", query(inbox("a"), SortKey::Sender, false, "", false)),
    ] {
        let start = std::time::Instant::now();
        let layout = layout(&store, &q, &accounts).unwrap();
        let page = views.page(&store, &q, &layout, 0, 50).unwrap();
        println!("{name}: {} rows of {} in {:?}", page.rows.len(), page.total, start.elapsed());
    }
}

/// The resident and peak memory of this process, in KiB (Linux; zeros elsewhere).
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// An inbox of 100,000 messages and a Sent folder of the user's replies, shaped like real mail:
/// about half the messages alone, the rest in conversations of 2 to 12 with References chains,
/// replies prefixed `Re:` or `AW:`, a few messages without a Message-ID.
fn realistic_store() -> (tempfile::TempDir, Store) {
    const INBOX_SIZE: u32 = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.put_folders("a", &[folder("INBOX", FolderRole::Inbox), folder("Sent", FolderRole::Sent)]).unwrap();
    let mut rng = fastrand::Rng::with_seed(7);
    let words =
        ["Quarterly", "report", "lunch", "Plan", "invoice", "Über", "meeting", "draft", "trip", "review"];
    let (mut inbox, mut sent) = (Vec::new(), Vec::new());
    let mut time = 1_600_000_000i64;
    let mut c = 0u32;
    while inbox.len() < INBOX_SIZE as usize {
        let size = if rng.bool() { 1 } else { rng.usize(2..=12) };
        let subject = format!("{} {} {c}", words[rng.usize(..words.len())], words[rng.usize(..words.len())]);
        let mut ids: Vec<String> = Vec::new();
        for j in 0..size {
            time += rng.i64(1..900);
            let to_sent = j > 0 && rng.u8(..) < 40;
            let target = if to_sent { &mut sent } else { &mut inbox };
            let uid = target.len() as u32 + 1;
            let from = if to_sent { "Me" } else { words[rng.usize(..words.len())] };
            let mut e = envelope(&mail(uid, from, "x", "x", time));
            e.size = rng.u32(1_000..200_000);
            e.subject = match j {
                0 => subject.clone(),
                _ if rng.u8(..) < 20 => format!("AW: {subject}"),
                _ => format!("Re: {subject}"),
            };
            let id =
                format!("<CA{:016X}{:08x}.{c}.{j}@mail.example{}.com>", rng.u64(..), rng.u32(..), c % 50);
            e.message_id = (rng.u8(..) > 2).then(|| id.clone());
            if let Some(last) = ids.last() {
                e.in_reply_to = Some(last.clone());
                // Clients keep the first id and the latest ones.
                let keep = ids.len().min(10);
                e.references = ids[..1].iter().chain(&ids[ids.len() + 1 - keep..]).cloned().collect();
            }
            target.push(e);
            ids.push(id);
            if inbox.len() >= INBOX_SIZE as usize {
                break;
            }
        }
        c += 1;
    }
    for (path, envelopes) in [("INBOX", inbox), ("Sent", sent)] {
        let fid = store.folder_id_or_create("a", path).unwrap();
        store.apply(fid, FolderChanges { upserts: envelopes, fresh: true, ..Default::default() }).unwrap();
    }
    (dir, store)
}

/// What `n` bytes take on the heap: glibc's malloc rounds up to 16 with an 8-byte header.
fn heap(n: usize) -> usize {
    if n == 0 { 0 } else { (n + 8).div_ceil(16).max(2) * 16 }
}

/// An estimate of the bytes the views' summaries and threads hold, each.
fn bytes_held(views: &Views) -> (usize, usize) {
    let inner = views.lock();
    let mut total = 0;
    for s in inner.summaries.values() {
        total += heap(s.items.capacity() * size_of::<Summary>());
        for item in &s.items {
            total += heap(item.text.len()) + heap(size_of_val(&*item.references));
        }
    }
    let summaries = total;
    for t in inner.threads.values() {
        let c = &t.conversations;
        total += heap(c.latest.capacity() * size_of::<i64>())
            + heap(c.starts.capacity() * size_of::<u32>())
            + heap(c.members.capacity() * size_of::<Member>());
    }
    (summaries, total - summaries)
}

/// A digest of a view's rows and conversations, to compare the results of two versions.
fn digest(built: &Built) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for row in &built.rows {
        built.key(row).unwrap().hash(&mut h);
        if let Some(c) = row.conversation() {
            let conversations = &built.threads[usize::from(row.threads)].conversations;
            (conversations.messages(c).collect::<Vec<_>>(), conversations.latest(c).unwrap()).hash(&mut h);
        }
    }
    h.finish()
}

/// Opening the inbox as conversations at 100,000 messages, cold: reading the summaries,
/// threading, building the rows, and the memory that stays with the views (estimated from the
/// structures' sizes; the RSS figures come out lower, as the heap reuses what writing the store
/// freed). Prints digests of the rows to compare with other versions.
/// `cargo test --profile profiling -p tern-core --lib views::tests::hundred_thousand -- --ignored --nocapture`
#[test]
#[ignore = "a measurement, run by hand"]
fn hundred_thousand_cold() {
    let started = std::time::Instant::now();
    let (_dir, store) = realistic_store();
    let accounts = ["a".to_string()];
    let inbox_fid = store.folder_id("a", "INBOX").unwrap().unwrap();
    let sent_fid = store.folder_id("a", "Sent").unwrap().unwrap();
    println!(
        "store of {} + {} messages written in {:?}",
        store.uids(inbox_fid).unwrap().len(),
        store.uids(sent_fid).unwrap().len(),
        started.elapsed()
    );
    let q = query(inbox("a"), SortKey::Date, true, "", true);
    let conversations = layout(&store, &q, &accounts).unwrap();

    // Warm the store's own caches first: only the views' memory should count. The second scan
    // is the floor under reading the summaries.
    for _ in 0..2 {
        let start = std::time::Instant::now();
        for fid in [inbox_fid, sent_fid] {
            store.each_envelope_head(fid, |_| {}).unwrap();
        }
        println!("scan and decode in place: {:?}", start.elapsed());
    }
    for round in 0..3 {
        // Resets the peak (VmHWM), so each round reports its own.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let (rss0, _) = memory_kib();
        let views = Views::default();
        let start = std::time::Instant::now();
        views.summary(&store, inbox_fid).unwrap();
        views.summary(&store, sent_fid).unwrap();
        let summaries = start.elapsed();
        let start = std::time::Instant::now();
        let threads = views.threads(&store, &conversations.threaded[0]).unwrap();
        let threading = start.elapsed();
        let start = std::time::Instant::now();
        let built = views.built(&store, &q, &conversations).unwrap();
        let rows = start.elapsed();
        let (rss1, hwm) = memory_kib();
        let (in_summaries, in_threads) = bytes_held(&views);
        println!(
            "round {round}: summaries {summaries:?}, threading {threading:?} ({} conversations), rows {rows:?} ({}); held by estimate {} KiB in summaries, {} KiB in threads; RSS +{} KiB kept, +{} KiB peak",
            threads.conversations.len(),
            built.rows.len(),
            in_summaries / 1024,
            in_threads / 1024,
            rss1.saturating_sub(rss0),
            hwm.saturating_sub(rss0),
        );
    }

    let views = Views::default();
    let mut digests = Vec::new();
    for q in [
        query(inbox("a"), SortKey::Date, true, "", true),
        query(inbox("a"), SortKey::Subject, false, "", true),
        query(inbox("a"), SortKey::Sender, true, "plan", true),
        query(inbox("a"), SortKey::Size, false, "über", false),
        query(inbox("a"), SortKey::Subject, true, "", false),
    ] {
        let layout = layout(&store, &q, &accounts).unwrap();
        digests.push(format!("{:016x}", digest(&views.built(&store, &q, &layout).unwrap())));
    }
    println!("digests {}", digests.join(" "));

    // A few messages arrive: the summaries are brought up to date, the threads and view rebuilt.
    let next = store.uids(inbox_fid).unwrap().last().copied().unwrap_or(0) + 1;
    put(&store, "a", "INBOX", &[mail(next, "Ann", "Re: lunch draft 3", "new@x", 2_000_000_000)]);
    let start = std::time::Instant::now();
    views.summary(&store, inbox_fid).unwrap();
    let summary = start.elapsed();
    let built = views.built(&store, &q, &conversations).unwrap();
    println!(
        "one more message: summary {summary:?}, view rebuilt in {:?} total; digest {:016x}",
        start.elapsed(),
        digest(&built)
    );
}

/// Rows of `q` at a fresh start over `store`, and whether its conversations were read from the
/// cache rather than threaded.
fn at_start(store: &Store, q: &ListQuery) -> (Vec<String>, bool) {
    let views = Views::default();
    let (shown, _, _) = rows(&views, store, q);
    let restored = views.lock().restored > 0;
    (shown, restored)
}

/// The folders of account `a`'s inbox thread set (its Inbox and Sent), sorted.
fn inbox_set(store: &Store) -> Vec<FolderId> {
    let mut fids =
        vec![store.folder_id("a", "INBOX").unwrap().unwrap(), store.folder_id("a", "Sent").unwrap().unwrap()];
    fids.sort_unstable();
    fids
}

/// Rows of `q` at a fresh start that threads everything again (what was saved left aside).
fn rebuilt_rows(store: &Store, q: &ListQuery) -> Vec<String> {
    let fids = inbox_set(store);
    let saved = store.derived(SAVED_THREADS, &fids).unwrap();
    store.put_derived(SAVED_THREADS, &fids, Vec::new()).unwrap();
    let (shown, restored) = at_start(store, q);
    assert!(!restored);
    if let Some(saved) = saved {
        store.put_derived(SAVED_THREADS, &fids, saved.to_vec()).unwrap();
    }
    shown
}

#[test]
fn saved_conversations_are_used_at_the_next_start_only_while_the_cache_holds_the_same_messages() {
    let q = query(inbox("a"), SortKey::Date, true, "", true);
    type Change = Box<dyn FnOnce(&Store)>;
    let in_folder = |path: &'static str, changes: FolderChanges| -> Change {
        Box::new(move |store: &Store| {
            let fid = store.folder_id("a", path).unwrap().unwrap();
            store.apply(fid, changes).unwrap();
        })
    };
    // A reply (uid, subject, its id, the id it answers, arrival).
    let reply = |uid, subject, id, parent: &'static [&'static str; 1], received| FolderChanges {
        upserts: vec![envelope(&Mail {
            reply_to: Some(parent[0]),
            references: parent,
            ..mail(uid, "Zed", subject, id, received)
        })],
        ..Default::default()
    };
    let flagged = FlagState { flags: MessageFlags { flagged: true, ..Default::default() }, keywords: vec![] };
    let cases: Vec<(&str, Change, bool)> = vec![
        ("nothing changed", Box::new(|_: &Store| {}), true),
        (
            "only flags changed",
            in_folder("INBOX", FolderChanges { flag_updates: vec![(4, flagged, 5)], ..Default::default() }),
            true,
        ),
        (
            "a reply arrived in the inbox",
            in_folder("INBOX", reply(9, "Re: Zebra", "m9", &["m4"], 500)),
            false,
        ),
        (
            "a message left the inbox",
            in_folder("INBOX", FolderChanges { removals: vec![2], ..Default::default() }),
            false,
        ),
        ("a reply was sent", in_folder("Sent", reply(2, "Re: Invoice 12", "s2", &["m3"], 600)), false),
        (
            "the inbox was fetched again under a new UIDVALIDITY, same UIDs and times, other messages",
            Box::new(|store: &Store| {
                let fid = store.folder_id("a", "INBOX").unwrap().unwrap();
                store.clear_folder(fid).unwrap();
                let state = crate::store::FolderState { uidvalidity: 77, ..Default::default() };
                let upserts = vec![
                    envelope(&mail(1, "New", "One", "n1", 100)),
                    envelope(&Mail {
                        reply_to: Some("n1"),
                        references: &["n1"],
                        ..mail(2, "New", "Re: One", "n2", 300)
                    }),
                    envelope(&Mail {
                        reply_to: Some("n2"),
                        references: &["n1", "n2"],
                        ..mail(3, "New", "Re: One", "n3", 200)
                    }),
                    envelope(&mail(4, "New", "Four", "n4", 400)),
                ];
                store
                    .apply(fid, FolderChanges { upserts, state: Some(state), ..Default::default() })
                    .unwrap();
            }),
            false,
        ),
        (
            "what was saved is unreadable",
            Box::new(|store: &Store| {
                store.put_derived(SAVED_THREADS, &inbox_set(store), vec![1, 2, 3]).unwrap()
            }),
            false,
        ),
        (
            "what was saved was written by an earlier Tern, a list per conversation",
            Box::new(|store: &Store| {
                #[derive(serde::Serialize)]
                struct Earlier {
                    version: u32,
                    folders: Vec<(FolderId, u32, u64)>,
                    conversations: Vec<(i64, Vec<(FolderId, u32)>)>,
                }
                let now = saved_threads(store);
                let mut members = now.members.iter().copied();
                let conversations = now
                    .latest
                    .iter()
                    .zip(&now.sizes)
                    .map(|(&latest, &size)| (latest, members.by_ref().take(size as usize).collect()))
                    .collect();
                let earlier = Earlier { version: 1, folders: now.folders, conversations };
                store
                    .put_derived(SAVED_THREADS, &inbox_set(store), postcard::to_stdvec(&earlier).unwrap())
                    .unwrap()
            }),
            false,
        ),
        (
            "what was saved counts one message fewer than it lists",
            Box::new(|store: &Store| {
                let mut saved = saved_threads(store);
                *saved.sizes.last_mut().unwrap() -= 1;
                store
                    .put_derived(SAVED_THREADS, &inbox_set(store), postcard::to_stdvec(&saved).unwrap())
                    .unwrap()
            }),
            false,
        ),
    ];
    for (name, change, restored) in cases {
        let (_dir, store) = fixture();
        let first = Views::default();
        rows(&first, &store, &q);
        first.save(&store).unwrap();
        change(&store);
        // What a start that threads everything again shows.
        let expected = rebuilt_rows(&store, &q);
        let (shown, was_restored) = at_start(&store, &q);
        assert_eq!(shown, expected, "{name}");
        assert_eq!(was_restored, restored, "{name}: read from the cache");
    }
}

/// The inbox's thread set as saved in `store`.
fn saved_threads(store: &Store) -> SavedThreads {
    let bytes = store.derived(SAVED_THREADS, &inbox_set(store)).unwrap().expect("saved");
    postcard::from_bytes(&bytes).unwrap()
}

#[test]
fn conversations_are_kept_flat() {
    let key = |folder, uid| MessageKey { folder, uid };
    let mut conversations = Conversations::with_capacity(vec![1, 2], 0, 0);
    conversations.push(30, [key(1, 5)]);
    conversations.push(20, []);
    conversations.push(10, [key(1, 2), key(2, 7)]);
    let cases: [(usize, &[MessageKey], Option<i64>); 4] = [
        (0, &[key(1, 5)], Some(30)),
        (1, &[], Some(20)),
        (2, &[key(1, 2), key(2, 7)], Some(10)),
        (3, &[], None),
    ];
    for (c, messages, latest) in cases {
        assert_eq!(conversations.messages(c).collect::<Vec<_>>(), messages, "conversation {c}");
        assert_eq!(conversations.latest(c), latest, "conversation {c}");
    }
    assert_eq!(conversations.len(), 3);
    let each: Vec<(i64, usize)> = conversations.iter().map(|(latest, m)| (latest, m.len())).collect();
    assert_eq!(each, [(30, 1), (20, 0), (10, 2)]);
    assert_eq!(size_of::<Member>(), 8, "a member takes eight bytes");
    // (message, its conversation)
    let of = [
        (key(1, 5), Some(0)),
        (key(1, 2), Some(2)),
        (key(2, 7), Some(2)),
        (key(2, 5), None),
        (key(3, 5), None),
    ];
    for (message, expected) in of {
        assert_eq!(conversations.conversation_of(message), expected, "{message:?}");
    }
    assert_eq!(conversations.uids_by_folder(), [vec![2, 5], vec![7]]);
}

#[test]
fn conversations_are_saved_once_and_not_while_the_cache_is_ahead_of_them() {
    let (_dir, store) = fixture();
    let q = query(inbox("a"), SortKey::Date, true, "", true);
    let views = Views::default();
    rows(&views, &store, &q);
    views.save(&store).unwrap();
    let saved = |store: &Store| store.derived(SAVED_THREADS, &inbox_set(store)).unwrap().map(|v| v.to_vec());
    let first = saved(&store).expect("saved");
    // Saving again writes nothing new.
    views.save(&store).unwrap();
    assert_eq!(saved(&store).unwrap(), first);

    // A message arrives: the set in memory is behind the cache, and is not saved over the old one.
    let fid = store.folder_id("a", "INBOX").unwrap().unwrap();
    let upserts = vec![envelope(&mail(9, "Zed", "Lone", "m9", 500))];
    store.apply(fid, FolderChanges { upserts, ..Default::default() }).unwrap();
    views.lock().threads.values().for_each(|t| t.saved.store(false, Ordering::Release));
    views.save(&store).unwrap();
    assert_eq!(saved(&store).unwrap(), first, "an outdated set is not saved");
    // Once the list is read again, the new set is saved and used at the next start.
    rows(&views, &store, &q);
    views.save(&store).unwrap();
    assert_ne!(saved(&store).unwrap(), first);
    let (shown, restored) = at_start(&store, &q);
    assert!(restored);
    assert_eq!(shown[0], "a/INBOX/9×1");

    // Removing the account takes what was saved with it.
    let fids = inbox_set(&store);
    store.forget_account("a").unwrap();
    assert!(store.derived(SAVED_THREADS, &fids).unwrap().is_none());
}
