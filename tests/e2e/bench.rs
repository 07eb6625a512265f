//! The message list's benchmark in the real app (not a test: `make bench-ui`): a Dovecot inbox
//! of 100,000 messages (`TERN_BENCH_MESSAGES` for another count), synced before the app starts,
//! then in the app's own WebView:
//!
//! - the time from choosing the folder to its first rows painted (the first time, when Tern
//!   builds the folder's view, and then again, from Sent, as a user goes back and forth), with
//!   conversations on (the default) and with single messages;
//! - the frame times while the list scrolls at a steady pace and while it is flung, and how many
//!   frames showed a row still waiting for its data;
//! - the time until every visible row is filled after a jump to an arbitrary place;
//! - the memory of the app and its WebView processes, with no account, at the first rows and
//!   once the list has scrolled through.
//!
//! Each scenario but the first start after the sync runs on several starts of the app (three
//! unless `TERN_BENCH_STARTS` says otherwise), and each figure is the median of its starts.
//! Figures are printed as a table and written to `bench/ui-results.json` (see BENCHMARKS.md).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use thirtyfour::prelude::*;

use tern_core::account::{NewAccount, Security};
use tern_core::imap::Password;
use tern_tests::sample::Generator;
use tern_tests::{Dovecot, DovecotOptions};

use crate::harness::{open_engine, wait_for, with_app};

const USER: &str = "bench@tern.test";
const PASSWORD: &str = "bench password";
const LIST: &str = "//*[@role='listbox'][@aria-label='Messages']";

/// Chooses a folder in the sidebar and resolves, once painted, with the milliseconds from the
/// click until its first row shows its data (`aria-setsize` between `arguments[1]` and
/// `arguments[2]`, so the rows of the folder left behind do not count).
const CHOOSE_FOLDER: &str = r#"
const [item, atLeast, atMost, done] = arguments;
const start = performance.now();
item.click();
function check() {
  const row = document.querySelector("[role=listbox][aria-label=Messages] [role=option][aria-posinset='1']");
  const size = row ? Number(row.getAttribute('aria-setsize')) : 0;
  if (row && !row.hasAttribute('aria-busy') && size >= atLeast && size <= atMost) {
    requestAnimationFrame(() => done(performance.now() - start));
  } else {
    requestAnimationFrame(check);
  }
}
requestAnimationFrame(check);
"#;

/// Scrolls the list by `arguments[1]` pixels a frame for `arguments[2]` ms (or to its end),
/// recording each frame's duration and whether a visible row was still waiting for its data.
const SCROLL: &str = r#"
const [list, perFrame, duration, done] = arguments;
const scroller = list.scrollHeight > list.clientHeight ? list : list.querySelector('*');
scroller.scrollTop = 0;
const view = scroller.getBoundingClientRect();
function waiting() {
  for (const row of list.querySelectorAll('[role=option][aria-busy]')) {
    const r = row.getBoundingClientRect();
    if (r.bottom > view.top && r.top < view.bottom) return true;
  }
  return false;
}
const frames = [];
let blank = 0, last = null, start = null;
function step(now) {
  if (start === null) start = now;
  if (last !== null) frames.push(now - last);
  last = now;
  if (waiting()) blank++;
  if (now - start >= duration || scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 1) {
    done({ frames, blank, distance: scroller.scrollTop });
    return;
  }
  scroller.scrollTop += perFrame;
  requestAnimationFrame(step);
}
setTimeout(() => requestAnimationFrame(step), 300);
"#;

/// Jumps to each fraction of the list in `arguments[1]` and records the milliseconds until the
/// rows in view there are all filled.
const JUMPS: &str = r#"
const [list, places, done] = arguments;
const scroller = list.scrollHeight > list.clientHeight ? list : list.querySelector('*');
const view = scroller.getBoundingClientRect();
const times = [], misses = [];
let i = 0;
function jump() {
  if (i >= places.length) { done({ times, misses }); return; }
  const top = Math.round(places[i] * (scroller.scrollHeight - scroller.clientHeight));
  const start = performance.now();
  scroller.scrollTop = top;
  let frames = 0;
  function check() {
    frames++;
    const rows = [...list.querySelectorAll('[role=option]')].filter((row) => {
      const r = row.getBoundingClientRect();
      return r.bottom > view.top + 1 && r.top < view.bottom - 1;
    });
    // The rows in view are the ones of the new place (the virtualizer has caught up) and filled.
    const moved = rows.length > 0 && Math.abs(rows[0].offsetTop - scroller.scrollTop) < 2 * rows[0].offsetHeight + 1;
    if (frames > 1 && moved && rows.every((row) => !row.hasAttribute('aria-busy'))) {
      times.push(performance.now() - start);
      i++;
      setTimeout(jump, 100);
    } else if (performance.now() - start > 10000) {
      misses.push({ place: places[i], top, rows: rows.map((r) => [r.getAttribute('aria-posinset'), r.offsetTop, r.hasAttribute('aria-busy')]).slice(0, 3) });
      i++;
      setTimeout(jump, 100);
    } else {
      requestAnimationFrame(check);
    }
  }
  requestAnimationFrame(check);
}
jump();
"#;

