use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "community_questions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub author_account: Option<String>,
    pub category: String,
    pub municipality_code: Option<String>,
    pub region: Option<String>,
    pub age_band: Option<String>,
    pub title: String,
    pub body: String,
    pub status: String,
    pub accepted_answer: Option<String>,
    pub related_program_count: Option<i32>,
    pub answer_count: i32,
    pub first_answered_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
