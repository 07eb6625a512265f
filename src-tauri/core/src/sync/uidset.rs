//! Compact IMAP sequence sets (`1:5,7,9:12`) from UID lists.

/// Formats UIDs as a compact sequence set. Input order does not matter; duplicates are merged.
pub fn compact(uids: &[u32]) -> String {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = String::new();
    let mut iter = sorted.into_iter().peekable();
    while let Some(start) = iter.next() {
        let mut end = start;
        while iter.peek() == Some(&end.wrapping_add(1)) {
            end += 1;
            iter.next();
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets() {
        let table: [(&[u32], &str); 6] = [
            (&[], ""),
            (&[7], "7"),
            (&[1, 2, 3], "1:3"),
            (&[5, 1, 2, 3, 9, 10, 12], "1:3,5,9:10,12"),
            (&[4, 4, 4], "4"),
            (&[u32::MAX, u32::MAX - 1], "4294967294:4294967295"),
        ];
        for (uids, expected) in table {
            assert_eq!(compact(uids), expected, "{uids:?}");
        }
    }
}
