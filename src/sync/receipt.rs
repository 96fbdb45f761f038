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
//! catches a damaged or hand-edited receipt; `signature` (Ed25519 by the hub, over the
//! same bytes) lets a device believe only its enrolled hub: a forged, altered or
//! misplaced receipt is ignored rather than trusted, and its events stay pending.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::{AckedEvent, Acknowledgement, Want};

pub const FORMAT: &str = "msht-receipt";
/// 2: addressed receipts (receiver role, acknowledged events listed, requests). 3: signed
/// by the hub. Older receipts are never read: they cannot say which events they
/// acknowledge, or who wrote them.
pub const VERSION: u32 = 3;
/// `NotAccepted::outcome` of an event held for a person to review.
pub const REVIEW: &str = "review";
const CONTEXT: &[u8] = b"msht receipt signature v1\n";
pub const EXTENSION: &str = "mshtreceipt";

/// One event the receiver did not take into its record, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotAccepted {
    pub event_id: String,
    /// `held` (kept aside until the encounter's earlier events arrive), `review` (held
    /// for a person to review, the reason says why) or `refused` (conflicts with what the
    /// receiver already holds).
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

#[derive(Deserialize)]
struct Signed {
    #[serde(flatten)]
    receipt: Receipt,
    receipt_sha256: String,
    signature: String,
}

/// The receipt as written, borrowed: encoding a receipt of many events never copies it.
#[derive(Serialize)]
struct SignedRef<'a> {
    #[serde(flatten)]
    receipt: &'a Receipt,
    receipt_sha256: String,
    signature: String,
}

/// SHA-256 of the receipt's JSON, hashed as it is written rather than held.
fn digest(r: &Receipt) -> Result<String, EncodeError> {
    struct Hasher(Sha256);
    impl std::io::Write for Hasher {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.update(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut h = Hasher(Sha256::new());
    serde_json::to_writer(&mut h, r).map_err(|e| EncodeError(e.to_string()))?;
    Ok(hex::encode(h.0.finalize()))
}

fn signed_bytes(r: &Receipt) -> Result<Vec<u8>, EncodeError> {
    let bytes = serde_json::to_vec(r).map_err(|e| EncodeError(e.to_string()))?;
    Ok([CONTEXT, &bytes].concat())
}

/// What reading a receipt found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// Signed by the expected hub and intact.
    Trusted(Receipt),
    /// An intact receipt whose signature does not verify with the expected hub's key.
    BadSignature(Receipt),
    /// Not an intact receipt of a format this msht reads.
    Unreadable,
}

impl Receipt {
    /// Events of the bundle the receiver holds in its record.
    pub fn acknowledged_count(&self) -> u64 {
        self.accepted + self.already_present
    }

    /// The receipt as written, signed by the hub's `signer`.
    pub fn encode(&self, signer: &SigningKey) -> Result<Vec<u8>, EncodeError> {
        let s = SignedRef {
            receipt: self,
            receipt_sha256: digest(self)?,
            signature: B64.encode(signer.sign(&signed_bytes(self)?).to_bytes()),
        };
        let mut v = serde_json::to_vec_pretty(&s).map_err(|e| EncodeError(e.to_string()))?;
        v.push(b'\n');
        Ok(v)
    }

    /// `None` for anything that is not an intact receipt of a format we read: a receipt
    /// is only ever a reason to mark events acknowledged, so when in doubt we ignore it
    /// and the events stay pending (safe: they are pushed again).
    /// The signature is not checked here: `verify` does that.
    pub fn decode(bytes: &[u8]) -> Option<Receipt> {
        Self::decode_signed(bytes).map(|(r, _)| r)
    }

    fn decode_signed(bytes: &[u8]) -> Option<(Receipt, String)> {
        let s: Signed = serde_json::from_slice(bytes).ok()?;
        let ok = s.receipt.format == FORMAT
            && s.receipt.version == VERSION
            && digest(&s.receipt).ok()? == s.receipt_sha256;
        ok.then_some((s.receipt, s.signature))
    }

    /// Reads a receipt and checks that `hub` signed it.
    pub fn verify(bytes: &[u8], hub: &VerifyingKey) -> Verified {
        let Some((r, sig)) = Self::decode_signed(bytes) else {
            return Verified::Unreadable;
        };
        let good = B64
            .decode(&sig)
            .ok()
            .and_then(|b| Signature::from_slice(&b).ok())
            .zip(signed_bytes(&r).ok())
            .is_some_and(|(sig, msg)| hub.verify_strict(&msg, &sig).is_ok());
        if good {
            Verified::Trusted(r)
        } else {
            Verified::BadSignature(r)
        }
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
        let k = SigningKey::from_bytes(&[1; 32]);
        let r = sample();
        assert_eq!(Receipt::decode(&r.encode(&k).unwrap()), Some(r.clone()));
        assert_eq!(
            Receipt::verify(&r.encode(&k).unwrap(), &k.verifying_key()),
            Verified::Trusted(r.clone())
        );
        let forger = SigningKey::from_bytes(&[2; 32]);
        assert_eq!(
            Receipt::verify(&r.encode(&forger).unwrap(), &k.verifying_key()),
            Verified::BadSignature(r.clone()),
            "a receipt signed by anyone but the hub is not trusted"
        );
        assert_eq!(
            r.file_name(),
            "msht-dev-1-000001-abababababab.hub.mshtreceipt"
        );
        let edited = String::from_utf8(r.encode(&k).unwrap())
            .unwrap()
            .replace("\"accepted\": 2", "\"accepted\": 3");
        assert_eq!(Receipt::decode(edited.as_bytes()), None);
        assert_eq!(Receipt::decode(b"not json"), None);
        let mut v1 = r.clone();
        v1.version = 2;
        assert_eq!(
            Receipt::decode(&v1.encode(&k).unwrap()),
            None,
            "old receipts are not read"
        );
    }
}
