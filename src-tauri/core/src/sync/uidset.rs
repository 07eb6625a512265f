//! Compact IMAP sequence sets (`1:5,7,9:12`) from UID lists, and back.

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

/// Most UIDs a set from the server may expand to: far above any real folder, far below what
/// would exhaust memory.
const MAX_EXPANDED: usize = 50_000_000;

/// Expands a sequence set of plain numbers (`1:3,7`, ranges in either order) into sorted,
/// deduplicated UIDs. `None` for anything malformed (including `*`) or absurdly large.
pub fn expand(set: &str) -> Option<Vec<u32>> {
    let mut out = Vec::new();
    if set.is_empty() {
        return Some(out);
    }
    for part in set.split(',') {
        let (a, b) = match part.split_once(':') {
            Some((a, b)) => (a.parse::<u32>().ok()?, b.parse::<u32>().ok()?),
            None => {
                let n = part.parse::<u32>().ok()?;
                (n, n)
            }
        };
        let (low, high) = (a.min(b), a.max(b));
        if out.len() + (high - low) as usize >= MAX_EXPANDED {
            return None;
        }
        out.extend(low..=high);
    }
    out.sort_unstable();
    out.dedup();
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansions() {
        let table: [(&str, Option<Vec<u32>>); 8] = [
            ("", Some(vec![])),
            ("7", Some(vec![7])),
            ("1:3", Some(vec![1, 2, 3])),
            ("3:1,5", Some(vec![1, 2, 3, 5])),
            ("9,1:2,2", Some(vec![1, 2, 9])),
            ("1:*", None),
            ("a", None),
            ("1:4294967295", None),
        ];
        for (set, expected) in table {
            assert_eq!(expand(set), expected, "{set}");
        }
        let uids = [1, 2, 3, 5, 9, 10, 12];
        assert_eq!(expand(&compact(&uids)).unwrap(), uids);
    }

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
