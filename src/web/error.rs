//! Errors of the pages: a calm Chinese page with the request id; causes go to the log.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::context::{Chrome, request_id};
use crate::service::{App, ServiceError};

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

/// The error page without the platform's frame, for responses made outside the
/// pages' middleware.
#[derive(Template)]
#[template(path = "error_bare.html")]
struct BareErrorPage<'a> {
    title: &'a str,
    message: &'a str,
    request_id: &'a str,
}

/// The error page in the platform's frame (header with today's date, footer).
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    title: &'a str,
    message: &'a str,
    request_id: &'a str,
}

/// What an error response carries so the pages' middleware can frame it.
#[derive(Debug, Clone)]
struct ErrorContent {
    title: &'static str,
    message: String,
    request_id: String,
}

/// Renders the error page; [`frame_error_pages`] puts it in the page frame.
pub fn error_page(status: StatusCode, title: &'static str, message: String) -> Response {
    let content = ErrorContent {
        title,
        message,
        request_id: request_id(),
    };
    let page = BareErrorPage {
        title: content.title,
        message: &content.message,
        request_id: &content.request_id,
    };
    let mut res = match page.render() {
        Ok(html) => (status, axum::response::Html(html)).into_response(),
        Err(_) => status.into_response(),
    };
    res.extensions_mut().insert(content);
    res
}

/// Re-renders error pages of page requests inside the platform's frame.
pub async fn frame_error_pages(State(app): State<App>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let chrome = Chrome::of(&app, &parts);
    let mut res = next.run(Request::from_parts(parts, body)).await;
    let Some(content) = res.extensions_mut().remove::<ErrorContent>() else {
        return res;
    };
    let page = ErrorPage {
        chrome,
        title: content.title,
        message: &content.message,
        request_id: &content.request_id,
    };
    match page.render() {
        Ok(html) => {
            let (mut parts, _) = res.into_parts();
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, axum::body::Body::from(html))
        }
        Err(_) => res,
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
                let e = e.outage_aware();
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
