//! Measuring and reporting: medians, memory samples, disk usage, the table and the JSON file.

use std::fmt::Write as _;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// The median of `values` (0 when empty).
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// The `p`-th percentile of `values` by nearest rank (0 when empty): with 50 values, p99 is the
/// largest and p50 the 25th smallest.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

/// A `kB` field of `/proc/self/status` (`"VmRSS:"`, `"VmHWM:"`), in KiB.
pub fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..].split_whitespace().next()?.parse().ok()
}

/// CPU time (user + system) this process has used so far, in seconds (Linux; 0 elsewhere).
pub fn cpu_seconds() -> f64 {
    stat_fields("self").map_or(0.0, |f| f.ticks(&[11, 12]) / 100.0)
}

/// CPU time (user + system) used so far by the process `pid` and all its children, the ones
/// still running and the ones it has reaped, in seconds (Linux; 0 elsewhere). For a server
/// whose master forks a process per connection (Dovecot), this is the whole server's CPU:
/// the difference between two readings is what it spent in between, even on connections that
/// ended meanwhile. Read while the server is quiet: a child that has just exited is, for a
/// moment, neither listed nor counted with its parent yet, so this reads until two readings
/// 20 ms apart agree (at most half a second).
pub fn tree_cpu_seconds(pid: u32) -> f64 {
    let mut last = tree_cpu_once(pid);
    for _ in 0..25 {
        std::thread::sleep(Duration::from_millis(20));
        let now = tree_cpu_once(pid);
        if now == last {
            break;
        }
        last = now;
    }
    last
}

fn tree_cpu_once(pid: u32) -> f64 {
    let Some(master) = stat_fields(&pid.to_string()) else { return 0.0 };
    // The master's own time and the time of the children it has waited for, then each live
    // child's own time and that of its children (Dovecot's have none).
    let own = master.ticks(&[11, 12, 13, 14]);
    let children: f64 = children(pid).iter().map(|(_, child)| child.ticks(&[11, 12, 13, 14])).sum();
    (own + children) / 100.0
}

/// The live children of the process `pid`, each with its `stat` fields (Linux; none elsewhere).
fn children(pid: u32) -> Vec<(u32, StatFields)> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    let parent = pid.to_string();
    entries
        .flatten()
        .filter_map(|entry| {
            let child: u32 = entry.file_name().to_str()?.parse().ok()?;
            let fields = stat_fields(&child.to_string()).filter(|f| f.field(1) == Some(parent.as_str()))?;
            Some((child, fields))
        })
        .collect()
}

/// The machine's cores split between a local server and this process, as when the server runs
/// on another machine: the server's processes (and those it forks later) on one half of the
/// cores this process may use, this process's threads (and those it starts later) on the other.
/// Undone when dropped. Linux, through `taskset` (util-linux).
#[derive(Debug)]
pub struct SplitCores {
    server: u32,
    all: String,
    /// The cores each side got, as `taskset` lists them.
    pub ours: String,
    pub theirs: String,
}

impl SplitCores {
    /// Splits the cores; `None` with fewer than two, or where `taskset` is missing or refused.
    pub fn apply(server: u32) -> Option<Self> {
        let all = affinity(std::process::id())?;
        let cores = expand_cpu_list(&all)?;
        if cores.len() < 2 {
            return None;
        }
        let (ours, theirs) = cores.split_at(cores.len() / 2);
        let list = |cores: &[u32]| cores.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
        let split = Self { server, all, ours: list(ours), theirs: list(theirs) };
        let mut server_tree = vec![server];
        server_tree.extend(children(server).into_iter().map(|(pid, _)| pid));
        for pid in server_tree {
            set_affinity(pid, &split.theirs)?;
        }
        set_affinity(std::process::id(), &split.ours)?;
        Some(split)
    }
}

impl Drop for SplitCores {
    fn drop(&mut self) {
        let _ = set_affinity(std::process::id(), &self.all);
        let _ = set_affinity(self.server, &self.all);
        for (pid, _) in children(self.server) {
            let _ = set_affinity(pid, &self.all);
        }
    }
}

/// The cores the process `pid` may run on, as `taskset` lists them (`0-3`, `0,2`).
fn affinity(pid: u32) -> Option<String> {
    let out = std::process::Command::new("taskset").args(["-c", "-p", &pid.to_string()]).output().ok()?;
    let text = String::from_utf8(out.stdout).ok().filter(|_| out.status.success())?;
    Some(text.rsplit_once(':')?.1.trim().to_string())
}

