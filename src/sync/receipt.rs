//! Receipts: the importing database's written answer to a bundle, left beside the bundle
//! so that it travels back to the pushing device by the same folder.
//!
//! A receipt names the bundle by its hash and says, for its events, how many the receiver
//! now holds in its verified record (newly stored or already there) and which it did not
//! accept and why. The pushing device treats as acknowledged only the bundle's events not
//! listed as unaccepted, and only those may ever be pruned. One JSON document, small and
//! read whole; `receipt_sha256` (over the receipt without that field) catches a damaged
//! or hand-edited receipt, which is then ignored rather than trusted.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const FORMAT: &str = "msht-receipt";
pub const VERSION: u32 = 1;
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
    pub receiver_device_id: String,
    pub received_at: String,
    pub events_in_bundle: u64,
    /// Events the receiver stored from this bundle now.
    pub accepted: u64,
    /// Events it already held, identical.
    pub already_present: u64,
    pub not_accepted: Vec<NotAccepted>,
}

#[derive(Serialize, Deserialize)]
struct Signed {
    #[serde(flatten)]
    receipt: Receipt,
    receipt_sha256: String,
}

fn digest(r: &Receipt) -> String {
    // Serialising a plain struct cannot fail.
    hex::encode(Sha256::digest(serde_json::to_vec(r).unwrap_or_default()))
}

impl Receipt {
    /// Events of the bundle the receiver holds in its record.
    pub fn acknowledged(&self) -> u64 {
        self.accepted + self.already_present
    }

    pub fn encode(&self) -> Vec<u8> {
        let s = Signed {
            receipt: self.clone(),
            receipt_sha256: digest(self),
        };
        let mut v = serde_json::to_vec_pretty(&s).unwrap_or_default();
        v.push(b'\n');
        v
    }

    /// `None` for anything that is not an intact receipt of a format we read: a receipt
    /// is only ever a reason to mark events acknowledged, so when in doubt we ignore it
    /// and the events stay pending (safe: they are pushed again).
    pub fn decode(bytes: &[u8]) -> Option<Receipt> {
        let s: Signed = serde_json::from_slice(bytes).ok()?;
        let ok = s.receipt.format == FORMAT
            && s.receipt.version == VERSION
            && digest(&s.receipt) == s.receipt_sha256;
        ok.then_some(s.receipt)
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
            received_at: "2026-01-01T00:00:00.000Z".into(),
            events_in_bundle: 3,
            accepted: 2,
            already_present: 0,
            not_accepted: vec![NotAccepted {
                event_id: "e3".into(),
                outcome: "refused".into(),
                reason: "conflict".into(),
            }],
        }
    }

    #[test]
    fn round_trip_and_tamper() {
        let r = sample();
        assert_eq!(Receipt::decode(&r.encode()), Some(r.clone()));
        assert_eq!(
            r.file_name(),
            "msht-dev-1-000001-abababababab.hub.mshtreceipt"
        );
        let edited = String::from_utf8(r.encode())
            .unwrap()
            .replace("\"accepted\": 2", "\"accepted\": 3");
        assert_eq!(Receipt::decode(edited.as_bytes()), None);
        assert_eq!(Receipt::decode(b"not json"), None);
    }
}
