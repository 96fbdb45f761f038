//! Common English words, so typo correction never "corrects" a real word.
//!
//! An officer who types "refuses" means refuses, even though the guidance never uses the
//! word; the nearest guidance word ("refugee") is an unrelated idea. A word found here is
//! left alone (it may still find passages through a synonym or the stemmer); only a word
//! that is in neither the guidance nor this list is treated as a slip.
//!
//! The list is `english.txt`: SCOWL's size-35 British list as Debian ships it (licence and
//! provenance in `english.LICENSE`), cut to lowercase words of four or more letters (the
//! shortest word correction touches) and front-coded to about half its size: each line is
//! the number of leading letters shared with the line before, then the rest. It is
//! scanned, not loaded into a set, because a search asks about a handful of words at most.

const LIST: &str = include_str!("english.txt");

/// Whether `word` (lowercase) is a common English word.
pub fn contains(word: &str) -> bool {
    let mut prev = String::new();
    for line in LIST.lines() {
        let Some((shared, rest)) = split(line) else {
            continue;
        };
        prev.truncate(shared.min(prev.len()));
        prev.push_str(rest);
        match prev.as_str().cmp(word) {
            std::cmp::Ordering::Less => {}
            std::cmp::Ordering::Equal => return true,
            // Sorted: once past the word it is not there.
            std::cmp::Ordering::Greater => return false,
        }
    }
    false
}

/// A line's shared-prefix count (one digit) and the letters that follow it.
fn split(line: &str) -> Option<(usize, &str)> {
    let digit = line.chars().next()?.to_digit(10)?;
    Some((digit as usize, &line[1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_words_are_found() {
        for w in [
            "aardvark",
            "refuses",
            "refugee",
            "kids",
            "teenager",
            "wages",
            "injured",
            "organisation",
            "zoom",
        ] {
            assert!(contains(w), "{w}");
        }
    }

    #[test]
    fn slips_and_jargon_are_not() {
        for w in [
            "trafficing",
            "exploitaton",
            "cukooing",
            "bondge",
            "nrm",
            "",
            "zzzz",
        ] {
            assert!(!contains(w), "{w}");
        }
    }

    #[test]
    fn the_list_decodes_in_order() {
        let mut prev = String::new();
        let mut n = 0;
        for line in LIST.lines() {
            let (shared, rest) = split(line).expect("a digit then letters");
            assert!(shared <= prev.len(), "{line}");
            let mut w = prev[..shared].to_string();
            w.push_str(rest);
            assert!(w > prev, "{w} after {prev}");
            assert!(w.chars().count() >= 4 && w.chars().all(|c| c.is_ascii_lowercase()));
            prev = w;
            n += 1;
        }
        assert!(n > 30_000, "{n}");
    }
}
