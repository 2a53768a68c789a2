//! Reading an uploaded photo: refused as soon as it passes the size limit, so a
//! request holds at most one photo's bytes however large the body claims to be.

use axum::body::Body;
use axum::extract::multipart::Field;
use bytes::{Bytes, BytesMut};
use futures::StreamExt;

use crate::media::ImageRules;
use crate::service::ServiceError;

fn too_large(field: &str, rules: &ImageRules) -> ServiceError {
    ServiceError::field(field, format!("图片大小不得大于{}", rules.limit_text))
}

/// The whole body of a request, at most `rules.max_bytes`.
pub async fn read_body(body: Body, rules: &ImageRules, field: &str) -> Result<Bytes, ServiceError> {
    let mut stream = body.into_data_stream();
    let mut buf = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ServiceError::field(field, "照片上传未完成，请重新上传"))?;
        if buf.len() + chunk.len() > rules.max_bytes {
            return Err(too_large(field, rules));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// One file field of a multipart form, at most `rules.max_bytes`.
pub async fn read_field(
    mut f: Field<'_>,
    rules: &ImageRules,
    field: &str,
) -> Result<Bytes, ServiceError> {
    let mut buf = BytesMut::new();
    while let Some(chunk) = f
        .chunk()
        .await
        .map_err(|_| ServiceError::field(field, "照片上传未完成，请重新上传"))?
    {
        if buf.len() + chunk.len() > rules.max_bytes {
            return Err(too_large(field, rules));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// A page's photo upload form (`csrf`, then `photo`) of a transfer-out image,
/// read by [`zikao_input::form::read_photo_form`]: the photo's bytes, or the
/// message to show beside the upload. A form without the session's CSRF token
/// is refused before its photo is read.
pub struct PhotoUpload(pub Result<Bytes, String>);

impl<S: Send + Sync> axum::extract::FromRequest<S> for PhotoUpload {
    type Rejection = crate::web::error::WebError;

    async fn from_request(req: axum::extract::Request, _: &S) -> Result<Self, Self::Rejection> {
        use crate::web::context::CsrfToken;
        use zikao_input::form::{self, PhotoForm};

        let rules = crate::media::MATERIAL;
        let expected = req
            .extensions()
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        let boundary = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(form::boundary);
        let Some(boundary) = boundary else {
            return Err(crate::web::error::WebError::Csrf);
        };
        let body = req.into_body().into_data_stream();
        let csrf_ok = |t: &str| !expected.is_empty() && crate::crypto::same(&expected, t);
        match form::read_photo_form(body, &boundary, csrf_ok, rules.max_bytes).await {
            PhotoForm::Forged => Err(crate::web::error::WebError::Csrf),
            PhotoForm::Photo(bytes) => Ok(Self(Ok(bytes))),
            PhotoForm::Problem(p) => Ok(Self(Err(p.message(rules.limit_text)))),
        }
    }
}
