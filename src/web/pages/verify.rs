//! The public page a 登记表's QR code opens: is this printed form genuine?

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::render;
use crate::service::{App, FormVerification};
use crate::web::context::Chrome;
use crate::web::error::WebError;

#[derive(askama::Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    chrome: Chrome,
    v: FormVerification,
}

/// GET /verify/{id}/{hash}.
pub async fn show(
    State(app): State<App>,
    chrome: Chrome,
    Path((id, hash)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let v = app.verify_form(&id, &hash).await?;

    render(StatusCode::OK, &VerifyPage { chrome, v })
}
