//! The database side of sync keys: this database's key pairs, the hub it is enrolled
//! with, and (on a hub) the devices it trusts. Only bytes and names live here; making,
//! encoding and using keys is `sync::keys`' job.
//!
//! A key pair is created once and never replaced (`INSERT OR IGNORE`, then read back),
//! so two processes making the first key at once end up with the same one. Enrolling
//! replaces the hub key, and points the receipts this database accepts at that hub.

use rusqlite::OptionalExtension;

use super::write::write;
use super::{Store, StoreError};

/// Meta keys shared with `store/sync.rs`: the hub whose receipts count, and how it was
/// chosen.
const HUB: &str = "sync_hub";
const HUB_HOW: &str = "sync_hub_how";

/// One stored key: `secret` is absent for a key that is someone else's (the enrolled hub).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    pub device_id: String,
    pub secret: Option<Vec<u8>>,
    pub public: Vec<u8>,
    pub created_at: String,
}

/// A device a hub knows, trusted or revoked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TrustedDevice {
    #[serde(skip)]
    pub public: Vec<u8>,
    pub device_id: String,
    pub name: String,
    pub fingerprint: String,
    pub trusted_at: String,
    pub revoked_at: Option<String>,
}

/// What `sync_trust` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustOutcome {
    Added,
    /// The key was trusted already (its stored entry is returned).
    Already(TrustedDevice),
    /// The key was revoked; it is not trusted again.
    Revoked(TrustedDevice),
}

fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

const TRUSTED_COLUMNS: &str = "public, device_id, name, fingerprint, trusted_at, revoked_at";

fn trusted_row(r: &rusqlite::Row) -> rusqlite::Result<TrustedDevice> {
    Ok(TrustedDevice {
        public: r.get(0)?,
        device_id: r.get(1)?,
        name: r.get(2)?,
        fingerprint: r.get(3)?,
        trusted_at: r.get(4)?,
        revoked_at: r.get(5)?,
    })
}