/// Pins every thread of the process `pid` to `cores`.
fn set_affinity(pid: u32, cores: &str) -> Option<()> {
    let status = std::process::Command::new("taskset")
        .args(["-a", "-c", "-p", cores, &pid.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .ok()?;
    status.success().then_some(())
}

/// The cores of a list as `taskset` writes it: `0-3,6,8-9`.
fn expand_cpu_list(list: &str) -> Option<Vec<u32>> {
    let mut cores = Vec::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((low, high)) => cores.extend(low.parse::<u32>().ok()?..=high.parse::<u32>().ok()?),
            None => cores.push(part.parse().ok()?),
        }
    }
    Some(cores)
}

/// The fields of `/proc/<pid>/stat` after the command name (which is in parentheses and may
/// hold spaces): state, ppid, ... utime (11), stime (12), cutime (13), cstime (14).
struct StatFields(Vec<String>);

impl StatFields {
    fn field(&self, i: usize) -> Option<&str> {
        self.0.get(i).map(String::as_str)
    }

    /// The sum of these fields, in clock ticks (100 per second on Linux).
    fn ticks(&self, at: &[usize]) -> f64 {
        at.iter().filter_map(|&i| self.field(i)?.parse::<f64>().ok()).sum()
    }
}

fn stat_fields(pid: &str) -> Option<StatFields> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.rsplit_once(')')?.1;
    Some(StatFields(rest.split_whitespace().map(str::to_string).collect()))
}

/// Resident memory now, KiB.
pub fn rss_kib() -> u64 {
    status_kib("VmRSS:").unwrap_or(0)
}

/// Samples VmRSS every 5 ms on its own thread until stopped; reports the maximum.
#[derive(Debug)]
pub struct RssSampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl RssSampler {
    /// Starts sampling.
    pub fn start() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(rss_kib()));
        let (s, p) = (stop.clone(), peak.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                p.fetch_max(rss_kib(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        Self { stop, peak, thread: Some(thread) }
    }

    /// Stops sampling; the peak resident memory seen, KiB.
    pub fn stop(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.peak.fetch_max(rss_kib(), Ordering::Relaxed);
        self.peak.load(Ordering::Relaxed)
    }
}

/// Bytes allocated on disk under `dir` (st_blocks × 512, so sparse files count what they use).
pub fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.blocks() * 512,
            Err(_) => 0,
        })
        .sum()
}

/// One measured figure.
#[derive(Debug, Clone)]
pub struct Metric {
    /// Stable identifier.
    pub name: String,
    /// The figure (the median when there are several runs).
    pub value: f64,
    /// `s`, `ms`, `MB`.
    pub unit: String,
    /// What `value` is compared with (raw floor, or the budget).
    pub reference: Option<f64>,
    /// The largest acceptable `value / reference`.
    pub max_ratio: Option<f64>,
    /// Every run, when repeated.
    pub runs: Vec<f64>,
    /// What was measured.
    pub note: String,
}

impl Metric {
    /// A figure without a reference.
    pub fn new(name: &str, value: f64, unit: &str) -> Self {
        Self {
            name: name.into(),
            value,
            unit: unit.into(),
            reference: None,
            max_ratio: None,
            runs: Vec::new(),
            note: String::new(),
        }
    }

    /// Compared with `reference`; within target while `value / reference <= max_ratio`.
    pub fn reference(mut self, reference: f64, max_ratio: f64) -> Self {
        self.reference = Some(reference);
        self.max_ratio = Some(max_ratio);
        self
    }

    /// A budget in the metric's own unit.
    pub fn target(self, budget: f64) -> Self {
        self.reference(budget, 1.0)
    }

    /// The individual runs.
    pub fn runs(mut self, runs: &[f64]) -> Self {
        self.runs = runs.to_vec();
        self
    }

    /// What was measured.
    pub fn note(mut self, note: &str) -> Self {
        self.note = note.into();
        self
    }

    fn ratio(&self) -> Option<f64> {
        self.reference.filter(|r| *r > 0.0).map(|r| self.value / r)
    }

    fn verdict(&self) -> &'static str {
        match (self.ratio(), self.max_ratio) {
            (Some(r), Some(max)) if r <= max => "ok",
            (Some(_), Some(_)) => "MISS",
            _ => "",
        }
    }
}

/// All figures of one run, with the machine they were measured on.
#[derive(Debug)]
pub struct Report {
    messages: usize,
    quick: bool,
    metrics: Vec<Metric>,
    load_at_start: String,
    server: String,
}

