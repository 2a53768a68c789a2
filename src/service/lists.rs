//! The province lists in effect: the province file overlaid with the province
//! admin's edits (转出原因, target provinces open, cities, counties).
//!
//! Every node caches the lists in memory together with the number of the
//! `list_version` row it built them from; each use reads that one number and
//! rebuilds when another node (or this one) has edited since. An edit takes
//! effect at the next request on every node, for one small query per use.

use std::net::IpAddr;
use std::sync::{Arc, RwLock};

use serde::Serialize;
use utoipa::ToSchema;

use super::{App, FieldErrors, ServiceError, ServiceResult, StaffSession};
use crate::province::{Coded, Province};
use crate::storage::{ListEntryRow, PointRow, micros};

/// One entry of a list, with the admin's name and state.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ListEntry {
    pub code: String,
    pub name: String,
    /// Offered on candidates' forms; a disabled entry keeps naming what uses it.
    pub enabled: bool,
}

/// A province a candidate may transfer to, and whether it is open now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TargetProvince {
    pub code: String,
    pub name: String,
    pub short_name: String,
    pub open: bool,
}

/// A city with its counties.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CityEntry {
    pub code: String,
    pub name: String,
    pub enabled: bool,
    pub counties: Vec<ListEntry>,
}

/// The lists in effect.
#[derive(Debug, Clone)]
pub struct Lists {
    pub reasons: Vec<ListEntry>,
    pub targets: Vec<TargetProvince>,
    pub cities: Vec<CityEntry>,
}

/// Which list an edit is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// 转出原因.
    Reason,
    /// A target province (open or closed; the name stays the national one).
    Target,
    City,
    County,
}

impl ListKind {
    fn word(self) -> &'static str {
        match self {
            Self::Reason => "reason",
            Self::Target => "target",
            Self::City => "city",
            Self::County => "county",
        }
    }
}

/// An added entry or an edit of one.
#[derive(Debug, Clone, Default)]
pub struct ListEdit {
    pub code: String,
    pub name: String,
    pub enabled: bool,
}

impl Lists {
    /// The province file with the stored edits laid over it.
    fn build(province: &Province, rows: &[ListEntryRow]) -> Self {
        let stored =
            |list: &str, code: &str| rows.iter().find(|r| r.list == list && r.code == code);
        let entry = |list: &str, c: &Coded| match stored(list, &c.code) {
            Some(r) => ListEntry {
                code: c.code.clone(),
                name: r.name.clone(),
                enabled: r.enabled,
            },
            None => ListEntry {
                code: c.code.clone(),
                name: c.name.clone(),
                enabled: true,
            },
        };
        let added = |list: &str, parent: Option<&str>| -> Vec<ListEntry> {
            rows.iter()
                .filter(|r| r.list == list && r.parent.as_deref() == parent)
                .map(|r| ListEntry {
                    code: r.code.clone(),
                    name: r.name.clone(),
                    enabled: r.enabled,
                })
                .collect()
        };
        let mut reasons: Vec<ListEntry> = province
            .transfer_reasons
            .iter()
            .map(|c| entry("reason", c))
            .collect();
        reasons.extend(
            added("reason", None)
                .into_iter()
                .filter(|e| province.transfer_reason(&e.code).is_none()),
        );
        let targets = province
            .target_provinces()
            .map(|p| TargetProvince {
                code: p.code.clone(),
                name: p.name.clone(),
                short_name: p.short_name.clone(),
                open: stored("target", &p.code).is_none_or(|r| r.enabled),
            })
            .collect();
        let mut cities: Vec<CityEntry> = province
            .cities
            .iter()
            .map(|c| {
                let e = entry(
                    "city",
                    &Coded {
                        code: c.code.clone(),
                        name: c.name.clone(),
                    },
                );
                CityEntry {
                    code: e.code,
                    name: e.name,
                    enabled: e.enabled,
                    counties: c.counties.iter().map(|k| entry("county", k)).collect(),
                }
            })
            .collect();
        cities.extend(
            added("city", None)
                .into_iter()
                .filter(|e| province.city(&e.code).is_none())
                .map(|e| CityEntry {
                    code: e.code,
                    name: e.name,
                    enabled: e.enabled,
                    counties: vec![],
                }),
        );
        for city in &mut cities {
            let extra: Vec<ListEntry> = added("county", Some(&city.code))
                .into_iter()
                .filter(|e| province.county(&e.code).is_none())
                .collect();
            city.counties.extend(extra);
        }
        Self {
            reasons,
            targets,
            cities,
        }
    }

    /// The 转出原因 a candidate may choose now.
    pub fn active_reasons(&self) -> Vec<Coded> {
        self.reasons
            .iter()
            .filter(|r| r.enabled)
            .map(|r| Coded {
                code: r.code.clone(),
                name: r.name.clone(),
            })
            .collect()
    }

