//! JSON errors: `{"error": code, "message": 中文, "fields": {name: 中文}}`.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::service::{FieldErrors, ServiceError};

/// The body of every API error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiErrorBody {
    /// Machine-readable code, e.g. `invalid_fields`, `login_failed`.
    pub error: String,
    /// Chinese text to show.
    pub message: String,
    /// Chinese text per invalid field.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<std::collections::BTreeMap<String, String>>)]
    pub fields: Option<FieldErrors>,
}

/// An API failure.
#[derive(Debug)]
pub enum ApiError {
    Service(ServiceError),
    Unauthenticated,
    IdentityRequired,
    BadJson(String),
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        Self::Service(e)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let message = match r {
            JsonRejection::MissingJsonContentType(_) => "请求须为 application/json 格式",
            JsonRejection::JsonDataError(_) => "请求内容的字段类型不正确",
            JsonRejection::JsonSyntaxError(_) => "请求内容不是有效的 JSON",
            JsonRejection::BytesRejection(_) => "请求内容无法读取或过大",
            _ => "请求内容无法识别",
        };
        Self::BadJson(message.into())
    }
}

pub(super) fn body(
    status: StatusCode,
    error: &str,
    message: String,
    fields: Option<FieldErrors>,
) -> Response {
    (
        status,
        Json(ApiErrorBody {
            error: error.into(),
            message,
            fields,
        }),
    )
        .into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = match self {
            ApiError::Unauthenticated => {
                return body(
                    StatusCode::UNAUTHORIZED,
                    "unauthenticated",
                    "请先登录".into(),
                    None,
                );
            }
            ApiError::IdentityRequired => {
                return body(
                    StatusCode::FORBIDDEN,
                    "identity_required",
                    "请先完成身份认证".into(),
                    None,
                );
            }
            ApiError::BadJson(message) => {
                return body(StatusCode::BAD_REQUEST, "bad_request", message, None);
            }
            ApiError::Service(e) => e.outage_aware(),
        };
        let status = match &e {
            ServiceError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ServiceError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ServiceError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ServiceError::NotFound => StatusCode::NOT_FOUND,
            ServiceError::Conflict { .. } => StatusCode::CONFLICT,
            ServiceError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ServiceError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ServiceError::Internal(cause) => {
                tracing::error!(error = ?cause, "internal error");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let retry = match &e {
            ServiceError::TooManyRequests {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            ServiceError::Unavailable => Some(5),
            _ => None,
        };
        let fields = e.fields().filter(|f| !f.is_empty()).cloned();
        let mut res = body(status, e.code(), e.to_string(), fields);
        if let Some(secs) = retry {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

/// JSON 404 for unknown API paths.
pub async fn not_found() -> Response {
    body(
        StatusCode::NOT_FOUND,
        "not_found",
        "接口不存在".into(),
        None,
    )
}

/// Turns the framework's own plain-text refusals under /api (a query string,
/// path or body that cannot be read, a method the path does not have) into the
/// API's Chinese JSON error, so that every API response has one shape.
pub async fn json_rejections(res: Response) -> Response {
    let status = res.status();
    let plain = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
    if !status.is_client_error() || !plain {
        return res;
    }
    let (code, message) = match status {
        StatusCode::NOT_FOUND => ("not_found", "未找到相关内容"),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "不支持该请求方法"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "提交的内容过大"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", "请求的内容类型不正确"),
        StatusCode::UNPROCESSABLE_ENTITY => ("invalid_request", "请求内容不正确，请检查后重试"),
        StatusCode::TOO_MANY_REQUESTS => ("too_many_requests", "操作过于频繁，请稍后再试"),
        _ => ("bad_request", "请求格式不正确，请检查后重试"),
    };
    let mut out = body(status, code, message.into(), None);
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(v) = res.headers().get(&name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    out
}
