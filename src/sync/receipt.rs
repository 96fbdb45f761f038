//! Receipts: the importing database's written answer to a bundle, left beside the bundle
//! so that it travels back to the pushing device by the same folder.
//!
//! A receipt names the bundle by its hash and event count, the database it is for (the
//! bundle's writer) and the database that wrote it (with whether that database serves as
//! a hub), lists every event of the bundle the receiver now holds in its verified record
//! (id and hash), says which it did not accept and why, and asks for the start of any
//! encounter it holds only the tail of. The pushing device acknowledges exactly the
//! listed events, and only from its own hub (see `store/sync.rs`).
//!
//! One JSON document, read whole. `receipt_sha256` (over the receipt without that field)
//! catches a damaged or hand-edited receipt, which is then ignored rather than trusted.
//! It is not a signature: a signature over the same bytes will sit beside it.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::{AckedEvent, Acknowledgement, Want};

pub const FORMAT: &str = "msht-receipt";
/// 2: addressed receipts (receiver role, acknowledged events listed, requests). A
/// version 1 receipt is never read: it cannot say which events it acknowledges.
pub const VERSION: u32 = 2;
pub const EXTENSION: &str = "mshtreceipt";

/// One event the receiver did not take into its record, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotAccepted {
    pub event_id: String,
    /// `held` (kept aside until the encounter's earlier events arrive) or `refused`
    /// (conflicts with what the receiver already holds).
    pub outcome: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub format: String,
    pub version: u32,
    pub bundle_sha256: String,
    /// The device that wrote the bundle: the receipt is for it.
    pub bundle_device_id: String,
    pub bundle_file: String,
    /// The database that imported the bundle and wrote this receipt.
    pub receiver_device_id: String,
    /// Whether that database serves as a hub; only a hub's receipt acknowledges.
    pub receiver_is_hub: bool,
    pub received_at: String,
    pub events_in_bundle: u64,
    /// Events the receiver stored from this bundle now.
    pub accepted: u64,
    /// Events it already held, identical.
    pub already_present: u64,
    /// Exactly the bundle's events now in the receiver's record (accepted or already
    /// present): the only events this receipt acknowledges.
    pub acknowledged: Vec<AckedEvent>,
    pub not_accepted: Vec<NotAccepted>,
    /// Encounters whose start the receiver lacks: send them from this event on.
    pub wants: Vec<Want>,
}

/// Why a receipt could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a receipt could not be encoded ({0}); this is a bug, please report it")]
pub struct EncodeError(pub String);

#[derive(Serialize, Deserialize)]
struct Sealed {
    #[serde(flatten)]
    receipt: Receipt,
    receipt_sha256: String,
}

fn digest(r: &Receipt) -> Result<String, EncodeError> {
    let bytes = serde_json::to_vec(r).map_err(|e| EncodeError(e.to_string()))?;
    Ok(hex::encode(Sha256::digest(bytes)))
}

impl Receipt {
    /// Events of the bundle the receiver holds in its record.
    pub fn acknowledged_count(&self) -> u64 {
        self.accepted + self.already_present
    }

    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let s = Sealed {
            receipt: self.clone(),
            receipt_sha256: digest(self)?,
        };
        let mut v = serde_json::to_vec_pretty(&s).map_err(|e| EncodeError(e.to_string()))?;
        v.push(b'\n');
        Ok(v)
    }

    /// `None` for anything that is not an intact receipt of a format we read: a receipt
    /// is only ever a reason to mark events acknowledged, so when in doubt we ignore it
    /// and the events stay pending (safe: they are pushed again).
    pub fn decode(bytes: &[u8]) -> Option<Receipt> {
        let s: Sealed = serde_json::from_slice(bytes).ok()?;
        let ok = s.receipt.format == FORMAT
            && s.receipt.version == VERSION
            && digest(&s.receipt).ok()? == s.receipt_sha256;
        ok.then_some(s.receipt)
    }

    /// What the store needs to judge and apply this receipt.
    pub fn acknowledgement(&self) -> Acknowledgement {
        Acknowledgement {
            bundle_sha256: self.bundle_sha256.clone(),
            events_in_bundle: self.events_in_bundle,
            for_device: self.bundle_device_id.clone(),
            from_device: self.receiver_device_id.clone(),
            from_hub: self.receiver_is_hub,
            received_at: self.received_at.clone(),
            accepted: self.accepted,
            already_present: self.already_present,
            not_accepted: self.not_accepted.len() as u64,
            acknowledged: self.acknowledged.clone(),
            wants: self.wants.clone(),
        }
    }

    /// `<bundle file stem>.<receiver device id>.mshtreceipt`: one receipt per bundle and
    /// receiver, so two hubs importing the same bundle from a shared folder do not collide.
    pub fn file_name(&self) -> String {
        let stem = Path::new(&self.bundle_file)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("bundle");
        format!("{stem}.{}.{EXTENSION}", self.receiver_device_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Receipt {
        Receipt {
            format: FORMAT.into(),
            version: VERSION,
            bundle_sha256: "ab".repeat(32),
            bundle_device_id: "dev-1".into(),
            bundle_file: "msht-dev-1-000001-abababababab.mshtbundle".into(),
            receiver_device_id: "hub".into(),
            receiver_is_hub: true,
            received_at: "2026-01-01T00:00:00.000Z".into(),
            events_in_bundle: 3,
            accepted: 2,
            already_present: 0,
            acknowledged: vec![
                AckedEvent {
                    event_id: "e1".into(),
                    hash: "h1".into(),
                },
                AckedEvent {
                    event_id: "e2".into(),
                    hash: "h2".into(),
                },
            ],
            not_accepted: vec![NotAccepted {
                event_id: "e3".into(),
                outcome: "refused".into(),
                reason: "conflict".into(),
            }],
            wants: vec![],
        }
    }

    #[test]
    fn round_trip_and_tamper() {
        let r = sample();
        assert_eq!(Receipt::decode(&r.encode().unwrap()), Some(r.clone()));
        assert_eq!(
            r.file_name(),
            "msht-dev-1-000001-abababababab.hub.mshtreceipt"
        );
        let edited = String::from_utf8(r.encode().unwrap())
            .unwrap()
            .replace("\"accepted\": 2", "\"accepted\": 3");
        assert_eq!(Receipt::decode(edited.as_bytes()), None);
        assert_eq!(Receipt::decode(b"not json"), None);
        let mut v1 = r.clone();
        v1.version = 1;
        assert_eq!(
            Receipt::decode(&v1.encode().unwrap()),
            None,
            "old receipts are not read"
        );
    }
}
