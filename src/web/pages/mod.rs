//! Page handlers, one module per area. Each handler extracts, calls one service
//! function, and renders a template or redirects.

pub mod admin;
pub mod center;
pub mod confirm;
pub mod contacts;
pub mod home;
pub mod identity;
pub mod identity_review;
pub mod in_person;
pub mod materials;
pub mod recovery;
pub mod register;
pub mod review;
pub mod transfer;
pub mod verify;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::error::WebError;
use crate::service::ServiceError;

/// Renders a template with a status.
pub fn render<T: Template>(status: StatusCode, page: &T) -> Result<Response, WebError> {
    let html = page
        .render()
        .map_err(|e| ServiceError::Internal(e.into()))?;
    Ok((status, Html(html)).into_response())
}

/// An option of a `<select>`.
#[derive(Debug, Clone)]
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// An `<optgroup>`.
#[derive(Debug, Clone)]
pub struct OptGroup {
    pub label: String,
    pub options: Vec<Opt>,
}

/// Options whose value is their label.
pub fn options(values: &[String], selected: &str) -> Vec<Opt> {
    values
        .iter()
        .map(|v| Opt {
            value: v.clone(),
            label: v.clone(),
            selected: v == selected,
        })
        .collect()
}

/// The status of a form that failed a service check.
pub fn status_of(e: &ServiceError) -> StatusCode {
    match e {
        ServiceError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        ServiceError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
        ServiceError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::BAD_REQUEST,
    }
}
