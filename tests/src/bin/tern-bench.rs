//! Tern's benchmark: how close the engine gets to what the server can deliver.
//!
//! ```text
//! tern-bench [--quick] [--messages N] [--out FILE] [--fixture DIR] [--maildir] [--sync-only | --push-only]
//! tern-bench --host H --port P --security tls|starttls --user U --password-env VAR
//!            [--folder INBOX] [--pin SHA256] [--allow-writes] [--quick] [--out FILE]
//! ```
//!
//! Seeds a real Dovecot on loopback with 100,000 messages in INBOX (`--quick`: 10,000; kept in
//! `--fixture`, default `target/bench-fixture[-quick]`, and reused while its message count and
//! storage match), then measures, each against its reference. The fixture stores its mail as
//! Dovecot's single-dbox, as large installations do; `--maildir` measures on Maildir++ instead
//! (default fixture `target/bench-fixture-maildir[-quick]`), where each session's view of a
//! 100,000-message folder costs the server tens of milliseconds per arrival (see
//! [`MailStorage`]).
//!
//! 1. **Raw floor**: a minimal client (tokio + rustls, no IMAP parsing) sends
//!    `UID FETCH 1:* <ENVELOPE_ITEMS>` and reads until the tagged OK. What the server and the
//!    network can deliver; nothing can sync faster. Taken right before each initial sync, so
//!    that the two are compared on the same machine conditions.
//! 2. **Initial sync**: `Engine::sync_folder` on a fresh data dir: total, time to the first
//!    progress callback (the first screen is in the cache), peak memory, cache size on disk; and
//!    where the time goes (fetch + IMAP parsing, header parsing, cache writes). On the fixture,
//!    the bytes one more (untimed) initial sync moves, through a counting proxy, beside the
//!    floor's.
//! 3. **Resync without changes** (on the fixture, with its bytes), 4. **resync after 100 flag
//!    changes, 10 expunges and 10 APPENDs** (QRESYNC): standalone (`sync_folder`, its login
//!    included) and, on the fixture, as the running app does it (on the live engine's logged-in
//!    command connection), with the bytes it moves.
//! 5. **New mail** (`bench/live.rs`): the live engine on the account while another session
//!    APPENDs 50 messages one at a time (20 with `--quick`): p50 and p99 from the APPEND to the
//!    UI's event batch, next to the server's own floor measured on the same arrivals by a raw
//!    client in IDLE (`* N EXISTS` on its socket), and their difference (Tern's share); then a
//!    burst of 1,000 arrivals.
//! 6. **Opening a message** (`bench/live.rs`): a 50 KB HTML newsletter, uncached (first open
//!    after it was synced) and cached, as the reader's command does it; the bytes it moves,
//!    through a counting proxy.
//! 7. **Cold start to the first page** (a fresh process opens the engine and reads 50 rows).
//! 8. **The list filtered, as conversations, sorted by sender** (`bench/list.rs`): first page
//!    cold and warm.
//!
//! With `--host`, the same harness runs against any IMAP server, read-only: the raw floor, the
//! initial sync, the resync without changes, the cold start, the list, and opening the newest
//! message. `--allow-writes` adds what needs another client to change the folder: the resync
//! after changes (flags toggled back afterwards; only the harness's own messages expunged) and
//! new mail (in INBOX); every message the harness appends carries an `X-Tern-Bench` header and
//! is expunged at the end. The password comes from the environment variable `--password-env`
//! names; the certificate must be trusted by the system (or pinned with `--pin`).
//!
//! Prints a table and writes a JSON file (see BENCHMARKS.md). Must be built in release mode.

#[path = "../bench/list.rs"]
mod list;
#[path = "../bench/live.rs"]
mod live;
#[path = "../bench/mail.rs"]
mod mail;
#[path = "../bench/measure.rs"]
mod measure;
#[path = "../bench/raw.rs"]
mod raw;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_imap::imap_proto::Response;
use futures::TryStreamExt;
use tern_core::Engine;
use tern_core::account::{ImapServer, NewAccount, Security};
use tern_core::imap::Password;
use tern_core::imap::envelope::{ENVELOPE_ITEMS, PendingEnvelopes};
use tern_core::live::LiveSettings;
use tern_core::secrets::SecretStore;
use tern_core::settings::AppSettings;
use tern_core::store::{FolderChanges, Store};
use tern_core::sync::{
    CHUNK, FIRST_SCREEN, SessionOptions, SyncMode, SyncProgress, SyncReport, Syncer, negotiate,
};
use tern_tests::sample::Generator;
use tern_tests::{DEFAULT_PASSWORD, DEFAULT_USER, Dovecot, DovecotOptions, MailStorage, Proxy};

use measure::{
    Metric, Report, RssSampler, SplitCores, cpu_seconds, dir_size, median, rss_kib, tree_cpu_seconds,
};
use raw::{RawClient, RawServer, Trust};

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

/// Another IMAP server than the local fixture.
#[derive(Debug)]
struct Remote {
    host: String,
    port: u16,
    security: Security,
    user: String,
    password: String,
    folder: String,
    pin: Option<String>,
}

#[derive(Debug)]
struct Options {
    quick: bool,
    messages: usize,
    out: PathBuf,
    fixture: PathBuf,
    /// How the local fixture stores its mail.
    storage: MailStorage,
    remote: Option<Remote>,
    allow_writes: bool,
    /// Only the raw floor, the initial sync and its phases (for profiling the sync).
    sync_only: bool,
    /// Only one initial sync, then new-mail latency without the burst (for profiling push).
    push_only: bool,
}

const USAGE: &str = "usage: tern-bench [--quick] [--messages N] [--out FILE] [--fixture DIR] [--maildir]
                  [--sync-only | --push-only]
       tern-bench --host H --port P --security tls|starttls --user U --password-env VAR
                  [--folder INBOX] [--pin SHA256] [--allow-writes] [--quick] [--out FILE]

Without --host: seeds a local Dovecot (100,000 messages; --quick 10,000) and measures everything.
Its mail is stored as single-dbox; --maildir stores it as Maildir++ (in another fixture).
With --host: measures an existing server read-only (raw floor, initial sync, resync, cold start,
list, opening the newest message); --allow-writes adds the resync after changes and new-mail
latency (messages appended to the folder and to INBOX, expunged afterwards; flags restored).
The password is read from the environment variable VAR. --sync-only stops after the initial
sync (and, locally, its phase breakdown): a short run to profile the sync.";

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    // The allocator as the app sets it, so that time and memory are the engine's in the app.
    tern_core::memory::steady_thresholds();
    let args: Vec<String> = std::env::args().skip(1).collect();
    // Internal: the cold-start and cold-list child processes.
    match args.first().map(String::as_str) {
        Some("--cold-open") => {
            return match (args.get(1), args.get(2)) {
                (Some(dir), Some(id)) => {
                    cold_open_child(Path::new(dir), id, args.get(3).map_or("INBOX", String::as_str))
                }
                _ => usage(),
            };
        }
        Some("--cold-list") => return list::cold_list_child(&args[1..]),
        _ => {}
    }
    let options = match parse(&args) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("tern-bench: {e}");
            return usage();
        }
    };
    if cfg!(debug_assertions) {
        eprintln!("tern-bench: this is a debug build; numbers are meaningless. Use `make bench`.");
    }
    live::listen_for_wakes();
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

