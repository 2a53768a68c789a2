//! 省际转出 for the candidate: the entry, the form 省际转出申请信息填报, the details
//! page 申请信息详情, and the application's images and 登记表 PDF.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::home::Empty;
use super::{Opt, render};
use crate::api::{ImageQuery, jpeg, pdf};
use crate::domain::{BusinessKind, TransferState, WindowStatus};
use crate::service::{
    App, EligibilityView, FieldErrors, Lists, ServiceError, TransferForm, TransferView, WindowView,
};
use crate::web::auth::Candidate;
use crate::web::context::{Chrome, CsrfForm};
use crate::web::error::WebError;

/// Splits a failed service call into what a form page shows: field errors (422)
/// or a message at the top (409); any other error becomes an error page.
pub(super) fn form_failure(e: ServiceError) -> Result<(StatusCode, FieldErrors, String), WebError> {
    match e {
        ServiceError::Invalid(errors) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, errors, String::new()))
        }
        e @ ServiceError::Conflict { .. } => {
            Ok((StatusCode::CONFLICT, FieldErrors::new(), e.to_string()))
        }
        e => Err(e.into()),
    }
}

#[derive(askama::Template)]
#[template(path = "transfer/entry.html")]
struct EntryPage {
    chrome: Chrome,
    window: WindowView,
    eligibility: Option<EligibilityView>,
    /// Why eligibility could not be assessed (no exam record).
    refusal: String,
    applications: Vec<TransferView>,
    can_start: bool,
}

/// GET /transfer: the 省际转出 entry.
pub async fn entry(
    State(app): State<App>,
    chrome: Chrome,
    Candidate(session): Candidate,
) -> Result<Response, WebError> {
    let window = app.window(BusinessKind::Transfer).await?;
    let (eligibility, refusal) = match app.transfer_eligibility(&session).await {
        Ok(e) => (Some(e), String::new()),
        Err(e @ ServiceError::Conflict { .. }) => (None, e.to_string()),
        Err(e) => return Err(e.into()),
    };
    let applications = app.my_transfers(&session).await?;

    let blocked = applications
        .iter()
        .any(|a| a.state.is_open() || a.state == TransferState::Approved);
    let can_start = window.status == WindowStatus::Open
        && eligibility.as_ref().is_some_and(|e| e.allowed)
        && !blocked;
    let page = EntryPage {
        chrome,
        window,
        eligibility,
        refusal,
        applications,
        can_start,
    };
    render(StatusCode::OK, &page)
}

/// The read-only lines of the form, from the candidate's record.
struct Record {
    name: String,
    id_number: String,
    ticket: String,
    city: String,
}

#[derive(askama::Template)]
#[template(path = "transfer/form.html")]
struct FormPage {
    chrome: Chrome,
    action: String,
    /// The application being edited; none for a new one.
    id: Option<String>,
    record: Record,
    provinces: Vec<Opt>,
    reasons: Vec<Opt>,
    target_ticket: String,
    errors: FieldErrors,
    message: String,
}

fn form_page(
    lists: &Lists,
    chrome: Chrome,
    id: Option<String>,
    record: Record,
    form: &TransferForm,
    errors: FieldErrors,
    message: String,
) -> FormPage {
    let provinces = lists
        .targets
        .iter()
        .filter(|p| p.open)
        .map(|p| Opt {
            value: p.code.clone(),
            label: p.name.clone(),
            selected: p.code == form.target_province.trim(),
        })
        .collect();
    let reasons = lists
        .active_reasons()
        .into_iter()
        .map(|r| Opt {
            value: r.code.clone(),
            label: r.name.clone(),
            selected: r.code == form.reason.trim(),
        })
        .collect();
    let action = match &id {
        Some(id) => format!("/transfer/{id}/edit"),
        None => "/transfer/new".into(),
    };
    FormPage {
        chrome,
        action,
        id,
        record,
        provinces,
        reasons,
        target_ticket: form.target_ticket.clone(),
        errors,
        message,
    }
}

fn own_record(app: &App, session: &crate::service::CandidateSession) -> Result<Record, WebError> {
    let p = app.profile(session)?;
    Ok(Record {
        name: p.name,
        id_number: p.id_number,
        ticket: p.ticket.unwrap_or_default(),
        city: p.city,
    })
}

fn view_record(v: &TransferView) -> Record {
    Record {
        name: v.name.clone(),
        id_number: v.id_number.clone(),
        ticket: v.ticket.clone(),
        city: v.city.clone(),
    }
}

/// GET /transfer/new: 省际转出申请信息填报.
pub async fn new_form(
    State(app): State<App>,
    chrome: Chrome,
    Candidate(session): Candidate,
) -> Result<Response, WebError> {
    let record = own_record(&app, &session)?;
    let page = form_page(
        &*app.lists().await?,
        chrome,
        None,
        record,
        &TransferForm::default(),
        FieldErrors::new(),
        String::new(),
    );
    render(StatusCode::OK, &page)
}

