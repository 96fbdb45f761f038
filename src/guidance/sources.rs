//! Which links a guidance file may cite as a source.
//!
//! A statement of law or procedure rests on the primary source: legislation.gov.uk for
//! statute, gov.uk for statutory guidance and statistics, the College of Policing's public
//! APP, CPS legal guidance. A link must be one a court or a supervisor can open as it is:
//! https, the public host name (no trailing dot, no port, no user name), and no tracking
//! or search parameters that make it somebody's session rather than the page.
//!
//! Hosts that are never a source (internal or staging copies, flashcards, mirrors) are
//! listed as data in `source-rules.toml`, so a force can add its own without a new build.

use serde::Deserialize;
use toml::Spanned;

use super::model::{Guidance, Location, SourceRef};
use super::problems::{Problems, line_of};

/// Query parameters that track a click or record a search, never part of a source's
/// address. Matched case-insensitively; any `utm_…` parameter is also refused.
pub const TRACKING_PARAMS: &[&str] = &[
    "gclid",
    "gclsrc",
    "dclid",
    "fbclid",
    "msclkid",
    "igshid",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_gl",
    "yclid",
    "ref",
    "referrer",
    "q",
    "query",
    "search",
    "s",
    "searchterm",
    "keyword",
    "keywords",
];

/// The deny list and extra parameters read from `source-rules.toml`.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct SourceRules {
    pub deny: Vec<DeniedHost>,
    /// Parameters refused on top of [`TRACKING_PARAMS`].
    pub params: Vec<String>,
}

/// A host pattern that may not be cited: `example.org` (that host and its subdomains),
/// `*.example.org` (any subdomain) or `internal.example.*` (any host starting so).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DeniedHost {
    pub pattern: String,
    pub reason: String,
    pub at: Location,
}

impl DeniedHost {
    pub fn matches(&self, host: &str) -> bool {
        host_matches(&self.pattern, host)
    }
}

