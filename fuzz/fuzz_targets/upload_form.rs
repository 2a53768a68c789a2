//! The pages' upload form: any body, cut into chunks of any size, gives a
//! forged form, a photo within the limit, or a named problem, never a panic;
//! a photo is only read after the right token. The photo then goes through
//! the image check, as the pages do.
#![no_main]

use bytes::Bytes;
use futures_executor::block_on;
use futures_util::stream;
use libfuzzer_sys::fuzz_target;
use zikao_input::form::{PhotoForm, read_photo_form};
use zikao_input::{ImageRules, check_jpeg};

const BOUNDARY: &str = "zikaoFuzzBoundary";
const LIMIT: usize = 64 * 1024;
const RULES: ImageRules = ImageRules {
    max_bytes: LIMIT,
    min_short: 8,
    min_long: 8,
    limit_text: "64K",
};

fuzz_target!(|data: &[u8]| {
    let Some((&step, body)) = data.split_first() else {
        return;
    };
    let step = usize::from(step).max(1);
    let chunks: Vec<Result<Bytes, std::io::Error>> = body
        .chunks(step)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let token_seen = body
        .windows(b"fuzz-token".len())
        .any(|w| w == b"fuzz-token");
    let form = block_on(read_photo_form(
        stream::iter(chunks),
        BOUNDARY,
        |t| t == "fuzz-token",
        LIMIT,
    ));
    match form {
        PhotoForm::Photo(photo) => {
            assert!(token_seen);
            assert!(!photo.is_empty() && photo.len() <= LIMIT);
            let _ = check_jpeg(&photo, &RULES);
        }
        PhotoForm::Problem(p) => {
            assert!(token_seen);
            assert!(!p.message(RULES.limit_text).is_empty());
        }
        PhotoForm::Forged => {}
    }
});
