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

/// One event of the bundle, with what is stored under its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    pub event: Event,
    pub stored: Stored,
}

/// An event never to merge, and why (kept for review).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub event: Event,
    pub reason: String,
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
    pub refuse: Vec<Refused>,
    /// Where the chain ends after the joins; `None` if nothing joined.
    pub tip: Option<Tip>,
    /// With events held: the first seq this database lacks.
    pub wants_from: Option<u32>,
}

/// Plans the merge of `incoming` (a bundle's events of encounter `enc`, each with what is
/// stored under its id) with the chain ending at `tip` and the verified `held` events.
pub fn plan(enc: &str, tip: Option<Tip>, incoming: Vec<Incoming>, held: Vec<Event>) -> Plan {
    let mut p = Plan::default();
    let mut pool = Pool::default();
    for Incoming { event: e, stored } in incoming {
        match stored {
            Stored::Same => p.already_present.push(e),
            Stored::Different => p.refuse.push(Refused {
                event: e,
                reason: "an event with this id is already held with different content; the held one is kept"
                    .into(),
            }),
            Stored::Absent => {
                pool.from_bundle.insert(e.id.clone());
                pool.by_seq.entry(e.seq).or_default().push(e);
            }
        }
    }
    if pool.by_seq.is_empty() {
        return p;
    }
    pool.add_held(held, &mut p);
    let start = tip.as_ref().map_or(0, |t| t.seq);
    let tip = join_chain(tip, &mut pool, &mut p);
    let head_seq = tip.as_ref().map_or(0, |t| t.seq);
    if head_seq > start {
        p.tip = tip;
    }
    pool.hold_or_refuse(enc, head_seq, &mut p);
    p
}

/// The events that may extend the chain, by seq, and which of them came in this bundle.
#[derive(Default)]
struct Pool {
    by_seq: BTreeMap<u32, Vec<Event>>,
    from_bundle: HashSet<String>,
}

impl Pool {
    /// Held events get another chance; one contradicting a bundle event under the same
    /// id is kept and the bundle's is refused.
    fn add_held(&mut self, held: Vec<Event>, p: &mut Plan) {
        for e in held {
            let slot = self.by_seq.entry(e.seq).or_default();
            match slot.iter().position(|c| c.id == e.id) {
                Some(i) if slot[i].hash != e.hash => {
                    let c = slot.remove(i);
                    self.from_bundle.remove(&c.id);
                    p.refuse.push(Refused {
                        event: c,
                        reason: "an event with this id is already held (waiting for earlier events) with different content; the held one is kept".into(),
                    });
                    slot.push(e);
                }
                Some(_) => {}
                None => slot.push(e),
            }
        }
    }

    /// What is left from this bundle either contradicts the chain now stored, or waits
    /// for events that have not arrived.
    fn hold_or_refuse(self, enc: &str, head_seq: u32, p: &mut Plan) {
        for e in self.by_seq.into_values().flatten() {
            if !self.from_bundle.contains(&e.id) {
                continue;
            }
            if e.seq <= head_seq + 1 {
                let why = format!(
                    "encounter {enc} already holds a different event at position {} (the record has two versions); the held one is kept",
                    e.seq
                );
                p.refuse.push(Refused {
                    event: e,
                    reason: why,
                });
            } else {
                p.wants_from = Some(head_seq + 1);
                p.hold.push(e);
            }
        }
    }
}

