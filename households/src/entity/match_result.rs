use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "match_results")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub household_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub program_id: String,
    pub program_version: i32,
    pub eligibility: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub detail: Json,
    pub next_check: Option<Date>,
    pub evaluated_on: Date,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