/// Resolves with the wall-clock time (Unix ms) at which the app first painted rows with their
/// data (the `tern:first-rows` mark the message list sets), waiting for it if need be.
const FIRST_ROWS: &str = r#"
const done = arguments[arguments.length - 1];
const start = performance.now();
function check() {
  const [mark] = performance.getEntriesByName('tern:first-rows');
  if (mark) done(performance.timeOrigin + mark.startTime);
  else if (performance.now() - start > 60000) done(document.body.innerText.slice(0, 600));
  else setTimeout(check, 20);
}
check();
"#;

/// The newest running process of the app binary: its pid and start time (Unix ms, 10 ms steps).
fn app_process() -> Option<(u32, f64)> {
    let boot = boot_time()?;
    let mut newest: Option<(u32, f64)> = None;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        if !crate::harness::is_app(pid) {
            continue;
        }
        let Some(ticks) = stat_field(pid, 22) else { continue };
        let started = (boot + ticks / 100.0) * 1000.0;
        if newest.is_none_or(|(_, t)| started > t) {
            newest = Some((pid, started));
        }
    }
    newest
}

/// When the system booted, in Unix seconds to the hundredth: now less the time since boot
/// (`/proc/uptime`, the clock of the processes' start times). `/proc/stat`'s `btime` is whole
/// seconds, which would put every start up to a second early.
fn boot_time() -> Option<f64> {
    let uptime = std::fs::read_to_string("/proc/uptime").ok()?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?;
    Some(now.as_secs_f64() - seconds_since_boot(&uptime)?)
}

/// The first field of `/proc/uptime`: seconds since boot.
fn seconds_since_boot(uptime: &str) -> Option<f64> {
    uptime.split_whitespace().next()?.parse().ok()
}

/// Field `n` (1-based, as in proc(5)) of `/proc/<pid>/stat`.
fn stat_field(pid: u32, n: usize) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split_whitespace().nth(n - 3)?.parse().ok()
}

/// With `TERN_BENCH_SMAPS=DIR`, a copy of the process's memory map (`/proc/PID/smaps`) at each
/// measurement, numbered in the order taken (`00-tern`, `01-WebKitNetworkPr`, ...): where each
/// figure's memory is, mapping by mapping.
fn keep_smaps(pid: u32) {
    static TAKEN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let Some(dir) = std::env::var_os("TERN_BENCH_SMAPS") else { return };
    let n = TAKEN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    let to = std::path::Path::new(&dir).join(format!("{n:02}-{}", name.trim()));
    if let Err(e) = std::fs::copy(format!("/proc/{pid}/smaps"), &to) {
        eprintln!("could not keep {}: {e}", to.display());
    }
}

/// The memory of `root` and every process below it (the WebView's web and network processes),
/// from `smaps_rollup`.
#[derive(Debug, Clone)]
struct TreeMemory {
    /// Resident set sizes summed, MB: pages shared between the processes counted in each.
    rss: f64,
    /// Proportional set sizes summed, MB: each shared page split between the processes that
    /// map it (the figure the target is about).
    pss: f64,
    /// Private pages summed (unique set size), MB: what the processes hold that nothing else
    /// maps, whatever other processes happen to share with them.
    uss: f64,
    /// The PSS and private memory of each process, by name.
    each: String,
}

