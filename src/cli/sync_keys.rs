//! `msht sync hub init | key`, `sync key`, `sync enroll`, `sync trust`, `sync revoke`:
//! the keys behind sealed, signed bundles and signed receipts. A key command prints the
//! key line alone on stdout (so it can be copied or piped) and its fingerprint, to be read
//! aloud and compared on the other side, on stderr.

use clap::Subcommand;

use super::output::{print_json, print_lines, terminal_safe};
use crate::error::Result;
use crate::store::{Store, TrustOutcome, TrustedDevice};
use crate::sync::SyncError;
use crate::sync::keys::{self, DeviceKey, HubKey};

#[derive(Debug, Subcommand)]
pub enum HubAction {
    /// Make this database a hub: create its sealing and signing keys (once) and print
    /// the key devices enrol with
    Init,
    /// Print this hub's key, for `msht sync enroll` on each device
    Key,
}

fn say(line: &str) {
    eprintln!("{}", terminal_safe(line));
}

fn key_out(ctx_json: bool, line: &str, fingerprint: &str, device_id: &str) -> Result<()> {
    if ctx_json {
        print_json(&serde_json::json!({
            "key": line, "fingerprint": fingerprint, "device_id": device_id,
        }))?;
    } else {
        print_lines(&[line.to_string()])?;
    }
    Ok(())
}

pub fn hub_action(json: bool, store: &mut Store, action: &HubAction) -> Result<()> {
    let id = match action {
        HubAction::Init => {
            let (already, id) = keys::hub_init(store)?;
            say(&if already {
                format!(
                    "This database is already a hub (fingerprint {}); its keys are unchanged. Devices enrol with this key:",
                    id.key.fingerprint()
                )
            } else {
                format!(
                    "This database is now a hub (fingerprint {}). Devices enrol with this key (`msht sync enroll KEY`), then give you theirs for `msht sync trust`:",
                    id.key.fingerprint()
                )
            });
            id
        }
        HubAction::Key => {
            let id = keys::hub_identity(store)?.ok_or(SyncError::NotAHub)?;
            say(&format!(
                "Hub key fingerprint {} (read it aloud to the officer enrolling, to confirm):",
                id.key.fingerprint()
            ));
            id
        }
    };
    key_out(
        json,
        &id.key.encode(),
        &id.key.fingerprint(),
        &id.key.device_id,
    )
}

/// `sync key`: this device's key, for the hub to trust.
pub fn device_key(json: bool, store: &mut Store) -> Result<()> {
    let k = keys::device_key(store)?;
    say(&format!(
        "Device key fingerprint {} (give the hub this line for `msht sync trust`, and read the fingerprint aloud to confirm):",
        k.fingerprint()
    ));
    key_out(json, &k.encode(), &k.fingerprint(), &k.device_id)
}

pub fn enroll(json: bool, store: &mut Store, line: &str) -> Result<()> {
    let hub = HubKey::parse(line).map_err(SyncError::from)?;
    if hub.device_id == store.device_id() {
        return Err(SyncError::OwnKey.into());
    }
    store.sync_enroll(&hub.device_id, &hub.public_bytes())?;
    let me = keys::device_key(store)?;
    if json {
        print_json(&serde_json::json!({
            "hub": hub.device_id, "hub_fingerprint": hub.fingerprint(),
            "device_key": me.encode(), "device_fingerprint": me.fingerprint(),
        }))?;
        return Ok(());
    }
    print_lines(&[
        format!(
            "Enrolled with hub {} (fingerprint {}): check the fingerprint with the hub's operator. Bundles are now sealed to it, and only receipts it signed acknowledge events.",
            hub.device_id,
            hub.fingerprint()
        ),
        format!(
            "Give the hub this device's key to trust (fingerprint {}):",
            me.fingerprint()
        ),
        me.encode(),
    ])?;
    Ok(())
}

pub fn trust(json: bool, store: &mut Store, line: &str, name: &str) -> Result<()> {
    let k = DeviceKey::parse(line).map_err(SyncError::from)?;
    keys::hub_identity(store)?.ok_or(SyncError::NotAHub)?;
    if k.device_id == store.device_id() {
        return Err(SyncError::OwnKey.into());
    }
    let d = TrustedDevice {
        public: k.verifying.as_bytes().to_vec(),
        device_id: k.device_id.clone(),
        name: name.trim().to_string(),
        fingerprint: k.fingerprint(),
        trusted_at: String::new(),
        revoked_at: None,
    };
    let msg = match store.sync_trust(&d)? {
        TrustOutcome::Added => format!(
            "Trusted {} (device {}, fingerprint {}): this hub imports its bundles from now on.",
            d.name, d.device_id, d.fingerprint
        ),
        TrustOutcome::Already(old) => format!(
            "{} (device {}, fingerprint {}) was already trusted, as {}; nothing changed.",
            d.name, old.device_id, old.fingerprint, old.name
        ),
        TrustOutcome::Revoked(old) => {
            return Err(SyncError::WasRevoked {
                name: old.name,
                at: old.revoked_at.unwrap_or_default(),
            }
            .into());
        }
    };
    if json {
        print_json(&d)?;
    } else {
        print_lines(&[msg])?;
    }
    Ok(())
}

pub fn revoke(json: bool, store: &mut Store, which: &str) -> Result<()> {
    let gone = store.sync_revoke(which.trim())?;
    if gone.is_empty() {
        return Err(SyncError::NoSuchDevice(which.to_string()).into());
    }
    if json {
        print_json(&gone)?;
        return Ok(());
    }
    let lines: Vec<String> = gone
        .iter()
        .map(|d| {
            format!(
                "Revoked {} (device {}, fingerprint {}): its bundles are refused from now on; what it sent before stays.",
                d.name, d.device_id, d.fingerprint
            )
        })
        .collect();
    print_lines(&lines)?;
    Ok(())
}

/// Lines for `sync hub` about keys: this hub's fingerprint and the devices it trusts,
/// or the hub this device is enrolled with.
pub fn key_lines(store: &mut Store) -> Result<Vec<String>> {
    let mut out = Vec::new();
    if let Some(h) = keys::enrolled_hub(store)? {
        out.push(format!(
            "Enrolled with hub {} (fingerprint {}).",
            h.device_id,
            h.fingerprint()
        ));
    }
    if let Some(id) = keys::hub_identity(store)? {
        out.push(format!(
            "This hub's key fingerprint: {}.",
            id.key.fingerprint()
        ));
        let trusted = store.sync_trusted()?;
        if trusted.is_empty() {
            out.push("Trusted devices: none yet (`msht sync trust KEY --name TEXT`).".into());
        }
        for d in trusted {
            let state = match &d.revoked_at {
                Some(at) => format!("revoked {at}"),
                None => format!("trusted {}", d.trusted_at),
            };
            out.push(format!(
                "  {} (device {}, fingerprint {}): {state}",
                d.name, d.device_id, d.fingerprint
            ));
        }
    }
    Ok(out)
}
