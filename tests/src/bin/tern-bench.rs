//! Tern's benchmark: how close the engine gets to what the server can deliver.
//!
//! ```text
//! tern-bench [--quick] [--messages N] [--out FILE] [--fixture DIR]
//! ```
//!
//! Seeds a real Dovecot on loopback with 100,000 messages in INBOX (`--quick`: 10,000; kept in
//! `--fixture`, default `target/bench-fixture[-quick]`, and reused while its message count
//! matches), then measures, each against its reference:
//!
//! 1. **Raw floor**: a minimal client (tokio + rustls, no IMAP parsing) sends
//!    `UID FETCH 1:* <ENVELOPE_ITEMS>` and reads until the tagged OK. What the server and the
//!    network can deliver; nothing can sync faster.
//! 2. **Initial sync**: `Engine::sync_folder` on a fresh data dir: total, time to the first
//!    progress callback (the first screen is in the cache), peak memory, cache size on disk; and
//!    where the time goes (fetch + IMAP parsing, header parsing, cache writes).
//! 3. **Resync without changes**, 4. **resync after 100 flag changes, 10 expunges and 10
//!    APPENDs** (QRESYNC), 5. **cold start to the first page** (a fresh process opens the engine
//!    and reads 50 rows).
//!
//! Prints a table and writes a JSON file (see BENCHMARKS.md). Must be built in release mode.

#[path = "../bench/measure.rs"]
mod measure;
#[path = "../bench/raw.rs"]
mod raw;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use tern_core::Engine;
use tern_core::account::{NewAccount, Security};
use tern_core::imap::Password;
use tern_core::imap::envelope::{ENVELOPE_ITEMS, envelope};
use tern_core::live::{AccountState, EventSink, LiveEvent, LiveSettings, Supervisor};
use tern_core::secrets::SecretStore;
use tern_core::store::{FolderChanges, Store};
use tern_core::sync::{CHUNK, FIRST_SCREEN, SessionOptions, SyncMode, SyncProgress, Syncer, negotiate};
use tern_tests::sample::Generator;
use tern_tests::{DEFAULT_PASSWORD, DEFAULT_USER, Dovecot, DovecotOptions};

use measure::{Metric, Report, RssSampler, dir_size, median, rss_kib};
use raw::RawClient;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Res<T> = std::result::Result<T, BoxError>;

/// Seed of the benchmark mailbox (the sample generator is deterministic).
const SEED: u64 = 2024;

/// Passwords in memory: the benchmark must not touch the OS keychain.
#[derive(Debug, Default)]
struct MemorySecrets(Mutex<HashMap<String, String>>);

impl SecretStore for MemorySecrets {
    fn set(&self, account_id: &str, secret: &str) -> tern_core::Result<()> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).insert(account_id.into(), secret.into());
        Ok(())
    }
    fn get(&self, account_id: &str) -> tern_core::Result<Option<String>> {
        Ok(self.0.lock().unwrap_or_else(|p| p.into_inner()).get(account_id).cloned())
    }
    fn delete(&self, account_id: &str) -> tern_core::Result<()> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(account_id);
        Ok(())
    }
}

#[derive(Debug)]
struct Options {
    quick: bool,
    messages: usize,
    out: PathBuf,
    fixture: PathBuf,
}

