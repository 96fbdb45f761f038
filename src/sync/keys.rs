//! Who may write bundles and receipts: key pairs, the one-line keys people copy between
//! a device and its hub, and fingerprints short enough to read aloud.
//!
//! Every database has an Ed25519 signing key (made the first time it is needed): a
//! device signs its bundles with it, a hub its receipts. A hub also has an X25519
//! sealing key, to which devices seal their bundles. A hub's key line carries both
//! public keys and its device id; a device's carries its public signing key and device
//! id. Each line ends in nothing secret, so it can travel by email or be read aloud by
//! fingerprint to confirm it arrived unchanged.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use crypto_box::aead::OsRng;
use crypto_box::aead::rand_core::RngCore;
use ed25519_dalek::{SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::SyncError;
use crate::store::{Store, StoredKey};

pub const HUB_PREFIX: &str = "msht-hub1:";
pub const DEVICE_PREFIX: &str = "msht-dev1:";
const SIGNING: &str = "signing";
const SEALING: &str = "sealing";
const ENROLLED: &str = "enrolled_hub";

/// Why a key or a key line could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("that is not a {what} key: {why}")]
    Malformed { what: &'static str, why: String },
    #[error("the key stored in this database for {0} is damaged, so nothing was signed or opened")]
    Damaged(&'static str),
}

/// What devices need from a hub: where to seal, whose signatures to believe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubKey {
    pub device_id: String,
    pub sealing: [u8; 32],
    pub verifying: VerifyingKey,
}

/// What a hub needs from a device: whose signature its bundles carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceKey {
    pub device_id: String,
    pub verifying: VerifyingKey,
}

/// A hub's own keys, secret halves included: to open bundles and sign receipts.
pub struct HubIdentity {
    pub key: HubKey,
    pub opening: crypto_box::SecretKey,
    pub signing: SigningKey,
}

/// 80 bits of SHA-256 over the key's bytes, as 4 groups of 4 base32 characters.
pub fn fingerprint(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let d = Sha256::digest(bytes);
    let bits = d[..10]
        .iter()
        .fold(0u128, |acc, &b| (acc << 8) | u128::from(b));
    let chars: Vec<char> = (0..16)
        .map(|i| char::from(ALPHABET[((bits >> (75 - 5 * i)) & 31) as usize]))
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

fn malformed(what: &'static str, why: &str) -> KeyError {
    KeyError::Malformed {
        what,
        why: why.into(),
    }
}

fn payload<'a>(line: &'a str, prefix: &str, what: &'static str) -> Result<Vec<u8>, KeyError> {
    let body: &'a str = line
        .trim()
        .strip_prefix(prefix)
        .ok_or_else(|| malformed(what, &format!("it does not start with {prefix}")))?;
    B64.decode(body)
        .map_err(|_| malformed(what, "it was cut short or changed in copying"))
}

fn device_id_of(bytes: &[u8], what: &'static str) -> Result<String, KeyError> {
    let id = std::str::from_utf8(bytes).map_err(|_| malformed(what, "its device id is damaged"))?;
    if id.is_empty() || id.len() > 100 || id.chars().any(char::is_control) {
        return Err(malformed(what, "its device id is damaged"));
    }
    Ok(id.to_string())
}

fn verifying(bytes: &[u8], what: &'static str) -> Result<VerifyingKey, KeyError> {
    let arr: [u8; 32] = bytes
        .try_into()
        .map_err(|_| malformed(what, "it was cut short"))?;
    VerifyingKey::from_bytes(&arr).map_err(|_| malformed(what, "its signing key is not valid"))
}

impl HubKey {
    /// The 64 key bytes: sealing then signing.
    pub fn public_bytes(&self) -> Vec<u8> {
        [self.sealing.as_slice(), self.verifying.as_bytes()].concat()
    }

    pub fn encode(&self) -> String {
        let mut b = self.public_bytes();
        b.extend_from_slice(self.device_id.as_bytes());
        format!("{HUB_PREFIX}{}", B64.encode(b))
    }

    pub fn parse(line: &str) -> Result<HubKey, KeyError> {
        let b = payload(line, HUB_PREFIX, "hub")?;
        if b.len() <= 64 {
            return Err(malformed("hub", "it was cut short"));
        }
        Self::from_stored(&b[..64], device_id_of(&b[64..], "hub")?)
    }

    fn from_stored(public: &[u8], device_id: String) -> Result<HubKey, KeyError> {
        let sealing: [u8; 32] = public
            .get(..32)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| malformed("hub", "it was cut short"))?;
        Ok(HubKey {
            device_id,
            sealing,
            verifying: verifying(public.get(32..).unwrap_or_default(), "hub")?,
        })
    }

    pub fn fingerprint(&self) -> String {
        fingerprint(&self.public_bytes())
    }
}

