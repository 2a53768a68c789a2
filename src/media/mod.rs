//! Uploaded photos: JPEG checked by content, decoded within limits, metadata
//! stripped (orientation kept), a sharpness score and a thumbnail (the checks
//! live in the `zikao-input` crate); faces found and compared.

pub mod faces;

pub use faces::{Face, FaceEngine, Signature};
pub use zikao_input::{
    CheckedImage, IDENTITY_PHOTO, ImageError, ImageRules, MATERIAL, check_jpeg, laplacian_variance,
};
