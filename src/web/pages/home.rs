//! The home page with the candidate login, and logout.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::{LoginRefusal, render};
use crate::domain::IdentityState;
use crate::service::{AnnouncementKind, AnnouncementView, App, FieldErrors};
use crate::web::context::{
    CANDIDATE_COOKIE, Chrome, ClientIp, CsrfForm, VISITOR_COOKIE, cookie, removal,
};
use crate::web::error::WebError;

#[derive(askama::Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    login: String,
    message: String,
    errors: FieldErrors,
    /// The latest 通知公告.
    notices: Vec<AnnouncementView>,
}

/// How many notices the home page lists.
const HOME_NOTICES: i64 = 5;

/// The login form's fields.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    login: String,
    password: String,
}

/// Where a candidate goes after signing in.
fn landing(state: &str) -> &'static str {
    if state == IdentityState::Verified.as_str() {
        "/center"
    } else {
        "/identity"
    }
}

/// GET /: the login, or straight on when already signed in.
pub async fn show(
    State(app): State<App>,
    chrome: Chrome,
    jar: CookieJar,
) -> Result<Response, WebError> {
    if let Some(c) = jar.get(CANDIDATE_COOKIE)
        && let Some(s) = app.candidate_session(c.value()).await?
    {
        return Ok(Redirect::to(landing(s.identity.as_str())).into_response());
    }
    let notices = app
        .published_announcements(AnnouncementKind::Notice, HOME_NOTICES)
        .await?;
    let page = HomePage {
        chrome,
        login: String::new(),
        message: String::new(),
        errors: FieldErrors::new(),
        notices,
    };
    render(StatusCode::OK, &page)
}

/// POST /login.
pub async fn login(
    State(app): State<App>,
    chrome: Chrome,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, WebError> {
    match app.login_candidate(&form.login, &form.password, ip).await {
        Ok((issued, account)) => {
            let jar = jar.add(cookie(&app, CANDIDATE_COOKIE, issued.token, "/"));
            Ok((jar, Redirect::to(landing(&account.identity_state))).into_response())
        }
        Err(e) => {
            let refusal = LoginRefusal::of(e)?;
            let page = HomePage {
                chrome,
                login: form.login.trim().to_owned(),
                message: refusal.message.clone(),
                errors: refusal.errors.clone(),
                notices: app
                    .published_announcements(AnnouncementKind::Notice, HOME_NOTICES)
                    .await?,
            };
            refusal.render(&page)
        }
    }
}

/// An empty form (only the CSRF token).
#[derive(Deserialize)]
pub struct Empty {}

/// POST /logout.
pub async fn logout(
    State(app): State<App>,
    jar: CookieJar,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<impl IntoResponse, WebError> {
    if let Some(c) = jar.get(CANDIDATE_COOKIE) {
        app.end_session(c.value()).await?;
    }
    // A fresh visitor cookie, so a form token from before sign-in dies too.
    let jar = jar.remove(removal(CANDIDATE_COOKIE, "/")).add(cookie(
        &app,
        VISITOR_COOKIE,
        crate::crypto::random_token(),
        "/",
    ));
    Ok((jar, Redirect::to("/")))
}
