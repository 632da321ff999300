//! A media upload's `Content-Range` header, as a candidate's browser sends
//! it. A parsed range never ends past its total, nor starts after its end.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_server::api::media::{parse_range, Range};

fuzz_target!(|data: &[u8]| {
    vigil_fuzz::seeds_once("content_range", || {
        vec![
            ("piece", b"bytes 0-1048575/5242880".to_vec()),
            ("last", b"bytes 5242879-5242879/5242880".to_vec()),
            ("probe", b"bytes */5242880".to_vec()),
        ]
    });
    let Some(value) = vigil_fuzz::text(data) else {
        return;
    };
    match parse_range(value) {
        Ok(Range::Piece { start, end, total }) => {
            assert!(
                start <= end && end < total,
                "{value:?} → {start}-{end}/{total}"
            );
        }
        Ok(Range::Probe { .. }) | Err(_) => {}
    }
});
