//! The prefecture and its municipalities as the registry reads them: reference data, seeded at
//! every start from the list compiled into the binary (`seed.rs`) and never written otherwise, so
//! each process reads it from the database once and answers from memory after that. Pages name
//! municipalities on nearly every request (the area selector, an owner's name, a region), which
//! was a database round trip each time.

use std::sync::Arc;

use kosodate_domain::MunicipalityCode;
use sea_orm::{EntityTrait, QueryOrder};

use crate::entity::municipality;
use crate::error::RegistryError;
use crate::model::Municipality;
use crate::page::{Page, PageRequest};
use crate::store::Registry;

impl Registry {
    /// Every municipality and the prefecture, by code.
    pub async fn all_municipalities(&self) -> Result<Arc<[Municipality]>, RegistryError> {
        if let Some(known) = self.municipalities.get() {
            return Ok(Arc::clone(known));
        }
        let read = read_all(self).await?;
        // An empty table is a database not seeded yet: read it again next time.
        if read.is_empty() {
            return Ok(read);
        }
        // Two first reads at once read the same rows: either may stay.
        Ok(Arc::clone(self.municipalities.get_or_init(|| read)))
    }

    /// A page of [`Registry::all_municipalities`], in code order.
    pub async fn municipalities(&self, page: &PageRequest) -> Result<Page<Municipality>, RegistryError> {
        let limit = page.limit();
        let after = page.after()?;
        let all = self.all_municipalities().await?;
        let items: Vec<Municipality> = all
            .iter()
            .filter(|known| after.as_deref().is_none_or(|after| known.code.as_str() > after))
            .take(usize::try_from(limit).map_or(usize::MAX, |limit| limit.saturating_add(1)))
            .cloned()
            .collect();
        Ok(Page::from_overfetch(items, limit, |m| m.code.to_string()))
    }

    pub async fn municipality(&self, code: MunicipalityCode) -> Result<Municipality, RegistryError> {
        self.all_municipalities()
            .await?
            .iter()
            .find(|known| known.code == code)
            .cloned()
            .ok_or_else(|| RegistryError::MunicipalityNotFound(code.to_string()))
    }
}

async fn read_all(registry: &Registry) -> Result<Arc<[Municipality]>, RegistryError> {
    municipality::Entity::find()
        .order_by_asc(municipality::Column::Code)
        .all(&registry.db)
        .await?
        .into_iter()
        .map(municipality_from_row)
        .collect()
}

pub(crate) fn municipality_from_row(row: municipality::Model) -> Result<Municipality, RegistryError> {
    Ok(Municipality {
        code: MunicipalityCode::parse(&row.code)
            .map_err(|error| RegistryError::Corrupt(error.to_string()))?,
        name: row.name,
        kana: row.kana,
        district: row.district,
        kind: row.kind,
        region: row.region,
    })
}

#[cfg(test)]
mod tests {
    use kosodate_migrations::{Migrator, MigratorTrait};
    use sea_orm::{ConnectOptions, Database};

    use super::*;
    use crate::seed::seed_municipalities;

    async fn migrated_registry() -> Registry {
        let mut options = ConnectOptions::new("sqlite::memory:");
        // One connection: each in-memory connection is a database of its own.
        options.max_connections(1).sqlx_logging(false);
        let db = Database::connect(options).await.expect("an in-memory database");
        Migrator::up(&db, None).await.expect("the schema");
        Registry::new(db)
    }

    #[tokio::test]
    async fn a_registry_that_read_no_municipality_before_the_seed_reads_them_after_it() {
        let registry = migrated_registry().await;
        assert!(registry.all_municipalities().await.expect("a read").is_empty());

        seed_municipalities(registry.connection())
            .await
            .expect("the seed");

        let all = registry.all_municipalities().await.expect("a read");
        assert_eq!(all.len(), 41, "the prefecture and its 40 municipalities");
        assert!(all.first().is_some_and(|first| first.code.is_prefecture()));
        let aomori = MunicipalityCode::parse("022012").expect("a code");
        assert_eq!(registry.municipality(aomori).await.expect("known").name, "青森市");
    }

    #[tokio::test]
    async fn pages_follow_one_another_through_the_whole_list() {
        let registry = migrated_registry().await;
        seed_municipalities(registry.connection())
            .await
            .expect("the seed");
        let mut paged = Vec::new();
        let mut cursor = None;
        loop {
            let request = PageRequest {
                limit: Some(15),
                cursor: cursor.take(),
            };
            let page = registry.municipalities(&request).await.expect("a page");
            assert!(page.items.len() <= 15);
            paged.extend(page.items.into_iter().map(|municipality| municipality.code));
            let Some(next) = page.next_cursor else { break };
            cursor = Some(next);
        }
        let all: Vec<MunicipalityCode> = registry
            .all_municipalities()
            .await
            .expect("a read")
            .iter()
            .map(|municipality| municipality.code)
            .collect();
        assert_eq!(paged, all);
        let unknown = MunicipalityCode::parse("131016").expect("a valid code elsewhere");
        assert!(matches!(
            registry.municipality(unknown).await,
            Err(RegistryError::MunicipalityNotFound(_))
        ));
    }
}
