//! The merge planner: given where an encounter's stored chain ends, the events a bundle
//! brings for it and the events held earlier, decide which join the record, which wait
//! for earlier events, and which are refused. Pure (no SQL), so every case is tested as a
//! table; `store/sync.rs` reads the inputs and applies the plan in one transaction.
//!
//! An event joins only when it extends the chain: next seq, `prev_hash` equal to the
//! head's hash, and allowed by the record's rules (`record::rules`). So after any set of
//! bundles has been imported, in any order and with repeats, the record holds the longest
//! joined chain of each encounter and the held table the rest.

use std::collections::{BTreeMap, HashSet};

use crate::record::{Event, EventBody, GENESIS_HASH, Status, rules};

/// Where the stored chain of an encounter ends (`None` in `plan`: nothing stored yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tip {
    pub seq: u32,
    pub hash: String,
    pub status: Status,
}

/// What the database already holds under a bundle event's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    Absent,
    /// The same event (same encounter, place and hash).
    Same,
    /// Another event under that id.
    Different,
}

/// One event to add to the record, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Join {
    pub event: Event,
    /// The encounter's status after it.
    pub status: Status,
    /// It came from this bundle (else it was held earlier and is released now).
    pub from_bundle: bool,
}

/// What to do with one encounter's events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub already_present: Vec<Event>,
    pub join: Vec<Join>,
    /// Bundle events to keep aside until the encounter's earlier events arrive.
    pub hold: Vec<Event>,
    /// Events never to merge, each with the reason.
    pub refuse: Vec<(Event, String)>,
    /// Where the chain ends after the joins; `None` if nothing joined.
    pub tip: Option<Tip>,
    /// With events held: the first seq this database lacks.
    pub wants_from: Option<u32>,
}

