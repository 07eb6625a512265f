//! The live engine: how fast new mail reaches the UI, next to what the server itself allows
//! (a raw IDLE client on the same folder, measured on the same arrivals), and opening a message
//! in the reader, uncached and cached, with the bytes it moves.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use tern_core::Engine;
use tern_core::account::NewAccount;
use tern_core::imap::ImapSession;
use tern_core::imap::Password;
use tern_core::imap::content::{MessageContent, Shown};
use tern_core::live::idle::NOTIFY_SETS;
use tern_core::live::{
    AccountState, EventSink, FlagChange, LiveEvent, LiveSettings, PUSH_TARGET, Supervisor,
};
use tern_core::render::{RenderOptions, plain_to_html, sanitize_html};
use tern_core::settings::AppSettings;
use tern_tests::sample::Generator;
use tern_tests::{DEFAULT_USER, Dovecot, Proxy};
use tokio::sync::{mpsc, oneshot};

use crate::mail;
use crate::measure::{Metric, Report, median, percentile};
use crate::raw::{Exists, RawClient, RawServer};
use crate::{Res, SEED, say};

/// When the engine's IDLE connection heard the server report a change: the times of its
/// [`PUSH_TARGET`] debug events, in order (the only events it takes: see [`listen_for_wakes`]).
#[derive(Debug, Clone, Default)]
struct Wakes(Arc<Mutex<Vec<Instant>>>);

impl Wakes {
    /// The last wake-up at or after `since`.
    fn last_since(&self, since: Instant) -> Option<Instant> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).iter().rev().find(|&&at| at >= since).copied()
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Wakes {
    fn on_event(&self, _: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(Instant::now());
    }
}

static WAKES: OnceLock<Wakes> = OnceLock::new();

/// Starts noting when the engine's IDLE connection hears of a change (call once, first). With
/// `RUST_LOG` set, the engine's log also goes to stderr, filtered by it.
pub fn listen_for_wakes() {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    let wakes = WAKES
        .get_or_init(Wakes::default)
        .clone()
        .with_filter(tracing_subscriber::filter::filter_fn(|metadata| metadata.target() == PUSH_TARGET));
    let log = std::env::var_os("RUST_LOG").map(|_| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(tracing_subscriber::EnvFilter::from_default_env())
    });
    let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry().with(wakes).with(log));
}

/// Event batches as the UI would receive them, stamped on arrival.
pub type Batches = mpsc::UnboundedReceiver<(Instant, Vec<LiveEvent>)>;

/// Pause between one arrival being seen (by both clients) and the next APPEND. Longer than
/// Dovecot's 500 ms notification delay: a timer armed by one change (or by another session
/// touching the index, such as Tern's background download of the new message) would otherwise
/// tell IDLE clients about the next change early, and the raw client's floor alternates between
/// two phases.
const SPACING: Duration = Duration::from_millis(600);

/// How long one arrival may take to show before the run gives up.
const ARRIVAL_LIMIT: Duration = Duration::from_secs(10);

/// Starts the live engine (default timings) on one account; its event batches come out of the
/// receiver.
fn start(engine: Arc<Engine>, id: &str) -> (Supervisor, Batches) {
    start_with(engine, id, LiveSettings::default())
}

/// [`start`] with other settings.
pub fn start_with(engine: Arc<Engine>, id: &str, settings: LiveSettings) -> (Supervisor, Batches) {
    let (tx, rx) = mpsc::unbounded_channel();
    let sink: EventSink = Arc::new(move |batch| {
        let _ = tx.send((Instant::now(), batch));
    });
    let supervisor = Supervisor::new(engine, settings, sink);
    supervisor.start(id);
    (supervisor, rx)
}

/// Waits until the account is online, caught up and quiet for two seconds; returns whether the
/// server pushes (IDLE running).
pub async fn wait_online(rx: &mut Batches) -> Res<bool> {
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut online = None;
    loop {
        if Instant::now() > deadline {
            return Err("the live engine did not come online within 10 minutes".into());
        }
        match tokio::time::timeout(Duration::from_secs(2), rx.recv()).await {
            Ok(Some((_, batch))) => {
                for event in &batch {
                    if let LiveEvent::AccountState { state, .. } = event {
                        match state {
                            AccountState::Online { push } => online = Some(*push),
                            AccountState::AuthNeeded { reason }
                            | AccountState::CertificateNeeded { reason, .. } => {
                                return Err(format!("the live engine cannot connect: {reason}").into());
                            }
                            AccountState::Offline { reason, .. } => {
                                say(&format!("live engine offline: {reason}"))
                            }
                            _ => {}
                        }
                    }
                }
            }
            Ok(None) => return Err("the live engine stopped".into()),
            Err(_) => {
                if let Some(push) = online {
                    return Ok(push);
                }
            }
        }
    }
}

/// Whether a batch lists new messages in `folder`.
fn arrived(batch: &[LiveEvent], folder: &str) -> bool {
    batch.iter().any(
        |e| matches!(e, LiveEvent::MailboxChanged { path, added, .. } if path == folder && !added.is_empty()),
    )
}

