//! 忘记密码: 身份证号 + 姓名, the two photos through the identity checks, a new
//! password. The recovery token lives in an HttpOnly cookie limited to these
//! pages, never in an address.

use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::http::header::RETRY_AFTER;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Router, routing::get, routing::post};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::identity::Empty;
use super::render;
use crate::crypto::same;
use crate::domain::PhotoKind;
use crate::media::IDENTITY_PHOTO;
use crate::service::{App, FieldErrors, PhotoSlot, RecoverySession, RecoveryStart, ServiceError};
use crate::web::context::{Chrome, ClientIp, CsrfForm, CsrfToken, cookie, removal};
use crate::web::error::WebError;
use crate::web::upload::read_field;

/// Cookie of a password recovery in progress.
const RECOVERY_COOKIE: &str = "zk_recovery";
/// The pages the recovery cookie is sent to.
const RECOVERY_PATH: &str = "/recover";

/// The recovery routes (uploads get room for one photo and the form around it).
pub fn routes() -> Router<App> {
    Router::new()
        .route("/recover", get(start_form).post(start))
        .route("/recover/photos", get(photos))
        .route(
            "/recover/photos/{kind}",
            post(upload).layer(DefaultBodyLimit::max(IDENTITY_PHOTO.max_bytes + 64 * 1024)),
        )
        .route("/recover/verify", post(verify))
        .route("/recover/password", get(password_form).post(finish))
}

/// The recovery of the browser's cookie, if it is still live.
async fn recovery(app: &App, jar: &CookieJar) -> Result<Option<RecoverySession>, WebError> {
    match jar.get(RECOVERY_COOKIE) {
        Some(c) => Ok(app.recovery_session(c.value()).await?),
        None => Ok(None),
    }
}

fn back_to_start() -> Response {
    Redirect::to(RECOVERY_PATH).into_response()
}

#[derive(askama::Template)]
#[template(path = "recover_start.html")]
struct StartPage {
    chrome: Chrome,
    id_number: String,
    /// 姓名 as typed (`name` would clash with the field macro's own argument).
    typed_name: String,
    message: String,
    errors: FieldErrors,
}

/// GET /recover: 身份证号 + 姓名.
pub async fn start_form(chrome: Chrome) -> Result<Response, WebError> {
    let page = StartPage {
        chrome,
        id_number: String::new(),
        typed_name: String::new(),
        message: String::new(),
        errors: FieldErrors::new(),
    };
    render(StatusCode::OK, &page)
}