/// Joins events to the chain while one extends it and the rules allow it; returns where
/// the chain then ends.
fn join_chain(mut tip: Option<Tip>, pool: &mut Pool, p: &mut Plan) -> Option<Tip> {
    loop {
        let next = tip.as_ref().map_or(1, |t| t.seq + 1);
        let want = tip.as_ref().map_or(GENESIS_HASH, |t| t.hash.as_str());
        let Some(slot) = pool.by_seq.get_mut(&next) else {
            return tip;
        };
        let Some(pos) = slot.iter().position(|c| c.prev_hash == want) else {
            return tip;
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
                pool.from_bundle.remove(&e.id);
                p.refuse.push(Refused {
                    event: e,
                    reason: format!("it breaks the record's rules ({why})"),
                });
                return tip;
            }
        };
        tip = Some(Tip {
            seq: e.seq,
            hash: e.hash.clone(),
            status,
        });
        let from_bundle = pool.from_bundle.remove(&e.id);
        p.join.push(Join {
            event: e,
            status,
            from_bundle,
        });
    }
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

    fn inc(e: &Event, stored: Stored) -> Incoming {
        Incoming {
            event: e.clone(),
            stored,
        }
    }

    fn absent(events: &[Event]) -> Vec<Incoming> {
        events.iter().map(|e| inc(e, Stored::Absent)).collect()
    }

    /// A plan by the seqs in each outcome.
    #[derive(Debug, PartialEq, Eq)]
    struct Shape {
        joined: Vec<u32>,
        released: Vec<u32>,
        held: Vec<u32>,
        refused: Vec<u32>,
        present: Vec<u32>,
        wants: Option<u32>,
    }

    fn shape(p: &Plan) -> Shape {
        let seqs = |v: &mut dyn Iterator<Item = &Event>| v.map(|e| e.seq).collect::<Vec<_>>();
        Shape {
            joined: seqs(&mut p.join.iter().filter(|j| j.from_bundle).map(|j| &j.event)),
            released: seqs(&mut p.join.iter().filter(|j| !j.from_bundle).map(|j| &j.event)),
            held: seqs(&mut p.hold.iter()),
            refused: seqs(&mut p.refuse.iter().map(|r| &r.event)),
            present: seqs(&mut p.already_present.iter()),
            wants: p.wants_from,
        }
    }

    /// `Shape` from (joined, released, held, refused, present, wants).
    fn want(
        joined: &[u32],
        released: &[u32],
        held: &[u32],
        refused: &[u32],
        present: &[u32],
        wants: Option<u32>,
    ) -> Shape {
        Shape {
            joined: joined.to_vec(),
            released: released.to_vec(),
            held: held.to_vec(),
            refused: refused.to_vec(),
            present: present.to_vec(),
            wants,
        }
    }

    struct Case {
        name: &'static str,
        tip: Option<Tip>,
        incoming: Vec<Incoming>,
        held: Vec<Event>,
        want: Shape,
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
        let table = vec![
            Case {
                name: "new encounter, whole chain",
                tip: None,
                incoming: absent(&c),
                held: vec![],
                want: want(&[1, 2, 3, 4, 5], &[], &[], &[], &[], None),
            },
            Case {
                name: "tail after the stored head",
                tip: tip(&c[2], draft),
                incoming: absent(&c[3..]),
                held: vec![],
                want: want(&[4, 5], &[], &[], &[], &[], None),
            },
            Case {
                name: "tail without its start is held and the start asked for",
                tip: tip(&c[0], draft),
                incoming: absent(&c[3..]),
                held: vec![],
                want: want(&[], &[], &[4, 5], &[], &[], Some(2)),
            },
            Case {
                name: "the gap arrives: held events are released",
                tip: tip(&c[0], draft),
                incoming: absent(&c[1..3]),
                held: c[3..].to_vec(),
                want: want(&[2, 3], &[4, 5], &[], &[], &[], None),
            },
            Case {
                name: "repeat import changes nothing",
                tip: tip(&c[4], draft),
                incoming: c.iter().map(|e| inc(e, Stored::Same)).collect(),
                held: vec![],
                want: want(&[], &[], &[], &[], &[1, 2, 3, 4, 5], None),
            },
            Case {
                name: "same id, other content",
                tip: tip(&c[4], draft),
                incoming: vec![inc(&c[2], Stored::Different)],
                held: vec![],
                want: want(&[], &[], &[], &[3], &[], None),
            },
            Case {
                name: "a second version at a stored place is refused",
                tip: tip(&c[4], draft),
                incoming: vec![inc(&fork[2], Stored::Absent)],
                held: vec![],
                want: want(&[], &[], &[], &[3], &[], None),
            },
            Case {
                name: "a chain not starting with 'created' is refused",
                tip: None,
                incoming: absent(&c[1..2])
                    .into_iter()
                    .map(|mut i| {
                        i.event.seq = 1;
                        i.event.prev_hash = GENESIS_HASH.into();
                        i
                    })
                    .collect(),
                held: vec![],
                want: want(&[], &[], &[], &[1], &[], None),
            },
            Case {
                name: "a note on a complete encounter breaks the rules",
                tip: tip(&c[2], Status::Complete),
                incoming: absent(&c[3..4]),
                held: vec![],
                want: want(&[], &[], &[], &[4], &[], None),
            },
        ];
        for c in table {
            let p = plan("enc", c.tip, c.incoming, c.held);
            assert_eq!(shape(&p), c.want, "{}", c.name);
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
                .map(|i| inc(&i.event, Stored::Same))
                .collect(),
            vec![],
        );
        assert_eq!(p.tip, None, "nothing joined, nothing to update");
    }
}
