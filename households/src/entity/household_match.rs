use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "household_matches")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub household_id: String,
    pub catalogue_id: i64,
    pub fingerprint: i64,
    pub state: Vec<u8>,
    pub evaluated_on: Date,
    pub next_check: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
