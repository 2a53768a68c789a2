//! 考生信息更正: the city office finds a candidate of its city by 身份证号 or
//! 准考证号 (posted, so the number never enters an address) and corrects 姓名
//! and 身份证号.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::render;
use crate::service::{App, FieldErrors, RecordCorrection, RecordView, ServiceError};
use crate::web::auth::Staff;
use crate::web::context::{Chrome, ClientIp, CsrfForm};
use crate::web::error::WebError;

#[derive(askama::Template)]
#[template(path = "admin/records.html")]
struct SearchPage {
    chrome: Chrome,
    q: String,
    errors: FieldErrors,
}

#[derive(askama::Template)]
#[template(path = "admin/record.html")]
struct RecordPage {
    chrome: Chrome,
    record: RecordView,
    form: RecordCorrection,
    errors: FieldErrors,
    done: bool,
}

/// The search form as typed.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct SearchForm {
    q: String,
}

/// `?done=1` after a correction.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct Done {
    done: String,
}

/// GET /admin/records.
pub async fn search_form(
    State(app): State<App>,
    chrome: Chrome,
    Staff(s): Staff,
) -> Result<Response, WebError> {
    app.require_record_office(&s)?;
    let page = SearchPage {
        chrome,
        q: String::new(),
        errors: FieldErrors::new(),
    };
    render(StatusCode::OK, &page)
}

/// POST /admin/records: finds the candidate and opens their record.
pub async fn search(
    State(app): State<App>,
    chrome: Chrome,
    Staff(s): Staff,
    CsrfForm(form): CsrfForm<SearchForm>,
) -> Result<Response, WebError> {
    match app.find_record(&s, &form.q).await {
        Ok(r) => Ok(Redirect::to(&format!("/admin/records/{}", r.candidate_id)).into_response()),
        Err(ServiceError::Invalid(errors)) => {
            let page = SearchPage {
                chrome,
                q: form.q,
                errors,
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// GET /admin/records/{candidate_id}.
pub async fn show(
    State(app): State<App>,
    chrome: Chrome,
    Staff(s): Staff,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    let record = app.scoped_record(&s, &id).await?;

    let form = RecordCorrection {
        name: record.name.clone(),
        id_number: record.id_number.clone(),
        reason: String::new(),
    };
    let page = RecordPage {
        chrome,
        record,
        form,
        errors: FieldErrors::new(),
        done: done.done == "1",
    };
    render(StatusCode::OK, &page)
}

/// POST /admin/records/{candidate_id}: the correction.
pub async fn correct(
    State(app): State<App>,
    chrome: Chrome,
    Staff(s): Staff,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<RecordCorrection>,
) -> Result<Response, WebError> {
    match app.correct_record(&s, &id, &form, ip).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/records/{id}?done=1")).into_response()),
        Err(ServiceError::Invalid(errors)) => {
            let record = app.scoped_record(&s, &id).await?;
            let page = RecordPage {
                chrome,
                record,
                form,
                errors,
                done: false,
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}