/// Waits for the batch that lists new messages in `folder`; returns when it came.
async fn next_arrival(rx: &mut Batches, folder: &str) -> Res<Instant> {
    loop {
        let (at, batch) = tokio::time::timeout(ARRIVAL_LIMIT, rx.recv())
            .await
            .map_err(|_| format!("no event for the new message within {} s", ARRIVAL_LIMIT.as_secs()))?
            .ok_or("the live engine stopped")?;
        if arrived(&batch, folder) {
            return Ok(at);
        }
    }
}

/// A raw client IDLE on the plan's folder, set up as Tern's IDLE connection is, reporting each
/// `* N EXISTS` with the time it came off the socket.
struct RawIdle {
    heard: mpsc::UnboundedReceiver<Exists>,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Res<()>>,
    seen: u64,
}

impl RawIdle {
    /// Logs in, enables QRESYNC and selects with CONDSTORE (when the server offers QRESYNC),
    /// asks for `notify` (an error when the server takes none of them), and IDLEs.
    async fn start(plan: &PushPlan<'_>, notify: Option<&[&str]>) -> Res<Self> {
        let mut raw = RawClient::connect_to(plan.raw).await?;
        raw.login(plan.user, plan.password).await?;
        if plan.qresync {
            raw.enable_qresync().await?;
        }
        let seen = raw.select_with(plan.folder, if plan.qresync { " (CONDSTORE)" } else { "" }).await?;
        if let Some(requests) = notify
            && !raw.notify(requests).await?
        {
            return Err("the server has no NOTIFY".into());
        }
        raw.idle().await?;
        let (heard_tx, heard) = mpsc::unbounded_channel::<Exists>();
        let (stop, mut stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let result: Res<()> = async {
                loop {
                    tokio::select! {
                        _ = &mut stopped => return Ok(()),
                        exists = raw.next_exists() => {
                            let _ = heard_tx.send(exists?);
                        }
                    }
                }
            }
            .await;
            let _ = raw.logout().await;
            result
        });
        Ok(Self { heard, stop, task, seen })
    }

    /// The next EXISTS that announces more messages than the last.
    async fn next(&mut self) -> Res<Exists> {
        loop {
            let exists = tokio::time::timeout(ARRIVAL_LIMIT, self.heard.recv())
                .await
                .map_err(|_| {
                    format!("the raw IDLE client heard nothing within {} s", ARRIVAL_LIMIT.as_secs())
                })?
                .ok_or("the raw IDLE client stopped")?;
            if exists.count > self.seen {
                self.seen = exists.count;
                return Ok(exists);
            }
        }
    }

    /// Ends the IDLE and logs out.
    async fn stop(self) {
        let _ = self.stop.send(());
        match self.task.await {
            Ok(Err(e)) => say(&format!("raw IDLE client: {e}")),
            Err(e) => say(&format!("raw IDLE client: {e}")),
            Ok(Ok(())) => {}
        }
    }
}

/// What the push measurement needs besides the engine.
#[derive(Debug)]
pub struct PushPlan<'a> {
    /// The account (synced).
    pub id: &'a str,
    /// The folder new mail is appended to (the inbox: Tern IDLEs there).
    pub folder: &'a str,
    /// This run's marker (see [`mail`]).
    pub token: &'a str,
    /// Arrivals to time.
    pub samples: usize,
    /// Also append 1,000 messages back to back (local fixture only).
    pub burst: bool,
    /// The server offers QRESYNC (Tern's IDLE connection enables it; the raw client then does too).
    pub qresync: bool,
    /// Where the raw IDLE client connects.
    pub raw: &'a RawServer,
    /// Its login.
    pub user: &'a str,
    /// Its password.
    pub password: &'a str,
}

