//! 现场认证: registration point staff find a candidate by 身份证号 (in the form
//! body, never the address), check the card in hand and mark them verified.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::render;
use crate::service::{App, FieldErrors, InPersonCandidate, ServiceError};
use crate::web::auth::Staff;
use crate::web::context::{Chrome, ClientIp, CsrfForm};
use crate::web::error::WebError;

#[derive(askama::Template)]
#[template(path = "admin/in_person.html")]
struct InPersonPage {
    chrome: Chrome,
    found: Option<InPersonCandidate>,
    errors: FieldErrors,
    done: bool,
}

impl InPersonPage {
    fn new(chrome: Chrome) -> Self {
        Self {
            chrome,
            found: None,
            errors: FieldErrors::new(),
            done: false,
        }
    }
}

/// GET /admin/identity/in-person: the search form.
pub async fn form(
    State(app): State<App>,
    chrome: Chrome,
    Staff(staff): Staff,
) -> Result<Response, WebError> {
    app.require_identity_reviewer(&staff)?;

    render(StatusCode::OK, &InPersonPage::new(chrome))
}

/// The search form.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SearchForm {
    id_number: String,
}

/// POST /admin/identity/in-person: the candidate of a 身份证号, masked.
pub async fn search(
    State(app): State<App>,
    chrome: Chrome,
    Staff(staff): Staff,
    CsrfForm(form): CsrfForm<SearchForm>,
) -> Result<Response, WebError> {
    let id_number = form.id_number.trim().to_ascii_uppercase();

    match app.find_for_in_person(&staff, &id_number).await {
        Ok(found) => {
            let page = InPersonPage {
                found: Some(found),
                ..InPersonPage::new(chrome)
            };
            render(StatusCode::OK, &page)
        }
        Err(ServiceError::Invalid(errors)) => {
            let page = InPersonPage {
                errors,
                ..InPersonPage::new(chrome)
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// The confirmation form.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct VerifyForm {
    card_checked: String,
}

/// POST /admin/identity/in-person/{candidate_id}: mark verified (audited).
pub async fn verify(
    State(app): State<App>,
    chrome: Chrome,
    Staff(staff): Staff,
    ClientIp(ip): ClientIp,
    Path(candidate_id): Path<String>,
    CsrfForm(form): CsrfForm<VerifyForm>,
) -> Result<Response, WebError> {
    let checked = form.card_checked == "yes";

    let result = app
        .verify_in_person(&staff, &candidate_id, checked, ip)
        .await;

    let (status, errors, done) = match result {
        Ok(()) => (StatusCode::OK, FieldErrors::new(), true),
        Err(ServiceError::Invalid(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, errors, false),
        Err(e @ ServiceError::Conflict { .. }) => {
            let mut errors = FieldErrors::new();
            errors.add("card_checked", e.to_string());
            (StatusCode::CONFLICT, errors, false)
        }
        Err(e) => return Err(e.into()),
    };
    let found = app.in_person_candidate(&staff, &candidate_id).await?;
    let page = InPersonPage {
        chrome,
        found: Some(found),
        errors,
        done,
    };
    render(status, &page)
}
