//! The public list of registration points (报名点联系方式查询).

use serde::Serialize;
use utoipa::ToSchema;

use super::{App, ServiceResult};

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
        let mut out: Vec<CityPoints> = Vec::new();
        for city in &self.province.cities {
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
