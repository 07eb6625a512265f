//! The message list beyond the plain newest-first page: a filter on sender and subject, the same
//! as conversations, and the folder sorted by sender, all from the cache (`Engine::list`).
//!
//! - **cold**: the first page of a fresh process (`Engine::open` not counted): the view's
//!   summaries are read from sled for the whole folder, the view is built. Median of 3 processes.
//! - **warm**: the same query again in a process that answered it once (the view is kept).
//! - **new words**: another filter in that process: the summaries (and thread sets) are kept,
//!   the view is built again, as when the user types.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use tern_core::Engine;
use tern_core::store::Envelope;
use tern_core::views::{ListQuery, SortKey, Source};

use crate::measure::{Metric, Report, median};
use crate::{MemorySecrets, Res, say};

/// Filter words for the seeded fixture: senders and subjects of the sample generator.
pub const FIXTURE_WORDS: [&str; 8] =
    ["invoice", "olivia", "kenji", "report", "ticket", "maria", "flight", "photos"];

/// Rows per page, as the list asks.
const PAGE: usize = 50;

fn query(id: &str, folder: &str, filter: &str, conversations: bool, sort: SortKey) -> ListQuery {
    ListQuery {
        source: Source::Folder { account_id: id.into(), path: folder.into() },
        sort,
        descending: sort == SortKey::Date,
        filter: filter.into(),
        conversations,
    }
}

/// Eight filter words for a folder of unknown mail: the most common first words of the senders'
/// names (and then subjects) among the newest cached messages.
pub fn words_from(envelopes: &[Envelope]) -> Vec<String> {
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut add = |text: &str, weight: usize| {
        if let Some(word) = text.split(|c: char| !c.is_alphanumeric()).find(|w| w.chars().count() >= 3) {
            *counts.entry(word.to_lowercase()).or_default() += weight;
        }
    };
    for e in envelopes {
        if let Some(a) = e.from.first() {
            add(a.name.as_deref().unwrap_or(&a.email), 2);
        }
        add(&e.subject, 1);
    }
    let mut ranked: Vec<(String, usize)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut words: Vec<String> = ranked.into_iter().map(|(w, _)| w).take(8).collect();
    while words.len() < 8 {
        words.push(["the", "re", "and", "for", "you", "new", "your", "from"][words.len()].to_string());
    }
    words
}

/// Runs `tern-bench --cold-list` in a fresh process; returns (ms to the first page, rows in the
/// view).
fn cold(
    data: &Path,
    id: &str,
    folder: &str,
    filter: &str,
    conversations: bool,
    sort: SortKey,
) -> Res<(f64, u32)> {
    let exe = std::env::current_exe()?;
    let sort = if sort == SortKey::Sender { "sender" } else { "date" };
    let out = std::process::Command::new(exe)
        .arg("--cold-list")
        .arg(data)
        .args([id, folder, sort, if conversations { "conversations" } else { "messages" }, filter])
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!("cold-list child failed: {text}{}", String::from_utf8_lossy(&out.stderr)).into());
    }
    let mut fields = text.split_whitespace();
    match (fields.next().map(str::parse::<f64>), fields.next().map(str::parse::<u32>)) {
        (Some(Ok(ms)), Some(Ok(total))) => Ok((ms, total)),
        _ => Err(format!("cold-list child said {text:?}").into()),
    }
}

/// The child side of [`cold`]: `--cold-list DIR ID FOLDER date|sender messages|conversations
/// FILTER`; prints "<ms to the first page> <rows in the view>".
pub fn cold_list_child(args: &[String]) -> ExitCode {
    let [dir, id, folder, sort, grouping, filter] = args else {
        eprintln!("usage: --cold-list DIR ID FOLDER date|sender messages|conversations FILTER");
        return ExitCode::from(2);
    };
    let sort = if sort == "sender" { SortKey::Sender } else { SortKey::Date };
    let q = query(id, folder, filter, grouping == "conversations", sort);
    let result = (|| -> Res<(f64, u32)> {
        let engine = Engine::open(Path::new(dir), Arc::new(MemorySecrets::default()))?;
        let started = Instant::now();
        let page = engine.list(&q, 0, PAGE)?;
        Ok((started.elapsed().as_secs_f64() * 1e3, page.total))
    })();
    match result {
        Ok((ms, total)) => {
            println!("{ms:.3} {total}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// Times the filtered, grouped and sender-sorted list of `folder` in the cache at `data` (no
/// engine may have it open). `words` needs 8 entries: the first is the timed filter, the other
/// seven the "new words".
pub fn list_views(data: &Path, id: &str, folder: &str, words: &[String], report: &mut Report) -> Res<()> {
    let cases: [(&str, &str, bool, SortKey); 3] = [
        ("list_filter", &words[0], false, SortKey::Date),
        ("list_filter_conversations", &words[0], true, SortKey::Date),
        ("list_sort_sender", "", false, SortKey::Sender),
    ];
    let mut colds = Vec::new();
    for &(name, filter, conversations, sort) in &cases {
        let mut runs = Vec::new();
        let mut total = 0;
        for _ in 0..3 {
            let (ms, rows) = cold(data, id, folder, filter, conversations, sort)?;
            runs.push(ms);
            total = rows;
        }
        colds.push((name, runs, total));
    }
    let engine = Engine::open(data, Arc::new(MemorySecrets::default()))?;
    let folder_total = engine.envelopes(id, folder, 0, 0)?.total;
    for ((name, filter, conversations, sort), (_, cold_runs, total)) in cases.iter().zip(&colds) {
        let q = query(id, folder, filter, *conversations, *sort);
        engine.list(&q, 0, PAGE)?;
        let mut warm = Vec::new();
        for _ in 0..7 {
            let started = Instant::now();
            engine.list(&q, 0, PAGE)?;
            warm.push(started.elapsed().as_secs_f64() * 1e3);
        }
        let mut fresh = Vec::new();
        if !filter.is_empty() {
            for word in &words[1..8] {
                let q = query(id, folder, word, *conversations, *sort);
                let started = Instant::now();
                engine.list(&q, 0, PAGE)?;
                fresh.push(started.elapsed().as_secs_f64() * 1e3);
            }
        }
        let what = match (filter.is_empty(), conversations) {
            (true, _) => format!("sorted by sender, {total} rows"),
            (false, false) => format!("filter \"{filter}\": {total} of {folder_total} messages"),
            (false, true) => format!("filter \"{filter}\" as conversations: {total} conversations"),
        };
        say(&format!(
            "{name}: cold {cold_runs:.1?} ms, warm {warm:.2?} ms, new words {fresh:.1?} ms ({what})"
        ));
        report.push(
            Metric::new(&format!("{name}_cold"), median(cold_runs), "ms").runs(cold_runs).note(&format!(
                "first page of a fresh process (Engine::open not counted), median of 3; {what}"
            )),
        );
        report.push(
            Metric::new(&format!("{name}_warm"), median(&warm), "ms")
                .runs(&warm)
                .note("the same query again, the view kept; median of 7"),
        );
        if !fresh.is_empty() {
            report.push(Metric::new(&format!("{name}_new_words"), median(&fresh), "ms").runs(&fresh).note(
                &format!(
                    "7 other filters ({}), summaries kept, view rebuilt: typing; median",
                    words[1..8].join(", ")
                ),
            ));
        }
    }
    engine.shutdown()?;
    Ok(())
}
