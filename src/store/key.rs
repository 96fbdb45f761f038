//! The database key, and the two files that may hold it. No SQL here: the store keys its
//! connection with what this module hands it.
//!
//! The key is 256 random bits, used raw by SQLCipher (no KDF on every open). It comes from
//! either
//! - a *raw key file* a force's device management (or a test) provides: 64 hexadecimal
//!   characters and an optional newline, readable by its owner only; or
//! - the *passphrase file* beside the database (`msht.db.key`): the key sealed with
//!   XChaCha20-Poly1305 under a key derived from the officer's passphrase by Argon2id.
//!   Changing the passphrase rewrites this small file and never re-encrypts the database.
//!
//! Passphrase file format (JSON, one object; every field is needed to unwrap):
//! `{"msht_key_file": 1, "kdf": "argon2id", "m_kib", "t", "p", "salt": HEX(16),
//!  "cipher": "xchacha20poly1305", "nonce": HEX(24), "wrapped": HEX(32 + 16 tag)}`.
//! The KDF parameters are also the AEAD's associated data, so they cannot be swapped.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{AeadInOut, Generate, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::fault::Fault;

/// Argon2id costs: 46 MiB, one pass, one lane (OWASP's recommended setting). RFC 9106's
/// 64 MiB x 3 took 1.39 s per unwrap here (release, 2 cores shared with a load of ~20):
/// too slow for a phone. The cost is linear in memory x passes, so this is about a quarter
/// of that. The file records its costs, so older files keep opening if they change;
/// `cargo bench --bench crypt` prints the time.
pub const KDF_M_KIB: u32 = 46 * 1024;
pub const KDF_T: u32 = 1;
pub const KDF_P: u32 = 1;

/// The most a passphrase file may ask for (4 GiB, 64 passes): a planted file cannot make
/// msht exhaust the device.
const MAX_M_KIB: u32 = 4 * 1024 * 1024;
const MAX_T: u32 = 64;
const MAX_P: u32 = 16;
/// A raw key file is 64 hex characters; anything much longer is not one.
const MAX_RAW_FILE: u64 = 256;

/// The 256-bit database key. Wiped from memory when dropped (every copy); never printed.
#[derive(Clone)]
pub struct DbKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for DbKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbKey(..)")
    }
}

impl DbKey {
    /// A new key from the operating system's random source.
    pub fn random() -> Result<DbKey, KeyError> {
        let k = <[u8; 32]>::try_generate().map_err(|_| KeyError::NoRandom)?;
        Ok(DbKey(Zeroizing::new(k)))
    }

    /// The key in the form SQLCipher takes raw, skipping its own KDF: `x'…64 hex…'`.
    pub(crate) fn sql_literal(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("x'{}'", hex::encode(*self.0)))
    }

    /// Parses 64 hex characters and an optional line ending.
    pub fn from_hex(text: &str) -> Option<DbKey> {
        let t = text.strip_suffix('\n').unwrap_or(text);
        let t = t.strip_suffix('\r').unwrap_or(t);
        if t.len() != 64 {
            return None;
        }
        let mut k = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(t, &mut *k).ok()?;
        Some(DbKey(k))
    }

    /// The key as 64 hex characters and a newline: a raw key file's contents.
    pub fn to_hex_line(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("{}\n", hex::encode(*self.0)))
    }
}

/// A passphrase as typed; wiped from memory when dropped.
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    pub fn new(s: String) -> Passphrase {
        Passphrase(Zeroizing::new(s))
    }
    fn bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the passphrase does not unlock the database {}", db.display())]
    WrongPassphrase { db: PathBuf },
    #[error("the key does not open the database {}", db.display())]
    WrongKey { db: PathBuf },
    #[error(
        "the database {} is encrypted and no key was given for it (there is no passphrase file {} beside it)",
        db.display(), passphrase_file(db).display()
    )]
    NoKey { db: PathBuf },
    #[error("the database {} needs a passphrase and there is no terminal to ask for it", db.display())]
    NoTerminal { db: PathBuf },
    #[error(
        "the key file {} can be read by other users, so it was not used; make it readable by its owner only",
        path.display()
    )]
    KeyFileOpen { path: PathBuf },
    #[error("the key file {} does not hold a database key (64 hexadecimal characters)", path.display())]
    RawMalformed { path: PathBuf },
    #[error("the passphrase file {} is damaged or not an msht key file ({detail})", path.display())]
    WrappedMalformed { path: PathBuf, detail: String },
    #[error("could not use the key file {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("the passphrase was not given, so nothing was opened or changed")]
    Cancelled,
    #[error("the system's random number source failed, so no key was made")]
    NoRandom,
}

impl KeyError {
    pub fn fault(&self) -> Fault {
        match self {
            KeyError::WrongPassphrase { .. }
            | KeyError::WrongKey { .. }
            | KeyError::KeyFileOpen { .. } => Fault::Denied,
            // No key at all is a usage problem (give one), not a refused one.
            KeyError::NoKey { .. } | KeyError::NoTerminal { .. } => Fault::BadRequest,
            KeyError::RawMalformed { .. } | KeyError::WrappedMalformed { .. } => Fault::BadData,
            KeyError::Io { source, .. } => Fault::of_io(source),
            KeyError::Cancelled => Fault::Interrupted,
            KeyError::NoRandom => Fault::Internal,
        }
    }

