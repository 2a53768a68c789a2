//! A province admin's actions on one staff account: scope, disable, enable,
//! reset the second factor.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::admin::{ScopeOptions, scope_options};
use super::home::Empty;
use super::render;
use crate::service::{App, FieldErrors, ScopeChange, ServiceError, StaffView};
use crate::web::auth::Staff;
use crate::web::context::{Chrome, ClientIp, CsrfForm};
use crate::web::error::WebError;

#[derive(askama::Template)]
#[template(path = "admin/staff_member.html")]
struct MemberPage {
    chrome: Chrome,
    member: StaffView,
    options: ScopeOptions,
    errors: FieldErrors,
    done: String,
    /// The signed-in admin's own account: no actions are offered.
    own: bool,
}

/// What the page says after an action.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Done {
    done: String,
}

fn done_message(word: &str) -> String {
    match word {
        "scope" => "角色和范围已修改，该账号需重新登录。",
        "disabled" => "账号已停用，其登录已全部退出。",
        "enabled" => "账号已启用。",
        "totp" => "动态验证码已重置，该账号下次登录时需重新绑定身份验证器。",
        _ => "",
    }
    .into()
}

/// GET /admin/staff/{id}.
pub async fn show(
    State(app): State<App>,
    chrome: Chrome,
    Staff(s): Staff,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    let member = app.staff_member(&s, &id).await?;

    let options = scope_options(&app, &member.role, &member.city, &member.point).await?;
    let page = MemberPage {
        chrome,
        own: member.id == s.staff.id,
        member,
        options,
        errors: FieldErrors::new(),
        done: done_message(&done.done),
    };
    render(StatusCode::OK, &page)
}

/// POST /admin/staff/{id}/scope.
pub async fn scope(
    State(app): State<App>,
    chrome: Chrome,
    ClientIp(ip): ClientIp,
    Staff(s): Staff,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ScopeChange>,
) -> Result<Response, WebError> {
    match app.change_staff_scope(&s, ip, &id, &form).await {
        Ok(()) => Ok(Redirect::to(&format!("/admin/staff/{id}?done=scope")).into_response()),
        Err(ServiceError::Invalid(errors)) => {
            let member = app.staff_member(&s, &id).await?;
            let options = scope_options(
                &app,
                &form.role,
                form.city.as_deref().unwrap_or(""),
                form.point.as_deref().unwrap_or(""),
            )
            .await?;
            let page = MemberPage {
                chrome,
                own: false,
                member,
                options,
                errors,
                done: String::new(),
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /admin/staff/{id}/disable.
pub async fn disable(
    State(app): State<App>,
    ClientIp(ip): ClientIp,
    Staff(s): Staff,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    app.set_staff_disabled(&s, ip, &id, true).await?;

    Ok(Redirect::to(&format!("/admin/staff/{id}?done=disabled")).into_response())
}

/// POST /admin/staff/{id}/enable.
pub async fn enable(
    State(app): State<App>,
    ClientIp(ip): ClientIp,
    Staff(s): Staff,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    app.set_staff_disabled(&s, ip, &id, false).await?;

    Ok(Redirect::to(&format!("/admin/staff/{id}?done=enabled")).into_response())
}

/// POST /admin/staff/{id}/reset-totp.
pub async fn reset_totp(
    State(app): State<App>,
    ClientIp(ip): ClientIp,
    Staff(s): Staff,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    app.reset_staff_totp(&s, ip, &id).await?;

    Ok(Redirect::to(&format!("/admin/staff/{id}?done=totp")).into_response())
}
