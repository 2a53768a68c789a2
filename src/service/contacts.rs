//! 联系方式: the city offices candidates turn to when their record is wrong or a
//! step of the transfer-out flow is unclear.

use std::net::IpAddr;

use super::{App, FieldErrors, ServiceError, ServiceResult, StaffSession};
use crate::domain::{Role, StaffScope};
use crate::storage::ContactRow;

/// One city's contacts as a page shows them; empty fields were not published.
#[derive(Debug, Clone)]
pub struct CityContact {
    /// City code.
    pub code: String,
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
        let lists = self.lists().await?;
        Ok(lists
            .cities
            .iter()
            .filter(|city| city.enabled)
            .map(|city| {
                let row = rows.iter().find(|r| r.city == city.code);
                let field = |f: fn(&ContactRow) -> &String| {
                    row.map(|r| f(r).trim().to_owned()).unwrap_or_default()
                };
                CityContact {
                    code: city.code.clone(),
                    city: city.name.clone(),
                    office: field(|r| &r.office),
                    address: field(|r| &r.address),
                    phone: field(|r| &r.phone),
                }
            })
            .collect())
    }
}

impl App {
    /// Whether a staff member may change a city's contacts: province admins
    /// every city's, a city office its own.
    pub fn may_edit_contact(&self, actor: &StaffSession, city: &str) -> bool {
        match &actor.scope {
            StaffScope::Province => true,
            StaffScope::City(own) => actor.role == Role::CityOffice && own == city,
            StaffScope::Point { .. } => false,
        }
    }

    /// The contacts a staff member may change: every city for a province
    /// admin, its own for a city office; refused to registration points.
    pub async fn editable_contacts(&self, actor: &StaffSession) -> ServiceResult<Vec<CityContact>> {
        if actor.role == Role::RegistrationPoint {
            return Err(ServiceError::forbidden(
                "forbidden",
                "报名点不能修改地市联系方式",
            ));
        }
        let all = self.city_contacts().await?;
        Ok(all
            .into_iter()
            .filter(|c| self.may_edit_contact(actor, &c.code))
            .collect())
    }

    /// Publishes a city office's contacts (province admins, or the city office
    /// itself); the /contacts page shows them at once.
    pub async fn save_city_contact(
        &self,
        actor: &StaffSession,
        address: IpAddr,
        contact: &ContactRow,
    ) -> ServiceResult<()> {
        if !self.may_edit_contact(actor, contact.city.trim()) {
            return Err(ServiceError::forbidden(
                "forbidden",
                "只能修改本市自考办的联系方式",
            ));
        }
        let lists = self.lists().await?;
        if lists.city(contact.city.trim()).is_none() {
            return Err(ServiceError::NotFound);
        }
        let row = ContactRow {
            city: contact.city.trim().into(),
            office: contact.office.trim().into(),
            address: contact.address.trim().into(),
            phone: contact.phone.trim().into(),
        };
        let mut e = FieldErrors::new();
        if row.office.chars().count() > 50 {
            e.add("office", "部门名称不能超过50个字");
        }
        if row.address.chars().count() > 100 {
            e.add("address", "地址不能超过100个字");
        }
        if let Some(m) = super::points::bad_phone(&row.phone) {
            e.add("phone", m);
        }
        e.into_result()?;
        let before = self
            .db
            .city_contacts()
            .await?
            .into_iter()
            .find(|c| c.city == row.city)
            .map(|c| serde_json::json!({ "office": c.office, "address": c.address, "phone": c.phone }));
        self.db.set_city_contact(&row).await?;
        let after =
            serde_json::json!({ "office": row.office, "address": row.address, "phone": row.phone });
        self.audit(
            &actor.staff.id,
            Some(address),
            "contact.update",
            Some(&row.city),
            before.as_ref(),
            Some(&after),
        )
        .await
    }
}
