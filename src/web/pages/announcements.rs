//! 通知公告 and 报考简章: the public pages, and the province admin's pages that
//! write, edit and withdraw them.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::home::Empty;
use super::{Opt, render};
use crate::service::{
    AnnouncementInput, AnnouncementKind, AnnouncementView, App, FieldErrors, ServiceError,
};
use crate::web::auth::Staff;
use crate::web::context::{Chrome, ClientIp, CsrfForm};
use crate::web::error::WebError;

/// How many notices the list pages show.
const LIST_LIMIT: i64 = 100;

#[derive(askama::Template)]
#[template(path = "notices.html")]
struct NoticesPage {
    chrome: Chrome,
    notices: Vec<AnnouncementView>,
}

/// GET /query/notices: 通知公告, newest first.
pub async fn notices(State(app): State<App>, chrome: Chrome) -> Result<Response, WebError> {
    let notices = app
        .published_announcements(AnnouncementKind::Notice, LIST_LIMIT)
        .await?;

    render(StatusCode::OK, &NoticesPage { chrome, notices })
}

#[derive(askama::Template)]
#[template(path = "notice.html")]
struct NoticePage {
    chrome: Chrome,
    notice: Option<AnnouncementView>,
    title: String,
}

/// GET /query/notices/{id}: one notice (or guide) once published.
pub async fn notice(
    State(app): State<App>,
    chrome: Chrome,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let notice = app.published_announcement(&id).await?;

    let title = notice.kind_label.clone();
    render(
        StatusCode::OK,
        &NoticePage {
            chrome,
            notice: Some(notice),
            title,
        },
    )
}

/// GET /query/guide: the latest published 报考简章.
pub async fn guide(State(app): State<App>, chrome: Chrome) -> Result<Response, WebError> {
    let notice = app.current_guide().await?;

    render(
        StatusCode::OK,
        &NoticePage {
            chrome,
            notice,
            title: AnnouncementKind::Guide.label().into(),
        },
    )
}

#[derive(askama::Template)]
#[template(path = "admin/announcements.html")]
struct AdminListPage {
    chrome: Chrome,
    items: Vec<AnnouncementView>,
    saved: bool,
}

/// GET /admin/announcements.
pub async fn admin_list(
    State(app): State<App>,
    chrome: Chrome,
    Staff(s): Staff,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Result<Response, WebError> {
    let items = app.all_announcements(&s).await?;

    let saved = q.contains_key("saved");
    render(
        StatusCode::OK,
        &AdminListPage {
            chrome,
            items,
            saved,
        },
    )
}

#[derive(askama::Template)]
#[template(path = "admin/announcement_form.html")]
struct FormPage {
    chrome: Chrome,
    action: String,
    /// The announcement edited; none for a new one.
    id: Option<String>,
    state_label: String,
    form: AnnouncementInput,
    kinds: Vec<Opt>,
    errors: FieldErrors,
}

fn form_page(
    chrome: Chrome,
    id: Option<String>,
    state_label: String,
    form: AnnouncementInput,
    errors: FieldErrors,
) -> FormPage {
    let kinds = [AnnouncementKind::Notice, AnnouncementKind::Guide]
        .iter()
        .map(|k| Opt {
            value: k.as_str().into(),
            label: k.label().into(),
            selected: k.as_str() == form.kind,
        })
        .collect();
    FormPage {
        chrome,
        action: match &id {
            Some(id) => format!("/admin/announcements/{id}"),
            None => "/admin/announcements/new".into(),
        },
        id,
        state_label,
        form,
        kinds,
        errors,
    }
}

/// GET /admin/announcements/new.
pub async fn new_form(
    State(app): State<App>,
    chrome: Chrome,
    Staff(s): Staff,
) -> Result<Response, WebError> {
    app.require_province_admin(&s)?;

    let form = AnnouncementInput {
        kind: AnnouncementKind::Notice.as_str().into(),
        ..Default::default()
    };
    let page = form_page(chrome, None, String::new(), form, FieldErrors::new());
    render(StatusCode::OK, &page)
}

/// POST /admin/announcements/new.
pub async fn create(
    State(app): State<App>,
    chrome: Chrome,
    ClientIp(ip): ClientIp,
    Staff(s): Staff,
    CsrfForm(form): CsrfForm<AnnouncementInput>,
) -> Result<Response, WebError> {
    match app.create_announcement(&s, ip, &form).await {
        Ok(_) => Ok(Redirect::to("/admin/announcements?saved=1").into_response()),
        Err(ServiceError::Invalid(errors)) => {
            let page = form_page(chrome, None, String::new(), form, errors);
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// GET /admin/announcements/{id}.
pub async fn edit_form(
    State(app): State<App>,
    chrome: Chrome,
    Staff(s): Staff,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let view = app.announcement_for_edit(&s, &id).await?;

    let form = AnnouncementInput {
        kind: view.kind.as_str().into(),
        title: view.title,
        body: view.body_markdown,
        publish_at: view.publish_input,
    };
    let page = form_page(chrome, Some(id), view.state_label, form, FieldErrors::new());
    render(StatusCode::OK, &page)
}

/// POST /admin/announcements/{id}.
pub async fn update(
    State(app): State<App>,
    chrome: Chrome,
    ClientIp(ip): ClientIp,
    Staff(s): Staff,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<AnnouncementInput>,
) -> Result<Response, WebError> {
    match app.update_announcement(&s, ip, &id, &form).await {
        Ok(()) => Ok(Redirect::to("/admin/announcements?saved=1").into_response()),
        Err(ServiceError::Invalid(errors)) => {
            let page = form_page(chrome, Some(id), String::new(), form, errors);
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /admin/announcements/{id}/unpublish.
pub async fn unpublish(
    State(app): State<App>,
    ClientIp(ip): ClientIp,
    Staff(s): Staff,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    app.unpublish_announcement(&s, ip, &id).await?;

    Ok(Redirect::to("/admin/announcements?saved=1").into_response())
}
