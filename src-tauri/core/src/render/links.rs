//! Spotting links whose text shows one site while the link goes to another.

use url::{Host, Url};

/// File types whose names look like domains (`report.pdf`): link text like that is not read as
/// a site unless it has a scheme, a `www.` or a path.
const FILE_EXTENSIONS: &[&str] = &[
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp", "txt", "rtf", "csv", "ics",
    "vcf", "jpg", "jpeg", "png", "gif", "webp", "svg", "bmp", "tif", "tiff", "heic", "mp3", "mp4", "m4a",
    "wav", "avi", "mkv", "webm", "html", "htm", "xml", "json", "exe", "msi", "dmg", "pkg", "apk", "tar",
    "gz", "tgz", "7z", "rar", "eml", "md",
];

/// True when `text` reads as a web address (`https://mybank.com`, `www.mybank.com`,
/// `mybank.com/login`) whose host is not the host `href` goes to. Hosts are compared without
/// case and without a leading `www.`, and a subdomain of the shown host (or the other way round)
/// counts as the same site.
pub(super) fn mismatched_domain(href: &str, text: &str) -> bool {
    let Some(shown) = shown_host(text) else { return false };
    match target_host(href) {
        Some(target) => !same_site(&shown, &target),
        None => true,
    }
}

/// The host a link's text names, if the text reads as a web address.
fn shown_host(text: &str) -> Option<String> {
    let text = text
        .trim()
        .trim_start_matches(['(', '<', '[', '"', '\''])
        .trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '>', ']', '"', '\'']);
    if text.is_empty() || text.chars().any(char::is_whitespace) {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    let has_scheme = lower.starts_with("http://") || lower.starts_with("https://");
    if !has_scheme && (lower.contains("://") || lower.contains('@')) {
        // Another scheme, or an e-mail address: not a web address.
        return None;
    }
    let url = Url::parse(&if has_scheme { text.to_owned() } else { format!("http://{text}") }).ok()?;
    let host = url.host()?;
    if has_scheme {
        return Some(normalize(&host.to_string()));
    }
    let Host::Domain(domain) = host else {
        // A bare IP address as link text is a web address too, written out in full (`3.14` is
        // a number, even if a URL parser reads it as 3.0.0.14).
        let written = text.split(['/', ':', '?', '#']).next().unwrap_or("");
        let address = host.to_string();
        return (written == address).then_some(address);
    };
    let top = domain.rsplit('.').next().unwrap_or("");
    let looks_like_domain = domain.contains('.')
        && top.len() >= 2
        && (top.chars().all(|c| c.is_ascii_alphabetic()) || top.starts_with("xn--"));
    let has_path = text.contains(['/', '?', '#']);
    let is_file_name = !has_path && !lower.starts_with("www.") && FILE_EXTENSIONS.contains(&top);
    (looks_like_domain && !is_file_name).then(|| normalize(domain))
}

/// Where a link goes: the host of an http(s) link, the domain of a mailto address.
fn target_host(href: &str) -> Option<String> {
    let url = Url::parse(href.trim()).ok()?;
    match url.scheme() {
        "http" | "https" => url.host().map(|host| normalize(&host.to_string())),
        "mailto" => {
            let address = url.path().split(['?', ',']).next().unwrap_or("");
            let domain = address.rsplit_once('@')?.1;
            Url::parse(&format!("http://{domain}")).ok()?.host_str().map(normalize)
        }
        _ => None,
    }
}

fn normalize(host: &str) -> String {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    match host.strip_prefix("www.") {
        Some(rest) if rest.contains('.') => rest.to_owned(),
        _ => host,
    }
}

fn same_site(a: &str, b: &str) -> bool {
    a == b || a.ends_with(&format!(".{b}")) || b.ends_with(&format!(".{a}"))
}
