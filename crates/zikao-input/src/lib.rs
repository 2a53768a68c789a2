//! Checks of what candidates send before anything is stored: the 身份证号 and
//! the other values of a profile, uploaded photos, and the photo upload form of
//! the pages. No I/O and no framework: each check takes bytes or text and says
//! yes, with a clean value, or no, with the reason shown to the candidate.

mod exif;
pub mod form;
mod jpeg;
mod resident_id;
mod values;

pub use jpeg::{CheckedImage, ImageError, ImageRules, check_jpeg, laplacian_variance};
pub use resident_id::{ResidentId, ResidentIdError, check_character, mask};
pub use values::{Email, PersonName, Phone, Ticket, ValueError, mask_email, mask_phone};

/// Rules of the identity photos (三照/两照): under 2 MB.
pub const IDENTITY_PHOTO: ImageRules = ImageRules {
    max_bytes: 2 * 1024 * 1024 - 1,
    min_short: 300,
    min_long: 400,
    limit_text: "2M",
};

/// Rules of transfer-out materials and confirmation photos: at most 6 MB,
/// short side ≥ 500, long side ≥ 600.
pub const MATERIAL: ImageRules = ImageRules {
    max_bytes: 6 * 1024 * 1024,
    min_short: 500,
    min_long: 600,
    limit_text: "6M",
};
