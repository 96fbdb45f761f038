//! The body of a version 2 sealed envelope: the plaintext cut into frames of at most
//! [`FRAME`] bytes, each sealed with XChaCha20-Poly1305 under a one-off key, so a hub can
//! open, check and read a bundle of any size a frame at a time. (Version 1 sealed the
//! whole bundle as one box, which has to be held, and checked, whole: a 197 MB bundle
//! took 510 MB to import.)
//!
//! Each frame on disk is a 4-byte big-endian length (the top bit set on the last frame)
//! and the ciphertext with its 16-byte tag. The nonce is the frame's number and whether it
//! is the last, and the envelope's header line is the associated data, so frames cannot
//! be reordered, dropped, cut off after a frame or moved to another envelope unnoticed.

use std::io::{self, Read};

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

/// Plaintext bytes per frame.
pub const FRAME: usize = 64 * 1024;
const TAG: usize = 16;
const LAST: u32 = 1 << 31;

/// What every damaged, cut-off or tampered envelope is refused with.
pub const DAMAGED: &str =
    "it cannot be opened with this hub's key: it was changed or damaged after it was sealed";

fn nonce(index: u64, last: bool) -> XNonce {
    let mut n = [0u8; 24];
    n[..8].copy_from_slice(&index.to_le_bytes());
    n[8] = u8::from(last);
    XNonce::from(n)
}

/// Appends `plain` to `out` as frames sealed under `key`, bound to `header`.
pub fn seal(key: &[u8; 32], header: &[u8], plain: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    let cipher = XChaCha20Poly1305::new(&(*key).into());
    let chunks: Vec<&[u8]> = plain.chunks(FRAME).collect();
    let n = chunks.len().max(1);
    for i in 0..n {
        let last = i + 1 == n;
        let mut buf = chunks.get(i).copied().unwrap_or_default().to_vec();
        cipher
            .encrypt_in_place(&nonce(i as u64, last), header, &mut buf)
            .map_err(|_| "a frame could not be sealed".to_string())?;
        let len = u32::try_from(buf.len()).map_err(|_| "a frame is too long".to_string())?;
        out.extend_from_slice(&(len | if last { LAST } else { 0 }).to_be_bytes());
        out.extend_from_slice(&buf);
    }
    Ok(())
}

/// Reads the plaintext of a framed body, checking each frame as it arrives. Any damage
/// is an `InvalidData` error saying [`DAMAGED`]; the end comes only after the last frame,
/// and nothing may follow it.
pub struct Frames<R> {
    inner: R,
    cipher: XChaCha20Poly1305,
    header: Vec<u8>,
    index: u64,
    buf: Vec<u8>,
    pos: usize,
    done: bool,
}

fn damaged() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, DAMAGED)
}

impl<R: Read> Frames<R> {
    pub fn new(inner: R, key: &[u8; 32], header: &[u8]) -> Self {
        Frames {
            inner,
            cipher: XChaCha20Poly1305::new(&(*key).into()),
            header: header.to_vec(),
            index: 0,
            buf: Vec::with_capacity(FRAME + TAG),
            pos: 0,
            done: false,
        }
    }

    fn next_frame(&mut self) -> io::Result<()> {
        let mut len = [0u8; 4];
        read_all(&mut self.inner, &mut len)?;
        let len = u32::from_be_bytes(len);
        let last = len & LAST != 0;
        let len = (len & !LAST) as usize;
        if !(TAG..=FRAME + TAG).contains(&len) {
            return Err(damaged());
        }
        self.buf.resize(len, 0);
        read_all(&mut self.inner, &mut self.buf)?;
        self.cipher
            .decrypt_in_place(&nonce(self.index, last), &self.header, &mut self.buf)
            .map_err(|_| damaged())?;
        self.index += 1;
        self.pos = 0;
        if last {
            self.done = true;
            let mut more = [0u8; 1];
            if self.inner.read(&mut more)? != 0 {
                return Err(damaged());
            }
        }
        Ok(())
    }
}

/// `read_exact`, with a file that ends early read as damaged.
fn read_all(r: &mut impl Read, buf: &mut [u8]) -> io::Result<()> {
    r.read_exact(buf).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => damaged(),
        _ => e,
    })
}

impl<R: Read> Read for Frames<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.buf.len() {
            if self.done {
                return Ok(0);
            }
            self.next_frame()?;
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(plain: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        seal(&[1; 32], b"head", plain, &mut out).unwrap();
        out
    }

    fn read(bytes: &[u8]) -> io::Result<Vec<u8>> {
        let mut v = Vec::new();
        Frames::new(bytes, &[1; 32], b"head").read_to_end(&mut v)?;
        Ok(v)
    }

    #[test]
    fn frames_round_trip_at_every_size_and_refuse_any_damage() {
        for n in [0, 1, FRAME - 1, FRAME, FRAME + 1, 3 * FRAME + 7] {
            let plain: Vec<u8> = (0..n).map(|i| (i % 251) as u8).collect();
            let sealed = framed(&plain);
            assert_eq!(read(&sealed).unwrap(), plain, "{n} bytes");
            // Cut anywhere, a byte flipped, a byte added: all refused.
            for cut in [0, 3, sealed.len() / 2, sealed.len() - 1] {
                assert!(read(&sealed[..cut]).is_err(), "{n} bytes cut at {cut}");
            }
            let mut flipped = sealed.clone();
            flipped[sealed.len() / 2] ^= 1;
            assert!(read(&flipped).is_err());
            let mut longer = sealed.clone();
            longer.push(0);
            assert!(read(&longer).is_err());
            let mut other = Vec::new();
            seal(&[2; 32], b"head", &plain, &mut other).unwrap();
            let mut v = Vec::new();
            assert!(
                Frames::new(&other[..], &[1; 32], b"head")
                    .read_to_end(&mut v)
                    .is_err()
            );
            assert!(
                Frames::new(&sealed[..], &[1; 32], b"other")
                    .read_to_end(&mut v)
                    .is_err()
            );
        }
    }

    #[test]
    fn a_whole_frame_dropped_or_moved_is_refused() {
        let plain = vec![7u8; 3 * FRAME];
        let sealed = framed(&plain);
        let frame = 4 + FRAME + TAG;
        // The second frame dropped: the third is read as the second and fails.
        let dropped = [&sealed[..frame], &sealed[2 * frame..]].concat();
        assert!(read(&dropped).is_err());
        // Cut after the first, non-last frame: the end comes too early.
        assert!(read(&sealed[..frame]).is_err());
    }
}