/// New-mail latency. The live engine runs on the synced account, raw clients IDLE on the same
/// folder (one as Tern's IDLE connection without NOTIFY, one with NOTIFY as Tern asks it, where
/// the server offers it), and another session APPENDs `samples` messages, one at a time (the
/// next [`SPACING`] after all saw the previous one). Each arrival gives times from the same
/// APPEND: to each raw client's `* N EXISTS` (the server's floor) and to Tern's event batch
/// listing it (end to end); their difference is Tern's share (its incremental sync and the
/// coalescing window, plus the server's jitter between sessions). Then,
/// with `burst`, 1,000 arrivals back to back; the messages are expunged afterwards and the live
/// engine's shutdown is timed.
pub async fn push_latency(engine: Arc<Engine>, plan: &PushPlan<'_>, report: &mut Report) -> Res<()> {
    let folder = plan.folder;
    let (supervisor, mut rx) = start(engine.clone(), plan.id);
    if !wait_online(&mut rx).await? {
        say("the server does not push (no IDLE): new-mail latency not measured");
        supervisor.shutdown().await;
        return Ok(());
    }

    // Raw clients IDLE on the same folder report every EXISTS with its time. They set their
    // sessions up as Tern's IDLE connection does (QRESYNC on, SELECT with CONDSTORE), so the
    // server does the same work to tell them: on a large folder that work is tens of ms. The
    // second also asks for NOTIFY as Tern's connection does (where the server offers it): the
    // server tells such a session by another path, with its own delay.
    let mut plain = RawIdle::start(plan, None).await?;
    let sets: Vec<&str> = NOTIFY_SETS.iter().map(String::as_str).collect();
    let mut notified = RawIdle::start(plan, Some(&sets)).await.ok();
    // A twin of that client: how far apart the server tells two sessions set up alike is the
    // spread any one session (Tern's too) sees beside the other.
    let mut twin = match notified {
        Some(_) => RawIdle::start(plan, Some(&sets)).await.ok(),
        None => None,
    };

    let mut other = engine.login(plan.id).await?;
    let first = mail::uid_next(&mut other, folder).await?;
    let (mut e2e, mut floor, mut share, mut notice_bytes) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut notify_floor, mut notify_share, mut twin_spread) = (Vec::new(), Vec::new(), Vec::new());
    let mut own = Vec::new();
    let wakes = WAKES.get().cloned().unwrap_or_default();
    for i in 0..plan.samples {
        let message = mail::marked(plan.token, &Generator::new(SEED + 5_000 + i as u64).next_message().bytes);
        let started = Instant::now();
        other.append(folder, None, None, &message).await?;
        let tern_at = next_arrival(&mut rx, folder).await?;
        let exists = plain.next().await?;
        // Signed: the server may tell Tern's session before the raw client's.
        let since = |at: Instant| (at - started).as_secs_f64() * 1e3;
        if let Some(client) = &mut notified {
            let heard = since(client.next().await?.at);
            notify_floor.push(heard);
            notify_share.push(since(tern_at) - heard);
            if let Some(twin) = &mut twin {
                twin_spread.push((since(twin.next().await?.at) - heard).abs());
            }
        }
        let total = (tern_at - started).as_secs_f64() * 1e3;
        let server = (exists.at - started).as_secs_f64() * 1e3;
        if let Some(woke) = wakes.last_since(started).filter(|&woke| woke <= tern_at) {
            own.push((tern_at - woke).as_secs_f64() * 1e3);
        }
        e2e.push(total);
        floor.push(server);
        share.push(total - server);
        notice_bytes.push(exists.bytes as f64);
        tokio::time::sleep(SPACING).await;
    }
    for client in [notified, twin].into_iter().flatten() {
        client.stop().await;
    }
    let n = plan.samples;
    let p = |v: &[f64], q: f64| percentile(v, q);
    say(&format!(
        "new mail ({n} arrivals): end to end p50 {:.1} / p99 {:.1} ms; raw IDLE floor p50 {:.1} / p99 {:.1} ms; Tern's share p50 {:.1} / p99 {:.1} ms",
        p(&e2e, 50.0),
        p(&e2e, 99.0),
        p(&floor, 50.0),
        p(&floor, 99.0),
        p(&share, 50.0),
        p(&share, 99.0)
    ));
    report.push(Metric::new("push_latency", p(&e2e, 50.0), "ms").runs(&e2e).target(1_000.0).note(&format!(
        "p50 of {n}: another client's APPEND to the UI's event batch listing it (IDLE, incremental sync, 150 ms coalescing window)"
    )));
    report.push(
        Metric::new("push_latency_p99", p(&e2e, 99.0), "ms")
            .target(1_000.0)
            .note(&format!("p99 (nearest rank) of the same {n} arrivals")),
    );
    report.push(Metric::new("push_floor_idle", p(&floor, 50.0), "ms").runs(&floor).note(&format!(
        "p50 of {n}: the same APPENDs to the untagged EXISTS on a raw client IDLE on the folder (the server's own delay)"
    )));
    report.push(Metric::new("push_floor_idle_p99", p(&floor, 99.0), "ms").note("p99 of the raw IDLE floor"));
    report.push(Metric::new("push_tern_share", p(&share, 50.0), "ms").runs(&share).target(50.0).note(
        "p50 over arrivals of (end to end - raw IDLE floor): Tern's incremental sync and coalescing window; target: end to end <= floor + 50 ms",
    ));
    report.push(
        Metric::new("push_tern_share_p99", p(&share, 99.0), "ms")
            .target(50.0)
            .note("p99 over arrivals of (end to end - raw IDLE floor)"),
    );
    if notify_floor.len() == n {
        say(&format!(
            "raw IDLE floor with NOTIFY as Tern asks it: p50 {:.1} / p99 {:.1} ms; Tern's share beside it p50 {:.1} / p99 {:.1} ms",
            p(&notify_floor, 50.0),
            p(&notify_floor, 99.0),
            p(&notify_share, 50.0),
            p(&notify_share, 99.0)
        ));
        report.push(Metric::new("push_floor_idle_notify", p(&notify_floor, 50.0), "ms").runs(&notify_floor).note(
            "p50: the same APPENDs to the EXISTS on a raw client that also asked for NOTIFY as Tern's IDLE connection does",
        ));
        report.push(
            Metric::new("push_floor_idle_notify_p99", p(&notify_floor, 99.0), "ms").note("p99 of the same"),
        );
        report.push(
            Metric::new("push_tern_share_notify", p(&notify_share, 50.0), "ms")
                .runs(&notify_share)
                .target(50.0)
                .note("p50 over arrivals of (end to end - that floor): what Tern adds beside a session set up as its own"),
        );
        report.push(
            Metric::new("push_tern_share_notify_p99", p(&notify_share, 99.0), "ms")
                .target(50.0)
                .note("p99 of the same"),
        );
    }
    if twin_spread.len() == n {
        say(&format!(
            "two raw clients set up alike (IDLE with NOTIFY) told of the same arrival: apart by p50 {:.1} / p99 {:.1} ms",
            p(&twin_spread, 50.0),
            p(&twin_spread, 99.0)
        ));
        report.push(Metric::new("push_floor_twin_spread", p(&twin_spread, 50.0), "ms").runs(&twin_spread).note(
            "p50 over arrivals of how far apart the server told two raw clients set up alike (IDLE with NOTIFY as Tern asks it): the server's own spread between sessions",
        ));
        report.push(
            Metric::new("push_floor_twin_spread_p99", p(&twin_spread, 99.0), "ms").note("p99 of the same"),
        );
    }
    if own.len() == n {
        say(&format!(
            "new mail, Tern's own part (the IDLE connection hearing of it to the UI's event): p50 {:.1} / p99 {:.1} ms",
            p(&own, 50.0),
            p(&own, 99.0)
        ));
        report.push(Metric::new("push_tern_own", p(&own, 50.0), "ms").runs(&own).note(
            "p50: from the engine's IDLE connection reading the server's news (its tern::push event) to the UI's event batch",
        ));
        report.push(
            Metric::new("push_tern_own_p99", p(&own, 99.0), "ms")
                .target(20.0)
                .note("p99 (nearest rank) of the same"),
        );
    } else {
        say(&format!("Tern's own part measured for {} of {n} arrivals: not reported", own.len()));
    }
    report.push(
        Metric::new("push_floor_idle_bytes", median(&notice_bytes), "B")
            .runs(&notice_bytes)
            .note("IMAP bytes the raw IDLE client read per arrival (the EXISTS line and what came with it)"),
    );
    let mut appended = n;

    if plan.burst {
        let mut generator = Generator::new(SEED + 6_000);
        let started = Instant::now();
        for _ in 0..1_000 {
            other
                .append(folder, None, None, &mail::marked(plan.token, &generator.next_message().bytes))
                .await?;
        }
        appended += 1_000;
        let sent = started.elapsed();
        let (mut batches, mut events, mut total) = (0usize, 0usize, 0usize);
        let (mut last, mut all_in) = (started, started);
        while let Ok(Some((at, batch))) = tokio::time::timeout(Duration::from_secs(3), rx.recv()).await {
            batches += 1;
            events += batch.len();
            for e in &batch {
                if let LiveEvent::CountsChanged { path, total: t, .. } = e
                    && path == folder
                    && *t as usize > total
                {
                    total = *t as usize;
                    all_in = at;
                }
            }
            last = at;
        }
        let secs = |at: Instant| (at - started).as_secs_f64();
        // The raw IDLE client stayed on through the burst: when the server told it of the last
        // arrival is the floor of the trail.
        let mut floor_in = None;
        while let Ok(exists) = plain.heard.try_recv() {
            if exists.count as usize >= total && floor_in.is_none() {
                floor_in = Some(exists.at);
            }
        }
        if let Some(at) = floor_in {
            say(&format!(
                "the raw IDLE client heard of the last arrival {:.2} s after the first APPEND",
                secs(at)
            ));
            report.push(Metric::new("burst_1000_floor_trail", secs(at) - sent.as_secs_f64(), "s").note(
                "the same for the raw IDLE client, on through the burst: from the last APPEND's answer until the server told it of the last arrival",
            ));
        }
        say(&format!(
            "burst of 1,000 arrivals (appended in {:.2} s): {batches} batches, {events} events; {folder} at its final count ({total}) {:.2} s after the first APPEND, the last event {:.2} s after it",
            sent.as_secs_f64(),
            secs(all_in),
            secs(last),
        ));
        report.push(
            Metric::new("burst_1000_append", sent.as_secs_f64(), "s")
                .note("another client's 1,000 APPENDs back to back, the server's own pace"),
        );
        report.push(
            Metric::new("burst_1000_trail", secs(all_in) - sent.as_secs_f64(), "s")
                .note("from the last APPEND's answer until the window's count includes it (the IDLE connection keeping up)"),
        );
        report.push(Metric::new("burst_1000_last_event", secs(last) - sent.as_secs_f64(), "s").note(
            "from the last APPEND's answer until the window's last event (background downloads included)",
        ));
        report.push(
            Metric::new("burst_1000_batches", batches as f64, "batches")
                .note("event batches the UI received while 1,000 messages arrived back to back"),
        );
        report.push(
            Metric::new("burst_1000_events", events as f64, "events")
                .note("events in those batches, all kinds"),
        );
    }

    plain.stop().await;

    // Leave the folder as it was.
    let removed = mail::expunge_marked(&mut other, folder, first, plan.token).await?;
    if removed != appended {
        say(&format!("cleanup: expunged {removed} of the {appended} messages appended"));
    }
    let _ = other.logout().await;

    let started = Instant::now();
    supervisor.shutdown().await;
    let shutdown = started.elapsed().as_secs_f64() * 1e3;
    say(&format!("live shutdown: {shutdown:.1} ms"));
    report.push(
        Metric::new("live_shutdown", shutdown, "ms").note("Supervisor::shutdown: DONE, LOGOUT, tasks joined"),
    );
    Ok(())
}