fn tree_memory(root: u32) -> TreeMemory {
    let mut pids = vec![root];
    let mut i = 0;
    let all: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
                .filter_map(|pid| Some((pid, stat_field(pid, 4)? as u32)))
                .collect()
        })
        .unwrap_or_default();
    while i < pids.len() {
        let parent = pids[i];
        pids.extend(all.iter().filter(|(_, ppid)| *ppid == parent).map(|(pid, _)| *pid));
        i += 1;
    }
    let (mut rss, mut pss, mut uss) = (0.0, 0.0, 0.0);
    let (mut each, mut private) = (Vec::new(), Vec::new());
    for pid in pids {
        let Ok(rollup) = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) else { continue };
        keep_smaps(pid);
        let (before, private_before) = (pss, uss);
        for line in rollup.lines() {
            let kb = |prefix: &str| {
                line.strip_prefix(prefix)
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            };
            if let Some(v) = kb("Rss:") {
                rss += v / 1024.0;
            } else if let Some(v) = kb("Pss:") {
                pss += v / 1024.0;
            } else if let Some(v) = kb("Private_Clean:").or_else(|| kb("Private_Dirty:")) {
                uss += v / 1024.0;
            }
        }
        let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        each.push(format!("{} {:.0} MB", name.trim(), pss - before));
        private.push(format!("{} {:.0} MB", name.trim(), uss - private_before));
    }
    TreeMemory { rss, pss, uss, each: format!("{}; private: {}", each.join(", "), private.join(", ")) }
}

/// The reference for the app's memory: the same app with no account, on its welcome screen (what
/// the WebView and the shell hold before any mail).
async fn empty_window_memory() -> Figure {
    let empty = tempfile::tempdir().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel();
    with_app(empty.path(), &[], move |driver| async move {
        wait_for(&driver, "//h1[contains(., 'Welcome to Tern')]").await;
        let (pid, _) = app_process().expect("the app's process");
        let _ = tx.send(settled_memory(pid).await);
        drop(driver);
    })
    .await;
    let TreeMemory { rss, pss, uss, each } = rx.await.expect("the empty window's memory");
    Figure::plain(
        "app_empty_memory_pss".into(),
        pss,
        "MB",
        format!(
            "the app with no account, on its welcome screen: the floor under app_*_memory_pss ({each}); RSS summed: {rss:.0} MB; private (USS) summed: {uss:.1} MB"
        ),
    )
}

/// [`tree_memory`] after two quiet seconds.
async fn settled_memory(pid: u32) -> TreeMemory {
    tokio::time::sleep(Duration::from_secs(2)).await;
    tree_memory(pid)
}

/// One measured figure.
struct Figure {
    name: String,
    value: f64,
    unit: &'static str,
    runs: Vec<f64>,
    note: String,
}

impl Figure {
    /// A figure of one sample.
    fn plain(name: String, value: f64, unit: &'static str, note: String) -> Self {
        Self { name, value, unit, runs: vec![], note }
    }
}

/// The variables of `TERN_BENCH_ALTERNATIVE` (`NAME=VALUE` pairs separated by white space);
/// anything without a `=` is left out.
fn alternative_environment(spec: &str) -> Vec<(String, PathBuf)> {
    spec.split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .filter(|(name, _)| !name.is_empty())
        .map(|(name, value)| (name.to_string(), PathBuf::from(value)))
        .collect()
}

/// The figures of several starts of one scenario as one set: each figure's value is the median
/// of the starts' values, which its `runs` lists, start by start, and its note is the note of
/// the start that gave the median. A single start's figures stay as they are.
fn merged(starts: Vec<Vec<Figure>>) -> Vec<Figure> {
    if starts.len() < 2 {
        return starts.into_iter().flatten().collect();
    }
    let n = starts.len();
    let mut starts: Vec<std::collections::VecDeque<Figure>> = starts.into_iter().map(Into::into).collect();
    let mut out = Vec::new();
    while let Some(first) = starts[0].pop_front() {
        let mut same = vec![first];
        for start in &mut starts[1..] {
            if let Some(at) = start.iter().position(|f| f.name == same[0].name) {
                same.extend(start.remove(at));
            }
        }
        let values: Vec<f64> = same.iter().map(|f| f.value).collect();
        let middle = median(&values);
        let chosen = same.iter().position(|f| f.value == middle).unwrap_or(0);
        let Figure { name, unit, note, .. } = same.swap_remove(chosen);
        let listed: Vec<String> = values.iter().map(|v| format!("{v:.1}")).collect();
        let note = format!("median of {n} starts ({}); the median start: {note}", listed.join(", "));
        out.push(Figure { name, value: middle, unit, runs: values, note });
    }
    out
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() { f64::NAN } else { v[v.len() / 2] }
}

fn percentile(values: &[f64], p: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i.min(v.len() - 1)]
}

fn numbers(value: &Value) -> Vec<f64> {
    value.as_array().map(|a| a.iter().filter_map(Value::as_f64).collect()).unwrap_or_default()
}

