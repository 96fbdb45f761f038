//! A command-line mistake as one sentence. clap reports a usage error as a block (the
//! error, a tip, the usage line, "For more information…"); SPEC §2 promises one plain
//! sentence on stderr that says what to do next, like every other error, and a script
//! reading stderr should not have to know clap's layout.

/// `msht: <what clap found>[ (<its tip>)]; `<command> --help` shows how to use it`, from
/// clap's rendered (uncoloured) error text.
pub fn usage_sentence(rendered: &str) -> String {
    let mut lines = rendered.lines().map(str::trim_end);
    let first = lines.next().unwrap_or_default();
    let mut what = first.strip_prefix("error: ").unwrap_or(first).to_string();
    let mut items = Vec::new();
    let mut tips = Vec::new();
    let mut command = None;
    for line in lines {
        let trimmed = line.trim();
        if let Some(usage) = trimmed.strip_prefix("Usage: ") {
            command = Some(command_of(usage));
        } else if let Some(tip) = trimmed.strip_prefix("tip: ") {
            tips.push(tip.to_string());
        } else if line.starts_with("  ") && !trimmed.is_empty() {
            items.push(trimmed.to_string());
        }
    }
    if !items.is_empty() {
        let head = what.trim_end_matches(':').to_string();
        what = format!("{head}: {}", items.join(", "));
    }
    if !tips.is_empty() {
        what = format!("{what} ({})", tips.join("; "));
    }
    let command = command.unwrap_or_else(|| "msht".to_string());
    let sentence = format!("msht: {what}; `{command} --help` shows how to use it");
    // What was typed is quoted back: show control characters, never let them act.
    crate::text::visible::visible(&sentence).into_owned()
}

/// The command words of a usage line (`msht export --db <PATH> <ID>` → `msht export`),
/// under the binary's real name whatever it was started as.
fn command_of(usage: &str) -> String {
    let mut words: Vec<&str> = usage
        .split_whitespace()
        .take_while(|w| !w.starts_with(['-', '<', '[']))
        .collect();
    if !words.is_empty() {
        words[0] = "msht";
    }
    if words.is_empty() {
        "msht".to_string()
    } else {
        words.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_argument_names_it_and_the_command_help() {
        let r = "error: the following required arguments were not provided:\n  <ID>\n\nUsage: msht-x export --db <PATH> <ID>\n\nFor more information, try '--help'.\n";
        assert_eq!(
            usage_sentence(r),
            "msht: the following required arguments were not provided: <ID>; `msht export --help` shows how to use it"
        );
    }

    #[test]
    fn a_tip_is_kept_and_everything_is_one_line() {
        let r = "error: unexpected argument '--frob' found\n\n  tip: to pass '--frob' as a value, use '-- --frob'\n\nUsage: msht search [OPTIONS] [WORDS]...\n\nFor more information, try '--help'.\n";
        let s = usage_sentence(r);
        assert_eq!(
            s,
            "msht: unexpected argument '--frob' found (to pass '--frob' as a value, use '-- --frob'); `msht search --help` shows how to use it"
        );
        assert!(!s.contains('\n'));
    }

    #[test]
    fn without_a_usage_line_the_top_level_help_is_named() {
        let r = "error: invalid value 'abc' for '--limit <N>': invalid digit found in string\n\nFor more information, try '--help'.\n";
        assert_eq!(
            usage_sentence(r),
            "msht: invalid value 'abc' for '--limit <N>': invalid digit found in string; `msht --help` shows how to use it"
        );
    }

    #[test]
    fn typed_control_characters_are_shown_not_sent() {
        let s = usage_sentence("error: unrecognized subcommand '\u{1b}[2J'\n");
        assert!(!s.contains('\u{1b}'), "{s:?}");
    }
}
