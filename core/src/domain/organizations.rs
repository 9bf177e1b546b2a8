//! Organizations: the tenant boundary. Everything else belongs to one.

use serde::{Deserialize, Serialize};

use super::{Core, Entity, now_micros};
use crate::{error::CoreResult, ids::new_id};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub id: String,
    #[serde(default)]
    pub version: i64,
    pub created_at: i64,
    pub name: String,
}

impl Entity for Organization {
    const COLLECTION: &'static str = "organizations";
    const NAME: &'static str = "organization";
    fn id(&self) -> &str {
        &self.id
    }
    fn version(&self) -> i64 {
        self.version
    }
}

impl Core {
    pub async fn create_organization(&self, name: &str) -> CoreResult<Organization> {
        let name = super::validate::name("name", name)?;
        self.insert(&Organization { id: new_id("org"), version: 0, created_at: now_micros(), name }).await
    }
}