fn usage() -> ExitCode {
    eprintln!("usage: tern-bench [--quick] [--messages N] [--out FILE] [--fixture DIR]");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // Internal: the cold-start child process (see `cold_start`).
    if args.first().map(String::as_str) == Some("--cold-open") {
        return match (args.get(1), args.get(2)) {
            (Some(dir), Some(id)) => cold_open_child(Path::new(dir), id),
            _ => usage(),
        };
    }
    let mut quick = false;
    let mut messages = None;
    let mut out = None;
    let mut fixture = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--messages" => match rest.next().and_then(|n| n.parse().ok()) {
                Some(n) => messages = Some(n),
                None => return usage(),
            },
            "--out" => out = rest.next().map(PathBuf::from),
            "--fixture" => fixture = rest.next().map(PathBuf::from),
            "-h" | "--help" => {
                usage();
                return ExitCode::SUCCESS;
            }
            _ => return usage(),
        }
    }
    let messages = messages.unwrap_or(if quick { 10_000 } else { 100_000 });
    let suffix = if quick { "-quick" } else { "" };
    let options = Options {
        quick,
        messages,
        out: out.unwrap_or_else(|| PathBuf::from(format!("bench/results{suffix}.json"))),
        fixture: fixture.unwrap_or_else(|| PathBuf::from(format!("target/bench-fixture{suffix}"))),
    };
    if cfg!(debug_assertions) {
        eprintln!("tern-bench: this is a debug build; numbers are meaningless. Use `make bench`.");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tern-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tern-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn say(msg: &str) {
    eprintln!("tern-bench: {msg}");
}

/// Starts (seeding if needed) the fixture server with `count` messages in INBOX.
async fn fixture(dir: &Path, count: usize) -> Res<Dovecot> {
    let marker = dir.join("seeded");
    let seeded: Option<usize> = std::fs::read_to_string(&marker).ok().and_then(|s| s.trim().parse().ok());
    if seeded != Some(count) {
        let mail = dir.join("mail").join(DEFAULT_USER);
        if mail.exists() {
            say(&format!("fixture has {seeded:?} messages, want {count}: reseeding"));
            std::fs::remove_dir_all(&mail)?;
        }
        let _ = std::fs::remove_file(&marker);
    }
    let server = Dovecot::start(DovecotOptions::default().in_dir(dir))?;
    if seeded != Some(count) {
        let started = Instant::now();
        let report = server.seed(DEFAULT_USER, "INBOX", count, SEED)?;
        say(&format!(
            "seeded {} messages ({:.0} MB) in {:.1} s",
            report.count,
            report.bytes as f64 / 1e6,
            started.elapsed().as_secs_f64()
        ));
        std::fs::write(&marker, count.to_string())?;
    } else {
        say(&format!("reusing the fixture in {} ({count} messages)", server.dir().display()));
    }
    Ok(server)
}

async fn run(options: &Options) -> Res<()> {
    let n = options.messages;
    let server = fixture(&options.fixture, n).await?;
    let mut report = Report::new(n, options.quick);

    // ---------------------------------------------------------------- 1. raw floor
    let raw = |s: &Dovecot| RawClient::connect(s.host(), s.tls_port(), s.cert_der().to_vec());
    let mut client = raw(&server).await?;
    client.login(DEFAULT_USER, DEFAULT_PASSWORD).await?;
    let exists = client.select("INBOX").await?;
    if exists != n as u64 {
        return Err(format!(
            "INBOX has {exists} messages, expected {n}; remove {} and rerun",
            options.fixture.display()
        )
        .into());
    }
    // The first FETCH after seeding fills Dovecot's own cache (dovecot.index.cache); the
    // floor is what a warm server delivers, so warm it up first.
    let (warm, _) = client.uid_fetch_all(ENVELOPE_ITEMS).await?;
    say(&format!("warm-up fetch: {:.2} s", warm.as_secs_f64()));
    let mut floor_runs = Vec::new();
    let mut floor_bytes = 0;
    for _ in 0..3 {
        let (t, bytes) = client.uid_fetch_all(ENVELOPE_ITEMS).await?;
        floor_runs.push(t.as_secs_f64());
        floor_bytes = bytes;
    }
    client.logout().await?;
    let floor = median(&floor_runs);
    say(&format!("raw floor: {floor:.3} s for {:.1} MB ({floor_runs:.3?})", floor_bytes as f64 / 1e6));
    report.push(
        Metric::new("raw_floor_uid_fetch", floor, "s")
            .runs(&floor_runs)
            .note("UID FETCH 1:* ENVELOPE_ITEMS, raw TLS socket, warm Dovecot"),
    );
    report.push(Metric::new("raw_floor_bytes", floor_bytes as f64 / 1e6, "MB"));

    // ---------------------------------------------------------------- 2. initial sync
    let work = tempfile::Builder::new().prefix("tern-bench-").tempdir()?;
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecrets::default());
    let new_account = || NewAccount {
        display_name: "Bench".into(),
        email: DEFAULT_USER.into(),
        imap: server.server_settings(DEFAULT_USER, Security::Tls),
    };
    let reps = if options.quick { 3 } else { 2 };
    let mut totals = Vec::new();
    let mut firsts = Vec::new();
    let mut peak_rss = 0u64;
    let mut engine_dir = PathBuf::new();
    let mut engine = None;
    let mut account_id = String::new();
    for rep in 0..reps {
        let data = work.path().join(format!("engine-{rep}"));
        let e = Engine::open(&data, secrets.clone())?;
        let account = e.add_account(new_account(), Password::new(DEFAULT_PASSWORD)).await?;
        let first: Arc<Mutex<Option<Instant>>> = Arc::new(Mutex::new(None));
        let slot = first.clone();
        let progress = move |_: SyncProgress| {
            let mut s = slot.lock().unwrap_or_else(|p| p.into_inner());
            if s.is_none() {
                *s = Some(Instant::now());
            }
        };
        let sampler = RssSampler::start();
        let started = Instant::now();
        let sync = e.sync_folder(&account.id, "INBOX", &progress).await?;
        let total = started.elapsed();
        let peak = sampler.stop();
        let first_at = first.lock().unwrap_or_else(|p| p.into_inner()).map(|t| t - started).unwrap_or(total);
        if sync.mode != SyncMode::Initial || sync.total as usize != n {
            return Err(format!("initial sync reported {sync:?}").into());
        }
        say(&format!(
            "initial sync #{}: {:.3} s, first rows after {:.1} ms, peak RSS {:.0} MB",
            rep + 1,
            total.as_secs_f64(),
            first_at.as_secs_f64() * 1e3,
            peak as f64 / 1024.0
        ));
        totals.push(total.as_secs_f64());
        firsts.push(first_at.as_secs_f64() * 1e3);
        peak_rss = peak_rss.max(peak);
        if rep + 1 == reps {
            engine_dir = data;
            account_id = account.id;
            engine = Some(e);
        } else {
            e.shutdown()?;
        }
    }
    let engine = Arc::new(engine.ok_or("no engine")?);
    let total = median(&totals);
    report.push(
        Metric::new("initial_sync_total", total, "s")
            .runs(&totals)
            .reference(floor, 1.3)
            .note("Engine::sync_folder incl. login; target <= 1.3x raw floor"),
    );
    report.push(
        Metric::new("initial_first_rows", median(&firsts), "ms")
            .runs(&firsts)
            .note("start of sync_folder to first progress callback (50 rows cached), incl. login"),
    );

    // The same sync without the engine around it, to separate login from the first screen.
    let (login_ms, after_login_ms) = first_screen_after_login(&engine, &account_id, work.path()).await?;
    report.push(Metric::new("login", login_ms, "ms").note("TCP + TLS + greeting + LOGIN (engine.login)"));
    report.push(
        Metric::new("initial_first_rows_after_login", after_login_ms, "ms")
            .target(300.0)
            .note("after login: CAPABILITY, ENABLE, SELECT, FETCH 50, cache write"),
    );
    report.push(
        Metric::new("initial_sync_peak_rss", peak_rss as f64 / 1024.0, "MB")
            .note("max VmRSS of the whole process sampled every 5 ms during the sync"),
    );

    engine.shutdown()?;
    let cache = dir_size(&engine_dir);
    report.push(
        Metric::new("cache_size_on_disk", cache as f64 / 1e6, "MB")
            .note("allocated blocks of the data dir after shutdown"),
    );
    say(&format!("cache on disk: {:.1} MB", cache as f64 / 1e6));

    // ---------------------------------------------------------------- 3. resync, no changes
    let noop = |_: SyncProgress| {};
    let mut unchanged = Vec::new();
    for _ in 0..7 {
        let started = Instant::now();
        let sync = engine.sync_folder(&account_id, "INBOX", &noop).await?;
        unchanged.push(started.elapsed().as_secs_f64() * 1e3);
        if sync.mode != SyncMode::Unchanged {
            return Err(format!("resync without changes reported {sync:?}").into());
        }
    }
    say(&format!("resync without changes: {unchanged:.1?} ms"));
    report.push(
        Metric::new("resync_unchanged", median(&unchanged), "ms")
            .runs(&unchanged)
            .target(50.0)
            .note("sync_folder incl. login/logout; STATUS says nothing changed"),
    );

    // ---------------------------------------------------------------- 4. resync with changes
    let mut changed_runs = Vec::new();
    let mut counts_ok = true;
    for round in 0..3 {
        make_changes(&engine, &account_id, round).await?;
        let started = Instant::now();
        let sync = engine.sync_folder(&account_id, "INBOX", &noop).await?;
        changed_runs.push(started.elapsed().as_secs_f64() * 1e3);
        let ok = sync.mode == SyncMode::Qresync
            && sync.changed == 100
            && sync.removed == 10
            && sync.added == 10
            && sync.total as usize == n;
        counts_ok &= ok;
        say(&format!(
            "resync after 120 changes: {:.1} ms, {:?} changed {} removed {} added {} total {}{}",
            changed_runs[round],
            sync.mode,
            sync.changed,
            sync.removed,
            sync.added,
            sync.total,
            if ok { "" } else { "  <-- expected Qresync 100/10/10" }
        ));
    }
    report.push(
        Metric::new("resync_120_changes", median(&changed_runs), "ms")
            .runs(&changed_runs)
            .target(150.0)
            .note(if counts_ok {
                "100 flag changes, 10 expunges, 10 APPENDs; report counts correct"
            } else {
                "report counts WRONG (see log)"
            }),
    );
    // ---------------------------------------------------------------- 4b. live: push latency
    push_latency(engine.clone(), &account_id, &mut report).await?;
    engine.shutdown()?;
    drop(engine);

    // ---------------------------------------------------------------- 5. cold start
    let mut cold = Vec::new();
    let mut cold_rss = Vec::new();
    let mut cold_open = Vec::new();
    for _ in 0..7 {
        let (ms, rss, open) = cold_start(&engine_dir, &account_id)?;
        cold.push(ms);
        cold_rss.push(rss);
        cold_open.push(open);
    }
    say(&format!("cold start to first page: {cold:.1?} ms, of which Engine::open {cold_open:.1?} ms"));
    report.push(
        Metric::new("cold_start_first_page", median(&cold), "ms")
            .runs(&cold)
            .target(50.0)
            .note("fresh process: Engine::open + envelopes(0, 50)"),
    );
    report.push(
        Metric::new("cold_start_engine_open", median(&cold_open), "ms")
            .runs(&cold_open)
            .note("the Engine::open part of it"),
    );
    report.push(
        Metric::new("cold_start_rss", median(&cold_rss), "MB")
            .runs(&cold_rss)
            .target(100.0)
            .note("VmHWM of that process, 100k cached"),
    );

    // ---------------------------------------------------------------- where the time goes
    breakdown(&server, &mut report, work.path(), n).await?;

    report.print();
    report.write(&options.out)?;
    say(&format!("wrote {}", options.out.display()));
    Ok(())
}

