//! The environment Tern gives WebKitGTK's processes on Linux.
//!
//! WebKitGTK reads some of its settings from the environment of the process that starts it,
//! and its web and network processes inherit the app's. [`apply`] sets each of [`SETTINGS`]
//! first thing in [`crate::run`], unless the user set that variable already (their value is
//! kept, so any of these can be tried otherwise without a new build). Elsewhere the system's
//! WebView keeps its own settings and nothing is set.

/// A variable Tern sets for WebKitGTK: its name, its value, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The variable.
    pub name: &'static str,
    /// Its value.
    pub value: &'static str,
}

/// What Tern sets (BENCHMARKS.md has the figures behind each).
///
/// - `WEBKIT_DISABLE_DMABUF_RENDERER`: the window gets its frames in shared memory rather than
///   through the DMA-BUF renderer, which sets up GPU buffers for each process even though the
///   web process paints without the GPU (`lean_webview`): about 9 MB less for the app at its
///   first rows, with the same frame times while the list scrolls.
/// - The JavaScript heap's growth (`JSC_*`). JavaScriptCore lets the page's heap grow to four
///   times what was alive after its last full collection on a machine with 16 GB or more (two
///   times below), and never below 32 MB: sized for web pages that allocate hundreds of
///   megabytes, not for a window whose live script data is a few megabytes. Scrolling through
///   the message list then left 20–26 MB of young objects and what they promoted waiting for a
///   collection. Tern has the heap grow to one and a half times what is alive, from 4 MB: the
///   app holds 13–50 MB less scrolled through (about 30 on average), collections stay short
///   (pauses of 1–5 ms; the rest beside the page's thread) and the frames while scrolling keep
///   their times.
/// - `JSC_useJIT=false`: the page's script runs in JavaScriptCore's interpreter, never compiled
///   to machine code. The window's script is small and mostly hands work to the DOM and to
///   Tern's commands; the compilers' code, profiles and caches cost the web process about
///   20 MB once the list has scrolled (139–146 MB against 118–121 MB), for frames that keep
///   the display's pace either way and 5–10 ms more to fill the rows after a jump. It is also
///   a smaller surface for anything hostile that reaches the WebView: no memory that is both
///   written and run (browsers' hardened modes turn the JIT off for the same reason).
pub const SETTINGS: &[Setting] = &[
    Setting { name: "WEBKIT_DISABLE_DMABUF_RENDERER", value: "1" },
    // Machines with 16 GB or more: growth = 1 + heapGrowthMaxIncrease·e^(−heap/RAM).
    Setting { name: "JSC_heapGrowthMaxIncrease", value: "0.5" },
    // Machines with less: growth = smallHeapGrowthFactor while the heap is under a quarter of
    // the memory.
    Setting { name: "JSC_smallHeapGrowthFactor", value: "1.5" },
    // The heap's size below which it never collects (4 MB).
    Setting { name: "JSC_largeHeapSize", value: "4194304" },
    Setting { name: "JSC_useJIT", value: "false" },
];

/// The settings to set, given which variables the environment has already.
pub fn missing(is_set: impl Fn(&str) -> bool) -> Vec<Setting> {
    SETTINGS.iter().copied().filter(|setting| !is_set(setting.name)).collect()
}

/// Sets every setting the user has not set.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub fn apply() {
    for setting in missing(|name| std::env::var_os(name).is_some()) {
        // SAFETY: called first thing in `run`, before Tern or any library starts a thread, so
        // nothing can be reading the environment meanwhile.
        unsafe { std::env::set_var(setting.name, setting.value) };
    }
}

/// Elsewhere the system's WebView runs as it does for every app.
#[cfg(not(target_os = "linux"))]
pub fn apply() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variable_the_user_set_is_kept() {
        let names = |settings: Vec<Setting>| settings.iter().map(|s| s.name).collect::<Vec<_>>();
        let all = names(SETTINGS.to_vec());
        // (variables already set) -> what is set
        let table: &[(&[&str], Vec<&str>)] = &[
            (&[], all.clone()),
            (&["JSC_largeHeapSize"], all.iter().copied().filter(|n| *n != "JSC_largeHeapSize").collect()),
            (&["WEBKIT_DISABLE_DMABUF_RENDERER", "PATH"], all[1..].to_vec()),
            (&all, vec![]),
        ];
        for (set, expected) in table {
            assert_eq!(&names(missing(|name| set.contains(&name))), expected, "already set: {set:?}");
        }
    }

    #[test]
    fn every_value_is_a_positive_number_or_a_switch() {
        for setting in SETTINGS {
            let switch = matches!(setting.value, "true" | "false");
            assert!(switch || setting.value.parse::<f64>().is_ok_and(|v| v > 0.0), "{setting:?}");
        }
    }
}
