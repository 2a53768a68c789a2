//! 个人中心 and the pages around it: identity status, password, quick entries,
//! query center.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::render;
use crate::domain::{BusinessKind, WindowStatus};
use crate::service::{App, FieldErrors, Profile, ServiceError, WindowView};
use crate::web::auth::{AnyCandidate, Candidate};
use crate::web::context::{Chrome, CsrfForm};
use crate::web::error::WebError;

/// The query center's items: (path segment, name).
pub const QUERIES: &[(&str, &str)] = &[
    ("passed-results", "合格成绩查询"),
    ("latest-results", "当次成绩查询"),
    ("guide", "报考简章"),
    ("plans", "专业计划查询"),
    ("admission-ticket", "准考证打印"),
    ("exemption-results", "当次免考审核结果查询"),
    ("orders", "订单查询"),
    ("notices", "通知公告"),
];

#[derive(askama::Template)]
#[template(path = "center.html")]
struct CenterPage {
    chrome: Chrome,
    profile: Profile,
    windows: Vec<WindowView>,
    queries: &'static [(&'static str, &'static str)],
    /// 消息: (text, time), newest first.
    notices: Vec<(String, String)>,
}

/// GET /center.
pub async fn center(
    State(app): State<App>,
    chrome: Chrome,
    Candidate(session): Candidate,
) -> Result<Response, WebError> {
    let profile = app.profile(&session)?;
    let windows = app.windows().await?;
    let notices = app.notices(&session).await?;
    render(
        StatusCode::OK,
        &CenterPage {
            chrome,
            profile,
            windows,
            queries: QUERIES,
            notices,
        },
    )
}

#[derive(askama::Template)]
#[template(path = "password.html")]
struct PasswordPage {
    chrome: Chrome,
    errors: FieldErrors,
    done: bool,
}

/// GET /password.
pub async fn password_form(chrome: Chrome, _c: Candidate) -> Result<Response, WebError> {
    render(
        StatusCode::OK,
        &PasswordPage {
            chrome,
            errors: FieldErrors::new(),
            done: false,
        },
    )
}

/// The change-password form.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    new_password_confirm: String,
}

/// POST /password.
pub async fn password_submit(
    State(app): State<App>,
    chrome: Chrome,
    Candidate(session): Candidate,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, WebError> {
    let result = app
        .change_password(
            &session,
            &form.current_password,
            &form.new_password,
            Some(&form.new_password_confirm),
        )
        .await;
    match result {
        Ok(()) => render(
            StatusCode::OK,
            &PasswordPage {
                chrome,
                errors: FieldErrors::new(),
                done: true,
            },
        ),
        Err(ServiceError::Invalid(errors)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &PasswordPage {
                chrome,
                errors,
                done: false,
            },
        ),
        Err(e) => Err(e.into()),
    }
}

#[derive(askama::Template)]
#[template(path = "service.html")]
struct ServicePage {
    chrome: Chrome,
    title: String,
    window: Option<WindowView>,
}

/// GET /services/{kind}: a quick entry, with its window.
pub async fn service(
    State(app): State<App>,
    chrome: Chrome,
    _c: Candidate,
    Path(kind): Path<String>,
) -> Result<Response, WebError> {
    let kind = BusinessKind::from_word(&kind).ok_or(ServiceError::NotFound)?;
    let window = app.window(kind).await?;
    render(
        StatusCode::OK,
        &ServicePage {
            chrome,
            title: kind.label().into(),
            window: Some(window),
        },
    )
}

/// GET /query/{item}: a query center item.
pub async fn query(
    State(app): State<App>,
    chrome: Chrome,
    Candidate(session): Candidate,
    Path(item): Path<String>,
) -> Result<Response, WebError> {
    if let Some(page) = super::query::page(&app, chrome.clone(), &session, &item).await? {
        return Ok(page);
    }
    let (_, title) = QUERIES
        .iter()
        .find(|(slug, _)| *slug == item)
        .ok_or(ServiceError::NotFound)?;
    render(
        StatusCode::OK,
        &ServicePage {
            chrome,
            title: (*title).into(),
            window: None,
        },
    )
}

/// GET /me/data-export: the candidate's own copy of their data, zipped.
pub async fn data_export(
    State(app): State<App>,
    AnyCandidate(s): AnyCandidate,
) -> Result<Response, WebError> {
    Ok(crate::api::zip(app.personal_data_export(&s).await?))
}
