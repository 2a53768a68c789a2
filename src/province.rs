//! The province as data: its name, cities, counties, lists and the other provinces.
//! Shanxi is built in; another province supplies its own file of the same shape.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The built-in Shanxi data.
const SHANXI: &str = include_str!("../province/shanxi.toml");

/// Everything about the deploying province that pages, rules and forms read.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Province {
    #[serde(rename = "province")]
    pub info: ProvinceInfo,
    pub cities: Vec<City>,
    pub provinces: Vec<OtherProvince>,
    pub transfer_reasons: Vec<Coded>,
    pub lists: ProfileLists,
    #[serde(skip)]
    county_index: HashMap<String, (usize, usize)>,
}

/// Names of the province and its platform.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvinceInfo {
    pub code: String,
    pub name: String,
    pub short_name: String,
    pub platform_name: String,
    pub organisation: String,
    pub slogan: String,
    #[serde(default)]
    pub icp: String,
}

/// A city (地市) and its county-level divisions (区县).
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct City {
    pub code: String,
    pub name: String,
    pub counties: Vec<Coded>,
}

/// A province of China, by its GB/T 2260 two-digit code.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OtherProvince {
    pub code: String,
    pub name: String,
    pub short_name: String,
}

/// A code with its Chinese name.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Coded {
    pub code: String,
    pub name: String,
}

/// The profile lists of the registration form.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileLists {
    pub ethnicities: Vec<String>,
    pub household: Vec<String>,
    pub education: Vec<String>,
    pub occupation: Vec<String>,
    pub politics: Vec<String>,
}

/// Why province data could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ProvinceError {
    #[error("cannot read the province file: {0}")]
    Read(#[from] std::io::Error),
    #[error("the province file is not valid: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("the province file is inconsistent: {0}")]
    Inconsistent(String),
}

impl Province {
    /// The built-in Shanxi data.
    pub fn shanxi() -> Self {
        Self::from_toml(SHANXI).expect("the built-in province data is valid")
    }

    /// Reads a province file.
    pub fn from_file(path: &Path) -> Result<Self, ProvinceError> {
        Self::from_toml(&std::fs::read_to_string(path)?)
    }

    /// Parses province data and checks that its codes fit together.
    pub fn from_toml(text: &str) -> Result<Self, ProvinceError> {
        let mut p: Province = toml::from_str(text)?;
        let bad = |m: String| Err(ProvinceError::Inconsistent(m));
        if !p.provinces.iter().any(|o| o.code == p.info.code) {
            return bad(format!(
                "province {} is missing from the provinces list",
                p.info.code
            ));
        }
        for (ci, city) in p.cities.iter().enumerate() {
            if !city.code.starts_with(&p.info.code) || city.code.len() != 4 {
                return bad(format!(
                    "city {} is not a city of {}",
                    city.code, p.info.code
                ));
            }
            for (ki, county) in city.counties.iter().enumerate() {
                if !county.code.starts_with(&city.code) || county.code.len() != 6 {
                    return bad(format!(
                        "county {} is not in city {}",
                        county.code, city.code
                    ));
                }
                if p.county_index
                    .insert(county.code.clone(), (ci, ki))
                    .is_some()
                {
                    return bad(format!("county {} appears twice", county.code));
                }
            }
        }
        if p.transfer_reasons.is_empty() {
            return bad("the transfer reasons list is empty".into());
        }
        Ok(p)
    }

    /// The city and county of a county code, if it belongs to this province.
    pub fn county(&self, code: &str) -> Option<(&City, &Coded)> {
        let &(ci, ki) = self.county_index.get(code)?;
        let city = &self.cities[ci];
        Some((city, &city.counties[ki]))
    }

    /// The city of a city code.
    pub fn city(&self, code: &str) -> Option<&City> {
        self.cities.iter().find(|c| c.code == code)
    }

    /// The provinces a candidate may transfer to: every one but this.
    pub fn target_provinces(&self) -> impl Iterator<Item = &OtherProvince> {
        self.provinces.iter().filter(|p| p.code != self.info.code)
    }

    /// A 转出原因 by its code.
    pub fn transfer_reason(&self, code: &str) -> Option<&Coded> {
        self.transfer_reasons.iter().find(|r| r.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shanxi_is_complete() {
        let p = Province::shanxi();
        assert_eq!(p.info.code, "14");
        assert_eq!(p.cities.len(), 11);
        assert_eq!(
            p.cities.iter().map(|c| c.counties.len()).sum::<usize>(),
            117
        );
        assert_eq!(p.provinces.len(), 31);
        assert_eq!(p.target_provinces().count(), 30);
        assert_eq!(p.lists.ethnicities.len(), 56);
        let (city, county) = p.county("140105").unwrap();
        assert_eq!(
            (city.name.as_str(), county.name.as_str()),
            ("太原市", "小店区")
        );
        assert!(p.county("110105").is_none());
    }

    #[test]
    fn inconsistent_data_is_refused() {
        let text = SHANXI.replace("code = \"140105\"", "code = \"150105\"");
        assert!(matches!(
            Province::from_toml(&text),
            Err(ProvinceError::Inconsistent(_))
        ));
        let text = format!("{SHANXI}\nextra = 1\n");
        assert!(Province::from_toml(&text).is_err());
    }
}