    /// A 转出原因 by code, disabled or not (for applications that name it).
    pub fn reason(&self, code: &str) -> Option<&ListEntry> {
        self.reasons.iter().find(|r| r.code == code)
    }

    /// A target province by code, open or not.
    pub fn target(&self, code: &str) -> Option<&TargetProvince> {
        self.targets.iter().find(|p| p.code == code)
    }

    /// A city by code, disabled or not.
    pub fn city(&self, code: &str) -> Option<&CityEntry> {
        self.cities.iter().find(|c| c.code == code)
    }

    /// A county and its city, disabled or not (for candidates already in it).
    pub fn county(&self, code: &str) -> Option<(&CityEntry, &ListEntry)> {
        self.cities
            .iter()
            .find_map(|c| c.counties.iter().find(|k| k.code == code).map(|k| (c, k)))
    }

    /// A county a new candidate may register in: it and its city are enabled.
    pub fn open_county(&self, code: &str) -> Option<(&CityEntry, &ListEntry)> {
        self.county(code).filter(|(c, k)| c.enabled && k.enabled)
    }

    /// The enabled cities, each with its enabled counties only.
    pub fn open_cities(&self) -> Vec<CityEntry> {
        self.cities
            .iter()
            .filter(|c| c.enabled)
            .map(|c| CityEntry {
                counties: c.counties.iter().filter(|k| k.enabled).cloned().collect(),
                ..c.clone()
            })
            .collect()
    }

    /// The name of a city, or its code when unknown.
    pub fn city_name(&self, code: &str) -> String {
        self.city(code)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| code.to_owned())
    }

    /// 太原市小店区 for a county code, or the code when unknown.
    pub fn place(&self, county: &str) -> String {
        match self.county(county) {
            Some((c, k)) => format!("{}{}", c.name, k.name),
            None => county.to_owned(),
        }
    }
}

/// The lists a node built last, and the version they were built from.
#[derive(Default)]
pub struct ListsCache(RwLock<Option<(i64, Arc<Lists>)>>);

fn bad_name(name: &str) -> Option<&'static str> {
    let n = name.chars().count();
    if n == 0 {
        Some("请填写名称")
    } else if n > 30 {
        Some("名称不能超过30个字")
    } else {
        None
    }
}

impl App {
    /// The lists in effect now.
    pub async fn lists(&self) -> ServiceResult<Arc<Lists>> {
        let version = self.db.list_version().await?;
        if let Some((v, lists)) = self.lists_cache.0.read().expect("lists lock").as_ref()
            && *v == version
        {
            return Ok(lists.clone());
        }
        let rows = self.db.list_entries().await?;
        let lists = Arc::new(Lists::build(&self.province, &rows));
        *self.lists_cache.0.write().expect("lists lock") = Some((version, lists.clone()));
        Ok(lists)
    }

    /// The lists this node built last (the province file before the first use),
    /// for labels drawn where no query can be made.
    pub fn lists_snapshot(&self) -> Arc<Lists> {
        if let Some((_, lists)) = self.lists_cache.0.read().expect("lists lock").as_ref() {
            return lists.clone();
        }
        Arc::new(Lists::build(&self.province, &[]))
    }

