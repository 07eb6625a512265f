//! The pipelined initial sync against a scripted server: what it caches, what it reports, and
//! that the session is in step for its next command whatever the FETCHes answered.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;

/// One FETCH response of [`ENVELOPE_ITEMS`] for message `seq`.
fn response(seq: u32) -> String {
    let headers =
        format!("Subject: Message {seq}\r\nFrom: a{seq}@example.org\r\nMessage-ID: <m{seq}@x>\r\n\r\n");
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
fn answer(tag: u32, low: u32, top: u32, between: &str, outcome: &str) -> String {
    let middle = (low + top) / 2;
    let mut out: String = (low..middle).map(response).collect();
    out += between;
    out.extend((middle..=top).map(response));
    out + &format!("A{tag:04} {outcome}\r\n")
}

/// A logged-in session to a server that sends `script` (after its LOGIN answer) and reads and
/// drops whatever the client sends.
async fn session(script: String) -> ImapSession {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        socket.write_all(b"* OK ready\r\n").await.unwrap();
        let (mut reader, mut writer) = socket.into_split();
        tokio::spawn(async move {
            let mut sink = vec![0; 4096];
            while reader.read(&mut sink).await.is_ok_and(|n| n > 0) {}
        });
        writer.write_all(b"A0001 OK logged in\r\n").await.unwrap();
        writer.write_all(script.as_bytes()).await.unwrap();
        // Held open until the test ends.
        std::future::pending::<()>().await;
    });
    let stream = ImapStream::Plain(TcpStream::connect(address).await.unwrap());
    let mut client = async_imap::Client::new(stream);
    client.read_response().await.unwrap();
    client.login("u", "p").await.map_err(|(e, _)| e).unwrap()
}

/// The answer to the command after the sync: `FETCH 1 (UID)`.
const NEXT: &str = "* 1 FETCH (UID 101)\r\nA0005 OK fetched\r\n";

/// The command after the sync gets its own answer and nothing left over from the sync's.
async fn next_command(session: &mut ImapSession) {
    use futures::TryStreamExt;
    let fetches: Vec<Fetch> = session.fetch("1", "(UID)").await.unwrap().try_collect().await.unwrap();
    let uids: Vec<Option<u32>> = fetches.iter().map(|f| f.uid).collect();
    assert_eq!(uids, [Some(101)], "the next FETCH sees only its own answer");
}

async fn initial_sync(script: String) -> (Result<SyncReport>, Store, FolderId, ImapSession) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    std::mem::forget(dir);
    let fid = store.folder_id_or_create("a", "INBOX").unwrap();
    let mut session = session(script).await;
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

/// 2,060 messages: the first screen (2011:2060), a chunk of 2,000 (11:2010), then 1:10. The
/// second and third FETCH are both sent as soon as the first screen is read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipelined_initial_sync_caches_every_chunk_and_reports_other_folders_news() {
    let status = "* STATUS \"Lists\" (MESSAGES 3 UIDNEXT 4)\r\n";
    let flags = "* 2050 FETCH (UID 2150 FLAGS (\\Seen \\Flagged))\r\n";
    let script = answer(2, 2011, 2060, "", "OK done")
        + &answer(3, 11, 2010, status, "OK done")
        + &answer(4, 1, 10, flags, "OK done")
        + NEXT;
    let (report, store, fid, mut session) = initial_sync(script).await;
    let report = report.unwrap();
    assert_eq!((report.mode, report.added, report.total), (SyncMode::Initial, 2_060, 2_060), "{report:?}");
    assert_eq!(report.announced, ["Lists"]);
    let uids = store.uids(fid).unwrap();
    assert_eq!(uids.len(), 2_060);
    assert_eq!((uids.iter().min(), uids.iter().max()), (Some(&101), Some(&2_160)));
    let newest = store.envelope(fid, 2_160).unwrap().unwrap();
    assert_eq!(
        (newest.subject.as_str(), newest.from[0].email.as_str()),
        ("Message 2060", "a2060@example.org")
    );
    // The unsolicited flag update in the last chunk did not become a row or blank one.
    assert_eq!(store.envelope(fid, 2_150).unwrap().unwrap().subject, "Message 2050");
    assert!(store.folder_state(fid).unwrap().unwrap().complete);
    next_command(&mut session).await;
}

/// A FETCH refused in the middle of the pipeline: the error is reported, what was read stays
/// cached (the folder stays incomplete, for the next sync to finish), and the answers to the
/// FETCH already queued behind it are read, so the next command gets its own answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_fetch_leaves_the_folder_incomplete_and_the_session_in_step() {
    let script = answer(2, 2011, 2060, "", "OK done")
        + &answer(3, 11, 2010, "", "NO [SERVERBUG] Internal error")
        + &answer(4, 1, 10, "", "OK done")
        + NEXT;
    let (report, store, fid, mut session) = initial_sync(script).await;
    match report {
        Err(Error::Protocol(message)) => assert!(message.contains("Internal error"), "{message}"),
        other => panic!("expected the server's refusal, got {other:?}"),
    }
    assert_eq!(store.uids(fid).unwrap().len(), 50, "the first screen stays cached");
    assert!(!store.folder_state(fid).unwrap().unwrap().complete);
    next_command(&mut session).await;
}