/// Login time, and time from after login to the first 50 rows in a cache: the engine's
/// `sync_folder` steps run by hand on a fresh [`Store`].
async fn first_screen_after_login(engine: &Engine, id: &str, work: &Path) -> Res<(f64, f64)> {
    let mut logins = Vec::new();
    let mut afters = Vec::new();
    for rep in 0..3 {
        let store = Store::open(&work.join(format!("direct-{rep}")))?;
        let started = Instant::now();
        let session = engine.login(id).await?;
        let logged_in = Instant::now();
        logins.push((logged_in - started).as_secs_f64() * 1e3);
        let first: Arc<Mutex<Option<Instant>>> = Arc::new(Mutex::new(None));
        let slot = first.clone();
        let progress = move |_: SyncProgress| {
            let mut s = slot.lock().unwrap_or_else(|p| p.into_inner());
            if s.is_none() {
                *s = Some(Instant::now());
            }
        };
        let (mut session, negotiated) = negotiate(session, SessionOptions::default()).await?;
        let mut syncer = Syncer {
            session: &mut session,
            store: &store,
            account_id: id,
            negotiated: &negotiated,
            progress: &progress,
            timeouts: tern_core::imap::Timeouts::default(),
        };
        syncer.folder("INBOX").await?;
        let at = first.lock().unwrap_or_else(|p| p.into_inner()).ok_or("no progress reported")?;
        afters.push((at - logged_in).as_secs_f64() * 1e3);
        let _ = session.logout().await;
    }
    say(&format!("login {logins:.1?} ms; first rows after login {afters:.1?} ms"));
    Ok((median(&logins), median(&afters)))
}