/// The command line; `None` for `--help`.
fn parse(args: &[String]) -> Res<Option<Options>> {
    let mut quick = false;
    let mut messages = None;
    let mut out = None;
    let mut fixture = None;
    let mut storage = MailStorage::Sdbox;
    let (mut host, mut port, mut security, mut user, mut password_env, mut folder, mut pin) =
        (None, None, None, None, None, None, None);
    let mut allow_writes = false;
    let mut sync_only = false;
    let mut push_only = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let mut value = || rest.next().cloned().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--quick" => quick = true,
            "--messages" => {
                messages = Some(value()?.parse::<usize>().map_err(|e| format!("--messages: {e}"))?)
            }
            "--out" => out = Some(PathBuf::from(value()?)),
            "--fixture" => fixture = Some(PathBuf::from(value()?)),
            "--maildir" => storage = MailStorage::Maildir,
            "--host" => host = Some(value()?),
            "--port" => port = Some(value()?.parse::<u16>().map_err(|e| format!("--port: {e}"))?),
            "--security" => {
                security = Some(match value()?.as_str() {
                    "tls" => Security::Tls,
                    "starttls" => Security::StartTls,
                    other => return Err(format!("--security must be tls or starttls, not {other}").into()),
                })
            }
            "--user" => user = Some(value()?),
            "--password-env" => password_env = Some(value()?),
            "--folder" => folder = Some(value()?),
            "--pin" => pin = Some(value()?),
            "--allow-writes" => allow_writes = true,
            "--sync-only" => sync_only = true,
            "--push-only" => push_only = true,
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let remote = match host {
        None => {
            if port.is_some()
                || security.is_some()
                || user.is_some()
                || password_env.is_some()
                || pin.is_some()
            {
                return Err("--port, --security, --user, --password-env and --pin go with --host".into());
            }
            if folder.as_deref().is_some_and(|f| f != "INBOX") {
                return Err("the local fixture has only INBOX seeded; --folder goes with --host".into());
            }
            None
        }
        Some(host) => {
            if messages.is_some() || fixture.is_some() || storage != MailStorage::Sdbox {
                return Err(
                    "--messages, --fixture and --maildir are for the local fixture, not --host".into()
                );
            }
            let security = security.unwrap_or(Security::Tls);
            let var = password_env.ok_or("--host needs --password-env VAR")?;
            let password =
                std::env::var(&var).map_err(|_| format!("the environment variable {var} is not set"))?;
            Some(Remote {
                port: port.unwrap_or(if security == Security::Tls { 993 } else { 143 }),
                host,
                security,
                user: user.ok_or("--host needs --user")?,
                password,
                folder: folder.unwrap_or_else(|| "INBOX".into()),
                pin,
            })
        }
    };
    let messages = messages.unwrap_or(if quick { 10_000 } else { 100_000 });
    let suffix = if quick { "-quick" } else { "" };
    let storage_suffix = if storage == MailStorage::Maildir { "-maildir" } else { "" };
    let default_out = if remote.is_some() {
        format!("bench/results-remote{suffix}.json")
    } else {
        format!("bench/results{suffix}.json")
    };
    Ok(Some(Options {
        quick,
        messages,
        out: out.unwrap_or_else(|| PathBuf::from(default_out)),
        fixture: fixture
            .unwrap_or_else(|| PathBuf::from(format!("target/bench-fixture{storage_suffix}{suffix}"))),
        storage,
        remote,
        allow_writes,
        sync_only,
        push_only,
    }))
}

fn say(msg: &str) {
    eprintln!("tern-bench: {msg}");
}

/// Starts (seeding if needed) the fixture server with `count` messages in INBOX, stored as
/// `storage` says. The marker file `seeded` says what the fixture holds: `100000 sdbox` (a
/// count alone is an older maildir fixture).
async fn fixture(dir: &Path, count: usize, storage: MailStorage) -> Res<Dovecot> {
    let marker = dir.join("seeded");
    let want = format!("{count} {}", storage.name());
    let seeded = std::fs::read_to_string(&marker).ok().map(|s| {
        let s = s.trim();
        if s.contains(' ') { s.to_string() } else { format!("{s} maildir") }
    });
    let fresh = seeded.as_deref() != Some(want.as_str());
    if fresh {
        let mail = dir.join("mail").join(DEFAULT_USER);
        if mail.exists() {
            say(&format!("fixture holds {seeded:?}, want {want}: reseeding"));
            std::fs::remove_dir_all(&mail)?;
        }
        let _ = std::fs::remove_file(&marker);
    }
    let mut settings = DovecotOptions::default().in_dir(dir);
    settings.storage = storage;
    let server = Dovecot::start(settings)?;
    if fresh {
        let started = Instant::now();
        let report = server.seed(DEFAULT_USER, "INBOX", count, SEED)?;
        say(&format!(
            "seeded {} messages ({:.0} MB) in {:.1} s",
            report.count,
            report.bytes as f64 / 1e6,
            started.elapsed().as_secs_f64()
        ));
        std::fs::write(&marker, &want)?;
    } else {
        say(&format!("reusing the fixture in {} ({want})", server.dir().display()));
    }
    Ok(server)
}

/// The server measured, and how.
#[derive(Debug)]
struct Target<'a> {
    /// The local fixture (the only server with `Some`).
    fixture: Option<&'a Dovecot>,
    /// How the raw client connects.
    raw: RawServer,
    /// The account Tern adds.
    account: NewAccount,
    /// Its login name and password.
    user: String,
    password: String,
    /// The folder measured.
    folder: String,
    /// Whether the harness may change the folder.
    writes: bool,
    /// Messages the folder must hold (the seeded fixture).
    expected: Option<usize>,
    /// Said in the report.
    label: String,
}

async fn run(options: &Options) -> Res<()> {
    match &options.remote {
        Some(remote) => {
            let email = if remote.user.contains('@') {
                remote.user.clone()
            } else {
                format!("{}@{}", remote.user, remote.host)
            };
            let security = if remote.security == Security::Tls { "tls" } else { "starttls" };
            let target = Target {
                fixture: None,
                raw: RawServer {
                    host: remote.host.clone(),
                    port: remote.port,
                    starttls: remote.security == Security::StartTls,
                    trust: Trust::System { pinned: remote.pin.clone() },
                },
                account: NewAccount {
                    display_name: "Bench".into(),
                    email,
                    imap: ImapServer {
                        host: remote.host.clone(),
                        port: remote.port,
                        security: remote.security,
                        username: remote.user.clone(),
                        pinned_cert_sha256: remote.pin.clone(),
                        disable_condstore: false,
                    },
                },
                user: remote.user.clone(),
                password: remote.password.clone(),
                folder: remote.folder.clone(),
                writes: options.allow_writes,
                expected: None,
                label: format!(
                    "{}:{} ({security}), {}{}",
                    remote.host,
                    remote.port,
                    remote.folder,
                    if options.allow_writes { ", writes allowed" } else { ", read-only" }
                ),
            };
            bench(options, &target).await
        }
        None => {
            let server = fixture(&options.fixture, options.messages, options.storage).await?;
            let target = Target {
                fixture: Some(&server),
                raw: RawServer {
                    host: server.host(),
                    port: server.tls_port(),
                    starttls: false,
                    trust: Trust::Only(server.cert_der().to_vec()),
                },
                account: NewAccount {
                    display_name: "Bench".into(),
                    email: DEFAULT_USER.into(),
                    imap: server.server_settings(DEFAULT_USER, Security::Tls),
                },
                user: DEFAULT_USER.into(),
                password: DEFAULT_PASSWORD.into(),
                folder: "INBOX".into(),
                writes: true,
                expected: Some(options.messages),
                label: format!("local Dovecot fixture ({}, implicit TLS)", options.storage.name()),
            };
            bench(options, &target).await
        }
    }
}

