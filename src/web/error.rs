//! Errors of the pages: a calm Chinese page with the request id; causes go to the log.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::context::request_id;
use crate::service::ServiceError;

/// Why a page could not be served.
#[derive(Debug)]
pub enum WebError {
    /// Not signed in: back to the login.
    LoginRequired,
    /// Signed in but identity not verified: to the identity pages.
    IdentityRequired,
    /// A staff page without a staff session.
    StaffLoginRequired,
    /// The form's CSRF token is missing or stale.
    Csrf,
    /// The form body could not be read.
    BadForm,
    /// A service error.
    Service(ServiceError),
}

impl From<ServiceError> for WebError {
    fn from(e: ServiceError) -> Self {
        Self::Service(e)
    }
}

impl From<sqlx::Error> for WebError {
    fn from(e: sqlx::Error) -> Self {
        Self::Service(e.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    title: &'static str,
    message: String,
    request_id: String,
}

/// Renders the error page.
pub fn error_page(status: StatusCode, title: &'static str, message: String) -> Response {
    let page = ErrorPage {
        title,
        message,
        request_id: request_id(),
    };
    match page.render() {
        Ok(html) => (status, axum::response::Html(html)).into_response(),
        Err(_) => status.into_response(),
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::LoginRequired => Redirect::to("/").into_response(),
            WebError::IdentityRequired => Redirect::to("/identity").into_response(),
            WebError::StaffLoginRequired => Redirect::to("/admin").into_response(),
            WebError::Csrf => error_page(
                StatusCode::FORBIDDEN,
                "页面已过期",
                "页面已过期或来源不明，请返回上一页刷新后重新提交。".into(),
            ),
            WebError::BadForm => error_page(
                StatusCode::BAD_REQUEST,
                "提交内容无法识别",
                "提交的内容格式不正确，请返回上一页重新填写。".into(),
            ),
            WebError::Service(e) => {
                let (status, title) = match &e {
                    ServiceError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "信息有误"),
                    ServiceError::Unauthorized { .. } => (StatusCode::UNAUTHORIZED, "请先登录"),
                    ServiceError::Forbidden { .. } => (StatusCode::FORBIDDEN, "无权访问"),
                    ServiceError::NotFound => (StatusCode::NOT_FOUND, "页面不存在"),
                    ServiceError::Conflict { .. } => (StatusCode::CONFLICT, "无法办理"),
                    ServiceError::TooManyRequests { .. } => {
                        (StatusCode::TOO_MANY_REQUESTS, "请稍后再试")
                    }
                    ServiceError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "系统繁忙"),
                    ServiceError::Internal(cause) => {
                        tracing::error!(error = ?cause, "internal error");
                        (StatusCode::INTERNAL_SERVER_ERROR, "系统错误")
                    }
                };
                let retry = match &e {
                    ServiceError::TooManyRequests {
                        retry_after_secs, ..
                    } => Some(*retry_after_secs),
                    ServiceError::Unavailable => Some(5),
                    _ => None,
                };
                let mut res = error_page(status, title, e.to_string());
                if let Some(secs) = retry {
                    res.headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
                }
                res
            }
        }
    }
}

/// The page for paths that do not exist.
pub async fn not_found() -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        "页面不存在",
        "您访问的页面不存在，请返回首页。".into(),
    )
}
