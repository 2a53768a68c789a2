//! The query center's own pages: 合格成绩查询, 当次成绩查询, 专业计划查询 and
//! 准考证打印 with its PDF; each shows only the signed-in candidate's records.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::render;
use crate::service::{
    AdmissionTicket, App, CandidateSession, LatestResults, PassedResults, PlanProgress,
};
use crate::web::auth::Candidate;
use crate::web::context::Chrome;
use crate::web::error::WebError;

#[derive(askama::Template)]
#[template(path = "query/passed.html")]
struct PassedPage {
    chrome: Chrome,
    results: PassedResults,
}

#[derive(askama::Template)]
#[template(path = "query/latest.html")]
struct LatestPage {
    chrome: Chrome,
    results: LatestResults,
}

#[derive(askama::Template)]
#[template(path = "query/plan.html")]
struct PlanPage {
    chrome: Chrome,
    plan: PlanProgress,
}

#[derive(askama::Template)]
#[template(path = "query/ticket.html")]
struct TicketPage {
    chrome: Chrome,
    ticket: AdmissionTicket,
}

/// The page of a query center item built here, or None for the other items.
pub async fn page(
    app: &App,
    chrome: Chrome,
    session: &CandidateSession,
    item: &str,
) -> Result<Option<Response>, WebError> {
    let page = match item {
        "passed-results" => {
            let results = app.passed_results(session).await?;
            render(StatusCode::OK, &PassedPage { chrome, results })?
        }
        "latest-results" => {
            let results = app.latest_results(session).await?;
            render(StatusCode::OK, &LatestPage { chrome, results })?
        }
        "plans" => {
            let plan = app.plan_progress(session).await?;
            render(StatusCode::OK, &PlanPage { chrome, plan })?
        }
        "admission-ticket" => {
            let ticket = app.admission_ticket(session).await?;
            render(StatusCode::OK, &TicketPage { chrome, ticket })?
        }
        _ => return Ok(None),
    };
    Ok(Some(page))
}

/// GET /query/admission-ticket.pdf: the candidate's own A4 准考证.
pub async fn admission_ticket_pdf(
    State(app): State<App>,
    Candidate(session): Candidate,
) -> Result<Response, WebError> {
    let pdf = app.admission_ticket_pdf(&session).await?;

    Ok(crate::api::admission_ticket(pdf))
}