/// What the reader's document costs beyond the content: the shell's `build_view` runs each
/// shown part through the one HTML policy (or plain text to HTML) with links routed through the
/// app and remote content blocked. Returns the HTML's length.
pub fn render(content: &MessageContent) -> usize {
    let base = "tern-part://localhost/";
    let known_cids = content
        .inline
        .iter()
        .enumerate()
        .map(|(i, image)| (image.content_id.clone(), format!("p{i}")))
        .collect();
    let mut options = RenderOptions {
        allow_remote: false,
        cid_base: format!("{base}part/"),
        known_cids,
        fold_quotes: true,
        link_base: None,
    };
    let mut len = 0;
    for (i, shown) in content.shown.iter().enumerate() {
        options.link_base = Some(format!("{base}link/bench/{i}/"));
        let clean = match shown {
            Shown::Html(html) => sanitize_html(html, &options),
            Shown::Text(text) => plain_to_html(text, &options),
        };
        len += clean.html.len();
    }
    std::hint::black_box(len)
}

/// What the open measurement needs besides the engine.
#[derive(Debug)]
pub struct OpenPlan<'a> {
    /// The account (synced).
    pub id: &'a str,
    /// The folder.
    pub folder: &'a str,
    /// This run's marker.
    pub token: &'a str,
    /// Append the benchmark's own newsletter (otherwise: open the newest message).
    pub writes: bool,
    /// The account's address (the newsletter's recipient).
    pub email: &'a str,
    /// The local fixture, the account's settings and password: the bytes are counted through a
    /// [`Proxy`] on a second, identical message.
    pub proxy: Option<(&'a Dovecot, NewAccount, Password)>,
}

