//! Giving the memory the app freed back to the system once it goes quiet.
//!
//! glibc's allocator keeps what a process frees for its next allocations rather than returning
//! it. In the app that is several megabytes after each burst of work: the window's repaints
//! while the message list scrolls (large buffers that raise glibc's threshold for returning
//! memory on its own), the start-up's reading and threading of the inbox, a sync pass. It stays
//! counted against Tern until the process ends (BENCHMARKS.md has the figures). So once the app
//! has been quiet for [`QUIET`] after work (no command from the window, no event from the
//! engine), the thread [`watch`] starts has glibc return every free page (`malloc_trim`), once
//! per burst. Between bursts that thread sleeps without waking.
//!
//! The allocator's thresholds are fixed first thing ([`steady_thresholds`]), by the app and by
//! the engine's benchmark alike, so that the benchmark measures the engine as the app runs it.
//!
//! Elsewhere (other C libraries, macOS, Windows) the system allocator returns memory on its
//! own, and these functions do nothing.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::Thread;
use std::time::Duration;

/// How long the app must have been quiet before freed memory is returned.
pub const QUIET: Duration = Duration::from_millis(500);

/// Work done since the app started: commands and engine events, counted.
static ACTIVITY: AtomicU64 = AtomicU64::new(0);

/// The thread [`watch`] started, woken by [`touch`].
static WATCHER: OnceLock<Thread> = OnceLock::new();

/// Records that the app did something that may have left freed memory behind.
pub fn touch() {
    ACTIVITY.fetch_add(1, Ordering::Relaxed);
    if let Some(watcher) = WATCHER.get() {
        watcher.unpark();
    }
}

/// What the watching thread does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Nothing happened since memory was last returned: sleep until something does.
    Park,
    /// Work went on since the last look: look again after [`QUIET`].
    Wait,
    /// Quiet for a whole [`QUIET`] after work: return the freed memory.
    GiveBack,
}

/// The step after a look at the activity count: `seen` at the look before (`None` right after
/// waking), `now`, and `returned` when memory was last returned.
pub fn next(seen: Option<u64>, now: u64, returned: u64) -> Next {
    if now == returned {
        Next::Park
    } else if seen == Some(now) {
        Next::GiveBack
    } else {
        Next::Wait
    }
}

/// Starts the thread that returns freed memory once the app goes quiet after work.
pub fn watch() {
    if !supported() {
        return;
    }
    let started = std::thread::Builder::new().name("tern-memory".into()).spawn(|| {
        let (mut seen, mut returned) = (None, 0);
        loop {
            let now = ACTIVITY.load(Ordering::Relaxed);
            match next(seen, now, returned) {
                Next::Park => {
                    std::thread::park();
                    seen = None;
                }
                Next::Wait => {
                    seen = Some(now);
                    std::thread::sleep(QUIET);
                }
                Next::GiveBack => {
                    give_back();
                    returned = now;
                }
            }
        }
    });
    match started {
        Ok(handle) => {
            let _ = WATCHER.set(handle.thread().clone());
        }
        Err(error) => tracing::debug!(%error, "freed memory will not be returned to the system early"),
    }
}

/// Allocations from this size up that the heap has no free room for get pages of their own,
/// returned to the system when freed (rather than growing the heap).
pub const OWN_PAGES_FROM: usize = 512 * 1024;
/// Free memory at the top of the allocator's heap beyond this is returned to the system at once.
pub const KEPT_AT_TOP: usize = 1024 * 1024;

/// Fixes the two sizes glibc's allocator returns memory by ([`OWN_PAGES_FROM`], [`KEPT_AT_TOP`]).
/// Left to itself, glibc raises both each time a large block is freed, up to 32 and 64 MB: after
/// the start-up's large arrays (the inbox's order, its conversations) or a sync's buffers, every
/// later allocation of that size comes from the heap, and the heap keeps that much free memory
/// at its top. Fixed, large blocks come and go as pages of their own: 3–5 MB less for the app at
/// its first rows with conversations, 14 MB less at the peak of a 100,000-message sync, for
/// about 3 % more of the sync's CPU (BENCHMARKS.md). Call first thing, before other threads.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn steady_thresholds() {
    for (option, value) in [(libc::M_MMAP_THRESHOLD, OWN_PAGES_FROM), (libc::M_TRIM_THRESHOLD, KEPT_AT_TOP)] {
        let value = libc::c_int::try_from(value).unwrap_or(libc::c_int::MAX);
        // SAFETY: `mallopt` takes two integers and changes the allocator's settings under its
        // own lock. A value glibc refuses (it returns 0) leaves the setting as it was, which is
        // all that can be done about it this early (no log is set up yet).
        let _ = unsafe { libc::mallopt(option, value) };
    }
}