    fn io(path: &Path, source: io::Error) -> KeyError {
        KeyError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Where the passphrase file of the database `db` lives: beside it, `NAME.key`.
pub fn passphrase_file(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".key");
    PathBuf::from(p)
}

/// Reads a raw key file, refusing one that group or others can read.
pub fn read_raw_key_file(path: &Path) -> Result<DbKey, KeyError> {
    let meta = fs::metadata(path).map_err(|e| KeyError::io(path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(KeyError::KeyFileOpen {
                path: path.to_path_buf(),
            });
        }
    }
    if !meta.is_file() || meta.len() > MAX_RAW_FILE {
        return Err(KeyError::RawMalformed {
            path: path.to_path_buf(),
        });
    }
    let text = Zeroizing::new(fs::read_to_string(path).map_err(|e| KeyError::io(path, e))?);
    DbKey::from_hex(&text).ok_or_else(|| KeyError::RawMalformed {
        path: path.to_path_buf(),
    })
}

/// A passphrase file's contents. The key inside is sealed; `unwrap` opens it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WrappedKey {
    msht_key_file: u32,
    kdf: String,
    m_kib: u32,
    t: u32,
    p: u32,
    salt: String,
    cipher: String,
    nonce: String,
    wrapped: String,
}

impl WrappedKey {
    /// Seals `key` under `passphrase` with fresh salt and nonce.
    pub fn wrap(key: &DbKey, passphrase: &Passphrase) -> Result<WrappedKey, KeyError> {
        Self::wrap_with(key, passphrase, KDF_M_KIB, KDF_T, KDF_P)
    }

    /// `wrap` with chosen Argon2id costs (benchmarks and tests use small ones).
    pub fn wrap_with(
        key: &DbKey,
        passphrase: &Passphrase,
        m_kib: u32,
        t: u32,
        p: u32,
    ) -> Result<WrappedKey, KeyError> {
        let salt = <[u8; 16]>::try_generate().map_err(|_| KeyError::NoRandom)?;
        let nonce = <[u8; 24]>::try_generate().map_err(|_| KeyError::NoRandom)?;
        let mut w = WrappedKey {
            msht_key_file: 1,
            kdf: "argon2id".into(),
            m_kib,
            t,
            p,
            salt: hex::encode(salt),
            cipher: "xchacha20poly1305".into(),
            nonce: hex::encode(nonce),
            wrapped: String::new(),
        };
        let kek = w.kek(passphrase, Path::new(""))?;
        let cipher = XChaCha20Poly1305::new(&(*kek).into());
        let mut buf = Zeroizing::new(key.0.to_vec());
        cipher
            .encrypt_in_place(&XNonce::from(nonce), w.aad().as_bytes(), &mut *buf)
            .map_err(|_| KeyError::NoRandom)?;
        w.wrapped = hex::encode(&*buf);
        Ok(w)
    }

    /// Opens the key with `passphrase`; `db` names the database in the error.
    pub fn unwrap(&self, passphrase: &Passphrase, db: &Path) -> Result<DbKey, KeyError> {
        let file = passphrase_file(db);
        let bad = |detail: &str| KeyError::WrappedMalformed {
            path: file.clone(),
            detail: detail.into(),
        };
        let mut nonce = [0u8; 24];
        hex::decode_to_slice(&self.nonce, &mut nonce).map_err(|_| bad("nonce"))?;
        let mut buf = Zeroizing::new(hex::decode(&self.wrapped).map_err(|_| bad("wrapped key"))?);
        if buf.len() != 48 {
            return Err(bad("wrapped key length"));
        }
        let kek = self.kek(passphrase, &file)?;
        let cipher = XChaCha20Poly1305::new(&(*kek).into());
        cipher
            .decrypt_in_place(&XNonce::from(nonce), self.aad().as_bytes(), &mut *buf)
            .map_err(|_| KeyError::WrongPassphrase {
                db: db.to_path_buf(),
            })?;
        let mut k = Zeroizing::new([0u8; 32]);
        k.copy_from_slice(&buf[..32]);
        Ok(DbKey(k))
    }

    /// The key-encryption key: Argon2id of the passphrase, after checking the file's
    /// parameters are ones this msht wrote or could have.
    fn kek(&self, passphrase: &Passphrase, file: &Path) -> Result<Zeroizing<[u8; 32]>, KeyError> {
        let bad = |detail: String| KeyError::WrappedMalformed {
            path: file.to_path_buf(),
            detail,
        };
        if self.msht_key_file != 1 || self.kdf != "argon2id" || self.cipher != "xchacha20poly1305" {
            return Err(bad(format!(
                "format {} with {} and {}",
                self.msht_key_file, self.kdf, self.cipher
            )));
        }
        if self.m_kib > MAX_M_KIB || self.t > MAX_T || self.p > MAX_P {
            return Err(bad("its Argon2id costs are out of range".into()));
        }
        let mut salt = [0u8; 16];
        hex::decode_to_slice(&self.salt, &mut salt).map_err(|_| bad("salt".into()))?;
        let params = argon2::Params::new(self.m_kib, self.t, self.p, Some(32))
            .map_err(|e| bad(format!("Argon2id parameters: {e}")))?;
        let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut out = Zeroizing::new([0u8; 32]);
        a.hash_password_into(passphrase.bytes(), &salt, &mut *out)
            .map_err(|e| bad(format!("Argon2id: {e}")))?;
        Ok(out)
    }

