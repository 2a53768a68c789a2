//! The photo upload form of the pages (`multipart/form-data` with `csrf` first,
//! then `photo`), read as it streams. The photo is buffered only once the CSRF
//! token has been seen and matched, and never beyond its size limit, so a
//! request holds at most one photo's bytes however large its body claims to be.

use std::error::Error as StdError;

use bytes::{Bytes, BytesMut};
use futures_util::Stream;
use multer::{Constraints, Multipart, SizeLimit};

/// The longest CSRF token field read.
const CSRF_LIMIT: u64 = 256;
/// Bytes of the form besides the photo (boundaries, headers, the token).
const FORM_OVERHEAD: u64 = 64 * 1024;

/// What an upload form held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotoForm {
    /// No CSRF token, or not the expected one: nothing else was read.
    Forged,
    /// The photo's bytes, at most the limit, not yet checked as an image.
    Photo(Bytes),
    /// A genuine form without a usable photo; the text is for the candidate.
    Problem(FormProblem),
}

/// Why a genuine form carried no usable photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormProblem {
    /// No photo field, or an empty one.
    Missing,
    /// The photo passed the size limit.
    TooLarge,
    /// The body broke off or is not a well-formed multipart form.
    Unreadable,
}

impl FormProblem {
    /// The message shown beside the upload; `limit_text` is e.g. `6M`.
    pub fn message(self, limit_text: &str) -> String {
        match self {
            FormProblem::Missing => "请先选择要上传的图片".into(),
            FormProblem::TooLarge => format!("图片大小不得大于{limit_text}"),
            FormProblem::Unreadable => "上传内容无法读取，请重新选择图片".into(),
        }
    }
}

/// The boundary of a `multipart/form-data` Content-Type, if it is one.
pub fn boundary(content_type: &str) -> Option<String> {
    multer::parse_boundary(content_type).ok()
}

/// Reads an upload form from `body`. `csrf_ok` compares the submitted token
/// with the session's (in constant time, by the caller); `max_photo` is the
/// largest photo accepted, in bytes.
pub async fn read_photo_form<S, O, E>(
    body: S,
    boundary: &str,
    csrf_ok: impl Fn(&str) -> bool,
    max_photo: usize,
) -> PhotoForm
where
    S: Stream<Item = Result<O, E>> + Send + 'static,
    O: Into<Bytes> + 'static,
    E: Into<Box<dyn StdError + Send + Sync>> + 'static,
{
    let limits = SizeLimit::new()
        .whole_stream(max_photo as u64 + FORM_OVERHEAD)
        .for_field("csrf", CSRF_LIMIT);
    let mut form =
        Multipart::with_constraints(body, boundary, Constraints::new().size_limit(limits));
    let mut genuine = false;
    let mut photo: Option<Bytes> = None;
    loop {
        let mut field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return ended(genuine, problem_of(&e)),
        };
        match field.name() {
            Some("csrf") => match field.text().await {
                Ok(text) => genuine = csrf_ok(&text),
                Err(_) => return PhotoForm::Forged,
            },
            Some("photo") => {
                if !genuine {
                    return PhotoForm::Forged;
                }
                let mut buf = BytesMut::new();
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => {
                            if buf.len() + chunk.len() > max_photo {
                                return PhotoForm::Problem(FormProblem::TooLarge);
                            }
                            buf.extend_from_slice(&chunk);
                        }
                        Ok(None) => break,
                        Err(e) => return ended(genuine, problem_of(&e)),
                    }
                }
                photo = Some(buf.freeze());
            }
            // Other fields are read past and ignored.
            _ => {}
        }
    }
    match (genuine, photo) {
        (false, _) => PhotoForm::Forged,
        (true, Some(bytes)) if !bytes.is_empty() => PhotoForm::Photo(bytes),
        (true, _) => PhotoForm::Problem(FormProblem::Missing),
    }
}

fn ended(genuine: bool, problem: FormProblem) -> PhotoForm {
    if genuine {
        PhotoForm::Problem(problem)
    } else {
        PhotoForm::Forged
    }
}

fn problem_of(e: &multer::Error) -> FormProblem {
    match e {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            FormProblem::TooLarge
        }
        _ => FormProblem::Unreadable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_executor::block_on;
    use futures_util::stream;

    const B: &str = "X-BOUNDARY";

    fn body(parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, value) in parts {
            out.extend_from_slice(format!("--{B}\r\n").as_bytes());
            let file = if *name == "photo" {
                "; filename=\"a.jpg\""
            } else {
                ""
            };
            out.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"{file}\r\n\r\n").as_bytes(),
            );
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("--{B}--\r\n").as_bytes());
        out
    }

    /// Feeds `raw` in chunks of `step` bytes.
    fn read(raw: Vec<u8>, step: usize, max: usize) -> PhotoForm {
        let chunks: Vec<Result<Bytes, std::io::Error>> = raw
            .chunks(step)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        block_on(read_photo_form(
            stream::iter(chunks),
            B,
            |t| t == "tok",
            max,
        ))
    }

    #[test]
    fn reads_the_photo_after_a_matching_token() {
        for step in [1, 7, 4096] {
            let raw = body(&[
                ("csrf", b"tok"),
                ("note", b"x"),
                ("photo", b"\xFF\xD8\xFFjpeg"),
            ]);
            assert_eq!(
                read(raw, step, 100),
                PhotoForm::Photo(Bytes::from_static(b"\xFF\xD8\xFFjpeg"))
            );
        }
    }

    #[test]
    fn refuses_forms_without_the_token_before_reading_the_photo() {
        assert_eq!(read(body(&[("photo", b"abc")]), 5, 100), PhotoForm::Forged);
        let wrong = body(&[("csrf", b"other"), ("photo", b"abc")]);
        assert_eq!(read(wrong, 5, 100), PhotoForm::Forged);
        assert_eq!(read(b"garbage".to_vec(), 5, 100), PhotoForm::Forged);
        // A token after the photo does not count: the photo was never buffered.
        let late = body(&[("photo", b"abc"), ("csrf", b"tok")]);
        assert_eq!(read(late, 5, 100), PhotoForm::Forged);
    }

    #[test]
    fn names_the_problem_of_a_genuine_form() {
        let big = vec![7u8; 101];
        let too_large = body(&[("csrf", b"tok"), ("photo", &big)]);
        assert_eq!(
            read(too_large, 13, 100),
            PhotoForm::Problem(FormProblem::TooLarge)
        );
        let exact = vec![7u8; 100];
        assert!(matches!(
            read(body(&[("csrf", b"tok"), ("photo", &exact)]), 13, 100),
            PhotoForm::Photo(b) if b.len() == 100
        ));
        let empty = body(&[("csrf", b"tok"), ("photo", b"")]);
        assert_eq!(
            read(empty, 3, 100),
            PhotoForm::Problem(FormProblem::Missing)
        );
        assert_eq!(
            read(body(&[("csrf", b"tok")]), 3, 100),
            PhotoForm::Problem(FormProblem::Missing)
        );
        let mut cut = body(&[("csrf", b"tok"), ("photo", b"abcdef")]);
        cut.truncate(cut.len() - 20);
        assert_eq!(
            read(cut, 3, 100),
            PhotoForm::Problem(FormProblem::Unreadable)
        );
        assert_eq!(FormProblem::TooLarge.message("6M"), "图片大小不得大于6M");
    }
}
