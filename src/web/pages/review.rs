//! The city office's review of 省际转出 applications: the queue with counts per
//! state, one application with its images large, and the decision form.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::transfer::form_failure;
use super::{Opt, render};
use crate::api::{ImageQuery, jpeg, pdf};
use crate::domain::{Decision, ReturnTo, TransferState};
use crate::service::{
    App, DecisionInput, FieldErrors, MAX_QUEUE_PAGE, QUEUE_PAGE, RegistrationForm, ServiceError,
    StaffSession, TransferView,
};
use crate::web::auth::Staff;
use crate::web::context::{Chrome, ClientIp, CsrfForm};
use crate::web::error::WebError;

/// Reasons reviewers give most often; 其他 leaves it to the free text.
const COMMON_REASONS: [&str; 5] = [
    "材料照片不清晰",
    "材料缺失或不完整",
    "登记表未签字",
    "转入地准考证号与材料不符",
    "其他",
];

/// A tab of the queue.
pub struct Tab {
    pub state: &'static str,
    pub label: &'static str,
    pub count: i64,
    pub current: bool,
}

#[derive(askama::Template)]
#[template(path = "admin/transfer_queue.html")]
struct QueuePage {
    chrome: Chrome,
    tabs: Vec<Tab>,
    current_state: &'static str,
    current_label: &'static str,
    items: Vec<TransferView>,
    /// The page shown, from 1, and how many the state has.
    page: u32,
    pages: u32,
}

/// `?state=&page=` of the queue.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct QueueQuery {
    state: String,
    page: Option<u32>,
}

/// GET /admin/transfers: the reviewer's queue, oldest first.
pub async fn queue(
    State(app): State<App>,
    chrome: Chrome,
    Staff(staff): Staff,
    Query(q): Query<QueueQuery>,
) -> Result<Response, WebError> {
    let state = TransferState::from_word(&q.state).unwrap_or(TransferState::PendingReview);

    let page = q.page.unwrap_or(1).clamp(1, MAX_QUEUE_PAGE);
    let (items, counts) = app.transfer_queue_page(&staff, state, page).await?;
    let in_state = counts
        .iter()
        .find(|(c, _)| *c == state)
        .map_or(0, |(_, n)| *n);
    let pages = u32::try_from((in_state + QUEUE_PAGE - 1) / QUEUE_PAGE)
        .unwrap_or(MAX_QUEUE_PAGE)
        .clamp(1, MAX_QUEUE_PAGE);

    let order = std::iter::once(TransferState::PendingReview).chain(
        TransferState::ALL
            .iter()
            .copied()
            .filter(|s| *s != TransferState::PendingReview),
    );
    let tabs = order
        .map(|s| Tab {
            state: s.as_str(),
            label: s.label(),
            count: counts.iter().find(|(c, _)| *c == s).map_or(0, |(_, n)| *n),
            current: s == state,
        })
        .collect();
    let body = QueuePage {
        chrome,
        tabs,
        current_state: state.as_str(),
        current_label: state.label(),
        items,
        page,
        pages,
    };
    render(StatusCode::OK, &body)
}

/// The decision form as typed.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(default)]
pub struct DecisionForm {
    decision: String,
    return_to: String,
    reason_code: String,
    reason_text: String,
}

impl DecisionForm {
    /// The reason the candidate reads: the common reason, then the reviewer's words.
    fn reason(&self) -> String {
        let text = self.reason_text.trim();
        match self.reason_code.trim() {
            "" | "其他" => text.to_owned(),
            code if text.is_empty() => code.to_owned(),
            code => format!("{code}：{text}"),
        }
    }

    fn input(&self) -> Result<DecisionInput, ServiceError> {
        let decision = Decision::from_word(&self.decision)
            .ok_or_else(|| ServiceError::field("decision", "请选择审核结果"))?;
        Ok(DecisionInput {
            decision,
            reason: self.reason(),
            return_to: ReturnTo::from_word(&self.return_to),
        })
    }
}

#[derive(askama::Template)]
#[template(path = "admin/transfer_review.html")]
struct ReviewPage {
    chrome: Chrome,
    view: TransferView,
    form: Option<RegistrationForm>,
    /// (time, what happened), oldest first.
    history: Vec<(String, String)>,
    decidable: bool,
    decisions: Vec<Opt>,
    return_tos: Vec<Opt>,
    reasons: Vec<Opt>,
    reason_text: String,
    errors: FieldErrors,
    message: String,
}

