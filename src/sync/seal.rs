//! The envelope around a bundle on the share: signed by the device that wrote it, then
//! sealed to its hub, so the share holds only ciphertext and only the hub can read it.
//!
//! File layout (still `*.mshtbundle`):
//!
//! ```text
//! {"format":"msht-sealed-bundle","version":1,"to":"<hub fingerprint>"}\n
//! <libsodium sealed box (crypto_box_seal: X25519 + XSalsa20-Poly1305) of:>
//!     {"signer":"<Ed25519 public key, base64url>","signature":"<base64url>"}\n
//!     <the bundle, exactly as `bundle::encode` wrote it>
//! ```
//!
//! The signature covers a context string, the header line and the bundle bytes, so a
//! signed bundle cannot be re-sealed under another header. Signing inside the seal keeps
//! who signed private too. The sealed box is libsodium's standard one: a force can open
//! a bundle by hand with any libsodium binding and the hub's X25519 secret key.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use crypto_box::aead::OsRng;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::bundle::Refusal;
use super::keys::{HubIdentity, HubKey, fingerprint};

pub const FORMAT: &str = "msht-sealed-bundle";
pub const VERSION: u32 = 1;
const CONTEXT: &[u8] = b"msht bundle signature v1\n";

#[derive(Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    /// The fingerprint of the hub the bundle is sealed to.
    to: String,
}

#[derive(Serialize, Deserialize)]
struct SignatureLine {
    signer: String,
    signature: String,
}

/// Why a bundle could not be sealed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a bundle could not be sealed ({0}); this is a bug, please report it")]
pub struct SealError(pub String);

fn signed_bytes(header: &[u8], bundle: &[u8]) -> Vec<u8> {
    [CONTEXT, header, b"\n", bundle].concat()
}

/// Signs `bundle` with `signer` and seals it to `hub`.
pub fn seal(hub: &HubKey, signer: &SigningKey, bundle: &[u8]) -> Result<Vec<u8>, SealError> {
    let header = serde_json::to_vec(&Header {
        format: FORMAT.into(),
        version: VERSION,
        to: hub.fingerprint(),
    })
    .map_err(|e| SealError(e.to_string()))?;
    let signature = signer.sign(&signed_bytes(&header, bundle));
    let line = SignatureLine {
        signer: B64.encode(signer.verifying_key().as_bytes()),
        signature: B64.encode(signature.to_bytes()),
    };
    let mut inner = serde_json::to_vec(&line).map_err(|e| SealError(e.to_string()))?;
    inner.push(b'\n');
    inner.extend_from_slice(bundle);
    let sealed = crypto_box::PublicKey::from_bytes(hub.sealing)
        .seal(&mut OsRng, &inner)
        .map_err(|e| SealError(e.to_string()))?;
    let mut out = header;
    out.push(b'\n');
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// A bundle opened by its hub: who signed it and what they signed. The signature is not
/// yet checked: the caller first asks whether the signer is trusted, then calls `verify`.
#[derive(Debug)]
pub struct Opened {
    pub signer: VerifyingKey,
    pub signer_fingerprint: String,
    signature: Signature,
    header: Vec<u8>,
    pub bundle: Vec<u8>,
}

fn refuse(s: &str) -> Refusal {
    Refusal(s.into())
}

/// Opens a sealed bundle with this hub's key. Refuses a file that is not sealed, is
/// sealed to another hub, or was changed after it was sealed.
pub fn open(hub: &HubIdentity, bytes: &[u8]) -> Result<Opened, Refusal> {
    let nl = bytes.iter().position(|&b| b == b'\n');
    let header: Option<Header> = nl.and_then(|i| serde_json::from_slice(&bytes[..i]).ok());
    let (Some(nl), Some(h)) = (nl, header.filter(|h| h.format == FORMAT)) else {
        return Err(refuse(
            "it is not sealed and signed by a device (an unsigned bundle from an older msht, or not from a device at all)",
        ));
    };
    if h.version != VERSION {
        return Err(Refusal(format!(
            "it is sealed in a format this msht does not read (version {}); update msht to import it",
            h.version
        )));
    }
    if h.to != hub.key.fingerprint() {
        return Err(Refusal(format!(
            "it is sealed to another hub ({}), not to this one ({})",
            h.to,
            hub.key.fingerprint()
        )));
    }
    let inner = hub
        .opening
        .unseal(&bytes[nl + 1..])
        .map_err(|_| refuse("it cannot be opened with this hub's key: it was changed or damaged after it was sealed"))?;
    let Some(inl) = inner.iter().position(|&b| b == b'\n') else {
        return Err(refuse("it carries no signature"));
    };
    let line: SignatureLine =
        serde_json::from_slice(&inner[..inl]).map_err(|_| refuse("it carries no signature"))?;
    let signer = B64
        .decode(&line.signer)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(|b| VerifyingKey::from_bytes(&b).ok())
        .ok_or_else(|| refuse("its signer's key is damaged"))?;
    let signature = B64
        .decode(&line.signature)
        .ok()
        .and_then(|b| Signature::from_slice(&b).ok())
        .ok_or_else(|| refuse("its signature is damaged"))?;
    Ok(Opened {
        signer_fingerprint: fingerprint(signer.as_bytes()),
        signer,
        signature,
        header: bytes[..nl].to_vec(),
        bundle: inner[inl + 1..].to_vec(),
    })
}

impl Opened {
    /// Checks the signature against the signer's key (strictly: no malleable forms).
    pub fn verify(&self) -> Result<(), Refusal> {
        self.signer
            .verify_strict(&signed_bytes(&self.header, &self.bundle), &self.signature)
            .map_err(|_| {
                refuse("its signature does not verify: it was changed after it was signed")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub() -> HubIdentity {
        let opening = crypto_box::SecretKey::from_bytes([3; 32]);
        let signing = SigningKey::from_bytes(&[4; 32]);
        HubIdentity {
            key: HubKey {
                device_id: "hub".into(),
                sealing: *opening.public_key().as_bytes(),
                verifying: signing.verifying_key(),
            },
            opening,
            signing,
        }
    }

    #[test]
    fn sealed_bundles_open_only_intact_and_for_their_hub() {
        let h = hub();
        let dev = SigningKey::from_bytes(&[9; 32]);
        let plain = b"{\"format\":\"msht-bundle\"}\nsecret answer text\n";
        let sealed = seal(&h.key, &dev, plain).unwrap();
        assert!(!sealed.windows(13).any(|w| w == b"secret answer"));
        let o = open(&h, &sealed).unwrap();
        o.verify().unwrap();
        assert_eq!(o.bundle, plain);
        assert_eq!(o.signer, dev.verifying_key());

        for i in [sealed.len() - 1, sealed.len() / 2 + 40] {
            let mut bad = sealed.clone();
            bad[i] ^= 1;
            assert!(open(&h, &bad).unwrap_err().0.contains("changed or damaged"));
        }
        assert!(open(&h, plain).unwrap_err().0.contains("not sealed"));

        let mut other = hub();
        other.opening = crypto_box::SecretKey::from_bytes([5; 32]);
        other.key.sealing = *other.opening.public_key().as_bytes();
        assert!(open(&other, &sealed).unwrap_err().0.contains("another hub"));
    }
}
