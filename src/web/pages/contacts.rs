//! 联系方式: the city offices, open to everyone (a candidate with a wrong record
//! may not be able to sign in).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::render;
use crate::service::{App, CityContact};
use crate::web::context::Chrome;
use crate::web::error::WebError;

#[derive(askama::Template)]
#[template(path = "contacts.html")]
struct ContactsPage {
    chrome: Chrome,
    contacts: Vec<CityContact>,
}

/// GET /contacts.
pub async fn show(State(app): State<App>, chrome: Chrome) -> Result<Response, WebError> {
    let contacts = app.city_contacts().await?;

    render(StatusCode::OK, &ContactsPage { chrome, contacts })
}
