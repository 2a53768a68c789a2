//! Page handlers, one module per area. Each handler extracts, calls one service
//! function, and renders a template or redirects.

pub mod admin;
pub mod admin_lists;
pub mod admin_points;
pub mod admin_staff;
pub mod admin_windows;
pub mod announcements;
pub mod audit;
pub mod center;
pub mod confirm;
pub mod contacts;
pub mod exports;
pub mod home;
pub mod identity;
pub mod identity_review;
pub mod import;
pub mod in_person;
pub mod materials;
pub mod phone;
pub mod query;
pub mod records;
pub mod recovery;
pub mod register;
pub mod review;
pub mod transfer;
pub mod verify;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::error::WebError;
use crate::service::{FieldErrors, ServiceError};

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

/// A refused sign-in as a login page shows it: the messages beside the fields,
/// the message above the form, the status and the wait of a lock.
pub struct LoginRefusal {
    pub errors: FieldErrors,
    pub message: String,
    status: StatusCode,
    retry_after: Option<u64>,
}

impl LoginRefusal {
    /// The refusal of a sign-in error, or the error itself when it is not one.
    pub fn of(e: ServiceError) -> Result<Self, ServiceError> {
        if !matches!(
            e,
            ServiceError::Invalid(_)
                | ServiceError::Unauthorized { .. }
                | ServiceError::TooManyRequests { .. }
        ) {
            return Err(e);
        }
        let retry_after = match &e {
            ServiceError::TooManyRequests {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        };
        Ok(Self {
            errors: e.fields().cloned().unwrap_or_default(),
            message: if matches!(e, ServiceError::Invalid(_)) {
                String::new()
            } else {
                e.to_string()
            },
            status: status_of(&e),
            retry_after,
        })
    }

    /// Renders the login page again with the refusal's status and wait.
    pub fn render<T: Template>(&self, page: &T) -> Result<Response, WebError> {
        let mut res = render(self.status, page)?;
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        Ok(res)
    }
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