/// Plans the merge of `incoming` (a bundle's events of encounter `enc`, each with what is
/// stored under its id) with the chain ending at `tip` and the verified `held` events.
pub fn plan(enc: &str, tip: Option<Tip>, incoming: Vec<(Event, Stored)>, held: Vec<Event>) -> Plan {
    let mut p = Plan::default();
    let mut candidates: BTreeMap<u32, Vec<Event>> = BTreeMap::new();
    let mut from_bundle: HashSet<String> = HashSet::new();
    for (e, stored) in incoming {
        match stored {
            Stored::Same => p.already_present.push(e),
            Stored::Different => p.refuse.push((
                e,
                "an event with this id is already held with different content; the held one is kept"
                    .into(),
            )),
            Stored::Absent => {
                from_bundle.insert(e.id.clone());
                candidates.entry(e.seq).or_default().push(e);
            }
        }
    }
    if candidates.is_empty() {
        return p;
    }
    for e in held {
        let slot = candidates.entry(e.seq).or_default();
        match slot.iter().position(|c| c.id == e.id) {
            Some(i) if slot[i].hash != e.hash => {
                let c = slot.remove(i);
                from_bundle.remove(&c.id);
                p.refuse.push((c, "an event with this id is already held (waiting for earlier events) with different content; the held one is kept".into()));
                slot.push(e);
            }
            Some(_) => {}
            None => slot.push(e),
        }
    }
    let start = tip.as_ref().map_or(0, |t| t.seq);
    let mut tip = tip;
    loop {
        let next = tip.as_ref().map_or(1, |t| t.seq + 1);
        let want = tip.as_ref().map_or(GENESIS_HASH, |t| t.hash.as_str());
        let Some(slot) = candidates.get_mut(&next) else {
            break;
        };
        let Some(pos) = slot.iter().position(|c| c.prev_hash == want) else {
            break;
        };
        let e = slot.remove(pos);
        let status = match &tip {
            None if matches!(e.body, EventBody::Created { .. }) => Ok(Status::Draft),
            None => Err("an encounter must start with a 'created' event".to_string()),
            Some(t) => rules::check(t.status, &e.body).map_err(|b| b.to_string()),
        };
        let status = match status {
            Ok(s) => s,
            Err(why) => {
                from_bundle.remove(&e.id);
                p.refuse
                    .push((e, format!("it breaks the record's rules ({why})")));
                break;
            }
        };
        tip = Some(Tip {
            seq: e.seq,
            hash: e.hash.clone(),
            status,
        });
        let from = from_bundle.remove(&e.id);
        p.join.push(Join {
            event: e,
            status,
            from_bundle: from,
        });
    }
    let head_seq = tip.as_ref().map_or(0, |t| t.seq);
    if head_seq > start {
        p.tip = tip;
    }
    // What is left from this bundle either contradicts the chain now stored, or waits
    // for events that have not arrived.
    for e in candidates.into_values().flatten() {
        if !from_bundle.contains(&e.id) {
            continue;
        }
        if e.seq <= head_seq + 1 {
            let why = format!(
                "encounter {enc} already holds a different event at position {} (the record has two versions); the held one is kept",
                e.seq
            );
            p.refuse.push((e, why));
        } else {
            p.wants_from = Some(head_seq + 1);
            p.hold.push(e);
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::audit::tests::chain;

    fn tip(e: &Event, status: Status) -> Option<Tip> {
        Some(Tip {
            seq: e.seq,
            hash: e.hash.clone(),
            status,
        })
    }

    fn absent(events: &[Event]) -> Vec<(Event, Stored)> {
        events.iter().map(|e| (e.clone(), Stored::Absent)).collect()
    }

    /// (joined seqs, released seqs, held seqs, refused seqs, present seqs, wants)
    type Shape = (
        Vec<u32>,
        Vec<u32>,
        Vec<u32>,
        Vec<u32>,
        Vec<u32>,
        Option<u32>,
    );

    fn shape(p: &Plan) -> Shape {
        let seqs = |v: &mut dyn Iterator<Item = &Event>| v.map(|e| e.seq).collect::<Vec<_>>();
        (
            seqs(&mut p.join.iter().filter(|j| j.from_bundle).map(|j| &j.event)),
            seqs(&mut p.join.iter().filter(|j| !j.from_bundle).map(|j| &j.event)),
            seqs(&mut p.hold.iter()),
            seqs(&mut p.refuse.iter().map(|r| &r.0)),
            seqs(&mut p.already_present.iter()),
            p.wants_from,
        )
    }

    #[test]
    fn cases() {
        let c = chain("enc", "dev", 5);
        // A second version of event 3 (same place, other content).
        let mut fork = chain("enc", "dev", 3);
        fork[2] = Event::new(
            "enc-fork".into(),
            "enc".into(),
            3,
            "2026-01-01T00:01:00.000Z".into(),
            "+00:00".into(),
            "dev".into(),
            c[1].hash.clone(),
            EventBody::NoteAdded { text: "x".into() },
        )
        .unwrap();
        let draft = Status::Draft;
        let table: Vec<(&str, Option<Tip>, Vec<(Event, Stored)>, Vec<Event>, Shape)> = vec![
            (
                "new encounter, whole chain",
                None,
                absent(&c),
                vec![],
                (vec![1, 2, 3, 4, 5], vec![], vec![], vec![], vec![], None),
            ),
            (
                "tail after the stored head",
                tip(&c[2], draft),
                absent(&c[3..]),
                vec![],
                (vec![4, 5], vec![], vec![], vec![], vec![], None),
            ),
            (
                "tail without its start is held and the start asked for",
                tip(&c[0], draft),
                absent(&c[3..]),
                vec![],
                (vec![], vec![], vec![4, 5], vec![], vec![], Some(2)),
            ),
            (
                "the gap arrives: held events are released",
                tip(&c[0], draft),
                absent(&c[1..3]),
                c[3..].to_vec(),
                (vec![2, 3], vec![4, 5], vec![], vec![], vec![], None),
            ),
            (
                "repeat import changes nothing",
                tip(&c[4], draft),
                c.iter().map(|e| (e.clone(), Stored::Same)).collect(),
                vec![],
                (vec![], vec![], vec![], vec![], vec![1, 2, 3, 4, 5], None),
            ),
            (
                "same id, other content",
                tip(&c[4], draft),
                vec![(c[2].clone(), Stored::Different)],
                vec![],
                (vec![], vec![], vec![], vec![3], vec![], None),
            ),
            (
                "a second version at a stored place is refused",
                tip(&c[4], draft),
                vec![(fork[2].clone(), Stored::Absent)],
                vec![],
                (vec![], vec![], vec![], vec![3], vec![], None),
            ),
            (
                "a chain not starting with 'created' is refused",
                None,
                absent(&c[1..2])
                    .into_iter()
                    .map(|(mut e, s)| {
                        e.seq = 1;
                        e.prev_hash = GENESIS_HASH.into();
                        (e, s)
                    })
                    .collect(),
                vec![],
                (vec![], vec![], vec![], vec![1], vec![], None),
            ),
            (
                "a note on a complete encounter breaks the rules",
                tip(&c[2], Status::Complete),
                absent(&c[3..4]),
                vec![],
                (vec![], vec![], vec![], vec![4], vec![], None),
            ),
        ];
        for (name, t, incoming, held, want) in table {
            let p = plan("enc", t, incoming, held);
            assert_eq!(shape(&p), want, "{name}");
        }
    }

    #[test]
    fn the_tip_after_joins_is_the_last_joined_event() {
        let c = chain("enc", "dev", 3);
        let p = plan("enc", None, absent(&c), vec![]);
        assert_eq!(p.tip, tip(&c[2], Status::Draft));
        let p = plan(
            "enc",
            tip(&c[2], Status::Draft),
            absent(&c[2..])
                .into_iter()
                .map(|(e, _)| (e, Stored::Same))
                .collect(),
            vec![],
        );
        assert_eq!(p.tip, None, "nothing joined, nothing to update");
    }
}
