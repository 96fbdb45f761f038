//! Order independence: any permutation of a set of bundles, with repeats, imported into a
//! fresh hub gives the same hub state. The bundles overlap, and some carry only the later
//! part of an encounter's chain (whose start travels in another bundle), so the hub must
//! hold early arrivals aside and join them when the gap is filled.

use crate::common::created;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use msht::record::{Event, EventBody};
use msht::store::{EncounterSummary, ListFilter, Store};
use msht::sync;
use proptest::prelude::*;

struct Fixture {
    _dir: tempfile::TempDir,
    bundles: Vec<PathBuf>,
    template: PathBuf,
    device: Vec<Vec<Event>>,
}

fn note(i: usize) -> EventBody {
    EventBody::NoteAdded {
        text: format!("note {i}"),
    }
}

/// Three encounters on one device, then bundles cut from their chains by hand:
/// prefixes, whole chains, and tails that start part-way through a chain.
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let mut dev = Store::open(&dir.path().join("device.db")).unwrap();
        // Every hub in these tests is a copy of this one, so one set of sealed bundles
        // serves them all.
        let mut hub = crate::common::lib_hub(&dir.path().join("hub-template.db"), &mut dev);
        let mut chains = Vec::new();
        for n in [6usize, 4, 5] {
            let rest: Vec<EventBody> = (2..=n).map(note).collect();
            chains.push(dev.record_encounter(created("PC 7"), rest).unwrap());
        }
        let (a, b, c) = (&chains[0], &chains[1], &chains[2]);
        let cuts: Vec<Vec<Event>> = vec![
            a[..3].to_vec(),
            [&a[..], &b[..]].concat(),
            [&a[3..], &c[2..]].concat(),
            c[..2].to_vec(),
            [&b[..2], &c[..]].concat(),
            b[2..].to_vec(),
        ];
        let bundles = cuts
            .iter()
            .enumerate()
            .map(|(i, events)| {
                let id = dev.device_id().to_string();
                let writer = sync::bundle::Writer {
                    device_id: &id,
                    for_hub: None,
                    bundle_seq: i as u64 + 1,
                    created_at: "2026-01-01T00:00:00.000Z",
                    local_seq: (1, 15),
                };
                let (m, hash, bytes) = sync::bundle::encode(&writer, events).unwrap();
                let p = dir.path().join(sync::bundle::file_name(&m, &hash));
                std::fs::write(&p, crate::common::seal(&mut dev, &mut hub, &bytes)).unwrap();
                p
            })
            .collect();
        drop(hub);
        Fixture {
            template: dir.path().join("hub-template.db"),
            _dir: dir,
            bundles,
            device: chains,
        }
    })
}

#[derive(Debug, PartialEq)]
struct HubState {
    events: Vec<Vec<Event>>,
    summaries: Vec<EncounterSummary>,
    held: u64,
    conflicts: u64,
}

fn state(hub: &Store) -> HubState {
    let mut events = Vec::new();
    hub.for_each_encounter(&ListFilter::default(), &mut |e| {
        events.push(e);
        Ok(())
    })
    .unwrap();
    events.sort_by(|x, y| x[0].encounter_id.cmp(&y[0].encounter_id));
    let mut summaries = hub.list(&ListFilter::default()).unwrap();
    summaries.sort_by(|x, y| x.id.cmp(&y.id));
    let s = hub.sync_status().unwrap();
    HubState {
        events,
        summaries,
        held: s.held_events,
        conflicts: s.conflicts,
    }
}

/// A fresh hub with the template's keys and trusted device.
fn fresh_hub(path: &Path) -> Store {
    std::fs::copy(&fixture().template, path).unwrap();
    Store::open(path).unwrap()
}

fn import_in_order(hub_path: &Path, order: &[usize]) -> HubState {
    let f = fixture();
    let mut hub = fresh_hub(hub_path);
    for &i in order {
        let summary = sync::import_paths(
            &mut hub,
            &msht::guidance::load(None).unwrap(),
            std::slice::from_ref(&f.bundles[i]),
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(summary.failure().map(|e| e.to_string()), None);
    }
    assert!(hub.verify_all().unwrap().is_clean());
    state(&hub)
}

fn order_strategy() -> impl Strategy<Value = Vec<usize>> {
    let n = 6;
    proptest::collection::vec(0..n, 0..5).prop_flat_map(move |dups| {
        let mut all: Vec<usize> = (0..n).collect();
        all.extend(dups);
        Just(all).prop_shuffle()
    })
}

#[test]
fn in_order_import_gives_the_device_record() {
    let t = tempfile::tempdir().unwrap();
    let s = import_in_order(&t.path().join("hub.db"), &[0, 1, 2, 3, 4, 5]);
    let mut device = fixture().device.clone();
    device.sort_by(|x, y| x[0].encounter_id.cmp(&y[0].encounter_id));
    assert_eq!(s.events, device);
    assert_eq!((s.held, s.conflicts), (0, 0));
}

#[test]
fn a_tail_waits_for_its_start() {
    let t = tempfile::tempdir().unwrap();
    let f = fixture();
    let mut hub = fresh_hub(&t.path().join("hub.db"));
    // Bundle 5 holds only events 3.. of encounter B: nothing to join yet.
    let s = sync::import_paths(
        &mut hub,
        &msht::guidance::load(None).unwrap(),
        std::slice::from_ref(&f.bundles[5]),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!((s.accepted, s.held), (0, 2));
    assert_eq!(hub.count().unwrap(), 0);
    // Bundle 4 brings B's start: the held events join, and the chain verifies.
    let s = sync::import_paths(
        &mut hub,
        &msht::guidance::load(None).unwrap(),
        std::slice::from_ref(&f.bundles[4]),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(s.released, 2);
    assert_eq!(hub.sync_status().unwrap().held_events, 0);
    let b = &f.device[1][0].encounter_id;
    assert_eq!(hub.encounter(b).unwrap().event_count, 4);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn any_order_with_repeats_gives_the_same_hub(order in order_strategy()) {
        let t = tempfile::tempdir().unwrap();
        let reference = import_in_order(&t.path().join("ref.db"), &[0, 1, 2, 3, 4, 5]);
        let got = import_in_order(&t.path().join("hub.db"), &order);
        prop_assert_eq!(got, reference);
    }
}
