//! 材料管理（点击图片放大查看）: the four kinds of 审核材料 of a draft, their uploads
//! by plain multipart forms, and 提交申请.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::home::Empty;
use super::render;
use super::transfer::form_failure;
use crate::domain::{MaterialKind, TransferState};
use crate::service::{App, FieldErrors, ImageView, ServiceError, TransferView};
use crate::web::auth::Candidate;
use crate::web::context::{Chrome, CsrfForm};
use crate::web::error::WebError;
use crate::web::upload::PhotoUpload;

/// The body limit of an upload form: a 6 MB photo plus the form's own bytes.
pub const UPLOAD_LIMIT: usize = 6 * 1024 * 1024 + 64 * 1024;

/// The first message of a failed upload, whatever field the service named.
pub(super) fn upload_message(e: ServiceError) -> Result<(StatusCode, String), WebError> {
    match e {
        ServiceError::Invalid(errors) => {
            let message = errors
                .iter()
                .next()
                .map(|(_, m)| m.clone())
                .unwrap_or_default();
            Ok((StatusCode::UNPROCESSABLE_ENTITY, message))
        }
        e @ ServiceError::Conflict { .. } => Ok((StatusCode::CONFLICT, e.to_string())),
        e => Err(e.into()),
    }
}

/// One kind of material with its images.
pub struct KindBox {
    pub kind: &'static str,
    pub label: &'static str,
    /// The button words of the reference, e.g. 上传本人身份证照片.
    pub upload_label: String,
    pub images: Vec<ImageView>,
    pub error: String,
}

#[derive(askama::Template)]
#[template(path = "transfer/materials.html")]
struct MaterialsPage {
    chrome: Chrome,
    view: TransferView,
    kinds: Vec<KindBox>,
    editable: bool,
    message: String,
}

fn materials_page(
    chrome: Chrome,
    view: TransferView,
    errors: &FieldErrors,
    message: String,
) -> MaterialsPage {
    let kinds = MaterialKind::ALL
        .iter()
        .map(|k| KindBox {
            kind: k.as_str(),
            label: k.label(),
            upload_label: if k.label().ends_with("照片") {
                format!("上传{}", k.label())
            } else {
                format!("上传（{}）", k.label())
            },
            images: view
                .materials
                .iter()
                .filter(|i| i.kind == k.as_str())
                .cloned()
                .collect(),
            error: errors.msg(k.as_str()).to_owned(),
        })
        .collect();
    // Problems of the form itself (found again on 提交申请) go to the top.
    let form_problems: Vec<&str> = errors
        .iter()
        .filter(|(field, _)| MaterialKind::from_word(field).is_none())
        .map(|(_, m)| m.as_str())
        .collect();
    let message = if form_problems.is_empty() {
        message
    } else {
        format!(
            "申请信息有误：{}。请点击“修改申请信息”更正。",
            form_problems.join("；")
        )
    };
    MaterialsPage {
        chrome,
        editable: view.state == TransferState::Draft,
        view,
        kinds,
        message,
    }
}

async fn own_view(app: &App, c: &Candidate, id: &str) -> Result<TransferView, WebError> {
    Ok(app
        .transfer_view(&app.own_transfer(&c.0, id).await?)
        .await?)
}

/// GET /transfer/{id}/materials.
pub async fn show(
    State(app): State<App>,
    chrome: Chrome,
    c: Candidate,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let view = own_view(&app, &c, &id).await?;

    let page = materials_page(chrome, view, &FieldErrors::new(), String::new());
    render(StatusCode::OK, &page)
}

/// POST /transfer/{id}/materials/{kind}: one image of a kind.
pub async fn upload(
    State(app): State<App>,
    chrome: Chrome,
    c: Candidate,
    Path((id, kind)): Path<(String, String)>,
    PhotoUpload(upload): PhotoUpload,
) -> Result<Response, WebError> {
    let kind = MaterialKind::from_word(&kind).ok_or(ServiceError::NotFound)?;

    let added = match upload {
        Ok(raw) => app.add_material(&c.0, &id, kind, raw).await.map(|_| ()),
        Err(message) => Err(ServiceError::field(kind.as_str(), message)),
    };

    match added {
        Ok(()) => Ok(Redirect::to(&format!("/transfer/{id}/materials")).into_response()),
        Err(e) => {
            let (status, message) = upload_message(e)?;
            let mut errors = FieldErrors::new();
            errors.add(kind.as_str(), message);
            let view = own_view(&app, &c, &id).await?;
            render(
                status,
                &materials_page(chrome, view, &errors, String::new()),
            )
        }
    }
}

/// POST /transfer/{id}/materials/{image_id}/delete.
pub async fn delete(
    State(app): State<App>,
    c: Candidate,
    Path((id, image_id)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    app.delete_material(&c.0, &id, &image_id).await?;

    Ok(Redirect::to(&format!("/transfer/{id}/materials")).into_response())
}

/// POST /transfer/{id}/submit: 提交申请.
pub async fn submit(
    State(app): State<App>,
    chrome: Chrome,
    c: Candidate,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let submitted = app.submit_transfer(&c.0, &id).await;

    match submitted {
        Ok(_) => Ok(Redirect::to(&format!("/transfer/{id}")).into_response()),
        Err(e) => {
            let (status, errors, message) = form_failure(e)?;
            let view = own_view(&app, &c, &id).await?;
            render(status, &materials_page(chrome, view, &errors, message))
        }
    }
}
