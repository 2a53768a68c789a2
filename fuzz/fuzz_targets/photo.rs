//! The photo check: any bytes are refused or accepted without a panic, within
//! bounded memory; what is accepted is stored as a JPEG that passes the same
//! check again, with the same size and without the bytes after its end.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zikao_input::{IDENTITY_PHOTO, ImageRules, check_jpeg};

/// The identity rules with a lower floor, so that small inputs reach decoding.
const SMALL: ImageRules = ImageRules {
    max_bytes: 1 << 20,
    min_short: 8,
    min_long: 8,
    limit_text: "1M",
};

fuzz_target!(|data: &[u8]| {
    for rules in [&SMALL, &IDENTITY_PHOTO] {
        if let Ok(ok) = check_jpeg(data, rules) {
            assert!(ok.stored.starts_with(&[0xFF, 0xD8]));
            assert!(ok.width.min(ok.height) >= rules.min_short);
            assert!(ok.thumbnail.starts_with(&[0xFF, 0xD8]));
            let again = check_jpeg(&ok.stored, rules).expect("a stored photo passes again");
            assert_eq!((again.width, again.height), (ok.width, ok.height));
            assert_eq!(again.stored, ok.stored, "stripping is idempotent");
        }
    }
});
