//! The pipelined initial sync against a scripted server: what it caches, what it reports, and
//! that the session is in step for its next command whatever the FETCHes answered.

use tokio::io::AsyncWriteExt;

use super::*;
use crate::imap::scripted;

/// One FETCH response of [`ENVELOPE_ITEMS`] for message `seq`; message 2030's header fields are
/// larger than the pipeline's reads.
fn response(seq: u32) -> String {
    let pad = if seq == 2030 { format!("X-Pad: {}\r\n", "p".repeat(300_000)) } else { String::new() };
    let headers =
        format!("Subject: Message {seq}\r\nFrom: a{seq}@example.org\r\nMessage-ID: <m{seq}@x>\r\n{pad}\r\n");
    format!(
        "* {seq} FETCH (UID {} FLAGS (\\Seen) INTERNALDATE \"17-Jul-2024 02:44:25 -0700\" RFC822.SIZE 99 \
         BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 10 1 NIL NIL NIL NIL) \
         BODY[HEADER.FIELDS (DATE FROM TO CC SUBJECT MESSAGE-ID IN-REPLY-TO REFERENCES)] {{{}}}\r\n{headers})\r\n",
        seq + 100,
        headers.len()
    )
}

/// The answers to FETCH `low:top`, tagged `tag` with `outcome`; `between`, untagged lines the
/// server sends in the middle of them.
fn answer(tag: &str, low: u32, top: u32, between: &str, outcome: &str) -> String {
    let middle = (low + top) / 2;
    let mut out: String = (low..middle).map(response).collect();
    out += between;
    out.extend((middle..=top).map(response));
    out + &format!("{tag} {outcome}\r\n")
}

/// How the scripted server answers the sync's FETCHes, in order: untagged lines in the middle of
/// each answer, its completion, and what follows it: the part before `|` in the same write, the
/// rest 100 ms later.
type Plan = Vec<(&'static str, &'static str, &'static str)>;

/// A logged-in session to a server that answers each command as it reads it: LOGIN, the sync's
/// FETCHes by `plan`, and `FETCH 1 (UID)` (the command after the sync) with one response.
async fn session(plan: Plan) -> ImapSession {
    scripted::session(move |mut lines, mut writer| async move {
        let mut plan = plan.into_iter();
        while let Ok(Some(line)) = lines.next_line().await {
            let words: Vec<&str> = line.splitn(4, ' ').collect();
            let reply = match words[..] {
                [tag, "LOGIN", ..] => format!("{tag} OK logged in\r\n"),
                [tag, "FETCH", "1", "(UID)"] => format!("* 1 FETCH (UID 101)\r\n{tag} OK fetched\r\n"),
                [tag, "FETCH", range, _] => {
                    let (low, top) = range.split_once(':').unwrap();
                    let (between, outcome, after) = plan.next().expect("no more FETCHes planned");
                    let (now, later) = after.split_once('|').unwrap_or((after, ""));
                    let reply = answer(tag, low.parse().unwrap(), top.parse().unwrap(), between, outcome);
                    writer.write_all((reply + now).as_bytes()).await.unwrap();
                    if !later.is_empty() {
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        writer.write_all(later.as_bytes()).await.unwrap();
                    }
                    continue;
                }
                _ => panic!("unexpected command: {line}"),
            };
            writer.write_all(reply.as_bytes()).await.unwrap();
        }
    })
    .await
}

/// The command after the sync gets its own answer and nothing left over from the sync's.
async fn next_command(session: &mut ImapSession) {
    use futures::TryStreamExt;
    let fetches: Vec<Fetch> = session.fetch("1", "(UID)").await.unwrap().try_collect().await.unwrap();
    let uids: Vec<Option<u32>> = fetches.iter().map(|f| f.uid).collect();
    assert_eq!(uids, [Some(101)], "the next FETCH sees only its own answer");
}

/// The initial sync of a 2,060-message INBOX whose FETCHes are answered by `plan`.
async fn initial_sync(plan: Plan) -> (Result<SyncReport>, Store, FolderId, ImapSession) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    std::mem::forget(dir);
    let fid = store.folder_id_or_create("a", "INBOX").unwrap();
    let mut session = session(plan).await;
    let negotiated = Negotiated::default();
    let progress = |_: SyncProgress| {};
    let server = ServerFolder { uidvalidity: 7, uidnext: 2_161, highestmodseq: 0, exists: 2_060 };
    let report = {
        let mut syncer = Syncer {
            session: &mut session,
            store: &store,
            account_id: "a",
            negotiated: &negotiated,
            progress: &progress,
            timeouts: Timeouts::default(),
        };
        syncer.initial(fid, "INBOX", SyncMode::Initial, server).await
    };
    (report, store, fid, session)
}

