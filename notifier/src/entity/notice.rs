use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "notices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub household_id: String,
    pub channel_id: String,
    pub channel_kind: String,
    pub kind: String,
    pub event_id: Option<String>,
    pub program_id: Option<String>,
    pub digest_id: Option<String>,
    pub digest_on: Option<Date>,
    pub address: Json,
    pub content: Json,
    pub quiet_from: Option<i16>,
    pub quiet_until: Option<i16>,
    pub status: String,
    pub attempts: i32,
    pub not_before: DateTimeUtc,
    pub lease_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
