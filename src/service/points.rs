//! The public list of registration points (报名点联系方式查询).

use serde::Serialize;
use utoipa::ToSchema;

use std::net::IpAddr;

use super::{App, FieldErrors, ServiceError, ServiceResult, StaffSession};
use crate::storage::{PointRow, new_id};

/// One registration point as the public sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PointView {
    pub id: String,
    pub county: String,
    pub name: String,
    /// Empty while the province has not filled it in.
    pub address: String,
    /// Empty while the province has not filled it in.
    pub phone: String,
}

/// The registration points of one city.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CityPoints {
    pub city: String,
    pub points: Vec<PointView>,
}

impl App {
    /// Every registration point, grouped by city in the province's order.
    pub async fn registration_points(&self) -> ServiceResult<Vec<CityPoints>> {
        let rows = self.db.points().await?;
        let lists = self.lists().await?;
        let mut out: Vec<CityPoints> = Vec::new();
        for city in &lists.cities {
            let points = city
                .counties
                .iter()
                .flat_map(|k| {
                    rows.iter()
                        .filter(move |p| p.county == k.code)
                        .map(move |p| (k, p))
                })
                .map(|(k, p)| PointView {
                    id: p.id.clone(),
                    county: k.name.clone(),
                    name: p.name.clone(),
                    address: p.address.clone(),
                    phone: p.phone.clone(),
                })
                .collect();
            out.push(CityPoints {
                city: city.name.clone(),
                points,
            });
        }
        Ok(out)
    }
}

/// A registration point as the province admin writes it.
#[derive(Debug, Clone, Default, serde::Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct PointInput {
    /// Empty for a new point.
    pub id: String,
    /// County code (new points only; a point stays in its county).
    pub county: String,
    pub name: String,
    pub address: String,
    pub phone: String,
}

/// A message when `phone` is not a telephone number as offices write them
/// (`0351-1234567`, `13812345678`, several separated by `、`).
pub(crate) fn bad_phone(phone: &str) -> Option<&'static str> {
    let ok = phone.chars().count() <= 40
        && phone
            .chars()
            .all(|c| c.is_ascii_digit() || "-、 ()（）转".contains(c));
    (!ok).then_some("电话只能包含数字、“-”和“、”，不超过40个字符")
}

impl App {
    /// One registration point as its edit form shows it.
    pub async fn registration_point(&self, id: &str) -> ServiceResult<PointInput> {
        let p = self.db.point(id).await?.ok_or(ServiceError::NotFound)?;
        Ok(PointInput {
            id: p.id,
            county: p.county,
            name: p.name,
            address: p.address,
            phone: p.phone,
        })
    }

    /// Adds a registration point or changes one's name, address and phone
    /// (province admins); shown on the public list at once.
    pub async fn save_point(
        &self,
        actor: &StaffSession,
        address: IpAddr,
        input: &PointInput,
    ) -> ServiceResult<String> {
        self.require_province_admin(actor)?;
        let lists = self.lists().await?;
        let existing = match input.id.trim() {
            "" => None,
            id => Some(self.db.point(id).await?.ok_or(ServiceError::NotFound)?),
        };
        let mut e = FieldErrors::new();
        let place = match &existing {
            Some(p) => Some((p.city.clone(), p.county.clone())),
            None => lists
                .county(input.county.trim())
                .map(|(c, k)| (c.code.clone(), k.code.clone())),
        };
        if place.is_none() {
            e.add("county", "请选择所在区县");
        }
        let name = input.name.trim();
        match name.chars().count() {
            0 => e.add("name", "请填写报名点名称"),
            n if n > 40 => e.add("name", "名称不能超过40个字"),
            _ => {}
        }
        let street = input.address.trim();
        if street.chars().count() > 100 {
            e.add("address", "地址不能超过100个字");
        }
        let phone = input.phone.trim();
        if let Some(m) = bad_phone(phone) {
            e.add("phone", m);
        }
        e.into_result()?;
        let (city, county) = place.expect("checked above");
        let row = PointRow {
            id: existing
                .as_ref()
                .map(|p| p.id.clone())
                .unwrap_or_else(new_id),
            city,
            county,
            name: name.into(),
            address: street.into(),
            phone: phone.into(),
        };
        if existing.is_some() {
            self.db.update_point(&row).await?;
        } else {
            self.db.insert_point_if_absent(&row).await?;
        }
        let fields = |p: &PointRow| serde_json::json!({ "county": p.county, "name": p.name, "address": p.address, "phone": p.phone });
        self.audit(
            &actor.staff.id,
            Some(address),
            if existing.is_some() {
                "point.update"
            } else {
                "point.create"
            },
            Some(&row.id),
            existing.as_ref().map(fields).as_ref(),
            Some(&fields(&row)),
        )
        .await?;
        Ok(row.id)
    }
}