/// POST /transfer/new: a new draft, then on to the materials.
pub async fn create(
    State(app): State<App>,
    chrome: Chrome,
    Candidate(session): Candidate,
    CsrfForm(form): CsrfForm<TransferForm>,
) -> Result<Response, WebError> {
    let created = app.create_transfer(&session, &form).await;

    match created {
        Ok(view) => Ok(Redirect::to(&format!("/transfer/{}/materials", view.id)).into_response()),
        Err(e) => {
            let (status, errors, message) = form_failure(e)?;
            let record = own_record(&app, &session)?;
            let lists = app.lists().await?;
            let page = form_page(&lists, chrome, None, record, &form, errors, message);
            render(status, &page)
        }
    }
}

/// GET /transfer/{id}/edit: the form of a draft, filled in.
pub async fn edit_form(
    State(app): State<App>,
    chrome: Chrome,
    Candidate(session): Candidate,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let view = app
        .transfer_view(&app.own_transfer(&session, &id).await?)
        .await?;

    if view.state != TransferState::Draft {
        return Ok(Redirect::to(&format!("/transfer/{id}")).into_response());
    }
    let form = TransferForm {
        target_province: view.target_province.clone(),
        reason: view.reason.clone(),
        target_ticket: view.target_ticket.clone(),
    };
    let page = form_page(
        &*app.lists().await?,
        chrome,
        Some(id),
        view_record(&view),
        &form,
        FieldErrors::new(),
        String::new(),
    );
    render(StatusCode::OK, &page)
}

/// POST /transfer/{id}/edit.
pub async fn update(
    State(app): State<App>,
    chrome: Chrome,
    Candidate(session): Candidate,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<TransferForm>,
) -> Result<Response, WebError> {
    let updated = app.update_transfer(&session, &id, &form).await;

    match updated {
        Ok(_) => Ok(Redirect::to(&format!("/transfer/{id}/materials")).into_response()),
        Err(e) => {
            let (status, errors, message) = form_failure(e)?;
            let view = app
                .transfer_view(&app.own_transfer(&session, &id).await?)
                .await?;
            let page = form_page(
                &*app.lists().await?,
                chrome,
                Some(id),
                view_record(&view),
                &form,
                errors,
                message,
            );
            render(status, &page)
        }
    }
}

/// What the details page offers in the application's state.
struct Next {
    /// 查看转出登记表并确认
    confirm: bool,
    /// 修改申请
    reopen: bool,
    /// Still a draft: the form and the materials.
    draft: bool,
    /// Confirmed: 查看转出登记表
    confirmed: bool,
    /// The 视为自动放弃 warning.
    warn_abandon: bool,
    /// The application was rejected and the one more try is left.
    reapply: bool,
}

impl Next {
    fn of(v: &TransferView) -> Self {
        use TransferState::*;
        Self {
            confirm: v.state == AwaitingConfirmation
                || (v.state == ConfirmationRejected && v.tries_left),
            reopen: v.state == AwaitingConfirmation,
            draft: v.state == Draft,
            confirmed: matches!(v.state, PendingReview | Approved),
            warn_abandon: v.state.abandons_at_close(),
            reapply: v.state == ApplicationRejected && v.tries_left,
        }
    }
}

#[derive(askama::Template)]
#[template(path = "transfer/details.html")]
struct DetailsPage {
    chrome: Chrome,
    view: TransferView,
    next: Next,
}

/// GET /transfer/{id}: 申请信息详情.
pub async fn details(
    State(app): State<App>,
    chrome: Chrome,
    Candidate(session): Candidate,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let view = app
        .transfer_view(&app.own_transfer(&session, &id).await?)
        .await?;

    let next = Next::of(&view);
    render(StatusCode::OK, &DetailsPage { chrome, view, next })
}

/// POST /transfer/{id}/reopen: 修改申请, back to the form.
pub async fn reopen(
    State(app): State<App>,
    Candidate(session): Candidate,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    app.reopen_transfer(&session, &id).await?;

    Ok(Redirect::to(&format!("/transfer/{id}/edit")).into_response())
}

/// GET /transfer/{id}/files/{file_id}: an image of one's own application.
pub async fn image(
    State(app): State<App>,
    Candidate(session): Candidate,
    Path((id, file_id)): Path<(String, String)>,
    Query(q): Query<ImageQuery>,
) -> Result<Response, WebError> {
    let row = app.own_transfer(&session, &id).await?;

    let thumb = q.size.as_deref() == Some("thumb");
    Ok(jpeg(app.transfer_image_bytes(&row, &file_id, thumb).await?))
}

/// GET /transfer/{id}/form.pdf: 下载登记表PDF.
pub async fn form_pdf(
    State(app): State<App>,
    Candidate(session): Candidate,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let row = app.own_transfer(&session, &id).await?;

    Ok(pdf(app.form_pdf(&row).await?))
}
