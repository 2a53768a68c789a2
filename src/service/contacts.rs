//! 联系方式: the city offices candidates turn to when their record is wrong or a
//! step of the transfer-out flow is unclear.

use super::{App, ServiceResult};
use crate::storage::ContactRow;

/// One city's contacts as a page shows them; empty fields were not published.
#[derive(Debug, Clone)]
pub struct CityContact {
    pub city: String,
    pub office: String,
    pub address: String,
    pub phone: String,
}

impl CityContact {
    /// Whether the city has published anything to call or visit.
    pub fn published(&self) -> bool {
        !self.phone.is_empty() || !self.address.is_empty()
    }
}

impl App {
    /// Every city of the province in code order, with its contacts where published.
    pub async fn city_contacts(&self) -> ServiceResult<Vec<CityContact>> {
        let rows = self.db.city_contacts().await?;
        Ok(self
            .province
            .cities
            .iter()
            .map(|city| {
                let row = rows.iter().find(|r| r.city == city.code);
                let field = |f: fn(&ContactRow) -> &String| {
                    row.map(|r| f(r).trim().to_owned()).unwrap_or_default()
                };
                CityContact {
                    city: city.name.clone(),
                    office: field(|r| &r.office),
                    address: field(|r| &r.address),
                    phone: field(|r| &r.phone),
                }
            })
            .collect())
    }
}