/// POST /recover.
pub async fn start(
    State(app): State<App>,
    chrome: Chrome,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    CsrfForm(form): CsrfForm<RecoveryStart>,
) -> Result<Response, WebError> {
    match app.start_recovery(&form, ip).await {
        Ok(issued) => {
            let jar = jar.add(cookie(&app, RECOVERY_COOKIE, issued.token, RECOVERY_PATH));
            Ok((jar, Redirect::to("/recover/photos")).into_response())
        }
        Err(
            e @ (ServiceError::Invalid(_)
            | ServiceError::Unauthorized { .. }
            | ServiceError::TooManyRequests { .. }),
        ) => {
            let mut errors = e.fields().cloned().unwrap_or_default();
            if matches!(e, ServiceError::Unauthorized { .. }) && errors.is_empty() {
                errors.add("name", e.to_string());
            }
            let message = match e {
                ServiceError::TooManyRequests { .. } => e.to_string(),
                _ => String::new(),
            };
            let page = StartPage {
                chrome,
                id_number: form.id_number.trim().to_owned(),
                typed_name: form.name.trim().to_owned(),
                message,
                errors,
            };
            let mut res = render(super::status_of(&e), &page)?;
            if let ServiceError::TooManyRequests {
                retry_after_secs, ..
            } = e
            {
                res.headers_mut()
                    .insert(RETRY_AFTER, retry_after_secs.into());
            }
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(askama::Template)]
#[template(path = "recover_photos.html")]
struct PhotosPage {
    chrome: Chrome,
    slots: Vec<PhotoSlot>,
    /// Why the checks did not pass.
    reasons: Vec<String>,
    message: String,
    errors: FieldErrors,
}

async fn photos_page(
    app: &App,
    chrome: Chrome,
    session: &RecoverySession,
    status: StatusCode,
    reasons: Vec<String>,
    e: Option<ServiceError>,
) -> Result<Response, WebError> {
    let slots = app.recovery_photos(session).await?;
    let (message, errors) = match e {
        Some(ServiceError::Invalid(errors)) => (String::new(), errors),
        Some(e) => (e.to_string(), FieldErrors::new()),
        None => (String::new(), FieldErrors::new()),
    };
    let page = PhotosPage {
        chrome,
        slots,
        reasons,
        message,
        errors,
    };
    render(status, &page)
}

/// GET /recover/photos: the two photos.
pub async fn photos(
    State(app): State<App>,
    chrome: Chrome,
    jar: CookieJar,
) -> Result<Response, WebError> {
    let Some(session) = recovery(&app, &jar).await? else {
        return Ok(back_to_start());
    };
    if session.verified {
        return Ok(Redirect::to("/recover/password").into_response());
    }

    photos_page(&app, chrome, &session, StatusCode::OK, vec![], None).await
}

/// POST /recover/photos/{kind}: a multipart form with `csrf` and `photo`.
pub async fn upload(
    State(app): State<App>,
    chrome: Chrome,
    jar: CookieJar,
    Extension(CsrfToken(expected)): Extension<CsrfToken>,
    Path(kind): Path<String>,
    mut form: Multipart,
) -> Result<Response, WebError> {
    let kind = PhotoKind::from_word(&kind).ok_or(ServiceError::NotFound)?;
    let (mut csrf, mut raw) = (String::new(), None);
    while let Some(field) = form.next_field().await.map_err(|_| WebError::BadForm)? {
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(|_| WebError::BadForm)?,
            Some("photo") if same(&expected, &csrf) => {
                raw = Some(read_field(field, &IDENTITY_PHOTO, kind.as_str()).await)
            }
            _ => {}
        }
    }
    if !same(&expected, &csrf) {
        return Err(WebError::Csrf);
    }
    let Some(session) = recovery(&app, &jar).await? else {
        return Ok(back_to_start());
    };

    let result = match raw {
        Some(Ok(raw)) => app
            .upload_recovery_photo(&session, kind, raw)
            .await
            .map(|_| ()),
        Some(Err(e)) => Err(e),
        None => Err(ServiceError::field(kind.as_str(), "请选择要上传的照片")),
    };

    match result {
        Ok(()) => Ok(Redirect::to("/recover/photos").into_response()),
        Err(ServiceError::Invalid(fields)) => {
            // Every message of this form belongs beside its photo.
            let mut errors = FieldErrors::new();
            for (_, m) in fields.iter() {
                errors.add(kind.as_str(), m.clone());
            }
            let e = Some(ServiceError::Invalid(errors));
            photos_page(
                &app,
                chrome,
                &session,
                StatusCode::UNPROCESSABLE_ENTITY,
                vec![],
                e,
            )
            .await
        }
        Err(e @ ServiceError::Conflict { .. }) => {
            photos_page(
                &app,
                chrome,
                &session,
                StatusCode::CONFLICT,
                vec![],
                Some(e),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /recover/verify: the checks on the two photos.
pub async fn verify(
    State(app): State<App>,
    chrome: Chrome,
    jar: CookieJar,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let Some(session) = recovery(&app, &jar).await? else {
        return Ok(back_to_start());
    };

    match app.verify_recovery(&session).await {
        Ok(result) if result.outcome == "passed" => {
            Ok(Redirect::to("/recover/password").into_response())
        }
        Ok(result) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            photos_page(&app, chrome, &session, status, result.reasons, None).await
        }
        Err(
            e @ (ServiceError::Invalid(_)
            | ServiceError::TooManyRequests { .. }
            | ServiceError::Conflict { .. }),
        ) => {
            let status = super::status_of(&e);
            photos_page(&app, chrome, &session, status, vec![], Some(e)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(askama::Template)]
#[template(path = "recover_password.html")]
struct PasswordPage {
    chrome: Chrome,
    errors: FieldErrors,
    done: bool,
}

/// GET /recover/password: the new password, once the photos passed.
pub async fn password_form(
    State(app): State<App>,
    chrome: Chrome,
    jar: CookieJar,
) -> Result<Response, WebError> {
    let Some(session) = recovery(&app, &jar).await? else {
        return Ok(back_to_start());
    };
    if !session.verified {
        return Ok(Redirect::to("/recover/photos").into_response());
    }

    let page = PasswordPage {
        chrome,
        errors: FieldErrors::new(),
        done: false,
    };
    render(StatusCode::OK, &page)
}

/// The new password form.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    new_password: String,
    new_password_confirm: String,
}

/// POST /recover/password: sets it; every session of the account ends.
pub async fn finish(
    State(app): State<App>,
    chrome: Chrome,
    jar: CookieJar,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, WebError> {
    let Some(session) = recovery(&app, &jar).await? else {
        return Ok(back_to_start());
    };
    if !session.verified {
        return Ok(Redirect::to("/recover/photos").into_response());
    }

    let result = if form.new_password != form.new_password_confirm {
        Err(ServiceError::field(
            "new_password_confirm",
            "两次输入的新密码不一致",
        ))
    } else {
        app.finish_recovery(&session, &form.new_password).await
    };

    match result {
        Ok(()) => {
            let jar = jar.remove(removal(RECOVERY_COOKIE, RECOVERY_PATH));
            let page = PasswordPage {
                chrome,
                errors: FieldErrors::new(),
                done: true,
            };
            Ok((jar, render(StatusCode::OK, &page)?).into_response())
        }
        Err(ServiceError::Invalid(errors)) => {
            let page = PasswordPage {
                chrome,
                errors,
                done: false,
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}
