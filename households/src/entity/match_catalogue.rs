use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "match_catalogues")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub digest: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub programs: Json,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
