//! Receipt decode (`msht sync push` reading what the hub left). Two modes, by the first
//! byte: raw bytes (a damaged or foreign file), or a receipt body re-sealed with a correct
//! digest so the fields behind the digest are read too. Must never panic; a receipt that
//! is not intact is `None` (ignored, so nothing is ever acknowledged by accident).
#![no_main]

use libfuzzer_sys::fuzz_target;
use msht::sync::Receipt;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
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
    // A receipt we wrote ourselves always reads back as itself.
    let Ok(bytes) = r.encode() else {
        return;
    };
    let back = Receipt::decode(&bytes);
    if r.format == msht::sync::receipt::FORMAT && r.version == msht::sync::receipt::VERSION {
        assert_eq!(back.as_ref(), Some(&r));
    }
    if let Some(r) = back {
        let _ = r.acknowledged_count();
        let _ = r.acknowledgement();
        let _ = r.file_name();
    }
});
