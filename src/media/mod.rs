//! Uploaded photos: JPEG checked by content, decoded within limits, metadata
//! stripped (orientation kept), a sharpness score and a thumbnail.

mod exif;
pub mod faces;
mod jpeg;

pub use faces::{Face, FaceEngine, Signature};
pub use jpeg::{CheckedImage, ImageError, ImageRules, check_jpeg};

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
