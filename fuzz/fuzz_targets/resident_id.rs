//! 身份证号: parsing never panics, and what it accepts is a well-formed number
//! that parses back to itself.
#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use zikao_input::{ResidentId, check_character, mask};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let today = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
    let masked = mask(text);
    assert_eq!(masked.chars().count(), text.chars().count());
    if let Ok(id) = ResidentId::parse(text, today) {
        let s = id.as_str();
        assert_eq!(s.len(), 18);
        assert!(s[..17].bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(s.as_bytes()[17], check_character(&s.as_bytes()[..17]));
        assert!(id.birth_date() <= today);
        assert_eq!(ResidentId::parse(s, today).unwrap(), id);
        let m = id.masked();
        assert_eq!(&m[..4], &s[..4]);
        assert_eq!(&m[14..], &s[14..]);
        assert!(!format!("{id:?}").contains(&s[4..14]));
    }
});