impl DeviceKey {
    pub fn encode(&self) -> String {
        let mut b = self.verifying.as_bytes().to_vec();
        b.extend_from_slice(self.device_id.as_bytes());
        format!("{DEVICE_PREFIX}{}", B64.encode(b))
    }

    pub fn parse(line: &str) -> Result<DeviceKey, KeyError> {
        let b = payload(line, DEVICE_PREFIX, "device")?;
        if b.len() <= 32 {
            return Err(malformed("device", "it was cut short"));
        }
        Ok(DeviceKey {
            verifying: verifying(&b[..32], "device")?,
            device_id: device_id_of(&b[32..], "device")?,
        })
    }

    pub fn fingerprint(&self) -> String {
        fingerprint(self.verifying.as_bytes())
    }
}

fn random32() -> [u8; 32] {
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    b
}

fn secret32(k: &StoredKey, what: &'static str) -> Result<[u8; 32], KeyError> {
    k.secret
        .as_deref()
        .and_then(|s| s.try_into().ok())
        .ok_or(KeyError::Damaged(what))
}

/// This database's signing key, made the first time it is asked for.
pub fn signing_key(store: &mut Store) -> Result<SigningKey, SyncError> {
    let k = match store.sync_key(SIGNING)? {
        Some(k) => k,
        None => {
            let s = SigningKey::from_bytes(&random32());
            store.sync_key_create(SIGNING, &s.to_bytes(), s.verifying_key().as_bytes())?
        }
    };
    Ok(SigningKey::from_bytes(&secret32(&k, "signing")?))
}

/// This database's key line for a hub to trust.
pub fn device_key(store: &mut Store) -> Result<DeviceKey, SyncError> {
    Ok(DeviceKey {
        verifying: signing_key(store)?.verifying_key(),
        device_id: store.device_id().to_string(),
    })
}

/// Makes this database a hub (sealing key, signing key, receipts that acknowledge) if it
/// is not one yet; returns whether it was one already, and its identity.
pub fn hub_init(store: &mut Store) -> Result<(bool, HubIdentity), SyncError> {
    if let Some(id) = hub_identity(store)? {
        return Ok((true, id));
    }
    let secret = crypto_box::SecretKey::from_bytes(random32());
    store.sync_key_create(SEALING, &secret.to_bytes(), secret.public_key().as_bytes())?;
    store.sync_serve_as_hub()?;
    let id = hub_identity(store)?.ok_or(KeyError::Damaged("the hub"))?;
    Ok((false, id))
}

/// This hub's identity, or `None` if this database is not a hub.
pub fn hub_identity(store: &mut Store) -> Result<Option<HubIdentity>, SyncError> {
    let Some(k) = store.sync_key(SEALING)? else {
        return Ok(None);
    };
    let opening = crypto_box::SecretKey::from_bytes(secret32(&k, "the hub")?);
    let signing = signing_key(store)?;
    Ok(Some(HubIdentity {
        key: HubKey {
            device_id: store.device_id().to_string(),
            sealing: *opening.public_key().as_bytes(),
            verifying: signing.verifying_key(),
        },
        opening,
        signing,
    }))
}

/// The hub this database is enrolled with, if any.
pub fn enrolled_hub(store: &Store) -> Result<Option<HubKey>, SyncError> {
    match store.sync_key(ENROLLED)? {
        None => Ok(None),
        Some(k) => Ok(Some(
            HubKey::from_stored(&k.public, k.device_id)
                .map_err(|_| KeyError::Damaged("the hub"))?,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_lines_round_trip_and_refuse_damage() {
        let s = SigningKey::from_bytes(&[5; 32]);
        let hub = HubKey {
            device_id: "hub-1".into(),
            sealing: [6; 32],
            verifying: s.verifying_key(),
        };
        let line = hub.encode();
        assert!(line.starts_with("msht-hub1:"));
        assert_eq!(HubKey::parse(&format!("  {line}\n")).unwrap(), hub);
        assert!(HubKey::parse(&line[..line.len() - 8]).is_err());
        assert!(HubKey::parse(&line.replacen("hub1", "hub2", 1)).is_err());
        let dev = DeviceKey {
            device_id: "dev-1".into(),
            verifying: s.verifying_key(),
        };
        assert_eq!(DeviceKey::parse(&dev.encode()).unwrap(), dev);
        assert!(
            DeviceKey::parse(&line).is_err(),
            "a hub key is not a device key"
        );
    }

    #[test]
    fn fingerprints_read_aloud() {
        let f = fingerprint(b"abc");
        assert_eq!(f.len(), 19);
        assert_eq!(f.split('-').count(), 4);
        assert!(
            f.chars()
                .all(|c| c == '-' || c.is_ascii_uppercase() || c.is_ascii_digit())
        );
        assert_ne!(f, fingerprint(b"abd"));
    }
}