/// Elsewhere the system allocator keeps its own settings.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn steady_thresholds() {}

/// True where [`give_back`] returns memory.
pub const fn supported() -> bool {
    cfg!(all(target_os = "linux", target_env = "gnu"))
}

/// Returns every whole free page of every allocator arena to the system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn give_back() {
    // SAFETY: `malloc_trim` takes no pointer and only releases pages the allocator holds free,
    // under the allocator's own locks; it is safe to call from any thread at any time.
    unsafe { libc::malloc_trim(0) };
}

/// Elsewhere the system allocator returns memory on its own.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn give_back() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_is_returned_once_after_each_burst_of_work_when_the_app_has_been_quiet() {
        // (activity at the look before, now, when memory was last returned) -> next step
        let table: &[(Option<u64>, u64, u64, Next)] = &[
            (None, 0, 0, Next::Park),        // nothing done yet
            (None, 3, 0, Next::Wait),        // woken by work: see whether it goes on
            (Some(3), 5, 0, Next::Wait),     // it did
            (Some(5), 5, 0, Next::GiveBack), // quiet for a whole look since
            (Some(5), 5, 5, Next::Park),     // returned: nothing more until the next work
            (None, 6, 5, Next::Wait),        // one more command
            (Some(6), 6, 5, Next::GiveBack), // and quiet after it
            (Some(6), 9, 5, Next::Wait),     // unless more came meanwhile
        ];
        for &(seen, now, returned, expected) in table {
            assert_eq!(
                next(seen, now, returned),
                expected,
                "seen {seen:?}, now {now}, returned at {returned}"
            );
        }
    }

    /// Resident memory of this process, in bytes.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn resident() -> u64 {
        let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
        let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
        pages * 4096
    }

    /// Whether `block` has pages of its own: a mapping of this process starts right before it
    /// (glibc puts its 16-byte header there) and ends just past it.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn has_pages_of_its_own(block: &[u8]) -> bool {
        let start = block.as_ptr() as usize - 16;
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        maps.lines().filter_map(|line| line.split_whitespace().next()?.split_once('-')).any(|(from, to)| {
            let (from, to) =
                (usize::from_str_radix(from, 16).unwrap(), usize::from_str_radix(to, 16).unwrap());
            from == start && to >= start + 16 + block.len() && to - start - 16 - block.len() < 4096
        })
    }

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn large_blocks_keep_pages_of_their_own_after_a_larger_one_was_freed() {
        // In a process of its own: this thread may be given an allocator arena where another
        // test freed blocks, and a block that fits in one of them comes from it whatever the
        // threshold.
        const FRESH: &str = "TERN_TEST_FRESH_PROCESS";
        if std::env::var_os(FRESH).is_none() {
            let name = "memory::tests::large_blocks_keep_pages_of_their_own_after_a_larger_one_was_freed";
            let status = std::process::Command::new(std::env::current_exe().unwrap())
                .args([name, "--exact", "--test-threads=1"])
                .env(FRESH, "1")
                .status()
                .unwrap();
            assert!(status.success(), "the test failed in its own process");
            return;
        }
        steady_thresholds();
        // Left to itself, glibc would serve every block up to 16 MB from its heap after this.
        let larger = std::hint::black_box(vec![1u8; 16 << 20]);
        assert!(has_pages_of_its_own(&larger));
        drop(larger);
        // (size, pages of its own)
        let table = [(OWN_PAGES_FROM, true), (2 * OWN_PAGES_FROM, true), (4 << 20, true), (64 * 1024, false)];
        for (size, own) in table {
            let block = std::hint::black_box(vec![1u8; size]);
            assert_eq!(has_pages_of_its_own(&block), own, "a block of {size} bytes");
        }
    }

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn memory_freed_in_the_middle_of_the_heap_goes_back_to_the_system() {
        // On a thread of its own, so that its allocator arena holds only this test's blocks.
        std::thread::spawn(|| {
            const MB: usize = 1 << 20;
            // 96 MB in blocks well under glibc's threshold for mapping each on its own, with a
            // block kept after them so that freeing the rest cannot shrink the heap from its end.
            let mut blocks: Vec<Vec<u8>> = (0..96 * 1024).map(|i| vec![i as u8; 1024]).collect();
            let keep = vec![1u8; 1024];
            let before = resident();
            blocks.clear();
            blocks.shrink_to_fit();
            let freed = resident();
            give_back();
            let after = resident();
            assert!(keep[0] == 1);
            assert!(
                freed.saturating_sub(after) >= 48 * MB as u64,
                "resident before freeing {} MB, after freeing {} MB, after returning {} MB",
                before / MB as u64,
                freed / MB as u64,
                after / MB as u64
            );
        })
        .join()
        .unwrap();
    }
}
