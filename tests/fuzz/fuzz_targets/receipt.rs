//! Receipt decode (`msht sync push` reading what the hub left). Two modes, by the first
//! byte: raw bytes (a damaged or foreign file), or a receipt body re-sealed with a correct
//! digest and signed by a hub key so the fields behind the digest and the signature are
//! read too. Must never panic; a receipt that is not intact is `None` (ignored, so nothing
//! is ever acknowledged by accident), and one signed by another key is never trusted.
#![no_main]

use ed25519_dalek::SigningKey;
use libfuzzer_sys::fuzz_target;
use msht::sync::Receipt;
use msht::sync::receipt::Verified;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        let hub = SigningKey::from_bytes(&[7; 32]).verifying_key();
        if let Verified::Trusted(_) = Receipt::verify(rest, &hub) {
            panic!("a receipt no hub signed was trusted");
        }
        if let Some(r) = Receipt::decode(rest) {
            let _ = r.acknowledged_count();
            let _ = r.acknowledgement();
            let _ = r.file_name();
        }
        return;
    }
    let Ok(r) = serde_json::from_slice::<Receipt>(rest) else {
        return;
    };
    // A receipt we wrote ourselves always reads back as itself, trusted only with the
    // key that signed it.
    let hub = SigningKey::from_bytes(&[7; 32]);
    let Ok(bytes) = r.encode(&hub) else {
        return;
    };
    let back = Receipt::decode(&bytes);
    if r.format == msht::sync::receipt::FORMAT && r.version == msht::sync::receipt::VERSION {
        assert_eq!(back.as_ref(), Some(&r));
        assert!(matches!(
            Receipt::verify(&bytes, &hub.verifying_key()),
            Verified::Trusted(ref t) if t == &r
        ));
        let other = SigningKey::from_bytes(&[8; 32]).verifying_key();
        assert!(matches!(
            Receipt::verify(&bytes, &other),
            Verified::BadSignature(_)
        ));
    }
    if let Some(r) = back {
        let _ = r.acknowledged_count();
        let _ = r.acknowledgement();
        let _ = r.file_name();
    }
});