impl Store {
    /// The key stored under `role` (`signing`, `sealing` or `enrolled_hub`).
    pub fn sync_key(&self, role: &str) -> Result<Option<StoredKey>, StoreError> {
        self.conn
            .query_row(
                "SELECT device_id, secret, public, created_at FROM sync_keys WHERE role = ?1",
                [role],
                |r| {
                    Ok(StoredKey {
                        device_id: r.get(0)?,
                        secret: r.get(1)?,
                        public: r.get(2)?,
                        created_at: r.get(3)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Stores this database's own key pair under `role` unless one is there already, and
    /// returns the one that is kept.
    pub fn sync_key_create(
        &mut self,
        role: &str,
        secret: &[u8],
        public: &[u8],
    ) -> Result<StoredKey, StoreError> {
        let Store {
            conn,
            path,
            device_id,
            ..
        } = self;
        write(conn, path, |tx| {
            tx.execute(
                "INSERT OR IGNORE INTO sync_keys (role, device_id, secret, public, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![role, &*device_id, secret, public, now()],
            )?;
            Ok(())
        })?;
        self.sync_key(role)?.ok_or_else(|| StoreError::Database {
            path: self.path.clone(),
            detail: "a key just stored could not be read back".into(),
        })
    }

    /// Enrols this database with a hub: its receipts, and only its, acknowledge from now
    /// on, checked against `public` (the hub's sealing and signing keys).
    pub fn sync_enroll(&mut self, hub_device_id: &str, public: &[u8]) -> Result<(), StoreError> {
        let Store { conn, path, .. } = self;
        write(conn, path, |tx| {
            tx.execute(
                "INSERT OR REPLACE INTO sync_keys (role, device_id, secret, public, created_at)
                 VALUES ('enrolled_hub', ?1, NULL, ?2, ?3)",
                rusqlite::params![hub_device_id, public, now()],
            )?;
            for (k, v) in [(HUB, hub_device_id), (HUB_HOW, "enrolled")] {
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES (?1, ?2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [k, v],
                )?;
            }
            Ok(())
        })
    }

    /// Trusts a device's signing key on this hub.
    pub fn sync_trust(&mut self, d: &TrustedDevice) -> Result<TrustOutcome, StoreError> {
        if let Some(old) = self.sync_trusted_key(&d.public)? {
            return Ok(if old.revoked_at.is_some() {
                TrustOutcome::Revoked(old)
            } else {
                TrustOutcome::Already(old)
            });
        }
        let Store { conn, path, .. } = self;
        write(conn, path, |tx| {
            tx.execute(
                &format!(
                    "INSERT INTO sync_trusted ({TRUSTED_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, NULL)"
                ),
                rusqlite::params![d.public, d.device_id, d.name, d.fingerprint, now()],
            )?;
            Ok(TrustOutcome::Added)
        })
    }

    /// Revokes every trusted device whose device id, name or fingerprint is `which`;
    /// returns those revoked now (empty if none matched or all were revoked already).
    pub fn sync_revoke(&mut self, which: &str) -> Result<Vec<TrustedDevice>, StoreError> {
        let matching: Vec<TrustedDevice> = self
            .sync_trusted()?
            .into_iter()
            .filter(|d| {
                d.revoked_at.is_none()
                    && (d.device_id == which
                        || d.name == which
                        || d.fingerprint.eq_ignore_ascii_case(which))
            })
            .collect();
        let at = now();
        let Store { conn, path, .. } = self;
        write(conn, path, |tx| {
            for d in &matching {
                tx.execute(
                    "UPDATE sync_trusted SET revoked_at = ?2 WHERE public = ?1",
                    rusqlite::params![d.public, at],
                )?;
            }
            Ok(())
        })?;
        Ok(matching
            .into_iter()
            .map(|d| TrustedDevice {
                revoked_at: Some(at.clone()),
                ..d
            })
            .collect())
    }

    /// Every device this hub has trusted, revoked ones included, in the order trusted.
    pub fn sync_trusted(&self) -> Result<Vec<TrustedDevice>, StoreError> {
        self.conn
            .prepare(&format!(
                "SELECT {TRUSTED_COLUMNS} FROM sync_trusted ORDER BY trusted_at, device_id"
            ))
            .and_then(|mut s| s.query_map([], trusted_row)?.collect())
            .map_err(|e| self.err(e))
    }

    /// The entry for one signing key, if this hub has ever trusted it.
    pub fn sync_trusted_key(&self, public: &[u8]) -> Result<Option<TrustedDevice>, StoreError> {
        self.conn
            .query_row(
                &format!("SELECT {TRUSTED_COLUMNS} FROM sync_trusted WHERE public = ?1"),
                [public],
                trusted_row,
            )
            .optional()
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(public: u8, name: &str) -> TrustedDevice {
        TrustedDevice {
            public: vec![public; 32],
            device_id: format!("dev-{public}"),
            name: name.into(),
            fingerprint: format!("FP{public}"),
            trusted_at: String::new(),
            revoked_at: None,
        }
    }

    #[test]
    fn keys_are_made_once_and_trust_is_revocable_not_restorable() {
        let d = tempfile::tempdir().unwrap();
        let mut s = Store::open(&d.path().join("k.db")).unwrap();
        let first = s.sync_key_create("signing", &[1; 32], &[2; 32]).unwrap();
        let second = s.sync_key_create("signing", &[3; 32], &[4; 32]).unwrap();
        assert_eq!(first, second, "a key pair is never replaced");
        assert_eq!(s.sync_key("sealing").unwrap(), None);

        assert_eq!(
            s.sync_trust(&device(7, "PC 7")).unwrap(),
            TrustOutcome::Added
        );
        assert!(matches!(
            s.sync_trust(&device(7, "PC 7")).unwrap(),
            TrustOutcome::Already(_)
        ));
        assert_eq!(s.sync_revoke("PC 7").unwrap().len(), 1);
        assert_eq!(s.sync_revoke("PC 7").unwrap().len(), 0);
        assert!(matches!(
            s.sync_trust(&device(7, "PC 7")).unwrap(),
            TrustOutcome::Revoked(_)
        ));
        let t = s.sync_trusted_key(&[7; 32]).unwrap().unwrap();
        assert!(t.revoked_at.is_some());

        s.sync_enroll("hub-1", &[9; 64]).unwrap();
        s.sync_enroll("hub-2", &[8; 64]).unwrap();
        let hub = s.sync_key("enrolled_hub").unwrap().unwrap();
        assert_eq!((hub.device_id.as_str(), hub.public[0]), ("hub-2", 8));
        assert_eq!(s.sync_hub().unwrap().unwrap().device_id, "hub-2");
    }
}
