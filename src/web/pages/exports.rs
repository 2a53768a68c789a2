//! Exports (CSV and XLSX, streamed) and the statistics page of the back office.

use std::io;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Router, routing::get};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use serde::Deserialize;

use super::render;
use crate::service::{App, ExportFilter, ExportKind, ExportRows, ServiceError, TransferStats};
use crate::web::auth::Staff;
use crate::web::context::Chrome;
use crate::web::error::WebError;

/// The export and statistics routes.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/admin/exports", get(menu))
        .route("/admin/exports/{file}", get(export))
        .route("/admin/stats", get(stats))
}

/// `?state=&city=` of an export, as the queues filter.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct ExportQuery {
    state: String,
    city: String,
}

/// GET /admin/exports/{transfers|identity-reviews}.{csv|xlsx}.
pub async fn export(
    State(app): State<App>,
    Staff(staff): Staff,
    Path(file): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, WebError> {
    let (stem, extension) = file
        .rsplit_once('.')
        .ok_or(WebError::Service(ServiceError::NotFound))?;
    let kind = match stem {
        "transfers" => ExportKind::Transfers,
        "identity-reviews" => ExportKind::IdentityReviews,
        _ => return Err(WebError::Service(ServiceError::NotFound)),
    };
    let filter = ExportFilter {
        state: Some(q.state).filter(|s| !s.is_empty()),
        city: Some(q.city).filter(|s| !s.is_empty()),
    };

    let rows = app.export(&staff, kind, &filter)?;

    match extension {
        "csv" => Ok(csv(kind, rows)),
        "xlsx" => xlsx(&app, kind, rows).await,
        _ => Err(WebError::Service(ServiceError::NotFound)),
    }
}

fn attachment(kind: ExportKind, extension: &str, content_type: &str, body: Body) -> Response {
    let disposition = format!("attachment; filename=\"{}.{extension}\"", kind.file_stem());
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
}

fn csv_line<S: AsRef<[u8]>>(cells: &[S]) -> io::Result<Bytes> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(256));
    w.write_record(cells)?;
    w.into_inner()
        .map(Bytes::from)
        .map_err(|e| io::Error::other(e.to_string()))
}

/// The CSV, written line by line as the rows arrive; a UTF-8 byte order mark
/// first so that Excel reads the Chinese.
fn csv(kind: ExportKind, rows: ExportRows) -> Response {
    let head = csv_line(kind.headers()).map(|h| {
        let mut b = b"\xEF\xBB\xBF".to_vec();
        b.extend_from_slice(&h);
        Bytes::from(b)
    });
    let lines = rows.map(|r| match r {
        Ok(cells) => csv_line(&cells),
        Err(e) => Err(io::Error::other(e.to_string())),
    });
    let body = Body::from_stream(futures::stream::once(async { head }).chain(lines));
    attachment(kind, "csv", "text/csv; charset=utf-8", body)
}

/// The XLSX, written in rust_xlsxwriter's constant-memory mode (each row goes
/// to a temporary file as it is written) and then streamed from disk.
async fn xlsx(app: &App, kind: ExportKind, rows: ExportRows) -> Result<Response, WebError> {
    let dir = app.config.data_dir.join("tmp");
    let path = dir.join(format!("{}.xlsx", crate::storage::new_id()));
    let written = path.clone();
    tokio::task::spawn_blocking(move || write_xlsx(kind, rows, &dir, &written))
        .await
        .map_err(|e| ServiceError::Internal(e.into()))??;
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| ServiceError::Internal(e.into()));
    // The open file stays readable once its name is gone.
    let _ = tokio::fs::remove_file(&path).await;
    let file = file?;
    let chunks = futures::stream::try_unfold(file, |mut file| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 64 * 1024];
        let n = file.read(&mut buf).await?;
        buf.truncate(n);
        Ok::<_, io::Error>((n > 0).then(|| (Bytes::from(buf), file)))
    });
    let body = Body::from_stream(chunks.into_stream());
    Ok(attachment(
        kind,
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        body,
    ))
}

fn write_xlsx(
    kind: ExportKind,
    mut rows: ExportRows,
    dir: &std::path::Path,
    path: &std::path::Path,
) -> Result<(), ServiceError> {
    use rust_xlsxwriter::{Format, Workbook};
    let fail = |e: rust_xlsxwriter::XlsxError| ServiceError::Internal(e.into());
    std::fs::create_dir_all(dir).map_err(|e| ServiceError::Internal(e.into()))?;
    let mut book = Workbook::new();
    let sheet = book.add_worksheet_with_constant_memory().map_err(fail)?;
    sheet.set_name(kind.title()).map_err(fail)?;
    let bold = Format::new().set_bold();
    for (col, h) in kind.headers().iter().enumerate() {
        sheet
            .write_string_with_format(0, col as u16, *h, &bold)
            .map_err(fail)?;
    }
    let mut line: u32 = 1;
    while let Some(cells) = futures::executor::block_on(rows.next()) {
        for (col, cell) in cells?.iter().enumerate() {
            sheet.write_string(line, col as u16, cell).map_err(fail)?;
        }
        line += 1;
    }
    book.save(path).map_err(fail)
}

#[derive(askama::Template)]
#[template(path = "admin/exports.html")]
struct MenuPage {
    chrome: Chrome,
    masked: bool,
    transfers: bool,
    identity: bool,
}

/// GET /admin/exports: the export links.
pub async fn menu(chrome: Chrome, Staff(staff): Staff) -> Result<Response, WebError> {
    let page = MenuPage {
        chrome,
        masked: staff.role != crate::domain::Role::ProvinceAdmin,
        transfers: ExportKind::Transfers.open_to(staff.role),
        identity: ExportKind::IdentityReviews.open_to(staff.role),
    };
    render(StatusCode::OK, &page)
}

#[derive(askama::Template)]
#[template(path = "admin/stats.html")]
struct StatsPage {
    chrome: Chrome,
    scope: String,
    stats: TransferStats,
}

/// GET /admin/stats: the current window's counts, drawn as SVG bar charts.
pub async fn stats(
    State(app): State<App>,
    chrome: Chrome,
    Staff(staff): Staff,
) -> Result<Response, WebError> {
    let stats = app.transfer_stats(&staff).await?;

    let page = StatsPage {
        chrome,
        scope: app.scope_label(&staff.scope),
        stats,
    };
    render(StatusCode::OK, &page)
}
