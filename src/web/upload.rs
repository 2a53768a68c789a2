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
