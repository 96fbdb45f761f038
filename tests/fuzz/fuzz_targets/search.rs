//! Search queries (`msht search WORDS...`): any text, including FTS5 syntax (quotes,
//! `NEAR`, `*`, `^`, column filters, brackets), against the bundled guidance's in-memory
//! index, with a limit from the input. The index is built once (no cache folder) and
//! reused: building it is what `search::search(g, q, n, None)` does first, and it does
//! not depend on the query. Must never panic and never pass SQLite an error it then
//! reports raw: a query that finds nothing is an empty `Outcome`.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use msht::guidance::{Guidance, GuidanceFiles};
use msht::search::{Index, Searcher};

fn bundled() -> &'static Guidance {
    static G: OnceLock<Guidance> = OnceLock::new();
    G.get_or_init(|| {
        Guidance::from_files(&GuidanceFiles::embedded()).expect("the bundled guidance loads")
    })
}

thread_local! {
    static SEARCHER: Searcher<'static> =
        Searcher::new(bundled(), Index::build(bundled()).expect("the index builds"));
}

fuzz_target!(|data: &[u8]| {
    let Some((&limit, rest)) = data.split_first() else {
        return;
    };
    let Ok(query) = std::str::from_utf8(rest) else {
        return;
    };
    let limit = usize::from(limit % 60);
    SEARCHER.with(|s| match s.search(query, limit) {
        Ok(out) => assert!(limit == 0 || out.hits.len() <= limit),
        Err(e) => {
            let _ = e.fault();
            assert!(!e.to_string().is_empty());
        }
    });
});