/// HTML newsletters appended for [`open_message`]: the first is opened uncached, the second
/// through the counting proxy, the next four one after the other as the next in the folder, the
/// last two read and marked read as the reader does it.
const NEWSLETTERS: u32 = 8;

/// The delay each way of the slow link the harness measures over: a 50 ms round trip, as to a
/// server across a continent.
const SLOW_LINK_ONE_WAY: Duration = Duration::from_millis(25);

/// Small folders of the fixture that another client changes for the catch-up over a slow link.
const CATCH_UP_FOLDERS: usize = 4;

/// The fixture's small folders for the catch-up, created (with a few messages each) the first
/// time: `Bench catch-up 1` and on.
fn catch_up_folders(server: &Dovecot) -> Res<Vec<String>> {
    let mut names = Vec::new();
    let mut generator = Generator::new(SEED + 9_000);
    for n in 1..=CATCH_UP_FOLDERS {
        let name = format!("Bench catch-up {n}");
        let status = ["mailbox", "status", "-u", DEFAULT_USER, "messages", name.as_str()];
        let messages = match server.doveadm(&status) {
            Ok(out) => out.trim().parse::<u32>().unwrap_or(0),
            Err(_) => {
                server.doveadm(&["mailbox", "create", "-u", DEFAULT_USER, &name])?;
                0
            }
        };
        for _ in messages..10 {
            server.append(DEFAULT_USER, &name, &generator.next_message().bytes)?;
        }
        names.push(name);
    }
    Ok(names)
}

/// Changes the flags of the first message of each folder of `folders` (`store`: a STORE's item
/// and value, e.g. `+FLAGS (\Flagged)`), as another client.
async fn star_first_in_each(other: &mut ImapSession, folders: &[String], store: &str) -> Res<()> {
    for folder in folders {
        other.select(folder).await?;
        let _: Vec<_> = futures::TryStreamExt::try_collect(other.store("1", store).await?).await?;
    }
    other.run_command_and_check_ok("UNSELECT").await?;
    Ok(())
}

/// Opening a message as the reader does (`Supervisor::message_content`, what the shell's
/// `open_message` command calls, then the HTML policy): uncached (the first open after the
/// message was synced: two FETCHes of only the shown parts) and cached (the content cache).
/// Background downloads are off meanwhile, so the message is not fetched before it is opened.
pub async fn open_message(engine: Arc<Engine>, plan: OpenPlan<'_>, report: &mut Report) -> Res<()> {
    let saved = engine.settings();
    engine.set_settings(AppSettings { prefetch: false, ..saved.clone() })?;
    let result = open_inner(engine.clone(), plan, report).await;
    engine.set_settings(saved)?;
    result
}

