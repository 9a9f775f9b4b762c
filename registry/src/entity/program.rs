use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "programs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub owner_code: String,
    pub name: String,
    pub short_name: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub categories: Json,
    pub summary: String,
    pub description: Option<String>,
    pub eligibility_summary: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub eligibility: Json,
    pub benefit_text: Option<String>,
    pub benefit_amount_yen: Option<i64>,
    #[sea_orm(column_type = "JsonBinary")]
    pub application_window: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub application_methods: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub documents: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub contact: Json,
    pub source_url: Option<String>,
    pub program_type: Option<String>,
    pub status: String,
    pub last_reviewed_on: Option<Date>,
    pub version: i32,
    pub material_version: i32,
    pub review_cycle_months: i16,
    pub license: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub published_at: Option<DateTimeUtc>,
    pub archived_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
