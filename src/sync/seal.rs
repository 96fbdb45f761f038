//! The envelope around a bundle on the share: signed by the device that wrote it, then
//! sealed to its hub, so the share holds only ciphertext and only the hub can read it.
//!
//! File layout of version 2 (what `seal` writes; still `*.mshtbundle`):
//!
//! ```text
//! {"format":"msht-sealed-bundle","version":2,"to":"<hub fingerprint>"}\n
//! <libsodium sealed box of a one-off 32-byte key (80 bytes)>
//! <frames sealed under that key (`frames.rs`), whose plaintext is:>
//!     {"signer":"<Ed25519 public key, base64url>","signature":"<base64url>"}\n
//!     <the bundle, exactly as `bundle::encode` wrote it>
//! ```
//!
//! The version 2 signature covers a context string, the header line and the SHA-256 of
//! the bundle bytes, so a hub can read, check and import a bundle of any size a frame at
//! a time and check the signature at the end (the import is one transaction, rolled back
//! if anything fails). Version 1, still read (`open`), sealed the whole bundle as one box:
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

use std::io::{self, BufRead, Read};

use crypto_box::aead::rand_core::RngCore as _;
use sha2::{Digest as _, Sha256};

use super::bundle::Refusal;
use super::frames::{self, Frames};
use super::keys::{HubIdentity, HubKey, fingerprint};

pub const FORMAT: &str = "msht-sealed-bundle";
/// The envelope version `seal` writes; `open_stream` reads it and version 1.
pub const VERSION: u32 = 2;
const CONTEXT: &[u8] = b"msht bundle signature v1\n";
const CONTEXT_V2: &[u8] = b"msht bundle signature v2\n";
/// A sealed box of the 32-byte frame key: the key, an ephemeral public key and a tag.
const SEALED_KEY: usize = 32 + 32 + 16;
/// The longest header or signature line read before giving up on a file.
const MAX_LINE: u64 = 4096;

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

fn header(hub: &HubKey, version: u32) -> Result<Vec<u8>, SealError> {
    serde_json::to_vec(&Header {
        format: FORMAT.into(),
        version,
        to: hub.fingerprint(),
    })
    .map_err(|e| SealError(e.to_string()))
}

fn signature_line(signer: &SigningKey, signed: &[u8]) -> Result<Vec<u8>, SealError> {
    let signature = signer.sign(signed);
    let line = SignatureLine {
        signer: B64.encode(signer.verifying_key().as_bytes()),
        signature: B64.encode(signature.to_bytes()),
    };
    let mut v = serde_json::to_vec(&line).map_err(|e| SealError(e.to_string()))?;
    v.push(b'\n');
    Ok(v)
}

fn signed_digest(header: &[u8], digest: &[u8]) -> Vec<u8> {
    [CONTEXT_V2, header, b"\n", digest].concat()
}

/// Signs `bundle` with `signer` and seals it to `hub` (envelope version 2).
pub fn seal(hub: &HubKey, signer: &SigningKey, bundle: &[u8]) -> Result<Vec<u8>, SealError> {
    let header = header(hub, VERSION)?;
    let digest = Sha256::digest(bundle);
    let mut inner = signature_line(signer, &signed_digest(&header, &digest))?;
    inner.extend_from_slice(bundle);
    let mut key = zeroize::Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(&mut *key);
    let sealed_key = crypto_box::PublicKey::from_bytes(hub.sealing)
        .seal(&mut OsRng, &*key)
        .map_err(|e| SealError(e.to_string()))?;
    let mut out = header.clone();
    out.push(b'\n');
    out.extend_from_slice(&sealed_key);
    frames::seal(&key, &header, &inner, &mut out).map_err(SealError)?;
    Ok(out)
}

/// Signs and seals in envelope version 1 (one sealed box), as msht did before version 2:
/// kept so that reading version 1 stays tested.
pub fn seal_v1(hub: &HubKey, signer: &SigningKey, bundle: &[u8]) -> Result<Vec<u8>, SealError> {
    let header = header(hub, 1)?;
    let mut inner = signature_line(signer, &signed_bytes(&header, bundle))?;
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
    /// The envelope version, which says what the signature covers.
    version: u32,
}

fn refuse(s: &str) -> Refusal {
    Refusal(s.into())
}