/// A folder's treeitem in the sidebar, by its name.
fn folder(name: &str) -> String {
    format!("(//*[@role='treeitem'][.//*[contains(@class,'name')][normalize-space(.)='{name}']])[1]")
}

/// Chooses `name` and returns the milliseconds to its first painted rows.
async fn choose(driver: &WebDriver, name: &str, at_least: u64, at_most: u64) -> f64 {
    let item = wait_for(driver, &folder(name)).await;
    let ret = driver
        .execute_async(CHOOSE_FOLDER, vec![item.to_json().unwrap(), json!(at_least), json!(at_most)])
        .await
        .unwrap_or_else(|e| panic!("choosing {name}: {e}"));
    let ms = ret.json().as_f64().expect("milliseconds");
    eprintln!("chose {name}: {ms:.0} ms");
    ms
}

/// The list's row count as the grid announces it.
async fn set_size(driver: &WebDriver) -> u64 {
    let row = wait_for(driver, &format!("{LIST}//*[@role='option'][@aria-posinset='1']")).await;
    row.attr("aria-setsize").await.unwrap().unwrap_or_default().parse().unwrap_or(0)
}

/// Everything measured with the list in one mode (`conversations` or single messages).
async fn measure(driver: WebDriver, mode: &'static str, messages: u64, full: bool) -> Vec<Figure> {
    driver.set_script_timeout(Duration::from_secs(300)).await.unwrap();
    let mut out = Vec::new();
    // The app opens on the inbox: from the process's start to its first rows painted.
    let painted =
        driver.execute_async(FIRST_ROWS, vec![]).await.unwrap_or_else(|e| panic!("first rows: {e}"));
    let painted = painted
        .json()
        .as_f64()
        .unwrap_or_else(|| panic!("no rows painted; the window shows: {}", painted.json()));
    eprintln!("first rows painted");
    let (pid, started) = app_process().expect("the app's process");
    out.push(Figure {
        name: format!("app_{mode}_cold_start_first_rows"),
        value: painted - started,
        unit: "ms",
        runs: vec![],
        note: "from the process's start (10 ms steps) to the inbox's first rows painted".into(),
    });
    if !full {
        return out;
    }
    // Memory as the inbox first shows, before anything is scrolled.
    let TreeMemory { pss, uss, each, .. } = settled_memory(pid).await;
    out.push(Figure::plain(
        format!("app_{mode}_memory_pss_at_start"),
        pss,
        "MB",
        format!(
            "2 s after the first rows painted, nothing scrolled ({each}); private (USS) summed: {uss:.1} MB"
        ),
    ));
    // Start from the small Sent folder, then open the inbox: the first time builds its view.
    wait_for(&driver, &folder("Sent")).await;
    choose(&driver, "Sent", 1, 999).await;
    let first = choose(&driver, "Inbox", 1000, u64::MAX).await;
    let rows = set_size(&driver).await;
    let mut again = Vec::new();
    for _ in 0..7 {
        choose(&driver, "Sent", 1, 999).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        again.push(choose(&driver, "Inbox", 1000, u64::MAX).await);
    }
    let note = format!("{rows} rows for {messages} messages");
    out.push(Figure {
        name: format!("ui_{mode}_first_rows_first_open"),
        value: first,
        unit: "ms",
        runs: vec![first],
        note: note.clone(),
    });
    out.push(Figure {
        name: format!("ui_{mode}_first_rows"),
        value: median(&again),
        unit: "ms",
        runs: again,
        note: format!("{note}; median of 7, coming back from Sent"),
    });

    let list = wait_for(&driver, LIST).await;
    for (pace, per_frame, duration) in [("still", 0, 3000), ("steady", 40, 5000), ("fling", 400, 5000)] {
        let ret = driver
            .execute_async(SCROLL, vec![list.to_json().unwrap(), json!(per_frame), json!(duration)])
            .await
            .unwrap_or_else(|e| panic!("scrolling: {e}"));
        let frames = numbers(&ret.json()["frames"]);
        let blank = ret.json()["blank"].as_u64().unwrap_or(0);
        let distance = ret.json()["distance"].as_f64().unwrap_or(0.0);
        let over = |ms: f64| frames.iter().filter(|&&f| f > ms).count();
        let note = format!(
            "{} frames, {per_frame} px a frame, {:.0} px scrolled; over 16.7 ms: {}, over 33 ms: {}; max {:.1} ms; frames with a row still waiting for its data: {blank}",
            frames.len(),
            distance,
            over(16.7),
            over(33.4),
            frames.iter().copied().fold(0.0, f64::max),
        );
        out.push(Figure {
            name: format!("ui_{mode}_scroll_{pace}_frame_median"),
            value: median(&frames),
            unit: "ms",
            runs: vec![],
            note: note.clone(),
        });
        out.push(Figure {
            name: format!("ui_{mode}_scroll_{pace}_frame_p95"),
            value: percentile(&frames, 0.95),
            unit: "ms",
            runs: vec![],
            note: String::new(),
        });
        out.push(Figure {
            name: format!("ui_{mode}_scroll_{pace}_blank_frames"),
            value: blank as f64,
            unit: "frames",
            runs: vec![],
            note: String::new(),
        });
    }

    // Memory with the 100,000-message inbox open and scrolled through: the app and its WebView.
    let TreeMemory { rss, pss, uss, each } = settled_memory(pid).await;
    out.push(Figure::plain(
        format!("app_{mode}_memory_pss"),
        pss,
        "MB",
        format!(
            "the app and its WebView processes, inbox open ({each}); RSS summed: {rss:.0} MB (shared pages counted in each); private (USS) summed: {uss:.1} MB"
        ),
    ));

    let list = wait_for(&driver, LIST).await;
    let places = [0.5, 0.1, 0.9, 0.33, 0.77, 0.05, 0.6, 0.99, 0.25, 0.45];
    let ret = driver
        .execute_async(JUMPS, vec![list.to_json().unwrap(), json!(places)])
        .await
        .unwrap_or_else(|e| panic!("jumping: {e}"));
    let jumps = numbers(&ret.json()["times"]);
    if let Some(misses) = ret.json()["misses"].as_array().filter(|m| !m.is_empty()) {
        eprintln!("jumps whose rows did not fill within 10 s: {misses:?}");
    }
    out.push(Figure {
        name: format!("ui_{mode}_jump_filled"),
        value: median(&jumps),
        unit: "ms",
        runs: jumps.clone(),
        note: format!(
            "median of {} jumps; max {:.1} ms",
            jumps.len(),
            jumps.iter().copied().fold(0.0, f64::max)
        ),
    });
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark, not a test: make bench-ui"]
async fn message_list_in_the_real_webview() {
    let messages: usize =
        std::env::var("TERN_BENCH_MESSAGES").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    // Single-dbox, as the engine's benchmark keeps its large inbox (BENCHMARKS.md).
    let server = Dovecot::start(DovecotOptions::default().only_user(USER, PASSWORD).sdbox()).unwrap();
    let started = std::time::Instant::now();
    server.seed_generated(USER, "INBOX", messages, &mut Generator::anchored_now(7)).unwrap();
    server.seed_generated(USER, "Sent", 60, &mut Generator::anchored_now(8)).unwrap();
    eprintln!("seeded {messages} messages in {:.1} s", started.elapsed().as_secs_f64());

    let data = tempfile::tempdir().unwrap();
    {
        let engine = open_engine(data.path());
        let account = engine
            .add_account(
                NewAccount {
                    display_name: "Bench".into(),
                    email: USER.into(),
                    imap: server.server_settings(USER, Security::Tls),
                },
                Password::new(PASSWORD.to_string()),
            )
            .await
            .unwrap();
        let started = std::time::Instant::now();
        engine.sync_account(&account.id, &|_| {}).await.unwrap();
        eprintln!("synced in {:.1} s", started.elapsed().as_secs_f64());
        engine.shutdown().unwrap();
    }

    // The first start after the sync threads the inbox (and saves its conversations); every
    // later start, the one users live with, reads them back.
    // Each figure of a scenario is the median of several starts of the app (`TERN_BENCH_STARTS`,
    // 3 unless set): the memory of one start varies by a few megabytes from the next.
    let starts: usize =
        std::env::var("TERN_BENCH_STARTS").ok().and_then(|v| v.parse().ok()).filter(|&n| n > 0).unwrap_or(3);
    // `TERN_BENCH_ALTERNATIVE="NAME=VALUE NAME=VALUE"`: the scenarios with the inbox also run,
    // start for start, with these variables set for the app; their figures carry the suffix
    // `_alternative`. Starts of one run vary less than runs do, so this compares a setting
    // more closely than two runs of the benchmark would.
    let alternative = alternative_environment(&std::env::var("TERN_BENCH_ALTERNATIVE").unwrap_or_default());
    let mut empty = Vec::new();
    for _ in 0..starts {
        empty.push(vec![empty_window_memory().await]);
    }
    let mut figures = merged(empty);
    let runs = [
        ("conversations_first_start", true, false),
        ("conversations", true, true),
        ("messages", false, true),
    ];
    for (mode, conversations, full) in runs {
        {
            let engine = open_engine(data.path());
            let mut settings = engine.settings();
            settings.conversations = conversations;
            engine.set_settings(settings).unwrap();
            engine.shutdown().unwrap();
        }
        // The first start after the sync happens once. With an alternative environment, every
        // other start of a full scenario runs in it.
        let (mut each, mut other) = (Vec::new(), Vec::new());
        let rounds = if !full {
            1
        } else if alternative.is_empty() {
            starts
        } else {
            2 * starts
        };
        for round in 0..rounds {
            // A scenario that is not full runs one round: never in the alternative.
            let in_other = !alternative.is_empty() && round % 2 == 1;
            let env: Vec<(&str, &Path)> = if in_other {
                alternative.iter().map(|(name, value)| (name.as_str(), value.as_path())).collect()
            } else {
                Vec::new()
            };
            let (tx, rx) = tokio::sync::oneshot::channel();
            let count = messages as u64;
            with_app(data.path(), &env, move |driver| async move {
                let _ = tx.send(measure(driver, mode, count, full).await);
            })
            .await;
            let mut taken = rx.await.expect("the scenario's figures");
            if in_other {
                for figure in &mut taken {
                    figure.name.push_str("_alternative");
                }
                other.push(taken);
            } else {
                each.push(taken);
            }
        }
        figures.extend(merged(each));
        figures.extend(merged(other));
    }
    server.stop().unwrap();

    println!("\n{:<44} {:>10}  note", "metric", "value");
    for f in &figures {
        println!("{:<44} {:>8.1} {:<6} {}", f.name, f.value, f.unit, f.note);
    }
    let machine = json!({
        "nproc": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "cpu": std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|c| c.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1)).map(|s| s.trim().to_string())),
        "display": std::env::var("DISPLAY").ok(),
        "date": String::from_utf8_lossy(&std::process::Command::new("date").arg("-u").arg("+%Y-%m-%dT%H:%MZ").output().map(|o| o.stdout).unwrap_or_default()).trim().to_string(),
        "loadavg_at_end": std::fs::read_to_string("/proc/loadavg").ok().map(|s| s.trim().to_string()),
    });
    let results: Vec<Value> = figures
        .iter()
        .map(|f| json!({ "name": f.name, "value": (f.value * 10.0).round() / 10.0, "unit": f.unit, "runs": f.runs.iter().map(|r| (r * 10.0).round() / 10.0).collect::<Vec<_>>(), "note": f.note }))
        .collect();
    // A relative path is the repository's, where `make bench-ui` runs (the test itself runs in
    // the app's crate).
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = root.join(std::env::var_os("TERN_BENCH_OUT").unwrap_or_else(|| "bench/ui-results.json".into()));
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    let doc = json!({ "machine": machine, "messages": messages, "webview": "WebKitGTK (the app's own), Xvfb", "results": results });
    std::fs::write(&out, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    println!("wrote {}", out.display());
}

#[test]
fn the_alternative_environment_is_read_pair_by_pair() {
    // (TERN_BENCH_ALTERNATIVE) -> the variables set
    let table: &[(&str, &[(&str, &str)])] = &[
        ("", &[]),
        ("JSC_useJIT=true", &[("JSC_useJIT", "true")]),
        ("A=1  B=x=y\tC", &[("A", "1"), ("B", "x=y")]),
        ("=1 D=", &[("D", "")]),
    ];
    for (spec, want) in table {
        let got = alternative_environment(spec);
        let got: Vec<(&str, &str)> = got.iter().map(|(n, v)| (n.as_str(), v.to_str().unwrap())).collect();
        assert_eq!(got, *want, "{spec:?}");
    }
}

#[test]
fn the_time_since_boot_keeps_its_fraction() {
    // (/proc/uptime) -> seconds since boot
    let table: &[(&str, Option<f64>)] = &[
        ("41937.81 80012.55\n", Some(41937.81)),
        ("7.05 1.00", Some(7.05)),
        ("", None),
        ("up 3 days", None),
    ];
    for (uptime, want) in table {
        assert_eq!(seconds_since_boot(uptime), *want, "{uptime:?}");
    }
}
