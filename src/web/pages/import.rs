//! 成绩库导入 in the back office (province admins): upload a file and choose its
//! kind; the check shows every row error or the counts it would write; a
//! second step applies the checked file, kept on the server in between.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::Deserialize;

use super::{Opt, render};
use crate::crypto::same;
use crate::service::{App, FieldErrors, ImportKind, ImportReport, ServiceError, StaffSession};
use crate::web::auth::Staff;
use crate::web::context::{Chrome, ClientIp, CsrfForm, CsrfToken};
use crate::web::error::WebError;

/// Largest import file: 100,000 result lines as CSV are about 4 MB.
pub const IMPORT_LIMIT: usize = 32 * 1024 * 1024;

/// The import routes.
pub fn routes() -> Router<App> {
    Router::new()
        .route(
            "/admin/import",
            get(show)
                .post(check)
                .layer(DefaultBodyLimit::max(IMPORT_LIMIT)),
        )
        .route("/admin/import/apply", post(apply))
}

/// A kind with its columns, for the page's explanation.
pub struct KindHelp {
    pub word: &'static str,
    pub label: &'static str,
    pub headers: String,
}

#[derive(askama::Template)]
#[template(path = "admin/import.html")]
struct ImportPage {
    chrome: Chrome,
    kinds: Vec<Opt>,
    no_errors: FieldErrors,
    help: Vec<KindHelp>,
    message: String,
    report: Option<ImportReport>,
    /// The kept file of a clean check, awaiting confirmation.
    staged: Option<String>,
}

impl ImportPage {
    fn new(chrome: Chrome, selected: Option<ImportKind>) -> Self {
        Self {
            chrome,
            kinds: ImportKind::ALL
                .iter()
                .map(|k| Opt {
                    value: k.as_str().into(),
                    label: k.label().into(),
                    selected: Some(*k) == selected,
                })
                .collect(),
            no_errors: FieldErrors::new(),
            help: ImportKind::ALL
                .iter()
                .map(|k| KindHelp {
                    word: k.as_str(),
                    label: k.label(),
                    headers: k.header_names().join("，"),
                })
                .collect(),
            message: String::new(),
            report: None,
            staged: None,
        }
    }
}

fn admin_only(app: &App, s: &StaffSession) -> Result<(), WebError> {
    app.require_province_admin(s).map_err(Into::into)
}

/// GET /admin/import.
pub async fn show(
    State(app): State<App>,
    chrome: Chrome,
    Staff(s): Staff,
) -> Result<Response, WebError> {
    admin_only(&app, &s)?;

    render(StatusCode::OK, &ImportPage::new(chrome, None))
}

/// What the upload form carried.
struct Upload {
    kind: Option<ImportKind>,
    file: Option<Vec<u8>>,
}

async fn read_upload(expected: &CsrfToken, mut form: Multipart) -> Result<Upload, WebError> {
    let mut csrf_ok = false;
    let mut upload = Upload {
        kind: None,
        file: None,
    };
    while let Some(field) = form.next_field().await.map_err(|_| WebError::BadForm)? {
        match field.name() {
            Some("csrf") => {
                csrf_ok = same(&expected.0, &field.text().await.unwrap_or_default());
            }
            Some("kind") => {
                upload.kind = ImportKind::from_word(&field.text().await.unwrap_or_default());
            }
            Some("file") => {
                let bytes = field.bytes().await.map_err(|_| WebError::BadForm)?;
                upload.file = Some(bytes.to_vec()).filter(|b| !b.is_empty());
            }
            _ => {}
        }
    }
    if !csrf_ok {
        return Err(WebError::Csrf);
    }
    Ok(upload)
}

/// POST /admin/import: check a file (nothing is written yet).
pub async fn check(
    State(app): State<App>,
    chrome: Chrome,
    Staff(s): Staff,
    Extension(csrf): Extension<CsrfToken>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, WebError> {
    // The role first: a city office posting anything gets 403, not 400.
    admin_only(&app, &s)?;
    let upload = read_upload(&csrf, form.map_err(|_| WebError::BadForm)?).await?;

    let mut page = ImportPage::new(chrome, upload.kind);
    let (Some(kind), Some(file)) = (upload.kind, upload.file) else {
        page.message = "请选择数据类型和要导入的CSV或XLSX文件".into();
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let (report, staged) = app.stage_import(&s, kind, file).await?;
    let status = if report.has_errors() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page.report = Some(report);
    page.staged = staged;
    render(status, &page)
}

/// The confirmation form.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ApplyForm {
    kind: String,
    upload: String,
}

/// POST /admin/import/apply: write a checked file.
pub async fn apply(
    State(app): State<App>,
    chrome: Chrome,
    ClientIp(ip): ClientIp,
    Staff(s): Staff,
    CsrfForm(form): CsrfForm<ApplyForm>,
) -> Result<Response, WebError> {
    admin_only(&app, &s)?;
    let kind = ImportKind::from_word(&form.kind).ok_or(ServiceError::NotFound)?;

    let report = app
        .apply_staged_import(&s, Some(ip), kind, &form.upload)
        .await?;

    let status = if report.has_errors() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut page = ImportPage::new(chrome, Some(kind));
    page.report = Some(report);
    render(status, &page)
}