/// 2,060 messages: the first screen (2011:2060), a chunk of 2,000 (11:2010), then 1:10; the
/// second and third FETCH are both sent as soon as the first screen is read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipelined_initial_sync_caches_every_chunk_and_reports_other_folders_news() {
    let status = "* STATUS \"Lists\" (MESSAGES 3 UIDNEXT 4)\r\n";
    let flags = "* 2050 FETCH (UID 2150 FLAGS (\\Seen \\Flagged))\r\n";
    // Right after the last answer, the server begins a STATUS it finishes a little later: the
    // sync reads it whole, so the next command's answer starts where async-imap expects it.
    let late = "* STATUS \"Arch|ive\" (MESSAGES 1)\r\n";
    let plan = vec![("", "OK done", ""), (status, "OK done", ""), (flags, "OK done", late)];
    let (report, store, fid, mut session) = initial_sync(plan).await;
    let report = report.unwrap();
    assert_eq!((report.mode, report.added, report.total), (SyncMode::Initial, 2_060, 2_060), "{report:?}");
    assert_eq!(report.announced, ["Lists", "Archive"]);
    let uids = store.uids(fid).unwrap();
    assert_eq!(uids.len(), 2_060);
    assert_eq!((uids.iter().min(), uids.iter().max()), (Some(&101), Some(&2_160)));
    let newest = store.envelope(fid, 2_160).unwrap().unwrap();
    assert_eq!(
        (newest.subject.as_str(), newest.from[0].email.as_str()),
        ("Message 2060", "a2060@example.org")
    );
    // The response larger than a read came through whole.
    assert_eq!(store.envelope(fid, 2_130).unwrap().unwrap().subject, "Message 2030");
    // The unsolicited flag update in the last chunk did not become a row or blank one.
    assert_eq!(store.envelope(fid, 2_150).unwrap().unwrap().subject, "Message 2050");
    assert!(store.folder_state(fid).unwrap().unwrap().complete);
    next_command(&mut session).await;
}

/// A FETCH refused in the middle of the pipeline: the error is reported, what was read stays
/// cached (the folder stays incomplete, for the next sync to finish), and the answer to the
/// FETCH already queued behind it is read, so the next command gets its own answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_fetch_leaves_the_folder_incomplete_and_the_session_in_step() {
    let plan = vec![("", "OK done", ""), ("", "NO [SERVERBUG] Internal error", ""), ("", "OK done", "")];
    let (report, store, fid, mut session) = initial_sync(plan).await;
    match report {
        Err(Error::Protocol(message)) => assert!(message.contains("Internal error"), "{message}"),
        other => panic!("expected the server's refusal, got {other:?}"),
    }
    assert_eq!(store.uids(fid).unwrap().len(), 50, "the first screen stays cached");
    assert!(!store.folder_state(fid).unwrap().unwrap().complete);
    next_command(&mut session).await;
}