async fn bench(options: &Options, target: &Target<'_>) -> Res<()> {
    let folder = target.folder.as_str();
    let token = mail::run_token();

    // ---------------------------------------------------------------- 1. raw floor
    let mut client = RawClient::connect_to(&target.raw).await?;
    client.login(&target.user, &target.password).await?;
    let exists = client.select(folder).await?;
    if let Some(n) = target.expected
        && exists != n as u64
    {
        return Err(format!(
            "INBOX has {exists} messages, expected {n}; remove {} and rerun",
            options.fixture.display()
        )
        .into());
    }
    let n = usize::try_from(exists)?;
    let mut report = Report::new(n, options.quick);
    report.set_server(&target.label);
    say(&format!("measuring {}: {n} messages in {folder}", target.label));
    // The first FETCH after seeding fills Dovecot's own cache (dovecot.index.cache); the
    // floor is what a warm server delivers, so warm it up first.
    let (warm, _) = client.uid_fetch_all(ENVELOPE_ITEMS).await?;
    say(&format!("warm-up fetch: {:.2} s", warm.as_secs_f64()));
    // The floor is taken right before each initial sync (and at least three times), so that both
    // see the same machine: on a shared machine either can vary by a third from one minute to
    // the next.
    let mut floor_runs = Vec::new();
    let mut floor_bytes = 0;

    // ---------------------------------------------------------------- 2. initial sync
    let work = tempfile::Builder::new().prefix("tern-bench-").tempdir()?;
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecrets::default());
    let password = Password::new(target.password.clone());
    // A profiling run (--sync-only) takes more samples of the one thing it measures.
    let reps = if options.sync_only {
        5
    } else if options.push_only {
        1
    } else {
        // Three pairs, so that their median is one of them.
        3
    };
    let mut totals = Vec::new();
    let mut with_logins = Vec::new();
    let mut ratios = Vec::new();
    let mut firsts = Vec::new();
    let mut peak_rss = 0u64;
    let mut engine_dir = PathBuf::new();
    let mut engine = None;
    let mut account_id = String::new();
    // The CPU the local server spends on each FETCH, and the CPU of the client reading it (the
    // floor's client, or Tern): on two cores the server and the client share, the sum bounds
    // the time.
    let server_cpu = || target.fixture.and_then(Dovecot::pid).map_or(0.0, tree_cpu_seconds);
    let (mut floor_cpu, mut floor_server_cpu, mut sync_cpu, mut sync_server_cpu) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for rep in 0..reps.max(3) {
        let (cpu_before, server_before) = (cpu_seconds(), server_cpu());
        let (t, bytes);
        (client, (t, bytes)) = floor_fetch(client).await?;
        let (cpu, server) = (cpu_seconds() - cpu_before, server_cpu() - server_before);
        say(&format!(
            "raw floor: {:.3} s for {:.1} MB ({cpu:.2} s of CPU; the server {server:.2} s)",
            t.as_secs_f64(),
            bytes as f64 / 1e6
        ));
        floor_cpu.push(cpu);
        floor_server_cpu.push(server);
        floor_runs.push(t.as_secs_f64());
        floor_bytes = bytes;
        if rep >= reps {
            continue;
        }
        let data = work.path().join(format!("engine-{rep}"));
        let e = Arc::new(Engine::open(&data, secrets.clone())?);
        let account = e.add_account(target.account.clone(), password.clone()).await?;
        let first: Arc<Mutex<Option<Instant>>> = Arc::new(Mutex::new(None));
        let slot = first.clone();
        let progress = move |_: SyncProgress| {
            let mut s = slot.lock().unwrap_or_else(|p| p.into_inner());
            if s.is_none() {
                *s = Some(Instant::now());
            }
        };
        let rss_before = rss_kib();
        let (cpu_before, server_before) = (cpu_seconds(), server_cpu());
        let sampler = RssSampler::start();
        let started = Instant::now();
        // The floor's client is logged in before its clock starts, so the ratio is taken from
        // the end of the login.
        let (sync, logged_in, ended) = {
            let (e, id, folder) = (e.clone(), account.id.clone(), folder.to_string());
            tokio::spawn(async move { sync_by_hand(&e, e.store(), &id, &folder, &progress).await })
                .await
                .map_err(|err| format!("the sync task failed: {err}"))??
        };
        let total = ended - logged_in;
        let with_login = ended - started;
        let (cpu, server) = (cpu_seconds() - cpu_before, server_cpu() - server_before);
        sync_cpu.push(cpu);
        sync_server_cpu.push(server);
        let peak = sampler.stop();
        let first_at =
            first.lock().unwrap_or_else(|p| p.into_inner()).map(|t| t - started).unwrap_or(with_login);
        if sync.mode != SyncMode::Initial {
            return Err(format!("initial sync reported {sync:?}").into());
        }
        if sync.total as usize != n {
            if target.expected.is_some() {
                return Err(format!("initial sync reported {sync:?}").into());
            }
            say(&format!("initial sync saw {} messages ({n} at the start)", sync.total));
        }
        say(&format!(
            "initial sync #{}: {:.3} s after login ({:.3} s with it; {cpu:.2} s of CPU; the server {server:.2} s), first rows after {:.1} ms, RSS {:.0} MB before, peak {:.0} MB",
            rep + 1,
            total.as_secs_f64(),
            with_login.as_secs_f64(),
            first_at.as_secs_f64() * 1e3,
            rss_before as f64 / 1024.0,
            peak as f64 / 1024.0
        ));
        totals.push(total.as_secs_f64());
        with_logins.push(with_login.as_secs_f64());
        ratios.push(total.as_secs_f64() / t.as_secs_f64());
        firsts.push(first_at.as_secs_f64() * 1e3);
        if rep == 0 {
            // The first sync runs in a process that has done nothing but the raw floor, as the
            // app's engine would; later ones also carry what the earlier engines left behind.
            peak_rss = peak;
        }
        if rep + 1 == reps {
            engine_dir = data;
            account_id = account.id;
            engine = Some(e);
        } else {
            e.shutdown()?;
        }
    }
    // The same pairs with the local server on cores of its own, as when it runs on another
    // machine: the floor is then what the server delivers, and the ratio shows whether Tern keeps
    // up with it (above, the server and the client share two cores, so any CPU the client spends
    // also slows the server down). Not the target's measure; it says where the time goes.
    let mut split_floors = Vec::new();
    let mut split_syncs = Vec::new();
    let mut split_ratios = Vec::new();
    let mut split_cores = None;
    if !options.push_only
        && let Some(split) = target.fixture.and_then(Dovecot::pid).and_then(SplitCores::apply)
    {
        for rep in 0..3 {
            let floor;
            (client, (floor, _)) = floor_fetch(client).await?;
            let e = Arc::new(Engine::open(&work.path().join(format!("split-{rep}")), secrets.clone())?);
            let account = e.add_account(target.account.clone(), password.clone()).await?;
            let (_, logged_in, ended) = {
                let (e, id, folder) = (e.clone(), account.id.clone(), folder.to_string());
                tokio::spawn(async move { sync_by_hand(&e, e.store(), &id, &folder, &|_| {}).await })
                    .await
                    .map_err(|err| format!("the sync task failed: {err}"))??
            };
            e.shutdown()?;
            let sync = (ended - logged_in).as_secs_f64();
            say(&format!(
                "server on cores {}, client on {}: raw floor {:.3} s, initial sync {sync:.3} s",
                split.theirs,
                split.ours,
                floor.as_secs_f64()
            ));
            split_floors.push(floor.as_secs_f64());
            split_syncs.push(sync);
            split_ratios.push(sync / floor.as_secs_f64());
        }
        split_cores = Some(format!("the server on cores {}, the harness on {}", split.theirs, split.ours));
    }
    client.logout().await?;
    let floor = median(&floor_runs);
    report.push(
        Metric::new("raw_floor_uid_fetch", floor, "s")
            .runs(&floor_runs)
            .note("UID FETCH 1:* ENVELOPE_ITEMS, raw TLS socket, warm server, before each initial sync"),
    );
    report.push(Metric::new("raw_floor_bytes", floor_bytes as f64 / 1e6, "MB"));
    let engine = engine.ok_or("no engine")?;
    let id = account_id.as_str();
    let total = median(&totals);
    report.push(
        Metric::new("initial_sync_total", total, "s")
            .runs(&totals)
            .reference(floor, 1.3)
            .note("Engine::sync_folder from the end of the login (CAPABILITY, ENABLE, SELECT, the FETCHes, cache writes); target <= 1.3x raw floor"),
    );
    report.push(
        Metric::new("initial_sync_ratio_paired", median(&ratios), "x")
            .runs(&ratios)
            .target(1.3)
            .note("each sync over the floor taken just before it, median of the pairs"),
    );
    report.push(
        Metric::new("initial_sync_with_login", median(&with_logins), "s")
            .runs(&with_logins)
            .note("the same syncs from before the login (TCP, TLS, greeting, LOGIN)"),
    );
    report.push(
        Metric::new("raw_floor_cpu", median(&floor_cpu), "s")
            .runs(&floor_cpu)
            .note("CPU of the harness's process while the floor's client read the FETCH"),
    );
    report.push(
        Metric::new("initial_sync_cpu", median(&sync_cpu), "s")
            .runs(&sync_cpu)
            .note("CPU of the harness's process during each initial sync (Tern's engine)"),
    );
    if target.fixture.is_some() {
        report.push(
            Metric::new("raw_floor_server_cpu", median(&floor_server_cpu), "s").runs(&floor_server_cpu).note(
                "CPU of the Dovecot fixture (imap, imap-login, ...) while it answered the floor's FETCH",
            ),
        );
        report.push(
            Metric::new("initial_sync_server_cpu", median(&sync_server_cpu), "s")
                .runs(&sync_server_cpu)
                .note("CPU of the Dovecot fixture during each initial sync (login, SELECT, the FETCHes)"),
        );
    }
    if let Some(cores) = &split_cores {
        report.push(
            Metric::new("raw_floor_own_cores", median(&split_floors), "s")
                .runs(&split_floors)
                .note(&format!("the raw floor with {cores}")),
        );
        report.push(
            Metric::new("initial_sync_own_cores", median(&split_syncs), "s")
                .runs(&split_syncs)
                .note(&format!("the initial sync (from the end of the login) with {cores}")),
        );
        report.push(
            Metric::new("initial_sync_ratio_own_cores", median(&split_ratios), "x").runs(&split_ratios).note(
                "each of those syncs over the floor taken just before it, median: whether Tern keeps up with a server that does not share its cores (the target is initial_sync_ratio_paired)",
            ),
        );
    }
    report.push(
        Metric::new("initial_first_rows", median(&firsts), "ms")
            .runs(&firsts)
            .note("start of sync_folder to first progress callback (50 rows cached), incl. login"),
    );

    // The same sync without the engine around it, to separate login from the first screen.
    let (login_ms, after_login_ms) = first_screen_after_login(&engine, id, folder, work.path()).await?;
    report.push(Metric::new("login", login_ms, "ms").note("TCP + TLS + greeting + LOGIN (engine.login)"));
    report.push(
        Metric::new("initial_first_rows_after_login", after_login_ms, "ms")
            .target(300.0)
            .note("after login: CAPABILITY, ENABLE, SELECT, FETCH 50, cache write"),
    );
    report.push(
        Metric::new("initial_sync_peak_rss", peak_rss as f64 / 1024.0, "MB")
            .target(100.0)
            .note("max VmRSS of the whole process sampled every 5 ms during the first sync"),
    );

    engine.shutdown()?;
    let cache = dir_size(&engine_dir);
    report.push(
        Metric::new("cache_size_on_disk", cache as f64 / 1e6, "MB")
            .note("allocated blocks of the data dir after shutdown"),
    );
    say(&format!("cache on disk: {:.1} MB", cache as f64 / 1e6));
    if options.sync_only {
        drop(engine);
        if target.fixture.is_some() {
            breakdown(&target.raw, &mut report, work.path(), n).await?;
        }
        report.print();
        report.write(&options.out)?;
        say(&format!("wrote {}", options.out.display()));
        return Ok(());
    }

    if options.push_only {
        let plan = live::PushPlan {
            id,
            folder,
            token: &token,
            samples: if options.quick { 20 } else { 50 },
            burst: false,
            qresync: server_offers_qresync(&engine, id).await?,
            raw: &target.raw,
            user: &target.user,
            password: &target.password,
        };
        live::push_latency(engine.clone(), &plan, &mut report).await?;
        report.print();
        report.write(&options.out)?;
        say(&format!("wrote {}", options.out.display()));
        return Ok(());
    }

    // ---------------------------------------------------------------- 3. resync, no changes
    let noop = |_: SyncProgress| {};
    let mut unchanged = Vec::new();
    for _ in 0..7 {
        let started = Instant::now();
        let sync = engine.sync_folder(id, folder, &noop).await?;
        unchanged.push(started.elapsed().as_secs_f64() * 1e3);
        if sync.mode != SyncMode::Unchanged {
            if target.expected.is_some() {
                return Err(format!("resync without changes reported {sync:?}").into());
            }
            say(&format!("resync without changes found changes (new mail?): {sync:?}"));
        }
    }
    say(&format!("resync without changes: {unchanged:.1?} ms"));
    report.push(
        Metric::new("resync_unchanged", median(&unchanged), "ms")
            .runs(&unchanged)
            .target(50.0)
            .note("sync_folder incl. login/logout; STATUS says nothing changed"),
    );
    if target.fixture.is_some() {
        sync_traffic(target, secrets.clone(), work.path(), &mut report).await?;
    }

    // ---------------------------------------------------------------- 4. resync with changes
    if target.writes {
        resync_with_changes(&engine, target, id, &token, n, &mut report).await?;
        if target.fixture.is_some() {
            resync_breakdown(&engine, id, &mut report).await?;
            resync_live(engine.clone(), target, id, &mut report).await?;
        }
    }

    // ---------------------------------------------------------------- 5. live: new mail
    let samples = if options.quick { 20 } else { 50 };
    if target.writes && folder == "INBOX" {
        let plan = live::PushPlan {
            id,
            folder,
            token: &token,
            samples,
            burst: target.fixture.is_some(),
            qresync: server_offers_qresync(&engine, id).await?,
            raw: &target.raw,
            user: &target.user,
            password: &target.password,
        };
        live::push_latency(engine.clone(), &plan, &mut report).await?;
    } else if target.writes {
        say("new-mail latency is measured on INBOX only (Tern IDLEs there): use --folder INBOX");
    }

    // ---------------------------------------------------------------- 6. opening a message
    let plan = live::OpenPlan {
        id,
        folder,
        token: &token,
        writes: target.writes,
        email: &target.account.email,
        proxy: target.fixture.map(|server| (server, target.account.clone(), password.clone())),
    };
    live::open_message(engine.clone(), plan, &mut report).await?;

    // Filter words: the generator's for the fixture, the folder's own for another server.
    let words: Vec<String> = if target.fixture.is_some() {
        list::FIXTURE_WORDS.iter().map(|w| w.to_string()).collect()
    } else {
        list::words_from(&engine.envelopes(id, folder, 0, 500)?.rows)
    };
    engine.shutdown()?;
    drop(engine);

    // ---------------------------------------------------------------- 7. cold start
    let mut cold = Vec::new();
    let mut cold_rss = Vec::new();
    let mut cold_open = Vec::new();
    for _ in 0..7 {
        let (ms, rss, open) = cold_start(&engine_dir, id, folder)?;
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
            .note(&format!("VmHWM of that process, {n} cached")),
    );

    // ---------------------------------------------------------------- 8. the list
    list::list_views(&engine_dir, id, folder, &words, &mut report)?;

    // ---------------------------------------------------------------- where the time goes
    if target.fixture.is_some() {
        breakdown(&target.raw, &mut report, work.path(), n).await?;
    }

    report.print();
    report.write(&options.out)?;
    say(&format!("wrote {}", options.out.display()));
    Ok(())
}