    fn aad(&self) -> String {
        format!(
            "msht-key-file v{} {} m={} t={} p={} {}",
            self.msht_key_file, self.kdf, self.m_kib, self.t, self.p, self.cipher
        )
    }

    /// Reads the passphrase file beside `db`; `None` if there is none.
    pub fn load(db: &Path) -> Result<Option<WrappedKey>, KeyError> {
        let path = passphrase_file(db);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(KeyError::io(&path, e)),
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| KeyError::WrappedMalformed {
                path,
                detail: e.to_string(),
            })
    }

    /// Writes the passphrase file beside `db` (0600, whole or not at all). `replace`
    /// false never overwrites one: a second key for one database would lock it away.
    pub fn save(&self, db: &Path, replace: bool) -> Result<(), KeyError> {
        let path = passphrase_file(db);
        let mut text =
            serde_json::to_string_pretty(self).map_err(|e| KeyError::io(&path, e.into()))?;
        text.push('\n');
        let r = if replace {
            crate::atomic::write_replace(&path, text.as_bytes())
        } else {
            crate::atomic::write_new(&path, text.as_bytes())
        };
        r.map_err(|e| KeyError::io(&path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass(s: &str) -> Passphrase {
        Passphrase::new(s.into())
    }

    #[test]
    fn wrap_unwrap_round_trip_and_wrong_passphrase() {
        let k = DbKey::random().unwrap();
        let w = WrappedKey::wrap_with(&k, &pass("correct horse"), 64, 1, 1).unwrap();
        let back = w.unwrap(&pass("correct horse"), Path::new("x.db")).unwrap();
        assert_eq!(*back.0, *k.0);
        let e = w
            .unwrap(&pass("correct hors"), Path::new("x.db"))
            .unwrap_err();
        assert!(matches!(e, KeyError::WrongPassphrase { .. }), "{e}");
        assert_eq!(e.fault(), Fault::Denied);
    }

    #[test]
    fn changed_costs_do_not_unwrap() {
        let k = DbKey::random().unwrap();
        let mut w = WrappedKey::wrap_with(&k, &pass("pw"), 64, 1, 1).unwrap();
        w.t = 2;
        assert!(w.unwrap(&pass("pw"), Path::new("x.db")).is_err());
    }

    #[test]
    fn absurd_costs_are_refused_before_hashing() {
        let k = DbKey::random().unwrap();
        let mut w = WrappedKey::wrap_with(&k, &pass("pw"), 64, 1, 1).unwrap();
        w.m_kib = u32::MAX;
        let e = w.unwrap(&pass("pw"), Path::new("x.db")).unwrap_err();
        assert!(matches!(e, KeyError::WrappedMalformed { .. }), "{e}");
    }

    #[test]
    fn raw_key_text() {
        let hex64 = "ab".repeat(32);
        assert!(DbKey::from_hex(&hex64).is_some());
        assert!(DbKey::from_hex(&format!("{hex64}\n")).is_some());
        assert!(DbKey::from_hex(&format!("{hex64}\r\n")).is_some());
        assert!(DbKey::from_hex(&format!("{hex64}\n\n")).is_none());
        assert!(DbKey::from_hex(&hex64[..62]).is_none());
        assert!(DbKey::from_hex(&"zz".repeat(32)).is_none());
        let k = DbKey::from_hex(&hex64).unwrap();
        assert_eq!(&*k.sql_literal(), &format!("x'{hex64}'"));
        assert_eq!(format!("{k:?}"), "DbKey(..)");
    }

    #[cfg(unix)]
    #[test]
    fn raw_key_file_readable_by_others_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("k");
        fs::write(&p, "cd".repeat(32)).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            read_raw_key_file(&p),
            Err(KeyError::KeyFileOpen { .. })
        ));
        fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
        assert!(read_raw_key_file(&p).is_ok());
    }

    #[test]
    fn passphrase_file_saved_once_and_loaded() {
        let d = tempfile::tempdir().unwrap();
        let db = d.path().join("m.db");
        assert!(WrappedKey::load(&db).unwrap().is_none());
        let k = DbKey::random().unwrap();
        let w = WrappedKey::wrap_with(&k, &pass("pw"), 64, 1, 1).unwrap();
        w.save(&db, false).unwrap();
        assert!(w.save(&db, false).is_err(), "never overwritten unasked");
        let back = WrappedKey::load(&db).unwrap().unwrap();
        assert_eq!(*back.unwrap(&pass("pw"), &db).unwrap().0, *k.0);
    }
}
