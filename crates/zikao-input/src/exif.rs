//! The one EXIF fact kept from a photo: its orientation.

use img_parts::ImageEXIF;
use img_parts::jpeg::Jpeg;

/// The EXIF Orientation (1‥8) of a JPEG, 1 when absent or unreadable.
pub fn orientation(jpeg: &Jpeg) -> u16 {
    let Some(raw) = jpeg.exif() else { return 1 };
    let Ok(parsed) = exif::Reader::new().read_raw(raw.to_vec()) else {
        return 1;
    };
    parsed
        .get_field(exif::Tag::Orientation, exif::In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .and_then(|v| u16::try_from(v).ok())
        .filter(|v| (1..=8).contains(v))
        .unwrap_or(1)
}

/// A minimal EXIF block (big-endian TIFF) holding only the orientation.
pub fn orientation_only(orientation: u16) -> Vec<u8> {
    let mut tiff = Vec::with_capacity(26);
    tiff.extend_from_slice(b"MM\0\x2a"); // byte order, TIFF magic
    tiff.extend_from_slice(&8u32.to_be_bytes()); // offset of IFD0
    tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_be_bytes()); // count
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]); // value padding
    tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    tiff
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_minimal_block_reads_back() {
        let parsed = exif::Reader::new().read_raw(orientation_only(6)).unwrap();
        let f = parsed
            .get_field(exif::Tag::Orientation, exif::In::PRIMARY)
            .unwrap();
        assert_eq!(f.value.get_uint(0), Some(6));
        assert_eq!(parsed.fields().count(), 1);
    }
}