fn history(v: &TransferView) -> Vec<(String, String)> {
    let mut out = vec![(v.created_at.clone(), "考生填报申请".to_owned())];
    if let Some(at) = &v.submitted_at {
        out.push((at.clone(), "考生提交申请".into()));
    }
    if let Some(at) = &v.confirmed_at {
        out.push((at.clone(), "考生完成线上确认".into()));
    }
    if let Some(r) = &v.review {
        let what = if r.reason.is_empty() {
            format!("审核：{}", r.label)
        } else {
            format!("审核：{}（{}）", r.label, r.reason)
        };
        out.push((r.at.clone(), what));
    }
    // Stable: events of the same minute keep the order they happen in.
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

async fn review_page(
    app: &App,
    chrome: Chrome,
    staff: &StaffSession,
    id: &str,
    typed: DecisionForm,
    errors: FieldErrors,
    message: String,
) -> Result<ReviewPage, WebError> {
    let row = app.scoped_transfer(staff, id).await?;
    let view = app.transfer_view(&row).await?;
    let form = match app.registration_form(&row).await {
        Ok(f) => Some(f),
        Err(ServiceError::Conflict { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let opt = |value: &str, label: &str, chosen: &str| Opt {
        value: value.into(),
        label: label.into(),
        selected: value == chosen,
    };
    let decisions = Decision::ALL
        .iter()
        .map(|d| opt(d.as_str(), d.label(), &typed.decision))
        .collect();
    let chosen_return = if typed.return_to.is_empty() {
        ReturnTo::Application.as_str()
    } else {
        typed.return_to.as_str()
    };
    let return_tos = ReturnTo::ALL
        .iter()
        .map(|r| opt(r.as_str(), r.label(), chosen_return))
        .collect();
    let reasons = COMMON_REASONS
        .iter()
        .map(|r| opt(r, r, &typed.reason_code))
        .collect();
    Ok(ReviewPage {
        chrome,
        history: history(&view),
        decidable: view.state == TransferState::PendingReview,
        view,
        form,
        decisions,
        return_tos,
        reasons,
        reason_text: typed.reason_text,
        errors,
        message,
    })
}

/// GET /admin/transfers/{id}.
pub async fn show(
    State(app): State<App>,
    chrome: Chrome,
    Staff(staff): Staff,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let page = review_page(
        &app,
        chrome,
        &staff,
        &id,
        DecisionForm::default(),
        FieldErrors::new(),
        String::new(),
    )
    .await?;

    render(StatusCode::OK, &page)
}

/// POST /admin/transfers/{id}/decision.
pub async fn decide(
    State(app): State<App>,
    chrome: Chrome,
    Staff(staff): Staff,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    CsrfForm(typed): CsrfForm<DecisionForm>,
) -> Result<Response, WebError> {
    let decided = match typed.input() {
        Ok(input) => app
            .decide_transfer(&staff, &id, &input, ip)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };

    match decided {
        Ok(()) => Ok(Redirect::to("/admin/transfers").into_response()),
        Err(e) => {
            let (status, errors, message) = form_failure(e)?;
            let page = review_page(&app, chrome, &staff, &id, typed, errors, message).await?;
            render(status, &page)
        }
    }
}

/// GET /admin/transfers/{id}/files/{file_id}: an image of an application in scope.
pub async fn image(
    State(app): State<App>,
    Staff(staff): Staff,
    Path((id, file_id)): Path<(String, String)>,
    Query(q): Query<ImageQuery>,
) -> Result<Response, WebError> {
    let row = app.scoped_transfer(&staff, &id).await?;

    let thumb = q.size.as_deref() == Some("thumb");
    Ok(jpeg(app.transfer_image_bytes(&row, &file_id, thumb).await?))
}

/// GET /admin/transfers/{id}/form.pdf: the 登记表 of an application in scope.
pub async fn form_pdf(
    State(app): State<App>,
    Staff(staff): Staff,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let row = app.scoped_transfer(&staff, &id).await?;

    Ok(pdf(app.form_pdf(&row).await?))
}
