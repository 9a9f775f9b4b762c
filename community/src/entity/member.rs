use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "community_members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub account_id: String,
    pub display_name: String,
    pub display_name_folded: String,
    pub notify_answers: bool,
    pub joined_at: DateTimeUtc,
    pub expert_profession: Option<String>,
    pub expert_organisation: Option<String>,
    pub expert_requested_at: Option<DateTimeUtc>,
    pub expert_verified_at: Option<DateTimeUtc>,
    pub expert_verified_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