fn host_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    if let Some(prefix) = pattern.strip_suffix(".*") {
        host.strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('.') && rest.len() > 1)
    } else if let Some(suffix) = pattern.strip_prefix("*.") {
        host.strip_suffix(suffix)
            .is_some_and(|rest| rest.ends_with('.') && rest.len() > 1)
    } else {
        host == pattern
            || host
                .strip_suffix(pattern.as_str())
                .is_some_and(|rest| rest.ends_with('.'))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSourceRules {
    #[serde(default)]
    params: Vec<Spanned<String>>,
    #[serde(default)]
    deny: Vec<RawDeny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeny {
    host: Spanned<String>,
    #[serde(default)]
    reason: String,
}

/// Reads `source-rules.toml`, reporting a bad pattern with its line.
pub fn parse(file: &str, text: &str, problems: &mut Problems) -> SourceRules {
    let raw: RawSourceRules = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
            problems.add(
                file,
                line,
                format!("source-rules.toml does not parse: {}", e.message().trim()),
            );
            return SourceRules::default();
        }
    };
    let mut rules = SourceRules::default();
    for p in &raw.params {
        let name = p.get_ref().trim().to_ascii_lowercase();
        if name.is_empty() || name.contains(['=', '&', '?', ' ']) {
            problems.add(
                file,
                line_of(text, p.span().start),
                format!("'{}' is not a query parameter name", p.get_ref()),
            );
        } else {
            rules.params.push(name);
        }
    }
    for d in &raw.deny {
        let line = line_of(text, d.host.span().start);
        let pattern = d.host.get_ref().trim().to_ascii_lowercase();
        let core = pattern
            .strip_prefix("*.")
            .or_else(|| pattern.strip_suffix(".*"))
            .unwrap_or(&pattern);
        let valid = !core.is_empty()
            && core.split('.').all(|label| {
                !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !valid {
            problems.add(
                file,
                line,
                format!(
                    "'{}' is not a host pattern (a host name, *.host or host.*)",
                    d.host.get_ref()
                ),
            );
            continue;
        }
        if d.reason.trim().is_empty() {
            problems.add(
                file,
                line,
                format!("denied host '{pattern}' needs a reason"),
            );
        }
        rules.deny.push(DeniedHost {
            pattern,
            reason: d.reason.trim().to_string(),
            at: Location {
                file: file.to_string(),
                line,
            },
        });
    }
    rules
}

/// Why `url` may not be cited as a source, or `None` when it may.
pub fn url_problem(url: &str, rules: &SourceRules) -> Option<String> {
    let url = url.trim();
    if url.chars().any(char::is_whitespace) {
        return Some(format!("source link '{url}' contains a space"));
    }
    let Some(rest) = strip_prefix_ci(url, "https://") else {
        return Some(format!(
            "source link '{url}' is not https; cite the https address of the page"
        ));
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let after = &rest[end..];
    if authority.contains('@') {
        return Some(format!(
            "source link '{url}' carries a user name; cite the public address"
        ));
    }
    if authority.contains(':') {
        return Some(format!(
            "source link '{url}' names a port; cite the public address without one"
        ));
    }
    let host = authority.to_ascii_lowercase();
    if host.is_empty() {
        return Some(format!("source link '{url}' has no host"));
    }
    if host.ends_with('.') {
        return Some(format!(
            "source link '{url}' has a host ending in a dot; drop the trailing dot"
        ));
    }
    if let Some(d) = rules.deny.iter().find(|d| d.matches(&host)) {
        return Some(format!(
            "source link '{url}' is on a host that is not a source ({}): {}",
            d.pattern, d.reason
        ));
    }
    if let Some(q) = after.split('#').next().and_then(|a| a.split_once('?')) {
        for pair in q.1.split('&') {
            let key = pair.split('=').next().unwrap_or("").to_ascii_lowercase();
            if key.starts_with("utm_")
                || TRACKING_PARAMS.contains(&key.as_str())
                || rules.params.iter().any(|p| p == &key)
            {
                return Some(format!(
                    "source link '{url}' has a tracking or search parameter '{key}'; cite the page's own address"
                ));
            }
        }
    }
    None
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    (s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix))
        .then(|| &s[prefix.len()..])
}

/// Checks one list of sources: each needs a title and an acceptable link.
pub fn check_list(file: &str, sources: &[SourceRef], rules: &SourceRules, p: &mut Problems) {
    for s in sources {
        if s.title.trim().is_empty() || s.url.trim().is_empty() {
            p.add(file, s.line, "every source needs a title and a url");
            continue;
        }
        if let Some(msg) = url_problem(&s.url, rules) {
            p.add(file, s.line, msg);
        }
    }
}

/// The release rules `guidance validate` adds on top of what loading needs: every
/// checklist, `prompts.toml` and `duties.toml` names its sources and review date, and
/// every source anywhere is a link that may be cited.
pub fn check(g: &Guidance, p: &mut Problems) {
    for t in &g.topics {
        check_list(&t.at.file, &t.sources, &g.source_rules, p);
    }
    for m in &g.provenance {
        match m.reviewed.as_deref().map(str::trim) {
            None | Some("") => p.add(
                &m.file,
                m.reviewed_line,
                "the file has no review date: add reviewed = \"YYYY-MM-DD\" (the day a person checked it against its sources) at the top",
            ),
            Some(d) if d.parse::<jiff::civil::Date>().is_err() => p.add(
                &m.file,
                m.reviewed_line,
                format!("review date '{d}' is not a YYYY-MM-DD date"),
            ),
            Some(_) => {}
        }
        if m.sources.is_empty() {
            p.add(
                &m.file,
                m.reviewed_line,
                "the file names no sources: add sources = [{ title = \"…\", url = \"https://…\" }] at the top",
            );
        }
        check_list(&m.file, &m.sources, &g.source_rules, p);
    }
}

/// The 1-based line of the `n`th (0-based) occurrence of `needle` in `text`, or `fallback`.
pub fn line_of_nth(text: &str, needle: &str, n: usize, fallback: usize) -> usize {
    if needle.is_empty() {
        return fallback;
    }
    text.match_indices(needle)
        .nth(n)
        .map_or(fallback, |(i, _)| line_of(text, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> SourceRules {
        let mut p = Problems::default();
        let r = parse(
            "source-rules.toml",
            "params = [\"sessionid\"]\n\n[[deny]]\nhost = \"production.copweb.aws.*\"\nreason = \"internal host\"\n\n[[deny]]\nhost = \"flashcards.example\"\nreason = \"flashcards\"\n\n[[deny]]\nhost = \"*.staging.example\"\nreason = \"staging\"\n",
            &mut p,
        );
        assert!(p.is_empty(), "{p}");
        r
    }

    #[test]
    fn authoritative_links_pass() {
        let r = rules();
        for url in [
            "https://www.legislation.gov.uk/ukpga/2015/30/section/45",
            "https://www.gov.uk/government/publications/modern-slavery-how-to-identify-and-support-victims",
            "https://www.college.police.uk/app/major-investigation-and-public-protection/modern-slavery",
            "https://www.cps.gov.uk/legal-guidance/modern-slavery-human-trafficking-and-smuggling",
            "https://www.college.police.uk/app/changes?page=7",
            "HTTPS://www.gov.uk/",
        ] {
            assert_eq!(url_problem(url, &r), None, "{url}");
        }
    }

    #[test]
    fn each_rule_refuses_its_link() {
        let r = rules();
        let cases = [
            ("http://www.legislation.gov.uk/ukpga/2015/30", "not https"),
            ("ftp://example.org/x", "not https"),
            (
                "https://www.legislation.gov.uk./ukpga/2023/37",
                "ending in a dot",
            ),
            ("https://www.legislation.gov.uk:443/ukpga/2015/30", "port"),
            ("https://user@www.gov.uk/x", "user name"),
            ("https://www.gov.uk/x?utm_source=email", "'utm_source'"),
            ("https://www.gov.uk/x?a=1&UTM_Medium=x", "'utm_medium'"),
            ("https://example.org/page?q=slavery", "'q'"),
            ("https://example.org/page?query=x", "'query'"),
            ("https://example.org/page?search=x", "'search'"),
            ("https://example.org/page?gclid=1", "'gclid'"),
            ("https://example.org/page?fbclid=1", "'fbclid'"),
            ("https://example.org/page?sessionid=1", "'sessionid'"),
            (
                "https://production.copweb.aws.college.police.uk/app/x",
                "internal host",
            ),
            ("https://flashcards.example/x", "flashcards"),
            ("https://www.flashcards.example/x", "flashcards"),
            ("https://a.staging.example/x", "staging"),
            ("https://www.gov.uk/a b", "space"),
            ("https:///x", "no host"),
        ];
        for (url, words) in cases {
            let msg = url_problem(url, &r).unwrap_or_else(|| panic!("{url} passed"));
            assert!(msg.contains(words), "{url}: {msg}");
        }
    }

    #[test]
    fn patterns_do_not_match_lookalikes() {
        assert!(!host_matches("flashcards.example", "notflashcards.example"));
        assert!(!host_matches(
            "production.copweb.aws.*",
            "production.copweb.aws"
        ));
        assert!(!host_matches("*.staging.example", "staging.example"));
        assert!(host_matches(
            "production.copweb.aws.*",
            "production.copweb.aws.college.police.uk"
        ));
        // A fragment is not a query.
        assert_eq!(
            url_problem("https://www.gov.uk/x#q=1", &SourceRules::default()),
            None
        );
    }

    #[test]
    fn bad_rules_are_reported_with_their_line() {
        let mut p = Problems::default();
        parse(
            "source-rules.toml",
            "params = [\"a=b\"]\n[[deny]]\nhost = \"bad host\"\nreason = \"x\"\n[[deny]]\nhost = \"ok.example\"\n",
            &mut p,
        );
        let text = p.to_string();
        assert!(text.contains("source-rules.toml:1: 'a=b'"), "{text}");
        assert!(text.contains("source-rules.toml:3: 'bad host'"), "{text}");
        assert!(
            text.contains("source-rules.toml:6: denied host 'ok.example' needs a reason"),
            "{text}"
        );
    }

    #[test]
    fn nth_occurrence_line() {
        let text = "a\nurl\nb\nurl\n";
        assert_eq!(line_of_nth(text, "url", 0, 1), 2);
        assert_eq!(line_of_nth(text, "url", 1, 1), 4);
        assert_eq!(line_of_nth(text, "url", 2, 9), 9);
    }
}
