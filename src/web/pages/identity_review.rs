//! The registration point's identity review: the online queue of its county
//! (the province admin sees every county), one case with its photos large, and
//! the decision form. City offices are refused by the service.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Router, routing::get, routing::post};
use serde::Deserialize;

use super::{Opt, render};
use crate::api::identity::jpeg;
use crate::domain::{CLARITY_MIN, PhotoKind, RejectReason};
use crate::service::{
    App, CaseView, FieldErrors, ReviewDecision, ReviewItem, ServiceError, StaffSession,
};
use crate::web::auth::Staff;
use crate::web::context::{Chrome, ClientIp, CsrfForm};
use crate::web::error::WebError;

/// The identity review routes, verification in person included.
pub fn routes() -> Router<App> {
    use super::in_person;
    Router::new()
        .route("/admin/identity", get(queue))
        .route(
            "/admin/identity/in-person",
            get(in_person::form).post(in_person::search),
        )
        .route(
            "/admin/identity/in-person/{candidate_id}",
            post(in_person::verify),
        )
        .route("/admin/identity/{candidate_id}", get(show))
        .route("/admin/identity/{candidate_id}/decision", post(decide))
        .route("/admin/identity/{candidate_id}/photos/{kind}", get(photo))
}

#[derive(askama::Template)]
#[template(path = "admin/identity_queue.html")]
struct QueuePage {
    chrome: Chrome,
    items: Vec<ReviewItem>,
    /// (place, cases waiting), when the queue spans several counties.
    places: Vec<(String, usize)>,
    message: String,
    done: String,
}

/// `?done=` after a decision.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct QueueQuery {
    done: String,
}

async fn queue_page(
    app: &App,
    chrome: Chrome,
    staff: &StaffSession,
    message: String,
    done: String,
) -> Result<QueuePage, WebError> {
    let items = app.identity_queue(staff).await?;
    let mut places: Vec<(String, usize)> = Vec::new();
    for i in &items {
        match places.iter_mut().find(|(p, _)| *p == i.place) {
            Some((_, n)) => *n += 1,
            None => places.push((i.place.clone(), 1)),
        }
    }
    if places.len() < 2 {
        places.clear();
    }
    Ok(QueuePage {
        chrome,
        items,
        places,
        message,
        done,
    })
}

/// GET /admin/identity: the cases waiting, oldest first.
pub async fn queue(
    State(app): State<App>,
    chrome: Chrome,
    Staff(staff): Staff,
    Query(q): Query<QueueQuery>,
) -> Result<Response, WebError> {
    let done = match q.done.as_str() {
        "approve" => "已审核通过，考生可登录办理业务。",
        "reject" => "已审核不通过，考生将看到原因并可重新上传照片。",
        _ => "",
    };

    let page = queue_page(&app, chrome, &staff, String::new(), done.into()).await?;

    render(StatusCode::OK, &page)
}

/// A photo of the case, to show large.
pub struct CasePhoto {
    pub kind: &'static str,
    pub label: &'static str,
}

#[derive(askama::Template)]
#[template(path = "admin/identity_case.html")]
struct CasePage {
    chrome: Chrome,
    case: CaseView,
    photos: Vec<CasePhoto>,
    clarity_min: f64,
    reasons: Vec<Opt>,
    decision: String,
    note: String,
    errors: FieldErrors,
}

/// The decision form as typed.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(default)]
pub struct DecisionForm {
    decision: String,
    reason: String,
    note: String,
}

async fn case_page(
    app: &App,
    chrome: Chrome,
    staff: &StaffSession,
    candidate_id: &str,
    typed: DecisionForm,
    errors: FieldErrors,
) -> Result<CasePage, WebError> {
    let case = app.identity_case(staff, candidate_id).await?;
    let photos = case
        .photos
        .iter()
        .map(|k| CasePhoto {
            kind: k.as_str(),
            label: k.label(),
        })
        .collect();
    let reasons = RejectReason::ALL
        .iter()
        .map(|r| Opt {
            value: r.as_str().into(),
            label: r.label().into(),
            selected: r.as_str() == typed.reason,
        })
        .collect();
    Ok(CasePage {
        chrome,
        case,
        photos,
        clarity_min: CLARITY_MIN,
        reasons,
        decision: typed.decision,
        note: typed.note,
        errors,
    })
}

/// GET /admin/identity/{candidate_id}.
pub async fn show(
    State(app): State<App>,
    chrome: Chrome,
    Staff(staff): Staff,
    Path(candidate_id): Path<String>,
) -> Result<Response, WebError> {
    let page = case_page(
        &app,
        chrome,
        &staff,
        &candidate_id,
        DecisionForm::default(),
        FieldErrors::new(),
    )
    .await?;

    render(StatusCode::OK, &page)
}

/// POST /admin/identity/{candidate_id}/decision.
pub async fn decide(
    State(app): State<App>,
    chrome: Chrome,
    Staff(staff): Staff,
    ClientIp(ip): ClientIp,
    Path(candidate_id): Path<String>,
    CsrfForm(typed): CsrfForm<DecisionForm>,
) -> Result<Response, WebError> {
    let input = ReviewDecision {
        decision: typed.decision.clone(),
        reason: Some(typed.reason.clone()).filter(|r| !r.is_empty()),
        note: Some(typed.note.clone()),
    };

    match app.decide_identity(&staff, &candidate_id, &input, ip).await {
        Ok(_) => {
            let to = format!("/admin/identity?done={}", input.decision);
            Ok(Redirect::to(&to).into_response())
        }
        Err(ServiceError::Invalid(errors)) => {
            let page = case_page(&app, chrome, &staff, &candidate_id, typed, errors).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e @ ServiceError::Conflict { .. }) => {
            let page = queue_page(&app, chrome, &staff, e.to_string(), String::new()).await?;
            render(StatusCode::CONFLICT, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// GET /admin/identity/{candidate_id}/photos/{kind}: a photo of a candidate in scope.
pub async fn photo(
    State(app): State<App>,
    Staff(staff): Staff,
    Path((candidate_id, kind)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let kind = PhotoKind::from_word(&kind).ok_or(ServiceError::NotFound)?;

    Ok(jpeg(
        app.staff_identity_photo(&staff, &candidate_id, kind)
            .await?,
    ))
}
