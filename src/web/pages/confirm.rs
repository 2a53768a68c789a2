//! 转考（转出）确认: the 登记表 on screen, the target specialty, the two photos of
//! the signed form, and 确认并提交.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::home::Empty;
use super::materials::upload_message;
use super::transfer::form_failure;
use super::{Opt, options, render};
use crate::domain::{ConfirmationKind, TransferState, mask, mask_phone};
use crate::service::{
    App, FieldErrors, ImageView, RegistrationForm, ServiceError, TargetSpecialty, TransferView,
};
use crate::web::auth::Candidate;
use crate::web::context::{Chrome, CsrfForm};
use crate::web::error::WebError;
use crate::web::upload::PhotoUpload;

/// One confirmation photo kind with its current photo.
pub struct PhotoBox {
    pub kind: &'static str,
    pub upload_label: String,
    pub images: Vec<ImageView>,
    pub error: String,
}

#[derive(askama::Template)]
#[template(path = "transfer/confirm.html")]
struct ConfirmPage {
    chrome: Chrome,
    view: TransferView,
    form: RegistrationForm,
    specialty: TargetSpecialty,
    levels: Vec<Opt>,
    photos: Vec<PhotoBox>,
    /// Whether the photos and the specialty may still change.
    editable: bool,
    errors: FieldErrors,
    message: String,
}

async fn confirm_page(
    app: &App,
    chrome: Chrome,
    c: &Candidate,
    id: &str,
    typed: Option<TargetSpecialty>,
    errors: FieldErrors,
    message: String,
) -> Result<ConfirmPage, WebError> {
    let row = app.own_transfer(&c.0, id).await?;
    let view = app.transfer_view(&row).await?;
    let mut form = app.registration_form(&row).await?;
    form.id_number = mask(&form.id_number);
    form.phone = mask_phone(&form.phone);
    let specialty = typed
        .or_else(|| view.target_specialty.clone())
        .unwrap_or_default();
    let levels = options(&["专科".into(), "本科".into()], &specialty.level);
    let photos = ConfirmationKind::ALL
        .iter()
        .map(|k| PhotoBox {
            kind: k.as_str(),
            upload_label: format!("上传{}", k.label()),
            images: view
                .confirmation_photos
                .iter()
                .filter(|i| i.kind == k.as_str())
                .cloned()
                .collect(),
            error: errors.msg(k.as_str()).to_owned(),
        })
        .collect();
    let editable = view.state == TransferState::AwaitingConfirmation
        || (view.state == TransferState::ConfirmationRejected && view.tries_left);
    Ok(ConfirmPage {
        chrome,
        view,
        form,
        specialty,
        levels,
        photos,
        editable,
        errors,
        message,
    })
}

/// GET /transfer/{id}/confirm.
pub async fn show(
    State(app): State<App>,
    chrome: Chrome,
    c: Candidate,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let page = confirm_page(
        &app,
        chrome,
        &c,
        &id,
        None,
        FieldErrors::new(),
        String::new(),
    )
    .await?;

    render(StatusCode::OK, &page)
}

/// POST /transfer/{id}/target-specialty: 转入地专业名称 / 专业代码 / 专业层次.
pub async fn target_specialty(
    State(app): State<App>,
    chrome: Chrome,
    c: Candidate,
    Path(id): Path<String>,
    CsrfForm(typed): CsrfForm<TargetSpecialty>,
) -> Result<Response, WebError> {
    let saved = app.set_target_specialty(&c.0, &id, &typed).await;

    match saved {
        Ok(_) => Ok(Redirect::to(&format!("/transfer/{id}/confirm")).into_response()),
        Err(e) => {
            let (status, errors, message) = form_failure(e)?;
            let page = confirm_page(&app, chrome, &c, &id, Some(typed), errors, message).await?;
            render(status, &page)
        }
    }
}

/// POST /transfer/{id}/confirmation-photos/{kind}: 本人登记表照片上传.
pub async fn photo(
    State(app): State<App>,
    chrome: Chrome,
    c: Candidate,
    Path((id, kind)): Path<(String, String)>,
    PhotoUpload(upload): PhotoUpload,
) -> Result<Response, WebError> {
    let kind = ConfirmationKind::from_word(&kind).ok_or(ServiceError::NotFound)?;

    let added = match upload {
        Ok(raw) => app
            .add_confirmation_photo(&c.0, &id, kind, raw)
            .await
            .map(|_| ()),
        Err(message) => Err(ServiceError::field(kind.as_str(), message)),
    };

    match added {
        Ok(()) => Ok(Redirect::to(&format!("/transfer/{id}/confirm")).into_response()),
        Err(e) => {
            let (status, message) = upload_message(e)?;
            let mut errors = FieldErrors::new();
            errors.add(kind.as_str(), message);
            let page = confirm_page(&app, chrome, &c, &id, None, errors, String::new()).await?;
            render(status, &page)
        }
    }
}

/// POST /transfer/{id}/confirm: 确认并提交.
pub async fn confirm(
    State(app): State<App>,
    chrome: Chrome,
    c: Candidate,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let confirmed = app.confirm_transfer(&c.0, &id).await;

    match confirmed {
        Ok(_) => Ok(Redirect::to(&format!("/transfer/{id}")).into_response()),
        Err(e) => {
            let (status, errors, message) = form_failure(e)?;
            let page = confirm_page(&app, chrome, &c, &id, None, errors, message).await?;
            render(status, &page)
        }
    }
}
