//! 业务时间设置: the province admin sets the five quick entries' windows.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::render;
use crate::domain::BusinessKind;
use crate::service::{App, FieldErrors, ServiceError, WindowView};
use crate::web::auth::Staff;
use crate::web::context::{Chrome, ClientIp, CsrfForm};
use crate::web::error::WebError;

#[derive(askama::Template)]
#[template(path = "admin/windows.html")]
struct WindowsPage {
    chrome: Chrome,
    windows: Vec<WindowRow>,
    saved: String,
}

/// One window's card: its view, the form's values and their messages.
struct WindowRow {
    view: WindowView,
    start: String,
    end: String,
    errors: FieldErrors,
}

/// The cards, the failed form (if any) keeping what was typed.
fn rows(
    windows: Vec<WindowView>,
    failed: Option<(&str, &WindowForm, FieldErrors)>,
) -> Vec<WindowRow> {
    windows
        .into_iter()
        .map(|view| match &failed {
            Some((kind, form, errors)) if *kind == view.kind.as_str() => WindowRow {
                start: form.start.clone(),
                end: form.end.clone(),
                errors: errors.clone(),
                view,
            },
            _ => WindowRow {
                start: view.start_input.clone(),
                end: view.end_input.clone(),
                errors: FieldErrors::new(),
                view,
            },
        })
        .collect()
}

/// One window's form: start and end in China Standard Time.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct WindowForm {
    start: String,
    end: String,
}

/// Which window was just saved.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Saved {
    saved: String,
}

/// GET /admin/windows.
pub async fn show(
    State(app): State<App>,
    chrome: Chrome,
    Staff(s): Staff,
    Query(saved): Query<Saved>,
) -> Result<Response, WebError> {
    app.require_province_admin(&s)?;

    let windows = app.windows().await?;
    let saved = BusinessKind::from_word(&saved.saved)
        .map(|k| k.label().to_owned())
        .unwrap_or_default();
    let page = WindowsPage {
        chrome,
        windows: rows(windows, None),
        saved,
    };
    render(StatusCode::OK, &page)
}

/// POST /admin/windows/{kind}.
pub async fn save(
    State(app): State<App>,
    chrome: Chrome,
    ClientIp(ip): ClientIp,
    Staff(s): Staff,
    Path(kind): Path<String>,
    CsrfForm(form): CsrfForm<WindowForm>,
) -> Result<Response, WebError> {
    let business = BusinessKind::from_word(&kind).ok_or(ServiceError::NotFound)?;

    match app
        .set_window_by_admin(&s, ip, business, &form.start, &form.end)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/admin/windows?saved={kind}")).into_response()),
        Err(ServiceError::Invalid(errors)) => {
            let page = WindowsPage {
                chrome,
                windows: rows(app.windows().await?, Some((&kind, &form, errors))),
                saved: String::new(),
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}
