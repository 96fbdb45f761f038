//! Bundle decode (`msht sync import`). Two modes, chosen by the first byte:
//! - raw: the input is the whole file, as a damaged, truncated or foreign file would be;
//! - re-sealed: each input line that reads as an event gets its own hash recomputed and
//!   the lot is written as a bundle with correct manifest hashes, so the checks behind
//!   the hashes (chains, seqs, duplicates, counts) see hostile content too.
//!
//! Must never panic: a bad bundle is one `Refusal`, and nothing of it is accepted.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use msht::record::{Event, hash_event};
use msht::sync::bundle;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let path = Path::new("fuzz.mshtbundle");
    if mode % 2 == 0 {
        if let Err(r) = bundle::decode(path, rest) {
            assert!(!r.0.is_empty());
        }
        return;
    }
    let events: Vec<Event> = rest
        .split(|&b| b == b'\n')
        .filter_map(|line| serde_json::from_slice::<Event>(line).ok())
        .filter_map(|mut e| {
            e.hash = hash_event(&e).ok()?;
            Some(e)
        })
        .collect();
    let writer = bundle::Writer {
        device_id: "fuzz-device",
        for_hub: if mode & 2 == 0 { None } else { Some("fuzz-hub") },
        bundle_seq: 1,
        created_at: "2026-01-01T00:00:00Z",
        local_seq: (1, 1),
    };
    let Ok((_, _, bytes)) = bundle::encode(&writer, &events) else {
        return;
    };
    match bundle::decode(path, &bytes) {
        Ok(b) => assert_eq!(b.events.len(), events.len()),
        Err(r) => assert!(!r.0.is_empty()),
    }
});