/// The 1, 5 and 15 minute load averages: other work on the machine skews every figure.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn json_str(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

fn json_num(x: f64) -> String {
    if x.is_finite() { format!("{}", (x * 1000.0).round() / 1000.0) } else { "null".into() }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn command_output(cmd: &str, args: &[&str]) -> String {
    std::process::Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

impl Report {
    /// An empty report for `messages` messages.
    pub fn new(messages: usize, quick: bool) -> Self {
        Self {
            messages,
            quick,
            metrics: Vec::new(),
            load_at_start: loadavg(),
            server: "local Dovecot fixture".into(),
        }
    }

    /// Which server was measured (the local fixture unless told otherwise).
    pub fn set_server(&mut self, server: &str) {
        self.server = server.into();
    }

    /// Adds a figure.
    pub fn push(&mut self, metric: Metric) {
        self.metrics.push(metric);
    }

    /// Prints the table to stdout.
    pub fn print(&self) {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\nTern benchmark: {} messages, {}, {} cores, {}",
            self.messages,
            self.server,
            nproc(),
            cpu_model()
        );
        let _ = writeln!(
            out,
            "{:<32} {:>10} {:<4} {:>10} {:>7} {:>7}",
            "metric", "value", "unit", "reference", "ratio", "target"
        );
        let _ = writeln!(out, "{}", "-".repeat(76));
        for m in &self.metrics {
            let reference = m.reference.map(|r| format!("{r:.3}")).unwrap_or_default();
            let ratio = m.ratio().map(|r| format!("{r:.2}")).unwrap_or_default();
            let _ = writeln!(
                out,
                "{:<32} {:>10.3} {:<4} {:>10} {:>7} {:>7}",
                m.name,
                m.value,
                m.unit,
                reference,
                ratio,
                m.verdict()
            );
        }
        println!("{out}");
    }

    /// Writes the JSON file (directories created as needed).
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let mut rows = Vec::new();
        for m in &self.metrics {
            let mut row = format!(
                "    {{\"name\": {}, \"value\": {}, \"unit\": {}",
                json_str(&m.name),
                json_num(m.value),
                json_str(&m.unit)
            );
            if let Some(r) = m.reference {
                let _ = write!(row, ", \"reference\": {}", json_num(r));
            }
            if let Some(r) = m.ratio() {
                let _ = write!(row, ", \"ratio\": {}", json_num(r));
            }
            if let Some(r) = m.max_ratio {
                let _ = write!(
                    row,
                    ", \"max_ratio\": {}, \"within_target\": {}",
                    json_num(r),
                    m.verdict() == "ok"
                );
            }
            if !m.runs.is_empty() {
                let runs: Vec<String> = m.runs.iter().map(|x| json_num(*x)).collect();
                let _ = write!(row, ", \"runs\": [{}]", runs.join(", "));
            }
            if !m.note.is_empty() {
                let _ = write!(row, ", \"note\": {}", json_str(&m.note));
            }
            row.push('}');
            rows.push(row);
        }
        let text = format!(
            "{{\n  \"machine\": {{\"nproc\": {}, \"cpu\": {}, \"kernel\": {}, \"dovecot\": {}, \"date\": {}, \"loadavg_at_start\": {}, \"loadavg_at_end\": {}}},\n  \"server\": {},\n  \"messages\": {},\n  \"quick\": {},\n  \"results\": [\n{}\n  ]\n}}\n",
            nproc(),
            json_str(&cpu_model()),
            json_str(&command_output("uname", &["-sr"])),
            json_str(&command_output("dovecot", &["--version"])),
            json_str(&command_output("date", &["-u", "+%Y-%m-%dT%H:%M:%SZ"])),
            json_str(&self.load_at_start),
            json_str(&loadavg()),
            json_str(&self.server),
            self.messages,
            self.quick,
            rows.join(",\n")
        );
        std::fs::write(path, text)
    }
}

fn nproc() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_lists_are_read_as_taskset_writes_them() {
        let table: [(&str, Option<&[u32]>); 6] = [
            ("0-1", Some(&[0, 1])),
            ("0", Some(&[0])),
            ("0,2", Some(&[0, 2])),
            ("0-3,6,8-9", Some(&[0, 1, 2, 3, 6, 8, 9])),
            (" 4-5 ", Some(&[4, 5])),
            ("0-x", None),
        ];
        for (list, cores) in table {
            assert_eq!(expand_cpu_list(list).as_deref(), cores, "{list}");
        }
    }
}
