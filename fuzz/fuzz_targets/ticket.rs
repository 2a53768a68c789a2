//! 准考证号 and the other profile values: parsing never panics, what is
//! accepted is in shape and parses back to itself, and masking never shows the
//! hidden middle.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zikao_input::{Email, PersonName, Phone, Ticket, mask_email, mask_phone};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(t) = Ticket::parse(text) {
        assert_eq!(t.as_str().len(), 12);
        assert!(t.as_str().bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(Ticket::parse(t.as_str()).unwrap(), t);
        let m = t.masked();
        assert_eq!(m.len(), 12);
        assert_eq!(
            (&m[..4], &m[4..8], &m[8..]),
            (&t.as_str()[..4], "****", &t.as_str()[8..])
        );
    }
    if let Ok(p) = Phone::parse(text) {
        assert_eq!(p.as_str().len(), 11);
        assert_eq!(Phone::parse(p.as_str()).unwrap(), p);
    }
    if let Ok(e) = Email::parse(text) {
        assert_eq!(Email::parse(e.as_str()).unwrap(), e);
    }
    if let Ok(n) = PersonName::parse(text) {
        assert_eq!(PersonName::parse(n.as_str()).unwrap(), n);
    }
    let _ = (mask_phone(text), mask_email(text));
});
