use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "match_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub household_id: String,
    pub program_id: Option<String>,
    pub kind: String,
    pub anchor_on: Date,
    pub opens_on: Option<Date>,
    pub closes_on: Option<Date>,
    pub occurs_on: Date,
    pub created_at: DateTimeUtc,
    /// When the notifier planned its notices; `None`: not yet.
    pub planned_at: Option<DateTimeUtc>,
    /// Since when it waits for a deliverable channel (planned, but nothing could be sent yet).
    pub waiting_since: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