/// The header line, checked: an envelope of a version this msht reads, sealed to `hub`.
fn read_header(hub: &HubIdentity, line: &[u8]) -> Result<Header, Refusal> {
    let header: Option<Header> = serde_json::from_slice(line).ok();
    let Some(h) = header.filter(|h| h.format == FORMAT) else {
        return Err(refuse(
            "it is not sealed and signed by a device (an unsigned bundle from an older msht, or not from a device at all)",
        ));
    };
    if !(1..=VERSION).contains(&h.version) {
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
    Ok(h)
}

/// Opens a sealed bundle, whole, with this hub's key (tests and tools; the import reads
/// version 2 a frame at a time with `open_stream`). Refuses a file that is not sealed, is
/// sealed to another hub, or was changed after it was sealed.
pub fn open(hub: &HubIdentity, bytes: &[u8]) -> Result<Opened, Refusal> {
    let nl = bytes.iter().position(|&b| b == b'\n');
    let Some(nl) = nl else {
        return Err(refuse(
            "it is not sealed and signed by a device (an unsigned bundle from an older msht, or not from a device at all)",
        ));
    };
    if read_header(hub, &bytes[..nl])?.version != 1 {
        let Envelope::V2(signed, mut body) = open_stream(hub, bytes)? else {
            return Err(refuse(frames::DAMAGED));
        };
        let mut bundle = Vec::new();
        body.read_to_end(&mut bundle)
            .map_err(|e| Refusal(e.to_string()))?;
        return Ok(Opened {
            signer_fingerprint: signed.signer_fingerprint,
            signer: signed.signer,
            signature: signed.signature,
            header: signed.header,
            bundle,
            version: VERSION,
        });
    }
    let inner = hub
        .opening
        .unseal(&bytes[nl + 1..])
        .map_err(|_| refuse("it cannot be opened with this hub's key: it was changed or damaged after it was sealed"))?;
    let Some(inl) = inner.iter().position(|&b| b == b'\n') else {
        return Err(refuse("it carries no signature"));
    };
    let (signer, signature) = signature_of(&inner[..inl])?;
    let mut bundle = inner;
    bundle.drain(..=inl);
    Ok(Opened {
        signer_fingerprint: fingerprint(signer.as_bytes()),
        signer,
        signature,
        header: bytes[..nl].to_vec(),
        bundle,
        version: 1,
    })
}

/// A sealed bundle being opened as a stream.
pub enum Envelope<R> {
    /// Version 1: the whole file was read and opened.
    V1(Opened),
    /// Version 2: who signed it, and the bundle to read a frame at a time.
    V2(Signed, Hashing<Frames<R>>),
}

/// Who signed a version 2 bundle; `verify` checks the signature once the whole bundle
/// has been read through its [`Hashing`] reader.
#[derive(Debug)]
pub struct Signed {
    pub signer: VerifyingKey,
    pub signer_fingerprint: String,
    signature: Signature,
    header: Vec<u8>,
}

impl Signed {
    /// Checks the signature against the SHA-256 of every bundle byte read.
    pub fn verify<R>(&self, body: &Hashing<R>) -> Result<(), Refusal> {
        let digest = body.hash.clone().finalize();
        self.signer
            .verify_strict(&signed_digest(&self.header, &digest), &self.signature)
            .map_err(|_| {
                refuse("its signature does not verify: it was changed after it was signed")
            })
    }
}

/// A reader that keeps the SHA-256 of everything read through it.
pub struct Hashing<R> {
    inner: R,
    hash: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

/// One line of at most [`MAX_LINE`] bytes, without its newline; `None` if there is none.
fn bounded_line(r: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    r.take(MAX_LINE).read_until(b'\n', &mut line)?;
    Ok((line.pop() == Some(b'\n')).then_some(line))
}

/// Opens a sealed bundle from `r` with this hub's key: version 2 a frame at a time,
/// version 1 whole. Refuses a file that is not sealed, is sealed to another hub, or whose
/// first frame or signature line is damaged; later damage surfaces as the bundle is read.
pub fn open_stream<R: BufRead>(hub: &HubIdentity, mut r: R) -> Result<Envelope<R>, Refusal> {
    let io_refusal = |e: io::Error| Refusal(e.to_string());
    let Some(head) = bounded_line(&mut r).map_err(io_refusal)? else {
        return Err(refuse(
            "it is not sealed and signed by a device (an unsigned bundle from an older msht, or not from a device at all)",
        ));
    };
    if read_header(hub, &head)?.version == 1 {
        let mut bytes = head;
        bytes.push(b'\n');
        r.read_to_end(&mut bytes).map_err(io_refusal)?;
        return open(hub, &bytes).map(Envelope::V1);
    }
    let mut sealed_key = [0u8; SEALED_KEY];
    r.read_exact(&mut sealed_key)
        .map_err(|_| refuse(frames::DAMAGED))?;
    let key = zeroize::Zeroizing::new(
        hub.opening
            .unseal(&sealed_key)
            .ok()
            .and_then(|k| <[u8; 32]>::try_from(k).ok())
            .ok_or_else(|| refuse(frames::DAMAGED))?,
    );
    let mut frames = Frames::new(r, &key, &head);
    let line = frame_line(&mut frames)
        .map_err(io_refusal)?
        .ok_or_else(|| refuse("it carries no signature"))?;
    let (signer, signature) = signature_of(&line)?;
    let body = Hashing {
        inner: frames,
        hash: Sha256::new(),
    };
    Ok(Envelope::V2(
        Signed {
            signer_fingerprint: fingerprint(signer.as_bytes()),
            signer,
            signature,
            header: head,
        },
        body,
    ))
}

/// The signature line at the start of the frames, read a byte at a time so that no
/// bundle byte is taken before the hashing starts.
fn frame_line(r: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    while (line.len() as u64) < MAX_LINE {
        if r.read(&mut b)? == 0 {
            return Ok(None);
        }
        if b[0] == b'\n' {
            return Ok(Some(line));
        }
        line.push(b[0]);
    }
    Ok(None)
}

fn signature_of(line: &[u8]) -> Result<(VerifyingKey, Signature), Refusal> {
    let line: SignatureLine =
        serde_json::from_slice(line).map_err(|_| refuse("it carries no signature"))?;
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
    Ok((signer, signature))
}

impl Opened {
    /// Checks the signature against the signer's key (strictly: no malleable forms).
    pub fn verify(&self) -> Result<(), Refusal> {
        let signed = if self.version == 1 {
            signed_bytes(&self.header, &self.bundle)
        } else {
            signed_digest(&self.header, &Sha256::digest(&self.bundle))
        };
        self.signer
            .verify_strict(&signed, &self.signature)
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

    /// Opens `sealed` the way the import does and returns the signer and the bundle.
    fn open_all(h: &HubIdentity, sealed: &[u8]) -> Result<(VerifyingKey, Vec<u8>), Refusal> {
        match open_stream(h, sealed)? {
            Envelope::V1(o) => {
                o.verify()?;
                Ok((o.signer, o.bundle))
            }
            Envelope::V2(signed, mut body) => {
                let mut plain = Vec::new();
                body.read_to_end(&mut plain)
                    .map_err(|e| Refusal(e.to_string()))?;
                signed.verify(&body)?;
                Ok((signed.signer, plain))
            }
        }
    }

    #[test]
    fn sealed_bundles_open_only_intact_and_for_their_hub() {
        let h = hub();
        let dev = SigningKey::from_bytes(&[9; 32]);
        let plain = b"{\"format\":\"msht-bundle\"}\nsecret answer text\n";
        for sealed in [
            seal(&h.key, &dev, plain).unwrap(),
            seal_v1(&h.key, &dev, plain).unwrap(),
        ] {
            assert!(!sealed.windows(13).any(|w| w == b"secret answer"));
            let (signer, bundle) = open_all(&h, &sealed).unwrap();
            assert_eq!(bundle, plain);
            assert_eq!(signer, dev.verifying_key());

            for i in [sealed.len() - 1, sealed.len() / 2 + 40] {
                let mut bad = sealed.clone();
                bad[i] ^= 1;
                let why = open_all(&h, &bad).unwrap_err().0;
                assert!(why.contains("changed or damaged"), "{why}");
            }
            let why = open_all(&h, &sealed[..sealed.len() - 5]).unwrap_err().0;
            assert!(why.contains("changed or damaged"), "{why}");

            let mut other = hub();
            other.opening = crypto_box::SecretKey::from_bytes([5; 32]);
            other.key.sealing = *other.opening.public_key().as_bytes();
            assert!(
                open_all(&other, &sealed)
                    .unwrap_err()
                    .0
                    .contains("another hub")
            );
        }
        assert!(open_all(&h, plain).unwrap_err().0.contains("not sealed"));
    }

    #[test]
    fn a_version_2_signature_covers_the_bundle_and_a_big_bundle_streams() {
        let h = hub();
        let dev = SigningKey::from_bytes(&[9; 32]);
        let big: Vec<u8> = (0..5 * frames::FRAME + 123)
            .map(|i| (i % 97) as u8)
            .collect();
        let sealed = seal(&h.key, &dev, &big).unwrap();
        assert_eq!(open_all(&h, &sealed).unwrap().1, big);
        // Re-sealed by someone with only the hub's public key, keeping the device's
        // signature line but changing the bundle: the frames open, the signature fails.
        let mut changed = big.clone();
        changed[10] ^= 1;
        let forged = seal(&h.key, &SigningKey::from_bytes(&[1; 32]), &changed).unwrap();
        let Envelope::V2(_, _) = open_stream(&h, &forged[..]).unwrap() else {
            panic!("version 2 expected")
        };
        let mut inner = signature_line(&dev, &signed_digest(b"x", &[0; 32])).unwrap();
        inner.extend_from_slice(&changed);
        let header = header(&h.key, VERSION).unwrap();
        let key = [6u8; 32];
        let mut out = header.clone();
        out.push(b'\n');
        out.extend_from_slice(
            &crypto_box::PublicKey::from_bytes(h.key.sealing)
                .seal(&mut OsRng, &key)
                .unwrap(),
        );
        frames::seal(&key, &header, &inner, &mut out).unwrap();
        let why = open_all(&h, &out).unwrap_err().0;
        assert!(why.contains("does not verify"), "{why}");
    }
}
