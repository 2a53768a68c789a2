//! 材料管理（点击图片放大查看）: the four kinds of 审核材料 of a draft, their uploads
//! by plain multipart forms, and 提交申请.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::home::Empty;
use super::render;
use super::transfer::form_failure;
use crate::crypto::same;
use crate::domain::{MaterialKind, TransferState};
use crate::service::{App, FieldErrors, ImageView, ServiceError, TransferView};
use crate::web::auth::Candidate;
use crate::web::context::{Chrome, CsrfForm, CsrfToken};
use crate::web::error::WebError;

/// The body limit of an upload form: a 6 MB photo plus the form's own bytes.
pub const UPLOAD_LIMIT: usize = 6 * 1024 * 1024 + 64 * 1024;

/// Reads an upload form (`csrf` first, then `photo`): the photo's bytes, or the
/// message to show beside the upload when there is no usable file.
pub(super) async fn read_upload(
    expected: &CsrfToken,
    mut form: Multipart,
) -> Result<Result<Bytes, String>, WebError> {
    let mut csrf_ok = false;
    let mut photo = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return unreadable(csrf_ok, e.status()),
        };
        match field.name() {
            Some("csrf") => {
                let text = field.text().await.unwrap_or_default();
                csrf_ok = same(&expected.0, &text);
            }
            Some("photo") => match field.bytes().await {
                Ok(bytes) => photo = Some(bytes),
                Err(e) => return unreadable(csrf_ok, e.status()),
            },
            _ => {}
        }
    }
    if !csrf_ok {
        return Err(WebError::Csrf);
    }
    Ok(match photo {
        Some(bytes) if !bytes.is_empty() => Ok(bytes),
        _ => Err("请先选择要上传的图片".into()),
    })
}

fn unreadable(csrf_ok: bool, status: StatusCode) -> Result<Result<Bytes, String>, WebError> {
    if !csrf_ok {
        return Err(WebError::Csrf);
    }
    Ok(Err(if status == StatusCode::PAYLOAD_TOO_LARGE {
        "图片大小不得大于6M".into()
    } else {
        "上传内容无法读取，请重新选择图片".into()
    }))
}

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
    Extension(csrf): Extension<CsrfToken>,
    form: Multipart,
) -> Result<Response, WebError> {
    let kind = MaterialKind::from_word(&kind).ok_or(ServiceError::NotFound)?;
    let upload = read_upload(&csrf, form).await?;

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
