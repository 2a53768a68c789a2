//! The province admin's audit trail: the viewer with its filters, and the
//! check of the hash chain.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Router, routing::get, routing::post};
use chrono::{NaiveDate, TimeZone};
use serde::{Deserialize, Serialize};

use super::home::Empty;
use super::render;
use crate::clock::china;
use crate::service::{App, AuditPage, ChainCheck, StaffSession};
use crate::storage::{AuditFilter, micros};
use crate::web::auth::Staff;
use crate::web::context::{Chrome, CsrfForm};
use crate::web::error::WebError;

/// The audit routes.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/admin/audit", get(viewer))
        .route("/admin/audit/verify", post(verify))
}

/// The viewer's filters as the form sends them.
#[derive(Debug, Deserialize, Serialize, Default, Clone)]
#[serde(default)]
pub struct AuditQuery {
    actor: String,
    candidate: String,
    action: String,
    /// First day, YYYY-MM-DD (China time), inclusive.
    from: String,
    /// Last day, inclusive.
    to: String,
    page: i64,
}

impl AuditQuery {
    fn filter(&self) -> AuditFilter {
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let day = |s: &str, next: bool| {
            let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
            let d = if next { d.succ_opt()? } else { d };
            let at = china()
                .from_local_datetime(&d.and_hms_opt(0, 0, 0)?)
                .single()?;
            Some(micros(at.to_utc()))
        };
        AuditFilter {
            actor: text(&self.actor),
            candidate_id: text(&self.candidate),
            action_prefix: text(&self.action),
            from: day(&self.from, false),
            until: day(&self.to, true),
        }
    }

    /// The query string of another page with the same filters.
    fn page_link(&self, page: i64) -> String {
        let q = AuditQuery {
            page,
            ..self.clone()
        };
        format!(
            "/admin/audit?{}",
            query_string(&[
                ("actor", &q.actor),
                ("candidate", &q.candidate),
                ("action", &q.action),
                ("from", &q.from),
                ("to", &q.to),
                ("page", &q.page.to_string()),
            ])
        )
    }
}

fn query_string(pairs: &[(&str, &String)]) -> String {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, NON_ALPHANUMERIC)))
        .collect::<Vec<_>>()
        .join("&")
}

#[derive(askama::Template)]
#[template(path = "admin/audit.html")]
struct AuditView {
    chrome: Chrome,
    q: AuditQuery,
    page: AuditPage,
    previous: Option<String>,
    next: Option<String>,
    check: Option<ChainCheck>,
}

async fn page(
    app: &App,
    chrome: Chrome,
    staff: &StaffSession,
    q: AuditQuery,
    check: Option<ChainCheck>,
) -> Result<Response, WebError> {
    let page = app.audit_page(staff, &q.filter(), q.page).await?;
    let previous = (page.page > 1).then(|| q.page_link(page.page - 1));
    let next = (page.page < page.pages).then(|| q.page_link(page.page + 1));
    let view = AuditView {
        chrome,
        q,
        page,
        previous,
        next,
        check,
    };
    render(StatusCode::OK, &view)
}

/// GET /admin/audit: the entries, newest first.
pub async fn viewer(
    State(app): State<App>,
    chrome: Chrome,
    Staff(staff): Staff,
    Query(q): Query<AuditQuery>,
) -> Result<Response, WebError> {
    page(&app, chrome, &staff, q, None).await
}

/// POST /admin/audit/verify: checks the whole chain and shows the result.
pub async fn verify(
    State(app): State<App>,
    chrome: Chrome,
    Staff(staff): Staff,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let check = app.verify_audit_for(&staff).await?;

    page(&app, chrome, &staff, AuditQuery::default(), Some(check)).await
}
