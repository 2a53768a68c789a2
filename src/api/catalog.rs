//! Public lists: windows, transfer reasons, the registration form's lists.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiError, ApiErrorBody};
use crate::province::{City, Coded, OtherProvince, ProfileLists};
use crate::service::{App, WindowView};

#[utoipa::path(get, path = "/api/v1/windows", tag = "catalog",
    responses((status = 200, body = Vec<WindowView>), (status = 503, body = ApiErrorBody)))]
/// The business windows of the five quick entries.
pub async fn windows(State(app): State<App>) -> Result<Json<Vec<WindowView>>, ApiError> {
    Ok(Json(app.windows().await?))
}

#[utoipa::path(get, path = "/api/v1/transfer-outs/reasons", tag = "catalog",
    responses((status = 200, body = Vec<Coded>), (status = 503, body = ApiErrorBody)))]
/// The province's 转出原因 list.
pub async fn transfer_reasons(State(app): State<App>) -> Result<Json<Vec<Coded>>, ApiError> {
    Ok(Json(app.lists().await?.active_reasons()))
}

/// Everything a registration form needs.
#[derive(Serialize, ToSchema)]
pub struct Lists {
    /// The deploying province's code, e.g. `14`.
    pub province: String,
    pub cities: Vec<City>,
    /// Every province, by GB/T 2260 code.
    pub provinces: Vec<OtherProvince>,
    /// 民族.
    pub ethnicities: Vec<String>,
    /// 户籍类别.
    pub household: Vec<String>,
    /// 文化程度.
    pub education: Vec<String>,
    /// 职业.
    pub occupation: Vec<String>,
    /// 政治面貌.
    pub politics: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/lists", tag = "catalog", 
    responses((status = 200, body = Lists), (status = 503, body = ApiErrorBody)))]
/// Cities and counties (报名区县), provinces, and the profile lists.
pub async fn lists(State(app): State<App>) -> Result<Json<Lists>, ApiError> {
    let cities = app
        .lists()
        .await?
        .open_cities()
        .into_iter()
        .map(|c| City {
            code: c.code,
            name: c.name,
            counties: c
                .counties
                .into_iter()
                .map(|k| Coded {
                    code: k.code,
                    name: k.name,
                })
                .collect(),
        })
        .collect();
    let lists: ProfileLists = app.province.lists.clone();
    Ok(Json(Lists {
        province: app.province.info.code.clone(),
        cities,
        provinces: app.province.provinces.clone(),
        ethnicities: lists.ethnicities,
        household: lists.household,
        education: lists.education,
        occupation: lists.occupation,
        politics: lists.politics,
    }))
}
