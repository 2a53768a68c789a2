//! The candidate's identity pages: consent, one form per photo (so one can be
//! replaced alone), the checks and their outcome; and the public list of
//! registration points.

use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Router, routing::get, routing::post};
use serde::Deserialize;

use super::render;
use crate::api::identity::jpeg;
use crate::crypto::same;
use crate::domain::{IdentityState, PhotoKind};
use crate::media::IDENTITY_PHOTO;
use crate::service::{App, CityPoints, IdentityStatus, ServiceError};
use crate::web::auth::AnyCandidate;
use crate::web::context::{Chrome, CsrfForm, CsrfToken};
use crate::web::error::WebError;
use crate::web::upload::read_field;

/// The identity routes (uploads get room for one photo and the form around it).
pub fn routes() -> Router<App> {
    Router::new()
        .route("/identity", get(show))
        .route("/identity/consent", post(consent))
        .route(
            "/identity/photos/{kind}",
            get(photo)
                .post(upload)
                .layer(DefaultBodyLimit::max(IDENTITY_PHOTO.max_bytes + 64 * 1024)),
        )
        .route("/identity/verify", post(verify))
        .route("/points", get(points))
}

#[derive(askama::Template)]
#[template(path = "identity.html")]
struct IdentityPage {
    chrome: Chrome,
    name: String,
    enrolled: bool,
    status: IdentityStatus,
    error: String,
}

async fn page(
    app: &App,
    chrome: Chrome,
    session: &crate::service::CandidateSession,
    error: String,
) -> Result<Response, WebError> {
    let status = app.identity_status(session).await?;
    let code = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = IdentityPage {
        chrome,
        name: session.candidate.name.clone(),
        enrolled: session.candidate.kind == "enrolled",
        status,
        error,
    };
    render(code, &page)
}

/// GET /identity.
pub async fn show(
    State(app): State<App>,
    chrome: Chrome,
    AnyCandidate(session): AnyCandidate,
) -> Result<Response, WebError> {
    if session.identity == IdentityState::Verified {
        return Ok(Redirect::to("/center").into_response());
    }
    page(&app, chrome, &session, String::new()).await
}

/// The consent form.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConsentForm {
    accepted: String,
}

/// POST /identity/consent.
pub async fn consent(
    State(app): State<App>,
    chrome: Chrome,
    AnyCandidate(session): AnyCandidate,
    CsrfForm(form): CsrfForm<ConsentForm>,
) -> Result<Response, WebError> {
    match app.give_consent(&session, form.accepted == "yes").await {
        Ok(()) => Ok(Redirect::to("/identity").into_response()),
        Err(e @ ServiceError::Invalid(_)) => page(&app, chrome, &session, message(&e)).await,
        Err(e) => Err(e.into()),
    }
}

fn message(e: &ServiceError) -> String {
    match e.fields().and_then(|f| f.iter().next()) {
        Some((_, m)) => m.clone(),
        None => e.to_string(),
    }
}

/// POST /identity/photos/{kind}: a multipart form with `csrf` and `photo`.
pub async fn upload(
    State(app): State<App>,
    chrome: Chrome,
    AnyCandidate(session): AnyCandidate,
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
    let result = match raw {
        Some(Ok(raw)) => app
            .upload_identity_photo(&session, kind, raw)
            .await
            .map(|_| ()),
        Some(Err(e)) => Err(e),
        None => Err(ServiceError::field(kind.as_str(), "请选择要上传的照片")),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/identity").into_response()),
        Err(e @ (ServiceError::Invalid(_) | ServiceError::Conflict { .. })) => {
            page(
                &app,
                chrome,
                &session,
                format!("{}：{}", kind.label(), message(&e)),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// GET /identity/photos/{kind}: the candidate's own photo.
pub async fn photo(
    State(app): State<App>,
    AnyCandidate(session): AnyCandidate,
    Path(kind): Path<String>,
) -> Result<Response, WebError> {
    let kind = PhotoKind::from_word(&kind).ok_or(ServiceError::NotFound)?;
    Ok(jpeg(app.own_identity_photo(&session, kind).await?))
}

/// An empty form (CSRF only).
#[derive(Deserialize, Default)]
pub struct Empty {}

/// POST /identity/verify.
pub async fn verify(
    State(app): State<App>,
    chrome: Chrome,
    AnyCandidate(session): AnyCandidate,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    match app.verify_identity(&session).await {
        Ok(result) if result.outcome == "passed" => Ok(Redirect::to("/center").into_response()),
        // The reasons are the last outcome, which the identity page shows.
        Ok(_) => Ok(Redirect::to("/identity").into_response()),
        Err(
            e @ (ServiceError::Invalid(_)
            | ServiceError::TooManyRequests { .. }
            | ServiceError::Conflict { .. }),
        ) => page(&app, chrome, &session, message(&e)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(askama::Template)]
#[template(path = "points.html")]
struct PointsPage {
    chrome: Chrome,
    cities: Vec<CityPoints>,
}

/// GET /points: 报名点联系方式查询 (public).
pub async fn points(State(app): State<App>, chrome: Chrome) -> Result<Response, WebError> {
    let cities = app.registration_points().await?;
    render(StatusCode::OK, &PointsPage { chrome, cities })
}
