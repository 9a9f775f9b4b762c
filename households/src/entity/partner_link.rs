use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "partner_links")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub household_id: String,
    pub partner_id: String,
    pub subject: String,
    pub purpose: String,
    pub consent_text_version: i32,
    pub token_hash: Option<String>,
    pub linked_at: DateTimeUtc,
    pub unlinked_at: Option<DateTimeUtc>,
    pub unlinked_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
