use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "contact_channels")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub household_id: String,
    pub kind: String,
    pub address: String,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub keys: Option<Json>,
    pub opted_in: bool,
    pub verified_at: Option<DateTimeUtc>,
    pub verification_hash: Option<String>,
    pub verification_expires_at: Option<DateTimeUtc>,
    pub disabled_reason: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