/// Whether the account's server offers QRESYNC (so Tern's sessions enable it).
async fn server_offers_qresync(engine: &Engine, id: &str) -> Res<bool> {
    let (mut session, negotiated) = engine.session(id).await?;
    session.logout().await?;
    Ok(negotiated.caps.qresync)
}

/// Three rounds of 100 flag changes, 10 expunges and 10 APPENDs by another session, each
/// followed by a timed `sync_folder`.
async fn resync_with_changes(
    engine: &Engine,
    target: &Target<'_>,
    id: &str,
    token: &str,
    n: usize,
    report: &mut Report,
) -> Res<()> {
    let folder = target.folder.as_str();
    let noop = |_: SyncProgress| {};
    // On the fixture, any messages change; elsewhere only the harness's own are expunged and
    // the flags are toggled back at the end.
    let mut safe = if target.fixture.is_none() {
        let state = SafeChanges::setup(engine, id, folder, token).await?;
        engine.sync_folder(id, folder, &noop).await?;
        Some(state)
    } else {
        None
    };
    let mut changed_runs = Vec::new();
    let mut counts_ok = true;
    for round in 0..3 {
        let flags = match safe.as_mut() {
            Some(state) => state.round(engine, id, folder, token, round).await?,
            None => {
                make_changes(engine, id, round).await?;
                100
            }
        };
        let started = Instant::now();
        let sync = engine.sync_folder(id, folder, &noop).await?;
        changed_runs.push(started.elapsed().as_secs_f64() * 1e3);
        // The fixture offers QRESYNC; another server may not (the counts must be right anyway).
        let ok = (target.fixture.is_none() || sync.mode == SyncMode::Qresync)
            && sync.changed as usize == flags
            && sync.removed == 10
            && sync.added == 10
            && (target.expected.is_none() || sync.total as usize == n);
        counts_ok &= ok;
        say(&format!(
            "resync after {} changes: {:.1} ms, {:?} changed {} removed {} added {} total {}{}",
            flags + 20,
            changed_runs[round],
            sync.mode,
            sync.changed,
            sync.removed,
            sync.added,
            sync.total,
            if ok { "" } else { "  <-- expected Qresync with these counts" }
        ));
    }
    if let Some(state) = safe {
        state.undo(engine, id, folder).await?;
        engine.sync_folder(id, folder, &noop).await?;
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
    Ok(())
}

/// Where a resync after 120 changes spends its time (the fixture only): two more rounds of
/// changes. The first is synced by hand: login and session setup, `Syncer::folder` (STATUS,
/// SELECT, the CHANGEDSINCE fetch, the new envelopes, the cache), logout. Before the second, a
/// plain session notes HIGHESTMODSEQ; after it, the same session times the server's part alone
/// (SELECT, then the CHANGEDSINCE fetch), and the engine catches up untimed.
async fn resync_breakdown(engine: &Engine, id: &str, report: &mut Report) -> Res<()> {
    let noop = |_: SyncProgress| {};
    make_changes(engine, id, 3).await?;
    let started = Instant::now();
    let (mut session, negotiated) = engine.session(id).await?;
    let logged_in = started.elapsed();
    let started = Instant::now();
    let sync = Syncer {
        session: &mut session,
        store: engine.store(),
        account_id: id,
        negotiated: &negotiated,
        progress: &noop,
        timeouts: tern_core::imap::Timeouts::default(),
    }
    .folder("INBOX")
    .await?;
    let synced = started.elapsed();
    let started = Instant::now();
    session.logout().await?;
    let logged_out = started.elapsed();
    if sync.changed + sync.removed + sync.added != 120 {
        say(&format!("resync breakdown: the sync saw {sync:?}"));
    }

    let mut probe = engine.login(id).await?;
    probe.run_command_and_check_ok("ENABLE QRESYNC").await?;
    let modseq = probe.status("INBOX", "(HIGHESTMODSEQ)").await?.highest_modseq.ok_or("no HIGHESTMODSEQ")?;
    make_changes(engine, id, 4).await?;
    let started = Instant::now();
    probe.select_condstore("INBOX").await?;
    let selected = started.elapsed();
    let started = Instant::now();
    let changes: Vec<_> = probe
        .uid_fetch("1:*", format!("(UID FLAGS) (CHANGEDSINCE {modseq} VANISHED)"))
        .await?
        .try_collect()
        .await?;
    let fetched = started.elapsed();
    probe.logout().await?;
    // The same SELECT on a session that logs in after the changes: Dovecot's maildir storage
    // (`--maildir`) answers a session that had the folder open before another session changed it
    // far more slowly, on every later STATUS, SELECT or EXAMINE of it, than one that comes after.
    let mut fresh = engine.login(id).await?;
    fresh.run_command_and_check_ok("ENABLE QRESYNC").await?;
    let started = Instant::now();
    fresh.select_condstore("INBOX").await?;
    let selected_fresh = started.elapsed();
    fresh.logout().await?;
    engine.sync_folder(id, "INBOX", &noop).await?;

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    say(&format!(
        "resync breakdown: login + setup {:.1} ms, sync {:.1} ms, logout {:.1} ms; the server alone: SELECT {:.1} ms (on a session logged in after the changes: {:.1} ms), CHANGEDSINCE fetch {:.1} ms ({} responses)",
        ms(logged_in),
        ms(synced),
        ms(logged_out),
        ms(selected),
        ms(selected_fresh),
        ms(fetched),
        changes.len()
    ));
    report.push(
        Metric::new("phase_resync_login", ms(logged_in), "ms")
            .note("resync after 120 changes: login, compression check, ENABLE, ID, NAMESPACE"),
    );
    report.push(
        Metric::new("phase_resync_sync", ms(synced), "ms")
            .note("Syncer::folder: STATUS, SELECT, CHANGEDSINCE fetch, new envelopes, cache"),
    );
    report.push(Metric::new("phase_resync_logout", ms(logged_out), "ms"));
    report.push(
        Metric::new("phase_resync_server_select", ms(selected), "ms")
            .note("a plain session's SELECT (CONDSTORE) after the same kind of changes, the session logged in (and the folder's STATUS read) before them"),
    );
    report.push(
        Metric::new("phase_resync_server_select_fresh", ms(selected_fresh), "ms")
            .note("the same SELECT on a session logged in after the changes"),
    );
    report.push(
        Metric::new("phase_resync_server_changes", ms(fetched), "ms")
            .note("its UID FETCH 1:* (UID FLAGS) (CHANGEDSINCE m VANISHED)"),
    );
    Ok(())
}

/// The resync after 120 changes as the running app does it (the fixture only): on the account's
/// command connection, which the live engine keeps logged in, so no login or logout is timed.
/// The engine runs without IDLE and without polls, so only the asked sync touches the folder,
/// and without background downloads; the account is re-pointed at a counting proxy (which keeps
/// its cache) for the bytes each resync moves.
async fn resync_live(engine: Arc<Engine>, target: &Target<'_>, id: &str, report: &mut Report) -> Res<()> {
    let Some(server) = target.fixture else { return Ok(()) };
    let folder = target.folder.as_str();
    let saved = engine.settings();
    engine.set_settings(AppSettings { prefetch: false, ..saved.clone() })?;
    let proxy = Proxy::start(server.tls_addr())?;
    let mut via = target.account.clone();
    via.imap.port = proxy.port();
    let password = Password::new(target.password.clone());
    if engine.add_account(via, password.clone()).await?.id != id {
        return Err("re-pointing the account made a new one".into());
    }
    // The round trips of a connection before its first folder: what each connection costs
    // over a slow link, whatever this machine's speed. Re-pointing the account signed in
    // through the proxy: its logout in the background must not count.
    proxy.wait_quiet(Duration::from_millis(300)).await;
    let before = proxy.turns();
    let (session, _) = engine.session(id).await?;
    let connect_turns = proxy.turns() - before;
    drop(session);
    report.push(Metric::new("connect_round_trips", connect_turns as f64, "round trips").note(
        "the server's answers a new connection waits for until it can open a folder: the TLS handshake, the greeting, LOGIN and the session's setup (Engine::session, counted by the proxy)",
    ));
    let settings =
        LiveSettings { idle: false, poll_interval: Duration::from_secs(3600), ..LiveSettings::default() };
    let (supervisor, mut rx) = live::start_with(engine.clone(), id, settings);
    let measured = async {
        live::wait_online(&mut rx).await?;
        let (mut times, mut bytes, mut down) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..3 {
            // Rounds 3 to 5: other messages than the standalone resyncs changed.
            make_changes(&engine, id, 3 + round).await?;
            proxy.reset_traffic();
            let started = Instant::now();
            let reports = supervisor.sync_now(id, Some(folder.to_string())).await?;
            times.push(started.elapsed().as_secs_f64() * 1e3);
            let traffic = proxy.reset_traffic();
            bytes.push(traffic.total() as f64 / 1e3);
            down.push(traffic.to_client as f64 / 1e3);
            let sync = reports.first().ok_or("the sync reported nothing")?;
            say(&format!(
                "resync after 120 changes, on the live connection: {:.1} ms, {:?} changed {} removed {} added {}; {} B down, {} B up",
                times[round], sync.mode, sync.changed, sync.removed, sync.added, traffic.to_client, traffic.to_server
            ));
            if sync.changed != 100 || sync.removed != 10 || sync.added != 10 {
                return Err(format!("the live resync reported {sync:?}").into());
            }
        }
        Ok::<_, BoxError>((times, bytes, down))
    }
    .await;
    supervisor.shutdown().await;
    engine.add_account(target.account.clone(), password).await?;
    engine.set_settings(saved)?;
    let (times, bytes, down) = measured?;
    report.push(
        Metric::new("resync_120_changes_live", median(&times), "ms")
            .runs(&times)
            .target(150.0)
            .note("the same changes, synced as the running app does: Supervisor::sync_now on the command connection it keeps logged in (through a counting proxy)"),
    );
    report.push(Metric::new("resync_120_changes_bytes", median(&bytes), "KB").runs(&bytes).note(&format!(
        "bytes on the wire (TLS included, both ways) for that resync; {:.1} KB from the server",
        median(&down)
    )));
    Ok(())
}

/// The bytes on the wire of an initial sync and of a resync without changes (the fixture only),
/// beside the raw floor's FETCH: one more untimed sync of each, on a fresh engine whose account
/// goes through a counting proxy (the timed syncs connect directly, since the proxy's copying
/// would share the two cores with them).
async fn sync_traffic(
    target: &Target<'_>,
    secrets: Arc<dyn SecretStore>,
    dir: &Path,
    report: &mut Report,
) -> Res<()> {
    let Some(server) = target.fixture else { return Ok(()) };
    let folder = target.folder.as_str();
    let proxy = Proxy::start(server.tls_addr())?;
    let mb = |bytes: u64| bytes as f64 / 1e6;

    let mut raw = RawClient::connect_to(&RawServer { port: proxy.port(), ..target.raw.clone() }).await?;
    raw.login(&target.user, &target.password).await?;
    raw.select(folder).await?;
    proxy.wait_quiet(Duration::from_millis(100)).await;
    proxy.reset_traffic();
    let (_, imap_bytes) = raw.uid_fetch_all(ENVELOPE_ITEMS).await?;
    let floor = proxy.reset_traffic();
    raw.logout().await?;

    let engine = Engine::open(&dir.join("traffic"), secrets)?;
    let mut via = target.account.clone();
    via.imap.port = proxy.port();
    let id = engine.add_account(via, Password::new(target.password.clone())).await?.id;
    let noop = |_: SyncProgress| {};
    let mut measured = Vec::new();
    for expected in [SyncMode::Initial, SyncMode::Unchanged] {
        proxy.wait_quiet(Duration::from_millis(300)).await;
        proxy.reset_traffic();
        let sync = engine.sync_folder(&id, folder, &noop).await?;
        proxy.wait_quiet(Duration::from_millis(300)).await;
        let traffic = proxy.reset_traffic();
        if sync.mode != expected {
            return Err(format!("the sync for its bytes was {:?}, not {expected:?}", sync.mode).into());
        }
        measured.push(traffic);
    }
    engine.shutdown()?;
    let (initial, unchanged) = (measured[0], measured[1]);
    say(&format!(
        "bytes on the wire: initial sync {:.2} MB down, {:.1} KB up; the floor's FETCH {:.2} MB down; resync without changes {} B",
        mb(initial.to_client),
        initial.to_server as f64 / 1e3,
        mb(floor.to_client),
        unchanged.total()
    ));
    report.push(Metric::new("initial_sync_bytes", mb(initial.total()), "MB").note(&format!(
        "bytes on the wire (TLS included, both ways) for one initial sync through a counting proxy, its login and logout included: {:.2} MB from the server, {:.1} KB to it",
        mb(initial.to_client),
        initial.to_server as f64 / 1e3
    )));
    report.push(Metric::new("raw_floor_wire_bytes", mb(floor.total()), "MB").note(&format!(
        "the same for the raw floor's UID FETCH alone, on a session already logged in: {:.2} MB from the server ({:.1} MB of IMAP after TLS: raw_floor_bytes)",
        mb(floor.to_client),
        mb(imap_bytes)
    )));
    report.push(Metric::new("resync_unchanged_bytes", unchanged.total() as f64 / 1e3, "KB").note(&format!(
        "bytes on the wire (TLS included, both ways) for a resync without changes, its login and logout included: {} B from the server",
        unchanged.to_client
    )));
    Ok(())
}

/// The changes of [`resync_with_changes`] on a server that is not the harness's own: the flags
/// of the same messages toggled every round (and once more at the end), and only messages the
/// harness appended expunged.
#[derive(Debug)]
struct SafeChanges {
    /// Messages whose `\Flagged` is toggled.
    flag_targets: Vec<u32>,
    /// The harness's messages expunged by the next round.
    batch: Vec<u32>,
    /// Rounds run.
    toggles: usize,
}

impl SafeChanges {
    /// Picks up to 100 messages spread over the folder and appends the first 10 messages to
    /// expunge.
    async fn setup(engine: &Engine, id: &str, folder: &str, token: &str) -> Res<Self> {
        let mut session = engine.login(id).await?;
        session.select(folder).await?;
        let mut uids: Vec<u32> = session.uid_search("ALL").await?.into_iter().collect();
        uids.sort_unstable();
        let step = (uids.len() / 100).max(1);
        let flag_targets: Vec<u32> = uids.iter().step_by(step).take(100).copied().collect();
        let batch = append_batch(&mut session, folder, token, 999).await?;
        session.logout().await?;
        Ok(Self { flag_targets, batch, toggles: 0 })
    }

    /// One round; returns how many flag changes it made.
    async fn round(
        &mut self,
        engine: &Engine,
        id: &str,
        folder: &str,
        token: &str,
        round: usize,
    ) -> Res<usize> {
        let mut session = engine.login(id).await?;
        session.select(folder).await?;
        toggle_flagged(&mut session, &self.flag_targets).await?;
        self.toggles += 1;
        mail::expunge(&mut session, &self.batch).await?;
        self.batch = append_batch(&mut session, folder, token, round as u64).await?;
        session.logout().await?;
        Ok(self.flag_targets.len())
    }

    /// Puts the flags back and expunges the last batch.
    async fn undo(self, engine: &Engine, id: &str, folder: &str) -> Res<()> {
        let mut session = engine.login(id).await?;
        session.select(folder).await?;
        if self.toggles % 2 == 1 {
            toggle_flagged(&mut session, &self.flag_targets).await?;
        }
        mail::expunge(&mut session, &self.batch).await?;
        session.logout().await?;
        Ok(())
    }
}

/// Appends 10 marked messages to `folder`; returns their UIDs (the folder is selected after).
async fn append_batch(
    session: &mut tern_core::imap::ImapSession,
    folder: &str,
    token: &str,
    round: u64,
) -> Res<Vec<u32>> {
    let from = mail::uid_next(session, folder).await?;
    let mut generator = Generator::new(SEED + 1000 + round);
    for _ in 0..10 {
        session.append(folder, None, None, &mail::marked(token, &generator.next_message().bytes)).await?;
    }
    let uids = mail::marked_uids(session, folder, from, token).await?;
    if uids.len() != 10 {
        return Err(format!("appended 10 messages, found {uids:?}").into());
    }
    Ok(uids)
}

/// Toggles `\Flagged` on `uids` of the selected folder, so each is a real change.
async fn toggle_flagged(session: &mut tern_core::imap::ImapSession, uids: &[u32]) -> Res<()> {
    let current: Vec<_> = session.uid_fetch(mail::uid_set(uids), "(UID FLAGS)").await?.try_collect().await?;
    let flagged: Vec<u32> = current
        .iter()
        .filter(|f| f.flags().any(|fl| matches!(fl, async_imap::types::Flag::Flagged)))
        .filter_map(|f| f.uid)
        .collect();
    let unflagged: Vec<u32> = uids.iter().copied().filter(|u| !flagged.contains(u)).collect();
    if !flagged.is_empty() {
        let _: Vec<_> = session
            .uid_store(mail::uid_set(&flagged), "-FLAGS.SILENT (\\Flagged)")
            .await?
            .try_collect()
            .await?;
    }
    if !unflagged.is_empty() {
        let _: Vec<_> = session
            .uid_store(mail::uid_set(&unflagged), "+FLAGS.SILENT (\\Flagged)")
            .await?
            .try_collect()
            .await?;
    }
    Ok(())
}

/// Login time, and time from after login to the first 50 rows in a cache: the engine's
/// `sync_folder` steps run by hand on a fresh [`Store`].
/// What `Engine::sync_folder` does (login, `negotiate`, `Syncer::folder`, logout), into `store`,
/// with the moments the login and the sync ended.
async fn sync_by_hand(
    engine: &Engine,
    store: &Store,
    id: &str,
    folder: &str,
    progress: &(dyn Fn(SyncProgress) + Send + Sync),
) -> Res<(SyncReport, Instant, Instant)> {
    let session = engine.login(id).await?;
    let logged_in = Instant::now();
    let (mut session, negotiated) = negotiate(session, SessionOptions::default()).await?;
    let report = Syncer {
        session: &mut session,
        store,
        account_id: id,
        negotiated: &negotiated,
        progress,
        timeouts: tern_core::imap::Timeouts::default(),
    }
    .folder(folder)
    .await?;
    let ended = Instant::now();
    let _ = session.logout().await;
    Ok((report, logged_in, ended))
}

async fn first_screen_after_login(engine: &Engine, id: &str, folder: &str, work: &Path) -> Res<(f64, f64)> {
    let mut logins = Vec::new();
    let mut afters = Vec::new();
    for rep in 0..3 {
        let store = Store::open(&work.join(format!("direct-{rep}")))?;
        let started = Instant::now();
        let first: Arc<Mutex<Option<Instant>>> = Arc::new(Mutex::new(None));
        let slot = first.clone();
        let progress = move |_: SyncProgress| {
            let mut s = slot.lock().unwrap_or_else(|p| p.into_inner());
            if s.is_none() {
                *s = Some(Instant::now());
            }
        };
        let (_, logged_in, _) = sync_by_hand(engine, &store, id, folder, &progress).await?;
        logins.push((logged_in - started).as_secs_f64() * 1e3);
        let at = first.lock().unwrap_or_else(|p| p.into_inner()).ok_or("no progress reported")?;
        afters.push((at - logged_in).as_secs_f64() * 1e3);
    }
    say(&format!("login {logins:.1?} ms; first rows after login {afters:.1?} ms"));
    Ok((median(&logins), median(&afters)))
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
fn cold_start(data: &Path, id: &str, folder: &str) -> Res<(f64, f64, f64)> {
    let exe = std::env::current_exe()?;
    let out = std::process::Command::new(exe).arg("--cold-open").arg(data).args([id, folder]).output()?;
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
fn cold_open_child(data: &Path, id: &str, folder: &str) -> ExitCode {
    let started = Instant::now();
    let mut opened = started;
    let mut expected = 50;
    let result = (|| -> Res<usize> {
        let engine = Engine::open(data, Arc::new(MemorySecrets::default()))?;
        opened = Instant::now();
        let page = engine.envelopes(id, folder, 0, 50)?;
        expected = (page.total as usize).min(50);
        Ok(page.rows.len())
    })();
    let elapsed = started.elapsed();
    match result {
        Ok(rows) if rows == expected => {
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

/// Where the initial sync's CPU goes, stage by stage, without the server beside it: the FETCH
/// answers of the whole folder, fetched in the engine's chunks on the raw client and kept as
/// they came off the connection, replayed from memory on one thread through what the engine
/// does with them. Each stage is the best of three rounds (the least disturbed).
async fn breakdown(raw: &RawServer, report: &mut Report, work: &Path, n: usize) -> Res<()> {
    let mut client = RawClient::connect_to(raw).await?;
    client.login(DEFAULT_USER, DEFAULT_PASSWORD).await?;
    let total = u32::try_from(client.select("INBOX").await?)?;
    let mut answers = Vec::new();
    let (mut top, mut chunk) = (total, FIRST_SCREEN);
    while top > 0 {
        let low = top.saturating_sub(chunk - 1).max(1);
        answers.push(client.capture(&format!("FETCH {low}:{top} {ENVELOPE_ITEMS}")).await?);
        top = low - 1;
        chunk = CHUNK;
    }
    let _ = client.logout().await;
    let bytes: usize = answers.iter().map(Vec::len).sum();
    let (mut parse_t, mut read_t, mut headers_t, mut cache_t) = (vec![], vec![], vec![], vec![]);
    let mut rows = 0;
    for round in 0..3 {
        // The reading task's parse: each response in place, as `imap::pipeline` parses it.
        let t = Instant::now();
        let mut responses = 0usize;
        for answer in &answers {
            each_response(answer, |_| responses += 1)?;
        }
        parse_t.push(t.elapsed());
        // The reading task's whole share: the parse and taking each envelope's items in.
        let t = Instant::now();
        let mut pending = Vec::with_capacity(answers.len());
        for answer in &answers {
            let mut chunk = PendingEnvelopes::with_capacity(CHUNK as usize);
            each_response(answer, |response| {
                if let Response::Fetch(_, attributes) = response {
                    chunk.push_attributes(attributes);
                }
            })?;
            pending.push(chunk);
        }
        read_t.push(t.elapsed());
        // The writing side: the header fields (mail-parser) and each envelope's encoding for
        // the cache, then the cache.
        let t = Instant::now();
        let envelopes: Vec<Vec<_>> =
            pending.iter_mut().map(|chunk| chunk.drain_encoded().collect()).collect();
        headers_t.push(t.elapsed());
        rows = envelopes.iter().map(Vec::len).sum();
        let store = Store::open(&work.join(format!("breakdown-{round}")))?;
        let fid = store.folder_id_or_create("bench", "INBOX")?;
        let t = Instant::now();
        for chunk in envelopes {
            store.apply_encoded(fid, FolderChanges { fresh: true, ..Default::default() }, chunk)?;
        }
        cache_t.push(t.elapsed());
        if responses < rows {
            return Err(format!("breakdown: {responses} responses for {rows} envelopes").into());
        }
    }
    if rows != n {
        say(&format!("breakdown: got {rows} envelopes, expected {n}"));
    }
    let ms = |times: &[Duration]| times.iter().map(|t| t.as_secs_f64() * 1e3).collect::<Vec<_>>();
    let best = |times: &[Duration]| times.iter().min().map_or(0.0, |t| t.as_secs_f64() * 1e3);
    say(&format!(
        "breakdown ({:.1} MB of answers): IMAP parse {:.0} ms, reading {:.0} ms, header fields {:.0} ms, cache {:.0} ms",
        bytes as f64 / 1e6,
        best(&parse_t),
        best(&read_t),
        best(&headers_t),
        best(&cache_t),
    ));
    for (name, times, note) in [
        (
            "phase_imap_parse",
            &parse_t,
            "imap-proto parsing every FETCH response in place, as imap::pipeline does",
        ),
        (
            "phase_read",
            &read_t,
            "the reading task's share: that parse and PendingEnvelopes::push_attributes (flags, dates, BODYSTRUCTURE, the header bytes copied)",
        ),
        (
            "phase_header_fields",
            &headers_t,
            "PendingEnvelopes::drain_encoded: each envelope's header fields by mail-parser, encoded for the cache",
        ),
        (
            "phase_cache",
            &cache_t,
            "Store::apply_encoded per chunk into a fresh cache (fresh: true), as the sync writes",
        ),
    ] {
        report.push(Metric::new(name, best(times), "ms").runs(&ms(times)).note(note));
    }
    Ok(())
}

/// Hands each response of an answer captured by [`RawClient::capture`] to `each`, parsed in
/// place by imap-proto.
fn each_response(mut answer: &[u8], mut each: impl FnMut(&Response<'_>)) -> Res<()> {
    while !answer.is_empty() {
        let (rest, response) =
            Response::parse(answer).map_err(|e| format!("breakdown: a response did not parse: {e:?}"))?;
        each(&response);
        answer = rest;
    }
    Ok(())
}

/// The raw floor once: the envelope FETCH of the whole folder on the raw client, run on one of
/// the runtime's workers as the syncs are; its time and the bytes read.
async fn floor_fetch(client: RawClient) -> Res<(RawClient, (Duration, u64))> {
    let (client, fetched) = on_worker(client, |mut c| async move {
        let r = c.uid_fetch_all(ENVELOPE_ITEMS).await;
        (c, r)
    })
    .await?;
    Ok((client, fetched?))
}

/// Runs `f` on one of the runtime's workers, as the app runs its syncs: a future that `block_on`
/// polls is woken from a worker thread at every read, which costs both sides a context switch.
async fn on_worker<C, F, Fut, T>(c: C, f: F) -> Res<(C, T)>
where
    C: Send + 'static,
    F: FnOnce(C) -> Fut,
    Fut: std::future::Future<Output = (C, T)> + Send + 'static,
    T: Send + 'static,
{
    tokio::spawn(f(c)).await.map_err(|e| format!("the task failed: {e}").into())
}