async fn open_inner(engine: Arc<Engine>, plan: OpenPlan<'_>, report: &mut Report) -> Res<()> {
    let (id, folder) = (plan.id, plan.folder);
    let (supervisor, mut rx) = start(engine.clone(), id);
    wait_online(&mut rx).await?;
    let mut other = if plan.writes { Some(engine.login(id).await?) } else { None };
    let mut first = None;
    let mut html_len = None;
    let mut uids = Vec::new();
    if let Some(other) = other.as_mut() {
        let from = mail::uid_next(other, folder).await?;
        first = Some(from);
        for index in 1..=NEWSLETTERS {
            let (message, len) = mail::html_newsletter(plan.token, index, plan.email);
            other.append(folder, None, None, &message).await?;
            html_len = Some(len);
        }
        uids = mail::marked_uids(other, folder, from, plan.token).await?;
        if uids.len() != NEWSLETTERS as usize {
            return Err(format!("appended {NEWSLETTERS} newsletters, found {uids:?}").into());
        }
        supervisor.sync_now(id, Some(folder.to_string())).await?;
    } else {
        let page = engine.envelopes(id, folder, 0, 1)?;
        uids.push(page.rows.first().ok_or("the folder is empty: nothing to open")?.uid);
    }
    let uid = uids[0];
    let envelope = engine.envelope(id, folder, uid)?.ok_or("the message to open is not in the cache")?;
    if engine.cached_content(id, folder, uid)?.is_some() {
        say("the message to open was already downloaded: its uncached open is not measured");
    }

    let started = Instant::now();
    let content = supervisor.message_content(id, folder, uid).await?.ok_or("the message is gone")?;
    render(&content);
    let uncached = started.elapsed().as_secs_f64() * 1e3;
    let shown: usize = content
        .shown
        .iter()
        .map(|s| match s {
            Shown::Html(h) => h.len(),
            Shown::Text(t) => t.len(),
        })
        .sum();
    if engine.cached_content(id, folder, uid)?.is_none() {
        say("the opened message was not kept in the content cache");
    }
    // Reading on: the other newsletters of the same folder, not downloaded yet, one after the
    // other (the folder is still open on the command connection). The second is kept for the
    // bytes, below.
    let mut next = Vec::new();
    for &later in uids.iter().skip(2).take(4) {
        let started = Instant::now();
        let content = supervisor.message_content(id, folder, later).await?.ok_or("the message is gone")?;
        render(&content);
        next.push(started.elapsed().as_secs_f64() * 1e3);
    }
    // New mail opened as soon as the window lists it: another newsletter arrives while the
    // folder is open on the command connection (which opened it before the arrival), the IDLE
    // connection brings it into the cache, and it is opened at once.
    let mut arrivals = Vec::new();
    if let Some(other) = other.as_mut() {
        let mut from = uids.iter().max().map_or(1, |uid| uid + 1);
        for index in 1..=3 {
            let (message, _) = mail::html_newsletter(plan.token, NEWSLETTERS + index, plan.email);
            while rx.try_recv().is_ok() {}
            other.append(folder, None, None, &message).await?;
            next_arrival(&mut rx, folder).await?;
            let &uid = mail::marked_uids(other, folder, from, plan.token)
                .await?
                .first()
                .ok_or("the new newsletter is not on the server")?;
            from = uid + 1;
            let started = Instant::now();
            let content = supervisor.message_content(id, folder, uid).await?.ok_or("the message is gone")?;
            render(&content);
            arrivals.push(started.elapsed().as_secs_f64() * 1e3);
        }
    }
    // Stars in that folder, one after the other, as the window asks for them: each returns once
    // the server has it and the folder is synced (the first after the reads above selects the
    // folder, which they opened read-only).
    let mut stars = Vec::new();
    if other.is_some() {
        for &starred in uids.iter().take(3) {
            let started = Instant::now();
            let change = FlagChange { seen: None, flagged: Some(true) };
            supervisor.set_flags(id, folder, vec![starred], change).await?;
            stars.push(started.elapsed().as_secs_f64() * 1e3);
        }
    }
    // Unread mail opened and marked read, as the reader does (the content, then the change):
    // the first in a folder that is not open on the command connection (a sync of every
    // folder left it), then the next one there.
    let mut marked = Vec::new();
    if other.is_some() {
        supervisor.sync_now(id, None).await?;
        for &unread in uids.iter().skip(6) {
            let started = Instant::now();
            let content =
                supervisor.message_content(id, folder, unread).await?.ok_or("the message is gone")?;
            render(&content);
            let read = FlagChange { seen: Some(true), flagged: None };
            supervisor.set_flags(id, folder, vec![unread], read).await?;
            marked.push(started.elapsed().as_secs_f64() * 1e3);
        }
    }
    let mut cached = Vec::new();
    for _ in 0..7 {
        let started = Instant::now();
        let content = supervisor.message_content(id, folder, uid).await?.ok_or("the message is gone")?;
        render(&content);
        cached.push(started.elapsed().as_secs_f64() * 1e3);
    }
    let mut renders = Vec::new();
    for _ in 0..7 {
        let started = Instant::now();
        render(&content);
        renders.push(started.elapsed().as_secs_f64() * 1e3);
    }
    supervisor.shutdown().await;
    let what = match html_len {
        Some(len) => format!("a {:.0} KB HTML newsletter", len as f64 / 1e3),
        None => format!(
            "the newest message ({:.0} KB, {:.0} KB of shown text)",
            envelope.size as f64 / 1e3,
            shown as f64 / 1e3
        ),
    };
    say(&format!(
        "open {what}: uncached {uncached:.1} ms (the next ones in the folder {}; new mail {arrivals:.1?} ms), cached {cached:.2?} ms, render alone {renders:.2?} ms",
        if next.is_empty() { "not measured".into() } else { format!("{next:.1?} ms") }
    ));
    report.push(Metric::new("open_message_uncached", uncached, "ms").note(&format!(
        "first open of {what} after it was synced: message_content (EXAMINE, FETCH of the shown parts, decode, cache) + HTML policy"
    )));
    if !next.is_empty() {
        report.push(Metric::new("open_message_uncached_next", median(&next), "ms").runs(&next).note(
            "right after it, the first opens of other such messages in the same folder, one after the other (reading on: the folder is still open); median",
        ));
    }
    if !arrivals.is_empty() {
        report.push(Metric::new("open_message_arrived", median(&arrivals), "ms").runs(&arrivals).note(
            "new mail opened as soon as the window lists it: a newsletter another client APPENDed while the folder was open on the command connection, synced by the IDLE connection; median of 3",
        ));
    }
    if !stars.is_empty() {
        say(&format!("stars in the open folder: {stars:.1?} ms"));
        report.push(Metric::new("flag_change", median(&stars), "ms").runs(&stars).note(
            "a star as the window sets it (Supervisor::set_flags: the STORE on the command connection, its answer kept in the cache), three in a row in the folder the reads left open; median",
        ));
    }
    if let [first, next, ..] = marked[..] {
        say(&format!("unread mail opened and marked read: {first:.1} ms, then {next:.1} ms"));
        report.push(Metric::new("read_and_mark_read", first, "ms").note(
            "an unread message opened (uncached) and marked read as the reader does, in a folder not open on the command connection: message_content + HTML policy + set_flags(seen), until the server has the change",
        ));
        report.push(
            Metric::new("read_and_mark_read_next", next, "ms")
                .note("right after it, the same for the next unread message of that folder"),
        );
    }
    report.push(
        Metric::new("open_message_cached", median(&cached), "ms")
            .runs(&cached)
            .target(20.0)
            .note("the same message again: content cache + HTML policy, median of 7"),
    );
    report.push(
        Metric::new("open_message_render", median(&renders), "ms")
            .runs(&renders)
            .note("the HTML policy alone (sanitize_html, links routed, remote content blocked)"),
    );

    // Over a slow link: the second newsletter opened through a counting proxy that delays each
    // way by SLOW_LINK_ONE_WAY, for the bytes on the wire and the round trips (each costs a
    // user far from the server a whole round trip's time), then starred; and one arrival.
    if let (Some((server, direct, password)), Some(&second)) = (plan.proxy, uids.get(1)) {
        let catch_up = catch_up_folders(server)?;
        let proxy = Proxy::start_with_delay(server.tls_addr(), SLOW_LINK_ONE_WAY)?;
        let mut via = direct.clone();
        via.imap.port = proxy.port();
        // The account's id is its address and host: re-pointing it keeps its cache.
        let account = engine.add_account(via, password.clone()).await?;
        if account.id != id {
            return Err(format!("re-pointing the account made a new one ({})", account.id).into());
        }
        let rtt = (SLOW_LINK_ONE_WAY * 2).as_secs_f64() * 1e3;
        // Only what is measured crosses while it is counted (re-pointing the account signed in
        // through the proxy and logs out in the background; the account starts with syncs).
        let quiet = || proxy.wait_quiet(Duration::from_millis(300));
        quiet().await;
        // A new connection, until it can open a folder.
        let turns = proxy.turns();
        let started = Instant::now();
        let (session, _) = engine.session(id).await?;
        let connect_ms = started.elapsed().as_secs_f64() * 1e3;
        let connect_turns = proxy.turns() - turns;
        drop(session);
        let (supervisor, mut rx) = start(engine.clone(), id);
        wait_online(&mut rx).await?;
        quiet().await;
        proxy.reset_traffic();
        let turns = proxy.turns();
        let started = Instant::now();
        supervisor.message_content(id, folder, second).await?.ok_or("the message is gone")?;
        let open_ms = started.elapsed().as_secs_f64() * 1e3;
        let open_turns = proxy.turns() - turns;
        let opened = proxy.reset_traffic();
        let turns = proxy.turns();
        let started = Instant::now();
        supervisor
            .set_flags(id, folder, vec![second], FlagChange { seen: None, flagged: Some(true) })
            .await?;
        let star_ms = started.elapsed().as_secs_f64() * 1e3;
        let star_turns = proxy.turns() - turns;
        proxy.reset_traffic();
        // Another client stars a message in each of the small folders: a full pass (what the
        // account does at start-up and at every poll) catches up on all of them.
        let mut caught_up = None;
        if let Some(other) = other.as_mut() {
            star_first_in_each(other, &catch_up, "+FLAGS (\\Flagged)").await?;
            quiet().await;
            let turns = proxy.turns();
            let started = Instant::now();
            let reports = supervisor.sync_now(id, None).await?;
            let ms = started.elapsed().as_secs_f64() * 1e3;
            let turns = proxy.turns() - turns;
            let changed: u32 = reports.iter().filter(|r| catch_up.contains(&r.path)).map(|r| r.changed).sum();
            if changed != catch_up.len() as u32 {
                return Err(format!("the catch-up saw {changed} of the changes: {reports:?}").into());
            }
            star_first_in_each(other, &catch_up, "-FLAGS (\\Flagged)").await?;
            supervisor.sync_now(id, None).await?;
            quiet().await;
            proxy.reset_traffic();
            caught_up = Some((ms, turns));
        }
        // One arrival (background downloads off): the IDLE notice and the incremental sync.
        let mut arrival = None;
        if let Some(other) = other.as_mut() {
            let message = mail::marked(plan.token, &Generator::new(SEED + 7_000).next_message().bytes);
            other.append(folder, None, None, &message).await?;
            next_arrival(&mut rx, folder).await?;
            tokio::time::sleep(Duration::from_millis(300) + SLOW_LINK_ONE_WAY * 8).await;
            arrival = Some(proxy.reset_traffic());
        }
        supervisor.shutdown().await;
        engine.add_account(direct, password).await?;
        say(&format!(
            "over a {rtt:.0} ms round trip: connecting {connect_ms:.0} ms ({connect_turns} round trips), opening uncached {open_ms:.0} ms ({open_turns}; {} B down, {} B up), a star {star_ms:.0} ms ({star_turns}){}",
            opened.to_client,
            opened.to_server,
            arrival
                .map(|a| format!("; one arrival: {} B down, {} B up", a.to_client, a.to_server))
                .unwrap_or_default()
        ));
        let slow = |name: &str, ms: f64, turns: u64, what: &str| {
            Metric::new(name, ms, "ms").note(&format!(
                "{what}, over a link with a {rtt:.0} ms round trip (the local server behind a delaying proxy): {turns} round trips"
            ))
        };
        report.push(slow("slow_link_connect", connect_ms, connect_turns, "a new connection until it can open a folder (Engine::session: TLS, greeting, LOGIN, the session's setup)"));
        report.push(Metric::new("slow_link_connect_round_trips", connect_turns as f64, "round trips"));
        report.push(slow(
            "slow_link_open_uncached",
            open_ms,
            open_turns,
            "the uncached open of a newsletter right after the account came online, its folder not open on the command connection yet (message_content: the SELECT and the FETCH together)",
        ));
        report.push(Metric::new("slow_link_open_uncached_round_trips", open_turns as f64, "round trips"));
        report.push(slow(
            "slow_link_flag_change",
            star_ms,
            star_turns,
            "then a star on it (set_flags, until the server has answered and the cache holds its answer)",
        ));
        report.push(Metric::new("slow_link_flag_change_round_trips", star_turns as f64, "round trips"));
        if let Some((ms, turns)) = caught_up {
            report.push(slow(
                "slow_link_catch_up",
                ms,
                turns,
                &format!(
                    "a full pass after another client changed a message in each of {} folders (Supervisor::sync_now of every folder: the quota, the folder list with its counts, the changed folders' SELECTs, leaving the last one)",
                    catch_up.len()
                ),
            ));
            report.push(Metric::new("slow_link_catch_up_round_trips", turns as f64, "round trips"));
        }
        report.push(Metric::new("open_message_uncached_bytes", opened.total() as f64 / 1e3, "KB").note(
            &format!(
                "bytes on the wire (TLS included, both ways; {} B from the server) for that uncached open",
                opened.to_client
            ),
        ));
        if let Some(a) = arrival {
            report.push(Metric::new("push_bytes_per_arrival", a.total() as f64 / 1e3, "KB").note(&format!(
                "bytes on the wire (TLS included, both ways; {} B from the server) for one new message: IDLE notice + incremental sync, background downloads off",
                a.to_client
            )));
        }
    }

    if let (Some(mut other), Some(from)) = (other, first) {
        mail::expunge_marked(&mut other, folder, from, plan.token).await?;
        let _ = other.logout().await;
        engine.sync_folder(id, folder, &|_| {}).await?;
    }
    Ok(())
}
