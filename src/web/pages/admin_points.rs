//! Registration points (报名点) with address and phone, and the city offices'
//! contacts, as the province admin (or a city office, its own contacts) keeps them.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Opt, OptGroup, render};
use crate::service::{App, CityContact, CityPoints, FieldErrors, PointInput, ServiceError};
use crate::storage::ContactRow;
use crate::web::auth::Staff;
use crate::web::context::{Chrome, ClientIp, CsrfForm};
use crate::web::error::WebError;

#[derive(askama::Template)]
#[template(path = "admin/points.html")]
struct PointsPage {
    chrome: Chrome,
    cities: Vec<CityPoints>,
    /// Index of the city shown.
    current: usize,
    shown: Option<CityPoints>,
    saved: bool,
}

/// Which city's points to show, and whether one was just saved.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PointsQuery {
    city: usize,
    saved: String,
}

/// GET /admin/points.
pub async fn list(
    State(app): State<App>,
    chrome: Chrome,
    Staff(s): Staff,
    Query(q): Query<PointsQuery>,
) -> Result<Response, WebError> {
    app.require_province_admin(&s)?;

    let cities = app.registration_points().await?;
    let current = q.city.min(cities.len().saturating_sub(1));
    let page = PointsPage {
        shown: cities.get(current).cloned(),
        current,
        cities,
        chrome,
        saved: !q.saved.is_empty(),
    };
    render(StatusCode::OK, &page)
}

#[derive(askama::Template)]
#[template(path = "admin/point_form.html")]
struct PointPage {
    chrome: Chrome,
    action: String,
    is_new: bool,
    form: PointInput,
    counties: Vec<OptGroup>,
    errors: FieldErrors,
}

async fn point_page(
    app: &App,
    chrome: Chrome,
    form: PointInput,
    errors: FieldErrors,
) -> Result<PointPage, WebError> {
    let counties = app
        .lists()
        .await?
        .cities
        .iter()
        .map(|c| OptGroup {
            label: c.name.clone(),
            options: c
                .counties
                .iter()
                .map(|k| Opt {
                    value: k.code.clone(),
                    label: format!("{}{}", c.name, k.name),
                    selected: k.code == form.county,
                })
                .collect(),
        })
        .collect();
    let is_new = form.id.is_empty();
    Ok(PointPage {
        chrome,
        action: if is_new {
            "/admin/points/new".into()
        } else {
            format!("/admin/points/{}", form.id)
        },
        is_new,
        form,
        counties,
        errors,
    })
}

/// GET /admin/points/new.
pub async fn new_form(
    State(app): State<App>,
    chrome: Chrome,
    Staff(s): Staff,
) -> Result<Response, WebError> {
    app.require_province_admin(&s)?;

    let page = point_page(&app, chrome, PointInput::default(), FieldErrors::new()).await?;
    render(StatusCode::OK, &page)
}

/// GET /admin/points/{id}.
pub async fn edit_form(
    State(app): State<App>,
    chrome: Chrome,
    Staff(s): Staff,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    app.require_province_admin(&s)?;

    let point = app.registration_point(&id).await?;
    let page = point_page(&app, chrome, point, FieldErrors::new()).await?;
    render(StatusCode::OK, &page)
}

async fn save(
    app: &App,
    chrome: Chrome,
    s: &crate::service::StaffSession,
    ip: std::net::IpAddr,
    form: PointInput,
) -> Result<Response, WebError> {
    match app.save_point(s, ip, &form).await {
        Ok(_) => Ok(Redirect::to("/admin/points?saved=1").into_response()),
        Err(ServiceError::Invalid(errors)) => {
            let page = point_page(app, chrome, form, errors).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /admin/points/new.
pub async fn create(
    State(app): State<App>,
    chrome: Chrome,
    ClientIp(ip): ClientIp,
    Staff(s): Staff,
    CsrfForm(mut form): CsrfForm<PointInput>,
) -> Result<Response, WebError> {
    form.id.clear();
    save(&app, chrome, &s, ip, form).await
}

/// POST /admin/points/{id}.
pub async fn update(
    State(app): State<App>,
    chrome: Chrome,
    ClientIp(ip): ClientIp,
    Staff(s): Staff,
    Path(id): Path<String>,
    CsrfForm(mut form): CsrfForm<PointInput>,
) -> Result<Response, WebError> {
    form.id = id;
    save(&app, chrome, &s, ip, form).await
}

#[derive(askama::Template)]
#[template(path = "admin/contacts.html")]
struct ContactsPage {
    chrome: Chrome,
    contacts: Vec<CityContact>,
    /// The city whose form failed.
    failed: String,
    errors: FieldErrors,
    saved: String,
}

/// Which city was just saved.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ContactsQuery {
    saved: String,
}

/// GET /admin/contacts.
pub async fn contacts(
    State(app): State<App>,
    chrome: Chrome,
    Staff(s): Staff,
    Query(q): Query<ContactsQuery>,
) -> Result<Response, WebError> {
    let contacts = app.editable_contacts(&s).await?;

    let saved = contacts
        .iter()
        .find(|c| c.code == q.saved)
        .map(|c| c.city.clone())
        .unwrap_or_default();
    let page = ContactsPage {
        chrome,
        contacts,
        failed: String::new(),
        errors: FieldErrors::new(),
        saved,
    };
    render(StatusCode::OK, &page)
}

/// A city's contacts form.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ContactForm {
    office: String,
    address: String,
    phone: String,
}

/// POST /admin/contacts/{city}.
pub async fn save_contact(
    State(app): State<App>,
    chrome: Chrome,
    ClientIp(ip): ClientIp,
    Staff(s): Staff,
    Path(city): Path<String>,
    CsrfForm(form): CsrfForm<ContactForm>,
) -> Result<Response, WebError> {
    let row = ContactRow {
        city: city.clone(),
        office: form.office,
        address: form.address,
        phone: form.phone,
    };

    match app.save_city_contact(&s, ip, &row).await {
        Ok(()) => Ok(Redirect::to(&format!("/admin/contacts?saved={city}")).into_response()),
        Err(ServiceError::Invalid(errors)) => {
            let mut contacts = app.editable_contacts(&s).await?;
            if let Some(c) = contacts.iter_mut().find(|c| c.code == city) {
                c.office = row.office;
                c.address = row.address;
                c.phone = row.phone;
            }
            let page = ContactsPage {
                chrome,
                contacts,
                failed: city,
                errors,
                saved: String::new(),
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}
