//! An event that arrives with the id of one already held but different content is
//! refused and reported, kept aside for review, and never overwrites the held one; the
//! rest of the bundle still goes in.

use crate::common::created;
use msht::record::{Event, EventBody};
use msht::sync;

#[test]
fn different_content_under_a_known_id_is_refused_not_overwritten() {
    let t = tempfile::tempdir().unwrap();
    let mut dev = crate::common::open(&t.path().join("dev.db"));
    let a = dev
        .record_encounter(
            created("PC 1"),
            vec![EventBody::NoteAdded { text: "x".into() }],
        )
        .unwrap();
    let b = dev.record_encounter(created("PC 2"), vec![]).unwrap();
    let mut hub = crate::common::lib_hub(&t.path().join("hub.db"), &mut dev);
    let dev_id = dev.device_id().to_string();
    let mut write = |name: &str, events: &[Event]| {
        let writer = sync::bundle::Writer {
            device_id: &dev_id,
            for_hub: None,
            bundle_seq: 1,
            created_at: "t",
            local_seq: (1, 3),
        };
        let (_, _, bytes) = sync::bundle::encode(&writer, events).unwrap();
        let p = t.path().join(name);
        std::fs::write(&p, crate::common::seal(&mut dev, &mut hub, &bytes)).unwrap();
        p
    };
    let good = write("good.mshtbundle", &a);
    // Same ids, a rewritten note, hashes recomputed so the bundle itself verifies.
    let mut forged = a.clone();
    forged[1] = Event::new(
        forged[1].id.clone(),
        forged[1].encounter_id.clone(),
        2,
        forged[1].at.clone(),
        forged[1].offset.clone(),
        forged[1].device_id.clone(),
        forged[1].prev_hash.clone(),
        EventBody::NoteAdded { text: "y".into() },
    )
    .unwrap();
    forged.extend(b.clone());
    let forged = write("forged.mshtbundle", &forged);
    sync::import_paths(
        &mut hub,
        &msht::guidance::load(None).unwrap(),
        &[good],
        &mut |_| {},
    )
    .unwrap();
    for _ in 0..2 {
        let s = sync::import_paths(
            &mut hub,
            &msht::guidance::load(None).unwrap(),
            std::slice::from_ref(&forged),
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(s.refused_events, 1);
        assert!(matches!(s.failure(), Some(sync::SyncError::Conflicts(1))));
    }
    // The held record is untouched; the other encounter in the bundle went in.
    assert_eq!(hub.events(&a[0].encounter_id).unwrap(), a);
    assert_eq!(hub.events(&b[0].encounter_id).unwrap(), b);
    assert_eq!(hub.sync_status().unwrap().conflicts, 1);
    // The receipt tells the device that event was not accepted.
    let receipt = std::fs::read_dir(t.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.to_string_lossy().contains("forged")
                && p.extension().is_some_and(|x| x == "mshtreceipt")
        })
        .unwrap();
    let r = sync::Receipt::decode(&std::fs::read(receipt).unwrap()).unwrap();
    assert_eq!(r.not_accepted.len(), 1);
    assert_eq!(r.not_accepted[0].event_id, a[1].id);
    assert_eq!(r.not_accepted[0].outcome, "refused");
}
