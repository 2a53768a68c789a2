//! 手机上传: the confirmation photos sent from the candidate's phone. The
//! computer's confirmation page makes a single-use link shown as a QR code; the
//! phone that opens it gets a cookie limited to these pages and to that one
//! application's two confirmation photos.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;

use super::home::Empty;
use super::materials::{UPLOAD_LIMIT, upload_message};
use super::render;
use crate::api::{ImageQuery, jpeg};
use crate::clock::china_minute;
use crate::domain::{ConfirmationKind, TransferState};
use crate::service::{App, FieldErrors, ImageView, PhoneSession, ServiceError};
use crate::web::auth::Candidate;
use crate::web::context::{Chrome, CsrfForm, cookie};
use crate::web::error::WebError;
use crate::web::upload::PhotoUpload;

/// Cookie of a phone that opened a hand-off link.
pub const PHONE_COOKIE: &str = "zk_phone";
/// The pages the phone cookie is sent to.
pub const PHONE_PATH: &str = "/m";

/// The candidate's link page and the phone's pages.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/transfer/{id}/handoff", post(start))
        .route("/m/upload", get(upload_page))
        .route(
            "/m/upload/{kind}",
            post(upload).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/m/files/{file_id}", get(image))
        .route("/m/{token}", get(open))
}

#[derive(askama::Template)]
#[template(path = "transfer/handoff.html")]
struct HandoffPage {
    chrome: Chrome,
    id: String,
    url: String,
    qr_svg: String,
    expires_at: String,
}

/// POST /transfer/{id}/handoff: 用手机拍照上传 — a fresh QR code.
pub async fn start(
    State(app): State<App>,
    chrome: Chrome,
    c: Candidate,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let link = app.start_handoff(&c.0, &id).await?;

    let page = HandoffPage {
        chrome,
        id,
        url: link.url,
        qr_svg: link.qr_svg,
        expires_at: china_minute(link.expires_at),
    };
    render(StatusCode::OK, &page)
}

#[derive(askama::Template)]
#[template(path = "transfer/phone_closed.html")]
struct ClosedPage {
    chrome: Chrome,
}

fn closed(chrome: Chrome, status: StatusCode) -> Result<Response, WebError> {
    render(status, &ClosedPage { chrome })
}

/// GET /m/{token}: opens a link once, then leaves the token out of the address.
pub async fn open(
    State(app): State<App>,
    chrome: Chrome,
    jar: CookieJar,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let Some(issued) = app.redeem_handoff(&token).await? else {
        return closed(chrome, StatusCode::GONE);
    };

    let jar = jar.add(cookie(&app, PHONE_COOKIE, issued.token, PHONE_PATH));
    Ok((jar, Redirect::to("/m/upload")).into_response())
}

async fn phone(app: &App, jar: &CookieJar) -> Result<Option<PhoneSession>, WebError> {
    match jar.get(PHONE_COOKIE) {
        Some(c) => Ok(app.phone_session(c.value()).await?),
        None => Ok(None),
    }
}

/// One confirmation photo kind with its current photo.
struct PhoneBox {
    kind: &'static str,
    label: &'static str,
    images: Vec<ImageView>,
    error: String,
}

#[derive(askama::Template)]
#[template(path = "transfer/phone_upload.html")]
struct UploadPage {
    chrome: Chrome,
    /// 姓名 of the candidate, so they see whose application this is.
    holder: String,
    state_label: String,
    editable: bool,
    boxes: Vec<PhoneBox>,
    done: bool,
}

async fn upload_view(
    app: &App,
    chrome: Chrome,
    p: &PhoneSession,
    errors: FieldErrors,
) -> Result<UploadPage, WebError> {
    let row = app.own_transfer(&p.session, &p.transfer_id).await?;
    let view = app.transfer_view(&row).await?;
    let editable = view.state == TransferState::AwaitingConfirmation
        || (view.state == TransferState::ConfirmationRejected && view.tries_left);
    let boxes: Vec<PhoneBox> = ConfirmationKind::ALL
        .iter()
        .map(|k| PhoneBox {
            kind: k.as_str(),
            label: k.label(),
            images: view
                .confirmation_photos
                .iter()
                .filter(|i| i.kind == k.as_str())
                .cloned()
                .collect(),
            error: errors.msg(k.as_str()).to_owned(),
        })
        .collect();
    let done = boxes.iter().all(|b| !b.images.is_empty());
    Ok(UploadPage {
        chrome,
        holder: p.session.candidate.name.clone(),
        state_label: view.state_label,
        editable,
        boxes,
        done,
    })
}

/// GET /m/upload: the two photos, taken with the phone's camera.
pub async fn upload_page(
    State(app): State<App>,
    chrome: Chrome,
    jar: CookieJar,
) -> Result<Response, WebError> {
    let Some(p) = phone(&app, &jar).await? else {
        return closed(chrome, StatusCode::UNAUTHORIZED);
    };

    let page = upload_view(&app, chrome, &p, FieldErrors::new()).await?;
    render(StatusCode::OK, &page)
}

/// POST /m/upload/{kind}: one confirmation photo from the phone.
pub async fn upload(
    State(app): State<App>,
    chrome: Chrome,
    jar: CookieJar,
    Path(kind): Path<String>,
    PhotoUpload(upload): PhotoUpload,
) -> Result<Response, WebError> {
    let Some(p) = phone(&app, &jar).await? else {
        return closed(chrome, StatusCode::UNAUTHORIZED);
    };
    let kind = ConfirmationKind::from_word(&kind).ok_or(ServiceError::NotFound)?;

    let added = match upload {
        Ok(raw) => app
            .add_confirmation_photo(&p.session, &p.transfer_id, kind, raw)
            .await
            .map(|_| ()),
        Err(message) => Err(ServiceError::field(kind.as_str(), message)),
    };

    match added {
        Ok(()) => Ok(Redirect::to("/m/upload").into_response()),
        Err(e) => {
            let (status, message) = upload_message(e)?;
            let mut errors = FieldErrors::new();
            errors.add(kind.as_str(), message);
            let page = upload_view(&app, chrome, &p, errors).await?;
            render(status, &page)
        }
    }
}

/// GET /m/files/{file_id}: a confirmation photo of the phone's application
/// (nothing else of the application is reachable from the phone).
pub async fn image(
    State(app): State<App>,
    jar: CookieJar,
    Path(file_id): Path<String>,
    Query(q): Query<ImageQuery>,
) -> Result<Response, WebError> {
    let Some(p) = phone(&app, &jar).await? else {
        return Err(ServiceError::NotFound.into());
    };
    let row = app.own_transfer(&p.session, &p.transfer_id).await?;
    let view = app.transfer_view(&row).await?;
    if !view
        .confirmation_photos
        .iter()
        .any(|i| i.file_id == file_id)
    {
        return Err(ServiceError::NotFound.into());
    }

    let thumb = q.size.as_deref() == Some("thumb");
    Ok(jpeg(app.transfer_image_bytes(&row, &file_id, thumb).await?))
}
