//! Attachments on the user's disk: names that are safe to create, and which files are programs.
//!
//! A name chosen by a message's sender never reaches the file system as it is: path separators,
//! control characters, reserved Windows names and leading dots go, and the length is capped.
//! Files that run code when opened (programs, scripts, installers, shortcuts) are never opened by
//! Tern; the user can still save them.

/// Longest file name Tern creates, in bytes (file systems allow 255).
const MAX_NAME: usize = 180;

/// Extensions of files that run code when opened, on any of the platforms Tern supports.
const PROGRAMS: &[&str] = &[
    "app",
    "appimage",
    "apk",
    "application",
    "bat",
    "bin",
    "cmd",
    "com",
    "command",
    "cpl",
    "csh",
    "deb",
    "desktop",
    "dll",
    "dmg",
    "exe",
    "gadget",
    "hta",
    "inf",
    "ins",
    "isp",
    "jar",
    "js",
    "jse",
    "ksh",
    "lnk",
    "msc",
    "msi",
    "msp",
    "mst",
    "pif",
    "pkg",
    "ps1",
    "ps1xml",
    "ps2",
    "psc1",
    "psm1",
    "py",
    "pyw",
    "reg",
    "rpm",
    "run",
    "scf",
    "scr",
    "sct",
    "sh",
    "shb",
    "url",
    "vb",
    "vbe",
    "vbs",
    "webloc",
    "ws",
    "wsc",
    "wsf",
    "wsh",
    "xbap",
];

/// Names Windows reserves for devices, whatever the extension.
const RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9",
    "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// A file name safe to create on any platform, from an attachment's name (`fallback` when it
/// has none or nothing of it is usable).
pub fn safe_file_name(name: Option<&str>, fallback: &str) -> String {
    let cleaned: String = name
        .unwrap_or_default()
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            // Bidirectional overrides can make "exe.pdf" read as "fdp.exe".
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' => '_',
            c => c,
        })
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim_end_matches(['.', ' ']).to_string();
    let stem = trimmed.split('.').next().unwrap_or_default().to_ascii_lowercase();
    let mut out = if trimmed.is_empty() || trimmed.chars().all(|c| c == '_') {
        fallback.to_string()
    } else if RESERVED.contains(&stem.as_str()) {
        format!("_{trimmed}")
    } else {
        trimmed
    };
    if out.len() > MAX_NAME {
        // Keep the extension: it decides which program opens the file.
        let ext = out.rsplit_once('.').map(|(_, e)| e.to_string()).filter(|e| e.len() <= 16);
        let keep = MAX_NAME - ext.as_ref().map_or(0, |e| e.len() + 1);
        let mut cut = keep;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        if let Some(ext) = ext {
            out.push('.');
            out.push_str(&ext);
        }
    }
    out
}

/// Whether opening a file of this name would run code.
pub fn is_program(name: &str) -> bool {
    let name = name.trim_end_matches(['.', ' ']).to_ascii_lowercase();
    name.rsplit_once('.').is_some_and(|(_, ext)| PROGRAMS.contains(&ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_senders_become_safe_file_names() {
        let long = format!("{}.pdf", "é".repeat(200));
        let table: [(Option<&str>, &str); 12] = [
            (Some("report.pdf"), "report.pdf"),
            (Some("../../etc/passwd"), "_.._etc_passwd"),
            (Some("C:\\Windows\\evil.dll"), "C__Windows_evil.dll"),
            (Some("  .hidden  "), "hidden"),
            (Some("a\u{0}b\nc.txt"), "a_b_c.txt"),
            (Some("CON.txt"), "_CON.txt"),
            (Some("invoice\u{202e}fdp.exe"), "invoice_fdp.exe"),
            (Some("trailing dots..."), "trailing dots"),
            (Some("///"), "attachment"),
            (Some(""), "attachment"),
            (None, "attachment"),
            (Some("€ rates.pdf"), "€ rates.pdf"),
        ];
        for (name, expected) in table {
            assert_eq!(safe_file_name(name, "attachment"), expected, "{name:?}");
        }
        let cut = safe_file_name(Some(&long), "attachment");
        assert!(cut.len() <= MAX_NAME && cut.ends_with(".pdf"), "{cut}");
    }

    #[test]
    fn programs_are_recognized_whatever_the_case() {
        let table: [(&str, bool); 9] = [
            ("setup.exe", true),
            ("SETUP.EXE", true),
            ("invoice.pdf.js", true),
            ("run.sh", true),
            ("notes.desktop", true),
            ("tricky.exe. ", true),
            ("photo.jpg", false),
            ("report.pdf", false),
            ("README", false),
        ];
        for (name, expected) in table {
            assert_eq!(is_program(name), expected, "{name}");
        }
    }
}
