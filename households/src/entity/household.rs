use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "households")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub municipality_code: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub profile: Json,
    pub synthetic: bool,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub nicknames: Option<Json>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub preferences: Option<Json>,
    pub registered_by: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