    /// Adds an entry to a list (province admins): a 转出原因, a city or a county.
    pub async fn add_list_entry(
        &self,
        actor: &StaffSession,
        address: IpAddr,
        kind: ListKind,
        edit: &ListEdit,
    ) -> ServiceResult<()> {
        self.require_province_admin(actor)?;
        let lists = self.lists().await?;
        let code = edit.code.trim();
        let name = edit.name.trim();
        let mut e = FieldErrors::new();
        if let Some(m) = bad_name(name) {
            e.add("name", m);
        }
        let province = &self.province.info.code;
        let mut parent = None;
        match kind {
            ListKind::Reason => {
                let ok = (2..=32).contains(&code.len())
                    && code.starts_with(|c: char| c.is_ascii_lowercase())
                    && code
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
                if !ok {
                    e.add("code", "代码应为2至32位小写字母、数字或下划线，以字母开头");
                } else if lists.reason(code).is_some() {
                    e.add("code", "该代码已存在");
                }
            }
            ListKind::City => {
                if code.len() != 4
                    || !code.bytes().all(|b| b.is_ascii_digit())
                    || !code.starts_with(province.as_str())
                {
                    e.add("code", format!("地市代码应为以{province}开头的4位数字"));
                } else if lists.city(code).is_some() {
                    e.add("code", "该地市代码已存在");
                }
            }
            ListKind::County => {
                let city = code.get(..4).and_then(|c| lists.city(c));
                if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
                    e.add("code", "区县代码应为6位数字");
                } else if city.is_none() {
                    e.add("code", "区县代码的前4位应为本省已有的地市代码");
                } else if lists.county(code).is_some() {
                    e.add("code", "该区县代码已存在");
                }
                parent = city.map(|c| c.code.clone());
            }
            ListKind::Target => return Err(ServiceError::NotFound),
        }
        e.into_result()?;
        let row = ListEntryRow {
            list: kind.word().into(),
            code: code.into(),
            parent: parent.clone(),
            name: name.into(),
            enabled: true,
        };
        self.db
            .put_list_entry(&row, micros(self.clock.now()))
            .await?;
        if let Some(city) = parent {
            // Every county has a registration point to scope staff to.
            let city_name = lists.city_name(&city);
            self.db
                .insert_point_if_absent(&PointRow {
                    id: code.into(),
                    city,
                    county: code.into(),
                    name: format!("{city_name}{name}自学考试报名点"),
                    address: String::new(),
                    phone: String::new(),
                })
                .await?;
        }
        let after = serde_json::json!({ "name": name, "enabled": true });
        self.audit(
            &actor.staff.id,
            Some(address),
            &format!("list.{}.add", kind.word()),
            Some(code),
            None,
            Some(&after),
        )
        .await
    }

    /// Renames, disables or enables an entry (province admins). Nothing is ever
    /// deleted, so applications and candidates keep the names of their codes.
    pub async fn edit_list_entry(
        &self,
        actor: &StaffSession,
        address: IpAddr,
        kind: ListKind,
        edit: &ListEdit,
    ) -> ServiceResult<()> {
        self.require_province_admin(actor)?;
        let lists = self.lists().await?;
        let code = edit.code.trim();
        let (name, enabled, parent) = match kind {
            ListKind::Reason => lists.reason(code).map(|r| (&r.name, r.enabled, None)),
            ListKind::Target => lists.target(code).map(|p| (&p.name, p.open, None)),
            ListKind::City => lists.city(code).map(|c| (&c.name, c.enabled, None)),
            ListKind::County => lists
                .county(code)
                .map(|(c, k)| (&k.name, k.enabled, Some(c.code.clone()))),
        }
        .ok_or(ServiceError::NotFound)?;
        let new_name = match kind {
            ListKind::Target => name.clone(),
            _ => edit.name.trim().to_owned(),
        };
        if let Some(m) = bad_name(&new_name) {
            return Err(ServiceError::field("name", m));
        }
        if kind == ListKind::Reason
            && !edit.enabled
            && lists.reasons.iter().all(|r| !r.enabled || r.code == code)
        {
            return Err(ServiceError::field(
                "enabled",
                "至少需保留一个可选的转出原因",
            ));
        }
        let row = ListEntryRow {
            list: kind.word().into(),
            code: code.into(),
            parent,
            name: new_name.clone(),
            enabled: edit.enabled,
        };
        self.db
            .put_list_entry(&row, micros(self.clock.now()))
            .await?;
        let before = serde_json::json!({ "name": name, "enabled": enabled });
        let after = serde_json::json!({ "name": new_name, "enabled": edit.enabled });
        self.audit(
            &actor.staff.id,
            Some(address),
            &format!("list.{}.edit", kind.word()),
            Some(code),
            Some(&before),
            Some(&after),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        list: &str,
        code: &str,
        parent: Option<&str>,
        name: &str,
        enabled: bool,
    ) -> ListEntryRow {
        ListEntryRow {
            list: list.into(),
            code: code.into(),
            parent: parent.map(Into::into),
            name: name.into(),
            enabled,
        }
    }

    #[test]
    fn edits_overlay_the_province_file() {
        let province = Province::shanxi();
        let rows = [
            row("reason", "military_service", None, "入伍或随军", false),
            row("reason", "study_elsewhere", None, "异地求学", true),
            row("target", "41", None, "河南省", false),
            row("county", "140105", Some("1401"), "新区名", false),
            row("county", "140199", Some("1401"), "示范区", true),
        ];

        let lists = Lists::build(&province, &rows);

        let active: Vec<String> = lists.active_reasons().into_iter().map(|r| r.code).collect();
        assert!(!active.contains(&"military_service".to_owned()));
        assert_eq!(active.last().map(String::as_str), Some("study_elsewhere"));
        assert_eq!(lists.reason("military_service").unwrap().name, "入伍或随军");
        assert!(!lists.target("41").unwrap().open);
        assert!(lists.target("42").unwrap().open);
        assert!(lists.target("14").is_none(), "not to the province itself");
        assert_eq!(lists.place("140105"), "太原市新区名");
        assert!(lists.open_county("140105").is_none());
        assert!(lists.open_county("140199").is_some());
        let taiyuan = &lists.open_cities()[0];
        assert!(taiyuan.counties.iter().all(|k| k.code != "140105"));
        assert_eq!(lists.cities.len(), 11);
    }
}