/// The live engine on the synced account: time from another client's APPEND to the UI's event
/// batch (IDLE push, incremental sync, coalescing window included), a burst of 1,000 arrivals
/// (how many batches reach the UI), and how long a shutdown takes.
async fn push_latency(engine: Arc<Engine>, id: &str, report: &mut Report) -> Res<()> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Instant, Vec<LiveEvent>)>();
    let sink: EventSink = Arc::new(move |batch| {
        let _ = tx.send((Instant::now(), batch));
    });
    let settings = LiveSettings::default();
    let supervisor = Supervisor::new(engine.clone(), settings, sink);
    supervisor.start(id);
    // Online, caught up, and quiet for two seconds: the IDLE is running.
    let mut online = false;
    loop {
        match tokio::time::timeout(Duration::from_secs(2), rx.recv()).await {
            Ok(Some((_, batch))) => {
                online |= batch.iter().any(|e| {
                    matches!(e, LiveEvent::AccountState { state: AccountState::Online { push: true }, .. })
                });
            }
            Ok(None) => return Err("the live engine stopped".into()),
            Err(_) if online => break,
            Err(_) => {}
        }
    }
    let arrived = |batch: &[LiveEvent]| {
        batch.iter().any(|e| matches!(e, LiveEvent::MailboxChanged { path, added, .. } if path == "INBOX" && !added.is_empty()))
    };
    let mut other = engine.login(id).await?;
    let first_new = other.status("INBOX", "(UIDNEXT)").await?.uid_next.ok_or("no UIDNEXT")?;
    let mut runs = Vec::new();
    for round in 0..7u64 {
        let message = Generator::new(SEED + 5_000 + round).next_message();
        let started = Instant::now();
        other.append("INBOX", None, None, &message.bytes).await?;
        loop {
            let (at, batch) = tokio::time::timeout(Duration::from_secs(10), rx.recv())
                .await?
                .ok_or("the live engine stopped")?;
            if arrived(&batch) {
                runs.push((at - started).as_secs_f64() * 1e3);
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    say(&format!("push latency (APPEND to event batch): {runs:.1?} ms"));
    report.push(Metric::new("push_latency", median(&runs), "ms").runs(&runs).target(1_000.0).note(
        "another client's APPEND to the UI's event batch: IDLE, incremental sync, 150 ms coalescing window",
    ));

    // A burst: 1,000 messages arriving back to back.
    let mut generator = Generator::new(SEED + 6_000);
    let started = Instant::now();
    for _ in 0..1_000 {
        other.append("INBOX", None, None, &generator.next_message().bytes).await?;
    }
    let appended = started.elapsed();
    let (mut batches, mut events, mut added) = (0usize, 0usize, 0usize);
    let mut last = started;
    while let Ok(Some((at, batch))) = tokio::time::timeout(Duration::from_secs(3), rx.recv()).await {
        batches += 1;
        events += batch.len();
        for e in &batch {
            if let LiveEvent::CountsChanged { path, total, .. } = e
                && path == "INBOX"
            {
                added = *total as usize;
            }
        }
        last = at;
    }
    say(&format!(
        "burst of 1,000 arrivals (appended in {:.2} s): {batches} batches, {events} events, in the cache {:.2} s after the first APPEND; INBOX now {added}",
        appended.as_secs_f64(),
        (last - started).as_secs_f64()
    ));
    report.push(
        Metric::new("burst_1000_batches", batches as f64, "batches")
            .note("event batches the UI received while 1,000 messages arrived back to back"),
    );
    report.push(
        Metric::new("burst_1000_events", events as f64, "events").note("events in those batches, all kinds"),
    );
    // Leave the fixture as it was for the next run.
    other.select("INBOX").await?;
    let appended_uids = format!("{first_new}:*");
    let _: Vec<_> = other.uid_store(&appended_uids, "+FLAGS.SILENT (\\Deleted)").await?.try_collect().await?;
    let _: Vec<_> = other.uid_expunge(&appended_uids).await?.try_collect().await?;
    other.logout().await?;

    let started = Instant::now();
    supervisor.shutdown().await;
    let shutdown = started.elapsed().as_secs_f64() * 1e3;
    say(&format!("live shutdown: {shutdown:.1} ms"));
    report.push(
        Metric::new("live_shutdown", shutdown, "ms").note("Supervisor::shutdown: DONE, LOGOUT, tasks joined"),
    );
    Ok(())
}

/// 100 flag changes, 10 expunges and 10 APPENDs from another session. `round` moves the
/// targets so repeated rounds change different messages.
async fn make_changes(engine: &Engine, id: &str, round: usize) -> Res<()> {
    let mut session = engine.login(id).await?;
    session.select("INBOX").await?;
    let mut uids: Vec<u32> = session.uid_search("ALL").await?.into_iter().collect();
    uids.sort_unstable();
    let len = uids.len();
    let pick = |i: usize, salt: usize| uids[(i * (len / 100).max(1) + salt + round * 7) % len];
    let flag_targets: Vec<u32> = (0..100).map(|i| pick(i, 3)).collect();
    let mut expunge_targets: Vec<u32> = (0..10).map(|i| pick(i * 10, 500)).collect();
    expunge_targets.retain(|u| !flag_targets.contains(u));
    let set = |v: &[u32]| v.iter().map(u32::to_string).collect::<Vec<_>>().join(",");

    // Toggle \Flagged so each of the 100 is a real change whatever its state.
    let current: Vec<_> = session.uid_fetch(set(&flag_targets), "(UID FLAGS)").await?.try_collect().await?;
    let flagged: Vec<u32> = current
        .iter()
        .filter(|f| f.flags().any(|fl| matches!(fl, async_imap::types::Flag::Flagged)))
        .filter_map(|f| f.uid)
        .collect();
    let unflagged: Vec<u32> = flag_targets.iter().copied().filter(|u| !flagged.contains(u)).collect();
    if !flagged.is_empty() {
        let _: Vec<_> =
            session.uid_store(set(&flagged), "-FLAGS.SILENT (\\Flagged)").await?.try_collect().await?;
    }
    if !unflagged.is_empty() {
        let _: Vec<_> =
            session.uid_store(set(&unflagged), "+FLAGS.SILENT (\\Flagged)").await?.try_collect().await?;
    }
    let _: Vec<_> =
        session.uid_store(set(&expunge_targets), "+FLAGS.SILENT (\\Deleted)").await?.try_collect().await?;
    let _: Vec<_> = session.uid_expunge(set(&expunge_targets)).await?.try_collect().await?;
    let mut generator = Generator::new(SEED + 1000 + round as u64);
    for _ in 0..10 {
        let message = generator.next_message();
        session.append("INBOX", None, None, &message.bytes).await?;
    }
    session.logout().await?;
    Ok(())
}

/// Runs `tern-bench --cold-open` in a fresh process; returns (ms to first page, VmHWM in MB, ms
/// of that in `Engine::open`).
fn cold_start(data: &Path, id: &str) -> Res<(f64, f64, f64)> {
    let exe = std::env::current_exe()?;
    let out = std::process::Command::new(exe).arg("--cold-open").arg(data).arg(id).output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!("cold-open child failed: {text}{}", String::from_utf8_lossy(&out.stderr)).into());
    }
    let mut fields = text.split_whitespace().map(str::parse::<f64>);
    match (fields.next(), fields.next(), fields.next()) {
        (Some(Ok(ms)), Some(Ok(rss)), Some(Ok(open))) => Ok((ms, rss, open)),
        _ => Err(format!("cold-open child said {text:?}").into()),
    }
}