#[test]
fn a_qresync_select_answer_gives_the_folder_and_every_change() {
    let lines = [
        "OK [CLOSED] Previous mailbox closed.",
        "FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded)",
        "OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.",
        "593 EXISTS",
        "0 RECENT",
        "OK [UIDVALIDITY 1733000000] UIDs valid",
        "OK [UIDNEXT 604] Predicted next UID",
        "OK [HIGHESTMODSEQ 640] Highest",
        "VANISHED (EARLIER) 1:5,6,11:14",
        "15 FETCH (UID 21 FLAGS (\\Seen $Tern-Label) MODSEQ (631))",
        "16 FETCH (UID 22 FLAGS () MODSEQ (632))",
        "593 FETCH (UID 603 MODSEQ (640) FLAGS (\\Flagged))",
    ];
    let untagged: Vec<Vec<u8>> = lines.iter().map(|l| l.as_bytes().to_vec()).collect();
    let resynced = Resynced::of(&untagged);
    assert_eq!(
        resynced.server,
        ServerFolder { uidvalidity: 1_733_000_000, uidnext: 604, highestmodseq: 640, exists: 593 }
    );
    assert_eq!(resynced.vanished, vec![1, 2, 3, 4, 5, 6, 11, 12, 13, 14]);
    let seen: Vec<(u32, bool, bool, Vec<String>, u64)> = resynced
        .seen
        .iter()
        .map(|(uid, f, modseq)| (*uid, f.flags.seen, f.flags.flagged, f.keywords.clone(), *modseq))
        .collect();
    assert_eq!(
        seen,
        vec![
            (21, true, false, vec!["$Tern-Label".to_string()], 631),
            (22, false, false, vec![], 632),
            (603, false, true, vec![], 640),
        ]
    );
    // A server that does not know the UIDVALIDITY given names no changes.
    assert_eq!(Resynced::of(&untagged[..8]).seen, vec![]);
}

#[test]
fn what_the_server_says_of_the_folder_open_before_is_not_taken_for_the_new_ones() {
    // A SELECT sent while another folder is open: news of that one may come before `[CLOSED]`.
    let lines = [
        "VANISHED 7",
        "3 FETCH (UID 9 FLAGS (\\Seen) MODSEQ (700))",
        "10 EXISTS",
        "OK [CLOSED] Previous mailbox closed.",
        "2 EXISTS",
        "OK [UIDVALIDITY 17] UIDs valid",
        "OK [UIDNEXT 3] Predicted next UID",
        "OK [HIGHESTMODSEQ 5] Highest",
        "2 FETCH (UID 2 FLAGS () MODSEQ (5))",
    ];
    let untagged: Vec<Vec<u8>> = lines.iter().map(|l| l.as_bytes().to_vec()).collect();
    let resynced = Resynced::of(&untagged);
    assert_eq!(resynced.server, ServerFolder { uidvalidity: 17, uidnext: 3, highestmodseq: 5, exists: 2 });
    assert_eq!(resynced.vanished, Vec::<u32>::new());
    assert_eq!(
        resynced.seen.iter().map(|(uid, _, modseq)| (*uid, *modseq)).collect::<Vec<_>>(),
        vec![(2, 5)]
    );
}

#[test]
fn the_quota_is_the_storage_of_the_inbox_quota_root() {
    let lines = |lines: &[&str]| lines.iter().map(|l| l.as_bytes().to_vec()).collect::<Vec<_>>();
    // Each answer, and the storage it gives (used, limit in KiB).
    type Case<'a> = (&'a [&'a str], Option<(u64, u64)>);
    let cases: [Case<'_>; 4] = [
        (
            &["QUOTAROOT INBOX \"User quota\"", "QUOTA \"User quota\" (STORAGE 10 2097152)"],
            Some((10, 2_097_152)),
        ),
        (&["QUOTAROOT INBOX \"\"", "QUOTA \"\" (MESSAGE 3 100 STORAGE 7 512)"], Some((7, 512))),
        (&["QUOTAROOT INBOX \"\"", "QUOTA \"\" (MESSAGE 3 100)"], None),
        (&["QUOTAROOT INBOX"], None),
    ];
    for (answer, expected) in cases {
        let quota = quota_of(&lines(answer)).map(|q| (q.used_kib, q.limit_kib));
        assert_eq!(quota, expected, "{answer:?}");
    }
}

#[test]
fn flights_hold_at_most_fifty_folders_and_a_bounded_amount_of_new_mail() {
    let cases: [(Vec<u32>, usize); 7] = [
        (vec![0; 3], 3),
        (vec![0; 120], FLIGHT),
        (vec![CHUNK, CHUNK, 1], 2),
        (vec![CHUNK, CHUNK - 1, 1], 3),
        (vec![5, CHUNK * 2, 5], 1),
        // A first folder is always taken, whatever it brings.
        (vec![u32::MAX, 1], 1),
        (vec![1], 1),
    ];
    for (fetched, expected) in cases {
        assert_eq!(flight_size(fetched.iter().copied()), expected, "{fetched:?}");
    }
}