/// The child side of [`cold_start`]: prints "<ms to first page> <VmHWM MB> <ms in Engine::open>".
fn cold_open_child(data: &Path, id: &str) -> ExitCode {
    let started = Instant::now();
    let mut opened = started;
    let result = (|| -> Res<usize> {
        let engine = Engine::open(data, Arc::new(MemorySecrets::default()))?;
        opened = Instant::now();
        let page = engine.envelopes(id, "INBOX", 0, 50)?;
        Ok(page.rows.len())
    })();
    let elapsed = started.elapsed();
    match result {
        Ok(50) => {
            let hwm = measure::status_kib("VmHWM:").unwrap_or(0);
            println!(
                "{:.3} {:.1} {:.3}",
                elapsed.as_secs_f64() * 1e3,
                hwm as f64 / 1024.0,
                (opened - started).as_secs_f64() * 1e3
            );
            ExitCode::SUCCESS
        }
        Ok(rows) => {
            eprintln!("first page had {rows} rows");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// Replays the initial sync's work in separate, timed phases: the FETCHes as the engine sends
/// them (network + async-imap parsing), turning responses into envelopes (mail-parser), and
/// writing them to a fresh cache.
async fn breakdown(server: &Dovecot, report: &mut Report, work: &Path, n: usize) -> Res<()> {
    let engine = Engine::open(&work.join("breakdown"), Arc::new(MemorySecrets::default()))?;
    let account = engine
        .add_account(
            NewAccount {
                display_name: "Bench".into(),
                email: DEFAULT_USER.into(),
                imap: server.server_settings(DEFAULT_USER, Security::Tls),
            },
            Password::new(DEFAULT_PASSWORD),
        )
        .await?;
    let store = Store::open(&work.join("breakdown-store"))?;
    let fid = store.folder_id_or_create(&account.id, "INBOX")?;
    let mut session = engine.login(&account.id).await?;
    let mbox = session.select("INBOX").await?;
    let total = mbox.exists;
    let (mut fetch_t, mut parse_t, mut store_t) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let (mut top, mut chunk, mut rows) = (total, FIRST_SCREEN, 0usize);
    let rss_before = rss_kib();
    let sampler = RssSampler::start();
    while top > 0 {
        let low = top.saturating_sub(chunk - 1).max(1);
        let t = Instant::now();
        let fetched: Vec<_> =
            session.fetch(format!("{low}:{top}"), ENVELOPE_ITEMS).await?.try_collect().await?;
        fetch_t += t.elapsed();
        let t = Instant::now();
        let envelopes: Vec<_> = fetched.iter().filter_map(envelope).collect();
        parse_t += t.elapsed();
        drop(fetched);
        rows += envelopes.len();
        let t = Instant::now();
        store.apply(fid, FolderChanges { upserts: envelopes, ..Default::default() })?;
        store_t += t.elapsed();
        top = low - 1;
        chunk = CHUNK;
    }
    let t = Instant::now();
    store.flush()?;
    let flush_t = t.elapsed();
    let peak = sampler.stop();
    let _ = session.logout().await;
    if rows != n {
        say(&format!("breakdown: got {rows} envelopes, expected {n}"));
    }
    say(&format!(
        "breakdown: fetch+IMAP parse {:.3} s, envelope parse {:.3} s, cache writes {:.3} s, flush {:.3} s (RSS {:.0} -> peak {:.0} MB)",
        fetch_t.as_secs_f64(),
        parse_t.as_secs_f64(),
        store_t.as_secs_f64(),
        flush_t.as_secs_f64(),
        rss_before as f64 / 1024.0,
        peak as f64 / 1024.0,
    ));
    report.push(
        Metric::new("phase_fetch_and_imap_parse", fetch_t.as_secs_f64(), "s")
            .note("FETCH chunks as the engine sends them, collected by async-imap"),
    );
    report.push(
        Metric::new("phase_envelope_parse", parse_t.as_secs_f64(), "s")
            .note("tern_core::imap::envelope::envelope (mail-parser headers, BODYSTRUCTURE)"),
    );
    report.push(
        Metric::new("phase_cache_writes", (store_t + flush_t).as_secs_f64(), "s")
            .note("Store::apply per chunk + final flush"),
    );
    Ok(())
}
